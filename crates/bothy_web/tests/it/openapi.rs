//! The served OpenAPI document describes every `/api` and `/fhir` route of
//! the route table, with its method, parameters and who may call it, and
//! nothing that is not a route: a new route cannot go undocumented.

use crate::both_dbs;
use crate::helpers::TestApp;
use axum::http::header;
use bothy_app::policy::Access;
use serde_json::Value;
use std::collections::BTreeSet;

both_dbs!(the_served_document_describes_every_api_and_fhir_route);

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

async fn the_served_document_describes_every_api_and_fhir_route(t: TestApp) {
    let r = t.client().get("/api/openapi.json").await.ok();
    assert_eq!(
        r.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    let paths = doc["paths"].as_object().expect("paths");
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (&scheme["type"], &scheme["scheme"]),
        (&"http".into(), &"bearer".into())
    );

    let routes: Vec<_> = bothy_web::route_specs()
        .into_iter()
        .filter(|s| s.path.starts_with("/api/") || s.path.starts_with("/fhir/"))
        .collect();
    assert!(routes.len() >= 13, "{} API routes", routes.len());
    let mut problems = Vec::new();
    for spec in &routes {
        let method = spec.method.as_str().to_ascii_lowercase();
        let at = format!("{} {}", spec.method, spec.path);
        let Some(op) = paths.get(spec.path).and_then(|p| p.get(&method)) else {
            problems.push(format!("{at} is not in the document: add #[utoipa::path] to its handler and list it in openapi.rs"));
            continue;
        };
        // Every path parameter of the template is declared, and no other.
        let in_template: BTreeSet<&str> = spec
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let declared: BTreeSet<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str())
            .collect();
        if in_template != declared {
            problems.push(format!(
                "{at}: path parameters {declared:?}, expected {in_template:?}"
            ));
        }
        // Who may call it is the table's: a bearer token exactly where an
        // API permission is needed, and the refusals that come with it.
        let secured = matches!(spec.access, Access::Api(_) | Access::ApiAny(_));
        let bearer = op["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
        if secured != bearer {
            problems.push(format!(
                "{at}: access {:?}, but bearer security {bearer}",
                spec.access
            ));
        }
        let statuses: BTreeSet<&str> = op["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.as_str())
            .collect();
        if !statuses.iter().any(|s| s.starts_with('2')) {
            problems.push(format!("{at}: no success response"));
        }
        if secured && !(statuses.contains("401") && statuses.contains("403")) {
            problems.push(format!(
                "{at}: needs a token, but 401 or 403 is not documented"
            ));
        }
        // The SMART token endpoint answers as OAuth does (RFC 6749 5.2), in
        // plain JSON, not with an OperationOutcome.
        let error_type = if spec.path.starts_with("/fhir") && spec.path != "/fhir/token" {
            "application/fhir+json"
        } else {
            "application/json"
        };
        for (status, response) in op["responses"].as_object().into_iter().flatten() {
            if status.starts_with('4') && response["content"].get(error_type).is_none() {
                problems.push(format!("{at}: {status} is not described as {error_type}"));
            }
        }
    }
    // Nothing is described that is not a route.
    for (path, item) in paths {
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            if !routes
                .iter()
                .any(|s| s.path == path && s.method.as_str().eq_ignore_ascii_case(method))
            {
                problems.push(format!("{method} {path} is described but is not a route"));
            }
        }
    }
    // Every reference names a schema the document has.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for r in refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or(&r);
        if doc["components"]["schemas"].get(name).is_none() {
            problems.push(format!("{r} names no schema"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
