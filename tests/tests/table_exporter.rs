//! table-exporter against moto: both sides of a cross-account DynamoDB export.

use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, PointInTimeRecoverySpecification};
use lakewarden::report::{Outcome, Report};
use lakewarden::runtime::HandlerError;
use lakewarden_tests::*;
use serde_json::{json, Value};

const TABLE: &str = "cm-kasama-test-transactions";

struct S3Story {
    source: Account,
    dest: Account,
    bucket: String,
    topic: String,
}

fn schedule_at(account: &str, time: &str) -> Value {
    let mut e = scheduled_event(account);
    e["time"] = json!(time);
    e
}

async fn story(pitr: bool) -> S3Story {
    let source = fresh_account().await;
    let dest = fresh_account().await;
    let bucket = dest.bucket("dynamodb-export-bucket").await;
    source.ddb_table(TABLE, "transaction_id").await;
    let ddb = source.dynamodb();
    for (id, amount) in [("t-001", "1200"), ("t-002", "560"), ("t-003", "89")] {
        ddb.put_item()
            .table_name(TABLE)
            .item("transaction_id", AttributeValue::S(id.into()))
            .item("amount", AttributeValue::N(amount.into()))
            .send()
            .await
            .unwrap();
    }
    if pitr {
        ddb.update_continuous_backups()
            .table_name(TABLE)
            .point_in_time_recovery_specification(
                PointInTimeRecoverySpecification::builder()
                    .point_in_time_recovery_enabled(true)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    source.state_table("lakewarden-state").await;
    let topic = source.topic("lakewarden-alerts").await;
    S3Story {
        source,
        dest,
        bucket,
        topic,
    }
}

impl S3Story {
    fn source_config(&self, extra: &str) -> String {
        format!(
            "alerts: {{ topic_arn: \"{}\" }}\nexports:\n  - table: {TABLE}\n    bucket: {}\n    bucket_owner: \"{}\"\n    prefix: exports/transactions/\n{extra}",
            self.topic, self.bucket, self.dest.id
        )
    }
    fn dest_config(&self) -> String {
        format!(
            "export_destinations:\n  - bucket: {}\n    source_accounts: [\"{}\"]\n",
            self.bucket, self.source.id
        )
    }
    async fn source_run(&self, cfg: &str, time: &str) -> Result<Report, HandlerError> {
        table_exporter::handle(&self.source.ctx(cfg), schedule_at(&self.source.id, time)).await
    }
    async fn exports(&self) -> Vec<String> {
        let arn = self
            .source
            .dynamodb()
            .describe_table()
            .table_name(TABLE)
            .send()
            .await
            .unwrap()
            .table()
            .unwrap()
            .table_arn()
            .unwrap()
            .to_string();
        let out = self
            .source
            .dynamodb()
            .list_exports()
            .table_arn(arn)
            .send()
            .await
            .unwrap();
        out.export_summaries()
            .iter()
            .filter_map(|e| e.export_arn().map(String::from))
            .collect()
    }
    async fn keys(&self) -> Vec<String> {
        let out = self
            .dest
            .s3()
            .list_objects_v2()
            .bucket(&self.bucket)
            .send()
            .await
            .unwrap();
        out.contents()
            .iter()
            .filter_map(|o| o.key().map(String::from))
            .collect()
    }
    async fn wait_for_export(&self) {
        for _ in 0..50 {
            if !self.keys().await.is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn the_export_lands_in_the_other_accounts_bucket_under_the_prefix() {
    let s = story(true).await;
    let d = table_exporter::handle(&s.dest.ctx(&s.dest_config()), scheduled_event(&s.dest.id))
        .await
        .expect("destination side");
    assert_eq!(d.failures().len(), 0);
    let r = s
        .source_run(&s.source_config(""), "2026-11-24T10:00:00Z")
        .await
        .expect("source side");
    let start = r
        .actions
        .iter()
        .find(|a| a.action == "dynamodb.export_table")
        .unwrap();
    assert_eq!(start.outcome, Outcome::Applied);
    // The call names the bucket owner: the bucket exists only in the destination account.
    assert!(
        start.target.contains(&format!("owner {}", s.dest.id)),
        "{}",
        start.target
    );
    s.wait_for_export().await;
    let keys = s.keys().await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        keys[0].starts_with("exports/transactions/2026-11-24T10-00-00Z/AWSDynamoDB/"),
        "{keys:?}"
    );
    // The next run records the completion.
    let next = s
        .source_run(&s.source_config(""), "2026-11-24T11:00:00Z")
        .await
        .unwrap();
    assert!(
        next.notes
            .iter()
            .any(|n| n.get("export_completed").is_some()),
        "{next:#?}"
    );
}

#[tokio::test]
async fn a_redelivered_schedule_starts_one_export() {
    let s = story(true).await;
    let cfg = s.source_config("");
    s.source_run(&cfg, "2026-11-24T10:00:00Z").await.unwrap();
    let again = s.source_run(&cfg, "2026-11-24T10:00:00Z").await.unwrap();
    assert_eq!(again.calls_of("dynamodb.ExportTableToPointInTime"), 0);
    let export = again
        .actions
        .iter()
        .find(|a| a.action == "dynamodb.export_table")
        .unwrap();
    assert_eq!(export.outcome, Outcome::Already, "{again:#?}");
    assert_eq!(s.exports().await.len(), 1);
    // A third delivery, once the completion is recorded, writes nothing at all.
    let third = s.source_run(&cfg, "2026-11-24T10:00:00Z").await.unwrap();
    assert_eq!(third.writes, 0, "{third:#?}");
}

#[tokio::test]
async fn pitr_off_with_fix_is_enabled_then_exported() {
    let s = story(false).await;
    let r = s
        .source_run(
            &s.source_config("    fix_pitr: true\n"),
            "2026-11-24T10:00:00Z",
        )
        .await
        .unwrap();
    let kinds: Vec<(&str, Outcome)> = r
        .actions
        .iter()
        .map(|a| (a.action.as_str(), a.outcome))
        .collect();
    assert_eq!(
        &kinds[..2],
        &[
            ("dynamodb.enable_pitr", Outcome::Applied),
            ("dynamodb.export_table", Outcome::Applied)
        ]
    );
    s.wait_for_export().await;
    assert_eq!(s.keys().await.len(), 1);
}

#[tokio::test]
async fn pitr_off_without_fix_alerts_and_exports_nothing() {
    let s = story(false).await;
    let r = s
        .source_run(&s.source_config(""), "2026-11-24T10:00:00Z")
        .await
        .unwrap();
    assert_eq!(r.writes, 0, "{:?}", r.api_operations);
    assert!(s.exports().await.is_empty());
    let sent = moto().sent_notifications(&s.source.id);
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].2.contains("point-in-time recovery disabled"),
        "{}",
        sent[0].2
    );
}

#[tokio::test]
async fn the_destination_policy_is_merged_and_never_adds_an_unlisted_account() {
    let s = story(true).await;
    let theirs = json!({"Sid": "AnalyticsRead", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{}:role/analytics", s.dest.id)},
        "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{}/*", s.bucket)});
    // Our statement, edited by hand to let an account that is not listed write.
    let stale = json!({"Sid": "LakewardenExportWrite", "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::999999999999:root"]},
        "Action": ["s3:PutObject"], "Resource": format!("arn:aws:s3:::{}/*", s.bucket)});
    s.dest
        .s3()
        .put_bucket_policy()
        .bucket(&s.bucket)
        .policy(json!({"Version": "2012-10-17", "Statement": [theirs.clone(), stale]}).to_string())
        .send()
        .await
        .unwrap();
    let ctx = s.dest.ctx(&s.dest_config());
    table_exporter::handle(&ctx, scheduled_event(&s.dest.id))
        .await
        .unwrap();
    let again = table_exporter::handle(&ctx, scheduled_event(&s.dest.id))
        .await
        .unwrap();
    assert_eq!(again.writes, 0);
    let pol = s.dest.bucket_policy(&s.bucket).await.unwrap();
    let st = pol["Statement"].as_array().unwrap();
    assert_eq!(st.len(), 2);
    assert_eq!(st[0], theirs);
    assert_eq!(st[1]["Sid"], "LakewardenExportWrite");
    assert_eq!(
        st[1]["Principal"]["AWS"],
        json!([format!("arn:aws:iam::{}:root", s.source.id)])
    );
    assert!(!pol.to_string().contains("999999999999"));
}

