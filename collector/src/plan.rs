//! The collection plan: every step the collector takes, as data.
//!
//! The tables below are the whole list of what is collected, in the order it is collected, and
//! read like MSRD-Collect's lists (field guide 6.1): event logs, registry keys, command outputs,
//! traces. [`build`] turns them into a [`Plan`] for one role and mode; the executor in
//! [`crate::collect`] runs it, `--dry-run` prints it. Live mode and `--from-volume` share the
//! tables: a live step runs a built-in Windows tool, a volume step copies the same evidence
//! from the offline files.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rdpdiag_schemas::channels::{
    APPLICATION, CAPI2, FIREWALL, GATEWAY, LSM_OPERATIONAL, RCM_ADMIN, RCM_OPERATIONAL, RDP_CLIENT,
    RDPCORECDV, RDPCORETS, SECURITY, SESSION_BROKER, SESSION_BROKER_CLIENT, SYSTEM,
};
use rdpdiag_schemas::domain::TextFormat;
use rdpdiag_schemas::{ArtifactKind, Role};

use crate::exec::CommandSpec;

/// Which roles a step applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roles {
    /// Client only.
    Client,
    /// Server only.
    Server,
    /// Both.
    Any,
}

impl Roles {
    /// Whether a host collected as `role` runs this step.
    pub fn applies(self, role: Role) -> bool {
        matches!(
            (self, role),
            (Roles::Any, _)
                | (_, Role::Both)
                | (_, Role::Unknown)
                | (Roles::Client, Role::Client)
                | (Roles::Server, Role::Server)
        )
    }

    /// Short label for `--dry-run`.
    pub fn label(self) -> &'static str {
        match self {
            Roles::Client => "client",
            Roles::Server => "server",
            Roles::Any => "both",
        }
    }
}

/// An event log channel to collect.
#[derive(Debug, Clone, Copy)]
pub struct LogRow {
    /// Channel name as Windows spells it.
    pub channel: &'static str,
    /// MSRD-Collect's short name (used as the step id).
    pub short: &'static str,
    /// Roles that collect it.
    pub roles: Roles,
    /// Only with `--security` (the Security log holds every logon of every user).
    pub opt_in: bool,
}

/// Event logs: the channels the analyzer reads (field guide 2, 3; every one of
/// `rdpdiag_schemas::channels::ALL`).
#[rustfmt::skip]
pub const EVENT_LOGS: &[LogRow] = &[
    LogRow { channel: RDP_CLIENT, short: "RDPClient-Operational", roles: Roles::Client, opt_in: false },
    LogRow { channel: RDPCORETS, short: "RemoteDesktopServicesRdpCoreTS-Operational", roles: Roles::Server, opt_in: false },
    LogRow { channel: RCM_OPERATIONAL, short: "TerminalServicesRemoteConnectionManager-Operational", roles: Roles::Server, opt_in: false },
    LogRow { channel: RCM_ADMIN, short: "TerminalServicesRemoteConnectionManager-Admin", roles: Roles::Server, opt_in: false },
    LogRow { channel: LSM_OPERATIONAL, short: "TerminalServicesLocalSessionManager-Operational", roles: Roles::Server, opt_in: false },
    LogRow { channel: RDPCORECDV, short: "RemoteDesktopServicesRdpCoreCDV-Operational", roles: Roles::Server, opt_in: false },
    LogRow { channel: FIREWALL, short: "WindowsFirewall-Firewall", roles: Roles::Server, opt_in: false },
    // RD Gateway and Connection Broker roles (audit 2026-12 section 3 items 1 and 6): absent on
    // most servers, where wevtutil's "channel not found" makes the step Skipped.
    LogRow { channel: GATEWAY, short: "TerminalServicesGateway-Operational", roles: Roles::Server, opt_in: false },
    LogRow { channel: SESSION_BROKER, short: "TerminalServicesSessionBroker-Operational", roles: Roles::Server, opt_in: false },
    LogRow { channel: SESSION_BROKER_CLIENT, short: "TerminalServicesSessionBroker-Client-Operational", roles: Roles::Server, opt_in: false },
    LogRow { channel: SYSTEM, short: "System", roles: Roles::Any, opt_in: false },
    LogRow { channel: APPLICATION, short: "Application", roles: Roles::Any, opt_in: false },
    LogRow { channel: CAPI2, short: "CAPI2-Operational", roles: Roles::Any, opt_in: false },
    LogRow { channel: SECURITY, short: "Security", roles: Roles::Any, opt_in: true },
];

/// A registry key exported with `reg export` (live) — on a volume the hives are copied whole.
#[derive(Debug, Clone, Copy)]
pub struct RegRow {
    /// MSRD-Collect short name: the file is `registry/<short>.reg`.
    pub short: &'static str,
    /// Key path with the short root name.
    pub key: &'static str,
    /// Roles that collect it.
    pub roles: Roles,
}

