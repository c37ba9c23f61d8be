//! The JSON reference, mcast-json(7): every event and field, its type, unit and when it is
//! null, with a real line for each event. Tests hold it to the serde types and the examples.

use super::json_monitor::MONITOR_KINDS;
use super::json_streams::STREAM_KINDS;
use super::man::{escape, paragraphs};

/// One field: name, JSON type, and what it means (unit, when null).
pub(super) type Field = (&'static str, &'static str, &'static str);

/// One kind of JSON output.
pub(super) struct Kind {
    /// The `type` value, or a name for objects without one.
    pub(super) name: &'static str,
    /// Which commands print it, and when.
    pub(super) when: &'static str,
    pub(super) fields: &'static [Field],
    /// Fields shared with another kind, after its own.
    pub(super) more: &'static [Field],
    /// A real line mcast printed (from the test lab).
    pub(super) example: &'static str,
}

const TIME: Field = (
    "time",
    "string",
    "RFC 3339 in UTC with microseconds; for packets, when the kernel received it",
);

/// Every JSON Lines record names the command that printed it.
pub(super) const COMMAND: Field = (
    "command",
    "string",
    "the command that printed it: recv, send, join, ping, reflect, mesh, monitor or watch",
);

const CHANGE: &[Field] = &[
    ("type", "string", "joined or left"),
    COMMAND,
    TIME,
    ("group", "string", "the group"),
    (
        "interface",
        "string or null",
        "the interface named, or the one the route picked; null when that could not be found out",
    ),
    (
        "sources",
        "array of strings",
        "the sources of a source-specific join; empty for any-source",
    ),
];

/// When a summary was printed; an interval's time is its end.
const SUMMARY_TIME: Field = (
    "time",
    "string",
    "when it was printed (RFC 3339, UTC with microseconds); in an interval, its end",
);

/// An interval's beginning, shared by every interval record.
pub(super) const START: Field = (
    "start",
    "string",
    "when the interval began: the start, or the previous interval's end (RFC 3339, UTC)",
);
/// An interval's end.
pub(super) const END: Field = ("end", "string", "when it ended: the same as time");

/// What a reflector answered and refused: its summary's figures, and its intervals'.
const REFLECT_COUNTS: &[Field] = &[
    ("requests", "number", "datagrams received on the port"),
    ("unicast_replies", "number", "replies sent to clients"),
    ("multicast_replies", "number", "replies sent to groups"),
    (
        "clients",
        "number",
        "clients answered (one forgotten after a minute unheard, or to make room for 10,000 more recent, counts again when it comes back)",
    ),
    (
        "clients_not_listed",
        "number",
        "of those, clients without a client line: beyond 10 new a second (a burst of 20) they are counted, not printed",
    ),
    (
        "refused_source",
        "number",
        "from multicast, broadcast, unspecified or this host's own addresses",
    ),
    (
        "refused_malformed",
        "number",
        "not a request of either protocol, or cut short",
    ),
    (
        "refused_destination",
        "number",
        "requests not sent to one of this host's own addresses (a broadcast or a group address, which every reflector hearing it would answer): not answered",
    ),
    (
        "refused_interface",
        "number",
        "requests that arrived on another interface than -i names: not answered",
    ),
    (
        "refused_session",
        "number",
        "RFC 6450 echo requests outside a session given to that client address and port (answered with a response that tells it to stop)",
    ),
    (
        "refused_small_init",
        "number",
        "RFC 6450 inits smaller than the response a session needs (omping's are): told to stop, since no answer is larger than its request unless --max-reply-size allows it",
    ),
    (
        "refused_group",
        "number",
        "multicast replies refused for a group not served (the unicast reply went)",
    ),
    (
        "refused_port",
        "number",
        "multicast replies not sent because the client's port is a service's (below 32768 and not the port served): a group's traffic is never aimed at, say, mDNS",
    ),
    (
        "refused_rate",
        "number",
        "over a client's rate (--rate, a burst of twice that) or the total (--total-rate)",
    ),
    (
        "refused_group_rate",
        "number",
        "multicast replies over a group's rate (--group-rate, a burst of twice that), whoever asked: the unicast reply went",
    ),
    (
        "capped_size",
        "number",
        "ssmping requests whose reply-size option asked for more than --max-reply-size (by default the request's own size): answered at that size",
    ),
    ("send_errors", "number", "replies the host could not send"),
];

/// What watch's summary and intervals say of the run so far.
/// Every watch message's verdict on its checksum.
const CHECKSUM_OK: Field = (
    "checksum_ok",
    "boolean",
    "false when the IGMP or ICMPv6 checksum is wrong: every host and snooping switch discards the message, so it changes nothing",
);

const WATCH_BODY: &[Field] = &[
    (
        "packets",
        "number",
        "packets the kernel filter passed to mcast (with -r, the packets read from the file)",
    ),
    (
        "kernel_drops",
        "number or null",
        "packets the kernel dropped for want of buffer; null with -r (a file does not say)",
    ),
    (
        "ignored",
        "number",
        "passed, but not IGMP or MLD mcast could read (with -r, also frames that hold no IP packet)",
    ),
    (
        "bad_checksums",
        "number",
        "messages whose IGMP or ICMPv6 checksum is wrong: shown, and left out of the queriers and hosts (hosts and switches discard them)",
    ),
    (
        "untracked",
        "number",
        "report records past the 20,000 host-and-group entries kept",
    ),
    (
        "untracked_queriers",
        "number",
        "queriers forgotten to keep 64 (those gone past their own timers first, then the least recently heard that is not elected): a link has one or two, more are spoofed",
    ),
    (
        "warnings_not_told",
        "object",
        "warnings past the 10,000 remembered, by kind (for example {\"asm_in_ssm_range\": 9990}): counted, not told one by one; the kinds about queriers have a memory of their own, so lesser warnings never hide them",
    ),
    (
        "untracked_sources",
        "number",
        "sources past the 1,024 one membership keeps (a host's own filter holds 10 or 64 by default: more is forged), counted, not followed",
    ),
    (
        "aged",
        "number",
        "memberships aged out (not refreshed within the group membership interval)",
    ),
    (
        "queriers",
        "array of objects",
        "interface, address, protocol, elected, queries, interval_s (between the last two general queries, or null), max_response_ms, qrv, qqi_s",
    ),
    (
        "hosts",
        "array of objects",
        "interface, address, protocol, groups (each: group, mode include or exclude, sources)",
    ),
];

/// What send's summary and intervals say of the run so far.
const SEND_FIELDS: &[Field] = &[
    ("command", "string", "send"),
    ("version", "string", "mcast's version"),
    SUMMARY_TIME,
    ("packets", "number", "datagrams sent"),
    ("bytes", "number", "bytes of payload sent"),
    ("elapsed_ms", "number", "milliseconds from start to end"),
    ("rate_pps", "number", "datagrams a second over the run"),
    (
        "errors",
        "number",
        "sends the host refused (a full queue), retried and counted",
    ),
    ("path", "string", "gso+sendmmsg, sendmmsg or sendto"),
    (
        "gap_p50_us",
        "number or null",
        "median time between departures in microseconds (0 within one batch); null for fewer than two",
    ),
    (
        "gap_p99_us",
        "number or null",
        "99th percentile of the same",
    ),
];

/// One server's figures: in the summary's `servers`, and in each interval.
const PING_SERVER: &[Field] = &[
    (
        "group",
        "string",
        "the group the multicast replies were asked for: the verdict is about it alone",
    ),
    ("server", "string", "the reflector's address"),
    (
        "unicast",
        "object",
        "sent, received, duplicates, reordered (replies after a later request's), loss_pct (null when no request was sent: nothing to judge), loss_since_first_pct (null), rtt_min_ms, rtt_avg_ms, rtt_max_ms, rtt_mdev_ms (null before a reply), hops (null when unknown)",
    ),
    (
        "multicast",
        "object",
        "as unicast, with loss_since_first_pct the loss counted from the first multicast reply, as the tree takes time to form (null before one)",
    ),
    (
        "first_multicast_ms",
        "number or null",
        "milliseconds from the first request to the first multicast reply; null when none came",
    ),
    (
        "unsolicited",
        "number",
        "replies to requests never sent (numbered 0, above the last sent, or older than the last 4096): forged or from another run, not counted",
    ),
    (
        "hops_differ",
        "boolean",
        "the multicast replies came a different number of hops than the unicast ones: they did not come the same way (another multicast route, or replies replayed by a host nearer than the reflector)",
    ),
    (
        "verdict",
        "string",
        "multicast_works, unicast_only (its multicast never arrived) or no_reply (snake_case in JSON, as the matrix counts them; words in text)",
    ),
];

/// The figures of a recv run: its summary's, and its intervals' so far.
const RECV_FIELDS: &[Field] = &[
    ("command", "string", "recv"),
    ("version", "string", "mcast's version"),
    SUMMARY_TIME,
    ("packets", "number", "datagrams received"),
    ("bytes", "number", "bytes of payload received"),
    (
        "elapsed_ms",
        "number",
        "milliseconds since joining (or binding)",
    ),
    (
        "rate_pps",
        "number",
        "datagrams a second, from the first arrival to the last; 0 for fewer than two",
    ),
    (
        "first_after_ms",
        "number or null",
        "milliseconds from joining to the first datagram; null when none came",
    ),
    (
        "ended_by",
        "string or null",
        "count, duration, timeout or signal; null in an interval",
    ),
    ("probes", "number", "datagrams that were probes"),
    ("foreign", "number", "datagrams that were not"),
    (
        "truncated",
        "number",
        "datagrams larger than the receive buffer",
    ),
    ("lost", "number", "probes lost, over the plausible senders"),
    ("duplicates", "number", "probes received more than once"),
    (
        "reordered",
        "number",
        "probes that came after a higher number",
    ),
    (
        "untracked_senders",
        "number",
        "probes from senders beyond the 256 followed, and first probes of senders heard once forgotten past the 4,096 remembered",
    ),
    (
        "senders_heard_once",
        "number",
        "senders heard once (one probe each: strangers, or runs just begun) still remembered; the most recent 256 are listed in senders with heard_once true; left out of the totals",
    ),
    (
        "kernel_drops",
        "number or null",
        "drops by this host's kernel for want of receive buffer (with GRO one drop may hold many datagrams); null where the OS cannot tell",
    ),
    (
        "rcvbuf",
        "number or null",
        "the receive buffer the kernel granted for --rcvbuf, in bytes; null without it",
    ),
    (
        "senders",
        "array of objects",
        "one per probe sender (see below)",
    ),
    (
        "untracked_streams",
        "number",
        "datagrams of senders beyond the 1,024 streams followed: not analysed",
    ),
    (
        "streams",
        "array of objects",
        "one per sender whose content was analysed (RTP, MPEG-TS, --seq; see stream below); empty for probes and other data",
    ),
];

const KINDS: &[Kind] = &[
    Kind {
        name: "joined",
        when: "recv and join, once per join, before anything else",
        fields: CHANGE,
        more: &[],
        example: r#"{"type":"joined","command":"recv","time":"2026-11-25T10:32:37.178929Z","group":"232.1.1.1","interface":"eth0","sources":["192.0.2.2"]}"#,
    },
    Kind {
        name: "left",
        when: "recv and join, once the groups were left (before the summary); a membership the kernel had already dropped is told on stderr instead",
        fields: CHANGE,
        more: &[],
        example: r#"{"type":"left","command":"recv","time":"2026-11-25T10:32:38.381861Z","group":"232.1.1.1","interface":"eth0","sources":["192.0.2.2"]}"#,
    },
    Kind {
        name: "packet",
        when: "recv, one per datagram (not with -q)",
        fields: &[
            ("type", "string", "packet"),
            COMMAND,
            TIME,
            ("source", "string", "the sender's address"),
            ("source_port", "number", "the sender's UDP port"),
            (
                "group",
                "string",
                "the destination address: the group, or the unicast or broadcast address",
            ),
            ("port", "number", "the UDP port received on"),
            (
                "interface",
                "string or null",
                "the interface it arrived on; null where the OS does not say",
            ),
            (
                "size",
                "number",
                "bytes of UDP payload (the full size when truncated)",
            ),
            (
                "truncated",
                "boolean",
                "true when it was larger than the receive buffer",
            ),
            (
                "ttl",
                "number or null",
                "the TTL or hop limit it arrived with; null where the OS does not say",
            ),
            (
                "tos",
                "number or null",
                "the TOS byte or traffic class; null where the OS does not say",
            ),
            (
                "text",
                "string or null",
                "the payload when it is UTF-8 and not a probe; null otherwise",
            ),
            (
                "probe",
                "object or null",
                "for a probe: sender (8 hex digits), seq (number), delay_ms (one-way delay in milliseconds, to the nanosecond; meaningful when the clocks agree); null otherwise",
            ),
        ],
        more: &[],
        example: r#"{"type":"packet","command":"recv","time":"2026-11-25T10:32:37.369737Z","source":"192.0.2.2","source_port":58731,"group":"232.1.1.1","port":7777,"interface":"eth0","size":64,"truncated":false,"ttl":1,"tos":0,"text":null,"probe":{"sender":"8fa85e4e","seq":0,"delay_ms":0.157504}}"#,
    },
    Kind {
        name: "link",
        when: "recv, when the joined interface goes down, comes back or is deleted",
        fields: &[
            ("type", "string", "link"),
            COMMAND,
            TIME,
            ("interface", "string", "the interface"),
            ("state", "string", "down, up or gone"),
        ],
        more: &[],
        example: r#"{"type":"link","command":"recv","time":"2026-11-25T10:32:39.901159Z","interface":"eth0","state":"down"}"#,
    },
    Kind {
        name: "memberships",
        when: "join, after joining, and every --report",
        fields: &[
            ("type", "string", "memberships"),
            COMMAND,
            (
                "time",
                "string",
                "when the kernel's tables were read (RFC 3339, UTC)",
            ),
            (
                "groups",
                "array of objects",
                "the kernel's entries for the groups joined, as groups --json prints them (see below)",
            ),
        ],
        more: &[],
        example: r#"{"type":"memberships","command":"join","time":"2026-12-03T08:45:01.580182Z","groups":[{"interface":"eth0","index":2,"family":"ipv4","group":"239.1.1.1","users":1,"mode":"exclude","mode_inferred":false,"sources":[],"sources_known":true,"igmp_compat_mode":"V3","forced_mld_version":null}]}"#,
    },
    Kind {
        name: "summary (join)",
        when: "join, last, after the left records",
        fields: &[
            ("type", "string", "summary"),
            ("command", "string", "join"),
            ("version", "string", "mcast's version"),
            SUMMARY_TIME,
            (
                "elapsed_ms",
                "number",
                "milliseconds from joining to leaving",
            ),
            (
                "ended_by",
                "string",
                "duration (-d ran out) or signal (Ctrl-C, or the reader of the output went away)",
            ),
            (
                "joined",
                "number",
                "memberships joined: a group, or a group and one source",
            ),
            (
                "left",
                "number",
                "of those, the ones left at the end; the rest the kernel no longer held (told on stderr)",
            ),
        ],
        more: &[],
        example: r#"{"type":"summary","command":"join","version":"0.1.0","time":"2026-12-03T08:45:02.580450Z","elapsed_ms":1000.47841,"ended_by":"duration","joined":1,"left":1}"#,
    },
    Kind {
        name: "summary (recv)",
        when: "recv, last",
        fields: &[("type", "string", "summary")],
        more: RECV_FIELDS,
        example: r#"{"type":"summary","command":"recv","version":"0.1.0","time":"2026-12-03T08:45:01.564128Z","packets":4,"bytes":256,"elapsed_ms":2010.964148,"rate_pps":1.999,"first_after_ms":509.84653,"ended_by":"count","probes":4,"foreign":0,"truncated":0,"lost":0,"duplicates":0,"reordered":0,"untracked_senders":0,"senders_heard_once":0,"kernel_drops":0,"rcvbuf":null,"senders":[{"sender":"2101794b","source":"192.0.2.2","planned":4,"received":4,"lost":0,"lost_after_last":0,"pending":0,"before_join":0,"unjudged":0,"last_time":"2026-12-03T08:45:01.562945Z","silent_ms":1.177452,"pace_ms":499.998947,"duplicates":0,"reordered":0,"stale":0,"implausible":false,"disbelieved":0,"heard_once":false,"sizes":[],"sizes_not_arriving":[],"delay_min_ms":0.066955,"delay_avg_ms":0.078904,"delay_max_ms":0.09479,"jitter_ms":0.001663}],"untracked_streams":0,"streams":[]}"#,
    },
    Kind {
        name: "interval (recv)",
        when: "recv, every --report and on SIGQUIT (Ctrl-\\): the figures so far, as in the summary (ended_by null), and the interval's own",
        fields: &[
            ("type", "string", "interval"),
            START,
            END,
            (
                "interval",
                "object",
                "the interval alone: packets, bytes, probes, foreign, truncated, lost (probes newly counted lost), duplicates, reordered, and kernel_drops (null where the OS does not say)",
            ),
        ],
        more: RECV_FIELDS,
        example: r#"{"type":"interval","command":"recv","version":"0.1.0","time":"2026-12-03T08:45:01.555766Z","packets":3,"bytes":192,"elapsed_ms":2002.575183,"rate_pps":2.0,"first_after_ms":509.84653,"ended_by":null,"probes":3,"foreign":0,"truncated":0,"lost":0,"duplicates":0,"reordered":0,"untracked_senders":0,"senders_heard_once":0,"kernel_drops":0,"rcvbuf":null,"senders":[{"sender":"2101794b","source":"192.0.2.2","planned":4,"received":3,"lost":0,"lost_after_last":0,"pending":1,"before_join":0,"unjudged":0,"last_time":"2026-12-03T08:45:01.062930Z","silent_ms":492.805283,"pace_ms":499.998625,"duplicates":0,"reordered":0,"stale":0,"implausible":false,"disbelieved":0,"heard_once":false,"sizes":[],"sizes_not_arriving":[],"delay_min_ms":0.066955,"delay_avg_ms":0.073609,"delay_max_ms":0.079814,"jitter_ms":0.000776}],"untracked_streams":0,"streams":[],"start":"2026-12-03T08:45:00.554702Z","end":"2026-12-03T08:45:01.555766Z","interval":{"packets":2,"bytes":128,"probes":2,"foreign":0,"truncated":0,"lost":0,"duplicates":0,"reordered":0,"kernel_drops":0}}"#,
    },
    Kind {
        name: "sender (in a recv summary)",
        when: "recv summaries and intervals, in senders",
        fields: &[
            (
                "sender",
                "string",
                "the sender id, 8 hex digits, random per sending run",
            ),
            ("source", "string", "the address its probes came from"),
            (
                "planned",
                "number",
                "how many it planned to send; 0 when open-ended",
            ),
            ("received", "number", "probes received, duplicates included"),
            (
                "lost",
                "number",
                "never received though due while this receiver listened: gaps between the numbers heard, and planned probes overdue (due, by the sender's pace, more than 250 ms plus the delay variation before the end)",
            ),
            (
                "lost_after_last",
                "number",
                "of lost, the planned probes after the last one heard: where arrivals stopped",
            ),
            (
                "pending",
                "number",
                "planned probes not yet due when receiving stopped: not lost",
            ),
            (
                "before_join",
                "number",
                "planned probes due before this receiver joined (or within 20 ms of it): not lost",
            ),
            (
                "unjudged",
                "number",
                "planned probes not timed, since one probe heard gives no pace: not lost",
            ),
            (
                "last_time",
                "string",
                "when the latest probe from this sender arrived (RFC 3339, UTC)",
            ),
            (
                "silent_ms",
                "number",
                "how long before the end (or before an interval) that was",
            ),
            (
                "pace_ms",
                "number or null",
                "the sender's interval between probes, from its send times; null until two are heard",
            ),
            ("duplicates", "number", "probes received more than once"),
            (
                "reordered",
                "number",
                "probes that came after a higher number",
            ),
            (
                "stale",
                "number",
                "probes more than 131,072 numbers late: too old to tell from duplicates",
            ),
            (
                "implausible",
                "boolean",
                "true when its numbers span more than any real run: left out of the totals",
            ),
            (
                "disbelieved",
                "number",
                "probes under its id and address that did not fit its run (a planned count other than its first probe's, a send time more than 10 s outside the delays seen, a number far beyond what its pace allows): another sender using its id, or forged; not counted",
            ),
            (
                "sizes",
                "array",
                "per size of its cycle (send --sizes): size, received (distinct), expected (numbered between the lowest and highest heard); empty for a sender of one size",
            ),
            (
                "sizes_not_arriving",
                "array",
                "sizes of its cycle of which nothing arrived (two or more due) while a smaller size did: a link on the way carries less, or drops fragments",
            ),
            (
                "heard_once",
                "boolean",
                "one distinct probe heard (a stranger, or a run just begun): left out of the totals; when 256 senders are followed, such a sender gives its place to a new one first",
            ),
            (
                "delay_min_ms",
                "number or null",
                "one-way delay in milliseconds, to the nanosecond; null before any probe counted",
            ),
            ("delay_avg_ms", "number or null", "as delay_min_ms"),
            ("delay_max_ms", "number or null", "as delay_min_ms"),
            (
                "jitter_ms",
                "number",
                "RFC 3550 interarrival jitter in milliseconds",
            ),
        ],
        more: &[],
        example: r#"{"sender":"8fa85e4e","source":"192.0.2.2","planned":2,"received":2,"lost":0,"lost_after_last":0,"pending":0,"before_join":0,"unjudged":0,"last_time":"2026-11-24T21:18:37.565627Z","silent_ms":1002.1,"pace_ms":10.000102,"duplicates":0,"reordered":0,"stale":0,"implausible":false,"disbelieved":0,"heard_once":false,"sizes":[],"sizes_not_arriving":[],"delay_min_ms":0.045507,"delay_avg_ms":0.101506,"delay_max_ms":0.157504,"jitter_ms":0.007}"#,
    },
    Kind {
        name: "summary (send)",
        when: "send, last",
        fields: &[("type", "string", "summary")],
        more: SEND_FIELDS,
        example: r#"{"type":"summary","command":"send","version":"0.1.0","time":"2026-12-03T08:45:01.562992Z","packets":4,"bytes":256,"elapsed_ms":1500.191955,"rate_pps":2.666,"errors":0,"path":"gso+sendmmsg","gap_p50_us":499122.2,"gap_p99_us":499122.2}"#,
    },
    Kind {
        name: "interval (send)",
        when: "send, every --report and on SIGQUIT (Ctrl-\\), at the next datagram: the figures so far, as in the summary, and the interval's own",
        fields: &[
            ("type", "string", "interval"),
            START,
            END,
            (
                "interval",
                "object",
                "the interval alone: packets, bytes and errors",
            ),
        ],
        more: SEND_FIELDS,
        example: r#"{"type":"interval","command":"send","version":"0.1.0","time":"2026-12-03T08:45:01.062961Z","packets":3,"bytes":192,"elapsed_ms":1000.162235,"rate_pps":3.0,"errors":0,"path":"gso+sendmmsg","gap_p50_us":499122.2,"gap_p99_us":499122.2,"start":"2026-12-03T08:45:00.062800Z","end":"2026-12-03T08:45:01.062961Z","interval":{"packets":3,"bytes":192,"errors":0}}"#,
    },
    Kind {
        name: "reply",
        when: "ping, one per reply from a reflector",
        fields: &[
            ("type", "string", "reply"),
            COMMAND,
            TIME,
            ("server", "string", "the reflector's address"),
            ("path", "string", "unicast or multicast"),
            ("seq", "number", "the request's number, from 1"),
            ("size", "number", "bytes of the reply"),
            (
                "rtt_ms",
                "number or null",
                "round trip in milliseconds, to the microsecond, from our own send time; null when that request's send time is no longer kept (never the time the reply echoes, which the server could forge)",
            ),
            (
                "hops",
                "number or null",
                "routers on the way back (64 less the TTL it arrived with); null where the OS does not say",
            ),
            (
                "duplicate",
                "boolean",
                "true when this path already brought this seq",
            ),
        ],
        more: &[],
        example: r#"{"type":"reply","command":"ping","time":"2026-11-25T10:57:25.506979Z","server":"192.0.2.1","path":"multicast","seq":1,"size":29,"rtt_ms":0.078,"hops":0,"duplicate":false}"#,
    },
    Kind {
        name: "summary (ping)",
        when: "ping, last: one for the run, each server's figures inside",
        fields: &[
            ("type", "string", "summary"),
            ("command", "string", "ping"),
            ("version", "string", "mcast's version"),
            SUMMARY_TIME,
            (
                "verdict",
                "string",
                "the run's, as the exit status says it: unicast_only when any server was (exit 1), else no_reply when any was (exit 3), else multicast_works (exit 0)",
            ),
            (
                "servers",
                "array of objects",
                "one per server, in the order given: its figures, as below",
            ),
        ],
        more: &[],
        example: r#"{"type":"summary","command":"ping","version":"0.1.0","time":"2026-12-03T08:45:09.128087Z","verdict":"multicast_works","servers":[{"group":"232.43.211.234","server":"192.0.2.1","unicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":null,"rtt_min_ms":0.118,"rtt_avg_ms":0.401,"rtt_max_ms":0.684,"rtt_mdev_ms":0.283,"hops":0},"multicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":0.0,"rtt_min_ms":0.203,"rtt_avg_ms":0.459,"rtt_max_ms":0.716,"rtt_mdev_ms":0.256,"hops":0},"first_multicast_ms":0.829501,"unsolicited":0,"hops_differ":false,"verdict":"multicast_works"},{"group":"232.43.211.234","server":"192.0.2.3","unicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":null,"rtt_min_ms":0.128,"rtt_avg_ms":0.145,"rtt_max_ms":0.162,"rtt_mdev_ms":0.017,"hops":0},"multicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":0.0,"rtt_min_ms":0.201,"rtt_avg_ms":0.202,"rtt_max_ms":0.203,"rtt_mdev_ms":0.001,"hops":0},"first_multicast_ms":0.324413,"unsolicited":0,"hops_differ":false,"verdict":"multicast_works"}]}"#,
    },
    Kind {
        name: "server (in a ping summary)",
        when: "ping, in the summary, one per server",
        fields: &[],
        more: PING_SERVER,
        example: r#"{"group":"232.43.211.234","server":"192.0.2.1","unicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":null,"rtt_min_ms":0.118,"rtt_avg_ms":0.401,"rtt_max_ms":0.684,"rtt_mdev_ms":0.283,"hops":0},"multicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":0.0,"rtt_min_ms":0.203,"rtt_avg_ms":0.459,"rtt_max_ms":0.716,"rtt_mdev_ms":0.256,"hops":0},"first_multicast_ms":0.829501,"unsolicited":0,"hops_differ":false,"verdict":"multicast_works"}"#,
    },
    Kind {
        name: "interval (ping)",
        when: "ping, every --report and on SIGQUIT (Ctrl-\\), one per server: its figures so far, as in the summary (a request still in flight counts as not yet answered), and the interval's own",
        fields: &[
            ("type", "string", "interval"),
            ("command", "string", "ping"),
            ("version", "string", "mcast's version"),
            TIME,
            START,
            END,
            (
                "interval",
                "object",
                "the interval alone: unicast and multicast, each with sent and received",
            ),
        ],
        more: PING_SERVER,
        example: r#"{"type":"interval","command":"ping","version":"0.1.0","time":"2026-12-03T07:03:16.547709Z","start":"2026-12-03T07:03:15.546227Z","end":"2026-12-03T07:03:16.547709Z","group":"232.43.211.234","server":"192.0.2.1","unicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":null,"rtt_min_ms":0.173,"rtt_avg_ms":0.21,"rtt_max_ms":0.247,"rtt_mdev_ms":0.037,"hops":0},"multicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":0.0,"rtt_min_ms":0.192,"rtt_avg_ms":0.228,"rtt_max_ms":0.264,"rtt_mdev_ms":0.036,"hops":0},"first_multicast_ms":0.364694,"unsolicited":0,"hops_differ":false,"verdict":"multicast_works","interval":{"unicast":{"sent":2,"received":2},"multicast":{"sent":2,"received":2}}}"#,
    },
    Kind {
        name: "client",
        when: "reflect, the first time a client's request is answered (at most 10 a second, bursts of 20; the rest are counted in the summary)",
        fields: &[
            ("type", "string", "client"),
            COMMAND,
            TIME,
            ("client", "string", "the client's address"),
            ("protocol", "string", "ssmping or rfc6450"),
        ],
        more: &[],
        example: r#"{"type":"client","command":"reflect","time":"2026-11-25T11:03:03.186928Z","client":"192.0.2.2","protocol":"ssmping"}"#,
    },
    Kind {
        name: "summary (reflect)",
        when: "reflect, last",
        fields: &[
            ("type", "string", "summary"),
            ("command", "string", "reflect"),
            ("version", "string", "mcast's version"),
            SUMMARY_TIME,
        ],
        more: REFLECT_COUNTS,
        example: r#"{"type":"summary","command":"reflect","version":"0.1.0","time":"2026-12-03T08:45:12.321938Z","requests":2,"unicast_replies":2,"multicast_replies":2,"clients":1,"clients_not_listed":0,"refused_source":0,"refused_malformed":0,"refused_destination":0,"refused_interface":0,"refused_session":0,"refused_small_init":0,"refused_group":0,"refused_port":0,"refused_rate":0,"refused_group_rate":0,"capped_size":0,"send_errors":0}"#,
    },
    Kind {
        name: "interval (reflect)",
        when: "reflect, every --report and on SIGQUIT (Ctrl-\\): the figures in all so far, flattened as in the summary, and those of the interval alone",
        fields: &[
            ("type", "string", "interval"),
            ("command", "string", "reflect"),
            ("version", "string", "mcast's version"),
            TIME,
            START,
            END,
            (
                "interval",
                "object",
                "the counts below, for the interval alone (clients: those first heard in it)",
            ),
        ],
        more: REFLECT_COUNTS,
        example: r#"{"type":"interval","command":"reflect","version":"0.1.0","time":"2026-12-03T06:50:52.282184Z","start":"2026-12-03T06:50:51.281328Z","end":"2026-12-03T06:50:52.282184Z","requests":3,"unicast_replies":3,"multicast_replies":3,"clients":1,"clients_not_listed":0,"refused_source":0,"refused_malformed":0,"refused_destination":0,"refused_interface":0,"refused_session":0,"refused_small_init":0,"refused_group":0,"refused_port":0,"refused_rate":0,"refused_group_rate":0,"capped_size":0,"send_errors":0,"interval":{"requests":1,"unicast_replies":1,"multicast_replies":1,"clients":0,"clients_not_listed":0,"refused_source":0,"refused_malformed":0,"refused_destination":0,"refused_interface":0,"refused_session":0,"refused_small_init":0,"refused_group":0,"refused_port":0,"refused_rate":0,"refused_group_rate":0,"capped_size":0,"send_errors":0}}"#,
    },
    Kind {
        name: "peer",
        when: "mesh, at each turn in another host's part",
        fields: &[
            ("type", "string", "peer"),
            COMMAND,
            TIME,
            ("peer", "string", "the other host's address"),
            (
                "event",
                "string",
                "answered (it opened a session: pinging it), multicast (its first multicast reply arrived), asked (it began pinging this host) or given_up (it answered nothing within --wait)",
            ),
        ],
        more: &[],
        example: r#"{"type":"peer","command":"mesh","time":"2026-11-25T11:59:52.239877Z","peer":"192.0.2.3","event":"answered"}"#,
    },
    Kind {
        name: "summary (mesh)",
        when: "mesh, last",
        fields: &[
            ("type", "string", "summary"),
            ("command", "string", "mesh"),
            ("version", "string", "mcast's version"),
            SUMMARY_TIME,
            ("host", "string", "this host's address in the list"),
            ("hosts", "array of strings", "the list, as given"),
            (
                "complete",
                "boolean",
                "every ordered (sender, receiver) pair of the list is known, each once (false when omping hosts, which share nothing, take part, or a host ended first)",
            ),
            (
                "refused_columns",
                "number",
                "columns not believed: without the RFC 6450 session id this host gave the sharer (only a host that ran a session with it knows it, so a neighbour spoofing a member cannot forge one), from a host that never answered, or with figures no run produces (received above sent and duplicates, loss outside 0-100 %, negative times, a sender named twice)",
            ),
            ("multicast_works", "number", "pairs whose multicast arrived"),
            (
                "unicast_only",
                "number",
                "pairs that answered by unicast only",
            ),
            ("no_reply", "number", "pairs with no reply at all"),
            (
                "conclusions",
                "array",
                "sentences: whose multicast reaches nobody, who hears no one, and why a column is unknown",
            ),
            (
                "pairs",
                "array of objects",
                "every pair known: this host's own (one per other host) and those the other mcast hosts shared, as below",
            ),
        ],
        more: &[],
        example: r#"{"type":"summary","command":"mesh","version":"0.1.0","time":"2026-12-03T08:45:15.731754Z","host":"192.0.2.2","hosts":["192.0.2.1","192.0.2.2","192.0.2.3"],"complete":true,"refused_columns":0,"multicast_works":6,"unicast_only":0,"no_reply":0,"conclusions":[],"pairs":[{"from":"192.0.2.1","to":"192.0.2.2","unicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":null,"rtt_min_ms":0.024,"rtt_avg_ms":0.154,"rtt_max_ms":0.285,"rtt_mdev_ms":0.131,"hops":0},"multicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":0.0,"rtt_min_ms":0.037,"rtt_avg_ms":0.166,"rtt_max_ms":0.295,"rtt_mdev_ms":0.129,"hops":0},"first_multicast_ms":0.037176,"verdict":"multicast_works"},{"from":"192.0.2.3","to":"192.0.2.2","unicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":null,"rtt_min_ms":0.02,"rtt_avg_ms":0.052,"rtt_max_ms":0.084,"rtt_mdev_ms":0.032,"hops":0},"multicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":0.0,"rtt_min_ms":0.027,"rtt_avg_ms":0.064,"rtt_max_ms":0.1,"rtt_mdev_ms":0.036,"hops":0},"first_multicast_ms":0.027239,"verdict":"multicast_works"},{"from":"192.0.2.2","to":"192.0.2.1","unicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":null,"rtt_min_ms":0.077,"rtt_avg_ms":0.103,"rtt_max_ms":0.13,"rtt_mdev_ms":0.027,"hops":0},"multicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":0.0,"rtt_min_ms":0.091,"rtt_avg_ms":0.124,"rtt_max_ms":0.157,"rtt_mdev_ms":0.033,"hops":0},"first_multicast_ms":0.090823,"verdict":"multicast_works"},{"from":"192.0.2.3","to":"192.0.2.1","unicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":null,"rtt_min_ms":0.022,"rtt_avg_ms":0.049,"rtt_max_ms":0.076,"rtt_mdev_ms":0.027,"hops":0},"multicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":0.0,"rtt_min_ms":0.037,"rtt_avg_ms":0.067,"rtt_max_ms":0.097,"rtt_mdev_ms":0.03,"hops":0},"first_multicast_ms":0.03716,"verdict":"multicast_works"},{"from":"192.0.2.1","to":"192.0.2.3","unicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":null,"rtt_min_ms":0.017,"rtt_avg_ms":0.059,"rtt_max_ms":0.101,"rtt_mdev_ms":0.042,"hops":0},"multicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":0.0,"rtt_min_ms":0.025,"rtt_avg_ms":0.069,"rtt_max_ms":0.113,"rtt_mdev_ms":0.044,"hops":0},"first_multicast_ms":0.025062,"verdict":"multicast_works"},{"from":"192.0.2.2","to":"192.0.2.3","unicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":null,"rtt_min_ms":0.018,"rtt_avg_ms":0.04,"rtt_max_ms":0.063,"rtt_mdev_ms":0.023,"hops":0},"multicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":0.0,"rtt_min_ms":0.023,"rtt_avg_ms":0.055,"rtt_max_ms":0.087,"rtt_mdev_ms":0.032,"hops":0},"first_multicast_ms":0.023261,"verdict":"multicast_works"}]}"#,
    },
    Kind {
        name: "pair (in a mesh summary)",
        when: "mesh, in the summary, one per ordered pair known: this host's column, then the columns the other mcast hosts shared",
        fields: &[
            (
                "from",
                "string",
                "the other host: the sender of the replies measured",
            ),
            ("to", "string", "this host, where they arrived"),
            ("unicast", "object", "as in ping's summary"),
            ("multicast", "object", "as in ping's summary"),
            (
                "first_multicast_ms",
                "number or null",
                "milliseconds from the first request to it to its first multicast reply; null when none came",
            ),
            (
                "verdict",
                "string",
                "multicast_works, unicast_only or no_reply",
            ),
        ],
        more: &[],
        example: r#"{"from":"192.0.2.1","to":"192.0.2.2","unicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":null,"rtt_min_ms":0.024,"rtt_avg_ms":0.154,"rtt_max_ms":0.285,"rtt_mdev_ms":0.131,"hops":0},"multicast":{"sent":2,"received":2,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":0.0,"rtt_min_ms":0.037,"rtt_avg_ms":0.166,"rtt_max_ms":0.295,"rtt_mdev_ms":0.129,"hops":0},"first_multicast_ms":0.037176,"verdict":"multicast_works"}"#,
    },
    Kind {
        name: "interval (mesh)",
        when: "mesh, every --report and on SIGQUIT (Ctrl-\\): this host's figures of each other host so far (the matrix waits for the end, when the columns are shared), and the interval's own",
        fields: &[
            ("type", "string", "interval"),
            ("command", "string", "mesh"),
            ("version", "string", "mcast's version"),
            TIME,
            START,
            END,
            ("host", "string", "this host"),
            (
                "peers",
                "array of objects",
                "one per other host: peer, unicast and multicast (as in a pair; a request still in flight counts as not yet answered), verdict, and interval (unicast and multicast, each with sent and received in the interval alone)",
            ),
        ],
        more: &[],
        example: r#"{"type":"interval","command":"mesh","version":"0.1.0","time":"2026-12-03T07:23:52.518610Z","start":"2026-12-03T07:23:51.516625Z","end":"2026-12-03T07:23:52.518610Z","host":"192.0.2.1","peers":[{"peer":"192.0.2.2","unicast":{"sent":3,"received":3,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":null,"rtt_min_ms":0.099,"rtt_avg_ms":0.345,"rtt_max_ms":0.5,"rtt_mdev_ms":0.176,"hops":0},"multicast":{"sent":3,"received":3,"duplicates":0,"reordered":0,"loss_pct":0.0,"loss_since_first_pct":0.0,"rtt_min_ms":0.107,"rtt_avg_ms":0.367,"rtt_max_ms":0.531,"rtt_mdev_ms":0.186,"hops":0},"verdict":"multicast_works","interval":{"unicast":{"sent":3,"received":3},"multicast":{"sent":3,"received":3}}}]}"#,
    },
    Kind {
        name: "query",
        when: "watch, one per IGMP or MLD query seen",
        fields: &[
            ("type", "string", "query"),
            COMMAND,
            TIME,
            ("interface", "string", "where it was seen"),
            (
                "source",
                "string",
                "the querier (0.0.0.0 for a switch's proxy query)",
            ),
            (
                "destination",
                "string",
                "224.0.0.1, ff02::1, or the group asked about",
            ),
            (
                "protocol",
                "string",
                "IGMPv1, IGMPv2, IGMPv3, MLDv1 or MLDv2",
            ),
            ("ttl", "number", "TTL or hop limit (1 on a link)"),
            ("outgoing", "boolean", "sent by this host"),
            CHECKSUM_OK,
            (
                "group",
                "string or null",
                "the group asked about; null for a general query",
            ),
            (
                "sources",
                "array of strings",
                "sources asked about (group-and-source-specific)",
            ),
            (
                "max_response_ms",
                "number",
                "how long hosts may take to answer",
            ),
            (
                "s_flag",
                "boolean",
                "suppress router-side processing (v3, MLDv2)",
            ),
            (
                "qrv",
                "number",
                "querier's robustness variable; 0 before v3 and MLDv2",
            ),
            (
                "qqi_s",
                "number",
                "querier's query interval in seconds; 0 before v3 and MLDv2",
            ),
        ],
        more: &[],
        example: r#"{"type":"query","command":"watch","time":"2026-12-03T13:02:28.761201Z","interface":"eth0","source":"192.0.2.254","destination":"224.0.0.1","protocol":"IGMPv2","ttl":1,"outgoing":false,"checksum_ok":true,"group":null,"sources":[],"max_response_ms":500,"s_flag":false,"qrv":0,"qqi_s":0}"#,
    },
    Kind {
        name: "report",
        when: "watch, one per membership report seen",
        fields: &[
            ("type", "string", "report"),
            COMMAND,
            TIME,
            ("interface", "string", "where it was seen"),
            ("source", "string", "the host reporting"),
            (
                "destination",
                "string",
                "the group (v1, v2, MLDv1) or 224.0.0.22 / ff02::16",
            ),
            (
                "protocol",
                "string",
                "IGMPv1, IGMPv2, IGMPv3, MLDv1 or MLDv2",
            ),
            ("ttl", "number", "TTL or hop limit"),
            ("outgoing", "boolean", "sent by this host"),
            CHECKSUM_OK,
            (
                "records",
                "array of objects",
                "record (MODE_IS_INCLUDE, MODE_IS_EXCLUDE, CHANGE_TO_INCLUDE, CHANGE_TO_EXCLUDE, ALLOW_NEW_SOURCES, BLOCK_OLD_SOURCES; a v1/v2/MLDv1 report is one MODE_IS_EXCLUDE record), group, sources",
            ),
        ],
        more: &[],
        example: r#"{"type":"report","command":"watch","time":"2026-12-03T13:02:28.985303Z","interface":"eth0","source":"192.0.2.2","destination":"232.1.1.1","protocol":"IGMPv2","ttl":1,"outgoing":false,"checksum_ok":true,"records":[{"record":"MODE_IS_EXCLUDE","group":"232.1.1.1","sources":[]}]}"#,
    },
    Kind {
        name: "leave",
        when: "watch, one per IGMPv2 leave or MLDv1 done seen",
        fields: &[
            ("type", "string", "leave"),
            COMMAND,
            TIME,
            ("interface", "string", "where it was seen"),
            ("source", "string", "the host leaving"),
            ("destination", "string", "224.0.0.2 or ff02::2"),
            ("protocol", "string", "IGMPv2 or MLDv1"),
            ("ttl", "number", "TTL or hop limit"),
            ("outgoing", "boolean", "sent by this host"),
            CHECKSUM_OK,
            ("group", "string", "the group left"),
        ],
        more: &[],
        example: r#"{"type":"leave","command":"watch","time":"2026-12-03T13:02:29.574624Z","interface":"eth0","source":"192.0.2.2","destination":"224.0.0.2","protocol":"IGMPv2","ttl":1,"outgoing":false,"checksum_ok":true,"group":"232.1.1.1"}"#,
    },
    Kind {
        name: "warning",
        when: "watch, once per problem seen",
        fields: &[
            ("type", "string", "warning"),
            COMMAND,
            TIME,
            (
                "kind",
                "string",
                "no_querier, old_querier, queriers_disagree, host_older_version, asm_in_ssm_range or local_host_silent (this host was queried and sent no report in time)",
            ),
            ("interface", "string", "the link"),
            ("family", "string", "ipv4 (IGMP) or ipv6 (MLD)"),
            (
                "subject",
                "string or null",
                "the querier or host it is about",
            ),
            ("message", "string", "what it means and what to do"),
        ],
        more: &[],
        example: r#"{"type":"warning","command":"watch","time":"2026-11-25T12:25:27.727749Z","kind":"old_querier","interface":"eth0","family":"ipv4","subject":"192.0.2.254","message":"querier 192.0.2.254 speaks IGMPv2: hosts fall back to it, and source-specific joins (SSM, --source) cannot work on this link; make the querier (router or switch) use IGMPv3"}"#,
    },
    Kind {
        name: "summary (watch)",
        when: "watch, last",
        fields: &[
            ("type", "string", "summary"),
            ("command", "string", "watch"),
            ("version", "string", "mcast's version"),
            SUMMARY_TIME,
        ],
        more: WATCH_BODY,
        example: r#"{"type":"summary","command":"watch","version":"0.1.0","time":"2026-12-03T13:02:31.268775Z","packets":31,"kernel_drops":0,"ignored":0,"bad_checksums":0,"untracked":0,"untracked_sources":0,"untracked_queriers":0,"warnings_not_told":{},"aged":0,"queriers":[{"interface":"eth0","address":"192.0.2.254","protocol":"IGMPv2","elected":true,"queries":3,"interval_s":1.024,"max_response_ms":500,"qrv":0,"qqi_s":0}],"hosts":[{"interface":"eth0","address":"192.0.2.254","protocol":"IGMPv3","groups":[{"group":"224.0.0.106","mode":"exclude","sources":[]}]}]}"#,
    },
    Kind {
        name: "interval (watch)",
        when: "watch, every --report and on SIGQUIT (Ctrl-\\): the queriers, hosts and figures so far, as in the summary, and the counts of the interval alone",
        fields: &[
            ("type", "string", "interval"),
            ("command", "string", "watch"),
            ("version", "string", "mcast's version"),
            TIME,
            START,
            END,
            (
                "interval",
                "object",
                "the interval alone: packets, kernel_drops, ignored, bad_checksums (as below) and warnings told",
            ),
        ],
        more: WATCH_BODY,
        example: r#"{"type":"interval","command":"watch","version":"0.1.0","time":"2026-12-03T13:02:29.768558Z","start":"2026-12-03T13:02:27.768044Z","end":"2026-12-03T13:02:29.768558Z","packets":17,"kernel_drops":0,"ignored":0,"bad_checksums":0,"untracked":0,"untracked_sources":0,"untracked_queriers":0,"warnings_not_told":{},"aged":0,"queriers":[{"interface":"eth0","address":"192.0.2.254","protocol":"IGMPv2","elected":true,"queries":1,"interval_s":null,"max_response_ms":500,"qrv":0,"qqi_s":0}],"hosts":[{"interface":"eth0","address":"192.0.2.254","protocol":"IGMPv3","groups":[{"group":"224.0.0.106","mode":"exclude","sources":[]}]}],"interval":{"packets":17,"kernel_drops":0,"ignored":0,"bad_checksums":0,"warnings":2}}"#,
    },
    Kind {
        name: "check (doctor --json)",
        when: "doctor --json: one array of these, in the order run",
        fields: &[
            (
                "check",
                "string",
                "interface, route, group, mac_alias, rp_filter, version, limits, port, firewall; with --listen also listen and querier; with --send interface, route, group and send",
            ),
            ("status", "string", "ok, warn, fail or skipped"),
            ("evidence", "string", "what was seen, and where it was read"),
            (
                "fix",
                "string or null",
                "what to do, as a command or a sentence; null when ok",
            ),
        ],
        more: &[],
        example: r#"{"check":"group","status":"fail","evidence":"232.1.1.1 is in the source-specific range and no --source is given: on an SSM network nothing arrives","fix":"add --source SENDER for each sender (or use a group outside 232.0.0.0/8 / ff3x::/32)"}"#,
    },
    Kind {
        name: "interface (ifaces --json)",
        when: "ifaces --json: one array of these",
        fields: &[
            ("name", "string", "the interface name"),
            ("index", "number", "its index"),
            (
                "flags",
                "array of strings",
                "up, running, loopback, broadcast, point-to-point, multicast, promisc, allmulti, noarp",
            ),
            (
                "mtu",
                "number or null",
                "its MTU; null where it cannot be read",
            ),
            (
                "mac",
                "string or null",
                "its link-layer address; null where it has none",
            ),
            (
                "addresses",
                "array of objects",
                "family (ipv4 or ipv6), address, prefix_len, scope (global, link, host, site), broadcast (string or null)",
            ),
        ],
        more: &[],
        example: r#"{"name":"eth0","index":2,"flags":["up","running","broadcast","multicast"],"mtu":1500,"mac":"5a:94:57:90:43:d5","addresses":[{"family":"ipv4","address":"192.0.2.1","prefix_len":24,"scope":"global","broadcast":null},{"family":"ipv6","address":"fe80::5894:57ff:fe90:43d5","prefix_len":64,"scope":"link","broadcast":null}]}"#,
    },
    Kind {
        name: "membership (groups --json)",
        when: "groups --json: one array of these; also in memberships events",
        fields: &[
            ("interface", "string", "the interface name"),
            ("index", "number", "its index"),
            ("family", "string", "ipv4 or ipv6"),
            ("group", "string", "the group"),
            (
                "users",
                "number or null",
                "joins holding it, the kernel's own included; null where the OS does not say",
            ),
            ("mode", "string", "include, exclude or unknown"),
            (
                "mode_inferred",
                "boolean",
                "true when the mode is a guess from the counts",
            ),
            ("sources", "array of strings", "the filter's sources"),
            ("sources_known", "boolean", "false when the OS hides them"),
            (
                "igmp_compat_mode",
                "string or null",
                "IPv4: the host's IGMP compatibility mode (V1, V2, V3), not whether a querier exists; null for IPv6",
            ),
            (
                "forced_mld_version",
                "number or null",
                "IPv6: an MLD version forced on the interface; null when not forced",
            ),
        ],
        more: &[],
        example: r#"{"interface":"eth0","index":2,"family":"ipv4","group":"239.1.1.1","users":1,"mode":"exclude","mode_inferred":false,"sources":[],"sources_known":true,"igmp_compat_mode":"V3","forced_mld_version":null}"#,
    },
];

impl Kind {
    /// Its fields, shared ones included.
    pub(super) fn all_fields(&self) -> impl Iterator<Item = &'static Field> + use<> {
        self.fields.iter().chain(self.more)
    }
}

