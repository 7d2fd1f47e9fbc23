#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Text artifact parsers against the samples' writers (which follow real Windows output), in
//! UTF-8, UTF-16LE with BOM and MSRD's framed form; ETL headers of the corpus traces; and
//! garbage, truncated and huge-line input.

use std::path::PathBuf;

use chrono::NaiveDate;
use rdpdiag::text_artifacts::certutil::KeyState;
use rdpdiag::text_artifacts::{
    DateOrder, acl_list, certutil, etl_header, is_ambiguous_date, netsh_rules, netstat, tracerpt, w32tm,
};
use rdpdiag_samples::text::{
    self as wt, AclEntry, CertificateInfo, ChainVerdict, FirewallAction, NetstatEntry, PrivateKeyState,
    W32tmStatus,
};

fn corpus() -> Option<PathBuf> {
    crate::common::corpus_with("etl")
}

fn at(y: i32, m: u32, d: u32, h: u32, mi: u32) -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, mi, 0)
        .unwrap()
}

/// The three encodings a text artifact arrives in: our collector's UTF-8, a user's Out-File
/// (UTF-16LE with BOM), and MSRD-Collect's framed Out-File.
fn encodings(command: &str, text: &str) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("utf8", text.as_bytes().to_vec()),
        ("utf16", wt::to_utf16le_bom(text)),
        (
            "msrd",
            wt::to_utf16le_bom(&wt::msrd_command_block(at(2024, 1, 15, 10, 0), command, text)),
        ),
    ]
}

const GUID: &str = "5a1e6b0c-7d3f-4e21-9a8b-0c1d2e3f4a5b";

