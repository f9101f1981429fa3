//! `bothy outcomes [FILE]`: classify episodes by the NHS Talking Therapies
//! outcome definitions (`bothy_domain::outcomes`; shapes and rules in
//! `docs/outcomes.md`).
//!
//! Reads a JSON array of episodes from FILE, or standard input, and prints a
//! JSON array of results in the same order. Exit codes: 0 when every episode
//! was read cleanly; 2 when any episode's input had an error or a conflict
//! (named in that episode's `notes`; the others are still classified); 1 when
//! the input as a whole cannot be read (not JSON, not an array).

use anyhow::Context;
use bothy::Config;
use bothy_app::content::load_catalogue;
use bothy_domain::outcomes::{Options, Outcome, classify_json};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

pub fn run(config: &Config, input: Option<&Path>) -> anyhow::Result<ExitCode> {
    let text = match input {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read standard input")?;
            text
        }
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .context("the input is not valid JSON (expected an array of episodes)")?;
    let serde_json::Value::Array(episodes) = value else {
        anyhow::bail!("the input must be a JSON array of episodes, [ {{ \"id\": ... }}, ... ]");
    };

    // The instruments in effect for this deployment: the built-in files with
    // any of its own from content.instruments_dir, loaded as `bothy serve`
    // and `bothy content check` load them.
    let catalogue =
        load_catalogue(config.content.instruments_dir.as_deref()).map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
            anyhow::anyhow!(
                "the instrument files have problems (see `bothy content check`):\n{}",
                lines.join("\n")
            )
        })?;
    let options = Options::default();
    let outcomes: Vec<Outcome> = episodes
        .iter()
        .map(|episode| classify_json(episode, &catalogue, &options))
        .collect();

    println!("{}", serde_json::to_string_pretty(&outcomes)?);
    Ok(if outcomes.iter().any(|o| o.input_problem) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
