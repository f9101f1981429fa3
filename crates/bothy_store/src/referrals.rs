//! Referrals, match verdicts and patient activation links (episodes: `episodes.rs`).

use crate::audit::records::columns;
use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::ids::ReferralId;
use bothy_domain::referral::{
    Channel, Consents, Details, Problem, Referral, Screening, Source, Status,
};
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{ApiClientId, PatientId, ServiceId, StaffId};

mod as_sent;
mod lifecycle;
pub(crate) use lifecycle::RISK_AT_REFERRAL;

pub use as_sent::ReferralSearch;

const REFERRAL_COLUMNS: &str = "id, service_id, status, source, given_name, family_name, date_of_birth, email, phone, \
     preferred_channel, language, accessibility_needs, nhs_number, chi, postcode, gp_practice, problem_text, problems, \
     screening, phq9, gad7, consents, referrer_name, referrer_organisation, referrer_email, risk, received_at, created_at, \
     updated_at, decision_note, decided_by, decided_at, patient_id, urgent";

fn json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|_| StoreError::corrupt(format!("{what} {s:?}")))
}

/// A referral's screening answers from a row holding `screening` and the
/// columns that held PHQ-9 and GAD-7 answers before migration 14, which are
/// read only while `screening` is empty (rows not written since).
pub(crate) fn screening(r: &Row) -> Result<Screening, StoreError> {
    if let Some(s) = r.try_get::<Option<String>>("screening")? {
        return json(&s, "screening");
    }
    let mut out = Screening::new();
    for legacy in ["phq9", "gad7"] {
        if let Some(s) = r.try_get::<Option<String>>(legacy)? {
            out.insert(legacy.to_string(), json(&s, legacy)?);
        }
    }
    Ok(out)
}

