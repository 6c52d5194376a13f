//! Fuzzing every reader on the stable toolchain: valid seed files (the examples, and
//! workbooks built from them) are mutated at random, as bytes and structurally (tokens that
//! matter to CSV, YAML and JSON; for XLSX the XML inside the package, re-zipped), and each
//! reader must return a value or errors, never panic.
//!
//! In the test suite each reader runs a fixed, reproducible number of cases
//! (`CHISO_FUZZ_CASES` to change it). `CHISO_FUZZ_SECS=600` runs each reader for that long
//! with fresh randomness instead (`scripts/fuzz`); either way a line per reader reports the
//! cases run, panics, the slowest case and the peak resident memory, and inputs that
//! panicked are kept under `target/fuzz-failures/`.

use crate::support;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use chiso_domain::IndexSet;
use chiso_formats::{
    read_index_set_bytes, read_results_bytes, read_scores_bytes, read_units_bytes,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use support::{example, peak_rss_kib, reset_peak_rss, rezip, unzip, xlsx_from_csv};

/// Tokens that change how text formats are read: delimiters, quotes, line breaks, YAML
/// anchors and flow syntax, control characters, numbers at the edge of what parses.
const TEXT_TOKENS: &[&str] = &[
    ",",
    ";",
    "\t",
    "\"",
    "\n",
    "\r\n",
    "#",
    ":",
    "- ",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "<<: *a",
    "!!binary ",
    "\"\\0\"",
    "\u{0}",
    "\u{1b}",
    "\u{feff}",
    "\u{fffd}",
    "~",
    "null",
    "1,5",
    "\"1,5\"",
    "1e400",
    "-0",
    "99999999999999999999999999999",
    "0.0000000000000000000001",
    "1.2.3.4.5.6.7.8.9.10.11",
    "II.1",
    "TC-3",
    "có",
    "không phát sinh",
    "30/30",
    "31/02/2025",
    "100%",
    "-1",
    "XA-AN-BINH",
    "1.1.1",
    "graded",
    "tiers",
    "days_late",
    "{\"units\":[",
];

/// Tokens for the XML inside a workbook: far cells, string references out of range, escapes
/// that decode to control characters, huge announced counts, broken structure.
const XML_TOKENS: &[&str] = &[
    "<c r=\"XFD1048576\"><v>1</v></c>",
    "<c r=\"A1048577\"><v>1</v></c>",
    "<c r=\"ZZZZ1\" t=\"s\"><v>0</v></c>",
    "<c t=\"s\"><v>999999</v></c>",
    "<c t=\"inlineStr\"><is><t>_x0000_</t></is></c>",
    "<c t=\"e\"><v>#DIV/0!</v></c>",
    "<c t=\"d\"><v>2025-13-45T00:00:00</v></c>",
    "<c s=\"9999\"><v>1e308</v></c>",
    "<row r=\"4294967295\">",
    "<row r=\"0\">",
    "</row>",
    "</sheetData>",
    "uniqueCount=\"99999999999\"",
    "<dimension ref=\"A1:XFD1048576\"/>",
    "&#0;",
    "&amp;",
    "&unknown;",
    "<![CDATA[",
    "<si><t>x</t></si>",
    "_x001B_",
    "\"",
    "<",
    ">",
];

/// The index set the score files are read against.
static SET: LazyLock<IndexSet> =
    LazyLock::new(|| read_index_set_bytes("s.yaml", &example("index-set-xa.yaml")).unwrap());

/// One edit of a byte string; positions are fractions of its length so they stay in range.
#[derive(Debug, Clone)]
enum Edit {
    Flip(u32, u8),
    Insert(u32, Vec<u8>),
    Token(u32, usize),
    Delete(u32, u16),
    /// Repeats a slice: longer rows, more rows, deeper nesting.
    Repeat(u32, u16, u16),
    Truncate(u32),
}

fn edit(tokens: usize) -> impl Strategy<Value = Edit> {
    prop_oneof![
        2 => (any::<u32>(), any::<u8>()).prop_map(|(p, b)| Edit::Flip(p, b)),
        1 => (any::<u32>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(p, v)| Edit::Insert(p, v)),
        4 => (any::<u32>(), 0..tokens).prop_map(|(p, t)| Edit::Token(p, t)),
        2 => (any::<u32>(), 1u16..256).prop_map(|(p, n)| Edit::Delete(p, n)),
        1 => (any::<u32>(), 1u16..512, 1u16..200).prop_map(|(p, n, k)| Edit::Repeat(p, n, k)),
        1 => any::<u32>().prop_map(Edit::Truncate),
    ]
}

fn at(p: u32, len: usize) -> usize {
    (u64::from(p) * (len as u64 + 1) / (u64::from(u32::MAX) + 1)) as usize
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit], tokens: &[&str]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len();
        match e {
            Edit::Flip(p, b) if len > 0 => {
                let i = at(*p, len - 1);
                bytes[i] ^= b | 1;
            }
            Edit::Flip(..) => {}
            Edit::Insert(p, v) => {
                let i = at(*p, len);
                bytes.splice(i..i, v.iter().copied());
            }
            Edit::Token(p, t) => {
                let i = at(*p, len);
                bytes.splice(i..i, tokens[*t].bytes());
            }
            Edit::Delete(p, n) => {
                let i = at(*p, len);
                let j = (i + usize::from(*n)).min(len);
                bytes.drain(i..j);
            }
            Edit::Repeat(p, n, k) => {
                let i = at(*p, len);
                let j = (i + usize::from(*n)).min(len);
                let slice = bytes[i..j].to_vec();
                for _ in 0..*k {
                    bytes.splice(j..j, slice.iter().copied());
                }
            }
            Edit::Truncate(p) => bytes.truncate(at(*p, len)),
        }
    }
    bytes
}

