//! `mcast watch` in the lab: the bridge as querier, hosts joining and leaving, a host forced
//! to IGMPv2, a link with no querier, the pcap file read back by tcpdump, and a user without
//! CAP_NET_RAW.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use common::{command, finish, json_lines, run, spawn, stderr, stdout};
use lab::{IFACE, Lab};
use serde_json::Value;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn of_type<'a>(events: &'a [Value], t: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == t).collect()
}

/// Every (record type, group, sources) that `host` reported, in order.
fn records_from(events: &[Value], host: &str) -> Vec<(String, String, Vec<String>)> {
    of_type(events, "report")
        .into_iter()
        .filter(|r| r["source"] == host)
        .flat_map(|r| r["records"].as_array().unwrap().clone())
        .map(|r| {
            let sources = r["sources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            (
                r["record"].as_str().unwrap().to_string(),
                r["group"].as_str().unwrap().to_string(),
                sources,
            )
        })
        .collect()
}

#[test]
fn the_bridge_querier_is_named_and_joins_and_leaves_are_seen_v4_and_v6() {
    let lab = Lab::new(2);
    lab.querier(3, 2, 1);
    let (a, b) = (lab.host(1), lab.host(2));
    let watch = spawn(command(
        a,
        &[
            "watch",
            "-i",
            IFACE,
            "-d",
            "6s",
            "--json",
            "--fail-on-warning",
        ],
    ));
    std::thread::sleep(Duration::from_millis(1500));
    for group in ["239.1.2.3", "ff15::123"] {
        let asm = run(b, &["join", group, "-i", IFACE, "-d", "1s"]);
        assert_eq!(asm.status.code(), Some(0), "{}", stderr(&asm));
    }
    let (s1, s2) = (b.v4.to_string(), "192.0.2.10");
    let ssm = run(
        b,
        &[
            "join",
            "232.1.2.3",
            "-i",
            IFACE,
            "--source",
            &s1,
            "--source",
            s2,
            "-d",
            "1s",
        ],
    );
    assert_eq!(ssm.status.code(), Some(0), "{}", stderr(&ssm));
    let ssm6 = run(
        b,
        &[
            "join",
            "ff35::123",
            "-i",
            IFACE,
            "--source",
            "2001:db8::10",
            "-d",
            "1s",
        ],
    );
    assert_eq!(ssm6.status.code(), Some(0), "{}", stderr(&ssm6));
    let out = finish(watch, WAIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events = json_lines(&out);
    // The querier: IGMPv3 from the bridge's address, once a second, elected.
    let queries: Vec<_> = of_type(&events, "query")
        .into_iter()
        .filter(|q| q["source"] == "192.0.2.254")
        .collect();
    assert!(queries.len() >= 3, "{queries:?}");
    assert!(
        queries
            .iter()
            .all(|q| q["protocol"] == "IGMPv3" && q["group"].is_null())
    );
    assert_eq!(queries[0]["qqi_s"], 1);
    let summary = events.last().unwrap();
    let querier = summary["queriers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["address"] == "192.0.2.254")
        .unwrap_or_else(|| panic!("{summary}"))
        .clone();
    assert_eq!(querier["elected"], true);
    let every = querier["interval_s"].as_f64().unwrap();
    assert!((0.8..1.3).contains(&every), "{querier}");
    let mld = of_type(&events, "query")
        .into_iter()
        .filter(|q| q["protocol"] == "MLDv2")
        .count();
    assert!(mld >= 3, "MLDv2 queries too");
    // B's joins and leaves, record by record.
    let v4 = records_from(&events, &b.v4.to_string());
    let seen = |kind: &str, group: &str, sources: &[&str]| {
        v4.iter().any(|(k, g, s)| {
            k == kind && g == group && {
                let mut s = s.clone();
                s.sort();
                s == sources
            }
        })
    };
    assert!(seen("CHANGE_TO_EXCLUDE", "239.1.2.3", &[]), "{v4:?}");
    assert!(
        seen("CHANGE_TO_INCLUDE", "239.1.2.3", &[]),
        "the leave: {v4:?}"
    );
    let both = [s2, s1.as_str()];
    assert!(seen("ALLOW_NEW_SOURCES", "232.1.2.3", &both), "{v4:?}");
    assert!(seen("BLOCK_OLD_SOURCES", "232.1.2.3", &both), "{v4:?}");
    let v6: Vec<_> = of_type(&events, "report")
        .into_iter()
        .filter(|r| r["protocol"] == "MLDv2")
        .flat_map(|r| r["records"].as_array().unwrap().clone())
        .collect();
    let has6 = |kind: &str, group: &str| {
        v6.iter()
            .any(|r| r["record"] == kind && r["group"] == group)
    };
    assert!(has6("CHANGE_TO_EXCLUDE", "ff15::123") && has6("CHANGE_TO_INCLUDE", "ff15::123"));
    assert!(has6("ALLOW_NEW_SOURCES", "ff35::123") && has6("BLOCK_OLD_SOURCES", "ff35::123"));
    assert_eq!(summary["kernel_drops"], 0);
    assert!(
        of_type(&events, "warning").is_empty(),
        "a healthy link: {events:?}"
    );
}

#[test]
fn a_host_forced_to_igmpv2_is_seen_and_warned_about() {
    let lab = Lab::new(2);
    lab.querier(3, 2, 1);
    let (a, b) = (lab.host(1), lab.host(2));
    b.run(|| {
        std::fs::write(
            format!("/proc/sys/net/ipv4/conf/{IFACE}/force_igmp_version"),
            "2",
        )
        .unwrap()
    });
    let watch = spawn(command(
        a,
        &["watch", "-4", "-i", IFACE, "-d", "4s", "--json"],
    ));
    std::thread::sleep(Duration::from_millis(1500));
    let joined = run(b, &["join", "232.9.9.9", "-i", IFACE, "-d", "1s"]);
    assert_eq!(joined.status.code(), Some(0), "{}", stderr(&joined));
    let events = json_lines(&finish(watch, WAIT));
    let v2 = of_type(&events, "report")
        .into_iter()
        .filter(|r| r["source"] == b.v4.to_string().as_str())
        .all(|r| r["protocol"] == "IGMPv2");
    assert!(v2, "{events:?}");
    let leaves = of_type(&events, "leave");
    assert!(
        leaves.iter().any(|l| l["group"] == "232.9.9.9"),
        "{events:?}"
    );
    let kinds: Vec<&str> = of_type(&events, "warning")
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"host_older_version"), "{kinds:?}");
    assert!(
        kinds.contains(&"asm_in_ssm_range"),
        "an IGMPv2 join of 232.9.9.9: {kinds:?}"
    );
    let older = of_type(&events, "warning")
        .into_iter()
        .find(|w| w["kind"] == "host_older_version")
        .unwrap();
    assert_eq!(older["subject"], b.v4.to_string().as_str());
}

