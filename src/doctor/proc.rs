//! What the doctor reads of the host, as plain text turned into facts: sysctl values,
//! the kernel's counters (/proc/net/snmp, /proc/net/netstat), the UDP sockets holding a port
//! and the processes behind them, and multicast MAC addresses. Parsers are pure and tested; readers go through [`Host`].

use std::collections::HashMap;
use std::net::IpAddr;

use super::Host;

/// A sysctl as a number, read from /proc/sys (this thread's network namespace).
pub fn sysctl(host: &dyn Host, path: &str) -> Option<i64> {
    host.read(&format!("/proc/sys/{path}"))?.trim().parse().ok()
}

/// The counters of a /proc/net/snmp or /proc/net/netstat text, as "Prefix:Name" (for
/// example "Udp:InDatagrams", "TcpExt:IPReversePathFilter").
pub fn counters(text: &str) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    let lines: Vec<&str> = text.lines().collect();
    for pair in lines.chunks(2) {
        let [names, values] = pair else { continue };
        let (Some((p1, names)), Some((p2, values))) =
            (names.split_once(':'), values.split_once(':'))
        else {
            continue;
        };
        if p1 != p2 {
            continue;
        }
        for (n, v) in names.split_whitespace().zip(values.split_whitespace()) {
            if let Ok(v) = v.parse() {
                out.insert(format!("{p1}:{n}"), v);
            }
        }
    }
    out
}

/// Every counter of /proc/net/snmp and /proc/net/netstat now.
pub fn all_counters(host: &dyn Host) -> HashMap<String, u64> {
    let mut all = HashMap::new();
    for file in ["/proc/net/snmp", "/proc/net/netstat"] {
        if let Some(text) = host.read(file) {
            all.extend(counters(&text));
        }
    }
    all
}

/// A UDP socket of /proc/net/udp or udp6: its local address text, port and inode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpSocket {
    /// The address it is bound to, as text.
    pub local: String,
    /// Its port.
    pub port: u16,
    /// Its inode, which names it in /proc/PID/fd.
    pub inode: u64,
}

/// The sockets of a /proc/net/udp or /proc/net/udp6 text bound to `port`.
pub fn udp_sockets(text: &str, port: u16) -> Vec<UdpSocket> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (addr, p) = f.get(1)?.split_once(':')?;
            let p = u16::from_str_radix(p, 16).ok()?;
            let inode = f.get(9)?.parse().ok()?;
            (p == port).then(|| UdpSocket {
                local: local_text(addr),
                port: p,
                inode,
            })
        })
        .collect()
}

/// A /proc/net/udp address (hex, in the kernel's own byte order per 32-bit word) as text.
fn local_text(hex: &str) -> String {
    // By bytes: a line that is not the kernel's may cut a character in two.
    let words: Vec<u32> = hex
        .as_bytes()
        .chunks_exact(8)
        .filter_map(|w| u32::from_str_radix(std::str::from_utf8(w).ok()?, 16).ok())
        .collect();
    match words[..] {
        [w] => std::net::Ipv4Addr::from(w.swap_bytes()).to_string(),
        [a, b, c, d] => {
            let mut bytes = [0u8; 16];
            for (i, w) in [a, b, c, d].iter().enumerate() {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&w.swap_bytes().to_be_bytes());
            }
            std::net::Ipv6Addr::from(bytes).to_string()
        }
        _ => hex.to_string(),
    }
}

/// The processes holding socket `inode`, as "name (pid N)", where /proc lets us see them.
pub fn holders(host: &dyn Host, inode: u64) -> Vec<String> {
    let target = format!("socket:[{inode}]");
    let mut out = Vec::new();
    let mut pids: Vec<String> = host
        .read_dir("/proc")
        .into_iter()
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    // In the order of their numbers, so the answer does not depend on the directory's.
    pids.sort_by_key(|p| p.parse::<u64>().unwrap_or(u64::MAX));
    for pid in pids {
        let fds = host.read_dir(&format!("/proc/{pid}/fd"));
        let holds = fds.iter().any(|fd| {
            host.read_link(&format!("/proc/{pid}/fd/{fd}")).as_deref() == Some(target.as_str())
        });
        if holds {
            let comm = host.read(&format!("/proc/{pid}/comm")).unwrap_or_default();
            out.push(format!("{} (pid {pid})", comm.trim()));
        }
    }
    out
}

/// The Ethernet address a group is sent to: 01:00:5e and the low 23 bits of an IPv4 group,
/// 33:33 and the low 32 bits of an IPv6 one.
pub fn group_mac(g: IpAddr) -> [u8; 6] {
    match g {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            [0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]]
        }
        IpAddr::V6(v6) => {
            let o = v6.octets();
            [0x33, 0x33, o[12], o[13], o[14], o[15]]
        }
    }
}

/// A MAC address as six hex pairs ("01:00:5e:01:01:01").
pub fn mac_text(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_pair_the_header_and_value_lines() {
        let text = "Ip: Forwarding InReceives\nIp: 1 77\nUdp: InDatagrams NoPorts\nUdp: 5 2\n";
        let c = counters(text);
        assert_eq!(c["Ip:InReceives"], 77);
        assert_eq!((c["Udp:InDatagrams"], c["Udp:NoPorts"]), (5, 2));
        let netstat = "TcpExt: SyncookiesSent IPReversePathFilter\nTcpExt: 0 12\n";
        assert_eq!(counters(netstat)["TcpExt:IPReversePathFilter"], 12);
    }

    #[test]
    fn udp_sockets_of_a_port_with_their_addresses() {
        let v4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
                  0: 0100A8C0:1E61 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 0\n\
                  1: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 99 2 0000000000000000 0\n";
        let found = udp_sockets(v4, 7777);
        assert_eq!(
            found,
            [UdpSocket {
                local: "192.168.0.1".into(),
                port: 7777,
                inode: 4242
            }]
        );
        let v6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
                  0: 00000000000000000000000000000000:1E61 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 7 2 0000000000000000 0\n\
                  1: B80D0120000000000000000001000000:1E61 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 8 2 0000000000000000 0\n";
        let found = udp_sockets(v6, 7777);
        assert_eq!(found[0].local, "::");
        assert_eq!(found[1].local, "2001:db8::1");
    }

    #[test]
    fn an_address_that_is_not_hex_is_shown_as_it_came() {
        // Found by the doctor_listings fuzz target: a character across a word's boundary.
        let line = "h\n  0: 010200C\u{fffd}0:1E61 0:0 07 0:0 0:0 0 0 0 42 2 0 0\n";
        let found = udp_sockets(line, 7777);
        assert_eq!(found[0].local, "010200C\u{fffd}0");
        assert_eq!(found[0].inode, 42);
    }

    #[test]
    fn groups_map_to_their_mac_addresses() {
        let a = group_mac("239.1.1.1".parse().unwrap());
        let b = group_mac("239.129.1.1".parse().unwrap());
        assert_eq!(a, b, "only 23 bits of an IPv4 group reach the MAC");
        assert_eq!(mac_text(a), "01:00:5e:01:01:01");
        assert_eq!(
            mac_text(group_mac("ff15::1:2".parse().unwrap())),
            "33:33:00:01:00:02"
        );
    }
}
