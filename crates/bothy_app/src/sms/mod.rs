//! Two-way text messages: care for people without a smartphone.
//!
//! Staff (or the person, texting MOOD) start a conversation: a mood
//! check-in, or PHQ-9 or GAD-7 item by item. Each reply is read by the pure
//! rules in `bothy_domain::sms`, and a finished check-in or measure goes
//! through exactly the same use cases as the web form ([`crate::check_ins`],
//! [`crate::measures`]): scoring, detectors and alerts are the web's. Words
//! that signal risk, in any reply, go to the care team as a secure message
//! (whose one risk rule raises the alert in its transaction) and the crisis
//! contacts go back by text at once. STOP and START take effect on the
//! number at once; a number nobody here has learns nothing.
//!
//! Every inbound text is handled once, by the gateway's id. Handling is a
//! few steps, each safe to repeat: the answer is recorded under a key made
//! from the conversation (a repeat finds it), and the last transaction
//! records the text as handled, moves the conversation on (guarded by its
//! step) and queues the replies. A gateway that gets no answer sends the
//! text again, and the repeat finishes what the first began.

mod inbound;
mod start;

pub use inbound::{Handled, InboundSms};
pub use start::ConversationKind;

use crate::App;
use crate::AppError;
use crate::jobs::{IdempotencyKey, Job};
use crate::notify::{CareMessage, CareText};
use bothy_domain::model::Patient;
use bothy_domain::person::PhoneNumber;
use bothy_domain::referral::Channel;
use bothy_store::Tx;

/// Text-message conversations.
pub struct Sms<'a> {
    pub(crate) app: &'a App,
}

impl Sms<'_> {
    /// Queues `text` to `to` in `tx` under the key `sms.{key}`.
    async fn reply(
        &self,
        tx: &mut Tx,
        key: &str,
        to: &PhoneNumber,
        patient: Option<&Patient>,
        text: CareText,
    ) -> Result<(), AppError> {
        let key = IdempotencyKey::from_parts(&["sms", key]).map_err(AppError::internal)?;
        let job = Job::Text(CareMessage {
            to: to.clone(),
            text,
            service: patient.map(|p| p.service_id),
            patient: patient.map(|p| p.id),
        });
        self.app.jobs().enqueue(tx, &key, &job).await?;
        Ok(())
    }
}

pub use bothy_store::DeliveryStatus;

impl Sms<'_> {
    /// Records what the SMS gateway reported of the text sent with `key`:
    /// delivered or failed (a report that it is still on its way changes
    /// nothing). A report for a text reported before is accepted and
    /// changes nothing, so the gateway does not send it again.
    pub async fn delivery_report(&self, key: &str, status: DeliveryStatus) -> Result<(), AppError> {
        let key =
            IdempotencyKey::new(key).map_err(|_| AppError::field("key", "Not a message key"))?;
        if status == DeliveryStatus::Sent {
            return Ok(());
        }
        let mut tx = self.app.store.begin().await?;
        let changed = tx
            .record_delivery(key.as_str(), Channel::Sms, status, self.app.clock.now())
            .await?;
        tx.commit().await?;
        if !changed {
            tracing::debug!(key = %key, "delivery report for a message not awaiting one");
        }
        Ok(())
    }
}
