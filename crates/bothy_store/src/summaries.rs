//! Summaries kept at write time (`bothy_domain::summaries`): each is updated
//! by one upsert in the transaction that stores what it summarises, and the
//! upsert returns the summary as it now stands, so the detectors that follow
//! read nothing more.

use crate::db::Row;
use crate::{StoreError, Tx};
use bothy_domain::PatientId;
use bothy_domain::summaries::{MOOD_WINDOW, MoodSummary, ScoreSummary, mood_char};
use bothy_domain::time::{Timestamp, from_millis, to_millis};

/// The key of responses made outside any episode of care.
pub const NO_EPISODE: &str = "";

const SCORE_COLUMNS: &str = "instrument_id, screening_at, screening_total, first_at, first_total, \
     latest_at, latest_total, responses";

fn point(r: &Row, at: &str, total: &str) -> Result<Option<(Timestamp, f64)>, StoreError> {
    let at: Option<i64> = r.try_get(at)?;
    let total: Option<f64> = r.try_get(total)?;
    Ok(at.zip(total).map(|(a, t)| (from_millis(a), t)))
}

pub(crate) fn score_summary(r: &Row) -> Result<ScoreSummary, StoreError> {
    Ok(ScoreSummary {
        instrument_id: r.try_get("instrument_id")?,
        screening: point(r, "screening_at", "screening_total")?,
        first: point(r, "first_at", "first_total")?,
        latest: point(r, "latest_at", "latest_total")?,
        responses: u32::try_from(r.try_get::<i64>("responses")?).unwrap_or(0),
    })
}

pub(crate) fn mood_summary(r: &Row) -> Result<MoodSummary, StoreError> {
    let text: String = r.try_get("moods")?;
    Ok(MoodSummary {
        moods: MoodSummary::decode_moods(&text)
            .ok_or_else(|| StoreError::corrupt(format!("moods {text:?}")))?,
        check_ins: u32::try_from(r.try_get::<i64>("check_ins")?).unwrap_or(0),
        last_recorded_at: Some(from_millis(r.try_get("last_recorded_at")?)),
        last_checked_in_at: Some(from_millis(r.try_get("last_checked_in_at")?)),
    })
}

/// Which of two points an upsert keeps: the new one when the stored one is
/// missing, or when `$new` compares to it as `op` says (`<` for the first,
/// `>=` for the latest, as `ScoreSummary::add`).
macro_rules! keep {
    ($col:literal, $at:literal, $op:literal) => {
        concat!(
            $col,
            " = CASE WHEN measure_summaries.",
            $at,
            " IS NULL OR excluded.",
            $at,
            " ",
            $op,
            " measure_summaries.",
            $at,
            " THEN excluded.",
            $col,
            " ELSE measure_summaries.",
            $col,
            " END"
        )
    };
}

impl Tx {
    /// Adds a response to its episode's summary for the instrument and
    /// returns the summary as it now stands.
    pub async fn add_to_score_summary(
        &mut self,
        patient: PatientId,
        episode_key: &str,
        instrument: &str,
        at: Timestamp,
        total: f64,
    ) -> Result<ScoreSummary, StoreError> {
        let sql = concat!(
            "INSERT INTO measure_summaries (patient_id, episode_key, instrument_id, first_at, first_total, \
             latest_at, latest_total, responses) VALUES ($1, $2, $3, $4, $5, $4, $5, 1) \
             ON CONFLICT (patient_id, episode_key, instrument_id) DO UPDATE SET ",
            keep!("first_total", "first_at", "<"),
            ", ",
            keep!("first_at", "first_at", "<"),
            ", ",
            keep!("latest_total", "latest_at", ">="),
            ", ",
            keep!("latest_at", "latest_at", ">="),
            ", responses = measure_summaries.responses + 1 \
             RETURNING instrument_id, screening_at, screening_total, first_at, first_total, \
             latest_at, latest_total, responses"
        );
        let row = self
            .query(sql)
            .bind(patient.to_string())
            .bind(episode_key)
            .bind(instrument)
            .bind(to_millis(at))
            .bind(total)
            .fetch_one()
            .await?;
        score_summary(&row)
    }

