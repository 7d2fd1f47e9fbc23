//! Hostile strings in every free-text field of a scenario, for testing what renders the
//! analyzer's output (the HTML report above all): `generate` with
//! [`GenerateOptions::hostile_strings`](super::GenerateOptions) (CLI `--hostile-strings`).
//!
//! Each payload, if a report ever let it run as markup or script, marks the page: it sets
//! `document.title` to a text starting with [`MARK`] or adds an element with `id="pwned"`. A
//! test renders the report in a browser and looks for either mark, and for the payload text.
//!
//! Carried by: host names (the `Computer` of every event, the manifest), user and domain
//! names, every string value of every planted event (named and unnamed `Data`, UserData text
//! and attributes) except those that identify (addresses, numbers, GUIDs, SIDs, hex), the
//! certificate subjects, issuers, serials and key containers, the process owning port 3389,
//! security product names, firewall rule names and rule strings, ProfileList paths, the mstsc
//! MRU list and the OS product name. Lone surrogates cannot be held in a Rust string: the
//! payload with [`LONE_SURROGATE_MARKER`] becomes a lone surrogate in the UTF-16LE registry
//! exports and its WTF-8 bytes (invalid UTF-8) in the UTF-8 text artifacts ([`patch_file`]).

use super::world::World;
use crate::evtx::{Element, Node, Payload, Value};

/// What a payload that ran writes into `document.title`.
pub const MARK: &str = "PWNED";

/// Stands for a lone surrogate (U+D800) until [`patch_file`] puts one in the bytes.
pub const LONE_SURROGATE_MARKER: char = '\u{E000}';

/// The payloads, each an attempt to run script, break out of an attribute or element, or
/// disguise text.
pub const PAYLOADS: &[&str] = &[
    "<script>document.title='PWNED-script'</script>",
    "\"><img src=x onerror=\"document.title='PWNED-img'\">",
    "'><svg onload=document.title='PWNED-svg'><b id=pwned>",
    "</style><script>document.title='PWNED-style'</script>",
    "</title><script>document.title='PWNED-title'</script>",
    "</textarea></pre></div><script>document.title='PWNED-close'</script>",
    "javascript:document.title='PWNED-js'",
    "<a id=pwned href=\"javascript:document.title='PWNED-href'\">click</a>",
    "<iframe srcdoc=\"<script>parent.document.title='PWNED-iframe'</script>\"></iframe>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:document.title='PWNED-meta'\">",
    "<style>body{display:none}</style><b id=pwned>",
    "{{constructor.constructor('document.title=\"PWNED-tmpl\"')()}} ${document.title='PWNED-tpl'}",
    "&lt;script&gt;already-escaped&lt;/script&gt; &amp;amp; &#60;b id=pwned&#62;",
    "\u{202E}gpj.exe \u{2066}isolate\u{2069}",
    "line\u{2028}separator\u{2029}paragraph",
    "zero\u{200B}width\u{200D}joiner\u{FEFF}bom\u{2060}",
    "nul\u{0}byte\u{1}\u{1b}[31mansi",
    "<!-- ]]> <![CDATA[ --><b id=pwned>",
    "lone\u{E000}surrogate",
];

/// Whether a string value identifies something the analyzer matches on (left alone, so the
/// scenario still correlates): addresses, numbers, hex, GUIDs, SIDs, empty.
fn identifying(s: &str) -> bool {
    let t = s.trim();
    t.is_empty()
        || t.parse::<std::net::IpAddr>().is_ok()
        || t.split(':')
            .next()
            .is_some_and(|h| h.parse::<std::net::IpAddr>().is_ok())
        || t.trim_start_matches('-').chars().all(|c| c.is_ascii_digit())
        || t.starts_with("0x")
        || t.starts_with('{')
        || t.starts_with("S-1-")
        || t.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// Rotates through the payloads.
struct Cycle(usize);

impl Cycle {
    fn next(&mut self) -> &'static str {
        let p = PAYLOADS[self.0 % PAYLOADS.len()];
        self.0 += 1;
        p
    }

    fn append(&mut self, s: &mut String) {
        if !identifying(s) {
            s.push(' ');
            s.push_str(self.next());
        }
    }

    fn value(&mut self, v: &mut Value) {
        match v {
            Value::String(s) => self.append(s),
            // 8-bit text: the payload's ASCII characters only.
            Value::AnsiString(s) if !identifying(s) => {
                s.push(' ');
                s.extend(self.next().chars().filter(char::is_ascii));
            }
            _ => {}
        }
    }

    fn element(&mut self, e: &mut Element) {
        for (_, v) in &mut e.attributes {
            self.value(v);
        }
        for n in &mut e.children {
            match n {
                Node::Element(c) => self.element(c),
                Node::Value(v) => self.value(v),
            }
        }
    }
}

