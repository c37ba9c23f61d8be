//! mcast-json(7)'s records of `mcast monitor`: its start, alarms raised and cleared, the
//! table of every group (a report, the summary) and a group's row in it.

use super::json_reference::{COMMAND, END, Field, Kind, START};

/// A target's fields, in every record about one group.
const TARGET: &[Field] = &[
    (
        "name",
        "string or null",
        "the name given (name=, or a playlist's #EXTINF); null when none was",
    ),
    ("group", "string", "the group"),
    ("port", "number", "the UDP port"),
    (
        "source",
        "string or null",
        "the source of a source-specific target; null for any source",
    ),
    (
        "interface",
        "string or null",
        "the interface named (iface= or -i); null for the route's choice",
    ),
];

const ROW: &[Field] = &[
    (
        "state",
        "string",
        "never_started, stalled, losing (its worst alarm standing), waiting (nothing yet, within --stall of the joins) or flowing",
    ),
    ("datagrams", "number", "datagrams received"),
    ("bytes", "number", "their bytes of UDP payload"),
    (
        "datagrams_per_s",
        "number or null",
        "datagrams a second over the last whole second; null before the first second ended",
    ),
    (
        "bits_per_s",
        "number or null",
        "UDP payload bits a second over the last whole second; null before it ended",
    ),
    (
        "lost",
        "number or null",
        "units lost: RTP packets, else TS packets (by the continuity counters), else feed numbers; null when the content is not read (raw, or not recognised)",
    ),
    (
        "duplicates",
        "number or null",
        "units received twice; null when the content is not read",
    ),
    (
        "reordered",
        "number or null",
        "RTP packets and feed numbers that came behind the highest; null when the content is not read",
    ),
    (
        "cc_errors",
        "number or null",
        "MPEG-TS continuity errors; null when no sender of the group carries TS",
    ),
    (
        "jitter_ms",
        "number or null",
        "the largest RFC 3550 jitter of its RTP senders, in ms; null without RTP of a known clock rate (--clock-rate for dynamic types)",
    ),
    (
        "last_time",
        "string or null",
        "when its last datagram came (the kernel's time); null when none did",
    ),
    (
        "alarms",
        "array of strings",
        "the alarms standing: never_started, stall, loss, leg_down",
    ),
    (
        "alarms_raised",
        "number",
        "alarms raised for it in all, standing or cleared",
    ),
];

const ALARM_NAME: Field = (
    "alarm",
    "string",
    "never_started (no datagram --stall after the joins), stall (silent for --stall), loss (more than --loss-alarm lost in one second), leg_down (one leg of an A/B pair down while the other flows)",
);

