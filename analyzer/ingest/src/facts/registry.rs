//! The registry side of the facts: the keys read (each `*_KEY` below), the hive subtrees kept
//! when reading hives (the shared list `rdpdiag_schemas::registry_interest`, which `--redact`
//! keeps too; `analyzer/tests/it/redacted_events.rs` checks every read against it) and the
//! `derive_*` methods that read the facts from the merged registry.

use std::sync::Arc;

use super::{
    ClientSettings, Fact, FirewallRuleFact, FirewallRuleOrigin, HostFacts, ListenerConfig, OsVersionFacts,
    ProfileEntry, Provenance, RegistryCertificate, SchannelSwitch, ServerEntry, ServerPolicyFacts, Setting,
    TerminalServerFacts,
};
use rdpdiag_artifacts::registry::hive::HiveKind;
use rdpdiag_artifacts::registry::{RegData, Registry, fw_rule_string, hex_upper};
use rdpdiag_artifacts::text_artifacts::certutil::normalise_thumbprint;
use rdpdiag_evtx::model::{ArtifactProblem, Location, Problem, Severity};
use rdpdiag_schemas::registry_interest::{REGISTRY_INTEREST, Reach, RegistryHive};

/// `HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server`.
pub const TS_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server";
/// Group Policy for Remote Desktop Services (overrides the listener's values).
pub const TS_POLICY_KEY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
/// SCHANNEL protocol switches.
pub const SCHANNEL_PROTOCOLS_KEY: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols";
/// LSA (FIPS).
pub const LSA_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa";
/// CredSSP encryption-oracle remediation policy.
pub const CREDSSP_KEY: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters";
/// Local firewall rules.
pub const FIREWALL_RULES_KEY: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules";
/// Group Policy firewall rules.
pub const FIREWALL_POLICY_RULES_KEY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall\FirewallRules";
/// OS version.
pub const CURRENT_VERSION_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
/// Profiles.
pub const PROFILE_LIST_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList";
/// Machine-wide client settings.
pub const TS_CLIENT_HKLM_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Terminal Server Client";
/// Per-user client settings (MRU, accepted server certificates).
pub const TS_CLIENT_HKCU_KEY: &str = r"HKCU\Software\Microsoft\Terminal Server Client";
/// MachineGuid.
pub const CRYPTOGRAPHY_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Cryptography";
/// Machine certificate stores in the registry.
pub const SYSTEM_CERTIFICATES_KEY: &str = r"HKLM\SOFTWARE\Microsoft\SystemCertificates";
/// Group Policy "SSL Cipher Suite Order" (`Functions`, comma-separated), the first place
/// Microsoft checks when the TLS handshake of RDP fails (internal-error troubleshooting doc).
pub const CIPHER_POLICY_KEY: &str =
    r"HKLM\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002";
/// The local cipher-suite list (`Functions`, multi-string), same doc.
pub const CIPHER_LOCAL_KEY: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Control\Cryptography\Configuration\Local\SSL\00010002";
/// TermService's registration (`Parameters\ServiceDll`: termsrv.dll unless something hooks it).
pub const TERMSERVICE_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\TermService";
/// Winlogon (`WinStationsDisabled`: 1 = "change logon /disable").
pub const WINLOGON_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon";

/// The shared list's hive for a hive kind (`None`: the facts read nothing from it).
fn interest_hive(kind: HiveKind) -> Option<RegistryHive> {
    match kind {
        HiveKind::System => Some(RegistryHive::System),
        HiveKind::Software => Some(RegistryHive::Software),
        HiveKind::NtUser => Some(RegistryHive::NtUser),
        _ => None,
    }
}

/// Hive subtrees the facts need, relative to the hive root (see [`HiveOptions::include`]):
/// the subtree entries of the shared list `rdpdiag_schemas::registry_interest`, which is also
/// what `--redact` keeps of hives.
pub fn hive_include(kind: HiveKind) -> Option<Vec<String>> {
    let Some(hive) = interest_hive(kind) else {
        return Some(Vec::new());
    };
    Some(
        REGISTRY_INTEREST
            .iter()
            .filter(|e| e.hive == hive && e.reach == Reach::Subtree)
            .map(|e| e.path.to_string())
            .collect(),
    )
}

