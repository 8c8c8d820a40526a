//! The hostile event corpus (`tests/events/hostile/`, made by its `gen.py`) against every
//! function's handler, in a world where each function has real work it could be tricked into.
//!
//! Each function gets one account (or two) and one context; its world is reconciled until a
//! scheduled run writes nothing, then every hostile event is handled with that context and must:
//! - not panic (each call runs in its own task, a panic is reported with the file name);
//! - be rejected with `HandlerError::BadEvent` (a message starting `malformed event`, bounded in
//!   size, naming what is wrong for the event kinds the function takes, after no API call at all),
//!   or end in a report, or in an error reporting failed reads;
//! - make ZERO writes: every operation but Get/List/Describe/Search/BatchGet/Query/Scan/Head
//!   counts (the API counter before and after the call), `sns.Publish` included unless
//!   index.json names the function in `alert_expected_from` (integration-doctor's documented
//!   alert on a FAILED / NEEDS_ATTENTION state change).
//!
//! Files named `unparseable-*` cannot reach a handler: the Lambda runtime parses the payload
//! with serde_json, whose recursion limit (128) makes 10,000 levels a clean parse error. They
//! are checked to be exactly that.
//!
//! Accounts: the corpus uses 111111111111 for the producer/source and 222222222222 for the
//! consumer/target (as tests/events/README.md); each world swaps in its own accounts.

use std::collections::BTreeMap;
use std::future::Future;

use lakewarden::report::{Outcome, Report};
use lakewarden::runtime::{Ctx, HandlerError};
use lakewarden_tests::*;
use serde_json::{json, Value};

/// The longest error message a rejected event may produce: the message goes to the logs and to
/// the caller, and must not echo a 256 KB field back.
const MAX_ERROR_CHARS: usize = 2_000;
const T0: &str = "2026-11-24T10:00:00Z";

struct Case {
    name: String,
    text: String,
    kind: String,
    mentions: Vec<String>,
    /// Functions whose documented answer to this event is an alert.
    alert_expected_from: Vec<String>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn corpus() -> Vec<Case> {
    let dir = repo_root().join("tests/events/hostile");
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("index.json")).expect("hostile/index.json"),
    )
    .expect("index json");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("hostile dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".json") || name == "index.json" {
            continue;
        }
        let meta = &index[&name];
        assert!(
            meta.is_object(),
            "{name} is not in index.json: rerun tests/events/hostile/gen.py"
        );
        out.push(Case {
            text: std::fs::read_to_string(&path).expect("read"),
            kind: meta["kind"].as_str().unwrap_or("any").to_string(),
            mentions: strings(&meta["error_mentions"]),
            alert_expected_from: strings(&meta["alert_expected_from"]),
            name,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(
        out.len() >= 60,
        "the corpus holds {} events, fewer than 60",
        out.len()
    );
    out
}

#[test]
fn the_corpus_is_large_enough_and_deep_files_are_clean_parse_errors() {
    let cases = corpus();
    let parseable = cases
        .iter()
        .filter(|c| !c.name.starts_with("unparseable-"))
        .count();
    assert!(parseable >= 60, "{parseable} parseable events");
    let total: usize = cases.iter().map(|c| c.text.len()).sum();
    assert!(total < 3_000_000, "corpus is {total} bytes");
    for c in &cases {
        let parsed = serde_json::from_str::<Value>(&c.text);
        if c.name.starts_with("unparseable-") {
            let e = parsed.expect_err(&c.name).to_string();
            if c.name.contains("deep") {
                assert!(e.contains("recursion limit"), "{}: {e}", c.name);
            }
        } else {
            parsed.unwrap_or_else(|e| panic!("{}: {e}", c.name));
        }
    }
}

/// What one call did.
struct Outcome1 {
    file: String,
    verdict: String,
    writes: Vec<String>,
    publishes: u64,
    problems: Vec<String>,
}

fn ops_since(ctx: &Ctx, before: &lakewarden::report::CallSnapshot) -> Report {
    let mut r = Report::new("probe", false);
    r.set_calls(&ctx.aws.counter, before);
    r
}

fn is_write(op: &str) -> bool {
    let name = op.split_once('.').map(|(_, n)| n).unwrap_or(op);
    lakewarden::report::is_write_operation(name)
}

fn takes(function: &str, kind: &str) -> bool {
    match function {
        "catalog-sharer" => matches!(kind, "glue" | "scheduled" | "any"),
        "share-linker" => matches!(kind, "glue" | "ram" | "scheduled" | "any"),
        "datazone-subscriber" => matches!(kind, "datazone" | "scheduled" | "any"),
        "table-exporter" | "integration-monitor" => matches!(kind, "scheduled" | "any"),
        "integration-doctor" => matches!(kind, "zetl" | "cloudtrail" | "scheduled" | "any"),
        _ => false,
    }
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic)".into()
    }
}

