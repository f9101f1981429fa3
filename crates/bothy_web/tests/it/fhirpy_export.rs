//! A data platform's bulk export through a real FHIR client library's
//! environment: `tests/fhir/fhirpy_export.py` signs a SMART Backend
//! Services assertion with PyJWT, gets an access token, reads the
//! service's Group with fhirpy and runs a Group `$export` to completion
//! over plain HTTP while the worker runs beside it. Every resource it
//! downloaded is checked against the service and validated as FHIR R4.

use crate::both_dbs;
use crate::fhir_measures::{clients, post_json, response};
use crate::fhir_support::Emitted;
use crate::fhirpy_referral::{python, run_script};
use crate::helpers::TestApp;
use crate::smart_token::smart_client;
use bothy_domain::role::ApiPermission;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

both_dbs!(fhirpy_runs_a_bulk_export_with_a_smart_token);

async fn fhirpy_runs_a_bulk_export_with_a_smart_token(t: TestApp) {
    let Some(python) = python() else { return };
    let out = Emitted::new();
    let cl = clients(&t).await;
    let c = t.client();
    let phq9 = t.app.measures().instrument("phq9").unwrap().clone();
    for i in 0..4 {
        t.clock.advance(Duration::from_secs(60));
        let p = &t.demo.patients[i % 3].id;
        post_json(
            &c,
            &cl.writer,
            &response(&phq9, p, &format!("bulk-py-{i}"), &[2; 9]),
        )
        .await
        .status(201);
    }
    let id = smart_client(&t, "Regional platform", &[ApiPermission::PatientRead]).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/fhir", listener.local_addr().unwrap());
    let service = t
        .router
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    // The worker, as `bothy serve` runs it beside the server.
    let app = t.app.clone();
    let worker = tokio::spawn(async move {
        loop {
            let _ = bothy_jobs::run_once(&app).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });

    let public = bothy_fhir::base_url(&t.app.settings().public_url);
    let key =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fhir/smart/es384-private.pem");
    let seen = run_script(
        &python,
        "fhirpy_export.py",
        vec![
            "export".into(),
            base,
            public,
            id.to_string(),
            key.display().to_string(),
            "es384-test".into(),
            "ES384".into(),
            "demo".into(),
            t.clock_secs().to_string(),
        ],
    )
    .await;
    worker.abort();

    assert_eq!(seen["token_type"], "bearer");
    assert_eq!(seen["scope"], "system/*.read");
    assert_eq!(seen["group"]["id"], "demo");
    let manifest = &seen["manifest"];
    assert_eq!(manifest["requiresAccessToken"], true);
    let resources = seen["resources"].as_array().unwrap();
    let of = |ty: &str| resources.iter().filter(|r| r["resourceType"] == ty).count();
    let demo = t
        .app
        .admin()
        .service_by_slug("demo")
        .await
        .unwrap()
        .id
        .to_string();
    let patients = t
        .count("SELECT COUNT(*) FROM patients WHERE service_id = $1", &demo)
        .await as usize;
    let stored = t
        .count(
            "SELECT COUNT(*) FROM measure_responses WHERE service_id = $1",
            &demo,
        )
        .await as usize;
    assert_eq!(of("Patient"), patients);
    assert_eq!(of("QuestionnaireResponse"), stored);
    assert_eq!(of("Observation"), stored);
    for (i, r) in resources.iter().enumerate() {
        out.keep_value(&format!("py-{i}"), r);
    }
    out.validate();
}
