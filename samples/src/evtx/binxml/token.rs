//! BinXml tokens and an emitter that writes them into a chunk, patching the element and
//! attribute-list sizes once the content is known.
//!
//! Sizes as Windows writes them (checked on the corpus logs): an element's data size counts
//! everything after the size field up to and including its end token (so an inline name is
//! included); an attribute list's size counts the attribute tokens, names and values up to the
//! close-start / close-empty token.

use super::EncodeError;
use super::value::{MAX_VALUE_SIZE, STRING, write_utf16};
use crate::evtx::chunk::StringTable;

/// End of a fragment or template body.
pub(crate) const EOF: u8 = 0x00;
/// Opens an element (`<name`).
pub(crate) const OPEN_START_ELEMENT: u8 = 0x01;
/// Ends a start tag that has content (`>`).
pub(crate) const CLOSE_START_ELEMENT: u8 = 0x02;
/// Ends an element without content (`/>`).
pub(crate) const CLOSE_EMPTY_ELEMENT: u8 = 0x03;
/// Ends an element with content (`</name>`).
pub(crate) const END_ELEMENT: u8 = 0x04;
/// Literal text (always StringType in records).
pub(crate) const VALUE: u8 = 0x05;
/// An attribute name; its value follows.
pub(crate) const ATTRIBUTE: u8 = 0x06;
/// A template instance: template reference or inline definition, then the values.
pub(crate) const TEMPLATE_INSTANCE: u8 = 0x0c;
/// A substitution rendered even when its value is NullType (as empty).
pub(crate) const NORMAL_SUBSTITUTION: u8 = 0x0d;
/// A substitution left out when its value is NullType (MS-EVEN6 "optional").
pub(crate) const OPTIONAL_SUBSTITUTION: u8 = 0x0e;
/// Starts a fragment; followed by major 1, minor 1, flags 0.
pub(crate) const FRAGMENT_HEADER: u8 = 0x0f;
/// On an element start: an attribute list follows. On an attribute: more attributes follow.
pub(crate) const MORE_FLAG: u8 = 0x40;

/// Dependency identifier of an element that does not depend on a substitution.
const NO_DEPENDENCY: u16 = 0xffff;

/// Writes tokens at the end of a chunk's data, defining names in its string table.
pub(crate) struct Emitter<'a> {
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) strings: &'a mut StringTable,
}

/// An element whose start tag was written; holds the positions to patch.
#[must_use = "an element must be closed"]
pub(crate) struct OpenElement {
    size_pos: usize,
    attr_list_pos: Option<usize>,
}

