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
use bothy_domain::time::uk_date;
use bothy_fhir::Issue;
use bothy_fhir::service_request::{
    Subject, read_service_request, service_request, unknown_patient_issue,
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
        (status = 200, description = "Already stored under this identifier with the same details", body = ServiceRequest, content_type = "application/fhir+json",
            headers(("Content-Location" = String, description = "The stored referral"))),
        (status = 400, description = "The body is not JSON", body = OperationOutcome, content_type = "application/fhir+json"),
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
    let mut reading = read_service_request(
        &json,
        &base,
        app.catalogue(),
        &asked,
        uk_date(app.clock().now()),
    );
    if let Some(Subject::Patient(id)) = reading.subject {
        match app
            .referrals()
            .fhir_subject(&ctx.actor, id, &ctx.request)
            .await
        {
            Ok(subject) => {
                subject.fill(&mut reading.details);
                if reading.details.preferred_channel.is_none() {
                    reading.issues.push(Issue {
                        expression: format!("{SR}.subject.reference"),
                        message: "The patient's record has no email address or UK mobile \
                                  number, so they could not be told about their referral: send \
                                  the person's details as a contained Patient instead"
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
    let (referral, duplicate) = match app
        .referrals()
        .submit(
            &ctx.actor,
            details.clone(),
            Source::Fhir,
            &key,
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
    let resource = service_request(&base, &referral, app.catalogue());
    if duplicate {
        if referral.source != Source::Fhir || referral.details != details {
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
    let res = crate::fhir::created(StatusCode::CREATED, &resource, &headers);
    Ok(with_location(res, header::LOCATION, &base, &referral))
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
    let referral = state
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
        &service_request(&base(&state), &referral, state.app.catalogue()),
    ))
}
