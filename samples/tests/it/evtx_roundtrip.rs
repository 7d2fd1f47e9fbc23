//! Round trip of the EVTX writer through the evtx crate: every record comes back, with its
//! identifier, timestamp and every value rendered as the model says, chunk CRCs valid, and the
//! file and chunk headers consistent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::evtx_support;

use std::io::Cursor;
use std::time::Instant;

use evtx_support::{
    SHAPES, diff_tree, event, expected_tree, file_header_fields, parse_xml, read_with_evtx, render_evtx,
    unix_ns,
};
use rdpdiag_samples::evtx::{
    Element, Event, EvtxWriteError, EvtxWriter, Payload, Value, WriterOptions, write_evtx_to_vec,
};

const CHUNK: usize = 65536;
const HEADER: usize = 4096;

/// Writes events `0..n` of `seed` (streaming, never holding them all) and checks every record
/// the evtx crate reads back against its model. Returns the file.
fn roundtrip(seed: u64, n: u64, options: WriterOptions) -> Vec<u8> {
    let t = Instant::now();
    let mut w = EvtxWriter::new(Cursor::new(Vec::new()), options).unwrap();
    let mut chunks_seen_by_size = 0;
    for i in 0..n {
        let id = w.write_event(&event(seed, i)).unwrap();
        assert_eq!(id, options.first_record_id + i, "identifiers are sequential");
        assert_eq!(w.records_written(), i + 1);
        let b = w.bytes_written();
        assert_eq!(
            (b as usize - HEADER) % CHUNK,
            0,
            "bytes_written counts whole chunks"
        );
        chunks_seen_by_size = (b as usize - HEADER) / CHUNK;
    }
    let data = w.finish().unwrap().into_inner();
    let write_time = t.elapsed();

    // File layout: header block + whole chunks, header final and consistent.
    assert_eq!((data.len() - HEADER) % CHUNK, 0);
    let chunk_count = (data.len() - HEADER) / CHUNK;
    assert!(chunk_count >= chunks_seen_by_size && chunk_count <= chunks_seen_by_size + 1);
    let (hdr_chunks, next_id, flags, crc_ok) = file_header_fields(&data);
    assert!(crc_ok, "file header CRC");
    assert_eq!(usize::from(hdr_chunks), chunk_count);
    assert_eq!(next_id, options.first_record_id + n);
    assert_eq!(flags, 0, "finished file is clean");
    assert_eq!(u16::from_le_bytes([data[36], data[37]]), options.minor_version);
    // Chunks are full: every chunk but the last holds as many records as fit.
    let mut expected_next_first = options.first_record_id;
    for c in 0..chunk_count {
        let ch = &data[HEADER + c * CHUNK..HEADER + (c + 1) * CHUNK];
        assert_eq!(&ch[..8], b"ElfChnk\0");
        let first = u64::from_le_bytes(ch[24..32].try_into().unwrap());
        let last = u64::from_le_bytes(ch[32..40].try_into().unwrap());
        let free = u32::from_le_bytes(ch[48..52].try_into().unwrap()) as usize;
        assert_eq!(first, expected_next_first, "chunk {c} continues the identifiers");
        assert!(last >= first);
        expected_next_first = last + 1;
        assert!(
            ch[free..].iter().all(|&b| b == 0),
            "chunk {c}: tail after the free-space offset is zero"
        );
        assert_eq!(free % 8, 0, "records are 8-byte aligned");
    }

    let t = Instant::now();
    let (records, chunks_read) = read_with_evtx(data.clone()).unwrap_or_else(|e| panic!("evtx crate: {e}"));
    let read_time = t.elapsed();
    assert_eq!(
        chunks_read, chunk_count,
        "the evtx crate reads every chunk (checksums valid)"
    );
    assert_eq!(records.len() as u64, n, "every record comes back");
    for (i, r) in records.iter().enumerate() {
        let e = event(seed, i as u64);
        let id = options.first_record_id + i as u64;
        assert_eq!(r.id, id);
        assert_eq!(r.timestamp_ns, unix_ns(&e.time_created), "record {id} timestamp");
        let tree = parse_xml(&r.xml).unwrap_or_else(|err| panic!("record {id}: {err}\n{}", r.xml));
        if let Some(d) = diff_tree(&expected_tree(&e, id), &tree, &|v, got| render_evtx(v) == got, "") {
            panic!("record {id} (shape {}): {d}\n{}", i as u64 % SHAPES, r.xml);
        }
    }
    eprintln!(
        "{n} events: {} bytes, {chunk_count} chunks, written in {write_time:?}, read back in {read_time:?}",
        data.len()
    );
    data
}

#[test]
fn one_event() {
    let data = roundtrip(1, 1, WriterOptions::default());
    assert_eq!(data.len(), HEADER + CHUNK);
}

