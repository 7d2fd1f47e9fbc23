//! A record's substitution values, read straight from its bytes without allocating.
//!
//! `EvtxRecord::template_instances` gives the same values, but walks the whole record and
//! allocates; on skip-heavy logs it cost as much as rendering every record (measured). The
//! record's BinXml starts with one `TemplateInstance` (MS-EVEN6 2.2.3.1, and the evtx crate's
//! `read_template_values_cursor`): optional fragment header, token `0x0C`, one byte, template
//! id (u32), template definition offset in the chunk (u32), the definition itself when it is
//! defined here (next offset u32, GUID, data size u32, data), the number of substitutions
//! (u32), one descriptor per substitution (size u16, type u8, pad u8), then the values back to
//! back. Anything that does not look like that gives `None`, and the record is rendered.

/// More substitutions than any real template has: treat as garbage.
const MAX_SUBSTITUTIONS: usize = 4096;

/// The outer template instance of one record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawInstance<'a> {
    /// Chunk offset of the template definition: identifies the template within its chunk.
    pub(crate) template_offset: u32,
    descriptors: &'a [u8],
    values: &'a [u8],
    /// Chunk offset of `values`.
    values_start: usize,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> RawInstance<'a> {
    /// Reads the instance header of the record whose BinXml is `chunk[start..start + len]`.
    pub(crate) fn parse(chunk: &'a [u8], start: usize, len: usize) -> Option<Self> {
        let rec = chunk.get(start..start.checked_add(len)?)?;
        let mut p = 0usize;
        if *rec.first()? == 0x0F {
            p = 4; // fragment header: token, major, minor, flags
        }
        if *rec.get(p)? != 0x0C {
            return None;
        }
        p += 2; // token, unknown byte
        p += 4; // template id
        let def = u32_at(rec, p)?;
        p += 4;
        if usize::try_from(def).ok()? == start.checked_add(p)? {
            // Defined inline: next-template offset, GUID, data size, data.
            let size = u32_at(rec, p + 20)?;
            p = p.checked_add(24)?.checked_add(usize::try_from(size).ok()?)?;
        }
        let n = usize::try_from(u32_at(rec, p)?).ok()?;
        if n > MAX_SUBSTITUTIONS {
            return None;
        }
        p += 4;
        let descriptors = rec.get(p..p.checked_add(n * 4)?)?;
        let values = rec.get(p + n * 4..)?;
        Some(RawInstance {
            template_offset: def,
            descriptors,
            values,
            values_start: start + p + n * 4,
        })
    }

    /// Chunk offset, size and type of substitution `i` (for nested BinXml values).
    pub(crate) fn value_span(&self, i: usize) -> Option<(usize, usize, u8)> {
        let mut offset = 0usize;
        for d in self.descriptors.chunks_exact(4).take(i) {
            offset = offset.checked_add(usize::from(u16::from_le_bytes([d[0], d[1]])))?;
        }
        let d = self.descriptors.get(i * 4..i * 4 + 4)?;
        let size = usize::from(u16::from_le_bytes([d[0], d[1]]));
        self.values.get(offset..offset.checked_add(size)?)?;
        Some((self.values_start + offset, size, d[2]))
    }

    /// Type and bytes of substitution `i`.
    pub(crate) fn value(&self, i: usize) -> Option<(u8, &'a [u8])> {
        let mut offset = 0usize;
        for d in self.descriptors.chunks_exact(4).take(i) {
            offset = offset.checked_add(usize::from(u16::from_le_bytes([d[0], d[1]])))?;
        }
        let d = self.descriptors.get(i * 4..i * 4 + 4)?;
        let size = usize::from(u16::from_le_bytes([d[0], d[1]]));
        Some((d[2], self.values.get(offset..offset.checked_add(size)?)?))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a record's BinXml: a template instance referring to a definition elsewhere in
    /// the chunk, with the given (type, bytes) substitutions.
    pub(crate) fn instance(def: u32, values: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let mut b = vec![0x0F, 1, 1, 0, 0x0C, 1];
        b.extend(7u32.to_le_bytes());
        b.extend(def.to_le_bytes());
        b.extend((values.len() as u32).to_le_bytes());
        for (t, v) in values {
            b.extend((v.len() as u16).to_le_bytes());
            b.extend([*t, 0]);
        }
        for (_, v) in values {
            b.extend(v);
        }
        b
    }

    pub(crate) fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .chain([0, 0])
            .collect()
    }

    #[test]
    fn reads_values_and_their_spans() {
        let rec = instance(
            0x200,
            &[
                (0x06, 4625u16.to_le_bytes().to_vec()),
                (0x00, vec![]),
                (0x01, utf16("Security")),
            ],
        );
        let i = RawInstance::parse(&rec, 0, rec.len()).unwrap();
        assert_eq!(i.template_offset, 0x200);
        assert_eq!(i.value(0), Some((0x06, &4625u16.to_le_bytes()[..])));
        assert_eq!(i.value(1), Some((0x00, &[][..])));
        let (start, len, t) = i.value_span(2).unwrap();
        assert_eq!((t, &rec[start..start + len]), (0x01, &utf16("Security")[..]));
        assert_eq!(i.value(3), None);
    }

    #[test]
    fn garbage_is_none() {
        assert!(RawInstance::parse(&[0x0F, 1, 1, 0, 0x01], 0, 5).is_none());
        assert!(RawInstance::parse(&[], 0, 0).is_none());
        let mut rec = instance(0x200, &[(0x06, vec![1, 0])]);
        rec.truncate(rec.len() - 1);
        let i = RawInstance::parse(&rec, 0, rec.len()).unwrap();
        assert_eq!(i.value(0), None, "value cut off");
        assert!(RawInstance::parse(&rec, 10, 1000).is_none());
    }
}
