//! Support for the fuzz targets: the entry points ([`entry`], shared with the analyzer's
//! regression test) and a panic hook that tells our bugs from guarded third-party panics.
//! (The targets themselves cannot forbid `unsafe_code`: `fuzz_target!` expands to the
//! `#[no_mangle]` function libFuzzer calls.)
#![forbid(unsafe_code)]

pub mod entry;

use std::collections::HashSet;
use std::sync::{Mutex, Once};

/// Runs `f` on `data` after making sure the panic hook is in place.
pub fn run(f: fn(&[u8]), data: &[u8]) {
    install_panic_hook();
    f(data);
}

/// libFuzzer's hook aborts on every panic, even one a `catch_unwind` of ours would catch. The
/// analyzer deliberately catches panics of third-party parsers (notatin, evtx): those are
/// reported once and let through to our guard (a panic that escapes it still aborts, because
/// libfuzzer-sys aborts on any panic leaving the target). A panic in our own code aborts at
/// once, caught or not: it is a bug.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        let seen: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map(|l| l.file().to_string()).unwrap_or_default();
            let third_party = if entry::third_party_location(&file) {
                true
            } else if file.contains("/rustc/") || file.starts_with("library/") {
                let bt = std::backtrace::Backtrace::force_capture().to_string();
                entry::third_party_backtrace(&bt).unwrap_or(false)
            } else {
                false
            };
            if third_party {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                if seen.lock().map(|mut s| s.insert(at.clone())).unwrap_or(false) {
                    eprintln!("rdpdiag-fuzz: third-party panic at {at} (left to our catch_unwind): {info}");
                }
                return;
            }
            previous(info);
        }));
    });
}
