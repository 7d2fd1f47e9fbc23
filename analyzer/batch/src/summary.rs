//! The batch summary: counted while tickets finish (a few counters, not the rows), written per
//! shard, merged over all shards, and printed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use rdpdiag_schemas::tables::{BatchSummary, FailedTicket, TABLES_VERSION};

use super::rows::{Status, TicketOutcome};

/// Failed tickets listed by name in a summary; the rest are only counted.
pub const FAILED_LISTED: usize = 100;

/// Bins of the confidence histogram.
pub const BINS: usize = 10;

/// Counters of one shard's run.
#[derive(Debug, Default)]
pub struct Tally {
    ok: u64,
    partial: u64,
    failed: u64,
    verdicts: BTreeMap<String, u64>,
    causes: BTreeMap<String, u64>,
    histogram: [u64; BINS],
    failed_list: Vec<FailedTicket>,
    failed_not_listed: u64,
}

fn bin(confidence: f64) -> usize {
    ((confidence.clamp(0.0, 1.0) * BINS as f64) as usize).min(BINS - 1)
}

impl Tally {
    /// Counts a finished ticket.
    pub fn add(&mut self, o: &TicketOutcome) {
        match o.status {
            Status::Ok => self.ok += 1,
            Status::Partial => self.partial += 1,
            Status::Failed => self.failed += 1,
        }
        let verdict = o.verdict.clone().unwrap_or_else(|| "failed".into());
        *self.verdicts.entry(verdict).or_insert(0) += 1;
        let cause = o.top_cause.clone().unwrap_or_else(|| "none".into());
        *self.causes.entry(cause).or_insert(0) += 1;
        if let Some(c) = o.confidence {
            self.histogram[bin(c)] += 1;
        }
        if o.status == Status::Failed {
            if self.failed_list.len() < FAILED_LISTED {
                self.failed_list.push(FailedTicket {
                    ticket_id: o.ticket_id.clone(),
                    reason: o.failure.clone().unwrap_or_default(),
                });
            } else {
                self.failed_not_listed += 1;
            }
        }
    }

    /// Tickets counted.
    pub fn done(&self) -> u64 {
        self.ok + self.partial + self.failed
    }

    /// The summary of a finished (or interrupted) shard.
    #[allow(clippy::too_many_arguments)]
    pub fn into_summary(
        self,
        shard: (u32, u32),
        started: DateTime<Utc>,
        finished: DateTime<Utc>,
        tickets_found: u64,
        tickets_assigned: u64,
        not_tickets: u64,
        rows: BTreeMap<String, u64>,
    ) -> BatchSummary {
        let done = self.done();
        let elapsed_s = (finished - started).num_milliseconds().max(0) as f64 / 1000.0;
        BatchSummary {
            schema_version: TABLES_VERSION,
            tool: format!("rdpdiag {}", env!("CARGO_PKG_VERSION")),
            shard_count: shard.1,
            shards: vec![shard.0],
            interrupted: done < tickets_assigned,
            started_utc: started,
            finished_utc: finished,
            elapsed_s,
            tickets_found,
            tickets_assigned,
            tickets_done: done,
            tickets_ok: self.ok,
            tickets_partial: self.partial,
            tickets_failed: self.failed,
            tickets_not_started: tickets_assigned.saturating_sub(done),
            not_tickets,
            tickets_per_s: rate(done, elapsed_s),
            verdicts: self.verdicts,
            causes: self.causes,
            confidence_histogram: self.histogram.to_vec(),
            failed: self.failed_list,
            failed_not_listed: self.failed_not_listed,
            rows,
            peak_rss_bytes: peak_rss_bytes(),
        }
    }
}

fn rate(done: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        ((done as f64 / secs) * 100.0).round() / 100.0
    } else {
        0.0
    }
}

fn add_maps(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_insert(0) += v;
    }
}

