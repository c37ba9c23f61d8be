//! The kernel's limits on joins, named by the setting that bounds them, with the fix.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::net::IpAddr;

use common::{run, stderr};
use lab::{IFACE, Lab};
use mcast::{ErrorKind, IfaceSpec, IpMode, McastSocket};

fn eth0() -> IfaceSpec {
    IfaceSpec::Name(IFACE.into())
}

/// Adds sources to one group until the kernel refuses; returns how many fitted and the error.
fn fill_sources(mode: IpMode, group: &str, source: impl Fn(u32) -> String) -> (u32, mcast::Error) {
    let mut sock = McastSocket::new(mode, false).unwrap();
    let group = group.parse().unwrap();
    for i in 1..=200 {
        let s: IpAddr = source(i).parse().unwrap();
        if let Err(e) = sock.join(&group, Some(&eth0()), Some(s)) {
            return (i - 1, e);
        }
    }
    panic!("200 sources fitted in one filter");
}

#[test]
fn the_ipv4_source_limit_names_igmp_max_msf() {
    let lab = Lab::new(1);
    lab.host(1).enter();
    let (fitted, err) = fill_sources(IpMode::V4, "232.4.4.4", |i| format!("192.0.2.{}", 100 + i));
    assert_eq!(fitted, 10);
    assert!(matches!(
        err.kind(),
        ErrorKind::MembershipLimit { sources: true, .. }
    ));
    assert_eq!(
        err.to_string(),
        "join 232.4.4.4 from 192.0.2.111 on eth0: the group already has the most sources one \
         filter may hold (net.ipv4.igmp_max_msf = 10); give fewer sources, or raise \
         net.ipv4.igmp_max_msf"
    );
}

#[test]
fn the_ipv6_source_limit_names_mld_max_msf() {
    let lab = Lab::new(1);
    lab.host(1).enter();
    let (fitted, err) = fill_sources(IpMode::V6, "ff3e::4:4", |i| format!("2001:db8::1:{i:x}"));
    assert_eq!(fitted, 64);
    let text = err.to_string();
    // The setting is host-wide, so a namespace cannot read it: its default is named.
    assert!(
        text.contains("(net.ipv6.mld_max_msf, 64 unless changed); give fewer sources"),
        "{text}"
    );
    assert!(
        text.starts_with("join ff3e::4:4 from 2001:db8::1:41 on eth0: "),
        "{text}"
    );
}

#[test]
fn the_join_limit_says_what_to_do_and_nothing_misleading() {
    let lab = Lab::new(1);
    let groups: Vec<String> = (1..=21).map(|i| format!("239.8.0.{i}")).collect();
    let mut args = vec!["join", "-i", IFACE, "-d", "1s"];
    args.extend(groups.iter().map(String::as_str));
    let out = run(lab.host(1), &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !lab.host(1).holds("239.8.0.1".parse().unwrap()),
        "the first 20 were not left"
    );
    assert_eq!(
        stderr(&out).trim_end(),
        "mcast: join 239.8.0.21 on eth0: the socket holds the most groups the system allows \
         (net.ipv4.igmp_max_memberships = 20); leave a group first, or raise \
         net.ipv4.igmp_max_memberships"
    );
}
