//! `mcast doctor --listen` against faults made for real: a link with only a querier on it, an
//! old querier, a firewall that drops the port, a program bound to a unicast address,
//! duplicated frames, a flood past the receive buffer, a stream that stops mid-listen, and an
//! interface without an address of the group's family. Each verdict says what was seen, and only that.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::collections::HashMap;
use std::time::Duration;

use common::{command, doctor, finish, run, spawn, stderr, stdout};
use lab::{IFACE, Lab};
use serde_json::Value;

fn text(c: &HashMap<String, Value>, check: &str, field: &str) -> String {
    c[check][field].as_str().unwrap_or("").to_string()
}

/// Only a querier on the link, no sender: its queries move the host's multicast counters,
/// but nothing for the group came, and doctor (which sees the wire as root) says so, for
/// IPv4 and IPv6. Unprivileged, it says that it cannot tell, not that multicast reached
/// the host.
#[test]
fn a_querier_alone_is_not_traffic_for_the_group() {
    let lab = Lab::new(2);
    lab.querier(3, 2, 2);
    let h = lab.host(1);
    for group in ["239.1.1.1", "ff3e::1:2"] {
        let (code, c) = doctor(h, &[group, "7777", "-i", IFACE, "--listen", "2500ms"]);
        assert_eq!(code, Some(1));
        assert_eq!(c["listen"]["status"], "fail");
        let evidence = text(&c, "listen", "evidence");
        assert!(
            evidence.contains(&format!(
                "nothing for {group} port 7777 reached eth0 either (watched on the wire)"
            )),
            "{evidence}"
        );
        assert!(
            text(&c, "listen", "fix").starts_with("nothing reached this host"),
            "{:?}",
            c["listen"]
        );
        assert_eq!(c["querier"]["status"], "ok", "{:?}", c["querier"]);
        if group.contains(':') {
            assert!(
                !evidence.contains("IpExt:"),
                "no IPv4 counter for IPv6: {evidence}"
            );
        }
    }
    let out = common::run_as_nobody(
        h,
        &[
            "doctor",
            "239.1.1.1",
            "7777",
            "--listen",
            "2500ms",
            "--json",
        ],
    );
    let checks: Vec<Value> = serde_json::from_str(stdout(&out).trim()).unwrap();
    let listen = checks.iter().find(|c| c["check"] == "listen").unwrap();
    let evidence = listen["evidence"].as_str().unwrap();
    assert!(
        evidence.contains(
            "whether 239.1.1.1's traffic reached eth0 is unknown: seeing the wire needs CAP_NET_RAW"
        ),
        "{evidence}"
    );
    assert!(!evidence.contains("reached the host"), "{evidence}");
}

/// A querier of an old version (IGMPv2, MLDv1) on the link: the querier check names it as
/// the elected one, as `mcast watch` would, and warns that source-specific joins cannot work
/// there, with what to change; for IPv4 and IPv6.
#[test]
fn an_old_querier_is_named_elected_and_warned_of() {
    let lab = Lab::new(2);
    lab.querier(2, 1, 2);
    let h = lab.host(1);
    for (group, speaks) in [("239.1.1.1", "IGMPv2"), ("ff3e::1:2", "MLDv1")] {
        let (_, c) = doctor(h, &[group, "7777", "-i", IFACE, "--listen", "2500ms"]);
        assert_eq!(c["querier"]["status"], "warn", "{:?}", c["querier"]);
        let evidence = text(&c, "querier", "evidence");
        assert!(evidence.starts_with("heard on eth0: "), "{evidence}");
        assert!(
            evidence.contains(&format!(" {speaks} (elected)")),
            "{evidence}"
        );
        if speaks == "IGMPv2" {
            assert!(evidence.contains("192.0.2.254 IGMPv2"), "{evidence}");
        }
        let fix = text(&c, "querier", "fix");
        assert!(
            fix.contains(&format!("speaks {speaks}"))
                && fix.contains("source-specific joins (SSM, --source) cannot work"),
            "{fix}"
        );
    }
}