/// Keys whose own values are needed but whose (large) subtrees are not (the shared list's
/// single-key entries).
pub(super) fn hive_single_keys(kind: HiveKind) -> Vec<String> {
    let Some(hive) = interest_hive(kind) else {
        return Vec::new();
    };
    REGISTRY_INTEREST
        .iter()
        .filter(|e| e.hive == hive && e.reach == Reach::Key)
        .map(|e| e.path.to_string())
        .collect()
}

fn fact_u32(reg: &Registry, key: &str, name: &str) -> Option<Fact<u32>> {
    let k = reg.key(key)?;
    let v = k.value(name)?;
    Some(Fact {
        value: v.data.as_u32()?,
        source: Provenance::of_value(&k.path, v),
    })
}

fn fact_text(reg: &Registry, key: &str, name: &str) -> Option<Fact<String>> {
    let k = reg.key(key)?;
    let v = k.value(name)?;
    Some(Fact {
        value: v.data.as_text()?,
        source: Provenance::of_value(&k.path, v),
    })
}

fn fact_hex(reg: &Registry, key: &str, name: &str) -> Option<Fact<String>> {
    let k = reg.key(key)?;
    let v = k.value(name)?;
    let value = match &v.data {
        RegData::Sz(s) => normalise_thumbprint(s).unwrap_or_else(|| s.trim().to_ascii_uppercase()),
        other => hex_upper(other.as_bytes()?),
    };
    Some(Fact {
        value,
        source: Provenance::of_value(&k.path, v),
    })
}

impl HostFacts {
    pub(super) fn derive_registry_facts(&mut self) {
        let reg = std::mem::take(&mut self.registry);
        self.derive_listeners(&reg);
        self.derive_schannel(&reg);
        self.derive_security(&reg);
        self.derive_firewall(&reg);
        self.derive_profiles(&reg);
        self.derive_client(&reg);
        self.derive_os(&reg);
        self.derive_certificates(&reg);
        self.derive_server_policy(&reg);
        if reg.keys_dropped > 0 {
            self.problems.push(ArtifactProblem {
                artifact: Arc::from("registry"),
                problem: Problem::whole(
                    Severity::Warning,
                    format!("{} registry keys beyond the cap were not kept", reg.keys_dropped),
                ),
            });
        }
        self.registry = reg;
    }

    fn derive_listeners(&mut self, reg: &Registry) {
        let winstations = format!(r"{TS_KEY}\WinStations");
        let deny = Setting::new(
            fact_u32(reg, TS_KEY, "fDenyTSConnections"),
            fact_u32(reg, TS_POLICY_KEY, "fDenyTSConnections"),
        );
        for k in reg.subkeys(&winstations) {
            if k.value("PortNumber").is_none() && !k.name().eq_ignore_ascii_case("RDP-Tcp") {
                continue;
            }
            let path = k.path.clone();
            let policy = |n: &str| fact_u32(reg, TS_POLICY_KEY, n);
            let local = |n: &str| fact_u32(reg, &path, n);
            self.listeners.push(ListenerConfig {
                name: k.name().to_string(),
                key: path.clone(),
                port_number: local("PortNumber"),
                security_layer: Setting::new(local("SecurityLayer"), policy("SecurityLayer")),
                user_authentication: Setting::new(local("UserAuthentication"), policy("UserAuthentication")),
                min_encryption_level: Setting::new(local("MinEncryptionLevel"), policy("MinEncryptionLevel")),
                ssl_certificate_sha1_hash: fact_hex(reg, &path, "SSLCertificateSHA1Hash"),
                ssl_certificate_sha1_hash_type: local("SSLCertificateSHA1HashType"),
                enable_winstation: local("fEnableWinStation"),
                deny_ts_connections: deny.clone(),
                loadable_protocol_object: fact_text(reg, &path, "LoadableProtocol_Object"),
            });
        }
        self.listeners
            .sort_by_key(|l| !l.name.eq_ignore_ascii_case("RDP-Tcp"));
        self.terminal_server = TerminalServerFacts {
            max_outstanding_connections: fact_u32(reg, TS_KEY, "MaxOutstandingConnections"),
            self_signed_certificate: fact_hex(reg, &winstations, "SelfSignedCertificate"),
            self_signed_cert_store: fact_text(reg, &winstations, "SelfSignedCertStore"),
            policy_select_transport: fact_u32(reg, TS_POLICY_KEY, "SelectTransport"),
            single_session_per_user: Setting::new(
                fact_u32(reg, TS_KEY, "fSingleSessionPerUser"),
                fact_u32(reg, TS_POLICY_KEY, "fSingleSessionPerUser"),
            ),
            policy_client_disable_udp: fact_u32(
                reg,
                &format!(r"{TS_POLICY_KEY}\Client"),
                "fClientDisableUDP",
            ),
        };
    }