/// Registry keys (field guide 4.1-4.11).
#[rustfmt::skip]
pub const REGISTRY_KEYS: &[RegRow] = &[
    RegRow { short: "HKLM-System-CCS-Control-TerminalServer", key: r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server", roles: Roles::Server },
    RegRow { short: "HKLM-SW-Policies", key: r"HKLM\SOFTWARE\Policies", roles: Roles::Any },
    RegRow { short: "HKLM-System-CCS-Control-SecurityProviders", key: r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders", roles: Roles::Any },
    RegRow { short: "HKLM-System-CCS-Control-LSA", key: r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa", roles: Roles::Any },
    RegRow { short: "HKLM-System-CCS-Control-Cryptography", key: r"HKLM\SYSTEM\CurrentControlSet\Control\Cryptography", roles: Roles::Any },
    RegRow { short: "HKLM-SW-MS-Win-CV-Policies", key: r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies", roles: Roles::Any },
    RegRow { short: "HKLM-SW-MS-WinNT-CV", key: r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion", roles: Roles::Any },
    RegRow { short: "HKLM-SW-MS-WinNT-CV-ProfileList", key: r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList", roles: Roles::Server },
    RegRow { short: "HKLM-System-CCS-Svc-SharedAccess-FirewallRules", key: r"HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules", roles: Roles::Server },
    RegRow { short: "HKLM-System-CCS-Svc-TermService", key: r"HKLM\SYSTEM\CurrentControlSet\Services\TermService", roles: Roles::Server },
    RegRow { short: "HKLM-SW-MS-Cryptography", key: r"HKLM\SOFTWARE\Microsoft\Cryptography", roles: Roles::Server },
    RegRow { short: "HKLM-SW-MS-SystemCertificates-RemoteDesktop", key: r"HKLM\SOFTWARE\Microsoft\SystemCertificates\Remote Desktop", roles: Roles::Server },
    RegRow { short: "HKLM-SW-MS-TerminalServerClient", key: r"HKLM\SOFTWARE\Microsoft\Terminal Server Client", roles: Roles::Client },
    RegRow { short: "HKCU-SW-MS-TerminalServerClient", key: r"HKCU\Software\Microsoft\Terminal Server Client", roles: Roles::Client },
    RegRow { short: "HKLM-SW-MS-MSRDC", key: r"HKLM\SOFTWARE\Microsoft\MSRDC", roles: Roles::Client },
    RegRow { short: "HKCU-SW-MS-MSRDC", key: r"HKCU\Software\Microsoft\MSRDC", roles: Roles::Client },
    RegRow { short: "HKCU-SW-MS-RdClientRadc", key: r"HKCU\Software\Microsoft\RdClientRadc", roles: Roles::Client },
];

/// What a command's output becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Console text: decoded, stored as UTF-8 with CRLF.
    Text,
    /// JSON printed by PowerShell: stored as printed (UTF-8).
    Json,
}

/// A command whose output is an artifact.
#[derive(Debug, Clone, Copy)]
pub struct CmdRow {
    /// Step id.
    pub id: &'static str,
    /// What it collects, for people.
    pub what: &'static str,
    /// Roles that run it.
    pub roles: Roles,
    /// Program and arguments; `ps:` as the program means a PowerShell script (the argument).
    pub program: &'static str,
    /// Arguments.
    pub args: &'static [&'static str],
    /// Used when the first command fails (e.g. `netstat -ano` when `-b` needs elevation).
    pub fallback: Option<(&'static str, &'static [&'static str])>,
    /// Path in the bundle.
    pub target: &'static str,
    /// Kind of the artifact.
    pub kind: ArtifactKind,
    /// Text format of the artifact.
    pub text_format: Option<TextFormat>,
    /// Timeout, seconds.
    pub timeout_s: u64,
}

/// `Get-Acl` of MachineKeys and of the RDP self-signed key file, framed like MSRD-Collect's
/// `ACL-MachineKeys.txt` (field guide 4.11, 6.1).
pub const PS_ACL_MACHINEKEYS: &str = r#"$mk = Join-Path $env:ProgramData 'Microsoft\Crypto\RSA\MachineKeys'
foreach ($p in @($mk, (Join-Path $mk 'f686aace6942fb7f7ceb231212eef4a4_*'))) {
  '======================================'
  (Get-Date -Format 'yyyy/MM/dd HH:mm:ss.fff') + " : Get-Acl -Path '" + $p + "' | Select-Object -ExpandProperty Access"
  '======================================'
  ''
  Get-Acl -Path $p | Select-Object -ExpandProperty Access | Out-String -Width 119
}"#;

/// The locale-independent ACLs (issue 16): `Get-Acl` prints `IdentityReference` as a translated
/// account name (`NT-AUTORITÄT\NETZWERKDIENST`), so the rules are printed again with SIDs
/// (`GetAccessRules($true, $true, [SecurityIdentifier])`, learn.microsoft.com
/// `ObjectSecurity.GetAccessRules`), framed like MSRD-Collect so the analyzer's `Get-Acl` reader
/// ties each block to its path. Objects: MachineKeys, `Crypto\Keys` (CNG keys), every
/// `f686aace..._*` file, and the key file of each certificate with a private key that the
/// listener may use (the configured `SSLCertificateSHA1Hash`, else all of My, and the Remote
/// Desktop store), found by the key's unique name (CAPI `UniqueKeyContainerName`, CNG
/// `CngKey.UniqueName`) in MachineKeys, `Crypto\Keys` or `Crypto\SystemKeys`.
pub const PS_ACL_KEYS_SID: &str = r#"$mk = Join-Path $env:ProgramData 'Microsoft\Crypto\RSA\MachineKeys'
$ck = Join-Path $env:ProgramData 'Microsoft\Crypto\Keys'
$sk = Join-Path $env:ProgramData 'Microsoft\Crypto\SystemKeys'
$paths = New-Object System.Collections.Generic.List[string]
$paths.Add($mk); if (Test-Path -LiteralPath $ck) { $paths.Add($ck) }
Get-ChildItem -LiteralPath $mk -Filter 'f686aace6942fb7f7ceb231212eef4a4_*' -Force -ErrorAction SilentlyContinue | ForEach-Object { $paths.Add($_.FullName) }
$ts = 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp'
$hash = (Get-ItemProperty -LiteralPath $ts -Name SSLCertificateSHA1Hash -ErrorAction SilentlyContinue).SSLCertificateSHA1Hash
$thumb = if ($hash) { ($hash | ForEach-Object { $_.ToString('X2') }) -join '' } else { $null }
Get-ChildItem 'Cert:\LocalMachine\My', 'Cert:\LocalMachine\Remote Desktop' -ErrorAction SilentlyContinue | Where-Object { $_.HasPrivateKey -and ((-not $thumb) -or $_.Thumbprint -eq $thumb -or $_.PSParentPath -like '*Remote Desktop') } | ForEach-Object {
  $cert = $_; $name = $null
  try {
    $k = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($cert)
    if ($k -is [System.Security.Cryptography.RSACng]) { $name = $k.Key.UniqueName } elseif ($k -and $k.CspKeyContainerInfo) { $name = $k.CspKeyContainerInfo.UniqueKeyContainerName }
  } catch { [Console]::Error.WriteLine($cert.Thumbprint + ' : ' + $_.Exception.Message) }
  if ($name) { foreach ($d in @($mk, $ck, $sk)) { $f = Join-Path $d $name; if ((Test-Path -LiteralPath $f) -and -not $paths.Contains($f)) { $paths.Add($f) } } }
}
foreach ($p in $paths) {
  '======================================'
  (Get-Date -Format 'yyyy/MM/dd HH:mm:ss.fff') + " : Get-Acl -Path '" + $p + "' | GetAccessRules SecurityIdentifier"
  '======================================'
  ''
  try {
    (Get-Acl -LiteralPath $p -ErrorAction Stop).GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier]) | Format-List -Property @('FileSystemRights', 'AccessControlType', 'IdentityReference', 'IsInherited', 'InheritanceFlags', 'PropagationFlags') | Out-String -Width 119
  } catch { [Console]::Error.WriteLine($p + ' : ' + $_.Exception.Message) }
}"#;

/// TCP listeners with their owning process and services from `Get-NetTCPConnection` (its
/// `State` is an enum, printed by name, never translated — unlike netstat's `ABHÖREN`).
pub const PS_TCP_LISTENERS: &str = r#"$svc = @{}
Get-CimInstance Win32_Service -ErrorAction SilentlyContinue | Where-Object { $_.ProcessId } | ForEach-Object { $id = [int]$_.ProcessId; if (-not $svc.ContainsKey($id)) { $svc[$id] = @() }; $svc[$id] += $_.Name }
$list = @(Get-NetTCPConnection -State Listen -ErrorAction Stop | ForEach-Object {
  $p = Get-Process -Id $_.OwningProcess -ErrorAction SilentlyContinue
  [ordered]@{ LocalAddress = $_.LocalAddress; LocalPort = [int]$_.LocalPort; State = $_.State.ToString(); OwningProcess = [int]$_.OwningProcess; ProcessName = if ($p) { $p.ProcessName } else { $null }; Services = @($svc[[int]$_.OwningProcess] | Where-Object { $_ }) }
})
[ordered]@{ rdpdiag = 'tcp-listeners'; listeners = $list } | ConvertTo-Json -Depth 4"#;

/// IP interfaces with their MTU and state, joined to their adapter's description by interface
/// index (`Get-NetIPInterface`, `Get-NetAdapter -IncludeHidden`; enums printed by name, so
/// nothing is translated): a VPN adapter or a lowered MTU on the path (field guide 5.8; audit
/// 2026-12 section 3 item 7).
pub const PS_NET_INTERFACES: &str = r#"$ad = @{}
Get-NetAdapter -IncludeHidden -ErrorAction SilentlyContinue | ForEach-Object { $ad[[int]$_.ifIndex] = $_ }
$list = @(Get-NetIPInterface -ErrorAction Stop | ForEach-Object {
  $a = $ad[[int]$_.InterfaceIndex]
  [ordered]@{ InterfaceAlias = $_.InterfaceAlias; InterfaceIndex = [int]$_.InterfaceIndex; AddressFamily = $_.AddressFamily.ToString(); NlMtu = [long]$_.NlMtu; ConnectionState = $_.ConnectionState.ToString(); InterfaceDescription = if ($a) { $a.InterfaceDescription } else { $null } }
})
[ordered]@{ rdpdiag = 'net-ip-interfaces'; interfaces = $list } | ConvertTo-Json -Depth 4"#;

/// Firewall rules of the active store with their port filters (`Get-NetFirewallRule`,
/// `Get-NetFirewallPortFilter`; enums printed by name, so nothing is translated). The filter is
/// joined to its rule by `InstanceID` (inference: both carry the rule's instance id).
pub const PS_FIREWALL_RULES_JSON: &str = r#"$ports = @{}
Get-NetFirewallPortFilter -PolicyStore ActiveStore -ErrorAction Stop | ForEach-Object { $ports[$_.InstanceID] = $_ }
$list = @(Get-NetFirewallRule -PolicyStore ActiveStore -ErrorAction Stop | ForEach-Object {
  $pf = $ports[$_.InstanceID]
  [ordered]@{ Name = $_.Name; DisplayName = $_.DisplayName; Enabled = $_.Enabled.ToString(); Direction = $_.Direction.ToString(); Action = $_.Action.ToString(); Profile = $_.Profile.ToString(); Protocol = if ($pf) { [string]$pf.Protocol } else { $null }; LocalPort = if ($pf) { @($pf.LocalPort | ForEach-Object { [string]$_ }) } else { @() } }
})
[ordered]@{ rdpdiag = 'firewall-rules'; rules = $list } | ConvertTo-Json -Depth 4"#;

/// Certificates of the machine's My and Remote Desktop stores with ISO 8601 dates (`'o'`, with
/// the host's offset), thumbprint, `HasPrivateKey`, the key's unique (file) name and provider,
/// and what opening the private key gave (`ok`, or `error: 0x<HRESULT> <message>`: certutil's
/// key test without its translated sentences).
pub const PS_CERTIFICATES_JSON: &str = r#"$list = @(foreach ($s in 'My', 'Remote Desktop') {
  Get-ChildItem -LiteralPath ('Cert:\LocalMachine\' + $s) -ErrorAction SilentlyContinue | ForEach-Object {
    $c = $_; $name = $null; $prov = $null; $open = $null
    if ($c.HasPrivateKey) {
      try {
        $k = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($c)
        if ($k -is [System.Security.Cryptography.RSACng]) { $name = $k.Key.UniqueName; $prov = $k.Key.Provider.Provider }
        elseif ($k -and $k.CspKeyContainerInfo) { $name = $k.CspKeyContainerInfo.UniqueKeyContainerName; $prov = $k.CspKeyContainerInfo.ProviderName }
        $open = if ($k) { 'ok' } else { 'not-rsa' }
      } catch { $open = 'error: 0x{0:X8} {1}' -f $_.Exception.HResult, $_.Exception.Message }
    }
    [ordered]@{ Store = $s; Thumbprint = $c.Thumbprint; Subject = $c.Subject; Issuer = $c.Issuer; NotBefore = $c.NotBefore.ToString('o'); NotAfter = $c.NotAfter.ToString('o'); HasPrivateKey = $c.HasPrivateKey; KeyUniqueName = $name; KeyProvider = $prov; KeyOpen = $open; EKU = @($c.EnhancedKeyUsageList | ForEach-Object { $_.ObjectId }) }
  }
})
[ordered]@{ rdpdiag = 'certificates'; certificates = $list } | ConvertTo-Json -Depth 4"#;

/// Antivirus, firewall and antispyware products registered with Security Center (client SKUs
/// only; servers have no `root/SecurityCenter2`).
pub const PS_SECURITY_PRODUCTS: &str = r#"$out = @(); $failed = 0
foreach ($c in 'AntiVirusProduct','FirewallProduct','AntiSpywareProduct') {
  try {
    Get-CimInstance -Namespace root/SecurityCenter2 -ClassName $c -ErrorAction Stop | ForEach-Object {
      $out += [pscustomobject]@{ class = $c; displayName = $_.displayName; productState = $_.productState; pathToSignedProductExe = $_.pathToSignedProductExe; timestamp = $_.timestamp }
    }
  } catch { $failed++; [Console]::Error.WriteLine("$c : " + $_.Exception.Message) }
}
ConvertTo-Json -InputObject @($out) -Depth 3
if ($failed -eq 3) { exit 3 }"#;

/// Versions of the Remote Desktop clients (field guide 4.9, 5.9).
pub const PS_CLIENT_VERSIONS: &str = r#"function V($p) { if ($p -and (Test-Path -LiteralPath $p)) { $v = (Get-Item -LiteralPath $p).VersionInfo; '{0}.{1}.{2}.{3}' -f $v.FileMajorPart,$v.FileMinorPart,$v.FileBuildPart,$v.FilePrivatePart } else { $null } }
$msrdc = @("$env:ProgramFiles\Remote Desktop\msrdc.exe", "$env:LOCALAPPDATA\Apps\Remote Desktop\msrdc.exe") | Where-Object { Test-Path -LiteralPath $_ } | Select-Object -First 1
$app = Get-AppxPackage -Name 'MicrosoftCorporationII.Windows365' -ErrorAction SilentlyContinue | Select-Object -First 1
$store = Get-AppxPackage -Name 'Microsoft.RemoteDesktop' -ErrorAction SilentlyContinue | Select-Object -First 1
[ordered]@{
  'mstsc.exe' = V "$env:windir\System32\mstsc.exe"
  'mstscax.dll' = V "$env:windir\System32\mstscax.dll"
  'msrdc.exe' = V $msrdc
  'windows_app' = if ($app) { $app.Version.ToString() } else { $null }
  'remote_desktop_store_app' = if ($store) { $store.Version.ToString() } else { $null }
} | ConvertTo-Json"#;

/// Command outputs (field guide 4.7, 4.11, 6.1).
#[rustfmt::skip]
pub const COMMANDS: &[CmdRow] = &[
    CmdRow { id: "certs-my", what: "certificates of the local machine's My store, verified", roles: Roles::Any, program: "certutil", args: &["-verifystore", "-v", "MY"], fallback: None, target: "certs/Certificates-My.txt", kind: ArtifactKind::Text, text_format: Some(TextFormat::CertutilStore), timeout_s: 120 },
    CmdRow { id: "certs-remote-desktop", what: "certificates of the \"Remote Desktop\" store (the listener's self-signed certificate)", roles: Roles::Server, program: "certutil", args: &["-verifystore", "-v", "Remote Desktop"], fallback: None, target: "certs/Certificates-RemoteDesktop.txt", kind: ArtifactKind::Text, text_format: Some(TextFormat::CertutilStore), timeout_s: 120 },
    CmdRow { id: "acl-machinekeys", what: "ACLs of MachineKeys and of the RDP key file f686aace..._<MachineGuid>", roles: Roles::Server, program: "ps:", args: &[PS_ACL_MACHINEKEYS], fallback: None, target: "certs/ACL-MachineKeys.txt", kind: ArtifactKind::Text, text_format: Some(TextFormat::AclList), timeout_s: 60 },
    CmdRow { id: "acl-keys-sid", what: "ACLs with SIDs (locale-independent) of MachineKeys, Crypto\\Keys, the f686aace... files and the key file of the listener's certificate", roles: Roles::Server, program: "ps:", args: &[PS_ACL_KEYS_SID], fallback: None, target: "certs/ACL-Keys-SID.txt", kind: ArtifactKind::Text, text_format: Some(TextFormat::AclList), timeout_s: 90 },
    CmdRow { id: "certificates-json", what: "certificates of My and Remote Desktop as JSON (ISO 8601 dates, thumbprint, private key opened)", roles: Roles::Any, program: "ps:", args: &[PS_CERTIFICATES_JSON], fallback: None, target: "certs/Certificates.json", kind: ArtifactKind::Json, text_format: None, timeout_s: 90 },
    CmdRow { id: "tcp-listeners", what: "TCP listeners with owning process and services (Get-NetTCPConnection, states not translated)", roles: Roles::Any, program: "ps:", args: &[PS_TCP_LISTENERS], fallback: None, target: "network/TcpListeners.json", kind: ArtifactKind::Json, text_format: None, timeout_s: 90 },
    CmdRow { id: "firewall-rules-json", what: "Windows Firewall rules of the active store with port filters (Get-NetFirewallRule, enums not translated)", roles: Roles::Any, program: "ps:", args: &[PS_FIREWALL_RULES_JSON], fallback: None, target: "network/FirewallRules.json", kind: ArtifactKind::Json, text_format: None, timeout_s: 180 },
    CmdRow { id: "netstat", what: "TCP/UDP sockets with owning process", roles: Roles::Any, program: "netstat", args: &["-anob"], fallback: Some(("netstat", &["-ano"])), target: "network/Netstat.txt", kind: ArtifactKind::Text, text_format: Some(TextFormat::Netstat), timeout_s: 120 },
    CmdRow { id: "firewall-rules", what: "Windows Firewall rules", roles: Roles::Any, program: "netsh", args: &["advfirewall", "firewall", "show", "rule", "name=all"], fallback: None, target: "network/FirewallRules.txt", kind: ArtifactKind::Text, text_format: Some(TextFormat::FirewallRules), timeout_s: 120 },
    CmdRow { id: "firewall-profiles", what: "Windows Firewall profile states", roles: Roles::Any, program: "netsh", args: &["advfirewall", "show", "allprofiles"], fallback: None, target: "network/FirewallProfiles.txt", kind: ArtifactKind::Text, text_format: Some(TextFormat::Other), timeout_s: 60 },
    CmdRow { id: "net-ip-interfaces", what: "IP interfaces with MTU, state and adapter description (Get-NetIPInterface, Get-NetAdapter)", roles: Roles::Any, program: "ps:", args: &[PS_NET_INTERFACES], fallback: None, target: "network/NetIPInterfaces.json", kind: ArtifactKind::Json, text_format: None, timeout_s: 60 },
    CmdRow { id: "ipconfig", what: "network interfaces and addresses", roles: Roles::Any, program: "ipconfig", args: &["/all"], fallback: None, target: "network/Ipconfig.txt", kind: ArtifactKind::Text, text_format: Some(TextFormat::Other), timeout_s: 60 },
    CmdRow { id: "w32tm-status", what: "time synchronisation status", roles: Roles::Any, program: "w32tm", args: &["/query", "/status"], fallback: None, target: "system/W32tm-Status.txt", kind: ArtifactKind::Text, text_format: Some(TextFormat::W32tmStatus), timeout_s: 30 },
    CmdRow { id: "security-products", what: "antivirus and firewall products (CIM root/SecurityCenter2)", roles: Roles::Any, program: "ps:", args: &[PS_SECURITY_PRODUCTS], fallback: None, target: "system/SecurityProducts.json", kind: ArtifactKind::Json, text_format: None, timeout_s: 90 },
    CmdRow { id: "client-versions", what: "versions of mstsc, mstscax.dll, MSRDC and Windows App", roles: Roles::Client, program: "ps:", args: &[PS_CLIENT_VERSIONS], fallback: None, target: "system/ClientVersions.json", kind: ArtifactKind::Json, text_format: None, timeout_s: 90 },
];

/// Registry hives copied from a volume (with their `.LOG1`/`.LOG2`).
pub const VOLUME_HIVES: &[&str] = &["SYSTEM", "SOFTWARE"];

/// Where RdClientAutoTrace traces live below a user profile (field guide 2.3).
pub const TRACE_DIR: &[&str] = &["AppData", "Local", "Temp", "DiagOutputDir", "RdClientAutoTrace"];

/// Timeouts of the steps that are not in [`COMMANDS`].
pub mod timeouts {
    use std::time::Duration;
    /// `wevtutil epl` of one channel (Security can be large).
    pub const EVENT_LOG: Duration = Duration::from_secs(300);
    /// `wevtutil al` of one exported log.
    pub const ARCHIVE_LOG: Duration = Duration::from_secs(120);
    /// `reg export` of one key.
    pub const REG_EXPORT: Duration = Duration::from_secs(60);
    /// `tracerpt` of one .etl file.
    pub const TRACERPT: Duration = Duration::from_secs(120);
    /// One file copy from a volume.
    pub const COPY: Duration = Duration::from_secs(600);
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Live: `wevtutil epl <channel> <tmp> /q:<window> /ow:true`, then `wevtutil al`.
    ExportLog {
        /// Channel.
        channel: String,
    },
    /// Volume: copy `<Logs>\<channel with / as %4>.evtx`.
    CopyLog {
        /// Channel.
        channel: String,
        /// The file found on the volume, if any.
        source: Option<PathBuf>,
    },
    /// Live: `reg export <key> <tmp> /y`.
    RegExport {
        /// Key with short root.
        key: String,
    },
    /// Live: run a command, its output is the artifact.
    Capture {
        /// The command.
        command: CommandSpec,
        /// Tried when the command fails.
        fallback: Option<CommandSpec>,
        /// How the output is stored.
        output: Output,
    },
    /// RdClientAutoTrace `.etl` files modified in the window, below every profile of
    /// `users_root`; with `convert`, each also through `tracerpt -of XML`.
    Traces {
        /// `C:\Users` (live) or `<volume>/Users`.
        users_root: PathBuf,
        /// Extra trace folders (live: the current user's %TEMP%).
        extra_dirs: Vec<PathBuf>,
        /// Convert with tracerpt (live only).
        convert: bool,
    },
    /// Volume: a hive and its transaction logs.
    CopyHive {
        /// Hive name (`SYSTEM`, `SOFTWARE`).
        name: String,
        /// The file found on the volume, if any.
        source: Option<PathBuf>,
    },
    /// Volume: every user's NTUSER.DAT with its logs.
    UserHives {
        /// `<volume>/Users`.
        users_root: PathBuf,
    },
    /// Volume: names, sizes and times of the files in MachineKeys (no ACLs off Windows).
    ListMachineKeys {
        /// The folder found on the volume, if any.
        dir: Option<PathBuf>,
    },
    /// The server probe.
    Probe {
        /// `HOST[:PORT]`.
        target: String,
        /// Connect/read timeout of each phase.
        timeout: Duration,
    },
    /// Not run; recorded as skipped with this reason.
    Skip {
        /// Why.
        reason: String,
    },
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Stable id (`evtx:System`, `reg:HKLM-SW-Policies`, `netstat` ...), usable with `--skip`.
    pub id: String,
    /// What it collects, for people.
    pub what: String,
    /// Roles it belongs to.
    pub roles: Roles,
    /// What it does.
    pub action: Action,
    /// Path in the bundle (the folder for steps that write several files).
    pub target: String,
    /// Artifact kind.
    pub kind: ArtifactKind,
    /// Text format.
    pub text_format: Option<TextFormat>,
    /// Deadline of the whole step (each command in it has its own as well).
    pub timeout: Duration,
}

/// Where the evidence comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// This running Windows machine.
    Live,
    /// A Windows volume mounted (or copied) at this folder.
    Volume(PathBuf),
}

/// Options that shape the plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Live or volume.
    pub source: Source,
    /// Role of the host (`Both` collects everything).
    pub role: Role,
    /// Start of the window.
    pub since: DateTime<Utc>,
    /// Include the Security log.
    pub security: bool,
    /// `--server HOST[:PORT]`.
    pub server: Option<String>,
    /// Probe timeout per phase.
    pub probe_timeout: Duration,
    /// Step ids (or id prefixes ending in `:`) not to run.
    pub skip: Vec<String>,
}

