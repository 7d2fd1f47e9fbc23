//! Cross-check of the EVTX writer with a second, independent reader: python-evtx (PyPI
//! `python-evtx`, module `Evtx`) through `tests/python/dump_evtx.py`. Both readers must return
//! the same records and values; the places where python-evtx renders differently from the evtx
//! crate are normalised in [`normalise_python`], each with the difference it undoes.
//!
//! Without python-evtx the tests print why and pass, unless `RDPDIAG_REQUIRE_PYTHON_EVTX=1`
//! (CI) makes them fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::evtx_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, NaiveDateTime, Utc};
use evtx_support::{
    TElem, TNode, XElem, XNode, diff_tree, event, expected_tree, parse_xml, read_with_evtx, render_evtx,
    unix_ns,
};
use rdpdiag_samples::evtx::{Event, Value, WriterOptions, write_evtx_to_vec};

fn python() -> String {
    std::env::var("RDPDIAG_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Whether python-evtx is importable; otherwise why not (or a panic when CI requires it).
fn python_evtx_available() -> bool {
    let why = match Command::new(python()).args(["-c", "import Evtx"]).output() {
        Ok(o) if o.status.success() => return true,
        Ok(o) => format!(
            "`{} -c \"import Evtx\"` failed: {}",
            python(),
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => format!("cannot run {}: {e}", python()),
    };
    if std::env::var("RDPDIAG_REQUIRE_PYTHON_EVTX").as_deref() == Ok("1") {
        panic!("python-evtx is required (RDPDIAG_REQUIRE_PYTHON_EVTX=1) but unavailable: {why}");
    }
    eprintln!("skipping the python-evtx cross-check: {why} (pip install python-evtx)");
    false
}

fn dump_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/dump_evtx.py")
}

/// What dump_evtx.py reports.
struct PyDump {
    chunks: Vec<serde_json::Value>,
    records: Vec<(u64, String, String)>,
    summary: serde_json::Value,
}

fn dump_with_python(data: &[u8]) -> PyDump {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("generated.evtx");
    std::fs::write(&path, data).unwrap();
    let out = Command::new(python())
        .arg(dump_script())
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dump_evtx.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut dump = PyDump {
        chunks: Vec::new(),
        records: Vec::new(),
        summary: serde_json::Value::Null,
    };
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v.get("chunk").is_some() {
            dump.chunks.push(v);
        } else if let Some(n) = v.get("record") {
            dump.records.push((
                n.as_u64().unwrap(),
                v["timestamp"].as_str().unwrap().to_string(),
                v["xml"].as_str().unwrap().to_string(),
            ));
        } else {
            dump.summary = v["summary"].clone();
        }
    }
    dump
}

/// python-evtx converts FILETIMEs through a float (`float(qword) * 1e-7`), which keeps about
/// 2 µs of precision on today's dates, and prints microseconds at most.
const PY_FILETIME_TOLERANCE_NS: i128 = 5_000;

fn parse_py_time(s: &str) -> Option<i128> {
    let t = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()?
        .with_timezone(&Utc);
    Some(unix_ns(&t))
}

/// Turns python-evtx's rendering of `hint`'s value into the evtx crate's (`evtx` is what the
/// evtx crate should print, from the model). Unknown differences are left for the comparison
/// to report.
fn normalise_value(hint: &Value, py: &str, evtx: &str) -> String {
    let same = |ok: bool| if ok { evtx.to_string() } else { py.to_string() };
    match hint {
        // Precision: see PY_FILETIME_TOLERANCE_NS.
        Value::FileTime(t) => {
            same(parse_py_time(py).is_some_and(|p| (p - unix_ns(t)).abs() <= PY_FILETIME_TOLERANCE_NS))
        }
        // python-evtx passes SYSTEMTIME's milliseconds to datetime() as *micro*seconds and
        // prints the result without a time zone: .123 s renders as ".000123".
        Value::SystemTime(t) => {
            let ms = t.timestamp_subsec_millis();
            let naive = NaiveDateTime::parse_from_str(py, "%Y-%m-%d %H:%M:%S%.f").ok();
            same(naive.is_some_and(|n| {
                n.and_utc().timestamp() == t.timestamp() && n.and_utc().timestamp_subsec_micros() == ms
            }))
        }
        // python-evtx prints booleans as Python does: True / False.
        Value::Boolean(b) => same(py == if *b { "True" } else { "False" }),
        // python-evtx prints Binary as base64; the evtx crate as upper-case hex.
        Value::Binary(b) => same(py == base64(b)),
        // python-evtx zero-pads HexInt32 to 8 and HexInt64 (and SizeT, stored as HexInt64) to
        // 16 digits; the evtx crate prints no leading zeros.
        Value::HexInt32(_) | Value::HexInt64(_) | Value::SizeT(_) => {
            let strip = |s: &str| s.strip_prefix("0x").map(|h| u64::from_str_radix(h, 16).ok());
            same(strip(py).flatten().is_some() && strip(py) == strip(evtx))
        }
        _ => py.to_string(),
    }
}

fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// python-evtx's XML brought to the evtx crate's rendering, guided by the model (`exp`).
fn normalise_python(exp: &TElem, py: &XElem) -> XElem {
    // python-evtx renders NullType optional substitutions as `attr=""` where Windows (and the
    // evtx crate) leave the attribute out; the evtx crate also leaves out empty attributes.
    let attrs = py
        .attrs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(n, v)| match exp.attrs.iter().find(|(en, _)| en == n) {
            Some((_, hint)) => (n.clone(), normalise_value(hint, v, &render_evtx(hint))),
            None => (n.clone(), v.clone()),
        })
        .collect();

    let mut children: Vec<XNode> = Vec::new();
    let mut prev_was_elem = false;
    for c in &py.children {
        match c {
            XNode::Elem(e) => {
                children.push(XNode::Elem(e.clone()));
                prev_was_elem = true;
            }
            XNode::Text(t) => {
                // python-evtx writes a newline after every end tag; in mixed content it ends up
                // at the start of the next text.
                let t = if prev_was_elem {
                    t.strip_prefix('\n').unwrap_or(t)
                } else {
                    t.as_str()
                };
                if !t.is_empty() {
                    children.push(XNode::Text(t.to_string()));
                }
                prev_was_elem = false;
            }
        }
    }
    // python-evtx renders a string array (classic events' unnamed <Data>) as a single <Data>
    // holding `<string>s</string>\n` per string; the evtx crate, like Windows, repeats <Data>.
    if py.name == "EventData" {
        children = children
            .into_iter()
            .flat_map(|c| match c {
                XNode::Elem(d)
                    if d.name == "Data" && d.attrs.is_empty() && d.text().starts_with("<string>") =>
                {
                    split_string_array(&d.text())
                        .into_iter()
                        .map(|s| {
                            let children = if s.is_empty() {
                                vec![]
                            } else {
                                vec![XNode::Text(s)]
                            };
                            XNode::Elem(XElem {
                                name: "Data".into(),
                                attrs: vec![],
                                children,
                            })
                        })
                        .collect()
                }
                other => vec![other],
            })
            .collect();
        // python-evtx ignores element DependencyIds: a classic `<Data>` / `<Binary>` whose
        // value is NullType comes out empty, where Windows and the evtx crate leave it out.
        let exp_has = |name: &str| {
            exp.children
                .iter()
                .any(|c| matches!(c, TNode::Elem(e) if e.name == name))
        };
        children.retain(|c| match c {
            XNode::Elem(e)
                if e.attrs.is_empty()
                    && e.children.is_empty()
                    && matches!(e.name.as_str(), "Data" | "Binary") =>
            {
                exp_has(&e.name)
            }
            _ => true,
        });
    }

    // Recurse, pairing element children and texts with the model's.
    let exp_elems: Vec<&TElem> = exp
        .children
        .iter()
        .filter_map(|c| if let TNode::Elem(e) = c { Some(e) } else { None })
        .collect();
    let exp_texts: Vec<&Value> = exp
        .children
        .iter()
        .filter_map(|c| if let TNode::Text(v) = c { Some(v) } else { None })
        .filter(|v| !render_evtx(v).is_empty())
        .collect();
    let (mut ei, mut ti) = (0, 0);
    let children = children
        .into_iter()
        .map(|c| match c {
            XNode::Elem(e) => {
                let out = match exp_elems.get(ei) {
                    Some(x) if x.name == e.name => XNode::Elem(normalise_python(x, &e)),
                    _ => XNode::Elem(e),
                };
                ei += 1;
                out
            }
            XNode::Text(t) => {
                let out = match exp_texts.get(ti) {
                    Some(hint) => XNode::Text(normalise_value(hint, &t, &render_evtx(hint))),
                    None => XNode::Text(t),
                };
                ti += 1;
                out
            }
        })
        .collect();
    XElem {
        name: py.name.clone(),
        attrs,
        children,
    }
}

