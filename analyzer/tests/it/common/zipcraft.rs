//! Builders of hostile and broken zips, shared by `hostile_zip.rs` (library level) and
//! `hostile_bundles.rs` (the binary, end to end).
//!
//! Two ways to build: [`write_zip`] with the zip crate (well-formed zips), and [`RawZip`], a
//! byte-level writer for what the zip crate refuses to write: duplicate names, names that are
//! not UTF-8 without the UTF-8 flag, symlinks by Unix mode, local headers that disagree with
//! the central directory, ZIP64 extra fields with lying sizes, central entries sharing one
//! local header (overlapping-files bomb), and deflate streams of gigabytes of zeros built
//! without compressing gigabytes ([`zeros_deflate`]).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;

use chrono::{TimeZone, Utc};
use rdpdiag_schemas::manifest::{
    Artifact, ArtifactSource, CollectionMode, CollectionWindow, HostInfo, Manifest, ToolInfo,
};
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus, Role};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// A small `reg export` file: sniffed as `.reg` whatever its name, parsed into host facts.
pub const REG: &[u8] = b"Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\X]\r\n\"A\"=dword:00000001\r\n";

pub fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

pub fn stored() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Stored)
}

/// Writes a zip with the given (name, bytes, options) entries, with the zip crate.
pub fn write_zip(path: &Path, entries: &[(&str, &[u8], SimpleFileOptions)]) {
    let mut w = ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes, opts) in entries {
        w.start_file(*name, *opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
}

pub fn sha256_hex(b: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, b)
        .as_ref()
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// A bundle manifest listing `artifacts` (path, kind, bytes, SHA-256 override).
pub fn manifest(artifacts: Vec<(&str, ArtifactKind, &[u8], Option<String>)>) -> Vec<u8> {
    let t = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap();
    Manifest {
        schema_version: 1,
        bundle_id: "0f7e5a40-0000-4000-8000-000000000001".into(),
        tool: ToolInfo {
            name: "rdpdiag-collect".into(),
            version: "0.1.0".into(),
        },
        created_utc: t,
        ticket: Some("T-1".into()),
        collection_mode: CollectionMode::Pack,
        host: HostInfo {
            name: "SRV01".into(),
            domain: None,
            os: None,
            role: Role::Server,
            addresses: vec![],
            time_zone: None,
            culture: None,
            clock: None,
        },
        window: CollectionWindow {
            since_utc: t,
            until_utc: t,
        },
        artifacts: artifacts
            .into_iter()
            .map(|(path, kind, bytes, sha)| Artifact {
                path: path.into(),
                kind,
                text_format: None,
                source: ArtifactSource {
                    registry_key: Some("HKLM\\SOFTWARE\\X".into()),
                    ..ArtifactSource::default()
                },
                method: "reg export".into(),
                sha256: sha.or_else(|| Some(sha256_hex(bytes))),
                // As an older collector wrote it: SHA-256 only (see `with_blake3`).
                blake3: None,
                size: bytes.len() as u64,
                started_utc: t,
                finished_utc: t,
                status: ArtifactStatus::Ok,
                error: None,
            })
            .collect(),
        redaction: None,
    }
    .to_json_pretty()
}

/// Adds `artifacts[i].blake3` (`None`: the true BLAKE3 of `bytes`) to a [`manifest`].
pub fn with_blake3(manifest: &[u8], i: usize, bytes: &[u8], value: Option<&str>) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    let hex = value.map_or_else(|| blake3::hash(bytes).to_hex().to_string(), str::to_string);
    v["artifacts"][i]["blake3"] = hex.into();
    serde_json::to_vec_pretty(&v).unwrap()
}

/// Raw deflate of `data` (what a zip entry of method 8 stores).
pub fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn crc32(data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(data);
    h.finalize()
}

/// CRC-32 state of `n` zero bytes, by doubling (never touches `n` bytes).
pub fn crc32_zeros(n: u64) -> crc32fast::Hasher {
    let mut result = crc32fast::Hasher::new();
    let mut power = crc32fast::Hasher::new();
    power.update(&[0]);
    let mut bit = 1u64;
    while bit <= n && bit != 0 {
        if n & bit != 0 {
            result.combine(&power);
        }
        let p = power.clone();
        power.combine(&p);
        bit <<= 1;
    }
    result
}

