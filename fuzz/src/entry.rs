//! The entry point of every fuzz target: what the target does with one input.
//!
//! Shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`, through `rdpdiag_fuzz`) and by the
//! analyzer's `tests/it/fuzz_regressions.rs` (through `#[path]`), which replays every file of
//! `fuzz/regressions/<target>/` on stable Rust: a crash input is kept once and checked forever
//! by the same code. Nothing here may depend on libFuzzer.
//!
//! Every function takes the raw input and drives the analyzer exactly as `rdpdiag` does for
//! that kind of file (parse, then the host-facts stage, rendering and serialisation), so a
//! panic, a hang or an unbounded allocation anywhere on the path is found.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use rdpdiag::analyze::AnalyzeOptions;
use rdpdiag::correlate::{Correlation, correlate};
use rdpdiag::diagnose::{diagnose, facts_view};
use rdpdiag::evtx_ingest::{Interest, Provenance, ingest_evtx};
use rdpdiag::facts::HostFacts;
use rdpdiag::hosts::Ticket;
use rdpdiag::hosts::hosts;
use rdpdiag::input::{ContentKind, Limits, sniff};
use rdpdiag::registry::{Registry, fw_rule_string, hive, reg_file};
use rdpdiag::report::{self, Format, build_report};
use rdpdiag::rules::{Catalog, load::parse_rule};
use rdpdiag::text_artifacts::{etl_header, json_artifacts, tracerpt};
use rdpdiag::{IngestOptions, InspectReport, host_addresses, ingest, render_json, render_text};
use rdpdiag_schemas::domain::TextFormat;
use rdpdiag_schemas::manifest::Manifest;

/// One fuzz target: its name (= `fuzz/fuzz_targets/<name>.rs`, `fuzz/regressions/<name>/`)
/// and what it does with an input.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, in the order `scripts/fuzz-smoke.sh` runs them.
pub const TARGETS: &[Target] = &[
    ("reg_file", reg_file),
    ("hive", hive),
    ("certutil", certutil),
    ("acl_list", acl_list),
    ("netstat", netstat),
    ("netsh_rules", netsh_rules),
    ("w32tm", w32tm),
    ("ipconfig", ipconfig),
    ("json_artifacts", json_artifacts),
    ("tracerpt", tracerpt),
    ("etl_header", etl_header),
    ("fw_rule_string", fw_rule_string),
    ("manifest", manifest),
    ("rule_file", rule_file),
    ("evtx", evtx),
    ("bundle_zip", bundle_zip),
];

/// Limits for inputs opened by the fuzz targets: the CLI's defaults (1 GiB per entry) would
/// let a 40-byte zip bomb use the fuzzer's whole memory before the cap stops it.
fn fuzz_limits() -> Limits {
    Limits {
        max_entry_bytes: 64 << 20,
        max_total_bytes: 256 << 20,
        ..Limits::default()
    }
}

/// Does a panic at this source location come from a third-party crate (guarded by our
/// `catch_unwind`, e.g. around notatin and evtx) rather than from our own code?
pub fn third_party_location(file: &str) -> bool {
    let f = file.replace('\\', "/");
    f.contains("/.cargo/registry/") || f.contains("/.cargo/git/") || f.contains("/vendor/")
}

/// For a panic located in the standard library (capacity overflow, a failed `RefCell`
/// borrow ...): is the first non-std frame of `backtrace` in a third-party crate?
/// `None` when the backtrace names no such frame (unsymbolised): treat it as ours.
pub fn third_party_backtrace(backtrace: &str) -> Option<bool> {
    for line in backtrace.lines() {
        let t = line.trim_start();
        let Some((num, sym)) = t.split_once(": ") else {
            continue;
        };
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let s = sym.trim_start_matches('<');
        let std_frame = [
            "std::",
            "core::",
            "alloc::",
            "rust_begin_unwind",
            "__rust",
            "rust_panic",
        ]
        .iter()
        .any(|p| s.starts_with(p));
        if std_frame {
            continue;
        }
        return Some(!(s.starts_with("rdpdiag") || s.starts_with("entry::") || s.starts_with("fuzz_")));
    }
    None
}

