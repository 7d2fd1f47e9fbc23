//! One structured explanation of a disconnect code and its extended code (`rdpdiag explain`).
//!
//! The notes carry what the tables alone would get wrong, above all field guide §1.4: with
//! 0x904 the extended code 7 is often made up by the client itself.

use std::borrow::Cow;
use std::fmt;

use schemars::JsonSchema;
use serde::Serialize;

use super::{
    CodeRange, DisconnectReason, ExtendedKind, ExtendedReasonInfo, LayerDecoding, Source, decode_layer,
    disconnect_range, disconnect_reason, extended_reason, hex, ssl_err_subcode, unsourced_disconnect_code,
};

/// Stable ids of the notes [`explain`] can add, for rules and tests to refer to.
pub mod note_ids {
    /// 0x904: TCP was connected, then closed from the far side.
    pub const FDCLOSE: &str = "fdclose-connected-then-closed";
    /// 0x904 + 7/8: the client may have synthesized the extended code.
    pub const EXT7_SYNTHESIZED: &str = "ext7-synthesized-by-client";
    /// 0x904 + 7/8: not proof the server refused; the parties that produce it.
    pub const EXT7_NOT_PROOF: &str = "ext7-not-proof-of-refusal";
    /// 0x904 + 7: what the WS2003 client assumed when it made up 7.
    pub const EXT7_CLIENT_GUESS: &str = "ext7-client-guess";
    /// 0x904 + 7/8: current clients not verified.
    pub const EXT7_CURRENT_CLIENTS_UNVERIFIED: &str = "ext7-current-clients-unverified";
    /// 0x904 + 8: FIPS variant.
    pub const EXT8_FIPS: &str = "ext8-fips-variant";
    /// 0x904 + 0: closed after the connection was established.
    pub const EXT0_AFTER_CONNECT: &str = "ext0-after-connect";
    /// 0x904 without an extended code: ask for it.
    pub const EXT_MISSING: &str = "ext-missing";
    /// Connect-pending failures move on to the next resolved address.
    pub const NEXT_RESOLVED_ADDRESS: &str = "next-resolved-address";
    /// 0x904 during setup: did the TCP connection reach TermService?
    pub const TRIAGE_REACHED_TERMSERVICE: &str = "triage-reached-termservice";
    /// Extended code in the protocol range: read the server's event log.
    pub const EXT_PROTOCOL_RANGE: &str = "ext-protocol-range";
    /// exDiscReasonLogoffByUser is 12, not 2 (MicrosoftDocs typo).
    pub const EXT_LOGOFF_BY_USER_IS_12: &str = "ext-logoff-by-user-is-12";
    /// The disconnect code is in no documented table.
    pub const UNDOCUMENTED_CODE: &str = "undocumented-code";
    /// The disconnect code was reported somewhere but has no source.
    pub const UNSOURCED_CODE: &str = "unsourced-code";
    /// The row's wording is unverified.
    pub const UNVERIFIED_WORDING: &str = "unverified-wording";
    /// An unknown decimal value whose digits read as hex give a known code (904 vs 0x904).
    pub const MAYBE_MEANT_HEX: &str = "maybe-meant-hex";
}

/// A remark that goes with an explanation, tagged like the table rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Note {
    /// Stable id (see [`note_ids`]).
    pub id: &'static str,
    /// The remark, one paragraph.
    pub text: Cow<'static, str>,
    /// Where it comes from.
    pub sources: &'static [Source],
    /// The field guide marks it unverified.
    pub unverified: bool,
}

impl Note {
    const fn fixed(id: &'static str, text: &'static str, sources: &'static [Source]) -> Note {
        Note {
            id,
            text: Cow::Borrowed(text),
            sources,
            unverified: false,
        }
    }
}

/// Everything known about a disconnect code and (optionally) its extended code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Explanation {
    /// The disconnect code, decimal.
    pub code: u32,
    /// The disconnect code in hex, e.g. `0x904`.
    pub hex: String,
    /// The documented disconnect reason, if any.
    pub disconnect_reason: Option<&'static DisconnectReason>,
    /// The `SSL_ERR_*` entry with this value, if any (class 0x07 codes).
    pub ssl_err: Option<&'static DisconnectReason>,
    /// The range the code falls in, if any (RD Gateway family).
    pub disconnect_range: Option<&'static CodeRange>,
    /// Set when the code was reported somewhere but no list has it.
    pub unsourced: Option<&'static DisconnectReason>,
    /// The historical layer decoding (a heuristic).
    pub layer: LayerDecoding,
    /// The extended code, when one was given.
    pub extended: Option<ExtendedReasonInfo>,
    /// Remarks that matter for diagnosis, most important first.
    pub notes: Vec<Note>,
}