#[test]
fn ten_thousand_mixed_events() {
    let data = roundtrip(2, 10_000, WriterOptions::default());
    assert!(data.len() > HEADER + 20 * CHUNK, "several chunks");
}

#[test]
fn two_hundred_thousand_events() {
    roundtrip(
        3,
        200_000,
        WriterOptions {
            first_record_id: 1,
            minor_version: 2,
        },
    );
}

#[test]
fn first_record_id_option() {
    roundtrip(
        4,
        300,
        WriterOptions {
            first_record_id: 5_000_000_000,
            minor_version: 1,
        },
    );
}

#[test]
fn every_shape_in_every_position_of_a_chunk() {
    // Shapes in a different order than the generator's cycle, so that each shape is both the
    // first user of its template in a chunk (inline definition) and a later one (reference).
    let events: Vec<Event> = (0..3000u64).map(|i| event(5, (i * 7) % 1000)).collect();
    let data = write_evtx_to_vec(&events, WriterOptions::default()).unwrap();
    let (records, _) = read_with_evtx(data).unwrap();
    assert_eq!(records.len(), events.len());
    for (i, (r, e)) in records.iter().zip(&events).enumerate() {
        let tree = parse_xml(&r.xml).unwrap();
        let d = diff_tree(
            &expected_tree(e, i as u64 + 1),
            &tree,
            &|v, got| render_evtx(v) == got,
            "",
        );
        assert!(d.is_none(), "record {}: {d:?}\n{}", i + 1, r.xml);
    }
}

/// Typed values render as Windows-typed values, not strings (spot checks of the renderer
/// itself, on a fixed record).
#[test]
fn typed_values_render_as_typed() {
    let e = event(7, 7); // the all-types shape
    assert!(matches!(e.payload, Payload::EventData { .. }));
    let data = write_evtx_to_vec([&e], WriterOptions::default()).unwrap();
    let (records, _) = read_with_evtx(data).unwrap();
    let tree = parse_xml(&records[0].xml).unwrap();
    let ed = tree.child("EventData").unwrap();
    let get = |name: &str| {
        ed.elements()
            .find(|d| d.attr("Name") == Some(name))
            .map(|d| d.text())
            .unwrap()
    };
    assert_eq!(get("HexInt32"), "0x8009030d");
    assert_eq!(get("HexInt32Small"), "0x5");
    assert_eq!(get("SizeT"), "0x7ff612345678");
    assert_eq!(get("SidService"), "S-1-5-20");
    assert_eq!(get("BooleanTrue"), "true");
    assert!(get("UInt64").parse::<u64>().unwrap() >= u64::MAX - 4);
    assert_eq!(get("Int64"), i64::MIN.to_string());
    assert_eq!(get("Null"), "");
    assert!(
        get("SystemTime").starts_with("1999-12-31T23:59:")
            || get("SystemTime").starts_with("2000-01-01T00:00:")
    );
    let guid = get("Guid");
    assert!(
        guid.starts_with('{') && guid.ends_with('}') && guid.len() == 38,
        "{guid}"
    );
    let system = tree.child("System").unwrap();
    assert!(system.child("Keywords").unwrap().text().starts_with("0x"));
}

/// Absent optional System values are left out like Windows does: no `Qualifiers` attribute,
/// `<Correlation/>` without attributes, `<Security/>` without UserID, Provider without Guid.
#[test]
fn absent_optional_values_are_left_out() {
    let mut e = event(8, 2);
    e.qualifiers = None;
    e.activity_id = None;
    e.related_activity_id = None;
    e.user_id = None;
    e.provider.guid = None;
    let data = write_evtx_to_vec([&e], WriterOptions::default()).unwrap();
    let (records, _) = read_with_evtx(data).unwrap();
    let tree = parse_xml(&records[0].xml).unwrap();
    let system = tree.child("System").unwrap();
    assert!(system.child("EventID").unwrap().attrs.is_empty());
    assert!(system.child("Correlation").unwrap().attrs.is_empty());
    assert!(system.child("Security").unwrap().attrs.is_empty());
    let provider = system.child("Provider").unwrap();
    assert_eq!(provider.attrs.len(), 1);
    assert_eq!(
        provider.attr("Name"),
        Some("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS")
    );
    assert!(!records[0].xml.contains("Qualifiers"));
}

fn oversized_event() -> Event {
    let mut e = event(9, 2);
    e.payload = Payload::EventData {
        name: None,
        data: (0..20)
            .map(|k| (format!("Blob{k}"), Value::Binary(vec![0xAB; 4000])))
            .collect(),
    };
    e
}

