//! "Tỉnh Mẫu (dữ liệu mẫu)": a fictional province with 16 departments, 7 districts and 60
//! communes assessed from 2022 to 2024, then reorganised in 2025 (departments merged on
//! 1/3/2025; districts abolished and communes merged on 1/7/2025, domain.md §8).
//!
//! Each unit has a quality that drifts from year to year; every leaf input is drawn from it,
//! so every result is computed by the engine. Three showcase figures of domain.md §1 are
//! reached by placing one survey input: the city's 96,68 % (2023) and 96,89 % (2024), and
//! Huyện Tân Khê's 89,83 points (2024). Everything else is whatever the inputs give. 2026 is
//! the year in progress: its sets are the 2025 ones with their deadlines moved to 2026.

use std::collections::BTreeMap;

use chiso_domain::{
    GroupName, IndexSet, Lineage, LineageKind, Membership, PeriodCode, SetCode, Unit, UnitCode,
    UnitInput, UnitKind,
};
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use time::{Date, Month};

use crate::inputs::{Stream, tune, unit_values};
use crate::names::{
    CITY, DEPARTMENTS, DISTRICTS, MERGED_COMMUNES, MERGED_DEPARTMENTS, SHOWCASE_DISTRICT,
    SPECIAL_ZONE, UNRANKED_DEPARTMENT, code_for, split_kind,
};
use crate::sets::{
    GROUP_COMMUNES, GROUP_DEPARTMENTS, GROUP_DISTRICTS, Level, index_set, next_year_set, set_code,
};

/// The fixed seed of the demo: the same province on every machine, every time.
const SEED: u64 = 0x0043_4849_534f_2d44;

/// First and last year of the demo with results.
const FIRST_YEAR: i32 = 2022;
const LAST_YEAR: i32 = 2025;
/// The year in progress, after the last one with results.
const OPEN_YEAR: i32 = LAST_YEAR + 1;

/// The demo province: units with their lineage, each year's index sets, four periods of raw
/// inputs (never results) and the year in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoProvince {
    /// "Tỉnh Mẫu (dữ liệu mẫu)" — the label says the data is fictional wherever it is shown.
    pub name: String,
    /// Every unit that ever existed, with `valid_from`/`valid_to` dates.
    pub units: Vec<Unit>,
    /// Merger edges of 2025 (departments on 1/3/2025, communes on 1/7/2025).
    pub lineage: Vec<Lineage>,
    /// Index sets per level and year (`SO-2024`, `HUYEN-2024`, `XA-2024`, …, `XA-2026`).
    pub sets: Vec<IndexSet>,
    /// Periods 2022–2025, oldest first.
    pub periods: Vec<DemoPeriod>,
    /// 2026, the year after the last one with results: the same groups and units as 2025,
    /// scored with the 2026 sets (the 2025 sets with their deadlines moved a year), and no
    /// inputs yet (the units enter them when the demo is tried).
    pub open: DemoPeriod,
}

/// One assessment period of the demo: its groups, the set each group uses, who takes part,
/// and every unit's raw inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoPeriod {
    /// `2022` … `2025`.
    pub code: PeriodCode,
    /// The assessed year.
    pub year: i32,
    /// "Chỉ số CCHC năm 2024".
    pub name: String,
    /// The period compared against (the year before), `None` for the first.
    pub previous: Option<PeriodCode>,
    /// Each ranking group and the code of the set it is scored with.
    pub groups: Vec<(GroupName, SetCode)>,
    /// Units taking part, their group and whether they are ranked.
    pub members: Vec<Membership>,
    /// Raw inputs per unit (one value per leaf of the unit's set), not results.
    pub inputs: Vec<UnitInput>,
}

impl DemoProvince {
    /// The set with `code`.
    pub fn set(&self, code: &SetCode) -> Option<&IndexSet> {
        self.sets.iter().find(|s| &s.code == code)
    }

    /// The period with `code` (`"2024"`).
    pub fn period(&self, code: &str) -> Option<&DemoPeriod> {
        self.periods.iter().find(|p| p.code.as_str() == code)
    }

    /// The unit with `code`.
    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.code.as_str() == code)
    }
}

/// 1 March 2025: the merged departments start work.
fn department_merger() -> Date {
    Date::from_calendar_date(2025, Month::March, 1).expect("valid date")
}

