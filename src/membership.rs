//! What the kernel holds: group memberships per interface, with source filters where known.
//!
//! On Linux they come from /proc/net/{igmp,igmp6,mcfilter,mcfilter6}, parsed here by pure
//! functions. The kernel prints no filter mode, so it is worked out from the counts, and
//! `mode_inferred` says when that was a guess. A kernel quirk hides source filters of whole
//! interfaces from mcfilter (see `combine`); such groups say `sources_known: false`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::{Error, Result};
use crate::sys;

/// Whether a group's source list names the sources wanted or the sources refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FilterMode {
    /// Only the listed sources are wanted (source-specific joins).
    Include,
    /// Every source but the listed ones is wanted; an empty list is an any-source join.
    Exclude,
    /// The OS shows nothing to tell the mode by (see the module docs).
    Unknown,
}

/// One group joined on one interface, as the kernel holds it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMembership {
    /// The interface's name.
    pub interface: String,
    /// The interface's index.
    pub index: u32,
    /// The group.
    pub group: IpAddr,
    /// How many joins hold it (sockets, and the kernel's own); None where the OS does not say.
    pub users: Option<u32>,
    /// The filter mode.
    pub mode: FilterMode,
    /// True when the mode was guessed from ambiguous counts rather than read.
    pub mode_inferred: bool,
    /// The sources of the filter; empty for any-source.
    pub sources: Vec<IpAddr>,
    /// False when the OS would not show this group's sources (see the module docs).
    pub sources_known: bool,
    /// IPv4: the host's IGMP compatibility mode on the interface, `V1`, `V2` or `V3`: V3
    /// unless an older querier was heard or a version is forced. It does not say whether
    /// any querier exists.
    pub igmp_compat_mode: Option<String>,
    /// IPv6: the MLD version forced on the interface (1 or 2), None when not forced.
    pub forced_mld_version: Option<u8>,
}

/// Every membership of this host (of this thread's network namespace).
pub fn memberships() -> Result<Vec<GroupMembership>> {
    sys::memberships()
}

/// A group line of /proc/net/igmp or /proc/net/igmp6, in listing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcGroup {
    /// Interface index.
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// The group.
    pub group: IpAddr,
    /// Users count.
    pub users: u32,
    /// IPv4 only: the host's IGMP compatibility mode on the interface (the file's
    /// "Querier" column).
    pub compat_mode: Option<String>,
}

/// A row of /proc/net/mcfilter or /proc/net/mcfilter6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterRow {
    /// Interface index (the name column is cut to 6 characters, so it is not kept).
    pub index: u32,
    /// The group.
    pub group: IpAddr,
    /// The source.
    pub source: IpAddr,
    /// Sockets whose filter includes the source.
    pub include: u32,
    /// Sockets whose filter excludes the source.
    pub exclude: u32,
}

fn bad_line(file: &str, n: usize, line: &str) -> Error {
    Error::invalid(
        format!("read {file} line {}", n + 1),
        format!("unexpected text '{}'", line),
    )
}

/// Parses /proc/net/igmp. Groups are hex of the network-order value printed as a host integer.
pub fn parse_igmp(text: &str) -> Result<Vec<ProcGroup>> {
    const FILE: &str = "/proc/net/igmp";
    let mut out = Vec::new();
    let mut current: Option<(u32, String, String)> = None;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with("Idx") || line.trim().is_empty() {
            continue;
        }
        let bad = || bad_line(FILE, n, line);
        if !line.starts_with('\t') {
            let (left, right) = line.split_once(':').ok_or_else(bad)?;
            let mut l = left.split_whitespace();
            let index = l.next().and_then(|i| i.parse().ok()).ok_or_else(bad)?;
            let name = l.next().ok_or_else(bad)?.to_string();
            let mode = right.split_whitespace().nth(1).unwrap_or("").to_string();
            current = Some((index, name, mode));
            continue;
        }
        let (index, name, mode) = current.as_ref().ok_or_else(bad)?;
        let mut f = line.split_whitespace();
        let hex = f.next().ok_or_else(bad)?;
        let raw = u32::from_str_radix(hex, 16).map_err(|_| bad())?;
        let users = f.next().and_then(|u| u.parse().ok()).ok_or_else(bad)?;
        out.push(ProcGroup {
            index: *index,
            name: name.clone(),
            group: IpAddr::V4(Ipv4Addr::from(raw.to_ne_bytes())),
            users,
            compat_mode: Some(mode.clone()).filter(|q| !q.is_empty()),
        });
    }
    Ok(out)
}

/// Parses /proc/net/igmp6: index, name, 32 hex digits in network order, users, flags, timer.
pub fn parse_igmp6(text: &str) -> Result<Vec<ProcGroup>> {
    const FILE: &str = "/proc/net/igmp6";
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || bad_line(FILE, n, line);
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 {
            return Err(bad());
        }
        out.push(ProcGroup {
            index: f[0].parse().map_err(|_| bad())?,
            name: f[1].to_string(),
            group: IpAddr::V6(parse_hex_v6(f[2]).ok_or_else(bad)?),
            users: f[3].parse().map_err(|_| bad())?,
            compat_mode: None,
        });
    }
    Ok(out)
}

fn parse_hex_v6(hex: &str) -> Option<Ipv6Addr> {
    (hex.len() == 32)
        .then(|| u128::from_str_radix(hex, 16).ok())
        .flatten()
        .map(Ipv6Addr::from)
}

