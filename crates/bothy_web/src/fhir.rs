//! FHIR R4 endpoints for measures.
//!
//! - `GET /fhir/Questionnaire[?url=]` and `GET /fhir/Questionnaire/{id}`:
//!   every instrument in the catalogue, public (they hold no patient data).
//! - `POST /fhir/QuestionnaireResponse`: a completed response, scored and
//!   stored by `App::submit_measure` (which flags risk answers in the same
//!   transaction), for API clients holding `measures.write`.
//! - `GET /fhir/QuestionnaireResponse/{id}` and `GET /fhir/Observation/{id}`:
//!   for clients holding `patient.read`. A patient the client may not see
//!   answers exactly like a missing one: 404. Searching them (and Patient)
//!   is `fhir_search.rs`.
//!
//! Duplicates: `identifier.value` is the idempotency key, unique per patient.
//! The same identifier with the same questionnaire and answers answers 200
//! with the response already stored (so a client may safely retry); with
//! different content it is refused with 409, since silently keeping either
//! version would lose answers without anyone knowing.
//!
//! The Observation of a response's total is derived from the stored response
//! when read and shares its id (see `bothy_fhir::observation`).
//!
//! Conditional create: `If-None-Exist: identifier=...` (optionally with
//! `subject` or `patient`) searches the responses this client may record
//! for: none, and the response is created; one, and it is answered with 200
//! and not created again; several (the same identifier for two patients),
//! 412. Two such creates at once cannot both create: the identifier is
//! unique per patient, so the second finds the first (200, as above).
//!
//! `authored` is kept as sent (to the millisecond, in UTC) and searched by;
//! one more than a few minutes ahead of our clock is refused (422). Charts,
//! outcomes and detectors still go by when Bothy received the response
//! (`meta.lastUpdated`), so a late upload never rewrites what was decided.
//! What a sender gives that is not kept: `identifier.system` (the key is the
//! value alone).

use crate::auth::Ctx;
use crate::error::WebError;
use crate::openapi::{Bundle, Observation, OperationOutcome, Questionnaire, QuestionnaireResponse};
use crate::{AppState, fhir_versions};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bothy_app::measures::Submission;
use bothy_app::{AppError, FieldError};
use bothy_domain::ids::ResponseId;
use bothy_domain::instruments::Instrument;
use bothy_domain::model::{MeasureResponse, ResponseSource};
use bothy_fhir::questionnaire::{canonical_url, link_id};
use bothy_fhir::response::{parse_response, questionnaire_response};
use bothy_fhir::{Issue, bundle, observation, questionnaire};
use serde_json::Value;

pub(crate) fn base(state: &AppState) -> String {
    bothy_fhir::base_url(&state.app.settings().public_url)
}

pub(crate) fn fhir(status: StatusCode, v: &Value) -> Response {
    let v = fhir_versions::versioned(v);
    // Straight into bytes: `to_string` goes through `Display`'s formatter.
    // A `Value` always serialises (its keys are strings).
    let body = serde_json::to_vec(&*v).unwrap_or_default();
    let mut res = (status, body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json"),
    );
    fhir_versions::validators(&mut res, &v);
    res
}

/// The answer to a create, as the client's `Prefer` header asks (FHIR R4,
/// 3.1.0.8.3): the resource (`return=representation`, the default), no
/// body (`return=minimal`), or an OperationOutcome saying what was done
/// (`return=OperationOutcome`). The caller adds `Location`.
pub(crate) fn created(status: StatusCode, resource: &Value, headers: &HeaderMap) -> Response {
    let prefer = headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|p| p.trim().strip_prefix("return="))
        .map(|r| r.trim_matches('"').to_ascii_lowercase())
        .next();
    match prefer.as_deref() {
        Some("minimal") => {
            let mut res = status.into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/fhir+json"),
            );
            fhir_versions::validators(&mut res, &fhir_versions::versioned(resource));
            res
        }
        Some("operationoutcome") => {
            let what = if status == StatusCode::CREATED {
                "Created"
            } else {
                "Already stored: the first one sent with this identifier"
            };
            let outcome = serde_json::json!({
                "resourceType": "OperationOutcome",
                "issue": [{ "severity": "information", "code": "informational", "diagnostics": what }]
            });
            let mut res = fhir(status, &outcome);
            fhir_versions::validators(&mut res, &fhir_versions::versioned(resource));
            res
        }
        _ => fhir(status, resource),
    }
}

