#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The collector keeps, under `--redact`, the event log records of
//! `rdpdiag_schemas::event_interest` (it cannot depend on this crate); that set must hold every
//! record this analyzer reads: its built-in interest table and every event the embedded rule
//! catalog names.

use rdpdiag::evtx_ingest::interest::{Condition, DEFAULT_RULES};
use rdpdiag::rules::Catalog;
use rdpdiag_schemas::event_interest::{PAYLOAD_CONDITIONS, wanted};

/// The collector drops records that fail a payload condition; that is safe only while the
/// analyzer applies the same condition and no rule reads those records otherwise.
#[test]
fn payload_conditions_are_the_analyzers() {
    let mut builtin = Vec::new();
    for rule in DEFAULT_RULES {
        if let Condition::DataIn { field, values } = rule.condition {
            for &(lo, hi) in rule.ids.iter() {
                for id in lo..=hi {
                    builtin.push((rule.channel.to_string(), id, field, values.to_vec()));
                }
            }
        }
    }
    let shared: Vec<_> = PAYLOAD_CONDITIONS
        .iter()
        .map(|c| (c.channel.to_string(), c.event_id, c.field, c.values.to_vec()))
        .collect();
    assert_eq!(shared, builtin);
    for ev in Catalog::embedded().unwrap().wanted_events() {
        for c in PAYLOAD_CONDITIONS {
            assert!(
                !(ev.channel.eq_ignore_ascii_case(c.channel) && ev.ids.contains(&c.event_id)),
                "{} names {} {}: drop the collector's payload condition",
                ev.why,
                c.channel,
                c.event_id
            );
        }
    }
}

#[test]
fn the_redaction_keeps_every_event_the_analyzer_reads() {
    let mut missing = Vec::new();
    for rule in DEFAULT_RULES {
        for &(lo, hi) in rule.ids.iter() {
            for id in lo..=hi {
                if !wanted(&rule.channel, id) {
                    missing.push(format!("built-in {} {id} ({})", rule.channel, rule.why));
                }
            }
        }
    }
    for ev in Catalog::embedded().unwrap().wanted_events() {
        for id in &ev.ids {
            if !wanted(&ev.channel, *id) {
                missing.push(format!("rule {} {id} ({})", ev.channel, ev.why));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "add these to schemas/src/event_interest.rs:\n{}",
        missing.join("\n")
    );
}

/// The collector keeps, under `--redact`, only the registry keys and values of
/// `rdpdiag_schemas::registry_interest`; every registry path the facts read (the `*_KEY`
/// constants of `facts/registry.rs` and the paths built from them with `format!`) and every
/// value read from a key whose values are filtered must be kept. Read from the source of the
/// whole `facts` module (its `use` statements left out: a re-export names a constant without
/// reading it), so a new read that the list lacks fails here, whichever file it is in.
#[test]
fn the_redaction_keeps_every_registry_key_the_analyzer_reads() {
    use rdpdiag_schemas::registry_interest::{Keep, ValueFilter, keep_full_path};
    let files = [
        include_str!("../../ingest/src/facts/mod.rs"),
        include_str!("../../ingest/src/facts/build.rs"),
        include_str!("../../ingest/src/facts/registry.rs"),
    ];
    let src = &without_use_statements(&files.concat());
    assert!(
        src.contains("fn derive_listeners"),
        "the registry derivations moved; include their file here"
    );
    // `pub const NAME: &str =` then `r"HK..."` on the same or the next line.
    let mut consts: Vec<(String, String)> = Vec::new();
    let mut pending: Option<String> = None;
    for line in src.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("pub const ")
            && let Some((name, _)) = rest.split_once(": &str =")
        {
            pending = Some(name.to_string());
        }
        if let Some(name) = &pending
            && let Some(i) = t.find("r\"HK")
        {
            let lit = &t[i + 2..];
            let path = &lit[..lit.find('"').unwrap()];
            consts.push((name.clone(), path.to_string()));
            pending = None;
        }
    }
    assert!(consts.len() >= 15, "registry constants read: {consts:?}");
    // A constant used only inside `format!` paths is a prefix, not read itself.
    let read_itself = |name: &str| {
        src.match_indices(name)
            .filter(|(i, _)| !src[..*i].ends_with('{') && !src[..*i].ends_with("pub const "))
            .count()
            > 0
    };
    let mut paths: Vec<String> = consts
        .iter()
        .filter(|(n, _)| read_itself(n))
        .map(|(_, p)| p.clone())
        .collect();
    // `format!(r"{NAME}\rest")`; `{store}` is the certificate store loop's variable.
    for (name, path) in &consts {
        let pat = format!("r\"{{{name}}}\\");
        for (i, _) in src.match_indices(&pat) {
            let rest = &src[i + pat.len()..];
            let rest = &rest[..rest.find('"').unwrap()];
            let full = format!("{path}\\{rest}");
            if full.contains("{store}") {
                paths.push(full.replace("{store}", "MY"));
                paths.push(full.replace("{store}", "Remote Desktop"));
            } else {
                assert!(!full.contains('{'), "teach this test the placeholder of {full}");
                paths.push(full);
            }
        }
    }
    for p in &paths {
        assert!(
            matches!(keep_full_path(p), Keep::Key(_)),
            "the facts read {p}, which --redact does not keep (schemas/src/registry_interest.rs)"
        );
    }
    // Values read from keys whose values are filtered: `fact_*(reg, NAME, "Value")`, and in a
    // function that opens the key itself (`reg.key(NAME)`), every `("Value")` in its body.
    for (name, path) in &consts {
        let Keep::Key(filter @ ValueFilter::Named(_)) = keep_full_path(path) else {
            continue;
        };
        let mut read: Vec<String> = Vec::new();
        let call = format!("reg, {name}, \"");
        for (i, _) in src.match_indices(&call) {
            let rest = &src[i + call.len()..];
            read.push(rest[..rest.find('"').unwrap()].to_string());
        }
        for (i, _) in src.match_indices(&format!("reg.key({name})")) {
            let body_start = src[..i].rfind("\n    fn ").unwrap();
            let body_end = i + src[i..].find("\n    fn ").unwrap_or(src.len() - i);
            let body = &src[body_start..body_end];
            for (j, _) in body.match_indices("(\"") {
                let rest = &body[j + 2..];
                let word = &rest[..rest.find('"').unwrap()];
                if word.chars().all(|c| c.is_ascii_alphanumeric()) && !word.is_empty() {
                    read.push(word.to_string());
                }
            }
        }
        for v in &read {
            assert!(
                filter.keeps(v),
                "the facts read {path}\\{v}, which --redact does not keep (schemas/src/registry_interest.rs)"
            );
        }
    }
}

/// `src` without its `use` statements (which may span lines, up to their `;`).
fn without_use_statements(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut in_use = false;
    for line in src.lines() {
        let t = line.trim_start();
        if !in_use && (t.starts_with("use ") || t.starts_with("pub use ")) {
            in_use = true;
        }
        if in_use {
            in_use = !line.trim_end().ends_with(';');
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}
