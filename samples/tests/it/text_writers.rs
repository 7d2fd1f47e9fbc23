//! Command-output writers: the exact lines a parser relies on, CRLF everywhere, odd inputs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, NaiveDateTime};
use rdpdiag_samples::text::{
    self, AclEntry, CertificateInfo, ChainVerdict, Direction, FirewallAction, FirewallRule,
    FirewallRuleString, NetstatEntry, PrivateKeyState, Protocol, W32tmStatus,
};

fn dt(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, mo, d)
        .unwrap()
        .and_hms_opt(h, mi, s)
        .unwrap()
}

/// Every `\n` is preceded by `\r` and every `\r` followed by `\n`.
fn assert_crlf_only(s: &str) {
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            assert!(i > 0 && b[i - 1] == b'\r', "bare LF at byte {i}");
        }
        if c == b'\r' {
            assert!(b.get(i + 1) == Some(&b'\n'), "bare CR at byte {i}");
        }
    }
    if !s.is_empty() {
        assert!(s.ends_with("\r\n"), "text ends with CRLF");
    }
}

fn lines(s: &str) -> Vec<&str> {
    s.strip_suffix("\r\n").unwrap_or(s).split("\r\n").collect()
}

const THUMB: [u8; 20] = [
    0x5a, 0x0b, 0x1c, 0x2d, 0x3e, 0x4f, 0x50, 0x61, 0x72, 0x83, 0x94, 0xa5, 0xb6, 0xc7, 0xd8, 0xe9, 0xfa,
    0x0b, 0x1c, 0x2d,
];
const GUID: &str = "4be58f30-7127-42f5-9b76-f47187495247";

fn rdp_cert() -> CertificateInfo {
    CertificateInfo::rdp_self_signed("RDSH01.contoso.com", GUID, dt(2024, 1, 2, 3, 4, 5), THUMB)
}

// ------------------------------------------------------------------------------- certutil

#[test]
fn certutil_self_signed_rdp_certificate() {
    let out = text::certutil_verifystore("Remote Desktop", &[rdp_cert()]);
    assert_crlf_only(&out);
    let l = lines(&out);
    assert_eq!(l[0], "Remote Desktop");
    assert_eq!(l[1], "================ Certificate 0 ================");
    assert_eq!(l[2], "X509 Certificate:");
    assert_eq!(l[3], "Version: 3");
    assert!(l[4].starts_with("Serial Number: ") && l[4].len() == "Serial Number: ".len() + 32);
    assert!(l.contains(&"Issuer:"));
    assert!(l.contains(&"Subject:"));
    assert!(l.contains(&"    CN=RDSH01.contoso.com"));
    assert!(l.contains(&" NotBefore: 1/2/2024 3:04 AM"));
    assert!(l.contains(&" NotAfter: 7/2/2024 3:04 AM"));
    assert!(l.contains(&"Cert Hash(sha1): 5a0b1c2d3e4f5061728394a5b6c7d8e9fa0b1c2d"));
    assert!(l.contains(&"  CERT_KEY_PROV_INFO_PROP_ID(2):"));
    assert!(l.contains(&"    Key Container = TSSecKeySet1"));
    assert!(
        l.contains(&format!("    Unique container name: f686aace6942fb7f7ceb231212eef4a4_{GUID}").as_str())
    );
    assert!(l.contains(&"    Provider = Microsoft Enhanced Cryptographic Provider v1.0"));
    assert!(l.contains(&"    KeySpec = 1 -- AT_KEYEXCHANGE"));
    assert!(l.contains(&"        Server Authentication (1.3.6.1.5.5.7.3.1)"));
    assert!(l.contains(&"Signature matches Public Key"));
    assert!(l.contains(&"Root Certificate: Subject matches Issuer"));
    let not_exportable = l
        .iter()
        .position(|x| *x == "Private key is NOT exportable")
        .unwrap();
    assert_eq!(l[not_exportable + 1], "Encryption test passed");
    assert!(
        l.iter()
            .any(|x| x.ends_with("(-2146762487 CERT_E_UNTRUSTEDROOT)"))
    );
    assert_eq!(
        *l.last().unwrap(),
        "CertUtil: -verifystore command completed successfully."
    );
    // The thumbprint in the key-provider hash property too.
    assert!(l.contains(&"    5a0b1c2d3e4f5061728394a5b6c7d8e9fa0b1c2d"));
    // Hex dumps: offset, two spaces, two groups of eight.
    let dump = l
        .iter()
        .find(|x| x.starts_with("    0000  30 82 01 0a 02 82 01 01  00 "))
        .unwrap();
    assert_eq!(dump.len(), 4 + 4 + 2 + 8 * 3 - 1 + 2 + 8 * 3 - 1);
    assert_eq!(
        rdp_cert().thumbprint_hex_upper(),
        "5A0B1C2D3E4F5061728394A5B6C7D8E9FA0B1C2D"
    );
}

