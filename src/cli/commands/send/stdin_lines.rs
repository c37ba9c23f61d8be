//! Lines of standard input for `send -`, in bounded memory, with waits a deadline or a stop
//! signal can cut short.

use std::io::{self, Read};
use std::os::fd::AsFd;
use std::time::Instant;

use anyhow::{Result, bail};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::cli::signals::stop;

/// What `StdinLines::next` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Next<'a> {
    /// A line, without its `\n` or `\r\n`.
    Line(&'a [u8]),
    /// The input ended.
    End,
    /// The deadline passed or a stop was requested while waiting for input.
    Stopped,
}

/// Reads `input` a line at a time; a line longer than `max` bytes is an error, found
/// without reading more than `max` + 2 bytes of it.
pub struct StdinLines<R> {
    input: R,
    max: usize,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    ended: bool,
    /// Lines handed out so far, to name the one that is wrong.
    number: u64,
}

impl StdinLines<io::Stdin> {
    /// Standard input, in lines of at most `max` bytes.
    pub fn stdin(max: usize) -> Self {
        StdinLines::new(io::stdin(), max)
    }
}

impl<R: Read + AsFd> StdinLines<R> {
    fn new(input: R, max: usize) -> Self {
        StdinLines {
            input,
            max,
            // Room for a whole line and its ending, read in large pieces.
            buf: vec![0; 2 * (max + 2).max(4096)],
            start: 0,
            end: 0,
            ended: false,
            number: 0,
        }
    }

    /// The next line, waiting for input until `deadline` or a stop signal.
    pub fn next(&mut self, deadline: Option<Instant>) -> Result<Next<'_>> {
        loop {
            let held = &self.buf[self.start..self.end];
            let line_end = held.iter().position(|&b| b == b'\n');
            let taken = match line_end {
                Some(at) => Some((at, at + 1)),
                None if self.ended && !held.is_empty() => Some((held.len(), held.len())),
                None if self.ended => return Ok(Next::End),
                None if held.len() > self.max + 1 => Some((held.len(), 0)),
                None => None,
            };
            if let Some((len, used)) = taken {
                self.number += 1;
                let mut line = self.start..self.start + len;
                if used == 0 {
                    bail!(
                        "line {} of standard input is longer than one datagram carries ({} bytes); split it",
                        self.number,
                        self.max
                    );
                }
                self.start += used;
                if self.buf[line.clone()].last() == Some(&b'\r') {
                    line.end -= 1;
                }
                let text = &self.buf[line];
                if text.len() > self.max {
                    bail!(
                        "line {} of standard input is {} bytes, more than one datagram carries ({}); split it",
                        self.number,
                        text.len(),
                        self.max
                    );
                }
                if std::str::from_utf8(text).is_err() {
                    bail!(
                        "line {} of standard input is not UTF-8 text; `mcast send -` sends lines of text",
                        self.number
                    );
                }
                return Ok(Next::Line(text));
            }
            if !self.fill(deadline)? {
                return Ok(Next::Stopped);
            }
        }
    }

    /// Reads more input after what is held; false when the deadline or a stop came first.
    fn fill(&mut self, deadline: Option<Instant>) -> Result<bool> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        loop {
            if stop::requested() {
                return Ok(false);
            }
            let timeout = match deadline {
                None => PollTimeout::NONE,
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(false);
                    }
                    // Rounded up, so the wait does not end just before the deadline.
                    let ms = left.as_micros().div_ceil(1000);
                    PollTimeout::try_from(ms.min(i32::MAX as u128) as i32)
                        .unwrap_or(PollTimeout::MAX)
                }
            };
            let mut fds = [PollFd::new(self.input.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, timeout) {
                Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
                Ok(_) => {}
                Err(e) => bail!("wait for standard input: {e}"),
            }
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => self.ended = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => bail!("read standard input: {}", mcast::error::os_message(&e)),
            }
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::{Seek, Write};

    fn lines_of(bytes: &[u8], max: usize) -> StdinLines<File> {
        let mut f = tempfile();
        f.write_all(bytes).unwrap();
        f.rewind().unwrap();
        StdinLines::new(f, max)
    }

    fn tempfile() -> File {
        let path = std::env::temp_dir().join(format!(
            "mcast-stdin-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let f = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        f
    }

    fn all(l: &mut StdinLines<File>) -> Result<Vec<String>> {
        let mut got = Vec::new();
        loop {
            match l.next(None)? {
                Next::Line(t) => got.push(String::from_utf8(t.to_vec()).unwrap()),
                Next::End => return Ok(got),
                Next::Stopped => panic!("stopped"),
            }
        }
    }

    #[test]
    fn lines_with_either_ending_and_a_last_without_one() {
        let mut l = lines_of(b"one\ntwo\r\n\nlast", 10);
        assert_eq!(all(&mut l).unwrap(), ["one", "two", "", "last"]);
    }

    #[test]
    fn a_line_of_exactly_max_passes_and_one_more_byte_is_named() {
        let mut l = lines_of(b"12345\r\nok\n123456\n", 5);
        let err = all(&mut l).unwrap_err().to_string();
        assert_eq!(
            err,
            "line 3 of standard input is 6 bytes, more than one datagram carries (5); split it"
        );
    }

    #[test]
    fn an_endless_line_is_refused_after_reading_little_of_it() {
        let big = vec![b'x'; 1 << 20];
        let mut l = lines_of(&big, 100);
        let err = all(&mut l).unwrap_err().to_string();
        assert!(
            err.starts_with("line 1 of standard input is longer"),
            "{err}"
        );
        assert!(l.buf.len() <= 8192, "memory stays bounded");
    }

    #[test]
    fn a_line_that_is_not_utf8_is_named() {
        let mut l = lines_of(b"fine\n\xff\xfe\n", 100);
        let err = all(&mut l).unwrap_err().to_string();
        assert!(
            err.starts_with("line 2 of standard input is not UTF-8"),
            "{err}"
        );
    }
}
