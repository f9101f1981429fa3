//! Queries for `bothy bench`: the raw-database baselines (a scratch table
//! written one row per transaction, and the plain SELECTs behind the staff
//! pages and the FHIR search). The service-wide workloads run the
//! production use cases and need nothing here.

use crate::services::parse;
use crate::{Store, StoreError, Tx};
use bothy_domain::{PatientId, ServiceId};

/// The baseline's scratch table. Dropped after each measurement.
const BASELINE_TABLE: &str = "CREATE TABLE bench_baseline (\
     id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, payload TEXT NOT NULL, at BIGINT NOT NULL)";

impl Store {
    /// Creates the baseline's scratch table (dropping a leftover one).
    pub async fn baseline_create(&self) -> Result<(), StoreError> {
        self.baseline_drop().await?;
        let mut tx = self.begin().await?;
        tx.raw(BASELINE_TABLE).await?;
        tx.commit().await
    }

    pub async fn baseline_drop(&self) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.raw("DROP TABLE IF EXISTS bench_baseline").await?;
        tx.commit().await?;
        Ok(())
    }

    /// One durable commit of one row: the write transaction the application
    /// uses (`BEGIN IMMEDIATE` on SQLite), one INSERT, COMMIT.
    pub async fn baseline_insert(
        &self,
        id: &str,
        patient: &str,
        payload: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.query(
            "INSERT INTO bench_baseline (id, patient_id, payload, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(patient)
        .bind(payload)
        .bind(at)
        .execute()
        .await?;
        tx.commit().await
    }
}

impl Tx {
    /// The staff home's SELECT: 50 patients of a service, by name. Returns rows read.
    pub async fn baseline_patient_list(&mut self, service: ServiceId) -> Result<usize, StoreError> {
        let rows = self.query(
            "SELECT id, given_name, family_name, date_of_birth, email, phone, supporter_id, created_at \
             FROM patients WHERE service_id = $1 ORDER BY family_name, given_name, id LIMIT 50",
        )
        .bind(service.to_string())
        .fetch_all()
        .await?;
        Ok(rows.len())
    }

    /// The patient page's SELECTs: the record, every response, every check-in.
    pub async fn baseline_patient_page(&mut self, patient: PatientId) -> Result<usize, StoreError> {
        let id = patient.to_string();
        let mut n = self
            .query("SELECT id, given_name, family_name, service_id FROM patients WHERE id = $1")
            .bind(&id)
            .fetch_all()
            .await?
            .len();
        n += self.query(
            "SELECT id, instrument_id, answers, total, band, risk_items, submitted_at FROM measure_responses \
             WHERE patient_id = $1 ORDER BY submitted_at LIMIT 500",
        )
        .bind(&id)
        .fetch_all()
        .await?
        .len();
        n += self
            .query(
                "SELECT id, mood, sleep_hours, activity, note, checked_in_at FROM check_ins \
             WHERE patient_id = $1 ORDER BY checked_in_at DESC LIMIT 500",
            )
            .bind(&id)
            .fetch_all()
            .await?
            .len();
        Ok(n)
    }

    /// The FHIR search's SELECT: a patient's newest responses.
    pub async fn baseline_response_search(
        &mut self,
        patient: PatientId,
        count: i64,
    ) -> Result<usize, StoreError> {
        let rows = self.query(
            "SELECT id, instrument_id, instrument_version, answers, total, submitted_at FROM measure_responses \
             WHERE patient_id = $1 ORDER BY submitted_at DESC LIMIT $2",
        )
        .bind(patient.to_string())
        .bind(count)
        .fetch_all()
        .await?;
        Ok(rows.len())
    }

    /// A patient of the service with at least `min` responses and `min`
    /// check-ins, for the patient page and the search; the first by id.
    pub async fn bench_patient_with_history(
        &mut self,
        service: ServiceId,
        min: i64,
    ) -> Result<Option<PatientId>, StoreError> {
        let row = self.query(
            "SELECT p.id FROM patients p WHERE p.service_id = $1 \
             AND (SELECT COUNT(*) FROM measure_responses m WHERE m.patient_id = p.id AND m.instrument_id = 'phq9') >= $2 \
             AND (SELECT COUNT(*) FROM measure_responses m WHERE m.patient_id = p.id AND m.instrument_id = 'gad7') >= $2 \
             AND (SELECT COUNT(*) FROM check_ins c WHERE c.patient_id = p.id) >= $2 \
             ORDER BY p.id LIMIT 1",
        )
        .bind(service.to_string())
        .bind(min)
        .fetch_optional()
        .await?;
        row.map(|r| parse(&r.try_get::<String>("id")?, "patient id"))
            .transpose()
    }
}
