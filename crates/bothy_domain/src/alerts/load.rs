//! Alert load: how many alerts each service and clinician gets, how quickly
//! they are acknowledged, how many are overdue and which causes fire most.
//!
//! Choices:
//!
//! - Time to acknowledge is elapsed time from raise to acknowledgement (what
//!   the person waited), not working time. Alerts not yet acknowledged are
//!   left out of the times and counted in `unacknowledged`, so a queue that
//!   nobody reads shows up there rather than as a fast median. An
//!   acknowledgement recorded before the raise (clock skew) counts as zero.
//! - Percentiles use the nearest-rank method: the value at rank
//!   ⌈p/100 × n⌉ (at least 1) of the sorted times, so every figure is a time
//!   some alert actually took. The median is the 50th percentile by the same
//!   rule: for an even count it is the lower of the two middle values.
//! - An alert counts against the clinician it is assigned to (the caller's
//!   choice, typically the assignee or else whoever acknowledged it); an
//!   alert with no clinician counts only for its service.
//! - Overdue uses the same rule as [`super::is_overdue`]: not closed and
//!   strictly past its deadline at `now`.
//! - Causes are ordered by count, most first, then by name.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use serde::Serialize;

use crate::ids::{ServiceId, StaffId};
use crate::time::Timestamp;

/// What the statistics need to know about one alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSample {
    pub service: ServiceId,
    pub clinician: Option<StaffId>,
    /// The detector or cause that raised it (for example `risk_item`).
    pub cause: String,
    pub raised_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub deadline: Timestamp,
    pub closed: bool,
}

/// Statistics over a set of alerts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct LoadStats {
    pub raised: usize,
    pub unacknowledged: usize,
    /// Nearest-rank median; `None` when nothing was acknowledged.
    pub median_time_to_acknowledge: Option<SignedDuration>,
    /// Nearest-rank 90th percentile; `None` when nothing was acknowledged.
    pub p90_time_to_acknowledge: Option<SignedDuration>,
    pub overdue: usize,
    /// (cause, alerts raised), most first, ties by name.
    pub by_cause: Vec<(String, usize)>,
}

/// One clinician's load within a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClinicianLoad {
    pub clinician: StaffId,
    pub stats: LoadStats,
}

/// One service's load, and its clinicians'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceLoad {
    pub service: ServiceId,
    pub stats: LoadStats,
    /// Ordered by clinician id.
    pub clinicians: Vec<ClinicianLoad>,
}

/// Alert load per service (ordered by service id) and per clinician.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AlertLoad {
    pub services: Vec<ServiceLoad>,
}

impl AlertLoad {
    /// The load of `alerts` as it stands at `now`.
    pub fn compute(alerts: &[AlertSample], now: Timestamp) -> AlertLoad {
        let mut by_service: BTreeMap<ServiceId, Vec<&AlertSample>> = BTreeMap::new();
        for alert in alerts {
            by_service.entry(alert.service).or_default().push(alert);
        }
        let services = by_service
            .into_iter()
            .map(|(service, alerts)| {
                let mut by_clinician: BTreeMap<StaffId, Vec<&AlertSample>> = BTreeMap::new();
                for alert in &alerts {
                    if let Some(clinician) = alert.clinician {
                        by_clinician.entry(clinician).or_default().push(alert);
                    }
                }
                ServiceLoad {
                    service,
                    stats: LoadStats::compute(&alerts, now),
                    clinicians: by_clinician
                        .into_iter()
                        .map(|(clinician, alerts)| ClinicianLoad {
                            clinician,
                            stats: LoadStats::compute(&alerts, now),
                        })
                        .collect(),
                }
            })
            .collect();
        AlertLoad { services }
    }
}

impl LoadStats {
    /// Statistics over `alerts` at `now`.
    pub fn compute(alerts: &[&AlertSample], now: Timestamp) -> LoadStats {
        let mut times: Vec<SignedDuration> = alerts
            .iter()
            .filter_map(|alert| {
                let acked = alert.acknowledged_at?;
                Some(
                    acked
                        .duration_since(alert.raised_at)
                        .max(SignedDuration::ZERO),
                )
            })
            .collect();
        times.sort_unstable();
        let mut causes: BTreeMap<&str, usize> = BTreeMap::new();
        for alert in alerts {
            *causes.entry(alert.cause.as_str()).or_default() += 1;
        }
        let mut by_cause: Vec<(String, usize)> = causes
            .into_iter()
            .map(|(cause, count)| (cause.to_owned(), count))
            .collect();
        // Stable sort keeps the name order among equal counts.
        by_cause.sort_by_key(|&(_, count)| std::cmp::Reverse(count));
        LoadStats {
            raised: alerts.len(),
            unacknowledged: alerts.len() - times.len(),
            median_time_to_acknowledge: percentile_nearest_rank(&times, 50),
            p90_time_to_acknowledge: percentile_nearest_rank(&times, 90),
            overdue: alerts
                .iter()
                .filter(|alert| !alert.closed && now > alert.deadline)
                .count(),
            by_cause,
        }
    }
}

/// The `percent`th percentile of `sorted` (ascending) by nearest rank: the
/// value at rank ⌈percent/100 × n⌉, at least rank 1. `None` for an empty
/// slice; percentages above 100 are taken as 100.
pub fn percentile_nearest_rank<T: Copy>(sorted: &[T], percent: u32) -> Option<T> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let percent = percent.min(100) as usize;
    let rank = (percent * n).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}
