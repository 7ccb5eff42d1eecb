//! `regrelay simulate`: run a payload through the rules of a config without sending anything, and
//! say for every event which rules matched, why the others did not, and where it would go. The
//! payload goes through the server's own decode and route stages (SNS messages unwrapped,
//! offline, unverified; repeated ids within a body left out, as the server does).

use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

use regrelay_core::Classified;
use regrelay_core::decode::{self, Offline};
use regrelay_core::route::{self, Routed};
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
    let decoded =
        decode::offline(&headers, &body).map_err(|e| anyhow::anyhow!("{}: {e}", args.payload))?;
    let mut out = String::new();
    let bodies = match decoded {
        Offline::Handshake(handshake) => {
            if !args.json {
                writeln!(out, "{handshake}: a handshake, nothing to route")?;
            }
            return Ok(out);
        }
        Offline::Bodies { bodies, .. } => bodies,
    };
    let mut all = Vec::new();
    for decoded in bodies {
        for entry in &decoded.entries {
            if !matches!(entry.classified, Classified::Registry(_)) && !args.json {
                writeln!(
                    out,
                    "event {}: not a registry event ({:?}); acknowledged, not routed",
                    entry.id, entry.classified
                )?;
            }
        }
        all.extend(route::route(&config.rules, decoded));
    }
    let events: Vec<_> = all
        .iter()
        .filter(|r| !r.targets.is_empty())
        .map(|r| r.event.clone())
        .collect();
    let mut plans = regrelay_core::coalesce_plan(&events, &config.coalesce).into_iter();
    for routed in &all {
        let plan = if routed.targets.is_empty() {
            String::new()
        } else {
            plans.next().unwrap_or_default()
        };
        report(&mut out, args.json, routed, &plan, &config.targets)?;
    }
    Ok(out)
}

/// One routed event, as text or one JSON line.
fn report(
    out: &mut String,
    json: bool,
    routed: &Routed,
    coalescing: &str,
    targets: &[regrelay_core::Target],
) -> anyhow::Result<()> {
    let event = &routed.event;
    let target_names = routed.target_names(targets);
    if json {
        let coalescing = (!coalescing.is_empty()).then_some(coalescing);
        let line = json!({ "event": event, "rules": routed.decisions, "targets": target_names, "coalescing": coalescing });
        writeln!(out, "{line}")?;
        return Ok(());
    }
    let what = format!(
        "{} {}",
        event.action,
        event.repository.as_deref().unwrap_or("(no repository)")
    );
    let tag = event
        .tag
        .as_deref()
        .map(|t| format!(":{t}"))
        .unwrap_or_default();
    writeln!(out, "event {} ({what}{tag})", event.id)?;
    for decision in &routed.decisions {
        writeln!(out, "  {decision}")?;
    }
    let targets = if target_names.is_empty() {
        "none".to_owned()
    } else {
        target_names.join(", ")
    };
    writeln!(out, "  -> targets: {targets}")?;
    if !coalescing.is_empty() {
        writeln!(out, "  {coalescing}")?;
    }
    Ok(())
}
