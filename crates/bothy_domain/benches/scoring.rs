//! Scoring throughput on one core: scores N random PHQ-9, GAD-7 and CORE-10
//! responses (a tenth of the CORE-10 ones with one item missing, so
//! prorated) with the shipped instrument files, and prints responses per
//! second. Plain std timing, no harness:
//!
//! ```text
//! cargo bench -p bothy_domain --bench scoring            # N = 1,000,000 per instrument
//! BOTHY_BENCH_N=200000 cargo bench -p bothy_domain --bench scoring
//! ```

use bothy_domain::instruments::{Catalogue, Instrument, score};
use std::hint::black_box;
use std::time::{Duration, Instant};

const FILES: &[(&str, &str)] = &[
    (
        "phq9.toml",
        include_str!("../../../content/instruments/phq9.toml"),
    ),
    (
        "gad7.toml",
        include_str!("../../../content/instruments/gad7.toml"),
    ),
    (
        "core10.toml",
        include_str!("../../../content/instruments/core10.toml"),
    ),
];

/// Responses are generated in batches of this many, outside the timed part.
const BATCH: usize = 100_000;

/// SplitMix64: a small, fixed-seed generator, so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A batch of random responses, flattened: `items` answers per response.
fn batch(inst: &Instrument, rng: &mut Rng, prorate_one_in: Option<usize>) -> Vec<Option<i32>> {
    let items = inst.items.len();
    let mut out = Vec::with_capacity(BATCH * items);
    for _ in 0..BATCH {
        let skip = prorate_one_in
            .filter(|&k| rng.below(k) == 0)
            .map(|_| rng.below(items));
        for (i, item) in inst.items.iter().enumerate() {
            let opts = inst.options_for(item);
            if skip == Some(i) {
                out.push(None);
            } else {
                out.push(Some(opts[rng.below(opts.len())].score));
            }
        }
    }
    out
}

/// Scores `n` responses; returns the time spent scoring (generation excluded).
fn run(inst: &Instrument, n: usize, rng: &mut Rng, prorate_one_in: Option<usize>) -> Duration {
    let items = inst.items.len();
    let mut spent = Duration::ZERO;
    let mut done = 0;
    let mut checksum = 0.0;
    while done < n {
        let answers = batch(inst, rng, prorate_one_in);
        let take = BATCH.min(n - done);
        #[allow(clippy::disallowed_methods)]
        // a benchmark measures elapsed time; not the application clock
        let start = Instant::now();
        for response in answers.chunks_exact(items).take(take) {
            let scored = score(black_box(inst), black_box(response)).expect("valid response");
            checksum += scored.total;
        }
        spent += start.elapsed();
        done += take;
    }
    black_box(checksum);
    spent
}

fn main() {
    let n: usize = std::env::var("BOTHY_BENCH_N")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let catalogue = Catalogue::from_sources(FILES).expect("shipped instrument files are valid");
    let mut rng = Rng(0x0B07_4159);
    println!("Scoring throughput, one thread, {n} random responses per instrument:");
    let mut total_n = 0usize;
    let mut total_time = Duration::ZERO;
    for (id, prorate) in [("phq9", None), ("gad7", None), ("core10", Some(10))] {
        let inst = catalogue.get(id).expect("instrument");
        // Warm up caches and the branch predictor before timing.
        run(inst, BATCH.min(n), &mut rng, prorate);
        let spent = run(inst, n, &mut rng, prorate);
        let per_sec = n as f64 / spent.as_secs_f64();
        println!(
            "  {:<8} {:>12.0} responses/s per core  ({:.0} ns each{})",
            inst.short_name,
            per_sec,
            spent.as_nanos() as f64 / n as f64,
            if prorate.is_some() {
                "; 1 in 10 prorated"
            } else {
                ""
            }
        );
        total_n += n;
        total_time += spent;
    }
    println!(
        "  {:<8} {:>12.0} responses/s per core",
        "all",
        total_n as f64 / total_time.as_secs_f64()
    );
}