impl Explanation {
    /// The best one-line meaning of the disconnect code, if any is known.
    pub fn meaning(&self) -> Option<&'static str> {
        self.disconnect_reason
            .or(self.ssl_err)
            .map(|r| r.meaning)
            .or(self.disconnect_range.map(|r| r.meaning))
            .or(self.layer.historical_meaning)
    }

    /// Whether a note with this id (see [`note_ids`]) is present.
    pub fn has_note(&self, id: &str) -> bool {
        self.notes.iter().any(|n| n.id == id)
    }
}

const FDCLOSE: Note = Note::fixed(
    note_ids::FDCLOSE,
    "0x904 (2308) means the client's TCP connection had been established and was then closed or reset \
     from the far side (WinSock FD_CLOSE). Had nothing accepted the connection the code would be 0x204; \
     a time-out gives 0x108 or 0x704. The code does not say which party closed the connection.",
    &[Source::MsDoc, Source::SrcHist],
);

const EXT7_SYNTHESIZED: Note = Note::fixed(
    note_ids::EXT7_SYNTHESIZED,
    "The client itself may have made up the extended code: when the socket closes (0x904) while the \
     connection is still being set up and no error info has come from the server, the client sets \
     SERVER_DENIED_CONNECTION (7) itself, or its FIPS variant (8) when it uses FIPS encryption. Read \
     0x904/0x7 as: TCP was connected, then closed by the far side before the RDP connection finished \
     setting up, with no reason supplied by the server.",
    &[Source::SrcHist],
);

const EXT7_NOT_PROOF: Note = Note::fixed(
    note_ids::EXT7_NOT_PROOF,
    "So this is not proof that the RDP server refused the connection. Any party that accepts TCP and \
     then drops it produces the same pair: the RDP listener aborting a TLS/CredSSP handshake, a \
     firewall, IPS or antivirus proxying TCP, an RDP proxy, bastion or gateway, a load balancer, a VPN \
     with MTU black-holing that eventually resets, or a non-RDP service on the port.",
    &[Source::SrcHist],
);

const EXT7_CLIENT_GUESS: Note = Note::fixed(
    note_ids::EXT7_CLIENT_GUESS,
    "The WS2003 client source calls this a deliberate guess: early in the handshake the server cannot \
     send a status, so an unexpected close was taken to mean that connections are disabled or policy \
     forbids new ones, that the maximum number of connections was exceeded, or a network error.",
    &[Source::SrcHist],
);

const EXT7_CURRENT_CLIENTS_UNVERIFIED: Note = Note {
    id: note_ids::EXT7_CURRENT_CLIENTS_UNVERIFIED,
    text: Cow::Borrowed(
        "Whether current mstsc / MSRDC / Windows App still synthesize the extended code this way is \
         unverified (no modern source); the observed frequency of 0x904/0x7 for network, certificate and \
         proxy problems is consistent with it.",
    ),
    sources: &[Source::Unverified],
    unverified: true,
};

const EXT8_FIPS: Note = Note::fixed(
    note_ids::EXT8_FIPS,
    "Extended 8 with 0x904 is the same situation as 0x7 with the client using FIPS encryption (the \
     client sets 8 instead of 7). Error info 8 means the client requires FIPS but the server does not \
     understand FIPS: compare FIPSAlgorithmPolicy and the TLS settings of both sides.",
    &[Source::SrcHist],
);

const EXT0_AFTER_CONNECT: Note = Note::fixed(
    note_ids::EXT0_AFTER_CONNECT,
    "No extended information with 0x904: the close happened after the client considered the \
     connection established (e.g. right after logon), not during setup. Seen e.g. with third-party \
     remote-access software hooking the RDP stack on the target (RustDesk 1.2.7 and later, \
     rustdesk/rustdesk #10125).",
    &[Source::Community],
);

const EXT_MISSING: Note = Note::fixed(
    note_ids::EXT_MISSING,
    "Give the extended code too: with 0x7 (0x8 under FIPS) the close came during connection setup \
     with no reason from the server; with 0x0 it came after the connection was established.",
    &[Source::SrcHist, Source::Community],
);

