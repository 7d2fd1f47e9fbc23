//! Client disconnect reasons (`discReason`, shown by mstsc as "Error code"): field guide §1.7.
//!
//! Names are the symbolic names of Microsoft's OnDisconnected page (MS-DOC), where it has one;
//! meanings and source tags are the field guide's. TechNet extras whose wording the guide could
//! not verify keep the guide's placeholder text and `unverified: true`.

use schemars::JsonSchema;
use serde::Serialize;

use super::{CodeRange, Source, find_by_code};

/// One client disconnect reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DisconnectReason {
    /// The value, decimal.
    pub code: u32,
    /// The value in hex as mstsc shows it, e.g. `0x904`.
    pub hex: &'static str,
    /// Symbolic name on Microsoft's OnDisconnected page, e.g. `disconnectReasonAtClientWinsockFDCLOSE`.
    pub name: Option<&'static str>,
    /// What it means.
    pub meaning: &'static str,
    /// Where this row comes from.
    pub sources: &'static [Source],
    /// The field guide marks the wording (or the code) unverified: do not build on it.
    pub unverified: bool,
}

const MS: &[Source] = &[Source::MsDoc];
const TN: &[Source] = &[Source::TechNet];
const COMM: &[Source] = &[Source::Community];

const fn row(
    code: u32,
    hex: &'static str,
    name: Option<&'static str>,
    meaning: &'static str,
    sources: &'static [Source],
) -> DisconnectReason {
    DisconnectReason {
        code,
        hex,
        name,
        meaning,
        sources,
        unverified: false,
    }
}

/// A row whose wording the field guide marks unverified (TechNet extras, §1.7 and §8.6).
const fn unverified(code: u32, hex: &'static str, meaning: &'static str) -> DisconnectReason {
    DisconnectReason {
        code,
        hex,
        name: None,
        meaning,
        sources: TN,
        unverified: true,
    }
}

