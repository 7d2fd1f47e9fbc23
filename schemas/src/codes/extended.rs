//! Extended disconnect reasons (mstsc's "Extended error code"): field guide §1.5 and §1.6.
//!
//! The extended code is `IMsRdpClient::ExtendedDisconnectReason` (`ExtendedDisconnectReasonCode`,
//! MS-DOC); most values are the errorInfo the server sent in a Set Error Info PDU (MS-RDPBCGR),
//! so both tables are here and [`extended_reason`] joins them.

use schemars::JsonSchema;
use serde::Serialize;

use super::{CodeRange, Source, find_by_code, hex};

/// One value of the `ExtendedDisconnectReasonCode` enumeration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ExtendedReason {
    /// The value, decimal.
    pub code: u32,
    /// The value in hex, e.g. `0x7`.
    pub hex: &'static str,
    /// Enumerator name, e.g. `exDiscReasonServerDeniedConnection`.
    pub name: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// Where this row comes from.
    pub sources: &'static [Source],
}

/// One server errorInfo value (MS-RDPBCGR 2.2.5.1.1, `TS_SET_ERROR_INFO_PDU`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ServerErrorInfo {
    /// The value, decimal.
    pub code: u32,
    /// The value in hex, e.g. `0x7`.
    pub hex: &'static str,
    /// Constant name, e.g. `ERRINFO_SERVER_DENIED_CONNECTION`.
    pub name: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// Where this row comes from.
    pub sources: &'static [Source],
}

const MS: &[Source] = &[Source::MsDoc];
const SPEC: &[Source] = &[Source::MsSpec];

const fn ext(code: u32, hex: &'static str, name: &'static str, meaning: &'static str) -> ExtendedReason {
    ExtendedReason {
        code,
        hex,
        name,
        meaning,
        sources: MS,
    }
}

const fn err(code: u32, hex: &'static str, name: &'static str, meaning: &'static str) -> ServerErrorInfo {
    ServerErrorInfo {
        code,
        hex,
        name,
        meaning,
        sources: SPEC,
    }
}

