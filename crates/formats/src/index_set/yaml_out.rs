//! Writes an index set as YAML in the form [`crate::read_index_set`] reads, so a set stored in
//! the database or generated for benchmarks can be exported, edited and imported again.

use std::fmt::Write as _;
use std::path::Path;

use chiso_domain::fmt::vi_date;
use chiso_domain::{ClassBand, IndexSet, Method, NaPolicy, Node, TieBreaker, Tier, TierBasis};

use crate::error::ExportError;
use crate::params::plain;

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{}\"", s.replace('"', "'")))
}

fn bands(out: &mut String, indent: &str, bands: &[ClassBand]) {
    for b in bands {
        let _ = writeln!(
            out,
            "{indent}- {{label: {}, min: {}}}",
            q(&b.label),
            plain(b.min)
        );
    }
}

fn tiers(t: &[Tier]) -> String {
    let items: Vec<String> = t
        .iter()
        .map(|t| match t.below {
            Some(b) => format!(
                "{{min: {}, below: {}, points: {}}}",
                plain(t.min),
                plain(b),
                plain(t.points)
            ),
            None => format!("{{min: {}, points: {}}}", plain(t.min), plain(t.points)),
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// The YAML value of a method.
fn method(m: &Method) -> String {
    match m {
        Method::YesNo | Method::Proportional | Method::Survey | Method::Bonus => {
            m.name().to_owned()
        }
        Method::Manual { step: None } => "manual".to_owned(),
        Method::Manual { step: Some(s) } => format!("{{manual: {{step: {}}}}}", plain(*s)),
        Method::Count { per, cap: None } => format!("{{count: {{per: {}}}}}", plain(*per)),
        Method::Count { per, cap: Some(c) } => {
            format!("{{count: {{per: {}, cap: {}}}}}", plain(*per), plain(*c))
        }
        Method::Deduction { per } => format!("{{deduction: {{per: {}}}}}", plain(*per)),
        Method::Tiers {
            basis: TierBasis::Percent,
            tiers: t,
        } => format!("{{tiers: {}}}", tiers(t)),
        Method::Tiers {
            basis: TierBasis::Count,
            tiers: t,
        } => {
            format!("{{tiers: {{basis: count, levels: {}}}}}", tiers(t))
        }
        Method::Tiers {
            basis: TierBasis::DaysLate { deadline },
            tiers: t,
        } => {
            format!(
                "{{days_late: {{deadline: {}, tiers: {}}}}}",
                q(&vi_date(*deadline)),
                tiers(t)
            )
        }
        Method::Graded { grades } if *grades == Method::default_grades() => "graded".to_owned(),
        Method::Graded { grades } => {
            let items: Vec<String> = grades
                .iter()
                .map(|g| {
                    format!(
                        "{{code: {}, label: {}, percent: {}}}",
                        q(&g.code),
                        q(&g.label),
                        plain(g.percent)
                    )
                })
                .collect();
            format!("{{graded: [{}]}}", items.join(", "))
        }
    }
}

fn node(out: &mut String, depth: usize, n: &Node) {
    let pad = "  ".repeat(depth);
    let _ = writeln!(out, "{pad}- code: {}", q(n.code.as_str()));
    let _ = writeln!(out, "{pad}  title: {}", q(&n.title));
    let _ = writeln!(out, "{pad}  max: {}", plain(n.max.0));
    let _ = writeln!(out, "{pad}  source: {}", n.source.as_str());
    if let Some(m) = &n.method {
        let _ = writeln!(out, "{pad}  method: {}", method(m));
    }
    if let Some(na) = n.not_applicable {
        let v = match na {
            NaPolicy::Exclude => "exclude",
            NaPolicy::FullPoints => "full_points",
        };
        let _ = writeln!(out, "{pad}  not_applicable: {v}");
    }
    if let Some(r) = &n.rule {
        let _ = writeln!(out, "{pad}  rule: {}", q(r));
    }
    if let Some(e) = &n.evidence {
        let _ = writeln!(out, "{pad}  evidence: {}", q(e));
    }
    if !n.children.is_empty() {
        let _ = writeln!(out, "{pad}  children:");
        for c in &n.children {
            node(out, depth + 2, c);
        }
    }
}

/// The YAML text of an index set.
pub fn index_set_yaml(set: &IndexSet) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "code: {}", q(set.code.as_str()));
    let _ = writeln!(out, "name: {}", q(&set.name));
    let _ = writeln!(out, "year: {}", set.year);
    if let Some(d) = &set.decision {
        let _ = writeln!(out, "decision: {}", q(d));
    }
    if set.classes.groups.is_empty() {
        out.push_str("classes:\n");
        bands(&mut out, "  ", &set.classes.default);
    } else {
        out.push_str("classes:\n  default:\n");
        bands(&mut out, "    ", &set.classes.default);
        out.push_str("  groups:\n");
        for (g, b) in &set.classes.groups {
            let _ = writeln!(out, "    {}:", q(g.as_str()));
            bands(&mut out, "      ", b);
        }
    }
    if set.ranking.tie_breakers.is_empty() {
        out.push_str("ranking: {ties: shared}\n");
    } else {
        out.push_str("ranking:\n  tie_breakers:\n");
        for t in &set.ranking.tie_breakers {
            let _ = match t {
                TieBreaker::SourcePoints(s) => writeln!(out, "    - {{source: {}}}", s.as_str()),
                TieBreaker::NodePoints(c) => writeln!(out, "    - {{node: {}}}", q(c.as_str())),
            };
        }
    }
    if set.renormalise_absent_areas {
        out.push_str("renormalise_absent_areas: true\n");
    }
    out.push_str("nodes:\n");
    for n in &set.nodes {
        node(&mut out, 1, n);
    }
    out
}

/// Writes [`index_set_yaml`] to `path`.
pub fn write_index_set_yaml(path: &Path, set: &IndexSet) -> Result<(), ExportError> {
    std::fs::write(path, index_set_yaml(set)).map_err(|source| ExportError::Io {
        path: path.display().to_string(),
        source,
    })
}
