//! Live mode: facts about the running Windows host, read with built-in tools.
//!
//! These few read-only queries run before the plan is built: they name the host for the
//! manifest, give the OEM code page that console output is decoded with, and decide
//! `--role auto` (server when the RDP listener is enabled, client otherwise; both when the
//! listener is enabled and this machine's RDP client log also has records). Every query has a
//! short timeout and a failure only leaves the fact unknown (under Wine most of them fail).

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use rdpdiag_schemas::manifest::{ClockStatus, CultureInfo, OsInfo, TimeZoneInfo};

use crate::exec::{CommandSpec, RunLimits, run};

/// Timeout of each fact query.
const FACT_TIMEOUT: Duration = Duration::from_secs(20);

/// What the live queries found.
#[derive(Debug, Clone, Default)]
pub struct LiveFacts {
    /// Computer name.
    pub computer_name: Option<String>,
    /// DNS domain.
    pub domain: Option<String>,
    /// OS version.
    pub os: Option<OsInfo>,
    /// Time zone.
    pub time_zone: Option<TimeZoneInfo>,
    /// UI language, format culture and system locale.
    pub culture: Option<CultureInfo>,
    /// OEM code page (console output).
    pub oem_cp: Option<u16>,
    /// `fDenyTSConnections` (policy first) says RDP is allowed.
    pub rdp_enabled: Option<bool>,
    /// Records in the RDP client's Operational log.
    pub client_log_records: Option<u64>,
    /// The user running the collector.
    pub user: Option<String>,
    /// Servers the user connected to (RDP client MRU and `Servers` keys): names to redact.
    pub mru_servers: Vec<String>,
    /// One line per query: command and outcome (for the collection log).
    pub log: Vec<String>,
}

/// One value of `reg query` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegQueryValue {
    /// Value name (`(Default)` for the default value).
    pub name: String,
    /// `REG_SZ`, `REG_DWORD` ...
    pub ty: String,
    /// Data as printed.
    pub data: String,
}

/// Parses `reg query KEY` output: value lines are indented by four spaces and separated by
/// four spaces (`    ProductName    REG_SZ    Windows 10 Pro`).
pub fn parse_reg_query(text: &str) -> Vec<RegQueryValue> {
    text.lines()
        .filter(|l| l.starts_with("    "))
        .filter_map(|l| {
            let mut parts = l.trim_start().splitn(3, "    ");
            let name = parts.next()?.to_string();
            let ty = parts.next()?.trim().to_string();
            let data = parts.next().unwrap_or("").trim().to_string();
            ty.starts_with("REG_").then_some(RegQueryValue { name, ty, data })
        })
        .collect()
}

/// Names of the direct subkeys in `reg query KEY` output (the lines naming `KEY\<name>`).
pub fn subkey_names(text: &str) -> Vec<String> {
    let mut lines = text.lines().map(str::trim).filter(|l| l.starts_with("HKEY_"));
    let Some(parent) = lines.next() else {
        return Vec::new();
    };
    lines
        .filter_map(|l| l.strip_prefix(parent)?.strip_prefix('\\').map(str::to_string))
        .filter(|n| !n.is_empty() && !n.contains('\\'))
        .collect()
}

/// A `REG_DWORD` as `reg query` prints it (`0x1f`).
pub fn reg_dword(data: &str) -> Option<u32> {
    let d = data.trim();
    match d.strip_prefix("0x").or_else(|| d.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => d.parse().ok(),
    }
}

/// Reads the OS facts from `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion"`.
pub fn os_from_reg_query(values: &[RegQueryValue]) -> Option<OsInfo> {
    let get = |n: &str| {
        values
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(n))
            .map(|v| v.data.clone())
    };
    let build = get("CurrentBuild")
        .or_else(|| get("CurrentBuildNumber"))
        .and_then(|b| b.parse().ok())?;
    Some(OsInfo {
        product: get("ProductName")?,
        build,
        ubr: get("UBR").and_then(|u| reg_dword(&u)),
        display_version: get("DisplayVersion").or_else(|| get("ReleaseId")),
        installation_type: get("InstallationType"),
    })
}

