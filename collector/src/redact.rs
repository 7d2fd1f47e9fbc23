//! `--redact`: replaces user names, host names, SIDs and IP addresses with keyed pseudonyms.
//!
//! The same value always gets the same token inside one bundle (so an engineer can still follow
//! "the client at 100.87.3.12 connected as user-91bc..."). Without `--redact-key-file` the key
//! is random per bundle and never written anywhere, so tokens cannot be compared across
//! bundles; with the same key file for the client and the server bundle of one ticket, the same
//! value gets the same token in both, so the analyzer can still pair them. Addresses keep their
//! shape and class (private IPv4 in 100.64.0.0/10, public IPv4 in 198.18.0.0/15, IPv6 in
//! fd00::/8 or, for global ones, 2001:db8::/32), so that parsers of addresses and ports
//! still work; host names are tokenized per first label and domain (`host-a.host-b`), so short
//! names and FQDNs of one host still match. Event logs are reduced to the records the analyzer
//! uses and redacted field by field (`redact_events.rs`); hives and `reg export`s are reduced to
//! the keys the analyzer reads and redacted (`redact_registry.rs`); ETL traces are left out
//! ([`ETL_LEFT_OUT`]).
//!
//! Names are the ones the collector knows (computer name, domain, user profile names, the probed
//! server); addresses are found by shape (IPv4 dotted quads, IPv6). Loopback, unspecified,
//! broadcast/netmask and multicast addresses and well-known accounts (`NETWORK SERVICE`,
//! `Administrators` ...) are kept: the analysis needs them and they identify nobody.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use sha2::{Digest, Sha256};

/// What a token replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// A user name.
    User,
    /// A computer, domain or server name.
    Host,
    /// An IPv4 or IPv6 address.
    Ip,
    /// A Windows security identifier of an account or domain (`S-1-5-21-...`).
    Sid,
}

impl Category {
    fn prefix(self) -> &'static str {
        match self {
            Category::User => "user",
            Category::Host => "host",
            Category::Ip => "ip",
            Category::Sid => "sid",
        }
    }

    /// Name used in the manifest's `redaction.what`.
    pub fn manifest_name(self) -> &'static str {
        match self {
            Category::User => "user-names",
            Category::Host => "host-names",
            Category::Ip => "ip-addresses",
            Category::Sid => "sids",
        }
    }
}

/// The method recorded in the manifest.
pub const METHOD: &str = "SHA-256 over a key (random per bundle and not stored, or the \
     --redact-key-file shared by the bundles of one ticket), the category and the lower-cased value; \
     first 12 hex digits, written as user-<hex>, host-<hex> (per first label and domain: \
     host-<hex>.host-<hex>), sid-<hex>; IPv4 addresses become addresses in 100.64.0.0/10 (public ones in 198.18.0.0/15) and IPv6 \
     addresses in fd00::/8 (global ones in 2001:db8::/32) chosen by the same hash. Applied to text artifacts (command outputs, reg \
     exports, JSON, trace XML, the collection log), to the manifest's host and source paths, and to \
     event logs, which are reduced to the records the analyzer uses (redacted-events JSON Lines, the \
     raw .evtx dropped), and to registry hives and reg exports, which are reduced to the keys and \
     values the analyzer reads and written as .reg files (the raw hive and its transaction logs \
     dropped); etl traces are dropped (binary, not redactable; the analyzer needs only their header).";

/// Why `--redact` leaves ETL traces out (the manifest's error of each trace's entry). The
/// analyzer reads only an ETL file's header (time span, lost events and buffers: whether a trace
/// covers the attempt), and no rule depends on it; the events are binary, undocumented and
/// carry the user's profile path and the servers' names and addresses, which cannot be
/// redacted in place. The `tracerpt` conversion (text) is redacted and kept.
pub const ETL_LEFT_OUT: &str = "left out by --redact: ETL traces are binary and cannot be redacted; \
     the analyzer reads only their header (no diagnosis depends on it) and the redacted tracerpt \
     conversion, when there is one, is kept";