    fn derive_schannel(&mut self, reg: &Registry) {
        for p in reg.subkeys(SCHANNEL_PROTOCOLS_KEY) {
            for side in reg.subkeys(&p.path) {
                let enabled = fact_u32(reg, &side.path, "Enabled");
                let disabled_by_default = fact_u32(reg, &side.path, "DisabledByDefault");
                if enabled.is_none() && disabled_by_default.is_none() {
                    continue;
                }
                self.schannel.push(SchannelSwitch {
                    protocol: p.name().to_string(),
                    side: side.name().to_string(),
                    enabled,
                    disabled_by_default,
                });
            }
        }
    }

    fn derive_security(&mut self, reg: &Registry) {
        let fips = fact_u32(reg, &format!(r"{LSA_KEY}\FIPSAlgorithmPolicy"), "Enabled")
            .or_else(|| fact_u32(reg, LSA_KEY, "FIPSAlgorithmPolicy"));
        self.fips_enabled = fips.map(|f| Fact {
            value: f.value != 0,
            source: f.source,
        });
        self.credssp_allow_encryption_oracle = fact_u32(reg, CREDSSP_KEY, "AllowEncryptionOracle");
        self.machine_guid = fact_text(reg, CRYPTOGRAPHY_KEY, "MachineGuid");
    }

    fn derive_firewall(&mut self, reg: &Registry) {
        for (key, origin) in [
            (FIREWALL_RULES_KEY, FirewallRuleOrigin::Registry),
            (FIREWALL_POLICY_RULES_KEY, FirewallRuleOrigin::GroupPolicy),
        ] {
            let Some(k) = reg.key(key) else { continue };
            let path = k.path.clone();
            for v in &k.values {
                let source = Provenance::of_value(&path, v);
                let Some(text) = v.data.as_text() else {
                    continue;
                };
                match fw_rule_string::parse(&text) {
                    Ok(r) => self.firewall_rules.push(FirewallRuleFact {
                        read_fully: r.action.is_some(),
                        origin,
                        id: Some(v.name.clone()),
                        name: r.name,
                        enabled: r.active,
                        action: r.action.map(|a| {
                            if a.eq_ignore_ascii_case("bypass") {
                                "Bypass".into()
                            } else {
                                a
                            }
                        }),
                        direction: r.dir,
                        protocol: r.protocol.map(|p| match p {
                            6 => "TCP".to_string(),
                            17 => "UDP".to_string(),
                            n => n.to_string(),
                        }),
                        local_ports: r.lports,
                        remote_ports: r.rports,
                        local_addresses: r.local_addresses,
                        remote_addresses: r.remote_addresses,
                        profiles: r.profiles,
                        app: r.app,
                        service: r.svc,
                        group: r.embed_ctxt,
                        version: Some(r.version),
                        source,
                    }),
                    Err(e) => self.problems.push(ArtifactProblem {
                        artifact: v.origin.artifact.clone(),
                        problem: Problem::at(
                            Severity::Warning,
                            Location::line_or_whole(v.origin.line),
                            format!("firewall rule {:?}: {e}", v.name),
                        ),
                    }),
                }
            }
        }
    }

    fn derive_profiles(&mut self, reg: &Registry) {
        for k in reg.subkeys(PROFILE_LIST_KEY) {
            let key_name = k.name().to_string();
            let (sid, backup) = match key_name.to_ascii_lowercase().strip_suffix(".bak") {
                Some(_) => (key_name[..key_name.len() - 4].to_string(), true),
                None => (key_name.clone(), false),
            };
            let num = |n: &str| k.value(n).and_then(|v| v.data.as_u32());
            self.profiles.push(ProfileEntry {
                sid,
                key_name,
                backup,
                image_path: k.value("ProfileImagePath").and_then(|v| v.data.as_text()),
                state: num("State"),
                ref_count: num("RefCount"),
                flags: num("Flags"),
                source: Provenance::of_key(k),
            });
        }
    }