#[test]
fn certutil_my_store_missing_and_unreadable_keys() {
    let mut missing = rdp_cert();
    missing.private_key = PrivateKeyState::Missing;
    missing.chain = ChainVerdict::Valid;
    let mut denied = rdp_cert();
    denied.private_key = PrivateKeyState::access_denied();
    denied.chain = ChainVerdict::Expired;
    let mut gone = rdp_cert();
    gone.private_key = PrivateKeyState::keyset_does_not_exist();
    let out = text::certutil_verifystore("MY", &[missing, denied, gone]);
    assert_crlf_only(&out);
    let l = lines(&out);
    assert_eq!(l[0], "MY \"Personal\"");
    let starts: Vec<usize> = l
        .iter()
        .enumerate()
        .filter(|(_, x)| x.starts_with("================ Certificate "))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(starts.len(), 3);
    assert_eq!(l[starts[1]], "================ Certificate 1 ================");
    assert_eq!(l[starts[1] - 1], "", "blank line between certificates");
    assert_eq!(l[starts[2] - 1], "");

    let first = &l[starts[0]..starts[1]];
    assert!(first.contains(&"Missing stored keyset"));
    assert!(!first.contains(&"Encryption test passed"));
    assert!(!first.iter().any(|x| x.contains("Unique container name")));
    assert!(first.contains(&"    Key Container = TSSecKeySet1"));
    assert!(first.contains(&"Leaf certificate revocation check passed"));

    let second = &l[starts[1]..starts[2]];
    assert!(second.contains(&"Access is denied. 0x80070005 (WIN32: 5 ERROR_ACCESS_DENIED)"));
    assert!(!second.contains(&"Encryption test passed"));
    assert!(
        second
            .iter()
            .any(|x| x.ends_with("0x800b0101 (-2146762495 CERT_E_EXPIRED)"))
    );

    let third = &l[starts[2]..];
    assert!(third.contains(&"Keyset does not exist 0x80090016 (-2146893802 NTE_BAD_KEYSET)"));
    assert_eq!(
        *l.last().unwrap(),
        "CertUtil: -verifystore command completed successfully."
    );
}