/// nft on the receiver drops the port: the datagrams were seen on the wire and did not
/// reach the socket, so the host dropped them, and the firewall check is where to look.
#[test]
fn datagrams_seen_on_the_wire_and_dropped_by_the_host_are_said_so() {
    let lab = Lab::new(2);
    let (h, sender) = (lab.host(1), lab.host(2));
    h.drop_udp_port(7777);
    let send = spawn(command(
        sender,
        &["send", "239.1.1.1", "7777", "-c", "40", "-r", "20"],
    ));
    let (code, c) = doctor(h, &["239.1.1.1", "7777", "--listen", "1500ms"]);
    finish(send, Duration::from_secs(10));
    assert_eq!(code, Some(1));
    let evidence = text(&c, "listen", "evidence");
    assert!(
        evidence.contains(
            "datagrams for 239.1.1.1 port 7777 reached eth0 (seen on the wire) and none this socket"
        ),
        "{evidence}"
    );
    assert_eq!(
        text(&c, "listen", "fix"),
        "this host dropped them before the socket: see the firewall and port checks"
    );
}

/// A program bound to the host's unicast address holds the port: it never receives the
/// group's datagrams, and doctor names it with the fix.
#[test]
fn a_socket_bound_to_a_unicast_address_is_named_as_deaf_to_the_group() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let script = format!(
        "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('{}',7777))\nprint('bound',flush=True)\ntime.sleep(10)\n",
        h.v4
    );
    let mut holder = std::process::Command::new("ip");
    holder
        .args(["netns", "exec", &h.ns, "python3", "-c", &script])
        .stdout(std::process::Stdio::piped());
    let mut child = holder.spawn().expect("python3");
    // Bound once it says so (a loaded machine may take a while to start python).
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("its stdout")),
        &mut line,
    )
    .expect("read the holder's line");
    assert_eq!(line.trim(), "bound");
    let holder: common::Guarded = child.into();
    let (code, c) = doctor(h, &["239.1.1.1", "7777"]);
    assert_eq!(code, Some(1));
    assert_eq!(c["port"]["status"], "fail", "{:?}", c["port"]);
    let evidence = text(&c, "port", "evidence");
    assert!(
        evidence.contains(&format!("{}:7777 by python3 (pid ", h.v4))
            && evidence.contains("never receives datagrams sent to 239.1.1.1"),
        "{evidence}"
    );
    assert!(
        text(&c, "port", "fix").starts_with("make that program bind 0.0.0.0"),
        "{:?}",
        c["port"]
    );
    drop(holder);
}

/// Every frame from the sender duplicated on the switch: the probes that came twice are
/// counted once and said; a stream that stops after 1 s of a 3.5 s listen is said to have
/// stopped.
#[test]
fn duplicates_and_a_stream_that_stops_are_warned_of() {
    let lab = Lab::new(2);
    let (h, sender) = (lab.host(1), lab.host(2));
    lab.switch_nft(
        "table netdev labdup {\n chain c {\n  type filter hook ingress device p2 priority 0;\n  ip daddr 239.1.1.1 dup to p1\n }\n}\n",
    );
    // The sender starts once doctor listens, and sends for 1 s of its 3.5 s.
    let sender = sender.clone();
    let send = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        run(
            &sender,
            &["send", "239.1.1.1", "7777", "-c", "20", "-r", "20"],
        )
    });
    let (code, c) = doctor(h, &["239.1.1.1", "7777", "--listen", "3500ms"]);
    assert!(send.join().unwrap().status.success());
    assert_eq!(code, Some(0), "warnings, not failures: {c:?}");
    assert_eq!(c["listen"]["status"], "warn");
    let evidence = text(&c, "listen", "evidence");
    // Each probe came twice (a slow start may miss the first few, never half of one).
    let distinct: u64 = evidence
        .split(" mcast probes (")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{evidence}"));
    assert!(distinct >= 10, "{evidence}");
    assert!(
        evidence.starts_with(&format!("{} datagrams", 2 * distinct))
            && evidence.contains(&format!(
                "{distinct} probes came twice or more (counted once)"
            )),
        "{evidence}"
    );
    let stopped: f64 = evidence
        .split("arrivals stopped after ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{evidence}"));
    assert!((0.5..=2.5).contains(&stopped), "{evidence}");
}

