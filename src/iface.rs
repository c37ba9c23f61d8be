//! Network interfaces as getifaddrs(3) reports them, and resolution of what users call them.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use nix::ifaddrs::getifaddrs;
use nix::net::if_::InterfaceFlags;

use crate::addr::{IfaceSpec, ScopedAddr, Zone, is_link_local_unicast};
use crate::error::{Error, Result};
use crate::sys;

/// One network interface with all its addresses.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// Its name, such as `eth0`.
    pub name: String,
    /// Its index, the number the kernel knows it by.
    pub index: u32,
    /// Its state and capabilities.
    pub flags: Flags,
    /// Its MTU in bytes, where the system tells it.
    pub mtu: Option<u32>,
    /// Its hardware (MAC) address, where it has one.
    pub mac: Option<[u8; 6]>,
    /// Its IPv4 and IPv6 addresses, in the order the system lists them.
    pub addresses: Vec<IfAddress>,
}

/// The interface flags a multicast user cares about.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    /// Administratively up.
    pub up: bool,
    /// Operationally up (carrier present).
    pub running: bool,
    /// The loopback interface.
    pub loopback: bool,
    /// Supports broadcast.
    pub broadcast: bool,
    /// A point-to-point link.
    pub point_to_point: bool,
    /// Supports multicast: without it no group can be joined or sent to through it.
    pub multicast: bool,
    /// Receives every frame on the link.
    pub promiscuous: bool,
    /// Receives every multicast frame on the link.
    pub all_multicast: bool,
    /// Does not use ARP.
    pub no_arp: bool,
}

/// One address of an interface.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfAddress {
    /// The address; IPv6 link-local addresses carry no zone here, the zone being the interface.
    pub ip: IpAddr,
    /// The prefix length of its network.
    pub prefix_len: u8,
    /// The IPv4 broadcast address, where there is one.
    pub broadcast: Option<Ipv4Addr>,
}

/// How far an address reaches.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// This host only (loopback).
    Host,
    /// One link.
    Link,
    /// One site (deprecated IPv6 site-local fec0::/10).
    Site,
    /// Everywhere routing takes it.
    Global,
}

impl Flags {
    /// The set flags as lower-case words, in a fixed order: `up`, `running`, ...
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.up, "up"),
            (self.running, "running"),
            (self.loopback, "loopback"),
            (self.broadcast, "broadcast"),
            (self.point_to_point, "point-to-point"),
            (self.multicast, "multicast"),
            (self.promiscuous, "promisc"),
            (self.all_multicast, "allmulti"),
            (self.no_arp, "noarp"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }

    fn from_nix(f: InterfaceFlags) -> Self {
        Flags {
            up: f.contains(InterfaceFlags::IFF_UP),
            running: f.contains(InterfaceFlags::IFF_RUNNING),
            loopback: f.contains(InterfaceFlags::IFF_LOOPBACK),
            broadcast: f.contains(InterfaceFlags::IFF_BROADCAST),
            point_to_point: f.contains(InterfaceFlags::IFF_POINTOPOINT),
            multicast: f.contains(InterfaceFlags::IFF_MULTICAST),
            promiscuous: f.contains(InterfaceFlags::IFF_PROMISC),
            all_multicast: f.contains(InterfaceFlags::IFF_ALLMULTI),
            no_arp: f.contains(InterfaceFlags::IFF_NOARP),
        }
    }
}

impl Scope {
    /// The lower-case word `ip addr` uses for it.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Host => "host",
            Scope::Link => "link",
            Scope::Site => "site",
            Scope::Global => "global",
        }
    }
}

impl IfAddress {
    /// The scope, derived from the address as `ip addr` shows it by default.
    pub fn scope(&self) -> Scope {
        match self.ip {
            IpAddr::V4(v4) if v4.is_loopback() => Scope::Host,
            IpAddr::V4(v4) if v4.is_link_local() => Scope::Link,
            IpAddr::V4(_) => Scope::Global,
            IpAddr::V6(v6) if v6.is_loopback() => Scope::Host,
            IpAddr::V6(v6) if is_link_local_unicast(v6) => Scope::Link,
            IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfec0 => Scope::Site,
            IpAddr::V6(_) => Scope::Global,
        }
    }
}

impl Interface {
    /// Its first IPv4 address, used where an API wants an interface by address.
    pub fn ipv4(&self) -> Option<Ipv4Addr> {
        self.addresses.iter().find_map(|a| match a.ip {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })
    }

    fn has_ip(&self, ip: IpAddr) -> bool {
        self.addresses.iter().any(|a| a.ip == ip)
    }
}

