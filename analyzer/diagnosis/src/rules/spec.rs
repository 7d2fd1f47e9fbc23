//! The rule file format (see `analyzer/rules/README.md`), validated into typed rules.

use chrono::Duration;
use rdpdiag_schemas::RootCauseId;
use serde::{Deserialize, Serialize};

/// Which host an evidence item is looked for on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostSel {
    /// The RDP client.
    Client,
    /// The RDP server.
    Server,
    /// Either.
    Any,
}

/// Comparison of a field or fact with the rule's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Equal (numbers as numbers, text case-insensitively).
    Eq,
    /// Not equal.
    Ne,
    /// Equal to one of the values.
    In,
    /// Equal to none of the values.
    NotIn,
    /// Text contains the value.
    Contains,
    /// Text starts with the value.
    StartsWith,
    /// Number greater or equal.
    Ge,
    /// Number less or equal.
    Le,
    /// The event does not carry the field (no `values`): the one way to speak of an absent
    /// field, e.g. a Schannel event of a build that does not name the calling process.
    Missing,
}

/// The token a rule writes in `where` values for the server's RDP port (`listener.port`).
pub const LISTENER_PORT_TOKEN: &str = "$listener_port";

/// A predicate on one event field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    /// Field name (EventData Data Name, or UserData leaf name).
    pub field: String,
    /// Comparison.
    pub op: Op,
    /// Values compared with (as text; numbers parse from text).
    pub values: Vec<String>,
}

/// Which events an evidence item matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventMatch {
    /// Channel (case-insensitive), if restricted.
    #[serde(default)]
    pub channel: Option<String>,
    /// Provider name (case-insensitive), if restricted.
    #[serde(default)]
    pub provider: Option<String>,
    /// Event IDs.
    pub ids: Vec<u32>,
}

/// A property of the connection attempt itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttemptMatch {
    /// The server logged the connection (RdpCoreTS 131 / RCM 261).
    #[serde(default)]
    pub reached_server: Option<bool>,
    /// Authentication finished (RCM 1149 or client 1027).
    #[serde(default)]
    pub authenticated: Option<bool>,
    /// The client logged on (1027).
    #[serde(default)]
    pub client_logged_on: Option<bool>,
    /// Seconds between 1024 and 1026, inclusive range.
    #[serde(default)]
    pub duration_s: Option<[f64; 2]>,
    /// Disconnect reason is one of these.
    #[serde(default)]
    pub disconnect_reason: Option<Vec<u32>>,
    /// The 1024 target names the server (its name or address).
    #[serde(default)]
    pub target_is_server: Option<bool>,
    /// The server saw the connection from an address other than the client's.
    #[serde(default)]
    pub seen_from_other_ip: Option<bool>,
    /// Other attempts of the same client in the window succeeded.
    #[serde(default)]
    pub other_attempts_succeeded: Option<bool>,
    /// The server saw the connection from a public (routable) address: the client is behind
    /// NAT or a port-forward, not behind an internal proxy.
    #[serde(default)]
    pub seen_from_public_address: Option<bool>,
    /// The client connected to a public IP address literal (a host name: unknown), as to a
    /// router's port-forward.
    #[serde(default)]
    pub target_is_public_address: Option<bool>,
    /// The client logged 1028 (the server answered X.224: "Server supports SSL") before the
    /// end; unknown for attempts rebuilt from the server.
    #[serde(default)]
    pub x224_answered: Option<bool>,
    /// The server saw connections from other addresses within 30 minutes of the attempt
    /// (RDP works for others); unknown without the server's logs.
    #[serde(default)]
    pub other_clients_reached: Option<bool>,
}

/// A predicate on a typed host fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactMatch {
    /// Dotted path into the host's facts (`listener.port`, `derived.listener_cert_in_store`).
    pub path: String,
    /// Comparison.
    pub op: Op,
    /// Value compared with.
    pub value: toml::Value,
}

/// When, relative to the attempt, an event counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Window {
    /// Anywhere in the collection window.
    Anywhere,
    /// From `from` to `to` around the attempt's anchor on the server clock.
    Around {
        /// Start offset (negative: before).
        from: Duration,
        /// End offset.
        to: Duration,
    },
}