/// Every disconnect reason of field guide §1.7, sorted by code.
pub static DISCONNECT_REASONS: &[DisconnectReason] = &[
    row(0, "0x0", Some("disconnectReasonNoInfo"), "no information", MS),
    row(
        1,
        "0x1",
        Some("disconnectReasonLocalNotError"),
        "local disconnection (not an error)",
        MS,
    ),
    row(
        2,
        "0x2",
        Some("disconnectReasonRemoteByUser"),
        "remote disconnection by user (not an error)",
        MS,
    ),
    row(
        3,
        "0x3",
        Some("disconnectReasonByServer"),
        "remote disconnection by server (not an error as such; session ended by server — check extended code)",
        MS,
    ),
    // 0x4 is what the Store "Remote Desktop" app and Windows App show with extended 0x0 (users'
    // reports: MicrosoftDocs/windowsserverdocs #6726 and #7025, neutrinolabs/xrdp #3015; audit
    // 2026-12 section 4). It is on no Microsoft table; read as a layer code it would say
    // "network layer, sub-code 0", which nothing supports.
    row(
        4,
        "0x4",
        None,
        "reported by the Store Remote Desktop app / Windows App (often with extended 0x0) when the connection ends during setup; undocumented, no layer meaning",
        COMM,
    ),
    row(
        260,
        "0x104",
        Some("disconnectReasonDNSLookupFailed"),
        "DNS name lookup failure",
        MS,
    ),
    row(
        262,
        "0x106",
        Some("disconnectReasonOutOfMemory"),
        "out of memory",
        MS,
    ),
    row(
        264,
        "0x108",
        Some("disconnectReasonConnectionTimedOut"),
        "connection timed out",
        MS,
    ),
    unverified(
        266,
        "0x10A",
        "smart-card / credential-related UI error (TechNet extra; exact text unverified)",
    ),
    row(
        516,
        "0x204",
        Some("disconnectReasonSocketConnectFailed"),
        "WinSock connect failed (nothing accepted the TCP connection: port closed/filtered, host down, RDP disabled)",
        MS,
    ),
    row(
        518,
        "0x206",
        Some("disconnectReasonOutOfMemory2"),
        "out of memory",
        MS,
    ),
    row(
        520,
        "0x208",
        Some("disconnectReasonHostNotFound"),
        "host not found",
        MS,
    ),
    unverified(
        522,
        "0x20A",
        "smart-card subsystem related (TechNet extra; unverified wording)",
    ),
    row(
        772,
        "0x304",
        Some("disconnectReasonWinsockSendFailed"),
        "WinSock send failed",
        MS,
    ),
    row(
        774,
        "0x306",
        Some("disconnectReasonOutOfMemory3"),
        "out of memory",
        MS,
    ),
    row(
        776,
        "0x308",
        Some("disconnectReasonInvalidIPAddr"),
        "invalid IP address",
        MS,
    ),
    unverified(778, "0x30A", "(TechNet extra, unverified wording)"),
    row(
        1028,
        "0x404",
        Some("disconnectReasonSocketRecvFailed"),
        "WinSock recv failed",
        MS,
    ),
    row(
        1030,
        "0x406",
        Some("disconnectReasonInvalidSecurityData"),
        "invalid security data",
        MS,
    ),
    row(
        1032,
        "0x408",
        Some("disconnectReasonInternalError"),
        "internal error",
        MS,
    ),
    unverified(1034, "0x40A", "(TechNet extra, unverified wording)"),
    row(
        1286,
        "0x506",
        Some("disconnectReasonInvalidEncryption"),
        "invalid encryption method",
        MS,
    ),
    row(
        1288,
        "0x508",
        Some("disconnectReasonDNSLookupFailed2"),
        "DNS lookup failed",
        MS,
    ),
    row(
        1540,
        "0x604",
        Some("disconnectReasonGetHostByNameFailed"),
        "gethostbyname failed / host not found",
        MS,
    ),
    row(
        1542,
        "0x606",
        Some("disconnectReasonInvalidServerSecurityInfo"),
        "invalid server security info",
        MS,
    ),
    row(
        1544,
        "0x608",
        Some("disconnectReasonTimerError"),
        "internal timer error",
        MS,
    ),
    row(
        1796,
        "0x704",
        Some("disconnectReasonTimeoutOccurred"),
        "time-out occurred",
        MS,
    ),
    row(
        1798,
        "0x706",
        Some("disconnectReasonServerCertificateUnpackErr"),
        "failed to unpack server certificate (seen with non-Windows servers, xrdp #195)",
        &[Source::MsDoc, Source::Community],
    ),
    row(
        1800,
        "0x708",
        None,
        "a console session is already in progress / loopback console connect",
        TN,
    ),
    row(
        2052,
        "0x804",
        Some("disconnectReasonInvalidIP"),
        "bad IP address",
        MS,
    ),
    row(
        2055,
        "0x807",
        Some("SSL_ERR_LOGON_FAILURE"),
        "logon failure (bad user name or password; NLA)",
        MS,
    ),
    row(
        2056,
        "0x808",
        Some("disconnectReasonLicensingFailed"),
        "licensing negotiation failed",
        MS,
    ),
    row(
        2308,
        "0x904",
        Some("disconnectReasonAtClientWinsockFDCLOSE"),
        "socket closed (FD_CLOSE)",
        MS,
    ),
    row(
        2310,
        "0x906",
        Some("disconnectReasonInternalSecurityError"),
        "internal security error",
        MS,
    ),
    row(
        2311,
        "0x907",
        None,
        "unexpected server authentication certificate received",
        TN,
    ),
    row(
        2312,
        "0x908",
        Some("disconnectReasonLicensingTimeout"),
        "licensing time-out",
        MS,
    ),
    row(
        2566,
        "0xA06",
        Some("disconnectReasonInternalSecurityError2"),
        "internal security error",
        MS,
    ),
    row(
        2567,
        "0xA07",
        Some("SSL_ERR_NO_SUCH_USER"),
        "user account does not exist (NLA)",
        &[Source::MsDoc, Source::TechNet],
    ),
    unverified(2820, "0xB04", "(TechNet extra; network/protocol)"),
    row(
        2822,
        "0xB06",
        Some("disconnectReasonEncryptionError"),
        "encryption error",
        MS,
    ),
    row(
        2823,
        "0xB07",
        Some("SSL_ERR_ACCOUNT_DISABLED"),
        "account disabled",
        &[Source::MsDoc, Source::TechNet],
    ),
    row(
        2825,
        "0xB09",
        None,
        "remote computer requires Network Level Authentication, which this client does not support",
        TN,
    ),
    row(
        3078,
        "0xC06",
        Some("disconnectReasonDecryptionError"),
        "decryption error",
        MS,
    ),
    row(
        3079,
        "0xC07",
        Some("SSL_ERR_ACCOUNT_RESTRICTION"),
        "account restriction (e.g. blank password, logon hours)",
        MS,
    ),
    row(
        3080,
        "0xC08",
        Some("disconnectReasonClientDecompressionError"),
        "decompression error",
        MS,
    ),
    row(
        3334,
        "0xD06",
        None,
        "protocol error (observed in community reports)",
        COMM,
    ),
    row(
        3335,
        "0xD07",
        Some("SSL_ERR_ACCOUNT_LOCKED_OUT"),
        "account locked out",
        MS,
    ),
    unverified(
        3337,
        "0xD09",
        "(TechNet extra, security policy related; unverified wording)",
    ),
    row(
        3590,
        "0xE06",
        None,
        "client does not support the FIPS encryption level required by the server",
        TN,
    ),
    row(
        3591,
        "0xE07",
        Some("SSL_ERR_ACCOUNT_EXPIRED"),
        "account expired",
        MS,
    ),
    row(
        3592,
        "0xE08",
        None,
        "failed to reconnect to the remote session",
        TN,
    ),
    row(
        3593,
        "0xE09",
        None,
        "remote PC does not support Restricted Administration mode",
        TN,
    ),
    row(
        3847,
        "0xF07",
        Some("SSL_ERR_PASSWORD_EXPIRED"),
        "password expired",
        MS,
    ),
    row(
        3848,
        "0xF08",
        None,
        "connection could not be established because credentials may not be sent (delegation/credential policy)",
        TN,
    ),
    unverified(4103, "0x1007", "(TechNet extra, SSL class)"),
    unverified(4104, "0x1008", "(TechNet extra; UI class)"),
    row(
        4356,
        "0x1104",
        None,
        "protocol error detected at the client: bad TPKT version → something that is not an RDP server answered on the port (stascorp/rdpwrap #363)",
        &[Source::SrcHist, Source::Community],
    ),
    unverified(4359, "0x1107", "(TechNet extra, SSL class)"),
    row(
        4360,
        "0x1108",
        None,
        "reconnect/auto-reconnect failed (observed; 1Remote #108)",
        COMM,
    ),
    row(
        4615,
        "0x1207",
        Some("SSL_ERR_PASSWORD_MUST_CHANGE"),
        "user must change password before logging on",
        MS,
    ),
    unverified(4871, "0x1307", "(TechNet extra, SSL class)"),
    unverified(
        5127,
        "0x1407",
        "(TechNet extra, SSL class; Kerberos/KDC related per TechNet — unverified wording)",
    ),
    row(
        5639,
        "0x1607",
        Some("SSL_ERR_DELEGATION_POLICY"),
        "delegation policy does not allow credential delegation",
        MS,
    ),
    row(
        5895,
        "0x1707",
        Some("SSL_ERR_POLICY_NTLM_ONLY"),
        "policy only allows NTLM / \"fresh credentials with NTLM only\"",
        MS,
    ),
    row(
        6151,
        "0x1807",
        Some("SSL_ERR_NO_AUTHENTICATING_AUTHORITY"),
        "no authenticating authority could be contacted",
        MS,
    ),
    row(
        6919,
        "0x1B07",
        Some("SSL_ERR_CERT_EXPIRED"),
        "server certificate expired/invalid or time skew; \"certificate expired\"",
        &[Source::TechNet, Source::MsDoc],
    ),
    row(
        7175,
        "0x1C07",
        Some("SSL_ERR_SMARTCARD_WRONG_PIN"),
        "wrong smart-card PIN",
        MS,
    ),
    row(
        7431,
        "0x1D07",
        None,
        "time difference between client and server",
        TN,
    ),
    row(
        8455,
        "0x2107",
        Some("SSL_ERR_FRESH_CRED_REQUIRED_BY_SERVER"),
        "fresh credentials required",
        MS,
    ),
    row(
        8711,
        "0x2207",
        Some("SSL_ERR_SMARTCARD_CARD_BLOCKED"),
        "smart card blocked",
        &[Source::TechNet, Source::MsDoc],
    ),
    unverified(9479, "0x2507", "(TechNet extra, SSL class)"),
    row(
        9732,
        "0x2604",
        None,
        "client and server versions do not match (client needs update)",
        TN,
    ),
    row(33554433, "0x2000001", None, "RemoteApp-specific failure", TN),
    row(33554434, "0x2000002", None, "RemoteApp-specific failure", TN),
    row(
        50331673,
        "0x3000019",
        None,
        "RD Gateway administrator ended the connection",
        TN,
    ),
    row(
        50331721,
        "0x3000049",
        None,
        "the client needs to be updated (RD Gateway)",
        TN,
    ),
];

