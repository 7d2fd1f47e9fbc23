//! Caps that keep a hostile or broken input from exhausting memory.
//!
//! Entries are read into memory (never extracted to disk), so every byte read is counted
//! against a per-entry cap and a per-input budget while it is decompressed; the sizes a zip
//! declares are checked first but never trusted.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

const MIB: u64 = 1024 * 1024;

/// Limits on what one input may make the analyzer read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Largest uncompressed entry (Security.evtx of a busy server can be several hundred MB).
    pub max_entry_bytes: u64,
    /// Most uncompressed bytes read from one input in total.
    pub max_total_bytes: u64,
    /// Highest compression ratio (uncompressed / compressed) accepted for an entry larger than
    /// `ratio_floor_bytes`. Real event logs deflate about 5-20x; deflate cannot exceed about
    /// 1030x, so a bomb needs a large ratio *and* size, or overlapping entries (rejected too).
    pub max_ratio: u64,
    /// Entries at most this large are not ratio-checked (small files of zeros are harmless).
    pub ratio_floor_bytes: u64,
    /// Most entries (files) in one input.
    pub max_entries: usize,
    /// Deepest folder nesting followed in a folder input.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entry_bytes: 1024 * MIB,
            max_total_bytes: 4096 * MIB,
            max_ratio: 200,
            ratio_floor_bytes: MIB,
            max_entries: 20_000,
            max_depth: 16,
        }
    }
}

/// Bytes an input may still read; shared by the threads reading its entries.
#[derive(Debug)]
pub(crate) struct Budget {
    left: AtomicU64,
}

impl Budget {
    pub(crate) fn new(total: u64) -> Self {
        Budget {
            left: AtomicU64::new(total),
        }
    }

    /// Takes `n` bytes from the budget; false (and nothing taken) when not enough is left.
    pub(crate) fn take(&self, n: u64) -> bool {
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(n))
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_never_goes_negative() {
        let b = Budget::new(10);
        assert!(b.take(6));
        assert!(!b.take(5));
        assert!(b.take(4));
        assert!(!b.take(1));
    }
}
