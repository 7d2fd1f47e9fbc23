//! `reg export` writer: the `.reg` text Windows' `reg.exe export` (and regedit) writes, as
//! MSRD-Collect stores it in `<C>_RegistryKeys\*.txt`. Reading `.reg` text back
//! ([`parse_export`], [`parse_export_bytes`]) is the analyzer's parser
//! (`rdpdiag_artifacts::registry::reg_file`) with its keys and values in this module's types.
//!
//! Format followed (so that the analyzer is tested against what Windows really writes):
//! - Wine's `reg export` implementation and its conformance tests (`programs/reg/export.c`,
//!   `dlls/.../tests/reg/export.c`, mirrored in reactos/reactos), whose expected outputs were
//!   checked against real Windows `reg.exe`: header line, `\r\n[key]\r\n` per key, a final
//!   `\r\n`, `dword:%08x`, `hex(N):` with `N` in lower-case hex, escaping of `\` and `"`.
//! - Hex wrapping exactly as reg.exe: the running line length starts at the length of
//!   `"name"=` (or `@=`) plus `hex:`/`hex(N):`; after each byte but the last a comma is written
//!   and 3 added; when the length reaches 77 the line ends with `\` and the next one starts with
//!   two spaces (length 2). Continuation lines therefore hold 25 bytes (78 columns with the
//!   backslash) and the first line's capacity depends on the value name's length.
//! - The real export `/work/shared/corpus/reg/pssl__SCHANNEL_export_utf16le.reg` is re-created
//!   byte for byte by `tests/it/reg_writer.rs`.
//!
//! Guesses: REG_SZ data containing CR/LF is written raw (Wine escapes it as `\r`/`\n`, Windows'
//! behaviour was not verified); REG_SZ data is cut at the first NUL, as Windows' export does in
//! Wine's "embedded null" test; `[-KEY]` blocks are written without values (an export never
//! contains them; they exist for .reg files meant for import).

use std::fmt::Write as _;

use rdpdiag_artifacts::registry::{self, RegOp, reg_file};
use rdpdiag_artifacts::text_artifacts::{TextError, decode_text};

/// Header line of every `reg export` / regedit file since Windows 2000.
pub const REG_HEADER: &str = "Windows Registry Editor Version 5.00";

/// Column count at which reg.exe breaks a hex line (Wine `MAX_HEX_CHARS`).
const MAX_HEX_CHARS: usize = 77;

/// Registry value type numbers used in `hex(N):` (the analyzer's: one table for the reader and
/// the writer).
pub use rdpdiag_artifacts::registry::reg_type;

/// A whole `.reg` file: keys in the order they are written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegExport {
    /// Keys in file order (reg.exe writes a key, then its subkeys depth first).
    pub keys: Vec<RegKey>,
}

/// One `[key]` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegKey {
    /// Full path with the long root name, e.g.
    /// `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server`.
    pub path: String,
    /// `[-KEY]`: delete the key (import syntax); values are then not written.
    pub delete: bool,
    /// Values in the order Windows enumerates them (creation order).
    pub values: Vec<RegValue>,
}

/// One value line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegValue {
    /// Value name; `None` is the default value, written `@`.
    pub name: Option<String>,
    /// Type and data.
    pub data: RegData,
}

/// Value data, by registry type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegData {
    /// REG_SZ, written `"text"`.
    Sz(String),
    /// REG_EXPAND_SZ, written `hex(2):` with UTF-16LE bytes and the terminating NUL.
    ExpandSz(String),
    /// REG_MULTI_SZ, written `hex(7):` (each string NUL-terminated, then a final NUL).
    MultiSz(Vec<String>),
    /// REG_DWORD, written `dword:%08x`.
    Dword(u32),
    /// REG_QWORD, written `hex(b):` with the 8 little-endian bytes (reg.exe has no qword syntax).
    Qword(u64),
    /// REG_BINARY, written `hex:`.
    Binary(Vec<u8>),
    /// REG_NONE, written `hex(0):`.
    None(Vec<u8>),
    /// Any other type number, written `hex(N):`.
    Typed {
        /// Registry type number (printed in lower-case hex).
        kind: u32,
        /// Raw data bytes.
        bytes: Vec<u8>,
    },
    /// `"name"=-`: delete the value (import syntax).
    Delete,
}

impl RegExport {
    /// An export of `keys`.
    pub fn new(keys: Vec<RegKey>) -> RegExport {
        RegExport { keys }
    }

    /// The file text with CRLF line ends, as reg.exe writes it (without the BOM).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(REG_HEADER);
        out.push_str("\r\n");
        for key in &self.keys {
            key.write_to(&mut out);
        }
        out.push_str("\r\n");
        out
    }

    /// The file bytes: BOM `FF FE` and UTF-16LE text, as `reg export` writes them.
    pub fn to_utf16le_bytes(&self) -> Vec<u8> {
        utf16le_with_bom(&self.to_text())
    }
}

impl RegKey {
    /// A key block for `path` with `values`.
    pub fn new(path: impl Into<String>, values: Vec<RegValue>) -> RegKey {
        RegKey {
            path: path.into(),
            delete: false,
            values,
        }
    }

