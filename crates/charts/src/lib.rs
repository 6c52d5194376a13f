//! Charts as SVG text, generated in Rust from exact decimals so that the web pages (inline
//! SVG, no JavaScript, allowed by a strict Content-Security-Policy) and printed reports draw
//! the same picture from one code path.
//!
//! Functions here are pure: figures in, a standalone `<svg>` string out. Every piece of text
//! is XML-escaped, because unit names are data typed by people. Styling uses presentation
//! attributes only (`fill`, `font-size`), never `style`, which the page's policy forbids and
//! which PDF renderers support unevenly.

use std::fmt::Write as _;

use rust_decimal::Decimal;

/// Fill for units without a class.
pub const NO_CLASS_FILL: &str = "#6e7781";

/// Fills of class bands, highest band first (xuất sắc, tốt, khá, trung bình, yếu). Each has
/// at least 3:1 contrast with white, as graphics need (WCAG 1.4.11).
pub const CLASS_FILLS: [&str; 5] = ["#1a7f37", "#0b5cad", "#8a6100", "#bc4c00", "#b3261e"];

/// The fill of the class at `band` (0 = highest band), `None` for no class.
pub fn class_fill(band: Option<usize>) -> &'static str {
    band.map_or(NO_CLASS_FILL, |b| CLASS_FILLS[b.min(CLASS_FILLS.len() - 1)])
}

/// One bar of a ranking chart.
#[derive(Debug, Clone, PartialEq)]
pub struct BarRow {
    /// Rank in the group; bars are drawn by rank, unranked units last.
    pub rank: Option<u32>,
    /// The unit's name, written left of the bar.
    pub label: String,
    /// The index (or any value on the `0..=max` scale); the bar's length is proportional to it.
    pub value: Decimal,
    /// The value as people read it (`89,83`), written at the end of the bar.
    pub value_label: String,
    /// Fill colour of the bar, e.g. [`class_fill`].
    pub fill: String,
}

/// Geometry and text of a ranking chart, in SVG user units (≈ CSS pixels).
#[derive(Debug, Clone, PartialEq)]
pub struct BarChartOptions {
    /// Accessible name of the chart (read by screen readers, shown as a tooltip).
    pub title: String,
    /// The value of a full-length bar (100 for an index in percent).
    pub max: Decimal,
    /// Total width.
    pub width: u32,
    /// Width reserved left of the bars for unit names.
    pub label_width: u32,
    /// Width reserved right of the longest bar for its value label.
    pub value_width: u32,
    /// Thickness of one bar.
    pub bar_height: u32,
    /// Space between bars.
    pub gap: u32,
    /// Scale values with a grid line and a label under the axis.
    pub ticks: Vec<Decimal>,
}

impl Default for BarChartOptions {
    fn default() -> Self {
        BarChartOptions {
            title: String::new(),
            max: Decimal::ONE_HUNDRED,
            width: 720,
            label_width: 240,
            value_width: 56,
            bar_height: 20,
            gap: 8,
            ticks: [0, 25, 50, 75, 100]
                .into_iter()
                .map(Decimal::from)
                .collect(),
        }
    }
}

const FONT: &str = "font-family=\"'Noto Sans', 'Segoe UI', Roboto, Arial, sans-serif\"";
const TEXT_FILL: &str = "#1f2328";
const GRID: &str = "#d0d7de";
const TOP: u32 = 8;
const AXIS_LABELS: u32 = 22;

