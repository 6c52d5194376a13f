//! Wall-clock cost of computing one period in memory at national scale (domain.md §8: 34
//! provinces; 120 units each here) with 120 leaves per unit, comparisons with the previous
//! period included. The two previous periods are computed once beforehand (inside
//! `synthetic`), so only the current period's computation is measured. Target: < 50 ms on
//! one core for the national case (docs/performance.md).

use std::hint::black_box;
use std::time::Duration;

use chiso_demo::synthetic;
use chiso_domain::{ComputeInput, compute};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// `(units, leaves)`: a large province, then the national case.
const CASES: [(usize, usize); 2] = [(500, 120), (4_080, 120)];

fn bench_compute(c: &mut Criterion) {
    let mut group = c.benchmark_group("compute");
    // Shared two-core machines are noisy: few samples, short runs, compare ratios in one run.
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(8));
    for (units, leaves) in CASES {
        let data = synthetic(units, leaves, 2025);
        let previous = data.previous.last().map_or(&[][..], Vec::as_slice);
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{units}x{leaves}")),
            &data,
            |b, data| {
                b.iter(|| {
                    let input = ComputeInput {
                        set: &data.set,
                        units: &data.inputs,
                        previous,
                        lineage: &[],
                    };
                    black_box(compute(black_box(input)).expect("synthetic inputs compute"))
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench_compute);
criterion_main!(benches);