/// Run the whole corpus through `handler` with `ctx`, after swapping in the world's accounts;
/// `reset` is the scheduled event that converges the world again after a case that wrote.
async fn run_corpus<F, Fut>(
    function: &str,
    ctx: &Ctx,
    accounts: &[(&str, &str)],
    reset: Value,
    handler: F,
) -> Vec<Outcome1>
where
    F: Fn(Ctx, Value) -> Fut,
    Fut: Future<Output = Result<Report, HandlerError>> + Send + 'static,
{
    let mut out = Vec::new();
    for c in corpus() {
        if c.name.starts_with("unparseable-") {
            continue;
        }
        let mut text = c.text.clone();
        for (from, to) in accounts {
            text = text.replace(from, to);
        }
        let event: Value = serde_json::from_str(&text).expect("parseable");
        let before = ctx.aws.counter.snapshot();
        let joined = tokio::spawn(handler(ctx.clone(), event)).await;
        let calls = ops_since(ctx, &before);
        let mut problems = Vec::new();
        let writes: Vec<String> = calls
            .api_operations
            .iter()
            .filter(|(op, _)| is_write(op) && op.as_str() != "sns.Publish")
            .map(|(op, n)| format!("{op} x{n}"))
            .collect();
        let publishes = calls.calls_of("sns.Publish");
        if !writes.is_empty() {
            problems.push(format!("wrote: {}", writes.join(", ")));
        }
        if publishes > 0 && !c.alert_expected_from.iter().any(|f| f == function) {
            problems.push(format!("published {publishes} alert(s)"));
        }
        let verdict = match joined {
            Err(e) if e.is_panic() => {
                let msg = panic_message(e.into_panic());
                problems.push(format!("PANIC: {msg}"));
                "panic".to_string()
            }
            Err(e) => {
                problems.push(format!("task failed: {e}"));
                "task failed".into()
            }
            Ok(Err(HandlerError::BadEvent(e))) => {
                let msg = HandlerError::BadEvent(e).to_string();
                if !msg.starts_with("malformed event") {
                    problems.push(format!("BadEvent message does not say so: {msg}"));
                }
                let chars = msg.chars().count();
                if chars > MAX_ERROR_CHARS {
                    problems.push(format!(
                        "BadEvent message is {chars} characters (echoes the input): {}…",
                        msg.chars().take(160).collect::<String>()
                    ));
                }
                if !calls.api_operations.is_empty() {
                    problems.push(format!(
                        "rejected after API calls: {:?}",
                        calls.api_operations
                    ));
                }
                if takes(function, &c.kind) && !c.mentions.is_empty() {
                    let lower = msg.to_lowercase();
                    if !c.mentions.iter().any(|m| lower.contains(&m.to_lowercase())) {
                        problems.push(format!(
                            "BadEvent message names none of {:?}: {}",
                            c.mentions,
                            msg.chars().take(300).collect::<String>()
                        ));
                    }
                }
                format!("rejected: {}", msg.chars().take(140).collect::<String>())
            }
            Ok(Err(HandlerError::Config(e))) => {
                problems.push(format!("configuration error: {e}"));
                "config error".into()
            }
            Ok(Err(HandlerError::ActionsFailed { report, summary })) => {
                if report.count(Outcome::Applied) > 0 {
                    problems.push("applied actions".into());
                }
                let failed: Vec<String> = report
                    .failures()
                    .iter()
                    .map(|a| {
                        format!(
                            "{} {}: {}",
                            a.action,
                            a.target.chars().take(80).collect::<String>(),
                            a.error
                                .as_deref()
                                .unwrap_or_default()
                                .chars()
                                .take(120)
                                .collect::<String>()
                        )
                    })
                    .collect();
                format!("failed after reads ({summary}): {}", failed.join("; "))
            }
            Ok(Ok(report)) => {
                if report.count(Outcome::Applied) > 0 {
                    problems.push(format!(
                        "applied: {:?}",
                        report
                            .actions
                            .iter()
                            .filter(|a| a.outcome == Outcome::Applied)
                            .map(|a| a.target.clone())
                            .collect::<Vec<_>>()
                    ));
                }
                let ignored = report
                    .notes
                    .iter()
                    .find_map(|n| n.get("ignored").and_then(Value::as_str));
                match ignored {
                    Some(why) => format!("ignored: {}", why.chars().take(140).collect::<String>()),
                    None => format!(
                        "reconciled, nothing to change ({} actions)",
                        report.actions.len()
                    ),
                }
            }
        };
        // A write is reported against this file only: converge again so that its knock-on
        // effects (e.g. an export it started completing) are not blamed on the next files.
        if !writes.is_empty() {
            for _ in 0..3 {
                match handler(ctx.clone(), reset.clone()).await {
                    Ok(r) if r.writes == 0 => break,
                    _ => continue,
                }
            }
        }
        out.push(Outcome1 {
            file: c.name,
            verdict,
            writes,
            publishes,
            problems,
        });
    }
    out
}

