//! The job queue: jobs enqueued inside the transaction that causes them,
//! claimed by workers under a lease, finished only by the lease holder.
//!
//! A job moves `queued -> running -> done`, or back to `queued` with a later
//! `run_at` when an attempt fails, or to `failed` when no attempts are left.
//! The claim is the one statement that differs between the backends
//! (`dialect.rs`): `FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on
//! SQLite. Every change after the claim is conditional on the lease holder,
//! so a worker whose lease ran out (and whose job another worker took) cannot
//! finish or reschedule it.

use crate::db::Row;
use crate::{StoreError, Tx};
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use sqlx::AssertSqlSafe;
use std::time::Duration;

/// Longest error text kept in `last_error`.
const MAX_ERROR_CHARS: usize = 300;

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    /// What kind of job (`notify`), for operators and queries; the payload says it too.
    pub kind: &'a str,
    /// The job as JSON.
    pub payload: &'a str,
    /// Unique for all time among jobs kept: a second job with the same key is ignored.
    pub idempotency_key: &'a str,
    /// Not before.
    pub run_at: Timestamp,
    pub max_attempts: u32,
}

/// A job a worker has claimed. It holds the lease until `lease_until`; after
/// that another worker may claim it again.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub idempotency_key: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
    pub max_attempts: u32,
    /// The lease holder, written to `locked_by`; unique to this claim.
    pub lease: String,
    pub lease_until: Timestamp,
}

impl ClaimedJob {
    /// Whether this attempt is the last one allowed.
    pub fn is_last_attempt(&self) -> bool {
        self.attempts >= self.max_attempts
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            _ => return None,
        })
    }
}

/// A stored job as it stands, for operators and tests.
#[derive(Debug, Clone)]
pub struct JobRecord {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub idempotency_key: String,
    pub state: JobState,
    pub run_at: Timestamp,
    pub attempts: u32,
    pub max_attempts: u32,
    pub last_error: Option<String>,
    pub locked_by: Option<String>,
    pub locked_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

/// A job given up because its worker stopped during the last attempt.
#[derive(Debug, Clone)]
pub struct AbandonedJob {
    pub id: String,
    pub kind: String,
    pub attempts: u32,
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub queued: u64,
    pub running: u64,
    pub done: u64,
    pub failed: u64,
}

const RECORD_COLUMNS: &str = "id, kind, payload, idempotency_key, state, run_at, attempts, max_attempts, \
     last_error, locked_by, locked_until, created_at, finished_at";

fn count(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

fn record(r: &Row) -> Result<JobRecord, StoreError> {
    let state: String = r.try_get("state")?;
    Ok(JobRecord {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        payload: r.try_get("payload")?,
        idempotency_key: r.try_get("idempotency_key")?,
        state: JobState::parse(&state)
            .ok_or_else(|| StoreError::corrupt(format!("job state {state:?}")))?,
        run_at: from_millis(r.try_get("run_at")?),
        attempts: count(r.try_get("attempts")?),
        max_attempts: count(r.try_get("max_attempts")?),
        last_error: r.try_get("last_error")?,
        locked_by: r.try_get("locked_by")?,
        locked_until: r.try_get::<Option<i64>>("locked_until")?.map(from_millis),
        created_at: from_millis(r.try_get("created_at")?),
        finished_at: r.try_get::<Option<i64>>("finished_at")?.map(from_millis),
    })
}

/// An adapter's error text, bounded.
fn bounded(error: &str) -> String {
    error.chars().take(MAX_ERROR_CHARS).collect()
}

fn later(t: Timestamp, by: Duration) -> Timestamp {
    t.checked_add(by).unwrap_or(Timestamp::MAX)
}

impl Tx {
    /// Queues a job in this transaction, so it exists only if the change
    /// that causes it commits. Returns false, and changes nothing, when a job
    /// with the same idempotency key exists already (queued, running or done).
    pub async fn enqueue_job(
        &mut self,
        job: &NewJob<'_>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = self.query(
            "INSERT INTO jobs (id, kind, payload, idempotency_key, state, run_at, attempts, max_attempts, created_at) \
             VALUES ($1, $2, $3, $4, 'queued', $5, 0, $6, $7) \
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(job.kind)
        .bind(job.payload)
        .bind(job.idempotency_key)
        .bind(to_millis(job.run_at))
        .bind(i64::from(job.max_attempts.max(1)))
        .bind(to_millis(now))
        .execute()
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether any job is due for a claim at `now`: a cheap read, so that an
    /// idle worker need not take the write lock.
    pub async fn has_due_jobs(&mut self, now: Timestamp) -> Result<bool, StoreError> {
        let row = self
            .query(
                "SELECT 1 FROM jobs WHERE (state = 'queued' AND run_at <= $1) \
             OR (state = 'running' AND locked_until <= $1) LIMIT 1",
            )
            .bind(to_millis(now))
            .fetch_optional()
            .await?;
        Ok(row.is_some())
    }

    /// Claims up to `limit` due jobs for `holder` (a worker's name) for
    /// `lease`. Each claim counts as an attempt. Commit before running them,
    /// so that the lease is visible to other workers.
    pub async fn claim_jobs(
        &mut self,
        holder: &str,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        let token = format!("{holder}/{}", uuid::Uuid::new_v4().simple());
        let until = later(now, lease);
        let rows = self
            .query(self.dialect.claim_jobs)
            .bind(&token)
            .bind(to_millis(until))
            .bind(to_millis(now))
            .bind(i64::from(limit))
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ClaimedJob {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    payload: r.try_get("payload")?,
                    idempotency_key: r.try_get("idempotency_key")?,
                    attempts: count(r.try_get("attempts")?),
                    max_attempts: count(r.try_get("max_attempts")?),
                    lease: token.clone(),
                    lease_until: until,
                })
            })
            .collect()
    }

