//! `certutil -verifystore -v <store>` (MSRD-Collect `Certificates-My.txt`,
//! `Certificates-RemoteDesktop.txt`): per certificate its thumbprint, subject, issuer,
//! validity, serial, key container, provider, and whether certutil could open its private key —
//! the evidence of root causes (a) and (b).
//!
//! Shape (certutil on en-US Windows 10/11): a store line (`MY "Personal"`), then per
//! certificate `================ Certificate N ================`, `Serial Number:`, `Issuer:` and
//! `Subject:` with one RDN per indented line, ` NotBefore:` / ` NotAfter:` (local time of the
//! collecting host, en-US short format), `Cert Hash(sha1): <hex>`, the key-provider property
//! (`Key Container = `, `Provider = `), then the key test (`Encryption test passed`,
//! `Missing stored keyset`, or an error line such as `Keyset does not exist 0x80090016 (...)`),
//! chain errors (`... CERT_E_...`), and `CertUtil: -verifystore command completed successfully.`
//!
//! Dates: kept as printed and parsed as naive local time when the format is known; they cannot
//! be converted to UTC without the host's time zone, which the caller knows.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::{
    DateOrder, Line, MAX_ITEMS, TextError, ambiguous_date, date_order_of_texts, parse_local_datetime_in,
    prepare, slashed_date_order,
};
use rdpdiag_evtx::model::{Problem, Severity};

/// A whole certutil dump.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CertutilDump {
    /// Store name from the command (`certutil -verifystore -v MY`) or the store line.
    pub store: Option<String>,
    /// Certificates in file order.
    pub certificates: Vec<Certificate>,
    /// `CertUtil: -<verb> command completed successfully.` was seen.
    pub completed: bool,
    /// A `CertUtil: ... FAILED` line, e.g. when the store does not exist.
    pub failure: Option<String>,
    /// Lines that could not be understood.
    pub problems: Vec<Problem>,
}

/// What certutil found about a certificate's private key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum KeyState {
    /// The key opened (`Encryption test passed` / `Signature test passed` / `Private key is
    /// NOT exportable`).
    Present,
    /// `Missing stored keyset`: the container named in the properties does not exist.
    Missing,
    /// Opening the key failed; certutil's error line.
    Unreadable {
        /// The error as printed, e.g. `Access is denied. 0x80070005 (WIN32: 5 ERROR_ACCESS_DENIED)`.
        error: String,
    },
    /// `No key provider information` and no key test: no private key is associated.
    NoKeyInfo,
    /// Nothing about the key was printed.
    Unknown,
}

/// One certificate of the dump.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Certificate {
    /// Line of its `================ Certificate N ================` header.
    pub line: u64,
    /// Index N certutil printed.
    pub index: Option<u32>,
    /// SHA-1 thumbprint, upper-case hex without separators (as `SSLCertificateSHA1Hash` is compared).
    pub thumbprint: Option<String>,
    /// Serial number as printed (lower-case hex, no spaces).
    pub serial: Option<String>,
    /// Subject, RDNs joined with `, ` in printed order.
    pub subject: Option<String>,
    /// Issuer, same form.
    pub issuer: Option<String>,
    /// NotBefore as printed.
    pub not_before_text: Option<String>,
    /// NotAfter as printed.
    pub not_after_text: Option<String>,
    /// NotBefore, local time of the collecting host (naive: no zone known here).
    pub not_before_local: Option<NaiveDateTime>,
    /// NotAfter, local time of the collecting host.
    pub not_after_local: Option<NaiveDateTime>,
    /// Line of NotBefore (0 when absent).
    #[serde(skip)]
    pub not_before_line: u64,
    /// Line of NotAfter (0 when absent).
    #[serde(skip)]
    pub not_after_line: u64,
    /// `Key Container =`.
    pub key_container: Option<String>,
    /// `Unique container name:` (the MachineKeys file name).
    pub unique_container: Option<String>,
    /// `Provider =`.
    pub provider: Option<String>,
    /// Private key state.
    pub key: KeyState,
    /// Enhanced key usage OIDs.
    pub eku: Vec<String>,
    /// DNS names of the Subject Alternative Name.
    pub dns_names: Vec<String>,
    /// Chain verification errors (lines with `CERT_E_` / `CERT_TRUST_` / `TRUST_E_`).
    pub chain_errors: Vec<String>,
    /// Subject equals issuer (`Root Certificate: Subject matches Issuer`).
    pub self_signed: bool,
}

