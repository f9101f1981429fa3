//! Writing a stored referral back out as a ServiceRequest.

use super::*;

/// A stored referral as a ServiceRequest. Drafts are never shown, but would
/// be `draft`.
pub fn service_request(base: &str, r: &Referral, catalogue: &Catalogue) -> Value {
    let d = &r.details;
    let mut contained = Vec::new();
    let subject = match r.patient_id {
        Some(p) => format!("Patient/{p}"),
        None => {
            contained.push(contained_patient(d));
            "#patient".to_string()
        }
    };
    let status = match r.status {
        Status::Draft => "draft",
        Status::Received | Status::InfoRequested => "active",
        Status::Accepted => "completed",
        Status::Signposted | Status::Declined => "revoked",
    };
    let mut v = json!({
        "resourceType": SR,
        "id": r.id.to_string(),
        "meta": { "lastUpdated": instant(r.updated_at) },
        "status": status,
        "intent": "order",
        "subject": { "reference": subject },
        "authoredOn": instant(r.received_at.unwrap_or(r.created_at)),
    });
    let requester = match written_requester(d) {
        Some(resources) => {
            contained.extend(resources);
            Some(json!({ "reference": "#requester" }))
        }
        // A self-referral: the person asks for themself.
        None if r.source == Source::SelfReferral => Some(json!({ "reference": subject })),
        None => None,
    };
    if let Some(req) = requester {
        v["requester"] = req;
    }
    if !d.problems.is_empty() {
        let system = problem_system(base);
        v["reasonCode"] = d
            .problems
            .iter()
            .map(|p| json!({ "coding": [{ "system": system, "code": p.as_str(), "display": p.label() }] }))
            .collect();
    }
    if let Some(t) = &d.problem_text {
        v["note"] = json!([{ "text": t }]);
    }
    let mut supporting = Vec::new();
    for (id, answers) in &d.screening {
        let Some(inst) = catalogue.get(id) else {
            continue;
        };
        let items = answer_items(inst, answers);
        if items.is_empty() {
            continue;
        }
        let complete = answers.len() == inst.items.len() && answers.iter().all(Option::is_some);
        contained.push(json!({
            "resourceType": "QuestionnaireResponse",
            "id": id,
            "questionnaire": canonical_url(base, inst),
            "status": if complete { "completed" } else { "in-progress" },
            "subject": { "reference": subject },
            "item": items,
        }));
        supporting.push(json!({ "reference": format!("#{id}") }));
    }
    if !supporting.is_empty() {
        v["supportingInfo"] = Value::Array(supporting);
    }
    if !contained.is_empty() {
        v["contained"] = Value::Array(contained);
    }
    v
}

/// The person referred, from the referral's own details.
fn contained_patient(d: &Details) -> Value {
    let mut p = json!({ "resourceType": "Patient", "id": "patient" });
    let mut identifiers = Vec::new();
    if let Some(n) = &d.nhs_number {
        identifiers.push(json!({ "system": NhsNumber::FHIR_SYSTEM, "value": n }));
    }
    if let Some(c) = &d.chi {
        identifiers.push(json!({ "system": CHI_OID, "value": c }));
    }
    if !identifiers.is_empty() {
        p["identifier"] = Value::Array(identifiers);
    }
    if d.given_name.is_some() || d.family_name.is_some() {
        let mut name = json!({ "use": "official" });
        if let Some(f) = &d.family_name {
            name["family"] = json!(f);
        }
        if let Some(g) = &d.given_name {
            name["given"] = json!([g]);
        }
        p["name"] = json!([name]);
    }
    let rank = |c: Channel| {
        if d.preferred_channel == Some(c) { 1 } else { 2 }
    };
    let mut telecom = Vec::new();
    if let Some(e) = &d.email {
        telecom.push(json!({ "system": "email", "value": e, "rank": rank(Channel::Email) }));
    }
    if let Some(n) = &d.phone {
        let mobile = n.starts_with("+447");
        let mut t = json!({ "system": if mobile { "sms" } else { "phone" }, "value": n });
        if mobile {
            t["use"] = json!("mobile");
            t["rank"] = json!(rank(Channel::Sms));
        }
        telecom.push(t);
    }
    if !telecom.is_empty() {
        p["telecom"] = Value::Array(telecom);
    }
    if let Some(dob) = d.date_of_birth {
        p["birthDate"] = json!(dob.to_string());
    }
    if let Some(pc) = &d.postcode {
        p["address"] = json!([{ "postalCode": pc }]);
    }
    if let Some(l) = &d.language {
        p["communication"] = json!([{ "language": { "text": l }, "preferred": true }]);
    }
    if let Some(gp) = &d.gp_practice {
        p["generalPractitioner"] = json!([{ "display": gp }]);
    }
    p
}

/// The referrer as contained resources, the first with id `requester`.
fn written_requester(d: &Details) -> Option<Vec<Value>> {
    let telecom = d
        .referrer_email
        .as_ref()
        .map(|e| json!([{ "system": "email", "value": e }]));
    let with_telecom = |mut v: Value| {
        if let Some(t) = &telecom {
            v["telecom"] = t.clone();
        }
        v
    };
    match (&d.referrer_name, &d.referrer_organisation) {
        (None, None) => None,
        (Some(n), None) => Some(vec![with_telecom(json!({
            "resourceType": "Practitioner",
            "id": "requester",
            "name": [{ "text": n }],
        }))]),
        (None, Some(o)) => Some(vec![with_telecom(json!({
            "resourceType": "Organization",
            "id": "requester",
            "name": o,
        }))]),
        (Some(n), Some(o)) => Some(vec![
            with_telecom(json!({
                "resourceType": "PractitionerRole",
                "id": "requester",
                "practitioner": { "reference": "#practitioner", "display": n },
                "organization": { "display": o },
            })),
            json!({
                "resourceType": "Practitioner",
                "id": "practitioner",
                "name": [{ "text": n }],
            }),
        ]),
    }
}
