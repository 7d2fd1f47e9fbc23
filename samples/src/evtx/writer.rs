//! Streaming EVTX writer: a file header block, then 64 KiB chunks written as they fill up, then
//! the header rewritten with the final chunk count and next record identifier. Memory stays at
//! one chunk (plus the tables of the names and templates it defines) whatever the file size.

use std::io::{Cursor, Seek, SeekFrom, Write};

use crate::evtx::binxml::EncodeError;
use crate::evtx::chunk::{CHUNK_SIZE, Chunk, MAX_RECORD_SIZE};
use crate::evtx::file_header::{FILE_HEADER_BLOCK_SIZE, FLAG_DIRTY, FileHeader};
use crate::evtx::model::Event;
use crate::evtx::record::write_record;

/// Options of an [`EvtxWriter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterOptions {
    /// EventRecordID of the first record (Windows starts a fresh log at 1).
    pub first_record_id: u64,
    /// Format minor version: 1 (Vista to Windows 10 1909) or 2 (Windows 10 2004 and later).
    pub minor_version: u16,
}

impl Default for WriterOptions {
    fn default() -> WriterOptions {
        WriterOptions {
            first_record_id: 1,
            minor_version: 1,
        }
    }
}

/// Why an event or the file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum EvtxWriteError {
    /// The sink failed. The file is incomplete; the writer refuses further events.
    #[error("writing EVTX output failed: {0}")]
    Io(#[from] std::io::Error),
    /// The event's record needs more than one chunk (or one value exceeds the 65,535 bytes a
    /// value descriptor can describe). Nothing was written; the writer stays usable.
    #[error(
        "event record {record_id} needs at least {size} bytes; a chunk holds records of at most {max} bytes"
    )]
    RecordTooLarge {
        /// The identifier the record would have had (not consumed).
        record_id: u64,
        /// Bytes needed (a lower bound when encoding stopped early).
        size: usize,
        /// Largest record a chunk holds.
        max: usize,
    },
    /// The event holds a value Windows cannot store (e.g. a time before 1601, a SID with more
    /// than 15 sub-authorities). Nothing was written; the writer stays usable.
    #[error("event record {record_id} cannot be encoded: {reason}")]
    InvalidEvent {
        /// The identifier the record would have had (not consumed).
        record_id: u64,
        /// What is wrong.
        reason: String,
    },
    /// The file header's 16-bit chunk count is exhausted (about 4 GiB of records).
    #[error("an EVTX file holds at most 65535 chunks")]
    TooManyChunks,
    /// Only format versions 3.1 and 3.2 exist.
    #[error("unsupported EVTX minor version {0} (expected 1 or 2)")]
    UnsupportedVersion(u16),
}

/// Writes events into an EVTX file on any seekable sink.
#[derive(Debug)]
pub struct EvtxWriter<W: Write + Seek> {
    out: W,
    /// Sink position of the file header (the file need not start at position 0).
    base: u64,
    options: WriterOptions,
    chunk: Chunk,
    key: Vec<u8>,
    next_id: u64,
    chunks_written: u16,
    records: u64,
    /// Set when the sink failed: the file is then incomplete at an unknown point, so further
    /// writes are refused rather than producing a file that looks valid.
    failed: bool,
}

impl<W: Write + Seek> EvtxWriter<W> {
    /// Starts a file at the sink's current position: writes a provisional header marked dirty,
    /// so an unfinished file is recognisable as such.
    pub fn new(mut out: W, options: WriterOptions) -> Result<Self, EvtxWriteError> {
        if !matches!(options.minor_version, 1 | 2) {
            return Err(EvtxWriteError::UnsupportedVersion(options.minor_version));
        }
        let base = out.stream_position()?;
        let header = FileHeader {
            chunk_count: 0,
            next_record_id: options.first_record_id,
            minor_version: options.minor_version,
            flags: FLAG_DIRTY,
        };
        out.write_all(&header.to_block())?;
        Ok(EvtxWriter {
            out,
            base,
            options,
            chunk: Chunk::new(),
            key: Vec::with_capacity(256),
            next_id: options.first_record_id,
            chunks_written: 0,
            records: 0,
            failed: false,
        })
    }

    /// Appends one event; assigns and returns its EventRecordID (sequential).
    ///
    /// On error nothing is written and the identifier is not consumed, so the writer can go
    /// on with the next event.
    pub fn write_event(&mut self, event: &Event) -> Result<u64, EvtxWriteError> {
        self.check_not_failed()?;
        let id = self.next_id;
        if !self.try_append(id, event)? {
            if self.chunk.is_empty() {
                // Cannot happen: an empty chunk refusing a record reports TooLarge.
                return Err(EvtxWriteError::RecordTooLarge {
                    record_id: id,
                    size: CHUNK_SIZE,
                    max: MAX_RECORD_SIZE,
                });
            }
            // The current chunk is the last one the header can count: keep it for `finish`.
            if self.chunks_written >= u16::MAX - 1 {
                return Err(EvtxWriteError::TooManyChunks);
            }
            self.flush_chunk()?;
            if !self.try_append(id, event)? {
                return Err(EvtxWriteError::RecordTooLarge {
                    record_id: id,
                    size: CHUNK_SIZE,
                    max: MAX_RECORD_SIZE,
                });
            }
        }
        self.next_id += 1;
        self.records += 1;
        Ok(id)
    }

    /// Records written so far.
    pub fn records_written(&self) -> u64 {
        self.records
    }