pub(super) const MONITOR_KINDS: &[Kind] = &[
    Kind {
        name: "monitoring",
        when: "monitor, first, once every group is joined",
        fields: &[
            ("type", "string", "monitoring"),
            COMMAND,
            ("time", "string", "when the joins were done"),
            ("groups", "number", "targets watched"),
            ("sockets", "number", "sockets their joins were spread over"),
            (
                "igmp_max_memberships",
                "number",
                "IPv4 groups a socket, as read here (else the kernel's default, 20)",
            ),
            (
                "igmp_max_msf",
                "number",
                "IPv4 sources a group on one socket, as read here (else 10)",
            ),
            (
                "mld_max_msf",
                "number",
                "IPv6 sources a group on one socket, as read here (else 64; host-wide, so not readable in another network namespace)",
            ),
            ("stall_ms", "number", "--stall, in ms"),
            (
                "pairs",
                "number",
                "A/B pairs: --pair, or two targets of one name",
            ),
            (
                "metrics",
                "string or null",
                "the URL Prometheus scrapes (--metrics); null without it",
            ),
        ],
        more: &[],
        example: r#"{"type":"monitoring","command":"monitor","time":"2026-12-03T17:21:49.211829Z","groups":2,"sockets":1,"igmp_max_memberships":20,"igmp_max_msf":10,"mld_max_msf":64,"stall_ms":1000.0,"pairs":1,"metrics":null}"#,
    },
    Kind {
        name: "alarm",
        when: "monitor, once when an alarm is raised for a group",
        fields: &[
            ("type", "string", "alarm"),
            COMMAND,
            ("time", "string", "when it was raised"),
            ALARM_NAME,
        ],
        more: &ALARM_FIELDS,
        example: r#"{"type":"alarm","command":"monitor","time":"2026-12-03T16:59:44.638116Z","alarm":"never_started","name":"Sport","group":"239.1.0.2","port":5000,"source":null,"interface":"eth0","since":"2026-12-03T16:59:44.132301Z","silent_ms":505.815,"lost":null,"expected":null,"fix":"see that the sender runs and sends to this group and port; then run mcast doctor for the group on this host"}"#,
    },
    Kind {
        name: "clear",
        when: "monitor, once when a standing alarm ends",
        fields: &[
            ("type", "string", "clear"),
            COMMAND,
            ("time", "string", "when it ended"),
            ALARM_NAME,
        ],
        more: &CLEAR_FIELDS,
        example: r#"{"type":"clear","command":"monitor","time":"2026-12-03T16:59:46.964705Z","alarm":"stall","name":"News HD","group":"239.1.0.1","port":5000,"source":null,"interface":"eth0","lasted_ms":1219.069}"#,
    },
    Kind {
        name: "diagnosis",
        when: "monitor, for each of the first five groups that never started, once doctor's receiver checks for it are done (on a thread of their own)",
        fields: &[
            ("type", "string", "diagnosis"),
            COMMAND,
            ("time", "string", "when the checks were done"),
        ],
        more: &DIAGNOSIS_FIELDS,
        example: r#"{"type":"diagnosis","command":"monitor","time":"2026-12-03T17:06:32.098710Z","name":"Movies","group":"239.1.0.3","port":5001,"source":null,"interface":"eth0","checks":[{"check":"interface","status":"ok","evidence":"eth0 (given): up, carrier, multicast, with an address of the group's family","fix":null},{"check":"route","status":"ok","evidence":"the kernel routes 239.1.0.3 via eth0","fix":null},{"check":"group","status":"ok","evidence":"239.1.0.3: an any-source join","fix":null},{"check":"mac_alias","status":"ok","evidence":"no other group held on eth0 maps to 01:00:5e:01:00:03","fix":null},{"check":"rp_filter","status":"skipped","evidence":"no --source: the reverse path depends on each sender","fix":null},{"check":"version","status":"ok","evidence":"force_igmp_version: all = 0, eth0 = 0; compatibility mode V3","fix":null},{"check":"limits","status":"ok","evidence":"0 sources asked; net.ipv4.igmp_max_msf = 10 sources a group per socket; net.ipv4.igmp_max_memberships = 20 groups a socket","fix":null},{"check":"port","status":"warn","evidence":"UDP port 5001 is held (0.0.0.0:5001 by mcast (pid 18047)), and shared: each of them gets a copy of what arrives","fix":null}]}"#,
    },
    Kind {
        name: "interval (monitor)",
        when: "monitor, every --report and on SIGQUIT (Ctrl-\\): every group, trouble first (rates over the last whole second)",
        fields: &[
            ("type", "string", "interval"),
            COMMAND,
            ("time", "string", "when it was printed"),
            START,
            END,
            (
                "groups",
                "array of objects",
                "one row per group (group row, below), never started first, then stalled, losing, waiting and flowing, the most lost first",
            ),
            (
                "pairs",
                "array of objects",
                "one row per A/B pair (pair row, below); empty without pairs",
            ),
        ],
        more: &[],
        example: r#"{"type":"interval","command":"monitor","time":"2026-12-03T17:21:51.712367Z","start":"2026-12-03T17:21:49.211829Z","end":"2026-12-03T17:21:51.712367Z","groups":[{"name":"feed 1","group":"239.1.1.1","port":5000,"source":null,"interface":"eth0","state":"losing","datagrams":49,"bytes":5488,"datagrams_per_s":17.667,"bits_per_s":15830.0,"lost":56,"duplicates":0,"reordered":0,"cc_errors":null,"jitter_ms":null,"last_time":"2026-12-03T17:21:51.705921Z","alarms":["loss"],"alarms_raised":1},{"name":"feed 1","group":"239.2.1.1","port":5000,"source":null,"interface":"eth0","state":"losing","datagrams":95,"bytes":10640,"datagrams_per_s":45.15,"bits_per_s":40454.0,"lost":10,"duplicates":0,"reordered":0,"cc_errors":null,"jitter_ms":null,"last_time":"2026-12-03T17:21:51.705956Z","alarms":["loss"],"alarms_raised":1}],"pairs":[{"name":"feed 1","a":"239.1.1.1:5000","b":"239.2.1.1:5000","a_lost":56,"b_lost":10,"merged_lost":0,"only_a":0,"only_b":0,"both":0,"restarts":0,"skew_p50_ms":0.034,"skew_max_ms":0.048,"legs_up":2}]}"#,
    },
    Kind {
        name: "summary (monitor)",
        when: "monitor, last",
        fields: &[
            ("type", "string", "summary"),
            COMMAND,
            ("version", "string", "mcast's version"),
            ("time", "string", "when it was printed"),
            ("elapsed_ms", "number", "from the joins to the end, in ms"),
            ("ended_by", "string", "duration or signal"),
            ("sockets", "number", "sockets the joins were spread over"),
            ("datagrams", "number", "datagrams received for the targets"),
            (
                "unmatched",
                "number",
                "datagrams that belonged to no target (a source or group no socket asked for)",
            ),
            (
                "kernel_drops",
                "number or null",
                "datagrams the kernel dropped for want of receive buffer, over every socket (SO_RXQ_OVFL); null where not counted",
            ),
            ("alarms_raised", "number", "alarms raised in all"),
            (
                "alarms_standing",
                "number",
                "alarms still standing at the end",
            ),
            (
                "groups",
                "array of objects",
                "one row per group, as in an interval",
            ),
            (
                "pairs",
                "array of objects",
                "one row per A/B pair, every number judged (those still open for the other leg at the end too)",
            ),
        ],
        more: &[],
        example: r#"{"type":"summary","command":"monitor","version":"0.1.0","time":"2026-12-03T17:21:53.212481Z","elapsed_ms":4000.653,"ended_by":"duration","sockets":1,"datagrams":225,"unmatched":0,"kernel_drops":0,"alarms_raised":2,"alarms_standing":2,"groups":[{"name":"feed 1","group":"239.1.1.1","port":5000,"source":null,"interface":"eth0","state":"losing","datagrams":90,"bytes":10080,"datagrams_per_s":28.455,"bits_per_s":25496.0,"lost":60,"duplicates":0,"reordered":0,"cc_errors":null,"jitter_ms":null,"last_time":"2026-12-03T17:21:52.605909Z","alarms":["loss"],"alarms_raised":1},{"name":"feed 1","group":"239.2.1.1","port":5000,"source":null,"interface":"eth0","state":"losing","datagrams":135,"bytes":15120,"datagrams_per_s":45.136,"bits_per_s":40442.0,"lost":15,"duplicates":0,"reordered":0,"cc_errors":null,"jitter_ms":null,"last_time":"2026-12-03T17:21:52.605938Z","alarms":["loss"],"alarms_raised":1}],"pairs":[{"name":"feed 1","a":"239.1.1.1:5000","b":"239.2.1.1:5000","a_lost":60,"b_lost":15,"merged_lost":5,"only_a":10,"only_b":55,"both":80,"restarts":0,"skew_p50_ms":0.035,"skew_max_ms":0.052,"legs_up":2}]}"#,
    },
    Kind {
        name: "pair row (monitor)",
        when: "in a monitor interval or summary, one per A/B pair",
        fields: PAIR_ROW,
        more: &[],
        example: r#"{"name":"feed 1","a":"239.1.1.1:5000","b":"239.2.1.1:5000","a_lost":60,"b_lost":15,"merged_lost":5,"only_a":10,"only_b":55,"both":80,"restarts":0,"skew_p50_ms":0.035,"skew_max_ms":0.052,"legs_up":2}"#,
    },
    Kind {
        name: "group row (monitor)",
        when: "in a monitor interval or summary, one per group",
        fields: TARGET,
        more: ROW,
        example: r#"{"name":"News HD","group":"239.1.0.1","port":5000,"source":null,"interface":"eth0","state":"flowing","datagrams":55,"bytes":6160,"datagrams_per_s":5.929,"bits_per_s":5313.0,"lost":0,"duplicates":0,"reordered":0,"cc_errors":null,"jitter_ms":null,"last_time":"2026-12-03T16:59:47.924900Z","alarms":[],"alarms_raised":1}"#,
    },
];

