//! The event model the EVTX writer takes: what a Windows event *is*, independent of encoding.
//!
//! Shapes follow what Windows writes (see ../shared/docs/design.md, "EVTX as Windows writes
//! it"): every event is an instance of the System template; the payload is named EventData,
//! classic unnamed Data + Binary, or a UserData tree.

use chrono::{DateTime, Utc};

/// A GUID as Windows stores it (the first three fields little-endian on disk).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Guid {
    /// Data1.
    pub d1: u32,
    /// Data2.
    pub d2: u16,
    /// Data3.
    pub d3: u16,
    /// Data4.
    pub d4: [u8; 8],
}

impl Guid {
    /// Parses `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` (braces optional, any case).
    pub fn parse(s: &str) -> Option<Guid> {
        let s = s.trim().trim_start_matches('{').trim_end_matches('}');
        let parts: Vec<&str> = s.split('-').collect();
        if parts.len() != 5
            || [8, 4, 4, 4, 12]
                != [
                    parts[0].len(),
                    parts[1].len(),
                    parts[2].len(),
                    parts[3].len(),
                    parts[4].len(),
                ]
        {
            return None;
        }
        let d1 = u32::from_str_radix(parts[0], 16).ok()?;
        let d2 = u16::from_str_radix(parts[1], 16).ok()?;
        let d3 = u16::from_str_radix(parts[2], 16).ok()?;
        let tail = format!("{}{}", parts[3], parts[4]);
        let mut d4 = [0u8; 8];
        for (i, b) in d4.iter_mut().enumerate() {
            *b = u8::from_str_radix(tail.get(i * 2..i * 2 + 2)?, 16).ok()?;
        }
        Some(Guid { d1, d2, d3, d4 })
    }

    /// Builds a GUID from 16 bytes in display order (as a random source would give them).
    pub fn from_display_bytes(b: [u8; 16]) -> Guid {
        Guid {
            d1: u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            d2: u16::from_be_bytes([b[4], b[5]]),
            d3: u16::from_be_bytes([b[6], b[7]]),
            d4: [b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]],
        }
    }

    /// The 16 bytes as stored on disk (Data1..3 little-endian).
    pub fn to_le_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[0..4].copy_from_slice(&self.d1.to_le_bytes());
        out[4..6].copy_from_slice(&self.d2.to_le_bytes());
        out[6..8].copy_from_slice(&self.d3.to_le_bytes());
        out[8..16].copy_from_slice(&self.d4);
        out
    }
}

impl std::fmt::Display for Guid {
    /// Upper-case with braces, as Windows renders GUIDs in event XML.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.d4;
        write!(
            f,
            "{{{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}",
            self.d1, self.d2, self.d3, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]
        )
    }
}

/// A Windows security identifier, e.g. `S-1-5-20`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sid {
    /// Revision (always 1).
    pub revision: u8,
    /// 48-bit identifier authority.
    pub authority: u64,
    /// Sub-authorities (at most 15).
    pub sub_authorities: Vec<u32>,
}

impl Sid {
    /// Parses `S-1-5-21-...`.
    pub fn parse(s: &str) -> Option<Sid> {
        let mut it = s.trim().split('-');
        if !it.next()?.eq_ignore_ascii_case("S") {
            return None;
        }
        let revision = it.next()?.parse().ok()?;
        let authority = it.next()?.parse().ok()?;
        let sub_authorities: Vec<u32> = it.map(|p| p.parse().ok()).collect::<Option<_>>()?;
        if sub_authorities.len() > 15 || authority >= 1 << 48 {
            return None;
        }
        Some(Sid {
            revision,
            authority,
            sub_authorities,
        })
    }
}

impl std::fmt::Display for Sid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S-{}-{}", self.revision, self.authority)?;
        for s in &self.sub_authorities {
            write!(f, "-{s}")?;
        }
        Ok(())
    }
}

