//! FHIR R4 referrals end to end: a ServiceRequest with a contained or
//! referenced Patient becomes a referral in the triage queue with a message
//! queued to the person; a resend is taken once; bad requests are refused
//! with an OperationOutcome naming every problem, and nothing is stored.
//! Every resource the server emits here is checked by
//! `tests/fhir/validate.py` (Python fhir.resources 6.1.0, FHIR 4.0.1), run
//! as `fhir_measures` runs it.

use crate::both_dbs;
use crate::fhir_support::Emitted;
use crate::helpers::{Client, Resp, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, header};
use bothy_app::{Actor, RequestContext};
use bothy_domain::identifiers::{ChiCheckForm, NhsNumber, modulus11_check_digit};
use bothy_domain::ids::ReferralId;
use bothy_domain::person::Email;
use bothy_domain::referral::{Decision, Problem, Referral, Source, Status, Step};
use bothy_domain::role::ApiPermission;
use bothy_domain::{PatientId, ServiceId};
use serde_json::{Value, json};

both_dbs!(
    a_contained_patient_becomes_a_referral_in_triage_and_reads_back,
    an_existing_patient_of_the_service_is_referred_by_reference,
    a_resent_referral_is_taken_once,
    bad_referrals_name_every_problem_and_store_nothing,
    only_clients_holding_referral_create_may_refer,
    clients_of_one_service_neither_read_nor_claim_each_others_referrals,
);

pub(crate) const PUBLIC_URL: &str = "http://127.0.0.1:8080";
pub(crate) const SNOMED: &str = "http://snomed.info/sct";
const CHI_OID: &str = "urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53";

pub(crate) fn base() -> String {
    format!("{PUBLIC_URL}/fhir")
}

pub(crate) fn ctx() -> RequestContext {
    RequestContext::default()
}

/// Bearer tokens for API clients.
pub(crate) struct Clients {
    /// referral.create only.
    pub(crate) referrer: String,
    /// referral.create and patient.read.
    pub(crate) referrer_reader: String,
    /// patient.read only.
    pub(crate) reader: String,
    /// reports.read only.
    pub(crate) reports: String,
    /// referral.read only: every referral of the service.
    pub(crate) all_referrals: String,
    /// Another service's client, holding every permission.
    pub(crate) other: String,
    pub(crate) other_service: ServiceId,
}

pub(crate) async fn clients(t: &TestApp) -> Clients {
    let demo = t.app.admin().service_by_slug("demo").await.unwrap().id;
    let other_service = t
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
        referrer: reg(demo, "GP referrals", &[ApiPermission::ReferralCreate]).await,
        referrer_reader: reg(
            demo,
            "Practice system",
            &[ApiPermission::ReferralCreate, ApiPermission::PatientRead],
        )
        .await,
        reader: reg(demo, "Records feed", &[ApiPermission::PatientRead]).await,
        reports: reg(demo, "Reports feed", &[ApiPermission::ReportsRead]).await,
        all_referrals: reg(demo, "Referrals feed", &[ApiPermission::ReferralRead]).await,
        other: reg(other_service, "Elsewhere feed", &ApiPermission::ALL).await,
        other_service,
    }
}

pub(crate) async fn post(
    c: &Client,
    auth: Option<&str>,
    content_type: &str,
    body: impl Into<Body>,
) -> Resp {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/fhir/ServiceRequest")
        .header(header::CONTENT_TYPE, content_type);
    if let Some(auth) = auth {
        req = req.header(header::AUTHORIZATION, auth);
    }
    c.send(req.body(body.into()).unwrap()).await
}

pub(crate) async fn send(c: &Client, auth: &str, sr: &Value) -> Resp {
    post(c, Some(auth), "application/fhir+json", sr.to_string()).await
}

pub(crate) async fn get(c: &Client, path: &str, auth: &str) -> Resp {
    c.get_with(path, &[("authorization", auth)]).await
}