/// Parses /proc/net/mcfilter (addresses in normal order, `0x` prefixed) or, with `v6`,
/// /proc/net/mcfilter6 (32 hex digits).
pub fn parse_mcfilter(text: &str, v6: bool) -> Result<Vec<FilterRow>> {
    let file = if v6 {
        "/proc/net/mcfilter6"
    } else {
        "/proc/net/mcfilter"
    };
    let addr = |s: &str| -> Option<IpAddr> {
        if v6 {
            parse_hex_v6(s).map(IpAddr::V6)
        } else {
            let hex = s.strip_prefix("0x")?;
            u32::from_str_radix(hex, 16)
                .ok()
                .map(|v| IpAddr::V4(Ipv4Addr::from(v)))
        }
    };
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("Idx") || line.trim().is_empty() {
            continue;
        }
        let bad = || bad_line(file, n, line);
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 6 {
            return Err(bad());
        }
        out.push(FilterRow {
            index: f[0].parse().map_err(|_| bad())?,
            group: addr(f[2]).ok_or_else(bad)?,
            source: addr(f[3]).ok_or_else(bad)?,
            include: f[4].parse().map_err(|_| bad())?,
            exclude: f[5].parse().map_err(|_| bad())?,
        });
    }
    Ok(out)
}

/// Joins one family's group listing with its filter rows.
///
/// The kernel's mcfilter listing starts at the first interface whose most recent group
/// (its first in the listing) has a source filter, and lists everything after it. So on
/// interfaces before that one only the first group is known to have no sources; the rest
/// are marked unknown rather than shown as any-source.
pub fn combine(groups: &[ProcGroup], rows: &[FilterRow]) -> Vec<GroupMembership> {
    let mut order: Vec<u32> = Vec::new();
    for g in groups {
        if order.last() != Some(&g.index) {
            order.push(g.index);
        }
    }
    let start = order
        .iter()
        .position(|i| rows.iter().any(|r| r.index == *i))
        .unwrap_or(order.len());
    let fully_listed = &order[start..];
    let mut by_group: HashMap<(u32, IpAddr), Vec<&FilterRow>> = HashMap::new();
    for r in rows {
        by_group.entry((r.index, r.group)).or_default().push(r);
    }
    let mut out = Vec::with_capacity(groups.len());
    let mut previous_index = None;
    for g in groups {
        let first_on_iface = previous_index != Some(g.index);
        previous_index = Some(g.index);
        // A group only the kernel itself holds has no source filter, listed or not.
        let kernel_only = g.users <= 1 && joined_by_kernel(g.group);
        let known = first_on_iface || kernel_only || fully_listed.contains(&g.index);
        let rows = by_group
            .get(&(g.index, g.group))
            .map_or(&[][..], |v| v.as_slice());
        let (mode, mode_inferred, sources) = filter_of(g.group, g.users, rows, known);
        out.push(GroupMembership {
            interface: g.name.clone(),
            index: g.index,
            group: g.group,
            users: Some(g.users),
            mode,
            mode_inferred,
            sources,
            sources_known: known,
            igmp_compat_mode: g.compat_mode.clone(),
            forced_mld_version: None,
        });
    }
    out
}

/// Groups the kernel joins on its own: all-hosts/all-nodes, and IPv6 solicited-node groups.
fn joined_by_kernel(group: IpAddr) -> bool {
    match group {
        IpAddr::V4(v4) => v4 == Ipv4Addr::new(224, 0, 0, 1),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let all_nodes = (s[0] == 0xff01 || s[0] == 0xff02)
                && v6.to_bits() & 0xffff_ffff == 1
                && s[1..7] == [0; 6];
            let solicited = s[0] == 0xff02 && s[1..5] == [0; 4] && s[5] == 1 && s[6] >> 8 == 0xff;
            all_nodes || solicited
        }
    }
}

/// The mode and sources that the counts support, and whether that was a guess.
fn filter_of(
    group: IpAddr,
    users: u32,
    rows: &[&FilterRow],
    known: bool,
) -> (FilterMode, bool, Vec<IpAddr>) {
    if !known {
        // Nothing to go by, but a group in the SSM ranges only gets traffic when joined
        // source-specific: a hint, said as a guess.
        return if crate::addr::is_ssm_range(group) {
            (FilterMode::Include, true, Vec::new())
        } else {
            (FilterMode::Unknown, false, Vec::new())
        };
    }
    if rows.is_empty() {
        return (FilterMode::Exclude, false, Vec::new());
    }
    if rows.iter().any(|r| r.exclude > 0) {
        let sources = rows
            .iter()
            .filter(|r| r.exclude > 0)
            .map(|r| r.source)
            .collect();
        return (FilterMode::Exclude, true, sources);
    }
    // Include-only rows. Each include-mode socket counts once per source it lists, so there
    // are between max(INC) and sum(INC) of them; users beyond that are any-source joiners,
    // which turn the group's mode to EXCLUDE with an empty list.
    // In u64 and saturating: the counts are the kernel's, but a parser takes any text.
    let max = rows.iter().map(|r| r.include).max().unwrap_or(0);
    let sum = rows
        .iter()
        .fold(0u64, |s, r| s.saturating_add(u64::from(r.include)));
    if u64::from(users) > sum {
        (FilterMode::Exclude, true, Vec::new())
    } else {
        let sources = rows.iter().map(|r| r.source).collect();
        (FilterMode::Include, users > max, sources)
    }
}

#[cfg(test)]
mod tests;