#[test]
fn no_querier_is_warned_within_the_timeout_in_text() {
    let lab = Lab::new(1);
    let out = run(
        lab.host(1),
        &["watch", "-i", IFACE, "-d", "2s", "--querier-timeout", "1s"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "warning: eth0: no IGMP querier heard in 1 s. Switches differ: a Linux bridge that never heard one floods the group"
        ),
        "{text}"
    );
    assert!(
        text.contains("warning: eth0: no MLD querier heard in 1 s"),
        "{text}"
    );
    assert!(text.contains("--- queriers ---\n  none heard\n"), "{text}");
    // With --fail-on-warning a script learns it from the exit status.
    let failing = run(
        lab.host(1),
        &[
            "watch",
            "-i",
            IFACE,
            "-d",
            "2s",
            "--querier-timeout",
            "1s",
            "--fail-on-warning",
        ],
    );
    assert_eq!(failing.status.code(), Some(1), "{}", stderr(&failing));
}

#[test]
fn the_pcap_file_holds_what_was_shown() {
    let lab = Lab::new(2);
    lab.querier(3, 2, 1);
    let path = std::env::temp_dir().join(format!("mcast-watch-{}.pcap", std::process::id()));
    let file = path.to_str().unwrap().to_string();
    let watch = spawn(command(
        lab.host(1),
        &["watch", "-i", IFACE, "-d", "3s", "--json", "--pcap", &file],
    ));
    std::thread::sleep(Duration::from_millis(1000));
    run(
        lab.host(2),
        &["join", "239.7.7.7", "-i", IFACE, "-d", "500ms"],
    );
    let events = json_lines(&finish(watch, WAIT));
    let shown = events
        .iter()
        .filter(|e| ["query", "report", "leave"].contains(&e["type"].as_str().unwrap()))
        .count();
    let read = std::process::Command::new("tcpdump")
        .args(["-n", "-r", &file])
        .output()
        .expect("tcpdump (apt-get install tcpdump)");
    std::fs::remove_file(&path).unwrap();
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let text = String::from_utf8_lossy(&read.stdout);
    assert_eq!(text.lines().count(), shown, "{text}");
    assert!(shown > 3);
    for what in [
        "igmp query v3",
        "igmp v3 report",
        "multicast listener report v2",
    ] {
        assert!(text.contains(what), "{what}: {text}");
    }
}

#[test]
fn without_cap_net_raw_it_says_how_to_get_it() {
    let lab = Lab::new(1);
    let out = common::run_as_nobody(lab.host(1), &["watch", "-d", "1s"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "mcast: capturing IGMP and MLD needs CAP_NET_RAW: run it as root (sudo mcast watch ...), \
         or let mcast capture once and for all: sudo setcap cap_net_raw+p $(command -v mcast)\n"
    );
}

/// A second querier, speaking IGMPv2 from a lower address (a raw socket in host 2), beside
/// the bridge's IGMPv3 one: both named, the lower one elected, and the warnings say the
/// queriers disagree and that v2 rules out source-specific joins.
#[test]
fn two_queriers_that_disagree_are_warned_about() {
    let lab = Lab::new(2);
    lab.querier(3, 2, 1);
    let (a, rogue) = (lab.host(1), lab.host(2));
    let watch = spawn(command(
        a,
        &["watch", "-4", "-i", IFACE, "-d", "4s", "--json"],
    ));
    std::thread::sleep(Duration::from_millis(1800));
    let from = rogue.v4;
    rogue.run(move || {
        use socket2::{Domain, Protocol, Socket, Type};
        let sock = Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(libc::IPPROTO_RAW)),
        )
        .unwrap();
        sock.set_header_included_v4(true).unwrap();
        // An IGMPv2 general query (max response 10 s) and its checksum.
        let mut igmp = [0x11u8, 100, 0, 0, 0, 0, 0, 0];
        let sum: u32 = igmp
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum();
        let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
        igmp[2..4].copy_from_slice(&sum.to_be_bytes());
        let mut p = vec![0x45, 0xc0, 0, 28, 0, 0, 0, 0, 1, 2, 0, 0];
        p.extend(from.octets());
        p.extend([224, 0, 0, 1]);
        p.extend(igmp);
        let to = std::net::SocketAddrV4::new(std::net::Ipv4Addr::new(224, 0, 0, 1), 0);
        for _ in 0..3 {
            sock.send_to(&p, &to.into()).unwrap();
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    let events = json_lines(&finish(watch, WAIT));
    let kinds: Vec<&str> = of_type(&events, "warning")
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"old_querier"), "{kinds:?}");
    assert!(kinds.contains(&"queriers_disagree"), "{kinds:?}");
    let summary = events.last().unwrap();
    let queriers = summary["queriers"].as_array().unwrap();
    let elected: Vec<&str> = queriers
        .iter()
        .filter(|q| q["elected"] == true)
        .map(|q| q["address"].as_str().unwrap())
        .collect();
    assert_eq!(elected, ["192.0.2.2"], "the lowest address: {summary}");
    assert!(
        queriers
            .iter()
            .any(|q| q["address"] == "192.0.2.254" && q["protocol"] == "IGMPv3")
    );
}

