//! The `analyze`, `explain`, `timeline` and `rules` commands as a user runs them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rdpdiag"))
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/bundles")
}

fn ticket(name: &str) -> [PathBuf; 2] {
    [
        samples().join(format!("{name}-client.zip")),
        samples().join(format!("{name}-server.zip")),
    ]
}

#[test]
fn exit_codes_say_diagnosed_nothing_failed_and_bad_input() {
    let out = bin()
        .arg("analyze")
        .args(ticket("cert-key-unreadable"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Most likely cause: cert-key-unreadable"), "{text}");
    assert!(text.contains("Fix:"));

    let out = bin().arg("analyze").args(ticket("healthy")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));

    let out = bin()
        .args(["analyze", "/nonexistent/ticket.zip"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin().arg("analyze").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_ticket_folder_of_bundles_is_paired_automatically() {
    let dir = tempfile::tempdir().unwrap();
    for p in ticket("nla-credssp-mismatch") {
        std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    let out = bin()
        .args(["analyze", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["top_cause"], "nla-credssp-mismatch");
    assert_eq!(r["hosts"].as_array().unwrap().len(), 2);
}

#[test]
fn json_report_validates_against_the_committed_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/json/report.v1.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for name in [
        "healthy",
        "tls-or-fips-mismatch",
        "mixed-two-causes",
        "listener-or-port-problem",
    ] {
        let out = bin()
            .args(["analyze", "--format", "json"])
            .args(ticket(name))
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors: Vec<String> = validator.iter_errors(&r).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        assert!(r.get("top_cause").is_some() && r["causes"].is_array());
        if name == "healthy" {
            assert!(r["top_cause"].is_null());
        } else {
            assert_eq!(r["causes"][0]["id"], r["top_cause"]);
            assert!(r["causes"][0]["confidence"].as_f64().unwrap() > 0.4);
        }
    }
}

#[test]
fn html_and_markdown_reports_are_written_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    for (fmt, file) in [("html", "r.html"), ("md", "r.md")] {
        let path = dir.path().join(file);
        let out = bin()
            .args(["analyze", "--format", fmt, "-o"])
            .arg(&path)
            .args(ticket("proxy-or-bastion-in-path"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("proxy-or-bastion-in-path"), "{fmt}");
        if fmt == "html" {
            assert!(text.starts_with("<!DOCTYPE html>"));
            assert!(text.contains("Content-Security-Policy") && !text.to_lowercase().contains("<script"));
            assert!(text.contains("class=\"lanes\""), "two-lane timeline");
        }
    }
}

#[test]
fn explain_decodes_0x904_and_0x7() {
    let out = bin().args(["explain", "0x904", "0x7"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap().to_lowercase();
    assert!(
        text.contains("socket closed") || text.contains("fd_close"),
        "{text}"
    );
    assert!(
        text.contains("synthes"),
        "mentions that the client may make up ext 7: {text}"
    );
    let out = bin()
        .args(["explain", "2308", "--format", "json"])
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["code"], 2308);
    assert!(!bin().args(["explain", "0xZZ"]).output().unwrap().status.success());
}

#[test]
fn rules_list_and_check_name_the_line() {
    let out = bin().args(["rules", "list"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 17, "{text}");
    for id in [
        "rdp-service-crash",
        "credentials-rejected",
        "middlebox-reset",
        "rdp-protocol-error",
        "logon-disabled",
        "gateway-or-broker-leg",
    ] {
        assert!(text.lines().any(|l| l.starts_with(id)), "{id} missing:\n{text}");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "id = \"cert-key-unreadable\"\ntitle = \"t\"\nprior = 0.1\nexplains = {}\n\n[[evidence]]\nid = \"x\"\nsays = \"s\"\nweight = 3.0\nhost = \"server\"\nfact = { path = \"a\", op = \"eq\", value = 1 }\n",
    )
    .unwrap();
    let out = bin().args(["rules", "check"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("bad.toml:6:") && err.contains("weight"), "{err}");
    // A valid override replaces the embedded rule of the same id.
    let good =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/outdated-client.toml"))
            .unwrap()
            .replace("prior = 0.04", "prior = 0.5");
    std::fs::remove_file(dir.path().join("bad.toml")).unwrap();
    std::fs::write(dir.path().join("outdated-client.toml"), good).unwrap();
    let out = bin().args(["rules", "check"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success());
    let out = bin()
        .args(["rules", "list", "--rules"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("outdated-client") && l.contains("prior 0.50")),
        "{text}"
    );
}

#[test]
fn timeline_merges_both_hosts_on_the_server_clock() {
    let out = bin()
        .args(["timeline", "--format", "jsonl"])
        .args(ticket("cert-key-unreadable"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(rows.iter().any(|r| r["host"] == "client") && rows.iter().any(|r| r["host"] == "server"));
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = rows
        .iter()
        .map(|r| chrono::DateTime::parse_from_rfc3339(r["server_time_utc"].as_str().unwrap()).unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "rows are in server-clock order");
    // Client rows are shifted by the estimated skew (-138 s in the committed ticket).
    let c = rows.iter().find(|r| r["host"] == "client").unwrap();
    let st = chrono::DateTime::parse_from_rfc3339(c["server_time_utc"].as_str().unwrap()).unwrap();
    let ht = chrono::DateTime::parse_from_rfc3339(c["host_time_utc"].as_str().unwrap()).unwrap();
    assert!(
        ((ht - st).num_milliseconds() + 138_000).abs() < 1000,
        "{}",
        (ht - st).num_milliseconds()
    );
    let out = bin()
        .args(["timeline", "--format", "csv"])
        .args(ticket("cert-key-unreadable"))
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.starts_with("server_time_utc,host_time_utc,host,"));
}

#[test]
fn one_sided_tickets_reported_codes_and_time_windows() {
    // Server only, the codes the user saw given: diagnosed from the server's connections.
    let out = bin()
        .args(["analyze", "--format", "json", "--reported", "0x904/0x7"])
        .arg(samples().join("cert-key-unreadable-server.zip"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["top_cause"], "cert-key-unreadable");
    assert!(r["notes"][0].as_str().unwrap().starts_with("Server only"));
    assert!(r["server_summary"]["failed_in_setup"].as_u64().unwrap() > 0);
    let a = &r["attempts"][0];
    assert_eq!(a["origin"], "server-connection");
    assert_eq!(a["code_source"], "reported by the user");
    assert_eq!(a["extended_reason"], 7);
    // A mistyped password is no 0x904: named as refused credentials, never an NLA mismatch.
    let out = bin()
        .args(["analyze", "--format", "json"])
        .args(ticket("healthy-wrong-password"))
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["verdict"], "diagnosed", "{r}");
    assert_eq!(r["top_cause"], "credentials-rejected");
    let causes = r["causes"].as_array().unwrap();
    assert!(
        causes
            .iter()
            .filter(|c| c["id"] == "nla-credssp-mismatch")
            .all(|c| c["confidence"].as_f64().unwrap() <= 0.3),
        "{causes:?}"
    );
    // A window before every attempt leaves nothing to diagnose; a bad time is a usage error.
    let out = bin()
        .args(["analyze", "--format", "json", "--until", "2000-01-01T00:00:00Z"])
        .args(ticket("cert-key-unreadable"))
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["verdict"], "nothing-failed", "{r}");
    assert!(r["notes"].to_string().contains("outside the time window"));
    let out = bin()
        .args(["analyze", "--since", "yesterday"])
        .args(ticket("cert-key-unreadable"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give a time"));
}
