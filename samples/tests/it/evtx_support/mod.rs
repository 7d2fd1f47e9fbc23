//! Shared helpers of the EVTX writer tests: a deterministic event generator covering every
//! shape and value type, the XML tree each reader should render for an event, a small XML
//! parser for the readers' output, and reading a file back with the evtx crate.
#![allow(dead_code)]

use std::fmt::Write as _;

use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use rdpdiag_samples::evtx::{Element, Event, Guid, Payload, Provider, Sid, Value};

// ---------------------------------------------------------------------------------------------
// Event generator
// ---------------------------------------------------------------------------------------------

/// SplitMix64: the generator only needs reproducible variety.
pub struct Mix(u64);

impl Mix {
    pub fn new(seed: u64) -> Mix {
        Mix(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    pub fn guid(&mut self) -> Guid {
        let a = self.next().to_be_bytes();
        let b = self.next().to_be_bytes();
        let mut g = [0u8; 16];
        g[..8].copy_from_slice(&a);
        g[8..].copy_from_slice(&b);
        Guid::from_display_bytes(g)
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    pub fn sid(&mut self) -> Sid {
        let n = self.below(6) as usize;
        Sid {
            revision: 1,
            authority: self.pick(&[0u64, 1, 5, 16, 0x0000_ffff_ffff_ffff]),
            sub_authorities: (0..n).map(|_| self.next() as u32).collect(),
        }
    }
}

/// First event time of generated files.
pub fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 14, 9, 26, 53).single().unwrap()
}

/// Number of distinct shapes [`event`] produces (`i % SHAPES` picks the shape).
pub const SHAPES: u64 = 13;

const COMPUTERS: [&str; 3] = ["RDSH01.contoso.local", "DESKTOP-8BGEHIF", "SRV-ZÜRICH-東京"];
const RCM: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager";
const RCM_GUID: &str = "{C76BAA63-AE81-421C-B425-340B4B24157F}";
const CORE: &str = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS";
const CORE_GUID: &str = "{1139C61B-B549-4251-8ED3-27250A1EDEC8}";

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

/// Event number `i` of the generated stream for `seed`: deterministic, so a test can rebuild
/// any event from its index instead of keeping 200,000 of them in memory.
pub fn event(seed: u64, i: u64) -> Event {
    let mut r = Mix::new(seed ^ i.wrapping_mul(0xD1B5_4A32_D192_ED03));
    // Strictly increasing, 100 ns aligned (FILETIME precision).
    let time = base_time()
        + Duration::milliseconds(i as i64 * 37)
        + Duration::nanoseconds(r.below(300_000) as i64 * 100);
    let mut e = Event {
        provider: Provider {
            name: CORE.into(),
            guid: Guid::parse(CORE_GUID),
            event_source_name: None,
        },
        event_id: 0,
        qualifiers: None,
        version: r.below(3) as u8,
        level: r.below(6) as u8,
        task: r.below(20) as u16,
        opcode: r.below(20) as u8,
        keywords: r.next(),
        time_created: time,
        activity_id: r.chance(60).then(|| r.guid()),
        related_activity_id: r.chance(10).then(|| r.guid()),
        process_id: r.below(70_000) as u32,
        thread_id: r.below(70_000) as u32,
        channel: "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational".into(),
        computer: r.pick(&COMPUTERS).to_string(),
        user_id: r.chance(70).then(|| r.sid()),
        payload: Payload::None,
    };
    match i % SHAPES {
        0 => {
            e.provider = Provider {
                name: RCM.into(),
                guid: Guid::parse(RCM_GUID),
                event_source_name: None,
            };
            e.channel = format!("{RCM}/Operational");
            e.event_id = 261;
            e.payload = Payload::UserData(
                Element::new("EventXML")
                    .attr("xmlns", s("Event_NS"))
                    .leaf("listenerName", s(r.pick(&["RDP-Tcp", "RDP-Tcp-2", "Console"]))),
            );
        }
        1 => {
            e.provider = Provider {
                name: RCM.into(),
                guid: Guid::parse(RCM_GUID),
                event_source_name: None,
            };
            e.channel = format!("{RCM}/Operational");
            e.event_id = 1149;
            e.payload = Payload::UserData(
                Element::new("EventXML")
                    .attr(
                        "xmlns:auto-ns2",
                        s("http://schemas.microsoft.com/win/2004/08/events"),
                    )
                    .attr("xmlns", s("Event_NS"))
                    .leaf("Param1", s(r.pick(&["mpowers", "administrator", "jdoe"])))
                    .leaf("Param2", s(r.pick(&["CONTOSO", "", "MAGNETIC-DESKTO"])))
                    .leaf(
                        "Param3",
                        s(&format!("10.{}.{}.{}", r.below(256), r.below(256), r.below(256))),
                    ),
            );
        }
        2 => {
            e.event_id = 131;
            e.payload = Payload::EventData {
                name: None,
                data: vec![
                    ("ConnType".into(), s(r.pick(&["TCP", "UDP"]))),
                    (
                        "ClientIP".into(),
                        s(&format!(
                            "192.168.{}.{}:{}",
                            r.below(256),
                            r.below(256),
                            r.below(65536)
                        )),
                    ),
                ],
            };
        }
        3 => {
            e.event_id = 226;
            e.payload = Payload::EventData {
                name: None,
                data: vec![
                    ("StateTransition".into(), s("RDP_TCP")),
                    ("PreviousState".into(), Value::UInt32(r.below(30) as u32)),
                    ("PreviousStateName".into(), s("StateUnknown")),
                    ("NewState".into(), Value::UInt32(21)),
                    ("NewStateName".into(), s("StateDisconnected")),
                    ("Event".into(), Value::UInt32(43)),
                    ("EventName".into(), s("Event_Disconnect")),
                    (
                        "ErrorCode".into(),
                        Value::HexInt32(r.pick(&[0x8007_0040u32, 0x8009_030D, 0x5, 0])),
                    ),
                ],
            };
        }
        4 => {
            e.provider = Provider {
                name: RCM.into(),
                guid: Guid::parse(RCM_GUID),
                event_source_name: Some("TermService".into()),
            };
            e.channel = "System".into();
            e.event_id = 1056;
            e.qualifiers = Some(49152);
            e.keywords = 0x0080_0000_0000_0000;
            e.user_id = None;
            e.activity_id = None;
            e.payload = Payload::Classic {
                data: vec![s(r.pick(&COMPUTERS))],
                binary: Some(r.bytes(20)),
            };
        }
        5 => {
            e.provider = Provider {
                name: "TermService".into(),
                guid: None,
                event_source_name: Some("TermService".into()),
            };
            e.channel = "System".into();
            e.event_id = r.pick(&[1057u16, 1058, 1059]);
            e.qualifiers = Some(r.pick(&[0u16, 16384, 32768, 49152]));
            let n = r.below(4) as usize;
            let data = (0..n)
                .map(|k| match k {
                    1 => Value::Null,
                    2 => s(""),
                    _ => s(r.pick(&["Keyset does not exist", "Access is denied.", "0x8009030d"])),
                })
                .collect();
            let binary = match r.below(3) {
                0 => None,
                1 => Some(Vec::new()),
                _ => {
                    let n = 1 + r.below(64) as usize;
                    Some(r.bytes(n))
                }
            };
            e.payload = Payload::Classic { data, binary };
        }
        6 => {
            e.provider = Provider {
                name: "TermDD".into(),
                guid: None,
                event_source_name: Some("TermDD".into()),
            };
            e.channel = "System".into();
            e.event_id = 56;
            e.qualifiers = Some(49152);
            e.payload = Payload::Classic {
                data: vec![
                    Value::UInt32(r.below(1000) as u32),
                    s("\\Device\\Termdd"),
                    Value::HexInt32(0xC000_0001),
                    Value::Null,
                ],
                binary: r.chance(50).then(|| r.bytes(40)),
            };
        }
        7 => {
            e.provider = Provider {
                name: "Rdpdiag-AllTypes".into(),
                guid: r.chance(50).then(|| r.guid()),
                event_source_name: None,
            };
            e.channel = "Application".into();
            e.event_id = 4242;
            e.payload = Payload::EventData {
                name: None,
                data: all_type_values(&mut r),
            };
        }
        8 => {
            e.provider = Provider {
                name: "Microsoft-Windows-CAPI2".into(),
                guid: Guid::parse("{5bbca4a8-b209-48dc-a8c7-b23d3e5216fb}"),
                event_source_name: None,
            };
            e.channel = "Microsoft-Windows-CAPI2/Operational".into();
            e.event_id = 70;
            e.payload = Payload::UserData(capi2_tree(&mut r));
        }
        9 => {
            e.event_id = 102;
            e.payload = Payload::None;
        }
        10 => {
            e.provider = Provider {
                name: "Microsoft-Windows-User Profiles Service".into(),
                guid: Guid::parse("{89b1e9f0-5aff-44a6-9b44-0a07a7ce5845}"),
                event_source_name: None,
            };
            e.channel = "Application".into();
            e.event_id = 1530;
            e.payload = Payload::EventData {
                name: Some("EVENT_HIVE_LEAK".into()),
                data: vec![(
                    "Detail".into(),
                    s(
                        "1 user registry handles leaked from \\Registry\\User\\S-1-5-21-1-1000:\nProcess 432 (\\Device\\HarddiskVolume2\\Windows\\System32\\winlogon.exe) has opened key \\REGISTRY\\USER\\S-1-5-21-1-1000",
                    ),
                )],
            };
        }
        11 => {
            // Large records: chunks fill up at uneven points.
            e.event_id = 228;
            let len = 500 + r.below(6000) as usize;
            let msg: String = (0..len)
                .map(|k| (b'a' + ((k as u64 + r.below(3)) % 26) as u8) as char)
                .collect();
            e.payload = Payload::EventData {
                name: None,
                data: vec![
                    ("ComponentName".into(), s("CUMRDPConnection")),
                    ("Message".into(), s(&msg)),
                    ("ErrorCode".into(), Value::UInt32(5)),
                ],
            };
        }
        _ => {
            e.provider = Provider {
                name: "Microsoft-Windows-Security-Auditing".into(),
                guid: Guid::parse("{54849625-5478-4994-A5BA-3E3B0328C30D}"),
                event_source_name: None,
            };
            e.channel = "Security".into();
            e.event_id = 4625;
            e.keywords = 0x8010_0000_0000_0000;
            e.payload = Payload::EventData {
                name: None,
                data: vec![
                    (
                        "SubjectUserSid".into(),
                        Value::Sid(Sid::parse("S-1-5-18").unwrap()),
                    ),
                    ("SubjectLogonId".into(), Value::HexInt64(0x3e7)),
                    ("TargetUserSid".into(), Value::Sid(Sid::parse("S-1-0-0").unwrap())),
                    (
                        "TargetUserName".into(),
                        s(r.pick(&["administrator", "svc6test1"])),
                    ),
                    ("Status".into(), Value::HexInt32(0xc000_006d)),
                    ("SubStatus".into(), Value::HexInt32(0xc000_0064)),
                    ("LogonType".into(), Value::UInt32(r.pick(&[3u32, 10]))),
                    ("LogonProcessName".into(), s("NtLmSsp ")),
                    ("TransmittedServices".into(), s("-")),
                    ("LmPackageName".into(), s("-")),
                    ("KeyLength".into(), Value::UInt32(0)),
                    ("ProcessId".into(), Value::HexInt64(0)),
                    ("IpAddress".into(), s("192.168.198.149")),
                    ("IpPort".into(), s("50249")),
                ],
            };
        }
    }
    e
}

/// One `<Data>` per value type, with edge values.
pub fn all_type_values(r: &mut Mix) -> Vec<(String, Value)> {
    let t = base_time() + Duration::nanoseconds(r.below(10_000_000_000) as i64 * 100);
    let st = Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 58).single().unwrap()
        + Duration::milliseconds(r.below(2000) as i64);
    let blob_len = 1 + r.below(40) as usize;
    vec![
        ("Null".into(), Value::Null),
        ("String".into(), s("Zürich – 東京 😀 <&> 'q' \"dq\"")),
        ("EmptyString".into(), s("")),
        ("AnsiString".into(), Value::AnsiString("ANSI text 123".into())),
        ("Int8".into(), Value::Int8(-128 + r.below(3) as i8)),
        ("UInt8".into(), Value::UInt8(255)),
        ("Int16".into(), Value::Int16(-32768)),
        ("UInt16".into(), Value::UInt16(65535)),
        ("Int32".into(), Value::Int32(i32::MIN + r.below(5) as i32)),
        ("UInt32".into(), Value::UInt32(u32::MAX)),
        ("Int64".into(), Value::Int64(i64::MIN)),
        ("UInt64".into(), Value::UInt64(u64::MAX - r.below(5))),
        ("BooleanTrue".into(), Value::Boolean(true)),
        ("BooleanFalse".into(), Value::Boolean(false)),
        ("Binary".into(), Value::Binary(r.bytes(blob_len))),
        ("Guid".into(), Value::Guid(r.guid())),
        ("SizeT".into(), Value::SizeT(0x0000_7ff6_1234_5678)),
        ("FileTime".into(), Value::FileTime(t)),
        ("SystemTime".into(), Value::SystemTime(st)),
        (
            "Sid".into(),
            Value::Sid(Sid::parse("S-1-5-21-3623811015-3361044348-30300820-1013").unwrap()),
        ),
        ("SidService".into(), Value::Sid(Sid::parse("S-1-5-20").unwrap())),
        ("HexInt32".into(), Value::HexInt32(0x8009_030D)),
        ("HexInt32Small".into(), Value::HexInt32(0x5)),
        (
            "HexInt64".into(),
            Value::HexInt64(0x0080_0000_0000_0000 | r.below(16)),
        ),
    ]
}