/// Print the table and fail with every problem found.
fn judge(function: &str, outcomes: &[Outcome1]) {
    let mut by_verdict: BTreeMap<&str, usize> = BTreeMap::new();
    for o in outcomes {
        let class = o.verdict.split(':').next().unwrap_or_default();
        let class = class.split(" (").next().unwrap_or(class);
        *by_verdict
            .entry(match class {
                "rejected" => "rejected",
                "ignored" => "ignored",
                "failed after reads" => "failed after reads",
                "panic" => "panic",
                c if c.starts_with("reconciled") => "reconciled, nothing to change",
                _ => "other",
            })
            .or_default() += 1;
        println!(
            "{function} | {} | {} | writes {:?} | alerts {}",
            o.file, o.verdict, o.writes, o.publishes
        );
    }
    println!("{function}: {} events: {by_verdict:?}", outcomes.len());
    let problems: Vec<String> = outcomes
        .iter()
        .flat_map(|o| {
            o.problems
                .iter()
                .map(move |p| format!("{function} {}: {p}", o.file))
        })
        .collect();
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Run a scheduled reconcile until it writes nothing (the world is converged).
async fn converge<F, Fut>(what: &str, ctx: &Ctx, event: Value, handler: F)
where
    F: Fn(Ctx, Value) -> Fut,
    Fut: Future<Output = Result<Report, HandlerError>> + Send + 'static,
{
    for _ in 0..4 {
        match handler(ctx.clone(), event.clone()).await {
            Ok(r) if r.writes == 0 => return,
            Ok(_) => continue,
            Err(e) => panic!("{what}: setup reconcile failed: {e}"),
        }
    }
    panic!("{what}: a scheduled reconcile still writes after 4 runs");
}

fn sched(account: &str) -> Value {
    let mut e = scheduled_event(account);
    e["time"] = json!(T0);
    e
}

async fn role(acct: &Account, name: &str, service: &str) -> String {
    acct.iam()
        .create_role()
        .role_name(name)
        .assume_role_policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
            .to_string(),
        )
        .send()
        .await
        .expect("create role");
    format!("arn:aws:iam::{}:role/{name}", acct.id)
}

/// A producer account with `cur_org` (two Parquet tables under its LocationUri) in a bucket.
async fn producer_catalog() -> (Account, String) {
    let p = fresh_account().await;
    let bucket = p.bucket("cur-data").await;
    p.database("cur_org", Some(&format!("s3://{bucket}/cur/")))
        .await;
    for t in ["legacy_all", "daily"] {
        p.parquet_table("cur_org", t, &format!("s3://{bucket}/cur/{t}/"))
            .await;
    }
    (p, bucket)
}

#[tokio::test]
async fn catalog_sharer_survives_the_corpus() {
    let (p, _bucket) = producer_catalog().await;
    let consumer = new_account_id();
    let topic = p.topic("lakewarden-alerts").await;
    let cfg = format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\nproducer:\n  shares:\n    - database: \"cur_*\"\n      consumers: [\"{consumer}\", \"arn:aws:organizations::{}:organization/o-abc123def4\", \"arn:aws:iam::{consumer}:role/analyst\"]\n",
        p.id
    );
    let ctx = p.ctx(&cfg);
    let h = |ctx: Ctx, ev: Value| async move { catalog_sharer::handle(&ctx, ev).await };
    converge("catalog-sharer", &ctx, sched(&p.id), h).await;
    let out = run_corpus(
        "catalog-sharer",
        &ctx,
        &[("111111111111", &p.id), ("222222222222", &consumer)],
        sched(&p.id),
        h,
    )
    .await;
    judge("catalog-sharer", &out);
}

