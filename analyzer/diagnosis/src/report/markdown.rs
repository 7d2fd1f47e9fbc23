//! Markdown report for ticket systems. Input strings are escaped so that event text cannot
//! inject links, HTML or table structure.

use std::fmt::Write;

use super::text::short_channel;
use rdpdiag_schemas::report::Report;

/// Escapes Markdown (and inline HTML) metacharacters.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '!' | '|' | '>'
            | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push(' '),
            // Bidi overrides and invisible characters could disguise text: show them.
            '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' => {
                let _ = write!(out, "&lt;U+{:04X}&gt;", ch as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Renders the report as Markdown.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# rdpdiag report: {}\n", esc(&r.verdict));
    if let (Some(top), Some(c)) = (&r.top_cause, r.causes.first()) {
        let _ = writeln!(
            s,
            "**Most likely cause:** `{top}` — {} ({:.0}% confidence)\n",
            esc(&c.title),
            c.confidence * 100.0
        );
    }
    let _ = writeln!(s, "**Clock skew applied:** {}\n", esc(&r.skew.description));
    for n in &r.notes {
        let _ = writeln!(s, "> {}\n", esc(n));
    }
    if let Some(sv) = &r.server_summary {
        let _ = writeln!(s, "{}\n", esc(&super::build::server_summary_line(sv)));
        for c in &sv.conditions {
            let _ = writeln!(s, "- {}", esc(c));
        }
        if !sv.conditions.is_empty() {
            s.push('\n');
        }
    }
    let _ = writeln!(s, "| role | host | events | inputs |\n|---|---|---|---|");
    for h in &r.hosts {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            esc(&h.role),
            esc(&h.name),
            h.events,
            esc(&h.inputs.join(", "))
        );
    }
    let _ = writeln!(s, "\n## Causes\n\n| confidence | cause | title |\n|---|---|---|");
    for c in r.causes.iter().filter(|c| c.confidence >= 0.1) {
        let _ = writeln!(
            s,
            "| {:.0}% | `{}` | {} |",
            c.confidence * 100.0,
            c.id,
            esc(&c.title)
        );
    }
    let ok: Vec<_> = r.attempts.iter().filter(|a| !a.failed).collect();
    if !ok.is_empty() {
        let _ = writeln!(s, "\n{} successful attempt(s) are not shown.", ok.len());
    }
    for a in r.attempts.iter().filter(|a| a.failed) {
        let _ = writeln!(
            s,
            "\n## Attempt {} — {} {}\n",
            a.number,
            a.client_start_utc.format("%Y-%m-%d %H:%M:%S%.3fZ"),
            if a.failed { "(failed)" } else { "(ok)" }
        );
        let _ = writeln!(
            s,
            "- target: {}\n- disconnect: {} {}\n- server saw it: {}; authenticated: {}",
            esc(a.target.as_deref().unwrap_or("?")),
            esc(a.disconnect_hex.as_deref().unwrap_or("-")),
            esc(a.disconnect_meaning.as_deref().unwrap_or("")),
            a.reached_server
                .map(|b| b.to_string())
                .unwrap_or_else(|| "unknown".into()),
            a.authenticated
        );
        if let Some(d) = &a.duration_text {
            let _ = writeln!(s, "- closed {} after it started", esc(d));
        }
        if let Some(o) = &a.other_failure {
            let _ = writeln!(s, "- **not a 0x904 failure:** {}", esc(o));
            continue;
        }
        for f in a.findings.iter().filter(|f| f.confidence >= 0.15).take(3) {
            let _ = writeln!(
                s,
                "\n### {:.0}% `{}` — {}{}\n",
                f.confidence * 100.0,
                f.id,
                esc(&f.title),
                if f.rank == "runner-up" { " (runner-up)" } else { "" }
            );
            for e in &f.evidence {
                let _ = writeln!(
                    s,
                    "- {} {:.2} → {:.2}: {}",
                    if e.weight > 0.0 { "raised" } else { "lowered" },
                    e.before,
                    e.after,
                    esc(&e.says)
                );
                for l in e.lines.iter().take(2) {
                    if l.event_id == 0 {
                        let _ = writeln!(
                            s,
                            "  - {} fact {} ({})",
                            esc(&l.host),
                            esc(&l.summary),
                            esc(&l.source)
                        );
                        continue;
                    }
                    let _ = writeln!(
                        s,
                        "  - {} {} {} record {}: {}",
                        esc(&l.host),
                        esc(&short_channel(&l.channel)),
                        l.event_id,
                        l.record_id,
                        esc(&l.summary)
                    );
                }
            }
            let _ = writeln!(s, "\nFix:\n");
            for (n, step) in f.fix.iter().enumerate() {
                let _ = writeln!(s, "{}. {}", n + 1, esc(step));
            }
        }
        if !a.collect_next.is_empty() {
            let _ = writeln!(s, "\nCollect next:\n");
            for c in &a.collect_next {
                let _ = writeln!(s, "- {}", esc(c));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn markdown_metacharacters_are_escaped() {
        let e = esc("[click](javascript:x) | <b>*x*</b>\n# h");
        assert!(!e.contains("](") || e.contains("\\]\\("), "{e}");
        assert!(e.contains("\\|") && e.contains("&lt;b") && !e.contains('\n'));
    }
}
