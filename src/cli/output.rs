//! Standard output for data: line-buffered on a terminal, block-buffered into pipes and files.

use std::io::{self, BufWriter, IsTerminal, LineWriter, Write};

use serde::Serialize;

use super::escape::SafeFormatter;

/// stdout, buffered as suits where it goes.
pub enum Stdout {
    /// A terminal: each line is seen as soon as it is complete.
    Terminal(LineWriter<io::Stdout>),
    /// A pipe or file: written in blocks, flushed at the end.
    Other(BufWriter<io::Stdout>),
}

impl Stdout {
    /// Opens stdout for data.
    pub fn new() -> Self {
        let out = io::stdout();
        if out.is_terminal() {
            Stdout::Terminal(LineWriter::new(out))
        } else {
            Stdout::Other(BufWriter::with_capacity(64 * 1024, out))
        }
    }

    /// Writes `value` as one line of JSON, with terminal-unsafe characters escaped.
    pub fn json_line<T: Serialize>(&mut self, value: &T) -> io::Result<()> {
        let mut ser = serde_json::Serializer::with_formatter(&mut *self, SafeFormatter);
        value.serialize(&mut ser).map_err(io::Error::other)?;
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
