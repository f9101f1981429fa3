//! Queries for `bothy bench`: the raw-database baselines (a scratch table
//! written one row per transaction, and the plain SELECTs behind the staff
//! pages and the FHIR search), and the bulk reads behind the service-wide
//! workloads (outcome classification and detector re-evaluation), which read
//! a whole service in a few queries rather than one patient at a time.

use crate::services::parse;
use crate::{Store, StoreError, Tx};
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{PatientId, ServiceId};

/// The baseline's scratch table. Dropped after each measurement.
const BASELINE_TABLE: &str = "CREATE TABLE bench_baseline (\
     id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, payload TEXT NOT NULL, at BIGINT NOT NULL)";

/// A finished episode with the first and last score of each instrument
/// between referral and discharge, for outcome classification.
#[derive(Debug, Clone)]
pub struct EpisodeScores {
    pub episode_id: String,
    pub problem_descriptor: String,
    pub treatment_appointments: i64,
    pub first_treatment_at: Option<Timestamp>,
    /// `(instrument, submitted_at, total)`, oldest first; at most two per instrument.
    pub scores: Vec<(String, Timestamp, f64)>,
}

/// One score, as detectors read it.
#[derive(Debug, Clone)]
pub struct ScoreRow {
    pub instrument_id: String,
    pub submitted_at: Timestamp,
    pub total: f64,
}

