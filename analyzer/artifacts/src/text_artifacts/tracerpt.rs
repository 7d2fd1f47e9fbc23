//! Events of an RDP client trace converted by `tracerpt <file>.etl -of XML` or `-of CSV`
//! (Microsoft's documented way to read RdClientAutoTrace files), normalized to one shape:
//! time, provider, event id, fields — the same shape as [`rdpdiag_evtx::model::Event`].
//!
//! XML: `<Events><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">` with
//! `<System>` (Provider Name/Guid, EventID, Level, Task, Opcode, Keywords, TimeCreated
//! SystemTime, Correlation ActivityID, Execution ProcessID/ThreadID, Channel, Computer),
//! `<EventData><Data Name=..>` or `<UserData>` (flattened as `Parent.Child`), and
//! `<RenderingInfo>` (Message, Task/EventName). Read as a stream: memory stays bounded by the
//! event cap, not the file size.
//!
//! CSV: a header line `Event Name, Type, Event ID, Version, Channel, Level, Opcode, Task,
//! Keyword, PID, TID, Processor Number, Instance ID, Parent Instance ID, Activity ID, Related
//! Activity ID, Clock-Time, Kernel(ms), User(ms), User Data`, values separated by `,` with
//! padding spaces; `Clock-Time` is a FILETIME; extra columns are the event's user data.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use quick_xml::events::Event as XmlEvent;
use serde::Serialize;

use super::etl_header::filetime_to_utc;
use super::{MAX_ITEMS, TextError, decode_text, split_lines};
use rdpdiag_evtx::model::{Event, FieldValue, Problem, Severity};

/// Most fields kept per event.
const MAX_FIELDS: usize = 256;
/// Longest field value kept, in bytes.
const MAX_VALUE: usize = 16 * 1024;

/// The events of a conversion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEvents {
    /// `xml` or `csv`.
    pub format: &'static str,
    /// Events in file order.
    pub events: Vec<TraceEvent>,
    /// Events beyond the cap, not kept.
    pub dropped: u64,
    /// What could not be read.
    pub problems: Vec<Problem>,
}

/// One trace event.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TraceEvent {
    /// 0-based position in the file (serves as the record id).
    pub index: u64,
    /// Line where the event starts.
    pub line: u64,
    /// Event time, UTC, when it could be read.
    pub time_utc: Option<DateTime<Utc>>,
    /// The time as written.
    pub time_text: Option<String>,
    /// Provider name (XML) or `Event Name` (CSV).
    pub provider: String,
    /// Provider GUID.
    pub provider_guid: Option<String>,
    /// Event id.
    pub event_id: Option<u32>,
    /// Level.
    pub level: Option<u8>,
    /// Task (number or name as written).
    pub task: Option<String>,
    /// Opcode (number or name as written).
    pub opcode: Option<String>,
    /// Process id.
    pub process_id: Option<u32>,
    /// Thread id.
    pub thread_id: Option<u32>,
    /// Correlation ActivityID, upper-case with braces.
    pub activity_id: Option<String>,
    /// Channel.
    pub channel: Option<String>,
    /// Computer.
    pub computer: Option<String>,
    /// Rendered message, when the conversion had it.
    pub message: Option<String>,
    /// Payload, flattened, in order.
    pub fields: Vec<(String, String)>,
}

impl TraceEvent {
    /// This event as a [`rdpdiag_evtx::model::Event`], for the timeline and the rules.
    pub fn to_model_event(&self, input: Arc<str>, artifact: Arc<str>) -> Option<Event> {
        Some(Event {
            input,
            artifact,
            record_id: self.index + 1,
            time_utc: self.time_utc?,
            host: self.computer.clone().unwrap_or_default().into(),
            channel: self.channel.clone().unwrap_or_default().into(),
            provider: self.provider.clone().into(),
            source_name: None,
            event_id: self.event_id.unwrap_or(0),
            qualifiers: None,
            level: self.level,
            activity_id: self.activity_id.clone(),
            process_id: self.process_id,
            user_sid: None,
            fields: self
                .fields
                .iter()
                .map(|(k, v)| (Arc::from(k.as_str()), FieldValue::Str(v.clone())))
                .collect(),
        })
    }
}

/// Parses a tracerpt XML or CSV conversion (recognised by content).
pub fn parse(bytes: &[u8]) -> Result<TraceEvents, TextError> {
    let (text, _) = decode_text(bytes)?;
    let t = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if t.starts_with('<') {
        parse_xml(&text)
    } else {
        parse_csv(&text)
    }
}