/// A horizontal bar chart: one bar per row, sorted by rank (unranked rows last, in the order
/// given), bar length proportional to `value ÷ max`, the unit name on the left and the value
/// label at the end of each bar.
pub fn bar_chart(rows: &[BarRow], opts: &BarChartOptions) -> String {
    let mut sorted: Vec<&BarRow> = rows.iter().collect();
    sorted.sort_by_key(|r| (r.rank.is_none(), r.rank));

    let plot_x = opts.label_width;
    let plot_w = opts
        .width
        .saturating_sub(opts.label_width + opts.value_width)
        .max(1);
    let pitch = opts.bar_height + opts.gap;
    let count = u32::try_from(sorted.len()).unwrap_or(u32::MAX);
    let plot_h = count.saturating_mul(pitch);
    let height = TOP + plot_h + AXIS_LABELS;

    let mut s = svg_open(opts.width, height, &opts.title, "chart chart-bars");
    for tick in &opts.ticks {
        let x = Decimal::from(plot_x) + scaled(*tick, opts.max, plot_w);
        let _ = write!(
            s,
            r#"<line x1="{x}" y1="{TOP}" x2="{x}" y2="{y2}" stroke="{GRID}" stroke-width="1"/><text x="{x}" y="{ty}" text-anchor="middle" font-size="11" fill="{TEXT_FILL}" {FONT}>{label}</text>"#,
            x = coord(x),
            y2 = TOP + plot_h,
            ty = TOP + plot_h + 16,
            label = escape(&chiso_domain::fmt::vi_plain(*tick)),
        );
    }
    for (i, row) in sorted.iter().enumerate() {
        let y = TOP + u32::try_from(i).unwrap_or(u32::MAX).saturating_mul(pitch) + opts.gap / 2;
        let mid = y + opts.bar_height / 2;
        let w = scaled(row.value, opts.max, plot_w);
        let tooltip = match row.rank {
            Some(r) => format!("{r}. {}: {}", row.label, row.value_label),
            None => format!("{}: {}", row.label, row.value_label),
        };
        let _ = write!(
            s,
            r#"<g><title>{tooltip}</title><text x="{lx}" y="{mid}" dy="0.35em" text-anchor="end" font-size="13" fill="{TEXT_FILL}" {FONT}>{label}</text><rect class="bar" x="{plot_x}" y="{y}" width="{w}" height="{h}" fill="{fill}"/><text x="{vx}" y="{mid}" dy="0.35em" font-size="13" font-weight="bold" fill="{TEXT_FILL}" {FONT}>{value}</text></g>"#,
            tooltip = escape(&tooltip),
            lx = plot_x.saturating_sub(8),
            label = escape(&row.label),
            w = coord(w),
            h = opts.bar_height,
            fill = escape(&row.fill),
            vx = coord(Decimal::from(plot_x) + w + Decimal::from(6)),
            value = escape(&row.value_label),
        );
    }
    s.push_str("</svg>");
    s
}

/// One column of a history chart (one period).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnRow {
    /// Written under the column (the year).
    pub label: String,
    /// The value on the `0..=max` scale; the column's height is proportional to it.
    pub value: Decimal,
    /// The value as people read it, written above the column.
    pub value_label: String,
    /// Fill colour of the column.
    pub fill: String,
}

/// Geometry and text of a column chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnChartOptions {
    /// Accessible name of the chart.
    pub title: String,
    /// The value of a full-height column.
    pub max: Decimal,
    /// Total width.
    pub width: u32,
    /// Height of the plot area (labels are added above and below).
    pub plot_height: u32,
}

impl Default for ColumnChartOptions {
    fn default() -> Self {
        ColumnChartOptions {
            title: String::new(),
            max: Decimal::ONE_HUNDRED,
            width: 480,
            plot_height: 140,
        }
    }
}

