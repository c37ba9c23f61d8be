//! Faults proven in the lab: a link that flaps, a flood past the receive buffer, a full send
//! queue, and hostile datagrams. mcast keeps going, counts, and says what happened.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::net::UdpSocket;
use std::time::Duration;

use common::{json_lines, run, start, stderr, stdout};
use lab::{IFACE, Lab};

const WAIT: Duration = Duration::from_secs(15);

#[test]
fn recv_tells_of_a_link_going_down_and_up_and_counts_on() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(
        h1,
        &[
            "recv",
            "239.6.1.1",
            "7777",
            "-i",
            IFACE,
            "-c",
            "6",
            "-t",
            "8s",
            "--json",
        ],
    );
    let send = |text: &str| {
        assert!(
            run(
                h2,
                &[
                    "send",
                    "239.6.1.1",
                    "7777",
                    "-c",
                    "3",
                    "--interval",
                    "10ms",
                    text
                ]
            )
            .status
            .success()
        )
    };
    send("before");
    h1.flap_link();
    send("after");
    let out = rx.wait(WAIT);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("eth0 went down") && err.contains("eth0 is up again"),
        "{err}"
    );
    let events = json_lines(&out);
    let states: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "link")
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["down", "up"]);
    let texts: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "packet")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["before", "before", "before", "after", "after", "after"]
    );
}

#[test]
fn a_flood_past_the_receive_buffer_is_counted_as_kernel_drops_and_loss() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(
        h1,
        &[
            "recv",
            "239.6.2.1",
            "7777",
            "-q",
            "--json",
            "--rcvbuf",
            "4096",
            "-t",
            "1s",
        ],
    );
    let sent = run(
        h2,
        &[
            "send",
            "239.6.2.1",
            "7777",
            "--rate",
            "max",
            "-c",
            "200000",
            "--json",
        ],
    );
    assert!(sent.status.success(), "{}", stderr(&sent));
    let out = rx.wait(WAIT);
    assert_eq!(
        out.status.code(),
        Some(1),
        "loss is exit 1: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("probes were lost"),
        "{}",
        stderr(&out)
    );
    let s = json_lines(&out).pop().unwrap();
    let (packets, lost) = (s["packets"].as_u64().unwrap(), s["lost"].as_u64().unwrap());
    assert!(
        packets < 200_000,
        "a 4 KiB buffer kept up with a flood? {s}"
    );
    assert_eq!(
        packets + lost,
        200_000,
        "every probe is either counted or lost: {s}"
    );
    assert!(s["kernel_drops"].as_u64().unwrap() > 0, "{s}");
}

#[test]
fn a_full_send_queue_is_retried_and_counted_not_fatal() {
    let lab = Lab::new(2);
    let h2 = lab.host(2);
    // A 10 Mbit/s token bucket with a 3 kB queue on the sender's interface overflows at once
    // when sending flat out, and the kernel refuses datagrams with ENOBUFS.
    let tbf = "qdisc add dev eth0 root tbf rate 10mbit burst 2kb limit 3000";
    let tc = h2.exec("tc", &tbf.split(' ').collect::<Vec<_>>());
    assert!(
        tc.status.success(),
        "tc: {}",
        String::from_utf8_lossy(&tc.stderr)
    );
    let send = "send 239.6.3.1 7777 --rate max -c 2000 --json";
    let out = run(h2, &send.split(' ').collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = json_lines(&out).pop().unwrap();
    assert_eq!(
        s["packets"], 2000,
        "every datagram goes out in the end: {s}"
    );
    assert!(s["errors"].as_u64().unwrap() > 0, "no ENOBUFS seen: {s}");
}

/// A small deterministic generator, so a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn probe(sender: u32, seq: u64, sent_ns: u64, planned: u32) -> Vec<u8> {
    let mut b = vec![0u8; 40];
    assert!(
        mcast::probe::Probe {
            sender,
            seq,
            sent_ns,
            planned,
        }
        .encode(&mut b)
    );
    b
}