/// Every interface of this host (of this thread's network namespace), ordered by index.
pub fn interfaces() -> Result<Vec<Interface>> {
    let entries = getifaddrs().map_err(|e| Error::os("list interfaces", "getifaddrs", e.into()))?;
    let mut by_name: BTreeMap<String, Interface> = BTreeMap::new();
    for entry in entries {
        let iface = by_name
            .entry(entry.interface_name.clone())
            .or_insert_with(|| Interface {
                name: entry.interface_name.clone(),
                index: 0,
                flags: Flags::from_nix(entry.flags),
                mtu: None,
                mac: None,
                addresses: Vec::new(),
            });
        let Some(address) = entry.address else {
            continue;
        };
        if let Some(link) = address.as_link_addr() {
            iface.mac = link.addr().or(iface.mac);
            // The link-layer entry carries the index: no if_nametoindex call needed.
            iface.index = u32::try_from(link.ifindex()).unwrap_or(0);
            continue;
        }
        let ip = match (address.as_sockaddr_in(), address.as_sockaddr_in6()) {
            (Some(v4), _) => IpAddr::V4(v4.ip()),
            (_, Some(v6)) => IpAddr::V6(v6.ip()),
            _ => continue,
        };
        let prefix_len =
            entry
                .netmask
                .map_or(0, |m| match (m.as_sockaddr_in(), m.as_sockaddr_in6()) {
                    (Some(v4), _) => u32::from(v4.ip()).count_ones() as u8,
                    (_, Some(v6)) => u128::from(v6.ip()).count_ones() as u8,
                    _ => 0,
                });
        let broadcast = entry
            .broadcast
            .and_then(|b| b.as_sockaddr_in().map(|b| b.ip()))
            // Without a configured broadcast, getifaddrs repeats the address itself here.
            .filter(|b| ip.is_ipv4() && iface.flags.broadcast && IpAddr::V4(*b) != ip);
        iface.addresses.push(IfAddress {
            ip,
            prefix_len,
            broadcast,
        });
    }
    let mut list: Vec<Interface> = by_name.into_values().collect();
    let mtus = sys::MtuReader::new();
    for iface in &mut list {
        if iface.index == 0 {
            iface.index = nix::net::if_::if_nametoindex(iface.name.as_str()).unwrap_or(0);
        }
        iface.mtu = mtus.as_ref().and_then(|r| r.mtu(iface.index));
    }
    list.retain(|i| i.index != 0);
    list.sort_by_key(|i| i.index);
    Ok(list)
}

/// The interface the routing table picks for sending to `group` when none is named, as the
/// kernel picks it for a join without one: found through the source address a connect()
/// chooses, which belongs to that interface. None when no route covers the group, or the
/// interface has no address of the group's family.
pub fn route_for(group: IpAddr) -> Option<Interface> {
    use socket2::{Domain, Socket, Type};
    let domain = if group.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let sock = Socket::new(domain, Type::DGRAM, None).ok()?;
    sock.connect(&std::net::SocketAddr::new(group, 9).into())
        .ok()?;
    let local = sock.local_addr().ok()?.as_socket()?;
    let list = interfaces().ok()?;
    let found = match local {
        std::net::SocketAddr::V6(v6) if v6.scope_id() != 0 => {
            list.iter().find(|i| i.index == v6.scope_id())
        }
        other => list.iter().find(|i| i.has_ip(other.ip())),
    };
    found.cloned()
}

/// The interface a user means by `spec`, with an error listing the known ones when none matches.
pub fn resolve(spec: &IfaceSpec) -> Result<Interface> {
    let list = interfaces()?;
    find(&list, spec)
        .cloned()
        .ok_or_else(|| unknown_interface(spec, &list))
}

/// The interface named by a zone (`%eth0`, `%3`).
pub fn resolve_zone(zone: &Zone) -> Result<Interface> {
    resolve(&match zone {
        Zone::Name(n) => IfaceSpec::Name(n.clone()),
        Zone::Index(i) => IfaceSpec::Index(*i),
    })
}

/// Looks `spec` up in a list already read.
pub fn find<'a>(list: &'a [Interface], spec: &IfaceSpec) -> Option<&'a Interface> {
    match spec {
        IfaceSpec::Name(n) => list.iter().find(|i| &i.name == n),
        IfaceSpec::Index(x) => list.iter().find(|i| i.index == *x),
        IfaceSpec::Addr(ScopedAddr { ip, zone }) => list.iter().find(|i| {
            i.has_ip(*ip)
                && match zone {
                    None => true,
                    Some(Zone::Name(n)) => &i.name == n,
                    Some(Zone::Index(x)) => i.index == *x,
                }
        }),
    }
}

fn unknown_interface(spec: &IfaceSpec, list: &[Interface]) -> Error {
    // Names come from the kernel, but root may put control bytes in one: keep them inert.
    let known: Vec<String> = list.iter().map(|i| i.name.clone()).collect();
    let what = match spec {
        IfaceSpec::Addr(a) => format!("no interface has address {a}"),
        _ => "no such interface".to_string(),
    };
    Error::invalid(
        format!("interface '{}'", spec),
        format!("{what}; known interfaces: {}", known.join(", ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_ip_addr() {
        let scope = |s: &str| {
            IfAddress {
                ip: s.parse().unwrap(),
                prefix_len: 0,
                broadcast: None,
            }
            .scope()
        };
        assert_eq!(scope("127.0.0.1"), Scope::Host);
        assert_eq!(scope("10.1.2.3"), Scope::Global);
        assert_eq!(scope("169.254.1.1"), Scope::Link);
        assert_eq!(scope("::1"), Scope::Host);
        assert_eq!(scope("fe80::1"), Scope::Link);
        assert_eq!(scope("fd00::1"), Scope::Global);
        assert_eq!(scope("fec0::1"), Scope::Site);
    }

    #[test]
    fn loopback_is_listed_and_unknown_names_list_the_known() {
        let list = interfaces().unwrap();
        let lo = list.iter().find(|i| i.flags.loopback).expect("a loopback");
        assert!(lo.index > 0 && lo.flags.up);
        let e = resolve(&IfaceSpec::Name("nosuch0".into()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("'nosuch0'") && e.contains(&lo.name), "{e}");
    }

    #[test]
    fn flag_names_are_ordered_words() {
        let f = Flags {
            up: true,
            multicast: true,
            ..Flags::default()
        };
        assert_eq!(f.names(), ["up", "multicast"]);
    }
}
