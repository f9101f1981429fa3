//! A test that panics still leaves nothing behind: `run` removes its
//! database before passing the panic on.

use bothy_testkit::{Db, TestApp, run};
use sqlx::Connection;

/// Runs a body that panics; returns the URL of the database it was given.
async fn panicking_test(db: Db) -> String {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let outcome = tokio::spawn(run(db, Default::default(), move |t: TestApp| async move {
        tx.send(t.url.clone()).unwrap();
        panic!("a failing assertion");
    }))
    .await;
    let panic = outcome.expect_err("the panic is passed on").into_panic();
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"a failing assertion"));
    rx.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_test_leaves_no_sqlite_directory() {
    let url = panicking_test(Db::Sqlite).await;
    let file = url.strip_prefix("sqlite://").unwrap();
    let dir = std::path::Path::new(file).parent().unwrap();
    assert!(!dir.exists(), "{} is left behind", dir.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    bothy_no_postgres,
    ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set"
)]
async fn a_panicking_test_leaves_no_postgres_database() {
    let url = panicking_test(Db::Postgres).await;
    let name = url.rsplit('/').next().unwrap().to_string();
    assert!(name.starts_with("bothy_test_"), "{name}");
    let admin = std::env::var("BOTHY_TEST_DATABASE_URL").unwrap();
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    assert_eq!(left, 0, "{name} is left behind");
}

/// Copies of the template hold the demo accounts as made once: their
/// passwords and second-factor secrets work in every copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_copy_signs_in_with_the_demo_accounts() {
    for db in [Db::Sqlite, Db::Sqlite, Db::Postgres] {
        if db == Db::Postgres && std::env::var_os("BOTHY_TEST_DATABASE_URL").is_none() {
            continue;
        }
        run(db, Default::default(), |t: TestApp| async move {
            t.staff_client("clinical_lead").await;
            t.patient_client(0).await;
        })
        .await;
    }
}

/// A `TestApp` dropped without `finish` removes its database too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_dropped_unfinished_removes_its_directory() {
    let t = TestApp::new(Db::Sqlite).await.unwrap();
    let file = t.url.strip_prefix("sqlite://").unwrap().to_string();
    let dir = std::path::Path::new(&file).parent().unwrap().to_path_buf();
    assert!(dir.exists());
    let clone = t.clone();
    drop(t);
    assert!(dir.exists(), "removed while a clone is in use");
    drop(clone);
    assert!(!dir.exists(), "{} is left behind", dir.display());
}