/// Sends every hostile datagram there is from `h`, returning how many are not probes.
fn hostile(h: &lab::Host, group: &'static str) -> (usize, usize) {
    let from = h.v4;
    h.run(move || {
        let sock = UdpSocket::bind((from, 0)).unwrap();
        let to = format!("{group}:7777");
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut foreign = 0;
        let mut total = 0;
        let mut send = |b: &[u8], is_probe: bool| {
            sock.send_to(b, &to).unwrap();
            total += 1;
            foreign += usize::from(!is_probe);
            std::thread::sleep(Duration::from_micros(200));
        };
        for _ in 0..100 {
            let len = (rng.next() % 1500) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            send(&bytes, mcast::probe::Probe::decode(&bytes).is_some());
        }
        send(
            b"\x1b[2J\x1b]0;owned\x07\x9b31m\xe2\x80\xaeevil\xff\xfe",
            false,
        );
        send(b"", false);
        send(&probe(1, 0, 0, 0)[..20], false);
        let mut long_header = probe(1, 0, 0, 0);
        long_header[6..8].copy_from_slice(&0xffffu16.to_be_bytes());
        send(&long_header, false);
        for (seq, sent_ns, planned) in [
            (u64::MAX, 0, u32::MAX),
            (0, u64::MAX, 1),
            (u64::MAX / 2, 1, 0),
        ] {
            send(&probe(7, seq, sent_ns, planned), true);
        }
        for sender in 0..300u32 {
            send(&probe(1000 + sender, 0, 0, 1), true);
        }
        (total, foreign)
    })
}

#[test]
fn hostile_datagrams_are_counted_escaped_and_never_crash() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let text_rx = start(h1, &["recv", "239.6.4.1", "7777", "-t", "2s"]);
    let json_rx = start(h1, &["recv", "239.6.4.1", "7777", "-t", "2s", "--json"]);
    let (total, foreign) = hostile(h2, "239.6.4.1");

    let out = text_rx.wait(WAIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let raw = text
        .chars()
        .find(|c| (c.is_control() && *c != '\n') || mcast_unsafe(*c));
    assert_eq!(raw, None, "a raw control character reached the output");
    assert!(
        text.contains("\\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\u{202e}evil\\xff\\xfe"),
        "{text}"
    );
    assert!(
        text.contains("297 more senders heard once (one probe each) are left out of the totals"),
        "{text}"
    );

    let out = json_rx.wait(WAIT);
    let events = json_lines(&out);
    let s = events.last().unwrap();
    assert_eq!(s["packets"].as_u64(), Some(total as u64));
    assert_eq!(s["foreign"].as_u64(), Some(foreign as u64));
    // Sender 7 is followed (its absurd probes disbelieved); the 300 heard once wait apart,
    // the most recent 256 listed.
    let senders = s["senders"].as_array().unwrap();
    assert_eq!(senders.len(), 1 + 256, "{s}");
    assert_eq!(senders[0]["disbelieved"], 2, "{s}");
    assert_eq!(s["senders_heard_once"].as_u64(), Some(300), "{s}");
    assert_eq!(s["untracked_senders"].as_u64(), Some(0), "{s}");
    assert!(
        !stdout(&out).chars().any(mcast_unsafe),
        "JSON carried a raw unsafe character"
    );
}

/// The characters a terminal acts on: controls other than newline, and bidi/zero-width ones.
fn mcast_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Runs `ip ARGS` in `h`, which must succeed.
fn ip(h: &lab::Host, args: &[&str]) {
    let out = h.exec("ip", args);
    assert!(out.status.success(), "ip {args:?}: {}", stderr(&out));
}

/// A veth link between `h1` and `h2` whose end in `h1` is named with ESC (198.51.100.1/24
/// there, the end `evp` in `h2` 198.51.100.2): its name, and that name as mcast shows it.
fn hostile_link(h1: &lab::Host, h2: &lab::Host) -> (&'static str, &'static str) {
    let name = "ev\x1b[2Jx";
    let shown = "ev\\x1b[2Jx";
    ip(
        h1,
        &[
            "link", "add", name, "type", "veth", "peer", "name", "evp", "netns", &h2.ns,
        ],
    );
    ip(h1, &["addr", "add", "198.51.100.1/24", "dev", name]);
    ip(h1, &["link", "set", name, "up"]);
    ip(h2, &["addr", "add", "198.51.100.2/24", "dev", "evp"]);
    ip(h2, &["link", "set", "evp", "up"]);
    (name, shown)
}