pub(crate) fn error(
    status: StatusCode,
    message: impl Into<String>,
    fields: Vec<FieldError>,
) -> WebError {
    WebError {
        message: message.into(),
        fields,
        ..WebError::status(status)
    }
}

pub(crate) fn field(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

pub(crate) fn issues_to_fields(issues: Vec<Issue>) -> Vec<FieldError> {
    issues
        .into_iter()
        .map(|i| field(i.expression, i.message))
        .collect()
}

/// The query string as name-value pairs; a malformed one is a 400.
pub(crate) fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, WebError> {
    serde_urlencoded::from_str(raw.unwrap_or_default()).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "The search parameters could not be read",
            Vec::new(),
        )
    })
}

/// Refuses parameters this search does not support, rather than ignoring
/// them and answering a wider search than the client asked for.
pub(crate) fn only_known(pairs: &[(String, String)], known: &[&str]) -> Result<(), WebError> {
    let unknown: Vec<FieldError> = pairs
        .iter()
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .map(|(k, _)| {
            field(
                k.clone(),
                format!(
                    "{k} is not a supported search parameter here; supported: {}",
                    known.join(", ")
                ),
            )
        })
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(error(
            StatusCode::BAD_REQUEST,
            "Unsupported search parameters",
            unknown,
        ))
    }
}

/// Results per page of a search without `_count`.
pub(crate) const DEFAULT_COUNT: usize = 50;
/// The most results a page holds: a larger `_count` is served as this, as
/// FHIR lets a server do (the `next` link says how to go on).
pub(crate) const MAX_COUNT: usize = 100;

/// A whole-number search parameter, as documented: a 32-bit integer, 0 or
/// more; a number beyond it is refused (`None`).
pub(crate) fn whole_number(v: &str) -> Option<usize> {
    v.parse::<i32>().ok().and_then(|n| usize::try_from(n).ok())
}

/// The page size a search's `_count` asks for, capped; `None` if it is not
/// a whole number. Shared by every search so they read it alike.
pub(crate) fn page_size(count: Option<&str>) -> Option<usize> {
    match count {
        None => Some(DEFAULT_COUNT),
        Some(v) => whole_number(v).map(|n| n.min(MAX_COUNT)),
    }
}

