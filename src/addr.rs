//! Pure parsing of what users type: addresses with zones (`ff02::1%eth0`) and interface specs.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::error::{Error, Result};

/// Longest interface name Linux accepts (IFNAMSIZ - 1); macOS allows the same.
const MAX_IFNAME: usize = 15;

/// The interface that scopes an IPv6 address, written after `%`: a name or an index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Zone {
    /// An interface name, such as `eth0`.
    Name(String),
    /// An interface index, such as `3`.
    Index(u32),
}

/// An IP address with an optional zone: `234.2.3.4`, `ff02::1234%eth0`, `fe80::1%3`.
///
/// ```
/// use mcast::{ScopedAddr, Zone};
/// let g: ScopedAddr = "ff02::1234%eth0".parse().unwrap();
/// assert_eq!(g.zone, Some(Zone::Name("eth0".into())));
/// assert!(g.needs_interface());
/// assert!("234.2.3.4%eth0".parse::<ScopedAddr>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScopedAddr {
    /// The address.
    pub ip: IpAddr,
    /// The interface in scope, for IPv6 only.
    pub zone: Option<Zone>,
}

/// An interface as a user names it: by name, by index, or by one of its addresses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IfaceSpec {
    /// An interface name, such as `eth0`.
    Name(String),
    /// An interface index, such as `3`.
    Index(u32),
    /// An address of the interface: IPv4, or IPv6 scoped where needed (`fe80::1%eth0`).
    Addr(ScopedAddr),
}

impl ScopedAddr {
    /// An address with no zone.
    pub fn new(ip: IpAddr) -> Self {
        ScopedAddr { ip, zone: None }
    }

    /// True for IPv6 groups that only mean something on one link or one interface
    /// (ff01::/16, ff02::/16 and their flag variants): they need an interface.
    pub fn needs_interface(&self) -> bool {
        match self.ip {
            IpAddr::V6(v6) => {
                let scope = v6.segments()[0] & 0x000f;
                (v6.is_multicast() && (scope == 1 || scope == 2)) || is_link_local_unicast(v6)
            }
            IpAddr::V4(_) => false,
        }
    }
}

/// True for the source-specific multicast ranges, where only (S,G) joins get traffic:
/// 232.0.0.0/8 (RFC 4607) and ff3x::/32 (RFC 4607, RFC 3306 with prefix length 0).
pub fn is_ssm_range(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.octets()[0] == 232,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            s[0] & 0xfff0 == 0xff30 && s[1] == 0
        }
    }
}

/// fe80::/10, which `Ipv6Addr` only offers as an unstable method.
pub fn is_link_local_unicast(v6: Ipv6Addr) -> bool {
    v6.segments()[0] & 0xffc0 == 0xfe80
}

impl From<IpAddr> for ScopedAddr {
    fn from(ip: IpAddr) -> Self {
        ScopedAddr::new(ip)
    }
}

impl From<Ipv4Addr> for ScopedAddr {
    fn from(ip: Ipv4Addr) -> Self {
        ScopedAddr::new(IpAddr::V4(ip))
    }
}

impl From<Ipv6Addr> for ScopedAddr {
    fn from(ip: Ipv6Addr) -> Self {
        ScopedAddr::new(IpAddr::V6(ip))
    }
}

impl FromStr for Zone {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse().map(Zone::Index).map_err(|_| {
                Error::invalid(
                    format!("zone '%{s}'"),
                    "interface index out of range; use a name or a smaller index",
                )
            });
        }
        check_ifname(s).map(|()| Zone::Name(s.to_string()))
    }
}

/// Checks that `s` could be an interface name, so typos fail here rather than in the kernel.
fn check_ifname(s: &str) -> Result<()> {
    let context = || format!("interface '{}'", s);
    if s.is_empty() {
        return Err(Error::invalid(
            "interface ''",
            "empty name; give a name such as eth0, an index, or an address",
        ));
    }
    if s.len() > MAX_IFNAME {
        return Err(Error::invalid(
            context(),
            format!("names are at most {MAX_IFNAME} bytes long"),
        ));
    }
    if s == "."
        || s == ".."
        || s.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '/' | ':' | '%' | '[' | ']')
        })
    {
        return Err(Error::invalid(
            context(),
            "not an interface name, index or address (see `mcast ifaces`)",
        ));
    }
    Ok(())
}

