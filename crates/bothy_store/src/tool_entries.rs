//! Entries of the interactive tools: one row each, the tool's fields as
//! JSON text whose shape `tool` names (migration 17 says why one table).
//! The JSON shapes are this file's own, versioned by `v`; an entry read back
//! is checked again by the domain, so a row that no longer makes sense is
//! reported as corrupt rather than shown.

use crate::audit::records::columns;
use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::PatientId;
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::ids::ToolEntryId;
use bothy_domain::time::{from_millis, to_millis};
use bothy_domain::tools::sleep::SleepDiaryEntry;
use bothy_domain::tools::thought_record::ThoughtRecord;
use bothy_domain::tools::{Entry, ToolEntry, ToolKind, specs};
use jiff::civil::DateTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const COLUMNS: &str = "id, patient_id, service_id, tool, entry, recorded_at, idempotency_key";

/// A thought record as stored.
#[derive(Serialize, Deserialize)]
struct ThoughtRecordV1 {
    v: u8,
    situation: String,
    feelings: String,
    feeling_before: u8,
    hot_thought: String,
    belief_before: u8,
    evidence_for: Option<String>,
    evidence_against: Option<String>,
    balanced_thought: Option<String>,
    balanced_belief: Option<u8>,
    feeling_after: Option<u8>,
}

/// A sleep-diary night as stored: wall-clock times where the person was.
#[derive(Serialize, Deserialize)]
struct SleepNightV1 {
    v: u8,
    went_to_bed: DateTime,
    minutes_to_fall_asleep: u32,
    minutes_awake_in_night: u32,
    woke_finally: DateTime,
    got_up: DateTime,
}

/// An entry of a form tool as stored: each answer as typed, by field
/// name; read back through the tool's field checks.
#[derive(Serialize, Deserialize)]
struct FormV1 {
    v: u8,
    fields: BTreeMap<String, String>,
}

fn to_json(entry: &Entry) -> String {
    let json = match entry {
        Entry::ThoughtRecord(r) => serde_json::to_string(&ThoughtRecordV1 {
            v: 1,
            situation: r.situation.clone(),
            feelings: r.feelings.clone(),
            feeling_before: r.feeling_before,
            hot_thought: r.hot_thought.clone(),
            belief_before: r.belief_before,
            evidence_for: r.evidence_for.clone(),
            evidence_against: r.evidence_against.clone(),
            balanced_thought: r.balanced_thought.clone(),
            balanced_belief: r.balanced_belief,
            feeling_after: r.feeling_after,
        }),
        Entry::SleepDiary(n) => serde_json::to_string(&SleepNightV1 {
            v: 1,
            went_to_bed: n.went_to_bed,
            minutes_to_fall_asleep: n.minutes_to_fall_asleep,
            minutes_awake_in_night: n.minutes_awake_in_night,
            woke_finally: n.woke_finally,
            got_up: n.got_up,
        }),
        Entry::Form(f) => serde_json::to_string(&FormV1 {
            v: 1,
            fields: f.stored(),
        }),
    };
    // Plain structs of strings, numbers and dates always serialise.
    json.unwrap_or_default()
}

fn from_json(kind: ToolKind, json: &str) -> Result<Entry, StoreError> {
    let corrupt = || StoreError::corrupt(format!("a {} entry", kind.as_str()));
    if let Some(spec) = specs::spec(kind) {
        let f: FormV1 = serde_json::from_str(json).map_err(|_| corrupt())?;
        if f.v != 1 {
            return Err(corrupt());
        }
        return spec.restore(&f.fields).map(Entry::Form).ok_or_else(corrupt);
    }
    Ok(match kind {
        ToolKind::ThoughtRecord => {
            let r: ThoughtRecordV1 = serde_json::from_str(json).map_err(|_| corrupt())?;
            let ok = |n: u8| n <= bothy_domain::tools::thought_record::RATING_MAX;
            let ratings = [Some(r.feeling_before), Some(r.belief_before)]
                .into_iter()
                .chain([r.balanced_belief, r.feeling_after])
                .flatten()
                .all(ok);
            if r.v != 1 || !ratings {
                return Err(corrupt());
            }
            Entry::ThoughtRecord(ThoughtRecord {
                situation: r.situation,
                feelings: r.feelings,
                feeling_before: r.feeling_before,
                hot_thought: r.hot_thought,
                belief_before: r.belief_before,
                evidence_for: r.evidence_for,
                evidence_against: r.evidence_against,
                balanced_thought: r.balanced_thought,
                balanced_belief: r.balanced_belief,
                feeling_after: r.feeling_after,
            })
        }
        ToolKind::SleepDiary => {
            let n: SleepNightV1 = serde_json::from_str(json).map_err(|_| corrupt())?;
            if n.v != 1 {
                return Err(corrupt());
            }
            Entry::SleepDiary(
                SleepDiaryEntry::new(
                    n.went_to_bed,
                    n.minutes_to_fall_asleep,
                    n.minutes_awake_in_night,
                    n.woke_finally,
                    n.got_up,
                )
                .map_err(|_| corrupt())?,
            )
        }
        // Every other tool is a form tool, read above.
        _ => return Err(corrupt()),
    })
}