/// 1 July 2025: districts abolished, communes merged.
fn commune_reorganisation() -> Date {
    Date::from_calendar_date(2025, Month::July, 1).expect("valid date")
}

fn day_before(d: Date) -> Date {
    d.previous_day().expect("not the first day of the calendar")
}

fn ucode(s: &str) -> UnitCode {
    UnitCode::parse(s).expect("demo unit codes are valid")
}

fn group(s: &str) -> GroupName {
    GroupName::parse(s).expect("demo group names are valid")
}

fn commune_kind(name: &str) -> UnitKind {
    match split_kind(name).0 {
        "P" => UnitKind::Ward,
        "TT" => UnitKind::Township,
        "DK" => UnitKind::SpecialZone,
        _ => UnitKind::Commune,
    }
}

fn unit(code: &str, name: &str, kind: UnitKind, parent: Option<&str>) -> Unit {
    Unit {
        code: ucode(code),
        name: name.to_owned(),
        kind,
        parent: parent.map(ucode),
        valid_from: None,
        valid_to: None,
    }
}

/// Every unit of the province, old and new.
fn units() -> Vec<Unit> {
    let dept_end = day_before(department_merger());
    let reorg = commune_reorganisation();
    let reorg_end = day_before(reorg);
    let merged_away: Vec<&str> = MERGED_DEPARTMENTS
        .iter()
        .flat_map(|(_, _, preds)| preds.iter().copied())
        .collect();
    let mut out = Vec::new();
    for (code, name) in DEPARTMENTS {
        let mut u = unit(code, name, UnitKind::Department, None);
        if merged_away.contains(&code) {
            u.valid_to = Some(dept_end);
        }
        out.push(u);
    }
    for (code, name, _) in MERGED_DEPARTMENTS {
        let mut u = unit(code, name, UnitKind::Department, None);
        u.valid_from = Some(department_merger());
        out.push(u);
    }
    for (code, name, _) in DISTRICTS {
        let mut u = unit(code, name, UnitKind::District, None);
        u.valid_to = Some(reorg_end);
        out.push(u);
    }
    for (district, _, communes) in DISTRICTS {
        for name in communes {
            let mut u = unit(&code_for(name), name, commune_kind(name), Some(district));
            u.valid_to = Some(reorg_end);
            out.push(u);
        }
    }
    for (name, _) in MERGED_COMMUNES {
        let mut u = unit(&code_for(name), name, commune_kind(name), None);
        u.valid_from = Some(reorg);
        out.push(u);
    }
    out
}

/// The merger edges of 2025.
fn lineage() -> Vec<Lineage> {
    let mut out = Vec::new();
    for (code, _, preds) in MERGED_DEPARTMENTS {
        for p in preds {
            out.push(Lineage {
                predecessor: ucode(p),
                successor: ucode(code),
                kind: LineageKind::Merger,
                effective: Some(department_merger()),
            });
        }
    }
    for (name, preds) in MERGED_COMMUNES {
        for p in preds {
            out.push(Lineage {
                predecessor: ucode(&code_for(p)),
                successor: ucode(&code_for(name)),
                kind: LineageKind::Merger,
                effective: Some(commune_reorganisation()),
            });
        }
    }
    out
}

/// Qualities (‰) of the districts in 2022–2024, chosen so that the city leads every year and
/// Huyện Tân Khê sits fifth of seven in 2024 (three are tuned exactly, see [`TARGETS`]).
const DISTRICT_QUALITY: [(&str, [i64; 3]); 7] = [
    ("TP-NGOC-LAM", [975, 968, 970]),
    ("TX-DONG-PHU", [930, 925, 925]),
    ("H-AN-THANH", [890, 915, 915]),
    ("H-TAN-KHE", [880, 905, 898]),
    ("H-DA-LAM", [900, 900, 910]),
    ("H-DIEN-PHUOC", [840, 850, 800]),
    ("H-HON-MAY", [760, 790, 770]),
];

/// Indexes reached exactly by placing the SIPAS input (domain.md §1): the city's 96,89 % in
/// 2024, +0,21 on 2023, and the district at 89,83 points.
const TARGETS: [(i32, &str, i64); 3] = [
    (2023, CITY, 9668),
    (2024, CITY, 9689),
    (2024, SHOWCASE_DISTRICT, 8983),
];

