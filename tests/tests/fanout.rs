//! Issue 12 §7, scale past one invocation, against moto's SQS (real wire): the scheduled
//! reconcile enqueues one message per configured database, and the messages, fed back to the
//! function as the SQS event Lambda would deliver, reconcile each database; a database that
//! cannot be reconciled comes back as exactly its message id in `batchItemFailures`.

use std::collections::BTreeSet;

use lakewarden::report::{Outcome, Report};
use lakewarden_tests::*;
use serde_json::{json, Value};

const QUEUE: &str = "lakewarden-catalog-sharer-fanout";

struct World {
    acct: Account,
    queue_url: String,
    queue_arn: String,
    consumer: String,
    /// The configured databases that can be shared.
    good: Vec<String>,
}

/// 23 shareable databases `cur_00` … `cur_22`, each with a table under its location; an
/// unconfigured `payroll`; the fan-out queue.
async fn world() -> World {
    let acct = fresh_account().await;
    let bucket = acct.bucket("fanout").await;
    let mut good = Vec::new();
    for i in 0..23 {
        let db = format!("cur_{i:02}");
        acct.database(&db, Some(&format!("s3://{bucket}/{db}/")))
            .await;
        acct.parquet_table(&db, "usage", &format!("s3://{bucket}/{db}/usage/"))
            .await;
        good.push(db);
    }
    acct.database("payroll", Some(&format!("s3://{bucket}/payroll/")))
        .await;
    let queue_url = acct.queue(QUEUE).await;
    let queue_arn = format!("arn:aws:sqs:{REGION}:{}:{QUEUE}", acct.id);
    World {
        acct,
        queue_url,
        queue_arn,
        consumer: new_account_id(),
        good,
    }
}

impl World {
    fn config(&self, extra: &str) -> String {
        format!(
            "{extra}producer:\n  fanout_queue_url: \"{}\"\n  shares:\n    - database: \"cur_*\"\n      consumers: [\"{}\"]\n      bucket_policy: false\n",
            self.queue_url, self.consumer
        )
    }

    /// Every message on the queue now (received, not deleted: Lambda's poller deletes what the
    /// function does not report as failed).
    async fn receive_all(&self) -> Vec<aws_sdk_sqs::types::Message> {
        let mut out = Vec::new();
        loop {
            let r = self
                .acct
                .sqs()
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .visibility_timeout(600)
                .send()
                .await
                .expect("receive");
            if r.messages().is_empty() {
                return out;
            }
            out.extend(r.messages().iter().cloned());
        }
    }

    /// The SQS event Lambda delivers for these messages.
    fn sqs_event(&self, messages: &[aws_sdk_sqs::types::Message]) -> Value {
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                json!({
                    "messageId": m.message_id(),
                    "receiptHandle": m.receipt_handle(),
                    "body": m.body(),
                    "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764324000000",
                                   "SenderId": "AROAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1764324000001"},
                    "messageAttributes": {},
                    "md5OfBody": m.md5_of_body(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.queue_arn,
                    "awsRegion": REGION,
                })
            })
            .collect();
        json!({ "Records": records })
    }

    /// The databases on which the consumer holds a Lake Formation permission.
    async fn shared(&self) -> BTreeSet<String> {
        let out = self.acct.lf_permissions().await;
        out.iter()
            .filter(|p| {
                p.principal().unwrap().data_lake_principal_identifier()
                    == Some(self.consumer.as_str())
            })
            .filter_map(|p| {
                let r = p.resource()?;
                r.database()
                    .map(|d| d.name().to_string())
                    .or_else(|| r.table().map(|t| t.database_name().to_string()))
            })
            .collect()
    }

    async fn invoke(&self, config: &str, messages: &[aws_sdk_sqs::types::Message]) -> Vec<String> {
        let ctx = self.acct.ctx(config);
        let out = catalog_sharer::invoke(&ctx, self.sqs_event(messages))
            .await
            .expect("an SQS batch is answered, never an error");
        let v = serde_json::to_value(&out).unwrap();
        assert_eq!(
            v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
            Some(vec!["batchItemFailures".to_string()]),
            "{v}"
        );
        v["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
            .collect()
    }
}

