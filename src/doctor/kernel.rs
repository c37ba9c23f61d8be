//! The doctor's checks of the kernel's own rules for a join: reverse-path filtering
//! of each source, forced IGMP/MLD versions that cannot carry sources, and membership limits.

use super::proc::sysctl;
use super::{Case, Check, Host, Status};

/// Whether the reverse-path filter drops each source's traffic, with the kernel's counter
/// of such drops when known.
pub fn rp_filter(case: &Case, host: &dyn Host, counter: Option<u64>) -> Check {
    const C: &str = "rp_filter";
    if !case.v4() {
        return Check::new(
            C,
            Status::Skipped,
            "IPv6 has no reverse-path filter setting",
        );
    }
    if case.sources.is_empty() {
        return Check::new(
            C,
            Status::Skipped,
            "no --source: the reverse path depends on each sender",
        );
    }
    let Some(iface) = case.join_interface(host) else {
        return Check::new(C, Status::Skipped, "no interface to look at");
    };
    let all = sysctl(host, "net/ipv4/conf/all/rp_filter").unwrap_or(0);
    let own = sysctl(host, &format!("net/ipv4/conf/{}/rp_filter", iface.name)).unwrap_or(0);
    let mode = all.max(own);
    let counted = counter.map_or(String::new(), |n| {
        format!("; IPReversePathFilter (/proc/net/netstat) = {n}")
    });
    let mut bad = Vec::new();
    for s in &case.sources {
        let back = host.route_for(*s);
        let dropped = match (mode, &back) {
            (1, Some(b)) => b.index != iface.index,
            (1 | 2, None) => true,
            _ => false,
        };
        if dropped {
            let way = back.map_or("no route at all".to_string(), |b| {
                format!("the route leads to {}", b.name)
            });
            bad.push(format!("{s}: {way}"));
        }
    }
    let setting = format!(
        "rp_filter = {mode} (the larger of all = {all} and {} = {own}; 1 strict, 2 loose, 0 off)",
        iface.name
    );
    if bad.is_empty() {
        return Check::new(
            C,
            Status::Ok,
            format!(
                "{setting}: the way back to each source is {}{counted}",
                iface.name
            ),
        );
    }
    Check::new(
        C,
        Status::Fail,
        format!("{setting}; traffic arrives on {}, but {}: the kernel drops it{counted}", iface.name, bad.join("; ")),
    )
    .fix(format!(
        "route each source via {0} (ip route add SOURCE/32 via GATEWAY dev {0}), or make the check loose: sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.{0}.rp_filter=2",
        iface.name
    ))
}

/// Whether a forced or negotiated IGMP/MLD version can carry the join's sources.
pub fn version(case: &Case, host: &dyn Host) -> Check {
    const C: &str = "version";
    let Some(iface) = case.join_interface(host) else {
        return Check::new(C, Status::Skipped, "no interface to look at");
    };
    let ssm = !case.sources.is_empty();
    if case.v4() {
        let all = sysctl(host, "net/ipv4/conf/all/force_igmp_version").unwrap_or(0);
        let own = sysctl(
            host,
            &format!("net/ipv4/conf/{}/force_igmp_version", iface.name),
        )
        .unwrap_or(0);
        let forced = [all, own].into_iter().filter(|v| *v != 0).min();
        let mode = host
            .memberships()
            .ok()
            .and_then(|h| {
                h.into_iter()
                    .find(|m| m.index == iface.index && m.group.is_ipv4())
            })
            .and_then(|m| m.igmp_compat_mode);
        let evidence = format!(
            "force_igmp_version: all = {all}, {} = {own}; compatibility mode {}",
            iface.name,
            mode.as_deref().unwrap_or("not shown (no IPv4 group held)")
        );
        let old = forced.is_some_and(|v| v < 3)
            || mode.as_deref().is_some_and(|m| m == "V1" || m == "V2");
        return match (old, ssm) {
            (true, true) => Check::new(C, Status::Fail, format!("{evidence}: IGMPv1/v2 cannot carry sources, so the source-specific join never reaches the network"))
                .fix(if forced.is_some() {
                    format!("sysctl -w net.ipv4.conf.all.force_igmp_version=0 net.ipv4.conf.{}.force_igmp_version=0", iface.name)
                } else {
                    "an IGMPv2 querier holds the link at v2: make it speak IGMPv3 (mcast watch shows it)".to_string()
                }),
            (true, false) => Check::new(C, Status::Warn, format!("{evidence}: any-source joins work, source-specific ones would not")),
            _ => Check::new(C, Status::Ok, evidence),
        };
    }
    let own = sysctl(
        host,
        &format!("net/ipv6/conf/{}/force_mld_version", iface.name),
    )
    .unwrap_or(0);
    let all = sysctl(host, "net/ipv6/conf/all/force_mld_version").unwrap_or(0);
    let evidence = format!("force_mld_version: all = {all}, {} = {own}", iface.name);
    if (own == 1 || all == 1) && ssm {
        Check::new(
            C,
            Status::Fail,
            format!("{evidence}: MLDv1 cannot carry sources"),
        )
        .fix(format!(
            "sysctl -w net.ipv6.conf.all.force_mld_version=0 net.ipv6.conf.{}.force_mld_version=0",
            iface.name
        ))
    } else {
        Check::new(C, Status::Ok, evidence)
    }
}

/// Whether the kernel's per-socket limits allow as many sources as asked.
pub fn limits(case: &Case, host: &dyn Host) -> Check {
    const C: &str = "limits";
    let n = case.sources.len();
    let (setting, value) = if case.v4() {
        (
            "net.ipv4.igmp_max_msf",
            sysctl(host, "net/ipv4/igmp_max_msf").unwrap_or(10),
        )
    } else {
        // Host-wide: readable only in the first network namespace; 64 is the default.
        (
            "net.ipv6.mld_max_msf",
            sysctl(host, "net/ipv6/mld_max_msf").unwrap_or(64),
        )
    };
    let groups = if case.v4() {
        let g = sysctl(host, "net/ipv4/igmp_max_memberships").unwrap_or(20);
        format!("net.ipv4.igmp_max_memberships = {g} groups a socket")
    } else {
        // IPv6 has no group count: each membership takes socket option memory.
        let m = sysctl(host, "net/core/optmem_max").map_or("unknown".into(), |m| m.to_string());
        format!("IPv6 groups a socket are bounded by net.core.optmem_max = {m} bytes")
    };
    let evidence =
        format!("{n} sources asked; {setting} = {value} sources a group per socket; {groups}");
    if n as i64 > value {
        Check::new(C, Status::Fail, evidence).fix(format!(
            "sysctl -w {setting}={n}, or spread the sources over several sockets"
        ))
    } else {
        Check::new(C, Status::Ok, evidence)
    }
}
