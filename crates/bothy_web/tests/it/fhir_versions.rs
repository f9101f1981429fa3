//! Codes, versions and conditional interactions of the FHIR API: every
//! instrument's Questionnaire and Observation coded, and every code system
//! they use answering; `meta.versionId`, `ETag`, `Last-Modified` and vread;
//! `If-None-Exist` with no, one and several matches (and two at once);
//! `authored` kept as sent; a create and a later read agreeing to the byte.

use crate::both_dbs;
use crate::fhir_measures::{BOTHY, LOINC, MEASURES, base, clients, get, post_json, response};
use crate::fhir_support::Emitted;
use crate::helpers::{Client, Resp, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, header};
use bothy_domain::ServiceId;
use bothy_domain::role::ApiPermission;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

both_dbs!(
    every_instrument_is_coded_and_every_code_system_answers,
    resources_carry_versions_and_vread_answers_the_current_one,
    conditional_creates_find_none_one_or_several,
    two_conditional_creates_at_once_make_one_response,
    authored_is_kept_as_sent_and_a_future_one_refused,
    creates_and_reads_agree_to_the_byte,
);

fn lowest(inst: &bothy_domain::instruments::Instrument) -> Vec<i32> {
    inst.items
        .iter()
        .map(|item| {
            inst.options_for(item)
                .iter()
                .map(|o| o.score)
                .min()
                .unwrap()
        })
        .collect()
}

async fn post_with(c: &Client, auth: &str, extra: &[(&str, &str)], v: &Value) -> Resp {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/fhir/QuestionnaireResponse")
        .header(header::AUTHORIZATION, auth)
        .header(header::CONTENT_TYPE, "application/fhir+json");
    for (k, val) in extra {
        req = req.header(*k, *val);
    }
    c.send(req.body(Body::from(v.to_string())).unwrap()).await
}

fn header<'r>(r: &'r Resp, name: &str) -> Option<&'r str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

/// A coding's code system, served by Bothy unless it is LOINC's: checks the
/// code is in it and returns the CodeSystem.
async fn check_code(c: &Client, out: &Emitted, seen: &mut BTreeSet<String>, coding: &Value) {
    let system = coding["system"].as_str().unwrap();
    let code = coding["code"].as_str().unwrap();
    if system == LOINC {
        return;
    }
    let id = system
        .strip_prefix(&format!("{BOTHY}/CodeSystem/"))
        .unwrap_or_else(|| panic!("{system} is not at Bothy's canonical base"));
    if seen.insert(id.to_string()) {
        let found = out.keep(
            &format!("codesystems-{id}"),
            &c.get(&format!("/fhir/CodeSystem?url={system}")).await.ok(),
        );
        assert_eq!(found["total"], 1, "{system}");
        let read = c.get(&format!("/fhir/CodeSystem/{id}")).await.ok();
        let cs = out.keep(&format!("codesystem-{id}"), &read);
        assert_eq!(cs["url"], system);
        assert_eq!(found["entry"][0]["resource"], cs);
        let etag = header(&read, "etag").unwrap().to_string();
        let vid = cs["meta"]["versionId"].as_str().unwrap();
        assert_eq!(etag, format!("W/\"{vid}\""));
        let again = c
            .get(&format!("/fhir/CodeSystem/{id}/_history/{vid}"))
            .await
            .ok();
        assert_eq!(again.json(), cs);
    }
    let cs = c.get(&format!("/fhir/CodeSystem/{id}")).await.ok().json();
    assert!(
        cs["concept"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["code"] == code),
        "{code} is not in {system}"
    );
}