fn count(r: &Report, kind: &str, outcome: Outcome) -> usize {
    r.actions
        .iter()
        .filter(|a| a.action == kind && a.outcome == outcome)
        .count()
}

fn database_of(m: &aws_sdk_sqs::types::Message) -> String {
    let body: Value = serde_json::from_str(m.body().unwrap()).unwrap();
    body["database"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_schedule_fans_out_and_each_message_reconciles_its_database() {
    let w = world().await;

    // A dry run plans the batches and sends nothing.
    let ctx = w.acct.ctx(&w.config("dry_run: true\n"));
    let r = catalog_sharer::handle(&ctx, scheduled_event(&w.acct.id))
        .await
        .expect("dry run");
    assert_eq!(
        count(&r, "sqs.send_message_batch", Outcome::Planned),
        3,
        "{r:#?}"
    );
    assert_eq!(r.writes, 0, "{:?}", r.api_operations);
    assert!(w.receive_all().await.is_empty());

    // The schedule: 23 configured databases → 23 messages in 3 SendMessageBatch calls, and the
    // schedule itself shares nothing.
    let cfg = w.config("");
    let r = catalog_sharer::handle(&w.acct.ctx(&cfg), scheduled_event(&w.acct.id))
        .await
        .expect("schedule");
    assert_eq!(
        count(&r, "sqs.send_message_batch", Outcome::Applied),
        3,
        "{r:#?}"
    );
    assert_eq!(
        r.api_operations.get("sqs.SendMessageBatch").copied(),
        Some(3),
        "{:?}",
        r.api_operations
    );
    assert_eq!(count(&r, "lakeformation.grant", Outcome::Applied), 0);
    assert!(w.shared().await.is_empty());
    let messages = w.receive_all().await;
    let enqueued: Vec<String> = messages.iter().map(database_of).collect();
    assert_eq!(enqueued.len(), 23, "{enqueued:?}");
    assert_eq!(
        enqueued.iter().cloned().collect::<BTreeSet<_>>(),
        w.good.iter().cloned().collect::<BTreeSet<_>>(),
        "one message per configured database, payroll never"
    );

    // The messages, delivered in batches of 10 as Lambda would: every database is reconciled
    // and no message fails.
    for batch in messages.chunks(10) {
        assert_eq!(w.invoke(&cfg, batch).await, Vec::<String>::new());
    }
    assert_eq!(
        w.shared().await,
        w.good.iter().cloned().collect::<BTreeSet<_>>()
    );

    // A second round converges: the same messages again write nothing.
    let ctx = w.acct.ctx(&cfg);
    let before = ctx.aws.counter.snapshot();
    catalog_sharer::invoke(&ctx, w.sqs_event(&messages[..10]))
        .await
        .unwrap();
    let mut r = Report::new("catalog-sharer", false);
    r.set_calls(&ctx.aws.counter, &before);
    assert_eq!(r.writes, 0, "{:?}", r.api_operations);
}

#[tokio::test]
async fn a_failing_database_is_exactly_its_message_in_batch_item_failures() {
    let w = world().await;
    // cur_poison is configured, but its bucket's policy is full: a foreign policy of about
    // 20,000 bytes leaves no room for its statements under S3's 20 KB, so its bucket policy
    // write fails (checked before the write, nothing written) while every other database of the
    // batch succeeds.
    let poison = "cur_poison";
    let full = w.acct.bucket("full").await;
    let mut foreign = Vec::new();
    while json!({"Version": "2012-10-17", "Statement": foreign})
        .to_string()
        .len()
        < 20_000
    {
        let i = foreign.len();
        foreign.push(
            json!({"Sid": format!("KeepTeamData{i:03}"), "Effect": "Deny",
            "Principal": "*", "Action": "s3:DeleteObject",
            "Resource": format!("arn:aws:s3:::{full}/team-{i:03}/*")}),
        );
    }
    let foreign = json!({"Version": "2012-10-17", "Statement": foreign});
    w.acct
        .s3()
        .put_bucket_policy()
        .bucket(&full)
        .policy(foreign.to_string())
        .send()
        .await
        .expect("a foreign policy under 20 KB");
    w.acct
        .database(poison, Some(&format!("s3://{full}/data/")))
        .await;
    w.acct
        .parquet_table(poison, "usage", &format!("s3://{full}/data/usage/"))
        .await;
    let topic = w.acct.topic("lakewarden-alerts").await;
    let cfg = format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\nproducer:\n  fanout_queue_url: \"{}\"\n  shares:\n    - database: \"cur_*\"\n      consumers: [\"{}\"]\n      bucket_policy: false\n    - database: {poison}\n      consumers: [\"{}\"]\n",
        w.queue_url, w.consumer, w.consumer
    );
    catalog_sharer::handle(&w.acct.ctx(&cfg), scheduled_event(&w.acct.id))
        .await
        .expect("schedule");
    let mut messages = w.receive_all().await;
    assert_eq!(messages.len(), 24);
    // Put the poisoned message in the middle of a batch of ten, with hints the configuration
    // does not back (dropped with a note, never retried) and a body that is no hint at all.
    messages.sort_by_key(database_of);
    let at = messages
        .iter()
        .position(|m| database_of(m) == poison)
        .unwrap();
    let poisoned = messages.remove(at);
    let mut batch: Vec<_> = messages.drain(..7).collect();
    batch.insert(4, poisoned.clone());
    let sqs = w.acct.sqs();
    for body in [
        json!({"database": "payroll"}).to_string(),
        "junk".to_string(),
    ] {
        sqs.send_message()
            .queue_url(&w.queue_url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    let extra = w.receive_all().await;
    assert_eq!(extra.len(), 2);
    batch.extend(extra);
    assert_eq!(batch.len(), 10, "one SQS batch of ten");

    let failures = w.invoke(&cfg, &batch).await;
    assert_eq!(
        failures,
        vec![poisoned.message_id().unwrap().to_string()],
        "exactly the poisoned message fails"
    );
    let shared = w.shared().await;
    for m in &batch[..8] {
        let db = database_of(m);
        if db != poison {
            assert!(shared.contains(&db), "{db} not shared: {shared:?}");
        }
    }
    assert!(!shared.contains("payroll"), "{shared:?}");
    // The failure was alerted, naming the bucket; the foreign policy is untouched.
    let sent = moto().sent_notifications(&w.acct.id);
    assert!(sent.iter().any(|m| m.2.contains(&full)), "{sent:?}");
    assert_eq!(w.acct.bucket_policy(&full).await, Some(foreign));
    // The rest of the queue still reconciles cleanly.
    for rest in messages.chunks(10) {
        assert_eq!(w.invoke(&cfg, rest).await, Vec::<String>::new());
    }
}

#[tokio::test]
async fn the_sqs_fixture_is_understood_and_its_unconfigured_hint_dropped() {
    let acct = fresh_account().await;
    let ctx = acct.ctx(
        "producer:\n  shares:\n    - database: \"cur_*\"\n      consumers: [\"222222222222\"]\n",
    );
    let out = catalog_sharer::invoke(&ctx, event("sqs-catalog-sharer-fanout.json"))
        .await
        .expect("fixture");
    // The fixture names `sales_private`, which this configuration does not share: dropped, not
    // retried, nothing read or written.
    assert_eq!(
        serde_json::to_value(&out).unwrap(),
        json!({"batchItemFailures": []})
    );
}

#[tokio::test]
async fn messages_the_deadline_leaves_unstarted_are_failures_and_nothing_is_written() {
    let w = world().await;
    let cfg = w.config("");
    catalog_sharer::handle(&w.acct.ctx(&cfg), scheduled_event(&w.acct.id))
        .await
        .expect("schedule");
    let messages = w.receive_all().await;
    let batch = &messages[..10];
    // An invocation already inside its deadline margin starts no database: every message comes
    // back for a retry, and nothing is read or written.
    let ctx = w.acct.ctx(&cfg);
    let before = ctx.aws.counter.snapshot();
    let deadline = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    let out = lakewarden::runtime::with_deadline_and_margin(
        deadline,
        std::time::Duration::from_secs(60),
        catalog_sharer::invoke(&ctx, w.sqs_event(batch)),
    )
    .await
    .expect("answered");
    let failed: Vec<String> = serde_json::to_value(&out).unwrap()["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
        .collect();
    let ids: Vec<String> = batch
        .iter()
        .map(|m| m.message_id().unwrap().to_string())
        .collect();
    assert_eq!(failed, ids);
    let mut r = Report::new("catalog-sharer", false);
    r.set_calls(&ctx.aws.counter, &before);
    assert!(r.api_operations.is_empty(), "{:?}", r.api_operations);
    assert!(w.shared().await.is_empty());
}

/// How many databases the scale test configures: the 2,000 with `--features
/// heavy-fanout`, else 250 (the same property, a tenth of moto's SQS time).
const SCALE: usize = if cfg!(feature = "heavy-fanout") {
    2000
} else {
    250
};

/// The scale the issue names: a schedule over [`SCALE`] configured databases (2,000 with
/// `heavy-fanout`) does not reconcile them; it lists them once and enqueues them, one
/// `SendMessageBatch` per ten, and reads no database's tables, grants or policies itself.
#[tokio::test]
async fn many_databases_are_a_tenth_as_many_batches_of_hints() {
    let acct = fresh_account().await;
    let glue = acct.glue();
    let names: Vec<String> = (0..SCALE).map(|i| format!("cur_{i:04}")).collect();
    for chunk in names.chunks(50) {
        let mut tasks = tokio::task::JoinSet::new();
        for db in chunk {
            let glue = glue.clone();
            let input = aws_sdk_glue::types::DatabaseInput::builder()
                .name(db)
                .build()
                .unwrap();
            tasks.spawn(async move { glue.create_database().database_input(input).send().await });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap().expect("create database");
        }
    }
    let queue_url = acct.queue(QUEUE).await;
    let cfg = format!(
        "producer:\n  fanout_queue_url: \"{queue_url}\"\n  shares:\n    - database: \"cur_*\"\n      consumers: [\"{}\"]\n",
        new_account_id()
    );
    let r = catalog_sharer::handle(&acct.ctx(&cfg), scheduled_event(&acct.id))
        .await
        .expect("schedule");
    let batches = SCALE.div_ceil(10);
    assert_eq!(
        count(&r, "sqs.send_message_batch", Outcome::Applied),
        batches
    );
    let ops = &r.api_operations;
    assert_eq!(
        ops.get("sqs.SendMessageBatch"),
        Some(&(batches as u64)),
        "{ops:?}"
    );
    for per_database in [
        "glue.GetTables",
        "glue.GetDatabase",
        "s3.GetBucketPolicy",
        "lakeformation.BatchGrantPermissions",
    ] {
        assert!(!ops.contains_key(per_database), "{per_database}: {ops:?}");
    }
    let attrs = acct
        .sqs()
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attrs
            .attributes()
            .and_then(
                |a| a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            )
            .cloned(),
        Some(SCALE.to_string())
    );
}

/// `lakewarden plan catalog-sharer` on a configuration with a fan-out queue shows what the
/// schedule's reconcile would change (the grants), not the messages it would enqueue.
#[tokio::test]
async fn lakewarden_plan_shows_the_reconcile_not_the_enqueueing() {
    let w = world().await;
    let ctx = w.acct.ctx(&w.config("dry_run: true\n"));
    let r =
        lakewarden_cli::plan::handle(catalog_sharer::FUNCTION, &ctx, scheduled_event(&w.acct.id))
            .await
            .expect("a known function")
            .expect("plan");
    assert_eq!(count(&r, "sqs.send_message_batch", Outcome::Planned), 0);
    // Per database: the database grant and the All-tables grant.
    assert_eq!(
        count(&r, "lakeformation.grant", Outcome::Planned),
        2 * w.good.len(),
        "{r:#?}"
    );
    assert_eq!(r.writes, 0, "{:?}", r.api_operations);
    assert!(w.receive_all().await.is_empty());
}
