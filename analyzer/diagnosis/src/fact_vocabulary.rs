//! The fact vocabulary: every fact path a rule may name (`listener.port`,
//! `derived.listener_cert_in_store`, ...), each defined once in [`FACTS`] with its meaning and
//! the function that derives it from a host's typed facts, with the provenance of what it was
//! derived from. Rules name *these* paths, so the facts model can evolve without rewriting rule
//! files; the rule loader rejects any other path. Derivations that compare facts with each
//! other or with the attempts (is the listener's certificate in a store? does the listener port
//! match the client's target?) are made here, once.
//!
//! A path is absent when the facts cannot tell: unknown is never "no".

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::correlate::{Correlation, ip_only};
use rdpdiag_artifacts::text_artifacts::certutil::KeyState;
use rdpdiag_ingest::facts::{Fact, HostFacts, Provenance, Setting};
use rdpdiag_schemas::probe::{ProbeOutcome, ProbePhase, client_view};

/// A derived fact: its value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    /// The value (number, boolean or text).
    pub value: Value,
    /// The artifacts (with key/value or line) it was read from.
    pub sources: Vec<Provenance>,
}

impl Derived {
    fn new(value: Value, sources: Vec<Provenance>) -> Derived {
        Derived { value, sources }
    }

    /// `registry/System.reg line 12 (HKLM\...\PortNumber)`; several sources joined by `; `.
    pub fn source_text(&self) -> String {
        let mut parts: Vec<String> = self.sources.iter().map(describe).collect();
        parts.dedup();
        if parts.len() > 3 {
            let more = parts.len() - 3;
            parts.truncate(3);
            parts.push(format!("and {more} more"));
        }
        parts.join("; ")
    }
}

/// One provenance as a line of text.
pub fn describe(p: &Provenance) -> String {
    let mut s = p.artifact.to_string();
    if let Some(l) = p.line {
        s.push_str(&format!(" line {l}"));
    }
    match (&p.key, &p.value) {
        (Some(k), Some(v)) => s.push_str(&format!(" ({k}\\{v})")),
        (Some(k), None) => s.push_str(&format!(" ({k})")),
        _ => {}
    }
    s
}

type Derive = fn(&HostFacts, &DeriveContext) -> Option<Derived>;

/// What a derivation may compare a host's facts with: the ticket's correlation and the port the
/// attempt being judged connected to (facts are derived per target port, so two attempts to
/// different ports are each judged against their own).
pub struct DeriveContext<'a> {
    /// The ticket's correlation.
    pub corr: &'a Correlation,
    /// The port the attempt connected to: from its `host:port` target, 3389 (the client's
    /// default) for a target without one, `None` when no client attempt tells (server-only).
    pub target_port: Option<u16>,
}

/// One fact path of the vocabulary.
pub struct FactDef {
    /// The path rules name.
    pub path: &'static str,
    /// What it means, for `rules list` and rule authors.
    pub meaning: &'static str,
    /// How it is derived.
    pub derive: Derive,
}

impl std::fmt::Debug for FactDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FactDef").field("path", &self.path).finish()
    }
}

