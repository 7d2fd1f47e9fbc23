//! Building a host's facts: [`HostFacts::from_artifacts`] parses every artifact by its sniffed
//! content kind (in parallel; hives with their transaction logs), then absorbs each parsed
//! artifact into [`HostFacts`] (facts, what each artifact was used for, problems) and hands the
//! merged registry to the derivations of `registry`.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::registry::{hive_include, hive_single_keys};
use super::{
    AclFact, ArtifactUse, CertificateFact, ClientVersionsFact, FirewallRuleFact, FirewallRuleOrigin,
    HostFacts, NetInterfaceFact, ProbeFact, Provenance, SecurityProductFact, SocketFact, TimeFact,
    TraceEventsFact, TraceHeaderFact,
};
use rdpdiag_artifacts::registry::hive::{HiveContents, HiveKind, HiveOptions, detect_kind, embedded_name};
use rdpdiag_artifacts::registry::{RegFile, read_hive, reg_file};
use rdpdiag_artifacts::text_artifacts::acl_list::AclFile;
use rdpdiag_artifacts::text_artifacts::certutil::{
    Certificate, CertutilDump, KeyState, normalise_thumbprint,
};
use rdpdiag_artifacts::text_artifacts::etl_header::EtlHeader;
use rdpdiag_artifacts::text_artifacts::json_artifacts::JsonArtifact;
use rdpdiag_artifacts::text_artifacts::netsh_rules::NetshRules;
use rdpdiag_artifacts::text_artifacts::netstat::{NetstatOutput, NetstatRow};
use rdpdiag_artifacts::text_artifacts::tracerpt::TraceEvents;
use rdpdiag_artifacts::text_artifacts::w32tm::W32tmStatus;
use rdpdiag_artifacts::text_artifacts::{
    DateOrder, TextError, acl_list, certutil, date_order_of_culture, date_order_of_texts, etl_header,
    is_ambiguous_date, json_artifacts, netsh_rules, netstat, parse_local_datetime_in, tracerpt, w32tm,
};
use rdpdiag_evtx::model::{ArtifactProblem, Location, Problem, Severity};
use rdpdiag_input::ContentKind;
use rdpdiag_schemas::domain::TextFormat;

/// One artifact after parsing (before merging).
enum Parsed {
    Reg(RegFile),
    Hive(Box<HiveContents>),
    Certutil(CertutilDump),
    Acl(AclFile),
    Netstat(NetstatOutput),
    Netsh(NetshRules),
    W32tm(W32tmStatus),
    Json(JsonArtifact),
    Etl(EtlHeader),
    Trace(TraceEvents),
    Skipped(String),
    /// What the artifact was read as, and why it could not be (at the line that showed it).
    Failed {
        what: String,
        location: Location,
        message: String,
    },
}

impl Parsed {
    /// A parser's error; the line it names stays a location.
    fn failed(what: &str, e: &TextError) -> Parsed {
        Parsed::Failed {
            what: what.to_string(),
            location: e.location(),
            message: e.message(),
        }
    }
}