pub(crate) fn with_query(url: &str, pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        url.to_string()
    } else {
        format!(
            "{url}?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    }
}

/// One instrument as a FHIR Questionnaire.
#[utoipa::path(
    get,
    path = "/fhir/Questionnaire/{instrument}",
    tag = "fhir",
    params(("instrument" = String, Path, description = "The instrument's id, such as `phq9`")),
    responses(
        (status = 200, description = "The Questionnaire", body = Questionnaire, content_type = "application/fhir+json"),
        (status = 400, description = "The id could not be read", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 404, description = "No instrument with this id", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn questionnaire_read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let inst = state
        .app
        .measures()
        .instrument(&id)
        .map_err(or_not_found("Questionnaire"))?;
    Ok(fhir(
        StatusCode::OK,
        &fhir_versions::content(&state, questionnaire::questionnaire(&base(&state), inst)),
    ))
}

/// `GET /fhir/Questionnaire`: all instruments, or those whose canonical URL
/// is `url` (optionally `url|version`, or with `version`).
#[utoipa::path(
    get,
    path = "/fhir/Questionnaire",
    tag = "fhir",
    summary = "Instruments as FHIR Questionnaires",
    params(
        ("url" = Option<String>, Query, description = "Canonical URL, optionally `url|version`"),
        ("version" = Option<String>, Query, description = "The instrument's version"),
        ("_format" = Option<String>, Query, description = "JSON only (`json`, `application/fhir+json`); any other format is refused with 406"),
    ),
    responses(
        (status = 200, description = "A searchset Bundle of Questionnaires", body = Bundle, content_type = "application/fhir+json"),
        (status = 400, description = "The search parameters could not be read or are not supported", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn questionnaire_search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pairs = query_pairs(raw.as_deref())?;
    only_known(&pairs, &["url", "version", "_format"])?;
    let base = base(&state);
    let values = |name: &'static str| {
        pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let matches = |inst: &Instrument| {
        let url = canonical_url(&base, inst);
        values("url").all(|u| match u.split_once('|') {
            Some((u, v)) => u == url && v == inst.version,
            None => u == url,
        }) && values("version").all(|v| v == inst.version)
    };
    let entries: Vec<(String, Value)> = state
        .app
        .catalogue()
        .iter()
        .filter(|inst| matches(inst))
        .map(|inst| {
            (
                canonical_url(&base, inst),
                fhir_versions::content(&state, questionnaire::questionnaire(&base, inst)),
            )
        })
        .collect();
    let understood: Vec<(&str, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "_format")
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let self_url = with_query(&format!("{base}/Questionnaire"), &understood);
    Ok(fhir(
        StatusCode::OK,
        &bundle::searchset(&self_url, entries.len(), entries, None),
    ))
}

/// Where a problem `submit_measure` found belongs in the resource.
fn expression(inst: &Instrument, app_field: &str) -> String {
    const R: &str = "QuestionnaireResponse";
    match app_field {
        "instrument" | "version" => format!("{R}.questionnaire"),
        "idempotency_key" => format!("{R}.identifier.value"),
        "answers" => format!("{R}.item"),
        "authored" => format!("{R}.authored"),
        f => match f
            .strip_prefix("item-")
            .and_then(|n| n.parse::<u16>().ok())
            .and_then(|n| inst.items.iter().find(|i| i.n == n))
        {
            Some(item) => format!("{R}.item.where(linkId='{}')", link_id(item)),
            None => f.to_string(),
        },
    }
}

pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/fhir+json")
        || essence.eq_ignore_ascii_case("application/json")
}

/// A create request's body as JSON: 415 unless it is sent as JSON, 400
/// unless it parses; `resource` names what was expected.
pub(crate) fn json_body(
    headers: &HeaderMap,
    body: &[u8],
    resource: &str,
) -> Result<Value, WebError> {
    if !is_json(headers) {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Send the {resource} as JSON, with Content-Type: application/fhir+json"),
            Vec::new(),
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!("The body is not valid JSON ({e}); nothing was stored"),
            Vec::new(),
        )
    })
}

