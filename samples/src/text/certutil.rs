//! `certutil -verifystore -v <store>` output, as MSRD-Collect writes it to
//! `<C>_Certificates-My.txt` and `<C>_Certificates-RemoteDesktop.txt`.
//!
//! Sources followed:
//! - A real `certutil -store -v my` dump (Windows 10, quoted in the ACRN secure-boot guide):
//!   store line `my "Personal"`, `================ Certificate 0 ================`,
//!   `X509 Certificate:` / `Version: 3` / `Serial Number:`, algorithm blocks, `Issuer:` and
//!   `Subject:` with one RDN per indented line and `Name Hash(sha1|md5)` at the same indent, ` NotBefore:` /
//!   ` NotAfter:` with a leading space between blank lines, the public key and signature hex
//!   dumps, `Certificate Extensions: N`, `Signature matches Public Key`,
//!   `Root Certificate: Subject matches Issuer`, the `Key Id Hash(...)` / `Cert Hash(...)` lines
//!   (lower-case hex without spaces on current Windows), then the properties
//!   (`  CERT_KEY_PROV_INFO_PROP_ID(2):` / `    Key Container = ...` / `    Provider = ...` /
//!   `ProviderType`, `Flags = 20 (32)` / `CRYPT_MACHINE_KEYSET -- 20 (32)`, `KeySpec`), then
//!   `Private key is NOT exportable` and the key test line.
//! - Real `certutil -store My` outputs for a missing key (`Missing stored keyset`, a blank line
//!   between certificates, `No key provider information`) and the final
//!   `CertUtil: -<verb> command completed successfully.`; certutil's error style
//!   `<message> 0x80090016 (-2146893802 NTE_BAD_KEYSET)`.
//! - A real `certutil -verify` output for the chain summary (`Verified Issuance Policies:`,
//!   `Verified Application Policies:`, `Leaf certificate revocation check passed`,
//!   `------------------------------------`).
//! - The RDP self-signed certificate (field guide 4.11): subject `CN=<FQDN>`, container
//!   `TSSecKeySet1`, "Microsoft Enhanced Cryptographic Provider v1.0", AT_KEYEXCHANGE, not
//!   exportable, key file `f686aace6942fb7f7ceb231212eef4a4_<MachineGuid>`, EKU Server
//!   Authentication, about six months of validity.
//!
//! Guesses and simplifications: dates use the en-US format (`M/d/yyyy h:mm AM`); the store line
//! of stores without a localized name (`Remote Desktop`) is the bare name; hash values other than
//! `Cert Hash(sha1)`, the public key, the signature and the serial of the helpers are
//! deterministic filler, not real cryptographic values; the `-v` key details certutil prints for
//! a readable key (provider parameters, KP_PERMISSIONS, the key's SDDL) and the chain-context
//! dump are left out; where certutil prints chain errors for an untrusted root or an expired
//! certificate and how it words them per certificate under `-verifystore` is reconstructed from
//! its usual error style.

use chrono::NaiveDateTime;

use super::{crlf_lines, en_us_date_time_short};

/// Container name of the RDP self-signed certificate's key.
pub const RDP_KEY_CONTAINER: &str = "TSSecKeySet1";

/// CSP of the RDP self-signed certificate's key.
pub const RDP_KEY_PROVIDER: &str = "Microsoft Enhanced Cryptographic Provider v1.0";

/// Chain error line for a root not in the trusted root store (certutil error style).
pub const UNTRUSTED_ROOT_ERROR: &str = concat!(
    "A certificate chain processed, but terminated in a root certificate which is not trusted ",
    "by the trust provider. 0x800b0109 (-2146762487 CERT_E_UNTRUSTEDROOT)"
);

/// Chain error line for a certificate outside its validity period (certutil error style).
pub const EXPIRED_ERROR: &str = concat!(
    "A required certificate is not within its validity period when verifying against the ",
    "current system clock or the timestamp in the signed file. 0x800b0101 (-2146762495 CERT_E_EXPIRED)"
);

/// Equals-sign line framing each certificate's index.
const CERT_RULE: &str = "================";

/// State of the certificate's private key as certutil finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivateKeyState {
    /// Key opened; `exportable == false` prints `Private key is NOT exportable`.
    Present {
        /// Whether the key may be exported.
        exportable: bool,
    },
    /// The key container named in the certificate's properties does not exist
    /// (`Missing stored keyset`).
    Missing,
    /// Opening the key failed; the text is printed as certutil prints the error, e.g.
    /// `Access is denied. 0x80070005 (WIN32: 5 ERROR_ACCESS_DENIED)`.
    Unreadable(String),
}

