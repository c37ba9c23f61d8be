//! Bad command lines: each gets one line on stderr naming the value (and the fix), and exit 2.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use common::{run, stderr, stdout};
use lab::Lab;

/// (command line, words the message must contain). Every one must exit with status 2.
const CASES: &[(&str, &[&str])] = &[
    // Addresses and zones
    (
        "send 234.2.3 7777 x",
        &["'234.2.3'", "not an IPv4 or IPv6 address"],
    ),
    ("send 239.1.1.300 7777 x", &["'239.1.1.300'"]),
    ("send ff02::zz 7777 x", &["'ff02::zz'"]),
    ("send 239.1.1.1%eth0 7777 x", &["no %zone", "--interface"]),
    (
        "send ff02::1%nosuch0 7777 x",
        &["'nosuch0'", "known interfaces"],
    ),
    ("send ff02::1%99 7777 x", &["'99'", "known interfaces"]),
    ("send ff02::1% 7777 x", &["empty name"]),
    ("send ff02::1 7777 x", &["%IFACE"]),
    ("recv ff02::1234 7777", &["%IFACE"]),
    ("recv ff01::1234 7777", &["%IFACE"]),
    ("join ff02::1:2", &["%IFACE"]),
    // Ports and services
    ("send 239.1.1.1 70000 x", &["'70000'", "0 to 65535"]),
    (
        "send 239.1.1.1 nosuchservice x",
        &["'nosuchservice'", "port number"],
    ),
    ("send 239.1.1.1 a/b x", &["'a/b'", "port number"]),
    ("recv 239.1.1.1 99999999999", &["'99999999999'"]),
    ("send 239.1.1.1 0 x", &["port 0", "receivers' port"]),
    (
        "reflect --port 0",
        &["give a port from 1 to 65535", "unannounced"],
    ),
    ("reflect --rate 0", &["'0'", "give a rate above 0"]),
    ("reflect --total-rate 0", &["'0'", "give a rate above 0"]),
    (
        "send 239.1.1.1 7777 --sizes 10",
        &["'10'", "each at least 36 bytes"],
    ),
    // Interfaces
    (
        "send 239.1.1.1 7777 -i nosuch0 x",
        &["'nosuch0'", "known interfaces: lo, eth0"],
    ),
    ("recv 239.1.1.1 7777 -i 0", &["'0'", "start at 1"]),
    (
        "recv 239.1.1.1 7777 -i 4242",
        &["'4242'", "known interfaces"],
    ),
    (
        "recv 239.1.1.1 7777 -i averyveryverylongname",
        &["at most 15 bytes"],
    ),
    (
        "recv 239.1.1.1 7777 -i 203.0.113.9",
        &["no interface has address 203.0.113.9"],
    ),
    (
        "recv 239.1.1.1 7777 -i down0",
        &["down0 is down", "ip link set down0 up"],
    ),
    (
        "send 239.1.1.1 7777 -i down0 x",
        &["down0 is down", "ip link set down0 up"],
    ),
    (
        "recv 239.1.1.1 7777 -i nomc0",
        &["no MULTICAST flag", "multicast on"],
    ),
    (
        "send 239.1.1.1 7777 -i nomc0 x",
        &["no MULTICAST flag", "multicast on"],
    ),
    (
        "send ff02::1%eth0 7777 -i lo x",
        &["zone names eth0", "--interface names lo"],
    ),
    ("ifaces wlan9", &["'wlan9'", "known interfaces"]),
    ("groups -i wlan9", &["'wlan9'", "known interfaces"]),
    // Sources
    (
        "recv 239.1.1.1 7777 --source 2001:db8::1",
        &["different families"],
    ),
    (
        "recv ff3e::1 7777 --source 192.0.2.2",
        &["different families"],
    ),
    (
        "recv 192.0.2.1 7777 --source 192.0.2.2",
        &["needs a multicast group"],
    ),
    (
        "recv 232.1.1.1 7777 --source 239.1.1.1",
        &["must be a unicast address"],
    ),
    (
        "recv 232.1.1.1 7777 --source 0.0.0.0",
        &["must be a unicast address"],
    ),
    ("recv 232.1.1.1 7777 --source 10.0.0.999", &["'10.0.0.999'"]),
    (
        "join 239.1.1.1 --source 2001:db8::1",
        &["no group of its family"],
    ),
    // Sizes, rates, durations, counts
    ("send 239.1.1.1 7777 --size 10", &["'10'", "32 to 65527"]),
    ("send 239.1.1.1 7777 --size 70000", &["'70000'"]),
    ("send ff15::1 7777 -i eth0 --size 65528", &["'65528'"]),
    (
        "send 239.1.1.1 7777 --size 65520",
        &["--size 65520", "larger than one datagram"],
    ),
    (
        "send 239.1.1.1 7777 --size 100 hello",
        &["--size", "cannot be used with"],
    ),
    ("send 239.1.1.1 7777 --rate fast", &["'fast' is not a rate"]),
    ("send 239.1.1.1 7777 --rate 0", &["'0' is out of range"]),
    ("send 239.1.1.1 7777 --rate -5", &["'-5' is out of range"]),
    ("send 239.1.1.1 7777 --rate 1e12", &["out of range"]),
    (
        "send 239.1.1.1 7777 --rate 10 --interval 1s",
        &["--rate", "cannot be used with"],
    ),
    ("send 239.1.1.1 7777 --interval 0s", &["above zero"]),
    (
        "recv 239.1.1.1 7777 -t ten",
        &["'ten' is not a duration", "10s"],
    ),
    (
        "recv 239.1.1.1 7777 -t 300000000000y",
        &["'300000000000y'", "at most 100 years"],
    ),
    (
        "recv 239.1.1.1 7777 -d 18446744073709551615s",
        &["'18446744073709551615s'", "at most 100 years"],
    ),
    (
        "send 239.1.1.1 7777 -d 101y x",
        &["'101y'", "at most 100 years"],
    ),
    ("send 239.1.1.1 7777 --interval -1", &["'-1'"]),
    ("recv 239.1.1.1 7777 -d soon", &["'soon' is not a duration"]),
    (
        "recv 239.1.1.1 7777 -c 0",
        &["'0'", "give a count of 1 or more"],
    ),
    (
        "ping 192.0.2.1 -c 0",
        &[
            "'0'",
            "give a count of 1 or more",
            "see 'mcast ping --help'",
        ],
    ),
    (
        "ping 192.0.2.1 -i 0.2",
        &["'0.2'", "-i is the interface here", "--interval 0.2"],
    ),
    (
        "ping example.invalid",
        &["'example.invalid'", "not host names", "getent hosts"],
    ),
    // omping is accepted for rfc6450: the error is about the count, not the protocol.
    (
        "ping 192.0.2.1 --protocol omping -c 0",
        &["give a count of 1 or more"],
    ),
    (
        "send 239.1.1.1 7777 --loop --no-loop x",
        &["'--loop'", "cannot be used with"],
    ),
    (
        "doctor 239.1.1.1 --listen 1s --send",
        &["'--listen", "cannot be used with"],
    ),
    (
        "mesh 192.0.2.1 192.0.2.2 -c -1",
        &["'-1'", "give a count of 1 or more"],
    ),
    ("recv 239.1.1.1 7777 -c many", &["'many'"]),
    ("recv 239.1.1.1 7777 --rcvbuf 10", &["'10'"]),
    // TTL and precedence
    (
        "send 239.1.1.1 7777 --ttl 256 x",
        &["'256'", "from 0 to 255"],
    ),
    ("send 239.1.1.1 7777 --ttl -1 x", &["'-1'", "from 0 to 255"]),
    ("recv 239.1.1.1 7777 -c -3", &["'-3'"]),
    ("send 239.1.1.1 7777 --prec 8 x", &["'8'", "from 0 to 7"]),
    // Combinations and the rest
    ("join 10.1.2.3", &["not a multicast group"]),
    ("join", &["required", "<GROUP>"]),
    ("send 239.1.1.1", &["required", "<PORT>"]),
    (
        "send 239.1.1.1 7777 --bind 198.51.100.7 x",
        &["bind 198.51.100.7", "not on this host"],
    ),
    ("groups -4 -6", &["cannot be used with"]),
    (
        "recv ::ffff:239.1.1.1 7777",
        &["'::ffff:239.1.1.1'", "write it as 239.1.1.1"],
    ),
    (
        "join ff15::1 ff15::1%eth0",
        &[
            "join ff15::1%eth0",
            "has joined it on that interface already",
        ],
    ),
    (
        "send 239.1.1.1 7777 --bind 2001:db8::1 x",
        &["--bind 2001:db8::1", "give an IPv4 address"],
    ),
    // The content's options
    ("recv 239.1.1.1 7777 --clock-rate 0", &["'0'", "90000"]),
    ("recv 239.1.1.1 7777 --seq 0:9", &["'0:9'", "OFFSET:LEN"]),
    ("recv 239.1.1.1 7777 --stall 0", &["'0'", "above zero"]),
    (
        "recv 239.1.1.1 7777 --content ts --seq 0:4",
        &["--seq", "leave --content out"],
    ),
    (
        "monitor 239.1.1.1:7777 --content ts --seq 0:4",
        &["--seq 0:4", "--content ts", "leave --content out"],
    ),
    ("reflect --report 0", &["'0'", "above zero"]),
    ("watch --report 0", &["'0'", "above zero"]),
    ("frobnicate", &["unrecognized subcommand"]),
    ("recv 239.1.1.1 7777 --sauce 1", &["unexpected argument"]),
];

