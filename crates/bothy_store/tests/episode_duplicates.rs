//! Migration 9 on a database where parallel acceptances once opened several
//! episodes for one referral: nothing is deleted, the episode of the patient
//! the referral names stays as it was, the others are marked as duplicates
//! of it, and from then on a second episode for a referral is refused.

use sqlx::{Connection, PgConnection, Row, SqliteConnection};

/// A direct connection, as the migration runner has: test code only, so it
/// may name the backend.
enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Conn {
    async fn connect(url: &str, postgres: bool) -> Self {
        if postgres {
            Conn::Postgres(PgConnection::connect(url).await.unwrap())
        } else {
            Conn::Sqlite(SqliteConnection::connect(url).await.unwrap())
        }
    }

    async fn run(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self {
            Conn::Sqlite(c) => sqlx::raw_sql(sql).execute(c).await.map(drop),
            Conn::Postgres(c) => sqlx::raw_sql(sql).execute(c).await.map(drop),
        }
    }

    async fn pairs(&mut self, sql: &'static str) -> Vec<(String, Option<String>)> {
        match self {
            Conn::Sqlite(c) => sqlx::query(sql)
                .fetch_all(c)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect(),
            Conn::Postgres(c) => sqlx::query(sql)
                .fetch_all(c)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect(),
        }
    }

    async fn close(self) {
        match self {
            Conn::Sqlite(c) => c.close().await.unwrap(),
            Conn::Postgres(c) => c.close().await.unwrap(),
        }
    }
}

fn sql_for(version: i64, postgres: bool) -> &'static str {
    let (_, _, sqlite, pg) = bothy_store::MIGRATIONS
        .iter()
        .find(|m| m.0 == version)
        .unwrap();
    if postgres { pg } else { sqlite }
}

async fn exec(conn: &mut Conn, sql: &str) {
    conn.run(sql).await.unwrap_or_else(|e| panic!("{e}: {sql}"));
}

async fn check(url: &str, postgres: bool) {
    let mut conn = Conn::connect(url, postgres).await;
    let mut versions: Vec<i64> = bothy_store::MIGRATIONS
        .iter()
        .map(|m| m.0)
        .filter(|v| *v < 9)
        .collect();
    versions.sort();
    for v in versions {
        exec(&mut conn, sql_for(v, postgres)).await;
    }
    // Two episodes of referral r1 besides the one its patient (p2) has, in
    // the order they were opened, and referral r2 with one episode.
    exec(
        &mut conn,
        "INSERT INTO services (id, slug, name, created_at) VALUES ('s', 'demo', 'Demo', 0);
         INSERT INTO staff (id, email, display_name, created_at) VALUES ('st', 'sam@example.org', 'Sam', 0);
         INSERT INTO patients (id, service_id, given_name, family_name, date_of_birth, created_at) VALUES
             ('p1', 's', 'Rowan', 'Round', '1990-01-01', 0),
             ('p2', 's', 'Rowan', 'Round', '1990-01-01', 0),
             ('p3', 's', 'Rowan', 'Round', '1990-01-01', 0),
             ('p4', 's', 'Isla', 'Other', '1991-01-01', 0);
         INSERT INTO referrals (id, service_id, status, source, created_at, updated_at, patient_id) VALUES
             ('r1', 's', 'accepted', 'professional', 0, 0, 'p2'),
             ('r2', 's', 'accepted', 'professional', 0, 0, 'p4');
         INSERT INTO episodes (id, patient_id, service_id, referral_id, step, practitioner_id,
             problem_descriptor, referred_at, opened_at) VALUES
             ('e1', 'p1', 's', 'r1', 'programme', 'st', 'depression', 0, 10),
             ('e2', 'p2', 's', 'r1', 'programme', 'st', 'depression', 0, 11),
             ('e3', 'p3', 's', 'r1', 'programme', 'st', 'depression', 0, 12),
             ('e4', 'p4', 's', 'r2', 'programme', 'st', 'depression', 0, 13);",
    )
    .await;
    exec(&mut conn, sql_for(9, postgres)).await;
    let marked = conn
        .pairs("SELECT id, duplicate_of FROM episodes ORDER BY id")
        .await;
    let e = |id: &str, of: Option<&str>| (id.to_string(), of.map(str::to_string));
    assert_eq!(
        marked,
        [
            e("e1", Some("e2")),
            e("e2", None),
            e("e3", Some("e2")),
            e("e4", None)
        ]
    );
    let again = conn
        .run(
            "INSERT INTO episodes (id, patient_id, service_id, referral_id, step, practitioner_id, \
             problem_descriptor, referred_at, opened_at) \
             VALUES ('e5', 'p4', 's', 'r2', 'programme', 'st', 'depression', 0, 14)",
        )
        .await;
    let refused = again.expect_err("a second episode for r2 is refused");
    assert!(
        refused
            .as_database_error()
            .is_some_and(|d| d.is_unique_violation()),
        "{refused}"
    );
    conn.close().await;
}

#[tokio::test]
async fn sqlite() {
    let dir = std::env::temp_dir().join(format!("bothy-m9-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    check(&format!("sqlite://{}/m9.db?mode=rwc", dir.display()), false).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
#[cfg_attr(
    bothy_no_postgres,
    ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set"
)]
async fn postgres() {
    let Ok(admin) = std::env::var("BOTHY_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set BOTHY_TEST_DATABASE_URL"
        );
        return;
    };
    let url = bothy_store::create_scratch_database(&admin, "bothy_m9")
        .await
        .unwrap();
    check(&url, true).await;
    bothy_store::drop_scratch_database(&admin, &url)
        .await
        .unwrap();
}
