//! EVTX writer (see module docs of the submodules).

pub mod model;
pub use model::*;
