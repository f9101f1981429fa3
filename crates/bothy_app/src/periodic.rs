//! Work done on a schedule, through the job queue: each task's job for a
//! period (the hour, say) has the key `periodic.{task}.{period}`, so however
//! many workers run against one database, each period's task is queued once
//! and run once (the queue's claims and leases), and a task that fails is
//! retried like any job.
//!
//! Escalating overdue alerts is not here: every worker does it on every
//! pass, since an overdue alert must not wait for a period to turn, and
//! marking one escalated is a guarded write that only one worker wins.
//! Sealing the audit trail is not here either: it holds a lease of its own
//! and runs on its own timer (`bothy_jobs`).

use crate::jobs::Jobs;
use crate::jobs::{IdempotencyKey, Job};
use crate::referrals::DRAFT_LIFETIME_DAYS;
use crate::{Actor, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::time::Timestamp;
use std::time::Duration;

/// Finished jobs (and their payloads, which hold contact details) are kept
/// this long, then deleted; their idempotency keys are forgotten with them.
pub const KEEP_FINISHED: Duration = Duration::from_secs(30 * 24 * 3600);

/// A task the worker runs on a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Periodic {
    /// Deletes expired sessions, long-finished jobs and expired drafts;
    /// keeps SQLite's planner statistics up to date.
    Housekeeping,
    /// Queues reminders now due: measures, check-in prompts, appointments
    /// (`reminders.rs`).
    Reminders,
    /// Every history detector for everyone in an open episode (`sweep.rs`).
    MonitoringSweep,
    /// Each service's expected trajectories, recomputed when a day old.
    ExpectedTrajectories,
}

impl Periodic {
    pub const ALL: [Periodic; 4] = [
        Periodic::Housekeeping,
        Periodic::Reminders,
        Periodic::MonitoringSweep,
        Periodic::ExpectedTrajectories,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Periodic::Housekeeping => "housekeeping",
            Periodic::Reminders => "reminders",
            Periodic::MonitoringSweep => "monitoring_sweep",
            Periodic::ExpectedTrajectories => "expected_trajectories",
        }
    }

    /// How often the task runs.
    pub fn every(self) -> Duration {
        match self {
            // A check-in prompt is due at its half hour: ten minutes late at most.
            Periodic::Housekeeping | Periodic::Reminders => Duration::from_secs(10 * 60),
            Periodic::MonitoringSweep | Periodic::ExpectedTrajectories => Duration::from_secs(3600),
        }
    }

    /// The number of the period `now` falls in (periods counted from the
    /// Unix epoch, so every server agrees).
    pub fn period(self, now: Timestamp) -> i64 {
        let every = i64::try_from(self.every().as_secs())
            .unwrap_or(i64::MAX)
            .max(1);
        now.as_second().div_euclid(every)
    }
}

/// What a periodic task (or any job) did, for the worker's report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobReport {
    pub sessions_deleted: u64,
    pub jobs_deleted: u64,
    /// Self-referral drafts never sent whose resume links expired.
    pub drafts_deleted: u64,
    pub reminders_queued: u32,
    /// Signals the monitoring sweep raised or merged.
    pub signals: u32,
    pub trajectories_computed: u32,
}

impl Jobs<'_> {
    /// Queues each task's job for the period `now` falls in, unless it was
    /// queued already (by this or any other worker). Returns how many were
    /// queued now.
    pub async fn schedule_periodic(&self, tasks: &[Periodic]) -> Result<u32, AppError> {
        if tasks.is_empty() {
            return Ok(0);
        }
        let now = self.app.clock.now();
        let mut tx = self.app.store.begin().await?;
        let mut queued = 0;
        for &task in tasks {
            let period = task.period(now);
            let key =
                IdempotencyKey::from_parts(&["periodic", task.as_str(), &period.to_string()])?;
            if self
                .enqueue(&mut tx, &key, &Job::Periodic { task, period })
                .await?
            {
                queued += 1;
            }
        }
        tx.commit().await?;
        Ok(queued)
    }

    /// Runs one periodic task.
    pub(crate) async fn run_periodic(&self, task: Periodic) -> Result<JobReport, AppError> {
        Ok(match task {
            Periodic::Housekeeping => self.housekeep().await?,
            Periodic::Reminders => JobReport {
                reminders_queued: self.queue_reminders().await?.total(),
                ..JobReport::default()
            },
            Periodic::MonitoringSweep => JobReport {
                signals: self.app.monitoring().sweep().await?.signals,
                ..JobReport::default()
            },
            Periodic::ExpectedTrajectories => JobReport {
                trajectories_computed: self
                    .app
                    .monitoring()
                    .refresh_expected_trajectories()
                    .await?,
                ..JobReport::default()
            },
        })
    }

    /// Deletes expired sessions, jobs finished more than [`KEEP_FINISHED`]
    /// ago (and the ids of inbound texts handled as long ago), and
    /// never-sent drafts whose links expired.
    pub async fn housekeep(&self) -> Result<JobReport, AppError> {
        let now = self.app.clock.now();
        let mut tx = self.app.store.begin().await?;
        let sessions_deleted = tx.delete_expired_sessions(now).await?;
        let before = now.checked_sub(KEEP_FINISHED).unwrap_or(now);
        let jobs_deleted = tx.delete_finished_jobs(before).await?;
        tx.delete_sms_inbound_before(before).await?;
        let drafts_before = now
            .checked_sub(Duration::from_secs(
                DRAFT_LIFETIME_DAYS.unsigned_abs() * 86_400,
            ))
            .unwrap_or(now);
        let drafts = tx.delete_expired_drafts(drafts_before).await?;
        // One event per draft, naming it, so that verification knows Bothy
        // removed the row.
        for id in &drafts {
            let event = AuditEvent::new(Action::ReferralDraftDeleted)
                .detail(format!("referral {id}"))
                .record(RecordKind::Referral, id);
            self.app
                .audit(&mut tx, &Actor::System, &RequestContext::default(), event)
                .await?;
        }
        let drafts_deleted = drafts.len() as u64;
        tx.commit().await?;
        // Bulk exports past their files' lifetime, and SMART assertions and
        // tokens past their expiry.
        self.app.bulk_exports().remove_expired().await?;
        self.app.store.refresh_statistics().await?;
        Ok(JobReport {
            sessions_deleted,
            jobs_deleted,
            drafts_deleted,
            ..JobReport::default()
        })
    }
}
