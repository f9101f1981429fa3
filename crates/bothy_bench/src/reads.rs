//! W3 and W4, the reads: a clinician's home page and a patient page with
//! three charts, FHIR search, and their raw baselines (the same SELECTs
//! through the store's connection pool, with no HTTP, no audit event, no
//! rendering).

use crate::client::{Conn, expect_redirect};
use crate::load::Client;
use bothy_domain::{PatientId, ServiceId};
use bothy_store::Store;
use hyper::StatusCode;
use std::net::SocketAddr;

/// Signs a staff member in (password, then the code for the next 30-second
/// step, since enrolment used the current one) on a new connection.
pub async fn staff_session(
    addr: SocketAddr,
    email: &str,
    password: &str,
    code: &str,
) -> anyhow::Result<Conn> {
    let mut conn = Conn::open(addr).await?;
    conn.get("/sign-in").await?;
    let a = conn
        .post_form("/sign-in", &[("email", email), ("password", password)])
        .await?;
    expect_redirect(&a, "/sign-in/code", "staff sign-in")?;
    conn.get("/sign-in/code").await?;
    let a = conn.post_form("/sign-in/code", &[("code", code)]).await?;
    expect_redirect(&a, "/staff", "staff second factor")?;
    Ok(conn)
}

/// A GET that must answer 200.
pub struct Get {
    pub conn: Conn,
    pub path: String,
}

impl Client for Get {
    async fn call(&mut self, _seq: u64) -> bool {
        matches!(self.conn.get(&self.path).await, Ok(a) if a.status == StatusCode::OK)
    }
}

/// Which raw SELECTs a baseline client runs.
#[derive(Debug, Clone, Copy)]
pub enum RawRead {
    StaffHome(ServiceId),
    PatientPage(PatientId),
    Search(PatientId),
}

pub struct RawSelect {
    pub store: Store,
    pub read: RawRead,
}

impl Client for RawSelect {
    async fn call(&mut self, _seq: u64) -> bool {
        let Ok(mut tx) = self.store.read().await else {
            return false;
        };
        let n = match self.read {
            RawRead::StaffHome(s) => tx.baseline_patient_list(s).await,
            RawRead::PatientPage(p) => tx.baseline_patient_page(p).await,
            RawRead::Search(p) => tx.baseline_response_search(p, 11).await,
        };
        tx.rollback().await.is_ok() && n.is_ok()
    }
}
