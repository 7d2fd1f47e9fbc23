//! `netstat -anob` (MSRD-Collect `Netstat.txt`, also `-anobq`): every socket with its owning
//! process, so the analyzer can say who listens on the RDP port (root cause (e): the listener
//! moved, or another program such as a web server took 3389).
//!
//! Shape: `  Proto  Local Address  Foreign Address  State  PID` rows; with `-b` each row is
//! followed by the service name line (`  TermService`, two spaces) when the process hosts
//! services, then the image line (` [svchost.exe]`, one space) or ` Can not obtain ownership
//! information`. UDP rows have no state. Header lines are localized and ignored.

use serde::Serialize;

use super::locale::{self, TcpStateMeaning};
use super::{MAX_ITEMS, TextError, prepare};
use rdpdiag_evtx::model::{Problem, Severity};

/// A parsed netstat output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetstatOutput {
    /// Rows in printed order.
    pub rows: Vec<NetstatRow>,
    /// Lines that could not be understood.
    pub problems: Vec<Problem>,
}

/// One socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetstatRow {
    /// Line of the row.
    pub line: u64,
    /// `TCP` or `UDP`.
    pub proto: String,
    /// Local address and port as printed (`0.0.0.0:3389`, `[::]:3389`).
    pub local: String,
    /// Remote address and port as printed.
    pub foreign: String,
    /// TCP state (`LISTENING`, `ESTABLISHED`, `BOUND` ...); `None` for UDP.
    pub state: Option<String>,
    /// Owning process id.
    pub pid: Option<u32>,
    /// Service hosted by the process (`TermService`), when printed.
    pub service: Option<String>,
    /// Image name (`svchost.exe`), when netstat could obtain it.
    pub image: Option<String>,
    /// netstat said `Can not obtain ownership information`.
    pub ownership_unknown: bool,
}

impl NetstatRow {
    /// The local port number.
    pub fn local_port(&self) -> Option<u16> {
        port_of(&self.local)
    }

    /// Whether this is a listening TCP socket. The state word is translated (`ABHÖREN` on
    /// German Windows, [`locale`]); a word the tables do not know gives `None` (unknown, never
    /// "not listening"), except that a row whose foreign address is `0.0.0.0:0`/`[::]:0` and
    /// whose state is unknown is still `None` (BOUND sockets look the same).
    pub fn listening(&self) -> Option<bool> {
        if !self.proto.eq_ignore_ascii_case("TCP") {
            return Some(false);
        }
        match self.state.as_deref().map(locale::tcp_state) {
            Some(TcpStateMeaning::Listen) => Some(true),
            Some(TcpStateMeaning::NotListen) => Some(false),
            // A connected socket has a real foreign endpoint: not a listener whatever the word.
            _ if !locale::is_listen_foreign(&self.foreign) => Some(false),
            _ => None,
        }
    }

    /// A TCP socket known to be listening.
    pub fn is_tcp_listen(&self) -> bool {
        self.listening() == Some(true)
    }

    /// Who owns the socket is known (netstat printed a service or an image name).
    pub fn owner_known(&self) -> bool {
        (self.service.is_some() || self.image.is_some()) && !self.ownership_unknown
    }

    /// Who owns the socket, for reports: `nginx.exe`, `TermService (svchost.exe)`, or `pid 4`.
    pub fn owner(&self) -> String {
        match (&self.service, &self.image, self.pid) {
            (Some(s), Some(i), _) => format!("{s} ({i})"),
            (None, Some(i), _) => i.clone(),
            (Some(s), None, _) => s.clone(),
            (None, None, Some(p)) => format!("pid {p}"),
            (None, None, None) => "unknown".into(),
        }
    }
}

/// The port after the last `:` of `addr:port` / `[v6]:port`.
pub fn port_of(endpoint: &str) -> Option<u16> {
    endpoint.rsplit_once(':')?.1.parse().ok()
}

