//! The simplified pair: a sender and a receiver each fixed to one group and port.

use std::net::SocketAddr;

use crate::addr::{IfaceSpec, ScopedAddr};
use crate::error::Result;
use crate::service::Service;
use crate::socket::{Destination, IpMode, McastSocket};

/// Size of the receive buffer, as in the seed.
pub const RECEIVE_BUFFER: usize = 8192;

/// A socket that sends to one group and port.
#[derive(Debug)]
pub struct SenderMcastSocket {
    socket: McastSocket,
    destination: Destination,
}

/// A socket joined to one group that receives on one port.
#[derive(Debug)]
pub struct ReceiverMcastSocket {
    socket: McastSocket,
    buf: Box<[u8]>,
}

impl SenderMcastSocket {
    /// A sender to `group` and `service`, leaving through `interface` (or the group's zone,
    /// or the route the system picks).
    pub fn new(
        group: &ScopedAddr,
        service: &Service,
        interface: Option<&IfaceSpec>,
    ) -> Result<Self> {
        let mut socket = McastSocket::new(IpMode::for_addr(group.ip), false)?;
        if let Some(i) = interface {
            socket.set_send_options(Some(i), None, None, None)?;
        }
        let destination = socket.destination(group, service)?;
        Ok(SenderMcastSocket {
            socket,
            destination,
        })
    }

    /// Sends `data` (bytes, or text as UTF-8) as one datagram; returns the bytes sent.
    pub fn send(&self, data: impl AsRef<[u8]>) -> Result<usize> {
        self.socket.send_dest(data.as_ref(), &self.destination)
    }

    /// The socket underneath, for further options.
    pub fn socket(&mut self) -> &mut McastSocket {
        &mut self.socket
    }
}

impl ReceiverMcastSocket {
    /// A receiver bound to `service` and joined to `group` on `interface` (or the group's
    /// zone). Address and port reuse are on, so several receivers can share the group and
    /// port. `group` may be a unicast address of this host instead: the receiver is then
    /// bound to it, and has the port to itself (unicast datagrams go to one socket only).
    pub fn new(
        group: &ScopedAddr,
        service: &Service,
        interface: Option<&IfaceSpec>,
    ) -> Result<Self> {
        let mut socket = McastSocket::new(IpMode::for_addr(group.ip), false)?;
        if group.ip.is_multicast() {
            socket.set_recv_options(Some(true), Some(true))?;
            socket.bind(None, service)?;
            socket.join(group, interface, None)?;
        } else {
            socket.bind(Some(&IfaceSpec::Addr(group.clone())), service)?;
        }
        Ok(ReceiverMcastSocket {
            socket,
            buf: vec![0; RECEIVE_BUFFER].into_boxed_slice(),
        })
    }

    /// Waits for one datagram; returns its bytes (at most 8192) and its sender.
    pub fn receive(&mut self) -> Result<(&[u8], SocketAddr)> {
        let r = self.socket.recv_from(&mut self.buf)?;
        Ok((&self.buf[..r.len], r.source))
    }

    /// The socket underneath, for further options.
    pub fn socket(&mut self) -> &mut McastSocket {
        &mut self.socket
    }
}

impl std::os::fd::AsFd for SenderMcastSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

impl std::os::fd::AsRawFd for SenderMcastSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.socket.as_raw_fd()
    }
}

impl std::os::fd::AsFd for ReceiverMcastSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

impl std::os::fd::AsRawFd for ReceiverMcastSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.socket.as_raw_fd()
    }
}
