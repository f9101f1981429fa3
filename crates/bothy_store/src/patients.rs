use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::model::Patient;
use bothy_domain::person::{DateOfBirth, Email, PersonName, PhoneNumber};
use bothy_domain::time::{from_millis, to_millis};
use bothy_domain::{PatientId, ServiceId, StaffId};

/// A patient's columns, with the supporters of their current programme
/// enrolments (comma-separated; `string_agg` is in both PostgreSQL and
/// SQLite 3.44 and later), from a table named `patients`.
pub(crate) const PATIENT_COLUMNS: &str = "id, service_id, given_name, family_name, date_of_birth, email, phone, supporter_id, created_at, \
     (SELECT string_agg(en.supporter_id, ',') FROM enrolments en WHERE en.patient_id = patients.id \
      AND en.status <> 'finished' AND en.supporter_id IS NOT NULL) AS programme_supporters";

/// A patient as a submission for them finds them (`Tx::submission_target`).
#[derive(Debug, Clone)]
pub struct SubmissionTarget {
    pub patient: Patient,
    pub open_episode: Option<bothy_domain::ids::EpisodeId>,
    /// They left a draft of the measure being submitted.
    pub has_draft: bool,
}

pub(crate) fn patient(row: &Row) -> Result<Patient, StoreError> {
    let corrupt = StoreError::corrupt;
    Ok(Patient {
        id: parse(&row.try_get::<String>("id")?, "patient id")?,
        service_id: parse(&row.try_get::<String>("service_id")?, "service id")?,
        given_name: PersonName::from_stored(row.try_get("given_name")?),
        family_name: PersonName::from_stored(row.try_get("family_name")?),
        date_of_birth: DateOfBirth::from_stored(parse(
            &row.try_get::<String>("date_of_birth")?,
            "date of birth",
        )?),
        email: row
            .try_get::<Option<String>>("email")?
            .map(Email::from_stored),
        phone: row
            .try_get::<Option<String>>("phone")?
            .map(|p| PhoneNumber::parse(&p).map_err(corrupt))
            .transpose()?,
        supporter_id: row
            .try_get::<Option<String>>("supporter_id")?
            .map(|s| parse(&s, "staff id"))
            .transpose()?,
        created_at: from_millis(row.try_get("created_at")?),
        programme_supporters: row
            .try_get::<Option<String>>("programme_supporters")?
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| parse(s, "staff id"))
            .collect::<Result<_, _>>()?,
    })
}

