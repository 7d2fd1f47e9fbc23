//! Command outputs and small structured files as Windows (and MSRD-Collect) write them, parsed
//! into typed records. One module per format:
//!
//! - [`certutil`]: `certutil -verifystore -v <store>` (certificates, key state);
//! - [`acl_list`]: `Get-Acl ... | Select -ExpandProperty Access` (MachineKeys ACLs);
//! - [`netstat`]: `netstat -anob` (who listens where);
//! - [`netsh_rules`]: `netsh advfirewall firewall show rule name=all`;
//! - [`w32tm`]: `w32tm /query /status`;
//! - [`json_artifacts`]: SecurityCenter2 products, client versions, the collector's probe;
//! - [`etl_header`]: the header of an `.etl` trace (RdClientAutoTrace);
//! - [`tracerpt`]: `tracerpt` XML and CSV conversions of traces;
//! - [`locale`]: what localized Windows prints (account names, states, labels), with sources.
//!
//! Every parser takes the file's bytes, decodes them ([`decode_text`]: UTF-8, UTF-16 with or
//! without BOM, ANSI), splits them into numbered lines with caps ([`split_lines`]), removes
//! MSRD-Collect's command frames ([`strip_msrd_frames`]), and never panics on garbage: a file
//! that is not of its format is a [`TextError`]; a bad line inside a good file is a
//! [`Problem`] at that line ([`Location::Line`]) in the result.

pub mod acl_list;
pub mod certutil;
pub mod etl_header;
pub mod json_artifacts;
pub mod locale;
pub mod netsh_rules;
pub mod netstat;
pub mod tracerpt;
pub mod w32tm;

use rdpdiag_evtx::model::{Location, Problem, Severity};
use serde::Serialize;

/// Longest line kept, in characters; longer lines are cut (and reported). Windows command
/// output lines are short; a huge line means garbage, and cutting bounds memory.
pub const MAX_LINE_CHARS: usize = 16 * 1024;

/// Most lines read from one file; the rest is ignored (and reported).
pub const MAX_LINES: usize = 2_000_000;

/// Most records (certificates, rules, sockets, events ...) one parser returns.
pub const MAX_ITEMS: usize = 200_000;

/// Why a file could not be parsed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// The bytes are not text (binary content, or an encoding that does not decode).
    #[error("not text: {0}")]
    NotText(String),
    /// The text is not of the expected format; the line that showed it.
    #[error("line {line}: {message}")]
    Line {
        /// 1-based line number in the decoded file.
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// The text is not of the expected format (nothing recognisable found anywhere).
    #[error("{0}")]
    Format(String),
    /// A binary structure (ETL) is damaged; `offset` is the byte offset in the file.
    #[error("at byte {offset:#x}: {message}")]
    Binary {
        /// Byte offset.
        offset: u64,
        /// What was wrong.
        message: String,
    },
}

impl TextError {
    /// Where in the file the error is: the line that showed it, else the whole file.
    pub fn location(&self) -> Location {
        match self {
            TextError::Line { line, .. } => Location::Line { line: *line },
            _ => Location::Whole,
        }
    }

