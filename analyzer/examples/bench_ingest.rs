//! How fast the analyzer reads an EVTX file next to the evtx crate's own full iteration (every
//! record rendered to JSON, what `evtx_dump -o json` does), in one process, best of N rounds.
//!
//! `cargo run --release --example bench_ingest -- FILE.evtx [ROUNDS]`
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::Instant;

use evtx::EvtxParser;
use rdpdiag::evtx_ingest::{Interest, Provenance, ingest_evtx, parser_settings};

fn best_of(rounds: u32, mut f: impl FnMut() -> String) -> (f64, String) {
    let mut best = f64::MAX;
    let mut what = String::new();
    for _ in 0..rounds {
        let start = Instant::now();
        what = f();
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
    }
    (best, what)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: bench_ingest FILE [ROUNDS]"))?;
    let rounds: u32 = args.next().map(|r| r.parse()).transpose()?.unwrap_or(10);
    let bytes = std::fs::read(&path)?;
    let (ms, what) = best_of(rounds, || {
        let Ok(parser) = EvtxParser::from_buffer(bytes.clone()) else {
            return "not an EVTX file".into();
        };
        let mut parser = parser.with_configuration(parser_settings());
        let (mut ok, mut failed) = (0u64, 0u64);
        for record in parser.records_json() {
            match record {
                Ok(_) => ok += 1,
                Err(_) => failed += 1,
            }
        }
        format!("{ok} records, {failed} errors")
    });
    println!("evtx full JSON iteration: {ms:8.2} ms  ({what})");
    let (ms, what) = best_of(rounds, || {
        let Ok(parser) = EvtxParser::from_buffer(bytes.clone()) else {
            return "not an EVTX file".into();
        };
        let mut parser = parser.with_configuration(parser_settings());
        let ok = parser.records_json_value().filter(Result::is_ok).count();
        format!("{ok} records as serde_json::Value")
    });
    println!("evtx full JSON value iteration: {ms:8.2} ms  ({what})");
    let prov = Provenance {
        input: Arc::from("bench"),
        artifact: Arc::from(path.as_str()),
    };
    for (name, interest) in [
        ("rules' interest", Interest::default()),
        ("everything", Interest::everything()),
    ] {
        let (ms, what) = best_of(rounds, || {
            let out = ingest_evtx(bytes.clone(), &prov, &interest);
            format!(
                "{} read, {} rendered, {} kept, {} failed",
                out.stats.records_read,
                out.stats.records_rendered,
                out.stats.records_kept,
                out.stats.records_failed
            )
        });
        println!("rdpdiag ingest ({name}): {ms:8.2} ms  ({what})");
    }
    Ok(())
}
