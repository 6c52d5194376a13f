//! Timing of a national-scale computation: 4.080 units × 120 leaves with previous results.
//! Ignored by default (it only means something in release):
//! `cargo test -p chiso-domain --release --test national -- --ignored --nocapture`.

use std::time::Instant;

use chiso_domain::{
    ClassScheme, ComputeInput, GroupName, IndexSet, Method, NaPolicy, Node, NodeCode, Points,
    PreviousResult, RankingRule, RawValue, SetCode, Source, TieBreaker, Tier, TierBasis, UnitCode,
    UnitInput, compute,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// A small deterministic generator, so the data is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn method_for(i: usize) -> Method {
    match i % 7 {
        0 => Method::YesNo,
        1 => Method::Count {
            per: dec!(0.25),
            cap: None,
        },
        2 => Method::Tiers {
            basis: TierBasis::Percent,
            tiers: vec![
                Tier {
                    min: dec!(100),
                    below: None,
                    points: dec!(1),
                },
                Tier {
                    min: dec!(95),
                    below: None,
                    points: dec!(0.75),
                },
                Tier {
                    min: dec!(90),
                    below: None,
                    points: dec!(0.5),
                },
                Tier {
                    min: dec!(0),
                    below: None,
                    points: dec!(0),
                },
            ],
        },
        3 => Method::Proportional,
        4 => Method::Graded {
            grades: Method::default_grades(),
        },
        5 => Method::Manual {
            step: Some(dec!(0.25)),
        },
        _ => Method::Survey,
    }
}

fn value_for(m: &Method, rng: &mut Lcg) -> RawValue {
    if rng.next(50) == 0 {
        return RawValue::NotApplicable;
    }
    match m {
        Method::YesNo => {
            if rng.next(4) == 0 {
                RawValue::No
            } else {
                RawValue::Yes
            }
        }
        Method::Count { .. } => RawValue::Count(Decimal::from(rng.next(6))),
        Method::Tiers { .. } | Method::Proportional => {
            let den = 50 + rng.next(2000);
            let num = den - rng.next(den / 8 + 1);
            RawValue::Ratio {
                num: Decimal::from(num),
                den: Decimal::from(den),
            }
        }
        Method::Graded { .. } => {
            RawValue::Grade(["XS", "T", "HT"][rng.next(3) as usize].to_owned())
        }
        Method::Manual { .. } => RawValue::Points(Decimal::from(rng.next(5)) * dec!(0.25)),
        _ => RawValue::Percent(Decimal::new(5000 + rng.next(5000) as i64, 2)),
    }
}

fn national_set() -> IndexSet {
    let mut areas = Vec::new();
    let mut k = 0;
    for a in 1..=8 {
        let mut criteria = Vec::new();
        for c in 1..=5 {
            let mut leaves = Vec::new();
            for l in 1..=3 {
                leaves.push(Node {
                    code: NodeCode::parse(&format!("{a}.{c}.{l}")).unwrap(),
                    title: String::new(),
                    max: Points(dec!(1)),
                    source: if k % 7 == 6 {
                        Source::Survey
                    } else {
                        Source::Assessed
                    },
                    method: Some(method_for(k)),
                    rule: None,
                    evidence: None,
                    not_applicable: Some(NaPolicy::Exclude),
                    children: vec![],
                });
                k += 1;
            }
            criteria.push(Node {
                code: NodeCode::parse(&format!("{a}.{c}")).unwrap(),
                title: String::new(),
                max: Points(dec!(3)),
                source: Source::Assessed,
                method: None,
                rule: None,
                evidence: None,
                not_applicable: None,
                children: leaves,
            });
        }
        areas.push(Node {
            code: NodeCode::parse(&a.to_string()).unwrap(),
            title: String::new(),
            max: Points(dec!(15)),
            source: Source::Assessed,
            method: None,
            rule: None,
            evidence: None,
            not_applicable: None,
            children: criteria,
        });
    }
    IndexSet {
        code: SetCode::parse("XA-2025").unwrap(),
        name: "Bộ chỉ số cấp xã".to_owned(),
        year: 2025,
        decision: None,
        classes: ClassScheme::common_default(),
        ranking: RankingRule {
            tie_breakers: vec![TieBreaker::SourcePoints(Source::Assessed)],
        },
        renormalise_absent_areas: true,
        nodes: areas,
    }
}

/// Nanoseconds this thread has run on a CPU (Linux), or 0 where unknown.
fn thread_cpu_ns() -> u128 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|t| t.parse().ok()))
        .unwrap_or(0)
}

#[test]
#[ignore = "timing; run in release"]
fn a_national_computation_is_fast() {
    let set = national_set();
    assert_eq!(set.validate(), Ok(()));
    let leaves: Vec<(NodeCode, Method)> = set
        .leaves()
        .iter()
        .map(|n| (n.code.clone(), n.method.clone().unwrap()))
        .collect();
    assert_eq!(leaves.len(), 120);
    let mut rng = Lcg(2025);
    let mut units = Vec::new();
    let mut previous = Vec::new();
    for i in 0..4080 {
        let code = UnitCode::parse(&format!("XA{i:05}")).unwrap();
        let group = GroupName::parse(&format!("Tỉnh {:02}", i % 34)).unwrap();
        let values = leaves
            .iter()
            .map(|(c, m)| (c.clone(), value_for(m, &mut rng)))
            .collect();
        previous.push(PreviousResult {
            unit: code.clone(),
            group: group.clone(),
            index: Decimal::new(6000 + rng.next(4000) as i64, 2),
            rank: Some(1 + rng.next(120) as u32),
            streak: 0,
        });
        units.push(UnitInput {
            unit: code,
            name: format!("Xã {i}"),
            group,
            ranked: true,
            values,
        });
    }
    let input = ComputeInput {
        set: &set,
        units: &units,
        previous: &previous,
        lineage: &[],
    };
    let (mut wall, mut cpu) = (u128::MAX, u128::MAX);
    for _ in 0..10 {
        let (start, cpu_start) = (Instant::now(), thread_cpu_ns());
        let results = compute(input).unwrap();
        wall = wall.min(start.elapsed().as_micros());
        cpu = cpu.min(thread_cpu_ns().saturating_sub(cpu_start) / 1000);
        assert_eq!(results.units.len(), 4080);
        drop(results);
    }
    // The machines this runs on are shared: CPU time of this thread is the steadier figure.
    println!(
        "national computation, best of 10: wall {}.{:03} ms, cpu {}.{:03} ms",
        wall / 1000,
        wall % 1000,
        cpu / 1000,
        cpu % 1000
    );
}