/// Every fact path a rule may name.
pub const FACTS: &[FactDef] = &[
    FactDef {
        path: "os.build",
        meaning: "Windows build number (CurrentBuildNumber)",
        derive: os_build,
    },
    FactDef {
        path: "os.ubr",
        meaning: "Windows update build revision (UBR)",
        derive: os_ubr,
    },
    FactDef {
        path: "listener.port",
        meaning: "RDP-Tcp PortNumber",
        derive: listener_port,
    },
    FactDef {
        path: "listener.security_layer",
        meaning: "RDP-Tcp SecurityLayer in force (policy over local): 0 RDP, 1 negotiate, 2 TLS",
        derive: listener_security_layer,
    },
    FactDef {
        path: "listener.user_authentication",
        meaning: "RDP-Tcp UserAuthentication in force (1: NLA required)",
        derive: listener_user_authentication,
    },
    FactDef {
        path: "listener.min_encryption_level",
        meaning: "RDP-Tcp MinEncryptionLevel in force (4: FIPS)",
        derive: listener_min_encryption_level,
    },
    FactDef {
        path: "listener.max_outstanding_connections",
        meaning: "Terminal Server MaxOutstandingConnections",
        derive: max_outstanding_connections,
    },
    FactDef {
        path: "credssp.allow_encryption_oracle",
        meaning: "CredSSP AllowEncryptionOracle policy (0 force updated, 1 mitigated, 2 vulnerable)",
        derive: allow_encryption_oracle,
    },
    FactDef {
        path: "fips_enabled",
        meaning: "Lsa FIPSAlgorithmPolicy enabled",
        derive: fips_enabled,
    },
    FactDef {
        path: "derived.key_in_use_network_service_read",
        meaning: "NETWORK SERVICE can read the private key file of the certificate the listener uses: that file's ACL when the certificate listing names it (custom and CNG keys too), else the self-signed key f686aace... unless a custom certificate is configured (false only when an ACL read says so)",
        derive: key_in_use_network_service_read,
    },
    FactDef {
        path: "derived.rdp_key_network_service_read",
        meaning: "NETWORK SERVICE can read the RDP key file f686aace... (false only when an ACL read says so)",
        derive: rdp_key_network_service_read,
    },
    FactDef {
        path: "derived.cert_key_network_service_read",
        meaning: "NETWORK SERVICE can read the private-key file of the certificate the listener uses (configured SSLCertificateSHA1Hash, else the self-signed one; MachineKeys, Crypto\\Keys or another key file, by certutil's `Unique container name`; false only when an ACL read says so)",
        derive: cert_key_network_service_read,
    },
    FactDef {
        path: "derived.listener_cert_in_store",
        meaning: "the certificate the listener is configured with (SSLCertificateSHA1Hash) is in a listed store",
        derive: listener_cert_in_store,
    },
    FactDef {
        path: "derived.listener_cert_expired",
        meaning: "the certificate in use had expired by the last attempt",
        derive: listener_cert_expired,
    },
    FactDef {
        path: "derived.rdp_cert_key_unreadable",
        meaning: "certutil reports the RDP certificate's private key missing or unreadable",
        derive: rdp_cert_key_unreadable,
    },
    FactDef {
        path: "derived.listener_port_mismatch",
        meaning: "the listener's port differs from the port the client connected to",
        derive: listener_port_mismatch,
    },
    FactDef {
        path: "derived.listener_disabled",
        meaning: "fEnableWinStation=0 or fDenyTSConnections=1 in force",
        derive: listener_disabled,
    },
    FactDef {
        path: "derived.rdp_port_owned_by_other_process",
        meaning: "a process other than TermService listens on the RDP port",
        derive: rdp_port_owned_by_other_process,
    },
    FactDef {
        path: "derived.block_rule_on_rdp_port",
        meaning: "an enabled inbound Block firewall rule covers the RDP port",
        derive: block_rule_on_rdp_port,
    },
    FactDef {
        path: "derived.third_party_security_product",
        meaning: "Security Center lists a non-Microsoft antivirus or firewall",
        derive: third_party_security_product,
    },
    FactDef {
        path: "derived.profile_backup_or_temp",
        meaning: "ProfileList has a .bak or TEMP profile",
        derive: profile_backup_or_temp,
    },
    FactDef {
        path: "derived.client_mstsc_major",
        meaning: "major version of mstsc.exe",
        derive: client_mstsc_major,
    },
    FactDef {
        path: "derived.client_credssp_disabled",
        meaning: "the client's EnableCredSSPSupport is 0: it cannot do NLA",
        derive: client_credssp_disabled,
    },
    FactDef {
        path: "derived.cipher_policy_set",
        meaning: "the Group Policy SSL Cipher Suite Order (Policies\\...\\SSL\\00010002 Functions) is set",
        derive: cipher_policy_set,
    },
    FactDef {
        path: "derived.cipher_suites_without_rsa",
        meaning: "the cipher suites in force (policy, else local list) hold none usable with the RSA certificate RDP uses (no *_RSA_* suite, no TLS 1.3 suite)",
        derive: cipher_suites_without_rsa,
    },
    FactDef {
        path: "derived.termservice_dll_not_termsrv",
        meaning: "TermService\\Parameters\\ServiceDll names a DLL other than termsrv.dll (a wrapper or hook)",
        derive: termservice_dll_not_termsrv,
    },
    FactDef {
        path: "derived.rdp_protocol_object_not_default",
        meaning: "RDP-Tcp LoadableProtocol_Object is neither of Windows' own RDP protocol managers (a third-party stack such as Citrix replaced it)",
        derive: rdp_protocol_object_not_default,
    },
    FactDef {
        path: "derived.new_logons_disabled",
        meaning: "the server refuses new logons: Winlogon WinStationsDisabled = 1 or TSServerDrainMode 1/2 (false only when both were read as off)",
        derive: new_logons_disabled,
    },
    FactDef {
        path: "listener.max_instance_count",
        meaning: "RDP-Tcp MaxInstanceCount in force (policy 'Limit number of connections' over local)",
        derive: max_instance_count,
    },
    FactDef {
        path: "derived.client_uses_store_app",
        meaning: "the client has the Microsoft Store 'Remote Desktop' app (Microsoft.RemoteDesktop), which Microsoft no longer updates",
        derive: client_uses_store_app,
    },
    FactDef {
        path: "derived.vpn_adapter_connected",
        meaning: "a connected IP interface belongs to a VPN adapter (GlobalProtect, AnyConnect, FortiClient, OpenVPN TAP, WireGuard, Windows' own WAN Miniport), from Get-NetIPInterface; true or unknown, never false (the list of VPN products is not complete)",
        derive: vpn_adapter_connected,
    },
    FactDef {
        path: "derived.reduced_mtu_interface",
        meaning: "a connected IPv4 interface other than loopback has an MTU below 1500 bytes (Get-NetIPInterface NlMtu)",
        derive: reduced_mtu_interface,
    },
    FactDef {
        path: "derived.server_tls12_disabled",
        meaning: "SCHANNEL TLS 1.2 Server is disabled",
        derive: server_tls12_disabled,
    },
    FactDef {
        path: "probe.outcome",
        meaning: "the collector's probe of the server from this host (--server), as a Windows client meets it: tls-ok, standard-rdp-security, negotiation-refused, accept-then-close (0x904), tls-alert, tls-failed, not-rdp, refused, dropped, unreachable (0x204), timeout, resolve-failed, error",
        derive: probe_outcome,
    },
    FactDef {
        path: "probe.phase",
        meaning: "the phase the probe ended in: tcp, x224 or tls",
        derive: probe_phase,
    },
    FactDef {
        path: "probe.client_code",
        meaning: "the disconnect code a Windows client reports for the probe's outcome (0x904, 0x204, 0x108, 0x1104, 0x208), none or unknown",
        derive: probe_client_code,
    },
];

