//! Rendering a simulated host into the files a collector would have gathered.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use rdpdiag_schemas::ArtifactKind;
use rdpdiag_schemas::domain::TextFormat;
use rdpdiag_schemas::manifest::ArtifactSource;

use super::world::{CertFact, World};
use crate::text::{
    self, CertificateInfo, ChainVerdict, Direction, FirewallAction, FirewallRule, NetstatEntry,
    PrivateKeyState, W32tmStatus,
};

/// One collected file, before packaging.
#[derive(Debug, Clone)]
pub struct HostFile {
    /// What it is.
    pub what: FileId,
    /// Manifest kind.
    pub kind: ArtifactKind,
    /// Text format for text artifacts.
    pub text_format: Option<TextFormat>,
    /// Source for the manifest.
    pub source: ArtifactSource,
    /// Method for the manifest.
    pub method: &'static str,
    /// Content as UTF-8 text (text artifacts) or bytes.
    pub content: Vec<u8>,
}

/// Identity of a non-EVTX file, used to place it in each layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileId {
    /// A registry export with its MSRD short name.
    Reg(&'static str),
    /// `certutil -verifystore -v MY`.
    CertsMy,
    /// `certutil -verifystore -v "Remote Desktop"`.
    CertsRemoteDesktop,
    /// Get-Acl of MachineKeys and the RDP key file.
    AclMachineKeys,
    /// `netstat -anob`.
    Netstat,
    /// `netsh advfirewall firewall show rule name=all`.
    FirewallRules,
    /// `w32tm /query /status`.
    W32tm,
    /// SecurityCenter2 products (JSON).
    SecurityProducts,
    /// Versions of the RDP client binaries (JSON).
    ClientVersions,
    /// `ipconfig /all`.
    Ipconfig,
    /// The collector's locale-independent forms (our bundle layout only):
    /// `Get-NetTCPConnection -State Listen` as JSON.
    TcpListenersJson,
    /// Certificates of My and Remote Desktop as JSON (ISO 8601 dates, key opened).
    CertificatesJson,
    /// `Get-Acl` of the key files with SIDs instead of translated account names.
    AclKeysSid,
    /// `Get-NetIPInterface` joined with `Get-NetAdapter` as JSON (MTU, state, adapter).
    NetIpInterfacesJson,
}

impl FileId {
    /// Which command's text this is, for `--locale` ([`crate::text::localize`]).
    pub fn text_kind(&self) -> Option<crate::text::TextKind> {
        use crate::text::TextKind;
        Some(match self {
            FileId::CertsMy | FileId::CertsRemoteDesktop => TextKind::Certutil,
            FileId::AclMachineKeys => TextKind::Acl,
            FileId::Netstat => TextKind::Netstat,
            FileId::FirewallRules => TextKind::Netsh,
            FileId::W32tm => TextKind::W32tm,
            FileId::Ipconfig => TextKind::Ipconfig,
            _ => return None,
        })
    }

    /// A locale-independent form only our collector writes.
    pub fn structured(&self) -> bool {
        matches!(
            self,
            FileId::TcpListenersJson
                | FileId::CertificatesJson
                | FileId::AclKeysSid
                | FileId::NetIpInterfacesJson
        )
    }
}

/// Well-known SIDs of the accounts the sample ACLs name (Microsoft, "Well-known SIDs").
fn sid_of(identity: &str) -> String {
    match identity {
        r"NT AUTHORITY\NETWORK SERVICE" => "S-1-5-20",
        r"NT AUTHORITY\SYSTEM" => "S-1-5-18",
        r"BUILTIN\Administrators" => "S-1-5-32-544",
        r"BUILTIN\Users" => "S-1-5-32-545",
        "Everyone" => "S-1-1-0",
        other => other,
    }
    .to_string()
}

/// ISO 8601 with the host's offset (PowerShell `ToString('o')` of a local DateTime).
fn iso_local(t: NaiveDateTime, tz: i32) -> String {
    let sign = if tz < 0 { '-' } else { '+' };
    // Seven fractional digits (ticks of 100 ns), as .NET's round-trip format prints them.
    format!(
        "{}.{:07}{sign}{:02}:{:02}",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.and_utc().timestamp_subsec_nanos() / 100,
        tz.abs() / 60,
        tz.abs() % 60
    )
}