    /// Records the referral's screening score as the episode's baseline for
    /// the instrument.
    pub async fn set_screening_score(
        &mut self,
        patient: PatientId,
        episode_key: &str,
        instrument: &str,
        at: Timestamp,
        total: f64,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO measure_summaries (patient_id, episode_key, instrument_id, screening_at, \
             screening_total, responses) VALUES ($1, $2, $3, $4, $5, 0) \
             ON CONFLICT (patient_id, episode_key, instrument_id) DO UPDATE SET \
             screening_at = excluded.screening_at, screening_total = excluded.screening_total",
        )
        .bind(patient.to_string())
        .bind(episode_key)
        .bind(instrument)
        .bind(to_millis(at))
        .bind(total)
        .execute()
        .await?;
        Ok(())
    }

    /// Every instrument's summary for one episode (or [`NO_EPISODE`]).
    pub async fn score_summaries(
        &mut self,
        patient: PatientId,
        episode_key: &str,
    ) -> Result<Vec<ScoreSummary>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SCORE_COLUMNS} FROM measure_summaries WHERE patient_id = $1 AND episode_key = $2 \
             ORDER BY instrument_id"
        ));
        self.query(sql)
            .bind(patient.to_string())
            .bind(episode_key)
            .fetch_all()
            .await?
            .iter()
            .map(score_summary)
            .collect()
    }

    /// Adds a check-in's mood to the person's summary and returns it. The
    /// newest `MOOD_WINDOW` moods are kept in the order the check-ins were
    /// stored; a check-in dated before the newest one is put in its place by
    /// [`Tx::rebuild_mood_summary`].
    pub async fn add_to_mood_summary(
        &mut self,
        patient: PatientId,
        mood: u8,
        checked_in_at: Timestamp,
        recorded_at: Timestamp,
    ) -> Result<MoodSummary, StoreError> {
        // Keep the newest WINDOW - 1 characters, then append: written with
        // positive positions only, where SQLite and PostgreSQL agree.
        let keep = MOOD_WINDOW - 1;
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO mood_summaries (patient_id, moods, check_ins, last_recorded_at, last_checked_in_at) \
             VALUES ($1, $2, 1, $3, $4) \
             ON CONFLICT (patient_id) DO UPDATE SET \
             moods = CASE WHEN length(mood_summaries.moods) > {keep} \
                 THEN substr(mood_summaries.moods, length(mood_summaries.moods) - {shift}) \
                 ELSE mood_summaries.moods END || excluded.moods, \
             check_ins = mood_summaries.check_ins + 1, \
             last_recorded_at = excluded.last_recorded_at, \
             last_checked_in_at = CASE WHEN excluded.last_checked_in_at > mood_summaries.last_checked_in_at \
                 THEN excluded.last_checked_in_at ELSE mood_summaries.last_checked_in_at END \
             RETURNING moods, check_ins, last_recorded_at, last_checked_in_at",
            shift = keep - 1
        ));
        let row = self
            .query(sql)
            .bind(patient.to_string())
            .bind(mood_char(mood).to_string())
            .bind(to_millis(recorded_at))
            .bind(to_millis(checked_in_at))
            .fetch_one()
            .await?;
        mood_summary(&row)
    }

    /// Recomputes a person's mood summary from their check-ins, newest by
    /// the time they checked in, and returns it.
    pub async fn rebuild_mood_summary(
        &mut self,
        patient: PatientId,
    ) -> Result<Option<MoodSummary>, StoreError> {
        let window = i64::try_from(MOOD_WINDOW).unwrap_or(i64::MAX);
        let recent = self
            .query(
                "SELECT mood, checked_in_at FROM check_ins WHERE patient_id = $1 \
                 ORDER BY checked_in_at DESC, recorded_at DESC LIMIT $2",
            )
            .bind(patient.to_string())
            .bind(window)
            .fetch_all()
            .await?;
        let totals = self
            .query(
                "SELECT COUNT(*) AS n, MAX(recorded_at) AS last_recorded FROM check_ins WHERE patient_id = $1",
            )
            .bind(patient.to_string())
            .fetch_one()
            .await?;
        let Some(last_recorded) = totals.try_get::<Option<i64>>("last_recorded")? else {
            return Ok(None);
        };
        let mut moods = Vec::with_capacity(recent.len());
        for r in recent.iter().rev() {
            moods.push(u8::try_from(r.try_get::<i64>("mood")?).unwrap_or(0).min(10));
        }
        let newest: i64 = recent[0].try_get("checked_in_at")?;
        let summary = MoodSummary {
            moods,
            check_ins: u32::try_from(totals.try_get::<i64>("n")?).unwrap_or(u32::MAX),
            last_recorded_at: Some(from_millis(last_recorded)),
            last_checked_in_at: Some(from_millis(newest)),
        };
        self.query(
            "INSERT INTO mood_summaries (patient_id, moods, check_ins, last_recorded_at, last_checked_in_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (patient_id) DO UPDATE SET moods = excluded.moods, \
             check_ins = excluded.check_ins, last_recorded_at = excluded.last_recorded_at, \
             last_checked_in_at = excluded.last_checked_in_at",
        )
        .bind(patient.to_string())
        .bind(summary.encode_moods())
        .bind(i64::from(summary.check_ins))
        .bind(last_recorded)
        .bind(newest)
        .execute()
        .await?;
        Ok(Some(summary))
    }

    /// The person's mood summary, if they have checked in.
    pub async fn mood_summary(
        &mut self,
        patient: PatientId,
    ) -> Result<Option<MoodSummary>, StoreError> {
        self.query(
            "SELECT moods, check_ins, last_recorded_at, last_checked_in_at FROM mood_summaries \
             WHERE patient_id = $1",
        )
        .bind(patient.to_string())
        .fetch_optional()
        .await?
        .as_ref()
        .map(mood_summary)
        .transpose()
    }

    /// Whether the data fill `name` has run.
    pub async fn backfill_done(&mut self, name: &str) -> Result<bool, StoreError> {
        Ok(self
            .query("SELECT done_at FROM backfills WHERE name = $1")
            .bind(name)
            .fetch_optional()
            .await?
            .is_some())
    }

    pub async fn mark_backfill_done(
        &mut self,
        name: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO backfills (name, done_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(to_millis(at))
        .execute()
        .await?;
        Ok(())
    }

    /// Fills every response summary from the stored responses, replacing
    /// what is there (screening scores too: set them again afterwards, since
    /// scoring them needs the instruments). Each response belongs to the
    /// newest of the patient's episodes whose referral came before it and
    /// which had not ended by then, or to no episode. Returns the summaries
    /// written.
    pub async fn rebuild_score_summaries(
        &mut self,
        only: Option<&[PatientId]>,
    ) -> Result<u64, StoreError> {
        let (filter, ids) = only_patients(only, "patient_id");
        let delete = format!("DELETE FROM measure_summaries WHERE {filter}");
        self.bind_ids(delete, ids).execute().await?;
        let (filter, ids) = only_patients(only, "m.patient_id");
        let insert = format!(
            "INSERT INTO measure_summaries (patient_id, episode_key, instrument_id, first_at, \
             first_total, latest_at, latest_total, responses) \
             SELECT DISTINCT patient_id, episode_key, instrument_id, \
               FIRST_VALUE(submitted_at) OVER oldest, FIRST_VALUE(total) OVER oldest, \
               FIRST_VALUE(submitted_at) OVER newest, FIRST_VALUE(total) OVER newest, \
               COUNT(*) OVER (PARTITION BY patient_id, episode_key, instrument_id) \
             FROM (SELECT m.patient_id, m.instrument_id, m.submitted_at, m.total, m.id, \
               COALESCE((SELECT e.id FROM episodes e WHERE e.patient_id = m.patient_id \
                 AND e.referred_at <= m.submitted_at \
                 AND (e.discharged_at IS NULL OR m.submitted_at <= e.discharged_at) \
                 ORDER BY e.referred_at DESC LIMIT 1), '') AS episode_key \
               FROM measure_responses m WHERE {filter}) attributed \
             WINDOW oldest AS (PARTITION BY patient_id, episode_key, instrument_id \
                 ORDER BY submitted_at, id), \
               newest AS (PARTITION BY patient_id, episode_key, instrument_id \
                 ORDER BY submitted_at DESC, id DESC)"
        );
        Ok(self.bind_ids(insert, ids).execute().await?.rows_affected())
    }

    /// A statement with `ids` bound first, as `$1`, `$2`, ...
    /// Forgets what reports count of these patients' discharged episodes
    /// (all when `None`), whose summaries are being rebuilt: the next count
    /// classifies them again from the new summaries.
    pub async fn forget_outcome_flags(
        &mut self,
        only: Option<&[PatientId]>,
    ) -> Result<u64, StoreError> {
        let (filter, ids) = only_patients(only, "patient_id");
        let sql = format!(
            "UPDATE episodes SET outcome_flags = NULL, outcome_rules = NULL \
             WHERE {filter} AND outcome_rules IS NOT NULL"
        );
        Ok(self.bind_ids(sql, ids).execute().await?.rows_affected())
    }

    /// A statement with the ids `only_patients` chose bound first, as `$1`.
    fn bind_ids(&mut self, sql: String, ids: Option<&[PatientId]>) -> crate::db::Query<'_> {
        match ids {
            Some(ids) => self.query_in(&sql, ids),
            None => self.query(sqlx::AssertSqlSafe(sql)),
        }
    }
}

