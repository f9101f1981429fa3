//! The job queue's own mechanics, for the worker (`bothy_jobs`): claiming
//! due jobs under a lease, giving unstarted ones back, recording outcomes
//! (each a guarded write that only the lease holder wins), and the audit
//! sealer's pass. The worker decides when; these say how, so that it never
//! touches the store itself.

use crate::jobs::Jobs;
use crate::{App, AppError};
use bothy_domain::time::Timestamp;
use std::time::Duration;

pub use bothy_store::{AbandonedJob, ClaimedJob, SealPass};

/// One claim: the jobs now held, and those whose worker stopped during
/// their last attempt (failed by this claim, to be reported).
#[derive(Debug, Default)]
pub struct Claim {
    pub jobs: Vec<ClaimedJob>,
    pub abandoned: Vec<AbandonedJob>,
}

impl Jobs<'_> {
    /// Claims up to `batch` due jobs for `holder` until `lease` from now.
    /// None when nothing is due: that is a read, so an idle worker never
    /// takes the write lock.
    pub async fn claim_due(
        &self,
        holder: &str,
        lease: Duration,
        batch: u32,
    ) -> Result<Option<Claim>, AppError> {
        let now = self.app.clock.now();
        let mut tx = self.app.store.read().await?;
        let due = tx.has_due_jobs(now).await?;
        tx.rollback().await?;
        if !due {
            return Ok(None);
        }
        let mut tx = self.app.store.begin().await?;
        let abandoned = tx.fail_abandoned_jobs(now).await?;
        let jobs = tx.claim_jobs(holder, now, lease, batch).await?;
        tx.commit().await?;
        Ok(Some(Claim { jobs, abandoned }))
    }

    /// Gives claimed jobs back unstarted; returns how many were still held.
    pub async fn release(&self, jobs: &[ClaimedJob]) -> Result<u32, AppError> {
        let mut tx = self.app.store.begin().await?;
        let mut released = 0;
        for job in jobs {
            if tx.release_job(job).await? {
                released += 1;
            }
        }
        tx.commit().await?;
        Ok(released)
    }

    /// Records an attempt's outcome; false if the job's lease had run out
    /// (another worker has it now), and then nothing is written.
    pub async fn record(&self, job: &ClaimedJob, outcome: Outcome<'_>) -> Result<bool, AppError> {
        let now = self.app.clock.now();
        let mut tx = self.app.store.begin().await?;
        let held = match outcome {
            Outcome::Done => tx.complete_job(job, now).await?,
            Outcome::RetryAt(run_at, error) => tx.retry_job(job, run_at, error).await?,
            Outcome::DeferTo(run_at) => tx.defer_job(job, run_at).await?,
            Outcome::Failed(error) => tx.fail_job(job, now, error).await?,
        };
        tx.commit().await?;
        Ok(held)
    }
}

/// What became of one attempt at a job.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'e> {
    Done,
    /// Failed; try again at this time.
    RetryAt(Timestamp, &'e str),
    /// Not run now, by choice: run at this time, the attempt not counted.
    DeferTo(Timestamp),
    /// Failed for good.
    Failed(&'e str),
}

impl App {
    /// Seals committed audit events into the chain, one bounded pass, if
    /// `holder` gets (or holds) the sealer's lease.
    pub async fn seal_audit(&self, holder: &str, lease: Duration) -> Result<SealPass, AppError> {
        Ok(self
            .store
            .seal_audit(holder, self.clock.now(), lease)
            .await?)
    }
}
