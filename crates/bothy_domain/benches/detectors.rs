//! Detector cost on one core: every detector for one patient's new
//! submission (a PHQ-9 with its risk item, 12 earlier scores, 60 daily
//! check-ins, a 300-character note), repeated N times; prints the time per
//! evaluation. Plain std timing, no harness:
//!
//! ```text
//! cargo bench -p bothy_domain --bench detectors          # N = 200,000
//! BOTHY_BENCH_N=20000 cargo bench -p bothy_domain --bench detectors
//! ```
//!
//! The full re-evaluation of many patients belongs to `bothy bench`.

use bothy_domain::detectors::{
    self, CheckIn, DetectorConfig, Lexicon, PatientData, Response, ScorePoint, Text, TextSource,
};
use bothy_domain::instruments::Catalogue;
use bothy_domain::time::Timestamp;
use std::hint::black_box;
use std::time::Instant;

const PHQ9: &str = include_str!("../../../content/instruments/phq9.toml");

fn main() {
    let n: usize = std::env::var("BOTHY_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let catalogue = Catalogue::from_sources(&[("phq9.toml", PHQ9)]).expect("phq9 loads");
    let mut config = DetectorConfig::default();
    // Only PHQ-9 is loaded here: rules for other instruments do not apply.
    config.risk_item.rules.retain(|r| r.instrument == "phq9");
    let lexicon = Lexicon::parse(detectors::DEFAULT_LEXICON).expect("lexicon parses");
    let start: Timestamp = "2026-09-01T09:00:00Z".parse().unwrap();
    let day = |d: i64| Timestamp::from_second(start.as_second() + d * 86_400).unwrap();
    let scores: Vec<ScorePoint<'_>> = (0..13)
        .map(|i| ScorePoint {
            instrument: "phq9",
            at: day(i * 7),
            total: f64::from(18 - i as i32 % 5),
            session: i as u32 + 1,
        })
        .collect();
    let check_ins: Vec<CheckIn> = (0..60)
        .map(|i| CheckIn {
            at: day(i),
            mood: (5 + (i % 3)) as u8,
        })
        .collect();
    let note = "Work was hard again today and I could not sleep much. I went for a walk \
                with my sister in the afternoon which helped a bit, but by the evening I \
                felt flat and tired and I kept thinking about everything that went wrong \
                this week. I would never hurt myself but I feel stuck and alone tonight.";
    let answers = [
        Some(2),
        Some(2),
        Some(1),
        Some(2),
        Some(1),
        Some(2),
        Some(1),
        Some(1),
        Some(1),
    ];
    let responses = [Response {
        instrument: "phq9",
        answers: &answers,
    }];
    let texts = [Text {
        source: TextSource::CheckInNote,
        text: note,
    }];
    let data = PatientData {
        responses: &responses,
        scores: &scores,
        check_ins: &check_ins,
        texts: &texts,
        engagement: None,
        now: day(90),
    };
    let mut signals = 0usize;
    // A benchmark measures elapsed time; no timestamp is recorded.
    #[allow(clippy::disallowed_methods)]
    let began = Instant::now();
    for _ in 0..n {
        let found = detectors::evaluate(&catalogue, &config, &lexicon, &[], black_box(&data));
        signals += black_box(found).len();
    }
    let took = began.elapsed();
    println!(
        "all detectors, one submission: {:.2} µs each ({n} evaluations, {signals} signals, {:.0} per second)",
        took.as_secs_f64() * 1e6 / n as f64,
        n as f64 / took.as_secs_f64()
    );
}
