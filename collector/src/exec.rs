//! Running one external command with a deadline and bounded output capture.
//!
//! Collection steps call Windows' own tools (wevtutil, reg, certutil, netsh ...). Any of them
//! can hang (a stuck WMI provider, a prompt nobody answers) or print without end, so every run
//! here has a deadline after which the child is killed, and keeps at most a fixed number of
//! bytes of each stream while still draining the rest (a child blocked on a full pipe would
//! otherwise never exit). Nothing here panics; every failure comes back as data.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// How often a running child is polled for exit.
const POLL: Duration = Duration::from_millis(10);

/// How long the output readers get after the child exited or was killed. A grandchild that
/// inherited the pipes can keep them open; we do not wait for it.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

/// Children running now, so that an interrupted collector stops them too ([`kill_running`]):
/// `std::process::exit` does not, and a stuck tool would run on until its own deadline.
static RUNNING: Mutex<Vec<(u64, Arc<Mutex<Child>>)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
/// Set by [`kill_running`]: no new child starts after it.
static STOPPING: AtomicBool = AtomicBool::new(false);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// For a signal handler: kills every child [`run`] has started and not yet seen exit, and
/// refuses to start new ones. Returns how many were killed.
pub fn kill_running() -> usize {
    let list = lock(&RUNNING);
    STOPPING.store(true, Ordering::SeqCst);
    let mut killed = 0;
    for (_, child) in list.iter() {
        let mut c = lock(child);
        if matches!(c.try_wait(), Ok(None)) && c.kill().is_ok() {
            let _ = c.wait();
            killed += 1;
        }
    }
    killed
}

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    /// Program name or path (`wevtutil`, `reg`, `powershell` ...).
    pub program: String,
    /// Arguments, one per element (no shell quoting is applied).
    pub args: Vec<String>,
}

impl CommandSpec {
    /// A command from a program and its arguments.
    pub fn new<I, S>(program: &str, args: I) -> CommandSpec
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CommandSpec {
            program: program.to_string(),
            args: args.into_iter().map(Into::into).collect(),
        }
    }

    /// The command line as a user would type it in cmd (for logs, `--dry-run` and the
    /// manifest): arguments with spaces or quotes are quoted.
    pub fn display(&self) -> String {
        let mut s = self.program.clone();
        for a in &self.args {
            s.push(' ');
            if a.is_empty() || a.contains([' ', '\t', '"']) {
                s.push('"');
                s.push_str(&a.replace('"', "\\\""));
                s.push('"');
            } else {
                s.push_str(a);
            }
        }
        s
    }
}

/// Limits of one run.
#[derive(Debug, Clone, Copy)]
pub struct RunLimits {
    /// Kill the child after this long.
    pub timeout: Duration,
    /// Keep at most this many bytes of stdout (the rest is read and dropped).
    pub max_stdout: usize,
    /// Keep at most this many bytes of stderr.
    pub max_stderr: usize,
}

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits {
            timeout: Duration::from_secs(60),
            max_stdout: 64 * 1024 * 1024,
            max_stderr: 64 * 1024,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// The child exited by itself.
    Exited(Option<i32>),
    /// The deadline passed and the child was killed.
    TimedOut,
    /// The child could not be started (not found, access denied ...).
    SpawnFailed(String),
    /// Waiting for the child failed.
    WaitFailed(String),
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// How it ended.
    pub end: RunEnd,
    /// Captured stdout (at most `max_stdout` bytes).
    pub stdout: Vec<u8>,
    /// Captured stderr (at most `max_stderr` bytes).
    pub stderr: Vec<u8>,
    /// Whether stdout was longer than kept.
    pub stdout_truncated: bool,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl RunOutput {
    /// True when the child exited with status 0.
    pub fn success(&self) -> bool {
        self.end == RunEnd::Exited(Some(0))
    }

    /// One line saying how the run failed, with the first line of stderr when there is one;
    /// `None` on success.
    pub fn failure(&self) -> Option<String> {
        let why = match &self.end {
            RunEnd::Exited(Some(0)) => return None,
            RunEnd::Exited(Some(code)) => format!("exit code {code} ({code:#x})"),
            RunEnd::Exited(None) => "terminated by a signal".to_string(),
            RunEnd::TimedOut => format!(
                "timed out after {:.1} s and was killed",
                self.elapsed.as_secs_f64()
            ),
            RunEnd::SpawnFailed(e) => format!("could not start: {e}"),
            RunEnd::WaitFailed(e) => format!("waiting failed: {e}"),
        };
        let detail = first_line(&self.stderr).or_else(|| first_line(&self.stdout));
        Some(match detail {
            Some(d) => format!("{why}: {d}"),
            None => why,
        })
    }
}

/// First non-empty line of console output (decoded leniently), shortened for error texts.
fn first_line(bytes: &[u8]) -> Option<String> {
    let text = crate::decode::decode_console(bytes, None);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(if line.chars().count() > 300 {
        let mut s: String = line.chars().take(300).collect();
        s.push_str(" ...");
        s
    } else {
        line.to_string()
    })
}

/// Reads a stream to its end, keeping the first `cap` bytes.
fn drain(mut r: impl Read, cap: usize) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut truncated = false;
    let mut buf = [0u8; 64 * 1024];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                if room >= n {
                    kept.extend_from_slice(&buf[..n]);
                } else {
                    kept.extend_from_slice(&buf[..room]);
                    truncated = true;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    (kept, truncated)
}

fn spawn_reader<R: Read + Send + 'static>(r: Option<R>, cap: usize) -> mpsc::Receiver<(Vec<u8>, bool)> {
    let (tx, rx) = mpsc::channel();
    match r {
        Some(r) => {
            thread::spawn(move || {
                let _ = tx.send(drain(r, cap));
            });
        }
        None => {
            let _ = tx.send((Vec::new(), false));
        }
    }
    rx
}

