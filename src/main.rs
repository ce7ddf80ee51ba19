//! The `gongkai` command: parse the arguments, run one library call, map the outcome to an exit code.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("gongkai: {err:#}");
            ExitCode::from(2)
        }
    }
}
