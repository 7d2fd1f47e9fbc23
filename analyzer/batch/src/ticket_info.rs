//! What the users reported beside their bundles, per ticket (`batch --ticket-info FILE`): a CSV
//! with a header naming the columns `ticket` (the ticket id as batch lists it, e.g.
//! `T-1001.zip`) and any of `reported` (`0x904/0x7`), `since`, `until` (RFC 3339). What
//! `analyze --reported/--since/--until` takes for one ticket.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use rdpdiag_diagnosis::diagnose::{DiagnoseOptions, ReportedCode};

/// A ticket-info file that cannot be used: the file and line, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct TicketInfoError {
    /// The file.
    pub file: String,
    /// 1-based line (0: the file itself).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Largest ticket-info file read: one line per ticket of a large batch.
const MAX_BYTES: u64 = 64 << 20;

/// Splits one CSV line (double quotes, `""` inside quotes).
fn cells(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().map(|c| c.trim().to_string()).collect()
}

fn time(s: &str) -> Result<Option<DateTime<Utc>>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|e| format!("{s:?} is not an RFC 3339 time ({e})"))
}

/// Parses the text of a ticket-info file: ticket id -> what to tell the diagnosis.
pub fn parse(file: &str, text: &str) -> Result<HashMap<String, DiagnoseOptions>, Vec<TicketInfoError>> {
    let err = |line: usize, message: String| TicketInfoError {
        file: file.to_string(),
        line,
        message,
    };
    let mut lines = text
        .trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(vec![err(
            0,
            "empty: the first line names the columns (ticket,reported,since,until)".into(),
        )]);
    };
    let head: Vec<String> = cells(header)
        .into_iter()
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let col = |name: &str| head.iter().position(|h| h == name);
    let Some(ticket_col) = col("ticket") else {
        return Err(vec![err(
            1,
            format!("no `ticket` column in the header {header:?}"),
        )]);
    };
    let (reported_col, since_col, until_col) = (col("reported"), col("since"), col("until"));
    let mut out = HashMap::new();
    let mut errors = Vec::new();
    for (n, line) in lines {
        let line_no = n + 1;
        let c = cells(line);
        let get = |i: Option<usize>| i.and_then(|i| c.get(i)).map(String::as_str).unwrap_or("");
        let ticket = get(Some(ticket_col));
        if ticket.is_empty() {
            errors.push(err(line_no, "no ticket id".into()));
            continue;
        }
        let reported = match get(reported_col) {
            "" => None,
            r => match r.parse::<ReportedCode>() {
                Ok(r) => Some(r),
                Err(e) => {
                    errors.push(err(line_no, e));
                    continue;
                }
            },
        };
        let (since, until) = match (time(get(since_col)), time(get(until_col))) {
            (Ok(s), Ok(u)) => (s, u),
            (Err(e), _) | (_, Err(e)) => {
                errors.push(err(line_no, e));
                continue;
            }
        };
        if out
            .insert(
                ticket.to_string(),
                DiagnoseOptions {
                    reported,
                    since,
                    until,
                },
            )
            .is_some()
        {
            errors.push(err(line_no, format!("ticket {ticket:?} is listed twice")));
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// Reads and parses a ticket-info file.
pub fn read(path: &Path) -> Result<HashMap<String, DiagnoseOptions>, Vec<TicketInfoError>> {
    let name = path.display().to_string();
    let one = |message: String| {
        vec![TicketInfoError {
            file: name.clone(),
            line: 0,
            message,
        }]
    };
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_BYTES => return Err(one(format!("larger than {} MiB", MAX_BYTES >> 20))),
        Err(e) => return Err(one(e.to_string())),
        Ok(_) => {}
    }
    let text = std::fs::read_to_string(path).map_err(|e| one(format!("cannot read as UTF-8 text: {e}")))?;
    parse(&name, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_by_name_codes_and_times() {
        let m = parse(
            "t.csv",
            "ticket,until,reported\nT-1.zip,,0x904/0x7\n\"T 2\",2024-08-22T12:00:00Z,0x807\nT-3,,\n",
        )
        .unwrap();
        let t1 = &m["T-1.zip"];
        assert_eq!(
            t1.reported.map(|r| (r.disconnect, r.extended)),
            Some((0x904, Some(7)))
        );
        assert!(t1.until.is_none());
        assert_eq!(m["T 2"].reported.map(|r| r.disconnect), Some(0x807));
        assert!(m["T 2"].until.is_some());
        assert!(m["T-3"].reported.is_none());
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("t.csv", "ticket,reported\nT-1,0xZZ\nT-1,0x904\nT-1,0x904\n").unwrap_err();
        assert!(e.iter().any(|x| x.to_string().starts_with("t.csv:2:")), "{e:?}");
        assert!(
            e.iter().any(|x| x.line == 4 && x.message.contains("twice")),
            "{e:?}"
        );
        let e = parse("t.csv", "id,reported\n").unwrap_err();
        assert!(e[0].message.contains("`ticket`"));
    }
}
