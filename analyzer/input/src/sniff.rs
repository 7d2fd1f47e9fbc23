//! What a file is, by its content: users rename files, MSRD-Collect writes `.reg` exports as
//! `.txt`, and an ad-hoc zip may hold `System.log` that is really an EVTX file.
//!
//! The name is used only to tell apart binary formats without a fixed magic (ETL).

use rdpdiag_schemas::ArtifactKind;
use rdpdiag_schemas::domain::TextFormat;
use serde::Serialize;

/// The content kind of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "format")]
pub enum ContentKind {
    /// `ElfFile\0`.
    Evtx,
    /// `reg export` / regedit text (UTF-16LE with BOM, or UTF-8/ANSI).
    Reg,
    /// Raw registry hive (`regf`).
    Hive,
    /// Event trace log (binary; recognised by its `.etl` name).
    Etl,
    /// XML (tracerpt or wevtutil export).
    TraceXml,
    /// tracerpt CSV.
    TraceCsv,
    /// JSON.
    Json,
    /// An event log reduced and redacted by the collector's `--redact` (JSON Lines).
    RedactedEvents,
    /// Command output or other text, with the shape recognised.
    Text(TextFormat),
    /// A zip inside the input (not opened: nesting is how zip bombs multiply).
    Zip,
    /// Binary content of no known kind.
    Binary,
    /// Zero bytes.
    Empty,
}

impl ContentKind {
    /// The manifest's artifact kind for this content, when there is one.
    pub fn artifact_kind(self) -> Option<ArtifactKind> {
        Some(match self {
            ContentKind::Evtx => ArtifactKind::Evtx,
            ContentKind::Reg => ArtifactKind::Reg,
            ContentKind::Hive => ArtifactKind::Hive,
            ContentKind::Etl => ArtifactKind::Etl,
            ContentKind::TraceXml => ArtifactKind::TraceXml,
            ContentKind::TraceCsv => ArtifactKind::TraceCsv,
            ContentKind::Json => ArtifactKind::Json,
            ContentKind::RedactedEvents => ArtifactKind::RedactedEvents,
            ContentKind::Text(_) => ArtifactKind::Text,
            ContentKind::Zip | ContentKind::Binary | ContentKind::Empty => return None,
        })
    }

    /// Short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            ContentKind::Evtx => "evtx",
            ContentKind::Reg => "reg",
            ContentKind::Hive => "hive",
            ContentKind::Etl => "etl",
            ContentKind::TraceXml => "xml",
            ContentKind::TraceCsv => "csv",
            ContentKind::Json => "json",
            ContentKind::RedactedEvents => "redacted-events",
            ContentKind::Text(TextFormat::CertutilStore) => "text/certutil",
            ContentKind::Text(TextFormat::AclList) => "text/acl",
            ContentKind::Text(TextFormat::Netstat) => "text/netstat",
            ContentKind::Text(TextFormat::FirewallRules) => "text/firewall-rules",
            ContentKind::Text(TextFormat::W32tmStatus) => "text/w32tm",
            ContentKind::Text(TextFormat::Ipconfig) => "text/ipconfig",
            ContentKind::Text(TextFormat::Other) => "text",
            ContentKind::Zip => "zip",
            ContentKind::Binary => "binary",
            ContentKind::Empty => "empty",
        }
    }
}

/// How much of a file is decoded to recognise text shapes.
const PEEK: usize = 16 * 1024;

/// Decodes the start of a file as text if it looks like text: UTF-16LE/BE (with BOM, or
/// UTF-16LE without one, as PowerShell sometimes writes), UTF-8 (BOM optional) or ANSI.
/// `None` for binary content.
pub fn decode_text_prefix(bytes: &[u8], max: usize) -> Option<String> {
    let head = &bytes[..bytes.len().min(max)];
    if let Some(rest) = head.strip_prefix(&[0xFF, 0xFE]) {
        return Some(utf16(rest, u16::from_le_bytes));
    }
    if let Some(rest) = head.strip_prefix(&[0xFE, 0xFF]) {
        return Some(utf16(rest, u16::from_be_bytes));
    }
    let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    // UTF-16LE without BOM: ASCII text with a NUL after every character.
    let pairs = head.len() / 2;
    if pairs >= 4 {
        let odd_nuls = head.chunks_exact(2).filter(|p| p[1] == 0 && p[0] != 0).count();
        if odd_nuls * 10 >= pairs * 9 {
            return Some(utf16(head, u16::from_le_bytes));
        }
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    if controls * 100 > head.len() {
        return None;
    }
    Some(match std::str::from_utf8(head) {
        Ok(s) => s.to_string(),
        // Cut in the middle of a character, or ANSI: keep what decodes.
        Err(_) => String::from_utf8_lossy(head).into_owned(),
    })
}

fn utf16(bytes: &[u8], f: fn([u8; 2]) -> u16) -> String {
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| f([c[0], c[1]])).collect();
    String::from_utf16_lossy(&units)
}