async fn every_instrument_is_coded_and_every_code_system_answers(t: TestApp) {
    let out = Emitted::new();
    let cl = clients(&t).await;
    let c = t.client();
    let patient = t.demo.patients[0].id.clone();
    let mut seen = BTreeSet::new();
    for inst in t.app.catalogue().iter() {
        let read = c
            .get(&format!("/fhir/Questionnaire/{}", inst.id))
            .await
            .ok();
        let q = out.keep(&format!("questionnaire-{}", inst.id), &read);
        check_code(&c, &out, &mut seen, &q["code"][0]).await;
        for item in q["item"].as_array().unwrap() {
            if item["type"] != "choice" {
                continue;
            }
            check_code(&c, &out, &mut seen, &item["code"][0]).await;
            for opt in item["answerOption"].as_array().unwrap() {
                check_code(&c, &out, &mut seen, &opt["valueCoding"]).await;
            }
        }
        // Its Observation is coded too, in a code system that answers.
        let key = format!("coded-{}", inst.id);
        let created = post_json(
            &c,
            &cl.writer,
            &response(inst, &patient, &key, &lowest(inst)),
        )
        .await
        .status(201)
        .json();
        let id = created["id"].as_str().unwrap();
        let obs = get(&c, &format!("/fhir/Observation/{id}"), &cl.reader)
            .await
            .ok();
        let obs = out.keep(&format!("observation-{}", inst.id), &obs);
        check_code(&c, &out, &mut seen, &obs["code"]["coding"][0]).await;
    }
    // The codes LOINC publishes, confirmed in the sources the files cite.
    for (id, want) in [
        ("phq9", "44249-1"),
        ("gad7", "69737-5"),
        ("pcl5", "101697-1"),
        ("epds", "71354-5"),
    ] {
        let q = c
            .get(&format!("/fhir/Questionnaire/{id}"))
            .await
            .ok()
            .json();
        assert_eq!(q["code"][0]["code"], want, "{id}");
    }
    assert!(
        seen.contains("measures") && seen.contains("wsas-answers"),
        "{seen:?}"
    );
    let all = out.keep("codesystems", &c.get("/fhir/CodeSystem").await.ok());
    assert_eq!(all["total"], seen.len(), "every served code system is used");
    c.get("/fhir/CodeSystem/phq9-answers").await.status(404);
    c.get("/fhir/CodeSystem?version=1").await.status(400);
    assert_eq!(
        c.get("/fhir/Questionnaire/wsas").await.ok().json()["code"][0]["system"],
        MEASURES
    );
    out.validate();
}

async fn resources_carry_versions_and_vread_answers_the_current_one(t: TestApp) {
    let out = Emitted::new();
    let cl = clients(&t).await;
    let c = t.client();
    let patient = t.demo.patients[0].id.clone();
    let phq9 = t.app.catalogue().get("phq9").unwrap();
    let created = post_json(&c, &cl.writer, &response(phq9, &patient, "v-1", &[1; 9]))
        .await
        .status(201);
    let body = out.keep("created", &created);
    assert_eq!(body["meta"]["versionId"], "1");
    assert_eq!(header(&created, "etag"), Some("W/\"1\""));
    let modified = header(&created, "last-modified").unwrap().to_string();
    assert!(modified.ends_with(" GMT"), "{modified}");
    let id = body["id"].as_str().unwrap();
    for kind in ["QuestionnaireResponse", "Observation"] {
        let read = get(&c, &format!("/fhir/{kind}/{id}"), &cl.reader)
            .await
            .ok();
        let v = out.keep(&format!("read-{kind}"), &read);
        assert_eq!(v["meta"]["versionId"], "1");
        assert_eq!(v["meta"]["lastUpdated"], body["meta"]["lastUpdated"]);
        assert_eq!(header(&read, "etag"), Some("W/\"1\""));
        assert_eq!(header(&read, "last-modified"), Some(modified.as_str()));
        let vread = get(&c, &format!("/fhir/{kind}/{id}/_history/1"), &cl.reader)
            .await
            .ok();
        assert_eq!(vread.body, read.body);
        for old in ["2", "0", "x"] {
            let gone = get(&c, &format!("/fhir/{kind}/{id}/_history/{old}"), &cl.reader)
                .await
                .status(404);
            out.keep(&format!("vread-{kind}-{old}"), &gone);
        }
        // Another service's client sees no version at all.
        get(&c, &format!("/fhir/{kind}/{id}/_history/1"), &cl.other)
            .await
            .status(404);
    }
    let q = c.get("/fhir/Questionnaire/phq9").await.ok();
    let vid = q.json()["meta"]["versionId"].as_str().unwrap().to_string();
    assert!(q.json()["meta"]["lastUpdated"].is_string());
    assert_eq!(header(&q, "etag"), Some(format!("W/\"{vid}\"").as_str()));
    c.get(&format!("/fhir/Questionnaire/phq9/_history/{vid}"))
        .await
        .ok();
    c.get("/fhir/Questionnaire/phq9/_history/1")
        .await
        .status(404);
    let p = get(&c, &format!("/fhir/Patient/{patient}"), &cl.reader)
        .await
        .ok();
    let pv = out.keep("patient", &p);
    assert!(pv["meta"]["versionId"].is_string() && pv["meta"]["lastUpdated"].is_string());
    assert!(header(&p, "etag").is_some());
    let cap = out.keep("metadata", &c.get("/fhir/metadata").await.ok());
    let qr = cap["rest"][0]["resource"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "QuestionnaireResponse")
        .unwrap();
    assert_eq!(qr["conditionalCreate"], true);
    assert_eq!(qr["versioning"], "versioned");
    assert!(
        qr["interaction"]
            .as_array()
            .unwrap()
            .contains(&json!({ "code": "vread" }))
    );
    // No update exists, so neither does If-Match's precondition.
    assert!(!cap.to_string().contains("\"update\""));
    out.validate();
}

