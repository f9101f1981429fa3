//! Measure responses, drafts and risk flags.

use crate::audit::records::columns;
use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::PatientId;
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::ids::ResponseId;
use bothy_domain::model::{MeasureResponse, ResponseSource};
use bothy_domain::time::{Timestamp, from_millis, to_millis};

pub(crate) const RESPONSE_COLUMNS: &str = "id, patient_id, service_id, instrument_id, instrument_version, answers, total, \
     raw_total, band, at_caseness, prorated, risk_items, source, idempotency_key, submitted_at, \
     submitted_by_kind, submitted_by_id, authored_at";

fn json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|_| StoreError::corrupt(format!("{what} {s:?}")))
}

pub(crate) fn response(r: &Row) -> Result<MeasureResponse, StoreError> {
    let source: String = r.try_get("source")?;
    Ok(MeasureResponse {
        id: parse(&r.try_get::<String>("id")?, "response id")?,
        patient_id: parse(&r.try_get::<String>("patient_id")?, "patient id")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        instrument_id: r.try_get("instrument_id")?,
        instrument_version: r.try_get("instrument_version")?,
        answers: json(&r.try_get::<String>("answers")?, "answers")?,
        total: r.try_get("total")?,
        raw_total: r.try_get::<Option<i64>>("raw_total")?.map(|v| v as i32),
        band: r.try_get("band")?,
        at_caseness: r.try_get::<Option<i64>>("at_caseness")?.map(|v| v != 0),
        prorated: r.try_get::<i64>("prorated")? != 0,
        risk_items: json(&r.try_get::<String>("risk_items")?, "risk items")?,
        source: ResponseSource::parse(&source)
            .ok_or_else(|| StoreError::corrupt(format!("source {source:?}")))?,
        idempotency_key: r.try_get("idempotency_key")?,
        submitted_at: from_millis(r.try_get("submitted_at")?),
        submitted_by_kind: r.try_get("submitted_by_kind")?,
        submitted_by_id: r.try_get("submitted_by_id")?,
        authored_at: r.try_get::<Option<i64>>("authored_at")?.map(from_millis),
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

impl Tx {
    /// Stores a scored response, unless the patient already has one with the
    /// same idempotency key (or one is being stored at this moment: the
    /// insert waits for it). Returns whether this one was stored; if not,
    /// nothing was written and the caller answers with the first
    /// ([`Tx::measure_response_by_key`]).
    pub async fn insert_measure_response(
        &mut self,
        m: &MeasureResponse,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO measure_responses (id, patient_id, service_id, instrument_id, instrument_version, answers, \
             total, raw_total, band, at_caseness, prorated, risk_items, source, idempotency_key, submitted_at, \
             submitted_by_kind, submitted_by_id, authored_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
             ON CONFLICT (patient_id, idempotency_key) DO NOTHING RETURNING {}",
            columns(RecordKind::MeasureResponse)
        );
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(m.id.to_string())
            .bind(m.patient_id.to_string())
            .bind(m.service_id.to_string())
            .bind(&m.instrument_id)
            .bind(&m.instrument_version)
            .bind(to_json(&m.answers))
            .bind(m.total)
            .bind(m.raw_total.map(i64::from))
            .bind(m.band.clone())
            .bind(m.at_caseness.map(i64::from))
            .bind(i64::from(m.prorated))
            .bind(to_json(&m.risk_items))
            .bind(m.source.as_str())
            .bind(&m.idempotency_key)
            .bind(to_millis(m.submitted_at))
            .bind(&m.submitted_by_kind)
            .bind(m.submitted_by_id.clone())
            .bind(m.authored_at.map(to_millis))
            .fetch_optional()
            .await?;
        if let Some(row) = &row {
            self.wrote(RecordKind::MeasureResponse, &m.id.to_string(), row)?;
        }
        Ok(row.is_some())
    }

    pub async fn measure_response(
        &mut self,
        id: ResponseId,
    ) -> Result<Option<MeasureResponse>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {RESPONSE_COLUMNS} FROM measure_responses WHERE id = $1"
        ));
        let row = self
            .query(sql)
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(response).transpose()
    }

    pub async fn measure_response_by_key(
        &mut self,
        patient: PatientId,
        key: &str,
    ) -> Result<Option<MeasureResponse>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {RESPONSE_COLUMNS} FROM measure_responses WHERE patient_id = $1 AND idempotency_key = $2"
        ));
        let row = self
            .query(sql)
            .bind(patient.to_string())
            .bind(key)
            .fetch_optional()
            .await?;
        row.as_ref().map(response).transpose()
    }

    /// A patient's responses, oldest first, optionally within [from, to).
    pub async fn measure_responses(
        &mut self,
        patient: PatientId,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        newest_first: bool,
        limit: i64,
    ) -> Result<Vec<MeasureResponse>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {RESPONSE_COLUMNS} FROM measure_responses WHERE patient_id = $1 \
             AND submitted_at >= $2 AND submitted_at < $3 ORDER BY submitted_at {}, id LIMIT {limit}",
            if newest_first { "DESC" } else { "ASC" }
        ));
        let rows = self
            .query(sql)
            .bind(patient.to_string())
            .bind(from.map(to_millis).unwrap_or(i64::MIN))
            .bind(to.map(to_millis).unwrap_or(i64::MAX))
            .fetch_all()
            .await?;
        rows.iter().map(response).collect()
    }

    /// The responses of a service's patients (of `patient` alone, if given)
    /// stored under `key`, at most `limit`: what a conditional create's
    /// `identifier` matches.
    pub async fn measure_responses_by_key(
        &mut self,
        service: bothy_domain::ServiceId,
        key: &str,
        patient: Option<PatientId>,
        limit: i64,
    ) -> Result<Vec<MeasureResponse>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {RESPONSE_COLUMNS} FROM measure_responses WHERE service_id = $1 \
             AND idempotency_key = $2 {} ORDER BY id LIMIT {limit}",
            if patient.is_some() {
                "AND patient_id = $3"
            } else {
                ""
            }
        ));
        let mut q = self.query(sql).bind(service.to_string()).bind(key);
        if let Some(p) = patient {
            q = q.bind(p.to_string());
        }
        let rows = q.fetch_all().await?;
        rows.iter().map(response).collect()
    }

    /// When each instrument was last completed by a patient.
    pub async fn last_completed(
        &mut self,
        patient: PatientId,
    ) -> Result<Vec<(String, Timestamp)>, StoreError> {
        let rows = self.query(
            "SELECT instrument_id, MAX(submitted_at) AS at FROM measure_responses WHERE patient_id = $1 \
             GROUP BY instrument_id",
        )
        .bind(patient.to_string())
        .fetch_all()
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("instrument_id")?, from_millis(r.try_get("at")?))))
            .collect()
    }

    pub async fn save_draft(
        &mut self,
        patient: PatientId,
        instrument: &str,
        answers: &[Option<i32>],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO measure_drafts (patient_id, instrument_id, answers, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (patient_id, instrument_id) DO UPDATE SET answers = excluded.answers, \
             updated_at = excluded.updated_at",
        )
        .bind(patient.to_string())
        .bind(instrument)
        .bind(to_json(&answers))
        .bind(to_millis(now))
        .execute()
        .await?;
        Ok(())
    }

    pub async fn draft(
        &mut self,
        patient: PatientId,
        instrument: &str,
    ) -> Result<Option<Vec<Option<i32>>>, StoreError> {
        let row = self
            .query(
                "SELECT answers FROM measure_drafts WHERE patient_id = $1 AND instrument_id = $2",
            )
            .bind(patient.to_string())
            .bind(instrument)
            .fetch_optional()
            .await?;
        row.map(|r| json(&r.try_get::<String>("answers")?, "draft answers"))
            .transpose()
    }

    pub async fn delete_draft(
        &mut self,
        patient: PatientId,
        instrument: &str,
    ) -> Result<(), StoreError> {
        self.query("DELETE FROM measure_drafts WHERE patient_id = $1 AND instrument_id = $2")
            .bind(patient.to_string())
            .bind(instrument)
            .execute()
            .await?;
        Ok(())
    }
}
