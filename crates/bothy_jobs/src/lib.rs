//! Bothy's background worker, in the `bothy serve` process or on its own as
//! `bothy worker`: it runs the job queue and the housekeeping.
//!
//! Every [`POLL`] the worker claims the jobs that are due, a batch at a time,
//! runs each ([`App::perform`]) and records the outcome: done, queued again
//! after a back-off ([`bothy_app::jobs::retry_delay`]), or failed once no
//! attempts are left. Every [`HOUSEKEEPING`] it deletes expired sessions and
//! long-finished jobs and queues measure reminders; every pass it escalates
//! overdue alerts; every [`SWEEP`] it runs the time-based detectors (disengagement)
//! and refreshes expected trajectories. All of it is safe to run again.
//!
//! Several workers may run at once against one database. A claim takes a
//! lease on each job ([`LEASE`]); no other worker can claim the job while the
//! lease lasts, and only the lease holder can mark it done, so a job that is
//! done is never run again. A worker that dies leaves its jobs to be claimed
//! again when their leases run out; the job's idempotency key travels to the
//! notifier, which sends nothing twice.
//!
//! A failed task is logged and tried again at the next poll; nothing here
//! panics or stops the loop except the shutdown signal.

use bothy_app::jobs::{IdempotencyKey, Job, JobError, retry_delay};
use bothy_app::{App, AppError};
use bothy_store::ClaimedJob;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::time::MissedTickBehavior;

/// How often the worker looks for due jobs.
pub const POLL: Duration = Duration::from_secs(5);
/// How often the worker deletes expired sessions and old finished jobs.
pub const HOUSEKEEPING: Duration = Duration::from_secs(60);
/// How often the time-based detectors run over everyone in an open episode.
pub const SWEEP: Duration = Duration::from_secs(3600);
/// Jobs claimed at once.
pub const BATCH: u32 = 10;
/// How long a claim holds a job. Longer than a whole batch can take
/// ([`BATCH`] times [`JOB_TIMEOUT`]), so a lease never runs out under a live worker.
pub const LEASE: Duration = Duration::from_secs(10 * 60);
/// The longest one attempt may take before it counts as failed.
pub const JOB_TIMEOUT: Duration = Duration::from_secs(30);
/// Finished jobs (and their payloads, which hold contact details) are kept
/// this long, then deleted; their idempotency keys are forgotten with them.
pub const KEEP_FINISHED: Duration = Duration::from_secs(30 * 24 * 3600);
/// Batches run in one pass at most, so one pass cannot run forever.
const MAX_BATCHES: u32 = 100;
/// After the stop signal, how long the job in hand may take to finish.
const FINISH_GRACE: Duration = Duration::from_secs(3);

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub sessions_deleted: u64,
    /// "Measures are due" messages queued for people on the waiting list.
    pub reminders_queued: u32,
    pub jobs_deleted: u64,
    pub jobs_done: u32,
    pub jobs_retried: u32,
    pub jobs_failed: u32,
    /// Claimed jobs given back unstarted because the worker is stopping.
    pub jobs_released: u32,
    /// Jobs whose lease ran out before their outcome was recorded: another
    /// worker has them now.
    pub leases_lost: u32,
    pub alerts_escalated: u32,
    pub disengagement_signals: u32,
    pub trajectories_computed: u32,
}

impl std::ops::AddAssign for Report {
    fn add_assign(&mut self, o: Report) {
        self.sessions_deleted += o.sessions_deleted;
        self.jobs_deleted += o.jobs_deleted;
        self.jobs_done += o.jobs_done;
        self.jobs_retried += o.jobs_retried;
        self.jobs_failed += o.jobs_failed;
        self.jobs_released += o.jobs_released;
        self.leases_lost += o.leases_lost;
        self.reminders_queued += o.reminders_queued;
        self.alerts_escalated += o.alerts_escalated;
        self.disengagement_signals += o.disengagement_signals;
        self.trajectories_computed += o.trajectories_computed;
    }
}

impl Report {
    fn is_empty(&self) -> bool {
        *self == Report::default()
    }
}

/// Runs the worker every [`POLL`] until `shutdown` completes.
pub async fn run(app: Arc<App>, shutdown: impl Future<Output = ()>) {
    run_every(app, POLL, shutdown).await;
}

