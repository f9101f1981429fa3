//! How patients agreed to be contacted, messages not sent and why, and the
//! record of every message a real channel accepted.

use crate::{StoreError, Tx};
use bothy_domain::contact::{ContactChoice, NotSent};
use bothy_domain::ids::ReferralId;
use bothy_domain::referral::Channel;
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{PatientId, ServiceId};

/// A message not queued because no agreed channel could carry it.
#[derive(Debug, Clone)]
pub struct NotSentRow<'a> {
    pub idempotency_key: &'a str,
    pub service_id: ServiceId,
    pub patient_id: Option<PatientId>,
    pub referral_id: Option<ReferralId>,
    /// The template's stored name (`activation`).
    pub template: &'a str,
    pub reason: NotSent,
    pub at: Timestamp,
}

/// A message not sent, as staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotSentRecord {
    pub template: String,
    pub reason: NotSent,
    pub at: Timestamp,
}

impl Tx {
    /// The patient's contact choice; None when they have never made one
    /// (which means no consent to either channel).
    pub async fn contact_choice(
        &mut self,
        patient: PatientId,
    ) -> Result<Option<ContactChoice>, StoreError> {
        let row = self
            .query("SELECT email, sms, preferred FROM contact_preferences WHERE patient_id = $1")
            .bind(patient.to_string())
            .fetch_optional()
            .await?;
        row.map(|r| {
            let preferred: String = r.try_get("preferred")?;
            Ok(ContactChoice {
                email: r.try_get::<i64>("email")? != 0,
                sms: r.try_get::<i64>("sms")? != 0,
                preferred: Channel::parse(&preferred)
                    .ok_or_else(|| StoreError::corrupt(format!("channel {preferred:?}")))?,
            })
        })
        .transpose()
    }

    /// Records the patient's contact choice, replacing any earlier one.
    pub async fn set_contact_choice(
        &mut self,
        patient: PatientId,
        choice: ContactChoice,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO contact_preferences (patient_id, email, sms, preferred, updated_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (patient_id) DO UPDATE SET email = excluded.email, sms = excluded.sms, \
             preferred = excluded.preferred, updated_at = excluded.updated_at",
        )
        .bind(patient.to_string())
        .bind(i64::from(choice.email))
        .bind(i64::from(choice.sms))
        .bind(choice.preferred.as_str())
        .bind(to_millis(now))
        .execute()
        .await?;
        Ok(())
    }

    /// Records a message not sent; a second record with its key is ignored.
    pub async fn record_not_sent(&mut self, row: &NotSentRow<'_>) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO messages_not_sent \
             (idempotency_key, service_id, patient_id, referral_id, template, reason, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(row.idempotency_key)
        .bind(row.service_id.to_string())
        .bind(row.patient_id.map(|p| p.to_string()))
        .bind(row.referral_id.map(|r| r.to_string()))
        .bind(row.template)
        .bind(row.reason.code())
        .bind(to_millis(row.at))
        .execute()
        .await?;
        Ok(())
    }

