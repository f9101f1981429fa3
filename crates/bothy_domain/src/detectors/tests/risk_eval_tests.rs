//! The shipped lexicon against the shipped evaluation set
//! (`content/risk-eval/`). Prints the report with
//! `cargo test -p bothy_domain risk_eval -- --nocapture`.

use super::*;
use crate::detectors::risky_text::{EvalCase, Report, evaluate, parse_cases};

/// Every `*.txt` file of `content/risk-eval`, in name order.
fn shipped_cases() -> Vec<EvalCase> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/risk-eval");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("content/risk-eval exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let category = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("readable");
        assert!(text.len() < 30_000, "{category}: keep each file small");
        match parse_cases(&category, &text) {
            Ok(c) => cases.extend(c),
            Err(e) => panic!("{category}: {e:?}"),
        }
    }
    cases
}

fn report() -> Report {
    evaluate(lexicon(), &shipped_cases())
}

#[test]
fn risk_eval_report() {
    let r = report();
    println!("{r}");
    assert!(r.texts >= 400, "{} texts", r.texts);
}
