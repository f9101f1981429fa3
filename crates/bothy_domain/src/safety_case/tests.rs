use super::render::{Format, Meta, render};
use super::*;

const T1: &str = "crates/x/tests/it/alerts.rs::an_alert_escalates";
const T2: &str = "tests/browser/tests/alerts.mjs::alerts";

fn known() -> KnownTests {
    let mut k = KnownTests::new();
    k.insert(T1.into(), TestStatus::Runs);
    k.insert(T2.into(), TestStatus::Runs);
    k.insert(
        "crates/x/src/lib.rs::slow".into(),
        TestStatus::NotRun("#[ignore]".into()),
    );
    k
}

/// A log with one hazard; `hazard` replaces the hazard's own lines.
fn log(hazard: &str) -> String {
    format!(
        "title = 'Hazard log'\nscope = 'Everything.'\n\n[[hazard]]\n{hazard}\n\n\
         [[hazard]]\nid = 'H02'\ntitle = 'Other'\ncause = 'c'\neffect = 'e'\n\
         initial = {{ severity = 'major', likelihood = 'low' }}\n\
         residual = {{ severity = 'major', likelihood = 'very low' }}\n\
         [[hazard.control]]\nkind = 'design'\ntext = 'Tested.'\ntests = ['{T2}']\n"
    )
}

const GOOD: &str = "id = 'H01'\ntitle = 'Missed alert'\ncause = 'A fault.'\neffect = 'Harm.'\n\
    initial = { severity = 'catastrophic', likelihood = 'medium' }\n\
    residual = { severity = 'catastrophic', likelihood = 'very low' }\n\
    rationale = 'People read alerts.'\n\
    [[hazard.control]]\nkind = 'design'\ntext = 'Overdue alerts escalate | once.'\ntests = ['crates/x/tests/it/alerts.rs::an_alert_escalates']\n\
    [[hazard.control]]\nkind = 'deployment'\ntext = 'Staff the duty rota.'";

fn problems(hazard: &str) -> Vec<String> {
    match check(&log(hazard), &known()) {
        Ok(_) => vec![],
        Err(p) => p.iter().map(ToString::to_string).collect(),
    }
}

fn assert_problem(hazard: &str, expected: &str) {
    let p = problems(hazard);
    assert!(p.iter().any(|m| m.contains(expected)), "{p:#?}");
}

#[test]
fn the_matrix_is_the_dcb0129_one() {
    use Likelihood::*;
    use Severity::*;
    let r = |severity, likelihood| {
        Risk {
            severity,
            likelihood,
        }
        .rating()
    };
    assert_eq!(r(Minor, VeryLow), 1);
    assert_eq!(r(Catastrophic, VeryLow), 3);
    assert_eq!(r(Minor, VeryHigh), 3);
    assert_eq!(r(Catastrophic, VeryHigh), 5);
    assert_eq!(r(Major, Medium), 3);
    assert_eq!(r(Catastrophic, Low), 4);
    assert_eq!(r(Considerable, High), 3);
    // More severe or more likely is never a lower rating.
    for s in Severity::ALL {
        for l in Likelihood::ALL_DESC {
            for s2 in Severity::ALL.into_iter().filter(|x| *x >= s) {
                for l2 in Likelihood::ALL_DESC.into_iter().filter(|x| *x >= l) {
                    assert!(r(s2, l2) >= r(s, l));
                }
            }
        }
    }
}

#[test]
fn a_good_log_passes() {
    let log = check(&log(GOOD), &known()).unwrap();
    assert_eq!(log.hazards.len(), 2);
    assert_eq!(log.hazards[0].initial.rating(), 4);
    assert_eq!(log.hazards[0].residual.rating(), 3);
    assert_eq!(cited_tests(&log), vec![T1, T2]);
}

#[test]
fn a_missing_test_is_named() {
    let h = GOOD.replace("an_alert_escalates", "an_alert_escalated");
    assert_problem(
        &h,
        "H01: control 1 cites crates/x/tests/it/alerts.rs::an_alert_escalated, which is not a test in the source tree",
    );
}

#[test]
fn an_ignored_test_verifies_nothing() {
    let h = GOOD.replace(
        "crates/x/tests/it/alerts.rs::an_alert_escalates",
        "crates/x/src/lib.rs::slow",
    );
    assert_problem(&h, "which never runs (#[ignore])");
}

#[test]
fn a_malformed_reference_is_refused() {
    for bad in [
        "an_alert_escalates",
        "/abs/a.rs::x",
        "crates/../a.rs::x",
        "a.py::x",
        "a.rs::",
    ] {
        let h = GOOD.replace("crates/x/tests/it/alerts.rs::an_alert_escalates", bad);
        assert_problem(&h, "which is not PATH::NAME");
    }
}

