//! The text `mcast mesh` ends with: one row per other host (the sender of the replies), this
//! host as the receiver, each path's count, loss and round trip, and advice for the rows
//! where multicast did not arrive.

use std::io::{self, Write};
use std::net::IpAddr;

use mcast::ping::{PathSummary, ServerSummary, Verdict};
use mcast::wire::columns::Row;

use crate::cli::output::color::{self, Paint};

/// A loss figure as a cell shows it; "no reply" where nothing was asked, so nothing known.
fn loss_text(loss_pct: Option<f64>) -> String {
    loss_pct.map_or("no reply".into(), |l| format!("{l:.1}%"))
}

/// One path's cell: received/sent, loss, average round trip.
fn cell(p: &PathSummary) -> String {
    if p.sent == 0 {
        return "no reply".into();
    }
    let mut c = format!("{}/{} {}", p.received, p.sent, loss_text(p.loss_pct));
    if let Some(f) = p.loss_since_first_pct.filter(|f| Some(*f) != p.loss_pct) {
        c += &format!(" ({f:.1}% after the first)");
    }
    if let Some(avg) = p.rtt_avg_ms {
        c += &format!(" {avg:.3} ms");
    }
    c
}

pub fn write(
    out: &mut impl Write,
    local: IpAddr,
    rows: &[(IpAddr, ServerSummary, Verdict)],
) -> io::Result<()> {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|(addr, s, v)| {
            [
                addr.to_string(),
                cell(&s.unicast),
                cell(&s.multicast),
                s.multicast
                    .hops
                    .or(s.unicast.hops)
                    .map_or("-".into(), |h| h.to_string()),
                v.words().to_string(),
            ]
        })
        .collect();
    let head = ["from", "unicast", "multicast", "hops", "verdict"];
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].len())
            .chain([head[i].len()])
            .max()
            .unwrap_or(0)
    };
    let w = [width(0), width(1), width(2), width(3)];
    writeln!(
        out,
        "--- what reached {local} (received/sent, loss, average round trip) ---"
    )?;
    for c in std::iter::once(head.map(String::from)).chain(cells) {
        writeln!(
            out,
            "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3]
        )?;
    }
    for (addr, _, v) in rows {
        if *v != Verdict::MulticastWorks {
            let paint = match v {
                Verdict::MulticastWorks => Paint::Good,
                Verdict::UnicastOnly => Paint::Warn,
                Verdict::NoReply => Paint::Bad,
            };
            let words = color::paint(v.words(), paint);
            writeln!(out, "{addr}: {words}: {}", v.mesh_advice())?;
        }
    }
    Ok(())
}

/// The whole matrix as far as it is known: rows the senders, columns the receivers, each
/// cell the multicast loss and average round trip, then the same for unicast; "?" where the
/// receiver shared nothing (an omping host, or one that ended first).
pub fn matrix(out: &mut impl Write, hosts: &[IpAddr], pairs: &[(IpAddr, Row)]) -> io::Result<()> {
    for (name, path) in [("multicast", true), ("unicast", false)] {
        let cell = |from: IpAddr, to: IpAddr| -> String {
            if from == to {
                return "-".into();
            }
            pairs
                .iter()
                .find(|(t, r)| *t == to && r.from == from)
                .map_or("?".into(), |(_, r)| {
                    let p = if path { &r.multicast } else { &r.unicast };
                    match p.rtt_avg_ms {
                        Some(avg) => format!("{} {avg:.3}", loss_text(p.loss_pct)),
                        None => loss_text(p.loss_pct),
                    }
                })
        };
        let names: Vec<String> = hosts.iter().map(ToString::to_string).collect();
        let mut width = names.iter().map(String::len).max().unwrap_or(0);
        for &f in hosts {
            for &t in hosts {
                width = width.max(cell(f, t).len());
            }
        }
        writeln!(
            out,
            "--- {name}: loss and average round trip (ms), rows send, columns receive ---"
        )?;
        let mut line = format!("{:<width$}", "");
        for n in &names {
            line += &format!("  {n:<width$}");
        }
        writeln!(out, "{}", line.trim_end())?;
        for (f, n) in hosts.iter().zip(&names) {
            let mut line = format!("{n:<width$}");
            for &t in hosts {
                line += &format!("  {:<width$}", cell(*f, t));
            }
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcast::ping::ServerStats;

    #[test]
    fn the_matrix_has_a_cell_per_pair_and_marks_what_is_unknown() {
        let mut s = ServerStats {
            sent: 2,
            last_seq: 2,
            ..ServerStats::default()
        };
        s.unicast.record(1, Some(1_000_000), Some(0));
        s.multicast.record(1, Some(2_000_000), Some(0));
        let sum = s.summary(String::new());
        let hosts: Vec<IpAddr> = ["192.0.2.1", "192.0.2.2"]
            .iter()
            .map(|h| h.parse().unwrap())
            .collect();
        let row = Row {
            from: hosts[1],
            unicast: sum.unicast,
            multicast: sum.multicast,
            first_multicast_ms: None,
        };
        let mut text = Vec::new();
        matrix(&mut text, &hosts, &[(hosts[0], row)]).unwrap();
        let text = String::from_utf8(text).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "             192.0.2.1    192.0.2.2");
        assert_eq!(lines[2], "192.0.2.1    -            ?");
        assert_eq!(lines[3], "192.0.2.2    50.0% 2.000  -");
        assert_eq!(lines[7], "192.0.2.2    50.0% 1.000  -");
    }

    #[test]
    fn rows_line_up_and_failures_get_advice() {
        let mut good = ServerStats {
            sent: 2,
            last_seq: 2,
            ..ServerStats::default()
        };
        for seq in 1..=2 {
            good.unicast.record(seq, Some(1_000_000), Some(0));
        }
        good.multicast.record(2, Some(2_000_000), Some(0));
        let silent = ServerStats::default();
        let rows: Vec<_> = [("192.0.2.2", &good), ("192.0.2.10", &silent)]
            .into_iter()
            .map(|(a, s)| (a.parse().unwrap(), s.summary(a.into()), s.verdict()))
            .collect();
        let mut text = Vec::new();
        write(&mut text, "192.0.2.1".parse().unwrap(), &rows).unwrap();
        let text = String::from_utf8(text).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[2],
            "192.0.2.2   2/2 0.0% 1.000 ms  1/2 50.0% (0.0% after the first) 2.000 ms  0     multicast works"
        );
        assert_eq!(lines[1].find("unicast"), lines[2].find("2/2"));
        assert_eq!(
            lines[3],
            "192.0.2.10  no reply           no reply                                   -     no reply"
        );
        assert!(lines[4].starts_with("192.0.2.10: no reply: nothing came back"));
    }
}
