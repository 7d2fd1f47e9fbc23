//! The text outputs as a localized Windows prints them (`--locale`): the writers produce en-US
//! text, and [`localize`] rewrites the words Windows translates (account names, netstat
//! header and states, netsh labels and values, certutil labels and key lines, ipconfig and
//! w32tm labels) and the dates (each culture's short date and time).
//!
//! Sources are those of the analyzer's tables (`analyzer/artifacts/src/text_artifacts/locale.rs`); every
//! string not found in a source is marked "unverified" here too. Where no translation is known
//! for a language (Japanese netsh and certutil labels), the strings written are marked
//! unverified guesses: the analyzer does not know them, which is the point — such files must
//! leave facts unknown, and the collector's locale-independent files carry the diagnosis.

use chrono::NaiveDateTime;

/// A Windows display language and format culture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// en-US (what the writers print).
    #[default]
    En,
    /// de-DE.
    De,
    /// fr-FR.
    Fr,
    /// ja-JP.
    Ja,
}

impl Locale {
    /// Every locale.
    pub const ALL: [Locale; 4] = [Locale::En, Locale::De, Locale::Fr, Locale::Ja];

    /// The culture name (`Get-Culture`).
    pub fn culture(self) -> &'static str {
        match self {
            Locale::En => "en-US",
            Locale::De => "de-DE",
            Locale::Fr => "fr-FR",
            Locale::Ja => "ja-JP",
        }
    }

    /// Short name (`en`, `de`, `fr`, `ja`).
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::De => "de",
            Locale::Fr => "fr",
            Locale::Ja => "ja",
        }
    }

    /// Parses `en`, `de`, `fr`, `ja` (or their culture names).
    pub fn parse(s: &str) -> Option<Locale> {
        let l = s.trim().to_ascii_lowercase();
        Locale::ALL
            .into_iter()
            .find(|x| x.as_str() == l || x.culture().eq_ignore_ascii_case(&l))
    }

    /// A date and time as the culture's short date and short time print it (certutil).
    /// Patterns: .NET `ShortDatePattern`/`ShortTimePattern` of en-US `M/d/yyyy h:mm tt`,
    /// de-DE `dd.MM.yyyy HH:mm`, fr-FR `dd/MM/yyyy HH:mm`, ja-JP `yyyy/MM/dd H:mm`.
    pub fn short(self, t: &NaiveDateTime) -> String {
        let f = match self {
            Locale::En => "%-m/%-d/%Y %-I:%M %p",
            Locale::De => "%d.%m.%Y %H:%M",
            Locale::Fr => "%d/%m/%Y %H:%M",
            Locale::Ja => "%Y/%m/%d %-H:%M",
        };
        t.format(f).to_string()
    }

    /// Short date and long time (w32tm).
    pub fn long(self, t: &NaiveDateTime) -> String {
        let f = match self {
            Locale::En => "%-m/%-d/%Y %-I:%M:%S %p",
            Locale::De => "%d.%m.%Y %H:%M:%S",
            Locale::Fr => "%d/%m/%Y %H:%M:%S",
            Locale::Ja => "%Y/%m/%d %-H:%M:%S",
        };
        t.format(f).to_string()
    }
}

/// Which command printed a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// `Get-Acl ... | Select -ExpandProperty Access`.
    Acl,
    /// `netstat -anob`.
    Netstat,
    /// `netsh advfirewall firewall show rule name=all`.
    Netsh,
    /// `certutil -verifystore -v`.
    Certutil,
    /// `w32tm /query /status`.
    W32tm,
    /// `ipconfig /all`.
    Ipconfig,
}

