//! Web sessions kept in the database: what the session layer stores and
//! reads, in the app's terms, so that the web crate never sees a database
//! type. Rows expire on the application clock.

use crate::{App, AppError};
use bothy_domain::model::SessionAccount;
use bothy_domain::time::{Timestamp, from_millis, to_millis};
pub use bothy_store::SessionHolder;
use bothy_store::SessionRow;

/// One stored session: its id, its data (the session layer's JSON), when
/// the row expires, and whose session it is once someone signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub id: String,
    pub data: String,
    pub expires_at: Timestamp,
    pub account: Option<SessionAccount>,
}

impl From<&StoredSession> for SessionRow {
    fn from(s: &StoredSession) -> Self {
        SessionRow {
            id: s.id.clone(),
            data: s.data.clone(),
            expires_at_ms: to_millis(s.expires_at),
            account: s.account,
        }
    }
}

/// What became of a new session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    Stored,
    /// Its id is taken: pick another.
    IdTaken,
    /// Not kept: too many sessions without a sign-in were made this minute
    /// ([`crate::throttle::ANONYMOUS_SESSIONS_PER_ADDRESS`] from one
    /// address, [`crate::throttle::ANONYMOUS_SESSIONS_PER_MINUTE`] from all).
    NotKept,
}

/// Sessions: created, saved, loaded and deleted one statement each.
pub struct Sessions<'a> {
    pub(crate) app: &'a App,
}

impl Sessions<'_> {
    /// Stores a new session, unless it has no sign-in and the minute's
    /// allowance of those (for `ip`, or for everyone) is used up.
    pub async fn create(
        &self,
        s: &StoredSession,
        ip: Option<std::net::IpAddr>,
    ) -> Result<Created, AppError> {
        if s.account.is_none() && !self.app.anonymous_sessions.allow(ip) {
            return Ok(Created::NotKept);
        }
        let mut tx = self.app.store.begin().await?;
        let created = tx.create_session(&s.into()).await?;
        tx.commit().await?;
        Ok(if created {
            Created::Stored
        } else {
            Created::IdTaken
        })
    }

    /// Saves a session's data. A session ended meanwhile (a sign-out
    /// elsewhere, a new password) stays ended.
    pub async fn save(&self, s: &StoredSession) -> Result<(), AppError> {
        let mut tx = self.app.store.begin().await?;
        tx.save_session(&s.into()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The session `id`, unless it has expired, with the account it names
    /// (for [`crate::signin::staff_actor_of`] and
    /// [`crate::signin::patient_actor_of`]), so that a request
    /// learns who is asking in the same statement.
    pub async fn load(
        &self,
        id: &str,
    ) -> Result<Option<(StoredSession, Option<SessionHolder>)>, AppError> {
        // One statement: a plain connection, no transaction around it.
        let mut tx = self.app.store.reader().await?;
        let row = tx
            .load_session_with_holder(id, self.app.clock.now())
            .await?;
        tx.rollback().await?;
        Ok(row.map(|(r, holder)| {
            let session = StoredSession {
                id: r.id,
                data: r.data,
                expires_at: from_millis(r.expires_at_ms),
                account: r.account,
            };
            (session, holder)
        }))
    }

    pub async fn delete(&self, id: &str) -> Result<(), AppError> {
        let mut tx = self.app.store.begin().await?;
        tx.delete_session(id).await?;
        tx.commit().await?;
        Ok(())
    }
}
