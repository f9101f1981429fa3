//! The benchmark's one clock read. Bothy reads time only through
//! `bothy_app::Clock`; measuring elapsed time is the exception clippy's
//! `disallowed-methods` allows when marked, as for the metrics' durations.

use std::time::Instant;

#[allow(clippy::disallowed_methods)]
// Measuring durations for the benchmark's report; not the application clock.
pub fn now() -> Instant {
    Instant::now()
}
