//! `--server HOST[:PORT]`: what the client's side of the wire sees when it connects.
//!
//! Three phases, each with its own timeout, each recording exactly how it ended:
//! 1. TCP connect (time taken, or refused / timeout / unreachable);
//! 2. X.224 Connection Request with an RDP_NEG_REQ offering SSL | HYBRID | HYBRID_EX
//!    (ironrdp-pdu), and the server's Connection Confirm: the protocol it selected, or the
//!    RDP_NEG_FAILURE code it returned, or that the peer is not an RDP listener at all;
//! 3. a TLS handshake (rustls, ring provider) with a verifier that accepts any certificate and
//!    records it (we diagnose, we do not trust): protocol, cipher suite, certificate facts, or
//!    how the handshake failed (reset, timeout, alert N, eof).
//!
//! The probe stops after the TLS handshake: no CredSSP, no credentials, nothing else is sent.
//! The result is `probe/probe.json` ([`ProbeReport`], schema from [`probe_schema`]).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ironrdp_pdu::nego::{ConnectionConfirm, ConnectionRequest, FailureCode, RequestFlags, SecurityProtocol};
use ironrdp_pdu::x224::X224;
use rdpdiag_schemas::probe::{PhaseOutcomes, ProbeOutcome, ProbePhase, classify, client_view};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the probe.json format.
pub const PROBE_SCHEMA_VERSION: u32 = 1;

pub use crate::plan::{DEFAULT_PORT, split_target};

/// The whole probe result (`probe/probe.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeReport {
    /// Always 1 for this version.
    pub schema_version: u32,
    /// `HOST[:PORT]` as given.
    pub target: String,
    /// Host part.
    pub host: String,
    /// Port probed.
    pub port: u16,
    /// When the probe started, UTC (this host's clock).
    pub started_utc: DateTime<Utc>,
    /// Timeout of each phase, milliseconds.
    pub timeout_ms: u64,
    /// Addresses the host name resolved to, in the order tried.
    pub resolved: Vec<String>,
    /// Phase 1.
    pub tcp: TcpPhase,
    /// Phase 2 (absent when TCP failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x224: Option<X224Phase>,
    /// Phase 3 (absent when the server did not select a TLS-based protocol).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsPhase>,
    /// What a Windows client connecting the same way meets, and what to check on the server
    /// (absent in files of older collectors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_view: Option<ClientViewReport>,
    /// What the probe found and what a Windows client sees, for people.
    pub verdict: String,
}

/// The probe reduced to what a Windows client meets (`rdpdiag_schemas::probe`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientViewReport {
    /// `tls-ok`, `standard-rdp-security`, `negotiation-refused`, `accept-then-close`,
    /// `tls-alert`, `tls-failed`, `not-rdp`, `refused`, `dropped`, `unreachable`, `timeout`,
    /// `resolve-failed`, `error`.
    pub outcome: ProbeOutcome,
    /// The phase the probe ended in: `tcp`, `x224`, `tls`.
    pub phase: ProbePhase,
    /// The disconnect code a Windows client reports (`0x904`, `0x204`, `0x108` ...), `none` or
    /// `unknown`.
    pub client_code: String,
    /// What the client shows and why, with its source.
    pub client_sees: String,
    /// Likely causes on the server, most likely first.
    pub server_causes: Vec<ServerCauseReport>,
}

/// A likely cause on the server and where its evidence is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerCauseReport {
    /// The cause.
    pub cause: String,
    /// Where its evidence is on a Windows server (event log and event ids, registry, files).
    pub evidence: String,
    /// Rule ids of the analyzer's catalog that diagnose it.
    pub rule_ids: Vec<String>,
}

