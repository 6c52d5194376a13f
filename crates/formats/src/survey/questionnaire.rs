//! The questionnaire workbook: a survey's definition on five sheets an administrator can edit
//! in Excel (`Đợt điều tra`, `Nhóm đối tượng`, `Câu hỏi`, `Phương án`, `Tiêu chí`), or the same
//! definition as JSON. Headers are written in Vietnamese with the ASCII name in parentheses
//! (`Mã nhóm (ma_nhom)`), and either form is read back.

use std::collections::HashMap;
use std::path::Path;

use chiso_domain::points::parse_decimal;
use chiso_domain::questionnaire::{
    LeafRule, OptionDef, Question, QuestionTarget, QuestionnaireKind, RespondentGroup,
    SurveyDefinition, valid_code,
};
use chiso_domain::{GroupName, NodeCode};
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{factor_code, parse_factor};
use crate::codes;
use crate::error::{ExportError, ImportError, ImportErrors, Problem, id_problem};
use crate::limits::forbidden_char;
use crate::limits::forbidden_char_problem;
use crate::table::{
    FileFormat, Table, XlsxBook, decode_text, f64_to_decimal, format_or_error, header_key,
    read_path,
};

/// Sheet names, as written and as also accepted.
const SURVEY_SHEET: &[&str] = &["Đợt điều tra", "dot dieu tra", "survey"];
const GROUPS_SHEET: &[&str] = &["Nhóm đối tượng", "nhom doi tuong", "groups"];
const QUESTIONS_SHEET: &[&str] = &["Câu hỏi", "cau hoi", "questions"];
const OPTIONS_SHEET: &[&str] = &["Phương án", "phuong an", "options"];
const RULES_SHEET: &[&str] = &["Tiêu chí", "tieu chi", "criteria", "leaves"];

/// One column of a sheet: the header written, then every header accepted for it, and
/// whether the sheet needs it.
struct Col {
    written: &'static str,
    accepted: &'static [&'static str],
    required: bool,
}

