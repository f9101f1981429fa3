//! The thought record: the form, and the person's past records, newest
//! first.

use super::{SavedQuery, frame, new_key};
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::format::uk_time;
use crate::layout::{Chrome, html};
use crate::pages::alerts::RiskSupport;
use crate::pages::field_errors;
use crate::pages::refer::{Errs, Fields};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::tools::ToolInput;
use bothy_app::{Actor, AppError, FieldError};
use bothy_domain::tools::thought_record::{ThoughtRecord, ThoughtRecordInput};
use bothy_domain::tools::{Entry, ToolEntry, ToolKind};

/// Past records shown under the form.
const SHOWN: i64 = 50;

/// One past record, as the page shows it.
pub struct RecordView {
    pub when: String,
    pub situation: String,
    pub feelings: String,
    pub feeling_before: u8,
    pub hot_thought: String,
    pub belief_before: u8,
    pub evidence_for: String,
    pub evidence_against: String,
    pub balanced_thought: String,
    pub balanced_belief: String,
    pub feeling_after: String,
}

fn view(e: &ToolEntry, r: &ThoughtRecord) -> RecordView {
    let text = |t: &Option<String>| t.clone().unwrap_or_default();
    let rating = |r: Option<u8>| r.map(|r| r.to_string()).unwrap_or_default();
    RecordView {
        when: uk_time(e.recorded_at),
        situation: r.situation.clone(),
        feelings: r.feelings.clone(),
        feeling_before: r.feeling_before,
        hot_thought: r.hot_thought.clone(),
        belief_before: r.belief_before,
        evidence_for: text(&r.evidence_for),
        evidence_against: text(&r.evidence_against),
        balanced_thought: text(&r.balanced_thought),
        balanced_belief: rating(r.balanced_belief),
        feeling_after: rating(r.feeling_after),
    }
}

/// Thought records among `entries`, as the page shows them.
pub fn views(entries: &[ToolEntry]) -> Vec<RecordView> {
    entries
        .iter()
        .filter_map(|e| match &e.entry {
            Entry::ThoughtRecord(r) => Some(view(e, r)),
            Entry::SleepDiary(_) | Entry::Form(_) => None,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "thought_record.html")]
struct ThoughtRecordPage {
    chrome: Chrome,
    csrf: String,
    key: String,
    v: ThoughtRecordInput,
    errors: Vec<FieldError>,
    errs: Errs,
    saved: bool,
    support: Option<RiskSupport>,
    records: Vec<RecordView>,
}

/// The page: the form (with what was typed and its errors, if any) above
/// the person's past records.
async fn render(
    state: &AppState,
    ctx: &Ctx,
    v: ThoughtRecordInput,
    key: String,
    errors: Vec<FieldError>,
    q: SavedQuery,
) -> Result<Response, WebError> {
    let Actor::Patient(p) = &ctx.actor else {
        return Err(AppError::Forbidden.into());
    };
    let entries = state
        .app
        .tools()
        .entries(
            &ctx.actor,
            p.id,
            Some(ToolKind::ThoughtRecord),
            SHOWN,
            &ctx.request,
        )
        .await?;
    let failed = !errors.is_empty();
    // Risk words show the crisis contacts even when the form is refused.
    let typed_risk = failed && state.app.tools().has_risk(&typed_texts(&v));
    let f = frame(
        state,
        ctx,
        "Thought record",
        failed,
        q.risk.is_some() || typed_risk,
    )
    .await?;
    Ok(html(
        f.status,
        &ThoughtRecordPage {
            chrome: f.chrome,
            csrf: f.csrf,
            key,
            v,
            errs: Errs(errors.clone()),
            errors,
            saved: q.saved.is_some(),
            support: f.support,
            records: views(&entries),
        },
    ))
}

fn typed_texts(v: &ThoughtRecordInput) -> Vec<&str> {
    [
        &v.situation,
        &v.feelings,
        &v.hot_thought,
        &v.evidence_for,
        &v.evidence_against,
        &v.balanced_thought,
    ]
    .into_iter()
    .map(|s| s.trim())
    .filter(|s| !s.is_empty())
    .collect()
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SavedQuery>,
) -> Result<Response, WebError> {
    render(
        &state,
        &ctx,
        ThoughtRecordInput::default(),
        new_key(),
        Vec::new(),
        q,
    )
    .await
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    if !matches!(ctx.actor, Actor::Patient(_)) {
        return Err(AppError::Forbidden.into());
    }
    let f = Fields(fields);
    let v = ThoughtRecordInput {
        situation: f.get("situation"),
        feelings: f.get("feelings"),
        feeling_before: f.get("feeling_before"),
        hot_thought: f.get("hot_thought"),
        belief_before: f.get("belief_before"),
        evidence_for: f.get("evidence_for"),
        evidence_against: f.get("evidence_against"),
        balanced_thought: f.get("balanced_thought"),
        balanced_belief: f.get("balanced_belief"),
        feeling_after: f.get("feeling_after"),
    };
    let key = f.get("key");
    let saved = state
        .app
        .tools()
        .record(
            &ctx.actor,
            ToolInput::ThoughtRecord(v.clone()),
            &key,
            &ctx.request,
        )
        .await;
    match field_errors(saved)? {
        // A double tap or a resent form lands on the same page.
        Ok(done) if done.risk => {
            Ok(Redirect::to("/tools/thought-record?saved=1&risk=1").into_response())
        }
        Ok(_) => Ok(Redirect::to("/tools/thought-record?saved=1").into_response()),
        Err(errors) => render(&state, &ctx, v, key, errors, SavedQuery::default()).await,
    }
}