/// Whether `path` is a fact path of the vocabulary.
pub fn is_known_path(path: &str) -> bool {
    FACTS.iter().any(|f| f.path == path)
}

/// The rules' view of one host's facts: every path of [`FACTS`] that the facts can tell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactView {
    values: BTreeMap<&'static str, Derived>,
}

impl FactView {
    /// The derived fact at `path`, when known.
    pub fn get(&self, path: &str) -> Option<&Derived> {
        self.values.get(path)
    }

    /// Every known path and its value, as a flat JSON object (for `inspect` and debugging).
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.values
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.value.clone()))
                .collect(),
        )
    }
}

/// Derives every fact of the vocabulary from one host's facts.
pub fn view(f: &HostFacts, corr: &Correlation, target_port: Option<u16>) -> FactView {
    let cx = DeriveContext { corr, target_port };
    let values = FACTS
        .iter()
        .filter_map(|d| (d.derive)(f, &cx).map(|v| (d.path, v)))
        .collect();
    FactView { values }
}

fn of<T: Clone + Into<Value>>(fact: &Fact<T>) -> Derived {
    Derived::new(fact.value.clone().into(), vec![fact.source.clone()])
}

fn setting(s: &Setting<u32>) -> Option<Derived> {
    let v = s.effective?;
    let src = s.policy.as_ref().or(s.local.as_ref()).map(|f| f.source.clone());
    Some(Derived::new(json!(v), src.into_iter().collect()))
}

fn os_build(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let os = f.os.as_ref()?;
    Some(Derived::new(json!(os.build?), vec![os.source.clone()]))
}

fn os_ubr(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let os = f.os.as_ref()?;
    Some(Derived::new(json!(os.ubr?), vec![os.source.clone()]))
}

fn listener_port(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    f.rdp_listener()?.port_number.as_ref().map(of)
}

fn listener_security_layer(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    setting(&f.rdp_listener()?.security_layer)
}

fn listener_user_authentication(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    setting(&f.rdp_listener()?.user_authentication)
}

fn listener_min_encryption_level(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    setting(&f.rdp_listener()?.min_encryption_level)
}

fn max_outstanding_connections(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    f.terminal_server.max_outstanding_connections.as_ref().map(of)
}