/// A CAPI2/Operational 70-like tree: attributes of many types, nested elements, mixed content.
pub fn capi2_tree(r: &mut Mix) -> Element {
    let mut flags = Element::new("Flags")
        .attr("value", Value::HexInt32(0x10000))
        .attr("CRYPT_ACQUIRE_ALLOW_NCRYPT_KEY_FLAG", Value::Boolean(true));
    if r.chance(50) {
        flags = flags.attr("Extra", Value::Null);
    }
    let mut note = Element::new("Note").attr("kind", s("mixed"));
    note.children
        .push(rdpdiag_samples::evtx::Node::Value(s("before")));
    note = note.leaf("Inner", Value::UInt16(7));
    note.children
        .push(rdpdiag_samples::evtx::Node::Value(Value::Int32(-3)));
    Element::new("CryptAcquireCertificatePrivateKey")
        .child(
            Element::new("Certificate")
                .attr("fileRef", s("3CD6B0EFAF68549EFE9ED2316426FCD7FF81A6A8.cer"))
                .attr(
                    "subjectName",
                    s(r.pick(&["wec02.offsec.lan", "rdsh01.contoso.local"])),
                ),
        )
        .child(flags)
        .child(Element::new("EventAuxInfo").attr("ProcessName", s(r.pick(&["svchost.exe", "mimikatz.exe"]))))
        .child(
            Element::new("CorrelationAuxInfo")
                .attr("TaskId", Value::Guid(r.guid()))
                .attr("SeqNumber", Value::UInt32(r.below(100) as u32)),
        )
        .child(
            Element::new("Result")
                .attr("value", Value::UInt32(0))
                .attr("hr", Value::HexInt32(0x8009_0016)),
        )
        .child(note)
        .child(Element::new("Empty").attr("blank", s("")))
}

