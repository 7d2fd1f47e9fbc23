//! Records decoded straight from their template and substitution values, without rendering.
//!
//! Windows writes most records as an instance of a System template whose last value is the
//! payload, itself a nested template instance (`<EventData><Data Name="…">%n</Data>…` or a
//! `UserData` tree). Knowing each template's shape (parsed once per chunk), a record's
//! channel and event id are two value lookups, a payload field is one more, and the whole
//! [`Event`] is built from values directly. That is what makes skipping cheap, and keeping
//! cheap too.
//!
//! The result must equal what the evtx crate's JSON gives after `json_tree` (a test compares
//! both on every record of the corpus and of generated logs). Shapes or value types not
//! reproduced here give `None`, and those records are rendered by the crate.

pub(crate) mod template_definition;
pub(crate) mod value;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::json_tree::Provenance;
use super::raw_instance::RawInstance;
use crate::model::{Event, FieldValue, parse_number};
use template_definition::{Element, Node, Piece};

/// Where a System value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Src {
    /// Substitution index; optional.
    Hole(u16, bool),
    Literal(String),
    Absent,
}

/// Where the payload is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Payload {
    /// No payload element at all.
    None,
    /// A nested BinXml value; inside `<UserData>` when `user_data`.
    Nested {
        hole: u16,
        user_data: bool,
    },
    /// Written in the outer template itself.
    EventData(Arc<Element>),
    UserData(Arc<Element>),
}

/// What one outer template says about its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    event_id: Src,
    qualifiers: Src,
    provider: Src,
    source_name: Src,
    time: Src,
    activity: Src,
    level: Src,
    process_id: Src,
    channel: Src,
    computer: Src,
    user: Src,
    payload: Payload,
}

fn src_of(pieces: Option<&[Piece]>) -> Option<Src> {
    Some(match pieces {
        None | Some([]) => Src::Absent,
        Some([Piece::Hole { index, optional }]) => Src::Hole(*index, *optional),
        Some([Piece::Text(t)]) => Src::Literal(t.clone()),
        Some(_) => return None,
    })
}

fn text_src(el: Option<&Element>) -> Option<Src> {
    match el {
        None => Some(Src::Absent),
        Some(e) => {
            let text = e.text()?;
            let pieces: Vec<Piece> = text.into_iter().cloned().collect();
            src_of(Some(&pieces))
        }
    }
}

fn attr_src(el: Option<&Element>, name: &str) -> Option<Src> {
    match el {
        None => Some(Src::Absent),
        Some(e) => src_of(e.attr(name)),
    }
}

impl Shape {
    /// The shape of an outer template, `None` when it is not the usual `<Event>` layout.
    pub(crate) fn of(root: &Element) -> Option<Shape> {
        if root.name != "Event" {
            return None;
        }
        let sys = root.child("System")?;
        let event_id_el = sys.child("EventID");
        let provider = sys.child("Provider");
        let payload_nodes: Vec<&Node> = root
            .children
            .iter()
            .filter(|n| !matches!(n, Node::Element(e) if e.name == "System"))
            .collect();
        let payload = match payload_nodes.as_slice() {
            [] => Payload::None,
            [Node::Piece(Piece::Hole { index, .. })] => Payload::Nested {
                hole: *index,
                user_data: false,
            },
            [Node::Element(e)] if e.name == "UserData" => match e.children.as_slice() {
                [Node::Piece(Piece::Hole { index, .. })] => Payload::Nested {
                    hole: *index,
                    user_data: true,
                },
                [Node::Element(w)] => Payload::UserData(Arc::new(w.clone())),
                _ => return None,
            },
            [Node::Element(e)] if e.name == "EventData" => Payload::EventData(Arc::new(e.clone())),
            _ => return None,
        };
        Some(Shape {
            event_id: text_src(event_id_el)?,
            qualifiers: attr_src(event_id_el, "Qualifiers")?,
            provider: attr_src(provider, "Name")?,
            source_name: attr_src(provider, "EventSourceName")?,
            time: attr_src(sys.child("TimeCreated"), "SystemTime")?,
            activity: attr_src(sys.child("Correlation"), "ActivityID")?,
            level: text_src(sys.child("Level"))?,
            process_id: attr_src(sys.child("Execution"), "ProcessID")?,
            channel: text_src(sys.child("Channel"))?,
            computer: text_src(sys.child("Computer"))?,
            user: attr_src(sys.child("Security"), "UserID")?,
            payload,
        })
    }
}

