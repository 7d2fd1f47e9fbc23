//! The hash that checks an entry against its manifest line: BLAKE3 when the manifest has one,
//! SHA-256 otherwise (bundles of older collectors, and hand-made manifests).
//!
//! Every byte of a bundle goes through this, so the choice is about speed, not strength: the
//! manifest is not signed, so neither hash proves where a file came from; either one catches a
//! file damaged or swapped after collection. Measured here: SHA-256 (ring, SHA-NI) 1.7 GB/s,
//! BLAKE3 5.6 GB/s per core; on a 700 MB ticket SHA-256 was 28% of the analyzer's CPU.

use serde::Serialize;

use super::manifest_check::ListedArtifact;

/// A hash algorithm a manifest can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlgo {
    /// `artifacts[].blake3`.
    Blake3,
    /// `artifacts[].sha256`.
    Sha256,
}

impl HashAlgo {
    /// What to check a listed entry with: `None` when its line has no hash (a failed step).
    pub fn for_listed(listed: &ListedArtifact) -> Option<HashAlgo> {
        if listed.blake3.is_some() {
            Some(HashAlgo::Blake3)
        } else if listed.sha256.is_some() {
            Some(HashAlgo::Sha256)
        } else {
            None
        }
    }

    /// The name people know it by (`BLAKE3`, `SHA-256`).
    pub fn name(self) -> &'static str {
        match self {
            HashAlgo::Blake3 => "BLAKE3",
            HashAlgo::Sha256 => "SHA-256",
        }
    }

    /// What the manifest line says for this algorithm.
    pub fn expected(self, listed: &ListedArtifact) -> Option<&str> {
        match self {
            HashAlgo::Blake3 => listed.blake3.as_deref(),
            HashAlgo::Sha256 => listed.sha256.as_deref(),
        }
    }
}

/// A computed hash, lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentHash {
    /// Algorithm.
    pub algo: HashAlgo,
    /// Lower-case hex.
    pub hex: String,
}

/// A running hash of either kind.
pub enum ContentHasher {
    /// BLAKE3 (boxed, as is SHA-256: the states differ in size).
    Blake3(Box<blake3::Hasher>),
    /// SHA-256 (ring: BoringSSL's assembly, SHA-NI where the CPU has it).
    Sha256(Box<ring::digest::Context>),
}

impl ContentHasher {
    /// A fresh hasher.
    pub fn new(algo: HashAlgo) -> Self {
        match algo {
            HashAlgo::Blake3 => ContentHasher::Blake3(Box::new(blake3::Hasher::new())),
            HashAlgo::Sha256 => {
                ContentHasher::Sha256(Box::new(ring::digest::Context::new(&ring::digest::SHA256)))
            }
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            ContentHasher::Blake3(h) => {
                h.update(bytes);
            }
            ContentHasher::Sha256(h) => h.update(bytes),
        }
    }

    /// The hash of everything fed.
    pub fn finish(self) -> ContentHash {
        match self {
            ContentHasher::Blake3(h) => ContentHash {
                algo: HashAlgo::Blake3,
                hex: h.finalize().to_hex().to_string(),
            },
            ContentHasher::Sha256(h) => ContentHash {
                algo: HashAlgo::Sha256,
                hex: h.finish().as_ref().iter().map(|b| format!("{b:02x}")).collect(),
            },
        }
    }

    /// The hash of `bytes` in one go.
    pub fn digest(algo: HashAlgo, bytes: &[u8]) -> ContentHash {
        let mut h = ContentHasher::new(algo);
        h.update(bytes);
        h.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // FIPS 180-2 and the BLAKE3 reference test vector for "abc".
        assert_eq!(
            ContentHasher::digest(HashAlgo::Sha256, b"abc").hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            ContentHasher::digest(HashAlgo::Blake3, b"abc").hex,
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
        // Fed in pieces: the same as in one go.
        let mut h = ContentHasher::new(HashAlgo::Blake3);
        h.update(b"a");
        h.update(b"bc");
        assert_eq!(h.finish(), ContentHasher::digest(HashAlgo::Blake3, b"abc"));
    }
}
