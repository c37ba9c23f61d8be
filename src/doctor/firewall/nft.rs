//! nftables rulesets, from `nft --json list ruleset` (the structure) and `nft -a list
//! ruleset` (each rule's text, by handle), into the chains the firewall check judges.

use std::collections::HashMap;
use std::net::IpAddr;

use serde_json::Value;

use super::{Chain, Cond, Field, Hook, Rule, Val, Verdict};

/// Reads a ruleset: the JSON listing, and the text listing for each rule's words (matched by
/// handle). Tables that iptables-nft manages are left to the iptables reader when
/// `skip_iptables_nft`. None when the JSON is not nft's.
pub fn read(json: &str, text: &str, skip_iptables_nft: bool) -> Option<Vec<Chain>> {
    let v: Value = serde_json::from_str(json).ok()?;
    let items = v.get("nftables")?.as_array()?;
    let texts = rule_texts(text);
    let managed = managed_tables(text);
    let skip = |family: &str, table: &str| {
        skip_iptables_nft && managed.contains(&(family.to_string(), table.to_string()))
    };
    let mut sets: HashMap<(String, String, String), Vec<Val>> = HashMap::new();
    let mut chains: Vec<Chain> = Vec::new();
    for item in items {
        if let Some(s) = item.get("set") {
            let key = (str_of(s, "family"), str_of(s, "table"), str_of(s, "name"));
            let elems = s
                .get("elem")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let vals: Option<Vec<Vec<Val>>> = elems.iter().map(value).collect();
            if let Some(vals) = vals {
                sets.insert(key, vals.into_iter().flatten().collect());
            }
        } else if let Some(c) = item.get("chain") {
            let (family, table) = (str_of(c, "family"), str_of(c, "table"));
            if skip(&family, &table) {
                continue;
            }
            chains.push(Chain {
                tool: "nft",
                family,
                table,
                name: str_of(c, "name"),
                hook: c
                    .get("hook")
                    .and_then(Value::as_str)
                    .and_then(Hook::from_name),
                device: c.get("dev").and_then(Value::as_str).map(String::from),
                policy_drop: c.get("policy").and_then(Value::as_str) == Some("drop"),
                rules: Vec::new(),
            });
        } else if let Some(r) = item.get("rule") {
            let (family, table, name) =
                (str_of(r, "family"), str_of(r, "table"), str_of(r, "chain"));
            let handle = r.get("handle").and_then(Value::as_u64).unwrap_or(0);
            let Some(chain) = chains
                .iter_mut()
                .find(|c| c.family == family && c.table == table && c.name == name)
            else {
                continue;
            };
            let exprs = r
                .get("expr")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let (conds, verdict) = rule_of(&exprs, &sets, &family, &table);
            let text = texts
                .get(&(family.clone(), table.clone(), name.clone(), handle))
                .cloned()
                .unwrap_or_else(|| format!("handle {handle}"));
            chain.rules.push(Rule {
                text,
                delete: format!("nft delete rule {family} {table} {name} handle {handle}"),
                conds,
                verdict,
            });
        }
    }
    Some(chains)
}

fn str_of(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

/// Each rule's text by (family, table, chain, handle), from `nft -a list ruleset`.
fn rule_texts(text: &str) -> HashMap<(String, String, String, u64), String> {
    let mut out = HashMap::new();
    let (mut family, mut table, mut chain) = (String::new(), String::new(), String::new());
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["table", f, t, ..] => (family, table) = (f.to_string(), t.to_string()),
            ["chain", c, ..] => chain = c.to_string(),
            _ => {
                if let Some((rule, handle)) = line.rsplit_once(" # handle ")
                    && let Ok(h) = handle.trim().parse()
                    && !line.starts_with("set ")
                {
                    out.insert(
                        (family.clone(), table.clone(), chain.clone(), h),
                        rule.to_string(),
                    );
                }
            }
        }
    }
    out
}

