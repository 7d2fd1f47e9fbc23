//! A chunk's template definitions (MS-EVEN6 2.2.3), parsed into a small element tree whose
//! leaves are literal text or holes (substitution indexes).
//!
//! A definition lives in the chunk at the offset a `TemplateInstance` names: next-definition
//! offset (u32), GUID (16), data size (u32), then a BinXml fragment. Names are offsets of
//! chunk strings (next offset u32, hash u16, length u16, UTF-16LE, NUL), written inline the
//! first time. Anything this reader does not model (character and entity references, CDATA,
//! processing instructions, nested instances) makes the whole template unsupported: its
//! records then go through the evtx crate.

/// Deepest element nesting accepted (real templates are 4-5 deep).
const MAX_DEPTH: usize = 32;
/// Most tokens read from one definition.
const MAX_TOKENS: usize = 20_000;

/// A leaf of text: literal or a hole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Literal text of the template.
    Text(String),
    /// Substitution `index`; `optional` ones leave their attribute out when null.
    Hole { index: u16, optional: bool },
}

/// A child of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// A nested element.
    Element(Element),
    /// Text content.
    Piece(Piece),
}

/// One element of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    /// Local name.
    pub name: String,
    /// The substitution this element depends on: a null value leaves the element out.
    pub depends_on: Option<u16>,
    /// Attributes with their value pieces.
    pub attrs: Vec<(String, Vec<Piece>)>,
    /// Content, in order.
    pub children: Vec<Node>,
}

impl Element {
    /// The first child element with this name.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find_map(|n| match n {
            Node::Element(e) if e.name == name => Some(e),
            _ => None,
        })
    }

    /// Pieces of an attribute.
    pub(crate) fn attr(&self, name: &str) -> Option<&[Piece]> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.as_slice())
    }

    /// Text content pieces, `None` when the element also holds elements.
    pub(crate) fn text(&self) -> Option<Vec<&Piece>> {
        self.children
            .iter()
            .map(|n| match n {
                Node::Piece(p) => Some(p),
                Node::Element(_) => None,
            })
            .collect()
    }
}

mod token {
    pub const EOF: u8 = 0x00;
    pub const OPEN_START: u8 = 0x01;
    pub const CLOSE_START: u8 = 0x02;
    pub const CLOSE_EMPTY: u8 = 0x03;
    pub const END_ELEMENT: u8 = 0x04;
    pub const VALUE: u8 = 0x05;
    pub const ATTRIBUTE: u8 = 0x06;
    pub const NORMAL_SUBST: u8 = 0x0D;
    pub const OPTIONAL_SUBST: u8 = 0x0E;
    pub const FRAGMENT_HEADER: u8 = 0x0F;
    pub const MORE: u8 = 0x40;
}