impl ClientViewReport {
    /// The client view of a finished probe.
    pub fn of(r: &ProbeReport) -> ClientViewReport {
        let outcome_name = |o: Outcome| {
            serde_json::to_value(o)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
        };
        let tcp = outcome_name(r.tcp.outcome).unwrap_or_default();
        let x224 = r.x224.as_ref().and_then(|x| outcome_name(x.outcome));
        let tls = r.tls.as_ref().and_then(|t| outcome_name(t.outcome));
        let (outcome, phase) = classify(PhaseOutcomes {
            tcp: &tcp,
            x224: x224.as_deref(),
            selected_protocol: r.x224.as_ref().and_then(|x| x.selected_protocol_value),
            tls: tls.as_deref(),
        });
        let view = client_view(outcome, phase);
        ClientViewReport {
            outcome,
            phase,
            client_code: view.client_code.to_string(),
            client_sees: view.client_sees.to_string(),
            server_causes: view
                .causes
                .iter()
                .map(|c| ServerCauseReport {
                    cause: c.cause.to_string(),
                    evidence: c.evidence.to_string(),
                    rule_ids: c.rule_ids.iter().map(|s| s.to_string()).collect(),
                })
                .collect(),
        }
    }
}

/// How a phase ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Completed.
    Ok,
    /// The name did not resolve.
    ResolveFailed,
    /// TCP RST in answer to SYN (nothing listens).
    Refused,
    /// No answer within the timeout.
    Timeout,
    /// Network or host unreachable.
    Unreachable,
    /// The connection was reset (RST) during the phase.
    Reset,
    /// The peer closed the connection (FIN) during the phase.
    Eof,
    /// X.224: the server answered with RDP_NEG_FAILURE.
    NegotiationFailure,
    /// X.224: what came back is not an RDP Connection Confirm.
    NotRdp,
    /// TLS: the peer sent a fatal alert.
    Alert,
    /// TLS: the handshake failed locally (protocol error, no common version or cipher ...).
    TlsError,
    /// TLS: the server answered the ClientHello with a plain (not TLS) RDP PDU, e.g. an MCS
    /// Disconnect Provider Ultimatum, and closed: it abandoned the handshake.
    ServerAbort,
    /// Any other I/O error.
    Error,
}

/// Phase 1: TCP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TcpPhase {
    /// How it ended.
    pub outcome: Outcome,
    /// Time to connect (or to fail), milliseconds.
    pub elapsed_ms: f64,
    /// Address connected to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// Local address of the connection (this host's address on the path to the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<String>,
    /// Error text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Phase 2: X.224 negotiation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct X224Phase {
    /// How it ended.
    pub outcome: Outcome,
    /// Time from sending the request to the end of the phase, milliseconds.
    pub elapsed_ms: f64,
    /// Protocols offered (`SSL`, `HYBRID`, `HYBRID_EX`).
    pub requested_protocols: Vec<String>,
    /// Protocol the server selected (`RDP` = standard RDP security, no TLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_protocol: Option<String>,
    /// Its numeric value (MS-RDPBCGR 2.2.1.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_protocol_value: Option<u32>,
    /// RDP_NEG_RSP flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_flags: Option<u8>,
    /// RDP_NEG_FAILURE code (MS-RDPBCGR 2.2.1.2.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<u32>,
    /// Its name, e.g. `HYBRID_REQUIRED_BY_SERVER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_name: Option<String>,
    /// First bytes received, hex (for not-RDP and malformed answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_hex: Option<String>,
    /// Printable text of what a non-RDP service sent (e.g. `SSH-2.0-OpenSSH_9.6`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// Error text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Phase 3: TLS handshake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsPhase {
    /// How it ended.
    pub outcome: Outcome,
    /// Handshake time, milliseconds.
    pub elapsed_ms: f64,
    /// Negotiated version (`TLSv1_2`, `TLSv1_3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Negotiated cipher suite (IANA name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher_suite: Option<String>,
    /// Fatal alert received from the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<TlsAlert>,
    /// Error text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// First bytes the server sent, hex, when they were not TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_hex: Option<String>,
    /// What those bytes are, e.g. `MCS Disconnect Provider Ultimatum`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_pdu: Option<String>,
    /// Number of certificates the server sent.
    pub chain_length: usize,
    /// The server's (leaf) certificate, when it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateFacts>,
}

/// A TLS alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsAlert {
    /// AlertDescription number (RFC 5246 7.2, RFC 8446 6), e.g. 40.
    pub value: u8,
    /// Its name, e.g. `HandshakeFailure`.
    pub name: String,
}