/// Account and profile names that identify nobody and that the analysis needs verbatim.
const KEEP_NAMES: &[&str] = &[
    "administrator",
    "administrators",
    "guest",
    "defaultaccount",
    "wdagutilityaccount",
    "system",
    "local service",
    "network service",
    "localservice",
    "networkservice",
    "everyone",
    "users",
    "public",
    "default",
    "default user",
    "all users",
    "nt authority",
    "builtin",
    "localhost",
    "workgroup",
    "anonymous logon",
    "local system",
];

/// Replaces known names and any address in text.
#[derive(Clone)]
pub struct Redactor {
    salt: [u8; 32],
    /// (value, category), longest first so that `host.corp.com` wins over `host`.
    names: Vec<(String, Category)>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the salt.
        f.debug_struct("Redactor")
            .field("names", &self.names.len())
            .finish()
    }
}

/// Counts of replacements, per category.
pub type Counts = BTreeMap<Category, usize>;

impl Redactor {
    /// A redactor with a fresh random salt.
    pub fn random() -> Result<Redactor, getrandom::Error> {
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt)?;
        Ok(Redactor::with_salt(salt))
    }

    /// A redactor whose tokens depend only on `key` (the contents of `--redact-key-file`): the
    /// client and server bundles of one ticket redacted with the same key stay joinable.
    pub fn with_key(key: &[u8]) -> Redactor {
        let mut h = Sha256::new();
        h.update(b"rdpdiag redaction key v1\0");
        h.update(key);
        let mut salt = [0u8; 32];
        salt.copy_from_slice(&h.finalize());
        Redactor::with_salt(salt)
    }

    /// A redactor with a given salt (tests: fixed tokens).
    pub fn with_salt(salt: [u8; 32]) -> Redactor {
        Redactor {
            salt,
            names: Vec::new(),
        }
    }

    /// Adds a name to replace (ignored when shorter than 3 characters or well known).
    pub fn add_name(&mut self, name: &str, category: Category) {
        let name = name.trim();
        if name.chars().count() < 3 || KEEP_NAMES.iter().any(|k| k.eq_ignore_ascii_case(name)) {
            return;
        }
        if self.names.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return;
        }
        self.names.push((name.to_string(), category));
        self.names
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    }

    /// Adds a host name: its first label and, for an FQDN, its domain, each tokenized on its
    /// own so that `rds01.contoso.com` becomes `host-<a>.host-<b>` and `RDS01` `host-<a>`.
    pub fn add_host(&mut self, name: &str) {
        let name = name.trim().trim_end_matches('.');
        if name.parse::<Ipv4Addr>().is_ok() || name.parse::<Ipv6Addr>().is_ok() {
            return;
        }
        match name.split_once('.') {
            Some((first, domain)) => {
                self.add_name(first, Category::Host);
                self.add_name(domain, Category::Host);
            }
            None => self.add_name(name, Category::Host),
        }
    }

    fn digest(&self, category: Category, value: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.salt);
        h.update(category.prefix().as_bytes());
        h.update([0u8]);
        h.update(value.to_lowercase().as_bytes());
        h.finalize().into()
    }

    /// The token for `value`: `user-<hex>`, `host-<hex>`, `sid-<hex>`; for an address, an
    /// address of the same family (see the module comment).
    pub fn token(&self, category: Category, value: &str) -> String {
        let digest = self.digest(category, value);
        if category == Category::Ip {
            let canonical = value.parse::<std::net::IpAddr>().map(|a| a.to_string());
            let digest = match &canonical {
                Ok(c) => self.digest(category, c),
                Err(_) => digest,
            };
            // The pseudonym keeps whether the address is public: the analyzer tells a NAT
            // port-forward (public addresses) from a proxy inside the network by it.
            return match value.parse::<Ipv6Addr>() {
                Ok(v6) if is_global_v6(&v6) => {
                    // 2001:db8::/32 (RFC 3849 documentation prefix): 96 bits of the hash.
                    let mut b = [0u8; 16];
                    b[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
                    b[4..].copy_from_slice(&digest[..12]);
                    Ipv6Addr::from(b).to_string()
                }
                Ok(_) => {
                    let mut b = [0u8; 16];
                    b[0] = 0xfd;
                    b[1..].copy_from_slice(&digest[..15]);
                    Ipv6Addr::from(b).to_string()
                }
                Err(_) => match value.parse::<Ipv4Addr>() {
                    // 198.18.0.0/15 (RFC 2544 benchmarking, routable shape): 17 bits.
                    Ok(v4) if is_global_v4(v4) => {
                        let n = u32::from_be_bytes([0, digest[0] & 0x01, digest[1], digest[2]]);
                        Ipv4Addr::from(0xC612_0000 | n).to_string()
                    }
                    // 100.64.0.0/10 (RFC 6598 shared address space): 22 bits of the hash.
                    _ => {
                        let n = u32::from_be_bytes([0, digest[0] & 0x3f, digest[1], digest[2]]);
                        Ipv4Addr::from(0x6440_0000 | n).to_string()
                    }
                },
            };
        }
        let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        format!("{}-{hex}", category.prefix())
    }

    /// The token of a host name or address as a whole value: an address by [`Self::token`], a
    /// name per first label and domain (`host-<a>.host-<b>`), a `:port` suffix kept. Values
    /// that are well known (see `add_name`) or shorter than 3 characters are kept.
    pub fn host_token(&self, value: &str) -> String {
        let v = value.trim();
        if v.parse::<Ipv4Addr>().is_ok() || v.parse::<Ipv6Addr>().is_ok() {
            return self.token(Category::Ip, v);
        }
        let (host, port) = match v.rsplit_once(':') {
            Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
            _ => (v, None),
        };
        if host.parse::<Ipv4Addr>().is_ok() {
            return format!("{}:{}", self.token(Category::Ip, host), port.unwrap_or_default());
        }
        let one = |label: &str| {
            if label.chars().count() < 3 || KEEP_NAMES.iter().any(|k| k.eq_ignore_ascii_case(label)) {
                label.to_string()
            } else {
                self.token(Category::Host, label)
            }
        };
        let trimmed = host.trim_end_matches('.');
        let mut out = match trimmed.split_once('.') {
            Some((first, domain)) => format!("{}.{}", one(first), one(domain)),
            None => one(trimmed),
        };
        if let Some(p) = port {
            out.push(':');
            out.push_str(p);
        }
        out
    }

    /// The token of a domain name as a whole value (`CONTOSO`, `contoso.com`), as the domain
    /// part of [`Self::host_token`] and the manifest's `host.domain` have it.
    pub fn domain_token(&self, value: &str) -> String {
        let v = value.trim().trim_end_matches('.');
        if v.chars().count() < 3 || KEEP_NAMES.iter().any(|k| k.eq_ignore_ascii_case(v)) {
            return v.to_string();
        }
        self.token(Category::Host, v)
    }

    /// The token of a user name as a whole value; `DOMAIN\user` and `user@domain` keep their
    /// shape with each part tokenized. Well-known and short names are kept.
    pub fn user_token(&self, value: &str) -> String {
        let v = value.trim();
        if let Some((domain, user)) = v.split_once('\\') {
            return format!("{}\\{}", self.domain_token(domain), self.user_token(user));
        }
        if let Some((user, domain)) = v.split_once('@') {
            return format!("{}@{}", self.user_token(user), self.domain_token(domain));
        }
        if v.chars().count() < 3 || KEEP_NAMES.iter().any(|k| k.eq_ignore_ascii_case(v)) {
            return v.to_string();
        }
        self.token(Category::User, v)
    }

    /// Redacts `text`, adding what was replaced to `counts`.
    pub fn redact(&self, text: &str, counts: &mut Counts) -> String {
        let named = self.replace_names(text, counts);
        let v4 = replace_ipv4(&named, |ip| self.token(Category::Ip, ip), counts);
        let v6 = replace_ipv6(&v4, |ip| self.token(Category::Ip, ip), counts);
        replace_sids(&v6, |sid| self.token(Category::Sid, sid), counts)
    }

    fn replace_names(&self, text: &str, counts: &mut Counts) -> String {
        if self.names.is_empty() {
            return text.to_string();
        }
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        let mut copied = 0;
        while i < bytes.len() {
            if !text.is_char_boundary(i) || (i > 0 && is_word_byte(bytes[i - 1])) {
                i += 1;
                continue;
            }
            let hit = self.names.iter().find(|(name, _)| {
                let n = name.as_bytes();
                bytes.len() >= i + n.len()
                    && bytes[i..i + n.len()].eq_ignore_ascii_case(n)
                    && text.is_char_boundary(i + n.len())
                    && bytes.get(i + n.len()).is_none_or(|b| !is_word_byte(*b))
            });
            match hit {
                Some((name, cat)) => {
                    out.push_str(&text[copied..i]);
                    out.push_str(&self.token(*cat, name));
                    *counts.entry(*cat).or_default() += 1;
                    i += name.len();
                    copied = i;
                }
                None => i += 1,
            }
        }
        out.push_str(&text[copied..]);
        out
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b >= 0x80
}

/// Redacts a text artifact's bytes: UTF-16LE (BOM) stays UTF-16LE, UTF-8 stays UTF-8; `None`
/// for anything else (binary content is not rewritten).
pub fn redact_text_bytes(r: &Redactor, bytes: &[u8], counts: &mut Counts) -> Option<Vec<u8>> {
    if bytes.starts_with(&[0xFF, 0xFE]) {
        Some(crate::decode::utf16le_with_bom(
            &r.redact(&crate::decode::decode_console(bytes, None), counts),
        ))
    } else {
        std::str::from_utf8(bytes)
            .ok()
            .map(|s| r.redact(s, counts).into_bytes())
    }
}

/// Replaces account and domain SIDs (`S-1-5-21-a-b-c[-rid]`: machine and domain accounts);
/// well-known SIDs (`S-1-5-18`, `S-1-5-20`, `S-1-5-32-544` ...) identify nobody and are kept.
/// Form from https://learn.microsoft.com/en-us/windows/win32/secauthz/well-known-sids.
fn replace_sids(text: &str, token: impl Fn(&str) -> String, counts: &mut Counts) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i + 9 <= b.len() {
        if !b[i..i + 9].eq_ignore_ascii_case(b"S-1-5-21-") || (i > 0 && is_word_byte(b[i - 1])) {
            i += 1;
            continue;
        }
        let mut j = i + 9;
        while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'-') {
            j += 1;
        }
        let sid = text[i..j].trim_end_matches('-');
        // Domain part: three sub-authorities after 21.
        if sid.split('-').count() >= 7 {
            out.push_str(&text[copied..i]);
            out.push_str(&token(sid));
            *counts.entry(Category::Sid).or_default() += 1;
            copied = i + sid.len();
        }
        i = j.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

/// A public (routable) IPv4 address: not private (RFC 1918), shared (RFC 6598), loopback or
/// link-local; the analyzer's test is the same (`diagnose::evaluate::is_public_address`).
fn is_global_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || (o[0] == 100 && (o[1] & 0xC0) == 64))
}