/// Mutated text files from `seeds`.
fn text_inputs(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let seeds = Arc::new(seeds);
    (
        0..seeds.len(),
        prop::collection::vec(edit(TEXT_TOKENS.len()), 1..8),
    )
        .prop_map(move |(s, edits)| apply(seeds[s].clone(), &edits, TEXT_TOKENS))
}

/// A seed workbook's bytes and its entries (name, content).
type Package = (Vec<u8>, Vec<(String, Vec<u8>)>);

/// Mutated workbooks from `seeds`: edits to the XML of one entry, re-zipped (deflated or
/// stored); one case in eight edits the zip bytes themselves.
fn xlsx_inputs(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let packages: Arc<Vec<Package>> =
        Arc::new(seeds.into_iter().map(|b| (b.clone(), unzip(&b))).collect());
    (
        0..packages.len(),
        any::<u8>(),
        0u8..8,
        any::<bool>(),
        prop::collection::vec(edit(XML_TOKENS.len()), 1..8),
    )
        .prop_map(move |(s, entry, mode, deflate, edits)| {
            let (raw, entries) = &packages[s];
            if mode == 0 {
                return apply(raw.clone(), &edits, XML_TOKENS);
            }
            let mut entries = entries.clone();
            // Sheets and shared strings most of the time, any entry otherwise.
            let interesting: Vec<usize> = entries
                .iter()
                .enumerate()
                .filter(|(_, (n, _))| n.contains("sheet") || n.contains("sharedStrings"))
                .map(|(i, _)| i)
                .collect();
            let i = if mode < 6 && !interesting.is_empty() {
                interesting[usize::from(entry) % interesting.len()]
            } else {
                usize::from(entry) % entries.len()
            };
            let data = std::mem::take(&mut entries[i].1);
            entries[i].1 = apply(data, &edits, XML_TOKENS);
            rezip(&entries, deflate)
        })
}

/// How long to fuzz: a number of cases, or a duration from `CHISO_FUZZ_SECS`.
enum Budget {
    Cases(u64),
    Time(Duration),
}

