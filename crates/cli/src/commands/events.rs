//! `regrelay events`: the history of the store a config names: list, show a trace, redrive.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Context, bail};
use regrelay_core::Pipeline;
use regrelay_core::{Coalescing, DeliveryState, ListFilter, Trace};

/// `events` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Recent events, newest first.
    List {
        /// Config file naming the store (default: the embedded default store).
        #[arg(long, short)]
        config: Option<String>,
        /// Only events received at or after this RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// Only events received before this RFC 3339 time.
        #[arg(long)]
        until: Option<String>,
        /// Only this repository.
        #[arg(long)]
        repository: Option<String>,
        /// Only this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Only this kind of registry (acr, ecr, harbor, distribution, alibaba, docker_hub).
        #[arg(long)]
        registry: Option<String>,
        /// Only events routed to this target.
        #[arg(long)]
        target: Option<String>,
        /// Only events with a delivery in this state (pending, scheduled, delivered,
        /// failed_retrying, dead_lettered, skipped_duplicate); of `--target` when given.
        #[arg(long)]
        state: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// What happened to one event: reception, rule decisions, every attempt.
    Show {
        /// Event id.
        id: String,
        /// Config file naming the store.
        #[arg(long, short)]
        config: Option<String>,
        /// The trace as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Deliver an event again to its targets that have not succeeded (or to one named target).
    Redrive {
        /// Event id.
        id: String,
        /// Config file naming the store and the targets.
        #[arg(long, short)]
        config: Option<String>,
        /// Only this target (sent even if it succeeded before).
        #[arg(long)]
        target: Option<String>,
    },
}

/// Runs an `events` subcommand.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match command {
            Command::List {
                config,
                since,
                until,
                repository,
                tag,
                registry,
                target,
                state,
                limit,
                json,
            } => {
                let pipeline = open(config.as_deref())?;
                let state = state
                    .map(|s| {
                        DeliveryState::parse(&s).with_context(|| format!("unknown state '{s}'"))
                    })
                    .transpose()?;
                let filter = ListFilter {
                    since,
                    until,
                    repository,
                    tag,
                    registry_kind: registry,
                    target,
                    state,
                    limit,
                };
                let rows = pipeline.store().list(&filter).await?;
                for row in rows {
                    if json {
                        println!("{}", serde_json::to_string(&row)?);
                    } else {
                        let repo = row.repository.as_deref().unwrap_or("-");
                        let tag = row.tag.map(|t| format!(":{t}")).unwrap_or_default();
                        println!(
                            "{}  {:<18} {:<7} {repo}{tag}  {}",
                            row.received_at, row.state, row.action, row.id
                        );
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Show { id, config, json } => {
                let pipeline = open(config.as_deref())?;
                let Some(trace) = pipeline.store().trace(&id).await? else {
                    bail!("no event with id '{id}' in history")
                };
                if json {
                    println!("{}", serde_json::to_string_pretty(&trace)?);
                } else {
                    print!("{}", render(&trace));
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Redrive { id, config, target } => {
                redrive(&open(config.as_deref())?, &id, target.as_deref()).await
            }
        }
    })
}

fn open(config: Option<&str>) -> anyhow::Result<Pipeline> {
    Ok(Pipeline::new(super::load_config(config)?)?)
}

async fn redrive(pipeline: &Pipeline, id: &str, only: Option<&str>) -> anyhow::Result<ExitCode> {
    let report = pipeline.redrive(id, only).await?;
    if report.attempts.is_empty() {
        println!("every target already received {id}; name one with --target to send again");
    }
    for attempt in &report.attempts {
        let status = attempt
            .status
            .map_or_else(|| "-".to_owned(), |s| s.to_string());
        println!(
            "{}: {:?} (status {status}){}",
            attempt.target,
            attempt.class,
            attempt
                .error
                .as_ref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        );
    }
    Ok(if report.all_delivered() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A pair's state in words, with queued mode's detail: `pending (queued)` before the first
/// attempt, `scheduled, next attempt at …` after a retryable failure.
fn pair_state(trace: &Trace, pair: &regrelay_core::PairState) -> String {
    let next = trace
        .attempts
        .iter()
        .rev()
        .find(|a| a.target == pair.target)
        .and_then(|a| a.next_attempt_at.as_deref());
    match (pair.state, next) {
        (DeliveryState::Pending, _) if pair.attempts == 0 => "pending (queued)".to_owned(),
        (DeliveryState::FailedRetrying, Some(at)) => format!("scheduled, next attempt at {at}"),
        (state, _) => state.as_str().to_owned(),
    }
}

/// What coalescing did with the event: held it for its push's index (its pairs then say
/// folded or delivered), or made it the one event of a push, with the manifests it folded.
fn coalescing(out: &mut String, trace: &Trace) {
    match &trace.record.coalescing {
        Some(Coalescing::Held { until, prompt }) => {
            let folded = trace.pairs.iter().find_map(|p| {
                (p.state == DeliveryState::Folded).then_some(p.reason.as_deref().unwrap_or(""))
            });
            let outcome = match folded {
                Some(reason) => reason.to_owned(),
                None if trace
                    .pairs
                    .iter()
                    .any(|p| p.state == DeliveryState::Pending) =>
                {
                    "still held".to_owned()
                }
                None => "no index came: delivered alone".to_owned(),
            };
            let _ = writeln!(
                out,
                "  coalescing  a tagless manifest of a push, held until {until} for its index: {outcome}"
            );
            if !prompt.is_empty() {
                let _ = writeln!(
                    out,
                    "              sent at once to {} (rules with coalesce = false)",
                    prompt.join(", ")
                );
            }
        }
        Some(Coalescing::Push { folded }) => {
            let _ = writeln!(
                out,
                "  coalescing  the event of one push: folded {} manifest(s)",
                folded.len()
            );
            for f in folded {
                let _ = writeln!(
                    out,
                    "              {}  {}  {}",
                    f.id,
                    f.digest.as_deref().unwrap_or("-"),
                    f.media_type.as_deref().unwrap_or("-")
                );
            }
        }
        None => {}
    }
    for p in &trace.record.event.platforms {
        let name = p.name().unwrap_or_else(|| "platform ?".to_owned());
        let _ = writeln!(out, "  platform    {name}  {}", p.digest);
    }
}

/// A readable trace.
pub fn render(trace: &Trace) -> String {
    let mut out = String::new();
    let event = &trace.record.event;
    let _ = writeln!(out, "event {}", event.id);
    let _ = writeln!(out, "  type        {}", event.event_type);
    let what = format!(
        "{} {}{}",
        event.action,
        event.repository.as_deref().unwrap_or("-"),
        event
            .tag
            .as_deref()
            .map(|t| format!(":{t}"))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "  what        {what}");
    if let Some(digest) = &event.digest {
        let _ = writeln!(out, "  digest      {digest}");
    }
    let _ = writeln!(
        out,
        "  registry    {}",
        event.registry.as_deref().unwrap_or("-")
    );
    if let Some(cr) = &event.connected_registry {
        let _ = writeln!(out, "  connected   {cr}");
    }
    coalescing(&mut out, trace);
    for note in &trace.record.notes {
        let _ = writeln!(out, "  note        {note}");
    }
    let _ = writeln!(out, "reception");
    for r in &trace.receptions {
        let _ = writeln!(
            out,
            "  {}  {} {} -> {}  ({})",
            r.received_at,
            r.kind.as_str(),
            r.format.as_deref().unwrap_or("-"),
            r.status,
            r.id
        );
    }
    let _ = writeln!(out, "rules");
    for d in &trace.record.decisions {
        let _ = writeln!(out, "  {d}");
    }
    let _ = writeln!(out, "deliveries");
    for p in &trace.pairs {
        let reason = p
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}: {} after {} attempt(s){reason}",
            p.target,
            pair_state(trace, p),
            p.attempts
        );
    }
    let _ = writeln!(out, "attempts");
    for a in &trace.attempts {
        let status = a.status.map_or_else(|| "-".to_owned(), |s| s.to_string());
        let error = a
            .error
            .as_deref()
            .map(|e| format!("  {e}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}  {} #{}  {:?}  status {status}  {} ms{error}",
            a.started_at, a.target, a.number, a.class, a.latency_ms
        );
    }
    out
}
