//! Bothy's background worker, in the `bothy serve` process or on its own as
//! `bothy worker`: it runs the job queue and the housekeeping.
//!
//! Every [`POLL`] the worker claims the jobs that are due, a batch at a time,
//! runs each ([`App::perform`]) and records the outcome: done, queued again
//! after a back-off ([`bothy_app::jobs::retry_delay`]), or failed once no
//! attempts are left. Every pass it escalates overdue alerts and peer
//! support posts unmoderated past their deadline, and queues the
//! periodic tasks (housekeeping, the monitoring sweep, expected
//! trajectories: `bothy_app::periodic`) whose period has turned, as jobs
//! keyed by their period, so that however many workers run, each runs once
//! a period. All of it is safe to run again.
//!
//! Beside the passes, every [`SEAL`] it seals committed audit events into the
//! hash chain ([`seal_audit`]), on its own timer so that a long pass (a slow
//! mail server) never holds sealing back. Of several workers, one seals at a
//! time, under the sealer's lease ([`SEAL_LEASE`]); the others find it busy.
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

pub mod kannel;
pub mod notify_gov;
pub mod smtp;

use bothy_app::jobs::{IdempotencyKey, Job, JobError, retry_delay};
use bothy_app::periodic::{JobReport, Periodic};
use bothy_app::queue::{ClaimedJob, Outcome, SealPass};
use bothy_app::{App, AppError};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

/// How often the worker looks for due jobs.
pub const POLL: Duration = Duration::from_secs(5);
/// Jobs claimed at once.
pub const BATCH: u32 = 10;
/// How long a claim holds a job. Longer than a whole batch can take
/// ([`BATCH`] times [`JOB_TIMEOUT`]), so a lease never runs out under a live worker.
pub const LEASE: Duration = Duration::from_secs(10 * 60);
/// The longest one attempt may take before it counts as failed.
pub const JOB_TIMEOUT: Duration = Duration::from_secs(30);
/// How often committed audit events are sealed: the longest an event waits
/// for its seal while a worker runs, plus the pass itself.
pub const SEAL: Duration = Duration::from_secs(1);
/// How long a sealing pass holds the sealer's lease. A pass seals a bounded
/// number of events and takes well under a second; a worker that dies
/// holding the lease holds up sealing this long at most.
pub const SEAL_LEASE: Duration = Duration::from_secs(60);
/// Batches run in one pass at most, so one pass cannot run forever.
const MAX_BATCHES: u32 = 100;
/// After the stop signal, how long the job in hand may take to finish.
const FINISH_GRACE: Duration = Duration::from_secs(3);
/// The shortest and longest waits a channel may ask for before a retry
/// (`Retry-After`): never a busy loop, never longer than the queue's own
/// longest back-off.
const MIN_WAIT: Duration = Duration::from_secs(1);
const MAX_WAIT: Duration = Duration::from_secs(12 * 60 * 60);

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub sessions_deleted: u64,
    /// "Measures are due" messages queued for people on the waiting list.
    pub reminders_queued: u32,
    pub jobs_deleted: u64,
    /// Self-referral drafts never sent whose links expired.
    pub drafts_deleted: u64,
    pub jobs_done: u32,
    /// Periodic tasks run (`bothy_app::periodic`).
    pub periodic_done: u32,
    pub jobs_retried: u32,
    /// Jobs that chose to wait (a reminder in quiet hours or over a limit).
    pub jobs_deferred: u32,
    pub jobs_failed: u32,
    /// Claimed jobs given back unstarted because the worker is stopping.
    pub jobs_released: u32,
    /// Jobs whose lease ran out before their outcome was recorded: another
    /// worker has them now.
    pub leases_lost: u32,
    pub alerts_escalated: u32,
    /// Peer support posts escalated, unmoderated past their deadline.
    pub posts_escalated: u32,
    /// Signals the monitoring sweep raised or merged.
    pub monitoring_signals: u32,
    pub trajectories_computed: u32,
    /// Audit events sealed into the chain.
    pub audit_sealed: u64,
}

impl std::ops::AddAssign for Report {
    fn add_assign(&mut self, o: Report) {
        self.sessions_deleted += o.sessions_deleted;
        self.jobs_deleted += o.jobs_deleted;
        self.drafts_deleted += o.drafts_deleted;
        self.jobs_done += o.jobs_done;
        self.periodic_done += o.periodic_done;
        self.jobs_retried += o.jobs_retried;
        self.jobs_deferred += o.jobs_deferred;
        self.jobs_failed += o.jobs_failed;
        self.jobs_released += o.jobs_released;
        self.leases_lost += o.leases_lost;
        self.reminders_queued += o.reminders_queued;
        self.alerts_escalated += o.alerts_escalated;
        self.posts_escalated += o.posts_escalated;
        self.monitoring_signals += o.monitoring_signals;
        self.trajectories_computed += o.trajectories_computed;
        self.audit_sealed += o.audit_sealed;
    }
}