/// The steps, in order.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Steps.
    pub steps: Vec<Step>,
    /// The options it was built from.
    pub options: PlanOptions,
}

/// Default RDP port.
pub const DEFAULT_PORT: u16 = 3389;

/// Splits `HOST[:PORT]` (`[v6]:port` and bare IPv6 too).
pub fn split_target(target: &str) -> Result<(String, u16), String> {
    let t = target.trim();
    if t.is_empty() {
        return Err("empty server name".into());
    }
    if let Some(rest) = t.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("missing ] in IPv6 address")?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| format!("bad port {p:?}"))?,
            None if after.is_empty() => DEFAULT_PORT,
            None => return Err(format!("unexpected {after:?} after ]")),
        };
        return Ok((host.to_string(), port));
    }
    if t.matches(':').count() > 1 {
        return Ok((t.to_string(), DEFAULT_PORT));
    }
    match t.rsplit_once(':') {
        Some((h, p)) => Ok((h.to_string(), p.parse().map_err(|_| format!("bad port {p:?}"))?)),
        None => Ok((t.to_string(), DEFAULT_PORT)),
    }
}

/// `Microsoft-Windows-X/Operational` → `Microsoft-Windows-X%4Operational` (how Windows names
/// the log files).
pub fn channel_file_stem(channel: &str) -> String {
    channel.replace('/', "%4")
}

