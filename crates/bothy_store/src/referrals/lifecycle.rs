//! Referrals over time: the risk found at referral that follows a person
//! into treatment, and self-referral drafts never sent, deleted when their
//! resume links expire.

use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::PatientId;
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::ids::ReferralId;
use bothy_domain::time::{Timestamp, to_millis};

/// Where the risk found at referral is: a person's open episode whose
/// referral had a risk answer or risky words (`e`, `r`). Every read of it
/// (a list of people, a caseload's figures) goes through this one clause.
pub(crate) const RISK_AT_REFERRAL: &str = "FROM episodes e JOIN referrals r ON r.id = e.referral_id \
     WHERE e.discharged_at IS NULL AND r.risk <> 0";

impl Tx {
    /// Which of these patients came in by a referral with a risk answer or
    /// risky words, in an episode still open: the risk found at referral
    /// follows the person onto the waiting list and the caseload. Each with
    /// the referral, whose answers and words staff who triage may read.
    pub async fn risk_at_referral(
        &mut self,
        patients: &[PatientId],
    ) -> Result<std::collections::HashMap<PatientId, ReferralId>, StoreError> {
        if patients.is_empty() {
            return Ok(Default::default());
        }
        let sql = format!(
            "SELECT e.patient_id, r.id AS referral_id {RISK_AT_REFERRAL} \
             AND e.patient_id IN ({{ids}})"
        );
        self.query_in(&sql, patients)
            .fetch_all()
            .await?
            .iter()
            .map(|r| {
                Ok((
                    parse(&r.try_get::<String>("patient_id")?, "patient id")?,
                    parse(&r.try_get::<String>("referral_id")?, "referral id")?,
                ))
            })
            .collect()
    }
}

impl Tx {
    /// Deletes self-referral drafts started before `before` and never sent:
    /// what someone typed and abandoned is not kept past its link's life,
    /// and a flood of drafts cannot fill the database. A draft with an alert
    /// (a risk answer or risky words) is a clinical record and stays.
    /// Returns the drafts deleted, each for an audit event of its own.
    pub async fn delete_expired_drafts(
        &mut self,
        before: Timestamp,
    ) -> Result<Vec<ReferralId>, StoreError> {
        let rows = self
            .query(
                "DELETE FROM referrals WHERE status = 'draft' AND created_at < $1 \
                 AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.referral_id = referrals.id) \
                 RETURNING id",
            )
            .bind(to_millis(before))
            .fetch_all()
            .await?;
        let mut deleted = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.try_get("id")?;
            self.deleted(RecordKind::Referral, &id);
            deleted.push(parse(&id, "referral id")?);
        }
        Ok(deleted)
    }
}

impl Tx {
    /// Self-referral drafts not sent (yet): what the public form holds.
    pub async fn count_drafts(&mut self) -> Result<i64, StoreError> {
        let row = self
            .query("SELECT COUNT(*) AS n FROM referrals WHERE status = 'draft'")
            .fetch_one()
            .await?;
        row.try_get("n")
    }
}
