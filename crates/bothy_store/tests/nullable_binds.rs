//! PostgreSQL's cached statements: a statement first prepared with a NULL
//! must accept a value later on the same connection, for the kinds the
//! store binds as nullable: integers and text. (sqlx's `Any` driver failed
//! this for doubles, one reason the store left it for the native drivers.)

use sqlx::{Connection, PgConnection};

#[tokio::test]
async fn nullable_integers_and_text_survive_a_cached_statement() {
    let Ok(admin) = std::env::var("BOTHY_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set BOTHY_TEST_DATABASE_URL"
        );
        return;
    };
    let url = bothy_store::create_scratch_database(&admin, "bothy_nulls")
        .await
        .unwrap();
    let mut conn = PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("CREATE TABLE t (n BIGINT, s TEXT)")
        .execute(&mut conn)
        .await
        .unwrap();
    for (n, s) in [
        (None, None),
        (Some(5_i64), Some("x")),
        (None, None),
        (Some(7), Some("y")),
    ] {
        sqlx::query("INSERT INTO t (n, s) VALUES ($1, $2)")
            .bind(n)
            .bind(s)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{n:?} {s:?}: {e}"));
    }
    conn.close().await.unwrap();
    bothy_store::drop_scratch_database(&admin, &url)
        .await
        .unwrap();
}
