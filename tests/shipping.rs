//! What a user installing mcast meets: completions that offer interface names, man pages
//! written where asked, interim reports, and the habits of ping and ip.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::process::Command;
use std::time::Duration;

use common::{MCAST, json_lines, run, start, stderr, stdout};
use lab::{IFACE, Lab};
use nix::sys::signal::Signal;

const WAIT: Duration = Duration::from_secs(10);

/// Bash offers the lab host's interfaces after -i, from the script `mcast completions bash`
/// prints (as /etc/bash_completion.d would load it).
#[test]
fn bash_completes_interface_names_after_dash_i() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let script = std::env::temp_dir().join(format!("mcast-completion-{}.bash", std::process::id()));
    let out = Command::new(MCAST)
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(&script, &out.stdout).unwrap();
    let probe = format!(
        "source {}; COMP_WORDS=(mcast recv 239.1.1.1 7777 -i e); COMP_CWORD=5; \
         _mcast mcast e -i; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let offered = h.exec("bash", &["-c", &probe]);
    std::fs::remove_file(&script).unwrap();
    assert_eq!(stdout(&offered).trim(), IFACE, "{}", stderr(&offered));
}

#[test]
fn manpages_are_written_where_asked_with_every_command() {
    let dir = std::env::temp_dir().join(format!("mcast-man-{}", std::process::id()));
    let out = Command::new(MCAST)
        .arg("manpages")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = |section: &str| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.join(section))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    let (man1, man7) = (list("man1"), list("man7"));
    // `man` finds them there, as it does under any MANPATH entry.
    let found = Command::new("man")
        .arg("-M")
        .arg(&dir)
        .args(["-w", "mcast-json"])
        .output();
    std::fs::remove_dir_all(&dir).unwrap();
    for page in [
        "mcast.1",
        "mcast-recv.1",
        "mcast-send.1",
        "mcast-join.1",
        "mcast-groups.1",
    ] {
        assert!(man1.iter().any(|n| n == page), "{page} missing: {man1:?}");
    }
    assert!(!man1.iter().any(|n| n == "mcast-help.1"));
    assert_eq!(man7, ["mcast-json.7"]);
    // Where man itself is installed, it finds the JSON page by name.
    if let Ok(found) = found {
        let path = String::from_utf8_lossy(&found.stdout);
        assert!(path.trim_end().ends_with("man7/mcast-json.7"), "{path}");
    }
}

#[test]
fn recv_reports_the_figures_so_far_on_schedule_and_on_sigquit() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let mut rx = start(
        h1,
        &[
            "recv",
            "239.4.0.1",
            "7777",
            "-q",
            "--report",
            "300ms",
            "-d",
            "2s",
            "--json",
        ],
    );
    assert!(
        run(h2, &["send", "239.4.0.1", "7777", "-c", "3", "-r", "100"])
            .status
            .success()
    );
    rx.wait_for_line("\"type\":\"interval\"", WAIT);
    rx.signal(Signal::SIGQUIT);
    let out = rx.wait(WAIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events = json_lines(&out);
    let intervals: Vec<_> = events.iter().filter(|e| e["type"] == "interval").collect();
    // Every 300 ms for 2 s, and the one SIGQUIT asked for.
    assert!(intervals.len() >= 6, "{}", intervals.len());
    assert!(
        intervals
            .iter()
            .all(|e| e["ended_by"].is_null() && e["command"] == "recv")
    );
    assert_eq!(intervals.last().unwrap()["packets"], 3);
    assert_eq!(events.last().unwrap()["type"], "summary");
}

#[test]
fn join_shows_the_kernel_table_again_on_report() {
    let lab = Lab::new(1);
    let out = run(
        lab.host(1),
        &[
            "join",
            "239.4.0.2",
            "-i",
            IFACE,
            "-d",
            "1s",
            "--report",
            "300ms",
            "--json",
        ],
    );
    let types: Vec<String> = json_lines(&out)
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    let tables = types.iter().filter(|t| *t == "memberships").count();
    assert!(tables >= 3, "{types:?}");
    assert_eq!(types.first().map(String::as_str), Some("joined"));
    assert_eq!(
        types[types.len().saturating_sub(2)..],
        ["left", "summary"],
        "{types:?}"
    );
}

