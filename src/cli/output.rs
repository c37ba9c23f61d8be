//! Standard output for data: line-buffered on a terminal, block-buffered into pipes and files.

use std::io::{self, IsTerminal, Write};

use serde::Serialize;

use super::json_line::write_json;

/// How much goes to a pipe or file in one write.
const BLOCK: usize = 256 * 1024;

/// What a pipe on stdout is asked to hold: the most Linux grants users by default.
const PIPE: usize = 1 << 20;

/// stdout, locked once for the whole run, buffered as suits where it goes.
pub struct Stdout {
    out: io::StdoutLock<'static>,
    /// A terminal sees each line as soon as it is complete; a pipe or file gets blocks,
    /// flushed when the receiver catches up and at the end.
    terminal: bool,
    /// What is not written yet. JSON lines are built in place here: a line is dozens of
    /// small pieces, and appending them to a Vec costs far less than any writer would.
    pending: Vec<u8>,
}

impl Stdout {
    /// Opens stdout for data.
    pub fn new() -> Self {
        let out = io::stdout().lock();
        // Into a pipe, a wider one lets a busy receiver write longer between waits on its
        // reader. Anything else (a file, a terminal) refuses, which is fine.
        let _ = mcast::pipe::widen(&out, PIPE);
        Stdout {
            terminal: out.is_terminal(),
            out,
            pending: Vec::with_capacity(BLOCK + 4096),
        }
    }

    /// Writes `value` as one line of JSON, with terminal-unsafe characters escaped.
    pub fn json_line<T: Serialize>(&mut self, value: &T) -> io::Result<()> {
        let start = self.pending.len();
        if let Err(e) = write_json(&mut self.pending, value) {
            self.pending.truncate(start);
            return Err(io::Error::other(e));
        }
        self.pending.push(b'\n');
        self.written(true)
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
        // Cleared even when the write fails: a closed pipe must not be retried at the end.
        let done = self.out.write_all(&self.pending);
        self.pending.clear();
        done
    }
}

impl Write for Stdout {
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