#[test]
fn certutil_dump_every_field() {
    let thumb: [u8; 20] = core::array::from_fn(|i| (i as u8) * 11 + 1);
    let rdp = CertificateInfo::rdp_self_signed("srv01.corp.contoso.com", GUID, at(2024, 1, 2, 3, 4), thumb);
    let mut custom = CertificateInfo {
        serial: "1a2b3c".into(),
        issuer: "CN=Contoso Issuing CA, DC=corp, DC=contoso, DC=com".into(),
        subject: "CN=srv01.corp.contoso.com".into(),
        not_before: at(2023, 5, 1, 9, 30),
        not_after: at(2024, 5, 1, 21, 15),
        sha1_thumbprint: [0xAB; 20],
        key_container: Some("le-1234".into()),
        provider: Some("Microsoft RSA SChannel Cryptographic Provider".into()),
        private_key: PrivateKeyState::access_denied(),
        eku: vec!["1.3.6.1.5.5.7.3.1".into()],
        dns_names: vec!["srv01.corp.contoso.com".into(), "rdp.contoso.com".into()],
        chain: ChainVerdict::Expired,
        ..CertificateInfo::default()
    };
    let missing = CertificateInfo {
        sha1_thumbprint: [0x01; 20],
        subject: "CN=old".into(),
        issuer: "CN=old".into(),
        key_container: None,
        private_key: PrivateKeyState::Missing,
        ..CertificateInfo::default()
    };
    custom.unique_container = None;
    let text = wt::certutil_verifystore("MY", &[rdp.clone(), custom.clone(), missing]);
    for (enc, bytes) in encodings(&wt::certutil_verifystore_command("MY"), &text) {
        // Without the host's culture every date here (1/2/2024, 5/1/2023 ...) is ambiguous:
        // unknown, with a problem on its line, never a guess.
        let blind = certutil::parse(&bytes).unwrap();
        assert_eq!(blind.certificates[0].not_before_local, None, "{enc}");
        assert!(
            blind
                .problems
                .iter()
                .any(|p| is_ambiguous_date(p) && p.line().is_some()),
            "{enc}: {:?}",
            blind.problems
        );
        // The writer prints en-US (the manifest's format culture).
        let d = certutil::parse_in(&bytes, Some(DateOrder::MonthFirst)).unwrap();
        assert_eq!(d.store.as_deref(), Some("MY"), "{enc}");
        assert!(d.completed, "{enc}");
        assert_eq!(d.certificates.len(), 3, "{enc}");
        let c0 = &d.certificates[0];
        assert_eq!(
            c0.thumbprint.as_deref(),
            Some(rdp.thumbprint_hex_upper().as_str())
        );
        assert_eq!(c0.subject.as_deref(), Some("CN=srv01.corp.contoso.com"));
        assert_eq!(c0.issuer.as_deref(), Some("CN=srv01.corp.contoso.com"));
        assert_eq!(c0.not_before_local, Some(at(2024, 1, 2, 3, 4)));
        assert_eq!(c0.not_after_local, Some(rdp.not_after));
        assert_eq!(c0.not_before_text.as_deref(), Some("1/2/2024 3:04 AM"));
        assert_eq!(c0.key_container.as_deref(), Some("TSSecKeySet1"));
        assert_eq!(
            c0.unique_container.as_deref(),
            Some(format!("f686aace6942fb7f7ceb231212eef4a4_{GUID}").as_str())
        );
        assert_eq!(
            c0.provider.as_deref(),
            Some("Microsoft Enhanced Cryptographic Provider v1.0")
        );
        assert_eq!(c0.key, KeyState::Present);
        assert!(c0.self_signed);
        assert_eq!(c0.eku, vec!["1.3.6.1.5.5.7.3.1"]);
        assert!(c0.chain_errors.iter().any(|e| e.contains("CERT_E_UNTRUSTEDROOT")));
        assert_eq!(c0.serial.as_deref(), Some(rdp.serial.as_str()));

        let c1 = &d.certificates[1];
        assert_eq!(c1.thumbprint.as_deref(), Some("AB".repeat(20).as_str()));
        assert_eq!(
            c1.issuer.as_deref(),
            Some("CN=Contoso Issuing CA, DC=corp, DC=contoso, DC=com")
        );
        assert_eq!(c1.serial.as_deref(), Some("1a2b3c"));
        assert_eq!(c1.not_after_local, Some(at(2024, 5, 1, 21, 15)));
        assert!(matches!(&c1.key, KeyState::Unreadable { error } if error.contains("0x80070005")));
        assert!(c1.chain_says_expired());
        assert_eq!(c1.dns_names, vec!["srv01.corp.contoso.com", "rdp.contoso.com"]);
        assert_eq!(c1.expired_at(at(2024, 6, 1, 0, 0)), Some(true));

        let c2 = &d.certificates[2];
        assert_eq!(c2.key, KeyState::Missing);
        assert!(c2.key_container.is_none());
    }
    // The Remote Desktop store takes its name from MSRD's command line.
    let text = wt::certutil_verifystore("Remote Desktop", &[rdp]);
    let framed = encodings(&wt::certutil_verifystore_command("Remote Desktop"), &text);
    assert_eq!(
        certutil::parse(&framed[2].1).unwrap().store.as_deref(),
        Some("Remote Desktop")
    );
    assert_eq!(
        certutil::parse(&framed[0].1).unwrap().store.as_deref(),
        Some("Remote Desktop")
    );
}