/// A template definition's identity: its GUID and data size (MS-EVEN6 2.2.3).
type TemplateKey = ([u8; 16], u32);

/// Most templates one file may add to its cache (real logs have tens to a few hundred).
const MAX_FILE_TEMPLATES: usize = 4096;
/// Most definition bytes one file's cache may hold (real logs: well under 1 MiB). A hostile
/// log with a new large template in every chunk would otherwise grow it with the file.
const MAX_FILE_TEMPLATE_BYTES: usize = 4 << 20;

/// Templates already parsed in this file, by identity. Every chunk carries its own copy of the
/// templates its records use, so without this each of a 400 MB log's 6,000 chunks parsed the
/// same few again (about 12% of the analyzer's CPU). Windows derives the GUID from the
/// template's content; a file that reuses a GUID for another template misleads only its own
/// decoding, which is bounds-checked like any other. Only successful parses are kept, so a
/// damaged copy in one chunk does not stop the others. Bounded by [`MAX_FILE_TEMPLATES`] and
/// [`MAX_FILE_TEMPLATE_BYTES`] (the corpus logs hold at most 17 templates, 12 KB); past them,
/// templates are parsed per chunk as before. Shared by the chunks decoded in parallel.
#[derive(Default)]
pub(crate) struct FileTemplates {
    shapes: Mutex<TemplateCache<Shape>>,
    elements: Mutex<TemplateCache<Element>>,
}

/// Parsed templates by identity, and the definition bytes they came from.
struct TemplateCache<T> {
    parsed: HashMap<TemplateKey, Arc<T>>,
    bytes: usize,
}

impl<T> Default for TemplateCache<T> {
    fn default() -> Self {
        TemplateCache {
            parsed: HashMap::new(),
            bytes: 0,
        }
    }
}

fn template_key(chunk: &[u8], offset: u32) -> Option<TemplateKey> {
    let at = usize::try_from(offset).ok()?;
    let guid: [u8; 16] = chunk
        .get(at.checked_add(4)?..at.checked_add(20)?)?
        .try_into()
        .ok()?;
    let size = u32::from_le_bytes(chunk.get(at + 20..at + 24)?.try_into().ok()?);
    Some((guid, size))
}

/// Looks `key` up in a file cache, or parses and keeps it (a poisoned lock only skips the cache).
fn cached<T>(
    cache: &Mutex<TemplateCache<T>>,
    key: Option<TemplateKey>,
    parse: impl FnOnce() -> Option<T>,
) -> Option<Arc<T>> {
    if let Some(k) = key
        && let Some(hit) = cache.lock().ok().and_then(|g| g.parsed.get(&k).cloned())
    {
        return Some(hit);
    }
    let parsed = Arc::new(parse()?);
    if let Some(k) = key
        && let Ok(mut g) = cache.lock()
    {
        // The declared size, at most a chunk: what the parse could have read.
        let weight = usize::try_from(k.1).unwrap_or(usize::MAX).min(CHUNK_BYTES);
        if g.parsed.len() < MAX_FILE_TEMPLATES && g.bytes + weight <= MAX_FILE_TEMPLATE_BYTES {
            g.bytes += weight;
            g.parsed.insert(k, parsed.clone());
        }
    }
    Some(parsed)
}

/// An EVTX chunk's size: no template definition is larger.
const CHUNK_BYTES: usize = super::CHUNK_SIZE as usize;

/// Templates of one chunk, parsed on first use (offsets are per chunk), through the file's
/// cache.
pub(crate) struct ChunkTemplates<'f> {
    file: &'f FileTemplates,
    outer: HashMap<u32, Option<Arc<Shape>>>,
    inner: HashMap<u32, Option<Arc<Element>>>,
    /// Computer, Channel and Provider as decoded, by their stored bytes: the same few in every
    /// record of a chunk, so each event shares one allocation instead of three of its own.
    system_strings: Vec<(SystemStringKey, Arc<str>)>,
    /// Field names of the chunk's events.
    field_names: FieldNames,
}

/// A System string's stored form: value type, optional substitution, bytes (or the literal).
type SystemStringKey = (u8, bool, Vec<u8>);

