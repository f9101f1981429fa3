//! The build script of every crate whose tests also run on PostgreSQL
//! (and, for email and text messages, against a local SMTP server and
//! Kannel: see `smtp` and `kannel` below)
//! (bothy_store, bothy_web, bothy_synth, bothy). Without
//! `BOTHY_TEST_DATABASE_URL` those tests are compiled as ignored, so plain
//! `cargo test` lists each as "ignored, PostgreSQL not tested ..." and
//! counts them as ignored, never as passed; in a debug build it also warns
//! once here. With `CI` set nothing is ignored, so a CI run without the URL
//! fails instead of passing quietly.

fn main() {
    // Also when this file changes: with only rerun-if-env-changed lines,
    // Cargo would keep the output of an older version of it.
    println!("cargo::rerun-if-changed=../../tests/postgres_cfg.rs");
    smtp();
    kannel();
    println!("cargo::rerun-if-env-changed=BOTHY_TEST_DATABASE_URL");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rustc-check-cfg=cfg(bothy_no_postgres)");
    let configured = std::env::var_os("BOTHY_TEST_DATABASE_URL").is_some_and(|v| !v.is_empty());
    if configured || std::env::var_os("CI").is_some() {
        return;
    }
    println!("cargo::rustc-cfg=bothy_no_postgres");
    if std::env::var("PROFILE").as_deref() == Ok("debug") {
        let package = std::env::var("CARGO_PKG_NAME").unwrap_or_default();
        println!(
            "cargo::warning=BOTHY_TEST_DATABASE_URL is not set: {package}'s PostgreSQL tests \
             are SKIPPED (listed as ignored). Set it to an administrative connection, e.g. \
             postgres://postgres@127.0.0.1:5432/postgres, or run scripts/test."
        );
    }
}

/// The same for the tests that send email to a real SMTP server: scripts/test
/// starts one (tests/smtp/server.py) and names its directory in
/// `BOTHY_TEST_SMTP_DIR`; without it (and without `CI`) those tests are
/// compiled as ignored. With it, a test that finds no server there fails.
fn smtp() {
    println!("cargo::rerun-if-env-changed=BOTHY_TEST_SMTP_DIR");
    println!("cargo::rustc-check-cfg=cfg(bothy_no_smtp)");
    let configured = std::env::var_os("BOTHY_TEST_SMTP_DIR").is_some_and(|v| !v.is_empty());
    if !configured && std::env::var_os("CI").is_none() {
        println!("cargo::rustc-cfg=bothy_no_smtp");
    }
}

/// The same for the tests that send and receive text messages through a
/// real Kannel: scripts/test starts one (tests/kannel/start.sh) and names its
/// directory in `BOTHY_TEST_KANNEL_DIR`.
fn kannel() {
    println!("cargo::rerun-if-env-changed=BOTHY_TEST_KANNEL_DIR");
    println!("cargo::rustc-check-cfg=cfg(bothy_no_kannel)");
    let configured = std::env::var_os("BOTHY_TEST_KANNEL_DIR").is_some_and(|v| !v.is_empty());
    if !configured && std::env::var_os("CI").is_none() {
        println!("cargo::rustc-cfg=bothy_no_kannel");
    }
}
