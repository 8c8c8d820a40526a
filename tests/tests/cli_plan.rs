//! `lakewarden plan` against moto: it prints the function's plan and nothing it plans reaches
//! AWS. The read-only guard refuses every write before it is serialized — shown both with the
//! function's dry run forced on (the command) and with a configuration that is *not* a dry run
//! handed to a guarded function (as if a dry-run path were wrong): moto's state is unchanged and
//! a moto fault rule armed on the write never fires.

use lakewarden::report::Outcome;
use lakewarden::runtime::HandlerError;
use lakewarden_cli::{guarded_aws, ReadOnlyGuard};
use lakewarden_tests::*;
use serde_json::{json, Value};

/// A producer account with `cur_org.daily` on its bucket, and a configuration that shares it
/// with a consumer and alerts to a topic. Returns (account, config text, bucket, topic).
async fn producer() -> (Account, String, String, String) {
    let p = fresh_account().await;
    let consumer = new_account_id();
    let bucket = p.bucket("cur-data").await;
    p.database("cur_org", None).await;
    p.parquet_table("cur_org", "daily", &format!("s3://{bucket}/cur/daily/"))
        .await;
    let topic = p.topic("lakewarden-alerts").await;
    let cfg = format!(
        "dry_run: false\nalerts: {{ topic_arn: \"{topic}\" }}\nproducer:\n  shares:\n    - database: cur_org\n      consumers: [\"{consumer}\"]\n"
    );
    (p, cfg, bucket, topic)
}

/// What the account holds that catalog-sharer would write: LF grants, registered locations,
/// the bucket policy.
async fn written(p: &Account, bucket: &str) -> (usize, usize, Option<Value>) {
    let grants = p.lf_permissions().await.len();
    let locations = p
        .lakeformation()
        .list_resources()
        .send()
        .await
        .unwrap()
        .resource_info_list()
        .len();
    (grants, locations, p.bucket_policy(bucket).await)
}

fn write_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

async fn cli(args: &[&str], acct: &Account) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut argv = vec!["lakewarden"];
    argv.extend_from_slice(args);
    let code = lakewarden_cli::run(argv, Some(acct.sdk.clone()), &mut out, &mut err).await;
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[tokio::test]
async fn plan_prints_the_plan_of_a_reconcile_and_writes_nothing() {
    let (p, cfg, bucket, _) = producer().await;
    let path = write_file(&format!("lakewarden-plan-{}.yaml", p.id), &cfg);
    let (code, out, err) = cli(
        &["plan", "catalog-sharer", "--config", path.to_str().unwrap()],
        &p,
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("catalog-sharer — dry run, read-only"), "{out}");
    assert!(out.contains("lakeformation.grant"), "{out}");
    assert!(out.contains("planned"), "{out}");
    assert!(out.contains("(writes sent: 0)"), "{out}");
    // The dry run itself attempts no write; only the alert about what needs a person (here the
    // skipped location) is published by the runtime even in a dry run, and the guard refuses it.
    if let Some(line) = out
        .lines()
        .find(|l| l.starts_with("refused by the read-only guard"))
    {
        assert!(line.ends_with("(never sent): sns.Publish"), "{out}");
    }
    assert_eq!(written(&p, &bucket).await, (0, 0, None));
    assert_eq!(moto().sent_notifications(&p.id).len(), 0);

    // --json: the function's report, dry_run forced on although the file says false.
    let (code, out, _) = cli(
        &[
            "plan",
            "catalog-sharer",
            "--config",
            path.to_str().unwrap(),
            "--json",
        ],
        &p,
    )
    .await;
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&out).expect("report JSON");
    assert_eq!(report["function"], "catalog-sharer");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["writes"], 0);
    assert!(report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["outcome"] == "planned"));
    assert_eq!(written(&p, &bucket).await, (0, 0, None));
}

