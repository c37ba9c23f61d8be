//! The `mcast` binary's entry point.
fn main() {}
