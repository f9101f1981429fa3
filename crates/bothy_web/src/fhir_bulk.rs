//! FHIR Bulk Data export (Bulk Data Access IG 2.0, `$export`): the
//! kick-off at the system, Group and Patient levels, the status URL the
//! client polls (and DELETEs to cancel), and the NDJSON files. All need a
//! client holding `patient.read` (its bearer token, or a SMART Backend
//! Services access token, `smart.rs`), and a client sees only its own
//! exports; another's, like one that never existed, is a 404.
//!
//! The service's patients form one Group, whose id is the service's short
//! name (`GET /fhir/Group/{slug}`): every level exports the same records,
//! those of the client's service (`bothy_app::bulk_export`).

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::fhir::{error, fhir, field, not_found, or_not_found, query_pairs};
use crate::openapi::{BulkManifest, Group, OperationOutcome};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bothy_app::bulk_export::{ExportRequest, ExportType};
use serde_json::{Value, json};

/// Where a client polls an export.
pub const STATUS_PATH: &str = "/fhir/$export-status";
/// Where an export's files are downloaded: exempt from the FHIR JSON-only
/// format check (`fhir::formats`), since they are NDJSON.
pub const FILES_PATH: &str = "/fhir/$export-file";

/// The output formats accepted: NDJSON, by any of its names.
const OUTPUT_FORMATS: [&str; 3] = ["application/fhir+ndjson", "application/ndjson", "ndjson"];

/// How long a client should wait between polls, in seconds.
const RETRY_AFTER: &str = "2";

const PARAMS: [&str; 3] = ["_type", "_since", "_outputFormat"];

fn bad(name: &str, message: impl Into<String>) -> WebError {
    error(
        StatusCode::BAD_REQUEST,
        "The export request could not be accepted",
        vec![field(name, message)],
    )
}

/// Checks the kick-off's headers and parameters, and reads what to export.
fn read_request(
    state: &AppState,
    headers: &HeaderMap,
    raw: Option<&str>,
    path: &str,
) -> Result<ExportRequest, WebError> {
    let values = |name: header::HeaderName| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_ascii_lowercase())
            .collect::<Vec<_>>()
    };
    if !values(header::ACCEPT)
        .iter()
        .any(|a| a.split(';').next().map(str::trim) == Some("application/fhir+json"))
    {
        return Err(bad(
            "Accept",
            "An export request must send Accept: application/fhir+json",
        ));
    }
    if !values(header::HeaderName::from_static("prefer"))
        .iter()
        .any(|p| p == "respond-async")
    {
        return Err(bad(
            "Prefer",
            "An export runs asynchronously: send Prefer: respond-async",
        ));
    }
    let pairs = query_pairs(raw)?;
    crate::fhir::only_known(&pairs, &PARAMS)?;
    let mut types = Vec::new();
    let mut since = None;
    for (k, v) in &pairs {
        match k.as_str() {
            "_type" => {
                for t in v.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                    types.push(ExportType::parse(t).ok_or_else(|| {
                        bad(
                            "_type",
                            format!(
                                "{t} cannot be exported; these can: {}",
                                ExportType::ALL.map(ExportType::as_str).join(", ")
                            ),
                        )
                    })?);
                }
            }
            "_since" => {
                if since.is_some() {
                    return Err(bad("_since", "Give _since once"));
                }
                // A FHIR instant: a time with seconds and a zone.
                let at: jiff::Timestamp = v.trim().parse().map_err(|_| {
                    bad(
                        "_since",
                        "_since must be an instant, such as 2025-01-31T09:00:00Z",
                    )
                })?;
                since = Some(at);
            }
            "_outputFormat" if !OUTPUT_FORMATS.contains(&v.trim()) => {
                return Err(bad(
                    "_outputFormat",
                    format!(
                        "Exports are written as NDJSON: {}",
                        OUTPUT_FORMATS.join(", ")
                    ),
                ));
            }
            _ => {}
        }
    }
    if types.is_empty() {
        types = ExportType::ALL.to_vec();
    }
    let request_url = match raw.filter(|r| !r.is_empty()) {
        Some(q) => format!(
            "{}{path}?{q}",
            state.app.settings().public_url.trim_end_matches('/')
        ),
        None => format!(
            "{}{path}",
            state.app.settings().public_url.trim_end_matches('/')
        ),
    };
    Ok(ExportRequest {
        request_url,
        types,
        since,
    })
}

