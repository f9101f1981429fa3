//! `bothy outcomes`.

use bothy::Config;
use std::process::ExitCode;

pub fn run(_config: &Config, _input: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    anyhow::bail!("outcome classification is not available in this build")
}