/// Runs the worker every `period` (the first run, with housekeeping, is at
/// once) until `shutdown` completes. When the signal arrives during a run,
/// the job in hand may finish for a moment; jobs claimed but not started are
/// given back to the queue. A run abandoned mid-job leaves that job to be
/// claimed again when its lease runs out.
pub async fn run_every(app: Arc<App>, period: Duration, shutdown: impl Future<Output = ()>) {
    // A timer, not a clock read: scheduling only, never a timestamp.
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let housekeeping_every = (HOUSEKEEPING.as_millis() / period.as_millis().max(1)).max(1);
    let sweep_every = (SWEEP.as_millis() / period.as_millis().max(1)).max(1);
    let stopping = AtomicBool::new(false);
    tokio::pin!(shutdown);
    tracing::info!(period_ms = period.as_millis(), "worker started");
    let mut tick: u128 = 0;
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = ticks.tick() => {}
        }
        let housekeeping = tick.is_multiple_of(housekeeping_every);
        let sweep = tick.is_multiple_of(sweep_every);
        tick = tick.wrapping_add(1);
        let pass = pass(&app, housekeeping, sweep, &stopping);
        tokio::pin!(pass);
        tokio::select! {
            result = &mut pass => log(result),
            () = &mut shutdown => {
                stopping.store(true, Ordering::SeqCst);
                match tokio::time::timeout(FINISH_GRACE, &mut pass).await {
                    Ok(result) => log(result),
                    Err(_) => tracing::warn!("worker stopped during a job; it will be claimed again when its lease runs out"),
                }
                break;
            }
        }
    }
    tracing::info!("worker stopped");
}

fn log(result: Result<Report, AppError>) {
    match result {
        Ok(r) if r.is_empty() => tracing::debug!("worker: nothing to do"),
        Ok(r) => tracing::info!(
            sessions_deleted = r.sessions_deleted,
            jobs_deleted = r.jobs_deleted,
            jobs_done = r.jobs_done,
            jobs_retried = r.jobs_retried,
            jobs_failed = r.jobs_failed,
            jobs_released = r.jobs_released,
            leases_lost = r.leases_lost,
            alerts_escalated = r.alerts_escalated,
            disengagement_signals = r.disengagement_signals,
            trajectories_computed = r.trajectories_computed,
            "worker: pass finished"
        ),
        Err(e) => {
            tracing::warn!(error = %e, cause = ?std::error::Error::source(&e), "worker: task failed; retrying at the next poll")
        }
    }
}

/// Runs everything once: housekeeping, the sweep, then every due job until
/// none is due.
pub async fn run_once(app: &App) -> Result<Report, AppError> {
    pass(app, true, true, &AtomicBool::new(false)).await
}

async fn pass(
    app: &App,
    housekeeping: bool,
    sweep: bool,
    stopping: &AtomicBool,
) -> Result<Report, AppError> {
    let mut report = Report::default();
    if housekeeping {
        report += housekeep(app).await?;
    }
    // Every pass, not only at housekeeping: an overdue alert must not wait.
    report.alerts_escalated += app.escalate_overdue_alerts().await?;
    if sweep {
        report.disengagement_signals += app.sweep_disengagement().await?;
        report.trajectories_computed += app.refresh_expected_trajectories().await?;
    }
    report += run_due_jobs(app, stopping).await?;
    Ok(report)
}

/// Deletes expired sessions and jobs finished more than [`KEEP_FINISHED`] ago,
/// and queues measure reminders for people on the waiting list.
pub async fn housekeep(app: &App) -> Result<Report, AppError> {
    let now = app.clock.now();
    let mut tx = app.store.begin().await?;
    let sessions_deleted = tx.delete_expired_sessions(now).await?;
    let before = now.checked_sub(KEEP_FINISHED).unwrap_or(now);
    let jobs_deleted = tx.delete_finished_jobs(before).await?;
    tx.commit().await?;
    let reminders_queued = app.queue_waiting_reminders().await?;
    Ok(Report {
        sessions_deleted,
        jobs_deleted,
        reminders_queued,
        ..Report::default()
    })
}

/// A name for this worker in `locked_by`, for operators; each claim adds a
/// unique token to it.
fn worker_name() -> String {
    format!("worker-{}", std::process::id())
}

/// Claims and runs batches of due jobs until none is due (or `stopping`).
async fn run_due_jobs(app: &App, stopping: &AtomicBool) -> Result<Report, AppError> {
    let mut report = Report::default();
    let holder = worker_name();
    for _ in 0..MAX_BATCHES {
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        let now = app.clock.now();
        // A read first, so that an idle worker does not take the write lock.
        let mut tx = app.store.read().await?;
        let due = tx.has_due_jobs(now).await?;
        tx.rollback().await?;
        if !due {
            break;
        }
        let mut tx = app.store.begin().await?;
        for job in tx.fail_abandoned_jobs(now).await? {
            tracing::error!(job_id = %job.id, kind = %job.kind, attempts = job.attempts, "job failed: its worker stopped during the last attempt");
            report.jobs_failed += 1;
        }
        let claimed = tx.claim_jobs(&holder, now, LEASE, BATCH).await?;
        tx.commit().await?;
        if claimed.is_empty() {
            break;
        }
        report += run_batch(app, &claimed, stopping).await?;
    }
    Ok(report)
}