impl FromStr for ScopedAddr {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| Error::invalid(format!("address '{s}'"), why);
        // The bracketed form people paste from URLs, [ff02::1%eth0] or [ff02::1]: one pair
        // of brackets around the whole, and only when it opens with one.
        let inner = match s.strip_prefix('[') {
            Some(rest) => rest
                .strip_suffix(']')
                .ok_or_else(|| bad("a '[' opens it but no ']' closes it"))?,
            None => s,
        };
        let (addr, zone) = match inner.split_once('%') {
            Some((a, z)) => (a, Some(z)),
            None => (inner, None),
        };
        let ip: IpAddr = addr.parse().map_err(|_| {
            Error::invalid(
                format!("address '{}'", s),
                "not an IPv4 or IPv6 address (examples: 234.2.3.4, ff02::1234%eth0)",
            )
        })?;
        if let IpAddr::V6(v6) = ip
            && let Some(v4) = v6.to_ipv4_mapped()
        {
            return Err(bad(&format!(
                "an IPv4-mapped IPv6 address; write it as {v4}"
            )));
        }
        let zone = match zone {
            None => None,
            Some(_) if ip.is_ipv4() => {
                return Err(Error::invalid(
                    format!("address '{}'", s),
                    "IPv4 addresses take no %zone; choose the interface with --interface",
                ));
            }
            Some(z) => Some(z.parse::<Zone>()?),
        };
        Ok(ScopedAddr { ip, zone })
    }
}

impl FromStr for IfaceSpec {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return match s.parse() {
                Ok(0) | Err(_) => Err(Error::invalid(
                    format!("interface '{s}'"),
                    "interface indexes start at 1 and fit 32 bits (see `mcast ifaces`)",
                )),
                Ok(i) => Ok(IfaceSpec::Index(i)),
            };
        }
        if let Ok(a) = s.parse::<ScopedAddr>() {
            return Ok(IfaceSpec::Addr(a));
        }
        // Something that looks like an address but did not parse is a bad address, not a name.
        let dotted = s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if s.contains('%') || dotted || s.matches(':').count() >= 2 {
            return s.parse::<ScopedAddr>().map(IfaceSpec::Addr);
        }
        check_ifname(s).map(|()| IfaceSpec::Name(s.to_string()))
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Name(n) => f.write_str(n),
            Zone::Index(i) => write!(f, "{i}"),
        }
    }
}

impl fmt::Display for ScopedAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.zone {
            Some(z) => write!(f, "{}%{}", self.ip, z),
            None => write!(f, "{}", self.ip),
        }
    }
}

