//! The command line: the clap definition, one room per command (`commands/`), the output
//! every command shares (`output/`), and what is about the command line as a whole: argument
//! parsing, exit codes, help pages, docs generation and signal handling.

mod asking;
pub mod commands;
mod docs;
mod exit;
mod help;
pub mod output;
mod parse;
mod signals;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::{doctor, groups, ifaces, join, mesh, monitor, ping, recv, reflect, send, watch};
use exit::Exit;
use output::color;

/// The version line: the crate's version, the git revision it was built from when known,
/// and the target ("mcast 0.1.0 (rev 1a2b3c4d5e, x86_64-unknown-linux-gnu)").
const VERSION: &str = env!("MCAST_VERSION_LINE");

/// Multicast diagnostics: send and receive datagrams and probes, hold joins, and show the
/// interfaces and group memberships the kernel holds.
#[derive(Parser, Debug)]
#[command(name = "mcast", version = VERSION, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON
    #[arg(
        long,
        global = true,
        value_name = "WHEN",
        value_enum,
        default_value = "auto"
    )]
    color: color::When,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Send a message, lines of standard input, or numbered probes to a group
    Send(send::SendArgs),
    /// Join a group and show every datagram that arrives, with loss and delay for probes
    Recv(recv::RecvArgs),
    /// Join groups and hold them (so switches and routers see a member) until stopped
    Join(join::JoinArgs),
    /// Ask reflectors (ssmpingd) for unicast and multicast replies: does multicast reach you?
    Ping(ping::PingArgs),
    /// Answer ssmping and RFC 6450 requests (ssmping, asmping, omping, mcast ping), safely
    Reflect(reflect::ReflectArgs),
    /// Run on every host of a list: each answers and pings the others (RFC 6450, with omping)
    Mesh(mesh::MeshArgs),
    /// Watch many groups at once (a list, or an M3U playlist): alarms when one never starts, stalls or loses
    Monitor(monitor::MonitorArgs),
    /// See IGMP and MLD on the wire: queriers, reports, leaves, and the problems they cause
    Watch(watch::WatchArgs),
    /// Why multicast does not arrive: every host setting that decides it, with the fix
    Doctor(doctor::DoctorArgs),
    /// List interfaces with their flags and addresses
    Ifaces(ifaces::IfacesArgs),
    /// List the group memberships the kernel holds, with source filters
    Groups(groups::GroupsArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(docs::CompletionsArgs),
    /// Write the man pages into a directory
    Manpages(docs::ManpagesArgs),
    /// Write man/ and completions/ under DIR (for this repository and packagers)
    #[command(hide = true)]
    Generate(docs::GenerateArgs),
}

/// The clap definition, with the examples and notes of `help::PAGES` after each `--help`:
/// what the parser, the docs generator and the tests all use.
/// The command as the generated man pages and completions describe it: the crate's version
/// alone, so that they do not change with every commit.
pub fn command_for_docs() -> clap::Command {
    command().version(env!("CARGO_PKG_VERSION"))
}

pub fn command() -> clap::Command {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    for page in help::PAGES {
        let text = help::after_long_help(page);
        cmd = if page.name == "mcast" {
            cmd.after_long_help(text)
        } else {
            cmd.mut_subcommand(page.name, |sub| sub.after_long_help(text))
        };
    }
    cmd
}

/// Runs mcast with the process's arguments.
pub fn main() -> ExitCode {
    let parsed = command()
        .try_get_matches()
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: their text is the data asked for, so failing to write
            // it is a failure.
            return match e.print() {
                Ok(()) => Exit::Success.into(),
                Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Exit::Success.into(),
                Err(err) => {
                    exit::warn(format_args!(
                        "write the help to stdout: {}",
                        mcast::error::os_message(&err)
                    ));
                    Exit::Error.into()
                }
            };
        }
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // `mcast` alone: the usage and the list of commands, as a reminder.
            let _ = e.print();
            return Exit::Error.into();
        }
        Err(e) => {
            // The command typed, if any: its own help is the one to read.
            let typed = std::env::args()
                .skip(1)
                .find(|a| !a.starts_with('-'))
                .filter(|a| command().find_subcommand(a).is_some());
            exit::say(&exit::usage_line(&e.render().to_string(), typed.as_deref()));
            return Exit::Error.into();
        }
    };
    color::decide(cli.color);
    // CAP_NET_RAW (setcap'd or root's) serves the captures of watch and doctor only: every
    // other command gives it up before it starts, those two hold it permitted but not
    // effective, raised around the capture's open and given up once it is open. Failing
    // to change it leaves things as they were, which is no reason to refuse to run.
    let _ = if matches!(cli.command, Command::Watch(_) | Command::Doctor(_)) {
        mcast::capture::lower_privilege()
    } else {
        mcast::capture::relinquish_privilege()
    };
    let result = match cli.command {
        Command::Send(a) => send::run(a),
        Command::Recv(a) => recv::run(a),
        Command::Join(a) => join::run(a),
        Command::Ping(a) => ping::run(a),
        Command::Reflect(a) => reflect::run(a),
        Command::Mesh(a) => mesh::run(a),
        Command::Monitor(a) => monitor::run(a),
        Command::Watch(a) => watch::run(a),
        Command::Doctor(a) => doctor::run(a),
        Command::Ifaces(a) => ifaces::run(a),
        Command::Groups(a) => groups::run(a),
        Command::Completions(a) => docs::completions(a),
        Command::Manpages(a) => docs::manpages(a),
        Command::Generate(a) => docs::generate(a),
    };
    match result {
        Ok(code) => code.into(),
        Err(e) if exit::is_broken_pipe(&e) => Exit::Success.into(),
        Err(e) => {
            exit::report(&e);
            Exit::Error.into()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_clap_definition_is_consistent() {
        super::command().debug_assert();
    }
}
