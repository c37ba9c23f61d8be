//! Long help texts, shared by `--help` and the man pages: examples, notes, files, exit status.

/// What every command's exit status shares: bad input, failures and a closed stdout.
const EXIT_COMMON: &str = "2 on bad input or a failure, with one line on stderr that names \
the value and the fix. A closed stdout (mcast ... | head) ends quietly with 0.";

/// Command `name`'s exit statuses: its man page's EXIT STATUS section and the end of its
/// `--help`, each naming the command.
pub fn exit_status(name: &str) -> String {
    let own = match name {
        "recv" => {
            "mcast recv exits 0 when datagrams arrived, --count was reached when given, \
and no probe was lost nor any stream in trouble; 1 when it ended by its timeout, its duration \
or a signal with no datagram, with fewer than --count, when probes were lost, or when a \
stream's content showed trouble (loss, a stall, a stream stopped before the end, two senders \
at once, TS continuity or other TR 101 290 errors);"
        }
        "ping" => {
            "mcast ping exits 0 when every server's multicast replies arrived; 1 when a \
server answered on unicast only (multicast broken); otherwise 3 when a server did not answer \
at all (no reply: down, no reflector, or filtered), as fping tells unreachable hosts apart;"
        }
        "mesh" => {
            "mcast mesh exits 0 when multicast arrived on every pair and every mcast \
host's column came; 1 when a pair is unicast only or a column is missing (the matrix cannot \
be judged); otherwise 3 when a host never answered (no reply);"
        }
        "doctor" => {
            "mcast doctor exits 0 when no check failed (warnings included), 1 when one \
did;"
        }
        "monitor" => {
            "mcast monitor exits 0 when no alarm was raised (no group failed to start, \
stalled or lost more than --loss-alarm); 1 when one was, even if it cleared since;"
        }
        "watch" => {
            "mcast watch exits 0; with --fail-on-warning, 1 when it gave a warning (no \
querier, an old querier, queriers that disagree, ...);"
        }
        "mcast" => {
            "mcast alone prints the usage and exits 2; each command's page gives its \
own statuses;"
        }
        other => {
            return format!("mcast {other} exits 0 on success; {EXIT_COMMON}");
        }
    };
    format!("{own} {EXIT_COMMON}")
}

/// Command `name`'s privileges, for the commands that capture: its man page's PRIVILEGES
/// section and a paragraph of its `--help`.
pub fn privileges(name: &str) -> Option<&'static str> {
    match name {
        "watch" => Some(WATCH_PRIVILEGES),
        "doctor" => Some(DOCTOR_PRIVILEGES),
        _ => None,
    }
}

const WATCH_PRIVILEGES: &str = "mcast watch needs CAP_NET_RAW for one system call: opening \
the packet socket of the capture. Run it as root (sudo), or give the binary the capability \
permitted but not effective, once: sudo setcap cap_net_raw+p $(command -v mcast). mcast \
raises it to effective only around that call, lowers it after, and gives it up (from the \
permitted set too) once the capture is open, so nothing it does after can open another raw \
socket; every command that does not capture gives it up before it starts. Under sudo, the \
--pcap file is given to the user who ran sudo (SUDO_UID and SUDO_GID), so that it can be \
read and removed without sudo.";

const DOCTOR_PRIVILEGES: &str = "mcast doctor needs CAP_NET_RAW only for --listen's view of \
the wire: whether a querier spoke, and whether the group's traffic reached the interface. \
Without it, those two say that they could not be judged. As with mcast watch, root or sudo \
setcap cap_net_raw+p $(command -v mcast) gives it; mcast raises it only around opening the \
two captures and gives it up once they are open.";

const PROBES: &str = "Probes, sent when no MESSAGE is given, carry a 32-byte big-endian \
header padded to --size: bytes 0-3 magic \"MCST\", 4 version 1, 5 flags 0, 6-7 header length \
32, 8-11 sender id (random per run), 12-19 sequence number from 0, 20-27 send time in \
nanoseconds since the Unix epoch, 28-31 datagrams planned (0 when open-ended).

