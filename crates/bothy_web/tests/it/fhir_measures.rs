//! FHIR R4 for measures, end to end: Questionnaires for every instrument,
//! QuestionnaireResponses created (scored, stored, risk-flagged), read and
//! searched, each total as an Observation, and precise OperationOutcomes for
//! bad input. Every resource the server emits here is written to a temporary
//! directory and checked by `tests/fhir/validate.py` (Python fhir.resources
//! 6.1.0, FHIR 4.0.1).

use crate::both_dbs;
use crate::fhir_support::Emitted;
use crate::helpers::{Client, Resp, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, header};
use bothy_app::RequestContext;
use bothy_domain::instruments::{Instrument, score};
use bothy_domain::role::ApiPermission;
use bothy_domain::{PatientId, ServiceId};
use serde_json::{Value, json};
use std::time::Duration;

both_dbs!(
    questionnaires_describe_every_instrument,
    responses_are_scored_stored_flagged_and_read_back,
    responses_are_searched_by_subject_and_date_and_hidden_from_others,
);

pub(crate) const LOINC: &str = "http://loinc.org";
pub(crate) const ORDINAL: &str = "http://hl7.org/fhir/StructureDefinition/ordinalValue";
pub(crate) const PUBLIC_URL: &str = "http://127.0.0.1:8080";
/// Bothy's canonical base, the same for every deployment.
pub(crate) const BOTHY: &str = "https://bothy.health/fhir";
pub(crate) const MEASURES: &str = "https://bothy.health/fhir/CodeSystem/measures";

pub(crate) fn base() -> String {
    format!("{PUBLIC_URL}/fhir")
}

pub(crate) fn ctx() -> RequestContext {
    RequestContext::default()
}

/// Bearer tokens for API clients of the demo service, and one of another service.
pub(crate) struct Clients {
    /// measures.write and patient.read.
    pub(crate) writer: String,
    /// patient.read only.
    pub(crate) reader: String,
    /// measures.write only.
    pub(crate) write_only: String,
    /// Another service's client, holding every permission.
    pub(crate) other: String,
}

pub(crate) async fn clients(t: &TestApp) -> Clients {
    let demo = t.app.admin().service_by_slug("demo").await.unwrap().id;
    let other = t
        .app
        .admin()
        .create_service("elsewhere", "Elsewhere wellbeing service", &ctx())
        .await
        .unwrap()
        .id;
    let reg = |service: ServiceId, name: &'static str, perms: &'static [ApiPermission]| {
        let app = t.app.clone();
        async move {
            let c = app
                .admin()
                .register_api_client(service, name, perms, &ctx())
                .await
                .unwrap();
            format!("Bearer {}", c.token)
        }
    };
    Clients {
        writer: reg(
            demo,
            "Outcomes feed",
            &[ApiPermission::MeasuresWrite, ApiPermission::PatientRead],
        )
        .await,
        reader: reg(demo, "Records feed", &[ApiPermission::PatientRead]).await,
        write_only: reg(demo, "Kiosk", &[ApiPermission::MeasuresWrite]).await,
        other: reg(other, "Elsewhere feed", &ApiPermission::ALL).await,
    }
}

pub(crate) async fn get(c: &Client, path: &str, auth: &str) -> Resp {
    c.get_with(path, &[("authorization", auth)]).await
}

pub(crate) async fn post(
    c: &Client,
    auth: &str,
    content_type: &str,
    body: impl Into<Body>,
) -> Resp {
    c.send(
        Request::builder()
            .method(Method::POST)
            .uri("/fhir/QuestionnaireResponse")
            .header(header::AUTHORIZATION, auth)
            .header(header::CONTENT_TYPE, content_type)
            .body(body.into())
            .unwrap(),
    )
    .await
}

pub(crate) async fn post_json(c: &Client, auth: &str, v: &Value) -> Resp {
    post(c, auth, "application/fhir+json", v.to_string()).await
}

/// A path on this server from an absolute URL it gave out.
pub(crate) fn path_of(url: &str) -> &str {
    url.strip_prefix(PUBLIC_URL).unwrap()
}

