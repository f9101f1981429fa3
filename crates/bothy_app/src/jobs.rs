//! Background jobs: what a change leaves to be done after it commits.
//!
//! A use case enqueues a [`Job`] in its own transaction, so the job exists
//! exactly when the change that causes it commits; the worker (`bothy_jobs`)
//! claims it afterwards and calls [`App::perform`]. Every job has an
//! [`IdempotencyKey`] naming the event that caused it: enqueuing the same key
//! again is ignored, and the key travels to the notifier so that a job run
//! again after its worker died sends nothing twice.
//!
//! In a use case (the example is not compiled):
//!
//! ```text
//! let mut tx = app.store.begin().await?;
//! // ... the change and its audit event ...
//! let key = IdempotencyKey::from_parts(&["referral", &id, "decision", "person"])?;
//! // To a person: by a channel they agreed to, or recorded as not sent (contact.rs).
//! app.jobs().notify_person(&mut tx, &addressee, &key, MessageTemplate::ReferralDecision, Some(link)).await?;
//! tx.commit().await?;
//! ```

use crate::notify::{CareText, Delivery, OutgoingMessage, SendError};
pub use crate::notify::{Channel, MessageTemplate, Notification, Recipient};
use crate::periodic::JobReport;
use crate::{App, AppError};
use bothy_domain::sms::texts::CareContext;
use bothy_domain::time::Timestamp;
use bothy_store::{NewJob, SentRow, Tx};
use std::time::Duration;

/// Attempts before a job is given up: with [`retry_delay`] about a day and a half.
pub const MAX_ATTEMPTS: u32 = 8;

/// The longest link a notification may carry.
pub const MAX_LINK_CHARS: usize = 200;

/// How long to wait before the next attempt after `attempts` failed ones:
/// 1 minute, 5 minutes, 30 minutes, 2 hours, 6 hours, then every 12 hours.
pub fn retry_delay(attempts: u32) -> Duration {
    const MINUTES: [u64; 6] = [1, 5, 30, 2 * 60, 6 * 60, 12 * 60];
    let i = usize::try_from(attempts.saturating_sub(1))
        .unwrap_or(usize::MAX)
        .min(MINUTES.len() - 1);
    Duration::from_secs(MINUTES[i] * 60)
}

/// Names the event a job comes from, e.g. `referral-decision.{referral id}.person`.
/// Unique among all jobs kept: a second job with the same key is not queued.
/// Made of ids, never of personal data (it appears in logs and file names):
/// ASCII letters, digits, `-`, `_` and `.`, starting with a letter or digit,
/// at most 150 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

/// A string that cannot be an [`IdempotencyKey`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an idempotency key is 1 to 150 of A-Z a-z 0-9 - _ . starting with a letter or digit")]
pub struct InvalidKey;

impl IdempotencyKey {
    pub fn new(key: impl Into<String>) -> Result<Self, InvalidKey> {
        let key = key.into();
        let ok = (1..=150).contains(&key.len())
            && key.starts_with(|c: char| c.is_ascii_alphanumeric())
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok { Ok(Self(key)) } else { Err(InvalidKey) }
    }

    /// The parts joined with `.`: `from_parts(&["activation", &id])`.
    pub fn from_parts(parts: &[&str]) -> Result<Self, InvalidKey> {
        Self::new(parts.join("."))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = InvalidKey;
    fn try_from(s: String) -> Result<Self, InvalidKey> {
        Self::new(s)
    }
}

impl From<IdempotencyKey> for String {
    fn from(k: IdempotencyKey) -> String {
        k.0
    }
}

impl std::fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<InvalidKey> for AppError {
    fn from(e: InvalidKey) -> Self {
        AppError::internal(e)
    }
}

/// Every kind of job. Closed: the worker matches exhaustively, so a new kind
/// cannot be queued without saying how it runs. Stored as `kind` plus a JSON
/// `payload`; a stored job is decoded again before it runs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum Job {
    /// Send one message.
    Notify(Notification),
    /// Send one text in a two-way SMS conversation.
    Text(crate::notify::CareMessage),
    /// Send `then` unless the message sent under the key `after` has been
    /// reported delivered by now: the next channel for a message that must
    /// not wait (an overdue alert's escalation).
    Fallback { after: String, then: Notification },
    /// Run a submission's history detectors again, after they failed while
    /// it was stored (the submission and its risk alerts were kept).
    Reevaluate {
        patient_id: String,
        submission: crate::detection::Trigger,
    },
    /// A task on a schedule, for one period (`periodic.rs`).
    Periodic {
        task: crate::periodic::Periodic,
        period: i64,
    },
    /// Write a FHIR bulk export's NDJSON files (`bulk_export.rs`).
    BulkExport { export_id: String },
}