/// The XPath window filter given to `wevtutil epl /q:`.
pub fn window_query(since: DateTime<Utc>) -> String {
    format!(
        "*[System[TimeCreated[@SystemTime>='{}']]]",
        since.to_rfc3339_opts(SecondsFormat::Millis, true)
    )
}

/// `powershell -NoProfile -NonInteractive -EncodedCommand <script>`: the script travels
/// base64-encoded (UTF-16LE) so no quoting can break it; output is forced to UTF-8.
pub fn powershell(script: &str) -> CommandSpec {
    let full = format!("[Console]::OutputEncoding = [System.Text.Encoding]::UTF8\n{script}");
    let utf16: Vec<u8> = full.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    CommandSpec::new(
        "powershell",
        [
            "-NoProfile".to_string(),
            "-NonInteractive".to_string(),
            "-ExecutionPolicy".to_string(),
            "Bypass".to_string(),
            "-EncodedCommand".to_string(),
            base64(&utf16),
        ],
    )
}

/// Standard base64 with padding (PowerShell's -EncodedCommand).
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn cmd_spec(program: &str, args: &[&str]) -> CommandSpec {
    if program == "ps:" {
        powershell(args.first().copied().unwrap_or(""))
    } else {
        CommandSpec::new(program, args.iter().copied())
    }
}

