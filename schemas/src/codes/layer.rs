//! Layer decoding of disconnect reasons: field guide §1.2.
//!
//! In the WS2003-era client a disconnect reason is a 16-bit value whose **low byte is the error
//! class (which layer failed)** and whose **high byte is a sub-code within that layer**
//! [SRC-HIST]. The documented modern values follow the same pattern (2308 = 0x904, 3080 = 0xC08),
//! so the decoding is a useful heuristic, not a guarantee: current clients may differ.

use schemars::JsonSchema;
use serde::Serialize;

use super::{DisconnectReason, Source, find_by_code};

/// The layer a disconnect reason's low byte names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    /// 0x01: local disconnect, not an error.
    Local,
    /// 0x02: remote disconnect by the user, not an error.
    RemoteByUser,
    /// 0x03: remote disconnect by the server.
    RemoteByServer,
    /// 0x04: NL, the network layer (TD/socket, XT/X.224, MCS, NC).
    Network,
    /// 0x06: SL, RDP standard ("legacy") security layer.
    LegacySecurity,
    /// 0x07: SSL / CredSSP (NLA) layer, the `SSL_ERR_*` codes.
    SslCredssp,
    /// 0x08: UI layer (client UI, licensing).
    Ui,
    /// 0x09: security negotiation: the server requires what the client does not offer (NLA,
    /// Restricted Administration) [inference from the documented 0xB09 and 0xE09 texts].
    SecurityNegotiation,
    /// 0x0A: smart card / credential UI [inference from the TechNet 0x10A and 0x20A texts,
    /// themselves unverified].
    CredentialUi,
    /// Any other low byte, or a value that is not a 16-bit reason.
    Unknown,
}

/// One class of the historical decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LayerClass {
    /// The low byte.
    pub class_byte: u8,
    /// The layer it names.
    pub layer: Layer,
    /// What a code of this class means.
    pub meaning: &'static str,
}

/// The classes of §1.2, sorted by low byte.
pub static LAYER_CLASSES: &[LayerClass] = &[
    LayerClass {
        class_byte: 0x01,
        layer: Layer::Local,
        meaning: "local, not an error",
    },
    LayerClass {
        class_byte: 0x02,
        layer: Layer::RemoteByUser,
        meaning: "remote by user",
    },
    LayerClass {
        class_byte: 0x03,
        layer: Layer::RemoteByServer,
        meaning: "remote by server",
    },
    LayerClass {
        class_byte: 0x04,
        layer: Layer::Network,
        meaning: "network layer (TD/socket, XT/X.224, MCS, NC): a transport/network-layer event",
    },
    LayerClass {
        class_byte: 0x06,
        layer: Layer::LegacySecurity,
        meaning: "RDP standard security layer (legacy RDP security)",
    },
    LayerClass {
        class_byte: 0x07,
        layer: Layer::SslCredssp,
        meaning: "SSL / CredSSP (NLA) layer: TLS, CredSSP, NLA (SSL_ERR_*)",
    },
    LayerClass {
        class_byte: 0x08,
        layer: Layer::Ui,
        meaning: "UI layer: client UI / licensing",
    },
    LayerClass {
        class_byte: 0x09,
        layer: Layer::SecurityNegotiation,
        meaning: "security negotiation: the server requires a protocol the client does not offer (NLA 0xB09, Restricted Admin 0xE09) [inference from documented codes]",
    },
    LayerClass {
        class_byte: 0x0A,
        layer: Layer::CredentialUi,
        meaning: "smart card / credential UI (0x10A, 0x20A, 0x30A, 0x40A) [inference from TechNet codes, unverified]",
    },
];

/// Which part of the network layer a 0x04-class code comes from, by the high nibble of its
/// sub-code: the guide lists TD 0x01-0x0A, XT 0x11-0x13, MCS 0x21-0x29, NC 0x31-0x3A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkComponent {
    /// TD: the socket (transport driver): DNS, connect, send, recv, FD_CLOSE, timers.
    Td,
    /// XT: X.224 / TPKT.
    Xt,
    /// MCS: T.125 multipoint communication service.
    Mcs,
    /// NC: node controller (GCC conference setup).
    Nc,
}

impl NetworkComponent {
    /// The abbreviation the WS2003 headers use: `TD`, `XT`, `MCS`, `NC`.
    pub fn label(self) -> &'static str {
        match self {
            NetworkComponent::Td => "TD",
            NetworkComponent::Xt => "XT",
            NetworkComponent::Mcs => "MCS",
            NetworkComponent::Nc => "NC",
        }
    }
}

/// A disconnect reason taken apart by the historical decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LayerDecoding {
    /// The decoded value.
    pub code: u32,
    /// Low byte: the class.
    pub class_byte: u8,
    /// High byte of the 16-bit value: the sub-code within the layer.
    pub sub_code: u8,
    /// The layer the class names.
    pub layer: Layer,
    /// What the layer means.
    pub layer_meaning: &'static str,
    /// For the network layer: the component the sub-code belongs to (inferred from its range).
    pub network_component: Option<NetworkComponent>,
    /// The meaning of this exact code in the WS2003 client's per-layer headers, if listed.
    pub historical_meaning: Option<&'static str>,
    /// False when the value does not fit in 16 bits (e.g. RD Gateway 0x3000049): the decoding
    /// does not apply then.
    pub applies: bool,
    /// Always `src-hist`: a heuristic from the WS2003 client source.
    pub source: Source,
}

