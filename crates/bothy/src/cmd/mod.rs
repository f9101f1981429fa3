//! One module per command; each loads what it needs and prints its result.

pub mod admin;
pub mod audit;
pub mod backup;
pub mod bench;
pub mod content;
pub mod demo;
pub mod outcomes;
pub mod restore;
pub mod safety;
pub mod serve;
pub mod synth;

use anyhow::Context;
use bothy::Config;
use bothy::cli::ConfigCommand;
use bothy_store::Backend;
use std::process::ExitCode;

pub(crate) fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

pub async fn migrate(config: &Config) -> anyhow::Result<ExitCode> {
    // Building the application migrates and fills anything derived from
    // stored records that a migration added (summaries).
    let app = bothy::build_app(config, std::sync::Arc::new(bothy_app::SystemClock)).await?;
    let store = app.store().clone();
    println!(
        "Migrations applied ({} at {}).",
        backend_name(store.backend()),
        bothy::config::redact_url(&config.database_url())
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub fn config(config: &Config, command: ConfigCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConfigCommand::PrintDefault => print!("{}", bothy::config::DEFAULT_TOML),
        ConfigCommand::Show => {
            let text = toml::to_string_pretty(&config.resolved_for_display())
                .context("cannot show the configuration")?;
            print!("{text}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
