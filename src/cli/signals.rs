//! The binary's own contact with the OS, beyond the library: the stop signals. The only
//! unsafe code of the binary, each block saying why it is sound.
#![allow(unsafe_code)]

/// Ctrl-C, SIGTERM and SIGHUP as a request to stop cleanly: loops poll `requested()` and
/// wind down.
pub mod stop {
    use std::io;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};

    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

    static STOP: AtomicBool = AtomicBool::new(false);
    /// Set by SIGQUIT (Ctrl-\\): print an interim summary, as ping does, and go on.
    static REPORT: AtomicBool = AtomicBool::new(false);
    /// When the first stop signal arrived, in CLOCK_MONOTONIC nanoseconds.
    static FIRST_NS: AtomicU64 = AtomicU64::new(0);
    /// A repeat closer than this to the first signal is the same request sent twice (GNU
    /// `timeout` signals the child, then its whole group), not an impatient user.
    const REPEAT_NS: u64 = 1_000_000_000;

    fn monotonic_ns() -> u64 {
        // SAFETY: timespec is plain old data; clock_gettime is async-signal-safe, writes
        // only into `ts`, and CLOCK_MONOTONIC always exists.
        let ts = unsafe {
            let mut ts: libc::timespec = std::mem::zeroed();
            libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts);
            ts
        };
        (ts.tv_sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(ts.tv_nsec as u64)
    }

    extern "C" fn on_report(_: libc::c_int) {
        REPORT.store(true, SeqCst);
    }

    extern "C" fn on_signal(_: libc::c_int) {
        let now = monotonic_ns();
        if !STOP.swap(true, SeqCst) {
            FIRST_NS.store(now, SeqCst);
            return;
        }
        if now.saturating_sub(FIRST_NS.load(SeqCst)) >= REPEAT_NS {
            // SAFETY: _exit is async-signal-safe. A request a second or more after the first
            // means "stop now"; by then the first has long been acted on (groups are left
            // before any more output).
            unsafe { libc::_exit(130) };
        }
    }

    /// Installs the handler for SIGINT, SIGTERM and SIGHUP, without SA_RESTART, so a
    /// blocking call (a wait for a datagram, a write to a full pipe) returns at once and the
    /// loop around it sees the request.
    pub fn install() -> anyhow::Result<()> {
        let action = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::empty(),
            SigSet::empty(),
        );
        for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
            // SAFETY: the handler only touches atomics and calls the async-signal-safe
            // clock_gettime and _exit.
            unsafe { sigaction(signal, &action) }.map_err(|e| {
                anyhow::anyhow!(
                    "handle Ctrl-C, SIGTERM and SIGHUP: sigaction: {}",
                    io::Error::from(e)
                )
            })?;
        }
        let report = SigAction::new(
            SigHandler::Handler(on_report),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        // SAFETY: the handler only stores to an atomic.
        unsafe { sigaction(Signal::SIGQUIT, &report) }
            .map_err(|e| anyhow::anyhow!("handle SIGQUIT: sigaction: {}", io::Error::from(e)))?;
        Ok(())
    }

    /// True once after each SIGQUIT: an interim summary was asked for.
    pub fn report_requested() -> bool {
        REPORT.swap(false, SeqCst)
    }

    /// True once SIGINT, SIGTERM or SIGHUP has arrived.
    pub fn requested() -> bool {
        STOP.load(SeqCst)
    }
}
