//! Exit statuses, and how failures are told on stderr.

use std::io::{self, Write};
use std::process::ExitCode;

use crate::cli::output::escape::escape;

/// The statuses mcast exits with; documented in the man page and README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It worked: for `recv`, datagrams arrived (and `--count` was reached when given).
    Success = 0,
    /// What was measured shows a problem: `recv` got no datagram, fewer than `--count`, or
    /// lost probes; `ping` and `mesh` saw unicast only; `doctor` found a failing check;
    /// `watch --fail-on-warning` gave a warning.
    Problem = 1,
    /// Bad input or a failure; stderr says which.
    Error = 2,
    /// `ping` or `mesh`: a host did not answer at all (and none was unicast only).
    NoReply = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// True when the error is a closed stdout pipe (`mcast recv ... | head`): not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Tells the user something on stderr, as one `mcast: ` line; a closed stderr is ignored
/// (there is nobody to tell, and it must not end the run).
pub fn warn(message: impl std::fmt::Display) {
    say(&format!("mcast: {message}"));
}

/// Writes one line to stderr with everything a terminal could act on escaped: messages
/// carry interface names, typed values and OS text, none of them mcast's own.
pub fn say(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{}", escape(line.as_bytes()));
}

/// Tells that a leave found nothing to leave: the kernel dropped the membership when its
/// interface went away. Not a failure.
pub fn not_held(e: &mcast::Error) {
    warn(format_args!(
        "{}: the kernel no longer held it (its interface went away); nothing to leave",
        e.context()
    ));
}

/// Prints `mcast: ` and the error with its causes on one line, as `a: b: c`.
pub fn report(err: &anyhow::Error) {
    let mut line = String::from("mcast: ");
    let mut first = true;
    for cause in err.chain() {
        let text = match cause.downcast_ref::<io::Error>() {
            Some(e) => mcast::error::os_message(e),
            None => cause.to_string(),
        };
        // Library errors already include their OS cause; do not say it twice.
        if !first && line.ends_with(&text) {
            continue;
        }
        if !first {
            line.push_str(": ");
        }
        line.push_str(&text);
        first = false;
    }
    // A limit error says what to do itself; the OS's errno would point elsewhere.
    let limit = err.chain().any(|c| {
        c.downcast_ref::<mcast::Error>()
            .is_some_and(|e| matches!(e.kind(), mcast::ErrorKind::MembershipLimit { .. }))
    });
    let code = err.chain().find_map(|c| {
        c.downcast_ref::<mcast::Error>()
            .and_then(mcast::Error::os_error)
            .or_else(|| c.downcast_ref::<io::Error>())
            .and_then(io::Error::raw_os_error)
    });
    let code = code.filter(|_| !limit);
    if let Some(fix) = code.and_then(hint) {
        line.push_str(" (");
        line.push_str(fix);
        line.push(')');
    }
    say(&line);
}

/// What to do about the OS errors people meet most, in a network engineer's words.
fn hint(errno: i32) -> Option<&'static str> {
    Some(match errno {
        libc::ENETUNREACH => {
            "no route to that address: name the interface with -i (see `mcast ifaces`), or add \
             a route, for groups `ip route add 224.0.0.0/4 dev IFACE` (IPv6: \
             `ip -6 route add ff00::/8 dev IFACE`)"
        }
        libc::EHOSTUNREACH => "no route to that host: check addresses and routes (`ip route`)",
        libc::EADDRNOTAVAIL => "that address is not on this host or interface: see `mcast ifaces`",
        libc::EADDRINUSE => {
            "another socket holds that port without sharing it: stop it, or pick another port"
        }
        libc::ENODEV => "no such interface: see `mcast ifaces`",
        libc::ENETDOWN => "the interface is down: `ip link set IFACE up`",
        libc::EACCES | libc::EPERM => {
            "not permitted: a firewall rule (`nft list ruleset`), a privileged port below \
             1024, or a missing capability"
        }
        libc::ENOBUFS => "the host ran out of buffers: send slower (--rate), or retry",
        _ => return None,
    })
}

/// One line for a command-line usage error from clap, without its usage block, pointing at
/// the help of the command that was typed (`mcast recv --help`).
pub fn usage_line(rendered: &str, typed: Option<&str>) -> String {
    let command = typed.map_or("mcast".to_string(), |c| format!("mcast {c}"));
    let body = rendered
        .trim()
        .strip_prefix("error: ")
        .unwrap_or(rendered.trim());
    let body = body.split("\n\nUsage:").next().unwrap_or(body);
    let body = body
        .split("\n\nFor more information")
        .next()
        .unwrap_or(body);
    let parts: Vec<String> = body
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    format!("mcast: {} (see '{command} --help')", parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_fold_into_one_line() {
        let rendered = "error: the following required arguments were not provided:\n  <PORT>\n\n\
                        Usage: mcast send <GROUP> <PORT> [MESSAGE]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            usage_line(rendered, Some("send")),
            "mcast: the following required arguments were not provided: <PORT> (see 'mcast send --help')"
        );
        let top = "error: unrecognized subcommand 'frob'\n\nUsage: mcast [OPTIONS] <COMMAND>\n";
        assert!(usage_line(top, None).ends_with("(see 'mcast --help')"));
    }
}