    /// What was wrong, without the line ([`TextError::location`] holds it).
    pub fn message(&self) -> String {
        match self {
            TextError::Line { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}

/// The words ending every note about a date whose day/month order needs the host's culture.
pub const AMBIGUOUS_DATE: &str = "day/month order ambiguous without the host's culture";

/// A date at `line` that reads both ways (`1/2/2024`) and no culture decides: a note, not damage
/// (the date stays unknown until the host's other dates decide the order).
pub fn ambiguous_date(line: u64, what: impl std::fmt::Display) -> Problem {
    Problem::at_line(Severity::Note, line, format!("{what}: {AMBIGUOUS_DATE}"))
}

/// Whether `problem` is an [`ambiguous_date`] note.
pub fn is_ambiguous_date(problem: &Problem) -> bool {
    problem.severity == Severity::Note && problem.message.ends_with(AMBIGUOUS_DATE)
}

/// The text encoding a file was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    /// UTF-8 (with or without BOM).
    Utf8,
    /// UTF-16LE with BOM (Windows PowerShell 5 `Out-File`, `reg export`).
    Utf16LeBom,
    /// UTF-16LE without BOM.
    Utf16Le,
    /// UTF-16BE with BOM.
    Utf16BeBom,
    /// Not valid UTF-8: decoded as Windows-1252 (what `cmd > file` writes on en-US systems).
    Ansi,
}

/// Decodes a whole file as text. Binary content is an error.
pub fn decode_text(bytes: &[u8]) -> Result<(String, TextEncoding), TextError> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return Ok((utf16(rest, u16::from_le_bytes), TextEncoding::Utf16LeBom));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return Ok((utf16(rest, u16::from_be_bytes), TextEncoding::Utf16BeBom));
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    // UTF-16LE without BOM: ASCII text with a NUL after (nearly) every character.
    let head = &body[..body.len().min(4096)];
    let pairs = head.len() / 2;
    if pairs >= 2 {
        let odd_nuls = head.chunks_exact(2).filter(|p| p[1] == 0 && p[0] != 0).count();
        if odd_nuls * 10 >= pairs * 9 {
            return Ok((utf16(body, u16::from_le_bytes), TextEncoding::Utf16Le));
        }
    }
    let sample = &body[..body.len().min(64 * 1024)];
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    if controls * 100 > sample.len().max(1) {
        return Err(TextError::NotText(format!(
            "{controls} control bytes in the first {} bytes",
            sample.len()
        )));
    }
    match std::str::from_utf8(body) {
        Ok(s) => Ok((s.to_string(), TextEncoding::Utf8)),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(body);
            Ok((text.into_owned(), TextEncoding::Ansi))
        }
    }
}

fn utf16(bytes: &[u8], f: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|c| f([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// One line of a decoded file, with its 1-based number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number in the decoded file.
    pub no: u64,
    /// The text without its line end.
    pub text: String,
}

/// Splits text into lines (CRLF, LF, and MSRD's `LF CR LF` all end a line; a lone trailing CR is
/// dropped), cutting lines longer than [`MAX_LINE_CHARS`] and stopping after [`MAX_LINES`]; what
/// was cut is reported in `problems`.
pub fn split_lines(text: &str, problems: &mut Vec<Problem>) -> Vec<Line> {
    let mut out = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let no = i as u64 + 1;
        if out.len() >= MAX_LINES {
            problems.push(Problem::at_line(
                Severity::Warning,
                no,
                format!("more than {MAX_LINES} lines: the rest of the file was not read"),
            ));
            break;
        }
        let raw = raw.trim_end_matches('\r');
        let text = if raw.len() > MAX_LINE_CHARS {
            let mut cut = MAX_LINE_CHARS;
            while !raw.is_char_boundary(cut) {
                cut -= 1;
            }
            problems.push(Problem::at_line(
                Severity::Warning,
                no,
                format!(
                    "line of {} bytes cut to {MAX_LINE_CHARS} (not command output)",
                    raw.len()
                ),
            ));
            raw[..cut].to_string()
        } else {
            raw.to_string()
        };
        out.push(Line { no, text });
    }
    // A final line end leaves one empty piece: it is not a line.
    if out.last().is_some_and(|l| l.text.is_empty()) && text.ends_with('\n') {
        out.pop();
    }
    out
}

/// The separator line MSRD-Collect writes around each command's header.
pub const MSRD_SEPARATOR: &str = "======================================";

/// One command header MSRD-Collect wrote into a file (`msrdRunCommands`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MsrdFrame {
    /// Line of the header's timestamp line.
    pub line: u64,
    /// The collection time as printed (`yyyy/MM/dd HH:mm:ss.fff`, local time of the host).
    pub timestamp: String,
    /// The command as MSRD shows it, e.g. `certutil -verifystore -v MY`.
    pub command: String,
}

