//! The executor with commands that hang, fail, do not exist, print bad JSON or need their
//! fallback: each step is recorded with its status and error, and none stops the others.

use std::io::Read;
use std::time::{Duration, Instant};

use chrono::Utc;
use rdpdiag_collect::collect::{CollectOptions, Progress, StepResult, collect_plan};
use rdpdiag_collect::exec::CommandSpec;
use rdpdiag_collect::plan::{Action, Output, Plan, PlanOptions, Roles, Source, Step};
use rdpdiag_schemas::domain::TextFormat;
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus, Manifest, Role};

fn sh(script: &str) -> CommandSpec {
    CommandSpec::new("sh", ["-c", script])
}

fn capture(
    id: &str,
    command: CommandSpec,
    fallback: Option<CommandSpec>,
    output: Output,
    target: &str,
) -> Step {
    Step {
        id: id.into(),
        what: id.into(),
        roles: Roles::Any,
        action: Action::Capture {
            command,
            fallback,
            output,
        },
        target: target.into(),
        kind: if output == Output::Json {
            ArtifactKind::Json
        } else {
            ArtifactKind::Text
        },
        text_format: (output == Output::Text).then_some(TextFormat::Other),
        timeout: Duration::from_millis(400),
    }
}

#[derive(Default)]
struct Recorder {
    started: Vec<String>,
    finished: Vec<(String, ArtifactStatus)>,
}

impl Progress for Recorder {
    fn started(&mut self, _: usize, _: usize, step: &Step) {
        self.started.push(step.id.clone());
    }
    fn finished(&mut self, _: usize, _: usize, _: &Step, r: &StepResult) {
        self.finished.push((r.id.clone(), r.status));
    }
}

#[test]
fn no_step_can_stop_the_others() {
    let steps = vec![
        capture(
            "hangs",
            sh("exec sleep 30"),
            None,
            Output::Text,
            "system/Hang.txt",
        ),
        capture(
            "fails",
            sh("echo boom >&2; exit 7"),
            None,
            Output::Text,
            "system/Fail.txt",
        ),
        capture(
            "missing",
            CommandSpec::new("rdpdiag-no-such-tool", ["x"]),
            None,
            Output::Text,
            "system/Missing.txt",
        ),
        capture(
            "works",
            sh("printf 'line1\\nline2\\n'"),
            None,
            Output::Text,
            "system/Works.txt",
        ),
        capture(
            "json",
            sh("printf '{\"a\": 1}'"),
            None,
            Output::Json,
            "system/Good.json",
        ),
        capture(
            "badjson",
            sh("printf 'not json'"),
            None,
            Output::Json,
            "system/Bad.json",
        ),
        capture(
            "fallback",
            sh("exit 1"),
            Some(sh("printf 'from the fallback'")),
            Output::Text,
            "system/Fallback.txt",
        ),
        capture(
            "partial",
            sh("echo some output; exit 2"),
            None,
            Output::Text,
            "system/Partial.txt",
        ),
        Step {
            id: "skipped".into(),
            what: "opted out".into(),
            roles: Roles::Any,
            action: Action::Skip {
                reason: "not wanted".into(),
            },
            target: "system/Skipped.txt".into(),
            kind: ArtifactKind::Text,
            text_format: None,
            timeout: Duration::from_secs(1),
        },
    ];
    let n = steps.len();
    let plan = Plan {
        steps,
        options: PlanOptions {
            source: Source::Live,
            role: Role::Client,
            since: Utc::now() - chrono::Duration::days(1),
            security: false,
            server: None,
            probe_timeout: Duration::from_millis(300),
            skip: vec![],
        },
    };
    let dir = tempfile::tempdir().unwrap();
    let opts = CollectOptions::live(dir.path().join("b.zip"));
    let mut rec = Recorder::default();
    let t0 = Instant::now();
    let done = collect_plan(plan, &opts, &mut rec).unwrap();
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    assert_eq!(rec.started.len(), n);
    assert_eq!(rec.finished.len(), n);

    let mut z = zip::ZipArchive::new(std::fs::File::open(&done.bundle).unwrap()).unwrap();
    let mut raw = Vec::new();
    z.by_name("manifest.json").unwrap().read_to_end(&mut raw).unwrap();
    let m = Manifest::from_json_slice(&raw).unwrap();
    let art = |p: &str| m.artifacts.iter().find(|a| a.path == p).unwrap().clone();
    let status = |id: &str| rec.finished.iter().find(|(i, _)| i == id).unwrap().1;

    assert_eq!(status("hangs"), ArtifactStatus::Failed);
    assert!(art("system/Hang.txt").error.unwrap().contains("timed out"));
    assert_eq!(status("fails"), ArtifactStatus::Failed);
    let e = art("system/Fail.txt").error.unwrap();
    assert!(e.contains("exit code 7") && e.contains("boom"), "{e}");
    assert!(
        art("system/Missing.txt")
            .error
            .unwrap()
            .contains("could not start")
    );
    assert_eq!(status("works"), ArtifactStatus::Ok);
    let mut text = String::new();
    z.by_name("system/Works.txt")
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "line1\r\nline2\r\n", "stored as CRLF");
    assert_eq!(art("system/Works.txt").text_format, Some(TextFormat::Other));
    assert_eq!(status("json"), ArtifactStatus::Ok);
    assert_eq!(status("badjson"), ArtifactStatus::Partial);
    assert!(art("system/Bad.json").error.unwrap().contains("not valid JSON"));
    assert_eq!(status("fallback"), ArtifactStatus::Partial);
    let fb = art("system/Fallback.txt");
    assert!(fb.error.as_deref().unwrap().contains("used `sh -c"), "{fb:?}");
    assert!(fb.source.command.as_deref().unwrap().contains("fallback"));
    assert_eq!(status("partial"), ArtifactStatus::Partial);
    assert!(
        art("system/Partial.txt").sha256.is_some(),
        "output kept despite the exit code"
    );
    assert_eq!(status("skipped"), ArtifactStatus::Skipped);
    assert_eq!(art("system/Skipped.txt").error.as_deref(), Some("not wanted"));
    // The log names every step.
    let mut log = String::new();
    z.by_name("collection-log.txt")
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    for id in [
        "hangs", "fails", "missing", "works", "json", "badjson", "fallback", "skipped",
    ] {
        assert!(log.contains(&format!("] {id} ")), "{id} missing in\n{log}");
    }
}

#[test]
fn an_existing_output_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("b.zip");
    std::fs::write(&target, b"previous bundle").unwrap();
    let plan = Plan {
        steps: vec![],
        options: PlanOptions {
            source: Source::Live,
            role: Role::Client,
            since: Utc::now(),
            security: false,
            server: None,
            probe_timeout: Duration::from_millis(300),
            skip: vec![],
        },
    };
    let opts = CollectOptions::live(target.clone());
    let err = collect_plan(plan, &opts, &mut rdpdiag_collect::collect::Silent).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&target).unwrap(), b"previous bundle");
}
