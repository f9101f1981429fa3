//! FHIR bulk exports: the request, its status as guarded writes (a job
//! finishes an export only while it is still running, so a cancel always
//! wins), and its NDJSON files, each one row, written a file at a time by
//! the job and read a file at a time by the client.

use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{ApiClientId, ServiceId};

/// An export as stored.
#[derive(Debug, Clone)]
pub struct BulkExport {
    pub id: String,
    pub service_id: ServiceId,
    pub client_id: ApiClientId,
    /// `running`, `complete`, `failed` or `cancelled`.
    pub status: String,
    pub request_url: String,
    /// Resource types, space separated, in the order they are written.
    pub types: String,
    pub since: Option<Timestamp>,
    pub transaction_time: Timestamp,
    /// What the job has done so far, for `X-Progress`.
    pub progress: String,
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// One NDJSON file of an export, without its body.
#[derive(Debug, Clone)]
pub struct BulkFile {
    pub seq: i64,
    pub resource_type: String,
    pub count: i64,
}

const COLUMNS: &str = "id, service_id, client_id, status, request_url, types, since, \
    transaction_time, progress, error, created_at, expires_at";

fn export(r: &Row) -> Result<BulkExport, StoreError> {
    Ok(BulkExport {
        id: r.try_get("id")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        client_id: parse(&r.try_get::<String>("client_id")?, "API client id")?,
        status: r.try_get("status")?,
        request_url: r.try_get("request_url")?,
        types: r.try_get("types")?,
        since: r.try_get::<Option<i64>>("since")?.map(from_millis),
        transaction_time: from_millis(r.try_get("transaction_time")?),
        progress: r.try_get("progress")?,
        error: r.try_get("error")?,
        created_at: from_millis(r.try_get("created_at")?),
        expires_at: from_millis(r.try_get("expires_at")?),
    })
}

impl Tx {
    pub async fn insert_bulk_export(&mut self, e: &BulkExport) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO bulk_exports (id, service_id, client_id, status, request_url, types, since, \
             transaction_time, progress, error, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&e.id)
        .bind(e.service_id.to_string())
        .bind(e.client_id.to_string())
        .bind(&e.status)
        .bind(&e.request_url)
        .bind(&e.types)
        .bind(e.since.map(to_millis))
        .bind(to_millis(e.transaction_time))
        .bind(&e.progress)
        .bind(e.error.clone())
        .bind(to_millis(e.created_at))
        .bind(to_millis(e.expires_at))
        .execute()
        .await?;
        Ok(())
    }

    pub async fn bulk_export(&mut self, id: &str) -> Result<Option<BulkExport>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM bulk_exports WHERE id = $1");
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional()
            .await?;
        row.as_ref().map(export).transpose()
    }

    /// Moves a running export to `status` (`complete`, `failed`), with its
    /// progress; false if it is no longer running (cancelled meanwhile).
    pub async fn finish_bulk_export(
        &mut self,
        id: &str,
        status: &str,
        progress: &str,
        error: Option<&str>,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = self
            .query(
                "UPDATE bulk_exports SET status = $2, progress = $3, error = $4, finished_at = $5, \
                 expires_at = $6 WHERE id = $1 AND status = 'running'",
            )
            .bind(id)
            .bind(status)
            .bind(progress)
            .bind(error.map(str::to_string))
            .bind(to_millis(now))
            .bind(to_millis(expires_at))
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The job's progress on a running export; false if it is no longer
    /// running, and the job stops.
    pub async fn bulk_export_progress(
        &mut self,
        id: &str,
        progress: &str,
    ) -> Result<bool, StoreError> {
        let done = self
            .query("UPDATE bulk_exports SET progress = $2 WHERE id = $1 AND status = 'running'")
            .bind(id)
            .bind(progress)
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Adds one NDJSON file; the job writes them in order, numbered from 1.
    pub async fn insert_bulk_file(
        &mut self,
        export_id: &str,
        file: &BulkFile,
        body: &str,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO bulk_export_files (export_id, seq, resource_type, count, body) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(export_id)
        .bind(file.seq)
        .bind(&file.resource_type)
        .bind(file.count)
        .bind(body)
        .execute()
        .await?;
        Ok(())
    }

    /// An export's files in order, without their bodies.
    pub async fn bulk_files(&mut self, export_id: &str) -> Result<Vec<BulkFile>, StoreError> {
        let rows = self
            .query(
                "SELECT seq, resource_type, count FROM bulk_export_files WHERE export_id = $1 ORDER BY seq",
            )
            .bind(export_id)
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok(BulkFile {
                    seq: r.try_get("seq")?,
                    resource_type: r.try_get("resource_type")?,
                    count: r.try_get("count")?,
                })
            })
            .collect()
    }

    /// One file with its body.
    pub async fn bulk_file(
        &mut self,
        export_id: &str,
        seq: i64,
    ) -> Result<Option<(BulkFile, String)>, StoreError> {
        let row = self
            .query(
                "SELECT seq, resource_type, count, body FROM bulk_export_files WHERE export_id = $1 AND seq = $2",
            )
            .bind(export_id)
            .bind(seq)
            .fetch_optional()
            .await?;
        row.map(|r| {
            Ok((
                BulkFile {
                    seq: r.try_get("seq")?,
                    resource_type: r.try_get("resource_type")?,
                    count: r.try_get("count")?,
                },
                r.try_get("body")?,
            ))
        })
        .transpose()
    }

    /// Deletes an export's files (a job starting again).
    pub async fn delete_bulk_files(&mut self, id: &str) -> Result<(), StoreError> {
        self.query("DELETE FROM bulk_export_files WHERE export_id = $1")
            .bind(id)
            .execute()
            .await?;
        Ok(())
    }

    /// Deletes an export and its files (a client's DELETE, or expiry).
    pub async fn delete_bulk_export(&mut self, id: &str) -> Result<bool, StoreError> {
        self.query("DELETE FROM bulk_export_files WHERE export_id = $1")
            .bind(id)
            .execute()
            .await?;
        let done = self
            .query("DELETE FROM bulk_exports WHERE id = $1")
            .bind(id)
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The ids of exports whose files expired before `now`.
    pub async fn expired_bulk_exports(
        &mut self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let rows = self
            .query("SELECT id FROM bulk_exports WHERE expires_at < $1 ORDER BY expires_at LIMIT $2")
            .bind(to_millis(now))
            .bind(limit)
            .fetch_all()
            .await?;
        rows.iter().map(|r| r.try_get("id")).collect()
    }
}