/// A completed response to `inst` answering each item with the option of
/// that score, coded as the Questionnaire codes it.
pub(crate) fn response(inst: &Instrument, patient: &str, key: &str, answers: &[i32]) -> Value {
    let items: Vec<Value> = inst
        .items
        .iter()
        .zip(answers)
        .map(|(item, score)| {
            let opt = inst
                .options_for(item)
                .iter()
                .find(|o| o.score == *score)
                .unwrap();
            let coding = match &opt.loinc {
                Some(code) => json!({ "system": LOINC, "code": code }),
                None => json!({
                    "system": format!("{BOTHY}/CodeSystem/{}-answers", inst.id),
                    "code": score.to_string(),
                }),
            };
            let link = item.loinc.clone().unwrap_or_else(|| item.n.to_string());
            json!({ "linkId": link, "answer": [{ "valueCoding": coding }] })
        })
        .collect();
    json!({
        "resourceType": "QuestionnaireResponse",
        "identifier": { "system": "urn:example:gp-system", "value": key },
        "questionnaire": format!("{}/Questionnaire/{}|{}", base(), inst.id, inst.version),
        "status": "completed",
        "subject": { "reference": format!("Patient/{patient}") },
        "item": items,
    })
}

pub(crate) async fn stored_count(t: &TestApp, patient: &str) -> (usize, usize) {
    let id: PatientId = patient.parse().unwrap();
    let mut tx = t.app.store().read().await.unwrap();
    let responses = tx
        .measure_responses(id, None, None, false, 10_000)
        .await
        .unwrap()
        .len();
    tx.rollback().await.unwrap();
    let alerts = t
        .open_alerts(id)
        .await
        .iter()
        .map(|a| a.signal_count as usize)
        .sum();
    (responses, alerts)
}

/// The issues' expressions, after the first (the overall one).
pub(crate) fn expressions(outcome: &Value) -> Vec<String> {
    assert_eq!(outcome["resourceType"], "OperationOutcome", "{outcome}");
    outcome["issue"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|i| i["expression"][0].as_str().unwrap().to_string())
        .collect()
}

