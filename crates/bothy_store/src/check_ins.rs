//! Check-ins: mood, sleep, activity and a note.

use crate::audit::records::columns;
use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::PatientId;
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::check_in::{Activity, CheckIn};
use bothy_domain::time::{from_millis, to_millis};

const COLUMNS: &str = "id, patient_id, service_id, mood, sleep_hours, activity, note, checked_in_at, \
     recorded_at, idempotency_key";

fn check_in(r: &Row) -> Result<CheckIn, StoreError> {
    let mood: i64 = r.try_get("mood")?;
    let activity = r
        .try_get::<Option<String>>("activity")?
        .map(|a| Activity::parse(&a).ok_or_else(|| StoreError::corrupt(format!("activity {a:?}"))))
        .transpose()?;
    Ok(CheckIn {
        id: parse(&r.try_get::<String>("id")?, "check-in id")?,
        patient_id: parse(&r.try_get::<String>("patient_id")?, "patient id")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        mood: u8::try_from(mood).map_err(|_| StoreError::corrupt(format!("mood {mood}")))?,
        sleep_hours: r.try_get("sleep_hours")?,
        activity,
        note: r.try_get("note")?,
        checked_in_at: from_millis(r.try_get("checked_in_at")?),
        recorded_at: from_millis(r.try_get("recorded_at")?),
        idempotency_key: r.try_get("idempotency_key")?,
    })
}

impl Tx {
    /// Stores a check-in, unless the patient already has one with the same
    /// idempotency key (or one is being stored at this moment: the insert
    /// waits for it). Returns whether this one was stored; if not, nothing
    /// was written and the caller answers with the first
    /// ([`Tx::check_in_by_key`]).
    pub async fn insert_check_in(&mut self, c: &CheckIn) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO check_ins (id, patient_id, service_id, mood, sleep_hours, activity, note, \
             checked_in_at, recorded_at, idempotency_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (patient_id, idempotency_key) DO NOTHING RETURNING {}",
            columns(RecordKind::CheckIn)
        );
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(c.id.to_string())
            .bind(c.patient_id.to_string())
            .bind(c.service_id.to_string())
            .bind(i64::from(c.mood))
            .bind(c.sleep_hours)
            .bind(c.activity.map(|a| a.as_str().to_string()))
            .bind(c.note.clone())
            .bind(to_millis(c.checked_in_at))
            .bind(to_millis(c.recorded_at))
            .bind(c.idempotency_key.clone())
            .fetch_optional()
            .await?;
        if let Some(row) = &row {
            self.wrote(RecordKind::CheckIn, &c.id.to_string(), row)?;
        }
        Ok(row.is_some())
    }

    pub async fn check_in_by_key(
        &mut self,
        patient: PatientId,
        key: &str,
    ) -> Result<Option<CheckIn>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM check_ins WHERE patient_id = $1 AND idempotency_key = $2"
        ));
        let row = self
            .query(sql)
            .bind(patient.to_string())
            .bind(key)
            .fetch_optional()
            .await?;
        row.as_ref().map(check_in).transpose()
    }

    /// A patient's most recent check-ins, newest first, at most `limit`.
    pub async fn check_ins(
        &mut self,
        patient: PatientId,
        limit: i64,
    ) -> Result<Vec<CheckIn>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM check_ins WHERE patient_id = $1 \
             ORDER BY checked_in_at DESC, recorded_at DESC, id LIMIT {limit}"
        ));
        let rows = self
            .query(sql)
            .bind(patient.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(check_in).collect()
    }
}
