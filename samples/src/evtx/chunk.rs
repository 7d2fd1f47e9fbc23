//! The 64 KiB chunk (`ElfChnk\0`): a 512-byte header holding the record range, CRCs and the
//! common-string and template hash tables, followed by 8-byte aligned event records.
//!
//! Layout of the header (libevtx "Chunk header"; values as Windows writes them):
//! `0` signature, `8`/`16` first/last record number, `24`/`32` first/last record identifier,
//! `40` header size (128), `44` offset of the last record, `48` free-space offset, `52` CRC32
//! of the records (bytes 512..free-space offset), `120` flags (1), `124` CRC32 of bytes 0..120
//! and 128..512, `128` 64 string-table bucket heads, `384` 32 template-table bucket heads.
//!
//! Names and templates are defined inline in the record that first uses them and referenced by
//! chunk offset afterwards; the bucket heads point at the newest definition, whose `next` field
//! points at the previous head (checked against the RemoteConnectionManager corpus log).

use std::collections::HashMap;

use crate::evtx::binxml::{EncodeError, FnvBuildHasher, x65599};

/// Size of a chunk on disk.
pub(crate) const CHUNK_SIZE: usize = 0x1_0000;
/// Size of the chunk header block; records start here.
pub(crate) const CHUNK_HEADER_SIZE: usize = 512;
/// Largest record a chunk can hold.
pub(crate) const MAX_RECORD_SIZE: usize = CHUNK_SIZE - CHUNK_HEADER_SIZE;

const STRING_BUCKETS: usize = 64;
const TEMPLATE_BUCKETS: usize = 32;
const CHUNK_MAGIC: &[u8; 8] = b"ElfChnk\0";
/// Header size field (the part before the hash tables).
const CHUNK_HEADER_FIELDS_SIZE: u32 = 128;
/// Windows sets 1 here in every chunk of the corpus logs.
const CHUNK_FLAGS: u32 = 1;

/// Chunk strings (element and attribute names): defined inline once, then referenced.
#[derive(Debug)]
pub(crate) struct StringTable {
    offsets: HashMap<Box<str>, u32, FnvBuildHasher>,
    heads: [u32; STRING_BUCKETS],
}

impl StringTable {
    fn new() -> StringTable {
        StringTable {
            offsets: HashMap::with_hasher(FnvBuildHasher),
            heads: [0; STRING_BUCKETS],
        }
    }

    /// Writes the 4-byte name offset of `name` and, on the name's first use in this chunk,
    /// the name itself right after it (next link, 16-bit hash, length, UTF-16LE, NUL).
    pub(crate) fn write_name_ref(&mut self, out: &mut Vec<u8>, name: &str) -> Result<(), EncodeError> {
        if let Some(&off) = self.offsets.get(name) {
            out.extend_from_slice(&off.to_le_bytes());
            return Ok(());
        }
        let off = chunk_offset(out.len() + 4)?;
        let units = name.encode_utf16().count();
        // A name longer than its 16-bit length field could not fit a chunk either.
        let len = u16::try_from(units).map_err(|_| EncodeError::TooLarge(units * 2))?;
        let hash = x65599(name.encode_utf16());
        let bucket = hash as usize % STRING_BUCKETS;
        out.extend_from_slice(&off.to_le_bytes());
        out.extend_from_slice(&self.heads[bucket].to_le_bytes());
        out.extend_from_slice(&(hash as u16).to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        crate::evtx::binxml::value::write_utf16(out, name);
        out.extend_from_slice(&[0, 0]);
        self.heads[bucket] = off;
        self.offsets.insert(name.into(), off);
        Ok(())
    }
}

/// Where a template definition lives in the chunk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TemplateRef {
    /// Chunk offset of the definition (its `next` field).
    pub(crate) offset: u32,
    /// Template identifier (first 32 bits of the GUID).
    pub(crate) id: u32,
}

/// Template definitions of this chunk, keyed by the writer's shape key.
#[derive(Debug)]
pub(crate) struct TemplateTable {
    defs: HashMap<Box<[u8]>, TemplateRef, FnvBuildHasher>,
    heads: [u32; TEMPLATE_BUCKETS],
}

impl TemplateTable {
    fn new() -> TemplateTable {
        TemplateTable {
            defs: HashMap::with_hasher(FnvBuildHasher),
            heads: [0; TEMPLATE_BUCKETS],
        }
    }

    /// The definition of this shape, if this chunk already holds one.
    pub(crate) fn get(&self, key: &[u8]) -> Option<TemplateRef> {
        self.defs.get(key).copied()
    }

    /// Current head of the GUID's bucket: a new definition stores it as its `next` link.
    pub(crate) fn bucket_head(&self, guid: &[u8; 16]) -> u32 {
        self.heads[template_bucket(guid)]
    }

    /// Records a definition written at `offset` (after `bucket_head` was stored in it).
    pub(crate) fn insert(&mut self, key: &[u8], guid: &[u8; 16], offset: u32) -> TemplateRef {
        let id = u32::from_le_bytes([guid[0], guid[1], guid[2], guid[3]]);
        let r = TemplateRef { offset, id };
        self.heads[template_bucket(guid)] = offset;
        self.defs.insert(key.into(), r);
        r
    }
}

