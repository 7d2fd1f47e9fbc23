#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Unknown is never "no" (issue 16 item 3): every text parser is fed output in a language it
//! does not know (Polish-like account names, translated labels, states and key lines), and no
//! fact derived from it may become false. The same host in English must derive the facts (so
//! the test would see a parser that silently stopped reading), and a German host (a language
//! the tables know) must derive the same values as English.

use rdpdiag::correlate::correlate;
use rdpdiag::fact_vocabulary::{FactView, view};
use rdpdiag::facts::HostFacts;
use rdpdiag::input::sniff::ContentKind;
use rdpdiag_schemas::domain::TextFormat;
use serde_json::json;

const THUMB: &str = "AB12CD34EF56AB12CD34EF56AB12CD34EF56AB12";
const KEYFILE: &str = "6a1b2c3d4e5f60718293a4b5c6d7e8f9_5a1e6b0c-7d3f-4e21-9a8b-0c1d2e3f4a5b";
const RDPKEY: &str = "f686aace6942fb7f7ceb231212eef4a4_5a1e6b0c-7d3f-4e21-9a8b-0c1d2e3f4a5b";

fn reg() -> Vec<u8> {
    let hex: Vec<String> = (0..20)
        .map(|i| THUMB[i * 2..i * 2 + 2].to_ascii_lowercase())
        .collect();
    format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp]\r\n\"PortNumber\"=dword:00000d3d\r\n\"SSLCertificateSHA1Hash\"=hex:{}\r\n\r\n",
        hex.join(",")
    )
    .into_bytes()
}