const PAIR_ROW: &[Field] = &[
    ("name", "string", "the name both legs share"),
    ("a", "string", "leg A as typed: [SOURCE@]GROUP:PORT"),
    ("b", "string", "leg B"),
    (
        "a_lost",
        "number or null",
        "leg A's own loss, as its group row's lost",
    ),
    ("b_lost", "number or null", "leg B's own loss"),
    (
        "merged_lost",
        "number or null",
        "sequence numbers (RTP's, or --seq's) neither leg delivered: what a receiver taking each number from whichever leg has it loses; a number is judged once 1,024 numbers behind the highest, or at the end; null before a number came",
    ),
    (
        "only_a",
        "number",
        "numbers only leg A delivered (B lost them, the merge did not)",
    ),
    ("only_b", "number", "numbers only leg B delivered"),
    ("both", "number", "numbers both legs delivered"),
    (
        "restarts",
        "number",
        "jumps of more than 1,024 numbers (a sender restarted): the merge started again, the gap not counted",
    ),
    (
        "skew_p50_ms",
        "number or null",
        "the median of the latest 1,024 skews, B's arrival of a number less A's, in ms (negative: B first); null before a number came on both",
    ),
    (
        "skew_max_ms",
        "number or null",
        "the largest skew either way, in ms; null before a number came on both",
    ),
    (
        "legs_up",
        "number",
        "legs whose datagrams flow: 2, 1 (leg_down on the other) or 0",
    ),
];

