//! The HTML report of a ticket whose every event field and host fact carries hostile strings
//! (`GenerateOptions::hostile_strings`): no markup from the inputs gets through; every tag in
//! the page is one the renderer writes itself; the payloads are shown as text. (The page is
//! also loaded in headless Chromium by `scripts/html-smoke.sh`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rdpdiag::analyze::{AnalyzeOptions, analyze};
use rdpdiag::report::{self, Format};
use rdpdiag::rules::Catalog;
use rdpdiag_samples::scenario::{self, GenerateOptions, hostile};

/// Tags the HTML renderer writes (anything else came from an input).
const OWN_TAGS: &[&str] = &[
    "!doctype", "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "span", "b",
    "table", "tr", "th", "td", "div", "br", "ol", "ul", "li",
];

/// Every tag of `html` as (name, text between `<` and `>`), outside the one `<style>` block.
fn tags(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("unclosed tag");
        let body = &rest[..end];
        let name: String = body
            .trim_start_matches('/')
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
            .collect::<String>()
            .to_ascii_lowercase();
        rest = &rest[end + 1..];
        if name == "style" && !body.starts_with('/') {
            // The stylesheet is a constant; skip to its end.
            let close = rest.find("</style>").expect("style closed");
            assert!(!rest[..close].contains('<'), "markup inside <style>");
            rest = &rest[close..];
        }
        out.push((name, body.to_string()));
    }
    out
}

/// A ticket with hostile strings in every free-text field (in a folder that lives as long as
/// the returned guard).
fn hostile_ticket() -> (tempfile::TempDir, scenario::Generated) {
    let dir = tempfile::tempdir().unwrap();
    let g = scenario::generate(
        scenario::find("cert-key-unreadable").unwrap(),
        &GenerateOptions {
            hostile_strings: true,
            noise: 60,
            ..GenerateOptions::default()
        },
        dir.path(),
    )
    .unwrap();
    (dir, g)
}

#[test]
fn hostile_strings_in_every_field_render_as_text() {
    let (_dir, g) = hostile_ticket();
    let cat = Catalog::embedded().unwrap();
    let a = analyze(
        &[g.client.clone(), g.server.clone()],
        &cat,
        &AnalyzeOptions::default(),
    );
    // The hostile ticket is still a ticket: attempts with their event timelines are rendered.
    assert!(!a.report.attempts.is_empty(), "{:#?}", a.report.problems);
    assert!(a.report.attempts.iter().any(|x| !x.timeline.is_empty()));
    let json = serde_json::to_string(&a.report).unwrap();
    let carried: Vec<&str> = hostile::PAYLOADS
        .iter()
        .copied()
        .filter(|p| json.contains(&serde_json::to_string(p).unwrap().trim_matches('"').to_string()))
        .collect();
    assert!(
        carried.len() >= 6,
        "the report should carry many payloads, carries {carried:?}"
    );
    let html = report::render(&a.report, Format::Html);

    let lower = html.to_ascii_lowercase();
    for needle in [
        "<script",
        "<img",
        "<svg",
        "<iframe",
        "<a ",
        "<textarea",
        "<meta http-equiv=\"refresh",
        "<!--",
    ] {
        assert!(!lower.contains(needle), "unescaped {needle:?} in the page");
    }
    let all = tags(&html);
    for (_, body) in &all {
        let b = body.to_ascii_lowercase();
        for needle in ["onerror", "onload", "id=pwned", "srcdoc", "href"] {
            assert!(!b.contains(needle), "{needle:?} inside the tag <{body}>");
        }
    }
    for (name, body) in &all {
        assert!(OWN_TAGS.contains(&name.as_str()), "foreign tag <{body}>");
        let b = body.to_ascii_lowercase();
        assert!(!b.contains("javascript:"), "<{body}>");
        // Attributes are only those the renderer writes.
        for attr in b.split_whitespace().skip(1) {
            let key = attr.split('=').next().unwrap_or_default();
            assert!(
                [
                    "class",
                    "style",
                    "lang",
                    "charset",
                    "http-equiv",
                    "content",
                    "name",
                    "/"
                ]
                .contains(&key)
                    || key.starts_with("'none'")
                    || !attr.contains('='),
                "attribute {attr:?} in <{body}>"
            );
        }
    }
    assert_eq!(
        all.iter()
            .filter(|(n, b)| n == "title" && !b.starts_with('/'))
            .count(),
        1
    );
    assert!(html.contains("<title>rdpdiag report</title>"));
    // The payloads are there as text.
    assert!(html.contains("&lt;script&gt;document.title=&#39;PWNED-script&#39;&lt;/script&gt;"));
    assert!(
        html.contains("&amp;lt;script&amp;gt;already-escaped")
            || !carried.iter().any(|p| p.contains("already-escaped"))
    );
    for invisible in [
        '\u{202E}', '\u{2066}', '\u{200B}', '\u{200D}', '\u{2028}', '\u{2060}', '\u{FEFF}', '\0', '\u{1b}',
    ] {
        assert!(!html.contains(invisible), "{invisible:?} in the page");
    }
    for p in &carried {
        if p.contains('\u{202E}') {
            assert!(html.contains("&lt;U+202E&gt;"));
        }
    }
}

/// Characters a terminal would act on (escape sequences, carriage return, NUL) or that would
/// disguise text (bidi overrides, invisible characters).
fn terminal_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

#[test]
fn hostile_strings_reach_no_terminal_or_markdown_raw() {
    let (_dir, g) = hostile_ticket();
    let paths = [g.client.clone(), g.server.clone()];
    let cat = Catalog::embedded().unwrap();
    let a = analyze(&paths, &cat, &AnalyzeOptions::default());
    // The events do carry payloads with such characters (else this test proves nothing).
    fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    let mut raw = Vec::new();
    for e in a
        .ticket
        .client
        .iter()
        .chain(&a.ticket.server)
        .flat_map(|h| &h.events)
    {
        strings(&serde_json::to_value(e).unwrap(), &mut raw);
    }
    let hostile_raw = raw.iter().filter(|s| s.chars().any(terminal_unsafe)).count();
    assert!(hostile_raw > 0, "no event carries a control or bidi character");

    let text = report::render(&a.report, Format::Text);
    let md = report::render(&a.report, Format::Md);
    let rows = rdpdiag::timeline::merged(&a.ticket, &a.correlation);
    let timeline = rdpdiag::timeline::to_text(&rows, &a.correlation);
    let inspected = rdpdiag::render_text(&rdpdiag::inspect(&paths, &rdpdiag::IngestOptions::default()));
    for (what, out) in [
        ("text", &text),
        ("markdown", &md),
        ("timeline", &timeline),
        ("inspect", &inspected),
    ] {
        let bad: Vec<char> = out.chars().filter(|&c| terminal_unsafe(c)).collect();
        assert!(bad.is_empty(), "{what}: raw {bad:?}");
    }
    // Shown, not dropped: the bidi override of a payload in the full outputs; the text report
    // shows only the evidence lines of each cause, so there any escaped payload character.
    for (what, out) in [("markdown", &md), ("timeline", &timeline)] {
        assert!(out.contains("U+202E"), "{what}: the U+202E payload is not shown");
    }
    assert!(
        ["<U+200B>", "<U+000D>", "<U+202E>", "<U+0000>"]
            .iter()
            .any(|m| text.contains(m)),
        "text: no hostile payload character is shown escaped"
    );
}
