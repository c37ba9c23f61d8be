//! Source-specific joins beyond what one socket may hold: the kernel bounds the sources of
//! one group on one socket (net.ipv4.igmp_max_msf, 10 by default; net.ipv6.mld_max_msf, 64),
//! so `ping` of many servers and `mesh` of many hosts spread their joins over more sockets.

use std::net::IpAddr;
use std::os::fd::AsFd;
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::{Error, ErrorKind, IfaceSpec, McastSocket, ScopedAddr};

/// Sockets for one family and group: the first made by the caller, the rest by `open` when
/// the ones before are full. `E` is the caller's error type, so that `open` may fail with
/// more than this crate's errors.
pub struct Lanes<E = Error> {
    /// The sockets, the first one's first: a join's index names one of them.
    pub socks: Vec<McastSocket>,
    open: Box<dyn Fn() -> Result<McastSocket, E>>,
}

impl<E: From<Error>> Lanes<E> {
    /// Lanes that start with `first` and open more with `open`.
    pub fn new(first: McastSocket, open: impl Fn() -> Result<McastSocket, E> + 'static) -> Self {
        Lanes {
            socks: vec![first],
            open: Box::new(open),
        }
    }

    /// Joins `group` from `source` on the last socket, or on a new one when that one holds
    /// as many sources as the kernel allows. Returns the index of the socket that joined.
    pub fn join(
        &mut self,
        group: &ScopedAddr,
        iface: Option<&IfaceSpec>,
        source: IpAddr,
    ) -> Result<usize, E> {
        let last = self.socks.len() - 1;
        match self.socks[last].join(group, iface, Some(source)) {
            Ok(()) => Ok(last),
            Err(e) if matches!(e.kind(), ErrorKind::MembershipLimit { sources: true, .. }) => {
                let mut sock = (self.open)()?;
                sock.join(group, iface, Some(source))?;
                self.socks.push(sock);
                Ok(last + 1)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Waits until any of `socks` has a datagram, or `timeout`.
pub fn wait_any<'a>(socks: impl Iterator<Item = &'a McastSocket>, timeout: Duration) {
    let mut fds: Vec<PollFd> = socks
        .map(|s| PollFd::new(s.as_fd(), PollFlags::POLLIN))
        .collect();
    // Rounded up, so a wait never ends before its deadline and spins.
    let ms = timeout.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
    let _ = poll(
        &mut fds,
        PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
    );
}
