//! `.reg` text as `reg export` and regedit write it (MSRD-Collect stores these as
//! `<C>_RegistryKeys\*.txt`): UTF-16LE with BOM or UTF-8 (`Windows Registry Editor Version
//! 5.00`), or ANSI (`REGEDIT4`).
//!
//! Grammar handled: `[KEY]` and `[-KEY]`; `"name"=` or `@=` followed by `"text"` (escapes `\\`
//! and `\"`; a string may run over several lines when the data holds CR/LF), `dword:XXXXXXXX`,
//! `hex:` (REG_BINARY), `hex(N):` for any type N (2 and 7 are UTF-16LE strings, `b` a QWORD,
//! 0 REG_NONE), `-` (delete the value); hex lists continued with a trailing `\` and leading
//! spaces; `;` comments; blank lines; CRLF or LF. A bad line is reported and skipped; the file
//! as a whole is rejected only if it is not a registry file.

use serde::Serialize;

use super::tree::{Origin, Registry, normalize_path};
use super::{RegData, reg_type};
use crate::text_artifacts::{TextError, decode_text, split_lines};
use rdpdiag_evtx::model::{Problem, Severity};

/// Errors of this parser are text errors (the file is not a `.reg` file).
pub type RegFileError = TextError;

/// Most logical lines one value may span (strings with line breaks, wrapped hex).
const MAX_VALUE_LINES: usize = 100_000;

/// Header of a Unicode (`reg export`, regedit 5) file.
pub const HEADER_V5: &str = "Windows Registry Editor Version 5.00";
/// Header of an ANSI (regedit 4) file.
pub const HEADER_V4: &str = "REGEDIT4";

/// A parsed `.reg` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegFile {
    /// `REGEDIT4` (strings in `hex(2)`/`hex(7)` are then ANSI, not UTF-16).
    pub regedit4: bool,
    /// Key blocks in file order.
    pub keys: Vec<RegFileKey>,
    /// Lines that could not be understood (skipped).
    pub problems: Vec<Problem>,
}

/// One `[KEY]` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegFileKey {
    /// Line of `[KEY]`.
    pub line: u64,
    /// The path as written between the brackets (without `-`).
    pub raw_path: String,
    /// Normalised path (`HKLM\...`); `None` when the root is unknown (its values are skipped).
    pub path: Option<String>,
    /// `[-KEY]`: delete the key and its subtree.
    pub delete: bool,
    /// Values in file order.
    pub values: Vec<RegFileValue>,
}

/// One value line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegFileValue {
    /// Line where the value starts.
    pub line: u64,
    /// Name (unescaped); empty for `@`.
    pub name: String,
    /// Set or delete.
    pub op: RegOp,
}

/// What a value line does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegOp {
    /// Set the value.
    Set(RegData),
    /// `"name"=-`: delete it.
    Delete,
}

