//! Staff pages: home (caseload or service list), a patient's record, staff list, reports.

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::layout::{Chrome, page};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use bothy_app::AppError;
use bothy_app::records::{ServiceFigures, StaffHome};
use bothy_domain::PatientId;
use bothy_domain::model::{Patient, StaffMember};
use bothy_domain::role::Role;

#[derive(Template)]
#[template(path = "staff_home.html")]
struct HomePage {
    chrome: Chrome,
    csrf: String,
    home: StaffHome,
}

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let home = state.app.staff_home(&ctx.actor, &ctx.request).await?;
    let chrome = Chrome::for_ctx(&state, &ctx, "Home").await?;
    let csrf = chrome.csrf.clone().unwrap_or_default();
    Ok(page(&HomePage { chrome, csrf, home }))
}

#[derive(Template)]
#[template(path = "staff_patient.html")]
struct PatientPage {
    chrome: Chrome,
    patient: Patient,
}

/// A malformed id answers exactly like a missing record.
pub fn patient_id(raw: &str) -> Result<PatientId, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

pub async fn patient(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let patient = state
        .app
        .view_patient(&ctx.actor, patient_id(&id)?, &ctx.request)
        .await?;
    let chrome = Chrome::for_ctx(&state, &ctx, &patient.full_name()).await?;
    Ok(page(&PatientPage { chrome, patient }))
}

#[derive(Template)]
#[template(path = "staff_list.html")]
struct StaffListPage {
    chrome: Chrome,
    staff: Vec<(StaffMember, Vec<Role>)>,
}

pub async fn staff_list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let staff = state.app.list_staff(&ctx.actor).await?;
    Ok(page(&StaffListPage {
        chrome: Chrome::for_ctx(&state, &ctx, "Staff").await?,
        staff,
    }))
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    chrome: Chrome,
    figures: ServiceFigures,
}

pub async fn reports(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let figures = state.app.service_figures(&ctx.actor).await?;
    Ok(page(&ReportsPage {
        chrome: Chrome::for_ctx(&state, &ctx, "Reports").await?,
        figures,
    }))
}

#[derive(serde::Deserialize)]
pub struct ServiceForm {
    #[serde(default)]
    service: String,
}

/// Switches the session to another service the person works in.
pub async fn choose_service(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(form): axum::Form<ServiceForm>,
) -> Result<Response, WebError> {
    let id = state.app.choose_service(&ctx.actor, &form.service).await?;
    let session = ctx.session.as_ref().ok_or(AppError::Unauthenticated)?;
    crate::auth::set_service(session, id).await?;
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Redirect::to("/staff"),
    ))
}
