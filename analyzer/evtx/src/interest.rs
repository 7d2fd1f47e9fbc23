//! Which records the rules and the timeline need: a table, not scattered `if`s.
//!
//! Two questions are asked of it. Before a record is built, its plan for the channel and event
//! id (`Interest::plan`, read straight from the record's substitution values by `binxml/`)
//! says whether any rule can want it (`IdPlan::may_want`, then the raw-byte hints and payload
//! conditions); everything it rejects is skipped unbuilt. After decoding, [`Interest::matches`]
//! applies the whole rule, including provider and payload conditions.
//! Channel and provider names compare ASCII case-insensitively, as Windows does.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rdpdiag_schemas::channels::{
    APPLICATION, CAPI2, FIREWALL, LSM_OPERATIONAL, RCM_ADMIN, RCM_OPERATIONAL, RCM_PROVIDER, RDP_CLIENT,
    RDPCORECDV, RDPCORETS, SECURITY, SYSTEM,
};

use crate::model::Event;

/// An extra condition a rule puts on a rendered record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// No extra condition.
    Always,
    /// `Provider/@EventSourceName` equals this (classic events such as `TermService` 105x).
    SourceName(&'static str),
    /// A Service Control Manager event about this service: `param1` is one of the display
    /// names, or the `Binary` payload (UTF-16LE `Name/state`) starts with the service name.
    ScmService {
        /// Service key name, e.g. `TermService`.
        service: &'static str,
        /// English display names (`param1` is localized on other languages; the binary is not).
        display_names: &'static [&'static str],
    },
    /// A named `<Data>` holds one of these numbers (e.g. 4624 `LogonType`): checked from the
    /// record's values before it is decoded, so that frequent records can be skipped.
    DataIn {
        /// `Data/@Name`.
        field: &'static str,
        /// Accepted values.
        values: &'static [u64],
    },
}

/// One line of the interest table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestRule {
    /// Channel name (`System`, `Security`, `Microsoft-Windows-…/Operational`).
    pub channel: Cow<'static, str>,
    /// Provider name, when the channel is shared (System, Application).
    pub provider: Option<Cow<'static, str>>,
    /// Event ids, as inclusive ranges.
    pub ids: Cow<'static, [(u32, u32)]>,
    /// Extra condition on the rendered record.
    pub condition: Condition,
    /// Texts of which the record's raw bytes must contain one (UTF-16LE or ASCII, ignoring
    /// ASCII case) for the condition to be able to hold: lets frequent records such as SCM
    /// 7036 be skipped unrendered. Empty: no such shortcut.
    pub raw_hints: &'static [&'static str],
    /// Why the rules need it (field guide section).
    pub why: Cow<'static, str>,
}

impl InterestRule {
    fn has_id(&self, id: u32) -> bool {
        self.ids.iter().any(|&(lo, hi)| (lo..=hi).contains(&id))
    }

    fn matches(&self, ev: &Event) -> bool {
        if !ev.channel.eq_ignore_ascii_case(&self.channel) || !self.has_id(ev.event_id) {
            return false;
        }
        if let Some(p) = &self.provider
            && !ev.provider.eq_ignore_ascii_case(p)
        {
            return false;
        }
        match self.condition {
            Condition::Always => true,
            Condition::SourceName(s) => ev
                .source_name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(s)),
            Condition::ScmService {
                service,
                display_names,
            } => scm_is_about(ev, service, display_names),
            Condition::DataIn { field, values } => ev
                .field(field)
                .and_then(|v| v.as_text())
                .and_then(|t| crate::model::parse_number(&t))
                .is_some_and(|n| values.contains(&n)),
        }
    }
}

fn scm_is_about(ev: &Event, service: &str, display_names: &[&str]) -> bool {
    if let Some(p1) = ev.field_text("param1")
        && display_names.iter().any(|d| d.eq_ignore_ascii_case(p1.trim()))
    {
        return true;
    }
    ev.field_text("Binary")
        .and_then(|hex| utf16le_hex_to_string(&hex))
        .is_some_and(|text| {
            let name = text.split('/').next().unwrap_or("");
            name.eq_ignore_ascii_case(service)
        })
}

