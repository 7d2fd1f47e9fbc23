//! The header of an `.etl` trace (MSRDC's RdClientAutoTrace): when the trace started and
//! ended, how many events and buffers were lost, how many buffers were written — enough to say
//! whether a client trace covers the failing attempt and whether it is complete, without
//! decoding its (undocumented) events.
//!
//! Layout (little-endian; checked against `/work/shared/corpus/etl/*.etl` and public
//! definitions of the structures): an ETL file is a sequence of buffers of `BufferSize` bytes.
//! Each buffer starts with a 72-byte `WMI_BUFFER_HEADER` (`BufferSize` u32 @0, `SavedOffset` @4,
//! `CurrentOffset` @8, `TimeStamp` i64 @0x10, `SequenceNumber` @0x18, `ClientContext` @0x28
//! (processor u8, alignment u8, logger id u16), `Offset` @0x30, `BufferFlag` u16 @0x34,
//! `BufferType` u16 @0x36). The first event of the first buffer (at 0x48) is a
//! `SYSTEM_TRACE_HEADER` (32 bytes: marker, size u16 @+4, ...) followed by the
//! `TRACE_LOGFILE_HEADER`: `BufferSize` @0, version bytes @4, `ProviderVersion` (OS build) @8,
//! `NumberOfProcessors` @12, `EndTime` FILETIME @16, `TimerResolution` @24, `MaximumFileSize`
//! @28, `LogFileMode` @32, `BuffersWritten` @36, `StartBuffers` @40, `PointerSize` @44,
//! `EventsLost` @48, `CpuSpeedInMHz` @52, two pointers (`LoggerName`, `LogFileName`, 4 or 8
//! bytes each), `TIME_ZONE_INFORMATION` (172 bytes), then 8-aligned `BootTime`, `PerfFreq`,
//! `StartTime` (FILETIME), `ReservedFlags` (clock type), `BuffersLost`, then the logger name and
//! file name as NUL-terminated UTF-16LE strings.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::TextError;

/// Size of `WMI_BUFFER_HEADER`.
const WMI_BUFFER_HEADER_LEN: usize = 0x48;
/// Size of `SYSTEM_TRACE_HEADER`.
const SYSTEM_TRACE_HEADER_LEN: usize = 0x20;

/// What the header of an ETL file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EtlHeader {
    /// Buffer size in bytes.
    pub buffer_size: u32,
    /// Trace format version `major.minor.sub.subminor`.
    pub version: String,
    /// Windows build of the machine that wrote the trace (`ProviderVersion`).
    pub os_build: u32,
    /// Processors.
    pub processors: u32,
    /// Session start (`StartTime`), UTC.
    pub start_utc: Option<DateTime<Utc>>,
    /// Session end (`EndTime`), UTC; `None` while the session was still running (the trace is
    /// complete only after the client closed).
    pub end_utc: Option<DateTime<Utc>>,
    /// Boot time of the machine, UTC.
    pub boot_utc: Option<DateTime<Utc>>,
    /// `EventsLost`.
    pub events_lost: u32,
    /// `BuffersLost`.
    pub buffers_lost: u32,
    /// `BuffersWritten`.
    pub buffers_written: u32,
    /// Whole buffers actually present in the file.
    pub buffers_in_file: u64,
    /// Buffers in the file whose header is valid (right size field).
    pub buffers_valid: u64,
    /// Bytes after the last whole buffer.
    pub partial_tail_bytes: u64,
    /// `LogFileMode` flags.
    pub log_file_mode: u32,
    /// `MaximumFileSize` (MB).
    pub maximum_file_size_mb: u32,
    /// Pointer size of the writer (4 or 8).
    pub pointer_size: u32,
    /// Performance counter frequency.
    pub perf_freq: u64,
    /// Clock type (`ReservedFlags`): 1 QPC, 2 system time, 3 CPU cycle counter.
    pub clock_type: u32,
    /// Time zone bias of the writer in minutes (UTC = local + bias).
    pub time_zone_bias_minutes: i32,
    /// Logger (session) name, e.g. `RdClientAutoTrace`.
    pub logger_name: Option<String>,
    /// Log file name the writer used.
    pub log_file_name: Option<String>,
}