    fn derive_client(&mut self, reg: &Registry) {
        let mut c = ClientSettings {
            disable_udp_transport: fact_u32(reg, TS_CLIENT_HKLM_KEY, "DisableUDPTransport"),
            enable_credssp_support: fact_u32(reg, TS_CLIENT_HKLM_KEY, "EnableCredSSPSupport"),
            rdg_client_transport: fact_u32(reg, TS_CLIENT_HKLM_KEY, "RDGClientTransport"),
            authentication_level_override: fact_u32(reg, TS_CLIENT_HKLM_KEY, "AuthenticationLevelOverride"),
            mru: Vec::new(),
            servers: Vec::new(),
        };
        let default = format!(r"{TS_CLIENT_HKCU_KEY}\Default");
        for i in 0..10 {
            if let Some(f) = fact_text(reg, &default, &format!("MRU{i}")) {
                c.mru.push(f);
            }
        }
        for k in reg.subkeys(&format!(r"{TS_CLIENT_HKCU_KEY}\Servers")) {
            c.servers.push(ServerEntry {
                host: k.name().to_string(),
                username_hint: k.value("UsernameHint").and_then(|v| v.data.as_text()),
                cert_hash: k.value("CertHash").and_then(|v| v.data.as_bytes()).map(hex_upper),
                source: Provenance::of_key(k),
            });
        }
        self.client = c;
    }

    fn derive_os(&mut self, reg: &Registry) {
        let Some(k) = reg.key(CURRENT_VERSION_KEY) else {
            return;
        };
        let text = |n: &str| {
            k.value(n)
                .and_then(|v| v.data.as_text())
                .filter(|s| !s.is_empty())
        };
        let build = text("CurrentBuild")
            .or_else(|| text("CurrentBuildNumber"))
            .and_then(|b| b.trim().parse::<u32>().ok());
        let product_raw = text("ProductName");
        let installation_type = text("InstallationType");
        if product_raw.is_none() && build.is_none() {
            return;
        }
        let product_name = product_raw.as_ref().map(|p| match build {
            Some(b) if b >= 22000 && p.contains("Windows 10") => p.replacen("Windows 10", "Windows 11", 1),
            _ => p.clone(),
        });
        self.os = Some(OsVersionFacts {
            product_name_raw: product_raw,
            product_name,
            edition_id: text("EditionID"),
            installation_type,
            display_version: text("DisplayVersion").or_else(|| text("ReleaseId")),
            build,
            ubr: k.value("UBR").and_then(|v| v.data.as_u32()),
            source: Provenance::of_key(k),
        });
    }

    fn derive_server_policy(&mut self, reg: &Registry) {
        // `Functions` is REG_SZ comma-separated under the policy key, REG_MULTI_SZ locally.
        let suites = |key: &str| -> Option<Fact<Vec<String>>> {
            let k = reg.key(key)?;
            let v = k.value("Functions")?;
            let list: Vec<String> = match &v.data {
                RegData::MultiSz(items) => items.clone(),
                other => other.as_text()?.split(',').map(str::to_string).collect(),
            };
            let list = list
                .into_iter()
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect();
            Some(Fact {
                value: list,
                source: Provenance::of_value(&k.path, v),
            })
        };
        let rdp_tcp = format!(r"{TS_KEY}\WinStations\RDP-Tcp");
        self.server_policy = ServerPolicyFacts {
            cipher_policy: suites(CIPHER_POLICY_KEY),
            cipher_local: suites(CIPHER_LOCAL_KEY),
            service_dll: fact_text(reg, &format!(r"{TERMSERVICE_KEY}\Parameters"), "ServiceDll"),
            winstations_disabled: fact_u32(reg, WINLOGON_KEY, "WinStationsDisabled"),
            // Absent from a Terminal Server key that was read: not draining (the default).
            drain_mode: fact_u32(reg, TS_KEY, "TSServerDrainMode").or_else(|| {
                reg.key(TS_KEY).map(|k| Fact {
                    value: 0,
                    source: Provenance::of_key(k),
                })
            }),
            max_instance_count: Setting::new(
                fact_u32(reg, &rdp_tcp, "MaxInstanceCount"),
                fact_u32(reg, TS_POLICY_KEY, "MaxInstanceCount"),
            ),
        };
    }

    fn derive_certificates(&mut self, reg: &Registry) {
        for store in ["MY", "Remote Desktop"] {
            for k in reg.subkeys(&format!(r"{SYSTEM_CERTIFICATES_KEY}\{store}\Certificates")) {
                if let Some(t) = normalise_thumbprint(k.name()) {
                    self.registry_certificates.push(RegistryCertificate {
                        store: store.to_string(),
                        thumbprint: t,
                        source: Provenance::of_key(k),
                    });
                }
            }
        }
    }
}
