//! Sign-in throttling per account and address, per address, and per account
//! everywhere (governor's GCRA), on the application clock. Limits are per
//! process: with several servers an attacker gets a multiple, still far too
//! few attempts to guess a password.
//!
//! Wrong passwords typed from other addresses never lock the owner out of
//! their own: an account's attempts are counted per address, and the
//! account's limit across all addresses (a few times higher) is not applied
//! to an address the account signed in from recently. A flood from many
//! addresses therefore shares that one limit: it is slowed to its refill
//! rate, and learns nothing even when it tries the right password, while the
//! owner carries on from where they usually sign in.

use crate::AppSettings;
use crate::clock::{Clock, GovernorClock};
use bothy_domain::time::Timestamp;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

type Limiter<K> =
    RateLimiter<K, DefaultKeyedStateStore<K>, GovernorClock, NoOpMiddleware<Duration>>;

/// How many times the per-address limit an account gets across all
/// addresses not known for it.
const EVERYWHERE_FACTOR: u32 = 4;
/// How long a successful sign-in makes its address known for the account.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 86_400);
/// Addresses remembered per account (the most recent).
const KNOWN_MAX: usize = 8;
/// Forget keys whose limits have refilled every this many checks, so
/// attempts with invented accounts from many addresses cannot grow memory.
const TIDY_EVERY: u64 = 4096;
/// The longest account key kept (an email address is at most 254 characters).
const KEY_MAX_CHARS: usize = 254;

pub(crate) struct SignInThrottle {
    per_account_here: Limiter<(String, Option<IpAddr>)>,
    per_account: Limiter<String>,
    per_ip: Limiter<IpAddr>,
    /// Addresses each account signed in from successfully, and when.
    known: Mutex<HashMap<String, Vec<(IpAddr, Timestamp)>>>,
    clock: Arc<dyn Clock>,
    checks: AtomicU64,
}

fn quota(burst: u32) -> Quota {
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    // `burst` attempts at once, refilled evenly over 15 minutes.
    Quota::with_period(Duration::from_secs(15 * 60) / burst.get())
        .unwrap_or_else(|| Quota::per_minute(burst))
        .allow_burst(burst)
}

/// The account as typed, so unknown accounts are throttled exactly like real ones.
fn account_key(account: &str) -> String {
    account
        .trim()
        .to_lowercase()
        .chars()
        .take(KEY_MAX_CHARS)
        .collect()
}

impl SignInThrottle {
    pub fn new(s: &AppSettings, clock: Arc<dyn Clock>) -> Self {
        let c = GovernorClock(clock.clone());
        Self {
            per_account_here: RateLimiter::new(
                quota(s.sign_in_attempts_per_account),
                DefaultKeyedStateStore::default(),
                c.clone(),
            ),
            per_account: RateLimiter::new(
                quota(
                    s.sign_in_attempts_per_account
                        .saturating_mul(EVERYWHERE_FACTOR),
                ),
                DefaultKeyedStateStore::default(),
                c.clone(),
            ),
            per_ip: RateLimiter::new(
                quota(s.sign_in_attempts_per_ip),
                DefaultKeyedStateStore::default(),
                c,
            ),
            known: Mutex::new(HashMap::new()),
            clock,
            checks: AtomicU64::new(0),
        }
    }

    /// Whether another attempt is allowed; counts the attempt either way.
    pub fn allow(&self, account: &str, ip: Option<IpAddr>) -> bool {
        self.tidy();
        let account = account_key(account);
        let ip_ok = ip.is_none_or(|ip| self.per_ip.check_key(&ip).is_ok());
        let here_ok = self
            .per_account_here
            .check_key(&(account.clone(), ip))
            .is_ok();
        let everywhere_ok = ip.is_some_and(|ip| self.is_known(&account, ip))
            || self.per_account.check_key(&account).is_ok();
        ip_ok && here_ok && everywhere_ok
    }

    /// Records a correct password from `ip`: the address becomes known for
    /// the account, so a flood from elsewhere does not keep its owner out.
    pub fn succeeded(&self, account: &str, ip: Option<IpAddr>) {
        let Some(ip) = ip else { return };
        let now = self.clock.now();
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        let list = known.entry(account_key(account)).or_default();
        list.retain(|(a, _)| *a != ip);
        list.push((ip, now));
        if list.len() > KNOWN_MAX {
            list.remove(0);
        }
    }

    fn is_known(&self, account: &str, ip: IpAddr) -> bool {
        let now = self.clock.now();
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        known.get(account).is_some_and(|list| {
            list.iter()
                .any(|(a, at)| *a == ip && now.duration_since(*at).unsigned_abs() < KNOWN_FOR)
        })
    }

    fn tidy(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % TIDY_EVERY != TIDY_EVERY - 1 {
            return;
        }
        self.per_account_here.retain_recent();
        self.per_account.retain_recent();
        self.per_ip.retain_recent();
        let now = self.clock.now();
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        known.retain(|_, list| {
            list.retain(|(_, at)| now.duration_since(*at).unsigned_abs() < KNOWN_FOR);
            !list.is_empty()
        });
    }
}

/// Abuse protection for the public referral form, without tracking: a few
/// drafts per IP address an hour, and a few sent referrals per contact
/// detail a day, so one person cannot flood triage (a clinic's shared
/// address still has room for many people).
pub(crate) struct ReferralThrottle {
    /// Tries at activation links, which must not become a way to ask about
    /// many email addresses (each link also counts its own refusals).
    activate_per_ip: Limiter<IpAddr>,
    start_per_ip: Limiter<IpAddr>,
    send_per_ip: Limiter<IpAddr>,
    send_per_contact: Limiter<String>,
}

fn per_period(burst: u32, period: Duration) -> Quota {
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period / burst.get())
        .unwrap_or_else(|| Quota::per_hour(burst))
        .allow_burst(burst)
}

impl ReferralThrottle {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        let c = GovernorClock(clock);
        let hour = Duration::from_secs(3600);
        Self {
            activate_per_ip: RateLimiter::new(
                per_period(20, hour),
                DefaultKeyedStateStore::default(),
                c.clone(),
            ),
            start_per_ip: RateLimiter::new(
                per_period(30, hour),
                DefaultKeyedStateStore::default(),
                c.clone(),
            ),
            send_per_ip: RateLimiter::new(
                per_period(20, hour),
                DefaultKeyedStateStore::default(),
                c.clone(),
            ),
            send_per_contact: RateLimiter::new(
                per_period(3, 24 * hour),
                DefaultKeyedStateStore::default(),
                c,
            ),
        }
    }

    pub fn allow_activation(&self, ip: Option<IpAddr>) -> bool {
        ip.is_none_or(|ip| self.activate_per_ip.check_key(&ip).is_ok())
    }

    pub fn allow_start(&self, ip: Option<IpAddr>) -> bool {
        ip.is_none_or(|ip| self.start_per_ip.check_key(&ip).is_ok())
    }

    pub fn allow_send(&self, contact: &str, ip: Option<IpAddr>) -> bool {
        let ip_ok = ip.is_none_or(|ip| self.send_per_ip.check_key(&ip).is_ok());
        let contact_ok = self
            .send_per_contact
            .check_key(&contact.trim().to_lowercase())
            .is_ok();
        ip_ok && contact_ok
    }
}