/// A valid NHS number from the range never issued to anyone (999...).
pub(crate) fn nhs_number(n: u32) -> String {
    (n..)
        .find_map(|n| {
            let digits = format!("999{n:06}");
            let nine: [u8; 9] = digits
                .bytes()
                .map(|b| b - b'0')
                .collect::<Vec<_>>()
                .try_into()
                .unwrap();
            NhsNumber::from_first_nine(nine)
        })
        .unwrap()
        .as_str()
        .to_string()
}

/// A CHI number of the original (modulus 11) form for 3 April 1985.
fn chi_number() -> String {
    (0..100u8)
        .find_map(|n| {
            let nine = [0, 3, 0, 4, 8, 5, n / 10, n % 10, 2];
            let check = modulus11_check_digit(nine)?;
            Some(
                nine.iter()
                    .chain([check].iter())
                    .map(|d| char::from(b'0' + d))
                    .collect(),
            )
        })
        .unwrap()
}

/// A number that looks like a CHI for 3 April 1985 but passes neither check.
fn bad_chi_number() -> String {
    let nine = [0, 3, 0, 4, 8, 5, 1, 2, 2];
    let mut digits: Vec<u8> = nine.to_vec();
    let last = (0..10u8)
        .find(|d| {
            let mut all = [0u8; 10];
            all[..9].copy_from_slice(&nine);
            all[9] = *d;
            !ChiCheckForm::Modulus11.is_satisfied_by(&all)
                && !ChiCheckForm::Luhn.is_satisfied_by(&all)
        })
        .unwrap();
    digits.push(last);
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

/// Every PHQ-9 or GAD-7 item answered with `score`, and the PHQ-9's item 9 with `item9`.
pub(crate) fn answers(t: &TestApp, id: &str, score: i32, item9: i32) -> Vec<Value> {
    t.app
        .measures()
        .instrument(id)
        .unwrap()
        .items
        .iter()
        .map(|i| {
            let s = if i.n == 9 { item9 } else { score };
            json!({ "linkId": i.loinc, "answer": [{ "valueInteger": s }] })
        })
        .collect()
}

/// A complete referral from a GP of someone new, with screening answers
/// (the PHQ-9's last item answered "several days": a risk answer).
pub(crate) fn referral(t: &TestApp, key: &str, email: &str) -> Value {
    json!({
        "resourceType": "ServiceRequest",
        "identifier": [{ "system": "https://leithwalk.example/referrals", "value": key }],
        "status": "active",
        "intent": "order",
        "priority": "routine",
        "subject": { "reference": "#p1" },
        "requester": { "reference": "#role" },
        "authoredOn": "2026-11-16",
        "reasonCode": [
            { "coding": [{ "system": SNOMED, "code": "35489007", "display": "Depressive disorder" }] },
            { "coding": [{ "system": format!("{}/CodeSystem/referral-problem", base()), "code": "sleep" }] },
        ],
        "note": [{ "text": "Low for three months since losing her job; sleeping badly." }],
        "supportingInfo": [{ "reference": "#phq9" }, { "reference": "#gad7" }],
        "contained": [
            {
                "resourceType": "Patient", "id": "p1",
                "identifier": [
                    { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs_number(1) },
                    { "system": CHI_OID, "value": chi_number() },
                ],
                "name": [{ "use": "official", "family": "Referred", "given": ["Rhona"] }],
                "birthDate": "1985-04-03",
                "telecom": [{ "system": "email", "value": email }],
                "address": [{ "postalCode": "EH6 8RG" }],
                "generalPractitioner": [{ "display": "Leith Walk Surgery" }],
            },
            {
                "resourceType": "PractitionerRole", "id": "role",
                "practitioner": { "reference": "#dr" },
                "organization": { "display": "Leith Walk Surgery" },
                "telecom": [{ "system": "email", "value": "dr.ross@leithwalk.example" }],
            },
            { "resourceType": "Practitioner", "id": "dr", "name": [{ "prefix": ["Dr"], "given": ["Ann"], "family": "Ross" }] },
            {
                "resourceType": "QuestionnaireResponse", "id": "phq9", "status": "completed",
                "questionnaire": format!("{}/Questionnaire/phq9", base()),
                "subject": { "reference": "#p1" },
                "item": answers(t, "phq9", 1, 1),
            },
            {
                "resourceType": "QuestionnaireResponse", "id": "gad7", "status": "completed",
                "questionnaire": format!("{}/Questionnaire/gad7", base()),
                "subject": { "reference": "#p1" },
                "item": answers(t, "gad7", 0, 0),
            },
        ],
    })
}

/// A staff member of the demo service, as the app sees them.
pub(crate) async fn staff_actor(t: &TestApp, role: &str) -> Actor {
    let email = Email::parse(&t.staff(role).email).unwrap();
    let mut tx = t.app.store().read().await.unwrap();
    let id = tx.staff_by_email(&email).await.unwrap().unwrap().id;
    tx.rollback().await.unwrap();
    t.app
        .accounts()
        .staff_actor(id, None)
        .await
        .unwrap()
        .unwrap()
}

/// The referrals of the demo service waiting for triage.
pub(crate) async fn queue(t: &TestApp) -> Vec<Referral> {
    let triage = staff_actor(t, "triage_clinician").await;
    t.app
        .triage()
        .queue(&triage, &ctx())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.referral)
        .collect()
}