async fn count(t: &TestApp, key: &str) -> i64 {
    t.count(
        "SELECT COUNT(*) FROM measure_responses WHERE idempotency_key = $1",
        key,
    )
    .await
}

async fn conditional_creates_find_none_one_or_several(t: TestApp) {
    let out = Emitted::new();
    let cl = clients(&t).await;
    let c = t.client();
    let (p0, p1) = (t.demo.patients[0].id.clone(), t.demo.patients[1].id.clone());
    let gad7 = t.app.catalogue().get("gad7").unwrap();
    let cond = format!("identifier=urn:example:gp-system|c-1&subject=Patient/{p0}");
    let body = response(gad7, &p0, "c-1", &[1; 7]);
    // None: created.
    let first = post_with(&c, &cl.writer, &[("if-none-exist", &cond)], &body)
        .await
        .status(201);
    let first = out.keep("created", &first);
    // One: answered with it, not created again, even for other content.
    let other = response(gad7, &p0, "c-1-again", &[2; 7]);
    let again = post_with(&c, &cl.writer, &[("if-none-exist", &cond)], &other)
        .await
        .status(200);
    assert_eq!(out.keep("matched", &again), first);
    assert_eq!(count(&t, "c-1-again").await, 0);
    assert_eq!(count(&t, "c-1").await, 1);
    // The identifier alone, for a key two patients have: several, 412.
    post_json(&c, &cl.writer, &response(gad7, &p1, "c-1", &[0; 7]))
        .await
        .status(201);
    let several = post_with(
        &c,
        &cl.writer,
        &[("if-none-exist", "identifier=c-1")],
        &other,
    )
    .await
    .status(412);
    assert_eq!(
        out.keep("several", &several)["issue"][0]["code"],
        "multiple-matches"
    );
    assert_eq!(count(&t, "c-1-again").await, 0);
    // Searches it cannot run are refused, not ignored.
    for bad in [
        "authored=2026",
        "subject=Patient/x",
        "identifier=a&identifier=b",
    ] {
        let r = post_with(&c, &cl.writer, &[("if-none-exist", bad)], &other)
            .await
            .status(400);
        out.keep("bad", &r);
    }
    // Another service's client finds nothing of this one's, so may not learn of it.
    let elsewhere = post_with(&c, &cl.other, &[("if-none-exist", &cond)], &body).await;
    assert_eq!(elsewhere.status.as_u16(), 404, "{}", elsewhere.body);
    assert_eq!(count(&t, "c-1").await, 2);
    out.validate();
}

async fn two_conditional_creates_at_once_make_one_response(t: TestApp) {
    let cl = clients(&t).await;
    let c = t.client();
    let patient = t.demo.patients[0].id.clone();
    let phq9 = t.app.catalogue().get("phq9").unwrap();
    for round in 0..5 {
        let key = format!("par-{round}");
        let cond = format!("identifier={key}&patient={patient}");
        let body = response(phq9, &patient, &key, &[1; 9]);
        let extra = [("if-none-exist", cond.as_str())];
        let (a, b) = tokio::join!(
            post_with(&c, &cl.writer, &extra, &body),
            post_with(&c, &cl.writer, &extra, &body),
        );
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort_unstable();
        assert!(
            matches!(statuses, [200, 201] | [201, 409] | [201, 412]),
            "{statuses:?}: {} / {}",
            a.body,
            b.body
        );
        assert_eq!(count(&t, &key).await, 1);
        if statuses == [200, 201] {
            assert_eq!(a.json()["id"], b.json()["id"]);
        }
    }
}

