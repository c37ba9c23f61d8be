//! macOS getifmaddrs(3), which neither libc nor nix wraps: an owning list freed on drop.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::membership::{FilterMode, GroupMembership};

#[repr(C)]
struct ifmaddrs {
    ifma_next: *mut ifmaddrs,
    ifma_name: *mut libc::sockaddr,
    ifma_addr: *mut libc::sockaddr,
    ifma_lladdr: *mut libc::sockaddr,
}

// SAFETY: the signatures match getifmaddrs(3) and freeifmaddrs(3) of macOS libc.
unsafe extern "C" {
    fn getifmaddrs(list: *mut *mut ifmaddrs) -> libc::c_int;
    fn freeifmaddrs(list: *mut ifmaddrs);
}

/// The list getifmaddrs returned; `freeifmaddrs` runs when it drops.
struct List {
    head: *mut ifmaddrs,
}

impl Drop for List {
    fn drop(&mut self) {
        // SAFETY: `head` came from a successful getifmaddrs and is freed exactly once.
        unsafe { freeifmaddrs(self.head) }
    }
}

/// Reads one entry: the interface index and the group, or None for link-layer entries.
///
/// # Safety
/// `entry` must point into a live list returned by getifmaddrs.
unsafe fn read_entry(entry: &ifmaddrs) -> Option<(u32, IpAddr)> {
    if entry.ifma_name.is_null() || entry.ifma_addr.is_null() {
        return None;
    }
    // SAFETY: the caller guarantees the list is live; ifma_name is a sockaddr_dl.
    let index = u32::from(unsafe { (*entry.ifma_name.cast::<libc::sockaddr_dl>()).sdl_index });
    // SAFETY: as above; sa_family says which sockaddr the address is.
    let family = i32::from(unsafe { (*entry.ifma_addr).sa_family });
    let ip = match family {
        libc::AF_INET => {
            // SAFETY: an AF_INET sockaddr is a sockaddr_in.
            let sin = unsafe { &*entry.ifma_addr.cast::<libc::sockaddr_in>() };
            IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)))
        }
        libc::AF_INET6 => {
            // SAFETY: an AF_INET6 sockaddr is a sockaddr_in6.
            let sin6 = unsafe { &*entry.ifma_addr.cast::<libc::sockaddr_in6>() };
            let mut bytes = sin6.sin6_addr.s6_addr;
            // KAME keeps the scope id of link- and interface-local groups in bytes 2-3;
            // the interface already says it, so clear them to show the real group.
            if bytes[0] == 0xff && matches!(bytes[1] & 0x0f, 1 | 2) {
                bytes[2] = 0;
                bytes[3] = 0;
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some((index, ip))
}

/// Every membership getifmaddrs lists; macOS shows no users, sources or mode.
pub fn memberships() -> crate::Result<Vec<GroupMembership>> {
    let mut head: *mut ifmaddrs = std::ptr::null_mut();
    // SAFETY: getifmaddrs writes a list head into `head` on success.
    if unsafe { getifmaddrs(&mut head) } != 0 {
        return Err(crate::Error::os(
            "list memberships",
            "getifmaddrs",
            io::Error::last_os_error(),
        ));
    }
    let list = List { head };
    let mut out = Vec::new();
    let mut cursor = list.head;
    while !cursor.is_null() {
        // SAFETY: `cursor` walks the live list owned by `list`.
        let entry = unsafe { &*cursor };
        // SAFETY: as above.
        if let Some((index, group)) = unsafe { read_entry(entry) } {
            let interface = nix::net::if_::if_indextoname(index)
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|_| index.to_string());
            out.push(GroupMembership {
                interface,
                index,
                group,
                users: None,
                mode: FilterMode::Unknown,
                mode_inferred: false,
                sources: Vec::new(),
                sources_known: false,
                igmp_compat_mode: None,
                forced_mld_version: None,
            });
        }
        cursor = entry.ifma_next;
    }
    out.sort_by_key(|m| (m.index, m.group.is_ipv6()));
    Ok(out)
}