fn json_bytes_file(what: FileId, command: &str, content: Vec<u8>) -> HostFile {
    HostFile {
        what,
        kind: ArtifactKind::Json,
        text_format: None,
        source: ArtifactSource {
            command: Some(command.to_string()),
            ..ArtifactSource::default()
        },
        method: "command",
        content,
    }
}

/// One certificate as the collector's JSON prints it (a struct, not `json!`: field order must
/// not depend on serde_json features other crates of the build switch on).
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct CertJson {
    store: String,
    thumbprint: String,
    subject: String,
    issuer: String,
    not_before: String,
    not_after: String,
    has_private_key: bool,
    key_unique_name: Option<String>,
    key_provider: Option<String>,
    key_open: String,
    #[serde(rename = "EKU")]
    eku: Vec<String>,
}

/// A document of the collector's JSON: `{"rdpdiag": kind, <items key>: [...]}`.
#[derive(serde::Serialize)]
struct Listing<T> {
    rdpdiag: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificates: Option<Vec<T>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    listeners: Option<Vec<T>>,
}

/// The collector's certificate JSON for the stores.
fn certificates_json(stores: &[(&str, &[CertificateInfo])], tz: i32) -> Vec<u8> {
    let mut list = Vec::new();
    for (store, certs) in stores {
        for c in *certs {
            let thumb: String = c.sha1_thumbprint.iter().map(|b| format!("{b:02X}")).collect();
            let key_open = match &c.private_key {
                PrivateKeyState::Present { .. } => "ok".to_string(),
                PrivateKeyState::Missing => "missing".to_string(),
                PrivateKeyState::Unreadable(e) => format!("error: {e}"),
            };
            list.push(CertJson {
                store: store.to_string(),
                thumbprint: thumb,
                subject: c.subject.clone(),
                issuer: c.issuer.clone(),
                not_before: iso_local(c.not_before, tz),
                not_after: iso_local(c.not_after, tz),
                has_private_key: !matches!(c.private_key, PrivateKeyState::Missing),
                key_unique_name: c.unique_container.clone(),
                key_provider: c.provider.clone(),
                key_open,
                eku: c.eku.clone(),
            });
        }
    }
    let doc = Listing {
        rdpdiag: "certificates",
        certificates: Some(list),
        listeners: None,
    };
    serde_json::to_vec_pretty(&doc).unwrap_or_default()
}

/// One listener as the collector's JSON prints it.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListenerJson {
    local_address: String,
    local_port: u16,
    state: &'static str,
    owning_process: u32,
    process_name: String,
    services: Vec<String>,
}

/// Local wall-clock time of a host with a fixed UTC offset.
fn local(t: DateTime<Utc>, offset_minutes: i32) -> NaiveDateTime {
    (t + Duration::minutes(i64::from(offset_minutes))).naive_utc()
}

fn cert_info(c: &CertFact, tz: i32, machine_guid: &str, self_signed: bool) -> CertificateInfo {
    let mut info = if self_signed {
        CertificateInfo::rdp_self_signed(&c.subject, machine_guid, local(c.not_before, tz), c.thumbprint)
    } else {
        CertificateInfo {
            serial: c.serial.to_lowercase(),
            issuer: format!("CN={}, DC=corp, DC=contoso, DC=com", c.issuer),
            subject: format!("CN={}", c.subject),
            sha1_thumbprint: c.thumbprint,
            key_container: Some(c.container.clone()),
            provider: Some("Microsoft RSA SChannel Cryptographic Provider".into()),
            eku: vec!["1.3.6.1.5.5.7.3.1".into()],
            dns_names: vec![c.subject.clone()],
            chain: ChainVerdict::Valid,
            ..CertificateInfo::default()
        }
    };
    info.not_before = local(c.not_before, tz);
    info.not_after = local(c.not_after, tz);
    if !c.key_ok {
        info.private_key = PrivateKeyState::keyset_does_not_exist();
    }
    if c.not_after < c.not_before + Duration::days(1) || info.not_after < info.not_before {
        info.chain = ChainVerdict::Expired;
    }
    info
}

fn text_file(what: FileId, format: TextFormat, command: &str, text: String) -> HostFile {
    HostFile {
        what,
        kind: ArtifactKind::Text,
        text_format: Some(format),
        source: ArtifactSource {
            command: Some(command.to_string()),
            ..ArtifactSource::default()
        },
        method: "command",
        content: text.into_bytes(),
    }
}

