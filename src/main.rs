//! The `mcast` binary: parse the command line, run it, and map the outcome to an exit status.

#![deny(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
