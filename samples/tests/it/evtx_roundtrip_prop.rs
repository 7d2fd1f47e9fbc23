//! Property test: any events the EVTX writer accepts come back from the evtx crate exactly:
//! random providers (name, GUID, EventSourceName), event ids and qualifiers, System values,
//! channels and computers (non-ASCII included), record identifiers from any first id,
//! timestamps at FILETIME precision, and payloads of named `<Data>` values of every type the
//! writer supports (strings with XML metacharacters and astral characters, every integer width
//! at any value, binaries, GUIDs, SIDs, FILETIME/SYSTEMTIME, hex numbers), classic unnamed
//! data with a binary, and UserData trees; random counts, so that files span several chunks.
//!
//! The expected rendering and the comparison are the fixed-input round trip's
//! (`tests/it/evtx_support`); only the events are random here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::evtx_support;

use chrono::{DateTime, TimeZone, Utc};
use evtx_support::{diff_tree, expected_tree, parse_xml, read_with_evtx, render_evtx, unix_ns};
use proptest::prelude::*;
use proptest::test_runner::Config;
use rdpdiag_samples::evtx::{
    Element, Event, Guid, Node, Payload, Provider, Sid, Value, WriterOptions, write_evtx_to_vec,
};

const HEADER: usize = 4096;
const CHUNK: usize = 65536;

/// Printable characters, XML metacharacters, non-ASCII and astral ones. No control characters
/// (XML 1.0 cannot carry most of them) and no leading/trailing-space-only concerns: the
/// readers keep text as is.
fn text_char() -> impl Strategy<Value = char> {
    prop_oneof![
        5 => proptest::char::range(' ', '~'),
        2 => proptest::sample::select(vec!['<', '>', '&', '"', '\'', ';', '=', '\\', '/']),
        2 => proptest::sample::select(vec!['é', 'ü', 'ß', 'Ø', '東', '京', 'Ж', '€', '😀', '\u{a0}', '\u{2028}', '\u{fffd}']),
        1 => any::<char>().prop_filter("printable", |c| !c.is_control() && !matches!(*c, '\u{fffe}' | '\u{ffff}')),
    ]
}

fn text(min: usize, max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(text_char(), min..=max).prop_map(|v| v.into_iter().collect())
}

/// Characters Windows-1252 holds (ANSI strings are stored in that code page).
fn ansi_text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        4 => proptest::char::range(' ', '~'),
        1 => proptest::char::range('\u{a0}', '\u{ff}'),
        1 => proptest::sample::select(vec!['€', '‚', '…', '‘', '’', '“', '”', '–', '—', '™', 'Š', 'Ÿ']),
    ];
    proptest::collection::vec(c, 0..=40).prop_map(|v| v.into_iter().collect())
}

fn guid() -> impl Strategy<Value = Guid> {
    any::<[u8; 16]>().prop_map(Guid::from_display_bytes)
}

fn sid() -> impl Strategy<Value = Sid> {
    (0u64..(1 << 48), proptest::collection::vec(any::<u32>(), 0..=15)).prop_map(
        |(authority, sub_authorities)| Sid {
            revision: 1,
            authority,
            sub_authorities,
        },
    )
}

/// 1601-01-01 .. 9999-12-31 in 100 ns steps (FILETIME precision).
fn filetime() -> impl Strategy<Value = DateTime<Utc>> {
    let lo = Utc
        .with_ymd_and_hms(1601, 1, 1, 0, 0, 0)
        .single()
        .unwrap()
        .timestamp();
    let hi = Utc
        .with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
        .single()
        .unwrap()
        .timestamp();
    (lo..=hi, 0u32..10_000_000).prop_map(|(s, h)| DateTime::from_timestamp(s, h * 100).unwrap())
}

/// SYSTEMTIME keeps milliseconds.
fn systemtime() -> impl Strategy<Value = DateTime<Utc>> {
    let lo = Utc
        .with_ymd_and_hms(1601, 1, 1, 0, 0, 0)
        .single()
        .unwrap()
        .timestamp();
    let hi = Utc
        .with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
        .single()
        .unwrap()
        .timestamp();
    (lo..=hi, 0u32..1000).prop_map(|(s, ms)| DateTime::from_timestamp(s, ms * 1_000_000).unwrap())
}

/// A value of any type the writer supports.
fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        text(0, 60).prop_map(Value::String),
        ansi_text().prop_map(Value::AnsiString),
        any::<i8>().prop_map(Value::Int8),
        any::<u8>().prop_map(Value::UInt8),
        any::<i16>().prop_map(Value::Int16),
        any::<u16>().prop_map(Value::UInt16),
        any::<i32>().prop_map(Value::Int32),
        any::<u32>().prop_map(Value::UInt32),
        any::<i64>().prop_map(Value::Int64),
        any::<u64>().prop_map(Value::UInt64),
        any::<bool>().prop_map(Value::Boolean),
        prop_oneof![9 => proptest::collection::vec(any::<u8>(), 0..=64), 1 => proptest::collection::vec(any::<u8>(), 0..=3000)]
            .prop_map(Value::Binary),
        guid().prop_map(Value::Guid),
        any::<u64>().prop_map(Value::SizeT),
        filetime().prop_map(Value::FileTime),
        systemtime().prop_map(Value::SystemTime),
        sid().prop_map(Value::Sid),
        any::<u32>().prop_map(Value::HexInt32),
        any::<u64>().prop_map(Value::HexInt64),
    ]
}