/// The non-EVTX files of the server.
pub fn server_files(w: &World, tz: i32, collected: DateTime<Utc>) -> Vec<HostFile> {
    let mut out = reg_files(w.server_cfg.reg_files());
    let guid = &w.server_cfg.machine_guid;
    let my: Vec<CertificateInfo> = w
        .facts
        .my_certs
        .iter()
        .map(|c| {
            let mut i = cert_info(c, tz, guid, false);
            if c.not_after < collected {
                i.chain = ChainVerdict::Expired;
            }
            i
        })
        .collect();
    let rd: Vec<CertificateInfo> = w
        .facts
        .rd_certs
        .iter()
        .map(|c| cert_info(c, tz, guid, true))
        .collect();
    out.push(text_file(
        FileId::CertsMy,
        TextFormat::CertutilStore,
        &text::certutil_verifystore_command("MY"),
        text::certutil_verifystore("MY", &my),
    ));
    out.push(text_file(
        FileId::CertsRemoteDesktop,
        TextFormat::CertutilStore,
        &text::certutil_verifystore_command("Remote Desktop"),
        text::certutil_verifystore("Remote Desktop", &rd),
    ));
    let mut folder_acl = text::machinekeys_folder_default_acl();
    if !w.facts.machinekeys_folder_ok {
        folder_acl = text::without_identity(&folder_acl, "Everyone");
    }
    let mut key_acl = text::rdp_key_file_default_acl();
    if !w.facts.key_acl_network_service {
        key_acl = text::without_identity(&key_acl, r"NT AUTHORITY\NETWORK SERVICE");
    }
    let acl = text::acl_machinekeys_file(local(collected, tz), &folder_acl, &key_acl);
    out.push(text_file(
        FileId::AclMachineKeys,
        TextFormat::AclList,
        "Get-Acl MachineKeys | Select -ExpandProperty Access",
        acl,
    ));
    let by_sid = |acl: &[text::AclEntry]| -> Vec<text::AclEntry> {
        acl.iter()
            .map(|e| text::AclEntry {
                identity: sid_of(&e.identity),
                ..e.clone()
            })
            .collect()
    };
    out.push(text_file(
        FileId::AclKeysSid,
        TextFormat::AclList,
        "(Get-Acl <key file>).GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])",
        text::acl_machinekeys_file(local(collected, tz), &by_sid(&folder_acl), &by_sid(&key_acl)),
    ));
    out.push(json_bytes_file(
        FileId::CertificatesJson,
        r"Get-ChildItem Cert:\LocalMachine\My, 'Cert:\LocalMachine\Remote Desktop'",
        certificates_json(&[("My", &my), ("Remote Desktop", &rd)], tz),
    ));

    let pid = w.server.main_pid;
    let mut sockets = vec![
        NetstatEntry::tcp_listen(
            "0.0.0.0:135",
            "0.0.0.0:0",
            1004,
            Some("RpcSs"),
            Some("svchost.exe"),
        ),
        NetstatEntry::tcp_listen("0.0.0.0:445", "0.0.0.0:0", 4, None, None),
    ];
    let port = w.server_cfg.port as u16;
    sockets.extend(NetstatEntry::rdp_listener(port, pid));
    if let Some(owner) = &w.facts.port_3389_owner {
        sockets.push(NetstatEntry::tcp_listen(
            "0.0.0.0:3389",
            "0.0.0.0:0",
            5120,
            None,
            Some(owner),
        ));
    }
    sockets.push(NetstatEntry::tcp_listen(
        "0.0.0.0:5985",
        "0.0.0.0:0",
        4,
        None,
        None,
    ));
    out.push(text_file(
        FileId::Netstat,
        TextFormat::Netstat,
        "netstat -anob",
        text::netstat_anob(&sockets),
    ));
    let listeners: Vec<ListenerJson> = sockets
        .iter()
        .filter(|e| e.state.as_deref() == Some("LISTENING"))
        .filter_map(|e| {
            let (addr, port) = e.local.rsplit_once(':')?;
            Some(ListenerJson {
                local_address: addr.trim_matches(['[', ']']).to_string(),
                local_port: port.parse::<u16>().ok()?,
                state: "Listen",
                owning_process: e.pid,
                process_name: e
                    .image
                    .as_deref()
                    .map(|i| i.trim_end_matches(".exe"))
                    .unwrap_or("System")
                    .to_string(),
                services: e.owner.iter().cloned().collect(),
            })
        })
        .collect();
    out.push(json_bytes_file(
        FileId::TcpListenersJson,
        "Get-NetTCPConnection -State Listen | ConvertTo-Json",
        serde_json::to_vec_pretty(&Listing {
            rdpdiag: "tcp-listeners",
            certificates: None,
            listeners: Some(listeners),
        })
        .unwrap_or_default(),
    ));

    let mut rules = text::default_rdp_rules();
    for r in &mut rules {
        r.enabled = w.facts.rdp_rule_enabled;
    }
    for (name, block, port, enabled) in &w.facts.extra_netsh_rules {
        rules.push(FirewallRule {
            name: name.clone(),
            enabled: *enabled,
            direction: Direction::In,
            profiles: "Domain,Private,Public".into(),
            grouping: String::new(),
            local_ip: "Any".into(),
            remote_ip: "10.30.0.0/255.255.0.0".into(),
            protocol: "TCP".into(),
            local_port: port.clone(),
            remote_port: "Any".into(),
            edge_traversal: "No".into(),
            action: if *block {
                FirewallAction::Block
            } else {
                FirewallAction::Allow
            },
        });
    }
    out.push(text_file(
        FileId::FirewallRules,
        TextFormat::FirewallRules,
        "netsh advfirewall firewall show rule name=all",
        text::netsh_show_rules(&rules),
    ));
    out.push(w32tm_file(w.facts.server_time_synced, collected, tz));
    out.push(ipconfig_file(&w.server.short_name, &w.server.ip));
    out.push(net_ip_interfaces_file("Microsoft Hyper-V Network Adapter", None));
    if w.server_cfg.os.installation_type == "Client" {
        out.push(products_file(&w.facts.security_products));
    }
    out
}

