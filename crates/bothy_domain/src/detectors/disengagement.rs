//! Disengagement: no activity and no completed measure for a number of days.
//!
//! The clock starts at the latest of the episode start, the last activity
//! and the last completed measure, so nobody is "disengaged" before they had
//! the chance to engage, and any sign of life (a sign-in, check-in, measure,
//! and later a tool entry, message or review read, all reported as
//! `last_activity`) resets it. A gap of exactly `days` days raises the
//! signal. Default 14 days, `Low`: routine measures are due every 14 days,
//! so by then one has been missed, and the response is a friendly contact,
//! not an emergency. `now` is a parameter; a last activity in the future
//! (clock skew between machines) counts as recent.

use super::config::DisengagementConfig;
use super::{Cause, Engagement, Signal};
use jiff::{SignedDuration, Timestamp};

pub fn detect(e: &Engagement, now: Timestamp, config: &DisengagementConfig) -> Vec<Signal> {
    if !config.enabled {
        return Vec::new();
    }
    let latest = [e.last_activity, e.last_measure]
        .into_iter()
        .flatten()
        .fold(e.since, Timestamp::max);
    let gap = now.duration_since(latest);
    let limit = SignedDuration::from_hours(24 * i64::from(config.days));
    if gap < limit {
        return Vec::new();
    }
    let days = gap.as_secs() / 86_400;
    let what = match (e.last_activity, e.last_measure) {
        (None, None) => "no activity and no completed measure since the episode started",
        (_, None) => "no activity and no completed measure (none at all this episode)",
        _ => "no activity and no completed measure",
    };
    vec![Signal {
        cause: Cause::Disengagement,
        severity: config.severity,
        dedupe_key: Cause::Disengagement.key().to_owned(),
        summary: format!(
            "{days} days with {what}. The person may have disengaged: consider making contact."
        ),
    }]
}
