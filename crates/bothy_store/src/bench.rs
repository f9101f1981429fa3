//! Reads for `bothy bench`'s service-wide workloads (outcome classification
//! and detector re-evaluation), which read a whole service in a few queries
//! rather than one patient at a time. The benchmark's raw baselines are not
//! here: they are the benchmark's own SQL, in `bothy_bench`.

use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{PatientId, ServiceId};

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

impl Tx {
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
