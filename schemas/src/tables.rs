//! The batch tables written by `rdpdiag batch` (Parquet and CSV): every table's columns, their
//! types and meaning, and the batch summary (`summary.json`).
//!
//! The analyzer builds its DataFrames *from* these specs, so the files cannot drift from this
//! description; `json/tables.v1.json` exports it for tools that do not link this crate.
//! Compatibility: columns are only ever added at the end of a table; a rename, a removal or a
//! type change bumps [`TABLES_VERSION`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the table layout (and of the batch summary).
pub const TABLES_VERSION: u32 = 1;

/// Type of a column, as Parquet stores it. CSV holds the same values as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ColumnType {
    /// UTF-8 text (Parquet `BYTE_ARRAY` annotated `STRING`).
    String,
    /// Signed 64-bit integer (Parquet `INT64`); every count and id, so Spark, DuckDB and pandas
    /// read them without unsigned-integer quirks.
    Int64,
    /// 64-bit float (Parquet `DOUBLE`).
    Float64,
    /// Boolean.
    Boolean,
    /// An instant in UTC, millisecond precision: Parquet `TIMESTAMP(MILLIS, isAdjustedToUTC =
    /// true)`; in CSV, ISO 8601 text such as `2026-03-01T10:15:00.000Z`.
    TimestampMsUtc,
}

/// One column of a batch table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ColumnSpec {
    /// Column name (snake_case, stable).
    pub name: &'static str,
    /// Type.
    #[serde(rename = "type")]
    pub ty: ColumnType,
    /// Whether the column may hold nulls (empty fields in CSV).
    pub nullable: bool,
    /// What it holds.
    pub doc: &'static str,
}

/// One batch table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TableSpec {
    /// Table name: the folder under the output directory.
    pub name: &'static str,
    /// What one row is.
    pub doc: &'static str,
    /// Columns, in file order.
    pub columns: &'static [ColumnSpec],
}

impl TableSpec {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }
}

const fn col(name: &'static str, ty: ColumnType, nullable: bool, doc: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        nullable,
        doc,
    }
}

use ColumnType::{Boolean, Float64, Int64, String as Text, TimestampMsUtc};

const TICKET_ID_DOC: &str = "The ticket's path relative to the INPUT folder it was found in \
     (`/`-separated), or its file name when given directly; shards are assigned by its FNV-1a hash";

/// `tickets`: one row per ticket.
pub const TICKETS: TableSpec = TableSpec {
    name: "tickets",
    doc: "One row per ticket (a folder or zip holding one or more inputs).",
    columns: &[
        col("ticket_id", Text, false, TICKET_ID_DOC),
        col("ticket_path", Text, false, "The ticket's path as found on disk"),
        col(
            "status",
            Text,
            false,
            "`ok` analysed cleanly; `partial` analysed, but some files or entries could not be read \
             or were rejected (see `errors`); `failed` nothing usable could be read",
        ),
        col(
            "verdict",
            Text,
            true,
            "Report verdict: `diagnosed`, `insufficient-evidence`, `nothing-failed`, `no-attempts`, \
             `other-failure` (every failure ended with a code that is not a 0x904 one); null when \
             the ticket failed",
        ),
        col(
            "top_cause",
            Text,
            true,
            "Most likely root-cause id over the failed attempts; null when nothing failed",
        ),
        col("confidence", Float64, true, "Confidence of `top_cause`, 0..1"),
        col("second_cause", Text, true, "The next-ranked cause, if any"),
        col(
            "second_confidence",
            Float64,
            true,
            "Confidence of `second_cause`, 0..1",
        ),
        col(
            "skew_ms",
            Int64,
            true,
            "Client clock minus server clock applied, ms; null when the skew is unknown",
        ),
        col(
            "skew_uncertainty_ms",
            Int64,
            true,
            "Half-width of the skew's uncertainty, ms",
        ),
        col(
            "skew_basis",
            Text,
            true,
            "`matched-attempts`, `measured` or `unknown`; null when the ticket failed",
        ),
        col(
            "client_host",
            Text,
            true,
            "Client host name, when a client input was found",
        ),
        col(
            "server_host",
            Text,
            true,
            "Server host name, when a server input was found",
        ),
        col(
            "inputs",
            Int64,
            false,
            "Inputs (bundles, MSRD-Collect results, log folders) read",
        ),
        col(
            "inputs_unreadable",
            Int64,
            false,
            "Inputs that could not be opened at all",
        ),
        col(
            "artifacts",
            Int64,
            false,
            "Files found inside the inputs (including rejected ones)",
        ),
        col("attempts", Int64, false, "Client connection attempts rebuilt"),
        col(
            "failed_attempts",
            Int64,
            false,
            "Attempts that ended with an error",
        ),
        col("records_read", Int64, false, "EVTX records read"),
        col(
            "records_failed",
            Int64,
            false,
            "EVTX records that could not be read",
        ),
        col(
            "events_kept",
            Int64,
            false,
            "Records kept as normalized events for the rules",
        ),
        col(
            "errors",
            Int64,
            false,
            "Error-level problems: the ticket's rows in `errors`",
        ),
        col(
            "warnings",
            Int64,
            false,
            "Warning-level problems (data read despite damage)",
        ),
        col("started_utc", TimestampMsUtc, false, "When its analysis started"),
        col(
            "elapsed_ms",
            Int64,
            false,
            "Wall-clock time its analysis took, ms",
        ),
    ],
};

