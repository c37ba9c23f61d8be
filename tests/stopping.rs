//! Ending a run: signals (also while stdout is blocked or stdin idle), every deadline on
//! every path, memberships the kernel dropped, and streams that are closed or endless.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::fs::File;
use std::io::Read;
use std::net::IpAddr;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{command, finish, json_lines, run, start, stderr, stdout};
use lab::{Host, IFACE, Lab};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const WAIT: Duration = Duration::from_secs(10);

fn signal(child: &Child, sig: Signal) {
    kill(Pid::from_raw(child.id() as i32), sig).expect("signal mcast");
}

/// Waits at most `limit` for `check` to hold.
fn eventually(limit: Duration, check: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    check()
}

/// How long `mcast ARGS` takes to end by itself in `host`, and what it printed.
fn timed(host: &Host, args: &[&str]) -> (Duration, std::process::Output) {
    let start = Instant::now();
    let out = run(host, args);
    (start.elapsed(), out)
}

#[test]
fn a_stop_while_stdout_is_blocked_leaves_at_once_then_prints_everything() {
    use std::io::{BufRead, BufReader, Write};
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let group: IpAddr = "239.5.5.1".parse().unwrap();
    let (read_end, write_end) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let mut filler = File::from(write_end.try_clone().unwrap());
    let mut cmd = command(h1, &["recv", "239.5.5.1", "7777", "-i", IFACE, "--json"]);
    cmd.stdout(Stdio::from(write_end));
    let child = cmd.spawn().unwrap();
    drop(cmd); // its copy of the write end, or the reader never sees the end
    let mut reader = BufReader::new(File::from(read_end));
    let mut joined = String::new();
    reader.read_line(&mut joined).unwrap();
    assert!(joined.contains(r#""type":"joined""#), "{joined}");
    // Fill the (now empty) pipe with whole pages but one, as a reader that stopped reading
    // leaves it: the burst's lines, far more than a page, go out in part and then wait.
    let size = nix::fcntl::fcntl(reader.get_ref(), nix::fcntl::FcntlArg::F_GETPIPE_SZ).unwrap();
    let page = format!("{}\n", "#".repeat(4095));
    filler
        .write_all(page.repeat(size as usize / 4096 - 1).as_bytes())
        .unwrap();
    drop(filler);
    let text = "hello".repeat(200);
    let burst = ["send", "239.5.5.1", "7777", "-c", "100", "-r", "max", &text];
    assert!(run(h2, &burst).status.success());
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, Signal::SIGTERM);
    let left_while_alive = eventually(Duration::from_secs(3), || !h1.holds(group));
    let mut child = child;
    assert!(
        child.try_wait().unwrap().is_none(),
        "mcast ended without writing what it had"
    );
    assert!(left_while_alive, "the group is still held: {}", h1.maddr());
    // The same request again at once (as `timeout` repeats it) does not cut the output.
    signal(&child, Signal::SIGTERM);
    std::thread::sleep(Duration::from_millis(100));
    assert!(child.try_wait().unwrap().is_none(), "a repeat cut it short");
    let drain = std::thread::spawn(move || {
        let mut all = String::new();
        reader.read_to_string(&mut all).unwrap();
        all
    });
    let out = finish(child, WAIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let all = drain.join().unwrap();
    let events: Vec<serde_json::Value> = all
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Every datagram read before the stop is shown, once; the rest were never read.
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    let shown = types.iter().filter(|t| **t == "packet").count();
    let mut expected = vec!["packet"; shown];
    expected.extend(["left", "summary"]);
    assert_eq!(types, expected);
    assert!(shown > 3, "the burst was not read: {shown}");
    assert!(events[..shown].iter().all(|e| e["text"] == text.as_str()));
    assert_eq!(events[shown + 1]["packets"], shown);
}

#[test]
fn send_under_gnu_timeout_prints_its_summary() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    for _ in 0..3 {
        let out = h.exec(
            "timeout",
            &[
                "-s",
                "TERM",
                "0.5",
                common::MCAST,
                "send",
                "239.5.5.2",
                "7777",
                "-r",
                "100",
            ],
        );
        // timeout's own status for a command it had to stop.
        assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
        assert!(
            stdout(&out).starts_with("sent "),
            "no summary: {:?} {:?}",
            stdout(&out),
            stderr(&out)
        );
    }
}

#[test]
fn ctrl_c_ends_send_from_an_idle_stdin() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let mut cmd = command(h, &["send", "239.5.5.3", "7777", "-"]);
    cmd.stdin(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let _held_open = child.stdin.take();
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, Signal::SIGINT);
    let out = finish(child, Duration::from_secs(3));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("sent 0 datagrams"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_duration_ends_send_from_an_idle_stdin() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let mut cmd = command(h, &["send", "239.5.5.4", "7777", "-", "-d", "1s"]);
    cmd.stdin(Stdio::piped());
    let begun = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let _held_open = child.stdin.take();
    let out = finish(child, Duration::from_secs(5));
    let took = begun.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(took < Duration::from_secs(3), "ran {took:?} for -d 1s");
}

#[test]
fn a_duration_ends_a_flat_out_flood_of_empty_messages() {
    let lab = Lab::new(1);
    let (took, out) = timed(
        lab.host(1),
        &[
            "send",
            "239.5.5.5",
            "7777",
            "",
            "-c",
            "100000000",
            "-r",
            "max",
            "-d",
            "1s",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(took < Duration::from_secs(4), "ran {took:?} for -d 1s");
}

#[test]
fn a_duration_ends_recv_while_a_flood_keeps_the_socket_busy() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let sender = h2.clone();
    let flood = std::thread::spawn(move || {
        run(
            &sender,
            &["send", "239.5.5.6", "7777", "-r", "max", "-d", "4s"],
        )
    });
    std::thread::sleep(Duration::from_millis(200));
    // A line per datagram, into /dev/null, as a busy receiver writes them.
    let mut cmd = command(h1, &["recv", "239.5.5.6", "7777", "-d", "1s"]);
    cmd.stdout(Stdio::null());
    let begun = Instant::now();
    let out = finish(cmd.spawn().unwrap(), WAIT);
    let took = begun.elapsed();
    // A flood at full rate may overflow the receive buffer: that loss is exit 1, not an error.
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert!(took < Duration::from_secs(3), "ran {took:?} for -d 1s");
    assert!(flood.join().unwrap().status.success());
}

#[test]
fn an_endless_line_on_stdin_is_refused_in_bounded_memory() {
    let lab = Lab::new(1);
    let mut cmd = command(lab.host(1), &["send", "239.5.5.7", "7777", "-"]);
    cmd.stdin(File::open("/dev/zero").unwrap());
    let out = finish(cmd.spawn().unwrap(), WAIT);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim(),
        "mcast: line 1 of standard input is longer than one datagram carries (65507 bytes); split it"
    );
}

#[test]
fn a_closed_stderr_is_no_reason_to_panic() {
    let lab = Lab::new(1);
    let (read_end, write_end) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    drop(read_end);
    let mut cmd = command(lab.host(1), &["recv", "239.5.5.8", "7777", "-t", "200ms"]);
    cmd.stderr(Stdio::from(write_end));
    let out = finish(cmd.spawn().unwrap(), WAIT);
    assert_eq!(out.status.code(), Some(1), "not the status of no data");
}

#[test]
fn recv_without_an_interface_survives_its_route_going_away() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(h1, &["recv", "239.5.5.9", "7777", "--json"]);
    let joined: serde_json::Value = serde_json::from_str(&rx.lines[0]).unwrap();
    assert_eq!(joined["interface"], IFACE, "the kernel's choice is named");
    assert!(
        run(h2, &["send", "239.5.5.9", "7777", "before"])
            .status
            .success()
    );
    h1.flap_link();
    // The link going down took the multicast route with it.
    let routes = h1.exec("ip", &["route", "show", "224.0.0.0/4"]);
    assert!(stdout(&routes).trim().is_empty(), "{}", stdout(&routes));
    rx.signal(Signal::SIGINT);
    let out = rx.wait(WAIT);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("eth0 went down") && err.contains("eth0 is up again"),
        "{err}"
    );
    let events = json_lines(&out);
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["joined", "packet", "link", "link", "left", "summary"],
        "{err}"
    );
    assert_eq!(events[4]["interface"], IFACE);
    assert!(!h1.holds("239.5.5.9".parse().unwrap()), "{}", h1.maddr());
}