const HIST: &[Source] = &[Source::SrcHist];

const fn sub(code: u32, hex: &'static str, meaning: &'static str) -> DisconnectReason {
    DisconnectReason {
        code,
        hex,
        name: None,
        meaning,
        sources: HIST,
        unverified: false,
    }
}

/// Per-layer codes the guide quotes from the WS2003 client headers (§1.2), sorted by code.
pub static HISTORICAL_SUBCODES: &[DisconnectReason] = &[
    sub(0x104, "0x104", "NL: DNS lookup failed"),
    sub(0x106, "0x106", "SL: out of memory"),
    sub(0x108, "0x108", "UI: connection timeout"),
    sub(0x204, "0x204", "NL: socket connect failed"),
    sub(0x208, "0x208", "UI: host not found"),
    sub(0x304, "0x304", "NL: send failed"),
    sub(0x308, "0x308", "UI: invalid IP"),
    sub(0x404, "0x404", "NL: recv failed"),
    sub(0x406, "0x406", "SL: invalid security data"),
    sub(0x408, "0x408", "UI: internal error"),
    sub(0x506, "0x506", "SL: invalid encryption method"),
    sub(0x508, "0x508", "UI: DNS lookup"),
    sub(0x604, "0x604", "NL: gethostbyname failed"),
    sub(0x606, "0x606", "SL: invalid server security info"),
    sub(0x608, "0x608", "UI: timer error"),
    sub(0x704, "0x704", "NL: timer fired (timeout)"),
    sub(0x706, "0x706", "SL: cannot unpack server certificate"),
    sub(0x708, "0x708", "UI: loopback/console connect"),
    sub(0x804, "0x804", "NL: bad IP"),
    sub(0x808, "0x808", "UI: licensing negotiation failed"),
    sub(0x904, "0x904", "NL: FD_CLOSE received from WinSock"),
    sub(0x906, "0x906", "SL: internal security error"),
    sub(0x908, "0x908", "UI: licensing timeout"),
    sub(0xA04, "0xA04", "NL: ANSI conversion"),
    sub(0xA06, "0xA06", "SL: internal security error"),
    sub(0xB06, "0xB06", "SL: encryption error"),
    sub(0xC06, "0xC06", "SL: decryption error"),
    sub(0xC08, "0xC08", "UI: decompression error"),
    sub(0x1104, "0x1104", "NL/XT: bad TPKT version"),
    sub(0x1204, "0x1204", "NL/XT: bad XT header"),
    sub(0x1304, "0x1304", "NL/XT: unexpected data"),
    sub(0x3A04, "0x3A04", "NL/NC: version mismatch"),
];

/// The historical per-layer entry for this exact code, if the guide quotes one.
pub fn historical_subcode(code: u32) -> Option<&'static DisconnectReason> {
    find_by_code(HISTORICAL_SUBCODES, code, |r| r.code)
}

/// Takes a disconnect reason apart: low byte = class/layer, high byte = sub-code (§1.2).
///
/// A heuristic from the WS2003 client [SRC-HIST]: useful to say "transport event" for an
/// undocumented `..04` code, not proof of what a current client meant.
pub fn decode_layer(code: u32) -> LayerDecoding {
    let applies = code <= 0xFFFF;
    let class_byte = (code & 0xFF) as u8;
    let sub_code = ((code >> 8) & 0xFF) as u8;
    // 0x4 alone (sub-code 0) is the Store app's code, not "network layer" (audit section 4).
    let class = if applies && code != 4 {
        LAYER_CLASSES.iter().find(|c| c.class_byte == class_byte)
    } else {
        None
    };
    let (layer, layer_meaning) = match class {
        Some(c) => (c.layer, c.meaning),
        None if !applies => (
            Layer::Unknown,
            "not a 16-bit client disconnect reason: the layer decoding does not apply",
        ),
        None if code == 0 => (Layer::Unknown, "no class (0 = no information)"),
        None if code == 4 => (
            Layer::Unknown,
            "0x4 is an app-level code of the Store app / Windows App, not a layer code",
        ),
        None => (Layer::Unknown, "low byte is not a known class"),
    };
    let network_component = match (layer, sub_code >> 4) {
        (Layer::Network, 0x0) => Some(NetworkComponent::Td),
        (Layer::Network, 0x1) => Some(NetworkComponent::Xt),
        (Layer::Network, 0x2) => Some(NetworkComponent::Mcs),
        (Layer::Network, 0x3) => Some(NetworkComponent::Nc),
        _ => None,
    };
    LayerDecoding {
        code,
        class_byte,
        sub_code,
        layer,
        layer_meaning,
        network_component,
        historical_meaning: historical_subcode(code).map(|s| s.meaning),
        applies,
        source: Source::SrcHist,
    }
}
