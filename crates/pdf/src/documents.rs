//! The documents as data: what each report says, every figure and date already written the
//! way its Vietnamese reader expects (`89,83`, `11/06/2024`). The field names are the ones
//! the templates read.

use serde::Serialize;

/// The top of an administrative document: who issues it, where and when, and its title.
#[derive(Debug, Clone, Serialize)]
pub struct Heading {
    /// The body above the issuer (`UBND TỈNH HÀ GIANG`); empty when the issuer stands alone.
    pub above: String,
    /// The issuing body (`SỞ NỘI VỤ`, or the unit submitting its self-assessment).
    pub issuer: String,
    /// The document's number line (`Số: …/BC-SNV`), when it has one.
    pub number: String,
    /// `Hà Nội, ngày 05 tháng 3 năm 2025` (see [`crate::place_and_date`]).
    pub place_date: String,
    /// The document's kind and title, in capitals (`BÁO CÁO`).
    pub kind: String,
    /// What it is about (`Kết quả Chỉ số cải cách hành chính năm 2024`).
    pub title: String,
    /// Lines under the title (the decision it goes with, the version).
    pub subtitle: Vec<String>,
}

/// A labelled figure (`Tổng điểm tự đánh giá: 85,50`).
#[derive(Debug, Clone, Serialize)]
pub struct Fact {
    /// What the figure is.
    pub label: String,
    /// The figure as written.
    pub value: String,
}

/// One signature of the signature block.
#[derive(Debug, Clone, Serialize)]
pub struct Signature {
    /// The capacity (`KT. GIÁM ĐỐC`, `ĐẠI DIỆN ĐƠN VỊ`); may be empty.
    pub role: String,
    /// The title under it (`PHÓ GIÁM ĐỐC`).
    pub title: String,
    /// The signer's name; empty leaves the line to be filled by hand.
    pub name: String,
}

/// The period's results report: every group's ranking, with a chart.
#[derive(Debug, Clone, Serialize)]
pub struct ResultsReport {
    /// Issuer, date and title.
    pub heading: Heading,
    /// A warning printed in red above everything (unpublished results); empty when none.
    pub warning: String,
    /// Opening paragraphs.
    pub intro: Vec<String>,
    /// The groups, in the period's order.
    pub groups: Vec<ResultsGroup>,
    /// Where the report is sent (`Nơi nhận`).
    pub recipients: Vec<String>,
    /// Who signs.
    pub signature: Signature,
}

/// One group of a results report.
#[derive(Debug, Clone, Serialize)]
pub struct ResultsGroup {
    /// The group's name (`Sở, ban, ngành`).
    pub name: String,
    /// Statistics of the group.
    pub facts: Vec<Fact>,
    /// The ranking chart as standalone SVG (from `chiso_charts`), when there is one.
    pub chart_svg: Option<String>,
    /// The units by rank.
    pub rows: Vec<ResultsRow>,
}

/// One unit of a results table.
#[derive(Debug, Clone, Serialize)]
pub struct ResultsRow {
    /// Rank (`1`), or `—` for an unranked unit.
    pub rank: String,
    /// The unit's name.
    pub unit: String,
    /// Points obtained.
    pub total: String,
    /// Maximum points.
    pub max: String,
    /// The index, in percent.
    pub index: String,
    /// The class (`Tốt`), or empty.
    pub class: String,
    /// Change of the index since the previous period (`+1,25`), or empty.
    pub delta: String,
}

/// A unit's self-assessment report: what its leader signs when submitting it.
#[derive(Debug, Clone, Serialize)]
pub struct SelfAssessmentReport {
    /// Issuer (the unit), date and title.
    pub heading: Heading,
    /// A warning printed in red (not yet submitted); empty when none.
    pub warning: String,
    /// Opening paragraphs.
    pub intro: Vec<String>,
    /// Totals.
    pub facts: Vec<Fact>,
    /// The index set's tree, in order.
    pub rows: Vec<CriterionRow>,
    /// Where the report is sent.
    pub recipients: Vec<String>,
    /// Who signs (the unit's leader).
    pub signature: Signature,
}

