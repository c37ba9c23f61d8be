//! The library's error type: what failed, on what, and why, in words a network engineer reads.

use std::fmt;
use std::io;

/// The result type of every fallible call in this library.
pub type Result<T> = std::result::Result<T, Error>;

/// An error that names the operation, the values it was applied to, and the cause.
///
/// Its `Display` reads like
/// `join 232.1.1.1 from 10.0.0.5 on eth0: setsockopt(MCAST_JOIN_SOURCE_GROUP): No such device`.
#[derive(Debug)]
pub struct Error {
    context: String,
    kind: ErrorKind,
}

/// Why an operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A value given by the caller cannot be used; `reason` says why and how to fix it.
    Invalid {
        /// What is wrong with the value, and the fix where there is one.
        reason: String,
    },
    /// The operating system refused a call.
    Os {
        /// The system call or socket option, e.g. `setsockopt(IP_MULTICAST_TTL)`.
        call: &'static str,
        /// The error the OS returned.
        source: io::Error,
    },
    /// A join was refused because the socket already holds as many groups as the system allows.
    MembershipLimit {
        /// The setting that bounds it, e.g. `net.ipv4.igmp_max_memberships`.
        setting: &'static str,
        /// Its current value where it could be read.
        limit: Option<u64>,
        /// The error the OS returned.
        source: io::Error,
    },
}

impl Error {
    /// An error about a value the caller gave.
    pub fn invalid(context: impl Into<String>, reason: impl Into<String>) -> Self {
        Error {
            context: context.into(),
            kind: ErrorKind::Invalid {
                reason: reason.into(),
            },
        }
    }

    /// An error returned by the OS from `call`.
    pub fn os(context: impl Into<String>, call: &'static str, source: io::Error) -> Self {
        Error {
            context: context.into(),
            kind: ErrorKind::Os { call, source },
        }
    }

    pub(crate) fn membership_limit(
        context: impl Into<String>,
        setting: &'static str,
        limit: Option<u64>,
        source: io::Error,
    ) -> Self {
        Error {
            context: context.into(),
            kind: ErrorKind::MembershipLimit {
                setting,
                limit,
                source,
            },
        }
    }

    /// What was being done when it failed, e.g. `join 239.1.1.1 on eth0`.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// Why it failed.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The OS error behind this one, if any.
    pub fn os_error(&self) -> Option<&io::Error> {
        match &self.kind {
            ErrorKind::Os { source, .. } | ErrorKind::MembershipLimit { source, .. } => {
                Some(source)
            }
            ErrorKind::Invalid { .. } => None,
        }
    }
}

impl Error {
    /// True when a leave failed because the kernel no longer holds the membership: its
    /// interface was removed (ENODEV) or it was dropped already (EADDRNOTAVAIL). There is
    /// nothing left to leave, so callers may take it as done.
    pub fn is_not_held(&self) -> bool {
        self.context.starts_with("leave ")
            && self
                .os_error()
                .and_then(io::Error::raw_os_error)
                .is_some_and(|c| c == libc::ENODEV || c == libc::EADDRNOTAVAIL)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Invalid { reason } => write!(f, "{}: {}", self.context, reason),
            ErrorKind::Os { call, source } => {
                write!(f, "{}: {}: {}", self.context, call, os_message(source))
            }
            ErrorKind::MembershipLimit {
                setting,
                limit,
                source,
            } => {
                write!(
                    f,
                    "{}: {}: the socket holds the most groups ",
                    self.context,
                    os_message(source)
                )?;
                match limit {
                    Some(n) => write!(f, "the system allows ({setting} = {n})")?,
                    None => write!(f, "the system allows (see {setting})")?,
                }
                write!(f, "; leave a group first, or raise {setting}")
            }
        }
    }
}

/// The OS's words for an error, without the " (os error N)" that people need not read.
pub fn os_message(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(at) if e.raw_os_error().is_some() => text[..at].to_string(),
        _ => text,
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.os_error()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_error_reads_operation_call_and_cause() {
        let e = Error::os(
            "join 232.1.1.1 from 10.0.0.5 on eth0",
            "setsockopt(MCAST_JOIN_SOURCE_GROUP)",
            io::Error::from_raw_os_error(libc::ENODEV),
        );
        assert_eq!(
            e.to_string(),
            "join 232.1.1.1 from 10.0.0.5 on eth0: setsockopt(MCAST_JOIN_SOURCE_GROUP): No such device"
        );
    }

    #[test]
    fn limit_error_names_the_setting_and_value() {
        let e = Error::membership_limit(
            "join 239.1.1.21 on eth0",
            "net.ipv4.igmp_max_memberships",
            Some(20),
            io::Error::from_raw_os_error(libc::ENOBUFS),
        );
        let text = e.to_string();
        assert!(
            text.contains("net.ipv4.igmp_max_memberships = 20"),
            "{text}"
        );
        assert!(text.starts_with("join 239.1.1.21 on eth0: "), "{text}");
    }
}