recv counts, per sender, the probes received, lost, duplicated and reordered, the one-way \
delay (from the kernel's receive time) and the RFC 3550 jitter. Lost are the gaps between \
numbers heard and, for a planned run, the numbers due while recv listened that never came: \
the sender's pace (its send times) says when each was due here. A planned probe not yet due \
when recv stopped is pending, one due before recv joined is not counted, and neither is lost; \
when arrivals stop, the summary says since when. Other datagrams are shown as data and \
counted as foreign.";

const CONTENT: &str = "recv also reads what the datagrams carry, per sender (address and \
port): RTP (RFC 3550: loss from the extended highest sequence number, duplicates, late \
packets, restarts, jitter; the clock rate from the static payload type, or --clock-rate), \
MPEG-TS raw or in RTP (continuity per PID by TSDuck's rules, and TR 101 290's sync, PAT, \
PMT, PID, CRC and PCR indicators, with the RFC 4445 MDI), or a sequence number at a fixed \
offset (--seq OFFSET:LEN[:be|le], or --seq moldudp64). What a stream carries is found from \
its first datagrams (--content rtp or ts forces it). Each event is a line: a stream found, a \
gap with the numbers expected and found, a continuity error with its PID, a stall told by a \
clock after --stall of silence and its end with the outage's length. Loss that coincides with \
datagrams this host's kernel dropped on the socket is put to this host (raise --rcvbuf), the \
rest to the network. A new SSRC on the same address and port is told at once; the summary \
says whether it replaced the old one (the sender restarted) or took turns with it (two \
senders). The summary gives each stream a verdict: clean, or what is wrong.";

const RECV_METRICS: &str = "--metrics ADDR serves what recv counts to Prometheus at \
http://ADDR/metrics (a port alone is 127.0.0.1's), as mcast monitor does: OpenMetrics when \
asked for, else the classic text format. Labelled group and port: mcast_datagrams_total, \
mcast_bytes_total, mcast_probes_total, mcast_probes_lost_total, \
mcast_probes_duplicates_total, mcast_probes_reordered_total and mcast_kernel_drops_total; per \
sender whose content is read (label sender, its address and port), mcast_lost_total and, for \
MPEG-TS, mcast_cc_errors_total.";

const REFLECT_METRICS: &str = "--metrics ADDR serves the counts to Prometheus at \
http://ADDR/metrics (a port alone is 127.0.0.1's), as mcast monitor does, labelled with the \
port: mcast_reflect_requests_total, mcast_reflect_unicast_replies_total, \
mcast_reflect_multicast_replies_total, mcast_reflect_clients_total, \
mcast_reflect_clients_not_listed_total, mcast_reflect_capped_size_total, \
mcast_reflect_send_errors_total, and mcast_reflect_refused_total by reason (source, malformed, \
destination, interface, session, small_init, group, port, rate, group_rate).";

const WATCH_METRICS: &str = "--metrics ADDR serves what the capture saw to Prometheus at \
http://ADDR/metrics (a port alone is 127.0.0.1's), as mcast monitor does: \
mcast_watch_packets_total, mcast_watch_kernel_drops_total, mcast_watch_ignored_total, \
mcast_watch_bad_checksums_total, mcast_watch_warnings_total, \
mcast_watch_querier_queries_total by interface, querier and version, and \
mcast_watch_memberships by interface (not with -r).";

const COMMON: &str = "Durations are seconds (5, 0.5) or a number and a unit (500ms, 10s, 2m); \
sizes take K, M and G (8M). Ctrl-C, SIGTERM or SIGHUP ends cleanly: groups are left first, \
then the summary is printed; Ctrl-\\ (SIGQUIT) prints the figures so far and goes on (send, \
recv, join, ping, reflect, mesh, monitor and watch). With --json, send, recv, join, ping, reflect, mesh, monitor and watch print JSON Lines, one \
object per event with a \"type\" key (ifaces and groups one JSON array, doctor one array of \
checks); see mcast-json(7).";

/// What the documentation says of one command.
pub struct Page {
    pub name: &'static str,
    /// (command line, what it shows), two to five of them.
    pub examples: &'static [(&'static str, &'static str)],
    /// Paragraphs after the examples in `--help`, and sections of the man page's notes.
    pub notes: &'static [&'static str],
    /// (path, what mcast reads there).
    pub files: &'static [(&'static str, &'static str)],
}