/// Every kind, in the page's order: the content's after the rest.
fn all() -> impl Iterator<Item = &'static Kind> {
    KINDS.iter().chain(STREAM_KINDS).chain(MONITOR_KINDS)
}

/// The page, in roff.
pub fn page() -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b".TH mcast-json 7 \"\" \"mcast\" \"\"\n.SH NAME\nmcast\\-json \\- the JSON that mcast prints\n");
    out.extend_from_slice(b".SH DESCRIPTION\n");
    paragraphs(
        &mut out,
        "With --json, send, recv, join, ping, reflect, mesh and watch print JSON Lines: one object per line, each with a \
type key, a command key (the command that printed it) and a time key, and each ends with one summary record \
(ping's holds each server's figures, mesh's each pair's). ifaces, groups and doctor print one JSON array. Keys are always present: a value that is not \
known is null, never left out. Strings that came from the network or the OS have every \
character a terminal would act on written as a \\u escape; they decode to the exact text.",
    );
    for k in all() {
        out.extend_from_slice(format!(".SH \"{}\"\n", escape(&k.name.to_uppercase())).as_bytes());
        paragraphs(&mut out, &format!("Printed by {}.", k.when));
        for (name, ty, what) in k.all_fields() {
            out.extend_from_slice(
                format!(
                    ".TP\n\\fB{}\\fR ({})\n{}\n",
                    escape(name),
                    escape(ty),
                    escape(what)
                )
                .as_bytes(),
            );
        }
        out.extend_from_slice(b".PP\nExample:\n.PP\n.nf\n");
        out.extend_from_slice(escape(k.example).as_bytes());
        out.extend_from_slice(b"\n.fi\n");
    }
    out.extend_from_slice(
        b".SH \"SEE ALSO\"\nmcast(1), mcast\\-recv(1), mcast\\-send(1), mcast\\-join(1)\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn kind(name: &str) -> &'static Kind {
        all().find(|k| k.name == name).unwrap()
    }

    fn documented(k: &Kind) -> Vec<&'static str> {
        let mut names: Vec<&str> = k.all_fields().map(|f| f.0).collect();
        names.sort_unstable();
        names
    }

    fn keys(v: &Value) -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort_unstable();
        k
    }

    fn type_fits(ty: &str, v: &Value) -> bool {
        ty.split(" or ").any(|t| match t {
            "string" => v.is_string(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            "object" | "objects" => v.is_object(),
            t if t.starts_with("array") => v.is_array(),
            _ => false,
        })
    }

    /// Each example parses, has exactly the documented keys, and values of the documented types.
    #[test]
    fn every_example_is_json_with_exactly_the_documented_fields() {
        for k in all() {
            let v: Value =
                serde_json::from_str(k.example).unwrap_or_else(|e| panic!("{}: {e}", k.name));
            assert_eq!(keys(&v), documented(k), "{}", k.name);
            for (name, ty, _) in k.all_fields() {
                assert!(
                    type_fits(ty, &v[*name]),
                    "{}.{name} is not {ty}: {}",
                    k.name,
                    v[*name]
                );
            }
        }
    }

    /// The serde types print exactly the documented keys.
    #[test]
    fn the_code_prints_what_the_reference_documents() {
        use crate::cli::output::events::{
            Event, RecvCounts, RecvInterval, RecvSummary, SendSummary,
        };
        let line = |e: &Event| -> Value { serde_json::to_value(e).unwrap() };
        let recv = line(&Event::Summary(RecvSummary::default()));
        let as_strings = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<_>>();
        assert_eq!(keys(&recv), as_strings(documented(kind("summary (recv)"))));
        let send = line(&Event::SendSummary(SendSummary::default()));
        assert_eq!(keys(&send), as_strings(documented(kind("summary (send)"))));
        let interval = line(&Event::Interval(RecvInterval {
            so_far: RecvSummary::default(),
            start: String::new(),
            end: String::new(),
            interval: RecvCounts::default(),
        }));
        assert_eq!(interval["type"], "interval");
        assert_eq!(
            keys(&interval),
            as_strings(documented(kind("interval (recv)")))
        );
    }

    #[test]
    fn the_page_names_every_field() {
        let page = String::from_utf8(page()).unwrap();
        for k in all() {
            for (name, ..) in k.all_fields() {
                assert!(
                    page.contains(&format!("\\fB{}\\fR", escape(name))),
                    "{name}"
                );
            }
        }
    }
}