/// Decodes the hex text of a `<Binary>` holding UTF-16LE (as SCM writes the service name).
fn utf16le_hex_to_string(hex: &str) -> Option<String> {
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| {
            hex.get(i * 2..i * 2 + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect::<Option<_>>()?;
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16(&units).ok()
}

/// Whether `hay` contains `needle` (ASCII) as UTF-16LE or as ASCII, ignoring ASCII case.
/// Candidates are found with `memchr2` on the first letter (either case), then verified.
fn contains_ignore_case(hay: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    let Some(&first) = n.first() else {
        return true;
    };
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    memchr::memchr2_iter(lo, up, hay).any(|pos| {
        let rest = &hay[pos..];
        let ascii = rest.get(..n.len()).is_some_and(|w| w.eq_ignore_ascii_case(n));
        ascii
            || rest.get(..n.len() * 2).is_some_and(|w| {
                w.chunks_exact(2)
                    .zip(n)
                    .all(|(u, c)| u[1] == 0 && u[0].eq_ignore_ascii_case(c))
            })
    })
}

/// Listener 258/259/261/262, 1006, 1035/1036, certificate 105x-107x, 1149 (one list with what
/// `--redact` keeps).
use rdpdiag_schemas::event_interest::RCM_IDS;

/// The records the rules and timeline need (field guide sections 2 and 3).
pub const DEFAULT_RULES: &[InterestRule] = &[
    InterestRule {
        channel: Cow::Borrowed(RDP_CLIENT),
        provider: None,
        ids: Cow::Borrowed(&[(226, 226), (1024, 1029), (1102, 1106)]),
        condition: Condition::Always,
        raw_hints: &[],
        why: Cow::Borrowed(
            "client attempts: 1024 connect, 1026 disconnect reason, 1027/1028/1029, UDP 110x (2.1)",
        ),
    },
    InterestRule {
        channel: Cow::Borrowed(RDPCORETS),
        provider: None,
        ids: Cow::Borrowed(&[
            (65, 66),
            (72, 72),
            (98, 98),
            (102, 103),
            (129, 129),
            (131, 131),
            (135, 135),
            (138, 140),
            (142, 143),
            (226, 228),
        ]),
        condition: Condition::Always,
        raw_hints: &[],
        why: Cow::Borrowed("server connection lifecycle, TLS (139), NLA (140), socket errors (3.3)"),
    },
    InterestRule {
        channel: Cow::Borrowed(RCM_OPERATIONAL),
        provider: None,
        ids: Cow::Borrowed(RCM_IDS),
        condition: Condition::Always,
        raw_hints: &[],
        why: Cow::Borrowed(
            "listener 258/259/261/262, 1149 auth, 1036 session creation failed (TechNet cc775339; 1035's meaning is unsourced, audit 2026-12 section 5 item 13), certificate 105x (3.1)",
        ),
    },
    InterestRule {
        channel: Cow::Borrowed(RCM_ADMIN),
        provider: None,
        ids: Cow::Borrowed(RCM_IDS),
        condition: Condition::Always,
        raw_hints: &[],
        why: Cow::Borrowed("1006 too many incomplete connections, certificate events (3.2)"),
    },
    InterestRule {
        channel: Cow::Borrowed(SYSTEM),
        provider: Some(Cow::Borrowed(RCM_PROVIDER)),
        ids: Cow::Borrowed(&[(1050, 1073)]),
        condition: Condition::SourceName("TermService"),
        raw_hints: &["TermService"],
        why: Cow::Borrowed("classic TermService certificate events 1050-1073 (3.2)"),
    },
    InterestRule {
        channel: Cow::Borrowed(SYSTEM),
        provider: Some(Cow::Borrowed("Schannel")),
        ids: Cow::Borrowed(&[(36867, 36888)]),
        condition: Condition::Always,
        raw_hints: &[],
        why: Cow::Borrowed("TLS credential, private key and handshake failures (3.6)"),
    },
    InterestRule {
        channel: Cow::Borrowed(SYSTEM),
        provider: Some(Cow::Borrowed("Service Control Manager")),
        ids: Cow::Borrowed(&[(7031, 7031), (7034, 7034), (7036, 7036)]),
        condition: Condition::ScmService {
            service: "TermService",
            display_names: &["Remote Desktop Services", "Terminal Services"],
        },
        raw_hints: &["TermService", "Remote Desktop Services", "Terminal Services"],
        why: Cow::Borrowed("TermService started, stopped or crashed (3.7)"),
    },
    InterestRule {
        channel: Cow::Borrowed(LSM_OPERATIONAL),
        provider: None,
        ids: Cow::Borrowed(&[(21, 25), (39, 40)]),
        condition: Condition::Always,
        raw_hints: &[],
        why: Cow::Borrowed("session logon/logoff/disconnect and reason codes (3.4)"),
    },
    InterestRule {
        channel: Cow::Borrowed(SECURITY),
        provider: None,
        ids: Cow::Borrowed(&[(4624, 4624)]),
        // Service and batch logons (5, 4, 0) are most of a server's Security log and say
        // nothing about RDP: 10 RemoteInteractive, 3 network (NLA), 7 reconnect/unlock.
        condition: Condition::DataIn {
            field: "LogonType",
            values: &[3, 7, 10],
        },
        raw_hints: &[],
        why: Cow::Borrowed("RDP logons: LogonType 10, 3 when NLA authenticates, 7 on reconnect (3.8)"),
    },
    InterestRule {
        channel: Cow::Borrowed(SECURITY),
        provider: None,
        ids: Cow::Borrowed(&[
            (4625, 4625),
            (4778, 4779),
            (4825, 4825),
            (5058, 5058),
            (5061, 5061),
            (5152, 5152),
            (5156, 5157),
        ]),
        condition: Condition::Always,
        raw_hints: &[],
        why: Cow::Borrowed("logons, RDP session audit, key file access, WFP drops and blocks (3.8)"),
    },
    InterestRule {
        channel: Cow::Borrowed(APPLICATION),
        provider: Some(Cow::Borrowed("Microsoft-Windows-User Profiles Service")),
        ids: Cow::Borrowed(&[(1500, 1552)]),
        condition: Condition::Always,
        raw_hints: &[],
        why: Cow::Borrowed("profile load failures (3.9)"),
    },
    InterestRule {
        channel: Cow::Borrowed(CAPI2),
        provider: None,
        ids: Cow::Borrowed(&[(70, 70)]),
        condition: Condition::Always,
        raw_hints: &[],
        why: Cow::Borrowed("certificate private key acquisition result (3.10)"),
    },
    InterestRule {
        channel: Cow::Borrowed(FIREWALL),
        provider: None,
        ids: Cow::Borrowed(&[(2003, 2006), (2052, 2052), (2071, 2071), (2073, 2073)]),
        condition: Condition::Always,
        raw_hints: &[],
        why: Cow::Borrowed("firewall rules added, changed or deleted (3.11)"),
    },
    InterestRule {
        channel: Cow::Borrowed(RDPCORECDV),
        provider: None,
        ids: Cow::Borrowed(&[(135, 135), (226, 226)]),
        condition: Condition::Always,
        raw_hints: &[],
        why: Cow::Borrowed("UDP Shortpath handshake trouble (3.5)"),
    },
];

/// An event that a stage after ingest needs (a rule names it): the channel it is logged on,
/// the provider when the rule names one, and the ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedEvent {
    /// Channel.
    pub channel: String,
    /// Provider, when restricted.
    pub provider: Option<String>,
    /// Event ids.
    pub ids: Vec<u32>,
    /// Who wants it (rule file and evidence id), shown by `rules list`-style listings.
    pub why: String,
}

/// Security 4624, the logon the address filter looks at (Microsoft
/// https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-10/security/threat-protection/auditing/event-4624).
pub const LOGON_EVENT_ID: u32 = 4624;
/// 4624 logon types kept only from an address RDP showed: 3 Network (a file share, WinRM or
/// monitoring logon, most of a member server's Security log; with NLA, RDP's own
/// authentication). 10 RemoteInteractive and 7 Unlock are RDP's and always kept (same page).
pub const LOGON_TYPES_BY_ADDRESS: &[u64] = &[3];
/// 4624's `Data Name` of the logon's source address (same page: "Source Network Address").
pub const LOGON_ADDRESS_FIELD: &str = "IpAddress";

/// The addresses a network logon must come from to be kept (issue 18): what the RDP
/// channels and the hosts show (RdpCoreTS 131 `ClientIP`, 140 `IPString`, RCM 1149
/// `Param3`, LSM `Address`, RD Gateway `IpAddress`, the hosts' own addresses). A 4624 of
/// type 3 from anywhere else cannot be an RDP connection's and is skipped before it is built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogonAddresses {
    /// Normalized addresses ([`normalize_address`]); looked up once per network logon.
    addresses: HashSet<String, foldhash::fast::RandomState>,
}

