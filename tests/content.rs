//! Loss in the content, proven in the lab with senders mcast did not write (ffmpeg, VideoLAN's
//! multicat): RTP loss made by nft counted exactly, TS continuity errors per PID against an
//! oracle read from a capture, a stall made by a blocked link told by the clock with its
//! length, two SSM senders as two streams, an encoder restarted under a new SSRC told apart
//! from two senders taking turns, and drops on this host told apart from the network's.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Guarded, events_of, finish, json_lines, spawn, start, stderr};
use lab::{Host, Lab};

const WAIT: Duration = Duration::from_secs(30);

/// Whether `program` is installed; when not, says in one line that the test did not run and
/// how to make it run.
fn have(program: &str, test: &str) -> bool {
    let found = Command::new(program)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        eprintln!(
            "{test}: did not run: {program} is not installed (apt-get install {program}, or bash .ci/install)"
        );
    }
    found
}

/// ffmpeg in `host`, sending a test picture as MPEG-2 video for `seconds` in real time, in
/// `format` (rtp_mpegts, mpegts) to `url`.
fn ffmpeg(host: &Host, seconds: u32, format: &str, url: &str) -> Guarded {
    let mut cmd = Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        &host.ns,
        "ffmpeg",
        "-hide_banner",
        "-nostdin",
    ])
    .args(["-loglevel", "error", "-re", "-f", "lavfi"])
    .args([
        "-i",
        "testsrc=size=320x240:rate=25",
        "-t",
        &seconds.to_string(),
    ])
    .args(["-c:v", "mpeg2video", "-b:v", "1M", "-f", format, url])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    spawn(cmd)
}

/// The `counter packets N` of each rule of `host`'s ruleset, in order.
fn counters(host: &Host) -> Vec<u64> {
    let out = host.exec("nft", &["list", "ruleset"]);
    String::from_utf8_lossy(&out.stdout)
        .split("counter packets ")
        .skip(1)
        .map(|rest| rest.split_whitespace().next().unwrap().parse().unwrap())
        .collect()
}

/// `n` of every 10 datagrams to `port` dropped on arrival, the first at index `at` (0-9);
/// a first rule counts them all.
fn drop_every_tenth(host: &Host, port: u16, at: u32) {
    host.nft(&format!(
        "table inet lossy {{\n chain input {{\n type filter hook input priority 0;\n \
         udp dport {port} counter\n udp dport {port} numgen inc mod 10 {at} counter drop\n }}\n}}\n"
    ));
}

fn summary(out: &std::process::Output) -> serde_json::Value {
    json_lines(out)
        .into_iter()
        .rfind(|e| e["type"] == "summary")
        .expect("a summary")
}

#[test]
fn rtp_loss_made_by_nft_is_counted_exactly_and_put_to_the_network() {
    if !have("ffmpeg", "rtp_loss_made_by_nft_is_counted_exactly") {
        return;
    }
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    drop_every_tenth(h1, 5004, 5);
    let rx = start(
        h1,
        &[
            "recv",
            "239.7.1.1",
            "5004",
            "--json",
            "-t",
            "2s",
            "--stall",
            "10s",
            "--report",
            "1s",
        ],
    );
    let tx = ffmpeg(
        h2,
        3,
        "rtp_mpegts",
        "rtp://239.7.1.1:5004?ttl=1&pkt_size=1328",
    );
    let sent = finish(tx, WAIT);
    assert!(sent.status.success(), "{}", stderr(&sent));
    let out = rx.wait(WAIT);
    let [seen, dropped] = counters(h1)[..] else {
        panic!("two counters")
    };
    assert!(dropped >= 5, "only {dropped} dropped of {seen}");
    // Index 5, 15, ... dropped; one that was the very last is not known to be missing.
    let lost = dropped - u64::from((seen - 1) % 10 == 5);
    let s = summary(&out);
    let streams = s["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 1, "{s}");
    let st = &streams[0];
    assert_eq!(st["content"], "rtp_ts");
    assert_eq!(st["rtp"][0]["lost"], lost, "{st}");
    assert_eq!(st["lost"], lost);
    assert_eq!(st["lost_network"], lost);
    assert_eq!(st["lost_host"], 0);
    assert_eq!(st["verdict"], "trouble");
    // Each drop is one gap event of one, in the network.
    let gaps = events_of(&out, "gap");
    assert_eq!(gaps.len() as u64, lost);
    assert!(
        gaps.iter()
            .all(|g| g["missing"] == 1 && g["cause"] == "network")
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("lost {lost} (network {lost}, this host 0)")),
        "{err}"
    );
    // --report: the stream's figures so far, never more lost than at the end.
    let intervals = events_of(&out, "interval");
    let so_far: Vec<u64> = intervals
        .iter()
        .filter_map(|i| i["streams"][0]["lost"].as_u64())
        .collect();
    assert!(so_far.len() >= 2, "{intervals:?}");
    assert!(so_far.windows(2).all(|w| w[0] <= w[1]) && so_far.iter().all(|&l| l <= lost));
    assert!(so_far.iter().any(|&l| l > 0), "{so_far:?}");
}