/// A raw deflate stream of `mib` MiB of zeros, built from a few compressed MiB repeated:
/// after a sync flush the compressor's output is byte-aligned and, with a window of zeros,
/// the same for every further MiB of zeros. Returns (stream, CRC-32 of the output).
/// About 1 KiB per MiB: the ratio of a real deflate bomb (~1000:1).
pub fn zeros_deflate(mib: u64) -> (Vec<u8>, u32) {
    assert!(mib >= 3);
    let zeros = vec![0u8; 1 << 20];
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let mib_of_zeros = |e: &mut flate2::write::DeflateEncoder<Vec<u8>>| {
        e.write_all(&zeros).unwrap();
        e.flush().unwrap(); // sync flush: byte-aligned
        std::mem::take(e.get_mut())
    };
    let first = mib_of_zeros(&mut e);
    let second = mib_of_zeros(&mut e);
    let third = mib_of_zeros(&mut e);
    assert_eq!(second, third, "steady-state deflate output of zeros differs");
    let last = e.finish().unwrap();
    let mut out = first;
    for _ in 1..mib {
        out.extend_from_slice(&second);
    }
    out.extend_from_slice(&last);
    (out, crc32_zeros(mib << 20).finalize())
}

/// Unix mode in a central directory entry's external attributes.
pub fn unix_attrs(mode: u32) -> u32 {
    mode << 16
}

/// General-purpose flag: the name is UTF-8.
pub const FLAG_UTF8: u16 = 1 << 11;

/// One entry of a [`RawZip`]; every field is written as given, lies included.
#[derive(Debug, Clone)]
pub struct RawEntry {
    /// Name in the central directory.
    pub name: Vec<u8>,
    /// Name in the local header (default: `name`).
    pub local_name: Option<Vec<u8>>,
    pub flags: u16,
    /// 0 stored, 8 deflated.
    pub method: u16,
    pub crc: u32,
    /// The bytes stored after the local header (compressed data).
    pub data: Vec<u8>,
    /// Sizes the central directory declares: (compressed, uncompressed).
    pub sizes: (u64, u64),
    /// Sizes the local header declares (default: `sizes`).
    pub local_sizes: Option<(u64, u64)>,
    /// Write the sizes in a ZIP64 extra field (0xFFFFFFFF in the headers).
    pub zip64: bool,
    /// Version made by: high byte 3 = Unix (so `external_attrs` holds a mode).
    pub made_by: u16,
    pub external_attrs: u32,
    /// Write no local header of its own: point at entry `n`'s (overlapping entries).
    pub share_local_of: Option<usize>,
    /// Write no local header of its own: point at this file offset (a local header written
    /// inside another entry's data: the quoted-overlap bomb).
    pub local_at: Option<u64>,
}

impl RawEntry {
    pub fn stored(name: &str, data: &[u8]) -> RawEntry {
        RawEntry {
            name: name.as_bytes().to_vec(),
            local_name: None,
            flags: FLAG_UTF8,
            method: 0,
            crc: crc32(data),
            data: data.to_vec(),
            sizes: (data.len() as u64, data.len() as u64),
            local_sizes: None,
            zip64: false,
            made_by: (3 << 8) | 20,
            external_attrs: unix_attrs(0o100644),
            share_local_of: None,
            local_at: None,
        }
    }

    pub fn deflated(name: &str, data: &[u8]) -> RawEntry {
        let packed = deflate(data);
        RawEntry {
            method: 8,
            sizes: (packed.len() as u64, data.len() as u64),
            data: packed,
            ..RawEntry::stored(name, data)
        }
    }

    /// An entry holding already-compressed data declaring `size` bytes with CRC `crc`.
    pub fn precompressed(name: &str, packed: Vec<u8>, size: u64, crc: u32) -> RawEntry {
        RawEntry {
            method: 8,
            crc,
            sizes: (packed.len() as u64, size),
            data: packed,
            zip64: size >= 0xFFFF_FFFF,
            ..RawEntry::stored(name, b"")
        }
    }

    pub fn raw_name(mut self, name: &[u8], flags: u16) -> RawEntry {
        self.name = name.to_vec();
        self.flags = flags;
        self
    }

    pub fn mode(mut self, mode: u32) -> RawEntry {
        self.external_attrs = unix_attrs(mode);
        self
    }
}

/// A zip written byte by byte from [`RawEntry`]s.
#[derive(Debug, Default)]
pub struct RawZip {
    pub entries: Vec<RawEntry>,
    /// Write a ZIP64 end of central directory record even if nothing needs it.
    pub force_zip64_eocd: bool,
}

