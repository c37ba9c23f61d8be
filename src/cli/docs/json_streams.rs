//! mcast-json(7) for what recv reads in the content: the events of a stream (found, gap,
//! restart, continuity and other TR 101 290 errors, stall, resume) and its block in the
//! summary, each with a real line from the lab.

use super::json_reference::{COMMAND, Field, Kind};

const TIME: Field = (
    "time",
    "string",
    "RFC 3339 in UTC with microseconds: when the kernel received the datagram, or for stall when the clock told it",
);
const SOURCE: Field = ("source", "string", "the sender's address");
const SOURCE_PORT: Field = (
    "source_port",
    "number",
    "the sender's UDP port: a stream is one address and port",
);
const CONTENT: Field = (
    "content",
    "string",
    "what the stream carries: rtp, rtp_ts (MPEG-TS in RTP), ts (MPEG-TS in UDP) or feed (--seq)",
);
const SSRC: Field = (
    "ssrc",
    "number or null",
    "the RTP sender's SSRC; null for ts and feed",
);

pub(super) const STREAM_KINDS: &[Kind] = &[
    Kind {
        name: "stream",
        when: "recv (without --seq: --content auto, rtp or ts; with --seq: feeds), once per stream found, and for RTP once per SSRC",
        fields: &[
            ("type", "string", "stream"),
            COMMAND,
            TIME,
            SOURCE,
            SOURCE_PORT,
            CONTENT,
            SSRC,
            (
                "payload_type",
                "number or null",
                "the RTP payload type (33 is MPEG-TS); null for ts and feed",
            ),
            (
                "others",
                "number",
                "SSRCs heard from this address and port before this one: above 0, the sender restarted under a new SSRC or two senders share the group and port (the summary tells which)",
            ),
        ],
        more: &[],
        example: r#"{"type":"stream","command":"recv","time":"2026-12-03T06:03:44.262851Z","source":"192.0.2.2","source_port":40002,"content":"rtp_ts","ssrc":2684657952,"payload_type":33,"others":0}"#,
    },
    Kind {
        name: "gap",
        when: "recv, when RTP sequence numbers or a feed's numbers skip",
        fields: &[
            ("type", "string", "gap"),
            COMMAND,
            TIME,
            SOURCE,
            SOURCE_PORT,
            CONTENT,
            SSRC,
            ("expected", "number", "the number due next"),
            ("found", "number", "the number that came"),
            (
                "missing",
                "number",
                "numbers skipped: RTP packets, or a feed's messages",
            ),
            (
                "network",
                "number",
                "of missing, those lost before this host",
            ),
            (
                "host",
                "number",
                "of missing, those that coincide with datagrams this host's kernel dropped on the socket (SO_RXQ_OVFL) since the stream's previous datagram: raise --rcvbuf",
            ),
            ("cause", "string", "network, host, or host_and_network"),
        ],
        more: &[],
        example: r#"{"type":"gap","command":"recv","time":"2026-12-03T06:03:45.266448Z","source":"192.0.2.2","source_port":40002,"content":"rtp_ts","ssrc":2684657952,"expected":340,"found":341,"missing":1,"network":1,"host":0,"cause":"network"}"#,
    },
    Kind {
        name: "restart",
        when: "recv, when an RTP sender's numbers jump and the next packet confirms the jump (RFC 3550 A.1): the sender started again, not thousands lost",
        fields: &[
            ("type", "string", "restart"),
            COMMAND,
            TIME,
            SOURCE,
            SOURCE_PORT,
            CONTENT,
            SSRC,
        ],
        more: &[],
        example: r#"{"type":"restart","command":"recv","time":"2026-12-03T05:39:13.753565Z","source":"192.0.2.2","source_port":40001,"content":"rtp","ssrc":10}"#,
    },
    Kind {
        name: "cc_error",
        when: "recv, on an MPEG-TS continuity error (TR 101 290 1.4, by TSDuck's rules: the null PID skipped, the discontinuity indicator honoured, one repeated packet allowed)",
        fields: &[
            ("type", "string", "cc_error"),
            COMMAND,
            TIME,
            SOURCE,
            SOURCE_PORT,
            ("indicator", "string", "1.4, its TR 101 290 number"),
            ("pid", "number", "the PID"),
            (
                "kind",
                "string",
                "lost (the counter skipped), repeated (a packet repeated more than once) or no_payload_increment (the counter moved on a packet without payload)",
            ),
            (
                "last",
                "number or null",
                "the counter before; null unless lost",
            ),
            (
                "found",
                "number or null",
                "the counter that came; null unless lost",
            ),
            (
                "missing",
                "number",
                "TS packets missing, at least: the counter has 16 values, so a longer gap reads as its remainder; 0 unless lost",
            ),
            (
                "cause",
                "string",
                "host when this host's kernel dropped datagrams since the stream's previous one, else network",
            ),
        ],
        more: &[],
        example: r#"{"type":"cc_error","command":"recv","time":"2026-12-03T06:03:45.266448Z","source":"192.0.2.2","source_port":40002,"indicator":"1.4","pid":256,"kind":"lost","last":6,"found":14,"missing":7,"cause":"network"}"#,
    },
    Kind {
        name: "ts_error",
        when: "recv, on another TR 101 290 indicator of an MPEG-TS stream",
        fields: &[
            ("type", "string", "ts_error"),
            COMMAND,
            TIME,
            SOURCE,
            SOURCE_PORT,
            (
                "indicator",
                "string",
                "its TR 101 290 number: 1.1, 1.3, 1.5, 1.6, 2.2 or 2.3",
            ),
            (
                "name",
                "string",
                "sync_loss (1.1), pat_error (1.3: no PAT for 0.5 s, another table on PID 0, or PID 0 scrambled), pmt_error (1.5), pid_error (1.6: a PID the PMT lists silent for --pid-timeout), crc_error (2.2), pcr_error (2.3: more than 100 ms between PCRs)",
            ),
            ("pid", "number or null", "the PID; null for sync_loss"),
            (
                "table_id",
                "number or null",
                "the table of a crc_error, or the table found on PID 0; null otherwise",
            ),
            (
                "gap_ms",
                "number or null",
                "for pcr_error, the milliseconds between the two PCRs; null otherwise",
            ),
        ],
        more: &[],
        example: r#"{"type":"ts_error","command":"recv","time":"2026-12-03T05:39:21.293997Z","source":"192.0.2.2","source_port":40001,"indicator":"1.3","name":"pat_error","pid":0,"table_id":null,"gap_ms":null}"#,
    },
    Kind {
        name: "ts_recovered",
        when: "recv, when an MPEG-TS stream regains sync or a PID told silent comes back",
        fields: &[
            ("type", "string", "ts_recovered"),
            COMMAND,
            TIME,
            SOURCE,
            SOURCE_PORT,
            ("name", "string", "sync_regained or returned"),
            (
                "pid",
                "number or null",
                "the PID that returned; null for sync_regained",
            ),
        ],
        more: &[],
        example: r#"{"type":"ts_recovered","command":"recv","time":"2026-12-03T05:39:21.273693Z","source":"192.0.2.2","source_port":40001,"name":"sync_regained","pid":null}"#,
    },
    Kind {
        name: "stall",
        when: "recv, when a stream has sent nothing for --stall (default 1 s), told by a clock at once",
        fields: &[
            ("type", "string", "stall"),
            COMMAND,
            TIME,
            SOURCE,
            SOURCE_PORT,
            CONTENT,
            (
                "last_time",
                "string",
                "when its last datagram came (RFC 3339, UTC)",
            ),
            ("silent_ms", "number", "milliseconds of silence so far"),
        ],
        more: &[],
        example: r#"{"type":"stall","command":"recv","time":"2026-12-03T05:39:13.233599Z","source":"192.0.2.2","source_port":40001,"content":"rtp","last_time":"2026-12-03T05:39:12.232752Z","silent_ms":1000.847268}"#,
    },
    Kind {
        name: "resume",
        when: "recv, when a stalled stream sends again",
        fields: &[
            ("type", "string", "resume"),
            COMMAND,
            TIME,
            SOURCE,
            SOURCE_PORT,
            CONTENT,
            (
                "outage_ms",
                "number",
                "milliseconds between the datagrams either side of the silence",
            ),
        ],
        more: &[],
        example: r#"{"type":"resume","command":"recv","time":"2026-12-03T05:39:13.743295Z","source":"192.0.2.2","source_port":40001,"content":"rtp","outage_ms":1510.543385}"#,
    },
    Kind {
        name: "stream (in a recv summary)",
        when: "recv summaries and intervals, in streams, the most datagrams first",
        fields: &[
            SOURCE,
            SOURCE_PORT,
            CONTENT,
            ("datagrams", "number", "datagrams received from it"),
            ("bytes", "number", "their bytes"),
            (
                "first_time",
                "string",
                "when the first came (RFC 3339, UTC)",
            ),
            ("last_time", "string", "when the last came"),
            ("verdict", "string", "clean, or trouble (see problems)"),
            (
                "problems",
                "array of strings",
                "what is wrong: loss, stall (it went silent and came back), stopped (silent at the end, unless the run ended for silence, -t), two_senders (SSRCs taking turns), continuity, transport_errors, sync, ts_errors; empty when clean",
            ),
            (
                "lost",
                "number",
                "units lost in the content: RTP packets for rtp and rtp_ts, TS packets for ts, numbers for feed",
            ),
            (
                "lost_network",
                "number",
                "of lost, those lost before this host",
            ),
            (
                "lost_host",
                "number",
                "of lost, those that coincide with the kernel's drops on this host (raise --rcvbuf)",
            ),
            (
                "stalls",
                "number",
                "stalls, one going on at the end included",
            ),
            (
                "stalled_ms",
                "number",
                "milliseconds silent in all, over the stalls",
            ),
            (
                "stopped",
                "boolean",
                "true when it was silent at the end (its last stall had not ended)",
            ),
            (
                "spacing",
                "object or null",
                "the time between its datagrams: p50_ms, p99_ms, max_ms (within 9 %); null before two",
            ),
            (
                "ssrc_changes",
                "number",
                "times the SSRC changed from one packet to the next: a sender restarted under a new SSRC changes it once; 0 for ts and feed",
            ),
            (
                "rtp",
                "array of objects",
                "one per SSRC (see below); empty for ts and feed",
            ),
            (
                "ts",
                "object or null",
                "the MPEG-TS figures (see below); null unless ts or rtp_ts",
            ),
            (
                "feed",
                "object or null",
                "the sequence's figures (see below); null unless feed",
            ),
        ],
        more: &[],
        example: r#"{"source":"192.0.2.2","source_port":40002,"content":"rtp_ts","datagrams":133,"bytes":176624,"first_time":"2026-12-03T06:03:44.262851Z","last_time":"2026-12-03T06:03:47.587104Z","verdict":"trouble","problems":["loss","continuity"],"lost":2,"lost_network":2,"lost_host":0,"stalls":0,"stalled_ms":0.0,"stopped":false,"spacing":{"p50_ms":32.505856,"p99_ms":84.173204,"max_ms":84.173204},"ssrc_changes":0,"rtp":[{"ssrc":2684657952,"payload_type":33,"clock_rate":90000,"expected":134,"received":132,"lost":2,"missing":2,"duplicates":0,"late":0,"restarts":0,"set_aside":1,"jitter_ms":2.597128811692265}],"ts":{"pids":[{"pid":0,"role":"PAT","stream_type":null,"packets":28,"cc_errors":0,"missing":0,"duplicates":0,"transport_errors":0,"scrambled":0},{"pid":17,"role":"SDT","stream_type":null,"packets":7,"cc_errors":0,"missing":0,"duplicates":0,"transport_errors":0,"scrambled":0},{"pid":256,"role":"MPEG-2 video","stream_type":2,"packets":869,"cc_errors":2,"missing":13,"duplicates":0,"transport_errors":0,"scrambled":0},{"pid":4096,"role":"PMT","stream_type":null,"packets":27,"cc_errors":1,"missing":1,"duplicates":0,"transport_errors":0,"scrambled":0}],"null_packets":0,"sync_losses":0,"sync_byte_errors":0,"pat_errors":0,"pmt_errors":0,"pid_errors":0,"crc_errors":0,"pcr_errors":0,"mdi":{"seconds":3,"df_max_ms":318.8262892000001,"df_last_ms":261.1324899512195,"mlr_max":7}},"feed":null}"#,
    },
    Kind {
        name: "rtp (in a stream)",
        when: "recv summaries, in a stream's rtp",
        fields: &[
            ("ssrc", "number", "the sender's SSRC"),
            ("payload_type", "number", "its payload type"),
            (
                "clock_rate",
                "number or null",
                "Hz, from the static payload type table or --clock-rate; null for a dynamic type without it",
            ),
            (
                "expected",
                "number",
                "packets expected, from the extended highest sequence number (RFC 3550 A.3), over the stretches between restarts",
            ),
            (
                "received",
                "number",
                "packets counted, duplicates included (as A.3 counts them)",
            ),
            (
                "lost",
                "number",
                "expected less received, as RFC 3550 A.3 and tshark count it: duplicates make up for lost packets, and may make it negative",
            ),
            (
                "missing",
                "number",
                "numbers never received (duplicates not making up for them): what the stream's lost counts",
            ),
            ("duplicates", "number", "numbers received twice"),
            (
                "late",
                "number",
                "packets that filled a gap behind the highest number: reordered, not lost",
            ),
            (
                "restarts",
                "number",
                "confirmed jumps: the sender started again",
            ),
            (
                "set_aside",
                "number",
                "packets not counted: the first, on probation (A.1), and lone jumps never confirmed",
            ),
            (
                "jitter_ms",
                "number or null",
                "RFC 3550 A.8 interarrival jitter in milliseconds; null without a clock rate",
            ),
        ],
        more: &[],
        example: r#"{"ssrc":2684657952,"payload_type":33,"clock_rate":90000,"expected":134,"received":132,"lost":2,"missing":2,"duplicates":0,"late":0,"restarts":0,"set_aside":1,"jitter_ms":2.597128811692265}"#,
    },
    Kind {
        name: "ts (in a stream)",
        when: "recv summaries, in a stream's ts",
        fields: &[
            (
                "pids",
                "array of objects",
                "one per PID heard but the null PID (see below), by PID",
            ),
            (
                "null_packets",
                "number",
                "packets of the null PID 0x1FFF (stuffing)",
            ),
            (
                "sync_losses",
                "number",
                "times sync was lost (TR 101 290 1.1)",
            ),
            (
                "sync_byte_errors",
                "number",
                "packets without 0x47 where one was due (1.2)",
            ),
            ("pat_errors", "number", "1.3 errors"),
            ("pmt_errors", "number", "1.5 errors"),
            ("pid_errors", "number", "1.6 errors"),
            ("crc_errors", "number", "2.2 errors"),
            ("pcr_errors", "number", "2.3 errors"),
            (
                "mdi",
                "object or null",
                "RFC 4445 Media Delivery Index over whole seconds: seconds, df_max_ms and df_last_ms (delay factor, the worst and the latest second; null before two whole seconds), mlr_max (the most TS packets lost in one second); meaningful for a constant-rate stream",
            ),
        ],
        more: &[],
        example: r#"{"pids":[{"pid":0,"role":"PAT","stream_type":null,"packets":28,"cc_errors":0,"missing":0,"duplicates":0,"transport_errors":0,"scrambled":0},{"pid":17,"role":"SDT","stream_type":null,"packets":7,"cc_errors":0,"missing":0,"duplicates":0,"transport_errors":0,"scrambled":0},{"pid":256,"role":"MPEG-2 video","stream_type":2,"packets":869,"cc_errors":2,"missing":13,"duplicates":0,"transport_errors":0,"scrambled":0},{"pid":4096,"role":"PMT","stream_type":null,"packets":27,"cc_errors":1,"missing":1,"duplicates":0,"transport_errors":0,"scrambled":0}],"null_packets":0,"sync_losses":0,"sync_byte_errors":0,"pat_errors":0,"pmt_errors":0,"pid_errors":0,"crc_errors":0,"pcr_errors":0,"mdi":{"seconds":3,"df_max_ms":318.8262892000001,"df_last_ms":261.1324899512195,"mlr_max":7}}"#,
    },
    Kind {
        name: "pid (in ts)",
        when: "recv summaries, in a stream's ts.pids",
        fields: &[
            ("pid", "number", "the PID"),
            (
                "role",
                "string or null",
                "PAT, PMT, CAT, NIT, SDT, EIT, TDT, or the stream type's name from the PMT; null when no table names it",
            ),
            (
                "stream_type",
                "number or null",
                "the PMT's stream type; null unless the PMT lists the PID",
            ),
            ("packets", "number", "its packets"),
            ("cc_errors", "number", "its continuity errors (1.4)"),
            (
                "missing",
                "number",
                "packets its counters say were missing, at least (16 values: after a longer gap, its remainder)",
            ),
            ("duplicates", "number", "packets repeated once (legal)"),
            (
                "transport_errors",
                "number",
                "packets with the transport error indicator set (damaged upstream)",
            ),
            ("scrambled", "number", "scrambled packets"),
        ],
        more: &[],
        example: r#"{"pid":256,"role":"MPEG-2 video","stream_type":2,"packets":869,"cc_errors":2,"missing":13,"duplicates":0,"transport_errors":0,"scrambled":0}"#,
    },
    Kind {
        name: "feed (in a stream)",
        when: "recv summaries with --seq, in a stream's feed",
        fields: &[
            ("received", "number", "numbers received"),
            ("lost", "number", "numbers never received"),
            (
                "late",
                "number",
                "numbers that came after a higher one, filling a gap",
            ),
            ("duplicates", "number", "numbers received twice"),
            ("gaps", "number", "gaps, each told as a gap event"),
            (
                "unreadable",
                "number",
                "datagrams too short to hold the number: not counted",
            ),
        ],
        more: &[],
        example: r#"{"received":97,"lost":3,"late":0,"duplicates":0,"gaps":1,"unreadable":0}"#,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use mcast::content::flow::{Choice, Options, Streams};
    use mcast::content::seq::Format;
    use serde_json::Value;

    fn documented(name: &str) -> Vec<String> {
        let k = STREAM_KINDS.iter().find(|k| k.name == name).unwrap();
        let mut v: Vec<String> = k.all_fields().map(|f| f.0.to_string()).collect();
        v.sort_unstable();
        v
    }

    fn keys(v: &Value) -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort_unstable();
        k
    }

    /// An RTP datagram of payload type 33 carrying 7 TS packets of PID 0x100.
    fn rtp_ts(seq: u16) -> Vec<u8> {
        let mut d = vec![0x80, 33];
        d.extend(seq.to_be_bytes());
        d.extend((u32::from(seq) * 3000).to_be_bytes());
        d.extend(7u32.to_be_bytes());
        for i in 0..7u16 {
            let mut p = [0xffu8; 188];
            p[..4].copy_from_slice(&[0x47, 0x01, 0x00, 0x10 | ((seq * 7 + i) & 0x0f) as u8]);
            d.extend_from_slice(&p);
        }
        d
    }

    /// The summary's serde types print exactly the keys the reference documents, nested
    /// objects included.
    #[test]
    fn a_streams_summary_prints_what_the_reference_documents() {
        let from = "192.0.2.2:5000".parse().unwrap();
        let mut s = Streams::new(Options::default());
        for seq in 1..20 {
            s.observe(from, &rtp_ts(seq), u64::from(seq) * 1_000_000, 0, |_, _| {});
        }
        let summary = crate::cli::output::streams::summaries(&s, 30_000_000, false);
        let v = serde_json::to_value(&summary[0]).unwrap();
        assert_eq!(keys(&v), documented("stream (in a recv summary)"));
        assert_eq!(keys(&v["rtp"][0]), documented("rtp (in a stream)"));
        assert_eq!(keys(&v["ts"]), documented("ts (in a stream)"));
        assert_eq!(keys(&v["ts"]["pids"][0]), documented("pid (in ts)"));

        let mut s = Streams::new(Options {
            choice: Choice::Feed(Format::Field {
                offset: 0,
                len: 4,
                big_endian: true,
            }),
            ..Options::default()
        });
        for n in 1..5u32 {
            s.observe(from, &n.to_be_bytes(), u64::from(n), 0, |_, _| {});
        }
        let summary = crate::cli::output::streams::summaries(&s, 10, false);
        let v = serde_json::to_value(&summary[0]).unwrap();
        assert_eq!(keys(&v["feed"]), documented("feed (in a stream)"));
    }
}