/// A flood past the receive buffer: the socket's own drops are a warning with the fix.
#[test]
fn a_receive_buffer_that_overflows_is_not_ok() {
    let lab = Lab::new(2);
    let (h, sender) = (lab.host(1), lab.host(2));
    let send = spawn(command(
        sender,
        &[
            "send",
            "239.1.1.1",
            "7777",
            "-r",
            "max",
            "-d",
            "2s",
            "--size",
            "1400",
        ],
    ));
    let (_, c) = doctor(h, &["239.1.1.1", "7777", "--listen", "1500ms"]);
    finish(send, Duration::from_secs(10));
    assert_eq!(c["listen"]["status"], "warn", "{:?}", c["listen"]);
    let evidence = text(&c, "listen", "evidence");
    assert!(
        evidence.contains("this socket's receive buffer overflowed: the kernel dropped"),
        "{evidence}"
    );
    assert!(text(&c, "listen", "fix").contains("net.core.rmem_max"));
}

/// An interface with no IPv4 address still receives an IPv4 group: a warning about the
/// membership reports' source, not a failure, and the datagrams are counted.
#[test]
fn an_interface_without_an_ipv4_address_still_receives_ipv4_groups() {
    let lab = Lab::new(2);
    let (h, sender) = (lab.host(1), lab.host(2));
    let out = h.exec("ip", &["-4", "addr", "flush", "dev", IFACE]);
    assert!(out.status.success());
    let send = spawn(command(
        sender,
        &["send", "239.1.1.1", "7777", "-c", "30", "-r", "20"],
    ));
    let (code, c) = doctor(h, &["239.1.1.1", "7777", "-i", IFACE, "--listen", "1s"]);
    finish(send, Duration::from_secs(10));
    assert_eq!(c["interface"]["status"], "warn", "{:?}", c["interface"]);
    assert!(
        text(&c, "interface", "evidence").contains("the group's datagrams still arrive"),
        "{:?}",
        c["interface"]
    );
    assert_eq!(c["listen"]["status"], "ok", "{:?}", c["listen"]);
    assert_eq!(code, Some(0), "{c:?}");
}

/// In text, the checks that need no waiting come first, and doctor says it listens: the
/// wait is not a silence. (The first line comes long before the 6 s listen ends.)
#[test]
fn the_instant_checks_come_before_the_listening() {
    let lab = Lab::new(1);
    let mut running = common::start(
        lab.host(1),
        &["doctor", "239.1.1.1", "7777", "--listen", "6s"],
    );
    running.wait_for_line("firewall", Duration::from_secs(4));
    let out = running.wait(Duration::from_secs(15));
    let t = stdout(&out);
    assert!(t.starts_with("ok       interface"), "{t}");
    assert!(
        stderr(&out).contains("mcast: listening for 239.1.1.1 on port 7777 for 6s..."),
        "{}",
        stderr(&out)
    );
    let listen_at = t.find("listen ").unwrap();
    assert!(t.find("firewall").unwrap() < listen_at, "{t}");
}

/// Datagrams bigger than the MTU, whose later fragments this host drops as they come in
/// (nft netdev ingress, before the kernel puts fragments together for nft): doctor
/// sees them come fragmented on the wire and names the fragments, not a mere "reached the
/// host"; the firewall check names the rule (a warning: it costs big datagrams only).
#[test]
fn fragments_dropped_by_the_host_are_named() {
    let lab = Lab::new(2);
    let (h, sender) = (lab.host(1), lab.host(2));
    h.nft(
        "table netdev labfault {\n chain c {\n  type filter hook ingress device eth0 priority 0;\n  ip frag-off & 0x1fff != 0 drop\n }\n}\n",
    );
    let send = spawn(command(
        sender,
        &[
            "send",
            "239.1.1.1",
            "7777",
            "-c",
            "20",
            "-r",
            "20",
            "--size",
            "3000",
        ],
    ));
    let (code, c) = doctor(h, &["239.1.1.1", "7777", "--listen", "1500ms"]);
    finish(send, Duration::from_secs(10));
    assert_eq!(code, Some(1));
    let evidence = text(&c, "listen", "evidence");
    assert!(
        evidence.contains(
            "reached eth0 (seen on the wire) and none this socket; they came fragmented ("
        ),
        "{evidence}"
    );
    assert!(
        text(&c, "listen", "fix").starts_with("this host could not put the fragments together"),
        "{:?}",
        c["listen"]
    );
    assert_eq!(c["firewall"]["status"], "warn", "{:?}", c["firewall"]);
}