#[test]
fn machinekeys_acl_rdp_key_network_service() {
    let folder = wt::machinekeys_folder_default_acl();
    let healthy = wt::rdp_key_file_default_acl();
    let broken = wt::without_identity(&healthy, r"NT AUTHORITY\NETWORK SERVICE");
    for (key_acl, expect) in [(&healthy, true), (&broken, false)] {
        let text = wt::acl_machinekeys_file(at(2024, 1, 15, 10, 0), &folder, key_acl);
        // The bundle carries it as written (UTF-8, two MSRD frames); MSRD wraps it once more.
        for (enc, bytes) in encodings("Get-Acl MachineKeys | Select -ExpandProperty Access", &text) {
            let f = acl_list::parse(&bytes).unwrap();
            assert!(f.problems.is_empty(), "{enc}: {:?}", f.problems);
            assert_eq!(f.objects.len(), 2, "{enc}: {:?}", f.objects);
            let folder_obj = f.objects.iter().find(|o| o.is_machinekeys_folder()).unwrap();
            assert_eq!(folder_obj.entries.len(), 2);
            assert_eq!(folder_obj.entries[0].identity, "Everyone");
            assert_eq!(folder_obj.entries[0].rights, "Write, Read, Synchronize");
            assert_eq!(folder_obj.entries[0].inherited, Some(false));
            let key = f.objects.iter().find(|o| o.is_rdp_key_file()).unwrap();
            assert_eq!(key.entries.len(), key_acl.len());
            assert_eq!(key.network_service_can_read(), Some(expect), "{enc}");
            assert_eq!(key.network_service_explicit_read(), expect);
        }
    }
    // A long identity wrapped over two lines is joined.
    let long = AclEntry::allow("FullControl", &format!("CONTOSO\\{}", "x".repeat(150)));
    let text = wt::access_rules_format_list(std::slice::from_ref(&long));
    let f = acl_list::parse(text.as_bytes()).unwrap();
    assert_eq!(f.objects[0].entries[0].identity, long.identity);
    assert!(f.objects[0].path.is_none());
}

#[test]
fn netstat_rows_and_owners() {
    let mut rows = NetstatEntry::rdp_listener(3390, 1111);
    rows.push(NetstatEntry::tcp_listen(
        "0.0.0.0:3389",
        "0.0.0.0:0",
        5120,
        None,
        Some("nginx.exe"),
    ));
    rows.push(NetstatEntry::tcp_listen(
        "0.0.0.0:445",
        "0.0.0.0:0",
        4,
        None,
        None,
    ));
    rows.push(NetstatEntry::udp(
        "[::1]:62261",
        1036,
        Some("Dnscache"),
        Some("svchost.exe"),
    ));
    let text = wt::netstat_anob(&rows);
    for (enc, bytes) in encodings(wt::NETSTAT_COMMAND, &text) {
        let n = netstat::parse(&bytes).unwrap();
        assert!(n.problems.is_empty(), "{enc}: {:?}", n.problems);
        assert_eq!(n.rows.len(), rows.len());
        let owners: Vec<String> = n.tcp_listeners(3389).iter().map(|r| r.owner()).collect();
        assert_eq!(owners, vec!["nginx.exe"]);
        let rdp = n.tcp_listeners(3390);
        assert_eq!(rdp.len(), 2);
        assert_eq!(rdp[0].service.as_deref(), Some("TermService"));
        assert_eq!(rdp[0].image.as_deref(), Some("svchost.exe"));
        assert_eq!(rdp[0].pid, Some(1111));
        let system = n.tcp_listeners(445);
        assert!(system[0].ownership_unknown);
        let udp = n.rows.iter().find(|r| r.local == "[::1]:62261").unwrap();
        assert_eq!(udp.state, None);
        assert_eq!(udp.pid, Some(1036));
        assert_eq!(udp.service.as_deref(), Some("Dnscache"));
    }
}

