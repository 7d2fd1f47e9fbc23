//! One self-contained HTML page: no scripts, no external resources, a Content-Security-Policy
//! that forbids scripts anyway, and every input string escaped.

use std::fmt::Write;

use super::text::short_channel;
use rdpdiag_schemas::report::{Report, ReportAttempt};

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Bidi overrides, zero-width and other invisible characters, line/paragraph
            // separators and the BOM could disguise text: show them.
            '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' => {
                let _ = write!(out, "&lt;U+{:04X}&gt;", ch as u32);
            }
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.verdict{display:inline-block;padding:.2rem .6rem;border-radius:4px;background:#fde2e1;color:#8a1c12;font-weight:600}
.verdict.ok{background:#e1f5e6;color:#14612a}
table{border-collapse:collapse;width:100%;margin:.5rem 0} td,th{border:1px solid #e1e4ea;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f6f8} .bar{background:#e8ecf3;height:.7rem;border-radius:3px;min-width:160px}
.bar span{display:block;height:100%;background:#d9534f;border-radius:3px}
.ev{margin:.2rem 0 .2rem 1rem} .up{color:#8a1c12} .down{color:#14612a}
.rec{font:12px ui-monospace,Consolas,monospace;color:#445;margin-left:2rem;white-space:pre-wrap;word-break:break-all}
.lanes{display:grid;grid-template-columns:6rem 1fr 1fr;gap:0;border:1px solid #e1e4ea;margin:.6rem 0}
.lanes .h{background:#f5f6f8;font-weight:600;padding:.3rem .5rem;border-bottom:1px solid #e1e4ea}
.lanes .t{font:12px ui-monospace,monospace;color:#667;padding:.25rem .5rem;border-top:1px solid #f0f1f4}
.lanes .c,.lanes .s{font:12px ui-monospace,monospace;padding:.25rem .5rem;border-top:1px solid #f0f1f4;border-left:1px solid #f0f1f4;word-break:break-all}
.lanes .cited{background:#fff3cd}
.fix li{margin:.2rem 0} .muted{color:#778}
"#;

fn timeline(a: &ReportAttempt) -> String {
    let mut s = String::from(
        "<div class=\"lanes\"><div class=\"h\">ms</div><div class=\"h\">client</div><div class=\"h\">server</div>",
    );
    for e in &a.timeline {
        let cell = format!(
            "<b>{} {}</b> <span class=\"muted\">rec {}</span><br>{}",
            esc(&short_channel(&e.channel)),
            e.event_id,
            e.record_id,
            esc(&e.summary)
        );
        let cls = if e.cited { " cited" } else { "" };
        let (c, sv) = if e.lane == "client" {
            (cell, String::new())
        } else {
            (String::new(), cell)
        };
        let _ = write!(
            s,
            "<div class=\"t\">{:+}</div><div class=\"c{}\">{}</div><div class=\"s{}\">{}</div>",
            e.offset_ms,
            if e.lane == "client" { cls } else { "" },
            c,
            if e.lane == "server" { cls } else { "" },
            sv
        );
    }
    if a.timeline.is_empty() {
        s.push_str("<div class=\"t\"></div><div class=\"c muted\">no events</div><div class=\"s muted\">no events</div>");
    }
    s.push_str("</div>");
    s
}

/// Renders the report as one HTML page.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    s.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    s.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">");
    s.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>rdpdiag report</title><style>");
    s.push_str(STYLE);
    s.push_str("</style></head><body>");
    let ok = r.verdict == "nothing-failed";
    let _ = write!(
        s,
        "<h1>rdpdiag report</h1><p><span class=\"verdict{}\">{}</span></p>",
        if ok { " ok" } else { "" },
        esc(&r.verdict)
    );
    if let (Some(top), Some(c)) = (&r.top_cause, r.causes.first()) {
        let _ = write!(
            s,
            "<p>Most likely cause: <b>{}</b> — {} ({:.0}% confidence)</p>",
            esc(&top.to_string()),
            esc(&c.title),
            c.confidence * 100.0
        );
    }
    let _ = write!(s, "<p>Clock skew applied: {}</p>", esc(&r.skew.description));
    for n in &r.notes {
        let _ = write!(s, "<p class=\"note\">{}</p>", esc(n));
    }
    if let Some(sv) = &r.server_summary {
        let _ = write!(s, "<p>{}</p>", esc(&super::build::server_summary_line(sv)));
        if !sv.conditions.is_empty() {
            s.push_str("<ul>");
            for c in &sv.conditions {
                let _ = write!(s, "<li>{}</li>", esc(c));
            }
            s.push_str("</ul>");
        }
    }
    s.push_str("<table><tr><th>role</th><th>host</th><th>events</th><th>inputs</th></tr>");
    for h in &r.hosts {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&h.role),
            esc(&h.name),
            h.events,
            esc(&h.inputs.join(", "))
        );
    }
    s.push_str("</table><h2>Causes</h2><table><tr><th>cause</th><th>confidence</th><th></th></tr>");
    for c in r.causes.iter().filter(|c| c.confidence >= 0.05) {
        let _ = write!(
            s,
            "<tr><td><b>{}</b><br><span class=\"muted\">{}</span></td><td>{:.0}%</td><td><div class=\"bar\"><span style=\"width:{:.0}%\"></span></div></td></tr>",
            esc(&c.id.to_string()),
            esc(&c.title),
            c.confidence * 100.0,
            (c.confidence * 100.0).clamp(0.0, 100.0)
        );
    }
    s.push_str("</table>");
    let ok = r.attempts.iter().filter(|a| !a.failed).count();
    if ok > 0 {
        let _ = write!(
            s,
            "<p class=\"muted\">{ok} successful attempt(s) are not shown.</p>"
        );
    }
    for a in r.attempts.iter().filter(|a| a.failed) {
        let _ = write!(
            s,
            "<h2>Attempt {} — {} {}</h2><p>Target <b>{}</b>; {} {}; {}; {}.</p>",
            a.number,
            esc(&a
                .client_start_utc
                .format("%Y-%m-%d %H:%M:%S%.3f UTC (client clock)")
                .to_string()),
            if a.failed { "failed" } else { "ok" },
            esc(a.target.as_deref().unwrap_or("?")),
            esc(a.disconnect_hex.as_deref().unwrap_or("")),
            esc(a.disconnect_meaning.as_deref().unwrap_or("")),
            match a.reached_server {
                Some(true) => "the server saw it",
                Some(false) => "the server never saw it",
                None => "unknown whether the server saw it",
            },
            if a.authenticated {
                "authenticated"
            } else {
                "not authenticated"
            }
        );
        if let Some(d) = &a.duration_text {
            let _ = write!(s, "<p class=\"muted\">Closed {} after it started.</p>", esc(d));
        }
        if let Some(o) = &a.other_failure {
            let _ = write!(s, "<p><b>Not a 0x904 failure:</b> {}</p>", esc(o));
        }
        for f in a
            .findings
            .iter()
            .filter(|f| f.confidence >= 0.15 && a.other_failure.is_none())
            .take(3)
        {
            let _ = write!(
                s,
                "<h3>{:.0}% {} — {}{}</h3>",
                f.confidence * 100.0,
                esc(&f.id.to_string()),
                esc(&f.title),
                if f.rank == "runner-up" { " (runner-up)" } else { "" }
            );
            for e in &f.evidence {
                let cls = if e.weight > 0.0 { "up" } else { "down" };
                let _ = write!(
                    s,
                    "<div class=\"ev {cls}\">{} {:.2} → {:.2}: {}</div>",
                    if e.weight > 0.0 { "▲" } else { "▼" },
                    e.before,
                    e.after,
                    esc(&e.says)
                );
                for l in e.lines.iter().take(3) {
                    if l.event_id == 0 {
                        let _ = write!(
                            s,
                            "<div class=\"rec\">{} fact {} <span class=\"src\">({})</span></div>",
                            esc(&l.host),
                            esc(&l.summary),
                            esc(&l.source)
                        );
                        continue;
                    }
                    let _ = write!(
                        s,
                        "<div class=\"rec\">{} {} {} record {} {} — {}</div>",
                        esc(&l.host),
                        esc(&short_channel(&l.channel)),
                        l.event_id,
                        l.record_id,
                        esc(&l
                            .server_time_utc
                            .map(|t| t.format("%H:%M:%S%.3f").to_string())
                            .unwrap_or_default()),
                        esc(&l.summary)
                    );
                }
            }
            s.push_str("<ol class=\"fix\">");
            for step in &f.fix {
                let _ = write!(s, "<li>{}</li>", esc(step));
            }
            s.push_str("</ol>");
        }
        if !a.collect_next.is_empty() {
            s.push_str("<p><b>Insufficient evidence.</b> Collect next:</p><ul>");
            for c in &a.collect_next {
                let _ = write!(s, "<li>{}</li>", esc(c));
            }
            s.push_str("</ul>");
        }
        s.push_str(&timeline(a));
    }
    if !r.problems.is_empty() {
        s.push_str("<h2>Problems reading the inputs</h2><ul>");
        for p in r.problems.iter().take(100) {
            let _ = write!(
                s,
                "<li>{} {} {}: {}</li>",
                esc(&p.severity),
                esc(&p.input),
                esc(&p.location),
                esc(&p.message)
            );
        }
        s.push_str("</ul>");
    }
    let _ = write!(s, "<p class=\"muted\">{}</p></body></html>", esc(&r.tool));
    s
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn hostile_strings_render_as_text() {
        let hostile = "<script>alert(1)</script>\"' onmouseover=x \u{202E}gnp.exe <img src=x onerror=y>";
        let e = esc(hostile);
        assert!(
            !e.contains('<') && !e.contains('>') && !e.contains('"') && !e.contains('\''),
            "{e}"
        );
        assert!(e.contains("&lt;script&gt;") && e.contains("&lt;U+202E&gt;"));
        for (c, shown) in [
            ('\u{2028}', "&lt;U+2028&gt;"),
            ('\u{2060}', "&lt;U+2060&gt;"),
            ('\u{FEFF}', "&lt;U+FEFF&gt;"),
            ('\u{200D}', "&lt;U+200D&gt;"),
        ] {
            assert_eq!(esc(&format!("a{c}b")), format!("a{shown}b"));
        }
        assert_eq!(esc("nul\0x"), "nul x");
        assert_eq!(esc("a & b"), "a &amp; b");
    }
}
