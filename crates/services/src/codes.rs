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

    // ---- surveys ------------------------------------------------------------------------
    /// No survey `{survey}` in the period.
    SURVEY_NOT_FOUND = "survey_not_found", NotFound;
    /// The period already has a survey `{survey}`.
    SURVEY_EXISTS = "survey_exists", Conflict;
    /// A mistake in a survey's definition: `{problem}` says which and where.
    SURVEY_DEFINITION_INVALID = "survey_definition_invalid", Invalid;
    /// Survey `{survey}` is closed: reopen it to change it or add answers.
    SURVEY_CLOSED = "survey_closed", Conflict;
    /// A survey keeps its code `{survey}` (`{field}` = `code`).
    SURVEY_CODE_FIXED = "survey_code_fixed", Invalid;
    /// The survey feeds no leaf `{leaf}`.
    SURVEY_LEAF_UNKNOWN = "survey_leaf_unknown", NotFound;
    /// A decision needs its reason (`{field}` = `reason`).
    SURVEY_REASON_REQUIRED = "survey_reason_required", Invalid;
    /// Points `{value}` typed for a decision are not a number from 0 to `{max}` (`{field}`).
    SURVEY_POINTS_INVALID = "survey_points_invalid", Invalid;
    /// Unit `{unit}` has fewer valid answers on `{leaf}` than the minimum and awaits a decision.
    SURVEY_UNDECIDED = "survey_undecided", Conflict;
    /// The questionnaire link is unknown or revoked.
    SURVEY_LINK_INVALID = "survey_link_invalid", NotFound;
    /// The questionnaire link has been used as many times as allowed, or the survey is closed.
    SURVEY_LINK_USED_UP = "survey_link_used_up", Conflict;
    /// This questionnaire was already submitted.
    SURVEY_SUBMITTED = "survey_submitted", Conflict;
    /// An answer `{answer}` to `{question}` about `{unit}` is none of the options.
    SURVEY_ANSWER_INVALID = "survey_answer_invalid", Invalid;
    /// A link count `{value}` outside 1..`{max}` (`{field}`).
    SURVEY_LINK_COUNT_INVALID = "survey_link_count_invalid", Invalid;
    /// The file holds no answer of the survey.
    SURVEY_FILE_EMPTY = "survey_file_empty", Invalid;

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

    // ---- completeness before approval ---------------------------------------------------
    /// `{count}` gaps have no reason; each is in the details (`{unit}`, `{node}`, `{field}`).
    APPROVAL_INCOMPLETE = "approval_incomplete", Conflict;
    /// Leaf `{node}` of unit `{unit}` (survey or monitoring data) has no value.
    GAP_NO_VALUE = "gap_no_value", Conflict;
    /// Unit `{unit}` has not answered the explanation requested on leaf `{node}`.
    GAP_OPEN_EXPLANATION = "gap_open_explanation", Conflict;

    // ---- publication ----------------------------------------------------------------------
    /// The decision number is missing (`{field}` = `decision`).
    PUBLICATION_DECISION_REQUIRED = "publication_decision_required", Invalid;
    /// The decision number is longer than `{max}` characters (`{field}` = `decision`).
    PUBLICATION_DECISION_TOO_LONG = "publication_decision_too_long", Invalid;
    /// The decision's date `{date}` is after today (`{field}` = `decided_on`).
    PUBLICATION_DATE_FUTURE = "publication_date_future", Invalid;
    /// A correction needs its reason (`{field}` = `reason`).
    PUBLICATION_REASON_REQUIRED = "publication_reason_required", Invalid;
    /// Period `{period}` has no computed results to publish.
    PUBLICATION_NOT_COMPUTED = "publication_not_computed", Conflict;
    /// Period `{period}` is not approved: `{count}` units are not finalised (`{units}`).
    PUBLICATION_NOT_APPROVED = "publication_not_approved", Conflict;
    /// The results of `{period}` were computed again while the publication was prepared.
    PUBLICATION_STALE = "publication_stale", Conflict;
    /// Period `{period}` is published; a new version needs a correction opened first.
    PUBLICATION_EXISTS = "publication_exists", Conflict;
    /// Period `{period}` is not published, or a correction is already open.
    CORRECTION_NOT_POSSIBLE = "correction_not_possible", Conflict;
    /// The results of period `{period}` are not published yet.
    RESULTS_NOT_PUBLISHED = "results_not_published", NotFound;
    /// Period `{period}` has no published version `{version}`.
    PUBLICATION_VERSION_NOT_FOUND = "publication_version_not_found", NotFound;
    /// `{file}` is not a PDF file: the signed decision is kept as a PDF (`{field}` = `decision_file`).
    PUBLICATION_FILE_NOT_PDF = "publication_file_not_pdf", Invalid;
    /// Version `{version}` of period `{period}` was published without the decision's file.
    PUBLICATION_FILE_NOT_FOUND = "publication_file_not_found", NotFound;

    // ---- analysis and what-if -----------------------------------------------------------
    /// Period `{period}` has no group `{group}` with results.
    ANALYSIS_GROUP_NOT_FOUND = "analysis_group_not_found", NotFound;
    /// The hypothetical points `{value}` of leaf `{leaf}` are not a number from 0 to `{max}`
    /// (`{field}`).
    WHATIF_POINTS_INVALID = "whatif_points_invalid", Invalid;
    /// Leaf `{leaf}` cannot take hypothetical points (not applicable, a bonus or a deduction;
    /// `{field}`).
    WHATIF_LEAF_NOT_IMPROVABLE = "whatif_leaf_not_improvable", Invalid;
    /// The results of unit `{unit}` were computed on another version of the index set:
    /// compute the period again.
    WHATIF_SET_CHANGED = "whatif_set_changed", Conflict;

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

    // ---- period administration ----------------------------------------------------------
    /// Period code `{value}` is not valid.
    PERIOD_CODE_INVALID = "period_code_invalid", Invalid;
    /// The period has no name.
    PERIOD_NAME_REQUIRED = "period_name_required", Invalid;
    /// Year `{value}` is outside `{min}`–`{max}`.
    PERIOD_YEAR_INVALID = "period_year_invalid", Invalid;
    /// No period `{value}` to compare with.
    PERIOD_PREVIOUS_UNKNOWN = "period_previous_unknown", Invalid;
    /// A period `{code}` already exists.
    PERIOD_CODE_TAKEN = "period_code_taken", Conflict;
    /// The group has no name.
    PERIOD_GROUP_REQUIRED = "period_group_required", Invalid;
    /// The period has no group `{group}`.
    PERIOD_GROUP_UNKNOWN = "period_group_unknown", Invalid;
    /// No index set `{set}` to choose.
    PERIOD_SET_UNKNOWN = "period_set_unknown", Invalid;
    /// Group `{group}` still has `{n}` units.
    PERIOD_GROUP_NOT_EMPTY = "period_group_not_empty", Conflict;
    /// No unit was chosen.
    PERIOD_UNITS_NONE_CHOSEN = "period_units_none_chosen", Invalid;
    /// No unit `{unit}` to add.
    PERIOD_UNIT_UNKNOWN = "period_unit_unknown", Invalid;
    /// `{kind}` is not a kind of unit.
    PERIOD_KIND_UNKNOWN = "period_kind_unknown", Invalid;
    /// Unit `{unit}` takes no part in the period.
    PERIOD_NOT_MEMBER = "period_not_member", Invalid;
    /// Unit `{unit}` has started its self-assessment.
    PERIOD_MEMBER_STARTED = "period_member_started", Conflict;
    /// `{field}`: withdrawing unit `{unit}` from the period needs a reason.
    WITHDRAW_REASON_REQUIRED = "withdraw_reason_required", Invalid;
    /// The self-assessment of unit `{unit}` cannot be closed before the deadline `{deadline}`
    /// (dd/mm/yyyy, the last day of self-assessment; `—` when the plan sets none).
    CLOSE_BEFORE_DEADLINE = "close_before_deadline", Conflict;
    /// The milestone plan is not valid: `{count}` problems, each with its `field` (milestone).
    PLAN_INVALID = "plan_invalid", Invalid;

    // ---- accounts and API tokens --------------------------------------------------------
    /// No user `{login}`.
    USER_NOT_FOUND = "user_not_found", NotFound;
    /// The API token is unknown, expired or revoked, or its owner is disabled.
    TOKEN_INVALID = "token_invalid", Unauthenticated;
    /// A read-only API token cannot change anything.
    TOKEN_READ_ONLY = "token_read_only", Forbidden;
    /// The token needs a name.
    TOKEN_NAME_REQUIRED = "token_name_required", Invalid;
    /// The token's validity `{value}` is outside `{min}`–`{max}` days.
    TOKEN_VALIDITY_INVALID = "token_validity_invalid", Invalid;
    /// The scope `{value}` is neither `read` nor `write`.
    TOKEN_SCOPE_INVALID = "token_scope_invalid", Invalid;
    /// Tokens are created by a signed-in person, not with another token.
    TOKEN_NEEDS_SIGN_IN = "token_needs_sign_in", Forbidden;
    /// No API token `{id}` among those the caller may see.
    TOKEN_NOT_FOUND = "token_not_found", NotFound;

    // ---- review: appraisal, explanations, approval, reopening -----------------------------
    /// Self-assessment has not opened yet.
    WORKFLOW_NOT_OPEN_SELF = "workflow_not_open_self", Conflict;
    /// Appraisal has not opened yet.
    WORKFLOW_NOT_OPEN_APPRAISAL = "workflow_not_open_appraisal", Conflict;
    /// The explanation window has not opened yet.
    WORKFLOW_NOT_OPEN_EXPLANATION = "workflow_not_open_explanation", Conflict;
    /// Re-appraisal has not opened yet.
    WORKFLOW_NOT_OPEN_REAPPRAISAL = "workflow_not_open_reappraisal", Conflict;
    /// Approval has not opened yet.
    WORKFLOW_NOT_OPEN_APPROVAL = "workflow_not_open_approval", Conflict;
    /// Self-assessment has closed.
    WORKFLOW_CLOSED_SELF = "workflow_closed_self", Conflict;
    /// Appraisal has closed.
    WORKFLOW_CLOSED_APPRAISAL = "workflow_closed_appraisal", Conflict;
    /// The explanation window has closed.
    WORKFLOW_CLOSED_EXPLANATION = "workflow_closed_explanation", Conflict;
    /// Re-appraisal has closed.
    WORKFLOW_CLOSED_REAPPRAISAL = "workflow_closed_reappraisal", Conflict;
    /// Approval has closed.
    WORKFLOW_CLOSED_APPROVAL = "workflow_closed_approval", Conflict;
    /// The unit has submitted and can no longer edit.
    WORKFLOW_ALREADY_SUBMITTED = "workflow_already_submitted", Conflict;
    /// There is no self-assessment to submit.
    WORKFLOW_NOTHING_TO_SUBMIT = "workflow_nothing_to_submit", Conflict;
    /// The unit has not submitted its self-assessment.
    WORKFLOW_NOT_SUBMITTED = "workflow_not_submitted", Conflict;
    /// Appraisal of the assessment has not started.
    WORKFLOW_APPRAISAL_NOT_STARTED = "workflow_appraisal_not_started", Conflict;
    /// Appraisal of the assessment has already started.
    WORKFLOW_APPRAISAL_ALREADY_STARTED = "workflow_appraisal_already_started", Conflict;
    /// The unit has answered; a period has one explanation round.
    WORKFLOW_EXPLANATION_ROUND_OVER = "workflow_explanation_round_over", Conflict;
    /// No explanation was requested from the unit.
    WORKFLOW_NO_EXPLANATION_REQUESTED = "workflow_no_explanation_requested", Conflict;
    /// The unit is not appraised yet.
    WORKFLOW_NOT_APPRAISED = "workflow_not_appraised", Conflict;
    /// The appraisal is approved; the scores are locked.
    WORKFLOW_LOCKED = "workflow_locked", Conflict;
    /// The results are published.
    WORKFLOW_PUBLISHED = "workflow_published", Conflict;
    /// The unit is still in self-assessment; nothing to reopen.
    WORKFLOW_NOTHING_TO_REOPEN = "workflow_nothing_to_reopen", Conflict;
    /// The self-assessment deadline has not passed; an unsubmitted self-assessment cannot be
    /// closed yet.
    WORKFLOW_DEADLINE_NOT_REACHED = "workflow_deadline_not_reached", Conflict;
    /// The unit did not submit and its self-assessment was closed; it can no longer edit.
    WORKFLOW_CLOSED_UNSUBMITTED = "workflow_closed_unsubmitted", Conflict;
    /// The unit's self-assessment is already closed as not submitted.
    WORKFLOW_ALREADY_CLOSED = "workflow_already_closed", Conflict;
    /// Leaf `{node}` is not a leaf of set `{set}`.
    LEAF_NOT_IN_SET = "leaf_not_in_set", NotFound;
    /// Leaf `{node}` takes its points from surveys or monitoring data; it is not appraised.
    LEAF_NOT_APPRAISED_SOURCE = "leaf_not_appraised_source", Invalid;
    /// `{field}`: no appraised value for leaf `{node}`.
    APPRAISAL_VALUE_REQUIRED = "appraisal_value_required", Invalid;
    /// `{field}`: the value of leaf `{node}` does not fit its method: `{detail}`.
    APPRAISAL_VALUE_INVALID = "appraisal_value_invalid", Invalid;
    /// `{field}`: `{value}` typed for leaf `{node}` is not a Vietnamese-written number.
    APPRAISAL_NOT_A_NUMBER = "appraisal_not_a_number", Invalid;
    /// `{field}`: `{value}` typed for leaf `{node}` must be a whole number.
    APPRAISAL_NOT_WHOLE = "appraisal_not_whole", Invalid;
    /// `{field}`: `{value}` typed for leaf `{node}` reads as `{thousands}` or `{decimal}`.
    APPRAISAL_AMBIGUOUS_NUMBER = "appraisal_ambiguous_number", Invalid;
    /// `{field}`: a comment is required on leaf `{node}`, appraised `{appraised}` against the
    /// unit's `{self}`.
    APPRAISAL_COMMENT_REQUIRED = "appraisal_comment_required", Invalid;
    /// Leaf `{node}` was appraised meanwhile by `{by}` at `{at}`: `{points}` points, version
    /// `{current}`.
    APPRAISAL_STALE = "appraisal_stale", Conflict;
    /// After the explanation round only the leaves the unit answered are re-appraised
    /// (`{node}` is not one).
    REAPPRAISAL_ONLY_ANSWERED = "reappraisal_only_answered", Conflict;
    /// `{field}`: the explanation request has no text.
    EXPLANATION_QUESTION_REQUIRED = "explanation_question_required", Invalid;
    /// Leaf `{node}` already has its explanation request.
    EXPLANATION_ALREADY_REQUESTED = "explanation_already_requested", Conflict;
    /// `{field}`: reopening needs a reason.
    REOPEN_REASON_REQUIRED = "reopen_reason_required", Invalid;
    /// Period `{period}` is published; its appraisal cannot change.
    REVIEW_PERIOD_PUBLISHED = "review_period_published", Conflict;
    /// Period `{period}` has no units to approve.
    APPROVAL_NO_UNITS = "approval_no_units", Conflict;
    /// `{n}` units are not appraised yet: `{units}`.
    APPROVAL_NOT_APPRAISED = "approval_not_appraised", Conflict;
    /// A unit's assessment changed since the approval page was read.
    APPROVAL_CONFLICT = "approval_conflict", Conflict;
    /// Leaf `{node}` has no self-assessed value to agree with.
    APPRAISAL_NO_SELF_VALUE = "appraisal_no_self_value", Invalid;
    /// Unit `{unit}` has no leaf left to confirm as self-assessed.
    APPRAISAL_NOTHING_TO_CONFIRM = "appraisal_nothing_to_confirm", Conflict;
    /// A leaf of unit `{unit}` was appraised by someone else meanwhile; nothing was confirmed.
    APPRAISAL_CONFIRM_CONFLICT = "appraisal_confirm_conflict", Conflict;
    /// No unit of period `{period}` is finalised: no approval to reopen.
    APPROVAL_NOTHING_TO_REOPEN = "approval_nothing_to_reopen", Conflict;
    /// The period's results cannot be computed (`{reason}` is the computation's code, the
    /// problems are in the details); nothing was approved.
    APPROVAL_COMPUTE_FAILED = "approval_compute_failed", Invalid;
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

    // ---- units administration and reorganisations ----------------------------------------
    /// A unit or a reorganisation was refused: `{count}` problems, listed in the details,
    /// each naming its `{field}` first.
    UNIT_REFUSED = "unit_refused", Invalid;
    /// `{field}`: a new unit needs a code.
    UNIT_CODE_REQUIRED = "unit_code_required", Invalid;
    /// `{field}`: `{code}` is the address of an administration page, not a unit code.
    UNIT_CODE_RESERVED = "unit_code_reserved", Invalid;
    /// `{field}`: a unit with code `{code}` exists already.
    UNIT_CODE_TAKEN = "unit_code_taken", Invalid;
    /// `{field}`: no unit with code `{code}` is recorded.
    UNIT_UNKNOWN = "unit_unknown", Invalid;
    /// `{field}`: the unit has no name.
    UNIT_NAME_REQUIRED = "unit_name_required", Invalid;
    /// `{field}`: the name is longer than `{max}` characters.
    UNIT_NAME_TOO_LONG = "unit_name_too_long", Invalid;
    /// `{field}`: the unit has no kind.
    UNIT_KIND_REQUIRED = "unit_kind_required", Invalid;
    /// `{field}`: a unit cannot belong to itself.
    UNIT_PARENT_SELF = "unit_parent_self", Invalid;
    /// `{field}`: `{parent}` belongs to the unit and cannot be its parent.
    UNIT_PARENT_CYCLE = "unit_parent_cycle", Invalid;
    /// `{field}`: the unit would end before it starts.
    UNIT_DATES_REVERSED = "unit_dates_reversed", Invalid;
    /// `{field}`: a reorganisation needs the day it takes effect.
    REORG_EFFECTIVE_REQUIRED = "reorg_effective_required", Invalid;
    /// `{field}`: the decision reference is longer than `{max}` characters.
    REORG_BASIS_TOO_LONG = "reorg_basis_too_long", Invalid;
    /// `{field}`: a split names no unit to split.
    REORG_SPLIT_NEEDS_PREDECESSOR = "reorg_split_needs_predecessor", Invalid;
    /// `{field}`: a split needs two resulting units, one other than the unit split.
    REORG_SPLIT_NEEDS_TWO = "reorg_split_needs_two", Invalid;
    /// `{field}`: a merger into a new unit needs two merged units.
    REORG_MERGER_NEEDS_TWO = "reorg_merger_needs_two", Invalid;
    /// `{field}`: a merger into an existing unit needs a merged unit other than it.
    REORG_MERGER_NEEDS_OTHER = "reorg_merger_needs_other", Invalid;
    /// `{field}`: a merger into an existing unit names no receiving unit.
    REORG_MERGER_NEEDS_SUCCESSOR = "reorg_merger_needs_successor", Invalid;
    /// `{field}`: a merger says neither an existing nor a new unit receives it.
    REORG_MERGER_TARGET_REQUIRED = "reorg_merger_target_required", Invalid;
    /// `{field}`: the lineage edge `{from}` → `{to}` is recorded already.
    REORG_LINEAGE_EXISTS = "reorg_lineage_exists", Invalid;
    /// `{field}`: the units or lineage changed while the reorganisation was being recorded.
    REORG_RECORDED_MEANWHILE = "reorg_recorded_meanwhile", Conflict;

    // ---- accounts: passwords and the user list ------------------------------------------
    /// The password is longer than `{max}` characters.
    PASSWORD_TOO_LONG = "password_too_long", Invalid;
    /// The new password and its confirmation differ.
    PASSWORD_MISMATCH = "password_mismatch", Invalid;
    /// The current password given is not the account's.
    CURRENT_PASSWORD_WRONG = "current_password_wrong", Invalid;
    /// The new user has no name.
    USER_NAME_REQUIRED = "user_name_required", Invalid;
    /// Login `{login}` is taken.
    LOGIN_TAKEN = "login_taken", Conflict;
    /// Administrators cannot disable their own account.
    CANNOT_DISABLE_SELF = "cannot_disable_self", Conflict;
    /// `{email}` is not one valid e-mail address (`{field}`: the form field).
    EMAIL_INVALID = "email_invalid", Invalid;

    // ---- write API: uploads and score imports ------------------------------------------
    /// File `{file}` is larger than the `{limit}` bytes accepted.
    FILE_TOO_LARGE = "file_too_large", TooLarge;
    /// `{file}`: the name is empty, too long, or holds characters that are not allowed.
    EVIDENCE_NAME_INVALID = "evidence_name_invalid", Invalid;
    /// `{file}`: this kind of file is not accepted; `{accepted}` are.
    EVIDENCE_TYPE_NOT_ALLOWED = "evidence_type_not_allowed", Invalid;
    /// `{file}` is empty.
    EVIDENCE_EMPTY = "evidence_empty", Invalid;
    /// `{file}` is not the `{expected}` its name claims.
    EVIDENCE_KIND_MISMATCH = "evidence_kind_mismatch", Invalid;
    /// Evidence files were refused: `{count}` problems, listed in the details, each naming
    /// its `{file}`. Nothing was stored.
    EVIDENCE_FILES_REFUSED = "evidence_files_refused", Invalid;
    /// No store for evidence files is configured; retry once it is.
    EVIDENCE_STORAGE_MISSING = "evidence_storage_missing", Unavailable;
    /// No scores file was sent, or it is empty.
    SCORES_FILE_MISSING = "scores_file_missing", Invalid;
    /// A scores file may only bring survey and monitoring-data leaves: `{count}` values of
    /// other leaves, listed in the details. Nothing was imported.
    SCORES_ONLY_MEASURED = "scores_only_measured", Invalid;
    /// Leaf `{node}` of unit `{unit}` is assessed by the unit and appraised, not imported.
    SCORES_LEAF_NOT_MEASURED = "scores_leaf_not_measured", Invalid;

    // ---- survey and monitoring-data values entered in the app ---------------------------
    /// `{count}` typed values were refused, listed in the details (each naming its `{unit}`
    /// and `{node}`); nothing was saved.
    MEASURED_REFUSED = "measured_refused", Invalid;
    /// `{node}` is not a survey or data leaf of unit `{unit}`'s index set in this period.
    MEASURED_LEAF_UNKNOWN = "measured_leaf_unknown", Invalid;
    /// Unit `{unit}`, leaf `{node}`: “{value}” is not a number written the Vietnamese way.
    MEASURED_NOT_A_NUMBER = "measured_not_a_number", Invalid;
    /// Unit `{unit}`, leaf `{node}`: “{value}” must be a whole number.
    MEASURED_NOT_WHOLE = "measured_not_whole", Invalid;
    /// Unit `{unit}`, leaf `{node}`: “{value}” reads as `{thousands}` or `{decimal}`.
    MEASURED_AMBIGUOUS_NUMBER = "measured_ambiguous_number", Invalid;
    /// Unit `{unit}`, leaf `{node}`: “{value}” is refused by the leaf's method: `{detail}`
    /// (above the maximum, a ratio over 100 %…).
    MEASURED_VALUE_INVALID = "measured_value_invalid", Invalid;
    /// Unit `{unit}`, leaf `{node}`: changed by `{by}` at `{at}` since the page was shown
    /// (version `{current}` now).
    MEASURED_STALE = "measured_stale", Conflict;
    /// Unit `{unit}` is approved: its value of `{node}` cannot change.
    MEASURED_UNIT_APPROVED = "measured_unit_approved", Conflict;
    /// Values of period `{period}` changed while saving; nothing was saved.
    MEASURED_CHANGED_MEANWHILE = "measured_changed_meanwhile", Conflict;
    /// The file, or the stored values it changes, are no longer those of the preview of
    /// period `{period}`; nothing was imported.
    MEASURED_PREVIEW_STALE = "measured_preview_stale", Conflict;
    /// The previewed file has `{count}` problems; nothing was imported.
    MEASURED_PREVIEW_PROBLEMS = "measured_preview_problems", Invalid;
}