fn split_string_array(text: &str) -> Vec<String> {
    text.split("</string>\n")
        .filter(|p| !p.is_empty())
        .map(|p| p.strip_prefix("<string>").unwrap_or(p).to_string())
        .collect()
}

/// Writes `events`, reads the file with both readers and asserts they agree with each other
/// and with the model.
fn cross_check(events: &[Event]) {
    let data = write_evtx_to_vec(events, WriterOptions::default()).unwrap();
    let chunk_count = (data.len() - 4096) / 65536;
    let (evtx_records, _) = read_with_evtx(data.clone()).unwrap();
    let py = dump_with_python(&data);

    assert_eq!(py.summary["file_ok"], true, "python-evtx: file header checks");
    assert_eq!(py.summary["chunk_count"].as_u64(), Some(chunk_count as u64));
    assert_eq!(py.summary["next_record"].as_u64(), Some(events.len() as u64 + 1));
    assert_eq!(py.chunks.len(), chunk_count);
    for c in &py.chunks {
        assert_eq!(c["header_ok"], true, "python-evtx: chunk header CRC {c}");
        assert_eq!(c["data_ok"], true, "python-evtx: chunk records CRC {c}");
    }
    assert_eq!(py.records.len(), events.len(), "python-evtx returns every record");
    assert_eq!(
        evtx_records.len(),
        events.len(),
        "the evtx crate returns every record"
    );

    for ((e, ev), (py_id, py_ts, py_xml)) in events.iter().zip(&evtx_records).zip(&py.records) {
        assert_eq!(*py_id, ev.id, "same record numbers");
        let ts = parse_py_time(py_ts).unwrap_or_else(|| panic!("python timestamp {py_ts}"));
        assert!(
            (ts - ev.timestamp_ns).abs() <= PY_FILETIME_TOLERANCE_NS,
            "record {}: {py_ts}",
            ev.id
        );

        let exp = expected_tree(e, ev.id);
        let evtx_tree = parse_xml(&ev.xml).unwrap();
        let d = diff_tree(&exp, &evtx_tree, &|v, got| render_evtx(v) == got, "");
        assert!(d.is_none(), "evtx crate, record {}: {d:?}", ev.id);

        let py_tree =
            parse_xml(py_xml).unwrap_or_else(|err| panic!("python-evtx record {}: {err}\n{py_xml}", ev.id));
        let normalised = normalise_python(&exp, &py_tree);
        assert_eq!(
            normalised, evtx_tree,
            "record {}: python-evtx (normalised) and the evtx crate differ\npython-evtx: {py_xml}\nevtx crate: {}",
            ev.id, ev.xml
        );
    }
}