const NEXT_RESOLVED_ADDRESS: Note = Note::fixed(
    note_ids::NEXT_RESOLVED_ADDRESS,
    "While still connecting, the client moves on to the next resolved IP address of the host before \
     reporting failure: when the name has several A/AAAA records, check which address the failing \
     attempt used.",
    &[Source::SrcHist],
);

const TRIAGE_REACHED_TERMSERVICE: Note = Note::fixed(
    note_ids::TRIAGE_REACHED_TERMSERVICE,
    "Next: look on the server for RdpCoreTS 131 and RCM 261 from the client's address at the failure \
     time. Present: the RDP server itself closed during X.224/TLS/CredSSP/licensing setup (look for \
     Schannel and TermService certificate events, RCM 1006). Absent: something else accepted and \
     closed the TCP connection (firewall/IPS/AV, proxy, load balancer, port-forward, another service \
     on the port), or the client reached another machine; first check that the server's log was not \
     rolled over or cleared.",
    &[Source::Sample],
);

const EXT_PROTOCOL_RANGE: Note = Note::fixed(
    note_ids::EXT_PROTOCOL_RANGE,
    "Extended codes 4096-32767 are protocol-specific server errors: look in the server's event log at \
     the failure time.",
    &[Source::MsDoc],
);

const EXT_LOGOFF_BY_USER_IS_12: Note = Note::fixed(
    note_ids::EXT_LOGOFF_BY_USER_IS_12,
    "exDiscReasonLogoffByUser is 12 (0xC); the MicrosoftDocs/win32 page has a typo giving it 2, which \
     is exDiscReasonAPIInitiatedLogoff.",
    &[Source::MsDoc],
);

const UNVERIFIED_WORDING: Note = Note {
    id: note_ids::UNVERIFIED_WORDING,
    text: Cow::Borrowed(
        "The wording of this code is unverified (a TechNet extra no source confirms): do not build on it.",
    ),
    sources: &[Source::Unverified],
    unverified: true,
};

/// Explains a disconnect code and, if given, its extended code.
///
/// Never fails: unknown codes get their layer decoding and a note saying they are undocumented.
pub fn explain(code: u32, ext: Option<u32>) -> Explanation {
    let disconnect = disconnect_reason(code);
    let ssl_err = ssl_err_subcode(code);
    let range = disconnect_range(code);
    let unsourced = unsourced_disconnect_code(code);
    let layer = decode_layer(code);
    let extended = ext.map(extended_reason);
    let mut notes = Vec::new();

    if disconnect.is_some_and(|r| r.unverified) {
        notes.push(UNVERIFIED_WORDING);
    }
    if let Some(u) = unsourced {
        notes.push(Note {
            id: note_ids::UNSOURCED_CODE,
            text: Cow::Owned(format!(
                "{} ({}) appears in reports, but {}.",
                u.hex, u.code, u.meaning
            )),
            sources: &[Source::Unverified],
            unverified: true,
        });
    }
    if disconnect.is_none() && ssl_err.is_none() && range.is_none() && unsourced.is_none() {
        notes.extend(undocumented(code, &layer));
    }

    if code == 0x904 {
        notes.push(FDCLOSE);
        match ext {
            Some(7) | Some(8) => {
                notes.push(EXT7_SYNTHESIZED);
                notes.push(EXT7_NOT_PROOF);
                if ext == Some(8) {
                    notes.push(EXT8_FIPS);
                } else {
                    notes.push(EXT7_CLIENT_GUESS);
                }
                notes.push(EXT7_CURRENT_CLIENTS_UNVERIFIED);
                notes.push(NEXT_RESOLVED_ADDRESS);
                notes.push(TRIAGE_REACHED_TERMSERVICE);
            }
            Some(0) => notes.push(EXT0_AFTER_CONNECT),
            None => {
                notes.push(EXT_MISSING);
                notes.push(TRIAGE_REACHED_TERMSERVICE);
            }
            Some(_) => {}
        }
    }

    if let Some(x) = &extended {
        if x.range.is_some_and(|r| r.start == 0x1000) {
            notes.push(EXT_PROTOCOL_RANGE);
        }
        if x.code == 2 || x.code == 12 {
            notes.push(EXT_LOGOFF_BY_USER_IS_12);
        }
        if x.kind == ExtendedKind::Unknown {
            notes.push(Note {
                id: note_ids::UNDOCUMENTED_CODE,
                text: Cow::Owned(format!(
                    "Extended code {} ({}) is in no documented table or range.",
                    x.hex, x.code
                )),
                sources: &[],
                unverified: false,
            });
        }
    }

    Explanation {
        code,
        hex: hex(code),
        disconnect_reason: disconnect,
        ssl_err,
        disconnect_range: range,
        unsourced,
        layer,
        extended,
        notes,
    }
}