fn allow_encryption_oracle(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    f.credssp_allow_encryption_oracle.as_ref().map(of)
}

fn fips_enabled(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    f.fips_enabled.as_ref().map(of)
}

/// The port an attempt connected to: the port of its `host:port` target, 3389 (what every
/// client assumes) for a target without one; `None` without a client-side target.
pub fn attempt_target_port(target: Option<&str>) -> Option<u16> {
    let t = target?.trim();
    let ip = ip_only(t);
    if ip == t {
        // No port: the default, unless a `:` makes it neither a name nor an IPv6 literal.
        let malformed = t.contains(':') && t.parse::<std::net::Ipv6Addr>().is_err();
        return (!malformed).then_some(3389);
    }
    // `host:port` or `[v6]:port`; a port that does not parse leaves the port unknown.
    t.rsplit(':').next().and_then(|p| p.parse().ok())
}

fn norm_thumb(t: &str) -> String {
    t.chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Whether NETWORK SERVICE can read, over every ACL read of one key file: false when some ACL
/// says it cannot, true only when every ACL read says it can, else unknown (an ACL with an
/// account or rights not recognised answers nothing).
fn network_service_read_of<'a>(
    acls: impl Iterator<Item = &'a rdpdiag_ingest::facts::AclFact>,
) -> Option<Derived> {
    let acls: Vec<&rdpdiag_ingest::facts::AclFact> = acls.collect();
    // The collector's SID form (locale-independent) is preferred over the translated names.
    let by_sid: Vec<&rdpdiag_ingest::facts::AclFact> =
        acls.iter().copied().filter(|a| a.object.by_sid()).collect();
    let acls = if by_sid.is_empty() { acls } else { by_sid };
    let key_acls: Vec<(Option<bool>, &Provenance)> = acls
        .iter()
        .map(|a| (a.object.network_service_can_read(), &a.source))
        .collect();
    let denied: Vec<Provenance> = key_acls
        .iter()
        .filter(|(r, _)| *r == Some(false))
        .map(|(_, p)| (*p).clone())
        .collect();
    if !denied.is_empty() {
        return Some(Derived::new(json!(false), denied));
    }
    if !key_acls.is_empty() && key_acls.iter().all(|(r, _)| *r == Some(true)) {
        return Some(Derived::new(
            json!(true),
            key_acls.iter().map(|(_, p)| (*p).clone()).collect(),
        ));
    }
    None
}

fn rdp_key_network_service_read(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    network_service_read_of(f.acls.iter().filter(|a| a.object.is_rdp_key_file()))
}

/// The key of the certificate in use, one fact for the rules (issue 15: custom and CNG keys are
/// checked, not only f686aace...; the f686 file counts only when the self-signed certificate is
/// the one in use, so the same evidence is never counted twice).
fn key_in_use_network_service_read(f: &HostFacts, cx: &DeriveContext) -> Option<Derived> {
    if let Some(d) = cert_key_network_service_read(f, cx) {
        return Some(d);
    }
    if listener_hash(f).is_some() {
        // A custom certificate whose key file is not known: the f686 file says nothing of it.
        return None;
    }
    rdp_key_network_service_read(f, cx)
}

fn cert_key_network_service_read(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let (h, _) = cert_in_use(f)?;
    let file = f
        .certificates
        .iter()
        .filter(|c| c.certificate.thumbprint.as_deref().map(norm_thumb).as_ref() == Some(&h))
        .find_map(|c| c.certificate.unique_container.clone())?;
    let mut d = network_service_read_of(f.acls.iter().filter(|a| a.object.is_key_file(&file)))?;
    if let Some(c) = f
        .certificates
        .iter()
        .find(|c| c.certificate.thumbprint.as_deref().map(norm_thumb).as_ref() == Some(&h))
    {
        d.sources.push(c.source.clone());
    }
    Some(d)
}

/// The thumbprint the listener is configured with (SSLCertificateSHA1Hash).
fn listener_hash(f: &HostFacts) -> Option<(String, Provenance)> {
    let h = f.rdp_listener()?.ssl_certificate_sha1_hash.as_ref()?;
    Some((norm_thumb(&h.value), h.source.clone()))
}

/// The certificate in use: the configured one, else the self-signed one.
fn cert_in_use(f: &HostFacts) -> Option<(String, Provenance)> {
    listener_hash(f).or_else(|| {
        f.terminal_server
            .self_signed_certificate
            .as_ref()
            .map(|h| (norm_thumb(&h.value), h.source.clone()))
    })
}