impl LogonAddresses {
    /// Adds an address as an event or `ipconfig` writes it (`ip`, `ip:port`, `[v6]:port`,
    /// `::ffff:v4`); blanks and `-` add nothing.
    pub fn insert(&mut self, text: &str) {
        let a = normalize_address(text);
        if !a.is_empty() && a != "-" {
            self.addresses.insert(a);
        }
    }

    /// How many distinct addresses.
    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    /// Whether no address is known.
    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }

    /// [`LogonAddresses::keeps`] on UTF-16LE text as a record stores it (up to a NUL): a
    /// plain IPv4 address is looked up without building a string; anything else is decoded.
    pub fn keeps_utf16(&self, bytes: &[u8]) -> bool {
        let mut buf = [0u8; 15]; // "255.255.255.255"
        let mut n = 0;
        for unit in bytes.chunks_exact(2) {
            let c = u16::from_le_bytes([unit[0], unit[1]]);
            if c == 0 {
                break;
            }
            match u8::try_from(c) {
                Ok(b) if (b.is_ascii_digit() || b == b'.') && n < buf.len() => {
                    buf[n] = b;
                    n += 1;
                }
                _ => return self.keeps(&decode_utf16_lossy(bytes)),
            }
        }
        match std::str::from_utf8(&buf[..n]) {
            Ok(v4) if !v4.is_empty() => v4.starts_with("127.") || self.addresses.contains(v4),
            _ => self.keeps(&decode_utf16_lossy(bytes)),
        }
    }

    /// Whether a logon from `text` (4624 `IpAddress`) may matter. No address (`-`, blank:
    /// the logon came with none), loopback (a local tunnel or proxy in front of RDP) and an
    /// address of the set are kept; only a real address outside the set is dropped.
    pub fn keeps(&self, text: &str) -> bool {
        let a = normalize_address(text);
        a.is_empty() || a == "-" || a == "::1" || a.starts_with("127.") || self.addresses.contains(&a)
    }
}