/// `attempts`: one row per client connection attempt.
pub const ATTEMPTS: TableSpec = TableSpec {
    name: "attempts",
    doc: "One row per client connection attempt (RDPClient 1024 -> 1026).",
    columns: &[
        col("ticket_id", Text, false, TICKET_ID_DOC),
        col(
            "attempt",
            Int64,
            false,
            "1-based number in time order within the ticket",
        ),
        col(
            "client_start_utc",
            TimestampMsUtc,
            false,
            "Event 1024 time on the client's clock",
        ),
        col(
            "server_start_utc",
            TimestampMsUtc,
            false,
            "The same instant on the server's clock (skew-corrected)",
        ),
        col("target", Text, true, "Target as the user typed it"),
        col(
            "disconnect_reason",
            Int64,
            true,
            "Disconnect reason code (decimal), e.g. 2308",
        ),
        col("disconnect_hex", Text, true, "The same code as hex, e.g. `0x904`"),
        col("duration_s", Float64, true, "Seconds from 1024 to 1026"),
        col("failed", Boolean, false, "The attempt ended with an error"),
        col(
            "reached_server",
            Boolean,
            true,
            "Whether the server logged the connection; null when it cannot tell",
        ),
        col("authenticated", Boolean, false, "Authentication finished"),
        col("seen_from", Text, true, "Client address as the server saw it"),
        col(
            "verdict",
            Text,
            true,
            "Verdict for this attempt (failed attempts only)",
        ),
        col(
            "top_cause",
            Text,
            true,
            "Best-ranked cause of this attempt (failed attempts only)",
        ),
        col("confidence", Float64, true, "Confidence of `top_cause`, 0..1"),
        col(
            "findings",
            Int64,
            false,
            "Causes ranked for this attempt: its rows in `findings`",
        ),
        col(
            "timeline_events",
            Int64,
            false,
            "Events of both hosts on its timeline",
        ),
    ],
};

/// `findings`: one row per ranked cause of a failed attempt.
pub const FINDINGS: TableSpec = TableSpec {
    name: "findings",
    doc: "One row per cause ranked for a failed attempt, best first.",
    columns: &[
        col("ticket_id", Text, false, TICKET_ID_DOC),
        col(
            "attempt",
            Int64,
            false,
            "The attempt's number (`attempts.attempt`)",
        ),
        col("rank", Int64, false, "1 = the attempt's most likely cause"),
        col("cause", Text, false, "Root-cause id"),
        col("title", Text, false, "Root-cause title"),
        col(
            "confidence",
            Float64,
            false,
            "Confidence after the evidence, 0..1",
        ),
        col(
            "prior",
            Float64,
            false,
            "Confidence before the evidence (the rule's prior)",
        ),
        col(
            "evidence_items",
            Int64,
            false,
            "Evidence items that moved it: its rows in `evidence`",
        ),
        col(
            "supporting",
            Int64,
            false,
            "Evidence items with a positive weight",
        ),
        col("refuting", Int64, false, "Evidence items with a negative weight"),
    ],
};

/// `evidence`: one row per evidence item of a finding.
pub const EVIDENCE: TableSpec = TableSpec {
    name: "evidence",
    doc: "One row per evidence item that raised or lowered a finding's confidence; the record \
          columns describe the first record it cites (`records_cited` says how many the report lists).",
    columns: &[
        col("ticket_id", Text, false, TICKET_ID_DOC),
        col("attempt", Int64, false, "The attempt's number"),
        col("cause", Text, false, "Root-cause id of the finding"),
        col("evidence_id", Text, false, "Rule evidence id"),
        col("says", Text, false, "What the evidence says"),
        col(
            "weight",
            Float64,
            false,
            "Weight: positive raised the confidence, negative lowered it",
        ),
        col("before", Float64, false, "Confidence before this item"),
        col("after", Float64, false, "Confidence after this item"),
        col("matched", Int64, false, "Records or facts that matched"),
        col("records_cited", Int64, false, "Records the report cites for it"),
        col("host", Text, true, "`client` or `server` (first cited record)"),
        col("channel", Text, true, "Channel, or fact path for facts"),
        col("event_id", Int64, true, "Event id (0 for facts)"),
        col("record_id", Int64, true, "EVTX record id (0 for facts)"),
        col(
            "host_time_utc",
            TimestampMsUtc,
            true,
            "Record time on its host's clock",
        ),
        col(
            "server_time_utc",
            TimestampMsUtc,
            true,
            "Record time on the server's clock",
        ),
        col("source", Text, true, "Input and artifact the record came from"),
        col("summary", Text, true, "Short summary of the record"),
    ],
};

