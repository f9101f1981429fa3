//! `bothy restore FILE [--force]`: puts a backup in place of the configured
//! database, then checks what it restored. It refuses to replace a database
//! that holds records unless told to, checks a SQLite backup before touching
//! anything, and ends with the integrity check and the audit verification
//! an operator would otherwise have to remember to run.

use super::backup::{pg_tool, run};
use anyhow::{Context, bail};
use bothy::Config;
use bothy_store::{Backend, Store};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub async fn restore(config: &Config, file: &Path, force: bool) -> anyhow::Result<ExitCode> {
    if !file.is_file() {
        bail!("{} is not a file", file.display());
    }
    let url = config.database_url();
    let redacted = bothy::config::redact_url(&url);
    match bothy_store::sqlite_file(&url) {
        Some(target) => restore_sqlite(config, file, &target, force).await?,
        None => {
            refuse_if_in_use(&bothy::connect_store(config).await?, &redacted, force).await?;
            let mut cmd = pg_tool("pg_restore", &url)?;
            // One transaction: a failure leaves the database as it was.
            cmd.args([
                "--clean",
                "--if-exists",
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
            ])
            .arg(file);
            run(cmd, "pg_restore")?;
        }
    }
    println!("Restored {} into {redacted}.", file.display());
    check(&bothy::connect_store(config).await?).await
}

/// Stops unless the database holds nothing or `--force` was given.
async fn refuse_if_in_use(store: &Store, name: &str, force: bool) -> anyhow::Result<()> {
    let holds = store.holds_records().await;
    store.close().await;
    if holds.context("cannot read the database to be replaced")? && !force {
        bail!(
            "{name} already holds records; nothing was changed. Stop every server, then run \
             the restore again with --force to replace it."
        );
    }
    Ok(())
}

async fn restore_sqlite(
    config: &Config,
    file: &Path,
    target: &Path,
    force: bool,
) -> anyhow::Result<()> {
    let problems = bothy_store::check_sqlite_file(file)
        .await
        .with_context(|| format!("{} is not a readable SQLite database", file.display()))?;
    if !problems.is_empty() {
        bail!(
            "the backup failed its integrity check, so nothing was changed: {}",
            problems.join("; ")
        );
    }
    if target.exists() {
        refuse_if_in_use(
            &bothy::connect_store(config).await?,
            &target.display().to_string(),
            force,
        )
        .await?;
    } else if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Copied beside the target and renamed over it, so the database is
    // always either the old one or the whole backup.
    let restoring = with_suffix(target, "-restoring");
    std::fs::copy(file, &restoring)
        .with_context(|| format!("cannot write {}", restoring.display()))?;
    std::fs::File::open(&restoring)?.sync_all()?;
    // The old database's write-ahead log would be replayed into the new file.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(target, suffix));
    }
    std::fs::rename(&restoring, target)?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The restored database's integrity, its rows and its audit trail.
async fn check(store: &Store) -> anyhow::Result<ExitCode> {
    let integrity = store.check_integrity().await;
    let counts = store.table_counts().await;
    let audit = store.verify_audit(&[]).await;
    let backend = store.backend();
    store.close().await;
    let mut ok = true;
    match integrity.context("cannot run the integrity check")? {
        Some(problems) if problems.is_empty() => println!("Integrity check: ok."),
        Some(problems) => {
            ok = false;
            println!("INTEGRITY CHECK FAILED: {}", problems.join("; "));
        }
        None => {
            debug_assert_eq!(backend, Backend::Postgres);
            println!("Integrity: pg_restore checked every row against the schema's constraints.");
        }
    }
    let counts = counts.context("cannot count the restored rows")?;
    let rows: i64 = counts.iter().map(|(_, n)| n).sum();
    println!("{rows} rows in {} tables:", counts.len());
    for (table, n) in counts.iter().filter(|(_, n)| *n > 0) {
        println!("  {table}: {n}");
    }
    let audit = audit.context("cannot read the restored audit trail")?;
    if audit.is_intact() {
        println!(
            "Audit trail intact: {} events sealed, {} not yet sealed.",
            audit.sealed, audit.unsealed
        );
        if audit.unsealed > 0 {
            println!("The worker seals the rest when the service starts.");
        }
        println!(
            "Clinical records: {} match their audit events; {} not audited (synthetic data, or \
             written before records carried digests).",
            audit.records.verified_total(),
            audit.records.not_audited_total()
        );
    } else {
        ok = false;
        println!("AUDIT TRAIL BROKEN: run `bothy audit verify` for the details.");
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