/// The complete `ExtendedDisconnectReasonCode` enumeration (§1.5), sorted by code.
///
/// `exDiscReasonLogoffByUser` is 12: MicrosoftDocs/win32 has a typo giving it "= 2".
pub static EXTENDED_REASONS: &[ExtendedReason] = &[
    ext(0, "0x0", "exDiscReasonNoInfo", "no additional information"),
    ext(
        1,
        "0x1",
        "exDiscReasonAPIInitiatedDisconnect",
        "an application (or admin tool/RPC) initiated the disconnect",
    ),
    ext(
        2,
        "0x2",
        "exDiscReasonAPIInitiatedLogoff",
        "an application logged the session off",
    ),
    ext(
        3,
        "0x3",
        "exDiscReasonServerIdleTimeout",
        "idle time limit reached",
    ),
    ext(
        4,
        "0x4",
        "exDiscReasonServerLogonTimeout",
        "logon time limit reached",
    ),
    ext(
        5,
        "0x5",
        "exDiscReasonReplacedByOtherConnection",
        "another connection took over the session",
    ),
    ext(6, "0x6", "exDiscReasonOutOfMemory", "server out of memory"),
    ext(
        7,
        "0x7",
        "exDiscReasonServerDeniedConnection",
        "server denied/refused the connection (with 0x904 the client may have synthesized it: see the notes)",
    ),
    ext(
        8,
        "0x8",
        "exDiscReasonServerDeniedConnectionFips",
        "denied; FIPS variant",
    ),
    ext(
        9,
        "0x9",
        "exDiscReasonServerInsufficientPrivileges",
        "user lacks rights to connect",
    ),
    ext(
        10,
        "0xA",
        "exDiscReasonServerFreshCredsRequired",
        "server requires freshly typed credentials (saved creds refused)",
    ),
    ext(
        11,
        "0xB",
        "exDiscReasonRpcInitiatedDisconnectByUser",
        "user disconnected via admin/RPC tool",
    ),
    ext(12, "0xC", "exDiscReasonLogoffByUser", "user logged off"),
    ext(
        256,
        "0x100",
        "exDiscReasonLicenseInternal",
        "licensing internal error",
    ),
    ext(
        257,
        "0x101",
        "exDiscReasonLicenseNoLicenseServer",
        "no license server available",
    ),
    ext(
        258,
        "0x102",
        "exDiscReasonLicenseNoLicense",
        "no license available",
    ),
    ext(
        259,
        "0x103",
        "exDiscReasonLicenseErrClientMsg",
        "bad licensing message from client",
    ),
    ext(
        260,
        "0x104",
        "exDiscReasonLicenseHwidDoesntMatchLicense",
        "HWID does not match license",
    ),
    ext(
        261,
        "0x105",
        "exDiscReasonLicenseErrClientLicense",
        "client license error",
    ),
    ext(
        262,
        "0x106",
        "exDiscReasonLicenseCantFinishProtocol",
        "network problem during licensing",
    ),
    ext(
        263,
        "0x107",
        "exDiscReasonLicenseClientEndedProtocol",
        "client ended licensing protocol",
    ),
    ext(
        264,
        "0x108",
        "exDiscReasonLicenseErrClientEncryption",
        "bad licensing encryption",
    ),
    ext(
        265,
        "0x109",
        "exDiscReasonLicenseCantUpgradeLicense",
        "license cannot be upgraded",
    ),
    ext(
        266,
        "0x10A",
        "exDiscReasonLicenseNoRemoteConnections",
        "server not licensed for remote connections",
    ),
    ext(
        267,
        "0x10B",
        "exDiscReasonLicenseCreatingLicStoreAccDenied",
        "client cannot create license store (access denied)",
    ),
    ext(
        768,
        "0x300",
        "exDiscReasonRdpEncInvalidCredentials",
        "invalid credentials (RD Web/encrypted creds)",
    ),
];

/// Ranges of extended codes (§1.5, §1.6), sorted by start.
pub static EXTENDED_RANGES: &[CodeRange] = &[
    CodeRange {
        start: 0x100,
        end: 0x10B,
        start_hex: "0x100",
        end_hex: "0x10B",
        name: None,
        meaning: "licensing error (RD licensing between client, server and license server)",
        sources: MS,
    },
    CodeRange {
        start: 0x400,
        end: 0x412,
        start_hex: "0x400",
        end_hex: "0x412",
        name: None,
        meaning: "connection broker error (destination not found, loading, redirect/VM wake/boot failures, etc.)",
        sources: SPEC,
    },
    CodeRange {
        start: 0x1000,
        end: 0x7FFF,
        start_hex: "0x1000",
        end_hex: "0x7FFF",
        name: Some("exDiscReasonProtocolRangeStart..exDiscReasonProtocolRangeEnd"),
        meaning: "protocol-specific server error; look in the server event log",
        sources: MS,
    },
];

