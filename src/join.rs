//! Joining and leaving groups: any-source and source-specific, tracked so all can be left.

use std::net::IpAddr;

use crate::addr::{IfaceSpec, ScopedAddr};
use crate::error::{Error, Result};
use crate::iface::{self, Interface};
use crate::socket::{IpMode, McastSocket, Membership, needs_interface, os};
use crate::sys::{self, Change};

const ALREADY_JOINED: &str = "this socket has joined it on that interface already (a group \
                              given without an interface is joined where its route points)";

impl McastSocket {
    /// Joins `group`, from any source or from `source` only (SSM).
    ///
    /// The interface is `ifaddr` (a name, index, or one of its addresses), or else the
    /// group's zone (`ff02::1%eth0`); with neither, the kernel chooses by route, which
    /// link-local and interface-local IPv6 groups do not allow.
    pub fn join(
        &mut self,
        group: &ScopedAddr,
        ifaddr: Option<&IfaceSpec>,
        source: Option<IpAddr>,
    ) -> Result<()> {
        let (mut membership, context) = self.membership(group, ifaddr, source, "join")?;
        if self.memberships.contains(&membership) {
            return Err(Error::invalid(context, ALREADY_JOINED));
        }
        let ifindex = membership.interface.as_ref().map_or(0, |i| i.0);
        sys::change_membership(
            &self.socket,
            Change::Join,
            group.ip,
            ifindex,
            source,
            self.mode != IpMode::V4,
        )
        .map_err(|f| {
            let code = f.error.raw_os_error();
            // The interface a join without one went to is named once joined: the route's.
            let on = membership
                .interface
                .clone()
                .or_else(|| iface::route_for(group.ip).map(|i| (i.index, i.name)));
            let adds_source = source.is_some()
                && self
                    .memberships
                    .iter()
                    .any(|m| m.group == group.ip && m.interface == on);
            let limit =
                code.and_then(|c| sys::membership_limit(group.ip.is_ipv4(), adds_source, c));
            if ifindex == 0 && code == Some(libc::ENODEV) {
                Error::invalid(
                    &context,
                    "no interface was given and no route picks one for this group: give an \
                     interface, or add a multicast route (ip route add 224.0.0.0/4 dev IFACE)",
                )
            } else if code == Some(libc::EADDRINUSE) {
                Error::invalid(&context, ALREADY_JOINED)
            } else if let Some(limit) = limit {
                Error::membership_limit(&context, limit, f.error)
            } else {
                os(&context)(f)
            }
        })?;
        if membership.interface.is_none() {
            // Named from now on: leaving by name still works once the route is gone (a
            // link that went down takes its routes with it), and the user can be told.
            // Only an interface the kernel now lists the group on is taken.
            let held = crate::membership::memberships().unwrap_or_default();
            membership.interface = iface::route_for(group.ip)
                .filter(|i| {
                    held.iter()
                        .any(|m| m.index == i.index && m.group == group.ip)
                })
                .map(|i| (i.index, i.name));
        }
        self.memberships.push(membership);
        Ok(())
    }

    /// Leaves a group joined before with the same group, interface and source.
    pub fn leave(
        &mut self,
        group: &ScopedAddr,
        ifaddr: Option<&IfaceSpec>,
        source: Option<IpAddr>,
    ) -> Result<()> {
        let (wanted, context) = self.membership(group, ifaddr, source, "leave")?;
        let explicit = ifaddr.is_some() || group.zone.is_some();
        let found = self.memberships.iter().position(|m| {
            m.group == wanted.group
                && m.source == wanted.source
                && (!explicit || m.interface == wanted.interface)
        });
        let Some(at) = found else {
            return Err(Error::invalid(context, "this socket has not joined it"));
        };
        let m = self.memberships.remove(at);
        self.drop_membership(&m)
    }

