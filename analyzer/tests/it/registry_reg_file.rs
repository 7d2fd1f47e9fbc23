#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `.reg` parsing: the real SCHANNEL export of the corpus, a round trip through the samples'
//! `reg export` writer over every value type and wrapping case, and hostile input.

use std::path::PathBuf;
use std::sync::Arc;

use rdpdiag::registry::reg_file::{self, RegOp};
use rdpdiag::registry::{RegData, Registry};
use rdpdiag_samples::reg::{RegData as W, RegExport, RegKey, RegValue};

fn corpus() -> Option<PathBuf> {
    crate::common::corpus_with("reg")
}

#[test]
fn corpus_schannel_export_every_key_and_value() {
    let Some(dir) = corpus() else { return };
    let bytes = std::fs::read(dir.join("reg/pssl__SCHANNEL_export_utf16le.reg")).unwrap();
    assert_eq!(&bytes[..2], &[0xFF, 0xFE], "the corpus file is UTF-16LE with BOM");
    let f = reg_file::parse(&bytes).unwrap();
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    assert!(!f.regedit4);
    const S: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL";
    let expected_keys = [
        S.to_string(),
        format!(r"{S}\Ciphers"),
        format!(r"{S}\CipherSuites"),
        format!(r"{S}\Hashes"),
        format!(r"{S}\KeyExchangeAlgorithms"),
        format!(r"{S}\Protocols"),
        format!(r"{S}\Protocols\SSL 2.0"),
        format!(r"{S}\Protocols\SSL 2.0\Client"),
    ];
    let got: Vec<String> = f.keys.iter().map(|k| k.path.clone().unwrap()).collect();
    assert_eq!(got, expected_keys);
    assert!(f.keys.iter().all(|k| !k.delete));
    let values: Vec<(usize, String, RegOp)> = f
        .keys
        .iter()
        .enumerate()
        .flat_map(|(i, k)| k.values.iter().map(move |v| (i, v.name.clone(), v.op.clone())))
        .collect();
    assert_eq!(
        values,
        vec![
            (0, "EventLogging".to_string(), RegOp::Set(RegData::Dword(1))),
            (7, "DisabledByDefault".to_string(), RegOp::Set(RegData::Dword(1))),
        ]
    );
    // Line numbers point at the value lines of the file.
    assert_eq!(f.keys[0].line, 3);
    assert_eq!(f.keys[0].values[0].line, 4);

    // Into the registry tree and the typed facts.
    let mut reg = Registry::new();
    f.apply(&mut reg, &Arc::from("schannel.reg"));
    let v = reg
        .value(
            &format!(r"HKEY_LOCAL_MACHINE\{}\Protocols\SSL 2.0\client", &S[5..]),
            "disabledbydefault",
        )
        .unwrap();
    assert_eq!(v.data, RegData::Dword(1));
    assert_eq!(v.origin.line, Some(19));
    let facts = rdpdiag::facts::HostFacts::from_artifacts([(
        "schannel.reg",
        rdpdiag::input::ContentKind::Reg,
        bytes.as_slice(),
    )]);
    let sw = facts.schannel_switch("SSL 2.0", "Client").unwrap();
    assert_eq!(sw.disabled_by_default.as_ref().map(|f| f.value), Some(1));
    assert!(sw.enabled.is_none());
    assert_eq!(sw.disabled_by_default.as_ref().unwrap().source.line, Some(19));
}

