//! Helpers shared by the samples integration tests: reading zips and event logs back.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use evtx::{EvtxParser, ParserSettings};
use serde_json::Value;

/// Every entry of a zip: name -> uncompressed bytes.
pub fn zip_entries(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut z = zip::ZipArchive::new(f).unwrap_or_else(|e| panic!("zip {}: {e}", path.display()));
    let mut out = BTreeMap::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).unwrap();
        let mut buf = Vec::new();
        e.read_to_end(&mut buf).unwrap();
        out.insert(e.name().unwrap().to_string(), buf);
    }
    out
}

/// Every record of an EVTX file as the evtx crate renders it to JSON (checksums validated).
pub fn evtx_records(bytes: &[u8]) -> Vec<(u64, Value)> {
    let settings = ParserSettings::default().num_threads(1).validate_checksums(true);
    let mut p = EvtxParser::from_buffer(bytes.to_vec())
        .unwrap()
        .with_configuration(settings);
    p.records_json_value()
        .map(|r| {
            let r = r.expect("record parses");
            (r.event_record_id, r.data)
        })
        .collect()
}

/// EventID of a rendered record (plain or with Qualifiers).
pub fn event_id(v: &Value) -> u64 {
    let id = &v["Event"]["System"]["EventID"];
    id.as_u64().or_else(|| id["#text"].as_u64()).unwrap_or(u64::MAX)
}

/// Channel of a rendered record.
pub fn channel(v: &Value) -> String {
    v["Event"]["System"]["Channel"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A payload field (EventData or UserData/EventXML) rendered as text.
pub fn field(v: &Value, name: &str) -> Option<String> {
    let ev = &v["Event"];
    let cands = [&ev["EventData"][name], &ev["UserData"]["EventXML"][name]];
    cands.iter().find(|c| !c.is_null()).map(|c| match c {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// ActivityID of a rendered record.
pub fn activity(v: &Value) -> Option<String> {
    v["Event"]["System"]["Correlation"]["#attributes"]["ActivityID"]
        .as_str()
        .map(str::to_string)
}

/// Root of the shared corpus, or None (tests then skip and say why).
pub fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("RDPDIAG_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    p.is_dir().then_some(p)
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}
