//! `--redact`: replaces user names, host names and IP addresses in text artifacts with salted
//! hashes.
//!
//! The same value always gets the same token inside one bundle (so an engineer can still follow
//! "the client at ip-3f2a... connected as user-91bc..."), but tokens cannot be reversed or
//! compared across bundles: the salt is random per bundle and never written anywhere. Binary
//! artifacts (EVTX, ETL, hives) cannot be rewritten in place; the notice and the manifest say so.
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
}

impl Category {
    fn prefix(self) -> &'static str {
        match self {
            Category::User => "user",
            Category::Host => "host",
            Category::Ip => "ip",
        }
    }

    /// Name used in the manifest's `redaction.what`.
    pub fn manifest_name(self) -> &'static str {
        match self {
            Category::User => "user-names",
            Category::Host => "host-names",
            Category::Ip => "ip-addresses",
        }
    }
}

/// The method recorded in the manifest.
pub const METHOD: &str = "SHA-256 over a random per-bundle salt (not stored), the category and the \
     lower-cased value; first 12 hex digits, written as user-<hex>, host-<hex>, ip-<hex>. Applied to \
     text artifacts (command outputs, reg exports, JSON, trace XML, the collection log) and to the \
     manifest's source paths; binary artifacts (evtx, etl, registry hives) are not redacted.";

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

    /// Adds a host name and, for an FQDN, its first label and its domain.
    pub fn add_host(&mut self, name: &str) {
        let name = name.trim().trim_end_matches('.');
        if name.parse::<Ipv4Addr>().is_ok() || name.parse::<Ipv6Addr>().is_ok() {
            return;
        }
        self.add_name(name, Category::Host);
        if let Some((first, domain)) = name.split_once('.') {
            self.add_name(first, Category::Host);
            if domain.contains('.') {
                self.add_name(domain, Category::Host);
            }
        }
    }

    /// The token for `value`.
    pub fn token(&self, category: Category, value: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.salt);
        h.update(category.prefix().as_bytes());
        h.update([0u8]);
        h.update(value.to_lowercase().as_bytes());
        let digest = h.finalize();
        let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        format!("{}-{hex}", category.prefix())
    }

    /// Redacts `text`, adding what was replaced to `counts`.
    pub fn redact(&self, text: &str, counts: &mut Counts) -> String {
        let named = self.replace_names(text, counts);
        let v4 = replace_ipv4(&named, |ip| self.token(Category::Ip, ip), counts);
        replace_ipv6(&v4, |ip| self.token(Category::Ip, ip), counts)
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
        assert!(a.token(Category::Ip, "10.0.0.1").starts_with("ip-"));
        assert_eq!(a.token(Category::Ip, "10.0.0.1").len(), 3 + 12);
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
