//! Programme enrolments on the staff patient page: the person's enrolments
//! with their progress, "Unlock next module", pause and resume, and the
//! form that enrols them on a programme with a supporter.

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::format::uk_time;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::AppError;
use bothy_app::enrolments::SupporterChoices;
use bothy_domain::StaffId;
use bothy_domain::ids::EnrolmentId;
use bothy_domain::programmes::Kind;
use bothy_domain::programmes::enrolment::{Enrolment, ModuleState, Status};
use std::collections::HashMap;

/// One enrolment as the staff patient page lists it.
pub struct EnrolmentRow {
    pub id: String,
    pub title: String,
    pub version: String,
    pub status: &'static str,
    pub paused: bool,
    pub finished: bool,
    pub done: u32,
    pub total: u32,
    pub supporter: String,
    pub enrolled: String,
    /// Each module's title and state in words.
    pub modules: Vec<(String, &'static str)>,
    /// The next module staff may open: its number and title.
    pub unlock: Option<(u32, String)>,
}

/// The programmes section of the staff patient page.
pub struct Section {
    pub enrolments: Vec<EnrolmentRow>,
    /// (id, title and version) of every programme that may be chosen.
    pub programmes: Vec<(String, String)>,
    /// (id, name) of every possible supporter, when the form lists them.
    pub supporters: Vec<(String, String)>,
    /// The service has more supporters than a list can offer: the form
    /// asks for the supporter's email address.
    pub supporter_by_email: bool,
}

/// A module's state in words.
pub fn state_words(s: ModuleState) -> &'static str {
    match s {
        ModuleState::Locked => "Not open yet",
        ModuleState::Open => "Open",
        ModuleState::Done => "Done",
    }
}

fn row(e: &Enrolment, names: &HashMap<StaffId, String>) -> EnrolmentRow {
    let supporter = e.supporter_id.map_or_else(
        || "None".to_string(),
        |id| {
            names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| "A former member of staff".into())
        },
    );
    EnrolmentRow {
        id: e.id.to_string(),
        title: e.programme.title.clone(),
        version: e.programme.version.clone(),
        status: e.status.label(),
        paused: e.status == Status::Paused,
        finished: e.status == Status::Finished,
        done: e.done(),
        total: e.total(),
        supporter,
        enrolled: uk_time(e.enrolled_at),
        modules: (1..=e.total())
            .filter_map(|n| Some((e.module(n)?.title.clone(), state_words(e.state(n)))))
            .collect(),
        unlock: match e.status {
            Status::Active => e
                .next_to_unlock()
                .and_then(|n| Some((n, e.module(n)?.title.clone()))),
            _ => None,
        },
    }
}

/// The section for a patient: their enrolments (read with their record)
/// and the form's choices.
pub fn section(state: &AppState, list: &[Enrolment], supporters: &SupporterChoices) -> Section {
    Section {
        enrolments: list.iter().map(|e| row(e, &supporters.names)).collect(),
        programmes: state
            .app
            .programmes()
            .all()
            .into_iter()
            .map(|p| {
                let kind = match p.kind {
                    Kind::Guided => "guided",
                    Kind::Library => "self-help",
                };
                (
                    p.id.clone(),
                    format!("{} ({kind}, version {})", p.title, p.version),
                )
            })
            .collect(),
        supporters: supporters
            .listed
            .iter()
            .map(|s| (s.id.to_string(), s.name.clone()))
            .collect(),
        supporter_by_email: supporters.by_email,
    }
}

fn enrolment_id(raw: &str) -> Result<EnrolmentId, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

fn back_to(e: &Enrolment) -> Response {
    Redirect::to(&format!("/staff/patients/{}#programmes", e.patient_id)).into_response()
}

#[derive(serde::Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    programme: String,
    #[serde(default)]
    supporter: String,
    #[serde(default)]
    supporter_email: String,
}

/// `POST /staff/patients/{id}/enrolments`.
pub async fn enrol(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<EnrolForm>,
) -> Result<Response, WebError> {
    let patient = super::staff::patient_id(&id)?;
    let supporter = match (f.supporter.trim(), f.supporter_email.trim()) {
        ("", "") => None,
        ("", email) => Some(
            state
                .app
                .enrolments()
                .supporter_by_email(&ctx.actor, email)
                .await?,
        ),
        (s, _) => Some(
            s.parse::<StaffId>()
                .map_err(|_| AppError::field("supporter", "Choose a supporter from the list"))?,
        ),
    };
    let e = state
        .app
        .enrolments()
        .enrol(
            &ctx.actor,
            patient,
            f.programme.trim(),
            supporter,
            &ctx.request,
        )
        .await?;
    Ok(back_to(&e))
}

#[derive(serde::Deserialize)]
pub struct ModuleForm {
    #[serde(default)]
    module: String,
}

/// The module number a form names; anything else is a field error.
pub fn module_number(raw: &str) -> Result<u32, WebError> {
    raw.trim()
        .parse()
        .map_err(|_| AppError::field("module", "There is no such module").into())
}

/// `POST /staff/enrolments/{enrolment}/unlock`: opens the module the form
/// names (the next one), so a double click opens one module, not two.
pub async fn unlock(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ModuleForm>,
) -> Result<Response, WebError> {
    let e = state
        .app
        .enrolments()
        .unlock(
            &ctx.actor,
            enrolment_id(&id)?,
            module_number(&f.module)?,
            &ctx.request,
        )
        .await?;
    Ok(back_to(&e))
}

async fn set_status(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    to: Status,
) -> Result<Enrolment, WebError> {
    Ok(state
        .app
        .enrolments()
        .set_status(&ctx.actor, enrolment_id(id)?, to, &ctx.request)
        .await?)
}

/// `POST /staff/enrolments/{enrolment}/pause`.
pub async fn pause(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    Ok(back_to(
        &set_status(&state, &ctx, &id, Status::Paused).await?,
    ))
}

/// `POST /staff/enrolments/{enrolment}/resume`.
pub async fn resume(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    Ok(back_to(
        &set_status(&state, &ctx, &id, Status::Active).await?,
    ))
}

/// The patient's own pause and resume (`/programme/{enrolment}/pause`, `/resume`).
pub async fn patient_set_status(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    to: Status,
) -> Result<Response, WebError> {
    let e = set_status(state, ctx, id, to).await?;
    Ok(Redirect::to(&format!("/programme/{}", e.id)).into_response())
}

pub fn parse_enrolment(raw: &str) -> Result<EnrolmentId, WebError> {
    enrolment_id(raw)
}
