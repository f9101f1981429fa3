//! The only statements that differ between the backends, chosen once at start-up.

use crate::Backend;

pub(crate) struct Dialect {
    pub backend: Backend,
    /// Run on every new connection.
    pub on_connect: &'static [&'static str],
    /// Starts a transaction that will write.
    pub begin_write: &'static str,
    /// Starts a read-only transaction that sees one consistent snapshot.
    pub begin_read: &'static str,
}

static SQLITE: Dialect = Dialect {
    backend: Backend::Sqlite,
    on_connect: &[
        "PRAGMA journal_mode = WAL",
        // FULL: a commit is on disk before it is acknowledged, as on PostgreSQL.
        "PRAGMA synchronous = FULL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA busy_timeout = 5000",
    ],
    begin_write: "BEGIN IMMEDIATE",
    // A deferred transaction in WAL mode reads one snapshot from its first read.
    begin_read: "BEGIN",
};

static POSTGRES: Dialect = Dialect {
    backend: Backend::Postgres,
    on_connect: &["SET TIME ZONE 'UTC'"],
    begin_write: "BEGIN",
    // READ COMMITTED would let a multi-statement read (audit verification)
    // see rows committed between its statements.
    begin_read: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
};

impl Dialect {
    pub fn for_backend(b: Backend) -> &'static Dialect {
        match b {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        }
    }
}