#[test]
fn certutil_ca_issued_certificate_with_san_and_ksp() {
    let cert = CertificateInfo {
        serial: "5800000002ca70ea4e42f218a6000000000002".into(),
        issuer: "CN=Contoso Issuing CA, DC=contoso, DC=com".into(),
        subject: "CN=rdsh01.contoso.com".into(),
        not_before: dt(2023, 11, 3, 20, 14, 0),
        not_after: dt(2025, 11, 3, 20, 14, 0),
        sha1_thumbprint: [0xab; 20],
        key_container: Some("te-RemoteDesktop-1a2b3c".into()),
        provider: Some("Microsoft Software Key Storage Provider".into()),
        private_key: PrivateKeyState::Present { exportable: true },
        eku: vec![
            "1.3.6.1.5.5.7.3.1".into(),
            "1.3.6.1.5.5.7.3.2".into(),
            "1.2.3.4".into(),
        ],
        dns_names: vec!["rdsh01.contoso.com".into(), "rdsh01".into()],
        unique_container: None,
        chain: ChainVerdict::Valid,
    };
    let out = text::certutil_verifystore("My", &[cert]);
    assert_crlf_only(&out);
    let l = lines(&out);
    assert_eq!(l[0], "My \"Personal\"");
    let issuer = l.iter().position(|x| *x == "Issuer:").unwrap();
    assert_eq!(
        &l[issuer + 1..issuer + 4],
        &["    CN=Contoso Issuing CA", "    DC=contoso", "    DC=com"]
    );
    assert!(l[issuer + 4].starts_with("    Name Hash(sha1): "));
    assert!(l.contains(&" NotBefore: 11/3/2023 8:14 PM"));
    assert!(l.contains(&" NotAfter: 11/3/2025 8:14 PM"));
    assert!(l.contains(&"Non-root Certificate"));
    assert!(!l.contains(&"Private key is NOT exportable"));
    assert!(l.contains(&"Encryption test passed"));
    assert!(l.contains(&"    ProviderType = 0"));
    assert!(l.contains(&"    KeySpec = 0 -- XCN_AT_NONE"));
    assert!(l.contains(&"        DNS Name=rdsh01.contoso.com"));
    assert!(l.contains(&"        Client Authentication (1.3.6.1.5.5.7.3.2)"));
    assert!(l.contains(&"        1.2.3.4"));
    assert!(l.contains(&"    1.3.6.1.5.5.7.3.1 Server Authentication"));
    assert!(l.contains(&"Certificate Extensions: 3"));
    assert!(l.contains(&"Cert Hash(sha1): abababababababababababababababababababab"));
}

#[test]
fn certutil_odd_inputs_do_not_panic() {
    let empty = text::certutil_verifystore("Remote Desktop", &[]);
    assert_eq!(
        empty,
        "Remote Desktop\r\nCertUtil: -verifystore command completed successfully.\r\n"
    );
    let odd = CertificateInfo {
        subject: "CN=Ünïcødé 服务器, O=\"Comma, Inc.\", OU=, =x".into(),
        issuer: String::new(),
        key_container: None,
        private_key: PrivateKeyState::Missing,
        eku: vec![String::new(), "not an oid".into()],
        dns_names: vec!["x".repeat(300)],
        ..CertificateInfo::default()
    };
    let long = CertificateInfo {
        subject: format!("CN={}", "a".repeat(5000)),
        ..odd.clone()
    };
    let out = text::certutil_verifystore(&"S".repeat(1000), &[odd, long]);
    assert_crlf_only(&out);
    assert!(out.contains("    CN=Ünïcødé 服务器\r\n"));
    assert!(out.contains("No key provider information\r\nMissing stored keyset\r\n"));
    assert_eq!(
        text::certutil_verifystore_command("MY"),
        "certutil -verifystore -v MY"
    );
    assert_eq!(
        text::certutil_verifystore_command("Remote Desktop"),
        "certutil -verifystore -v 'Remote Desktop'"
    );
}

// ------------------------------------------------------------------------------------ acl

#[test]
fn acl_default_machinekeys_folder_list_view() {
    let out = text::access_rules_format_list(&text::machinekeys_folder_default_acl());
    assert_crlf_only(&out);
    let expected = "\r\n\
        FileSystemRights  : Write, Read, Synchronize\r\n\
        AccessControlType : Allow\r\n\
        IdentityReference : Everyone\r\n\
        IsInherited       : False\r\n\
        InheritanceFlags  : None\r\n\
        PropagationFlags  : None\r\n\
        \r\n\
        FileSystemRights  : FullControl\r\n\
        AccessControlType : Allow\r\n\
        IdentityReference : BUILTIN\\Administrators\r\n\
        IsInherited       : False\r\n\
        InheritanceFlags  : None\r\n\
        PropagationFlags  : None\r\n\
        \r\n\r\n";
    assert_eq!(out, expected);
}