/// `POST /fhir/QuestionnaireResponse`.
#[utoipa::path(
    post,
    path = "/fhir/QuestionnaireResponse",
    tag = "fhir",
    summary = "Store a completed measure",
    request_body(content = QuestionnaireResponse, content_type = "application/fhir+json", description = "A completed QuestionnaireResponse; `application/json` is accepted too"),
    responses(
        (status = 201, description = "Stored and scored", body = QuestionnaireResponse, content_type = "application/fhir+json",
            headers(("Location" = String, description = "The stored response"))),
        (status = 200, description = "Already stored under this identifier with the same answers", body = QuestionnaireResponse, content_type = "application/fhir+json",
            headers(("Content-Location" = String, description = "The stored response"))),
        (status = 400, description = "The body is not JSON", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 404, description = "The subject is not a patient this client may record measures for", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 409, description = "The identifier was used for other answers", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 413, description = "The body is too large", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 415, description = "The body is not sent as JSON", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 422, description = "The resource has problems; nothing was stored", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn response_create(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let json = json_body(&headers, &body, "QuestionnaireResponse")?;
    let base = base(&state);
    let app = &state.app;
    let parsed = parse_response(&json, &base, app.catalogue()).map_err(|issues| {
        let n = issues.len();
        error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "The QuestionnaireResponse has {n} problem{}; nothing was stored",
                if n == 1 { "" } else { "s" }
            ),
            issues_to_fields(issues),
        )
    })?;
    let inst = app.measures().instrument(&parsed.instrument_id)?;
    if let Some(search) = fhir_versions::if_none_exist(&headers)? {
        match conditional_match(&state, &ctx, &search).await? {
            Match::None => {}
            Match::One(r, inst) => {
                let resource = questionnaire_response(&base, inst, &r);
                let mut res = created(StatusCode::OK, &resource, &headers);
                set_location(&mut res, header::CONTENT_LOCATION, &base, &r);
                return Ok(res);
            }
            Match::Several => {
                return Err(error(
                    StatusCode::PRECONDITION_FAILED,
                    "If-None-Exist matches more than one QuestionnaireResponse; nothing was stored",
                    vec![field(
                        "If-None-Exist",
                        "Narrow the search, for example with subject=Patient/{id}",
                    )],
                ));
            }
        }
    }
    let submission = Submission {
        instrument_id: parsed.instrument_id.clone(),
        version: parsed.version.clone(),
        answers: parsed.answers.clone(),
        idempotency_key: parsed.identifier.clone(),
        source: ResponseSource::Fhir,
    };
    let submitted = match app
        .measures()
        .submit_authored(
            &ctx.actor,
            parsed.patient_id,
            submission,
            parsed.authored,
            &ctx.request,
        )
        .await
    {
        Ok(s) => s,
        // The subject is missing or not this client's: the same answer for both.
        Err(AppError::NotFound) => {
            return Err(error(
                StatusCode::NOT_FOUND,
                "The subject is not a patient this client may record measures for; nothing was stored",
                vec![field(
                    "QuestionnaireResponse.subject.reference",
                    "No patient this client may record measures for has this id",
                )],
            ));
        }
        Err(AppError::Invalid(fields)) => {
            let fields = fields
                .into_iter()
                .map(|f| field(expression(inst, &f.field), f.message))
                .collect();
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The QuestionnaireResponse could not be scored; nothing was stored",
                fields,
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let r = &submitted.response;
    if submitted.duplicate {
        if r.instrument_id != parsed.instrument_id || r.answers != parsed.answers {
            return Err(error(
                StatusCode::CONFLICT,
                "This identifier was already used for a different response for this patient; nothing was stored",
                vec![field(
                    "QuestionnaireResponse.identifier.value",
                    "Already used for a response with other answers: give each response its own identifier",
                )],
            ));
        }
        let resource = questionnaire_response(&base, inst, r);
        let mut res = created(StatusCode::OK, &resource, &headers);
        set_location(&mut res, header::CONTENT_LOCATION, &base, r);
        return Ok(res);
    }
    let resource = questionnaire_response(&base, inst, r);
    let mut res = created(StatusCode::CREATED, &resource, &headers);
    set_location(&mut res, header::LOCATION, &base, r);
    Ok(res)
}

/// What a conditional create's search found.
enum Match<'a> {
    None,
    One(Box<MeasureResponse>, &'a Instrument),
    Several,
}

/// Runs `If-None-Exist` for a QuestionnaireResponse: `identifier` (a
/// token: `system|value` or `value`; the key is the value) and optionally
/// `subject` or `patient`.
async fn conditional_match<'a>(
    state: &'a AppState,
    ctx: &Ctx,
    search: &[(String, String)],
) -> Result<Match<'a>, WebError> {
    let bad = |message: &str| {
        error(
            StatusCode::BAD_REQUEST,
            "If-None-Exist needs checking; nothing was stored",
            vec![field("If-None-Exist", message)],
        )
    };
    let mut key = None;
    let mut patient = None;
    for (k, v) in search {
        match k.as_str() {
            "identifier" if key.is_none() => {
                key = Some(v.split_once('|').map_or(v.as_str(), |(_, value)| value));
            }
            "subject" | "patient" if patient.is_none() => {
                let id = v.rsplit_once("Patient/").map_or(v.as_str(), |(_, id)| id);
                // An id that cannot exist names nobody: nothing matches.
                patient = Some(id.parse().ok());
            }
            "identifier" | "subject" | "patient" => return Err(bad(&format!("Give {k} once"))),
            _ => {
                return Err(bad(&format!(
                    "{k} is not supported here; a conditional create searches by identifier, \
                     and optionally subject (or patient)"
                )));
            }
        }
    }
    let Some(key) = key.filter(|k| !k.trim().is_empty()) else {
        return Err(bad("Give identifier: the response's identifier.value"));
    };
    let patient = match patient {
        Some(None) => return Ok(Match::None),
        Some(Some(p)) => Some(p),
        None => None,
    };
    let mut found = state
        .app
        .measures()
        .matching_key(&ctx.actor, key, patient, 2, &ctx.request)
        .await?;
    Ok(match found.len() {
        0 => Match::None,
        1 => {
            let (r, inst) = found.remove(0);
            Match::One(Box::new(r), inst)
        }
        _ => Match::Several,
    })
}

fn set_location(res: &mut Response, name: header::HeaderName, base: &str, r: &MeasureResponse) {
    if let Ok(v) = HeaderValue::from_str(&format!("{base}/QuestionnaireResponse/{}", r.id)) {
        res.headers_mut().insert(name, v);
    }
}

