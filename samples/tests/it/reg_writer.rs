//! `reg export` writer: byte-for-byte against a real export and against the outputs Wine's
//! conformance tests verified on Windows' reg.exe.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use rdpdiag_samples::reg::{RegData, RegExport, RegKey, RegValue};

const KEY_BASE: &str = r"HKEY_CURRENT_USER\Software\Wine\reg_test";

fn corpus_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("RDPDIAG_CORPUS") {
        return Some(PathBuf::from(dir));
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    dir.is_dir().then_some(dir)
}

// ---------------------------------------------------------------------------------------------
// A small test-only reader for .reg text (enough for the corpus file and these tests).

fn decode_utf16le_bom(bytes: &[u8]) -> String {
    assert_eq!(&bytes[..2], &[0xFF, 0xFE], "UTF-16LE BOM");
    assert_eq!(bytes.len() % 2, 0);
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(chars.next().expect("escape"));
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits `"name"=rest` (name escaped) or `@=rest`.
fn split_name(line: &str) -> (Option<String>, &str) {
    if let Some(rest) = line.strip_prefix("@=") {
        return (None, rest);
    }
    let body = line.strip_prefix('"').expect("value line starts with a quote");
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            let rest = body[i + 1..].strip_prefix('=').expect("=");
            return (Some(unescape(&body[..i])), rest);
        }
    }
    panic!("unterminated name in {line:?}");
}

fn parse_hex(s: &str) -> Vec<u8> {
    if s.is_empty() {
        return Vec::new();
    }
    s.split(',')
        .map(|h| u8::from_str_radix(h.trim(), 16).unwrap())
        .collect()
}

fn utf16_strings(bytes: &[u8]) -> Vec<String> {
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    units
        .split(|u| *u == 0)
        .map(|s| String::from_utf16(s).unwrap())
        .collect()
}

fn parse_data(rest: &str) -> RegData {
    if rest == "-" {
        return RegData::Delete;
    }
    if let Some(s) = rest.strip_prefix('"') {
        return RegData::Sz(unescape(s.strip_suffix('"').expect("closing quote")));
    }
    if let Some(h) = rest.strip_prefix("dword:") {
        return RegData::Dword(u32::from_str_radix(h, 16).unwrap());
    }
    if let Some(h) = rest.strip_prefix("hex:") {
        return RegData::Binary(parse_hex(h));
    }
    let h = rest.strip_prefix("hex(").expect("hex(N):");
    let (kind, data) = h.split_once("):").unwrap();
    let kind = u32::from_str_radix(kind, 16).unwrap();
    let bytes = parse_hex(data);
    match kind {
        0 => RegData::None(bytes),
        2 => {
            let mut s = utf16_strings(&bytes);
            assert_eq!(s.pop().as_deref(), Some(""), "REG_EXPAND_SZ ends with NUL");
            RegData::ExpandSz(s.join("\0"))
        }
        7 => {
            let mut s = utf16_strings(&bytes);
            assert_eq!(s.pop().as_deref(), Some(""));
            assert_eq!(s.pop().as_deref(), Some(""));
            RegData::MultiSz(s)
        }
        11 if bytes.len() == 8 => RegData::Qword(u64::from_le_bytes(bytes.try_into().unwrap())),
        _ => RegData::Typed { kind, bytes },
    }
}

fn read_reg_text(text: &str) -> RegExport {
    let body = text.strip_suffix("\r\n").expect("ends with CRLF");
    assert!(
        !body.replace("\r\n", "").contains(['\r', '\n']),
        "only CRLF line ends"
    );
    let mut lines = body.split("\r\n");
    assert_eq!(lines.next(), Some("Windows Registry Editor Version 5.00"));
    let mut logical: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in lines {
        if let Some(cont) = line
            .strip_suffix('\\')
            .filter(|_| line.contains("=hex") || !pending.is_empty())
        {
            pending.push_str(cont.trim_start());
            continue;
        }
        if pending.is_empty() {
            logical.push(line.to_string());
        } else {
            pending.push_str(line.trim_start());
            logical.push(std::mem::take(&mut pending));
        }
    }
    let mut keys: Vec<RegKey> = Vec::new();
    for line in logical {
        if line.is_empty() {
            continue;
        }
        if let Some(path) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            match path.strip_prefix('-') {
                Some(p) => keys.push(RegKey::deletion(p)),
                None => keys.push(RegKey::new(path, Vec::new())),
            }
            continue;
        }
        let (name, rest) = split_name(&line);
        keys.last_mut().expect("value before key").values.push(RegValue {
            name,
            data: parse_data(rest),
        });
    }
    RegExport { keys }
}