fn budget(default_cases: u64) -> Budget {
    if let Some(secs) = std::env::var("CHISO_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        return Budget::Time(Duration::from_secs(secs));
    }
    Budget::Cases(
        std::env::var("CHISO_FUZZ_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default_cases),
    )
}

/// Where panics happened since the last [`take_panics`] (file:line), counted.
static PANICS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

/// Records panics instead of printing each (a long run may meet the same one many times).
fn count_panics() {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map_or_else(|| "?".to_owned(), |l| format!("{}:{}", l.file(), l.line()));
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        *PANICS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(format!("{place} ({what})"))
            .or_default() += 1;
    }));
}

fn take_panics() -> BTreeMap<String, u64> {
    std::mem::take(
        &mut *PANICS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

/// Runs `read` on inputs from `inputs` within the budget; asserts that no panic escaped a
/// reader and reports cases, panics (escaped, and contained: a panic inside the spreadsheet
/// library that the reader turned into an error), the slowest case and the peak memory.
fn fuzz<S: Strategy<Value = Vec<u8>>>(
    name: &str,
    default_cases: u64,
    inputs: S,
    read: impl Fn(&[u8]) -> bool,
) {
    let budget = budget(default_cases);
    let mut runner = match budget {
        // Reproducible in the test suite; fresh randomness for long runs.
        Budget::Cases(_) => TestRunner::deterministic(),
        Budget::Time(_) => TestRunner::new(Config::default()),
    };
    reset_peak_rss();
    let start = Instant::now();
    let (mut cases, mut panics, mut accepted) = (0u64, 0u64, 0u64);
    let mut slowest = (Duration::ZERO, 0usize);
    let mut places: BTreeMap<String, u64> = BTreeMap::new();
    loop {
        match budget {
            Budget::Cases(n) if cases >= n => break,
            Budget::Time(d) if start.elapsed() >= d => break,
            _ => {}
        }
        let input = inputs.new_tree(&mut runner).unwrap().current();
        let t = Instant::now();
        count_panics();
        let outcome = catch_unwind(AssertUnwindSafe(|| read(&input)));
        let _ = std::panic::take_hook();
        let took = t.elapsed();
        if took > slowest.0 {
            slowest = (took, input.len());
        }
        cases += 1;
        accepted += u64::from(outcome.as_ref().is_ok_and(|ok| *ok));
        let seen = take_panics();
        let kind = if outcome.is_err() {
            panics += 1;
            "escaped"
        } else {
            "contained"
        };
        if !seen.is_empty() {
            for (place, n) in seen {
                *places.entry(format!("{kind}: {place}")).or_default() += n;
            }
            let dir =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-failures");
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join(format!("{name}-{cases}-{kind}.bin")), &input);
        }
    }
    let contained: u64 = places
        .iter()
        .filter(|(p, _)| p.starts_with("contained"))
        .map(|(_, n)| n)
        .sum();
    let mut line = format!(
        "fuzz {name}: {cases} cases in {:.0} s ({accepted} read as valid), {panics} panics \
         escaped, {contained} contained, slowest case {} ms ({} bytes), peak RSS {} MiB",
        start.elapsed().as_secs_f64(),
        slowest.0.as_millis(),
        slowest.1,
        peak_rss_kib() / 1024
    );
    for (place, n) in &places {
        line.push_str(&format!("\n    {n} × {place}"));
    }
    eprintln!("{line}");
    if let Ok(log) = std::env::var("CHISO_FUZZ_LOG") {
        use std::io::Write as _;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
        {
            let _ = writeln!(f, "{line}");
        }
    }
    assert_eq!(panics, 0, "{line}");
}

fn text(name: &str) -> String {
    String::from_utf8(example(name)).unwrap()
}

fn previous_json() -> Vec<u8> {
    let table = text("previous.csv");
    let mut r = csv::Reader::from_reader(table.as_bytes());
    let headers = r.headers().unwrap().clone();
    let units: Vec<serde_json::Value> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            serde_json::Value::Object(
                headers
                    .iter()
                    .zip(rec.iter())
                    .map(|(h, v)| (h.to_owned(), serde_json::Value::String(v.to_owned())))
                    .collect(),
            )
        })
        .collect();
    serde_json::to_vec_pretty(&serde_json::json!({ "units": units })).unwrap()
}

