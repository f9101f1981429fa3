use crate::{StoreError, Tx};
pub use bothy_domain::model::SessionAccount;
use bothy_domain::time::{Timestamp, to_millis};

/// A stored web session: opaque JSON owned by the web layer, and whose it is.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub data: String,
    pub expires_at_ms: i64,
    /// Who signed in to it (also half-way, for staff), if anyone.
    pub account: Option<SessionAccount>,
}

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

    /// A session that has not expired at `now`.
    pub async fn load_session(
        &mut self,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<SessionRow>, StoreError> {
        let row = self
            .query(
                "SELECT id, data, expires_at, account FROM sessions WHERE id = $1 AND expires_at > $2",
            )
            .bind(id)
            .bind(to_millis(now))
            .fetch_optional()
            .await?;
        row.map(|r| {
            Ok(SessionRow {
                id: r.try_get("id")?,
                data: r.try_get("data")?,
                expires_at_ms: r.try_get("expires_at")?,
                account: r
                    .try_get::<Option<String>>("account")?
                    .and_then(|a| a.parse().ok()),
            })
        })
        .transpose()
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
