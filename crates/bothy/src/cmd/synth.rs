//! `bothy synth`: a synthetic service in the configured database.

use bothy::Config;
use bothy::cli::SynthArgs;
use bothy_app::{Clock, SystemClock};
use bothy_domain::time::Timestamp;
use bothy_synth::{SynthConfig, SynthReport};
use std::process::ExitCode;

/// The synthetic year ends at the start of today (UTC), so the same seed
/// gives the same data all day.
pub fn synth_now(now: Timestamp) -> Timestamp {
    let day = 86_400;
    Timestamp::from_second(now.as_second().div_euclid(day) * day).unwrap_or(now)
}

pub async fn run(config: &Config, args: &SynthArgs) -> anyhow::Result<ExitCode> {
    let app = bothy::build_app(config, std::sync::Arc::new(SystemClock)).await?;
    let store = app.store().clone();
    let synth = SynthConfig::new(
        args.patients,
        args.seed,
        &args.service,
        synth_now(SystemClock.now()),
    );
    println!(
        "Generating {} patients (seed {}) into service {:?} on {}...",
        args.patients,
        args.seed,
        args.service,
        super::backend_name(store.backend())
    );
    let report = bothy_synth::synthesize(&store, &synth).await?;
    #[allow(clippy::disallowed_methods)] // A duration to report, not a point in time.
    let t = std::time::Instant::now();
    let summaries = app.monitoring().rebuild_summaries().await?;
    println!(
        "Summaries rebuilt in {:.1} s ({} score summaries, {} screening baselines, {} mood summaries).",
        t.elapsed().as_secs_f64(),
        summaries.score_summaries,
        summaries.screening_baselines,
        summaries.mood_summaries
    );
    // A freshly loaded database has no statistics yet: plans made now would
    // scan tables that indexes serve.
    store.analyze().await?;
    store.close().await;
    print!("{}", describe(&report));
    Ok(ExitCode::SUCCESS)
}

/// Counts and rates, as printed. Never any generated person's details.
pub fn describe(r: &SynthReport) -> String {
    let c = &r.counts;
    let mut out = String::new();
    for (what, n) in [
        ("staff", c.staff),
        ("patients", c.patients),
        ("demographics", c.demographics),
        ("referrals", c.referrals),
        ("episodes", c.episodes),
        ("measure responses", c.responses),
        ("check-ins", c.check_ins),
        ("alerts", c.alerts),
    ] {
        out += &format!("  {what:<18} {n:>12}\n");
    }
    out += &format!(
        "{} rows in {:.1} s ({:.0} rows/s; {:.1} s writing to the database).\n",
        c.total(),
        r.elapsed.as_secs_f64(),
        r.rows_per_second(),
        r.writing.as_secs_f64()
    );
    out
}
