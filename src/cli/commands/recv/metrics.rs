//! `recv --metrics`: what recv counted, as OpenMetrics for Prometheus: the group's datagrams,
//! bytes and probes (lost, duplicated, reordered), the kernel's drops, and per sender whose
//! content is read its units lost and TS continuity errors. What is not judged has no series.

use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::{Registry, Unit};

use super::counts::{Counts, summarize};

/// The group's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GroupLabels {
    group: String,
    port: String,
}

/// A sender's labels: the group's and the sender's address and port.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SenderLabels {
    group: String,
    port: String,
    sender: String,
}

/// The exposition of `c` now.
pub fn render(c: &Counts, joined_at: Instant, group: &str, port: u16) -> String {
    let mut registry = Registry::default();
    let labels = GroupLabels {
        group: group.to_string(),
        port: port.to_string(),
    };
    let one = |registry: &mut Registry, name: &str, help: &str, unit: Option<Unit>, v: u64| {
        let family = Family::<GroupLabels, Counter>::default();
        family.get_or_create(&labels).inc_by(v);
        match unit {
            Some(u) => registry.register_with_unit(name, help, u, family),
            None => registry.register(name, help, family),
        }
    };
    let s = summarize(c, joined_at);
    one(
        &mut registry,
        "mcast_datagrams",
        "Datagrams received",
        None,
        c.packets,
    );
    // Registered as "mcast" with the unit: the series is mcast_bytes_total.
    one(
        &mut registry,
        "mcast",
        "Bytes of UDP payload received",
        Some(Unit::Bytes),
        c.bytes,
    );
    one(
        &mut registry,
        "mcast_probes",
        "mcast probes received",
        None,
        c.probes,
    );
    one(
        &mut registry,
        "mcast_probes_lost",
        "mcast probes lost: gaps in each sender's numbers, and those due that never came",
        None,
        s.lost,
    );
    one(
        &mut registry,
        "mcast_probes_duplicates",
        "mcast probes received twice",
        None,
        s.duplicates,
    );
    one(
        &mut registry,
        "mcast_probes_reordered",
        "mcast probes that came behind a later one",
        None,
        s.reordered,
    );
    if let Some(d) = c.kernel_drops {
        one(
            &mut registry,
            "mcast_kernel_drops",
            "Datagrams the kernel dropped for want of receive buffer",
            None,
            u64::from(d),
        );
    }
    let lost = Family::<SenderLabels, Counter>::default();
    let cc = Family::<SenderLabels, Counter>::default();
    let flows = c.streams.iter().flat_map(|s| s.flows());
    for f in flows.filter(|f| f.content().is_some()) {
        let l = SenderLabels {
            group: group.to_string(),
            port: port.to_string(),
            sender: f.source.to_string(),
        };
        lost.get_or_create(&l).inc_by(f.lost());
        if let Some(t) = f.ts() {
            cc.get_or_create(&l)
                .inc_by(t.pids().map(|(_, p)| p.cc_errors).sum());
        }
    }
    registry.register(
        "mcast_lost",
        "Units a sender's stream lost (RTP packets, TS packets by the continuity counters, feed numbers); absent where its content is not read",
        lost,
    );
    registry.register(
        "mcast_cc_errors",
        "MPEG-TS continuity errors of a sender's stream; absent where it carries no TS",
        cc,
    );
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut text, &registry);
    text
}