/// A column chart in the order given (chronological for a unit's history): column height
/// proportional to `value ÷ max`, value above, label below, a base line at zero.
pub fn column_chart(rows: &[ColumnRow], opts: &ColumnChartOptions) -> String {
    const VALUE_SPACE: u32 = 20;
    let count = u32::try_from(rows.len()).unwrap_or(u32::MAX).max(1);
    let slot = (opts.width / count).max(1);
    let col_w = (slot * 3 / 5).clamp(1, 56);
    let base = TOP + VALUE_SPACE + opts.plot_height;
    let height = base + AXIS_LABELS;

    let mut s = svg_open(opts.width, height, &opts.title, "chart chart-columns");
    let _ = write!(
        s,
        r#"<line x1="0" y1="{base}" x2="{w}" y2="{base}" stroke="{GRID}" stroke-width="1"/>"#,
        w = opts.width
    );
    for (i, row) in rows.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        let cx = i.saturating_mul(slot) + slot / 2;
        let h = scaled(row.value, opts.max, opts.plot_height);
        let y = Decimal::from(base) - h;
        let _ = write!(
            s,
            r#"<g><title>{tooltip}</title><rect class="bar" x="{x}" y="{y}" width="{col_w}" height="{h}" fill="{fill}"/><text x="{cx}" y="{vy}" text-anchor="middle" font-size="12" font-weight="bold" fill="{TEXT_FILL}" {FONT}>{value}</text><text x="{cx}" y="{ly}" text-anchor="middle" font-size="12" fill="{TEXT_FILL}" {FONT}>{label}</text></g>"#,
            tooltip = escape(&format!("{}: {}", row.label, row.value_label)),
            x = cx.saturating_sub(col_w / 2),
            y = coord(y),
            h = coord(h),
            fill = escape(&row.fill),
            vy = coord(y - Decimal::from(6)),
            value = escape(&row.value_label),
            ly = base + 16,
            label = escape(&row.label),
        );
    }
    s.push_str("</svg>");
    s
}

/// A small decorative bar (`value ÷ max` of its width) to sit next to a figure in a table.
/// Hidden from screen readers: the figure beside it already says everything.
pub fn mini_bar(value: Decimal, max: Decimal, fill: &str) -> String {
    const W: u32 = 80;
    const H: u32 = 10;
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="mini-bar" viewBox="0 0 {W} {H}" width="{W}" height="{H}" aria-hidden="true" focusable="false"><rect x="0" y="0" width="{W}" height="{H}" fill="#eaeef2"/><rect class="bar" x="0" y="0" width="{w}" height="{H}" fill="{fill}"/></svg>"##,
        w = coord(scaled(value, max, W)),
        fill = escape(fill),
    )
}

/// One point of a line chart (one period of a unit's history).
#[derive(Debug, Clone, PartialEq)]
pub struct LinePoint {
    /// Written under the point (the year).
    pub label: String,
    /// The value on the `0..=max` scale.
    pub value: Decimal,
    /// The value as people read it, written above the point.
    pub value_label: String,
    /// A second line of text under the label (the rank, "3/9"), when there is one.
    pub note: Option<String>,
    /// Fill of the point's marker (the class's colour).
    pub fill: String,
}

/// Geometry and text of a line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChartOptions {
    /// Accessible name of the chart.
    pub title: String,
    /// A sentence read by screen readers after the title: what the chart shows, in words.
    pub description: String,
    /// The value at the top of the plot.
    pub max: Decimal,
    /// Total width (the chart scales down to its container).
    pub width: u32,
    /// Height of the plot area.
    pub plot_height: u32,
    /// Scale values with a grid line and a label at the left.
    pub ticks: Vec<Decimal>,
}

impl Default for LineChartOptions {
    fn default() -> Self {
        LineChartOptions {
            title: String::new(),
            description: String::new(),
            max: Decimal::ONE_HUNDRED,
            width: 480,
            plot_height: 160,
            ticks: [0, 50, 100].into_iter().map(Decimal::from).collect(),
        }
    }
}

