//! Episodes of care: opened when triage accepts a referral, the waiting
//! list, treatment contacts (the referral-to-treatment clock) and discharge.

use crate::audit::records::columns;
use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::ids::{EpisodeId, ReferralId};
use bothy_domain::outcomes::{FLAG_COUNT, OutcomeFlags, ProblemDescriptor};
use bothy_domain::referral::rtt::CompletedWaits;
use bothy_domain::referral::{Episode, Step};
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{PatientId, ServiceId};

const EPISODE_COLUMNS: &str = "id, patient_id, service_id, referral_id, step, practitioner_id, problem_descriptor, \
     referred_at, opened_at, first_treatment_at, treatment_appointments, discharged_at, discharge_reason, outcome";

fn episode(r: &Row) -> Result<Episode, StoreError> {
    let step: String = r.try_get("step")?;
    let descriptor: String = r.try_get("problem_descriptor")?;
    let outcome = r
        .try_get::<Option<String>>("outcome")?
        .map(|json| {
            serde_json::from_str(&json).map_err(|_| StoreError::corrupt("an episode's outcome"))
        })
        .transpose()?;
    Ok(Episode {
        id: parse(&r.try_get::<String>("id")?, "episode id")?,
        patient_id: parse(&r.try_get::<String>("patient_id")?, "patient id")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        referral_id: parse(&r.try_get::<String>("referral_id")?, "referral id")?,
        step: Step::parse(&step).ok_or_else(|| StoreError::corrupt(format!("step {step:?}")))?,
        practitioner_id: parse(&r.try_get::<String>("practitioner_id")?, "staff id")?,
        problem_descriptor: ProblemDescriptor::parse(&descriptor)
            .ok_or_else(|| StoreError::corrupt(format!("problem descriptor {descriptor:?}")))?,
        referred_at: from_millis(r.try_get("referred_at")?),
        opened_at: from_millis(r.try_get("opened_at")?),
        first_treatment_at: r
            .try_get::<Option<i64>>("first_treatment_at")?
            .map(from_millis),
        treatment_appointments: u32::try_from(r.try_get::<i64>("treatment_appointments")?)
            .unwrap_or(0),
        discharged_at: r.try_get::<Option<i64>>("discharged_at")?.map(from_millis),
        discharge_reason: r.try_get("discharge_reason")?,
        outcome,
    })
}