#[test]
fn a_hostile_interface_name_is_shown_escaped() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let (name, shown) = hostile_link(h1, h2);
    let text = stdout(&run(h1, &["ifaces"]));
    assert!(text.contains(shown), "{text}");
    let json = stdout(&run(h1, &["ifaces", "--json"]));
    assert!(json.contains("ev\\u001b[2Jx"), "{json}");
    let err = stderr(&run(h1, &["ifaces", "nosuch0"]));
    assert!(err.contains(shown), "{err}");
    // Joined on it (named by index: mcast takes only printable names), a datagram through
    // it, the link going down: every line escapes its name.
    let all: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let index = all.iter().find(|i| i["name"] == name).unwrap()["index"].to_string();
    let rx = start(h1, &["recv", "239.6.6.6", "7777", "-i", &index, "-t", "3s"]);
    assert_eq!(rx.lines[0], format!("joined 239.6.6.6 on {shown}"));
    std::thread::sleep(Duration::from_millis(300));
    let sent = run(h2, &["send", "239.6.6.6", "7777", "-i", "evp", "through"]);
    assert!(sent.status.success(), "{}", stderr(&sent));
    std::thread::sleep(Duration::from_millis(200));
    ip(h1, &["link", "set", name, "down"]);
    let recv = rx.wait(WAIT);
    let (rx_out, rx_err) = (stdout(&recv), stderr(&recv));
    assert!(
        rx_out.contains(&format!("> 239.6.6.6 on {shown}  7 bytes")),
        "{rx_out}"
    );
    assert!(
        rx_out.contains(&format!("left 239.6.6.6 on {shown}")),
        "{rx_out}"
    );
    assert!(
        rx_err.contains(&format!("mcast: {shown} went down")),
        "{rx_err}"
    );
    // Down, it cannot be joined: the hint names it escaped.
    let refused = stderr(&run(h1, &["recv", "239.6.6.6", "7777", "-i", &index]));
    assert!(
        refused.contains(&format!("`ip link set {shown} up`")),
        "{refused}"
    );
    for out in [&text, &json, &err, &rx_out, &rx_err, &refused] {
        assert!(
            !out.contains('\x1b'),
            "a raw escape byte was printed: {out:?}"
        );
    }
}

/// What others name reaches doctor's and watch's output escaped, in text and in JSON: a
/// process that named itself with terminal controls (any user can, through /proc/self/comm),
/// an interface named with ESC, an nft rule comment with controls (issue 19, items 16, 17).
#[test]
fn names_others_chose_are_escaped_in_doctor_and_watch() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let (name, shown) = hostile_link(h1, h2);
    let ifaces: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&run(h1, &["ifaces", "--json"]))).unwrap();
    let index = ifaces.iter().find(|i| i["name"] == name).unwrap()["index"].to_string();
    // A program holding the port without sharing, named to repaint the line as "ok".
    let comm = "\x1b[G\x1b[2Kok\x1b[30m";
    let python_comm = comm.replace('\x1b', "\\x1b");
    let script = format!(
        "import socket,time\nopen('/proc/self/comm','w').write('{python_comm}')\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',7777))\nprint('bound',flush=True)\ntime.sleep(10)\n"
    );
    let mut holder = std::process::Command::new("ip");
    holder
        .args(["netns", "exec", &h1.ns, "python3", "-c", &script])
        .stdout(std::process::Stdio::piped());
    let mut child = holder.spawn().expect("python3");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("its stdout")),
        &mut line,
    )
    .expect("read the holder's line");
    assert_eq!(line.trim(), "bound");
    let holder: common::Guarded = child.into();
    h1.nft(
        "table inet hostile {\n chain input {\n  type filter hook input priority 0;\n  udp dport 7777 drop comment \"\x1b[32mall fine\x1b[0m\"\n }\n}\n",
    );
    let doctor = ["doctor", "239.1.1.1", "7777", "-i", index.as_str()];
    let text = stdout(&run(h1, &doctor));
    let mut json_args = doctor.to_vec();
    json_args.push("--json");
    let json = stdout(&run(h1, &json_args));
    drop(holder);
    assert!(text.contains("\\x1b[G\\x1b[2Kok\\x1b[30m"), "{text}");
    assert!(json.contains("\\u001b[G\\u001b[2Kok\\u001b[30m"), "{json}");
    assert!(text.contains(shown), "the interface: {text}");
    assert!(
        text.contains("\\x1b[32mall fine"),
        "the rule's comment: {text}"
    );
    // watch on that interface, while the other end joins a group over it.
    let watch = common::spawn(common::command(h1, &["watch", "-i", &index, "-d", "3s"]));
    std::thread::sleep(Duration::from_millis(800));
    let joined = run(h2, &["join", "239.1.1.1", "-i", "evp", "-d", "1s"]);
    assert!(joined.status.success(), "{}", stderr(&joined));
    let watched = stdout(&common::finish(watch, WAIT));
    assert!(
        watched.contains(&format!(" {shown} 198.51.100.2 ")),
        "a report line names it escaped: {watched}"
    );
    assert!(
        watched.contains(&format!("\n  {shown} fe80::")),
        "the summary's host lines (the kernel's own MLD joins): {watched}"
    );
    for out in [&text, &json, &watched] {
        assert!(!out.contains('\x1b'), "a raw escape byte: {out:?}");
    }
}