/// `errors`: one row per error met while reading a ticket.
pub const ERRORS: TableSpec = TableSpec {
    name: "errors",
    doc: "One row per error-level problem of a ticket (unreadable input, rejected or unreadable \
          entry, lost chunk), and one `fatal` row per ticket that could not be analysed at all.",
    columns: &[
        col("ticket_id", Text, false, TICKET_ID_DOC),
        col("ticket_path", Text, false, "The ticket's path as found on disk"),
        col(
            "file",
            Text,
            false,
            "The input (bundle, zip, folder) concerned; `TICKET.zip!/inner.zip` for a zip inside a \
             ticket zip",
        ),
        col(
            "location",
            Text,
            true,
            "Artifact inside the input and where in it, if any",
        ),
        col("reason", Text, false, "What went wrong"),
        col("fatal", Boolean, false, "The ticket could not be analysed at all"),
    ],
};

/// Every batch table, in the order they are written.
pub fn tables() -> [TableSpec; 5] {
    [TICKETS, ATTEMPTS, FINDINGS, EVIDENCE, ERRORS]
}

/// The table layout as data (`json/tables.v1.json`).
#[derive(Debug, Clone, Serialize)]
pub struct TablesDoc {
    /// [`TABLES_VERSION`].
    pub version: u32,
    /// Where the files are, relative to the output directory.
    pub layout: &'static str,
    /// The tables.
    pub tables: Vec<TableSpec>,
}

/// The table layout as data, for `json/tables.v1.json`.
pub fn tables_doc() -> TablesDoc {
    TablesDoc {
        version: TABLES_VERSION,
        layout: "Parquet: <table>/shard=<K>/part-00000.parquet; CSV: csv/<table>/shard=<K>/part-00000.csv \
                 (hive-style: `shard` is a partition column taken from the folder name, not stored in \
                 the files)",
        tables: tables().to_vec(),
    }
}

/// What `rdpdiag batch` did: written as `_shards/<K>-of-<N>.json` by each shard, and merged
/// over all shards into `summary.json` once every shard has written its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BatchSummary {
    /// [`TABLES_VERSION`].
    pub schema_version: u32,
    /// Program and version.
    pub tool: String,
    /// Number of shards the tickets were split into (1 without `--shard`).
    pub shard_count: u32,
    /// Shards this summary covers (one for a shard's own summary, all for the merged one).
    pub shards: Vec<u32>,
    /// Stopped early (Ctrl-C): what was done is written, the rest was not started.
    pub interrupted: bool,
    /// When the (first) shard started.
    pub started_utc: DateTime<Utc>,
    /// When the (last) shard finished.
    pub finished_utc: DateTime<Utc>,
    /// Wall-clock seconds from start to finish.
    pub elapsed_s: f64,
    /// Tickets found in the inputs, before sharding.
    pub tickets_found: u64,
    /// Tickets assigned to the shards covered.
    pub tickets_assigned: u64,
    /// Tickets processed (ok + partial + failed).
    pub tickets_done: u64,
    /// Tickets analysed cleanly.
    pub tickets_ok: u64,
    /// Tickets analysed with some files unreadable or rejected.
    pub tickets_partial: u64,
    /// Tickets that could not be analysed.
    pub tickets_failed: u64,
    /// Tickets not started because of an interruption.
    pub tickets_not_started: u64,
    /// Entries of the input folders that are not tickets (loose files that are not zips).
    pub not_tickets: u64,
    /// Tickets processed per second of wall-clock time.
    pub tickets_per_s: f64,
    /// Tickets per verdict (`failed` for tickets that could not be analysed).
    pub verdicts: BTreeMap<String, u64>,
    /// Tickets per top cause (`none` when nothing failed or the ticket failed).
    pub causes: BTreeMap<String, u64>,
    /// Tickets per confidence of their top cause, ten bins of 0.1 (bin 9 includes 1.0).
    pub confidence_histogram: Vec<u64>,
    /// Tickets that could not be analysed, with the first reason (at most 100 listed).
    pub failed: Vec<FailedTicket>,
    /// Failed tickets beyond those listed.
    pub failed_not_listed: u64,
    /// Rows written per table.
    pub rows: BTreeMap<String, u64>,
    /// Peak resident memory of the process, bytes (Linux; null elsewhere); in the merged
    /// summary, the largest over the shards.
    pub peak_rss_bytes: Option<u64>,
}

/// A ticket that could not be analysed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FailedTicket {
    /// Ticket id.
    pub ticket_id: String,
    /// Why.
    pub reason: String,
}