impl fmt::Display for IfaceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IfaceSpec::Name(n) => f.write_str(n),
            IfaceSpec::Index(i) => write!(f, "{i}"),
            IfaceSpec::Addr(a) => write!(f, "{a}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scoped(s: &str) -> ScopedAddr {
        s.parse().unwrap()
    }

    #[test]
    fn groups_with_and_without_zones() {
        assert_eq!(
            scoped("234.2.3.4").ip,
            "234.2.3.4".parse::<IpAddr>().unwrap()
        );
        let g = scoped("ff02::1234%eth0");
        assert_eq!(g.zone, Some(Zone::Name("eth0".into())));
        assert_eq!(scoped("fe80::1%3").zone, Some(Zone::Index(3)));
        assert_eq!(scoped("[ff02::1234%eth0]"), g);
        assert_eq!(scoped("[ff0e::1]").ip, "ff0e::1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn display_parses_back() {
        for s in ["234.2.3.4", "ff02::1234%eth0", "fe80::1%3", "::"] {
            assert_eq!(scoped(s).to_string(), s);
        }
        for s in ["eth0", "3", "10.0.0.1", "fe80::1%eth0"] {
            assert_eq!(s.parse::<IfaceSpec>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn bad_addresses_name_the_value() {
        let e = "234.2.3".parse::<ScopedAddr>().unwrap_err().to_string();
        assert!(e.contains("'234.2.3'"), "{e}");
        let e = "234.2.3.4%eth0"
            .parse::<ScopedAddr>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("no %zone"), "{e}");
        let e = "ff02::1%".parse::<ScopedAddr>().unwrap_err().to_string();
        assert!(e.contains("empty name"), "{e}");
        let e = "ff02::1%a/b".parse::<ScopedAddr>().unwrap_err().to_string();
        assert!(e.contains("'a/b'"), "{e}");
        let e = "::ffff:239.1.1.1"
            .parse::<ScopedAddr>()
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("IPv4-mapped IPv6 address; write it as 239.1.1.1"),
            "{e}"
        );
    }

    #[test]
    fn the_ssm_ranges() {
        for g in [
            "232.0.0.0",
            "232.255.255.255",
            "ff3e::1",
            "ff35::8000:1",
            "ff3e:1::1",
        ] {
            let ip: IpAddr = g.parse().unwrap();
            assert_eq!(is_ssm_range(ip), g != "ff3e:1::1", "{g}");
        }
        for g in [
            "231.255.255.255",
            "233.0.0.0",
            "239.1.1.1",
            "ff1e::1",
            "ff2e::1",
            "ff4e::1",
            "fe3e::1",
        ] {
            assert!(!is_ssm_range(g.parse().unwrap()), "{g}");
        }
    }

    #[test]
    fn interface_names_follow_the_kernel_rules() {
        let name = |s: &str| {
            s.parse::<IfaceSpec>()
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        assert!(name("abcdefghijklmno").is_ok(), "15 bytes fit");
        assert!(
            name("abcdefghijklmnop")
                .unwrap_err()
                .contains("at most 15 bytes")
        );
        for bad in [".", "..", "a/b", "a:b", "a%b", "a[b", "a]b", "a b", "a\tb"] {
            assert!(name(bad).is_err(), "{bad:?} taken as a name");
        }
        assert!(name("eth0.100").is_ok() && name("br-lan_2").is_ok());
        // "." and ".." read as dotted addresses above; as zones they reach the name rules.
        for dots in [".", ".."] {
            let e = format!("ff02::1%{dots}").parse::<ScopedAddr>().unwrap_err();
            assert!(e.to_string().contains("not an interface name"), "{e}");
        }
        assert!("ff02::1%.a".parse::<ScopedAddr>().is_ok());
    }

    #[test]
    fn brackets_close_only_what_they_open() {
        // Found by the fuzzer: each read back as another zone, or as an index.
        for s in [
            "::%]]",
            "::%e]]",
            "::%0666666666]]",
            "::%e]",
            "[::%e",
            "[::]]",
        ] {
            assert!(s.parse::<ScopedAddr>().is_err(), "{s} parsed");
        }
        assert_eq!(scoped("[::%e]"), scoped("::%e"));
    }

    #[test]
    fn interface_specs() {
        assert_eq!(
            "eth0".parse::<IfaceSpec>().unwrap(),
            IfaceSpec::Name("eth0".into())
        );
        assert_eq!("7".parse::<IfaceSpec>().unwrap(), IfaceSpec::Index(7));
        assert!(matches!(
            "10.0.0.1".parse::<IfaceSpec>().unwrap(),
            IfaceSpec::Addr(_)
        ));
        assert!("0".parse::<IfaceSpec>().is_err());
        assert!("99999999999".parse::<IfaceSpec>().is_err());
        assert!("averyveryverylongname".parse::<IfaceSpec>().is_err());
        // A mistyped address is reported as an address, not taken as a name.
        let e = "10.0.0.300".parse::<IfaceSpec>().unwrap_err().to_string();
        assert!(e.contains("not an IPv4 or IPv6 address"), "{e}");
        assert!("fe80::zz".parse::<IfaceSpec>().is_err());
    }

    #[test]
    fn which_groups_need_an_interface() {
        assert!(scoped("ff02::1234").needs_interface());
        assert!(scoped("ff12::1").needs_interface());
        assert!(scoped("ff01::1").needs_interface());
        assert!(scoped("fe80::1").needs_interface());
        assert!(!scoped("ff05::1").needs_interface());
        assert!(!scoped("ff3e::1").needs_interface());
        assert!(!scoped("224.0.0.1").needs_interface());
    }
}
