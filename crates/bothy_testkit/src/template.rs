//! The template database: migrated, with the demo service and its accounts,
//! built once per test process and copied for each test, so that tests do
//! not each run the migrations and hash the demo passwords.
//!
//! SQLite: the template is a file image kept in memory and written out for
//! each test. PostgreSQL: the template is a database copied with `CREATE
//! DATABASE ... TEMPLATE`, which fails while anyone is connected to the
//! template, so it is built with its own pool, which is then closed, and
//! copies are made one at a time. Its name comes from a slot this process
//! holds a session advisory lock on until it exits, so processes (of any
//! checkout) never share a template, and the next process to take the slot
//! drops what an earlier one left: at most one template per slot outlives
//! its run, instead of one per run.

use crate::app::{assemble, pool_settings};
use crate::{Db, start_time};
use bothy_app::demo::DemoAccounts;
use bothy_app::notify::MemoryOutbox;
use bothy_app::{AppSettings, FakeClock, RequestContext};
use bothy_store::Store;
use sqlx::{AssertSqlSafe, Connection, PgConnection, Row};
use tokio::sync::{Mutex, OnceCell};

/// A fresh database of a test's own.
pub(crate) struct Copy {
    pub url: String,
    /// The administrative URL and the copy's URL, to drop it.
    pub scratch: Option<(String, String)>,
    /// The SQLite database's directory, to remove it.
    pub dir: Option<std::path::PathBuf>,
    /// As the template build made them: the passwords and second-factor
    /// secrets stored in every copy.
    pub demo: DemoAccounts,
}

struct SqliteTemplate {
    image: Vec<u8>,
    demo: DemoAccounts,
}

struct PgTemplate {
    admin: String,
    name: String,
    demo: DemoAccounts,
}

static SQLITE: OnceCell<SqliteTemplate> = OnceCell::const_new();
static POSTGRES: OnceCell<PgTemplate> = OnceCell::const_new();
/// Copies of the PostgreSQL template are made one at a time: a second
/// `CREATE DATABASE` from the same template fails while the first copies.
static COPYING: Mutex<()> = Mutex::const_new(());

/// Advisory lock keys `SLOT_KEY..SLOT_KEY + SLOTS`: "bothy" in ASCII, shifted.
const SLOT_KEY: i64 = 0x626f_7468_7900;
const SLOTS: i64 = 256;

/// A fresh copy of the template; None when PostgreSQL is asked for but not
/// configured (and CI is not running).
pub(crate) async fn fresh(db: Db) -> Option<Copy> {
    match db {
        Db::Sqlite => {
            let t = SQLITE.get_or_init(sqlite_template).await;
            let dir = scratch_dir("bothy-test");
            std::fs::write(dir.join("bothy.db"), &t.image).unwrap();
            Some(Copy {
                url: sqlite_url(&dir),
                scratch: None,
                dir: Some(dir),
                demo: t.demo.clone(),
            })
        }
        Db::Postgres => {
            let Ok(admin) = std::env::var("BOTHY_TEST_DATABASE_URL") else {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI must set BOTHY_TEST_DATABASE_URL so PostgreSQL is tested"
                );
                eprintln!("BOTHY_TEST_DATABASE_URL not set: PostgreSQL variant not run");
                return None;
            };
            let t = POSTGRES.get_or_init(|| pg_template(admin)).await;
            let url = {
                let _one_at_a_time = COPYING.lock().await;
                bothy_store::create_scratch_copy(&t.admin, "bothy_test", Some(&t.name))
                    .await
                    .unwrap()
            };
            Some(Copy {
                url: url.clone(),
                scratch: Some((t.admin.clone(), url)),
                dir: None,
                demo: t.demo.clone(),
            })
        }
    }
}

/// Migrates the database at `url` and makes the demo service, then closes
/// every connection to it.
async fn build(url: &str) -> DemoAccounts {
    let store = Store::connect(url, &pool_settings()).await.unwrap();
    store.migrate().await.unwrap();
    let app = assemble(
        store,
        FakeClock::at(start_time()),
        AppSettings::default(),
        MemoryOutbox::new(),
        "",
    );
    let demo = app.demo().ensure(&RequestContext::default()).await.unwrap();
    app.store().close().await;
    demo
}

async fn sqlite_template() -> SqliteTemplate {
    let dir = scratch_dir("bothy-template");
    let demo = build(&sqlite_url(&dir)).await;
    // VACUUM INTO writes one self-contained file, whatever the journal
    // mode left beside the database.
    let image = dir.join("image.db");
    let mut conn = sqlx::SqliteConnection::connect(&sqlite_url(&dir))
        .await
        .unwrap();
    sqlx::query("VACUUM INTO ?")
        .bind(image.display().to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let image = std::fs::read(&image).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    SqliteTemplate { image, demo }
}

async fn pg_template(admin: String) -> PgTemplate {
    let mut lock = PgConnection::connect(&admin).await.unwrap();
    let mut slot = None;
    for s in 0..SLOTS {
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(SLOT_KEY + s)
            .fetch_one(&mut lock)
            .await
            .unwrap();
        if got {
            slot = Some(s);
            break;
        }
    }
    let slot = slot.expect("a free template slot");
    // The session holds the slot until this process exits and the server
    // sees the connection close; it is never used again.
    std::mem::forget(lock);
    let prefix = format!("bothy_template_{slot}");
    let mut conn = PgConnection::connect(&admin).await.unwrap();
    let stale = sqlx::query("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
        .bind(format!("{prefix}_"))
        .fetch_all(&mut conn)
        .await
        .unwrap();
    for row in stale {
        let name: String = row.get(0);
        sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    conn.close().await.unwrap();
    let url = bothy_store::create_scratch_database(&admin, &prefix)
        .await
        .unwrap();
    let demo = build(&url).await;
    let name = url
        .rsplit('/')
        .next()
        .and_then(|n| n.split('?').next())
        .unwrap()
        .to_string();
    PgTemplate { admin, name, demo }
}

fn scratch_dir(prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", bothy_domain::PatientId::random()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sqlite_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}/bothy.db", dir.display())
}