#[tokio::test]
async fn share_linker_survives_the_corpus() {
    let (p, _bucket) = producer_catalog().await;
    let c = fresh_account().await;
    let pcfg = format!(
        "producer:\n  shares:\n    - database: cur_org\n      consumers: [\"{}\"]\n",
        c.id
    );
    let pctx = p.ctx(&pcfg);
    converge(
        "catalog-sharer (producer of share-linker)",
        &pctx,
        sched(&p.id),
        |ctx: Ctx, ev| async move { catalog_sharer::handle(&ctx, ev).await },
    )
    .await;
    let role_arn = role(&c, "glue-job", "glue.amazonaws.com").await;
    let topic = c.topic("lakewarden-alerts").await;
    let cfg = format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\nconsumer:\n  trusted_producers: [\"{p}\"]\n  links:\n    - producer: \"{p}\"\n      database: cur_org\n      link_name: cur_org_linked\n      roles: [\"{role_arn}\"]\n      s3_read_policy: true\n",
        p = p.id
    );
    let ctx = c.ctx(&cfg);
    let h = |ctx: Ctx, ev: Value| async move { share_linker::handle(&ctx, ev).await };
    converge("share-linker", &ctx, sched(&c.id), h).await;
    // The world really is linked: the corpus could break something.
    let link = c
        .glue()
        .get_database()
        .name("cur_org_linked")
        .send()
        .await
        .expect("the link exists");
    assert!(link.database().and_then(|d| d.target_database()).is_some());
    let out = run_corpus(
        "share-linker",
        &ctx,
        &[("111111111111", &p.id), ("222222222222", &c.id)],
        sched(&c.id),
        h,
    )
    .await;
    judge("share-linker", &out);
}

fn dz_put(kind: &str, item: Value) {
    let (code, body) = moto().http(
        "POST",
        "/lakewarden-test/datazone/put",
        &json!({"kind": kind, "item": item}).to_string(),
    );
    assert_eq!(code, 200, "{body}");
}

