//! Build facts for `mcast --version`: the git revision this was built from (when built from a
//! git checkout; a crate build has none and says nothing of it) and the target.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs");
    let rev = Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()));
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let target = std::env::var("TARGET").unwrap_or_default();
    let line = match rev {
        Some(rev) => format!("{version} (rev {rev}, {target})"),
        None => format!("{version} ({target})"),
    };
    println!("cargo:rustc-env=MCAST_VERSION_LINE={line}");
}
