//! The `gongkai` command: parse the arguments, run one library call, map the outcome to an exit code.

mod cli;
mod settings;

use std::process::ExitCode;

fn main() -> ExitCode {
    let (args, loaded) = cli::parse();
    match cli::run(args, loaded) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("gongkai: {err:#}");
            ExitCode::from(2)
        }
    }
}
