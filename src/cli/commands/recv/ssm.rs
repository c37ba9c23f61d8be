//! `recv --source` on a link where source-specific joins cannot work: the host is in IGMPv1/v2
//! compatibility mode (an old querier was heard, or the version is forced) or MLDv1 is forced,
//! so its reports carry no sources. Checked at the join and once a second after, told once.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::cli::exit::warn;

pub struct SsmGuard {
    group: IpAddr,
    ifindex: u32,
    next: Instant,
    told: bool,
}

impl SsmGuard {
    /// A guard for a source-specific join of `group` on `ifindex`; None for any-source.
    pub fn new(group: IpAddr, ifindex: Option<u32>, sources: usize) -> Option<SsmGuard> {
        (sources > 0).then_some(SsmGuard {
            group,
            ifindex: ifindex?,
            next: Instant::now(),
            told: false,
        })
    }

    /// Looks, when due, and warns once if the interface cannot carry the sources.
    pub fn check(&mut self) {
        if self.told || Instant::now() < self.next {
            return;
        }
        self.next = Instant::now() + Duration::from_secs(1);
        let Ok(held) = mcast::membership::memberships() else {
            return;
        };
        let Some(m) = held
            .iter()
            .find(|m| m.index == self.ifindex && m.group == self.group)
        else {
            return;
        };
        let old = match (&m.igmp_compat_mode, m.forced_mld_version) {
            (Some(mode), _) if mode == "V1" || mode == "V2" => {
                Some(format!("IGMP{} compatibility mode", mode.to_lowercase()))
            }
            (_, Some(1)) => Some("MLDv1 (forced_mld_version = 1)".to_string()),
            _ => None,
        };
        if let Some(old) = old {
            self.told = true;
            warn(format_args!(
                "{} is in {old}: its membership reports cannot carry sources, so this \
                 source-specific join reaches the network as an any-source one and SSM \
                 routers forward nothing; make the querier speak {} (or set the \
                 interface's force_{}_version back to 0). mcast watch shows the querier",
                m.interface,
                if self.group.is_ipv4() {
                    "IGMPv3"
                } else {
                    "MLDv2"
                },
                if self.group.is_ipv4() { "igmp" } else { "mld" }
            ));
        }
    }
}