/// `(English, German, French, Japanese)` account names. Sources: Microsoft's SQL Server docs
/// "Localized service names" (NETWORK SERVICE, SYSTEM, Administrators; Japanese keeps the
/// English names), French `BUILTIN\Administrateurs` seen in a public CIS script, German
/// `Jeder`/`Benutzer` in a public UI spec; `Tout le monde`, `BUILTIN\Utilisateurs`: unverified.
const ACCOUNTS: &[(&str, &str, &str, &str)] = &[
    (
        r"NT AUTHORITY\NETWORK SERVICE",
        "NT-AUTORITÄT\\NETZWERKDIENST",
        "AUTORITE NT\\SERVICE RÉSEAU",
        r"NT AUTHORITY\NETWORK SERVICE",
    ),
    (
        r"NT AUTHORITY\SYSTEM",
        "NT-AUTORITÄT\\SYSTEM",
        r"AUTORITE NT\SYSTEM",
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        r"BUILTIN\Administrators",
        r"VORDEFINIERT\Administratoren",
        r"BUILTIN\Administrateurs",
        r"BUILTIN\Administrators",
    ),
    (
        r"BUILTIN\Users",
        r"VORDEFINIERT\Benutzer",
        r"BUILTIN\Utilisateurs",
        r"BUILTIN\Users",
    ),
    ("Everyone", "Jeder", "Tout le monde", "Everyone"),
];

/// netsh labels `(English, German, French, Japanese)`. German: public test suites quoting
/// German netsh output; French `Nom de la règle`, `Activée`, `Direction`, `Action` and
/// Japanese `規則名`, `有効`, `方向`, `プロトコル`, `ローカル ポート`, `操作`: public fixtures
/// (sources in the analyzer's table, [NETSH-FR], [NETSH-JA]); the other French and Japanese
/// labels are unverified.
const NETSH_LABELS: &[(&str, &str, &str, &str)] = &[
    ("Rule Name", "Regelname", "Nom de la règle", "規則名"),
    ("Enabled", "Aktiviert", "Activée", "有効"),
    ("Direction", "Richtung", "Direction", "方向"),
    ("Profiles", "Profile", "Profils", "プロファイル"),
    ("Grouping", "Gruppierung", "Regroupement", "グループ"),
    ("LocalIP", "LokaleIP", "IP locale", "ローカル IP"),
    ("RemoteIP", "RemoteIP", "IP distante", "リモート IP"),
    ("Protocol", "Protokoll", "Protocole", "プロトコル"),
    ("LocalPort", "Lokaler Port", "Port local", "ローカル ポート"),
    ("RemotePort", "RemotePort", "Port distant", "リモート ポート"),
    (
        "Edge traversal",
        "Edgeausnahme",
        "Traversée de périmètre",
        "エッジ トラバーサル",
    ),
    ("Action", "Aktion", "Action", "操作"),
];

/// netsh values `(English, German, French, Japanese)`; sourced: German `Ja`, `Eingehend`,
/// `Zulassen`, `Beliebig`, `Domäne,Privat,Öffentlich`; French `Oui`, `Sortant`, `Autoriser`,
/// `Bloquer`; Japanese `はい`, `いいえ`, `入力`, `許可`, `ブロック`. The rest unverified.
const NETSH_VALUES: &[(&str, &str, &str, &str)] = &[
    ("Yes", "Ja", "Oui", "はい"),
    ("No", "Nein", "Non", "いいえ"),
    ("In", "Eingehend", "Entrant", "入力"),
    ("Out", "Ausgehend", "Sortant", "出力"),
    ("Allow", "Zulassen", "Autoriser", "許可"),
    ("Block", "Blockieren", "Bloquer", "ブロック"),
    ("Any", "Beliebig", "Toutes", "任意"),
    (
        "Domain,Private,Public",
        "Domäne,Privat,Öffentlich",
        "Domaine,Privé,Public",
        "ドメイン,プライベート,パブリック",
    ),
];

fn pick(row: &(&'static str, &'static str, &'static str, &'static str), l: Locale) -> &'static str {
    match l {
        Locale::En => row.0,
        Locale::De => row.1,
        Locale::Fr => row.2,
        Locale::Ja => row.3,
    }
}

