//! Programme enrolments and each module's progress. Every change is a
//! guarded write (`WHERE status = ...`, `completed_at IS NULL`, `ON
//! CONFLICT DO NOTHING`) whose affected-row count tells the caller whether
//! it made the change or found it made.

use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::ids::EnrolmentId;
use bothy_domain::programmes::Programme;
use bothy_domain::programmes::enrolment::{Enrolment, ModuleProgress, Status, UnlockedBy};
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{PatientId, ServiceId, StaffId};

const COLUMNS: &str = "id, patient_id, service_id, programme_id, programme_version, content, \
     supporter_id, status, enrolled_at, enrolled_by, paused_at, finished_at";

/// An enrolment to make.
#[derive(Debug, Clone)]
pub struct NewEnrolment<'a> {
    pub id: EnrolmentId,
    pub patient_id: PatientId,
    pub service_id: ServiceId,
    /// Pinned as it is now.
    pub programme: &'a Programme,
    pub supporter_id: Option<StaffId>,
    pub enrolled_at: Timestamp,
    pub enrolled_by: StaffId,
}

fn enrolment(r: &Row) -> Result<Enrolment, StoreError> {
    let content: String = r.try_get("content")?;
    let programme: Programme = serde_json::from_str(&content)
        .map_err(|e| StoreError::corrupt(format!("pinned programme: {e}")))?;
    let status: String = r.try_get("status")?;
    Ok(Enrolment {
        id: parse(&r.try_get::<String>("id")?, "enrolment id")?,
        patient_id: parse(&r.try_get::<String>("patient_id")?, "patient id")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        programme,
        supporter_id: r
            .try_get::<Option<String>>("supporter_id")?
            .map(|s| parse(&s, "staff id"))
            .transpose()?,
        status: Status::parse(&status)
            .ok_or_else(|| StoreError::corrupt(format!("enrolment status {status:?}")))?,
        enrolled_at: from_millis(r.try_get("enrolled_at")?),
        enrolled_by: parse(&r.try_get::<String>("enrolled_by")?, "staff id")?,
        paused_at: r.try_get::<Option<i64>>("paused_at")?.map(from_millis),
        finished_at: r.try_get::<Option<i64>>("finished_at")?.map(from_millis),
        progress: Vec::new(),
    })
}

fn progress(r: &Row) -> Result<(String, ModuleProgress), StoreError> {
    let by: String = r.try_get("unlocked_by_kind")?;
    let module: i64 = r.try_get("module")?;
    Ok((
        r.try_get("enrolment_id")?,
        ModuleProgress {
            module: u32::try_from(module)
                .map_err(|_| StoreError::corrupt(format!("module {module}")))?,
            unlocked_at: from_millis(r.try_get("unlocked_at")?),
            unlocked_by: UnlockedBy::parse(&by)
                .ok_or_else(|| StoreError::corrupt(format!("unlocked by {by:?}")))?,
            unlocked_by_id: r.try_get("unlocked_by_id")?,
            completed_at: r.try_get::<Option<i64>>("completed_at")?.map(from_millis),
        },
    ))
}

