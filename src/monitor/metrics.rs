//! A monitor's figures as OpenMetrics text (the Prometheus project's own `prometheus-client`
//! encodes them): a series per group for what it counts, labelled as the target was given.
//! A figure that cannot be judged for a group (loss where the content is not read, jitter
//! without an RTP clock) has no series for it: absent, not zero.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;

use super::{Monitor, State};

/// A group's labels: its target as given (an empty label is an absent one to Prometheus).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GroupLabels {
    group: String,
    port: String,
    source: String,
    name: String,
    interface: String,
}

/// A pair's labels: its name and its legs as typed.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PairLabels {
    pair: String,
    a: String,
    b: String,
}

/// A group's labels and one of its PIDs (MPEG-TS) or SSRCs (RTP).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PartLabels {
    group: String,
    port: String,
    source: String,
    name: String,
    interface: String,
    pid: String,
    ssrc: String,
}

/// PIDs and SSRCs served a group, at most: the rest are in the group's own series.
const PARTS: usize = 32;

/// A socket's labels: the kernel counts drops per socket, and a socket holds many groups.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SocketLabels {
    socket: String,
    port: String,
}

type Counters = Family<GroupLabels, Counter>;
type Gauges = Family<GroupLabels, Gauge<f64, AtomicU64>>;

/// One socket's drops as the kernel counted them (SO_RXQ_OVFL): its index, port, count.
#[derive(Debug, Clone, Copy)]
pub struct SocketDrops {
    /// The socket's index (as given to `Monitor::route`).
    pub socket: usize,
    /// Its port.
    pub port: u16,
    /// Datagrams dropped for want of receive buffer; None where not counted.
    pub drops: Option<u64>,
}