/// Removes MSRD-Collect's command headers (separator, `<time> : <command>`, separator) from
/// `lines`, returning the remaining lines (numbers unchanged) and the headers found. A file
/// without headers comes back unchanged. Each remaining line is tagged with the index of the
/// frame it follows, so a parser can tell which command printed it.
pub fn strip_msrd_frames(lines: Vec<Line>) -> (Vec<(Option<usize>, Line)>, Vec<MsrdFrame>) {
    let mut frames: Vec<MsrdFrame> = Vec::new();
    let mut out = Vec::with_capacity(lines.len());
    let mut i = 0;
    let mut current: Option<usize> = None;
    while i < lines.len() {
        let is_sep = |l: &Line| l.text.trim() == MSRD_SEPARATOR;
        if is_sep(&lines[i])
            && i + 2 < lines.len()
            && is_sep(&lines[i + 2])
            && let Some((ts, cmd)) = lines[i + 1].text.split_once(" : ")
            && ts.trim().len() >= 10
            && ts.trim().as_bytes().first().is_some_and(u8::is_ascii_digit)
        {
            frames.push(MsrdFrame {
                line: lines[i + 1].no,
                timestamp: ts.trim().to_string(),
                command: cmd.trim().to_string(),
            });
            current = Some(frames.len() - 1);
            i += 3;
            continue;
        }
        out.push((current, lines[i].clone()));
        i += 1;
    }
    (out, frames)
}

/// Decodes, splits and unframes a file in one go: the common start of every text parser.
pub fn prepare(bytes: &[u8]) -> Result<Prepared, TextError> {
    let (text, encoding) = decode_text(bytes)?;
    let mut problems = Vec::new();
    let lines = split_lines(&text, &mut problems);
    let (lines, frames) = strip_msrd_frames(lines);
    Ok(Prepared {
        encoding,
        lines,
        frames,
        problems,
    })
}

/// A decoded file, ready for a format parser.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// How the bytes were encoded.
    pub encoding: TextEncoding,
    /// Lines with MSRD headers removed, each with the index of the header it follows.
    pub lines: Vec<(Option<usize>, Line)>,
    /// MSRD headers found.
    pub frames: Vec<MsrdFrame>,
    /// Lines cut or dropped while splitting.
    pub problems: Vec<Problem>,
}

/// The order of day and month in a culture's short date (`M/d/yyyy` en-US, `dd/MM/yyyy` en-GB,
/// fr-FR, es-ES, it-IT, pt-BR; `dd.MM.yyyy` de-DE; `yyyy/MM/dd` ja-JP, zh-CN).
/// Source: .NET `CultureInfo.DateTimeFormat.ShortDatePattern` of those cultures
/// (learn.microsoft.com/dotnet/api/system.globalization.datetimeformatinfo.shortdatepattern);
/// the per-culture mapping in [`date_order_of_culture`] is inference from those patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateOrder {
    /// `M/d/yyyy`
    MonthFirst,
    /// `d/M/yyyy`, `d.M.yyyy`
    DayFirst,
}

/// Day/month order of a culture name (`en-US`, `de-DE`, `ja-JP` ...); `None` for a culture not
/// known here (then only unambiguous dates are read).
pub fn date_order_of_culture(culture: &str) -> Option<DateOrder> {
    let c = culture.trim().to_ascii_lowercase();
    let lang = c.split(['-', '_']).next().unwrap_or("");
    match c.as_str() {
        "en-us" | "en-ph" | "es-us" | "en-029" => return Some(DateOrder::MonthFirst),
        // Year-first cultures (`yyyy/MM/dd`, `yyyy-MM-dd`): slash dates with the year last do
        // not occur; day-first is not asserted.
        "en-ca" | "fr-ca" | "sv-se" | "lt-lt" | "hu-hu" => return None,
        _ => {}
    }
    match lang {
        "de" | "fr" | "es" | "it" | "pt" | "nl" | "pl" | "ru" | "tr" | "da" | "nb" | "fi" | "cs" => {
            Some(DateOrder::DayFirst)
        }
        "en" if c != "en" => Some(DateOrder::DayFirst),
        _ => None,
    }
}