/// Parses a `.reg` file.
pub fn parse(bytes: &[u8]) -> Result<RegFile, RegFileError> {
    let (text, _) = decode_text(bytes)?;
    let mut problems = Vec::new();
    let lines = split_lines(&text, &mut problems);
    let mut file = RegFile {
        regedit4: false,
        keys: Vec::new(),
        problems,
    };
    let mut i = 0;
    // Header: the first non-blank line.
    while i < lines.len() && lines[i].text.trim().is_empty() {
        i += 1;
    }
    let Some(first) = lines.get(i) else {
        return Err(TextError::Format(
            "empty file: no `Windows Registry Editor` header".into(),
        ));
    };
    let header = first.text.trim().trim_start_matches('\u{feff}');
    if header == HEADER_V4 {
        file.regedit4 = true;
    } else if !header.starts_with("Windows Registry Editor Version") {
        return Err(TextError::Line {
            line: first.no,
            message: format!(
                "not a registry file: first line is {:?}, expected {HEADER_V5:?}",
                header.chars().take(60).collect::<String>()
            ),
        });
    }
    i += 1;

    while i < lines.len() {
        let line = &lines[i];
        let t = line.text.trim_start();
        if t.trim().is_empty() || t.starts_with(';') {
            i += 1;
            continue;
        }
        if t.starts_with('[') {
            let t = t.trim_end();
            match t.rfind(']') {
                Some(end) if end > 0 => {
                    let inner = &t[1..end];
                    let (delete, raw) = match inner.strip_prefix('-') {
                        Some(r) => (true, r),
                        None => (false, inner),
                    };
                    let path = normalize_path(raw);
                    if path.is_none() {
                        file.problems.push(Problem::at_line(
                            Severity::Warning,
                            line.no,
                            format!("key {raw:?} has no known root (HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, ...): its values are skipped"),
                        ));
                    }
                    file.keys.push(RegFileKey {
                        line: line.no,
                        raw_path: raw.to_string(),
                        path,
                        delete,
                        values: Vec::new(),
                    });
                }
                _ => file.problems.push(Problem::at_line(
                    Severity::Warning,
                    line.no,
                    "key line without closing `]`",
                )),
            }
            i += 1;
            continue;
        }
        if t.starts_with('"') || t.starts_with('@') {
            let start = line.no;
            let (logical, next) = gather_value(&lines, i);
            i = next;
            let parsed = parse_value(&logical, file.regedit4);
            match (parsed, file.keys.last_mut()) {
                (Ok(v), Some(key)) if !key.delete => key.values.push(RegFileValue {
                    line: start,
                    name: v.0,
                    op: v.1,
                }),
                (Ok(_), Some(_)) => file.problems.push(Problem::at_line(
                    Severity::Warning,
                    start,
                    "value under a `[-KEY]` deletion: ignored",
                )),
                (Ok(_), None) => file.problems.push(Problem::at_line(
                    Severity::Warning,
                    start,
                    "value before any `[KEY]` line: ignored",
                )),
                (Err(msg), _) => file
                    .problems
                    .push(Problem::at_line(Severity::Warning, start, msg)),
            }
            continue;
        }
        file.problems.push(Problem::at_line(
            Severity::Warning,
            line.no,
            format!("unrecognised line {:?}", t.chars().take(60).collect::<String>()),
        ));
        i += 1;
    }
    Ok(file)
}

/// Collects the physical lines of one value starting at `i`: a string whose closing quote is on
/// a later line, or a hex list continued with `\`. Returns the logical line and the next index.
fn gather_value(lines: &[crate::text_artifacts::Line], i: usize) -> (String, usize) {
    let mut logical = lines[i].text.trim_start().to_string();
    let mut j = i + 1;
    let mut count = 1;
    loop {
        if count >= MAX_VALUE_LINES || j >= lines.len() {
            break;
        }
        match open_string(&logical) {
            Some(true) => {
                // The string data continues on the next line (data with CR/LF written raw).
                logical.push_str("\r\n");
                logical.push_str(&lines[j].text);
            }
            _ => {
                let trimmed = logical.trim_end();
                if trimmed.ends_with('\\') && !trimmed.ends_with("\"") {
                    let cut = trimmed.len() - 1;
                    logical.truncate(cut);
                    logical.push_str(lines[j].text.trim_start());
                } else {
                    break;
                }
            }
        }
        j += 1;
        count += 1;
    }
    (logical, j)
}

/// `Some(true)` when the value's string data is still open at the end of `s`.
fn open_string(s: &str) -> Option<bool> {
    let rest = skip_name(s).ok()?;
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let data = rest.strip_prefix('"')?;
    Some(read_quoted(data).is_none())
}

/// Skips `"name"` or `@`, returning the rest.
fn skip_name(s: &str) -> Result<&str, String> {
    if let Some(r) = s.strip_prefix('@') {
        return Ok(r);
    }
    let inner = s
        .strip_prefix('"')
        .ok_or("value line must start with `\"` or `@`")?;
    let (_, used) = read_quoted(inner).ok_or("value name has no closing `\"`")?;
    Ok(&inner[used..])
}

/// Reads an escaped string up to its closing quote: (unescaped text, bytes used including the
/// quote). `None` when the quote is missing.
fn read_quoted(s: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, n @ ('\\' | '"'))) => out.push(n),
                Some((_, 'n')) => out.push('\n'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, 't')) => out.push('\t'),
                Some((_, '0')) => out.push('\0'),
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '"' => return Some((out, i + 1)),
            _ => out.push(c),
        }
    }
    None
}