struct Reader<'a> {
    chunk: &'a [u8],
    pos: usize,
    end: usize,
    tokens: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Option<u8> {
        if self.pos >= self.end {
            return None;
        }
        let b = *self.chunk.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn peek(&self) -> Option<u8> {
        if self.pos >= self.end {
            return None;
        }
        self.chunk.get(self.pos).copied()
    }

    fn u16(&mut self) -> Option<u16> {
        let s = self.chunk.get(self.pos..self.pos.checked_add(2)?)?;
        self.pos += 2;
        Some(u16::from_le_bytes([s[0], s[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        let s = self.chunk.get(self.pos..self.pos.checked_add(4)?)?;
        self.pos += 4;
        Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn utf16(&mut self, units: usize) -> Option<String> {
        let bytes = self
            .chunk
            .get(self.pos..self.pos.checked_add(units.checked_mul(2)?)?)?;
        self.pos += units * 2;
        decode_utf16(bytes)
    }

    /// A name: at its offset in the chunk; when that is right here, it is inline and skipped.
    fn name(&mut self) -> Option<String> {
        let offset = usize::try_from(self.u32()?).ok()?;
        let name = read_chunk_string(self.chunk, offset)?;
        if offset == self.pos {
            // next (4) + hash (2) + length (2) + chars + NUL
            self.pos = self.pos.checked_add(8 + name.encode_utf16().count() * 2 + 2)?;
        }
        Some(name)
    }

    fn count_token(&mut self) -> Option<()> {
        self.tokens += 1;
        (self.tokens <= MAX_TOKENS).then_some(())
    }
}

/// UTF-16LE to a string (lone surrogates make it unsupported rather than lossy: the crate
/// renders them its own way).
pub(crate) fn decode_utf16(bytes: &[u8]) -> Option<String> {
    // Most event text is ASCII: one pass, no surrogate handling.
    if bytes.chunks_exact(2).all(|c| c[1] == 0 && c[0] < 0x80) {
        return String::from_utf8(bytes.chunks_exact(2).map(|c| c[0]).collect()).ok();
    }
    char::decode_utf16(bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])))
        .collect::<Result<String, _>>()
        .ok()
}

/// A chunk string (element and attribute names) at `offset`.
fn read_chunk_string(chunk: &[u8], offset: usize) -> Option<String> {
    let at = offset.checked_add(6)?;
    let len = usize::from(u16::from_le_bytes([*chunk.get(at)?, *chunk.get(at + 1)?]));
    let start = at + 2;
    decode_utf16(chunk.get(start..start.checked_add(len * 2)?)?)
}

/// Parses the template definition at `offset` of `chunk` into its root element.
pub(crate) fn parse(chunk: &[u8], offset: u32) -> Option<Element> {
    let offset = usize::try_from(offset).ok()?;
    let size_at = offset.checked_add(20)?;
    let size = u32::from_le_bytes(chunk.get(size_at..size_at + 4)?.try_into().ok()?);
    let start = offset.checked_add(24)?;
    let end = start.checked_add(usize::try_from(size).ok()?)?.min(chunk.len());
    let mut r = Reader {
        chunk,
        pos: start,
        end,
        tokens: 0,
    };
    if r.peek()? == token::FRAGMENT_HEADER {
        r.pos += 4;
    }
    let root = element(&mut r, 0)?;
    // Only EOF may follow the root.
    match r.peek() {
        None | Some(token::EOF) => Some(root),
        Some(_) => None,
    }
}

fn element(r: &mut Reader<'_>, depth: usize) -> Option<Element> {
    if depth > MAX_DEPTH {
        return None;
    }
    r.count_token()?;
    let tok = r.u8()?;
    if tok & !token::MORE != token::OPEN_START {
        return None;
    }
    let dep = r.u16()?;
    let _size = r.u32()?;
    let name = r.name()?;
    if tok & token::MORE != 0 {
        let _attr_size = r.u32()?;
    }
    let mut el = Element {
        name,
        depends_on: (dep != 0xFFFF).then_some(dep),
        attrs: Vec::new(),
        children: Vec::new(),
    };
    loop {
        r.count_token()?;
        match r.peek()? {
            t if t & !token::MORE == token::ATTRIBUTE => {
                r.pos += 1;
                let name = r.name()?;
                let mut pieces = Vec::new();
                while let Some(p) = piece(r)? {
                    pieces.push(p);
                }
                el.attrs.push((name, pieces));
            }
            token::CLOSE_EMPTY => {
                r.pos += 1;
                return Some(el);
            }
            token::CLOSE_START => {
                r.pos += 1;
                break;
            }
            _ => return None,
        }
    }
    loop {
        r.count_token()?;
        match r.peek()? {
            token::END_ELEMENT => {
                r.pos += 1;
                return Some(el);
            }
            t if t & !token::MORE == token::OPEN_START => {
                el.children.push(Node::Element(element(r, depth + 1)?));
            }
            _ => match piece(r)? {
                Some(p) => el.children.push(Node::Piece(p)),
                None => return None,
            },
        }
    }
}

/// A value piece, `Some(None)` when the next token is not one, `None` when unsupported.
fn piece(r: &mut Reader<'_>) -> Option<Option<Piece>> {
    let t = r.peek()?;
    match t & !token::MORE {
        token::VALUE => {
            r.pos += 1;
            let ty = r.u8()?;
            if ty != 0x01 {
                return None;
            }
            let n = usize::from(r.u16()?);
            Some(Some(Piece::Text(r.utf16(n)?)))
        }
        _ if t == token::NORMAL_SUBST || t == token::OPTIONAL_SUBST => {
            r.pos += 1;
            let index = r.u16()?;
            let _ty = r.u8()?;
            Some(Some(Piece::Hole {
                index,
                optional: t == token::OPTIONAL_SUBST,
            }))
        }
        // Character/entity references, CDATA, PIs: not modelled.
        0x07..=0x0C => None,
        _ => Some(None),
    }
}