// ---------------------------------------------------------------------------------------------
// XML trees
// ---------------------------------------------------------------------------------------------

/// A parsed XML element.
#[derive(Debug, Clone, PartialEq)]
pub struct XElem {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<XNode>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum XNode {
    Elem(XElem),
    Text(String),
}

impl XElem {
    pub fn child(&self, name: &str) -> Option<&XElem> {
        self.elements().find(|e| e.name == name)
    }
    pub fn elements(&self) -> impl Iterator<Item = &XElem> {
        self.children.iter().filter_map(|c| match c {
            XNode::Elem(e) => Some(e),
            XNode::Text(_) => None,
        })
    }
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|c| match c {
                XNode::Text(t) => Some(t.as_str()),
                XNode::Elem(_) => None,
            })
            .collect()
    }
    /// Element names and attribute names, recursively, values left out: the *structure*.
    pub fn skeleton(&self) -> String {
        let mut out = String::new();
        self.skeleton_into(&mut out, 0);
        out
    }
    fn skeleton_into(&self, out: &mut String, depth: usize) {
        let attrs: Vec<&str> = self.attrs.iter().map(|(n, _)| n.as_str()).collect();
        let _ = writeln!(out, "{}{} [{}]", "  ".repeat(depth), self.name, attrs.join(","));
        for e in self.elements() {
            e.skeleton_into(out, depth + 1);
        }
    }
}

