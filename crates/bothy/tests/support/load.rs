//! A steady load of mood check-ins from a few patients, one task each. A
//! check-in counts as acknowledged only when the server answered 303 (the
//! redirect that follows a stored check-in); each carries a unique key, and
//! its note carries the same key as a marker. Every fourth note has risk
//! words, so an alert is due. Anything else (refused connections while the
//! server is down, 503s while the database is) is counted, never retried
//! with the same key, so nothing unacknowledged is mistaken for lost.

use bothy_bench::writes::Patient;
use bothy_domain::PatientId;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Words the lexicon flags (content/risk-lexicon-phrases.toml).
pub const RISK_WORDS: &str = "I want to die";

#[derive(Debug, Clone)]
pub struct Ack {
    pub patient: PatientId,
    pub key: String,
    pub risky: bool,
    pub at: Instant,
}

/// What every answer other than an acknowledgement was.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: Option<u16>,
    /// The page had the crisis panel (999 and Samaritans).
    pub crisis_panel: bool,
    pub at: Instant,
}

#[derive(Default)]
pub struct Record {
    pub acks: Mutex<Vec<Ack>>,
    pub refusals: Mutex<Vec<Refusal>>,
}

pub struct Load {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    pub record: Arc<Record>,
}

pub fn note(key: &str, risky: bool) -> String {
    if risky {
        format!("marker {key}. {RISK_WORDS}")
    } else {
        format!("marker {key}")
    }
}

impl Load {
    /// Signs each patient in and starts their task; `tag` keeps keys of
    /// different runs apart.
    pub async fn start(addr: SocketAddr, patients: &[(PatientId, String)], tag: &str) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let record = Arc::new(Record::default());
        let mut tasks = Vec::new();
        for (i, (id, email)) in patients.iter().enumerate() {
            let mut p = Patient::sign_in(
                addr,
                None,
                email,
                bothy_bench::seed::PASSWORD,
                format!("{tag}-p{i}"),
            )
            .await
            .expect("patient sign-in");
            let (stop, record, id) = (stop.clone(), record.clone(), *id);
            tasks.push(tokio::spawn(async move {
                let mut seq = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    seq += 1;
                    let key = format!("{}-{seq}", p.tag);
                    let risky = seq.is_multiple_of(4);
                    let note = note(&key, risky);
                    let answer = p
                        .conn
                        .post_form(
                            "/check-in",
                            &[("mood", "5"), ("note", &note), ("key", &key)],
                        )
                        .await;
                    let at = super::now();
                    match answer {
                        Ok(a) if a.status.as_u16() == 303 => {
                            record.acks.lock().unwrap().push(Ack {
                                patient: id,
                                key,
                                risky,
                                at,
                            })
                        }
                        Ok(a) => {
                            let body = String::from_utf8_lossy(&a.body);
                            record.refusals.lock().unwrap().push(Refusal {
                                status: Some(a.status.as_u16()),
                                crisis_panel: body.contains("id=\"crisis\"")
                                    && body.contains("tel:999")
                                    && body.contains("tel:116123"),
                                at,
                            });
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        Err(_) => {
                            record.refusals.lock().unwrap().push(Refusal {
                                status: None,
                                crisis_panel: false,
                                at,
                            });
                            // The server is down: try again shortly, with a new key.
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
            }));
        }
        Load {
            stop,
            tasks,
            record,
        }
    }

    pub fn acked(&self) -> usize {
        self.record.acks.lock().unwrap().len()
    }

    /// Waits until `n` more submissions are acknowledged (or `limit` passes).
    pub async fn wait_for_more(&self, n: usize, limit: Duration) {
        let want = self.acked() + n;
        let start = super::now();
        while self.acked() < want && start.elapsed() < limit {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub async fn stop(self) -> Arc<Record> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            let _ = t.await;
        }
        self.record
    }
}