/// Server errorInfo values of §1.6, sorted by code. Names are MS-RDPBCGR's constants (the guide
/// names only 0x7; the others were checked against the spec's constant list as FreeRDP mirrors
/// it); value 0x8 comes from the WS2003 client headers.
pub static SERVER_ERROR_INFO: &[ServerErrorInfo] = &[
    err(
        0x1,
        "0x1",
        "ERRINFO_RPC_INITIATED_DISCONNECT",
        "RPC-initiated disconnect",
    ),
    err(0x2, "0x2", "ERRINFO_RPC_INITIATED_LOGOFF", "RPC-initiated logoff"),
    err(0x3, "0x3", "ERRINFO_IDLE_TIMEOUT", "idle timeout"),
    err(0x4, "0x4", "ERRINFO_LOGON_TIMEOUT", "logon timeout"),
    err(
        0x5,
        "0x5",
        "ERRINFO_DISCONNECTED_BY_OTHERCONNECTION",
        "disconnected by other connection",
    ),
    err(0x6, "0x6", "ERRINFO_OUT_OF_MEMORY", "out of memory"),
    err(
        0x7,
        "0x7",
        "ERRINFO_SERVER_DENIED_CONNECTION",
        "server denied connection",
    ),
    ServerErrorInfo {
        code: 0x8,
        hex: "0x8",
        name: "TS_ERRINFO_SERVER_DENIED_CONNECTION_FIPS",
        meaning: "client requires FIPS but server does not understand FIPS",
        sources: &[Source::SrcHist],
    },
    err(
        0x9,
        "0x9",
        "ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES",
        "insufficient privileges",
    ),
    err(
        0xA,
        "0xA",
        "ERRINFO_SERVER_FRESH_CREDENTIALS_REQUIRED",
        "fresh credentials required",
    ),
    err(
        0xB,
        "0xB",
        "ERRINFO_RPC_INITIATED_DISCONNECT_BYUSER",
        "RPC disconnect by user",
    ),
    err(0xC, "0xC", "ERRINFO_LOGOFF_BY_USER", "logoff by user"),
    err(
        0xF,
        "0xF",
        "ERRINFO_CLOSE_STACK_ON_DRIVER_NOT_READY",
        "display driver not ready",
    ),
    err(0x10, "0x10", "ERRINFO_SERVER_DWM_CRASH", "DWM crashed"),
    err(
        0x11,
        "0x11",
        "ERRINFO_CLOSE_STACK_ON_DRIVER_FAILURE",
        "display driver failure",
    ),
    err(
        0x12,
        "0x12",
        "ERRINFO_CLOSE_STACK_ON_DRIVER_IFACE_FAILURE",
        "display driver failure",
    ),
    err(0x17, "0x17", "ERRINFO_SERVER_WINLOGON_CRASH", "winlogon crashed"),
    err(0x18, "0x18", "ERRINFO_SERVER_CSRSS_CRASH", "csrss crashed"),
    err(
        0x100,
        "0x100",
        "ERRINFO_LICENSE_INTERNAL",
        "licensing internal error",
    ),
    err(
        0x101,
        "0x101",
        "ERRINFO_LICENSE_NO_LICENSE_SERVER",
        "no license server available",
    ),
    err(
        0x102,
        "0x102",
        "ERRINFO_LICENSE_NO_LICENSE",
        "no license available",
    ),
    err(
        0x103,
        "0x103",
        "ERRINFO_LICENSE_BAD_CLIENT_MSG",
        "bad licensing message from client",
    ),
    err(
        0x104,
        "0x104",
        "ERRINFO_LICENSE_HWID_DOESNT_MATCH_LICENSE",
        "HWID does not match license",
    ),
    err(
        0x105,
        "0x105",
        "ERRINFO_LICENSE_BAD_CLIENT_LICENSE",
        "client license error",
    ),
    err(
        0x106,
        "0x106",
        "ERRINFO_LICENSE_CANT_FINISH_PROTOCOL",
        "network problem during licensing",
    ),
    err(
        0x107,
        "0x107",
        "ERRINFO_LICENSE_CLIENT_ENDED_PROTOCOL",
        "client ended licensing protocol",
    ),
    err(
        0x108,
        "0x108",
        "ERRINFO_LICENSE_BAD_CLIENT_ENCRYPTION",
        "bad licensing encryption",
    ),
    err(
        0x109,
        "0x109",
        "ERRINFO_LICENSE_CANT_UPGRADE_LICENSE",
        "license cannot be upgraded",
    ),
    err(
        0x10A,
        "0x10A",
        "ERRINFO_LICENSE_NO_REMOTE_CONNECTIONS",
        "server not licensed for remote connections",
    ),
    err(
        0x10C9,
        "0x10C9",
        "ERRINFO_UNKNOWN_DATA_PDU_TYPE",
        "unknown PDU type",
    ),
    err(
        0x112F,
        "0x112F",
        "ERRINFO_GRAPHICS_SUBSYSTEM_FAILED",
        "graphics subsystem failed",
    ),
    err(0x1192, "0x1192", "ERRINFO_DECRYPT_FAILED", "decrypt failed"),
    // Not in the spec-derived lists, which end at 0x1195 (FreeRDP's old errinfo.h, rdpy): a
    // FreeRDP-defined value (audit 2026-12 section 4) [U against the spec page itself].
    ServerErrorInfo {
        code: 0x1196,
        hex: "0x1196",
        name: "ERRINFO_PEER_DISCONNECTED",
        meaning: "peer disconnected (FreeRDP-defined, not in MS-RDPBCGR)",
        sources: &[Source::Community],
    },
];

