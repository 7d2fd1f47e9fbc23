//! Host configuration of a scenario (registry values and facts behind the text artifacts), and
//! its rendering as `reg export` files (field guide section 4).

use crate::reg::{RegData, RegExport, RegKey, RegValue};

const TS: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server";
const TS_POLICY: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
const SCHANNEL: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL";
const LSA: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa";
const CREDSSP: &str =
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters";
const CURRENT_VERSION: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
const FIREWALL_RULES: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules";
const TS_CLIENT_HKLM: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Terminal Server Client";
const TS_CLIENT_HKCU: &str = r"HKEY_CURRENT_USER\Software\Microsoft\Terminal Server Client";
const CRYPTOGRAPHY: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Cryptography";

/// Operating system of a host (CurrentVersion values).
#[derive(Debug, Clone)]
pub struct OsVersion {
    /// ProductName.
    pub product: &'static str,
    /// EditionID.
    pub edition: &'static str,
    /// InstallationType.
    pub installation_type: &'static str,
    /// DisplayVersion (None on old builds).
    pub display_version: Option<&'static str>,
    /// CurrentBuild.
    pub build: u32,
    /// UBR.
    pub ubr: u32,
}

impl OsVersion {
    /// Windows Server 2022 Datacenter.
    pub fn server_2022() -> OsVersion {
        OsVersion {
            product: "Windows Server 2022 Datacenter",
            edition: "ServerDatacenter",
            installation_type: "Server",
            display_version: Some("21H2"),
            build: 20348,
            ubr: 2340,
        }
    }
    /// Windows 11 23H2 (ProductName still says Windows 10, as real systems do).
    pub fn windows_11() -> OsVersion {
        OsVersion {
            product: "Windows 10 Enterprise",
            edition: "Enterprise",
            installation_type: "Client",
            display_version: Some("23H2"),
            build: 22631,
            ubr: 3296,
        }
    }
    /// Windows 7 SP1 without later updates.
    pub fn windows_7() -> OsVersion {
        OsVersion {
            product: "Windows 7 Professional",
            edition: "Professional",
            installation_type: "Client",
            display_version: None,
            build: 7601,
            ubr: 17514,
        }
    }
}

/// A `SCHANNEL\Protocols\<name>\<side>` switch.
#[derive(Debug, Clone)]
pub struct ProtocolSwitch {
    /// e.g. `TLS 1.2`.
    pub protocol: &'static str,
    /// `Server` or `Client`.
    pub side: &'static str,
    /// Enabled value.
    pub enabled: u32,
    /// DisabledByDefault value.
    pub disabled_by_default: u32,
}

/// A ProfileList entry.
#[derive(Debug, Clone)]
pub struct ProfileEntry {
    /// Key name (a SID, possibly with `.bak`).
    pub key: String,
    /// ProfileImagePath.
    pub image_path: String,
    /// State.
    pub state: u32,
    /// RefCount.
    pub ref_count: u32,
}

/// Registry facts of the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// OS.
    pub os: OsVersion,
    /// RDP-Tcp PortNumber.
    pub port: u32,
    /// RDP-Tcp SecurityLayer.
    pub security_layer: u32,
    /// RDP-Tcp UserAuthentication.
    pub user_authentication: u32,
    /// RDP-Tcp MinEncryptionLevel.
    pub min_encryption_level: u32,
    /// RDP-Tcp SSLCertificateSHA1Hash (custom certificate), with its Type.
    pub ssl_cert_hash: Option<([u8; 20], u32)>,
    /// Thumbprint of the current self-signed certificate (`WinStations\SelfSignedCertificate`).
    pub self_signed_thumbprint: [u8; 20],
    /// fDenyTSConnections.
    pub deny_ts_connections: u32,
    /// MaxOutstandingConnections, when set explicitly.
    pub max_outstanding: Option<u32>,
    /// Policy `SelectTransport`, when set.
    pub policy_select_transport: Option<u32>,
    /// Policy `UserAuthentication`, when set.
    pub policy_user_authentication: Option<u32>,
    /// SCHANNEL protocol switches present.
    pub schannel: Vec<ProtocolSwitch>,
    /// FIPSAlgorithmPolicy Enabled.
    pub fips: bool,
    /// CredSSP AllowEncryptionOracle, when set.
    pub allow_encryption_oracle: Option<u32>,
    /// Firewall rule strings by rule id.
    pub firewall_rules: Vec<(String, String)>,
    /// ProfileList.
    pub profiles: Vec<ProfileEntry>,
    /// `HKLM\SOFTWARE\Microsoft\Cryptography` MachineGuid.
    pub machine_guid: String,
    /// `Winlogon\WinStationsDisabled` (REG_SZ "0"/"1", as Windows writes it).
    pub winstations_disabled: u32,
    /// `Terminal Server\TSServerDrainMode`, when set.
    pub drain_mode: Option<u32>,
    /// `TermService\Parameters\ServiceDll`.
    pub service_dll: String,
    /// Group Policy SSL Cipher Suite Order (`Policies\...\SSL\00010002` Functions), when set.
    pub cipher_policy: Option<Vec<String>>,
}

