//! A write's audit event carried by the transaction's next statement.
//!
//! On PostgreSQL every statement is a round trip, and a write's audit event
//! was one of its own: a PHQ-9 submission stored the response, then its
//! event, then updated the score summary. An event appended in a write
//! transaction is now held by the `Tx` and sent with the next statement, as
//! a data-modifying `WITH` in front of it; if that statement cannot carry it
//! (it reads the audit trail, or is not a plain `SELECT`, `INSERT`, `UPDATE`,
//! `DELETE` or `WITH`), or nothing follows but the commit, it is sent on its
//! own first. The event is therefore in the database before anything later
//! in the transaction runs, and commits or rolls back with it exactly as
//! before:
//!
//! - PostgreSQL runs a `WITH`'s data-modifying part exactly once and to the
//!   end, whatever the statement after it reads; its rows count and rows are
//!   the statement's own.
//! - `SAVEPOINT` sends what is held first, so an event held when a savepoint
//!   is rolled back was appended after it, and is dropped with the rest of
//!   the savepoint's work, as the rollback would have removed it.
//! - A statement that fails aborts the transaction (or its savepoint) and the
//!   event with it, as a separate insert would have been.
//!
//! SQLite runs in the process, where a statement is a hand-off to the
//! connection's own thread, not a network round trip: each event is
//! inserted at once there. (Carrying it there too was measured and gained
//! nothing: docs/benchmark-runs-sqlite.md.)

use bothy_domain::audit::AuditRecord;

/// The name of the `WITH` query that appends the held events.
const CARRIER: &str = "audit_appended";

/// The events as one JSON array, in the form the dialect's `audit_rows` reads.
pub(crate) fn records_json(records: &[AuditRecord]) -> String {
    let rows: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            let digest = r.record.as_ref();
            serde_json::json!({
                "at": r.at_ms,
                "actor_kind": r.actor_kind,
                "actor_id": r.actor_id,
                "role": r.role,
                "service_id": r.service_id,
                "patient_id": r.patient_id,
                "action": r.action,
                "purpose": r.purpose,
                "request_id": r.request_id,
                "detail": r.detail,
                "record_kind": digest.map(|d| &d.kind),
                "record_id": digest.map(|d| &d.id),
                "record_digest": digest.map(|d| &d.digest),
            })
        })
        .collect();
    serde_json::Value::from(rows).to_string()
}

/// The insert of the JSON array bound as `$param`, given the dialect's
/// `audit_rows` (which reads it from `$1`).
pub(crate) fn insert_sql(audit_rows: &str, param: usize) -> String {
    format!(
        "INSERT INTO audit_events (at, actor_kind, actor_id, role, service_id, patient_id, \
         action, purpose, request_id, detail, record_kind, record_id, record_digest) {}",
        audit_rows.replace("$1", &format!("${param}"))
    )
}

/// `sql` with the insert of the events bound as `$param` in front of it, as
/// the first query of its `WITH`; None if it cannot carry them.
pub(crate) fn carried_sql(sql: &str, audit_rows: &str, param: usize) -> Option<String> {
    let body = sql.trim_start();
    let head: String = body
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase();
    // A statement that reads the trail would not see the events its own
    // `WITH` appends (all of it reads one snapshot).
    if !matches!(
        head.as_str(),
        "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "WITH"
    ) || body.contains("audit_")
    {
        return None;
    }
    let carrier = format!("{CARRIER} AS ({})", insert_sql(audit_rows, param));
    if head != "WITH" {
        return Some(format!("WITH {carrier} {body}"));
    }
    let rest = body[4..].trim_start();
    Some(match strip_word(rest, "RECURSIVE") {
        Some(queries) => format!("WITH RECURSIVE {carrier}, {queries}"),
        None => format!("WITH {carrier}, {rest}"),
    })
}

/// `s` after its first word if that word is `word` (in any case).
fn strip_word<'s>(s: &'s str, word: &str) -> Option<&'s str> {
    let (first, rest) = s.split_at_checked(word.len())?;
    (first.eq_ignore_ascii_case(word) && rest.starts_with(char::is_whitespace))
        .then(|| rest.trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROWS: &str = "SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(at BIGINT)";

    #[test]
    fn a_plain_statement_gets_the_insert_as_its_with() {
        let sql = carried_sql("UPDATE t SET a = $1 WHERE id = $2", ROWS, 3).unwrap();
        assert_eq!(
            sql,
            "WITH audit_appended AS (INSERT INTO audit_events (at, actor_kind, actor_id, role, \
             service_id, patient_id, action, purpose, request_id, detail, record_kind, record_id, \
             record_digest) SELECT * FROM jsonb_to_recordset($3::jsonb) AS r(at BIGINT)) \
             UPDATE t SET a = $1 WHERE id = $2"
        );
    }

    #[test]
    fn a_statement_with_its_own_with_gets_the_insert_first_in_it() {
        let sql = carried_sql("  with x AS (SELECT 1) SELECT * FROM x", ROWS, 1).unwrap();
        assert!(sql.starts_with("WITH audit_appended AS (INSERT INTO audit_events"));
        assert!(sql.ends_with("$1::jsonb) AS r(at BIGINT)), x AS (SELECT 1) SELECT * FROM x"));
        let sql =
            carried_sql("WITH RECURSIVE x(n) AS (SELECT 1) SELECT n FROM x", ROWS, 1).unwrap();
        assert!(sql.starts_with("WITH RECURSIVE audit_appended AS (INSERT"));
        assert!(sql.ends_with(", x(n) AS (SELECT 1) SELECT n FROM x"));
    }

    #[test]
    fn statements_that_cannot_carry_it_are_left_alone() {
        for sql in [
            "SELECT seq FROM audit_events WHERE patient_id = $1",
            "UPDATE audit_sealer SET head_pos = $1",
            "LOCK TABLE report_episodes IN EXCLUSIVE MODE",
            "(SELECT 1) UNION (SELECT 2)",
            "SAVEPOINT detectors",
            "WITHOUT",
        ] {
            assert_eq!(carried_sql(sql, ROWS, 1), None, "{sql}");
        }
    }
}
