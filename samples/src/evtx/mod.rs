//! EVTX writer: turns [`Event`]s into a Windows XML Event Log file that readers (the evtx
//! crate, python-evtx, Event Viewer) parse like one Windows wrote.
//!
//! Structure, following libevtx's format document and MS-EVEN6, with the details Windows
//! actually uses read off real logs (../shared/docs/design.md, "EVTX as Windows writes it"):
//! - `file_header`: the 4 KiB `ElfFile` header block;
//! - `chunk`: 64 KiB `ElfChnk` chunks with their string and template hash tables and CRCs;
//! - `record`: the `**` event records;
//! - `binxml`: BinXml tokens, typed values and the System / payload templates;
//! - [`writer`]: the streaming [`EvtxWriter`].
//!
//! Re-encoding the first chunk of the real RemoteConnectionManager log gives Windows' bytes
//! (tests/it/evtx_corpus.rs). Where the output knowingly differs from Windows:
//! - template GUIDs are a hash of the template's shape (Windows' come from manifests);
//! - a record's written time is the event's TimeCreated, and its alignment padding is zeroed;
//! - classic (EventSourceName) events use the same 18-value System template as manifest events,
//!   where Windows' event log service writes Provider and Channel as literals in a 20-value one;
//! - [`Payload::None`] is written as Windows writes events without data: an empty
//!   `<EventData></EventData>`.

pub(crate) mod binxml;
pub(crate) mod chunk;
pub(crate) mod file_header;
pub mod model;
pub(crate) mod record;
pub mod writer;

pub use model::*;
pub use writer::{EvtxWriteError, EvtxWriter, WriterOptions, write_evtx_to_vec};
