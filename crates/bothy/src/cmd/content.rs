//! `bothy content check`.

use bothy::Config;
use bothy::cli::ContentCommand;
use std::process::ExitCode;

pub fn run(_config: &Config, command: ContentCommand) -> anyhow::Result<ExitCode> {
    match command {
        ContentCommand::Check => anyhow::bail!("content check is not available in this build"),
    }
}
