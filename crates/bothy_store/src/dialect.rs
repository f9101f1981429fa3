//! The only statements that differ between the backends, chosen once at start-up:
//! how a write transaction starts, how a row is locked, how jobs are claimed, how
//! a list of ids is bound, how a list of audit events is read from one bound
//! JSON array, how many commits of reads' audit events run at once, and how a
//! bulk write holds off the other writers of the report tables.

use crate::Backend;

pub(crate) struct Dialect {
    pub backend: Backend,
    /// Starts a transaction that will write.
    pub begin_write: &'static str,
    /// Starts a read-only transaction that sees one consistent snapshot.
    pub begin_read: &'static str,
    /// Ends a `SELECT` in a write transaction that is about to change the
    /// rows it reads: they stay locked until the transaction ends, so a
    /// concurrent change of the same rows waits, then reads what this one
    /// wrote.
    pub for_update: &'static str,
    /// Claims due jobs: `$1` lease holder, `$2` lease end, `$3` now, `$4` how
    /// many. Returns `id, kind, payload, idempotency_key, attempts, max_attempts`.
    pub claim_jobs: &'static str,
    /// The most bind parameters one statement may carry (bulk loading).
    pub max_bind_params: usize,
    /// Whether bulk statements number their parameters (`$1`) or leave them
    /// anonymous (`?`). SQLite looks a numbered parameter up by name with a
    /// linear scan, which makes a statement with thousands of them quadratic;
    /// PostgreSQL only knows numbered ones.
    pub numbered_params: bool,
    /// Holds off every other writer of the report tables (and of people's
    /// last activity, kept the same way) until this transaction ends, after
    /// waiting for those already writing (`reports/deferred.rs`); empty
    /// where writers take turns anyway.
    pub lock_report_tables: &'static str,
    /// What `IN ({ids})` becomes: the condition that a value is one of the
    /// list bound as `$1` (`Query::bind_ids`: a text array on PostgreSQL, a
    /// JSON array on SQLite).
    pub in_ids: &'static str,
    /// The rows of `$1`, a JSON array of audit events (`Tx::audit_all`), as
    /// the columns `audit_events` takes them in, from `at` to `record_digest`.
    pub audit_rows: &'static str,
    /// Whether reads share the commits of their audit events (`bothy_app`'s
    /// `read_audit.rs`) or each commits its own at once.
    pub audit_group_commit: bool,
}

/// The jobs a claim may take: queued and due, or running on a lease that ran
/// out (its worker died) with attempts left. The same text in both dialects.
/// Each kind is read in order along its own index and cut at the limit
/// before the two are merged: with one `OR` the database read and sorted
/// every due job on each claim (60 ms a claim behind a backlog of 63,000
/// queued jobs). The conditions are repeated on the outer rows so that a
/// row another claim has just taken is checked again when it is locked.
macro_rules! claimable_jobs {
    () => {
        "SELECT id FROM jobs \
         WHERE id IN ( \
             SELECT id FROM (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= $3 \
                 ORDER BY run_at, id LIMIT $4) due \
             UNION ALL \
             SELECT id FROM (SELECT id FROM jobs WHERE state = 'running' AND locked_until <= $3 \
                 AND attempts < max_attempts ORDER BY locked_until, id LIMIT $4) lapsed) \
           AND ((state = 'queued' AND run_at <= $3) \
            OR (state = 'running' AND locked_until <= $3 AND attempts < max_attempts)) \
         ORDER BY run_at, id LIMIT $4"
    };
}

static SQLITE: Dialect = Dialect {
    backend: Backend::Sqlite,
    begin_write: "BEGIN IMMEDIATE",
    // SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32.
    max_bind_params: 32_766,
    numbered_params: false,
    // One writer at a time already.
    lock_report_tables: "",
    in_ids: "IN (SELECT value FROM json_each($1))",
    audit_rows: "SELECT value ->> 'at', value ->> 'actor_kind', value ->> 'actor_id', \
                 value ->> 'role', value ->> 'service_id', value ->> 'patient_id', \
                 value ->> 'action', value ->> 'purpose', value ->> 'request_id', \
                 value ->> 'detail', value ->> 'record_kind', value ->> 'record_id', \
                 value ->> 'record_digest' FROM json_each($1) ORDER BY key",
    // Commits take turns on the one write connection, each with its own
    // sync to disk: a commit holding every read that queued while it waited
    // for its turn makes one sync serve them all.
    audit_group_commit: true,
    // A deferred transaction in WAL mode reads one snapshot from its first read.
    begin_read: "BEGIN",
    // A write transaction (BEGIN IMMEDIATE) holds the database's one write
    // lock from its start, so every row it reads is already its own.
    for_update: "",
    // The claim runs in a write transaction (BEGIN IMMEDIATE), which already
    // serialises claims: no two workers can select the same job.
    claim_jobs: concat!(
        "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1 \
         WHERE id IN (",
        claimable_jobs!(),
        ") RETURNING id, kind, payload, idempotency_key, attempts, max_attempts"
    ),
};

static POSTGRES: Dialect = Dialect {
    backend: Backend::Postgres,
    begin_write: "BEGIN",
    // The wire protocol counts parameters in 16 bits.
    max_bind_params: 65_535,
    numbered_params: true,
    // EXCLUSIVE waits for every transaction that has written report rows
    // (their triggers hold ROW EXCLUSIVE) and holds off new ones until the
    // commit, so the refresh reads every change committed before it and
    // every later change's trigger reads the refresh's records.
    lock_report_tables: "LOCK TABLE report_people, report_episodes, report_referrals, \
                         report_alerts, patient_activity IN EXCLUSIVE MODE",
    // An index condition, planned with the array as one parameter.
    in_ids: "= ANY($1)",
    audit_rows: "SELECT at, actor_kind, actor_id, role, service_id, patient_id, action, \
                 purpose, request_id, detail, record_kind, record_id, record_digest \
                 FROM jsonb_to_recordset($1::jsonb) AS r(at BIGINT, actor_kind TEXT, \
                 actor_id TEXT, role TEXT, service_id TEXT, patient_id TEXT, action TEXT, \
                 purpose TEXT, request_id TEXT, detail TEXT, record_kind TEXT, \
                 record_id TEXT, record_digest TEXT)",
    // Concurrent commits already share the write-ahead log's flushes, so a
    // read commits at once; making it wait for another batch only added
    // that batch's time to every read (W4 at 8 clients).
    audit_group_commit: false,
    // READ COMMITTED would let a multi-statement read (audit verification)
    // see rows committed between its statements.
    begin_read: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    // Under READ COMMITTED two transactions can read the same row and both
    // act on what they read; a row lock makes the second wait and then read
    // the first one's change.
    for_update: " FOR UPDATE",
    // Workers in several processes claim at once: each locks the rows it
    // takes and skips rows another claim has locked, so none waits and no
    // job is taken twice. A row changed by a claim that committed meanwhile
    // is checked against the WHERE clause again before it is locked.
    // MATERIALIZED keeps the locking SELECT a separate step that runs once.
    claim_jobs: concat!(
        "WITH next AS MATERIALIZED (",
        claimable_jobs!(),
        " FOR UPDATE SKIP LOCKED) \
         UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = jobs.attempts + 1 \
         FROM next WHERE jobs.id = next.id \
         RETURNING jobs.id, jobs.kind, jobs.payload, jobs.idempotency_key, jobs.attempts, jobs.max_attempts"
    ),
};

impl Dialect {
    pub fn for_backend(b: Backend) -> &'static Dialect {
        match b {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        }
    }
}
