//! What the monitoring detectors read beyond single records: the summaries
//! of everyone in an open episode, finished episodes' score trajectories, and
//! each service's expected trajectories.

use crate::services::parse;
use crate::summaries::{mood_summary, score_summary};
use crate::{StoreError, Tx};
use bothy_domain::summaries::{MoodSummary, ScoreSummary};
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{PatientId, ServiceId};

/// One person in an open episode, with what the monitoring sweep reads:
/// their summaries (`bothy_domain::summaries`).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    pub patient_id: PatientId,
    pub service_id: ServiceId,
    /// When the episode opened: nobody is disengaged before that.
    pub opened_at: Timestamp,
    /// The open episode's summary for each instrument.
    pub scores: Vec<ScoreSummary>,
    /// The newest response in the episode or outside any episode.
    pub last_measure: Option<Timestamp>,
    pub moods: Option<MoodSummary>,
}

/// A finished episode's scores on one instrument, oldest first, and the
/// referral's screening answers for it where the referral asked it.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedEpisode {
    pub screening_answers: Option<Vec<Option<i32>>>,
    pub totals: Vec<f64>,
}

impl Tx {
    /// A page of people in open episodes, by patient id after `after`,
    /// with their summaries. The page comes from the covering index of open
    /// episodes (migration 21) and the summaries by the page's patient ids,
    /// a chunk at a time, so each page reads only its own rows by index: a
    /// join here became a scan of every summary for every page, which grew
    /// with the square of the service.
    pub async fn sweep_page(
        &mut self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<SweepRow>, StoreError> {
        let rows = self
            .query(
                "SELECT id, patient_id, service_id, opened_at FROM episodes \
                 WHERE discharged_at IS NULL AND patient_id > $1 ORDER BY patient_id LIMIT $2",
            )
            .bind(after)
            .bind(limit)
            .fetch_all()
            .await?;
        let mut page: Vec<SweepRow> = Vec::with_capacity(rows.len());
        let mut episodes: Vec<String> = Vec::with_capacity(rows.len());
        let mut ids: Vec<String> = Vec::with_capacity(rows.len());
        for r in &rows {
            let patient: String = r.try_get("patient_id")?;
            // One open episode per person (a unique index); should a second
            // appear, the person is judged once.
            if ids.last() == Some(&patient) {
                continue;
            }
            page.push(SweepRow {
                patient_id: parse(&patient, "patient id")?,
                service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
                opened_at: from_millis(r.try_get("opened_at")?),
                scores: Vec::new(),
                last_measure: None,
                moods: None,
            });
            episodes.push(r.try_get("id")?);
            ids.push(patient);
        }
        // By id, not by searching `ids`: the database's collation orders
        // text its own way.
        let index: std::collections::HashMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), i))
            .collect();
        let at = |id: &str| index.get(id).copied();
        for chunk in ids.chunks(500) {
            let sql = "SELECT patient_id, episode_key, instrument_id, screening_at, screening_total, \
                 first_at, first_total, latest_at, latest_total, responses \
                 FROM measure_summaries WHERE patient_id IN ({ids})";
            for r in &self.query_in(sql, chunk).fetch_all().await? {
                let Some(i) = at(&r.try_get::<String>("patient_id")?) else {
                    continue;
                };
                let key: String = r.try_get("episode_key")?;
                // This episode's summaries, and the responses outside any.
                if key != episodes[i] && !key.is_empty() {
                    continue;
                }
                let summary = score_summary(r)?;
                let row = &mut page[i];
                if let Some((at, _)) = summary.latest {
                    row.last_measure = row.last_measure.max(Some(at));
                }
                if key == episodes[i] {
                    row.scores.push(summary);
                }
            }
            let sql = "SELECT patient_id, moods, check_ins, last_recorded_at, last_checked_in_at \
                 FROM mood_summaries WHERE patient_id IN ({ids})";
            for r in &self.query_in(sql, chunk).fetch_all().await? {
                if let Some(i) = at(&r.try_get::<String>("patient_id")?) {
                    page[i].moods = Some(mood_summary(r)?);
                }
            }
        }
        // Each person's summaries by instrument: judged in a fixed order.
        for row in &mut page {
            row.scores
                .sort_by(|a, b| a.instrument_id.cmp(&b.instrument_id));
        }
        Ok(page)
    }

    /// The service's finished (discharged) episodes' scores on `instrument`
    /// between referral and discharge, at most `limit` episodes, newest
    /// discharges first. The referrals' screening answers and the scores are
    /// two reads: joined, each of up to 45,000 score rows carried its
    /// referral's screening text, and a SQLite server's resident memory
    /// after the daily computation was 74 MB where it is now 67 MB (a
    /// 100,000-patient service; the allocator keeps what a read used).
    pub async fn finished_episodes(
        &mut self,
        service: ServiceId,
        instrument: &str,
        limit: i64,
    ) -> Result<Vec<FinishedEpisode>, StoreError> {
        let screenings = self
            .query(
                "SELECT e.id, r.screening, r.phq9, r.gad7 FROM episodes e \
                 JOIN referrals r ON r.id = e.referral_id \
                 WHERE e.id IN (SELECT id FROM episodes WHERE service_id = $1 \
                     AND discharged_at IS NOT NULL ORDER BY discharged_at DESC LIMIT $2) \
                 ORDER BY e.id",
            )
            .bind(service.to_string())
            .bind(limit)
            .fetch_all()
            .await?;
        // The scores of exactly those episodes, however many were discharged
        // since the first read.
        let ids = screenings
            .iter()
            .map(|r| r.try_get::<String>("id"))
            .collect::<Result<Vec<_>, _>>()?;
        let totals = self
            .query_in(
                "SELECT e.id, m.total FROM episodes e \
                 JOIN measure_responses m ON m.patient_id = e.patient_id AND m.instrument_id = $2 \
                 AND m.submitted_at >= e.referred_at AND m.submitted_at <= e.discharged_at \
                 WHERE e.id IN ({ids}) ORDER BY m.submitted_at",
                &ids,
            )
            .bind(instrument)
            .fetch_all()
            .await?;
        // The scores in time order, by episode.
        let mut by_episode: std::collections::HashMap<String, Vec<f64>> =
            std::collections::HashMap::new();
        for t in &totals {
            by_episode
                .entry(t.try_get("id")?)
                .or_default()
                .push(t.try_get("total")?);
        }
        let mut episodes = Vec::with_capacity(screenings.len());
        for (r, id) in screenings.iter().zip(&ids) {
            episodes.push(FinishedEpisode {
                screening_answers: crate::referrals::screening(r)?.remove(instrument),
                totals: by_episode.remove(id).unwrap_or_default(),
            });
        }
        Ok(episodes)
    }

    /// Stores a service's expected trajectories for an instrument (JSON),
    /// replacing the previous ones.
    pub async fn put_expected_trajectories(
        &mut self,
        service: ServiceId,
        instrument: &str,
        json: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO expected_trajectories (service_id, instrument, trajectories, computed_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (service_id, instrument) DO UPDATE SET \
             trajectories = excluded.trajectories, computed_at = excluded.computed_at",
        )
        .bind(service.to_string())
        .bind(instrument)
        .bind(json)
        .bind(to_millis(at))
        .execute()
        .await?;
        Ok(())
    }

    /// A service's expected trajectories for an instrument (JSON) and when
    /// they were computed.
    pub async fn expected_trajectories(
        &mut self,
        service: ServiceId,
        instrument: &str,
    ) -> Result<Option<(String, Timestamp)>, StoreError> {
        let row = self
            .query(
                "SELECT trajectories, computed_at FROM expected_trajectories \
             WHERE service_id = $1 AND instrument = $2",
            )
            .bind(service.to_string())
            .bind(instrument)
            .fetch_optional()
            .await?;
        row.map(|r| {
            Ok((
                r.try_get("trajectories")?,
                from_millis(r.try_get("computed_at")?),
            ))
        })
        .transpose()
    }
}

