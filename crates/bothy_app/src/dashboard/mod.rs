//! The service dashboard: every figure of docs/reports.md for one service
//! and period, cut by one breakdown, as tables already suppressed for the
//! reader. Who sees what:
//! - anyone with the Reports permission (analyst, administrator, clinical
//!   lead) sees the whole service with small counts suppressed;
//! - a reader who may also open patients' records (a clinical lead) may
//!   ask for their own caseload (the patients they support) and sees it
//!   unsuppressed: they may open each of those records anyway.
//!
//! Each read is audited as an aggregate read (`report.read`, purpose
//! administration, no patient named).

mod build;
pub mod columns;
pub mod csv;
mod deprivation;
pub mod extract;
pub mod parquet_file;

pub use bothy_domain::reports::Period;

use crate::policy::Permission;
use crate::{Actor, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::outcomes::rules_fingerprint;
use bothy_domain::reports::{Breakdown, Edition, Rate, Suppression};
use bothy_store::ReportScope;

/// What the reader asked for.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub period: Period,
    pub by: Breakdown,
    pub quintile: Option<u8>,
    /// Only the reader's own caseload (unsuppressed).
    pub caseload: bool,
}

/// One table as it is shown and downloaded: the first column names the
/// group; every count is already suppressed ("*").
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportTable {
    pub id: &'static str,
    pub title: String,
    /// What is counted, and the definition's source.
    pub note: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// A rate per row to draw, when the table has one worth a chart.
    pub chart: Option<ChartSeries>,
}

/// The bars of a chart: one rate per group, None where suppressed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChartSeries {
    pub title: String,
    pub bars: Vec<(String, Option<Rate>)>,
    /// A standard's share to draw as a line (0..1).
    pub target: Option<f64>,
}

/// The dashboard as read.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub service_name: String,
    pub period: Period,
    pub by: Breakdown,
    pub quintile: Option<u8>,
    pub caseload: bool,
    /// May the reader ask for their own caseload?
    pub can_see_caseload: bool,
    /// Can the reader take pseudonymised extracts (the service holds a key)?
    pub extracts: bool,
    /// Where the deprivation deciles came from.
    pub deprivation_source: String,
    pub suppression: Suppression,
    pub tables: Vec<ReportTable>,
}

impl Dashboard {
    pub fn table(&self, id: &str) -> Option<&ReportTable> {
        self.tables.iter().find(|t| t.id == id)
    }
}

impl crate::outcomes::Reports<'_> {
    /// The dashboard for the actor's service.
    pub async fn dashboard(
        &self,
        actor: &Actor,
        request: &ReportRequest,
        ctx: &RequestContext,
    ) -> Result<Dashboard, AppError> {
        self.dashboard_as(actor, request, ctx, Action::ReportRead)
            .await
    }

    /// The dashboard, audited as `action` (a read or a download).
    pub async fn dashboard_as(
        &self,
        actor: &Actor,
        request: &ReportRequest,
        ctx: &RequestContext,
        action: Action,
    ) -> Result<Dashboard, AppError> {
        let Actor::Staff(staff) = actor else {
            return Err(AppError::Forbidden);
        };
        if !staff.has(Permission::Reports) {
            return Err(AppError::Forbidden);
        }
        let can_see_caseload =
            staff.has(Permission::AllPatients) || staff.has(Permission::OwnCaseload);
        if request.caseload && !can_see_caseload {
            return Err(AppError::Forbidden);
        }
        let app = self.app;
        let service = staff.service_id;
        let (from, to) = request.period.bounds();
        // Outcome flags for every episode that ended in the period, kept
        // by the classification the tally runs (outcomes.rs), so that the
        // grouped sums below read stored bits only.
        self.store_outcome_flags(service, from, to).await?;
        let rules = rules_fingerprint(&app.catalogue);
        let mut work = app.look(actor, ctx).await?;
        let tx = work.tx();
        let service_row = tx.service_by_id(service).await?.ok_or(AppError::NotFound)?;
        let editions = tx.deprivation_editions().await?;
        let edition = editions
            .iter()
            .find_map(|e| Edition::parse(&e.edition).ok());
        let deprivation_source = match (edition, editions.first()) {
            (Some(ed), Some(e)) => format!(
                "{} by postcode ({} postcodes imported {})",
                ed.index_name(),
                e.postcodes,
                bothy_domain::time::uk_date(e.imported_at)
            ),
            _ => "The deprivation decile recorded with each person's demographics (no postcode look-up imported)".to_string(),
        };
        let scope = ReportScope {
            service,
            from,
            to,
            by: request.by,
            quintile: request.quintile,
            edition,
            age_on: request.period.age_on(),
            supporter: request.caseload.then_some(staff.id),
        };
        let (labels, bounds) = request.period.months();
        let episodes = tx.report_episodes(&scope, &rules).await?;
        let raw = build::Raw {
            referrals: tx.report_referrals(&scope, &bounds).await?,
            waits: episodes.waits,
            waiting: episodes.waiting,
            discharges: episodes.discharges,
            alerts: tx.report_alerts(&scope).await?,
            engagement: episodes.engagement,
        };
        let detail = format!(
            "{} to {}; by {}{}{}",
            request.period.from,
            request.period.to,
            request.by.as_str(),
            request
                .quintile
                .map(|q| format!("; quintile {q}"))
                .unwrap_or_default(),
            if request.caseload {
                "; own caseload"
            } else {
                ""
            }
        );
        work.audit(AuditEvent::new(action).service(service).detail(detail))
            .await?;
        work.finish().await?;
        let suppression = if request.caseload {
            Suppression::NONE
        } else {
            Suppression {
                threshold: app.settings.report_suppress_below.max(1),
            }
        };
        Ok(Dashboard {
            service_name: service_row.name,
            period: request.period.clone(),
            by: request.by,
            quintile: request.quintile,
            caseload: request.caseload,
            can_see_caseload,
            extracts: app.settings.extract_key.is_some(),
            deprivation_source,
            suppression,
            tables: build::tables(&raw, request.by, suppression, &labels),
        })
    }
}