fn every_type_export() -> RegExport {
    let long: Vec<u8> = (0..=255u8).collect();
    RegExport::new(vec![
        RegKey::new(
            r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp",
            vec![
                RegValue::named("PortNumber", W::Dword(0xD3E)),
                RegValue::named("SSLCertificateSHA1Hash", W::Binary((1..=20).collect())),
                RegValue::named(
                    "LoadableProtocol_Object",
                    W::Sz("{5828227c-20cf-4408-b73f-73ab70b8849f}".into()),
                ),
                RegValue::default_value(W::Sz("default \"quoted\" C:\\path\\".into())),
                RegValue::named(r#"odd "name" \ with escapes"#, W::Sz(String::new())),
                RegValue::named("Expand", W::ExpandSz(r"%SystemRoot%\system32\svchost.exe".into())),
                RegValue::named(
                    "Multi",
                    W::MultiSz(vec!["one".into(), "two".into(), "três".into()]),
                ),
                RegValue::named("EmptyMulti", W::MultiSz(vec![])),
                RegValue::named("Q", W::Qword(0x0123_4567_89AB_CDEF)),
                RegValue::named("NoneValue", W::None(vec![0xde, 0xad])),
                RegValue::named("EmptyBinary", W::Binary(vec![])),
                RegValue::named("Long", W::Binary(long.clone())),
                RegValue::named("N".repeat(90), W::Binary(long.clone())),
                RegValue::named(
                    "Resource",
                    W::Typed {
                        kind: 8,
                        bytes: vec![1, 2, 3],
                    },
                ),
                RegValue::named(
                    "FileTime",
                    W::Typed {
                        kind: 0x10,
                        bytes: vec![9; 8],
                    },
                ),
                RegValue::named("Unicode ключ", W::Sz("значение ✓".into())),
            ],
        ),
        RegKey::new(
            r"HKEY_CURRENT_USER\Software\Microsoft\Terminal Server Client\Default",
            vec![],
        ),
        RegKey::deletion(r"HKEY_LOCAL_MACHINE\SOFTWARE\Gone"),
        RegKey::new(
            r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services",
            vec![RegValue::named("SecurityLayer", W::Delete)],
        ),
    ])
}

fn expected(w: &W) -> RegOp {
    RegOp::Set(match w {
        W::Sz(s) => RegData::Sz(s.clone()),
        W::ExpandSz(s) => RegData::ExpandSz(s.clone()),
        W::MultiSz(v) => RegData::MultiSz(v.clone()),
        W::Dword(v) => RegData::Dword(*v),
        W::Qword(v) => RegData::Qword(*v),
        W::Binary(b) => RegData::Binary(b.clone()),
        W::None(b) => RegData::None(b.clone()),
        W::Typed { kind, bytes } => RegData::Other {
            kind: *kind,
            bytes: bytes.clone(),
        },
        W::Delete => return RegOp::Delete,
    })
}

fn check_round_trip(export: &RegExport, bytes: &[u8]) {
    let f = reg_file::parse(bytes).unwrap();
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    assert_eq!(f.keys.len(), export.keys.len());
    for (got, want) in f.keys.iter().zip(&export.keys) {
        assert_eq!(got.raw_path, want.path);
        assert_eq!(got.delete, want.delete);
        assert_eq!(got.values.len(), want.values.len(), "{}", want.path);
        for (gv, wv) in got.values.iter().zip(&want.values) {
            assert_eq!(gv.name, wv.name.clone().unwrap_or_default());
            assert_eq!(gv.op, expected(&wv.data), "value {:?}", wv.name);
        }
    }
}

#[test]
fn round_trip_with_the_samples_writer_utf16_and_utf8() {
    let export = every_type_export();
    // UTF-16LE with BOM, CRLF, as reg.exe writes it.
    check_round_trip(&export, &export.to_utf16le_bytes());
    // UTF-8, CRLF.
    check_round_trip(&export, export.to_text().as_bytes());
    // UTF-8 with BOM and bare LF line ends.
    let mut lf = vec![0xEF, 0xBB, 0xBF];
    lf.extend(export.to_text().replace("\r\n", "\n").into_bytes());
    check_round_trip(&export, &lf);
    // The long binary values really were wrapped over continuation lines.
    assert!(export.to_text().contains(",\\\r\n  "));
}

#[test]
fn deletions_apply_to_the_tree() {
    let text = concat!(
        "Windows Registry Editor Version 5.00\r\n\r\n",
        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n\"keep\"=dword:00000001\r\n\"drop\"=dword:00000002\r\n\r\n",
        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\A\\B\\C]\r\n\"x\"=\"y\"\r\n\r\n",
        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n\"drop\"=-\r\n\r\n",
        "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\A\\B]\r\n\r\n",
    );
    let f = reg_file::parse(text.as_bytes()).unwrap();
    let mut reg = Registry::new();
    f.apply(&mut reg, &Arc::from("x.reg"));
    let a = reg.key(r"hklm\software\a").unwrap();
    assert_eq!(a.values.len(), 1);
    assert_eq!(a.values[0].name, "keep");
    assert!(reg.key(r"HKLM\SOFTWARE\A\B").is_none());
    assert!(reg.key(r"HKLM\SOFTWARE\A\B\C").is_none());
}

#[test]
fn hostile_input_never_panics() {
    let export = every_type_export();
    let good = export.to_utf16le_bytes();
    // Every truncation point of the UTF-16 file.
    for cut in (0..good.len()).step_by(7) {
        let _ = reg_file::parse(&good[..cut]);
    }
    // Byte flips.
    let text = export.to_text().into_bytes();
    for i in (0..text.len()).step_by(13) {
        let mut b = text.clone();
        b[i] ^= 0x5a;
        let _ = reg_file::parse(&b);
    }
    // A huge line, an unterminated string running to the end, garbage.
    let mut huge = b"Windows Registry Editor Version 5.00\r\n[HKEY_LOCAL_MACHINE\\X]\r\n\"a\"=hex:".to_vec();
    huge.extend(std::iter::repeat_n(b"00,".as_slice(), 200_000).flatten());
    let r = reg_file::parse(&huge).unwrap();
    assert!(!r.problems.is_empty(), "a cut line is reported");
    let open = b"Windows Registry Editor Version 5.00\r\n[HKEY_LOCAL_MACHINE\\X]\r\n\"a\"=\"never closed\r\nmore\r\n";
    let r = reg_file::parse(open).unwrap();
    assert_eq!(r.problems.len(), 1);
    assert_eq!(r.problems[0].line(), Some(3));
    assert!(reg_file::parse(&[0u8, 1, 2, 3, 255, 254, 0, 0, 7, 7]).is_err());
    let err = reg_file::parse(b"\r\n\r\nhello world\r\n").unwrap_err();
    assert!(err.to_string().starts_with("line 3:"), "{err}");
}
