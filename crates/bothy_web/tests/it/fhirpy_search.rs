//! A data platform's search through a real FHIR client library: fhirpy
//! (as `fhirpy_referral` runs it) pages through the service's responses
//! oldest received first with their patients included, following the
//! cursor in each `next` link, counts them with `count()` and asks for
//! some elements with `elements()`.

use crate::both_dbs;
use crate::fhir_measures::{clients, post_json, response};
use crate::fhirpy_referral::{python, run_script};
use crate::helpers::TestApp;
use std::net::SocketAddr;
use std::time::Duration;

both_dbs!(fhirpy_pages_through_responses_with_their_patients);

async fn fhirpy_pages_through_responses_with_their_patients(t: TestApp) {
    let Some(python) = python() else { return };
    let cl = clients(&t).await;
    let c = t.client();
    let phq9 = t.app.measures().instrument("phq9").unwrap().clone();
    let patients: Vec<String> = t.demo.patients.iter().map(|p| p.id.clone()).collect();
    let mut stored = Vec::new();
    for i in 0..5 {
        t.clock.advance(Duration::from_secs(60));
        let r = post_json(
            &c,
            &cl.writer,
            &response(&phq9, &patients[i % 3], &format!("py-{i}"), &[1; 9]),
        )
        .await
        .status(201)
        .json();
        stored.push((
            r["id"].as_str().unwrap().to_string(),
            patients[i % 3].clone(),
        ));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/fhir", listener.local_addr().unwrap());
    let service = t
        .router
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    let token = cl.reader.trim_start_matches("Bearer ").to_string();

    // Links carry the configured public URL, not this port: the client
    // takes it as another name of the server (fhirpy's url_aliases).
    let public = bothy_fhir::base_url(&t.app.settings().public_url);
    let seen = run_script(
        &python,
        "fhirpy_search.py",
        vec!["page".into(), base, token, public],
    )
    .await;
    let ids: Vec<&str> = stored.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(seen["matched"], serde_json::json!(ids), "{seen:#}");
    assert_eq!(seen["count"], 5);
    assert_eq!(seen["first_matches"], serde_json::json!(ids[..2]));
    let mut first_patients = vec![stored[0].1.clone(), stored[1].1.clone()];
    first_patients.sort();
    assert_eq!(seen["first_included"], serde_json::json!(first_patients));
    assert_eq!(
        seen["subjects"],
        serde_json::json!([
            format!("Patient/{}", stored[0].1),
            format!("Patient/{}", stored[1].1)
        ])
    );
}
