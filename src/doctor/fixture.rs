//! A host made of a fixture tree (`fixtures/NAME/proc/...`, copied from a lab namespace by
//! `fixtures/make.sh`): its files are read from the tree (a descriptor's link as a file
//! holding its target), its routes, listings and answers to a bind are what the test says.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;

use crate::iface::{Flags, IfAddress, Interface};
use crate::membership::{GroupMembership, combine, parse_igmp, parse_igmp6, parse_mcfilter};

use super::Host;

pub struct Fixture {
    root: PathBuf,
    /// The interface every route leads to, unless `routes` names another for an address.
    pub default_route: Option<Interface>,
    pub routes: HashMap<IpAddr, Option<Interface>>,
    /// Listings by "tool arg arg": what the tool printed, or its complaint.
    pub listings: HashMap<String, Result<String, String>>,
    pub bind: Result<(), String>,
}

impl Fixture {
    /// The tree `fixtures/name`, with every route leading to its eth0.
    pub fn new(name: &str) -> Fixture {
        Fixture::at(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("src/doctor/fixtures")
                .join(name),
        )
    }

    /// The tree at `root`, with every route leading to its eth0.
    pub fn at(root: &std::path::Path) -> Fixture {
        Fixture {
            root: root.to_path_buf(),
            default_route: Some(eth0()),
            routes: HashMap::new(),
            listings: HashMap::new(),
            bind: Ok(()),
        }
    }

    fn path(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }
}

/// The namespace's eth0 as the fixtures were made: index 3, up, 192.0.2.1/24.
pub fn eth0() -> Interface {
    Interface {
        name: "eth0".into(),
        index: 3,
        flags: Flags {
            up: true,
            running: true,
            multicast: true,
            ..Flags::default()
        },
        mtu: Some(1500),
        mac: None,
        addresses: vec![IfAddress {
            ip: "192.0.2.1".parse().unwrap(),
            prefix_len: 24,
            broadcast: Some("192.0.2.255".parse().unwrap()),
        }],
    }
}

impl Host for Fixture {
    fn read(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(self.path(path)).ok()
    }

    fn read_dir(&self, path: &str) -> Vec<String> {
        super::host::names_in(&self.path(path))
    }

    fn read_link(&self, path: &str) -> Option<String> {
        // The tree keeps each descriptor's link as a file holding its target (make.sh).
        std::fs::read_to_string(self.path(path))
            .ok()
            .map(|l| l.trim_end().to_string())
    }

    fn run(&self, tool: &str, args: &[&str]) -> Option<Result<String, String>> {
        let mut key = tool.to_string();
        for a in args {
            key.push(' ');
            key.push_str(a);
        }
        self.listings.get(&key).cloned()
    }

    fn route_for(&self, to: IpAddr) -> Option<Interface> {
        match self.routes.get(&to) {
            Some(r) => r.clone(),
            None => self.default_route.clone(),
        }
    }

    fn memberships(&self) -> Result<Vec<GroupMembership>, String> {
        let read = |f: &str| self.read(&format!("/proc/net/{f}")).unwrap_or_default();
        let mut all = combine(
            &parse_igmp(&read("igmp")).map_err(|e| e.to_string())?,
            &parse_mcfilter(&read("mcfilter"), false).map_err(|e| e.to_string())?,
        );
        all.extend(combine(
            &parse_igmp6(&read("igmp6")).map_err(|e| e.to_string())?,
            &parse_mcfilter(&read("mcfilter6"), true).map_err(|e| e.to_string())?,
        ));
        Ok(all)
    }

    fn can_bind(&self, _v4: bool, _port: u16) -> Result<(), String> {
        self.bind.clone()
    }

    fn source_for(&self, _group: IpAddr, _ifindex: u32, _port: u16) -> Option<IpAddr> {
        None
    }
}
