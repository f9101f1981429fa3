//! The dead-letter list for administrators: failed jobs, with a form each
//! to retry or cancel (plain POSTs with the CSRF token, no script).

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::layout::{Chrome, page};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::dead_letters::{DeadLetter, DeadLetterAction};

#[derive(Template)]
#[template(path = "admin_jobs.html")]
struct DeadLettersPage {
    chrome: Chrome,
    csrf: String,
    rows: Vec<Row>,
    done: Option<&'static str>,
}

struct Row {
    d: DeadLetter,
    what: String,
    failed_at: String,
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let letters = state
        .app
        .jobs()
        .dead_letters(&ctx.actor, &ctx.request)
        .await?;
    let rows = letters
        .into_iter()
        .map(|d| Row {
            what: match &d.message {
                Some((template, channel)) => format!("{template} ({channel})"),
                None => d.kind.clone(),
            },
            failed_at: d.failed_at.map(crate::format::uk_time).unwrap_or_default(),
            d,
        })
        .collect();
    let chrome = Chrome::for_ctx(&state, &ctx, "Failed jobs").await?;
    let csrf = chrome.csrf.clone().unwrap_or_default();
    let done = match q.done.as_deref() {
        Some("retried") => Some("The job is back in the queue and will run shortly."),
        Some("cancelled") => Some("The job was cancelled."),
        _ => None,
    };
    Ok(page(&DeadLettersPage {
        chrome,
        csrf,
        rows,
        done,
    }))
}

async fn act(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    action: DeadLetterAction,
) -> Result<Response, WebError> {
    // Ids are UUIDs: anything else names no job.
    if uuid_like(id) {
        state
            .app
            .jobs()
            .act_on_dead_letter(&ctx.actor, &ctx.request, id, action)
            .await?;
    } else {
        return Err(bothy_app::AppError::NotFound.into());
    }
    let done = match action {
        DeadLetterAction::Retry => "retried",
        DeadLetterAction::Cancel => "cancelled",
    };
    Ok(Redirect::to(&format!("/staff/admin/jobs?done={done}")).into_response())
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

pub async fn retry(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    act(&state, &ctx, &id, DeadLetterAction::Retry).await
}

pub async fn cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    act(&state, &ctx, &id, DeadLetterAction::Cancel).await
}