/// Registry facts of the client.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// OS.
    pub os: OsVersion,
    /// `Terminal Server Client` DisableUDPTransport, when set.
    pub disable_udp: Option<u32>,
    /// `Terminal Server Client` EnableCredSSPSupport, when set.
    pub enable_credssp: Option<u32>,
    /// CredSSP AllowEncryptionOracle, when set.
    pub allow_encryption_oracle: Option<u32>,
    /// FIPSAlgorithmPolicy Enabled.
    pub fips: bool,
    /// SCHANNEL switches present.
    pub schannel: Vec<ProtocolSwitch>,
    /// MRU list of servers typed in mstsc.
    pub mru: Vec<String>,
    /// File version of mstsc.exe / mstscax.dll.
    pub mstsc_version: String,
}

/// The built-in RDP firewall rule strings (field guide 4.7).
pub fn default_rdp_rule_strings(port: u32) -> Vec<(String, String)> {
    vec![
        (
            "RemoteDesktop-UserMode-In-TCP".into(),
            format!(
                "v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort={port}|App=%SystemRoot%\\system32\\svchost.exe|Svc=termservice|Name=@FirewallAPI.dll,-28775|Desc=@FirewallAPI.dll,-28756|EmbedCtxt=@FirewallAPI.dll,-28752|"
            ),
        ),
        (
            "RemoteDesktop-UserMode-In-UDP".into(),
            format!(
                "v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=17|LPort={port}|App=%SystemRoot%\\system32\\svchost.exe|Svc=termservice|Name=@FirewallAPI.dll,-28776|Desc=@FirewallAPI.dll,-28777|EmbedCtxt=@FirewallAPI.dll,-28752|"
            ),
        ),
        (
            "RemoteDesktop-Shadow-In-TCP".into(),
            "v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=6|App=%SystemRoot%\\system32\\RdpSa.exe|Name=@FirewallAPI.dll,-28778|Desc=@FirewallAPI.dll,-28779|EmbedCtxt=@FirewallAPI.dll,-28752|Edge=TRUE|Defer=App|".into(),
        ),
    ]
}

fn dword(name: &str, v: u32) -> RegValue {
    RegValue::named(name, RegData::Dword(v))
}
fn sz(name: &str, v: &str) -> RegValue {
    RegValue::named(name, RegData::Sz(v.to_string()))
}

fn current_version_key(os: &OsVersion) -> RegKey {
    let mut v = vec![
        sz("CurrentBuild", &os.build.to_string()),
        sz("CurrentBuildNumber", &os.build.to_string()),
        sz("CurrentVersion", "6.3"),
    ];
    if let Some(d) = os.display_version {
        v.push(sz("DisplayVersion", d));
    }
    v.push(sz("EditionID", os.edition));
    v.push(sz("InstallationType", os.installation_type));
    v.push(sz("ProductName", os.product));
    v.push(sz("SystemRoot", r"C:\Windows"));
    v.push(dword("UBR", os.ubr));
    RegKey::new(CURRENT_VERSION, v)
}

fn schannel_keys(switches: &[ProtocolSwitch]) -> Vec<RegKey> {
    let mut keys = vec![
        RegKey::new(SCHANNEL, vec![dword("EventLogging", 1)]),
        RegKey::new(format!(r"{SCHANNEL}\Protocols"), vec![]),
    ];
    let mut protocols: Vec<&str> = switches.iter().map(|s| s.protocol).collect();
    protocols.dedup();
    for p in protocols {
        keys.push(RegKey::new(format!(r"{SCHANNEL}\Protocols\{p}"), vec![]));
        for sw in switches.iter().filter(|s| s.protocol == p) {
            keys.push(RegKey::new(
                format!(r"{SCHANNEL}\Protocols\{p}\{}", sw.side),
                vec![
                    dword("DisabledByDefault", sw.disabled_by_default),
                    dword("Enabled", sw.enabled),
                ],
            ));
        }
    }
    keys
}

fn lsa_keys(fips: bool) -> Vec<RegKey> {
    vec![
        RegKey::new(
            LSA,
            vec![
                dword("disabledomaincreds", 0),
                dword("LmCompatibilityLevel", 5),
                dword("restrictanonymous", 0),
            ],
        ),
        RegKey::new(
            format!(r"{LSA}\FIPSAlgorithmPolicy"),
            vec![dword("Enabled", u32::from(fips))],
        ),
    ]
}

