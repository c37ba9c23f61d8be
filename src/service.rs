//! UDP services: a port number, or a name looked up in the services database like getservbyname.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Where the services database lives on Linux and macOS alike.
const SERVICES_FILE: &str = "/etc/services";

/// A UDP service: a port number (0 lets the system choose when binding) or a service name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Service {
    /// A port number.
    Port(u16),
    /// A name such as `echo`, resolved from the services database.
    Name(String),
}

impl Service {
    /// The port number, reading the services database for a name.
    pub fn port(&self) -> Result<u16> {
        match self {
            Service::Port(p) => Ok(*p),
            Service::Name(name) => {
                let text = std::fs::read_to_string(SERVICES_FILE).map_err(|e| {
                    Error::os(
                        format!("look up service '{name}'"),
                        "read(/etc/services)",
                        e,
                    )
                })?;
                lookup_udp_port(&text, name).ok_or_else(|| {
                    Error::invalid(
                        format!("service '{}'", name),
                        format!(
                            "no UDP service of that name in {SERVICES_FILE}; give a port number"
                        ),
                    )
                })
            }
        }
    }
}

/// Finds the UDP port of `name` (or of one of its aliases) in services(5) text.
pub fn lookup_udp_port(services: &str, name: &str) -> Option<u16> {
    services.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let official = fields.next()?;
        let (port, proto) = fields.next()?.split_once('/')?;
        if proto != "udp" {
            return None;
        }
        let named = official == name || fields.any(|alias| alias == name);
        named.then(|| port.parse().ok()).flatten()
    })
}

impl From<u16> for Service {
    fn from(port: u16) -> Self {
        Service::Port(port)
    }
}

impl FromStr for Service {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return s
                .parse()
                .map(Service::Port)
                .map_err(|_| Error::invalid(format!("port '{s}'"), "ports run from 0 to 65535"));
        }
        let valid = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.+".contains(&b));
        if !valid {
            return Err(Error::invalid(
                format!("port '{}'", s),
                "give a port number (0-65535) or a service name such as echo",
            ));
        }
        Ok(Service::Name(s.to_string()))
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Service::Port(p) => write!(f, "{p}"),
            Service::Name(n) => f.write_str(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = "\
# Network services, Internet style
tcpmux\t\t1/tcp\t\t\t\t# TCP port service multiplexer
echo\t\t7/tcp
echo\t\t7/udp
domain\t\t53/tcp
domain\t\t53/udp
ntp\t\t123/udp\t\t\t\t# Network Time Protocol
syslog\t\t514/udp
sieve\t\t4190/tcp
mdns\t\t5353/udp  bonjour # alias
";

    #[test]
    fn finds_udp_ports_and_aliases() {
        assert_eq!(lookup_udp_port(FIXTURE, "echo"), Some(7));
        assert_eq!(lookup_udp_port(FIXTURE, "ntp"), Some(123));
        assert_eq!(lookup_udp_port(FIXTURE, "bonjour"), Some(5353));
        assert_eq!(lookup_udp_port(FIXTURE, "sieve"), None, "tcp only");
        assert_eq!(
            lookup_udp_port(FIXTURE, "alias"),
            None,
            "comments are not names"
        );
        assert_eq!(lookup_udp_port(FIXTURE, "nope"), None);
    }

    #[test]
    fn parses_numbers_and_names() {
        assert_eq!("7777".parse::<Service>().unwrap(), Service::Port(7777));
        assert_eq!(
            "echo".parse::<Service>().unwrap(),
            Service::Name("echo".into())
        );
        let e = "70000".parse::<Service>().unwrap_err().to_string();
        assert!(e.contains("'70000'") && e.contains("0 to 65535"), "{e}");
        assert!("-1".parse::<Service>().is_ok_and(|s| s.port().is_err()));
        assert!("a b".parse::<Service>().is_err());
        assert!("".parse::<Service>().is_err());
    }
}
