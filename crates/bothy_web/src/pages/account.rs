//! The signed-in person's own pages: patient home and account settings.

use super::field_errors;
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::layout::{Chrome, html, page};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::{Actor, AppError, FieldError};
use bothy_domain::model::Patient;

#[derive(Template)]
#[template(path = "patient_home.html")]
struct PatientHome {
    chrome: Chrome,
    patient: Patient,
    due: Vec<bothy_app::measures::DueMeasure>,
    saved: bool,
    csrf: String,
    /// The idempotency key for the mood buttons, so a double tap stores one check-in.
    check_in_key: String,
    /// Each enrolment's next step and progress.
    programmes: Vec<super::programme::HomeEntry>,
    /// Messages from the care team not yet read.
    unread_messages: i64,
    /// Appointments still to come, with the join link for video.
    appointments: Vec<super::appointments::Row>,
}

#[derive(serde::Deserialize)]
pub struct HomeQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn patient_home(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HomeQuery>,
) -> Result<Response, WebError> {
    let Actor::Patient(p) = &ctx.actor else {
        return Err(AppError::Forbidden.into());
    };
    let patient = state
        .app
        .records()
        .patient(&ctx.actor, p.id, &ctx.request)
        .await?;
    let due = state.app.measures().due(&ctx.actor).await?;
    let enrolments = state
        .app
        .enrolments()
        .of_patient(&ctx.actor, p.id, &ctx.request)
        .await?;
    let unread_messages = state.app.messages().unread_for_me(&ctx.actor).await?;
    let appointments = super::appointments::upcoming_for_patient(&state, &ctx, p.id).await?;
    let new_feedback = state.app.reviews().unread_for_me(&ctx.actor).await?;
    let chrome = Chrome::for_ctx(&state, &ctx, "Home").await?;
    let csrf = chrome.csrf.clone().unwrap_or_default();
    Ok(page(&PatientHome {
        appointments,
        unread_messages,
        chrome,
        patient,
        due,
        saved: q.saved.is_some(),
        csrf,
        check_in_key: super::check_ins::new_key(),
        programmes: super::programme::home_entries(&enrolments, &new_feedback),
    }))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    csrf: String,
    changed: bool,
    errors: Vec<FieldError>,
    /// For a patient: how we may contact them, as radio buttons.
    contact: Vec<super::refer::Choice>,
    contact_saved: bool,
    /// For a patient: their daily check-in reminder's times (time, chosen).
    prompt_times: Vec<(String, bool)>,
    prompt_hint: &'static str,
    prompt_saved: bool,
}

#[derive(serde::Deserialize)]
pub struct AccountQuery {
    #[serde(default)]
    changed: Option<String>,
    #[serde(default)]
    contact: Option<String>,
    #[serde(default)]
    prompt: Option<String>,
}

/// The contact question's answers, in the order the page offers them.
const CONTACT_CHOICES: [&str; 5] = ["email", "sms", "both", "both_sms", "none"];

fn contact_choices(current: &str) -> Vec<super::refer::Choice> {
    CONTACT_CHOICES
        .iter()
        .enumerate()
        .map(|(i, v)| super::refer::Choice {
            // The first radio's id is the field name, for the error summary's link.
            id: if i == 0 {
                "contact".into()
            } else {
                format!("contact-{v}")
            },
            value: (*v).into(),
            label: bothy_domain::contact::ContactChoice::from_form(v)
                .map(|c| c.label())
                .unwrap_or_default()
                .into(),
            checked: *v == current,
        })
        .collect()
}

/// What the account page says it just saved.
#[derive(Default, Clone, Copy)]
struct Saved {
    password: bool,
    contact: bool,
    prompt: bool,
}

async fn account_page(
    state: &AppState,
    ctx: &Ctx,
    saved: Saved,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let (contact, prompt_times) = match &ctx.actor {
        Actor::Patient(p) => {
            let mine = state.app.contact().mine(&ctx.actor).await?;
            let prompt = state
                .app
                .check_in_prompts()
                .of(&ctx.actor, p.id, &ctx.request)
                .await?;
            (
                contact_choices(mine.form_value()),
                super::check_ins::prompt_times(&prompt.offered, prompt.chosen),
            )
        }
        _ => (Vec::new(), Vec::new()),
    };
    let chrome = Chrome::for_ctx(state, ctx, "Your account").await?;
    let csrf = chrome.csrf.clone().ok_or(AppError::Unauthenticated)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(
        status,
        &AccountPage {
            chrome,
            csrf,
            changed: saved.password,
            errors,
            contact,
            contact_saved: saved.contact,
            prompt_times,
            prompt_hint: "Each day at this time (UK time) we will remind you to check in: by text \
                message if that is how we contact you, and you can reply with a number. No \
                reminder on a day you have checked in already.",
            prompt_saved: saved.prompt,
        },
    ))
}

pub async fn account(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AccountQuery>,
) -> Result<Response, WebError> {
    let saved = Saved {
        password: q.changed.is_some(),
        contact: q.contact.is_some(),
        prompt: q.prompt.is_some(),
    };
    account_page(&state, &ctx, saved, Vec::new()).await
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<PasswordForm>,
) -> Result<Response, WebError> {
    let session = ctx.session.as_ref().ok_or(AppError::Unauthenticated)?;
    let this = session.id().map(|id| id.to_string());
    let r = state
        .app
        .accounts()
        .change_password(
            &ctx.actor,
            &f.current_password,
            &f.new_password,
            &f.confirm,
            this.as_deref(),
            &ctx.request,
        )
        .await;
    match field_errors(r)? {
        Ok(()) => {
            // The account's other sessions have ended; this one carries on
            // under a new id, so an id seen before the change is worthless.
            session.cycle_id().await.map_err(WebError::internal)?;
            Ok(Redirect::to("/account?changed=1").into_response())
        }
        Err(errors) => account_page(&state, &ctx, Saved::default(), errors).await,
    }
}

#[derive(serde::Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    contact: String,
}

/// A patient changes how they may be contacted.
pub async fn change_contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ContactForm>,
) -> Result<Response, WebError> {
    let r = state
        .app
        .contact()
        .set_mine(&ctx.actor, &ctx.request, &f.contact)
        .await
        .map(|_| ());
    match field_errors(r)? {
        Ok(()) => Ok(Redirect::to("/account?contact=saved").into_response()),
        Err(errors) => account_page(&state, &ctx, Saved::default(), errors).await,
    }
}

/// A patient sets or removes the time of their daily check-in reminder.
pub async fn change_check_in_prompt(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<super::check_ins::PromptForm>,
) -> Result<Response, WebError> {
    let Actor::Patient(p) = &ctx.actor else {
        return Err(AppError::Forbidden.into());
    };
    let r = state
        .app
        .check_in_prompts()
        .set(&ctx.actor, p.id, &f.prompt_time, &ctx.request)
        .await
        .map(|_| ());
    match field_errors(r)? {
        Ok(()) => Ok(Redirect::to("/account?prompt=saved").into_response()),
        Err(errors) => account_page(&state, &ctx, Saved::default(), errors).await,
    }
}