/// A global IPv6 address: not unique-local (fc00::/7), link-local, loopback or unspecified.
fn is_global_v6(ip: &Ipv6Addr) -> bool {
    let seg = ip.segments();
    !(ip.is_loopback() || ip.is_unspecified() || (seg[0] & 0xfe00) == 0xfc00 || (seg[0] & 0xffc0) == 0xfe80)
}

/// Whether an address is kept as is (identifies nobody, needed by the analysis).
fn keep_v4(ip: Ipv4Addr) -> bool {
    ip.is_unspecified() || ip.is_loopback() || ip.is_multicast() || ip.octets()[0] == 255
}

fn keep_v6(ip: &Ipv6Addr) -> bool {
    ip.is_unspecified() || ip.is_loopback() || ip.is_multicast()
}

/// Replaces dotted-quad IPv4 addresses that stand alone (not part of a longer dotted number such
/// as a version `10.0.19041.1` or an OID).
fn replace_ipv4(text: &str, token: impl Fn(&str) -> String, counts: &mut Counts) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.')) {
            i += 1;
            continue;
        }
        // The whole run of digits and dots starting here.
        let mut j = i;
        while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
            j += 1;
        }
        let mut run = &text[i..j];
        // A sentence may end with a dot after the address.
        if run.ends_with('.') {
            run = &run[..run.len() - 1];
        }
        let parts = run.split('.').count();
        let letter_after = b.get(i + run.len()).is_some_and(|c| c.is_ascii_alphabetic());
        if parts == 4
            && !letter_after
            && let Ok(ip) = run.parse::<Ipv4Addr>()
            && !keep_v4(ip)
        {
            out.push_str(&text[copied..i]);
            out.push_str(&token(run));
            *counts.entry(Category::Ip).or_default() += 1;
            copied = i + run.len();
        }
        i = j.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

