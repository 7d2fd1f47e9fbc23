use evtx::{EvtxParser, ParserSettings};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let ids: Vec<u64> = std::env::args().skip(2).map(|s| s.parse().unwrap()).collect();
    let mut p = EvtxParser::from_path(&path).unwrap().with_configuration(
        ParserSettings::new()
            .num_threads(1)
            .separate_json_attributes(true)
            .indent(false),
    );
    let mut shown = std::collections::HashSet::new();
    for r in p.records_json_value() {
        match r {
            Ok(r) => {
                let id = r.data["Event"]["System"]["EventID"].as_u64().unwrap_or(0);
                if (ids.is_empty() || ids.contains(&id)) && shown.insert(id) {
                    println!("{}", serde_json::to_string(&r.data).unwrap());
                }
            }
            Err(e) => println!("ERR {e} / {e:?}"),
        }
    }
}
