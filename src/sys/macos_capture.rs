//! macOS has no packet socket: capturing is refused before any of this is reached
//! (`CAN_CAPTURE`), and these stand in so that the callers read the same on every system.

use std::io;
use std::time::Duration;

use super::{Captured, OsFailure};

/// Whether this system can capture (a Linux packet socket).
pub const CAN_CAPTURE: bool = false;

/// Never made on macOS.
#[derive(Debug)]
pub struct CaptureSocket;

fn unsupported() -> OsFailure {
    OsFailure {
        call: "socket(AF_PACKET)",
        error: io::ErrorKind::Unsupported.into(),
    }
}

pub fn capture_open(_ifindexes: &[u32]) -> Result<CaptureSocket, OsFailure> {
    Err(unsupported())
}

pub fn capture_open_group(
    _group: std::net::IpAddr,
    _ifindexes: &[u32],
) -> Result<CaptureSocket, OsFailure> {
    Err(unsupported())
}

impl CaptureSocket {
    pub fn recv(&mut self, _buf: &mut [u8], _timeout: Duration) -> io::Result<Option<Captured>> {
        Ok(None)
    }

    pub fn stats(&mut self) -> io::Result<(u64, u64)> {
        Ok((0, 0))
    }
}

/// macOS pipes grow by themselves and cannot be resized.
pub fn widen_pipe(_fd: std::os::fd::BorrowedFd<'_>, _bytes: usize) -> io::Result<usize> {
    Err(io::ErrorKind::Unsupported.into())
}

/// macOS has no capabilities: a capture is refused before this would matter.
pub fn net_raw_effective(_on: bool) -> io::Result<()> {
    Ok(())
}

/// macOS has no capabilities: nothing to give up.
pub fn net_raw_relinquish() -> io::Result<()> {
    Ok(())
}
