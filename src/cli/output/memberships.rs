//! The memberships the kernel holds, as JSON and as the table a person reads: what `mcast
//! groups` lists and `mcast join` shows of the groups it holds.

use std::io::Write;

use serde::Serialize;

use mcast::membership::{FilterMode, GroupMembership};

use super::escape::escape;

/// A membership as JSON; also used by `mcast join` to show what the kernel holds.
#[derive(Serialize)]
pub struct GroupJson {
    interface: String,
    index: u32,
    family: &'static str,
    group: String,
    users: Option<u32>,
    mode: &'static str,
    mode_inferred: bool,
    sources: Vec<String>,
    sources_known: bool,
    igmp_compat_mode: Option<String>,
    forced_mld_version: Option<u8>,
}

impl From<&GroupMembership> for GroupJson {
    fn from(m: &GroupMembership) -> Self {
        GroupJson {
            interface: m.interface.clone(),
            index: m.index,
            family: if m.group.is_ipv4() { "ipv4" } else { "ipv6" },
            group: m.group.to_string(),
            users: m.users,
            mode: mode_name(m.mode),
            mode_inferred: m.mode_inferred,
            sources: m.sources.iter().map(ToString::to_string).collect(),
            sources_known: m.sources_known,
            igmp_compat_mode: m.igmp_compat_mode.clone(),
            forced_mld_version: m.forced_mld_version,
        }
    }
}

fn mode_name(mode: FilterMode) -> &'static str {
    match mode {
        FilterMode::Include => "include",
        FilterMode::Exclude => "exclude",
        _ => "unknown",
    }
}

/// The table a person reads: one block per interface and family, aligned columns.
pub fn write_text(out: &mut impl Write, list: &[GroupMembership]) -> std::io::Result<()> {
    let width = list
        .iter()
        .map(|m| m.group.to_string().len())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut block = None;
    for m in list {
        let key = (m.index, m.group.is_ipv4());
        if block != Some(key) {
            block = Some(key);
            // Interface names are the kernel's, but root can put any byte but '/' in one.
            write!(
                out,
                "{} (index {})",
                escape(m.interface.as_bytes()),
                m.index
            )?;
            match (&m.igmp_compat_mode, m.forced_mld_version, m.group.is_ipv4()) {
                (Some(v), _, true) if v == "V3" => write!(out, ", IGMP compatibility mode V3")?,
                // Below V3, source-specific joins go out without their sources.
                (Some(v), _, true) => write!(
                    out,
                    ", IGMP compatibility mode {v} (an older querier was heard or {v} is forced: \
                     source-specific joins lose their sources)"
                )?,
                (_, Some(v), false) => write!(out, ", MLDv{v} forced")?,
                (_, None, false) => write!(out, ", MLD")?,
                _ => write!(out, ", IGMP")?,
            }
            writeln!(out)?;
            writeln!(out, "  {:<width$}  USERS  MODE      SOURCES", "GROUP")?;
        }
        let users = m.users.map_or("-".to_string(), |u| u.to_string());
        let mode = format!(
            "{}{}",
            mode_name(m.mode),
            if m.mode_inferred { "?" } else { "" }
        );
        let sources = if !m.sources_known {
            "unknown (the kernel does not list them)".to_string()
        } else if m.sources.is_empty() {
            "any".to_string()
        } else {
            m.sources
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            out,
            "  {:<width$}  {users:>5}  {mode:<8}  {sources}",
            m.group.to_string()
        )?;
    }
    Ok(())
}
