//! `bothy backup FILE`: a copy of the database while the service runs.
//! SQLite: `VACUUM INTO` (one consistent snapshot), checked before it is
//! named. PostgreSQL: `pg_dump --format=custom`, when it is installed; point-
//! in-time recovery is the operator's (docs/deployment.md, section 6).

use anyhow::{Context, bail};
use bothy::Config;
use bothy_store::Backend;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

pub async fn backup(config: &Config, file: &Path) -> anyhow::Result<ExitCode> {
    if file.exists() {
        bail!("{} exists: choose a new file name", file.display());
    }
    if let Some(db) = bothy_store::sqlite_file(&config.database_url())
        && !db.is_file()
    {
        bail!("there is no database at {} to back up", db.display());
    }
    let store = bothy::connect_store(config).await?;
    let backend = store.backend();
    // The snapshot's counts, read with the copy, for the operator's record.
    let made = match backend {
        Backend::Sqlite => copy_sqlite(&store, file).await,
        Backend::Postgres => dump_postgres(&config.database_url(), file),
    };
    let counts = store.table_counts().await;
    store.close().await;
    made?;
    let records: i64 = counts?.iter().map(|(_, n)| n).sum();
    println!(
        "Backed up the {} database to {} (it held {records} rows just after the copy).",
        super::backend_name(backend),
        file.display()
    );
    println!("Restore it with: bothy restore {}", file.display());
    Ok(ExitCode::SUCCESS)
}

/// Writes the copy under a temporary name, checks it and only then gives it
/// the name asked for, so a file with that name is always a whole backup.
async fn copy_sqlite(store: &bothy_store::Store, file: &Path) -> anyhow::Result<()> {
    let partial = partial_name(file);
    let _ = std::fs::remove_file(&partial);
    store
        .backup_sqlite_into(&partial)
        .await
        .with_context(|| format!("cannot write {}", partial.display()))?;
    let problems = bothy_store::check_sqlite_file(&partial).await?;
    if !problems.is_empty() {
        let _ = std::fs::remove_file(&partial);
        bail!(
            "the copy failed its integrity check: {}",
            problems.join("; ")
        );
    }
    durable_rename(&partial, file)
}

/// `pg_dump`'s own format: compressed, and `pg_restore` can restore it into
/// a database of another name or clean an existing one.
fn dump_postgres(url: &str, file: &Path) -> anyhow::Result<()> {
    let partial = partial_name(file);
    let mut cmd = pg_tool("pg_dump", url)?;
    cmd.args(["--format=custom", "--no-owner", "--file"])
        .arg(&partial);
    run(cmd, "pg_dump")?;
    durable_rename(&partial, file)
}

fn partial_name(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Renames, then flushes the file and its directory, so the backup survives
/// a power cut right after the command says it is done.
fn durable_rename(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::File::open(from)?.sync_all()?;
    std::fs::rename(from, to).with_context(|| format!("cannot name {}", to.display()))?;
    let dir = to.parent().filter(|d| !d.as_os_str().is_empty());
    std::fs::File::open(dir.unwrap_or(Path::new(".")))?.sync_all()?;
    Ok(())
}

/// A PostgreSQL client tool for the database at `url`. The password goes in
/// `PGPASSWORD` rather than on the command line, which other users can see.
pub fn pg_tool(tool: &str, url: &str) -> anyhow::Result<Command> {
    if !on_path(tool) {
        bail!(
            "{tool} was not found on the PATH. Install PostgreSQL's client tools \
             (Debian: apt-get install postgresql-client) of the server's major version or \
             newer, or back up with your own tools: see docs/deployment.md, section 6 \
             (pg_dump, pg_restore and point-in-time recovery)."
        );
    }
    let (url, password) = split_password(url);
    let mut cmd = Command::new(tool);
    cmd.arg("--dbname").arg(url);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    Ok(cmd)
}

pub fn run(mut cmd: Command, tool: &str) -> anyhow::Result<()> {
    let status = cmd.status().with_context(|| format!("cannot run {tool}"))?;
    if !status.success() {
        bail!("{tool} failed ({status}); its messages are above");
    }
    Ok(())
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}

/// `postgres://user:secret@host/db` becomes `postgres://user@host/db` and
/// `secret` (percent-decoded, as libpq would decode it in the URL).
fn split_password(url: &str) -> (String, Option<String>) {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return (url.to_string(), None);
    };
    let Some(at) = url[start..].find('@').map(|i| start + i) else {
        return (url.to_string(), None);
    };
    let Some(colon) = url[start..at].find(':').map(|i| start + i) else {
        return (url.to_string(), None);
    };
    let bare = format!("{}{}", &url[..colon], &url[at..]);
    (bare, Some(percent_decode(&url[colon + 1..at])))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url() {
        assert_eq!(
            split_password("postgres://bothy:s%40cret@db:5432/bothy"),
            (
                "postgres://bothy@db:5432/bothy".into(),
                Some("s@cret".into())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1/x"),
            ("postgres://postgres@127.0.0.1/x".into(), None)
        );
    }
}
