//! What users of ping, ip and socat expect of mcast's command line: usage when called bare,
//! TTL 0, broadcast, unicast ports, honest warnings, and readable summaries.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{MCAST, command, finish, run, start, stderr, stdout};
use lab::{IFACE, Lab};

const WAIT: Duration = Duration::from_secs(10);

/// Starts a unicast or broadcast `recv`, which prints no `joined` line to wait for: give
/// it a moment to bind.
fn start_unjoined(host: &lab::Host, args: &[&str]) -> std::process::Child {
    let child = command(host, args).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    child
}

#[test]
fn mcast_alone_prints_the_usage_and_the_commands() {
    let out = Command::new(MCAST).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Usage: mcast [OPTIONS] <COMMAND>"), "{err}");
    for cmd in ["send", "recv", "join", "ifaces", "groups"] {
        assert!(
            err.contains(&format!("\n  {cmd} ")),
            "{cmd} not listed: {err}"
        );
    }
}

#[test]
fn output_that_cannot_be_written_is_an_error_naming_stdout() {
    let full = || Stdio::from(std::fs::File::create("/dev/full").unwrap());
    let help = Command::new(MCAST)
        .arg("--help")
        .stdout(full())
        .output()
        .unwrap();
    assert_eq!(help.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&help.stderr).trim_end(),
        "mcast: write the help to stdout: No space left on device"
    );
    let lab = Lab::new(1);
    let mut cmd = command(lab.host(1), &["ifaces"]);
    cmd.stdout(full());
    let out = finish(cmd.spawn().unwrap(), WAIT);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim_end(),
        "mcast: write to stdout: No space left on device"
    );
}

