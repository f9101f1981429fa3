use crate::services::parse;
use crate::{StoreError, Tx};
pub use bothy_domain::model::SessionAccount;
use bothy_domain::model::{RoleGrant, StaffMember};
use bothy_domain::person::PersonName;
use bothy_domain::time::{Timestamp, to_millis};
use bothy_domain::{PatientId, ServiceId};

/// A stored web session: opaque JSON owned by the web layer, and whose it is.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub data: String,
    pub expires_at_ms: i64,
    /// Who signed in to it (also half-way, for staff), if anyone.
    pub account: Option<SessionAccount>,
}

/// The account a session names, read with it: what deciding who is asking
/// needs, so that a request reads its session and its actor in one
/// statement. Only as current as that statement, like a separate read.
#[derive(Debug, Clone)]
pub enum SessionHolder {
    Staff(StaffMember, Vec<RoleGrant>),
    Patient {
        id: PatientId,
        service_id: ServiceId,
        given_name: PersonName,
    },
}

/// The session's row and its holder: the staff member (each of their roles
/// a row) or the patient its `account` names, found by primary key.
const SESSION_WITH_HOLDER: &str = "SELECT se.id AS session_id, se.data AS session_data, \
     se.expires_at AS session_expires, se.account AS session_account, \
     s.id, s.email, s.display_name, s.password_hash, s.totp_secret, s.created_at, s.disabled_at, \
     r.service_id AS grant_service, r.role, \
     p.id AS patient_id, p.service_id AS patient_service, p.given_name AS patient_given_name \
     FROM sessions se \
     LEFT JOIN staff s ON se.account LIKE 'staff:%' AND s.id = SUBSTR(se.account, 7) \
     LEFT JOIN staff_roles r ON r.staff_id = s.id \
     LEFT JOIN patients p ON se.account LIKE 'patient:%' AND p.id = SUBSTR(se.account, 9) \
     WHERE se.id = $1 AND se.expires_at > $2 ORDER BY r.service_id, r.role";

impl Tx {
    /// Inserts a new session; false if the id is taken (the caller picks another).
    pub async fn create_session(&mut self, s: &SessionRow) -> Result<bool, StoreError> {
        let done = self.query("INSERT INTO sessions (id, data, expires_at, account) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING")
            .bind(&s.id)
            .bind(&s.data)
            .bind(s.expires_at_ms)
            .bind(s.account.map(|a| a.to_string()))
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Saves an existing session. A session that has ended meanwhile (signed
    /// out, or ended by a password change while a request was in flight) is
    /// not brought back: false.
    pub async fn save_session(&mut self, s: &SessionRow) -> Result<bool, StoreError> {
        let done = self
            .query("UPDATE sessions SET data = $2, expires_at = $3, account = $4 WHERE id = $1")
            .bind(&s.id)
            .bind(&s.data)
            .bind(s.expires_at_ms)
            .bind(s.account.map(|a| a.to_string()))
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends every session of `account` except `keep` (the one asking).
    pub async fn end_sessions(
        &mut self,
        account: SessionAccount,
        keep: Option<&str>,
    ) -> Result<u64, StoreError> {
        let done = self
            .query("DELETE FROM sessions WHERE account = $1 AND id <> $2")
            .bind(account.to_string())
            .bind(keep.unwrap_or("").to_string())
            .execute()
            .await?;
        Ok(done.rows_affected())
    }

    /// A session that has not expired at `now`, with the account it names
    /// if that account exists.
    pub async fn load_session_with_holder(
        &mut self,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<(SessionRow, Option<SessionHolder>)>, StoreError> {
        let rows = self
            .query(SESSION_WITH_HOLDER)
            .bind(id)
            .bind(to_millis(now))
            .fetch_all()
            .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let session = SessionRow {
            id: first.try_get("session_id")?,
            data: first.try_get("session_data")?,
            expires_at_ms: first.try_get("session_expires")?,
            account: first
                .try_get::<Option<String>>("session_account")?
                .and_then(|a| a.parse().ok()),
        };
        let holder = match crate::staff::staff_and_grants(&rows)? {
            Some((member, grants)) => Some(SessionHolder::Staff(member, grants)),
            None => match first.try_get::<Option<String>>("patient_id")? {
                Some(patient) => Some(SessionHolder::Patient {
                    id: parse(&patient, "patient id")?,
                    service_id: parse(&first.try_get::<String>("patient_service")?, "service id")?,
                    given_name: PersonName::from_stored(first.try_get("patient_given_name")?),
                }),
                None => None,
            },
        };
        Ok(Some((session, holder)))
    }

    /// A session that has not expired at `now` (its account read with it,
    /// and set aside: one statement for sessions, whoever reads them).
    pub async fn load_session(
        &mut self,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<SessionRow>, StoreError> {
        Ok(self
            .load_session_with_holder(id, now)
            .await?
            .map(|(session, _)| session))
    }

    pub async fn delete_session(&mut self, id: &str) -> Result<(), StoreError> {
        self.query("DELETE FROM sessions WHERE id = $1")
            .bind(id)
            .execute()
            .await?;
        Ok(())
    }

    /// Removes expired sessions; returns how many.
    pub async fn delete_expired_sessions(&mut self, now: Timestamp) -> Result<u64, StoreError> {
        let done = self
            .query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(to_millis(now))
            .execute()
            .await?;
        Ok(done.rows_affected())
    }
}
