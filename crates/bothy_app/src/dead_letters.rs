//! The dead-letter list: jobs that failed for good, for an administrator
//! to see, retry or cancel. It shows what failed (the kind of job, the
//! message and channel, the error class), never an address or anything
//! about the person. Retry and cancel are guarded writes on `state =
//! 'failed'`, so two administrators acting at once get one effect, and the
//! second a conflict that says what happened.

use crate::AuditEvent;
use crate::jobs::{Job, Jobs};
use crate::policy::Permission;
use crate::{Actor, AppError, RequestContext};
use bothy_domain::ServiceId;
use bothy_domain::audit::Action;
use bothy_domain::time::Timestamp;
use bothy_store::{JobRecord, JobState};

/// How many failed jobs the list shows.
pub const SHOWN: u32 = 200;

/// One failed job as an administrator sees it.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub id: String,
    /// `notify`, `reevaluate`, `periodic`.
    pub kind: String,
    /// For a message: which one and by which channel, in plain words.
    pub message: Option<(String, String)>,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub failed_at: Option<Timestamp>,
}

/// What an administrator does with a failed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadLetterAction {
    Retry,
    Cancel,
}

impl Jobs<'_> {
    /// Failed jobs of the administrator's service (and those of no
    /// service), newest first. Audited.
    pub async fn dead_letters(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
    ) -> Result<Vec<DeadLetter>, AppError> {
        let service = admin_service(actor)?;
        let mut tx = self.app.store.begin().await?;
        let jobs = tx.failed_jobs(SHOWN).await?;
        let shown: Vec<DeadLetter> = jobs
            .iter()
            .filter(|j| belongs(j, service))
            .map(dead_letter)
            .collect();
        let event = AuditEvent::new(Action::FailedJobsRead)
            .service(service)
            .detail(format!("{} failed jobs", shown.len()));
        self.app.audit(&mut tx, actor, ctx, event).await?;
        tx.commit().await?;
        Ok(shown)
    }

    /// Retries or cancels a failed job, audited. A job that is no longer
    /// failed (another administrator acted first) is a conflict.
    pub async fn act_on_dead_letter(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
        id: &str,
        action: DeadLetterAction,
    ) -> Result<(), AppError> {
        let service = admin_service(actor)?;
        let now = self.app.clock.now();
        let mut tx = self.app.store.begin().await?;
        let job = tx.job_by_id(id).await?.ok_or(AppError::NotFound)?;
        if !belongs(&job, service) {
            return Err(AppError::NotFound);
        }
        let done = match action {
            DeadLetterAction::Retry => tx.retry_failed_job(id, now).await?,
            DeadLetterAction::Cancel => tx.cancel_failed_job(id, now).await?,
        };
        if !done {
            // Read again: another administrator's change has committed by now.
            let state = tx.job_by_id(id).await?.map_or(job.state, |j| j.state);
            return Err(AppError::Conflict(match state {
                JobState::Queued | JobState::Running => {
                    "This job has already been put back in the queue.".into()
                }
                JobState::Done => "This job has already been cancelled or has run.".into(),
                JobState::Failed => "This job changed at the same moment; reload the page.".into(),
            }));
        }
        let (action, verb) = match action {
            DeadLetterAction::Retry => (Action::FailedJobRetried, "retried"),
            DeadLetterAction::Cancel => (Action::FailedJobCancelled, "cancelled"),
        };
        let event = AuditEvent::new(action)
            .service(service)
            .detail(format!("job {id} ({}) {verb}", job.kind));
        self.app.audit(&mut tx, actor, ctx, event).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn admin_service(actor: &Actor) -> Result<ServiceId, AppError> {
    match actor {
        Actor::Staff(s) if s.has(Permission::ManageStaff) => Ok(s.service_id),
        _ => Err(AppError::Forbidden),
    }
}

/// Whether an administrator of `service` sees the job: a message of that
/// service, or a job of no service (periodic tasks, re-evaluations, and
/// messages queued before messages named their service).
fn belongs(job: &JobRecord, service: ServiceId) -> bool {
    match Job::decode(&job.kind, &job.payload) {
        Ok(Job::Notify(n)) => n.service.is_none_or(|s| s == service),
        _ => true,
    }
}

fn dead_letter(job: &JobRecord) -> DeadLetter {
    let message = match Job::decode(&job.kind, &job.payload) {
        Ok(Job::Notify(n)) => Some((
            n.template.label().to_string(),
            match n.to.channel() {
                crate::jobs::Channel::Email => "Email".to_string(),
                crate::jobs::Channel::Sms => "Text message".to_string(),
            },
        )),
        _ => None,
    };
    DeadLetter {
        id: job.id.clone(),
        kind: job.kind.clone(),
        message,
        attempts: job.attempts,
        last_error: job.last_error.clone(),
        failed_at: job.finished_at,
    }
}
