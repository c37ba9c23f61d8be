//! Ctrl-C, SIGTERM and SIGHUP as a request to stop cleanly: loops poll `requested()` and wind
//! down.

use crate::error::{Error, Result};
use crate::sys;

/// Installs handlers for SIGINT, SIGTERM and SIGHUP that ask running loops to stop.
///
/// Blocking calls are interrupted (no SA_RESTART), so a loop waiting for a datagram sees the
/// request at once. Another signal a second or more after the first ends the process
/// immediately with status 130; one sooner is taken as the same request.
pub fn install() -> Result<()> {
    sys::install_stop_handler()
        .map_err(|e| Error::os("handle Ctrl-C, SIGTERM and SIGHUP", "sigaction", e))
}

/// True once SIGINT, SIGTERM or SIGHUP has arrived.
pub fn requested() -> bool {
    sys::stop_requested()
}
