use evtx::{EvtxParser, ParserSettings};
use std::sync::Arc;
use std::time::Instant;
fn settings() -> ParserSettings {
    ParserSettings::new()
        .num_threads(1)
        .separate_json_attributes(true)
        .indent(false)
}
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let buf = std::fs::read(&path).unwrap();
    for round in 0..2 {
        let t = Instant::now();
        let mut p = EvtxParser::from_buffer(buf.clone())
            .unwrap()
            .with_configuration(settings());
        let (mut ok, mut err) = (0, 0);
        for r in p.records_json_value() {
            if r.is_ok() { ok += 1 } else { err += 1 }
        }
        println!("{round} json_value: {:?} ok={ok} err={err}", t.elapsed());
        let t = Instant::now();
        let mut p = EvtxParser::from_buffer(buf.clone())
            .unwrap()
            .with_configuration(settings());
        let (mut ok, mut err) = (0, 0);
        for r in p.records_json() {
            if r.is_ok() { ok += 1 } else { err += 1 }
        }
        println!("{round} json str: {:?} ok={ok} err={err}", t.elapsed());
        let t = Instant::now();
        let mut p = EvtxParser::from_buffer(buf.clone())
            .unwrap()
            .with_configuration(settings());
        let (mut ok, mut err) = (0, 0);
        for r in p.records() {
            if r.is_ok() { ok += 1 } else { err += 1 }
        }
        println!("{round} xml str: {:?} ok={ok} err={err}", t.elapsed());
        let s = Arc::new(settings());
        let t = Instant::now();
        let mut p = EvtxParser::from_buffer(buf.clone())
            .unwrap()
            .with_configuration(settings());
        let (mut ok, mut err) = (0, 0);
        for c in p.chunks() {
            let Ok(mut c) = c else {
                err += 1;
                continue;
            };
            let Ok(mut ch) = c.parse(s.clone()) else {
                err += 1;
                continue;
            };
            for r in ch.iter() {
                if r.is_ok() { ok += 1 } else { err += 1 }
            }
        }
        println!("{round} iter only: {:?} ok={ok} err={err}", t.elapsed());
        let t = Instant::now();
        let mut p = EvtxParser::from_buffer(buf.clone())
            .unwrap()
            .with_configuration(settings());
        let (mut ok, mut err, mut ids) = (0, 0, 0u64);
        for c in p.chunks() {
            let Ok(mut c) = c else {
                err += 1;
                continue;
            };
            let Ok(mut ch) = c.parse(s.clone()) else {
                err += 1;
                continue;
            };
            for r in ch.iter() {
                match r {
                    Ok(r) => {
                        ok += 1;
                        if let Ok(t) = r.template_instances() {
                            if let Some(evtx::binxml::value_variant::BinXmlValue::UInt16Type(v)) =
                                t.first().and_then(|t| t.values.get(3))
                            {
                                ids += *v as u64
                            }
                        }
                    }
                    Err(_) => err += 1,
                }
            }
        }
        println!("{round} iter+ti: {:?} ok={ok} err={err} {ids}", t.elapsed());
    }
}
