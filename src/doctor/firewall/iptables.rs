//! iptables rulesets, from `iptables-save` or `ip6tables-save`, rule by rule, into the chains
//! the firewall check judges. Options this reader does not know make a rule unjudged.

use std::net::IpAddr;

use super::{Chain, Cond, Field, Hook, Rule, Val, Verdict};

/// Reads iptables-save output; `v4` for iptables-save, false for ip6tables-save.
pub fn read(text: &str, v4: bool) -> Vec<Chain> {
    let tool = if v4 { "iptables" } else { "ip6tables" };
    let family = if v4 { "ip" } else { "ip6" };
    let mut chains: Vec<Chain> = Vec::new();
    let mut table = String::new();
    for line in text.lines().map(str::trim) {
        if let Some(t) = line.strip_prefix('*') {
            table = t.to_string();
        } else if let Some(decl) = line.strip_prefix(':') {
            let mut w = decl.split_whitespace();
            let (Some(name), Some(policy)) = (w.next(), w.next()) else {
                continue;
            };
            chains.push(Chain {
                tool,
                family: family.into(),
                table: table.clone(),
                name: name.into(),
                hook: Hook::from_name(name).filter(|_| policy != "-"),
                device: None,
                policy_drop: policy == "DROP",
                rules: Vec::new(),
            });
        } else if let Some(rest) = line.strip_prefix("-A ") {
            let words = split_words(rest);
            let Some((name, args)) = words.split_first() else {
                continue;
            };
            let Some(chain) = chains
                .iter_mut()
                .find(|c| c.table == table && &c.name == name)
            else {
                continue;
            };
            let (conds, verdict) = rule_of(args, v4);
            let number = chain.rules.len() + 1;
            chain.rules.push(Rule {
                text: format!("-A {rest}"),
                delete: format!("{tool} -t {table} -D {name} {number}"),
                conds,
                verdict,
            });
        }
    }
    chains
}

/// Words as iptables-save quotes them ("a comment" is one word).
fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn proto_number(p: &str) -> Option<u64> {
    match p {
        "udp" | "17" => Some(17),
        "tcp" | "6" => Some(6),
        "igmp" | "2" => Some(2),
        "icmp" | "1" => Some(1),
        "ipv6-icmp" | "icmpv6" | "58" => Some(58),
        _ => p.parse().ok(),
    }
}

fn prefix(s: &str) -> Option<Val> {
    let (addr, len) = s.split_once('/').map_or((s, None), |(a, l)| (a, Some(l)));
    let ip: IpAddr = addr.parse().ok()?;
    let full = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => full,
        Some(l) => l.parse().ok().filter(|l| *l <= full)?,
    };
    Some(Val::Prefix(ip, len))
}

/// "7777", "7000:8000", "5000,7777" as ranges.
fn ports(s: &str) -> Option<Vec<Val>> {
    s.split(',')
        .map(|p| {
            let (lo, hi) = p.split_once(':').unwrap_or((p, p));
            Some(Val::Range(lo.parse().ok()?, hi.parse().ok()?))
        })
        .collect()
}

fn rule_of(args: &[String], v4: bool) -> (Vec<Cond>, Verdict) {
    let mut conds = Vec::new();
    let mut verdict = Verdict::Next;
    let mut negate = false;
    let mut i = 0;
    let is = |field, negate, values| Cond::Is {
        field,
        negate,
        values,
    };
    while i < args.len() {
        let a = args[i].as_str();
        let next = args.get(i + 1).map(String::as_str);
        let mut took = 2;
        let cond = match (a, next) {
            ("!", _) => {
                negate = true;
                i += 1;
                continue;
            }
            ("-p", Some(p)) => {
                proto_number(p).map(|n| is(Field::Protocol, negate, vec![Val::Range(n, n)]))
            }
            ("-s", Some(s)) => prefix(s).map(|v| is(Field::Saddr, negate, vec![v])),
            ("-d", Some(d)) => prefix(d).map(|v| is(Field::Daddr, negate, vec![v])),
            ("-i", Some(n)) => Some(is(
                Field::InIface,
                negate,
                vec![Val::Word(n.replace('+', "*"))],
            )),
            ("-o", Some(n)) => Some(is(
                Field::OutIface,
                negate,
                vec![Val::Word(n.replace('+', "*"))],
            )),
            ("--dport" | "--destination-port" | "--dports" | "--destination-ports", Some(p)) => {
                ports(p).map(|v| is(Field::Dport, negate, v))
            }
            ("--sport" | "--source-port" | "--sports" | "--source-ports", Some(p)) => {
                ports(p).map(|v| is(Field::Sport, negate, v))
            }
            ("--pkt-type", Some(t)) => Some(is(Field::PktType, negate, vec![Val::Word(t.into())])),
            ("--icmpv6-type", Some(t)) => t
                .parse()
                .ok()
                .map(|n| is(Field::IcmpType, negate, vec![Val::Range(n, n)])),
            ("-f", _) => {
                took = 1;
                Some(is(Field::LaterFragment, negate, vec![Val::Range(1, 1)]))
            }
            // Modules that only name what the options after them test.
            ("-m", Some("udp" | "tcp" | "multiport" | "pkttype" | "icmp6" | "comment")) => {
                i += 2;
                continue;
            }
            ("--comment", Some(_)) => {
                i += 2;
                continue;
            }
            ("-j" | "-g", Some(t)) => {
                verdict = match (a, t) {
                    (_, "ACCEPT") => Verdict::Accept,
                    (_, "DROP" | "REJECT") => Verdict::Drop,
                    (_, "RETURN") => Verdict::Return,
                    (_, "LOG" | "NFLOG" | "MARK" | "CONNMARK" | "TRACE" | "CT") => Verdict::Next,
                    (_, "NFQUEUE" | "QUEUE") => Verdict::Unknown,
                    ("-j", chain) => Verdict::Jump(chain.into()),
                    (_, chain) => Verdict::Goto(chain.into()),
                };
                i += 2;
                negate = false;
                continue;
            }
            // Anything else (conntrack, limit, mark, an option's value we do not know).
            _ => Some(Cond::Opaque),
        };
        conds.push(cond.unwrap_or(Cond::Opaque));
        negate = false;
        i += took;
    }
    // The rule's family is its tool's.
    conds.push(is(
        Field::Family,
        false,
        vec![Val::Word(if v4 { "ipv4" } else { "ipv6" }.into())],
    ));
    (conds, verdict)
}
