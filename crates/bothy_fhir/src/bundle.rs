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
        .map(|(full_url, resource)| entry(Some(full_url), resource, "match"))
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

/// One page of a search: its matches, what `_include` and `_revinclude`
/// added, and what was ignored, as FHIR's search modes say (`match`,
/// `include`, `outcome`).
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub self_url: String,
    pub next: Option<String>,
    /// Matches on every page together, when the client asked.
    pub total: Option<usize>,
    /// (fullUrl, resource).
    pub matches: Vec<(String, Value)>,
    pub included: Vec<(String, Value)>,
    /// Warnings about the search itself (an OperationOutcome's issues).
    pub warnings: Vec<Value>,
}

/// The searchset Bundle of `page`. A resource included twice, or both
/// matched and included, appears once.
pub fn page(page: Page) -> Value {
    let mut links = vec![json!({ "relation": "self", "url": page.self_url })];
    if let Some(next) = &page.next {
        links.push(json!({ "relation": "next", "url": next }));
    }
    let mut seen = std::collections::HashSet::new();
    let mut entries = Vec::new();
    for (mode, list) in [("match", page.matches), ("include", page.included)] {
        for (full_url, resource) in list {
            if seen.insert(full_url.clone()) {
                entries.push(entry(Some(full_url), resource, mode));
            }
        }
    }
    if !page.warnings.is_empty() {
        let mut outcome = json!({ "resourceType": "OperationOutcome" });
        outcome["issue"] = Value::Array(page.warnings);
        entries.push(entry(None, outcome, "outcome"));
    }
    let mut v = json!({ "resourceType": "Bundle", "type": "searchset", "link": links });
    if let Some(total) = page.total {
        v["total"] = json!(total);
    }
    if !entries.is_empty() {
        v["entry"] = Value::Array(entries);
    }
    v
}

/// One entry of a Bundle. The resource is moved in: `json!` would copy it
/// through its serializer, and a page's resources are most of its work.
fn entry(full_url: Option<String>, resource: Value, mode: &str) -> Value {
    let mut e = serde_json::Map::new();
    if let Some(url) = full_url {
        e.insert("fullUrl".into(), Value::String(url));
    }
    e.insert("resource".into(), resource);
    e.insert("search".into(), json!({ "mode": mode }));
    Value::Object(e)
}

/// A warning issue: `what` was not done, and why.
pub fn warning(code: &str, diagnostics: impl Into<String>) -> Value {
    json!({ "severity": "warning", "code": code, "diagnostics": diagnostics.into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_lists_each_resource_once_with_its_mode() {
        let p = json!({ "resourceType": "Patient", "id": "p" });
        let v = page(Page {
            self_url: "s".into(),
            next: Some("n".into()),
            total: None,
            matches: vec![("u/p".into(), p.clone())],
            included: vec![("u/p".into(), p.clone()), ("u/q".into(), p)],
            warnings: vec![warning("not-supported", "x was ignored")],
        });
        let modes: Vec<&str> = v["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["search"]["mode"].as_str().unwrap())
            .collect();
        assert_eq!(modes, ["match", "include", "outcome"]);
        assert!(v["total"].is_null());
        assert_eq!(v["link"][1]["url"], "n");
    }
}