async fn questionnaires_describe_every_instrument(t: TestApp) {
    let out = Emitted::new();
    let c = t.client();
    let all = out.keep("questionnaires", &c.get("/fhir/Questionnaire").await.ok());
    assert_eq!(all["type"], "searchset");
    assert_eq!(all["total"], t.app.catalogue().len());
    assert_eq!(all["link"][0]["url"], format!("{}/Questionnaire", base()));
    let entries = all["entry"].as_array().unwrap();
    for inst in t.app.catalogue().iter() {
        let url = format!("{}/Questionnaire/{}", base(), inst.id);
        let q = out.keep(
            &format!("questionnaire-{}", inst.id),
            &c.get(&format!("/fhir/Questionnaire/{}", inst.id))
                .await
                .ok(),
        );
        assert_eq!(q["url"], url.as_str());
        assert_eq!(q["version"], inst.version.as_str());
        assert_eq!(q["status"], "active");
        let entry = entries
            .iter()
            .find(|e| e["fullUrl"] == url.as_str())
            .unwrap();
        assert_eq!(entry["resource"], q, "the search and the read agree");
        let choices: Vec<&Value> = q["item"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["type"] == "choice")
            .collect();
        assert_eq!(choices.len(), inst.items.len(), "{}", inst.id);
        for (item, q_item) in inst.items.iter().zip(&choices) {
            let options = q_item["answerOption"].as_array().unwrap();
            assert_eq!(options.len(), inst.options_for(item).len());
            for (opt, q_opt) in inst.options_for(item).iter().zip(options) {
                assert_eq!(q_opt["extension"][0]["url"], ORDINAL);
                assert_eq!(q_opt["extension"][0]["valueDecimal"], opt.score);
                let coding = &q_opt["valueCoding"];
                match &opt.loinc {
                    Some(code) => assert_eq!(
                        (&coding["system"], &coding["code"]),
                        (&json!(LOINC), &json!(code))
                    ),
                    None => assert_eq!(
                        (&coding["system"], &coding["code"]),
                        (
                            &json!(format!("{BOTHY}/CodeSystem/{}-answers", inst.id)),
                            &json!(opt.score.to_string())
                        )
                    ),
                }
            }
        }
        // Found by its canonical URL, with or without its version.
        let found = c
            .get(&format!("/fhir/Questionnaire?url={url}"))
            .await
            .ok()
            .json();
        assert_eq!(found["total"], 1);
        assert_eq!(found["entry"][0]["resource"]["id"], inst.id.as_str());
        let found = c
            .get(&format!("/fhir/Questionnaire?url={url}%7C{}", inst.version))
            .await
            .ok()
            .json();
        assert_eq!(found["total"], 1);
    }

    // PHQ-9 and GAD-7 as LOINC publishes them.
    let phq9 = c.get("/fhir/Questionnaire/phq9").await.ok().json();
    assert_eq!(phq9["code"][0]["system"], LOINC);
    assert_eq!(phq9["code"][0]["code"], "44249-1");
    let links: Vec<&str> = phq9["item"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == "choice")
        .map(|i| i["linkId"].as_str().unwrap())
        .collect();
    assert_eq!(
        links,
        [
            "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3",
            "44260-8"
        ]
    );
    let codes = |item: &Value| -> Vec<String> {
        item["answerOption"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["valueCoding"]["code"].as_str().unwrap().to_string())
            .collect()
    };
    let q9 = phq9["item"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["linkId"] == "44260-8")
        .unwrap();
    assert_eq!(codes(q9), ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]);
    let gad7 = c.get("/fhir/Questionnaire/gad7").await.ok().json();
    assert_eq!(gad7["code"][0]["code"], "69737-5");
    let gad_item = |link: &str| {
        gad7["item"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["linkId"] == link)
            .unwrap()
            .clone()
    };
    assert_eq!(
        codes(&gad_item("69725-0")),
        ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    );
    assert_eq!(
        codes(&gad_item("68509-9")),
        ["LA6568-5", "LA6569-3", "LA18938-3", "LA6571-9"]
    );

    // Searches that match nothing, and ones the server does not understand.
    let none = out.keep(
        "questionnaires-none",
        &c.get("/fhir/Questionnaire?url=http://elsewhere.example/Questionnaire/phq9")
            .await
            .ok(),
    );
    assert_eq!(none["total"], 0);
    let bad = out.keep(
        "questionnaires-bad-param",
        &c.get("/fhir/Questionnaire?title=PHQ").await.status(400),
    );
    assert_eq!(expressions(&bad), ["title"]);
    out.keep(
        "questionnaire-missing",
        &c.get("/fhir/Questionnaire/nonesuch").await.status(404),
    );
    out.validate();
}

