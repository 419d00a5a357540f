//! `wirehunt`: the command-line front. It only parses arguments, checks
//! them, and wires the library crates together (capture → dissect → flow →
//! fields); the work lives in the libraries.

mod bpf;
mod cli;
mod hunt;
mod packets;
mod pass;
mod stats;
mod table;

use std::process::ExitCode;

use clap::Parser;

/// Exit status: usage error, unreadable or damaged input.
pub const EXIT_INPUT: u8 = 2;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let result = match args.command {
        cli::Command::Packets(p) => packets::run(&p),
        cli::Command::Hunt(h) => hunt::run(&h),
        cli::Command::Stats(s) => stats::run(&s),
        cli::Command::Follow(f) => stats::follow(&f),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wirehunt: {e:#}");
            ExitCode::from(EXIT_INPUT)
        }
    }
}