async fn authored_is_kept_as_sent_and_a_future_one_refused(t: TestApp) {
    let out = Emitted::new();
    let cl = clients(&t).await;
    let c = t.client();
    let patient = t.demo.patients[0].id.clone();
    let gad7 = t.app.catalogue().get("gad7").unwrap();
    let now = t.app.clock().now();
    let send = |key: &str, authored: Value| {
        let mut v = response(gad7, &patient, key, &[1; 7]);
        v["authored"] = authored;
        v
    };
    // Completed on paper a day before it was sent; sub-millisecond digits
    // and the sender's zone are not kept, the instant is.
    let authored = now
        .checked_sub(Duration::from_secs(86_400))
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%S.123456+00:00")
        .to_string();
    let created = post_json(&c, &cl.writer, &send("a-1", json!(authored)))
        .await
        .status(201);
    let created = out.keep("authored", &created);
    let want = authored.replace(".123456+00:00", ".123Z");
    assert_eq!(created["authored"], want.as_str());
    assert_eq!(created["meta"]["lastUpdated"], bothy_fhir::instant(now));
    let id = created["id"].as_str().unwrap();
    let read = get(&c, &format!("/fhir/QuestionnaireResponse/{id}"), &cl.reader)
        .await
        .ok()
        .json();
    assert_eq!(read, created);
    let obs = get(&c, &format!("/fhir/Observation/{id}"), &cl.reader)
        .await
        .ok();
    let obs = out.keep("observation", &obs);
    assert_eq!(obs["effectiveDateTime"], want.as_str());
    assert_eq!(obs["issued"], bothy_fhir::instant(now));
    // Searched by when it was completed, not when it arrived.
    let day = &want[..10];
    let found = get(
        &c,
        &format!("/fhir/QuestionnaireResponse?subject=Patient/{patient}&authored={day}"),
        &cl.reader,
    )
    .await
    .ok()
    .json();
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["entry"][0]["resource"]["id"], id);

    // A little ahead (clocks differ) is taken; an hour ahead is refused.
    let soon = now.checked_add(Duration::from_secs(120)).unwrap();
    post_json(&c, &cl.writer, &send("a-2", json!(soon.to_string())))
        .await
        .status(201);
    let later = now.checked_add(Duration::from_secs(3_600)).unwrap();
    for (key, value) in [
        ("a-3", json!(later.to_string())),
        ("a-4", json!("2026-11-17")),
        ("a-5", json!(17)),
    ] {
        let r = post_json(&c, &cl.writer, &send(key, value))
            .await
            .status(422);
        let outcome = out.keep("refused", &r);
        assert_eq!(
            outcome["issue"][1]["expression"][0], "QuestionnaireResponse.authored",
            "{outcome}"
        );
        assert_eq!(count(&t, key).await, 0);
    }
    out.validate();
}

async fn creates_and_reads_agree_to_the_byte(t: TestApp) {
    let cl = clients(&t).await;
    let c = t.client();
    let patient = t.demo.patients[0].id.clone();
    let referrer = t
        .app
        .admin()
        .register_api_client(
            demo_service(&t).await,
            "GP system",
            &[ApiPermission::ReferralCreate, ApiPermission::ReferralRead],
            &crate::fhir_measures::ctx(),
        )
        .await
        .unwrap();
    let referrer = format!("Bearer {}", referrer.token);
    let phq9 = t.app.catalogue().get("phq9").unwrap();
    for n in 0..44 {
        // Clocks tick below a millisecond: the fake one moves that way here.
        t.clock
            .advance(Duration::from_nanos(1_234_567 + n * 77_777));
        let created = post_json(
            &c,
            &cl.writer,
            &response(phq9, &patient, &format!("byte-{n}"), &[(n % 4) as i32; 9]),
        )
        .await
        .status(201);
        let id = created.json()["id"].as_str().unwrap().to_string();
        t.clock.advance(Duration::from_millis(3));
        let read = get(&c, &format!("/fhir/QuestionnaireResponse/{id}"), &cl.reader)
            .await
            .ok();
        assert_eq!(created.body, read.body, "create {n}");
        assert_eq!(header(&created, "etag"), header(&read, "etag"));
        assert_eq!(
            header(&created, "last-modified"),
            header(&read, "last-modified")
        );
    }
    for n in 0..4 {
        t.clock.advance(Duration::from_nanos(987_654));
        let sr = crate::fhir_referrals::referral(
            &t,
            &format!("sr-byte-{n}"),
            &format!("byte{n}@example.org"),
        );
        let created = c
            .send(
                Request::builder()
                    .method(Method::POST)
                    .uri("/fhir/ServiceRequest")
                    .header(header::AUTHORIZATION, &referrer)
                    .header(header::CONTENT_TYPE, "application/fhir+json")
                    .body(Body::from(sr.to_string()))
                    .unwrap(),
            )
            .await
            .status(201);
        let location = header(&created, "location").unwrap().to_string();
        let path = location.strip_prefix(&base().replace("/fhir", "")).unwrap();
        let read = get(&c, path, &referrer).await.ok();
        assert_eq!(created.body, read.body, "referral {n}");
        assert_eq!(header(&created, "etag"), header(&read, "etag"));
        assert!(header(&read, "etag").is_some());
    }
}

async fn demo_service(t: &TestApp) -> ServiceId {
    t.app.admin().service_by_slug("demo").await.unwrap().id
}