    /// A `[-path]` block.
    pub fn deletion(path: impl Into<String>) -> RegKey {
        RegKey {
            path: path.into(),
            delete: true,
            values: Vec::new(),
        }
    }

    fn write_to(&self, out: &mut String) {
        out.push_str("\r\n[");
        if self.delete {
            out.push('-');
        }
        out.push_str(&self.path);
        out.push_str("]\r\n");
        if self.delete {
            return;
        }
        for value in &self.values {
            value.write_to(out);
        }
    }
}

impl RegValue {
    /// A named value.
    pub fn named(name: impl Into<String>, data: RegData) -> RegValue {
        RegValue {
            name: Some(name.into()),
            data,
        }
    }

    /// The default value (`@`).
    pub fn default_value(data: RegData) -> RegValue {
        RegValue { name: None, data }
    }

    /// The value line(s) including the final CRLF.
    pub fn to_line(&self) -> String {
        let mut s = String::new();
        self.write_to(&mut s);
        s
    }

    fn write_to(&self, out: &mut String) {
        // reg.exe treats an empty name like the default value.
        let prefix = match self.name.as_deref() {
            Some(name) if !name.is_empty() => format!("\"{}\"=", escape(name)),
            _ => "@=".to_string(),
        };
        out.push_str(&prefix);
        let prefix_len = utf16_len(&prefix);
        match &self.data {
            RegData::Sz(s) => {
                let cut = s.split('\0').next().unwrap_or_default();
                out.push('"');
                out.push_str(&escape(cut));
                out.push('"');
            }
            RegData::Dword(v) => {
                let _ = write!(out, "dword:{v:08x}");
            }
            RegData::Delete => out.push('-'),
            RegData::ExpandSz(s) => {
                write_hex(out, prefix_len, reg_type::EXPAND_SZ, &utf16z(s));
            }
            RegData::MultiSz(list) => {
                let mut bytes = Vec::new();
                for s in list {
                    bytes.extend(utf16z(s));
                }
                bytes.extend([0, 0]);
                write_hex(out, prefix_len, reg_type::MULTI_SZ, &bytes);
            }
            RegData::Qword(v) => {
                write_hex(out, prefix_len, reg_type::QWORD, &v.to_le_bytes());
            }
            RegData::Binary(b) => write_hex(out, prefix_len, reg_type::BINARY, b),
            RegData::None(b) => write_hex(out, prefix_len, reg_type::NONE, b),
            RegData::Typed { kind, bytes } => write_hex(out, prefix_len, *kind, bytes),
        }
        out.push_str("\r\n");
    }
}

/// `\` → `\\`, `"` → `\"` (value names and REG_SZ data).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\\' || c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Length in UTF-16 code units: reg.exe counts WCHARs when it wraps.
fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// UTF-16LE bytes of `s` plus the terminating NUL (REG_EXPAND_SZ / REG_MULTI_SZ storage).
fn utf16z(s: &str) -> Vec<u8> {
    let mut v: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    v.extend([0, 0]);
    v
}

/// `hex:` / `hex(N):` and the wrapped bytes, following reg.exe's algorithm (module doc).
fn write_hex(out: &mut String, prefix_len: usize, kind: u32, bytes: &[u8]) {
    let tag = if kind == reg_type::BINARY {
        "hex:".to_string()
    } else {
        format!("hex({kind:x}):")
    };
    out.push_str(&tag);
    let mut line_len = prefix_len + tag.len();
    let last = bytes.len().saturating_sub(1);
    for (i, b) in bytes.iter().enumerate() {
        let _ = write!(out, "{b:02x}");
        if i == last {
            break;
        }
        out.push(',');
        line_len += 3;
        if line_len >= MAX_HEX_CHARS {
            out.push_str("\\\r\n  ");
            line_len = 2;
        }
    }
}

/// Why a `.reg` text could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegParseError {
    /// 1-based line; 0 when it concerns the whole file (not text).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for RegParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => f.write_str(&self.reason),
            line => write!(f, "line {line}: {}", self.reason),
        }
    }
}

impl std::error::Error for RegParseError {}

/// A hive's or a `.reg` file's value data, as the analyzer reads it, in the writer's types
/// (REG_DWORD_BIG_ENDIAN and data whose size does not fit its type are written back raw).
impl From<registry::RegData> for RegData {
    fn from(data: registry::RegData) -> RegData {
        use registry::RegData as Read;
        match data {
            Read::Sz(s) => RegData::Sz(s),
            Read::ExpandSz(s) => RegData::ExpandSz(s),
            Read::MultiSz(list) => RegData::MultiSz(list),
            Read::Dword(v) => RegData::Dword(v),
            Read::Qword(v) => RegData::Qword(v),
            Read::Binary(b) => RegData::Binary(b),
            Read::None(b) => RegData::None(b),
            Read::DwordBigEndian(v) => RegData::Typed {
                kind: reg_type::DWORD_BIG_ENDIAN,
                bytes: v.to_be_bytes().to_vec(),
            },
            Read::Other { kind, bytes } => RegData::Typed { kind, bytes },
        }
    }
}

