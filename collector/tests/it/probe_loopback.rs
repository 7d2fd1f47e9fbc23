//! The server probe against loopback test servers, one per way an RDP connection can go:
//! a healthy TLS listener, a reset right after the ClientHello, an NLA-required refusal, a
//! TLS alert, a non-RDP service, a port that never answers and a closed port. Everything
//! stays on 127.0.0.1 and every wait is bounded (300 ms for the port that never answers).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ironrdp_pdu::nego::{ConnectionConfirm, ConnectionRequest, FailureCode, ResponseFlags, SecurityProtocol};
use ironrdp_pdu::x224::X224;
use rdpdiag_collect::probe::{Outcome, ProbeReport, probe, probe_schema};
use rdpdiag_schemas::probe::{ProbeOutcome, ProbePhase};

/// For the silent port: the probe must give up this soon.
const TIMEOUT: Duration = Duration::from_millis(300);
/// For servers that do answer: generous, so a loaded CI machine cannot turn an answer into a
/// timeout (they answer in milliseconds, so this costs nothing).
const ANSWERED: Duration = Duration::from_secs(3);

/// Accepts one connection on a fresh loopback port and hands it to `serve`.
fn server<F>(serve: F) -> (SocketAddr, JoinHandle<()>)
where
    F: FnOnce(TcpStream) + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            serve(stream);
        }
    });
    (addr, handle)
}

/// Reads the client's X.224 Connection Request (TPKT-framed) and checks what it offers.
fn read_connection_request(s: &mut TcpStream) {
    let mut head = [0u8; 4];
    s.read_exact(&mut head).unwrap();
    assert_eq!(head[0], 3, "TPKT version");
    let len = u16::from_be_bytes([head[2], head[3]]) as usize;
    let mut pdu = head.to_vec();
    pdu.resize(len, 0);
    s.read_exact(&mut pdu[4..]).unwrap();
    let X224(req) = ironrdp_pdu::decode::<X224<ConnectionRequest>>(&pdu).unwrap();
    assert_eq!(
        req.protocol,
        SecurityProtocol::SSL | SecurityProtocol::HYBRID | SecurityProtocol::HYBRID_EX
    );
    assert!(req.nego_data.is_none(), "no cookie with a user name is sent");
}

fn confirm(s: &mut TcpStream, cc: ConnectionConfirm) {
    s.write_all(&ironrdp_pdu::encode_vec(&X224(cc)).unwrap()).unwrap();
}

fn selected(protocol: SecurityProtocol) -> ConnectionConfirm {
    ConnectionConfirm::Response {
        flags: ResponseFlags::EXTENDED_CLIENT_DATA_SUPPORTED,
        protocol,
    }
}

fn check_schema(report: &ProbeReport) {
    let schema = probe_schema();
    let value = serde_json::to_value(report).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&value).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}\n{value:#}");
}

#[test]
fn healthy_listener_selects_ssl_and_completes_tls() {
    let mut params = rcgen::CertificateParams::new(vec!["rds01.test".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "rds01.test");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let cert_der = cert.der().clone();
    let expected_sha1: String = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &cert_der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert_der.clone()], key_der)
            .unwrap();
    let (addr, h) = server(move |mut s| {
        read_connection_request(&mut s);
        confirm(&mut s, selected(SecurityProtocol::SSL));
        let mut conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
        while conn.is_handshaking() {
            if conn.complete_io(&mut s).is_err() {
                return;
            }
        }
        // Wait for the client's close_notify (or close).
        let _ = conn.complete_io(&mut s);
    });
    let r = probe(&addr.to_string(), ANSWERED);
    h.join().unwrap();
    check_schema(&r);
    assert_eq!(r.tcp.outcome, Outcome::Ok);
    assert!(r.tcp.local.as_deref().unwrap().starts_with("127.0.0.1:"));
    let x = r.x224.as_ref().unwrap();
    assert_eq!(x.outcome, Outcome::Ok);
    assert_eq!(x.selected_protocol.as_deref(), Some("SSL"));
    assert_eq!(x.selected_protocol_value, Some(1));
    let t = r.tls.as_ref().unwrap();
    assert_eq!(t.outcome, Outcome::Ok, "{t:?}");
    assert!(t.version.as_deref().unwrap().starts_with("TLSv1_"), "{t:?}");
    assert!(t.cipher_suite.as_deref().unwrap().starts_with("TLS"), "{t:?}");
    let c = t.certificate.as_ref().unwrap();
    assert_eq!(c.subject, "CN=rds01.test");
    assert!(c.self_signed);
    assert!(!c.expired_or_not_yet_valid);
    assert_eq!(c.sha1_thumbprint, expected_sha1);
    assert_eq!(c.subject_alt_names, ["DNS:rds01.test"]);
    assert!(c.public_key.is_some());
    assert!(r.verdict.contains("TLS handshake completed"), "{}", r.verdict);
    let v = r.client_view.as_ref().unwrap();
    assert_eq!((v.outcome, v.phase), (ProbeOutcome::TlsOk, ProbePhase::Tls));
    assert_eq!(v.client_code, "none");
}