#[test]
fn netsh_rules_blocks() {
    let mut rules = wt::default_rdp_rules();
    rules[1].enabled = false;
    rules.push(wt::FirewallRule {
        name: "Block RDP from lab".into(),
        action: FirewallAction::Block,
        grouping: String::new(),
        local_port: "3389,3390-3392".into(),
        ..rules[0].clone()
    });
    let text = wt::netsh_show_rules(&rules);
    for (enc, bytes) in encodings(wt::NETSH_SHOW_RULES_COMMAND, &text) {
        let r = netsh_rules::parse(&bytes).unwrap();
        assert!(r.problems.is_empty(), "{enc}: {:?}", r.problems);
        assert_eq!(r.rules.len(), 3);
        assert_eq!(r.rules[0].name, "Remote Desktop - User Mode (TCP-In)");
        assert_eq!(r.rules[0].enabled, Some(true));
        assert_eq!(r.rules[1].enabled, Some(false));
        assert_eq!(r.rules[0].local_port.as_deref(), Some("3389"));
        assert_eq!(r.rules[0].grouping.as_deref(), Some("Remote Desktop"));
        assert_eq!(r.rules[2].action.as_deref(), Some("Block"));
        assert_eq!(r.rules[2].grouping.as_deref(), Some(""));
        assert_eq!(r.rules[2].profiles.as_deref(), Some("Domain,Private,Public"));
    }
    let empty = netsh_rules::parse(wt::netsh_show_rules(&[]).as_bytes()).unwrap();
    assert!(empty.no_rules && empty.rules.is_empty());
}

#[test]
fn w32tm_synced_and_cmos() {
    let synced = W32tmStatus::synced_ntp("dc01.corp.contoso.com", [10, 20, 0, 2], at(2024, 1, 15, 9, 37));
    for (enc, bytes) in encodings(wt::W32TM_STATUS_COMMAND, &wt::w32tm_query_status(&synced)) {
        let s = w32tm::parse(&bytes).unwrap();
        assert!(s.problems.is_empty(), "{enc}: {:?}", s.problems);
        assert_eq!(s.synced(), Some(true));
        assert_eq!(s.source.as_deref(), Some("dc01.corp.contoso.com"));
        assert_eq!(s.stratum, Some(3));
        assert_eq!(s.leap, Some(0));
        assert_eq!(s.last_sync_local, Some(at(2024, 1, 15, 9, 37)));
        assert_eq!(s.poll_interval, Some(10));
    }
    let cmos = w32tm::parse(wt::w32tm_query_status(&W32tmStatus::unsynchronised()).as_bytes()).unwrap();
    assert_eq!(cmos.synced(), Some(false));
    assert_eq!(cmos.source.as_deref(), Some("Local CMOS Clock"));
    assert_eq!(cmos.last_sync_text.as_deref(), Some("unspecified"));
    assert!(cmos.problems.is_empty());
    let stopped =
        w32tm::parse(b"The following error occurred: The service has not been started. (0x80070426)\r\n")
            .unwrap();
    assert!(stopped.error.is_some() && stopped.synced() == Some(false));
}

#[test]
fn etl_headers_of_the_corpus_traces() {
    let Some(dir) = corpus() else { return };
    let ps = etl_header::parse(&std::fs::read(dir.join("etl/krabsetw__powershell.etl")).unwrap()).unwrap();
    assert_eq!(ps.buffer_size, 8192);
    assert_eq!(ps.buffers_written, 26);
    assert_eq!(ps.buffers_in_file, 26);
    assert_eq!(ps.buffers_valid, 26);
    assert_eq!(ps.events_lost, 0);
    assert_eq!(ps.buffers_lost, 0);
    assert_eq!(ps.pointer_size, 8);
    assert_eq!(ps.os_build, 22623);
    assert_eq!(ps.processors, 32);
    assert_eq!(ps.version, "10.0.1.5");
    assert_eq!(ps.logger_name.as_deref(), Some("usermode_trace"));
    assert_eq!(ps.log_file_name.as_deref(), Some(r"C:\Users\aaaaa\output1.etl"));
    assert_eq!(ps.time_zone_bias_minutes, 300);
    assert_eq!(ps.perf_freq, 10_000_000);
    let (start, end) = (ps.start_utc.unwrap(), ps.end_utc.unwrap());
    assert_eq!(start.to_rfc3339(), "2023-03-29T15:12:38.017544900+00:00");
    assert_eq!(end.to_rfc3339(), "2023-03-29T15:14:55.454382800+00:00");
    assert_eq!(ps.boot_utc.unwrap().to_rfc3339(), "2023-03-29T14:51:30.500+00:00");
    assert!(
        end > start && end - start < chrono::Duration::hours(1),
        "{start} .. {end}"
    );
    assert!(!ps.truncated());

    let lx =
        etl_header::parse(&std::fs::read(dir.join("etl/etlparser__lxcore_kernel.etl")).unwrap()).unwrap();
    assert_eq!(lx.buffers_written, 3);
    assert_eq!(lx.buffers_in_file, 3);
    assert_eq!(lx.events_lost, 0);
    assert_eq!(lx.logger_name.as_deref(), Some("lxcore_kernel"));
    assert!(lx.start_utc.unwrap() < lx.end_utc.unwrap());
    assert_eq!(lx.start_utc.unwrap().format("%Y-%m-%d").to_string(), "2020-07-14");

    // Cut copies are flagged; garbage is an error naming the byte offset.
    let bytes = std::fs::read(dir.join("etl/krabsetw__powershell.etl")).unwrap();
    let cut = etl_header::parse(&bytes[..8192 * 3 + 100]).unwrap();
    assert!(cut.truncated());
    assert_eq!(cut.partial_tail_bytes, 100);
    for n in [0, 4, 0x48, 0x60, 0x100, 0x180] {
        assert!(etl_header::parse(&bytes[..n]).is_err(), "cut at {n}");
    }
    assert!(etl_header::parse(&[0xAB; 4096]).is_err());
}

