//! The duty queue, one alert with its acknowledge and close forms, the alert
//! load, and what a person sees after a risk signal (their safety plan and,
//! out of hours, that nobody is watching right now).

use super::field_errors;
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::format::uk_time;
use crate::layout::{Chrome, html, page};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::alerts::{AlertDetail, QueueItem};
use bothy_app::{Actor, AppError, FieldError};
use bothy_domain::alerts::{AlertState, Outcome, Severity};
use bothy_domain::ids::AlertId;
use bothy_domain::model::Alert;
use bothy_domain::time::Timestamp;

/// The outcomes a clinician chooses from, in the order offered.
pub const OUTCOMES: [(&str, &str); 5] = [
    ("contacted_person", "Contacted the person"),
    (
        "safety_plan_reviewed",
        "Reviewed their safety plan with them",
    ),
    ("escalated_to_crisis_team", "Escalated to the crisis team"),
    ("appointment_offered", "Offered an appointment"),
    ("no_action_needed", "No action needed (say why)"),
];

fn outcome_label(o: &Outcome) -> &'static str {
    OUTCOMES
        .iter()
        .find(|(k, _)| *k == o.as_str())
        .map_or("", |(_, l)| l)
}

pub(super) fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Urgent => "Urgent",
        Severity::High => "High",
        Severity::Moderate => "Moderate",
        Severity::Low => "Low",
    }
}

/// "due in 3 hours 59 minutes", "1 day 2 hours overdue": how far a
/// deadline is from now, in its two largest units (minutes rounded up
/// before a deadline, so "due in 0 minutes" never shows).
pub(super) fn relative(deadline: Timestamp, now: Timestamp) -> String {
    let secs = deadline.as_second() - now.as_second();
    let total = secs.unsigned_abs();
    let minutes = if secs >= 0 {
        total.div_ceil(60)
    } else {
        total / 60
    }
    .max(1);
    let parts = [
        (minutes / 1440, "day"),
        (minutes % 1440 / 60, "hour"),
        (minutes % 60, "minute"),
    ];
    let text: Vec<String> = parts
        .iter()
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}{}", if *n == 1 { "" } else { "s" }))
        .collect();
    if secs >= 0 {
        format!("due in {}", text.join(" "))
    } else {
        format!("{} overdue", text.join(" "))
    }
}

/// One alert as a row or a summary.
pub struct AlertRow {
    pub id: String,
    /// The person's record, or the referral for one not yet accepted.
    pub person_href: String,
    pub patient_name: String,
    pub cause: &'static str,
    pub severity: &'static str,
    pub severity_class: &'static str,
    pub summary: String,
    pub raised: String,
    pub deadline: String,
    pub due: String,
    pub overdue: bool,
    pub escalated: bool,
    pub status: String,
}