impl PrivateKeyState {
    /// Opening the key file was refused (key file ACL).
    pub fn access_denied() -> PrivateKeyState {
        PrivateKeyState::Unreadable("Access is denied. 0x80070005 (WIN32: 5 ERROR_ACCESS_DENIED)".to_string())
    }

    /// The provider reports that the keyset does not exist (key file gone or corrupt).
    pub fn keyset_does_not_exist() -> PrivateKeyState {
        PrivateKeyState::Unreadable(
            "Keyset does not exist 0x80090016 (-2146893802 NTE_BAD_KEYSET)".to_string(),
        )
    }
}

/// Result of the chain verification `-verifystore` does for each certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChainVerdict {
    /// Chain to a trusted root, time valid.
    #[default]
    Valid,
    /// Self-signed (or private-CA) certificate whose root is not in the trusted root store —
    /// normal for the RDP self-signed certificate.
    UntrustedRoot,
    /// Outside its validity period.
    Expired,
}

/// What certutil shows of one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// Serial number, lower-case hex as certutil prints it.
    pub serial: String,
    /// Issuer DN, RDNs separated by `, ` (`CN=host.contoso.com` or `CN=CA, DC=contoso, DC=com`).
    pub issuer: String,
    /// Subject DN, same form.
    pub subject: String,
    /// Start of validity, local time.
    pub not_before: NaiveDateTime,
    /// End of validity, local time.
    pub not_after: NaiveDateTime,
    /// SHA-1 thumbprint (what `SSLCertificateSHA1Hash` holds).
    pub sha1_thumbprint: [u8; 20],
    /// Key container from the certificate's key-provider property; `None` prints
    /// `No key provider information`.
    pub key_container: Option<String>,
    /// Provider (CSP/KSP) name.
    pub provider: Option<String>,
    /// What opening the key gives.
    pub private_key: PrivateKeyState,
    /// Enhanced key usages as OIDs (`1.3.6.1.5.5.7.3.1`); known OIDs are named in the output.
    /// A non-OID entry is printed as is.
    pub eku: Vec<String>,
    /// DNS names of the Subject Alternative Name extension (no SAN extension when empty).
    pub dns_names: Vec<String>,
    /// `Unique container name:` (the MachineKeys file name), printed when the key is present.
    pub unique_container: Option<String>,
    /// Chain verification result.
    pub chain: ChainVerdict,
}

impl Default for CertificateInfo {
    fn default() -> CertificateInfo {
        CertificateInfo {
            serial: String::new(),
            issuer: String::new(),
            subject: String::new(),
            not_before: NaiveDateTime::default(),
            not_after: NaiveDateTime::default(),
            sha1_thumbprint: [0; 20],
            key_container: None,
            provider: None,
            private_key: PrivateKeyState::Present { exportable: false },
            eku: Vec::new(),
            dns_names: Vec::new(),
            unique_container: None,
            chain: ChainVerdict::Valid,
        }
    }
}

impl CertificateInfo {
    /// The self-signed certificate TermService creates in the "Remote Desktop" store for
    /// `fqdn`, valid 182 days from `not_before`, key `TSSecKeySet1` in
    /// `f686aace6942fb7f7ceb231212eef4a4_<machine_guid>`.
    pub fn rdp_self_signed(
        fqdn: &str,
        machine_guid: &str,
        not_before: NaiveDateTime,
        thumbprint: [u8; 20],
    ) -> CertificateInfo {
        let serial = hex_lower(&filler_bytes(&format!("serial:{}", hex_lower(&thumbprint)), 16));
        CertificateInfo {
            serial,
            issuer: format!("CN={fqdn}"),
            subject: format!("CN={fqdn}"),
            not_before,
            not_after: not_before + chrono::Duration::days(182),
            sha1_thumbprint: thumbprint,
            key_container: Some(RDP_KEY_CONTAINER.to_string()),
            provider: Some(RDP_KEY_PROVIDER.to_string()),
            private_key: PrivateKeyState::Present { exportable: false },
            eku: vec![OID_SERVER_AUTH.to_string()],
            dns_names: Vec::new(),
            unique_container: Some(super::acl::rdp_key_file_name(machine_guid)),
            chain: ChainVerdict::UntrustedRoot,
        }
    }

