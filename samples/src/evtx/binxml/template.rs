//! Template definitions and instances, shaped like the ones Windows' event log service writes.
//!
//! Every record is an instance of the System template (see [`system_body`]); its value 17 is a
//! nested BinXml fragment that is itself an instance of a payload template: `<EventData>` with
//! named `<Data>` elements, the classic `<Data>`/`<Binary>` pair, or a `<UserData>` tree.
//!
//! A template is identified by a *shape key*: the bytes of everything that is literal in its
//! body (element and attribute names, literal texts, declared value types). The first record of
//! a chunk that uses a shape defines the template inline; later records reference it by offset.
//! The template GUID is a hash of the key, so shapes keep their GUID across chunks and runs.

use super::token::{Emitter, TEMPLATE_INSTANCE, ValuesWriter, patch_size_field};
use super::value::{
    self, BINARY, BINXML, FILETIME, GUID, HEX_INT64, NULL, SID, STRING, STRING_ARRAY, UINT8, UINT16, UINT32,
    UINT64,
};
use super::{EncodeError, fnv1a_128};
use crate::evtx::chunk::{Chunk, chunk_offset};
use crate::evtx::model::{Element, Node, Payload, Value};

/// Namespace of `<Event>`, a literal attribute in Windows' System template.
pub(crate) const EVENT_NAMESPACE: &str = "http://schemas.microsoft.com/win/2004/08/events/event";

/// System template substitution indices, in Windows' order (design doc, "EVTX as Windows
/// writes it").
pub(crate) mod sub {
    pub(crate) const LEVEL: u16 = 0;
    pub(crate) const OPCODE: u16 = 1;
    pub(crate) const TASK: u16 = 2;
    pub(crate) const EVENT_ID: u16 = 3;
    pub(crate) const QUALIFIERS: u16 = 4;
    pub(crate) const KEYWORDS: u16 = 5;
    pub(crate) const SYSTEM_TIME: u16 = 6;
    pub(crate) const ACTIVITY_ID: u16 = 7;
    pub(crate) const PROCESS_ID: u16 = 8;
    pub(crate) const THREAD_ID: u16 = 9;
    pub(crate) const EVENT_RECORD_ID: u16 = 10;
    pub(crate) const VERSION: u16 = 11;
    pub(crate) const USER_ID: u16 = 12;
    pub(crate) const RELATED_ACTIVITY_ID: u16 = 13;
    pub(crate) const PROVIDER_NAME: u16 = 14;
    pub(crate) const PROVIDER_GUID: u16 = 15;
    pub(crate) const CHANNEL: u16 = 16;
    pub(crate) const PAYLOAD: u16 = 17;
    /// Number of System template values.
    pub(crate) const COUNT: usize = 18;
}

/// Builds shape keys: a tag byte per construct, length-prefixed strings.
pub(crate) struct KeyBuf<'a>(pub(crate) &'a mut Vec<u8>);

