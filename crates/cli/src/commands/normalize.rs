//! `regrelay normalize`: every registry event of a payload in the normalized model, one JSON line
//! each. Handshakes and non-registry events print nothing; unreadable input fails with the reason.

use std::io::Write;
use std::process::ExitCode;

use regrelay_core::normalize::{Classified, classify};
use regrelay_core::schema;

/// Arguments of `normalize`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Payload file, or `-` for standard input.
    #[arg(default_value = "-")]
    pub file: String,
    /// Content type the payload arrived with (default: detect from the JSON shape).
    #[arg(long)]
    pub content_type: Option<String>,
    /// Accept documentation samples with trailing commas and `//` comments.
    #[arg(long)]
    pub lenient: bool,
    /// Also say on stderr which format was recognized.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let lines = normalize_file(args)?;
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The JSON lines `normalize` prints for a file.
pub fn normalize_file(args: &Args) -> anyhow::Result<Vec<String>> {
    let mut body = crate::input::read(&args.file)?;
    if args.lenient {
        body = crate::input::repair(&String::from_utf8_lossy(&body)).into_bytes();
    }
    let headers = crate::input::headers(args.content_type.as_deref())?;
    let inbound =
        schema::parse(&headers, &body).map_err(|e| anyhow::anyhow!("{}: {e}", args.file))?;
    if args.verbose {
        eprintln!(
            "{}: {} format, {} event(s)",
            args.file,
            inbound.format.as_str(),
            inbound.events.len()
        );
    }
    let mut lines = Vec::new();
    for parsed in &inbound.events {
        if let Classified::Registry(event) = classify(parsed) {
            lines.push(serde_json::to_string(&event)?);
        }
    }
    Ok(lines)
}
