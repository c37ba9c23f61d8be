//! The options `ping` and `mesh` share: how many requests, how often, for which group,
//! joined how and on which interface. Each command words the help where the meaning
//! differs (servers or the other hosts) with `reword`.

use std::net::IpAddr;
use std::time::Duration;

use clap::{Arg, Args};

use mcast::{IfaceSpec, ScopedAddr};

use super::parse;

#[derive(Args, Debug, Clone)]
pub struct Asking {
    /// Requests to send to each server (default: until Ctrl-C)
    #[arg(short, long, value_name = "N", allow_negative_numbers = true, value_parser = parse::count32)]
    pub count: Option<u32>,
    /// Time between requests
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse::duration)]
    pub interval: Duration,
    /// Group to ask for (default 232.43.211.234 or ff3e::4321:1234)
    #[arg(long, value_name = "GROUP", value_hint = clap::ValueHint::Other)]
    pub group: Option<ScopedAddr>,
    /// Join the group from any source, as asmping does, not from each server only
    #[arg(long)]
    pub any_source: bool,
    /// Interface to join on: name, index or address (-I as ping has it)
    #[arg(short, short_alias = 'I', long, value_name = "IFACE", value_parser = interface)]
    pub interface: Option<IfaceSpec>,
}

/// `-i`: the interface, as everywhere in mcast; a value that reads as ping's interval (0.2)
/// is told so, since ping's muscle memory types it.
fn interface(s: &str) -> Result<IfaceSpec, String> {
    if s.contains('.') && s.parse::<f64>().is_ok() && s.parse::<IpAddr>().is_err() {
        return Err(format!(
            "'{s}': -i is the interface here (name, index or address); the time between requests is --interval {s}"
        ));
    }
    s.parse::<IfaceSpec>().map_err(|e| e.to_string())
}

/// Gives the arguments named in `words` the help text beside each name, leaving every
/// argument where it is (`Command::mut_arg` would move it last, which reorders completions
/// and man pages).
pub fn reword(words: &'static [(&'static str, &'static str)]) -> impl FnMut(Arg) -> Arg {
    move |arg| match words.iter().find(|(id, _)| arg.get_id() == *id) {
        Some((_, help)) => arg.help(*help),
        None => arg,
    }
}