/// Rewrites an en-US text as `locale` prints it. Lines are kept (numbers unchanged).
pub fn localize(kind: TextKind, text: &str, locale: Locale) -> String {
    if locale == Locale::En {
        return text.to_string();
    }
    let ends_crlf = text.ends_with("\r\n");
    let lines: Vec<String> = text
        .split("\r\n")
        .map(|l| match kind {
            TextKind::Acl => acl_line(l, locale),
            TextKind::Netstat => netstat_line(l, locale),
            TextKind::Netsh => netsh_line(l, locale),
            TextKind::Certutil => certutil_line(l, locale),
            TextKind::W32tm => w32tm_line(l, locale),
            TextKind::Ipconfig => ipconfig_line(l, locale),
        })
        .collect();
    let out = lines.join("\r\n");
    if ends_crlf && !out.ends_with("\r\n") {
        out + "\r\n"
    } else {
        out
    }
}

fn acl_line(l: &str, locale: Locale) -> String {
    let Some((label, value)) = l.split_once(" : ") else {
        return l.to_string();
    };
    if label.trim() != "IdentityReference" {
        return l.to_string();
    }
    match ACCOUNTS.iter().find(|r| r.0 == value.trim()) {
        Some(r) => format!("{label} : {}", pick(r, locale)),
        None => l.to_string(),
    }
}

fn netstat_line(l: &str, locale: Locale) -> String {
    let t = l.trim();
    // Header lines: German/French/Japanese titles unverified.
    if t == "Active Connections" {
        let title = match locale {
            Locale::De => "Aktive Verbindungen",
            Locale::Fr => "Connexions actives",
            Locale::Ja => "アクティブな接続",
            Locale::En => "Active Connections",
        };
        return l.replace("Active Connections", title);
    }
    if t.starts_with("Proto") {
        return match locale {
            Locale::De => {
                "  Proto  Lokale Adresse         Remoteadresse          Status           PID".into()
            }
            Locale::Fr => "  Proto  Adresse locale         Adresse distante       État            PID".into(),
            Locale::Ja => {
                "  プロトコル  ローカル アドレス      外部アドレス           状態            PID".into()
            }
            Locale::En => l.to_string(),
        };
    }
    // States: German `ABHÖREN` and French `À L'ÉCOUTE` sourced (`HERGESTELLT` unverified);
    // French ESTABLISHED and Japanese states are kept English (Chinese netstat keeps English
    // states; Japanese unverified).
    if t.starts_with("TCP ") || t.starts_with("TCP\t") {
        match locale {
            Locale::De => {
                return l
                    .replacen("LISTENING  ", "ABHÖREN    ", 1)
                    .replacen("ESTABLISHED", "HERGESTELLT", 1);
            }
            Locale::Fr => return l.replacen("LISTENING  ", "À L'ÉCOUTE ", 1),
            _ => {}
        }
    }
    l.to_string()
}

fn netsh_line(l: &str, locale: Locale) -> String {
    if l.trim() == "Ok." {
        // German `OK.` and Japanese `OK` (public quotes, see the analyzer's table).
        return match locale {
            Locale::De => "OK.".into(),
            Locale::Ja => "OK".into(),
            _ => l.to_string(),
        };
    }
    let Some((label, value)) = l.split_once(':') else {
        return l.to_string();
    };
    let Some(row) = NETSH_LABELS.iter().find(|r| r.0 == label.trim()) else {
        return l.to_string();
    };
    let v = value.trim();
    let v = NETSH_VALUES
        .iter()
        .find(|r| r.0 == v)
        .map_or(v, |r| pick(r, locale));
    format!("{:<38}{v}", format!("{}:", pick(row, locale)))
}

/// certutil labels `(English, German, French, Japanese)`: all unverified (no localized
/// certutil output was found in a source); the key-test line likewise.
const CERTUTIL: &[(&str, &str, &str, &str)] = &[
    (
        "Cert Hash(sha1):",
        "Zertifikathash(sha1):",
        "Hachage du cert.(sha1) :",
        "証明書ハッシュ(sha1):",
    ),
    (
        "Encryption test passed",
        "Verschlüsselungstest wurde bestanden.",
        "Test de chiffrement réussi",
        "暗号化テストに合格しました",
    ),
];