#[test]
fn ifaces_takes_a_family_and_sizes_take_units() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let families = |flag: &str| -> Vec<String> {
        let out = run(h, &["ifaces", IFACE, flag, "--json"]);
        let all: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
        all[0]["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["family"].as_str().unwrap().to_string())
            .collect()
    };
    let v4 = families("-4");
    assert_eq!(v4, ["ipv4"]);
    let v6 = families("-6");
    assert!(!v6.is_empty() && v6.iter().all(|f| f == "ipv6"), "{v6:?}");
    let out = run(
        h,
        &[
            "recv",
            "239.4.0.3",
            "7777",
            "-i",
            IFACE,
            "--rcvbuf",
            "8M",
            "-t",
            "100ms",
            "--json",
        ],
    );
    let summary = json_lines(&out).pop().unwrap();
    let sent = run(
        h,
        &[
            "send",
            "239.4.0.4",
            "7777",
            "--size",
            "1K",
            "-c",
            "1",
            "--json",
        ],
    );
    assert_eq!(json_lines(&sent)[0]["bytes"], 1024, "{}", stderr(&sent));
    // 8M is 8 MiB (the kernel may grant more, for its own bookkeeping).
    let granted = summary["rcvbuf"].as_u64().unwrap();
    assert!((8 << 20..=16 << 20).contains(&granted), "{summary}");
}

/// The reflector's service unit: hardened (no user of its own, no capability, only the
/// address families it uses, a read-only system), its arguments from /etc/default, and where
/// systemd's tools are installed, an exposure score of 2.0 or better (issue 23, item 9).
#[test]
fn the_reflector_unit_is_hardened() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/dist/mcast-reflect.service");
    let unit = std::fs::read_to_string(path).unwrap();
    for line in [
        "ExecStart=/usr/bin/mcast reflect $MCAST_REFLECT_ARGS",
        "EnvironmentFile=-/etc/default/mcast-reflect",
        "DynamicUser=yes",
        "CapabilityBoundingSet=\n",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_NETLINK AF_UNIX",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
    ] {
        assert!(unit.contains(line), "the unit lacks {line:?}");
    }
    // Installed disabled: nothing in the package enables it.
    let cargo =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    assert!(
        !cargo.contains("systemd-units"),
        "the package would enable it"
    );
    match Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--threshold=20", path])
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "exposure above 2.0: {}",
            String::from_utf8_lossy(&out.stdout)
        ),
        Err(_) => eprintln!(
            "the_reflector_unit_is_hardened: systemd-analyze not found, its score was not checked (install systemd)"
        ),
    }
}

/// bash's own completion function: the commands in the help's order and no hidden one,
/// interface names for `ifaces`, and no file names where an address goes (issue 23, item 12).
#[test]
fn bash_completes_commands_interfaces_and_never_files_for_addresses() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let dir = std::env::temp_dir().join(format!("mcast-complete-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("192.0.2.9-looks-like-a-file"), b"").unwrap();
    let script = dir.join("mcast.bash");
    let out = Command::new(MCAST)
        .args(["completions", "bash"])
        .output()
        .unwrap();
    std::fs::write(&script, &out.stdout).unwrap();
    let offered = |words: &str, cword: usize| {
        let last = words.split(' ').next_back().unwrap_or("");
        let probe = format!(
            "cd {}; source {}; COMP_WORDS=({words}); COMP_CWORD={cword}; _mcast mcast '{last}' x; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            dir.display(),
            script.display()
        );
        stdout(&h.exec("bash", &["-c", &probe]))
    };
    let top = offered("mcast ''", 1);
    let commands: Vec<&str> = top.lines().filter(|w| !w.starts_with('-')).collect();
    assert_eq!(
        commands,
        [
            "send",
            "recv",
            "join",
            "ping",
            "reflect",
            "mesh",
            "monitor",
            "watch",
            "doctor",
            "ifaces",
            "groups",
            "completions",
            "manpages",
            "help"
        ],
        "{top}"
    );
    let ifaces = offered("mcast ifaces ''", 2);
    assert!(ifaces.lines().any(|w| w == IFACE), "{ifaces}");
    for words in [
        "mcast recv 232.1.1.1 7777 --source 192",
        "mcast ping 192",
        "mcast mesh 192",
    ] {
        let cword = words.split(' ').count() - 1;
        let got = offered(words, cword);
        assert!(!got.contains("looks-like-a-file"), "{words}: {got}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
