//! Event record: `2a 2a 00 00`, size, record identifier, FILETIME written, BinXml, padding to a
//! multiple of 8 bytes, and a copy of the size (libevtx "Event record"; every record of the
//! corpus logs is 8-byte aligned, Windows leaving stale bytes in the padding where the writer
//! puts zeros). The written time is the event's TimeCreated: Windows stamps it when the record
//! is committed, microseconds later.

use crate::evtx::binxml::EncodeError;
use crate::evtx::binxml::template::{self, sub};
use crate::evtx::binxml::token::{EOF, FRAGMENT_HEADER, ValuesWriter};
use crate::evtx::binxml::value::{
    self, BINXML, FILETIME, GUID, HEX_INT64, NULL, SID, STRING, UINT8, UINT16, UINT32, UINT64,
};
use crate::evtx::chunk::Chunk;
use crate::evtx::model::{Event, Payload};

const RECORD_MAGIC: [u8; 4] = [0x2a, 0x2a, 0x00, 0x00];

/// Appends the record for `event` with identifier `id` to `chunk.data`. The caller checks that
/// it fits and rolls back otherwise. `key` is scratch space for template shape keys.
pub(crate) fn write_record(
    chunk: &mut Chunk,
    id: u64,
    event: &Event,
    key: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let start = chunk.data.len();
    let written = value::filetime(&event.time_created)?;
    let d = &mut chunk.data;
    d.extend_from_slice(&RECORD_MAGIC);
    d.extend_from_slice(&[0; 4]);
    d.extend_from_slice(&id.to_le_bytes());
    d.extend_from_slice(&written.to_le_bytes());
    d.extend_from_slice(&[FRAGMENT_HEADER, 1, 1, 0]);

    let user_data = matches!(event.payload, Payload::UserData(_));
    let esn = event.provider.event_source_name.as_deref();
    template::system_key(key, user_data, &event.computer, esn);
    template::instance(chunk, key, |em| {
        template::system_body(em, user_data, &event.computer, esn)
    })?;
    write_system_values(chunk, id, written, event, key)?;

    let d = &mut chunk.data;
    d.push(EOF);
    // Pad so that the record, with its trailing size copy, is a multiple of 8 bytes.
    let unpadded = d.len() - start + 4;
    d.resize(d.len() + (8 - unpadded % 8) % 8, 0);
    let size = d.len() - start + 4;
    let size32 = u32::try_from(size).map_err(|_| EncodeError::TooLarge(size))?;
    d.extend_from_slice(&size32.to_le_bytes());
    d[start + 4..start + 8].copy_from_slice(&size32.to_le_bytes());
    Ok(())
}

/// The 18 System template values in substitution order.
fn write_system_values(
    chunk: &mut Chunk,
    id: u64,
    written: u64,
    e: &Event,
    key: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let out = &mut chunk.data;
    let mut vw = ValuesWriter::begin(out, sub::COUNT)?;
    put_le(&mut vw, out, UINT8, &[e.level])?; // 0 Level
    put_le(&mut vw, out, UINT8, &[e.opcode])?; // 1 Opcode
    put_le(&mut vw, out, UINT16, &e.task.to_le_bytes())?; // 2 Task
    put_le(&mut vw, out, UINT16, &e.event_id.to_le_bytes())?; // 3 EventID
    match e.qualifiers {
        Some(q) => put_le(&mut vw, out, UINT16, &q.to_le_bytes())?, // 4 Qualifiers
        None => put_le(&mut vw, out, NULL, &[])?,
    }
    put_le(&mut vw, out, HEX_INT64, &e.keywords.to_le_bytes())?; // 5 Keywords
    put_le(&mut vw, out, FILETIME, &written.to_le_bytes())?; // 6 SystemTime
    match e.activity_id {
        Some(g) => put_le(&mut vw, out, GUID, &g.to_le_bytes())?, // 7 ActivityID
        None => put_le(&mut vw, out, NULL, &[])?,
    }
    put_le(&mut vw, out, UINT32, &e.process_id.to_le_bytes())?; // 8 ProcessID
    put_le(&mut vw, out, UINT32, &e.thread_id.to_le_bytes())?; // 9 ThreadID
    put_le(&mut vw, out, UINT64, &id.to_le_bytes())?; // 10 EventRecordID
    put_le(&mut vw, out, UINT8, &[e.version])?; // 11 Version
    match &e.user_id {
        Some(s) => vw.put(out, SID, |out| value::write_sid(out, s))?, // 12 UserID
        None => put_le(&mut vw, out, NULL, &[])?,
    }
    match e.related_activity_id {
        Some(g) => put_le(&mut vw, out, GUID, &g.to_le_bytes())?, // 13 RelatedActivityID
        None => put_le(&mut vw, out, NULL, &[])?,
    }
    vw.put(out, STRING, |out| {
        value::write_utf16(out, &e.provider.name); // 14 Provider Name
        Ok(())
    })?;
    match e.provider.guid {
        Some(g) => put_le(&mut vw, out, GUID, &g.to_le_bytes())?, // 15 Provider Guid
        None => put_le(&mut vw, out, NULL, &[])?,
    }
    vw.put(out, STRING, |out| {
        value::write_utf16(out, &e.channel); // 16 Channel
        Ok(())
    })?;
    // 17: the payload, a nested BinXml fragment written in place.
    let start = chunk.data.len();
    template::write_payload(chunk, &e.payload, key)?;
    vw.finish_value(&mut chunk.data, start, BINXML)
}

/// Puts a fixed-size value given as bytes.
fn put_le(vw: &mut ValuesWriter, out: &mut Vec<u8>, ty: u8, bytes: &[u8]) -> Result<(), EncodeError> {
    vw.put(out, ty, |out| {
        out.extend_from_slice(bytes);
        Ok(())
    })
}