const fn col(written: &'static str, accepted: &'static [&'static str], required: bool) -> Col {
    Col {
        written,
        accepted,
        required,
    }
}

const GROUP_COLS: &[Col] = &[
    col("Mã nhóm (ma_nhom)", &["mã nhóm", "ma_nhom", "code"], true),
    col(
        "Tên nhóm (ten_nhom)",
        &["tên nhóm", "ten_nhom", "name"],
        true,
    ),
    col(
        "Nhóm đơn vị được đánh giá (nhom_don_vi)",
        &[
            "nhóm đơn vị được đánh giá",
            "nhóm đơn vị",
            "nhom_don_vi",
            "evaluates",
        ],
        true,
    ),
    col(
        "Loại phiếu (loai)",
        &["loại phiếu", "loại", "loai", "kind"],
        false,
    ),
    col(
        "Tiêu chí SIPAS (tieu_chi_sipas)",
        &["tiêu chí sipas", "tieu_chi_sipas", "sipas_leaf"],
        false,
    ),
    col(
        "Số phiếu mục tiêu (so_phieu_muc_tieu)",
        &["số phiếu mục tiêu", "so_phieu_muc_tieu", "target"],
        false,
    ),
];

const QUESTION_COLS: &[Col] = &[
    col(
        "Nhóm đối tượng (nhom)",
        &["nhóm đối tượng", "nhóm", "nhom", "group"],
        true,
    ),
    col(
        "Mã câu hỏi (ma_cau_hoi)",
        &["mã câu hỏi", "ma_cau_hoi", "mã", "code"],
        true,
    ),
    col(
        "Nội dung câu hỏi (noi_dung)",
        &["nội dung câu hỏi", "nội dung", "noi_dung", "text"],
        true,
    ),
    col(
        "Tiêu chí (tieu_chi)",
        &["tiêu chí", "tieu_chi", "leaf", "criterion"],
        false,
    ),
    col(
        "Yếu tố SIPAS (yeu_to)",
        &["yếu tố sipas", "yếu tố", "yeu_to", "factor"],
        false,
    ),
];

const OPTION_COLS: &[Col] = &[
    col(
        "Nhóm đối tượng (nhom)",
        &["nhóm đối tượng", "nhóm", "nhom", "group"],
        true,
    ),
    col(
        "Mã phương án (ma)",
        &["mã phương án", "mã", "ma", "code"],
        true,
    ),
    col(
        "Nội dung (noi_dung)",
        &["nội dung", "noi_dung", "label"],
        false,
    ),
    col(
        "Trọng số (%) (trong_so)",
        &["trọng số", "trong_so", "weight"],
        false,
    ),
];

const RULE_COLS: &[Col] = &[
    col(
        "Tiêu chí (tieu_chi)",
        &["tiêu chí", "tieu_chi", "leaf", "criterion"],
        true,
    ),
    col(
        "Số câu trả lời tối thiểu (toi_thieu)",
        &[
            "số câu trả lời tối thiểu",
            "tối thiểu",
            "toi_thieu",
            "minimum",
        ],
        false,
    ),
    col(
        "Nhóm đối tượng (nhom)",
        &["nhóm đối tượng", "nhóm", "nhom", "group"],
        false,
    ),
    col(
        "Trọng số nhóm (trong_so)",
        &["trọng số nhóm", "trọng số", "trong_so", "weight"],
        false,
    ),
];

/// Reads a questionnaire from a `.xlsx` workbook or a `.json` file.
pub fn read_questionnaire(path: &Path) -> Result<SurveyDefinition, ImportErrors> {
    let (name, bytes) = read_path(path)?;
    read_questionnaire_bytes(&name, &bytes)
}

/// Reads an uploaded questionnaire; the format follows the extension of `file_name`. Every
/// problem is reported, each with its sheet, row and column.
pub fn read_questionnaire_bytes(
    file_name: &str,
    bytes: &[u8],
) -> Result<SurveyDefinition, ImportErrors> {
    match format_or_error(
        file_name,
        bytes.len(),
        &[FileFormat::Xlsx, FileFormat::Json],
    )? {
        FileFormat::Json => read_json(file_name, bytes),
        _ => read_xlsx(file_name, bytes),
    }
}

fn read_json(file: &str, bytes: &[u8]) -> Result<SurveyDefinition, ImportErrors> {
    let text = decode_text(file, bytes)?;
    if let Some(c) = forbidden_char(&text) {
        return Err(ImportError::file(file, forbidden_char_problem(c)).into());
    }
    serde_json::from_str(&text).map_err(|e| {
        ImportError::at(
            file,
            Some(e.line()),
            None,
            Problem::new(codes::JSON_INVALID).arg("error", e),
        )
        .into()
    })
}

/// A sheet's table with its columns found.
struct Sheet {
    name: String,
    table: Table,
    cols: Vec<Option<usize>>,
}

impl Sheet {
    /// The column index of spec `i`.
    fn at(&self, i: usize) -> Option<usize> {
        self.cols[i]
    }

    /// The header of spec `i` as written in the file (or as this crate writes it).
    fn header(&self, i: usize, specs: &[Col]) -> String {
        self.cols[i]
            .and_then(|c| self.table.headers.get(c).cloned())
            .unwrap_or_else(|| specs[i].written.to_owned())
    }
}

/// Where a problem of a sheet is reported: the file, row and column, the sheet named first.
fn on_sheet(file: &str, sheet: &str, row: usize, column: &str, problem: Problem) -> ImportError {
    ImportError::cell(
        file,
        row,
        column,
        Problem::new(codes::ON_SHEET)
            .arg("sheet", sheet)
            .because(problem),
    )
}

/// Opens one sheet as a table and finds its columns; unknown headers and missing required
/// columns are reported.
fn open_sheet(
    book: &mut XlsxBook,
    file: &str,
    names: &[&str],
    specs: &[Col],
    required: bool,
    errors: &mut ImportErrors,
) -> Option<Sheet> {
    let Some(name) = book.find_sheet(names) else {
        if required {
            errors.push(ImportError::file(
                file,
                Problem::new(codes::SURVEY_SHEET_MISSING).arg("sheet", names[0]),
            ));
        }
        return None;
    };
    let table = match book.table(&name) {
        Ok((_, t)) => t,
        Err(es) => {
            // An empty optional sheet is the same as none.
            if !required && es.errors().iter().all(|e| e.code() == codes::SHEET_EMPTY) {
                return None;
            }
            es.into_iter().for_each(|e| errors.push(e));
            return None;
        }
    };
    let mut cols = vec![None; specs.len()];
    let accepted: Vec<&str> = specs
        .iter()
        .map(|s| {
            s.accepted
                .iter()
                .find(|a| a.is_ascii())
                .copied()
                .unwrap_or(s.written)
        })
        .collect();
    for (c, h) in table.headers.iter().enumerate() {
        if table.skippable(c) {
            continue;
        }
        let key = header_key(h);
        match specs
            .iter()
            .position(|s| s.accepted.iter().any(|a| header_key(a) == key))
        {
            Some(i) if cols[i].is_none() => cols[i] = Some(c),
            _ => errors.push(on_sheet(
                file,
                &name,
                table.header_row,
                h,
                Problem::new(codes::COLUMN_UNSUPPORTED)
                    .arg("column", h)
                    .arg("accepted", accepted.join(", ")),
            )),
        }
    }
    for (i, s) in specs.iter().enumerate() {
        if s.required && cols[i].is_none() {
            errors.push(on_sheet(
                file,
                &name,
                table.header_row,
                s.written,
                Problem::new(codes::MISSING_COLUMN).arg("column", s.written),
            ));
        }
    }
    table.stray_cells(errors);
    Some(Sheet { name, table, cols })
}

fn read_xlsx(file: &str, bytes: &[u8]) -> Result<SurveyDefinition, ImportErrors> {
    let mut book = XlsxBook::open(file, bytes)?;
    let mut errors = ImportErrors::default();
    let (code, name) = read_survey_sheet(&mut book, file, &mut errors)?;
    let mut r = Reader {
        file,
        errors,
        groups: Vec::new(),
        group_index: HashMap::new(),
    };
    if let Some(s) = open_sheet(
        &mut book,
        file,
        GROUPS_SHEET,
        GROUP_COLS,
        true,
        &mut r.errors,
    ) {
        r.groups_sheet(&s);
    }
    if let Some(s) = open_sheet(
        &mut book,
        file,
        QUESTIONS_SHEET,
        QUESTION_COLS,
        true,
        &mut r.errors,
    ) {
        r.questions_sheet(&s);
    }
    if let Some(s) = open_sheet(
        &mut book,
        file,
        OPTIONS_SHEET,
        OPTION_COLS,
        false,
        &mut r.errors,
    ) {
        r.options_sheet(&s);
    }
    let mut leaves = Vec::new();
    if let Some(s) = open_sheet(
        &mut book,
        file,
        RULES_SHEET,
        RULE_COLS,
        false,
        &mut r.errors,
    ) {
        leaves = r.rules_sheet(&s);
    }
    let def = SurveyDefinition {
        code,
        name,
        groups: r.groups,
        leaves,
    };
    r.errors.into_result(def)
}

/// The code and name on the key/value sheet `Đợt điều tra`.
fn read_survey_sheet(
    book: &mut XlsxBook,
    file: &str,
    errors: &mut ImportErrors,
) -> Result<(String, String), ImportErrors> {
    let Some(sheet) = book.find_sheet(SURVEY_SHEET) else {
        errors.push(ImportError::file(
            file,
            Problem::new(codes::SURVEY_SHEET_MISSING).arg("sheet", SURVEY_SHEET[0]),
        ));
        return Ok((String::new(), String::new()));
    };
    let (mut code, mut name) = (None, None);
    for row in book.rows(&sheet)? {
        let (k, v) = (row.get(0), row.get(1));
        let key = header_key(k);
        if k.is_empty()
            || k.starts_with('#')
            || matches!(
                key.as_str(),
                "thôngtin" | "trường" | "khóa" | "key" | "field"
            )
        {
            continue;
        }
        match key.as_str() {
            "mã" | "ma" | "code" | "mãđợtđiềutra" => {
                if !valid_code(v) {
                    errors.push(on_sheet(
                        file,
                        &sheet,
                        row.number,
                        "B",
                        Problem::new(codes::SURVEY_CODE_INVALID).arg("value", v),
                    ));
                }
                code = Some(v.to_owned());
            }
            "tên" | "ten" | "name" | "tênđợtđiềutra" => {
                if v.is_empty() {
                    errors.push(on_sheet(
                        file,
                        &sheet,
                        row.number,
                        "B",
                        Problem::new(codes::SURVEY_CELL_EMPTY),
                    ));
                }
                name = Some(v.to_owned());
            }
            _ => errors.push(on_sheet(
                file,
                &sheet,
                row.number,
                "A",
                Problem::new(codes::SURVEY_KEY_INVALID).arg("key", k),
            )),
        }
    }
    for (value, key) in [(&code, "Mã"), (&name, "Tên")] {
        if value.is_none() {
            errors.push(ImportError::file(
                file,
                Problem::new(codes::ON_SHEET)
                    .arg("sheet", &sheet)
                    .because(Problem::new(codes::SURVEY_FIELD_MISSING).arg("key", key)),
            ));
        }
    }
    Ok((code.unwrap_or_default(), name.unwrap_or_default()))
}

struct Reader<'a> {
    file: &'a str,
    errors: ImportErrors,
    groups: Vec<RespondentGroup>,
    /// Upper-case group code → index in `groups` and row, so that the other sheets resolve
    /// their references even to a group whose own row has a mistake.
    group_index: HashMap<String, (usize, usize)>,
}

