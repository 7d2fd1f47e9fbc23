//! `reg export` writer: the `.reg` text Windows' `reg.exe export` (and regedit) writes, as
//! MSRD-Collect stores it in `<C>_RegistryKeys\*.txt`.
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

/// Header line of every `reg export` / regedit file since Windows 2000.
pub const REG_HEADER: &str = "Windows Registry Editor Version 5.00";

/// Column count at which reg.exe breaks a hex line (Wine `MAX_HEX_CHARS`).
const MAX_HEX_CHARS: usize = 77;

/// Registry value type numbers used in `hex(N):`.
pub mod reg_type {
    /// REG_NONE
    pub const NONE: u32 = 0;
    /// REG_SZ
    pub const SZ: u32 = 1;
    /// REG_EXPAND_SZ
    pub const EXPAND_SZ: u32 = 2;
    /// REG_BINARY
    pub const BINARY: u32 = 3;
    /// REG_DWORD
    pub const DWORD: u32 = 4;
    /// REG_MULTI_SZ
    pub const MULTI_SZ: u32 = 7;
    /// REG_QWORD
    pub const QWORD: u32 = 11;
}

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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct RegParseError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl RegData {
    /// Typed data from a type number and raw bytes (as a hive stores them or `hex(N):` writes
    /// them); a size that does not fit its type keeps the raw bytes.
    pub fn from_raw(kind: u32, bytes: &[u8]) -> RegData {
        let units = || -> Vec<u16> {
            bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect()
        };
        let z = || {
            let u: Vec<u16> = units().into_iter().take_while(|&u| u != 0).collect();
            String::from_utf16_lossy(&u)
        };
        match kind {
            reg_type::SZ => RegData::Sz(z()),
            reg_type::EXPAND_SZ => RegData::ExpandSz(z()),
            reg_type::MULTI_SZ => {
                let mut u = units();
                while u.last() == Some(&0) {
                    u.pop();
                }
                if u.is_empty() {
                    RegData::MultiSz(Vec::new())
                } else {
                    RegData::MultiSz(u.split(|&x| x == 0).map(String::from_utf16_lossy).collect())
                }
            }
            reg_type::DWORD if bytes.len() == 4 => {
                RegData::Dword(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
            }
            reg_type::QWORD if bytes.len() == 8 => {
                let mut a = [0u8; 8];
                a.copy_from_slice(bytes);
                RegData::Qword(u64::from_le_bytes(a))
            }
            reg_type::BINARY => RegData::Binary(bytes.to_vec()),
            reg_type::NONE => RegData::None(bytes.to_vec()),
            _ => RegData::Typed {
                kind,
                bytes: bytes.to_vec(),
            },
        }
    }
}

/// Reads `.reg` text (the format [`RegExport::to_text`] writes, as `reg export` and regedit
/// write it): `[key]` and `[-key]` blocks, `"name"=` / `@=` values as `"text"`, `dword:`,
/// `hex:`, `hex(N):` with `\` line continuations, and `-`. Comment lines (`;`) and lines
/// before the first key are skipped; a value line that cannot be read is an error naming it.
pub fn parse_export(text: &str) -> Result<RegExport, RegParseError> {
    let mut keys: Vec<RegKey> = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, raw)) = lines.next() {
        let line = raw.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            let inner = &line[1..line.len() - 1];
            keys.push(match inner.strip_prefix('-') {
                Some(p) => RegKey::deletion(p),
                None => RegKey::new(inner, Vec::new()),
            });
            continue;
        }
        let Some(key) = keys.last_mut() else {
            continue; // header line
        };
        let mut logical = line.to_string();
        while logical.ends_with('\\') && is_hex_value(&logical) {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim()),
                None => break,
            }
        }
        let err = |reason: &str| RegParseError {
            line: i + 1,
            reason: reason.to_string(),
        };
        let (name, rest) = if let Some(r) = logical.strip_prefix('@') {
            (None, r)
        } else if logical.starts_with('"') {
            let (n, used) = read_quoted(&logical).ok_or_else(|| err("unterminated value name"))?;
            (Some(n), &logical[used..])
        } else {
            return Err(err("neither a key, a value nor a comment"));
        };
        let data = rest
            .trim_start()
            .strip_prefix('=')
            .ok_or_else(|| err("no `=` after the value name"))?
            .trim();
        let data = parse_data(data).ok_or_else(|| err("unreadable value data"))?;
        key.values.push(RegValue { name, data });
    }
    Ok(RegExport { keys })
}

/// Whether a (logical) value line holds hex data, whose lines continue with `\`.
fn is_hex_value(line: &str) -> bool {
    let after_eq = if line.starts_with('"') {
        read_quoted(line).map(|(_, used)| &line[used..])
    } else {
        line.strip_prefix('@')
    };
    after_eq
        .and_then(|r| r.trim_start().strip_prefix('='))
        .is_some_and(|d| d.trim_start().starts_with("hex"))
}

/// A `"..."` string with `\\` and `\"` escapes at the start of `s`: (text, bytes used).
fn read_quoted(s: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    if chars.next()?.1 != '"' {
        return None;
    }
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            '"' => return Some((out, i + 1)),
            c => out.push(c),
        }
    }
    None
}

fn parse_data(d: &str) -> Option<RegData> {
    if d == "-" {
        return Some(RegData::Delete);
    }
    if d.starts_with('"') {
        return read_quoted(d).map(|(s, _)| RegData::Sz(s));
    }
    if let Some(h) = d.strip_prefix("dword:") {
        return u32::from_str_radix(h.trim(), 16).ok().map(RegData::Dword);
    }
    let (kind, hex) = if let Some(h) = d.strip_prefix("hex:") {
        (reg_type::BINARY, h)
    } else {
        let r = d.strip_prefix("hex(")?;
        let (k, h) = r.split_once("):")?;
        (u32::from_str_radix(k.trim(), 16).ok()?, h)
    };
    let mut bytes = Vec::new();
    for b in hex.split(',').map(str::trim).filter(|b| !b.is_empty()) {
        bytes.push(u8::from_str_radix(b, 16).ok()?);
    }
    Some(RegData::from_raw(kind, &bytes))
}

/// The text of `.reg` bytes: UTF-16LE with its BOM (as `reg export` writes), UTF-8 (with or
/// without BOM); `None` for anything else.
pub fn decode_export(bytes: &[u8]) -> Option<String> {
    if let Some(b) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return Some(String::from_utf16_lossy(&units));
    }
    let b = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    std::str::from_utf8(b).ok().map(str::to_string)
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
}
