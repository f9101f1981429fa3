//! FHIR R4 referrals from other systems.
//!
//! - `POST /fhir/ServiceRequest`: a referral, for API clients holding
//!   `referral.create`. Read by `bothy_fhir::service_request` (which
//!   documents what is read and why), the subject resolved when it is an
//!   existing patient, then stored by `App::submit_referral`: in the triage
//!   queue, urgent if a screening answer signals risk, with a message queued
//!   to the person in the same transaction. `201 Created` with `Location` and
//!   the resource; every problem at once in an OperationOutcome otherwise
//!   (422 for content, 400 for a body that is not JSON, 415 for another
//!   content type), and nothing stored.
//! - `GET /fhir/ServiceRequest/{id}`: a referral of the client's service, for
//!   clients holding `referral.create` (the referrals this client sent) or
//!   `referral.read` (every sent referral of the service). Anything else is
//!   404, like a missing one: one system never sees another's referrals.
//! - `GET /fhir/ServiceRequest?...`: the same referrals found by the sender's
//!   identifier, requester, subject or status (`fhir_referral_search.rs`).
//!
//! What the sender sent is kept as sent and written back unchanged
//! (`bothy_domain::referral::as_sent`); an urgent priority flags the referral
//! for triage, and `Prefer: return=OperationOutcome` answers with the crisis
//! advice as an information issue.
//!
//! Conditional create: `If-None-Exist: identifier=system|value` answers
//! 200 with the referral that identifier already names (among those this
//! client may read), creating nothing; none, and the referral is created as
//! usual; several, 412 (`fhir_referral_search::if_none_exist`).
//!
//! Duplicates: `identifier[0].value` is the submission key, unique per
//! client: another system using the same value makes a referral of its own.
//! The same key with the same content answers 200 with the referral already
//! stored (a client may safely retry); with different content, 409, since
//! keeping either silently would lose a referral.

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::fhir::{base, error, fhir, issues_to_fields, json_body, not_found};
use crate::openapi::{OperationOutcome, ServiceRequest};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use bothy_app::{AppError, FieldError};
use bothy_domain::ids::ReferralId;
use bothy_domain::referral::{Referral, Source};
use bothy_fhir::Issue;
use bothy_fhir::service_request::{
    Subject, read_service_request_at, service_request_as_sent, unknown_patient_issue,
};

const SR: &str = "ServiceRequest";

fn refused(issues: Vec<Issue>) -> WebError {
    let n = issues.len();
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!(
            "The ServiceRequest has {n} problem{}; nothing was stored",
            if n == 1 { "" } else { "s" }
        ),
        issues_to_fields(issues),
    )
}

/// Where a problem `submit_referral` found belongs in the resource. The
/// reading checks all of these first, so this is a second line only.
fn expression(app_field: &str) -> String {
    match app_field {
        "given_name" | "family_name" | "dob_day" | "email" | "phone" => format!("{SR}.subject"),
        "problem_text" | "problems" => format!("{SR}.reasonCode"),
        "submission_key" => format!("{SR}.identifier[0].value"),
        _ => SR.to_string(),
    }
}

fn with_location(
    mut res: Response,
    name: header::HeaderName,
    base: &str,
    r: &Referral,
) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("{base}/{SR}/{}", r.id)) {
        res.headers_mut().insert(name, v);
    }
    res
}