/// One summary over several shards' summaries (same shard count). Throughput is over the
/// wall-clock span from the first start to the last finish, since shards run side by side.
pub fn merge(parts: &[BatchSummary]) -> Option<BatchSummary> {
    let first = parts.first()?;
    let mut m = first.clone();
    m.failed.clear();
    m.failed_not_listed = 0;
    m.shards.clear();
    m.verdicts.clear();
    m.causes.clear();
    m.rows.clear();
    m.confidence_histogram = vec![0; BINS];
    m.interrupted = false;
    m.peak_rss_bytes = None;
    for k in [
        &mut m.tickets_assigned,
        &mut m.tickets_done,
        &mut m.tickets_ok,
        &mut m.tickets_partial,
        &mut m.tickets_failed,
        &mut m.tickets_not_started,
    ] {
        *k = 0;
    }
    for p in parts {
        m.shards.extend(&p.shards);
        m.interrupted |= p.interrupted;
        m.started_utc = m.started_utc.min(p.started_utc);
        m.finished_utc = m.finished_utc.max(p.finished_utc);
        m.tickets_found = m.tickets_found.max(p.tickets_found);
        m.not_tickets = m.not_tickets.max(p.not_tickets);
        m.tickets_assigned += p.tickets_assigned;
        m.tickets_done += p.tickets_done;
        m.tickets_ok += p.tickets_ok;
        m.tickets_partial += p.tickets_partial;
        m.tickets_failed += p.tickets_failed;
        m.tickets_not_started += p.tickets_not_started;
        add_maps(&mut m.verdicts, &p.verdicts);
        add_maps(&mut m.causes, &p.causes);
        add_maps(&mut m.rows, &p.rows);
        for (i, n) in p.confidence_histogram.iter().enumerate().take(BINS) {
            if let Some(slot) = m.confidence_histogram.get_mut(i) {
                *slot += n;
            }
        }
        for f in &p.failed {
            if m.failed.len() < FAILED_LISTED {
                m.failed.push(f.clone());
            } else {
                m.failed_not_listed += 1;
            }
        }
        m.failed_not_listed += p.failed_not_listed;
        m.peak_rss_bytes = m.peak_rss_bytes.max(p.peak_rss_bytes);
    }
    m.shards.sort_unstable();
    m.elapsed_s = (m.finished_utc - m.started_utc).num_milliseconds().max(0) as f64 / 1000.0;
    m.tickets_per_s = rate(m.tickets_done, m.elapsed_s);
    Some(m)
}

/// Peak resident memory of this process (`VmHWM` in `/proc/self/status`; Linux only).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn pct(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

fn bar(n: u64, max: u64, width: usize) -> String {
    if max == 0 {
        return String::new();
    }
    "#".repeat(((n as f64 / max as f64) * width as f64).round() as usize)
}

