//! What the monitoring detectors read beyond single records: engagement of
//! everyone in an open episode, finished episodes' score trajectories, and
//! each service's expected trajectories.

use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{PatientId, ServiceId, StaffId};

/// One person in an open episode and their latest activity.
#[derive(Debug, Clone, PartialEq)]
pub struct EngagementRow {
    pub patient_id: PatientId,
    pub service_id: ServiceId,
    pub practitioner_id: StaffId,
    /// When the episode opened: nobody is disengaged before that.
    pub since: Timestamp,
    pub last_check_in: Option<Timestamp>,
    pub last_measure: Option<Timestamp>,
}

/// A finished episode's scores on one instrument, oldest first, and the
/// referral's screening answers for it (JSON) where the referral form asks
/// for that instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedEpisode {
    pub screening_answers: Option<String>,
    pub totals: Vec<f64>,
}

/// The instruments a referral form records, by column.
fn screening_column(instrument: &str) -> Option<&'static str> {
    match instrument {
        "phq9" => Some("phq9"),
        "gad7" => Some("gad7"),
        _ => None,
    }
}

impl Tx {
    /// A page of people in open episodes, by patient id after `after`, with
    /// their last check-in and last completed measure.
    pub async fn engagement_page(
        &mut self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<EngagementRow>, StoreError> {
        let rows = self.query(
            "SELECT e.patient_id, e.service_id, e.practitioner_id, e.opened_at, \
             (SELECT MAX(c.recorded_at) FROM check_ins c WHERE c.patient_id = e.patient_id) AS last_check_in, \
             (SELECT MAX(m.submitted_at) FROM measure_responses m WHERE m.patient_id = e.patient_id) AS last_measure \
             FROM episodes e WHERE e.discharged_at IS NULL AND e.patient_id > $1 \
             ORDER BY e.patient_id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all()
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EngagementRow {
                    patient_id: parse(&r.try_get::<String>("patient_id")?, "patient id")?,
                    service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
                    practitioner_id: parse(&r.try_get::<String>("practitioner_id")?, "staff id")?,
                    since: from_millis(r.try_get("opened_at")?),
                    last_check_in: r.try_get::<Option<i64>>("last_check_in")?.map(from_millis),
                    last_measure: r.try_get::<Option<i64>>("last_measure")?.map(from_millis),
                })
            })
            .collect()
    }

    /// The service's finished (discharged) episodes' scores on `instrument`
    /// between referral and discharge, at most `limit` episodes, newest
    /// discharges first.
    pub async fn finished_episodes(
        &mut self,
        service: ServiceId,
        instrument: &str,
        limit: i64,
    ) -> Result<Vec<FinishedEpisode>, StoreError> {
        let screening =
            screening_column(instrument).map_or("NULL".to_owned(), |c| format!("r.{c}"));
        let sql = format!(
            "SELECT e.id, {screening} AS screening, m.total FROM episodes e \
             JOIN referrals r ON r.id = e.referral_id \
             LEFT JOIN measure_responses m ON m.patient_id = e.patient_id AND m.instrument_id = $2 \
                 AND m.submitted_at >= e.referred_at AND m.submitted_at <= e.discharged_at \
             WHERE e.id IN (SELECT id FROM episodes WHERE service_id = $1 AND discharged_at IS NOT NULL \
                 ORDER BY discharged_at DESC LIMIT $3) \
             ORDER BY e.id, m.submitted_at"
        );
        let rows = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(service.to_string())
            .bind(instrument)
            .bind(limit)
            .fetch_all()
            .await?;
        let mut episodes: Vec<(String, FinishedEpisode)> = Vec::new();
        for r in &rows {
            let id: String = r.try_get("id")?;
            let total: Option<f64> = r.try_get("total")?;
            if episodes.last().is_none_or(|(last, _)| *last != id) {
                let screening_answers = r.try_get("screening")?;
                episodes.push((
                    id,
                    FinishedEpisode {
                        screening_answers,
                        totals: Vec::new(),
                    },
                ));
            }
            if let (Some(total), Some((_, ep))) = (total, episodes.last_mut()) {
                ep.totals.push(total);
            }
        }
        Ok(episodes.into_iter().map(|(_, e)| e).collect())
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