impl Report {
    /// Adds what one job did.
    fn add_job(&mut self, done: &JobReport) {
        self.sessions_deleted += done.sessions_deleted;
        self.jobs_deleted += done.jobs_deleted;
        self.drafts_deleted += done.drafts_deleted;
        self.reminders_queued += done.reminders_queued;
        self.monitoring_signals += done.signals;
        self.trajectories_computed += done.trajectories_computed;
    }

    fn is_empty(&self) -> bool {
        *self == Report::default()
    }
}

/// Runs the worker every [`POLL`] until `shutdown` completes.
pub async fn run(app: Arc<App>, shutdown: impl Future<Output = ()>) {
    run_every(app, POLL, shutdown).await;
}

/// Runs the worker every `period` (the first run, with housekeeping, is at
/// once), and the sealer every `period` or [`SEAL`], whichever is shorter,
/// until `shutdown` completes. When the signal arrives during a run, the job
/// in hand may finish for a moment; jobs claimed but not started are given
/// back to the queue. A run abandoned mid-job leaves that job to be claimed
/// again when its lease runs out.
pub async fn run_every(app: Arc<App>, period: Duration, shutdown: impl Future<Output = ()>) {
    let (stop, stopped) = watch::channel(false);
    let passes = async {
        run_passes(&app, period, shutdown).await;
        let _ = stop.send(true);
    };
    tokio::join!(passes, seal_every(&app, period.min(SEAL), stopped));
    tracing::info!("worker stopped");
}

/// Seals committed audit events every `period` until `stopped` changes.
async fn seal_every(app: &App, period: Duration, mut stopped: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            _ = ticks.tick() => {}
        }
        let sealing = seal_audit(app);
        tokio::pin!(sealing);
        tokio::select! {
            result = &mut sealing => log_sealing(result),
            _ = stopped.changed() => {
                // A batch cut short is rolled back; its events wait for the next sealer.
                if let Ok(result) = tokio::time::timeout(FINISH_GRACE, &mut sealing).await {
                    log_sealing(result);
                }
                break;
            }
        }
    }
}

fn log_sealing(result: Result<SealPass, AppError>) {
    match result {
        Ok(p) if p.sealed == 0 => {}
        Ok(p) => tracing::debug!(audit_sealed = p.sealed, "worker: audit events sealed"),
        Err(e) => {
            tracing::warn!(error = %e, cause = ?std::error::Error::source(&e), "worker: sealing audit events failed; retrying")
        }
    }
}

/// Seals committed audit events until none is left, or another sealer holds
/// the lease; returns what was done, passes added up. Logs the outcome of
/// the one check of the earlier format's chains when this call makes it.
pub async fn seal_audit(app: &App) -> Result<SealPass, AppError> {
    let holder = worker_name();
    let mut total = SealPass::default();
    loop {
        let pass = app.seal_audit(&holder, SEAL_LEASE).await?;
        match &pass.legacy {
            Some(check) if !check.is_intact() => tracing::error!(
                chains = check.chains,
                events = check.events,
                first_break = check.first_break.as_deref().unwrap_or_default(),
                "AUDIT TRAIL BROKEN before sealing: the earlier hash chains do not verify; \
                 their events are sealed as found and `bothy audit verify` reports this"
            ),
            Some(check) if check.events > 0 => tracing::info!(
                chains = check.chains,
                events = check.events,
                "the earlier hash chains verify; sealing their events into the one chain"
            ),
            _ => {}
        }
        total.sealed += pass.sealed;
        total.busy |= pass.busy;
        total.lease_lost |= pass.lease_lost;
        total.legacy = total.legacy.or(pass.legacy);
        if !pass.more {
            return Ok(total);
        }
    }
}

async fn run_passes(app: &App, period: Duration, shutdown: impl Future<Output = ()>) {
    // A timer, not a clock read: scheduling only, never a timestamp.
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let stopping = AtomicBool::new(false);
    let mut scheduled = Scheduled::default();
    tokio::pin!(shutdown);
    tracing::info!(period_ms = period.as_millis(), "worker started");
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = ticks.tick() => {}
        }
        let pass = pass(app, &mut scheduled, &stopping);
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
}