/// The summary as people read it: counts, cause distribution, confidence histogram, failed
/// tickets, throughput.
pub fn render_text(s: &BatchSummary) -> String {
    let mut t = String::new();
    let shards = if s.shard_count == 1 {
        String::new()
    } else if s.shards.len() == 1 {
        format!(
            " (shard {}/{})",
            s.shards.first().copied().unwrap_or(0),
            s.shard_count
        )
    } else {
        format!(" ({} of {} shards)", s.shards.len(), s.shard_count)
    };
    let _ = writeln!(
        t,
        "rdpdiag batch{shards}: {} of {} tickets done{}",
        s.tickets_done,
        s.tickets_assigned,
        if s.interrupted {
            format!(" -- INTERRUPTED, {} not started", s.tickets_not_started)
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        t,
        "  ok {}, partial {} (some files unreadable), failed {}; {} found in the inputs{}",
        s.tickets_ok,
        s.tickets_partial,
        s.tickets_failed,
        s.tickets_found,
        if s.not_tickets > 0 {
            format!(", {} other files skipped", s.not_tickets)
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        t,
        "Throughput: {:.2} tickets/s ({} tickets in {:.1} s){}",
        s.tickets_per_s,
        s.tickets_done,
        s.elapsed_s,
        s.peak_rss_bytes
            .map(|b| format!(", peak memory {:.0} MiB", b as f64 / 1048576.0))
            .unwrap_or_default()
    );

    let _ = writeln!(t, "\nVerdicts:");
    let mut verdicts: Vec<(&String, &u64)> = s.verdicts.iter().collect();
    verdicts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (v, n) in verdicts {
        let _ = writeln!(t, "  {v:<28} {n:>7}  {:5.1}%", pct(*n, s.tickets_done));
    }

    let _ = writeln!(t, "\nCause distribution (top cause per ticket):");
    let mut causes: Vec<(&String, &u64)> = s.causes.iter().collect();
    causes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let max = causes.first().map(|c| *c.1).unwrap_or(0);
    for (c, n) in &causes {
        let line = format!(
            "  {c:<28} {n:>7}  {:5.1}%  {}",
            pct(**n, s.tickets_done),
            bar(**n, max, 30)
        );
        let _ = writeln!(t, "{}", line.trim_end());
    }

    let _ = writeln!(t, "\nConfidence of the top cause:");
    let hmax = s.confidence_histogram.iter().copied().max().unwrap_or(0);
    for (i, n) in s.confidence_histogram.iter().enumerate() {
        let line = format!(
            "  {:.1}-{:.1}  {n:>7}  {}",
            i as f64 / BINS as f64,
            (i + 1) as f64 / BINS as f64,
            bar(*n, hmax, 30)
        );
        let _ = writeln!(t, "{}", line.trim_end());
    }

    if !s.failed.is_empty() {
        let _ = writeln!(t, "\nFailed tickets:");
        for f in &s.failed {
            let _ = writeln!(t, "  {}: {}", f.ticket_id, f.reason);
        }
        if s.failed_not_listed > 0 {
            let _ = writeln!(t, "  ... and {} more (see the errors table)", s.failed_not_listed);
        }
    }
    let rows: Vec<String> = s.rows.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(t, "\nRows written: {}", rows.join(", "));
    rdpdiag_diagnosis::report::text::terminal_safe(&t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(id: &str, status: Status, cause: Option<&str>, conf: Option<f64>) -> TicketOutcome {
        TicketOutcome {
            ticket_id: id.into(),
            status,
            verdict: (status != Status::Failed).then(|| "diagnosed".into()),
            top_cause: cause.map(Into::into),
            confidence: conf,
            failure: (status == Status::Failed).then(|| "broken".into()),
            rows: Default::default(),
        }
    }

    #[test]
    fn tally_counts_and_merge_adds_shards() {
        let t0 = DateTime::<Utc>::from_timestamp(1_772_360_100, 0).unwrap();
        let t1 = t0 + chrono::Duration::seconds(10);
        let mut a = Tally::default();
        a.add(&outcome("a", Status::Ok, Some("cert-key-unreadable"), Some(0.95)));
        a.add(&outcome("b", Status::Failed, None, None));
        let mut b = Tally::default();
        b.add(&outcome(
            "c",
            Status::Partial,
            Some("cert-key-unreadable"),
            Some(1.0),
        ));
        b.add(&outcome("d", Status::Ok, None, None));
        let sa = a.into_summary((0, 2), t0, t1, 5, 2, 0, BTreeMap::new());
        let sb = b.into_summary(
            (1, 2),
            t0,
            t1 + chrono::Duration::seconds(10),
            5,
            3,
            0,
            BTreeMap::new(),
        );
        assert!(!sa.interrupted);
        assert!(sb.interrupted, "3 assigned, 2 done");
        assert_eq!(sa.confidence_histogram[9], 1);
        let m = merge(&[sa, sb]).unwrap();
        assert_eq!(m.shards, vec![0, 1]);
        assert_eq!(m.tickets_done, 4);
        assert_eq!(m.tickets_not_started, 1);
        assert!(m.interrupted);
        assert_eq!(m.causes.get("cert-key-unreadable"), Some(&2));
        assert_eq!(m.causes.get("none"), Some(&2));
        assert_eq!(m.verdicts.get("failed"), Some(&1));
        assert_eq!(m.confidence_histogram[9], 2);
        assert_eq!(m.failed.len(), 1);
        assert_eq!(m.elapsed_s, 20.0);
        assert_eq!(m.tickets_per_s, 0.2);
        let text = render_text(&m);
        assert!(text.contains("Cause distribution"), "{text}");
        assert!(text.contains("cert-key-unreadable"), "{text}");
        assert!(text.contains("b: broken"), "{text}");
        assert!(text.contains("INTERRUPTED"), "{text}");
    }
}