/// Facts of the server certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateFacts {
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// Start of validity, UTC.
    pub not_before_utc: DateTime<Utc>,
    /// End of validity, UTC.
    pub not_after_utc: DateTime<Utc>,
    /// Whether the probe time was outside the validity period.
    pub expired_or_not_yet_valid: bool,
    /// Subject equals issuer (e.g. RDP's self-signed certificate).
    pub self_signed: bool,
    /// SHA-1 thumbprint, upper-case hex without separators (as `SSLCertificateSHA1Hash` and
    /// certutil's "Cert Hash(sha1)" compare).
    pub sha1_thumbprint: String,
    /// SHA-256 thumbprint, upper-case hex.
    pub sha256_thumbprint: String,
    /// DNS names and IP addresses of the subjectAltName extension.
    pub subject_alt_names: Vec<String>,
    /// Signature algorithm OID.
    pub signature_algorithm: String,
    /// Public key, e.g. `RSA 2048`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// Whether the EKU extension allows Server Authentication (`None`: no EKU extension, which
    /// allows any use).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_auth_eku: Option<bool>,
}

/// The JSON Schema of `probe/probe.json`.
pub fn probe_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(ProbeReport)).unwrap_or(serde_json::Value::Null)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

fn classify_io(e: &std::io::Error) -> Outcome {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => Outcome::Refused,
        K::TimedOut | K::WouldBlock => Outcome::Timeout,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => Outcome::Reset,
        K::UnexpectedEof => Outcome::Eof,
        K::HostUnreachable | K::NetworkUnreachable | K::AddrNotAvailable => Outcome::Unreachable,
        _ => Outcome::Error,
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn protocol_names(p: SecurityProtocol) -> Vec<String> {
    let mut v = Vec::new();
    for (flag, name) in [
        (SecurityProtocol::SSL, "SSL"),
        (SecurityProtocol::HYBRID, "HYBRID"),
        (SecurityProtocol::RDSTLS, "RDSTLS"),
        (SecurityProtocol::HYBRID_EX, "HYBRID_EX"),
        (SecurityProtocol::RDSAAD, "RDSAAD"),
    ] {
        if p.contains(flag) {
            v.push(name.to_string());
        }
    }
    v
}

fn failure_name(code: u32) -> String {
    match code {
        1 => "SSL_REQUIRED_BY_SERVER",
        2 => "SSL_NOT_ALLOWED_BY_SERVER",
        3 => "SSL_CERT_NOT_ON_SERVER",
        4 => "INCONSISTENT_FLAGS",
        5 => "HYBRID_REQUIRED_BY_SERVER",
        6 => "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER",
        7 => "ENTRA_AUTH_REQUIRED_BY_SERVER",
        _ => "UNKNOWN",
    }
    .to_string()
}

/// Runs the probe against `target` with `timeout` per phase.
pub fn probe(target: &str, timeout: Duration) -> ProbeReport {
    let started_utc = Utc::now();
    let mut report = ProbeReport {
        schema_version: PROBE_SCHEMA_VERSION,
        target: target.to_string(),
        host: String::new(),
        port: DEFAULT_PORT,
        started_utc,
        timeout_ms: timeout.as_millis() as u64,
        resolved: Vec::new(),
        tcp: TcpPhase {
            outcome: Outcome::Error,
            elapsed_ms: 0.0,
            peer: None,
            local: None,
            error: None,
        },
        x224: None,
        tls: None,
        client_view: None,
        verdict: String::new(),
    };
    let (host, port) = match split_target(target) {
        Ok(hp) => hp,
        Err(e) => {
            report.tcp.outcome = Outcome::ResolveFailed;
            report.tcp.error = Some(e);
            report.client_view = Some(ClientViewReport::of(&report));
            report.verdict = verdict(&report);
            return report;
        }
    };
    report.host = host.clone();
    report.port = port;
    let t0 = Instant::now();
    let addrs: Vec<SocketAddr> = match (host.as_str(), port).to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => {
            report.tcp.outcome = Outcome::ResolveFailed;
            report.tcp.elapsed_ms = ms(t0.elapsed());
            report.tcp.error = Some(e.to_string());
            report.client_view = Some(ClientViewReport::of(&report));
            report.verdict = verdict(&report);
            return report;
        }
    };
    report.resolved = addrs.iter().map(ToString::to_string).collect();
    let Some(mut stream) = connect(&addrs, timeout, &mut report.tcp) else {
        report.client_view = Some(ClientViewReport::of(&report));
        report.verdict = verdict(&report);
        return report;
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    let _ = stream.set_nodelay(true);
    let x224 = negotiate(&mut stream);
    let tls_wanted = x224.outcome == Outcome::Ok
        && x224.selected_protocol_value.is_some_and(|p| {
            p & (SecurityProtocol::SSL | SecurityProtocol::HYBRID | SecurityProtocol::HYBRID_EX).bits() != 0
        });
    report.x224 = Some(x224);
    if tls_wanted {
        report.tls = Some(tls_handshake(&mut stream, &host, timeout, started_utc));
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
    report.client_view = Some(ClientViewReport::of(&report));
    report.verdict = verdict(&report);
    report
}

fn connect(addrs: &[SocketAddr], timeout: Duration, tcp: &mut TcpPhase) -> Option<TcpStream> {
    let t0 = Instant::now();
    if addrs.is_empty() {
        tcp.outcome = Outcome::ResolveFailed;
        tcp.error = Some("the name resolved to no address".into());
        return None;
    }
    for addr in addrs {
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(s) => {
                tcp.outcome = Outcome::Ok;
                tcp.elapsed_ms = ms(t0.elapsed());
                tcp.peer = Some(addr.to_string());
                tcp.local = s.local_addr().ok().map(|a| a.to_string());
                tcp.error = None;
                return Some(s);
            }
            Err(e) => {
                tcp.outcome = classify_io(&e);
                tcp.peer = Some(addr.to_string());
                tcp.error = Some(e.to_string());
            }
        }
    }
    tcp.elapsed_ms = ms(t0.elapsed());
    None
}

fn negotiate(stream: &mut TcpStream) -> X224Phase {
    let offered = SecurityProtocol::SSL | SecurityProtocol::HYBRID | SecurityProtocol::HYBRID_EX;
    let mut phase = X224Phase {
        outcome: Outcome::Error,
        elapsed_ms: 0.0,
        requested_protocols: protocol_names(offered),
        selected_protocol: None,
        selected_protocol_value: None,
        response_flags: None,
        failure_code: None,
        failure_name: None,
        response_hex: None,
        banner: None,
        error: None,
    };
    let t0 = Instant::now();
    // No cookie / routing token: a user name in `mstshash=` is not needed to negotiate.
    let request = X224(ConnectionRequest {
        nego_data: None,
        flags: RequestFlags::empty(),
        protocol: offered,
        correlation_info: None,
    });
    let bytes = match ironrdp_pdu::encode_vec(&request) {
        Ok(b) => b,
        Err(e) => {
            phase.error = Some(format!("encoding the Connection Request failed: {e}"));
            return phase;
        }
    };
    if let Err(e) = stream.write_all(&bytes) {
        phase.outcome = classify_io(&e);
        phase.error = Some(format!("sending the Connection Request: {e}"));
        phase.elapsed_ms = ms(t0.elapsed());
        return phase;
    }
    let mut header = [0u8; 4];
    if let Err(e) = read_exact_counted(stream, &mut header, &mut phase) {
        phase.outcome = classify_io(&e);
        phase.error = Some(format!("waiting for the Connection Confirm: {e}"));
        phase.elapsed_ms = ms(t0.elapsed());
        return phase;
    }
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if header[0] != 3 || !(11..=512).contains(&len) {
        // Not a TPKT: read what else the service says, to name it.
        let mut more = vec![0u8; 256];
        let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
        let n = stream.read(&mut more).unwrap_or(0);
        let mut all = header.to_vec();
        all.extend_from_slice(&more[..n]);
        phase.outcome = Outcome::NotRdp;
        phase.response_hex = Some(hex_upper(&all[..all.len().min(64)]));
        phase.banner = printable(&all);
        phase.error = Some("the answer is not a TPKT-framed X.224 Connection Confirm".into());
        phase.elapsed_ms = ms(t0.elapsed());
        return phase;
    }
    let mut pdu = header.to_vec();
    pdu.resize(len, 0);
    if let Err(e) = read_exact_counted(stream, &mut pdu[4..], &mut phase) {
        phase.outcome = classify_io(&e);
        phase.error = Some(format!("reading the Connection Confirm: {e}"));
        phase.response_hex = Some(hex_upper(&header));
        phase.elapsed_ms = ms(t0.elapsed());
        return phase;
    }
    phase.elapsed_ms = ms(t0.elapsed());
    match ironrdp_pdu::decode::<X224<ConnectionConfirm>>(&pdu) {
        Ok(X224(ConnectionConfirm::Response { flags, protocol })) => {
            phase.outcome = Outcome::Ok;
            phase.selected_protocol = Some(if protocol.is_standard_rdp_security() {
                "RDP".to_string()
            } else {
                protocol_names(protocol).join("|")
            });
            phase.selected_protocol_value = Some(protocol.bits());
            phase.response_flags = Some(flags.bits());
        }
        Ok(X224(ConnectionConfirm::Failure { code })) => {
            let value = u32::from(code);
            phase.outcome = Outcome::NegotiationFailure;
            phase.failure_code = Some(value);
            phase.failure_name = Some(failure_name(value));
            phase.error = Some(FailureCode::from(value).to_string());
        }
        Err(e) => {
            phase.outcome = Outcome::NotRdp;
            phase.response_hex = Some(hex_upper(&pdu[..pdu.len().min(64)]));
            phase.error = Some(format!("malformed Connection Confirm: {e}"));
        }
    }
    phase
}

/// `read_exact` that reports a clean close as `UnexpectedEof` and keeps the bytes seen.
fn read_exact_counted(stream: &mut TcpStream, buf: &mut [u8], phase: &mut X224Phase) -> std::io::Result<()> {
    let mut n = 0;
    while n < buf.len() {
        match stream.read(&mut buf[n..]) {
            Ok(0) => {
                if n > 0 {
                    phase.response_hex = Some(hex_upper(&buf[..n]));
                }
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ));
            }
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn printable(bytes: &[u8]) -> Option<String> {
    let text: String = String::from_utf8_lossy(bytes)
        .chars()
        .take_while(|c| !c.is_control() || *c == '\t')
        .collect();
    let text = text.trim().to_string();
    (text.len() >= 3).then_some(text)
}

/// Accepts any certificate chain and keeps it (the probe reports the certificate; it does not
/// decide whether to trust it). Handshake signatures are still verified, so the recorded
/// certificate is the one whose key signed the handshake.
#[derive(Debug)]
struct RecordingVerifier {
    provider: Arc<rustls::crypto::CryptoProvider>,
    seen: Mutex<Vec<CertificateDer<'static>>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.clear();
            seen.push(end_entity.clone().into_owned());
            seen.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn tls_handshake(stream: &mut TcpStream, host: &str, timeout: Duration, now: DateTime<Utc>) -> TlsPhase {
    let mut phase = TlsPhase {
        outcome: Outcome::Error,
        elapsed_ms: 0.0,
        version: None,
        cipher_suite: None,
        alert: None,
        error: None,
        response_hex: None,
        server_pdu: None,
        chain_length: 0,
        certificate: None,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(RecordingVerifier {
        provider: provider.clone(),
        seen: Mutex::new(Vec::new()),
    });
    let config = match ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions() {
        Ok(b) => b
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth(),
        Err(e) => {
            phase.outcome = Outcome::TlsError;
            phase.error = Some(e.to_string());
            return phase;
        }
    };
    let server_name = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => ServerName::try_from(host.to_string()).unwrap_or_else(|_| {
            // Names rustls rejects (e.g. with `_`) are still probed: SNI is not needed by RDP.
            let ip = stream
                .peer_addr()
                .map(|a| a.ip())
                .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
            ServerName::IpAddress(ip.into())
        }),
    };
    let mut conn = match ClientConnection::new(Arc::new(config), server_name) {
        Ok(c) => c,
        Err(e) => {
            phase.outcome = Outcome::TlsError;
            phase.error = Some(e.to_string());
            return phase;
        }
    };
    let t0 = Instant::now();
    let mut stream = FirstBytes {
        inner: stream,
        first: Vec::new(),
    };
    let stream = &mut stream;
    let result = loop {
        if !conn.is_handshaking() {
            break Ok(());
        }
        if t0.elapsed() > timeout {
            break Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "TLS handshake deadline",
            ));
        }
        match conn.complete_io(stream) {
            Ok((0, 0)) if conn.is_handshaking() && !conn.wants_write() => {
                break Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the server closed the connection during the TLS handshake",
                ));
            }
            Ok(_) => {}
            Err(e) => break Err(e),
        }
    };
    phase.elapsed_ms = ms(t0.elapsed());
    let chain = verifier.seen.lock().map(|s| s.clone()).unwrap_or_default();
    phase.chain_length = chain.len();
    phase.certificate = chain.first().and_then(|c| certificate_facts(c.as_ref(), now));
    match result {
        Ok(()) => {
            phase.outcome = Outcome::Ok;
            phase.version = conn.protocol_version().map(|v| format!("{v:?}"));
            phase.cipher_suite = conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite()));
            // Be polite: tell the server we are done.
            conn.send_close_notify();
            let _ = conn.complete_io(stream);
        }
        Err(e) => {
            let tls_error = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .cloned();
            match tls_error {
                Some(rustls::Error::AlertReceived(alert)) => {
                    phase.outcome = Outcome::Alert;
                    phase.alert = Some(TlsAlert {
                        value: u8::from(alert),
                        name: format!("{alert:?}"),
                    });
                    phase.error = Some(format!(
                        "the server sent fatal alert {} ({alert:?})",
                        u8::from(alert)
                    ));
                }
                Some(other) => {
                    let first = &stream.first;
                    // TLS records start with a content type of 20..=24 (RFC 8446 5.1); a TPKT
                    // header (version 3, RFC 1006 / T.123 8) means the server dropped out of TLS.
                    if first.len() >= 4 && first[0] == 3 && first[1] == 0 {
                        let pdu = plain_pdu_name(first);
                        phase.outcome = Outcome::ServerAbort;
                        phase.error = Some(format!(
                            "the server answered the ClientHello with {pdu} in plain text and closed: it abandoned the TLS handshake ({other})"
                        ));
                        phase.server_pdu = Some(pdu.to_string());
                    } else {
                        phase.outcome = Outcome::TlsError;
                        phase.error = Some(other.to_string());
                    }
                    if !first.is_empty() && !(20..=24).contains(&first[0]) {
                        phase.response_hex = Some(hex_upper(first));
                    }
                }
                None => {
                    phase.outcome = classify_io(&e);
                    phase.error = Some(e.to_string());
                }
            }
        }
    }
    phase
}

