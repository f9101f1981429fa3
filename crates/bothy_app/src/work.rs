//! An audited unit of work: who is acting, for which request, on one
//! transaction, with the patient policy and the audit trail built in.
//!
//! A use case opens one with [`App::change`] (a write transaction: the
//! change, its audit events and any job it causes commit together) or
//! [`App::look`] (a snapshot for reading, or [`App::glance`] where each
//! statement may see the latest commit; their audit events are held and
//! committed by [`Work::finish`] (`read_audit`: on SQLite with other reads'
//! in one short write transaction, on PostgreSQL in one statement on the
//! read's own connection) before the caller returns anything it read,
//! so no patient data leaves without its durable record and no read holds
//! the write lock). [`Work::patient`] loads a record only if the actor may see
//! it, and answers a record that is missing and one that is not theirs
//! alike, with `NotFound`.

use crate::policy::can_view_patient;
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::model::Patient;
use bothy_store::Tx;

pub(crate) struct Work<'a> {
    app: &'a App,
    actor: &'a Actor,
    ctx: &'a RequestContext,
    tx: Tx,
    /// A read's audit events, held until `finish`; empty for a write.
    held: Vec<AuditEvent<'a>>,
    writes: bool,
}

impl App {
    /// A unit of work that changes records.
    pub(crate) async fn change<'a>(
        &'a self,
        actor: &'a Actor,
        ctx: &'a RequestContext,
    ) -> Result<Work<'a>, AppError> {
        Ok(Work::new(
            self,
            (actor, ctx),
            self.store.begin().await?,
            true,
        ))
    }

    /// A unit of work that only reads, from one consistent snapshot.
    pub(crate) async fn look<'a>(
        &'a self,
        actor: &'a Actor,
        ctx: &'a RequestContext,
    ) -> Result<Work<'a>, AppError> {
        Ok(Work::new(
            self,
            (actor, ctx),
            self.store.read().await?,
            false,
        ))
    }

    /// A unit of work that only reads, each statement seeing the latest
    /// commit: for a read whose statements need not agree with each other,
    /// without the round trips of a snapshot's `BEGIN` and `ROLLBACK`.
    pub(crate) async fn glance<'a>(
        &'a self,
        actor: &'a Actor,
        ctx: &'a RequestContext,
    ) -> Result<Work<'a>, AppError> {
        Ok(Work::new(
            self,
            (actor, ctx),
            self.store.reader().await?,
            false,
        ))
    }
}

impl<'a> Work<'a> {
    fn new(
        app: &'a App,
        (actor, ctx): (&'a Actor, &'a RequestContext),
        tx: Tx,
        writes: bool,
    ) -> Self {
        Work {
            app,
            actor,
            ctx,
            tx,
            held: Vec::new(),
            writes,
        }
    }

    pub(crate) fn tx(&mut self) -> &mut Tx {
        &mut self.tx
    }

    /// Who is acting, for which request: for a part of the use case that
    /// needs them beside the transaction (the detectors).
    pub(crate) fn who(&self) -> (&'a Actor, &'a RequestContext) {
        (self.actor, self.ctx)
    }

    /// The patient, if the actor may see their record.
    pub(crate) async fn patient(&mut self, id: PatientId) -> Result<Patient, AppError> {
        self.patient_if(id, can_view_patient).await
    }

    /// The patient, if `allowed` lets the actor at them.
    pub(crate) async fn patient_if(
        &mut self,
        id: PatientId,
        allowed: impl Fn(&Actor, &Patient) -> bool,
    ) -> Result<Patient, AppError> {
        self.tx
            .patient(id)
            .await?
            .filter(|p| allowed(self.actor, p))
            .ok_or(AppError::NotFound)
    }

    /// Records what was done: in the transaction for a write, held until
    /// [`Work::finish`] for a read.
    pub(crate) async fn audit(&mut self, event: AuditEvent<'a>) -> Result<(), AppError> {
        if self.writes {
            self.app
                .audit(&mut self.tx, self.actor, self.ctx, event)
                .await
        } else {
            self.held.push(event);
            Ok(())
        }
    }

    /// Commits a write; ends a read's snapshot and commits its audit events.
    pub(crate) async fn finish(self) -> Result<(), AppError> {
        if self.writes {
            self.tx.commit().await?;
            return Ok(());
        }
        // A read writes no record, so its events carry no record's digest.
        let records = self
            .held
            .into_iter()
            .map(|event| self.app.audit_record(self.actor, self.ctx, event, None))
            .collect();
        self.app.read_audit.end(self.tx, records).await
    }
}
