//! Substitution values (MS-EVEN6 2.2.3.2) as the normalized model holds them: the same
//! [`FieldValue`] the evtx crate's JSON gives after `json_tree` (strings as strings, unsigned
//! and non-negative integers as `UInt`, hex-typed numbers, GUIDs and SIDs as text). Types
//! whose rendering is not reproduced here (floats, binary, times, arrays, ANSI text) return
//! `None`, and the record goes through the crate.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::template_definition::decode_utf16;
use crate::model::FieldValue;

/// BinXml value types.
pub(crate) mod ty {
    pub const NULL: u8 = 0x00;
    pub const STRING: u8 = 0x01;
    pub const INT8: u8 = 0x03;
    pub const UINT8: u8 = 0x04;
    pub const INT16: u8 = 0x05;
    pub const UINT16: u8 = 0x06;
    pub const INT32: u8 = 0x07;
    pub const UINT32: u8 = 0x08;
    pub const INT64: u8 = 0x09;
    pub const UINT64: u8 = 0x0A;
    pub const BOOL: u8 = 0x0D;
    pub const GUID: u8 = 0x0F;
    pub const FILETIME: u8 = 0x11;
    pub const SID: u8 = 0x13;
    pub const HEX_INT32: u8 = 0x14;
    pub const HEX_INT64: u8 = 0x15;
    pub const BINXML: u8 = 0x21;
}

fn le(b: &[u8], n: usize) -> Option<u64> {
    if b.len() != n {
        return None;
    }
    let mut buf = [0u8; 8];
    buf[..n].copy_from_slice(b);
    Some(u64::from_le_bytes(buf))
}

fn signed(b: &[u8], n: usize) -> Option<i64> {
    let v = le(b, n)?;
    let shift = 64 - 8 * n as u32;
    Some(((v << shift) as i64) >> shift)
}

/// UTF-16LE text up to the first NUL (as the crate renders it).
pub(crate) fn utf16_text(b: &[u8]) -> Option<String> {
    let even = &b[..b.len() & !1];
    let end = even
        .chunks_exact(2)
        .position(|c| c == [0, 0])
        .map_or(even.len(), |i| i * 2);
    decode_utf16(&even[..end])
}

/// `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}`, lower case as the crate renders it (the
/// analyzer upper-cases activity ids itself).
fn guid(b: &[u8]) -> Option<String> {
    // Written by hand: `write!` per byte was most of the cost of an RDP event's decode.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b: &[u8; 16] = b.try_into().ok()?;
    // Byte indices in print order (Data1..Data3 little-endian, Data4 as stored); 16, past the
    // end, is a dash.
    let order = [
        3, 2, 1, 0, 16, 5, 4, 16, 7, 6, 16, 8, 9, 16, 10, 11, 12, 13, 14, 15,
    ];
    let mut s = String::with_capacity(38);
    s.push('{');
    for &i in &order {
        match b.get(i) {
            Some(&x) => {
                s.push(char::from(HEX[usize::from(x >> 4)]));
                s.push(char::from(HEX[usize::from(x & 0xf)]));
            }
            None => s.push('-'),
        }
    }
    s.push('}');
    Some(s)
}

/// `S-1-5-21-...`.
fn sid(b: &[u8]) -> Option<String> {
    let revision = *b.first()?;
    let count = usize::from(*b.get(1)?);
    let auth = b.get(2..8)?;
    if b.len() != 8 + count * 4 {
        return None;
    }
    let authority = auth.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x));
    let mut s = format!("S-{revision}-{authority}");
    for c in b[8..].chunks_exact(4) {
        let _ = write!(s, "-{}", u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    }
    Some(s)
}

/// FILETIME (100 ns since 1601) as UTC.
pub(crate) fn filetime(b: &[u8]) -> Option<DateTime<Utc>> {
    let ticks = i64::try_from(le(b, 8)?).ok()?;
    let secs = ticks / 10_000_000 - 11_644_473_600;
    let nanos = u32::try_from(ticks % 10_000_000).ok()? * 100;
    DateTime::from_timestamp(secs, nanos)
}

/// The value as a field, `None` when its rendering is not reproduced here.
pub(crate) fn field(t: u8, b: &[u8]) -> Option<FieldValue> {
    let int = |v: i64| {
        if v >= 0 {
            FieldValue::UInt(v as u64)
        } else {
            FieldValue::Int(v)
        }
    };
    Some(match t {
        ty::NULL => FieldValue::Null,
        // Zero-length text renders as null in some records and "" in others (seen on the
        // corpus; the rule is not known here): left to the crate. A lone NUL is "".
        ty::STRING if b.is_empty() => return None,
        ty::STRING => FieldValue::Str(utf16_text(b)?),
        ty::UINT8 => FieldValue::UInt(le(b, 1)?),
        ty::UINT16 => FieldValue::UInt(le(b, 2)?),
        ty::UINT32 => FieldValue::UInt(le(b, 4)?),
        ty::UINT64 => FieldValue::UInt(le(b, 8)?),
        ty::INT8 => int(signed(b, 1)?),
        ty::INT16 => int(signed(b, 2)?),
        ty::INT32 => int(signed(b, 4)?),
        ty::INT64 => int(signed(b, 8)?),
        // Other values than 0 and 1 are rendered as numbers by the crate: left to it.
        ty::BOOL => match le(b, 4)? {
            0 => FieldValue::Bool(false),
            1 => FieldValue::Bool(true),
            _ => return None,
        },
        ty::GUID => FieldValue::Str(guid(b)?),
        ty::SID => FieldValue::Str(sid(b)?),
        ty::HEX_INT32 => FieldValue::Str(format!("0x{:x}", le(b, 4)?)),
        ty::HEX_INT64 => FieldValue::Str(format!("0x{:x}", le(b, 8)?)),
        _ => return None,
    })
}

/// The value of an optional substitution: empty text is left out by the crate (null).
pub(crate) fn optional_field(t: u8, b: &[u8]) -> Option<FieldValue> {
    match field(t, b)? {
        FieldValue::Str(s) if s.is_empty() && t == ty::STRING => Some(FieldValue::Null),
        v => Some(v),
    }
}

/// The value as an unsigned number (integers; text holding a number).
pub(crate) fn number(t: u8, b: &[u8]) -> Option<u64> {
    match field(t, b)? {
        FieldValue::UInt(n) => Some(n),
        FieldValue::Str(s) if t == ty::STRING => crate::model::parse_number(&s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_and_sid_render_like_windows() {
        let g = [
            0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
        ];
        assert_eq!(guid(&g).unwrap(), "{00112233-4455-6677-8899-aabbccddeeff}");
        let s = [1u8, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0];
        assert_eq!(sid(&s).unwrap(), "S-1-5-18");
        assert_eq!(sid(&s[..10]), None);
    }

    #[test]
    fn numbers_signed_and_hex() {
        assert_eq!(
            field(ty::INT32, &(-5i32).to_le_bytes()),
            Some(FieldValue::Int(-5))
        );
        assert_eq!(field(ty::INT32, &5i32.to_le_bytes()), Some(FieldValue::UInt(5)));
        assert_eq!(
            field(ty::HEX_INT64, &0x3e7u64.to_le_bytes()),
            Some(FieldValue::Str("0x3e7".into()))
        );
        assert_eq!(field(ty::UINT32, &[1, 2]), None);
        assert_eq!(field(0x0B, &[0; 4]), None);
    }

    #[test]
    fn text_stops_at_nul() {
        let b: Vec<u8> = "ab\0c".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(utf16_text(&b).as_deref(), Some("ab"));
    }
}
