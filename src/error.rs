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
    /// A join was refused because the socket already holds as many groups as the system
    /// allows, or the group as many sources as one filter may have.
    MembershipLimit {
        /// The setting that bounds it, e.g. `net.ipv4.igmp_max_memberships`.
        setting: &'static str,
        /// Its current value where it could be read.
        limit: Option<u64>,
        /// The kernel's default, shown where the value cannot be read.
        default: Option<u64>,
        /// True when the limit is on sources per group (`net.ipv4.igmp_max_msf`,
        /// `net.ipv6.mld_max_msf`), false when on groups per socket.
        sources: bool,
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
        limit: crate::sys::Limit,
        source: io::Error,
    ) -> Self {
        Error {
            context: context.into(),
            kind: ErrorKind::MembershipLimit {
                setting: limit.setting,
                limit: limit.value,
                default: limit.default,
                sources: limit.what == crate::sys::LimitOf::Sources,
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
                default,
                sources,
                ..
            } => {
                // The OS's own words ("No buffer space available") would mislead here.
                let value = match (limit, default) {
                    (Some(n), _) => format!("{setting} = {n}"),
                    (None, Some(d)) => format!("{setting}, {d} unless changed"),
                    (None, None) => format!("see {setting}"),
                };
                if *sources {
                    write!(
                        f,
                        "{}: the group already has the most sources one filter may hold \
                         ({value}); give fewer sources, or raise {setting}",
                        self.context
                    )
                } else {
                    write!(
                        f,
                        "{}: the socket holds the most groups the system allows ({value}); \
                         leave a group first, or raise {setting}",
                        self.context
                    )
                }
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
        // A limit's errno (ENOBUFS, ENOMEM) would mislead a reader of the chain: the limit
        // is the cause. `os_error` still has it.
        if matches!(self.kind, ErrorKind::MembershipLimit { .. }) {
            return None;
        }
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
        let limit = crate::sys::Limit {
            setting: "net.ipv4.igmp_max_memberships",
            value: Some(20),
            default: None,
            what: crate::sys::LimitOf::Groups,
        };
        let e = Error::membership_limit(
            "join 239.1.1.21 on eth0",
            limit,
            io::Error::from_raw_os_error(libc::ENOBUFS),
        );
        assert_eq!(
            e.to_string(),
            "join 239.1.1.21 on eth0: the socket holds the most groups the system allows \
             (net.ipv4.igmp_max_memberships = 20); leave a group first, or raise \
             net.ipv4.igmp_max_memberships"
        );
    }
}