/// One node of a self-assessment table.
#[derive(Debug, Clone, Serialize)]
pub struct CriterionRow {
    /// The node's code (`1.2.3`).
    pub code: String,
    /// Its title.
    pub title: String,
    /// Depth in the tree, 0 for an area; areas are set in bold.
    pub depth: u8,
    /// Maximum points.
    pub max: String,
    /// Points the unit gives itself (empty when not assessed).
    pub points: String,
    /// Number of evidence files.
    pub evidence: String,
    /// The unit's explanation.
    pub note: String,
}

/// The appraisal minutes of a unit: its own points next to the appraised ones, with reasons.
#[derive(Debug, Clone, Serialize)]
pub struct AppraisalMinutes {
    /// Issuer (the appraising body), date and title.
    pub heading: Heading,
    /// A warning printed in red (appraisal not finished); empty when none.
    pub warning: String,
    /// Opening paragraphs (who appraised what, when).
    pub intro: Vec<String>,
    /// Totals.
    pub facts: Vec<Fact>,
    /// The index set's tree, in order.
    pub rows: Vec<AppraisalRow>,
    /// Explanation rounds between the unit and the appraisers, oldest first.
    pub rounds: Vec<Round>,
    /// Closing paragraphs.
    pub closing: Vec<String>,
    /// Who signs, left to right (the unit's representative, the appraisers).
    pub signatures: Vec<Signature>,
}

/// One node of the minutes' table.
#[derive(Debug, Clone, Serialize)]
pub struct AppraisalRow {
    /// The node's code.
    pub code: String,
    /// Its title.
    pub title: String,
    /// Depth in the tree, 0 for an area.
    pub depth: u8,
    /// Maximum points.
    pub max: String,
    /// The unit's own points.
    pub own: String,
    /// The appraised points.
    pub appraised: String,
    /// Appraised minus own (`-0,50`), empty when equal or not both known.
    pub difference: String,
    /// The appraiser's reason.
    pub reason: String,
}

/// One explanation round.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    /// `Lần 1 (11/06/2024 – 18/06/2024)`.
    pub title: String,
    /// What was asked and answered.
    pub lines: Vec<String>,
}

/// A unit's result sheet: what its page on the results portal shows, on paper — its totals,
/// its history and every area, criterion and sub-criterion next to its group's mean and best.
#[derive(Debug, Clone, Serialize)]
pub struct UnitResultReport {
    /// Issuer (the body that published the results), date and title.
    pub heading: Heading,
    /// A warning printed in red (results not yet published); empty when none.
    pub warning: String,
    /// Opening paragraphs (the strongest and weakest criteria, the streaks).
    pub intro: Vec<String>,
    /// Totals, rank and class.
    pub facts: Vec<Fact>,
    /// The history of the unit's index as standalone SVG, when it has more than one year.
    pub chart_svg: Option<String>,
    /// True when the group's mean and best columns are printed.
    pub benchmarks: bool,
    /// The index set's tree, in order.
    pub rows: Vec<UnitNodeRow>,
    /// Where the sheet is sent.
    pub recipients: Vec<String>,
    /// Who signs.
    pub signature: Signature,
}

/// One node of a unit's result sheet.
#[derive(Debug, Clone, Serialize)]
pub struct UnitNodeRow {
    /// The node's code (`1.2.3`).
    pub code: String,
    /// Its title.
    pub title: String,
    /// Depth in the tree, 0 for an area; areas are set in bold.
    pub depth: u8,
    /// Maximum points.
    pub max: String,
    /// Points obtained.
    pub points: String,
    /// Points as a share of the maximum, in percent.
    pub share: String,
    /// The group's mean points (empty when not printed).
    pub mean: String,
    /// The group's best points (empty when not printed).
    pub best: String,
}
