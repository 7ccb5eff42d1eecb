//! `regrelay send`: POST a payload file to a regrelay endpoint (local or deployed) with the headers
//! its sender would use, and print the reply. For demos, smoke tests and replaying fixtures.

use std::process::ExitCode;
use std::time::Duration;

use regrelay_core::{Classified, Format, Schema, decode};

/// Arguments of `send`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Payload file, or `-` for standard input.
    pub file: String,
    /// Endpoint URL.
    #[arg(long, default_value = "http://127.0.0.1:8080/api/events")]
    pub to: String,
    /// Shared secret, sent as `Authorization: Bearer`.
    #[arg(long, env = "REGRELAY_INBOUND_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Accept documentation samples with trailing commas and `//` comments.
    #[arg(long)]
    pub lenient: bool,
    /// On failure, also print the transport error's full chain.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Runs the command; exits non-zero when the endpoint answers non-2xx.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut body = crate::input::read(&args.file)?;
    if args.lenient {
        body = crate::input::repair(&String::from_utf8_lossy(&body)).into_bytes();
    }
    let (content_type, delivery) = sender_headers(&body)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (status, reply) = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let mut request = client
            .post(&args.to)
            .header("content-type", content_type)
            .body(body);
        if let Some(kind) = delivery {
            request = request.header("aeg-event-type", kind);
        }
        if let Some(secret) = &args.secret {
            request = request.bearer_auth(secret);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                let detail = chain(&error);
                let mut message = plain_words(&error, &args.to);
                if args.verbose {
                    message.push_str(&format!("\n  detail: {detail}"));
                } else {
                    message.push_str(" (-v for the details)");
                }
                anyhow::bail!(message);
            }
        };
        let status = response.status();
        anyhow::Ok((status, response.text().await.unwrap_or_default()))
    })?;
    println!("{} {reply}", status.as_u16());
    Ok(if status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// What went wrong, in the words a newcomer needs.
fn plain_words(error: &reqwest::Error, url: &str) -> String {
    let detail = chain(error).to_ascii_lowercase();
    if error.is_builder() {
        return format!("'{url}' is not a URL regrelay can send to");
    }
    if error.is_timeout() {
        return format!("{url} did not answer within 60 s");
    }
    if error.is_connect() && detail.contains("refused") {
        return format!("nothing is listening on {url}; start `regrelay serve` first");
    }
    let tls = [
        "certificate",
        "tls",
        "handshake",
        "corrupt message",
        "invalidcontenttype",
    ];
    if tls.iter().any(|word| detail.contains(word)) {
        return format!(
            "could not set up TLS with {url}: its certificate is not trusted here, or it does not speak https"
        );
    }
    if detail.contains("dns") || detail.contains("resolve") || detail.contains("lookup") {
        return format!("cannot find the host of {url}; check the name in --to");
    }
    if error.is_connect() {
        return format!("could not connect to {url}");
    }
    format!("sending to {url} failed")
}

/// The error and its causes, one after the other.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The content type and `aeg-event-type` a real sender would use for this body.
fn sender_headers(body: &[u8]) -> anyhow::Result<(&'static str, Option<&'static str>)> {
    let decoded = decode::decode_body(&http::HeaderMap::new(), body, usize::MAX)
        .map_err(|e| anyhow::anyhow!("payload: {e}"))?;
    let validation = decoded
        .entries
        .iter()
        .any(|e| matches!(e.classified, Classified::Validation { .. }));
    Ok(match decoded.format {
        Format::EventGrid => (
            "application/json",
            Some(if validation {
                "SubscriptionValidation"
            } else {
                "Notification"
            }),
        ),
        Format::Batch => ("application/cloudevents-batch+json", None),
        Format::Structured
            if decoded
                .entries
                .iter()
                .all(|e| e.schema == Schema::Cloudevents) =>
        {
            ("application/cloudevents+json", None)
        }
        _ => ("application/json", None),
    })
}