/// Ranges of disconnect reasons whose members the guide does not list one by one.
pub static DISCONNECT_RANGES: &[CodeRange] = &[CodeRange {
    start: 50331649,
    end: 50331728,
    start_hex: "0x3000001",
    end_hex: "0x3000050",
    name: None,
    meaning: "RD Gateway family (e.g. 50331673 \"RD Gateway administrator ended the connection\", 50331721 \"the client needs to be updated\")",
    sources: TN,
}];

/// The `SSL_ERR_*` sub-codes of the OnDisconnected page (class 0x07: TLS / CredSSP / NLA).
pub static SSL_ERR_SUBCODES: &[DisconnectReason] = &[
    row(0x807, "0x807", Some("SSL_ERR_LOGON_FAILURE"), "logon failure", MS),
    row(0xA07, "0xA07", Some("SSL_ERR_NO_SUCH_USER"), "no such user", MS),
    row(
        0xB07,
        "0xB07",
        Some("SSL_ERR_ACCOUNT_DISABLED"),
        "account disabled",
        MS,
    ),
    row(
        0xC07,
        "0xC07",
        Some("SSL_ERR_ACCOUNT_RESTRICTION"),
        "account restriction",
        MS,
    ),
    row(
        0xD07,
        "0xD07",
        Some("SSL_ERR_ACCOUNT_LOCKED_OUT"),
        "locked out",
        MS,
    ),
    row(
        0xE07,
        "0xE07",
        Some("SSL_ERR_ACCOUNT_EXPIRED"),
        "account expired",
        MS,
    ),
    row(
        0xF07,
        "0xF07",
        Some("SSL_ERR_PASSWORD_EXPIRED"),
        "password expired",
        MS,
    ),
    row(
        0x1207,
        "0x1207",
        Some("SSL_ERR_PASSWORD_MUST_CHANGE"),
        "password must change",
        MS,
    ),
    row(
        0x1607,
        "0x1607",
        Some("SSL_ERR_DELEGATION_POLICY"),
        "delegation policy",
        MS,
    ),
    row(
        0x1707,
        "0x1707",
        Some("SSL_ERR_POLICY_NTLM_ONLY"),
        "NTLM-only policy",
        MS,
    ),
    row(
        0x1807,
        "0x1807",
        Some("SSL_ERR_NO_AUTHENTICATING_AUTHORITY"),
        "no authority",
        MS,
    ),
    row(
        0x1B07,
        "0x1B07",
        Some("SSL_ERR_CERT_EXPIRED"),
        "certificate expired",
        MS,
    ),
    row(
        0x1C07,
        "0x1C07",
        Some("SSL_ERR_SMARTCARD_WRONG_PIN"),
        "smart-card wrong PIN",
        MS,
    ),
    row(
        0x2107,
        "0x2107",
        Some("SSL_ERR_FRESH_CRED_REQUIRED_BY_SERVER"),
        "fresh credentials required",
        MS,
    ),
    row(
        0x2207,
        "0x2207",
        Some("SSL_ERR_SMARTCARD_CARD_BLOCKED"),
        "smart card blocked",
        MS,
    ),
];

