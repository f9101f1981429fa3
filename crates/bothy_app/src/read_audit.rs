//! Group commit for reads' audit events. A read may return patient data
//! only after its audit events are durable, so each read commits them
//! after its snapshot, before it answers.
//!
//! On SQLite, where commits take turns on the one write connection and
//! each syncs the disk, reads share commits (`Store::audit_group_commit`):
//! a read queues its events and, unless a writer is already gathering,
//! starts one. The gatherer first waits for the write connection, and only
//! once it holds it takes everything queued (every read that arrived while
//! it waited, behind other writes), writes it in one statement, commits and
//! answers each waiter. Reads arriving during that commit start the next
//! gatherer, so a read waits for one turn of the connection and one
//! commit, as it would alone, never for a batch already being written.
//! Nothing is acknowledged before the commit that holds it, so the
//! guarantee is unchanged.
//!
//! On PostgreSQL each read commits its own events at once, in one
//! statement in autocommit on the read's own connection once its snapshot
//! has ended (`Store::end_read_and_append_audit`): concurrent commits
//! already share the log's flushes there, and making reads wait for one
//! another measured slower (W4).
//!
//! A batch that fails answers its waiters so, and each then commits its own
//! events alone: a request gets its own error (the database gone, say),
//! and one bad event fails only its own request. (A batch whose commit
//! succeeded but whose answer was lost on the way back is then recorded
//! twice: the trail may hold more than happened, never less.)

use crate::AppError;
use bothy_domain::audit::AuditRecord;
use bothy_store::{Store, Tx};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;

/// The most events one batch's transaction writes; more wait for the next.
const MOST_EVENTS: usize = 1_000;

pub(crate) struct ReadAudit {
    shared: Arc<Shared>,
}

struct Shared {
    store: Store,
    /// Whether reads share commits; if not, each commits its own.
    group: bool,
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Waiter>,
    /// Whether a writer is waiting for the write connection and will take
    /// everything queued when it has it.
    gathering: bool,
}

struct Waiter {
    records: Vec<AuditRecord>,
    /// Told whether the batch holding these records committed.
    committed: oneshot::Sender<bool>,
}

impl Shared {
    /// The queue, even after a panic elsewhere left its lock poisoned: the
    /// waiting list and the gathering flag stay consistent at every step.
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ReadAudit {
    pub(crate) fn new(store: Store) -> Self {
        Self {
            shared: Arc::new(Shared {
                group: store.audit_group_commit(),
                store,
                queue: Mutex::new(Queue::default()),
            }),
        }
    }

    /// Ends `read`, and returns once `records` are committed (as
    /// [`ReadAudit::commit`]; on PostgreSQL on `read`'s own connection when
    /// it has no snapshot to end).
    pub(crate) async fn end(&self, read: Tx, records: Vec<AuditRecord>) -> Result<(), AppError> {
        if !self.shared.group {
            return Ok(self
                .shared
                .store
                .end_read_and_append_audit(read, &records)
                .await?);
        }
        read.rollback().await?;
        self.commit(records).await
    }

    /// Returns once `records` are committed, with other reads' events or,
    /// if their batch failed, alone.
    pub(crate) async fn commit(&self, records: Vec<AuditRecord>) -> Result<(), AppError> {
        if records.is_empty() {
            return Ok(());
        }
        if !self.shared.group {
            return Ok(self.shared.store.append_audit(&records).await?);
        }
        let (committed, answer) = oneshot::channel();
        let start = {
            let mut queue = self.shared.queue();
            queue.waiting.push(Waiter {
                records: records.clone(),
                committed,
            });
            !std::mem::replace(&mut queue.gathering, true)
        };
        if start {
            Gatherer::spawn(self.shared.clone());
        }
        if answer.await == Ok(true) {
            return Ok(());
        }
        Ok(self.shared.store.append_audit(&records).await?)
    }
}

/// The task that takes the write connection, then the queue, and commits
/// one batch.
struct Gatherer {
    shared: Arc<Shared>,
    /// Still gathering: has not yet taken its batch.
    gathering: bool,
}

impl Gatherer {
    /// A task of its own: a request that goes away while its batch is being
    /// written does not stop the others' commit.
    fn spawn(shared: Arc<Shared>) {
        let gatherer = Gatherer {
            shared,
            gathering: true,
        };
        tokio::spawn(gatherer.run());
    }

    async fn run(mut self) {
        let tx = self.shared.store.begin().await;
        let batch = self.take();
        let records: Vec<AuditRecord> = batch
            .iter()
            .flat_map(|w| w.records.iter().cloned())
            .collect();
        let outcome = match tx {
            Ok(tx) => write_in(tx, &records).await,
            Err(e) => Err(e.into()),
        };
        if let Err(e) = &outcome {
            tracing::warn!(error = %e, events = records.len(), "a batch of reads' audit events failed; each read commits its own");
        }
        for waiter in batch {
            // A waiter that went away needs no answer.
            let _ = waiter.committed.send(outcome.is_ok());
        }
    }

    /// The oldest waiters whose events fit in one batch (at least one); if
    /// any are left, the next gatherer starts for them.
    fn take(&mut self) -> Vec<Waiter> {
        let mut queue = self.shared.queue();
        self.gathering = false;
        let mut events = 0;
        let fit = queue
            .waiting
            .iter()
            .take_while(|w| {
                events += w.records.len();
                events <= MOST_EVENTS
            })
            .count()
            .max(1)
            .min(queue.waiting.len());
        let batch: Vec<Waiter> = queue.waiting.drain(..fit).collect();
        queue.gathering = !queue.waiting.is_empty();
        if queue.gathering {
            Gatherer::spawn(self.shared.clone());
        }
        batch
    }
}

impl Drop for Gatherer {
    /// A gatherer stopped before it took its batch (its runtime shut down,
    /// or it panicked): the next request starts another, and those queued
    /// now, their answers dropped, commit their own events.
    fn drop(&mut self) {
        if self.gathering {
            let mut queue = self.shared.queue();
            queue.gathering = false;
            queue.waiting.clear();
        }
    }
}

async fn write_in(mut tx: Tx, records: &[AuditRecord]) -> Result<(), AppError> {
    tx.audit_all(records).await?;
    tx.commit().await?;
    Ok(())
}
