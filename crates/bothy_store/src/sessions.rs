use crate::{StoreError, Tx};
use bothy_domain::time::{Timestamp, to_millis};

/// A stored web session: opaque JSON owned by the web layer.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub data: String,
    pub expires_at_ms: i64,
}

impl Tx {
    /// Inserts a new session; false if the id is taken (the caller picks another).
    pub async fn create_session(&mut self, s: &SessionRow) -> Result<bool, StoreError> {
        let done = self.query("INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING")
            .bind(&s.id)
            .bind(&s.data)
            .bind(s.expires_at_ms)
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn save_session(&mut self, s: &SessionRow) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(&s.id)
        .bind(&s.data)
        .bind(s.expires_at_ms)
        .execute()
        .await?;
        Ok(())
    }

    /// A session that has not expired at `now`.
    pub async fn load_session(
        &mut self,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<SessionRow>, StoreError> {
        let row = self
            .query("SELECT id, data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(id)
            .bind(to_millis(now))
            .fetch_optional()
            .await?;
        row.map(|r| {
            Ok(SessionRow {
                id: r.try_get("id")?,
                data: r.try_get("data")?,
                expires_at_ms: r.try_get("expires_at")?,
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
