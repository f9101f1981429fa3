//! The content files an operator or a clinical author writes: instruments,
//! a service's monitoring settings, detector settings, crisis contacts and
//! the hazard log. A file with a mistake must be refused with the file's
//! typed errors (which name the field), never a panic; what is accepted
//! must be usable: an accepted instrument scores any answers without
//! panicking and survives being written out and read back, accepted
//! monitoring settings give a deadline for any time, and accepted crisis
//! contacts round-trip.

use super::{config, mutated, text};
use crate::alerts::Severity;
use crate::crisis::CrisisContacts;
use crate::detectors::DetectorConfig;
use crate::instruments::load::parse;
use crate::instruments::{Catalogue, risk_flags, score};
use crate::monitoring::Monitoring;
use crate::safety_case::{self, HazardLog, KnownTests, TestStatus};
use crate::time::Timestamp;
use proptest::prelude::*;
use proptest::sample::select;

macro_rules! instruments {
    ($($id:literal),*) => {
        &[$((
            concat!($id, ".toml"),
            include_str!(concat!("../../../../content/instruments/", $id, ".toml")),
        )),*]
    };
}

/// Every shipped instrument file, the seeds of the mutations.
const INSTRUMENTS: &[(&str, &str)] = instruments!(
    "core10", "epds", "gad2", "gad7", "iesr", "isi", "mi", "minispin", "mood", "ocir", "pcl5",
    "pdss", "phq15", "phq2", "phq9", "shai", "spin", "swemwbs", "wsas"
);

const KNOWN: &[&str] = &["phq9", "gad7", "core10", "epds", "wsas"];

/// A service's settings file using every section (docs/monitoring.md's
/// example, with every detector named).
const MONITORING: &str = r#"[opening_hours]
time_zone = "Europe/London"
weekly = [
  { day = "monday", start = "09:00", end = "17:00" },
  { day = "tuesday", start = "09:00", end = "20:00" },
  { day = "saturday", start = "10:00", end = "12:00" },
]
closed_dates = ["2026-12-25", "2026-12-28"]

[deadlines.high]
rule = "working_hours"
hours = 2

[deadlines.moderate]
rule = "working_days"
days = 2

[deadlines.urgent]
rule = "elapsed_from_open"
minutes = 30

[detectors.disengagement]
days = 21

[detectors.risk_item]
rules = [{ instrument = "phq9", item = 9, urgent_from = 2 }]

[detectors.deterioration]
instruments = ["phq9", "gad7"]

[detectors.mood_drop]
k = 3.0
min_drop = 3.0

[detectors.risky_text]
enabled = true
min_severity = "moderate"

[escalation]
duty_email = "duty-team@example.org"
duty_phone = "07700900123"
"#;

const CRISIS: &str = include_str!("../../../../content/crisis-contacts.toml");
const HAZARD_LOG: &str = include_str!("../../../../docs/safety/hazard-log.toml");

fn instrument_file() -> impl Strategy<Value = (&'static str, String)> {
    select(INSTRUMENTS).prop_flat_map(|(name, seed)| (Just(name), mutated(seed)))
}

/// Answers of any length and value, mostly within a small range.
fn answers() -> impl Strategy<Value = Vec<Option<i32>>> {
    proptest::collection::vec(
        proptest::option::weighted(0.9, prop_oneof![4 => -2..6i32, 1 => any::<i32>()]),
        0..40,
    )
}

/// Every test the shipped hazard log cites, as running: so that mutations
/// fail on what they changed, not on tests this check cannot see.
fn cited_as_running() -> KnownTests {
    let log: HazardLog = toml::from_str(HAZARD_LOG).expect("the shipped hazard log parses");
    safety_case::cited_tests(&log)
        .into_iter()
        .map(|t| (t.to_owned(), TestStatus::Runs))
        .collect()
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn instrument_files_are_refused_by_field_or_score_anything((name, file) in instrument_file(), answers in answers()) {
        match parse(name, &file) {
            Ok(inst) => {
                // Scoring an accepted instrument answers, whatever it is given.
                let _ = score(&inst, &answers);
                let _ = risk_flags(&inst, &answers);
                let written = toml::to_string(&inst).expect("an instrument serializes");
                let again = parse(name, &written).expect("an accepted instrument reads back");
                prop_assert_eq!(again, inst);
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.iter().all(|e| e.file == name && !e.message.is_empty()));
            }
        }
    }

    #[test]
    fn a_catalogue_of_mutated_files_loads_or_names_each_problem(
        files in proptest::collection::vec(instrument_file(), 1..4),
    ) {
        match Catalogue::from_sources(&files) {
            Ok(cat) => prop_assert!(cat.len() <= files.len()),
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
    }

    #[test]
    fn monitoring_settings_are_refused_by_field_or_give_deadlines(
        file in mutated(MONITORING),
        at in 946_684_800i64..4_102_444_800,
    ) {
        match Monitoring::parse("service.toml", &file, KNOWN) {
            Ok(m) => {
                let at = Timestamp::from_second(at).unwrap();
                for severity in Severity::ALL {
                    let due = m.deadline(severity, at);
                    prop_assert!(due >= at, "{severity:?} due {due} before {at}");
                }
                let _ = m.is_open(at);
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.iter().all(|e| e.file == "service.toml"));
            }
        }
    }

    #[test]
    fn detector_settings_are_parsed_and_validated_without_panics(file in mutated(MONITORING)) {
        // The detectors section alone, as `DetectorConfig::from_toml` reads it.
        let section = file.split("[detectors.").skip(1).map(|s| {
            format!("[{}", s.split("\n[escalation]").next().unwrap_or(""))
        }).collect::<String>();
        for text in [&file, &section] {
            if let Ok(c) = DetectorConfig::from_toml(text) {
                let _ = c.validate(KNOWN);
            }
        }
    }

    #[test]
    fn crisis_contacts_are_refused_or_round_trip(file in mutated(CRISIS)) {
        if let Ok(c) = CrisisContacts::parse(&file) {
            prop_assert!(!c.contacts.is_empty());
            let written = toml::to_string(&c).expect("contacts serialize");
            prop_assert_eq!(CrisisContacts::parse(&written), Ok(c));
        }
    }

    #[test]
    fn the_hazard_log_check_never_panics(file in mutated(HAZARD_LOG)) {
        let known = cited_as_running();
        if let Err(problems) = safety_case::check(&file, &known) {
            prop_assert!(!problems.is_empty());
        }
    }

    #[test]
    fn test_references_are_parsed_without_panics(s in text()) {
        if let Some(r) = safety_case::TestRef::parse(&s) {
            prop_assert!(!r.name.is_empty() && !r.path.starts_with('/'));
        }
    }
}

#[test]
fn the_seeds_are_valid_so_mutations_start_from_accepted_files() {
    for (name, text) in INSTRUMENTS {
        parse(name, text).unwrap();
    }
    Monitoring::parse("service.toml", MONITORING, KNOWN).unwrap();
    CrisisContacts::parse(CRISIS).unwrap();
    safety_case::check(HAZARD_LOG, &cited_as_running()).unwrap();
}
