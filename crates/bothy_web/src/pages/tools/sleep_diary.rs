//! The sleep diary: a night's form (a date and clock times, as on paper),
//! the nights recorded with time in bed, time asleep and efficiency, and,
//! once seven nights are recorded, the week's efficiency and the suggested
//! sleep window by the insomnia programme's rule.

use super::{SavedQuery, frame, new_key};
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::format::{hours_minutes, london};
use crate::layout::{Chrome, html};
use crate::pages::field_errors;
use crate::pages::refer::{Errs, Fields};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::tools::ToolInput;
use bothy_app::{Actor, AppError, FieldError};
use bothy_domain::tools::sleep::{Change, MIN_WINDOW_MINUTES, SleepDiaryEntry, WEEK};
use bothy_domain::tools::sleep_diary::{SleepDiaryInput, Week};

/// Nights shown in the table, the latest first.
const SHOWN: usize = 60;

/// One night as a table row.
pub struct NightRow {
    pub night: String,
    pub in_bed: String,
    pub asleep: String,
    pub efficiency: String,
}

/// Efficiency as the page shows it: whole per cent, rounded down, so that
/// the figure shown falls in the band the rule used (89.5% shows as 89%,
/// which keeps the window, as the rule does).
fn percent(e: f64) -> String {
    format!("{}%", e.floor() as i64)
}

/// The date of the evening the night began: a bedtime before noon was
/// after midnight.
fn night_of(n: &SleepDiaryEntry) -> jiff::civil::Date {
    let d = n.went_to_bed.date();
    if n.went_to_bed.hour() < 12 {
        d.yesterday().unwrap_or(d)
    } else {
        d
    }
}

pub(super) fn row(n: &SleepDiaryEntry) -> NightRow {
    NightRow {
        night: night_of(n).strftime("%A %-d %B %Y").to_string(),
        in_bed: format!(
            "{} ({} to {})",
            hours_minutes(n.minutes_in_bed()),
            n.went_to_bed.strftime("%H:%M"),
            n.got_up.strftime("%H:%M")
        ),
        asleep: hours_minutes(n.minutes_asleep()),
        efficiency: percent(n.efficiency()),
    }
}

/// The week's figures in words.
pub struct WeekView {
    pub efficiency: String,
    pub window: String,
    /// What the rule did, in a sentence.
    pub said: String,
}

fn week_view(w: &Week) -> WeekView {
    let window = hours_minutes(w.window_minutes);
    let said = match w.change {
        None => format!(
            "Your starting sleep window is {window}: your average time asleep over your first \
             week, never less than 5 hours."
        ),
        Some(Change::Longer) => format!(
            "In your last full week your sleep efficiency was 90% or more, so your sleep window \
             grows by 15 minutes, to {window}."
        ),
        Some(Change::Same) => format!(
            "In your last full week your sleep efficiency was 85% to 89%, so your sleep window \
             stays at {window}."
        ),
        Some(Change::Shorter) if w.window_minutes == MIN_WINDOW_MINUTES => format!(
            "In your last full week your sleep efficiency was under 85%, so your sleep window \
             would shrink, but it is never less than {window}."
        ),
        Some(Change::Shorter) => format!(
            "In your last full week your sleep efficiency was under 85%, so your sleep window \
             shrinks by 15 minutes, to {window}."
        ),
    };
    WeekView {
        efficiency: percent(w.efficiency),
        window,
        said,
    }
}

#[derive(Template)]
#[template(path = "sleep_diary.html")]
struct SleepDiaryPage {
    chrome: Chrome,
    csrf: String,
    key: String,
    v: SleepDiaryInput,
    errors: Vec<FieldError>,
    errs: Errs,
    saved: bool,
    rows: Vec<NightRow>,
    /// Nights still needed before the week's figures, if any.
    nights_to_go: usize,
    week: Option<WeekView>,
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    v: SleepDiaryInput,
    key: String,
    errors: Vec<FieldError>,
    saved: bool,
) -> Result<Response, WebError> {
    let Actor::Patient(p) = &ctx.actor else {
        return Err(AppError::Forbidden.into());
    };
    let diary = state
        .app
        .tools()
        .sleep_diary(&ctx.actor, p.id, &ctx.request)
        .await?;
    let f = frame(state, ctx, "Sleep diary", !errors.is_empty(), false).await?;
    Ok(html(
        f.status,
        &SleepDiaryPage {
            chrome: f.chrome,
            csrf: f.csrf,
            key,
            v,
            errs: Errs(errors.clone()),
            errors,
            saved,
            rows: diary
                .nights
                .iter()
                .take(SHOWN)
                .map(|(_, n)| row(n))
                .collect(),
            nights_to_go: WEEK.saturating_sub(diary.nights.len()),
            week: diary.week.as_ref().map(week_view),
        },
    ))
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SavedQuery>,
) -> Result<Response, WebError> {
    // Most people fill it in the morning after: last night, by default.
    let today = state.app.clock().now().to_zoned(london()).date();
    let v = SleepDiaryInput {
        night_of: today.yesterday().unwrap_or(today).to_string(),
        ..Default::default()
    };
    render(&state, &ctx, v, new_key(), Vec::new(), q.saved.is_some()).await
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
    let v = SleepDiaryInput {
        night_of: f.get("night_of"),
        went_to_bed: f.get("went_to_bed"),
        minutes_to_fall_asleep: f.get("minutes_to_fall_asleep"),
        minutes_awake_in_night: f.get("minutes_awake_in_night"),
        woke_finally: f.get("woke_finally"),
        got_up: f.get("got_up"),
    };
    let key = f.get("key");
    let saved = state
        .app
        .tools()
        .record(
            &ctx.actor,
            ToolInput::SleepDiary(v.clone()),
            &key,
            &ctx.request,
        )
        .await;
    match field_errors(saved)? {
        // A double tap or a resent form lands on the same page.
        Ok(_) => Ok(Redirect::to("/tools/sleep-diary?saved=1").into_response()),
        Err(errors) => render(&state, &ctx, v, key, errors, false).await,
    }
}
