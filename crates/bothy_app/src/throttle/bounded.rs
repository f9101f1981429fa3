//! A keyed rate limit whose memory is bounded whatever arrives: anonymous
//! requests choose their keys (addresses, typed account names), so a flood
//! from many addresses must not grow the server without limit.
//!
//! Keys whose limits have refilled are forgotten regularly. When the table
//! is still full, every key not in it shares one overflow limit instead: a
//! flood from more addresses than the table holds is slowed as one, at a
//! cost to new people during it (they see the 429 page, with the crisis
//! contacts), while memory stays flat.

use crate::clock::GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, GovernorClock, NoOpMiddleware<Duration>>;
type Direct = RateLimiter<NotKeyed, InMemoryState, GovernorClock, NoOpMiddleware<Duration>>;

/// Forget refilled keys every this many checks (and whenever the table is full,
/// at most this often), so tidying stays a small share of the work.
const TIDY_EVERY: u64 = 4096;
/// How many times one key's allowance the overflow limit allows, for all of
/// the keys that did not fit.
const OVERFLOW_FACTOR: u32 = 10;

/// `burst` at once, refilled evenly over `period`.
pub(crate) fn quota(burst: u32, period: Duration) -> Quota {
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period / burst.get())
        .unwrap_or_else(|| Quota::per_hour(burst))
        .allow_burst(burst)
}

/// The key an address is limited by. An IPv6 host is usually given a whole
/// /64 and can pick any address in it, so the /64 is what identifies it.
pub(crate) fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// One limit for everyone, such as all self-referrals started.
pub(crate) struct Shared(Direct);

impl Shared {
    pub fn new(burst: u32, period: Duration, clock: GovernorClock) -> Self {
        Self(RateLimiter::direct_with_clock(quota(burst, period), clock))
    }

    pub fn check(&self) -> bool {
        self.0.check().is_ok()
    }
}

pub(crate) struct Bounded<K: Hash + Eq + Clone> {
    keyed: Keyed<K>,
    overflow: Shared,
    max_keys: usize,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> Bounded<K> {
    /// At most `max_keys` keys, each allowed `burst` per `period`.
    pub fn new(burst: u32, period: Duration, max_keys: usize, clock: GovernorClock) -> Self {
        Self {
            keyed: RateLimiter::new(
                quota(burst, period),
                DefaultKeyedStateStore::default(),
                clock.clone(),
            ),
            overflow: Shared::new(burst.saturating_mul(OVERFLOW_FACTOR), period, clock),
            max_keys,
            checks: AtomicU64::new(0),
        }
    }

    /// Whether another request under `key` is allowed; counts it either way.
    pub fn check(&self, key: &K) -> bool {
        let n = self.checks.fetch_add(1, Ordering::Relaxed);
        let tidy_now = n % TIDY_EVERY == TIDY_EVERY - 1;
        if tidy_now {
            self.keyed.retain_recent();
        }
        if self.keyed.len() < self.max_keys {
            return self.keyed.check_key(key).is_ok();
        }
        self.overflow.check()
    }

    /// Keys held now (for tests and the memory bound).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.keyed.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FakeClock};
    use std::sync::Arc;

    fn limiter(max_keys: usize) -> (FakeClock, Bounded<IpAddr>) {
        let clock =
            FakeClock::at(bothy_domain::time::Timestamp::from_second(1_800_000_000).unwrap());
        let c: Arc<dyn Clock> = Arc::new(clock.clone());
        let b = Bounded::new(2, Duration::from_secs(3600), max_keys, GovernorClock(c));
        (clock, b)
    }

    fn v4(n: u32) -> IpAddr {
        IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n))
    }

    #[test]
    fn each_key_has_its_own_allowance() {
        let (_, b) = limiter(100);
        assert!(b.check(&v4(1)) && b.check(&v4(1)));
        assert!(!b.check(&v4(1)), "the third within the hour is refused");
        assert!(b.check(&v4(2)), "another address is not affected");
    }

    #[test]
    fn a_flood_from_many_addresses_holds_the_table_and_shares_one_overflow() {
        let (_, b) = limiter(1000);
        let allowed = (0..50_000u32).filter(|n| b.check(&v4(*n))).count();
        assert!(b.len() <= 1000, "table held at {} keys", b.len());
        // The first 1000 addresses get their own allowance (2 each), the
        // other 49,000 share the overflow's 20.
        assert_eq!(allowed, 1000 + 20);
    }

    #[test]
    fn refilled_keys_are_forgotten_so_the_table_frees_up() {
        let (clock, b) = limiter(1000);
        for n in 0..1000 {
            b.check(&v4(n));
        }
        assert_eq!(b.len(), 1000);
        clock.advance(Duration::from_secs(2 * 3600));
        for n in 0..TIDY_EVERY as u32 {
            b.check(&v4(5000 + n % 10));
        }
        assert!(b.len() <= 10 + 1, "left {} keys", b.len());
    }

    #[test]
    fn an_ipv6_host_is_its_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap();
        assert_eq!(address_key(mapped), "10.0.0.7".parse::<IpAddr>().unwrap());
        assert_eq!(address_key(v4(7)), v4(7));
    }
}