/// The UDP payloads to `port` in a pcap file, in order.
fn payloads(pcap: &[u8], port: u16) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= pcap.len() {
        let len = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        let frame = &pcap[at + 16..at + 16 + len];
        at += 16 + len;
        // Ethernet, IPv4 (its header length from IHL), UDP.
        if frame.len() < 14 + 20 + 8 || frame[12..14] != [0x08, 0x00] {
            continue;
        }
        let ip = &frame[14..];
        let ihl = usize::from(ip[0] & 0x0f) * 4;
        let udp = &ip[ihl..];
        if ip[9] == 17 && u16::from_be_bytes([udp[2], udp[3]]) == port {
            out.push(udp[8..].to_vec());
        }
    }
    out
}

/// What TS continuity errors the drops must make, per PID, worked out from the packets that
/// came and the datagrams nft dropped: each run of dropped packets between two that came
/// is one error of (payload packets in it) mod 16 missing, unless that is 0.
fn oracle(datagrams: &[Vec<u8>], dropped: impl Fn(usize) -> bool) -> BTreeMap<u16, (u64, u64)> {
    // Per PID: (seen one that came, payload packets dropped since, errors, missing).
    let mut state: BTreeMap<u16, (bool, u64, u64, u64)> = BTreeMap::new();
    for (i, d) in datagrams.iter().enumerate() {
        for p in d.chunks_exact(188) {
            let pid = u16::from_be_bytes([p[1], p[2]]) & 0x1fff;
            if pid == 0x1fff {
                continue;
            }
            let payload = p[3] & 0x10 != 0;
            let s = state.entry(pid).or_default();
            if dropped(i) {
                s.1 += u64::from(payload && s.0);
                continue;
            }
            if s.0 && !s.1.is_multiple_of(16) {
                s.2 += 1;
                s.3 += s.1 % 16;
            }
            s.0 = true;
            s.1 = 0;
        }
    }
    state
        .into_iter()
        .map(|(pid, s)| (pid, (s.2, s.3)))
        .collect()
}