/// A record larger than a chunk is refused with `RecordTooLarge`; nothing is written, the
/// identifier is not consumed, and the writer goes on.
#[test]
fn oversized_record_is_refused_and_writer_stays_usable() {
    let mut w = EvtxWriter::new(Cursor::new(Vec::new()), WriterOptions::default()).unwrap();
    for i in 0..50 {
        w.write_event(&event(10, i)).unwrap();
    }
    match w.write_event(&oversized_event()) {
        Err(EvtxWriteError::RecordTooLarge { record_id, size, max }) => {
            assert_eq!(record_id, 51);
            assert!(size > max, "{size} <= {max}");
        }
        other => panic!("expected RecordTooLarge, got {other:?}"),
    }
    // A single value over the 16-bit value size limit.
    let mut huge_value = event(10, 2);
    huge_value.payload = Payload::UserData(Element::new("X").leaf("Blob", Value::Binary(vec![1; 70_000])));
    assert!(matches!(
        w.write_event(&huge_value),
        Err(EvtxWriteError::RecordTooLarge { record_id: 51, .. })
    ));
    // A string longer than a chunk in a name / literal.
    let mut long_name = event(10, 2);
    long_name.computer = "C".repeat(40_000);
    assert!(matches!(
        w.write_event(&long_name),
        Err(EvtxWriteError::RecordTooLarge { .. })
    ));
    // Invalid values are refused too, without consuming the identifier.
    let mut bad = event(10, 2);
    bad.time_created = chrono::DateTime::from_timestamp(-12_000_000_000, 0).unwrap();
    assert!(matches!(
        w.write_event(&bad),
        Err(EvtxWriteError::InvalidEvent { record_id: 51, .. })
    ));

    for i in 50..3000 {
        assert_eq!(w.write_event(&event(10, i)).unwrap(), i + 1);
    }
    let data = w.finish().unwrap().into_inner();
    let (records, _) = read_with_evtx(data).unwrap();
    assert_eq!(records.len(), 3000);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.id, i as u64 + 1);
        let tree = parse_xml(&r.xml).unwrap();
        let d = diff_tree(
            &expected_tree(&event(10, i as u64), r.id),
            &tree,
            &|v, got| render_evtx(v) == got,
            "",
        );
        assert!(d.is_none(), "record {}: {d:?}", r.id);
    }
}

/// An oversized record in an empty writer and an empty file.
#[test]
fn oversized_first_record_and_empty_file() {
    let mut w = EvtxWriter::new(Cursor::new(Vec::new()), WriterOptions::default()).unwrap();
    assert!(matches!(
        w.write_event(&oversized_event()),
        Err(EvtxWriteError::RecordTooLarge { record_id: 1, .. })
    ));
    assert_eq!(w.records_written(), 0);
    let data = w.finish().unwrap().into_inner();
    assert_eq!(data.len(), HEADER);
    let (chunks, next, flags, crc_ok) = file_header_fields(&data);
    assert_eq!((chunks, next, flags, crc_ok), (0, 1, 0, true));
    let (records, _) = read_with_evtx(data).unwrap();
    assert!(records.is_empty());
}

/// A record that just fits an empty chunk is written; chunk boundaries fall where records stop
/// fitting.
#[test]
fn record_filling_a_whole_chunk() {
    let mut sizes_ok = 0;
    let mut w = EvtxWriter::new(Cursor::new(Vec::new()), WriterOptions::default()).unwrap();
    let mut written = 0u64;
    for k in [55_000usize, 60_000, 62_000, 63_500, 64_000, 64_500, 65_000] {
        let mut e = event(11, 2);
        e.payload = Payload::EventData {
            name: None,
            data: vec![("Blob".into(), Value::Binary(vec![7; k.min(65_535)]))],
        };
        match w.write_event(&e) {
            Ok(_) => {
                sizes_ok += 1;
                written += 1;
            }
            Err(EvtxWriteError::RecordTooLarge { .. }) => {}
            Err(other) => panic!("{other}"),
        }
    }
    assert!(sizes_ok >= 3, "records up to ~64 KB fit a chunk");
    let data = w.finish().unwrap().into_inner();
    assert_eq!(
        (data.len() - HEADER) / CHUNK,
        written as usize,
        "one big record per chunk"
    );
    let (records, _) = read_with_evtx(data).unwrap();
    assert_eq!(records.len() as u64, written);
}

/// The writer works at a non-zero sink position (e.g. after other data) and leaves the sink at
/// the end of the file.
#[test]
fn writes_at_current_sink_position() {
    use std::io::{Seek, Write};
    let mut cur = Cursor::new(Vec::new());
    cur.write_all(b"prefix").unwrap();
    let mut w = EvtxWriter::new(cur, WriterOptions::default()).unwrap();
    w.write_event(&event(12, 0)).unwrap();
    let mut cur = w.finish().unwrap();
    assert_eq!(cur.stream_position().unwrap() as usize, 6 + HEADER + CHUNK);
    let data = cur.into_inner();
    let (records, _) = read_with_evtx(data[6..].to_vec()).unwrap();
    assert_eq!(records.len(), 1);
}