/// Missing, or not visible to this client: the same answer for both.
pub(crate) fn not_found(resource: &str) -> WebError {
    error(
        StatusCode::NOT_FOUND,
        format!("No {resource} with this id is available to this client"),
        Vec::new(),
    )
}

pub(crate) fn or_not_found(resource: &'static str) -> impl Fn(AppError) -> WebError {
    move |e| match e {
        AppError::NotFound => not_found(resource),
        e => e.into(),
    }
}

/// A response id from the path; one that cannot exist is simply not found.
fn response_id(raw: &str, resource: &str) -> Result<ResponseId, WebError> {
    raw.parse().map_err(|_| not_found(resource))
}

/// One stored response as a FHIR QuestionnaireResponse.
#[utoipa::path(
    get,
    path = "/fhir/QuestionnaireResponse/{response}",
    tag = "fhir",
    params(("response" = String, Path, description = "The response's id")),
    responses(
        (status = 200, description = "The QuestionnaireResponse", body = QuestionnaireResponse, content_type = "application/fhir+json"),
        (status = 400, description = "The id could not be read", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 404, description = "No response with this id that this client may see", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn response_read(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = response_id(&id, "QuestionnaireResponse")?;
    let (r, inst) = state
        .app
        .measures()
        .response(&ctx.actor, id, &ctx.request)
        .await
        .map_err(or_not_found("QuestionnaireResponse"))?;
    Ok(fhir(
        StatusCode::OK,
        &questionnaire_response(&base(&state), inst, &r),
    ))
}

/// The total score of one stored response, as a FHIR Observation (same id).
#[utoipa::path(
    get,
    path = "/fhir/Observation/{observation}",
    tag = "fhir",
    params(("observation" = String, Path, description = "The response's id")),
    responses(
        (status = 200, description = "The Observation", body = Observation, content_type = "application/fhir+json"),
        (status = 400, description = "The id could not be read", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 404, description = "No response with this id that this client may see", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn observation_read(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = response_id(&id, "Observation")?;
    let (r, inst) = state
        .app
        .measures()
        .response(&ctx.actor, id, &ctx.request)
        .await
        .map_err(or_not_found("Observation"))?;
    Ok(fhir(
        StatusCode::OK,
        &observation::total_observation(inst, &r),
    ))
}

/// Media types the FHIR API answers in: JSON only.
const JSON_TYPES: [&str; 5] = [
    "json",
    "application/json",
    "application/fhir+json",
    "application/json+fhir",
    "fhir+json",
];

/// Refuses, with 406, a FHIR request that asks only for a format Bothy
/// does not serve (XML, Turtle) through `_format` or `Accept`: a client
/// is told at once rather than handed JSON it cannot read.
pub async fn formats(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<Response, WebError> {
    // Only the methods FHIR routes have: any other is answered 405 by the
    // router, whatever format it asks for.
    let routed = matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::POST
    );
    // An export's files are NDJSON, and asked for as such (fhir_bulk.rs);
    // the token endpoint speaks OAuth, not FHIR (smart.rs).
    let path = req.uri().path();
    let not_fhir =
        path.starts_with(crate::fhir_bulk::FILES_PATH) || path == crate::smart::TOKEN_PATH;
    if !path.starts_with("/fhir/") || not_fhir || !routed {
        return Ok(next.run(req).await);
    }
    // A query that cannot be read is the handler's to refuse (400); an
    // empty `_format` asks for nothing.
    let asked_format = query_pairs(req.uri().query()).is_ok_and(|pairs| {
        pairs.iter().any(|(k, v)| {
            let v = v.trim();
            k == "_format" && !v.is_empty() && !JSON_TYPES.contains(&v)
        })
    });
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    let accepts_json = accept.as_deref().is_none_or(|a| {
        a.split(',').any(|range| {
            let media = range.split(';').next().unwrap_or("").trim();
            media.is_empty()
                || media == "*/*"
                || media == "application/*"
                || JSON_TYPES.contains(&media)
        })
    });
    if asked_format || !accepts_json {
        let mut e = WebError::status(StatusCode::NOT_ACCEPTABLE);
        e.message = "Bothy's FHIR API answers in JSON only (application/fhir+json)".into();
        return Err(e);
    }
    Ok(next.run(req).await)
}
