//! The code tables: key rows, the layer decoding, the 0x904/0x7 explanation, parsing, and the
//! invariants the lookups rely on (sorted, unique, hex matching the value).

// Test helpers outside #[test] fns are not covered by clippy.toml's allow-unwrap-in-tests.

use rdpdiag_schemas::codes::{
    self, CodeParseError, CodeRange, DisconnectReason, ExtendedKind, Layer, NetworkComponent, Source,
    decode_layer, disconnect_reason, explain, extended_reason, note_ids, parse_code,
};

#[test]
fn fd_close_is_socket_closed_in_the_network_layer() {
    let r = disconnect_reason(2308).unwrap();
    assert_eq!(r.hex, "0x904");
    assert!(r.meaning.contains("socket closed"), "{}", r.meaning);
    assert_eq!(r.name, Some("disconnectReasonAtClientWinsockFDCLOSE"));
    assert_eq!(r.sources, &[Source::MsDoc]);
    assert!(!r.unverified);

    let l = decode_layer(2308);
    assert_eq!(l.class_byte, 0x04);
    assert_eq!(l.sub_code, 0x09);
    assert_eq!(l.layer, Layer::Network);
    assert_eq!(l.network_component, Some(NetworkComponent::Td));
    assert_eq!(l.historical_meaning, Some("NL: FD_CLOSE received from WinSock"));
    assert!(l.applies);
    assert_eq!(l.source, Source::SrcHist);
}

#[test]
fn layer_decoding_of_each_class() {
    for (code, layer) in [
        (1, Layer::Local),
        (2, Layer::RemoteByUser),
        (3, Layer::RemoteByServer),
        (0x204, Layer::Network),
        (0x706, Layer::LegacySecurity),
        (0x807, Layer::SslCredssp),
        (0xC08, Layer::Ui),
        (0, Layer::Unknown),
        (0x516, Layer::Unknown),
    ] {
        assert_eq!(decode_layer(code).layer, layer, "code 0x{code:X}");
    }
    assert_eq!(decode_layer(0x1104).network_component, Some(NetworkComponent::Xt));
    assert_eq!(
        decode_layer(0x2604).network_component,
        Some(NetworkComponent::Mcs)
    );
    assert_eq!(decode_layer(0x3A04).network_component, Some(NetworkComponent::Nc));
    // Values wider than 16 bits (RD Gateway) are not decoded.
    let gw = decode_layer(50331721);
    assert!(!gw.applies);
    assert_eq!(gw.layer, Layer::Unknown);
}

#[test]
fn explanation_of_904_with_7_carries_the_synthesized_note() {
    let e = explain(0x904, Some(7));
    assert_eq!(e.hex, "0x904");
    assert_eq!(e.disconnect_reason.map(|r| r.code), Some(2308));
    assert_eq!(e.layer.layer, Layer::Network);
    let x = e.extended.as_ref().unwrap();
    assert_eq!(x.kind, ExtendedKind::Named);
    assert_eq!(x.name(), Some("exDiscReasonServerDeniedConnection"));
    assert_eq!(
        x.server_error_info.map(|s| s.name),
        Some("ERRINFO_SERVER_DENIED_CONNECTION")
    );

    for id in [
        note_ids::FDCLOSE,
        note_ids::EXT7_SYNTHESIZED,
        note_ids::EXT7_NOT_PROOF,
        note_ids::EXT7_CLIENT_GUESS,
        note_ids::EXT7_CURRENT_CLIENTS_UNVERIFIED,
        note_ids::NEXT_RESOLVED_ADDRESS,
        note_ids::TRIAGE_REACHED_TERMSERVICE,
    ] {
        assert!(e.has_note(id), "missing note {id}");
    }
    let synth = e
        .notes
        .iter()
        .find(|n| n.id == note_ids::EXT7_SYNTHESIZED)
        .unwrap();
    assert!(synth.text.contains("client itself"), "{}", synth.text);
    assert!(synth.text.contains("(8)"), "FIPS variant named: {}", synth.text);
    assert_eq!(synth.sources, &[Source::SrcHist]);
    let not_proof = e.notes.iter().find(|n| n.id == note_ids::EXT7_NOT_PROOF).unwrap();
    for party in ["firewall", "proxy", "load balancer", "VPN", "non-RDP service"] {
        assert!(
            not_proof.text.contains(party),
            "party {party} missing: {}",
            not_proof.text
        );
    }
    // What the guide marks unverified stays marked.
    let modern = e
        .notes
        .iter()
        .find(|n| n.id == note_ids::EXT7_CURRENT_CLIENTS_UNVERIFIED)
        .unwrap();
    assert!(modern.unverified && modern.sources == [Source::Unverified]);

    let text = e.to_string();
    assert!(
        text.starts_with("Error code 0x904 (2308): socket closed"),
        "{text}"
    );
    assert!(
        text.contains("Extended error code 0x7 (7): exDiscReasonServerDeniedConnection"),
        "{text}"
    );
}