#[test]
fn one_event_both_readers() {
    if !python_evtx_available() {
        return;
    }
    cross_check(&[event(21, 0)]);
}

#[test]
fn every_shape_and_value_type_both_readers() {
    if !python_evtx_available() {
        return;
    }
    // Each shape several times (inline template definitions and references), every value type
    // (shape 7), null and optional values, EventData / classic / UserData / no payload.
    let events: Vec<Event> = (0..evtx_support::SHAPES * 6)
        .map(|i| event(22, (i * 5) % (evtx_support::SHAPES * 6)))
        .collect();
    let has_all_types = events.iter().any(
        |e| matches!(&e.payload, rdpdiag_samples::evtx::Payload::EventData { data, .. } if data.len() > 20),
    );
    assert!(has_all_types);
    cross_check(&events);
}

/// Enough records for several chunks, so chunk boundaries, per-chunk string and template
/// tables and record numbering across chunks are all crossed; python-evtx takes 10-20 ms a
/// record here, so more would only cost CI time (10,000 took 100-230 s).
#[test]
fn thousands_of_events_across_chunks_both_readers() {
    if !python_evtx_available() {
        return;
    }
    let events: Vec<Event> = (0..1_500).map(|i| event(23, i)).collect();
    let data = write_evtx_to_vec(&events, WriterOptions::default()).unwrap();
    let chunks = (data.len() - 4096) / 65536;
    assert!(chunks >= 4, "several chunks, not {chunks}");
    cross_check(&events);
}