/// A condition on `column` for the patients `only` names (all when `None`),
/// and the ids to bind as `$1` if it takes any.
fn only_patients<'a>(
    only: Option<&'a [PatientId]>,
    column: &str,
) -> (String, Option<&'a [PatientId]>) {
    match only {
        None => ("TRUE".to_string(), None),
        Some([]) => ("FALSE".to_string(), None),
        Some(ids) => (format!("{column} IN ({{ids}})"), Some(ids)),
    }
}

/// One episode's referral screening answers, for filling baselines.
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeScreening {
    pub episode_key: String,
    pub patient_id: PatientId,
    pub referred_at: Timestamp,
    /// By instrument id: the referral's answers.
    pub answers: bothy_domain::referral::Screening,
}

impl Tx {
    /// Fills every person's mood summary from their check-ins, replacing
    /// what is there. Returns the summaries written.
    pub async fn rebuild_mood_summaries(
        &mut self,
        only: Option<&[PatientId]>,
    ) -> Result<u64, StoreError> {
        let (filter, ids) = only_patients(only, "patient_id");
        let delete = format!("DELETE FROM mood_summaries WHERE {filter}");
        self.bind_ids(delete, ids).execute().await?;
        // `string_agg` with ORDER BY: PostgreSQL, and SQLite since 3.44.
        let insert = format!(
            "INSERT INTO mood_summaries (patient_id, moods, check_ins, last_recorded_at, last_checked_in_at) \
             SELECT patient_id, \
               string_agg(CASE WHEN mood >= 10 THEN 'a' ELSE CAST(mood AS TEXT) END, '' \
                 ORDER BY checked_in_at, recorded_at), \
               MAX(n), MAX(last_recorded), MAX(checked_in_at) \
             FROM (SELECT patient_id, mood, checked_in_at, recorded_at, \
                 ROW_NUMBER() OVER (PARTITION BY patient_id ORDER BY checked_in_at DESC, recorded_at DESC) AS rn, \
                 COUNT(*) OVER (PARTITION BY patient_id) AS n, \
                 MAX(recorded_at) OVER (PARTITION BY patient_id) AS last_recorded \
               FROM check_ins WHERE {filter}) ranked \
             WHERE rn <= {MOOD_WINDOW} GROUP BY patient_id"
        );
        Ok(self.bind_ids(insert, ids).execute().await?.rows_affected())
    }

