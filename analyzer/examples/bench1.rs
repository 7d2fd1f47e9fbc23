use evtx::{EvtxParser, ParserSettings};
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let buf = std::fs::read(&path).unwrap();
    for sep in [false, true] {
        for round in 0..2 {
            let t = Instant::now();
            let mut p = EvtxParser::from_buffer(buf.clone()).unwrap().with_configuration(
                ParserSettings::new()
                    .num_threads(1)
                    .separate_json_attributes(sep)
                    .indent(false),
            );
            let (mut ok, mut err) = (0, 0);
            for r in p.records_json_bytes() {
                if r.is_ok() { ok += 1 } else { err += 1 }
            }
            println!(
                "sep={sep} {round} json bytes: {:?} ok={ok} err={err}",
                t.elapsed()
            );
            let t = Instant::now();
            let mut p = EvtxParser::from_buffer(buf.clone()).unwrap().with_configuration(
                ParserSettings::new()
                    .num_threads(1)
                    .separate_json_attributes(sep)
                    .indent(false),
            );
            let (mut ok, mut err) = (0, 0);
            for r in p.records_json_bytes() {
                match r {
                    Ok(r) => {
                        let v: serde_json::Value = serde_json::from_slice(&r.data).unwrap();
                        if v.is_object() {
                            ok += 1
                        }
                    }
                    Err(_) => err += 1,
                }
            }
            println!(
                "sep={sep} {round} json bytes+from_slice: {:?} ok={ok} err={err}",
                t.elapsed()
            );
        }
    }
}
