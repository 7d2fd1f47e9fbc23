//! `--redact` for event logs: an `.evtx` file becomes a redacted-events file holding only the
//! records the analyzer can use (`rdpdiag_schemas::event_interest`), each redacted field by
//! field, and the raw log is not put in the bundle.
//!
//! Format (JSON Lines, UTF-8): a header line
//! `{"rdpdiag-redacted-events":1,"source":"evtx/System.evtx","records_read":N,"records_kept":K,"records_unreadable":U}`
//! then one line per kept record: `{"record_id":N,"header_time":"<RFC 3339>","Event":{...}}`,
//! where `Event` is the record as the evtx crate renders it to JSON (attributes inline under
//! `#attributes`), the rendering the analyzer already turns into its events. So a redacted
//! record gives the analyzer the same event as the raw record, with pseudonyms in place of:
//! - `System/Computer` (host token), `System/Security/@UserID` (account SIDs);
//! - user, domain and workstation fields by name (`TargetUserName`, `SubjectDomainName`,
//!   `WorkstationName` ..., RCM 1149 `Param1`/`Param2`, the RDP client's `Value` of 1024/1027/
//!   1029), whatever their value;
//! - in every other payload text: the host's known names, IPv4/IPv6 addresses and account SIDs
//!   ([`Redactor::redact`]).

use std::io::{Read, Seek};

use chrono::{DateTime, SecondsFormat, Utc};
use evtx::{EvtxParser, ParserSettings};
use rdpdiag_schemas::channels::{RCM_OPERATIONAL, RDP_CLIENT};
use rdpdiag_schemas::event_interest::{payload_condition, wanted};
use serde_json::{Map, Value};

use crate::redact::{Category, Counts, Redactor};

/// The first key of the header line (what the analyzer recognises the file by).
pub const HEADER_KEY: &str = "rdpdiag-redacted-events";

/// Largest redacted-events file written from one log; the rest is dropped and counted.
pub const MAX_OUTPUT_BYTES: usize = 256 * 1024 * 1024;

/// What reading and redacting one log gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactedEvents {
    /// The file (header line, then one line per kept record).
    pub jsonl: Vec<u8>,
    /// Records read.
    pub records_read: u64,
    /// Records kept (the analyzer can use them).
    pub records_kept: u64,
    /// Records the parser could not read (counted, skipped).
    pub records_unreadable: u64,
    /// Whether the output cap cut the file.
    pub truncated: bool,
}

/// An event log that could not be opened at all.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RedactEventsError(String);

// User, domain and host fields of the payload, tokenized whole whatever their value.
// Names from the Security auditing schema (4624/4625/4778/4779: TargetUserName,
// TargetDomainName, WorkstationName, AccountName, AccountDomain, ClientName; field guide 7.5)
// and the LSM/RCM UserData (`User`, `Param1`/`Param2`; field guide 7.2).
const USER_FIELDS: &[&str] = &[
    "TargetUserName",
    "SubjectUserName",
    "UserName",
    "AccountName",
    "User",
    "TargetUser",
];
const DOMAIN_FIELDS: &[&str] = &[
    "TargetDomainName",
    "SubjectDomainName",
    "AccountDomain",
    "DomainName",
    "Domain",
];
const HOST_FIELDS: &[&str] = &[
    "WorkstationName",
    "Workstation",
    "ClientName",
    "ComputerName",
    "ServerName",
];

/// Reads an EVTX file and returns its wanted records, redacted.
pub fn redact_evtx<R: Read + Seek>(
    reader: R,
    source: &str,
    r: &Redactor,
    counts: &mut Counts,
) -> Result<RedactedEvents, RedactEventsError> {
    // Same rendering settings as the analyzer's (`evtx_ingest::parser_settings`): attributes
    // inline, one thread.
    let settings = ParserSettings::new()
        .num_threads(1)
        .validate_checksums(false)
        .separate_json_attributes(false)
        .indent(false);
    let mut parser = EvtxParser::from_read_seek(reader)
        .map_err(|e| RedactEventsError(format!("{source}: not a readable event log: {e}")))?
        .with_configuration(settings);
    let mut body = Vec::new();
    let (mut read, mut kept, mut unreadable, mut truncated) = (0u64, 0u64, 0u64, false);
    for record in parser.records_json_value() {
        read += 1;
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                unreadable += 1;
                continue;
            }
        };
        let mut data = record.data;
        let Some((channel, event_id)) = channel_and_id(&data) else {
            unreadable += 1;
            continue;
        };
        if !wanted(&channel, event_id) {
            continue;
        }
        if let Some(cond) = payload_condition(&channel, event_id)
            && !payload_holds(&data, cond.field, cond.values)
        {
            continue;
        }
        let ctx = Ctx {
            channel: &channel,
            event_id,
        };
        let Some(event) = data.get_mut("Event") else {
            continue;
        };
        redact_event(event, &ctx, r, counts);
        let header_time = DateTime::<Utc>::from_timestamp(
            record.timestamp.as_second(),
            u32::try_from(record.timestamp.subsec_nanosecond()).unwrap_or(0),
        )
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let mut line = Map::new();
        line.insert("record_id".into(), Value::from(record.event_record_id));
        line.insert(
            "header_time".into(),
            Value::from(header_time.to_rfc3339_opts(SecondsFormat::Nanos, true)),
        );
        line.insert("Event".into(), event.take());
        let text = Value::Object(line).to_string();
        if body.len() + text.len() + 1 > MAX_OUTPUT_BYTES {
            truncated = true;
            break;
        }
        body.extend_from_slice(text.as_bytes());
        body.push(b'\n');
        kept += 1;
    }
    let mut header = Map::new();
    header.insert(HEADER_KEY.into(), Value::from(1));
    header.insert("source".into(), Value::from(r.redact(source, counts)));
    header.insert("records_read".into(), Value::from(read));
    header.insert("records_kept".into(), Value::from(kept));
    header.insert("records_unreadable".into(), Value::from(unreadable));
    header.insert("truncated".into(), Value::from(truncated));
    let mut jsonl = Value::Object(header).to_string().into_bytes();
    jsonl.push(b'\n');
    jsonl.extend_from_slice(&body);
    Ok(RedactedEvents {
        jsonl,
        records_read: read,
        records_kept: kept,
        records_unreadable: unreadable,
        truncated,
    })
}