    /// The thumbprint as certutil and the registry subkey names show it, upper-case hex.
    pub fn thumbprint_hex_upper(&self) -> String {
        hex_lower(&self.sha1_thumbprint).to_uppercase()
    }
}

/// `certutil -verifystore -v <store>` as MSRD-Collect shows it in the file header
/// (`certutil -verifystore -v MY`, `certutil -verifystore -v 'Remote Desktop'`).
pub fn certutil_verifystore_command(store: &str) -> String {
    if store.contains(' ') {
        format!("certutil -verifystore -v '{store}'")
    } else {
        format!("certutil -verifystore -v {store}")
    }
}

/// The text of `certutil -verifystore -v <store>` listing `certs` (CRLF line ends).
pub fn certutil_verifystore(store: &str, certs: &[CertificateInfo]) -> String {
    let mut lines: Vec<String> = vec![store_line(store)];
    for (i, cert) in certs.iter().enumerate() {
        if i > 0 {
            lines.push(String::new());
        }
        cert_lines(&mut lines, i, cert);
    }
    lines.push("CertUtil: -verifystore command completed successfully.".to_string());
    crlf_lines(lines)
}

const OID_SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";

/// Friendly names of EKU OIDs certutil resolves.
fn eku_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.3.6.1.5.5.7.3.1" => "Server Authentication",
        "1.3.6.1.5.5.7.3.2" => "Client Authentication",
        "1.3.6.1.5.5.7.3.3" => "Code Signing",
        "1.3.6.1.5.5.7.3.4" => "Secure Email",
        "1.3.6.1.4.1.311.54.1.2" => "Remote Desktop Authentication",
        "1.3.6.1.4.1.311.20.2.2" => "Smart Card Logon",
        _ => return None,
    })
}

fn store_line(store: &str) -> String {
    let friendly = match store.to_ascii_uppercase().as_str() {
        "MY" => Some("Personal"),
        "ROOT" => Some("Trusted Root Certification Authorities"),
        "CA" => Some("Intermediate Certification Authorities"),
        _ => None,
    };
    match friendly {
        Some(f) => format!("{store} \"{f}\""),
        None => store.to_string(),
    }
}

