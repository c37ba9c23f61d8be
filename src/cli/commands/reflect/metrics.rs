//! `reflect --metrics`: what the reflector answered and refused, as OpenMetrics for
//! Prometheus; each refusal by its reason, so that an alert can tell a flood held back by the
//! rate limits from requests it cannot answer.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use super::counts::Counts;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Port {
    port: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Refusal {
    port: String,
    reason: String,
}

/// What each count is, for its HELP line; the counts not named here are refusals.
const PLAIN: &[(&str, &str)] = &[
    ("requests", "Requests received"),
    ("unicast_replies", "Unicast replies sent"),
    ("multicast_replies", "Multicast replies sent"),
    (
        "clients",
        "Clients heard, each counted once while remembered",
    ),
    (
        "clients_not_listed",
        "Clients heard past the number remembered, not listed one by one",
    ),
    (
        "capped_size",
        "Replies made smaller than asked (--max-reply-size)",
    ),
    ("send_errors", "Replies the kernel refused to send"),
];

/// The exposition of `c` now, for the reflector on `port`.
pub fn render(c: &Counts, port: u16) -> String {
    let mut registry = Registry::default();
    let labels = Port {
        port: port.to_string(),
    };
    // Read field by field from the counts' own shape, so that a count added there is served.
    let fields = serde_json::to_value(c).unwrap_or_default();
    let refused = Family::<Refusal, Counter>::default();
    for (name, value) in fields.as_object().into_iter().flatten() {
        let v = value.as_u64().unwrap_or(0);
        if let Some(reason) = name.strip_prefix("refused_") {
            let l = Refusal {
                port: port.to_string(),
                reason: reason.to_string(),
            };
            refused.get_or_create(&l).inc_by(v);
        } else {
            let help = PLAIN
                .iter()
                .find(|(n, _)| n == name)
                .map_or("A reflector count", |(_, h)| h);
            let family = Family::<Port, Counter>::default();
            family.get_or_create(&labels).inc_by(v);
            registry.register(format!("mcast_reflect_{name}"), help, family);
        }
    }
    registry.register(
        "mcast_reflect_refused",
        "Requests refused, by reason (source, malformed, destination, interface, session, small_init, group, port, rate, group_rate)",
        refused,
    );
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut text, &registry);
    text
}
