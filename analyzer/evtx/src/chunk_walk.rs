//! The records of one chunk, by their headers only (MS-EVEN6 2.2.2): magic `2a 2a 00 00`,
//! size, record id, FILETIME, BinXml, and the size again at the end.
//!
//! The walk goes from the chunk header (512 bytes) to the free space, and stops after the
//! chunk's last record id, as the evtx crate does. Anything unexpected (a bad magic, a size
//! that does not fit or whose copy differs, zeros before the free space) ends the walk with
//! `None`: the crate, which resynchronises and reports damage record by record, reads the
//! chunk instead.

/// Size of the chunk header.
const CHUNK_HEADER_SIZE: usize = 512;
/// Size of a record header.
const RECORD_HEADER_SIZE: usize = 24;
const RECORD_MAGIC: [u8; 4] = [0x2a, 0x2a, 0, 0];

/// One record's header fields and where its BinXml is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawRecord {
    /// `EventRecordID`.
    pub record_id: u64,
    /// Record header time (FILETIME ticks).
    pub filetime: u64,
    /// Chunk offset of the BinXml.
    pub binxml_offset: usize,
    /// BinXml length.
    pub binxml_len: usize,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// Walks the live records of `chunk` into `out` (cleared first); `None` when the chunk is
/// not clean enough to be read this way.
pub(crate) fn walk(
    chunk: &[u8],
    free_space_offset: u32,
    last_record_id: u64,
    out: &mut Vec<RawRecord>,
) -> Option<()> {
    out.clear();
    let end = usize::try_from(free_space_offset).ok()?.min(chunk.len());
    let mut at = CHUNK_HEADER_SIZE;
    while at < end {
        if chunk.get(at..at + 4)? != RECORD_MAGIC {
            return None;
        }
        let size = usize::try_from(u32_at(chunk, at + 4)?).ok()?;
        let next = at.checked_add(size)?;
        if size < RECORD_HEADER_SIZE + 4 || next > end || u32_at(chunk, next - 4)? as usize != size {
            return None;
        }
        let record_id = u64_at(chunk, at + 8)?;
        out.push(RawRecord {
            record_id,
            filetime: u64_at(chunk, at + 16)?,
            binxml_offset: at + RECORD_HEADER_SIZE,
            binxml_len: size - RECORD_HEADER_SIZE - 4,
        });
        if record_id == last_record_id {
            break;
        }
        at = next;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64, body: &[u8]) -> Vec<u8> {
        let size = (RECORD_HEADER_SIZE + body.len() + 4) as u32;
        let mut r = RECORD_MAGIC.to_vec();
        r.extend(size.to_le_bytes());
        r.extend(id.to_le_bytes());
        r.extend(7u64.to_le_bytes());
        r.extend(body);
        r.extend(size.to_le_bytes());
        r
    }

    #[test]
    fn walks_until_free_space_or_last_id() {
        let mut chunk = vec![0u8; CHUNK_HEADER_SIZE];
        chunk.extend(record(1, b"abcd"));
        chunk.extend(record(2, b"ef"));
        let free = chunk.len() as u32;
        chunk.extend(record(3, b"stale"));
        let mut out = Vec::new();
        walk(&chunk, free, 2, &mut out).unwrap();
        assert_eq!(out.iter().map(|r| r.record_id).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(out[0].binxml_len, 4);
        assert_eq!(&chunk[out[1].binxml_offset..out[1].binxml_offset + 2], b"ef");
        walk(&chunk, chunk.len() as u32, 1, &mut out).unwrap();
        assert_eq!(out.len(), 1, "stops after the last record id");
    }

    #[test]
    fn damage_gives_none() {
        let mut chunk = vec![0u8; CHUNK_HEADER_SIZE];
        chunk.extend(record(1, b"abcd"));
        let free = chunk.len() as u32;
        let mut out = Vec::new();
        let mut bad = chunk.clone();
        bad[CHUNK_HEADER_SIZE + 4] = 0xff; // size
        assert!(walk(&bad, free, 1, &mut out).is_none());
        let mut bad = chunk.clone();
        let n = bad.len();
        bad[n - 1] = 1; // size copy
        assert!(walk(&bad, free, 1, &mut out).is_none());
        let mut padded = chunk.clone();
        padded.extend([0u8; 8]);
        assert!(
            walk(&padded, free + 8, 9, &mut out).is_none(),
            "zeros before the free space"
        );
        assert!(
            walk(&chunk, u32::MAX, 1, &mut out).is_some(),
            "free space past the chunk is clamped"
        );
    }
}