/// Tables iptables-nft manages (its listing warns about each).
fn managed_tables(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let rest = l.split("table ").nth(1)?;
            let mut w = rest.split_whitespace();
            let (f, t) = (w.next()?, w.next()?);
            l.contains("managed by iptables-nft")
                .then(|| (f.to_string(), t.to_string()))
        })
        .collect()
}

/// Protocol and other words nft prints, as numbers.
fn number_of(word: &str) -> Option<u64> {
    Some(match word {
        "icmp" => 1,
        "igmp" => 2,
        "tcp" => 6,
        "udp" => 17,
        "ipv6-icmp" | "icmpv6" => 58,
        "mld-listener-query" => 130,
        "mld-listener-report" => 131,
        "mld-listener-done" | "mld-listener-reduction" => 132,
        "mld2-listener-report" => 143,
        "membership-query" => 0x11,
        "membership-report-v1" => 0x12,
        "membership-report-v2" => 0x16,
        "leave-group" => 0x17,
        "membership-report-v3" => 0x22,
        _ => return None,
    })
}

/// A right-hand side as values; None when it is not one this reader knows.
fn value(v: &Value) -> Option<Vec<Val>> {
    match v {
        Value::Number(n) => n.as_u64().map(|n| vec![Val::Range(n, n)]),
        Value::String(s) => Some(vec![if let Ok(ip) = s.parse::<IpAddr>() {
            Val::Prefix(ip, if ip.is_ipv4() { 32 } else { 128 })
        } else if let Some(n) = number_of(s) {
            Val::Range(n, n)
        } else {
            Val::Word(s.clone())
        }]),
        Value::Object(o) => {
            if let Some(r) = o.get("range").and_then(Value::as_array) {
                let lo = r.first()?.as_u64()?;
                let hi = r.get(1)?.as_u64()?;
                Some(vec![Val::Range(lo, hi)])
            } else if let Some(p) = o.get("prefix") {
                let ip: IpAddr = p.get("addr")?.as_str()?.parse().ok()?;
                Some(vec![Val::Prefix(
                    ip,
                    u8::try_from(p.get("len")?.as_u64()?).ok()?,
                )])
            } else if let Some(s) = o.get("set").and_then(Value::as_array) {
                let parts: Option<Vec<Vec<Val>>> = s.iter().map(value).collect();
                Some(parts?.into_iter().flatten().collect())
            } else {
                None
            }
        }
        _ => None,
    }
}

/// A left-hand side as a field, with the condition it implies (udp dport implies UDP;
/// ip daddr implies IPv4).
fn field(left: &Value) -> Option<(Field, Vec<Cond>)> {
    let is = |f: Field, v: Val| Cond::Is {
        field: f,
        negate: false,
        values: vec![v],
    };
    let fam = |w: &str| is(Field::Family, Val::Word(w.into()));
    let proto = |n: u64| is(Field::Protocol, Val::Range(n, n));
    if let Some(m) = left.get("meta") {
        let f = match m.get("key")?.as_str()? {
            "l4proto" => Field::Protocol,
            "nfproto" => Field::Family,
            "pkttype" => Field::PktType,
            "iifname" | "iif" => Field::InIface,
            "oifname" | "oif" => Field::OutIface,
            _ => return None,
        };
        return Some((f, vec![]));
    }
    let p = left.get("payload")?;
    let (protocol, name) = (p.get("protocol")?.as_str()?, p.get("field")?.as_str()?);
    Some(match (protocol, name) {
        ("ip", "saddr") => (Field::Saddr, vec![fam("ipv4")]),
        ("ip", "daddr") => (Field::Daddr, vec![fam("ipv4")]),
        ("ip", "protocol") => (Field::Protocol, vec![fam("ipv4")]),
        ("ip6", "saddr") => (Field::Saddr, vec![fam("ipv6")]),
        ("ip6", "daddr") => (Field::Daddr, vec![fam("ipv6")]),
        ("ip6", "nexthdr") => (Field::Protocol, vec![fam("ipv6")]),
        ("udp", "sport") => (Field::Sport, vec![proto(17)]),
        ("udp", "dport") => (Field::Dport, vec![proto(17)]),
        ("th", "sport") => (Field::Sport, vec![]),
        ("th", "dport") => (Field::Dport, vec![]),
        ("icmpv6", "type") => (Field::IcmpType, vec![fam("ipv6"), proto(58)]),
        ("igmp", "type") => (Field::IcmpType, vec![fam("ipv4"), proto(2)]),
        _ => return None,
    })
}

