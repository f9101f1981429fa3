//! Filling the write-time summaries (`bothy_domain::summaries`) from stored
//! records: once after the migration that added them, and after a bulk load
//! (synthetic data), which writes records without their summaries.

use crate::AppError;
use crate::monitoring::Monitor;
use bothy_domain::PatientId;
use bothy_domain::instruments::score;
use bothy_store::ReportRows;

/// The name under which the first fill is recorded as done.
const BACKFILL: &str = "summaries";
/// Episodes read per page when setting screening baselines.
const PAGE: i64 = 2_000;

/// What a rebuild wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SummaryCounts {
    pub score_summaries: u64,
    pub screening_baselines: u64,
    pub mood_summaries: u64,
}

impl Monitor<'_> {
    /// Fills the summaries for records stored before they existed, once
    /// (recorded in `backfills`). Returns whether it ran.
    pub async fn backfill_summaries(&self) -> Result<Option<SummaryCounts>, AppError> {
        let mut tx = self.app.store.reader().await?;
        let done = tx.backfill_done(BACKFILL).await?;
        tx.rollback().await?;
        if done {
            return Ok(None);
        }
        let counts = self.rebuild_summaries().await?;
        let mut tx = self.app.store.begin().await?;
        tx.mark_backfill_done(BACKFILL, self.app.clock.now())
            .await?;
        tx.commit().await?;
        Ok(Some(counts))
    }

    /// Rebuilds every summary from the stored responses, referrals and
    /// check-ins, in one transaction.
    pub async fn rebuild_summaries(&self) -> Result<SummaryCounts, AppError> {
        self.rebuild(None).await
    }

    /// Rebuilds the summaries of these patients only (records written by a
    /// bulk load into a service that already has others).
    pub async fn rebuild_summaries_for(
        &self,
        patients: &[PatientId],
    ) -> Result<SummaryCounts, AppError> {
        self.rebuild(Some(patients)).await
    }

    async fn rebuild(&self, only: Option<&[PatientId]>) -> Result<SummaryCounts, AppError> {
        let mut tx = self.app.store.begin().await?;
        tx.defer_report_rows().await?;
        let mut counts = SummaryCounts {
            score_summaries: tx.rebuild_score_summaries(only).await?,
            mood_summaries: tx.rebuild_mood_summaries(only).await?,
            ..SummaryCounts::default()
        };
        tx.forget_outcome_flags(only).await?;
        let mut after = String::new();
        loop {
            let page = tx.episode_screenings(&after, PAGE, only).await?;
            let Some(last) = page.last() else { break };
            after = last.episode_key.clone();
            for e in &page {
                for (instrument, answers) in &e.answers {
                    let Some(inst) = self.app.catalogue.get(instrument) else {
                        continue;
                    };
                    if let Ok(scored) = score(inst, answers) {
                        tx.set_screening_score(
                            e.patient_id,
                            &e.episode_key,
                            instrument,
                            e.referred_at,
                            scored.total,
                        )
                        .await?;
                        counts.screening_baselines += 1;
                    }
                }
            }
        }
        tx.refresh_report_rows(match only {
            None => ReportRows::All,
            Some(patients) => ReportRows::Of {
                patients,
                referrals: &[],
            },
        })
        .await?;
        tx.commit().await?;
        // Outcomes are counted from the summaries: classify again now what
        // was forgotten above, rather than in the next report.
        let since = bothy_domain::time::Timestamp::UNIX_EPOCH;
        let until = self.app.clock.now() + std::time::Duration::from_secs(1);
        for service in self.app.referrals().services().await? {
            self.app
                .reports()
                .outcome_tally(service.id, since, until)
                .await?;
        }
        Ok(counts)
    }
}
