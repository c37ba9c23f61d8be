//! What the reflector answered and refused, by kind, and how it says so: the summary at the
//! end, and an interval (`--report`, Ctrl-\) with the figures of the interval and in all.

use std::io::{self, Write};
use std::time::SystemTime;

use serde::Serialize;

use crate::cli::output::Stdout;
use crate::cli::output::events;
use crate::cli::output::events::Span;

/// The counts, each a u64, with the difference of two readings field by field.
macro_rules! counts {
    ($($field:ident),* $(,)?) => {
        /// What was answered and what was refused, by kind.
        #[derive(Debug, Default, Clone, Copy, Serialize)]
        pub struct Counts {
            $(pub $field: u64,)*
        }

        impl Counts {
            /// What happened since `before` was read.
            pub fn since(&self, before: &Counts) -> Counts {
                Counts {
                    $($field: self.$field.saturating_sub(before.$field),)*
                }
            }
        }
    };
}

counts!(
    requests,
    unicast_replies,
    multicast_replies,
    clients,
    clients_not_listed,
    refused_source,
    refused_malformed,
    refused_destination,
    refused_interface,
    refused_session,
    refused_small_init,
    refused_group,
    refused_port,
    refused_rate,
    refused_group_rate,
    capped_size,
    send_errors,
);

impl Counts {
    /// Requests given no reply at all, whatever the reason (a request outside its session
    /// or a small init is answered, with a stop; a refused group still gets its unicast).
    fn unanswered(&self) -> u64 {
        self.refused_source
            + self.refused_malformed
            + self.refused_destination
            + self.refused_interface
            + self.refused_rate
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReflectEvent<'a> {
    Client {
        command: &'static str,
        time: String,
        client: String,
        protocol: &'static str,
    },
    Summary {
        command: &'static str,
        /// mcast's version.
        version: &'static str,
        time: String,
        #[serde(flatten)]
        counts: &'a Counts,
    },
    /// The figures so far: in all (flattened, as in the summary) and in the interval alone.
    Interval {
        command: &'static str,
        version: &'static str,
        #[serde(flatten)]
        span: Span,
        #[serde(flatten)]
        counts: &'a Counts,
        interval: Counts,
    },
}

/// The summary at the end.
pub fn summary(out: &mut Stdout, json: bool, counts: &Counts) -> io::Result<()> {
    if json {
        return out.json_line(&ReflectEvent::Summary {
            command: "reflect",
            version: env!("CARGO_PKG_VERSION"),
            time: events::timestamp(SystemTime::now()),
            counts,
        });
    }
    totals(out, counts)
}

/// The figures so far at `now`: those since `before` (read at `from`), and in all.
pub fn interval(
    out: &mut Stdout,
    json: bool,
    counts: &Counts,
    before: &Counts,
    from: SystemTime,
    now: SystemTime,
) -> io::Result<()> {
    let part = counts.since(before);
    if json {
        return out.json_line(&ReflectEvent::Interval {
            command: "reflect",
            version: env!("CARGO_PKG_VERSION"),
            span: Span::new(from, now),
            counts,
            interval: part,
        });
    }
    let secs = Span::secs(from, now);
    writeln!(
        out,
        "in the last {secs:.1} s: {} requests, {} unicast and {} multicast replies, {} given none, {} send errors; in all:",
        part.requests,
        part.unicast_replies,
        part.multicast_replies,
        part.unanswered(),
        part.send_errors
    )?;
    totals(out, counts)?;
    out.flush()
}

/// The figures in all, in words.
fn totals(out: &mut Stdout, counts: &Counts) -> io::Result<()> {
    writeln!(
        out,
        "{} requests from {}: {} unicast and {} multicast replies",
        counts.requests,
        events::count(counts.clients, "client"),
        counts.unicast_replies,
        counts.multicast_replies
    )?;
    writeln!(
        out,
        "refused: {} over the rate, {} malformed, {} from bad sources, {} not sent to this host's own address, {} not on the interface served, {} for groups not served, {} RFC 6450 requests outside a session; {} replies kept smaller than asked (--max-reply-size); {} send errors",
        counts.refused_rate,
        counts.refused_malformed,
        counts.refused_source,
        counts.refused_destination,
        counts.refused_interface,
        counts.refused_group,
        counts.refused_session,
        counts.capped_size,
        counts.send_errors
    )?;
    if counts.clients_not_listed > 0 {
        writeln!(
            out,
            "{} of the clients were not printed one by one (more than 10 new a second)",
            counts.clients_not_listed
        )?;
    }
    let multicast_refused = counts.refused_port + counts.refused_group_rate;
    if multicast_refused > 0 {
        writeln!(
            out,
            "multicast replies not sent: {} to a client port no kernel picks (a service's), {} over a group's rate (--group-rate)",
            counts.refused_port, counts.refused_group_rate
        )?;
    }
    if counts.refused_small_init > 0 {
        writeln!(
            out,
            "{} RFC 6450 inits were told to stop: smaller than the response a session needs, which may not be larger than its request (omping's inits are; answer them with mcast mesh, whose members are listed)",
            counts.refused_small_init
        )?;
    }
    Ok(())
}
