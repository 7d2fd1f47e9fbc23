//! The one-screen notice shown before collecting: what personal data goes into the bundle.

use rdpdiag_schemas::Role;

/// What the notice depends on.
#[derive(Debug, Clone)]
pub struct NoticeFacts<'a> {
    /// Bundle that will be written.
    pub output: &'a str,
    /// Role the host is collected as.
    pub role: Role,
    /// Whether this is an offline volume.
    pub volume: bool,
    /// Security log included.
    pub security: bool,
    /// `--redact`.
    pub redact: bool,
    /// `--server` target.
    pub server: Option<&'a str>,
    /// Window in days (for traces).
    pub days: i64,
}

/// The notice text (fits one 80x24 screen).
pub fn notice(f: &NoticeFacts<'_>) -> String {
    let mut s = String::new();
    s.push_str("rdpdiag-collect: what this collects\n");
    s.push_str("-----------------------------------\n");
    s.push_str(&format!(
        "Diagnostic data about Remote Desktop connections goes into ONE zip file:\n  {}\n\
         Nothing is sent anywhere: you decide whom you give the file to.\n\n",
        f.output
    ));
    s.push_str("It contains personal data:\n");
    let logs = if f.security {
        "RDP client/server, System, Application, CAPI2, Security"
    } else {
        "RDP client/server, System, Application, CAPI2 (Security: --security)"
    };
    s.push_str(&format!(
        " - event logs: {logs};\n   they hold user and computer names, IP addresses, logon and connection times;\n"
    ));
    if f.volume {
        s.push_str(
            " - registry hives SYSTEM, SOFTWARE and every user's NTUSER.DAT (all settings of\n   the machine and its users), and the MachineKeys file listing;\n",
        );
    } else {
        s.push_str(
            " - registry settings of Remote Desktop, TLS, CredSSP and policies, including the\n   servers you connected to and user name hints;\n",
        );
        s.push_str(
            " - certificates, key-file permissions, network connections with program names,\n   firewall rules, antivirus products, time sync status, client versions;\n",
        );
    }
    if matches!(f.role, Role::Client | Role::Both | Role::Unknown) {
        s.push_str(&format!(
            " - Remote Desktop app traces (RdClientAutoTrace) of the last {} days;\n",
            f.days
        ));
    }
    if let Some(server) = f.server {
        s.push_str(&format!(
            " - how {server} answers a connection and its certificate (no password or user\n   name is ever sent);\n"
        ));
    }
    s.push_str("Never collected: passwords, private keys, file contents, browsing data.\n");
    if f.redact {
        s.push_str(
            "--redact: user names, host names, SIDs and addresses are replaced by keyed\n\
             pseudonyms; event logs and the registry keep only what the analysis uses,\n\
             redacted. Traces are binary and left out.\n",
        );
    } else {
        s.push_str(
            "Use --redact to replace user names, host names, SIDs and IP addresses with\n\
             pseudonyms (event logs and registry too; traces are binary and are\n\
             then left out).\n",
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_fits_one_screen_and_says_what_matters() {
        for (volume, redact, server) in [(false, false, None), (true, true, Some("rds01:3389"))] {
            let text = notice(&NoticeFacts {
                output: r"C:\Users\alice\rdpdiag-WKS01-client-20240115-100000.zip",
                role: Role::Both,
                volume,
                security: true,
                redact,
                server,
                days: 7,
            });
            let lines: Vec<&str> = text.lines().collect();
            assert!(lines.len() <= 22, "{} lines:\n{text}", lines.len());
            assert!(lines.iter().all(|l| l.chars().count() <= 80), "{text}");
            assert!(text.contains("personal data") && text.contains("Never collected"));
            assert!(text.contains("Traces are binary and left out") || text.contains("then left out"));
        }
    }
}