impl Certificate {
    fn new(line: u64, index: Option<u32>) -> Certificate {
        Certificate {
            line,
            index,
            thumbprint: None,
            serial: None,
            subject: None,
            issuer: None,
            not_before_text: None,
            not_after_text: None,
            not_before_local: None,
            not_after_local: None,
            not_before_line: 0,
            not_after_line: 0,
            key_container: None,
            unique_container: None,
            provider: None,
            key: KeyState::Unknown,
            eku: Vec::new(),
            dns_names: Vec::new(),
            chain_errors: Vec::new(),
            self_signed: false,
        }
    }

    /// The certificate's validity has ended at `local_now` (local time of the same host).
    pub fn expired_at(&self, local_now: NaiveDateTime) -> Option<bool> {
        self.not_after_local.map(|t| t < local_now)
    }

    /// certutil reported the chain as outside its validity period.
    pub fn chain_says_expired(&self) -> bool {
        self.chain_errors.iter().any(|e| e.contains("CERT_E_EXPIRED"))
    }
}

/// Parses a certutil dump.
pub fn parse(bytes: &[u8]) -> Result<CertutilDump, TextError> {
    parse_in(bytes, None)
}

/// Parses a certutil dump printed in a culture whose day/month order is `order` (from the
/// manifest), so that ambiguous dates are read.
pub fn parse_in(bytes: &[u8], order: Option<DateOrder>) -> Result<CertutilDump, TextError> {
    let prepared = prepare(bytes)?;
    let store_from_command = prepared.frames.iter().find_map(|f| store_of_command(&f.command));
    let lines: Vec<Line> = prepared.lines.into_iter().map(|(_, l)| l).collect();
    let mut dump = parse_lines_in(&lines, order)?;
    if store_from_command.is_some() {
        dump.store = store_from_command;
    }
    let mut problems = prepared.problems;
    problems.append(&mut dump.problems);
    dump.problems = problems;
    Ok(dump)
}