#[test]
fn every_bad_command_line_gets_one_clear_line_and_status_2() {
    assert!(CASES.len() >= 40);
    let lab = Lab::new(1);
    let h = lab.host(1);
    // Test interfaces: a veth pair left down, and one up with its MULTICAST flag off.
    let ip = |args: &str| {
        let args: Vec<&str> = args.split(' ').collect();
        assert!(h.exec("ip", &args).status.success(), "ip {args:?}");
    };
    ip("link add down0 type veth peer name down0p");
    ip("link add nomc0 type veth peer name nomc0p");
    ip("link set nomc0 multicast off");
    ip("link set nomc0p up");
    ip("link set nomc0 up");
    let mut failures = Vec::new();
    for (line, words) in CASES {
        let args: Vec<&str> = line.split(' ').collect();
        let out = run(h, &args);
        let err = stderr(&out);
        let problems: Vec<String> = [
            (out.status.code() != Some(2)).then(|| format!("exit {:?}", out.status.code())),
            (!err.starts_with("mcast: ")).then(|| "no 'mcast: ' prefix".to_string()),
            (err.trim_end().lines().count() != 1).then(|| "not one line".to_string()),
            (err.contains("panicked")).then(|| "panicked".to_string()),
            // Rust's range syntax is not for people: "give a count of 1 or more".
            (err.contains("..=") || err.contains(" is not in "))
                .then(|| "Rust range syntax".to_string()),
            (!stdout(&out).is_empty()).then(|| "printed data on stdout".to_string()),
        ]
        .into_iter()
        .flatten()
        .chain(
            words
                .iter()
                .filter(|w| !err.contains(*w))
                .map(|w| format!("lacks {w:?}")),
        )
        .collect();
        if !problems.is_empty() {
            failures.push(format!(
                "mcast {line}\n    {}\n    stderr: {}",
                problems.join("; "),
                err.trim_end()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn no_route_to_the_group_says_how_to_fix_it() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    assert!(
        h.exec("ip", &["route", "del", "224.0.0.0/4"])
            .status
            .success()
    );
    for (args, words) in [
        (
            &["send", "239.1.1.1", "7777", "hi"][..],
            "Network is unreachable",
        ),
        (
            &["recv", "239.1.1.1", "7777", "-t", "1s"][..],
            "no route picks one",
        ),
    ] {
        let out = run(h, args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(words) && err.contains("ip route add 224.0.0.0/4"),
            "{err}"
        );
    }
    // With the interface named, no route is needed.
    let out = run(h, &["send", "239.1.1.1", "7777", "-i", "eth0", "hi"]);
    assert!(out.status.success(), "{}", stderr(&out));
}