#[test]
fn reset_right_after_client_hello() {
    let (addr, h) = server(|mut s| {
        read_connection_request(&mut s);
        confirm(&mut s, selected(SecurityProtocol::HYBRID));
        // Read only the record header of the ClientHello, then close with the rest unread:
        // the kernel answers with RST instead of FIN (what a dying TermService or an IPS does).
        let mut hdr = [0u8; 5];
        s.read_exact(&mut hdr).unwrap();
        assert_eq!(hdr[0], 0x16, "a TLS handshake record");
        std::thread::sleep(Duration::from_millis(50));
    });
    let r = probe(&addr.to_string(), ANSWERED);
    h.join().unwrap();
    check_schema(&r);
    assert_eq!(
        r.x224.as_ref().unwrap().selected_protocol.as_deref(),
        Some("HYBRID")
    );
    let t = r.tls.as_ref().unwrap();
    assert_eq!(t.outcome, Outcome::Reset, "{t:?}");
    assert!(t.certificate.is_none());
    assert!(r.verdict.contains("reset"), "{}", r.verdict);
    let v = r.client_view.as_ref().unwrap();
    assert_eq!(
        (v.outcome, v.phase),
        (ProbeOutcome::AcceptThenClose, ProbePhase::Tls)
    );
    assert_eq!(v.client_code, "0x904");
    assert!(r.verdict.contains("0x904"), "{}", r.verdict);
    assert_eq!(v.server_causes[0].rule_ids, ["cert-key-unreadable"]);
    assert!(v.server_causes[0].evidence.contains("36870"));
}

#[test]
fn a_plain_disconnect_answer_to_the_client_hello_is_a_server_abort() {
    let (addr, h) = server(|mut s| {
        read_connection_request(&mut s);
        confirm(&mut s, selected(SecurityProtocol::SSL));
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf).unwrap();
        // What xrdp 0.9 sends when its TLS accept fails: TPKT, X.224 Data, MCS Disconnect
        // Provider Ultimatum (MS-RDPBCGR 2.2.2.3), then it closes.
        s.write_all(&[0x03, 0x00, 0x00, 0x09, 0x02, 0xF0, 0x80, 0x21, 0x80])
            .unwrap();
    });
    let r = probe(&addr.to_string(), ANSWERED);
    h.join().unwrap();
    check_schema(&r);
    let t = r.tls.as_ref().unwrap();
    assert_eq!(t.outcome, Outcome::ServerAbort, "{t:?}");
    assert_eq!(
        t.server_pdu.as_deref(),
        Some("an MCS Disconnect Provider Ultimatum")
    );
    assert_eq!(t.response_hex.as_deref(), Some("0300000902F0802180"));
    let v = r.client_view.as_ref().unwrap();
    assert_eq!(
        (v.outcome, v.client_code.as_str()),
        (ProbeOutcome::AcceptThenClose, "0x904")
    );
}

