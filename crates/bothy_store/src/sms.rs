//! Two-way text messages: open conversations, inbound texts handled (by the
//! gateway's id, so each is handled once), and numbers that replied STOP.

use crate::patients::{PATIENT_COLUMNS, patient};
use crate::{StoreError, Tx};
use bothy_domain::model::Patient;
use bothy_domain::person::PhoneNumber;
use bothy_domain::sms::Conversation;
use bothy_domain::time::{Timestamp, to_millis};
use bothy_domain::{PatientId, ServiceId};

/// A patient's open conversation and the step it is at (the guard for
/// changing it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConversation {
    pub conversation: Conversation,
    pub step: i64,
}

impl Tx {
    /// The patients with this number, newest first (a few at most: a
    /// shared family phone).
    pub async fn patients_by_phone(
        &mut self,
        phone: &PhoneNumber,
    ) -> Result<Vec<Patient>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {PATIENT_COLUMNS} FROM patients WHERE phone = $1 ORDER BY created_at DESC, id LIMIT 5"
        ));
        let rows = self.query(sql).bind(phone.as_str()).fetch_all().await?;
        rows.iter().map(patient).collect()
    }

    /// The patient's conversation, open or not.
    pub async fn sms_conversation(
        &mut self,
        patient: PatientId,
    ) -> Result<Option<StoredConversation>, StoreError> {
        let row = self
            .query("SELECT state, step FROM sms_conversations WHERE patient_id = $1")
            .bind(patient.to_string())
            .fetch_optional()
            .await?;
        row.map(|r| {
            let state: String = r.try_get("state")?;
            Ok(StoredConversation {
                conversation: serde_json::from_str(&state)
                    .map_err(|e| StoreError::corrupt(format!("conversation: {e}")))?,
                step: r.try_get("step")?,
            })
        })
        .transpose()
    }

    /// Starts a conversation, replacing one that has expired (at `now`).
    /// False when one is still open.
    pub async fn start_sms_conversation(
        &mut self,
        patient: PatientId,
        service: ServiceId,
        c: &Conversation,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let state = serde_json::to_string(c).map_err(|e| StoreError::corrupt(e.to_string()))?;
        let done = self
            .query(
                "INSERT INTO sms_conversations (patient_id, service_id, state, step, expires_at, updated_at) \
                 VALUES ($1, $2, $3, 1, $4, $5) \
                 ON CONFLICT (patient_id) DO UPDATE SET state = excluded.state, \
                 step = sms_conversations.step + 1, expires_at = excluded.expires_at, \
                 updated_at = excluded.updated_at WHERE sms_conversations.expires_at <= $5",
            )
            .bind(patient.to_string())
            .bind(service.to_string())
            .bind(state)
            .bind(to_millis(c.expires_at))
            .bind(to_millis(now))
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Moves the conversation on from `step` to `c`, or ends it (None).
    /// False when another reply moved it first.
    pub async fn advance_sms_conversation(
        &mut self,
        patient: PatientId,
        step: i64,
        next: Option<&Conversation>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = match next {
            Some(c) => {
                let state =
                    serde_json::to_string(c).map_err(|e| StoreError::corrupt(e.to_string()))?;
                self.query(
                    "UPDATE sms_conversations SET state = $3, step = step + 1, updated_at = $4 \
                     WHERE patient_id = $1 AND step = $2",
                )
                .bind(patient.to_string())
                .bind(step)
                .bind(state)
                .bind(to_millis(now))
                .execute()
                .await?
            }
            None => {
                self.query("DELETE FROM sms_conversations WHERE patient_id = $1 AND step = $2")
                    .bind(patient.to_string())
                    .bind(step)
                    .execute()
                    .await?
            }
        };
        Ok(done.rows_affected() == 1)
    }

    /// Ends the patient's conversation whatever its step (STOP).
    pub async fn end_sms_conversation(&mut self, patient: PatientId) -> Result<(), StoreError> {
        self.query("DELETE FROM sms_conversations WHERE patient_id = $1")
            .bind(patient.to_string())
            .execute()
            .await?;
        Ok(())
    }

    /// Records an inbound text as handled; false when it was handled before.
    pub async fn record_sms_inbound(
        &mut self,
        gateway_id: &str,
        patient: Option<PatientId>,
        outcome: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = self
            .query(
                "INSERT INTO sms_inbound (gateway_id, received_at, patient_id, outcome) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (gateway_id) DO NOTHING",
            )
            .bind(gateway_id)
            .bind(to_millis(now))
            .bind(patient.map(|p| p.to_string()))
            .bind(outcome)
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether this inbound text was handled already.
    pub async fn sms_inbound_seen(&mut self, gateway_id: &str) -> Result<bool, StoreError> {
        let row = self
            .query("SELECT 1 FROM sms_inbound WHERE gateway_id = $1")
            .bind(gateway_id)
            .fetch_optional()
            .await?;
        Ok(row.is_some())
    }

    /// Forgets inbound texts handled before `before`.
    pub async fn delete_sms_inbound_before(
        &mut self,
        before: Timestamp,
    ) -> Result<u64, StoreError> {
        let done = self
            .query("DELETE FROM sms_inbound WHERE received_at < $1")
            .bind(to_millis(before))
            .execute()
            .await?;
        Ok(done.rows_affected())
    }

    /// Records that `phone` replied STOP (again: no change).
    pub async fn opt_out_sms(
        &mut self,
        phone: &PhoneNumber,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO sms_opt_outs (phone, opted_out_at) VALUES ($1, $2) ON CONFLICT (phone) DO NOTHING",
        )
        .bind(phone.as_str())
        .bind(to_millis(now))
        .execute()
        .await?;
        Ok(())
    }

    /// `phone` replied START.
    pub async fn opt_in_sms(&mut self, phone: &PhoneNumber) -> Result<(), StoreError> {
        self.query("DELETE FROM sms_opt_outs WHERE phone = $1")
            .bind(phone.as_str())
            .execute()
            .await?;
        Ok(())
    }

    /// Whether `phone` replied STOP and not START since.
    pub async fn sms_opted_out(&mut self, phone: &str) -> Result<bool, StoreError> {
        let row = self
            .query("SELECT 1 FROM sms_opt_outs WHERE phone = $1")
            .bind(phone)
            .fetch_optional()
            .await?;
        Ok(row.is_some())
    }
}