/// The bridge queries every second, then stops: watch says the querier is gone once its
/// own announced timers say so (robustness x interval + response / 2, about 2.3 s), not after
/// the 125 s of --querier-timeout, and says when memberships expire.
#[test]
fn a_querier_that_goes_silent_is_told_by_its_own_timers() {
    let lab = Lab::new(1);
    lab.querier(3, 2, 1);
    let a = lab.host(1);
    let watch = spawn(command(
        a,
        &["watch", "-4", "-i", IFACE, "-d", "7s", "--json"],
    ));
    std::thread::sleep(Duration::from_millis(2500));
    lab.querier_off();
    let events = json_lines(&finish(watch, WAIT));
    let gone: Vec<&Value> = of_type(&events, "warning")
        .into_iter()
        .filter(|w| w["kind"] == "no_querier")
        .collect();
    assert_eq!(gone.len(), 1, "{events:?}");
    let message = gone[0]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "the last, 192.0.2.254, announced a query every 1 s (robustness 2), so it is gone"
        ),
        "{message}"
    );
    assert!(
        message.contains("Memberships it refreshed expire"),
        "{message}"
    );
}

/// nft on the watching host drops its IGMP output: queries arrive, it holds a group, and no
/// report of its own leaves. watch warns that its memberships will expire, and the text
/// summary shows memberships aged out.
#[test]
fn a_host_whose_reports_never_leave_is_warned_about() {
    let lab = Lab::new(1);
    lab.querier(3, 2, 1);
    let a = lab.host(1);
    a.nft(
        "table inet labfault {\n chain output {\n  type filter hook output priority 0;\n  ip protocol igmp drop\n }\n}\n",
    );
    let text = watch_while_joined(a);
    assert!(
        text.contains("warning: eth0: this host was queried by 192.0.2.254 and sent no IGMP report in time, though it holds 239.1.2.3"),
        "{text}"
    );
    // Without the rule its reports leave, and nothing is said.
    assert!(
        a.exec("nft", &["delete", "table", "inet", "labfault"])
            .status
            .success()
    );
    let text = watch_while_joined(a);
    assert!(!text.contains("sent no IGMP report"), "{text}");
}

/// What `watch -4` on `host` prints over 4 s while the host holds 239.1.2.3.
fn watch_while_joined(host: &lab::Host) -> String {
    let join = spawn(command(
        host,
        &["join", "239.1.2.3", "-i", IFACE, "-d", "6s"],
    ));
    std::thread::sleep(Duration::from_millis(300));
    let out = finish(
        spawn(command(host, &["watch", "-4", "-i", IFACE, "-d", "4s"])),
        WAIT,
    );
    finish(join, WAIT);
    stdout(&out)
}

