//! FHIR Bulk Data export with a SMART Backend Services token: kick-off at
//! each level, status polling, the manifest and NDJSON files (each line
//! validated as FHIR R4), `_type` and `_since`, what is refused, another
//! service's client seeing nothing, cancelling, auditing and expiry.

use crate::both_dbs;
use crate::fhir_measures::{PUBLIC_URL, clients, ctx, path_of, post_json, response};
use crate::fhir_support::Emitted;
use crate::helpers::{Client, Resp, TestApp};
use crate::smart_token::{smart_client, smart_client_of, smart_token};
use bothy_domain::role::ApiPermission;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

both_dbs!(
    an_export_runs_to_completion_with_a_smart_token,
    type_since_and_the_group_level_are_honoured,
    kick_offs_need_their_headers_and_valid_parameters,
    another_services_client_sees_nothing_and_cancel_works,
);

async fn kick_off(c: &Client, auth: &str, path: &str) -> Resp {
    c.get_with(
        path,
        &[
            ("authorization", auth),
            ("accept", "application/fhir+json"),
            ("prefer", "respond-async"),
        ],
    )
    .await
}

/// The status path from a kick-off's answer.
fn status_path(r: &Resp) -> String {
    assert_eq!(r.status.as_u16(), 202, "{}", r.body);
    let url = r.headers.get("content-location").unwrap().to_str().unwrap();
    path_of(url).to_string()
}

/// Polls once (202), runs the job, and returns the manifest.
async fn complete(t: &TestApp, c: &Client, auth: &str, status: &str) -> Value {
    let r = c.get_with(status, &[("authorization", auth)]).await;
    assert_eq!(r.status.as_u16(), 202, "{}", r.body);
    assert!(r.headers.get("x-progress").is_some());
    assert_eq!(r.headers.get("retry-after").unwrap(), "2");
    t.drain_jobs().await;
    let r = c.get_with(status, &[("authorization", auth)]).await.ok();
    assert_eq!(r.headers.get("content-type").unwrap(), "application/json");
    r.json()
}

/// Every file of a manifest, read with `auth`: (type, resources).
async fn files(c: &Client, auth: &str, manifest: &Value) -> Vec<(String, Vec<Value>)> {
    let mut out = Vec::new();
    for f in manifest["output"].as_array().unwrap() {
        let r = c
            .get_with(
                path_of(f["url"].as_str().unwrap()),
                &[
                    ("authorization", auth),
                    ("accept", "application/fhir+ndjson"),
                ],
            )
            .await
            .ok();
        assert_eq!(
            r.headers.get("content-type").unwrap(),
            "application/fhir+ndjson"
        );
        let lines: Vec<Value> = r
            .body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len() as u64, f["count"].as_u64().unwrap());
        for l in &lines {
            assert_eq!(l["resourceType"], f["type"]);
        }
        out.push((f["type"].as_str().unwrap().to_string(), lines));
    }
    out
}

fn counts(files: &[(String, Vec<Value>)]) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for (t, lines) in files {
        *m.entry(t.clone()).or_default() += lines.len();
    }
    m
}

/// Stores `n` PHQ-9s for the demo's patients, a minute apart.
async fn responses(t: &TestApp, auth: &str, n: usize, tag: &str) {
    let inst = t.app.measures().instrument("phq9").unwrap().clone();
    let c = t.client();
    for i in 0..n {
        t.clock.advance(Duration::from_secs(60));
        let p = &t.demo.patients[i % t.demo.patients.len()].id;
        post_json(
            &c,
            auth,
            &response(&inst, p, &format!("{tag}-{i}"), &[1; 9]),
        )
        .await
        .status(201);
    }
}

async fn patients_in_demo(t: &TestApp) -> usize {
    let demo = t.app.admin().service_by_slug("demo").await.unwrap().id;
    t.count(
        "SELECT COUNT(*) FROM patients WHERE service_id = $1",
        &demo.to_string(),
    )
    .await as usize
}

async fn responses_in_demo(t: &TestApp) -> usize {
    let demo = t.app.admin().service_by_slug("demo").await.unwrap().id;
    t.count(
        "SELECT COUNT(*) FROM measure_responses WHERE service_id = $1",
        &demo.to_string(),
    )
    .await as usize
}