#[test]
fn ts_continuity_errors_per_pid_match_the_datagrams_nft_dropped() {
    if !have("ffmpeg", "ts_continuity_errors_per_pid_match") {
        return;
    }
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    drop_every_tenth(h1, 5004, 5);
    let pcap = std::env::temp_dir().join(format!("mcast-ts-{}.pcap", std::process::id()));
    // Captured on the way in, before nft's input hook: every datagram, in nft's order.
    let mut capture = Command::new("ip");
    capture
        .args(["netns", "exec", &h1.ns, "tcpdump", "-i", "eth0", "-U", "-w"])
        .arg(&pcap)
        .args(["udp", "dst", "port", "5004"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut capture = capture.spawn().expect("tcpdump");
    let mut err = std::io::BufReader::new(capture.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut err, &mut line).unwrap();
    assert!(line.contains("listening"), "tcpdump: {line}");
    let rx = start(
        h1,
        &[
            "recv",
            "239.7.1.2",
            "5004",
            "--json",
            "-t",
            "2s",
            "--stall",
            "10s",
        ],
    );
    let tx = ffmpeg(h2, 3, "mpegts", "udp://239.7.1.2:5004?ttl=1&pkt_size=1316");
    assert!(finish(tx, WAIT).status.success());
    let out = rx.wait(WAIT);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(capture.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    capture.wait().unwrap();
    let bytes = std::fs::read(&pcap).unwrap();
    let _ = std::fs::remove_file(&pcap);
    let datagrams = payloads(&bytes, 5004);
    let [seen, dropped] = counters(h1)[..] else {
        panic!("two counters")
    };
    assert_eq!(datagrams.len() as u64, seen, "the capture saw what nft saw");
    let expected = oracle(&datagrams, |i| i % 10 == 5);
    let s = summary(&out);
    let st = &s["streams"][0];
    assert_eq!(st["content"], "ts", "{s}");
    let mut found = BTreeMap::new();
    for p in st["ts"]["pids"].as_array().unwrap() {
        found.insert(
            p["pid"].as_u64().unwrap() as u16,
            (
                p["cc_errors"].as_u64().unwrap(),
                p["missing"].as_u64().unwrap(),
            ),
        );
    }
    assert_eq!(found, expected, "{dropped} datagrams dropped");
    let errors: u64 = expected.values().map(|e| e.0).sum();
    assert!(
        errors >= 5,
        "the drops made continuity errors: {expected:?}"
    );
    assert_eq!(events_of(&out, "cc_error").len() as u64, errors);
    // ffmpeg names its video stream in the PMT.
    assert!(
        st["ts"]["pids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["role"] == "MPEG-2 video"),
        "{st}"
    );
    assert!(
        st["problems"]
            .as_array()
            .unwrap()
            .contains(&"continuity".into())
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_stall_made_by_a_blocked_link_is_told_within_the_stall_limit_with_its_length() {
    if !have("ffmpeg", "a_stall_made_by_a_blocked_link_is_told") {
        return;
    }
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let mut rx = start(
        h1,
        &[
            "recv",
            "239.7.1.3",
            "5004",
            "--json",
            "-t",
            "3s",
            "--stall",
            "1s",
        ],
    );
    let tx = ffmpeg(
        h2,
        6,
        "rtp_mpegts",
        "rtp://239.7.1.3:5004?ttl=1&pkt_size=1328",
    );
    rx.wait_for_line("\"type\":\"stream\"", WAIT);
    std::thread::sleep(Duration::from_millis(1000));
    // The link goes dark for two seconds: everything to the group dropped, and counted by
    // a named counter that outlives the rule.
    h1.nft(
        "table inet dark {\n counter eaten {}\n chain input {\n type filter hook input priority 0;\n \
         udp dport 5004 counter name eaten drop\n }\n}\n",
    );
    let dark = Instant::now();
    let stall = rx.wait_for_line("\"type\":\"stall\"", Duration::from_secs(5));
    let told_after = dark.elapsed();
    std::thread::sleep(Duration::from_millis(2000).saturating_sub(dark.elapsed()));
    h1.exec("nft", &["flush", "chain", "inet", "dark", "input"]);
    let named = h1.exec("nft", &["list", "counter", "inet", "dark", "eaten"]);
    let named = String::from_utf8_lossy(&named.stdout).into_owned();
    let blocked: u64 = named
        .split("packets ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the counter: {named}"));
    assert!(finish(tx, WAIT).status.success());
    let out = rx.wait(WAIT);
    // Told by the clock, not by the next datagram: within --stall (and a little) of the
    // last datagram.
    assert!(told_after < Duration::from_millis(1700), "{told_after:?}");
    let stall: serde_json::Value = serde_json::from_str(&stall).unwrap();
    let silent = stall["silent_ms"].as_f64().unwrap();
    assert!((1000.0..1700.0).contains(&silent), "{stall}");
    let resume = &events_of(&out, "resume")[0];
    let outage = resume["outage_ms"].as_f64().unwrap();
    assert!((1800.0..2600.0).contains(&outage), "{resume}");
    // What the dark link ate is lost, in the network.
    let st = &summary(&out)["streams"][0];
    assert_eq!(st["lost"], blocked, "{st}");
    assert_eq!(st["lost_network"], blocked);
    // The dark spell and the end of the stream: two stalls; the last is how the run ended
    // (-t), so only the first is trouble.
    assert_eq!(st["stalls"], 2, "{st}");
    assert_eq!(st["stopped"], true, "{st}");
    let problems = st["problems"].as_array().unwrap();
    assert!(problems.contains(&"loss".into()), "{st}");
    assert!(problems.contains(&"stall".into()), "{st}");
    assert!(!problems.contains(&"stopped".into()), "{st}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn an_ssm_group_with_two_senders_shows_two_streams() {
    if !have("ffmpeg", "an_ssm_group_with_two_senders") || !have("multicat", "an_ssm_group") {
        return;
    }
    let lab = Lab::new(3);
    let (h1, h2, h3) = (lab.host(1), lab.host(2), lab.host(3));
    // multicat plays a file made by ffmpeg, paced by the PCRs that ingests indexes.
    let file = std::env::temp_dir().join(format!("mcast-ssm-{}.ts", std::process::id()));
    let made = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
        .args([
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25",
            "-t",
            "3",
        ])
        .args(["-c:v", "mpeg2video", "-b:v", "1M", "-f", "mpegts"])
        .arg(&file)
        .status()
        .unwrap();
    assert!(made.success());
    let indexed = Command::new("ingests")
        .args(["-p", "256"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(indexed.status.success(), "{indexed:?}");
    let group = "232.7.1.4";
    let (a, b) = (h2.v4.to_string(), h3.v4.to_string());
    let rx = start(
        h1,
        &[
            "recv", group, "5004", "--source", &a, "--source", &b, "--json", "-t", "2s", "--stall",
            "10s",
        ],
    );
    let first = ffmpeg(
        h2,
        3,
        "rtp_mpegts",
        &format!("rtp://{group}:5004?ttl=1&pkt_size=1328"),
    );
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &h3.ns, "multicat", "-t", "1"])
        .arg(&file)
        .arg(format!("{group}:5004"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let second = spawn(cmd);
    assert!(finish(first, WAIT).status.success());
    let played = finish(second, WAIT);
    assert!(played.status.success(), "{}", stderr(&played));
    let out = rx.wait(WAIT);
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(file.with_extension("aux"));
    let s = summary(&out);
    let mut sources: Vec<String> = s["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| {
            assert_eq!(st["content"], "rtp_ts", "{st}");
            assert_eq!(st["verdict"], "clean", "{st}");
            assert!(st["source_port"].as_u64().is_some(), "{st}");
            st["source"].as_str().unwrap().to_string()
        })
        .collect();
    sources.sort();
    assert_eq!(sources, [a, b]);
    assert_eq!(events_of(&out, "stream").len(), 2);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn drops_on_this_host_are_put_to_this_host_not_the_network() {
    if !have("ffmpeg", "drops_on_this_host_are_put_to_this_host") {
        return;
    }
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    // A small buffer and a reader stopped for a second: the kernel drops what overflows.
    let mut rx = start(
        h1,
        &[
            "recv",
            "239.7.1.5",
            "5004",
            "--json",
            "-t",
            "2s",
            "--stall",
            "10s",
            "--rcvbuf",
            "16384",
        ],
    );
    let tx = ffmpeg(
        h2,
        4,
        "rtp_mpegts",
        "rtp://239.7.1.5:5004?ttl=1&pkt_size=1328",
    );
    rx.wait_for_line("\"type\":\"stream\"", WAIT);
    std::thread::sleep(Duration::from_millis(500));
    rx.signal(nix::sys::signal::Signal::SIGSTOP);
    std::thread::sleep(Duration::from_millis(1000));
    rx.signal(nix::sys::signal::Signal::SIGCONT);
    assert!(finish(tx, WAIT).status.success());
    let out = rx.wait(WAIT);
    let s = summary(&out);
    let drops = s["kernel_drops"].as_u64().unwrap();
    assert!(drops > 0, "the stopped reader overflowed its buffer: {s}");
    let st = &s["streams"][0];
    // Every datagram the kernel dropped was one RTP packet missing: all this host's.
    assert_eq!(st["lost"], drops, "{st}");
    assert_eq!(st["lost_host"], drops);
    assert_eq!(st["lost_network"], 0);
    let gaps = events_of(&out, "gap");
    assert!(
        !gaps.is_empty() && gaps.iter().all(|g| g["cause"] == "host"),
        "{gaps:?}"
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!("this host {drops}: raise --rcvbuf")),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn an_encoder_restarted_under_a_new_ssrc_is_one_sender_not_two() {
    if !have("ffmpeg", "an_encoder_restarted_under_a_new_ssrc") {
        return;
    }
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(
        h1,
        &[
            "recv",
            "239.7.1.6",
            "5004",
            "--json",
            "-t",
            "3s",
            "--stall",
            "3s",
        ],
    );
    // The same encoder, from the same port, twice: ffmpeg picks a new SSRC each run.
    let url = "rtp://239.7.1.6:5004?ttl=1&localport=41000&pkt_size=1328";
    for _ in 0..2 {
        let tx = ffmpeg(h2, 1, "rtp_mpegts", url);
        assert!(finish(tx, WAIT).status.success());
    }
    let out = rx.wait(WAIT);
    let streams = summary(&out)["streams"].clone();
    assert_eq!(streams.as_array().unwrap().len(), 1, "{streams}");
    let st = &streams[0];
    assert_eq!(st["rtp"].as_array().unwrap().len(), 2, "{st}");
    assert_eq!(st["ssrc_changes"], 1, "{st}");
    assert_eq!(st["verdict"], "clean", "{st}");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\"others\":1"),
        "the second SSRC is told: {text}"
    );
}

#[test]
fn two_senders_taking_turns_on_one_address_and_port_are_two_senders() {
    if !have(
        "python3",
        "two_senders_taking_turns_on_one_address_and_port",
    ) {
        return;
    }
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(
        h1,
        &[
            "recv",
            "239.7.1.7",
            "5004",
            "--json",
            "-t",
            "2s",
            "--stall",
            "2s",
        ],
    );
    // One socket, two SSRCs in turn, each numbering its own packets in order (as two
    // a misconfigured pair of encoders sharing one address and port does): 40 packets each.
    let script = r#"import socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
for i in range(80):
    ssrc = 0xa if i % 2 else 0xb
    s.sendto(struct.pack('!BBHII', 0x80, 96, 100 + i // 2, i * 900, ssrc) + b'x' * 100, ('239.7.1.7', 5004))
    time.sleep(0.01)
"#;
    let sent = h2.exec("python3", &["-c", script]);
    assert!(sent.status.success(), "{}", stderr(&sent));
    let out = rx.wait(WAIT);
    let st = &summary(&out)["streams"][0];
    assert_eq!(st["content"], "rtp", "{st}");
    let rtp = st["rtp"].as_array().unwrap();
    assert_eq!(rtp.len(), 2, "{st}");
    for r in rtp {
        // Each sender's own numbers: nothing lost, the first on probation.
        assert_eq!(
            (r["lost"].as_i64(), r["set_aside"].as_u64()),
            (Some(0), Some(1)),
            "{r}"
        );
        assert_eq!(r["received"], 39, "{r}");
    }
    assert_eq!(st["problems"], serde_json::json!(["two_senders"]), "{st}");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("2 senders (SSRCs) at once"),
        "{}",
        stderr(&out)
    );
}

/// A relay in `host` that forwards what ffmpeg sends it on 127.0.0.1:6000 to `group`:5004,
/// sending every 10th datagram (from the 6th) twice and every 20th (from the 13th) after
/// the one behind it; prints "forwarded N duplicated D swapped S". Bounded: it stops after 1 s
/// without a datagram, or 20 s.
const RELAY: &str = r#"import socket, sys, time
group = sys.argv[1]
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", 6000))
rx.settimeout(1.0)
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[2]))
n = dup = swap = 0
held = None
start = time.time()
print("ready", flush=True)
while time.time() - start < 20:
    try:
        d = rx.recv(65536)
    except socket.timeout:
        if n:
            break
        continue
    if n % 20 == 12:
        held = d
    else:
        tx.sendto(d, (group, 5004))
        if held is not None:
            tx.sendto(held, (group, 5004))
            held = None
            swap += 1
        if n % 10 == 5:
            tx.sendto(d, (group, 5004))
            dup += 1
    n += 1
if held is not None:
    tx.sendto(held, (group, 5004))
print("forwarded", n, "duplicated", dup, "swapped", swap, flush=True)
"#;

#[test]
fn duplicates_and_reordering_made_by_a_relay_are_not_loss() {
    if !have("ffmpeg", "duplicates_and_reordering_made_by_a_relay")
        || !have("python3", "duplicates_and_reordering_made_by_a_relay")
    {
        return;
    }
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let group = "239.7.1.8";
    let rx = start(
        h1,
        &[
            "recv",
            group,
            "5004",
            "--json",
            "-t",
            "2s",
            "--stall",
            "2s",
            "--clock-rate",
            "90000",
        ],
    );
    let mut relay = Command::new("ip");
    relay
        .args(["netns", "exec", &h2.ns, "python3", "-c", RELAY, group])
        .arg(h2.v4.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let relay = spawn(relay);
    std::thread::sleep(Duration::from_millis(300));
    // RTP with a dynamic payload type (MPEG-4 video as 96), through the relay.
    let mut cmd = Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        &h2.ns,
        "ffmpeg",
        "-hide_banner",
        "-nostdin",
    ])
    .args(["-loglevel", "error", "-re", "-f", "lavfi"])
    .args(["-i", "testsrc=size=320x240:rate=25", "-t", "2"])
    .args(["-c:v", "mpeg4", "-b:v", "500k", "-f", "rtp"])
    .arg("rtp://127.0.0.1:6000?pkt_size=1200")
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    assert!(finish(spawn(cmd), WAIT).status.success());
    let relayed = finish(relay, WAIT);
    let said = String::from_utf8_lossy(&relayed.stdout).into_owned();
    let figures: Vec<u64> = said
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let [forwarded, duplicated, swapped] = figures[..] else {
        panic!("the relay said: {said} {}", stderr(&relayed));
    };
    assert!(forwarded > 40 && duplicated > 3 && swapped > 1, "{said}");
    let out = rx.wait(WAIT);
    let st = &summary(&out)["streams"][0];
    assert_eq!(st["content"], "rtp", "{st}");
    let r = &st["rtp"][0];
    assert_eq!(r["payload_type"], 96, "{r}");
    // Every number came: duplicates are duplicates, swapped ones late, none lost.
    assert_eq!(r["duplicates"], duplicated, "{r}");
    assert_eq!(r["late"], swapped, "{r}");
    assert_eq!(r["missing"], 0, "{r}");
    assert_eq!(
        r["lost"],
        -(duplicated as i64),
        "A.3 counts duplicates: {r}"
    );
    assert_eq!(st["lost"], 0, "{st}");
    assert!(
        r["jitter_ms"].as_f64().is_some(),
        "timed with --clock-rate: {r}"
    );
    assert_eq!(st["verdict"], "clean", "{st}");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