/// Runs `spec` with stdin closed, in `cwd` if given, under `limits`.
pub fn run(spec: &CommandSpec, cwd: Option<&Path>, limits: RunLimits) -> RunOutput {
    let start = Instant::now();
    let mut cmd = Command::new(&spec.program);
    cmd.args(&spec.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    hide_console_window(&mut cmd);
    let failed = |why: String| RunOutput {
        end: RunEnd::SpawnFailed(why),
        stdout: Vec::new(),
        stderr: Vec::new(),
        stdout_truncated: false,
        elapsed: start.elapsed(),
    };
    // Registered under the lock that `kill_running` takes: a child either is seen by it or
    // never starts.
    let mut running = lock(&RUNNING);
    if STOPPING.load(Ordering::SeqCst) {
        return failed(format!(
            "{}: not started, the collector is stopping",
            spec.program
        ));
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return failed(format!("{}: {e}", spec.program)),
    };
    let out_rx = spawn_reader(child.stdout.take(), limits.max_stdout);
    let err_rx = spawn_reader(child.stderr.take(), limits.max_stderr);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let child = Arc::new(Mutex::new(child));
    running.push((id, Arc::clone(&child)));
    drop(running);
    let end = wait_deadline(&child, start + limits.timeout);
    lock(&RUNNING).retain(|(i, _)| *i != id);
    let (stdout, stdout_truncated) = out_rx.recv_timeout(DRAIN_GRACE).unwrap_or_default();
    let (stderr, _) = err_rx.recv_timeout(DRAIN_GRACE).unwrap_or_default();
    RunOutput {
        end,
        stdout,
        stderr,
        stdout_truncated,
        elapsed: start.elapsed(),
    }
}

fn wait_deadline(child: &Mutex<Child>, deadline: Instant) -> RunEnd {
    loop {
        {
            let mut c = lock(child);
            match c.try_wait() {
                Ok(Some(status)) => return exited(status),
                Ok(None) => {}
                Err(e) => return RunEnd::WaitFailed(e.to_string()),
            }
            if Instant::now() >= deadline {
                let _ = c.kill();
                let _ = c.wait();
                return RunEnd::TimedOut;
            }
        }
        thread::sleep(POLL);
    }
}

fn exited(status: ExitStatus) -> RunEnd {
    RunEnd::Exited(status.code())
}

/// Console programs started from a console-less parent would flash a window on Windows.
#[cfg(windows)]
fn hide_console_window(cmd: &mut Command) {
    use std::os::windows::process::CommandExt;
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    cmd.creation_flags(CREATE_NO_WINDOW);
}

#[cfg(not(windows))]
fn hide_console_window(_cmd: &mut Command) {}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> CommandSpec {
        CommandSpec::new("sh", ["-c", script])
    }

    #[test]
    fn captures_output_and_exit_code() {
        let out = run(
            &sh("printf hello; printf oops >&2; exit 3"),
            None,
            RunLimits::default(),
        );
        assert_eq!(out.end, RunEnd::Exited(Some(3)));
        assert_eq!(out.stdout, b"hello");
        assert_eq!(out.stderr, b"oops");
        let f = out.failure().unwrap();
        assert!(f.contains("exit code 3") && f.contains("oops"), "{f}");
    }

    #[test]
    fn a_hanging_command_is_killed_at_its_deadline() {
        let limits = RunLimits {
            timeout: Duration::from_millis(200),
            ..RunLimits::default()
        };
        let out = run(&sh("echo started; exec sleep 30"), None, limits);
        assert_eq!(out.end, RunEnd::TimedOut);
        assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);
        assert!(out.failure().unwrap().contains("timed out"));
    }

    #[test]
    fn a_grandchild_holding_the_pipe_does_not_block_us() {
        let limits = RunLimits {
            timeout: Duration::from_millis(200),
            ..RunLimits::default()
        };
        // The shell exits at once; its background child keeps stdout open for 30 s.
        let out = run(&sh("(sleep 30 &) ; echo done"), None, limits);
        assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);
    }

    #[test]
    fn output_is_capped_but_drained() {
        let limits = RunLimits {
            max_stdout: 1000,
            ..RunLimits::default()
        };
        let out = run(&sh("head -c 5000000 /dev/zero"), None, limits);
        assert!(out.success());
        assert_eq!(out.stdout.len(), 1000);
        assert!(out.stdout_truncated);
    }

    #[test]
    fn a_missing_program_is_a_spawn_failure() {
        let out = run(
            &CommandSpec::new("rdpdiag-no-such-program", ["x"]),
            None,
            RunLimits::default(),
        );
        assert!(matches!(out.end, RunEnd::SpawnFailed(_)));
        assert!(out.failure().unwrap().contains("could not start"));
    }

    #[test]
    fn display_quotes_like_cmd() {
        let c = CommandSpec::new("certutil", ["-verifystore", "-v", "Remote Desktop"]);
        assert_eq!(c.display(), r#"certutil -verifystore -v "Remote Desktop""#);
    }
}
