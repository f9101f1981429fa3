//! `bothy demo`: the demo service's accounts, written to a file and printed.

use anyhow::{Context, anyhow};
use bothy::Config;
use bothy_app::demo::DemoAccounts;
use bothy_app::{App, AppError, RequestContext};

/// Creates the demo service if needed, writes its accounts to
/// `{data_dir}/demo-accounts.json` and prints how to sign in.
pub async fn prepare(app: &App, config: &Config) -> anyhow::Result<()> {
    let accounts = app
        .demo()
        .ensure(&RequestContext::default())
        .await
        .map_err(|e| match e {
            AppError::Conflict(why) => anyhow!("cannot start the demo: {why}"),
            other => anyhow::Error::new(other).context("cannot create the demo service"),
        })?;
    add_synthetic_service(app).await?;
    let dir = &config.server.data_dir;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("server.data_dir: cannot create {}", dir.display()))?;
    let path = dir.join("demo-accounts.json");
    let json = serde_json::to_string_pretty(&accounts).context("cannot write the demo accounts")?;
    std::fs::write(&path, json + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    print!("{}", describe(&accounts, &path.display().to_string()));
    Ok(())
}

/// Patients in the synthetic population added beside the demo service.
const DEMO_SYNTH_PATIENTS: u64 = 200;

/// Adds a small synthetic service (its own slug, so the demo's own staff and
/// patients, and the browser tests that use them, are untouched), once.
async fn add_synthetic_service(app: &App) -> anyhow::Result<()> {
    use bothy_app::demo::DEMO_SYNTH_SLUG;
    let mut tx = app.store().read().await?;
    let exists = tx.service_by_slug(DEMO_SYNTH_SLUG).await?.is_some();
    tx.rollback().await?;
    if exists {
        return Ok(());
    }
    let now = super::synth::synth_now(app.clock().now());
    let config = bothy_synth::SynthConfig::new(DEMO_SYNTH_PATIENTS, 1, DEMO_SYNTH_SLUG, now);
    let report = bothy_synth::synthesize(app.store(), &config)
        .await
        .context("cannot add the synthetic service to the demo")?;
    app.monitoring().rebuild_summaries().await?;
    println!(
        "Added a synthetic service ({DEMO_SYNTH_SLUG}) with {} patients and {} rows in all.",
        report.counts.patients,
        report.counts.total()
    );
    Ok(())
}

/// The sign-in details, as printed.
fn describe(a: &DemoAccounts, file: &str) -> String {
    let rule = "=".repeat(72);
    let mut out = format!(
        "{rule}\n DEMO ONLY. These accounts have published passwords.\n Never enter real patient data into this deployment.\n{rule}\n\n"
    );
    out += &format!("{} is at {}\n\n", a.service, a.base_url);
    out += "Staff (each signs in with a password and a code from an authenticator app\nset up with the second-factor secret):\n\n";
    for s in &a.staff {
        out += &format!("  {:<18} {}\n", s.role, s.name);
        out += &format!("  {:<18} email     {}\n", "", s.email);
        out += &format!("  {:<18} password  {}\n", "", s.password);
        out += &format!("  {:<18} secret    {}\n\n", "", s.totp_secret);
    }
    if let Some(first) = a.patients.first() {
        out += &format!(
            "Patients ({}), all with the password {}:\n\n",
            a.patients.len(),
            first.password
        );
        for p in &a.patients {
            out += &format!("  {:<40} {}\n", p.email, p.name);
        }
        out += "\n";
    }
    out += &format!("These details are also in {file}\n{rule}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bothy_app::demo::{DemoPatient, DemoStaff};

    #[test]
    fn the_printout_is_marked_and_complete() {
        let accounts = DemoAccounts {
            base_url: "http://127.0.0.1:8080".into(),
            service: "Demo digital CBT service".into(),
            staff: vec![DemoStaff {
                email: "admin@demo.bothy.test".into(),
                password: "pw-admin".into(),
                totp_secret: "SECRET".into(),
                role: "admin".into(),
                name: "Alex Admin".into(),
            }],
            patients: vec![DemoPatient {
                email: "aileen@demo.bothy.test".into(),
                password: "pw-patient".into(),
                name: "Aileen".into(),
                id: "x".into(),
            }],
        };
        let text = describe(&accounts, "data/demo-accounts.json");
        for part in [
            "DEMO ONLY",
            "http://127.0.0.1:8080",
            "admin@demo.bothy.test",
            "pw-admin",
            "SECRET",
            "pw-patient",
            "aileen@demo.bothy.test",
            "data/demo-accounts.json",
        ] {
            assert!(text.contains(part), "{part} missing from:\n{text}");
        }
    }
}