#[test]
fn acl_rdp_key_without_network_service() {
    let normal = text::rdp_key_file_default_acl();
    assert!(
        normal
            .iter()
            .any(|e| e.identity == r"NT AUTHORITY\NETWORK SERVICE" && e.rights == "Read, Synchronize")
    );
    assert!(
        normal
            .iter()
            .any(|e| e.identity == r"NT AUTHORITY\SYSTEM" && e.rights == "FullControl")
    );
    let broken = text::without_identity(&normal, r"nt authority\network service");
    assert_eq!(broken.len(), normal.len() - 1);
    let out = text::get_acl_access_list_at(
        text::RDP_KEY_WILDCARD_PATH,
        &broken,
        NaiveDate::from_ymd_opt(2024, 3, 5)
            .unwrap()
            .and_hms_milli_opt(14, 7, 9, 42)
            .unwrap(),
    );
    // MSRD frame: separator, "<time> : <command>", separator + bare LF, output, LF CR LF.
    assert!(out.starts_with(
        "======================================\r\n\
         2024/03/05 14:07:09.042 : Get-Acl -Path 'C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys\\f686aace6942fb7f7ceb231212eef4a4_*' | Select-Object -ExpandProperty Access\r\n\
         ======================================\n\r\n\
         \r\nFileSystemRights  : FullControl\r\n"
    ));
    assert!(out.ends_with("PropagationFlags  : None\r\n\r\n\r\n\n\r\n"));
    assert!(!out.contains("NETWORK SERVICE"));
    // Exactly the two MSRD bare LFs, each followed by CRLF.
    let b = out.as_bytes();
    let bare: Vec<usize> = (0..b.len())
        .filter(|&i| b[i] == b'\n' && (i == 0 || b[i - 1] != b'\r'))
        .collect();
    assert_eq!(bare.len(), 2);
    assert!(bare.iter().all(|&i| &b[i..i + 3] == b"\n\r\n"));

    assert_eq!(
        text::rdp_key_file_name(GUID),
        format!("f686aace6942fb7f7ceb231212eef4a4_{GUID}")
    );
    let file = text::acl_machinekeys_file(
        dt(2024, 3, 5, 14, 7, 9),
        &text::machinekeys_folder_default_acl(),
        &normal,
    );
    assert!(file.contains("2024/03/05 14:07:09.000 : Get-Acl -Path 'C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys' | Select-Object -ExpandProperty Access\r\n"));
    assert!(file.contains("2024/03/05 14:07:10.000 : Get-Acl -Path 'C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys\\f686aace6942fb7f7ceb231212eef4a4_*'"));
    assert!(file.contains("IdentityReference : NT AUTHORITY\\NETWORK SERVICE\r\n"));
    let plain = text::get_acl_access_list(text::MACHINEKEYS_PATH, &[]);
    assert!(plain.contains(
        "2024/01/15 10:00:00.000 : Get-Acl -Path 'C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys'"
    ));
}

#[test]
fn acl_registry_label_inheritance_and_long_values() {
    let entry = AclEntry {
        rights: "ReadKey".into(),
        access: text::AccessControlType::Deny,
        identity: r"APPLICATION PACKAGE AUTHORITY\ALL APPLICATION PACKAGES".into(),
        inherited: true,
        inheritance_flags: "ContainerInherit".into(),
        propagation_flags: "InheritOnly".into(),
    };
    let out = text::registry_access_rules_format_list(std::slice::from_ref(&entry));
    assert!(out.contains("RegistryRights    : ReadKey\r\n"));
    assert!(out.contains("AccessControlType : Deny\r\n"));
    assert!(out.contains("IsInherited       : True\r\n"));
    assert!(out.contains("PropagationFlags  : InheritOnly\r\n"));
    assert_eq!(text::access_rules_format_list(&[]), "");

    let long = AclEntry {
        identity: format!(r"CONTOSO\{}", "x".repeat(250)),
        ..entry
    };
    let out = text::access_rules_format_list(&[long]);
    assert_crlf_only(&out);
    for l in lines(&out) {
        assert!(l.chars().count() <= 119, "{l}");
    }
    let idx = lines(&out)
        .iter()
        .position(|l| l.starts_with("IdentityReference : "))
        .unwrap();
    assert!(lines(&out)[idx + 1].starts_with(&" ".repeat(20)));
}

// -------------------------------------------------------------------------------- netstat