async fn kick_off(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    raw: Option<&str>,
    path: &str,
) -> Result<Response, WebError> {
    let request = read_request(state, headers, raw, path)?;
    let id = state
        .app
        .bulk_exports()
        .kick_off(&ctx.actor, request, &ctx.request)
        .await?;
    let location = format!(
        "{}{STATUS_PATH}/{id}",
        state.app.settings().public_url.trim_end_matches('/')
    );
    let mut res = StatusCode::ACCEPTED.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::CONTENT_LOCATION, v);
    }
    Ok(res)
}

/// Starts an export of everything the client's service holds.
#[utoipa::path(
    get,
    path = "/fhir/$export",
    tag = "fhir",
    params(
        ("_type" = Option<String>, Query, description = "Resource types to export, comma separated: Patient, QuestionnaireResponse, Observation (default all)"),
        ("_since" = Option<String>, Query, description = "Only resources last updated at or after this instant"),
        ("_outputFormat" = Option<String>, Query, description = "application/fhir+ndjson (the default), application/ndjson or ndjson"),
        ("Prefer" = String, Header, description = "Must be `respond-async`"),
    ),
    responses(
        (status = 202, description = "Accepted: poll the URL in Content-Location", headers(("Content-Location" = String, description = "The export's status URL"))),
        (status = 400, description = "The request is not a valid export request", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn system_export(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    kick_off(&state, &ctx, &headers, raw.as_deref(), "/fhir/$export").await
}

/// Starts an export of the service's patients' data (Patient level).
#[utoipa::path(
    get,
    path = "/fhir/Patient/$export",
    tag = "fhir",
    params(
        ("_type" = Option<String>, Query, description = "Resource types to export, comma separated: Patient, QuestionnaireResponse, Observation (default all)"),
        ("_since" = Option<String>, Query, description = "Only resources last updated at or after this instant"),
        ("_outputFormat" = Option<String>, Query, description = "application/fhir+ndjson (the default), application/ndjson or ndjson"),
        ("Prefer" = String, Header, description = "Must be `respond-async`"),
    ),
    responses(
        (status = 202, description = "Accepted: poll the URL in Content-Location", headers(("Content-Location" = String, description = "The export's status URL"))),
        (status = 400, description = "The request is not a valid export request", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn patient_export(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    kick_off(
        &state,
        &ctx,
        &headers,
        raw.as_deref(),
        "/fhir/Patient/$export",
    )
    .await
}

/// Starts an export of the service's Group: its patients and their data.
#[utoipa::path(
    get,
    path = "/fhir/Group/{group}/$export",
    tag = "fhir",
    params(
        ("group" = String, Path, description = "The service's short name"),
        ("_type" = Option<String>, Query, description = "Resource types to export, comma separated: Patient, QuestionnaireResponse, Observation (default all)"),
        ("_since" = Option<String>, Query, description = "Only resources last updated at or after this instant"),
        ("_outputFormat" = Option<String>, Query, description = "application/fhir+ndjson (the default), application/ndjson or ndjson"),
        ("Prefer" = String, Header, description = "Must be `respond-async`"),
    ),
    responses(
        (status = 202, description = "Accepted: poll the URL in Content-Location", headers(("Content-Location" = String, description = "The export's status URL"))),
        (status = 400, description = "The request is not a valid export request", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 404, description = "No Group with this id is available to this client", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn group_export(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(group): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let (slug, _) = state.app.bulk_exports().group(&ctx.actor).await?;
    if slug != group {
        return Err(not_found("Group"));
    }
    let path = format!("/fhir/Group/{slug}/$export");
    kick_off(&state, &ctx, &headers, raw.as_deref(), &path).await
}

/// The Group of the client's service's patients.
#[utoipa::path(
    get,
    path = "/fhir/Group/{group}",
    tag = "fhir",
    params(("group" = String, Path, description = "The service's short name")),
    responses(
        (status = 200, description = "The Group", body = Group, content_type = "application/fhir+json"),
        (status = 404, description = "No Group with this id is available to this client", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn group_read(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(group): Path<String>,
) -> Result<Response, WebError> {
    let (slug, name) = state.app.bulk_exports().group(&ctx.actor).await?;
    if slug != group {
        return Err(not_found("Group"));
    }
    let v = json!({
        "resourceType": "Group",
        "id": slug,
        "type": "person",
        "actual": true,
        "name": format!("Patients of {name}"),
    });
    Ok(fhir(StatusCode::OK, &v))
}

/// The manifest of a complete export (Bulk Data IG, "Response - Complete Status").
fn manifest(state: &AppState, status: &bothy_app::bulk_export::ExportStatus) -> Value {
    let e = &status.export;
    let public = state.app.settings().public_url.trim_end_matches('/');
    let output: Vec<Value> = status
        .files
        .iter()
        .map(|f| {
            json!({
                "type": f.resource_type,
                "url": format!("{public}{FILES_PATH}/{}/{}", e.id, f.seq),
                "count": f.count,
            })
        })
        .collect();
    json!({
        "transactionTime": bothy_fhir::instant(e.transaction_time),
        "request": e.request_url,
        "requiresAccessToken": true,
        "output": output,
        "error": [],
    })
}

/// An export's status: 202 while it runs, the manifest when complete.
#[utoipa::path(
    get,
    path = "/fhir/$export-status/{export}",
    tag = "fhir",
    params(("export" = String, Path, description = "The export's id, from the kick-off's Content-Location")),
    responses(
        (status = 200, description = "Complete: the manifest of its files", body = BulkManifest, content_type = "application/json"),
        (status = 202, description = "Still running", headers(("X-Progress" = String, description = "What has been written so far"), ("Retry-After" = String, description = "Seconds to wait before asking again"))),
        (status = 404, description = "No export with this id is available to this client", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 500, description = "The export failed", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn export_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let status = state
        .app
        .bulk_exports()
        .status(&ctx.actor, &id)
        .await
        .map_err(or_not_found("export"))?;
    match status.export.status.as_str() {
        "complete" => {
            let mut res = (StatusCode::OK, manifest(&state, &status).to_string()).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            res.headers_mut()
                .insert(header::EXPIRES, HeaderValue::from_static("0"));
            Ok(res)
        }
        "running" => {
            let mut res = StatusCode::ACCEPTED.into_response();
            let h = res.headers_mut();
            h.insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER));
            let progress: String = status
                .export
                .progress
                .chars()
                .filter(|c| c.is_ascii() && !c.is_ascii_control())
                .take(100)
                .collect();
            if let Ok(v) = HeaderValue::from_str(&progress) {
                h.insert("x-progress", v);
            }
            Ok(res)
        }
        _ => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The export failed; start a new one",
            Vec::new(),
        )),
    }
}

/// Cancels an export, or deletes a finished one's files.
#[utoipa::path(
    delete,
    path = "/fhir/$export-status/{export}",
    tag = "fhir",
    params(("export" = String, Path, description = "The export's id")),
    responses(
        (status = 202, description = "Cancelled: its files are gone"),
        (status = 404, description = "No export with this id is available to this client", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn export_cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    state
        .app
        .bulk_exports()
        .cancel(&ctx.actor, &id, &ctx.request)
        .await
        .map_err(or_not_found("export"))?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// One NDJSON file of a complete export.
#[utoipa::path(
    get,
    path = "/fhir/$export-file/{export}/{file}",
    tag = "fhir",
    params(
        ("export" = String, Path, description = "The export's id"),
        ("file" = i64, Path, description = "The file's number, from the manifest"),
    ),
    responses(
        (status = 200, description = "The file: one resource per line", body = String, content_type = "application/fhir+ndjson"),
        (status = 404, description = "No such file of an export available to this client", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn export_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let seq: i64 = file.parse().map_err(|_| not_found("file"))?;
    let (_, body) = state
        .app
        .bulk_exports()
        .file(&ctx.actor, &id, seq, &ctx.request)
        .await
        .map_err(or_not_found("file"))?;
    let mut res = (StatusCode::OK, body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+ndjson"),
    );
    Ok(res)
}