/// Puts hostile strings into every free-text field of `w` (see the module documentation).
pub fn inject(w: &mut World) {
    let mut c = Cycle(0);
    for host in [&mut w.client, &mut w.server] {
        host.computer = format!("{} {}", host.computer, c.next());
        host.user_name = format!("{} {}", host.user_name, c.next());
        host.domain = format!("{} {}", host.domain, c.next());
        let computer = host.computer.clone();
        for e in &mut host.events {
            e.computer = computer.clone();
            match &mut e.payload {
                Payload::None => {}
                Payload::EventData { name, data } => {
                    if let Some(n) = name {
                        c.append(n);
                    }
                    for (_, v) in data {
                        c.value(v);
                    }
                }
                Payload::Classic { data, .. } => {
                    for v in data {
                        c.value(v);
                    }
                }
                Payload::UserData(el) => c.element(el),
            }
        }
    }
    for cert in w.facts.my_certs.iter_mut().chain(w.facts.rd_certs.iter_mut()) {
        c.append(&mut cert.subject);
        c.append(&mut cert.issuer);
        c.append(&mut cert.container);
    }
    if let Some(owner) = &mut w.facts.port_3389_owner {
        c.append(owner);
    }
    for (kind, name) in &mut w.facts.security_products {
        c.append(kind);
        c.append(name);
    }
    for (name, _, _, _) in &mut w.facts.extra_netsh_rules {
        c.append(name);
    }
    w.facts
        .extra_netsh_rules
        .push((format!("Hostile rule {}", c.next()), false, "3390".into(), true));
    for (_, rule) in &mut w.server_cfg.firewall_rules {
        // A rule string is `v2.31|Action=...|...|`: one more field, hostile.
        rule.push_str(&format!("EmbedCtxt={}|", c.next().replace('|', "/")));
    }
    for p in &mut w.server_cfg.profiles {
        c.append(&mut p.image_path);
    }
    for m in &mut w.client_cfg.mru {
        c.append(m);
    }
    w.client_cfg.mru.push(c.next().to_string());
}

/// Puts real lone surrogates where [`LONE_SURROGATE_MARKER`] is: U+D800 in UTF-16LE
/// (`utf16` true: the registry exports), its WTF-8 bytes `ED A0 80` in UTF-8 text.
pub fn patch_file(bytes: &mut Vec<u8>, utf16: bool) {
    if utf16 {
        let mut i = 0;
        while i + 1 < bytes.len() {
            if bytes[i] == 0x00 && bytes[i + 1] == 0xE0 {
                bytes[i + 1] = 0xD8;
            }
            i += 2;
        }
    } else {
        let marker = [0xEE, 0x80, 0x80];
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i..].starts_with(&marker) {
                out.extend_from_slice(&[0xED, 0xA0, 0x80]);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        *bytes = out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifying_values_are_left_alone() {
        for s in [
            "10.0.0.5",
            "10.0.0.5:3389",
            "::1",
            "3389",
            "0x904",
            "{AB-CD}",
            "S-1-5-20",
            "AB12CD",
            "",
        ] {
            assert!(identifying(s), "{s}");
        }
        for s in ["RDP-Tcp", "CN=srv01", "mstsc.exe"] {
            assert!(!identifying(s), "{s}");
        }
    }

    #[test]
    fn lone_surrogates_are_patched_in() {
        let text = format!("a{LONE_SURROGATE_MARKER}b");
        let mut u16le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        patch_file(&mut u16le, true);
        let units: Vec<u16> = u16le
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(units, vec![0x61, 0xD800, 0x62]);
        assert!(String::from_utf16(&units).is_err());
        let mut utf8 = text.into_bytes();
        patch_file(&mut utf8, false);
        assert_eq!(utf8, b"a\xED\xA0\x80b");
        assert!(std::str::from_utf8(&utf8).is_err());
    }
}