#[test]
fn a_membership_whose_interface_was_deleted_ends_cleanly() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    // A veth pair inside the host: its one end is an interface to join on and delete.
    for args in [
        &[
            "link", "add", "dummy0", "type", "veth", "peer", "name", "dummy1",
        ][..],
        &["link", "set", "dummy1", "up"],
        &["link", "set", "dummy0", "multicast", "on", "up"],
    ] {
        assert!(h.exec("ip", args).status.success(), "ip {args:?}");
    }
    let rx = start(h, &["recv", "239.5.5.10", "7777", "-i", "dummy0"]);
    assert!(h.exec("ip", &["link", "del", "dummy0"]).status.success());
    std::thread::sleep(Duration::from_millis(1200));
    rx.signal(Signal::SIGINT);
    let out = rx.wait(WAIT);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            "mcast: dummy0 was deleted, and its memberships with it; nothing more can arrive on it (stop with Ctrl-C, and join again once it exists)",
            "mcast: stopped and no datagram arrived"
        ]
    );
    assert!(
        stdout(&out).contains("0 datagrams"),
        "no summary: {}",
        stdout(&out)
    );
}

/// `send` and `recv` under `ip netns exec` get SIGHUP like SIGTERM: summary and leave.
#[test]
fn sighup_ends_recv_cleanly() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let rx = start(h, &["recv", "239.5.5.11", "7777", "-i", IFACE]);
    assert!(h.holds("239.5.5.11".parse().unwrap()));
    rx.signal(Signal::SIGHUP);
    let out = rx.wait(WAIT);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("left 239.5.5.11"), "{}", stdout(&out));
    assert!(!h.holds("239.5.5.11".parse().unwrap()));
}