    /// The newest messages not sent to a patient, including those about
    /// their referrals, at most `limit`.
    pub async fn not_sent_to_patient(
        &mut self,
        patient: PatientId,
        limit: u32,
    ) -> Result<Vec<NotSentRecord>, StoreError> {
        let rows = self
            // Two indexed look-ups: an OR across the two columns is a
            // scan of every message not sent.
            .query(sqlx::AssertSqlSafe(format!(
                "SELECT template, reason, created_at FROM (\
                 SELECT idempotency_key, template, reason, created_at FROM messages_not_sent \
                 WHERE patient_id = $1 UNION \
                 SELECT idempotency_key, template, reason, created_at FROM messages_not_sent \
                 WHERE referral_id IN (SELECT id FROM referrals WHERE patient_id = $1)) x \
                 ORDER BY created_at DESC, idempotency_key LIMIT {limit}",
            )))
            .bind(patient.to_string())
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                let reason: String = r.try_get("reason")?;
                Ok(NotSentRecord {
                    template: r.try_get("template")?,
                    reason: NotSent::parse(&reason)
                        .ok_or_else(|| StoreError::corrupt(format!("reason {reason:?}")))?,
                    at: from_millis(r.try_get("created_at")?),
                })
            })
            .collect()
    }

    /// Whether a real channel accepted a message with this key.
    pub async fn message_sent(&mut self, key: &str) -> Result<bool, StoreError> {
        let row = self
            .query("SELECT 1 FROM message_sends WHERE idempotency_key = $1")
            .bind(key)
            .fetch_optional()
            .await?;
        Ok(row.is_some())
    }

    /// Records that a real channel accepted the message with this key;
    /// false if it was recorded already. A delivery report that came first
    /// (a fast network beats the sender's own record) keeps its status.
    pub async fn record_message_sent(&mut self, sent: &SentRow<'_>) -> Result<bool, StoreError> {
        let done = self
            .query(
                "INSERT INTO message_sends (idempotency_key, channel, sent_at, patient_id, label, recipient) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO UPDATE \
                 SET sent_at = excluded.sent_at, patient_id = excluded.patient_id, label = excluded.label, \
                 recipient = excluded.recipient WHERE message_sends.label IS NULL",
            )
            .bind(sent.idempotency_key)
            .bind(sent.channel.as_str())
            .bind(to_millis(sent.at))
            .bind(sent.patient_id.map(|p| p.to_string()))
            .bind(sent.label)
            .bind(sent.recipient)
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records what the gateway reported of a message sent on `channel`:
    /// delivered or failed. Only a message still `sent` changes (a report
    /// never undoes another, and one that comes twice changes nothing); a
    /// report that beats the sender's own record of the send is kept for
    /// it. False when nothing changed.
    pub async fn record_delivery(
        &mut self,
        key: &str,
        channel: Channel,
        status: DeliveryStatus,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = self
            .query(
                "INSERT INTO message_sends (idempotency_key, channel, sent_at, status, status_at) \
                 VALUES ($1, $2, $4, $3, $4) ON CONFLICT (idempotency_key) DO UPDATE \
                 SET status = excluded.status, status_at = excluded.status_at \
                 WHERE message_sends.status = 'sent'",
            )
            .bind(key)
            .bind(channel.as_str())
            .bind(status.as_str())
            .bind(to_millis(at))
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How many messages went to the address with this digest from `since`.
    pub async fn sends_to_since(
        &mut self,
        recipient: &str,
        since: Timestamp,
    ) -> Result<u32, StoreError> {
        let row = self
            .query("SELECT COUNT(*) AS n FROM message_sends WHERE recipient = $1 AND sent_at >= $2")
            .bind(recipient)
            .bind(to_millis(since))
            .fetch_one()
            .await?;
        let n: i64 = row.try_get("n")?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// The status of the message sent with this key, if it was sent.
    pub async fn delivery_status(
        &mut self,
        key: &str,
    ) -> Result<Option<DeliveryStatus>, StoreError> {
        let row = self
            .query("SELECT status FROM message_sends WHERE idempotency_key = $1")
            .bind(key)
            .fetch_optional()
            .await?;
        row.map(|r| {
            let s: String = r.try_get("status")?;
            DeliveryStatus::parse(&s).ok_or_else(|| StoreError::corrupt(format!("status {s:?}")))
        })
        .transpose()
    }

    /// The latest messages sent to a patient, newest first, for staff.
    pub async fn sent_to_patient(
        &mut self,
        patient: PatientId,
        limit: u32,
    ) -> Result<Vec<SentRecord>, StoreError> {
        let rows = self
            .query(sqlx::AssertSqlSafe(format!(
                "SELECT channel, label, sent_at, status, status_at FROM message_sends \
                 WHERE patient_id = $1 ORDER BY sent_at DESC, idempotency_key LIMIT {limit}",
            )))
            .bind(patient.to_string())
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                let channel: String = r.try_get("channel")?;
                Ok(SentRecord {
                    channel: Channel::parse(&channel)
                        .ok_or_else(|| StoreError::corrupt(format!("channel {channel:?}")))?,
                    label: r.try_get::<Option<String>>("label")?.unwrap_or_default(),
                    sent_at: from_millis(r.try_get("sent_at")?),
                    status: DeliveryStatus::parse(&status)
                        .ok_or_else(|| StoreError::corrupt(format!("status {status:?}")))?,
                    status_at: r.try_get::<Option<i64>>("status_at")?.map(from_millis),
                })
            })
            .collect()
    }
}

/// A message a channel accepted.
#[derive(Debug, Clone)]
pub struct SentRow<'a> {
    pub idempotency_key: &'a str,
    pub channel: Channel,
    pub patient_id: Option<PatientId>,
    /// What it was, for staff ("New message"): never its text.
    pub label: &'a str,
    /// A digest of the address (never the address), for counting.
    pub recipient: &'a str,
    pub at: Timestamp,
}

/// What became of a message a channel accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Accepted by the channel; no report yet (email over SMTP never has one).
    Sent,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Sent, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// A sent message as staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRecord {
    pub channel: Channel,
    pub label: String,
    pub sent_at: Timestamp,
    pub status: DeliveryStatus,
    pub status_at: Option<Timestamp>,
}
