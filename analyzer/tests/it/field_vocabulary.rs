#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The event field vocabulary (`rules/vocabulary.rs`) against what the decoder really
//! produces: on the real Windows records of `../shared/corpus` and on every generated scenario,
//! each field a listed event carries is in its vocabulary entry (so no rule is rejected for a
//! real field), and each field a rule's `where` names occurs on a record of its event where such
//! records exist (so no rule tests a field that never comes).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use rdpdiag::IngestOptions;
use rdpdiag::evtx_ingest::Interest;
use rdpdiag::ingest::ingest;
use rdpdiag::rules::spec::EvidenceKind;
use rdpdiag::rules::vocabulary::EVENT_FIELDS;
use rdpdiag::rules::{Catalog, EventMatch};
use rdpdiag_samples::scenario::{GenerateOptions, Layout, Packaging, catalog, generate};

/// (channel, provider, id) -> field names seen.
type Seen = BTreeMap<(String, String, u32), BTreeSet<String>>;

fn collect(paths: &[PathBuf], seen: &mut Seen) {
    let opts = IngestOptions {
        interest: Interest::everything(),
        ..IngestOptions::default()
    };
    let ing = ingest(paths, &opts);
    for e in ing.events.iter().flatten() {
        let set = seen
            .entry((e.channel.to_string(), e.provider.to_string(), e.event_id))
            .or_default();
        // An empty <EventData/> decodes to one unnamed empty value: no field a rule can name.
        for (k, _) in e.fields.iter().filter(|(k, _)| !k.is_empty()) {
            set.insert(k.to_string());
        }
    }
}

fn corpus() -> Option<PathBuf> {
    let root = std::env::var_os("RDPDIAG_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    let rdp = root.join("evtx/rdp");
    rdp.is_dir().then_some(rdp)
}

fn samples(seen: &mut Seen) {
    let dir = tempfile::tempdir().unwrap();
    for spec in catalog() {
        let opts = GenerateOptions {
            seed: 3,
            noise: 200,
            attempts: 3,
            layout: Layout::Bundle,
            packaging: Packaging::Zip,
            ..GenerateOptions::default()
        };
        let g = generate(spec, &opts, &dir.path().join(spec.name)).unwrap();
        collect(&[g.client, g.server], seen);
    }
}

/// The vocabulary entries for one seen event.
fn entries(channel: &str, provider: &str, id: u32) -> Vec<&'static rdpdiag::rules::vocabulary::EventFields> {
    EVENT_FIELDS
        .iter()
        .filter(|e| {
            e.channel.eq_ignore_ascii_case(channel)
                && e.provider.is_none_or(|p| p.eq_ignore_ascii_case(provider))
                && e.ids.contains(&id)
        })
        .collect()
}

fn check(seen: &Seen, what: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut covered = 0;
    for ((channel, provider, id), fields) in seen {
        let known = entries(channel, provider, *id);
        if known.is_empty() {
            continue;
        }
        covered += 1;
        for f in fields {
            if !known
                .iter()
                .any(|e| e.fields.iter().any(|x| x.eq_ignore_ascii_case(f)))
            {
                problems.push(format!(
                    "{what}: {channel} {provider} {id} carries {f:?}, not in the vocabulary"
                ));
            }
        }
    }
    eprintln!("{what}: {covered} listed (channel, provider, id) kinds seen");
    assert!(covered > 0, "{what}: no listed event seen at all");
    problems
}

#[test]
fn the_vocabulary_holds_every_field_real_and_sample_records_carry() {
    let mut problems = Vec::new();
    match corpus() {
        Some(rdp) => {
            let mut seen = Seen::new();
            let mut files: Vec<PathBuf> = std::fs::read_dir(&rdp)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "evtx"))
                .collect();
            files.sort();
            collect(&files, &mut seen);
            problems.extend(check(&seen, "corpus"));
        }
        None => {
            eprintln!("skipped the corpus half: ../shared/corpus/evtx/rdp is absent (set RDPDIAG_CORPUS)")
        }
    }
    let mut seen = Seen::new();
    samples(&mut seen);
    problems.extend(check(&seen, "samples"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_field_a_rule_tests_occurs_where_its_event_occurs() {
    let mut seen = Seen::new();
    if let Some(rdp) = corpus() {
        let files: Vec<PathBuf> = std::fs::read_dir(&rdp)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "evtx"))
            .collect();
        collect(&files, &mut seen);
    } else {
        eprintln!("corpus absent: checking against the samples only");
    }
    samples(&mut seen);
    let matches = |m: &EventMatch, (channel, provider, id): &(String, String, u32)| {
        m.ids.contains(id)
            && m.channel
                .as_deref()
                .is_none_or(|c| c.eq_ignore_ascii_case(channel))
            && m.provider
                .as_deref()
                .is_none_or(|p| p.eq_ignore_ascii_case(provider))
    };
    let mut problems = Vec::new();
    for rule in Catalog::embedded().unwrap().rules {
        for ev in &rule.evidence {
            let EvidenceKind::Event {
                matcher,
                predicates,
                client_ip_field,
                ..
            } = &ev.kind
            else {
                continue;
            };
            let records: Vec<&BTreeSet<String>> = seen
                .iter()
                .filter(|(k, _)| matches(matcher, k))
                .map(|(_, v)| v)
                .collect();
            if records.is_empty() {
                continue;
            }
            for field in predicates
                .iter()
                .map(|p| p.field.as_str())
                .chain(client_ip_field.as_deref())
            {
                if !records
                    .iter()
                    .any(|r| r.iter().any(|f| f.eq_ignore_ascii_case(field)))
                {
                    problems.push(format!(
                        "{} evidence {}: field {field:?} is on no record of {:?} {:?}",
                        rule.origin, ev.id, matcher.channel, matcher.ids
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