/// A typed value, stored with the BinXml value type Windows uses for it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NullType: an absent optional value (renders as empty / omitted).
    Null,
    /// StringType (UTF-16LE).
    String(String),
    /// AnsiStringType.
    AnsiString(String),
    /// Int8Type.
    Int8(i8),
    /// UInt8Type.
    UInt8(u8),
    /// Int16Type.
    Int16(i16),
    /// UInt16Type.
    UInt16(u16),
    /// Int32Type.
    Int32(i32),
    /// UInt32Type.
    UInt32(u32),
    /// Int64Type.
    Int64(i64),
    /// UInt64Type.
    UInt64(u64),
    /// BoolType (stored as 32-bit).
    Boolean(bool),
    /// BinaryType.
    Binary(Vec<u8>),
    /// GuidType.
    Guid(Guid),
    /// SizeTType stored as 64-bit (renders as hex, like HexInt64).
    SizeT(u64),
    /// FileTimeType.
    FileTime(DateTime<Utc>),
    /// SysTimeType.
    SystemTime(DateTime<Utc>),
    /// SidType.
    Sid(Sid),
    /// HexInt32Type (renders `0x...`).
    HexInt32(u32),
    /// HexInt64Type (renders `0x...`).
    HexInt64(u64),
}

/// The event's provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    /// `Provider Name`, e.g. `Microsoft-Windows-TerminalServices-ClientActiveXCore`.
    pub name: String,
    /// `Provider Guid`, if the provider is manifest-based.
    pub guid: Option<Guid>,
    /// `EventSourceName`, for classic (event-message-file) sources such as `TermService`.
    pub event_source_name: Option<String>,
}

/// One attribute or child of a UserData element.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// A typed value (text content).
    Value(Value),
}

/// An XML element of a UserData tree (RCM, LSM, CAPI2 use these).
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    /// Element name, e.g. `EventXML`, `listenerName`.
    pub name: String,
    /// Attributes; `xmlns` is an ordinary attribute here, as in BinXml.
    pub attributes: Vec<(String, Value)>,
    /// Child elements and text.
    pub children: Vec<Node>,
}

impl Element {
    /// An element with no attributes or children.
    pub fn new(name: impl Into<String>) -> Element {
        Element {
            name: name.into(),
            attributes: Vec::new(),
            children: Vec::new(),
        }
    }
    /// Adds an attribute.
    pub fn attr(mut self, name: impl Into<String>, value: Value) -> Element {
        self.attributes.push((name.into(), value));
        self
    }
    /// Adds a child element.
    pub fn child(mut self, e: Element) -> Element {
        self.children.push(Node::Element(e));
        self
    }
    /// Adds a child element holding one value: `<name>value</name>`.
    pub fn leaf(self, name: impl Into<String>, value: Value) -> Element {
        let mut e = Element::new(name);
        e.children.push(Node::Value(value));
        self.child(e)
    }
}

/// The event's payload.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// No EventData at all (e.g. RdpCoreTS 98, 102).
    None,
    /// `<EventData>` with `<Data Name="...">` children, in order. `name` optionally sets the
    /// `Name` attribute of `<EventData>` itself (User Profiles Service uses it).
    EventData {
        /// `<EventData Name=...>` attribute, rarely used.
        name: Option<String>,
        /// (Data Name, value) pairs.
        data: Vec<(String, Value)>,
    },
    /// Classic events: unnamed `<Data>` values and an optional `<Binary>`.
    Classic {
        /// Unnamed Data values.
        data: Vec<Value>,
        /// Binary blob.
        binary: Option<Vec<u8>>,
    },
    /// `<UserData>` holding one element tree.
    UserData(Element),
}

/// One event record, as an application sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Provider.
    pub provider: Provider,
    /// EventID.
    pub event_id: u16,
    /// EventID Qualifiers (classic events, e.g. 49152).
    pub qualifiers: Option<u16>,
    /// Version.
    pub version: u8,
    /// Level (1 critical, 2 error, 3 warning, 4 information).
    pub level: u8,
    /// Task.
    pub task: u16,
    /// Opcode.
    pub opcode: u8,
    /// Keywords.
    pub keywords: u64,
    /// TimeCreated SystemTime, UTC (FILETIME precision: 100 ns).
    pub time_created: DateTime<Utc>,
    /// Correlation ActivityID.
    pub activity_id: Option<Guid>,
    /// Correlation RelatedActivityID.
    pub related_activity_id: Option<Guid>,
    /// Execution ProcessID.
    pub process_id: u32,
    /// Execution ThreadID.
    pub thread_id: u32,
    /// Channel, e.g. `System`.
    pub channel: String,
    /// Computer (FQDN as Windows writes it).
    pub computer: String,
    /// Security UserID.
    pub user_id: Option<Sid>,
    /// Payload.
    pub payload: Payload,
}
