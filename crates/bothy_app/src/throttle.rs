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
use bounded::{Bounded, Shared, address_key};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

mod bounded;

/// How many times the per-address limit an account gets across all
/// addresses not known for it.
const EVERYWHERE_FACTOR: u32 = 4;
/// How long a successful sign-in makes its address known for the account.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 86_400);
/// Addresses remembered per account (the most recent).
const KNOWN_MAX: usize = 8;
/// Forget known addresses past [`KNOWN_FOR`] every this many checks.
const TIDY_EVERY: u64 = 4096;
/// The longest account key kept (an email address is at most 254 characters).
const KEY_MAX_CHARS: usize = 254;
/// Addresses each limit holds at once (about 50 bytes each), and accounts as
/// typed (up to 254 characters each): together a few tens of MB at most.
const MAX_ADDRESSES: usize = 50_000;
const MAX_ACCOUNTS: usize = 20_000;
const FIFTEEN_MINUTES: Duration = Duration::from_secs(15 * 60);
const HOUR: Duration = Duration::from_secs(3600);

pub(crate) struct SignInThrottle {
    per_account_here: Bounded<(String, Option<IpAddr>)>,
    per_account: Bounded<String>,
    per_ip: Bounded<IpAddr>,
    /// Addresses each account signed in from successfully, and when.
    known: Mutex<HashMap<String, Vec<(IpAddr, Timestamp)>>>,
    clock: Arc<dyn Clock>,
    checks: AtomicU64,
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
            // Attempts on one account from one address, refilled over 15 minutes.
            per_account_here: Bounded::new(
                s.sign_in_attempts_per_account,
                FIFTEEN_MINUTES,
                MAX_ACCOUNTS,
                c.clone(),
            ),
            per_account: Bounded::new(
                s.sign_in_attempts_per_account
                    .saturating_mul(EVERYWHERE_FACTOR),
                FIFTEEN_MINUTES,
                MAX_ACCOUNTS,
                c.clone(),
            ),
            per_ip: Bounded::new(s.sign_in_attempts_per_ip, FIFTEEN_MINUTES, MAX_ADDRESSES, c),
            known: Mutex::new(HashMap::new()),
            clock,
            checks: AtomicU64::new(0),
        }
    }

    /// Whether another attempt is allowed; counts the attempt either way.
    pub fn allow(&self, account: &str, ip: Option<IpAddr>) -> bool {
        self.tidy();
        let account = account_key(account);
        let ip = ip.map(address_key);
        let ip_ok = ip.is_none_or(|ip| self.per_ip.check(&ip));
        let here_ok = self.per_account_here.check(&(account.clone(), ip));
        let everywhere_ok =
            ip.is_some_and(|ip| self.is_known(&account, ip)) || self.per_account.check(&account);
        ip_ok && here_ok && everywhere_ok
    }

    /// Records a correct password from `ip`: the address becomes known for
    /// the account, so a flood from elsewhere does not keep its owner out.
    pub fn succeeded(&self, account: &str, ip: Option<IpAddr>) {
        let Some(ip) = ip.map(address_key) else {
            return;
        };
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

    /// Known addresses grow only with correct passwords; forget old ones.
    fn tidy(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % TIDY_EVERY != TIDY_EVERY - 1 {
            return;
        }
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
/// address still has room for many people). Drafts started from all
/// addresses together are capped too, so a flood from many addresses cannot
/// fill the database: never-sent drafts are deleted when they expire.
pub(crate) struct ReferralThrottle {
    /// Tries at activation links, which must not become a way to ask about
    /// many email addresses (each link also counts its own refusals).
    activate_per_ip: Bounded<IpAddr>,
    start_per_ip: Bounded<IpAddr>,
    start_everywhere: Shared,
    send_per_ip: Bounded<IpAddr>,
    send_per_contact: Bounded<String>,
}

/// Self-referrals started per hour from all addresses together: far above
/// what the largest service receives (hundreds a day), and bounding the
/// drafts a flood can leave to this many an hour until they expire.
pub const REFERRAL_STARTS_PER_HOUR: u32 = 600;

impl ReferralThrottle {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        let c = GovernorClock(clock);
        Self {
            activate_per_ip: Bounded::new(20, HOUR, MAX_ADDRESSES, c.clone()),
            start_per_ip: Bounded::new(30, HOUR, MAX_ADDRESSES, c.clone()),
            start_everywhere: Shared::new(REFERRAL_STARTS_PER_HOUR, HOUR, c.clone()),
            send_per_ip: Bounded::new(20, HOUR, MAX_ADDRESSES, c.clone()),
            send_per_contact: Bounded::new(3, 24 * HOUR, MAX_ACCOUNTS, c),
        }
    }

    pub fn allow_activation(&self, ip: Option<IpAddr>) -> bool {
        ip.is_none_or(|ip| self.activate_per_ip.check(&address_key(ip)))
    }

    pub fn allow_start(&self, ip: Option<IpAddr>) -> bool {
        let ip_ok = ip.is_none_or(|ip| self.start_per_ip.check(&address_key(ip)));
        ip_ok && self.start_everywhere.check()
    }

    pub fn allow_send(&self, contact: &str, ip: Option<IpAddr>) -> bool {
        let ip_ok = ip.is_none_or(|ip| self.send_per_ip.check(&address_key(ip)));
        let contact_ok = self.send_per_contact.check(&account_key(contact));
        ip_ok && contact_ok
    }
}

/// Sessions a visitor gets before signing in (a form's CSRF token needs
/// one) are rows that anyone can make by loading a page. Each address may
/// make a few a minute (a shared address such as a university's has room
/// for many people), and all addresses together a bounded number: a flood
/// of page loads leaves at most that rate times the row lifetime, and a
/// visitor past the limit still gets the page, whose form then asks them to
/// try again.
pub const ANONYMOUS_SESSIONS_PER_ADDRESS: u32 = 120;
pub const ANONYMOUS_SESSIONS_PER_MINUTE: u32 = 3000;
const TEN_MINUTES: Duration = Duration::from_secs(600);

pub(crate) struct AnonymousSessions {
    per_ip: Bounded<IpAddr>,
    everywhere: Shared,
}

impl AnonymousSessions {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        let c = GovernorClock(clock);
        Self {
            per_ip: Bounded::new(
                ANONYMOUS_SESSIONS_PER_ADDRESS,
                TEN_MINUTES,
                MAX_ADDRESSES,
                c.clone(),
            ),
            everywhere: Shared::new(ANONYMOUS_SESSIONS_PER_MINUTE, Duration::from_secs(60), c),
        }
    }

    pub fn allow(&self, ip: Option<IpAddr>) -> bool {
        let ip_ok = ip.is_none_or(|ip| self.per_ip.check(&address_key(ip)));
        ip_ok && self.everywhere.check()
    }
}