/// The referral id at the end of a `Location`.
pub(crate) fn id_of(location: &str) -> ReferralId {
    let prefix = format!("{}/ServiceRequest/", base());
    location
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{location}"))
        .parse()
        .unwrap()
}

/// The issues' expressions, in order.
pub(crate) fn expressions(outcome: &Value) -> Vec<String> {
    outcome["issue"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|i| i["expression"][0].as_str().unwrap().to_string())
        .collect()
}

pub(crate) fn message_at<'v>(outcome: &'v Value, expression: &str) -> &'v str {
    outcome["issue"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["expression"][0] == expression)
        .and_then(|i| i["diagnostics"].as_str())
        .unwrap_or_else(|| panic!("no issue at {expression}: {outcome:#}"))
}

async fn a_contained_patient_becomes_a_referral_in_triage_and_reads_back(t: TestApp) {
    let cl = clients(&t).await;
    let c = t.client();
    let seen = Emitted::new();
    let email = "rhona.referred@example.org";

    let r = send(&c, &cl.referrer, &referral(&t, "gp-0001", email))
        .await
        .status(201);
    let created = seen.keep("created", &r);
    let location = r.location().unwrap().to_string();
    let id = id_of(&location);
    assert_eq!(created["id"], id.to_string());
    assert_eq!(created["status"], "active");
    assert_eq!(created["intent"], "order");
    assert_eq!(created["subject"]["reference"], "#patient");
    let contained = created["contained"].as_array().unwrap();
    let patient = contained.iter().find(|c| c["id"] == "patient").unwrap();
    assert_eq!(patient["identifier"][0]["value"], nhs_number(1));
    assert_eq!(patient["identifier"][1]["system"], CHI_OID);
    assert_eq!(patient["name"][0]["family"], "Referred");
    let requester = contained.iter().find(|c| c["id"] == "requester").unwrap();
    assert_eq!(requester["resourceType"], "PractitionerRole");
    // The reasons and notes come back as sent; the codes map to descriptors.
    assert_eq!(
        created["reasonCode"],
        referral(&t, "gp-0001", email)["reasonCode"]
    );
    assert_eq!(
        created["note"][0]["text"],
        "Low for three months since losing her job; sleeping badly."
    );
    assert_eq!(created["supportingInfo"].as_array().unwrap().len(), 2);

    // In the triage queue, first: the PHQ-9's last answer signals risk.
    let q = queue(&t).await;
    let stored = &q[0];
    assert_eq!(stored.id, id);
    assert_eq!(stored.source, Source::Fhir);
    assert_eq!(stored.status, Status::Received);
    assert!(stored.risk, "a risk answer makes the referral urgent");
    // ... and raises an alert on it in the duty queue, by the same rule as every channel.
    let alerts = {
        let mut tx = t.app.store().read().await.unwrap();
        let a = tx.referral_alerts(id).await.unwrap();
        tx.rollback().await.unwrap();
        a
    };
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].cause.key(), "risk_item");
    assert_eq!(alerts[0].source_kind, "referral");
    let d = &stored.details;
    assert_eq!(d.given_name.as_deref(), Some("Rhona"));
    assert_eq!(d.nhs_number, Some(nhs_number(1)));
    assert_eq!(d.chi, Some(chi_number()));
    assert_eq!(d.postcode.as_deref(), Some("EH6 8RG"));
    assert_eq!(d.gp_practice.as_deref(), Some("Leith Walk Surgery"));
    assert_eq!(d.problems, [Problem::LowMood, Problem::Sleep]);
    assert_eq!(d.referrer_name.as_deref(), Some("Dr Ann Ross"));
    assert_eq!(
        d.referrer_organisation.as_deref(),
        Some("Leith Walk Surgery")
    );
    assert_eq!(
        d.referrer_email.as_deref(),
        Some("dr.ross@leithwalk.example")
    );
    assert_eq!(d.screening["phq9"], vec![Some(1); 9]);
    assert_eq!(d.screening["gad7"], vec![Some(0); 7]);

    // A message was queued to the person in the same transaction, and says nothing clinical.
    t.drain_jobs().await;
    let sent: Vec<_> = t
        .outbox
        .sent()
        .into_iter()
        .filter(|m| m.to == email)
        .collect();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert!(!sent[0].body.contains("Depressive") && !sent[0].body.contains("PHQ"));

    // Read back by the client that sent it, and by a referral.read client.
    let path = format!("/fhir/ServiceRequest/{id}");
    let read = seen.keep("read", &get(&c, &path, &cl.referrer).await.ok());
    assert_eq!(read, created);
    let read = seen.keep(
        "read-by-reader",
        &get(&c, &path, &cl.all_referrals).await.ok(),
    );
    assert_eq!(read["id"], id.to_string());
    // Not to another service, nor to a client with neither permission.
    let hidden = get(&c, &path, &cl.other).await.status(404);
    seen.keep("hidden", &hidden);
    let missing = get(
        &c,
        &format!("/fhir/ServiceRequest/{}", ReferralId::random()),
        &cl.other,
    )
    .await
    .status(404);
    assert_eq!(hidden.json()["issue"], missing.json()["issue"]);
    seen.keep("forbidden", &get(&c, &path, &cl.reports).await.status(403));

    // A referral that did not come from another system is read back only
    // with referral.read, not by a client that may only send referrals.
    let triage = staff_actor(&t, "triage_clinician").await;
    let mut details = stored.details.clone();
    details.email = Some("entered.by.staff@example.org".into());
    let (by_staff, _) = t
        .app
        .referrals()
        .submit(&triage, details, Source::Professional, "form-1", &ctx())
        .await
        .unwrap();
    let staff_path = format!("/fhir/ServiceRequest/{}", by_staff.id);
    get(&c, &staff_path, &cl.referrer).await.status(404);
    seen.keep(
        "professional",
        &get(&c, &staff_path, &cl.all_referrals).await.ok(),
    );

    // Accepted by triage: completed, and about the patient record now.
    let Actor::Staff(supporter) = staff_actor(&t, "supporter").await else {
        unreachable!()
    };
    let decision = Decision::Accept {
        step: Step::Programme,
        practitioner: supporter.id,
        programme: None,
    };
    let accepted = t
        .app
        .triage()
        .decide(&triage, id, decision, &ctx())
        .await
        .unwrap();
    let read = seen.keep("accepted", &get(&c, &path, &cl.referrer).await.ok());
    assert_eq!(read["status"], "completed");
    assert_eq!(
        read["subject"]["reference"],
        format!("Patient/{}", accepted.patient_id.unwrap())
    );
    seen.validate();
}

