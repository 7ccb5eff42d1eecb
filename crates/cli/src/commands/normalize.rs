//! `regrelay normalize`: every registry event of a payload in the normalized model, one JSON line
//! each. Handshakes and non-registry events print nothing; unreadable input fails with the reason,
//! naming the formats regrelay accepts. An SNS message, or SNS's Lambda `Records` event, is
//! unwrapped (offline: not verified). Decoding is the server's own decode stage.

use std::io::Write;
use std::process::ExitCode;

use regrelay_core::Classified;
use regrelay_core::decode::{self, Decoded, Offline};

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
    let decoded =
        decode::offline(&headers, &body).map_err(|e| anyhow::anyhow!("{}: {e}", args.file))?;
    let (unwrapped, bodies) = match decoded {
        Offline::Handshake(handshake) => {
            if args.verbose {
                eprintln!("{}: {handshake}: a handshake, no registry event", args.file);
            }
            return Ok(Vec::new());
        }
        Offline::Bodies { unwrapped, bodies } => (unwrapped, bodies),
    };
    if args.verbose && unwrapped > 0 {
        eprintln!(
            "{}: SNS message(s), {unwrapped} unwrapped (signature not checked offline)",
            args.file
        );
    }
    let mut lines = Vec::new();
    for decoded in &bodies {
        if args.verbose {
            explain(&args.file, decoded);
        }
        // Every envelope's normalized form, a repeated id included (the server routes it once).
        for entry in &decoded.entries {
            if let Classified::Registry(event) = &entry.classified {
                lines.push(serde_json::to_string(event)?);
            }
        }
    }
    Ok(lines)
}

/// Says on stderr what each envelope of a body turned out to be.
fn explain(file: &str, decoded: &Decoded) {
    let format = decoded.format.as_str();
    for (index, entry) in decoded.entries.iter().enumerate() {
        let what = match &entry.classified {
            Classified::Registry(event) => format!(
                "{} from {} ({}){}",
                event.action,
                event.registry_kind.as_str(),
                event.event_type,
                if entry.duplicate {
                    ", a repeated id: left out"
                } else {
                    ""
                }
            ),
            Classified::Ignored { event_type } => format!("ignored ({event_type})"),
            Classified::Validation { .. } => "subscription validation".to_owned(),
            Classified::Deletion => "subscription deletion".to_owned(),
        };
        eprintln!(
            "{file}: {format} format, event[{index}] {}: {what}",
            entry.schema.as_str()
        );
    }
    if decoded.entries.is_empty() {
        eprintln!("{file}: {format} format, 0 event(s)");
    }
}
