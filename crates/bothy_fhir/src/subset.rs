//! `_summary=true` and `_elements`: a resource cut down to some of its
//! elements, marked `SUBSETTED` in `meta.tag` as FHIR asks (R4
//! search.html#summary, #elements), so nobody takes it for the whole.
//!
//! The elements a resource cannot be without (`status`, and an
//! Observation's `code`) are always kept, as the specification advises:
//! a subset stays a valid resource.

use serde_json::{Value, json};

/// How much of each resource a search returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Subset {
    #[default]
    Full,
    /// The elements FHIR marks as summary elements.
    Summary,
    /// These elements (top-level names, as `_elements` gives them).
    Elements(Vec<String>),
}

/// R4's summary elements of the resources Bothy searches (choice
/// elements by their stem, `value` for `valueQuantity`).
fn summary_elements(kind: &str) -> &'static [&'static str] {
    match kind {
        "Patient" => &[
            "identifier",
            "active",
            "name",
            "telecom",
            "gender",
            "birthDate",
            "deceased",
            "address",
            "managingOrganization",
            "link",
        ],
        "QuestionnaireResponse" => &[
            "identifier",
            "basedOn",
            "partOf",
            "questionnaire",
            "status",
            "subject",
            "encounter",
            "authored",
            "author",
            "source",
        ],
        "Observation" => &[
            "identifier",
            "basedOn",
            "partOf",
            "status",
            "category",
            "code",
            "subject",
            "focus",
            "encounter",
            "effective",
            "issued",
            "performer",
            "value",
            "hasMember",
            "derivedFrom",
        ],
        _ => &[],
    }
}

/// Elements a resource of `kind` must have (cardinality 1..).
fn mandatory(kind: &str) -> &'static [&'static str] {
    match kind {
        "QuestionnaireResponse" => &["status"],
        "Observation" => &["status", "code"],
        _ => &[],
    }
}

/// Whether the JSON key `key` is the element `name` (or, for a choice
/// element such as `value[x]`, one of its types: `valueQuantity`).
fn is_element(key: &str, name: &str) -> bool {
    let name = name.trim_end_matches("[x]");
    key == name
        || key
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// The element names `_elements` gave that a resource of `kind` may have:
/// `name` or `Kind.name`.
fn wanted<'a>(kind: &str, names: &'a [String]) -> Vec<&'a str> {
    names
        .iter()
        .filter_map(|n| match n.split_once('.') {
            Some((k, rest)) if k == kind => Some(rest),
            Some(_) => None,
            None => Some(n.as_str()),
        })
        .collect()
}

/// `resource` as `how` asks. Taken by value: the whole resource (the
/// usual case) is returned as it is, and a subset moves what it keeps.
pub fn subset(resource: Value, how: &Subset) -> Value {
    let Value::Object(obj) = resource else {
        return resource;
    };
    let kind = obj
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let kind = kind.as_str();
    let keep: Vec<&str> = match how {
        Subset::Full => return Value::Object(obj),
        Subset::Summary => summary_elements(kind).to_vec(),
        Subset::Elements(names) => wanted(kind, names),
    };
    let mut out = serde_json::Map::new();
    for (k, v) in obj {
        let always = matches!(k.as_str(), "resourceType" | "id" | "meta");
        let kept = always
            || mandatory(kind).contains(&k.as_str())
            || keep.iter().any(|name| is_element(&k, name));
        if kept {
            out.insert(k, v);
        }
    }
    let mut v = Value::Object(out);
    if !v.get("meta").is_some_and(Value::is_object) {
        v["meta"] = json!({});
    }
    let tag = json!({
        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
        "code": "SUBSETTED",
        "display": "subsetted"
    });
    match v["meta"]["tag"].as_array_mut() {
        Some(tags) => tags.push(tag),
        None => v["meta"]["tag"] = json!([tag]),
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets_keep_what_was_asked_and_what_is_mandatory() {
        let obs = json!({
            "resourceType": "Observation", "id": "1", "meta": { "versionId": "1" },
            "status": "final", "code": { "text": "x" }, "valueQuantity": { "value": 3 },
            "note": [{ "text": "n" }], "interpretation": [{ "text": "mild" }],
            "effectiveDateTime": "2026-01-01"
        });
        let s = subset(obs.clone(), &Subset::Summary);
        assert!(s["note"].is_null() && s["interpretation"].is_null());
        assert_eq!(s["valueQuantity"]["value"], 3);
        assert_eq!(s["effectiveDateTime"], "2026-01-01");
        assert_eq!(s["meta"]["tag"][0]["code"], "SUBSETTED");
        assert_eq!(s["meta"]["versionId"], "1");
        let e = subset(
            obs.clone(),
            &Subset::Elements(vec!["Observation.note".into(), "Patient.name".into()]),
        );
        let mut keys: Vec<&String> = e.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["code", "id", "meta", "note", "resourceType", "status"]
        );
        assert_eq!(subset(obs.clone(), &Subset::Full), obs);
        assert!(!is_element("valueless", "value"));
    }
}
