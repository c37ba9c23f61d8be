//! The output every command shares: standard output for data (line-buffered on a terminal,
//! block-buffered into pipes and files, here), JSON Lines, the records send, recv and join
//! print, escaping, colour, the labels of packet lines and the membership table.

pub mod color;
pub mod escape;
pub mod events;
pub mod json_line;
pub mod labels;
pub mod memberships;
pub mod streams;

use std::io::{self, IsTerminal, Write};

use serde::Serialize;

use json_line::write_json;

/// How much goes to a pipe or file in one write.
const BLOCK: usize = 256 * 1024;

/// What a pipe on stdout is asked to hold: the most Linux grants users by default.
const PIPE: usize = 1 << 20;

/// stdout, buffered as suits where it goes.
pub type Stdout = Output<RawStdout>;

/// File descriptor 1 without Rust's own line buffer: `Output` is the only buffer, so what
/// it holds is all that is not yet written.
pub struct RawStdout(io::Stdout);

impl Write for RawStdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        nix::unistd::write(&self.0, buf).map_err(io::Error::from)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The error `Output` returns when a stop was requested while stdout did not take data
/// (a reader that stopped reading): the command winds down instead of waiting on it.
fn stopped_while_blocked(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::Interrupted && crate::cli::signals::stop::requested()
}

/// Whether a command goes on after writing output: false when a stop signal came while
/// stdout was not being read (the command then winds down: leaves, and tries its summary),
/// an error for any other failure.
pub fn going_on<E: Into<anyhow::Error>>(written: Result<(), E>) -> anyhow::Result<bool> {
    match written.map_err(Into::into) {
        Ok(()) => Ok(true),
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(stopped_while_blocked)
            }) =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Data output into `out`, buffered as suits where it goes.
pub struct Output<W: Write> {
    out: W,
    /// A terminal sees each line as soon as it is complete; a pipe or file gets blocks,
    /// flushed when the receiver catches up and at the end.
    terminal: bool,
    /// What is not written yet. JSON lines are built in place here: a line is dozens of
    /// small pieces, and appending them to a Vec costs far less than any writer would.
    pending: Vec<u8>,
    /// Set once a write gave up for a stop request: what is written after that (the last
    /// lines and the summary) waits for the reader, even through a repeated signal.
    gave_up: bool,
}

impl Stdout {
    /// Opens stdout for data.
    pub fn new() -> Self {
        let out = io::stdout();
        // Into a pipe, a wider one lets a busy receiver write longer between waits on its
        // reader. Anything else (a file, a terminal) refuses, which is fine.
        let _ = mcast::pipe::widen(&out, PIPE);
        let terminal = out.is_terminal();
        Output::over(RawStdout(out), terminal)
    }
}

impl<W: Write> Output<W> {
    /// Data output into `out`, a terminal when `terminal` says so.
    fn over(out: W, terminal: bool) -> Self {
        Output {
            out,
            terminal,
            pending: Vec::with_capacity(BLOCK + 4096),
            gave_up: false,
        }
    }

    /// Writes `value` as one line of JSON, with terminal-unsafe characters escaped.
    pub fn json_line<T: Serialize>(&mut self, value: &T) -> io::Result<()> {
        self.text_line(|line| {
            write_json(line, value).map_err(io::Error::other)?;
            line.push(b'\n');
            Ok(())
        })
    }

    /// Writes one line of text, put together by `line` straight into the output buffer.
    pub fn text_line(
        &mut self,
        line: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
    ) -> io::Result<()> {
        let start = self.pending.len();
        if let Err(e) = line(&mut self.pending) {
            self.pending.truncate(start);
            return Err(e);
        }
        self.written(true)
    }

    /// Passes on what is pending once a line ends on a terminal or a block is full.
    fn written(&mut self, line_ended: bool) -> io::Result<()> {
        if (self.terminal && line_ended) || self.pending.len() >= BLOCK {
            self.write_pending()?;
        }
        Ok(())
    }

    fn write_pending(&mut self) -> io::Result<()> {
        let mut written = 0;
        let may_give_up = !self.gave_up;
        let done = write_all(&mut self.out, &self.pending, &mut written, may_give_up);
        if done.as_ref().is_err_and(stopped_while_blocked) {
            // Kept for the last flush after the stop: the user stopped the run, not the data.
            self.pending.drain(..written);
            self.gave_up = true;
        } else {
            // Cleared even when the write fails: a closed pipe must not be retried at the end.
            self.pending.clear();
        }
        done.map_err(|e| {
            if e.kind() == io::ErrorKind::WriteZero || e.raw_os_error().is_some() {
                io::Error::new(
                    e.kind(),
                    format!("write to stdout: {}", mcast::error::os_message(&e)),
                )
            } else {
                e
            }
        })
    }
}

impl<W: Write> Write for Output<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        self.written(buf.contains(&b'\n'))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.out.flush()
    }
}

/// `write_all` that gives up, with an Interrupted error, when a signal asked mcast to stop
/// while the reader was not reading; other interruptions are retried as usual. (A signal
/// that comes while a pipe write waits ends the write early: with EINTR when nothing was
/// written yet, else with what was.)
fn write_all(
    out: &mut impl Write,
    buf: &[u8],
    written: &mut usize,
    may_give_up: bool,
) -> io::Result<()> {
    let give_up = || may_give_up && crate::cli::signals::stop::requested();
    while *written < buf.len() {
        match out.write(&buf[*written..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                *written += n;
                if *written < buf.len() && give_up() {
                    return Err(io::ErrorKind::Interrupted.into());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted && !give_up() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize) -> serde_json::Value {
        serde_json::json!({"type": "packet", "seq": n})
    }

    #[test]
    fn a_terminal_gets_every_line_at_once() {
        let mut out = Output::over(Vec::new(), true);
        out.json_line(&line(1)).unwrap();
        let first = format!("{}\n", line(1));
        assert_eq!(out.out, first.as_bytes());
        write!(out, "half a ").unwrap();
        assert_eq!(out.out.len(), first.len(), "nothing before the line ends");
        writeln!(out, "line").unwrap();
        assert!(out.out.ends_with(b"half a line\n"));
    }

    #[test]
    fn a_pipe_or_file_gets_whole_blocks_and_the_rest_on_flush() {
        let mut out = Output::over(Vec::new(), false);
        let mut n = 0;
        while out.out.is_empty() {
            n += 1;
            out.json_line(&line(n)).unwrap();
        }
        // One write of at least a block, ending with a whole line.
        assert!(out.out.len() >= BLOCK && out.out.ends_with(b"}\n"));
        let before = out.out.len();
        out.text_line(|l| writeln!(l, "last")).unwrap();
        assert_eq!(out.out.len(), before);
        out.flush().unwrap();
        assert!(out.out.ends_with(b"}\nlast\n"));
        let lines = std::str::from_utf8(&out.out).unwrap().lines().count();
        assert_eq!(lines, n + 1, "no line lost or doubled");
    }

    #[test]
    fn a_line_that_fails_leaves_nothing_behind() {
        let mut out = Output::over(Vec::new(), false);
        out.text_line(|l| writeln!(l, "kept")).unwrap();
        let failed = out.text_line(|l| {
            write!(l, "half")?;
            Err(io::Error::other("broken"))
        });
        assert!(failed.is_err());
        out.flush().unwrap();
        assert_eq!(out.out, b"kept\n");
    }
}