/// A hostile chunk could make every string distinct: past this many, decode without keeping.
const MAX_SYSTEM_STRINGS: usize = 32;

impl<'f> ChunkTemplates<'f> {
    /// Templates of a chunk of the file whose templates `file` keeps.
    pub(crate) fn of_file(file: &'f FileTemplates) -> Self {
        ChunkTemplates {
            file,
            outer: HashMap::new(),
            inner: HashMap::new(),
            system_strings: Vec::new(),
            field_names: FieldNames::default(),
        }
    }

    fn shape(&mut self, chunk: &[u8], offset: u32) -> Option<Arc<Shape>> {
        let file = self.file;
        self.outer
            .entry(offset)
            .or_insert_with(|| {
                cached(&file.shapes, template_key(chunk, offset), || {
                    template_definition::parse(chunk, offset).and_then(|root| Shape::of(&root))
                })
            })
            .clone()
    }

    /// `as_string(sys_field(..)).unwrap_or_default()`, shared; `None` when not reproduced.
    fn system_string(&mut self, inst: &RawInstance<'_>, src: &Src) -> Option<Arc<str>> {
        const LITERAL: u8 = 0xFF;
        const ABSENT: u8 = 0xFE;
        let (t, optional, bytes): (u8, bool, &[u8]) = match src {
            Src::Hole(i, optional) => match val(inst, *i) {
                Some((t, b)) => (t, *optional, b),
                None => (value::ty::NULL, *optional, &[]),
            },
            Src::Literal(text) => (LITERAL, false, text.as_bytes()),
            Src::Absent => (ABSENT, false, &[]),
        };
        if let Some((_, s)) = self
            .system_strings
            .iter()
            .find(|((kt, ko, kb), _)| *kt == t && *ko == optional && kb.as_slice() == bytes)
        {
            return Some(s.clone());
        }
        let s: Arc<str> = as_string(sys_field(inst, src)?).unwrap_or_default().into();
        if self.system_strings.len() < MAX_SYSTEM_STRINGS {
            self.system_strings
                .push(((t, optional, bytes.to_vec()), s.clone()));
        }
        Some(s)
    }

    fn inner(&mut self, chunk: &[u8], offset: u32) -> Option<Arc<Element>> {
        let file = self.file;
        self.inner
            .entry(offset)
            .or_insert_with(|| {
                cached(&file.elements, template_key(chunk, offset), || {
                    template_definition::parse(chunk, offset)
                })
            })
            .clone()
    }
}

/// One record, ready to be looked at: its outer instance and its template's shape.
pub(crate) struct Record<'c> {
    chunk: &'c [u8],
    inst: RawInstance<'c>,
    shape: Arc<Shape>,
}

/// A substitution value: (type, bytes), `None` when out of range.
fn val<'c>(inst: &RawInstance<'c>, i: u16) -> Option<(u8, &'c [u8])> {
    inst.value(usize::from(i))
}

/// A System value as a field; `Some(None)` when absent or null; `None` when not reproduced.
fn sys_field(inst: &RawInstance<'_>, src: &Src) -> Option<Option<FieldValue>> {
    match src {
        Src::Absent => Some(None),
        Src::Literal(t) => Some(Some(FieldValue::Str(t.clone()))),
        Src::Hole(i, optional) => match val(inst, *i) {
            None => Some(None),
            Some((value::ty::NULL, _)) => Some(None),
            Some((t, b)) if *optional => match value::optional_field(t, b)? {
                FieldValue::Null => Some(None),
                v => Some(Some(v)),
            },
            Some((t, b)) => value::field(t, b).map(Some),
        },
    }
}