#[test]
fn garbage_truncated_and_huge_inputs_never_panic() {
    let thumb = [7u8; 20];
    let samples: Vec<Vec<u8>> = vec![
        wt::certutil_verifystore(
            "MY",
            &[CertificateInfo::rdp_self_signed(
                "a.b",
                GUID,
                at(2024, 1, 1, 0, 0),
                thumb,
            )],
        )
        .into_bytes(),
        wt::acl_machinekeys_file(
            at(2024, 1, 1, 0, 0),
            &wt::machinekeys_folder_default_acl(),
            &wt::rdp_key_file_default_acl(),
        )
        .into_bytes(),
        wt::netstat_anob(&NetstatEntry::rdp_listener(3389, 4)).into_bytes(),
        wt::netsh_show_rules(&wt::default_rdp_rules()).into_bytes(),
        wt::w32tm_query_status(&W32tmStatus::unsynchronised()).into_bytes(),
    ];
    type P = fn(&[u8]) -> bool;
    let parsers: [P; 7] = [
        |b| certutil::parse(b).is_ok(),
        |b| acl_list::parse(b).is_ok(),
        |b| netstat::parse(b).is_ok(),
        |b| netsh_rules::parse(b).is_ok(),
        |b| w32tm::parse(b).is_ok(),
        |b| tracerpt::parse(b).is_ok(),
        |b| etl_header::parse(b).is_ok(),
    ];
    for s in &samples {
        for cut in (0..s.len()).step_by(37) {
            for p in parsers {
                let _ = p(&s[..cut]);
            }
        }
    }
    let mut noise = Vec::with_capacity(100_000);
    let mut x: u32 = 12345;
    for _ in 0..100_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        noise.push((x >> 16) as u8);
    }
    let huge_line = "A".repeat(3_000_000).into_bytes();
    let many_lines = "\r\n".repeat(300_000).into_bytes();
    for input in [&noise, &huge_line, &many_lines, &b"".to_vec()] {
        for p in parsers {
            assert!(!p(input) || input.len() > 1000, "garbage accepted");
        }
    }
    // A huge line inside a valid file is cut and reported, the rest still parses.
    let mut text = wt::netstat_anob(&NetstatEntry::rdp_listener(3389, 4));
    text.push_str(&"x".repeat(100_000));
    text.push_str("\r\n");
    let n = netstat::parse(text.as_bytes()).unwrap();
    assert_eq!(n.rows.len(), 4);
    assert!(n.problems.iter().any(|p| p.message.contains("cut")));
    // Errors name the line.
    let e = certutil::parse(b"\r\n\r\nnot a dump\r\n").unwrap_err();
    assert!(e.to_string().starts_with("line 3:"), "{e}");
}