/// Hive transaction logs are named `<hive>.LOG`, `.LOG1`, `.LOG2`.
fn log_stem(name: &str) -> Option<&str> {
    let upper = name.to_ascii_uppercase();
    for suffix in [".LOG1", ".LOG2", ".LOG"] {
        if upper.ends_with(suffix) {
            return Some(&name[..name.len() - suffix.len()]);
        }
    }
    None
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Reads a hive with the subtrees the facts need (plus the values of a few single keys).
fn read_hive_for_facts(primary: &[u8], logs: &[&[u8]], name: &str) -> Result<HiveContents, String> {
    // Kind from the names first (the reader re-detects it from the top-level keys); an
    // unrecognised hive is read whole, up to the key cap.
    let guess = detect_kind(&embedded_name(primary), file_name(name), &[]);
    let opts = HiveOptions {
        include: hive_include(guess).filter(|_| guess != HiveKind::Unknown),
        include_keys: hive_single_keys(guess),
        max_keys: 200_000,
    };
    read_hive(primary, logs, file_name(name), &opts).map_err(|e| e.to_string())
}

impl HostFacts {
    /// Builds a host's facts from its artifacts: `(artifact path, sniffed kind, bytes)`.
    /// Artifacts that hold no host facts (EVTX, zips, unknown binaries) are listed as skipped.
    pub fn from_artifacts<I, S, B>(artifacts: I) -> HostFacts
    where
        I: IntoIterator<Item = (S, ContentKind, B)>,
        S: AsRef<str>,
        B: AsRef<[u8]> + Sync,
    {
        HostFacts::from_artifacts_in(artifacts, None)
    }

    /// Like [`HostFacts::from_artifacts`], for a host whose format culture (from its manifest)
    /// is known: ambiguous dates in command outputs (`1/2/2024`) are read in `culture`'s
    /// day/month order; without it only unambiguous dates are read.
    pub fn from_artifacts_in<I, S, B>(artifacts: I, culture: Option<&str>) -> HostFacts
    where
        I: IntoIterator<Item = (S, ContentKind, B)>,
        S: AsRef<str>,
        B: AsRef<[u8]> + Sync,
    {
        let order = culture.and_then(date_order_of_culture);
        let items: Vec<(Arc<str>, ContentKind, B)> = artifacts
            .into_iter()
            .map(|(n, k, b)| (Arc::from(n.as_ref()), k, b))
            .collect();
        // Transaction logs of hives, by the primary's path.
        let mut logs_of: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut is_log = vec![false; items.len()];
        for (i, (name, kind, _)) in items.iter().enumerate() {
            if *kind == ContentKind::Hive
                && let Some(stem) = log_stem(name)
            {
                logs_of.entry(stem.to_ascii_lowercase()).or_default().push(i);
                is_log[i] = true;
            }
        }
        let parsed: Vec<Parsed> = items
            .par_iter()
            .enumerate()
            .map(|(i, (name, kind, bytes))| {
                if is_log[i] {
                    return Parsed::Skipped("hive transaction log (replayed with its hive)".into());
                }
                let bytes = bytes.as_ref();
                match kind {
                    ContentKind::Reg => match reg_file::parse(bytes) {
                        Ok(r) => Parsed::Reg(r),
                        Err(e) => Parsed::failed("reg export", &e),
                    },
                    ContentKind::Hive => {
                        let logs: Vec<&[u8]> = logs_of
                            .get(&name.to_ascii_lowercase())
                            .map(|v| v.iter().map(|&j| items[j].2.as_ref()).collect())
                            .unwrap_or_default();
                        match read_hive_for_facts(bytes, &logs, name) {
                            Ok(h) => Parsed::Hive(Box::new(h)),
                            Err(message) => Parsed::Failed {
                                what: "hive".into(),
                                location: Location::Whole,
                                message,
                            },
                        }
                    }
                    ContentKind::Text(format) => parse_text(*format, bytes, order),
                    ContentKind::Json => match json_artifacts::parse(bytes) {
                        Ok(j) => Parsed::Json(j),
                        Err(e) => Parsed::failed("json", &e),
                    },
                    ContentKind::Etl => match etl_header::parse(bytes) {
                        Ok(h) => Parsed::Etl(h),
                        Err(e) => Parsed::failed("etl", &e),
                    },
                    ContentKind::TraceXml | ContentKind::TraceCsv => match tracerpt::parse(bytes) {
                        Ok(t) => Parsed::Trace(t),
                        Err(e) => Parsed::failed("tracerpt conversion", &e),
                    },
                    ContentKind::Evtx | ContentKind::RedactedEvents => {
                        Parsed::Skipped("event log (read by the EVTX stage)".into())
                    }
                    other => Parsed::Skipped(format!("{} holds no host facts", other.name())),
                }
            })
            .collect();

        let mut facts = HostFacts::default();
        let mut b = Builder { facts: &mut facts };
        for ((name, _, _), p) in items.iter().zip(parsed) {
            b.absorb(name, p);
        }
        if order.is_none() {
            facts.read_dates_in_host_order();
        }
        facts.derive_registry_facts();
        facts
    }

    /// Without a culture: the day/month order the host's own unambiguous dates prove (one host
    /// prints one format culture in certutil and w32tm), applied to its ambiguous dates; when no
    /// date decides (or they disagree) the ambiguous ones stay unknown.
    fn read_dates_in_host_order(&mut self) {
        let texts: Vec<String> = self
            .certificates
            .iter()
            .filter(|c| !c.structured)
            .flat_map(|c| {
                [
                    c.certificate.not_before_text.clone(),
                    c.certificate.not_after_text.clone(),
                ]
            })
            .chain(self.time.iter().map(|t| t.status.last_sync_text.clone()))
            .flatten()
            .collect();
        let Some(order) = date_order_of_texts(texts.iter().map(String::as_str)) else {
            return;
        };
        for c in self.certificates.iter_mut().filter(|c| !c.structured) {
            let cert = &mut c.certificate;
            if cert.not_before_local.is_none() {
                cert.not_before_local = cert
                    .not_before_text
                    .as_deref()
                    .and_then(|t| parse_local_datetime_in(t, Some(order)));
            }
            if cert.not_after_local.is_none() {
                cert.not_after_local = cert
                    .not_after_text
                    .as_deref()
                    .and_then(|t| parse_local_datetime_in(t, Some(order)));
            }
        }
        if let Some(t) = self.time.as_mut()
            && t.status.last_sync_local.is_none()
        {
            t.status.last_sync_local = t
                .status
                .last_sync_text
                .as_deref()
                .and_then(|x| parse_local_datetime_in(x, Some(order)));
            t.synced = t.status.synced();
        }
        self.problems.retain(|p| !is_ambiguous_date(&p.problem));
    }
}

impl HostFacts {
    fn problem(&mut self, artifact: &Arc<str>, problem: Problem) {
        if self.problems.len() < 10_000 {
            self.problems.push(ArtifactProblem {
                artifact: artifact.clone(),
                problem,
            });
        }
    }

    /// A parser's problems with lines of `artifact` (each with the severity its parser gave: a
    /// date whose day/month order needs the host's culture is a note, not damage).
    fn line_problems(&mut self, artifact: &Arc<str>, problems: &[Problem]) {
        for p in problems.iter().take(200) {
            self.problem(artifact, p.clone());
        }
        if problems.len() > 200 {
            self.problem(
                artifact,
                Problem::whole(
                    Severity::Warning,
                    format!("{} more line problems not listed", problems.len() - 200),
                ),
            );
        }
    }

    fn used(&mut self, artifact: &Arc<str>, used_as: impl Into<String>, parsed: bool) {
        self.artifacts.push(ArtifactUse {
            artifact: artifact.clone(),
            used_as: used_as.into(),
            parsed,
        });
    }
}

fn parse_text(format: TextFormat, bytes: &[u8], order: Option<DateOrder>) -> Parsed {
    let fail = |what: &str, e: TextError| Parsed::failed(what, &e);
    match format {
        TextFormat::CertutilStore => {
            certutil::parse_in(bytes, order).map_or_else(|e| fail("certutil", e), Parsed::Certutil)
        }
        TextFormat::AclList => acl_list::parse(bytes).map_or_else(|e| fail("Get-Acl list", e), Parsed::Acl),
        TextFormat::Netstat => netstat::parse(bytes).map_or_else(|e| fail("netstat", e), Parsed::Netstat),
        TextFormat::FirewallRules => {
            netsh_rules::parse(bytes).map_or_else(|e| fail("netsh firewall rules", e), Parsed::Netsh)
        }
        TextFormat::W32tmStatus => {
            w32tm::parse_in(bytes, order).map_or_else(|e| fail("w32tm", e), Parsed::W32tm)
        }
        _ => Parsed::Skipped("text of a format with no host facts (or not recognised)".into()),
    }
}

/// Normalised certificate store name.
fn store_name(s: &str) -> String {
    match s.trim().to_ascii_uppercase().as_str() {
        "MY" | "PERSONAL" => "MY".to_string(),
        "REMOTE DESKTOP" => "Remote Desktop".to_string(),
        _ => s.trim().to_string(),
    }
}

struct Builder<'a> {
    facts: &'a mut HostFacts,
}

