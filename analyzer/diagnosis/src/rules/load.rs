//! Parsing and validating rule files. Every error names the file and the line.

use std::path::{Path, PathBuf};

use chrono::Duration;
use rdpdiag_schemas::RootCauseId;
use serde::Deserialize;
use toml::Spanned;

use super::spec::{
    AttemptMatch, EventMatch, EvidenceKind, EvidenceSpec, FactMatch, HostSel, Predicate, Rule, Window,
};
use super::vocabulary;

/// A rule file that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct RuleError {
    /// File (path or embedded name).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    title: String,
    prior: Spanned<f64>,
    explains: RawExplains,
    #[serde(default)]
    fix: Vec<String>,
    #[serde(default)]
    collect_next: Vec<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    evidence: Vec<Spanned<RawEvidence>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExplains {
    #[serde(default)]
    disconnect: Vec<u32>,
    #[serde(default)]
    extended: Vec<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidence {
    id: String,
    says: String,
    weight: f64,
    host: HostSel,
    #[serde(default)]
    event: Option<EventMatch>,
    #[serde(default)]
    attempt: Option<AttemptMatch>,
    #[serde(default)]
    fact: Option<FactMatch>,
    #[serde(default)]
    window: Option<toml::Value>,
    #[serde(default, rename = "where")]
    predicates: Vec<RawPredicate>,
    #[serde(default)]
    same_connection: bool,
    #[serde(default)]
    client_ip_field: Option<String>,
    #[serde(default)]
    min_count: Option<u32>,
    #[serde(default)]
    anchor: Option<super::spec::Anchor>,
    #[serde(default)]
    only_if_disconnect: Vec<u32>,
    #[serde(default)]
    unless_near: Option<super::spec::UnlessNear>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPredicate {
    field: String,
    op: super::spec::Op,
    #[serde(default)]
    values: Vec<toml::Value>,
}

/// `missing` takes no values; every other operator needs at least one plain value.
fn check_predicate_values(op: super::spec::Op, values: Option<Vec<String>>) -> Option<Vec<String>> {
    let values = values?;
    // `$listener_port` is the one token (the server's PortNumber); any other `$` is a typo.
    if values
        .iter()
        .any(|v| v.starts_with('$') && v != super::spec::LISTENER_PORT_TOKEN)
    {
        return None;
    }
    let ok = if op == super::spec::Op::Missing {
        values.is_empty()
    } else {
        !values.is_empty()
    };
    ok.then_some(values)
}

/// A predicate of a rule file, or why its values do not fit its operator.
fn predicate(field: String, op: super::spec::Op, values: Option<Vec<String>>) -> Result<Predicate, String> {
    match check_predicate_values(op, values) {
        Some(values) => Ok(Predicate { field, op, values }),
        None => Err(format!(
            "predicate on {field:?}: `missing` takes no values, every other op needs plain values (the only token is `$listener_port`)"
        )),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Parses `"-3s"`, `"+12s"`, `"120s"`, `"-7d"`, `"5m"`, `"2h"`, `"0s"`, `"1.5s"`.
pub fn parse_offset(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic())?);
    let v: f64 = num.trim_start_matches('+').parse().ok()?;
    let ms = match unit {
        "ms" => v,
        "s" => v * 1e3,
        "m" => v * 60e3,
        "h" => v * 3600e3,
        "d" => v * 86_400e3,
        _ => return None,
    };
    if !ms.is_finite() || ms.abs() > 400.0 * 86_400e3 {
        return None;
    }
    Some(Duration::milliseconds(ms.round() as i64))
}

fn value_text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Parses and validates one rule file's text; `file` names it in errors.
pub fn parse_rule(file: &str, text: &str) -> Result<Rule, Vec<RuleError>> {
    let err = |line: usize, message: String| RuleError {
        file: file.to_string(),
        line,
        message,
    };
    let raw: RawRule = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        vec![err(line, e.message().to_string())]
    })?;
    let mut errors = Vec::new();
    let id_line = line_of(text, raw.id.span().start);
    let id = match raw.id.get_ref().parse::<RootCauseId>() {
        Ok(id) => Some(id),
        Err(m) => {
            errors.push(err(
                id_line,
                format!(
                    "{m}; known ids: {}",
                    RootCauseId::ALL.map(|c| c.as_str()).join(", ")
                ),
            ));
            None
        }
    };
    let prior = *raw.prior.get_ref();
    if !(0.0..1.0).contains(&prior) || prior <= 0.0 {
        errors.push(err(
            line_of(text, raw.prior.span().start),
            format!("prior {prior} must be in (0, 1)"),
        ));
    }
    let mut evidence = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for item in raw.evidence {
        let line = line_of(text, item.span().start);
        let ev = item.into_inner();
        if !seen.insert(ev.id.clone()) {
            errors.push(err(line, format!("evidence id {:?} is used twice", ev.id)));
        }
        if !(ev.weight.abs() > 0.0 && ev.weight.abs() <= 1.0) {
            errors.push(err(
                line,
                format!(
                    "evidence {:?}: weight {} must be non-zero and within [-1, 1]",
                    ev.id, ev.weight
                ),
            ));
        }
        let kinds = [ev.event.is_some(), ev.attempt.is_some(), ev.fact.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if kinds != 1 {
            errors.push(err(
                line,
                format!(
                    "evidence {:?}: needs exactly one of `event`, `attempt`, `fact` (has {kinds})",
                    ev.id
                ),
            ));
            continue;
        }
        let event_only_keys = ev.window.is_some()
            || !ev.predicates.is_empty()
            || ev.anchor.is_some()
            || ev.unless_near.is_some();
        if event_only_keys && ev.event.is_none() {
            errors.push(err(
                line,
                format!(
                    "evidence {:?}: `window`/`where`/`anchor`/`unless_near` apply to event evidence only",
                    ev.id
                ),
            ));
        }
        let kind = if let Some(matcher) = ev.event {
            if matcher.ids.is_empty() {
                errors.push(err(line, format!("evidence {:?}: `event.ids` is empty", ev.id)));
            }
            let window = match &ev.window {
                None => {
                    errors.push(err(
                        line,
                        format!("evidence {:?}: event evidence needs a `window`", ev.id),
                    ));
                    Window::Anywhere
                }
                Some(toml::Value::String(s)) if s == "window" => Window::Anywhere,
                Some(toml::Value::Array(a)) if a.len() == 2 => {
                    let from = a[0].as_str().and_then(parse_offset);
                    let to = a[1].as_str().and_then(parse_offset);
                    match (from, to) {
                        (Some(from), Some(to)) if from <= to => Window::Around { from, to },
                        _ => {
                            errors.push(err(line, format!("evidence {:?}: window {:?} must be two offsets like [\"-3s\", \"+3s\"], start <= end", ev.id, a)));
                            Window::Anywhere
                        }
                    }
                }
                Some(other) => {
                    errors.push(err(
                        line,
                        format!(
                            "evidence {:?}: window {other} must be \"window\" or [\"-3s\", \"+3s\"]",
                            ev.id
                        ),
                    ));
                    Window::Anywhere
                }
            };
            if matcher.channel.is_none() && vocabulary::channels_of(&matcher).is_empty() {
                errors.push(err(
                    line,
                    format!(
                        "evidence {:?}: name the `channel` of event(s) {:?}: the field vocabulary does not know on which channel they are logged, so they could not be read",
                        ev.id, matcher.ids
                    ),
                ));
            }
            let fields = ev
                .predicates
                .iter()
                .map(|p| p.field.as_str())
                .chain(ev.client_ip_field.as_deref());
            for field in fields {
                if let Err(m) = vocabulary::check_field(&matcher, field) {
                    errors.push(err(line, format!("evidence {:?}: {m}", ev.id)));
                }
            }
            let mut predicates = Vec::new();
            for p in ev.predicates {
                let values: Option<Vec<String>> = p.values.iter().map(value_text).collect();
                match predicate(p.field, p.op, values) {
                    Ok(pred) => predicates.push(pred),
                    Err(m) => errors.push(err(line, format!("evidence {:?}: {m}", ev.id))),
                }
            }
            let unless = match ev.unless_near {
                None => None,
                Some(u) => {
                    let matcher = EventMatch {
                        channel: u.channel,
                        provider: u.provider,
                        ids: u.ids,
                    };
                    if matcher.ids.is_empty() {
                        errors.push(err(
                            line,
                            format!("evidence {:?}: `unless_near.ids` is empty", ev.id),
                        ));
                    }
                    if matcher.channel.is_none() && vocabulary::channels_of(&matcher).is_empty() {
                        errors.push(err(
                            line,
                            format!(
                                "evidence {:?}: name the `channel` of `unless_near` event(s) {:?}",
                                ev.id, matcher.ids
                            ),
                        ));
                    }
                    let mut preds = Vec::new();
                    for p in u.predicates {
                        if let Err(m) = vocabulary::check_field(&matcher, &p.field) {
                            errors.push(err(line, format!("evidence {:?}: unless_near: {m}", ev.id)));
                        }
                        match predicate(p.field, p.op, Some(p.values)) {
                            Ok(pred) => preds.push(pred),
                            Err(m) => {
                                errors.push(err(line, format!("evidence {:?}: unless_near: {m}", ev.id)))
                            }
                        }
                    }
                    match parse_offset(&u.within) {
                        Some(d) if d > Duration::zero() => Some(Box::new(super::spec::Unless {
                            matcher,
                            predicates: preds,
                            within: d,
                        })),
                        _ => {
                            errors.push(err(
                                line,
                                format!("evidence {:?}: unless_near.within {:?} must be a positive offset like \"120s\"", ev.id, u.within),
                            ));
                            None
                        }
                    }
                }
            };
            EvidenceKind::Event {
                matcher,
                window,
                predicates,
                same_connection: ev.same_connection,
                client_ip_field: ev.client_ip_field,
                min_count: ev.min_count.unwrap_or(1).max(1),
                anchor: ev.anchor.unwrap_or_default(),
                unless,
            }
        } else if let Some(a) = ev.attempt {
            if a == AttemptMatch::default() {
                errors.push(err(
                    line,
                    format!("evidence {:?}: `attempt` sets no property", ev.id),
                ));
            }
            EvidenceKind::Attempt(a)
        } else if let Some(f) = ev.fact {
            if f.op == super::spec::Op::Missing {
                errors.push(err(
                    line,
                    format!(
                        "evidence {:?}: `missing` applies to event fields; an unknown fact matches nothing",
                        ev.id
                    ),
                ));
            }
            if !crate::fact_vocabulary::is_known_path(&f.path) {
                let known: Vec<&str> = crate::fact_vocabulary::FACTS.iter().map(|d| d.path).collect();
                errors.push(err(
                    line,
                    format!(
                        "evidence {:?}: unknown fact path {:?}; known paths: {}",
                        ev.id,
                        f.path,
                        known.join(", ")
                    ),
                ));
            }
            EvidenceKind::Fact(f)
        } else {
            continue;
        };
        evidence.push(EvidenceSpec {
            id: ev.id,
            says: ev.says,
            weight: ev.weight,
            host: ev.host,
            kind,
            only_if_disconnect: ev.only_if_disconnect,
            line,
        });
    }
    if evidence.iter().all(|e| e.weight <= 0.0) {
        errors.push(err(
            id_line,
            "a rule needs at least one supporting (weight > 0) evidence item".into(),
        ));
    }
    match (id, errors.is_empty()) {
        (Some(id), true) => Ok(Rule {
            id,
            title: raw.title,
            prior,
            explains_disconnect: raw.explains.disconnect,
            explains_extended: raw.explains.extended,
            fix: raw.fix,
            collect_next: raw.collect_next,
            references: raw.references,
            evidence,
            origin: file.to_string(),
        }),
        _ => Err(errors),
    }
}

/// Parses every `*.toml` file in `dir`: the good rules, and every error found.
pub fn check_dir(dir: &Path) -> (Vec<Rule>, Vec<RuleError>) {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect(),
        Err(e) => {
            errors.push(RuleError {
                file: dir.display().to_string(),
                line: 0,
                message: format!("cannot read folder: {e}"),
            });
            return (rules, errors);
        }
    };
    files.sort();
    for path in files {
        let name = path.display().to_string();
        // Rule files are small; refuse anything that is not, rather than read it whole.
        match std::fs::metadata(&path) {
            Ok(m) if m.len() > 1024 * 1024 => {
                errors.push(RuleError {
                    file: name,
                    line: 0,
                    message: "larger than 1 MiB".into(),
                });
                continue;
            }
            Err(e) => {
                errors.push(RuleError {
                    file: name,
                    line: 0,
                    message: e.to_string(),
                });
                continue;
            }
            Ok(_) => {}
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse_rule(&name, &text) {
                Ok(r) => rules.push(r),
                Err(e) => errors.extend(e),
            },
            Err(e) => errors.push(RuleError {
                file: name,
                line: 0,
                message: format!("cannot read: {e}"),
            }),
        }
    }
    (rules, errors)
}