#[tokio::test]
async fn a_failed_export_alerts_with_the_diagnosis() {
    let s = story(true).await;
    let cfg = s.source_config("");
    s.source_run(&cfg, "2026-11-24T10:00:00Z").await.unwrap();
    let arn = s.exports().await.remove(0);
    let (status, body) = moto().http(
        "POST",
        "/lakewarden-test/dynamodb/exports/fail",
        &json!({"export_arn": arn, "code": "S3AccessDenied", "message": "Access Denied"})
            .to_string(),
    );
    assert_eq!(status, 200, "{body}");
    s.source_run(&cfg, "2026-11-24T11:00:00Z").await.unwrap();
    let sent = moto().sent_notifications(&s.source.id);
    let alert = sent
        .iter()
        .find(|m| m.2.contains("FAILED"))
        .expect("an alert about the failed export");
    assert!(alert.2.contains("S3AccessDenied"), "{}", alert.2);
    assert!(alert.2.contains("LakewardenExportWrite"), "{}", alert.2);
    assert!(
        alert
            .2
            .contains(&format!("arn:aws:iam::{}:root", s.source.id)),
        "{}",
        alert.2
    );
}

#[tokio::test]
async fn dry_run_writes_nothing() {
    let s = story(false).await;
    let r = s
        .source_run(
            &format!("dry_run: true\n{}", s.source_config("    fix_pitr: true\n")),
            "2026-11-24T10:00:00Z",
        )
        .await
        .unwrap();
    assert_eq!(r.writes, 0, "{:?}", r.api_operations);
    assert!(r.count(Outcome::Planned) >= 2);
    assert!(s.exports().await.is_empty());
    let d = table_exporter::handle(
        &s.dest.ctx(&format!("dry_run: true\n{}", s.dest_config())),
        scheduled_event(&s.dest.id),
    )
    .await
    .unwrap();
    assert_eq!(d.writes, 0);
    assert_eq!(s.dest.bucket_policy(&s.bucket).await, None);
}

