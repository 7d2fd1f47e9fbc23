//! Progress while a batch runs: a bar with rate and ETA on a terminal (indicatif), plain
//! periodic lines otherwise (logs of a Kubernetes job or CI), or nothing. Always on stderr, so
//! stdout keeps only the summary.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How to show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal, plain lines otherwise.
    #[default]
    Auto,
    /// Always the bar.
    Bar,
    /// Always plain lines.
    Plain,
    /// Nothing.
    Off,
}

/// The progress of one shard.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    every: Duration,
    total: u64,
    start: Instant,
    last_line: Mutex<Instant>,
    done: AtomicU64,
    failed: AtomicU64,
}

/// `1h02m`, `3m05s`, `12s`.
pub fn human_duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

impl Progress {
    /// Starts showing progress over `total` tickets; plain lines at most every `every`.
    pub fn new(mode: ProgressMode, total: u64, every: Duration) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let (bar, plain) = match mode {
            ProgressMode::Off => (false, false),
            ProgressMode::Bar => (true, false),
            ProgressMode::Plain => (false, true),
            ProgressMode::Auto => (terminal, !terminal),
        };
        let bar = bar.then(|| {
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} tickets  {rate}  ETA {eta}  {msg}",
            )
            .map(|s| {
                s.with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.1} tickets/s", state.per_sec());
                    },
                )
            })
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            let b =
                ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()).with_style(style);
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        let start = Instant::now();
        Progress {
            bar,
            plain,
            every,
            total,
            start,
            last_line: Mutex::new(start),
            done: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    /// A ticket finished (called from worker threads).
    pub fn ticket_done(&self, failed: bool) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let failed = self.failed.fetch_add(u64::from(failed), Ordering::Relaxed) + u64::from(failed);
        if let Some(b) = &self.bar {
            b.inc(1);
            if failed > 0 {
                b.set_message(format!("{failed} failed"));
            }
        }
        if self.plain {
            let due = self
                .last_line
                .lock()
                .map(|mut last| {
                    let due = last.elapsed() >= self.every || done == self.total;
                    if due {
                        *last = Instant::now();
                    }
                    due
                })
                .unwrap_or(false);
            if due {
                eprintln!("{}", self.line(done, failed));
            }
        }
    }

    fn line(&self, done: u64, failed: u64) -> String {
        let secs = self.start.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
        let pct = if self.total > 0 {
            100.0 * done as f64 / self.total as f64
        } else {
            100.0
        };
        let eta = if rate > 0.0 {
            human_duration(self.total.saturating_sub(done) as f64 / rate)
        } else {
            "?".into()
        };
        format!(
            "rdpdiag batch: {done}/{} tickets ({pct:.1}%), {failed} failed, {rate:.1} tickets/s, elapsed {}, ETA {eta}",
            self.total,
            human_duration(secs)
        )
    }

    /// Prints a message without breaking the bar.
    pub fn note(&self, msg: &str) {
        match &self.bar {
            Some(b) => b.println(msg),
            None => eprintln!("{msg}"),
        }
    }

    /// Stops the bar (leaving its last state on screen).
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.abandon();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(0.2), "0s");
        assert_eq!(human_duration(59.0), "59s");
        assert_eq!(human_duration(185.0), "3m05s");
        assert_eq!(human_duration(3720.0), "1h02m");
    }

    #[test]
    fn plain_lines_carry_rate_and_eta() {
        let p = Progress::new(ProgressMode::Off, 10, Duration::from_secs(3600));
        p.ticket_done(false);
        p.ticket_done(true);
        let l = p.line(2, 1);
        assert!(l.contains("2/10 tickets (20.0%), 1 failed"), "{l}");
        assert!(l.contains("tickets/s") && l.contains("ETA"), "{l}");
    }
}