async fn an_existing_patient_of_the_service_is_referred_by_reference(t: TestApp) {
    let cl = clients(&t).await;
    let c = t.client();
    let seen = Emitted::new();
    let demo_patient = t.demo.patients[0].clone();
    let by_reference = |key: &str, id: &str| {
        let mut sr = referral(&t, key, "unused@example.org");
        sr["subject"] = json!({ "reference": format!("Patient/{id}") });
        let contained = sr["contained"].as_array_mut().unwrap();
        contained.retain(|c| c["resourceType"] != "Patient");
        for c in contained.iter_mut() {
            if c["resourceType"] == "QuestionnaireResponse" {
                c["subject"] = json!({ "reference": format!("Patient/{id}") });
            }
        }
        sr
    };

    let r = send(
        &c,
        &cl.referrer_reader,
        &by_reference("gp-ref-1", &demo_patient.id),
    )
    .await
    .status(201);
    let created = seen.keep("by-reference", &r);
    let id = id_of(r.location().unwrap());
    // The person's details come from their record; triage is offered the
    // record as a match, for a clinician to confirm. Nothing is merged.
    let patient = &created["contained"][0];
    assert_eq!(patient["resourceType"], "Patient");
    assert_eq!(patient["telecom"][0]["value"], demo_patient.email);
    let triage = staff_actor(&t, "triage_clinician").await;
    let view = t.app.triage().view(&triage, id, &ctx()).await.unwrap();
    assert_eq!(
        view.entry.referral.details.full_name(),
        demo_patient.name,
        "{:?}",
        view.entry.referral.details
    );
    assert!(
        view.candidates
            .iter()
            .any(|c| c.patient.id.to_string() == demo_patient.id),
        "{:?}",
        view.candidates
    );
    assert_eq!(view.entry.referral.patient_id, None);

    // Without patient.read, a client may not refer by reference: it would read the record.
    let r = send(
        &c,
        &cl.referrer,
        &by_reference("gp-ref-2", &demo_patient.id),
    )
    .await
    .status(422);
    let outcome = seen.keep("no-patient-read", &r);
    assert_eq!(expressions(&outcome), ["ServiceRequest.subject.reference"]);
    assert!(message_at(&outcome, "ServiceRequest.subject.reference").contains("patient.read"));

    // Another service's patient answers exactly like a patient that does not exist.
    let other = send(&c, &cl.other, &by_reference("x-1", &demo_patient.id))
        .await
        .status(422);
    let missing = send(
        &c,
        &cl.other,
        &by_reference("x-1", &PatientId::random().to_string()),
    )
    .await
    .status(422);
    assert_eq!(other.json()["issue"], missing.json()["issue"]);
    seen.keep("other-service", &other);
    let mut tx = t.app.store().read().await.unwrap();
    let elsewhere = tx.triage_queue(cl.other_service, 10).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(elsewhere.is_empty());
    seen.validate();
}