// ---------------------------------------------------------------------------------------------

#[test]
fn recreates_corpus_schannel_export_byte_for_byte() {
    let Some(dir) = corpus_dir() else {
        eprintln!("skipped: no corpus (set RDPDIAG_CORPUS or place it at ../../shared/corpus)");
        return;
    };
    let path = dir.join("reg/pssl__SCHANNEL_export_utf16le.reg");
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!("skipped: {} not readable", path.display());
        return;
    };
    let export = read_reg_text(&decode_utf16le_bom(&bytes));
    assert!(export.keys.len() > 5);
    assert!(export.keys.iter().any(|k| !k.values.is_empty()));
    let ours = export.to_utf16le_bytes();
    assert_eq!(ours.len(), bytes.len());
    assert!(ours == bytes, "bytes differ from {}", path.display());
}

/// The `complex_test` expectation of Wine's reg export tests (checked on Windows reg.exe).
#[test]
fn matches_wine_complex_export_verified_on_windows() {
    let k = |sub: &str| {
        if sub.is_empty() {
            KEY_BASE.to_string()
        } else {
            format!(r"{KEY_BASE}\{sub}")
        }
    };
    let export = RegExport::new(vec![
        RegKey::new(
            k(""),
            vec![
                RegValue::named("DWORD", RegData::Dword(0x100)),
                RegValue::named("String", RegData::Sz("Your text here...".into())),
            ],
        ),
        RegKey::new(
            k("Subkey1"),
            vec![
                RegValue::named("Binary", RegData::Binary(vec![0x11, 0x22, 0x33, 0x44])),
                RegValue::named(
                    "Undefined hex",
                    RegData::Typed {
                        kind: 0x100,
                        bytes: b"%PATH%\0".to_vec(),
                    },
                ),
            ],
        ),
        RegKey::new(
            k("Subkey2a"),
            vec![
                RegValue::named("double\"quote", RegData::Sz("\"Hello, World!\"".into())),
                RegValue::named("single'quote", RegData::Dword(8)),
            ],
        ),
        RegKey::new(
            k(r"Subkey2a\Subkey2b"),
            vec![
                RegValue::default_value(RegData::Sz("Default value name".into())),
                RegValue::named(
                    "Multiple strings",
                    RegData::MultiSz(vec!["Line1".into(), "Line2".into(), "Line3".into()]),
                ),
            ],
        ),
        RegKey::new(
            k("Subkey3a"),
            vec![RegValue::named(
                "Backslash",
                RegData::Sz(r"Use \\ to escape a backslash".into()),
            )],
        ),
        RegKey::new(k(r"Subkey3a\Subkey3b"), vec![]),
        RegKey::new(
            k(r"Subkey3a\Subkey3b\Subkey3c"),
            vec![
                RegValue::named("String expansion", RegData::ExpandSz(r"%HOME%\%PATH%".into())),
                RegValue::named("Zero data type", RegData::None(b"Value\0".to_vec())),
            ],
        ),
        RegKey::new(
            k("Subkey4"),
            vec![
                RegValue::default_value(RegData::Dword(0x12345678)),
                RegValue::named(
                    "43981",
                    RegData::Typed {
                        kind: 0xabcd,
                        bytes: b"Value\0".to_vec(),
                    },
                ),
            ],
        ),
    ]);
    let expected = [
        "Windows Registry Editor Version 5.00\r\n\r\n",
        "[HKEY_CURRENT_USER\\Software\\Wine\\reg_test]\r\n",
        "\"DWORD\"=dword:00000100\r\n",
        "\"String\"=\"Your text here...\"\r\n\r\n",
        "[HKEY_CURRENT_USER\\Software\\Wine\\reg_test\\Subkey1]\r\n",
        "\"Binary\"=hex:11,22,33,44\r\n",
        "\"Undefined hex\"=hex(100):25,50,41,54,48,25,00\r\n\r\n",
        "[HKEY_CURRENT_USER\\Software\\Wine\\reg_test\\Subkey2a]\r\n",
        "\"double\\\"quote\"=\"\\\"Hello, World!\\\"\"\r\n",
        "\"single'quote\"=dword:00000008\r\n\r\n",
        "[HKEY_CURRENT_USER\\Software\\Wine\\reg_test\\Subkey2a\\Subkey2b]\r\n",
        "@=\"Default value name\"\r\n",
        "\"Multiple strings\"=hex(7):4c,00,69,00,6e,00,65,00,31,00,00,00,4c,00,69,00,6e,\\\r\n",
        "  00,65,00,32,00,00,00,4c,00,69,00,6e,00,65,00,33,00,00,00,00,00\r\n\r\n",
        "[HKEY_CURRENT_USER\\Software\\Wine\\reg_test\\Subkey3a]\r\n",
        "\"Backslash\"=\"Use \\\\\\\\ to escape a backslash\"\r\n\r\n",
        "[HKEY_CURRENT_USER\\Software\\Wine\\reg_test\\Subkey3a\\Subkey3b]\r\n\r\n",
        "[HKEY_CURRENT_USER\\Software\\Wine\\reg_test\\Subkey3a\\Subkey3b\\Subkey3c]\r\n",
        "\"String expansion\"=hex(2):25,00,48,00,4f,00,4d,00,45,00,25,00,5c,00,25,00,50,\\\r\n",
        "  00,41,00,54,00,48,00,25,00,00,00\r\n",
        "\"Zero data type\"=hex(0):56,61,6c,75,65,00\r\n\r\n",
        "[HKEY_CURRENT_USER\\Software\\Wine\\reg_test\\Subkey4]\r\n",
        "@=dword:12345678\r\n",
        "\"43981\"=hex(abcd):56,61,6c,75,65,00\r\n\r\n",
    ]
    .concat();
    assert_eq!(export.to_text(), expected);
    // and our reader agrees with the writer
    assert_eq!(read_reg_text(&expected), export);
}