/// A job that cannot be queued (a programming mistake, never the user's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("job refused: {0}")]
pub struct InvalidJob(pub &'static str);

/// Why an attempt at a job did not succeed. The text is an error class or an
/// adapter's message, stored in `last_error` and logged: never patient data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Try again later.
    #[error("{0}")]
    Retry(String),
    /// Trying again will not help: give the job up now.
    #[error("{0}")]
    GiveUp(String),
    /// Try again, not before `after` (the channel said when).
    #[error("{error}")]
    RetryAfter { error: String, after: Duration },
    /// Not now, and not a failure: run it at this time, the attempt not
    /// counted (a reminder in quiet hours).
    #[error("deferred")]
    Defer(Timestamp),
}

impl Job {
    /// The stored kind, e.g. `notify`.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::Notify(_) => "notify",
            Job::Text(_) => "text",
            Job::Fallback { .. } => "fallback",
            Job::Reevaluate { .. } => "reevaluate",
            Job::Periodic { .. } => Self::PERIODIC,
            Job::BulkExport { .. } => "bulk_export",
        }
    }

    /// The stored kind of a periodic task's job.
    pub const PERIODIC: &'static str = "periodic";

    /// The stored form: (kind, payload JSON).
    pub fn encode(&self) -> Result<(String, String), AppError> {
        let mut tagged = serde_json::to_value(self).map_err(AppError::internal)?;
        let kind = tagged["kind"].as_str().unwrap_or(self.kind()).to_string();
        let payload = tagged
            .get_mut("payload")
            .map(serde_json::Value::take)
            .unwrap_or(serde_json::Value::Null);
        Ok((kind, payload.to_string()))
    }

    /// The job from its stored form. An unknown kind is an error: it may
    /// come from a newer version running alongside, so the worker retries it
    /// later (by when a newer worker may have run it).
    pub fn decode(kind: &str, payload: &str) -> Result<Job, JobError> {
        let payload: serde_json::Value = serde_json::from_str(payload)
            .map_err(|_| JobError::Retry(format!("the {kind} job's payload is not JSON")))?;
        serde_json::from_value(serde_json::json!({ "kind": kind, "payload": payload }))
            .map_err(|_| JobError::Retry(format!("this version cannot read a {kind} job")))
    }
}

/// The job queue: queueing work in the caller's transaction, running a job, and the periodic tasks.
pub struct Jobs<'a> {
    pub(crate) app: &'a App,
}