fn clip(mut s: String) -> String {
    if s.len() > MAX_VALUE {
        let mut cut = MAX_VALUE;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// Parses an RFC 3339 time as tracerpt writes it (up to 9 fraction digits, `Z` or an offset).
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

fn normalise_guid(s: &str) -> String {
    let s = s.trim().trim_matches(['{', '}']);
    format!("{{{}}}", s.to_ascii_uppercase())
}

/// Where inside `<Event>` the reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    System,
    EventData,
    UserData,
    Rendering,
    Other,
}

fn parse_xml(text: &str) -> Result<TraceEvents, TextError> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut out = TraceEvents {
        format: "xml",
        events: Vec::new(),
        dropped: 0,
        problems: Vec::new(),
    };
    let mut line_counter = LineCounter::new(text);
    let mut cur: Option<TraceEvent> = None;
    let mut stack: Vec<String> = Vec::new();
    let mut part = Part::Other;
    let mut data_name: Option<String> = None;
    let mut text_buf = String::new();
    let mut index: u64 = 0;
    let mut saw_root = false;

    loop {
        let pos = reader.buffer_position();
        let ev = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let at = reader.error_position();
                let line = line_counter.line_at(at as usize);
                if out.events.is_empty() && !saw_root {
                    return Err(TextError::Line {
                        line,
                        message: format!("not XML: {e}"),
                    });
                }
                out.problems.push(Problem::at_line(
                    Severity::Warning,
                    line,
                    format!("XML error, rest of file not read: {e}"),
                ));
                break;
            }
        };
        match ev {
            XmlEvent::Start(ref e) | XmlEvent::Empty(ref e) => {
                let empty = matches!(ev, XmlEvent::Empty(_));
                let name = e.local_name().as_ref().to_string();
                let attrs: Vec<(String, String)> = e
                    .attributes()
                    .filter_map(Result::ok)
                    .map(|a| {
                        let v = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map(|c| c.into_owned())
                            .unwrap_or_default();
                        (a.key.local_name().as_ref().to_string(), v)
                    })
                    .collect();
                let attr = |n: &str| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
                saw_root = true;
                if name == "Event" && cur.is_none() {
                    cur = Some(TraceEvent {
                        index,
                        line: line_counter.line_at(pos as usize),
                        ..TraceEvent::default()
                    });
                    index += 1;
                    stack.clear();
                    part = Part::Other;
                    if empty {
                        finish_event(&mut cur, &mut out);
                    } else {
                        stack.push(name);
                    }
                    continue;
                }
                let Some(ev_out) = cur.as_mut() else {
                    continue;
                };
                if stack.len() == 1 {
                    part = match name.as_str() {
                        "System" => Part::System,
                        "EventData" => Part::EventData,
                        "UserData" => Part::UserData,
                        "RenderingInfo" => Part::Rendering,
                        _ => Part::Other,
                    };
                }
                match part {
                    Part::System => match name.as_str() {
                        "Provider" => {
                            if let Some(n) = attr("Name") {
                                ev_out.provider = n;
                            }
                            ev_out.provider_guid = attr("Guid").map(|g| normalise_guid(&g));
                        }
                        "TimeCreated" => {
                            if let Some(t) = attr("SystemTime") {
                                ev_out.time_utc = parse_time(&t);
                                ev_out.time_text = Some(t);
                            }
                        }
                        "Correlation" => {
                            ev_out.activity_id = attr("ActivityID")
                                .filter(|a| !a.is_empty())
                                .map(|a| normalise_guid(&a));
                        }
                        "Execution" => {
                            ev_out.process_id = attr("ProcessID").and_then(|p| p.parse().ok());
                            ev_out.thread_id = attr("ThreadID").and_then(|p| p.parse().ok());
                        }
                        _ => {}
                    },
                    Part::EventData if stack.len() == 2 => {
                        data_name = Some(attr("Name").unwrap_or_else(|| name.clone()));
                    }
                    Part::UserData if stack.len() >= 3 => {
                        for (k, v) in &attrs {
                            if k != "xmlns" && ev_out.fields.len() < MAX_FIELDS {
                                ev_out.fields.push((format!("{name}@{k}"), clip(v.clone())));
                            }
                        }
                    }
                    _ => {}
                }
                if !empty {
                    stack.push(name);
                    text_buf.clear();
                } else if part == Part::EventData
                    && stack.len() == 2
                    && let (Some(n), Some(ev_out)) = (data_name.take(), cur.as_mut())
                    && ev_out.fields.len() < MAX_FIELDS
                {
                    ev_out.fields.push((n, String::new()));
                }
            }
            XmlEvent::Text(t) if cur.is_some() && text_buf.len() < MAX_VALUE => {
                text_buf.push_str(&t.xml10_content());
            }
            XmlEvent::CData(t) if cur.is_some() && text_buf.len() < MAX_VALUE => {
                text_buf.push_str(&t.xml10_content());
            }
            XmlEvent::GeneralRef(r) if cur.is_some() => {
                let s: &str = &r;
                let c = match s {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => r.resolve_char_ref().ok().flatten(),
                };
                if let Some(c) = c {
                    text_buf.push(c);
                }
            }
            XmlEvent::End(e) => {
                let name = e.local_name().as_ref().to_string();
                if cur.is_none() {
                    continue;
                }
                if name == "Event" && stack.len() <= 1 {
                    finish_event(&mut cur, &mut out);
                    stack.clear();
                    continue;
                }
                let depth = stack.len();
                let value = clip(std::mem::take(&mut text_buf).trim().to_string());
                if let Some(ev_out) = cur.as_mut() {
                    match part {
                        Part::System if depth == 3 => match name.as_str() {
                            "EventID" => ev_out.event_id = value.parse().ok(),
                            "Level" => ev_out.level = value.parse().ok(),
                            "Task" => ev_out.task = Some(value).filter(|v| !v.is_empty()),
                            "Opcode" => ev_out.opcode = Some(value).filter(|v| !v.is_empty()),
                            "Channel" => ev_out.channel = Some(value).filter(|v| !v.is_empty()),
                            "Computer" => ev_out.computer = Some(value).filter(|v| !v.is_empty()),
                            _ => {}
                        },
                        Part::EventData if depth == 3 => {
                            let n = data_name.take().unwrap_or(name.clone());
                            if ev_out.fields.len() < MAX_FIELDS {
                                ev_out.fields.push((n, value));
                            }
                        }
                        Part::UserData if depth >= 4 && !value.is_empty() => {
                            // Path below the UserData wrapper element.
                            let path: Vec<&str> = stack.iter().skip(3).map(String::as_str).collect();
                            if ev_out.fields.len() < MAX_FIELDS && !path.is_empty() {
                                ev_out.fields.push((path.join("."), value));
                            }
                        }
                        Part::Rendering if depth == 3 => match name.as_str() {
                            "Message" => ev_out.message = Some(value).filter(|v| !v.is_empty()),
                            "Task" | "EventName" if ev_out.task.is_none() && !value.is_empty() => {
                                ev_out.task = Some(value)
                            }
                            _ => {}
                        },
                        _ => {}
                    }
                }
                stack.pop();
                if stack.len() <= 1 {
                    part = Part::Other;
                }
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    if cur.is_some() {
        out.problems.push(Problem::at_line(
            Severity::Warning,
            line_counter.line_at(text.len()),
            "file ends inside an <Event>: last event incomplete",
        ));
        finish_event(&mut cur, &mut out);
    }
    if !saw_root {
        return Err(TextError::Format("no XML element found".into()));
    }
    Ok(out)
}

fn finish_event(cur: &mut Option<TraceEvent>, out: &mut TraceEvents) {
    if let Some(e) = cur.take() {
        if out.events.len() < MAX_ITEMS {
            out.events.push(e);
        } else {
            out.dropped += 1;
        }
    }
}

/// Turns byte offsets into line numbers, scanning forward only.
struct LineCounter<'a> {
    text: &'a str,
    pos: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text,
            pos: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, at: usize) -> u64 {
        let at = at.min(self.text.len());
        if at < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        let bytes = self.text.as_bytes();
        self.line += bytes[self.pos..at].iter().filter(|&&b| b == b'\n').count() as u64;
        self.pos = at;
        self.line
    }
}