/// What an event window is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Anchor {
    /// The whole connection: on the server its first to last event (131 .. 102/103, by
    /// ActivityID), on the client 1024 .. 1026. A window `[from, to]` runs from the start plus
    /// `from` to the end plus `to`, so a failure after a credential prompt of any length is in it.
    #[default]
    Connection,
    /// The start only (131 / 1024): for what happens as TCP is accepted.
    Start,
    /// The end only (the server's last event / 1026): for what closes the connection.
    End,
    /// The logon: the connection's first RCM 1149 on the server (what loads after logon, such
    /// as the user's profile, follows it, however long the credential prompt took). Without a
    /// 1149 (and on the client) the whole connection, as [`Anchor::Connection`].
    Logon,
}

/// One evidence item, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceSpec {
    /// Id, unique within the rule.
    pub id: String,
    /// Sentence for the report.
    pub says: String,
    /// Weight: > 0 supports, < 0 refutes.
    pub weight: f64,
    /// Host to look on.
    pub host: HostSel,
    /// What to look for.
    pub kind: EvidenceKind,
    /// The item counts only for attempts whose disconnect code is one of these (or unknown):
    /// evidence that predicts another code (a dropped SYN predicts 0x204, not 0x904) says
    /// nothing about an attempt that ended with this one. Empty: any code.
    pub only_if_disconnect: Vec<u32>,
    /// Line in the rule file (for messages).
    pub line: usize,
}

/// The three kinds of evidence.
/// Events that explain a matched event away when one is logged near it on the same host
/// (a planned reboot explains the listener stopping).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnlessNear {
    /// Channel of the explaining events.
    #[serde(default)]
    pub channel: Option<String>,
    /// Provider of the explaining events.
    #[serde(default)]
    pub provider: Option<String>,
    /// Their event ids.
    pub ids: Vec<u32>,
    /// How close (before or after) counts, e.g. `"120s"`.
    pub within: String,
    /// Optional predicates on the explaining event.
    #[serde(default, rename = "where")]
    pub predicates: Vec<UnlessPredicate>,
}

/// A predicate of [`UnlessNear`] (values as text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnlessPredicate {
    /// Field name.
    pub field: String,
    /// Operator.
    pub op: Op,
    /// Values.
    #[serde(default)]
    pub values: Vec<String>,
}

/// [`UnlessNear`] after loading.
#[derive(Debug, Clone, PartialEq)]
pub struct Unless {
    /// Which events explain.
    pub matcher: EventMatch,
    /// Predicates on them.
    pub predicates: Vec<Predicate>,
    /// Distance.
    pub within: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EvidenceKind {
    /// Events.
    Event {
        /// Which events.
        matcher: EventMatch,
        /// When.
        window: Window,
        /// Field predicates, all must hold.
        predicates: Vec<Predicate>,
        /// Only events of the paired server connection (same ActivityID).
        same_connection: bool,
        /// For events without ActivityID: the field that must hold the client's address.
        client_ip_field: Option<String>,
        /// At least this many matching events.
        min_count: u32,
        /// What the window is measured from.
        anchor: Anchor,
        /// Events that explain a matched event away (boxed: most evidence has none).
        unless: Option<Box<Unless>>,
    },
    /// A property of the attempt.
    Attempt(AttemptMatch),
    /// A host fact.
    Fact(FactMatch),
}

/// A validated rule: one root cause.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The cause.
    pub id: RootCauseId,
    /// Title.
    pub title: String,
    /// Belief before evidence.
    pub prior: f64,
    /// Disconnect reasons the cause produces.
    pub explains_disconnect: Vec<u32>,
    /// Extended reasons the cause produces.
    pub explains_extended: Vec<u32>,
    /// Remediation steps.
    pub fix: Vec<String>,
    /// What to collect when evidence is thin.
    pub collect_next: Vec<String>,
    /// References.
    pub references: Vec<String>,
    /// Evidence items.
    pub evidence: Vec<EvidenceSpec>,
    /// Where the rule came from (embedded name or file path).
    pub origin: String,
}