fn skipped(opts: &PlanOptions, id: &str) -> bool {
    opts.skip.iter().any(|s| {
        s == id
            || (s.ends_with(':') && id.starts_with(s.as_str()))
            || id.split(':').next() == Some(s.as_str())
    })
}

/// Builds the plan for `opts`.
pub fn build(opts: &PlanOptions) -> Plan {
    let mut steps = Vec::new();
    let live = opts.source == Source::Live;
    let volume = match &opts.source {
        Source::Volume(root) => Some(crate::volume::VolumeLayout::scan(root)),
        Source::Live => None,
    };

    for row in EVENT_LOGS.iter().filter(|r| r.roles.applies(opts.role)) {
        let action = if row.opt_in && !opts.security {
            Action::Skip {
                reason: "the Security log is collected only with --security".into(),
            }
        } else if live {
            Action::ExportLog {
                channel: row.channel.into(),
            }
        } else {
            Action::CopyLog {
                channel: row.channel.into(),
                source: volume.as_ref().and_then(|v| v.event_log(row.channel)),
            }
        };
        steps.push(Step {
            id: format!("evtx:{}", row.short),
            what: format!("event log {}", row.channel),
            roles: row.roles,
            action,
            target: format!("evtx/{}.evtx", channel_file_stem(row.channel)),
            kind: ArtifactKind::Evtx,
            text_format: None,
            timeout: if live { timeouts::EVENT_LOG } else { timeouts::COPY },
        });
    }

    if live {
        for row in REGISTRY_KEYS.iter().filter(|r| r.roles.applies(opts.role)) {
            steps.push(Step {
                id: format!("reg:{}", row.short),
                what: format!("registry key {}", row.key),
                roles: row.roles,
                action: Action::RegExport { key: row.key.into() },
                target: format!("registry/{}.reg", row.short),
                kind: ArtifactKind::Reg,
                text_format: None,
                timeout: timeouts::REG_EXPORT,
            });
        }
        for row in COMMANDS.iter().filter(|r| r.roles.applies(opts.role)) {
            steps.push(Step {
                id: row.id.into(),
                what: row.what.into(),
                roles: row.roles,
                action: Action::Capture {
                    command: cmd_spec(row.program, row.args),
                    fallback: row.fallback.map(|(p, a)| cmd_spec(p, a)),
                    output: if row.kind == ArtifactKind::Json {
                        Output::Json
                    } else {
                        Output::Text
                    },
                },
                target: row.target.into(),
                kind: row.kind,
                text_format: row.text_format,
                timeout: Duration::from_secs(row.timeout_s),
            });
        }
    } else if let Some(v) = &volume {
        for name in VOLUME_HIVES {
            steps.push(Step {
                id: format!("hive:{name}"),
                what: format!("registry hive {name} with its transaction logs"),
                roles: Roles::Any,
                action: Action::CopyHive {
                    name: (*name).into(),
                    source: v.hive(name),
                },
                target: format!("registry/hives/{name}"),
                kind: ArtifactKind::Hive,
                text_format: None,
                timeout: timeouts::COPY,
            });
        }
        steps.push(Step {
            id: "hive:NTUSER".into(),
            what: "every user's NTUSER.DAT with its transaction logs".into(),
            roles: Roles::Any,
            action: Action::UserHives {
                users_root: v.users_root(),
            },
            target: "registry/hives/users".into(),
            kind: ArtifactKind::Hive,
            text_format: None,
            timeout: timeouts::COPY,
        });
        steps.push(Step {
            id: "machinekeys-listing".into(),
            what: "MachineKeys folder listing (names, sizes, times; ACLs are not readable off Windows)"
                .into(),
            roles: Roles::Server,
            action: Action::ListMachineKeys {
                dir: v.machine_keys(),
            },
            target: "certs/MachineKeys-Listing.txt".into(),
            kind: ArtifactKind::Text,
            text_format: Some(TextFormat::Other),
            timeout: timeouts::COPY,
        });
    }

    if Roles::Client.applies(opts.role) {
        let (users_root, extra_dirs) = match &volume {
            Some(v) => (v.users_root(), Vec::new()),
            None => crate::live::trace_roots(),
        };
        steps.push(Step {
            id: "traces".into(),
            what: if live {
                "RdClientAutoTrace .etl files of the window, each also converted with tracerpt -of XML".into()
            } else {
                "RdClientAutoTrace .etl files of the window (no tracerpt offline)".into()
            },
            roles: Roles::Client,
            action: Action::Traces {
                users_root,
                extra_dirs,
                convert: live,
            },
            target: "traces".into(),
            kind: ArtifactKind::Etl,
            text_format: None,
            timeout: timeouts::COPY,
        });
    }

    if let Some(target) = &opts.server {
        steps.push(Step {
            id: "probe".into(),
            what: format!("probe {target}: TCP connect, X.224 negotiation, TLS handshake (no credentials)"),
            roles: Roles::Client,
            action: Action::Probe {
                target: target.clone(),
                timeout: opts.probe_timeout,
            },
            target: "probe/probe.json".into(),
            kind: ArtifactKind::Json,
            text_format: None,
            timeout: opts.probe_timeout * 4,
        });
    }

    for step in &mut steps {
        if skipped(opts, &step.id) && !matches!(step.action, Action::Skip { .. }) {
            step.action = Action::Skip {
                reason: "skipped with --skip".into(),
            };
        }
    }
    Plan {
        steps,
        options: opts.clone(),
    }
}