/// A line chart in the order given (chronological): one marker per point, joined by a line,
/// the value above each marker, the label (and note) below, grid lines at the ticks.
pub fn line_chart(points: &[LinePoint], opts: &LineChartOptions) -> String {
    const LEFT: u32 = 36;
    const VALUE_SPACE: u32 = 22;
    const BELOW: u32 = 40;
    let count = u32::try_from(points.len()).unwrap_or(u32::MAX).max(1);
    let plot_w = opts.width.saturating_sub(LEFT + 8).max(1);
    let slot = (plot_w / count).max(1);
    let top = TOP + VALUE_SPACE;
    let base = top + opts.plot_height;
    let height = base + BELOW;
    let mut s = svg_open_described(
        opts.width,
        height,
        &opts.title,
        &opts.description,
        "chart chart-line",
    );
    for tick in &opts.ticks {
        let y = Decimal::from(base) - scaled(*tick, opts.max, opts.plot_height);
        let _ = write!(
            s,
            r#"<line x1="{LEFT}" y1="{y}" x2="{x2}" y2="{y}" stroke="{GRID}" stroke-width="1"/><text x="{tx}" y="{y}" dy="0.35em" text-anchor="end" font-size="11" fill="{TEXT_FILL}" {FONT}>{label}</text>"#,
            y = coord(y),
            x2 = opts.width.saturating_sub(8),
            tx = LEFT - 4,
            label = escape(&chiso_domain::fmt::vi_plain(*tick)),
        );
    }
    let at = |i: usize, value: Decimal| {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        let x = LEFT + i.saturating_mul(slot) + slot / 2;
        let y = Decimal::from(base) - scaled(value, opts.max, opts.plot_height);
        (x, y)
    };
    if points.len() > 1 {
        let path: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (x, y) = at(i, p.value);
                format!("{x},{}", coord(y))
            })
            .collect();
        let _ = write!(
            s,
            r##"<polyline points="{}" fill="none" stroke="#57606a" stroke-width="2"/>"##,
            path.join(" ")
        );
    }
    for (i, p) in points.iter().enumerate() {
        let (x, y) = at(i, p.value);
        let tooltip = match &p.note {
            Some(n) => format!("{}: {} ({n})", p.label, p.value_label),
            None => format!("{}: {}", p.label, p.value_label),
        };
        let _ = write!(
            s,
            r#"<g><title>{tooltip}</title><circle class="point" cx="{x}" cy="{y}" r="5" fill="{fill}"/><text x="{x}" y="{vy}" text-anchor="middle" font-size="12" font-weight="bold" fill="{TEXT_FILL}" {FONT}>{value}</text><text x="{x}" y="{ly}" text-anchor="middle" font-size="12" fill="{TEXT_FILL}" {FONT}>{label}</text>"#,
            tooltip = escape(&tooltip),
            y = coord(y),
            fill = escape(&p.fill),
            vy = coord(y - Decimal::from(9)),
            value = escape(&p.value_label),
            ly = base + 16,
            label = escape(&p.label),
        );
        if let Some(note) = &p.note {
            let _ = write!(
                s,
                r#"<text x="{x}" y="{ny}" text-anchor="middle" font-size="11" fill="{TEXT_FILL}" {FONT}>{note}</text>"#,
                ny = base + 32,
                note = escape(note),
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

/// One row of a heatmap (a unit) with one cell per column.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatRow {
    /// Written left of the row.
    pub label: String,
    /// One per column: the share in percent (`None` when the column does not apply) and the
    /// text written in the cell.
    pub cells: Vec<(Option<Decimal>, String)>,
}

/// A heatmap: rows × columns of cells shaded by their share of 100 (darker = higher), each
/// cell's figure written in it, column headings above. The figures are in the cells so the
/// picture is readable without telling colours apart.
pub fn heatmap(columns: &[String], rows: &[HeatRow], title: &str, description: &str) -> String {
    const LABEL_W: u32 = 180;
    const CELL_W: u32 = 56;
    const CELL_H: u32 = 24;
    const HEAD: u32 = 24;
    let ncols = u32::try_from(columns.len()).unwrap_or(u32::MAX);
    let nrows = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    let width = LABEL_W + ncols.saturating_mul(CELL_W);
    let height = TOP + HEAD + nrows.saturating_mul(CELL_H);
    let mut s = svg_open_described(width, height, title, description, "chart chart-heatmap");
    for (j, c) in columns.iter().enumerate() {
        let j = u32::try_from(j).unwrap_or(u32::MAX);
        let _ = write!(
            s,
            r#"<text x="{x}" y="{y}" text-anchor="middle" font-size="12" font-weight="bold" fill="{TEXT_FILL}" {FONT}>{c}</text>"#,
            x = LABEL_W + j.saturating_mul(CELL_W) + CELL_W / 2,
            y = TOP + HEAD - 8,
            c = escape(c),
        );
    }
    for (i, row) in rows.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        let y = TOP + HEAD + i.saturating_mul(CELL_H);
        let _ = write!(
            s,
            r#"<g><text x="{lx}" y="{my}" dy="0.35em" text-anchor="end" font-size="12" fill="{TEXT_FILL}" {FONT}>{label}</text>"#,
            lx = LABEL_W - 6,
            my = y + CELL_H / 2,
            label = escape(&row.label),
        );
        for (j, (share, text)) in row.cells.iter().enumerate() {
            let j = u32::try_from(j).unwrap_or(u32::MAX);
            let x = LABEL_W + j.saturating_mul(CELL_W);
            let (fill, ink) = heat_fill(*share);
            let _ = write!(
                s,
                r##"<rect class="cell" x="{x}" y="{y}" width="{CELL_W}" height="{CELL_H}" fill="{fill}" stroke="#ffffff" stroke-width="1"><title>{tip}</title></rect><text x="{tx}" y="{my}" dy="0.35em" text-anchor="middle" font-size="11" fill="{ink}" {FONT}>{text}</text>"##,
                tip = escape(&format!(
                    "{}, {}: {text}",
                    row.label,
                    columns.get(j as usize).map_or("", String::as_str)
                )),
                tx = x + CELL_W / 2,
                my = y + CELL_H / 2,
                text = escape(text),
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

/// Shades of one blue from light (low share) to dark (high), and the text colour that keeps
/// 4.5:1 contrast on each.
const HEAT_FILLS: [(&str, &str); 5] = [
    ("#eaf2fb", "#1f2328"),
    ("#c6dbf3", "#1f2328"),
    ("#8fb8e6", "#1f2328"),
    ("#3d7cc9", "#ffffff"),
    ("#0b4a8f", "#ffffff"),
];

fn heat_fill(share: Option<Decimal>) -> (&'static str, &'static str) {
    let Some(share) = share else {
        return ("#f6f8fa", "#57606a");
    };
    let k = [
        Decimal::from(50),
        Decimal::from(70),
        Decimal::from(80),
        Decimal::from(90),
    ]
    .iter()
    .filter(|b| share >= **b)
    .count();
    HEAT_FILLS[k]
}

/// One bin of a histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramBin {
    /// Written under the bin ("80–90").
    pub label: String,
    /// How many fall in it.
    pub count: u32,
}

/// A histogram: one column per bin, height proportional to its count (the tallest bin fills
/// the plot), the count above each column, the bin's range below.
pub fn histogram(bins: &[HistogramBin], title: &str, description: &str) -> String {
    const WIDTH: u32 = 480;
    const PLOT_H: u32 = 140;
    const VALUE_SPACE: u32 = 18;
    let count = u32::try_from(bins.len()).unwrap_or(u32::MAX).max(1);
    let slot = (WIDTH / count).max(1);
    let tallest = Decimal::from(bins.iter().map(|b| b.count).max().unwrap_or(0).max(1));
    let base = TOP + VALUE_SPACE + PLOT_H;
    let height = base + AXIS_LABELS;
    let mut s = svg_open_described(WIDTH, height, title, description, "chart chart-histogram");
    let _ = write!(
        s,
        r#"<line x1="0" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="{GRID}" stroke-width="1"/>"#
    );
    for (i, b) in bins.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        let x = i.saturating_mul(slot);
        let h = scaled(Decimal::from(b.count), tallest, PLOT_H);
        let y = Decimal::from(base) - h;
        let _ = write!(
            s,
            r##"<g><title>{tip}</title><rect class="bar" x="{bx}" y="{y}" width="{w}" height="{h}" fill="#0b5cad"/><text x="{cx}" y="{vy}" text-anchor="middle" font-size="12" font-weight="bold" fill="{TEXT_FILL}" {FONT}>{n}</text><text x="{cx}" y="{ly}" text-anchor="middle" font-size="10" fill="{TEXT_FILL}" {FONT}>{label}</text></g>"##,
            tip = escape(&format!("{}: {}", b.label, b.count)),
            bx = x + 2,
            y = coord(y),
            w = slot.saturating_sub(4).max(1),
            h = coord(h),
            cx = x + slot / 2,
            vy = coord(y - Decimal::from(4)),
            n = b.count,
            ly = base + 14,
            label = escape(&b.label),
        );
    }
    s.push_str("</svg>");
    s
}

/// [`svg_open`] with a `<desc>` read after the title, and the description joined to the
/// accessible name.
fn svg_open_described(
    width: u32,
    height: u32,
    title: &str,
    description: &str,
    class: &str,
) -> String {
    let (t, d) = (escape(title), escape(description));
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="{class}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}"><title>{t}</title><desc>{d}</desc>"#
    )
}

fn svg_open(width: u32, height: u32, title: &str, class: &str) -> String {
    let title = escape(title);
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="{class}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{title}"><title>{title}</title>"#
    )
}

/// `value ÷ max × length`, clamped to `[0, length]` (a negative total draws no bar, a bonus
/// above the maximum does not overflow the plot).
fn scaled(value: Decimal, max: Decimal, length: u32) -> Decimal {
    if max <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    let len = Decimal::from(length);
    (value * len / max).clamp(Decimal::ZERO, len)
}

/// A coordinate with at most 2 decimals and no trailing zeros.
fn coord(d: Decimal) -> String {
    d.round_dp(2).normalize().to_string()
}

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn a_line_chart_has_a_title_a_description_and_one_marker_per_year() {
        let points: Vec<LinePoint> = [(2023, dec!(80)), (2024, dec!(91.5))]
            .into_iter()
            .map(|(y, v)| LinePoint {
                label: y.to_string(),
                value: v,
                value_label: v.to_string(),
                note: Some("1/9".into()),
                fill: "#1a7f37".into(),
            })
            .collect();
        let svg = line_chart(
            &points,
            &LineChartOptions {
                title: "Lịch sử <A>".into(),
                description: "Chỉ số qua các năm".into(),
                ..LineChartOptions::default()
            },
        );
        assert!(svg.contains(r#"role="img" aria-label="Lịch sử &lt;A&gt;""#));
        assert!(svg.contains("<desc>Chỉ số qua các năm</desc>"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("<polyline"));
        assert!(!svg.contains("style="));
    }

    #[test]
    fn a_heatmap_writes_each_figure_in_its_cell_and_shades_by_share() {
        let rows = vec![HeatRow {
            label: "Sở Tư pháp".into(),
            cells: vec![(Some(dec!(95)), "95,00".into()), (None, "—".into())],
        }];
        let svg = heatmap(&["1".into(), "2".into()], &rows, "Bản đồ", "Tỷ lệ điểm");
        assert_eq!(svg.matches("<rect class=\"cell\"").count(), 2);
        assert!(svg.contains("#0b4a8f") && svg.contains(">95,00<"));
        assert!(svg.contains("<desc>Tỷ lệ điểm</desc>"));
    }

    #[test]
    fn the_tallest_bin_of_a_histogram_fills_the_plot() {
        let bins = vec![
            HistogramBin {
                label: "80–90".into(),
                count: 2,
            },
            HistogramBin {
                label: "90–100".into(),
                count: 4,
            },
        ];
        let svg = histogram(&bins, "Phân bố", "Số đơn vị theo khoảng chỉ số");
        assert!(svg.contains(r#"height="140""#), "{svg}");
        assert!(svg.contains(r#"height="70""#), "{svg}");
    }
}
