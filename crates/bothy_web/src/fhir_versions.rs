//! Versions over FHIR's HTTP interface, and Bothy's code systems.
//!
//! - Every resource served carries `meta.versionId` and `meta.lastUpdated`
//!   (numbered as `bothy_fhir::versions` says); reads and creates answer
//!   with `ETag: W/"{versionId}"` and `Last-Modified` from them, added in one
//!   place ([`validators`], called by `fhir::fhir` and `fhir::created`).
//! - `GET /fhir/{type}/{id}/_history/{vid}` (vread) answers the read when
//!   `vid` is the current version: only the current version is kept, so any
//!   other, older or never issued, is a 404.
//! - `If-Match` guards updates, and the FHIR API has none: no resource is
//!   changed through it (a referral changes by triage decisions inside
//!   Bothy), so PUT and PATCH answer 405 `not-supported` and `If-Match` has
//!   nothing to guard.
//! - `GET /fhir/CodeSystem/{id}` and `GET /fhir/CodeSystem?url=`: the code
//!   systems of `bothy_fhir::codes`, public like the Questionnaires.

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::fhir::{self, error, fhir, field, not_found};
use crate::openapi::QuestionnaireResponse;
use crate::openapi::{Bundle, CodeSystem, Observation, OperationOutcome, Questionnaire};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use bothy_fhir::codes::{code_system_by_id, code_systems};
use bothy_fhir::versions::{
    content_version, etag, last_updated_of, set_meta, version_from_etag, version_of,
};
use serde_json::Value;
use std::borrow::Cow;

/// Resources that are answers about a request rather than records: never
/// versioned.
const UNVERSIONED: [&str; 2] = ["Bundle", "OperationOutcome"];

/// `v` with a `meta.versionId`: a resource that has none is versioned by
/// its content (a referral as it reads now, a patient).
pub(crate) fn versioned(v: &Value) -> Cow<'_, Value> {
    let kind = v.get("resourceType").and_then(Value::as_str);
    if kind.is_none_or(|k| UNVERSIONED.contains(&k)) || version_of(v).is_some() {
        return Cow::Borrowed(v);
    }
    let mut v = v.clone();
    let version = content_version(&v);
    if !v.get("meta").is_some_and(Value::is_object) {
        v["meta"] = serde_json::json!({});
    }
    v["meta"]["versionId"] = Value::String(version);
    Cow::Owned(v)
}

/// Content served from files (Questionnaires, CodeSystems, the
/// CapabilityStatement), versioned by what it says and last updated when
/// this server loaded it.
pub(crate) fn content(state: &AppState, mut v: Value) -> Value {
    let version = content_version(&v);
    set_meta(&mut v, &version, state.content_loaded_at);
    v
}

/// `ETag` and `Last-Modified` from a resource's `meta`.
pub(crate) fn validators(res: &mut Response, resource: &Value) {
    if let Some(v) = version_of(resource).and_then(|v| HeaderValue::from_str(&etag(v)).ok()) {
        res.headers_mut().insert(header::ETAG, v);
    }
    if let Some(t) = last_updated_of(resource) {
        // An HTTP-date (RFC 9110): seconds, always GMT.
        let date = t.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
        if let Ok(v) = HeaderValue::from_str(&date) {
            res.headers_mut().insert(header::LAST_MODIFIED, v);
        }
    }
}

/// The read's answer if it is of version `vid`; a 404 otherwise. A read
/// that failed (404 for a resource the client may not see) passes through.
fn current_only(res: Response, resource: &str, vid: &str) -> Result<Response, WebError> {
    if res.status() != StatusCode::OK {
        return Ok(res);
    }
    let current = res
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(version_from_etag);
    if current == Some(version_from_etag(vid)) {
        Ok(res)
    } else {
        Err(error(
            StatusCode::NOT_FOUND,
            format!(
                "{resource} version {vid:?} is not available: only the current version is kept, \
                 and the ETag of a read names it"
            ),
            Vec::new(),
        ))
    }
}

/// `If-None-Exist`'s search, as name-value pairs; `None` without the header.
pub(crate) fn if_none_exist(
    headers: &HeaderMap,
) -> Result<Option<Vec<(String, String)>>, WebError> {
    let Some(v) = headers.get("if-none-exist") else {
        return Ok(None);
    };
    let raw = v.to_str().unwrap_or_default();
    // Either the query alone (as the spec shows) or with a leading `?` or
    // the type's URL before it.
    let query = raw.rsplit_once('?').map_or(raw, |(_, q)| q);
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()
        .filter(|pairs| !pairs.is_empty())
        .map(Some)
        .ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "If-None-Exist must be a search, such as identifier=abc&subject=Patient/{id}",
                vec![field(
                    "If-None-Exist",
                    "Could not be read as search parameters",
                )],
            )
        })
}

