//! FHIR Bulk Data export (`$export`) for an API client holding
//! `patient.read`: every Patient, QuestionnaireResponse and Observation of
//! the client's own service, whichever level (system, the service's Group,
//! Patient) the client asked at, since in Bothy every record belongs to a
//! patient of one service.
//!
//! The kick-off stores the request and queues a [`Job::BulkExport`] in one
//! transaction, with its audit event. The job pages through the records
//! with the keyset reads FHIR search uses (`bothy_store`'s `fhir_search`),
//! a page at a time in a snapshot of its own, maps each with the same
//! `bothy_fhir` mappers as search, and writes NDJSON files of at most
//! [`FILE_RESOURCES`] resources as rows of `bulk_export_files`: memory holds
//! one page and one file, whatever the service's size. Each file is written
//! with a guarded progress update (`WHERE status = 'running'`), so a cancel
//! (the client's DELETE removes the export) stops the job at its next file.
//! Only records stored before the kick-off (its `transactionTime`) are
//! written, so the files are one consistent cut however long the job runs.
//!
//! Files are kept for [`FILE_LIFETIME`] after the export completes, then
//! removed by housekeeping. Each download is an audited read naming the
//! file, its type and how many resources it held.

use crate::jobs::{IdempotencyKey, Job};
use crate::policy::ApiActor;
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::role::ApiPermission;
use bothy_domain::time::Timestamp;
use bothy_store::{BulkExport, BulkFile, PatientSearch, ResponseOrder, ResponseSearch};
use serde_json::Value;
use std::time::Duration;

/// Resources in one NDJSON file at most.
pub const FILE_RESOURCES: usize = 1000;

/// Rows read per page.
const PAGE: i64 = 200;

/// How long a complete export's files are kept.
pub const FILE_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Exports whose files are removed per housekeeping pass at most.
const EXPIRED_PER_PASS: i64 = 100;

/// The resource types an export can hold, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportType {
    Patient,
    QuestionnaireResponse,
    Observation,
}

impl ExportType {
    pub const ALL: [ExportType; 3] = [
        ExportType::Patient,
        ExportType::QuestionnaireResponse,
        ExportType::Observation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportType::Patient => "Patient",
            ExportType::QuestionnaireResponse => "QuestionnaireResponse",
            ExportType::Observation => "Observation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// What a client asked to export.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// The kick-off request's URL, as the manifest's `request` repeats it.
    pub request_url: String,
    /// At least one; duplicates are dropped.
    pub types: Vec<ExportType>,
    /// Only resources stored (last updated) at or after this.
    pub since: Option<Timestamp>,
}

/// An export as its status request sees it.
#[derive(Debug, Clone)]
pub struct ExportStatus {
    pub export: BulkExport,
    /// Its files, when complete.
    pub files: Vec<BulkFile>,
}

/// FHIR bulk exports.
pub struct BulkExports<'a> {
    pub(crate) app: &'a App,
}

fn exporter(actor: &Actor) -> Result<&ApiActor, AppError> {
    match actor {
        Actor::Api(a) if a.permissions.contains(&ApiPermission::PatientRead) => Ok(a),
        _ => Err(AppError::Forbidden),
    }
}

fn new_id() -> String {
    let (token, _) = crate::credentials::new_token("");
    token.chars().take(32).collect()
}

/// `v` with a `meta.versionId` by its content when it has none: what FHIR
/// search serves (`bothy_web::fhir_versions::versioned`).
fn versioned(mut v: Value) -> Value {
    if v.pointer("/meta/versionId").is_none() {
        let version = bothy_fhir::versions::content_version(&v);
        if !v.get("meta").is_some_and(Value::is_object) {
            v["meta"] = serde_json::json!({});
        }
        v["meta"]["versionId"] = Value::String(version);
    }
    v
}

/// The NDJSON being written for one type: flushed as a file when full.
struct Writer<'e> {
    export: &'e BulkExport,
    seq: i64,
    kind: ExportType,
    body: String,
    count: usize,
    written: usize,
}

