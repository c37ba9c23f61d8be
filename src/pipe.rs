//! Pipes between a fast receiver and its reader.

use std::os::fd::AsFd;

/// Asks the kernel to let the pipe behind `fd` hold `bytes`; returns what it granted.
///
/// Linux pipes hold 64 KiB by default: a receiver writing millions of lines a second into
/// one waits on its reader every 64 KiB. 1 MiB (the default ceiling for users) took
/// `mcast recv --json | reader` from about 1.8 to about 3 million lines a second. Fails when
/// `fd` is not a pipe, above the user's ceiling, and where pipes cannot be resized (macOS,
/// whose pipes grow by themselves): callers that only want speed ignore the error.
pub fn widen(fd: impl AsFd, bytes: usize) -> std::io::Result<usize> {
    crate::sys::widen_pipe(fd.as_fd(), bytes)
}