/// Runs claimed jobs one by one, recording each outcome in its own
/// transaction (never holding one open while a message is sent).
async fn run_batch(
    app: &App,
    claimed: &[ClaimedJob],
    stopping: &AtomicBool,
) -> Result<Report, AppError> {
    let mut report = Report::default();
    for (i, job) in claimed.iter().enumerate() {
        let lease_left = app
            .clock
            .now()
            .checked_add(JOB_TIMEOUT)
            .is_ok_and(|t| t < job.lease_until);
        if stopping.load(Ordering::SeqCst) || !lease_left {
            // Not started: give these back rather than hold them until the lease ends.
            let mut tx = app.store.begin().await?;
            for rest in &claimed[i..] {
                if tx.release_job(rest).await? {
                    report.jobs_released += 1;
                }
            }
            tx.commit().await?;
            break;
        }
        let outcome = attempt(app, job).await;
        record(app, job, outcome, &mut report).await?;
    }
    Ok(report)
}

/// One attempt at a claimed job.
async fn attempt(app: &App, job: &ClaimedJob) -> Result<(), JobError> {
    let decoded = Job::decode(&job.kind, &job.payload)?;
    let key = IdempotencyKey::new(job.idempotency_key.as_str())
        .map_err(|_| JobError::GiveUp("the job's idempotency key is not valid".into()))?;
    match tokio::time::timeout(JOB_TIMEOUT, app.perform(&key, &decoded)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(JobError::Retry("timed out".into())),
    }
}