impl KeyBuf<'_> {
    fn tag(&mut self, t: u8) {
        self.0.push(t);
    }
    fn str(&mut self, s: &str) {
        self.0.extend_from_slice(&(s.len() as u64).to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn count(&mut self, n: usize) {
        self.0.extend_from_slice(&(n as u64).to_le_bytes());
    }
}

/// Writes a TemplateInstance token for `key`: a reference to this chunk's definition, or, on
/// first use, the definition itself (next link, GUID, size, fragment written by `body`, EOF).
/// The caller writes the instance values next.
pub(crate) fn instance(
    chunk: &mut Chunk,
    key: &[u8],
    body: impl FnOnce(&mut Emitter<'_>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let data = &mut chunk.data;
    data.push(TEMPLATE_INSTANCE);
    // Always 1 in Windows' records (libevtx: "Unknown (version?)").
    data.push(1);
    if let Some(t) = chunk.templates.get(key) {
        data.extend_from_slice(&t.id.to_le_bytes());
        data.extend_from_slice(&t.offset.to_le_bytes());
        return Ok(());
    }
    let guid = fnv1a_128(key);
    data.extend_from_slice(&guid[..4]);
    let def = chunk_offset(data.len() + 4)?;
    data.extend_from_slice(&def.to_le_bytes());
    data.extend_from_slice(&chunk.templates.bucket_head(&guid).to_le_bytes());
    data.extend_from_slice(&guid);
    let size_pos = data.len();
    data.extend_from_slice(&[0; 4]);
    let mut em = Emitter {
        out: data,
        strings: &mut chunk.strings,
    };
    em.fragment_header();
    body(&mut em)?;
    em.eof();
    patch_size_field(data, size_pos)?;
    chunk.templates.insert(key, &guid, def);
    Ok(())
}

/// Shape key of the System template. It holds the literal parts: where the payload goes
/// (directly in `<Event>`, or inside `<UserData>`), the Computer name and the classic
/// EventSourceName.
pub(crate) fn system_key(
    key: &mut Vec<u8>,
    user_data: bool,
    computer: &str,
    event_source_name: Option<&str>,
) {
    key.clear();
    let mut k = KeyBuf(key);
    k.tag(b'S');
    k.tag(u8::from(user_data));
    k.str(computer);
    match event_source_name {
        Some(s) => {
            k.tag(1);
            k.str(s);
        }
        None => k.tag(0),
    }
}

/// Body of Windows' System template (as in the RemoteConnectionManager corpus log): all
/// values are optional substitutions, and the elements that hold one depend on it, so a
/// NullType value leaves out the attribute or element (`<Correlation/>` without ActivityID, no
/// `Qualifiers`). EventSourceName (classic sources) and Computer are literal.
pub(crate) fn system_body(
    em: &mut Emitter<'_>,
    user_data: bool,
    computer: &str,
    event_source_name: Option<&str>,
) -> Result<(), EncodeError> {
    let event = em.start_element("Event", (!user_data).then_some(sub::PAYLOAD), true)?;
    em.attribute("xmlns", true)?;
    em.value_text(EVENT_NAMESPACE)?;
    em.close_start(&event)?;
    let system = em.start_element("System", None, false)?;
    em.close_start(&system)?;

    let provider = em.start_element("Provider", None, true)?;
    em.attribute("Name", false)?;
    em.substitution(true, sub::PROVIDER_NAME, STRING);
    em.attribute("Guid", event_source_name.is_none())?;
    em.substitution(true, sub::PROVIDER_GUID, GUID);
    if let Some(esn) = event_source_name {
        em.attribute("EventSourceName", true)?;
        em.value_text(esn)?;
    }
    em.close_empty(provider)?;

    let event_id = em.start_element("EventID", Some(sub::EVENT_ID), true)?;
    em.attribute("Qualifiers", true)?;
    em.substitution(true, sub::QUALIFIERS, UINT16);
    em.close_start(&event_id)?;
    em.substitution(true, sub::EVENT_ID, UINT16);
    em.end_element(event_id)?;

    simple_element(em, "Version", sub::VERSION, UINT8)?;
    simple_element(em, "Level", sub::LEVEL, UINT8)?;
    simple_element(em, "Task", sub::TASK, UINT16)?;
    simple_element(em, "Opcode", sub::OPCODE, UINT8)?;
    simple_element(em, "Keywords", sub::KEYWORDS, HEX_INT64)?;
    empty_element(em, "TimeCreated", &[("SystemTime", sub::SYSTEM_TIME, FILETIME)])?;
    simple_element(em, "EventRecordID", sub::EVENT_RECORD_ID, UINT64)?;
    empty_element(
        em,
        "Correlation",
        &[
            ("ActivityID", sub::ACTIVITY_ID, GUID),
            ("RelatedActivityID", sub::RELATED_ACTIVITY_ID, GUID),
        ],
    )?;
    empty_element(
        em,
        "Execution",
        &[
            ("ProcessID", sub::PROCESS_ID, UINT32),
            ("ThreadID", sub::THREAD_ID, UINT32),
        ],
    )?;
    simple_element(em, "Channel", sub::CHANNEL, STRING)?;

    let c = em.start_element("Computer", None, false)?;
    em.close_start(&c)?;
    if !computer.is_empty() {
        em.value_text(computer)?;
    }
    em.end_element(c)?;

    empty_element(em, "Security", &[("UserID", sub::USER_ID, SID)])?;
    em.end_element(system)?;

    if user_data {
        let u = em.start_element("UserData", Some(sub::PAYLOAD), false)?;
        em.close_start(&u)?;
        em.substitution(true, sub::PAYLOAD, BINXML);
        em.end_element(u)?;
    } else {
        em.substitution(true, sub::PAYLOAD, BINXML);
    }
    em.end_element(event)
}

/// `<name>%index</name>`, left out when the value is NullType.
fn simple_element(em: &mut Emitter<'_>, name: &str, index: u16, ty: u8) -> Result<(), EncodeError> {
    let el = em.start_element(name, Some(index), false)?;
    em.close_start(&el)?;
    em.substitution(true, index, ty);
    em.end_element(el)
}

/// `<name a="%i" b="%j"/>` with optional substitutions.
fn empty_element(em: &mut Emitter<'_>, name: &str, attrs: &[(&str, u16, u8)]) -> Result<(), EncodeError> {
    let el = em.start_element(name, None, true)?;
    for (i, (attr, index, ty)) in attrs.iter().enumerate() {
        em.attribute(attr, i + 1 == attrs.len())?;
        em.substitution(true, *index, *ty);
    }
    em.close_empty(el)
}

/// Writes the payload as the nested BinXml of System value 17: fragment header, an instance of
/// the payload's template with its values, EOF. `key` is scratch space for the shape key.
pub(crate) fn write_payload(
    chunk: &mut Chunk,
    payload: &Payload,
    key: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    chunk
        .data
        .extend_from_slice(&[super::token::FRAGMENT_HEADER, 1, 1, 0]);
    match payload {
        // Windows writes an empty `<EventData></EventData>` for events without data
        // (RdpCoreTS 102 in the corpus), not a NullType value.
        Payload::None => event_data(chunk, None, &[], key)?,
        Payload::EventData { name, data } => event_data(chunk, name.as_deref(), data, key)?,
        Payload::Classic { data, binary } => {
            if data.iter().all(|v| matches!(v, Value::String(_) | Value::Null)) {
                classic_strings(chunk, data, binary.as_deref(), key)?;
            } else {
                classic_typed(chunk, data, binary.as_deref(), key)?;
            }
        }
        Payload::UserData(root) => user_data(chunk, root, key)?,
    }
    chunk.data.push(super::token::EOF);
    Ok(())
}

/// `<EventData [Name="..."]><Data Name="n">%i</Data>...</EventData>`: names literal, values
/// normal substitutions (as in the RdpCoreTS 131 corpus record).
fn event_data(
    chunk: &mut Chunk,
    name: Option<&str>,
    data: &[(String, Value)],
    key: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    key.clear();
    let mut k = KeyBuf(key);
    k.tag(b'D');
    match name {
        Some(n) => {
            k.tag(1);
            k.str(n);
        }
        None => k.tag(0),
    }
    k.count(data.len());
    for (n, v) in data {
        k.str(n);
        k.tag(value::declared_type(v));
    }
    let count = substitution_count(data.len())?;
    instance(chunk, key, |em| {
        let ed = em.start_element("EventData", None, name.is_some())?;
        if let Some(n) = name {
            em.attribute("Name", true)?;
            em.value_text(n)?;
        }
        em.close_start(&ed)?;
        for (i, (n, v)) in (0..count).zip(data) {
            let d = em.start_element("Data", None, true)?;
            em.attribute("Name", true)?;
            em.value_text(n)?;
            em.close_start(&d)?;
            em.substitution(false, i, value::declared_type(v));
            em.end_element(d)?;
        }
        em.end_element(ed)
    })?;
    write_values(&mut chunk.data, data.iter().map(|(_, v)| v), data.len())
}

/// Classic (ReportEvent) payload as the event log service writes it (EventLog 6013 and
/// TermService 1056 in the corpus): `<Data>` holds value 0, a string array that readers expand
/// into one `<Data>` per string; value 1 is the binary's length; `<Binary>` holds value 2. Both
/// elements depend on their value, so an absent one is left out.
fn classic_strings(
    chunk: &mut Chunk,
    data: &[Value],
    binary: Option<&[u8]>,
    key: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    key.clear();
    KeyBuf(key).tag(b'C');
    instance(chunk, key, |em| {
        let ed = em.start_element("EventData", None, false)?;
        em.close_start(&ed)?;
        let d = em.start_element("Data", Some(0), false)?;
        em.close_start(&d)?;
        em.substitution(true, 0, STRING_ARRAY);
        em.end_element(d)?;
        let b = em.start_element("Binary", Some(2), false)?;
        em.close_start(&b)?;
        em.substitution(true, 2, BINARY);
        em.end_element(b)?;
        em.end_element(ed)
    })?;
    let out = &mut chunk.data;
    let mut vw = ValuesWriter::begin(out, 3)?;
    if data.is_empty() {
        vw.put(out, NULL, |_| Ok(()))?;
    } else {
        vw.put(out, STRING_ARRAY, |out| {
            for v in data {
                if let Value::String(s) = v {
                    value::write_utf16(out, s);
                }
                out.extend_from_slice(&[0, 0]);
            }
            Ok(())
        })?;
    }
    match binary {
        Some(b) => {
            let len = u32::try_from(b.len()).map_err(|_| EncodeError::TooLarge(b.len()))?;
            vw.put(out, UINT32, |out| {
                out.extend_from_slice(&len.to_le_bytes());
                Ok(())
            })?;
            vw.put(out, BINARY, |out| {
                out.extend_from_slice(b);
                Ok(())
            })
        }
        None => {
            vw.put(out, NULL, |_| Ok(()))?;
            vw.put(out, NULL, |_| Ok(()))
        }
    }
}

/// Classic payload with typed (non-string) data, which ReportEvent cannot produce but a model
/// may hold: one `<Data>` per value, then `<Binary>` depending on the last value.
fn classic_typed(
    chunk: &mut Chunk,
    data: &[Value],
    binary: Option<&[u8]>,
    key: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    key.clear();
    let mut k = KeyBuf(key);
    k.tag(b'T');
    k.count(data.len());
    for v in data {
        k.tag(value::declared_type(v));
    }
    let count = substitution_count(data.len() + 1)?;
    let binary_index = count - 1;
    instance(chunk, key, |em| {
        let ed = em.start_element("EventData", None, false)?;
        em.close_start(&ed)?;
        for (i, v) in (0..binary_index).zip(data) {
            let d = em.start_element("Data", None, false)?;
            em.close_start(&d)?;
            em.substitution(false, i, value::declared_type(v));
            em.end_element(d)?;
        }
        let b = em.start_element("Binary", Some(binary_index), false)?;
        em.close_start(&b)?;
        em.substitution(true, binary_index, BINARY);
        em.end_element(b)?;
        em.end_element(ed)
    })?;
    let out = &mut chunk.data;
    let mut vw = ValuesWriter::begin(out, data.len() + 1)?;
    for v in data {
        vw.put(out, value::stored_type(v), |out| value::write_value(out, v))?;
    }
    match binary {
        Some(b) => vw.put(out, BINARY, |out| {
            out.extend_from_slice(b);
            Ok(())
        }),
        None => vw.put(out, NULL, |_| Ok(())),
    }
}

/// `<UserData>` payload: the element tree is the template; element and attribute names and
/// `xmlns` declarations are literal (as in the RCM 261 corpus record), every other attribute
/// value and text is a normal substitution, numbered depth-first.
fn user_data(chunk: &mut Chunk, root: &Element, key: &mut Vec<u8>) -> Result<(), EncodeError> {
    key.clear();
    let mut k = KeyBuf(key);
    k.tag(b'U');
    let mut count = 0usize;
    tree_key(&mut k, root, &mut count);
    substitution_count(count)?;
    instance(chunk, key, |em| {
        let mut next = 0u16;
        tree_body(em, root, &mut next)
    })?;
    let out = &mut chunk.data;
    let mut vw = ValuesWriter::begin(out, count)?;
    write_tree_values(&mut vw, out, root)
}

/// Literal `xmlns` declarations stay in the template like Windows writes them.
fn literal_attribute<'v>(name: &str, v: &'v Value) -> Option<&'v str> {
    match v {
        Value::String(s) if name == "xmlns" || name.starts_with("xmlns:") => Some(s),
        _ => None,
    }
}