/// One match expression as conditions.
fn condition(
    m: &Value,
    sets: &HashMap<(String, String, String), Vec<Val>>,
    family: &str,
    table: &str,
) -> Vec<Cond> {
    let opaque = vec![Cond::Opaque];
    let (Some(op), Some(left), Some(right)) = (
        m.get("op").and_then(Value::as_str),
        m.get("left"),
        m.get("right"),
    ) else {
        return opaque;
    };
    // `ip frag-off & 0x1fff != 0`: a fragment after the first.
    if let Some(and) = left.get("&").and_then(Value::as_array)
        && and
            .first()
            .and_then(|l| l.get("payload"))
            .is_some_and(|p| p.get("field").and_then(Value::as_str) == Some("frag-off"))
        && and.get(1).and_then(Value::as_u64) == Some(0x1fff)
        && right.as_u64() == Some(0)
    {
        let negate = match op {
            "!=" => false,
            "==" => true,
            _ => return opaque,
        };
        return vec![
            Cond::Is {
                field: Field::Family,
                negate: false,
                values: vec![Val::Word("ipv4".into())],
            },
            Cond::Is {
                field: Field::LaterFragment,
                negate,
                values: vec![Val::Range(1, 1)],
            },
        ];
    }
    let Some((f, mut implied)) = field(left) else {
        return opaque;
    };
    let values = match right.as_str().and_then(|s| s.strip_prefix('@')) {
        Some(set) => sets
            .get(&(family.to_string(), table.to_string(), set.to_string()))
            .cloned(),
        None => value(right),
    };
    let Some(values) = values else { return opaque };
    let single = match values.as_slice() {
        [Val::Range(a, b)] if a == b => Some(*a),
        _ => None,
    };
    let (negate, values) = match (op, single) {
        ("==" | "in", _) => (false, values),
        ("!=", _) => (true, values),
        ("<", Some(n)) if n > 0 => (false, vec![Val::Range(0, n - 1)]),
        ("<=", Some(n)) => (false, vec![Val::Range(0, n)]),
        (">", Some(n)) => (false, vec![Val::Range(n + 1, u64::MAX)]),
        (">=", Some(n)) => (false, vec![Val::Range(n, u64::MAX)]),
        _ => return opaque,
    };
    implied.push(Cond::Is {
        field: f,
        negate,
        values,
    });
    implied
}

fn rule_of(
    exprs: &[Value],
    sets: &HashMap<(String, String, String), Vec<Val>>,
    family: &str,
    table: &str,
) -> (Vec<Cond>, Verdict) {
    let mut conds = Vec::new();
    let mut verdict = Verdict::Next;
    for e in exprs {
        let Some((key, body)) = e.as_object().and_then(|o| o.iter().next()) else {
            conds.push(Cond::Opaque);
            continue;
        };
        match key.as_str() {
            "match" => conds.extend(condition(body, sets, family, table)),
            "accept" => verdict = Verdict::Accept,
            "drop" | "reject" => verdict = Verdict::Drop,
            "return" => verdict = Verdict::Return,
            "continue" => verdict = Verdict::Next,
            "jump" | "goto" => {
                let target = body
                    .get("target")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                verdict = if key == "jump" {
                    Verdict::Jump(target)
                } else {
                    Verdict::Goto(target)
                };
            }
            "queue" => verdict = Verdict::Unknown,
            // Statements that change nothing about whether the packet passes.
            "counter" | "log" | "comment" | "mangle" | "notrack" | "meta" => {}
            // limit, quota, ct, xt and the rest decide in ways not read here.
            _ => conds.push(Cond::Opaque),
        }
    }
    (conds, verdict)
}
