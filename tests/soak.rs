//! `soak`: many events, flaky targets, process restarts; prints the tally and fails when an event
//! was lost or duplicated for any reason other than a kill in flight.
//!
//! `cargo build --workspace --bins && cargo run --release -p regrelay-tests --bin soak -- [events] [restarts] [inline|queued]`
//! (defaults: 10000 events, 5 restarts, queued; 5 targets, 30 % failures, batches of 20).

use std::process::ExitCode;
use std::time::Duration;

use regrelay_tests::soak::{SoakParams, run};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let events = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let restarts = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let mode = match args.next().as_deref() {
        Some("inline") => "inline",
        _ => "queued",
    };
    let params = SoakParams {
        events,
        batch: 20,
        targets: 5,
        fail_ratio: 0.3,
        restarts,
        senders: 4,
        seed: 7,
        time_limit: Duration::from_secs(900),
        mode,
        instances: 1,
        shared: regrelay_tests::soak::Shared::Sqlite,
    };
    let report = run(&params).await;
    println!("{report}");
    if report.lost == 0 && report.duplicates_other == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