fn clamp(v: i64, lo: i64, hi: i64) -> i64 {
    v.max(lo).min(hi)
}

/// Each unit's quality (‰) per year, index 0 = 2022.
fn qualities() -> BTreeMap<String, [i64; 4]> {
    let mut rng = Stream::seed_from_u64(SEED);
    let mut q: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    for (code, _) in DEPARTMENTS {
        let mut v = [0; 4];
        v[0] = rng.random_range(760..=965);
        for y in 1..4 {
            v[y] = clamp(v[y - 1] + rng.random_range(-35..=35), 500, 985);
        }
        q.insert(code.to_owned(), v);
    }
    for (code, _, preds) in MERGED_DEPARTMENTS {
        let mean = preds.iter().map(|p| q[*p][2]).sum::<i64>() / 2;
        let v = clamp(mean + rng.random_range(-25..=25), 500, 985);
        q.insert(code.to_owned(), [0, 0, 0, v]);
    }
    for (code, v) in DISTRICT_QUALITY {
        q.insert(code.to_owned(), [v[0], v[1], v[2], 0]);
    }
    for (district, _, communes) in DISTRICTS {
        for (i, name) in communes.iter().enumerate() {
            let mut v = [0; 4];
            v[0] = match district {
                CITY => rng.random_range(955..=990),
                SHOWCASE_DISTRICT => rng.random_range(800..=880),
                "H-HON-MAY" => rng.random_range(560..=700),
                _ => rng.random_range(580..=940),
            };
            if *name == "Xã Hòn Nồm" {
                // The weakest commune of the province: class yếu.
                v[0] = 470;
            }
            v[1] = v[0] + rng.random_range(-45..=45);
            v[2] = v[1] + rng.random_range(-45..=45);
            if district == SHOWCASE_DISTRICT {
                // Among the district's 7 communes, 3 improve and 4 fall in 2024 (domain.md §1).
                v[2] = v[1] + if i < 3 { 70 } else { -70 };
            }
            for x in &mut v[..3] {
                *x = clamp(*x, 350, 990);
            }
            q.insert(code_for(name), v);
        }
    }
    for (name, preds) in MERGED_COMMUNES {
        let n = i64::try_from(preds.len()).unwrap_or(1);
        let mean = preds.iter().map(|p| q[&code_for(p)][2]).sum::<i64>() / n;
        let v = clamp(mean + rng.random_range(-30..=30), 350, 990);
        q.insert(code_for(name), [0, 0, 0, v]);
    }
    q
}

/// Who takes part in `year`: `(code, name, group, ranked)`.
fn participants(year: i32) -> Vec<(String, String, &'static str, bool)> {
    let mut out = Vec::new();
    if year < LAST_YEAR {
        for (code, name) in DEPARTMENTS {
            let ranked = !(code == UNRANKED_DEPARTMENT && year <= 2023);
            out.push((code.to_owned(), name.to_owned(), GROUP_DEPARTMENTS, ranked));
        }
        for (code, name, _) in DISTRICTS {
            out.push((code.to_owned(), name.to_owned(), GROUP_DISTRICTS, true));
        }
        for (_, _, communes) in DISTRICTS {
            for name in communes {
                out.push((code_for(name), (*name).to_owned(), GROUP_COMMUNES, true));
            }
        }
    } else {
        let merged_away: Vec<&str> = MERGED_DEPARTMENTS
            .iter()
            .flat_map(|(_, _, p)| p.iter().copied())
            .collect();
        for (code, name) in DEPARTMENTS {
            if let Some((new, new_name, _)) = MERGED_DEPARTMENTS
                .iter()
                .find(|(_, _, preds)| preds[0] == code)
            {
                out.push((
                    (*new).to_owned(),
                    (*new_name).to_owned(),
                    GROUP_DEPARTMENTS,
                    true,
                ));
            } else if !merged_away.contains(&code) {
                out.push((code.to_owned(), name.to_owned(), GROUP_DEPARTMENTS, true));
            }
        }
        for (name, _) in MERGED_COMMUNES {
            let ranked = name != SPECIAL_ZONE;
            out.push((code_for(name), name.to_owned(), GROUP_COMMUNES, ranked));
        }
    }
    out
}

fn level_of(group: &str) -> Level {
    match group {
        GROUP_DEPARTMENTS => Level::Department,
        GROUP_DISTRICTS => Level::District,
        _ => Level::Commune,
    }
}