/// Splits a CSV line on commas outside double quotes, trimming padding.
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(cur.trim().to_string());
                cur.clear();
            }
            _ => cur.push(c),
        }
        if out.len() > MAX_FIELDS {
            break;
        }
    }
    out.push(cur.trim().to_string());
    out
}

fn parse_csv(text: &str) -> Result<TraceEvents, TextError> {
    let mut problems = Vec::new();
    let lines = split_lines(text, &mut problems);
    let mut out = TraceEvents {
        format: "csv",
        events: Vec::new(),
        dropped: 0,
        problems,
    };
    let mut header: Option<Vec<String>> = None;
    for line in &lines {
        if line.text.trim().is_empty() {
            continue;
        }
        let cols = split_csv(&line.text);
        let Some(h) = header.as_ref() else {
            if cols.first().is_some_and(|c| c.eq_ignore_ascii_case("Event Name")) {
                header = Some(cols);
                continue;
            }
            return Err(TextError::Line {
                line: line.no,
                message: "not a tracerpt CSV: the first line is not the `Event Name, Type, ...` header"
                    .into(),
            });
        };
        let get = |name: &str| {
            h.iter()
                .position(|c| c.eq_ignore_ascii_case(name))
                .and_then(|i| cols.get(i))
                .filter(|v| !v.is_empty())
                .cloned()
        };
        let user_data_at = h
            .iter()
            .position(|c| c.eq_ignore_ascii_case("User Data"))
            .unwrap_or(h.len());
        let index = out.events.len() as u64 + out.dropped;
        let clock = get("Clock-Time");
        let mut ev = TraceEvent {
            index,
            line: line.no,
            time_utc: clock
                .as_deref()
                .and_then(|c| c.parse::<u64>().ok())
                .and_then(filetime_to_utc),
            time_text: clock,
            provider: get("Event Name").unwrap_or_default(),
            event_id: get("Event ID").and_then(|v| v.parse().ok()),
            level: get("Level").and_then(|v| v.parse().ok()),
            task: get("Task"),
            opcode: get("Opcode").or_else(|| get("Type")),
            process_id: get("PID").and_then(|v| parse_u32(&v)),
            thread_id: get("TID").and_then(|v| parse_u32(&v)),
            activity_id: get("Activity ID")
                .filter(|a| !a.trim_matches(['{', '}', '0', '-']).is_empty())
                .map(|a| normalise_guid(&a)),
            channel: get("Channel"),
            ..TraceEvent::default()
        };
        for (i, v) in cols.iter().enumerate().skip(user_data_at) {
            if ev.fields.len() < MAX_FIELDS {
                ev.fields
                    .push((format!("UserData{}", i - user_data_at), clip(v.clone())));
            }
        }
        if out.events.len() < MAX_ITEMS {
            out.events.push(ev);
        } else {
            out.dropped += 1;
        }
    }
    if header.is_none() {
        return Err(TextError::Format("empty CSV".into()));
    }
    Ok(out)
}