async fn an_export_runs_to_completion_with_a_smart_token(t: TestApp) {
    let out = Emitted::new();
    let cl = clients(&t).await;
    responses(&t, &cl.writer, 5, "bulk").await;
    let c = t.client();
    let id = smart_client(&t, "Data platform", &[ApiPermission::PatientRead]).await;
    let auth = smart_token(&t, id, "system/*.read").await;

    let kicked = kick_off(
        &c,
        &auth,
        "/fhir/$export?_outputFormat=application%2Ffhir%2Bndjson",
    )
    .await;
    let status = status_path(&kicked);
    let manifest = complete(&t, &c, &auth, &status).await;
    assert_eq!(manifest["requiresAccessToken"], true);
    assert_eq!(manifest["error"], serde_json::json!([]));
    assert_eq!(
        manifest["request"],
        format!("{PUBLIC_URL}/fhir/$export?_outputFormat=application%2Ffhir%2Bndjson")
    );
    assert!(manifest["transactionTime"].as_str().unwrap().ends_with('Z'));
    let got = files(&c, &auth, &manifest).await;
    let n = counts(&got);
    assert_eq!(n["Patient"], patients_in_demo(&t).await);
    assert_eq!(n["QuestionnaireResponse"], responses_in_demo(&t).await);
    assert_eq!(n["Observation"], responses_in_demo(&t).await);
    // Each line is what search serves, and valid R4.
    for (ty, lines) in &got {
        for (i, l) in lines.iter().enumerate() {
            assert!(l["meta"]["versionId"].is_string(), "{l}");
            out.keep_value(&format!("{ty}-{i}"), l);
        }
    }
    // Each file read is audited with what it held.
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1",
            "fhir.export_read"
        )
        .await,
        manifest["output"].as_array().unwrap().len() as i64
    );
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1",
            "fhir.export_requested"
        )
        .await,
        1
    );

    // A file without a token, or with another client's, is refused.
    let file = path_of(manifest["output"][0]["url"].as_str().unwrap()).to_string();
    c.get(&file).await.status(401);
    c.get(&status).await.status(401);
    let other = smart_client(&t, "Another platform", &[ApiPermission::PatientRead]).await;
    let other = smart_token(&t, other, "system/*.read").await;
    c.get_with(&file, &[("authorization", other.as_str())])
        .await
        .status(404);
    c.get_with(&status, &[("authorization", other.as_str())])
        .await
        .status(404);
    // A client without patient.read may not export.
    kick_off(&c, &cl.write_only, "/fhir/$export")
        .await
        .status(403);
    // The static token of a client works too.
    let s = status_path(&kick_off(&c, &cl.reader, "/fhir/Patient/$export?_type=Patient").await);
    let m = complete(&t, &c, &cl.reader, &s).await;
    assert_eq!(
        counts(&files(&c, &cl.reader, &m).await)["Patient"],
        patients_in_demo(&t).await
    );

    // A day after completion the files are gone.
    t.clock.advance(Duration::from_secs(25 * 3600));
    let auth = smart_token(&t, id, "system/*.read").await;
    c.get_with(&status, &[("authorization", auth.as_str())])
        .await
        .status(404);
    t.app.jobs().housekeep().await.unwrap();
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM bulk_export_files WHERE export_id <> $1",
            ""
        )
        .await,
        0
    );
    out.validate();
    t.finish().await;
}

async fn type_since_and_the_group_level_are_honoured(t: TestApp) {
    let cl = clients(&t).await;
    responses(&t, &cl.writer, 3, "early").await;
    t.clock.advance(Duration::from_secs(3600));
    let since = bothy_fhir::instant(bothy_app::Clock::now(&t.clock));
    responses(&t, &cl.writer, 2, "late").await;
    let c = t.client();
    let id = smart_client(&t, "Data platform", &[ApiPermission::PatientRead]).await;
    let auth = smart_token(&t, id, "system/Observation.read system/Patient.read").await;

    // _type: only Observations; _since: only those stored since.
    let path = format!(
        "/fhir/$export?_type=Observation&_since={}",
        since.replace(':', "%3A")
    );
    let s = status_path(&kick_off(&c, &auth, &path).await);
    let m = complete(&t, &c, &auth, &s).await;
    let got = files(&c, &auth, &m).await;
    let n = counts(&got);
    assert_eq!(n.len(), 1);
    assert_eq!(n["Observation"], 2);
    // _since with no patient made since: no Patient file at all.
    let path = format!(
        "/fhir/$export?_type=Patient,QuestionnaireResponse&_since={}",
        since.replace(':', "%3A")
    );
    let s = status_path(&kick_off(&c, &auth, &path).await);
    let m = complete(&t, &c, &auth, &s).await;
    let n = counts(&files(&c, &auth, &m).await);
    assert_eq!(n.get("Patient"), None);
    assert_eq!(n["QuestionnaireResponse"], 2);

    // The service's Group: read, and exported (ndjson by its short name).
    let g = c
        .get_with("/fhir/Group/demo", &[("authorization", auth.as_str())])
        .await
        .ok()
        .json();
    assert_eq!(g["resourceType"], "Group");
    assert_eq!(g["type"], "person");
    c.get_with("/fhir/Group/elsewhere", &[("authorization", auth.as_str())])
        .await
        .status(404);
    kick_off(&c, &auth, "/fhir/Group/elsewhere/$export")
        .await
        .status(404);
    let s = status_path(
        &kick_off(
            &c,
            &auth,
            "/fhir/Group/demo/$export?_outputFormat=ndjson&_type=Patient",
        )
        .await,
    );
    let m = complete(&t, &c, &auth, &s).await;
    assert_eq!(
        counts(&files(&c, &auth, &m).await)["Patient"],
        patients_in_demo(&t).await
    );
    t.finish().await;
}

