//! The file header (`ElfFile\0`): 128 bytes of fields in a 4096-byte block before the chunks.
//!
//! Offsets (libevtx "File header"): `0` signature, `8` first chunk number, `16` last chunk
//! number, `24` next record identifier, `32` header size (128), `36` minor version, `38` major
//! version (3), `40` header block size (4096), `42` chunk count, `120` flags (1 dirty, 2 full),
//! `124` CRC32 of bytes 0..120.

/// Size of the header block; the first chunk starts here.
pub(crate) const FILE_HEADER_BLOCK_SIZE: usize = 4096;

const FILE_MAGIC: &[u8; 8] = b"ElfFile\0";
const HEADER_SIZE: u32 = 128;
const MAJOR_VERSION: u16 = 3;
/// Set while the log is open for writing; cleared once the header is final.
pub(crate) const FLAG_DIRTY: u32 = 0x1;

/// The header fields the writer controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileHeader {
    pub(crate) chunk_count: u16,
    pub(crate) next_record_id: u64,
    pub(crate) minor_version: u16,
    pub(crate) flags: u32,
}

impl FileHeader {
    /// The 4096-byte header block, CRC included.
    pub(crate) fn to_block(self) -> [u8; FILE_HEADER_BLOCK_SIZE] {
        let mut b = [0u8; FILE_HEADER_BLOCK_SIZE];
        b[0..8].copy_from_slice(FILE_MAGIC);
        // Chunks are never recycled here, so the first chunk is 0 and the last is count - 1.
        let last_chunk = u64::from(self.chunk_count.saturating_sub(1));
        b[8..16].copy_from_slice(&0u64.to_le_bytes());
        b[16..24].copy_from_slice(&last_chunk.to_le_bytes());
        b[24..32].copy_from_slice(&self.next_record_id.to_le_bytes());
        b[32..36].copy_from_slice(&HEADER_SIZE.to_le_bytes());
        b[36..38].copy_from_slice(&self.minor_version.to_le_bytes());
        b[38..40].copy_from_slice(&MAJOR_VERSION.to_le_bytes());
        b[40..42].copy_from_slice(&(FILE_HEADER_BLOCK_SIZE as u16).to_le_bytes());
        b[42..44].copy_from_slice(&self.chunk_count.to_le_bytes());
        b[120..124].copy_from_slice(&self.flags.to_le_bytes());
        let crc = crc32fast::hash(&b[..120]);
        b[124..128].copy_from_slice(&crc.to_le_bytes());
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_and_crc() {
        let h = FileHeader {
            chunk_count: 3,
            next_record_id: 42,
            minor_version: 1,
            flags: 0,
        }
        .to_block();
        assert_eq!(&h[..8], b"ElfFile\0");
        assert_eq!(u64::from_le_bytes(h[16..24].try_into().unwrap()), 2);
        assert_eq!(u64::from_le_bytes(h[24..32].try_into().unwrap()), 42);
        assert_eq!(u16::from_le_bytes([h[36], h[37]]), 1);
        assert_eq!(u16::from_le_bytes([h[38], h[39]]), 3);
        assert_eq!(u16::from_le_bytes([h[42], h[43]]), 3);
        assert_eq!(
            u32::from_le_bytes(h[124..128].try_into().unwrap()),
            crc32fast::hash(&h[..120])
        );
    }
}
