//! Parser and inference tests on fixture text in the kernel's own formats.

use super::*;

const IGMP: &str = "\
Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter
1\tlo        :     1      V3
\t\t\t\t010000E0     1 0:00000000\t\t0
2\teth0      :     3      V2
\t\t\t\t010101E8     1 0:00000000\t\t1
\t\t\t\tFB0000E0     2 0:00000000\t\t0
\t\t\t\t010000E0     1 0:00000000\t\t0
3\tverylongname012:     0      V3
";

const IGMP6: &str = "\
1    lo              ff020000000000000000000000000001     1 0000000C 0
2    eth0            ff3e0000000000000000000000001234     2 00000004 0
2    eth0            ff0200000000000000000001ff6fb53c     1 00000004 0
";

const MCFILTER: &str = "\
Idx Device        MCA        SRC    INC    EXC
  2   eth0 0xe8010101 0x0a000001      1      0
  2   eth0 0xe8010101 0x0a000002      1      0
  4 verylo 0xef010101 0xc0000205      0      1
";

const MCFILTER6: &str = "\
Idx Device                Multicast Address                   Source Address    INC    EXC
  2   eth0 ff3e0000000000000000000000001234 20010db8000000000000000000000001      1      0
";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn igmp_groups_are_host_order_hex_under_their_interface() {
    let g = parse_igmp(IGMP).unwrap();
    assert_eq!(g.len(), 4);
    assert_eq!(
        (g[0].index, g[0].name.as_str(), g[0].group),
        (1, "lo", ip("224.0.0.1"))
    );
    assert_eq!(g[1].group, ip("232.1.1.1"));
    assert_eq!(g[2].group, ip("224.0.0.251"));
    assert_eq!(g[2].users, 2);
    assert_eq!(g[1].compat_mode.as_deref(), Some("V2"));
    assert!(
        g.iter().all(|x| x.name != "verylongname012"),
        "no groups there"
    );
}

#[test]
fn igmp_with_no_groups_and_long_names() {
    let text = "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n\
                7\tverylongname012:     0      V3\n";
    assert!(parse_igmp(text).unwrap().is_empty());
    assert!(parse_igmp("").unwrap().is_empty());
}

#[test]
fn igmp_garbage_is_an_error_naming_the_line() {
    let e = parse_igmp("Idx\n\t\t\t\tZZZ 1 0:0 0\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2"), "{e}");
}

#[test]
fn igmp6_groups_are_network_order_hex() {
    let g = parse_igmp6(IGMP6).unwrap();
    assert_eq!(g.len(), 3);
    assert_eq!(g[1].group, ip("ff3e::1234"));
    assert_eq!(g[2].group, ip("ff02::1:ff6f:b53c"));
    assert_eq!(g[1].users, 2);
    assert!(parse_igmp6("2 eth0 ff02 1 0 0\n").is_err());
}

#[test]
fn mcfilter_addresses_read_in_normal_order_and_rows_match_by_index() {
    let r = parse_mcfilter(MCFILTER, false).unwrap();
    assert_eq!(r.len(), 3);
    assert_eq!((r[0].group, r[0].source), (ip("232.1.1.1"), ip("10.0.0.1")));
    assert_eq!(r[2].index, 4, "the cut name 'verylo' is not used");
    assert_eq!((r[2].include, r[2].exclude), (0, 1));
    let r6 = parse_mcfilter(MCFILTER6, true).unwrap();
    assert_eq!(
        (r6[0].group, r6[0].source),
        (ip("ff3e::1234"), ip("2001:db8::1"))
    );
    assert!(parse_mcfilter("  2 eth0 0xZZ 0x1 1 0\n", false).is_err());
}

#[test]
fn ssm_groups_are_include_with_their_sources() {
    let all = combine(
        &parse_igmp(IGMP).unwrap(),
        &parse_mcfilter(MCFILTER, false).unwrap(),
    );
    let ssm = all.iter().find(|m| m.group == ip("232.1.1.1")).unwrap();
    assert_eq!(ssm.mode, FilterMode::Include);
    assert!(!ssm.mode_inferred && ssm.sources_known);
    assert_eq!(ssm.sources, [ip("10.0.0.1"), ip("10.0.0.2")]);
    let asm = all.iter().find(|m| m.group == ip("224.0.0.251")).unwrap();
    assert_eq!((asm.mode, asm.sources.len()), (FilterMode::Exclude, 0));
    assert!(asm.sources_known && !asm.mode_inferred);
}

fn group(index: u32, group: &str, users: u32) -> ProcGroup {
    ProcGroup {
        index,
        name: format!("if{index}"),
        group: ip(group),
        users,
        compat_mode: None,
    }
}

fn row(index: u32, group: &str, source: &str, include: u32, exclude: u32) -> FilterRow {
    FilterRow {
        index,
        group: ip(group),
        source: ip(source),
        include,
        exclude,
    }
}

#[test]
fn groups_hidden_by_the_mcfilter_quirk_are_unknown_not_any_source() {
    // eth0 (2): 239.1.1.1 joined after 232.1.1.1, so mcfilter skips eth0 entirely.
    // eth1 (3): its newest group has sources, so it and later interfaces are listed.
    let groups = [
        group(2, "239.1.1.1", 1),
        group(2, "232.1.1.1", 1),
        group(3, "232.2.2.2", 1),
        group(3, "239.2.2.2", 1),
    ];
    let rows = [row(3, "232.2.2.2", "10.0.0.9", 1, 0)];
    let all = combine(&groups, &rows);
    assert!(all[0].sources_known, "an interface's newest group is known");
    assert!(
        !all[1].sources_known && all[1].mode_inferred,
        "hidden SSM group"
    );
    assert!(all[2].sources_known && all[3].sources_known);
    assert_eq!(all[2].mode, FilterMode::Include);
    assert_eq!(all[3].mode, FilterMode::Exclude);
}

