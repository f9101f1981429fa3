//! One query API over the two native drivers.
//!
//! A statement is written once, in SQL both dialects accept, and bound with
//! values both drivers can encode ([`Value`]); [`Tx::query`] encodes the
//! arguments straight into the native driver's buffer of the connection's
//! backend, so nothing is decoded into dynamic cells and every statement is
//! prepared once per connection and cached. Rows come back as [`Row`], read
//! by column name into values both drivers can decode ([`Col`]).
//!
//! Why not sqlx's `Any` driver: it decodes every value into an owned dynamic
//! cell, has no uuid, jsonb, arrays or COPY, and binds a NULL double as a
//! 4-byte float. Why not a generic `Store<DB>`: the bounds sqlx needs for a
//! generic executor spread to every caller, and the backend would become a
//! type parameter of the app; an enum chosen once at start-up keeps callers
//! unaware of the backend.

use crate::audit::carried;
use crate::{StoreError, Tx};
use bothy_domain::audit::AuditRecord;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Decode, Encode, Postgres, SqlSafeStr, SqlStr, Sqlite, Transaction, Type};

/// A value both drivers can bind.
pub(crate) trait Value<'t>:
    Encode<'t, Sqlite> + Type<Sqlite> + Encode<'t, Postgres> + Type<Postgres>
{
}
impl<'t, T> Value<'t> for T where
    T: Encode<'t, Sqlite> + Type<Sqlite> + Encode<'t, Postgres> + Type<Postgres>
{
}

/// A value both drivers can read back.
pub(crate) trait Col:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}
impl<T> Col for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

/// The connection a [`Tx`] holds: a transaction, or (for a single read) a
/// plain pooled connection, on either backend.
pub(crate) enum Conn {
    SqliteTx(Transaction<'static, Sqlite>),
    PgTx(Transaction<'static, Postgres>),
    Sqlite(PoolConnection<Sqlite>),
    Pg(PoolConnection<Postgres>),
    /// A PostgreSQL read-only snapshot (`Store::read`).
    PgSnapshot(Snapshot),
}

/// A pooled PostgreSQL connection in a read-only transaction begun and
/// ended by statements of its own rather than by sqlx's `Transaction`, so
/// that the connection outlives the snapshot: a read then appends its audit
/// events on it (`Store::end_read_and_append_audit`), where a second
/// connection would cost a round trip more (sqlx tests each connection it
/// takes back). One dropped while its transaction is open (an error, a
/// cancelled request) is closed, never returned to the pool inside it.
pub(crate) struct Snapshot {
    conn: PoolConnection<Postgres>,
    open: bool,
}

impl Snapshot {
    pub(crate) async fn begin(
        conn: PoolConnection<Postgres>,
        sql: &'static str,
    ) -> Result<Self, StoreError> {
        // Open before `BEGIN` is sent: a request cancelled while it is
        // under way closes the connection.
        let mut s = Snapshot { conn, open: true };
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *s.conn)
            .await?;
        Ok(s)
    }

    /// Ends the snapshot; the connection then runs statements in
    /// autocommit.
    pub(crate) async fn end(&mut self) -> Result<(), StoreError> {
        if self.open {
            sqlx::raw_sql("ROLLBACK").execute(&mut *self.conn).await?;
            self.open = false;
        }
        Ok(())
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        if self.open {
            self.conn.close_on_drop();
        }
    }
}

impl Conn {
    fn is_sqlite(&self) -> bool {
        matches!(self, Conn::SqliteTx(_) | Conn::Sqlite(_))
    }
}

/// Bind arguments in the native form of one backend.
pub(crate) enum Args {
    Sqlite(SqliteArguments),
    Pg(PgArguments),
}

impl Args {
    pub(crate) fn for_conn(conn: &Conn) -> Self {
        if conn.is_sqlite() {
            Args::Sqlite(SqliteArguments::default())
        } else {
            Args::Pg(PgArguments::default())
        }
    }

    /// Appends a value. Encoding fails only for a value its type cannot
    /// represent (none of ours); the statement then fails with the error.
    pub(crate) fn add<'t, T: Value<'t>>(&mut self, v: T) -> Result<(), StoreError> {
        let r = match self {
            Args::Sqlite(a) => a.add(v),
            Args::Pg(a) => a.add(v),
        };
        r.map_err(|e| StoreError::Db(sqlx::Error::Encode(e)))
    }
}

/// A statement being bound, on its way to one connection.
#[must_use = "a query does nothing until it is executed"]
pub(crate) struct Query<'c> {
    conn: &'c mut Conn,
    sql: SqlStr,
    args: Args,
    error: Option<StoreError>,
    /// The transaction's audit events not yet sent, which this statement
    /// sends (`audit/carried.rs`), and the dialect's rows of a JSON array.
    held: &'c mut Vec<AuditRecord>,
    audit_rows: &'static str,
}

