//! `netstat -anob` output (MSRD-Collect `<C>_Networking\<C>_Netstat.txt`).
//!
//! Source followed: real `netstat -anob` / `-abno` captures quoted in public parsers' tests and
//! tutorials (e.g. a Go netstat parser test, TryHackMe-style walkthroughs):
//!
//! ```text
//!
//! Active Connections
//!
//!   Proto  Local Address          Foreign Address        State           PID
//!   TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       748
//!   RpcSs
//!  [svchost.exe]
//!   TCP    0.0.0.0:445            0.0.0.0:0              LISTENING       4
//!  Can not obtain ownership information
//!   TCP    0.0.0.0:3389           0.0.0.0:0              LISTENING       416
//!   TermService
//!  [svchost.exe]
//!   UDP    [::1]:62261            *:*                                    1036
//! ```
//!
//! i.e. two spaces, protocol padded to 5 plus two spaces, addresses padded to 22 plus one
//! space, state padded to 16, PID; the service name on its own line indented by two spaces, the
//! image in brackets indented by one. Guess: an address longer than 22 characters is followed by
//! a single space (printf `%-22s `); no trailing spaces; nothing after the last entry.

use super::crlf_lines;

/// The command as MSRD-Collect runs it and shows it in the file header.
pub const NETSTAT_COMMAND: &str = "netstat -anob";

/// Transport protocol column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `TCP` (IPv4 and IPv6 alike; netstat prints `TCP` for both).
    Tcp,
    /// `UDP`
    Udp,
}

impl Protocol {
    /// The text netstat prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }
}

/// One connection or listening endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetstatEntry {
    /// Protocol.
    pub proto: Protocol,
    /// Local address and port, e.g. `0.0.0.0:3389`, `[::]:3389`.
    pub local: String,
    /// Remote address and port, e.g. `0.0.0.0:0`, `[::]:0`, `*:*` for UDP.
    pub foreign: String,
    /// TCP state (`LISTENING`, `ESTABLISHED`, `TIME_WAIT`, ...); `None` for UDP.
    pub state: Option<String>,
    /// Owning process id.
    pub pid: u32,
    /// Service name line (`TermService`) when the process hosts services.
    pub owner: Option<String>,
    /// Image name (`svchost.exe`); `None` prints "Can not obtain ownership information".
    pub image: Option<String>,
}

impl NetstatEntry {
    /// A LISTENING TCP endpoint owned by `image` (and `owner` service, if any).
    pub fn tcp_listen(
        local: &str,
        foreign: &str,
        pid: u32,
        owner: Option<&str>,
        image: Option<&str>,
    ) -> NetstatEntry {
        NetstatEntry {
            proto: Protocol::Tcp,
            local: local.to_string(),
            foreign: foreign.to_string(),
            state: Some("LISTENING".to_string()),
            pid,
            owner: owner.map(str::to_string),
            image: image.map(str::to_string),
        }
    }

    /// A UDP endpoint (foreign `*:*`).
    pub fn udp(local: &str, pid: u32, owner: Option<&str>, image: Option<&str>) -> NetstatEntry {
        NetstatEntry {
            proto: Protocol::Udp,
            local: local.to_string(),
            foreign: "*:*".to_string(),
            state: None,
            pid,
            owner: owner.map(str::to_string),
            image: image.map(str::to_string),
        }
    }

    /// The endpoints of a healthy RDP listener on `port` hosted by TermService in `svchost.exe`
    /// with `pid`: TCP and UDP on IPv4 and IPv6.
    pub fn rdp_listener(port: u16, pid: u32) -> Vec<NetstatEntry> {
        let ts = Some("TermService");
        let svchost = Some("svchost.exe");
        vec![
            NetstatEntry::tcp_listen(&format!("0.0.0.0:{port}"), "0.0.0.0:0", pid, ts, svchost),
            NetstatEntry::tcp_listen(&format!("[::]:{port}"), "[::]:0", pid, ts, svchost),
            NetstatEntry::udp(&format!("0.0.0.0:{port}"), pid, ts, svchost),
            NetstatEntry::udp(&format!("[::]:{port}"), pid, ts, svchost),
        ]
    }
}

/// The text of `netstat -anob` for `entries` in the given order (CRLF line ends).
pub fn netstat_anob(entries: &[NetstatEntry]) -> String {
    let mut lines = vec![
        String::new(),
        "Active Connections".to_string(),
        String::new(),
        "  Proto  Local Address          Foreign Address        State           PID".to_string(),
    ];
    for e in entries {
        let state = e.state.as_deref().unwrap_or("");
        lines.push(format!(
            "  {:<5}  {:<22} {:<22} {:<16}{}",
            e.proto.as_str(),
            e.local,
            e.foreign,
            state,
            e.pid
        ));
        if let Some(owner) = &e.owner {
            lines.push(format!("  {owner}"));
        }
        match &e.image {
            Some(image) => lines.push(format!(" [{image}]")),
            None => lines.push(" Can not obtain ownership information".to_string()),
        }
    }
    crlf_lines(lines)
}
