//! EVTX writer: turns [`Event`]s into a Windows XML Event Log file that readers (the evtx
//! crate, python-evtx, Event Viewer) parse like one Windows wrote.
//!
//! Structure, following libevtx's format document and MS-EVEN6, with the details Windows
//! actually uses read off real logs (../shared/docs/design.md, "EVTX as Windows writes it"):
//! - [`file_header`]: the 4 KiB `ElfFile` header block;
//! - [`chunk`]: 64 KiB `ElfChnk` chunks with their string and template hash tables and CRCs;
//! - [`record`]: the `**` event records;
//! - [`binxml`]: BinXml tokens, typed values and the System / payload templates;
//! - [`writer`]: the streaming [`EvtxWriter`].

pub(crate) mod binxml;
pub(crate) mod chunk;
pub(crate) mod file_header;
pub mod model;
pub(crate) mod record;
pub mod writer;

pub use model::*;
pub use writer::{EvtxWriteError, EvtxWriter, WriterOptions, write_evtx_to_vec};
