//! The catalog of file problem codes. Every problem a reader can find in an imported file is
//! declared here once; `ALL` lists them so that adapters can be checked to translate each one
//! (`crates/formats/locales/{vi,en}/files.yml` holds `file.<code>` for every code, and a test
//! enforces it).
//!
//! Arguments a code carries are named in its doc comment; the texts use them as `{name}`
//! placeholders. `{reason}`, `{what}`, `{criterion}` (in a YAML file) and `{kind}` may be
//! nested problems rather than text (see [`crate::Problem`]).

use crate::error::ProblemCode;

macro_rules! codes {
    ($( $(#[$doc:meta])* $id:ident = $name:literal; )*) => {
        $( $(#[$doc])* pub const $id: ProblemCode = ProblemCode::new($name); )*
        /// Every code, in declaration order.
        pub const ALL: &[ProblemCode] = &[$($id),*];
    };
}

codes! {
    // ---- the file as a whole ---------------------------------------------------------
    /// More problems than are listed: `{max}` is how many were kept.
    TOO_MANY_ERRORS = "too_many_errors";
    /// The file is `{size}`, above the `{max}` its format allows.
    FILE_TOO_LARGE = "file_too_large";
    /// The extension is not one this import reads; `{accepted}` lists those it does.
    FORMAT_UNSUPPORTED = "format_unsupported";
    /// The file could not be read from disk; `{error}` is the system's reason.
    FILE_UNREADABLE = "file_unreadable";
    /// Text with a byte order mark that does not decode in `{encoding}`.
    ENCODING_INVALID = "encoding_invalid";
    /// Text without a byte order mark that is not UTF-8 (a legacy Excel export).
    NOT_UTF8 = "not_utf8";
    /// Nothing but blank or comment lines: no header row.
    FILE_EMPTY = "file_empty";
    /// A control character (`{char}`, as `U+0000`) that no text may hold.
    CONTROL_CHAR = "control_char";
    /// A rule of the domain model refused what the file describes; `{text}` is the model's own
    /// wording.
    DOMAIN_RULE = "domain_rule";

    // ---- rows, columns and cells -----------------------------------------------------
    /// More than `{max}` rows.
    TOO_MANY_ROWS = "too_many_rows";
    /// A row of `{cells}` cells, above `{max}` columns.
    ROW_TOO_MANY_COLUMNS = "row_too_many_columns";
    /// More than `{max}` cells in the file.
    TOO_MANY_CELLS = "too_many_cells";
    /// The CSV reader failed on the row; `{error}` is its reason.
    CSV_ROW_UNREADABLE = "csv_row_unreadable";
    /// A cell of `{length}` characters, above `{max}`.
    CELL_TOO_LONG = "cell_too_long";
    /// A comma-delimited row longer than its header of `{columns}` columns; `{values}` are the
    /// cells beyond it (an unquoted decimal comma, most often).
    ROW_WIDER_THAN_HEADER = "row_wider_than_header";
    /// `{value}` sits in a column without a header.
    CELL_WITHOUT_HEADER = "cell_without_header";
    /// A required `{column}` column is absent.
    MISSING_COLUMN = "missing_column";
    /// A `{column}` header this file does not have; `{accepted}` lists those it does.
    COLUMN_UNSUPPORTED = "column_unsupported";
    /// `{value}` is not a date `dd/mm/yyyy`.
    DATE_INVALID = "date_invalid";

    // ---- Excel workbooks -------------------------------------------------------------
    /// The workbook cannot be opened; `{error}` is the reader's reason.
    XLSX_UNOPENABLE = "xlsx_unopenable";
    /// The spreadsheet reader broke on the file; `{error}` is what it said.
    XLSX_BROKEN = "xlsx_broken";
    /// A package of `{entries}` parts, above `{max}`.
    XLSX_TOO_MANY_ENTRIES = "xlsx_too_many_entries";
    /// Shared strings that expand to `{size}`, above `{max}`.
    XLSX_SHARED_STRINGS_TOO_LARGE = "xlsx_shared_strings_too_large";
    /// A package that expands to `{size}`, above `{max}`.
    XLSX_TOO_LARGE_UNCOMPRESSED = "xlsx_too_large_uncompressed";
    /// A workbook announcing `{count}` shared strings, above `{max}`.
    XLSX_TOO_MANY_SHARED_STRINGS = "xlsx_too_many_shared_strings";
    /// A workbook without any sheet.
    XLSX_NO_SHEETS = "xlsx_no_sheets";
    /// Sheet `{sheet}` cannot be read; `{error}` is the reader's reason.
    SHEET_UNREADABLE = "sheet_unreadable";
    /// Sheet `{sheet}` has no header row.
    SHEET_EMPTY = "sheet_empty";
    /// Where in a workbook: sheet `{sheet}`, cell `{cell}` (`B4`); `{reason}` says what is
    /// wrong there.
    SHEET_CELL = "sheet_cell";
    /// Where in a workbook: sheet `{sheet}`; `{reason}` says what is wrong there.
    ON_SHEET = "on_sheet";
    /// A value beyond the `{rows}` rows and `{columns}` columns read (up to column
    /// `{last_column}`).
    OUTSIDE_READABLE_AREA = "outside_readable_area";
    /// More than `{cells}` cells or `{text}` of text in a sheet.
    SHEET_TOO_LARGE = "sheet_too_large";
    /// A workbook without a sheet of criteria.
    XLSX_NO_CRITERIA_SHEET = "xlsx_no_criteria_sheet";

    // ---- codes and names -------------------------------------------------------------
    /// An empty code or name.
    ID_EMPTY = "id_empty";
    /// Code `{value}` holds characters other than letters, digits, `-`, `_` and `.`.
    ID_BAD_CHARS = "id_bad_chars";
    /// Criterion code `{value}` is not dotted letters and digits.
    ID_BAD_NODE_CODE = "id_bad_node_code";
    /// `{value}` is longer than `{max}` characters.
    ID_TOO_LONG = "id_too_long";

    // ---- unit lists ------------------------------------------------------------------
    /// A row without a unit code.
    UNIT_CODE_MISSING = "unit_code_missing";
    /// A unit code that cannot be read; `{reason}` says why.
    UNIT_CODE_INVALID = "unit_code_invalid";
    /// Unit `{unit}` is on two rows; `{first_row}` is the first.
    UNIT_CODE_DUPLICATE = "unit_code_duplicate";
    /// A row without a unit name.
    UNIT_NAME_MISSING = "unit_name_missing";
    /// A row without a group.
    GROUP_MISSING = "group_missing";
    /// A group name that cannot be read; `{reason}` says why.
    GROUP_INVALID = "group_invalid";
    /// Unit kind `{kind}` is not one of the known kinds.
    UNIT_KIND_INVALID = "unit_kind_invalid";
    /// `{value}` is neither yes nor no in the ranked column.
    RANKED_INVALID = "ranked_invalid";
    /// The end date `{end}` is before the start date `{start}`.
    DATES_REVERSED = "dates_reversed";
    /// A unit named as its own parent.
    UNIT_OWN_PARENT = "unit_own_parent";
    /// A parent code that cannot be read; `{reason}` says why.
    PARENT_CODE_INVALID = "parent_code_invalid";
    /// A unit named as its own predecessor.
    UNIT_OWN_PREDECESSOR = "unit_own_predecessor";
    /// Predecessor `{code}` cannot be read; `{reason}` says why.
    PREDECESSOR_CODE_INVALID = "predecessor_code_invalid";
    /// The date `{date}` given to predecessor `{unit}` is not `dd/mm/yyyy`.
    PREDECESSOR_DATE_INVALID = "predecessor_date_invalid";
    /// Predecessor `{unit}` is written twice on the row.
    PREDECESSOR_TWICE = "predecessor_twice";
    /// Parent `{parent}` is not a unit of the file.
    PARENT_NOT_IN_FILE = "parent_not_in_file";
    /// The parents of `{unit}` lead back to it.
    PARENT_CYCLE = "parent_cycle";

    // ---- results of a previous period ------------------------------------------------
    /// A row without an index.
    INDEX_MISSING = "index_missing";
    /// Index `{value}` is not a non-negative number.
    INDEX_INVALID = "index_invalid";
    /// Rank `{value}` is not a positive whole number.
    RANK_INVALID = "rank_invalid";
    /// Streak `{value}` is not a whole number.
    STREAK_INVALID = "streak_invalid";
    /// Unit `{unit}` appears again; `{first_row}` is its first row.
    UNIT_TWICE = "unit_twice";
    /// Unit `{unit}` appears again in a JSON list; `{first_item}` is its first item.
    UNIT_TWICE_ITEM = "unit_twice_item";
    /// Not JSON; `{error}` is the parser's reason.
    JSON_INVALID = "json_invalid";
    /// A JSON object without its `units` list.
    JSON_UNITS_MISSING = "json_units_missing";
    /// JSON that is neither a list nor an object with `units`.
    JSON_NOT_OBJECT = "json_not_object";
    /// Where in a JSON file: item `{item}` of `units`; `{reason}` says what is wrong there.
    JSON_ITEM = "json_item";

    // ---- score files -----------------------------------------------------------------
    /// A score file without its `unit` column.
    SCORES_UNIT_COLUMN_MISSING = "scores_unit_column_missing";
    /// A long score file with `criterion` but no `value` column.
    SCORES_VALUE_COLUMN_MISSING = "scores_value_column_missing";
    /// A long score file with `value` but no `criterion` column.
    SCORES_CRITERION_COLUMN_MISSING = "scores_criterion_column_missing";
    /// Unit `{unit}` is not in the period's unit list.
    UNIT_UNKNOWN = "unit_unknown";
    /// A criterion code that cannot be read; `{reason}` says why.
    CRITERION_CODE_INVALID = "criterion_code_invalid";
    /// Criterion `{criterion}` has sub-criteria; values go to leaves only.
    CRITERION_NOT_LEAF = "criterion_not_leaf";
    /// Criterion `{criterion}` is not in the index set.
    CRITERION_UNKNOWN = "criterion_unknown";
    /// About criterion `{criterion}`; `{reason}` says what is wrong with it.
    CRITERION = "criterion";
    /// Unit `{unit}` has a second value for `{criterion}`; `{first_row}` holds the first.
    VALUE_TWICE = "value_twice";
    /// Value `{value}` and note `{note}` read as one decimal cut by an unquoted comma.
    VALUE_SPLIT_BY_COMMA = "value_split_by_comma";
    /// Criterion `{criterion}` has a second column; `{first_column}` is the first.
    CRITERION_TWO_COLUMNS = "criterion_two_columns";
    /// Column `{column}` of a wide score file is not a leaf criterion; `{reason}` says why.
    COLUMN_NOT_LEAF = "column_not_leaf";

    // ---- values (as a scoring method reads them) -------------------------------------
    /// `{value}` is not yes, no or not applicable.
    VALUE_NOT_YES_NO = "value_not_yes_no";
    /// `{value}` is not a number.
    VALUE_NOT_NUMBER = "value_not_number";
    /// `{value}` is neither `num/den` nor a percentage.
    VALUE_NOT_RATIO = "value_not_ratio";
    /// Ratio `{num}`/`{den}` with a zero denominator.
    RATIO_ZERO_DENOMINATOR = "ratio_zero_denominator";
    /// Ratio `{num}`/`{den}` whose numerator exceeds its denominator.
    RATIO_NUMERATOR_ABOVE = "ratio_numerator_above";
    /// Percentage `{value}` outside 0–100.
    PERCENT_OUT_OF_RANGE = "percent_out_of_range";
    /// Negative value `{value}`.
    VALUE_NEGATIVE = "value_negative";
    /// `{value}` is not one of the method's grades `{allowed}`.
    GRADE_UNKNOWN = "grade_unknown";
    /// Points `{value}` above the maximum `{max}`.
    ABOVE_MAX = "above_max";
    /// Points `{value}` not a multiple of the step `{step}`.
    NOT_ON_STEP = "not_on_step";
    /// "Not applicable" for a criterion that does not allow it.
    NOT_APPLICABLE_REFUSED = "not_applicable_refused";
    /// A value of kind `{kind}` the method cannot score.
    VALUE_WRONG_KIND = "value_wrong_kind";

    // ---- scoring methods and their parameters ----------------------------------------
    /// Method `{method}` is not one of `{accepted}`.
    METHOD_UNKNOWN = "method_unknown";
    /// Parameter `{param}` is written twice.
    PARAM_TWICE = "param_twice";
    /// Method `{method}` takes no parameter `{param}` (it takes none).
    PARAM_UNKNOWN = "param_unknown";
    /// Method `{method}` takes no parameter `{param}`; `{accepted}` are those it takes.
    PARAM_UNKNOWN_USE = "param_unknown_use";
    /// Method `{method}` got `{text}`, which is not `key=value`.
    PARAM_NOT_KEY_VALUE = "param_not_key_value";
    /// Method `{method}` got more than one list of levels.
    PARAM_ONE_LIST = "param_one_list";
    /// Parameter `{param}` is `{value}`, not a number.
    PARAM_NOT_NUMBER = "param_not_number";
    /// Method `count` without `per`.
    COUNT_NEEDS_PER = "count_needs_per";
    /// Method `deduction` without `per`.
    DEDUCTION_NEEDS_PER = "deduction_needs_per";
    /// Method `days_late` without `deadline`.
    DAYS_LATE_NEEDS_DEADLINE = "days_late_needs_deadline";
    /// Deadline `{value}` is not a date `dd/mm/yyyy`.
    DEADLINE_INVALID = "deadline_invalid";
    /// Basis `{value}` is neither `percent` nor `count`.
    BASIS_INVALID = "basis_invalid";
    /// A deadline given to levels that are not counted in days late.
    DEADLINE_ONLY_DAYS_LATE = "deadline_only_days_late";
    /// Levels without their list `threshold:points`.
    TIERS_NEEDED = "tiers_needed";
    /// Level `{item}` is not `threshold:points`.
    TIER_MALFORMED = "tier_malformed";
    /// A level's threshold `{value}` is not a number.
    TIER_MIN_NOT_NUMBER = "tier_min_not_number";
    /// A level's upper bound `{value}` is not a number.
    TIER_BELOW_NOT_NUMBER = "tier_below_not_number";
    /// A level's points `{value}` are not a number.
    TIER_POINTS_NOT_NUMBER = "tier_points_not_number";
    /// An empty list of levels.
    TIERS_EMPTY = "tiers_empty";
    /// Grade `{item}` is not `CODE:percent`.
    GRADE_MALFORMED = "grade_malformed";
    /// Grade `{item}` without its code.
    GRADE_CODE_MISSING = "grade_code_missing";
    /// A grade's percentage `{value}` is not a number.
    GRADE_PERCENT_NOT_NUMBER = "grade_percent_not_number";
    /// An empty list of grades.
    GRADES_EMPTY = "grades_empty";

    // ---- index sets ------------------------------------------------------------------
    /// A leaf criterion without its maximum.
    LEAF_WITHOUT_MAX = "leaf_without_max";
    /// A leaf criterion without its source of points.
    LEAF_WITHOUT_SOURCE = "leaf_without_source";
    /// A leaf criterion without its scoring method.
    LEAF_WITHOUT_METHOD = "leaf_without_method";
    /// An index set without its code.
    SET_CODE_MISSING = "set_code_missing";
    /// An index set without its name.
    SET_NAME_MISSING = "set_name_missing";
    /// An index set without its year.
    SET_YEAR_MISSING = "set_year_missing";
    /// A set code that cannot be read; `{reason}` says why.
    SET_CODE_INVALID = "set_code_invalid";
    /// Year `{value}` is not between 1990 and 2200.
    YEAR_INVALID = "year_invalid";
    /// Not-applicable policy `{value}` is neither `exclude` nor `full_points`.
    NA_INVALID = "na_invalid";
    /// Source `{value}` is not a source of points.
    SOURCE_INVALID = "source_invalid";
    /// Maximum `{value}` is not a number.
    MAX_NOT_NUMBER = "max_not_number";
    /// A class band without its label.
    BAND_LABEL_MISSING = "band_label_missing";
    /// The threshold `{value}` of class `{label}` is not a number.
    BAND_MIN_NOT_NUMBER = "band_min_not_number";
    /// Class `{item}` is not `name:threshold`.
    BAND_MALFORMED = "band_malformed";
    /// An empty list of classes.
    BANDS_EMPTY = "bands_empty";
    /// A tie-breaking criterion code that cannot be read; `{reason}` says why.
    TIE_BREAKER_NODE_INVALID = "tie_breaker_node_invalid";
    /// Tie-breaker `{kind}` is neither `source` nor `node`.
    TIE_BREAKER_KIND_INVALID = "tie_breaker_kind_invalid";

    // ---- index sets as a table (CSV, XLSX) -------------------------------------------
    /// Key `{key}` on the `set` sheet is not a field of a set.
    META_KEY_INVALID = "meta_key_invalid";
    /// Key `{key}` of a `# key: value` line is not a field of a set.
    META_LINE_KEY_INVALID = "meta_line_key_invalid";
    /// Line `# {text}` is not `# key: value`.
    META_LINE_MALFORMED = "meta_line_malformed";
    /// Key `{key}` is given again; `{first_row}` is the first.
    META_KEY_TWICE = "meta_key_twice";
    /// `renormalise_absent_areas` is neither true nor false.
    RENORMALISE_INVALID = "renormalise_invalid";
    /// The classes cannot be read; `{reason}` says why.
    CLASSES_INVALID = "classes_invalid";
    /// Ranking rule `{item}` cannot be read; `{reason}` says why.
    RANKING_ITEM_INVALID = "ranking_item_invalid";
    /// The classes of group `{group}` cannot be read; `{reason}` says why.
    GROUP_CLASSES_INVALID = "group_classes_invalid";
    /// A required field of the set is missing (`{reason}`); `{key}` is the line to add.
    META_REQUIRED = "meta_required";
    /// Criterion `{criterion}` named as its own parent.
    CRITERION_OWN_PARENT = "criterion_own_parent";
    /// A parent criterion code that cannot be read; `{reason}` says why.
    PARENT_CRITERION_CODE_INVALID = "parent_criterion_code_invalid";
    /// Criterion `{criterion}` is on two rows; `{first_row}` is the first.
    CRITERION_CODE_DUPLICATE = "criterion_code_duplicate";
    /// A row without the criterion's title.
    CRITERION_TITLE_MISSING = "criterion_title_missing";
    /// Parameters given without a method.
    PARAMS_WITHOUT_METHOD = "params_without_method";
    /// Parent `{parent}` of `{criterion}` is not a row of the table.
    PARENT_CRITERION_NOT_IN_TABLE = "parent_criterion_not_in_table";
    /// A table without any criterion.
    TABLE_NO_CRITERIA = "table_no_criteria";

    // ---- index sets in YAML ----------------------------------------------------------
    /// A document expanding past `{text}` of text or `{values}` values once aliases are
    /// replaced.
    YAML_TOO_LARGE = "yaml_too_large";
    /// Nesting beyond the parser's 128 levels.
    YAML_TOO_DEEP = "yaml_too_deep";
    /// Aliases repeated beyond the parser's limit.
    YAML_ALIAS_REPEATED = "yaml_alias_repeated";
    /// Not YAML; `{error}` is the parser's reason.
    YAML_INVALID = "yaml_invalid";
    /// An empty document.
    YAML_EMPTY = "yaml_empty";
    /// A document that is not a mapping of the set's fields.
    YAML_NOT_MAPPING = "yaml_not_mapping";
    /// Key `{key}` is written twice in one mapping.
    KEY_TWICE = "key_twice";
    /// Key `{key}` is not one of `{accepted}`.
    KEY_INVALID = "key_invalid";
    /// Key `{key}` is not a field of a set; `{accepted}` are.
    TOP_KEY_UNSUPPORTED = "top_key_unsupported";
    /// A set without its `nodes`.
    NODES_MISSING = "nodes_missing";
    /// Criterion `{criterion}` (a place when it has no code) is `{kind}`, not a mapping.
    NODE_NOT_MAPPING = "node_not_mapping";
    /// Criterion `{criterion}` (a place) has no code.
    NODE_CODE_MISSING = "node_code_missing";
    /// A criterion code that cannot be read; `{reason}` says why.
    NODE_CODE_INVALID = "node_code_invalid";
    /// A criterion code used before.
    CODE_DUPLICATE = "code_duplicate";
    /// A criterion without `title`.
    NODE_TITLE_MISSING = "node_title_missing";
    /// Key `{key}` holds `{kind}` instead of one value.
    NOT_SINGLE_VALUE = "not_single_value";
    /// `{what}` holds `{kind}` instead of a list.
    NOT_A_LIST = "not_a_list";
    /// `{what}` holds `{kind}` instead of a mapping of `{accepted}`.
    NOT_A_MAPPING = "not_a_mapping";
    /// In `{what}`, key `{key}` is not one of `{accepted}`.
    PLACE_KEY_INVALID = "place_key_invalid";
    /// In `{what}`, key `{key}` is written twice.
    PLACE_KEY_TWICE = "place_key_twice";
    /// In `{what}`, required key `{key}` is absent.
    PLACE_KEY_MISSING = "place_key_missing";
    /// In `{what}`, key `{key}` holds `{value}`, not a number.
    PLACE_NOT_NUMBER = "place_not_number";
    /// In `{what}`: `{reason}`.
    PLACE_PROBLEM = "place_problem";
    /// A method mapping with more than one key.
    METHOD_ONE_KEY = "method_one_key";
    /// A method written as a list.
    METHOD_NOT_LIST = "method_not_list";
    /// Method `{method}` takes no parameters.
    METHOD_NO_PARAMS = "method_no_params";
    /// Method `{method}` needs parameters, as in `{example}`.
    METHOD_NEEDS_PARAMS = "method_needs_params";
    /// Method `{method}` got parameters of the wrong shape.
    METHOD_PARAMS_INVALID = "method_params_invalid";
    /// `graded` given `{value}` instead of levels or `default`.
    GRADED_SCALAR_INVALID = "graded_scalar_invalid";
    /// `graded` holds `{kind}` instead of a list of levels.
    GRADED_NOT_LIST = "graded_not_list";
    /// `days_late` without `deadline`.
    DAYS_LATE_DEADLINE_MISSING = "days_late_deadline_missing";
    /// Method `{method}` got a deadline with a basis other than days late.
    LEVELS_DEADLINE_ONLY_DAYS_LATE = "levels_deadline_only_days_late";
    /// Method `{method}` got basis `{value}`.
    LEVELS_BASIS_INVALID = "levels_basis_invalid";
    /// Method `{method}` got both `levels` and `tiers`.
    LEVELS_OR_TIERS = "levels_or_tiers";
    /// Method `{method}` without its levels.
    LEVELS_MISSING = "levels_missing";
    /// Method `{method}` has levels that are `{kind}`, not a list.
    LEVELS_NOT_LIST = "levels_not_list";
    /// Method `{method}` has an empty list of levels.
    LEVELS_EMPTY = "levels_empty";
    /// `classes.groups` holds `{kind}` instead of a mapping of group names.
    CLASSES_GROUPS_NOT_MAPPING = "classes_groups_not_mapping";
    /// `classes` holds `{kind}` instead of a list of classes.
    CLASSES_NOT_LIST = "classes_not_list";
    /// `ranking.ties` is `{value}`, not `shared`.
    TIES_INVALID = "ties_invalid";
    /// In `{what}`, not exactly one of `source` and `node`.
    TIE_BREAKER_ONE_KEY = "tie_breaker_one_key";
    /// `ranking` holds `{kind}` instead of one of its forms.
    RANKING_INVALID = "ranking_invalid";

    // ---- survey questionnaires -------------------------------------------------------
    /// A questionnaire workbook without its sheet `{sheet}`.
    SURVEY_SHEET_MISSING = "survey_sheet_missing";
    /// Key `{key}` on the survey sheet is neither the code nor the name.
    SURVEY_KEY_INVALID = "survey_key_invalid";
    /// A survey without its `{key}` (code or name).
    SURVEY_FIELD_MISSING = "survey_field_missing";
    /// Code `{value}` is not letters without accents, digits, `-`, `_`, `.` (at most 32).
    SURVEY_CODE_INVALID = "survey_code_invalid";
    /// A required cell left empty.
    SURVEY_CELL_EMPTY = "survey_cell_empty";
    /// Respondent group `{group}` is on two rows; `{first_row}` is the first.
    RESPONDENT_GROUP_TWICE = "respondent_group_twice";
    /// Questionnaire kind `{value}` is neither `xhh` nor `sipas`.
    QUESTIONNAIRE_KIND_INVALID = "questionnaire_kind_invalid";
    /// A SIPAS questionnaire without the criterion its index feeds.
    SIPAS_LEAF_MISSING = "sipas_leaf_missing";
    /// A SIPAS criterion given to a sociological questionnaire.
    SIPAS_LEAF_NOT_SIPAS = "sipas_leaf_not_sipas";
    /// Target `{value}` is not a whole number of responses.
    TARGET_INVALID = "target_invalid";
    /// Respondent group `{group}` is not on the groups sheet; `{accepted}` are.
    RESPONDENT_GROUP_UNKNOWN = "respondent_group_unknown";
    /// Question `{question}` is on two rows of its group; `{first_row}` is the first.
    QUESTION_TWICE = "question_twice";
    /// A question mapped to neither a criterion nor a SIPAS factor.
    QUESTION_TARGET_MISSING = "question_target_missing";
    /// A question mapped to both a criterion and a SIPAS factor.
    QUESTION_TARGET_BOTH = "question_target_both";
    /// SIPAS factor `{value}` is not one of `{accepted}`.
    FACTOR_INVALID = "factor_invalid";
    /// Option `{option}` is on two rows of its group; `{first_row}` is the first.
    OPTION_TWICE = "option_twice";
    /// Option weight `{value}` is not a percentage from 0 to 100.
    OPTION_WEIGHT_INVALID = "option_weight_invalid";
    /// Minimum `{value}` is not a whole number of answers.
    MINIMUM_INVALID = "minimum_invalid";
    /// Criterion `{criterion}` has minimum `{value}` here and `{first}` on row `{first_row}`.
    MINIMUM_CONFLICT = "minimum_conflict";
    /// Group weight `{value}` is not a number of at least 0.
    GROUP_WEIGHT_INVALID = "group_weight_invalid";
    /// A group weight on a row without its respondent group.
    GROUP_WEIGHT_WITHOUT_GROUP = "group_weight_without_group";
    /// A respondent group on a criterion row without its weight.
    GROUP_WEIGHT_MISSING = "group_weight_missing";
    /// Criterion `{criterion}` weighs group `{group}` twice; `{first_row}` is the first.
    GROUP_WEIGHT_TWICE = "group_weight_twice";

    // ---- survey answers --------------------------------------------------------------
    /// A wide answer file without a submission id column; `{accepted}` are those recognised.
    SUBMISSION_COLUMN_MISSING = "submission_column_missing";
    /// The file says no respondent group and none was chosen for it.
    RESPONDENT_GROUP_NEEDED = "respondent_group_needed";
    /// No column of the file is an answer column (`{example}`).
    ANSWER_COLUMNS_NONE = "answer_columns_none";
    /// No column of the file answers the questions of group `{group}` (`{example}`).
    ANSWER_COLUMNS_NONE_FOR_GROUP = "answer_columns_none_for_group";
    /// An answer in a column of another group's questions, on a row of group `{group}`.
    ANSWER_OTHER_GROUP = "answer_other_group";
    /// A row without the respondent (submission) id.
    RESPONDENT_MISSING = "respondent_missing";
    /// Submission `{respondent}` appears again; `{first_row}` is its first row.
    SUBMISSION_TWICE = "submission_twice";
    /// Respondent `{respondent}` answers `{question}` about `{unit}` again; `{first_row}` holds
    /// the first answer.
    ANSWER_TWICE = "answer_twice";
    /// Respondent `{respondent}` is in group `{group}` here and in `{first_group}` on row
    /// `{first_row}`.
    RESPONDENT_TWO_GROUPS = "respondent_two_groups";
    /// A row without a unit code.
    ANSWER_UNIT_MISSING = "answer_unit_missing";
    /// Unit `{unit}` is not evaluated by group `{group}` (which evaluates `{units}`).
    UNIT_NOT_EVALUATED = "unit_not_evaluated";
    /// A row without a question code.
    QUESTION_MISSING = "question_missing";
    /// Question `{question}` is not a question of group `{group}`.
    QUESTION_UNKNOWN = "question_unknown";
    /// Answer `{value}` is not one of the options `{options}`.
    ANSWER_NOT_OPTION = "answer_not_option";
    /// Satisfaction level `{value}` is not 1 to 5 (or 0 for no answer).
    SIPAS_LEVEL_INVALID = "sipas_level_invalid";
    /// A second column for question `{question}` about unit `{unit}`; `{first_column}` is the
    /// first.
    ANSWER_COLUMN_TWICE = "answer_column_twice";
    /// More than `{max}` answers in one file.
    TOO_MANY_ANSWERS = "too_many_answers";

    // ---- places in a YAML file, which fill `{what}` and `{criterion}` above ----------
    /// The value under key path `{path}` (`classes.default`), as written.
    AT_KEY = "at_key";
    /// Level `{item}` of `{what}`.
    AT_LEVEL = "at_level";
    /// Entry `{item}` of `{what}`.
    AT_ENTRY = "at_entry";
    /// The criterion at position `{item}` of the top level.
    AT_AREA = "at_area";
    /// The child at position `{item}` of criterion `{criterion}`.
    AT_CHILD = "at_child";
    /// What a YAML value is: a single value.
    KIND_SCALAR = "kind_scalar";
    /// What a YAML value is: a list.
    KIND_LIST = "kind_list";
    /// What a YAML value is: a mapping.
    KIND_MAPPING = "kind_mapping";
}
