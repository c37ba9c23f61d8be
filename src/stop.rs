//! Ctrl-C and SIGTERM as a request to stop cleanly: loops poll `requested()` and wind down.

use crate::error::{Error, Result};
use crate::sys;

/// Installs handlers for SIGINT and SIGTERM that ask running loops to stop.
///
/// Blocking calls are interrupted (no SA_RESTART), so a loop waiting for a datagram sees the
/// request at once. A second signal ends the process immediately with status 130.
pub fn install() -> Result<()> {
    sys::install_stop_handler().map_err(|e| Error::os("handle Ctrl-C and SIGTERM", "sigaction", e))
}

/// True once SIGINT or SIGTERM has arrived.
pub fn requested() -> bool {
    sys::stop_requested()
}
