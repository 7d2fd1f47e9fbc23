//! The hostile-bundle suite, end to end through the `rdpdiag` binary (issue 8, part 3).
//!
//! Each case builds its input in a fresh temporary folder (with the zip crate, or byte by byte
//! with `common/zipcraft.rs` for what the zip crate will not write), runs
//! `rdpdiag analyze <input> -o <out>/report.txt` (and `inspect` where the per-entry outcome
//! matters) under GNU time, and asserts:
//!
//! - the exit code (0 diagnosed, 1 nothing failed / no attempt, 2 bad input, 3 insufficient);
//! - that the report or standard error names the file and says what is wrong;
//! - that nothing was created anywhere in the temporary folder except the report (a snapshot
//!   of the tree before and after), nor beside it where a zip-slip name points;
//! - peak RSS (`/usr/bin/time -f %M`) under a bound; no panic.
//!
//! With `RDPDIAG_HOSTILE_ROWS=<dir>` each case also writes its row (input, expected, result,
//! peak memory) to `<dir>/<case>.md`; `scripts/hostile-table.sh` assembles them into
//! `tests/hostile-bundles.md`.
//!
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::zipcraft;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rdpdiag_samples::evtx::{WriterOptions, write_evtx_to_vec};
use rdpdiag_samples::scenario::{self, GenerateOptions, Layout, Packaging, World, WorldOptions};
use zipcraft::{FLAG_UTF8, REG, RawEntry, RawZip};

const MIB: u64 = 1 << 20;
/// Peak RSS allowed for a case unless it says otherwise. A tiny input costs ~30 MiB.
const RSS_BOUND_KIB: u64 = 256 * 1024;
/// A child running longer than this is killed and the case fails.
const TIMEOUT: Duration = Duration::from_secs(300);

// ---------------------------------------------------------------------------------------------
// Running the binary

/// One run of `rdpdiag`.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// The report file's text (analyze), empty when none was written.
    report: String,
    /// Peak resident set, KiB (`None` when GNU time is not installed).
    peak_kib: Option<u64>,
    secs: f64,
}

impl Run {
    /// Report, standard output and standard error together.
    fn all_text(&self) -> String {
        format!("{}\n{}\n{}", self.report, self.stdout, self.stderr)
    }

    fn mentions(&self, needles: &[&str]) -> bool {
        let t = self.all_text();
        needles.iter().all(|n| t.contains(n))
    }
}

fn gnu_time() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin/time");
    if p.is_file() {
        Some(p)
    } else {
        eprintln!(
            "note: /usr/bin/time (GNU time) is not installed: peak memory is not measured (apt-get install time)"
        );
        None
    }
}

/// Reads a child's pipe on a thread so a chatty child cannot block on a full pipe.
fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = r.read_to_end(&mut b);
        String::from_utf8_lossy(&b).into_owned()
    })
}

/// A case's temporary folder: `input/` (what it builds), `out/` (the only place the
/// analyzer may write), `cwd/` (the child's working directory, empty).
struct Sandbox {
    _root: tempfile::TempDir,
    root: PathBuf,
    name: String,
}

impl Sandbox {
    fn new(name: &str) -> Sandbox {
        let root = tempfile::Builder::new()
            .prefix(&format!("rdpdiag-hostile-{name}-"))
            .tempdir()
            .unwrap();
        let path = root.path().to_path_buf();
        // Nested one level, so `../` and `../../` from `cwd/` still land inside the snapshot.
        let base = path.join("box");
        for d in ["input", "out", "cwd"] {
            std::fs::create_dir_all(base.join(d)).unwrap();
        }
        Sandbox {
            _root: root,
            root: path,
            name: name.to_string(),
        }
    }

    fn input(&self, name: &str) -> PathBuf {
        self.root.join("box/input").join(name)
    }

    fn out(&self) -> PathBuf {
        self.root.join("box/out")
    }

    fn report_path(&self) -> PathBuf {
        self.out().join("report.txt")
    }

    /// Every path under the root (not following links), relative.
    fn tree(&self) -> BTreeSet<PathBuf> {
        let mut out = BTreeSet::new();
        let mut stack = vec![self.root.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                out.insert(p.strip_prefix(&self.root).unwrap().to_path_buf());
                if std::fs::symlink_metadata(&p).unwrap().is_dir() {
                    stack.push(p);
                }
            }
        }
        out
    }

    /// Runs `rdpdiag args...` in `cwd/` under GNU time; asserts nothing but the files in
    /// `allowed` (relative to the root) appeared and nothing disappeared.
    fn run(&self, args: &[OsString], allowed: &[&Path]) -> Run {
        let before = self.tree();
        let time_file = std::env::temp_dir().join(format!(
            "rdpdiag-hostile-time-{}-{}.txt",
            std::process::id(),
            self.name
        ));
        let bin = env!("CARGO_BIN_EXE_rdpdiag");
        let mut cmd = match gnu_time() {
            Some(t) => {
                let mut c = Command::new(t);
                c.arg("-f").arg("%M").arg("-o").arg(&time_file).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        cmd.args(args)
            .current_dir(self.root.join("box/cwd"))
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let start = Instant::now();
        let mut child = cmd.spawn().unwrap();
        let out = drain(child.stdout.take().unwrap());
        let err = drain(child.stderr.take().unwrap());
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{}: rdpdiag ran longer than {TIMEOUT:?}", self.name);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let secs = start.elapsed().as_secs_f64();
        let stdout = out.join().unwrap();
        let mut stderr = err.join().unwrap();
        let peak_kib = std::fs::read_to_string(&time_file).ok().and_then(|t| {
            // GNU time prints "Command exited with non-zero status N" before the value.
            t.lines().filter_map(|l| l.trim().parse::<u64>().ok()).next_back()
        });
        let _ = std::fs::remove_file(&time_file);
        // With GNU time in between, a signal shows as "Command terminated by signal N".
        let code = status.code();
        if stderr.contains("Command terminated by signal") {
            stderr.push_str("\n(killed by a signal)");
        }
        let report = std::fs::read_to_string(self.report_path()).unwrap_or_default();
        let after = self.tree();
        let allowed: BTreeSet<PathBuf> = allowed.iter().map(|p| p.to_path_buf()).collect();
        let appeared: Vec<_> = after
            .difference(&before)
            .filter(|p| !allowed.contains(*p))
            .collect();
        let vanished: Vec<_> = before.difference(&after).collect();
        assert!(
            appeared.is_empty() && vanished.is_empty(),
            "{}: files appeared {appeared:?} / vanished {vanished:?}",
            self.name
        );
        let run = Run {
            code,
            stdout,
            stderr,
            report,
            peak_kib,
            secs,
        };
        assert!(
            !run.stderr.contains("panicked") && !run.report.contains("panicked"),
            "{}: a panic:\n{}",
            self.name,
            run.all_text()
        );
        assert!(
            !run.stderr.contains("(killed by a signal)"),
            "{}: killed by a signal:\n{}",
            self.name,
            run.stderr
        );
        run
    }

    /// `rdpdiag analyze <input> -o out/report.txt`.
    fn analyze(&self, input: &Path) -> Run {
        let _ = std::fs::remove_file(self.report_path());
        let args = vec![
            OsString::from("analyze"),
            input.as_os_str().to_owned(),
            OsString::from("-o"),
            self.report_path().into_os_string(),
        ];
        self.run(&args, &[Path::new("box/out/report.txt")])
    }

    /// `rdpdiag inspect --format json <input> [extra...]`, parsed.
    fn inspect(&self, input: &Path, extra: &[&str]) -> (Run, serde_json::Value) {
        let mut args = vec![
            OsString::from("inspect"),
            OsString::from("--format"),
            OsString::from("json"),
        ];
        args.extend(extra.iter().map(OsString::from));
        args.push(input.as_os_str().to_owned());
        let run = self.run(&args, &[]);
        let json = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{}: inspect JSON: {e}\n{}", self.name, run.all_text()));
        (run, json)
    }
}

/// The artifact `path` of the first input of an `inspect --format json` report.
fn artifact<'a>(json: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    json["inputs"][0]["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == path)
        .unwrap_or_else(|| panic!("no artifact {path:?} in {:#}", json["inputs"][0]["artifacts"]))
}