async fn a_resent_referral_is_taken_once(t: TestApp) {
    let cl = clients(&t).await;
    let c = t.client();
    let seen = Emitted::new();
    let sr = referral(&t, "gp-0002", "twice@example.org");
    let first = send(&c, &cl.referrer, &sr).await.status(201);
    let id = id_of(first.location().unwrap());
    let again = send(&c, &cl.referrer, &sr).await.ok();
    assert_eq!(
        again
            .headers
            .get(header::CONTENT_LOCATION)
            .and_then(|v| v.to_str().ok()),
        first.location()
    );
    assert_eq!(seen.keep("again", &again), seen.keep("first", &first));

    // The same identifier for someone else is refused, not silently merged.
    let mut other = referral(&t, "gp-0002", "someone.else@example.org");
    other["contained"][0]["name"][0]["given"] = json!(["Isla"]);
    let r = send(&c, &cl.referrer, &other).await.status(409);
    let outcome = seen.keep("conflict", &r);
    assert_eq!(
        expressions(&outcome),
        ["ServiceRequest.identifier[0].value"]
    );

    let q = queue(&t).await;
    assert_eq!(q.iter().filter(|r| r.source == Source::Fhir).count(), 1);
    assert_eq!(q[0].id, id);
    t.drain_jobs().await;
    assert_eq!(
        t.outbox
            .sent()
            .iter()
            .filter(|m| m.to == "twice@example.org")
            .count(),
        1
    );
    assert!(
        t.outbox
            .sent()
            .iter()
            .all(|m| m.to != "someone.else@example.org")
    );
    seen.validate();
}