#[test]
fn explanation_of_904_with_8_is_the_fips_variant() {
    let e = explain(0x904, Some(8));
    assert!(e.has_note(note_ids::EXT8_FIPS));
    assert!(e.has_note(note_ids::EXT7_SYNTHESIZED));
    assert!(!e.has_note(note_ids::EXT7_CLIENT_GUESS));
    assert_eq!(
        e.extended.unwrap().name(),
        Some("exDiscReasonServerDeniedConnectionFips")
    );
}

#[test]
fn explanation_of_904_with_0_is_after_connect() {
    let e = explain(0x904, Some(0));
    assert!(e.has_note(note_ids::EXT0_AFTER_CONNECT));
    assert!(e.has_note(note_ids::FDCLOSE));
    assert!(!e.has_note(note_ids::EXT7_SYNTHESIZED));
}

#[test]
fn explanation_of_904_without_extended_asks_for_it() {
    let e = explain(0x904, None);
    assert!(e.extended.is_none());
    assert!(e.has_note(note_ids::EXT_MISSING));
    assert!(!e.has_note(note_ids::EXT7_SYNTHESIZED));
}

#[test]
fn other_codes_do_not_get_the_904_notes() {
    let e = explain(0x204, Some(7));
    assert!(!e.has_note(note_ids::EXT7_SYNTHESIZED));
    assert!(!e.has_note(note_ids::FDCLOSE));
}

#[test]
fn key_rows_are_present() {
    let fips = disconnect_reason(3590).unwrap();
    assert!(fips.meaning.contains("FIPS"));
    assert_eq!(fips.sources, &[Source::TechNet]);
    let nla = disconnect_reason(2825).unwrap();
    assert!(nla.meaning.contains("Network Level Authentication"));
    let version = disconnect_reason(9732).unwrap();
    assert!(version.meaning.contains("versions do not match"));
    let gateway = disconnect_reason(50331721).unwrap();
    assert!(gateway.meaning.contains("client needs to be updated"));
    assert_eq!(gateway.hex, "0x3000049");
    assert!(codes::disconnect_range(50331721).is_some());
    assert!(codes::disconnect_range(50331649).is_some());
    assert!(codes::disconnect_range(50331729).is_none());
    let tpkt = disconnect_reason(0x1104).unwrap();
    assert_eq!(tpkt.sources, &[Source::SrcHist, Source::Community]);
    assert_eq!(
        codes::ssl_err_subcode(0x1B07).unwrap().name,
        Some("SSL_ERR_CERT_EXPIRED")
    );
}

#[test]
fn unverified_rows_keep_the_guides_placeholder() {
    for code in [
        266, 522, 778, 1034, 2820, 3337, 4103, 4104, 4359, 4871, 5127, 9479,
    ] {
        let r = disconnect_reason(code).unwrap_or_else(|| panic!("{code} missing"));
        assert!(r.unverified, "{code} should be unverified");
        assert!(r.name.is_none(), "{code}: no invented name");
        assert!(r.meaning.contains("TechNet extra"), "{code}: {}", r.meaning);
        assert!(explain(code, None).has_note(note_ids::UNVERIFIED_WORDING));
    }
    // Codes the guide found in no list are not in the table, only in the unsourced list.
    for code in [0x507, 0x516, 0x2407] {
        assert!(disconnect_reason(code).is_none());
        let e = explain(code, None);
        assert!(
            e.unsourced.is_some() && e.has_note(note_ids::UNSOURCED_CODE),
            "{code}"
        );
        assert!(
            e.notes
                .iter()
                .all(|n| n.id != note_ids::UNSOURCED_CODE || n.unverified)
        );
    }
}

#[test]
fn extended_12_is_logoff_by_user_not_2() {
    let x = extended_reason(12);
    assert_eq!(x.kind, ExtendedKind::Named);
    assert_eq!(x.name(), Some("exDiscReasonLogoffByUser"));
    assert_eq!(extended_reason(2).name(), Some("exDiscReasonAPIInitiatedLogoff"));
    assert!(explain(3, Some(12)).has_note(note_ids::EXT_LOGOFF_BY_USER_IS_12));
}