#[test]
fn tracerpt_xml_in_utf16_truncated_and_csv() {
    let xml = r#"<?xml version="1.0" encoding="UTF-16"?>
<Events>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
	<System>
		<Provider Guid="{68fdd900-4a3e-11d1-84f4-0000f80464e3}" />
		<EventID>0</EventID>
		<Version>2</Version>
		<Level>0</Level>
		<Task>0</Task>
		<Opcode>0</Opcode>
		<Keywords>0x0</Keywords>
		<TimeCreated SystemTime="2024-01-15T09:59:58.000000000-08:00" />
		<Correlation ActivityID="{00000000-0000-0000-0000-000000000000}" />
		<Execution ProcessID="4660" ThreadID="8212" ProcessorID="0" KernelTime="0" UserTime="0" />
		<Channel />
		<Computer />
	</System>
	<EventData>
		<Data Name="BufferSize">    8192</Data>
		<Data Name="EventsLost">       0</Data>
	</EventData>
	<RenderingInfo Culture="en-US">
		<Opcode>Header</Opcode>
		<Provider>MSNT_SystemTrace</Provider>
		<EventName xmlns="http://schemas.microsoft.com/win/2004/08/events/trace">EventTrace</EventName>
	</RenderingInfo>
</Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
	<System>
		<Provider Name="Microsoft-Windows-TerminalServices-ClientActiveXCore" Guid="{28aa95bb-d444-4719-a36f-40462168127e}" />
		<EventID>1026</EventID>
		<TimeCreated SystemTime="2024-01-15T10:00:01.500000000-08:00" />
	</System>
	<EventData><Data Name="Name">Disconnect Reason</Data><Data Name="Value">2308</Data></EventData>
</Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
	<System>
		<Provider Name="Cut" />
		<EventID>5</EventID>
"#;
    let bytes = wt::to_utf16le_bom(xml);
    let r = tracerpt::parse(&bytes).unwrap();
    assert_eq!(r.format, "xml");
    assert_eq!(r.events.len(), 3);
    let h = &r.events[0];
    assert_eq!(
        h.provider_guid.as_deref(),
        Some("{68FDD900-4A3E-11D1-84F4-0000F80464E3}")
    );
    assert_eq!(h.fields[0], ("BufferSize".to_string(), "8192".to_string()));
    assert_eq!(h.task.as_deref(), Some("0"));
    assert_eq!(h.process_id, Some(4660));
    assert_eq!(h.time_utc.unwrap().to_rfc3339(), "2024-01-15T17:59:58+00:00");
    let d = &r.events[1];
    assert_eq!(d.event_id, Some(1026));
    assert_eq!(d.fields[1].1, "2308");
    let ev = d
        .to_model_event("client.zip".into(), "traces/x.xml".into())
        .unwrap();
    assert_eq!(ev.event_id, 1026);
    assert_eq!(ev.field_text("Value").as_deref(), Some("2308"));
    assert_eq!(ev.record_id, 2);
    // The cut last event is kept and the cut reported.
    assert_eq!(r.events[2].event_id, Some(5));
    assert!(r.problems.iter().any(|p| p.message.contains("incomplete")));

    // Many events: memory is capped by the event cap, the rest counted.
    let one = "<Event><System><Provider Name=\"P\"/><EventID>1</EventID></System></Event>\n";
    let mut big = String::from("<Events>\n");
    for _ in 0..(rdpdiag::text_artifacts::MAX_ITEMS + 10) {
        big.push_str(one);
    }
    big.push_str("</Events>\n");
    let r = tracerpt::parse(big.as_bytes()).unwrap();
    assert_eq!(r.events.len(), rdpdiag::text_artifacts::MAX_ITEMS);
    assert_eq!(r.dropped, 10);
}
