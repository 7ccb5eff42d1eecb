//! `regrelay simulate`: run a payload through the rules of a config without sending anything, and
//! say for every event which rules matched, why the others did not, and where it would go.

use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

use regrelay_core::filter::{self, Subject};
use regrelay_core::normalize::{Classified, classify};
use regrelay_core::schema;
use serde_json::json;

/// Arguments of `simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Config file with the rules and targets.
    #[arg(long, short)]
    pub config: String,
    /// Payload file, or `-` for standard input.
    pub payload: String,
    /// One JSON object per event instead of text.
    #[arg(long)]
    pub json: bool,
    /// Content type the payload arrived with.
    #[arg(long)]
    pub content_type: Option<String>,
    /// Accept documentation samples with trailing commas and `//` comments.
    #[arg(long)]
    pub lenient: bool,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let text = simulate(args)?;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The report `simulate` prints.
pub fn simulate(args: &Args) -> anyhow::Result<String> {
    let config = super::load_config(Some(&args.config))?;
    let mut body = crate::input::read(&args.payload)?;
    if args.lenient {
        body = crate::input::repair(&String::from_utf8_lossy(&body)).into_bytes();
    }
    let headers = crate::input::headers(args.content_type.as_deref())?;
    let inbound =
        schema::parse(&headers, &body).map_err(|e| anyhow::anyhow!("{}: {e}", args.payload))?;
    let mut out = String::new();
    for parsed in &inbound.events {
        let event = match classify(parsed) {
            Classified::Registry(event) => event,
            other => {
                if !args.json {
                    writeln!(
                        out,
                        "event {}: not a registry event ({other:?}); acknowledged, not routed",
                        parsed.wire.id.as_deref().unwrap_or("?")
                    )?;
                }
                continue;
            }
        };
        let (decisions, targets) =
            filter::decide(&config.rules, &Subject::new(&event, parsed.raw.get()));
        let target_names: Vec<&str> = targets
            .iter()
            .map(|&t| config.targets[t].name.as_str())
            .collect();
        if args.json {
            let line = json!({ "event": event, "rules": decisions, "targets": target_names });
            writeln!(out, "{line}")?;
        } else {
            let what = format!(
                "{} {}",
                event.action,
                event.repository.as_deref().unwrap_or("(no repository)")
            );
            writeln!(
                out,
                "event {} ({what}{})",
                event.id,
                event
                    .tag
                    .as_deref()
                    .map(|t| format!(":{t}"))
                    .unwrap_or_default()
            )?;
            for decision in &decisions {
                writeln!(out, "  {decision}")?;
            }
            let targets = if target_names.is_empty() {
                "none".to_owned()
            } else {
                target_names.join(", ")
            };
            writeln!(out, "  -> targets: {targets}")?;
        }
    }
    Ok(out)
}
