//! The doctor's firewall check: the rulesets (nft, iptables-save, ip6tables-save), read
//! only, are judged rule by rule for the packets the group needs: its UDP arriving (or, with
//! --send, leaving), later fragments of big datagrams, and the IGMP/MLD that keeps the
//! membership alive (queries in, reports out). "No rule drops" is said only when every rule
//! on the way was judged.

use std::net::IpAddr;

use super::super::{Case, Check, Host, Status};
use super::{Chain, Hook, Packet, iptables, judge, nft};

const IN: &[Hook] = &[Hook::Ingress, Hook::Prerouting, Hook::Input];
const OUT: &[Hook] = &[Hook::Output, Hook::Postrouting];

/// What a packet is, in words, and what it costs when it is dropped.
struct Need {
    packet: Packet,
    hooks: &'static [Hook],
    what: String,
    /// Why a drop of it matters, beyond the obvious.
    consequence: &'static str,
    /// A drop of it is a warning, not a failure (later fragments: only big datagrams).
    minor: bool,
}

fn needs(case: &Case, host: &dyn Host, send: bool) -> Vec<Need> {
    let iface = case.join_interface(host).map(|i| i.name);
    let base = Packet {
        v4: case.v4(),
        protocol: 17,
        saddr: None,
        daddr: case.group,
        dport: case.port,
        port_unknown: case.port.is_none(),
        icmp_type: None,
        multicast: true,
        in_iface: if send { None } else { iface.clone() },
        out_iface: if send { iface.clone() } else { None },
        later_fragment: false,
    };
    let port = case.port.map_or("any port".into(), |p| format!("port {p}"));
    let mut out = Vec::new();
    let sources: Vec<Option<IpAddr>> = if case.sources.is_empty() || send {
        vec![None]
    } else {
        case.sources.iter().copied().map(Some).collect()
    };
    let way = if send { "leaving for" } else { "to" };
    for s in sources {
        let from = s.map_or(String::new(), |s| format!(" from {s}"));
        out.push(Need {
            packet: Packet {
                saddr: s,
                ..base.clone()
            },
            hooks: if send { OUT } else { IN },
            what: format!("UDP{from} {way} {} {port}", case.group),
            consequence: "",
            minor: false,
        });
    }
    out.push(Need {
        packet: Packet {
            later_fragment: true,
            ..base.clone()
        },
        hooks: if send { OUT } else { IN },
        what: format!("later fragments {way} {}", case.group),
        consequence: ": datagrams larger than the link's MTU never arrive whole",
        minor: true,
    });
    if send {
        return out;
    }
    let (query_to, query, report_to, report, name): (IpAddr, u8, IpAddr, u8, &str) = if case.v4() {
        (
            [224, 0, 0, 1].into(),
            0x11,
            [224, 0, 0, 22].into(),
            0x22,
            "IGMP",
        )
    } else {
        (
            "ff02::1".parse().unwrap_or(case.group),
            130,
            "ff02::16".parse().unwrap_or(case.group),
            143,
            "MLD",
        )
    };
    let control = Packet {
        protocol: if case.v4() { 2 } else { 58 },
        dport: None,
        port_unknown: false,
        ..base.clone()
    };
    out.push(Need {
        packet: Packet {
            daddr: query_to,
            icmp_type: Some(query),
            ..control.clone()
        },
        hooks: IN,
        what: format!("{name} queries arriving"),
        consequence: ": this host never hears the querier, so never answers it; the switch lets its membership expire and stops sending the group",
        minor: false,
    });
    out.push(Need {
        packet: Packet {
            daddr: report_to,
            icmp_type: Some(report),
            in_iface: None,
            out_iface: iface,
            ..control
        },
        hooks: OUT,
        what: format!("{name} membership reports leaving"),
        consequence: ": no membership report leaves, so the switch and routers never learn of the join and stop sending the group",
        minor: false,
    });
    out
}