impl Action {
    /// What the step will do, as command lines or file operations, for `--dry-run`.
    pub fn describe(&self, since: DateTime<Utc>) -> Vec<String> {
        match self {
            Action::ExportLog { channel } => {
                let file = format!(r"%TEMP%\rdpdiag-<id>\{}.evtx", channel_file_stem(channel));
                vec![
                    CommandSpec::new(
                        "wevtutil",
                        [
                            "epl".to_string(),
                            channel.clone(),
                            file.clone(),
                            format!("/q:{}", window_query(since)),
                            "/ow:true".into(),
                        ],
                    )
                    .display(),
                    CommandSpec::new("wevtutil", ["al".to_string(), file, "/l:en-us".into()]).display(),
                ]
            }
            Action::CopyLog { channel, source } => vec![match source {
                Some(p) => format!(
                    "copy {} (whole log; the analyzer applies the window)",
                    p.display()
                ),
                None => format!(
                    "{}.evtx is not on the volume: recorded as skipped",
                    channel_file_stem(channel)
                ),
            }],
            Action::RegExport { key } => vec![
                CommandSpec::new(
                    "reg",
                    [
                        "export".to_string(),
                        key.clone(),
                        r"%TEMP%\rdpdiag-<id>\<short>.reg".into(),
                        "/y".into(),
                    ],
                )
                .display(),
            ],
            Action::Capture {
                command, fallback, ..
            } => {
                let mut v = vec![describe_command(command)];
                if let Some(f) = fallback {
                    v.push(format!("if that fails: {}", describe_command(f)));
                }
                v
            }
            Action::Traces {
                users_root,
                extra_dirs,
                convert,
            } => {
                let mut v = vec![format!(
                    r"copy *.etl modified since {} from {}\*\{}",
                    since.to_rfc3339_opts(SecondsFormat::Secs, true),
                    users_root.display(),
                    TRACE_DIR.join(r"\")
                )];
                for d in extra_dirs {
                    v.push(format!("and from {}", d.display()));
                }
                if *convert {
                    v.push("tracerpt <file>.etl -o <file>.xml -of XML -y".into());
                }
                v
            }
            Action::CopyHive { name, source } => vec![match source {
                Some(p) => format!("copy {} and its .LOG1/.LOG2", p.display()),
                None => format!("hive {name} is not on the volume: recorded as skipped"),
            }],
            Action::UserHives { users_root } => {
                vec![format!(
                    r"copy {}\*\NTUSER.DAT and its .LOG1/.LOG2",
                    users_root.display()
                )]
            }
            Action::ListMachineKeys { dir } => vec![match dir {
                Some(d) => format!("list {}", d.display()),
                None => "MachineKeys is not on the volume: recorded as skipped".into(),
            }],
            Action::Probe { target, timeout } => vec![format!(
                "connect to {target} (default port 3389), send an X.224 Connection Request (SSL|HYBRID|HYBRID_EX), \
                 then a TLS ClientHello; timeout {} ms per phase; no credentials are sent",
                timeout.as_millis()
            )],
            Action::Skip { reason } => vec![format!("not run: {reason}")],
        }
    }
}

/// PowerShell steps are shown with their script, not the base64 that is run.
fn describe_command(c: &CommandSpec) -> String {
    if c.program == "powershell" && c.args.iter().any(|a| a == "-EncodedCommand") {
        let script = COMMANDS
            .iter()
            .filter(|r| r.program == "ps:")
            .find(|r| powershell(r.args.first().copied().unwrap_or("")) == *c)
            .and_then(|r| r.args.first().copied())
            .unwrap_or("<script>");
        format!(
            "powershell -NoProfile -NonInteractive -Command {{ {} }}",
            script.replace('\n', "; ")
        )
    } else {
        c.display()
    }
}

impl Plan {
    /// The plan as text, one block per step (what `--dry-run` prints).
    pub fn render(&self) -> String {
        let mut s = String::new();
        let n = self.steps.len();
        for (i, step) in self.steps.iter().enumerate() {
            s.push_str(&format!(
                "[{:>2}/{n}] {:<52} {:<6} timeout {:>4}s -> {}\n",
                i + 1,
                step.id,
                step.roles.label(),
                step.timeout.as_secs(),
                step.target
            ));
            s.push_str(&format!("        {}\n", step.what));
            for line in step.action.describe(self.options.since) {
                s.push_str(&format!("        $ {line}\n"));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(role: Role) -> PlanOptions {
        PlanOptions {
            source: Source::Live,
            role,
            since: Utc::now(),
            security: false,
            server: None,
            probe_timeout: Duration::from_secs(5),
            skip: vec![],
        }
    }

    #[test]
    fn the_plan_exports_every_channel_the_analyzer_reads_once() {
        let planned: Vec<&str> = EVENT_LOGS.iter().map(|l| l.channel).collect();
        for c in rdpdiag_schemas::channels::ALL {
            assert_eq!(planned.iter().filter(|p| *p == c).count(), 1, "{c}");
        }
        assert_eq!(planned.len(), rdpdiag_schemas::channels::ALL.len());
    }

    #[test]
    fn roles_pick_their_steps() {
        let client = build(&opts(Role::Client));
        let server = build(&opts(Role::Server));
        let both = build(&opts(Role::Both));
        let has = |p: &Plan, id: &str| p.steps.iter().any(|s| s.id == id);
        assert!(
            has(&client, "evtx:RDPClient-Operational")
                && !has(
                    &client,
                    "evtx:TerminalServicesRemoteConnectionManager-Operational"
                )
        );
        assert!(has(&server, "certs-remote-desktop") && !has(&server, "client-versions"));
        assert!(has(&client, "traces") && !has(&server, "traces"));
        assert!(both.steps.len() > client.steps.len() && both.steps.len() > server.steps.len());
        // Targets are unique and valid bundle paths.
        let mut seen = std::collections::HashSet::new();
        for s in &both.steps {
            rdpdiag_schemas::manifest::check_bundle_path(&s.target).unwrap();
            assert!(seen.insert(s.target.clone()), "duplicate target {}", s.target);
        }
    }

    #[test]
    fn security_is_opt_in_and_skip_works() {
        let p = build(&opts(Role::Server));
        let sec = p.steps.iter().find(|s| s.id == "evtx:Security").unwrap();
        assert!(matches!(sec.action, Action::Skip { .. }));
        let mut o = opts(Role::Server);
        o.security = true;
        o.skip = vec!["reg".into(), "netstat".into()];
        let p = build(&o);
        let sec = p.steps.iter().find(|s| s.id == "evtx:Security").unwrap();
        assert!(matches!(sec.action, Action::ExportLog { .. }));
        assert!(
            p.steps
                .iter()
                .filter(|s| s.id.starts_with("reg:") || s.id == "netstat")
                .all(|s| matches!(s.action, Action::Skip { .. }))
        );
    }

    #[test]
    fn bundle_paths_follow_the_samples_layout() {
        let p = build(&opts(Role::Both));
        let targets: Vec<&str> = p.steps.iter().map(|s| s.target.as_str()).collect();
        for t in [
            "evtx/Microsoft-Windows-TerminalServices-RDPClient%4Operational.evtx",
            "evtx/System.evtx",
            "registry/HKLM-System-CCS-Control-TerminalServer.reg",
            "certs/Certificates-My.txt",
            "certs/Certificates-RemoteDesktop.txt",
            "certs/ACL-MachineKeys.txt",
            "network/Netstat.txt",
            "network/FirewallRules.txt",
            "system/W32tm-Status.txt",
            "system/SecurityProducts.json",
            "system/ClientVersions.json",
            // Locale-independent forms (issue 16), at the paths the samples write them.
            "certs/ACL-Keys-SID.txt",
            "certs/Certificates.json",
            "network/TcpListeners.json",
            "network/FirewallRules.json",
        ] {
            assert!(targets.contains(&t), "{t}");
        }
    }

    #[test]
    fn locale_independent_scripts_print_what_the_analyzer_reads() {
        // The analyzer recognises the JSON by its `rdpdiag` kind and the SID ACL by the
        // `Get-Acl -Path '<p>'` frame; enums are printed by name.
        assert!(PS_TCP_LISTENERS.contains("rdpdiag = 'tcp-listeners'"));
        assert!(PS_TCP_LISTENERS.contains("State.ToString()"));
        assert!(PS_FIREWALL_RULES_JSON.contains("rdpdiag = 'firewall-rules'"));
        assert!(PS_FIREWALL_RULES_JSON.contains("Action.ToString()"));
        assert!(PS_CERTIFICATES_JSON.contains("rdpdiag = 'certificates'"));
        assert!(PS_CERTIFICATES_JSON.contains("ToString('o')"));
        assert!(PS_ACL_KEYS_SID.contains("Get-Acl -Path '"));
        assert!(PS_ACL_KEYS_SID.contains("[System.Security.Principal.SecurityIdentifier]"));
        assert!(PS_ACL_KEYS_SID.contains(r"Microsoft\Crypto\Keys"));
    }

    #[test]
    fn dry_run_text_names_every_command() {
        let mut o = opts(Role::Both);
        o.server = Some("rds01:3390".into());
        let text = build(&o).render();
        assert!(text.contains("wevtutil epl System"));
        assert!(text.contains("/q:*[System[TimeCreated[@SystemTime>="));
        assert!(text.contains("wevtutil al"));
        assert!(text.contains(r#"reg export "HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server""#));
        assert!(text.contains(r#"certutil -verifystore -v "Remote Desktop""#));
        assert!(text.contains("Get-Acl -Path"));
        assert!(text.contains("netstat -anob") && text.contains("netstat -ano"));
        assert!(text.contains("tracerpt"));
        assert!(text.contains("connect to rds01:3390"));
    }

    #[test]
    fn targets_split() {
        assert_eq!(split_target("rds01").unwrap(), ("rds01".into(), 3389));
        assert_eq!(split_target("rds01:3390").unwrap(), ("rds01".into(), 3390));
        assert_eq!(split_target("[::1]:3390").unwrap(), ("::1".into(), 3390));
        assert_eq!(split_target("fe80::1").unwrap(), ("fe80::1".into(), 3389));
        assert!(split_target("rds01:x").is_err());
        assert!(split_target("").is_err());
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
