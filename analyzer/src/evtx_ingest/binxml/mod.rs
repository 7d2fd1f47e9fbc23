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

use std::collections::HashMap;
use std::rc::Rc;

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
    EventData(Rc<Element>),
    UserData(Rc<Element>),
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
                [Node::Element(w)] => Payload::UserData(Rc::new(w.clone())),
                _ => return None,
            },
            [Node::Element(e)] if e.name == "EventData" => Payload::EventData(Rc::new(e.clone())),
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

/// Templates of one chunk, parsed on first use (offsets are per chunk).
#[derive(Default)]
pub(crate) struct ChunkTemplates {
    outer: HashMap<u32, Option<Rc<Shape>>>,
    inner: HashMap<u32, Option<Rc<Element>>>,
}

impl ChunkTemplates {
    fn shape(&mut self, chunk: &[u8], offset: u32) -> Option<Rc<Shape>> {
        self.outer
            .entry(offset)
            .or_insert_with(|| {
                template_definition::parse(chunk, offset)
                    .and_then(|root| Shape::of(&root))
                    .map(Rc::new)
            })
            .clone()
    }

    fn inner(&mut self, chunk: &[u8], offset: u32) -> Option<Rc<Element>> {
        self.inner
            .entry(offset)
            .or_insert_with(|| template_definition::parse(chunk, offset).map(Rc::new))
            .clone()
    }
}

/// One record, ready to be looked at: its outer instance and its template's shape.
pub(crate) struct Record<'c> {
    chunk: &'c [u8],
    inst: RawInstance<'c>,
    shape: Rc<Shape>,
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
        templates: &mut ChunkTemplates,
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
    fn nested(&self, templates: &mut ChunkTemplates) -> Option<Option<(RawInstance<'c>, Rc<Element>)>> {
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
    pub(crate) fn data_number(&self, name: &str, templates: &mut ChunkTemplates) -> Option<Option<u64>> {
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
                    Some(value::number(t, b))
                }
                _ => None,
            };
        }
        Some(None)
    }

    /// The whole event, `None` when this module does not reproduce it.
    pub(crate) fn event(
        &self,
        templates: &mut ChunkTemplates,
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
            Payload::EventData(e) => event_data_fields(e, i)?,
            Payload::UserData(w) => user_data_fields(w, i)?,
            Payload::Nested { user_data, .. } => match self.nested(templates)? {
                None => Vec::new(),
                Some((inner, root)) => {
                    if *user_data {
                        user_data_fields(&root, &inner)?
                    } else if root.name == "EventData" {
                        event_data_fields(&root, &inner)?
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
            host: as_string(sys_field(i, &s.computer)?).unwrap_or_default(),
            channel: as_string(sys_field(i, &s.channel)?).unwrap_or_default(),
            provider: as_string(sys_field(i, &s.provider)?).unwrap_or_default(),
            source_name: as_string(sys_field(i, &s.source_name)?),
            event_id,
            qualifiers: as_u64(sys_field(i, &s.qualifiers)?).and_then(|n| u32::try_from(n).ok()),
            level: as_u64(sys_field(i, &s.level)?).and_then(|n| u8::try_from(n).ok()),
            activity_id: as_string(sys_field(i, &s.activity)?).map(|a| a.to_ascii_uppercase()),
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

/// `<EventData><Data Name="n">v</Data>…</EventData>` as `json_tree` flattens the crate's JSON.
fn event_data_fields(ed: &Element, inst: &RawInstance<'_>) -> Option<Vec<(String, FieldValue)>> {
    if !ed.attrs.is_empty() {
        return None;
    }
    let mut out: Vec<(String, FieldValue)> = Vec::with_capacity(ed.children.len());
    for child in &ed.children {
        let Node::Element(d) = child else { return None };
        if !present(d, inst) {
            continue;
        }
        let name = match d.attrs.as_slice() {
            [(a, p)] if a == "Name" => match p.as_slice() {
                [Piece::Text(n)] if !n.is_empty() => n.clone(),
                _ => return None,
            },
            _ => return None,
        };
        if d.name != "Data" || out.iter().any(|(n, _)| *n == name) {
            return None;
        }
        let text = d.text()?;
        // An element without content renders differently in the crate's JSON: not reproduced.
        if text.is_empty() {
            return None;
        }
        out.push((name, leaf_value(&text, inst)?));
    }
    if out.is_empty() {
        // `"EventData": null`, which `json_tree` keeps as one unnamed null.
        return Some(vec![(String::new(), FieldValue::Null)]);
    }
    Some(out)
}

/// `UserData`'s one element (its wrapper dropped): attributes `@a`, children by name,
/// nested `Parent.Child`, `Element@attr`.
fn user_data_fields(w: &Element, inst: &RawInstance<'_>) -> Option<Vec<(String, FieldValue)>> {
    let mut out = Vec::new();
    flatten_element("", w, inst, &mut out)?;
    Some(out)
}

fn attr_fields(
    prefix: &str,
    el: &Element,
    inst: &RawInstance<'_>,
    out: &mut Vec<(String, FieldValue)>,
) -> Option<usize> {
    let mut n = 0;
    for (a, pieces) in &el.attrs {
        if a == "xmlns" || a.starts_with("xmlns:") {
            n += 1;
            continue;
        }
        let refs: Vec<&Piece> = pieces.iter().collect();
        let v = leaf_value(&refs, inst)?;
        if matches!(v, FieldValue::Null) {
            // Optional attributes with a null value are left out by the crate.
            return None;
        }
        out.push((format!("{prefix}@{a}"), v));
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
    out: &mut Vec<(String, FieldValue)>,
) -> Option<()> {
    let attrs = attr_fields(prefix, el, inst, out)?;
    let elements: Vec<&Element> = el
        .children
        .iter()
        .filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Piece(_) => None,
        })
        .collect();
    if elements.is_empty() {
        let text = el.text()?;
        let v = leaf_value(&text, inst)?;
        if text.is_empty() && attrs > 0 {
            return Some(());
        }
        out.push((prefix.to_string(), v));
        return Some(());
    }
    if elements.len() != el.children.len() {
        return None; // mixed text and elements
    }
    for (k, c) in elements.iter().enumerate() {
        if !present(c, inst) || elements[..k].iter().any(|p| p.name == c.name) {
            return None;
        }
        flatten_element(&join(prefix, &c.name), c, inst, out)?;
    }
    Some(())
}
