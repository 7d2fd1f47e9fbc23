//! Binary XML (MS-EVEN6 2.2.12, libevtx "Binary XML") as Windows writes it into records:
//! tokens ([`token`]), typed values ([`value`]) and template definitions and instances
//! ([`template`]).

pub(crate) mod template;
pub(crate) mod token;
pub(crate) mod value;

use std::hash::{BuildHasher, Hasher};

/// Why a record could not be encoded. The writer turns this into an
/// [`EvtxWriteError`](crate::evtx::EvtxWriteError) carrying the record identifier.
#[derive(Debug)]
pub(crate) enum EncodeError {
    /// Something grew past what a chunk or a 16-bit size field can hold (bytes needed).
    TooLarge(usize),
    /// A value Windows could not have stored (e.g. a time before 1601).
    Invalid(String),
}

/// The x65599 rolling hash Windows uses for chunk string and template tables.
pub(crate) fn x65599(units: impl Iterator<Item = u16>) -> u32 {
    units.fold(0u32, |h, u| h.wrapping_mul(65599).wrapping_add(u32::from(u)))
}

/// 128-bit FNV-1a: gives each template shape a stable GUID, so the same shape gets the same
/// identifier in every chunk and every run (Windows' template GUIDs are stable per shape too).
pub(crate) fn fnv1a_128(bytes: &[u8]) -> [u8; 16] {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let h = bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u128::from(b)).wrapping_mul(PRIME));
    h.to_le_bytes()
}

/// FNV-1a 64 hasher for the chunk tables: keys are short and trusted, so SipHash's DoS
/// resistance buys nothing and costs throughput.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FnvBuildHasher;

impl BuildHasher for FnvBuildHasher {
    type Hasher = FnvHasher;
    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

/// See [`FnvBuildHasher`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct FnvHasher(u64);

impl Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x65599_matches_windows_name_hashes() {
        // Hashes stored next to these names in the RCM corpus log.
        assert_eq!(x65599("Event".encode_utf16()) as u16, 0x0cba);
        assert_eq!(x65599("System".encode_utf16()) as u16, 0x546f);
        assert_eq!(x65599("EventData".encode_utf16()) as u16, 0x8244);
    }
}
