use chrono::{TimeZone, Utc};
use rdpdiag_samples::evtx::*;

#[test]
fn smoke() {
    let t = Utc.with_ymd_and_hms(2018, 8, 7, 18, 37, 11).single().unwrap()
        + chrono::Duration::nanoseconds(154_471_700);
    let base = Event {
        provider: Provider {
            name: "Microsoft-Windows-TerminalServices-RemoteConnectionManager".into(),
            guid: Guid::parse("{c76baa63-ae81-421c-b425-340b4b24157f}"),
            event_source_name: None,
        },
        event_id: 261,
        qualifiers: None,
        version: 0,
        level: 4,
        task: 0,
        opcode: 0,
        keywords: 0x1000000000000000,
        time_created: t,
        activity_id: Guid::parse("{f4206fd5-47c8-41ee-8aa8-c9766fbc0000}"),
        related_activity_id: None,
        process_id: 812,
        thread_id: 1328,
        channel: "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational".into(),
        computer: "IEWIN7".into(),
        user_id: Sid::parse("S-1-5-20"),
        payload: Payload::UserData(
            Element::new("EventXML")
                .attr("xmlns", Value::String("Event_NS".into()))
                .leaf("listenerName", Value::String("RDP-Tcp".into())),
        ),
    };
    let mut e2 = base.clone();
    e2.event_id = 131;
    e2.payload = Payload::EventData {
        name: None,
        data: vec![
            ("ConnType".into(), Value::String("TCP".into())),
            ("ClientIP".into(), Value::String("10.0.2.16:52202".into())),
            ("Err".into(), Value::HexInt32(0x8009030D)),
        ],
    };
    let mut e3 = base.clone();
    e3.event_id = 1056;
    e3.qualifiers = Some(49152);
    e3.provider.event_source_name = Some("TermService".into());
    e3.channel = "System".into();
    e3.user_id = None;
    e3.activity_id = None;
    e3.payload = Payload::Classic {
        data: vec![Value::String("DESKTOP-8BGEHIF".into())],
        binary: Some(vec![0xd6, 0xd3, 0xab]),
    };
    let mut e4 = base.clone();
    e4.payload = Payload::None;
    let v = write_evtx_to_vec([&base, &e2, &e3, &e4, &base, &e2], WriterOptions::default()).unwrap();
    std::fs::write("/tmp/evtxw/smoke.evtx", &v).unwrap();
}