impl Builder<'_> {
    fn absorb(&mut self, name: &Arc<str>, p: Parsed) {
        let f = &mut *self.facts;
        match p {
            Parsed::Reg(r) => {
                f.used(name, "reg export", true);
                r.apply(&mut f.registry, name);
                let probs = r.problems.clone();
                f.line_problems(name, &probs);
            }
            Parsed::Hive(h) => {
                let mount = h.kind.mount_point();
                f.used(
                    name,
                    format!(
                        "hive {:?}{}",
                        h.kind,
                        if h.logs_given > 0 {
                            format!(" with {} transaction log(s)", h.logs_given)
                        } else {
                            String::new()
                        }
                    ),
                    mount.is_some(),
                );
                for n in h.notes.iter().take(50) {
                    f.problem(name, Problem::whole(Severity::Note, n.clone()));
                }
                match mount {
                    Some(m) => h.apply(&mut f.registry, name, m),
                    None => f.problem(
                        name,
                        Problem::whole(
                            Severity::Note,
                            format!(
                                "hive {:?} not recognised as SYSTEM, SOFTWARE or NTUSER.DAT: not used",
                                h.embedded_name
                            ),
                        ),
                    ),
                }
            }
            Parsed::Certutil(d) => {
                f.used(name, "certutil -verifystore", true);
                let store = d.store.as_deref().map(store_name);
                if let Some(fail) = &d.failure {
                    f.problem(
                        name,
                        Problem::whole(Severity::Note, format!("certutil reported: {fail}")),
                    );
                }
                for c in d.certificates {
                    if c.thumbprint.is_none() {
                        f.problem(
                            name,
                            Problem::at_line(
                                Severity::Warning,
                                c.line,
                                "could not read, language not recognised: certificate without `Cert Hash(sha1)` (its presence in a store stays unknown)",
                            ),
                        );
                    }
                    let source = Provenance::line(name, c.line);
                    f.certificates.push(CertificateFact {
                        store: store.clone(),
                        certificate: c,
                        structured: false,
                        source,
                    });
                }
                f.line_problems(name, &d.problems);
            }
            Parsed::Acl(a) => {
                f.used(name, "Get-Acl access list", true);
                for o in a.objects {
                    for u in o.unread_rules().into_iter().take(50) {
                        f.problem(
                            name,
                            Problem::at_line(
                                Severity::Warning,
                                u.line,
                                format!(
                                    "could not read, language not recognised: {} ({})",
                                    u.what,
                                    o.path.as_deref().unwrap_or("object without a path")
                                ),
                            ),
                        );
                    }
                    let source = Provenance::line(name, o.line);
                    f.acls.push(AclFact { object: o, source });
                }
                f.line_problems(name, &a.problems);
            }
            Parsed::Netstat(n) => {
                f.used(name, "netstat -anob", true);
                for row in n.rows {
                    let source = Provenance::line(name, row.line);
                    f.sockets.push(SocketFact {
                        row,
                        structured: false,
                        source,
                    });
                }
                f.line_problems(name, &n.problems);
            }
            Parsed::Netsh(n) => {
                f.used(name, "netsh firewall rules", true);
                for r in n.rules {
                    let protocol = r.protocol.clone();
                    let split = |v: &Option<String>| -> Vec<String> {
                        v.as_deref()
                            .map(|s| {
                                s.split(',')
                                    .map(|x| x.trim().to_string())
                                    .filter(|x| !x.is_empty())
                                    .collect()
                            })
                            .unwrap_or_default()
                    };
                    f.firewall_rules.push(FirewallRuleFact {
                        origin: FirewallRuleOrigin::Netsh,
                        id: None,
                        name: Some(r.name.clone()),
                        enabled: r.enabled,
                        action: r.action.clone(),
                        direction: r.direction.clone(),
                        protocol,
                        local_ports: split(&r.local_port),
                        remote_ports: split(&r.remote_port),
                        local_addresses: split(&r.local_ip),
                        remote_addresses: split(&r.remote_ip),
                        profiles: split(&r.profiles),
                        app: None,
                        service: None,
                        group: r.grouping.clone().filter(|g| !g.is_empty()),
                        version: None,
                        read_fully: r.fully_read(),
                        source: Provenance::line(name, r.line),
                    });
                }
                f.line_problems(name, &n.problems);
            }
            Parsed::W32tm(s) => {
                f.used(name, "w32tm /query /status", true);
                f.line_problems(name, &s.problems);
                let synced = s.synced();
                f.time = Some(TimeFact {
                    status: s,
                    synced,
                    source: Provenance::artifact(name),
                });
            }
            Parsed::Json(j) => match j {
                JsonArtifact::SecurityProducts(list) => {
                    f.used(name, "SecurityCenter2 products", true);
                    for product in list {
                        f.security_products.push(SecurityProductFact {
                            product,
                            source: Provenance::artifact(name),
                        });
                    }
                }
                JsonArtifact::ClientVersions(versions) => {
                    f.used(name, "client versions", true);
                    f.client_versions = Some(ClientVersionsFact {
                        versions,
                        source: Provenance::artifact(name),
                    });
                }
                JsonArtifact::Manifest => f.used(name, "bundle manifest (read by the input stage)", false),
                JsonArtifact::TcpListeners(list) => {
                    f.used(name, "Get-NetTCPConnection listeners (JSON)", true);
                    for (i, l) in list.into_iter().enumerate() {
                        let local = if l.local_address.contains(':') {
                            format!("[{}]:{}", l.local_address, l.local_port)
                        } else {
                            format!("{}:{}", l.local_address, l.local_port)
                        };
                        let foreign = if l.local_address.contains(':') {
                            "[::]:0"
                        } else {
                            "0.0.0.0:0"
                        };
                        f.sockets.push(SocketFact {
                            row: NetstatRow {
                                line: i as u64 + 1,
                                proto: "TCP".into(),
                                local,
                                foreign: foreign.into(),
                                state: Some(l.state),
                                pid: l.pid,
                                service: l.services.first().cloned(),
                                image: l.process,
                                ownership_unknown: false,
                            },
                            structured: true,
                            source: Provenance::artifact(name),
                        });
                    }
                }
                JsonArtifact::FirewallRules(list) => {
                    f.used(name, "Get-NetFirewallRule (JSON)", true);
                    for r in list {
                        let read_fully = r.enabled.is_some() && r.direction.is_some() && r.action.is_some();
                        f.firewall_rules.push(FirewallRuleFact {
                            origin: FirewallRuleOrigin::Structured,
                            id: r.name,
                            name: r.display_name,
                            enabled: r.enabled,
                            action: r.action,
                            direction: r.direction,
                            protocol: r.protocol,
                            local_ports: r.local_ports,
                            remote_ports: Vec::new(),
                            local_addresses: Vec::new(),
                            remote_addresses: Vec::new(),
                            profiles: r.profiles.map(|p| vec![p]).unwrap_or_default(),
                            app: None,
                            service: None,
                            group: None,
                            version: None,
                            read_fully,
                            source: Provenance::artifact(name),
                        });
                    }
                }
                JsonArtifact::Certificates(list) => {
                    f.used(name, "certificates (JSON)", true);
                    for (i, c) in list.into_iter().enumerate() {
                        let store = c.store.as_deref().map(store_name);
                        f.certificates.push(CertificateFact {
                            store,
                            certificate: structured_certificate(i as u64 + 1, c),
                            structured: true,
                            source: Provenance::artifact(name),
                        });
                    }
                }
                JsonArtifact::NetIpInterfaces(list) => {
                    f.used(name, "Get-NetIPInterface with adapters (JSON)", true);
                    f.net_interfaces
                        .extend(list.into_iter().map(|interface| NetInterfaceFact {
                            interface,
                            source: Provenance::artifact(name),
                        }));
                }
                JsonArtifact::Other(raw) => {
                    if raw.is_object() {
                        f.used(name, "probe (raw JSON)", true);
                        f.probes.push(ProbeFact {
                            raw,
                            source: Provenance::artifact(name),
                        });
                    } else {
                        f.used(name, "JSON of no known shape", false);
                    }
                }
            },
            Parsed::Etl(h) => {
                f.used(name, "ETL trace header", true);
                if h.truncated() {
                    f.problem(
                        name,
                        Problem::whole(
                            Severity::Note,
                            format!(
                                "trace holds {} of {} buffers written ({} stray bytes): copied while being written or cut",
                                h.buffers_in_file, h.buffers_written, h.partial_tail_bytes
                            ),
                        ),
                    );
                }
                f.trace_headers.push(TraceHeaderFact {
                    header: h,
                    source: Provenance::artifact(name),
                });
            }
            Parsed::Trace(t) => {
                f.used(name, format!("tracerpt {}", t.format), true);
                f.line_problems(name, &t.problems);
                f.trace_events.push(TraceEventsFact {
                    format: t.format,
                    events: t.events,
                    dropped: t.dropped,
                    source: Provenance::artifact(name),
                });
            }
            Parsed::Skipped(why) => f.used(name, why, false),
            Parsed::Failed {
                what,
                location,
                message,
            } => {
                f.used(name, what.clone(), false);
                f.problem(
                    name,
                    Problem::at(Severity::Error, location, format!("{what}: {message}")),
                );
            }
        }
    }
}