#[test]
fn netstat_rdp_listener_and_ownership_lines() {
    let mut entries = vec![
        NetstatEntry::tcp_listen(
            "0.0.0.0:135",
            "0.0.0.0:0",
            748,
            Some("RpcSs"),
            Some("svchost.exe"),
        ),
        NetstatEntry::tcp_listen("0.0.0.0:445", "0.0.0.0:0", 4, None, None),
    ];
    entries.extend(NetstatEntry::rdp_listener(3389, 1136));
    entries.push(NetstatEntry {
        proto: Protocol::Tcp,
        local: "10.0.0.5:3389".into(),
        foreign: "10.0.0.20:50123".into(),
        state: Some("ESTABLISHED".into()),
        pid: 1136,
        owner: Some("TermService".into()),
        image: Some("svchost.exe".into()),
    });
    entries.push(NetstatEntry::udp("[::1]:62261", 1036, None, Some("svchost.exe")));
    let out = text::netstat_anob(&entries);
    assert_crlf_only(&out);
    let expected = [
        "",
        "Active Connections",
        "",
        "  Proto  Local Address          Foreign Address        State           PID",
        "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       748",
        "  RpcSs",
        " [svchost.exe]",
        "  TCP    0.0.0.0:445            0.0.0.0:0              LISTENING       4",
        " Can not obtain ownership information",
        "  TCP    0.0.0.0:3389           0.0.0.0:0              LISTENING       1136",
        "  TermService",
        " [svchost.exe]",
        "  TCP    [::]:3389              [::]:0                 LISTENING       1136",
        "  TermService",
        " [svchost.exe]",
        "  UDP    0.0.0.0:3389           *:*                                    1136",
        "  TermService",
        " [svchost.exe]",
        "  UDP    [::]:3389              *:*                                    1136",
        "  TermService",
        " [svchost.exe]",
        "  TCP    10.0.0.5:3389          10.0.0.20:50123        ESTABLISHED     1136",
        "  TermService",
        " [svchost.exe]",
        "  UDP    [::1]:62261            *:*                                    1036",
        " [svchost.exe]",
    ];
    assert_eq!(lines(&out), expected);
}

#[test]
fn netstat_odd_inputs() {
    let empty = text::netstat_anob(&[]);
    assert_eq!(
        empty,
        "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n"
    );
    let long = NetstatEntry::tcp_listen(
        "[fe80::a00:27ff:fe4e:66a1%12]:49670",
        "[fe80::a00:27ff:fe4e:66a2%12]:445",
        u32::MAX,
        Some(&"S".repeat(500)),
        Some("ünïcode.exe"),
    );
    let out = text::netstat_anob(&[long]);
    assert_crlf_only(&out);
    assert!(out.contains(
        "  TCP    [fe80::a00:27ff:fe4e:66a1%12]:49670 [fe80::a00:27ff:fe4e:66a2%12]:445 LISTENING       4294967295\r\n"
    ));
    assert!(out.contains(" [ünïcode.exe]\r\n"));
}

// ------------------------------------------------------------------------------- firewall

#[test]
fn netsh_default_rdp_rules_blocks() {
    let out = text::netsh_show_rules(&text::default_rdp_rules());
    assert_crlf_only(&out);
    let expected = [
        "",
        "Rule Name:                            Remote Desktop - User Mode (TCP-In)",
        "----------------------------------------------------------------------",
        "Enabled:                              Yes",
        "Direction:                            In",
        "Profiles:                             Domain,Private,Public",
        "Grouping:                             Remote Desktop",
        "LocalIP:                              Any",
        "RemoteIP:                             Any",
        "Protocol:                             TCP",
        "LocalPort:                            3389",
        "RemotePort:                           Any",
        "Edge traversal:                       No",
        "Action:                               Allow",
        "",
        "Rule Name:                            Remote Desktop - User Mode (UDP-In)",
        "----------------------------------------------------------------------",
        "Enabled:                              Yes",
        "Direction:                            In",
        "Profiles:                             Domain,Private,Public",
        "Grouping:                             Remote Desktop",
        "LocalIP:                              Any",
        "RemoteIP:                             Any",
        "Protocol:                             UDP",
        "LocalPort:                            3389",
        "RemotePort:                           Any",
        "Edge traversal:                       No",
        "Action:                               Allow",
        "Ok.",
        "",
    ];
    assert_eq!(lines(&out), expected);
}

