//! What another system sent with a referral, kept as sent (migration 26),
//! and the search a sender follows its referrals by.

use super::{REFERRAL_COLUMNS, json, referral, to_json};
use crate::{StoreError, Tx};
use bothy_domain::ids::ReferralId;
use bothy_domain::referral::as_sent::{AsSent, GMC, ODS, SDS_USER};
use bothy_domain::referral::{Referral, Status};
use bothy_domain::{ApiClientId, PatientId, ServiceId};

/// A search of one service's sent referrals; every condition given must
/// hold. Drafts are never found.
#[derive(Debug, Clone, Default)]
pub struct ReferralSearch {
    pub service: Option<ServiceId>,
    /// Only the referrals this client sent (a client holding only
    /// `referral.create`).
    pub sent_by: Option<ApiClientId>,
    /// The sender's identifier: (system, value); a system of `Some("")`
    /// means an identifier sent without one, `None` any system.
    pub identifier: Option<(Option<String>, String)>,
    /// The requesting organisation's ODS code.
    pub ods: Option<String>,
    /// The requesting practitioner's identifier: (system, value).
    pub practitioner: Option<(String, String)>,
    pub patient: Option<PatientId>,
    pub nhs_number: Option<String>,
    pub chi: Option<String>,
    /// Any of these; empty for every status but draft.
    pub statuses: Vec<Status>,
    pub limit: i64,
}

/// The identifier of the practitioner a search finds a referral by: the
/// first SDS user id, else the first GMC number.
fn practitioner_key(s: &AsSent) -> Option<(&str, &str)> {
    [SDS_USER, GMC].into_iter().find_map(|system| {
        s.practitioner
            .iter()
            .find(|i| i.system.as_deref() == Some(system))
            .map(|i| (system, i.value.as_str()))
    })
}

impl Tx {
    /// Keeps what the sender sent with the referral just inserted.
    pub async fn insert_referral_as_sent(
        &mut self,
        r: &Referral,
        client: ApiClientId,
        sent: &AsSent,
    ) -> Result<(), StoreError> {
        let ods = sent
            .organisation
            .iter()
            .find(|i| i.system.as_deref() == Some(ODS))
            .map(|i| i.value.clone());
        let practitioner = practitioner_key(sent);
        self.query(
            "INSERT INTO referral_as_sent (referral_id, service_id, api_client_id, identifier_system, \
             identifier_value, requester_ods, practitioner_system, practitioner_value, sent) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(r.id.to_string())
        .bind(r.service_id.to_string())
        .bind(client.to_string())
        .bind(sent.identifier.system.clone())
        .bind(sent.identifier.value.clone())
        .bind(ods)
        .bind(practitioner.map(|(s, _)| s.to_string()))
        .bind(practitioner.map(|(_, v)| v.to_string()))
        .bind(to_json(sent))
        .execute()
        .await?;
        Ok(())
    }

    /// What was kept of a referral's sending, if another system sent it.
    pub async fn referral_as_sent(&mut self, id: ReferralId) -> Result<Option<AsSent>, StoreError> {
        let row = self
            .query("SELECT sent FROM referral_as_sent WHERE referral_id = $1")
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        row.map(|r| json(&r.try_get::<String>("sent")?, "referral as sent"))
            .transpose()
    }

    /// Sent referrals matching a search, newest first, each with what was
    /// kept of its sending. Conditions on what was sent go through
    /// `referral_as_sent`'s indexes (by service and value).
    pub async fn search_referrals(
        &mut self,
        q: &ReferralSearch,
    ) -> Result<Vec<(Referral, Option<AsSent>)>, StoreError> {
        let Some(service) = q.service else {
            return Ok(Vec::new());
        };
        let mut binds: Vec<Option<String>> = vec![Some(service.to_string())];
        let mut arg = |v: Option<String>| {
            binds.push(v);
            format!("${}", binds.len())
        };
        let mut wh = vec!["service_id = $1".to_string(), "status <> 'draft'".into()];
        let mut sent_where = Vec::new();
        if let Some(c) = q.sent_by {
            wh.push(format!(
                "source = 'fhir' AND api_client_id = {}",
                arg(Some(c.to_string()))
            ));
        }
        if let Some((system, value)) = &q.identifier {
            sent_where.push(format!("identifier_value = {}", arg(Some(value.clone()))));
            match system.as_deref() {
                None => {}
                Some("") => sent_where.push("identifier_system IS NULL".into()),
                Some(s) => sent_where.push(format!("identifier_system = {}", arg(Some(s.into())))),
            }
        }
        if let Some(ods) = &q.ods {
            sent_where.push(format!("requester_ods = {}", arg(Some(ods.clone()))));
        }
        if let Some((system, value)) = &q.practitioner {
            sent_where.push(format!(
                "practitioner_value = {} AND practitioner_system = {}",
                arg(Some(value.clone())),
                arg(Some(system.clone()))
            ));
        }
        if !sent_where.is_empty() {
            wh.push(format!(
                "id IN (SELECT referral_id FROM referral_as_sent WHERE service_id = $1 AND {})",
                sent_where.join(" AND ")
            ));
        }
        if let Some(p) = q.patient {
            wh.push(format!("patient_id = {}", arg(Some(p.to_string()))));
        }
        if let Some(n) = &q.nhs_number {
            wh.push(format!("nhs_number = {}", arg(Some(n.clone()))));
        }
        if let Some(c) = &q.chi {
            wh.push(format!("chi = {}", arg(Some(c.clone()))));
        }
        if !q.statuses.is_empty() {
            let list: Vec<String> = q
                .statuses
                .iter()
                .map(|s| arg(Some(s.as_str().to_string())))
                .collect();
            wh.push(format!("status IN ({})", list.join(", ")));
        }
        let limit = arg(None);
        let sql = format!(
            "SELECT {REFERRAL_COLUMNS}, (SELECT sent FROM referral_as_sent s WHERE s.referral_id = referrals.id) \
             AS sent FROM referrals WHERE {} ORDER BY COALESCE(received_at, created_at) DESC, id LIMIT {limit}",
            wh.join(" AND ")
        );
        let mut query = self.query(sqlx::AssertSqlSafe(sql));
        let last = binds.len() - 1;
        for (i, b) in binds.into_iter().enumerate() {
            query = if i == last {
                query.bind(q.limit)
            } else {
                query.bind(b)
            };
        }
        let rows = query.fetch_all().await?;
        rows.iter()
            .map(|r| {
                let sent = r
                    .try_get::<Option<String>>("sent")?
                    .map(|s| json(&s, "referral as sent"))
                    .transpose()?;
                Ok((referral(r)?, sent))
            })
            .collect()
    }
}