struct Ctx<'a> {
    channel: &'a str,
    event_id: u32,
}

/// `System/Channel` and `System/EventID` of a rendered record.
fn channel_and_id(data: &Value) -> Option<(String, u32)> {
    let sys = data.get("Event")?.get("System")?;
    let channel = text_of(sys.get("Channel")?)?.to_string();
    let id = sys.get("EventID")?;
    let id = id.get("#text").unwrap_or(id);
    let id = id
        .as_u64()
        .or_else(|| id.as_str().and_then(|s| s.trim().parse().ok()))?;
    Some((channel, u32::try_from(id).ok()?))
}

/// Whether `EventData/<field>` holds one of `values` (a number, or a decimal string). A record
/// without the field is kept: unknown is never "no".
fn payload_holds(data: &Value, field: &str, values: &[u64]) -> bool {
    let Some(v) = data
        .get("Event")
        .and_then(|e| e.get("EventData"))
        .and_then(|d| d.get(field))
    else {
        return true;
    };
    let v = v.get("#text").unwrap_or(v);
    match v
        .as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    {
        Some(n) => values.contains(&n),
        None => true,
    }
}

fn text_of(v: &Value) -> Option<&str> {
    v.get("#text").unwrap_or(v).as_str()
}

fn redact_event(event: &mut Value, ctx: &Ctx<'_>, r: &Redactor, counts: &mut Counts) {
    let Value::Object(items) = event else {
        return;
    };
    for (key, value) in items.iter_mut() {
        match key.as_str() {
            "System" => redact_system(value, r, counts),
            // Rendered message text, when present, is free text.
            _ => redact_payload(value, key, "", ctx, r, counts),
        }
    }
}

/// `System`: only `Computer` and `Security/@UserID` identify anyone; the rest (provider,
/// channel, ids, times, ActivityID) is kept as is.
fn redact_system(sys: &mut Value, r: &Redactor, counts: &mut Counts) {
    if let Some(computer) = sys.get_mut("Computer") {
        replace_text(computer, |s| r.host_token(s));
        *counts.entry(Category::Host).or_default() += 1;
    }
    if let Some(user) = sys
        .get_mut("Security")
        .and_then(|s| s.get_mut("#attributes"))
        .and_then(|a| a.get_mut("UserID"))
    {
        replace_text(user, |s| r.redact(s, counts));
    }
}

fn replace_text(v: &mut Value, f: impl FnOnce(&str) -> String) {
    match v {
        Value::String(s) => *s = f(s),
        Value::Object(o) => {
            if let Some(Value::String(s)) = o.get_mut("#text") {
                *s = f(s);
            }
        }
        _ => {}
    }
}

fn redact_payload(v: &mut Value, key: &str, parent: &str, ctx: &Ctx<'_>, r: &Redactor, counts: &mut Counts) {
    match v {
        Value::String(s) => *s = redact_leaf(key, parent, ctx, s, r, counts),
        Value::Array(items) => {
            for item in items {
                redact_payload(item, key, parent, ctx, r, counts);
            }
        }
        Value::Object(items) => {
            for (k, child) in items.iter_mut() {
                // `#text` and `#attributes` belong to the element `key`.
                let (k, p) = if k.starts_with('#') {
                    (key, parent)
                } else {
                    (k.as_str(), key)
                };
                redact_payload(child, k, p, ctx, r, counts);
            }
        }
        _ => {}
    }
}