/// Access rules of one object: (rights, access, identity).
type Rules<'a> = &'a [(&'a str, &'a str, &'a str)];

/// One `Get-Acl` block per object, framed like MSRD-Collect.
fn acl(objects: &[(&str, Rules)]) -> Vec<u8> {
    let mut out = String::new();
    for (path, rules) in objects {
        out.push_str("======================================\r\n");
        out.push_str(&format!(
            "2024/01/15 10:00:00.000 : Get-Acl -Path '{path}' | Select-Object -ExpandProperty Access\r\n"
        ));
        out.push_str("======================================\r\n\r\n");
        for (rights, access, identity) in *rules {
            out.push_str(&format!(
                "FileSystemRights  : {rights}\r\nAccessControlType : {access}\r\nIdentityReference : {identity}\r\nIsInherited       : False\r\nInheritanceFlags  : None\r\nPropagationFlags  : None\r\n\r\n"
            ));
        }
    }
    out.into_bytes()
}

/// A certutil dump of the configured certificate with the given labels.
fn certutil(header: &str, hash_label: &str, key_line: &str) -> Vec<u8> {
    format!(
        "MY \"Personal\"\r\n================ {header} 0 ================\r\nSerial Number: 1a2b\r\nIssuer: CN=CA\r\n NotBefore: 1/2/2024 3:04 AM\r\n NotAfter: 1/2/2034 3:04 AM\r\nSubject: CN=srv01\r\n{hash_label} {}\r\n  Key Container = le-1234\r\n  Unique container name: {KEYFILE}\r\n  Provider = Microsoft RSA SChannel Cryptographic Provider\r\n{key_line}\r\nCertUtil: -verifystore command completed successfully.\r\n",
        THUMB.to_ascii_lowercase()
    )
    .into_bytes()
}

fn netstat(state: &str, ownership: &str) -> Vec<u8> {
    format!(
        "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n  TCP    0.0.0.0:3389           0.0.0.0:0              {state}       1044\r\n{ownership}  TCP    0.0.0.0:135            0.0.0.0:0              {state}       900\r\n  RpcSs\r\n [svchost.exe]\r\n"
    )
    .into_bytes()
}

fn netsh(labels: [&str; 6], values: [&str; 3]) -> Vec<u8> {
    let [name, enabled, direction, protocol, port, action] = labels;
    let [yes, inbound, block] = values;
    format!(
        "\r\n{name}: Remote Desktop blocker\r\n----------------------------------------------------------------------\r\n{enabled}: {yes}\r\n{direction}: {inbound}\r\n{protocol}: TCP\r\n{port}: 3389\r\n{action}: {block}\r\n\r\n{name}: Other\r\n----------------------------------------------------------------------\r\n{enabled}: {yes}\r\n{direction}: {inbound}\r\n{protocol}: TCP\r\n{port}: 80\r\n{action}: {block}\r\nOk.\r\n"
    )
    .into_bytes()
}

struct Host {
    acl: Vec<u8>,
    certutil: Vec<u8>,
    netstat: Vec<u8>,
    netsh: Vec<u8>,
    w32tm: Vec<u8>,
}

fn facts(h: &Host) -> (HostFacts, FactView) {
    let items: Vec<(&str, ContentKind, Vec<u8>)> = vec![
        ("registry/System.reg", ContentKind::Reg, reg()),
        (
            "certs/ACL-MachineKeys.txt",
            ContentKind::Text(TextFormat::AclList),
            h.acl.clone(),
        ),
        (
            "certs/Certificates-My.txt",
            ContentKind::Text(TextFormat::CertutilStore),
            h.certutil.clone(),
        ),
        (
            "network/Netstat.txt",
            ContentKind::Text(TextFormat::Netstat),
            h.netstat.clone(),
        ),
        (
            "network/FirewallRules.txt",
            ContentKind::Text(TextFormat::FirewallRules),
            h.netsh.clone(),
        ),
        (
            "system/W32tm-Status.txt",
            ContentKind::Text(TextFormat::W32tmStatus),
            h.w32tm.clone(),
        ),
    ];
    let f = HostFacts::from_artifacts_in(items, Some("en-US"));
    let corr = correlate(None, None);
    let v = view(&f, &corr, Some(3389));
    (f, v)
}

/// Facts these artifacts feed.
const PATHS: &[&str] = &[
    "derived.rdp_key_network_service_read",
    "derived.cert_key_network_service_read",
    "derived.key_in_use_network_service_read",
    "derived.listener_cert_in_store",
    "derived.rdp_cert_key_unreadable",
    "derived.rdp_port_owned_by_other_process",
    "derived.block_rule_on_rdp_port",
];

fn value(v: &FactView, path: &str) -> Option<serde_json::Value> {
    v.get(path).map(|d| d.value.clone())
}

/// Key ACLs where NETWORK SERVICE has nothing (the "cannot read" case) in the given names.
fn key_acls(system: &str, admins: &str, other_reader: &str) -> Vec<u8> {
    let rules: &[(&str, &str, &str)] = &[
        ("FullControl", "Allow", system),
        ("FullControl", "Allow", admins),
        ("Read, Synchronize", "Allow", other_reader),
    ];
    acl(&[
        (
            &format!(r"C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys\{RDPKEY}"),
            rules,
        ),
        (&format!(r"C:\ProgramData\Microsoft\Crypto\Keys\{KEYFILE}"), rules),
    ])
}

fn english() -> Host {
    Host {
        acl: key_acls(r"NT AUTHORITY\SYSTEM", r"BUILTIN\Administrators", r"CONTOSO\PSMConnect"),
        certutil: certutil("Certificate", "Cert Hash(sha1):", "Encryption test passed"),
        netstat: netstat("LISTENING", "  TermService\r\n [svchost.exe]\r\n"),
        netsh: netsh(
            ["Rule Name", "Enabled", "Direction", "Protocol", "LocalPort", "Action"],
            ["Yes", "In", "Allow"],
        ),
        w32tm: b"Leap Indicator: 0(no warning)\r\nStratum: 3 (secondary reference - syncd by (S)NTP)\r\nLast Successful Sync Time: 1/15/2024 9:41:07 AM\r\nSource: dc01.corp.contoso.com\r\n".to_vec(),
    }
}

/// A language none of the tables knows (Polish-like names, invented labels and states).
fn unknown_language() -> Host {
    Host {
        acl: key_acls(
            r"ZARZĄDZANIE NT\SYSTEM",
            r"BUILTIN\Administratorzy",
            r"ZARZĄDZANIE NT\USŁUGA SIECIOWA",
        ),
        certutil: certutil(
            "Certyfikat",
            "Skrót certyfikatu(sha1):",
            "Test szyfrowania zakończony pomyślnie",
        ),
        netstat: netstat("NASŁUCHIWANIE", "  TermService\r\n [svchost.exe]\r\n"),
        netsh: netsh(
            [
                "Nazwa reguły",
                "Włączone",
                "Kierunek",
                "Protokół",
                "Port lokalny",
                "Akcja",
            ],
            ["Tak", "Przychodzące", "Zezwalaj"],
        ),
        w32tm:
            "Wskaźnik przestępności: 0(brak ostrzeżenia)\r\nWarstwa: 3\r\nŹródło: dc01.corp.contoso.com\r\n"
                .as_bytes()
                .to_vec(),
    }
}

#[test]
fn english_host_derives_every_fact() {
    let (f, v) = facts(&english());
    for p in PATHS {
        assert!(
            v.get(p).is_some(),
            "{p} not derived from English artifacts: {:#?}",
            f.problems
        );
    }
    assert_eq!(
        value(&v, "derived.rdp_key_network_service_read"),
        Some(json!(false))
    );
    assert_eq!(
        value(&v, "derived.cert_key_network_service_read"),
        Some(json!(false))
    );
    assert_eq!(value(&v, "derived.listener_cert_in_store"), Some(json!(true)));
    assert_eq!(value(&v, "derived.rdp_cert_key_unreadable"), Some(json!(false)));
    assert_eq!(
        value(&v, "derived.rdp_port_owned_by_other_process"),
        Some(json!(false))
    );
    assert_eq!(value(&v, "derived.block_rule_on_rdp_port"), Some(json!(false)));
    let t = f.time.as_ref().unwrap();
    assert_eq!(t.synced, Some(true));
}

#[test]
fn unknown_language_never_turns_into_no() {
    let (f, v) = facts(&unknown_language());
    for p in PATHS {
        assert_ne!(
            value(&v, p),
            Some(json!(false)),
            "{p} became false from text in a language not recognised"
        );
    }
    // Nothing is invented either: a true would be as wrong.
    for p in PATHS {
        assert_ne!(value(&v, p), Some(json!(true)), "{p} became true");
    }
    assert_ne!(f.time.as_ref().and_then(|t| t.synced), Some(false));
    // Each is reported with its file and line, as "language not recognised".
    let lang: Vec<_> = f
        .problems
        .iter()
        .filter(|p| p.problem.message.contains("language not recognised"))
        .collect();
    for artifact in [
        "certs/ACL-MachineKeys.txt",
        "certs/Certificates-My.txt",
        "network/Netstat.txt",
    ] {
        assert!(
            lang.iter()
                .any(|p| &*p.artifact == artifact && p.problem.line().is_some()),
            "no line-level 'language not recognised' problem for {artifact}: {:#?}",
            f.problems
        );
    }
    assert!(
        f.problems
            .iter()
            .any(|p| &*p.artifact == "network/FirewallRules.txt"),
        "netsh in an unknown language is not reported: {:#?}",
        f.problems
    );
}

/// Every single rule or line in an unknown language is enough to block "no", even when the
/// rest of the file is English.
#[test]
fn one_unknown_account_blocks_no() {
    let mut h = english();
    h.acl = acl(&[(
        &format!(r"C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys\{RDPKEY}"),
        &[
            ("FullControl", "Allow", r"NT AUTHORITY\SYSTEM"),
            ("FullControl", "Allow", r"BUILTIN\Administrators"),
            ("Read", "Allow", r"NT AUTHORITY\СЕТЕВАЯ СЛУЖБА"),
        ],
    )]);
    let (_, v) = facts(&h);
    assert_eq!(value(&v, "derived.rdp_key_network_service_read"), None);
    // A Deny for a group NETWORK SERVICE belongs to decides, whatever else is unknown.
    h.acl = acl(&[(
        &format!(r"C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys\{RDPKEY}"),
        &[
            ("Read", "Deny", "S-1-1-0"),
            ("Read", "Allow", r"ZARZĄDZANIE NT\USŁUGA SIECIOWA"),
        ],
    )]);
    let (_, v) = facts(&h);
    assert_eq!(
        value(&v, "derived.rdp_key_network_service_read"),
        Some(json!(false))
    );
    // An unknown state on the RDP port's row leaves the owner unknown.
    h.netstat = netstat("NASŁUCHIWANIE", "");
    let (_, v) = facts(&h);
    assert_eq!(value(&v, "derived.rdp_port_owned_by_other_process"), None);
}

/// German (a language the tables know) and SIDs give the English answers.
#[test]
fn german_and_sids_read_like_english() {
    let en = facts(&english()).1;
    let de = Host {
        acl: key_acls(
            "NT-AUTORITÄT\\SYSTEM",
            r"VORDEFINIERT\Administratoren",
            r"CONTOSO\PSMConnect",
        ),
        certutil: certutil("Zertifikat", "Zertifikathash(sha1):", "Encryption test passed"),
        netstat: netstat("ABHÖREN", "  TermService\r\n [svchost.exe]\r\n"),
        netsh: netsh(
            [
                "Regelname",
                "Aktiviert",
                "Richtung",
                "Protokoll",
                "Lokaler Port",
                "Aktion",
            ],
            ["Ja", "Eingehend", "Zulassen"],
        ),
        w32tm: english().w32tm,
    };
    let (_, dv) = facts(&de);
    let sid = Host {
        acl: key_acls(
            "S-1-5-18",
            "S-1-5-32-544",
            "S-1-5-21-1004336348-1177238915-682003330-1001",
        ),
        ..english()
    };
    let (_, sv) = facts(&sid);
    for p in PATHS {
        assert_eq!(value(&dv, p), value(&en, p), "{p} differs in German");
        assert_eq!(value(&sv, p), value(&en, p), "{p} differs with SIDs");
    }
    // NETWORK SERVICE allowed by name in German / by SID: readable.
    let ok = Host {
        acl: key_acls(
            "NT-AUTORITÄT\\SYSTEM",
            r"VORDEFINIERT\Administratoren",
            "NT-AUTORITÄT\\NETZWERKDIENST",
        ),
        ..english()
    };
    assert_eq!(
        value(&facts(&ok).1, "derived.rdp_key_network_service_read"),
        Some(json!(true))
    );
    let ok = Host {
        acl: key_acls("S-1-5-18", "S-1-5-32-544", "S-1-5-20"),
        ..english()
    };
    assert_eq!(
        value(&facts(&ok).1, "derived.cert_key_network_service_read"),
        Some(json!(true))
    );
}

/// A Block rule in German is seen as in English.
#[test]
fn german_block_rule() {
    let mut h = english();
    h.netsh = netsh(
        [
            "Regelname",
            "Aktiviert",
            "Richtung",
            "Protokoll",
            "Lokaler Port",
            "Aktion",
        ],
        ["Ja", "Eingehend", "Blockieren"],
    );
    assert_eq!(
        value(&facts(&h).1, "derived.block_rule_on_rdp_port"),
        Some(json!(true))
    );
}

/// The collector's SID form decides when the translated names cannot: it is preferred, so an
/// unknown language beside it neither hides a "no" nor a "yes".
#[test]
fn sid_form_is_preferred_over_unknown_names() {
    for (reader, want) in [("S-1-5-20", true), ("S-1-5-21-1-2-3-1001", false)] {
        let mut h = unknown_language();
        let mut both = key_acls(
            r"ZARZĄDZANIE NT\SYSTEM",
            r"BUILTIN\Administratorzy",
            r"ZARZĄDZANIE NT\USŁUGA SIECIOWA",
        );
        both.extend(key_acls("S-1-5-18", "S-1-5-32-544", reader));
        h.acl = both;
        let (_, v) = facts(&h);
        assert_eq!(
            value(&v, "derived.rdp_key_network_service_read"),
            Some(json!(want)),
            "SID form with reader {reader}"
        );
    }
}

/// `netstat -ano` with translated headers (the header words do not matter to the parser).
fn netstat_titled(title: &str, header: &str, state: &str) -> Vec<u8> {
    format!(
        "\r\n{title}\r\n\r\n{header}\r\n  TCP    0.0.0.0:3389           0.0.0.0:0              {state}       1044\r\n  TermService\r\n [svchost.exe]\r\n  TCP    0.0.0.0:135            0.0.0.0:0              {state}       900\r\n  RpcSs\r\n [svchost.exe]\r\n"
    )
    .into_bytes()
}

/// The languages whose strings were found in a source (see `text_artifacts/locale.rs`), each
/// written as that Windows prints it. Where a language's strings for one artifact were not
/// found, the artifact is written in that language anyway with the words we believe (marked
/// unverified) or left English when the language keeps English (Chinese netstat states).
fn sourced_languages() -> Vec<(&'static str, Host)> {
    let en = english();
    vec![
        (
            "fr",
            Host {
                acl: key_acls(
                    r"AUTORITE NT\Système",
                    r"BUILTIN\Administrateurs",
                    r"CONTOSO\PSMConnect",
                ),
                // French certutil labels were not found: the thumbprint stays unknown.
                certutil: certutil("Certificat", "Hachage du cert.(sha1) :", "Encryption test passed"),
                netstat: netstat_titled(
                    "Connexions actives",
                    "  Proto  Adresse locale         Adresse distante       État            PID",
                    "À L'ÉCOUTE",
                ),
                netsh: netsh(
                    [
                        "Nom de la règle",
                        "Activée",
                        "Direction",
                        "Protocole",
                        "Port local",
                        "Action",
                    ],
                    ["Oui", "Entrant", "Autoriser"],
                ),
                w32tm: en.w32tm.clone(),
            },
        ),
        (
            "es",
            Host {
                acl: key_acls(
                    r"NT AUTHORITY\SYSTEM",
                    r"BUILTIN\Administradores",
                    r"CONTOSO\PSMConnect",
                ),
                certutil: certutil("Certificado", "Hash cert.(sha1):", "Encryption test passed"),
                netstat: netstat_titled(
                    "Conexiones activas",
                    "  Proto  Dirección local          Dirección remota        Estado           PID",
                    "ESCUCHANDO",
                ),
                netsh: netsh(
                    [
                        "Nombre de regla",
                        "Habilitada",
                        "Dirección",
                        "Protocolo",
                        "LocalPort",
                        "Acción",
                    ],
                    ["Sí", "Dentro", "Permitir"],
                ),
                w32tm: en.w32tm.clone(),
            },
        ),
        (
            "pt-BR",
            Host {
                acl: key_acls(
                    r"AUTORIDADE NT\SISTEMA",
                    r"BUILTIN\Administradores",
                    r"CONTOSO\PSMConnect",
                ),
                certutil: certutil("Certificado", "Hash do Cert(sha1):", "Encryption test passed"),
                // pt-BR states and netsh labels: not found; unknown words must stay unknown.
                netstat: netstat_titled(
                    "Conexões ativas",
                    "  Proto  Endereço local         Endereço externo       Estado          PID",
                    "OUVINDO",
                ),
                netsh: netsh(
                    [
                        "Nome da regra",
                        "Habilitado",
                        "Direção",
                        "Protocolo",
                        "Porta local",
                        "Ação",
                    ],
                    ["Sim", "Entrada", "Permitir"],
                ),
                w32tm: en.w32tm.clone(),
            },
        ),
        (
            "it",
            Host {
                // [SQL]: Italian keeps `NT AUTHORITY\SYSTEM` and `BUILTIN\Administrators`.
                acl: key_acls(
                    r"NT AUTHORITY\SYSTEM",
                    r"BUILTIN\Administrators",
                    r"CONTOSO\PSMConnect",
                ),
                certutil: certutil("Certificato", "Hash certificato(sha1):", "Encryption test passed"),
                netstat: netstat_titled(
                    "Connessioni attive",
                    "  Proto  Indirizzo locale       Indirizzo esterno      Stato           PID",
                    "IN_ASCOLTO",
                ),
                netsh: netsh(
                    [
                        "Nome regola",
                        "Abilitata",
                        "Direzione",
                        "Protocollo",
                        "Porta locale",
                        "Azione",
                    ],
                    ["Sì", "In ingresso", "Consenti"],
                ),
                w32tm: en.w32tm.clone(),
            },
        ),
        (
            "ja",
            Host {
                acl: en.acl.clone(),
                certutil: certutil("証明書", "証明書ハッシュ(sha1):", "Encryption test passed"),
                netstat: netstat_titled(
                    "アクティブな接続",
                    "  プロトコル  ローカル アドレス      外部アドレス           状態            PID",
                    "LISTENING",
                ),
                netsh: netsh(
                    ["規則名", "有効", "方向", "プロトコル", "ローカル ポート", "操作"],
                    ["はい", "入力", "許可"],
                ),
                w32tm: en.w32tm.clone(),
            },
        ),
        (
            "zh-CN",
            Host {
                acl: en.acl.clone(),
                certutil: certutil("证书", "证书哈希(sha1):", "Encryption test passed"),
                netstat: netstat_titled(
                    "活动连接",
                    "  协议  本地地址          外部地址        状态           PID",
                    "LISTENING",
                ),
                netsh: netsh(
                    ["规则名称", "已启用", "方向", "协议", "本地端口", "操作"],
                    ["是", "入", "允许"],
                ),
                w32tm: en.w32tm.clone(),
            },
        ),
    ]
}

/// Which facts each language must derive exactly as English (its strings for the artifacts
/// behind them are sourced); every other fact may only be unknown or the English value.
fn sourced_paths(lang: &str) -> &'static [&'static str] {
    // The certificate's own key file is found through certutil's thumbprint: without a
    // sourced certutil label only the self-signed key's ACL is read.
    const ACL: &[&str] = &["derived.rdp_key_network_service_read"];
    match lang {
        "fr" => &[
            "derived.rdp_key_network_service_read",
            "derived.rdp_port_owned_by_other_process",
            "derived.block_rule_on_rdp_port",
        ],
        "es" | "ja" | "zh-CN" => &[
            "derived.rdp_key_network_service_read",
            "derived.cert_key_network_service_read",
            "derived.key_in_use_network_service_read",
            "derived.listener_cert_in_store",
            "derived.rdp_cert_key_unreadable",
            "derived.rdp_port_owned_by_other_process",
            "derived.block_rule_on_rdp_port",
        ],
        _ => ACL,
    }
}

/// French, Spanish, Portuguese (Brazil), Italian, Japanese and Simplified Chinese: what their
/// sourced strings feed comes out as in English; what they do not is unknown, never the
/// opposite of English.
#[test]
fn sourced_languages_read_like_english() {
    let en = facts(&english()).1;
    for (lang, host) in sourced_languages() {
        let (f, v) = facts(&host);
        for p in sourced_paths(lang) {
            assert_eq!(
                value(&v, p),
                value(&en, p),
                "{lang}: {p} differs from English: {:#?}",
                f.problems
            );
        }
        for p in PATHS {
            let got = value(&v, p);
            assert!(
                got.is_none() || got == value(&en, p),
                "{lang}: {p} is {got:?}, English {:?}",
                value(&en, p)
            );
        }
    }
    // Words not in a source stay unknown: Portuguese and Italian netstat/netsh, French,
    // Portuguese and Italian certutil.
    let langs = sourced_languages();
    let get = |l: &str| &langs.iter().find(|(n, _)| *n == l).unwrap().1;
    for l in ["pt-BR", "it"] {
        let v = facts(get(l)).1;
        assert_eq!(value(&v, "derived.block_rule_on_rdp_port"), None, "{l} netsh");
        assert_eq!(
            value(&v, "derived.rdp_port_owned_by_other_process"),
            None,
            "{l} netstat"
        );
    }
    for l in ["fr", "pt-BR", "it"] {
        let v = facts(get(l)).1;
        assert_eq!(value(&v, "derived.listener_cert_in_store"), None, "{l} certutil");
    }
}

/// A Block rule in each language whose netsh strings are sourced is seen as in English, and so
/// is a disabled one (`No` in the language) not counted.
#[test]
fn sourced_block_rules() {
    let cases: &[([&str; 6], [&str; 3], [&str; 3])] = &[
        (
            [
                "Nom de la règle",
                "Activée",
                "Direction",
                "Protocole",
                "Port local",
                "Action",
            ],
            ["Oui", "Entrant", "Bloquer"],
            ["Non", "Entrant", "Bloquer"],
        ),
        (
            [
                "Nombre de regla",
                "Habilitada",
                "Dirección",
                "Protocolo",
                "LocalPort",
                "Acción",
            ],
            ["Sí", "Dentro", "Bloquear"],
            ["No", "Dentro", "Bloquear"],
        ),
        (
            ["規則名", "有効", "方向", "プロトコル", "ローカル ポート", "操作"],
            ["はい", "入力", "ブロック"],
            ["いいえ", "入力", "ブロック"],
        ),
        (
            ["规则名称", "已启用", "方向", "协议", "本地端口", "操作"],
            ["是", "入", "阻止"],
            ["否", "入", "阻止"],
        ),
    ];
    for (labels, block, disabled) in cases {
        let mut h = english();
        h.netsh = netsh(*labels, *block);
        assert_eq!(
            value(&facts(&h).1, "derived.block_rule_on_rdp_port"),
            Some(json!(true)),
            "{labels:?} {block:?}"
        );
        h.netsh = netsh(*labels, *disabled);
        assert_eq!(
            value(&facts(&h).1, "derived.block_rule_on_rdp_port"),
            Some(json!(false)),
            "{labels:?} {disabled:?}"
        );
    }
}

/// French, Portuguese (Brazil) and Spanish account names of the sourced tables, NETWORK
/// SERVICE's groups included: a group that holds NETWORK SERVICE allowed to read makes the key
/// readable, as in English.
#[test]
fn sourced_group_names_grant_read() {
    for reader in [
        r"AUTORITE NT\Utilisateurs authentifiés",
        r"BUILTIN\Utilisateurs",
        "Tout le monde",
        r"BUILTIN\Usuários",
        r"NT AUTHORITY\Usuarios autentificados",
        "Todos",
        r"AUTORITE NT\SERVICE RÉSEAU",
        r"NT AUTHORITY\SERVICIO DE RED",
        r"AUTORIDADE NT\SERVIÇO DE REDE",
    ] {
        let h = Host {
            acl: key_acls(r"AUTORITE NT\Système", r"BUILTIN\Administradores", reader),
            ..english()
        };
        assert_eq!(
            value(&facts(&h).1, "derived.rdp_key_network_service_read"),
            Some(json!(true)),
            "{reader}"
        );
    }
}

/// ipconfig in Japanese and Simplified Chinese (labels keep the `IPv4`/`IPv6` token): the
/// host's own addresses, without the gateway, DNS server or link-local address.
#[test]
fn ipconfig_japanese_and_chinese() {
    let ja = "\r\nWindows IP 構成\r\n\r\nイーサネット アダプター イーサネット:\r\n\r\n   接続固有の DNS サフィックス . . . . .:\r\n   リンクローカル IPv6 アドレス. . . . .: fe80::c1d1:7cf9:df61:89d1%7\r\n   IPv4 アドレス . . . . . . . . . . . .: 10.30.21.100(優先)\r\n   サブネット マスク . . . . . . . . . .: 255.255.255.0\r\n   デフォルト ゲートウェイ . . . . . . .: 10.30.21.1\r\n   DNS サーバー. . . . . . . . . . . . .: 10.30.0.10\r\n";
    let zh = "\r\nWindows IP 配置\r\n\r\n以太网适配器 以太网:\r\n\r\n   连接特定的 DNS 后缀 . . . . . . . :\r\n   本地链接 IPv6 地址. . . . . . . . : fe80::41f:b65d:3b35:8f67%9\r\n   IPv4 地址 . . . . . . . . . . . . : 10.30.21.100(首选)\r\n   子网掩码  . . . . . . . . . . . . : 255.255.255.0\r\n   默认网关. . . . . . . . . . . . . : 10.30.21.1\r\n   DNS 服务器  . . . . . . . . . . . : 10.30.0.10\r\n";
    for text in [ja, zh] {
        assert_eq!(
            rdpdiag::host_addresses::ipconfig_addresses(text.as_bytes()),
            vec!["10.30.21.100".to_string()]
        );
    }
}

/// Simplified Chinese `certutil -store` (no `-v`) as quoted from a Chinese Windows Server:
/// inline issuer/subject, ISO dates, the `CertUtil:` success line.
#[test]
fn chinese_certutil_store_lines() {
    use rdpdiag::text_artifacts::certutil;
    let text = "Root\r\n================ 证书 2 ================\r\n序列号: 0100000000000000000000000000000000\r\n颁发者: CN=SunnyNet, O=SunnyNet, C=CN\r\n NotBefore: 2022-11-04 15:05\r\n NotAfter: 2122-10-11 15:05\r\n使用者: CN=SunnyNet, O=SunnyNet, C=CN\r\n证书哈希(sha1): d70cd039051f77c30673b8209fc15efa650ed52c\r\n提供程序 = Microsoft Software Key Storage Provider\r\n\r\nCertUtil: -store 命令成功完成。\r\n";
    let d = certutil::parse(text.as_bytes()).unwrap();
    assert!(d.completed);
    let c = &d.certificates[0];
    assert_eq!(c.index, Some(2));
    assert_eq!(
        c.thumbprint.as_deref(),
        Some("D70CD039051F77C30673B8209FC15EFA650ED52C")
    );
    assert_eq!(c.serial.as_deref(), Some("0100000000000000000000000000000000"));
    assert_eq!(c.issuer.as_deref(), Some("CN=SunnyNet, O=SunnyNet, C=CN"));
    assert_eq!(c.subject.as_deref(), Some("CN=SunnyNet, O=SunnyNet, C=CN"));
    assert_eq!(
        c.provider.as_deref(),
        Some("Microsoft Software Key Storage Provider")
    );
    assert_eq!(
        c.not_after_local.map(|t| t.to_string()).as_deref(),
        Some("2122-10-11 15:05:00")
    );
    // A key line we do not know leaves the key state unknown, not "no key".
    assert_eq!(c.key, certutil::KeyState::Unknown);
}
