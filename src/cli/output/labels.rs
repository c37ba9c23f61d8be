//! The strings a packet line repeats (time, source, group, sender), made again only when they
//! change: under load most datagrams share them with the one before.

use std::net::IpAddr;
use std::time::{Duration, UNIX_EPOCH};

use mcast::Received;
use mcast::probe::Probe;

use crate::cli::output::events;

/// The current labels, and what they were made from.
#[derive(Default)]
pub struct Labels {
    pub time: String,
    pub source: String,
    pub group: String,
    pub sender: String,
    time_ns: Option<u64>,
    source_ip: Option<IpAddr>,
    group_ip: Option<Option<IpAddr>>,
    sender_id: Option<u32>,
}

impl Labels {
    /// Brings every label up to date for one datagram.
    pub fn update(&mut self, arrival_ns: u64, r: &Received, probe: Option<&Probe>) {
        if self.time_ns != Some(arrival_ns) {
            self.time_ns = Some(arrival_ns);
            self.time = events::timestamp(UNIX_EPOCH + Duration::from_nanos(arrival_ns));
        }
        let ip = r.source.ip();
        if self.source_ip != Some(ip) {
            self.source_ip = Some(ip);
            self.source = ip.to_string();
        }
        if self.group_ip != Some(r.destination) {
            self.group_ip = Some(r.destination);
            self.group = r
                .destination
                .map_or_else(|| "?".to_string(), |d| d.to_string());
        }
        if let Some(p) = probe.filter(|p| self.sender_id != Some(p.sender)) {
            self.sender_id = Some(p.sender);
            self.sender = events::sender_id(p.sender);
        }
    }
}
