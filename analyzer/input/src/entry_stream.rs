//! An entry as a stream under the input's caps: artifacts read piece by piece (EVTX, chunk by
//! chunk) keep memory flat; [`super::OpenedInput::read_entry`] reads the rest to the end through it.

use std::fs::File;
use std::io::{self, Read};

use super::limits::{Budget, Limits};
use super::{EntrySource, PlannedEntry, ReadError};

/// Counts what passes through against the entry cap, the ratio cap and the input's budget,
/// and fails at the end when a zip entry holds other than it declares.
struct CappedReader<'b, R> {
    inner: R,
    read: u64,
    cap: u64,
    ratio: Option<(u64, u64)>,
    budget: &'b Budget,
    total_cap: u64,
    declared: Option<u64>,
}

fn fail(e: ReadError) -> io::Error {
    io::Error::other(e.to_string())
}

impl<R: Read> Read for CappedReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self
            .inner
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), format!("read failed after {} bytes: {e}", self.read)))?;
        if n == 0 {
            if let Some(d) = self.declared
                && d != self.read
            {
                return Err(fail(ReadError::Io(format!(
                    "holds {} bytes but its header declares {d} (size lie or damaged zip)",
                    self.read
                ))));
            }
            return Ok(0);
        }
        self.read += n as u64;
        if self.read > self.cap {
            return Err(fail(ReadError::TooLarge { cap: self.cap }));
        }
        if let Some((limit, max)) = self.ratio
            && self.read > limit
        {
            return Err(fail(ReadError::Ratio { max }));
        }
        if !self.budget.take(n as u64) {
            return Err(fail(ReadError::TotalCap { cap: self.total_cap }));
        }
        Ok(n)
    }
}

/// Opens `entry` and hands `f` a capped stream of its bytes.
pub(crate) fn with_entry_reader<T>(
    entry: &PlannedEntry,
    limits: &Limits,
    budget: &Budget,
    f: impl FnOnce(&mut dyn Read) -> T,
) -> Result<T, ReadError> {
    let capped = |inner, ratio, declared| CappedReader {
        inner,
        read: 0,
        cap: limits.max_entry_bytes,
        ratio,
        budget,
        total_cap: limits.max_total_bytes,
        declared,
    };
    match &entry.source {
        EntrySource::Memory(bytes) => Ok(f(&mut capped(
            Box::new(io::Cursor::new(bytes.as_slice())) as Box<dyn Read>,
            None,
            None,
        ))),
        EntrySource::File(path) => {
            let file = File::open(path).map_err(|e| ReadError::Io(e.to_string()))?;
            Ok(f(&mut capped(Box::new(file), None, None)))
        }
        EntrySource::Zip {
            archive,
            index,
            compressed,
        } => {
            let mut archive = archive.clone();
            let file = archive
                .by_index(*index)
                .map_err(|e| ReadError::Io(format!("zip entry unreadable: {e}")))?;
            let ratio_limit = compressed
                .saturating_mul(limits.max_ratio)
                .max(limits.ratio_floor_bytes);
            Ok(f(&mut capped(
                Box::new(file),
                Some((ratio_limit, limits.max_ratio)),
                Some(entry.declared_size),
            )))
        }
    }
}
