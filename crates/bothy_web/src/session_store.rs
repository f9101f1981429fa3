//! tower-sessions' store on Bothy's database. Session rows expire on the
//! application clock; the idle and absolute time-outs themselves are
//! enforced per request in `auth`, also on that clock. Each row records whose
//! session it is, so that a new password can end the account's other
//! sessions; and saving never brings back a session that ended while a
//! request of it was in flight.

use crate::auth::{AUTH_KEY, SessionAuth, SessionKind};
use bothy_app::App;
use bothy_app::sessions::SessionHolder;
use bothy_app::sessions::{Created, StoredSession};
use bothy_domain::model::SessionAccount;
use std::sync::Arc;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};

/// The longest a signed-in session's row is kept without being saved again.
const ROW_LIFETIME: std::time::Duration = std::time::Duration::from_secs(12 * 3600);
/// A visitor's session before signing in holds only a form's CSRF token:
/// kept two hours, so that rows anyone can make by loading pages go soon.
const ANONYMOUS_ROW_LIFETIME: std::time::Duration = std::time::Duration::from_secs(2 * 3600);

tokio::task_local! {
    /// The address a request came from (after trusted proxies), for the
    /// limit on sessions made before signing in; set around the session layer.
    pub static CLIENT_IP: Option<std::net::IpAddr>;
    /// The account the request's session names, read with the session by
    /// `load`, for `auth::resolve_actor` to take instead of reading it
    /// again; set (empty) around the session layer, so it never outlives
    /// the request.
    pub static HOLDER: std::cell::RefCell<Option<SessionHolder>>;
}

#[derive(Clone)]
pub struct DbSessionStore {
    app: Arc<App>,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

impl DbSessionStore {
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
    }

    fn row(&self, record: &Record) -> Result<StoredSession> {
        let now = self.app.clock().now();
        let account = account_of(record);
        let lifetime = if account.is_some() {
            ROW_LIFETIME
        } else {
            ANONYMOUS_ROW_LIFETIME
        };
        Ok(StoredSession {
            id: record.id.to_string(),
            data: serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?,
            expires_at: now.checked_add(lifetime).unwrap_or(now),
            account,
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
        let ip = CLIENT_IP.try_with(|ip| *ip).ok().flatten();
        loop {
            let row = self.row(record)?;
            match self
                .app
                .sessions()
                .create(&row, ip)
                .await
                .map_err(backend)?
            {
                // Not kept: the page is still served; its form will ask
                // the visitor to try again.
                Created::Stored | Created::NotKept => return Ok(()),
                Created::IdTaken => {}
            }
            // 128-bit random ids collide only in theory; pick another if so.
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let row = self.row(record)?;
        self.app.sessions().save(&row).await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let Some((row, holder)) = self
            .app
            .sessions()
            .load(&id.to_string())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        // Outside a request's scope (none today) the holder is just not kept.
        let _ = HOLDER.try_with(|h| *h.borrow_mut() = holder);
        serde_json::from_str(&row.data)
            .map(Some)
            .map_err(|e| Error::Decode(e.to_string()))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.app
            .sessions()
            .delete(&id.to_string())
            .await
            .map_err(backend)
    }
}