    /// Leaves every group this socket joined; returns how many. All are tried even when one
    /// fails; the first failure is returned.
    pub fn leave_all(&mut self) -> Result<usize> {
        let results = self.leave_each();
        let n = results.len();
        results
            .into_iter()
            .find_map(|(_, r)| r.err())
            .map_or(Ok(n), Err)
    }

    /// Leaves every group this socket joined, and says how each went. A membership whose
    /// leave fails is forgotten all the same: the kernel drops what is left at close.
    pub fn leave_each(&mut self) -> Vec<(Membership, Result<()>)> {
        let all = std::mem::take(&mut self.memberships);
        all.into_iter()
            .map(|m| {
                let done = self.drop_membership(&m);
                (m, done)
            })
            .collect()
    }

    fn drop_membership(&self, m: &Membership) -> Result<()> {
        let ifindex = m.interface.as_ref().map_or(0, |i| i.0);
        sys::change_membership(
            &self.socket,
            Change::Leave,
            m.group,
            ifindex,
            m.source,
            self.mode != IpMode::V4,
        )
        .map_err(os(describe("leave", m)))
    }

    /// Checks a join or leave request and resolves its interface.
    fn membership(
        &self,
        group: &ScopedAddr,
        ifaddr: Option<&IfaceSpec>,
        source: Option<IpAddr>,
        verb: &str,
    ) -> Result<(Membership, String)> {
        let mut context = format!("{verb} {group}");
        if let Some(s) = source {
            context.push_str(&format!(" from {s}"));
        }
        if let Some(i) = ifaddr {
            context.push_str(&format!(" on {i}"));
        }
        if !group.ip.is_multicast() {
            return Err(Error::invalid(
                context,
                format!(
                    "{} is not a multicast group (IPv4 224.0.0.0/4, IPv6 ff00::/8)",
                    group.ip
                ),
            ));
        }
        self.check_family(group.ip, &context)?;
        if let Some(s) = source {
            if s.is_ipv4() != group.ip.is_ipv4() {
                return Err(Error::invalid(
                    context,
                    format!(
                        "source {s} and group {} are of different families",
                        group.ip
                    ),
                ));
            }
            if s.is_multicast() || s.is_unspecified() {
                return Err(Error::invalid(
                    context,
                    format!("source {s} must be a unicast address of a sender"),
                ));
            }
        }
        let from_zone = group.zone.as_ref().map(iface::resolve_zone).transpose()?;
        let from_spec = ifaddr.map(iface::resolve).transpose()?;
        let iface: Option<Interface> = match (from_zone, from_spec) {
            (Some(z), Some(s)) if z.index != s.index => {
                return Err(Error::invalid(
                    context,
                    format!(
                        "the group's zone names {} but the interface given is {}; give one",
                        z.name, s.name
                    ),
                ));
            }
            (z, s) => s.or(z),
        };
        if iface.is_none() && group.needs_interface() {
            return Err(needs_interface(group, &context));
        }
        if let Some(i) = iface.as_ref().filter(|i| !i.flags.up) {
            return Err(Error::invalid(
                context,
                format!(
                    "interface {} is down; `ip link set {} up` brings it up",
                    i.name, i.name
                ),
            ));
        }
        if let Some(i) = iface.as_ref().filter(|i| !i.flags.multicast) {
            return Err(Error::invalid(
                context,
                format!(
                    "interface {} has no MULTICAST flag; `ip link set {} multicast on` enables it",
                    i.name, i.name
                ),
            ));
        }
        let membership = Membership {
            group: group.ip,
            interface: iface.map(|i| (i.index, i.name)),
            source,
        };
        Ok((membership, context))
    }
}

fn describe(verb: &str, m: &Membership) -> String {
    let mut s = format!("{verb} {}", m.group);
    if let Some(src) = m.source {
        s.push_str(&format!(" from {src}"));
    }
    if let Some((_, name)) = &m.interface {
        s.push_str(&format!(" on {name}"));
    }
    s
}
