//! The interactive tools: their list (linked from the patient home), the
//! thought record and the sleep diary. Each tool's page is its form above
//! the person's past entries; a save redirects back to it (303), a form
//! that cannot be saved comes back with the error summary (422) and what
//! was typed, and risk words in what was written put the crisis contacts
//! at the top of the page returned, saved or not.

pub mod forms;
pub mod sleep_diary;
pub mod thought_record;

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::layout::{Chrome, UrgentPanel, page};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use bothy_app::{Actor, AppError};

/// A new idempotency key for a tool's form: a double-tapped Save, or the
/// form sent again, stores one entry.
pub fn new_key() -> String {
    bothy_domain::ids::ToolEntryId::random().to_string()
}

/// After a save: `?saved=1`, and `&risk=1` when the entry has risk words.
/// Anyone can add `risk=1` to the address; all it does is show the crisis
/// contacts and their safety plan.
#[derive(serde::Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    risk: Option<String>,
}

/// The crisis panel and the person's support, when what they wrote has
/// risk words: `saved` says whether it reached their care team.
pub async fn support(
    state: &AppState,
    ctx: &Ctx,
    chrome: &mut Chrome,
    risk: bool,
    saved: bool,
) -> Option<super::alerts::RiskSupport> {
    if !risk {
        return None;
    }
    chrome.urgent = Some(if saved {
        UrgentPanel::tool_entry()
    } else {
        UrgentPanel::unsaved_entry()
    });
    Some(super::alerts::risk_support(state, ctx).await)
}

/// What every tool page has around its form: the chrome (titled
/// "Error: ..." when a save was refused), the form's CSRF token, the
/// crisis panel and support when `risk`, and the status (422 if refused).
pub struct Frame {
    pub chrome: Chrome,
    pub csrf: String,
    pub support: Option<super::alerts::RiskSupport>,
    pub status: axum::http::StatusCode,
}

/// The frame of a tool's page; `failed` when a save was refused.
pub async fn frame(
    state: &AppState,
    ctx: &Ctx,
    title: &str,
    failed: bool,
    risk: bool,
) -> Result<Frame, WebError> {
    let title = if failed {
        format!("Error: {title}")
    } else {
        title.to_string()
    };
    let mut chrome = Chrome::for_ctx(state, ctx, &title).await?;
    let csrf = chrome.csrf.clone().ok_or(AppError::Unauthenticated)?;
    let support = support(state, ctx, &mut chrome, risk, !failed).await;
    let status = if failed {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok(Frame {
        chrome,
        csrf,
        support,
        status,
    })
}

#[derive(Template)]
#[template(path = "tools.html")]
struct ToolsPage {
    chrome: Chrome,
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    if !matches!(ctx.actor, Actor::Patient(_)) {
        return Err(AppError::Forbidden.into());
    }
    Ok(page(&ToolsPage {
        chrome: Chrome::for_ctx(&state, &ctx, "Tools").await?,
    }))
}

/// The page of a tool a programme embeds.
pub fn path(tool: bothy_domain::programmes::Tool) -> &'static str {
    use bothy_domain::programmes::Tool;
    match tool {
        Tool::ThoughtRecord => "/tools/thought-record",
        Tool::SleepDiary => "/tools/sleep-diary",
        Tool::ActivityDiary => forms::ACTIVITIES.path,
        Tool::WorryLog => forms::WORRIES.path,
        Tool::ExposureHierarchy => forms::EXPOSURE.path,
        Tool::Goals => forms::GOALS.path,
    }
}

/// One tool entry as a line on the staff patient page.
pub struct StaffLine {
    pub tool: &'static str,
    pub when: String,
    /// The entry in a few plain sentences; free text as the person wrote it.
    pub text: String,
}

/// Entries as lines for staff; an entry that belongs to another (a practice
/// of a step) names it when that one is among `entries`.
pub fn staff_lines_of(entries: &[bothy_domain::tools::ToolEntry]) -> Vec<StaffLine> {
    entries.iter().map(|e| staff_line(e, entries)).collect()
}

fn staff_line(
    e: &bothy_domain::tools::ToolEntry,
    entries: &[bothy_domain::tools::ToolEntry],
) -> StaffLine {
    use bothy_domain::tools::Entry;
    let text = match &e.entry {
        Entry::Form(_) => {
            let named = |id| {
                entries
                    .iter()
                    .find(|o| o.id == id)
                    .map_or("an earlier entry".to_string(), forms::name_of)
            };
            forms::lines(e, &named)
                .into_iter()
                .map(|(what, shown)| format!("{what}: {shown}"))
                .collect::<Vec<_>>()
                .join(" · ")
        }
        Entry::ThoughtRecord(r) => {
            let mut parts = vec![
                format!("Situation: {}", r.situation),
                format!("Felt: {} ({} out of 100)", r.feelings, r.feeling_before),
                format!(
                    "Thought: {} (believed {} out of 100)",
                    r.hot_thought, r.belief_before
                ),
            ];
            if let Some(b) = &r.balanced_thought {
                parts.push(match r.balanced_belief {
                    Some(n) => format!("Balanced thought: {b} (believed {n} out of 100)"),
                    None => format!("Balanced thought: {b}"),
                });
            }
            if let Some(n) = r.feeling_after {
                parts.push(format!("Feeling afterwards: {n} out of 100"));
            }
            parts.join(" · ")
        }
        Entry::SleepDiary(n) => {
            let row = sleep_diary::row(n);
            format!(
                "Night of {} · in bed {} · asleep {} · sleep efficiency {}",
                row.night, row.in_bed, row.asleep, row.efficiency
            )
        }
    };
    StaffLine {
        tool: e.entry.kind().label(),
        when: crate::format::uk_time(e.recorded_at),
        text,
    }
}