/// UTF-16LE up to the first NUL, unpaired surrogates replaced.
fn decode_utf16_lossy(bytes: &[u8]) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|u| u16::from_le_bytes([u[0], u[1]]))
        .take_while(|&u| u != 0);
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// An address as text compared: no port, no brackets, no IPv4-mapped prefix, no IPv6 zone,
/// lower case.
pub fn normalize_address(text: &str) -> String {
    let t = text.trim();
    let t = if let Some(rest) = t.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        match t.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => host,
            _ => t,
        }
    };
    let t = t.split('%').next().unwrap_or(t);
    let lower = t.to_ascii_lowercase();
    match lower.strip_prefix("::ffff:") {
        Some(v4) if v4.contains('.') => v4.to_string(),
        _ => lower,
    }
}

/// The interest filter built from a rule table.
#[derive(Debug, Clone)]
pub struct Interest {
    rules: Vec<InterestRule>,
    /// Lower-case channel -> indexes into `rules`.
    by_channel: HashMap<String, Vec<usize>>,
    /// Keep every record (for debugging and for the reference in tests).
    everything: bool,
    /// Network logons kept only from these addresses ([`Interest::with_logon_addresses`]).
    logon_addresses: Option<Arc<LogonAddresses>>,
}

impl Default for Interest {
    fn default() -> Self {
        Interest::new(DEFAULT_RULES.to_vec())
    }
}