fn parse_u32(s: &str) -> Option<u32> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_events() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Events>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Microsoft-Windows-TerminalServices-ClientActiveXCore" Guid="{28aa95bb-d444-4719-a36f-40462168127e}" />
    <EventID>1026</EventID>
    <Level>4</Level>
    <TimeCreated SystemTime="2024-01-15T10:00:01.123456700Z" />
    <Correlation ActivityID="{780cf827-0ed1-4f4b-924c-3b14e7660000}" />
    <Execution ProcessID="1234" ThreadID="5678" />
  </System>
  <EventData>
    <Data Name="Name">Disconnect Reason</Data>
    <Data Name="Value">2308</Data>
    <Data Name="Empty" />
  </EventData>
  <RenderingInfo Culture="en-US"><Message>RDP ClientActiveX has been disconnected (Reason= 2308) &amp; more</Message></RenderingInfo>
</Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="P"/><EventID>7</EventID></System>
<UserData><EventXML xmlns="Event_NS"><Param1>bob</Param1></EventXML></UserData></Event>
</Events>"#;
        let r = parse(xml.as_bytes());
        let r = match r {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(r.events.len(), 2);
        let e = &r.events[0];
        assert_eq!(e.event_id, Some(1026));
        assert_eq!(e.provider, "Microsoft-Windows-TerminalServices-ClientActiveXCore");
        assert_eq!(
            e.activity_id.as_deref(),
            Some("{780CF827-0ED1-4F4B-924C-3B14E7660000}")
        );
        assert_eq!(e.fields[1], ("Value".to_string(), "2308".to_string()));
        assert_eq!(e.fields[2], ("Empty".to_string(), String::new()));
        assert!(e.message.as_deref().is_some_and(|m| m.ends_with("& more")));
        assert_eq!(e.line, 3);
        assert!(e.time_utc.is_some());
        assert_eq!(
            r.events[1].fields,
            vec![("Param1".to_string(), "bob".to_string())]
        );
    }

    #[test]
    fn csv_events() {
        let csv = "Event Name,  Type, Event ID, Version, Channel, Level, Opcode, Task, Keyword, PID, TID, Processor Number, Instance ID, Parent Instance ID, Activity ID, Related Activity ID, Clock-Time, Kernel(ms), User(ms), User Data\r\nEventTrace, Header, 0, 2, 0, 0, 0, 0, 0x0000000000000000, 0x00001234, 0x00000010, 0, , , {00000000-0000-0000-0000-000000000000}, , 133497792000000000, 0, 0, 8192, \"a, b\"\r\n";
        let r = match parse(csv.as_bytes()) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(r.events.len(), 1);
        let e = &r.events[0];
        assert_eq!(e.provider, "EventTrace");
        assert_eq!(e.process_id, Some(0x1234));
        assert_eq!(e.activity_id, None);
        assert!(e.time_utc.is_some());
        assert_eq!(e.fields[1].1, "a, b");
    }

    #[test]
    fn garbage() {
        assert!(parse(b"<Events><Event><System><EventID>1</EventID>").is_ok_and(|r| r.events.len() == 1));
        assert!(parse(b"hello, world\r\n").is_err());
        assert!(parse(b"<<<>>>").is_err() || parse(b"<<<>>>").is_ok());
    }
}