fn tool_entry(r: &Row) -> Result<ToolEntry, StoreError> {
    let tool: String = r.try_get("tool")?;
    let kind =
        ToolKind::parse(&tool).ok_or_else(|| StoreError::corrupt(format!("tool {tool:?}")))?;
    Ok(ToolEntry {
        id: parse(&r.try_get::<String>("id")?, "tool entry id")?,
        patient_id: parse(&r.try_get::<String>("patient_id")?, "patient id")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        entry: from_json(kind, &r.try_get::<String>("entry")?)?,
        recorded_at: from_millis(r.try_get("recorded_at")?),
        idempotency_key: r.try_get("idempotency_key")?,
    })
}

impl Tx {
    /// Stores a tool entry, unless the patient already has one with the
    /// same idempotency key (or one is being stored at this moment: the
    /// insert waits for it). Returns whether this one was stored; if not,
    /// nothing was written and the caller answers with the first
    /// ([`Tx::tool_entry_by_key`]).
    pub async fn insert_tool_entry(&mut self, e: &ToolEntry) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO tool_entries (id, patient_id, service_id, tool, entry, recorded_at, \
             idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (patient_id, idempotency_key) DO NOTHING RETURNING {}",
            columns(RecordKind::ToolEntry)
        );
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(e.id.to_string())
            .bind(e.patient_id.to_string())
            .bind(e.service_id.to_string())
            .bind(e.entry.kind().as_str())
            .bind(to_json(&e.entry))
            .bind(to_millis(e.recorded_at))
            .bind(e.idempotency_key.clone().unwrap_or_default())
            .fetch_optional()
            .await?;
        if let Some(row) = &row {
            self.wrote(RecordKind::ToolEntry, &e.id.to_string(), row)?;
        }
        Ok(row.is_some())
    }

    pub async fn tool_entry_by_key(
        &mut self,
        patient: PatientId,
        key: &str,
    ) -> Result<Option<ToolEntry>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM tool_entries WHERE patient_id = $1 AND idempotency_key = $2"
        ));
        let row = self
            .query(sql)
            .bind(patient.to_string())
            .bind(key)
            .fetch_optional()
            .await?;
        row.as_ref().map(tool_entry).transpose()
    }

    /// One of a patient's entries, if it is theirs.
    pub async fn tool_entry(
        &mut self,
        patient: PatientId,
        id: ToolEntryId,
    ) -> Result<Option<ToolEntry>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM tool_entries WHERE id = $1 AND patient_id = $2"
        ));
        let row = self
            .query(sql)
            .bind(id.to_string())
            .bind(patient.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(tool_entry).transpose()
    }

    /// A patient's most recent entries of one tool (of every tool if
    /// `tool` is `None`), newest first, at most `limit`.
    pub async fn tool_entries(
        &mut self,
        patient: PatientId,
        tool: Option<ToolKind>,
        limit: i64,
    ) -> Result<Vec<ToolEntry>, StoreError> {
        let rows = match tool {
            Some(tool) => {
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM tool_entries WHERE patient_id = $1 AND tool = $2 \
                     ORDER BY recorded_at DESC, id LIMIT {limit}"
                ));
                self.query(sql)
                    .bind(patient.to_string())
                    .bind(tool.as_str())
                    .fetch_all()
                    .await?
            }
            None => {
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM tool_entries WHERE patient_id = $1 \
                     ORDER BY recorded_at DESC, id LIMIT {limit}"
                ));
                self.query(sql)
                    .bind(patient.to_string())
                    .fetch_all()
                    .await?
            }
        };
        rows.iter().map(tool_entry).collect()
    }
}