/// Replaces IPv6 addresses (a run of hex digits and colons with at least two colons that parses
/// as an address; a `%zone` suffix is kept).
fn replace_ipv6(text: &str, token: impl Fn(&str) -> String, counts: &mut Counts) -> String {
    let b = text.as_bytes();
    let is_part = |c: u8| c.is_ascii_hexdigit() || c == b':';
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if !is_part(b[i]) || (i > 0 && (is_part(b[i - 1]) || b[i - 1].is_ascii_alphanumeric())) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < b.len() && is_part(b[j]) {
            j += 1;
        }
        // `[::]:3389` style: the port is outside the brackets; bare `addr:port` is ambiguous
        // and left alone unless it parses whole.
        let cand = &text[i..j];
        let word_after = b.get(j).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
        if cand.matches(':').count() >= 2
            && !word_after
            && let Ok(ip) = cand.parse::<Ipv6Addr>()
            && !keep_v6(&ip)
        {
            out.push_str(&text[copied..i]);
            out.push_str(&token(cand));
            *counts.entry(Category::Ip).or_default() += 1;
            copied = j;
        }
        i = j.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r() -> Redactor {
        let mut r = Redactor::with_salt([7; 32]);
        r.add_host("WKS01.corp.contoso.com");
        r.add_name("alice", Category::User);
        r.add_name("Administrator", Category::User);
        r
    }

    #[test]
    fn names_are_replaced_on_word_boundaries_only() {
        let r = r();
        let mut c = Counts::new();
        let out = r.redact(
            r"CORP\alice logged on to WKS01 (wks01.corp.contoso.com); alicex and BUILTIN\Administrators stay",
            &mut c,
        );
        let user = r.token(Category::User, "alice");
        assert!(out.contains(&format!(r"CORP\{user}")), "{out}");
        assert!(!out.to_lowercase().contains("wks01"), "{out}");
        assert!(
            out.contains("alicex") && out.contains(r"BUILTIN\Administrators"),
            "{out}"
        );
        assert_eq!(c[&Category::User], 1);
        assert!(c[&Category::Host] >= 2);
    }

    #[test]
    fn same_value_same_token_and_salt_matters() {
        let a = r();
        assert_eq!(a.token(Category::Host, "WKS01"), a.token(Category::Host, "wks01"));
        let b = Redactor::with_salt([8; 32]);
        assert_ne!(
            a.token(Category::Ip, "10.0.0.1"),
            b.token(Category::Ip, "10.0.0.1")
        );
        let ip: Ipv4Addr = a.token(Category::Ip, "10.0.0.1").parse().unwrap();
        assert_eq!(ip.octets()[0], 100);
        assert_eq!(ip.octets()[1] & 0xc0, 64, "{ip} in 100.64.0.0/10");
        let v6: Ipv6Addr = a.token(Category::Ip, "fd12::1").parse().unwrap();
        assert_eq!(v6.octets()[0], 0xfd);
        // A public address stays public (a NAT port-forward must still read as one).
        let public: Ipv4Addr = a.token(Category::Ip, "203.0.113.7").parse().unwrap();
        assert_eq!(&public.octets()[..1], &[198], "{public}");
        assert_eq!(public.octets()[1] & 0xfe, 18, "{public} in 198.18.0.0/15");
        let v6g: Ipv6Addr = a.token(Category::Ip, "2001:db8::1").parse().unwrap();
        assert_eq!(&v6g.octets()[..4], &[0x20, 0x01, 0x0d, 0xb8]);
        // One spelling of an address, one token.
        assert_eq!(
            a.token(Category::Ip, "2001:DB8:0::1"),
            a.token(Category::Ip, "2001:db8::1")
        );
    }

    #[test]
    fn one_key_one_token_across_bundles_and_fqdns_match_short_names() {
        let client = Redactor::with_key(b"ticket 4711 key");
        let server = Redactor::with_key(b"ticket 4711 key");
        let other = Redactor::with_key(b"another key");
        assert_eq!(
            client.host_token("rds01.contoso.com"),
            server.host_token("RDS01.Contoso.com")
        );
        assert_ne!(client.host_token("rds01"), other.host_token("rds01"));
        let fqdn = client.host_token("rds01.contoso.com");
        let short = client.host_token("RDS01");
        assert_eq!(fqdn.split('.').next(), Some(short.as_str()), "{fqdn} {short}");
        assert!(client.host_token("rds01.contoso.com:3390").ends_with(":3390"));
        assert_eq!(
            client.host_token("10.0.0.5"),
            server.token(Category::Ip, "10.0.0.5")
        );
        // Text redaction with the host added gives the same tokens as the whole value.
        let mut r = Redactor::with_key(b"ticket 4711 key");
        r.add_host("RDS01.contoso.com");
        let mut c = Counts::new();
        assert_eq!(
            r.redact("target rds01.contoso.com now", &mut c),
            format!("target {fqdn} now")
        );
        assert_eq!(
            client.user_token(r"CONTOSO\alice"),
            format!(
                r"{}\{}",
                client.domain_token("CONTOSO"),
                client.user_token("alice")
            )
        );
        assert_eq!(client.user_token("SYSTEM"), "SYSTEM");
    }

    #[test]
    fn account_sids_are_replaced_well_known_ones_kept() {
        let r = Redactor::with_salt([3; 32]);
        let mut c = Counts::new();
        let out = r.redact(
            "S-1-5-21-1004336348-1177238915-682003330-1001 S-1-5-20 S-1-5-32-544",
            &mut c,
        );
        assert!(out.starts_with("sid-"), "{out}");
        assert!(out.ends_with(" S-1-5-20 S-1-5-32-544"), "{out}");
        assert_eq!(c[&Category::Sid], 1);
    }

    #[test]
    fn addresses_by_shape_but_not_versions_oids_or_loopback() {
        let r = Redactor::with_salt([1; 32]);
        let mut c = Counts::new();
        let text = "TCP 10.20.0.5:3389 192.168.1.7:50123 ESTABLISHED\r\n\
                    TCP 0.0.0.0:3389 0.0.0.0:0 LISTENING\r\n\
                    TCP 127.0.0.1:5939 [::]:0 [fe80::1c2d:3e4f:5a6b:7c8d%4]:49670\r\n\
                    version 10.0.19041.3636 oid 1.3.6.1.5.5.7.3.1 mask 255.255.0.0\r\n\
                    at 10:00:00 mac 00:11:22:33:44:55 Server 10.1.2.3.";
        let out = r.redact(text, &mut c);
        assert!(
            !out.contains("10.20.0.5") && !out.contains("192.168.1.7"),
            "{out}"
        );
        assert!(!out.contains("fe80::1c2d"), "{out}");
        assert!(out.contains("%4]:49670"), "{out}");
        assert!(!out.contains("10.1.2.3"), "{out}");
        for kept in [
            "0.0.0.0:3389",
            "127.0.0.1:5939",
            "[::]:0",
            "10.0.19041.3636",
            "1.3.6.1.5.5.7.3.1",
            "255.255.0.0",
            "10:00:00",
            "00:11:22:33:44:55",
        ] {
            assert!(out.contains(kept), "{kept} missing in {out}");
        }
        assert_eq!(c[&Category::Ip], 4);
    }

    #[test]
    fn debug_never_shows_the_salt() {
        let s = format!("{:?}", Redactor::with_salt([0xAB; 32]));
        assert!(!s.contains("171") && !s.to_lowercase().contains("ab, "), "{s}");
    }
}