/// Records an attempt's outcome, if this claim still holds the lease.
async fn record(
    app: &App,
    job: &ClaimedJob,
    outcome: Result<(), JobError>,
    report: &mut Report,
) -> Result<(), AppError> {
    let now = app.clock.now();
    let mut tx = app.store.begin().await?;
    let held = match &outcome {
        Ok(()) => {
            let held = tx.complete_job(job, now).await?;
            if held {
                report.jobs_done += 1;
            }
            held
        }
        Err(JobError::Retry(e)) if !job.is_last_attempt() => {
            let delay = retry_delay(job.attempts);
            let run_at = now.checked_add(delay).unwrap_or(now);
            let held = tx.retry_job(job, run_at, e).await?;
            if held {
                report.jobs_retried += 1;
                tracing::warn!(job_id = %job.id, kind = %job.kind, attempt = job.attempts, max_attempts = job.max_attempts, error = %e, retry_in_secs = delay.as_secs(), "job attempt failed; will retry");
            }
            held
        }
        Err(e) => {
            let held = tx.fail_job(job, now, &e.to_string()).await?;
            if held {
                report.jobs_failed += 1;
                tracing::error!(job_id = %job.id, kind = %job.kind, attempts = job.attempts, error = %e, "job failed; it will not be tried again");
            }
            held
        }
    };
    tx.commit().await?;
    if !held {
        report.leases_lost += 1;
        tracing::warn!(job_id = %job.id, kind = %job.kind, "job's lease ran out before its outcome was recorded; another worker has it");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bothy_app::{AppSettings, FakeClock};
    use bothy_domain::crisis::CrisisContacts;
    use bothy_domain::time::{Timestamp, to_millis};
    use bothy_store::{PoolSettings, SessionRow, Store};

    const CRISIS: &str = "version='1'\nreviewed='r'\nreviewed_by='b'\nheading='h'\n[[contacts]]\nname='A'\nhow='Call 999'\nlink='tel:999'\nwhen='w'";

    async fn app(clock: FakeClock, name: &str) -> (Arc<App>, std::path::PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("bothy-jobs-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = format!("sqlite://{}/bothy.db", dir.display());
        let store = Store::connect(&url, &PoolSettings::default())
            .await
            .expect("connect");
        store.migrate().await.expect("migrate");
        let crisis = CrisisContacts::parse(CRISIS).expect("crisis contacts");
        (
            Arc::new(App::new(
                store,
                Arc::new(clock),
                AppSettings::default(),
                crisis,
            )),
            dir,
        )
    }

    async fn session(app: &App, id: &str, expires: Timestamp) {
        let mut tx = app.store.begin().await.expect("begin");
        let row = SessionRow {
            id: id.into(),
            data: "{}".into(),
            expires_at_ms: to_millis(expires),
            account: None,
        };
        assert!(tx.create_session(&row).await.expect("insert"));
        tx.commit().await.expect("commit");
    }

    /// A notifier that raises the stop flag when it sends.
    struct StopsTheWorker(Arc<AtomicBool>, bothy_app::notify::MemoryOutbox);

    impl bothy_app::notify::Notifier for StopsTheWorker {
        fn send<'a>(
            &'a self,
            message: &'a bothy_app::notify::OutgoingMessage,
        ) -> bothy_app::notify::SendFuture<'a> {
            self.0.store(true, Ordering::SeqCst);
            self.1.send(message)
        }
    }

    #[tokio::test]
    async fn a_stopping_worker_finishes_the_job_in_hand_and_gives_back_the_rest() {
        use bothy_app::jobs::{MessageTemplate, Notification, Recipient};
        use bothy_domain::person::Email;
        let clock = FakeClock::at("2026-01-05T09:00:00Z".parse().expect("timestamp"));
        let (app, dir) = app(clock, "stop").await;
        let stop = Arc::new(AtomicBool::new(false));
        let outbox = bothy_app::notify::MemoryOutbox::new();
        let app = Arc::into_inner(app)
            .expect("one owner")
            .with_notifier(Arc::new(StopsTheWorker(stop.clone(), outbox.clone())));
        let mut tx = app.store.begin().await.expect("begin");
        for i in 0..3 {
            let n = Notification {
                to: Recipient::Email(Email::parse("a@example.org").expect("email")),
                template: MessageTemplate::MeasureDue,
                link: None,
            };
            let key = IdempotencyKey::new(format!("stop.{i}")).expect("key");
            assert!(
                app.enqueue_notification(&mut tx, &key, n)
                    .await
                    .expect("enqueue")
            );
        }
        tx.commit().await.expect("commit");

        let report = pass(&app, false, false, &stop).await.expect("pass");
        assert_eq!((report.jobs_done, report.jobs_released), (1, 2));
        assert_eq!(outbox.sent().len(), 1);
        let mut tx = app.store.read().await.expect("read");
        for i in 1..3 {
            let job = tx
                .job_by_key(&format!("stop.{i}"))
                .await
                .expect("load")
                .expect("job");
            assert_eq!(job.state, bothy_store::JobState::Queued);
            assert_eq!(
                (job.attempts, job.locked_by),
                (0, None),
                "the attempt is not counted"
            );
        }
        tx.rollback().await.expect("rollback");
        // The next worker runs them at once.
        assert_eq!(run_once(&app).await.expect("run").jobs_done, 2);
        assert_eq!(outbox.sent().len(), 3);
        app.store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_batch_finishes_well_within_its_lease() {
        assert!(JOB_TIMEOUT * BATCH * 2 <= LEASE);
        assert!(POLL < HOUSEKEEPING);
    }

    #[tokio::test]
    async fn deletes_only_expired_sessions_and_stops_on_shutdown() {
        let start: Timestamp = "2026-01-05T09:00:00Z".parse().expect("timestamp");
        let clock = FakeClock::at(start);
        let (app, dir) = app(clock.clone(), "sessions").await;
        session(
            &app,
            "old",
            start.checked_sub(Duration::from_secs(1)).expect("time"),
        )
        .await;
        session(
            &app,
            "live",
            start.checked_add(Duration::from_secs(600)).expect("time"),
        )
        .await;

        assert_eq!(run_once(&app).await.expect("run").sessions_deleted, 1);
        assert_eq!(run_once(&app).await.expect("run"), Report::default());
        let mut tx = app.store.read().await.expect("read");
        assert!(
            tx.load_session("live", start)
                .await
                .expect("load")
                .is_some()
        );
        tx.rollback().await.expect("rollback");

        clock.advance(Duration::from_secs(601));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let worker = tokio::spawn(run_every(app.clone(), Duration::from_millis(10), async {
            let _ = stopped.await;
        }));
        // The first tick is immediate; wait until it has removed the session.
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let mut tx = app.store.read().await.expect("read");
            let gone = tx
                .load_session("live", start)
                .await
                .expect("load")
                .is_none();
            tx.rollback().await.expect("rollback");
            if gone {
                break;
            }
        }
        assert_eq!(
            run_once(&app).await.expect("run").sessions_deleted,
            0,
            "the worker already deleted it"
        );
        stop.send(()).expect("worker listening");
        tokio::time::timeout(Duration::from_secs(5), worker)
            .await
            .expect("worker stops")
            .expect("no panic");
        app.store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