fn put16(o: &mut Vec<u8>, v: u16) {
    o.extend_from_slice(&v.to_le_bytes());
}
fn put32(o: &mut Vec<u8>, v: u32) {
    o.extend_from_slice(&v.to_le_bytes());
}
fn put64(o: &mut Vec<u8>, v: u64) {
    o.extend_from_slice(&v.to_le_bytes());
}

/// 0xFFFFFFFF when the value goes into the ZIP64 extra field.
fn size32(v: u64, zip64: bool) -> u32 {
    if zip64 { u32::MAX } else { v as u32 }
}

impl RawZip {
    pub fn new(entries: Vec<RawEntry>) -> RawZip {
        RawZip {
            entries,
            force_zip64_eocd: false,
        }
    }

    /// Local header of `e` (without data).
    pub fn local_header(e: &RawEntry) -> Vec<u8> {
        let name = e.local_name.as_ref().unwrap_or(&e.name);
        let (c, u) = e.local_sizes.unwrap_or(e.sizes);
        let mut o = Vec::new();
        put32(&mut o, 0x0403_4b50);
        put16(&mut o, if e.zip64 { 45 } else { 20 });
        put16(&mut o, e.flags);
        put16(&mut o, e.method);
        put16(&mut o, 0x6000); // 12:00
        put16(&mut o, 0x58a1); // 2024-05-01
        put32(&mut o, e.crc);
        put32(&mut o, size32(c, e.zip64));
        put32(&mut o, size32(u, e.zip64));
        put16(&mut o, name.len() as u16);
        put16(&mut o, if e.zip64 { 20 } else { 0 });
        o.extend_from_slice(name);
        if e.zip64 {
            put16(&mut o, 1);
            put16(&mut o, 16);
            put64(&mut o, u);
            put64(&mut o, c);
        }
        o
    }

    fn central_header(e: &RawEntry, offset: u64) -> Vec<u8> {
        let (c, u) = e.sizes;
        let big_offset = offset >= u32::MAX as u64;
        let mut extra = Vec::new();
        if e.zip64 || big_offset {
            let mut body = Vec::new();
            if e.zip64 {
                put64(&mut body, u);
                put64(&mut body, c);
            }
            if big_offset {
                put64(&mut body, offset);
            }
            put16(&mut extra, 1);
            put16(&mut extra, body.len() as u16);
            extra.extend_from_slice(&body);
        }
        let mut o = Vec::new();
        put32(&mut o, 0x0201_4b50);
        put16(&mut o, e.made_by);
        put16(&mut o, if e.zip64 || big_offset { 45 } else { 20 });
        put16(&mut o, e.flags);
        put16(&mut o, e.method);
        put16(&mut o, 0x6000);
        put16(&mut o, 0x58a1);
        put32(&mut o, e.crc);
        put32(&mut o, size32(c, e.zip64));
        put32(&mut o, size32(u, e.zip64));
        put16(&mut o, e.name.len() as u16);
        put16(&mut o, extra.len() as u16);
        put16(&mut o, 0); // comment
        put16(&mut o, 0); // disk
        put16(&mut o, 0); // internal attributes
        put32(&mut o, e.external_attrs);
        put32(&mut o, size32(offset, big_offset));
        o.extend_from_slice(&e.name);
        o.extend_from_slice(&extra);
        o
    }

