//! Peer support figures for a service, so it can staff moderation: posts,
//! time from queueing to a moderator's first move (median and 90th
//! percentile, nearest rank, as for the alert load), held and removed
//! counts by hold reason, and reports. Counted over the last 90 days from
//! the posts themselves; a post held for several reasons counts under each.

use super::Peer;
use super::moderate::moderator_of;
use crate::{Actor, AppError, AuditEvent, RequestContext};
use bothy_domain::alerts::percentile_nearest_rank;
use bothy_domain::audit::Action;
use bothy_domain::peer::HoldReason;
use bothy_domain::peer::moderation::reasons_from_str;
use jiff::SignedDuration;

/// The window the figures cover, in days.
pub const FIGURES_DAYS: i64 = 90;

/// A service's peer support figures.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub posts: i64,
    /// Posts a moderator has moved.
    pub moderated: i64,
    /// Minutes from queueing to a moderator's move.
    pub median_minutes: Option<i64>,
    pub p90_minutes: Option<i64>,
    /// Posts held on posting, by reason.
    pub held: Vec<(HoldReason, i64)>,
    /// Removed posts, by the reasons they were queued for.
    pub removed: Vec<(HoldReason, i64)>,
    pub hidden: i64,
    pub reports: i64,
    pub reported_posts: i64,
}

impl Peer<'_> {
    /// The figures of the moderator's (or lead's) current service.
    pub async fn figures(&self, actor: &Actor, ctx: &RequestContext) -> Result<Figures, AppError> {
        moderator_of(actor)?;
        let service = actor.service_id().ok_or(AppError::Forbidden)?;
        let now = self.app.clock.now();
        let since = now
            .checked_sub(SignedDuration::from_hours(24 * FIGURES_DAYS))
            .unwrap_or(now);
        let mut work = self.app.look(actor, ctx).await?;
        let rows = work.tx().peer_figure_rows(service, since).await?;
        work.audit(
            AuditEvent::new(Action::PeerRead)
                .service(service)
                .detail("peer support figures"),
        )
        .await?;
        work.finish().await?;
        let mut f = Figures {
            posts: rows.len() as i64,
            ..Figures::default()
        };
        let mut minutes = Vec::new();
        let mut held = [0i64; HoldReason::ALL.len()];
        let mut removed = [0i64; HoldReason::ALL.len()];
        for row in &rows {
            let reasons = reasons_from_str(&row.hold_reasons);
            if let (Some(q), Some(r)) = (row.queued_at, row.reviewed_at) {
                f.moderated += 1;
                minutes.push((r - q).max(0) / 60_000);
            }
            for reason in &reasons {
                let i = HoldReason::ALL
                    .iter()
                    .position(|x| x == reason)
                    .unwrap_or(0);
                if *reason != HoldReason::Reported {
                    held[i] += 1;
                }
                if row.status == "removed" {
                    removed[i] += 1;
                }
            }
            f.hidden += i64::from(row.status == "hidden");
            f.reports += row.reports;
            f.reported_posts += i64::from(row.reports > 0);
        }
        minutes.sort_unstable();
        f.median_minutes = percentile_nearest_rank(&minutes, 50);
        f.p90_minutes = percentile_nearest_rank(&minutes, 90);
        let pairs = |counts: [i64; 7]| -> Vec<(HoldReason, i64)> {
            HoldReason::ALL
                .into_iter()
                .zip(counts)
                .filter(|(_, n)| *n > 0)
                .collect()
        };
        f.held = pairs(held);
        f.removed = pairs(removed);
        Ok(f)
    }
}