/// The TLS phase's stream, keeping the first bytes the server sent, to name an answer that is
/// not TLS.
struct FirstBytes<'a> {
    inner: &'a mut TcpStream,
    first: Vec<u8>,
}

/// How many of the server's first bytes are kept.
const FIRST_BYTES: usize = 64;

impl Read for FirstBytes<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let room = FIRST_BYTES.saturating_sub(self.first.len());
        self.first.extend_from_slice(&buf[..n.min(room)]);
        Ok(n)
    }
}

impl Write for FirstBytes<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Names a TPKT-framed PDU a server sent instead of TLS.
fn plain_pdu_name(b: &[u8]) -> &'static str {
    // X.224 Class 0 Data TPDU (02 F0 80) carrying a PER-encoded MCS Disconnect Provider
    // Ultimatum: DomainMCSPDU choice 8 in the top six bits (MS-RDPBCGR 2.2.2.3,
    // https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/53a2d2de-57a5-4bc9-9673-35d68d23d902;
    // xrdp sends it when its TLS accept fails).
    if b.get(4..7) == Some(&[0x02, 0xF0, 0x80][..]) && b.get(7).map(|x| x >> 2) == Some(8) {
        "an MCS Disconnect Provider Ultimatum"
    } else if b.get(5).map(|x| x & 0xF0) == Some(0x80) {
        // X.224 Disconnect Request TPDU code 1000 xxxx (ITU-T X.224 13.5; inference from the
        // TPDU code table, no RDP server seen sending it here).
        "an X.224 Disconnect Request"
    } else {
        "a TPKT-framed PDU"
    }
}

