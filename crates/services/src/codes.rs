//! The catalog of error codes. Every refusal a service can return is declared here once, with
//! its kind; `ALL` lists them so that adapters can be checked to translate each one (the web's
//! `locales/{vi,en}/errors.yml` holds `error.<code>` for every code, and a test enforces it).
//!
//! Arguments a code carries are listed in its doc comment; adapters' texts use them as
//! `{name}` placeholders.

use crate::error::{Code, Kind};

macro_rules! codes {
    ($( $(#[$doc:meta])* $id:ident = $name:literal, $kind:ident; )*) => {
        $( $(#[$doc])* pub const $id: Code = Code::new($name, Kind::$kind); )*
        /// Every code, in declaration order.
        pub const ALL: &[Code] = &[$($id),*];
    };
}

codes! {
    // ---- general ------------------------------------------------------------------------
    /// A server or database fault; details are in the log only.
    INTERNAL = "internal", Internal;
    /// A row the request names does not exist (the store's refusal).
    NOT_FOUND = "not_found", NotFound;
    /// The change contradicts stored state (a duplicate, a reference to nothing).
    CONFLICT = "conflict", Conflict;
    /// The row is frozen (a frozen index set, a published period).
    FROZEN = "frozen", Conflict;
    /// Someone saved in between: `{current}` is the version now stored.
    STALE_VERSION = "stale_version", Conflict;
    /// An input field is wrong: `{field}` names it, `{reason}` is a nested code when given.
    INVALID_FIELD = "invalid_field", Invalid;
    /// A file did not pass its checks: `{count}` problems, listed in the details.
    FILE_INVALID = "file_invalid", Invalid;
    /// A file cannot be read: `{file}` and the operating system's `{reason}` code.
    FILE_UNREADABLE = "file_unreadable", Invalid;
    /// Too much work at once; retry later.
    BUSY = "busy", Unavailable;

    // ---- authorization ------------------------------------------------------------------
    /// The account holds no role.
    DENIED_NO_ROLE = "denied_no_role", Forbidden;
    /// No role of the account allows `{action}`.
    DENIED_NOT_PERMITTED = "denied_not_permitted", Forbidden;
    /// The action must name a unit.
    DENIED_NO_UNIT = "denied_no_unit", Forbidden;
    /// Another unit's dossier.
    DENIED_OTHER_UNIT = "denied_other_unit", Forbidden;
    /// Outside the appraiser's assigned units or areas.
    DENIED_OUT_OF_SCOPE = "denied_out_of_scope", Forbidden;
    /// The role is held for another period.
    DENIED_OTHER_PERIOD = "denied_other_period", Forbidden;

    // ---- periods ------------------------------------------------------------------------
    /// No period `{period}`.
    PERIOD_NOT_FOUND = "period_not_found", NotFound;
    /// Period `{period}` is published; its scores cannot change.
    PERIOD_PUBLISHED = "period_published", Conflict;
    /// Period `{period}` has no unit groups yet.
    PERIOD_NO_GROUPS = "period_no_groups", Invalid;
    /// Period `{period}` has no units taking part.
    PERIOD_NO_UNITS = "period_no_units", Invalid;
    /// Group `{group}` of period `{period}` has no index set.
    GROUP_WITHOUT_SET = "group_without_set", Invalid;
    /// A units file contradicts the database: `{count}` problems, listed in the details.
    UNITS_REFUSED = "units_refused", Invalid;
    /// Unit `{unit}` names predecessor `{predecessor}`, which is not stored yet.
    PREDECESSOR_UNKNOWN = "predecessor_unknown", Invalid;
    /// No year can be read from period code `{period}`.
    PERIOD_CODE_NO_YEAR = "period_code_no_year", Invalid;

    // ---- units --------------------------------------------------------------------------
    /// No unit `{unit}`.
    UNIT_NOT_FOUND = "unit_not_found", NotFound;
    /// Unit `{unit}` takes no part in period `{period}`.
    UNIT_NOT_IN_PERIOD = "unit_not_in_period", NotFound;

    // ---- index sets ---------------------------------------------------------------------
    /// No index set `{set}`.
    SET_NOT_FOUND = "set_not_found", NotFound;

    // ---- scores and results -------------------------------------------------------------
    /// Units `{units}` of period `{period}` are approved; their scores are locked.
    UNITS_APPROVED = "units_approved", Conflict;
    /// Stored values could not be scored: `{count}` problems, listed in the details.
    SCORES_INVALID = "scores_invalid", Invalid;
    /// Results of the groups could not be combined: `{reason}`.
    RESULTS_INCONSISTENT = "results_inconsistent", Invalid;

    // ---- accounts -----------------------------------------------------------------------
    /// Login `{login}` has characters other than letters, digits and `._-@`.
    LOGIN_INVALID = "login_invalid", Invalid;
    /// The password is shorter than `{min}` characters.
    PASSWORD_TOO_SHORT = "password_too_short", Invalid;

    // ---- self-assessment cycle ----------------------------------------------------------
    /// The workflow refuses the change now: `{reason}` is the workflow's code
    /// (`already_submitted`, `closed_self_assessment`, `published`, …).
    ASSESSMENT_WORKFLOW = "assessment_workflow", Conflict;
    /// A command names period `{period}` and unit `{unit}`, not the dossier it was given with.
    DOSSIER_MISMATCH = "dossier_mismatch", Invalid;
    /// Leaf `{node}` is not one of the dossier's leaves the unit enters.
    LEAF_NOT_FOUND = "leaf_not_found", NotFound;
    /// `{count}` leaves were saved by someone else meanwhile, listed in the details.
    LEAVES_STALE = "leaves_stale", Conflict;
    /// Leaf `{field}` was saved meanwhile; `{current}` is its version now.
    LEAF_STALE = "leaf_stale", Conflict;
    /// `{count}` leaves cannot be saved, listed in the details.
    LEAVES_INVALID = "leaves_invalid", Invalid;
    /// The value of leaf `{field}` is refused by its scoring method.
    LEAF_VALUE_REFUSED = "leaf_value_refused", Invalid;
    /// A text of leaf `{field}` is longer than `{max}` characters.
    LEAF_TEXT_TOO_LONG = "leaf_text_too_long", Invalid;
    /// The self-assessment cannot be submitted: `{count}` problems, listed in the details.
    SUBMISSION_INCOMPLETE = "submission_incomplete", Invalid;
    /// Leaf `{field}` has no self-assessment value.
    MISSING_VALUE = "missing_value", Invalid;
    /// Leaf `{field}` lacks the required evidence and an explanation why.
    MISSING_EXPLANATION = "missing_explanation", Invalid;
    /// No file was sent.
    EVIDENCE_NO_FILE = "evidence_no_file", Invalid;
    /// More than `{limit}` files in one request.
    EVIDENCE_TOO_MANY = "evidence_too_many", Invalid;
    /// The leaf holds `{held}` documents of at most `{limit}`.
    EVIDENCE_LEAF_FULL = "evidence_leaf_full", Invalid;
    /// No document `{id}` in this dossier.
    EVIDENCE_NOT_FOUND = "evidence_not_found", NotFound;
    /// Document `{id}` was removed already.
    EVIDENCE_ALREADY_REMOVED = "evidence_already_removed", Conflict;
    /// No explanation request `{id}` in this dossier.
    EXPLANATION_NOT_FOUND = "explanation_not_found", NotFound;
    /// An answer must say something.
    ANSWER_REQUIRED = "answer_required", Invalid;
    /// An answer longer than `{max}` characters.
    ANSWER_TOO_LONG = "answer_too_long", Invalid;
    /// The answer to request `{id}` was changed meanwhile; `{current}` is its version now.
    ANSWER_STALE = "answer_stale", Conflict;
}