/// What the detectors read for one patient.
#[derive(Debug, Clone)]
pub struct PatientHistory {
    pub patient_id: PatientId,
    /// The latest episode's referral and opening times.
    pub episode: Option<(Timestamp, Timestamp)>,
    /// Every score, oldest first.
    pub scores: Vec<ScoreRow>,
    /// The newest response's answers per instrument, `(instrument, answers)`.
    pub latest_answers: Vec<(String, Vec<Option<i32>>)>,
    /// Check-ins `(checked_in_at, mood, note)`, oldest first.
    pub check_ins: Vec<(Timestamp, u8, Option<String>)>,
}

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

    /// Every episode of the service discharged in `[from, to)`, with the
    /// first and last score of each instrument between referral and
    /// discharge: one query, ranked in the database.
    pub async fn finished_episode_scores(
        &mut self,
        service: ServiceId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<EpisodeScores>, StoreError> {
        let rows = self.query(
            "SELECT episode_id, problem_descriptor, treatment_appointments, first_treatment_at, \
                    instrument_id, submitted_at, total FROM ( \
               SELECT e.id AS episode_id, e.problem_descriptor, e.treatment_appointments, e.first_treatment_at, \
                      m.instrument_id, m.submitted_at, m.total, \
                      ROW_NUMBER() OVER (PARTITION BY e.id, m.instrument_id ORDER BY m.submitted_at, m.id) AS first_n, \
                      ROW_NUMBER() OVER (PARTITION BY e.id, m.instrument_id ORDER BY m.submitted_at DESC, m.id DESC) AS last_n \
               FROM episodes e \
               LEFT JOIN measure_responses m ON m.patient_id = e.patient_id \
                    AND m.submitted_at >= e.referred_at AND m.submitted_at <= e.discharged_at \
               WHERE e.service_id = $1 AND e.discharged_at >= $2 AND e.discharged_at < $3 \
             ) ranked WHERE first_n = 1 OR last_n = 1 \
             ORDER BY episode_id, submitted_at",
        )
        .bind(service.to_string())
        .bind(to_millis(from))
        .bind(to_millis(to))
        .fetch_all()
        .await?;
        let mut out: Vec<EpisodeScores> = Vec::new();
        for r in &rows {
            let id: String = r.try_get("episode_id")?;
            if out.last().is_none_or(|e| e.episode_id != id) {
                out.push(EpisodeScores {
                    episode_id: id,
                    problem_descriptor: r.try_get("problem_descriptor")?,
                    treatment_appointments: r.try_get("treatment_appointments")?,
                    first_treatment_at: r
                        .try_get::<Option<i64>>("first_treatment_at")?
                        .map(from_millis),
                    scores: Vec::new(),
                });
            }
            let instrument: Option<String> = r.try_get("instrument_id")?;
            if let (Some(instrument), Some(e)) = (instrument, out.last_mut()) {
                let at = from_millis(r.try_get("submitted_at")?);
                e.scores.push((instrument, at, r.try_get("total")?));
            }
        }
        Ok(out)
    }

    /// The next page of the service's patients after `after` (by id), with
    /// what the detectors read: four queries per page, over id ranges.
    pub async fn detector_inputs(
        &mut self,
        service: ServiceId,
        after: Option<PatientId>,
        limit: i64,
    ) -> Result<Vec<PatientHistory>, StoreError> {
        let svc = service.to_string();
        let after = after.map(|p| p.to_string()).unwrap_or_default();
        let ids = self
            .query("SELECT id FROM patients WHERE service_id = $1 AND id > $2 ORDER BY id LIMIT $3")
            .bind(&svc)
            .bind(&after)
            .bind(limit)
            .fetch_all()
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for r in &ids {
            out.push(PatientHistory {
                patient_id: parse(&r.try_get::<String>("id")?, "patient id")?,
                episode: None,
                scores: Vec::new(),
                latest_answers: Vec::new(),
                check_ins: Vec::new(),
            });
        }
        let (Some(first), Some(last)) = (out.first(), out.last()) else {
            return Ok(out);
        };
        let (first, last) = (first.patient_id.to_string(), last.patient_id.to_string());
        let index: std::collections::HashMap<String, usize> = out
            .iter()
            .enumerate()
            .map(|(i, p)| (p.patient_id.to_string(), i))
            .collect();
        let range = " AND patient_id >= $2 AND patient_id <= $3";
        let episodes = self.query(sqlx::AssertSqlSafe(format!(
            "SELECT patient_id, referred_at, opened_at FROM episodes WHERE service_id = $1{range} \
             ORDER BY patient_id, opened_at"
        )))
        .bind(&svc)
        .bind(&first)
        .bind(&last)
        .fetch_all()
        .await?;
        for r in &episodes {
            if let Some(&i) = index.get(&r.try_get::<String>("patient_id")?) {
                let referred = from_millis(r.try_get("referred_at")?);
                out[i].episode = Some((referred, from_millis(r.try_get("opened_at")?)));
            }
        }
        let responses = self.query(sqlx::AssertSqlSafe(format!(
            "SELECT patient_id, instrument_id, submitted_at, total, answers FROM measure_responses \
             WHERE service_id = $1{range} ORDER BY patient_id, submitted_at"
        )))
        .bind(&svc)
        .bind(&first)
        .bind(&last)
        .fetch_all()
        .await?;
        let mut latest: Vec<(usize, String, String)> = Vec::new();
        for r in &responses {
            let Some(&i) = index.get(&r.try_get::<String>("patient_id")?) else {
                continue;
            };
            let instrument: String = r.try_get("instrument_id")?;
            let answers: String = r.try_get("answers")?;
            match latest
                .iter_mut()
                .rev()
                .take_while(|(j, _, _)| *j == i)
                .find(|(_, inst, _)| *inst == instrument)
            {
                Some(l) => l.2 = answers,
                None => latest.push((i, instrument.clone(), answers)),
            }
            out[i].scores.push(ScoreRow {
                instrument_id: instrument,
                submitted_at: from_millis(r.try_get("submitted_at")?),
                total: r.try_get("total")?,
            });
        }
        for (i, instrument, answers) in latest {
            let answers = serde_json::from_str(&answers)
                .map_err(|_| StoreError::corrupt(format!("answers {answers:?}")))?;
            out[i].latest_answers.push((instrument, answers));
        }
        let check_ins = self
            .query(sqlx::AssertSqlSafe(format!(
                "SELECT patient_id, checked_in_at, mood, note FROM check_ins \
             WHERE service_id = $1{range} ORDER BY patient_id, checked_in_at"
            )))
            .bind(&svc)
            .bind(&first)
            .bind(&last)
            .fetch_all()
            .await?;
        for r in &check_ins {
            if let Some(&i) = index.get(&r.try_get::<String>("patient_id")?) {
                let mood: i64 = r.try_get("mood")?;
                out[i].check_ins.push((
                    from_millis(r.try_get("checked_in_at")?),
                    u8::try_from(mood.clamp(0, 10)).unwrap_or(0),
                    r.try_get("note")?,
                ));
            }
        }
        Ok(out)
    }
}