/// What a statement changed.
pub(crate) struct Done {
    rows: u64,
}

impl Done {
    pub(crate) fn rows_affected(&self) -> u64 {
        self.rows
    }
}

/// Runs `$body` with `$q` bound to the native sqlx query and `$c` to the
/// native connection, whichever the backend.
macro_rules! on_backend {
    ($self:ident, |$q:ident, $c:ident| $body:expr) => {{
        if let Some(e) = $self.error {
            return Err(e);
        }
        match ($self.conn, $self.args) {
            (Conn::SqliteTx(t), Args::Sqlite(a)) => {
                let $q = sqlx::query_with($self.sql, a);
                let $c = &mut **t;
                $body
            }
            (Conn::Sqlite(p), Args::Sqlite(a)) => {
                let $q = sqlx::query_with($self.sql, a);
                let $c = &mut **p;
                $body
            }
            (Conn::PgTx(t), Args::Pg(a)) => {
                let $q = sqlx::query_with($self.sql, a);
                let $c = &mut **t;
                $body
            }
            (Conn::Pg(p), Args::Pg(a)) => {
                let $q = sqlx::query_with($self.sql, a);
                let $c = &mut **p;
                $body
            }
            (Conn::PgSnapshot(s), Args::Pg(a)) => {
                let $q = sqlx::query_with($self.sql, a);
                let $c = &mut *s.conn;
                $body
            }
            _ => unreachable!("arguments are made for the connection's backend"),
        }
    }};
}

impl Query<'_> {
    /// Binds a list of ids as one parameter, in the form the backend's
    /// `in_ids` reads: a text array on PostgreSQL, a JSON array on SQLite.
    pub(crate) fn bind_ids<T: ToString>(mut self, ids: &[T]) -> Self {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let r = match &mut self.args {
            Args::Pg(a) => a.add(ids),
            Args::Sqlite(a) => a.add(serde_json::Value::from(ids).to_string()),
        };
        if self.error.is_none()
            && let Err(e) = r
        {
            self.error = Some(StoreError::Db(sqlx::Error::Encode(e)));
        }
        self
    }

    pub(crate) fn bind<'t, T: Value<'t>>(mut self, v: T) -> Self {
        if self.error.is_none()
            && let Err(e) = self.args.add(v)
        {
            self.error = Some(e);
        }
        self
    }

    /// Sends the transaction's held audit events with this statement, as
    /// the first query of its `WITH`, or on their own before it if it cannot
    /// carry them (`audit/carried.rs`).
    async fn carry_held(mut self) -> Result<Self, StoreError> {
        if self.held.is_empty() || self.error.is_some() {
            return Ok(self);
        }
        let events = carried::records_json(self.held);
        let carrier = match &self.args {
            Args::Pg(a) => carried::carried_sql(self.sql.as_str(), self.audit_rows, a.len() + 1),
            Args::Sqlite(_) => None,
        };
        match carrier {
            Some(sql) => {
                self.sql = sqlx::AssertSqlSafe(sql).into_sql_str();
                self = self.bind(events);
            }
            None => {
                let mut args = Args::for_conn(self.conn);
                args.add(events)?;
                let insert = carried::insert_sql(self.audit_rows, 1);
                Query {
                    conn: &mut *self.conn,
                    sql: sqlx::AssertSqlSafe(insert).into_sql_str(),
                    args,
                    error: None,
                    held: &mut Vec::new(),
                    audit_rows: self.audit_rows,
                }
                .send_execute()
                .await?;
            }
        }
        self.held.clear();
        Ok(self)
    }

    pub(crate) async fn execute(self) -> Result<Done, StoreError> {
        self.carry_held().await?.send_execute().await
    }

    async fn send_execute(self) -> Result<Done, StoreError> {
        on_backend!(self, |q, c| Ok(Done {
            rows: q.execute(c).await?.rows_affected()
        }))
    }

    pub(crate) async fn fetch_one(self) -> Result<Row, StoreError> {
        let this = self.carry_held().await?;
        on_backend!(this, |q, c| Ok(Row::from(q.fetch_one(c).await?)))
    }

    pub(crate) async fn fetch_optional(self) -> Result<Option<Row>, StoreError> {
        let this = self.carry_held().await?;
        on_backend!(this, |q, c| Ok(q.fetch_optional(c).await?.map(Row::from)))
    }

    pub(crate) async fn fetch_all(self) -> Result<Vec<Row>, StoreError> {
        let this = self.carry_held().await?;
        on_backend!(this, |q, c| Ok(q
            .fetch_all(c)
            .await?
            .into_iter()
            .map(Row::from)
            .collect()))
    }
}

/// A row from either backend.
pub(crate) enum Row {
    Sqlite(SqliteRow),
    Pg(PgRow),
}

impl From<SqliteRow> for Row {
    fn from(r: SqliteRow) -> Self {
        Row::Sqlite(r)
    }
}