async fn bad_referrals_name_every_problem_and_store_nothing(t: TestApp) {
    let cl = clients(&t).await;
    let c = t.client();
    let seen = Emitted::new();
    let before = queue(&t).await.len();

    // Many problems in one request: each named where it is.
    let mut sr = referral(&t, "unused", "bad@example.org");
    sr.as_object_mut().unwrap().remove("identifier");
    sr.as_object_mut().unwrap().remove("note");
    sr["reasonCode"] = json!([{ "coding": [
        { "system": SNOMED, "code": "1234567" },
        { "system": "http://example.org/our-codes", "code": "sad" },
    ] }]);
    let mut nhs: Vec<char> = nhs_number(1).chars().collect();
    nhs[9] = if nhs[9] == '0' { '1' } else { '0' };
    sr["contained"][0]["identifier"][0]["value"] = json!(nhs.into_iter().collect::<String>());
    sr["contained"][0]["identifier"][1]["value"] = json!(bad_chi_number());
    let r = send(&c, &cl.referrer, &sr).await.status(422);
    let outcome = seen.keep("many-problems", &r);
    assert_eq!(
        expressions(&outcome),
        [
            "ServiceRequest.identifier",
            "ServiceRequest.contained[0].identifier[0].value",
            "ServiceRequest.contained[0].identifier[1].value",
            "ServiceRequest.reasonCode[0].coding[0].code",
            "ServiceRequest.reasonCode[0].coding[1].system",
        ],
        "{outcome:#}"
    );
    assert!(
        outcome["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("5 problems")
    );
    // Explained, not just "invalid".
    let nhs_message = message_at(&outcome, "ServiceRequest.contained[0].identifier[0].value");
    assert!(
        nhs_message.contains("last number does not match"),
        "{nhs_message}"
    );
    assert!(
        message_at(&outcome, "ServiceRequest.contained[0].identifier[1].value").contains("CHI")
    );
    assert!(
        message_at(&outcome, "ServiceRequest.reasonCode[0].coding[0].code").contains("1234567")
    );
    assert!(
        message_at(&outcome, "ServiceRequest.reasonCode[0].coding[1].system")
            .contains("http://example.org/our-codes")
    );

    // No patient, no reason, no requester.
    let r = send(
        &c,
        &cl.referrer,
        &json!({
            "resourceType": "ServiceRequest",
            "identifier": [{ "value": "gp-0003" }],
            "status": "active",
            "intent": "order",
        }),
    )
    .await
    .status(422);
    let outcome = seen.keep("no-patient", &r);
    assert_eq!(
        expressions(&outcome),
        [
            "ServiceRequest.subject",
            "ServiceRequest.requester",
            "ServiceRequest.reasonCode",
        ]
    );

    // A referral written in the future is refused: a clock or a date gone wrong.
    let mut future = referral(&t, "gp-0004", "urgent@example.org");
    future["authoredOn"] = json!("2099-01-01T09:00:00Z");
    let outcome = seen.keep("future", &send(&c, &cl.referrer, &future).await.status(422));
    assert_eq!(expressions(&outcome), ["ServiceRequest.authoredOn"]);
    assert!(message_at(&outcome, "ServiceRequest.authoredOn").contains("future"));

    // Not JSON, not a ServiceRequest, not sent as JSON.
    let r = post(
        &c,
        Some(&cl.referrer),
        "application/fhir+json",
        "{ not json",
    )
    .await;
    seen.keep("not-json", &r.status(400));
    let r = send(&c, &cl.referrer, &json!({ "resourceType": "Patient" })).await;
    let outcome = seen.keep("not-a-service-request", &r.status(422));
    assert_eq!(expressions(&outcome), ["ServiceRequest"]);
    let r = post(
        &c,
        Some(&cl.referrer),
        "application/x-www-form-urlencoded",
        "a=b",
    )
    .await;
    seen.keep("form", &r.status(415));

    assert_eq!(queue(&t).await.len(), before, "nothing was stored");
    t.drain_jobs().await;
    let ours = ["bad@example.org", "urgent@example.org"];
    assert!(
        t.outbox
            .sent()
            .iter()
            .all(|m| !ours.contains(&m.to.as_str()))
    );
    seen.validate();
}

async fn only_clients_holding_referral_create_may_refer(t: TestApp) {
    let cl = clients(&t).await;
    let c = t.client();
    let seen = Emitted::new();
    let before = queue(&t).await.len();
    let sr = referral(&t, "gp-0005", "refused@example.org");
    seen.keep("reader", &send(&c, &cl.reader, &sr).await.status(403));
    seen.keep("reports", &send(&c, &cl.reports, &sr).await.status(403));
    let r = post(&c, None, "application/fhir+json", sr.to_string())
        .await
        .status(401);
    seen.keep("anonymous", &r);
    assert_eq!(queue(&t).await.len(), before);
    // The same request from a client that may refer is taken.
    send(&c, &cl.referrer, &sr).await.status(201);
    assert_eq!(queue(&t).await.len(), before + 1);
    seen.validate();
}

/// Two systems referring to one service: each reads back only what it sent,
/// and an identifier one of them used is still free for the other. Only a
/// client holding referral.read reads every referral of the service.
async fn clients_of_one_service_neither_read_nor_claim_each_others_referrals(t: TestApp) {
    let cl = clients(&t).await;
    let c = t.client();
    let seen = Emitted::new();
    let a = &cl.referrer;
    let b = &cl.referrer_reader;
    let first = send(
        &c,
        a,
        &referral(&t, "gp-0100", "first.practice@example.org"),
    )
    .await
    .status(201);
    let id_a = id_of(first.location().unwrap());
    // The same identifier from another system is another referral.
    let mut theirs = referral(&t, "gp-0100", "second.practice@example.org");
    theirs["contained"][0]["name"][0]["given"] = json!(["Isla"]);
    let second = send(&c, b, &theirs).await.status(201);
    seen.keep("same-identifier-other-client", &second);
    let id_b = id_of(second.location().unwrap());
    assert_ne!(id_a, id_b);
    // Each resend is still answered with the sender's own referral.
    let again = send(&c, b, &theirs).await.ok();
    assert_eq!(
        again
            .headers
            .get(header::CONTENT_LOCATION)
            .and_then(|v| v.to_str().ok()),
        second.location()
    );
    let again = send(
        &c,
        a,
        &referral(&t, "gp-0100", "first.practice@example.org"),
    )
    .await
    .ok();
    assert_eq!(again.json()["id"], id_a.to_string());
    let q = queue(&t).await;
    assert_eq!(q.iter().filter(|r| r.id == id_a || r.id == id_b).count(), 2);

    // Each reads back its own, and the other's answers like a missing one.
    let path = |id: ReferralId| format!("/fhir/ServiceRequest/{id}");
    get(&c, &path(id_a), a).await.ok();
    get(&c, &path(id_b), b).await.ok();
    let hidden = get(&c, &path(id_b), a).await.status(404);
    let missing = get(&c, &path(ReferralId::random()), a).await.status(404);
    assert_eq!(hidden.json()["issue"], missing.json()["issue"]);
    seen.keep("other-clients", &hidden);
    // Holding patient.read too does not open other systems' referrals.
    get(&c, &path(id_a), b).await.status(404);
    // Nor does patient.read alone.
    get(&c, &path(id_a), &cl.reader).await.status(403);
    // referral.read does, for this service only.
    let all = &cl.all_referrals;
    seen.keep("referral-read", &get(&c, &path(id_a), all).await.ok());
    get(&c, &path(id_b), all).await.ok();
    get(&c, &path(id_a), &cl.other).await.status(404);
    seen.validate();
}