#[test]
fn netsh_block_rule_without_ports_and_odd_inputs() {
    let rule = FirewallRule {
        name: "Block all inbound from 203.0.113.10".into(),
        enabled: false,
        direction: Direction::Out,
        profiles: "Public".into(),
        grouping: String::new(),
        local_ip: "Any".into(),
        remote_ip: "203.0.113.10/255.255.255.255".into(),
        protocol: "Any".into(),
        local_port: "3389".into(),
        remote_port: "Any".into(),
        edge_traversal: "No".into(),
        action: FirewallAction::Block,
    };
    let out = text::netsh_show_rules(std::slice::from_ref(&rule));
    assert_crlf_only(&out);
    let l = lines(&out);
    assert!(l.contains(&"Enabled:                              No"));
    assert!(l.contains(&"Direction:                            Out"));
    assert!(l.contains(&"Grouping:                             "));
    assert!(l.contains(&"Action:                               Block"));
    assert!(!l.iter().any(|x| x.starts_with("LocalPort:")));
    let bypass = FirewallRule {
        action: FirewallAction::Bypass,
        name: "名前".repeat(100),
        ..rule
    };
    assert!(text::netsh_show_rules(&[bypass]).contains("Action:                               Bypass\r\n"));
    assert_eq!(
        text::netsh_show_rules(&[]),
        "\r\nNo rules match the specified criteria.\r\n\r\n"
    );
}

#[test]
fn firewall_rule_strings_match_windows() {
    assert_eq!(
        FirewallRuleString::remote_desktop_usermode_in_tcp().to_rule_string(),
        r"v2.33|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=3389|App=%SystemRoot%\system32\svchost.exe|Svc=termservice|Name=@FirewallAPI.dll,-28775|Desc=@FirewallAPI.dll,-28756|EmbedCtxt=@FirewallAPI.dll,-28752|"
    );
    assert_eq!(
        FirewallRuleString::remote_desktop_usermode_in_udp().to_rule_string(),
        r"v2.33|Action=Allow|Active=TRUE|Dir=In|Protocol=17|LPort=3389|App=%SystemRoot%\system32\svchost.exe|Svc=termservice|Name=@FirewallAPI.dll,-28776|Desc=@FirewallAPI.dll,-28777|EmbedCtxt=@FirewallAPI.dll,-28752|"
    );
    assert_eq!(
        FirewallRuleString::remote_desktop_shadow_in_tcp().to_rule_string(),
        r"v2.33|Action=Allow|Active=TRUE|Dir=In|Protocol=6|App=%SystemRoot%\system32\RdpSa.exe|Name=@FirewallAPI.dll,-28778|Desc=@FirewallAPI.dll,-28779|EmbedCtxt=@FirewallAPI.dll,-28752|Edge=TRUE|Defer=App|"
    );
    // Microsoft's documented variant with profiles (schema 2.22), disabled.
    let mut r = FirewallRuleString::remote_desktop_usermode_in_tcp();
    r.version = "2.22".into();
    r.active = false;
    r.profiles = vec!["Domain".into(), "Private".into(), "Public".into()];
    assert_eq!(
        r.to_rule_string(),
        r"v2.22|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Domain|Profile=Private|Profile=Public|LPort=3389|App=%SystemRoot%\system32\svchost.exe|Svc=termservice|Name=@FirewallAPI.dll,-28775|Desc=@FirewallAPI.dll,-28756|EmbedCtxt=@FirewallAPI.dll,-28752|"
    );
    let mut b = FirewallRuleString::remote_desktop_usermode_in_tcp();
    b.action = FirewallAction::Bypass;
    b.ra4 = vec!["10.0.0.0/255.0.0.0".into()];
    b.protocol = None;
    let s = b.to_rule_string();
    assert!(s.starts_with("v2.33|Action=ByPass|Active=TRUE|Dir=In|LPort=3389|RA4=10.0.0.0/255.0.0.0|App="));
    let names: Vec<String> = text::default_rdp_rule_strings()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        names,
        [
            "RemoteDesktop-Shadow-In-TCP",
            "RemoteDesktop-UserMode-In-TCP",
            "RemoteDesktop-UserMode-In-UDP"
        ]
    );
}