/// A hostile host sends reports adding 60,000 sources to one group, then floods the link
/// with IGMPv3 general queries from 40,000 spoofed addresses: watch keeps at most 64
/// queriers (the real one, elected, among them) and 1,024 sources for that membership, and
/// counts the rest (issue 19, items 12 and 13). The real querier is host 1, querying every
/// 250 ms (a Linux bridge's own querier falls silent once it hears any other).
#[test]
fn spoofed_queriers_and_sources_are_bounded() {
    use std::net::Ipv4Addr;
    let lab = Lab::new(3);
    let (real, watcher, hostile) = (lab.host(1), lab.host(2), lab.host(3));
    // Snooping on, the watcher's port a router port (it hears every report); the bridge
    // itself not querying.
    lab.querier(3, 2, 2);
    lab.querier_off();
    let own = real.v4;
    let querier = real.spawn(move || {
        let raw = lab::spoof::raw_sender();
        let all_hosts: Ipv4Addr = "224.0.0.1".parse().unwrap();
        let p = lab::spoof::ip_packet(own, all_hosts, 2, &lab::spoof::igmpv3_query());
        for _ in 0..40 {
            raw.send_to(&p, &std::net::SocketAddrV4::new(all_hosts, 0).into())
                .unwrap();
            std::thread::sleep(Duration::from_millis(250));
        }
    });
    let watch = common::spawn(common::command(
        watcher,
        &["watch", "-i", lab::IFACE, "-d", "9s", "--json"],
    ));
    std::thread::sleep(Duration::from_millis(1500));
    hostile.run(|| {
        let raw = lab::spoof::raw_sender();
        let reports: Ipv4Addr = "224.0.0.22".parse().unwrap();
        let group: Ipv4Addr = "232.9.9.9".parse().unwrap();
        let host: Ipv4Addr = "192.0.2.77".parse().unwrap();
        for r in 0..200u32 {
            let sources: Vec<Ipv4Addr> = (0..300u32)
                .map(|i| Ipv4Addr::from(0x0a00_0000 + r * 300 + i))
                .collect();
            let report = lab::spoof::igmpv3_allow(group, &sources);
            let p = lab::spoof::ip_packet(host, reports, 2, &report);
            raw.send_to(&p, &std::net::SocketAddrV4::new(reports, 0).into())
                .unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
        let all_hosts: Ipv4Addr = "224.0.0.1".parse().unwrap();
        let query = lab::spoof::igmpv3_query();
        for n in 0..40_000u32 {
            // Above 192.0.2.1, so the real querier stays the lowest.
            let from = Ipv4Addr::from(0xc612_0000 + n);
            let p = lab::spoof::ip_packet(from, all_hosts, 2, &query);
            raw.send_to(&p, &std::net::SocketAddrV4::new(all_hosts, 0).into())
                .unwrap();
            if n % 500 == 499 {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    });
    let out = finish(watch, WAIT);
    querier.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events = json_lines(&out);
    let summary = events.last().cloned().expect("a summary");
    let queriers = summary["queriers"].as_array().unwrap();
    assert!(queriers.len() <= 64, "{}", queriers.len());
    assert!(
        queriers
            .iter()
            .any(|q| q["address"] == "192.0.2.1" && q["elected"] == true),
        "the real querier kept, elected: {queriers:?}"
    );
    // What the capture buffer held was processed (the rest the kernel dropped, counted too).
    let forgotten = summary["untracked_queriers"].as_u64().unwrap();
    assert!(
        forgotten > 2_000,
        "{forgotten} forgotten: {}",
        summary["kernel_drops"]
    );
    let hosts = summary["hosts"].as_array().unwrap();
    let forged = hosts
        .iter()
        .find(|h| h["address"] == "192.0.2.77")
        .unwrap_or_else(|| {
            panic!(
                "the forged host: {} reports, packets {} ignored {} drops {}",
                events
                    .iter()
                    .filter(|e| e["type"] == "report" && e["source"] == "192.0.2.77")
                    .count(),
                summary["packets"],
                summary["ignored"],
                summary["kernel_drops"]
            )
        });
    let sources = forged["groups"][0]["sources"].as_array().unwrap().len();
    assert_eq!(sources, 1024, "{forged}");
    assert!(
        summary["untracked_sources"].as_u64().unwrap() > 50_000,
        "{summary}"
    );
}

/// A hostile host fills watch's memory of warnings with 10,050 distinct lesser ones
/// (any-source joins of SSM groups from as many spoofed hosts); an IGMPv2 querier that comes
/// next is still told, and the lesser warnings past the memory are summarised, not silenced
/// (issue 19, item 14).
#[test]
fn a_flood_of_lesser_warnings_does_not_hide_an_old_querier() {
    use std::net::Ipv4Addr;
    let lab = Lab::new(3);
    let (watcher, hostile) = (lab.host(2), lab.host(3));
    lab.querier(3, 2, 2);
    lab.querier_off();
    let watch = common::spawn(common::command(
        watcher,
        &["watch", "-i", lab::IFACE, "-d", "6s"],
    ));
    std::thread::sleep(Duration::from_millis(1500));
    hostile.run(|| {
        let raw = lab::spoof::raw_sender();
        let reports: Ipv4Addr = "224.0.0.22".parse().unwrap();
        let ssm: Ipv4Addr = "232.7.7.7".parse().unwrap();
        for n in 0..10_050u32 {
            let host = Ipv4Addr::from(0x0a01_0000 + n);
            let p =
                lab::spoof::ip_packet(host, reports, 2, &lab::spoof::igmpv3_report(4, ssm, &[]));
            raw.send_to(&p, &std::net::SocketAddrV4::new(reports, 0).into())
                .unwrap();
            if n % 200 == 199 {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        std::thread::sleep(Duration::from_millis(500));
        let all_hosts: Ipv4Addr = "224.0.0.1".parse().unwrap();
        let from: Ipv4Addr = "192.0.2.99".parse().unwrap();
        let p = lab::spoof::ip_packet(from, all_hosts, 2, &lab::spoof::igmpv2_query());
        raw.send_to(&p, &std::net::SocketAddrV4::new(all_hosts, 0).into())
            .unwrap();
    });
    let out = finish(watch, WAIT);
    let text = stdout(&out);
    let warnings = text.lines().filter(|l| l.starts_with("warning: ")).count();
    assert!(
        text.lines()
            .any(|l| l.starts_with("warning: eth0: querier 192.0.2.99 speaks IGMPv2")),
        "{warnings} warnings, and not the old querier's: {}",
        text.lines().rev().take(8).collect::<Vec<_>>().join("\n")
    );
    let summed = text
        .lines()
        .find(|l| l.starts_with("and ") && l.contains("any-source joins of SSM groups"))
        .unwrap_or_else(|| {
            panic!(
                "no summary of the rest: {}",
                &text[text.len().saturating_sub(800)..]
            )
        });
    let n: u64 = summed.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(n > 0 && n <= 50, "{summed}");
}

/// MLDv2 reports behind a 16-byte hop-by-hop header, and behind hop-by-hop plus destination
/// options, as a snooping bridge acts on them, are captured and shown (issue 19, item 15).
#[test]
fn mld_reports_behind_longer_extension_chains_are_seen() {
    use std::os::fd::AsRawFd;
    let lab = Lab::new(2);
    let (watcher, sender) = (lab.host(1), lab.host(2));
    let watch = common::spawn(common::command(
        watcher,
        &["watch", "-i", lab::IFACE, "-d", "3s", "--json"],
    ));
    std::thread::sleep(Duration::from_millis(1000));
    sender.run(|| {
        use socket2::{Domain, Protocol, Socket, Type};
        let index = nix::net::if_::if_nametoindex(lab::IFACE).unwrap();
        // An MLDv2 report: one CHANGE_TO_EXCLUDE record, no sources, for ff15::77 / ff15::78.
        let report = |last: u8| {
            let mut r = vec![143, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0];
            r.extend([0xff, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last]);
            r
        };
        // A 16-byte hop-by-hop header: router alert (MLD), then PadN to fill it.
        let hbh16: [u8; 16] = [0, 1, 5, 2, 0, 0, 1, 8, 0, 0, 0, 0, 0, 0, 0, 0];
        let hbh8: [u8; 8] = [0, 0, 5, 2, 0, 0, 1, 0];
        let dst8: [u8; 8] = [0, 0, 1, 4, 0, 0, 0, 0];
        let to: std::net::SocketAddrV6 = "[ff02::16]:0".parse().unwrap();
        for (hbh, dst, last) in [
            (&hbh16[..], None, 0x77u8),
            (&hbh8[..], Some(&dst8[..]), 0x78),
        ] {
            let sock = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6)).unwrap();
            sock.set_multicast_if_v6(index).unwrap();
            sock.set_multicast_hops_v6(1).unwrap();
            let set = |opt: libc::c_int, bytes: &[u8]| {
                let rc = unsafe {
                    libc::setsockopt(
                        sock.as_raw_fd(),
                        libc::IPPROTO_IPV6,
                        opt,
                        bytes.as_ptr().cast(),
                        bytes.len() as libc::socklen_t,
                    )
                };
                assert_eq!(rc, 0, "{}", std::io::Error::last_os_error());
            };
            set(libc::IPV6_HOPOPTS, hbh);
            if let Some(d) = dst {
                set(libc::IPV6_DSTOPTS, d);
            }
            sock.send_to(&report(last), &std::net::SocketAddr::V6(to).into())
                .unwrap();
        }
    });
    let out = finish(watch, WAIT);
    let groups: Vec<String> = json_lines(&out)
        .iter()
        .filter(|e| e["type"] == "report")
        .flat_map(|e| e["records"].as_array().cloned().unwrap_or_default())
        .map(|r| r["group"].as_str().unwrap_or("").to_string())
        .collect();
    for g in ["ff15::77", "ff15::78"] {
        assert!(groups.iter().any(|x| x == g), "{g} not seen: {groups:?}");
    }
}

#[test]
fn report_and_ctrl_backslash_print_the_state_so_far_and_the_interval() {
    let lab = Lab::new(2);
    let (a, b) = (lab.host(1), lab.host(2));
    let watch = spawn(command(
        a,
        &[
            "watch", "-i", IFACE, "-4", "-d", "3.5s", "--json", "--report", "1s",
        ],
    ));
    std::thread::sleep(Duration::from_millis(500));
    let joined = spawn(command(
        b,
        &["join", "239.1.2.9", "-i", IFACE, "-d", "2.5s"],
    ));
    std::thread::sleep(Duration::from_millis(1000));
    // Ctrl-\ between two reports, while the host is joined: one more interval, at once.
    let pid = nix::unistd::Pid::from_raw(watch.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGQUIT).expect("SIGQUIT");
    assert!(finish(joined, WAIT).status.success());
    let out = finish(watch, WAIT);
    let events = json_lines(&out);
    let intervals = of_type(&events, "interval");
    assert!(intervals.len() >= 4, "{events:?}");
    let mut sum = 0;
    for (i, v) in intervals.iter().enumerate() {
        assert_eq!((&v["command"], &v["time"]), (&"watch".into(), &v["end"]));
        if i > 0 {
            assert_eq!(v["start"], intervals[i - 1]["end"], "intervals follow on");
        }
        sum += v["interval"]["packets"].as_u64().unwrap();
        assert_eq!(v["packets"], sum, "in all is the sum of the intervals: {v}");
    }
    // While joined, the host and its group are in the state so far.
    let b_addr = b.v4.to_string();
    let held = intervals.iter().any(|v| {
        v["hosts"].as_array().unwrap().iter().any(|h| {
            h["address"] == b_addr.as_str()
                && h["groups"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|g| g["group"] == "239.1.2.9")
        })
    });
    assert!(held, "{intervals:?}");
    let summary = of_type(&events, "summary")[0];
    assert!(summary["packets"].as_u64().unwrap() >= sum);
}

/// A copy of mcast in its own directory, given `caps` with setcap (a user runs the
/// installed binary; the test's own must stay as built). Removed with the guard.
struct CapableCopy(std::path::PathBuf);

impl CapableCopy {
    fn new(caps: &str) -> CapableCopy {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!(
            "mcast-caps-{}-{}",
            std::process::id(),
            caps.replace(['+', '='], "_")
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let bin = dir.join("mcast");
        std::fs::copy(common::MCAST, &bin).unwrap();
        let set = std::process::Command::new("setcap")
            .args([caps, bin.to_str().unwrap()])
            .output()
            .expect("setcap (libcap2-bin)");
        assert!(set.status.success(), "{}", stderr(&set));
        CapableCopy(dir)
    }

    /// `mcast ARGS` as nobody in `host`, through this copy.
    fn as_nobody(&self, host: &lab::Host, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new("ip");
        let bin = self.0.join("mcast");
        cmd.args(["netns", "exec", &host.ns, "setpriv", "--reuid=65534"])
            .args(["--regid=65534", "--clear-groups", bin.to_str().unwrap()])
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd
    }
}

impl Drop for CapableCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether CAP_NET_RAW is in process `pid`'s effective and permitted sets, waiting up to
/// 3 s for it to leave the permitted set (it does once the capture is open).
fn net_raw_of(pid: u32, settled: bool) -> (bool, bool) {
    let read = || {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let word = |key: &str| {
            let line = status.lines().find(|l| l.starts_with(key)).unwrap();
            u64::from_str_radix(line[key.len()..].trim(), 16).unwrap() & (1 << 13) != 0
        };
        (word("CapEff:"), word("CapPrm:"))
    };
    let until = std::time::Instant::now() + Duration::from_secs(3);
    loop {
        let now = read();
        if !settled || !now.1 || std::time::Instant::now() > until {
            return now;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `setcap cap_net_raw+p`, the capability permitted and never effective from exec: watch
/// raises it for the capture's open and then holds it neither effective nor permitted,
/// and still captures; doctor's querier check hears the querier the same way; a command
/// that does not capture, given `+ep`, holds nothing from its start (issue 23, item 10).
#[test]
fn cap_net_raw_permitted_is_raised_only_to_open_the_capture_then_given_up() {
    let lab = Lab::new(2);
    lab.querier(3, 2, 1);
    let (a, b) = (lab.host(1), lab.host(2));
    let plus_p = CapableCopy::new("cap_net_raw+p");
    let watch = spawn(plus_p.as_nobody(a, &["watch", "-4", "-i", IFACE, "-d", "3s", "--json"]));
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(
        net_raw_of(watch.id(), true),
        (false, false),
        "watch, capture open"
    );
    let join = run(b, &["join", "239.1.2.7", "-i", IFACE, "-d", "500ms"]);
    assert_eq!(join.status.code(), Some(0), "{}", stderr(&join));
    let out = finish(watch, WAIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events = json_lines(&out);
    assert!(
        records_from(&events, &b.v4.to_string())
            .iter()
            .any(|(_, g, _)| g == "239.1.2.7"),
        "{events:?}"
    );
    assert!(!of_type(&events, "query").is_empty(), "the querier heard");

    let doctor = finish(
        spawn(plus_p.as_nobody(
            a,
            &[
                "doctor",
                "239.1.1.1",
                "7777",
                "-i",
                IFACE,
                "--listen",
                "2500ms",
                "--json",
            ],
        )),
        WAIT,
    );
    let checks: Vec<Value> = serde_json::from_str(stdout(&doctor).trim()).unwrap();
    let querier = checks.iter().find(|c| c["check"] == "querier").unwrap();
    assert_eq!(querier["status"], "ok", "{querier}");

    let plus_ep = CapableCopy::new("cap_net_raw+ep");
    let recv = spawn(plus_ep.as_nobody(a, &["recv", "239.1.2.8", "7777", "-d", "2s"]));
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(
        net_raw_of(recv.id(), false),
        (false, false),
        "recv given +ep"
    );
    let out = finish(recv, WAIT);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

/// Under sudo, the --pcap file belongs to the user who ran sudo, not to root.
#[test]
fn under_sudo_the_pcap_file_is_the_invoking_users() {
    use std::os::unix::fs::MetadataExt;
    let lab = Lab::new(1);
    let path = std::env::temp_dir().join(format!("mcast-sudo-{}.pcap", std::process::id()));
    let mut cmd = command(
        lab.host(1),
        &[
            "watch",
            "-i",
            IFACE,
            "-d",
            "300ms",
            "--pcap",
            path.to_str().unwrap(),
        ],
    );
    cmd.env("SUDO_UID", "65534").env("SUDO_GID", "65533");
    let out = finish(spawn(cmd), WAIT);
    let meta = std::fs::metadata(&path);
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let meta = meta.unwrap();
    assert_eq!((meta.uid(), meta.gid()), (65534, 65533));
}

/// The messages of a watch's JSON Lines, as -r should give them back.
fn messages(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| ["query", "report", "leave"].contains(&e["type"].as_str().unwrap()))
        .cloned()
        .collect()
}

/// A hostile host sends a query whose checksum is wrong and an IGMP type nobody knows,
/// host 1 joins (its own report is outgoing) and host 2 joins v4 and v6: the kernel-made
/// messages all pass the checksum check (IGMP's and MLD's, with its pseudo-header), the
/// forged one is flagged and changes nothing, the pcapng holds every packet (the unknown
/// one too) with the link's name and the kernel's time, and `watch -r` reads the file back
/// to the very same lines (issue 23, item 11).
#[test]
fn the_pcapng_holds_every_packet_and_reads_back_and_bad_checksums_are_flagged() {
    let lab = Lab::new(2);
    lab.querier(3, 2, 1);
    let (a, b) = (lab.host(1), lab.host(2));
    let path = std::env::temp_dir().join(format!("mcast-watch-{}.pcapng", std::process::id()));
    let file = path.to_str().unwrap().to_string();
    let watch = spawn(command(
        a,
        &["watch", "-i", IFACE, "-d", "4s", "--json", "--pcap", &file],
    ));
    // tcpdump beside it: the kernel stamps each packet once, so its times and mcast's agree.
    let reference = format!("{file}.tcpdump");
    let mut td = std::process::Command::new("ip");
    td.args([
        "netns", "exec", &a.ns, "timeout", "4", "tcpdump", "-U", "-i", IFACE,
    ])
    .args([
        "--time-stamp-precision=nano",
        "-w",
        &reference,
        "igmp or ip6",
    ])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped());
    let td = spawn(td);
    std::thread::sleep(Duration::from_millis(1200));
    // Forged on the watching host itself: a snooping bridge (as the lab's is) discards
    // IGMP whose checksum is wrong before it reaches anyone else.
    let from = a.v4;
    a.run(move || {
        let raw = lab::spoof::raw_sender();
        let to = std::net::Ipv4Addr::new(224, 0, 0, 1);
        let mut bad = lab::spoof::igmpv2_query();
        bad[2] ^= 0x5a;
        let unknown = [0x99, 0, 0, 0, 0, 0, 0, 0];
        for payload in [&bad[..], &unknown[..]] {
            let p = lab::spoof::ip_packet(from, to, 2, payload);
            raw.send_to(&p, &std::net::SocketAddrV4::new(to, 0).into())
                .unwrap();
        }
    });
    for (host, group) in [(b, "239.7.7.7"), (b, "ff15::777"), (a, "239.8.8.8")] {
        let j = run(host, &["join", group, "-i", IFACE, "-d", "300ms"]);
        assert_eq!(j.status.code(), Some(0), "{}", stderr(&j));
    }
    let live = finish(watch, WAIT);
    let _ = finish(td, WAIT);
    assert_eq!(live.status.code(), Some(0), "{}", stderr(&live));
    let events = json_lines(&live);
    let shown = messages(&events);
    let stamps = std::process::Command::new("tcpdump")
        .args(["-n", "-tt", "--time-stamp-precision=nano", "-r", &reference])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&reference);
    // Seconds.nanoseconds since the epoch, cut to mcast's microseconds.
    let tcpdump_us: std::collections::HashSet<String> = String::from_utf8_lossy(&stamps.stdout)
        .lines()
        .filter_map(|l| l.split(' ').next())
        .map(|t| t[..t.len() - 3].to_string())
        .collect();
    let unix_us = |m: &Value| {
        let t = m["time"].as_str().unwrap();
        let out = std::process::Command::new("date")
            .args(["-u", "-d", t, "+%s.%6N"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let as_f = |t: &String| t.parse::<f64>().unwrap();
    let (lo, hi) = tcpdump_us
        .iter()
        .map(as_f)
        .fold((f64::MAX, 0f64), |(lo, hi), t| (lo.min(t), hi.max(t)));
    let both: Vec<(String, &Value)> = shown
        .iter()
        .filter(|m| m["outgoing"] == false)
        .map(|m| (unix_us(m), m))
        .filter(|(t, _)| (lo..=hi).contains(&as_f(t)))
        .collect();
    assert!(both.len() >= 3, "{both:?}");
    for (t, m) in both {
        assert!(
            tcpdump_us.contains(&t),
            "{m} ({t}) not at a time tcpdump saw: {tcpdump_us:?}"
        );
    }
    let flagged: Vec<&Value> = shown.iter().filter(|m| m["checksum_ok"] == false).collect();
    assert_eq!(flagged.len(), 1, "{shown:?}");
    assert_eq!(flagged[0]["source"], a.v4.to_string());
    assert_eq!(flagged[0]["protocol"], "IGMPv2");
    let summary = events.last().unwrap();
    assert_eq!(summary["bad_checksums"], 1, "{summary}");
    assert!(summary["ignored"].as_u64().unwrap() >= 1, "{summary}");
    assert!(
        summary["queriers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["address"] != a.v4.to_string()),
        "the forged query made no querier: {summary}"
    );
    assert!(
        shown
            .iter()
            .any(|m| m["outgoing"] == true && m["source"] == a.v4.to_string())
    );
    assert!(shown.iter().any(|m| m["protocol"] == "MLDv2"));
    // tcpdump reads it: every packet, the unknown IGMP type included, on eth0.
    let read = std::process::Command::new("tcpdump")
        .args(["-n", "-r", &file])
        .output()
        .expect("tcpdump (apt-get install tcpdump)");
    let dump = String::from_utf8_lossy(&read.stdout).to_string();
    let text = |args: &[&str]| {
        let out = run(a, args);
        (out.status.code(), stdout(&out), stderr(&out))
    };
    let back = run(a, &["watch", "-r", &file, "--json"]);
    let (code, lines, _) = text(&["watch", "-r", &file]);
    std::fs::remove_file(&path).unwrap();
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    assert_eq!(
        dump.lines().count() as u64,
        shown.len() as u64 + summary["ignored"].as_u64().unwrap(),
        "{dump}"
    );
    // tcpdump names the link by the cooked header's index as the reading host has it; the
    // interface block's name (eth0) is what -r shows, checked below.
    assert!(dump.lines().all(|l| l.contains("IP")), "{dump}");
    assert!(dump.contains("igmp-153"), "the unknown type (0x99): {dump}");
    assert_eq!(back.status.code(), Some(0), "{}", stderr(&back));
    let again = json_lines(&back);
    assert_eq!(
        messages(&again),
        shown,
        "the same messages, times and links"
    );
    let end = again.last().unwrap();
    assert_eq!(
        (end["bad_checksums"].clone(), end["kernel_drops"].clone()),
        (1.into(), Value::Null)
    );
    assert_eq!(end["ignored"], summary["ignored"]);
    assert_eq!(code, Some(0));
    assert!(
        lines.contains("IGMPv2 general query, max response 10.0 s (bad checksum: hosts and switches discard it)"),
        "{lines}"
    );
    assert!(lines.contains("packets from the file"), "{lines}");
}

/// Sends `frame` (an Ethernet frame, header included) out of `iface` from a packet socket:
/// what a host crafting its own link layer puts on the wire.
fn send_frame(iface: &str, frame: &[u8]) {
    use std::os::fd::AsRawFd;
    let sock = socket2::Socket::new(
        socket2::Domain::PACKET,
        socket2::Type::RAW,
        Some(socket2::Protocol::from(0)),
    )
    .unwrap();
    let index = nix::net::if_::if_nametoindex(iface).unwrap();
    // SAFETY (test): a zeroed sockaddr_ll is valid; the fields set are the ones sendto reads.
    let mut to: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    to.sll_family = libc::AF_PACKET as u16;
    to.sll_ifindex = index as i32;
    to.sll_halen = 6;
    to.sll_addr[..6].copy_from_slice(&frame[..6]);
    let rc = unsafe {
        libc::sendto(
            sock.as_raw_fd(),
            frame.as_ptr().cast(),
            frame.len(),
            0,
            (&raw const to).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as u32,
        )
    };
    assert_eq!(
        rc,
        frame.len() as isize,
        "{}",
        std::io::Error::last_os_error()
    );
}

/// What a switch's SPAN port gives: Ethernet frames with 802.1Q tags (a report crafted
/// with a tag, VLAN 10, since this kernel has no VLAN devices), written by tcpdump as pcap,
/// and tcpdump -i any's Linux cooked v2: both read back by `watch -r`.
#[test]
fn a_tcpdump_capture_of_vlan_tagged_frames_is_read_back() {
    let lab = Lab::new(2);
    let (a, b) = (lab.host(1), lab.host(2));
    let base = std::env::temp_dir().join(format!("mcast-span-{}", std::process::id()));
    let (eth, any) = (
        format!("{}-eth.pcap", base.display()),
        format!("{}-any.pcap", base.display()),
    );
    let dump = |iface: &str, file: &str, filter: &str| {
        let mut c = std::process::Command::new("ip");
        c.args([
            "netns", "exec", &a.ns, "timeout", "3", "tcpdump", "-U", "-i", iface,
        ])
        .args(["-w", file, filter])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
        spawn(c)
    };
    let d1 = dump(IFACE, &eth, "vlan and igmp");
    let d2 = dump("any", &any, "igmp");
    std::thread::sleep(Duration::from_millis(1000));
    let group = std::net::Ipv4Addr::new(239, 10, 10, 10);
    let from = std::net::Ipv4Addr::new(198, 51, 100, 2);
    let report = lab::spoof::igmpv3_allow(group, &[]);
    let mut ip = lab::spoof::ip_packet(from, std::net::Ipv4Addr::new(224, 0, 0, 22), 2, &report);
    let sum = lab::spoof::checksum(&ip[..20]);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    let mut frame = vec![0x01, 0x00, 0x5e, 0x00, 0x00, 0x16, 0x02, 0, 0, 0, 0, 0x22];
    frame.extend([0x81, 0x00, 0x00, 0x0a, 0x08, 0x00]);
    frame.extend(&ip);
    b.run(move || {
        for _ in 0..3 {
            send_frame(IFACE, &frame);
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    // A plain report too, for the cooked capture (tcpdump -i any sees untagged IGMP).
    let j = run(b, &["join", "239.10.10.11", "-i", IFACE, "-d", "300ms"]);
    assert_eq!(j.status.code(), Some(0), "{}", stderr(&j));
    let _ = finish(d1, WAIT);
    let _ = finish(d2, WAIT);
    let read = |file: &str| json_lines(&run(a, &["watch", "-r", file, "--json"]));
    let (from_eth, from_any) = (read(&eth), read(&any));
    let _ = std::fs::remove_file(&eth);
    let _ = std::fs::remove_file(&any);
    assert!(
        records_from(&from_eth, "198.51.100.2")
            .iter()
            .any(|(_, g, _)| g == "239.10.10.10"),
        "{from_eth:?}"
    );
    assert!(
        records_from(&from_any, &b.v4.to_string())
            .iter()
            .any(|(_, g, _)| g == "239.10.10.11"),
        "{from_any:?}"
    );
    assert!(
        from_any.iter().any(|e| e["interface"] == "eth0"
            || e["interface"].as_str().is_some_and(|i| i.starts_with('#'))),
        "{from_any:?}"
    );
}