/// Every ruleset this host lets us read, with the tools read and the reasons others were not.
fn rulesets(host: &dyn Host, v4: bool) -> (Vec<Chain>, Vec<&'static str>, Vec<String>) {
    let (mut chains, mut read, mut unread) = (Vec::new(), Vec::new(), Vec::new());
    let save = if v4 {
        "iptables-save"
    } else {
        "ip6tables-save"
    };
    let ipt = host.run(save, &[]);
    let ipt_read = matches!(ipt, Some(Ok(_)));
    match (
        host.run("nft", &["--json", "list", "ruleset"]),
        host.run("nft", &["-a", "list", "ruleset"]),
    ) {
        (Some(Ok(json)), Some(Ok(text))) => match nft::read(&json, &text, ipt_read) {
            Some(c) => {
                chains.extend(c);
                read.push("nft");
            }
            None => unread.push("nft: its JSON listing could not be read".to_string()),
        },
        (Some(Err(e)), _) | (_, Some(Err(e))) => unread.push(e),
        _ => {}
    }
    match ipt {
        Some(Ok(text)) => {
            chains.extend(iptables::read(&text, v4));
            read.push(save);
        }
        Some(Err(e)) => unread.push(e),
        None => {}
    }
    (chains, read, unread)
}

/// Whether a rule or a policy of the firewall drops what the group needs (its UDP in, or
/// out with `send`; later fragments; IGMP/MLD queries in and reports out).
pub fn firewall(case: &Case, host: &dyn Host, send: bool) -> Check {
    const C: &str = "firewall";
    let (chains, read, unread) = rulesets(host, case.v4());
    if read.is_empty() {
        if unread.is_empty() {
            return Check::new(
                C,
                Status::Skipped,
                "no firewall tool found (nft, iptables-save)",
            );
        }
        return Check::new(
            C,
            Status::Skipped,
            format!("the rules could not be read: {}", unread.join("; ")),
        )
        .fix("run as root to read the firewall, or check it by hand");
    }
    let (mut fails, mut warns, mut fixes, mut unjudged) = (vec![], vec![], vec![], vec![]);
    for need in needs(case, host, send) {
        let out = judge(&chains, &need.packet, need.hooks);
        let found = if need.minor { &mut warns } else { &mut fails };
        for (chain, rule) in &out.dropped_by {
            found.push(format!(
                "{}: `{}` ({}) drops {}{}",
                chain.tool,
                rule.text,
                chain.place(),
                need.what,
                need.consequence
            ));
            fixes.push(format!(
                "{} (or accept {} before it)",
                rule.delete, need.what
            ));
        }
        for chain in &out.policy {
            found.push(format!(
                "{}: the policy of {} drops {}, which no rule accepts{}",
                chain.tool,
                chain.place(),
                need.what,
                need.consequence
            ));
            fixes.push(format!("accept {} in {}", need.what, chain.place()));
        }
        for (chain, rule) in &out.unjudged {
            let entry = format!("{}: `{}` ({})", chain.tool, rule.text, chain.place());
            if !unjudged.contains(&entry) {
                unjudged.push(entry);
            }
        }
        for chain in &out.policy_unjudged {
            let entry = format!("{}: the drop policy of {}", chain.tool, chain.place());
            if !unjudged.contains(&entry) {
                unjudged.push(entry);
            }
        }
    }
    let tools = read.join(", ");
    let mut notes = Vec::new();
    if !unjudged.is_empty() {
        notes.push(format!(
            "not analysed (they may drop this traffic): {}",
            unjudged.join(" | ")
        ));
    }
    if !unread.is_empty() {
        notes.push(format!("not read: {}", unread.join("; ")));
    }
    let tail = if notes.is_empty() {
        String::new()
    } else {
        format!("; {}", notes.join("; "))
    };
    if !fails.is_empty() {
        let mut all = fails;
        all.extend(warns);
        return Check::new(
            C,
            Status::Fail,
            format!("read {tools}: {}{tail}", all.join("; ")),
        )
        .fix(fixes.join("; "));
    }
    if !warns.is_empty() || !notes.is_empty() {
        let said = if warns.is_empty() {
            "no rule judged drops it".to_string()
        } else {
            warns.join("; ")
        };
        let check = Check::new(C, Status::Warn, format!("read {tools}: {said}{tail}"));
        return if fixes.is_empty() {
            check.fix("check the rules not analysed by hand")
        } else {
            check.fix(fixes.join("; "))
        };
    }
    let control = if send {
        String::new()
    } else if case.v4() {
        ", IGMP queries in or reports out".to_string()
    } else {
        ", MLD queries in or reports out".to_string()
    };
    Check::new(
        C,
        Status::Ok,
        format!(
            "read {tools}: every rule on the way judged; none drops UDP {} {} {}{control}, and no policy does",
            if send { "leaving for" } else { "to" },
            case.group,
            case.port
                .map_or("on any port".into(), |p| format!("port {p}")),
        ),
    )
}