/// Notes for a disconnect code no table has: what the layer decoding says, and whether the
/// user probably typed hex digits without `0x`.
fn undocumented(code: u32, layer: &LayerDecoding) -> Vec<Note> {
    let mut text = format!("{} ({code}) is not in the documented tables.", hex(code));
    let mut sources: &'static [Source] = &[];
    if let Some(h) = layer.historical_meaning {
        text.push_str(&format!(" The WS2003 client headers name it: {h}."));
        sources = &[Source::SrcHist];
    } else if layer.applies && layer.layer != super::Layer::Unknown {
        text.push_str(&format!(
            " By the historical layer decoding it is a {} code (class 0x{:02X}, sub-code 0x{:02X}); a heuristic only.",
            layer.layer_meaning, layer.class_byte, layer.sub_code
        ));
        sources = &[Source::SrcHist];
    }
    let mut notes = vec![Note {
        id: note_ids::UNDOCUMENTED_CODE,
        text: Cow::Owned(text),
        sources,
        unverified: false,
    }];
    // "904" typed for "0x904": the decimal digits, read as hex, name a documented code.
    if let Ok(as_hex) = u32::from_str_radix(&code.to_string(), 16)
        && let Some(r) = disconnect_reason(as_hex)
    {
        notes.push(Note {
                id: note_ids::MAYBE_MEANT_HEX,
                text: Cow::Owned(format!(
                    "Did you mean {} ({}: {})? Digits without 0x, a trailing h or a letter a-f are read as decimal.",
                    r.hex, r.code, r.meaning
                )),
                sources: &[],
                unverified: false,
            });
    }
    notes
}

impl fmt::Display for Explanation {
    /// Plain text for `rdpdiag explain`: codes, meanings with their source tags, notes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tags = |s: &[Source]| {
            s.iter()
                .map(|s| format!("[{}]", s.tag()))
                .collect::<Vec<_>>()
                .join("")
        };
        write!(f, "Error code {} ({})", self.hex, self.code)?;
        match self.disconnect_reason.or(self.ssl_err).or(self.unsourced) {
            Some(r) => {
                write!(f, ": {} {}", r.meaning, tags(r.sources))?;
                if let Some(name) = r.name {
                    write!(f, "\n  name: {name}")?;
                }
            }
            None => match self.disconnect_range {
                Some(r) => write!(f, ": {} {}", r.meaning, tags(r.sources))?,
                None => write!(f, ": not documented")?,
            },
        }
        let l = &self.layer;
        if l.applies {
            write!(
                f,
                "\n  layer: {} (class 0x{:02X}, sub-code 0x{:02X}",
                l.layer_meaning, l.class_byte, l.sub_code
            )?;
            if let Some(c) = l.network_component {
                write!(f, ", {}", c.label())?;
            }
            write!(f, ") [{}] heuristic", l.source.tag())?;
        }
        if let Some(x) = &self.extended {
            write!(f, "\nExtended error code {} ({})", x.hex, x.code)?;
            let own_meaning = x
                .reason
                .map(|r| r.meaning)
                .or(x.server_error_info.map(|e| e.meaning));
            match (x.name(), own_meaning) {
                (Some(n), Some(m)) => write!(f, ": {n}: {m}")?,
                (None, Some(m)) => write!(f, ": {m}")?,
                _ if x.range.is_some() => write!(f, ": no entry of its own")?,
                _ => write!(f, ": not documented")?,
            }
            if let Some(r) = x.reason {
                write!(f, " {}", tags(r.sources))?;
            }
            if let Some(e) = x.server_error_info {
                write!(f, "\n  server errorInfo: {} {}", e.name, tags(e.sources))?;
            }
            if let Some(r) = x.range {
                write!(
                    f,
                    "\n  range {}-{}: {} {}",
                    r.start_hex,
                    r.end_hex,
                    r.meaning,
                    tags(r.sources)
                )?;
            }
        }
        for n in &self.notes {
            write!(f, "\n- {}", n.text)?;
            if !n.sources.is_empty() {
                write!(f, " {}", tags(n.sources))?;
            }
        }
        Ok(())
    }
}
