//! Plain-text report for a terminal.

use std::fmt::Write;

use rdpdiag_schemas::report::{Report, ReportAttempt};

use super::build::{human_duration, server_summary_line};

/// Makes text from the inputs safe to print on a terminal: control characters other than
/// newline and tab (escape sequences, carriage returns, NUL), C1 controls, and the invisible
/// and bidi characters the HTML report also shows are written as `<U+XXXX>`. Event text and
/// registry names come from strangers' machines; an ESC in a key name must not drive the
/// support engineer's terminal.
pub fn terminal_safe(s: &str) -> String {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
    };
    if !s.chars().any(unsafe_char) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "<U+{:04X}>", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

fn pct(c: f64) -> String {
    format!("{:>3.0}%", c * 100.0)
}

/// Renders the report as text.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "rdpdiag: {}", r.verdict.replace('-', " ").to_uppercase());
    match (&r.top_cause, r.causes.first()) {
        (Some(top), Some(c)) => {
            let _ = writeln!(
                s,
                "Most likely cause: {top} — {} ({} confidence)",
                c.title,
                pct(c.confidence).trim()
            );
        }
        _ if r.verdict == "other-failure" => {
            let _ = writeln!(
                s,
                "No 0x904 failure: the failures ended with other codes (below)."
            );
        }
        _ => {
            let _ = writeln!(s, "No failed attempt found.");
        }
    }
    for h in &r.hosts {
        let _ = writeln!(
            s,
            "  {:<7} {} ({} events kept; {})",
            h.role,
            h.name,
            h.events,
            h.inputs.join(", ")
        );
    }
    let _ = writeln!(s, "Clock skew applied: {}", r.skew.description);
    for n in &r.notes {
        let _ = writeln!(s, "Note: {n}");
    }
    if let Some(sv) = &r.server_summary {
        let _ = writeln!(s, "{}", server_summary_line(sv));
        for c in &sv.conditions {
            let _ = writeln!(s, "  - {c}");
        }
    }
    let ranked: Vec<_> = r.causes.iter().filter(|c| c.confidence >= 0.1).take(5).collect();
    if !ranked.is_empty() {
        let _ = writeln!(s, "\nCauses over all failed attempts:");
        for c in ranked {
            let _ = writeln!(s, "  {}  {:<28} {}", pct(c.confidence), c.id.to_string(), c.title);
        }
    }
    let mut seen: Vec<(usize, String)> = Vec::new();
    // Failed attempts first, each in full (or "same as"); successful ones folded into a line.
    let ok: Vec<&ReportAttempt> = r.attempts.iter().filter(|a| !a.failed).collect();
    if !ok.is_empty() {
        let first = ok.iter().map(|a| a.client_start_utc).min();
        let last = ok.iter().map(|a| a.client_start_utc).max();
        if let (Some(f), Some(l)) = (first, last) {
            let _ = writeln!(
                s,
                "\n{} successful attempt(s), {} .. {} (client clock): not shown",
                ok.len(),
                f.format("%Y-%m-%d %H:%M:%S"),
                l.format("%Y-%m-%d %H:%M:%S")
            );
        }
    }
    for a in r.attempts.iter().filter(|a| a.failed) {
        let code = match (&a.disconnect_hex, a.disconnect_reason) {
            (Some(h), Some(d)) => format!("{h} ({d}) {}", a.disconnect_meaning.clone().unwrap_or_default()),
            _ if a.code_source == "reported by the user" => "code as reported by the user".into(),
            _ => "no disconnect logged".into(),
        };
        let ext = a
            .extended_reason
            .map(|x| format!(", extended 0x{x:X} (reported)"))
            .unwrap_or_default();
        if a.origin == "server-connection" {
            let _ = writeln!(
                s,
                "\nServer connection {} at {} (server clock) from {} — ended during setup",
                a.number,
                a.server_start_utc.format("%Y-%m-%d %H:%M:%S%.3fZ"),
                a.seen_from.as_deref().unwrap_or("?"),
            );
        } else {
            let _ = writeln!(
                s,
                "\nAttempt {} at {} (server clock {}) to {} — {}{}{ext}",
                a.number,
                a.client_start_utc.format("%Y-%m-%d %H:%M:%S%.3fZ"),
                a.server_start_utc.format("%H:%M:%S%.3f"),
                a.target.as_deref().unwrap_or("?"),
                if a.failed { "FAILED " } else { "ok " },
                code
            );
        }
        let reached = match a.reached_server {
            Some(true) => format!(
                "server saw it{}",
                a.seen_from
                    .as_ref()
                    .map(|ip| format!(" from {ip}"))
                    .unwrap_or_default()
            ),
            Some(false) => "server never saw it".into(),
            None => "cannot tell whether the server saw it".into(),
        };
        let dur = match (a.duration_s, a.setup_s) {
            (Some(d), Some(setup)) if d - setup >= 1.0 => format!(
                "closed {} after it started ({} of it after the user name was known, 1029)",
                human_duration(d),
                human_duration(setup)
            ),
            (Some(d), _) => format!("closed {} after it started", human_duration(d)),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "  {reached}; {}; {dur}",
            if a.authenticated {
                "authenticated"
            } else {
                "not authenticated"
            }
        );
        if let Some(o) = &a.other_failure {
            let _ = writeln!(s, "  NOT A 0x904 FAILURE: {o}");
            continue;
        }
        // Attempts that fail the same way get one full explanation.
        let signature: String = a
            .findings
            .iter()
            .filter(|f| f.confidence >= 0.15)
            .take(3)
            .map(|f| {
                format!(
                    "{}:{}:{}",
                    f.id,
                    f.confidence,
                    f.evidence
                        .iter()
                        .map(|e| e.id.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
            .collect::<Vec<_>>()
            .join("|");
        if let Some((n, _)) = seen.iter().find(|(_, sig)| *sig == signature) {
            let top = a
                .findings
                .first()
                .map(|f| format!("{} {}", pct(f.confidence).trim(), f.id))
                .unwrap_or_default();
            let _ = writeln!(s, "  same findings as attempt {n}: {top}");
            continue;
        }
        seen.push((a.number, signature));
        if let Some(v) = &a.verdict
            && v == "insufficient-evidence"
        {
            let _ = writeln!(s, "  INSUFFICIENT EVIDENCE. Collect next:");
            for c in &a.collect_next {
                let _ = writeln!(s, "    - {c}");
            }
        }
        for (k, f) in a
            .findings
            .iter()
            .filter(|f| f.confidence >= 0.15)
            .take(3)
            .enumerate()
        {
            let rank = match f.rank.as_str() {
                "top" => "",
                "runner-up" => " (runner-up)",
                _ => " (considered)",
            };
            let _ = writeln!(
                s,
                "  #{} {} {} — {}{rank}",
                k + 1,
                pct(f.confidence),
                f.id,
                f.title
            );
            for e in &f.evidence {
                let arrow = if e.weight > 0.0 { "+" } else { "-" };
                let _ = writeln!(
                    s,
                    "     {arrow} {:.2}→{:.2} {}{}",
                    e.before,
                    e.after,
                    e.says,
                    if e.matched > 1 {
                        format!(" (×{})", e.matched)
                    } else {
                        String::new()
                    }
                );
                for l in e.lines.iter().take(2) {
                    if l.event_id == 0 {
                        let _ = writeln!(s, "         {} fact {} [{}]", l.host, l.summary, l.source);
                    } else {
                        let t = l
                            .server_time_utc
                            .map(|t| t.format("%H:%M:%S%.3f").to_string())
                            .unwrap_or_default();
                        let _ = writeln!(
                            s,
                            "         {} {} #{} rec {} @{} {}",
                            l.host,
                            short_channel(&l.channel),
                            l.event_id,
                            l.record_id,
                            t,
                            l.summary
                        );
                    }
                }
            }
            if k == 0 && !a.collect_next.is_empty() && a.verdict.as_deref() == Some("diagnosed") {
                let _ = writeln!(s, "     To confirm, collect:");
                for c in &a.collect_next {
                    let _ = writeln!(s, "       - {c}");
                }
            }
            if k == 0 {
                let _ = writeln!(s, "     Fix:");
                for (n, step) in f.fix.iter().enumerate() {
                    let _ = writeln!(s, "       {}. {step}", n + 1);
                }
            }
        }
    }
    if !r.problems.is_empty() {
        let _ = writeln!(s, "\nProblems reading the inputs ({}):", r.problems.len());
        for p in r.problems.iter().take(20) {
            let _ = writeln!(s, "  {} {} {}: {}", p.severity, p.input, p.location, p.message);
        }
    }
    terminal_safe(&s)
}

/// `Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational` -> `RdpCoreTS/Operational`.
pub fn short_channel(c: &str) -> String {
    let c = c.strip_prefix("Microsoft-Windows-").unwrap_or(c);
    let c = c.strip_prefix("TerminalServices-").unwrap_or(c);
    c.strip_prefix("RemoteDesktopServices-").unwrap_or(c).to_string()
}

#[cfg(test)]
mod tests {
    use super::terminal_safe;

    #[test]
    fn terminal_safe_shows_what_a_terminal_would_act_on() {
        assert_eq!(terminal_safe("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(
            terminal_safe("a\u{1b}[2Jb\rc\0d\u{9b}31me\u{202E}f\u{7f}"),
            "a<U+001B>[2Jb<U+000D>c<U+0000>d<U+009B>31me<U+202E>f<U+007F>"
        );
        assert_eq!(terminal_safe("Überprüfung 証明書"), "Überprüfung 証明書");
    }
}
