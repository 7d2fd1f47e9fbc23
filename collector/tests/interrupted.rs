//! A collector interrupted mid-run leaves no file at the target path (issue 8, part 5).
//!
//! The collector runs on a fake Windows volume made slow on purpose: its `System.evtx` is an
//! 8 GiB sparse file (a valid-looking header, then a hole), which takes seconds to hash and
//! deflate. Once the temporary `.<target>.<pid>.partial` exists the test sends SIGTERM or
//! SIGINT (with `kill`, no unsafe code) and checks the exit status (143 / 130), that nothing is
//! at the target path and no temporary output is left. A SIGKILL leaves a stale partial file
//! (nothing can run on SIGKILL); the rerun, on the same volume without the slow log, must
//! produce a complete, valid bundle anyway, which the analyzer's `inspect` then opens.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdpdiag_schemas::Manifest;
use sha2::{Digest, Sha256};

const SLOW_LOG_BYTES: u64 = 8 << 30;

fn collect_cmd(volume: &Path, target: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rdpdiag-collect"));
    c.arg("--from-volume")
        .arg(volume)
        .args(["--role", "client", "--host", "PC-INTERRUPT", "--since", "30d"])
        .args(["--max-size", "64G", "--yes", "-o"])
        .arg(target)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// A Windows-shaped volume; `System.evtx` is huge and sparse when `slow`.
fn volume(root: &Path, slow: bool) {
    let logs = root.join("Windows/System32/winevt/Logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut head = b"ElfFile\0".to_vec();
    head.resize(4096, 0);
    for name in ["System.evtx", "Application.evtx"] {
        std::fs::write(logs.join(name), &head).unwrap();
    }
    if slow {
        std::fs::OpenOptions::new()
            .write(true)
            .open(logs.join("System.evtx"))
            .unwrap()
            .set_len(SLOW_LOG_BYTES)
            .unwrap();
    }
    std::fs::create_dir_all(root.join("Users/Public")).unwrap();
}

/// Names in `dir` that look like our temporary outputs.
fn partials(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect()
}

/// Waits until the child's partial bundle exists (the collector is writing), then a little.
fn wait_for_partial(child: &mut Child, dir: &Path) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            panic!("the collector ended before it could be interrupted ({status}):\n{err}");
        }
        if !partials(dir).is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no partial bundle appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Into the slow log (the small steps before it take milliseconds).
    std::thread::sleep(Duration::from_millis(700));
}

fn wait(child: &mut Child, limit: Duration) -> (std::process::ExitStatus, String) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            return (status, err);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the collector did not stop within {limit:?} of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(sig: &str, pid: u32) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

/// Runs the collector on the slow volume, interrupts it with `sig`; returns (exit code, stderr).
fn interrupt_with(sig: &str) -> (Option<i32>, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let vol = dir.path().join("vol");
    volume(&vol, true);
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let target = out.join("target.zip");
    let mut child = collect_cmd(&vol, &target).spawn().unwrap();
    wait_for_partial(&mut child, &out);
    kill(sig, child.id());
    let (status, err) = wait(&mut child, Duration::from_secs(30));
    assert!(!target.exists(), "{sig}: a file at the target path");
    assert!(
        partials(&out).is_empty(),
        "{sig}: temporary output left: {:?}",
        partials(&out)
    );
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "{sig}: {left:?}");
    (status.code(), err, dir)
}

#[test]
fn sigterm_removes_the_partial_bundle_and_exits_143() {
    let (code, err, _dir) = interrupt_with("TERM");
    assert_eq!(code, Some(143), "{err}");
    assert!(
        err.contains("interrupted (SIGTERM): removed the unfinished bundle"),
        "{err}"
    );
}

#[test]
fn sigint_removes_the_partial_bundle_and_exits_130() {
    let (code, err, _dir) = interrupt_with("INT");
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("interrupted (SIGINT)"), "{err}");
}

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// The bundle is complete: a valid manifest, every listed file present with its hash, the
/// collection log there.
fn check_complete(bundle: &Path) -> Manifest {
    let mut z = zip::ZipArchive::new(std::fs::File::open(bundle).unwrap()).unwrap();
    let mut files = BTreeMap::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        files.insert(f.name().unwrap().to_string(), b);
    }
    let m = Manifest::from_json_slice(&files.remove("manifest.json").expect("manifest.json")).unwrap();
    for a in &m.artifacts {
        if let Some(sha) = &a.sha256 {
            let b = files
                .get(&a.path)
                .unwrap_or_else(|| panic!("{} listed, missing", a.path));
            assert_eq!(&sha256_hex(b), sha, "{}", a.path);
        }
    }
    assert!(files.contains_key("collection-log.txt"));
    assert!(
        m.artifacts
            .iter()
            .any(|a| a.path.ends_with("System.evtx") && a.sha256.is_some()),
        "the event log is in the rerun's bundle: {:#?}",
        m.artifacts.iter().map(|a| &a.path).collect::<Vec<_>>()
    );
    m
}

/// The analyzer binary beside ours (built by `cargo test --workspace`), if there.
fn rdpdiag() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_BIN_EXE_rdpdiag-collect"))
        .with_file_name(format!("rdpdiag{}", std::env::consts::EXE_SUFFIX));
    if p.is_file() {
        Some(p)
    } else {
        eprintln!(
            "skipping the inspect check: {} is not built (cargo build -p rdpdiag)",
            p.display()
        );
        None
    }
}

#[test]
fn a_rerun_after_sigkill_produces_a_complete_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let vol = dir.path().join("vol");
    volume(&vol, true);
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let target = out.join("target.zip");
    let mut child = collect_cmd(&vol, &target).spawn().unwrap();
    wait_for_partial(&mut child, &out);
    kill("KILL", child.id());
    let (status, _) = wait(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), None, "killed by SIGKILL");
    // Nothing can run on SIGKILL: the partial file stays, but never under the target name.
    assert!(!target.exists());
    let stale = partials(&out);
    assert_eq!(stale.len(), 1, "{stale:?}");

    // Rerun on the same volume, without the slow log.
    volume(&vol, false);
    let run = collect_cmd(&vol, &target).output().unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(target.is_file());
    check_complete(&target);
    // The stale partial of the killed run (its process is gone) was removed and said so.
    assert!(partials(&out).is_empty(), "{:?}", partials(&out));
    assert!(err.contains("left by an earlier run that was killed"), "{err}");
    let names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("target.zip")]);

    if let Some(bin) = rdpdiag() {
        let o = Command::new(bin)
            .args(["inspect", "--format", "json"])
            .arg(&target)
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let input = &json["inputs"][0];
        assert_eq!(input["layout"]["kind"], "bundle", "{input:#}");
        assert_eq!(input["manifest"]["collection_mode"], "volume", "{input:#}");
        assert_eq!(input["host"], "PC-INTERRUPT");
        let problems = serde_json::to_string(&input["problems"]).unwrap();
        assert!(!problems.contains("SHA-256"), "{problems}");
    }
}

/// A stale partial of a process that is still running is reported, never removed.
#[test]
fn a_partial_of_a_live_process_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let vol = dir.path().join("vol");
    volume(&vol, false);
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // Pid 1 is always running.
    let other = out.join(".target.zip.1.partial");
    std::fs::write(&other, b"being written by someone else").unwrap();
    let target = out.join("target.zip");
    let run = collect_cmd(&vol, &target).output().unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(other.is_file());
    assert!(err.contains(".target.zip.1.partial"), "{err}");
    check_complete(&target);
}