impl Interest {
    /// A filter over the given rules.
    pub fn new(rules: Vec<InterestRule>) -> Self {
        let mut by_channel: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            by_channel
                .entry(r.channel.to_ascii_lowercase())
                .or_default()
                .push(i);
        }
        Interest {
            rules,
            by_channel,
            everything: false,
            logon_addresses: None,
        }
    }

    /// This filter, plus each wanted event it would not keep as it is: every event a loaded rule
    /// names is read, also one that no embedded rule uses (`--rules DIR`). A wanted event is
    /// covered only by an unconditional line of the same channel and provider (or any
    /// provider); a conditional line (SCM about TermService, 4624 of some logon types) keeps a
    /// subset, so a rule that wants more gets a line of its own.
    pub fn with_events(self, wanted: impl IntoIterator<Item = WantedEvent>) -> Self {
        if self.everything {
            return self;
        }
        let mut rules = self.rules;
        for w in wanted {
            let covered = |id: u32| {
                rules.iter().any(|r| {
                    r.channel.eq_ignore_ascii_case(&w.channel)
                        && r.has_id(id)
                        && r.condition == Condition::Always
                        && match (&r.provider, &w.provider) {
                            (None, _) => true,
                            (Some(rp), Some(wp)) => rp.eq_ignore_ascii_case(wp),
                            (Some(_), None) => false,
                        }
                })
            };
            let missing: Vec<(u32, u32)> = w
                .ids
                .iter()
                .filter(|&&id| !covered(id))
                .map(|&id| (id, id))
                .collect();
            if missing.is_empty() {
                continue;
            }
            rules.push(InterestRule {
                channel: Cow::Owned(w.channel),
                provider: w.provider.map(Cow::Owned),
                ids: Cow::Owned(missing),
                condition: Condition::Always,
                raw_hints: &[],
                why: Cow::Owned(w.why),
            });
        }
        Interest::new(rules)
    }

    /// A filter that keeps every record (all channels, all ids).
    pub fn everything() -> Self {
        Interest {
            rules: Vec::new(),
            by_channel: HashMap::new(),
            everything: true,
            logon_addresses: None,
        }
    }

    /// This filter, keeping Security 4624 of the [`LOGON_TYPES_BY_ADDRESS`] only from
    /// `addresses` (issue 18: a busy server's network logons). Applies only while the one line
    /// for Security 4624 is the table's logon-type condition: a `--rules DIR` rule that names
    /// 4624 gets every 4624, as before. `None` takes the filter off.
    pub fn with_logon_addresses(mut self, addresses: Option<LogonAddresses>) -> Self {
        self.logon_addresses = addresses.map(Arc::new);
        self
    }

    /// Whether an address filter set on this table would apply (see
    /// [`Interest::with_logon_addresses`]).
    pub fn logon_addresses_apply(&self) -> bool {
        self.logon_filter_applies()
    }

    /// The address filter on network logons, when one is set and applies.
    pub fn logon_addresses(&self) -> Option<&LogonAddresses> {
        let set = self.logon_addresses.as_deref()?;
        self.logon_filter_applies().then_some(set)
    }

    /// Whether the Security 4624 lines are exactly one logon-type condition (the table's).
    fn logon_filter_applies(&self) -> bool {
        if self.everything {
            return false;
        }
        let lines: Vec<&InterestRule> = self
            .rules_for(SECURITY)
            .filter(|r| r.has_id(LOGON_EVENT_ID))
            .collect();
        matches!(lines.as_slice(), [r] if matches!(r.condition, Condition::DataIn { field: "LogonType", .. }))
    }

    /// Whether the address filter drops this rendered event (a 4624 of a filtered type from
    /// an address outside the set).
    fn logon_dropped(&self, ev: &Event) -> bool {
        let Some(set) = self.logon_addresses() else {
            return false;
        };
        if ev.event_id != LOGON_EVENT_ID || !ev.channel.eq_ignore_ascii_case(SECURITY) {
            return false;
        }
        let by_address = ev
            .field("LogonType")
            .and_then(|v| v.as_text())
            .and_then(|t| crate::model::parse_number(&t))
            .is_some_and(|n| LOGON_TYPES_BY_ADDRESS.contains(&n));
        by_address
            && ev
                .field(LOGON_ADDRESS_FIELD)
                .and_then(|v| v.as_text())
                .is_some_and(|a| !set.keeps(&a))
    }

    /// The rules of this filter.
    pub fn rules(&self) -> &[InterestRule] {
        &self.rules
    }

    /// Whether this filter keeps every record.
    pub fn keeps_everything(&self) -> bool {
        self.everything
    }

    /// Indexes into `rules` of the rules for `channel` (any case).
    fn rule_indexes(&self, channel: &str) -> &[usize] {
        let idx = if channel.bytes().any(|b| b.is_ascii_uppercase()) {
            self.by_channel.get(&channel.to_ascii_lowercase())
        } else {
            self.by_channel.get(channel)
        };
        idx.map_or(&[], Vec::as_slice)
    }

    fn rules_for(&self, channel: &str) -> impl Iterator<Item = &InterestRule> {
        self.rule_indexes(channel)
            .iter()
            .filter_map(|&i| self.rules.get(i))
    }

    /// Prefilter when only the channel is known.
    pub fn may_want_channel(&self, channel: &str) -> bool {
        self.everything || self.rules_for(channel).next().is_some()
    }

    /// Prefilter when only the event id is known.
    pub fn may_want_id(&self, event_id: u32) -> bool {
        self.everything || self.rules.iter().any(|r| r.has_id(event_id))
    }

    /// The whole rule, on a rendered record.
    pub fn matches(&self, ev: &Event) -> bool {
        self.everything || (self.rules_for(&ev.channel).any(|r| r.matches(ev)) && !self.logon_dropped(ev))
    }

    /// What the rules say about one channel and event id: worked out once per chunk and
    /// (channel, id), then applied to each record ([`IdPlan`]).
    pub(crate) fn plan(&self, channel: &str, event_id: u32) -> IdPlan {
        if self.everything {
            return IdPlan {
                everything: true,
                rules: Vec::new(),
                raw_hints: None,
                data_condition: None,
                logon_addresses: None,
            };
        }
        let rules: Vec<usize> = self
            .rule_indexes(channel)
            .iter()
            .copied()
            .filter(|&i| self.rules.get(i).is_some_and(|r| r.has_id(event_id)))
            .collect();
        let with = || rules.iter().filter_map(|&i| self.rules.get(i));
        // Raw hints filter only when every rule has some: a rule without hints may want any
        // record of the id.
        let raw_hints = with()
            .all(|r| !r.raw_hints.is_empty())
            .then(|| with().flat_map(|r| r.raw_hints.iter().copied()).collect());
        // A payload condition is checked before decoding only when it is the one rule's.
        let data_condition = match with().collect::<Vec<_>>().as_slice() {
            [r] => match r.condition {
                Condition::DataIn { field, values } => Some((field, values)),
                _ => None,
            },
            _ => None,
        };
        let logon_addresses = (event_id == LOGON_EVENT_ID && channel.eq_ignore_ascii_case(SECURITY))
            .then(|| self.logon_addresses.clone())
            .flatten()
            .filter(|_| self.logon_filter_applies());
        IdPlan {
            everything: false,
            rules,
            raw_hints,
            data_condition,
            logon_addresses,
        }
    }

    /// [`Interest::matches`] for an event of the channel and id `plan` was made for.
    pub(crate) fn matches_planned(&self, plan: &IdPlan, ev: &Event) -> bool {
        plan.everything
            || (plan
                .rules
                .iter()
                .filter_map(|&i| self.rules.get(i))
                .any(|r| r.matches(ev))
                && !(plan.logon_addresses.is_some() && self.logon_dropped(ev)))
    }
}