#[test]
fn empty_key_and_empty_hex_values() {
    let export = RegExport::new(vec![RegKey::new(
        KEY_BASE,
        vec![
            RegValue::named("Wine1a", RegData::None(vec![])),
            RegValue::named("Wine1b", RegData::Sz(String::new())),
            RegValue::named("Wine1d", RegData::Binary(vec![])),
            RegValue::named(
                "Wine1g",
                RegData::Typed {
                    kind: 0x100,
                    bytes: vec![],
                },
            ),
        ],
    )]);
    // Wine's empty_hex_test (Windows output).
    let expected = "Windows Registry Editor Version 5.00\r\n\r\n\
        [HKEY_CURRENT_USER\\Software\\Wine\\reg_test]\r\n\
        \"Wine1a\"=hex(0):\r\n\
        \"Wine1b\"=\"\"\r\n\
        \"Wine1d\"=hex:\r\n\
        \"Wine1g\"=hex(100):\r\n\r\n";
    assert_eq!(export.to_text(), expected);
    assert_eq!(
        RegExport::new(vec![RegKey::new(KEY_BASE, vec![])]).to_text(),
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\Wine\\reg_test]\r\n\r\n"
    );
    assert_eq!(
        RegExport::default().to_text(),
        "Windows Registry Editor Version 5.00\r\n\r\n"
    );
}

#[test]
fn sslcertificatesha1hash_wraps_after_sixteen_bytes() {
    let hash: Vec<u8> = (0x40..0x54).collect();
    let line = RegValue::named("SSLCertificateSHA1Hash", RegData::Binary(hash)).to_line();
    assert_eq!(
        line,
        "\"SSLCertificateSHA1Hash\"=hex:40,41,42,43,44,45,46,47,48,49,4a,4b,4c,4d,4e,4f,\\\r\n  50,51,52,53\r\n"
    );
}