/// A certificate of the collector's JSON in the certutil model: ISO 8601 dates keep the host's
/// local wall-clock time (as certutil prints it), the key state comes from opening the key.
fn structured_certificate(
    index: u64,
    c: rdpdiag_artifacts::text_artifacts::json_artifacts::StructuredCertificate,
) -> Certificate {
    let local = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t.trim()).ok())
            .map(|d| d.naive_local())
    };
    let key = match (c.key_open.as_deref(), c.has_private_key) {
        (Some(k), _) if k.eq_ignore_ascii_case("ok") => KeyState::Present,
        (Some(k), _) if k.eq_ignore_ascii_case("missing") => KeyState::Missing,
        (Some(k), _) if k.to_ascii_lowercase().starts_with("error") => {
            KeyState::Unreadable { error: k.to_string() }
        }
        (_, Some(false)) => KeyState::NoKeyInfo,
        _ => KeyState::Unknown,
    };
    Certificate {
        line: index,
        index: u32::try_from(index).ok(),
        thumbprint: c.thumbprint.as_deref().and_then(normalise_thumbprint),
        serial: None,
        subject: c.subject,
        issuer: c.issuer,
        not_before_local: local(&c.not_before),
        not_after_local: local(&c.not_after),
        not_before_text: c.not_before,
        not_after_text: c.not_after,
        not_before_line: 0,
        not_after_line: 0,
        key_container: None,
        unique_container: c.key_unique_name,
        provider: c.key_provider,
        key,
        eku: c.eku,
        dns_names: Vec::new(),
        chain_errors: Vec::new(),
        self_signed: false,
    }
}