#[test]
fn nla_required_refusal_is_named() {
    let (addr, h) = server(|mut s| {
        read_connection_request(&mut s);
        confirm(
            &mut s,
            ConnectionConfirm::Failure {
                code: FailureCode::HYBRID_REQUIRED_BY_SERVER,
            },
        );
    });
    let r = probe(&addr.to_string(), ANSWERED);
    h.join().unwrap();
    check_schema(&r);
    let x = r.x224.as_ref().unwrap();
    assert_eq!(x.outcome, Outcome::NegotiationFailure);
    assert_eq!(x.failure_code, Some(5));
    assert_eq!(x.failure_name.as_deref(), Some("HYBRID_REQUIRED_BY_SERVER"));
    assert!(r.tls.is_none(), "no TLS after a refusal");
    assert!(r.verdict.contains("HYBRID_REQUIRED_BY_SERVER"));
    assert_eq!(
        r.client_view.as_ref().unwrap().outcome,
        ProbeOutcome::NegotiationRefused
    );
}

#[test]
fn tls_alert_is_reported_with_its_number() {
    let (addr, h) = server(|mut s| {
        read_connection_request(&mut s);
        confirm(&mut s, selected(SecurityProtocol::SSL));
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf).unwrap();
        // Fatal alert 40 (handshake_failure), as Schannel sends when no cipher suite matches.
        s.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40]).unwrap();
        std::thread::sleep(Duration::from_millis(50));
    });
    let r = probe(&addr.to_string(), ANSWERED);
    h.join().unwrap();
    check_schema(&r);
    let t = r.tls.as_ref().unwrap();
    assert_eq!(t.outcome, Outcome::Alert, "{t:?}");
    assert_eq!(t.alert.as_ref().unwrap().value, 40);
    assert_eq!(t.alert.as_ref().unwrap().name, "HandshakeFailure");
    assert_eq!(r.client_view.as_ref().unwrap().outcome, ProbeOutcome::TlsAlert);
}

#[test]
fn a_non_rdp_service_is_recognised() {
    let (addr, h) = server(|mut s| {
        s.write_all(b"SSH-2.0-OpenSSH_9.6\r\n").unwrap();
        let mut buf = [0u8; 64];
        let _ = s.read(&mut buf);
        std::thread::sleep(Duration::from_millis(100));
    });
    let r = probe(&addr.to_string(), ANSWERED);
    h.join().unwrap();
    check_schema(&r);
    let x = r.x224.as_ref().unwrap();
    assert_eq!(x.outcome, Outcome::NotRdp);
    assert_eq!(x.banner.as_deref(), Some("SSH-2.0-OpenSSH_9.6"));
    assert!(x.response_hex.as_deref().unwrap().starts_with("5353482D"));
    assert!(r.tls.is_none());
    assert!(r.verdict.contains("not as an RDP listener"), "{}", r.verdict);
    assert_eq!(r.client_view.as_ref().unwrap().client_code, "0x1104");
}

#[test]
fn a_port_that_never_answers_times_out() {
    let (release, wait) = mpsc::channel::<()>();
    let (addr, h) = server(move |s| {
        // Hold the connection open and silent until the probe is done.
        let _ = wait.recv_timeout(Duration::from_secs(5));
        drop(s);
    });
    let t0 = Instant::now();
    let r = probe(&addr.to_string(), TIMEOUT);
    let took = t0.elapsed();
    release.send(()).unwrap();
    h.join().unwrap();
    check_schema(&r);
    assert_eq!(r.tcp.outcome, Outcome::Ok);
    assert_eq!(r.x224.as_ref().unwrap().outcome, Outcome::Timeout);
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(r.verdict.contains("never answered"), "{}", r.verdict);
    let v = r.client_view.as_ref().unwrap();
    assert_eq!((v.outcome, v.phase), (ProbeOutcome::Timeout, ProbePhase::X224));
}

#[test]
fn a_closed_port_is_refused() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let r = probe(&format!("127.0.0.1:{port}"), ANSWERED);
    check_schema(&r);
    assert_eq!(r.tcp.outcome, Outcome::Refused);
    assert!(r.x224.is_none() && r.tls.is_none());
    let v = r.client_view.as_ref().unwrap();
    assert_eq!(
        (v.outcome, v.client_code.as_str()),
        (ProbeOutcome::Refused, "0x204")
    );
}

#[test]
fn committed_probe_schema_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/probe.v1.schema.json");
    let current = rdpdiag_schemas::render_json(&probe_schema());
    if std::env::var_os("RDPDIAG_BLESS").is_some() {
        std::fs::write(&path, &current).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "collector/schemas/probe.v1.schema.json is stale: rerun with RDPDIAG_BLESS=1"
    );
}