impl BulkExports<'_> {
    /// Starts an export for the client: stored, audited and queued in one
    /// transaction. Returns its id.
    pub async fn kick_off(
        &self,
        actor: &Actor,
        request: ExportRequest,
        ctx: &RequestContext,
    ) -> Result<String, AppError> {
        let a = exporter(actor)?;
        let mut types: Vec<ExportType> = Vec::new();
        for t in request.types {
            if !types.contains(&t) {
                types.push(t);
            }
        }
        if types.is_empty() {
            return Err(AppError::field("_type", "Name at least one resource type"));
        }
        let now = self.app.clock.now();
        let export = BulkExport {
            id: new_id(),
            service_id: a.service_id,
            client_id: a.id,
            status: "running".into(),
            request_url: request.request_url,
            types: types
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            since: request.since,
            transaction_time: now,
            progress: "Queued".into(),
            error: None,
            created_at: now,
            expires_at: now.checked_add(FILE_LIFETIME).unwrap_or(now),
        };
        let mut work = self.app.change(actor, ctx).await?;
        work.tx().insert_bulk_export(&export).await?;
        let key = IdempotencyKey::from_parts(&["bulk-export", &export.id])?;
        self.app
            .jobs()
            .enqueue(
                work.tx(),
                &key,
                &Job::BulkExport {
                    export_id: export.id.clone(),
                },
            )
            .await?;
        let since = export
            .since
            .map(|s| format!(", since {}", bothy_fhir::instant(s)))
            .unwrap_or_default();
        work.audit(
            AuditEvent::new(Action::BulkExportRequested)
                .service(a.service_id)
                .detail(format!("export {}: {}{since}", export.id, export.types)),
        )
        .await?;
        work.finish().await?;
        Ok(export.id)
    }

    /// The Group of the client's service's patients: its id (the service's
    /// short name) and the service's name.
    pub async fn group(&self, actor: &Actor) -> Result<(String, String), AppError> {
        let a = exporter(actor)?;
        let mut tx = self.app.store.reader().await?;
        let service = tx.service_by_id(a.service_id).await?;
        tx.rollback().await?;
        let s = service.ok_or(AppError::NotFound)?;
        Ok((s.slug.as_str().to_string(), s.name))
    }

    /// The client's own export; any other, or none, is `NotFound`.
    async fn own(
        &self,
        tx: &mut bothy_store::Tx,
        a: &ApiActor,
        id: &str,
    ) -> Result<BulkExport, AppError> {
        match tx.bulk_export(id).await? {
            Some(e) if e.client_id == a.id && e.service_id == a.service_id => Ok(e),
            _ => Err(AppError::NotFound),
        }
    }

    /// Where an export stands. Says nothing about any patient, so it is not
    /// audited; the files are, as they are downloaded.
    pub async fn status(&self, actor: &Actor, id: &str) -> Result<ExportStatus, AppError> {
        let a = exporter(actor)?;
        let mut tx = self.app.store.reader().await?;
        let export = self.own(&mut tx, a, id).await?;
        let files = if export.status == "complete" {
            tx.bulk_files(id).await?
        } else {
            Vec::new()
        };
        tx.rollback().await?;
        if export.expires_at <= self.app.clock.now() {
            return Err(AppError::NotFound);
        }
        Ok(ExportStatus { export, files })
    }

    /// Cancels a running export, or deletes a finished one's files: the
    /// export is gone either way, and its job stops at its next file.
    pub async fn cancel(
        &self,
        actor: &Actor,
        id: &str,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let a = exporter(actor)?;
        let mut work = self.app.change(actor, ctx).await?;
        self.own(work.tx(), a, id).await?;
        work.tx().delete_bulk_export(id).await?;
        work.finish().await?;
        Ok(())
    }

    /// One file of the client's complete export, audited as a read of what
    /// it holds before it is returned.
    pub async fn file(
        &self,
        actor: &Actor,
        id: &str,
        seq: i64,
        ctx: &RequestContext,
    ) -> Result<(BulkFile, String), AppError> {
        let a = exporter(actor)?;
        let mut work = self.app.look(actor, ctx).await?;
        let export = self.own(work.tx(), a, id).await?;
        if export.status != "complete" || export.expires_at <= self.app.clock.now() {
            return Err(AppError::NotFound);
        }
        let (file, body) = work
            .tx()
            .bulk_file(id, seq)
            .await?
            .ok_or(AppError::NotFound)?;
        work.audit(
            AuditEvent::new(Action::BulkExportRead)
                .service(a.service_id)
                .detail(format!(
                    "export {id}: file {seq}, {} {} resources",
                    file.count, file.resource_type
                )),
        )
        .await?;
        work.finish().await?;
        Ok((file, body))
    }

    /// The job: writes the export's files, or nothing if it is no longer
    /// running. A retried job starts again from its first file.
    pub async fn run(&self, id: &str) -> Result<(), AppError> {
        let mut tx = self.app.store.begin().await?;
        let Some(export) = tx.bulk_export(id).await? else {
            tx.rollback().await?;
            return Ok(());
        };
        if export.status != "running" {
            tx.rollback().await?;
            return Ok(());
        }
        // An earlier attempt's files, if it died part-way.
        let earlier = tx.bulk_files(id).await?;
        if !earlier.is_empty() {
            tx.delete_bulk_files(id).await?;
        }
        tx.commit().await?;
        let mut seq = 0;
        let mut done: Vec<String> = Vec::new();
        for t in export.types.split(' ').filter_map(ExportType::parse) {
            let mut w = Writer {
                export: &export,
                seq,
                kind: t,
                body: String::new(),
                count: 0,
                written: 0,
            };
            let more = match t {
                ExportType::Patient => self.write_patients(&mut w, &done).await?,
                _ => self.write_responses(&mut w, &done).await?,
            };
            if !more || !self.flush(&mut w, &done).await? {
                return Ok(());
            }
            seq = w.seq;
            done.push(format!("{}: {}", t.as_str(), w.written));
        }
        let now = self.app.clock.now();
        let mut tx = self.app.store.begin().await?;
        tx.finish_bulk_export(
            id,
            "complete",
            &format!("Complete: {}", done.join(", ")),
            None,
            now,
            now.checked_add(FILE_LIFETIME).unwrap_or(now),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records stored before the kick-off, at or after `_since`: the
    /// window every type's read shares.
    fn window(export: &BulkExport) -> (Option<Timestamp>, Option<Timestamp>) {
        let to = export
            .transaction_time
            .checked_add(Duration::from_millis(1))
            .unwrap_or(export.transaction_time);
        (export.since, Some(to))
    }

    /// Adds one resource; writes the file when full. False: stop (cancelled).
    async fn push(&self, w: &mut Writer<'_>, v: Value, done: &[String]) -> Result<bool, AppError> {
        w.body.push_str(&v.to_string());
        w.body.push('\n');
        w.count += 1;
        if w.count >= FILE_RESOURCES {
            return self.flush(w, done).await;
        }
        Ok(true)
    }

    /// Writes what is buffered as the next file, with the progress, while
    /// the export is still running. False: it is not (cancelled).
    async fn flush(&self, w: &mut Writer<'_>, done: &[String]) -> Result<bool, AppError> {
        if w.count == 0 {
            return Ok(true);
        }
        let mut tx = self.app.store.begin().await?;
        w.written += w.count;
        let mut progress = done.to_vec();
        progress.push(format!("{}: {}", w.kind.as_str(), w.written));
        if !tx
            .bulk_export_progress(&w.export.id, &format!("Writing: {}", progress.join(", ")))
            .await?
        {
            tx.rollback().await?;
            return Ok(false);
        }
        w.seq += 1;
        let file = BulkFile {
            seq: w.seq,
            resource_type: w.kind.as_str().to_string(),
            count: w.count as i64,
        };
        tx.insert_bulk_file(&w.export.id, &file, &w.body).await?;
        tx.commit().await?;
        w.body.clear();
        w.count = 0;
        Ok(true)
    }

    async fn write_patients(&self, w: &mut Writer<'_>, done: &[String]) -> Result<bool, AppError> {
        let (from, to) = Self::window(w.export);
        let mut q = PatientSearch {
            service: Some(w.export.service_id),
            created_from: from,
            created_to: to,
            limit: PAGE,
            ..PatientSearch::default()
        };
        loop {
            let mut tx = self.app.store.reader().await?;
            let rows = tx.search_patients(&q).await?;
            tx.rollback().await?;
            for p in &rows {
                let mut v = bothy_fhir::patient_identified(
                    &p.patient,
                    p.nhs_number.as_deref(),
                    p.chi.as_deref(),
                );
                v["meta"]["lastUpdated"] =
                    serde_json::json!(bothy_fhir::instant(p.patient.created_at));
                if !self.push(w, versioned(v), done).await? {
                    return Ok(false);
                }
            }
            match rows.last() {
                Some(p) if rows.len() as i64 == PAGE => {
                    q.after = Some((p.patient.created_at, p.patient.id.to_string()));
                }
                _ => return Ok(true),
            }
        }
    }

    async fn write_responses(&self, w: &mut Writer<'_>, done: &[String]) -> Result<bool, AppError> {
        let (from, to) = Self::window(w.export);
        let base = bothy_fhir::base_url(&self.app.settings.public_url);
        let order = ResponseOrder::ReceivedOldest;
        let mut q = ResponseSearch {
            service: Some(w.export.service_id),
            received_from: from,
            received_to: to,
            order,
            limit: PAGE,
            ..ResponseSearch::default()
        };
        loop {
            let mut tx = self.app.store.reader().await?;
            let rows = tx.search_responses(&q).await?;
            tx.rollback().await?;
            for r in &rows {
                let Some(inst) = self.app.catalogue.get(&r.instrument_id) else {
                    continue;
                };
                let v = match w.kind {
                    ExportType::Observation => bothy_fhir::observation::total_observation(inst, r),
                    _ => bothy_fhir::response::questionnaire_response(&base, inst, r),
                };
                if !self.push(w, versioned(v), done).await? {
                    return Ok(false);
                }
            }
            match rows.last() {
                Some(r) if rows.len() as i64 == PAGE => q.after = Some(order.position(r)),
                _ => return Ok(true),
            }
        }
    }

    /// Removes exports whose files have expired, with their files.
    pub(crate) async fn remove_expired(&self) -> Result<u64, AppError> {
        let now = self.app.clock.now();
        let mut tx = self.app.store.begin().await?;
        let ids = tx.expired_bulk_exports(now, EXPIRED_PER_PASS).await?;
        for id in &ids {
            tx.delete_bulk_export(id).await?;
        }
        tx.delete_expired_smart(now).await?;
        tx.commit().await?;
        Ok(ids.len() as u64)
    }
}
