//! Standard output for data: line-buffered on a terminal, block-buffered into pipes and files.

use std::io::{self, BufWriter, IsTerminal, LineWriter, Write};

use serde::Serialize;

use super::escape::SafeFormatter;

/// stdout, locked once for the whole run, buffered as suits where it goes.
pub enum Stdout {
    /// A terminal: each line is seen as soon as it is complete.
    Terminal(LineWriter<io::StdoutLock<'static>>),
    /// A pipe or file: written in blocks, flushed when the receiver catches up and at the end.
    Other(BufWriter<io::StdoutLock<'static>>),
}

impl Stdout {
    /// Opens stdout for data.
    pub fn new() -> Self {
        let out = io::stdout().lock();
        if out.is_terminal() {
            Stdout::Terminal(LineWriter::new(out))
        } else {
            Stdout::Other(BufWriter::with_capacity(256 * 1024, out))
        }
    }

    /// Writes `value` as one line of JSON, with terminal-unsafe characters escaped.
    pub fn json_line<T: Serialize>(&mut self, value: &T) -> io::Result<()> {
        let mut ser = serde_json::Serializer::with_formatter(&mut *self, SafeFormatter);
        value.serialize(&mut ser).map_err(io::Error::other)?;
        self.write_all(b"\n")
    }
}

impl Stdout {
    /// Writes `value` as one line of JSON with serde_json's plain escaping: only for values
    /// whose strings the caller has checked are printable ASCII (see `escape::is_plain`).
    pub fn json_line_plain<T: Serialize>(&mut self, value: &T) -> io::Result<()> {
        serde_json::to_writer(&mut *self, value).map_err(io::Error::other)?;
        self.write_all(b"\n")
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stdout::Terminal(w) => w.write(buf),
            Stdout::Other(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stdout::Terminal(w) => w.flush(),
            Stdout::Other(w) => w.flush(),
        }
    }
}
