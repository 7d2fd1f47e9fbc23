use evtx::{EvtxParser, ParserSettings};
use std::sync::Arc;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let n: usize = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(3);
    let settings = Arc::new(
        ParserSettings::new()
            .num_threads(1)
            .separate_json_attributes(true)
            .indent(false),
    );
    let mut p = EvtxParser::from_path(&path).unwrap();
    let mut k = 0;
    let mut shapes = std::collections::BTreeMap::new();
    for c in p.chunks() {
        let mut c = match c {
            Ok(c) => c,
            Err(e) => {
                println!("chunk err {e}");
                continue;
            }
        };
        let num = c.number;
        let mut ch = match c.parse(settings.clone()) {
            Ok(ch) => ch,
            Err(e) => {
                println!("parse err {e}");
                continue;
            }
        };
        for r in ch.iter() {
            let r = match r {
                Ok(r) => r,
                Err(e) => {
                    println!("rec err chunk {num:?} {e}");
                    continue;
                }
            };
            let ti = r.template_instances();
            match ti {
                Ok(t) => {
                    let first = &t[0];
                    let shape: Vec<String> = first
                        .values
                        .iter()
                        .map(|v| format!("{:?}", v).split('(').next().unwrap().to_string())
                        .collect();
                    *shapes
                        .entry((t.len(), shape.len(), format!("{:?}", first.values.get(16))))
                        .or_insert(0) += 1;
                    if k < n && first.values.len() == 20 {
                        println!("{}", r.clone().into_json().unwrap().data);
                        println!(
                            "rec {} ninst={} vals={:?}",
                            r.event_record_id,
                            t.len(),
                            first.values
                        );
                        k += 1;
                    }
                }
                Err(e) => println!("ti err {e}"),
            }
        }
    }
    for (s, c) in shapes {
        println!("{c} x {s:?}");
    }
}
