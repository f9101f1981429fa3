//! FHIR referrals as GP systems send them (issue 16, item 1): any SNOMED CT
//! or ICD-10 reason, a contained Condition, urgent priority, a landline-only
//! patient, an ODS organisation and a GMC practitioner, all kept as sent and
//! read back unchanged; a referral written in the future refused; the
//! sender following its referral's status by search while triage decides,
//! seeing only what it may. Every resource emitted is validated.

use crate::both_dbs;
use crate::fhir_referrals::{
    Clients, PUBLIC_URL, SNOMED, clients, ctx, expressions, get, id_of, message_at, nhs_number,
    queue, send, staff_actor,
};
use crate::fhir_support::Emitted;
use crate::helpers::{Client, Resp, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, header};
use bothy_app::Actor;
use bothy_domain::ids::ReferralId;
use bothy_domain::referral::{Decision, Problem, Source, Status, Step};
use serde_json::{Value, json};

both_dbs!(
    a_coded_referral_round_trips_byte_for_byte,
    a_referral_written_in_the_future_is_refused,
    a_sender_follows_its_referral_by_search_while_triage_decides,
    search_shows_each_client_only_the_referrals_it_may_read,
);

const ICD10: &str = "http://hl7.org/fhir/sid/icd-10";
const ICD10_UK: &str = "http://hl7.org/fhir/sid/icd-10-uk";
pub(crate) const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const GMC: &str = "https://fhir.hl7.org.uk/Id/gmc-number";
pub(crate) const SENDER: &str = "https://fhir.leithwalk.example/Id/referral";