/// (outcome kind, reason) of an artifact in inspect JSON.
fn outcome(json: &serde_json::Value, path: &str) -> (String, String) {
    let o = &artifact(json, path)["outcome"];
    (
        o["status"].as_str().unwrap_or_default().to_string(),
        o["reason"].as_str().unwrap_or_default().to_string(),
    )
}

fn assert_peak(name: &str, run: &Run, bound_kib: u64) {
    if let Some(p) = run.peak_kib {
        assert!(
            p <= bound_kib,
            "{name}: peak RSS {} MiB over the bound of {} MiB",
            p / 1024,
            bound_kib / 1024
        );
    }
}

fn mib(kib: Option<u64>) -> String {
    match kib {
        Some(k) => format!("{:.0} MiB", k as f64 / 1024.0),
        None => "not measured".into(),
    }
}

/// Writes a row of the closing-note table (when asked) and prints it.
fn record(id: &str, input: &str, expected: &str, runs: &[&Run], result: &str) {
    let peak = runs.iter().filter_map(|r| r.peak_kib).max();
    let codes: Vec<String> = runs
        .iter()
        .map(|r| r.code.map(|c| c.to_string()).unwrap_or_else(|| "signal".into()))
        .collect();
    let secs: f64 = runs.iter().map(|r| r.secs).sum();
    let row = format!(
        "| {id} | {input} | {expected} | exit {}; {result} ({secs:.1} s) | {} |",
        codes.join("/"),
        mib(peak)
    );
    eprintln!("{row}");
    if let Some(dir) = std::env::var_os("RDPDIAG_HOSTILE_ROWS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{id}.md")), row + "\n").unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs

/// A good `.reg` entry: the rest of an input must still be read around the hostile entries.
fn good() -> RawEntry {
    RawEntry::deflated("good/rdp.reg", REG)
}

/// The good entry was read and parsed (host facts), in inspect JSON.
fn assert_good_parsed(name: &str, json: &serde_json::Value) {
    let (kind, why) = outcome(json, "good/rdp.reg");
    assert_eq!(kind, "parsed", "{name}: good/rdp.reg {why}");
}

/// A real EVTX file from the samples writer: the server's events of many attempts (several
/// 64 KiB chunks), sorted by time.
fn sample_evtx() -> Vec<u8> {
    let spec = scenario::find("cert-key-unreadable").unwrap();
    let w = World::build(
        spec,
        &WorldOptions {
            seed: 7,
            attempts: 40,
            skew_seconds: 0,
            without_traps: false,
        },
    );
    let mut events: Vec<_> = w.server.events.iter().collect();
    events.sort_by_key(|e| e.time_created);
    let bytes = write_evtx_to_vec(events, WriterOptions::default()).unwrap();
    assert!(bytes.len() >= 4096 + 3 * 65536, "sample evtx has < 3 chunks");
    bytes
}

// ---------------------------------------------------------------------------------------------
// Cases

/// A real deflate bomb: 6 GiB of zeros in ~6 MiB, sizes declared honestly (ZIP64).
#[test]
fn zip_bomb_deflate() {
    let s = Sandbox::new("bomb");
    let (packed, crc) = zipcraft::zeros_deflate(6 * 1024);
    let ratio = (6u64 << 30) / packed.len() as u64;
    assert!(ratio > 900, "deflate ratio {ratio}");
    let zip = s.input("bomb.zip");
    RawZip::new(vec![
        good(),
        RawEntry::precompressed("evtx/Security.evtx", packed.clone(), 6 << 30, crc),
    ])
    .write(&zip);
    let r = s.analyze(&zip);
    assert_eq!(r.code, Some(1), "{}", r.all_text());
    assert!(
        r.mentions(&["bomb.zip", "evtx/Security.evtx", "zip bomb"]),
        "{}",
        r.all_text()
    );
    assert_peak(&s.name, &r, RSS_BOUND_KIB);
    let (ri, json) = s.inspect(&zip, &[]);
    assert_good_parsed(&s.name, &json);
    assert_eq!(outcome(&json, "evtx/Security.evtx").0, "rejected");
    record(
        "01 zip-bomb-deflate",
        &format!(
            "zip: 6 GiB of zeros deflated to {:.1} MiB (ratio {ratio}:1), ZIP64 sizes honest, + one good .reg",
            packed.len() as f64 / MIB as f64
        ),
        "entry rejected before reading (declared size over the 1 GiB cap); good entry parsed; exit 1",
        &[&r, &ri],
        "rejected by name (\"declares 6442450944 bytes ... possible zip bomb\"), .reg parsed",
    );

    // The same stream declaring 1 MiB (no ZIP64): caught while decompressing, at the declared size.
    let zip = s.input("bomb-lying.zip");
    let mut e = RawEntry::precompressed("evtx/Security.evtx", packed, MIB, crc);
    e.zip64 = false;
    RawZip::new(vec![good(), e]).write(&zip);
    let r = s.analyze(&zip);
    assert_eq!(r.code, Some(1), "{}", r.all_text());
    assert!(
        r.mentions(&["bomb-lying.zip", "evtx/Security.evtx", "declared"]),
        "{}",
        r.all_text()
    );
    assert_peak(&s.name, &r, RSS_BOUND_KIB);
    record(
        "02 zip-bomb-deflate-lying",
        "zip: the same 6 GiB stream declaring 1 MiB uncompressed, + one good .reg",
        "decompression stops just past the declared size; entry unreadable; exit 1",
        &[&r],
        "unreadable: larger than its declared size",
    );
}

