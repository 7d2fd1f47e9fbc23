//! Loading bundle manifests: the example round-trips, and every kind of bad manifest is
//! rejected with an error that names the offending field, by both the Rust loader and the
//! committed JSON Schema.

// Test helpers outside #[test] fns are not covered by clippy.toml's allow-unwrap-in-tests.

use rdpdiag_schemas::domain::{ArtifactKind, ArtifactStatus, Role, TextFormat};
use rdpdiag_schemas::manifest::{CollectionMode, Manifest, ManifestError, check_bundle_path};
use serde_json::{Value, json};

const EXAMPLE: &str = include_str!("data/manifest.example.json");

fn example_value() -> Value {
    serde_json::from_str(EXAMPLE).unwrap()
}

fn load(value: &Value) -> Result<Manifest, ManifestError> {
    Manifest::from_json_slice(&serde_json::to_vec(value).unwrap())
}

/// Loads `value`, expecting failure, and returns (field, message).
fn load_err(value: &Value) -> (String, String) {
    match load(value) {
        Ok(_) => panic!("manifest was accepted:\n{value:#}"),
        Err(e) => (e.field().to_string(), e.to_string()),
    }
}

fn manifest_schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/json/manifest.v1.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn schema_validator() -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&manifest_schema())
        .unwrap()
}

#[test]
fn example_loads_with_the_expected_content() {
    let m = Manifest::from_json_slice(EXAMPLE.as_bytes()).unwrap();
    assert_eq!(m.schema_version, 1);
    assert_eq!(m.host.role, Role::Client);
    assert_eq!(m.collection_mode, CollectionMode::Live);
    assert_eq!(m.ticket.as_deref(), Some("INC0048213"));
    assert!(m.artifacts.len() >= 5);
    let failed: Vec<_> = m
        .artifacts
        .iter()
        .filter(|a| a.status == ArtifactStatus::Failed)
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].sha256.is_none() && failed[0].size == 0 && failed[0].error.is_some());
    assert!(m.artifacts.iter().any(|a| a.kind == ArtifactKind::Evtx));
    assert!(
        m.artifacts
            .iter()
            .any(|a| a.text_format == Some(TextFormat::Netstat) && a.status == ArtifactStatus::Partial)
    );
}

#[test]
fn example_round_trips() {
    let m = Manifest::from_json_slice(EXAMPLE.as_bytes()).unwrap();
    let written = m.to_json_pretty();
    let again = Manifest::from_json_slice(&written).unwrap();
    assert_eq!(m, again);
    // Nothing is lost or renamed on the way: the JSON is the same as the example's.
    let written_value: Value = serde_json::from_slice(&written).unwrap();
    assert_eq!(written_value, example_value());
}

#[test]
fn example_is_valid_against_the_json_schema() {
    let validator = schema_validator();
    let errors: Vec<String> = validator
        .iter_errors(&example_value())
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// Each case: a mutation of the example, the field the loader must name, and whether the JSON
/// Schema can see the problem too (duplicates and time order it cannot).
struct Case {
    what: &'static str,
    mutate: fn(&mut Value),
    field: &'static str,
    schema_rejects: bool,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            what: "missing required field",
            mutate: |v| {
                v["host"].as_object_mut().unwrap().remove("role");
            },
            field: "host.role",
            schema_rejects: true,
        },
        Case {
            what: "missing required top-level field",
            mutate: |v| {
                v.as_object_mut().unwrap().remove("artifacts");
            },
            field: "artifacts",
            schema_rejects: true,
        },
        Case {
            what: "wrong type",
            mutate: |v| v["artifacts"][1]["size"] = json!("4263936"),
            field: "artifacts[1].size",
            schema_rejects: true,
        },
        Case {
            what: "unknown field",
            mutate: |v| v["host"]["hostname"] = json!("WS-ALICE01"),
            field: "host.hostname",
            schema_rejects: true,
        },
        Case {
            what: "unknown top-level field",
            mutate: |v| v["comment"] = json!("hi"),
            field: "comment",
            schema_rejects: true,
        },
        Case {
            what: "bad enum value",
            mutate: |v| v["artifacts"][0]["kind"] = json!("evt"),
            field: "artifacts[0].kind",
            schema_rejects: true,
        },
        Case {
            what: "bad role",
            mutate: |v| v["host"]["role"] = json!("Client"),
            field: "host.role",
            schema_rejects: true,
        },
        Case {
            what: "bad timestamp",
            mutate: |v| v["window"]["since_utc"] = json!("yesterday"),
            field: "window.since_utc",
            schema_rejects: true,
        },
        Case {
            what: "sha256 too short",
            mutate: |v| v["artifacts"][2]["sha256"] = json!("abc123"),
            field: "artifacts[2].sha256",
            schema_rejects: true,
        },
        Case {
            what: "sha256 upper case",
            mutate: |v| {
                let upper = v["artifacts"][2]["sha256"].as_str().unwrap().to_uppercase();
                v["artifacts"][2]["sha256"] = json!(upper);
            },
            field: "artifacts[2].sha256",
            schema_rejects: true,
        },
        Case {
            what: "blake3 not hex",
            mutate: |v| v["artifacts"][2]["blake3"] = json!("z".repeat(64)),
            field: "artifacts[2].blake3",
            schema_rejects: true,
        },
        Case {
            what: "`..` in path",
            mutate: |v| v["artifacts"][3]["path"] = json!("registry/../../etc/passwd"),
            field: "artifacts[3].path",
            schema_rejects: true,
        },
        Case {
            what: "absolute path",
            mutate: |v| v["artifacts"][3]["path"] = json!("/etc/passwd"),
            field: "artifacts[3].path",
            schema_rejects: true,
        },
        Case {
            what: "drive-letter path",
            mutate: |v| v["artifacts"][3]["path"] = json!("C:/Windows/win.ini"),
            field: "artifacts[3].path",
            schema_rejects: true,
        },
        Case {
            what: "backslash path",
            mutate: |v| v["artifacts"][3]["path"] = json!("registry\\fips.reg"),
            field: "artifacts[3].path",
            schema_rejects: true,
        },
        Case {
            what: "empty path component",
            mutate: |v| v["artifacts"][3]["path"] = json!("registry//fips.reg"),
            field: "artifacts[3].path",
            schema_rejects: true,
        },
        Case {
            what: "duplicate path",
            mutate: |v| {
                let first = v["artifacts"][0]["path"].clone();
                v["artifacts"][4]["path"] = first;
            },
            field: "artifacts[4].path",
            schema_rejects: false,
        },
        Case {
            what: "wrong schema_version",
            mutate: |v| v["schema_version"] = json!(2),
            field: "schema_version",
            schema_rejects: true,
        },
        Case {
            what: "window since after until",
            mutate: |v| {
                v["window"]["since_utc"] = json!("2025-03-05T00:00:00Z");
            },
            field: "window",
            schema_rejects: false,
        },
        Case {
            what: "step finished before it started",
            mutate: |v| v["artifacts"][5]["finished_utc"] = json!("2025-03-04T09:00:00Z"),
            field: "artifacts[5].finished_utc",
            schema_rejects: false,
        },
        Case {
            what: "empty host name",
            mutate: |v| v["host"]["name"] = json!("  "),
            field: "host.name",
            schema_rejects: false,
        },
    ]
}