const PROC_GROUPS: &[(&str, &str)] = &[
    (
        "/proc/net/igmp, /proc/net/igmp6",
        "the groups joined per interface, with users and the IGMP compatibility mode",
    ),
    (
        "/proc/net/mcfilter, /proc/net/mcfilter6",
        "the source filters of source-specific joins",
    ),
    (
        "/proc/sys/net/ipv6/conf/IFACE/force_mld_version",
        "an MLD version forced on an interface",
    ),
];
const SERVICES: &[(&str, &str)] = &[("/etc/services", "port names such as echo or ntp")];
const LIMITS: &[(&str, &str)] = &[
    (
        "/proc/sys/net/ipv4/igmp_max_memberships, /proc/sys/net/ipv4/igmp_max_msf",
        "IPv4 join and source limits, named when a join meets them",
    ),
    (
        "/proc/sys/net/ipv6/mld_max_msf, /proc/sys/net/core/optmem_max",
        "IPv6 source and join limits",
    ),
];

/// Every command's page, the command line's first.
pub const PAGES: &[Page] = &[
    Page {
        name: "mcast",
        examples: &[
            (
                "mcast send ff02::1234%eth0 7777 \"hi\"",
                "send one datagram to a link-local group on eth0",
            ),
            (
                "mcast recv 234.2.3.4 7777 --source 10.0.0.5",
                "join source-specifically and show what arrives",
            ),
            ("mcast ifaces --json", "the interfaces, for a script"),
        ],
        notes: &[COMMON],
        files: &[],
    },
    Page {
        name: "send",
        examples: &[
            ("mcast send 239.1.1.1 7777 hello", "one datagram"),
            (
                "mcast send 239.1.1.1 7777 -c 1000 -r 100 --ttl 8",
                "1000 numbered probes at 100 a second, across up to 7 routers",
            ),
            (
                "tail -f app.log | mcast send ff15::9 7777 - -i eth0",
                "each line of a stream as a datagram",
            ),
        ],
        notes: &[PROBES, COMMON],
        files: SERVICES,
    },
    Page {
        name: "recv",
        examples: &[
            (
                "mcast recv 234.2.3.4 7777 --source 10.0.0.5",
                "receive from one source (SSM) until Ctrl-C",
            ),
            (
                "mcast recv 239.1.1.1 7777 -q -d 1m --report 10s",
                "a summary every 10 s for a minute, without a line per datagram",
            ),
            (
                "mcast recv ff02::1234%eth0 7777 -c 10 --json",
                "ten datagrams as JSON Lines",
            ),
            (
                "mcast recv 232.1.1.1 5004 --source 10.0.0.5 -d 1m",
                "is this IPTV channel (RTP or MPEG-TS) losing packets, and is it the network or this host?",
            ),
            (
                "mcast recv 233.54.12.1 26400 --seq moldudp64 -q -d 10m",
                "gaps in a MoldUDP64 feed, with the numbers missing",
            ),
        ],
        notes: &[PROBES, CONTENT, RECV_METRICS, COMMON],
        files: SERVICES,
    },
    Page {
        name: "join",
        examples: &[
            (
                "mcast join 239.1.1.1 -i eth0",
                "hold a join while you look at a switch, until Ctrl-C",
            ),
            (
                "mcast join 232.1.1.1 232.1.1.2 --source 192.0.2.2 -d 10m",
                "hold two SSM joins for ten minutes",
            ),
        ],
        notes: &[COMMON],
        files: LIMITS,
    },
    Page {
        name: "ping",
        examples: &[
            (
                "mcast ping 192.0.2.1 -c 5",
                "five requests to an ssmpingd: does its multicast reach this host?",
            ),
            (
                "mcast ping 192.0.2.1 2001:db8::1 --any-source --json",
                "two reflectors, joined any-source as asmping does, as JSON Lines",
            ),
            (
                "mcast ping 192.0.2.1 --protocol rfc6450",
                "RFC 6450 to an omping host or mcast reflect",
            ),
        ],
        notes: &[
            "mcast ping speaks the ssmping protocol (UDP port 4321) to reflectors such as \
Debian's ssmpingd, or with --protocol rfc6450 the Multicast Ping Protocol of omping and mcast \
reflect (an init opens a session first). Each request is answered once by unicast and once to \
the group, which mcast joins from the server (source-specific) or from any source. It counts \
both paths apart, with round trips from the kernel's receive time and hops from the reply's \
TTL (RFC 6450: against the TTL the server says it sent with), and ends with a verdict per \
server: multicast works, unicast only, or no reply.",
            COMMON,
        ],
        files: &[],
    },
    Page {
        name: "reflect",
        examples: &[
            (
                "mcast reflect",
                "answer ssmping, asmping, omping and mcast ping on port 4321 until Ctrl-C",
            ),
            (
                "mcast reflect --group 239.1.1.1 -d 1h --json",
                "also for 239.1.1.1, for an hour, counting as JSON",
            ),
        ],
        notes: &[
            "mcast reflect answers each ssmping request with its own bytes, type Q turned \
into A, sent back to the client and to the group at the client's port, with TTL 64. Because a \
reflector on a router-facing network could be an amplifier, it promises: never more bytes out \
than in (no reply, and no RFC 6450 init response, is larger than its request, unless \
--max-reply-size allows it); replies only to the request's source, and only for requests sent \
to one of this host's own addresses (never to a broadcast or group address, which every \
reflector hearing it would answer); multicast replies only to 232.43.211.234, ff3e::4321:1234, \
groups ending in .234 or ::4321:1234 and those given with --group, at a port a client's kernel \
picks (32768 and up) or the port served, never at a service's port; each client --rate \
requests a second, each group --group-rate multicast replies a second, all together \
--total-rate (bursts of twice each); bounded state (10,000 clients and sessions, the least \
recently heard forgotten first, and idle ones aged out, so a flood of strangers cannot push out \
a client that keeps asking). Requests from multicast, broadcast, unspecified or this host's own \
addresses are dropped. Refusals are counted in the summary, never printed one by one.",
            "It speaks RFC 6450 (omping) too on the same port: an init gets a session, kept per \
client address, port and session id and only once its response was sent, and each echo \
request in it a unicast and a multicast echo reply carrying the TTL they leave with. mcast \
ping pads its init to hold the response; omping's init is smaller than any response with a \
session, so omping clients are told to stop unless --max-reply-size 128 allows larger \
responses (mcast mesh answers omping hosts of its list without this).",
            "What a reply proves: neither protocol authenticates replies, so a host that can \
spoof the reflector's address on the path can forge or replay them. A reply proves that a \
datagram with the reflector's address reached the client, not that the reflector sent it.",
            REFLECT_METRICS,
            COMMON,
        ],
        files: &[],
    },
    Page {
        name: "mesh",
        examples: &[
            (
                "mcast mesh 192.0.2.1 192.0.2.2 192.0.2.3 -c 10",
                "on each of the three hosts: ten requests to each other host, then the table",
            ),
            (
                "mcast mesh 2001:db8::1 2001:db8::2 --json",
                "IPv6, until Ctrl-C, as JSON Lines (peer events, and a summary that holds the matrix)",
            ),
        ],
        notes: &[
            "Run the same command on every host of the list, this host's own address \
included, as omping is run; omping hosts may take part. Each host answers the others on UDP \
port 4321 (RFC 6450: an init opens a session, each echo request gets a unicast and a multicast \
reply) and pings every other host, joined to the group from each of them (source-specific) or \
from any source. Only hosts of the list are answered. Each host measures what reaches it: its \
table has a row per other host (the sender of those replies) with both paths' counts, loss and \
round trip, and a verdict. When done, mcast hosts send each other these columns, so each prints \
the whole matrix (rows send, columns receive; multicast, then unicast); omping hosts share \
nothing, and their columns show as ?. A host that answers nothing within --wait is given up; \
with -c, a host goes on answering until the others have sent their -c requests or gone quiet.",
            COMMON,
        ],
        files: &[],
    },
    Page {
        name: "watch",
        examples: &[
            (
                "sudo mcast watch -i eth0",
                "every IGMP and MLD message on eth0, with warnings, until Ctrl-C",
            ),
            (
                "sudo mcast watch -4 -d 5m --querier-timeout 60s --json",
                "IGMP on every link for five minutes, as JSON Lines",
            ),
            (
                "sudo mcast watch -i eth0 --pcap igmp.pcapng",
                "the same, and every packet captured in a pcapng file for tcpdump -r or Wireshark",
            ),
            (
                "mcast watch -r span.pcap",
                "the same lines, queriers, hosts and warnings from a capture file (a switch's SPAN port, tcpdump -w, --pcap)",
            ),
        ],
        notes: &[
            "mcast watch captures IGMP (v1, v2, v3) and MLD (v1, v2) on the chosen links, \
whoever they are addressed to: a packet socket with a kernel filter that passes only those \
messages, and all-multicast reception on each link while it runs (the kernel drops it when \
mcast ends). It needs CAP_NET_RAW (see PRIVILEGES). Each \
message is a line: time, interface, sender, and what it says (queries with their version, \
maximum response time, QRV and QQI; reports record by record with their sources; leaves). It \
keeps the queriers of each link (the elected one is the lowest address) and what each host \
reports, aged with the querier's own timers, and warns when a querier heard goes silent for \
longer than its own announced timers allow (robustness x interval + response / 2), saying \
when the memberships it refreshed expire, or when none is heard within --querier-timeout \
(switches differ then: a Linux bridge that never heard a querier floods; many switches stop \
forwarding when memberships expire), when a querier speaks IGMPv1/v2 or MLDv1 (source-specific joins cannot work), \
when queriers disagree, when a host reports an older version than the querier asks for, and \
when a group of the source-specific range is joined from any source. A message whose IGMP or \
ICMPv6 checksum is wrong is shown marked \"bad checksum\" and changes nothing (every host and \
snooping switch discards it). The summary lists the queriers, the hosts and their groups, and \
what the kernel dropped.",
            "--pcap writes pcapng: an interface block per link (its name, nanosecond timestamps) \
and each packet as a Linux cooked v2 record (interface index, direction) stamped with the \
kernel's time, every packet the links gave, those mcast could not read included. -r FILE reads \
a capture back instead of the wire: pcap or pcapng, Ethernet (VLAN tags walked), Linux cooked \
v1 or v2, or raw IP; links are named by the pcapng interface block, else #INDEX from a cooked \
v2 header, else if0. Time is the file's: warnings fall when the file says, however fast it is \
read; what the capturing kernel dropped is unknown (kernel_drops null).",
            WATCH_METRICS,
            COMMON,
        ],
        files: &[],
    },
    Page {
        name: "monitor",
        examples: &[
            (
                "mcast monitor --file channels.m3u -i eth0",
                "every channel of an IPTV playlist, with an alarm line when one stops or loses",
            ),
            (
                "mcast monitor 239.1.1.1:5000,name=A 10.0.0.5@232.1.1.1:5004,name=B --report 10s",
                "two groups (the second source-specific), with a table of both every ten seconds",
            ),
            (
                "mcast monitor --file channels.m3u -i eth0 --metrics 0.0.0.0:9464",
                "the same, with the figures served to a Prometheus that scrapes this host",
            ),
            (
                "mcast monitor --pair feed1=239.1.1.1:5000,239.2.1.1:5000 --pair feed2=239.1.1.2:5000,239.2.1.2:5000",
                "two A/B feeds: each leg's loss, the loss merged over both legs, their skew, and leg_down",
            ),
            (
                "mcast monitor --file feeds.txt --seq moldudp64 --loss-alarm 0.01 --json -d 1h",
                "market-data feeds for an hour as JSON Lines, alarming above one lost in 10,000",
            ),
        ],
        notes: &[
            "mcast monitor watches every group of its targets in one process. A target is \
[SOURCE@]GROUP:PORT (an IPv6 group in brackets: [ff3e::1]:5000), then ,name=NAME or \
,iface=IFACE; --file adds a list of them, one a line with # comments, or an M3U/M3U8 playlist \
(#EXTINF:-1,Channel One above udp://@239.1.1.1:1234 or rtp://10.0.0.5@232.1.1.1:5004, the \
name taken from #EXTINF). A bad line is refused with its number and the form expected; a \
target given twice is refused. The joins are spread over as many sockets as the kernel's \
per-socket limits ask (net.ipv4.igmp_max_memberships groups a socket, igmp_max_msf and \
mld_max_msf sources a group, read where they can be; another socket is opened when the kernel \
refuses one more). On Linux one socket per port, family and interface reads every group \
those sockets joined (IP_MULTICAST_ALL), in batches, and tells the groups apart by the \
destination of each datagram and its sender (a sender no source-specific target names is \
counted as unmatched); its receive buffer grows with the groups it reads (128 KiB each, 1 to \
32 MiB; --rcvbuf sets it), and a warning says when the kernel granted less. Elsewhere each \
joining socket is read. Each group's content is read as recv reads it (RTP, MPEG-TS, --seq \
feeds).",
            "Alarms are raised and cleared once each, a line each: never_started when a group \
has had no datagram --stall after the joins (and, for the first five, mcast doctor's receiver checks run on a \
thread of their own, each failure a DOCTOR line with its fix, or a line saying none failed \
here: then the cause is upstream), stall when one that flowed is silent for \
--stall (cleared by its next datagram, with the outage's length), loss when more than \
--loss-alarm percent of a group's packets (RTP packets, TS packets, feed numbers) were lost \
in one second (cleared by a second within it). Loss is judged only for groups whose content \
is read; the table shows - where it was not. --report and Ctrl-\\ print a table of every \
group, trouble first: state, name, group, datagrams a second and Mbit/s over the last second, \
packets lost, TS continuity errors, RTP jitter (with a known clock rate) and when the last \
datagram came. The end prints the table and the run's figures.",
            "On a terminal (built with the default feature tui), the run is a live view: a row \
per group, trouble first (name, group, source, state, datagrams a second, Mbit/s, lost, TS \
continuity errors, jitter, last datagram), a line of totals and the alarm log, redrawn four \
times a second; the arrows, PgUp, PgDn and Home scroll, and q, Esc or Ctrl-C ends the run with \
the usual summary and exit status. --no-tui, --json, or a stdout that is not a terminal print \
the lines instead.",
            "A/B legs: --pair NAME=A,B, or two targets given one name, are two groups that \
carry one feed (ST 2022-7 video, a market-data A and B line). Each leg keeps its own loss; \
the pair merges their sequence numbers (RTP's, or --seq's) as a receiver taking each number \
from whichever leg has it would, and counts what neither leg had (merged loss), what only one \
had, and the skew between the legs (median and largest). leg_down is raised on a leg that \
never started or stalled while the other flows (the feed rides on one leg alone), and \
cleared when it flows again. The table of pairs follows the table of groups.",
            "--metrics ADDR serves the figures to Prometheus at http://ADDR/metrics (a port \
alone is 127.0.0.1's; 0.0.0.0:9464 serves every interface), from a small HTTP server on a \
thread of its own that asks the receiving loop for them at each scrape: OpenMetrics when \
asked for (as Prometheus does), else the classic text format (curl, promtool check metrics). \
Per group, labelled group, port, source, name and interface: mcast_datagrams_total, \
mcast_bytes_total, mcast_lost_total, mcast_duplicates_total, mcast_reordered_total, \
mcast_cc_errors_total, mcast_jitter_seconds, mcast_last_datagram_timestamp_seconds and \
mcast_up (1 while datagrams flow); per PID of a TS group, mcast_pid_cc_errors_total, and \
per RTP sender, mcast_ssrc_lost_total (the first 32 of each a group); per socket, \
mcast_kernel_drops_total; per A/B pair, \
mcast_pair_lost_total, mcast_pair_legs_up, mcast_pair_skew_p50_seconds and \
mcast_pair_skew_max_seconds. A figure that cannot \
be judged for a group (loss where the content is not read, jitter without an RTP clock) has \
no series: absent, not zero. contrib/prometheus/alerts.yml holds alert rules (a group down, \
loss, TS continuity errors, a leg down, this host's drops) and contrib/grafana/ a dashboard.",
            COMMON,
        ],
        files: &[],
    },
    Page {
        name: "doctor",
        examples: &[
            (
                "mcast doctor 239.1.1.1 7777",
                "every host setting that decides whether 239.1.1.1 port 7777 can arrive",
            ),
            (
                "mcast doctor 232.1.1.1 7777 --source 10.0.0.5 -i eth0 --listen 10s",
                "the same for a source-specific join on eth0, then ten seconds of listening",
            ),
            (
                "mcast doctor 239.1.1.1 7777 --send",
                "on the sender: where it leaves, from which address, with what TTL",
            ),
            (
                "mcast doctor 239.1.1.1 7777 --json | jq '.[] | select(.status == \"fail\")'",
                "only the failures, for a script",
            ),
        ],
        notes: &[
            "mcast doctor reads what decides whether a group arrives here and prints a line per \
check: its status (ok, WARN, FAIL, skipped), what it saw and where, and the fix. interface: the \
one given or the route's choice, up, with carrier, MULTICAST, with an address of the family. \
route: a route covering the group. group: an SSM group (232/8, ff3x::/32) needs --source; \
link-scoped groups are never routed. mac_alias: other groups held on the interface that share \
the group's MAC address. rp_filter: with strict reverse-path filtering, a source whose route back \
leaves by another interface is dropped (the IPReversePathFilter counter shows it). version: \
force_igmp_version / force_mld_version and the IGMP compatibility mode, which must allow \
sources. limits: igmp_max_msf / mld_max_msf against the sources asked. port: the sockets \
holding the port, their processes, whether a receiver could share it, and programs bound \
to a unicast address (they never get the group's datagrams). firewall: the nft, iptables and \
ip6tables rulesets (read only), judged rule by rule (addresses, prefixes, ports, ranges, sets, \
packet type, protocol, fragments, interfaces, jumps and policies) on the hooks the traffic \
passes: the group's UDP in (out with --send), its later fragments, and IGMP/MLD queries in and \
reports out; each rule that drops them is quoted with the command that deletes it, and a rule \
that cannot be judged (connection state, rate limits) is listed as not analysed. --listen prints these first, then joins for a \
while and reports the senders heard, probes lost or duplicated, this socket's drops, when \
arrivals stopped, and the family's kernel counters that moved; with CAP_NET_RAW it also \
watches the group on the wire (before this host's firewall and reverse-path filter), so a \
datagram that reached the interface but not the socket is told from one that never came, \
and hears the link's queriers, as mcast watch judges them (the elected one named; one of an \
old version, or two that disagree, warned of). Without CAP_NET_RAW it says that this cannot be told: no \
kernel counter is about one group.",
            COMMON,
        ],
        files: &[],
    },
    Page {
        name: "ifaces",
        examples: &[
            (
                "mcast ifaces",
                "every interface with its flags, MTU, MAC and addresses",
            ),
            (
                "mcast ifaces eth0 -6 --json",
                "one interface's IPv6 addresses, for a script",
            ),
        ],
        notes: &[],
        files: &[],
    },
    Page {
        name: "groups",
        examples: &[
            (
                "mcast groups",
                "every membership the kernel holds, with users, filter mode and sources",
            ),
            (
                "mcast groups -i eth0 -4 --json",
                "eth0's IPv4 memberships, for a script",
            ),
        ],
        notes: &[
            "The kernel prints no filter mode: mcast works it out from the counts and marks a \
guess with ? (JSON mode_inferred). Linux hides every source filter of an interface whose newest \
group has none; such groups show unknown sources (JSON sources_known false).",
        ],
        files: PROC_GROUPS,
    },
];

