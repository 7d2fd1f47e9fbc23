//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod zipcraft;

use std::path::{Path, PathBuf};

/// The shared corpus of real Windows files, or `None` (with the reason printed) when absent.
pub fn corpus() -> Option<PathBuf> {
    corpus_with("evtx")
}

/// The shared corpus when its `sub` folder is there, or `None` (with the reason printed).
pub fn corpus_with(sub: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os("RDPDIAG_CORPUS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    };
    if dir.join(sub).is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: corpus not found at {} (set RDPDIAG_CORPUS)",
            dir.display()
        );
        None
    }
}

/// Every `.evtx` file under `dir`, sorted.
pub fn evtx_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "evtx") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A fresh, empty scratch folder for one test (removed when dropped).
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("rdpdiag-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
