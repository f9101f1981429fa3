//! W3 and W4, the reads: a clinician's home page and a patient page with
//! three charts, and FHIR search. (Their baselines, the same SELECTs with
//! no HTTP, no audit event and no rendering, are in `native.rs`.)

use crate::client::{Conn, expect_redirect};
use crate::load::Client;
use hyper::StatusCode;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Signs a staff member in (password, then the code for the next 30-second
/// step, since enrolment used the current one) on a new connection.
pub async fn staff_session(
    addr: SocketAddr,
    source: Option<IpAddr>,
    email: &str,
    password: &str,
    code: &str,
) -> anyhow::Result<Conn> {
    let mut conn = Conn::open_from(addr, source).await?;
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

/// A GET that must answer 200, of each path in turn.
pub struct Get {
    pub conn: Conn,
    pub paths: Arc<[String]>,
}

impl Get {
    pub fn one(conn: Conn, path: String) -> Get {
        Get {
            conn,
            paths: Arc::from([path]),
        }
    }
}

impl Client for Get {
    async fn call(&mut self, seq: u64) -> bool {
        let path = &self.paths[(seq as usize) % self.paths.len().max(1)];
        matches!(self.conn.get(path).await, Ok(a) if a.status == StatusCode::OK)
    }
}