async fn responses_are_scored_stored_flagged_and_read_back(t: TestApp) {
    let out = Emitted::new();
    let cl = clients(&t).await;
    let c = t.client();
    let patient = t.demo.patients[0].id.clone();
    let phq9 = t.app.measures().instrument("phq9").unwrap().clone();
    let before = stored_count(&t, &patient).await;

    // PHQ-9 with item 9 answered "Several days".
    let answers = [2, 1, 2, 1, 0, 1, 1, 0, 1];
    let sent = response(&phq9, &patient, "gp-4711", &answers);
    let r = post_json(&c, &cl.writer, &sent).await.status(201);
    let created = out.keep("response-created", &r);
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.location(),
        Some(format!("{}/QuestionnaireResponse/{id}", base()).as_str())
    );
    assert_eq!(created["status"], "completed");
    assert_eq!(created["identifier"]["value"], "gp-4711");
    assert_eq!(
        created["questionnaire"],
        format!("{}/Questionnaire/phq9|{}", base(), phq9.version)
    );
    assert_eq!(
        created["subject"]["reference"],
        format!("Patient/{patient}")
    );
    assert_eq!(created["authored"], "2026-11-17T10:00:00Z");
    assert_eq!(created["item"].as_array().unwrap().len(), 9);
    assert_eq!(created["item"][8]["linkId"], "44260-8");
    assert_eq!(
        created["item"][8]["answer"][0]["valueCoding"]["code"],
        "LA6569-3"
    );

    // Stored once, with a risk flag for item 9 from the same response.
    assert_eq!(
        stored_count(&t, &patient).await,
        (before.0 + 1, before.1 + 1)
    );
    let flags = t.open_alerts(patient.parse().unwrap()).await;
    assert!(
        flags
            .iter()
            .any(|f| f.source_kind == "measure_response" && f.source_id == id),
        "{flags:?}"
    );

    // Read back; the total as an Observation derived from it.
    let read = out.keep(
        "response-read",
        &get(&c, &format!("/fhir/QuestionnaireResponse/{id}"), &cl.reader)
            .await
            .ok(),
    );
    assert_eq!(read, created);
    let obs = out.keep(
        "observation",
        &get(&c, &format!("/fhir/Observation/{id}"), &cl.reader)
            .await
            .ok(),
    );
    let scored = score(&phq9, &answers.map(Some)).unwrap();
    assert_eq!(scored.total, 9.0);
    assert_eq!(obs["status"], "final");
    assert_eq!(obs["code"]["coding"][0]["system"], LOINC);
    assert_eq!(obs["code"]["coding"][0]["code"], "44261-6");
    assert_eq!(obs["valueQuantity"]["value"], 9);
    assert_eq!(
        obs["interpretation"][0]["text"],
        scored.band.clone().unwrap()
    );
    assert_eq!(obs["subject"]["reference"], format!("Patient/{patient}"));
    assert_eq!(obs["effectiveDateTime"], "2026-11-17T10:00:00Z");
    assert_eq!(
        obs["derivedFrom"][0]["reference"],
        format!("QuestionnaireResponse/{id}")
    );
    assert!(obs["note"].to_string().contains("Question 9"), "{obs}");

    // The same identifier again: the same response, nothing new stored.
    t.clock.advance(Duration::from_secs(60));
    let again = post_json(&c, &cl.writer, &sent).await.status(200);
    assert_eq!(
        again.headers.get(header::CONTENT_LOCATION).unwrap(),
        format!("{}/QuestionnaireResponse/{id}", base()).as_str()
    );
    assert_eq!(out.keep("response-duplicate", &again), created);
    // ... and with other answers: refused, nothing stored.
    let changed = response(&phq9, &patient, "gp-4711", &[0; 9]);
    let conflict = out.keep(
        "outcome-conflict",
        &post_json(&c, &cl.writer, &changed).await.status(409),
    );
    assert_eq!(
        expressions(&conflict),
        ["QuestionnaireResponse.identifier.value"]
    );
    assert_eq!(conflict["issue"][0]["code"], "conflict");
    assert_eq!(
        stored_count(&t, &patient).await,
        (before.0 + 1, before.1 + 1)
    );

    // GAD-7: item 2 codes "More than half the days" as LA18938-3; answers may
    // also come as an ordinal value alone, or as an integer; LHC-Forms
    // linkIds ("/69725-0") are understood.
    let gad7 = t.app.measures().instrument("gad7").unwrap().clone();
    let mut g = response(&gad7, &patient, "gp-4712", &[2, 2, 0, 0, 0, 0, 0]);
    assert_eq!(
        g["item"][1]["answer"][0]["valueCoding"]["code"],
        "LA18938-3"
    );
    g["item"][0]["linkId"] = json!("/69725-0");
    g["item"][2]["answer"] = json!([{ "valueCoding": {
        "extension": [{ "url": ORDINAL, "valueDecimal": 3 }] } }]);
    g["item"][3]["answer"] = json!([{ "valueInteger": 1 }]);
    g["questionnaire"] = json!(format!("{}/Questionnaire/gad7", base()));
    let created = out.keep(
        "response-gad7",
        &post_json(&c, &cl.writer, &g).await.status(201),
    );
    let gid = created["id"].as_str().unwrap();
    assert_eq!(
        created["item"][2]["answer"][0]["valueCoding"]["code"],
        "LA6571-9"
    );
    let obs = out.keep(
        "observation-gad7",
        &get(&c, &format!("/fhir/Observation/{gid}"), &cl.reader)
            .await
            .ok(),
    );
    assert_eq!(obs["code"]["coding"][0]["code"], "70274-6");
    assert_eq!(obs["valueQuantity"]["value"], 8);

    // An instrument without LOINC codes, answered in Bothy's own codes.
    let wsas = t.app.measures().instrument("wsas").unwrap().clone();
    let w = response(&wsas, &patient, "gp-4713", &vec![3; wsas.items.len()]);
    let created = out.keep(
        "response-wsas",
        &post_json(&c, &cl.writer, &w).await.status(201),
    );
    let obs = out.keep(
        "observation-wsas",
        &get(
            &c,
            &format!("/fhir/Observation/{}", created["id"].as_str().unwrap()),
            &cl.reader,
        )
        .await
        .ok(),
    );
    assert_eq!(obs["code"]["text"], "WSAS total score");
    assert_eq!(obs["code"]["coding"][0]["system"], MEASURES);
    assert_eq!(obs["code"]["coding"][0]["code"], "wsas-total");
    assert_eq!(obs["valueQuantity"]["value"], 3 * wsas.items.len() as i64);

    // Who may do what.
    out.keep(
        "outcome-forbidden",
        &post_json(&c, &cl.reader, &response(&phq9, &patient, "k-r", &[0; 9]))
            .await
            .status(403),
    );
    let anon = post(
        &c,
        "Bearer bothy_wrong",
        "application/fhir+json",
        sent.to_string(),
    )
    .await
    .status(401);
    assert_eq!(anon.headers.get("www-authenticate").unwrap(), "Bearer");
    out.keep("outcome-unauthenticated", &anon);
    // Without any token: a plain 401 with the Bearer challenge (the APIs never use cookies).
    let no_token = post(&t.client(), "", "application/fhir+json", sent.to_string()).await;
    assert_eq!(no_token.status.as_u16(), 401, "{}", no_token.body);
    assert_eq!(no_token.headers.get("www-authenticate").unwrap(), "Bearer");
    out.keep("outcome-no-token", &no_token);
    get(
        &c,
        &format!("/fhir/QuestionnaireResponse/{id}"),
        &cl.write_only,
    )
    .await
    .status(403);
    out.keep(
        "outcome-not-found",
        &get(
            &c,
            &format!("/fhir/QuestionnaireResponse/{}", PatientId::random()),
            &cl.reader,
        )
        .await
        .status(404),
    );
    get(&c, "/fhir/Observation/not-an-id", &cl.reader)
        .await
        .status(404);
    out.validate();
}