/// XML element names of UserData trees (the writer takes names as given; they are not data).
fn element_name() -> impl Strategy<Value = String> {
    proptest::sample::select(vec![
        "EventXML",
        "listenerName",
        "Param1",
        "Certificate",
        "Result",
        "Ünïcode",
        "名前",
    ])
    .prop_map(str::to_string)
}

fn user_data() -> impl Strategy<Value = Element> {
    let leaf = (
        element_name(),
        proptest::collection::vec((element_name(), value()), 0..=3),
        value(),
    )
        .prop_map(|(name, attributes, v)| Element {
            name,
            attributes,
            children: vec![Node::Value(v)],
        });
    (element_name(), proptest::collection::vec(leaf, 0..=5)).prop_map(|(name, children)| Element {
        name,
        attributes: vec![("xmlns".into(), Value::String("Event_NS".into()))],
        children: children.into_iter().map(Node::Element).collect(),
    })
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        1 => Just(Payload::None),
        6 => (
            proptest::option::weighted(0.1, text(1, 20)),
            proptest::collection::vec((text(1, 30), value()), 0..=12)
        )
            .prop_map(|(name, data)| Payload::EventData { name, data }),
        1 => (
            proptest::collection::vec(prop_oneof![4 => text(0, 40).prop_map(Value::String), 1 => Just(Value::Null)], 0..=6),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..=100))
        )
            .prop_map(|(data, binary)| Payload::Classic { data, binary }),
        1 => user_data().prop_map(Payload::UserData),
    ]
}

fn provider() -> impl Strategy<Value = Provider> {
    (
        prop_oneof![
            proptest::sample::select(vec![
                "Microsoft-Windows-TerminalServices-ClientActiveXCore",
                "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS",
                "Schannel",
            ])
            .prop_map(str::to_string),
            text(1, 60),
        ],
        proptest::option::of(guid()),
        proptest::option::weighted(0.2, text(1, 20)),
    )
        .prop_map(|(name, guid, event_source_name)| Provider {
            name,
            guid,
            event_source_name,
        })
}

fn event() -> impl Strategy<Value = Event> {
    (
        (
            provider(),
            any::<u16>(),
            proptest::option::weighted(0.3, any::<u16>()),
        ),
        (any::<u8>(), any::<u8>(), any::<u16>(), any::<u8>(), any::<u64>()),
        (
            filetime(),
            proptest::option::of(guid()),
            proptest::option::weighted(0.2, guid()),
        ),
        (
            any::<u32>(),
            any::<u32>(),
            text(0, 80),
            text(0, 40),
            proptest::option::of(sid()),
        ),
        payload(),
    )
        .prop_map(
            |(
                (provider, event_id, qualifiers),
                (version, level, task, opcode, keywords),
                (time_created, activity_id, related_activity_id),
                (process_id, thread_id, channel, computer, user_id),
                payload,
            )| Event {
                provider,
                event_id,
                qualifiers,
                version,
                level,
                task,
                opcode,
                keywords,
                time_created,
                activity_id,
                related_activity_id,
                process_id,
                thread_id,
                channel,
                computer,
                user_id,
                payload,
            },
        )
}

fn options() -> impl Strategy<Value = WriterOptions> {
    (
        prop_oneof![Just(1u64), 1u64..(1 << 48)],
        prop_oneof![Just(1u16), Just(2u16)],
    )
        .prop_map(|(first_record_id, minor_version)| WriterOptions {
            first_record_id,
            minor_version,
        })
}

/// Writes, reads back with the evtx crate (checksums validated) and compares every record.
/// Returns the number of chunks.
fn check(events: &[Event], options: WriterOptions) -> Result<usize, TestCaseError> {
    let data = write_evtx_to_vec(events, options).map_err(|e| TestCaseError::fail(format!("write: {e}")))?;
    prop_assert_eq!((data.len() - HEADER) % CHUNK, 0);
    let chunks = (data.len() - HEADER) / CHUNK;
    let (records, chunks_read) =
        read_with_evtx(data).map_err(|e| TestCaseError::fail(format!("evtx crate: {e}")))?;
    prop_assert_eq!(chunks_read, chunks, "every chunk read, checksums valid");
    prop_assert_eq!(records.len(), events.len(), "every record comes back");
    for (i, (r, e)) in records.iter().zip(events).enumerate() {
        let id = options.first_record_id + i as u64;
        prop_assert_eq!(r.id, id);
        prop_assert_eq!(
            r.timestamp_ns,
            unix_ns(&e.time_created),
            "record {} timestamp",
            id
        );
        let tree =
            parse_xml(&r.xml).map_err(|err| TestCaseError::fail(format!("record {id}: {err}\n{}", r.xml)))?;
        if let Some(d) = diff_tree(&expected_tree(e, id), &tree, &|v, got| render_evtx(v) == got, "") {
            return Err(TestCaseError::fail(format!("record {id}: {d}\n{}", r.xml)));
        }
    }
    Ok(chunks)
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Small files: one chunk, every shape and value type.
    #[test]
    fn random_events_round_trip(events in proptest::collection::vec(event(), 1..=30), options in options()) {
        check(&events, options)?;
    }
}

proptest! {
    #![proptest_config(config(16))]

    /// Files of several chunks: records continue across chunk boundaries with their ids.
    #[test]
    fn random_files_of_several_chunks_round_trip(events in proptest::collection::vec(event(), 350..=700), options in options()) {
        let chunks = check(&events, options)?;
        prop_assert!(chunks >= 2, "{} events filled only {chunks} chunk(s)", events.len());
    }
}
