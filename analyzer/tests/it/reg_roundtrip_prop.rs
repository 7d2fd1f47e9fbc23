//! Property test: whatever the samples' `.reg` writer (`reg export` format) writes, the
//! analyzer's `.reg` parser reads back exactly: key paths, value names (quotes, backslashes,
//! `=`, `;`, brackets, non-ASCII, the default value), every value type the writer supports
//! (REG_SZ, EXPAND_SZ, MULTI_SZ, DWORD, QWORD, BINARY, NONE, any other type number, deletions),
//! data sizes that wrap hex lines many times, in UTF-16LE with BOM (as reg.exe writes) and in
//! UTF-8. The merged registry tree then holds every value under its key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::Config;
use rdpdiag::registry::{self as an, RegOp, Registry, normalize_path, reg_file};
use rdpdiag_samples::reg::{RegData, RegExport, RegKey, RegValue};

/// Characters of names and text: printable, with the ones the format escapes or splits on
/// (`"`, `\`, `=`, `;`, `[`, `]`, `@`, `,`), Latin-1, CJK, astral (surrogate pairs in UTF-16).
/// Line ends and other control characters are left to `crlf_in_string_data_round_trips`.
fn text_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range(' ', '~'),
        2 => proptest::sample::select(vec!['"', '\\', '=', ';', '[', ']', '@', ',', ' ', '\t']),
        1 => proptest::sample::select(vec!['é', 'ü', 'ß', 'Ø', 'ñ', '東', '京', 'Ж', '€', '😀', '\u{a0}', '\u{2028}']),
        1 => any::<char>().prop_filter("no control characters", |c| !c.is_control()),
    ]
}

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(text_char(), 0..=max).prop_map(|v| v.into_iter().collect())
}

/// A key name: no backslash (the separator), not empty.
fn key_segment() -> impl Strategy<Value = String> {
    proptest::collection::vec(text_char().prop_filter("no separator", |c| *c != '\\'), 1..=24)
        .prop_map(|v| v.into_iter().collect())
}

fn key_path() -> impl Strategy<Value = String> {
    let roots = vec![
        "HKEY_LOCAL_MACHINE",
        "HKEY_CURRENT_USER",
        "HKEY_USERS",
        "HKEY_CLASSES_ROOT",
        "HKEY_CURRENT_CONFIG",
    ];
    (
        proptest::sample::select(roots),
        proptest::collection::vec(key_segment(), 0..=5),
    )
        .prop_map(|(root, segs)| {
            let mut p = root.to_string();
            for s in segs {
                p.push('\\');
                p.push_str(&s);
            }
            p
        })
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..=max)
}

/// Every data form of the writer. Strings may hold NUL (the writer and Windows cut REG_SZ /
/// REG_EXPAND_SZ there); REG_MULTI_SZ items are non-empty and NUL-free (an empty item ends the
/// list in the registry's own format).
fn reg_data(deletions: bool) -> BoxedStrategy<RegData> {
    let nul_text = proptest::collection::vec(prop_oneof![9 => text_char(), 1 => Just('\0')], 0..=80)
        .prop_map(|v| v.into_iter().collect::<String>());
    let item = proptest::collection::vec(text_char(), 1..=30).prop_map(|v| v.into_iter().collect::<String>());
    let other_kind = any::<u32>().prop_filter("a type the writer has its own form for", |k| {
        !matches!(k, 1 | 2 | 3 | 4 | 7 | 11 | 0)
    });
    let s = prop_oneof![
        3 => nul_text.clone().prop_map(RegData::Sz),
        2 => nul_text.prop_map(RegData::ExpandSz),
        2 => proptest::collection::vec(item, 0..=6).prop_map(RegData::MultiSz),
        3 => any::<u32>().prop_map(RegData::Dword),
        2 => any::<u64>().prop_map(RegData::Qword),
        // Long binaries wrap over many continuation lines.
        3 => prop_oneof![bytes(40), bytes(1500)].prop_map(RegData::Binary),
        1 => bytes(60).prop_map(RegData::None),
        2 => (other_kind, bytes(100)).prop_map(|(kind, bytes)| RegData::Typed { kind, bytes }),
        // A known type number with data of the wrong size, written `hex(N):`.
        1 => (proptest::sample::select(vec![4u32, 5, 11]), bytes(12))
            .prop_map(|(kind, bytes)| RegData::Typed { kind, bytes }),
    ];
    if deletions {
        prop_oneof![9 => s, 1 => Just(RegData::Delete)].boxed()
    } else {
        s.boxed()
    }
}

fn reg_value(deletions: bool) -> impl Strategy<Value = RegValue> {
    (
        prop_oneof![1 => Just(None), 1 => Just(Some(String::new())), 8 => text(40).prop_map(Some)],
        reg_data(deletions),
    )
        .prop_map(|(name, data)| RegValue { name, data })
}

fn export(deletions: bool) -> impl Strategy<Value = RegExport> {
    let key = (
        key_path(),
        proptest::collection::vec(reg_value(deletions), 0..=8),
        if deletions {
            proptest::bool::weighted(0.15).boxed()
        } else {
            Just(false).boxed()
        },
    )
        .prop_map(|(path, values, delete)| {
            if delete {
                RegKey::deletion(path)
            } else {
                RegKey::new(path, values)
            }
        });
    proptest::collection::vec(key, 0..=10).prop_map(RegExport::new)
}

