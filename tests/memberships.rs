//! The kernel's membership tables read back through the library, in a lab host.
#![cfg(target_os = "linux")]

mod lab;

use std::net::IpAddr;

use lab::{IFACE, Lab};
use mcast::membership::{FilterMode, GroupMembership, memberships};
use mcast::{IfaceSpec, IpMode, McastSocket};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn find(all: &[GroupMembership], group: &str) -> Option<GroupMembership> {
    all.iter().find(|m| m.group == ip(group)).cloned()
}

#[test]
fn joins_show_with_mode_sources_and_interface_then_go() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    h.enter();
    let eth0 = IfaceSpec::Name(IFACE.into());
    let index = mcast::iface::resolve(&eth0).unwrap().index;
    let mut sock = McastSocket::new(IpMode::Both, false).unwrap();
    // Any-source first: the newest group of an interface must have sources for the kernel
    // to list that interface's filters at all (see membership::combine).
    sock.join(&"239.7.7.7".parse().unwrap(), Some(&eth0), None)
        .unwrap();
    sock.join(&"ff15::7".parse().unwrap(), Some(&eth0), None)
        .unwrap();
    for s in ["192.0.2.50", "192.0.2.51"] {
        sock.join(&"232.7.7.7".parse().unwrap(), Some(&eth0), Some(ip(s)))
            .unwrap();
    }
    for s in ["2001:db8::50", "2001:db8::51"] {
        sock.join(&"ff3e::7".parse().unwrap(), Some(&eth0), Some(ip(s)))
            .unwrap();
    }

    let all = memberships().unwrap();
    let asm4 = find(&all, "239.7.7.7").expect("239.7.7.7 listed");
    assert_eq!((asm4.interface.as_str(), asm4.index), (IFACE, index));
    assert_eq!((asm4.mode, asm4.sources.len()), (FilterMode::Exclude, 0));
    assert_eq!(asm4.igmp_compat_mode.as_deref(), Some("V3"));
    let ssm4 = find(&all, "232.7.7.7").expect("232.7.7.7 listed");
    assert_eq!(ssm4.mode, FilterMode::Include);
    assert!(!ssm4.mode_inferred);
    assert_eq!(ssm4.sources, [ip("192.0.2.50"), ip("192.0.2.51")]);
    let asm6 = find(&all, "ff15::7").expect("ff15::7 listed");
    assert_eq!((asm6.mode, asm6.index), (FilterMode::Exclude, index));
    let ssm6 = find(&all, "ff3e::7").expect("ff3e::7 listed");
    assert_eq!(ssm6.mode, FilterMode::Include);
    assert_eq!(ssm6.sources, [ip("2001:db8::50"), ip("2001:db8::51")]);
    for g in ["239.7.7.7", "232.7.7.7", "ff15::7", "ff3e::7"] {
        assert!(h.holds(ip(g)), "ip maddr lacks {g}:\n{}", h.maddr());
    }

    sock.leave_all().unwrap();
    let all = memberships().unwrap();
    for g in ["239.7.7.7", "232.7.7.7", "ff15::7", "ff3e::7"] {
        assert!(find(&all, g).is_none(), "{g} still listed after leaving");
    }
}

#[test]
fn sources_hidden_by_the_kernel_are_reported_unknown() {
    let lab = Lab::new(1);
    lab.host(1).enter();
    let eth0 = IfaceSpec::Name(IFACE.into());
    let mut sock = McastSocket::new(IpMode::V4, false).unwrap();
    sock.join(
        &"232.8.8.8".parse().unwrap(),
        Some(&eth0),
        Some(ip("192.0.2.50")),
    )
    .unwrap();
    // An any-source join after it hides eth0's filters from /proc/net/mcfilter.
    sock.join(&"239.8.8.8".parse().unwrap(), Some(&eth0), None)
        .unwrap();
    let raw = std::fs::read_to_string("/proc/thread-self/net/mcfilter").unwrap();
    assert!(
        !raw.contains("0xe8080808"),
        "the quirk is gone? mcfilter:\n{raw}"
    );
    let ssm = find(&memberships().unwrap(), "232.8.8.8").unwrap();
    // No evidence but the SSM range: a guess of include, never a guess of exclude.
    assert!(!ssm.sources_known && ssm.mode_inferred, "{ssm:?}");
    assert_eq!(ssm.mode, FilterMode::Include);
    // A second SSM group behind the newest ASM one, outside the SSM range: unknown.
    sock.join(
        &"239.9.9.9".parse().unwrap(),
        Some(&eth0),
        Some(ip("192.0.2.51")),
    )
    .unwrap();
    sock.join(&"239.8.8.9".parse().unwrap(), Some(&eth0), None)
        .unwrap();
    let hidden = find(&memberships().unwrap(), "239.9.9.9").unwrap();
    assert_eq!(
        (hidden.mode, hidden.sources_known),
        (FilterMode::Unknown, false)
    );
}

/// One interface whose name is not UTF-8 must not break the listing of all the others.
#[test]
fn an_interface_name_that_is_not_utf8_breaks_nothing() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let lab = Lab::new(1);
    let h = lab.host(1);
    let name = OsStr::from_bytes(b"bad\xff0");
    let made = std::process::Command::new("ip")
        .args(["-n", &h.ns, "link", "add"])
        .arg(name)
        .args(["mtu", "1400", "type", "veth", "peer", "name", "peer0"])
        .status()
        .unwrap();
    assert!(made.success());
    let up = std::process::Command::new("ip")
        .args(["-n", &h.ns, "link", "set"])
        .arg(name)
        .arg("up")
        .status()
        .unwrap();
    assert!(up.success());
    h.enter();
    let all = memberships().expect("listing works");
    assert!(all.iter().any(|m| m.interface == IFACE));
    assert!(
        all.iter().any(|m| m.interface.starts_with("bad")),
        "{all:?}"
    );
    let list = mcast::iface::interfaces().unwrap();
    let bad = list.iter().find(|i| i.name.starts_with("bad")).unwrap();
    assert_eq!(bad.mtu, Some(1400));
}
