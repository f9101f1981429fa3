//! Group commit of the audit events of reads.
//!
//! A read must not return patient data before its audit event is durable,
//! so every read used to end with a write transaction of its own: one
//! commit, one fsync, per page view. Under load that commit is most of a
//! read's cost (W3, W4). Here the events of reads that finish at about the
//! same time are written in one transaction by one task: each read sends
//! its events and waits for the commit that holds them, so the guarantee
//! is unchanged (nothing is answered before its event is durable) while
//! many reads share an fsync. A write's events stay in its own transaction.
//!
//! The writer starts on first use, on the runtime of that use. If it is
//! gone (its runtime ended while the `App` lives on), a read writes its
//! events itself, as before.

use crate::AppError;
use bothy_domain::audit::AuditRecord;
use bothy_store::Store;
use std::sync::OnceLock;
use tokio::sync::{mpsc, oneshot};

/// Reads' events written in one transaction at most.
const MOST_PER_COMMIT: usize = 512;

type Done = oneshot::Sender<Result<(), String>>;

/// The writer of reads' audit events.
pub(crate) struct ReadAudits {
    store: Store,
    writer: OnceLock<mpsc::UnboundedSender<(Vec<AuditRecord>, Done)>>,
}

impl ReadAudits {
    pub(crate) fn new(store: Store) -> Self {
        Self {
            store,
            writer: OnceLock::new(),
        }
    }

    /// Writes `records` durably, with whatever other reads' events are
    /// waiting, and returns once they are committed.
    pub(crate) async fn write(&self, records: Vec<AuditRecord>) -> Result<(), AppError> {
        let writer = self.writer.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(run(self.store.clone(), rx));
            tx
        });
        let (done, committed) = oneshot::channel();
        if let Err(mpsc::error::SendError((records, _))) = writer.send((records, done)) {
            return write_alone(&self.store, &records).await;
        }
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(AppError::internal(std::io::Error::other(e))),
            // The writer's runtime ended with the batch in hand: whether it
            // was committed is unknown, so the read fails rather than answer.
            Err(_) => Err(AppError::internal(std::io::Error::other(
                "the audit writer stopped before committing",
            ))),
        }
    }
}

async fn write_alone(store: &Store, records: &[AuditRecord]) -> Result<(), AppError> {
    let mut tx = store.begin().await?;
    for r in records {
        tx.audit(r).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Takes what is waiting (at least one read's events), writes it in one
/// transaction and tells every read the outcome.
async fn run(store: Store, mut rx: mpsc::UnboundedReceiver<(Vec<AuditRecord>, Done)>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let mut events = batch[0].0.len();
        while events < MOST_PER_COMMIT {
            match rx.try_recv() {
                Ok(more) => {
                    events += more.0.len();
                    batch.push(more);
                }
                Err(_) => break,
            }
        }
        let records: Vec<AuditRecord> = batch.iter_mut().flat_map(|(r, _)| r.drain(..)).collect();
        let outcome = write_alone(&store, &records)
            .await
            .map_err(|e| e.to_string());
        for (_, done) in batch {
            // A read that gave up waiting is no longer listening.
            let _ = done.send(outcome.clone());
        }
    }
}