#[test]
fn errors_name_the_offending_field() {
    for case in cases() {
        let mut v = example_value();
        (case.mutate)(&mut v);
        let (field, message) = load_err(&v);
        assert_eq!(field, case.field, "{}: {message}", case.what);
        // The rendered message carries the field too, for users who only see the text.
        assert!(
            message.contains(&format!("`{}`", case.field)),
            "{}: message {message:?} does not name {}",
            case.what,
            case.field
        );
    }
}

#[test]
fn json_schema_rejects_what_it_can_express() {
    let validator = schema_validator();
    for case in cases() {
        let mut v = example_value();
        (case.mutate)(&mut v);
        assert_eq!(
            !validator.is_valid(&v),
            case.schema_rejects,
            "{}: schema verdict differs from expectation",
            case.what
        );
    }
}

#[test]
fn not_json_names_the_root() {
    let err = Manifest::from_json_slice(b"{not json").unwrap_err();
    assert_eq!(err.field(), ".");
    assert!(matches!(err, ManifestError::Json { .. }));
}

#[test]
fn optional_fields_may_be_absent() {
    let mut v = example_value();
    let obj = v.as_object_mut().unwrap();
    obj.remove("ticket");
    obj.remove("redaction");
    let host = v["host"].as_object_mut().unwrap();
    for key in ["domain", "os", "addresses", "time_zone", "clock"] {
        host.remove(key);
    }
    let m = load(&v).unwrap();
    assert!(m.ticket.is_none() && m.host.os.is_none() && m.host.addresses.is_empty());
    assert!(schema_validator().is_valid(&v));
}

#[test]
fn bundle_path_rule_and_schema_pattern_agree() {
    let pattern = regex_for_schema_pattern();
    for (path, ok) in [
        ("evtx/System.evtx", true),
        (
            "evtx/Microsoft-Windows-TerminalServices-RDPClient%4Operational.evtx",
            true,
        ),
        ("a/.hidden", true),
        ("..foo", true),
        ("manifest.json", true),
        ("", false),
        ("/abs", false),
        ("a/", false),
        ("a//b", false),
        ("./a", false),
        ("a/./b", false),
        ("..", false),
        ("a/..", false),
        ("a/../b", false),
        ("a\\b", false),
        ("C:/x", false),
        ("a\0b", false),
    ] {
        assert_eq!(check_bundle_path(path).is_ok(), ok, "check_bundle_path({path:?})");
        assert_eq!(
            pattern.is_valid(&json!({ "p": path })),
            ok,
            "schema pattern on {path:?}"
        );
    }
}

/// A tiny schema that applies BUNDLE_PATH_PATTERN, to test it through the same regex engine
/// the manifest schema uses.
fn regex_for_schema_pattern() -> jsonschema::Validator {
    let schema = json!({
        "type": "object",
        "properties": {
            "p": { "type": "string", "pattern": rdpdiag_schemas::manifest::BUNDLE_PATH_PATTERN }
        }
    });
    jsonschema::validator_for(&schema).unwrap()
}
