//! Registry snapshots of a host, from `reg export` text ([`reg_file`]) or raw hives with their
//! transaction logs ([`hive`]), merged into one case-insensitive in-memory tree ([`tree`]).
//! [`fw_rule_string`] reads the firewall rule grammar stored in registry values.
//!
//! Typed host facts (listener configuration, SCHANNEL, CredSSP ...) are derived from the tree
//! in the facts of `rdpdiag-ingest`; nothing downstream reads registry formats.

pub mod fw_rule_string;
pub mod hive;
pub mod reg_file;
pub mod tree;

use serde::Serialize;

pub use hive::{HiveContents, HiveError, HiveKey, HiveKind, HiveOptions, read_hive};
pub use reg_file::{RegFile, RegFileError, RegFileKey, RegFileValue, RegOp};
pub use tree::{Origin, RegKey, RegValue, Registry, normalize_path};

/// Registry value type numbers.
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
    /// REG_DWORD_BIG_ENDIAN
    pub const DWORD_BIG_ENDIAN: u32 = 5;
    /// REG_LINK
    pub const LINK: u32 = 6;
    /// REG_MULTI_SZ
    pub const MULTI_SZ: u32 = 7;
    /// REG_QWORD
    pub const QWORD: u32 = 11;
}

/// Value data, by registry type. The same from a `.reg` file and from a hive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "kebab-case")]
pub enum RegData {
    /// REG_SZ.
    Sz(String),
    /// REG_EXPAND_SZ (not expanded).
    ExpandSz(String),
    /// REG_MULTI_SZ.
    MultiSz(Vec<String>),
    /// REG_DWORD.
    Dword(u32),
    /// REG_DWORD_BIG_ENDIAN.
    DwordBigEndian(u32),
    /// REG_QWORD.
    Qword(u64),
    /// REG_BINARY.
    Binary(#[serde(serialize_with = "hex_bytes")] Vec<u8>),
    /// REG_NONE.
    None(#[serde(serialize_with = "hex_bytes")] Vec<u8>),
    /// Any other type (or a typed value whose size does not fit its type), raw.
    Other {
        /// Type number.
        kind: u32,
        /// Raw bytes.
        #[serde(serialize_with = "hex_bytes")]
        bytes: Vec<u8>,
    },
}

fn hex_bytes<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex_upper(b))
}

/// Upper-case hex without separators (thumbprints are compared this way).
pub fn hex_upper(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(char::from(DIGITS[usize::from(x >> 4)]));
        s.push(char::from(DIGITS[usize::from(x & 15)]));
    }
    s
}

/// UTF-16LE bytes to text, stopping at the first NUL (registry strings are NUL-terminated; an
/// odd trailing byte is ignored).
pub fn utf16z(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

/// REG_MULTI_SZ bytes to strings: NUL-separated UTF-16LE, ending with an empty string.
pub fn utf16_multi(bytes: &[u8]) -> Vec<String> {
    let mut units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    while units.last() == Some(&0) {
        units.pop();
    }
    if units.is_empty() {
        return Vec::new();
    }
    units.split(|&u| u == 0).map(String::from_utf16_lossy).collect()
}

impl RegData {
    /// Typed data from a type number and raw bytes (as stored in a hive or written `hex(N):`).
    pub fn from_raw(kind: u32, bytes: &[u8]) -> RegData {
        match kind {
            reg_type::SZ => RegData::Sz(utf16z(bytes)),
            reg_type::EXPAND_SZ => RegData::ExpandSz(utf16z(bytes)),
            reg_type::MULTI_SZ => RegData::MultiSz(utf16_multi(bytes)),
            reg_type::BINARY => RegData::Binary(bytes.to_vec()),
            reg_type::NONE => RegData::None(bytes.to_vec()),
            reg_type::DWORD if bytes.len() == 4 => {
                RegData::Dword(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
            }
            reg_type::DWORD_BIG_ENDIAN if bytes.len() == 4 => {
                RegData::DwordBigEndian(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
            }
            reg_type::QWORD if bytes.len() == 8 => {
                let mut a = [0u8; 8];
                a.copy_from_slice(bytes);
                RegData::Qword(u64::from_le_bytes(a))
            }
            _ => RegData::Other {
                kind,
                bytes: bytes.to_vec(),
            },
        }
    }

    /// The type number.
    pub fn kind(&self) -> u32 {
        match self {
            RegData::Sz(_) => reg_type::SZ,
            RegData::ExpandSz(_) => reg_type::EXPAND_SZ,
            RegData::MultiSz(_) => reg_type::MULTI_SZ,
            RegData::Dword(_) => reg_type::DWORD,
            RegData::DwordBigEndian(_) => reg_type::DWORD_BIG_ENDIAN,
            RegData::Qword(_) => reg_type::QWORD,
            RegData::Binary(_) => reg_type::BINARY,
            RegData::None(_) => reg_type::NONE,
            RegData::Other { kind, .. } => *kind,
        }
    }

    /// As a 32-bit number: DWORDs, small QWORDs, and decimal or `0x` text (some tools write
    /// numbers as strings).
    pub fn as_u32(&self) -> Option<u32> {
        match self {
            RegData::Dword(v) | RegData::DwordBigEndian(v) => Some(*v),
            RegData::Qword(v) => u32::try_from(*v).ok(),
            RegData::Sz(s) | RegData::ExpandSz(s) => {
                let s = s.trim();
                match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    Some(h) => u32::from_str_radix(h, 16).ok(),
                    None => s.parse().ok(),
                }
            }
            _ => None,
        }
    }

    /// As text: strings, the first string of a multi-string, numbers in decimal.
    pub fn as_text(&self) -> Option<String> {
        match self {
            RegData::Sz(s) | RegData::ExpandSz(s) => Some(s.clone()),
            RegData::MultiSz(v) => v.first().cloned(),
            RegData::Dword(v) | RegData::DwordBigEndian(v) => Some(v.to_string()),
            RegData::Qword(v) => Some(v.to_string()),
            _ => None,
        }
    }

    /// Raw bytes of binary-like data.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            RegData::Binary(b) | RegData::None(b) | RegData::Other { bytes: b, .. } => Some(b),
            _ => None,
        }
    }
}