/// `json_tree`'s `as_string`.
fn as_string(v: Option<FieldValue>) -> Option<String> {
    match v? {
        FieldValue::Str(s) => Some(s),
        FieldValue::UInt(n) => Some(n.to_string()),
        FieldValue::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `json_tree`'s `as_u64`.
fn as_u64(v: Option<FieldValue>) -> Option<u64> {
    match v? {
        FieldValue::UInt(n) => Some(n),
        FieldValue::Int(n) => u64::try_from(n).ok(),
        FieldValue::Str(s) => parse_number(&s),
        _ => None,
    }
}

impl<'c> Record<'c> {
    /// Looks up the record whose BinXml is `chunk[start..start + len]`; `None` when its
    /// template is not one this module reproduces.
    pub(crate) fn open(
        chunk: &'c [u8],
        start: usize,
        len: usize,
        templates: &mut ChunkTemplates<'_>,
    ) -> Option<Record<'c>> {
        let inst = RawInstance::parse(chunk, start, len)?;
        let shape = templates.shape(chunk, inst.template_offset)?;
        Some(Record { chunk, inst, shape })
    }

    /// The channel's bytes as stored (a literal's text or the value's UTF-16): a cache key.
    pub(crate) fn channel_key(&self) -> Option<&[u8]> {
        match &self.shape.channel {
            Src::Literal(t) => Some(t.as_bytes()),
            Src::Hole(i, _) => val(&self.inst, *i).map(|(_, b)| b),
            Src::Absent => Some(&[]),
        }
    }

    /// The channel, `None` when not readable here.
    pub(crate) fn channel(&self) -> Option<String> {
        Some(as_string(sys_field(&self.inst, &self.shape.channel)?).unwrap_or_default())
    }

    /// The event id, `None` when not readable here.
    pub(crate) fn event_id(&self) -> Option<u32> {
        let v = sys_field(&self.inst, &self.shape.event_id)?;
        as_u64(v).and_then(|n| u32::try_from(n).ok())
    }

    /// The nested payload instance and its template, for `Payload::Nested`.
    fn nested(&self, templates: &mut ChunkTemplates<'_>) -> Option<Option<(RawInstance<'c>, Arc<Element>)>> {
        let Payload::Nested { hole, .. } = &self.shape.payload else {
            return Some(None);
        };
        let Some((start, len, t)) = self.inst.value_span(usize::from(*hole)) else {
            return Some(None);
        };
        match t {
            value::ty::NULL => Some(None),
            value::ty::BINXML => {
                let inner = RawInstance::parse(self.chunk, start, len)?;
                let root = templates.inner(self.chunk, inner.template_offset)?;
                Some(Some((inner, root)))
            }
            _ => None,
        }
    }

    /// A named `<Data>` of an `EventData` payload as a number, without building the event:
    /// `Some(None)` when the record has no such field, `None` when not readable here.
    pub(crate) fn data_number(&self, name: &str, templates: &mut ChunkTemplates<'_>) -> Option<Option<u64>> {
        self.data_value(name, templates, value::number)
    }

    /// A named `<Data>` read from its substitution value by `read`: `None` when the record's
    /// shape or the value is not one this module reads, `Some(None)` when the field is absent.
    pub(crate) fn data_value<T>(
        &self,
        name: &str,
        templates: &mut ChunkTemplates<'_>,
        read: impl Fn(u8, &[u8]) -> Option<T>,
    ) -> Option<Option<T>> {
        let (inst, root) = match (&self.shape.payload, self.nested(templates)?) {
            (Payload::Nested { user_data: false, .. }, Some((inst, root))) => (inst, root),
            (Payload::EventData(e), _) => (self.inst, e.clone()),
            _ => return None,
        };
        if root.name != "EventData" {
            return None;
        }
        for child in &root.children {
            let Node::Element(d) = child else { return None };
            let named = matches!(d.attr("Name"), Some([Piece::Text(n)]) if n == name);
            if d.name != "Data" || !named {
                continue;
            }
            return match d.text()?.as_slice() {
                [Piece::Hole { index, .. }] => {
                    let (t, b) = val(&inst, *index)?;
                    Some(read(t, b))
                }
                _ => None,
            };
        }
        Some(None)
    }

    /// The whole event, `None` when this module does not reproduce it.
    pub(crate) fn event(
        &self,
        templates: &mut ChunkTemplates<'_>,
        prov: &Provenance,
        record_id: u64,
        header_time: DateTime<Utc>,
    ) -> Option<Event> {
        let s = &*self.shape;
        let i = &self.inst;
        let event_id = as_u64(sys_field(i, &s.event_id)?).and_then(|n| u32::try_from(n).ok())?;
        let time_utc = match &s.time {
            Src::Hole(h, _) => match val(i, *h) {
                Some((value::ty::FILETIME, b)) => value::filetime(b)?,
                Some((value::ty::NULL, _)) | None => header_time,
                Some(_) => return None,
            },
            Src::Absent => header_time,
            Src::Literal(_) => return None,
        };
        let fields = match &s.payload {
            Payload::None => Vec::new(),
            Payload::EventData(e) => event_data_fields(e, i, &mut templates.field_names)?,
            Payload::UserData(w) => user_data_fields(w, i, &mut templates.field_names)?,
            Payload::Nested { user_data, .. } => match self.nested(templates)? {
                None => Vec::new(),
                Some((inner, root)) => {
                    if *user_data {
                        user_data_fields(&root, &inner, &mut templates.field_names)?
                    } else if root.name == "EventData" {
                        event_data_fields(&root, &inner, &mut templates.field_names)?
                    } else {
                        return None;
                    }
                }
            },
        };
        Some(Event {
            input: prov.input.clone(),
            artifact: prov.artifact.clone(),
            record_id,
            time_utc,
            host: templates.system_string(i, &s.computer)?,
            channel: templates.system_string(i, &s.channel)?,
            provider: templates.system_string(i, &s.provider)?,
            source_name: as_string(sys_field(i, &s.source_name)?),
            event_id,
            qualifiers: as_u64(sys_field(i, &s.qualifiers)?).and_then(|n| u32::try_from(n).ok()),
            level: as_u64(sys_field(i, &s.level)?).and_then(|n| u8::try_from(n).ok()),
            activity_id: as_string(sys_field(i, &s.activity)?).map(|mut a| {
                a.make_ascii_uppercase();
                a
            }),
            process_id: as_u64(sys_field(i, &s.process_id)?).and_then(|n| u32::try_from(n).ok()),
            user_sid: as_string(sys_field(i, &s.user)?),
            fields,
        })
    }
}

/// Whether an element is written: one that depends on a null value is left out.
fn present(el: &Element, inst: &RawInstance<'_>) -> bool {
    match el.depends_on {
        Some(d) => !matches!(val(inst, d), None | Some((value::ty::NULL, _))),
        None => true,
    }
}

/// A leaf's value: empty is null; one hole or one literal; more is not reproduced.
fn leaf_value(pieces: &[&Piece], inst: &RawInstance<'_>) -> Option<FieldValue> {
    match pieces {
        [] => Some(FieldValue::Null),
        [Piece::Hole { index, optional }] => match val(inst, *index) {
            None => Some(FieldValue::Null),
            Some((t, b)) if *optional => value::optional_field(t, b),
            Some((t, b)) => value::field(t, b),
        },
        _ => None,
    }
}

/// An element's text content as at most one piece: `Some(None)` empty, `Some(Some(p))` one;
/// `None` for child elements or several pieces, which [`leaf_value`] does not reproduce either.
fn single_text(el: &Element) -> Option<Option<&Piece>> {
    match el.children.as_slice() {
        [] => Some(None),
        [Node::Piece(p)] => Some(Some(p)),
        _ => None,
    }
}

/// Field names, shared by the events of a chunk: each event's fields point at one copy instead
/// of allocating their own (and later stages compare names that stay in cache).
#[derive(Default)]
pub(crate) struct FieldNames {
    names: HashSet<Arc<str>, foldhash::fast::RandomState>,
}

/// Past this many distinct names in one chunk (hostile input), names are no longer kept.
const MAX_FIELD_NAMES: usize = 1024;

impl FieldNames {
    fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(n) = self.names.get(name) {
            return n.clone();
        }
        let n: Arc<str> = Arc::from(name);
        if self.names.len() < MAX_FIELD_NAMES {
            self.names.insert(n.clone());
        }
        n
    }
}