fn row(alert: &Alert, patient_name: String, ack_name: Option<&str>, now: Timestamp) -> AlertRow {
    let overdue = bothy_domain::alerts::is_overdue(alert.deadline, now, &alert.state);
    let status = match &alert.state {
        AlertState::Open => "Not acknowledged".to_string(),
        AlertState::Acknowledged { .. } => format!(
            "Acknowledged by {}",
            ack_name.unwrap_or("a former member of staff")
        ),
        AlertState::Closed { at, outcome, .. } => {
            format!("Closed {}: {}", uk_time(*at), outcome_label(outcome))
        }
    };
    AlertRow {
        id: alert.id.to_string(),
        person_href: match (alert.patient_id, alert.referral_id) {
            (Some(p), _) => format!("/staff/patients/{p}"),
            (None, Some(r)) => format!("/staff/referrals/{r}"),
            (None, None) => String::new(),
        },
        patient_name,
        cause: alert.cause.label(),
        severity: severity_label(alert.severity),
        severity_class: alert.severity.as_str(),
        summary: alert.summary.clone(),
        raised: uk_time(alert.raised_at),
        deadline: uk_time(alert.deadline),
        due: if alert.state.is_closed() {
            String::new()
        } else {
            relative(alert.deadline, now)
        },
        overdue,
        escalated: alert.escalated_at.is_some(),
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::relative;

    #[test]
    fn deadlines_read_in_two_units() {
        let now: bothy_domain::time::Timestamp = "2026-11-17T10:00:00Z".parse().unwrap();
        let at = |s: i64| bothy_domain::time::Timestamp::from_second(now.as_second() + s).unwrap();
        assert_eq!(relative(at(4 * 3600), now), "due in 4 hours");
        assert_eq!(relative(at(4 * 3600 - 30), now), "due in 4 hours");
        assert_eq!(
            relative(at(3 * 3600 + 59 * 60), now),
            "due in 3 hours 59 minutes"
        );
        assert_eq!(relative(at(20), now), "due in 1 minute");
        assert_eq!(relative(at(-90), now), "1 minute overdue");
        assert_eq!(
            relative(at(-(26 * 3600 + 60)), now),
            "1 day 2 hours overdue"
        );
        assert_eq!(relative(at(2 * 86_400 + 30 * 60), now), "due in 2 days");
    }
}

/// A patient's alerts for their record page: (open, closed).
pub fn patient_rows(
    alerts: &[Alert],
    name: &str,
    now: Timestamp,
) -> (Vec<AlertRow>, Vec<AlertRow>) {
    let (closed, open): (Vec<&Alert>, Vec<&Alert>) =
        alerts.iter().partition(|a| a.state.is_closed());
    let rows = |list: Vec<&Alert>| -> Vec<AlertRow> {
        list.into_iter()
            .map(|a| row(a, name.to_string(), None, now))
            .collect()
    };
    (rows(open), rows(closed))
}

#[derive(Template)]
#[template(path = "alert_queue.html")]
struct QueuePage {
    chrome: Chrome,
    rows: Vec<AlertRow>,
    open_now: bool,
}

pub async fn queue(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let q = state.app.alerts().queue(&ctx.actor, &ctx.request).await?;
    let rows = q
        .items
        .iter()
        .map(
            |QueueItem {
                 alert,
                 patient_name,
                 acknowledged_by,
                 ..
             }| {
                row(
                    alert,
                    patient_name.clone(),
                    acknowledged_by.as_deref(),
                    q.now,
                )
            },
        )
        .collect();
    let chrome = Chrome::for_ctx(&state, &ctx, "Alerts").await?;
    Ok(page(&QueuePage {
        chrome,
        rows,
        open_now: q.open_now,
    }))
}

#[derive(Template)]
#[template(path = "alert.html")]
struct AlertPage {
    chrome: Chrome,
    csrf: String,
    a: AlertRow,
    closed_by: Option<String>,
    can_act: bool,
    acknowledged: bool,
    outcomes: Vec<(&'static str, &'static str, bool)>,
    note: String,
    errors: Vec<FieldError>,
    conflict: Option<String>,
    reach: Reach,
    record: Vec<(String, String)>,
    plan: Option<super::safety_plan::PlanView>,
    history: Vec<AlertRow>,
}

/// How to reach the person, from their record and their referral.
#[derive(Default)]
struct Reach {
    phones: Vec<String>,
    email: Option<String>,
    channel: Option<&'static str>,
    referral_href: Option<String>,
}

fn reach(d: &AlertDetail) -> Reach {
    let mut r = Reach::default();
    if let Some(p) = &d.patient {
        r.phones.extend(p.phone.as_ref().map(|x| x.to_string()));
        r.email = p.email.as_ref().map(|x| x.to_string());
    }
    if let Some(referral) = &d.referral {
        let details = &referral.details;
        if let Some(phone) = &details.phone
            && !r.phones.contains(phone)
        {
            r.phones.push(phone.clone());
        }
        r.email = r.email.take().or_else(|| details.email.clone());
        r.channel = details.preferred_channel.map(|c| c.label());
        r.referral_href = Some(format!("/staff/referrals/{}", referral.id));
    }
    r
}

/// Who did what when, oldest first: raised, acknowledged, escalated, closed.
fn record(d: &AlertDetail) -> Vec<(String, String)> {
    let a = &d.alert;
    let mut lines = vec![(
        a.raised_at,
        format!(
            "Raised from {} ({} signal{})",
            a.source_kind.replace('_', " "),
            a.signal_count,
            if a.signal_count == 1 { "" } else { "s" }
        ),
    )];
    if let Some((_, at)) = a.acknowledged {
        let who = d
            .acknowledged_by
            .as_deref()
            .unwrap_or("a former member of staff");
        lines.push((at, format!("{who} took it on (\"I am dealing with this\")")));
    }
    if let Some(at) = a.escalated_at {
        lines.push((
            at,
            "Past its deadline: the clinical leads and the duty phone were told".into(),
        ));
    }
    if let AlertState::Closed { at, outcome, .. } = &a.state {
        let who = d.closed_by.as_deref().unwrap_or("a former member of staff");
        let note = match &a.close_note {
            Some(n) => format!(". Note: {n}"),
            None => String::new(),
        };
        lines.push((
            *at,
            format!("{who} closed it: {}{note}", outcome_label(outcome)),
        ));
    }
    lines.sort_by_key(|(at, _)| *at);
    lines
        .into_iter()
        .map(|(at, what)| (uk_time(at), what))
        .collect()
}

impl AlertPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

fn alert_id(raw: &str) -> Result<AlertId, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

/// What the close form held, to show again with its errors.
#[derive(Default)]
struct Typed {
    outcome: String,
    note: String,
}

async fn alert_page(
    state: &AppState,
    ctx: &Ctx,
    d: AlertDetail,
    typed: Typed,
    errors: Vec<FieldError>,
    conflict: Option<String>,
) -> Result<Response, WebError> {
    let title = if errors.is_empty() && conflict.is_none() {
        "Alert"
    } else {
        "Error: Alert"
    };
    let chrome = Chrome::for_ctx(state, ctx, title).await?;
    let csrf = chrome.csrf.clone().ok_or(AppError::Unauthenticated)?;
    let now = state.app.clock().now();
    let status = if errors.is_empty() && conflict.is_none() {
        StatusCode::OK
    } else if conflict.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let name = match (&d.patient, &d.referral) {
        (Some(p), _) => p.full_name(),
        (None, Some(r)) => r.details.full_name(),
        (None, None) => String::new(),
    };
    let history = d
        .history
        .iter()
        .map(|a| row(a, name.clone(), None, now))
        .collect();
    Ok(html(
        status,
        &AlertPage {
            chrome,
            csrf,
            a: row(&d.alert, name, d.acknowledged_by.as_deref(), now),
            reach: reach(&d),
            record: record(&d),
            plan: super::safety_plan::plan_view(d.safety_plan.clone()),
            history,
            closed_by: d.closed_by,
            can_act: d.can_act,
            acknowledged: d.alert.acknowledged.is_some(),
            outcomes: OUTCOMES
                .iter()
                .map(|(k, l)| (*k, *l, typed.outcome == *k))
                .collect(),
            note: typed.note,
            errors,
            conflict,
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let d = state
        .app
        .alerts()
        .detail(&ctx.actor, alert_id(&id)?, &ctx.request)
        .await?;
    alert_page(&state, &ctx, d, Typed::default(), Vec::new(), None).await
}

/// A conflict (someone else has it, or closed it) is shown on the alert's
/// page with who, rather than as an error page.
async fn after_action(
    state: &AppState,
    ctx: &Ctx,
    id: AlertId,
    result: Result<Alert, AppError>,
    typed: Typed,
) -> Result<Response, WebError> {
    let (errors, conflict) = match result {
        Ok(_) => return Ok(Redirect::to(&format!("/alerts/{id}")).into_response()),
        Err(AppError::Conflict(message)) => (Vec::new(), Some(message)),
        Err(e) => match field_errors::<()>(Err(e))? {
            Err(errors) => (errors, None),
            Ok(()) => (Vec::new(), None),
        },
    };
    let d = state
        .app
        .alerts()
        .detail(&ctx.actor, id, &ctx.request)
        .await?;
    alert_page(state, ctx, d, typed, errors, conflict).await
}

pub async fn acknowledge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = alert_id(&id)?;
    let result = state
        .app
        .alerts()
        .acknowledge(&ctx.actor, id, &ctx.request)
        .await;
    after_action(&state, &ctx, id, result, Typed::default()).await
}

#[derive(serde::Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    outcome: String,
    /// What was done; required for "no action needed", as its reason.
    #[serde(default)]
    note: String,
    /// The note's earlier name, still accepted from forms already open.
    #[serde(default)]
    reason: String,
}

impl CloseForm {
    fn note(&self) -> &str {
        match self.note.trim() {
            "" => self.reason.trim(),
            note => note,
        }
    }
}

/// The chosen outcome; `Ok(None)` when none was chosen.
fn read_outcome(form: &CloseForm) -> Result<Option<Outcome>, FieldError> {
    Ok(Some(match form.outcome.as_str() {
        "" => return Ok(None),
        "contacted_person" => Outcome::ContactedPerson,
        "safety_plan_reviewed" => Outcome::SafetyPlanReviewed,
        "escalated_to_crisis_team" => Outcome::EscalatedToCrisisTeam,
        "appointment_offered" => Outcome::AppointmentOffered,
        "no_action_needed" => Outcome::NoActionNeeded {
            reason: form.note().to_owned(),
        },
        _ => {
            return Err(FieldError {
                field: "outcome".into(),
                message: "Choose one of the outcomes listed".into(),
            });
        }
    }))
}

pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<CloseForm>,
) -> Result<Response, WebError> {
    let id = alert_id(&id)?;
    let note = form.note().to_owned();
    let unusable = bothy_domain::text::check(&note, bothy_domain::text::Lines::Many)
        .err()
        .map(|e| e.message("The note", bothy_domain::text::Lines::Many));
    let typed = Typed {
        outcome: form.outcome.clone(),
        note: note.clone(),
    };
    if note.chars().count() > 2000 || unusable.is_some() {
        let e = AppError::field(
            "note",
            unusable.unwrap_or_else(|| "Keep the note to 2000 characters or fewer".into()),
        );
        return after_action(&state, &ctx, id, Err(e), typed).await;
    }
    let result = match read_outcome(&form) {
        Ok(outcome) => {
            state
                .app
                .alerts()
                .close(&ctx.actor, id, outcome, Some(note), &ctx.request)
                .await
        }
        Err(e) => Err(AppError::Invalid(vec![e])),
    };
    after_action(&state, &ctx, id, result, typed).await
}

/// One line of the load table.
pub struct LoadRow {
    pub who: String,
    pub raised: usize,
    pub unacknowledged: usize,
    pub median: String,
    pub p90: String,
    pub overdue: usize,
    pub causes: String,
}

fn minutes(d: Option<jiff::SignedDuration>) -> String {
    match d {
        None => "None acknowledged".into(),
        Some(d) if d.as_secs() < 3600 => format!("{} min", d.as_secs() / 60),
        Some(d) => format!("{:.1} hours", d.as_secs_f64() / 3600.0),
    }
}

fn load_row(who: String, s: &bothy_domain::alerts::LoadStats) -> LoadRow {
    LoadRow {
        who,
        raised: s.raised,
        unacknowledged: s.unacknowledged,
        median: minutes(s.median_time_to_acknowledge),
        p90: minutes(s.p90_time_to_acknowledge),
        overdue: s.overdue,
        causes: s
            .by_cause
            .iter()
            .map(|(cause, n)| {
                let label = bothy_domain::detectors::Cause::from_key(cause)
                    .map_or(cause.as_str(), |c| c.label());
                format!("{label} ({n})")
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[derive(Template)]
#[template(path = "alert_load.html")]
struct LoadPage {
    chrome: Chrome,
    since: String,
    rows: Vec<LoadRow>,
}

pub async fn load(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let report = state
        .app
        .alerts()
        .load(&ctx.actor, 28, &ctx.request)
        .await?;
    let mut rows = Vec::new();
    for service in &report.load.services {
        rows.push(load_row("Whole service".into(), &service.stats));
        for c in &service.clinicians {
            let name = report
                .names
                .get(&c.clinician)
                .cloned()
                .unwrap_or_else(|| "A former member of staff".into());
            rows.push(load_row(name, &c.stats));
        }
    }
    let chrome = Chrome::for_ctx(&state, &ctx, "Alert load").await?;
    Ok(page(&LoadPage {
        chrome,
        since: uk_time(report.since),
        rows,
    }))
}

/// What a person sees after a risk signal, below the crisis contacts.
pub struct RiskSupport {
    /// Whether someone is watching the service's alerts now.
    pub watched: bool,
    pub plan: Option<super::safety_plan::PlanView>,
}

/// Their safety plan and whether anyone is watching now. A failure to read
/// either never hides the crisis contacts: it shows the out-of-hours advice
/// and no plan.
pub async fn risk_support(state: &AppState, ctx: &Ctx) -> RiskSupport {
    let Actor::Patient(p) = &ctx.actor else {
        return RiskSupport {
            watched: false,
            plan: None,
        };
    };
    let watched = state
        .app
        .monitoring()
        .is_watched_now(p.service_id)
        .await
        .unwrap_or(false);
    let plan = state
        .app
        .safety_plans()
        .current(&ctx.actor, p.id, &ctx.request)
        .await
        .ok()
        .flatten();
    RiskSupport {
        watched,
        plan: super::safety_plan::plan_view(plan),
    }
}
