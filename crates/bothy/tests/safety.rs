//! `bothy safety report` end to end, on this repository's own hazard log: it
//! passes and is dated and versioned; a log citing a test that does not exist
//! fails, naming the test, and writes nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bothy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bothy"))
        .args(args)
        .current_dir(repo())
        .env_remove("BOTHY_CONFIG")
        .output()
        .expect("run bothy")
}

#[test]
fn the_shipped_hazard_log_passes_and_the_report_is_versioned_and_dated() {
    let out = bothy(&["safety", "report", "--date", "2026-12-05"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        text.contains(&format!("Bothy {version}, 2026-12-05.")),
        "{text}"
    );
    for id in ["H01", "H06", "H12"] {
        assert!(text.contains(&format!("### {id} ")), "{id} in {text}");
    }
    let out = bothy(&["safety", "tests"]);
    assert!(out.status.success(), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("MISSING"));
}

#[test]
fn a_log_citing_a_missing_test_fails_naming_it() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("safety-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let shipped = std::fs::read_to_string(repo().join("docs/safety/hazard-log.toml")).unwrap();
    let broken = shipped.replacen(
        "::database_down_still_shows_crisis_contacts\"",
        "::database_down_still_shows_the_crisis_contacts\"",
        1,
    );
    assert_ne!(broken, shipped);
    let log = dir.join("hazard-log.toml");
    std::fs::write(&log, broken).unwrap();
    let report = dir.join("report.md");
    let out = bothy(&[
        "safety",
        "report",
        "--log",
        log.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        err.contains("cites crates/bothy_web/tests/it/pages.rs::database_down_still_shows_the_crisis_contacts, which is not a test in the source tree"),
        "{err}"
    );
    assert!(!report.exists(), "no report is written");
    let out = bothy(&["safety", "tests", "--log", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains(
        "MISSING crates/bothy_web/tests/it/pages.rs::database_down_still_shows_the_crisis_contacts"
    ));
}
