//! What the timed reminders need (migration 25): each person's chosen
//! check-in prompt time, whose prompts are due, and appointments whose
//! reminder may be due.

use crate::appointments::{COLUMNS, appointment};
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::appointments::Appointment;
use bothy_domain::time::{Timestamp, to_millis};
use bothy_domain::{PatientId, ServiceId};

impl Tx {
    /// The patient's check-in prompt time (minute of the local day), if any.
    pub async fn check_in_prompt(&mut self, patient: PatientId) -> Result<Option<i64>, StoreError> {
        let row = self
            .query("SELECT minute FROM check_in_prompts WHERE patient_id = $1")
            .bind(patient.to_string())
            .fetch_optional()
            .await?;
        row.map(|r| r.try_get("minute")).transpose()
    }

    /// Sets the patient's prompt time, or removes it (`None`). A new time
    /// keeps the day's claim, so changing it never prompts twice in a day.
    pub async fn set_check_in_prompt(
        &mut self,
        patient: PatientId,
        service: ServiceId,
        minute: Option<i64>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let Some(minute) = minute else {
            self.query("DELETE FROM check_in_prompts WHERE patient_id = $1")
                .bind(patient.to_string())
                .execute()
                .await?;
            return Ok(());
        };
        self.query(
            "INSERT INTO check_in_prompts (patient_id, service_id, minute, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (patient_id) DO UPDATE SET \
             service_id = excluded.service_id, minute = excluded.minute, \
             updated_at = excluded.updated_at",
        )
        .bind(patient.to_string())
        .bind(service.to_string())
        .bind(minute)
        .bind(to_millis(now))
        .execute()
        .await?;
        Ok(())
    }

    /// People of `service` in an open episode whose prompt time is between
    /// `from` and `to` (minutes of the local day, inclusive) and who were
    /// not prompted on `day`, after `after` by id, at most `limit`.
    pub async fn check_in_prompts_between(
        &mut self,
        service: ServiceId,
        (from, to): (i64, i64),
        day: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<(PatientId, i64)>, StoreError> {
        let rows = self
            .query(
                "SELECT c.patient_id, c.minute FROM check_in_prompts c \
                 WHERE c.service_id = $1 AND c.minute BETWEEN $2 AND $3 \
                 AND (c.last_prompted_on IS NULL OR c.last_prompted_on <> $4) \
                 AND c.patient_id > $5 \
                 AND EXISTS (SELECT 1 FROM episodes e WHERE e.patient_id = c.patient_id \
                 AND e.discharged_at IS NULL) \
                 ORDER BY c.patient_id LIMIT $6",
            )
            .bind(service.to_string())
            .bind(from)
            .bind(to)
            .bind(day)
            .bind(after)
            .bind(limit)
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse(&r.try_get::<String>("patient_id")?, "patient id")?,
                    r.try_get("minute")?,
                ))
            })
            .collect()
    }

    /// Claims the patient's prompt for `day`: true once per day, however
    /// many workers ask (a guarded update).
    pub async fn claim_check_in_prompt(
        &mut self,
        patient: PatientId,
        day: &str,
    ) -> Result<bool, StoreError> {
        let done = self
            .query(
                "UPDATE check_in_prompts SET last_prompted_on = $2 WHERE patient_id = $1 \
                 AND (last_prompted_on IS NULL OR last_prompted_on <> $2)",
            )
            .bind(patient.to_string())
            .bind(day)
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether the patient checked in at or after `since`.
    pub async fn checked_in_since(
        &mut self,
        patient: PatientId,
        since: Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(self
            .query("SELECT 1 AS one FROM check_ins WHERE patient_id = $1 AND checked_in_at >= $2 LIMIT 1")
            .bind(patient.to_string())
            .bind(to_millis(since))
            .fetch_optional()
            .await?
            .is_some())
    }

    /// Booked appointments of `service` starting from `from` until before
    /// `to`, after `after` by id, at most `limit`.
    pub async fn appointments_starting(
        &mut self,
        service: ServiceId,
        (from, to): (Timestamp, Timestamp),
        after: &str,
        limit: i64,
    ) -> Result<Vec<Appointment>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM appointments WHERE service_id = $1 AND status = 'booked' \
             AND starts_at >= $2 AND starts_at < $3 AND id > $4 ORDER BY id LIMIT $5"
        ));
        let rows = self
            .query(sql)
            .bind(service.to_string())
            .bind(to_millis(from))
            .bind(to_millis(to))
            .bind(after)
            .bind(limit)
            .fetch_all()
            .await?;
        rows.iter().map(appointment).collect()
    }
}