fn listener_cert_in_store(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let (h, src) = listener_hash(f)?;
    if f.certificate_facts().is_empty() && f.registry_certificates.is_empty() {
        return None;
    }
    let found = f
        .certificates
        .iter()
        .find(|c| c.certificate.thumbprint.as_deref().map(norm_thumb).as_ref() == Some(&h))
        .map(|c| c.source.clone())
        .or_else(|| {
            f.registry_certificates
                .iter()
                .find(|c| norm_thumb(&c.thumbprint) == h)
                .map(|c| c.source.clone())
        });
    // A certificate whose thumbprint could not be read (a language not recognised) may be the
    // configured one: absence cannot be concluded.
    if found.is_none()
        && f.certificate_facts()
            .into_iter()
            .any(|c| c.certificate.thumbprint.is_none())
    {
        return None;
    }
    Some(match found {
        Some(p) => Derived::new(json!(true), vec![src, p]),
        None => {
            // Absent from every listing that was read: name the listings.
            let mut sources = vec![src];
            sources.extend(
                f.certificate_facts()
                    .into_iter()
                    .map(|c| c.source.clone())
                    .take(2),
            );
            sources.extend(f.registry_certificates.iter().map(|c| c.source.clone()).take(2));
            Derived::new(json!(false), sources)
        }
    })
}

fn listener_cert_expired(f: &HostFacts, cx: &DeriveContext) -> Option<Derived> {
    let latest = cx.corr.attempts.iter().map(|a| a.server_time).max()?;
    let (h, _) = cert_in_use(f)?;
    let c = f
        .certificates
        .iter()
        .find(|c| c.certificate.thumbprint.as_deref().map(norm_thumb).as_ref() == Some(&h))?;
    // certutil prints local time; a day of slack covers any time zone.
    let na = c.certificate.not_after_local?;
    Some(Derived::new(
        json!(na < latest.naive_utc() - chrono::Duration::days(1)),
        vec![c.source.clone()],
    ))
}

fn rdp_cert_key_unreadable(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    if f.certificate_facts().is_empty() {
        return None;
    }
    let in_use = cert_in_use(f).map(|(h, _)| h);
    let relevant = |c: &&rdpdiag_ingest::facts::CertificateFact| {
        in_use.is_some() && c.certificate.thumbprint.as_deref().map(norm_thumb) == in_use
            || c.store
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("remote desktop"))
    };
    let bad: Vec<Provenance> = f
        .certificates
        .iter()
        .filter(relevant)
        .filter(|c| matches!(c.certificate.key, KeyState::Missing | KeyState::Unreadable { .. }))
        .map(|c| c.source.clone())
        .collect();
    if !bad.is_empty() {
        return Some(Derived::new(json!(true), bad));
    }
    // "Readable" only when certutil said so for every relevant certificate: a key line in a
    // language not recognised leaves the state unknown, and no relevant certificate read at
    // all tells nothing.
    let read: Vec<&rdpdiag_ingest::facts::CertificateFact> =
        f.certificate_facts().into_iter().filter(relevant).collect();
    if read.is_empty()
        || read
            .iter()
            .any(|c| !matches!(c.certificate.key, KeyState::Present | KeyState::NoKeyInfo))
    {
        return None;
    }
    Some(Derived::new(
        json!(false),
        read.iter().map(|c| c.source.clone()).collect(),
    ))
}

fn listener_port_mismatch(f: &HostFacts, cx: &DeriveContext) -> Option<Derived> {
    let lp = f.rdp_listener()?.port_number.as_ref()?;
    // Without the client's target the mismatch cannot be told.
    let target = cx.target_port?;
    Some(Derived::new(
        json!(lp.value != u32::from(target)),
        vec![lp.source.clone()],
    ))
}

fn listener_disabled(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let lc = f.rdp_listener()?;
    let mut sources = Vec::new();
    let mut disabled = false;
    if let Some(v) = &lc.enable_winstation {
        sources.push(v.source.clone());
        disabled |= v.value == 0;
    }
    if let Some(d) = setting(&lc.deny_ts_connections) {
        sources.extend(d.sources.iter().cloned());
        disabled |= d.value == json!(1);
    }
    if sources.is_empty() {
        // Neither value was read: the listener key alone says nothing about either.
        return None;
    }
    Some(Derived::new(json!(disabled), sources))
}