/// Clock facts from `w32tm /query /status` (en-US labels; other languages leave them unknown,
/// the artifact itself is still collected). `utc_offset_minutes` converts the local sync time.
pub fn clock_from_w32tm(text: &str, utc_offset_minutes: Option<i32>, now: DateTime<Utc>) -> ClockStatus {
    let field = |label: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(label).map(|r| r.trim().to_string()))
    };
    let stratum = field("Stratum:").and_then(|s| s.split_whitespace().next()?.parse().ok());
    let last_sync_utc = match (field("Last Successful Sync Time:"), utc_offset_minutes) {
        (Some(t), Some(off)) => NaiveDateTime::parse_from_str(&t, "%m/%d/%Y %I:%M:%S %p")
            .ok()
            .and_then(|local| {
                Utc.from_local_datetime(&local)
                    .single()
                    .map(|u| u - chrono::Duration::minutes(i64::from(off)))
            }),
        _ => None,
    };
    ClockStatus {
        host_utc_at_collection: now,
        sync_source: field("Source:").filter(|s| !s.is_empty()),
        last_sync_utc,
        stratum,
        measured_offset_ms: None,
    }
}

fn query(spec: CommandSpec, facts: &mut LiveFacts) -> Option<String> {
    let out = run(
        &spec,
        None,
        RunLimits {
            timeout: FACT_TIMEOUT,
            max_stdout: 4 * 1024 * 1024,
            ..RunLimits::default()
        },
    );
    match out.failure() {
        None => {
            facts.log.push(format!("fact query ok: {}", spec.display()));
            Some(crate::decode::decode_console(&out.stdout, facts.oem_cp))
        }
        Some(why) => {
            facts
                .log
                .push(format!("fact query failed: {}: {why}", spec.display()));
            None
        }
    }
}

fn reg_query(key: &str, value: Option<&str>, facts: &mut LiveFacts) -> Vec<RegQueryValue> {
    let mut args = vec!["query".to_string(), key.to_string()];
    if let Some(v) = value {
        args.push("/v".into());
        args.push(v.into());
    }
    query(CommandSpec::new("reg", args), facts)
        .map(|t| parse_reg_query(&t))
        .unwrap_or_default()
}

/// The collecting user's format culture and UI language and the system locale, from the
/// registry (values are locale-independent). Sources: `HKCU\Control Panel\International`
/// `LocaleName` is the user's format locale (learn.microsoft.com, "International settings"
/// registry, e.g. the `LocaleName` value set by `Set-Culture`); `HKCU\Control Panel\Desktop`
/// `PreferredUILanguages` (set by `Set-WinUILanguageOverride`) else `...\Desktop\MuiCached`
/// `MachinePreferredUILanguages`; `HKLM\SYSTEM\CurrentControlSet\Control\Nls\Locale`
/// `(Default)` is the system locale's LCID (inference from the Nls key layout: mapped to a
/// name by [`lcid_name`] for the locales the analyzer knows, else kept as `0x....`).
fn culture(f: &mut LiveFacts) -> Option<CultureInfo> {
    let first = |vals: &[RegQueryValue], n: &str| {
        vals.iter()
            .find(|v| v.name.eq_ignore_ascii_case(n))
            .map(|v| v.data.split("\\0").next().unwrap_or("").trim().to_string())
            .filter(|d| !d.is_empty())
    };
    let intl = reg_query(r"HKCU\Control Panel\International", Some("LocaleName"), f);
    let format_culture = first(&intl, "LocaleName");
    let desktop = reg_query(r"HKCU\Control Panel\Desktop", Some("PreferredUILanguages"), f);
    let ui_culture = first(&desktop, "PreferredUILanguages").or_else(|| {
        let cached = reg_query(
            r"HKCU\Control Panel\Desktop\MuiCached",
            Some("MachinePreferredUILanguages"),
            f,
        );
        first(&cached, "MachinePreferredUILanguages")
    });
    let nls = reg_query(r"HKLM\SYSTEM\CurrentControlSet\Control\Nls\Locale", None, f);
    let system_locale = nls
        .iter()
        .find(|v| v.name.eq_ignore_ascii_case("(Default)"))
        .map(|v| lcid_name(&v.data));
    (format_culture.is_some() || ui_culture.is_some() || system_locale.is_some()).then_some(CultureInfo {
        ui_culture,
        format_culture,
        system_locale,
    })
}