impl EtlHeader {
    /// The file holds fewer buffers than the header says were written (copied while being
    /// written, or truncated).
    pub fn truncated(&self) -> bool {
        self.buffers_in_file < u64::from(self.buffers_written) || self.partial_tail_bytes > 0
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// FILETIME (100 ns since 1601) to UTC; 0 and absurd values are `None`.
pub fn filetime_to_utc(ft: u64) -> Option<DateTime<Utc>> {
    if ft == 0 || ft == u64::MAX {
        return None;
    }
    const EPOCH_DIFF_100NS: i64 = 116_444_736_000_000_000;
    let ft = i64::try_from(ft).ok()?;
    let since_unix = ft.checked_sub(EPOCH_DIFF_100NS)?;
    let secs = since_unix.div_euclid(10_000_000);
    let nanos = (since_unix.rem_euclid(10_000_000) * 100) as u32;
    DateTime::<Utc>::from_timestamp(secs, nanos)
}

/// Reads the header of an ETL file.
pub fn parse(bytes: &[u8]) -> Result<EtlHeader, TextError> {
    let err = |offset: usize, message: &str| TextError::Binary {
        offset: offset as u64,
        message: message.to_string(),
    };
    let buffer_size = u32_at(bytes, 0).ok_or_else(|| err(0, "file shorter than a buffer header"))?;
    if !(512..=64 * 1024 * 1024).contains(&buffer_size) || buffer_size % 8 != 0 {
        return Err(err(
            0,
            &format!("buffer size {buffer_size} is not that of an ETL buffer"),
        ));
    }
    let saved_offset = u32_at(bytes, 4).unwrap_or(0);
    if saved_offset > buffer_size {
        return Err(err(4, "buffer's used length is larger than the buffer"));
    }
    let ev = WMI_BUFFER_HEADER_LEN;
    let event_size = u16_at(bytes, ev + 4).ok_or_else(|| err(ev, "no first event"))? as usize;
    let lh = ev + SYSTEM_TRACE_HEADER_LEN;
    if event_size < SYSTEM_TRACE_HEADER_LEN + 0x110 || ev + event_size > buffer_size as usize {
        return Err(err(ev, "first event is not a trace logfile header"));
    }
    let hdr = bytes
        .get(lh..ev + event_size)
        .ok_or_else(|| err(lh, "file ends inside the logfile header"))?;
    let need =
        |v: Option<u32>, at: usize| v.ok_or_else(|| err(lh + at, "file ends inside the logfile header"));
    let header_buffer_size = need(u32_at(hdr, 0), 0)?;
    if header_buffer_size != buffer_size {
        return Err(err(
            lh,
            &format!(
                "logfile header says buffers of {header_buffer_size} bytes, the buffer header {buffer_size}"
            ),
        ));
    }
    let version = hdr
        .get(4..8)
        .map(|v| format!("{}.{}.{}.{}", v[0], v[1], v[2], v[3]))
        .unwrap_or_default();
    let os_build = need(u32_at(hdr, 8), 8)?;
    let processors = need(u32_at(hdr, 12), 12)?;
    let end_time = u64_at(hdr, 16).unwrap_or(0);
    let maximum_file_size_mb = need(u32_at(hdr, 28), 28)?;
    let log_file_mode = need(u32_at(hdr, 32), 32)?;
    let buffers_written = need(u32_at(hdr, 36), 36)?;
    let pointer_size = need(u32_at(hdr, 44), 44)?;
    let events_lost = need(u32_at(hdr, 48), 48)?;
    if pointer_size != 4 && pointer_size != 8 {
        return Err(err(
            lh + 44,
            &format!("pointer size {pointer_size} is neither 4 nor 8"),
        ));
    }
    let ps = pointer_size as usize;
    let tz = 56 + 2 * ps;
    let bias = u32_at(hdr, tz).map(|b| b as i32).unwrap_or(0);
    let after_tz = (tz + 172).next_multiple_of(8);
    let boot = u64_at(hdr, after_tz).unwrap_or(0);
    let perf_freq = u64_at(hdr, after_tz + 8).unwrap_or(0);
    let start = u64_at(hdr, after_tz + 16).unwrap_or(0);
    let clock_type = u32_at(hdr, after_tz + 24).unwrap_or(0);
    let buffers_lost = u32_at(hdr, after_tz + 28).unwrap_or(0);
    let mut names = hdr
        .get(after_tz + 32..)
        .unwrap_or(&[])
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    let mut read_name = || {
        let units: Vec<u16> = names.by_ref().take_while(|&u| u != 0).take(1024).collect();
        let s = String::from_utf16_lossy(&units);
        (!s.is_empty()).then_some(s)
    };
    let logger_name = read_name();
    let log_file_name = read_name();

    let size = buffer_size as usize;
    let buffers_in_file = (bytes.len() / size) as u64;
    let partial_tail_bytes = (bytes.len() % size) as u64;
    let buffers_valid = bytes
        .chunks_exact(size)
        .filter(|b| u32_at(b, 0) == Some(buffer_size))
        .count() as u64;

    Ok(EtlHeader {
        buffer_size,
        version,
        os_build,
        processors,
        start_utc: filetime_to_utc(start),
        end_utc: filetime_to_utc(end_time),
        boot_utc: filetime_to_utc(boot),
        events_lost,
        buffers_lost,
        buffers_written,
        buffers_in_file,
        buffers_valid,
        partial_tail_bytes,
        log_file_mode,
        maximum_file_size_mb,
        pointer_size,
        perf_freq,
        clock_type,
        time_zone_bias_minutes: bias,
        logger_name,
        log_file_name,
    })
}
