//! W5 and W6, the service-wide work, in this process on the configured
//! database, through the same use cases production runs: the outcome report
//! (`App::outcome_tally`: a year's finished episodes classified from their
//! summaries) and the monitoring sweep (`App::sweep_monitoring`: every
//! history detector for everyone in an open episode, from their summaries).
//! Reading and computing are interleaved page by page there, so each is
//! timed as a whole.

use crate::clock;
use anyhow::Context;
use bothy_app::App;
use bothy_domain::ServiceId;
use bothy_domain::time::Timestamp;
use std::time::Duration;

/// How long the work took, and how much there was.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timed {
    pub items: u64,
    /// Reading and computing together (the production path interleaves them).
    pub load: Duration,
    /// Zero when not measured apart from `load`.
    pub compute: Duration,
    /// Recovered episodes (W5) or signals raised (W6), as a sanity check.
    pub found: u64,
}

impl Timed {
    pub fn total(&self) -> Duration {
        self.load + self.compute
    }
}

const YEAR: Duration = Duration::from_secs(365 * 86_400);

/// W5: the NHS Talking Therapies outcome of each episode discharged in the
/// 365 days before `now`.
pub async fn outcomes(app: &App, service: ServiceId, now: Timestamp) -> anyhow::Result<Timed> {
    let from = now.checked_sub(YEAR).context("time out of range")?;
    let t = clock::now();
    let tally = app.reports().outcome_tally(service, from, now).await?;
    Ok(Timed {
        items: tally.episodes,
        load: t.elapsed(),
        compute: Duration::ZERO,
        found: tally.recovered,
    })
}

/// W6: the monitoring sweep over everyone in an open episode.
pub async fn detectors(app: &App) -> anyhow::Result<Timed> {
    let t = clock::now();
    let report = app.monitoring().sweep().await?;
    Ok(Timed {
        items: report.people,
        load: t.elapsed(),
        compute: Duration::ZERO,
        found: u64::from(report.signals),
    })
}

/// W9: the service dashboard for the year to `now`, broken down by
/// deprivation quintile, as an analyst of the service reads it (every
/// table: referrals, waits, the waiting list, treatment, outcomes, alerts
/// and engagement). `items` is every episode the service has held, the
/// size the target is set for.
pub async fn dashboard(app: &App, service: ServiceId, episodes: u64) -> anyhow::Result<Timed> {
    use bothy_app::dashboard::{Period, ReportRequest};
    use bothy_app::policy::{Actor, StaffActor};
    use bothy_domain::model::RoleGrant;
    use bothy_domain::reports::Breakdown;
    use bothy_domain::role::Role;
    let analyst = Actor::Staff(StaffActor {
        id: bothy_domain::StaffId::random(),
        name: "Bench analyst".into(),
        grants: vec![RoleGrant {
            service_id: service,
            role: Role::Analyst,
        }],
        service_id: service,
    });
    let today = bothy_domain::time::uk_date(app.clock().now());
    let request = ReportRequest {
        period: Period::last_twelve_months(today),
        by: Breakdown::Quintile,
        quintile: None,
        caseload: false,
    };
    let t = clock::now();
    let d = app
        .reports()
        .dashboard(&analyst, &request, &bothy_app::RequestContext::default())
        .await?;
    Ok(Timed {
        items: episodes,
        load: t.elapsed(),
        compute: Duration::ZERO,
        found: d.tables.len() as u64,
    })
}