#[test]
fn a_hazard_without_a_tested_control_fails() {
    let no_controls = GOOD.split("[[hazard.control]]").next().unwrap();
    assert_problem(no_controls, "H01: no controls");
    let deployment_only = GOOD.replace("kind = 'design'", "kind = 'deployment'");
    assert_problem(&deployment_only, "no control built into Bothy names a test");
    let untested = GOOD.replace(
        "tests = ['crates/x/tests/it/alerts.rs::an_alert_escalates']",
        "",
    );
    assert_problem(&untested, "control 1 is built into Bothy but names no test");
}

#[test]
fn residual_risk_must_not_exceed_initial() {
    let h = GOOD
        .replace(
            "residual = { severity = 'catastrophic', likelihood = 'very low' }",
            "residual = { severity = 'catastrophic', likelihood = 'low' }",
        )
        .replace(
            "initial = { severity = 'catastrophic', likelihood = 'medium' }",
            "initial = { severity = 'major', likelihood = 'low' }",
        );
    assert_problem(&h, "is above the initial risk");
    assert_problem(&h, "the residual severity is above the initial severity");
}

#[test]
fn a_residual_of_four_is_not_released_and_three_needs_a_rationale() {
    let four = GOOD.replace(
        "residual = { severity = 'catastrophic', likelihood = 'very low' }",
        "residual = { severity = 'catastrophic', likelihood = 'low' }",
    );
    assert_problem(&four, "is not acceptable for release");
    let bare = GOOD.replace("rationale = 'People read alerts.'\n", "");
    assert_problem(&bare, "a residual risk of 3 needs a rationale");
}

#[test]
fn ids_fields_and_syntax_are_checked() {
    assert_problem(
        &GOOD.replace("'H01'", "'H02'"),
        "H02: this id is used by another hazard",
    );
    assert_problem(
        &GOOD.replace("'H01'", "'risk-1'"),
        "is not H followed by digits",
    );
    assert_problem(
        &GOOD.replace("cause = 'A fault.'", "cause = ' '"),
        "cause is empty",
    );
    assert_problem(
        &GOOD.replace("kind = 'design'", "kind = 'hope'"),
        "not valid",
    );
    assert_problem(&GOOD.replace("rationale =", "rational ="), "unknown field");
    assert_problem(
        &GOOD.replace("likelihood = 'medium'", "likelihood = 'often'"),
        "not valid",
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let h = GOOD
        .replace("an_alert_escalates", "gone")
        .replace("cause = 'A fault.'", "cause = ''")
        .replace("rationale = 'People read alerts.'\n", "");
    assert_eq!(problems(&h).len(), 3, "{:#?}", problems(&h));
}

#[test]
fn the_report_names_version_date_hazards_tests_and_duties() {
    let log = check(&log(GOOD), &known()).unwrap();
    let meta = Meta {
        version: "9.8.7",
        date: "2026-12-05",
        source: "docs/safety/hazard-log.toml",
    };
    let md = render(&log, &meta, Format::Markdown);
    assert!(
        md.starts_with("# Hazard log\n\nBothy 9.8.7, 2026-12-05."),
        "{md}"
    );
    assert!(md.contains("Each of the 2 tests"), "{md}");
    assert!(md.contains("| H01 Missed alert | 4 (high) | 3 (medium) | 1 built in, 1 for the deploying organisation | 1 |"), "{md}");
    assert!(md.contains("| very high | 3 | 4 | 4 | 5 | 5 |"), "{md}");
    assert!(
        md.contains("**Initial risk.** catastrophic, medium: 4 (high)"),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "Overdue alerts escalate | once. Verified by `{T1}`."
        )),
        "{md}"
    );
    assert!(
        md.contains("- H01 (Missed alert): Staff the duty rota."),
        "{md}"
    );
    let html = render(&log, &meta, Format::Html);
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.contains(&format!("<code>{T1}</code>")), "{html}");
    assert!(
        html.contains("<td>H01 Missed alert</td><td>4 (high)</td>"),
        "{html}"
    );
    assert!(!html.contains('`'), "{html}");
}

#[test]
fn html_escapes_the_logs_text() {
    let h = GOOD.replace("'Missed alert'", "'<script>&'");
    let log = check(&log(&h), &known()).unwrap();
    let meta = Meta {
        version: "1",
        date: "d",
        source: "s",
    };
    let html = render(&log, &meta, Format::Html);
    assert!(
        !html.contains("<script>") && html.contains("&lt;script&gt;&amp;"),
        "{html}"
    );
}
