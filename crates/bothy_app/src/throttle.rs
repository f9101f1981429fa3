//! Sign-in throttling per account and per IP address (governor's GCRA),
//! on the application clock. Limits are per process: with several servers
//! an attacker gets a multiple, still far too few attempts to guess a password.

use crate::AppSettings;
use crate::clock::{Clock, GovernorClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

type Limiter<K> =
    RateLimiter<K, DefaultKeyedStateStore<K>, GovernorClock, NoOpMiddleware<Duration>>;

pub(crate) struct SignInThrottle {
    per_account: Limiter<String>,
    per_ip: Limiter<IpAddr>,
}

fn quota(burst: u32) -> Quota {
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    // `burst` attempts at once, refilled evenly over 15 minutes.
    Quota::with_period(Duration::from_secs(15 * 60) / burst.get())
        .unwrap_or_else(|| Quota::per_minute(burst))
        .allow_burst(burst)
}

impl SignInThrottle {
    pub fn new(s: &AppSettings, clock: Arc<dyn Clock>) -> Self {
        let c = GovernorClock(clock);
        Self {
            per_account: RateLimiter::new(
                quota(s.sign_in_attempts_per_account),
                DefaultKeyedStateStore::default(),
                c.clone(),
            ),
            per_ip: RateLimiter::new(
                quota(s.sign_in_attempts_per_ip),
                DefaultKeyedStateStore::default(),
                c,
            ),
        }
    }

    /// Whether another attempt is allowed; counts the attempt either way.
    /// The account key is whatever was typed, so unknown accounts are
    /// throttled exactly like real ones.
    pub fn allow(&self, account: &str, ip: Option<IpAddr>) -> bool {
        let ip_ok = ip.is_none_or(|ip| self.per_ip.check_key(&ip).is_ok());
        let account_ok = self
            .per_account
            .check_key(&account.trim().to_lowercase())
            .is_ok();
        ip_ok && account_ok
    }
}

/// Abuse protection for the public referral form, without tracking: a few
/// drafts per IP address an hour, and a few sent referrals per contact
/// detail a day, so one person cannot flood triage (a clinic's shared
/// address still has room for many people).
pub(crate) struct ReferralThrottle {
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
