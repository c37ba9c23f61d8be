//! One room per command: a file for a small one, a folder for one with parts (its `mod.rs`
//! the run loop, its parts below). No command reaches into another's room: what two share
//! lives in the library or in `output/`.

pub mod doctor;
pub mod groups;
pub mod ifaces;
pub mod join;
pub mod mesh;
pub mod monitor;
pub mod ping;
pub mod recv;
pub mod reflect;
pub mod send;
pub mod watch;