/// Parses a local date and time as Windows prints it in command output, without a culture:
/// only unambiguous forms (ISO `yyyy-MM-dd`, `yyyy/MM/dd`, dotted `d.M.yyyy`, and slashed
/// `d/M/yyyy` or `M/d/yyyy` where one of the two numbers is above 12). `1/2/2024` is `None`:
/// it is the 2nd of January in en-US and the 1st of February in en-GB, fr-FR, es-ES, it-IT,
/// pt-BR (see [`parse_local_datetime_in`]).
pub fn parse_local_datetime(s: &str) -> Option<chrono::NaiveDateTime> {
    parse_local_datetime_in(s, None)
}

/// Like [`parse_local_datetime`], reading ambiguous slashed dates in `order` when it is known
/// (the host's culture from the manifest, or the order other dates of the same file prove).
pub fn parse_local_datetime_in(s: &str, order: Option<DateOrder>) -> Option<chrono::NaiveDateTime> {
    use chrono::NaiveDateTime;
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    // Some Windows builds put U+200E/U+200F marks around date parts.
    let cleaned: String = s
        .chars()
        .filter(|c| !matches!(c, '\u{200e}' | '\u{200f}'))
        .collect();
    const UNAMBIGUOUS: &[&str] = &[
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
    ];
    if let Some(t) = UNAMBIGUOUS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&cleaned, f).ok())
    {
        return Some(t);
    }
    const MONTH_FIRST: &[&str] = &[
        "%m/%d/%Y %I:%M %p",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
    ];
    const DAY_FIRST: &[&str] = &[
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%d/%m/%Y %I:%M %p",
        "%d/%m/%Y %I:%M:%S %p",
    ];
    let try_all = |formats: &[&str]| {
        formats
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(&cleaned, f).ok())
    };
    // A date that proves its own order (a number above 12) is read so, whatever the culture.
    match slashed_date_order(&cleaned).or(order) {
        Some(DateOrder::MonthFirst) => try_all(MONTH_FIRST),
        Some(DateOrder::DayFirst) => try_all(DAY_FIRST),
        None => None,
    }
}

/// The order a slashed date proves by itself (`15/1/2024` day-first, `1/15/2024` month-first);
/// `None` when both numbers are 12 or below, or it is not a slashed date.
pub fn slashed_date_order(s: &str) -> Option<DateOrder> {
    let date = s.split_whitespace().next()?;
    let mut parts = date.split('/');
    let a: u32 = parts.next()?.trim().parse().ok()?;
    let b: u32 = parts.next()?.trim().parse().ok()?;
    let year = parts.next()?;
    if year.trim().len() != 4 {
        return None;
    }
    match (a > 12, b > 12) {
        (true, false) => Some(DateOrder::DayFirst),
        (false, true) => Some(DateOrder::MonthFirst),
        _ => None,
    }
}