/// How much is known about an extended code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ExtendedKind {
    /// A value of the `ExtendedDisconnectReasonCode` enumeration.
    Named,
    /// Not in the enumeration, but a named server errorInfo value (e.g. 0x10C9, 0xF).
    ServerErrorInfo,
    /// Only the range it falls in is known (e.g. 4100: protocol range).
    InRange,
    /// Nothing is known about it.
    Unknown,
}

/// What is known about one extended code: its enum value, its errorInfo twin, its range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ExtendedReasonInfo {
    /// The value, decimal.
    pub code: u32,
    /// The value in hex, e.g. `0x7`.
    pub hex: String,
    /// How much is known.
    pub kind: ExtendedKind,
    /// The `ExtendedDisconnectReasonCode` value, if it is one.
    pub reason: Option<&'static ExtendedReason>,
    /// The server errorInfo value with the same number, if named.
    pub server_error_info: Option<&'static ServerErrorInfo>,
    /// The range the value falls in, if any.
    pub range: Option<&'static CodeRange>,
}

impl ExtendedReasonInfo {
    /// The best one-line meaning available: the enum's, else the errorInfo's, else the range's.
    pub fn meaning(&self) -> Option<&'static str> {
        self.reason
            .map(|r| r.meaning)
            .or(self.server_error_info.map(|e| e.meaning))
            .or(self.range.map(|r| r.meaning))
    }

    /// The best name available: the enumerator's, else the errorInfo constant's.
    pub fn name(&self) -> Option<&'static str> {
        self.reason
            .map(|r| r.name)
            .or(self.server_error_info.map(|e| e.name))
    }
}

/// The `ExtendedDisconnectReasonCode` value with this number, if any.
pub fn extended_reason_entry(code: u32) -> Option<&'static ExtendedReason> {
    find_by_code(EXTENDED_REASONS, code, |r| r.code)
}

/// The server errorInfo value with this number, if named (§1.6).
pub fn server_error_info(code: u32) -> Option<&'static ServerErrorInfo> {
    find_by_code(SERVER_ERROR_INFO, code, |r| r.code)
}

/// The range of extended codes this value falls in, if any.
pub fn extended_range(code: u32) -> Option<&'static CodeRange> {
    EXTENDED_RANGES.iter().find(|r| r.contains(code))
}

/// Everything known about an extended code: named value, errorInfo, range, or unknown.
pub fn extended_reason(code: u32) -> ExtendedReasonInfo {
    let reason = extended_reason_entry(code);
    let server_error_info = server_error_info(code);
    let range = extended_range(code);
    let kind = if reason.is_some() {
        ExtendedKind::Named
    } else if server_error_info.is_some() {
        ExtendedKind::ServerErrorInfo
    } else if range.is_some() {
        ExtendedKind::InRange
    } else {
        ExtendedKind::Unknown
    };
    ExtendedReasonInfo {
        code,
        hex: hex(code),
        kind,
        reason,
        server_error_info,
        range,
    }
}
