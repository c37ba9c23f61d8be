//! `mcast ifaces` and `mcast groups` checked against iproute2 in a lab host.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::net::IpAddr;

use common::{run, stderr, stdout};
use lab::{IFACE, Lab};
use mcast::{IfaceSpec, IpMode, McastSocket};
use serde_json::Value;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn ifaces_json_agrees_with_ip_addr() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let ours: Value = serde_json::from_str(&stdout(&run(h, &["ifaces", "--json"]))).unwrap();
    let theirs: Value = serde_json::from_slice(&h.exec("ip", &["-j", "addr"]).stdout).unwrap();
    let ours = ours.as_array().unwrap();
    let theirs = theirs.as_array().unwrap();
    assert_eq!(ours.len(), theirs.len(), "{ours:?}\n{theirs:?}");
    for (o, t) in ours.iter().zip(theirs) {
        assert_eq!(o["name"], t["ifname"]);
        assert_eq!(o["index"], t["ifindex"]);
        assert_eq!(o["mtu"], t["mtu"]);
        let multicast = t["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "MULTICAST");
        let flags = o["flags"].as_array().unwrap();
        assert_eq!(flags.iter().any(|f| f == "multicast"), multicast, "{o}");
        let mut want: Vec<(String, u64)> = t["addr_info"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["local"].as_str().unwrap().to_string(),
                    a["prefixlen"].as_u64().unwrap(),
                )
            })
            .collect();
        let mut got: Vec<(String, u64)> = o["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["address"].as_str().unwrap().to_string(),
                    a["prefix_len"].as_u64().unwrap(),
                )
            })
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "addresses of {}", o["name"]);
    }
    let eth0 = ours.iter().find(|o| o["name"] == IFACE).unwrap();
    let scopes: Vec<&str> = eth0["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["scope"].as_str().unwrap())
        .collect();
    assert!(
        scopes.contains(&"global") && scopes.contains(&"link"),
        "{scopes:?}"
    );
}

#[test]
fn ifaces_names_one_interface_or_lists_the_known_ones() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let one = run(h, &["ifaces", IFACE]);
    let text = stdout(&one);
    assert!(
        text.contains(&format!(": {IFACE}  <up,running,broadcast,multicast>")),
        "{text}"
    );
    assert!(text.contains(&format!("inet  {}/24", h.v4)), "{text}");
    assert_eq!(
        text.lines().filter(|l| !l.starts_with(' ')).count(),
        1,
        "{text}"
    );
    let bad = run(h, &["ifaces", "wlan9"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("known interfaces: lo, eth0"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn groups_json_lists_joins_with_mode_and_sources_then_not_after_leaving() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    h.enter();
    let eth0 = IfaceSpec::Name(IFACE.into());
    let index = mcast::iface::resolve(&eth0).unwrap().index;
    let mut sock = McastSocket::new(IpMode::Both, false).unwrap();
    sock.join(&"239.10.0.1".parse().unwrap(), Some(&eth0), None)
        .unwrap();
    sock.join(&"ff15::10:1".parse().unwrap(), Some(&eth0), None)
        .unwrap();
    for s in ["192.0.2.70", "192.0.2.71"] {
        sock.join(&"232.10.0.1".parse().unwrap(), Some(&eth0), Some(ip(s)))
            .unwrap();
    }
    sock.join(
        &"ff3e::10:1".parse().unwrap(),
        Some(&eth0),
        Some(ip("2001:db8::70")),
    )
    .unwrap();

    let out = run(h, &["groups", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let all: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let find = |g: &str| all.iter().find(|m| m["group"] == g).cloned();
    let expect = [
        ("239.10.0.1", "ipv4", "exclude", vec![]),
        (
            "232.10.0.1",
            "ipv4",
            "include",
            vec!["192.0.2.70", "192.0.2.71"],
        ),
        ("ff15::10:1", "ipv6", "exclude", vec![]),
        ("ff3e::10:1", "ipv6", "include", vec!["2001:db8::70"]),
    ];
    for (group, family, mode, sources) in &expect {
        let m = find(group).unwrap_or_else(|| panic!("{group} not listed: {all:?}"));
        assert_eq!(m["interface"], IFACE);
        assert_eq!(m["index"], index);
        assert_eq!(m["family"], *family);
        assert_eq!(m["mode"], *mode, "{m}");
        assert_eq!(m["mode_inferred"], false, "{m}");
        assert_eq!(m["users"], 1);
        let got: Vec<&str> = m["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(&got, sources, "{m}");
        assert!(h.holds(ip(group)), "ip maddr lacks {group}:\n{}", h.maddr());
    }
    let only6 = run(h, &["groups", "-6", "-i", IFACE, "--json"]);
    let only6: Vec<Value> = serde_json::from_str(&stdout(&only6)).unwrap();
    assert!(
        only6.iter().any(|m| m["group"] == "ff15::10:1"),
        "{only6:?}"
    );
    assert!(
        only6
            .iter()
            .all(|m| m["family"] == "ipv6" && m["interface"] == IFACE)
    );
    // The host's compatibility mode, named as such: no querier exists in this lab.
    assert_eq!(find("239.10.0.1").unwrap()["igmp_compat_mode"], "V3");
    let text = stdout(&run(h, &["groups", "-4", "-i", IFACE]));
    assert!(
        text.contains("232.10.0.1") && text.contains("192.0.2.70, 192.0.2.71"),
        "{text}"
    );
    assert!(
        text.starts_with(&format!(
            "{IFACE} (index {index}), IGMP compatibility mode V3\n"
        )),
        "{text}"
    );
    assert!(!text.contains("querier"), "{text}");

    sock.leave_all().unwrap();
    let after: Vec<Value> = serde_json::from_str(&stdout(&run(h, &["groups", "--json"]))).unwrap();
    for (group, ..) in &expect {
        assert!(
            after.iter().all(|m| m["group"] != *group),
            "{group} still listed"
        );
    }
}

/// Output into a pipe asks for a 1 MiB pipe, so a reader of per-datagram lines keeps up
/// (what the kernel granted is read back from our end of the pipe).
#[test]
fn stdout_into_a_pipe_is_widened_to_1_mib() {
    use nix::fcntl::{FcntlArg, fcntl};
    use std::io::Read;
    use std::process::{Command, Stdio};
    let lab = Lab::new(1);
    let h = lab.host(1);
    let mut child = Command::new("ip")
        .args(["netns", "exec", &h.ns, common::MCAST, "ifaces", "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut text = String::new();
    out.read_to_string(&mut text).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(text.contains(IFACE), "{text}");
    let after = fcntl(&out, FcntlArg::F_GETPIPE_SZ).unwrap();
    // Pipes start at 64 KiB; only mcast's own request makes this one bigger.
    assert_eq!(after, 1024 * 1024);
}