/// Facts of one host from one artifact, then everything downstream that reads facts.
fn facts_of_one(name: &str, kind: ContentKind, data: &[u8]) -> HostFacts {
    let facts = HostFacts::from_artifacts([(name, kind, data)]);
    exercise_facts(&facts);
    facts
}

fn empty_correlation() -> &'static Correlation {
    static C: OnceLock<Correlation> = OnceLock::new();
    C.get_or_init(|| correlate(None, None))
}

/// What the diagnosis stage reads of facts (rule paths, derived comparisons) and the JSON the
/// report would carry.
fn exercise_facts(facts: &HostFacts) {
    let _ = facts_view::view(facts, empty_correlation(), Some(3389));
    let _ = serde_json::to_vec(facts);
    let _ = facts.rdp_listener();
    let _ = facts.tcp_listeners_on(3389);
    let _ = facts.tcp_port_owners(3389);
    let _ = facts.network_service_can_read_rdp_key();
    let _ = facts.listener_certificate_found();
    let _ = facts.rdp_store_thumbprints();
    let _ = facts.backup_profiles();
    let _ = facts.registry.current_control_set();
}

/// A `.reg` export (UTF-16LE/UTF-8/ANSI): the parser, the merged tree, the host facts.
pub fn reg_file(data: &[u8]) {
    let _ = sniff::sniff(data, "export.reg");
    if let Ok(file) = reg_file::parse(data) {
        let mut registry = Registry::new();
        file.apply(&mut registry, &Arc::from("fuzz.reg"));
        let _ = registry.current_control_set();
        let _ = serde_json::to_vec(&file);
    }
    facts_of_one(
        "registry/HKLM-System-CCS-Control-TerminalServer.reg",
        ContentKind::Reg,
        data,
    );
}

/// A raw hive (notatin behind our `catch_unwind` wrapper): read whole (capped), then as the
/// facts stage reads it (subtrees by the kind guessed from the names).
pub fn hive(data: &[u8]) {
    let opts = hive::HiveOptions {
        max_keys: 20_000,
        ..hive::HiveOptions::default()
    };
    if let Ok(h) = hive::read_hive(data, &[], "SYSTEM", &opts) {
        let mut registry = Registry::new();
        if let Some(mount) = h.kind.mount_point() {
            h.apply(&mut registry, &Arc::from("fuzz-hive"), mount);
        }
        let _ = serde_json::to_vec(&h);
    }
    // The name picks the subtrees the facts stage reads; vary it with the input.
    let name = match data.len() % 4 {
        0 => "registry/SYSTEM",
        1 => "registry/SOFTWARE",
        2 => "registry/NTUSER.DAT",
        _ => "registry/hive.dat",
    };
    facts_of_one(name, ContentKind::Hive, data);
}

fn text(format: TextFormat, name: &str, data: &[u8]) {
    let _ = sniff::sniff(data, name);
    facts_of_one(name, ContentKind::Text(format), data);
}

/// `certutil -verifystore -v` output.
pub fn certutil(data: &[u8]) {
    text(
        TextFormat::CertutilStore,
        "certs/Certificates-RemoteDesktop.txt",
        data,
    );
}

/// `Get-Acl | Select -ExpandProperty Access` output.
pub fn acl_list(data: &[u8]) {
    text(TextFormat::AclList, "certs/ACL-MachineKeys.txt", data);
}

/// `netstat -anob` output.
pub fn netstat(data: &[u8]) {
    text(TextFormat::Netstat, "network/Netstat.txt", data);
}

/// `netsh advfirewall firewall show rule name=all` output.
pub fn netsh_rules(data: &[u8]) {
    text(TextFormat::FirewallRules, "network/FirewallRules.txt", data);
}

/// `w32tm /query /status` output.
pub fn w32tm(data: &[u8]) {
    text(TextFormat::W32tmStatus, "system/W32tm-Status.txt", data);
}

/// `ipconfig /all` output (read for the host's addresses).
pub fn ipconfig(data: &[u8]) {
    let _ = sniff::sniff(data, "network/Ipconfig.txt");
    let _ = host_addresses::ipconfig_addresses(data);
}

