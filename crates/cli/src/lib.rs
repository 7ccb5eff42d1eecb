//! The `regrelay` command line: a local server and tools to normalize, simulate, send and inspect
//! registry events. Each subcommand is a module of [`commands`]; this file parses arguments.

pub mod commands;
pub mod input;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Turn container-registry events into actions.
#[derive(Debug, Parser)]
#[command(name = "regrelay", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the local server (POST/OPTIONS /api/events, GET /api/events/{id}, GET /api/health).
    Serve(commands::serve::Args),
    /// Print the normalized form of every registry event in a payload, one JSON line each.
    Normalize(commands::normalize::Args),
    /// Show, for every event in a payload, which rules match and why not, and where it would go.
    Simulate(commands::simulate::Args),
    /// POST a payload file to a regrelay endpoint with the headers its format needs.
    Send(commands::send::Args),
    /// Inspect history: list events, show an event's trace, redrive deliveries.
    #[command(subcommand)]
    Events(commands::events::Command),
}

/// Parses arguments and runs the command; errors are printed as `error: …` with exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => commands::serve::run(args),
        Command::Normalize(args) => commands::normalize::run(&args),
        Command::Simulate(args) => commands::simulate::run(&args),
        Command::Send(args) => commands::send::run(&args),
        Command::Events(command) => commands::events::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