/// Subject, issuer, validity, thumbprints and SANs of a DER certificate.
pub fn certificate_facts(der: &[u8], now: DateTime<Utc>) -> Option<CertificateFacts> {
    use x509_parser::prelude::*;
    let (_, cert) = parse_x509_certificate(der).ok()?;
    let to_utc = |t: &ASN1Time| DateTime::<Utc>::from_timestamp(t.timestamp(), 0);
    let not_before_utc = to_utc(&cert.validity().not_before)?;
    let not_after_utc = to_utc(&cert.validity().not_after)?;
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                GeneralName::DNSName(d) => sans.push(format!("DNS:{d}")),
                GeneralName::IPAddress(b) => {
                    let ip = match b.len() {
                        4 => <[u8; 4]>::try_from(*b)
                            .ok()
                            .map(|a| std::net::IpAddr::from(a).to_string()),
                        16 => <[u8; 16]>::try_from(*b)
                            .ok()
                            .map(|a| std::net::IpAddr::from(a).to_string()),
                        _ => None,
                    };
                    sans.push(format!("IP:{}", ip.unwrap_or_else(|| hex_upper(b))));
                }
                other => sans.push(format!("{other}")),
            }
        }
    }
    let public_key = cert.public_key().parsed().ok().map(|k| match k {
        x509_parser::public_key::PublicKey::RSA(r) => format!("RSA {}", r.key_size()),
        x509_parser::public_key::PublicKey::EC(e) => format!("EC {}", e.key_size()),
        _ => "other".to_string(),
    });
    let subject = cert.subject().to_string();
    let issuer = cert.issuer().to_string();
    Some(CertificateFacts {
        self_signed: subject == issuer,
        subject,
        issuer,
        serial: cert.raw_serial_as_string().replace(':', "").to_uppercase(),
        expired_or_not_yet_valid: now < not_before_utc || now > not_after_utc,
        not_before_utc,
        not_after_utc,
        sha1_thumbprint: hex_upper(
            ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref(),
        ),
        sha256_thumbprint: hex_upper(ring::digest::digest(&ring::digest::SHA256, der).as_ref()),
        subject_alt_names: sans,
        signature_algorithm: cert.signature_algorithm.algorithm.to_id_string(),
        public_key,
        server_auth_eku: cert
            .extended_key_usage()
            .ok()
            .flatten()
            .map(|e| e.value.server_auth || e.value.any),
    })
}