/// The seed of one unit's inputs in one year; `attempt` changes only when a showcase figure
/// cannot be reached with the first draw.
fn input_seed(year: i32, index: usize, attempt: u64) -> u64 {
    let year = u64::try_from(year).unwrap_or(0);
    let index = u64::try_from(index).unwrap_or(0);
    SEED ^ (year << 48) ^ (index << 24) ^ attempt
}

fn build_period(year: i32, sets: &[IndexSet], quality: &BTreeMap<String, [i64; 4]>) -> DemoPeriod {
    let yi = usize::try_from(year - FIRST_YEAR).unwrap_or(0);
    let group_names: &[&str] = if year < LAST_YEAR {
        &[GROUP_DEPARTMENTS, GROUP_DISTRICTS, GROUP_COMMUNES]
    } else {
        &[GROUP_DEPARTMENTS, GROUP_COMMUNES]
    };
    let groups: Vec<(GroupName, SetCode)> = group_names
        .iter()
        .map(|g| (group(g), set_code(level_of(g), year)))
        .collect();
    let mut members = Vec::new();
    let mut inputs = Vec::new();
    for (i, (code, name, g, ranked)) in participants(year).into_iter().enumerate() {
        let set_code = set_code(level_of(g), year);
        let set = sets
            .iter()
            .find(|s| s.code == set_code)
            .expect("every level has a set");
        let q = quality[&code][yi];
        let target = TARGETS
            .iter()
            .find(|(y, c, _)| *y == year && *c == code)
            .map(|(_, _, t)| Decimal::new(*t, 2));
        let mut attempt = 0;
        let values = loop {
            let mut rng = Stream::seed_from_u64(input_seed(year, i, attempt));
            let mut values = unit_values(set, q, &mut rng);
            match target {
                Some(t) if !tune(set, &mut values, t) && attempt < 1_000 => attempt += 1,
                _ => break values,
            }
        };
        members.push(Membership {
            unit: ucode(&code),
            group: group(g),
            ranked,
        });
        inputs.push(UnitInput {
            unit: ucode(&code),
            name,
            group: group(g),
            ranked,
            values,
        });
    }
    DemoPeriod {
        code: PeriodCode::parse(&year.to_string()).expect("a year is a period code"),
        year,
        name: format!("Chỉ số CCHC năm {year}"),
        previous: (year > FIRST_YEAR)
            .then(|| PeriodCode::parse(&(year - 1).to_string()).expect("a year is a period code")),
        groups,
        members,
        inputs,
    }
}

/// The year after `last`: its groups scored with that year's sets, its members, no inputs.
fn open_period(last: &DemoPeriod) -> DemoPeriod {
    let year = last.year + 1;
    DemoPeriod {
        code: PeriodCode::parse(&year.to_string()).expect("a year is a period code"),
        year,
        name: format!("Chỉ số CCHC năm {year}"),
        previous: Some(last.code.clone()),
        groups: last
            .groups
            .iter()
            .map(|(g, _)| (g.clone(), set_code(level_of(g.as_str()), year)))
            .collect(),
        members: last.members.clone(),
        inputs: Vec::new(),
    }
}

/// The demo province "Tỉnh Mẫu (dữ liệu mẫu)". Deterministic: every call returns equal data.
pub fn province() -> DemoProvince {
    let mut sets = Vec::new();
    for year in FIRST_YEAR..=LAST_YEAR {
        sets.push(index_set(Level::Department, year));
        if year < LAST_YEAR {
            sets.push(index_set(Level::District, year));
        }
        sets.push(index_set(Level::Commune, year));
    }
    let quality = qualities();
    let periods: Vec<DemoPeriod> = (FIRST_YEAR..=LAST_YEAR)
        .map(|y| build_period(y, &sets, &quality))
        .collect();
    // Next year's sets are cloned from this year's with the deadlines moved, as an
    // administrator does on the set page.
    for level in [Level::Department, Level::Commune] {
        let last = index_set(level, LAST_YEAR);
        sets.push(next_year_set(&last, level, OPEN_YEAR));
    }
    let open = open_period(periods.last().expect("the demo has periods"));
    DemoProvince {
        name: "Tỉnh Mẫu (dữ liệu mẫu)".to_owned(),
        units: units(),
        lineage: lineage(),
        sets,
        periods,
        open,
    }
}
