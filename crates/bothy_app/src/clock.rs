//! The Clock port: the only place that reads the system time.

use bothy_domain::time::{Timestamp, at_storage_precision};
use std::sync::{Arc, Mutex};

/// Every clock answers in whole milliseconds, the precision both databases
/// store: a time rendered before it is stored (a create's response) then
/// reads back identical (the same resource read later).
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The real clock.
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // The one sanctioned read of the system clock.
    fn now(&self) -> Timestamp {
        at_storage_precision(Timestamp::now())
    }
}

/// A clock that moves only when told to, for tests and benchmarks.
#[derive(Clone)]
pub struct FakeClock(Arc<Mutex<Timestamp>>);

impl FakeClock {
    pub fn at(t: Timestamp) -> Self {
        Self(Arc::new(Mutex::new(t)))
    }

    pub fn advance(&self, by: std::time::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t = t.checked_add(by).unwrap_or(*t);
    }

    pub fn set(&self, to: Timestamp) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        at_storage_precision(*self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Adapts a [`Clock`] to governor's rate limiters so throttling follows the
/// same (possibly fake) time as everything else.
#[derive(Clone)]
pub struct GovernorClock(pub Arc<dyn Clock>);

impl governor::clock::Clock for GovernorClock {
    type Instant = std::time::Duration;
    fn now(&self) -> std::time::Duration {
        let t = self.0.now();
        std::time::Duration::from_nanos(u64::try_from(t.as_nanosecond()).unwrap_or(0))
    }
}
