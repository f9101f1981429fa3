//! The two migration trees describe the same schema.

use crate::helpers::{Db, TestApp};

#[tokio::test]
async fn migration_trees_have_the_same_numbers() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bothy_store/migrations");
    let numbers = |backend: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir.join(backend))
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .split('_')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(numbers("sqlite"), numbers("postgres"));
    assert_eq!(numbers("sqlite").len(), bothy_store::MIGRATIONS.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    bothy_no_postgres,
    ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set"
)]
async fn both_backends_migrate_to_the_same_tables_and_columns() {
    let sqlite = TestApp::new(Db::Sqlite).await.unwrap();
    let lite = bothy_store::schema_columns(sqlite.app.store())
        .await
        .unwrap();
    assert!(lite.contains(&("patients".to_string(), "date_of_birth".to_string())));
    sqlite.finish().await;
    let pg = TestApp::new(Db::Postgres)
        .await
        .expect("BOTHY_TEST_DATABASE_URL is set");
    let post = bothy_store::schema_columns(pg.app.store()).await.unwrap();
    pg.finish().await;
    let only_lite: Vec<_> = lite.iter().filter(|c| !post.contains(c)).collect();
    let only_pg: Vec<_> = post.iter().filter(|c| !lite.contains(c)).collect();
    assert!(
        only_lite.is_empty() && only_pg.is_empty(),
        "only in SQLite: {only_lite:?}; only in PostgreSQL: {only_pg:?}"
    );
}
