//! Writing a stored referral back out as a ServiceRequest.

use super::*;

/// A stored referral as a ServiceRequest, made here (a form or a
/// self-referral). Drafts are never shown, but would be `draft`.
pub fn service_request(base: &str, r: &Referral, catalogue: &Catalogue) -> Value {
    service_request_as_sent(base, r, None, catalogue)
}

/// A stored referral as a ServiceRequest, with what another system sent
/// kept as sent when it came that way.
pub fn service_request_as_sent(
    base: &str,
    r: &Referral,
    sent: Option<&AsSent>,
    catalogue: &Catalogue,
) -> Value {
    let d = &r.details;
    let mut contained = Vec::new();
    let subject = match r.patient_id {
        Some(p) => format!("Patient/{p}"),
        None => {
            let mut p = contained_patient(d);
            if let Some(g) = sent.and_then(|s| s.gender.as_ref()) {
                p["gender"] = json!(g);
            }
            contained.push(p);
            "#patient".to_string()
        }
    };
    // Triage state as FHIR request status: waiting or in triage (more
    // information asked for included) is `active`; accepted into the
    // service is `completed` (this request is fulfilled: the person has an
    // episode of care); signposted elsewhere or declined is `revoked`.
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
    let requester = match written_requester(d, sent) {
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
    if let Some(sent) = sent {
        write_as_sent(&mut v, sent, &subject, &mut contained);
    } else if !d.problems.is_empty() {
        let system = problem_system(base);
        v["reasonCode"] = d
            .problems
            .iter()
            .map(|p| json!({ "coding": [{ "system": system, "code": p.as_str(), "display": p.label() }] }))
            .collect();
    }
    if sent.is_none()
        && let Some(t) = &d.problem_text
    {
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

/// What another system sent, written back as sent.
fn write_as_sent(v: &mut Value, sent: &AsSent, subject: &str, contained: &mut Vec<Value>) {
    let mut id = json!({ "value": sent.identifier.value });
    if let Some(s) = &sent.identifier.system {
        id["system"] = json!(s);
    }
    v["identifier"] = json!([id]);
    if let Some(a) = &sent.authored_on {
        v["authoredOn"] = json!(a);
    }
    if let Some(p) = sent.priority {
        v["priority"] = json!(p.as_str());
    }
    if !sent.reasons.is_empty() {
        v["reasonCode"] = json!(sent.reasons);
    }
    if !sent.conditions.is_empty() {
        let mut refs = Vec::new();
        for (k, code) in sent.conditions.iter().enumerate() {
            let id = format!("condition-{}", k + 1);
            contained.push(json!({
                "resourceType": "Condition",
                "id": id,
                "code": code,
                "subject": { "reference": subject },
            }));
            refs.push(json!({ "reference": format!("#{id}") }));
        }
        v["reasonReference"] = Value::Array(refs);
    }
    if !sent.notes.is_empty() {
        v["note"] = sent.notes.iter().map(|t| json!({ "text": t })).collect();
    }
}

fn identifiers(ids: &[Identifier]) -> Option<Value> {
    (!ids.is_empty()).then(|| json!(ids))
}

/// The referrer as contained resources, the first with id `requester`: an
/// Organization, a Practitioner, or a PractitionerRole naming both, each
/// with the identifiers the sender gave (ODS code, SDS user id, GMC number).
fn written_requester(d: &Details, sent: Option<&AsSent>) -> Option<Vec<Value>> {
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
    let (org_ids, prac_ids) = match sent {
        Some(s) => (identifiers(&s.organisation), identifiers(&s.practitioner)),
        None => (None, None),
    };
    let organisation = |id: &str| {
        let mut o = json!({ "resourceType": "Organization", "id": id });
        if let Some(ids) = &org_ids {
            o["identifier"] = ids.clone();
        }
        if let Some(n) = &d.referrer_organisation {
            o["name"] = json!(n);
        }
        o
    };
    let practitioner = |id: &str| {
        let mut p = json!({ "resourceType": "Practitioner", "id": id });
        if let Some(ids) = &prac_ids {
            p["identifier"] = ids.clone();
        }
        if let Some(n) = &d.referrer_name {
            p["name"] = json!([{ "text": n }]);
        }
        p
    };
    let has_org = d.referrer_organisation.is_some() || org_ids.is_some();
    let has_prac = d.referrer_name.is_some() || prac_ids.is_some();
    match (has_prac, has_org) {
        (false, false) => None,
        (true, false) => Some(vec![with_telecom(practitioner("requester"))]),
        (false, true) => Some(vec![with_telecom(organisation("requester"))]),
        (true, true) => Some(vec![
            with_telecom(json!({
                "resourceType": "PractitionerRole",
                "id": "requester",
                "practitioner": { "reference": "#practitioner" },
                "organization": { "reference": "#organization" },
            })),
            practitioner("practitioner"),
            organisation("organization"),
        ]),
    }
}