/// Parses one logical value line into (name, op).
fn parse_value(s: &str, regedit4: bool) -> Result<(String, RegOp), String> {
    let (name, rest) = if let Some(r) = s.strip_prefix('@') {
        (String::new(), r)
    } else {
        let inner = s
            .strip_prefix('"')
            .ok_or("value line must start with `\"` or `@`")?;
        let (name, used) = read_quoted(inner).ok_or("value name has no closing `\"`")?;
        (name, &inner[used..])
    };
    let data = rest
        .trim_start()
        .strip_prefix('=')
        .ok_or_else(|| format!("no `=` after value name {name:?}"))?
        .trim_start();
    if let Some(q) = data.strip_prefix('"') {
        let (text, used) =
            read_quoted(q).ok_or_else(|| format!("string data of {name:?} has no closing `\"`"))?;
        let tail = q[used..].trim();
        if !tail.is_empty() && !tail.starts_with(';') {
            return Err(format!("text after the string data of {name:?}: {tail:?}"));
        }
        return Ok((name, RegOp::Set(RegData::Sz(text))));
    }
    let data = data.trim_end();
    if data == "-" {
        return Ok((name, RegOp::Delete));
    }
    let lower = data.to_ascii_lowercase();
    if let Some(hexv) = lower.strip_prefix("dword:") {
        let hexv = hexv.split(';').next().unwrap_or("").trim();
        if hexv.is_empty() || hexv.len() > 8 || !hexv.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("dword of {name:?} is not 1 to 8 hex digits: {hexv:?}"));
        }
        let v = u32::from_str_radix(hexv, 16).map_err(|e| format!("dword of {name:?}: {e}"))?;
        return Ok((name, RegOp::Set(RegData::Dword(v))));
    }
    let (kind, list) = if let Some(l) = lower.strip_prefix("hex:") {
        (reg_type::BINARY, l)
    } else if let Some(r) = lower.strip_prefix("hex(") {
        let (n, l) = r
            .split_once("):")
            .ok_or_else(|| format!("`hex(` of {name:?} without `):`"))?;
        let kind =
            u32::from_str_radix(n.trim(), 16).map_err(|_| format!("type {n:?} of {name:?} is not hex"))?;
        (kind, l)
    } else {
        return Err(format!(
            "data of {name:?} is none of \"text\", dword:, hex:, hex(N):, -: {:?}",
            data.chars().take(40).collect::<String>()
        ));
    };
    let bytes = parse_hex_list(list).map_err(|e| format!("hex data of {name:?}: {e}"))?;
    let data = if regedit4 && matches!(kind, reg_type::SZ | reg_type::EXPAND_SZ | reg_type::MULTI_SZ) {
        ansi_string_data(kind, &bytes)
    } else {
        RegData::from_raw(kind, &bytes)
    };
    Ok((name, RegOp::Set(data)))
}

/// `01,ab, ff` → bytes; an empty list is no bytes.
fn parse_hex_list(list: &str) -> Result<Vec<u8>, String> {
    let list = list.split(';').next().unwrap_or("");
    let mut out = Vec::new();
    let tokens: Vec<&str> = list.split(',').map(str::trim).collect();
    let last = tokens.len().saturating_sub(1);
    for (i, t) in tokens.iter().enumerate() {
        if t.is_empty() {
            if i == last {
                continue;
            }
            return Err("empty byte between commas".into());
        }
        if t.len() > 2 {
            return Err(format!("{t:?} is not a byte"));
        }
        out.push(u8::from_str_radix(t, 16).map_err(|_| format!("{t:?} is not hex"))?);
    }
    Ok(out)
}

/// REGEDIT4 string data: ANSI bytes, NUL-terminated.
fn ansi_string_data(kind: u32, bytes: &[u8]) -> RegData {
    let decode = |b: &[u8]| encoding_rs::WINDOWS_1252.decode(b).0.into_owned();
    match kind {
        reg_type::MULTI_SZ => {
            let mut b = bytes;
            while let Some(rest) = b.strip_suffix(&[0]) {
                b = rest;
            }
            if b.is_empty() {
                RegData::MultiSz(Vec::new())
            } else {
                RegData::MultiSz(b.split(|&x| x == 0).map(decode).collect())
            }
        }
        _ => {
            let end = bytes.iter().position(|&x| x == 0).unwrap_or(bytes.len());
            let s = decode(&bytes[..end]);
            if kind == reg_type::SZ {
                RegData::Sz(s)
            } else {
                RegData::ExpandSz(s)
            }
        }
    }
}