/// The non-EVTX files of the client.
pub fn client_files(w: &World, tz: i32, collected: DateTime<Utc>) -> Vec<HostFile> {
    let mut out = reg_files(
        w.client_cfg
            .reg_files(&format!("{}\\{}", w.client.domain, w.client.user_name)),
    );
    out.push(w32tm_file(w.facts.client_time_synced, collected, tz));
    out.push(ipconfig_file(&w.client.short_name, &w.client.ip));
    out.push(net_ip_interfaces_file(
        "Intel(R) Ethernet Connection (13) I219-LM",
        w.facts.client_vpn.as_ref(),
    ));
    out.push(products_file(&[(
        "AntiVirusProduct".into(),
        "Microsoft Defender Antivirus".into(),
    )]));
    let v = &w.client_cfg.mstsc_version;
    // A BTreeMap, not `json!`: its key order must not depend on serde_json features that other
    // crates in the same build switch on (`preserve_order`).
    let json: std::collections::BTreeMap<&str, Option<&str>> = [
        ("mstsc.exe", Some(v.as_str())),
        ("mstscax.dll", Some(v.as_str())),
        ("msrdc.exe", None),
        ("windows_app", None),
        ("remote_desktop_store_app", None),
    ]
    .into_iter()
    .collect();
    out.push(HostFile {
        what: FileId::ClientVersions,
        kind: ArtifactKind::Json,
        text_format: None,
        source: ArtifactSource {
            file_path: Some(r"C:\Windows\System32\mstscax.dll".into()),
            ..ArtifactSource::default()
        },
        method: "file version",
        content: serde_json::to_vec_pretty(&json).unwrap_or_default(),
    });
    out
}

fn reg_files(files: Vec<super::config::RegFile>) -> Vec<HostFile> {
    files
        .into_iter()
        .map(|f| HostFile {
            what: FileId::Reg(f.short_name),
            kind: ArtifactKind::Reg,
            text_format: None,
            source: ArtifactSource {
                registry_key: Some(f.root.to_string()),
                ..ArtifactSource::default()
            },
            method: "reg export",
            content: f.export.to_utf16le_bytes(),
        })
        .collect()
}

/// One IP interface as the collector's `net-ip-interfaces` step prints it.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct IpInterfaceJson {
    interface_alias: &'static str,
    interface_index: u32,
    address_family: &'static str,
    nl_mtu: u64,
    connection_state: &'static str,
    interface_description: Option<String>,
}