/// `<EventData><Data Name="n">v</Data>…</EventData>` as `json_tree` flattens the crate's JSON.
fn event_data_fields(
    ed: &Element,
    inst: &RawInstance<'_>,
    names: &mut FieldNames,
) -> Option<Vec<(Arc<str>, FieldValue)>> {
    if !ed.attrs.is_empty() {
        return None;
    }
    let mut out: Vec<(Arc<str>, FieldValue)> = Vec::with_capacity(ed.children.len());
    for child in &ed.children {
        let Node::Element(d) = child else { return None };
        if !present(d, inst) {
            continue;
        }
        let name = match d.attrs.as_slice() {
            [(a, p)] if a == "Name" => match p.as_slice() {
                [Piece::Text(n)] if !n.is_empty() => n.as_str(),
                _ => return None,
            },
            _ => return None,
        };
        if d.name != "Data" || out.iter().any(|(n, _)| &**n == name) {
            return None;
        }
        // An element without content renders differently in the crate's JSON: not reproduced.
        let piece = single_text(d)??;
        out.push((names.get(name), leaf_value(&[piece], inst)?));
    }
    if out.is_empty() {
        // `"EventData": null`, which `json_tree` keeps as one unnamed null.
        return Some(vec![(names.get(""), FieldValue::Null)]);
    }
    Some(out)
}

