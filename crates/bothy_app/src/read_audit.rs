//! Group commit for reads' audit events. A read may return patient data
//! only after its audit events are durable, so each read used to commit a
//! write transaction of its own: three round trips and a wait for the
//! disk per page. Reads arriving together now share one: each request
//! queues its events and waits; the first to find no commit under way
//! starts a task that writes everything queued in one transaction (one
//! statement), answers every waiter after the commit, and goes round again
//! while more arrived meanwhile. Nothing is acknowledged before the commit
//! that holds it, so the guarantee is unchanged.
//!
//! A batch that fails answers its waiters so, and each then commits its own
//! events alone: a request gets its own error (the database gone, say),
//! and one bad event fails only its own request.

use crate::AppError;
use bothy_domain::audit::AuditRecord;
use bothy_store::Store;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;

/// The most events one batch's transaction writes; more wait for the next.
const MOST_EVENTS: usize = 1_000;

pub(crate) struct ReadAudit {
    shared: Arc<Shared>,
}

struct Shared {
    store: Store,
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Waiter>,
    /// Whether a task is writing batches; cleared when it finds none queued.
    writing: bool,
}

struct Waiter {
    records: Vec<AuditRecord>,
    /// Told whether the batch holding these records committed.
    committed: oneshot::Sender<bool>,
}

impl Shared {
    /// The queue, even after a panic elsewhere left its lock poisoned: a
    /// queue of events and a flag stay consistent at every step.
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ReadAudit {
    pub(crate) fn new(store: Store) -> Self {
        Self {
            shared: Arc::new(Shared {
                store,
                queue: Mutex::new(Queue::default()),
            }),
        }
    }

    /// Returns once `records` are committed, with other reads' events or,
    /// if their batch failed, alone.
    pub(crate) async fn commit(&self, records: Vec<AuditRecord>) -> Result<(), AppError> {
        if records.is_empty() {
            return Ok(());
        }
        let (committed, answer) = oneshot::channel();
        let start = {
            let mut queue = self.shared.queue();
            queue.waiting.push(Waiter {
                records: records.clone(),
                committed,
            });
            !std::mem::replace(&mut queue.writing, true)
        };
        if start {
            let writer = Writer {
                shared: self.shared.clone(),
                done: false,
            };
            // A task of its own: a request that goes away while its batch
            // is being written does not stop the others' commit.
            tokio::spawn(writer.run());
        }
        if answer.await == Ok(true) {
            return Ok(());
        }
        write(&self.shared.store, &records).await
    }
}

/// The task writing batches while events are queued.
struct Writer {
    shared: Arc<Shared>,
    done: bool,
}

impl Writer {
    async fn run(mut self) {
        loop {
            let batch = {
                let mut queue = self.shared.queue();
                if queue.waiting.is_empty() {
                    queue.writing = false;
                    self.done = true;
                    return;
                }
                take_batch(&mut queue.waiting)
            };
            let records: Vec<AuditRecord> = batch
                .iter()
                .flat_map(|w| w.records.iter().cloned())
                .collect();
            let committed = match write(&self.shared.store, &records).await {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(error = %e, events = records.len(), "a batch of reads' audit events failed; each read commits its own");
                    false
                }
            };
            for waiter in batch {
                // A waiter that went away needs no answer.
                let _ = waiter.committed.send(committed);
            }
        }
    }
}

impl Drop for Writer {
    /// A writer stopped before it found the queue empty (its runtime shut
    /// down, or it panicked): the next request starts another, and those
    /// queued now, their answers dropped, commit their own events.
    fn drop(&mut self) {
        if !self.done {
            let mut queue = self.shared.queue();
            queue.writing = false;
            queue.waiting.clear();
        }
    }
}

/// The oldest waiters whose events fit in one batch (at least one).
fn take_batch(waiting: &mut Vec<Waiter>) -> Vec<Waiter> {
    let mut events = 0;
    let fit = waiting
        .iter()
        .take_while(|w| {
            events += w.records.len();
            events <= MOST_EVENTS
        })
        .count()
        .max(1);
    waiting.drain(..fit).collect()
}

async fn write(store: &Store, records: &[AuditRecord]) -> Result<(), AppError> {
    let mut tx = store.begin().await?;
    tx.audit_all(records).await?;
    tx.commit().await?;
    Ok(())
}
