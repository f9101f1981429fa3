//! Scratch PostgreSQL databases for tests and benchmarks: each gets a fresh
//! database so that tests never share state and can run in parallel; and,
//! for the store's own tests, a scratch SQLite database.

use crate::StoreError;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// A migrated SQLite store in a directory of its own under the system's
/// temporary directory, for the store's unit tests, which remove the
/// directory when they are done.
#[cfg(test)]
pub(crate) async fn scratch_sqlite(tag: &str) -> (crate::Store, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("bothy-{tag}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/bothy.db", dir.display());
    let store = crate::Store::connect(&url, &crate::PoolSettings::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    (store, dir)
}

/// Creates an empty database next to the one `admin_url` names and returns its URL.
pub async fn create_scratch_database(
    admin_url: &str,
    name_prefix: &str,
) -> Result<String, StoreError> {
    create_scratch_copy(admin_url, name_prefix, None).await
}

/// Like [`create_scratch_database`], as a copy of the database `template`
/// (which nobody may be connected to while it is copied).
pub async fn create_scratch_copy(
    admin_url: &str,
    name_prefix: &str,
    template: Option<&str>,
) -> Result<String, StoreError> {
    let name = format!("{name_prefix}_{}", uuid::Uuid::new_v4().simple());
    let template = match template {
        Some(t) if t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            format!(" TEMPLATE \"{t}\"")
        }
        Some(_) => return Err(StoreError::Config("not a template database name".into())),
        None => String::new(),
    };
    let mut conn = PgConnection::connect(admin_url).await?;
    sqlx::query(AssertSqlSafe(format!(
        "CREATE DATABASE \"{name}\"{template}"
    )))
    .execute(&mut conn)
    .await?;
    conn.close().await?;
    Ok(replace_database(admin_url, &name))
}

/// Drops a scratch database made by [`create_scratch_database`].
pub async fn drop_scratch_database(admin_url: &str, url: &str) -> Result<(), StoreError> {
    let name = url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .split('?')
        .next()
        .unwrap_or_default();
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::Config("not a scratch database name".into()));
    }
    let mut conn = PgConnection::connect(admin_url).await?;
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    conn.close().await?;
    Ok(())
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    // postgres://user@host:port/db -> keep everything up to the last '/' after the host.
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let prefix = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            super::replace_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            super::replace_database("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(
            super::replace_database("postgres://u@h", "x"),
            "postgres://u@h/x"
        );
    }
}