/// JSON artifacts: SecurityCenter2 products, client versions, and `probe/probe.json` (the
/// collector's probe; the analyzer keeps it as raw JSON, so this is its only reader).
pub fn json_artifacts(data: &[u8]) {
    let _ = sniff::sniff(data, "probe/probe.json");
    if let Ok(j) = json_artifacts::parse(data) {
        let _ = serde_json::to_vec(&j);
    }
    facts_of_one("probe/probe.json", ContentKind::Json, data);
    // The same bytes as the records of a redacted-events file (`--redact` bundles): the
    // header line is prepended so that every input reaches the line reader.
    let mut redacted = b"{\"rdpdiag-redacted-events\":1}\n".to_vec();
    redacted.extend_from_slice(data);
    let prov = Provenance {
        input: Arc::from("fuzz"),
        artifact: Arc::from("evtx/System.redacted-events.jsonl"),
    };
    for interest in [Interest::default(), Interest::everything()] {
        let out = rdpdiag::evtx_ingest::redacted::ingest_redacted(&redacted, &prov, &interest);
        for e in &out.events {
            let _ = interest.matches(e);
        }
    }
}

/// `tracerpt` XML or CSV conversions of a client trace, and their events as model events.
pub fn tracerpt(data: &[u8]) {
    if let Ok(t) = tracerpt::parse(data) {
        for e in &t.events {
            let _ = e.to_model_event(Arc::from("fuzz"), Arc::from("trace.xml"));
        }
    }
    let kind = if data.first() == Some(&b'<') {
        ContentKind::TraceXml
    } else {
        ContentKind::TraceCsv
    };
    facts_of_one("traces/RdClientAutoTrace.xml", kind, data);
}

/// The header of an `.etl` trace.
pub fn etl_header(data: &[u8]) {
    let _ = sniff::sniff(data, "RdClientAutoTrace-0.etl");
    if let Ok(h) = etl_header::parse(data) {
        let _ = h.truncated();
        let _ = serde_json::to_vec(&h);
    }
    facts_of_one("traces/RdClientAutoTrace-0.etl", ContentKind::Etl, data);
}

/// A firewall rule string as stored in `FirewallRules` registry values.
pub fn fw_rule_string(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    if let Ok(r) = fw_rule_string::parse(&s) {
        let _ = format!("{r:?}");
    }
}

/// A bundle's `manifest.json`: parse and validate; a valid manifest survives a round trip.
pub fn manifest(data: &[u8]) {
    let Ok(m) = Manifest::from_json_slice(data) else {
        return;
    };
    let again = Manifest::from_json_slice(&m.to_json_pretty());
    assert!(
        matches!(&again, Ok(a) if *a == m),
        "a valid manifest does not survive a round trip: {again:?}"
    );
}

/// The embedded rules, parsed once.
fn embedded_catalog() -> Option<&'static Catalog> {
    static C: OnceLock<Option<Catalog>> = OnceLock::new();
    C.get_or_init(|| Catalog::embedded().ok()).as_ref()
}

/// A client and a server sample bundle, correlated: the ticket a fuzzed rule is run on.
fn sample_ticket() -> Option<&'static (Ticket, Correlation)> {
    static T: OnceLock<Option<(Ticket, Correlation)>> = OnceLock::new();
    T.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples/bundles");
        let paths = [
            dir.join("cert-key-unreadable-client.zip"),
            dir.join("cert-key-unreadable-server.zip"),
        ];
        if !paths.iter().all(|p| p.is_file()) {
            return None;
        }
        let opts = AnalyzeOptions::default();
        let mut ing = ingest(&paths, &opts.ingest);
        let ticket = hosts(&mut ing, &opts.force_client, &opts.force_server);
        let corr = correlate(ticket.client.as_ref(), ticket.server.as_ref());
        Some((ticket, corr))
    })
    .as_ref()
}

