//! A flood of failed sign-in attempts, to measure what it costs the server
//! in memory. The server takes the client's address from the connection
//! (it honours no forwarding header), so the attempts come from many
//! loopback addresses, a few from each, as from many machines; three in
//! four name accounts that do not exist, the rest real accounts with a
//! wrong password, at most as many per account as the throttle allows.

use crate::client::{Conn, source_address};
use hyper::StatusCode;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::task::JoinSet;

/// What the attempts were answered with.
#[derive(Debug, Clone, Default)]
pub struct Flood {
    pub attempts: usize,
    /// Addresses the attempts came from (1 if they could not be varied).
    pub addresses: usize,
    /// 401 and the sign-in page again, with its error: the password was checked.
    pub refused: usize,
    /// 429: the throttle turned the attempt away before any hashing.
    pub throttled: usize,
    /// Anything else (a sign-in that succeeded, a failure to connect).
    pub other: usize,
    /// From the first attempt to the last answer.
    pub elapsed: std::time::Duration,
}

/// Attempts from one address, as one visitor would: the form, then tries.
pub const PER_ADDRESS: usize = 4;
/// Addresses trying at once.
const AT_ONCE: usize = 32;

/// Sends `attempts` failed sign-ins; `accounts` are real emails whose
/// password is not the one sent; `first_source` is the first address
/// number to use (after those the run's own sessions came from), or None
/// to send everything from the system's address.
pub async fn sign_in_flood(
    addr: SocketAddr,
    attempts: usize,
    accounts: &[String],
    tag: &str,
    first_source: Option<u32>,
) -> Flood {
    let started = crate::clock::now();
    let accounts: Arc<[String]> = accounts.into();
    let addresses = attempts.div_ceil(PER_ADDRESS);
    let mut set = JoinSet::new();
    let mut flood = Flood {
        attempts,
        addresses: if first_source.is_some() { addresses } else { 1 },
        ..Flood::default()
    };
    for a in 0..addresses {
        if set.len() >= AT_ONCE
            && let Some(Ok(part)) = set.join_next().await
        {
            add(&mut flood, part);
        }
        let source = first_source.map(|s| source_address(s + a as u32));
        let accounts = accounts.clone();
        let tag = tag.to_string();
        let tries: Vec<usize> = (a * PER_ADDRESS..((a + 1) * PER_ADDRESS).min(attempts)).collect();
        set.spawn(async move {
            let mut part = Flood::default();
            let Ok(mut conn) = Conn::open_from(addr, source).await else {
                part.other += tries.len();
                return part;
            };
            if conn.get("/sign-in").await.is_err() {
                part.other += tries.len();
                return part;
            }
            for i in tries {
                let email = match i % 4 {
                    3 if !accounts.is_empty() => accounts[(i / 4) % accounts.len()].clone(),
                    _ => format!("nobody-{tag}-{i}@bench.bothy.test"),
                };
                let fields = [("email", email.as_str()), ("password", "not-the-password")];
                match conn.post_form("/sign-in", &fields).await {
                    Ok(a) if a.status == StatusCode::TOO_MANY_REQUESTS => part.throttled += 1,
                    Ok(a) if a.status == StatusCode::UNAUTHORIZED => part.refused += 1,
                    _ => part.other += 1,
                }
            }
            part
        });
    }
    while let Some(done) = set.join_next().await {
        if let Ok(part) = done {
            add(&mut flood, part);
        }
    }
    flood.elapsed = started.elapsed();
    flood
}

fn add(f: &mut Flood, part: Flood) {
    f.refused += part.refused;
    f.throttled += part.throttled;
    f.other += part.other;
}

/// Real accounts the flood needs so that none is tried more often than the
/// throttle's five attempts per account.
pub fn accounts_needed(attempts: usize) -> usize {
    attempts.div_ceil(4).div_ceil(5).max(1)
}
