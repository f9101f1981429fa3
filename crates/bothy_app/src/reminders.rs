//! Keeping people safe while they wait: everyone on the waiting list is asked
//! to repeat their routine measures on a schedule, so that a deterioration is
//! seen (`App::check_waiting_deterioration`) before treatment starts.

use crate::AppError;
use crate::contact::Addressee;
use crate::episodes::Episodes;
use crate::jobs::{IdempotencyKey, MessageTemplate};

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
            let page = tx.all_waiting_episodes(&after, 200).await?;
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