impl RegFile {
    /// Applies the file to `registry` (sets, deletions) with provenance `artifact` + line.
    pub fn apply(&self, registry: &mut Registry, artifact: &std::sync::Arc<str>) {
        for key in &self.keys {
            let Some(path) = &key.path else { continue };
            let origin = Origin {
                artifact: artifact.clone(),
                line: Some(key.line),
            };
            if key.delete {
                registry.delete_key(path);
                continue;
            }
            registry.ensure_key(path, &origin);
            for v in &key.values {
                let origin = Origin {
                    artifact: artifact.clone(),
                    line: Some(v.line),
                };
                match &v.op {
                    RegOp::Set(data) => registry.set_value(path, &v.name, data.clone(), &origin),
                    RegOp::Delete => registry.delete_value(path, &v.name),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(s: &str) -> RegFile {
        match parse(s.as_bytes()) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn every_value_form() {
        let f = parse_text(concat!(
            "Windows Registry Editor Version 5.00\n\n",
            "; comment\n",
            "[HKEY_LOCAL_MACHINE\\SOFTWARE\\T]\n",
            "@=\"def\"\n",
            "\"a\\\\b\\\"c\"=\"x\\\\y\\\"z\"\n",
            "\"d\"=dword:0000000a\n",
            "\"q\"=hex(b):01,00,00,00,00,00,00,00\n",
            "\"e\"=hex(2):41,00,00,00\n",
            "\"m\"=hex(7):61,00,00,00,62,00,00,00,00,00\n",
            "\"b\"=hex:01,\\\n  02,03\n",
            "\"n\"=hex(0):\n",
            "\"o\"=hex(10):01,02\n",
            "\"gone\"=-\n",
            "\"multi\"=\"line1\n",
            "line2\"\n",
            "[-HKEY_CURRENT_USER\\X]\n",
        ));
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let k = &f.keys[0];
        assert_eq!(k.path.as_deref(), Some("HKLM\\SOFTWARE\\T"));
        let get = |n: &str| k.values.iter().find(|v| v.name == n).map(|v| v.op.clone());
        assert_eq!(get(""), Some(RegOp::Set(RegData::Sz("def".into()))));
        assert_eq!(get("a\\b\"c"), Some(RegOp::Set(RegData::Sz("x\\y\"z".into()))));
        assert_eq!(get("d"), Some(RegOp::Set(RegData::Dword(10))));
        assert_eq!(get("q"), Some(RegOp::Set(RegData::Qword(1))));
        assert_eq!(get("e"), Some(RegOp::Set(RegData::ExpandSz("A".into()))));
        assert_eq!(
            get("m"),
            Some(RegOp::Set(RegData::MultiSz(vec!["a".into(), "b".into()])))
        );
        assert_eq!(get("b"), Some(RegOp::Set(RegData::Binary(vec![1, 2, 3]))));
        assert_eq!(get("n"), Some(RegOp::Set(RegData::None(vec![]))));
        assert_eq!(
            get("o"),
            Some(RegOp::Set(RegData::Other {
                kind: 16,
                bytes: vec![1, 2]
            }))
        );
        assert_eq!(get("gone"), Some(RegOp::Delete));
        assert_eq!(
            get("multi"),
            Some(RegOp::Set(RegData::Sz("line1\r\nline2".into())))
        );
        assert!(f.keys[1].delete);
        assert_eq!(
            k.values.iter().find(|v| v.name == "multi").map(|v| v.line),
            Some(16)
        );
    }

    #[test]
    fn bad_lines_are_reported() {
        let f = parse_text(
            "Windows Registry Editor Version 5.00\r\n\"orphan\"=dword:1\r\n[HKLM\\X]\r\n\"a\"=dword:xyz\r\n\"b\"=hex:1,zz\r\ngarbage\r\n[BOGUS\\Y]\r\n",
        );
        let lines: Vec<Option<u64>> = f.problems.iter().map(|p| p.line()).collect();
        assert_eq!(lines, [2, 4, 5, 6, 7].map(Some));
        assert!(parse(b"hello\r\n").is_err());
        assert!(parse(b"").is_err());
    }
}