fn credssp_keys(oracle: Option<u32>) -> Vec<RegKey> {
    match oracle {
        Some(v) => vec![RegKey::new(CREDSSP, vec![dword("AllowEncryptionOracle", v)])],
        None => vec![RegKey::new(CREDSSP, vec![])],
    }
}

/// A registry file of a bundle: MSRD-style short name and the export.
#[derive(Debug, Clone)]
pub struct RegFile {
    /// MSRD-Collect short name, e.g. `HKLM-System-CCS-Control-TerminalServer`.
    pub short_name: &'static str,
    /// Root key exported (for the manifest).
    pub root: &'static str,
    /// Content.
    pub export: RegExport,
}

/// The exports both roles carry: SCHANNEL, LSA (FIPS), CredSSP policy, OS version.
fn host_reg_files(
    schannel: &[ProtocolSwitch],
    fips: bool,
    oracle: Option<u32>,
    os: &OsVersion,
) -> Vec<RegFile> {
    vec![
        RegFile {
            short_name: "HKLM-System-CCS-Control-SecurityProviders",
            root: r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders",
            export: RegExport::new(schannel_keys(schannel)),
        },
        RegFile {
            short_name: "HKLM-System-CCS-Control-LSA",
            root: r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa",
            export: RegExport::new(lsa_keys(fips)),
        },
        RegFile {
            short_name: "HKLM-SW-MS-Win-CV-Policies",
            root: r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies",
            export: RegExport::new(credssp_keys(oracle)),
        },
        RegFile {
            short_name: "HKLM-SW-MS-WinNT-CV",
            root: r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion",
            export: RegExport::new(vec![current_version_key(os)]),
        },
    ]
}

