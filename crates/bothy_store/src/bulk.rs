//! Bulk loading for synthetic data and benchmarks: every table of a
//! [`Batch`] written in one pass. On PostgreSQL each table is one
//! `COPY ... FROM STDIN` in text format; on SQLite (which has no `COPY`)
//! multi-row `INSERT ... VALUES (...), (...)` statements, as many rows per
//! statement as the bind-parameter limit allows (capped, since a huge
//! statement costs more to parse than it saves). Each row names its
//! columns once ([`BulkRow::write`]) and either path takes them from there.
//!
//! Rows are the same records the application writes one at a time, encoded
//! the same way (ids as text, times as BIGINT milliseconds, answers as
//! JSON), so the application reads them back like its own. Nothing here
//! audits or raises alerts: the caller supplies finished rows.

use crate::db::Value;
use crate::{StoreError, Tx};
use bothy_domain::alerts::AlertState;
use bothy_domain::check_in::CheckIn;
use bothy_domain::model::{Alert, MeasureResponse};
use bothy_domain::referral::Referral;
use bothy_domain::time::{Timestamp, to_millis};
use bothy_domain::{PatientId, ServiceId, StaffId};
use std::fmt::Write as _;

use bothy_domain::referral::Episode;

/// A patient record as bulk loading writes it: plain strings, since the
/// generator makes only valid values and parsing a million names costs time.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientRow {
    pub id: PatientId,
    pub service_id: ServiceId,
    pub given_name: String,
    pub family_name: String,
    /// `YYYY-MM-DD`, as [`bothy_domain::person::DateOfBirth`] is stored.
    pub date_of_birth: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub supporter_id: Option<StaffId>,
    pub postcode: Option<String>,
    pub created_at: Timestamp,
}

/// One patient's demographics (`patient_demographics`).
#[derive(Debug, Clone, PartialEq)]
pub struct DemographicsRow {
    pub patient_id: PatientId,
    pub sex: String,
    pub ethnicity: String,
    pub postcode: String,
    /// Index of Multiple Deprivation decile: 1 most deprived .. 10 least.
    pub imd_decile: i64,
}

/// Rows to write together, in one transaction. Tables are written in the
/// order of their foreign keys, so a batch may refer to its own rows.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub patients: Vec<PatientRow>,
    pub demographics: Vec<DemographicsRow>,
    pub referrals: Vec<Referral>,
    pub episodes: Vec<Episode>,
    pub responses: Vec<MeasureResponse>,
    pub check_ins: Vec<CheckIn>,
    pub alerts: Vec<Alert>,
}

impl Batch {
    /// Rows in the batch, all tables together.
    pub fn rows(&self) -> usize {
        self.patients.len()
            + self.demographics.len()
            + self.referrals.len()
            + self.episodes.len()
            + self.responses.len()
            + self.check_ins.len()
            + self.alerts.len()
    }
}

/// Past this many rows a statement gets slower to parse and plan than the
/// round trips it saves.
const MAX_ROWS_PER_STATEMENT: usize = 2_000;

/// One column's value as bulk loading writes it: a bind parameter of a
/// multi-row `INSERT`, or one field of a `COPY` row in text format.
trait Cell {
    /// Writes the value as a `COPY` text field (escaped; `\N` for NULL).
    fn copy(&self, out: &mut String);
}

impl Cell for &str {
    fn copy(&self, out: &mut String) {
        // COPY's text format: tab separates fields and newline rows, so
        // those, carriage returns and the escape character itself are
        // written as backslash sequences; everything else is literal UTF-8.
        for c in self.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
    }
}

impl Cell for String {
    fn copy(&self, out: &mut String) {
        self.as_str().copy(out);
    }
}