/// A referral as a GP system sends it: coded reasons of both systems (one
/// no descriptor maps), a contained Condition, urgent, a landline only,
/// requested by a practitioner (GMC number) of an organisation (ODS code).
pub(crate) fn gp_referral(key: &str, priority: &str) -> Value {
    json!({
        "resourceType": "ServiceRequest",
        "identifier": [{ "system": SENDER, "value": key }],
        "status": "active",
        "intent": "order",
        "priority": priority,
        "subject": { "reference": "#pat" },
        "requester": { "reference": "#role" },
        "authoredOn": "2026-11-16T16:45:12+00:00",
        "reasonCode": [
            {
                "coding": [{ "system": SNOMED, "code": "231504006", "display": "Mixed anxiety and depressive disorder" }],
                "text": "Anxious and low since the spring",
            },
            { "coding": [{ "system": ICD10_UK, "code": "F41.2", "display": "Mixed anxiety and depressive disorder" }] },
            { "coding": [{ "system": SNOMED, "code": "73211009", "display": "Diabetes mellitus" }] },
        ],
        "reasonReference": [{ "reference": "#cond" }],
        "note": [{ "text": "Prefers a phone call in the afternoon." }],
        "contained": [
            {
                "resourceType": "Patient", "id": "pat",
                "identifier": [{ "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs_number(7) }],
                "name": [{ "use": "official", "family": "Landline", "given": ["Morag"] }],
                "gender": "female",
                "birthDate": "1961-02-14",
                "telecom": [{ "system": "phone", "value": "0131 496 0000", "use": "home" }],
            },
            {
                "resourceType": "Condition", "id": "cond",
                "code": { "coding": [{ "system": ICD10, "code": "F32.1", "display": "Moderate depressive episode" }] },
                "subject": { "reference": "#pat" },
            },
            {
                "resourceType": "PractitionerRole", "id": "role",
                "practitioner": { "reference": "#dr" },
                "organization": { "reference": "#org" },
            },
            {
                "resourceType": "Practitioner", "id": "dr",
                "identifier": [{ "system": GMC, "value": "7123456" }],
                "name": [{ "family": "Ross", "given": ["Ann"], "prefix": ["Dr"] }],
            },
            {
                "resourceType": "Organization", "id": "org",
                "identifier": [{ "system": ODS, "value": "A81001" }],
                "name": "Leith Walk Surgery",
                "telecom": [{ "system": "email", "value": "referrals@leithwalk.example" }],
            },
        ],
    })
}

async fn send_with(c: &Client, auth: &str, sr: &Value, prefer: &str) -> Resp {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/fhir/ServiceRequest")
        .header(header::CONTENT_TYPE, "application/fhir+json")
        .header(header::AUTHORIZATION, auth)
        .header("prefer", prefer)
        .body(Body::from(sr.to_string()))
        .unwrap();
    c.send(req).await
}

fn contained<'v>(sr: &'v Value, reference: &str) -> &'v Value {
    let id = reference.trim_start_matches('#');
    sr["contained"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no contained {id}: {sr:#}"))
}

/// What the sender sent comes back the same, string for string.
#[track_caller]
fn assert_as_sent(back: &Value, sent: &Value) {
    for key in ["identifier", "authoredOn", "priority", "reasonCode", "note"] {
        assert_eq!(back[key], sent[key], "{key}: {back:#}");
    }
    let condition = contained(
        back,
        back["reasonReference"][0]["reference"].as_str().unwrap(),
    );
    assert_eq!(condition["resourceType"], "Condition");
    assert_eq!(condition["code"], contained(sent, "#cond")["code"]);
    let patient = contained(back, back["subject"]["reference"].as_str().unwrap());
    assert_eq!(patient["gender"], "female");
    let role = contained(back, back["requester"]["reference"].as_str().unwrap());
    assert_eq!(role["resourceType"], "PractitionerRole");
    let org = contained(back, role["organization"]["reference"].as_str().unwrap());
    assert_eq!(org["resourceType"], "Organization");
    assert_eq!(org["identifier"], contained(sent, "#org")["identifier"]);
    assert_eq!(org["name"], "Leith Walk Surgery");
    let dr = contained(back, role["practitioner"]["reference"].as_str().unwrap());
    assert_eq!(dr["resourceType"], "Practitioner");
    assert_eq!(dr["identifier"], contained(sent, "#dr")["identifier"]);
}

async fn a_coded_referral_round_trips_byte_for_byte(t: TestApp) {
    let cl = clients(&t).await;
    let c = t.client();
    let seen = Emitted::new();
    // A routine referral waiting already: the urgent one goes before it.
    let routine = gp_referral("lw-0001", "routine");
    send(&c, &cl.referrer, &routine).await.status(201);

    let sr = gp_referral("lw-0002", "urgent");
    let r = send_with(&c, &cl.referrer, &sr, "return=OperationOutcome")
        .await
        .status(201);
    let outcome = seen.keep("urgent-outcome", &r);
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    let advice = &outcome["issue"][1];
    assert_eq!(advice["severity"], "information");
    let words = advice["diagnostics"].as_str().unwrap();
    assert!(words.contains("out of hours"), "{words}");
    let first_contact = &t.app.crisis().contacts[0];
    assert!(words.contains(&first_contact.how), "{words}");
    let id = id_of(r.location().unwrap());

    // Read back: what was sent, plus Bothy's status.
    let path = format!("/fhir/ServiceRequest/{id}");
    let read = seen.keep("read", &get(&c, &path, &cl.referrer).await.ok());
    assert_as_sent(&read, &sr);
    assert_eq!(read["status"], "active");
    // Sent again unchanged: the same resource, 200; changed: 409.
    let again = send(&c, &cl.referrer, &sr).await.ok();
    assert_eq!(seen.keep("again", &again), read);
    let mut changed = sr.clone();
    changed["authoredOn"] = json!("2026-11-16");
    let conflict = send(&c, &cl.referrer, &changed).await.status(409);
    seen.keep("conflict", &conflict);

    // Stored: urgent, first in the queue (no risk answers here), with the
    // descriptors the codes map to and the words triage reads.
    let q = queue(&t).await;
    let stored = q.iter().find(|r| r.id == id).unwrap();
    assert!(stored.urgent && !stored.risk);
    assert_eq!(q[0].id, id, "urgent before routine");
    assert_eq!(stored.source, Source::Fhir);
    let d = &stored.details;
    assert_eq!(d.problems, [Problem::LowMood, Problem::Worry]);
    let words = d.problem_text.as_deref().unwrap();
    for w in [
        "Anxious and low",
        "Diabetes mellitus",
        "Moderate depressive episode",
    ] {
        assert!(words.contains(w), "{words}");
    }
    // Reachable by phone only: kept, and no message channel is agreed.
    assert_eq!(d.phone.as_deref(), Some("+441314960000"));
    assert_eq!(d.email, None);
    assert_eq!(d.preferred_channel, None);
    t.drain_jobs().await;
    assert!(
        t.outbox.sent().iter().all(|m| !m.to.contains("1314960000")),
        "nothing is texted to a landline"
    );
    assert_eq!(d.referrer_name.as_deref(), Some("Dr Ann Ross"));
    assert_eq!(
        d.referrer_email.as_deref(),
        Some("referrals@leithwalk.example")
    );

    // The triage page says the referrer marked it urgent.
    let staff = t.staff_client("triage_clinician").await;
    let page = staff.get("/staff/triage").await.ok();
    assert!(page.body.contains("Urgent (referrer)"), "{}", page.body);

    // A referral.read client reads the same.
    let all = seen.keep("read-all", &get(&c, &path, &cl.all_referrals).await.ok());
    assert_eq!(all, read);
    seen.validate();
}

async fn a_referral_written_in_the_future_is_refused(t: TestApp) {
    let cl = clients(&t).await;
    let c = t.client();
    let seen = Emitted::new();
    let before = queue(&t).await.len();
    // The test clock stands at 2026-11-17T10:00:00Z.
    for (key, future) in [
        ("f-1", "2026-11-18"),
        ("f-2", "2026-11-17T10:10:00Z"),
        ("f-3", "2026-11-17T11:06:00+01:00"),
    ] {
        let mut sr = gp_referral(key, "routine");
        sr["authoredOn"] = json!(future);
        let outcome = seen.keep(key, &send(&c, &cl.referrer, &sr).await.status(422));
        assert_eq!(expressions(&outcome), ["ServiceRequest.authoredOn"]);
        assert!(message_at(&outcome, "ServiceRequest.authoredOn").contains(future));
    }
    // A few minutes' skew between clocks is allowed, and kept as written.
    let mut sr = gp_referral("f-4", "routine");
    sr["authoredOn"] = json!("2026-11-17T10:03:00Z");
    let created = seen.keep("skew", &send(&c, &cl.referrer, &sr).await.status(201));
    assert_eq!(created["authoredOn"], "2026-11-17T10:03:00Z");
    // A time without its zone is not a FHIR dateTime.
    sr["authoredOn"] = json!("2026-11-17T09:00:00");
    sr["identifier"][0]["value"] = json!("f-5");
    seen.keep("no-zone", &send(&c, &cl.referrer, &sr).await.status(422));
    assert_eq!(queue(&t).await.len(), before + 1);
    seen.validate();
}

async fn search(c: &Client, auth: &str, query: &str) -> Resp {
    get(c, &format!("/fhir/ServiceRequest?{query}"), auth).await
}

/// The ids of a searchset's matches, in order.
fn found(bundle: &Value) -> Vec<String> {
    assert_eq!(bundle["type"], "searchset", "{bundle:#}");
    bundle["entry"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|e| e["search"]["mode"] == "match")
                .map(|e| e["resource"]["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn enc(s: &str) -> String {
    s.replace(':', "%3A")
        .replace('/', "%2F")
        .replace('|', "%7C")
}

async fn decide(t: &TestApp, id: ReferralId, decision: Decision) {
    let triage = staff_actor(t, "triage_clinician").await;
    t.app
        .triage()
        .decide(&triage, id, decision, &ctx())
        .await
        .unwrap();
}

async fn a_sender_follows_its_referral_by_search_while_triage_decides(t: TestApp) {
    let cl = clients(&t).await;
    let c = t.client();
    let seen = Emitted::new();
    let auth = &cl.referrer;
    let a = id_of(
        send(&c, auth, &gp_referral("s-1", "routine"))
            .await
            .status(201)
            .location()
            .unwrap(),
    );
    t.clock.advance(std::time::Duration::from_secs(60));
    let mut second = gp_referral("s-2", "routine");
    second["contained"][0]["name"][0]["given"] = json!(["Ewan"]);
    second["contained"][0]["identifier"][0]["value"] = json!(nhs_number(9));
    let b = id_of(
        send(&c, auth, &second)
            .await
            .status(201)
            .location()
            .unwrap(),
    );

    let by_key = format!("identifier={}", enc(&format!("{SENDER}|s-1")));
    let r = seen.keep("waiting", &search(&c, auth, &by_key).await.ok());
    assert_eq!(found(&r), [a.to_string()]);
    assert_eq!(r["total"], 1);
    assert_eq!(r["entry"][0]["resource"]["status"], "active");
    assert_eq!(
        r["entry"][0]["fullUrl"],
        format!("{PUBLIC_URL}/fhir/ServiceRequest/{a}")
    );
    assert_as_sent(&r["entry"][0]["resource"], &gp_referral("s-1", "routine"));
    // By value alone, by the requester's ODS code and GMC number, by the person's NHS number.
    let r = search(&c, auth, "identifier=s-2").await.ok().json();
    assert_eq!(found(&r), [b.to_string()]);
    let ods = format!("requester:identifier={}", enc(&format!("{ODS}|A81001")));
    let r = seen.keep("by-ods", &search(&c, auth, &ods).await.ok());
    assert_eq!(found(&r), [b.to_string(), a.to_string()], "newest first");
    let gmc = format!("requester={}", enc(&format!("{GMC}|7123456")));
    assert_eq!(found(&search(&c, auth, &gmc).await.ok().json()).len(), 2);
    let nhs = format!(
        "subject:identifier={}",
        enc(&format!(
            "https://fhir.nhs.uk/Id/nhs-number|{}",
            nhs_number(9)
        ))
    );
    assert_eq!(
        found(&search(&c, auth, &nhs).await.ok().json()),
        [b.to_string()]
    );
    let other_ods = format!("requester:identifier={}", enc(&format!("{ODS}|B99999")));
    let r = seen.keep("none", &search(&c, auth, &other_ods).await.ok());
    assert!(found(&r).is_empty());

    // Triage accepts one and declines the other; the sender sees each move.
    let Actor::Staff(supporter) = staff_actor(&t, "supporter").await else {
        unreachable!()
    };
    let accept = Decision::Accept {
        step: Step::Programme,
        practitioner: supporter.id,
        programme: None,
    };
    decide(&t, a, accept).await;
    let r = seen.keep("accepted", &search(&c, auth, &by_key).await.ok());
    let resource = &r["entry"][0]["resource"];
    assert_eq!(resource["status"], "completed");
    assert!(
        resource["subject"]["reference"]
            .as_str()
            .unwrap()
            .starts_with("Patient/")
    );
    let patient = resource["subject"]["reference"].as_str().unwrap();
    let r = search(&c, auth, &format!("subject={}", enc(patient)))
        .await
        .ok()
        .json();
    assert_eq!(found(&r), [a.to_string()]);
    let reason = "Needs a specialist eating disorders service".to_string();
    decide(&t, b, Decision::Decline { reason }).await;
    let status = |s: &str| format!("{ods}&status={s}");
    let r = seen.keep("revoked", &search(&c, auth, &status("revoked")).await.ok());
    assert_eq!(found(&r), [b.to_string()]);
    assert_eq!(
        found(&search(&c, auth, &status("active")).await.ok().json()).len(),
        0
    );
    let both = status("completed,revoked");
    assert_eq!(found(&search(&c, auth, &both).await.ok().json()).len(), 2);
    assert_eq!(
        found(&search(&c, auth, &status("on-hold")).await.ok().json()).len(),
        0
    );

    // Paging: one at a time, with a next link.
    let r = seen.keep(
        "page",
        &search(&c, auth, &format!("{ods}&_count=1")).await.ok(),
    );
    assert_eq!(r["total"], 2);
    assert_eq!(found(&r).len(), 1);
    assert_eq!(r["link"][1]["relation"], "next");

    // A parameter not supported is refused, unless the client asks for leniency.
    let bad = search(&c, auth, "identifier=s-1&_has:Foo=1")
        .await
        .status(400);
    let outcome = seen.keep("unknown", &bad);
    assert_eq!(expressions(&outcome), ["_has:Foo"]);
    seen.keep(
        "bad-status",
        &search(&c, auth, "status=waiting").await.status(400),
    );
    let lenient = c
        .get_with(
            "/fhir/ServiceRequest?identifier=s-1&_has:Foo=1",
            &[
                ("authorization", auth.as_str()),
                ("prefer", "handling=lenient"),
            ],
        )
        .await
        .ok();
    let r = seen.keep("lenient", &lenient);
    assert_eq!(found(&r), [a.to_string()]);
    let entries = r["entry"].as_array().unwrap();
    let note = entries
        .iter()
        .find(|e| e["search"]["mode"] == "outcome")
        .unwrap();
    assert!(
        note["resource"]["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("_has:Foo")
    );
    seen.validate();
}

async fn search_shows_each_client_only_the_referrals_it_may_read(t: TestApp) {
    let cl: Clients = clients(&t).await;
    let c = t.client();
    let seen = Emitted::new();
    let mine = id_of(
        send(&c, &cl.referrer, &gp_referral("x-1", "routine"))
            .await
            .status(201)
            .location()
            .unwrap(),
    );
    // Another system of the same service uses the same identifier.
    let mut theirs = gp_referral("x-1", "routine");
    theirs["contained"][0]["name"][0]["given"] = json!(["Isla"]);
    let other = id_of(
        send(&c, &cl.referrer_reader, &theirs)
            .await
            .status(201)
            .location()
            .unwrap(),
    );
    let q = format!("identifier={}", enc(&format!("{SENDER}|x-1")));
    let r = seen.keep("mine", &search(&c, &cl.referrer, &q).await.ok());
    assert_eq!(found(&r), [mine.to_string()]);
    let r = search(&c, &cl.referrer_reader, &q).await.ok().json();
    assert_eq!(found(&r), [other.to_string()]);
    // referral.read sees the service's, another service nothing.
    let r = seen.keep("all", &search(&c, &cl.all_referrals, &q).await.ok());
    assert_eq!(found(&r).len(), 2);
    let r = seen.keep("elsewhere", &search(&c, &cl.other, &q).await.ok());
    assert!(found(&r).is_empty());
    // A referral made by staff is found only by referral.read.
    let triage = staff_actor(&t, "triage_clinician").await;
    let stored = queue(&t).await.into_iter().find(|r| r.id == mine).unwrap();
    let mut details = stored.details.clone();
    details.phone = Some("+447700900555".into());
    t.app
        .referrals()
        .submit(&triage, details, Source::Professional, "form-9", &ctx())
        .await
        .unwrap();
    let nhs = format!(
        "patient:identifier={}",
        enc(&format!(
            "https://fhir.nhs.uk/Id/nhs-number|{}",
            nhs_number(7)
        ))
    );
    assert_eq!(
        found(&search(&c, &cl.referrer, &nhs).await.ok().json()).len(),
        1
    );
    let r = seen.keep(
        "staff-made",
        &search(&c, &cl.all_referrals, &nhs).await.ok(),
    );
    assert_eq!(found(&r).len(), 3);
    // Neither patient.read alone, reports.read, nor nobody may search.
    seen.keep("reader", &search(&c, &cl.reader, &q).await.status(403));
    search(&c, &cl.reports, &q).await.status(403);
    let anonymous = c.get(&format!("/fhir/ServiceRequest?{q}")).await;
    seen.keep("anonymous", &anonymous.status(401));
    assert!(queue(&t).await.iter().all(|r| r.status == Status::Received));
    seen.validate();
}