impl Jobs<'_> {
    /// Queues `job` in `tx` to run now; see [`App::enqueue_job_at`].
    pub async fn enqueue(
        &self,
        tx: &mut Tx,
        key: &IdempotencyKey,
        job: &Job,
    ) -> Result<bool, AppError> {
        self.enqueue_at(tx, key, job, self.app.clock.now()).await
    }

    /// Queues `job` in `tx`, the caller's transaction, to run from `run_at`:
    /// it exists only if that transaction commits. Returns false (and queues
    /// nothing) when a job with `key` exists already.
    pub async fn enqueue_at(
        &self,
        tx: &mut Tx,
        key: &IdempotencyKey,
        job: &Job,
        run_at: Timestamp,
    ) -> Result<bool, AppError> {
        self.check_job(job).map_err(AppError::internal)?;
        let (kind, payload) = job.encode()?;
        let queued = tx
            .enqueue_job(
                &NewJob {
                    kind: &kind,
                    payload: &payload,
                    idempotency_key: key.as_str(),
                    run_at,
                    max_attempts: MAX_ATTEMPTS,
                },
                self.app.clock.now(),
            )
            .await?;
        if !queued {
            tracing::debug!(key = %key, kind, "job already queued; not queued again");
        }
        Ok(queued)
    }

    /// Queues `template`, a fixed notice that says only that there is
    /// something new, to `patient` by the channel they agreed to, with a
    /// link to sign in, in the caller's transaction; with none, records why.
    pub(crate) async fn notify_patient_to_sign_in(
        &self,
        tx: &mut Tx,
        patient: &bothy_domain::model::Patient,
        template: MessageTemplate,
        key: &IdempotencyKey,
    ) -> Result<(), AppError> {
        let link = format!(
            "{}/sign-in",
            self.app.settings.public_url.trim_end_matches('/')
        );
        let to = crate::contact::Addressee::patient(tx, patient).await?;
        self.notify_person(tx, &to, key, template, Some(link))
            .await?;
        Ok(())
    }

    /// Queues a message in `tx`, the caller's transaction; see [`App::enqueue_job_at`].
    pub async fn enqueue_notification(
        &self,
        tx: &mut Tx,
        key: &IdempotencyKey,
        notification: Notification,
    ) -> Result<bool, AppError> {
        self.enqueue(tx, key, &Job::Notify(notification)).await
    }

    /// Refuses jobs that could not run well: a message that needs its link
    /// and has none, or a link that does not point into this deployment.
    fn check_job(&self, job: &Job) -> Result<(), InvalidJob> {
        match job {
            Job::Notify(n) | Job::Fallback { then: n, .. } => {
                if n.template.needs_link() && n.link.is_none() {
                    return Err(InvalidJob("this message needs a link"));
                }
                if let Some(link) = &n.link {
                    let base = self.app.settings.public_url.trim_end_matches('/');
                    let inside = link
                        .strip_prefix(base)
                        .is_some_and(|rest| rest.starts_with('/'));
                    if !inside {
                        return Err(InvalidJob("a link must point into this deployment"));
                    }
                    if link.chars().count() > MAX_LINK_CHARS
                        || link.chars().any(|c| c.is_whitespace() || c.is_control())
                    {
                        return Err(InvalidJob("a link must be short and without spaces"));
                    }
                }
                Ok(())
            }
            Job::Text(_)
            | Job::Reevaluate { .. }
            | Job::Periodic { .. }
            | Job::BulkExport { .. } => Ok(()),
        }
    }

    /// Runs one attempt at a job. Called by the worker with the job's key.
    pub async fn perform(&self, key: &IdempotencyKey, job: &Job) -> Result<JobReport, JobError> {
        match job {
            Job::Notify(notification) => self.send(key, notification).await,
            Job::Text(text) => self.send_text(key, text).await,
            Job::Fallback { after, then } => self
                .fall_back(key, after, then)
                .await
                .map_err(|e| JobError::Retry(format!("database: {e}"))),
            Job::Reevaluate {
                patient_id,
                submission,
            } => {
                let id = patient_id
                    .parse()
                    .map_err(|_| JobError::GiveUp("the job's patient id is not valid".into()))?;
                self.app
                    .monitoring()
                    .reevaluate(id, submission)
                    .await
                    .map(|()| JobReport::default())
                    .map_err(|e| JobError::Retry(e.to_string()))
            }
            Job::Periodic { task, .. } => self
                .run_periodic(*task)
                .await
                .map_err(|e| JobError::Retry(e.to_string())),
            Job::BulkExport { export_id } => self
                .app
                .bulk_exports()
                .run(export_id)
                .await
                .map(|()| JobReport::default())
                .map_err(|e| JobError::Retry(e.to_string())),
        }
    }
}

