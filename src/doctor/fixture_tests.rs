//! The checks run against fixture trees copied from real namespaces (`fixtures/make.sh`):
//! `healthy` (a fresh namespace holding one group) and `troubled` (strict reverse-path
//! filter on eth0, IGMPv2 forced, two held groups on one MAC, port 7777 held bound to
//! 192.0.2.1).

use std::net::IpAddr;

use super::fixture::{Fixture, eth0};
use super::*;

fn case(group: &str, port: Option<u16>, sources: &[&str]) -> Case {
    Case {
        group: group.parse().unwrap(),
        port,
        sources: sources.iter().map(|s| s.parse().unwrap()).collect(),
        given: Some(Ok(eth0())),
    }
}

/// A fixture whose way back to `source` leads to another interface.
fn source_routed_elsewhere(name: &str, source: &str) -> Fixture {
    let mut host = Fixture::new(name);
    let mut other = eth0();
    other.name = "eth1".into();
    other.index = 4;
    host.routes
        .insert(source.parse::<IpAddr>().unwrap(), Some(other));
    host
}

#[test]
fn strict_rp_filter_drops_a_source_routed_by_another_interface() {
    let c = case("232.1.1.1", Some(7777), &["198.51.100.7"]);
    let troubled = source_routed_elsewhere("troubled", "198.51.100.7");
    let check = rp_filter(&c, &troubled, Some(3));
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert!(
        check
            .evidence
            .contains("rp_filter = 1 (the larger of all = 0 and eth0 = 1")
            && check
                .evidence
                .contains("198.51.100.7: the route leads to eth1")
            && check
                .evidence
                .contains("IPReversePathFilter (/proc/net/netstat) = 3"),
        "{}",
        check.evidence
    );
    assert!(
        check
            .fix
            .unwrap()
            .contains("net.ipv4.conf.eth0.rp_filter=2")
    );
    // The same way back, filtered loosely or not at all, is fine.
    let healthy = source_routed_elsewhere("healthy", "198.51.100.7");
    let check = rp_filter(&c, &healthy, None);
    assert_eq!(check.status, Status::Ok, "{check:?}");
    assert!(
        check.evidence.starts_with("rp_filter = 0"),
        "{}",
        check.evidence
    );
    // With the way back by eth0, even the strict filter keeps it.
    let check = rp_filter(&c, &Fixture::new("troubled"), None);
    assert_eq!(check.status, Status::Ok, "{check:?}");
    // No route back at all: strict or loose, dropped.
    let mut unrouted = Fixture::new("troubled");
    unrouted
        .routes
        .insert("198.51.100.7".parse().unwrap(), None);
    let check = rp_filter(&c, &unrouted, None);
    assert!(
        check.evidence.contains("198.51.100.7: no route at all"),
        "{check:?}"
    );
}

#[test]
fn forced_igmpv2_fails_a_source_specific_join_and_warns_an_any_source_one() {
    let troubled = Fixture::new("troubled");
    let ssm = version(&case("232.1.1.1", None, &["198.51.100.7"]), &troubled);
    assert_eq!(ssm.status, Status::Fail, "{ssm:?}");
    assert!(
        ssm.evidence
            .starts_with("force_igmp_version: all = 0, eth0 = 2; compatibility mode V2"),
        "{}",
        ssm.evidence
    );
    assert!(
        ssm.fix
            .unwrap()
            .contains("net.ipv4.conf.eth0.force_igmp_version=0")
    );
    let asm = version(&case("239.1.1.1", None, &[]), &troubled);
    assert_eq!(asm.status, Status::Warn, "{asm:?}");
    let healthy = version(
        &case("232.1.1.1", None, &["198.51.100.7"]),
        &Fixture::new("healthy"),
    );
    assert_eq!(healthy.status, Status::Ok, "{healthy:?}");
    assert!(
        healthy.evidence.ends_with("compatibility mode V3"),
        "{healthy:?}"
    );
}

#[test]
fn groups_held_on_one_mac_are_named() {
    let c = case("239.1.1.1", None, &[]);
    let check = mac_alias(&c, &Fixture::new("troubled"));
    assert_eq!(check.status, Status::Warn, "{check:?}");
    assert!(
        check
            .evidence
            .starts_with("239.129.1.1 also held on eth0 map to 01:00:5e:01:01:01"),
        "{}",
        check.evidence
    );
    let check = mac_alias(&c, &Fixture::new("healthy"));
    assert_eq!(check.status, Status::Ok, "{check:?}");
    assert_eq!(
        check.evidence,
        "no other group held on eth0 maps to 01:00:5e:01:01:01"
    );
}