/// A rule file (`--rules DIR`): parsed and validated; a valid rule replaces the embedded rule
/// of its cause and the catalog diagnoses a sample ticket, with every report format.
pub fn rule_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(rule) = parse_rule("fuzz.toml", text) else {
        return;
    };
    let Some(mut catalog) = embedded_catalog().cloned() else {
        return;
    };
    catalog.rules.retain(|r| r.id != rule.id);
    catalog.rules.push(rule);
    let Some((ticket, corr)) = sample_ticket() else {
        return;
    };
    let d = diagnose(
        &catalog,
        corr,
        ticket.client.as_ref(),
        ticket.server.as_ref(),
        &Default::default(),
    );
    let r = build_report(ticket, corr, &d);
    for f in [Format::Text, Format::Json, Format::Md, Format::Html] {
        let _ = report::render(&r, f);
    }
}

/// An EVTX file through the analyzer's ingest (header/chunk checks, the raw_instance and
/// template_slots pre-filter, rendering of the kept records), under the same panic guard as
/// `ingest::process_entry`: a panic in the evtx crate is caught there; one in our code is a bug.
pub fn evtx(data: &[u8]) {
    let prov = Provenance {
        input: Arc::from("fuzz"),
        artifact: Arc::from("evtx/System.evtx"),
    };
    for interest in [Interest::default(), Interest::everything()] {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let out = ingest_evtx(data.to_vec(), &prov, &interest);
            for e in &out.events {
                let _ = interest.matches(e);
            }
            out.events.len()
        }));
    }
}

/// Entry names a structured input picks by number, so that its entries land where real bundles
/// put them (our layout, MSRD-Collect's, hive + transaction log pairs).
pub const BUNDLE_NAMES: &[&str] = &[
    "manifest.json",
    "evtx/System.evtx",
    "evtx/Microsoft-Windows-TerminalServices-RDPClient%4Operational.evtx",
    "evtx/Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx",
    "evtx/Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx",
    "registry/HKLM-System-CCS-Control-TerminalServer.reg",
    "registry/HKLM-System-CCS-Control-SecurityProviders.reg",
    "registry/HKLM-System-CCS-Svc-SharedAccess-FirewallRules.reg",
    "registry/SYSTEM",
    "registry/SYSTEM.LOG1",
    "certs/Certificates-RemoteDesktop.txt",
    "certs/Certificates-My.txt",
    "certs/ACL-MachineKeys.txt",
    "network/Netstat.txt",
    "network/FirewallRules.txt",
    "network/Ipconfig.txt",
    "system/W32tm-Status.txt",
    "system/SecurityProducts.json",
    "system/ClientVersions.json",
    "probe/probe.json",
    "traces/RdClientAutoTrace-0.etl",
    "traces/RdClientAutoTrace-0.xml",
    "collection-log.txt",
    "MSRD-Results-WKS-1-20260101_000000/WKS-1_EventLogs/WKS-1_RDPClientOperational.evtx",
    "MSRD-Results-WKS-1-20260101_000000/WKS-1_RegistryKeys/WKS-1_HKLM-System-CCS-Control-TerminalServer.txt",
    "MSRD-Results-WKS-1-20260101_000000/WKS-1_Networking/WKS-1_Netstat.txt",
];

/// Most entries a structured input makes.
const MAX_BUNDLE_ENTRIES: usize = 64;

/// Splits a structured input into entries: per entry one byte picks a name of
/// [`BUNDLE_NAMES`] or, past them, takes a raw name of up to 63 bytes; then a 3-byte
/// little-endian length and that many bytes of content (cut at the end of the input).
pub fn bundle_entries(mut data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    while out.len() < MAX_BUNDLE_ENTRIES {
        let Some((&pick, rest)) = data.split_first() else {
            break;
        };
        data = rest;
        let name = match BUNDLE_NAMES.get(usize::from(pick)) {
            Some(n) => (*n).to_string(),
            None => {
                let n = (usize::from(pick) - BUNDLE_NAMES.len()) % 64;
                let (raw, rest) = data.split_at(n.min(data.len()));
                data = rest;
                String::from_utf8_lossy(raw).into_owned()
            }
        };
        let (len, rest) = data.split_at(3.min(data.len()));
        data = rest;
        let len = len.iter().rev().fold(0usize, |a, &b| (a << 8) | usize::from(b));
        let (content, rest) = data.split_at(len.min(data.len()));
        data = rest;
        out.push((name, content.to_vec()));
    }
    out
}

