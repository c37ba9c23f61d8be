//! A two-link lab with a multicast router between: a client on one link, a server on the
//! other, and Debian's smcroute forwarding the (S,G) routes a test asks for. Torn down on drop.

use std::net::IpAddr;
use std::process::Command;
use std::sync::atomic::Ordering;

use super::{Host, IFACE, NEXT_LAB, Peer, ip, sweep_stale};

/// The router's interfaces: toward the client, and toward the server.
const TO_CLIENT: &str = "lan0";
const TO_SERVER: &str = "lan1";

pub struct RoutedLab {
    /// 192.0.2.1 and 2001:db8:a::1, behind the router's 192.0.2.254 / 2001:db8:a::fe.
    pub client: Host,
    /// The router's namespace, as a host (its `v4`, `v6` face the client).
    pub router: Host,
    /// 198.51.100.1 and 2001:db8:b::1, behind the router's 198.51.100.254 / 2001:db8:b::fe.
    pub server: Host,
    smcroute: Option<Peer>,
    dir: std::path::PathBuf,
}

impl RoutedLab {
    /// None, having said so in one line, when this kernel cannot route multicast (built
    /// without CONFIG_IP_MROUTE or CONFIG_IPV6_MROUTE): the tests then do not run.
    pub fn new() -> Option<RoutedLab> {
        let missing: Vec<&str> = ["/proc/net/ip_mr_vif", "/proc/net/ip6_mr_vif"]
            .into_iter()
            .filter(|f| !std::path::Path::new(f).exists())
            .collect();
        if !missing.is_empty() {
            eprintln!(
                "routed test did not run: this kernel routes no multicast (no {}); run it on a kernel built with CONFIG_IP_MROUTE and CONFIG_IPV6_MROUTE",
                missing.join(", ")
            );
            return None;
        }
        Some(Self::build())
    }

    fn build() -> RoutedLab {
        sweep_stale();
        let base = format!(
            "mcl-{}-{}",
            std::process::id(),
            NEXT_LAB.fetch_add(1, Ordering::Relaxed)
        );
        let host = |name: &str, v4: &str, v6: &str| Host {
            ns: format!("{base}-{name}"),
            v4: v4.parse().unwrap(),
            v6: v6.parse().unwrap(),
        };
        let lab = RoutedLab {
            client: host("c", "192.0.2.1", "2001:db8:a::1"),
            router: host("r", "192.0.2.254", "2001:db8:a::fe"),
            server: host("s", "198.51.100.1", "2001:db8:b::1"),
            smcroute: None,
            dir: std::env::temp_dir().join(format!("{base}-smcroute")),
        };
        std::fs::create_dir_all(&lab.dir).unwrap();
        for h in [&lab.client, &lab.router, &lab.server] {
            ip(&["netns", "add", &h.ns]);
            ip(&["-n", &h.ns, "link", "set", "lo", "up"]);
            // No duplicate address detection, link-local addresses included: a tentative
            // address cannot answer neighbour discovery, and the first replies would be lost.
            h.run(|| {
                for conf in ["all", "default"] {
                    std::fs::write(format!("/proc/sys/net/ipv6/conf/{conf}/accept_dad"), "0")
                        .expect("set accept_dad");
                }
            });
        }
        let r = &lab.router.ns;
        for (h, dev, v4, v6, gw4, gw6) in [
            (
                &lab.client,
                TO_CLIENT,
                "192.0.2",
                "2001:db8:a",
                "192.0.2.254",
                "2001:db8:a::fe",
            ),
            (
                &lab.server,
                TO_SERVER,
                "198.51.100",
                "2001:db8:b",
                "198.51.100.254",
                "2001:db8:b::fe",
            ),
        ] {
            ip(&[
                "-n", &h.ns, "link", "add", IFACE, "type", "veth", "peer", "name", dev, "netns", r,
            ]);
            ip(&[
                "-n",
                &h.ns,
                "addr",
                "add",
                &format!("{}/24", h.v4),
                "dev",
                IFACE,
            ]);
            ip(&[
                "-n",
                &h.ns,
                "addr",
                "add",
                &format!("{}/64", h.v6),
                "dev",
                IFACE,
                "nodad",
            ]);
            ip(&["-n", r, "addr", "add", &format!("{v4}.254/24"), "dev", dev]);
            ip(&[
                "-n",
                r,
                "addr",
                "add",
                &format!("{v6}::fe/64"),
                "dev",
                dev,
                "nodad",
            ]);
            ip(&["-n", &h.ns, "link", "set", IFACE, "up"]);
            ip(&["-n", r, "link", "set", dev, "up"]);
            ip(&["-n", &h.ns, "route", "add", "default", "via", gw4]);
            ip(&["-n", &h.ns, "-6", "route", "add", "default", "via", gw6]);
        }
        lab.router.run(|| {
            for (file, value) in [
                ("/proc/sys/net/ipv4/ip_forward", "1"),
                ("/proc/sys/net/ipv6/conf/all/forwarding", "1"),
            ] {
                std::fs::write(file, value).expect(file);
            }
        });
        lab.client.wait_ready();
        lab.server.wait_ready();
        lab.router.wait_link(TO_CLIENT);
        lab.router.wait_link(TO_SERVER);
        lab
    }

    /// Starts smcroute in the router with a static route for each (source, group): in from
    /// the server's link, out to the client's. With none, the router forwards no multicast.
    pub fn route_multicast(&mut self, routes: &[(IpAddr, IpAddr)]) {
        self.smcroute = None;
        let conf = self.dir.join("smcroute.conf");
        let text: String = routes
            .iter()
            .map(|(s, g)| format!("mroute from {TO_SERVER} source {s} group {g} to {TO_CLIENT}\n"))
            .collect();
        std::fs::write(&conf, text).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.router.ns, "smcrouted", "-n", "-f"])
            .arg(&conf)
            .arg("-u")
            .arg(self.dir.join("smcroute.sock"))
            .arg("-P")
            .arg(self.dir.join("smcroute.pid"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("smcrouted (apt-get install smcroute)");
        let peer = Peer(child);
        // Ready once the kernel lists every route.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let v4 = ip(&["-n", &self.router.ns, "mroute", "show"]).stdout;
            let v6 = ip(&["-n", &self.router.ns, "-6", "mroute", "show"]).stdout;
            let listed = String::from_utf8_lossy(&v4) + String::from_utf8_lossy(&v6);
            if routes
                .iter()
                .all(|(s, g)| listed.contains(&format!("({s},{g})")))
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "smcroute installed no routes: {listed}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        self.smcroute = Some(peer);
    }
}

impl Drop for RoutedLab {
    fn drop(&mut self) {
        self.smcroute = None;
        for h in [&self.client, &self.router, &self.server] {
            let _ = Command::new("ip").args(["netns", "del", &h.ns]).output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