/// `UserData`'s one element (its wrapper dropped): attributes `@a`, children by name,
/// nested `Parent.Child`, `Element@attr`.
fn user_data_fields(
    w: &Element,
    inst: &RawInstance<'_>,
    names: &mut FieldNames,
) -> Option<Vec<(Arc<str>, FieldValue)>> {
    let mut out = Vec::new();
    flatten_element("", w, inst, names, &mut out)?;
    Some(out)
}

fn attr_fields(
    prefix: &str,
    el: &Element,
    inst: &RawInstance<'_>,
    names: &mut FieldNames,
    out: &mut Vec<(Arc<str>, FieldValue)>,
) -> Option<usize> {
    let mut n = 0;
    for (a, pieces) in &el.attrs {
        if a == "xmlns" || a.starts_with("xmlns:") {
            n += 1;
            continue;
        }
        let v = match pieces.as_slice() {
            [] => leaf_value(&[], inst)?,
            [p] => leaf_value(&[p], inst)?,
            _ => return None,
        };
        if matches!(v, FieldValue::Null) {
            // Optional attributes with a null value are left out by the crate.
            return None;
        }
        out.push((names.get(&format!("{prefix}@{a}")), v));
        n += 1;
    }
    Some(n)
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Fields of `el`'s attributes and children, named under `prefix`.
fn flatten_element(
    prefix: &str,
    el: &Element,
    inst: &RawInstance<'_>,
    names: &mut FieldNames,
    out: &mut Vec<(Arc<str>, FieldValue)>,
) -> Option<()> {
    let attrs = attr_fields(prefix, el, inst, names, out)?;
    let elements = el
        .children
        .iter()
        .filter(|n| matches!(n, Node::Element(_)))
        .count();
    if elements == 0 {
        let piece = single_text(el)?;
        let v = leaf_value(piece.as_slice(), inst)?;
        if piece.is_none() && attrs > 0 {
            return Some(());
        }
        out.push((names.get(prefix), v));
        return Some(());
    }
    if elements != el.children.len() {
        return None; // mixed text and elements
    }
    for (k, c) in el.children.iter().enumerate() {
        let Node::Element(c) = c else { return None };
        let repeated = el.children[..k]
            .iter()
            .any(|p| matches!(p, Node::Element(p) if p.name == c.name));
        if !present(c, inst) || repeated {
            return None;
        }
        flatten_element(&join(prefix, &c.name), c, inst, names, out)?;
    }
    Some(())
}

#[cfg(test)]
mod file_template_tests {
    use super::*;

    #[test]
    fn the_file_cache_stops_at_its_byte_cap() {
        let cache: Mutex<TemplateCache<u32>> = Mutex::default();
        let mut parses = 0;
        for i in 0..200u32 {
            let mut guid = [0u8; 16];
            guid[..4].copy_from_slice(&i.to_le_bytes());
            // A hostile size: counted as one chunk at most.
            let got = cached(&cache, Some((guid, u32::MAX)), || {
                parses += 1;
                Some(i)
            });
            assert_eq!(got.as_deref(), Some(&i));
        }
        assert_eq!(parses, 200);
        let g = cache.lock().unwrap();
        assert_eq!(g.parsed.len(), MAX_FILE_TEMPLATE_BYTES / CHUNK_BYTES);
        assert!(g.bytes <= MAX_FILE_TEMPLATE_BYTES);
        drop(g);
        // A kept template is served without parsing again; one past the cap is parsed each time.
        let mut guid = [0u8; 16];
        guid[..4].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            cached(&cache, Some((guid, u32::MAX)), || None::<u32>).as_deref(),
            Some(&0)
        );
        guid[..4].copy_from_slice(&199u32.to_le_bytes());
        assert_eq!(cached(&cache, Some((guid, u32::MAX)), || None::<u32>), None);
    }
}