/// A finished episode with its summaries, for outcome reports.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedEpisodeSummary {
    pub episode_id: String,
    pub problem_descriptor: String,
    pub treatment_appointments: i64,
    pub discharged_at: Timestamp,
    pub scores: Vec<ScoreSummary>,
}

impl Tx {
    /// Whether any of the service's episodes carry outcome flags set by
    /// rules other than `rules` (after a change of an instrument's rules):
    /// two probes of migration 37's index, empty in the usual case.
    pub async fn outcome_rules_other_than(
        &mut self,
        service: ServiceId,
        rules: &str,
    ) -> Result<bool, StoreError> {
        let row = self
            .query(
                "SELECT CAST(CASE WHEN EXISTS (SELECT 1 FROM episodes WHERE service_id = $1 AND outcome_rules < $2) \
                 OR EXISTS (SELECT 1 FROM episodes WHERE service_id = $1 AND outcome_rules > $2) \
                 THEN 1 ELSE 0 END AS BIGINT) AS other",
            )
            .bind(service.to_string())
            .bind(rules)
            .fetch_one()
            .await?;
        Ok(row.try_get::<i64>("other")? == 1)
    }

    /// A page of the service's episodes discharged in [from, to), in
    /// discharge order after `after` (discharge time and episode id), each
    /// with its summaries; only those whose flags were not set by the rules
    /// `not_classified_by` (the rest are counted by `outcome_counts`).
    ///
    /// `others_flagged` says whether any of the service's episodes carry
    /// flags of other rules (`outcome_rules_other_than`); when none do, only
    /// the episodes never classified are read, along migration 37's partial
    /// index, rather than every episode of the period checked for its rules.
    pub async fn finished_episode_page(
        &mut self,
        service: ServiceId,
        (from, to): (Timestamp, Timestamp),
        after: Option<(Timestamp, &str)>,
        limit: i64,
        not_classified_by: &str,
        others_flagged: bool,
    ) -> Result<Vec<FinishedEpisodeSummary>, StoreError> {
        let (after_at, after_id) = match after {
            Some((at, id)) => (to_millis(at), id),
            None => (to_millis(from) - 1, ""),
        };
        let unclassified = if others_flagged {
            "(outcome_rules IS NULL OR outcome_rules <> $7)"
        } else {
            "outcome_rules IS NULL"
        };
        let mut q = self
            .query(sqlx::AssertSqlSafe(format!(
                "SELECT e.id, e.problem_descriptor, e.treatment_appointments, e.discharged_at, \
                 s.instrument_id, s.screening_at, s.screening_total, s.first_at, s.first_total, \
                 s.latest_at, s.latest_total, s.responses \
                 FROM (SELECT id, patient_id, problem_descriptor, treatment_appointments, discharged_at \
                       FROM episodes WHERE service_id = $1 AND discharged_at >= $2 AND discharged_at < $3 \
                       AND (discharged_at > $4 OR (discharged_at = $4 AND id > $5)) \
                       AND {unclassified} \
                       ORDER BY discharged_at, id LIMIT $6) e \
                 LEFT JOIN measure_summaries s ON s.patient_id = e.patient_id AND s.episode_key = e.id \
                 ORDER BY e.discharged_at, e.id",
            )))
            .bind(service.to_string())
            .bind(to_millis(from))
            .bind(to_millis(to))
            .bind(after_at)
            .bind(after_id)
            .bind(limit);
        if others_flagged {
            q = q.bind(not_classified_by);
        }
        let rows = q.fetch_all().await?;
        let mut page: Vec<FinishedEpisodeSummary> = Vec::new();
        for r in &rows {
            let id: String = r.try_get("id")?;
            if page.last().is_none_or(|e| e.episode_id != id) {
                page.push(FinishedEpisodeSummary {
                    episode_id: id,
                    problem_descriptor: r.try_get("problem_descriptor")?,
                    treatment_appointments: r.try_get("treatment_appointments")?,
                    discharged_at: from_millis(r.try_get("discharged_at")?),
                    scores: Vec::new(),
                });
            }
            if r.try_get::<Option<String>>("instrument_id")?.is_some() {
                let summary = score_summary(r)?;
                page.last_mut().expect("pushed above").scores.push(summary);
            }
        }
        Ok(page)
    }
}