impl Tx {
    pub async fn insert_patient(
        &mut self,
        p: &Patient,
        password_hash: Option<&str>,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO patients (id, service_id, given_name, family_name, date_of_birth, email, phone, \
             password_hash, supporter_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(p.id.to_string())
        .bind(p.service_id.to_string())
        .bind(p.given_name.as_str())
        .bind(p.family_name.as_str())
        .bind(p.date_of_birth.to_string())
        .bind(p.email.as_ref().map(|e| e.as_str().to_string()))
        .bind(p.phone.as_ref().map(|e| e.as_str().to_string()))
        .bind(password_hash.map(str::to_string))
        .bind(p.supporter_id.map(|s| s.to_string()))
        .bind(to_millis(p.created_at))
        .execute()
        .await?;
        Ok(())
    }

    pub async fn patient(&mut self, id: PatientId) -> Result<Option<Patient>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {PATIENT_COLUMNS} FROM patients WHERE id = $1"
        ));
        let row = self
            .query(sql)
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(patient).transpose()
    }

    /// The patients with these ids (a page's worth, in one statement), by
    /// id. Ids not found are left out.
    pub async fn patients_by_ids(
        &mut self,
        ids: &[PatientId],
    ) -> Result<std::collections::HashMap<PatientId, Patient>, StoreError> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let sql = format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE id IN ({{ids}})");
        self.query_in(&sql, ids)
            .fetch_all()
            .await?
            .iter()
            .map(|r| patient(r).map(|p| (p.id, p)))
            .collect()
    }

    /// What a submission of `instrument` for this patient needs, in one
    /// read: the patient, their open episode, and whether they left a draft
    /// of it (removed only then, so a submission without one is a statement
    /// shorter).
    pub async fn submission_target(
        &mut self,
        id: PatientId,
        instrument: &str,
    ) -> Result<Option<SubmissionTarget>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {PATIENT_COLUMNS}, (SELECT e.id FROM episodes e WHERE e.patient_id = patients.id \
             AND e.discharged_at IS NULL ORDER BY e.opened_at DESC LIMIT 1) AS open_episode, \
             EXISTS (SELECT 1 FROM measure_drafts d WHERE d.patient_id = patients.id \
             AND d.instrument_id = $2) AS has_draft \
             FROM patients WHERE id = $1"
        ));
        let row = self
            .query(sql)
            .bind(id.to_string())
            .bind(instrument)
            .fetch_optional()
            .await?;
        row.map(|r| {
            Ok(SubmissionTarget {
                open_episode: r
                    .try_get::<Option<String>>("open_episode")?
                    .map(|e| parse(&e, "episode id"))
                    .transpose()?,
                has_draft: r.try_get("has_draft")?,
                patient: patient(&r)?,
            })
        })
        .transpose()
    }

    /// The patient with this sign-in email and their password hash, if any.
    pub async fn patient_login(
        &mut self,
        email: &Email,
    ) -> Result<Option<(Patient, Option<String>)>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {PATIENT_COLUMNS}, password_hash FROM patients WHERE email = $1"
        ));
        let row = self
            .query(sql)
            .bind(email.as_str())
            .fetch_optional()
            .await?;
        row.map(|r| Ok((patient(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }

    pub async fn patient_password_hash(
        &mut self,
        id: PatientId,
    ) -> Result<Option<String>, StoreError> {
        let row = self
            .query("SELECT password_hash FROM patients WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        Ok(row
            .map(|r| r.try_get::<Option<String>>("password_hash"))
            .transpose()?
            .flatten())
    }

    pub async fn set_patient_password(
        &mut self,
        id: PatientId,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        self.query("UPDATE patients SET password_hash = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(password_hash)
            .execute()
            .await?;
        Ok(())
    }

    /// Sets the email a patient signs in with and their password (activation).
    pub async fn set_patient_login(
        &mut self,
        id: PatientId,
        email: &Email,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        self.query("UPDATE patients SET email = $2, password_hash = $3 WHERE id = $1")
            .bind(id.to_string())
            .bind(email.as_str())
            .bind(password_hash)
            .execute()
            .await?;
        Ok(())
    }

    pub async fn set_patient_supporter(
        &mut self,
        id: PatientId,
        supporter: StaffId,
    ) -> Result<(), StoreError> {
        self.query("UPDATE patients SET supporter_id = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(supporter.to_string())
            .execute()
            .await?;
        Ok(())
    }

    /// Patients of a service, by name, at most `limit`.
    pub async fn patients_of_service(
        &mut self,
        service: ServiceId,
        limit: i64,
    ) -> Result<Vec<Patient>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {PATIENT_COLUMNS} FROM patients WHERE service_id = $1 ORDER BY family_name, given_name, id LIMIT {limit}"
        ));
        let rows = self
            .query(sql)
            .bind(service.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(patient).collect()
    }

    pub async fn count_patients(&mut self, service: ServiceId) -> Result<i64, StoreError> {
        let row = self
            .query("SELECT COUNT(*) AS n FROM patients WHERE service_id = $1")
            .bind(service.to_string())
            .fetch_one()
            .await?;
        row.try_get("n")
    }

    /// Every episode the service has held, open or ended: the size the
    /// dashboard's speed target is set for.
    pub async fn count_episodes(&mut self, service: ServiceId) -> Result<i64, StoreError> {
        let row = self
            .query("SELECT COUNT(*) AS n FROM episodes WHERE service_id = $1")
            .bind(service.to_string())
            .fetch_one()
            .await?;
        row.try_get("n")
    }
}
