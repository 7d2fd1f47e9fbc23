//! Command outputs as Windows prints them.