/// What the probe found, then what a Windows client connecting the same way sees and the likely
/// causes on the server with their rule ids (from [`ProbeReport::client_view`]).
pub fn verdict(r: &ProbeReport) -> String {
    let found = finding(r);
    let Some(view) = &r.client_view else {
        return found;
    };
    let mut out = format!("{found}. Windows client: {}", view.client_sees);
    if !view.server_causes.is_empty() {
        let causes: Vec<String> = view
            .server_causes
            .iter()
            .map(|c| format!("{} [{}]", c.cause, c.rule_ids.join(", ")))
            .collect();
        let label = if view.client_code == "none" {
            "If a client still fails, look at"
        } else {
            "Likely on the server"
        };
        out.push_str(&format!(". {label}: {}", causes.join("; ")));
    }
    out
}

/// One sentence saying what the probe found, in the terms of the field guide.
fn finding(r: &ProbeReport) -> String {
    let endpoint = format!("{}:{}", r.host, r.port);
    match r.tcp.outcome {
        Outcome::Ok => {}
        Outcome::ResolveFailed => {
            return format!(
                "{} could not be resolved: {}",
                r.target,
                r.tcp.error.clone().unwrap_or_default()
            );
        }
        Outcome::Refused => {
            return format!(
                "TCP connection to {endpoint} refused: nothing listens on that port (listener stopped, port changed) or a firewall rejects it"
            );
        }
        Outcome::Timeout => {
            return format!(
                "TCP connection to {endpoint} timed out: the port is filtered, the host is down or unreachable"
            );
        }
        _ => {
            return format!(
                "TCP connection to {endpoint} failed: {}",
                r.tcp.error.clone().unwrap_or_default()
            );
        }
    }
    let Some(x) = &r.x224 else {
        return format!("TCP connected to {endpoint} in {:.1} ms", r.tcp.elapsed_ms);
    };
    match x.outcome {
        Outcome::Ok => {}
        Outcome::NegotiationFailure => {
            return format!(
                "{endpoint} is an RDP listener but refused the negotiation: {} ({})",
                x.failure_name.clone().unwrap_or_default(),
                x.error.clone().unwrap_or_default()
            );
        }
        Outcome::NotRdp => {
            return format!(
                "{endpoint} answered, but not as an RDP listener{}: another service owns the port, or a proxy/IPS is in the path",
                x.banner.as_ref().map(|b| format!(" ({b})")).unwrap_or_default()
            );
        }
        Outcome::Reset => {
            return format!(
                "{endpoint} accepted TCP and reset the connection on the X.224 Connection Request: a firewall/IPS/antivirus or a broken listener"
            );
        }
        Outcome::Eof => {
            return format!(
                "{endpoint} accepted TCP and closed the connection on the X.224 Connection Request"
            );
        }
        Outcome::Timeout => {
            return format!(
                "{endpoint} accepted TCP but never answered the X.224 Connection Request within {} ms",
                r.timeout_ms
            );
        }
        _ => {
            return format!(
                "X.224 negotiation with {endpoint} failed: {}",
                x.error.clone().unwrap_or_default()
            );
        }
    }
    let selected = x.selected_protocol.clone().unwrap_or_default();
    let Some(t) = &r.tls else {
        return format!(
            "{endpoint} selected {selected} (standard RDP security, no TLS), so there is no TLS handshake to probe"
        );
    };
    match t.outcome {
        Outcome::Ok => {
            let cert = t
                .certificate
                .as_ref()
                .map(|c| {
                    format!(
                        "; certificate {} valid {} to {}{}, SHA-1 {}",
                        c.subject,
                        c.not_before_utc.format("%Y-%m-%d"),
                        c.not_after_utc.format("%Y-%m-%d"),
                        if c.expired_or_not_yet_valid {
                            " (EXPIRED or not yet valid)"
                        } else {
                            ""
                        },
                        c.sha1_thumbprint
                    )
                })
                .unwrap_or_default();
            format!(
                "{endpoint} selected {selected}; TLS handshake completed ({}, {}){cert}",
                t.version.clone().unwrap_or_default(),
                t.cipher_suite.clone().unwrap_or_default()
            )
        }
        Outcome::Reset => format!(
            "{endpoint} selected {selected}, then reset the connection during the TLS handshake (right after the ClientHello)"
        ),
        Outcome::Eof => {
            format!("{endpoint} selected {selected}, then closed the connection during the TLS handshake")
        }
        Outcome::ServerAbort => format!(
            "{endpoint} selected {selected}, then answered the TLS ClientHello with {} in plain text and closed: it accepted the connection and abandoned the handshake",
            t.server_pdu.clone().unwrap_or_else(|| "a non-TLS PDU".into())
        ),
        Outcome::Timeout => format!(
            "{endpoint} selected {selected}, then the TLS handshake got no answer within {} ms",
            r.timeout_ms
        ),
        Outcome::Alert => format!(
            "{endpoint} selected {selected}, then ended the TLS handshake with alert {} ({})",
            t.alert.as_ref().map(|a| a.value).unwrap_or_default(),
            t.alert.as_ref().map(|a| a.name.clone()).unwrap_or_default()
        ),
        _ => format!(
            "{endpoint} selected {selected}, then the TLS handshake failed: {}",
            t.error.clone().unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_an_rdp_neg_req() {
        let req = X224(ConnectionRequest {
            nego_data: None,
            flags: RequestFlags::empty(),
            protocol: SecurityProtocol::SSL | SecurityProtocol::HYBRID | SecurityProtocol::HYBRID_EX,
            correlation_info: None,
        });
        let b = ironrdp_pdu::encode_vec(&req).unwrap();
        // TPKT v3, length 19; X.224 CR (0xE0); RDP_NEG_REQ type 1, length 8, protocols 0x0B.
        assert_eq!(
            b,
            [3, 0, 0, 19, 14, 0xE0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 0x0B, 0, 0, 0]
        );
    }

    #[test]
    fn schema_names_the_phases() {
        let s = probe_schema().to_string();
        for word in ["tcp", "x224", "tls", "sha1_thumbprint", "failure_code", "not-rdp"] {
            assert!(s.contains(word), "{word}");
        }
    }
}
