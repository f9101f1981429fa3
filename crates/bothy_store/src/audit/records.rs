//! Clinical records against their audit events. A write of a clinical row
//! reads the row's new state back from its own statement (`RETURNING`, no
//! extra round trip) and keeps its digest on the `Tx` ([`Tx::wrote`]); the
//! audit event that names the record takes it ([`Tx::take_record_digest`])
//! into the INSERT that already happens. `bothy audit verify` then
//! recomputes every record's digest from its row and compares it with the
//! digest in its newest event ([`check`]).

use crate::db::Row;
use crate::{StoreError, Tx};
use bothy_domain::audit::RecordDigest;
use bothy_domain::audit::digest::{
    DELETED, FieldType, FieldValue, RecordBreak, RecordKind, record_digest,
};
use std::collections::BTreeMap;

/// Records read per round trip.
const PAGE: i64 = 5_000;
/// Breaks named in the report; the rest are counted.
const NAMED: usize = 20;

/// The table holding a kind, and the SQL expression of a record's id in it
/// (a safety plan version is its patient and version).
fn table(kind: RecordKind) -> (&'static str, &'static str) {
    match kind {
        RecordKind::MeasureResponse => ("measure_responses", "t.id"),
        RecordKind::CheckIn => ("check_ins", "t.id"),
        RecordKind::Alert => ("alerts", "t.id"),
        RecordKind::Referral => ("referrals", "t.id"),
        RecordKind::SafetyPlanVersion => (
            "safety_plan_versions",
            "t.patient_id || '/' || CAST(t.version AS TEXT)",
        ),
        RecordKind::Episode => ("episodes", "t.id"),
        RecordKind::ToolEntry => ("tool_entries", "t.id"),
        RecordKind::Message => ("messages", "t.id"),
        RecordKind::Review => ("reviews", "t.id"),
    }
}