impl ServerConfig {
    /// The registry exports a server bundle carries.
    pub fn reg_files(&self) -> Vec<RegFile> {
        let mut ts = vec![
            dword("fDenyTSConnections", self.deny_ts_connections),
            dword("fSingleSessionPerUser", 1),
        ];
        if let Some(m) = self.max_outstanding {
            ts.push(dword("MaxOutstandingConnections", m));
        }
        if let Some(d) = self.drain_mode {
            ts.push(dword("TSServerDrainMode", d));
        }
        ts.push(dword("KeepAliveEnable", 1));
        ts.push(dword("KeepAliveInterval", 1));
        let mut rdp_tcp = vec![
            dword("fAllowSecProtocolNegotiation", 1),
            dword("fEnableWinStation", 1),
            dword("fInheritSecurity", 0),
            sz(
                "LoadableProtocol_Object",
                "{5828227c-20cf-4408-b73f-73ab70b8849f}",
            ),
            dword("MaxInstanceCount", 0xFFFF_FFFF),
            dword("MinEncryptionLevel", self.min_encryption_level),
            dword("PortNumber", self.port),
            dword("SecurityLayer", self.security_layer),
        ];
        if let Some((hash, kind)) = self.ssl_cert_hash {
            rdp_tcp.push(RegValue::named(
                "SSLCertificateSHA1Hash",
                RegData::Binary(hash.to_vec()),
            ));
            rdp_tcp.push(dword("SSLCertificateSHA1HashType", kind));
        }
        rdp_tcp.push(dword("UserAuthentication", self.user_authentication));
        let winstations = vec![
            RegValue::named(
                "SelfSignedCertificate",
                RegData::Binary(self.self_signed_thumbprint.to_vec()),
            ),
            sz("SelfSignedCertStore", "Remote Desktop"),
        ];
        let mut policy = vec![];
        if let Some(v) = self.policy_select_transport {
            policy.push(dword("SelectTransport", v));
        }
        if let Some(v) = self.policy_user_authentication {
            policy.push(dword("UserAuthentication", v));
        }
        let mut profile_keys = vec![RegKey::new(
            format!(r"{CURRENT_VERSION}\ProfileList"),
            vec![
                RegValue::named(
                    "Default",
                    RegData::ExpandSz(r"%SystemDrive%\Users\Default".into()),
                ),
                RegValue::named(
                    "ProfilesDirectory",
                    RegData::ExpandSz(r"%SystemDrive%\Users".into()),
                ),
                RegValue::named(
                    "ProgramData",
                    RegData::ExpandSz(r"%SystemDrive%\ProgramData".into()),
                ),
                RegValue::named("Public", RegData::ExpandSz(r"%SystemDrive%\Users\Public".into())),
            ],
        )];
        for p in &self.profiles {
            profile_keys.push(RegKey::new(
                format!(r"{CURRENT_VERSION}\ProfileList\{}", p.key),
                vec![
                    dword("Flags", 0),
                    RegValue::named("ProfileImagePath", RegData::ExpandSz(p.image_path.clone())),
                    dword("RefCount", p.ref_count),
                    dword("State", p.state),
                ],
            ));
        }
        let mut policy_keys = vec![RegKey::new(TS_POLICY, policy)];
        if let Some(suites) = &self.cipher_policy {
            policy_keys.push(RegKey::new(
                r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002",
                vec![sz("Functions", &suites.join(","))],
            ));
        }
        let mut files = vec![
            RegFile {
                short_name: "HKLM-System-CCS-Control-TerminalServer",
                root: r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server",
                export: RegExport::new(vec![
                    RegKey::new(TS, ts),
                    RegKey::new(format!(r"{TS}\WinStations"), winstations),
                    RegKey::new(format!(r"{TS}\WinStations\RDP-Tcp"), rdp_tcp),
                ]),
            },
            RegFile {
                short_name: "HKLM-SW-Policies",
                root: r"HKLM\SOFTWARE\Policies",
                export: RegExport::new(policy_keys),
            },
        ];
        files.extend(host_reg_files(
            &self.schannel,
            self.fips,
            self.allow_encryption_oracle,
            &self.os,
        ));
        files.extend([
            RegFile {
                short_name: "HKLM-SW-MS-WinNT-CV-Winlogon",
                root: r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon",
                export: RegExport::new(vec![RegKey::new(
                    format!(r"{CURRENT_VERSION}\Winlogon"),
                    vec![sz("WinStationsDisabled", &self.winstations_disabled.to_string())],
                )]),
            },
            RegFile {
                short_name: "HKLM-System-CCS-Svc-TermService",
                root: r"HKLM\SYSTEM\CurrentControlSet\Services\TermService",
                export: RegExport::new(vec![
                    RegKey::new(
                        r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\TermService".to_string(),
                        vec![sz("ObjectName", "NT Authority\\NetworkService"), dword("Start", 3)],
                    ),
                    RegKey::new(
                        r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\TermService\Parameters".to_string(),
                        vec![RegValue::named("ServiceDll", RegData::ExpandSz(self.service_dll.clone()))],
                    ),
                ]),
            },
            RegFile {
                short_name: "HKLM-SW-MS-WinNT-CV-ProfileList",
                root: r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList",
                export: RegExport::new(profile_keys),
            },
            RegFile {
                short_name: "HKLM-System-CCS-Svc-SharedAccess-FirewallRules",
                root: r"HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules",
                export: RegExport::new(vec![RegKey::new(
                    FIREWALL_RULES,
                    self.firewall_rules
                        .iter()
                        .map(|(id, rule)| sz(id, rule))
                        .collect(),
                )]),
            },
            RegFile {
                short_name: "HKLM-SW-MS-Cryptography",
                root: r"HKLM\SOFTWARE\Microsoft\Cryptography",
                export: RegExport::new(vec![RegKey::new(
                    CRYPTOGRAPHY,
                    vec![sz("MachineGuid", &self.machine_guid)],
                )]),
            },
        ]);
        files
    }
}

impl ClientConfig {
    /// The registry exports a client bundle carries.
    pub fn reg_files(&self, user_hint: &str) -> Vec<RegFile> {
        let mut hklm = vec![];
        if let Some(v) = self.disable_udp {
            hklm.push(dword("DisableUDPTransport", v));
        }
        if let Some(v) = self.enable_credssp {
            hklm.push(dword("EnableCredSSPSupport", v));
        }
        let mru: Vec<RegValue> = self
            .mru
            .iter()
            .enumerate()
            .map(|(i, s)| sz(&format!("MRU{i}"), s))
            .collect();
        let mut hkcu = vec![
            RegKey::new(TS_CLIENT_HKCU, vec![]),
            RegKey::new(format!(r"{TS_CLIENT_HKCU}\Default"), mru),
        ];
        for server in &self.mru {
            hkcu.push(RegKey::new(
                format!(r"{TS_CLIENT_HKCU}\Servers\{server}"),
                vec![sz("UsernameHint", user_hint)],
            ));
        }
        let mut files = vec![
            RegFile {
                short_name: "HKLM-SW-MS-TerminalServerClient",
                root: r"HKLM\SOFTWARE\Microsoft\Terminal Server Client",
                export: RegExport::new(vec![RegKey::new(TS_CLIENT_HKLM, hklm)]),
            },
            RegFile {
                short_name: "HKCU-SW-MS-TerminalServerClient",
                root: r"HKCU\Software\Microsoft\Terminal Server Client",
                export: RegExport::new(hkcu),
            },
        ];
        files.extend(host_reg_files(
            &self.schannel,
            self.fips,
            self.allow_encryption_oracle,
            &self.os,
        ));
        files
    }
}
