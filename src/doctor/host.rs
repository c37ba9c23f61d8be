//! The one seam through which the doctor reads the host: files of /proc and /sys, the
//! listings of other programs (nft, iptables-save), and the few questions only the kernel
//! answers (a route, the memberships, whether a port can be shared). Checks take a `Host`,
//! so that a test can point them at a fixture tree instead of this machine.

use std::net::IpAddr;

use crate::iface::Interface;
use crate::membership::GroupMembership;

/// What the checks may ask of a host.
pub trait Host {
    /// The text of a file (an absolute path under /proc or /sys); None when unreadable.
    fn read(&self, path: &str) -> Option<String>;
    /// The names in a directory (empty when it cannot be listed).
    fn read_dir(&self, path: &str) -> Vec<String>;
    /// Where a symbolic link points (`socket:[4242]` for a socket's descriptor).
    fn read_link(&self, path: &str) -> Option<String>;
    /// Runs a read-only listing: Ok(its output), Err(what it said on failing), or None when
    /// the tool is not installed.
    fn run(&self, tool: &str, args: &[&str]) -> Option<Result<String, String>>;
    /// The interface the kernel would send to `to` by.
    fn route_for(&self, to: IpAddr) -> Option<Interface>;
    /// Every group membership this host holds.
    fn memberships(&self) -> Result<Vec<GroupMembership>, String>;
    /// Whether a receiver could bind `port` of the wildcard address with address reuse, as
    /// `mcast recv` does; Err says why not.
    fn can_bind(&self, v4: bool, port: u16) -> Result<(), String>;
    /// The source address a send to `group` out of interface `ifindex` would carry.
    fn source_for(&self, group: IpAddr, ifindex: u32, port: u16) -> Option<IpAddr>;
}

/// The names in directory `dir` that are UTF-8 (a PID's, a descriptor's); empty when it
/// cannot be listed.
pub(super) fn names_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir).map_or_else(
        |_| Vec::new(),
        |d| {
            d.flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        },
    )
}

/// The host this program runs on (in its network namespace).
#[derive(Debug, Clone, Copy, Default)]
pub struct System;

impl Host for System {
    fn read(&self, path: &str) -> Option<String> {
        // As bytes: a process or interface name need not be UTF-8.
        std::fs::read(path)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    fn read_dir(&self, path: &str) -> Vec<String> {
        names_in(std::path::Path::new(path))
    }

    fn read_link(&self, path: &str) -> Option<String> {
        std::fs::read_link(path)
            .ok()
            .map(|l| l.to_string_lossy().into_owned())
    }

    fn run(&self, tool: &str, args: &[&str]) -> Option<Result<String, String>> {
        let out = std::process::Command::new(tool).args(args).output().ok()?;
        Some(if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "{tool}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        })
    }

    fn route_for(&self, to: IpAddr) -> Option<Interface> {
        crate::iface::route_for(to)
    }

    fn memberships(&self) -> Result<Vec<GroupMembership>, String> {
        crate::membership::memberships().map_err(|e| e.to_string())
    }

    fn can_bind(&self, v4: bool, port: u16) -> Result<(), String> {
        use socket2::{Domain, Socket, Type};
        let (domain, any): (Domain, IpAddr) = if v4 {
            (Domain::IPV4, std::net::Ipv4Addr::UNSPECIFIED.into())
        } else {
            (Domain::IPV6, std::net::Ipv6Addr::UNSPECIFIED.into())
        };
        // Bound and let go at once: the socket closes when it goes out of scope.
        Socket::new(domain, Type::DGRAM, None)
            .and_then(|s| {
                s.set_reuse_address(true)?;
                s.bind(&std::net::SocketAddr::new(any, port).into())
            })
            .map_err(|e| crate::error::os_message(&e))
    }

    fn source_for(&self, group: IpAddr, ifindex: u32, port: u16) -> Option<IpAddr> {
        use crate::{IfaceSpec, IpMode, McastSocket, ScopedAddr, Service, Zone};
        let mut sock = McastSocket::new(IpMode::for_addr(group), false).ok()?;
        sock.set_send_options(Some(&IfaceSpec::Index(ifindex)), None, None, None)
            .ok()?;
        let mut to = ScopedAddr::from(group);
        if group.is_ipv6() {
            to.zone = Some(Zone::Index(ifindex));
        }
        sock.connect(&to, &Service::Port(port)).ok()?;
        sock.local_addr().ok().map(|a| a.ip())
    }
}