#[test]
fn a_port_held_on_a_unicast_address_names_its_holder() {
    let c = case("239.1.1.1", Some(7777), &[]);
    let check = port(&c, &Fixture::new("troubled"));
    assert_eq!(check.status, Status::Fail, "{check:?}");
    // The holder found through its descriptor's link to the socket's inode.
    let pid = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/doctor/fixtures/troubled/proc"),
    )
    .unwrap()
    .flatten()
    .filter_map(|e| e.file_name().into_string().ok())
    .find(|n| n.bytes().all(|b| b.is_ascii_digit()))
    .unwrap();
    assert!(
        check.evidence.contains(&format!(
            "held bound to a unicast address (192.0.2.1:7777 by python3 (pid {pid}))"
        )),
        "{}",
        check.evidence
    );
    assert!(check.fix.unwrap().contains("bind 0.0.0.0"));
    let free = port(&c, &Fixture::new("healthy"));
    assert_eq!(free.status, Status::Ok, "{free:?}");
    assert_eq!(free.evidence, "no socket holds UDP port 7777");
}

#[test]
fn a_port_held_on_the_wildcard_is_shared_or_not_as_the_bind_says() {
    // The holder's socket as if bound to 0.0.0.0: the receiver's own bind decides.
    let c = case("239.1.1.1", Some(7777), &[]);
    let udp = Fixture::new("troubled")
        .read("/proc/net/udp")
        .unwrap()
        .replace("010200C0:1E61", "00000000:1E61");
    let (mut host, dir) = variant("troubled", "wildcard", &[("proc/net/udp", &udp)]);
    let shared = port(&c, &host);
    assert_eq!(shared.status, Status::Warn, "{shared:?}");
    assert!(shared.evidence.contains("and shared"), "{shared:?}");
    host.bind = Err("Address already in use (os error 98)".into());
    let taken = port(&c, &host);
    assert_eq!(taken.status, Status::Fail, "{taken:?}");
    assert!(
        taken
            .evidence
            .contains("without sharing: a receiver cannot bind it (Address already in use"),
        "{taken:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn host_root(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/doctor/fixtures")
        .join(name)
}

/// Copies a tree.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type().unwrap().is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

