//! `watch --metrics`: what the capture saw, as OpenMetrics for Prometheus: its packets (those
//! not read, those with a bad checksum), the warnings given, the kernel's drops, each querier
//! heard with its queries, and the memberships known per link.

use std::collections::BTreeMap;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use mcast::watch::Watch;

use super::Names;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QuerierLabels {
    interface: String,
    querier: String,
    version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LinkLabels {
    interface: String,
}

/// The capture's own counts.
pub struct Seen {
    pub packets: u64,
    pub kernel_drops: u64,
    pub ignored: u64,
    pub bad_checksums: u64,
    pub warnings: u64,
}

/// The exposition now.
pub fn render(watch: &Watch, names: &mut Names, seen: &Seen) -> String {
    let mut registry = Registry::default();
    let plain = [
        (
            "mcast_watch_packets",
            "Packets the capture took",
            seen.packets,
        ),
        (
            "mcast_watch_kernel_drops",
            "Packets the kernel dropped before the capture read them",
            seen.kernel_drops,
        ),
        (
            "mcast_watch_ignored",
            "Packets that were not IGMP or MLD mcast could read",
            seen.ignored,
        ),
        (
            "mcast_watch_bad_checksums",
            "IGMP and MLD messages with a wrong checksum (hosts and switches discard them)",
            seen.bad_checksums,
        ),
        ("mcast_watch_warnings", "Warnings given", seen.warnings),
    ];
    for (name, help, v) in plain {
        let c = Counter::<u64>::default();
        c.inc_by(v);
        registry.register(name, help, c);
    }
    let queries = Family::<QuerierLabels, Counter>::default();
    for ((ifindex, addr), q) in &watch.queriers {
        let family = if addr.is_ipv4() { "IGMP" } else { "MLD" };
        let l = QuerierLabels {
            interface: names.of(*ifindex),
            querier: addr.to_string(),
            version: format!("{family}v{}", q.version),
        };
        queries.get_or_create(&l).inc_by(q.queries);
    }
    registry.register(
        "mcast_watch_querier_queries",
        "Queries heard from each querier, by link and version",
        queries,
    );
    let mut per_link: BTreeMap<u32, i64> = BTreeMap::new();
    for (ifindex, ..) in watch.memberships.keys() {
        *per_link.entry(*ifindex).or_default() += 1;
    }
    let memberships = Family::<LinkLabels, Gauge>::default();
    for (ifindex, n) in per_link {
        let l = LinkLabels {
            interface: names.of(ifindex),
        };
        memberships.get_or_create(&l).set(n);
    }
    registry.register(
        "mcast_watch_memberships",
        "Memberships (host and group) known on each link, aged by the querier's timers",
        memberships,
    );
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut text, &registry);
    text
}