impl Emitter<'_> {
    /// `0f 01 01 00`.
    pub(crate) fn fragment_header(&mut self) {
        self.out.extend_from_slice(&[FRAGMENT_HEADER, 1, 1, 0]);
    }

    /// End-of-fragment token.
    pub(crate) fn eof(&mut self) {
        self.out.push(EOF);
    }

    /// Writes `<name`. `dependency` is the substitution index whose NullType value makes readers
    /// leave the element out (Windows sets it on System children like `<Level>`).
    pub(crate) fn start_element(
        &mut self,
        name: &str,
        dependency: Option<u16>,
        has_attributes: bool,
    ) -> Result<OpenElement, EncodeError> {
        let token = if has_attributes {
            OPEN_START_ELEMENT | MORE_FLAG
        } else {
            OPEN_START_ELEMENT
        };
        self.out.push(token);
        self.out
            .extend_from_slice(&dependency.unwrap_or(NO_DEPENDENCY).to_le_bytes());
        let size_pos = self.out.len();
        self.out.extend_from_slice(&[0; 4]);
        self.strings.write_name_ref(self.out, name)?;
        let attr_list_pos = if has_attributes {
            let p = self.out.len();
            self.out.extend_from_slice(&[0; 4]);
            Some(p)
        } else {
            None
        };
        Ok(OpenElement {
            size_pos,
            attr_list_pos,
        })
    }

    /// Writes an attribute name; the caller writes its value next.
    pub(crate) fn attribute(&mut self, name: &str, last: bool) -> Result<(), EncodeError> {
        self.out
            .push(if last { ATTRIBUTE } else { ATTRIBUTE | MORE_FLAG });
        self.strings.write_name_ref(self.out, name)
    }

    /// Literal text, e.g. the Computer name or an `xmlns` URI.
    pub(crate) fn value_text(&mut self, s: &str) -> Result<(), EncodeError> {
        let units = s.encode_utf16().count();
        let n = u16::try_from(units).map_err(|_| EncodeError::TooLarge(units * 2))?;
        self.out.extend_from_slice(&[VALUE, STRING]);
        self.out.extend_from_slice(&n.to_le_bytes());
        write_utf16(self.out, s);
        Ok(())
    }

    /// A substitution of value `index`, declared with type `ty`.
    pub(crate) fn substitution(&mut self, optional: bool, index: u16, ty: u8) {
        let token = if optional {
            OPTIONAL_SUBSTITUTION
        } else {
            NORMAL_SUBSTITUTION
        };
        self.out.push(token);
        self.out.extend_from_slice(&index.to_le_bytes());
        self.out.push(ty);
    }

    /// Writes `>`; content and [`Emitter::end_element`] follow.
    pub(crate) fn close_start(&mut self, el: &OpenElement) -> Result<(), EncodeError> {
        self.patch_attr_list(el)?;
        self.out.push(CLOSE_START_ELEMENT);
        Ok(())
    }

    /// Writes `/>` and closes the element.
    pub(crate) fn close_empty(&mut self, el: OpenElement) -> Result<(), EncodeError> {
        self.patch_attr_list(&el)?;
        self.out.push(CLOSE_EMPTY_ELEMENT);
        self.patch_size(&el)
    }

    /// Writes `</name>` and closes the element.
    pub(crate) fn end_element(&mut self, el: OpenElement) -> Result<(), EncodeError> {
        self.out.push(END_ELEMENT);
        self.patch_size(&el)
    }

    fn patch_attr_list(&mut self, el: &OpenElement) -> Result<(), EncodeError> {
        if let Some(p) = el.attr_list_pos {
            patch_size_field(self.out, p)?;
        }
        Ok(())
    }

    fn patch_size(&mut self, el: &OpenElement) -> Result<(), EncodeError> {
        patch_size_field(self.out, el.size_pos)
    }
}

/// Fills the 32-bit size field at `pos` with the number of bytes written after it.
pub(crate) fn patch_size_field(out: &mut [u8], pos: usize) -> Result<(), EncodeError> {
    let size = out.len() - (pos + 4);
    let v = u32::try_from(size).map_err(|_| EncodeError::TooLarge(size))?;
    out[pos..pos + 4].copy_from_slice(&v.to_le_bytes());
    Ok(())
}

/// Writes template instance data: value count, one descriptor (size, type, 0) per value and
/// the values. Descriptors are reserved first and patched as each value is written, so every
/// value is encoded once.
pub(crate) struct ValuesWriter {
    desc_pos: usize,
    next: usize,
}

impl ValuesWriter {
    /// Writes the count and reserves `count` descriptors.
    pub(crate) fn begin(out: &mut Vec<u8>, count: usize) -> Result<ValuesWriter, EncodeError> {
        // Descriptors alone past a chunk's capacity: reject before allocating them.
        if count.saturating_mul(4) > crate::evtx::chunk::MAX_RECORD_SIZE {
            return Err(EncodeError::TooLarge(count.saturating_mul(4)));
        }
        let n = count as u32;
        out.extend_from_slice(&n.to_le_bytes());
        let desc_pos = out.len();
        out.resize(desc_pos + 4 * count, 0);
        Ok(ValuesWriter { desc_pos, next: 0 })
    }

    /// Writes the next value with `write` and fills in its descriptor.
    pub(crate) fn put(
        &mut self,
        out: &mut Vec<u8>,
        ty: u8,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        let start = out.len();
        write(out)?;
        self.finish_value(out, start, ty)
    }

    /// Fills in the descriptor of the next value, written by the caller from `start` on (for
    /// values that need more than the buffer, like a nested template instance).
    pub(crate) fn finish_value(&mut self, out: &mut [u8], start: usize, ty: u8) -> Result<(), EncodeError> {
        let size = out.len() - start;
        if size > MAX_VALUE_SIZE {
            return Err(EncodeError::TooLarge(size));
        }
        let p = self.desc_pos + 4 * self.next;
        out[p..p + 2].copy_from_slice(&(size as u16).to_le_bytes());
        out[p + 2] = ty;
        out[p + 3] = 0;
        self.next += 1;
        Ok(())
    }
}
