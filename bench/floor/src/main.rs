//! The floor under `rdpdiag analyze` on a ticket: what any reader of its EVTX must do before it
//! looks at a single record, done as fast as we know how, with the same threads.
//!
//! Per file: read every byte once through `read(2)` into a reused buffer, hash it with BLAKE3
//! (what the analyzer verifies against the bundle manifest) and check each chunk's header and
//! records CRC32 (what tells a damaged chunk from a good one). Files go largest first to
//! `RAYON_NUM_THREADS` threads (default 2). Prints the wall time; the benchmark times the whole
//! process, like the tools it compares.
//!
//! `cargo run --release --locked -p rdpdiag-bench-floor -- FILE.evtx...`
#![forbid(unsafe_code)]

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context;

const FILE_HEADER: usize = 4096;
const CHUNK: usize = 65536;
/// A whole number of chunks, so that every chunk is checked from one buffer.
const BLOCK: usize = 16 * CHUNK;

/// Bytes read, chunks whose CRCs matched, chunks whose CRCs did not.
fn floor_of(path: &PathBuf, buf: &mut [u8]) -> anyhow::Result<(u64, u64, u64)> {
    let mut file = File::open(path).with_context(|| format!("{}", path.display()))?;
    let mut hasher = blake3::Hasher::new();
    let (mut total, mut good, mut bad) = (0u64, 0u64, 0u64);
    let mut header = vec![0u8; FILE_HEADER];
    let n = read_full(&mut file, &mut header)?;
    hasher.update(&header[..n]);
    total += n as u64;
    loop {
        let n = read_full(&mut file, buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
        for chunk in buf[..n].chunks_exact(CHUNK) {
            if chunk_crcs_match(chunk) {
                good += 1;
            } else {
                bad += 1;
            }
        }
    }
    std::hint::black_box(hasher.finalize());
    Ok((total, good, bad))
}

fn read_full(file: &mut File, buf: &mut [u8]) -> anyhow::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// The chunk header's CRC32 (bytes 0..120 and 128..512, stored at 124) and the records' CRC32
/// (512 up to the free space offset at 48, stored at 52), as the format defines them.
fn chunk_crcs_match(chunk: &[u8]) -> bool {
    let u32_at = |at: usize| {
        chunk
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
            .unwrap_or(0)
    };
    let mut h = crc32fast::Hasher::new();
    h.update(&chunk[..120]);
    h.update(&chunk[128..512]);
    let header_ok = h.finalize() == u32_at(124);
    let free = (u32_at(48) as usize).clamp(512, CHUNK);
    let records_ok = crc32fast::hash(&chunk[512..free]) == u32_at(52);
    header_ok && records_ok
}

fn main() -> anyhow::Result<()> {
    let mut files: Vec<(u64, PathBuf)> = std::env::args_os()
        .skip(1)
        .map(PathBuf::from)
        .map(|p| {
            Ok((
                std::fs::metadata(&p)
                    .with_context(|| format!("{}", p.display()))?
                    .len(),
                p,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    anyhow::ensure!(!files.is_empty(), "usage: rdpdiag-bench-floor FILE.evtx...");
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    let threads: usize = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(2);
    let start = Instant::now();
    let queue = Mutex::new(files.into_iter());
    let results: Vec<anyhow::Result<(u64, u64, u64)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut buf = vec![0u8; BLOCK];
                    let mut sum = (0, 0, 0);
                    loop {
                        let next = queue.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.next();
                        let Some((_, path)) = next else { break };
                        let (t, g, b) = floor_of(&path, &mut buf)?;
                        sum = (sum.0 + t, sum.1 + g, sum.2 + b);
                    }
                    Ok(sum)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().map_err(|_| anyhow::anyhow!("a worker panicked"))?)
            .collect()
    });
    let (mut bytes, mut good, mut bad) = (0, 0, 0);
    for r in results {
        let (t, g, b) = r?;
        bytes += t;
        good += g;
        bad += b;
    }
    let wall = start.elapsed().as_secs_f64();
    println!(
        "read + BLAKE3 + chunk CRCs: {bytes} bytes, {good} chunks whose CRCs match, {bad} not, \
         {threads} threads, {wall:.3} s ({:.0} MB/s)",
        bytes as f64 / 1e6 / wall
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A corpus log with two chunks whose CRCs are known to fail (PROVENANCE.tsv).
    const DIRTY: &str = "evtx/rdp/evtxcrate__RdpCoreTS-Operational__vss0_dirty.evtx";

    fn corpus_file(rel: &str) -> Option<PathBuf> {
        let root = std::env::var_os("RDPDIAG_CORPUS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
        let path = root.join(rel);
        if path.is_file() {
            Some(path)
        } else {
            println!(
                "skipped: {} is absent (set RDPDIAG_CORPUS to the corpus folder)",
                path.display()
            );
            None
        }
    }

    #[test]
    fn the_floor_checks_every_chunk_crc() -> anyhow::Result<()> {
        let Some(path) = corpus_file(DIRTY) else {
            return Ok(());
        };
        let mut buf = vec![0u8; BLOCK];
        assert_eq!(floor_of(&path, &mut buf)?, (1_052_672, 14, 2));

        // One flipped byte in the records of a good chunk (the fourth): one more fails.
        let mut bytes = std::fs::read(&path)?;
        bytes[FILE_HEADER + 3 * CHUNK + 600] ^= 0x5a;
        let tampered = std::env::temp_dir().join(format!("rdpdiag-floor-{}.evtx", std::process::id()));
        std::fs::write(&tampered, &bytes)?;
        let result = floor_of(&tampered, &mut buf);
        std::fs::remove_file(&tampered)?;
        assert_eq!(result?, (1_052_672, 13, 3));
        Ok(())
    }
}