fn referral(r: &Row) -> Result<Referral, StoreError> {
    let status: String = r.try_get("status")?;
    let source: String = r.try_get("source")?;
    let problems: Vec<String> = json(&r.try_get::<String>("problems")?, "problems")?;
    Ok(Referral {
        id: parse(&r.try_get::<String>("id")?, "referral id")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        status: Status::parse(&status)
            .ok_or_else(|| StoreError::corrupt(format!("status {status:?}")))?,
        source: Source::parse(&source)
            .ok_or_else(|| StoreError::corrupt(format!("source {source:?}")))?,
        details: Details {
            given_name: r.try_get("given_name")?,
            family_name: r.try_get("family_name")?,
            date_of_birth: r
                .try_get::<Option<String>>("date_of_birth")?
                .map(|d| parse(&d, "date of birth"))
                .transpose()?,
            email: r.try_get("email")?,
            phone: r.try_get("phone")?,
            preferred_channel: r
                .try_get::<Option<String>>("preferred_channel")?
                .and_then(|c| Channel::parse(&c)),
            language: r.try_get("language")?,
            accessibility_needs: r.try_get("accessibility_needs")?,
            nhs_number: r.try_get("nhs_number")?,
            chi: r.try_get("chi")?,
            postcode: r.try_get("postcode")?,
            gp_practice: r.try_get("gp_practice")?,
            problem_text: r.try_get("problem_text")?,
            problems: problems.iter().filter_map(|p| Problem::parse(p)).collect(),
            screening: screening(r)?,
            consents: json::<Consents>(&r.try_get::<String>("consents")?, "consents")?,
            referrer_name: r.try_get("referrer_name")?,
            referrer_organisation: r.try_get("referrer_organisation")?,
            referrer_email: r.try_get("referrer_email")?,
        },
        risk: r.try_get::<i64>("risk")? != 0,
        urgent: r.try_get::<i64>("urgent")? != 0,
        received_at: r.try_get::<Option<i64>>("received_at")?.map(from_millis),
        created_at: from_millis(r.try_get("created_at")?),
        updated_at: from_millis(r.try_get("updated_at")?),
        decision_note: r.try_get("decision_note")?,
        decided_by: r
            .try_get::<Option<String>>("decided_by")?
            .map(|s| parse(&s, "staff id"))
            .transpose()?,
        decided_at: r.try_get::<Option<i64>>("decided_at")?.map(from_millis),
        patient_id: r
            .try_get::<Option<String>>("patient_id")?
            .map(|s| parse(&s, "patient id"))
            .transpose()?,
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// What matching needs to know about an existing patient.
#[derive(Debug, Clone)]
pub struct PatientIdentity {
    pub id: PatientId,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub nhs_number: Option<String>,
    pub chi: Option<String>,
    pub postcode: Option<String>,
}

/// A clinician's verdict on a candidate match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchVerdict {
    pub patient_id: PatientId,
    /// "confirmed" or "rejected".
    pub verdict: String,
}

/// A patient's activation link.
#[derive(Debug, Clone)]
pub struct Activation {
    pub patient_id: PatientId,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
    /// Tries refused because the email address could not be used.
    pub refused_attempts: i64,
}

impl Tx {
    /// Inserts a referral with its details. `resume_token_hash` is set for a
    /// self-referral draft; `submission_key` makes a resent form or API call
    /// create nothing new: false when a referral with the same key exists
    /// (or is being inserted at this moment: the insert waits for it), and
    /// then nothing is written; `api_client` is the system that sent it.
    pub async fn insert_referral(
        &mut self,
        r: &Referral,
        resume_token_hash: Option<&str>,
        submission_key: Option<&str>,
        api_client: Option<ApiClientId>,
    ) -> Result<bool, StoreError> {
        let done = self
            .query(
                "INSERT INTO referrals (id, service_id, status, source, resume_token_hash, created_at, updated_at, \
             submission_key, api_client_id, urgent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (submission_key) DO NOTHING",
            )
            .bind(r.id.to_string())
            .bind(r.service_id.to_string())
            .bind(r.status.as_str())
            .bind(r.source.as_str())
            .bind(resume_token_hash.map(str::to_string))
            .bind(to_millis(r.created_at))
            .bind(to_millis(r.updated_at))
            .bind(submission_key.map(str::to_string))
            .bind(api_client.map(|c| c.to_string()))
            .bind(i64::from(r.urgent))
            .execute()
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.save_referral(r, r.status).await
    }

    /// The API client that sent a referral, if one did.
    pub async fn referral_api_client(
        &mut self,
        id: ReferralId,
    ) -> Result<Option<ApiClientId>, StoreError> {
        let row = self
            .query("SELECT api_client_id FROM referrals WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        match row.map(|r| r.try_get::<Option<String>>("api_client_id")) {
            Some(Ok(Some(c))) => Ok(Some(parse(&c, "API client id")?)),
            Some(Err(e)) => Err(e),
            _ => Ok(None),
        }
    }

    /// Writes a referral's details, status, risk and times if its status is
    /// still `from` (a guarded write): false, and nothing written, if another
    /// request moved it on since it was read.
    pub async fn save_referral(&mut self, r: &Referral, from: Status) -> Result<bool, StoreError> {
        let d = &r.details;
        let problems: Vec<&str> = d.problems.iter().map(|p| p.as_str()).collect();
        let sql = format!(
            "UPDATE referrals SET status = $2, given_name = $3, family_name = $4, date_of_birth = $5, email = $6, \
             phone = $7, preferred_channel = $8, language = $9, accessibility_needs = $10, nhs_number = $11, \
             chi = $12, postcode = $13, gp_practice = $14, problem_text = $15, problems = $16, screening = $17, \
             phq9 = NULL, gad7 = NULL, consents = $18, referrer_name = $19, referrer_organisation = $20, referrer_email = $21, \
             risk = $22, received_at = $23, updated_at = $24, decision_note = $25, decided_by = $26, \
             decided_at = $27, patient_id = $28 WHERE id = $1 AND status = $29 RETURNING {}",
            columns(RecordKind::Referral)
        );
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(r.id.to_string())
            .bind(r.status.as_str())
            .bind(d.given_name.clone())
            .bind(d.family_name.clone())
            .bind(d.date_of_birth.map(|x| x.to_string()))
            .bind(d.email.clone())
            .bind(d.phone.clone())
            .bind(d.preferred_channel.map(|c| c.as_str().to_string()))
            .bind(d.language.clone())
            .bind(d.accessibility_needs.clone())
            .bind(d.nhs_number.clone())
            .bind(d.chi.clone())
            .bind(d.postcode.clone())
            .bind(d.gp_practice.clone())
            .bind(d.problem_text.clone())
            .bind(to_json(&problems))
            .bind(to_json(&d.screening))
            .bind(to_json(&d.consents))
            .bind(d.referrer_name.clone())
            .bind(d.referrer_organisation.clone())
            .bind(d.referrer_email.clone())
            .bind(i64::from(r.risk))
            .bind(r.received_at.map(to_millis))
            .bind(to_millis(r.updated_at))
            .bind(r.decision_note.clone())
            .bind(r.decided_by.map(|s| s.to_string()))
            .bind(r.decided_at.map(to_millis))
            .bind(r.patient_id.map(|p| p.to_string()))
            .bind(from.as_str())
            .fetch_optional()
            .await?;
        self.wrote_optional(RecordKind::Referral, &r.id.to_string(), row.as_ref())
    }

    pub async fn referral(&mut self, id: ReferralId) -> Result<Option<Referral>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {REFERRAL_COLUMNS} FROM referrals WHERE id = $1"
        ));
        let row = self
            .query(sql)
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(referral).transpose()
    }

    /// The referrals with these ids (a page's worth, in one statement), by
    /// id. Ids not found are left out.
    pub async fn referrals_by_ids(
        &mut self,
        ids: &[ReferralId],
    ) -> Result<std::collections::HashMap<ReferralId, Referral>, StoreError> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let sql = format!("SELECT {REFERRAL_COLUMNS} FROM referrals WHERE id IN ({{ids}})");
        self.query_in(&sql, ids)
            .fetch_all()
            .await?
            .iter()
            .map(|r| referral(r).map(|x| (x.id, x)))
            .collect()
    }

    /// The referral `id`, locked until the transaction ends, for a change
    /// that depends on what it reads (a triage decision): a decision made at
    /// the same moment waits, then reads this one's.
    pub async fn lock_referral(&mut self, id: ReferralId) -> Result<Option<Referral>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {REFERRAL_COLUMNS} FROM referrals WHERE id = $1{}",
            self.dialect.for_update
        ));
        let row = self
            .query(sql)
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(referral).transpose()
    }

    /// The referral a resume link leads to, whatever its status, locked
    /// until the transaction ends, for saving a step or sending: a send and
    /// an edit of the same referral never interleave.
    pub async fn lock_referral_by_token(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<Referral>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {REFERRAL_COLUMNS} FROM referrals WHERE resume_token_hash = $1{}",
            self.dialect.for_update
        ));
        let row = self.query(sql).bind(token_hash).fetch_optional().await?;
        row.as_ref().map(referral).transpose()
    }

    /// The draft a resume link leads to (drafts only: a sent referral is not
    /// shown by its old link).
    pub async fn referral_draft_by_token(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<Referral>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {REFERRAL_COLUMNS} FROM referrals WHERE resume_token_hash = $1 AND status = 'draft'"
        ));
        let row = self.query(sql).bind(token_hash).fetch_optional().await?;
        row.as_ref().map(referral).transpose()
    }

    pub async fn referral_by_submission_key(
        &mut self,
        key: &str,
    ) -> Result<Option<Referral>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {REFERRAL_COLUMNS} FROM referrals WHERE submission_key = $1"
        ));
        let row = self.query(sql).bind(key).fetch_optional().await?;
        row.as_ref().map(referral).transpose()
    }

    /// Referrals waiting for triage: risk first, then longest waiting. An
    /// unfinished self-referral with a risk answer is included: nobody may
    /// be left unseen because they did not press "send".
    pub async fn triage_queue(
        &mut self,
        service: ServiceId,
        limit: i64,
    ) -> Result<Vec<Referral>, StoreError> {
        // Each status is read in the queue's order along migration 41's
        // index and cut at the limit before the three are merged: with one
        // `OR`, every referral waiting was read and sorted on each view
        // (80-96 ms for 12,857 on a 100,000-patient SQLite service, under
        // SQLite's write lock while the queue was a write).
        const ORDER: &str =
            "ORDER BY risk DESC, urgent DESC, COALESCE(received_at, created_at), id";
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {REFERRAL_COLUMNS} FROM referrals WHERE id IN ( \
               SELECT id FROM (SELECT id FROM referrals WHERE service_id = $1 AND status = 'received' \
                 {ORDER} LIMIT {limit}) received \
               UNION ALL SELECT id FROM (SELECT id FROM referrals WHERE service_id = $1 \
                 AND status = 'info_requested' {ORDER} LIMIT {limit}) info_requested \
               UNION ALL SELECT id FROM (SELECT id FROM referrals WHERE service_id = $1 \
                 AND status = 'draft' AND risk = 1 {ORDER} LIMIT {limit}) risky_drafts) \
             {ORDER} LIMIT {limit}"
        ));
        let rows = self
            .query(sql)
            .bind(service.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(referral).collect()
    }

    /// Patients of a service who might be the person referred: the same NHS
    /// number or CHI, or the same date of birth.
    pub async fn match_candidates(
        &mut self,
        service: ServiceId,
        nhs_number: Option<&str>,
        chi: Option<&str>,
        date_of_birth: Option<&str>,
    ) -> Result<Vec<PatientIdentity>, StoreError> {
        let rows = self.query(
            "SELECT id, given_name, family_name, date_of_birth, nhs_number, chi, postcode FROM patients \
             WHERE service_id = $1 AND (nhs_number = $2 OR chi = $3 OR date_of_birth = $4) ORDER BY id LIMIT 200",
        )
        .bind(service.to_string())
        .bind(nhs_number.map(str::to_string))
        .bind(chi.map(str::to_string))
        .bind(date_of_birth.map(str::to_string))
        .fetch_all()
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PatientIdentity {
                    id: parse(&r.try_get::<String>("id")?, "patient id")?,
                    given_name: r.try_get("given_name")?,
                    family_name: r.try_get("family_name")?,
                    date_of_birth: r.try_get("date_of_birth")?,
                    nhs_number: r.try_get("nhs_number")?,
                    chi: r.try_get("chi")?,
                    postcode: r.try_get("postcode")?,
                })
            })
            .collect()
    }

    pub async fn set_patient_identifiers(
        &mut self,
        patient: PatientId,
        nhs_number: Option<&str>,
        chi: Option<&str>,
        postcode: Option<&str>,
    ) -> Result<(), StoreError> {
        self.query(
            "UPDATE patients SET nhs_number = COALESCE($2, nhs_number), chi = COALESCE($3, chi), \
             postcode = COALESCE($4, postcode) WHERE id = $1",
        )
        .bind(patient.to_string())
        .bind(nhs_number.map(str::to_string))
        .bind(chi.map(str::to_string))
        .bind(postcode.map(str::to_string))
        .execute()
        .await?;
        Ok(())
    }

    pub async fn record_match_verdict(
        &mut self,
        referral: ReferralId,
        verdict: &MatchVerdict,
        by: StaffId,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO referral_matches (referral_id, patient_id, verdict, decided_by, decided_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (referral_id, patient_id) DO UPDATE SET \
             verdict = excluded.verdict, decided_by = excluded.decided_by, decided_at = excluded.decided_at",
        )
        .bind(referral.to_string())
        .bind(verdict.patient_id.to_string())
        .bind(&verdict.verdict)
        .bind(by.to_string())
        .bind(to_millis(at))
        .execute()
        .await?;
        Ok(())
    }

    pub async fn match_verdicts(
        &mut self,
        referral: ReferralId,
    ) -> Result<Vec<MatchVerdict>, StoreError> {
        let rows = self.query("SELECT patient_id, verdict FROM referral_matches WHERE referral_id = $1 ORDER BY patient_id")
            .bind(referral.to_string())
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok(MatchVerdict {
                    patient_id: parse(&r.try_get::<String>("patient_id")?, "patient id")?,
                    verdict: r.try_get("verdict")?,
                })
            })
            .collect()
    }

    pub async fn insert_activation(
        &mut self,
        token_hash: &str,
        patient: PatientId,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO patient_activations (token_hash, patient_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(patient.to_string())
        .bind(to_millis(now))
        .bind(to_millis(expires_at))
        .execute()
        .await?;
        Ok(())
    }

    /// An activation link: whose it is, and whether it is used or expired.
    pub async fn activation(&mut self, token_hash: &str) -> Result<Option<Activation>, StoreError> {
        let row = self.query(
            "SELECT patient_id, expires_at, used_at, refused_attempts FROM patient_activations WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional()
        .await?;
        row.map(|r| {
            Ok(Activation {
                patient_id: parse(&r.try_get::<String>("patient_id")?, "patient id")?,
                expires_at: from_millis(r.try_get("expires_at")?),
                used_at: r.try_get::<Option<i64>>("used_at")?.map(from_millis),
                refused_attempts: r.try_get("refused_attempts")?,
            })
        })
        .transpose()
    }

    /// Counts a refused try at a usable activation link, using the link up
    /// at the `max`th. Returns the refusals so far; None if the link was
    /// already used, expired or unknown.
    pub async fn refuse_activation(
        &mut self,
        token_hash: &str,
        now: Timestamp,
        max: i64,
    ) -> Result<Option<i64>, StoreError> {
        let row = self
            .query(
                "UPDATE patient_activations SET refused_attempts = refused_attempts + 1, \
                 used_at = CASE WHEN refused_attempts + 1 >= $3 THEN $2 ELSE used_at END \
                 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
                 RETURNING refused_attempts",
            )
            .bind(token_hash)
            .bind(to_millis(now))
            .bind(max)
            .fetch_optional()
            .await?;
        row.map(|r| r.try_get("refused_attempts")).transpose()
    }

    /// Ends every activation link of a patient not used yet (a new one replaces them).
    pub async fn end_activations(
        &mut self,
        patient: PatientId,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let done = self
            .query("UPDATE patient_activations SET used_at = $2 WHERE patient_id = $1 AND used_at IS NULL")
            .bind(patient.to_string())
            .bind(to_millis(now))
            .execute()
            .await?;
        Ok(done.rows_affected())
    }

    /// Uses an activation link once; false if used, expired or unknown.
    pub async fn use_activation(
        &mut self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = self.query(
            "UPDATE patient_activations SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(to_millis(now))
        .execute()
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Services covering a postcode's outward code (e.g. "EH1"), or its area ("EH").
    pub async fn services_for_area(
        &mut self,
        outward: &str,
        area: &str,
    ) -> Result<Vec<ServiceId>, StoreError> {
        let rows = self
            .query("SELECT id, areas FROM services ORDER BY name")
            .fetch_all()
            .await?;
        let mut out = Vec::new();
        for r in &rows {
            let areas: String = r.try_get("areas")?;
            if areas
                .split_whitespace()
                .any(|a| a.eq_ignore_ascii_case(outward) || a.eq_ignore_ascii_case(area))
            {
                out.push(parse(&r.try_get::<String>("id")?, "service id")?);
            }
        }
        Ok(out)
    }

    pub async fn set_service_areas(
        &mut self,
        service: ServiceId,
        areas: &str,
    ) -> Result<(), StoreError> {
        self.query("UPDATE services SET areas = $2 WHERE id = $1")
            .bind(service.to_string())
            .bind(areas)
            .execute()
            .await?;
        Ok(())
    }
}