/// The rules for one channel and event id (see [`Interest::plan`]).
#[derive(Debug, Clone)]
pub(crate) struct IdPlan {
    everything: bool,
    /// Indexes of the rules for this channel that list this id.
    rules: Vec<usize>,
    /// Texts of which the raw record must contain one; `None` when some rule has no hints.
    raw_hints: Option<Vec<&'static str>>,
    /// The payload condition to check before decoding: only when the one rule for this
    /// channel and id is a [`Condition::DataIn`].
    pub(crate) data_condition: Option<(&'static str, &'static [u64])>,
    /// Security 4624 with the address filter on: a logon of the [`LOGON_TYPES_BY_ADDRESS`]
    /// is kept only when its [`LOGON_ADDRESS_FIELD`] passes [`LogonAddresses::keeps`].
    pub(crate) logon_addresses: Option<Arc<LogonAddresses>>,
}

impl IdPlan {
    /// Prefilter on channel and id only: false means no rule can want the record.
    pub(crate) fn may_want(&self) -> bool {
        self.everything || !self.rules.is_empty()
    }

    /// Prefilter on the raw record bytes, for a record that passed [`IdPlan::may_want`]:
    /// false when every rule has raw hints and the bytes contain none of them.
    pub(crate) fn raw_ok(&self, raw: &[u8]) -> bool {
        match &self.raw_hints {
            None => true,
            Some(hints) => hints.iter().any(|h| contains_ignore_case(raw, h)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `may_want` and `raw_ok` together, as the decoder applies them to one record.
    fn wants_raw(i: &Interest, channel: &str, id: u32, raw: &[u8]) -> bool {
        let p = i.plan(channel, id);
        p.may_want() && p.raw_ok(raw)
    }

    #[test]
    fn a_plan_answers_as_the_rule_table_says() {
        let raws: [&[u8]; 3] = [b"", b"..TermService..", b"Windows Update"];
        for interest in [Interest::default(), Interest::everything()] {
            let mut channels: Vec<String> = interest.rules.iter().map(|r| r.channel.to_string()).collect();
            channels.extend(channels.clone().iter().map(|c| c.to_ascii_uppercase()));
            channels.push("Setup".into());
            let mut ids: Vec<u32> = interest
                .rules
                .iter()
                .flat_map(|r| {
                    r.ids
                        .iter()
                        .flat_map(|&(lo, hi)| [lo.saturating_sub(1), lo, hi, hi + 1])
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            for ch in &channels {
                for &id in &ids {
                    // The oracle: the rules of the table for this channel and id, found by scan.
                    let these: Vec<&InterestRule> = interest
                        .rules
                        .iter()
                        .filter(|r| r.channel.eq_ignore_ascii_case(ch) && r.has_id(id))
                        .collect();
                    let every = interest.keeps_everything();
                    let plan = interest.plan(ch, id);
                    assert_eq!(plan.may_want(), every || !these.is_empty(), "{ch} {id}");
                    let condition = match these.as_slice() {
                        [r] if !every => match r.condition {
                            Condition::DataIn { field, values } => Some((field, values)),
                            _ => None,
                        },
                        _ => None,
                    };
                    assert_eq!(plan.data_condition, condition, "{ch} {id}");
                    if plan.may_want() {
                        for raw in raws {
                            let expected = every
                                || these.iter().any(|r| r.raw_hints.is_empty())
                                || these
                                    .iter()
                                    .any(|r| r.raw_hints.iter().any(|h| contains_ignore_case(raw, h)));
                            assert_eq!(plan.raw_ok(raw), expected, "{ch} {id}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn logon_addresses_compare_without_port_brackets_or_mapping() {
        let mut set = LogonAddresses::default();
        set.insert("10.30.8.156:50112"); // RdpCoreTS 131 ClientIP
        set.insert("[FE80::1%12]:3389");
        set.insert("-");
        set.insert("  ");
        assert_eq!(set.len(), 2);
        assert!(set.keeps("10.30.8.156"));
        assert!(set.keeps("::ffff:10.30.8.156"));
        assert!(set.keeps("fe80::1"));
        assert!(!set.keeps("10.50.1.20"));
        assert!(!set.keeps("::ffff:10.50.1.20"));
        // No address and loopback are not "from elsewhere".
        for kept in ["-", "", "127.0.0.1", "::1", "[::1]:0"] {
            assert!(set.keeps(kept), "{kept:?}");
        }
        // The same answers from a record's UTF-16 (NUL-terminated or not).
        let utf16 = |t: &str, nul: bool| -> Vec<u8> {
            let mut v: Vec<u8> = t.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
            if nul {
                v.extend([0, 0, b'x', 0]);
            }
            v
        };
        for text in [
            "10.30.8.156",
            "::ffff:10.30.8.156",
            "FE80::1",
            "10.50.1.20",
            "-",
            "",
            "127.0.0.1",
            "::1",
            "1.2.3.4.5.6.7.8.9",
        ] {
            for nul in [false, true] {
                assert_eq!(
                    set.keeps_utf16(&utf16(text, nul)),
                    set.keeps(text),
                    "{text:?} {nul}"
                );
            }
        }
    }

    #[test]
    fn the_address_filter_drops_only_foreign_network_logons() {
        use crate::model::FieldValue;
        let mut set = LogonAddresses::default();
        set.insert("10.30.8.156");
        let filtered = Interest::default().with_logon_addresses(Some(set));
        assert!(filtered.logon_addresses().is_some());
        let logon = |logon_type: u64, ip: &str| Event {
            input: Arc::from("server.zip"),
            artifact: Arc::from("evtx/Security.evtx"),
            record_id: 1,
            time_utc: chrono::DateTime::<chrono::Utc>::MIN_UTC,
            host: Arc::from("SRV"),
            channel: Arc::from("Security"),
            provider: Arc::from("Microsoft-Windows-Security-Auditing"),
            source_name: None,
            event_id: LOGON_EVENT_ID,
            qualifiers: None,
            level: None,
            activity_id: None,
            process_id: None,
            user_sid: None,
            fields: vec![
                (Arc::from("LogonType"), FieldValue::UInt(logon_type)),
                (Arc::from("IpAddress"), FieldValue::Str(ip.into())),
            ],
        };
        assert!(filtered.matches(&logon(3, "10.30.8.156")));
        assert!(!filtered.matches(&logon(3, "10.50.0.12")));
        assert!(filtered.matches(&logon(3, "-")));
        assert!(filtered.matches(&logon(10, "10.50.0.12")));
        assert!(filtered.matches(&logon(7, "10.50.0.12")));
        assert!(!filtered.matches(&logon(5, "-")));
        assert!(Interest::default().matches(&logon(3, "10.50.0.12")));
        // A --rules DIR rule that names 4624 wants every one: the filter steps aside.
        let wider = Interest::default()
            .with_events([WantedEvent {
                channel: "Security".into(),
                provider: None,
                ids: vec![LOGON_EVENT_ID],
                why: "test".into(),
            }])
            .with_logon_addresses(Some(LogonAddresses::default()));
        assert!(wider.logon_addresses().is_none());
        assert!(wider.matches(&logon(3, "10.50.0.12")));
    }

    #[test]
    fn raw_hints_need_one_text_in_either_encoding() {
        let i = Interest::default();
        let utf16: Vec<u8> = "xx termservice/4"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert!(wants_raw(&i, "System", 7036, &utf16));
        assert!(wants_raw(&i, "System", 7036, b"..REMOTE DESKTOP SERVICES.."));
        assert!(!wants_raw(&i, "System", 7036, b"Windows Update"));
        // Rules without hints are not affected; unknown channels never pass.
        assert!(wants_raw(&i, "Security", 4625, b""));
        assert!(!wants_raw(&i, "Setup", 4625, b"TermService"));
    }
}