fn physical_lines(s: &str) -> Vec<&str> {
    s.strip_suffix("\r\n").unwrap().split("\r\n").collect()
}

#[test]
fn long_binary_wraps_25_bytes_per_continuation_line() {
    let data: Vec<u8> = (0..=255u8).cycle().take(300).collect();
    let text = RegValue::named("Security", RegData::Binary(data.clone())).to_line();
    let lines = physical_lines(&text);
    // "Security"=hex: is 15 columns: (77-15)/3 → 21 bytes on the first line.
    assert_eq!(lines[0].matches(',').count(), 21);
    assert!(lines[0].ends_with(",\\"));
    for l in &lines[1..lines.len() - 1] {
        assert!(l.starts_with("  ") && !l.starts_with("   "));
        assert_eq!(l.matches(',').count(), 25, "{l}");
        assert_eq!(l.len(), 78);
    }
    assert!(lines.iter().all(|l| l.len() <= 80));
    let last = lines.last().unwrap();
    assert!(!last.ends_with('\\') && !last.ends_with(','));
    let total: usize = lines
        .iter()
        .map(|l| {
            l.trim_end_matches('\\')
                .split(',')
                .filter(|s| !s.is_empty())
                .count()
        })
        .sum();
    assert_eq!(total, 300);
    let parsed = read_reg_text(&format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\X]\r\n{text}\r\n"
    ));
    assert_eq!(parsed.keys[0].values[0].data, RegData::Binary(data));
}

#[test]
fn expand_sz_and_multi_sz_wrap_like_reg_exe() {
    let v = RegValue::named(
        "ProfileImagePath",
        RegData::ExpandSz(r"%SystemDrive%\Users\alice.CONTOSO.000".into()),
    );
    let text = v.to_line();
    let lines = physical_lines(&text);
    // "ProfileImagePath"=hex(2): is 26 columns → 17 bytes on the first line, 25 after.
    assert_eq!(lines[0].matches(',').count(), 17);
    assert_eq!(lines[1].matches(',').count(), 25);
    assert!(lines[0].starts_with("\"ProfileImagePath\"=hex(2):25,00,53,00,79,00"));
    assert!(lines.last().unwrap().ends_with("00,00"));

    let m = RegValue::named(
        "Functions",
        RegData::MultiSz(vec![
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".into(),
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into(),
        ]),
    )
    .to_line();
    let ml = physical_lines(&m);
    assert!(ml[0].starts_with("\"Functions\"=hex(7):54,00,4c,00,53,00"));
    // "Functions"=hex(7): is 19 columns → ceil((77-19)/3) = 20 bytes on the first line.
    assert_eq!(ml[0].matches(',').count(), 20);
    assert!(ml.last().unwrap().ends_with("00,00,00,00"));
    assert!(ml.iter().all(|l| l.len() <= 80));

    assert_eq!(
        RegValue::named("E", RegData::MultiSz(vec![])).to_line(),
        "\"E\"=hex(7):00,00\r\n"
    );
}

#[test]
fn long_value_name_pushes_the_first_hex_line() {
    let name = "N".repeat(70);
    let text = RegValue::named(name.clone(), RegData::Binary(vec![1, 2, 3])).to_line();
    let lines = physical_lines(&text);
    // 72 + "=" + "hex:" = 77 columns before the data: one byte, then the break.
    assert_eq!(lines[0], format!("\"{name}\"=hex:01,\\"));
    assert_eq!(lines[1], "  02,03");

    let name = "N".repeat(40);
    let text = RegValue::named(name.clone(), RegData::Binary(vec![0xaa; 20])).to_line();
    let lines = physical_lines(&text);
    // 43 + 4 = 47 → ceil(30/3) = 10 bytes on the first line.
    assert_eq!(lines[0].matches(',').count(), 10);
    assert!(lines[0].len() <= 80);

    // Width is counted in UTF-16 units: a non-BMP character counts twice.
    let a = RegValue::named("\u{1D11E}".repeat(10), RegData::Binary(vec![0; 40])).to_line();
    let b = RegValue::named("x".repeat(20), RegData::Binary(vec![0; 40])).to_line();
    assert_eq!(
        physical_lines(&a)[0].matches(',').count(),
        physical_lines(&b)[0].matches(',').count()
    );
}