fn redact_leaf(key: &str, parent: &str, ctx: &Ctx<'_>, s: &str, r: &Redactor, counts: &mut Counts) -> String {
    let user = |counts: &mut Counts| {
        *counts.entry(Category::User).or_default() += 1;
        r.user_token(s)
    };
    let domain = |counts: &mut Counts| {
        *counts.entry(Category::Host).or_default() += 1;
        r.domain_token(s)
    };
    if USER_FIELDS.contains(&key) {
        return user(counts);
    }
    if DOMAIN_FIELDS.contains(&key) {
        return domain(counts);
    }
    if HOST_FIELDS.contains(&key) {
        *counts.entry(Category::Host).or_default() += 1;
        return r.host_token(s);
    }
    // RCM 1149: Param1 user, Param2 domain, Param3 address (field guide 7.2).
    if ctx.channel.eq_ignore_ascii_case(RCM_OPERATIONAL) && ctx.event_id == 1149 && parent == "EventXML" {
        match key {
            "Param1" => return user(counts),
            "Param2" => return domain(counts),
            _ => {}
        }
    }
    // RDP client: 1024/1025/1102 `Value` is the server as the user typed it, 1027 the domain,
    // 1029 a hash of the user name; 1026 `Value` is the numeric reason (field guide 2.1).
    if ctx.channel.eq_ignore_ascii_case(RDP_CLIENT)
        && key == "Value"
        && !s.bytes().all(|b| b.is_ascii_digit())
    {
        if ctx.event_id == 1029 {
            return user(counts);
        }
        *counts.entry(Category::Host).or_default() += 1;
        return r.host_token(s);
    }
    r.redact(s, counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(channel: &str, event_id: u32) -> Ctx<'_> {
        Ctx { channel, event_id }
    }

    #[test]
    fn identity_fields_are_tokenized_whole_and_text_by_shape() {
        let r = Redactor::with_key(b"k");
        let mut c = Counts::new();
        let mut ev = json!({
            "System": {"Computer": "RDS01.contoso.com", "Channel": "Security", "EventID": 4625,
                        "Security": {"#attributes": {"UserID": "S-1-5-18"}}},
            "EventData": {"TargetUserName": "alice", "TargetDomainName": "CONTOSO",
                          "WorkstationName": "WKS07", "IpAddress": "10.1.2.3", "IpPort": "50123",
                          "Status": "0xc000006d", "LogonType": 3}
        });
        redact_event(&mut ev, &ctx("Security", 4625), &r, &mut c);
        assert_eq!(ev["System"]["Computer"], r.host_token("rds01.contoso.com"));
        assert_eq!(ev["System"]["Security"]["#attributes"]["UserID"], "S-1-5-18");
        assert_eq!(ev["System"]["Channel"], "Security");
        let d = &ev["EventData"];
        assert_eq!(d["TargetUserName"], r.user_token("alice"));
        assert_eq!(d["TargetDomainName"], r.domain_token("contoso"));
        assert_eq!(d["WorkstationName"], r.host_token("wks07"));
        assert_eq!(d["IpAddress"], r.token(Category::Ip, "10.1.2.3"));
        assert_eq!(
            (d["IpPort"].as_str(), d["Status"].as_str()),
            (Some("50123"), Some("0xc000006d"))
        );
        assert_eq!(d["LogonType"], 3);
    }

    #[test]
    fn payload_conditions_drop_other_logons_and_keep_unknown_ones() {
        let logon = |t: Value| json!({"Event": {"EventData": {"LogonType": t}}});
        assert!(payload_holds(&logon(json!(10)), "LogonType", &[3, 7, 10]));
        assert!(payload_holds(&logon(json!("3")), "LogonType", &[3, 7, 10]));
        assert!(!payload_holds(&logon(json!(5)), "LogonType", &[3, 7, 10]));
        assert!(payload_holds(
            &json!({"Event": {"EventData": {}}}),
            "LogonType",
            &[3, 7, 10]
        ));
    }

    #[test]
    fn rcm_1149_and_client_values_by_event() {
        let r = Redactor::with_key(b"k");
        let mut c = Counts::new();
        let mut ev = json!({"UserData": {"EventXML": {"Param1": "bob", "Param2": "CONTOSO", "Param3": "192.168.7.9"}}});
        redact_event(&mut ev, &ctx(RCM_OPERATIONAL, 1149), &r, &mut c);
        let x = &ev["UserData"]["EventXML"];
        assert_eq!(x["Param1"], r.user_token("bob"));
        assert_eq!(x["Param2"], r.domain_token("CONTOSO"));
        assert_eq!(x["Param3"], r.token(Category::Ip, "192.168.7.9"));
        let mut connect = json!({"EventData": {"Name": "Server Name", "Value": "rds01.contoso.com"}});
        redact_event(&mut connect, &ctx(RDP_CLIENT, 1024), &r, &mut c);
        assert_eq!(connect["EventData"]["Value"], r.host_token("rds01.contoso.com"));
        let mut reason = json!({"EventData": {"Name": "Disconnect reason", "Value": "2308"}});
        redact_event(&mut reason, &ctx(RDP_CLIENT, 1026), &r, &mut c);
        assert_eq!(reason["EventData"]["Value"], "2308");
    }
}
