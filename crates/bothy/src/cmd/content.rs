//! `bothy content check`: loads the built-in instrument files and the
//! deployment's own (`content.instruments_dir`), prints one line per
//! instrument in effect, checks the monitoring settings
//! (`content.monitoring_dir`) against them, shows the crisis contacts'
//! version and review date (with a warning when a review is due), and lists
//! every problem found; exit code 1 on any problem.

use bothy::Config;
use bothy::cli::ContentCommand;
use bothy_app::content::check_catalogue;
use bothy_app::{Clock, SystemClock};
use bothy_domain::instruments::Instrument;
use bothy_domain::instruments::model::Verification;
use std::process::ExitCode;

pub fn run(config: &Config, command: ContentCommand) -> anyhow::Result<ExitCode> {
    match command {
        ContentCommand::Check => Ok(check(config)),
    }
}

fn check(config: &Config) -> ExitCode {
    let dir = config.content.instruments_dir.as_deref();
    let report = check_catalogue(dir);
    match dir {
        Some(d) => println!(
            "Instruments: built in, with this deployment's files from {}",
            d.display()
        ),
        None => println!("Instruments: built in (no content.instruments_dir is set)"),
    }
    for inst in report.catalogue.iter() {
        let origin = if report.catalogue.is_overridden(&inst.id) {
            format!("  [replaced by {}]", file_of(&report, &inst.id))
        } else if dir.is_some() && is_from_deployment(&report, &inst.id) {
            format!("  [added by {}]", file_of(&report, &inst.id))
        } else {
            String::new()
        };
        println!("{}{origin}", line(inst));
    }
    let mut errors = report.errors.clone();
    let monitoring_dir = config.content.monitoring_dir.as_deref();
    match bothy_app::monitoring::load_monitoring(monitoring_dir, &report.catalogue) {
        Ok(_) => match monitoring_dir {
            Some(d) => println!(
                "Monitoring settings from {}: no problems found.",
                d.display()
            ),
            None => println!(
                "Monitoring settings: built-in defaults (no content.monitoring_dir is set)"
            ),
        },
        Err(mut e) => errors.append(&mut e),
    }
    let mut other_errors = programmes(config, &report.catalogue);
    match config.crisis_contacts() {
        Ok(c) => {
            println!(
                "Crisis contacts: version {}, reviewed {} by {}",
                c.version, c.reviewed, c.reviewed_by
            );
            let today = bothy_domain::time::uk_date(SystemClock.now());
            if let Some(why) = c.review_due(today) {
                println!("warning: crisis contacts are due for review: {why}");
            }
        }
        Err(e) => other_errors.push(e.to_string()),
    }
    println!();
    let mut errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
    errors.append(&mut other_errors);
    if errors.is_empty() {
        println!(
            "{} instruments checked: no problems found.",
            report.catalogue.len()
        );
        ExitCode::SUCCESS
    } else {
        let n = errors.len();
        println!(
            "{n} problem{} found; Bothy will not start until {} fixed:",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it is" } else { "they are" }
        );
        for e in &errors {
            println!("error: {e}");
        }
        ExitCode::FAILURE
    }
}

/// Prints one line per programme in effect; returns the problems found.
fn programmes(
    config: &Config,
    catalogue: &bothy_domain::instruments::load::Catalogue,
) -> Vec<String> {
    let dir = config.content.programmes_dir.as_deref();
    match dir {
        Some(d) => println!(
            "Programmes: built in, with this deployment's folders from {}",
            d.display()
        ),
        None => println!("Programmes: built in (no content.programmes_dir is set)"),
    }
    let (programmes, problems) = bothy_app::programmes::load_programmes(dir, catalogue);
    for p in &programmes {
        let reviewed = if p.clinical_reviewer.is_empty() {
            "not yet clinically reviewed".to_string()
        } else {
            format!("reviewed by {} on {}", p.clinical_reviewer, p.reviewed_on)
        };
        println!(
            "{:<16} {:<34} version {:<7} {:<7} {} modules  reading age {}  {reviewed}",
            p.id,
            p.title,
            p.version,
            match p.kind {
                bothy_domain::programmes::Kind::Guided => "guided",
                bothy_domain::programmes::Kind::Library => "library",
            },
            p.modules.len(),
            p.reading_age,
        );
    }
    if problems.is_empty() {
        println!(
            "{} programmes checked: no problems found.",
            programmes.len()
        );
    }
    problems.iter().map(ToString::to_string).collect()
}

fn file_of<'a>(report: &'a bothy_app::content::CatalogueReport, id: &str) -> &'a str {
    report.catalogue.file_of(id).unwrap_or("?")
}

fn is_from_deployment(report: &bothy_app::content::CatalogueReport, id: &str) -> bool {
    !bothy_app::content::DEFAULT_INSTRUMENTS
        .iter()
        .any(|(name, _)| Some(*name) == report.catalogue.file_of(id))
}

/// `phq9  PHQ-9, Patient Health Questionnaire-9  version 2026.11.1  9 items
/// official wording  2 defaults to check (2 secondary source)`
fn line(inst: &Instrument) -> String {
    let unverified = inst.unverified_rules();
    let secondary = unverified
        .iter()
        .filter(|(_, v)| *v == Verification::SecondarySource)
        .count();
    let recall = unverified.len() - secondary;
    let defaults = match unverified.len() {
        0 => "all rules verified".to_string(),
        n => {
            let mut parts = Vec::new();
            if secondary > 0 {
                parts.push(format!("{secondary} secondary source"));
            }
            if recall > 0 {
                parts.push(format!("{recall} unverified"));
            }
            format!(
                "{n} default{} to check ({})",
                if n == 1 { "" } else { "s" },
                parts.join(", ")
            )
        }
    };
    format!(
        "{:<9} {:<66} version {:<10} {:>2} item{}  {:<18} {defaults}",
        inst.id,
        format!("{}, {}", inst.short_name, inst.name),
        inst.version,
        inst.items.len(),
        if inst.items.len() == 1 { " " } else { "s" },
        if inst.licence.official_wording {
            "official wording"
        } else {
            "paraphrased"
        },
    )
}
