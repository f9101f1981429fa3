//! The reminders task (issue 15, item 8), run every ten minutes by the
//! worker: measures due for people waiting, daily check-in prompts at each
//! person's chosen time (`check_in_prompts.rs`) and appointment reminders
//! the day before. Each is keyed, so running it again queues nothing new;
//! each is a paced message, so none goes in quiet hours or over the
//! limits per address.
//!
//! Measures: everyone on the waiting list is asked to repeat their routine
//! measures on a schedule, so that a deterioration is seen
//! (`App::check_waiting_deterioration`) before treatment starts.

use crate::AppError;
use crate::contact::Addressee;
use crate::episodes::Episodes;
use crate::jobs::{IdempotencyKey, Jobs, MessageTemplate};
use bothy_domain::reminders::{APPOINTMENT_REMINDER_HOURS, appointment_reminder_due};
use jiff::SignedDuration;

/// People handled in one write transaction. Each person is a few reads and
/// a routed message, about a millisecond on SQLite, and the transaction
/// holds its one write lock (and every read's audit commit waits behind
/// it): pages of 200 held it for 100-250 ms at a time on a
/// 100,000-patient service, and every request answered meanwhile took as
/// long (docs/benchmark-runs-sqlite.md). At 25 a page a request waits a few
/// milliseconds, and the task commits eight times as often.
pub(crate) const PAGE: i64 = 25;

/// What the reminders task queued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Queued {
    pub measures: u32,
    pub check_ins: u32,
    pub appointments: u32,
}

impl Queued {
    pub fn total(self) -> u32 {
        self.measures + self.check_ins + self.appointments
    }
}

impl Jobs<'_> {
    /// Queues every reminder now due.
    pub async fn queue_reminders(&self) -> Result<Queued, AppError> {
        Ok(Queued {
            measures: self.app.episodes().queue_waiting_reminders().await?,
            check_ins: self.app.check_in_prompts().queue_due().await?,
            appointments: self.queue_appointment_reminders().await?,
        })
    }

    /// Queues the reminder of each booked appointment starting within a
    /// day (unless booked within it), once per time it is at.
    async fn queue_appointment_reminders(&self) -> Result<u32, AppError> {
        let now = self.app.clock.now();
        let until = now + SignedDuration::from_hours(APPOINTMENT_REMINDER_HOURS);
        let mut tx = self.app.store.read().await?;
        let services = tx.list_services().await?;
        tx.rollback().await?;
        let mut queued = 0;
        for service in services {
            let mut after = String::new();
            loop {
                let mut tx = self.app.store.begin().await?;
                let page = tx
                    .appointments_starting(service.id, (now, until), &after, PAGE)
                    .await?;
                let Some(last) = page.last() else {
                    tx.rollback().await?;
                    break;
                };
                after = last.id.to_string();
                for a in page
                    .iter()
                    .filter(|a| appointment_reminder_due(a.slot.starts_at(), a.booked_at, now))
                {
                    let Some(patient) = tx.patient(a.patient_id).await? else {
                        continue;
                    };
                    if self.app.appointments().remind(&mut tx, &patient, a).await? {
                        queued += 1;
                    }
                }
                tx.commit().await?;
            }
        }
        Ok(queued)
    }
}

impl Episodes<'_> {
    /// Queues a "measures are due" message for each waiting person whose
    /// routine measures are due. Safe to run as often as the worker likes:
    /// one message per person per interval, by idempotency key. Returns how
    /// many were queued.
    pub async fn queue_waiting_reminders(&self) -> Result<u32, AppError> {
        let now = self.app.clock.now();
        let interval = self.app.settings.measure_interval.as_secs().max(1) as i64;
        let mut queued = 0;
        let mut after = String::new();
        loop {
            let mut tx = self.app.store.begin().await?;
            let page = tx.all_waiting_episodes(&after, PAGE).await?;
            let Some(last) = page.last() else {
                tx.rollback().await?;
                break;
            };
            after = last.id.to_string();
            for e in &page {
                // The first period starts at referral: the screening answers count as the first measures.
                let period = (now.as_second() - e.referred_at.as_second()) / interval;
                if period < 1 {
                    continue;
                }
                let done = tx.last_completed(e.patient_id).await?;
                let due = self.app.settings.routine_measures.iter().any(|id| {
                    done.iter()
                        .find(|(i, _)| i == id)
                        .is_none_or(|(_, t)| now.as_second() - t.as_second() >= interval)
                });
                let Some(patient) = tx.patient(e.patient_id).await? else {
                    continue;
                };
                if !due {
                    continue;
                }
                let key = IdempotencyKey::from_parts(&[
                    "measure-due",
                    &e.id.to_string(),
                    &period.to_string(),
                ])
                .map_err(|_| AppError::internal(std::io::Error::other("invalid message key")))?;
                let to = Addressee::patient(&mut tx, &patient).await?;
                if self
                    .app
                    .jobs()
                    .notify_person(&mut tx, &to, &key, MessageTemplate::MeasureDue, None)
                    .await?
                {
                    queued += 1;
                }
            }
            tx.commit().await?;
        }
        Ok(queued)
    }
}