#[derive(serde::Serialize)]
struct IpInterfaceListing {
    rdpdiag: &'static str,
    interfaces: Vec<IpInterfaceJson>,
}

/// `Get-NetIPInterface` of a host: its adapter (MTU 1500, Ethernet's), the loopback
/// pseudo-interface and, when given, a VPN adapter `(description, mtu, connected)`; each
/// interface once per address family, as Windows lists them (Microsoft's Get-NetIPInterface
/// documentation: one MSFT_NetIPInterface per interface and family). Loopback's NlMtu of
/// 4294967295 is what Windows prints for it (inference from outputs seen, not a documented
/// value); the analyzer treats it as loopback by its alias as well.
fn net_ip_interfaces_file(adapter: &str, vpn: Option<&(String, u32, bool)>) -> HostFile {
    let mut interfaces = Vec::new();
    let mut add =
        |alias: &'static str, index: u32, mtu: u64, connected: bool, description: Option<String>| {
            for family in ["IPv6", "IPv4"] {
                interfaces.push(IpInterfaceJson {
                    interface_alias: alias,
                    interface_index: index,
                    address_family: family,
                    nl_mtu: mtu,
                    connection_state: if connected { "Connected" } else { "Disconnected" },
                    interface_description: description.clone(),
                });
            }
        };
    add("Ethernet", 12, 1500, true, Some(adapter.to_string()));
    if let Some((description, mtu, connected)) = vpn {
        add(
            "Ethernet 3",
            23,
            u64::from(*mtu),
            *connected,
            Some(description.clone()),
        );
    }
    add("Loopback Pseudo-Interface 1", 1, u64::from(u32::MAX), true, None);
    json_bytes_file(
        FileId::NetIpInterfacesJson,
        "Get-NetIPInterface | ConvertTo-Json",
        serde_json::to_vec_pretty(&IpInterfaceListing {
            rdpdiag: "net-ip-interfaces",
            interfaces,
        })
        .unwrap_or_default(),
    )
}

fn ipconfig_file(host: &str, ip: &str) -> HostFile {
    let gateway = match ip.rsplit_once('.') {
        Some((net, _)) => format!("{net}.1"),
        None => String::new(),
    };
    let mac: String = crate::scenario::world::fnv(host).to_be_bytes()[2..]
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join("-");
    let adapter = text::Adapter {
        heading: "Ethernet adapter Ethernet".into(),
        description: "Microsoft Hyper-V Network Adapter".into(),
        physical: mac,
        ipv4: ip.to_string(),
        mask: "255.255.255.0".into(),
        gateway,
        dns: vec!["10.20.0.2".into(), "10.20.0.3".into()],
    };
    text_file(
        FileId::Ipconfig,
        TextFormat::Ipconfig,
        "ipconfig /all",
        text::ipconfig_all(host, "corp.contoso.com", &[adapter]),
    )
}

fn w32tm_file(synced: bool, collected: DateTime<Utc>, tz: i32) -> HostFile {
    let status = if synced {
        W32tmStatus::synced_ntp(
            "dc01.corp.contoso.com",
            [10, 20, 0, 2],
            local(collected - Duration::minutes(23), tz),
        )
    } else {
        W32tmStatus::unsynchronised()
    };
    text_file(
        FileId::W32tm,
        TextFormat::W32tmStatus,
        "w32tm /query /status",
        text::w32tm_query_status(&status),
    )
}

fn products_file(products: &[(String, String)]) -> HostFile {
    #[derive(serde::Serialize)]
    struct Product<'a> {
        class: &'a str,
        #[serde(rename = "displayName")]
        display_name: &'a str,
        #[serde(rename = "productState")]
        product_state: u32,
    }
    let list: Vec<Product> = products
        .iter()
        .map(|(class, name)| Product {
            class,
            display_name: name,
            product_state: 397_568,
        })
        .collect();
    HostFile {
        what: FileId::SecurityProducts,
        kind: ArtifactKind::Json,
        text_format: None,
        source: ArtifactSource {
            command: Some("Get-CimInstance -Namespace root/SecurityCenter2".into()),
            ..ArtifactSource::default()
        },
        method: "cim",
        content: serde_json::to_vec_pretty(&list).unwrap_or_default(),
    }
}