#[tokio::test]
async fn datazone_subscriber_survives_the_corpus() {
    let a = fresh_account().await;
    let other = new_account_id();
    let bucket = a.bucket("sales-raw").await;
    let topic = a.topic("lakewarden-alerts").await;
    let role_arn = role(&a, "datazone_usr_env_consumer", "datazone.amazonaws.com").await;
    a.database("cm_kasama_sales", None).await;
    a.parquet_table(
        "cm_kasama_sales",
        "orders",
        &format!("s3://{bucket}/order/orders/"),
    )
    .await;
    a.database("env_consumer_sub_db", None).await;
    // The fixtures' names: domain dzd_abc123 (only this test binary's world uses it).
    dz_put("domain", json!({"id": "dzd_abc123", "awsAccountId": a.id}));
    dz_put(
        "environment",
        json!({"id": "env_consumer", "domainId": "dzd_abc123", "projectId": "prj_consumer",
        "awsAccountId": a.id, "userRoleArn": role_arn, "subDatabase": "env_consumer_sub_db"}),
    );
    dz_put(
        "subscription-target",
        json!({"id": "tgt_glue_consumer", "domainId": "dzd_abc123", "environmentId": "env_consumer",
        "databaseName": "env_consumer_sub_db", "type": "GlueSubscriptionTargetType"}),
    );
    dz_put(
        "listing",
        json!({"id": "lst_orders", "domainId": "dzd_abc123", "assetId": "ast_orders",
        "databaseName": "cm_kasama_sales", "tableName": "orders", "catalogId": a.id}),
    );
    dz_put(
        "subscription-grant",
        json!({"id": "grt_orders", "domainId": "dzd_abc123", "listingId": "lst_orders",
        "subscriptionTargetId": "tgt_glue_consumer", "environmentId": "env_consumer", "assetId": "ast_orders"}),
    );
    let cfg = format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\ndatazone:\n  domains: [dzd_abc123]\n  buckets: [{{ bucket: {bucket}, prefixes: [\"order/\"] }}]\n  databases: [cm_kasama_sales]\n  fulfil_targets: [tgt_glue_consumer]\n"
    );
    let ctx = a.ctx(&cfg);
    let h = |ctx: Ctx, ev: Value| async move { datazone_subscriber::handle(&ctx, ev).await };
    converge("datazone-subscriber", &ctx, sched(&a.id), h).await;
    let out = run_corpus(
        "datazone-subscriber",
        &ctx,
        &[("111111111111", &a.id), ("222222222222", &other)],
        sched(&a.id),
        h,
    )
    .await;
    judge("datazone-subscriber", &out);
}

const DDB_TABLE: &str = "cm-kasama-test-transactions";

#[tokio::test]
async fn table_exporter_survives_the_corpus() {
    use aws_sdk_dynamodb::types::PointInTimeRecoverySpecification;
    let a = fresh_account().await;
    let source = new_account_id();
    a.ddb_table(DDB_TABLE, "transaction_id").await;
    a.dynamodb()
        .update_continuous_backups()
        .table_name(DDB_TABLE)
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    a.state_table("lakewarden-state").await;
    let bucket = a.bucket("dynamodb-export-bucket").await;
    let topic = a.topic("lakewarden-alerts").await;
    // Both sides in one account: it exports its table to its own bucket, and keeps the bucket's
    // statement for another source account.
    let cfg = format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\nstate_table: lakewarden-state\nexports:\n  - table: {DDB_TABLE}\n    bucket: {bucket}\n    bucket_owner: \"{a}\"\n    prefix: exports/transactions/\n    format: DYNAMODB_JSON\n    type: FULL\n    fix_pitr: true\nexport_destinations:\n  - bucket: {bucket}\n    source_accounts: [\"{source}\"]\n",
        a = a.id
    );
    let ctx = a.ctx(&cfg);
    let h = |ctx: Ctx, ev: Value| async move { table_exporter::handle(&ctx, ev).await };
    converge("table-exporter", &ctx, sched(&a.id), h).await;
    let out = run_corpus(
        "table-exporter",
        &ctx,
        &[("111111111111", &a.id), ("222222222222", &source)],
        sched(&a.id),
        h,
    )
    .await;
    judge("table-exporter", &out);
}

#[tokio::test]
async fn integration_monitor_survives_the_corpus() {
    let a = fresh_account().await;
    let target = new_account_id();
    a.state_table("lakewarden-state").await;
    a.create_integration("zetl-hostile", DDB_TABLE, &target, "cm_kasama_zero_etl_db")
        .await;
    let topic = a.topic("lakewarden-alerts").await;
    let cfg = format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\nintegrations:\n  state_table: lakewarden-state\n  event_bus: default\n"
    );
    let ctx = a.ctx(&cfg);
    let h = |ctx: Ctx, ev: Value| async move { integration_monitor::handle(&ctx, ev).await };
    converge("integration-monitor", &ctx, sched(&a.id), h).await;
    let out = run_corpus(
        "integration-monitor",
        &ctx,
        &[("111111111111", &a.id), ("222222222222", &target)],
        sched(&a.id),
        h,
    )
    .await;
    judge("integration-monitor", &out);
}

const ZETL_DB: &str = "cm_kasama_zero_etl_db";

#[tokio::test]
async fn integration_doctor_survives_the_corpus() {
    let source = fresh_account().await;
    let target = fresh_account().await;
    source.ddb_table(DDB_TABLE, "transaction_id").await;
    let bucket = target.bucket("zetl-bucket").await;
    target.database(ZETL_DB, None).await;
    target
        .parquet_table(
            ZETL_DB,
            "transactions",
            &format!("s3://{bucket}/transactions/"),
        )
        .await;
    role(&target, "zetl-target", "glue.amazonaws.com").await;
    source
        .create_integration(
            "cm-kasama-cross-account-dynamodb-glue",
            DDB_TABLE,
            &target.id,
            ZETL_DB,
        )
        .await;
    let topic = target.topic("lakewarden-alerts").await;
    let consumer = new_account_id();
    let cfg = format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\nintegrations:\n  fix: true\n  targets: [{{ database: {ZETL_DB}, allowed_source_accounts: [\"{s}\"], target_role_arn: \"arn:aws:iam::{t}:role/zetl-target\", bucket: {bucket} }}]\nproducer:\n  shares:\n    - database: {ZETL_DB}\n      consumers: [\"{consumer}\"]\n      bucket_policy: false\n",
        s = source.id,
        t = target.id
    );
    let ctx = target.ctx(&cfg);
    let h = |ctx: Ctx, ev: Value| async move { integration_doctor::handle(&ctx, ev).await };
    // The doctor fixes the database location first; then what an ACTIVE event shares (with that
    // location) is shared already; then the doctor again.
    converge("integration-doctor", &ctx, sched(&target.id), h).await;
    converge(
        "catalog-sharer (for integration-doctor)",
        &ctx,
        sched(&target.id),
        |ctx: Ctx, ev| async move { catalog_sharer::handle(&ctx, ev).await },
    )
    .await;
    converge("integration-doctor", &ctx, sched(&target.id), h).await;
    let out = run_corpus(
        "integration-doctor",
        &ctx,
        &[("111111111111", &source.id), ("222222222222", &target.id)],
        sched(&target.id),
        h,
    )
    .await;
    judge("integration-doctor", &out);
}

// ---------------------------------------------------------------------------- hostile state

mod hostile_world;
use hostile_world::*;

#[tokio::test]
async fn catalog_sharer_over_hostile_tables_keeps_foreign_statements_byte_identical() {
    let w = catalog_world().await;
    println!(
        "tables created: {:?}; refused by Glue: {:?}; malformed bucket policy stored by the local S3 (AWS refuses it): {}",
        w.created, w.refused, w.broken_stored
    );
    let before: Value = serde_json::from_str(&policy_text(&w.p, &w.bucket).await.unwrap()).unwrap();
    let before_payroll: Value =
        serde_json::from_str(&policy_text(&w.p, &w.payroll).await.unwrap()).unwrap();
    let before_broken = policy_text(&w.p, &w.broken).await;
    for run in 1..=2 {
        let r = run_catalog_sharer(&w).await.unwrap_or_else(|p| {
            panic!("catalog-sharer panicked over hostile tables (run {run}): {p}")
        });
        let report = report_of(&r).unwrap_or_else(|| panic!("run {run}: {:?}", r.as_ref().err()));
        println!("run {run}: {}", serde_json::to_string(report).unwrap());
        if run == 2 {
            assert_eq!(
                report.count(Outcome::Applied),
                0,
                "the second reconcile changed something again: {report:#?}"
            );
        }
    }
    let after: Value = serde_json::from_str(&policy_text(&w.p, &w.bucket).await.unwrap()).unwrap();
    assert_eq!(foreign_statements(&after), foreign_statements(&before));
    assert_eq!(after["Id"], "TheirPolicy");
    if let Some(text) = policy_text(&w.p, &w.payroll).await {
        let after_payroll: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            foreign_statements(&after_payroll),
            foreign_statements(&before_payroll)
        );
    }
    if w.broken_stored {
        assert_eq!(
            policy_text(&w.p, &w.broken).await,
            before_broken,
            "a bucket policy lakewarden cannot read was overwritten"
        );
    }
    // Whatever lakewarden wrote passes its own guard.
    for b in [&w.bucket, &w.payroll] {
        if let Some(text) = policy_text(&w.p, b).await {
            let doc: Value = serde_json::from_str(&text).unwrap();
            for st in our_statements(&doc) {
                lakewarden::policy::check_statement(&st, &|_| true)
                    .unwrap_or_else(|e| panic!("bucket {b}: {e}: {st}"));
            }
        }
    }
}

#[tokio::test]
async fn share_linker_over_hostile_locations_keeps_foreign_statements_byte_identical() {
    let w = link_world().await;
    let mut before = Vec::new();
    for r in &w.roles {
        let doc: Value = serde_json::from_str(&role_policy(&w.c, r).await.unwrap()).unwrap();
        before.push(foreign_statements(&doc));
    }
    for run in 1..=2 {
        let r = run_share_linker(&w).await.unwrap_or_else(|p| {
            panic!("share-linker panicked over hostile locations (run {run}): {p}")
        });
        let report = report_of(&r).unwrap_or_else(|| panic!("run {run}: {:?}", r.as_ref().err()));
        println!("run {run}: {}", serde_json::to_string(report).unwrap());
        if run == 2 {
            assert_eq!(report.count(Outcome::Applied), 0, "{report:#?}");
        }
    }
    for (r, before) in w.roles.iter().zip(before) {
        let text = role_policy(&w.c, r).await.unwrap_or_else(|| {
            panic!("role {r}: its policy holding foreign statements was deleted")
        });
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(foreign_statements(&doc), before, "role {r}");
    }
}