    /// Bytes of EVTX written so far (header + finished chunks), for size-targeted generation.
    pub fn bytes_written(&self) -> u64 {
        FILE_HEADER_BLOCK_SIZE as u64 + u64::from(self.chunks_written) * CHUNK_SIZE as u64
    }

    /// Flushes the last chunk, rewrites the file header (chunk count, next record id, CRC) and
    /// returns the sink, positioned at the end of the file.
    pub fn finish(mut self) -> Result<W, EvtxWriteError> {
        self.check_not_failed()?;
        if !self.chunk.is_empty() {
            self.flush_chunk()?;
        }
        let header = FileHeader {
            chunk_count: self.chunks_written,
            next_record_id: self.next_id,
            minor_version: self.options.minor_version,
            flags: 0,
        };
        let end = self.base + self.bytes_written();
        self.out.seek(SeekFrom::Start(self.base))?;
        self.out.write_all(&header.to_block())?;
        self.out.seek(SeekFrom::Start(end))?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn check_not_failed(&self) -> Result<(), EvtxWriteError> {
        if self.failed {
            return Err(EvtxWriteError::Io(std::io::Error::other(
                "an earlier write to the EVTX sink failed; the file is incomplete",
            )));
        }
        Ok(())
    }

    /// Encodes the record into the current chunk. `Ok(false)`: it does not fit (the chunk is
    /// unchanged). Records too large for any chunk and invalid events are errors, also with the
    /// chunk unchanged.
    fn try_append(&mut self, id: u64, event: &Event) -> Result<bool, EvtxWriteError> {
        let sp = self.chunk.savepoint();
        let start = self.chunk.data.len();
        let result = write_record(&mut self.chunk, id, event, &mut self.key);
        let size = self.chunk.data.len() - start;
        match result {
            Ok(()) if self.chunk.fits() => {
                self.chunk.commit_record(id, start);
                Ok(true)
            }
            Ok(()) => {
                self.chunk.rollback(&sp);
                if size > MAX_RECORD_SIZE {
                    Err(EvtxWriteError::RecordTooLarge {
                        record_id: id,
                        size,
                        max: MAX_RECORD_SIZE,
                    })
                } else {
                    Ok(false)
                }
            }
            Err(EncodeError::TooLarge(needed)) => {
                self.chunk.rollback(&sp);
                let size = needed.max(size);
                Err(EvtxWriteError::RecordTooLarge {
                    record_id: id,
                    size,
                    max: MAX_RECORD_SIZE,
                })
            }
            Err(EncodeError::Invalid(reason)) => {
                self.chunk.rollback(&sp);
                Err(EvtxWriteError::InvalidEvent {
                    record_id: id,
                    reason,
                })
            }
        }
    }

    fn flush_chunk(&mut self) -> Result<(), EvtxWriteError> {
        if self.chunks_written == u16::MAX {
            return Err(EvtxWriteError::TooManyChunks);
        }
        let image = self.chunk.finish();
        if let Err(e) = self.out.write_all(image) {
            self.failed = true;
            return Err(e.into());
        }
        self.chunks_written += 1;
        self.chunk.reset();
        Ok(())
    }
}

/// Writes `events` into an in-memory EVTX file.
pub fn write_evtx_to_vec<'a>(
    events: impl IntoIterator<Item = &'a Event>,
    options: WriterOptions,
) -> Result<Vec<u8>, EvtxWriteError> {
    let mut w = EvtxWriter::new(Cursor::new(Vec::new()), options)?;
    for e in events {
        w.write_event(e)?;
    }
    Ok(w.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evtx::model::{Payload, Provider};
    use chrono::{TimeZone, Utc};

    /// Accepts any write and seek without storing anything.
    struct NullSink(u64);
    impl Write for NullSink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl Seek for NullSink {
        fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
            if let SeekFrom::Start(p) = pos {
                self.0 = p;
            }
            Ok(self.0)
        }
    }

    fn big_event() -> Event {
        Event {
            provider: Provider {
                name: "P".into(),
                guid: None,
                event_source_name: None,
            },
            event_id: 1,
            qualifiers: None,
            version: 0,
            level: 4,
            task: 0,
            opcode: 0,
            keywords: 0,
            time_created: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().unwrap(),
            activity_id: None,
            related_activity_id: None,
            process_id: 1,
            thread_id: 1,
            channel: "C".into(),
            computer: "H".into(),
            user_id: None,
            payload: Payload::Classic {
                data: vec![],
                binary: Some(vec![0; 40_000]),
            },
        }
    }

    #[test]
    fn chunk_count_limit_keeps_the_last_chunk() {
        let mut w = EvtxWriter::new(NullSink(0), WriterOptions::default()).unwrap();
        // Pretend the file already holds all but two chunks.
        w.chunks_written = u16::MAX - 2;
        // One 40 KB record per chunk: the 2nd fills chunk 65534, the 3rd would need chunk 65536.
        assert!(w.write_event(&big_event()).is_ok());
        assert!(w.write_event(&big_event()).is_ok());
        let third = w.write_event(&big_event());
        assert!(matches!(third, Err(EvtxWriteError::TooManyChunks)), "{third:?}");
        assert_eq!(w.records_written(), 2);
        let sink = w.finish().unwrap();
        assert_eq!(
            sink.0,
            FILE_HEADER_BLOCK_SIZE as u64 + u64::from(u16::MAX) * CHUNK_SIZE as u64
        );
    }
}
