//! Host addresses from `ipconfig /all` (MSRD-Collect's `<C>_Ipconfig.txt`, our
//! `network/Ipconfig.txt`), so inputs without a manifest can still be paired by address.

/// Largest ipconfig output read (real ones are a few KiB).
const MAX_BYTES: usize = 1 << 20;

fn decode(bytes: &[u8]) -> String {
    let bytes = &bytes[..bytes.len().min(MAX_BYTES)];
    if bytes.starts_with(&[0xFF, 0xFE]) {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// IPv4 and IPv6 addresses of the host's adapters (no loopback, no link-local, no APIPA).
pub fn ipconfig_addresses(bytes: &[u8]) -> Vec<String> {
    let text = decode(bytes);
    let mut out = Vec::new();
    for line in text.lines() {
        // `Label . . . : value`; Japanese ipconfig has no space before the colon (`IPv4 アドレス
        // . . . .: 10.0.0.5`, code-search hits 21363154445, 40292849315). The first `: ` is the
        // separator there: an IPv6 value has colons but none followed by a space. ` : ` first,
        // because a Spanish label has a colon of its own (`Vínculo: dirección IPv6 local`).
        let Some((label, value)) = line.split_once(" : ").or_else(|| line.split_once(": ")) else {
            continue;
        };
        let label = label.trim().trim_end_matches(['.', ' ']).to_lowercase();
        if !is_address_label(&label) {
            continue;
        }
        // `10.30.21.100(Preferred)`, `fe80::1%12(Preferred)`.
        let v = value.trim();
        let v = v
            .split('(')
            .next()
            .unwrap_or(v)
            .split('%')
            .next()
            .unwrap_or(v)
            .trim();
        match v.parse::<std::net::IpAddr>() {
            Ok(ip) if !ip.is_loopback() && !ip.is_unspecified() && !is_link_local(&ip) => {
                let s = ip.to_string();
                if !out.contains(&s) {
                    out.push(s);
                }
            }
            _ => {}
        }
        if out.len() >= 64 {
            break;
        }
    }
    out
}

/// An ipconfig label naming one of the host's own addresses, in English or a language whose
/// labels contain `IPv4`/`IPv6` (Windows keeps those tokens when it translates the label).
/// Sources (code-search hits quoting real ipconfig output): German `IPv4-Adresse`,
/// `IPv6-Adresse`, `Verbindungslokale IPv6-Adresse`, `(Bevorzugt)`, `Standardgateway`,
/// `DNS-Server`; Spanish `Dirección IPv4`, `Vínculo: dirección IPv6 local`, `Puerta de enlace
/// predeterminada`, `Servidores DNS`; French `Adresse IPv4`; Japanese `IPv4 アドレス`,
/// `リンクローカル IPv6 アドレス`, `(優先)` (code-search hits 21363154445, 40292849315); Simplified
/// Chinese `IPv4 地址`, `本地链接 IPv6 地址`, `(首选)` (hits 35293131658, 13690199863). Gateway, DNS, DHCP and WINS rows never carry the host's own
/// address and are excluded by the words they contain; link-local and APIPA addresses are
/// dropped by value.
fn is_address_label(label: &str) -> bool {
    if label == "ip address" || label == "ip-adresse" || label == "adresse ip" {
        return true;
    }
    let names_ip = label.contains("ipv4") || label.contains("ipv6");
    let other = [
        "dns",
        "dhcp",
        "wins",
        "gateway",
        "passerelle",
        "puerta",
        "subnet",
        "mask",
        "masque",
        "máscara",
    ]
    .iter()
    .any(|w| label.contains(w));
    names_ip && !other
}

fn is_link_local(ip: &std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v) => v.is_link_local(),
        std::net::IpAddr::V6(v) => (v.segments()[0] & 0xffc0) == 0xfe80,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_addresses_and_skips_link_local() {
        let t = "\r\nWindows IP Configuration\r\n\r\n   Host Name . . . . . . . . . . . . : WKS\r\n\r\nEthernet adapter Ethernet:\r\n\r\n   Link-local IPv6 Address . . . . . : fe80::1c2d:3e4f:5a6b:7c8d%12(Preferred) \r\n   IPv4 Address. . . . . . . . . . . : 10.30.21.100(Preferred) \r\n   Autoconfiguration IPv4 Address. . : 169.254.3.4(Preferred)\r\n   IPv6 Address. . . . . . . . . . . : 2001:db8::5(Preferred)\r\n";
        assert_eq!(
            ipconfig_addresses(t.as_bytes()),
            vec!["10.30.21.100", "2001:db8::5"]
        );
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(t.encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(ipconfig_addresses(&utf16), vec!["10.30.21.100", "2001:db8::5"]);
        assert!(ipconfig_addresses(b"\xff\xfe\x00").is_empty());
        assert!(ipconfig_addresses(b"IPv4 Address : not-an-ip").is_empty());
        let de = "Windows-IP-Konfiguration\r\n\r\nEthernet-Adapter Ethernet:\r\n\r\n   Verbindungslokale IPv6-Adresse  . : fe80::52cc:24f9:afc:a9dd%13\r\n   IPv4-Adresse  . . . . . . . . . . : 192.168.178.20(Bevorzugt)\r\n   Standardgateway . . . . . . . . . : 192.168.178.1\r\n   DNS-Server  . . . . . . . . . . . : 192.168.178.2\r\n";
        assert_eq!(ipconfig_addresses(de.as_bytes()), vec!["192.168.178.20"]);
        let es = "   Dirección IPv4. . . . . . . . . . . . . . : 192.168.0.50\r\n   Servidores DNS. . . . . . . . . . . . . . : 192.168.0.1\r\n";
        assert_eq!(ipconfig_addresses(es.as_bytes()), vec!["192.168.0.50"]);
    }
}
