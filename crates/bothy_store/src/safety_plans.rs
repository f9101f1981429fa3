//! Safety plans: every save is a new version, never an overwrite.

use crate::audit::records::columns;
use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::safety_plan::{SafetyPlan, SafetyPlanText, StoredSafetyPlan};
use bothy_domain::time::{from_millis, to_millis};
use bothy_domain::{PatientId, ServiceId};

const COLUMNS: &str = "patient_id, version, service_id, warning_signs, coping_strategies, \
     people_and_places, professionals, safe_environment, saved_at, saved_by_kind, saved_by_id";

/// How often a save is tried again after a concurrent save took its version
/// number. With the patient's row locked first this does not happen; the
/// retry stays as a second guard.
const ATTEMPTS: usize = 5;

fn stored(r: &Row) -> Result<StoredSafetyPlan, StoreError> {
    let text = SafetyPlanText {
        warning_signs: r.try_get("warning_signs")?,
        coping_strategies: r.try_get("coping_strategies")?,
        people_and_places: r.try_get("people_and_places")?,
        professionals: r.try_get("professionals")?,
        safe_environment: r.try_get("safe_environment")?,
    };
    Ok(StoredSafetyPlan {
        patient_id: parse(&r.try_get::<String>("patient_id")?, "patient id")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        version: r.try_get("version")?,
        plan: SafetyPlan::from_stored(&text),
        saved_at: from_millis(r.try_get("saved_at")?),
        saved_by_kind: r.try_get("saved_by_kind")?,
        saved_by_id: r.try_get("saved_by_id")?,
    })
}

impl Tx {
    /// Saves `plan` as the patient's next version and returns its number.
    ///
    /// The number is computed by the insert itself (`MAX + 1`). On SQLite the
    /// write transaction already holds the database's one write lock, so no
    /// two saves interleave. On PostgreSQL (READ COMMITTED) the patient's row
    /// is locked first, so saves of one patient's plan follow one another:
    /// the next waits until this one commits and then numbers after it.
    /// Should two saves still compute the same number, `ON CONFLICT DO
    /// NOTHING` makes the later insert nothing (rather than fail and abort
    /// the transaction), and the statement is run again, now seeing the
    /// committed row.
    pub async fn insert_safety_plan_version(
        &mut self,
        patient: PatientId,
        service: ServiceId,
        plan: &SafetyPlan,
        saved_at: bothy_domain::time::Timestamp,
        saved_by_kind: &str,
        saved_by_id: Option<&str>,
    ) -> Result<i64, StoreError> {
        let text = plan.to_text();
        let lock = sqlx::AssertSqlSafe(format!(
            "SELECT id FROM patients WHERE id = $1{}",
            self.dialect.for_update
        ));
        self.query(lock)
            .bind(patient.to_string())
            .fetch_optional()
            .await?;
        let returning = columns(RecordKind::SafetyPlanVersion);
        for _ in 0..ATTEMPTS {
            let sql = format!(
                "INSERT INTO safety_plan_versions (patient_id, version, service_id, warning_signs, \
                 coping_strategies, people_and_places, professionals, safe_environment, saved_at, \
                 saved_by_kind, saved_by_id) \
                 SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
                 FROM safety_plan_versions WHERE patient_id = $1 \
                 ON CONFLICT (patient_id, version) DO NOTHING RETURNING {returning}"
            );
            let version = self
                .query(sqlx::AssertSqlSafe(sql))
                .bind(patient.to_string())
                .bind(service.to_string())
                .bind(text.warning_signs.clone())
                .bind(text.coping_strategies.clone())
                .bind(text.people_and_places.clone())
                .bind(text.professionals.clone())
                .bind(text.safe_environment.clone())
                .bind(to_millis(saved_at))
                .bind(saved_by_kind)
                .bind(saved_by_id)
                .fetch_optional()
                .await?;
            if let Some(row) = version {
                let version: i64 = row.try_get("version")?;
                let id = bothy_domain::audit::digest::safety_plan_version_id(
                    &patient.to_string(),
                    version,
                );
                self.wrote(RecordKind::SafetyPlanVersion, &id, &row)?;
                return Ok(version);
            }
        }
        Err(StoreError::Constraint("safety_plan_versions_pkey".into()))
    }

    /// The patient's plan: their newest version, if they have one.
    pub async fn current_safety_plan(
        &mut self,
        patient: PatientId,
    ) -> Result<Option<StoredSafetyPlan>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM safety_plan_versions WHERE patient_id = $1 \
             ORDER BY version DESC LIMIT 1"
        ));
        let row = self
            .query(sql)
            .bind(patient.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(stored).transpose()
    }

    /// How many versions of the patient's plan have been saved.
    pub async fn safety_plan_version_count(
        &mut self,
        patient: PatientId,
    ) -> Result<i64, StoreError> {
        self.query("SELECT COUNT(*) AS n FROM safety_plan_versions WHERE patient_id = $1")
            .bind(patient.to_string())
            .fetch_one()
            .await?
            .try_get("n")
    }
}