#[test]
fn mixed_joiners_are_inferred_and_said_so() {
    // Two users, one including S: the other is an any-source joiner.
    let all = combine(
        &[group(2, "232.1.1.1", 2)],
        &[row(2, "232.1.1.1", "10.0.0.1", 1, 0)],
    );
    assert_eq!(all[0].mode, FilterMode::Exclude);
    assert!(all[0].mode_inferred && all[0].sources.is_empty());
    // Two users, two sources one each: two SSM sockets or one SSM and one ASM; include, guessed.
    let rows = [
        row(2, "232.1.1.1", "10.0.0.1", 1, 0),
        row(2, "232.1.1.1", "10.0.0.2", 1, 0),
    ];
    let all = combine(&[group(2, "232.1.1.1", 2)], &rows);
    assert_eq!(all[0].mode, FilterMode::Include);
    assert!(all[0].mode_inferred);
    // An excluding socket makes the mode EXCLUDE with that source.
    let all = combine(
        &[group(2, "239.1.1.1", 1)],
        &[row(2, "239.1.1.1", "10.0.0.1", 0, 1)],
    );
    assert_eq!(
        (all[0].mode, all[0].sources.clone()),
        (FilterMode::Exclude, vec![ip("10.0.0.1")])
    );
}

#[test]
fn groups_only_the_kernel_holds_are_known_to_be_any_source() {
    let groups = [
        group(2, "ff02::1:ff00:2", 1),
        group(2, "ff02::1:ff00:1", 1),
        group(2, "ff02::1", 1),
        group(2, "ff15::9", 1),
    ];
    let all = combine(&groups, &[]);
    assert!(all[1].sources_known && all[2].sources_known, "{all:?}");
    assert!(
        !all[3].sources_known,
        "a user's group behind the newest stays unknown"
    );
}

#[test]
fn hidden_groups_are_unknown_unless_the_ssm_range_hints_at_include() {
    // The newest group has no sources, so the kernel hides the interface's filters.
    let groups = [
        group(2, "239.3.3.3", 1),
        group(2, "232.3.3.3", 1),
        group(2, "239.4.4.4", 1),
    ];
    let all = combine(&groups, &[]);
    assert_eq!(
        (all[1].mode, all[1].mode_inferred),
        (FilterMode::Include, true)
    );
    assert_eq!(
        (all[2].mode, all[2].mode_inferred),
        (FilterMode::Unknown, false)
    );
    assert!(!all[1].sources_known && !all[2].sources_known);
}

#[test]
fn counts_at_their_limits_do_not_overflow() {
    let rows = [
        row(2, "232.1.1.1", "10.0.0.1", u32::MAX, 0),
        row(2, "232.1.1.1", "10.0.0.2", u32::MAX, 0),
    ];
    let all = combine(&[group(2, "232.1.1.1", u32::MAX)], &rows);
    assert_eq!(all[0].mode, FilterMode::Include);
}

#[test]
fn igmp6_lines_need_four_fields() {
    assert!(parse_igmp6("2 eth0 ff020000000000000000000000000001").is_err());
    let four = parse_igmp6("2 eth0 ff020000000000000000000000000001 1").unwrap();
    assert_eq!(four[0].users, 1);
}

#[test]
fn only_the_kernels_own_groups_are_known_without_a_listing() {
    // Behind a newest group without sources, only kernel-held groups stay known.
    let known = |g: &str| {
        let all = combine(&[group(2, "239.0.0.9", 1), group(2, g, 1)], &[]);
        all[1].sources_known
    };
    for g in [
        "224.0.0.1",
        "ff02::1",
        "ff01::1",
        "ff02::1:ff00:1",
        "ff02::1:ffab:cdef",
    ] {
        assert!(known(g), "{g} is the kernel's");
    }
    for g in [
        "224.0.0.2",
        "ff02::2",
        "ff05::1",
        "ff02::1:fe00:1",
        "ff02::2:ff00:1",
        "ff02:0:0:1::1",
        "ff02::1:0:ff00:1",
    ] {
        assert!(!known(g), "{g} is not the kernel's");
    }
    // Held by a user too (two users), even all-hosts is no longer known to be filterless.
    let all = combine(&[group(2, "239.0.0.9", 1), group(2, "224.0.0.1", 2)], &[]);
    assert!(!all[1].sources_known);
}

#[test]
fn more_users_than_any_one_source_count_is_a_guess() {
    // Two users, each source listed by both: two SSM sockets with the same sources, exact.
    let rows = [
        row(2, "232.1.1.1", "10.0.0.1", 2, 0),
        row(2, "232.1.1.1", "10.0.0.2", 2, 0),
    ];
    let all = combine(&[group(2, "232.1.1.1", 2)], &rows);
    assert_eq!(
        (all[0].mode, all[0].mode_inferred),
        (FilterMode::Include, false)
    );
}

#[test]
fn only_excluded_sources_are_listed_for_an_exclude_mode_group() {
    // One socket excludes 10.0.0.1, another includes 10.0.0.2: the group is EXCLUDE {.1}.
    let rows = [
        row(2, "239.1.1.1", "10.0.0.1", 0, 1),
        row(2, "239.1.1.1", "10.0.0.2", 1, 0),
    ];
    let all = combine(&[group(2, "239.1.1.1", 2)], &rows);
    assert_eq!(
        (all[0].mode, all[0].sources.clone()),
        (FilterMode::Exclude, vec![ip("10.0.0.1")])
    );
}