fn rdp_port_owned_by_other_process(f: &HostFacts, cx: &DeriveContext) -> Option<Derived> {
    if f.sockets.is_empty() {
        return None;
    }
    // Without the client's target: the port every client assumes.
    let port = cx.target_port.unwrap_or(3389);
    let termservice = |s: &&rdpdiag_ingest::facts::SocketFact| {
        let svc = s.row.service.as_deref().unwrap_or("");
        // TermService, or an svchost whose service netstat could not name.
        svc.eq_ignore_ascii_case("TermService")
            || (svc.is_empty()
                && s.row
                    .image
                    .as_deref()
                    .is_some_and(|i| i.eq_ignore_ascii_case("svchost.exe")))
    };
    let owners = f.tcp_listeners_on(port);
    let others: Vec<Provenance> = owners
        .iter()
        .filter(|s| s.row.owner_known() && !termservice(s))
        .map(|s| s.source.clone())
        .collect();
    if !others.is_empty() {
        return Some(Derived::new(json!(true), others));
    }
    // Unknown is never "no": a listener whose owner netstat did not name, or a socket on the
    // port whose state word was not recognised, may be another program.
    let unsure = owners.iter().any(|s| !s.row.owner_known())
        || f.socket_facts()
            .into_iter()
            .any(|s| s.row.local_port() == Some(port) && s.row.listening().is_none());
    if unsure {
        return None;
    }
    Some(Derived::new(
        json!(false),
        f.socket_facts()
            .into_iter()
            .take(1)
            .map(|s| s.source.clone())
            .collect(),
    ))
}

fn block_rule_on_rdp_port(f: &HostFacts, cx: &DeriveContext) -> Option<Derived> {
    if f.firewall_rules.is_empty() {
        return None;
    }
    // Without the client's target: the port every client assumes.
    let port = cx.target_port.unwrap_or(3389);
    let block: Vec<Provenance> = f
        .firewall_rules
        .iter()
        .filter(|r| r.enabled != Some(false) && r.is_block() && r.covers_inbound_tcp_port(port))
        .map(|r| r.source.clone())
        .collect();
    // A rule not fully read (labels or values of a language not recognised) may be the Block
    // rule: "none" cannot be concluded.
    // The registry's FirewallRules keys and the collector's JSON are complete and
    // locale-independent: with one of them, netsh text not read adds nothing.
    let complete_listing = f
        .firewall_rules
        .iter()
        .any(|r| r.origin != rdpdiag_ingest::facts::FirewallRuleOrigin::Netsh && r.read_fully);
    if block.is_empty() && f.firewall_rules.iter().any(|r| !r.read_fully) && !complete_listing {
        return None;
    }
    Some(if block.is_empty() {
        Derived::new(
            json!(false),
            f.firewall_rules
                .iter()
                .take(1)
                .map(|r| r.source.clone())
                .collect(),
        )
    } else {
        Derived::new(json!(true), block)
    })
}

fn third_party_security_product(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    if f.security_products.is_empty() {
        return None;
    }
    let third: Vec<Provenance> = f
        .security_products
        .iter()
        .filter(|p| {
            let n = p.product.display_name.to_ascii_lowercase();
            !(n.contains("windows defender")
                || n.contains("microsoft defender")
                || n.contains("windows firewall"))
        })
        .map(|p| p.source.clone())
        .collect();
    Some(if third.is_empty() {
        Derived::new(
            json!(false),
            f.security_products
                .iter()
                .take(1)
                .map(|p| p.source.clone())
                .collect(),
        )
    } else {
        Derived::new(json!(true), third)
    })
}

fn profile_backup_or_temp(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    if f.profiles.is_empty() {
        return None;
    }
    let odd: Vec<Provenance> = f
        .profiles
        .iter()
        .filter(|p| p.backup || p.is_temp())
        .map(|p| p.source.clone())
        .collect();
    Some(if odd.is_empty() {
        Derived::new(
            json!(false),
            f.profiles.iter().take(1).map(|p| p.source.clone()).collect(),
        )
    } else {
        Derived::new(json!(true), odd)
    })
}

fn client_mstsc_major(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let cv = f.client_versions.as_ref()?;
    let v = cv.versions.get("mstsc.exe").cloned().flatten()?;
    let major: u32 = v.split('.').next()?.trim().parse().ok()?;
    Some(Derived::new(json!(major), vec![cv.source.clone()]))
}

