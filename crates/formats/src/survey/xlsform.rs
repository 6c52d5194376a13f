//! The XLSForm of one respondent group's questionnaire, for ODK Central or KoboToolbox: one
//! page (`field-list` group) per evaluated unit holding every question about it, each field
//! named `{question}__{UNIT}` so that the server's export is read back by the answer readers
//! without any mapping, and a `nhom` field carrying the group's code.

use chiso_domain::UnitCode;
use chiso_domain::questionnaire::{QuestionnaireKind, SurveyDefinition};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{SIPAS_LEVELS, STANDARD_LABELS, field_name, field_unit};
use crate::error::ExportError;

fn xerr(e: XlsxError) -> ExportError {
    ExportError::Xlsx(e.to_string())
}

/// Writes rows under a bold header.
fn sheet(ws: &mut Worksheet, header: &[&str], rows: &[Vec<String>]) -> Result<(), ExportError> {
    let bold = Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(xerr)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, v).map_err(xerr)?;
            }
        }
    }
    Ok(())
}

/// A version that changes whenever the form does (FNV-1a of every cell): ODK Central
/// refuses a new draft with the version of the published form, and Kobo shows it to tell
/// deployments apart, while the same form written twice keeps its version.
fn version(parts: &[&[Vec<String>]]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for rows in parts {
        for row in *rows {
            for cell in row {
                for b in cell.bytes().chain([0x1f]) {
                    h ^= u64::from(b);
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
            }
            h ^= 0x1e;
        }
    }
    format!("{h:016x}")
}

/// The XLSForm of respondent group `group_code` of `def`, asking about `units` (each unit's
/// code and name, in the order to ask them; the units the group evaluates).
pub fn xlsform_xlsx(
    def: &SurveyDefinition,
    group_code: &str,
    units: &[(UnitCode, String)],
) -> Result<Vec<u8>, ExportError> {
    let Some(group) = def.group(group_code) else {
        return Err(ExportError::Xlsx(format!(
            "đợt điều tra {} không có nhóm đối tượng “{}”",
            def.code,
            group_code.trim()
        )));
    };
    // Two units whose codes differ only by case or by accented letters would share fields.
    let mut seen = std::collections::HashMap::new();
    for (u, _) in units {
        if let Some(other) = seen.insert(field_unit(u.as_str()).to_lowercase(), u) {
            return Err(ExportError::Xlsx(format!(
                "hai đơn vị {other} và {u} trùng tên trường trong biểu mẫu; hãy đổi mã một đơn vị"
            )));
        }
    }
    let list = match group.kind {
        QuestionnaireKind::Sipas { .. } => "muc_hai_long",
        QuestionnaireKind::Sociological => "phuong_an",
    };
    let row = |cells: &[&str]| cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
    let mut survey = vec![
        row(&["start", "start", "", "", ""]),
        row(&["end", "end", "", "", ""]),
        row(&[
            "calculate",
            "nhom",
            "",
            "",
            &format!("'{}'", group.code.trim()),
        ]),
    ];
    let select = format!("select_one {list}");
    for (unit, name) in units {
        let page = format!("u_{}", field_unit(unit.as_str()));
        survey.push(row(&["begin_group", &page, name, "field-list", ""]));
        for q in &group.questions {
            survey.push(row(&[
                &select,
                &field_name(&q.code, unit.as_str()),
                &q.text,
                "",
                "",
            ]));
        }
        survey.push(row(&["end_group", &page, "", "", ""]));
    }
    let choices: Vec<Vec<String>> = match group.kind {
        QuestionnaireKind::Sipas { .. } => SIPAS_LEVELS
            .iter()
            .map(|(c, l)| row(&[list, c, l]))
            .collect(),
        QuestionnaireKind::Sociological if group.options.is_empty() => STANDARD_LABELS
            .iter()
            .map(|(c, l)| row(&[list, c, l]))
            .collect(),
        QuestionnaireKind::Sociological => group
            .options
            .iter()
            .map(|o| {
                let label = if o.label.trim().is_empty() {
                    o.code.trim()
                } else {
                    o.label.trim()
                };
                row(&[list, o.code.trim(), label])
            })
            .collect(),
    };
    let title = format!("{} – {}", def.name.trim(), group.name.trim());
    let form_id = format!("{}_{}", def.code.trim(), group.code.trim());
    let v = version(&[&survey, &choices, &[row(&[&title, &form_id])]]);
    let settings = vec![row(&[&title, &form_id, &v, "vi"])];

    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("survey").map_err(xerr)?;
    sheet(
        ws,
        &["type", "name", "label", "appearance", "calculation"],
        &survey,
    )?;
    ws.set_column_width(1, 24).map_err(xerr)?;
    ws.set_column_width(2, 60).map_err(xerr)?;
    let ws = wb.add_worksheet();
    ws.set_name("choices").map_err(xerr)?;
    sheet(ws, &["list_name", "name", "label"], &choices)?;
    ws.set_column_width(2, 30).map_err(xerr)?;
    let ws = wb.add_worksheet();
    ws.set_name("settings").map_err(xerr)?;
    sheet(
        ws,
        &["form_title", "form_id", "version", "default_language"],
        &settings,
    )?;
    wb.save_to_buffer().map_err(xerr)
}