#[test]
fn the_limits_come_from_the_hosts_settings() {
    let many: Vec<String> = (1..=11).map(|i| format!("198.51.100.{i}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let check = limits(&case("232.1.1.1", None, &refs), &Fixture::new("healthy"));
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert!(
        check
            .evidence
            .starts_with("11 sources asked; net.ipv4.igmp_max_msf = 10 sources"),
        "{}",
        check.evidence
    );
    let check = limits(
        &case("232.1.1.1", None, &refs[..10]),
        &Fixture::new("healthy"),
    );
    assert_eq!(check.status, Status::Ok, "{check:?}");
}

#[test]
fn every_receiver_check_answers_on_a_fixture_and_the_firewall_says_it_read_none() {
    let c = case("239.1.1.1", Some(7777), &[]);
    let all = receiver_checks(&c, &Fixture::new("healthy"));
    let names: Vec<&str> = all.iter().map(|c| c.check).collect();
    assert_eq!(
        names,
        [
            "interface",
            "route",
            "group",
            "mac_alias",
            "rp_filter",
            "version",
            "limits",
            "port",
            "firewall"
        ]
    );
    let firewall = all.last().unwrap();
    assert_eq!(firewall.status, Status::Skipped);
    assert_eq!(
        firewall.evidence,
        "no firewall tool found (nft, iptables-save)"
    );
}

/// A case with no -i: the fixture's routes decide.
fn routed(group: &str, sources: &[&str]) -> Case {
    Case {
        given: None,
        ..case(group, None, sources)
    }
}

#[test]
fn the_interface_check_names_each_problem_and_its_fix() {
    let host = Fixture::new("healthy");
    let ok = interface(&routed("239.1.1.1", &[]), &host);
    assert_eq!(ok.status, Status::Ok, "{ok:?}");
    assert!(
        ok.evidence
            .starts_with("eth0 (the route's choice): up, carrier")
    );
    let mut down = eth0();
    down.flags.up = false;
    down.flags.multicast = false;
    let check = interface(
        &Case {
            given: Some(Ok(down)),
            ..routed("239.1.1.1", &[])
        },
        &host,
    );
    assert_eq!(check.status, Status::Fail);
    assert_eq!(
        check.evidence,
        "eth0 (given) is down, without the MULTICAST flag"
    );
    assert_eq!(
        check.fix.as_deref(),
        Some("ip link set eth0 up; ip link set eth0 multicast on")
    );
    let mut dark = eth0();
    dark.flags.running = false;
    let check = interface(
        &Case {
            given: Some(Ok(dark)),
            ..routed("239.1.1.1", &[])
        },
        &host,
    );
    assert_eq!(check.evidence, "eth0 (given) is up but without carrier");
    // Up and well, but no IPv6 address for an IPv6 group: a warning, not a failure.
    let check = interface(&routed("ff15::1", &[]), &host);
    assert_eq!(check.status, Status::Warn, "{check:?}");
    assert!(check.evidence.contains("without an IPv6 address"));
    // No route: a link-scoped IPv6 group needs its link named; others need -i.
    let mut unrouted = Fixture::new("healthy");
    unrouted.default_route = None;
    let check = interface(&routed("ff02::1234", &[]), &unrouted);
    assert!(
        check
            .evidence
            .contains("link-scoped: a join must name its link")
    );
    // Only an IPv6 group names its link (ff02::1234%eth0); IPv4's link-local groups, and
    // IPv6 groups of wider scope, are routed like any other.
    for group in ["239.1.1.1", "224.0.0.251", "ff05::1"] {
        let check = interface(&routed(group, &[]), &unrouted);
        assert!(
            check
                .evidence
                .starts_with(&format!("no -i and no route for {group}")),
            "{check:?}"
        );
    }
    let check = interface(
        &Case {
            given: Some(Err("no interface eth9".into())),
            ..routed("239.1.1.1", &[])
        },
        &unrouted,
    );
    assert_eq!(
        (check.status, check.evidence.as_str()),
        (Status::Fail, "no interface eth9")
    );
}

#[test]
fn the_route_and_group_checks_say_where_a_join_goes() {
    let host = Fixture::new("healthy");
    assert_eq!(route(&routed("239.1.1.1", &[]), &host).status, Status::Ok);
    // Given the interface the route leads to: nothing to say.
    let same = Case {
        given: Some(Ok(eth0())),
        ..routed("239.1.1.1", &[])
    };
    let check = route(&same, &host);
    assert_eq!(
        (check.status, check.evidence.as_str()),
        (Status::Ok, "the kernel routes 239.1.1.1 via eth0")
    );
    // Given eth1 while the route leads to eth0: joins fine, sends leave by eth0.
    let mut eth1 = eth0();
    eth1.name = "eth1".into();
    eth1.index = 4;
    let other = Case {
        given: Some(Ok(eth1)),
        ..routed("239.1.1.1", &[])
    };
    let check = route(&other, &host);
    assert_eq!(check.status, Status::Warn, "{check:?}");
    assert_eq!(
        check.fix.as_deref(),
        Some("ip route replace 224.0.0.0/4 dev eth1")
    );
    let mut unrouted = Fixture::new("healthy");
    unrouted.default_route = None;
    assert_eq!(route(&other, &unrouted).status, Status::Warn);
    assert_eq!(
        route(&routed("239.1.1.1", &[]), &unrouted).status,
        Status::Fail
    );
    assert_eq!(
        route(&routed("ff02::1", &[]), &host).status,
        Status::Skipped
    );
    // An IPv4 link-scoped group is still routed by the kernel: judged, not skipped.
    assert_eq!(route(&routed("224.0.0.251", &[]), &host).status, Status::Ok);
    // The SSM range without a source gets nothing on an SSM network.
    assert_eq!(group(&routed("232.1.1.1", &[])).status, Status::Fail);
    assert_eq!(
        group(&routed("232.1.1.1", &["192.0.2.9"])).status,
        Status::Ok
    );
    assert!(
        group(&routed("224.0.0.251", &[]))
            .evidence
            .contains("link-scoped")
    );
}

#[test]
fn a_link_held_at_v2_by_a_querier_is_told_from_a_forced_version() {
    // The troubled host, its version no longer forced, the kernel still in V2 mode: an
    // IGMPv2 querier was heard.
    let (host, dir) = variant(
        "troubled",
        "v2",
        &[("proc/sys/net/ipv4/conf/eth0/force_igmp_version", "0\n")],
    );
    let check = version(&case("232.1.1.1", None, &["198.51.100.7"]), &host);
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert!(
        check.evidence.contains("eth0 = 0; compatibility mode V2"),
        "{check:?}"
    );
    assert!(
        check
            .fix
            .unwrap()
            .starts_with("an IGMPv2 querier holds the link at v2")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A copy of fixture `base` with `edits` (path under the tree, new content) made, at a
/// directory of its own (`tag`); removed by the caller.
fn variant(base: &str, tag: &str, edits: &[(&str, &str)]) -> (Fixture, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("mcast-fixture-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_tree(&host_root(base), &dir);
    for (path, content) in edits {
        std::fs::write(dir.join(path), content).unwrap();
    }
    (Fixture::at(&dir), dir)
}

#[test]
fn forced_versions_are_judged_by_their_number() {
    let ssm4 = case("232.1.1.1", None, &["198.51.100.7"]);
    // IGMPv3 forced: source-specific joins work.
    let (host, dir) = variant(
        "healthy",
        "v3",
        &[("proc/sys/net/ipv4/conf/eth0/force_igmp_version", "3\n")],
    );
    assert_eq!(version(&ssm4, &host).status, Status::Ok);
    std::fs::remove_dir_all(&dir).unwrap();
    // IGMPv2 forced with no IPv4 group held (no mode shown): the setting alone decides.
    let (host, dir) = variant(
        "troubled",
        "v2-empty",
        &[(
            "proc/net/igmp",
            "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n",
        )],
    );
    let check = version(&ssm4, &host);
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert!(
        check.evidence.contains("not shown (no IPv4 group held)"),
        "{check:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    // MLDv1 forced, on the interface or on all: IPv6 source-specific joins fail.
    let ssm6 = case("ff3e::4321:1", None, &["2001:db8::2"]);
    let asm6 = case("ff15::1", None, &[]);
    for path in [
        "proc/sys/net/ipv6/conf/eth0/force_mld_version",
        "proc/sys/net/ipv6/conf/all/force_mld_version",
    ] {
        let (host, dir) = variant("healthy", "mld1", &[(path, "1\n")]);
        let check = version(&ssm6, &host);
        assert_eq!(check.status, Status::Fail, "{path}: {check:?}");
        assert!(check.evidence.ends_with("MLDv1 cannot carry sources"));
        assert_eq!(version(&asm6, &host).status, Status::Ok, "{path}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let (host, dir) = variant(
        "healthy",
        "mld2",
        &[("proc/sys/net/ipv6/conf/eth0/force_mld_version", "2\n")],
    );
    assert_eq!(version(&ssm6, &host).status, Status::Ok);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_kernels_counters_are_read_from_both_files_and_reach_the_rp_filter_check() {
    let (mut host, dir) = variant(
        "troubled",
        "counters",
        &[
            (
                "proc/net/netstat",
                "TcpExt: SyncookiesSent IPReversePathFilter\nTcpExt: 0 7\n",
            ),
            ("proc/net/snmp", "Udp: InDatagrams NoPorts\nUdp: 42 3\n"),
        ],
    );
    let all = proc::all_counters(&host);
    assert_eq!(
        (
            all["Udp:InDatagrams"],
            all["Udp:NoPorts"],
            all["TcpExt:IPReversePathFilter"]
        ),
        (42, 3, 7)
    );
    let mut other = eth0();
    other.name = "eth1".into();
    other.index = 4;
    host.routes
        .insert("198.51.100.7".parse().unwrap(), Some(other));
    let checks = receiver_checks(&case("232.1.1.1", Some(7777), &["198.51.100.7"]), &host);
    let rp = checks.iter().find(|c| c.check == "rp_filter").unwrap();
    assert!(
        rp.evidence
            .ends_with("IPReversePathFilter (/proc/net/netstat) = 7"),
        "{}",
        rp.evidence
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn holders_are_processes_by_number_not_procs_other_entries() {
    // /proc/self (and thread-self) lead to the reading process's own descriptors: doctor
    // itself, never a holder of the port.
    let c = case("239.1.1.1", Some(7777), &[]);
    let (host, dir) = variant("troubled", "self", &[]);
    let link = std::fs::read_to_string(dir.join("proc/19471/fd/3")).unwrap();
    for entry in ["self", "thread-self"] {
        std::fs::create_dir_all(dir.join(format!("proc/{entry}/fd"))).unwrap();
        std::fs::write(dir.join(format!("proc/{entry}/fd/3")), &link).unwrap();
        std::fs::write(dir.join(format!("proc/{entry}/comm")), "mcast\n").unwrap();
    }
    let check = port(&c, &host);
    assert!(
        check
            .evidence
            .contains("(192.0.2.1:7777 by python3 (pid 19471))"),
        "{}",
        check.evidence
    );
    assert!(!check.evidence.contains("mcast"), "{}", check.evidence);
    std::fs::remove_dir_all(&dir).unwrap();
}
