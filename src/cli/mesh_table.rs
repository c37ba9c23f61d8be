//! The text `mcast mesh` ends with: one row per other host (the sender of the replies), this
//! host as the receiver, each path's count, loss and round trip, and advice for the rows
//! where multicast did not arrive.

use std::io::{self, Write};
use std::net::IpAddr;

use super::ping_stats::{PathSummary, ServerSummary, Verdict};

/// One path's cell: received/sent, loss, average round trip.
fn cell(p: &PathSummary) -> String {
    let mut c = format!("{}/{} {:.1}%", p.received, p.sent, p.loss_pct);
    if let Some(f) = p.loss_since_first_pct.filter(|f| *f != p.loss_pct) {
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
                v.key().to_string(),
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
            writeln!(out, "{addr}: {}: {}", v.key(), v.advice())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::ping_stats::ServerStats;
    use super::*;

    #[test]
    fn rows_line_up_and_failures_get_advice() {
        let mut good = ServerStats {
            sent: 2,
            last_seq: 2,
            ..ServerStats::default()
        };
        for seq in 1..=2 {
            good.unicast.record(seq, 1_000_000, Some(0));
        }
        good.multicast.record(2, 2_000_000, Some(0));
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
            "192.0.2.10  0/0 0.0%           0/0 0.0%                                   -     no reply"
        );
        assert!(lines[4].starts_with("192.0.2.10: no reply: nothing came back"));
    }
}
