//! Colour for people: doctor's statuses, ping's and mesh's verdicts, watch's warnings and
//! recv's host-drop lines. Decided once: `--color`, then NO_COLOR and CLICOLOR_FORCE, then
//! whether stdout is a terminal that takes colour (anstream's judgement). JSON never is.

use std::sync::atomic::{AtomicBool, Ordering};

/// When to colour.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Auto,
    Always,
    Never,
}

static ON: AtomicBool = AtomicBool::new(false);

/// Decides, for the whole run.
pub fn decide(when: When) {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    let on = match when {
        When::Always => true,
        When::Never => false,
        When::Auto if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) => false,
        When::Auto if set("CLICOLOR_FORCE") => true,
        When::Auto => {
            anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
        }
    };
    ON.store(on, Ordering::Relaxed);
}

/// The colours used.
#[derive(Debug, Clone, Copy)]
pub enum Paint {
    /// A failure, no reply, loss this host caused.
    Bad,
    /// A warning, unicast only.
    Warn,
    /// What works.
    Good,
    /// Not judged.
    Dim,
}

/// `text` in `paint` when colour is on; as it is otherwise.
pub fn paint(text: &str, paint: Paint) -> String {
    if !ON.load(Ordering::Relaxed) {
        return text.to_string();
    }
    let code = match paint {
        Paint::Bad => "1;31",
        Paint::Warn => "33",
        Paint::Good => "32",
        Paint::Dim => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}
