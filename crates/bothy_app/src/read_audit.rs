//! Group commit for reads' audit events. A read may return patient data
//! only after its audit events are durable, so each read commits them in
//! a write transaction after its snapshot. Reads arriving together may
//! share one: each request queues its events and waits; while fewer
//! writers than the store allows (`Store::audit_writers`) are at work, it
//! starts another, which writes everything queued in one transaction (one
//! statement), answers every waiter after the commit, and goes round again
//! while more arrived meanwhile. Nothing is acknowledged before the commit
//! that holds it, so the guarantee is unchanged.
//!
//! On SQLite one writer at a time: commits take turns on the one write
//! connection anyway, each syncing the disk, so a batch makes one sync
//! serve every read queued behind it. On PostgreSQL no limit, so each read
//! starts its own commit at once, as before: concurrent commits already
//! share the log's flushes there, and a cap (one writer, then four) made
//! each read wait for the batch in flight, which measured slower (W4).
//!
//! A batch that fails answers its waiters so, and each then commits its own
//! events alone: a request gets its own error (the database gone, say),
//! and one bad event fails only its own request. (A batch whose commit
//! succeeded but whose answer was lost on the way back is then recorded
//! twice: the trail may hold more than happened, never less.)

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
    /// The most tasks writing batches at once.
    writers: usize,
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Waiter>,
    /// How many tasks are writing batches; each leaves when it finds none
    /// queued.
    writers: usize,
}

struct Waiter {
    records: Vec<AuditRecord>,
    /// Told whether the batch holding these records committed.
    committed: oneshot::Sender<bool>,
}

impl Shared {
    /// The queue, even after a panic elsewhere left its lock poisoned: the
    /// waiting list and the count of writers stay consistent at every step.
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ReadAudit {
    pub(crate) fn new(store: Store) -> Self {
        Self {
            shared: Arc::new(Shared {
                writers: store.audit_writers(),
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
            let start = queue.writers < self.shared.writers;
            if start {
                queue.writers += 1;
            }
            start
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
                    queue.writers -= 1;
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
    /// down, or it panicked): its place is free for the next request, and
    /// those queued now, their answers dropped, commit their own events.
    fn drop(&mut self) {
        if !self.done {
            let mut queue = self.shared.queue();
            queue.writers -= 1;
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