/// Codes seen in reports that the guide found in no official or historical list (§1.7, §8.6).
pub static UNSOURCED_DISCONNECT_CODES: &[DisconnectReason] = &[
    DisconnectReason {
        code: 1287,
        hex: "0x507",
        name: None,
        meaning: "not found in any official or historical list",
        sources: &[Source::Unverified],
        unverified: true,
    },
    DisconnectReason {
        code: 1302,
        hex: "0x516",
        name: None,
        meaning: "not found in any official or historical list; its low byte 0x16 is not a valid class of the layer decoding, probably a typo for another code",
        sources: &[Source::Unverified],
        unverified: true,
    },
    DisconnectReason {
        code: 9223,
        hex: "0x2407",
        name: None,
        meaning: "not found in any official or historical list",
        sources: &[Source::Unverified],
        unverified: true,
    },
];

/// The documented disconnect reason with this value, if any (§1.7).
pub fn disconnect_reason(code: u32) -> Option<&'static DisconnectReason> {
    find_by_code(DISCONNECT_REASONS, code, |r| r.code)
}

/// The `SSL_ERR_*` entry with this value, if any.
pub fn ssl_err_subcode(code: u32) -> Option<&'static DisconnectReason> {
    find_by_code(SSL_ERR_SUBCODES, code, |r| r.code)
}

/// The range of disconnect reasons this value falls in, if any (RD Gateway family).
pub fn disconnect_range(code: u32) -> Option<&'static CodeRange> {
    DISCONNECT_RANGES.iter().find(|r| r.contains(code))
}

/// The entry for a code that was reported somewhere but has no source, if it is one.
pub fn unsourced_disconnect_code(code: u32) -> Option<&'static DisconnectReason> {
    find_by_code(UNSOURCED_DISCONNECT_CODES, code, |r| r.code)
}