/// Reads `.reg` text (the format [`RegExport::to_text`] writes, as `reg export` and regedit
/// write it) with the analyzer's parser; a line it cannot read is an error naming it (the
/// analyzer skips such lines, a reduction leaves the whole file out).
pub fn parse_export(text: &str) -> Result<RegExport, RegParseError> {
    parse_export_bytes(text.as_bytes())
}

/// [`parse_export`] of a file's bytes (UTF-16LE with BOM as `reg export` writes, UTF-8, ANSI
/// `REGEDIT4`; see [`decode_export`]).
pub fn parse_export_bytes(bytes: &[u8]) -> Result<RegExport, RegParseError> {
    let file = reg_file::parse(bytes).map_err(|e| match e {
        TextError::Line { line, message } => RegParseError {
            line: usize::try_from(line).unwrap_or(usize::MAX),
            reason: message,
        },
        other => RegParseError {
            line: 0,
            reason: other.to_string(),
        },
    })?;
    if let Some(p) = file.problems.first() {
        return Err(RegParseError {
            line: p.line().map_or(0, |l| usize::try_from(l).unwrap_or(usize::MAX)),
            reason: p.message.clone(),
        });
    }
    let keys = file
        .keys
        .into_iter()
        .map(|k| RegKey {
            // The path as written: the reduction writes keys back as the export named them.
            path: k.raw_path,
            delete: k.delete,
            values: k
                .values
                .into_iter()
                .map(|v| RegValue {
                    // `@` (and `""`) is the default value.
                    name: Some(v.name).filter(|n| !n.is_empty()),
                    data: match v.op {
                        RegOp::Set(data) => data.into(),
                        RegOp::Delete => RegData::Delete,
                    },
                })
                .collect(),
        })
        .collect();
    Ok(RegExport { keys })
}

/// The text of `.reg` bytes, decoded as the analyzer decodes text artifacts (UTF-16 with BOM as
/// `reg export` writes, UTF-8 with or without BOM, UTF-16LE without BOM, else ANSI); `None`
/// for bytes that are not text.
pub fn decode_export(bytes: &[u8]) -> Option<String> {
    decode_text(bytes).ok().map(|(text, _)| text)
}

/// BOM `FF FE` followed by the UTF-16LE code units of `text`.
pub fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + text.len() * 2);
    out.extend([0xFF, 0xFE]);
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_back_what_the_writer_writes() {
        let export = RegExport::new(vec![
            RegKey::new(
                r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\S-1-5-21-1-2-3-1001",
                vec![
                    RegValue::named(
                        "ProfileImagePath",
                        RegData::ExpandSz(r"C:\Users\bob.smith".into()),
                    ),
                    RegValue::named("State", RegData::Dword(0)),
                    RegValue::named(r#"quo"te\d"#, RegData::Sz(r#"a "b" \c"#.into())),
                    RegValue::named("Q", RegData::Qword(1 << 40)),
                    RegValue::named("M", RegData::MultiSz(vec!["x".into(), "y".into()])),
                    RegValue::named("B", RegData::Binary((0..90).collect())),
                    RegValue::default_value(RegData::Sz("d".into())),
                ],
            ),
            RegKey::deletion(r"HKEY_CURRENT_USER\Software\Gone"),
        ]);
        let text = export.to_text();
        assert_eq!(parse_export(&text).unwrap(), export);
        let bytes = export.to_utf16le_bytes();
        assert_eq!(parse_export(&decode_export(&bytes).unwrap()).unwrap(), export);
        let bad = format!("{REG_HEADER}\r\n\r\n[HKEY_CURRENT_USER\\X]\r\n\"a\"=hex:zz\r\n");
        assert_eq!(parse_export(&bad).unwrap_err().line, 4);
    }

    #[test]
    fn data_read_by_the_analyzer_is_written_back_with_its_bytes() {
        use rdpdiag_artifacts::registry::RegData as Read;
        // REG_DWORD_BIG_ENDIAN and a DWORD of the wrong size keep their type and raw bytes.
        let big = RegData::from(Read::from_raw(reg_type::DWORD_BIG_ENDIAN, &[0, 0, 1, 2]));
        assert_eq!(
            big,
            RegData::Typed {
                kind: 5,
                bytes: vec![0, 0, 1, 2]
            }
        );
        assert_eq!(
            RegData::from(Read::from_raw(reg_type::DWORD, &[1, 2])),
            RegData::Typed {
                kind: 4,
                bytes: vec![1, 2]
            }
        );
        assert_eq!(
            RegData::from(Read::from_raw(reg_type::QWORD, &1u64.to_le_bytes())),
            RegData::Qword(1)
        );
        let line = RegValue::named("x", big).to_line();
        assert_eq!(line, "\"x\"=hex(5):00,00,01,02\r\n");
        // A whole-file error names no line.
        let err = parse_export_bytes(&[0xFF, 0xD8, 0xFF, 0x00, 0x80]).unwrap_err();
        assert_eq!(err.line, 0);
        assert!(err.to_string().starts_with("not text"), "{err}");
    }
}
