//! The two ways of applying load. Closed loop: each client sends its next
//! request when the last one is answered (throughput at a concurrency).
//! Open loop: requests are due at a fixed rate whatever the answers, spread
//! over the clients, and each latency counts from when the request was due,
//! so a server that falls behind is charged for the wait (no coordinated
//! omission).

use crate::clock;
use crate::stats::Samples;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// One simulated client: its own connection, session or database handle.
pub trait Client: Send + 'static {
    /// Sends request number `seq` of this client; true if it succeeded.
    fn call(&mut self, seq: u64) -> impl Future<Output = bool> + Send;
}

/// Runs every client as fast as it is answered for `duration`.
pub async fn closed_loop<C: Client>(clients: Vec<C>, duration: Duration) -> (Samples, Vec<C>) {
    let start = clock::now();
    let deadline = start + duration;
    let mut set = JoinSet::new();
    for (i, mut c) in clients.into_iter().enumerate() {
        set.spawn(async move {
            let mut s = Samples::default();
            let mut seq = 0;
            while clock::now() < deadline {
                let t = clock::now();
                let ok = c.call(seq).await;
                seq += 1;
                record(&mut s, ok, t.elapsed());
            }
            (i, s, c)
        });
    }
    finish(set, start).await
}

/// Sends `rate` requests a second for `duration`, request k on client
/// k mod n, each counted from when it was due. A server that falls far
/// behind is not waited for: requests still unsent at twice the duration
/// count as errors.
pub async fn open_loop<C: Client>(
    clients: Vec<C>,
    rate: f64,
    duration: Duration,
) -> (Samples, Vec<C>) {
    let start = clock::now();
    let n = clients.len().max(1) as u64;
    let total = (rate * duration.as_secs_f64()).round() as u64;
    let mut set = JoinSet::new();
    for (i, mut c) in clients.into_iter().enumerate() {
        set.spawn(async move {
            let mut s = Samples::default();
            let mut k = i as u64;
            let mut seq = 0;
            let give_up = start + 2 * duration;
            while k < total {
                if clock::now() > give_up {
                    s.errors += (total - k).div_ceil(n);
                    break;
                }
                let due = start + Duration::from_secs_f64(k as f64 / rate);
                tokio::time::sleep_until(due.into()).await;
                let ok = c.call(seq).await;
                seq += 1;
                record(&mut s, ok, due.elapsed());
                k += n;
            }
            (i, s, c)
        });
    }
    let (mut samples, clients) = finish(set, start).await;
    // The rate is over the whole duration, even when the last request due
    // was answered before it ended.
    samples.elapsed = samples.elapsed.max(duration);
    (samples, clients)
}

fn record(s: &mut Samples, ok: bool, latency: Duration) {
    if ok {
        s.latencies.push(latency);
    } else {
        s.errors += 1;
    }
}

async fn finish<C: Client>(
    mut set: JoinSet<(usize, Samples, C)>,
    start: Instant,
) -> (Samples, Vec<C>) {
    let mut parts = Vec::new();
    let mut clients = Vec::new();
    while let Some(done) = set.join_next().await {
        if let Ok((i, s, c)) = done {
            parts.push(s);
            clients.push((i, c));
        }
    }
    let elapsed = start.elapsed();
    clients.sort_by_key(|(i, _)| *i);
    (
        Samples::merge(parts, elapsed),
        clients.into_iter().map(|(_, c)| c).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter;
    impl Client for Counter {
        async fn call(&mut self, seq: u64) -> bool {
            tokio::time::sleep(Duration::from_millis(1)).await;
            seq % 10 != 9
        }
    }

    #[tokio::test]
    async fn open_loop_sends_at_the_rate() {
        let (s, clients) =
            open_loop(vec![Counter, Counter], 200.0, Duration::from_millis(100)).await;
        assert_eq!(clients.len(), 2);
        assert_eq!(s.latencies.len() as u64 + s.errors, 20);
    }

    #[tokio::test]
    async fn closed_loop_keeps_every_client_busy() {
        let (s, _) = closed_loop(vec![Counter, Counter, Counter], Duration::from_millis(50)).await;
        assert!(s.latencies.len() >= 3, "{s:?}");
    }
}