#[test]
fn default_value_deletions_and_escaping() {
    let export = RegExport::new(vec![
        RegKey::new(
            r"HKEY_LOCAL_MACHINE\SOFTWARE\Test",
            vec![
                RegValue::default_value(RegData::Binary(vec![0xde, 0xad])),
                RegValue::named(r#"a\b"c"#, RegData::Sz(r#"C:\Temp\"x""#.into())),
                RegValue::named("Gone", RegData::Delete),
                RegValue::named("", RegData::Sz("empty name is the default".into())),
                RegValue::named("Q", RegData::Qword(0x0102_0304_0506_0708)),
                RegValue::named("Nul", RegData::Sz("abc\0def".into())),
            ],
        ),
        RegKey::deletion(r"HKEY_LOCAL_MACHINE\SOFTWARE\Test\Old"),
    ]);
    let text = export.to_text();
    assert_eq!(
        text,
        "Windows Registry Editor Version 5.00\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Test]\r\n\
         @=hex:de,ad\r\n\
         \"a\\\\b\\\"c\"=\"C:\\\\Temp\\\\\\\"x\\\"\"\r\n\
         \"Gone\"=-\r\n\
         @=\"empty name is the default\"\r\n\
         \"Q\"=hex(b):08,07,06,05,04,03,02,01\r\n\
         \"Nul\"=\"abc\"\r\n\r\n\
         [-HKEY_LOCAL_MACHINE\\SOFTWARE\\Test\\Old]\r\n\r\n"
    );
    let back = read_reg_text(&text);
    assert_eq!(back.keys[0].values[1].name.as_deref(), Some(r#"a\b"c"#));
    assert_eq!(back.keys[0].values[1].data, RegData::Sz(r#"C:\Temp\"x""#.into()));
    assert_eq!(back.keys[0].values[4].data, RegData::Qword(0x0102_0304_0506_0708));
    assert!(back.keys[1].delete);
}

#[test]
fn deleted_key_ignores_values_and_utf16_bytes_have_bom() {
    let mut k = RegKey::deletion(r"HKEY_LOCAL_MACHINE\SOFTWARE\Gone");
    k.values.push(RegValue::named("x", RegData::Dword(1)));
    let export = RegExport::new(vec![k]);
    assert_eq!(
        export.to_text(),
        "Windows Registry Editor Version 5.00\r\n\r\n[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Gone]\r\n\r\n"
    );
    let bytes = export.to_utf16le_bytes();
    assert_eq!(&bytes[..4], &[0xFF, 0xFE, b'W', 0]);
    assert_eq!(decode_utf16le_bom(&bytes), export.to_text());
}

#[test]
fn terminal_server_listener_export_round_trips() {
    let export = RegExport::new(vec![RegKey::new(
        r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp",
        vec![
            RegValue::named("PortNumber", RegData::Dword(3389)),
            RegValue::named("SecurityLayer", RegData::Dword(2)),
            RegValue::named("UserAuthentication", RegData::Dword(1)),
            RegValue::named("SSLCertificateSHA1Hash", RegData::Binary(vec![0x5a; 20])),
            RegValue::named(
                "LoadableProtocol_Object",
                RegData::Sz("{5828227c-20cf-4408-b73f-73ab70b8849f}".into()),
            ),
            RegValue::named("MaxInstanceCount", RegData::Dword(u32::MAX)),
        ],
    )]);
    let text = export.to_text();
    assert!(text.contains("\"PortNumber\"=dword:00000d3d\r\n"));
    assert!(text.contains("\"MaxInstanceCount\"=dword:ffffffff\r\n"));
    assert_eq!(read_reg_text(&text), export);
}