/// Parses the readers' XML output: prolog, elements, attributes, text, entity and character
/// references. Whitespace-only text inside elements that have child elements is indentation
/// and dropped; empty text is dropped.
pub fn parse_xml(s: &str) -> Result<XElem, String> {
    let mut p = XmlParser {
        s: s.as_bytes(),
        src: s,
        i: 0,
    };
    p.skip_misc();
    let root = p.element()?;
    p.skip_misc();
    if p.i != p.s.len() {
        return Err(format!(
            "trailing data at {}: {:?}",
            p.i,
            &s[p.i..s.len().min(p.i + 40)]
        ));
    }
    Ok(root)
}

struct XmlParser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

impl XmlParser<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn skip_misc(&mut self) {
        loop {
            self.skip_ws();
            if self.src[self.i..].starts_with("<?") {
                match self.src[self.i..].find("?>") {
                    Some(k) => self.i += k + 2,
                    None => return,
                }
            } else if self.src[self.i..].starts_with("<!--") {
                match self.src[self.i..].find("-->") {
                    Some(k) => self.i += k + 3,
                    None => return,
                }
            } else {
                return;
            }
        }
    }
    fn name(&mut self) -> String {
        let start = self.i;
        while self.i < self.s.len()
            && !matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r' | b'=' | b'>' | b'/')
        {
            self.i += 1;
        }
        self.src[start..self.i].to_string()
    }
    fn element(&mut self) -> Result<XElem, String> {
        if self.s.get(self.i) != Some(&b'<') {
            return Err(format!("expected '<' at {}", self.i));
        }
        self.i += 1;
        let name = self.name();
        let mut attrs = Vec::new();
        loop {
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b'/') => {
                    self.i += 2;
                    return Ok(XElem {
                        name,
                        attrs,
                        children: Vec::new(),
                    });
                }
                Some(b'>') => {
                    self.i += 1;
                    break;
                }
                Some(_) => {
                    let an = self.name();
                    self.skip_ws();
                    if self.s.get(self.i) != Some(&b'=') {
                        return Err(format!("expected '=' after attribute {an} at {}", self.i));
                    }
                    self.i += 1;
                    self.skip_ws();
                    let q = self.s[self.i];
                    self.i += 1;
                    let start = self.i;
                    while self.i < self.s.len() && self.s[self.i] != q {
                        self.i += 1;
                    }
                    let v = unescape(&self.src[start..self.i])?;
                    self.i += 1;
                    attrs.push((an, v));
                }
                None => return Err("unexpected end in start tag".into()),
            }
        }
        let mut children = Vec::new();
        let mut text = String::new();
        loop {
            if self.i >= self.s.len() {
                return Err(format!("unclosed element {name}"));
            }
            if self.s[self.i] == b'<' {
                if !text.is_empty() {
                    children.push(XNode::Text(unescape(&text)?));
                    text.clear();
                }
                if self.s.get(self.i + 1) == Some(&b'/') {
                    self.i += 2;
                    let end = self.name();
                    if end != name {
                        return Err(format!("</{end}> closes <{name}>"));
                    }
                    self.skip_ws();
                    self.i += 1;
                    break;
                }
                children.push(XNode::Elem(self.element()?));
            } else {
                let start = self.i;
                while self.i < self.s.len() && self.s[self.i] != b'<' {
                    self.i += 1;
                }
                text.push_str(&self.src[start..self.i]);
            }
        }
        let has_elements = children.iter().any(|c| matches!(c, XNode::Elem(_)));
        children.retain(|c| match c {
            XNode::Text(t) => !(t.is_empty() || has_elements && t.trim().is_empty()),
            XNode::Elem(_) => true,
        });
        Ok(XElem {
            name,
            attrs,
            children,
        })
    }
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(k) = rest.find('&') {
        out.push_str(&rest[..k]);
        let semi = rest[k..]
            .find(';')
            .ok_or_else(|| format!("unterminated entity in {s:?}"))?;
        let ent = &rest[k + 1..k + semi];
        let c = match ent {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ if ent.starts_with("#x") => u32::from_str_radix(&ent[2..], 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or("bad char ref")?,
            _ if ent.starts_with('#') => ent[1..]
                .parse::<u32>()
                .ok()
                .and_then(char::from_u32)
                .ok_or("bad char ref")?,
            _ => return Err(format!("unknown entity &{ent};")),
        };
        out.push(c);
        rest = &rest[k + semi + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// What the readers should render
// ---------------------------------------------------------------------------------------------

/// An expected element: attribute and text values keep their model type, so each reader's
/// rendering can be checked (the readers format types differently).
#[derive(Debug, Clone)]
pub struct TElem {
    pub name: String,
    pub attrs: Vec<(String, Value)>,
    pub children: Vec<TNode>,
}

#[derive(Debug, Clone)]
pub enum TNode {
    Elem(TElem),
    Text(Value),
}

fn telem(name: &str, attrs: Vec<(&str, Value)>, children: Vec<TNode>) -> TElem {
    TElem {
        name: name.into(),
        attrs: attrs.into_iter().map(|(n, v)| (n.to_string(), v)).collect(),
        children,
    }
}

fn leaf(name: &str, v: Value) -> TNode {
    TNode::Elem(telem(name, vec![], vec![TNode::Text(v)]))
}

/// The tree a reader renders for `e` written with record identifier `id`. Optional System
/// values that are absent are left out (attribute or element), like Windows renders them.
/// Classic string data is given as one `<Data>` per string (the evtx crate's rendering of the
/// string array).
pub fn expected_tree(e: &Event, id: u64) -> TElem {
    let opt = |name: &'static str, v: Option<Value>| v.map(|v| (name, v));
    let mut provider_attrs = vec![("Name", s(&e.provider.name))];
    provider_attrs.extend(opt("Guid", e.provider.guid.map(Value::Guid)));
    provider_attrs.extend(opt(
        "EventSourceName",
        e.provider.event_source_name.as_deref().map(s),
    ));
    let mut correlation = Vec::new();
    correlation.extend(opt("ActivityID", e.activity_id.map(Value::Guid)));
    correlation.extend(opt("RelatedActivityID", e.related_activity_id.map(Value::Guid)));
    let system = telem(
        "System",
        vec![],
        vec![
            TNode::Elem(telem("Provider", provider_attrs, vec![])),
            TNode::Elem(telem(
                "EventID",
                opt("Qualifiers", e.qualifiers.map(Value::UInt16))
                    .into_iter()
                    .collect(),
                vec![TNode::Text(Value::UInt16(e.event_id))],
            )),
            leaf("Version", Value::UInt8(e.version)),
            leaf("Level", Value::UInt8(e.level)),
            leaf("Task", Value::UInt16(e.task)),
            leaf("Opcode", Value::UInt8(e.opcode)),
            leaf("Keywords", Value::HexInt64(e.keywords)),
            TNode::Elem(telem(
                "TimeCreated",
                vec![("SystemTime", Value::FileTime(e.time_created))],
                vec![],
            )),
            leaf("EventRecordID", Value::UInt64(id)),
            TNode::Elem(telem("Correlation", correlation, vec![])),
            TNode::Elem(telem(
                "Execution",
                vec![
                    ("ProcessID", Value::UInt32(e.process_id)),
                    ("ThreadID", Value::UInt32(e.thread_id)),
                ],
                vec![],
            )),
            leaf("Channel", s(&e.channel)),
            leaf("Computer", s(&e.computer)),
            TNode::Elem(telem(
                "Security",
                opt("UserID", e.user_id.clone().map(Value::Sid))
                    .into_iter()
                    .collect(),
                vec![],
            )),
        ],
    );
    let payload = match &e.payload {
        Payload::None => telem("EventData", vec![], vec![]),
        Payload::EventData { name, data } => telem(
            "EventData",
            opt("Name", name.as_deref().map(s)).into_iter().collect(),
            data.iter()
                .map(|(n, v)| TNode::Elem(telem("Data", vec![("Name", s(n))], vec![TNode::Text(v.clone())])))
                .collect(),
        ),
        Payload::Classic { data, binary } => {
            let mut children: Vec<TNode> = data
                .iter()
                .map(|v| match v {
                    Value::Null => leaf("Data", s("")),
                    other => leaf("Data", other.clone()),
                })
                .collect();
            if let Some(b) = binary {
                children.push(leaf("Binary", Value::Binary(b.clone())));
            }
            telem("EventData", vec![], children)
        }
        Payload::UserData(root) => telem("UserData", vec![], vec![TNode::Elem(user_tree(root))]),
    };
    telem(
        "Event",
        vec![(
            "xmlns",
            s("http://schemas.microsoft.com/win/2004/08/events/event"),
        )],
        vec![TNode::Elem(system), TNode::Elem(payload)],
    )
}

fn user_tree(el: &Element) -> TElem {
    TElem {
        name: el.name.clone(),
        // The evtx crate leaves out attributes whose value renders empty (NullType, "").
        attrs: el
            .attributes
            .iter()
            .filter(|(_, v)| !render_evtx(v).is_empty())
            .cloned()
            .collect(),
        children: el
            .children
            .iter()
            .map(|c| match c {
                rdpdiag_samples::evtx::Node::Element(e) => TNode::Elem(user_tree(e)),
                rdpdiag_samples::evtx::Node::Value(v) => TNode::Text(v.clone()),
            })
            .collect(),
    }
}

/// FILETIME precision: 100 ns.
pub fn truncate_100ns(t: &DateTime<Utc>) -> DateTime<Utc> {
    t.with_nanosecond(t.nanosecond() / 100 * 100).unwrap()
}

/// How the evtx crate (0.15.1) renders a value in XML.
pub fn render_evtx(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(x) | Value::AnsiString(x) => x.clone(),
        Value::Int8(x) => x.to_string(),
        Value::UInt8(x) => x.to_string(),
        Value::Int16(x) => x.to_string(),
        Value::UInt16(x) => x.to_string(),
        Value::Int32(x) => x.to_string(),
        Value::UInt32(x) => x.to_string(),
        Value::Int64(x) => x.to_string(),
        Value::UInt64(x) => x.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Binary(b) => b.iter().map(|x| format!("{x:02X}")).collect(),
        // Lower-case in braces (Windows' own renderer uses upper case; the reader does not).
        Value::Guid(g) => g.to_string().to_ascii_lowercase(),
        // SizeT is stored as HexInt64, so it renders as hex.
        Value::SizeT(x) | Value::HexInt64(x) => format!("0x{x:x}"),
        Value::HexInt32(x) => format!("0x{x:x}"),
        Value::FileTime(t) => format!("{}.{:07}Z", t.format("%Y-%m-%dT%H:%M:%S"), t.nanosecond() / 100),
        // SYSTEMTIME keeps milliseconds.
        Value::SystemTime(t) => format!(
            "{}.{:03}0000Z",
            t.format("%Y-%m-%dT%H:%M:%S"),
            t.nanosecond() / 1_000_000
        ),
        Value::Sid(x) => x.to_string(),
    }
}

/// Compares a reader's tree with the expected one; `render` says how the reader formats a
/// typed value, `value_eq` may relax the comparison (e.g. precision). Returns the first
/// difference, with its path.
pub fn diff_tree(
    exp: &TElem,
    got: &XElem,
    value_eq: &dyn Fn(&Value, &str) -> bool,
    path: &str,
) -> Option<String> {
    let path = format!("{path}/{}", exp.name);
    if exp.name != got.name {
        return Some(format!(
            "{path}: element {:?} where {:?} was expected",
            got.name, exp.name
        ));
    }
    let exp_names: Vec<&str> = exp.attrs.iter().map(|(n, _)| n.as_str()).collect();
    let got_names: Vec<&str> = got.attrs.iter().map(|(n, _)| n.as_str()).collect();
    if exp_names != got_names {
        return Some(format!(
            "{path}: attributes {got_names:?}, expected {exp_names:?}"
        ));
    }
    for ((n, ev), (_, gv)) in exp.attrs.iter().zip(&got.attrs) {
        if !value_eq(ev, gv) {
            return Some(format!("{path}@{n}: {gv:?} does not render {ev:?}"));
        }
    }
    // Text children: compare the concatenated text (empty text is absent in the parse).
    let exp_elems: Vec<&TElem> = exp
        .children
        .iter()
        .filter_map(|c| match c {
            TNode::Elem(e) => Some(e),
            TNode::Text(_) => None,
        })
        .collect();
    let got_elems: Vec<&XElem> = got.elements().collect();
    let exp_texts: Vec<&Value> = exp
        .children
        .iter()
        .filter_map(|c| match c {
            TNode::Text(v) => Some(v),
            TNode::Elem(_) => None,
        })
        .collect();
    let got_texts: Vec<&str> = got
        .children
        .iter()
        .filter_map(|c| match c {
            XNode::Text(t) => Some(t.as_str()),
            XNode::Elem(_) => None,
        })
        .collect();
    if exp_elems.is_empty() {
        // Leaf: one text (possibly empty) expected.
        let got_text = got_texts.concat();
        match exp_texts.as_slice() {
            [] if got_text.is_empty() => {}
            [v] if value_eq(v, &got_text) => {}
            _ => return Some(format!("{path}: text {got_text:?} does not render {exp_texts:?}")),
        }
    } else {
        // Mixed content: the non-empty texts in order.
        let exp_nonempty: Vec<&&Value> = exp_texts
            .iter()
            .filter(|v| !matches!(v, Value::Null) && !matches!(v, Value::String(x) if x.is_empty()))
            .collect();
        if exp_nonempty.len() != got_texts.len()
            || exp_nonempty.iter().zip(&got_texts).any(|(v, g)| !value_eq(v, g))
        {
            return Some(format!("{path}: texts {got_texts:?} do not render {exp_texts:?}"));
        }
    }
    if exp_elems.len() != got_elems.len() {
        let g: Vec<&str> = got_elems.iter().map(|e| e.name.as_str()).collect();
        let x: Vec<&str> = exp_elems.iter().map(|e| e.name.as_str()).collect();
        return Some(format!("{path}: children {g:?}, expected {x:?}"));
    }
    exp_elems
        .iter()
        .zip(got_elems)
        .find_map(|(x, g)| diff_tree(x, g, value_eq, &path))
}

// ---------------------------------------------------------------------------------------------
// Reading back with the evtx crate
// ---------------------------------------------------------------------------------------------

/// One record as the evtx crate returns it.
#[derive(Debug)]
pub struct ReadRecord {
    pub id: u64,
    /// Record header timestamp, nanoseconds since the Unix epoch.
    pub timestamp_ns: i128,
    pub xml: String,
}

/// Parses `data` with checksum validation and one thread; every record or the first error.
pub fn read_with_evtx(data: Vec<u8>) -> Result<(Vec<ReadRecord>, usize), String> {
    use evtx::{EvtxParser, ParserSettings};
    let settings = ParserSettings::default()
        .num_threads(1)
        .validate_checksums(true)
        .indent(false);
    let mut parser = EvtxParser::from_buffer(data)
        .map_err(|e| e.to_string())?
        .with_configuration(settings.clone());
    let mut chunks = 0;
    for c in parser.chunks() {
        let mut c = c.map_err(|e| format!("chunk {chunks}: {e}"))?;
        c.parse(std::sync::Arc::new(settings.clone()))
            .map_err(|e| format!("chunk {chunks}: {e}"))?;
        chunks += 1;
    }
    let mut out = Vec::new();
    for r in parser.records() {
        let r = r.map_err(|e| e.to_string())?;
        out.push(ReadRecord {
            id: r.event_record_id,
            timestamp_ns: r.timestamp.as_nanosecond(),
            xml: r.data,
        });
    }
    Ok((out, chunks))
}

/// Nanoseconds since the Unix epoch.
pub fn unix_ns(t: &DateTime<Utc>) -> i128 {
    i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
}

/// Reads the file header fields the tests check: (chunk count, next record id, flags, CRC ok).
pub fn file_header_fields(data: &[u8]) -> (u16, u64, u32, bool) {
    let chunk_count = u16::from_le_bytes([data[42], data[43]]);
    let next = u64::from_le_bytes(data[24..32].try_into().unwrap());
    let flags = u32::from_le_bytes(data[120..124].try_into().unwrap());
    let crc_ok = u32::from_le_bytes(data[124..128].try_into().unwrap()) == crc32fast::hash(&data[..120]);
    (chunk_count, next, flags, crc_ok)
}