#[test]
fn extended_4100_is_in_the_protocol_range() {
    let x = extended_reason(4100);
    assert_eq!(x.kind, ExtendedKind::InRange);
    assert!(x.reason.is_none());
    let range = x.range.unwrap();
    assert_eq!((range.start, range.end), (4096, 32767));
    assert!(range.meaning.contains("protocol"));
    assert!(explain(3, Some(4100)).has_note(note_ids::EXT_PROTOCOL_RANGE));
}

#[test]
fn extended_ranges_and_error_info() {
    let lic = extended_reason(0x10B);
    assert_eq!(lic.kind, ExtendedKind::Named);
    assert_eq!(lic.range.map(|r| r.start), Some(0x100));
    let broker = extended_reason(0x405);
    assert_eq!(broker.kind, ExtendedKind::InRange);
    assert_eq!(broker.range.map(|r| r.start), Some(0x400));
    let pdu = extended_reason(0x10C9);
    assert_eq!(pdu.kind, ExtendedKind::ServerErrorInfo);
    assert_eq!(pdu.name(), Some("ERRINFO_UNKNOWN_DATA_PDU_TYPE"));
    assert_eq!(pdu.range.map(|r| r.start), Some(0x1000));
    assert_eq!(extended_reason(0xF).kind, ExtendedKind::ServerErrorInfo);
    assert_eq!(extended_reason(0x13).kind, ExtendedKind::Unknown);
    assert_eq!(extended_reason(0x8000).kind, ExtendedKind::Unknown);
}

#[test]
fn decimal_digits_that_look_like_hex_get_a_hint() {
    let e = explain(904, None);
    assert!(e.disconnect_reason.is_none());
    assert!(e.has_note(note_ids::UNDOCUMENTED_CODE));
    let hint = e
        .notes
        .iter()
        .find(|n| n.id == note_ids::MAYBE_MEANT_HEX)
        .unwrap();
    assert!(hint.text.contains("0x904"), "{}", hint.text);
}

#[test]
fn undocumented_codes_are_decoded_by_layer() {
    let e = explain(0x1204, None);
    assert!(e.disconnect_reason.is_none());
    assert_eq!(e.meaning(), Some("NL/XT: bad XT header"));
    let e = explain(0x4404, None);
    let note = e
        .notes
        .iter()
        .find(|n| n.id == note_ids::UNDOCUMENTED_CODE)
        .unwrap();
    assert!(note.text.contains("network layer"), "{}", note.text);
}

#[test]
fn parse_code_reads_decimal_and_hex() {
    assert_eq!(parse_code("0x904"), Ok(0x904));
    assert_eq!(parse_code("2308"), Ok(2308));
    assert_eq!(parse_code("0X7"), Ok(7));
    assert_eq!(parse_code("7"), Ok(7));
    assert_eq!(parse_code(" 904h "), Ok(0x904));
    assert_eq!(parse_code("904"), Ok(904));
    assert_eq!(parse_code("B09"), Ok(0xB09));
    assert_eq!(parse_code("0x3000049"), Ok(50331721));
    assert_eq!(parse_code("4294967295"), Ok(u32::MAX));
    assert!(matches!(parse_code(""), Err(CodeParseError::Empty { .. })));
    assert!(matches!(parse_code("0x"), Err(CodeParseError::Empty { .. })));
    assert!(matches!(
        parse_code("0xZZ"),
        Err(CodeParseError::InvalidDigit { .. })
    ));
    assert!(matches!(
        parse_code("-7"),
        Err(CodeParseError::InvalidDigit { .. })
    ));
    assert!(matches!(
        parse_code("+7"),
        Err(CodeParseError::InvalidDigit { .. })
    ));
    assert!(matches!(
        parse_code("12x"),
        Err(CodeParseError::InvalidDigit { .. })
    ));
    assert!(matches!(
        parse_code("4294967296"),
        Err(CodeParseError::TooLarge { .. })
    ));
    assert!(matches!(
        parse_code("0x100000000"),
        Err(CodeParseError::TooLarge { .. })
    ));
}

fn check_rows(table: &str, rows: &[DisconnectReason]) {
    for pair in rows.windows(2) {
        assert!(
            pair[0].code < pair[1].code,
            "{table}: {} before {}",
            pair[0].code,
            pair[1].code
        );
    }
    for r in rows {
        assert_eq!(r.hex, format!("0x{:X}", r.code), "{table}: hex of {}", r.code);
        assert!(!r.sources.is_empty(), "{table}: {} has no source", r.code);
        assert!(!r.meaning.is_empty(), "{table}: {} has no meaning", r.code);
        assert_eq!(
            r.unverified,
            r.sources.contains(&Source::Unverified)
                || r.meaning.contains("unverified")
                || r.meaning.starts_with('('),
            "{table}: {} unverified flag disagrees with its text",
            r.code
        );
    }
}