    /// A page of episodes whose referral recorded screening answers, by
    /// episode id after `after`.
    pub async fn episode_screenings(
        &mut self,
        after: &str,
        limit: i64,
        only: Option<&[PatientId]>,
    ) -> Result<Vec<EpisodeScreening>, StoreError> {
        let (filter, ids) = only_patients(only, "e.patient_id");
        let sql = format!(
            "SELECT e.id, e.patient_id, e.referred_at, r.screening, r.phq9, r.gad7 FROM episodes e \
             JOIN referrals r ON r.id = e.referral_id \
             WHERE {filter} AND e.id > ${after} \
                 AND (r.screening IS NOT NULL OR r.phq9 IS NOT NULL OR r.gad7 IS NOT NULL) \
             ORDER BY e.id LIMIT ${limit}",
            after = 1 + usize::from(ids.is_some()),
            limit = 2 + usize::from(ids.is_some())
        );
        let rows = self
            .bind_ids(sql, ids)
            .bind(after)
            .bind(limit)
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok(EpisodeScreening {
                    episode_key: r.try_get("id")?,
                    patient_id: crate::services::parse(
                        &r.try_get::<String>("patient_id")?,
                        "patient id",
                    )?,
                    referred_at: from_millis(r.try_get("referred_at")?),
                    answers: crate::referrals::screening(r)?,
                })
            })
            .collect()
    }
}