/// The exposition of `m`'s figures now, and of its sockets' drops.
pub fn render(m: &Monitor, sockets: &[SocketDrops]) -> String {
    let mut registry = Registry::default();
    let counter = |registry: &mut Registry, name: &str, help: &str, unit: Option<Unit>| {
        let family = Counters::default();
        match unit {
            Some(u) => registry.register_with_unit(name, help, u, family.clone()),
            None => registry.register(name, help, family.clone()),
        }
        family
    };
    let datagrams = counter(
        &mut registry,
        "mcast_datagrams",
        "Datagrams received for the group",
        None,
    );
    // Registered as "mcast" with the unit: the series is mcast_bytes_total.
    let bytes = counter(
        &mut registry,
        "mcast",
        "Bytes of UDP payload received for the group",
        Some(Unit::Bytes),
    );
    let lost = counter(
        &mut registry,
        "mcast_lost",
        "Units lost (RTP packets, TS packets by the continuity counters, feed numbers); absent where the content is not read",
        None,
    );
    let duplicates = counter(
        &mut registry,
        "mcast_duplicates",
        "Units received twice; absent where the content is not read",
        None,
    );
    let reordered = counter(
        &mut registry,
        "mcast_reordered",
        "RTP packets and feed numbers that came behind the highest; absent where the content is not read",
        None,
    );
    let cc_errors = counter(
        &mut registry,
        "mcast_cc_errors",
        "MPEG-TS continuity errors; absent where no sender carries TS",
        None,
    );
    let gauge = |registry: &mut Registry, name: &str, help: &str, unit: Option<Unit>| {
        let family = Gauges::default();
        match unit {
            Some(u) => registry.register_with_unit(name, help, u, family.clone()),
            None => registry.register(name, help, family.clone()),
        }
        family
    };
    let jitter = gauge(
        &mut registry,
        "mcast_jitter",
        "The largest RFC 3550 jitter of the group's RTP senders; absent without RTP of a known clock rate",
        Some(Unit::Seconds),
    );
    let last = gauge(
        &mut registry,
        "mcast_last_datagram_timestamp",
        "When the group's last datagram came (the kernel's time), since the Unix epoch; absent before the first",
        Some(Unit::Seconds),
    );
    let up = gauge(
        &mut registry,
        "mcast_up",
        "1 while the group's datagrams flow (neither never started nor stalled), else 0",
        None,
    );
    let drops = Family::<SocketLabels, Counter>::default();
    registry.register(
        "mcast_kernel_drops",
        "Datagrams the kernel dropped for want of receive buffer, per socket (a socket holds many groups)",
        drops.clone(),
    );
    let pid_cc = Family::<PartLabels, Counter>::default();
    registry.register(
        "mcast_pid_cc_errors",
        "MPEG-TS continuity errors of one PID of the group (the first 32 PIDs heard)",
        pid_cc.clone(),
    );
    let ssrc_lost = Family::<PartLabels, Counter>::default();
    registry.register(
        "mcast_ssrc_lost",
        "RTP packets one sender (SSRC) of the group lost (the first 32 SSRCs heard)",
        ssrc_lost.clone(),
    );
    for w in m.groups() {
        let t = &w.target;
        let labels = GroupLabels {
            group: t.group.to_string(),
            port: t.port.to_string(),
            source: t.source.map(|s| s.to_string()).unwrap_or_default(),
            name: t.name.clone().unwrap_or_default(),
            interface: t
                .interface
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        };
        datagrams.get_or_create(&labels).inc_by(w.datagrams);
        bytes.get_or_create(&labels).inc_by(w.bytes);
        let some = [
            (&lost, w.lost()),
            (&duplicates, w.duplicates()),
            (&reordered, w.reordered()),
            (&cc_errors, w.cc_errors()),
        ];
        for (family, value) in some {
            if let Some(v) = value {
                family.get_or_create(&labels).inc_by(v);
            }
        }
        if let Some(j) = w.jitter_ms() {
            jitter.get_or_create(&labels).set(j / 1e3);
        }
        if let Some(ns) = w.last_ns {
            last.get_or_create(&labels).set(ns as f64 / 1e9);
        }
        let part = |pid: String, ssrc: String| PartLabels {
            group: labels.group.clone(),
            port: labels.port.clone(),
            source: labels.source.clone(),
            name: labels.name.clone(),
            interface: labels.interface.clone(),
            pid,
            ssrc,
        };
        let flows = || w.streams.iter().flat_map(|s| s.flows());
        for (pid, p) in flows()
            .filter_map(|f| f.ts())
            .flat_map(|t| t.pids())
            .take(PARTS)
        {
            pid_cc
                .get_or_create(&part(format!("0x{pid:04x}"), String::new()))
                .inc_by(p.cc_errors);
        }
        for s in flows()
            .filter_map(|f| f.rtp())
            .flat_map(|r| r.streams())
            .take(PARTS)
        {
            ssrc_lost
                .get_or_create(&part(String::new(), format!("{:08x}", s.ssrc)))
                .inc_by(s.missing());
        }
        let flowing = matches!(w.state(), State::Flowing | State::Losing);
        up.get_or_create(&labels)
            .set(if flowing { 1.0 } else { 0.0 });
    }
    for s in sockets {
        if let Some(d) = s.drops {
            let labels = SocketLabels {
                socket: s.socket.to_string(),
                port: s.port.to_string(),
            };
            drops.get_or_create(&labels).inc_by(d);
        }
    }
    let pair_lost = Family::<PairLabels, Counter>::default();
    registry.register(
        "mcast_pair_lost",
        "Sequence numbers neither leg of an A/B pair delivered: what a receiver merging both legs loses; absent before a number came",
        pair_lost.clone(),
    );
    let legs_up = Family::<PairLabels, Gauge>::default();
    registry.register(
        "mcast_pair_legs_up",
        "Legs of an A/B pair whose datagrams flow: 2 redundant, 1 on one leg alone, 0 down",
        legs_up.clone(),
    );
    let skew_p50 = Family::<PairLabels, Gauge<f64, AtomicU64>>::default();
    registry.register_with_unit(
        "mcast_pair_skew_p50",
        "The median of the latest skews between the legs (B's arrival of a number less A's)",
        Unit::Seconds,
        skew_p50.clone(),
    );
    let skew_max = Family::<PairLabels, Gauge<f64, AtomicU64>>::default();
    registry.register_with_unit(
        "mcast_pair_skew_max",
        "The largest skew between the legs, either way",
        Unit::Seconds,
        skew_max.clone(),
    );
    for p in m.pairs() {
        let [a, b] = p.legs.map(|g| &m.groups()[g]);
        let labels = PairLabels {
            pair: p.name.clone(),
            a: a.target.endpoint(),
            b: b.target.endpoint(),
        };
        let up = [a, b]
            .iter()
            .filter(|w| matches!(w.state(), State::Flowing | State::Losing))
            .count();
        legs_up.get_or_create(&labels).set(up as i64);
        if p.merge.started() {
            pair_lost.get_or_create(&labels).inc_by(p.merge.lost);
        }
        if let Some(s) = p.merge.skew_p50_ns() {
            skew_p50.get_or_create(&labels).set(s as f64 / 1e9);
            skew_max
                .get_or_create(&labels)
                .set(p.merge.skew_max_ns as f64 / 1e9);
        }
    }
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut text, &registry);
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::flow;
    use crate::monitor::{Delivery, Options, Target};

    fn rtp(seq: u16) -> Vec<u8> {
        let mut d = vec![0x80, 0];
        d.extend_from_slice(&seq.to_be_bytes());
        d.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
        d.extend_from_slice(&7u32.to_be_bytes());
        d.resize(172, 0);
        d
    }

    /// A monitor reading RTP on `targets`, every join routed as the kernel's defaults plan.
    fn rtp_monitor(targets: &[&str], pairs: usize) -> Monitor {
        let targets: Vec<Target> = targets.iter().map(|t| t.parse().unwrap()).collect();
        let opts = Options {
            content: Some(flow::Options {
                choice: flow::Choice::Rtp,
                ..flow::Options::default()
            }),
            ..Options::default()
        };
        let mut m = Monitor::new(targets, opts, 0);
        assert_eq!(m.pair_by_name(), Ok(pairs));
        let targets: Vec<Target> = m.groups().iter().map(|w| w.target.clone()).collect();
        let plans =
            crate::monitor::plan(&targets, &crate::monitor::JoinLimits::new(20, 10, 100, 64))
                .unwrap();
        for (i, p) in plans.iter().enumerate() {
            for j in &p.joins {
                m.route(i, j);
            }
        }
        m
    }

    #[test]
    fn every_group_has_its_series_and_what_cannot_be_judged_has_none() {
        let mut m = rtp_monitor(
            &[
                "239.1.1.1:5000,name=News \"HD\"",
                "10.0.0.5@232.1.1.1:5004,iface=eth0",
            ],
            0,
        );
        let mut changes = Vec::new();
        for seq in (0..10u16).filter(|s| *s != 4) {
            let d = Delivery {
                socket: 0,
                group: "239.1.1.1".parse().unwrap(),
                source: "10.0.0.1:4000".parse().unwrap(),
                // Every other datagram 3 ms late: a jitter.
                ns: 1_000_000_000 + u64::from(seq) * 20_000_000 + u64::from(seq % 2) * 3_000_000,
                drops: 0,
            };
            m.observe(&d, &rtp(seq), &mut changes);
        }
        let text = render(
            &m,
            &[SocketDrops {
                socket: 0,
                port: 5000,
                drops: Some(3),
            }],
        );
        let first = r#"{group="239.1.1.1",port="5000",source="",name="News \"HD\"",interface=""}"#;
        let second =
            r#"{group="232.1.1.1",port="5004",source="10.0.0.5",name="",interface="eth0"}"#;
        for line in [
            format!("mcast_datagrams_total{first} 9"),
            format!("mcast_bytes_total{first} 1548"),
            format!("mcast_lost_total{first} 1"),
            format!("mcast_duplicates_total{first} 0"),
            format!("mcast_up{first} 1.0"),
            format!("mcast_last_datagram_timestamp_seconds{first} 1.183"),
            format!("mcast_datagrams_total{second} 0"),
            format!("mcast_up{second} 0.0"),
            "mcast_kernel_drops_total{socket=\"0\",port=\"5000\"} 3".to_string(),
            "# UNIT mcast_bytes bytes".to_string(),
            "# UNIT mcast_jitter_seconds seconds".to_string(),
            "# HELP mcast_up 1 while the group's datagrams flow (neither never started nor stalled), else 0.".to_string(),
            "# EOF".to_string(),
            r#"mcast_ssrc_lost_total{group="239.1.1.1",port="5000",source="",name="News \"HD\"",interface="",pid="",ssrc="00000007"} 1"#.to_string(),
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
        }
        // Payload type 0 has a clock (8 kHz): a jitter, in seconds; the silent group has
        // none, and no loss either (nothing read).
        let jitter = value(&text, &format!("mcast_jitter_seconds{first}"));
        let want = m.groups()[0].jitter_ms().unwrap() / 1e3;
        assert!(
            want > 0.0 && (jitter - want).abs() < 1e-12,
            "{jitter} {want}"
        );
        assert!(
            !text.contains(&format!("mcast_lost_total{second}")),
            "{text}"
        );
        assert!(
            !text.contains(&format!("mcast_jitter_seconds{second}")),
            "{text}"
        );
        assert!(
            !text.contains(&format!("mcast_last_datagram_timestamp_seconds{second}")),
            "{text}"
        );
    }

    /// The value of the series named `series` (with its labels) in `text`.
    fn value(text: &str, series: &str) -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
            .parse()
            .unwrap()
    }

    #[test]
    fn a_pairs_skew_is_in_seconds() {
        let mut m = rtp_monitor(&["239.1.1.1:5000,name=F", "239.2.1.1:5000,name=F"], 1);
        let mut changes = Vec::new();
        // Leg B 2 ms behind A, then once 5 ms.
        for seq in 0..10u16 {
            let at = 1_000_000_000 + u64::from(seq) * 20_000_000;
            let late = if seq == 7 { 5_000_000 } else { 2_000_000 };
            for (group, ns) in [("239.1.1.1", at), ("239.2.1.1", at + late)] {
                let d = Delivery {
                    socket: 0,
                    group: group.parse().unwrap(),
                    source: "10.0.0.1:4000".parse().unwrap(),
                    ns,
                    drops: 0,
                };
                m.observe(&d, &rtp(seq), &mut changes);
            }
        }
        let text = render(&m, &[]);
        let labels = r#"{pair="F",a="239.1.1.1:5000",b="239.2.1.1:5000"}"#;
        let p50 = value(&text, &format!("mcast_pair_skew_p50_seconds{labels}"));
        let max = value(&text, &format!("mcast_pair_skew_max_seconds{labels}"));
        assert!(
            (p50 - 0.002).abs() < 1e-12 && (max - 0.005).abs() < 1e-12,
            "{p50} {max}\n{text}"
        );
    }
}