/// A zip of zips of bombs: nested zips are never opened.
#[test]
fn zip_bomb_nested() {
    let s = Sandbox::new("nested");
    let (packed, crc) = zipcraft::zeros_deflate(1024);
    let inner = RawZip::new(vec![RawEntry::precompressed("System.evtx", packed, 1 << 30, crc)]).to_bytes();
    let entries: Vec<RawEntry> = (0..16)
        .map(|i| RawEntry::stored(&format!("nested/{i:02}.zip"), &inner))
        .chain([good()])
        .collect();
    let zip = s.input("nested.zip");
    RawZip::new(entries).write(&zip);
    let r = s.analyze(&zip);
    assert_eq!(r.code, Some(1), "{}", r.all_text());
    assert_peak(&s.name, &r, RSS_BOUND_KIB);
    let (ri, json) = s.inspect(&zip, &[]);
    assert_good_parsed(&s.name, &json);
    let (kind, why) = outcome(&json, "nested/00.zip");
    assert_eq!(kind, "not-parsed", "{why}");
    assert!(why.contains("zip"), "{why}");
    record(
        "03 zip-bomb-nested",
        &format!(
            "zip storing 16 zips of {:.1} MiB, each a 1 GiB deflate bomb (16 GiB if expanded), + good .reg",
            inner.len() as f64 / MIB as f64
        ),
        "inner zips read as files, never opened; exit 1",
        &[&r, &ri],
        "inner zips \"not parsed: zip inside the input\", .reg parsed",
    );
}