impl Tx {
    /// Makes the enrolment and opens its first module. False, with nothing
    /// written, when the patient already has an enrolment on the programme
    /// that is not finished (the partial unique index; on PostgreSQL an
    /// insert racing another waits for it to commit, then does nothing).
    pub async fn insert_programme_enrolment(
        &mut self,
        e: &NewEnrolment<'_>,
    ) -> Result<bool, StoreError> {
        let content = serde_json::to_string(e.programme)
            .map_err(|err| StoreError::corrupt(format!("programme to pin: {err}")))?;
        let made = self
            .query(
                "INSERT INTO enrolments (id, patient_id, service_id, programme_id, \
                 programme_version, content, supporter_id, status, enrolled_at, enrolled_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9) \
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(e.id.to_string())
            .bind(e.patient_id.to_string())
            .bind(e.service_id.to_string())
            .bind(e.programme.id.clone())
            .bind(e.programme.version.clone())
            .bind(content)
            .bind(e.supporter_id.map(|s| s.to_string()))
            .bind(to_millis(e.enrolled_at))
            .bind(e.enrolled_by.to_string())
            .fetch_optional()
            .await?
            .is_some();
        if made {
            let by = e.enrolled_by.to_string();
            self.unlock_module(e.id, 1, e.enrolled_at, UnlockedBy::Enrolment, Some(&by))
                .await?;
        }
        Ok(made)
    }

    /// Opens module `module`; false if it was already open.
    pub async fn unlock_module(
        &mut self,
        id: EnrolmentId,
        module: u32,
        at: Timestamp,
        by: UnlockedBy,
        by_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = self
            .query(
                "INSERT INTO module_progress (enrolment_id, module, unlocked_at, \
                 unlocked_by_kind, unlocked_by_id) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (enrolment_id, module) DO NOTHING",
            )
            .bind(id.to_string())
            .bind(i64::from(module))
            .bind(to_millis(at))
            .bind(by.as_str())
            .bind(by_id)
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks an open module done; false if it is not open or already done.
    pub async fn complete_module(
        &mut self,
        id: EnrolmentId,
        module: u32,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = self
            .query(
                "UPDATE module_progress SET completed_at = $3 \
                 WHERE enrolment_id = $1 AND module = $2 AND completed_at IS NULL",
            )
            .bind(id.to_string())
            .bind(i64::from(module))
            .bind(to_millis(at))
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Moves an enrolment from `from` to `to`; false if it was not in `from`.
    /// Pausing records when; resuming clears it; finishing records when.
    pub async fn set_enrolment_status(
        &mut self,
        id: EnrolmentId,
        from: Status,
        to: Status,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let (paused, finished) = match to {
            Status::Paused => (Some(to_millis(at)), None),
            Status::Active => (None, None),
            Status::Finished => (None, Some(to_millis(at))),
        };
        let done = self
            .query(
                "UPDATE enrolments SET status = $3, paused_at = $4, finished_at = $5 \
                 WHERE id = $1 AND status = $2",
            )
            .bind(id.to_string())
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(paused)
            .bind(finished)
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// One enrolment with its progress. With `lock`, its row is locked
    /// until the transaction ends (PostgreSQL; SQLite's write transaction
    /// already excludes other writers), so changes to one enrolment follow
    /// one another.
    pub async fn programme_enrolment(
        &mut self,
        id: EnrolmentId,
        lock: bool,
    ) -> Result<Option<Enrolment>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM enrolments WHERE id = $1{}",
            if lock { self.dialect.for_update } else { "" }
        ));
        let row = self
            .query(sql)
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        let Some(mut e) = row.as_ref().map(enrolment).transpose()? else {
            return Ok(None);
        };
        let rows = self
            .query(
                "SELECT enrolment_id, module, unlocked_at, unlocked_by_kind, unlocked_by_id, \
                 completed_at FROM module_progress WHERE enrolment_id = $1 ORDER BY module",
            )
            .bind(id.to_string())
            .fetch_all()
            .await?;
        for r in &rows {
            e.progress.push(progress(r)?.1);
        }
        Ok(Some(e))
    }

    /// The patient's enrolment on `programme` that is not finished, if any.
    pub async fn current_programme_enrolment(
        &mut self,
        patient: PatientId,
        programme: &str,
    ) -> Result<Option<Enrolment>, StoreError> {
        let id: Option<String> = self
            .query(
                "SELECT id FROM enrolments WHERE patient_id = $1 AND programme_id = $2 \
                 AND status <> 'finished'",
            )
            .bind(patient.to_string())
            .bind(programme)
            .fetch_optional()
            .await?
            .map(|r| r.try_get("id"))
            .transpose()?;
        match id {
            Some(id) => {
                self.programme_enrolment(parse(&id, "enrolment id")?, false)
                    .await
            }
            None => Ok(None),
        }
    }

    /// Every enrolment of the patient, newest first, with progress.
    pub async fn programme_enrolments_of(
        &mut self,
        patient: PatientId,
    ) -> Result<Vec<Enrolment>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM enrolments WHERE patient_id = $1 \
             ORDER BY enrolled_at DESC, id"
        ));
        let rows = self
            .query(sql)
            .bind(patient.to_string())
            .fetch_all()
            .await?;
        let mut list = rows.iter().map(enrolment).collect::<Result<Vec<_>, _>>()?;
        let rows = self
            .query(
                "SELECT p.enrolment_id, p.module, p.unlocked_at, p.unlocked_by_kind, \
                 p.unlocked_by_id, p.completed_at FROM module_progress p \
                 JOIN enrolments e ON e.id = p.enrolment_id \
                 WHERE e.patient_id = $1 ORDER BY p.enrolment_id, p.module",
            )
            .bind(patient.to_string())
            .fetch_all()
            .await?;
        for r in &rows {
            let (id, p) = progress(r)?;
            if let Some(e) = list.iter_mut().find(|e| e.id.to_string() == id) {
                e.progress.push(p);
            }
        }
        Ok(list)
    }
}
