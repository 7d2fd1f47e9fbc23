//! BinXml value types (MS-EVEN6 2.2.10 / libevtx "Value types") and their on-disk encoding.
//!
//! A value has two type codes: the one a template *declares* in its substitution token and the
//! one the instance *stores* in its value descriptor. They only differ for SizeT, which Windows
//! declares as SizeTType and stores as HexInt64 (libevtx: "should be paired with HexInt32Type or
//! HexInt64Type"), and for NullType, which stores nothing but is declared as the type the slot
//! normally holds.

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::EncodeError;
use crate::evtx::model::{Sid, Value};

/// NullType: no data; optional substitutions of this type leave their element/attribute out.
pub(crate) const NULL: u8 = 0x00;
/// StringType: UTF-16LE without a terminating NUL.
pub(crate) const STRING: u8 = 0x01;
/// AnsiStringType: one byte per character, no terminating NUL.
pub(crate) const ANSI_STRING: u8 = 0x02;
/// Int8Type.
pub(crate) const INT8: u8 = 0x03;
/// UInt8Type.
pub(crate) const UINT8: u8 = 0x04;
/// Int16Type.
pub(crate) const INT16: u8 = 0x05;
/// UInt16Type.
pub(crate) const UINT16: u8 = 0x06;
/// Int32Type.
pub(crate) const INT32: u8 = 0x07;
/// UInt32Type.
pub(crate) const UINT32: u8 = 0x08;
/// Int64Type.
pub(crate) const INT64: u8 = 0x09;
/// UInt64Type.
pub(crate) const UINT64: u8 = 0x0a;
/// BoolType: a 32-bit 0 or 1.
pub(crate) const BOOL: u8 = 0x0d;
/// BinaryType.
pub(crate) const BINARY: u8 = 0x0e;
/// GuidType: Data1..3 little-endian.
pub(crate) const GUID: u8 = 0x0f;
/// SizeTType (declared only; the value is stored as HexInt64).
pub(crate) const SIZE_T: u8 = 0x10;
/// FileTimeType: 100 ns intervals since 1601-01-01.
pub(crate) const FILETIME: u8 = 0x11;
/// SysTimeType: a 16-byte SYSTEMTIME.
pub(crate) const SYSTIME: u8 = 0x12;
/// SidType.
pub(crate) const SID: u8 = 0x13;
/// HexInt32Type.
pub(crate) const HEX_INT32: u8 = 0x14;
/// HexInt64Type.
pub(crate) const HEX_INT64: u8 = 0x15;
/// BinXmlType: a nested BinXml fragment (the EventData / UserData payload).
pub(crate) const BINXML: u8 = 0x21;
/// Array of StringType: each string NUL-terminated (classic events' unnamed `<Data>`).
pub(crate) const STRING_ARRAY: u8 = 0x81;

/// Largest value a template value descriptor can describe (its size field is 16-bit).
pub(crate) const MAX_VALUE_SIZE: usize = u16::MAX as usize;

/// Seconds from 1601-01-01 (FILETIME epoch) to 1970-01-01 (Unix epoch).
const FILETIME_UNIX_OFFSET_SECS: i64 = 11_644_473_600;

/// The type a template declares for a slot holding `v`. Null slots are declared as strings,
/// so that an event with a missing value reuses the template of its siblings.
pub(crate) fn declared_type(v: &Value) -> u8 {
    match v {
        Value::Null | Value::String(_) => STRING,
        Value::SizeT(_) => SIZE_T,
        other => stored_type(other),
    }
}

/// The type stored in the instance's value descriptor.
pub(crate) fn stored_type(v: &Value) -> u8 {
    match v {
        Value::Null => NULL,
        Value::String(_) => STRING,
        Value::AnsiString(_) => ANSI_STRING,
        Value::Int8(_) => INT8,
        Value::UInt8(_) => UINT8,
        Value::Int16(_) => INT16,
        Value::UInt16(_) => UINT16,
        Value::Int32(_) => INT32,
        Value::UInt32(_) => UINT32,
        Value::Int64(_) => INT64,
        Value::UInt64(_) => UINT64,
        Value::Boolean(_) => BOOL,
        Value::Binary(_) => BINARY,
        Value::Guid(_) => GUID,
        Value::SizeT(_) | Value::HexInt64(_) => HEX_INT64,
        Value::FileTime(_) => FILETIME,
        Value::SystemTime(_) => SYSTIME,
        Value::Sid(_) => SID,
        Value::HexInt32(_) => HEX_INT32,
    }
}