/// EnableCredSSPSupport = 0: the client cannot do NLA (field guide 4.4). AllowEncryptionOracle
/// = 2 is not a sign of a mismatch: it is the compatibility setting that lets a patched and an
/// unpatched side talk (audit 2026-12 section 5 item 2; KB4295591 matrix).
fn client_credssp_disabled(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let support = f.client.enable_credssp_support.as_ref()?;
    Some(Derived::new(
        json!(support.value == 0),
        vec![support.source.clone()],
    ))
}

fn cipher_policy_set(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let p = f.server_policy.cipher_policy.as_ref()?;
    Some(Derived::new(json!(!p.value.is_empty()), vec![p.source.clone()]))
}

/// A TLS 1.2 suite is usable with an RSA server certificate when its name carries `_RSA_`
/// (ECDHE_RSA, DHE_RSA, RSA key exchange); TLS 1.3 suites (`TLS_AES_*`, `TLS_CHACHA20_*`) are
/// independent of the certificate type (Microsoft "Cipher Suites in TLS/SSL (Schannel SSP)"
/// naming; RDP's self-signed and template certificates are RSA: inference from the field guide
/// 4.7 listing, not checked for every deployment).
fn cipher_suites_without_rsa(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let list = f
        .server_policy
        .cipher_policy
        .as_ref()
        .filter(|p| !p.value.is_empty())
        .or(f.server_policy.cipher_local.as_ref())?;
    let usable = list.value.iter().any(|s| {
        let s = s.to_ascii_uppercase();
        s.contains("_RSA_") || s.starts_with("TLS_AES_") || s.starts_with("TLS_CHACHA20_")
    });
    Some(Derived::new(json!(!usable), vec![list.source.clone()]))
}

fn termservice_dll_not_termsrv(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let dll = f.server_policy.service_dll.as_ref()?;
    let name = dll.value.rsplit(['\\', '/']).next().unwrap_or(&dll.value).trim();
    Some(Derived::new(
        json!(!name.eq_ignore_ascii_case("termsrv.dll")),
        vec![dll.source.clone()],
    ))
}

/// Windows' own protocol managers: `{5828227C-...}` (user mode, `UMRDPProtocolManager` of
/// rdpcorets.dll) and `{18B726BB-...}` (kernel mode, older builds) (the `RdpProtocolTypeUM` /
/// `RdpProtocolTypeKM` constants of public RDS diagnostic scripts, found with the code search;
/// field guide 4.2: third-party stacks replace the value).
const WINDOWS_RDP_PROTOCOL_OBJECTS: [&str; 2] = [
    "{5828227c-20cf-4408-b73f-73ab70b8849f}",
    "{18b726bb-6fe6-4fb9-9276-ed57ce7c7cb2}",
];

fn rdp_protocol_object_not_default(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let o = f.rdp_listener()?.loadable_protocol_object.as_ref()?;
    let v = o.value.trim().to_ascii_lowercase();
    Some(Derived::new(
        json!(!WINDOWS_RDP_PROTOCOL_OBJECTS.contains(&v.as_str())),
        vec![o.source.clone()],
    ))
}

fn new_logons_disabled(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let p = &f.server_policy;
    let on: Vec<Provenance> = p
        .winstations_disabled
        .iter()
        .filter(|v| v.value == 1)
        .chain(p.drain_mode.iter().filter(|v| v.value == 1 || v.value == 2))
        .map(|v| v.source.clone())
        .collect();
    if !on.is_empty() {
        return Some(Derived::new(json!(true), on));
    }
    // Unknown is never "no": false only when both switches were read.
    let (w, d) = (p.winstations_disabled.as_ref()?, p.drain_mode.as_ref()?);
    Some(Derived::new(
        json!(false),
        vec![w.source.clone(), d.source.clone()],
    ))
}

fn max_instance_count(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    setting(&f.server_policy.max_instance_count)
}

fn client_uses_store_app(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let cv = f.client_versions.as_ref()?;
    let store = cv.versions.get("remote_desktop_store_app")?;
    Some(Derived::new(json!(store.is_some()), vec![cv.source.clone()]))
}