#[tokio::test]
async fn only_scheduled_events_are_accepted() {
    let s = story(true).await;
    let err = table_exporter::handle(
        &s.source.ctx(&s.source_config("")),
        glue_db_event(&s.source.id, "x", "CreateTable", &["t"]),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, HandlerError::BadEvent(_)), "{err}");
}

impl S3Story {
    fn arn_of_table(&self) -> String {
        format!(
            "arn:aws:dynamodb:us-east-1:{}:table/{TABLE}",
            self.source.id
        )
    }
    async fn describe(&self, arn: &str) -> aws_sdk_dynamodb::types::ExportDescription {
        self.source
            .dynamodb()
            .describe_export()
            .export_arn(arn)
            .send()
            .await
            .unwrap()
            .export_description()
            .unwrap()
            .clone()
    }
    async fn wait_done(&self, arn: &str) -> aws_sdk_dynamodb::types::ExportDescription {
        for _ in 0..50 {
            let d = self.describe(arn).await;
            if d.export_status().map(|s| s.as_str()) != Some("IN_PROGRESS") {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.describe(arn).await
    }
}

#[tokio::test]
async fn the_call_always_names_the_bucket_owner_which_a_call_without_it_lacks() {
    let s = story(true).await;
    s.source_run(&s.source_config(""), "2026-11-24T10:00:00Z")
        .await
        .unwrap();
    let ours = s.exports().await.remove(0);
    let d = s.wait_done(&ours).await;
    assert_eq!(d.s3_bucket_owner(), Some(s.dest.id.as_str()));
    assert_eq!(d.export_status().map(|x| x.as_str()), Some("COMPLETED"));
    assert!(
        ours.starts_with(&format!("{}/export/", s.arn_of_table())),
        "{ours}"
    );
    assert!(d
        .client_token()
        .is_some_and(|t| t.starts_with("lakewarden-")));
    // The step people forget: the same export without S3BucketOwner looks for the bucket in the
    // table's own account, and fails.
    let forgot = s
        .source
        .dynamodb()
        .export_table_to_point_in_time()
        .table_arn(s.arn_of_table())
        .s3_bucket(&s.bucket)
        .s3_prefix("exports/transactions/by-hand")
        .send()
        .await
        .unwrap();
    let forgot = s
        .wait_done(forgot.export_description().unwrap().export_arn().unwrap())
        .await;
    assert_eq!(forgot.export_status().map(|x| x.as_str()), Some("FAILED"));
    assert_eq!(forgot.failure_code(), Some("S3NoSuchBucket"));
}

#[tokio::test]
async fn a_lost_state_write_is_healed_by_the_client_token_without_a_second_export() {
    let s = story(true).await;
    let cfg = s.source_config("");
    // The state write that records the start fails once (after the export started).
    let (status, body) = moto().http(
        "POST",
        "/lakewarden-test/faults",
        &json!({"target": "DynamoDB_20120810.PutItem",
                "body": format!("exporter#{TABLE}#{}#", s.bucket),
                "status": 400, "code": "AccessDeniedException", "message": "injected",
                "protocol": "json", "times": 1})
        .to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let err = s
        .source_run(&cfg, "2026-11-24T10:00:00Z")
        .await
        .unwrap_err();
    let HandlerError::ActionsFailed { report, .. } = err else {
        panic!("{err}")
    };
    let failed: Vec<&str> = report
        .failures()
        .iter()
        .map(|a| a.action.as_str())
        .collect();
    assert_eq!(failed, ["dynamodb.save_state"]);
    // Lambda retries the event: the same client token returns the same export, now recorded.
    let retry = s.source_run(&cfg, "2026-11-24T10:00:00Z").await.unwrap();
    assert_eq!(retry.calls_of("dynamodb.ExportTableToPointInTime"), 1);
    assert_eq!(s.exports().await.len(), 1);
    let again = s.source_run(&cfg, "2026-11-24T10:00:00Z").await.unwrap();
    assert_eq!(again.calls_of("dynamodb.ExportTableToPointInTime"), 0);
    assert_eq!(s.exports().await.len(), 1);
}

#[tokio::test]
async fn incremental_exports_continue_from_the_last_completed_one() {
    let s = story(true).await;
    let cfg = s.source_config("    type: INCREMENTAL\n");
    let first = s.source_run(&cfg, "2026-11-24T10:00:00Z").await.unwrap();
    assert!(
        first.actions.iter().any(|a| a.target.contains(", full")),
        "the chain starts with a full export: {first:#?}"
    );
    let full = s.exports().await.remove(0);
    s.wait_done(&full).await;
    let second = s.source_run(&cfg, "2026-11-24T11:00:00Z").await.unwrap();
    assert!(second
        .notes
        .iter()
        .any(|n| n["export_completed"] == json!(full)));
    let incr = s
        .exports()
        .await
        .into_iter()
        .find(|a| *a != full)
        .expect("an incremental export");
    let d = s.describe(&incr).await;
    assert_eq!(
        d.export_type().map(|t| t.as_str()),
        Some("INCREMENTAL_EXPORT")
    );
    let spec = d.incremental_export_specification().unwrap();
    assert_eq!(
        spec.export_from_time().map(|t| t.secs()),
        Some(epoch_secs("2026-11-24T10:00:00Z"))
    );
    assert_eq!(
        spec.export_to_time().map(|t| t.secs()),
        Some(epoch_secs("2026-11-24T11:00:00Z"))
    );
    assert_eq!(d.s3_bucket_owner(), Some(s.dest.id.as_str()));
}

/// Epoch seconds of the two schedule times used above.
fn epoch_secs(t: &str) -> i64 {
    match t {
        "2026-11-24T10:00:00Z" => 1_795_514_400,
        "2026-11-24T11:00:00Z" => 1_795_518_000,
        _ => unreachable!("{t}"),
    }
}

#[tokio::test]
async fn a_destination_bucket_that_cannot_be_read_fails_alone() {
    let s = story(true).await;
    let cfg = format!(
        "alerts: {{ topic_arn: \"{}\" }}\nexport_destinations:\n  - bucket: missing-{}\n    source_accounts: [\"{}\"]\n  - bucket: {}\n    source_accounts: [\"{}\"]\n",
        s.dest.topic("lakewarden-alerts").await,
        s.dest.id,
        s.source.id,
        s.bucket,
        s.source.id
    );
    let err = table_exporter::handle(&s.dest.ctx(&cfg), scheduled_event(&s.dest.id))
        .await
        .unwrap_err();
    let HandlerError::ActionsFailed { report, .. } = err else {
        panic!("{err}")
    };
    assert_eq!(report.failures().len(), 1);
    assert!(report.failures()[0].target.contains("missing-"));
    let pol = s.dest.bucket_policy(&s.bucket).await.expect("policy put");
    assert_eq!(pol["Statement"][0]["Sid"], "LakewardenExportWrite");
    assert_eq!(moto().sent_notifications(&s.dest.id).len(), 1);
}

#[tokio::test]
async fn an_export_dynamodb_no_longer_knows_is_dropped_and_the_schedule_goes_on() {
    let s = story(true).await;
    let key = format!("exporter#{TABLE}#{}#exports/transactions/", s.bucket);
    let gone = format!("{}/export/01700000000000-0badc0de", s.arn_of_table());
    let data = json!({"started": {"2026-11-23T10:00:00Z": gone}, "pending": {&gone: "2026-11-23T10:00:00Z"}});
    s.source
        .dynamodb()
        .put_item()
        .table_name("lakewarden-state")
        .item("pk", AttributeValue::S(key))
        .item("data", AttributeValue::S(data.to_string()))
        .item("version", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    let r = s
        .source_run(&s.source_config(""), "2026-11-24T10:00:00Z")
        .await
        .expect("no failure");
    assert!(
        r.notes.iter().any(|n| n["export_forgotten"] == json!(gone)),
        "{r:#?}"
    );
    assert_eq!(s.exports().await.len(), 1);
    let next = s
        .source_run(&s.source_config(""), "2026-11-24T10:00:00Z")
        .await
        .unwrap();
    assert!(!next
        .notes
        .iter()
        .any(|n| n.get("export_forgotten").is_some()));
}

/// Issue 9: a missing state table is reported as the state table, not as the exported table,
/// and nothing is exported without it.
#[tokio::test]
async fn a_missing_state_table_is_named_as_the_state_table() {
    let s = story(true).await;
    let cfg = format!("state_table: missing-state\n{}", s.source_config(""));
    let err = s
        .source_run(&cfg, "2026-11-24T10:00:00Z")
        .await
        .unwrap_err();
    let HandlerError::ActionsFailed { report, .. } = err else {
        panic!("{err}")
    };
    let failures = report.failures();
    assert_eq!(failures.len(), 1, "{report:#?}");
    let f = failures[0];
    assert_eq!(f.target, "state table missing-state");
    let error = f.error.as_deref().unwrap();
    assert!(error.contains("ResourceNotFoundException"), "{error}");
    assert!(error.contains("state table missing-state"), "{error}");
    assert!(!error.contains(TABLE), "{error}");
    assert!(
        f.remedy.as_deref().unwrap().contains("missing-state"),
        "{f:?}"
    );
    assert!(s.exports().await.is_empty());
    let sent = moto().sent_notifications(&s.source.id);
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].2.contains("state table missing-state"),
        "{}",
        sent[0].2
    );
}