fn certutil_line(l: &str, locale: Locale) -> String {
    let t = l.trim();
    if let Some(rest) = t
        .strip_prefix("================ Certificate ")
        .and_then(|r| r.strip_suffix(" ================"))
    {
        let word = match locale {
            Locale::De => "Zertifikat",
            Locale::Fr => "Certificat",
            Locale::Ja => "証明書",
            Locale::En => "Certificate",
        };
        return format!("================ {word} {rest} ================");
    }
    for label in ["NotBefore: ", "NotAfter: "] {
        if let Some(v) = t.strip_prefix(label)
            && let Ok(d) = NaiveDateTime::parse_from_str(v.trim(), "%m/%d/%Y %I:%M %p")
        {
            let indent = &l[..l.len() - l.trim_start().len()];
            return format!("{indent}{label}{}", locale.short(&d));
        }
    }
    for row in CERTUTIL {
        if let Some(rest) = t.strip_prefix(row.0) {
            let indent = &l[..l.len() - l.trim_start().len()];
            return format!("{indent}{}{rest}", pick(row, locale));
        }
    }
    l.to_string()
}

fn w32tm_line(l: &str, locale: Locale) -> String {
    let Some((label, value)) = l.split_once(": ") else {
        return l.to_string();
    };
    let value = match NaiveDateTime::parse_from_str(value.trim(), "%m/%d/%Y %I:%M:%S %p") {
        Ok(d) => locale.long(&d),
        Err(_) => value.to_string(),
    };
    // German labels unverified; French and Japanese labels left in English (not known).
    let label = match (locale, label) {
        (Locale::De, "Leap Indicator") => "Sprungindikator",
        (Locale::De, "Last Successful Sync Time") => "Letzte erfolgreiche Synchronisierungszeit",
        (Locale::De, "Source") => "Quelle",
        _ => label,
    };
    format!("{label}: {value}")
}

fn ipconfig_line(l: &str, locale: Locale) -> String {
    // German, Spanish and French labels from public quotes of real ipconfig output (see the
    // analyzer's `host_addresses`); Japanese unverified.
    let table: &[(&str, &str, &str, &str)] = &[
        (
            "Windows IP Configuration",
            "Windows-IP-Konfiguration",
            "Configuration IP de Windows",
            "Windows IP 構成",
        ),
        (
            "Ethernet adapter",
            "Ethernet-Adapter",
            "Carte Ethernet",
            "イーサネット アダプター",
        ),
        ("IPv4 Address", "IPv4-Adresse", "Adresse IPv4", "IPv4 アドレス"),
        (
            "Subnet Mask",
            "Subnetzmaske",
            "Masque de sous-réseau",
            "サブネット マスク",
        ),
        (
            "Default Gateway",
            "Standardgateway",
            "Passerelle par défaut",
            "デフォルト ゲートウェイ",
        ),
        ("DNS Servers", "DNS-Server", "Serveurs DNS", "DNS サーバー"),
        ("(Preferred)", "(Bevorzugt)", "(préféré)", "(優先)"),
    ];
    let mut out = l.to_string();
    for row in table {
        if out.contains(row.0) {
            out = out.replacen(row.0, pick(row, locale), 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_words_and_dates() {
        let acl = "IdentityReference : NT AUTHORITY\\NETWORK SERVICE\r\n";
        assert_eq!(
            localize(TextKind::Acl, acl, Locale::De),
            "IdentityReference : NT-AUTORITÄT\\NETZWERKDIENST\r\n"
        );
        let ns = "  TCP    0.0.0.0:3389           0.0.0.0:0              LISTENING       1044\r\n";
        assert!(localize(TextKind::Netstat, ns, Locale::De).contains("ABHÖREN"));
        let rule = "Action:                               Block\r\n";
        assert_eq!(
            localize(TextKind::Netsh, rule, Locale::De),
            "Aktion:                               Blockieren\r\n"
        );
        let c = " NotAfter: 1/2/2024 3:04 PM\r\n";
        assert_eq!(
            localize(TextKind::Certutil, c, Locale::De),
            " NotAfter: 02.01.2024 15:04\r\n"
        );
        assert_eq!(
            localize(TextKind::Certutil, c, Locale::Ja),
            " NotAfter: 2024/01/02 15:04\r\n"
        );
        assert_eq!(localize(TextKind::Certutil, c, Locale::En), c);
        assert_eq!(Locale::parse("ja-JP"), Some(Locale::Ja));
    }
}
