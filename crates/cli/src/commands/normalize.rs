//! `regrelay normalize`: every registry event of a payload in the normalized model, one JSON line
//! each. Handshakes and non-registry events print nothing; unreadable input fails with the reason,
//! naming the formats regrelay accepts. An SNS message, or SNS's Lambda `Records` event, is
//! unwrapped (offline: not verified).

use std::io::Write;
use std::process::ExitCode;

use regrelay_core::normalize::{Classified, classify};
use regrelay_core::schema;
use regrelay_core::schema::sns::{self, LambdaSnsEvent, SnsMessage};

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
    let mut headers = crate::input::headers(args.content_type.as_deref())?;
    if let Some(handshake) = sns_handshake(&body) {
        if args.verbose {
            eprintln!("{}: {handshake}: a handshake, no registry event", args.file);
        }
        return Ok(Vec::new());
    }
    let messages = sns_messages(&body);
    if !messages.is_empty() {
        if args.verbose {
            eprintln!(
                "{}: SNS message(s), {} unwrapped (signature not checked offline)",
                args.file,
                messages.len()
            );
        }
        headers.remove(http::header::CONTENT_TYPE);
    }
    let bodies = if messages.is_empty() {
        vec![body]
    } else {
        messages
    };
    let mut lines = Vec::new();
    for body in &bodies {
        lines.extend(normalize_body(args, &headers, body)?);
    }
    Ok(lines)
}

/// For an SNS subscription or unsubscribe confirmation (by its shape: `Type`, `MessageId`,
/// `TopicArn`), what it is, in words.
fn sns_handshake(body: &[u8]) -> Option<String> {
    let message = SnsMessage::parse(body).ok().filter(SnsMessage::is_sns)?;
    let kind = message.kind();
    let handshake = kind == sns::SUBSCRIPTION_CONFIRMATION || kind == sns::UNSUBSCRIBE_CONFIRMATION;
    handshake.then(|| {
        format!(
            "SNS {kind} for topic {}",
            message.topic_arn.as_deref().unwrap_or("(none)")
        )
    })
}

/// The messages of an SNS HTTP message or of SNS's Lambda `Records` event; empty for others.
fn sns_messages(body: &[u8]) -> Vec<Vec<u8>> {
    let text = |m: &SnsMessage<'_>| m.message.as_deref().unwrap_or_default().as_bytes().to_vec();
    if let Some(message) = SnsMessage::parse(body).ok().filter(SnsMessage::is_sns) {
        return vec![text(&message)];
    }
    LambdaSnsEvent::detect(body)
        .map(|event| event.records.iter().map(|r| text(&r.sns)).collect())
        .unwrap_or_default()
}

/// The JSON lines of one body.
fn normalize_body(
    args: &Args,
    headers: &http::HeaderMap,
    body: &[u8],
) -> anyhow::Result<Vec<String>> {
    let inbound =
        schema::parse(headers, body).map_err(|e| anyhow::anyhow!("{}: {e}", args.file))?;
    let mut lines = Vec::new();
    for (index, parsed) in inbound.events.iter().enumerate() {
        let classified = classify(parsed);
        if args.verbose {
            let what = match &classified {
                Classified::Registry(event) => format!(
                    "{} from {} ({})",
                    event.action,
                    event.registry_kind.as_str(),
                    event.event_type
                ),
                Classified::Ignored { event_type } => format!("ignored ({event_type})"),
                Classified::Validation { .. } => "subscription validation".to_owned(),
                Classified::Deletion => "subscription deletion".to_owned(),
            };
            eprintln!(
                "{}: {} format, event[{index}] {}: {what}",
                args.file,
                inbound.format.as_str(),
                parsed.schema().as_str()
            );
        }
        if let Classified::Registry(event) = classified {
            lines.push(serde_json::to_string(&event)?);
        }
    }
    if args.verbose && inbound.events.is_empty() {
        eprintln!(
            "{}: {} format, 0 event(s)",
            args.file,
            inbound.format.as_str()
        );
    }
    Ok(lines)
}
