//! Long help texts that also become sections of the man pages.

/// The exit statuses, as macros so `concat!` can put them into several help texts.
macro_rules! exit_status {
    () => {
        "Exit status: 0 on success (for recv: datagrams arrived, and --count was reached when \
given); 1 when recv ended by its timeout, its duration or Ctrl-C with no datagram, or with \
fewer than --count; 2 on bad input or a failure, with one line on stderr that names the value \
and the fix (mcast alone prints the usage and exits 2)."
    };
}

macro_rules! probes {
    () => {
        "Probes, sent when no MESSAGE is given, carry a 32-byte big-endian header padded to \
--size: bytes 0-3 magic \"MCST\", 4 version 1, 5 flags 0, 6-7 header length 32, 8-11 sender \
id (random per run), 12-19 sequence number from 0, 20-27 send time in nanoseconds since the \
Unix epoch, 28-31 datagrams planned (0 when open-ended).

recv counts, per sender, the probes received, lost (gaps up to the highest number heard, and \
the tail of a planned run once it was due; a tail not yet due when recv stopped itself is \
pending, not lost), duplicated and reordered, the one-way delay (from the kernel's receive \
time) and the RFC 3550 jitter. Other datagrams are shown as data and counted as foreign.

Durations are seconds (5, 0.5) or a number and a unit (500ms, 10s, 2m). Ctrl-C, SIGTERM or \
SIGHUP ends cleanly: groups are left first, then the summary is printed."
    };
}

pub const MAIN: &str = concat!(
    "Examples:
  mcast send ff02::1234%eth0 7777 \"hi\"
  mcast recv 234.2.3.4 7777 --source 10.0.0.5
  mcast ifaces --json

Every command takes --json: ifaces and groups print one JSON array; send, recv and join \
print JSON Lines, one object per event with a \"type\" key (joined, left, link, packet, \
memberships, summary).

",
    exit_status!()
);

pub const SEND_RECV: &str = concat!(probes!(), "\n\n", exit_status!());