fn log(result: Result<Report, AppError>) {
    match result {
        Ok(r) if r.is_empty() => tracing::debug!("worker: nothing to do"),
        Ok(r) => tracing::info!(
            sessions_deleted = r.sessions_deleted,
            jobs_deleted = r.jobs_deleted,
            drafts_deleted = r.drafts_deleted,
            jobs_done = r.jobs_done,
            periodic_done = r.periodic_done,
            jobs_retried = r.jobs_retried,
            jobs_failed = r.jobs_failed,
            jobs_released = r.jobs_released,
            leases_lost = r.leases_lost,
            alerts_escalated = r.alerts_escalated,
            posts_escalated = r.posts_escalated,
            monitoring_signals = r.monitoring_signals,
            trajectories_computed = r.trajectories_computed,
            audit_sealed = r.audit_sealed,
            "worker: pass finished"
        ),
        Err(e) => {
            tracing::warn!(error = %e, cause = ?std::error::Error::source(&e), "worker: task failed; retrying at the next poll")
        }
    }
}

/// Runs everything once: escalation, the periodic tasks of the current
/// period (unless they were queued already), every due job until none is
/// due, then the sealer.
pub async fn run_once(app: &App) -> Result<Report, AppError> {
    let mut report = pass(app, &mut Scheduled::default(), &AtomicBool::new(false)).await?;
    report.audit_sealed += seal_audit(app).await?.sealed;
    Ok(report)
}

/// The period for which this worker last queued each periodic task, so
/// that it queues each once per period (any worker's queueing is idempotent
/// besides: the job's key names the period).
#[derive(Default)]
struct Scheduled(HashMap<Periodic, i64>);

impl Scheduled {
    /// The tasks whose current period this worker has not queued yet.
    fn due(&self, now: jiff::Timestamp) -> Vec<Periodic> {
        Periodic::ALL
            .into_iter()
            .filter(|t| self.0.get(t) != Some(&t.period(now)))
            .collect()
    }
}

async fn pass(
    app: &App,
    scheduled: &mut Scheduled,
    stopping: &AtomicBool,
) -> Result<Report, AppError> {
    let mut report = Report::default();
    // Every pass: an overdue alert must not wait for a period to turn.
    report.alerts_escalated += app.monitoring().escalate_overdue().await?;
    report.posts_escalated += app.peer().escalate_overdue().await?;
    let now = app.clock().now();
    let due = scheduled.due(now);
    app.jobs().schedule_periodic(&due).await?;
    for task in due {
        scheduled.0.insert(task, task.period(now));
    }
    report += run_due_jobs(app, stopping).await?;
    Ok(report)
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
        let Some(claim) = app.jobs().claim_due(&holder, LEASE, BATCH).await? else {
            break;
        };
        for job in &claim.abandoned {
            tracing::error!(job_id = %job.id, kind = %job.kind, attempts = job.attempts, "job failed: its worker stopped during the last attempt");
            report.jobs_failed += 1;
        }
        if claim.jobs.is_empty() {
            break;
        }
        report += run_batch(app, &claim.jobs, stopping).await?;
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
            .clock()
            .now()
            .checked_add(JOB_TIMEOUT)
            .is_ok_and(|t| t < job.lease_until);
        if stopping.load(Ordering::SeqCst) || !lease_left {
            // Not started: give these back rather than hold them until the lease ends.
            report.jobs_released += app.jobs().release(&claimed[i..]).await?;
            break;
        }
        let outcome = attempt(app, job).await;
        record(app, job, outcome, &mut report).await?;
    }
    Ok(report)
}

/// One attempt at a claimed job.
async fn attempt(app: &App, job: &ClaimedJob) -> Result<JobReport, JobError> {
    let decoded = Job::decode(&job.kind, &job.payload)?;
    let key = IdempotencyKey::new(job.idempotency_key.as_str())
        .map_err(|_| JobError::GiveUp("the job's idempotency key is not valid".into()))?;
    match tokio::time::timeout(JOB_TIMEOUT, app.jobs().perform(&key, &decoded)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(JobError::Retry("timed out".into())),
    }
}