/// The order the unambiguous slashed dates among `texts` agree on (one file is printed by one
/// culture); `None` when none decides or they disagree.
pub fn date_order_of_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> Option<DateOrder> {
    let mut found: Option<DateOrder> = None;
    for t in texts {
        if let Some(o) = slashed_date_order(t.trim()) {
            match found {
                None => found = Some(o),
                Some(f) if f != o => return None,
                _ => {}
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parser's error keeps its line as a location and says it once: no `line N:` in the
    /// message that a caller would prefix again.
    #[test]
    fn a_text_error_keeps_its_line_apart_from_its_message() {
        let e = TextError::Line {
            line: 4,
            message: "not a registry file".into(),
        };
        assert_eq!(e.location(), Location::Line { line: 4 });
        assert_eq!(e.message(), "not a registry file");
        let b = TextError::Binary {
            offset: 0x40,
            message: "bad buffer".into(),
        };
        assert_eq!(b.location(), Location::Whole);
        assert_eq!(b.message(), "at byte 0x40: bad buffer");
        let note = ambiguous_date(9, "NotAfter \"1/2/2024\"");
        assert_eq!((note.severity, note.line()), (Severity::Note, Some(9)));
        assert!(is_ambiguous_date(&note));
        let damage = Problem::at_line(Severity::Warning, 9, "date format not recognised");
        assert!(!is_ambiguous_date(&damage));
    }

    #[test]
    fn decodes_every_encoding() {
        let text = "Leap Indicator: 0(no warning)\r\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(
            decode_text(&le).ok(),
            Some((text.to_string(), TextEncoding::Utf16LeBom))
        );
        let no_bom: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(
            decode_text(&no_bom).map(|d| d.1).ok(),
            Some(TextEncoding::Utf16Le)
        );
        assert_eq!(
            decode_text(text.as_bytes()).map(|d| d.1).ok(),
            Some(TextEncoding::Utf8)
        );
        assert_eq!(
            decode_text(b"caf\xe9\r\n").map(|d| d.0).ok(),
            Some("caf\u{e9}\r\n".to_string())
        );
        assert!(decode_text(&[0, 1, 2, 3, 4, 5, 6, 7, 0, 1]).is_err());
    }

    #[test]
    fn msrd_frames_with_bare_lf_quirk() {
        let text = "======================================\r\n2024/01/15 10:00:00.000 : netstat -anob\r\n======================================\n\r\n\r\nActive Connections\r\n\n\r\n";
        let mut problems = Vec::new();
        let (lines, frames) = strip_msrd_frames(split_lines(text, &mut problems));
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].command, "netstat -anob");
        assert!(
            lines
                .iter()
                .any(|(f, l)| *f == Some(0) && l.text == "Active Connections")
        );
        assert!(problems.is_empty());
    }

    #[test]
    fn huge_line_is_cut() {
        let text = "a".repeat(MAX_LINE_CHARS * 3);
        let mut problems = Vec::new();
        let lines = split_lines(&text, &mut problems);
        assert_eq!(lines[0].text.len(), MAX_LINE_CHARS);
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn dates() {
        let d = parse_local_datetime("1/15/2024 10:05 AM");
        assert_eq!(d.map(|d| d.to_string()), Some("2024-01-15 10:05:00".to_string()));
        // Ambiguous without a culture: unknown, not a guess.
        assert!(parse_local_datetime("7/8/2024 1:02:03 PM").is_none());
        assert_eq!(
            parse_local_datetime_in("7/8/2024 1:02:03 PM", Some(DateOrder::MonthFirst))
                .map(|d| d.to_string()),
            Some("2024-07-08 13:02:03".to_string())
        );
        assert_eq!(
            parse_local_datetime_in("07/08/2024 13:02", Some(DateOrder::DayFirst)).map(|d| d.to_string()),
            Some("2024-08-07 13:02:00".to_string())
        );
        assert_eq!(
            parse_local_datetime("15/01/2024 10:05").map(|d| d.to_string()),
            Some("2024-01-15 10:05:00".to_string())
        );
        assert_eq!(
            parse_local_datetime("2024/01/15 10:05").map(|d| d.to_string()),
            Some("2024-01-15 10:05:00".to_string())
        );
        assert_eq!(
            parse_local_datetime("15.01.2024 10:05").map(|d| d.to_string()),
            Some("2024-01-15 10:05:00".to_string())
        );
        assert_eq!(
            date_order_of_texts(["1/2/2024 3:04 AM", "1/15/2025 3:04 AM"]),
            Some(DateOrder::MonthFirst)
        );
        assert_eq!(date_order_of_texts(["15/1/2024 3:04", "1/15/2025 3:04"]), None);
        assert_eq!(
            parse_local_datetime_in("15/01/2024 10:05", Some(DateOrder::MonthFirst)).map(|d| d.to_string()),
            Some("2024-01-15 10:05:00".to_string())
        );
        assert_eq!(date_order_of_culture("de-DE"), Some(DateOrder::DayFirst));
        assert_eq!(date_order_of_culture("en-US"), Some(DateOrder::MonthFirst));
        assert_eq!(date_order_of_culture("ja-JP"), None);
        assert!(parse_local_datetime("garbage").is_none());
    }
}