/// Recognises a file's content. `name` is the file name (used only for ETL).
pub fn sniff(bytes: &[u8], name: &str) -> ContentKind {
    if bytes.is_empty() {
        return ContentKind::Empty;
    }
    if bytes.starts_with(b"ElfFile\0") {
        return ContentKind::Evtx;
    }
    if bytes.starts_with(b"regf") {
        return ContentKind::Hive;
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return ContentKind::Zip;
    }
    let Some(text) = decode_text_prefix(bytes, PEEK) else {
        return if name.to_ascii_lowercase().ends_with(".etl") {
            ContentKind::Etl
        } else {
            ContentKind::Binary
        };
    };
    sniff_text(&text)
}

/// Lines shaped like netstat socket rows (`TCP <addr>:<port> <addr>:<port> ...`): netstat's
/// headers are translated, its rows are not.
fn socket_rows(t: &str) -> usize {
    t.lines()
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() >= 3
                && (f[0] == "TCP" || f[0] == "UDP")
                && f[1]
                    .rsplit_once(':')
                    .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
                && f[2].contains(':')
        })
        .take(2)
        .count()
}

/// icacls output: a line starting with a path (`C:\...`) and `account:(rights)` entries with
/// icacls' untranslated right letters.
fn icacls_lines(t: &str) -> bool {
    let mut path = false;
    let mut aces = 0;
    for l in t.lines().take(2000) {
        let b = l.as_bytes();
        if b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\' {
            path = true;
        }
        let e = l.trim_end();
        if e.ends_with(')')
            && e.contains(":(")
            && [
                "(F)", "(R)", "(M)", "(RX)", "(W)", "(N)", "(I)", "(OI)", "(CI)", "(DENY)",
            ]
            .iter()
            .any(|r| e.contains(r))
        {
            aces += 1;
        }
    }
    path && aces > 0
}

/// netsh's rule blocks whatever the language: a `Label: value` line followed by a line of
/// 70 dashes (the labels are translated, the frame is not).
fn netsh_blocks(t: &str) -> bool {
    let mut prev_has_colon = false;
    for l in t.lines() {
        let l = l.trim();
        if prev_has_colon && l.len() >= 60 && l.chars().all(|c| c == '-') {
            return true;
        }
        prev_has_colon = l.contains(':');
    }
    false
}

/// certutil's certificate header with the word translated (`================ Zertifikat 0
/// ================`).
fn has_cert_header(t: &str) -> bool {
    t.lines().any(|l| {
        let l = l.trim();
        l.len() < 80
            && l.starts_with("================ ")
            && l.ends_with(" ================")
            && l.trim_matches('=')
                .trim()
                .rsplit_once(' ')
                .is_some_and(|(w, n)| !w.contains(' ') && n.parse::<u32>().is_ok())
    })
}