impl Jobs<'_> {
    /// Sends one message, once per key: a key recorded as sent (by an
    /// earlier attempt whose worker died before marking the job done) is not
    /// sent again, and a send the channel accepts is recorded at once, in
    /// its own transaction, before the job is marked done.
    async fn send(
        &self,
        key: &IdempotencyKey,
        notification: &Notification,
    ) -> Result<JobReport, JobError> {
        let retry = |e: AppError| JobError::Retry(format!("database: {e}"));
        if self.was_sent(key).await.map_err(retry)? {
            return Ok(JobReport::default());
        }
        // A patient's choice is asked again now: it may have changed since
        // the message was queued (a retry can wait hours).
        let Some(notification) = self.reroute(key, notification).await.map_err(retry)? else {
            return Ok(JobReport::default());
        };
        let notification = &notification;
        if notification.template.paced() {
            let at = self.paced(notification).await.map_err(retry)?;
            if at > self.app.clock.now() {
                return Err(JobError::Defer(at));
            }
        }
        let sender = self.app.sender(notification.service).await.map_err(retry)?;
        let mut message =
            OutgoingMessage::new(key.clone(), notification, &sender, self.app.clock.now());
        if let Some(id) = notification.appointment {
            // Its time and link as they stand now; none: no longer to send.
            let Some(invitation) = self
                .app
                .appointments()
                .invitation(id, notification.template, key)
                .await
                .map_err(retry)?
            else {
                tracing::info!(key = %key, "the appointment changed; its message is not sent");
                return Ok(JobReport::default());
            };
            invitation.apply(&mut message, &sender, &self.app.sign_in_url());
        }
        let label = notification.template.label();
        self.deliver(&message, notification.patient, label, false)
            .await
    }

    /// Sends one text of a two-way SMS conversation, once per key.
    async fn send_text(
        &self,
        key: &IdempotencyKey,
        text: &crate::notify::CareMessage,
    ) -> Result<JobReport, JobError> {
        let retry = |e: AppError| JobError::Retry(format!("database: {e}"));
        if self.was_sent(key).await.map_err(retry)? {
            return Ok(JobReport::default());
        }
        let sender = self.app.sender(text.service).await.map_err(retry)?;
        let instrument = match &text.text {
            CareText::ItemQuestion { instrument, .. } => self.app.catalogue.get(instrument),
            _ => None,
        };
        let body = text
            .text
            .render(&CareContext {
                service: &sender.name,
                contact: &sender.contact,
                crisis: &self.app.crisis,
                instrument,
            })
            .ok_or_else(|| JobError::GiveUp("the question's measure is no longer in use".into()))?;
        let mut message =
            OutgoingMessage::text(key.clone(), &text.to, body, &sender, self.app.clock.now());
        // A service's texts travel by its own channel (GOV.UK Notify) too.
        message.service = text.service;
        // What answers the person's own text (the crisis contacts, help, the
        // STOP's confirmation) goes even to a number that replied STOP.
        let answers = text.text.answers_the_person();
        self.deliver(&message, text.patient, text.text.label(), answers)
            .await
    }

    /// Queues `then` under `{key}.then` unless the message sent under
    /// `after` was reported delivered.
    async fn fall_back(
        &self,
        key: &IdempotencyKey,
        after: &str,
        then: &Notification,
    ) -> Result<JobReport, AppError> {
        let mut tx = self.app.store.begin().await?;
        if tx.delivery_status(after).await? == Some(bothy_store::DeliveryStatus::Delivered) {
            tx.rollback().await?;
            return Ok(JobReport::default());
        }
        let next =
            IdempotencyKey::from_parts(&[key.as_str(), "then"]).map_err(AppError::internal)?;
        tracing::info!(key = %key, "not reported delivered in time: sending by the next channel");
        self.enqueue_notification(&mut tx, &next, then.clone())
            .await?;
        tx.commit().await?;
        Ok(JobReport::default())
    }

    /// The earliest moment a reminder may go: its service's quiet hours, and
    /// its limits on what one address is sent an hour and a day.
    async fn paced(&self, n: &Notification) -> Result<Timestamp, AppError> {
        let now = self.app.clock.now();
        let digest = crate::notify::recipient_digest(n.to.address());
        let mut tx = self.app.store.read().await?;
        let settings = match n.service {
            Some(service) => self.app.monitoring().settings_for(&mut tx, service).await?,
            None => std::sync::Arc::new(bothy_domain::monitoring::Monitoring::defaults()),
        };
        let hour = now - Duration::from_secs(3600);
        let day = now - Duration::from_secs(86_400);
        let recent = bothy_domain::pacing::Recent {
            last_hour: tx.sends_to_since(&digest, hour).await?,
            last_day: tx.sends_to_since(&digest, day).await?,
        };
        tx.rollback().await?;
        let tz = settings.hours.time_zone();
        Ok(settings.messages.pacing.earliest(tz, now, recent))
    }

    /// Whether a message with this key was sent before (by an attempt whose
    /// worker died before marking the job done).
    async fn was_sent(&self, key: &IdempotencyKey) -> Result<bool, AppError> {
        let mut tx = self.app.store.read().await?;
        let sent = tx.message_sent(key.as_str()).await;
        let _ = tx.rollback().await;
        if sent? {
            tracing::info!(key = %key, "message was sent before; not sent again");
            return Ok(true);
        }
        Ok(false)
    }

    /// Hands `message` to its channel and records the send at once, in its
    /// own transaction, before the job is marked done. A text to a number
    /// that replied STOP is not sent, unless it `answers` their own text.
    async fn deliver(
        &self,
        message: &OutgoingMessage,
        patient: Option<bothy_domain::PatientId>,
        label: &str,
        answers: bool,
    ) -> Result<JobReport, JobError> {
        let key = &message.idempotency_key;
        if message.channel == Channel::Sms && !answers {
            let mut tx = self
                .app
                .store
                .read()
                .await
                .map_err(|e| JobError::Retry(format!("database: {e}")))?;
            let stopped = tx.sms_opted_out(&message.to).await;
            let _ = tx.rollback().await;
            if stopped.map_err(|e| JobError::Retry(format!("database: {e}")))? {
                tracing::info!(key = %key, "not sent: the number replied STOP");
                return Ok(JobReport::default());
            }
        }
        match self.app.notifier.send(message).await {
            Ok(Delivery::Sent) => {
                let recipient = crate::notify::recipient_digest(&message.to);
                let sent = SentRow {
                    idempotency_key: key.as_str(),
                    channel: message.channel,
                    patient_id: patient,
                    label,
                    recipient: &recipient,
                    at: self.app.clock.now(),
                };
                if let Err(e) = self.record_sent(&sent).await {
                    // The message went; the job will be marked done. Sending
                    // it again would double it, so the failure is only logged.
                    tracing::error!(key = %key, error = %e, "a sent message could not be recorded");
                }
                Ok(JobReport::default())
            }
            Ok(Delivery::AlreadySent) => {
                tracing::info!(key = %key, "message was sent before; not sent again");
                Ok(JobReport::default())
            }
            Err(SendError::Temporary(e)) => Err(JobError::Retry(e)),
            Err(SendError::Later { error, after }) => Err(JobError::RetryAfter { error, after }),
            Err(e @ SendError::Permanent(_)) => Err(JobError::GiveUp(e.to_string())),
        }
    }

    async fn record_sent(&self, sent: &SentRow<'_>) -> Result<(), AppError> {
        let mut tx = self.app.store.begin().await?;
        tx.record_message_sent(sent).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bothy_domain::person::Email;

    #[test]
    fn retries_back_off_then_level_out() {
        let minutes = |n| retry_delay(n).as_secs() / 60;
        let seen: Vec<u64> = (1..=MAX_ATTEMPTS).map(minutes).collect();
        assert_eq!(seen, [1, 5, 30, 120, 360, 720, 720, 720]);
        assert_eq!(minutes(0), 1);
        assert_eq!(minutes(u32::MAX), 720);
    }

    #[test]
    fn keys_are_plain_file_names() {
        for good in ["activation.6f1c", "referral-decision.abc.person", "A_1"] {
            assert!(IdempotencyKey::new(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".hidden",
            "../etc/passwd",
            "a/b",
            "a b",
            "name@example.org",
            "ä",
            &"x".repeat(151),
        ] {
            assert!(IdempotencyKey::new(bad).is_err(), "{bad}");
        }
        assert_eq!(
            IdempotencyKey::from_parts(&["a", "b"]).unwrap().as_str(),
            "a.b"
        );
    }

    #[test]
    fn jobs_round_trip_through_their_stored_form() {
        let job = Job::Notify(Notification {
            to: Recipient::Email(Email::parse("someone@example.org").unwrap()),
            template: MessageTemplate::MeasureDue,
            link: None,
            service: None,
            patient: None,
            appointment: None,
        });
        let (kind, payload) = job.encode().unwrap();
        assert_eq!(kind, "notify");
        assert!(!payload.contains("\"kind\""));
        assert_eq!(Job::decode(&kind, &payload), Ok(job));
        assert!(matches!(
            Job::decode("teleport", &payload),
            Err(JobError::Retry(_))
        ));
        assert!(matches!(
            Job::decode("notify", "{"),
            Err(JobError::Retry(_))
        ));
    }
}