impl Cell for i64 {
    fn copy(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl Cell for f64 {
    fn copy(&self, out: &mut String) {
        // Rust prints the shortest text that reads back as the same double
        // (and `NaN`, `inf`, `-inf`, which PostgreSQL also reads).
        let _ = write!(out, "{self}");
    }
}

impl<T: Cell> Cell for Option<T> {
    fn copy(&self, out: &mut String) {
        match self {
            Some(v) => v.copy(out),
            None => out.push_str("\\N"),
        }
    }
}

/// Where a row's values go: a statement's arguments, or `COPY` text.
enum Cells {
    Bind(crate::db::Args),
    Copy { text: String, row_started: bool },
}

impl Cells {
    fn add<'t, T: Cell + Value<'t>>(&mut self, v: T) {
        match self {
            // Encoding fails only for a value its type cannot represent, and
            // no type used here has one; the statement would then report the
            // missing parameter.
            Cells::Bind(a) => {
                let _ = a.add(v);
            }
            Cells::Copy { text, row_started } => {
                if *row_started {
                    text.push('\t');
                }
                *row_started = true;
                v.copy(text);
            }
        }
    }
    fn id(&mut self, v: impl std::fmt::Display) {
        self.add(v.to_string());
    }
    fn opt_id(&mut self, v: Option<impl std::fmt::Display>) {
        self.add(v.map(|v| v.to_string()));
    }
    fn at(&mut self, t: Timestamp) {
        self.add(to_millis(t));
    }
    fn opt_at(&mut self, t: Option<Timestamp>) {
        self.add(t.map(to_millis));
    }
    /// Ends a `COPY` row (statement arguments need no separator).
    fn end_row(&mut self) {
        if let Cells::Copy { text, row_started } = self {
            text.push('\n');
            *row_started = false;
        }
    }
}

/// A table bulk loading writes, and how one row writes its columns in order.
trait BulkRow {
    const TABLE: &'static str;
    const COLUMNS: &'static str;
    const WIDTH: usize;
    fn write(&self, a: &mut Cells);
}

fn json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

impl BulkRow for PatientRow {
    const TABLE: &'static str = "patients";
    const COLUMNS: &'static str = "id, service_id, given_name, family_name, date_of_birth, email, phone, \
         supporter_id, postcode, created_at";
    const WIDTH: usize = 10;
    fn write(&self, a: &mut Cells) {
        a.id(self.id);
        a.id(self.service_id);
        a.add(self.given_name.clone());
        a.add(self.family_name.clone());
        a.add(self.date_of_birth.clone());
        a.add(self.email.clone());
        a.add(self.phone.clone());
        a.opt_id(self.supporter_id);
        a.add(self.postcode.clone());
        a.at(self.created_at);
    }
}

impl BulkRow for DemographicsRow {
    const TABLE: &'static str = "patient_demographics";
    const COLUMNS: &'static str = "patient_id, sex, ethnicity, postcode, imd_decile";
    const WIDTH: usize = 5;
    fn write(&self, a: &mut Cells) {
        a.id(self.patient_id);
        a.add(self.sex.clone());
        a.add(self.ethnicity.clone());
        a.add(self.postcode.clone());
        a.add(self.imd_decile);
    }
}

impl BulkRow for Referral {
    const TABLE: &'static str = "referrals";
    const COLUMNS: &'static str = "id, service_id, status, source, given_name, family_name, date_of_birth, \
         email, phone, postcode, gp_practice, problems, screening, consents, referrer_name, \
         referrer_organisation, risk, received_at, created_at, updated_at, decision_note, decided_by, \
         decided_at, patient_id, urgent";
    const WIDTH: usize = 25;
    fn write(&self, a: &mut Cells) {
        let d = &self.details;
        let problems: Vec<&str> = d.problems.iter().map(|p| p.as_str()).collect();
        a.id(self.id);
        a.id(self.service_id);
        a.add(self.status.as_str());
        a.add(self.source.as_str());
        a.add(d.given_name.clone());
        a.add(d.family_name.clone());
        a.add(d.date_of_birth.map(|x| x.to_string()));
        a.add(d.email.clone());
        a.add(d.phone.clone());
        a.add(d.postcode.clone());
        a.add(d.gp_practice.clone());
        a.add(json(&problems));
        a.add(json(&d.screening));
        a.add(json(&d.consents));
        a.add(d.referrer_name.clone());
        a.add(d.referrer_organisation.clone());
        a.add(i64::from(self.risk));
        a.opt_at(self.received_at);
        a.at(self.created_at);
        a.at(self.updated_at);
        a.add(self.decision_note.clone());
        a.opt_id(self.decided_by);
        a.opt_at(self.decided_at);
        a.opt_id(self.patient_id);
        a.add(i64::from(self.urgent));
    }
}

impl BulkRow for Episode {
    const TABLE: &'static str = "episodes";
    const COLUMNS: &'static str = "id, patient_id, service_id, referral_id, step, practitioner_id, \
         problem_descriptor, referred_at, opened_at, first_treatment_at, treatment_appointments, \
         discharged_at, discharge_reason, outcome";
    const WIDTH: usize = 14;
    fn write(&self, a: &mut Cells) {
        a.id(self.id);
        a.id(self.patient_id);
        a.id(self.service_id);
        a.id(self.referral_id);
        a.add(self.step.as_str());
        a.id(self.practitioner_id);
        a.add(self.problem_descriptor.as_str());
        a.at(self.referred_at);
        a.at(self.opened_at);
        a.opt_at(self.first_treatment_at);
        a.add(i64::from(self.treatment_appointments));
        a.opt_at(self.discharged_at);
        a.add(self.discharge_reason.clone());
        a.add(
            self.outcome
                .as_ref()
                .and_then(|o| serde_json::to_string(o).ok()),
        );
    }
}

impl BulkRow for MeasureResponse {
    const TABLE: &'static str = "measure_responses";
    const COLUMNS: &'static str = "id, patient_id, service_id, instrument_id, instrument_version, answers, \
         total, raw_total, band, at_caseness, prorated, risk_items, source, idempotency_key, submitted_at, \
         submitted_by_kind, submitted_by_id, authored_at";
    const WIDTH: usize = 18;
    fn write(&self, a: &mut Cells) {
        a.id(self.id);
        a.id(self.patient_id);
        a.id(self.service_id);
        a.add(self.instrument_id.clone());
        a.add(self.instrument_version.clone());
        a.add(json(&self.answers));
        a.add(self.total);
        a.add(self.raw_total.map(i64::from));
        a.add(self.band.clone());
        a.add(self.at_caseness.map(i64::from));
        a.add(i64::from(self.prorated));
        a.add(json(&self.risk_items));
        a.add(self.source.as_str());
        a.add(self.idempotency_key.clone());
        a.at(self.submitted_at);
        a.add(self.submitted_by_kind.clone());
        a.add(self.submitted_by_id.clone());
        a.add(self.authored_at.map(bothy_domain::time::to_millis));
    }
}

impl BulkRow for CheckIn {
    const TABLE: &'static str = "check_ins";
    const COLUMNS: &'static str = "id, patient_id, service_id, mood, sleep_hours, activity, note, \
         checked_in_at, recorded_at, idempotency_key";
    const WIDTH: usize = 10;
    fn write(&self, a: &mut Cells) {
        a.id(self.id);
        a.id(self.patient_id);
        a.id(self.service_id);
        a.add(i64::from(self.mood));
        a.add(self.sleep_hours);
        a.add(self.activity.map(|x| x.as_str()));
        a.add(self.note.clone());
        a.at(self.checked_in_at);
        a.at(self.recorded_at);
        a.add(self.idempotency_key.clone());
    }
}

impl BulkRow for Alert {
    const TABLE: &'static str = "alerts";
    const COLUMNS: &'static str = "id, patient_id, service_id, cause, dedupe_key, severity, severity_rank, \
         summary, source_kind, source_id, assigned_to, raised_at, deadline_at, signal_count, last_signal_at, \
         acknowledged_at, acknowledged_by, closed_at, closed_by, outcome, outcome_note, escalated_at, \
         referral_id";
    const WIDTH: usize = 23;
    fn write(&self, a: &mut Cells) {
        let (closed, outcome) = match &self.state {
            AlertState::Closed { by, at, outcome } => (Some((*by, *at)), Some(outcome)),
            _ => (None, None),
        };
        let note = match outcome {
            Some(bothy_domain::alerts::Outcome::NoActionNeeded { reason }) => Some(reason.clone()),
            _ => self.close_note.clone(),
        };
        a.id(self.id);
        a.opt_id(self.patient_id);
        a.id(self.service_id);
        a.add(self.cause.key());
        a.add(self.dedupe_key.clone());
        a.add(self.severity.as_str());
        a.add(crate::alerts::rank(self.severity));
        a.add(self.summary.clone());
        a.add(self.source_kind.clone());
        a.add(self.source_id.clone());
        a.opt_id(self.assigned_to);
        a.at(self.raised_at);
        a.at(self.deadline);
        a.add(i64::from(self.signal_count));
        a.at(self.last_signal_at);
        a.opt_at(self.acknowledged.map(|(_, at)| at));
        a.opt_id(self.acknowledged.map(|(by, _)| by));
        a.opt_at(closed.map(|(_, at)| at));
        a.opt_id(closed.map(|(by, _)| by));
        a.add(outcome.map(|o| o.as_str()));
        a.add(note);
        a.opt_at(self.escalated_at);
        a.opt_id(self.referral_id);
    }
}

/// `INSERT INTO table (columns) VALUES ($1, ..), (..)` for `rows` rows,
/// or with `?` for every parameter when not `numbered`.
fn values_sql(table: &str, columns: &str, width: usize, rows: usize, numbered: bool) -> String {
    let mut sql = String::with_capacity(64 + columns.len() + rows * width * 7);
    sql.push_str("INSERT INTO ");
    sql.push_str(table);
    sql.push_str(" (");
    sql.push_str(columns);
    sql.push_str(") VALUES ");
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            n += 1;
            if c > 0 {
                sql.push_str(", ");
            }
            if numbered {
                sql.push('$');
                sql.push_str(&n.to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

impl Tx {
    /// Writes every row of the batch, table by table in foreign-key order.
    pub async fn insert_batch(&mut self, b: &Batch) -> Result<(), StoreError> {
        self.defer_report_rows().await?;
        self.write_rows(&b.patients).await?;
        self.write_rows(&b.demographics).await?;
        self.write_rows(&b.referrals).await?;
        self.write_rows(&b.episodes).await?;
        self.write_rows(&b.responses).await?;
        self.write_rows(&b.check_ins).await?;
        self.write_rows(&b.alerts).await?;
        let patients: Vec<_> = b.patients.iter().map(|p| p.id).collect();
        let referrals: Vec<_> = b.referrals.iter().map(|r| r.id).collect();
        self.refresh_report_rows(crate::ReportRows::Of {
            patients: &patients,
            referrals: &referrals,
        })
        .await
    }

    /// One table's rows: `COPY` where the backend has it, else `INSERT`s.
    async fn write_rows<R: BulkRow>(&mut self, rows: &[R]) -> Result<(), StoreError> {
        debug_assert_eq!(R::COLUMNS.split(',').count(), R::WIDTH);
        if rows.is_empty() {
            return Ok(());
        }
        match self.pg_connection() {
            Some(conn) => copy_rows(conn, rows).await,
            None => self.insert_rows(rows).await,
        }
    }

    async fn insert_rows<R: BulkRow>(&mut self, rows: &[R]) -> Result<(), StoreError> {
        let per = (self.dialect.max_bind_params / R::WIDTH).min(MAX_ROWS_PER_STATEMENT);
        for chunk in rows.chunks(per) {
            let sql = values_sql(
                R::TABLE,
                R::COLUMNS,
                R::WIDTH,
                chunk.len(),
                self.dialect.numbered_params,
            );
            let mut cells = Cells::Bind(self.args());
            for row in chunk {
                row.write(&mut cells);
            }
            let Cells::Bind(args) = cells else {
                unreachable!("made as Bind above")
            };
            self.query_with(sqlx::AssertSqlSafe(sql), args)
                .execute()
                .await?;
        }
        Ok(())
    }
}

/// `COPY` text sent to the server in pieces of about this many bytes.
const COPY_CHUNK: usize = 1 << 20;

/// Writes `rows` with one `COPY table (columns) FROM STDIN` (text format).
/// If anything fails the `COPY` is abandoned, and with it the transaction.
async fn copy_rows<R: BulkRow>(
    conn: &mut sqlx::PgConnection,
    rows: &[R],
) -> Result<(), StoreError> {
    let sql = format!("COPY {} ({}) FROM STDIN", R::TABLE, R::COLUMNS);
    let mut copy = conn.copy_in_raw(&sql).await?;
    let mut cells = Cells::Copy {
        text: String::with_capacity(COPY_CHUNK + 64 * 1024),
        row_started: false,
    };
    for row in rows {
        row.write(&mut cells);
        cells.end_row();
        if let Cells::Copy { text, .. } = &mut cells
            && text.len() >= COPY_CHUNK
        {
            copy.send(text.as_bytes()).await?;
            text.clear();
        }
    }
    if let Cells::Copy { text, .. } = &cells
        && !text.is_empty()
    {
        copy.send(text.as_bytes()).await?;
    }
    copy.finish().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::values_sql;

    #[test]
    fn numbers_placeholders_across_rows() {
        assert_eq!(
            values_sql("t", "a, b", 2, 2, true),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            values_sql("t", "a, b", 2, 2, false),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
    }
}

#[cfg(test)]
mod round_trip;