impl Reader<'_> {
    fn err(&mut self, s: &Sheet, specs: &[Col], row: usize, col: usize, problem: Problem) {
        let header = s.header(col, specs);
        self.errors
            .push(on_sheet(self.file, &s.name, row, &header, problem));
    }

    /// A required code cell: present and a valid code.
    fn code_cell(
        &mut self,
        s: &Sheet,
        specs: &[Col],
        row: usize,
        col: usize,
        v: &str,
    ) -> Option<String> {
        if v.is_empty() {
            self.err(s, specs, row, col, Problem::new(codes::SURVEY_CELL_EMPTY));
            None
        } else if !valid_code(v) {
            self.err(
                s,
                specs,
                row,
                col,
                Problem::new(codes::SURVEY_CODE_INVALID).arg("value", v),
            );
            None
        } else {
            Some(v.to_owned())
        }
    }

    /// The respondent group a row of another sheet names, by its index.
    fn group_ref(
        &mut self,
        s: &Sheet,
        specs: &[Col],
        row: usize,
        col: usize,
        v: &str,
    ) -> Option<usize> {
        if v.is_empty() {
            self.err(s, specs, row, col, Problem::new(codes::SURVEY_CELL_EMPTY));
            return None;
        }
        match self.group_index.get(&v.to_ascii_uppercase()) {
            Some((i, _)) => Some(*i),
            None => {
                let accepted: Vec<&str> = self.groups.iter().map(|g| g.code.as_str()).collect();
                self.err(
                    s,
                    specs,
                    row,
                    col,
                    Problem::new(codes::RESPONDENT_GROUP_UNKNOWN)
                        .arg("group", v)
                        .arg("accepted", accepted.join(", ")),
                );
                None
            }
        }
    }

    fn node_code(
        &mut self,
        s: &Sheet,
        specs: &[Col],
        row: usize,
        col: usize,
        v: &str,
    ) -> Option<NodeCode> {
        match NodeCode::parse(v) {
            Ok(c) => Some(c),
            Err(e) => {
                let problem = if v.is_empty() {
                    Problem::new(codes::SURVEY_CELL_EMPTY)
                } else {
                    Problem::new(codes::CRITERION_CODE_INVALID).because(id_problem(&e))
                };
                self.err(s, specs, row, col, problem);
                None
            }
        }
    }

    fn groups_sheet(&mut self, s: &Sheet) {
        let specs = GROUP_COLS;
        let [c_code, c_name, c_units, c_kind, c_sipas, c_target] =
            [0, 1, 2, 3, 4, 5].map(|i| s.at(i));
        for row in &s.table.rows {
            let n = row.number;
            let cell = |c: Option<usize>| c.map_or("", |c| row.get(c));
            let raw_code = cell(c_code);
            let code = self.code_cell(s, specs, n, 0, raw_code);
            if !raw_code.is_empty() {
                let key = raw_code.to_ascii_uppercase();
                if let Some((_, first)) = self.group_index.get(&key) {
                    let first = *first;
                    self.err(
                        s,
                        specs,
                        n,
                        0,
                        Problem::new(codes::RESPONDENT_GROUP_TWICE)
                            .arg("group", raw_code)
                            .arg("first_row", first),
                    );
                } else {
                    self.group_index.insert(key, (self.groups.len(), n));
                }
            }
            let name = cell(c_name);
            if name.is_empty() {
                self.err(s, specs, n, 1, Problem::new(codes::SURVEY_CELL_EMPTY));
            }
            let evaluates = match GroupName::parse(cell(c_units)) {
                Ok(g) => Some(g),
                Err(e) => {
                    let p = if cell(c_units).is_empty() {
                        Problem::new(codes::GROUP_MISSING)
                    } else {
                        Problem::new(codes::GROUP_INVALID).because(id_problem(&e))
                    };
                    self.err(s, specs, n, 2, p);
                    None
                }
            };
            let sipas = match header_key(cell(c_kind)).as_str() {
                "" | "xhh" | "xãhộihọc" | "xahoihoc" | "sociological" => Some(false),
                "sipas" => Some(true),
                _ => {
                    self.err(
                        s,
                        specs,
                        n,
                        3,
                        Problem::new(codes::QUESTIONNAIRE_KIND_INVALID).arg("value", cell(c_kind)),
                    );
                    None
                }
            };
            let leaf_raw = cell(c_sipas);
            let kind = match sipas {
                Some(true) if leaf_raw.is_empty() => {
                    self.err(s, specs, n, 4, Problem::new(codes::SIPAS_LEAF_MISSING));
                    None
                }
                Some(true) => self
                    .node_code(s, specs, n, 4, leaf_raw)
                    .map(|leaf| QuestionnaireKind::Sipas { leaf }),
                Some(false) if !leaf_raw.is_empty() => {
                    self.err(s, specs, n, 4, Problem::new(codes::SIPAS_LEAF_NOT_SIPAS));
                    None
                }
                Some(false) => Some(QuestionnaireKind::Sociological),
                None => None,
            };
            let raw_target = cell(c_target);
            let target = if raw_target.is_empty() {
                None
            } else {
                match raw_target.parse::<u32>() {
                    Ok(t) => Some(t),
                    Err(_) => {
                        self.err(
                            s,
                            specs,
                            n,
                            5,
                            Problem::new(codes::TARGET_INVALID).arg("value", raw_target),
                        );
                        None
                    }
                }
            };
            if self
                .group_index
                .get(&raw_code.to_ascii_uppercase())
                .map(|x| x.1)
                == Some(n)
            {
                // Kept even when a cell is wrong, so the other sheets' rows resolve; the
                // errors make sure nothing is returned.
                self.groups.push(RespondentGroup {
                    code: code.unwrap_or_else(|| raw_code.to_owned()),
                    name: name.to_owned(),
                    target,
                    evaluates: evaluates
                        .unwrap_or_else(|| GroupName::parse("?").expect("a valid name")),
                    kind: kind.unwrap_or(QuestionnaireKind::Sociological),
                    questions: Vec::new(),
                    options: Vec::new(),
                });
            }
        }
    }

    fn questions_sheet(&mut self, s: &Sheet) {
        let specs = QUESTION_COLS;
        let mut seen: HashMap<(usize, String), usize> = HashMap::new();
        for row in &s.table.rows {
            let n = row.number;
            let cell = |i: usize| s.at(i).map_or("", |c| row.get(c));
            let group = self.group_ref(s, specs, n, 0, cell(0));
            let code = self.code_cell(s, specs, n, 1, cell(1));
            if let (Some(g), Some(c)) = (group, &code)
                && let Some(first) = seen.insert((g, c.to_ascii_uppercase()), n)
            {
                self.err(
                    s,
                    specs,
                    n,
                    1,
                    Problem::new(codes::QUESTION_TWICE)
                        .arg("question", c)
                        .arg("first_row", first),
                );
            }
            let text = cell(2);
            if text.is_empty() {
                self.err(s, specs, n, 2, Problem::new(codes::SURVEY_CELL_EMPTY));
            }
            let target = match (cell(3), cell(4)) {
                ("", "") => {
                    self.err(s, specs, n, 3, Problem::new(codes::QUESTION_TARGET_MISSING));
                    None
                }
                (leaf, "") => self
                    .node_code(s, specs, n, 3, leaf)
                    .map(QuestionTarget::Leaf),
                ("", factor) => match parse_factor(factor) {
                    Some(f) => Some(QuestionTarget::Factor(f)),
                    None => {
                        let accepted: Vec<&str> = chiso_domain::survey::Factor::ALL
                            .iter()
                            .map(|f| factor_code(*f))
                            .collect();
                        self.err(
                            s,
                            specs,
                            n,
                            4,
                            Problem::new(codes::FACTOR_INVALID)
                                .arg("value", factor)
                                .arg("accepted", accepted.join(", ")),
                        );
                        None
                    }
                },
                _ => {
                    self.err(s, specs, n, 4, Problem::new(codes::QUESTION_TARGET_BOTH));
                    None
                }
            };
            if let (Some(g), Some(code), Some(target)) = (group, code, target) {
                self.groups[g].questions.push(Question {
                    code,
                    text: text.to_owned(),
                    target,
                });
            }
        }
    }

    fn options_sheet(&mut self, s: &Sheet) {
        let specs = OPTION_COLS;
        let mut seen: HashMap<(usize, String), usize> = HashMap::new();
        for row in &s.table.rows {
            let n = row.number;
            let cell = |i: usize| s.at(i).map_or("", |c| row.get(c));
            let group = self.group_ref(s, specs, n, 0, cell(0));
            let code = cell(1);
            if code.is_empty() {
                self.err(s, specs, n, 1, Problem::new(codes::SURVEY_CELL_EMPTY));
            } else if let Some(g) = group
                && let Some(first) = seen.insert((g, code.to_lowercase()), n)
            {
                self.err(
                    s,
                    specs,
                    n,
                    1,
                    Problem::new(codes::OPTION_TWICE)
                        .arg("option", code)
                        .arg("first_row", first),
                );
            }
            let raw_weight = cell(3);
            let weight = if raw_weight.is_empty() {
                Some(None)
            } else {
                match parse_decimal(raw_weight)
                    .filter(|w| *w >= Decimal::ZERO && *w <= Decimal::ONE_HUNDRED)
                {
                    Some(w) => Some(Some((w / Decimal::ONE_HUNDRED).normalize())),
                    None => {
                        self.err(
                            s,
                            specs,
                            n,
                            3,
                            Problem::new(codes::OPTION_WEIGHT_INVALID).arg("value", raw_weight),
                        );
                        None
                    }
                }
            };
            if let (Some(g), Some(weight), false) = (group, weight, code.is_empty()) {
                self.groups[g].options.push(OptionDef {
                    code: code.to_owned(),
                    label: cell(2).to_owned(),
                    weight,
                });
            }
        }
    }

    fn rules_sheet(&mut self, s: &Sheet) -> Vec<LeafRule> {
        let specs = RULE_COLS;
        let mut rules: Vec<LeafRule> = Vec::new();
        let mut index: HashMap<NodeCode, usize> = HashMap::new();
        // Per rule: the row that set its minimum; per (rule, group): the row of its weight.
        let mut minimum_row: HashMap<usize, usize> = HashMap::new();
        let mut weight_row: HashMap<(usize, usize), usize> = HashMap::new();
        for row in &s.table.rows {
            let n = row.number;
            let cell = |i: usize| s.at(i).map_or("", |c| row.get(c));
            let leaf = self.node_code(s, specs, n, 0, cell(0));
            let raw_min = cell(1);
            let minimum = if raw_min.is_empty() {
                None
            } else {
                match raw_min.parse::<u32>() {
                    Ok(m) => Some(m),
                    Err(_) => {
                        self.err(
                            s,
                            specs,
                            n,
                            1,
                            Problem::new(codes::MINIMUM_INVALID).arg("value", raw_min),
                        );
                        None
                    }
                }
            };
            let (raw_group, raw_weight) = (cell(2), cell(3));
            let group = match (raw_group.is_empty(), raw_weight.is_empty()) {
                (true, true) => None,
                (true, false) => {
                    self.err(
                        s,
                        specs,
                        n,
                        2,
                        Problem::new(codes::GROUP_WEIGHT_WITHOUT_GROUP),
                    );
                    None
                }
                (false, true) => {
                    self.group_ref(s, specs, n, 2, raw_group);
                    self.err(s, specs, n, 3, Problem::new(codes::GROUP_WEIGHT_MISSING));
                    None
                }
                (false, false) => {
                    let g = self.group_ref(s, specs, n, 2, raw_group);
                    let w = parse_decimal(raw_weight).filter(|w| *w >= Decimal::ZERO);
                    if w.is_none() {
                        self.err(
                            s,
                            specs,
                            n,
                            3,
                            Problem::new(codes::GROUP_WEIGHT_INVALID).arg("value", raw_weight),
                        );
                    }
                    g.zip(w)
                }
            };
            let Some(leaf) = leaf else { continue };
            let r = *index.entry(leaf.clone()).or_insert_with(|| {
                rules.push(LeafRule {
                    leaf: leaf.clone(),
                    minimum: 0,
                    group_weights: Default::default(),
                });
                rules.len() - 1
            });
            if let Some(m) = minimum {
                match minimum_row.get(&r) {
                    Some(first) if rules[r].minimum != m => {
                        let (first, value) = (*first, rules[r].minimum);
                        self.err(
                            s,
                            specs,
                            n,
                            1,
                            Problem::new(codes::MINIMUM_CONFLICT)
                                .arg("criterion", &leaf)
                                .arg("value", m)
                                .arg("first", value)
                                .arg("first_row", first),
                        );
                    }
                    Some(_) => {}
                    None => {
                        minimum_row.insert(r, n);
                        rules[r].minimum = m;
                    }
                }
            }
            if let Some((g, w)) = group {
                if let Some(first) = weight_row.insert((r, g), n) {
                    weight_row.insert((r, g), first);
                    self.err(
                        s,
                        specs,
                        n,
                        2,
                        Problem::new(codes::GROUP_WEIGHT_TWICE)
                            .arg("criterion", &leaf)
                            .arg("group", &self.groups[g].code)
                            .arg("first_row", first),
                    );
                } else {
                    let code = self.groups[g].code.clone();
                    rules[r].group_weights.insert(code, w);
                }
            }
        }
        rules
    }
}