#[test]
fn ttl_0_keeps_multicast_on_this_host_and_is_refused_for_unicast() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let here = start(
        h2,
        &["recv", "239.3.3.9", "7777", "-c", "1", "-t", "2s", "--json"],
    );
    let there = start(h1, &["recv", "239.3.3.9", "7777", "-t", "1s"]);
    let sent = run(
        h2,
        &["send", "239.3.3.9", "7777", "--ttl", "0", "--loop", "local"],
    );
    assert!(sent.status.success(), "{}", stderr(&sent));
    let here = here.wait(WAIT);
    let packet = common::json_lines(&here)
        .into_iter()
        .find(|e| e["type"] == "packet")
        .expect("the host's own receiver got it");
    assert_eq!(
        (packet["ttl"].as_u64(), packet["text"].as_str()),
        (Some(0), Some("local"))
    );
    assert_eq!(there.wait(WAIT).status.code(), Some(1), "it left the host");
    let refused = run(h2, &["send", "192.0.2.1", "7777", "--ttl", "0", "x"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("--ttl 0: only multicast"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn broadcast_is_a_destination_like_any_other() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    for (h, a) in [(h1, "198.18.0.1/24"), (h2, "198.18.0.2/24")] {
        let out = h.exec("ip", &["addr", "add", a, "brd", "+", "dev", IFACE]);
        assert!(out.status.success());
    }
    let subnet = start_unjoined(h1, &["recv", "198.18.0.255", "7777", "-c", "2", "-t", "3s"]);
    let limited = start_unjoined(
        h1,
        &["recv", "255.255.255.255", "7778", "-c", "1", "-t", "3s"],
    );
    let a = run(h2, &["send", "198.18.0.255", "7777", "to the subnet"]);
    assert!(a.status.success(), "{}", stderr(&a));
    // Lines of stdin go one datagram per call: the other send path.
    let lines = common::run_with_input(h2, &["send", "198.18.0.255", "7777", "-"], "a line\n");
    assert!(lines.status.success(), "{}", stderr(&lines));
    let b = run(
        h2,
        &[
            "send",
            "255.255.255.255",
            "7778",
            "-i",
            IFACE,
            "to the link",
        ],
    );
    assert!(b.status.success(), "{}", stderr(&b));
    let got = stdout(&finish(subnet, WAIT));
    assert!(
        got.contains("\"to the subnet\"") && got.contains("\"a line\""),
        "{got}"
    );
    assert!(stdout(&finish(limited, WAIT)).contains("\"to the link\""));
}

#[test]
fn a_unicast_port_is_one_receivers_and_the_second_is_told() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let first = start_unjoined(h1, &["recv", "192.0.2.1", "7777", "-t", "2s", "-q"]);
    let second = run(h1, &["recv", "192.0.2.1", "7777", "-t", "1s"]);
    assert_eq!(second.status.code(), Some(2));
    assert!(
        stderr(&second).contains("another receiver holds this unicast port"),
        "{}",
        stderr(&second)
    );
    let sent = run(
        h2,
        &["send", "192.0.2.1", "7777", "-c", "20", "-r", "max", "x"],
    );
    assert!(sent.status.success());
    let out = finish(first, WAIT);
    assert!(
        stdout(&out).starts_with("20 datagrams"),
        "every one: {}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("after starting"), "{}", stdout(&out));
}

#[test]
fn quiet_surprises_are_said() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let port0 = run(h, &["recv", "239.3.3.10", "0", "-i", IFACE, "-t", "100ms"]);
    assert!(
        stderr(&port0).starts_with("mcast: port 0: the system chose port "),
        "{}",
        stderr(&port0)
    );
    let ssm = run(
        h,
        &["recv", "232.3.3.10", "7777", "-i", IFACE, "-t", "100ms"],
    );
    assert!(
        stderr(&ssm).starts_with(
            "mcast: 232.3.3.10 is in the source-specific range (232.0.0.0/8): where the \
             network runs SSM, only joins that name a source get traffic; add --source ADDR"
        ),
        "{}",
        stderr(&ssm)
    );
    // As a user without CAP_NET_ADMIN, the buffer is capped: the granted size is said.
    let capped = common::run_as_nobody(
        h,
        &[
            "recv",
            "239.3.3.11",
            "7777",
            "-i",
            IFACE,
            "--rcvbuf",
            "100000000",
            "-t",
            "100ms",
        ],
    );
    assert!(
        stderr(&capped).contains("--rcvbuf 100000000: the kernel granted "),
        "{}",
        stderr(&capped)
    );
}

#[test]
fn send_gaps_read_in_a_fitting_unit() {
    let lab = Lab::new(1);
    let out = run(
        lab.host(1),
        &[
            "send",
            "239.3.3.12",
            "7777",
            "-c",
            "3",
            "--interval",
            "100ms",
        ],
    );
    let text = stdout(&out);
    let gaps = text.split("gaps p50 ").nth(1).expect("gaps shown");
    // "99.6 ms, p99 99.6 ms": three significant figures, in milliseconds.
    let (p50, rest) = gaps.split_once(" ms, p99 ").expect("p50 in ms");
    let ms: f64 = p50.parse().unwrap();
    assert!((50.0..200.0).contains(&ms), "{text}");
    let digits = p50.chars().filter(char::is_ascii_digit).count();
    assert_eq!(digits, 3, "{text}");
    assert!(rest.trim_end().ends_with(" ms"), "{text}");
}

/// `--version` names the git revision it was built from (in a git checkout) and the target,
/// as ripgrep does, for every command.
#[test]
fn the_version_names_the_revision_and_the_target() {
    for (args, name) in [
        (&["--version"][..], "mcast"),
        (&["recv", "--version"][..], "mcast-recv"),
    ] {
        let out = Command::new(MCAST).args(args).output().unwrap();
        assert!(out.status.success());
        let line = stdout(&out);
        let prefix = format!("{name} {} (", env!("CARGO_PKG_VERSION"));
        assert!(line.starts_with(&prefix), "{line}");
        let rev = Command::new("git")
            .args(["rev-parse", "--short=10", "HEAD"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        if let Some(rev) = rev {
            assert!(line.contains(&format!("rev {rev}")), "{line}");
        }
        assert!(line.contains(std::env::consts::ARCH), "{line}");
    }
}

/// Colour: on with --color always or CLICOLOR_FORCE, off into a pipe by default, with
/// NO_COLOR, with --color never, and never in JSON (issue 23, item 8).
#[test]
fn colour_follows_the_flag_and_the_environment() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let doctor = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["doctor", "239.1.1.1", "7777"];
        args.extend(extra);
        let mut cmd = command(h, &args);
        cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        stdout(&out)
    };
    let coloured = |t: &str| t.contains("\x1b[");
    let always = doctor(&["--color", "always"], &[]);
    assert!(
        always.contains("\x1b[32mok     \x1b[0m  interface"),
        "{always:?}"
    );
    assert!(
        !coloured(&doctor(&[], &[])),
        "a pipe gets no colour by default"
    );
    assert!(coloured(&doctor(&[], &[("CLICOLOR_FORCE", "1")])));
    assert!(!coloured(&doctor(
        &[],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
    )));
    assert!(!coloured(&doctor(
        &["--color", "never"],
        &[("CLICOLOR_FORCE", "1")]
    )));
    assert!(
        !coloured(&doctor(&["--color", "always", "--json"], &[])),
        "never in JSON"
    );
    assert!(
        coloured(&doctor(&["--color", "always"], &[("NO_COLOR", "1")])),
        "the flag wins"
    );
}