const ALARM_FIELDS: [Field; 10] = joined(
    TARGET,
    &[
        (
            "since",
            "string",
            "when what it is about began: the joins (never_started), the last datagram (stall, leg_down; the joins for a leg that never started), the start of the second over the limit (loss)",
        ),
        (
            "silent_ms",
            "number or null",
            "how long nothing had come when raised, in ms; null for loss",
        ),
        (
            "lost",
            "number or null",
            "units lost in that second (RTP packets, TS packets, feed numbers); null but for loss",
        ),
        (
            "expected",
            "number or null",
            "units due in that second, received and lost; null but for loss",
        ),
        ("fix", "string", "what to do about it"),
    ],
);

const CLEAR_FIELDS: [Field; 6] = joined(
    TARGET,
    &[(
        "lasted_ms",
        "number",
        "how long it stood, in ms: a stall from the last datagram to the next, never_started from the joins to the first datagram, loss from the start of the first second over the limit to the end of the first within it",
    )],
);

const DIAGNOSIS_FIELDS: [Field; 6] = joined(
    TARGET,
    &[(
        "checks",
        "array of objects",
        "mcast doctor's receiver checks as its --json gives them (check, status, evidence, fix), but the port's (its holder is the monitor itself)",
    )],
);

/// `head` and then `tail`, as one array of `N` fields (checked as it is built): the target's
/// fields are written once, for every record about one group.
const fn joined<const N: usize>(head: &[Field], tail: &[Field]) -> [Field; N] {
    assert!(head.len() + tail.len() == N, "N is not the fields' count");
    let mut out = [("", "", ""); N];
    let mut i = 0;
    while i < N {
        out[i] = if i < head.len() {
            head[i]
        } else {
            tail[i - head.len()]
        };
        i += 1;
    }
    out
}