impl From<PgRow> for Row {
    fn from(r: PgRow) -> Self {
        Row::Pg(r)
    }
}

impl Row {
    /// The value of column `name`.
    pub(crate) fn try_get<T: Col>(&self, name: &str) -> Result<T, StoreError> {
        use sqlx::Row as _;
        Ok(match self {
            Row::Sqlite(r) => r.try_get(name)?,
            Row::Pg(r) => r.try_get(name)?,
        })
    }

    /// The value of the column at `index` (from 0).
    pub(crate) fn try_get_at<T: Col>(&self, index: usize) -> Result<T, StoreError> {
        use sqlx::Row as _;
        Ok(match self {
            Row::Sqlite(r) => r.try_get(index)?,
            Row::Pg(r) => r.try_get(index)?,
        })
    }
}

/// Where a statement for [`Tx::query_in`] takes its list of ids.
const IDS: &str = "IN ({ids})";

impl Tx {
    /// A statement whose `IN ({ids})` is the condition that a value is one
    /// of `ids`, bound as the one parameter `$1` (later parameters are
    /// numbered from `$2`): one place for every look-up of a list of
    /// records. The text is the same whatever the number of ids, so it is
    /// prepared once per connection; a placeholder per id made each length
    /// of list a new statement, parsed on every read of a caseload and
    /// pushing other statements out of the connection's cache.
    ///
    /// One id is an equality instead. PostgreSQL plans `= ANY($1)` afresh
    /// on every execution, as a plan kept for any array must guess its
    /// length: for one id (a patient's page) the planning took six times
    /// as long as the read. An equality's plan is kept after five runs.
    pub(crate) fn query_in<T: ToString>(&mut self, sql: &str, ids: &[T]) -> Query<'_> {
        debug_assert!(sql.contains(IDS), "no {IDS} in {sql}");
        if let [id] = ids {
            let sql = sql.replace(IDS, "= $1");
            return self.query(sqlx::AssertSqlSafe(sql)).bind(id.to_string());
        }
        let sql = sql.replace(IDS, self.dialect.in_ids);
        self.query(sqlx::AssertSqlSafe(sql)).bind_ids(ids)
    }

    /// A statement for this transaction's connection.
    pub(crate) fn query(&mut self, sql: impl SqlSafeStr) -> Query<'_> {
        let args = Args::for_conn(&self.conn);
        self.query_with(sql, args)
    }

    /// A statement with arguments built beforehand (bulk statements).
    pub(crate) fn query_with(&mut self, sql: impl SqlSafeStr, args: Args) -> Query<'_> {
        Query {
            conn: &mut self.conn,
            sql: sql.into_sql_str(),
            args,
            error: None,
            held: &mut self.audit_held,
            audit_rows: self.dialect.audit_rows,
        }
    }

    /// Whether this transaction holds its audit events for its next
    /// statement (`audit/carried.rs`): a PostgreSQL transaction does.
    pub(crate) fn holds_audit(&self) -> bool {
        matches!(self.conn, Conn::PgTx(_))
    }

    /// Sends the held audit events on their own, if there are any.
    pub(crate) async fn send_held_audit(&mut self) -> Result<(), StoreError> {
        let held = std::mem::take(&mut self.audit_held);
        self.audit_all(&held).await
    }

    /// The PostgreSQL connection under this transaction, for `COPY` in bulk
    /// loading; None on SQLite, which has no `COPY`.
    pub(crate) fn pg_connection(&mut self) -> Option<&mut sqlx::PgConnection> {
        match &mut self.conn {
            Conn::PgTx(t) => Some(&mut **t),
            Conn::Pg(c) => Some(&mut **c),
            Conn::PgSnapshot(s) => Some(&mut *s.conn),
            Conn::SqliteTx(_) | Conn::Sqlite(_) => None,
        }
    }

    /// Empty arguments for this transaction's backend.
    pub(crate) fn args(&self) -> Args {
        Args::for_conn(&self.conn)
    }

    /// Runs statements without arguments or results (savepoints, DDL), as
    /// one simple-protocol batch that is not prepared.
    pub(crate) async fn raw(&mut self, sql: impl SqlSafeStr) -> Result<(), StoreError> {
        let sql = sql.into_sql_str();
        match &mut self.conn {
            Conn::SqliteTx(t) => sqlx::raw_sql(sql).execute(&mut **t).await?,
            Conn::Sqlite(c) => sqlx::raw_sql(sql).execute(&mut **c).await?,
            Conn::PgTx(t) => {
                sqlx::raw_sql(sql).execute(&mut **t).await?;
                return Ok(());
            }
            Conn::Pg(c) => {
                sqlx::raw_sql(sql).execute(&mut **c).await?;
                return Ok(());
            }
            Conn::PgSnapshot(s) => {
                sqlx::raw_sql(sql).execute(&mut *s.conn).await?;
                return Ok(());
            }
        };
        Ok(())
    }
}
