//! The JSON API and FHIR endpoints, for other systems with a bearer token.

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::pages::staff::patient_id;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

fn fhir(v: serde_json::Value) -> Response {
    let mut res = v.to_string().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json"),
    );
    res
}

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
    Ok(Json(serde_json::json!({
        "id": p.id,
        "service_id": p.service_id,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "date_of_birth": p.date_of_birth.to_string(),
        "email": p.email,
        "phone": p.phone,
    }))
    .into_response())
}

pub async fn reports_summary(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, WebError> {
    let f = state.app.records().service_figures(&ctx.actor).await?;
    Ok(
        Json(serde_json::json!({ "service": f.service.name, "patients": f.patients }))
            .into_response(),
    )
}

pub async fn fhir_patient(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let p = state
        .app
        .records()
        .patient(&ctx.actor, patient_id(&id)?, &ctx.request)
        .await?;
    Ok(fhir(bothy_fhir::patient(&p)))
}

pub async fn fhir_metadata(State(state): State<AppState>) -> Response {
    let date = state.app.clock().now().strftime("%Y-%m-%d").to_string();
    fhir(bothy_fhir::capability_statement(
        &state.app.settings().public_url,
        &date,
    ))
}