fn cert_lines(lines: &mut Vec<String>, index: usize, c: &CertificateInfo) {
    let thumb = hex_lower(&c.sha1_thumbprint);
    let seed = |what: &str| format!("{what}:{thumb}");
    let self_signed = c.issuer == c.subject;

    lines.push(format!("{CERT_RULE} Certificate {index} {CERT_RULE}"));
    lines.push("X509 Certificate:".to_string());
    lines.push("Version: 3".to_string());
    lines.push(format!("Serial Number: {}", c.serial));
    push_algorithm(lines, "Signature Algorithm:", "1.2.840.113549.1.1.11 sha256RSA");
    push_name(lines, "Issuer:", &c.issuer);
    lines.push(String::new());
    lines.push(format!(" NotBefore: {}", en_us_date_time_short(&c.not_before)));
    lines.push(format!(" NotAfter: {}", en_us_date_time_short(&c.not_after)));
    lines.push(String::new());
    push_name(lines, "Subject:", &c.subject);
    lines.push(String::new());
    push_algorithm(lines, "Public Key Algorithm:", "1.2.840.113549.1.1.1 RSA");
    lines.push("Public Key Length: 2048 bits".to_string());
    lines.push("Public Key: UnusedBits = 0".to_string());
    let mut key = vec![0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00];
    let mut modulus = filler_bytes(&seed("modulus"), 256);
    if let Some(first) = modulus.first_mut() {
        *first |= 0x80;
    }
    key.extend(modulus);
    key.extend([0x02, 0x03, 0x01, 0x00, 0x01]);
    push_hex_dump(lines, &key);

    let mut extensions: Vec<Vec<String>> = Vec::new();
    if !c.eku.is_empty() {
        let mut ext = vec![
            format!("    2.5.29.37: Flags = 0, Length = {:x}", 2 + 10 * c.eku.len()),
            "    Enhanced Key Usage".to_string(),
        ];
        for e in &c.eku {
            ext.push(match eku_name(e) {
                Some(name) => format!("        {name} ({e})"),
                None => format!("        {e}"),
            });
        }
        extensions.push(ext);
    }
    extensions.push(vec![
        "    2.5.29.15: Flags = 0, Length = 4".to_string(),
        "    Key Usage".to_string(),
        "        Key Encipherment, Data Encipherment (30)".to_string(),
    ]);
    if !c.dns_names.is_empty() {
        let len: usize = 2 + c.dns_names.iter().map(|d| 2 + d.len()).sum::<usize>();
        let mut ext = vec![
            format!("    2.5.29.17: Flags = 0, Length = {len:x}"),
            "    Subject Alternative Name".to_string(),
        ];
        ext.extend(c.dns_names.iter().map(|d| format!("        DNS Name={d}")));
        extensions.push(ext);
    }
    lines.push(format!("Certificate Extensions: {}", extensions.len()));
    for ext in extensions {
        lines.extend(ext);
        lines.push(String::new());
    }
    push_algorithm(lines, "Signature Algorithm:", "1.2.840.113549.1.1.11 sha256RSA");
    lines.push(String::new());
    lines.push("Signature: UnusedBits=0".to_string());
    push_hex_dump(lines, &filler_bytes(&seed("signature"), 256));
    if self_signed {
        lines.push("Signature matches Public Key".to_string());
        lines.push("Root Certificate: Subject matches Issuer".to_string());
    } else {
        lines.push("Non-root Certificate".to_string());
    }
    let key_id = filler_hex(&seed("keyid"), 20);
    lines.push(format!("Key Id Hash(rfc-sha1): {key_id}"));
    lines.push(format!(
        "Key Id Hash(sha1): {}",
        filler_hex(&seed("keyid-sha1"), 20)
    ));
    lines.push(format!(
        "Key Id Hash(bcrypt-sha1): {}",
        filler_hex(&seed("keyid-bsha1"), 20)
    ));
    lines.push(format!(
        "Key Id Hash(bcrypt-sha256): {}",
        filler_hex(&seed("keyid-bsha256"), 32)
    ));
    lines.push(format!(
        "Key Id Hash(md5): {}",
        filler_hex(&seed("keyid-md5"), 16)
    ));
    lines.push(format!(
        "Key Id Hash(sha256): {}",
        filler_hex(&seed("keyid-sha256"), 32)
    ));
    let pin = filler_bytes(&seed("pin"), 32);
    lines.push(format!("Key Id Hash(pin-sha256): {}", base64(&pin)));
    lines.push(format!("Key Id Hash(pin-sha256-hex): {}", hex_lower(&pin)));
    let md5 = filler_hex(&seed("md5"), 16);
    lines.push(format!("Cert Hash(md5): {md5}"));
    lines.push(format!("Cert Hash(sha1): {thumb}"));
    lines.push(format!("Cert Hash(sha256): {}", filler_hex(&seed("sha256"), 32)));
    lines.push(format!("Signature Hash: {}", filler_hex(&seed("sighash"), 32)));

    // Properties.
    lines.push(String::new());
    if let Some(container) = &c.key_container {
        let provider = c.provider.as_deref().unwrap_or(RDP_KEY_PROVIDER);
        let ksp = provider.contains("Key Storage Provider");
        lines.push("  CERT_KEY_PROV_INFO_PROP_ID(2):".to_string());
        lines.push(format!("    Key Container = {container}"));
        if matches!(c.private_key, PrivateKeyState::Present { .. })
            && let Some(unique) = &c.unique_container
        {
            lines.push(format!("    Unique container name: {unique}"));
        }
        lines.push(format!("    Provider = {provider}"));
        lines.push(format!("    ProviderType = {}", if ksp { 0 } else { 1 }));
        lines.push("    Flags = 20 (32)".to_string());
        lines.push("      CRYPT_MACHINE_KEYSET -- 20 (32)".to_string());
        lines.push(
            if ksp {
                "    KeySpec = 0 -- XCN_AT_NONE"
            } else {
                "    KeySpec = 1 -- AT_KEYEXCHANGE"
            }
            .to_string(),
        );
        lines.push(String::new());
    }
    lines.push("  CERT_SHA1_HASH_PROP_ID(3):".to_string());
    lines.push(format!("    {thumb}"));
    lines.push(String::new());
    lines.push("  CERT_KEY_IDENTIFIER_PROP_ID(20):".to_string());
    lines.push(format!("    {key_id}"));
    lines.push(String::new());
    lines.push("  CERT_MD5_HASH_PROP_ID(4):".to_string());
    lines.push(format!("    {md5}"));
    lines.push(String::new());
    lines.push("  CERT_ACCESS_STATE_PROP_ID(14):".to_string());
    lines.push("    AccessState = 6".to_string());
    lines.push("      CERT_ACCESS_STATE_SYSTEM_STORE_FLAG -- 2".to_string());
    lines.push("      CERT_ACCESS_STATE_LM_SYSTEM_STORE_FLAG -- 4".to_string());
    lines.push(String::new());

    // Key.
    if c.key_container.is_none() {
        lines.push("No key provider information".to_string());
        match &c.private_key {
            PrivateKeyState::Present { .. } => {}
            PrivateKeyState::Missing => lines.push("Missing stored keyset".to_string()),
            PrivateKeyState::Unreadable(error) => lines.push(error.clone()),
        }
    } else {
        match &c.private_key {
            PrivateKeyState::Present { exportable } => {
                if !exportable {
                    lines.push("Private key is NOT exportable".to_string());
                }
                lines.push("Encryption test passed".to_string());
            }
            PrivateKeyState::Missing => lines.push("Missing stored keyset".to_string()),
            PrivateKeyState::Unreadable(error) => lines.push(error.clone()),
        }
    }

    // Chain.
    let chain_error = match c.chain {
        ChainVerdict::Valid => None,
        ChainVerdict::UntrustedRoot => Some(UNTRUSTED_ROOT_ERROR),
        ChainVerdict::Expired => Some(EXPIRED_ERROR),
    };
    if let Some(error) = chain_error {
        lines.push(error.to_string());
        lines.push("-".repeat(36));
    }
    lines.push("Verified Issuance Policies: None".to_string());
    if c.eku.is_empty() {
        lines.push("Verified Application Policies: All".to_string());
    } else {
        lines.push("Verified Application Policies:".to_string());
        for e in &c.eku {
            lines.push(match eku_name(e) {
                Some(name) => format!("    {e} {name}"),
                None => format!("    {e}"),
            });
        }
    }
    if c.chain == ChainVerdict::Valid {
        lines.push("Leaf certificate revocation check passed".to_string());
    }
}

