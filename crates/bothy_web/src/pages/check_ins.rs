//! Check-ins: the fuller form (sleep, activity, a note, when), saving one
//! (also from the mood buttons on the patient home), and the person's own
//! timeline with its chart.

use super::field_errors;
use crate::AppState;
use crate::auth::Ctx;
use crate::chart::mood_chart;
use crate::error::WebError;
use crate::form::Form;
use crate::format::{london, uk_time};
use crate::layout::{Chrome, html, page};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::check_ins::CheckInInput;
use bothy_app::{Actor, AppError, FieldError};
use bothy_domain::check_in::{Activity, CheckIn};
use bothy_domain::time::Timestamp;

/// A new idempotency key for a check-in form.
pub fn new_key() -> String {
    bothy_domain::ids::CheckInId::random().to_string()
}

/// One check-in as a table row.
pub struct CheckInRow {
    pub when: String,
    pub mood: u8,
    pub sleep: String,
    pub activity: String,
    pub note: String,
}

pub fn rows(check_ins: &[CheckIn]) -> Vec<CheckInRow> {
    check_ins
        .iter()
        .map(|c| CheckInRow {
            when: uk_time(c.checked_in_at),
            mood: c.mood,
            sleep: c
                .sleep_hours
                .map(|h| format!("{h} hours"))
                .unwrap_or_else(|| "Not given".into()),
            activity: c
                .activity
                .map(|a| a.label().to_string())
                .unwrap_or_else(|| "Not given".into()),
            note: c.note.clone().unwrap_or_default(),
        })
        .collect()
}

/// The chart of check-ins given newest first, drawn oldest first.
pub fn chart(check_ins: &[CheckIn], id: &str) -> String {
    let mut oldest_first = check_ins.to_vec();
    oldest_first.reverse();
    mood_chart(&oldest_first, id)
}

pub struct ActivityOption {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "check_in_form.html")]
struct FormPage {
    chrome: Chrome,
    csrf: String,
    key: String,
    moods: Vec<(u8, bool)>,
    sleep: String,
    activities: Vec<ActivityOption>,
    note: String,
    at: String,
    errors: Vec<FieldError>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(Default)]
struct Values {
    mood: String,
    sleep: String,
    activity: String,
    note: String,
    at: String,
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    v: Values,
    key: String,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let title = if errors.is_empty() {
        "Check in"
    } else {
        "Error: Check in"
    };
    let chrome = Chrome::for_ctx(state, ctx, title).await?;
    let csrf = chrome.csrf.clone().ok_or(AppError::Unauthenticated)?;
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
            key,
            moods: (0..=10u8)
                .map(|n| (n, v.mood.trim() == n.to_string()))
                .collect(),
            sleep: v.sleep,
            activities: Activity::ALL
                .into_iter()
                .map(|a| ActivityOption {
                    value: a.as_str(),
                    label: a.label(),
                    checked: v.activity == a.as_str(),
                })
                .collect(),
            note: v.note,
            at: v.at,
            errors,
        },
    ))
}

pub async fn form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    if !matches!(ctx.actor, Actor::Patient(_)) {
        return Err(AppError::Forbidden.into());
    }
    form_page(&state, &ctx, Values::default(), new_key(), Vec::new()).await
}

/// Reads the optional "when" field (`YYYY-MM-DDTHH:MM`, UK time, as a
/// `datetime-local` input sends it). Empty means now.
fn read_at(raw: &str) -> Result<Option<Timestamp>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(london()).ok())
        .map(|z| Some(z.timestamp()))
        .ok_or_else(|| FieldError {
            field: "at".into(),
            message: "Enter the date and time like 2026-03-02T09:30, or leave it empty for now"
                .into(),
        })
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    if !matches!(ctx.actor, Actor::Patient(_)) {
        return Err(AppError::Forbidden.into());
    }
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let v = Values {
        mood: get("mood"),
        sleep: get("sleep"),
        activity: get("activity"),
        note: get("note"),
        at: get("at"),
    };
    let key = get("key");
    let at = match read_at(&v.at) {
        Ok(at) => at,
        Err(e) => return form_page(&state, &ctx, v, key, vec![e]).await,
    };
    let input = CheckInInput {
        mood: v.mood.clone(),
        sleep: v.sleep.clone(),
        activity: v.activity.clone(),
        note: v.note.clone(),
        at,
        idempotency_key: key.clone(),
    };
    match field_errors(
        state
            .app
            .check_ins()
            .record(&ctx.actor, input, &ctx.request)
            .await,
    )? {
        // A double tap or a resent form lands on the same confirmation.
        Ok(done) if done.risk => Ok(Redirect::to("/check-ins?saved=1&risk=1").into_response()),
        Ok(_) => Ok(Redirect::to("/check-ins?saved=1").into_response()),
        Err(errors) => form_page(&state, &ctx, v, key, errors).await,
    }
}

#[derive(Template)]
#[template(path = "check_ins.html")]
struct TimelinePage {
    chrome: Chrome,
    saved: bool,
    svg: String,
    rows: Vec<CheckInRow>,
    /// After a low check-in: what has helped before.
    coping: Option<super::safety_plan::CopingView>,
    /// After risk words in a note: their safety plan and who is watching.
    support: Option<super::alerts::RiskSupport>,
}

#[derive(serde::Deserialize)]
pub struct TimelineQuery {
    #[serde(default)]
    saved: Option<String>,
    /// Set after a check-in whose note has risk words. Anyone can add it to
    /// the address; all it does is show the crisis contacts and their plan.
    #[serde(default)]
    risk: Option<String>,
}

pub async fn timeline(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<TimelineQuery>,
) -> Result<Response, WebError> {
    let Actor::Patient(p) = &ctx.actor else {
        return Err(AppError::Forbidden.into());
    };
    let check_ins = state
        .app
        .check_ins()
        .recent(&ctx.actor, p.id, 100, &ctx.request)
        .await?;
    let coping = match q.saved {
        Some(_) => super::safety_plan::after_check_in(&state, &ctx, &check_ins).await?,
        None => None,
    };
    let support = match q.risk {
        Some(_) => Some(super::alerts::risk_support(&state, &ctx).await),
        None => None,
    };
    let mut chrome = Chrome::for_ctx(&state, &ctx, "Your check-ins").await?;
    if support.is_some() {
        chrome.urgent = Some(crate::layout::UrgentPanel::note());
    }
    Ok(page(&TimelinePage {
        chrome,
        support,
        coping,
        saved: q.saved.is_some(),
        svg: chart(&check_ins, "mood-chart"),
        rows: rows(&check_ins),
    }))
}

/// The daily check-in reminder's form: a time ("18:30") or none ("").
#[derive(serde::Deserialize)]
pub struct PromptForm {
    #[serde(default)]
    pub prompt_time: String,
}

/// The reminder's times for a select: (time, whether chosen).
pub fn prompt_times(
    offered: &[bothy_domain::reminders::PromptTime],
    chosen: Option<bothy_domain::reminders::PromptTime>,
) -> Vec<(String, bool)> {
    offered
        .iter()
        .map(|t| (t.to_string(), Some(*t) == chosen))
        .collect()
}