impl NetstatOutput {
    /// TCP sockets on `port` whose state word was not recognised (they may be listeners).
    pub fn tcp_maybe_listeners(&self, port: u16) -> Vec<&NetstatRow> {
        self.rows
            .iter()
            .filter(|r| r.listening().is_none() && r.local_port() == Some(port))
            .collect()
    }

    /// The TCP sockets listening on `port` (any address).
    pub fn tcp_listeners(&self, port: u16) -> Vec<&NetstatRow> {
        self.rows
            .iter()
            .filter(|r| r.is_tcp_listen() && r.local_port() == Some(port))
            .collect()
    }
}

/// Parses a netstat output.
pub fn parse(bytes: &[u8]) -> Result<NetstatOutput, TextError> {
    let prepared = prepare(bytes)?;
    let mut out = NetstatOutput {
        rows: Vec::new(),
        problems: prepared.problems,
    };
    let mut saw_header = false;
    for (_, line) in &prepared.lines {
        let raw = line.text.as_str();
        let t = raw.trim();
        if t.is_empty() {
            continue;
        }
        let fields: Vec<&str> = t.split_whitespace().collect();
        let proto = fields.first().copied().unwrap_or("");
        if proto.eq_ignore_ascii_case("TCP") || proto.eq_ignore_ascii_case("UDP") {
            let row = match parse_row(line.no, &fields) {
                Some(r) => r,
                None => {
                    out.problems.push(Problem::at_line(
                        Severity::Warning,
                        line.no,
                        "socket row without address, port or PID",
                    ));
                    continue;
                }
            };
            if let Some(state) = &row.state
                && locale::tcp_state(state) == TcpStateMeaning::Unrecognised
            {
                out.problems.push(Problem::at_line(
                    Severity::Warning,
                    line.no,
                    format!("could not read, language not recognised: TCP state {state:?}"),
                ));
            }
            if out.rows.len() < MAX_ITEMS {
                out.rows.push(row);
            }
            continue;
        }
        if t.starts_with("Proto") || t == "Active Connections" || t.starts_with("Active ") {
            saw_header = true;
            continue;
        }
        // Ownership lines belong to the last row.
        let Some(last) = out.rows.last_mut() else {
            if !saw_header {
                continue;
            }
            out.problems.push(Problem::at_line(
                Severity::Warning,
                line.no,
                "ownership line before any socket row",
            ));
            continue;
        };
        if let Some(image) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            last.image = Some(image.to_string());
        } else if t.starts_with("Can not obtain ownership") || t.starts_with("Cannot obtain ownership") {
            last.ownership_unknown = true;
        } else if raw.starts_with("  ") && !t.contains(' ') && last.service.is_none() && last.image.is_none()
        {
            last.service = Some(t.to_string());
        } else {
            // Localized header or message lines (e.g. the `-q` legend): ignored but reported.
            out.problems.push(Problem::at_line(
                Severity::Warning,
                line.no,
                format!("unrecognised line {:?}", truncate(t, 80)),
            ));
        }
    }
    if out.rows.is_empty() && !saw_header {
        return Err(TextError::Format(
            "no `TCP`/`UDP` rows and no `Proto  Local Address` header: not netstat output".into(),
        ));
    }
    Ok(out)
}

fn parse_row(line: u64, fields: &[&str]) -> Option<NetstatRow> {
    let proto = fields.first()?.to_ascii_uppercase();
    let local = fields.get(1)?.to_string();
    let foreign = fields.get(2)?.to_string();
    port_of(&local)?;
    let (state, pid) = match fields.len() {
        3 => (None, None),
        4 => (None, fields[3].parse().ok()),
        // A translated state may be several words (the PID is always last).
        n => (
            Some(fields[3..n - 1].join(" ")),
            fields.last().and_then(|p| p.parse().ok()),
        ),
    };
    if fields.len() >= 4 && pid.is_none() {
        return None;
    }
    Some(NetstatRow {
        line,
        proto,
        local,
        foreign,
        state,
        pid,
        service: None,
        image: None,
        ownership_unknown: false,
    })
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