/// A zip of `entries` (stored or deflated), as any zip tool would write it.
fn zip_of(entries: &[(String, Vec<u8>)], deflate: bool) -> Option<Vec<u8>> {
    use std::io::Write;
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in entries {
        // Duplicate or unwritable names: the zip writer refuses them; skip the entry.
        if w.start_file(name.as_str(), options).is_ok() {
            w.write_all(content).ok()?;
        }
    }
    w.finish().ok().map(std::io::Cursor::into_inner)
}

/// A safe relative path for a folder input: `[A-Za-z0-9._%-]` parts, no `.`/`..`, at most
/// four deep (the harness writes these files; the analyzer's own name checks are fuzzed
/// through zips).
fn folder_path(name: &str) -> Option<PathBuf> {
    let mut p = PathBuf::new();
    for part in name
        .split(['/', '\\'])
        .filter(|x| !x.is_empty() && *x != "." && *x != "..")
        .take(4)
    {
        let clean: String = part
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if clean.chars().all(|c| c == '.') {
            return None;
        }
        p.push(clean);
    }
    (!p.as_os_str().is_empty()).then_some(p)
}

/// A whole input as `rdpdiag inspect` and `rdpdiag analyze` open it, from a temporary copy:
/// opened (zip-slip, bombs, duplicates, manifest), every entry read, sniffed and parsed, host
/// facts built, hosts paired and correlated, diagnosed with the embedded rules, and every
/// report, the inspect output and the timeline rendered.
///
/// An input starting with `PK` is a zip as is (the zip reader itself is fuzzed); any other is
/// structured ([`bundle_entries`]): its first byte chooses a stored zip, a deflated zip or a
/// folder of the entries, so that the parsers behind the opening are reached too.
pub fn bundle_zip(data: &[u8]) {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rdpdiag-fuzz-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let input = if data.starts_with(b"PK") {
        let path = dir.join("bundle.zip");
        std::fs::write(&path, data).ok().map(|_| path)
    } else {
        let (mode, rest) = data.split_first().map_or((0, data), |(m, r)| (*m, r));
        let entries = bundle_entries(rest);
        match mode % 3 {
            2 => {
                let root = dir.join("bundle");
                let written = entries.iter().all(|(name, content)| match folder_path(name) {
                    Some(rel) => {
                        let path = root.join(rel);
                        path.parent().is_some_and(|p| std::fs::create_dir_all(p).is_ok())
                            && std::fs::write(&path, content).is_ok()
                    }
                    None => true,
                });
                (written && root.is_dir()).then_some(root)
            }
            m => zip_of(&entries, m == 1).and_then(|z| {
                let path = dir.join("bundle.zip");
                std::fs::write(&path, z).ok().map(|_| path)
            }),
        }
    };
    if let Some(path) = input {
        analyse_paths(&[path]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn analyse_paths(paths: &[PathBuf]) {
    let opts = AnalyzeOptions {
        ingest: IngestOptions {
            limits: fuzz_limits(),
            interest: Interest::default(),
            keep_every_network_logon: false,
        },
        ..AnalyzeOptions::default()
    };
    let mut ing = ingest(paths, &opts.ingest);
    let ticket = hosts(&mut ing, &opts.force_client, &opts.force_server);
    let corr = correlate(ticket.client.as_ref(), ticket.server.as_ref());
    if let Some(catalog) = embedded_catalog() {
        let d = diagnose(
            catalog,
            &corr,
            ticket.client.as_ref(),
            ticket.server.as_ref(),
            &Default::default(),
        );
        let r = build_report(&ticket, &corr, &d);
        for f in [Format::Text, Format::Json, Format::Md, Format::Html] {
            let _ = report::render(&r, f);
        }
    }
    let rows = rdpdiag::timeline::merged(&ticket, &corr);
    let _ = rdpdiag::timeline::to_text(&rows, &corr);
    let _ = rdpdiag::timeline::to_csv(&rows);
    let _ = rdpdiag::timeline::to_jsonl(&rows);
    let inspect = InspectReport {
        tool: "rdpdiag fuzz".into(),
        totals: Default::default(),
        inputs: ing.inputs,
    };
    let _ = render_text(&inspect);
    let _ = render_json(&inspect);
}
