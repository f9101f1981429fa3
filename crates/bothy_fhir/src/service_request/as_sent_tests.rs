//! What a sender sent is read into `AsSent` and written back unchanged.

use super::*;
use crate::tests::catalogue;
use bothy_domain::ids::ReferralId;

const BASE: &str = "https://bothy.example/fhir";

fn now() -> Timestamp {
    "2026-11-17T10:00:00Z".parse().unwrap()
}

fn request() -> Value {
    json!({
        "resourceType": "ServiceRequest",
        "identifier": [{ "system": "https://gp.example/referrals", "value": " ref-1" }],
        "status": "active",
        "intent": "order",
        "priority": "asap",
        "authoredOn": "2026-11-17",
        "subject": { "reference": "#p" },
        "requester": { "identifier": { "system": ODS, "value": "A81001" }, "display": "Leith Walk Surgery" },
        "reasonCode": [
            { "coding": [{ "system": SNOMED, "code": "231504006" }], "text": "Low and anxious" },
            { "coding": [
                { "system": "http://read.example/codes", "code": "Eu41z" },
                { "system": ICD10, "code": "F41.2", "display": "Mixed anxiety and depressive disorder" },
            ] },
        ],
        "reasonReference": [{ "reference": "#c" }],
        "contained": [
            {
                "resourceType": "Patient", "id": "p", "gender": "other",
                "name": [{ "family": "Sent", "given": ["Alex"] }],
                "birthDate": "1990-01-01",
                "telecom": [{ "system": "phone", "value": "01314960000" }],
            },
            { "resourceType": "Condition", "id": "c", "code": { "text": "Poor sleep" }, "subject": { "reference": "#p" } },
        ],
    })
}

#[test]
fn what_was_sent_is_written_back_unchanged() {
    let cat = catalogue();
    let req = request();
    let r = read_service_request_at(&req, BASE, &cat, &[], now());
    assert!(r.issues.is_empty(), "{:#?}", r.issues);
    assert!(r.as_sent.is_urgent());
    // The key is trimmed; the identifier kept as sent.
    assert_eq!(r.identifier.as_deref(), Some("ref-1"));
    assert_eq!(r.as_sent.identifier.value, " ref-1");
    assert_eq!(r.details.problems, [Problem::LowMood, Problem::Worry]);
    assert_eq!(r.details.preferred_channel, None);
    assert_eq!(r.details.phone.as_deref(), Some("+441314960000"));
    let referral = Referral {
        id: ReferralId::random(),
        service_id: bothy_domain::ServiceId::random(),
        status: Status::InfoRequested,
        source: Source::Fhir,
        details: r.details.clone(),
        received_at: Some(now()),
        created_at: now(),
        updated_at: now(),
        risk: false,
        urgent: true,
        decision_note: None,
        decided_by: None,
        decided_at: None,
        patient_id: None,
    };
    let w = service_request_as_sent(BASE, &referral, Some(&r.as_sent), &cat);
    for key in ["identifier", "priority", "authoredOn", "reasonCode"] {
        assert_eq!(w[key], req[key], "{key}");
    }
    assert_eq!(w["status"], "active");
    let contained = w["contained"].as_array().unwrap();
    let org = contained.iter().find(|c| c["id"] == "requester").unwrap();
    assert_eq!(org["resourceType"], "Organization");
    assert_eq!(org["identifier"][0], req["requester"]["identifier"]);
    assert_eq!(org["name"], "Leith Walk Surgery");
    let cond = contained
        .iter()
        .find(|c| c["resourceType"] == "Condition")
        .unwrap();
    assert_eq!(cond["code"], json!({ "text": "Poor sleep" }));
    let patient = contained.iter().find(|c| c["id"] == "patient").unwrap();
    assert_eq!(patient["gender"], "other");
    // What is written reads back as the same.
    let again = read_service_request_at(&w, BASE, &cat, &[], now());
    assert!(again.issues.is_empty(), "{:#?}", again.issues);
    assert_eq!(again.as_sent, r.as_sent);
}

#[test]
fn a_code_of_another_system_alone_is_refused_and_bad_codes_are_named() {
    let cat = catalogue();
    let mut req = request();
    req["reasonCode"] = json!([
        { "coding": [{ "system": "http://read.example/codes", "code": "Eu41z" }] },
        { "coding": [{ "system": ICD10_UK, "code": "41.2" }] },
        { "coding": [{ "system": SNOMED, "code": "231504007" }] },
    ]);
    req["priority"] = json!("soon");
    req["authoredOn"] = json!("2026-11-18");
    let r = read_service_request_at(&req, BASE, &cat, &[], now());
    let at: Vec<&str> = r.issues.iter().map(|i| i.expression.as_str()).collect();
    assert_eq!(
        at,
        [
            "ServiceRequest.priority",
            "ServiceRequest.authoredOn",
            "ServiceRequest.reasonCode[0].coding[0].system",
            "ServiceRequest.reasonCode[1].coding[0].code",
            "ServiceRequest.reasonCode[2].coding[0].code",
        ]
    );
}
