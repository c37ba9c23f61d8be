//! The namespace lab: throwaway network namespaces ("hosts") on one bridge, torn down on drop.
//!
//! Every datagram a test sends stays inside namespaces made here. The host's own interfaces,
//! addresses and routes are never touched: the bridge lives in a "switch" namespace of its
//! own, and each veth pair is created between that namespace and a host namespace.
#![allow(dead_code)]

use std::fs::File;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use nix::sched::{CloneFlags, setns};

/// The interface name every lab host has.
pub const IFACE: &str = "eth0";

pub mod routed;
pub mod spoof;

pub(crate) static NEXT_LAB: AtomicUsize = AtomicUsize::new(0);

/// A set of hosts on one link.
pub struct Lab {
    switch: String,
    hosts: Vec<Host>,
    /// The namespace the building thread was in, restored on drop after `Host::enter`.
    origin: File,
}

/// One lab host: a network namespace with `eth0` on the lab's link.
#[derive(Clone, Debug)]
pub struct Host {
    /// The namespace's name under /run/netns.
    pub ns: String,
    /// Its IPv4 address on eth0 (TEST-NET-1, 192.0.2.0/24).
    pub v4: Ipv4Addr,
    /// Its global IPv6 address on eth0 (documentation prefix 2001:db8::/32).
    pub v6: Ipv6Addr,
}

pub(crate) fn ip(args: &[&str]) -> Output {
    let out = Command::new("ip").args(args).output().unwrap_or_else(|e| {
        panic!("the lab needs iproute2's `ip` (apt-get install iproute2): {e}")
    });
    if !out.status.success() {
        panic!(
            "the lab could not run `ip {}`: {} (the lab needs root or CAP_NET_ADMIN)",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    out
}

/// Removes namespaces left by lab processes that died without tearing down.
pub(crate) fn sweep_stale() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        let Some(rest) = name.strip_prefix("mcl-") else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let dead = pid.is_some_and(|p| !std::path::Path::new(&format!("/proc/{p}")).exists());
        if dead {
            let _ = Command::new("ip").args(["netns", "del", name]).output();
        }
    }
}

impl Lab {
    /// Builds `n` hosts (192.0.2.1.., 2001:db8::1..) joined by a bridge.
    pub fn new(n: usize) -> Lab {
        if !nix::unistd::geteuid().is_root() {
            panic!(
                "the lab needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN) to make network namespaces"
            );
        }
        sweep_stale();
        let id = NEXT_LAB.fetch_add(1, Ordering::Relaxed);
        let base = format!("mcl-{}-{id}", std::process::id());
        let switch = format!("{base}-sw");
        ip(&["netns", "add", &switch]);
        let mut lab = Lab {
            switch: switch.clone(),
            hosts: Vec::new(),
            origin: File::open("/proc/thread-self/ns/net").expect("open this thread's namespace"),
        };
        ip(&[
            "-n",
            &switch,
            "link",
            "add",
            "br0",
            "type",
            "bridge",
            "mcast_snooping",
            "0",
        ]);
        ip(&["-n", &switch, "link", "set", "br0", "up"]);
        for i in 1..=n {
            let host = Host {
                ns: format!("{base}-h{i}"),
                v4: Ipv4Addr::new(192, 0, 2, i as u8),
                v6: format!("2001:db8::{i}").parse().unwrap(),
            };
            ip(&["netns", "add", &host.ns]);
            lab.hosts.push(host.clone());
            // No duplicate address detection: addresses are usable at once, and unique here.
            host.run(|| {
                for conf in ["all", "default"] {
                    std::fs::write(format!("/proc/sys/net/ipv6/conf/{conf}/accept_dad"), "0")
                        .expect("set accept_dad");
                }
            });
            let port = format!("p{i}");
            ip(&[
                "-n", &switch, "link", "add", &port, "type", "veth", "peer", "name", IFACE,
                "netns", &host.ns,
            ]);
            ip(&["-n", &switch, "link", "set", &port, "master", "br0", "up"]);
            ip(&["-n", &host.ns, "link", "set", "lo", "up"]);
            ip(&[
                "-n",
                &host.ns,
                "addr",
                "add",
                &format!("{}/24", host.v4),
                "dev",
                IFACE,
            ]);
            ip(&[
                "-n",
                &host.ns,
                "addr",
                "add",
                &format!("{}/64", host.v6),
                "dev",
                IFACE,
                "nodad",
            ]);
            ip(&["-n", &host.ns, "link", "set", IFACE, "up"]);
            // IPv4 multicast needs a route when no interface is named; this keeps it on eth0.
            ip(&["-n", &host.ns, "route", "add", "224.0.0.0/4", "dev", IFACE]);
        }
        for host in &lab.hosts {
            host.wait_ready();
        }
        lab
    }