#[test]
fn unsupported_minor_version_is_an_error() {
    let r = EvtxWriter::new(
        Cursor::new(Vec::new()),
        WriterOptions {
            first_record_id: 1,
            minor_version: 3,
        },
    );
    assert!(matches!(r, Err(EvtxWriteError::UnsupportedVersion(3))));
}

/// The same events give the same bytes (fixtures are committed and compared).
#[test]
fn output_is_deterministic() {
    let events: Vec<Event> = (0..500).map(|i| event(13, i)).collect();
    let a = write_evtx_to_vec(&events, WriterOptions::default()).unwrap();
    let b = write_evtx_to_vec(&events, WriterOptions::default()).unwrap();
    assert_eq!(a, b);
}

/// Writer throughput, for the size-targeted benchmark files (run with
/// `cargo test --release -p rdpdiag-samples --test evtx_roundtrip -- --ignored --nocapture`).
/// Events are generated beforehand so that only encoding and chunk output are timed; the sink
/// is a temporary file.
#[test]
#[ignore = "benchmark; run in release"]
fn bench_write_throughput() {
    use std::io::BufWriter;
    // The generator's mix without its artificial multi-KB shape: typical RDP events of 0.3-1.5 KB.
    let events: Vec<Event> = (0..20_000)
        .filter(|i| i % SHAPES != 11)
        .map(|i| event(14, i))
        .collect();
    let target: u64 = std::env::var("RDPDIAG_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
        << 20;
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::File::create(dir.path().join("bench.evtx")).unwrap();
    let t = Instant::now();
    let mut w = EvtxWriter::new(BufWriter::with_capacity(1 << 20, file), WriterOptions::default()).unwrap();
    let mut i = 0;
    while w.bytes_written() < target {
        w.write_event(&events[i % events.len()]).unwrap();
        i += 1;
    }
    let n = w.records_written();
    let bytes = w.bytes_written();
    w.finish().unwrap();
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "{n} records, {:.0} MB in {secs:.2} s: {:.0} MB/s, {:.0} records/s",
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs,
        n as f64 / secs
    );
}

/// Chunks are packed: with records of one shape, a chunk holds its first record (which defines
/// the names and templates) and as many of the following (smaller, referencing) records as fit,
/// so the chunk count is the ceiling of records over records-per-chunk.
#[test]
fn chunk_count_is_ceil_of_records_per_chunk() {
    let mut e = event(15, 2); // RdpCoreTS 131
    e.activity_id = None;
    let n = 5_000u64;
    let events: Vec<Event> = (0..n).map(|_| e.clone()).collect();
    let data = write_evtx_to_vec(&events, WriterOptions::default()).unwrap();
    let c0 = &data[HEADER..HEADER + CHUNK];
    let first_size = u32::from_le_bytes(c0[516..520].try_into().unwrap()) as usize;
    let next_size =
        u32::from_le_bytes(c0[512 + first_size + 4..512 + first_size + 8].try_into().unwrap()) as usize;
    assert!(
        first_size > next_size,
        "the first record of a chunk carries the definitions"
    );
    let per_chunk = 1 + (CHUNK - 512 - first_size) / next_size;
    let expected_chunks = n.div_ceil(per_chunk as u64) as usize;
    assert_eq!((data.len() - HEADER) / CHUNK, expected_chunks);
    let (records, chunks) = read_with_evtx(data).unwrap();
    assert_eq!(chunks, expected_chunks);
    assert_eq!(records.len() as u64, n);
}

/// A sink that fails: the error comes back (no panic) and the writer refuses to go on, instead
/// of producing a file with a hole that looks valid.
#[test]
fn sink_failure_is_reported_and_sticky() {
    use std::io::{Seek, SeekFrom, Write};
    struct Failing {
        inner: Cursor<Vec<u8>>,
        budget: usize,
    }
    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.inner.get_ref().len() + buf.len() > self.budget {
                return Err(std::io::Error::other("disk full"));
            }
            self.inner.write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl Seek for Failing {
        fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
            self.inner.seek(pos)
        }
    }
    let sink = Failing {
        inner: Cursor::new(Vec::new()),
        budget: HEADER + 2 * CHUNK,
    };
    let mut w = EvtxWriter::new(sink, WriterOptions::default()).unwrap();
    let mut failed_at = None;
    for i in 0..10_000 {
        if let Err(e) = w.write_event(&event(16, i)) {
            assert!(matches!(e, EvtxWriteError::Io(_)), "{e}");
            failed_at = Some(i);
            break;
        }
    }
    assert!(failed_at.is_some(), "the third chunk does not fit the sink");
    assert!(matches!(w.write_event(&event(16, 0)), Err(EvtxWriteError::Io(_))));
    assert!(matches!(w.finish(), Err(EvtxWriteError::Io(_))));
}