fn check_ranges(table: &str, ranges: &[CodeRange]) {
    for pair in ranges.windows(2) {
        assert!(
            pair[0].end < pair[1].start,
            "{table}: ranges overlap or are unsorted"
        );
    }
    for r in ranges {
        assert!(r.start <= r.end);
        assert_eq!(r.start_hex, format!("0x{:X}", r.start), "{table}");
        assert_eq!(r.end_hex, format!("0x{:X}", r.end), "{table}");
        assert!(!r.sources.is_empty());
    }
}

#[test]
fn every_table_is_sorted_unique_and_consistent() {
    let t = codes::code_tables();
    check_rows("disconnect_reasons", t.disconnect_reasons);
    check_rows("ssl_err_subcodes", t.ssl_err_subcodes);
    check_rows("unsourced_disconnect_codes", t.unsourced_disconnect_codes);
    check_rows("historical_subcodes", t.historical_subcodes);
    check_ranges("disconnect_ranges", t.disconnect_ranges);
    check_ranges("extended_ranges", t.extended_ranges);

    for pair in t.extended_reasons.windows(2) {
        assert!(
            pair[0].code < pair[1].code,
            "extended_reasons unsorted at {}",
            pair[1].code
        );
    }
    for r in t.extended_reasons {
        assert_eq!(r.hex, format!("0x{:X}", r.code));
        assert!(r.name.starts_with("exDiscReason"));
    }
    for pair in t.server_error_info.windows(2) {
        assert!(
            pair[0].code < pair[1].code,
            "server_error_info unsorted at {}",
            pair[1].code
        );
    }
    for r in t.server_error_info {
        assert_eq!(r.hex, format!("0x{:X}", r.code));
        assert!(r.name.contains("ERRINFO_"));
    }
    for pair in t.layer_classes.windows(2) {
        assert!(pair[0].class_byte < pair[1].class_byte);
    }

    // Every SSL_ERR value is also a disconnect reason of class 0x07, with the same name.
    for s in t.ssl_err_subcodes {
        let r = disconnect_reason(s.code).unwrap_or_else(|| panic!("SSL_ERR {} missing", s.hex));
        assert_eq!(r.name, s.name);
        assert_eq!(decode_layer(s.code).layer, Layer::SslCredssp);
    }
    // Unsourced codes are not silently in the main table, and gateway rows sit in their range.
    for u in t.unsourced_disconnect_codes {
        assert!(disconnect_reason(u.code).is_none());
    }
    for r in t.disconnect_reasons.iter().filter(|r| r.code >= 50331648) {
        assert!(
            codes::disconnect_range(r.code).is_some(),
            "{} outside the gateway range",
            r.code
        );
    }
    // The §1.5 enum is complete: 0-12, 256-267 and 768.
    let ext: Vec<u32> = t.extended_reasons.iter().map(|r| r.code).collect();
    let expected: Vec<u32> = (0..=12).chain(256..=267).chain([768]).collect();
    assert_eq!(ext, expected);
}

#[test]
fn historical_codes_agree_with_the_layer_of_their_low_byte() {
    for h in codes::HISTORICAL_SUBCODES {
        let layer = decode_layer(h.code).layer;
        let prefix = match layer {
            Layer::Network => "NL",
            Layer::LegacySecurity => "SL",
            Layer::Ui => "UI",
            other => panic!("{}: unexpected layer {other:?}", h.hex),
        };
        assert!(h.meaning.starts_with(prefix), "{}: {}", h.hex, h.meaning);
        assert_eq!(h.sources, &[Source::SrcHist]);
    }
}

#[test]
fn audit_code_table_fixes() {
    // 0x4 (Store app / Windows App) is a known code, not "network layer, sub-code 0".
    let four = codes::disconnect_reason(4).expect("0x4 is in the table");
    assert_eq!(four.sources, &[Source::Community]);
    assert_eq!(decode_layer(4).layer, Layer::Unknown);
    // Classes 09 and 0A decode.
    assert_eq!(decode_layer(2825).layer, Layer::SecurityNegotiation);
    assert_eq!(decode_layer(3593).layer, Layer::SecurityNegotiation);
    assert_eq!(decode_layer(266).layer, Layer::CredentialUi);
    assert_eq!(decode_layer(1034).layer, Layer::CredentialUi);
    // The SSL_ERR codes of Microsoft's OnDisconnected page carry its tag.
    for code in [3079, 3335, 3591, 3847, 4615] {
        let r = codes::disconnect_reason(code).expect("in the table");
        assert_eq!(r.sources, &[Source::MsDoc], "{code}");
    }
}
