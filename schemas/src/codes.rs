//! Code tables of Remote Desktop failures, as static data with a source tag on every row.
//!
//! The numbers a user reports ("Error code 0x904, Extended error code 0x7") are explained from:
//! - [`disconnect`]: the client's disconnect reasons (`discReason`, field guide §1.7), the
//!   `SSL_ERR_*` sub-codes and the RD Gateway range;
//! - [`extended`]: `ExtendedDisconnectReasonCode` values and ranges (§1.5) and the server's
//!   MS-RDPBCGR errorInfo values (§1.6) they map onto;
//! - [`layer`]: the historical "low byte = layer, high byte = sub-code" decoding (§1.2);
//! - [`explain()`]: all of the above plus the notes that matter for diagnosis (§1.4);
//! - [`parse_code`]: reading a code as a user types it.
//!
//! Nothing here reads files or looks at evidence: the analyzer does that. Rows the field guide
//! marks unverified keep its wording and carry `unverified: true`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub mod disconnect;
pub mod explain;
pub mod extended;
pub mod layer;
pub mod parse;

pub use disconnect::{
    DISCONNECT_RANGES, DISCONNECT_REASONS, DisconnectReason, SSL_ERR_SUBCODES, UNSOURCED_DISCONNECT_CODES,
    disconnect_range, disconnect_reason, ssl_err_subcode, unsourced_disconnect_code,
};
pub use explain::{Explanation, Note, explain, note_ids};
pub use extended::{
    EXTENDED_RANGES, EXTENDED_REASONS, ExtendedKind, ExtendedReason, ExtendedReasonInfo, SERVER_ERROR_INFO,
    ServerErrorInfo, extended_range, extended_reason, extended_reason_entry, server_error_info,
};
pub use layer::{
    HISTORICAL_SUBCODES, LAYER_CLASSES, Layer, LayerClass, LayerDecoding, NetworkComponent, decode_layer,
    historical_subcode,
};
pub use parse::{CodeParseError, parse_code};

/// Version of the `codes.v1.json` export; bumped when a field of the tables changes.
pub const CODES_VERSION: u32 = 1;

/// Where a row comes from, as the field guide (§0) tags it, so readers can weight it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// `[MS-DOC]`: official Microsoft documentation (learn.microsoft.com, MicrosoftDocs).
    MsDoc,
    /// `[MS-SPEC]`: Microsoft Open Specifications (MS-RDPBCGR ...).
    MsSpec,
    /// Archived TechNet "Remote Desktop disconnect codes", as reproduced by the Xpra project
    /// (`[MS-DOC via COMMUNITY]` in the guide).
    #[serde(rename = "technet")]
    TechNet,
    /// `[SRC-HIST]`: the historical Windows Server 2003 client source; semantics only, current
    /// clients may differ.
    SrcHist,
    /// `[COMMUNITY]`: GitHub issues, forum threads, vendor KBs.
    Community,
    /// `[SAMPLE]`: real event logs rendered from public sample corpora.
    Sample,
    /// No source found; do not rely on it without validation.
    Unverified,
}

impl Source {
    /// The tag as the field guide writes it, for reports.
    pub fn tag(self) -> &'static str {
        match self {
            Source::MsDoc => "MS-DOC",
            Source::MsSpec => "MS-SPEC",
            Source::TechNet => "TechNet",
            Source::SrcHist => "SRC-HIST",
            Source::Community => "COMMUNITY",
            Source::Sample => "SAMPLE",
            Source::Unverified => "unverified",
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tag())
    }
}

/// An inclusive range of codes that share a meaning (e.g. the RD Gateway family).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CodeRange {
    /// First code of the range.
    pub start: u32,
    /// Last code of the range (inclusive).
    pub end: u32,
    /// `start` in hex, e.g. `0x1000`.
    pub start_hex: &'static str,
    /// `end` in hex, e.g. `0x7FFF`.
    pub end_hex: &'static str,
    /// Symbolic name of the range, where documented.
    pub name: Option<&'static str>,
    /// What a code in the range means.
    pub meaning: &'static str,
    /// Where this comes from.
    pub sources: &'static [Source],
}

impl CodeRange {
    /// Whether `code` lies in the range.
    pub fn contains(&self, code: u32) -> bool {
        (self.start..=self.end).contains(&code)
    }
}

/// Formats a code the way the guide and mstsc write it: `0x` and upper-case digits.
pub fn hex(code: u32) -> String {
    format!("0x{code:X}")
}

/// Every table of this module, for the `codes.v1.json` export (other tools, reviewers).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CodeTables {
    /// Always [`CODES_VERSION`].
    pub version: u32,
    /// Client disconnect reasons (`discReason`), field guide §1.7.
    pub disconnect_reasons: &'static [DisconnectReason],
    /// Ranges of disconnect reasons (RD Gateway family).
    pub disconnect_ranges: &'static [CodeRange],
    /// The `SSL_ERR_*` list of Microsoft's OnDisconnected page.
    pub ssl_err_subcodes: &'static [DisconnectReason],
    /// Codes named in reports that no official or historical list has.
    pub unsourced_disconnect_codes: &'static [DisconnectReason],
    /// Layer classes of the historical decoding (low byte), §1.2.
    pub layer_classes: &'static [LayerClass],
    /// Per-layer codes of the WS2003 client headers, §1.2.
    pub historical_subcodes: &'static [DisconnectReason],
    /// `ExtendedDisconnectReasonCode` values, §1.5.
    pub extended_reasons: &'static [ExtendedReason],
    /// Ranges of extended codes (licensing, connection broker, protocol).
    pub extended_ranges: &'static [CodeRange],
    /// Server errorInfo values (MS-RDPBCGR Set Error Info PDU), §1.6.
    pub server_error_info: &'static [ServerErrorInfo],
}

/// All tables in one value (what `schemas/json/codes.v1.json` holds).
pub fn code_tables() -> CodeTables {
    CodeTables {
        version: CODES_VERSION,
        disconnect_reasons: DISCONNECT_REASONS,
        disconnect_ranges: DISCONNECT_RANGES,
        ssl_err_subcodes: SSL_ERR_SUBCODES,
        unsourced_disconnect_codes: UNSOURCED_DISCONNECT_CODES,
        layer_classes: LAYER_CLASSES,
        historical_subcodes: HISTORICAL_SUBCODES,
        extended_reasons: EXTENDED_REASONS,
        extended_ranges: EXTENDED_RANGES,
        server_error_info: SERVER_ERROR_INFO,
    }
}

/// Binary search in a table sorted by code (every table here is; a test checks it).
fn find_by_code<T>(table: &'static [T], code: u32, key: impl Fn(&T) -> u32) -> Option<&'static T> {
    table
        .binary_search_by_key(&code, key)
        .ok()
        .and_then(|i| table.get(i))
}