/// What the analyzer should read for what the writer wrote.
fn expected(d: &RegData) -> RegOp {
    let cut = |s: &str| s.split('\0').next().unwrap_or_default().to_string();
    RegOp::Set(match d {
        RegData::Sz(s) => an::RegData::Sz(cut(s)),
        RegData::ExpandSz(s) => an::RegData::ExpandSz(cut(s)),
        RegData::MultiSz(v) => an::RegData::MultiSz(v.clone()),
        RegData::Dword(v) => an::RegData::Dword(*v),
        RegData::Qword(v) => an::RegData::Qword(*v),
        RegData::Binary(b) => an::RegData::Binary(b.clone()),
        RegData::None(b) => an::RegData::None(b.clone()),
        RegData::Typed { kind, bytes } => an::RegData::from_raw(*kind, bytes),
        RegData::Delete => return RegOp::Delete,
    })
}

fn encode(e: &RegExport, utf16: bool) -> Vec<u8> {
    if utf16 {
        e.to_utf16le_bytes()
    } else {
        e.to_text().into_bytes()
    }
}

/// Parses and compares key by key, value by value.
fn check_parse(e: &RegExport, utf16: bool) -> Result<reg_file::RegFile, TestCaseError> {
    let bytes = encode(e, utf16);
    let f = reg_file::parse(&bytes).map_err(|err| TestCaseError::fail(format!("not parsed: {err}")))?;
    prop_assert!(f.problems.is_empty(), "problems: {:?}", f.problems);
    prop_assert!(!f.regedit4);
    prop_assert_eq!(f.keys.len(), e.keys.len());
    for (got, want) in f.keys.iter().zip(&e.keys) {
        prop_assert_eq!(&got.raw_path, &want.path);
        prop_assert_eq!(&got.path, &normalize_path(&want.path));
        prop_assert!(got.path.is_some(), "known root");
        prop_assert_eq!(got.delete, want.delete);
        let want_values: &[RegValue] = if want.delete { &[] } else { &want.values };
        prop_assert_eq!(got.values.len(), want_values.len(), "values of {}", want.path);
        for (gv, wv) in got.values.iter().zip(want_values) {
            prop_assert_eq!(&gv.name, wv.name.as_deref().unwrap_or(""));
            prop_assert_eq!(
                &gv.op,
                &expected(&wv.data),
                "value {:?} of {}",
                gv.name,
                want.path
            );
        }
    }
    Ok(f)
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(1024))]

    /// Every key and value comes back, deletions included, in both encodings.
    #[test]
    fn reg_export_parses_back_exactly(e in export(true), utf16 in any::<bool>()) {
        check_parse(&e, utf16)?;
    }

    /// Without deletions, the merged tree holds the last value written under each name.
    #[test]
    fn reg_export_fills_the_registry_tree(e in export(false)) {
        let f = check_parse(&e, true)?;
        let mut reg = Registry::new();
        f.apply(&mut reg, &Arc::from("prop.reg"));
        for k in &e.keys {
            let path = normalize_path(&k.path).unwrap();
            prop_assert!(reg.key(&path).is_some(), "key {path}");
            for (i, v) in k.values.iter().enumerate() {
                let name = v.name.as_deref().unwrap_or("");
                // The registry keeps one value per name (ASCII case-insensitive), per key
                // (Unicode case-insensitive path): the last one written wins.
                let last = e
                    .keys
                    .iter()
                    .filter(|k2| normalize_path(&k2.path).map(|p| p.to_lowercase()) == Some(path.to_lowercase()))
                    .flat_map(|k2| k2.values.iter())
                    .rfind(|v2| v2.name.as_deref().unwrap_or("").eq_ignore_ascii_case(name))
                    .unwrap();
                let got = reg.value(&path, name);
                prop_assert!(got.is_some(), "value {name:?} (#{i}) of {path}");
                prop_assert_eq!(RegOp::Set(got.unwrap().data.clone()), expected(&last.data));
            }
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Normalising a normalised key path changes nothing (the tree looks keys up by
    /// normalising again), and keeps the root.
    #[test]
    fn normalising_a_key_path_twice_changes_nothing(p in key_path()) {
        let once = normalize_path(&p).unwrap();
        prop_assert_eq!(normalize_path(&once), Some(once.clone()));
        prop_assert!(["HKLM", "HKCU", "HKU", "HKCR", "HKCC"].contains(&once.split('\\').next().unwrap()));
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// REG_SZ data holding CR/LF pairs is written raw over several lines (what reg.exe does is
    /// unverified, see collector/src/reg_export.rs) and is read back with the pairs in place.
    #[test]
    fn crlf_in_string_data_round_trips(parts in proptest::collection::vec(text(20), 1..=5), name in text(10)) {
        let data = parts.join("\r\n");
        let e = RegExport::new(vec![RegKey::new(
            r"HKEY_LOCAL_MACHINE\SOFTWARE\Prop",
            vec![RegValue::named(name, RegData::Sz(data)), RegValue::named("after", RegData::Dword(7))],
        )]);
        check_parse(&e, true)?;
        check_parse(&e, false)?;
    }
}

/// The case the tree property first failed on: a key whose names are blanks normalised to a
/// path with empty parts, which the tree's lookup (normalising again) never found.
#[test]
fn a_key_named_with_blanks_is_found_again() {
    let e = RegExport::new(vec![RegKey::new(
        "HKEY_LOCAL_MACHINE\\ \\ ",
        vec![RegValue::default_value(RegData::Sz(String::new()))],
    )]);
    let f = reg_file::parse(&e.to_utf16le_bytes()).unwrap();
    assert_eq!(f.keys[0].path.as_deref(), Some("HKLM"));
    let mut reg = Registry::new();
    f.apply(&mut reg, &Arc::from("blank.reg"));
    assert_eq!(
        reg.value("HKLM", "").unwrap().data,
        an::RegData::Sz(String::new())
    );
}