    /// The whole zip in memory.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut offsets = Vec::with_capacity(self.entries.len());
        for e in &self.entries {
            match (e.share_local_of, e.local_at) {
                (Some(i), _) => offsets.push(offsets[i]),
                (None, Some(at)) => offsets.push(at),
                (None, None) => {
                    offsets.push(out.len() as u64);
                    out.extend_from_slice(&Self::local_header(e));
                    out.extend_from_slice(&e.data);
                }
            }
        }
        let cd_start = out.len() as u64;
        for (e, off) in self.entries.iter().zip(&offsets) {
            out.extend_from_slice(&Self::central_header(e, *off));
        }
        let cd_size = out.len() as u64 - cd_start;
        self.end_records(&mut out, cd_start, cd_size);
        out
    }

    /// End of central directory (and the ZIP64 record and locator when needed).
    fn end_records(&self, out: &mut Vec<u8>, cd_start: u64, cd_size: u64) {
        let n = self.entries.len() as u64;
        let zip64 = self.force_zip64_eocd || n >= 0xFFFF || cd_start >= u32::MAX as u64;
        if zip64 {
            let rec = out.len() as u64;
            put32(out, 0x0606_4b50);
            put64(out, 44);
            put16(out, 45);
            put16(out, 45);
            put32(out, 0);
            put32(out, 0);
            put64(out, n);
            put64(out, n);
            put64(out, cd_size);
            put64(out, cd_start);
            put32(out, 0x0706_4b50);
            put32(out, 0);
            put64(out, rec);
            put32(out, 1);
        }
        put32(out, 0x0605_4b50);
        put16(out, 0);
        put16(out, 0);
        let n16 = if zip64 { 0xFFFF } else { n as u16 };
        put16(out, n16);
        put16(out, n16);
        put32(out, size32(cd_size, zip64 && cd_size >= u32::MAX as u64));
        put32(out, size32(cd_start, zip64));
        put16(out, 0);
    }

    pub fn write(&self, path: &Path) {
        std::fs::write(path, self.to_bytes()).unwrap();
    }

    /// Writes a zip whose single stored entry `name` declares `size` bytes: `head` followed by
    /// zeros, the zeros left as a hole in a sparse file (nothing close to `size` is written).
    pub fn write_sparse_stored(path: &Path, name: &str, head: &[u8], size: u64) {
        use std::io::{Seek, SeekFrom};
        let mut crc = crc32fast::Hasher::new();
        crc.update(head);
        crc.combine(&crc32_zeros(size - head.len() as u64));
        let e = RawEntry {
            crc: crc.finalize(),
            sizes: (size, size),
            zip64: true,
            data: Vec::new(),
            ..RawEntry::stored(name, b"")
        };
        let mut f = std::fs::File::create(path).unwrap();
        let local = Self::local_header(&e);
        f.write_all(&local).unwrap();
        f.write_all(head).unwrap();
        let cd_start = local.len() as u64 + size;
        f.seek(SeekFrom::Start(cd_start)).unwrap();
        let mut tail = Self::central_header(&e, 0);
        let cd_size = tail.len() as u64;
        let z = RawZip {
            entries: vec![e],
            force_zip64_eocd: true,
        };
        z.end_records_at(&mut tail, cd_start, cd_size);
        f.write_all(&tail).unwrap();
    }

    /// [`Self::end_records`] for a buffer that starts at file offset `cd_start`.
    fn end_records_at(&self, tail: &mut Vec<u8>, cd_start: u64, cd_size: u64) {
        // The ZIP64 locator records the absolute offset of the ZIP64 record.
        let mut rec = Vec::new();
        self.end_records(&mut rec, cd_start, cd_size);
        // Patch the locator's offset (end_records used offsets relative to `rec`).
        if rec.len() > 22 + 20 {
            let abs = cd_start + cd_size;
            let loc = rec.len() - 22 - 20;
            rec[loc + 8..loc + 16].copy_from_slice(&abs.to_le_bytes());
        }
        tail.extend_from_slice(&rec);
    }
}

/// The overlapping-files zip bomb (Fifield, 2019), stored flavour: `n` entries whose local
/// headers agree with the central directory, each entry's data being the next entry's local
/// header and data, down to `kernel`. Entry 0 declares all of it, entry 1 almost all ...: the
/// entries declare about `n * kernel.len()` bytes in a file of about `kernel.len()`. Returned
/// entries go after `prefix_len` bytes of other entries.
pub fn quoted_overlap_bomb(n: usize, kernel: &[u8], prefix_len: u64) -> Vec<RawEntry> {
    // Innermost first: data of entry i = local header of i+1 + data of i+1.
    let names: Vec<String> = (0..n).map(|i| format!("k/{i:04}.evtx")).collect();
    let mut data = kernel.to_vec();
    let mut crc = crc32fast::Hasher::new();
    crc.update(kernel);
    let mut headers: Vec<Vec<u8>> = vec![Vec::new(); n];
    let mut entries: Vec<RawEntry> = vec![RawEntry::stored("x", b""); n];
    for i in (0..n).rev() {
        let mut e = RawEntry::stored(&names[i], b"");
        e.crc = crc.clone().finalize();
        e.sizes = (data.len() as u64, data.len() as u64);
        let lh = RawZip::local_header(&e);
        if i > 0 {
            let mut with = crc32fast::Hasher::new();
            with.update(&lh);
            with.combine(&crc);
            crc = with;
            let mut d = lh.clone();
            d.extend_from_slice(&data);
            data = d;
        }
        headers[i] = lh;
        entries[i] = e;
    }
    // Entry 0 is written (its header and all the data); the others point inside it.
    entries[0].data = data;
    let mut at = prefix_len + headers[0].len() as u64;
    for i in 1..n {
        entries[i].local_at = Some(at);
        at += headers[i].len() as u64;
    }
    entries
}