/// Appends the value's data (without descriptor) to `out`.
pub(crate) fn write_value(out: &mut Vec<u8>, v: &Value) -> Result<(), EncodeError> {
    match v {
        Value::Null => {}
        Value::String(s) => write_utf16(out, s),
        Value::AnsiString(s) => write_ansi(out, s),
        Value::Int8(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::UInt8(x) => out.push(*x),
        Value::Int16(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::UInt16(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::Int32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::UInt32(x) | Value::HexInt32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::Int64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::UInt64(x) | Value::SizeT(x) | Value::HexInt64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::Boolean(b) => out.extend_from_slice(&u32::from(*b).to_le_bytes()),
        Value::Binary(b) => out.extend_from_slice(b),
        Value::Guid(g) => out.extend_from_slice(&g.to_le_bytes()),
        Value::FileTime(t) => out.extend_from_slice(&filetime(t)?.to_le_bytes()),
        Value::SystemTime(t) => out.extend_from_slice(&systemtime(t)?),
        Value::Sid(s) => write_sid(out, s)?,
    }
    Ok(())
}

/// Appends `s` as UTF-16LE, without a terminator. ASCII (nearly every event string) takes a
/// byte-interleaving fast path, which matters at hundreds of MB/s.
pub(crate) fn write_utf16(out: &mut Vec<u8>, s: &str) {
    if s.is_ascii() {
        out.reserve(s.len() * 2);
        for &b in s.as_bytes() {
            out.push(b);
            out.push(0);
        }
    } else {
        for u in s.encode_utf16() {
            out.extend_from_slice(&u.to_le_bytes());
        }
    }
}

/// ANSI strings are stored in the writer's code page, Windows-1252 on Western systems (and the
/// evtx crate's default for decoding them); characters outside it become `?`, as a lossy
/// WideCharToMultiByte does.
fn write_ansi(out: &mut Vec<u8>, s: &str) {
    out.extend(s.chars().map(windows_1252));
}

/// Windows-1252 byte of `c`: ASCII and U+00A0..U+00FF map to themselves; 0x80..0x9F hold the
/// typographic characters below.
fn windows_1252(c: char) -> u8 {
    const HIGH: [(char, u8); 27] = [
        ('\u{20AC}', 0x80),
        ('\u{201A}', 0x82),
        ('\u{0192}', 0x83),
        ('\u{201E}', 0x84),
        ('\u{2026}', 0x85),
        ('\u{2020}', 0x86),
        ('\u{2021}', 0x87),
        ('\u{02C6}', 0x88),
        ('\u{2030}', 0x89),
        ('\u{0160}', 0x8A),
        ('\u{2039}', 0x8B),
        ('\u{0152}', 0x8C),
        ('\u{017D}', 0x8E),
        ('\u{2018}', 0x91),
        ('\u{2019}', 0x92),
        ('\u{201C}', 0x93),
        ('\u{201D}', 0x94),
        ('\u{2022}', 0x95),
        ('\u{2013}', 0x96),
        ('\u{2014}', 0x97),
        ('\u{02DC}', 0x98),
        ('\u{2122}', 0x99),
        ('\u{0161}', 0x9A),
        ('\u{203A}', 0x9B),
        ('\u{0153}', 0x9C),
        ('\u{017E}', 0x9E),
        ('\u{0178}', 0x9F),
    ];
    match u32::from(c) {
        0..=0x7F | 0xA0..=0xFF => c as u8,
        _ => HIGH.iter().find(|(h, _)| *h == c).map_or(b'?', |(_, b)| *b),
    }
}

/// FILETIME of `t` (truncated to 100 ns, as Windows stores it).
pub(crate) fn filetime(t: &DateTime<Utc>) -> Result<u64, EncodeError> {
    let secs = t
        .timestamp()
        .checked_add(FILETIME_UNIX_OFFSET_SECS)
        .and_then(|s| u64::try_from(s).ok())
        .ok_or_else(|| {
            EncodeError::Invalid(format!("timestamp {t} is before 1601-01-01 (FILETIME epoch)"))
        })?;
    // Leap-second nanos (>= 1e9) are clamped into the same second.
    let hundred_ns = u64::from(t.timestamp_subsec_nanos().min(999_999_999) / 100);
    secs.checked_mul(10_000_000)
        .and_then(|v| v.checked_add(hundred_ns))
        .ok_or_else(|| EncodeError::Invalid(format!("timestamp {t} does not fit a FILETIME")))
}

/// SYSTEMTIME of `t`: year, month, day of week (Sunday = 0), day, hour, minute, second,
/// milliseconds, each 16-bit.
pub(crate) fn systemtime(t: &DateTime<Utc>) -> Result<[u8; 16], EncodeError> {
    let year = u16::try_from(t.year())
        .ok()
        .filter(|y| (1601..=30827).contains(y))
        .ok_or_else(|| EncodeError::Invalid(format!("timestamp {t} is outside SYSTEMTIME's 1601-30827")))?;
    let millis = (t.timestamp_subsec_nanos() / 1_000_000).min(999);
    let fields = [
        year,
        t.month() as u16,
        t.weekday().num_days_from_sunday() as u16,
        t.day() as u16,
        t.hour() as u16,
        t.minute() as u16,
        t.second() as u16,
        millis as u16,
    ];
    let mut out = [0u8; 16];
    for (chunk, f) in out.chunks_exact_mut(2).zip(fields) {
        chunk.copy_from_slice(&f.to_le_bytes());
    }
    Ok(out)
}

/// Binary SID: revision, sub-authority count, 48-bit big-endian authority, then the
/// sub-authorities little-endian.
pub(crate) fn write_sid(out: &mut Vec<u8>, sid: &Sid) -> Result<(), EncodeError> {
    let count = u8::try_from(sid.sub_authorities.len())
        .ok()
        .filter(|n| *n <= 15)
        .ok_or_else(|| EncodeError::Invalid(format!("SID {sid} has more than 15 sub-authorities")))?;
    if sid.authority >= 1 << 48 {
        return Err(EncodeError::Invalid(format!(
            "SID {sid} has an authority over 48 bits"
        )));
    }
    out.push(sid.revision);
    out.push(count);
    out.extend_from_slice(&sid.authority.to_be_bytes()[2..]);
    for s in &sid.sub_authorities {
        out.extend_from_slice(&s.to_le_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn filetime_matches_known_value() {
        // 2018-11-06T21:31:54.0709857Z is e1d5 1823 1876 d401 in the RCM corpus log.
        let t = Utc.with_ymd_and_hms(2018, 11, 6, 21, 31, 54).single().unwrap()
            + chrono::Duration::nanoseconds(70_985_700);
        assert_eq!(
            filetime(&t).unwrap(),
            u64::from_le_bytes([0xe1, 0xd5, 0x18, 0x23, 0x18, 0x76, 0xd4, 0x01])
        );
    }

    #[test]
    fn sid_encoding() {
        let mut out = Vec::new();
        write_sid(&mut out, &Sid::parse("S-1-5-20").unwrap()).unwrap();
        assert_eq!(out, [1, 1, 0, 0, 0, 0, 0, 5, 20, 0, 0, 0]);
    }

    #[test]
    fn ansi_is_windows_1252() {
        let mut out = Vec::new();
        write_value(&mut out, &Value::AnsiString("aé€–✓".into())).unwrap();
        assert_eq!(out, [b'a', 0xE9, 0x80, 0x96, b'?']);
    }

    #[test]
    fn time_before_1601_is_rejected() {
        let t = Utc.with_ymd_and_hms(1500, 1, 1, 0, 0, 0).single().unwrap();
        assert!(filetime(&t).is_err());
        assert!(systemtime(&t).is_err());
    }
}