impl Tx {
    /// Opens an episode. A second episode for the same referral is refused
    /// by the unique index on `referral_id` (`StoreError::Constraint`).
    pub async fn insert_episode(&mut self, e: &Episode) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO episodes (id, patient_id, service_id, referral_id, step, practitioner_id, problem_descriptor, \
             referred_at, opened_at, first_treatment_at, treatment_appointments) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {}",
            columns(RecordKind::Episode)
        );
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(e.id.to_string())
            .bind(e.patient_id.to_string())
            .bind(e.service_id.to_string())
            .bind(e.referral_id.to_string())
            .bind(e.step.as_str())
            .bind(e.practitioner_id.to_string())
            .bind(e.problem_descriptor.as_str())
            .bind(to_millis(e.referred_at))
            .bind(to_millis(e.opened_at))
            .bind(e.first_treatment_at.map(to_millis))
            .bind(i64::from(e.treatment_appointments))
            .fetch_one()
            .await?;
        self.wrote(RecordKind::Episode, &e.id.to_string(), &row)
    }

    /// The episode a referral opened, if it was accepted (one at most: a
    /// unique index on `referral_id`).
    pub async fn episode_for_referral(
        &mut self,
        referral: ReferralId,
    ) -> Result<Option<Episode>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {EPISODE_COLUMNS} FROM episodes WHERE referral_id = $1 AND duplicate_of IS NULL"
        ));
        let row = self
            .query(sql)
            .bind(referral.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(episode).transpose()
    }

    pub async fn episode(&mut self, id: EpisodeId) -> Result<Option<Episode>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {EPISODE_COLUMNS} FROM episodes WHERE id = $1"
        ));
        let row = self
            .query(sql)
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(episode).transpose()
    }

    /// The patient's open (not discharged) episode, if any.
    pub async fn open_episode(
        &mut self,
        patient: PatientId,
    ) -> Result<Option<Episode>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {EPISODE_COLUMNS} FROM episodes WHERE patient_id = $1 AND discharged_at IS NULL \
             ORDER BY opened_at DESC LIMIT 1"
        ));
        let row = self
            .query(sql)
            .bind(patient.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(episode).transpose()
    }

    /// The id of the patient's open episode, if any: what a submission
    /// belongs to.
    pub async fn open_episode_id(
        &mut self,
        patient: PatientId,
    ) -> Result<Option<EpisodeId>, StoreError> {
        let row = self
            .query(
                "SELECT id FROM episodes WHERE patient_id = $1 AND discharged_at IS NULL \
                 ORDER BY opened_at DESC LIMIT 1",
            )
            .bind(patient.to_string())
            .fetch_optional()
            .await?;
        row.map(|r| parse(&r.try_get::<String>("id")?, "episode id"))
            .transpose()
    }

    /// Open episodes whose treatment has not started: the waiting list, longest first.
    pub async fn waiting_episodes(
        &mut self,
        service: ServiceId,
        limit: i64,
    ) -> Result<Vec<Episode>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {EPISODE_COLUMNS} FROM episodes WHERE service_id = $1 AND first_treatment_at IS NULL \
             AND discharged_at IS NULL ORDER BY referred_at ASC, id LIMIT {limit}"
        ));
        let rows = self
            .query(sql)
            .bind(service.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(episode).collect()
    }

    /// Waiting episodes in every service, oldest referral first, after `after_id` (for paging).
    pub async fn all_waiting_episodes(
        &mut self,
        after_id: &str,
        limit: i64,
    ) -> Result<Vec<Episode>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {EPISODE_COLUMNS} FROM episodes WHERE first_treatment_at IS NULL AND discharged_at IS NULL \
             AND id > $1 ORDER BY id LIMIT $2"
        ));
        let rows = self
            .query(sql)
            .bind(after_id)
            .bind(limit)
            .fetch_all()
            .await?;
        rows.iter().map(episode).collect()
    }

    /// Completed waits (referred, first treatment) that stopped on or after
    /// `since`, counted by whole days waited (`CompletedWaits::from_days`):
    /// a few hundred rows for a year however many people, read along
    /// `episodes_waiting` (migration 41), which holds both times.
    pub async fn completed_waits(
        &mut self,
        service: ServiceId,
        since: Timestamp,
    ) -> Result<CompletedWaits, StoreError> {
        // Whole seconds first, as the domain's `breaches` counts them;
        // integer division rounds toward zero on both databases.
        let rows = self
            .query(
                "SELECT secs / 86400 AS days, COUNT(*) AS waits, \
                 SUM(CASE WHEN secs % 86400 = 0 THEN 1 ELSE 0 END) AS exact \
                 FROM (SELECT first_treatment_at / 1000 - referred_at / 1000 AS secs \
                 FROM episodes WHERE service_id = $1 AND first_treatment_at >= $2) w \
                 GROUP BY secs / 86400",
            )
            .bind(service.to_string())
            .bind(to_millis(since))
            .fetch_all()
            .await?;
        let groups = rows
            .iter()
            .map(|r| {
                let count = |name| {
                    r.try_get::<i64>(name)
                        .map(|n| u64::try_from(n).unwrap_or(0))
                };
                Ok((r.try_get::<i64>("days")?, count("waits")?, count("exact")?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(CompletedWaits::from_days(groups))
    }

    /// Records a treatment contact; the first one stops the RTT clock.
    pub async fn record_treatment_contact(
        &mut self,
        id: EpisodeId,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE episodes SET treatment_appointments = treatment_appointments + 1, \
             first_treatment_at = COALESCE(first_treatment_at, $2) WHERE id = $1 AND discharged_at IS NULL \
             RETURNING {}",
            columns(RecordKind::Episode)
        );
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .bind(to_millis(at))
            .fetch_optional()
            .await?;
        self.wrote_optional(RecordKind::Episode, &id.to_string(), row.as_ref())
    }

    /// Ends an episode with its outcome: the classification (JSON) and what
    /// reports count of it (`flags`, classified by `rules`). False if it
    /// had already ended.
    pub async fn discharge_episode(
        &mut self,
        id: EpisodeId,
        at: Timestamp,
        reason: &str,
        outcome_json: &str,
        (flags, rules): (OutcomeFlags, &str),
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE episodes SET discharged_at = $2, discharge_reason = $3, outcome = $4, \
             outcome_flags = $5, outcome_rules = $6 \
             WHERE id = $1 AND discharged_at IS NULL RETURNING {}",
            columns(RecordKind::Episode)
        );
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .bind(to_millis(at))
            .bind(reason)
            .bind(outcome_json)
            .bind(flags.0)
            .bind(rules)
            .fetch_optional()
            .await?;
        self.wrote_optional(RecordKind::Episode, &id.to_string(), row.as_ref())
    }

    /// Keeps what reports count of a discharged episode classified again
    /// (by a report or a rebuild): derived data, not audited.
    pub async fn set_outcome_flags(
        &mut self,
        id: &str,
        flags: OutcomeFlags,
        rules: &str,
    ) -> Result<(), StoreError> {
        self.query("UPDATE episodes SET outcome_flags = $2, outcome_rules = $3 WHERE id = $1")
            .bind(id)
            .bind(flags.0)
            .bind(rules)
            .execute()
            .await?;
        Ok(())
    }

    /// The service's episodes discharged in [from, to) whose flags were set
    /// by `rules`: how many, and how many have each flag.
    pub async fn outcome_counts(
        &mut self,
        service: ServiceId,
        (from, to): (Timestamp, Timestamp),
        rules: &str,
    ) -> Result<(u64, [u64; FLAG_COUNT]), StoreError> {
        let bits: Vec<String> = (0..FLAG_COUNT)
            .map(|i| format!(", COALESCE(SUM((outcome_flags >> {i}) & 1), 0) AS b{i}"))
            .collect();
        let sql = format!(
            "SELECT COUNT(*) AS n{} FROM episodes WHERE service_id = $1 \
             AND discharged_at >= $2 AND discharged_at < $3 AND outcome_rules = $4",
            bits.concat()
        );
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(service.to_string())
            .bind(to_millis(from))
            .bind(to_millis(to))
            .bind(rules)
            .fetch_one()
            .await?;
        let count = |name: &str| -> Result<u64, StoreError> {
            Ok(u64::try_from(row.try_get::<i64>(name)?).unwrap_or(0))
        };
        let mut counts = [0; FLAG_COUNT];
        for (i, c) in counts.iter_mut().enumerate() {
            *c = count(&format!("b{i}"))?;
        }
        Ok((count("n")?, counts))
    }
}
