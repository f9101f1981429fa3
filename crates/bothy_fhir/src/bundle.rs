//! Search results as a FHIR R4 `searchset` Bundle.

use serde_json::{Value, json};

/// A searchset Bundle: `total` matches in all, `entries` (fullUrl, resource)
/// on this page, a `self` link and a `next` link when more pages follow.
pub fn searchset(
    self_url: &str,
    total: usize,
    entries: Vec<(String, Value)>,
    next: Option<&str>,
) -> Value {
    let mut links = vec![json!({ "relation": "self", "url": self_url })];
    if let Some(next) = next {
        links.push(json!({ "relation": "next", "url": next }));
    }
    let entries: Vec<Value> = entries
        .into_iter()
        .map(|(full_url, resource)| json!({ "fullUrl": full_url, "resource": resource, "search": { "mode": "match" } }))
        .collect();
    let mut v = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
    });
    if !entries.is_empty() {
        v["entry"] = Value::Array(entries);
    }
    v
}