const TEXT_CASES: u64 = 1_500;
const XLSX_CASES: u64 = 500;

#[test]
fn fuzzed_index_set_yaml_never_panics() {
    let seeds = vec![
        example("index-set-xa.yaml"),
        example("huyen-2024/index-set.yaml"),
    ];
    fuzz("index_set_yaml", TEXT_CASES, text_inputs(seeds), |b| {
        read_index_set_bytes("s.yaml", b).is_ok()
    });
}

#[test]
fn fuzzed_index_set_csv_never_panics() {
    fuzz(
        "index_set_csv",
        TEXT_CASES,
        text_inputs(vec![example("index-set-xa.csv")]),
        |b| read_index_set_bytes("s.csv", b).is_ok(),
    );
}

#[test]
fn fuzzed_index_set_xlsx_never_panics() {
    let seed = xlsx_from_csv(&[("nodes", &text("index-set-xa.csv"))]);
    fuzz("index_set_xlsx", XLSX_CASES, xlsx_inputs(vec![seed]), |b| {
        read_index_set_bytes("s.xlsx", b).is_ok()
    });
}

#[test]
fn fuzzed_units_csv_never_panics() {
    fuzz(
        "units_csv",
        TEXT_CASES,
        text_inputs(vec![example("units.csv"), example("huyen-2024/units.csv")]),
        |b| read_units_bytes("u.csv", b).is_ok(),
    );
}

#[test]
fn fuzzed_units_xlsx_never_panics() {
    let seed = xlsx_from_csv(&[("units", &text("units.csv"))]);
    fuzz("units_xlsx", XLSX_CASES, xlsx_inputs(vec![seed]), |b| {
        read_units_bytes("u.xlsx", b).is_ok()
    });
}

#[test]
fn fuzzed_long_scores_csv_never_panics() {
    fuzz(
        "scores_long_csv",
        TEXT_CASES,
        text_inputs(vec![example("scores-long.csv")]),
        |b| read_scores_bytes("s.csv", b, &SET, None).is_ok(),
    );
}

#[test]
fn fuzzed_wide_scores_csv_never_panics() {
    fuzz(
        "scores_wide_csv",
        TEXT_CASES,
        text_inputs(vec![example("scores-wide.csv")]),
        |b| read_scores_bytes("s.csv", b, &SET, None).is_ok(),
    );
}

#[test]
fn fuzzed_long_scores_xlsx_never_panics() {
    let seed = xlsx_from_csv(&[("scores", &text("scores-long.csv"))]);
    fuzz(
        "scores_long_xlsx",
        XLSX_CASES,
        xlsx_inputs(vec![seed]),
        |b| read_scores_bytes("s.xlsx", b, &SET, None).is_ok(),
    );
}

#[test]
fn fuzzed_wide_scores_xlsx_never_panics() {
    let seed = xlsx_from_csv(&[("scores", &text("scores-wide.csv"))]);
    fuzz(
        "scores_wide_xlsx",
        XLSX_CASES,
        xlsx_inputs(vec![seed]),
        |b| read_scores_bytes("s.xlsx", b, &SET, None).is_ok(),
    );
}

#[test]
fn fuzzed_results_csv_and_json_never_panic() {
    fuzz(
        "results_csv",
        TEXT_CASES,
        text_inputs(vec![example("previous.csv")]),
        |b| read_results_bytes("p.csv", b).is_ok(),
    );
    fuzz(
        "results_json",
        TEXT_CASES,
        text_inputs(vec![previous_json()]),
        |b| read_results_bytes("p.json", b).is_ok(),
    );
}

#[test]
fn fuzzed_results_xlsx_never_panics() {
    let seed = xlsx_from_csv(&[("Kết quả", &text("previous.csv"))]);
    fuzz("results_xlsx", XLSX_CASES, xlsx_inputs(vec![seed]), |b| {
        read_results_bytes("p.xlsx", b).is_ok()
    });
}