/// `POST /fhir/ServiceRequest`.
#[utoipa::path(
    post,
    path = "/fhir/ServiceRequest",
    tag = "fhir",
    summary = "Send a referral",
    request_body(
        content = ServiceRequest,
        content_type = "application/fhir+json",
        description = "A referral; `application/json` is accepted too",
        example = json!({
            "resourceType": "ServiceRequest",
            "identifier": [{ "system": "https://gp.example/referrals", "value": "ref-1" }],
            "status": "active",
            "intent": "order",
            "subject": { "reference": "#p" },
            "requester": { "reference": "#gp" },
            "reasonCode": [{ "text": "Low mood for three months" }],
            "contained": [
                {
                    "resourceType": "Patient", "id": "p",
                    "name": [{ "family": "Example", "given": ["Morven"] }],
                    "birthDate": "1970-05-05",
                    "telecom": [{ "system": "email", "value": "morven.example@example.org" }]
                },
                { "resourceType": "Practitioner", "id": "gp", "name": [{ "text": "Dr Ross" }] }
            ]
        })
    ),
    responses(
        (status = 201, description = "In the triage queue", body = ServiceRequest, content_type = "application/fhir+json",
            headers(("Location" = String, description = "The stored referral"))),
        (status = 200, description = "Already stored under this identifier with the same details, or found by If-None-Exist", body = ServiceRequest, content_type = "application/fhir+json",
            headers(("Content-Location" = String, description = "The stored referral"))),
        (status = 400, description = "The body is not JSON, or If-None-Exist cannot be read", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 412, description = "If-None-Exist matches more than one referral", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 409, description = "The identifier was used for another referral", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 413, description = "The body is too large", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 415, description = "The body is not sent as JSON", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 422, description = "The resource has problems; nothing was stored", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn service_request_create(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let json = json_body(&headers, &body, "ServiceRequest")?;
    let app = &state.app;
    let base = base(&state);
    if let Some((referral, sent)) =
        crate::fhir_referral_search::if_none_exist(&state, &ctx, &headers).await?
    {
        let resource = service_request_as_sent(&base, &referral, sent.as_ref(), app.catalogue());
        let res = crate::fhir::created(StatusCode::OK, &resource, &headers);
        return Ok(with_location(
            res,
            header::CONTENT_LOCATION,
            &base,
            &referral,
        ));
    }
    let service = ctx
        .actor
        .service_id()
        .ok_or(bothy_app::AppError::Forbidden)?;
    let asked: Vec<&str> = app
        .referrals()
        .screening(service)
        .await?
        .into_iter()
        .map(|i| i.id.as_str())
        .collect();
    let mut reading =
        read_service_request_at(&json, &base, app.catalogue(), &asked, app.clock().now());
    if let Some(Subject::Patient(id)) = reading.subject {
        match app
            .referrals()
            .fhir_subject(&ctx.actor, id, &ctx.request)
            .await
        {
            Ok(subject) => {
                subject.fill(&mut reading.details);
                if reading.details.email.is_none() && reading.details.phone.is_none() {
                    reading.issues.push(Issue {
                        expression: format!("{SR}.subject.reference"),
                        message: "The patient's record has no email address or phone number, \
                                  so nobody could reach them about their referral: send the \
                                  person's details as a contained Patient instead"
                            .into(),
                    });
                }
            }
            // Missing, another service's, or not this client's to read: one answer.
            Err(AppError::NotFound) => reading.issues.push(unknown_patient_issue()),
            Err(e) => return Err(e.into()),
        }
    }
    if !reading.issues.is_empty() {
        return Err(refused(reading.issues));
    }
    let (Some(key), Some(_)) = (reading.identifier, reading.subject) else {
        return Err(WebError::internal(
            "a ServiceRequest read without issues lacks its key",
        ));
    };
    let details = reading.details;
    let as_sent = reading.as_sent;
    let (referral, stored_as_sent, duplicate) = match app
        .referrals()
        .submit_with(
            &ctx.actor,
            details.clone(),
            Source::Fhir,
            &key,
            Some(&as_sent),
            &ctx.request,
        )
        .await
    {
        Ok(done) => done,
        Err(AppError::Invalid(fields)) => {
            let fields = fields
                .into_iter()
                .map(|f| FieldError {
                    field: expression(&f.field),
                    message: f.message,
                })
                .collect();
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The ServiceRequest could not be taken; nothing was stored",
                fields,
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let resource =
        service_request_as_sent(&base, &referral, stored_as_sent.as_ref(), app.catalogue());
    if duplicate {
        if referral.source != Source::Fhir
            || referral.details != details
            || stored_as_sent.as_ref() != Some(&as_sent)
        {
            return Err(error(
                StatusCode::CONFLICT,
                "This identifier was already used for a different referral from this system; \
                 nothing was stored",
                vec![crate::fhir::field(
                    format!("{SR}.identifier[0].value"),
                    "Already used for a referral with other details: give each referral its own \
                     identifier",
                )],
            ));
        }
        let res = crate::fhir::created(StatusCode::OK, &resource, &headers);
        return Ok(with_location(
            res,
            header::CONTENT_LOCATION,
            &base,
            &referral,
        ));
    }
    let res = if referral.urgent && prefers_outcome(&headers) {
        fhir(StatusCode::CREATED, &urgent_outcome(state.app.crisis()))
    } else {
        crate::fhir::created(StatusCode::CREATED, &resource, &headers)
    };
    Ok(with_location(res, header::LOCATION, &base, &referral))
}

/// Whether the client asked for an OperationOutcome rather than the
/// resource (`Prefer: return=OperationOutcome`).
fn prefers_outcome(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|p| p.trim().strip_prefix("return="))
        .any(|r| r.trim_matches('"').eq_ignore_ascii_case("operationoutcome"))
}

/// What the sender of an urgent referral is told: where it is in triage,
/// that nobody watches the queue out of hours, and the crisis contacts.
fn urgent_outcome(crisis: &bothy_domain::crisis::CrisisContacts) -> serde_json::Value {
    let contacts: Vec<String> = crisis
        .contacts
        .iter()
        .map(|c| format!("{}: {} ({})", c.name, c.how, c.when))
        .collect();
    serde_json::json!({
        "resourceType": "OperationOutcome",
        "issue": [
            { "severity": "information", "code": "informational", "diagnostics": "Created" },
            {
                "severity": "information",
                "code": "informational",
                "expression": [format!("{SR}.priority")],
                "diagnostics": format!(
                    "Marked urgent: this referral is at the top of the triage queue, after \
                     those with a risk answer, and is seen when the service is open; nobody \
                     watches the queue out of hours. If the person may be at risk now, do not \
                     wait for triage: {}",
                    contacts.join("; ")
                ),
            },
        ],
    })
}

/// `GET /fhir/ServiceRequest/{id}`.
#[utoipa::path(
    get,
    path = "/fhir/ServiceRequest/{referral}",
    tag = "fhir",
    summary = "Read back a referral",
    params(("referral" = String, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The ServiceRequest", body = ServiceRequest, content_type = "application/fhir+json"),
        (status = 400, description = "The id could not be read", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 404, description = "No referral with this id that this client may see", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn service_request_read(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: ReferralId = id.parse().map_err(|_| not_found(SR))?;
    let (referral, sent) = state
        .app
        .referrals()
        .for_client(&ctx.actor, id, &ctx.request)
        .await
        .map_err(|e| match e {
            AppError::NotFound => not_found(SR),
            e => e.into(),
        })?;
    Ok(fhir(
        StatusCode::OK,
        &service_request_as_sent(
            &base(&state),
            &referral,
            sent.as_ref(),
            state.app.catalogue(),
        ),
    ))
}