fn xerr(e: XlsxError) -> ExportError {
    ExportError::Xlsx(e.to_string())
}

/// Writes a number cell when the value survives the trip through a double (what Excel
/// stores), else the exact decimal as text, so a definition read back is the one written.
fn write_decimal(ws: &mut Worksheet, r: u32, c: u16, d: Decimal) -> Result<(), ExportError> {
    let text = d.normalize().to_string();
    match text.parse::<f64>() {
        Ok(f) if f64_to_decimal(f) == Some(d.normalize()) => {
            ws.write_number(r, c, f).map_err(xerr)?;
        }
        _ => {
            ws.write_string(r, c, &text).map_err(xerr)?;
        }
    }
    Ok(())
}

/// Writes a sheet's header row in bold, with widths.
fn header(ws: &mut Worksheet, specs: &[Col], widths: &[f64]) -> Result<(), ExportError> {
    let bold = Format::new().set_bold().set_text_wrap();
    for (i, (s, w)) in specs.iter().zip(widths).enumerate() {
        ws.write_string_with_format(0, i as u16, s.written, &bold)
            .map_err(xerr)?;
        ws.set_column_width(i as u16, *w).map_err(xerr)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xerr)?;
    Ok(())
}

/// The questionnaire workbook of a definition, which [`read_questionnaire_bytes`] reads back
/// to the same definition. Codes are written as text cells, so Excel never turns `1.10`
/// into the number 1.1.
pub fn questionnaire_xlsx(def: &SurveyDefinition) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();

    let ws = wb.add_worksheet();
    ws.set_name(SURVEY_SHEET[0]).map_err(xerr)?;
    ws.write_string_with_format(0, 0, "Thông tin", &bold)
        .map_err(xerr)?;
    ws.write_string_with_format(0, 1, "Giá trị", &bold)
        .map_err(xerr)?;
    ws.write_string(1, 0, "Mã (code)").map_err(xerr)?;
    ws.write_string(1, 1, &def.code).map_err(xerr)?;
    ws.write_string(2, 0, "Tên (name)").map_err(xerr)?;
    ws.write_string(2, 1, &def.name).map_err(xerr)?;
    ws.set_column_width(0, 14).map_err(xerr)?;
    ws.set_column_width(1, 60).map_err(xerr)?;

    let ws = wb.add_worksheet();
    ws.set_name(GROUPS_SHEET[0]).map_err(xerr)?;
    header(ws, GROUP_COLS, &[14.0, 32.0, 26.0, 10.0, 14.0, 12.0])?;
    for (i, g) in def.groups.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, &g.code).map_err(xerr)?;
        ws.write_string(r, 1, &g.name).map_err(xerr)?;
        ws.write_string(r, 2, g.evaluates.as_str()).map_err(xerr)?;
        match &g.kind {
            QuestionnaireKind::Sociological => {
                ws.write_string(r, 3, "xhh").map_err(xerr)?;
            }
            QuestionnaireKind::Sipas { leaf } => {
                ws.write_string(r, 3, "sipas").map_err(xerr)?;
                ws.write_string(r, 4, leaf.as_str()).map_err(xerr)?;
            }
        }
        if let Some(t) = g.target {
            ws.write_number(r, 5, t).map_err(xerr)?;
        }
    }

    let ws = wb.add_worksheet();
    ws.set_name(QUESTIONS_SHEET[0]).map_err(xerr)?;
    header(ws, QUESTION_COLS, &[14.0, 12.0, 60.0, 12.0, 14.0])?;
    let mut r = 1;
    for g in &def.groups {
        for q in &g.questions {
            ws.write_string(r, 0, &g.code).map_err(xerr)?;
            ws.write_string(r, 1, &q.code).map_err(xerr)?;
            ws.write_string(r, 2, &q.text).map_err(xerr)?;
            match &q.target {
                QuestionTarget::Leaf(l) => ws.write_string(r, 3, l.as_str()).map_err(xerr)?,
                QuestionTarget::Factor(f) => {
                    ws.write_string(r, 4, factor_code(*f)).map_err(xerr)?
                }
            };
            r += 1;
        }
    }

    let ws = wb.add_worksheet();
    ws.set_name(OPTIONS_SHEET[0]).map_err(xerr)?;
    header(ws, OPTION_COLS, &[14.0, 12.0, 40.0, 12.0])?;
    let mut r = 1;
    for g in &def.groups {
        for o in &g.options {
            ws.write_string(r, 0, &g.code).map_err(xerr)?;
            ws.write_string(r, 1, &o.code).map_err(xerr)?;
            if !o.label.is_empty() {
                ws.write_string(r, 2, &o.label).map_err(xerr)?;
            }
            if let Some(w) = o.weight {
                write_decimal(ws, r, 3, w * Decimal::ONE_HUNDRED)?;
            }
            r += 1;
        }
    }

    let ws = wb.add_worksheet();
    ws.set_name(RULES_SHEET[0]).map_err(xerr)?;
    header(ws, RULE_COLS, &[12.0, 14.0, 14.0, 12.0])?;
    let mut r = 1;
    for rule in &def.leaves {
        let mut write_row = |ws: &mut Worksheet, group: Option<(&String, &Decimal)>| {
            ws.write_string(r, 0, rule.leaf.as_str()).map_err(xerr)?;
            ws.write_number(r, 1, rule.minimum).map_err(xerr)?;
            if let Some((g, w)) = group {
                ws.write_string(r, 2, g).map_err(xerr)?;
                write_decimal(ws, r, 3, *w)?;
            }
            r += 1;
            Ok::<(), ExportError>(())
        };
        if rule.group_weights.is_empty() {
            write_row(ws, None)?;
        }
        for gw in &rule.group_weights {
            write_row(ws, Some(gw))?;
        }
    }
    wb.save_to_buffer().map_err(xerr)
}