fn tree_key(k: &mut KeyBuf<'_>, el: &Element, count: &mut usize) {
    k.tag(b'E');
    k.str(&el.name);
    k.count(el.attributes.len());
    for (n, v) in &el.attributes {
        k.str(n);
        match literal_attribute(n, v) {
            Some(lit) => {
                k.tag(b'L');
                k.str(lit);
            }
            None => {
                k.tag(value::declared_type(v));
                *count += 1;
            }
        }
    }
    k.count(el.children.len());
    for c in &el.children {
        match c {
            Node::Element(e) => tree_key(k, e, count),
            Node::Value(v) => {
                k.tag(b'V');
                k.tag(value::declared_type(v));
                *count += 1;
            }
        }
    }
}

fn tree_body(em: &mut Emitter<'_>, el: &Element, next: &mut u16) -> Result<(), EncodeError> {
    let e = em.start_element(&el.name, None, !el.attributes.is_empty())?;
    for (i, (n, v)) in el.attributes.iter().enumerate() {
        em.attribute(n, i + 1 == el.attributes.len())?;
        match literal_attribute(n, v) {
            Some(lit) => em.value_text(lit)?,
            None => {
                em.substitution(false, *next, value::declared_type(v));
                *next += 1;
            }
        }
    }
    if el.children.is_empty() {
        return em.close_empty(e);
    }
    em.close_start(&e)?;
    for c in &el.children {
        match c {
            Node::Element(child) => tree_body(em, child, next)?,
            Node::Value(v) => {
                em.substitution(false, *next, value::declared_type(v));
                *next += 1;
            }
        }
    }
    em.end_element(e)
}

/// The tree's substitution values, in [`tree_body`]'s numbering.
fn write_tree_values(vw: &mut ValuesWriter, out: &mut Vec<u8>, el: &Element) -> Result<(), EncodeError> {
    for (n, v) in &el.attributes {
        if literal_attribute(n, v).is_none() {
            vw.put(out, value::stored_type(v), |out| value::write_value(out, v))?;
        }
    }
    for c in &el.children {
        match c {
            Node::Element(child) => write_tree_values(vw, out, child)?,
            Node::Value(v) => vw.put(out, value::stored_type(v), |out| value::write_value(out, v))?,
        }
    }
    Ok(())
}

/// Substitution indices are 16-bit.
fn substitution_count(n: usize) -> Result<u16, EncodeError> {
    u16::try_from(n).map_err(|_| EncodeError::TooLarge(n.saturating_mul(4)))
}

/// Writes instance data for typed model values.
fn write_values<'v>(
    out: &mut Vec<u8>,
    values: impl Iterator<Item = &'v Value>,
    count: usize,
) -> Result<(), EncodeError> {
    let mut vw = ValuesWriter::begin(out, count)?;
    for v in values {
        vw.put(out, value::stored_type(v), |out| value::write_value(out, v))?;
    }
    Ok(())
}