fn sniff_text(text: &str) -> ContentKind {
    let t = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if t.starts_with("Windows Registry Editor Version") || t.starts_with("REGEDIT4") {
        return ContentKind::Reg;
    }
    if t.starts_with("<?xml") || t.starts_with("<Events") || t.starts_with("<Event ") {
        return ContentKind::TraceXml;
    }
    if rdpdiag_evtx::redacted::is_redacted_events(t) {
        return ContentKind::RedactedEvents;
    }
    if t.starts_with('{') || t.starts_with('[') {
        return ContentKind::Json;
    }
    let first_line = t.lines().next().unwrap_or("");
    if first_line.starts_with("Event Name,") || first_line.starts_with("\"Event Name\",") {
        return ContentKind::TraceCsv;
    }
    let has = |needle: &str| t.contains(needle);
    let format = if has("CertUtil:") || has("================ Certificate") || has_cert_header(t) {
        TextFormat::CertutilStore
    } else if (has("FileSystemRights") && has("IdentityReference")) || icacls_lines(t) {
        TextFormat::AclList
    } else if has("Active Connections") || (has("Proto") && has("Local Address")) || socket_rows(t) >= 2 {
        TextFormat::Netstat
    } else if (has("Rule Name:") && has("Direction:"))
        || (has("Regelname:") && has("Richtung:"))
        || netsh_blocks(t)
    {
        TextFormat::FirewallRules
    } else if has("Leap Indicator:") || (has("Stratum:") && has("Source:")) {
        TextFormat::W32tmStatus
    } else if has("Windows IP Configuration")
        // German and French titles: code-search hits quoting real ipconfig output.
        || has("Windows-IP-Konfiguration")
        || has("Configuration IP de Windows")
    {
        TextFormat::Ipconfig
    } else {
        TextFormat::Other
    };
    ContentKind::Text(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le_bom(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        v.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        v
    }

    #[test]
    fn magic_numbers() {
        assert_eq!(sniff(b"ElfFile\0rest", "x.log"), ContentKind::Evtx);
        assert_eq!(sniff(b"regf\x01\x02", "SYSTEM"), ContentKind::Hive);
        assert_eq!(sniff(b"PK\x03\x04", "inner.bin"), ContentKind::Zip);
        assert_eq!(sniff(b"", "a.evtx"), ContentKind::Empty);
        assert_eq!(sniff(&[0, 1, 2, 3, 0, 0, 9, 200], "x.bin"), ContentKind::Binary);
        assert_eq!(sniff(&[0, 1, 2, 3, 0, 0, 9, 200], "trace.ETL"), ContentKind::Etl);
    }

    #[test]
    fn registry_exports_in_any_encoding() {
        let text = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\X]\r\n";
        assert_eq!(sniff(&utf16le_bom(text), "x.txt"), ContentKind::Reg);
        assert_eq!(sniff(text.as_bytes(), "x.txt"), ContentKind::Reg);
        assert_eq!(sniff(b"REGEDIT4\r\n", "x"), ContentKind::Reg);
        let no_bom: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(sniff(&no_bom, "x.dat"), ContentKind::Reg);
    }

    #[test]
    fn text_shapes() {
        assert_eq!(
            sniff(b"\r\nActive Connections\r\n\r\n  Proto  Local Address", "n.txt"),
            ContentKind::Text(TextFormat::Netstat)
        );
        assert_eq!(
            sniff(
                &utf16le_bom("FileSystemRights  : FullControl\r\nIdentityReference : NT AUTHORITY\\SYSTEM"),
                "a.txt"
            ),
            ContentKind::Text(TextFormat::AclList)
        );
        assert_eq!(
            sniff(
                b"Rule Name: Remote Desktop\r\nEnabled: Yes\r\nDirection: In",
                "fw.txt"
            ),
            ContentKind::Text(TextFormat::FirewallRules)
        );
        assert_eq!(sniff(b"{\"a\": 1}", "x.txt"), ContentKind::Json);
        assert_eq!(sniff(b"hello\n", "x.evtx"), ContentKind::Text(TextFormat::Other));
    }

    #[test]
    fn localized_outputs_by_shape() {
        let t = |s: &str| sniff(s.as_bytes(), "x.txt");
        assert_eq!(
            t(
                "\r\nAktive Verbindungen\r\n\r\n  Proto  Lokale Adresse   Remoteadresse   Status   PID\r\n  TCP    0.0.0.0:135   0.0.0.0:0   ABHÖREN   900\r\n  TCP    0.0.0.0:3389   0.0.0.0:0   ABHÖREN   1044\r\n"
            ),
            ContentKind::Text(TextFormat::Netstat)
        );
        assert_eq!(
            t(
                "\r\nNom de la règle:      Bureau à distance\r\n----------------------------------------------------------------------\r\nActivé:     Oui\r\n"
            ),
            ContentKind::Text(TextFormat::FirewallRules)
        );
        assert_eq!(
            t("MY\r\n================ Zertifikat 0 ================\r\nSeriennummer: 1a\r\n"),
            ContentKind::Text(TextFormat::CertutilStore)
        );
        assert_eq!(
            t("\r\nWindows-IP-Konfiguration\r\n\r\n   IPv4-Adresse  . . : 10.0.0.5\r\n"),
            ContentKind::Text(TextFormat::Ipconfig)
        );
    }
}
