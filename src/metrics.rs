//! Serving figures to Prometheus: a small HTTP server on a thread of its own (std's
//! `TcpListener`, no async runtime) that answers `GET /metrics` with OpenMetrics text.
//!
//! The figures belong to the program's receiving loop, which must never wait on a scraper:
//! the server raises a flag when a scrape comes, the loop renders the exposition at its next
//! turn (`wanted`, then `publish`) and goes on, and the server waits for it a bounded time.
//! Nothing is rendered while nobody scrapes. (Its serving is tested in the lab, in a network
//! namespace of the test's own: tests/monitor.rs.)

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::{Error, Result};

/// The content type of OpenMetrics text, as Prometheus asks for it.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The content type of Prometheus's classic text format, for clients that do not ask for
/// OpenMetrics (curl, promtool check metrics).
pub const CLASSIC_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How long a scrape waits for the loop to render.
const RENDER_WAIT: Duration = Duration::from_secs(2);
/// How long a client may take to send its request or read the answer.
const CLIENT_WAIT: Duration = Duration::from_secs(5);
/// Bytes of a request read at most (the request line and headers).
const MAX_REQUEST: usize = 8192;

/// `--metrics ADDR`: an address and port, or a port alone, which is loopback's (127.0.0.1):
/// serving every interface is asked for by name (`0.0.0.0:9464`, `[::]:9464`).
pub fn parse_addr(s: &str) -> std::result::Result<SocketAddr, String> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    s.parse::<SocketAddr>().map_err(|_| {
        format!(
            "'{s}': give a port (9464, on 127.0.0.1), or an address and port (0.0.0.0:9464, [::1]:9464)"
        )
    })
}

/// What the server and the loop share.
#[derive(Default)]
struct Shared {
    wanted: AtomicBool,
    text: Mutex<Option<String>>,
    ready: Condvar,
}

/// A running exporter: its address, and the loop's side of the hand-over.
pub struct Exporter {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl Exporter {
    /// Listens on `addr` and serves on a thread of its own until the process ends.
    pub fn serve(addr: SocketAddr) -> Result<Exporter> {
        let context = format!("serve metrics on {addr}");
        let listener = TcpListener::bind(addr).map_err(|e| Error::os(&context, "bind", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::os(&context, "getsockname", e))?;
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("metrics".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    // One client at a time: a scrape is small, and Prometheus scrapes
                    // seconds apart.
                    let _ = answer(stream, &theirs);
                }
            })
            .map_err(|e| Error::os(&context, "spawn a thread", e))?;
        Ok(Exporter { shared, addr })
    }

    /// The address served (the port the system chose, for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether a scrape waits for the figures: then render them and `publish`.
    pub fn wanted(&self) -> bool {
        self.shared.wanted.load(Ordering::Acquire)
    }

    /// Hands the rendered exposition to the scrape waiting for it.
    pub fn publish(&self, text: String) {
        let mut slot = self.shared.text.lock().unwrap_or_else(|p| p.into_inner());
        *slot = Some(text);
        self.shared.wanted.store(false, Ordering::Release);
        self.shared.ready.notify_all();
    }
}

/// Reads one request and answers it.
fn answer(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_read_timeout(Some(CLIENT_WAIT))?;
    stream.set_write_timeout(Some(CLIENT_WAIT))?;
    let mut reader = BufReader::new(stream.try_clone()?).take(MAX_REQUEST as u64);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    // Of the headers, only Accept matters: Prometheus asks for OpenMetrics there.
    let mut header = String::new();
    let mut openmetrics = false;
    while reader.read_line(&mut header)? > 2 {
        let lower = header.to_ascii_lowercase();
        openmetrics |=
            lower.starts_with("accept:") && lower.contains("application/openmetrics-text");
        header.clear();
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    let mut out = stream;
    match (method, path) {
        ("GET", "/metrics") => match render(shared) {
            Some(body) if openmetrics => respond(&mut out, "200 OK", CONTENT_TYPE, &body),
            Some(body) => respond(&mut out, "200 OK", CLASSIC_TYPE, &classic(&body)),
            None => respond(
                &mut out,
                "503 Service Unavailable",
                "text/plain; charset=utf-8",
                "mcast did not render its figures in time\n",
            ),
        },
        ("GET", "/") => respond(
            &mut out,
            "200 OK",
            "text/plain; charset=utf-8",
            "mcast: the figures are at /metrics\n",
        ),
        ("GET", _) => respond(
            &mut out,
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not here: the figures are at /metrics\n",
        ),
        _ => respond(
            &mut out,
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET /metrics\n",
        ),
    }
}

/// Asks the loop for the figures and waits for them, a bounded time.
fn render(shared: &Shared) -> Option<String> {
    let mut slot = shared.text.lock().unwrap_or_else(|p| p.into_inner());
    *slot = None;
    shared.wanted.store(true, Ordering::Release);
    let (mut slot, _) = shared
        .ready
        .wait_timeout_while(slot, RENDER_WAIT, |s| s.is_none())
        .unwrap_or_else(|p| p.into_inner());
    slot.take()
}

/// OpenMetrics text in Prometheus's classic format: a counter's HELP and TYPE name its
/// `_total` series, and the UNIT and EOF lines, which the classic format lacks, go.
pub fn classic(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len() + 64 * counters.len());
    for line in openmetrics.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        let named = ["# HELP ", "# TYPE "].iter().find_map(|p| {
            let rest = line.strip_prefix(p)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{p}{name}_total {tail}"))
        });
        out.push_str(named.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

fn respond(out: &mut TcpStream, status: &str, kind: &str, body: &str) -> io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_alone_is_loopback_and_an_address_is_taken_as_given() {
        assert_eq!(
            parse_addr("9464").unwrap(),
            "127.0.0.1:9464".parse().unwrap()
        );
        assert_eq!(
            parse_addr("[::1]:9464").unwrap(),
            "[::1]:9464".parse().unwrap()
        );
        assert_eq!(
            parse_addr("0.0.0.0:1").unwrap(),
            "0.0.0.0:1".parse().unwrap()
        );
        let e = parse_addr("localhost:9464").unwrap_err();
        assert!(e.starts_with("'localhost:9464': give a port"), "{e}");
        assert!(parse_addr("70000").is_err());
    }

    #[test]
    fn the_classic_format_names_a_counter_by_its_series() {
        let om = "# HELP a_bytes Bytes.\n# TYPE a_bytes counter\n# UNIT a_bytes bytes\n\
                  a_bytes_total{x=\"1\"} 5\n# HELP up Up.\n# TYPE up gauge\nup 1.0\n# EOF\n";
        assert_eq!(
            classic(om),
            "# HELP a_bytes_total Bytes.\n# TYPE a_bytes_total counter\n\
             a_bytes_total{x=\"1\"} 5\n# HELP up Up.\n# TYPE up gauge\nup 1.0\n"
        );
    }
}