    /// Ends every running job's lease at `now`, so that any worker may claim
    /// them: for when the workers holding them are known to be gone (the
    /// crash tests, which cannot wait out a lease).
    pub async fn expire_job_leases(&mut self, now: Timestamp) -> Result<u64, StoreError> {
        let done = self
            .query(
                "UPDATE jobs SET locked_until = $1 WHERE state = 'running' AND locked_until > $1",
            )
            .bind(to_millis(now))
            .execute()
            .await?;
        Ok(done.rows_affected())
    }

    /// Gives up jobs whose worker stopped (the lease ran out) during their
    /// last attempt: they become `failed` and are returned for logging.
    pub async fn fail_abandoned_jobs(
        &mut self,
        now: Timestamp,
    ) -> Result<Vec<AbandonedJob>, StoreError> {
        let rows = self.query(
            "UPDATE jobs SET state = 'failed', finished_at = $1, locked_by = NULL, locked_until = NULL, \
             last_error = 'the worker stopped during the last attempt' \
             WHERE state = 'running' AND locked_until <= $1 AND attempts >= max_attempts \
             RETURNING id, kind, attempts",
        )
        .bind(to_millis(now))
        .fetch_all()
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AbandonedJob {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    attempts: count(r.try_get("attempts")?),
                })
            })
            .collect()
    }

    /// Marks a claimed job done. False when the claim no longer holds the
    /// lease (it ran out and another worker took the job), in which case
    /// nothing changes.
    pub async fn complete_job(
        &mut self,
        job: &ClaimedJob,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = self.query(
            "UPDATE jobs SET state = 'done', finished_at = $1, locked_by = NULL, locked_until = NULL \
             WHERE id = $2 AND state = 'running' AND locked_by = $3",
        )
        .bind(to_millis(now))
        .bind(&job.id)
        .bind(&job.lease)
        .execute()
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts a claimed job back in the queue to run at `run_at`, recording why
    /// this attempt failed. False when the claim no longer holds the lease.
    pub async fn retry_job(
        &mut self,
        job: &ClaimedJob,
        run_at: Timestamp,
        error: &str,
    ) -> Result<bool, StoreError> {
        let done = self.query(
            "UPDATE jobs SET state = 'queued', run_at = $1, last_error = $2, locked_by = NULL, locked_until = NULL \
             WHERE id = $3 AND state = 'running' AND locked_by = $4",
        )
        .bind(to_millis(run_at))
        .bind(bounded(error))
        .bind(&job.id)
        .bind(&job.lease)
        .execute()
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts a claimed job back to run at `run_at` without counting the
    /// attempt (it chose to wait: a reminder in quiet hours). False when the
    /// claim no longer holds the lease.
    pub async fn defer_job(
        &mut self,
        job: &ClaimedJob,
        run_at: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = self
            .query(
                "UPDATE jobs SET state = 'queued', run_at = $1, attempts = attempts - 1, \
                 locked_by = NULL, locked_until = NULL \
                 WHERE id = $2 AND state = 'running' AND locked_by = $3",
            )
            .bind(to_millis(run_at))
            .bind(&job.id)
            .bind(&job.lease)
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks a claimed job failed for good. False when the claim no longer
    /// holds the lease.
    pub async fn fail_job(
        &mut self,
        job: &ClaimedJob,
        now: Timestamp,
        error: &str,
    ) -> Result<bool, StoreError> {
        let done = self.query(
            "UPDATE jobs SET state = 'failed', finished_at = $1, last_error = $2, locked_by = NULL, locked_until = NULL \
             WHERE id = $3 AND state = 'running' AND locked_by = $4",
        )
        .bind(to_millis(now))
        .bind(bounded(error))
        .bind(&job.id)
        .bind(&job.lease)
        .execute()
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Returns a claimed job that was not started (the worker is stopping)
    /// to the queue, without counting the attempt.
    pub async fn release_job(&mut self, job: &ClaimedJob) -> Result<bool, StoreError> {
        let done = self.query(
            "UPDATE jobs SET state = 'queued', attempts = attempts - 1, locked_by = NULL, locked_until = NULL \
             WHERE id = $1 AND state = 'running' AND locked_by = $2",
        )
        .bind(&job.id)
        .bind(&job.lease)
        .execute()
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The job with this idempotency key.
    pub async fn job_by_key(&mut self, key: &str) -> Result<Option<JobRecord>, StoreError> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM jobs WHERE idempotency_key = $1");
        let row = self
            .query(AssertSqlSafe(sql))
            .bind(key)
            .fetch_optional()
            .await?;
        row.as_ref().map(record).transpose()
    }

    /// Jobs not yet finished (queued or running), oldest first, at most `limit`.
    pub async fn unfinished_jobs(&mut self, limit: u32) -> Result<Vec<JobRecord>, StoreError> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM jobs WHERE state IN ('queued', 'running') \
             ORDER BY run_at, id LIMIT $1"
        );
        let rows = self
            .query(AssertSqlSafe(sql))
            .bind(i64::from(limit))
            .fetch_all()
            .await?;
        rows.iter().map(record).collect()
    }

    /// How many jobs are in each state.
    pub async fn count_jobs(&mut self) -> Result<JobCounts, StoreError> {
        let rows = self
            .query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
            .fetch_all()
            .await?;
        let mut counts = JobCounts::default();
        for r in &rows {
            let state: String = r.try_get("state")?;
            let n = u64::try_from(r.try_get::<i64>("n")?).unwrap_or(0);
            match JobState::parse(&state) {
                Some(JobState::Queued) => counts.queued = n,
                Some(JobState::Running) => counts.running = n,
                Some(JobState::Done) => counts.done = n,
                Some(JobState::Failed) => counts.failed = n,
                None => return Err(StoreError::corrupt(format!("job state {state:?}"))),
            }
        }
        Ok(counts)
    }

    /// Removes jobs that finished (done or failed) before `before`, with
    /// their payloads, and the record of messages sent before then; returns
    /// how many jobs. Their idempotency keys are forgotten.
    pub async fn delete_finished_jobs(&mut self, before: Timestamp) -> Result<u64, StoreError> {
        let done = self
            .query("DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished_at < $1")
            .bind(to_millis(before))
            .execute()
            .await?;
        self.query("DELETE FROM message_sends WHERE sent_at < $1")
            .bind(to_millis(before))
            .execute()
            .await?;
        Ok(done.rows_affected())
    }

    /// The dead-letter list: failed jobs, newest first, at most `limit`.
    pub async fn failed_jobs(&mut self, limit: u32) -> Result<Vec<JobRecord>, StoreError> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM jobs WHERE state = 'failed' \
             ORDER BY finished_at DESC, id LIMIT $1"
        );
        let rows = self
            .query(AssertSqlSafe(sql))
            .bind(i64::from(limit))
            .fetch_all()
            .await?;
        rows.iter().map(record).collect()
    }

    /// The job with this id.
    pub async fn job_by_id(&mut self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM jobs WHERE id = $1");
        let row = self
            .query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional()
            .await?;
        row.as_ref().map(record).transpose()
    }

    /// Puts a failed job back in the queue to run at `now` with its attempts
    /// counted afresh. Guarded by its state: false (nothing written) when it
    /// is not failed, as when another administrator retried it first.
    pub async fn retry_failed_job(&mut self, id: &str, now: Timestamp) -> Result<bool, StoreError> {
        let done = self
            .query(
                "UPDATE jobs SET state = 'queued', run_at = $1, attempts = 0, finished_at = NULL, \
                 locked_by = NULL, locked_until = NULL WHERE id = $2 AND state = 'failed'",
            )
            .bind(to_millis(now))
            .bind(id)
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Cancels a failed job: it is finished for good (`done`, with the
    /// reason in `last_error`) and leaves the dead-letter list. Guarded by
    /// its state like [`Tx::retry_failed_job`].
    pub async fn cancel_failed_job(
        &mut self,
        id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = self
            .query(
                "UPDATE jobs SET state = 'done', finished_at = $1, \
                 last_error = 'cancelled by an administrator' WHERE id = $2 AND state = 'failed'",
            )
            .bind(to_millis(now))
            .bind(id)
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
