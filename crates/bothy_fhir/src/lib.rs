//! Pure mapping between Bothy's domain and FHIR R4 (4.0.1) JSON. No I/O.

use bothy_domain::model::Patient;
use serde_json::{Value, json};

/// The FHIR version every resource here conforms to.
pub const FHIR_VERSION: &str = "4.0.1";

/// An OperationOutcome for a failed request: one issue for the failure, and
/// one per invalid field (with the field in `expression`).
pub fn operation_outcome(status: u16, message: &str, fields: &[(&str, &str)]) -> Value {
    // Issue codes from http://hl7.org/fhir/R4/valueset-issue-type.html
    let code = match status {
        400 | 415 | 422 => "invalid",
        401 => "login",
        403 => "forbidden",
        404 | 410 => "not-found",
        409 => "conflict",
        413 => "too-costly",
        429 => "throttled",
        _ => "exception",
    };
    let mut issues = vec![json!({ "severity": "error", "code": code, "diagnostics": message })];
    issues.extend(fields.iter().map(|(field, msg)| {
        json!({ "severity": "error", "code": "invalid", "diagnostics": msg, "expression": [field] })
    }));
    json!({ "resourceType": "OperationOutcome", "issue": issues })
}

/// A Patient resource. Only what the record holds; nothing is invented.
pub fn patient(p: &Patient) -> Value {
    let mut telecom = Vec::new();
    if let Some(phone) = &p.phone {
        telecom.push(json!({ "system": "phone", "value": phone.as_str(), "use": "mobile" }));
    }
    if let Some(email) = &p.email {
        telecom.push(json!({ "system": "email", "value": email.as_str() }));
    }
    let mut v = json!({
        "resourceType": "Patient",
        "id": p.id.to_string(),
        "meta": { "profile": ["http://hl7.org/fhir/StructureDefinition/Patient"] },
        "active": true,
        "name": [{ "use": "official", "family": p.family_name.as_str(), "given": [p.given_name.as_str()] }],
        "birthDate": p.date_of_birth.to_string(),
    });
    if !telecom.is_empty() {
        v["telecom"] = Value::Array(telecom);
    }
    v
}

/// The server's CapabilityStatement (`GET /fhir/metadata`).
pub fn capability_statement(base_url: &str, date: &str) -> Value {
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
        "software": { "name": "Bothy", "version": env!("CARGO_PKG_VERSION") },
        "implementation": { "description": "Bothy FHIR API", "url": format!("{}/fhir", base_url.trim_end_matches('/')) },
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json"],
        "rest": [{
            "mode": "server",
            "security": { "description": "Bearer token issued per client by a service administrator" },
            "resource": [{ "type": "Patient", "interaction": [{ "code": "read" }] }]
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_lists_every_field() {
        let o = operation_outcome(422, "check", &[("a", "x"), ("b", "y")]);
        assert_eq!(o["issue"].as_array().unwrap().len(), 3);
        assert_eq!(o["issue"][2]["expression"][0], "b");
        assert_eq!(
            operation_outcome(404, "m", &[])["issue"][0]["code"],
            "not-found"
        );
    }
}
