//! A referral sent and followed by a real FHIR client library: fhirpy
//! (PyPI, pinned by scripts/test in target/fhirpy-venv) talks over HTTP to
//! the app served on a free port, through `tests/fhir/fhirpy_referral.py`:
//! it sends a coded GP referral, reads it back unchanged, and follows its
//! status by search while triage decides.

use crate::both_dbs;
use crate::fhir_referrals::{clients, ctx, staff_actor};
use crate::fhir_referrals_coded::{ODS, SENDER, gp_referral};
use crate::helpers::TestApp;
use bothy_app::Actor;
use bothy_domain::referral::{Decision, Step};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

both_dbs!(fhirpy_sends_a_coded_referral_and_follows_its_status);

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python with fhirpy: `BOTHY_FHIRPY_PYTHON`, else scripts/test's
/// virtual environment; None (and a note) when neither has it, which CI
/// does not allow.
pub(crate) fn python() -> Option<String> {
    python_tool(
        "BOTHY_FHIRPY_PYTHON",
        "target/fhirpy-venv",
        "tests/fhir/fhirpy_referral.py",
        "fhirpy",
    )
}

/// A Python of a pinned virtual environment of scripts/test: `env_var`,
/// else `venv` under the repository, checked by running `script --check`.
/// None (and a note) when it cannot, which CI does not allow.
pub(crate) fn python_tool(env_var: &str, venv: &str, script: &str, what: &str) -> Option<String> {
    let python = std::env::var(env_var)
        .unwrap_or_else(|_| root().join(venv).join("bin/python").display().to_string());
    let ok = Command::new(&python)
        .arg(root().join(script))
        .arg("--check")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the {what} test: {python} cannot import {what} (scripts/test installs it)"
        );
        eprintln!("note: {what} test skipped ({python} cannot import {what}); run scripts/test");
        return None;
    }
    Some(python)
}

async fn run(python: &str, args: Vec<String>) -> Value {
    run_script(python, "fhirpy_referral.py", args).await
}

/// Runs a script of `tests/fhir` off the async runtime (the server
/// answers on it) and reads the JSON it prints.
pub(crate) async fn run_script(python: &str, script: &'static str, args: Vec<String>) -> Value {
    let python = python.to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(root().join("tests/fhir").join(script))
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "fhirpy: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn fhirpy_sends_a_coded_referral_and_follows_its_status(t: TestApp) {
    let Some(python) = python() else { return };
    let cl = clients(&t).await;
    let token = cl.referrer.trim_start_matches("Bearer ").to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/fhir", listener.local_addr().unwrap());
    let service = t
        .router
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });

    let sent = gp_referral("py-0001", "urgent");
    let file = std::env::temp_dir().join(format!("bothy-fhirpy-{}.json", uuid_like()));
    std::fs::write(&file, sent.to_string()).unwrap();
    let seen = run(
        &python,
        vec![
            "send".into(),
            base.clone(),
            token.clone(),
            file.display().to_string(),
        ],
    )
    .await;
    let _ = std::fs::remove_file(&file);
    let read = &seen["read"];
    for key in ["identifier", "authoredOn", "priority", "reasonCode", "note"] {
        assert_eq!(read[key], sent[key], "{key}: {read:#}");
    }
    assert_eq!(seen["found"][0], seen["id"]);
    assert_eq!(seen["statuses"], serde_json::json!(["active"]));

    // Triage accepts it; the sender sees it completed.
    let triage = staff_actor(&t, "triage_clinician").await;
    let Actor::Staff(supporter) = staff_actor(&t, "supporter").await else {
        unreachable!()
    };
    let id = seen["id"].as_str().unwrap().parse().unwrap();
    let accept = Decision::Accept {
        step: Step::Programme,
        practitioner: supporter.id,
        programme: None,
    };
    t.app
        .triage()
        .decide(&triage, id, accept, &ctx())
        .await
        .unwrap();
    let followed = run(
        &python,
        vec![
            "follow".into(),
            base,
            token,
            format!("{SENDER}|py-0001"),
            format!("{ODS}|A81001"),
        ],
    )
    .await;
    assert_eq!(followed["statuses"], serde_json::json!(["completed"]));
    assert_eq!(followed["by_requester"], serde_json::json!([seen["id"]]));
}

fn uuid_like() -> String {
    bothy_domain::ids::ReferralId::random().to_string()
}