/// Templates hash into 32 buckets by the x65599 hash of the GUID's eight 16-bit words.
fn template_bucket(guid: &[u8; 16]) -> usize {
    let words = guid.chunks_exact(2).map(|w| u16::from_le_bytes([w[0], w[1]]));
    x65599(words) as usize % TEMPLATE_BUCKETS
}

/// Converts a buffer position to a chunk offset; positions past 4 GiB cannot occur in a chunk
/// and mean the record is far too large.
pub(crate) fn chunk_offset(pos: usize) -> Result<u32, EncodeError> {
    u32::try_from(pos).map_err(|_| EncodeError::TooLarge(pos))
}

/// State to undo a record that did not fit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Savepoint {
    len: usize,
    string_heads: [u32; STRING_BUCKETS],
    template_heads: [u32; TEMPLATE_BUCKETS],
}

/// A chunk under construction. `data` holds the chunk bytes so far: the header area (filled in
/// by [`Chunk::finish`]) and the records; positions in it are chunk offsets.
#[derive(Debug)]
pub(crate) struct Chunk {
    pub(crate) data: Vec<u8>,
    pub(crate) strings: StringTable,
    pub(crate) templates: TemplateTable,
    first_id: u64,
    last_id: u64,
    last_record_offset: u32,
    records: u64,
}

impl Chunk {
    pub(crate) fn new() -> Chunk {
        let mut data = Vec::with_capacity(CHUNK_SIZE);
        data.resize(CHUNK_HEADER_SIZE, 0);
        Chunk {
            data,
            strings: StringTable::new(),
            templates: TemplateTable::new(),
            first_id: 0,
            last_id: 0,
            last_record_offset: 0,
            records: 0,
        }
    }

    /// Whether no record was committed yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.records == 0
    }

    pub(crate) fn savepoint(&self) -> Savepoint {
        Savepoint {
            len: self.data.len(),
            string_heads: self.strings.heads,
            template_heads: self.templates.heads,
        }
    }

    /// Drops everything written since `sp`: bytes, and names/templates defined in them.
    pub(crate) fn rollback(&mut self, sp: &Savepoint) {
        self.data.truncate(sp.len);
        let limit = sp.len;
        self.strings.offsets.retain(|_, off| (*off as usize) < limit);
        self.strings.heads = sp.string_heads;
        self.templates.defs.retain(|_, t| (t.offset as usize) < limit);
        self.templates.heads = sp.template_heads;
        // An oversized record may have grown the buffer far past a chunk; give that back.
        self.data.shrink_to(CHUNK_SIZE);
    }

    /// Whether the bytes written so far still fit in the chunk.
    pub(crate) fn fits(&self) -> bool {
        self.data.len() <= CHUNK_SIZE
    }

    /// Registers the record written at `offset` with identifier `id`.
    pub(crate) fn commit_record(&mut self, id: u64, offset: usize) {
        if self.records == 0 {
            self.first_id = id;
        }
        self.last_id = id;
        // `fits()` was checked, so the offset is below 64 KiB.
        self.last_record_offset = offset as u32;
        self.records += 1;
    }

    /// Fills in the header (record range, offsets, tables, CRCs), zero-fills the unused tail
    /// and returns the 64 KiB chunk image.
    pub(crate) fn finish(&mut self) -> &[u8] {
        let free = self.data.len();
        self.data.resize(CHUNK_SIZE, 0);
        let records_crc = crc32fast::hash(&self.data[CHUNK_HEADER_SIZE..free]);
        let h = &mut self.data[..CHUNK_HEADER_SIZE];
        h[0..8].copy_from_slice(CHUNK_MAGIC);
        // Record numbers equal identifiers in a log that was never cleared.
        h[8..16].copy_from_slice(&self.first_id.to_le_bytes());
        h[16..24].copy_from_slice(&self.last_id.to_le_bytes());
        h[24..32].copy_from_slice(&self.first_id.to_le_bytes());
        h[32..40].copy_from_slice(&self.last_id.to_le_bytes());
        h[40..44].copy_from_slice(&CHUNK_HEADER_FIELDS_SIZE.to_le_bytes());
        h[44..48].copy_from_slice(&self.last_record_offset.to_le_bytes());
        h[48..52].copy_from_slice(&(free as u32).to_le_bytes());
        h[52..56].copy_from_slice(&records_crc.to_le_bytes());
        h[120..124].copy_from_slice(&CHUNK_FLAGS.to_le_bytes());
        for (i, off) in self.strings.heads.iter().enumerate() {
            h[128 + 4 * i..132 + 4 * i].copy_from_slice(&off.to_le_bytes());
        }
        for (i, off) in self.templates.heads.iter().enumerate() {
            h[384 + 4 * i..388 + 4 * i].copy_from_slice(&off.to_le_bytes());
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&h[..120]);
        crc.update(&h[128..CHUNK_HEADER_SIZE]);
        let header_crc = crc.finalize();
        h[124..128].copy_from_slice(&header_crc.to_le_bytes());
        &self.data
    }

    /// Empties the chunk for reuse (keeps the allocation).
    pub(crate) fn reset(&mut self) {
        self.data.clear();
        self.data.resize(CHUNK_HEADER_SIZE, 0);
        self.strings.offsets.clear();
        self.strings.heads = [0; STRING_BUCKETS];
        self.templates.defs.clear();
        self.templates.heads = [0; TEMPLATE_BUCKETS];
        self.first_id = 0;
        self.last_id = 0;
        self.last_record_offset = 0;
        self.records = 0;
    }
}
