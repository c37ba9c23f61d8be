//! Running the `mcast` binary inside lab hosts, as a user would, with every wait bounded.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::lab::Host;

pub const MCAST: &str = env!("CARGO_BIN_EXE_mcast");

/// The command line for `mcast ARGS` inside `host`, stdin empty, stdout and stderr piped.
pub fn command(host: &Host, args: &[&str]) -> Command {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &host.ns, MCAST]).args(args);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `mcast ARGS` in `host` to its end (killed after 20 s, which fails the test).
pub fn run(host: &Host, args: &[&str]) -> Output {
    let child = command(host, args).spawn().expect("start mcast");
    finish(child, Duration::from_secs(20))
}

/// Runs `mcast ARGS` in `host` with `input` on its standard input.
pub fn run_with_input(host: &Host, args: &[&str], input: &str) -> Output {
    let mut cmd = command(host, args);
    cmd.stdin(Stdio::piped());
    let mut child = cmd.spawn().expect("start mcast");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    finish(child, Duration::from_secs(20))
}

/// A running `mcast` in the background; a thread drains its stdout so it never blocks, and
/// hands each line over as it comes.
pub struct Running {
    /// The process; taken by `wait`. A `Running` dropped before that (a failed assertion)
    /// ends the process by its own id, so no test leaves an mcast behind.
    child: Option<Child>,
    reader: Option<std::thread::JoinHandle<()>>,
    incoming: Option<std::sync::mpsc::Receiver<String>>,
    pub lines: Vec<String>,
}

/// Starts `mcast ARGS` in `host` and waits until it printed its first line (the join).
pub fn start(host: &Host, args: &[&str]) -> Running {
    let (child, stdout, first) = spawn_until_first_line(host, args);
    let (tx, rx) = std::sync::mpsc::channel();
    Running {
        child: Some(child),
        reader: Some(drain(stdout, tx)),
        incoming: Some(rx),
        lines: vec![first],
    }
}

/// Starts `mcast ARGS` in `host`, waits for its first line, then closes our end of its
/// stdout, as `mcast ... | head -1` does.
pub fn start_then_close_stdout(host: &Host, args: &[&str]) -> Running {
    let (child, stdout, first) = spawn_until_first_line(host, args);
    drop(stdout);
    Running {
        child: Some(child),
        reader: None,
        incoming: None,
        lines: vec![first],
    }
}

/// The first line is the join; a process that dies first gives an empty line here.
fn spawn_until_first_line(host: &Host, args: &[&str]) -> (Child, BufReader<ChildStdout>, String) {
    let mut child = command(host, args).spawn().expect("start mcast");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout
        .read_line(&mut first)
        .expect("read mcast's first line");
    (child, stdout, first.trim_end().to_string())
}

fn drain(
    stdout: BufReader<ChildStdout>,
    lines: std::sync::mpsc::Sender<String>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    })
}

impl Running {
    /// Waits at most `limit` for a line containing `text`, keeping every line read; fails
    /// the test when none comes.
    pub fn wait_for_line(&mut self, text: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        let incoming = self.incoming.as_ref().expect("stdout is read");
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match incoming.recv_timeout(left) {
                Ok(line) => {
                    self.lines.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {text:?} within {limit:?}: {:?}", self.lines),
            }
        }
    }

    /// Waits for the end (at most `limit`), and returns all it printed.
    pub fn wait(mut self, limit: Duration) -> Output {
        let mut child = self.child.take().expect("not waited for yet");
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut out = finish(child, Duration::from_millis(500));
        if let Some(r) = self.reader.take() {
            r.join().unwrap();
        }
        let mut lines = std::mem::take(&mut self.lines);
        lines.extend(self.incoming.iter().flat_map(|rx| rx.try_iter()));
        let mut all = lines.join("\n");
        all.push('\n');
        out.stdout = all.into_bytes();
        out
    }

    /// Sends a signal to the running mcast (a process this test started).
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        let child = self.child.as_ref().expect("still running");
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, sig).expect("signal mcast");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A started process that a failing test ends (by its own id) rather than leaves behind:
/// `finish` takes it back.
pub struct Guarded(Option<Child>);

impl From<Child> for Guarded {
    fn from(child: Child) -> Self {
        Guarded(Some(child))
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Guarded {
    /// The process's id.
    pub fn id(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }
}

/// Starts `cmd`, guarded.
pub fn spawn(mut cmd: Command) -> Guarded {
    cmd.spawn().expect("start the program").into()
}

/// Waits for `child` at most `limit`, then kills it (by its own id) and fails the test.
pub fn finish(child: impl Into<Guarded>, limit: Duration) -> Output {
    let child = child.into().0.take().expect("not finished before");
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    // Its output is read while it runs: a program that prints more than a pipe holds would
    // otherwise wait on us for ever.
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => {
            let _ = reader.join();
            out.expect("collect the program's output")
        }
        Err(_) => {
            // Still our unreaped child, so the id is still its own.
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            let out = rx
                .recv()
                .expect("the reader ends once the program is killed");
            let _ = reader.join();
            let stderr = out.map(|o| o.stderr).unwrap_or_default();
            panic!(
                "the program did not end within {limit:?}; stderr: {}",
                String::from_utf8_lossy(&stderr)
            );
        }
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The JSON Lines mcast printed, parsed.
pub fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// Runs `mcast ARGS` in `host` as user nobody, without privileges or capabilities.
pub fn run_as_nobody(host: &Host, args: &[&str]) -> Output {
    let mut all = vec!["--reuid=65534", "--regid=65534", "--clear-groups", MCAST];
    all.extend(args);
    host.exec("setpriv", &all)
}

/// The JSON Lines events of `out` whose type is `kind`.
pub fn events_of(out: &Output, kind: &str) -> Vec<serde_json::Value> {
    json_lines(out)
        .into_iter()
        .filter(|e| e["type"] == kind)
        .collect()
}

/// ping's figures of each server, from the one summary it ends with.
pub fn ping_servers(out: &Output) -> Vec<serde_json::Value> {
    let summaries = events_of(out, "summary");
    assert_eq!(summaries.len(), 1, "ping ends with one summary");
    summaries[0]["servers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// `mcast doctor ARGS --json` in `host`: the exit status and each check by name.
pub fn doctor(
    host: &Host,
    args: &[&str],
) -> (
    Option<i32>,
    std::collections::HashMap<String, serde_json::Value>,
) {
    let mut all = vec!["doctor"];
    all.extend(args);
    all.push("--json");
    let out = run(host, &all);
    let checks: Vec<serde_json::Value> = serde_json::from_str(stdout(&out).trim())
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    let by_name = checks
        .into_iter()
        .map(|c| (c["check"].as_str().unwrap_or("").to_string(), c))
        .collect();
    (out.status.code(), by_name)
}
