//! The patient's safety plan: reading it, writing and editing it (every save
//! a new version), the same plan on the staff patient page, and the short
//! list of what has helped before shown after a low check-in.

use super::field_errors;
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::format::uk_time;
use crate::layout::{Chrome, html, page};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::{Actor, AppError, FieldError};
use bothy_domain::check_in::CheckIn;
use bothy_domain::safety_plan::{
    SafetyPlan, SafetyPlanText, Section, StoredSafetyPlan, is_low_mood,
};

/// One section as pages show it.
pub struct SectionView {
    pub field: &'static str,
    pub label: &'static str,
    pub items: Vec<String>,
}

/// A saved plan as pages show it.
pub struct PlanView {
    pub saved: String,
    pub version: i64,
    pub sections: Vec<SectionView>,
}

fn sections(plan: &SafetyPlan) -> Vec<SectionView> {
    Section::ALL
        .into_iter()
        .map(|s| SectionView {
            field: s.field(),
            label: s.label(),
            items: plan.items(s).to_vec(),
        })
        .collect()
}

pub fn plan_view(stored: Option<StoredSafetyPlan>) -> Option<PlanView> {
    stored.map(|s| PlanView {
        saved: uk_time(s.saved_at),
        version: s.version,
        sections: sections(&s.plan),
    })
}

fn patient(ctx: &Ctx) -> Result<bothy_domain::PatientId, WebError> {
    match &ctx.actor {
        Actor::Patient(p) => Ok(p.id),
        _ => Err(AppError::Forbidden.into()),
    }
}

#[derive(Template)]
#[template(path = "safety_plan.html")]
struct ViewPage {
    chrome: Chrome,
    saved: bool,
    plan: Option<PlanView>,
}

#[derive(serde::Deserialize)]
pub struct ViewQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn view(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ViewQuery>,
) -> Result<Response, WebError> {
    let id = patient(&ctx)?;
    let stored = state
        .app
        .safety_plans()
        .current(&ctx.actor, id, &ctx.request)
        .await?;
    let chrome = Chrome::for_ctx(&state, &ctx, "Your safety plan").await?;
    Ok(page(&ViewPage {
        chrome,
        saved: q.saved.is_some(),
        plan: plan_view(stored),
    }))
}

/// One textarea of the form.
struct FieldView {
    field: &'static str,
    label: &'static str,
    question: &'static str,
    text: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "safety_plan_form.html")]
struct FormPage {
    chrome: Chrome,
    csrf: String,
    fields: Vec<FieldView>,
    errors: Vec<FieldError>,
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    text: &SafetyPlanText,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let title = if errors.is_empty() {
        "Write your safety plan"
    } else {
        "Error: Write your safety plan"
    };
    let chrome = Chrome::for_ctx(state, ctx, title).await?;
    let csrf = chrome.csrf.clone().ok_or(AppError::Unauthenticated)?;
    let fields = Section::ALL
        .into_iter()
        .map(|s| FieldView {
            field: s.field(),
            label: s.label(),
            question: s.question(),
            text: text.section(s).to_string(),
            error: errors
                .iter()
                .find(|e| e.field == s.field())
                .map(|e| e.message.clone()),
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(
        status,
        &FormPage {
            chrome,
            csrf,
            fields,
            errors,
        },
    ))
}

pub async fn edit_form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let id = patient(&ctx)?;
    let stored = state
        .app
        .safety_plans()
        .current(&ctx.actor, id, &ctx.request)
        .await?;
    let text = stored.map(|s| s.plan.to_text()).unwrap_or_default();
    form_page(&state, &ctx, &text, Vec::new()).await
}

#[derive(serde::Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    warning_signs: String,
    #[serde(default)]
    coping_strategies: String,
    #[serde(default)]
    people_and_places: String,
    #[serde(default)]
    professionals: String,
    #[serde(default)]
    safe_environment: String,
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<PlanForm>,
) -> Result<Response, WebError> {
    patient(&ctx)?;
    let text = SafetyPlanText {
        warning_signs: f.warning_signs,
        coping_strategies: f.coping_strategies,
        people_and_places: f.people_and_places,
        professionals: f.professionals,
        safe_environment: f.safe_environment,
    };
    let saved = state
        .app
        .safety_plans()
        .save(&ctx.actor, text.clone(), &ctx.request)
        .await;
    match field_errors(saved)? {
        Ok(_) => Ok(Redirect::to("/safety-plan?saved=1").into_response()),
        Err(errors) => form_page(&state, &ctx, &text, errors).await,
    }
}

/// What the check-in confirmation shows after a low mood.
pub struct CopingView {
    /// `None`: no safety plan yet.
    pub suggestions: Option<Vec<String>>,
}

/// After a check-in is saved: when the check-in just stored (the most
/// recently recorded, whatever time it is dated) has a low mood, the
/// person's own coping suggestions, or a prompt to write a plan.
pub async fn after_check_in(
    state: &AppState,
    ctx: &Ctx,
    check_ins: &[CheckIn],
) -> Result<Option<CopingView>, WebError> {
    let latest = check_ins.iter().max_by_key(|c| c.recorded_at);
    if !latest.is_some_and(|c| is_low_mood(c.mood)) {
        return Ok(None);
    }
    let suggestions = state
        .app
        .safety_plans()
        .coping_suggestions(&ctx.actor, &ctx.request)
        .await?
        .map(|s| s.into_iter().map(|s| s.text).collect());
    Ok(Some(CopingView { suggestions }))
}