    /// Host `i`, counted from 1.
    pub fn host(&self, i: usize) -> &Host {
        &self.hosts[i - 1]
    }

    /// Loads an nft ruleset into the switch's namespace (its ports are p1, p2, ... for
    /// hosts 1, 2, ...): faults on the wire, such as duplicated or dropped frames.
    pub fn switch_nft(&self, rules: &str) {
        Host {
            ns: self.switch.clone(),
            v4: Ipv4Addr::UNSPECIFIED,
            v6: Ipv6Addr::UNSPECIFIED,
        }
        .nft(rules);
    }

    /// Sets the MTU of the switch's port to host `n`: a link on the way that carries less.
    pub fn port_mtu(&self, n: usize, mtu: u32) {
        let port = format!("p{n}");
        ip(&[
            "-n",
            &self.switch,
            "link",
            "set",
            "dev",
            &port,
            "mtu",
            &mtu.to_string(),
        ]);
    }

    /// Stops the bridge's querier (snooping stays on): the querier went away.
    pub fn querier_off(&self) {
        ip(&[
            "-n",
            &self.switch,
            "link",
            "set",
            "br0",
            "type",
            "bridge",
            "mcast_querier",
            "0",
        ]);
    }

    /// Makes the lab's bridge a querier (snooping on) speaking IGMP `igmp` and MLD `mld`,
    /// querying every second from 192.0.2.254 (and its link-local address), with host
    /// `watcher`'s port a router port, so it hears every report as a router would.
    pub fn querier(&self, igmp: u8, mld: u8, watcher: usize) {
        let sw = &self.switch;
        ip(&["-n", sw, "addr", "add", "192.0.2.254/24", "dev", "br0"]);
        let (igmp, mld) = (igmp.to_string(), mld.to_string());
        // Intervals in hundredths of a second.
        ip(&[
            "-n",
            sw,
            "link",
            "set",
            "br0",
            "type",
            "bridge",
            "mcast_snooping",
            "1",
            "mcast_querier",
            "1",
            "mcast_query_use_ifaddr",
            "1",
            "mcast_igmp_version",
            &igmp,
            "mcast_mld_version",
            &mld,
            "mcast_query_interval",
            "100",
            "mcast_query_response_interval",
            "50",
            "mcast_startup_query_interval",
            "100",
        ]);
        let port = format!("p{watcher}");
        let out = Command::new("bridge")
            .args(["-n", sw, "link", "set", "dev", &port, "mcast_router", "2"])
            .output()
            .expect("bridge (iproute2)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = setns(&self.origin, CloneFlags::CLONE_NEWNET);
        // Deleting a namespace destroys its end of every veth pair, and so the pair.
        for name in self.hosts.iter().map(|h| &h.ns).chain([&self.switch]) {
            let _ = Command::new("ip").args(["netns", "del", name]).output();
        }
    }
}

impl Host {
    /// Runs `f` on a thread inside this host's namespace and returns what it returns.
    /// A panic inside `f` fails the calling test with the same message.
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        match self.spawn(f).join() {
            Ok(v) => v,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// Moves the calling thread into this host's namespace: sockets it makes from now on,
    /// and interfaces it looks up, are this host's. The lab's drop moves it back.
    pub fn enter(&self) {
        let path = format!("/run/netns/{}", self.ns);
        let ns = File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
        setns(ns, CloneFlags::CLONE_NEWNET).unwrap_or_else(|e| panic!("setns {path}: {e}"));
    }

    /// Starts `f` on a thread inside this host's namespace.
    pub fn spawn<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> JoinHandle<T> {
        let path = format!("/run/netns/{}", self.ns);
        thread::spawn(move || {
            let ns = File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
            setns(ns, CloneFlags::CLONE_NEWNET).unwrap_or_else(|e| panic!("setns {path}: {e}"));
            f()
        })
    }

    /// Runs a command inside this host's namespace and returns what it printed.
    pub fn exec(&self, program: &str, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.ns, program])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("run {program} in {}: {e}", self.ns))
    }

    /// Loads an nft ruleset (`nft -f -`) into this host's namespace: a fault made for real,
    /// gone with the namespace. Fails the test when nft refuses it.
    pub fn nft(&self, rules: &str) {
        use std::io::Write;
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.ns, "nft", "-f", "-"])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("nft (apt-get install nftables)");
        child
            .stdin
            .take()
            .expect("nft's stdin")
            .write_all(rules.as_bytes())
            .expect("write the rules to nft");
        let out = child.wait_with_output().expect("nft");
        assert!(
            out.status.success(),
            "nft in {}: {}\n{rules}",
            self.ns,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Drops UDP to `port` arriving at this host (nft, input hook).
    pub fn drop_udp_port(&self, port: u16) {
        self.nft(&format!(
            "table inet labfault {{\n chain input {{\n type filter hook input priority 0;\n \
             udp dport {port} drop\n }}\n}}\n"
        ));
    }

    /// `ip maddr show dev eth0` in this host: the kernel's own list of joined groups.
    pub fn maddr(&self) -> String {
        String::from_utf8_lossy(&ip(&["-n", &self.ns, "maddr", "show", "dev", IFACE]).stdout)
            .into_owned()
    }

    /// True when the kernel lists `group` as joined on eth0.
    pub fn holds(&self, group: IpAddr) -> bool {
        let text = self.maddr();
        text.lines()
            .any(|l| l.split_whitespace().nth(1) == Some(&group.to_string()))
    }

    /// The link-local IPv6 address of eth0.
    pub fn link_local(&self) -> Ipv6Addr {
        self.run(|| {
            mcast::iface::resolve(&mcast::IfaceSpec::Name(IFACE.into()))
                .expect("eth0")
                .addresses
                .iter()
                .find_map(|a| match a.ip {
                    IpAddr::V6(v6) if v6.segments()[0] == 0xfe80 => Some(v6),
                    _ => None,
                })
                .expect("a link-local address on eth0")
        })
    }

    /// Waits until eth0 is running with its link-local address, so tests start on a live link.
    fn wait_ready(&self) {
        self.wait_link(IFACE);
    }

    /// Waits until `dev` is running with its link-local address.
    fn wait_link(&self, dev: &'static str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let ready = self.run(move || {
                mcast::iface::resolve(&mcast::IfaceSpec::Name(dev.into())).is_ok_and(|i| {
                    i.flags.running
                        && i.addresses
                            .iter()
                            .any(|a| matches!(a.ip, IpAddr::V6(v6) if v6.segments()[0] == 0xfe80))
                })
            });
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: {dev} did not come up in 10 s",
                self.ns
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A peer program (ssmpingd, omping) started in a lab host; ended by its own id when the
/// test ends, pass or fail.
pub struct Peer(std::process::Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Host {
    /// Starts Debian's ssmpingd in this host and gives it a moment to bind port 4321.
    pub fn ssmpingd(&self) -> Peer {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns, "ssmpingd"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("ssmpingd (apt-get install ssmping)");
        thread::sleep(Duration::from_millis(300));
        Peer(child)
    }
}

/// Where omping comes from, in order: the `omping` on PATH (distributions package it), the
/// sources named by `MCAST_OMPING_SRC`, then the sources in ../shared/peers beside this
/// checkout. Sources are built once per test process in a temporary copy (the peers folder is
/// read-only in CI). `None` when there is none: tests that need omping then say so and pass.
pub fn omping() -> Option<std::path::PathBuf> {
    static FOUND: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    FOUND.get_or_init(find_omping).clone()
}

/// The one line a test prints when omping is nowhere: that it did not run, and how to make
/// it run. Returns omping's path otherwise.
pub fn omping_or_skip(test: &str) -> Option<std::path::PathBuf> {
    let found = omping();
    if found.is_none() {
        // Straight to the process's stderr: the test harness would keep an eprintln! of a
        // passing test to itself.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "{test}: did not run: omping not found (install omping, or set MCAST_OMPING_SRC \
             to its sources, or clone beside ../shared/peers/omping)"
        );
    }
    found
}

