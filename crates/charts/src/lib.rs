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