/// The covered columns, for a `SELECT` or a `RETURNING`.
pub(crate) fn columns(kind: RecordKind) -> String {
    kind.fields()
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The digest of record `id` from a row holding [`columns`].
fn digest(kind: RecordKind, id: &str, row: &Row) -> Result<String, StoreError> {
    let values = kind
        .fields()
        .iter()
        .map(|(name, ty)| {
            Ok(match ty {
                FieldType::Text => row
                    .try_get::<Option<String>>(name)?
                    .map_or(FieldValue::Null, FieldValue::Text),
                FieldType::Int => row
                    .try_get::<Option<i64>>(name)?
                    .map_or(FieldValue::Null, FieldValue::Int),
                FieldType::Real => row
                    .try_get::<Option<f64>>(name)?
                    .map_or(FieldValue::Null, FieldValue::Real),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(record_digest(kind, id, &values))
}

impl Tx {
    /// Keeps the digest of record `id` as `row` (from the writing
    /// statement's `RETURNING` of [`columns`]) shows it, for its audit event.
    pub(crate) fn wrote(
        &mut self,
        kind: RecordKind,
        id: &str,
        row: &Row,
    ) -> Result<(), StoreError> {
        let d = RecordDigest {
            kind: kind.as_str().to_string(),
            id: id.to_string(),
            digest: digest(kind, id, row)?,
        };
        self.written.retain(|w| w.kind != d.kind || w.id != d.id);
        self.written.push(d);
        Ok(())
    }

    /// Keeps, for its audit event, that Bothy deleted record `id`.
    pub(crate) fn deleted(&mut self, kind: RecordKind, id: &str) {
        self.written
            .retain(|w| w.kind != kind.as_str() || w.id != id);
        self.written.push(RecordDigest {
            kind: kind.as_str().to_string(),
            id: id.to_string(),
            digest: DELETED.to_string(),
        });
    }

    /// [`Tx::wrote`] for a guarded write, which may have changed no row;
    /// whether it changed one.
    pub(crate) fn wrote_optional(
        &mut self,
        kind: RecordKind,
        id: &str,
        row: Option<&Row>,
    ) -> Result<bool, StoreError> {
        if let Some(row) = row {
            self.wrote(kind, id, row)?;
        }
        Ok(row.is_some())
    }

    /// The digest of record `id` as this transaction last wrote it, if it
    /// did; taken, so that one write goes into one event.
    pub fn take_record_digest(&mut self, kind: RecordKind, id: &str) -> Option<RecordDigest> {
        let at = self
            .written
            .iter()
            .position(|w| w.kind == kind.as_str() && w.id == id)?;
        Some(self.written.remove(at))
    }
}

/// What the check of clinical records against their audit events found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordsReport {
    /// Records whose row matches the digest of their newest event, by kind.
    pub verified: BTreeMap<&'static str, u64>,
    /// Records with no audit event holding a digest, by kind: written before
    /// digests existed, or loaded as synthetic data, which is not audited.
    pub not_audited: BTreeMap<&'static str, u64>,
    /// Records changed or deleted outside Bothy, counted.
    pub breaks: u64,
    /// The first of them, named by kind and id.
    pub first_breaks: Vec<RecordBreak>,
}

impl RecordsReport {
    pub fn verified_total(&self) -> u64 {
        self.verified.values().sum()
    }

    pub fn not_audited_total(&self) -> u64 {
        self.not_audited.values().sum()
    }

    fn add_break(&mut self, b: RecordBreak) {
        self.breaks += 1;
        if self.first_breaks.len() < NAMED {
            self.first_breaks.push(b);
        }
    }
}

/// Compares every clinical record with the digest in its newest audit event,
/// in `tx`'s snapshot: a row that differs was changed outside Bothy, an
/// event whose row is gone was deleted outside Bothy.
pub(crate) async fn check(tx: &mut Tx) -> Result<RecordsReport, StoreError> {
    let mut report = RecordsReport::default();
    for kind in RecordKind::ALL {
        check_rows(tx, kind, &mut report).await?;
        check_gone(tx, kind, &mut report).await?;
    }
    Ok(report)
}

/// Walks one kind's rows in pages by id; each row brings the digest of its
/// newest event through the index of events by record.
async fn check_rows(
    tx: &mut Tx,
    kind: RecordKind,
    report: &mut RecordsReport,
) -> Result<(), StoreError> {
    let (table, id) = table(kind);
    let cols = kind
        .fields()
        .iter()
        .map(|(name, _)| format!("t.{name}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {id} AS rid, {cols}, (SELECT e.record_digest FROM audit_events e \
         WHERE e.record_kind = $1 AND e.record_id = {id} ORDER BY e.seq DESC LIMIT 1) AS audited \
         FROM {table} t WHERE {id} > $2 ORDER BY {id} LIMIT $3"
    );
    let mut after = String::new();
    loop {
        let page = tx
            .query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(kind.as_str())
            .bind(after.clone())
            .bind(PAGE)
            .fetch_all()
            .await?;
        let Some(last) = page.last() else { break };
        after = last.try_get("rid")?;
        for row in &page {
            let rid: String = row.try_get("rid")?;
            match row.try_get::<Option<String>>("audited")? {
                None => *report.not_audited.entry(kind.as_str()).or_default() += 1,
                Some(want) if want == digest(kind, &rid, row)? => {
                    *report.verified.entry(kind.as_str()).or_default() += 1
                }
                Some(_) => report.add_break(RecordBreak::Changed {
                    kind: kind.as_str(),
                    id: rid,
                }),
            }
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    Ok(())
}

/// Records named by an audit event whose row is no longer there, unless
/// the newest of them says Bothy deleted it.
async fn check_gone(
    tx: &mut Tx,
    kind: RecordKind,
    report: &mut RecordsReport,
) -> Result<(), StoreError> {
    let (table, id) = table(kind);
    // A safety plan version's event names its patient, whose rows the
    // primary key finds at once.
    let same_patient = match kind {
        RecordKind::SafetyPlanVersion => "t.patient_id = e.patient_id AND ",
        _ => "",
    };
    let sql = format!(
        "SELECT g.record_id FROM (SELECT e.record_id FROM audit_events e WHERE e.record_kind = $1 \
         AND NOT EXISTS (SELECT 1 FROM {table} t WHERE {same_patient}{id} = e.record_id) \
         GROUP BY e.record_id) g \
         WHERE (SELECT n.record_digest FROM audit_events n WHERE n.record_kind = $1 \
         AND n.record_id = g.record_id ORDER BY n.seq DESC LIMIT 1) <> $2 ORDER BY g.record_id"
    );
    let rows = tx
        .query(sqlx::AssertSqlSafe(sql))
        .bind(kind.as_str())
        .bind(DELETED)
        .fetch_all()
        .await?;
    for row in &rows {
        report.add_break(RecordBreak::Gone {
            kind: kind.as_str(),
            id: row.try_get("record_id")?,
        });
    }
    Ok(())
}