/// The overlapping-files bombs: the quoted-overlap construction of Fifield (local headers
/// that agree with the central directory, each inside the previous entry's data), and 2,000
/// central entries pointing at one local header.
#[test]
fn zip_bomb_overlapping() {
    let s = Sandbox::new("overlap");
    // 1 MiB of incompressible-ish data, stored: a ratio of 1 passes the ratio check, and the
    // declared total (2,000 x ~1 MiB) stays under the 4 GiB cap: only overlap detection stops it.
    let kernel: Vec<u8> = (0..MIB as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let g = good();
    let prefix = (RawZip::local_header(&g).len() + g.data.len()) as u64;
    let mut entries = vec![g];
    entries.extend(zipcraft::quoted_overlap_bomb(2000, &kernel, prefix));
    let declared: u64 = entries.iter().map(|e| e.sizes.1).sum();
    let zip = s.input("overlap.zip");
    RawZip::new(entries).write(&zip);
    let file_len = std::fs::metadata(&zip).unwrap().len();
    let r = s.analyze(&zip);
    assert_eq!(r.code, Some(1), "{}", r.all_text());
    assert!(r.mentions(&["overlap.zip", "overlap"]), "{}", r.all_text());
    assert_peak(&s.name, &r, RSS_BOUND_KIB);
    let (ri, json) = s.inspect(&zip, &[]);
    assert_good_parsed(&s.name, &json);
    for p in ["k/0000.evtx", "k/0001.evtx", "k/1999.evtx"] {
        let (kind, why) = outcome(&json, p);
        assert_eq!(kind, "rejected", "{p}");
        assert!(why.contains("overlap"), "{p}: {why}");
    }

    // Central entries sharing one local header: their names disagree with it.
    let mut shared = vec![good(), RawEntry::stored("s/0000.evtx", &kernel)];
    for i in 1..2000 {
        let mut e = RawEntry::stored(&format!("s/{i:04}.evtx"), b"");
        e.crc = zipcraft::crc32(&kernel);
        e.sizes = (MIB, MIB);
        e.share_local_of = Some(1);
        shared.push(e);
    }
    let zip2 = s.input("shared.zip");
    RawZip::new(shared).write(&zip2);
    let r2 = s.analyze(&zip2);
    assert_eq!(r2.code, Some(1), "{}", r2.all_text());
    assert_peak(&s.name, &r2, RSS_BOUND_KIB);
    let (_, json) = s.inspect(&zip2, &[]);
    let (kind, why) = outcome(&json, "s/1999.evtx");
    assert_eq!(kind, "rejected");
    assert!(why.contains("local header"), "{why}");
    record(
        "04 zip-bomb-overlapping",
        &format!(
            "zip of {:.1} MiB: Fifield's quoted-overlap bomb, 2,000 stored entries each inside the previous one's data, declaring {:.0} MiB; and 2,000 central entries sharing one 1 MiB local header; + good .reg",
            file_len as f64 / MIB as f64,
            declared as f64 / MIB as f64
        ),
        "every overlapping entry rejected by name, nothing of them read; exit 1",
        &[&r, &ri, &r2],
        "quoted: 2,000/2,000 rejected \"bytes overlap another entry's\"; shared: 1,999 rejected \"local header and central directory disagree\"",
    );
}

/// Zip slip: `..` in every spelling; nothing lands where the names point.
#[test]
fn zip_slip() {
    let s = Sandbox::new("slip");
    let tag = format!("rdpdiag-slip-{}", std::process::id());
    let names = [
        format!("../{tag}-a.reg"),
        format!("../../{tag}-b.reg"),
        format!("../../../{tag}-c.reg"),
        format!("logs/../../{tag}-d.reg"),
        format!("..\\..\\{tag}-e.reg"),
        format!("logs\\..\\..\\..\\{tag}-f.reg"),
    ];
    let mut entries = vec![good()];
    entries.extend(names.iter().map(|n| RawEntry::deflated(n, REG)));
    let zip = s.input("slip.zip");
    RawZip::new(entries).write(&zip);
    let r = s.analyze(&zip);
    assert_eq!(r.code, Some(1), "{}", r.all_text());
    assert!(r.mentions(&["slip.zip", "zip slip"]), "{}", r.all_text());
    // Where the names point, from the working directory, the output folder and the input.
    for base in [s.root.join("box/cwd"), s.out(), s.input("")] {
        for n in &names {
            let target = base.join(n.replace('\\', "/"));
            assert!(!target.exists(), "{} exists", target.display());
        }
    }
    for dir in [s.root.parent().unwrap().to_path_buf(), std::env::temp_dir()] {
        for c in ["a", "b", "c", "d", "e", "f"] {
            assert!(!dir.join(format!("{tag}-{c}.reg")).exists());
        }
    }
    assert_peak(&s.name, &r, RSS_BOUND_KIB);
    let (ri, json) = s.inspect(&zip, &[]);
    assert_good_parsed(&s.name, &json);
    for n in &names {
        let (kind, why) = outcome(&json, n);
        assert_eq!(kind, "rejected", "{n}");
        assert!(why.contains("zip slip"), "{n}: {why}");
    }
    record(
        "05 zip-slip",
        "zip: `../x`, `../../x`, `../../../x`, `logs/../../x`, `..\\..\\x`, `logs\\..\\..\\..\\x`, + good .reg",
        "each rejected by name (zip slip); nothing written outside out/; exit 1",
        &[&r, &ri],
        "6/6 rejected \"path escapes the input with `..` (zip slip)\"; no file at any target",
    );
}

/// Absolute paths, Unix and Windows (drive, drive-relative, UNC, device).
#[test]
fn absolute_paths() {
    let s = Sandbox::new("abs");
    let tag = format!("rdpdiag-abs-{}", std::process::id());
    let abs_unix = std::env::temp_dir().join(format!("{tag}.reg"));
    let names = [
        abs_unix.display().to_string(),
        format!("C:\\Windows\\Temp\\{tag}.reg"),
        format!("C:/Windows/Temp/{tag}.reg"),
        format!("C:{tag}.reg"),
        format!("\\\\server\\share\\{tag}.reg"),
        format!("//server/share/{tag}.reg"),
        format!("\\\\?\\C:\\{tag}.reg"),
        "evtx/System.evtx:hidden".to_string(),
    ];
    let mut entries = vec![good()];
    entries.extend(names.iter().map(|n| RawEntry::deflated(n, REG)));
    let zip = s.input("abs.zip");
    RawZip::new(entries).write(&zip);
    let r = s.analyze(&zip);
    assert_eq!(r.code, Some(1), "{}", r.all_text());
    assert!(!abs_unix.exists());
    assert!(r.mentions(&["abs.zip", "absolute"]), "{}", r.all_text());
    assert_peak(&s.name, &r, RSS_BOUND_KIB);
    let (ri, json) = s.inspect(&zip, &[]);
    assert_good_parsed(&s.name, &json);
    for n in &names {
        let (kind, why) = outcome(&json, n);
        assert_eq!(kind, "rejected", "{n}");
        assert!(why.contains("absolute") || why.contains("drive"), "{n}: {why}");
    }
    record(
        "06 absolute-paths",
        "zip: `/tmp/x`, `C:\\x`, `C:/x`, `C:x`, `\\\\server\\share\\x`, `//server/share/x`, `\\\\?\\C:\\x`, `x:stream`, + good .reg",
        "each rejected by name (absolute / drive / stream); exit 1",
        &[&r, &ri],
        "8/8 rejected; nothing written at /tmp/x",
    );
}

/// Symlink entries (Unix mode 0o120777), including a link to a folder followed by a file
/// "inside" it.
#[test]
fn symlink_entries() {
    let s = Sandbox::new("symlink");
    let entries = vec![
        good(),
        RawEntry::stored("evtx/System.evtx", b"/etc/passwd").mode(0o120777),
        RawEntry::stored("logs", s.root.to_str().unwrap().as_bytes()).mode(0o120755),
        RawEntry::deflated("logs/planted.reg", REG),
    ];
    let zip = s.input("links.zip");
    RawZip::new(entries).write(&zip);
    let r = s.analyze(&zip);
    assert_eq!(r.code, Some(1), "{}", r.all_text());
    assert!(r.mentions(&["links.zip", "symbolic link"]), "{}", r.all_text());
    assert!(!s.root.join("planted.reg").exists());
    assert_peak(&s.name, &r, RSS_BOUND_KIB);
    let (ri, json) = s.inspect(&zip, &[]);
    assert_good_parsed(&s.name, &json);
    for p in ["evtx/System.evtx", "logs"] {
        let (kind, why) = outcome(&json, p);
        assert_eq!(kind, "rejected", "{p}");
        assert!(why.contains("symbolic link"), "{p}: {why}");
    }
    // Read from memory, never through the link: a plain entry like any other.
    assert_eq!(outcome(&json, "logs/planted.reg").0, "parsed");
    record(
        "07 symlink-entries",
        "zip: `evtx/System.evtx` -> /etc/passwd and `logs` -> the temp dir (mode 0o120777), then `logs/planted.reg`",
        "links rejected by name, never followed; the file behind the link is read from the zip only; exit 1",
        &[&r, &ri],
        "2/2 links rejected \"symbolic link (never followed)\"; nothing written",
    );
}

/// Duplicate names: exact, case-only, and equal after `\` -> `/`.
#[test]
fn duplicate_names() {
    let s = Sandbox::new("dup");
    let entries = vec![
        good(),
        RawEntry::deflated("evtx/System.evtx", b"ElfFile\0one"),
        RawEntry::deflated("evtx/System.evtx", b"ElfFile\0two"),
        RawEntry::deflated("registry/Policies.reg", REG),
        RawEntry::deflated("REGISTRY/policies.REG", REG),
        RawEntry::deflated("system/w32tm.txt", b"a"),
        RawEntry::deflated("system\\w32tm.txt", b"b"),
    ];
    let zip = s.input("dup.zip");
    RawZip::new(entries).write(&zip);
    let r = s.analyze(&zip);
    assert_eq!(r.code, Some(1), "{}", r.all_text());
    assert!(r.mentions(&["dup.zip", "duplicate"]), "{}", r.all_text());
    assert_peak(&s.name, &r, RSS_BOUND_KIB);
    let (ri, json) = s.inspect(&zip, &[]);
    assert_good_parsed(&s.name, &json);
    let arts = json["inputs"][0]["artifacts"].as_array().unwrap();
    for p in [
        "evtx/System.evtx",
        "registry/Policies.reg",
        "REGISTRY/policies.REG",
        "system/w32tm.txt",
    ] {
        let (kind, why) = outcome(&json, p);
        assert_eq!(kind, "rejected", "{p}");
        assert!(why.contains("duplicate"), "{p}: {why}");
    }
    // No copy of a duplicated name was read.
    assert!(
        arts.iter()
            .filter(|a| a["path"] != "good/rdp.reg")
            .all(|a| a["size"].is_null()),
        "{arts:#?}"
    );
    record(
        "08 duplicate-names",
        "zip: `evtx/System.evtx` twice; `registry/Policies.reg` vs `REGISTRY/policies.REG`; `system/w32tm.txt` vs `system\\w32tm.txt`",
        "every copy rejected (which one is genuine cannot be known); exit 1",
        &[&r, &ri],
        "all copies rejected \"duplicate name\", none read",
    );
}

/// A zip cut at several points: each gives a clear error; what precedes the damage is read.
#[test]
fn truncated_zips() {
    let s = Sandbox::new("trunc");
    let filler: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let z = RawZip::new(vec![
        good(),
        RawEntry::stored("filler.bin", &filler),
        RawEntry::deflated("last.reg", REG),
    ]);
    let full = z.to_bytes();
    let cd = full.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap() - 30;
    let cd_first = full.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    let eocd = full.windows(4).rposition(|w| w == b"PK\x05\x06").unwrap();
    let filler_at = full.windows(10).position(|w| w == b"filler.bin").unwrap();
    let cuts: [(&str, usize, Option<&str>); 5] = [
        ("inside the first local header", 20, None),
        (
            "inside the second entry's data",
            filler_at + 300_000,
            Some("filler.bin"),
        ),
        (
            "inside the central directory",
            cd_first + 50.min(cd - cd_first),
            Some(""),
        ),
        ("inside the end record", eocd + 10, Some("")),
        ("the last byte", full.len() - 1, Some("")),
    ];
    let mut runs = Vec::new();
    for (what, at, _) in cuts {
        let zip = s.input("trunc.zip");
        std::fs::write(&zip, &full[..at]).unwrap();
        let r = s.analyze(&zip);
        assert!(r.mentions(&["trunc.zip"]), "cut {what}: {}", r.all_text());
        if at < 30 {
            // Nothing recoverable: the input is unreadable, exit 2, stderr says so.
            assert_eq!(r.code, Some(2), "cut {what}: {}", r.all_text());
            assert!(r.stderr.contains("trunc.zip"), "cut {what}: {}", r.stderr);
        } else {
            assert_eq!(r.code, Some(1), "cut {what}: {}", r.all_text());
            let (_, json) = s.inspect(&zip, &[]);
            assert_good_parsed(&s.name, &json);
            assert!(
                r.mentions(&["central directory unreadable"]) || r.mentions(&["damaged"]),
                "cut {what}: {}",
                r.all_text()
            );
        }
        assert_peak(&s.name, &r, RSS_BOUND_KIB);
        runs.push(r);
    }
    let refs: Vec<&Run> = runs.iter().collect();
    record(
        "09 truncated-zip",
        "zip (good .reg, 800 KB stored, .reg) cut inside the first local header, inside the data, inside the central directory, inside the end record, 1 byte short",
        "clear error naming the zip; entries before the cut recovered by scanning local headers; exit 2 when nothing is left, else 1",
        &refs,
        "exit 2 for the cut header (\"not a readable zip\"); the other four recover the entries before the damage",
    );
}

/// ZIP64 extra fields and local headers that lie about sizes.
#[test]
fn zip64_size_lies() {
    let s = Sandbox::new("zip64");
    let zeros = vec![0u8; 64 << 20];
    let packed = zipcraft::deflate(&zeros);
    let crc = zipcraft::crc32(&zeros);
    let mut runs = Vec::new();

    // (a) Declared small (10 bytes in the ZIP64 field), really 64 MiB.
    let mut small = RawEntry::precompressed("evtx/small.evtx", packed.clone(), 10, crc);
    small.zip64 = true;
    // (b) Declared large (900 MiB), really 64 MiB: ratio far above the cap up front.
    let mut large = RawEntry::precompressed("evtx/large.evtx", packed.clone(), 900 << 20, crc);
    large.zip64 = true;
    // (c) Stored entry declaring 2 MiB holding 100 KiB (within every cap): short read.
    let body = vec![b'x'; 100 << 10];
    let mut short = RawEntry::stored("registry/short.reg", &body);
    short.sizes = (body.len() as u64, 2 * MIB);
    short.zip64 = true;
    // (d) Local header disagrees with the central directory (sizes and name).
    let mut disagree = RawEntry::deflated("registry/disagree.reg", REG);
    disagree.local_sizes = Some((5, 5));
    disagree.local_name = Some(b"../../evil.reg".to_vec());
    // (e) Compressed size beyond the end of the file.
    let mut beyond = RawEntry::deflated("registry/beyond.reg", REG);
    beyond.sizes.0 = 1 << 40;
    beyond.zip64 = true;
    let zip = s.input("zip64.zip");
    RawZip::new(vec![good(), small, large, short, disagree, beyond]).write(&zip);
    let r = s.analyze(&zip);
    assert!(matches!(r.code, Some(1) | Some(2)), "{}", r.all_text());
    assert_peak(&s.name, &r, RSS_BOUND_KIB);
    let (ri, json) = s.inspect(&zip, &[]);
    let outcomes: Vec<(String, String, String)> = [
        "evtx/small.evtx",
        "evtx/large.evtx",
        "registry/short.reg",
        "registry/disagree.reg",
        "registry/beyond.reg",
    ]
    .iter()
    .map(|p| {
        let (k, why) = outcome(&json, p);
        (p.to_string(), k, why)
    })
    .collect();
    eprintln!("{outcomes:#?}");
    assert_good_parsed(&s.name, &json);
    for (p, k, why) in &outcomes {
        assert!(
            k == "rejected" || k == "unreadable",
            "{p}: a lying entry was accepted ({k}) {why}"
        );
    }
    assert_eq!(r.code, Some(1), "{}", r.all_text());
    runs.push(r);
    runs.push(ri);
    let refs: Vec<&Run> = runs.iter().collect();
    let summary = outcomes
        .iter()
        .map(|(p, k, why)| {
            format!(
                "{}: {k} ({})",
                p.rsplit('/').next().unwrap(),
                why.chars().take(60).collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    record(
        "10 zip64-size-lies",
        "zip with ZIP64 extras: 64 MiB declared as 10 B; 64 MiB declared as 900 MiB; stored 100 KiB declared 2 MiB; local header sizes/name disagreeing with the central directory; compressed size 1 TiB past EOF; + good .reg",
        "each lying entry rejected or unreadable by name, memory stays bounded; good entry parsed; exit 1",
        &refs,
        &summary.replace('|', "/"),
    );
}

/// Our bundle (from the samples generator) with one artifact changed after collection.
#[test]
fn manifest_hash_mismatch() {
    let s = Sandbox::new("manifest");
    let gen_dir = tempfile::tempdir().unwrap();
    let spec = scenario::find("cert-key-unreadable").unwrap();
    let g = scenario::generate(
        spec,
        &GenerateOptions {
            layout: Layout::Bundle,
            packaging: Packaging::Zip,
            noise: 50,
            ..GenerateOptions::default()
        },
        gen_dir.path(),
    )
    .unwrap();
    // Rewrite the server bundle with one text artifact and one event log changed (the two
    // read paths: whole bytes, and EVTX hashed while streaming), the manifest untouched.
    let mut z = zip::ZipArchive::new(std::fs::File::open(&g.server).unwrap()).unwrap();
    let mut entries = Vec::new();
    let mut tampered = None;
    let mut tampered_evtx = None;
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        if tampered.is_none() && name.ends_with(".txt") && name != "collection-log.txt" {
            b.extend_from_slice(b"\r\ntampered after collection\r\n");
            tampered = Some(name.clone());
        }
        if tampered_evtx.is_none() && name.ends_with("System.evtx") {
            // One byte of the file header's unused space: the log still reads the same.
            b[100] ^= 0x5a;
            tampered_evtx = Some(name.clone());
        }
        entries.push(RawEntry::deflated(&name, &b));
    }
    let tampered = tampered.expect("a text artifact to tamper with");
    let tampered_evtx = tampered_evtx.expect("a System.evtx to tamper with");
    let zip = s.input("server.zip");
    RawZip::new(entries).write(&zip);
    let client = s.input("client.zip");
    std::fs::copy(&g.client, &client).unwrap();
    let args = vec![
        OsString::from("analyze"),
        client.clone().into_os_string(),
        zip.clone().into_os_string(),
        OsString::from("-o"),
        s.report_path().into_os_string(),
    ];
    let r = s.run(&args, &[Path::new("box/out/report.txt")]);
    // Still analysed (the evidence may be useful), the mismatch reported by name.
    assert_eq!(r.code, Some(0), "{}", r.all_text());
    // Today's bundles list BLAKE3, which is what is verified.
    for name in [&tampered, &tampered_evtx] {
        let line = r
            .all_text()
            .lines()
            .find(|l| l.contains(name.as_str()) && l.contains("BLAKE3 mismatch"))
            .map(str::to_string);
        assert!(line.is_some(), "no BLAKE3 mismatch for {name}: {}", r.all_text());
    }
    assert!(r.mentions(&["server.zip"]), "{}", r.all_text());
    assert_peak(&s.name, &r, RSS_BOUND_KIB);
    record(
        "11 manifest-hash-mismatch",
        &format!(
            "generated cert-key-unreadable bundle pair; server's `{tampered}` and one byte of `{tampered_evtx}`'s header changed after collection, manifest untouched"
        ),
        "analysed anyway; an error names each artifact with both hashes; exit 0 (diagnosis unaffected)",
        &[&r],
        "\"BLAKE3 mismatch: the manifest says ..., the content is ...\" on both artifacts; diagnosed",
    );
}

/// 10,000 tiny entries (all read), and 30,000 (over the 20,000-entry cap).
#[test]
fn many_tiny_entries() {
    let s = Sandbox::new("tiny");
    let mut runs = Vec::new();
    for n in [10_000usize, 30_000] {
        let mut entries = vec![good()];
        entries.extend((0..n).map(|i| RawEntry::stored(&format!("t/{i:05}.txt"), b"x\r\n")));
        let zip = s.input(&format!("tiny{n}.zip"));
        RawZip::new(entries).write(&zip);
        let r = s.analyze(&zip);
        assert_eq!(r.code, Some(1), "{n}: {}", r.all_text());
        if n > 20_000 {
            assert!(
                r.mentions(&["tiny30000.zip", "more than the cap of 20000"]),
                "{}",
                r.all_text()
            );
        }
        assert_peak(&s.name, &r, RSS_BOUND_KIB);
        std::fs::remove_file(&zip).unwrap();
        runs.push(r);
    }
    let refs: Vec<&Run> = runs.iter().collect();
    record(
        "12 10000-tiny-entries",
        "zip of 10,000 entries of 3 bytes (+ good .reg); then 30,000 (ZIP64 end record)",
        "10,000 all read; 30,000: the first 20,000 read and an error says the rest were not; exit 1",
        &refs,
        "both complete; the 30,000 case names the 20,000-entry cap",
    );
}

/// Names that are not UTF-8: CP437 without the UTF-8 flag, invalid UTF-8 with it, NUL.
#[test]
fn non_utf8_names() {
    let s = Sandbox::new("names");
    let entries = vec![
        good(),
        // CP437 "Протокол.reg" spelt in CP866-ish bytes, no UTF-8 flag: decoded as CP437.
        RawEntry::deflated("x", REG).raw_name(b"registry/\x8f\xe0\xae\xe2\xae\xaa\xae\xab.reg", 0),
        // Invalid UTF-8 while claiming UTF-8.
        RawEntry::deflated("x", REG).raw_name(b"registry/bad-\xff\xfe-utf8.reg", FLAG_UTF8),
        // A NUL inside the name.
        RawEntry::deflated("x", REG).raw_name(b"registry/nul\0.reg", FLAG_UTF8),
        // Overlong encoding of '/' and '.' (a classic filter bypass), flagged UTF-8.
        RawEntry::deflated("x", REG).raw_name(b"registry/\xc0\xae\xc0\xae\xc0\xafx.reg", FLAG_UTF8),
    ];
    let zip = s.input("names.zip");
    RawZip::new(entries).write(&zip);
    let r = s.analyze(&zip);
    assert_eq!(r.code, Some(1), "{}", r.all_text());
    assert_peak(&s.name, &r, RSS_BOUND_KIB);
    let (ri, json) = s.inspect(&zip, &[]);
    assert_good_parsed(&s.name, &json);
    let arts = json["inputs"][0]["artifacts"].as_array().unwrap();
    let of = |needle: &str| {
        arts.iter()
            .find(|a| a["path"].as_str().unwrap_or_default().contains(needle))
            .unwrap_or_else(|| panic!("no artifact with {needle:?}: {arts:#?}"))
    };
    // CP437 decodes (to something), is read and parsed as the .reg it is.
    let cp437 = arts
        .iter()
        .find(|a| {
            let p = a["path"].as_str().unwrap_or_default();
            p.starts_with("registry/")
                && !p.contains("bad-")
                && !p.contains("nul")
                && !p.is_ascii()
                && !p.contains('\u{fffd}')
        })
        .unwrap_or_else(|| panic!("no CP437-decoded entry: {arts:#?}"));
    assert_eq!(cp437["outcome"]["status"], "parsed", "{cp437:#}");
    let bad = of("bad-");
    assert!(
        bad["outcome"]["status"] == "rejected" || bad["outcome"]["status"] == "parsed",
        "{bad:#}"
    );
    let nul = of("nul");
    assert_eq!(nul["outcome"]["status"], "rejected", "{nul:#}");
    let text = serde_json::to_string(&json).unwrap();
    assert!(text.contains("NUL"), "the NUL name is rejected by name");
    record(
        "13 non-utf8-names",
        "zip names: CP437 bytes without the UTF-8 flag; invalid UTF-8 (`\\xff\\xfe`) with the flag; a NUL; overlong `\\xc0\\xae\\xc0\\xaf`",
        "CP437 decoded and read; invalid UTF-8 decoded lossily or rejected, never crashes; NUL rejected; overlong bytes never become `../`; exit 1",
        &[&r, &ri],
        "CP437 parsed; NUL rejected \"name contains a NUL character\"; invalid UTF-8 handled by name",
    );
}

/// Sets the chunk header CRC of chunk `i` after editing it.
fn fix_chunk_crc(evtx: &mut [u8], i: usize) {
    let c = 4096 + i * 65536;
    let mut h = crc32fast::Hasher::new();
    h.update(&evtx[c..c + 120]);
    h.update(&evtx[c + 128..c + 512]);
    let crc = h.finalize();
    evtx[c + 124..c + 128].copy_from_slice(&crc.to_le_bytes());
}

/// A generated EVTX with one chunk's header fields corrupted (header CRC fixed up, so the
/// damage is not merely a CRC mismatch); the other chunks must still be read.
#[test]
fn evtx_crafted_chunk_headers() {
    let s = Sandbox::new("chunks");
    let clean = sample_evtx();
    let chunks = (clean.len() - 4096) / 65536;
    let set32 = |b: &mut Vec<u8>, at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let set64 = |b: &mut Vec<u8>, at: usize, v: u64| b[at..at + 8].copy_from_slice(&v.to_le_bytes());
    type Craft = Box<dyn Fn(&mut Vec<u8>, usize)>;
    let crafts: Vec<(&str, Craft)> = vec![
        (
            "last record number and id u64::MAX",
            Box::new(move |b, c| {
                set64(b, c + 16, u64::MAX);
                set64(b, c + 32, u64::MAX);
            }),
        ),
        (
            "first record id after last",
            Box::new(move |b, c| {
                set64(b, c + 24, u64::MAX - 5);
            }),
        ),
        (
            "last record offset 0xFFFFFFF0",
            Box::new(move |b, c| set32(b, c + 44, 0xFFFF_FFF0)),
        ),
        (
            "free space offset 1 MiB (> 64 KiB)",
            Box::new(move |b, c| set32(b, c + 48, 1 << 20)),
        ),
        ("free space offset 0", Box::new(move |b, c| set32(b, c + 48, 0))),
        (
            "string table offsets out of range",
            Box::new(move |b, c| {
                for k in 0..64 {
                    set32(b, c + 128 + 4 * k, 0xFFFF_FF00 + k as u32);
                }
            }),
        ),
        (
            "template table offsets out of range",
            Box::new(move |b, c| {
                for k in 0..32 {
                    set32(b, c + 384 + 4 * k, 0x0001_0000 + 8 * k as u32);
                }
            }),
        ),
        (
            "string offsets pointing into the chunk header",
            Box::new(move |b, c| {
                for k in 0..64 {
                    set32(b, c + 128 + 4 * k, 8);
                }
            }),
        ),
        ("wrong magic ElfChnX", Box::new(move |b, c| b[c + 6] = b'X')),
        (
            "header size 0xFFFFFFFF",
            Box::new(move |b, c| set32(b, c + 40, u32::MAX)),
        ),
    ];
    let mut runs = Vec::new();
    let mut results = Vec::new();
    let path = s.input("RCM-Operational.evtx");
    std::fs::write(&path, &clean).unwrap();
    let (r, json) = s.inspect(&path, &[]);
    let clean_read = json["inputs"][0]["artifacts"][0]["evtx"]["records_read"]
        .as_u64()
        .unwrap();
    assert!(clean_read > 0);
    runs.push(r);
    let mut failures = Vec::new();
    for (what, craft) in &crafts {
        let mut bytes = clean.clone();
        let target = 1; // the second chunk; chunks 0 and 2.. stay intact
        craft(&mut bytes, 4096 + target * 65536);
        fix_chunk_crc(&mut bytes, target);
        std::fs::write(&path, &bytes).unwrap();
        let (r, json) = s.inspect(&path, &[]);
        assert_eq!(r.code, Some(0), "{what}: {}", r.all_text());
        let a = &json["inputs"][0]["artifacts"][0];
        let stats = &a["evtx"];
        let read = stats["records_read"].as_u64().unwrap_or(0);
        let failed = stats["chunks_failed"].as_u64().unwrap_or(0);
        let problems = serde_json::to_string(&a["problems"]).unwrap();
        let named =
            problems.contains("chunk 1") || problems.contains("chunk #1") || problems.contains("chunk\":1");
        assert_peak(&s.name, &r, RSS_BOUND_KIB);
        // The intact chunks (0, 2, 3 ...) are read whatever chunk 1 says; records may be lost
        // only with an error that names the chunk. Damage the parser does not need to notice
        // (fields it does not use) may pass silently if every record is still read.
        let outcome = if read == clean_read && !named {
            format!("{what}: all {read} records read, nothing reported (field not used)")
        } else {
            format!("{what}: {read}/{clean_read} records read, {failed} chunk(s) failed, named: {named}")
        };
        if read == 0 || (read < clean_read && !named) {
            failures.push(format!("{outcome}; problems: {problems}"));
        }
        results.push(outcome);
        runs.push(r);
    }
    eprintln!("{results:#?}");
    assert!(failures.is_empty(), "{failures:#?}");
    // And the whole pipeline on the last variant.
    let r = s.analyze(&s.input("RCM-Operational.evtx"));
    assert!(matches!(r.code, Some(0) | Some(1) | Some(3)), "{}", r.all_text());
    runs.push(r);
    let refs: Vec<&Run> = runs.iter().collect();
    record(
        "14 evtx-crafted-chunk-headers",
        &format!(
            "generated {}-chunk EVTX, chunk 1 header crafted (CRC fixed up): {}",
            chunks,
            crafts.iter().map(|(w, _)| *w).collect::<Vec<_>>().join("; ")
        ),
        "the other chunks read; records lost only with an error naming chunk 1; no panic; inspect exit 0",
        &refs,
        &results.join("; "),
    );
}

/// A 2 GiB sparse .evtx (valid header and chunks, then a hole): in a folder, and as a stored
/// zip entry (sparse zip: nothing close to 2 GiB is written).
#[test]
fn sparse_2gb_evtx() {
    let s = Sandbox::new("sparse");
    let head = sample_evtx();
    let size = 2u64 << 30;
    let dir = s.input("ticket");
    std::fs::create_dir_all(&dir).unwrap();
    let evtx = dir.join("Security.evtx");
    std::fs::write(&evtx, &head).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&evtx)
        .unwrap()
        .set_len(size)
        .unwrap();
    std::fs::write(dir.join("rdp.reg"), REG).unwrap();
    let r = s.analyze(&dir);
    assert_eq!(r.code, Some(1), "{}", r.all_text());
    assert!(
        r.mentions(&["Security.evtx", "2147483648 bytes", "cap"]),
        "{}",
        r.all_text()
    );
    assert_peak(&s.name, &r, RSS_BOUND_KIB);

    let zip = s.input("sparse.zip");
    RawZip::write_sparse_stored(&zip, "evtx/Security.evtx", &head, size);
    assert!(std::fs::metadata(&zip).unwrap().len() > size);
    let rz = s.analyze(&zip);
    // Nothing else in that zip: nothing usable, bad input.
    assert_eq!(rz.code, Some(2), "{}", rz.all_text());
    assert!(rz.stderr.contains("sparse.zip: nothing usable"), "{}", rz.stderr);
    assert!(
        rz.mentions(&["sparse.zip", "evtx/Security.evtx", "cap"]),
        "{}",
        rz.all_text()
    );
    assert_peak(&s.name, &rz, RSS_BOUND_KIB);
    record(
        "15 sparse-2gb-evtx",
        "2 GiB .evtx (a generated EVTX's header and chunks, then a hole) in a folder with a good .reg; the same as the only, stored entry of a sparse 2 GiB zip",
        "rejected by size before reading (over the 1 GiB per-entry cap), named; folder: the .reg still parsed, exit 1; zip (nothing else in it): exit 2",
        &[&r, &rz],
        "both rejected \"2147483648 bytes, more than the cap\"",
    );
}

/// The 2 GiB sparse .evtx with the caps raised so that it is read, from a folder and as a
/// stored zip entry: memory must not grow with the file (EVTX is streamed chunk by chunk).
#[test]
fn sparse_2gb_evtx_read_with_raised_caps() {
    let s = Sandbox::new("sparse-read");
    let head = sample_evtx();
    let size = 2u64 << 30;
    let evtx = s.input("Security.evtx");
    std::fs::write(&evtx, &head).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&evtx)
        .unwrap()
        .set_len(size)
        .unwrap();
    let zip = s.input("sparse.zip");
    RawZip::write_sparse_stored(&zip, "evtx/Security.evtx", &head, size);
    let caps = ["--max-entry-mib", "4096", "--max-total-mib", "8192"];
    let mut runs = Vec::new();
    let mut results = Vec::new();
    for input in [&evtx, &zip] {
        let (r, json) = s.inspect(input, &caps);
        assert_eq!(r.code, Some(0), "{}", r.all_text());
        let a = &json["inputs"][0]["artifacts"][0];
        let kept = a["evtx"]["records_kept"].as_u64().unwrap_or(0);
        let empty = a["evtx"]["chunks_empty"].as_u64().unwrap_or(0);
        assert!(kept > 0, "{a:#}");
        assert_peak(&s.name, &r, RSS_BOUND_KIB);
        results.push(format!(
            "{}: {kept} records kept, {empty} empty chunks, {} MiB peak",
            if input == &evtx { "folder" } else { "zip" },
            r.peak_kib.unwrap_or(0) / 1024
        ));
        runs.push(r);
    }
    let refs: Vec<&Run> = runs.iter().collect();
    record(
        "16 sparse-2gb-evtx-read",
        "the same 2 GiB sparse .evtx (file, and stored zip entry) with --max-entry-mib 4096, so that it is read",
        "records of the real chunks kept, the hole counted as empty chunks; memory bounded by a chunk, not the file; exit 0",
        &refs,
        &results.join("; "),
    );
}
