//! Diagnosis accuracy: the right top cause for every scenario, regenerated with other seeds,
//! skews (up to +-12 h), noise levels and in all three layouts; nothing above 0.3 for healthy
//! tickets and for the real RDP logs of the shared corpus.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use rdpdiag::analyze::{AnalyzeOptions, analyze};
use rdpdiag::rules::Catalog;
use rdpdiag_samples::scenario::{self, GenerateOptions, Layout, Packaging};

struct Case {
    seed: u64,
    skew: i64,
    noise: u64,
    attempts: usize,
}

const CASES: &[Case] = &[
    Case {
        seed: 11,
        skew: -41_400,
        noise: 300,
        attempts: 3,
    },
    Case {
        seed: 12,
        skew: 7_213,
        noise: 2_000,
        attempts: 4,
    },
    Case {
        seed: 13,
        skew: 43_000,
        noise: 800,
        attempts: 3,
    },
];

#[test]
fn right_top_cause_for_every_scenario_layout_seed_and_skew() {
    let catalog = Catalog::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    for spec in scenario::catalog() {
        for layout in [Layout::Bundle, Layout::Msrd, Layout::Adhoc] {
            for (k, c) in CASES.iter().enumerate() {
                let out = dir.path().join(format!("{}-{}-{k}", spec.name, layout.as_str()));
                let opts = GenerateOptions {
                    seed: c.seed,
                    skew_seconds: c.skew,
                    noise: c.noise,
                    attempts: c.attempts,
                    layout,
                    packaging: if k == 1 { Packaging::Dir } else { Packaging::Zip },
                    ..GenerateOptions::default()
                };
                let g = scenario::generate(spec, &opts, &out).unwrap();
                let a = analyze(
                    &[g.client.clone(), g.server.clone()],
                    &catalog,
                    &AnalyzeOptions::default(),
                );
                n += 1;
                let top = a.report.top_cause;
                let conf = a.report.causes.first().map(|c| c.confidence).unwrap_or(0.0);
                let ok = match spec.expected_top {
                    None => top.is_none() && a.report.causes.iter().all(|c| c.confidence <= 0.3),
                    Some(want) => top == Some(want) && a.report.verdict == "diagnosed",
                };
                // When both clocks are matched, the estimate must be within a second of the truth.
                let skew_ok = !a.correlation.skew.is_known()
                    || (a.correlation.skew.offset.num_milliseconds() - c.skew * 1000).abs() < 1000;
                if !ok || !skew_ok {
                    failures.push(format!(
                        "{} {:?} seed {} skew {}: got {:?} ({:.2}, {}), skew {} (want {:?}, skew {} s)",
                        spec.name,
                        layout,
                        c.seed,
                        c.skew,
                        top,
                        conf,
                        a.report.verdict,
                        a.correlation.skew.describe(),
                        spec.expected_top,
                        c.skew
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} cases wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn real_rdp_logs_of_the_corpus_raise_no_cause() {
    let corpus = std::env::var_os("RDPDIAG_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    let rdp = corpus.join("evtx/rdp");
    if !rdp.is_dir() {
        eprintln!("skipped: {} is absent (set RDPDIAG_CORPUS)", rdp.display());
        return;
    }
    let catalog = Catalog::embedded().unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&rdp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 10);
    // Each file alone, and all of them as one ticket.
    let mut runs: Vec<Vec<PathBuf>> = files.iter().map(|f| vec![f.clone()]).collect();
    runs.push(files.clone());
    for run in runs {
        let a = analyze(&run, &catalog, &AnalyzeOptions::default());
        for c in &a.report.causes {
            assert!(c.confidence <= 0.3, "{:?}: {} at {:.2}", run, c.id, c.confidence);
        }
    }
}
