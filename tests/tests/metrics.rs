//! The metrics of a real invocation, read out of its log: catalog-sharer runs against moto in a
//! child process with the functions' own logging (`runtime::init_tracing`) writing to its stdout,
//! as on Lambda; this test reads that stdout, takes the report line and checks its embedded metric
//! format document against the specification (`lakewarden::metrics::check_emf`, which cites it)
//! and against the report it describes.
//!
//! A child process, because the log goes to the process's stdout: reading it from the test's own
//! process would mean redirecting file descriptors under the other tests of the harness.

use std::process::Command;

use lakewarden::metrics::{check_emf, METRICS, NAMESPACE};
use lakewarden_tests::*;
use serde_json::Value;

const CHILD: &str = "LAKEWARDEN_METRICS_CHILD";
const TEST: &str = "a_real_invocation_logs_valid_emf_metrics";

/// In the child: three invocations of catalog-sharer on a fresh producer account — a scheduled
/// reconcile that grants (drift repaired), a CreateDatabase event that shares a new database
/// (writes, but not drift), and a scheduled reconcile with nothing left to do.
fn child() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let acct = fresh_account().await;
            let bucket = acct.bucket("cur-data").await;
            let topic = acct.topic("lakewarden-alerts").await;
            acct.database("cur_org", Some(&format!("s3://{bucket}/cur/")))
                .await;
            acct.parquet_table("cur_org", "daily", &format!("s3://{bucket}/cur/daily/"))
                .await;
            let config = format!(
                "alerts: {{ topic_arn: \"{topic}\" }}\nproducer:\n  shares:\n    - database: \"cur_*\"\n      consumers: [\"{}\"]\n",
                new_account_id()
            );
            let ctx = acct.ctx(&config);
            lakewarden::runtime::init_tracing();
            let run = |event: Value| catalog_sharer::handle(&ctx, event);
            run(scheduled_event(&acct.id)).await.expect("first reconcile");
            acct.database("cur_billing", Some(&format!("s3://{bucket}/billing/")))
                .await;
            acct.parquet_table("cur_billing", "monthly", &format!("s3://{bucket}/billing/monthly/"))
                .await;
            run(glue_db_event(&acct.id, "cur_billing", "CreateDatabase", &[]))
                .await
                .expect("create database");
            run(scheduled_event(&acct.id))
                .await
                .expect("converged reconcile");
        });
}

/// The report inside the line (`fields.report`, the report event's field): a string holding the
/// report's JSON, or the object itself.
fn report_of(line: &Value) -> Value {
    match &line["fields"]["report"] {
        Value::String(s) => serde_json::from_str(s).expect("report JSON"),
        v => v.clone(),
    }
}

fn count(report: &Value, outcome: &str) -> u64 {
    report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["outcome"] == outcome)
        .count() as u64
}

#[test]
fn a_real_invocation_logs_valid_emf_metrics() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            TEST,
            "--exact",
            "--nocapture",
            "--quiet",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("RUST_LOG", "info")
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every log line is one JSON object (CloudWatch reads EMF only from such a line).
    let lines: Vec<Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let metric_lines: Vec<&Value> = lines.iter().filter(|l| l.get("_aws").is_some()).collect();
    assert_eq!(
        metric_lines.len(),
        3,
        "one metric document per invocation:\n{stdout}"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    for line in &metric_lines {
        assert_eq!(check_emf(line), Vec::<String>::new(), "{line}");
        let ts = line["_aws"]["Timestamp"].as_i64().unwrap();
        assert!(started <= ts && ts <= now, "timestamp {ts} outside the run");
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Dimensions"], serde_json::json!([["Function"]]));
        let names: Vec<&str> = directive["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, METRICS.map(|(n, _)| n));
        assert_eq!(line["Function"], "catalog-sharer");
        // The numbers are the report's.
        let report = report_of(line);
        assert_eq!(report["function"], "catalog-sharer");
        assert_eq!(line["ActionsApplied"], count(&report, "applied"));
        assert_eq!(line["ActionsFailed"], count(&report, "failed"));
        assert_eq!(line["ActionsSkipped"], count(&report, "skipped"));
        let calls: u64 = report["api_calls"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(line["ApiCalls"], calls);
        assert!(calls > 0);
        assert!(line["DurationMs"].as_u64().is_some());
    }
    let (first, event, converged) = (metric_lines[0], metric_lines[1], metric_lines[2]);
    let writes = |l: &Value| report_of(l)["writes"].as_u64().unwrap();
    // The first scheduled run granted: that is drift repaired, all of its writes.
    assert!(writes(first) > 0);
    assert_eq!(first["DriftRepaired"], writes(first));
    // An event's writes are the expected reaction, not drift.
    assert!(writes(event) > 0);
    assert_eq!(event["DriftRepaired"], 0);
    // Converged: nothing applied, nothing repaired.
    assert_eq!(converged["ActionsApplied"], 0);
    assert_eq!(converged["DriftRepaired"], 0);
}