/// The page of command `name`.
pub fn page(name: &str) -> Option<&'static Page> {
    PAGES.iter().find(|p| p.name == name)
}

/// The text `--help` ends with: the examples, the notes, and the exit status.
pub fn after_long_help(p: &Page) -> String {
    let mut s = String::from("Examples:\n");
    for (line, what) in p.examples {
        s.push_str(&format!("  {line}\n      {what}\n"));
    }
    for note in p.notes {
        s.push('\n');
        s.push_str(note);
        s.push('\n');
    }
    if let Some(text) = privileges(p.name) {
        s.push_str("\nPrivileges: ");
        s.push_str(text);
        s.push('\n');
    }
    s.push_str("\nExit status: ");
    s.push_str(&exit_status(p.name));
    s
}

#[cfg(test)]
mod tests {
    use super::COMMON;

    /// The commands COMMON names as printing JSON are exactly those with --json, and those
    /// it names for Ctrl-\ are those with --report: what the notes claim, the parser has.
    #[test]
    fn the_notes_name_the_commands_that_do_what_they_say() {
        let cmd = super::super::command();
        let with = |flag: &str| -> Vec<String> {
            let mut names: Vec<String> = cmd
                .get_subcommands()
                .filter(|c| c.get_arguments().any(|a| a.get_long() == Some(flag)))
                .map(|c| c.get_name().to_string())
                .collect();
            names.sort();
            names
        };
        let named = |list: &str| -> Vec<String> {
            let mut names: Vec<String> = list
                .split([',', ' '])
                .filter(|w| !w.is_empty() && *w != "and")
                .map(str::to_string)
                .collect();
            names.sort();
            names
        };
        let text = COMMON.split_whitespace().collect::<Vec<_>>().join(" ");
        let lines = text
            .split("With --json, ")
            .nth(1)
            .and_then(|r| r.split(" print JSON Lines").next())
            .unwrap();
        let arrays = text
            .split("(ifaces and groups one JSON array, doctor one array")
            .count()
            == 2;
        let mut json = named(lines);
        if arrays {
            json.extend(["doctor", "groups", "ifaces"].map(String::from));
            json.sort();
        }
        assert_eq!(with("json"), json, "--json in the parser against the notes");
        let quit = text
            .split("prints the figures so far and goes on (")
            .nth(1)
            .and_then(|r| r.split(')').next())
            .unwrap();
        assert_eq!(with("report"), named(quit), "--report against the notes");
    }
}