// ---------------------------------------------------------------------------------- w32tm

#[test]
fn w32tm_unsynchronised_matches_real_output() {
    let out = text::w32tm_query_status(&W32tmStatus::unsynchronised());
    assert_eq!(
        out,
        "Leap Indicator: 3(not synchronized)\r\n\
         Stratum: 0 (unspecified)\r\n\
         Precision: -23 (119.209ns per tick)\r\n\
         Root Delay: 0.0000000s\r\n\
         Root Dispersion: 0.0000000s\r\n\
         ReferenceId: 0x00000000 (unspecified)\r\n\
         Last Successful Sync Time: unspecified\r\n\
         Source: Local CMOS Clock\r\n\
         Poll Interval: 6 (64s)\r\n"
    );
}

#[test]
fn w32tm_synchronised_fields() {
    let s = W32tmStatus {
        leap: 0,
        stratum: 2,
        precision: -23,
        root_delay_s: 0.0062216,
        root_dispersion_s: 7.7702346,
        reference_id: W32tmStatus::reference_id_ipv4([20, 101, 57, 9]),
        last_sync: Some(dt(2023, 5, 30, 20, 21, 27)),
        source: "time.windows.com,0x9".into(),
        poll_interval: 13,
    };
    let out = text::w32tm_query_status(&s);
    assert_crlf_only(&out);
    assert_eq!(
        lines(&out),
        [
            "Leap Indicator: 0(no warning)",
            "Stratum: 2 (secondary reference - syncd by (S)NTP)",
            "Precision: -23 (119.209ns per tick)",
            "Root Delay: 0.0062216s",
            "Root Dispersion: 7.7702346s",
            "ReferenceId: 0x14653909 (source IP:  20.101.57.9)",
            "Last Successful Sync Time: 5/30/2023 8:21:27 PM",
            "Source: time.windows.com,0x9",
            "Poll Interval: 13 (8192s)",
        ]
    );
    let odd = W32tmStatus {
        leap: 9,
        stratum: 99,
        precision: i32::MIN,
        poll_interval: u32::MAX,
        ..s
    };
    let out = text::w32tm_query_status(&odd);
    assert!(out.contains("Poll Interval: 4294967295 (out of valid range)\r\n"));
    assert!(out.contains("Precision: -2147483648 ("));
    let ntp = W32tmStatus::synced_ntp("DC01.contoso.com", [10, 0, 0, 10], dt(2024, 1, 2, 9, 5, 0));
    let out = text::w32tm_query_status(&ntp);
    assert!(out.contains("ReferenceId: 0x0A00000A (source IP:  10.0.0.10)\r\n"));
    assert!(out.contains("Last Successful Sync Time: 1/2/2024 9:05:00 AM\r\n"));
    assert!(out.contains("Source: DC01.contoso.com\r\n"));
}

// ------------------------------------------------------------------------ encoding, framing

#[test]
fn utf16_helper_writes_bom_and_le_units() {
    assert_eq!(text::to_utf16le_bom(""), vec![0xFF, 0xFE]);
    assert_eq!(
        text::to_utf16le_bom("A\r\n"),
        vec![0xFF, 0xFE, b'A', 0, b'\r', 0, b'\n', 0]
    );
    assert_eq!(
        text::to_utf16le_bom("é€𝄞"),
        vec![0xFF, 0xFE, 0xE9, 0, 0xAC, 0x20, 0x34, 0xD8, 0x1E, 0xDD]
    );
}

#[test]
fn msrd_command_block_frame() {
    let at = NaiveDate::from_ymd_opt(2024, 12, 31)
        .unwrap()
        .and_hms_milli_opt(23, 59, 58, 7)
        .unwrap();
    let body = text::netstat_anob(&[]);
    let block = text::msrd_command_block(at, "netstat -anob", &body);
    assert_eq!(
        block,
        format!(
            "======================================\r\n2024/12/31 23:59:58.007 : netstat -anob\r\n======================================\n\r\n{body}\n\r\n"
        )
    );
}