fn push_algorithm(lines: &mut Vec<String>, title: &str, oid_and_name: &str) {
    lines.push(title.to_string());
    lines.push(format!("    Algorithm ObjectId: {oid_and_name}"));
    lines.push("    Algorithm Parameters:".to_string());
    lines.push("    05 00".to_string());
}

/// `Issuer:` / `Subject:` then one RDN per line and the name hashes.
fn push_name(lines: &mut Vec<String>, title: &str, dn: &str) {
    lines.push(title.to_string());
    for rdn in split_dn(dn) {
        lines.push(format!("    {rdn}"));
    }
    lines.push(format!(
        "    Name Hash(sha1): {}",
        filler_hex(&format!("name-sha1:{dn}"), 20)
    ));
    lines.push(format!(
        "    Name Hash(md5): {}",
        filler_hex(&format!("name-md5:{dn}"), 16)
    ));
}

/// Splits `CN=a, OU=b, O=c` at `, ` followed by an attribute name and `=`.
fn split_dn(dn: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut rest = dn;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(", ") {
            let attr_end = after.find('=');
            let is_attr = attr_end.is_some_and(|end| {
                end > 0
                    && after[..end]
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '.')
            });
            if is_attr {
                parts.push(std::mem::take(&mut current));
                rest = after;
                continue;
            }
        }
        let mut chars = rest.chars();
        if let Some(ch) = chars.next() {
            current.push(ch);
        }
        rest = chars.as_str();
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

/// `    0000  30 82 01 0a 02 82 01 01  00 b9 72 bb ae ff 44 55`
fn push_hex_dump(lines: &mut Vec<String>, bytes: &[u8]) {
    for (row, chunk) in bytes.chunks(16).enumerate() {
        let mut line = format!("    {:04x}  ", row * 16);
        for (i, b) in chunk.iter().enumerate() {
            if i == 8 {
                line.push(' ');
            }
            if i > 0 {
                line.push(' ');
            }
            line.push_str(&format!("{b:02x}"));
        }
        lines.push(line);
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn filler_hex(seed: &str, n: usize) -> String {
    hex_lower(&filler_bytes(seed, n))
}

/// Deterministic filler bytes from `seed` (FNV-1a then SplitMix64): stable across runs and
/// crate versions, so generated bundles can be compared byte for byte.
fn filler_bytes(seed: &str, n: usize) -> Vec<u8> {
    let mut state: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        state = (state ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        out.extend(z.to_le_bytes());
    }
    out.truncate(n);
    out
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