async fn kick_offs_need_their_headers_and_valid_parameters(t: TestApp) {
    let cl = clients(&t).await;
    let c = t.client();
    let auth = cl.reader.as_str();
    let no_prefer = c
        .get_with(
            "/fhir/$export",
            &[("authorization", auth), ("accept", "application/fhir+json")],
        )
        .await
        .status(400)
        .json();
    assert_eq!(no_prefer["resourceType"], "OperationOutcome");
    c.get_with(
        "/fhir/$export",
        &[("authorization", auth), ("prefer", "respond-async")],
    )
    .await
    .status(400);
    for q in [
        "_type=Encounter",
        "_outputFormat=application%2Ffhir%2Bjson",
        "_since=yesterday",
        "_since=2025-01-01",
        "_typeFilter=Patient%3Factive%3Dtrue",
    ] {
        kick_off(&c, auth, &format!("/fhir/$export?{q}"))
            .await
            .status(400);
    }
    for f in [
        "application%2Fndjson",
        "ndjson",
        "application%2Ffhir%2Bndjson",
    ] {
        status_path(&kick_off(&c, auth, &format!("/fhir/$export?_outputFormat={f}")).await);
    }
    // An unknown export or file is a 404.
    c.get_with("/fhir/$export-status/nothing", &[("authorization", auth)])
        .await
        .status(404);
    c.get_with("/fhir/$export-file/nothing/1", &[("authorization", auth)])
        .await
        .status(404);
    t.drain_jobs().await;
    t.finish().await;
}

async fn another_services_client_sees_nothing_and_cancel_works(t: TestApp) {
    let cl = clients(&t).await;
    responses(&t, &cl.writer, 2, "mine").await;
    let c = t.client();
    let elsewhere = t.app.admin().service_by_slug("elsewhere").await.unwrap().id;
    let theirs = smart_client_of(
        &t,
        elsewhere,
        "Their platform",
        &[ApiPermission::PatientRead],
    )
    .await;
    let theirs = smart_token(&t, theirs, "system/*.read").await;
    let id = smart_client(&t, "Data platform", &[ApiPermission::PatientRead]).await;
    let auth = smart_token(&t, id, "system/*.read").await;

    // Their export holds nothing of this service: it has no patients.
    let s = status_path(&kick_off(&c, &theirs, "/fhir/$export").await);
    let m = complete(&t, &c, &theirs, &s).await;
    assert_eq!(m["output"], serde_json::json!([]));
    // Nor can they see or cancel ours.
    let ours = status_path(&kick_off(&c, &auth, "/fhir/$export").await);
    c.get_with(&ours, &[("authorization", theirs.as_str())])
        .await
        .status(404);
    c.send(
        axum::http::Request::builder()
            .method("DELETE")
            .uri(&ours)
            .header("authorization", &theirs)
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .status(404);
    // We cancel it before it runs: it is gone, and its job writes nothing.
    let delete = |path: String, auth: String| {
        let c = c.clone();
        async move {
            c.send(
                axum::http::Request::builder()
                    .method("DELETE")
                    .uri(&path)
                    .header("authorization", &auth)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
        }
    };
    delete(ours.clone(), auth.clone()).await.status(202);
    c.get_with(&ours, &[("authorization", auth.as_str())])
        .await
        .status(404);
    t.drain_jobs().await;
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM bulk_export_files WHERE export_id = $1",
            ours.rsplit('/').next().unwrap()
        )
        .await,
        0
    );
    delete(ours.clone(), auth.clone()).await.status(404);
    // A complete export deleted: its files go too.
    let s = status_path(&kick_off(&c, &auth, "/fhir/$export").await);
    let m = complete(&t, &c, &auth, &s).await;
    let file = path_of(m["output"][0]["url"].as_str().unwrap()).to_string();
    delete(s.clone(), auth.clone()).await.status(202);
    c.get_with(&file, &[("authorization", auth.as_str())])
        .await
        .status(404);
    let _ = ctx();
    t.finish().await;
}
