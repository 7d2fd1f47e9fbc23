//! An interrupted collector stops the tools it started (issue 8, part 5): `exec::kill_running`
//! kills every running child and refuses new ones. Its own test binary, because it stops all
//! spawning in the process for good.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use rdpdiag_collect::exec::{CommandSpec, RunEnd, RunLimits, kill_running, run};

#[test]
fn running_tools_are_killed_and_no_new_one_starts() {
    let limits = RunLimits {
        timeout: Duration::from_secs(60),
        ..RunLimits::default()
    };
    let spec = CommandSpec::new("sh", ["-c", "echo started; exec sleep 60"]);
    let runner = std::thread::spawn(move || run(&spec, None, limits));
    // Let it start (it prints at once; the sleep is what a stuck tool looks like).
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    assert_eq!(kill_running(), 1, "one tool was running");
    let out = runner.join().unwrap();
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
    assert_eq!(
        out.end,
        RunEnd::Exited(None),
        "ended by a signal, not its deadline"
    );
    assert_eq!(out.stdout, b"started\n");
    // Nothing starts afterwards; saying so is a failure of the step, not a hang.
    let later = run(
        &CommandSpec::new("sh", ["-c", "echo no"]),
        None,
        RunLimits::default(),
    );
    assert!(
        matches!(&later.end, RunEnd::SpawnFailed(why) if why.contains("stopping")),
        "{:?}",
        later.end
    );
    assert_eq!(kill_running(), 0);
}