fn find_omping() -> Option<std::path::PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("omping"))
            .find(|p| p.is_file())
    });
    if on_path.is_some() {
        return on_path;
    }
    let sources = std::env::var_os("MCAST_OMPING_SRC")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            let peers =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/peers/omping");
            peers.is_dir().then_some(peers)
        })?;
    Some(build_omping(&sources))
}

/// Builds omping from `sources` in a temporary copy; a build that fails fails the test (the
/// sources were there, so something is wrong with them or with gcc/make).
fn build_omping(sources: &std::path::Path) -> std::path::PathBuf {
    let build = std::env::temp_dir().join(format!("mcast-omping-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&build);
    let copied = Command::new("cp")
        .arg("-r")
        .arg(sources)
        .arg(&build)
        .status()
        .expect("cp");
    assert!(copied.success(), "copy {}", sources.display());
    let made = Command::new("make")
        .arg("-C")
        .arg(&build)
        .output()
        .expect("make (apt-get install make gcc)");
    assert!(
        made.status.success(),
        "building omping from {}: {}",
        sources.display(),
        String::from_utf8_lossy(&made.stderr)
    );
    build.join("omping")
}

/// The peak resident memory (VmHWM, KiB) of a running process, followed until it exits: read
/// while it runs, since a process that has exited (a zombie) has no `Vm*` lines left, and
/// wait4's ru_maxrss would count the memory of the parent it was forked from.
pub fn follow_peak_kib(pid: u32) -> JoinHandle<u64> {
    thread::spawn(move || {
        let mut peak = 0;
        while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            else {
                break;
            };
            peak = kib;
            thread::sleep(Duration::from_millis(5));
        }
        peak
    })
}

impl Host {
    /// The command line for omping with `args` in this host, stdout and stderr piped: for
    /// tests that read what it reports.
    pub fn omping_command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.ns])
            .arg(omping().expect("omping: check lab::omping_or_skip first"))
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd
    }

    /// omping in this host with `args`, ended when the returned peer is dropped.
    pub fn omping(&self, args: &[&str]) -> Peer {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .arg(omping().expect("omping: check lab::omping_or_skip first"))
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start omping");
        thread::sleep(Duration::from_millis(300));
        Peer(child)
    }
}

impl Host {
    /// Takes eth0 down for 1.5 s and back up, then waits 1.5 s: long enough for a receiver
    /// that looks once a second to see both. Going down also takes eth0's routes away.
    pub fn flap_link(&self) {
        for state in ["down", "up"] {
            ip(&["-n", &self.ns, "link", "set", IFACE, state]);
            thread::sleep(Duration::from_millis(1500));
        }
    }
}
