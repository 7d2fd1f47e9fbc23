//! `ipconfig /all`, as MSRD-Collect saves it to `<C>_Ipconfig.txt`.
//!
//! Layout follows Windows 10/11 en-US output: a blank line, the "Windows IP Configuration"
//! heading, then `   Label . . . : value` lines whose dots pad the label to the colon, one
//! block per adapter. Only the fields the analyzer needs and their usual neighbours are written.

use super::CRLF;

/// One network adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adapter {
    /// e.g. `Ethernet adapter Ethernet`.
    pub heading: String,
    /// Description (driver name).
    pub description: String,
    /// MAC, `00-15-5D-01-02-03`.
    pub physical: String,
    /// IPv4 address.
    pub ipv4: String,
    /// Subnet mask.
    pub mask: String,
    /// Default gateway.
    pub gateway: String,
    /// DNS servers.
    pub dns: Vec<String>,
}

/// Column where values start (after `: `).
const VALUE_COLUMN: usize = 39;

fn line(label: &str, value: &str) -> String {
    // ipconfig pads labels with dots on odd columns and spaces on even ones, up to the colon.
    let mut s = format!("   {label}");
    while s.len() < VALUE_COLUMN - 2 {
        s.push(if s.len() % 2 == 1 { '.' } else { ' ' });
    }
    format!("{s}: {value}{CRLF}")
}

/// Renders `ipconfig /all` for a host.
pub fn ipconfig_all(host: &str, dns_suffix: &str, adapters: &[Adapter]) -> String {
    let mut s = String::from(CRLF);
    s.push_str("Windows IP Configuration");
    s.push_str(CRLF);
    s.push_str(CRLF);
    s.push_str(&line("Host Name", host));
    s.push_str(&line("Primary Dns Suffix", dns_suffix));
    s.push_str(&line("Node Type", "Hybrid"));
    s.push_str(&line("IP Routing Enabled", "No"));
    s.push_str(&line("WINS Proxy Enabled", "No"));
    s.push_str(&line("DNS Suffix Search List", dns_suffix));
    for a in adapters {
        s.push_str(CRLF);
        s.push_str(&a.heading);
        s.push(':');
        s.push_str(CRLF);
        s.push_str(CRLF);
        s.push_str(&line("Connection-specific DNS Suffix", dns_suffix));
        s.push_str(&line("Description", &a.description));
        s.push_str(&line("Physical Address", &a.physical));
        s.push_str(&line("DHCP Enabled", "Yes"));
        s.push_str(&line("Autoconfiguration Enabled", "Yes"));
        s.push_str(&line("IPv4 Address", &format!("{}(Preferred)", a.ipv4)));
        s.push_str(&line("Subnet Mask", &a.mask));
        s.push_str(&line("Default Gateway", &a.gateway));
        let mut dns = a.dns.iter();
        if let Some(first) = dns.next() {
            s.push_str(&line("DNS Servers", first));
            for d in dns {
                s.push_str(&format!("{:width$}{d}{CRLF}", "", width = VALUE_COLUMN));
            }
        }
        s.push_str(&line("NetBIOS over Tcpip", "Enabled"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_align_at_column_39() {
        let t = ipconfig_all(
            "WKS-1",
            "corp.contoso.com",
            &[Adapter {
                heading: "Ethernet adapter Ethernet".into(),
                description: "Intel(R) Ethernet".into(),
                physical: "00-15-5D-01-02-03".into(),
                ipv4: "10.30.21.100".into(),
                mask: "255.255.0.0".into(),
                gateway: "10.30.0.1".into(),
                dns: vec!["10.20.0.2".into(), "10.20.0.3".into()],
            }],
        );
        assert!(
            t.contains("   IPv4 Address. . . . . . . . . . . : 10.30.21.100(Preferred)\r\n"),
            "{t}"
        );
        assert!(
            t.contains("   Host Name . . . . . . . . . . . . : WKS-1\r\n"),
            "{t}"
        );
        assert!(t.contains(&format!("\r\n{}10.20.0.3\r\n", " ".repeat(39))));
        for l in t.split("\r\n").filter(|l| l.contains(" : ")) {
            assert_eq!(l.find(": "), Some(37), "{l:?}");
        }
    }
}