/// The store argument of a `certutil ... -v <store>` command line.
fn store_of_command(command: &str) -> Option<String> {
    let lower = command.to_ascii_lowercase();
    if !lower.contains("certutil") {
        return None;
    }
    let idx = lower.rfind(" -v ")?;
    let store = command[idx + 4..].trim().trim_matches(['\'', '"']);
    (!store.is_empty()).then(|| store.to_string())
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Section {
    None,
    Issuer,
    Subject,
    Eku,
    San,
}

/// Parses decoded, unframed lines.
pub fn parse_lines(lines: &[Line]) -> Result<CertutilDump, TextError> {
    parse_lines_in(lines, None)
}

/// Parses decoded, unframed lines, reading ambiguous dates in `order` when known.
pub fn parse_lines_in(lines: &[Line], order: Option<DateOrder>) -> Result<CertutilDump, TextError> {
    let mut dump = CertutilDump {
        store: None,
        certificates: Vec::new(),
        completed: false,
        failure: None,
        problems: Vec::new(),
    };
    let mut cert: Option<Certificate> = None;
    let mut section = Section::None;
    let mut issuer_parts: Vec<String> = Vec::new();
    let mut subject_parts: Vec<String> = Vec::new();
    let mut saw_anything = false;

    let finish = |cert: &mut Option<Certificate>,
                  issuer: &mut Vec<String>,
                  subject: &mut Vec<String>,
                  dump: &mut CertutilDump| {
        if let Some(mut c) = cert.take() {
            if !issuer.is_empty() {
                c.issuer = Some(issuer.join(", "));
            }
            if !subject.is_empty() {
                c.subject = Some(subject.join(", "));
            }
            if dump.certificates.len() < MAX_ITEMS {
                dump.certificates.push(c);
            }
        }
        issuer.clear();
        subject.clear();
    };

    for line in lines {
        let raw = line.text.as_str();
        let t = raw.trim();
        if let Some(index) = cert_header(t) {
            finish(&mut cert, &mut issuer_parts, &mut subject_parts, &mut dump);
            cert = Some(Certificate::new(line.no, index));
            section = Section::None;
            saw_anything = true;
            continue;
        }
        if let Some(rest) = t.strip_prefix("CertUtil:") {
            saw_anything = true;
            let rest = rest.trim();
            if COMPLETED.iter().any(|w| rest.contains(w)) {
                dump.completed = true;
            } else if rest.to_ascii_uppercase().contains("FAILED") || rest.contains("0x") {
                dump.failure = Some(rest.to_string());
            }
            finish(&mut cert, &mut issuer_parts, &mut subject_parts, &mut dump);
            continue;
        }
        let Some(c) = cert.as_mut() else {
            // Before the first certificate: the store line.
            if dump.store.is_none() && !t.is_empty() {
                let store = match t.split_once(" \"") {
                    Some((name, _)) => name.trim(),
                    None => t,
                };
                if store.len() <= 128 {
                    dump.store = Some(store.to_string());
                }
            }
            continue;
        };
        if t.is_empty() {
            if matches!(section, Section::Eku | Section::San) {
                section = Section::None;
            }
            continue;
        }
        let indented = raw.starts_with("    ") || raw.starts_with('\t');
        // Sections of indented lines.
        match section {
            Section::Issuer | Section::Subject if indented => {
                if !t.starts_with("Name Hash(") {
                    let parts = if section == Section::Issuer {
                        &mut issuer_parts
                    } else {
                        &mut subject_parts
                    };
                    if parts.len() < 64 {
                        parts.push(t.to_string());
                    }
                }
                continue;
            }
            Section::Eku if indented && !t.contains(": Flags =") => {
                if let Some(oid) = eku_oid(t)
                    && c.eku.len() < 64
                {
                    c.eku.push(oid);
                }
                continue;
            }
            Section::San if indented && !t.contains(": Flags =") => {
                if let Some(dns) = t.strip_prefix("DNS Name=")
                    && c.dns_names.len() < 256
                {
                    c.dns_names.push(dns.trim().to_string());
                }
                continue;
            }
            _ => section = Section::None,
        }
        if ISSUER_LABELS.contains(&t) {
            section = Section::Issuer;
        } else if SUBJECT_LABELS.contains(&t) {
            section = Section::Subject;
        } else if let Some(v) = inline_value(t, ISSUER_LABELS) {
            // `Issuer: CN=CA` on one line (`certutil -store` without `-v`). Only the first one:
            // `-verifystore -v` repeats `Issuer:`/`Subject:` inline for chain elements, which
            // are not this certificate's.
            if issuer_parts.is_empty() {
                issuer_parts.push(v);
            }
        } else if let Some(v) = inline_value(t, SUBJECT_LABELS) {
            if subject_parts.is_empty() {
                subject_parts.push(v);
            }
        } else if t == "Enhanced Key Usage" {
            section = Section::Eku;
        } else if t == "Subject Alternative Name" {
            section = Section::San;
        } else if let Some(v) = SERIAL_LABELS.iter().find_map(|l| t.strip_prefix(l)) {
            c.serial = Some(v.trim().replace(' ', "").to_ascii_lowercase());
        } else if let Some(v) = t.strip_prefix("NotBefore:") {
            // Dates are read after the whole file (see `read_dates`).
            c.not_before_text = Some(v.trim().to_string());
            c.not_before_line = line.no;
        } else if let Some(v) = t.strip_prefix("NotAfter:") {
            c.not_after_text = Some(v.trim().to_string());
            c.not_after_line = line.no;
        } else if let Some(v) = CERT_HASH_LABELS.iter().find_map(|l| t.strip_prefix(l)) {
            match normalise_thumbprint(v) {
                Some(h) => c.thumbprint = Some(h),
                None => dump.problems.push(Problem::at_line(
                    Severity::Warning,
                    line.no,
                    "Cert Hash(sha1) is not 20 hex bytes",
                )),
            }
        } else if let Some(v) = t.strip_prefix("Key Container =") {
            c.key_container = Some(v.trim().to_string());
        } else if let Some(v) = t.strip_prefix("Unique container name:") {
            c.unique_container = Some(v.trim().to_string());
        } else if let Some(v) = PROVIDER_LABELS.iter().find_map(|l| t.strip_prefix(l)) {
            c.provider = Some(v.trim().to_string());
        } else if t == "Root Certificate: Subject matches Issuer" {
            c.self_signed = true;
        } else if t == "Missing stored keyset" {
            c.key = KeyState::Missing;
        } else if NO_KEY_INFO.contains(&t) {
            if c.key == KeyState::Unknown {
                c.key = KeyState::NoKeyInfo;
            }
        } else if t == "Encryption test passed"
            || t == "Signature test passed"
            || t == "Private key is NOT exportable"
            || t == "Private key is exportable"
        {
            if !matches!(c.key, KeyState::Unreadable { .. } | KeyState::Missing) {
                c.key = KeyState::Present;
            }
        } else if is_chain_error(t) {
            if c.chain_errors.len() < 32 {
                c.chain_errors.push(t.to_string());
            }
        } else if is_key_error(t) {
            c.key = KeyState::Unreadable { error: t.to_string() };
        }
    }
    finish(&mut cert, &mut issuer_parts, &mut subject_parts, &mut dump);
    read_dates(&mut dump, order);
    if !saw_anything {
        let first = lines.iter().find(|l| !l.text.trim().is_empty());
        return Err(match first {
            Some(l) => TextError::Line {
                line: l.no,
                message:
                    "not certutil output: no `================ Certificate N` block and no `CertUtil:` line"
                        .into(),
            },
            None => TextError::Format("empty file".into()),
        });
    }
    Ok(dump)
}

/// The thumbprint label. Sources: certutil output (en-US, e.g. the corpus and public dumps);
/// German `Zertifikathash(sha1):` and Japanese `証明書ハッシュ(sha1):` in a public Rust test of a
/// certutil parser (code-search hit 57801239862, `parse_certutil_sha1_japanese_locale`);
/// Simplified Chinese `证书哈希(sha1):` in several public parsers and fixtures, one "taken from
/// a Chinese Windows Server" (code-search hits 57936371887, 56649510975, 70499271029);
/// Spanish `Hash cert.(sha1):` in the comment of a public parser describing "the typical
/// format" of `certutil -store -user My` (hit 54130019593, a secondary source). French,
/// Italian and Portuguese labels were not found: a dump in such a language gives certificates
/// without a thumbprint, which make "not in the store" unknown.
const CERT_HASH_LABELS: &[&str] = &[
    "Cert Hash(sha1):",
    "Zertifikathash(sha1):",
    "証明書ハッシュ(sha1):",
    "证书哈希(sha1):",
    "Hash cert.(sha1):",
];

/// `Serial Number:`; Simplified Chinese `序列号:` (code-search hits 57936371887, 56649510975);
/// Spanish `Número de serie:` (hit 54130019593).
const SERIAL_LABELS: &[&str] = &["Serial Number:", "序列号:", "Número de serie:"];

/// `Issuer:`; Simplified Chinese `颁发者:` (same hits); Japanese `発行者:` (hit 57801239862);
/// Spanish `Emisor:` (hit 54130019593).
const ISSUER_LABELS: &[&str] = &["Issuer:", "颁发者:", "発行者:", "Emisor:"];

/// `Subject:`; Simplified Chinese `使用者:` (same hits); Japanese `サブジェクト:` (hit 57801239862);
/// Spanish `Sujeto:` (hit 54130019593).
const SUBJECT_LABELS: &[&str] = &["Subject:", "使用者:", "サブジェクト:", "Sujeto:"];

/// `Provider =`; Simplified Chinese `提供程序 =` (hit 57936371887, "measured on a Chinese
/// Windows Server").
const PROVIDER_LABELS: &[&str] = &["Provider =", "提供程序 ="];

/// `No key provider information`; Simplified Chinese `没有密钥提供程序信息` (hit 57936371887).
const NO_KEY_INFO: &[&str] = &["No key provider information", "没有密钥提供程序信息"];

/// The end of a successful run: `CertUtil: -verifystore command completed successfully.`;
/// Simplified Chinese `CertUtil: -store 命令成功完成。` (hit 56649510975).
const COMPLETED: &[&str] = &["completed successfully", "命令成功完成"];

/// The value after one of `labels` on the same line (`Issuer: CN=CA`), when there is one.
fn inline_value(t: &str, labels: &[&str]) -> Option<String> {
    let v = labels.iter().find_map(|l| t.strip_prefix(l))?.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// Reads NotBefore/NotAfter of every certificate: unambiguous forms always; ambiguous slashed
/// dates (`1/2/2024`) in `order` when known, else in the order the file's other dates prove
/// (one certutil run prints one culture's format); still ambiguous → unknown, with a problem.
pub fn read_dates(dump: &mut CertutilDump, order: Option<DateOrder>) {
    let file_order = order.or_else(|| {
        date_order_of_texts(
            dump.certificates
                .iter()
                .flat_map(|c| [c.not_before_text.as_deref(), c.not_after_text.as_deref()])
                .flatten(),
        )
    });
    let mut problems = Vec::new();
    for c in &mut dump.certificates {
        for (text, local, line, label) in [
            (
                &c.not_before_text,
                &mut c.not_before_local,
                c.not_before_line,
                "NotBefore",
            ),
            (
                &c.not_after_text,
                &mut c.not_after_local,
                c.not_after_line,
                "NotAfter",
            ),
        ] {
            let Some(text) = text else { continue };
            if local.is_some() {
                continue;
            }
            *local = parse_local_datetime_in(text, file_order);
            if local.is_none() {
                problems.push(
                    if slashed_date_order(text).is_none() && text.contains('/') && file_order.is_none() {
                        ambiguous_date(line, format!("{label} {text:?}"))
                    } else {
                        Problem::at_line(
                            Severity::Warning,
                            line,
                            format!("{label} {text:?}: date format not recognised"),
                        )
                    },
                );
            }
        }
    }
    dump.problems.append(&mut problems);
}

/// `================ Certificate 3 ================` → `Some(Some(3))`; the word is
/// translated on other languages (`Zertifikat`, unverified), so any one word before the number.
fn cert_header(t: &str) -> Option<Option<u32>> {
    let inner = t
        .strip_prefix("================")?
        .strip_suffix("================")?;
    let inner = inner.trim();
    let (word, rest) = inner.rsplit_once(' ').unwrap_or((inner, ""));
    if word.is_empty() || word.contains(' ') || word.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(rest.trim().parse().ok())
}

/// `Server Authentication (1.3.6.1.5.5.7.3.1)` → the OID; a bare OID is returned as is.
fn eku_oid(t: &str) -> Option<String> {
    let is_oid =
        |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.') && s.contains('.');
    if let Some(open) = t.rfind('(') {
        let inner = t[open + 1..].trim_end_matches(')');
        if is_oid(inner) {
            return Some(inner.to_string());
        }
    }
    let first = t.split_whitespace().next()?;
    is_oid(first).then(|| first.to_string())
}

/// Hex thumbprint with or without spaces → 40 upper-case hex digits.
pub fn normalise_thumbprint(s: &str) -> Option<String> {
    let hex: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (hex.len() == 40 && hex.chars().all(|c| c.is_ascii_hexdigit())).then(|| hex.to_ascii_uppercase())
}

fn is_chain_error(t: &str) -> bool {
    t.contains("CERT_E_") || t.contains("CERT_TRUST_") || t.contains("TRUST_E_") || t.contains("CRYPT_E_")
}

/// certutil's error style `<message> 0x80090016 (-2146893802 NTE_BAD_KEYSET)` or
/// `... 0x80070005 (WIN32: 5 ERROR_ACCESS_DENIED)`.
fn is_key_error(t: &str) -> bool {
    (t.contains(" 0x8") || t.starts_with("0x8"))
        && (t.contains("NTE_") || t.contains("WIN32:") || t.contains("SCARD_") || t.contains("(-21"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_oids() {
        assert_eq!(
            cert_header("================ Certificate 12 ================"),
            Some(Some(12))
        );
        assert_eq!(cert_header("== x =="), None);
        assert_eq!(
            eku_oid("Server Authentication (1.3.6.1.5.5.7.3.1)").as_deref(),
            Some("1.3.6.1.5.5.7.3.1")
        );
        assert_eq!(
            eku_oid("1.3.6.1.5.5.7.3.1 Server Authentication").as_deref(),
            Some("1.3.6.1.5.5.7.3.1")
        );
        assert_eq!(
            normalise_thumbprint("d6 d3 ab b4 08 5a 03 b7 c6 1d 7f 1b 67 fe a2 38 64 01 9d 29").as_deref(),
            Some("D6D3ABB4085A03B7C61D7F1B67FEA23864019D29")
        );
        assert_eq!(
            store_of_command("certutil -verifystore -v 'Remote Desktop'").as_deref(),
            Some("Remote Desktop")
        );
    }
}