/// Records an attempt's outcome, if this claim still holds the lease.
async fn record(
    app: &App,
    job: &ClaimedJob,
    outcome: Result<JobReport, JobError>,
    report: &mut Report,
) -> Result<(), AppError> {
    let held = match &outcome {
        Ok(done) => {
            let held = app.jobs().record(job, Outcome::Done).await?;
            if held {
                // Periodic tasks are counted apart from the queue's own work.
                if job.kind == Job::PERIODIC {
                    report.periodic_done += 1;
                } else {
                    report.jobs_done += 1;
                }
                report.add_job(done);
            }
            held
        }
        Err(JobError::Defer(run_at)) => {
            let held = app.jobs().record(job, Outcome::DeferTo(*run_at)).await?;
            if held {
                report.jobs_deferred += 1;
                tracing::debug!(job_id = %job.id, kind = %job.kind, "job waits (quiet hours or a limit)");
            }
            held
        }
        Err(JobError::Retry(e) | JobError::RetryAfter { error: e, .. })
            if !job.is_last_attempt() =>
        {
            let delay = match &outcome {
                // The channel said when (a rate limit); kept within the
                // queue's own range of waits.
                Err(JobError::RetryAfter { after, .. }) => (*after).clamp(MIN_WAIT, MAX_WAIT),
                _ => retry_delay(job.attempts),
            };
            let now = app.clock().now();
            let run_at = now.checked_add(delay).unwrap_or(now);
            let held = app.jobs().record(job, Outcome::RetryAt(run_at, e)).await?;
            if held {
                report.jobs_retried += 1;
                tracing::warn!(job_id = %job.id, kind = %job.kind, attempt = job.attempts, max_attempts = job.max_attempts, error = %e, retry_in_secs = delay.as_secs(), "job attempt failed; will retry");
            }
            held
        }
        Err(e) => {
            let held = app
                .jobs()
                .record(job, Outcome::Failed(&e.to_string()))
                .await?;
            if held {
                report.jobs_failed += 1;
                tracing::error!(job_id = %job.id, kind = %job.kind, attempts = job.attempts, error = %e, "job failed; it will not be tried again");
            }
            held
        }
    };
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
        let mut tx = app.store().begin().await.expect("begin");
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
        let mut tx = app.store().begin().await.expect("begin");
        for i in 0..3 {
            let n = Notification {
                to: Recipient::Email(Email::parse("a@example.org").expect("email")),
                template: MessageTemplate::MeasureDue,
                link: None,
                service: None,
                patient: None,
                appointment: None,
            };
            let key = IdempotencyKey::new(format!("stop.{i}")).expect("key");
            assert!(
                app.jobs()
                    .enqueue_notification(&mut tx, &key, n)
                    .await
                    .expect("enqueue")
            );
        }
        tx.commit().await.expect("commit");

        let mut scheduled = Scheduled::default();
        for task in Periodic::ALL {
            scheduled.0.insert(task, task.period(app.clock().now()));
        }
        let report = pass(&app, &mut scheduled, &stop).await.expect("pass");
        assert_eq!((report.jobs_done, report.jobs_released), (1, 2));
        assert_eq!(outbox.sent().len(), 1);
        let mut tx = app.store().read().await.expect("read");
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
        app.store().close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_running_worker_seals_audit_events_on_its_own_timer() {
        let clock = FakeClock::at("2026-01-05T09:00:00Z".parse().expect("timestamp"));
        let (app, dir) = app(clock, "seal").await;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // Passes an hour apart, and the event comes after the first ticks:
        // only the sealer's own timer can seal it in time.
        let worker = tokio::spawn(run_every(app.clone(), Duration::from_secs(3600), async {
            let _ = stopped.await;
        }));
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut tx = app.store().begin().await.expect("begin");
        tx.audit(&bothy_domain::audit::AuditRecord {
            at_ms: 0,
            actor_kind: "system".into(),
            actor_id: None,
            role: None,
            service_id: None,
            patient_id: None,
            action: "test".into(),
            purpose: "security".into(),
            request_id: None,
            detail: None,
            record: None,
        })
        .await
        .expect("append");
        tx.commit().await.expect("commit");
        let mut sealed = false;
        for _ in 0..500 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let report = app.store().verify_audit(&[]).await.expect("verify");
            if report.sealed == 1 && report.unsealed == 0 {
                sealed = true;
                break;
            }
        }
        stop.send(()).expect("worker listening");
        tokio::time::timeout(Duration::from_secs(5), worker)
            .await
            .expect("worker stops")
            .expect("no panic");
        assert!(sealed, "sealed within five seconds");
        app.store().close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_batch_finishes_well_within_its_lease() {
        assert!(JOB_TIMEOUT * BATCH * 2 <= LEASE);
        assert!(POLL < Periodic::Housekeeping.every());
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
        let mut tx = app.store().read().await.expect("read");
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
            let mut tx = app.store().read().await.expect("read");
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
        app.store().close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
