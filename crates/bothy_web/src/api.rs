//! The JSON API and FHIR endpoints, for other systems with a bearer token.
//! Each handler's `#[utoipa::path]` is its entry in the OpenAPI document
//! (`openapi.rs`); who may call it comes from the route table.

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{ApiError, WebError};
use crate::openapi::{CapabilityStatement, OperationOutcome, Patient};
use crate::pages::staff::patient_id;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

fn fhir(v: serde_json::Value) -> Response {
    crate::fhir::fhir(axum::http::StatusCode::OK, &v)
}

/// A patient's record of the client's service.
#[derive(Serialize, ToSchema)]
pub struct PatientJson {
    #[schema(format = "uuid")]
    id: String,
    #[schema(format = "uuid")]
    service_id: String,
    given_name: String,
    family_name: String,
    #[schema(format = Date)]
    date_of_birth: String,
    email: Option<String>,
    /// In E.164 form, such as `+447700900123`.
    phone: Option<String>,
}

/// Aggregate figures of the client's service.
#[derive(Serialize, ToSchema)]
pub struct ReportsSummary {
    /// The service's name.
    service: String,
    /// Patients of the service.
    #[schema(minimum = 0)]
    patients: i64,
}

/// A patient's record.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}",
    tag = "api",
    params(("id" = String, Path, description = "The patient's id")),
    responses(
        (status = 200, description = "The patient's record", body = PatientJson),
        (status = 400, description = "The id could not be read", body = ApiError),
        (status = 404, description = "No patient with this id that this client may see", body = ApiError),
    )
)]
pub async fn patient_json(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let p = state
        .app
        .records()
        .patient(&ctx.actor, patient_id(&id)?, &ctx.request)
        .await?;
    Ok(Json(PatientJson {
        id: p.id.to_string(),
        service_id: p.service_id.to_string(),
        given_name: p.given_name.to_string(),
        family_name: p.family_name.to_string(),
        date_of_birth: p.date_of_birth.to_string(),
        email: p.email.map(|e| e.to_string()),
        phone: p.phone.map(|p| p.to_string()),
    })
    .into_response())
}

/// Aggregate figures of the client's service.
#[utoipa::path(
    get,
    path = "/api/v1/reports/summary",
    tag = "api",
    responses((status = 200, description = "The service's figures", body = ReportsSummary))
)]
pub async fn reports_summary(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, WebError> {
    let f = state.app.records().service_figures(&ctx.actor).await?;
    Ok(Json(ReportsSummary {
        service: f.service.name,
        patients: f.patients,
    })
    .into_response())
}

/// A patient's record as a FHIR Patient.
#[utoipa::path(
    get,
    path = "/fhir/Patient/{id}",
    tag = "fhir",
    params(("id" = String, Path, description = "The patient's id")),
    responses(
        (status = 200, description = "The patient", body = Patient, content_type = "application/fhir+json"),
        (status = 400, description = "The id could not be read", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 404, description = "No patient with this id that this client may see", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn fhir_patient(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let p = state
        .app
        .records()
        .identified_patient(&ctx.actor, patient_id(&id)?, &ctx.request)
        .await?;
    Ok(fhir(crate::fhir_search::patient_resource(&p)))
}

/// What this FHIR server supports.
#[utoipa::path(
    get,
    path = "/fhir/metadata",
    tag = "fhir",
    responses((status = 200, description = "The CapabilityStatement", body = CapabilityStatement, content_type = "application/fhir+json"))
)]
pub async fn fhir_metadata(State(state): State<AppState>) -> Response {
    let date = state.app.clock().now().strftime("%Y-%m-%d").to_string();
    let statement = bothy_fhir::capability_statement(&state.app.settings().public_url, &date);
    fhir(crate::fhir_versions::content(&state, statement))
}
