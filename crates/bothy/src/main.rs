//! `bothy`: one binary for serving, the worker and administration.

mod cmd;

use bothy::Config;
use bothy::cli::{Cli, Command, ConfigCommand};
use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Printing the defaults must work even when the configuration in place is broken.
    if let Command::Config(ConfigCommand::PrintDefault) = cli.command {
        print!("{}", bothy::config::DEFAULT_TOML);
        return Ok(ExitCode::SUCCESS);
    }
    // The safety case reads the source tree, not the deployment: no configuration.
    if let Command::Safety(command) = &cli.command {
        return cmd::safety::run(command);
    }
    let config = Config::load(cli.config.as_deref(), &cli.overrides())?;
    bothy::logging::init(&config.log)?;
    match cli.command {
        Command::Serve(_) => cmd::serve::serve(config, cmd::serve::Mode::Serve).await,
        Command::Demo(_) => cmd::serve::serve(config, cmd::serve::Mode::Demo).await,
        Command::Worker => cmd::serve::worker(config).await,
        Command::Migrate => cmd::migrate(&config).await,
        Command::Admin(command) => cmd::admin::run(&config, command).await,
        Command::Audit(command) => cmd::audit::run(&config, command).await,
        Command::Config(command) => cmd::config(&config, command),
        Command::Content(command) => cmd::content::run(&config, command),
        Command::Outcomes { input } => cmd::outcomes::run(&config, input.as_deref()),
        Command::Synth(args) => cmd::synth::run(&config, &args).await,
        Command::Backup { file } => cmd::backup::backup(&config, &file).await,
        Command::Restore { file, force } => cmd::restore::restore(&config, &file, force).await,
        Command::Bench(args) => {
            let flags = cmd::bench::server_args(
                cli.config.as_deref(),
                cli.data_dir.as_deref(),
                cli.database_url.as_deref(),
            );
            cmd::bench::run(&config, flags, &args).await
        }
        Command::Safety(command) => cmd::safety::run(&command), // returned above
    }
}
