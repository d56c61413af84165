//! CI runs the whole harness at its smoke size: every metric, tiny workloads, debug build.
//! It checks the harness works and writes both result files; its numbers mean nothing.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

use std::process::Command;

#[test]
fn the_smoke_size_runs_every_metric_and_writes_both_files() {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_trellis-bench"))
        .args(["--size", "smoke", "--out"])
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    let md = std::fs::read_to_string(out.path().join("results.md")).unwrap();
    assert!(md.contains("full sync from empty"), "{md}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("results.json")).unwrap())
            .unwrap();
    let rows = json["rows"].as_array().unwrap();
    for metric in ["1.", "2.", "3.", "4.", "5.", "6."] {
        assert!(
            rows.iter()
                .any(|r| r["metric"].as_str().unwrap().starts_with(metric)),
            "metric {metric} is missing"
        );
    }
    // W3 through the mailbox, next to W3 live: the row, and envelopes that really went
    // both ways (the harness itself checks that both copies end with the same heads).
    assert!(md.contains("W3 through the mailbox"), "{md}");
    let reunions = json["raw"]["w3_mailbox_reunions"].as_array().unwrap();
    assert!(!reunions.is_empty());
    for r in reunions {
        assert!(r["envelope_bytes"][0].as_u64().unwrap() > 0, "{r}");
        assert!(r["envelope_bytes"][1].as_u64().unwrap() > 0, "{r}");
        assert_eq!(r["picked_up"], serde_json::json!([1, 1]), "{r}");
    }
    assert!(
        !out.path().join("work").exists(),
        "scratch profiles are removed"
    );
}
