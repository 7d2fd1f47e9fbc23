//! Turning what Windows console tools print into UTF-8 text with CRLF line ends.
//!
//! Redirected console programs write in the OEM code page (437 or 850 in the West, 932/936/949/
//! 950 in East Asia), PowerShell and a few tools write UTF-16LE, newer ones UTF-8. The bundle
//! stores every text artifact as UTF-8 with CRLF, so the analyzer never guesses encodings.

/// Decodes console output. Order: UTF-16LE (BOM, or the zero-byte pattern of ASCII text in
/// UTF-16), UTF-8 (BOM or valid), else the OEM code page `oem_cp` (437 when unknown).
pub fn decode_console(bytes: &[u8], oem_cp: Option<u16>) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16le(rest);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    if looks_utf16le(bytes) {
        return utf16le(bytes);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    decode_code_page(bytes, oem_cp.unwrap_or(437))
}

/// Decodes `bytes` in Windows code page `cp`; unknown code pages fall back to 437, which maps
/// every byte, so decoding never fails.
pub fn decode_code_page(bytes: &[u8], cp: u16) -> String {
    let whatwg = match cp {
        65001 => Some(encoding_rs::UTF_8),
        866 => Some(encoding_rs::IBM866),
        874 => Some(encoding_rs::WINDOWS_874),
        932 => Some(encoding_rs::SHIFT_JIS),
        936 => Some(encoding_rs::GBK),
        949 => Some(encoding_rs::EUC_KR),
        950 => Some(encoding_rs::BIG5),
        1250 => Some(encoding_rs::WINDOWS_1250),
        1251 => Some(encoding_rs::WINDOWS_1251),
        1252 => Some(encoding_rs::WINDOWS_1252),
        1253 => Some(encoding_rs::WINDOWS_1253),
        1254 => Some(encoding_rs::WINDOWS_1254),
        1255 => Some(encoding_rs::WINDOWS_1255),
        1256 => Some(encoding_rs::WINDOWS_1256),
        1257 => Some(encoding_rs::WINDOWS_1257),
        1258 => Some(encoding_rs::WINDOWS_1258),
        _ => None,
    };
    if let Some(enc) = whatwg {
        return enc.decode_without_bom_handling(bytes).0.into_owned();
    }
    let table = oem_cp::code_table::DECODING_TABLE_CP_MAP
        .get(&cp)
        .or_else(|| oem_cp::code_table::DECODING_TABLE_CP_MAP.get(&437));
    match table {
        Some(t) => t.decode_string_lossy(bytes),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn utf16le(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// ASCII-heavy UTF-16LE without a BOM: most odd bytes are zero, few even bytes are.
fn looks_utf16le(bytes: &[u8]) -> bool {
    if bytes.len() < 4 || !bytes.len().is_multiple_of(2) {
        return false;
    }
    let sample = &bytes[..bytes.len().min(4096)];
    let pairs = sample.len() / 2;
    let odd_zero = sample.chunks_exact(2).filter(|c| c[1] == 0).count();
    let even_zero = sample.chunks_exact(2).filter(|c| c[0] == 0).count();
    odd_zero * 10 >= pairs * 6 && even_zero * 10 <= pairs
}

/// Normalises line ends to CRLF (lone LF and lone CR become CRLF; CRLF stays).
pub fn to_crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 20);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\r\n");
            }
            '\n' => out.push_str("\r\n"),
            c => out.push(c),
        }
    }
    out
}

/// Console output as stored in a bundle: decoded, CRLF, UTF-8.
pub fn console_to_bundle_text(bytes: &[u8], oem_cp: Option<u16>) -> String {
    to_crlf(&decode_console(bytes, oem_cp))
}

/// Encodes text as UTF-16LE with a BOM (how `reg export` files are written).
pub fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oem_850_is_decoded() {
        // "Aktive Verbindungen" is ASCII; "Übertragung" starts with 0x9A in CP850.
        let bytes = [0x9A, b'b', b'e', b'r'];
        assert_eq!(decode_console(&bytes, Some(850)), "Über");
        // Unknown code page: 437 (0x9A is also Ü there).
        assert_eq!(decode_console(&bytes, Some(1)), "Über");
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let with = utf16le_with_bom("Rule Name: x\r\n");
        assert_eq!(decode_console(&with, None), "Rule Name: x\r\n");
        assert_eq!(decode_console(&with[2..], None), "Rule Name: x\r\n");
    }

    #[test]
    fn utf8_and_shift_jis() {
        assert_eq!(decode_console("Größe".as_bytes(), Some(437)), "Größe");
        // "接続" in Shift_JIS.
        assert_eq!(decode_console(&[0x90, 0xDA, 0x91, 0xB1], Some(932)), "接続");
    }

    #[test]
    fn line_ends_become_crlf() {
        assert_eq!(to_crlf("a\nb\r\nc\rd"), "a\r\nb\r\nc\r\nd");
        assert_eq!(console_to_bundle_text(b"x\n", None), "x\r\n");
    }
}