#[tokio::test]
async fn a_function_that_is_not_in_dry_run_still_cannot_write_through_the_guard() {
    let (p, cfg, bucket, _) = producer().await;
    let guard = ReadOnlyGuard::default();
    let cfg = lakewarden::config::parse(&cfg, "test").unwrap();
    assert!(!cfg.dry_run);
    let ctx = lakewarden::runtime::Ctx::new(cfg, guarded_aws(&p.sdk, &guard));
    let report = match catalog_sharer::handle(&ctx, scheduled_event(&p.id)).await {
        Err(HandlerError::ActionsFailed { report, .. }) => report,
        other => panic!("every write must fail: {other:?}"),
    };
    // Each write the function tried was refused before it was sent.
    let failed = report.failures();
    assert!(!failed.is_empty(), "{report:#?}");
    for a in &failed {
        assert!(
            a.error
                .as_deref()
                .unwrap_or_default()
                .contains("read-only guard"),
            "{a:?}"
        );
    }
    assert_eq!(report.count(Outcome::Applied), 0, "{report:#?}");
    assert_eq!(report.writes, 0, "{:?}", report.api_operations);
    let refused = guard.refused();
    // The first write of a grant is its ledger intent (issue 11 §5): refused, so the grant
    // itself is never attempted.
    assert!(
        refused.contains(&"dynamodb.PutItem".to_string())
            || refused.contains(&"lakeformation.BatchGrantPermissions".to_string()),
        "{refused:?}"
    );
    assert!(
        refused.contains(&"sns.Publish".to_string()),
        "the alert is refused too: {refused:?}"
    );
    // Nothing reached moto.
    assert_eq!(written(&p, &bucket).await, (0, 0, None));
    assert_eq!(moto().sent_notifications(&p.id).len(), 0);
}

#[tokio::test]
async fn a_refused_write_never_reaches_aws() {
    let p = fresh_account().await;
    let db = format!("guarded_{}", p.id);
    // A fault rule that answers the first CreateDatabase of this database: if the guarded
    // request reached moto, it would fail with this code instead of the guard's error.
    let (code, body) = moto().http(
        "POST",
        "/lakewarden-test/faults",
        &json!({"target": "AWSGlue.CreateDatabase", "body": db, "status": 400,
                "code": "ReachedAws", "message": "the request reached AWS", "times": 1})
        .to_string(),
    );
    assert_eq!(code, 200, "{body}");
    let guard = ReadOnlyGuard::default();
    let aws = guarded_aws(&p.sdk, &guard);
    let input = aws_sdk_glue::types::DatabaseInput::builder()
        .name(&db)
        .build()
        .unwrap();
    let e = aws
        .glue
        .create_database()
        .database_input(input.clone())
        .send()
        .await
        .expect_err("refused");
    let text = lakewarden::AwsError::from(e).to_string();
    assert!(text.contains("read-only guard"), "{text}");
    assert!(!text.contains("ReachedAws"), "{text}");
    assert_eq!(guard.refused(), vec!["glue.CreateDatabase".to_string()]);
    // Reads pass.
    aws.glue
        .get_databases()
        .send()
        .await
        .expect("a read passes");
    // The same request without the guard meets the armed rule: it was there all along.
    let e = p
        .glue()
        .create_database()
        .database_input(input)
        .send()
        .await
        .expect_err("the armed fault");
    let text = lakewarden::AwsError::from(e).to_string();
    assert!(text.contains("ReachedAws"), "{text}");
    assert!(p.glue().get_database().name(&db).send().await.is_err());
}

#[tokio::test]
async fn plan_usage_and_configuration_errors_exit_2() {
    let p = fresh_account().await;
    let bad = write_file(
        &format!("lakewarden-plan-bad-{}.yaml", p.id),
        "producer:\n  shares:\n    - database: x\n      consumers: [\"12\"]\n",
    );
    let (code, _, err) = cli(
        &["plan", "catalog-sharer", "--config", bad.to_str().unwrap()],
        &p,
    )
    .await;
    assert_eq!(code, 2);
    assert!(err.contains(":4: producer.shares[0].consumers[0]"), "{err}");
    let (code, _, err) = cli(
        &[
            "plan",
            "no-such-function",
            "--config",
            bad.to_str().unwrap(),
        ],
        &p,
    )
    .await;
    assert_eq!(code, 2);
    assert!(err.contains("catalog-sharer"), "{err}");
    // A function whose section is missing: the function's own configuration error.
    let empty = write_file(
        &format!("lakewarden-plan-empty-{}.yaml", p.id),
        "dry_run: true\n",
    );
    let (code, _, err) = cli(
        &["plan", "share-linker", "--config", empty.to_str().unwrap()],
        &p,
    )
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("consumer"), "{err}");
}