async fn responses_are_searched_by_subject_and_date_and_hidden_from_others(t: TestApp) {
    let out = Emitted::new();
    let cl = clients(&t).await;
    let c = t.client();
    let patient = t.demo.patients[2].id.clone();
    let phq9 = t.app.measures().instrument("phq9").unwrap().clone();
    // Three responses a day apart, from 17 November 2026.
    let mut ids = Vec::new();
    for (day, total) in [3usize, 6, 9].into_iter().enumerate() {
        let mut answers = [0; 9];
        answers[..total / 3].fill(3);
        let r = post_json(
            &c,
            &cl.writer,
            &response(&phq9, &patient, &format!("day-{day}"), &answers),
        )
        .await
        .status(201)
        .json();
        ids.push(r["id"].as_str().unwrap().to_string());
        t.clock.advance(Duration::from_secs(24 * 3600));
    }
    let search = |q: String| {
        let c = c.clone();
        let auth = cl.reader.clone();
        async move { get(&c, &format!("/fhir/QuestionnaireResponse?{q}"), &auth).await }
    };
    let ids_of = |bundle: &Value| -> Vec<String> {
        bundle["entry"]
            .as_array()
            .map(|e| {
                e.iter()
                    .map(|e| e["resource"]["id"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };

    // Newest first, two per page, with a link to the next.
    let page = out.keep(
        "search-page-1",
        &search(format!(
            "subject=Patient/{patient}&authored=ge2026-01-01&authored=lt2027-01-01&_sort=-authored&_count=2"
        ))
        .await
        .ok(),
    );
    assert_eq!(page["type"], "searchset");
    assert_eq!(page["total"], 3);
    assert_eq!(ids_of(&page), [ids[2].clone(), ids[1].clone()]);
    assert_eq!(
        page["entry"][0]["fullUrl"],
        format!("{}/QuestionnaireResponse/{}", base(), ids[2])
    );
    let links = page["link"].as_array().unwrap();
    assert_eq!(links[0]["relation"], "self");
    assert!(links[0]["url"].as_str().unwrap().contains("_count=2"));
    assert_eq!(links[1]["relation"], "next");
    let next = out.keep(
        "search-page-2",
        &get(&c, path_of(links[1]["url"].as_str().unwrap()), &cl.reader)
            .await
            .ok(),
    );
    assert_eq!(ids_of(&next), [ids[0].clone()]);
    assert_eq!(next["link"].as_array().unwrap().len(), 1);

    // Oldest first; by day; `patient` is the same as `subject`.
    let asc = search(format!("patient={patient}&_sort=authored"))
        .await
        .ok()
        .json();
    assert_eq!(ids_of(&asc), ids);
    let day = search(format!("subject=Patient/{patient}&authored=2026-11-18"))
        .await
        .ok()
        .json();
    assert_eq!(ids_of(&day), [ids[1].clone()]);
    let after = search(format!("subject=Patient/{patient}&authored=gt2026-11-17"))
        .await
        .ok()
        .json();
    assert_eq!(after["total"], 2);
    let none = out.keep(
        "search-empty",
        &search(format!("subject=Patient/{patient}&authored=lt2026-11-17"))
            .await
            .ok(),
    );
    assert_eq!(none["total"], 0);
    assert!(none["entry"].is_null());

    // Searches the server does not understand.
    for (label, q, param) in [
        (
            "not-a-patient",
            format!("subject=Group/{patient}&_count=2"),
            "subject",
        ),
        (
            "bad-date",
            format!("subject=Patient/{patient}&authored=ge17/11/2026"),
            "authored",
        ),
        (
            "bad-sort",
            format!("subject=Patient/{patient}&_sort=status"),
            "_sort",
        ),
        (
            "bad-count",
            format!("subject=Patient/{patient}&_count=many"),
            "_count",
        ),
        (
            "unknown-param",
            format!("subject=Patient/{patient}&code=44261-6"),
            "code",
        ),
    ] {
        let r = search(q).await;
        assert_eq!(r.status.as_u16(), 400, "{label}: {}", r.body);
        let outcome = out.keep(&format!("outcome-search-{label}"), &r);
        assert_eq!(expressions(&outcome), [param], "{label}");
    }

    // Another service's client: the patient, the response and its total are
    // not there for it, exactly as for ids that name nothing.
    let hidden = get(
        &c,
        &format!("/fhir/QuestionnaireResponse?subject=Patient/{patient}"),
        &cl.other,
    )
    .await
    .status(404);
    let missing = get(
        &c,
        &format!(
            "/fhir/QuestionnaireResponse?subject=Patient/{}",
            PatientId::random()
        ),
        &cl.other,
    )
    .await
    .status(404);
    assert_eq!(hidden.body, missing.body);
    out.keep("outcome-search-hidden", &hidden);
    for kind in ["QuestionnaireResponse", "Observation"] {
        let hidden = get(&c, &format!("/fhir/{kind}/{}", ids[0]), &cl.other)
            .await
            .status(404);
        let missing = get(
            &c,
            &format!("/fhir/{kind}/{}", PatientId::random()),
            &cl.other,
        )
        .await
        .status(404);
        assert_eq!(hidden.body, missing.body);
        assert!(!hidden.body.contains(&patient));
    }
    out.validate();
}
