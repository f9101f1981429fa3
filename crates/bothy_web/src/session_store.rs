//! tower-sessions' store on Bothy's database. Session rows expire on the
//! application clock; the idle and absolute time-outs themselves are
//! enforced per request in `auth`, also on that clock. Each row records whose
//! session it is, so that a new password can end the account's other
//! sessions; and saving never brings back a session that ended while a
//! request of it was in flight.

use crate::auth::{AUTH_KEY, SessionAuth, SessionKind};
use bothy_app::Clock;
use bothy_domain::time::to_millis;
use bothy_store::{SessionAccount, SessionRow, Store};
use std::sync::Arc;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};

/// The longest any session row is kept without being saved again.
const ROW_LIFETIME: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

#[derive(Clone)]
pub struct DbSessionStore {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

impl DbSessionStore {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    fn row(&self, record: &Record) -> Result<SessionRow> {
        let now = self.clock.now();
        let expires = now.checked_add(ROW_LIFETIME).unwrap_or(now);
        Ok(SessionRow {
            id: record.id.to_string(),
            data: serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?,
            expires_at_ms: to_millis(expires),
            account: account_of(record),
        })
    }
}

/// Whose session this is, from the sign-in it holds.
fn account_of(record: &Record) -> Option<SessionAccount> {
    let auth: SessionAuth = serde_json::from_value(record.data.get(AUTH_KEY)?.clone()).ok()?;
    match auth.kind {
        SessionKind::Staff | SessionKind::StaffPending => {
            auth.id.parse().ok().map(SessionAccount::Staff)
        }
        SessionKind::Patient => auth.id.parse().ok().map(SessionAccount::Patient),
    }
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        loop {
            let row = self.row(record)?;
            let mut tx = self.store.begin().await.map_err(backend)?;
            let created = tx.create_session(&row).await.map_err(backend)?;
            tx.commit().await.map_err(backend)?;
            if created {
                return Ok(());
            }
            // 128-bit random ids collide only in theory; pick another if so.
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let row = self.row(record)?;
        let mut tx = self.store.begin().await.map_err(backend)?;
        // Ended meanwhile (a sign-out elsewhere, a new password): stays ended.
        tx.save_session(&row).await.map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        // One statement: a plain connection, no transaction around it.
        let mut tx = self.store.reader().await.map_err(backend)?;
        let row = tx
            .load_session(&id.to_string(), self.clock.now())
            .await
            .map_err(backend)?;
        tx.rollback().await.map_err(backend)?;
        row.map(|r| serde_json::from_str(&r.data).map_err(|e| Error::Decode(e.to_string())))
            .transpose()
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        let mut tx = self.store.begin().await.map_err(backend)?;
        tx.delete_session(&id.to_string()).await.map_err(backend)?;
        tx.commit().await.map_err(backend)
    }
}
