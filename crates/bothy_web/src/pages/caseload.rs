//! The staff home's parts as the page writes them: a supporter's caseload
//! in order of need, a triage clinician's counts, a clinical lead's
//! overdue alerts (the use case is `Records::staff_home`).

use super::alerts::{relative, severity_label};
use crate::format::uk_time;
use bothy_app::records::{CaseloadRow, Oversight, StaffHome};
use bothy_domain::caseload::{QUIET_DAYS, is_quiet};
use bothy_domain::time::Timestamp;

/// One person on the caseload, in words.
pub struct CaseRow {
    pub id: String,
    pub name: String,
    pub may_open: bool,
    /// "2 open alerts, highest urgent", or empty.
    pub alerts: String,
    /// The tag's class for the highest severity.
    pub alert_class: &'static str,
    /// The referral with the risk, when it found some.
    pub risk_referral: Option<String>,
    pub unread: i64,
    pub programmes: Vec<String>,
    pub last_activity: String,
    pub quiet: bool,
    /// When the next programme review is due, and whether it is overdue.
    pub review: Option<(String, bool)>,
    /// Whether the row is marked as needing attention first.
    pub flagged: bool,
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn case_row(r: &CaseloadRow, now: Timestamp) -> CaseRow {
    let highest = r.need.highest_alert;
    let nothing_yet = r.need.last_activity == r.patient.created_at;
    let ago = match r.quiet_days {
        0 => "today".to_string(),
        n => format!("{} ago", plural(n, "day", "days")),
    };
    let review = r.review_due.map(|due| {
        (
            crate::format::long_date(bothy_domain::time::uk_date(due)),
            r.need.review_overdue,
        )
    });
    CaseRow {
        review,
        id: r.patient.id.to_string(),
        name: r.patient.full_name(),
        may_open: r.may_open,
        alerts: match highest {
            Some(s) => format!(
                "{}, highest {}",
                plural(r.open_alerts, "open alert", "open alerts"),
                severity_label(s).to_lowercase()
            ),
            None => String::new(),
        },
        alert_class: highest.map_or("low", |s| s.as_str()),
        risk_referral: r.risk_referral.map(|id| id.to_string()),
        unread: r.need.unread_messages,
        programmes: r
            .programmes
            .iter()
            .map(|(title, done, total, status)| {
                let state = match status.as_str() {
                    "paused" => ", paused",
                    "finished" => ", finished",
                    _ => "",
                };
                format!("{title}: {done} of {total} modules done{state}")
            })
            .collect(),
        last_activity: if nothing_yet {
            format!("Nothing yet (on record since {ago})")
        } else {
            format!("{} ({ago})", uk_time(r.need.last_activity))
        },
        quiet: is_quiet(r.need.last_activity, now),
        flagged: r.need.urgent_alert().is_some() || r.need.risk_at_referral,
    }
}

/// An overdue alert on a clinical lead's home.
pub struct OverdueRow {
    pub id: String,
    pub what: String,
    pub severity: &'static str,
    pub severity_class: &'static str,
    pub overdue: String,
    pub assigned_to: String,
    pub acknowledged_by: String,
}

fn overdue_rows(o: &Oversight, now: Timestamp) -> Vec<OverdueRow> {
    o.overdue
        .iter()
        .map(|a| OverdueRow {
            id: a.alert.id.to_string(),
            what: format!("{}: {}", a.alert.cause.label(), a.alert.summary),
            severity: severity_label(a.alert.severity),
            severity_class: a.alert.severity.as_str(),
            overdue: relative(a.alert.deadline, now),
            assigned_to: a
                .assigned_to
                .clone()
                .unwrap_or_else(|| "Nobody (duty queue)".into()),
            acknowledged_by: a
                .acknowledged_by
                .clone()
                .unwrap_or_else(|| "Not yet".into()),
        })
        .collect()
}

/// Everything the home page writes beyond the service's list.
pub struct HomeView {
    pub caseload: Option<Vec<CaseRow>>,
    pub overdue: Vec<OverdueRow>,
    pub quiet_days: i64,
}

pub fn view(home: &StaffHome, now: Timestamp) -> HomeView {
    HomeView {
        caseload: home
            .caseload
            .as_ref()
            .map(|rows| rows.iter().map(|r| case_row(r, now)).collect()),
        overdue: home
            .oversight
            .as_ref()
            .map(|o| overdue_rows(o, now))
            .unwrap_or_default(),
        quiet_days: QUIET_DAYS,
    }
}