/// Adapter descriptions of VPN clients, lower case, matched as substrings. "PANGP Virtual
/// Ethernet Adapter" is GlobalProtect's (Palo Alto Networks, "Troubleshooting GlobalProtect
/// MTU Issues", live.paloaltonetworks.com); "WAN Miniport" is Windows' own VPN (IKEv2, SSTP,
/// L2TP, PPTP: only connected while a VPN is up). The others are the vendors' adapter names as
/// commonly seen in `ipconfig /all` (inference, not checked against a vendor document).
const VPN_ADAPTERS: &[&str] = &[
    "pangp virtual ethernet adapter",
    "anyconnect",
    "fortinet ssl vpn",
    "tap-windows adapter",
    "wireguard tunnel",
    "juniper networks virtual adapter",
    "pulse secure",
    "wan miniport (ikev2)",
    "wan miniport (sstp)",
    "wan miniport (l2tp)",
    "wan miniport (pptp)",
];

/// Interfaces whose connection state is read (an interface of unknown state counts for
/// neither answer).
fn connected_interfaces(f: &HostFacts) -> impl Iterator<Item = &rdpdiag_ingest::facts::NetInterfaceFact> {
    f.net_interfaces
        .iter()
        .filter(|i| i.interface.connected == Some(true))
}

fn vpn_adapter_connected(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let is_vpn = |i: &rdpdiag_ingest::facts::NetInterfaceFact| {
        i.interface.description.as_deref().is_some_and(|d| {
            let d = d.to_ascii_lowercase();
            VPN_ADAPTERS.iter().any(|v| d.contains(v))
        })
    };
    // True or unknown, never false: the list of VPN products is not complete, so a connected
    // adapter it does not name may still be a tunnel (unknown is never "no").
    connected_interfaces(f)
        .find(|i| is_vpn(i))
        .map(|vpn| Derived::new(json!(true), vec![vpn.source.clone()]))
}

fn is_loopback(i: &rdpdiag_ingest::facts::NetInterfaceFact) -> bool {
    i.interface
        .alias
        .as_deref()
        .is_some_and(|a| a.to_ascii_lowercase().starts_with("loopback"))
        || i.interface.mtu == Some(u64::from(u32::MAX))
}

fn reduced_mtu_interface(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    if f.net_interfaces.is_empty() {
        return None;
    }
    let v4 = || {
        connected_interfaces(f).filter(|i| i.interface.family.as_deref() == Some("IPv4") && !is_loopback(i))
    };
    if let Some(low) = v4().find(|i| i.interface.mtu.is_some_and(|m| m < 1500)) {
        return Some(Derived::new(json!(true), vec![low.source.clone()]));
    }
    if v4().any(|i| i.interface.mtu.is_none()) || v4().next().is_none() {
        return None;
    }
    Some(Derived::new(
        json!(false),
        vec![f.net_interfaces[0].source.clone()],
    ))
}

fn server_tls12_disabled(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let sw = f
        .schannel
        .iter()
        .find(|s| s.protocol.eq_ignore_ascii_case("TLS 1.2") && s.side.eq_ignore_ascii_case("server"));
    match sw {
        Some(sw) => {
            let enabled = sw.is_enabled()?;
            let sources = sw
                .enabled
                .iter()
                .chain(sw.disabled_by_default.iter())
                .map(|v| v.source.clone())
                .collect();
            Some(Derived::new(json!(!enabled), sources))
        }
        // Other protocol keys were read and TLS 1.2 has none: on by default.
        None if !f.schannel.is_empty() => Some(Derived::new(
            json!(false),
            f.schannel
                .iter()
                .flat_map(|s| s.enabled.iter().chain(s.disabled_by_default.iter()))
                .take(1)
                .map(|v| v.source.clone())
                .collect(),
        )),
        None => None,
    }
}

/// The host's probe result (the last one that is a probe), with the provenance of the field
/// that decided it.
fn probe(f: &HostFacts) -> Option<(ProbeOutcome, ProbePhase, Provenance)> {
    f.probes.iter().rev().find_map(|p| {
        let (outcome, phase, field) = p.outcome()?;
        let mut source = p.source.clone();
        source.key = Some(field.to_string());
        Some((outcome, phase, source))
    })
}

fn probe_outcome(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let (outcome, _, source) = probe(f)?;
    Some(Derived::new(json!(outcome.as_str()), vec![source]))
}

fn probe_phase(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let (_, phase, source) = probe(f)?;
    Some(Derived::new(json!(phase.as_str()), vec![source]))
}

fn probe_client_code(f: &HostFacts, _: &DeriveContext) -> Option<Derived> {
    let (outcome, phase, source) = probe(f)?;
    Some(Derived::new(
        json!(client_view(outcome, phase).client_code),
        vec![source],
    ))
}
