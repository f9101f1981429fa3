//! `bothy safety report` and `bothy safety tests`: read the hazard log
//! (`docs/safety/hazard-log.toml`), find the tests in the source tree
//! (`bothy::test_index`), and check and draw the safety case
//! (`bothy_domain::safety_case`). Exit code 1 when anything is wrong, each
//! problem named on standard error. `scripts/test` runs the report.

use anyhow::Context;
use bothy::cli::{ReportFormat, SafetyCommand, SafetySource};
use bothy_app::{Clock, SystemClock};
use bothy_domain::safety_case::render::{Format, Meta, render};
use bothy_domain::safety_case::{HazardLog, KnownTests, TestStatus, check};
use std::process::ExitCode;

pub fn run(command: &SafetyCommand) -> anyhow::Result<ExitCode> {
    match command {
        SafetyCommand::Report {
            out,
            format,
            date,
            source,
        } => {
            let (text, known) = read(source)?;
            let log_path = source.log.display().to_string();
            let log = match check(&text, &known) {
                Ok(log) => log,
                Err(problems) => {
                    let n = problems.len();
                    eprintln!(
                        "{n} problem{} in {log_path}; no safety case written:",
                        if n == 1 { "" } else { "s" }
                    );
                    for p in &problems {
                        eprintln!("error: {p}");
                    }
                    return Ok(ExitCode::FAILURE);
                }
            };
            let date = date.unwrap_or_else(|| bothy_domain::time::uk_date(SystemClock.now()));
            let date = date.to_string();
            let meta = Meta {
                version: env!("CARGO_PKG_VERSION"),
                date: &date,
                source: &log_path,
            };
            let format = match format {
                ReportFormat::Markdown => Format::Markdown,
                ReportFormat::Html => Format::Html,
            };
            let report = render(&log, &meta, format);
            match out {
                Some(path) => {
                    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        std::fs::create_dir_all(dir)
                            .with_context(|| format!("cannot create {}", dir.display()))?;
                    }
                    std::fs::write(path, report)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!("{}", summary(&log, &meta, &known));
                    eprintln!("Written to {}.", path.display());
                }
                None => write_stdout(&report),
            }
            Ok(ExitCode::SUCCESS)
        }
        SafetyCommand::Tests { source } => {
            let (text, known) = read(source)?;
            let log: HazardLog = toml::from_str(&text)
                .with_context(|| format!("{} is not a valid hazard log", source.log.display()))?;
            Ok(list(&log, &known))
        }
    }
}

fn read(source: &SafetySource) -> anyhow::Result<(String, KnownTests)> {
    let path = source.root.join(&source.log);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the hazard log {}", path.display()))?;
    let known = bothy::test_index::scan(&source.root).with_context(|| {
        format!(
            "cannot read the source tree under {} (run from the repository, or give --root)",
            source.root.display()
        )
    })?;
    Ok((text, known))
}

/// "Safety case for Bothy 0.1.0, 2026-12-05: 12 hazards, 60 tests cited, all
/// found among 1,000 in the source tree; residual risk at most 3 (medium)."
fn summary(log: &HazardLog, meta: &Meta, known: &KnownTests) -> String {
    let cited = bothy_domain::safety_case::cited_tests(log).len();
    let highest = log
        .hazards
        .iter()
        .map(|h| h.residual.rating())
        .max()
        .unwrap_or(0);
    format!(
        "Safety case for Bothy {}, {}: {} hazards, {cited} tests cited, all found among the \
         {} tests in the source tree; residual risk at most {highest} ({}).",
        meta.version,
        meta.date,
        log.hazards.len(),
        known.len(),
        bothy_domain::safety_case::risk::rating_name(highest)
    )
}

/// Writes to standard output; a reader that stops early (`| head`) is not an error.
fn write_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// One line per cited test: `ok`, `MISSING` or `NOT RUN`.
fn list(log: &HazardLog, known: &KnownTests) -> ExitCode {
    use std::fmt::Write;
    let mut bad = 0;
    let mut out = String::new();
    for h in &log.hazards {
        let _ = writeln!(out, "{} {}", h.id, h.title);
        for (i, c) in h.controls.iter().enumerate() {
            if c.tests.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  control {}", i + 1);
            for t in &c.tests {
                let state = match known.get(t) {
                    Some(TestStatus::Runs) => "ok     ".to_string(),
                    Some(TestStatus::NotRun(why)) => {
                        bad += 1;
                        format!("NOT RUN ({why})")
                    }
                    None => {
                        bad += 1;
                        "MISSING".to_string()
                    }
                };
                let _ = writeln!(out, "    {state} {t}");
            }
        }
    }
    write_stdout(&out);
    if bad == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "{bad} cited test{} not found or never run",
            if bad == 1 { "" } else { "s" }
        );
        ExitCode::FAILURE
    }
}