/// A locale id as stored under `Nls\Locale` (`00000407`) → its name for the languages the
/// analyzer reads (LCIDs: Microsoft [MS-LCID]), else `0x0407`.
pub fn lcid_name(hex: &str) -> String {
    let n = u32::from_str_radix(hex.trim().trim_start_matches("0x"), 16).unwrap_or(u32::MAX);
    let name = match n {
        0x0409 => "en-US",
        0x0809 => "en-GB",
        0x0407 => "de-DE",
        0x0c07 => "de-AT",
        0x0807 => "de-CH",
        0x040c => "fr-FR",
        0x0c0a => "es-ES",
        0x0410 => "it-IT",
        0x0416 => "pt-BR",
        0x0816 => "pt-PT",
        0x0411 => "ja-JP",
        0x0804 => "zh-CN",
        _ => return format!("0x{:04x}", n & 0xffff),
    };
    name.to_string()
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Queries the running host. Read-only; never fails (unknown facts stay `None`).
pub fn gather(want_client_log: bool) -> LiveFacts {
    let mut f = LiveFacts {
        computer_name: env("COMPUTERNAME"),
        user: env("USERNAME"),
        ..LiveFacts::default()
    };
    let cp = reg_query(
        r"HKLM\SYSTEM\CurrentControlSet\Control\Nls\CodePage",
        Some("OEMCP"),
        &mut f,
    );
    f.oem_cp = cp.first().and_then(|v| v.data.parse().ok());
    let cv = reg_query(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion", None, &mut f);
    f.os = os_from_reg_query(&cv);
    let tcpip = reg_query(
        r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters",
        None,
        &mut f,
    );
    let get = |vals: &[RegQueryValue], n: &str| {
        vals.iter()
            .find(|v| v.name.eq_ignore_ascii_case(n))
            .map(|v| v.data.clone())
            .filter(|d| !d.is_empty())
    };
    if f.computer_name.is_none() {
        f.computer_name = get(&tcpip, "Hostname");
    }
    f.domain = get(&tcpip, "Domain").or_else(|| env("USERDNSDOMAIN"));
    f.culture = culture(&mut f);
    let tz = reg_query(
        r"HKLM\SYSTEM\CurrentControlSet\Control\TimeZoneInformation",
        None,
        &mut f,
    );
    let bias = get(&tz, "ActiveTimeBias").and_then(|b| reg_dword(&b));
    if let (Some(name), Some(bias)) = (get(&tz, "TimeZoneKeyName"), bias) {
        f.time_zone = Some(TimeZoneInfo {
            name,
            utc_offset_minutes: -(bias as i32),
        });
    }
    let local = reg_query(
        r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server",
        Some("fDenyTSConnections"),
        &mut f,
    );
    let policy = reg_query(
        r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services",
        Some("fDenyTSConnections"),
        &mut f,
    );
    f.rdp_enabled = policy
        .first()
        .or(local.first())
        .and_then(|v| reg_dword(&v.data))
        .map(|deny| deny == 0);
    let tsc = r"HKCU\Software\Microsoft\Terminal Server Client";
    let mru = reg_query(&format!(r"{tsc}\Default"), None, &mut f);
    f.mru_servers = mru
        .iter()
        .filter(|v| v.name.to_ascii_uppercase().starts_with("MRU"))
        .map(|v| v.data.clone())
        .collect();
    if let Some(text) = query(
        CommandSpec::new("reg", ["query".to_string(), format!(r"{tsc}\Servers")]),
        &mut f,
    ) {
        f.mru_servers.extend(subkey_names(&text));
    }
    if want_client_log && f.rdp_enabled == Some(true) {
        let gli = query(
            CommandSpec::new("wevtutil", ["gli", rdpdiag_schemas::channels::RDP_CLIENT]),
            &mut f,
        );
        f.client_log_records = gli.and_then(|t| {
            t.lines()
                .find_map(|l| {
                    l.trim()
                        .strip_prefix("numberOfLogRecords:")
                        .map(|n| n.trim().parse().ok())
                })
                .flatten()
        });
    }
    f
}

/// Where traces are looked for live: every profile under `%SystemDrive%\Users`, plus the current
/// user's `%TEMP%\DiagOutputDir\RdClientAutoTrace` (per-session TEMP folders on RDS hosts).
pub fn trace_roots() -> (PathBuf, Vec<PathBuf>) {
    let users = env("USERPROFILE")
        .and_then(|p| PathBuf::from(p).parent().map(PathBuf::from))
        .or_else(|| env("SystemDrive").map(|d| PathBuf::from(format!(r"{d}\Users"))))
        .unwrap_or_else(|| PathBuf::from(r"C:\Users"));
    let extra = env("TEMP")
        .map(|t| vec![PathBuf::from(t).join(r"DiagOutputDir\RdClientAutoTrace")])
        .unwrap_or_default();
    (users, extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CV: &str = "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n    SystemRoot    REG_SZ    C:\\WINDOWS\r\n    CurrentBuild    REG_SZ    20348\r\n    UBR    REG_DWORD    0x8f4\r\n    ProductName    REG_SZ    Windows Server 2022 Datacenter\r\n    DisplayVersion    REG_SZ    21H2\r\n    InstallationType    REG_SZ    Server\r\n    Empty    REG_SZ    \r\n\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Accessibility\r\n";

    #[test]
    fn reg_query_values_and_os() {
        let v = parse_reg_query(CV);
        assert_eq!(v.len(), 7);
        assert_eq!(v[6].data, "");
        let os = os_from_reg_query(&v).unwrap();
        assert_eq!(os.build, 20348);
        assert_eq!(os.ubr, Some(0x8f4));
        assert_eq!(os.product, "Windows Server 2022 Datacenter");
        assert_eq!(os.installation_type.as_deref(), Some("Server"));
    }

    #[test]
    fn subkeys_of_reg_query() {
        let t = "\r\nHKEY_CURRENT_USER\\Software\\Microsoft\\Terminal Server Client\\Servers\r\n\
                 HKEY_CURRENT_USER\\Software\\Microsoft\\Terminal Server Client\\Servers\\rds01.corp.local\r\n\
                 HKEY_CURRENT_USER\\Software\\Microsoft\\Terminal Server Client\\Servers\\10.0.0.5\r\n";
        assert_eq!(subkey_names(t), ["rds01.corp.local", "10.0.0.5"]);
    }

    #[test]
    fn w32tm_status_is_read() {
        let text = "Leap Indicator: 0(no warning)\r\nStratum: 3 (secondary reference - syncd by (S)NTP)\r\n\
                    Last Successful Sync Time: 1/15/2024 9:37:00 AM\r\nSource: dc01.corp.contoso.com\r\n";
        let now = Utc::now();
        let c = clock_from_w32tm(text, Some(60), now);
        assert_eq!(c.stratum, Some(3));
        assert_eq!(c.sync_source.as_deref(), Some("dc01.corp.contoso.com"));
        assert_eq!(c.last_sync_utc.unwrap().to_rfc3339(), "2024-01-15T08:37:00+00:00");
        assert_eq!(c.host_utc_at_collection, now);
    }
}
