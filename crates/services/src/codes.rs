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

    // ---- index sets, units and roles administration -------------------------------------
    /// No index set file was chosen, or it is empty.
    SET_FILE_MISSING = "set_file_missing", Invalid;
    /// Index set `{set}` exists and replacing it was not asked for.
    SET_EXISTS = "set_exists", Conflict;
    /// Index set `{set}` is used by periods `{periods}`: read-only, clone it to change it.
    SET_IN_USE = "set_in_use", Conflict;
    /// Index set `{set}` was frozen: read-only, clone it to change it.
    SET_FROZEN = "set_frozen", Conflict;
    /// No account `{login}` to give a role to or take one from.
    ROLE_USER_NOT_FOUND = "role_user_not_found", NotFound;
    /// `{login}` holds no grant `{grant}`.
    ROLE_GRANT_NOT_FOUND = "role_grant_not_found", NotFound;
    /// A role was not granted or revoked: `{count}` problems, listed in the details, each
    /// naming its `{field}` first.
    ROLE_REFUSED = "role_refused", Invalid;
    /// `{field}`: a unit officer or leader needs the code of their unit.
    ROLE_UNIT_REQUIRED = "role_unit_required", Invalid;
    /// `{field}`: a unit officer or leader has exactly one unit.
    ROLE_ONE_UNIT = "role_one_unit", Invalid;
    /// `{field}`: the role is not tied to a unit.
    ROLE_UNIT_NOT_FOR_ROLE = "role_unit_not_for_role", Invalid;
    /// `{field}`: only appraisers have a scope (units, areas).
    ROLE_SCOPE_NOT_FOR_ROLE = "role_scope_not_for_role", Invalid;
    /// `{field}`: no unit `{unit}`.
    ROLE_UNKNOWN_UNIT = "role_unknown_unit", Invalid;
    /// `{field}`: no period `{period}`.
    ROLE_UNKNOWN_PERIOD = "role_unknown_period", Invalid;
    /// `{field}`: the person holds exactly this role already.
    ROLE_DUPLICATE = "role_duplicate", Conflict;
    /// `{field}`: an administrator cannot take their own administrator role away.
    ROLE_OWN_ADMIN = "role_own_admin", Conflict;
    /// `{field}`: the reason is longer than `{max}` characters.
    ROLE_REASON_TOO_LONG = "role_reason_too_long", Invalid;
    /// A units import was refused before reading the file: `{count}` problems, listed in the
    /// details, each naming its `{field}` first.
    UNITS_IMPORT_REFUSED = "units_import_refused", Invalid;
    /// `{field}`: no units file was chosen, or it is empty.
    UNITS_FILE_MISSING = "units_file_missing", Invalid;
    /// `{field}`: no period `{period}` to set the groups of.
    UNITS_UNKNOWN_PERIOD = "units_unknown_period", Invalid;
    /// `{field}`: no index set `{set}` for the groups.
    UNITS_UNKNOWN_SET = "units_unknown_set", Invalid;
    /// `{field}`: an index set for the groups needs the period they belong to.
    UNITS_SET_WITHOUT_PERIOD = "units_set_without_period", Invalid;
    /// A change would leave the index set invalid: `{count}` problems, listed in the details.
    SET_INVALID = "set_invalid", Invalid;
    /// Criterion code `{code}` is used twice.
    SET_ISSUE_DUPLICATE_CODE = "set_issue_duplicate_code", Invalid;
    /// Criterion `{code}`: maximum `{max}` differs from the sum `{sum}` of its children's.
    SET_ISSUE_MAX_NOT_SUM = "set_issue_max_not_sum", Invalid;
    /// Criterion `{code}` has a negative maximum.
    SET_ISSUE_NEGATIVE_MAX = "set_issue_negative_max", Invalid;
    /// Criterion `{code}` is not coded under its parent `{parent}`.
    SET_ISSUE_CODE_NOT_UNDER_PARENT = "set_issue_code_not_under_parent", Invalid;
    /// Leaf `{code}` has no scoring method.
    SET_ISSUE_LEAF_WITHOUT_METHOD = "set_issue_leaf_without_method", Invalid;
    /// Criterion `{code}` has children and a scoring method.
    SET_ISSUE_INNER_WITH_METHOD = "set_issue_inner_with_method", Invalid;
    /// Criterion `{code}`: its method is wrong (`{message}`).
    SET_ISSUE_BAD_METHOD = "set_issue_bad_method", Invalid;
    /// The class bands are wrong (`{message}`).
    SET_ISSUE_BAD_CLASSES = "set_issue_bad_classes", Invalid;
    /// The set has no criteria.
    SET_ISSUE_EMPTY = "set_issue_empty", Invalid;
    /// Area `{code}` has a code of more than one level.
    SET_ISSUE_AREA_CODE_NOT_TOP_LEVEL = "set_issue_area_code_not_top_level", Invalid;
    /// Tie-breaking criterion `{code}` is not in the set.
    SET_ISSUE_UNKNOWN_TIE_BREAKER = "set_issue_unknown_tie_breaker", Invalid;
    /// Criterion `{code}` differs in source from its bonus/deduction block `{parent}`.
    SET_ISSUE_SOURCE_NOT_AS_BLOCK = "set_issue_source_not_as_block", Invalid;
    /// An index set with code `{set}` exists already.
    SET_CODE_TAKEN = "set_code_taken", Conflict;
    /// Index set `{set}` has no criterion `{node}`.
    SET_NODE_NOT_FOUND = "set_node_not_found", NotFound;
    /// A new criterion was refused: `{count}` problems, listed in the details, each naming
    /// its `{field}` first.
    SET_NODE_REFUSED = "set_node_refused", Invalid;
    /// `{field}`: code `{code}` is not directly under criterion `{parent}`.
    SET_NODE_CODE_NOT_UNDER = "set_node_code_not_under", Invalid;
    /// `{field}`: area code `{code}` has more than one level.
    SET_NODE_CODE_NOT_AREA = "set_node_code_not_area", Invalid;
}
