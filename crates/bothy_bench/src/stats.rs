//! Latency summaries: percentiles by nearest rank over every sample kept.

use bothy_domain::alerts::percentile_nearest_rank;
use std::time::Duration;

/// What one measurement recorded: a latency per successful request, the
/// number of failures, and how long it ran.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    pub latencies: Vec<Duration>,
    pub errors: u64,
    pub elapsed: Duration,
}

impl Samples {
    pub fn merge(parts: impl IntoIterator<Item = Samples>, elapsed: Duration) -> Samples {
        let mut all = Samples {
            elapsed,
            ..Samples::default()
        };
        for p in parts {
            all.latencies.extend(p.latencies);
            all.errors += p.errors;
        }
        all
    }

    pub fn summary(&self) -> Summary {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let secs = self.elapsed.as_secs_f64();
        Summary {
            requests: sorted.len() as u64,
            errors: self.errors,
            throughput: if secs > 0.0 {
                sorted.len() as f64 / secs
            } else {
                0.0
            },
            p50: nearest_rank(&sorted, 50),
            p95: nearest_rank(&sorted, 95),
            p99: nearest_rank(&sorted, 99),
        }
    }
}

/// Successful requests per second and latency percentiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub requests: u64,
    pub errors: u64,
    pub throughput: f64,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
}

/// The nearest-rank percentile (the alert-load statistics' rule); zero for
/// no samples.
pub fn nearest_rank(sorted: &[Duration], percent: u32) -> Duration {
    percentile_nearest_rank(sorted, percent).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn percentiles_are_by_nearest_rank() {
        let s = ms(&[15, 20, 35, 40, 50]);
        assert_eq!(nearest_rank(&s, 30), Duration::from_millis(20));
        assert_eq!(nearest_rank(&s, 40), Duration::from_millis(20));
        assert_eq!(nearest_rank(&s, 50), Duration::from_millis(35));
        assert_eq!(nearest_rank(&s, 100), Duration::from_millis(50));
        assert_eq!(nearest_rank(&s, 0), Duration::from_millis(15));
        assert_eq!(nearest_rank(&[], 99), Duration::ZERO);
        let hundred: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(nearest_rank(&hundred, 99), Duration::from_millis(99));
        assert_eq!(nearest_rank(&hundred, 95), Duration::from_millis(95));
    }

    #[test]
    fn summary_counts_successes_per_second() {
        let s = Samples {
            latencies: ms(&[1, 2, 3, 4]),
            errors: 1,
            elapsed: Duration::from_secs(2),
        };
        let sum = s.summary();
        assert_eq!((sum.requests, sum.errors, sum.throughput), (4, 1, 2.0));
        assert_eq!(sum.p50, Duration::from_millis(2));
    }
}