/// `GET /fhir/Questionnaire/{instrument}/_history/{version}`.
#[utoipa::path(
    get,
    path = "/fhir/Questionnaire/{instrument}/_history/{version}",
    tag = "fhir",
    params(
        ("instrument" = String, Path, description = "The instrument's id, such as `phq9`"),
        ("version" = String, Path, description = "The current `meta.versionId` (the read's ETag)"),
    ),
    responses(
        (status = 200, description = "The Questionnaire, this being its current version", body = Questionnaire, content_type = "application/fhir+json"),
        (status = 404, description = "No instrument with this id, or not this version", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn questionnaire_vread(
    state: State<AppState>,
    Path((id, vid)): Path<(String, String)>,
) -> Result<Response, WebError> {
    current_only(
        fhir::questionnaire_read(state, Path(id)).await?,
        "Questionnaire",
        &vid,
    )
}

/// `GET /fhir/QuestionnaireResponse/{response}/_history/{version}`.
#[utoipa::path(
    get,
    path = "/fhir/QuestionnaireResponse/{response}/_history/{version}",
    tag = "fhir",
    params(
        ("response" = String, Path, description = "The response's id"),
        ("version" = String, Path, description = "The current `meta.versionId`: a stored response is never changed, so always 1"),
    ),
    responses(
        (status = 200, description = "The QuestionnaireResponse, this being its current version", body = QuestionnaireResponse, content_type = "application/fhir+json"),
        (status = 404, description = "No response with this id that this client may see, or not this version", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn response_vread(
    state: State<AppState>,
    ctx: Ctx,
    Path((id, vid)): Path<(String, String)>,
) -> Result<Response, WebError> {
    current_only(
        fhir::response_read(state, ctx, Path(id)).await?,
        "QuestionnaireResponse",
        &vid,
    )
}

/// `GET /fhir/Observation/{observation}/_history/{version}`.
#[utoipa::path(
    get,
    path = "/fhir/Observation/{observation}/_history/{version}",
    tag = "fhir",
    params(
        ("observation" = String, Path, description = "The response's id"),
        ("version" = String, Path, description = "The current `meta.versionId`: always 1"),
    ),
    responses(
        (status = 200, description = "The Observation, this being its current version", body = Observation, content_type = "application/fhir+json"),
        (status = 404, description = "No response with this id that this client may see, or not this version", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn observation_vread(
    state: State<AppState>,
    ctx: Ctx,
    Path((id, vid)): Path<(String, String)>,
) -> Result<Response, WebError> {
    current_only(
        fhir::observation_read(state, ctx, Path(id)).await?,
        "Observation",
        &vid,
    )
}

/// One of Bothy's code systems.
#[utoipa::path(
    get,
    path = "/fhir/CodeSystem/{codesystem}",
    tag = "fhir",
    params(("codesystem" = String, Path, description = "`measures`, or an instrument's answers such as `wsas-answers`")),
    responses(
        (status = 200, description = "The CodeSystem", body = CodeSystem, content_type = "application/fhir+json"),
        (status = 404, description = "No code system with this id", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn code_system_read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let cs =
        code_system_by_id(state.app.catalogue(), &id).ok_or_else(|| not_found("CodeSystem"))?;
    Ok(fhir(StatusCode::OK, &content(&state, cs)))
}

/// `GET /fhir/CodeSystem/{codesystem}/_history/{version}`.
#[utoipa::path(
    get,
    path = "/fhir/CodeSystem/{codesystem}/_history/{version}",
    tag = "fhir",
    params(
        ("codesystem" = String, Path, description = "The code system's id"),
        ("version" = String, Path, description = "The current `meta.versionId` (the read's ETag)"),
    ),
    responses(
        (status = 200, description = "The CodeSystem, this being its current version", body = CodeSystem, content_type = "application/fhir+json"),
        (status = 404, description = "No code system with this id, or not this version", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn code_system_vread(
    state: State<AppState>,
    Path((id, vid)): Path<(String, String)>,
) -> Result<Response, WebError> {
    current_only(code_system_read(state, Path(id)).await?, "CodeSystem", &vid)
}

/// `GET /fhir/CodeSystem[?url=]`: Bothy's code systems, or the one whose
/// canonical URL is `url`.
#[utoipa::path(
    get,
    path = "/fhir/CodeSystem",
    tag = "fhir",
    summary = "Bothy's code systems",
    params(
        ("url" = Option<String>, Query, description = "Canonical URL, such as `https://bothy.health/fhir/CodeSystem/measures`"),
        ("_format" = Option<String>, Query, description = "JSON only (`json`, `application/fhir+json`); any other format is refused with 406"),
    ),
    responses(
        (status = 200, description = "A searchset Bundle of CodeSystems", body = Bundle, content_type = "application/fhir+json"),
        (status = 400, description = "The search parameters could not be read or are not supported", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn code_system_search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pairs = fhir::query_pairs(raw.as_deref())?;
    fhir::only_known(&pairs, &["url", "_format"])?;
    let base = fhir::base(&state);
    let entries: Vec<(String, Value)> = code_systems(state.app.catalogue())
        .into_iter()
        .filter(|cs| {
            pairs
                .iter()
                .filter(|(k, _)| k == "url")
                .all(|(_, u)| cs["url"] == u.as_str())
        })
        .map(|cs| {
            let id = cs["id"].as_str().unwrap_or_default().to_string();
            (format!("{base}/CodeSystem/{id}"), content(&state, cs))
        })
        .collect();
    let understood: Vec<(&str, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "_format")
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let self_url = fhir::with_query(&format!("{base}/CodeSystem"), &understood);
    Ok(fhir(
        StatusCode::OK,
        &bothy_fhir::bundle::searchset(&self_url, entries.len(), entries, None),
    ))
}
