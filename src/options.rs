//! Receive and send options: address and port sharing, outgoing interface, loop, TTL, precedence.

use crate::addr::IfaceSpec;
use crate::error::{Error, Result};
use crate::iface;
use crate::socket::{IpMode, McastSocket, os, os_call};
use crate::sys;

impl McastSocket {
    /// Sets the options a receiver sharing a group and port with others needs.
    /// None leaves the system's value.
    pub fn set_recv_options(
        &self,
        reuse_address: Option<bool>,
        reuse_port: Option<bool>,
    ) -> Result<()> {
        if let Some(on) = reuse_address {
            self.socket
                .set_reuse_address(on)
                .map_err(os_call("set receive options", "setsockopt(SO_REUSEADDR)"))?;
        }
        if let Some(on) = reuse_port {
            self.socket
                .set_reuse_port(on)
                .map_err(os_call("set receive options", "setsockopt(SO_REUSEPORT)"))?;
        }
        Ok(())
    }

    /// Sets how datagrams leave: through which interface (`forward_interface`), whether they
    /// loop back to this host, their TTL (IPv4) and hop limit (IPv6), and their IP precedence
    /// (0-7, the top three bits of the TOS byte or traffic class). None leaves the system's
    /// value. TTL 0 keeps multicast on this host; it leaves the IPv4 unicast TTL unchanged.
    pub fn set_send_options(
        &mut self,
        forward_interface: Option<&IfaceSpec>,
        loopback: Option<bool>,
        ttl: Option<u32>,
        precedence: Option<u8>,
    ) -> Result<()> {
        if let Some(spec) = forward_interface {
            let context = format!("send through interface {spec}");
            let i = iface::resolve(spec)?;
            if !i.flags.up || !i.flags.multicast {
                let (what, fix) = if i.flags.up {
                    ("has no MULTICAST flag", "multicast on")
                } else {
                    ("is down", "up")
                };
                return Err(Error::invalid(
                    context,
                    format!(
                        "interface {} {what}; `ip link set {} {fix}` fixes that",
                        i.name, i.name
                    ),
                ));
            }
            if self.mode.v4() {
                let r = sys::set_multicast_if_v4(&self.socket, i.index, i.ipv4());
                self.v4_level(r.map_err(os(&context)))?;
            }
            if self.mode.v6() {
                self.socket
                    .set_multicast_if_v6(i.index)
                    .map_err(os_call(&context, "setsockopt(IPV6_MULTICAST_IF)"))?;
                self.note_v6_multicast_if(i.index);
            }
            self.send_ifindex = Some(i.index);
        }
        if let Some(on) = loopback {
            let context = format!("turn multicast loop {}", if on { "on" } else { "off" });
            if self.mode.v4() {
                let r = self.socket.set_multicast_loop_v4(on);
                self.v4_level(r.map_err(os_call(&context, "setsockopt(IP_MULTICAST_LOOP)")))?;
            }
            if self.mode.v6() {
                self.socket
                    .set_multicast_loop_v6(on)
                    .map_err(os_call(&context, "setsockopt(IPV6_MULTICAST_LOOP)"))?;
            }
        }
        if let Some(ttl) = ttl {
            let context = format!("set TTL {ttl}");
            if ttl > 255 {
                return Err(Error::invalid(
                    context,
                    "TTL runs from 0 to 255 (1 stays on the link)",
                ));
            }
            if self.mode.v4() {
                let r = self.socket.set_multicast_ttl_v4(ttl);
                self.v4_level(r.map_err(os_call(&context, "setsockopt(IP_MULTICAST_TTL)")))?;
                // TTL 0 keeps multicast on this host; IPv4 unicast has no such TTL (the
                // kernel refuses it), so the unicast TTL is then left as it is.
                if ttl > 0 {
                    let r = self.socket.set_ttl_v4(ttl);
                    self.v4_level(r.map_err(os_call(&context, "setsockopt(IP_TTL)")))?;
                }
            }
            if self.mode.v6() {
                self.socket
                    .set_multicast_hops_v6(ttl)
                    .map_err(os_call(&context, "setsockopt(IPV6_MULTICAST_HOPS)"))?;
                self.socket
                    .set_unicast_hops_v6(ttl)
                    .map_err(os_call(&context, "setsockopt(IPV6_UNICAST_HOPS)"))?;
            }
        }
        if let Some(prec) = precedence {
            let context = format!("set IP precedence {prec}");
            if prec > 7 {
                return Err(Error::invalid(context, "precedence runs from 0 to 7"));
            }
            let tos = u32::from(prec) << 5;
            if self.mode.v4() {
                let r = self.socket.set_tos_v4(tos);
                self.v4_level(r.map_err(os_call(&context, "setsockopt(IP_TOS)")))?;
            }
            if self.mode.v6() {
                self.socket
                    .set_tclass_v6(tos)
                    .map_err(os_call(&context, "setsockopt(IPV6_TCLASS)"))?;
            }
        }
        Ok(())
    }

    /// An IPv4-level option's outcome. On a dual-stack socket where the OS may not take
    /// IPv4-level options (macOS), a refusal is not fatal: IPv6 still works.
    fn v4_level(&self, r: Result<()>) -> Result<()> {
        match r {
            Err(_) if self.mode == IpMode::Both && sys::V4_OPTIONS_ON_V6_OPTIONAL => Ok(()),
            r => r,
        }
    }
}
