//! Command outputs as Windows prints them, for the text files of an MSRD-Collect bundle.
//!
//! Every writer returns the text with CRLF line ends: MSRD-Collect runs each command in Windows
//! PowerShell 5.1 as `<command> 2>&1 | Out-File -Append <file>`; PowerShell splits a native
//! command's output into lines and `Out-File` writes every line followed by CRLF (and formats
//! objects, e.g. `Get-Acl` access rules, into lines the same way). `Out-File` in Windows
//! PowerShell 5 writes UTF-16LE with a BOM: use [`to_utf16le_bom`] for the file bytes.
//!
//! MSRD-Collect also frames each command in its output file (see [`msrd_command_block`]).
//!
//! Modules (one per command):
//! - [`certutil`]: `certutil -verifystore -v MY` / `"Remote Desktop"`.
//! - [`acl`]: `Get-Acl ... | Select-Object -ExpandProperty Access` (ACL-MachineKeys.txt).
//! - [`netstat`]: `netstat -anob`.
//! - [`firewall`]: `netsh advfirewall firewall show rule name=all` and the registry rule strings.
//! - [`w32tm`]: `w32tm /query /status`.
//! - [`locale`]: the same outputs as localized Windows prints them (`--locale`).

pub mod acl;
pub mod certutil;
pub mod firewall;
pub mod ipconfig;
pub mod locale;
pub mod netstat;
pub mod w32tm;

pub use acl::{
    AccessControlType, AclEntry, MACHINEKEYS_PATH, RDP_KEY_PREFIX, RDP_KEY_WILDCARD_PATH,
    access_rules_format_list, acl_machinekeys_file, get_acl_access_list, get_acl_access_list_at,
    get_acl_command, machinekeys_folder_default_acl, rdp_key_file_default_acl, rdp_key_file_name,
    registry_access_rules_format_list, without_identity,
};
pub use certutil::{
    CertificateInfo, ChainVerdict, EXPIRED_ERROR, PrivateKeyState, RDP_KEY_CONTAINER, RDP_KEY_PROVIDER,
    UNTRUSTED_ROOT_ERROR, certutil_verifystore, certutil_verifystore_command,
};
pub use firewall::{
    Direction, FirewallAction, FirewallRule, FirewallRuleString, NETSH_SHOW_RULES_COMMAND,
    default_rdp_rule_strings, default_rdp_rules, netsh_show_rules,
};
pub use ipconfig::{Adapter, ipconfig_all};
pub use locale::{Locale, TextKind, localize};
pub use netstat::{NETSTAT_COMMAND, NetstatEntry, Protocol, netstat_anob};
pub use w32tm::{REFERENCE_ID_UNSPECIFIED, W32TM_STATUS_COMMAND, W32tmStatus, w32tm_query_status};

use chrono::NaiveDateTime;

/// Line end of every text file written here.
pub const CRLF: &str = "\r\n";

/// The separator line MSRD-Collect writes around each command's header.
pub const MSRD_SEPARATOR: &str = "======================================";

/// Bytes of a file written by Windows PowerShell 5 `Out-File` (its default `-Encoding Unicode`):
/// BOM `FF FE`, then UTF-16LE.
pub fn to_utf16le_bom(text: &str) -> Vec<u8> {
    crate::reg::utf16le_with_bom(text)
}

/// One command's section as MSRD-Collect's `msrdRunCommands` appends it to an output file.
///
/// Source: MSRD-Collect `MSRDC-Framework.psm1` `msrdRunCommands`: before running a command it
/// writes `"======================================"`, `"<yyyy/MM/dd HH:mm:ss.fff> : <command>"`
/// and ``"======================================`n"`` with `Out-File -Append`, then the command's
/// own `Out-File -Append` output, then ``"`n"``. A PowerShell `` `n `` is a bare LF, and Out-File
/// adds CRLF, so the second separator and the trailer end in `LF CR LF` — a real quirk of these
/// files that a parser must accept. `command` is the display form (MSRD strips `2>&1` and the
/// `| Out-File ...` tail), e.g. `certutil -verifystore -v MY`; `output` is one of the writers'
/// results. Older MSRD versions did not write this frame.
pub fn msrd_command_block(at: NaiveDateTime, command: &str, output: &str) -> String {
    let mut s = String::new();
    s.push_str(MSRD_SEPARATOR);
    s.push_str(CRLF);
    s.push_str(&at.format("%Y/%m/%d %H:%M:%S%.3f").to_string());
    s.push_str(" : ");
    s.push_str(command);
    s.push_str(CRLF);
    s.push_str(MSRD_SEPARATOR);
    s.push('\n');
    s.push_str(CRLF);
    s.push_str(output);
    s.push('\n');
    s.push_str(CRLF);
    s
}

/// Joins `lines` with CRLF after each line (what Out-File does with a command's output lines).
pub(crate) fn crlf_lines<I, S>(lines: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = String::new();
    for line in lines {
        out.push_str(line.as_ref());
        out.push_str(CRLF);
    }
    out
}

/// en-US short date and time without seconds (`M/d/yyyy h:mm AM`), as certutil prints
/// NotBefore/NotAfter on an en-US system. Other locales print other formats.
pub(crate) fn en_us_date_time_short(t: &NaiveDateTime) -> String {
    t.format("%-m/%-d/%Y %-I:%M %p").to_string()
}

/// en-US short date and long time (`M/d/yyyy h:mm:ss AM`), as w32tm prints times.
pub(crate) fn en_us_date_time_long(t: &NaiveDateTime) -> String {
    t.format("%-m/%-d/%Y %-I:%M:%S %p").to_string()
}
