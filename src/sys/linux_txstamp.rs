//! Linux transmit timestamps: the kernel stamps each datagram as it leaves (software
//! SO_TIMESTAMPING), numbered in send order, and hands the stamps back on the error queue, so
//! a round trip can be measured from the wire rather than from before the send call.

use std::io::IoSliceMut;
use std::os::fd::AsRawFd;

use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, TimestampingFlag, recvmsg, setsockopt, sockopt,
};
use socket2::Socket;

use super::{OsFailure, epoch_ns};

/// Turns on software transmit stamps, numbered from 0 (OPT_ID), without the datagram's
/// bytes looped back (OPT_TSONLY).
pub fn enable_tx_timestamps(sock: &Socket) -> Result<bool, OsFailure> {
    let flags = TimestampingFlag::SOF_TIMESTAMPING_TX_SOFTWARE
        | TimestampingFlag::SOF_TIMESTAMPING_SOFTWARE
        | TimestampingFlag::SOF_TIMESTAMPING_OPT_ID
        | TimestampingFlag::SOF_TIMESTAMPING_OPT_TSONLY;
    setsockopt(sock, sockopt::Timestamping, &flags).map_err(|e| OsFailure {
        call: "setsockopt(SO_TIMESTAMPING)",
        error: e.into(),
    })?;
    Ok(true)
}

/// The stamps waiting on the error queue: (number of the send, ns since the Unix epoch).
pub fn tx_timestamps(sock: &Socket) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    loop {
        let mut buf = [0u8; 64];
        let mut iov = [IoSliceMut::new(&mut buf)];
        let mut space = nix::cmsg_space!(
            nix::sys::socket::Timestamps,
            libc::sock_extended_err,
            libc::sockaddr_in6
        );
        let flags = MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT;
        let Ok(msg) = recvmsg::<()>(sock.as_raw_fd(), &mut iov, Some(&mut space), flags) else {
            break;
        };
        let (mut stamp, mut id) = (None, None);
        if let Ok(cmsgs) = msg.cmsgs() {
            for c in cmsgs {
                match c {
                    ControlMessageOwned::ScmTimestampsns(t) => {
                        stamp = epoch_ns(t.system.tv_sec(), t.system.tv_nsec());
                    }
                    ControlMessageOwned::Ipv4RecvErr(e, _)
                    | ControlMessageOwned::Ipv6RecvErr(e, _)
                        if e.ee_origin == libc::SO_EE_ORIGIN_TIMESTAMPING =>
                    {
                        id = Some(e.ee_data);
                    }
                    _ => {}
                }
            }
        }
        if let (Some(ns), Some(id)) = (stamp, id) {
            out.push((id, ns));
        }
    }
    out
}
