//! Scale past one invocation (issue 12 §7): with a fan-out queue configured, the scheduled
//! reconcile does not share anything itself. It enqueues one message per configured database on
//! SQS (`SendMessageBatch`, ≤ 10 per call, an action through the core: reported, dry-run safe),
//! and the same function, triggered by SQS, reconciles each message's database exactly as a Glue
//! event for it would, answering with partial batch failures.
//!
//! A message is a hint, never configuration: its body names a database (`{"database": "…"}`)
//! and the receiver re-validates it against `producer.shares`. An unconfigured database is
//! dropped with a note (never retried), a malformed body is dropped with an error log (a retry
//! cannot fix it, and the next schedule enqueues every configured database again).

use std::collections::BTreeSet;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lakewarden::aws::{glue, lakeformation, sqs, Aws, AwsResult};
use lakewarden::config::{Config, Producer, FANOUT_QUEUE_ENV};
use lakewarden::events::EventError;
use lakewarden::reconcile::{self, ApplyState, Done, ExtAction, Plan, Reconciler, Trigger};
use lakewarden::report::Report;
use lakewarden::runtime::{near_deadline, Ctx, HandlerError};
use lakewarden::sharing::{shares_for, Scope};
use lakewarden::AwsError;
use serde::Serialize;
use serde_json::{json, Value};

use crate::{CatalogSharer, FUNCTION};

/// The `eventSource` of an SQS record in a Lambda event.
pub const SQS_SOURCE: &str = "aws:sqs";

/// The fan-out queue: `producer.fanout_queue_url`, else `LAKEWARDEN_FANOUT_QUEUE_URL`.
pub fn queue_url(cfg: &Config) -> Option<String> {
    cfg.producer
        .as_ref()
        .and_then(|p| p.fanout_queue_url.clone())
        .or_else(|| std::env::var(FANOUT_QUEUE_ENV).ok())
        .filter(|q| !q.trim().is_empty())
}

/// The body of the message that asks for `database`.
pub fn body(database: &str) -> String {
    json!({ "database": database }).to_string()
}

/// What one SQS record asks catalog-sharer (`None`: the event is not an SQS record). Pure.
pub fn record_trigger(event: &Value, cfg: &Producer) -> Option<Result<Trigger<Scope>, EventError>> {
    if !is_record(event) {
        return None;
    }
    let id = event
        .get("messageId")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let database = event
        .get("body")
        .and_then(Value::as_str)
        .and_then(|b| serde_json::from_str::<Value>(b).ok())
        .and_then(|b| b.get("database").and_then(Value::as_str).map(String::from));
    Some(match database {
        None => Err(EventError(format!(
            "SQS message {id} is not a catalog-sharer fan-out message (expected the body {{\"database\": \"NAME\"}})"
        ))),
        Some(db) if shares_for(cfg, &db).is_empty() => Ok(Trigger::Ignore(format!(
            "SQS message {id} names database `{db}`, which is not in producer.shares; message dropped"
        ))),
        Some(db) => Ok(Trigger::Run(Scope::Databases([db].into()))),
    })
}

/// The SQS batch in a Lambda event, if it is one (`Records` of `aws:sqs` records).
pub fn sqs_event(event: &Value) -> Option<Result<SqsEvent, EventError>> {
    let records = event.get("Records")?.as_array()?;
    let from_sqs = records
        .first()
        .and_then(|r| r.get("eventSource"))
        .and_then(Value::as_str)
        == Some(SQS_SOURCE);
    from_sqs.then(|| {
        serde_json::from_value(event.clone())
            .map_err(|e| EventError(format!("malformed SQS event: {e}")))
    })
}

/// One SQS batch: each record's database is reconciled in its own run (trigger → observe →
/// plan → apply → report, as for a Glue event on that database), one after the other. A record
/// whose run failed, or that the invocation's deadline left unstarted, is a batch item failure
/// (SQS makes it visible again after the visibility timeout; the redrive policy ends in the
/// dead-letter queue). Dropped hints are not failures.
pub async fn handle_batch(ctx: &Ctx, batch: SqsEvent) -> SqsBatchResponse {
    let mut failed = Vec::new();
    for record in &batch.records {
        let id = record.message_id.clone().unwrap_or_default();
        if near_deadline() {
            tracing::warn!(message_id = %id, "deadline near: message left for a retry");
            failed.push(id);
            continue;
        }
        let value = serde_json::to_value(record).unwrap_or(Value::Null);
        match reconcile::run(&CatalogSharer, ctx, value).await {
            Ok(_) => {}
            Err(HandlerError::BadEvent(e)) => {
                tracing::error!(message_id = %id, error = %e, "message dropped: a retry cannot fix it");
            }
            Err(e) => {
                tracing::warn!(message_id = %id, error = %e, "database not reconciled; the message is retried");
                failed.push(id);
            }
        }
    }
    let mut response = SqsBatchResponse::default();
    for id in failed.into_iter().filter(|id| !id.is_empty()) {
        let mut f = BatchItemFailure::default();
        f.item_identifier = id;
        response.batch_item_failures.push(f);
    }
    response
}

/// What Lambda invokes: an SQS batch of the fan-out, or any other event ([`crate::handle`]).
pub async fn invoke(ctx: &Ctx, event: Value) -> Result<Response, HandlerError> {
    match sqs_event(&event) {
        Some(batch) => Ok(Response::Batch(handle_batch(ctx, batch?).await)),
        None => Ok(Response::Report(Box::new(crate::handle(ctx, event).await?))),
    }
}

/// [`crate::handle`] without the fan-out: a schedule reconciles every configured database in this
/// invocation. What `lakewarden plan` runs, so that it shows the grants and statements a
/// schedule would repair, not the messages it would enqueue.
pub async fn handle_without_fanout(ctx: &Ctx, event: Value) -> Result<Report, HandlerError> {
    reconcile::run(&CatalogSharer, ctx, event).await
}

/// Whether the event is one SQS record of the fan-out (whose run is part of the schedule).
pub fn is_record(event: &Value) -> bool {
    event.get("eventSource").and_then(Value::as_str) == Some(SQS_SOURCE)
}

/// What a catalog-sharer invocation answers: a report, or an SQS batch's failures.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Response {
    Report(Box<Report>),
    Batch(SqsBatchResponse),
}

/// The scheduled reconcile when a fan-out queue is configured: enqueue, do not share.
pub struct FanOut {
    pub queue_url: String,
}

/// The databases the schedule must cover, as read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Databases {
    /// This catalog's own databases (not resource links).
    pub existing: BTreeSet<String>,
    /// This catalog's databases on which Lake Formation grants are held (a deleted database
    /// still holds lakewarden's grants until its reconcile revokes them).
    pub with_grants: BTreeSet<String>,
}

/// One `SendMessageBatch` of database hints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Enqueue {
    Databases {
        queue_url: String,
        databases: Vec<String>,
    },
}

impl ExtAction for Enqueue {
    fn kind(&self) -> &'static str {
        "sqs.send_message_batch"
    }
    fn target(&self) -> String {
        let Enqueue::Databases {
            queue_url,
            databases,
        } = self;
        format!("{queue_url}: {}", databases.join(", "))
    }
    fn remedy(&self) -> String {
        let Enqueue::Databases { queue_url, .. } = self;
        format!(
            "Check that the queue {queue_url} exists and that the function's role may sqs:SendMessage on it (and use its KMS key); the next scheduled run enqueues every configured database again"
        )
    }
    async fn apply(&self, aws: &Aws, _state: &mut ApplyState) -> AwsResult<Done> {
        let Enqueue::Databases {
            queue_url,
            databases,
        } = self;
        let bodies: Vec<String> = databases.iter().map(|d| body(d)).collect();
        sqs::send_batch(&aws.sqs, queue_url, &bodies).await?;
        Ok(Done::Applied)
    }
}

/// Pure: one message per configured database (existing, or deleted but still holding grants),
/// sorted, ten per `SendMessageBatch`.
pub fn plan(cfg: &Producer, queue_url: &str, seen: &Databases) -> Plan<Enqueue> {
    let mut p = Plan::default();
    let configured: BTreeSet<&String> = seen
        .existing
        .iter()
        .chain(seen.with_grants.iter())
        .filter(|db| !shares_for(cfg, db).is_empty())
        .collect();
    let all: Vec<String> = configured.into_iter().cloned().collect();
    for chunk in all.chunks(sqs::MAX_BATCH) {
        p.push_ext(Enqueue::Databases {
            queue_url: queue_url.to_string(),
            databases: chunk.to_vec(),
        });
    }
    p.notes
        .push(json!({ "fanout": { "queue": queue_url, "databases": all.len() } }));
    p
}

impl Reconciler for FanOut {
    type Scope = ();
    type Observed = Databases;
    type Ext = Enqueue;

    fn name(&self) -> &'static str {
        FUNCTION
    }

    fn trigger(&self, cfg: &Config, event: &Value) -> Result<Trigger<()>, HandlerError> {
        Config::require(&cfg.producer, "producer")?;
        match crate::trigger::is_schedule(event) {
            true => Ok(Trigger::Run(())),
            false => Err(EventError("the fan-out runs on the schedule only".into()).into()),
        }
    }

    fn resource(&self, _scope: &()) -> String {
        format!("scheduled fan-out to {}", self.queue_url)
    }

    /// Enqueueing repairs nothing: the messages' runs do the schedule's repairs.
    fn repairs_drift(&self, _event: &Value) -> bool {
        false
    }

    async fn observe(&self, ctx: &Ctx, _scope: &(), _round: usize) -> Result<Databases, AwsError> {
        let catalog_id = ctx.aws.account_id().await?;
        let existing = glue::get_databases(&ctx.aws.glue, None)
            .await?
            .into_iter()
            .filter(|d| d.target.is_none())
            .map(|d| d.name)
            .collect();
        let with_grants = lakeformation::list_permissions(&ctx.aws.lakeformation, &catalog_id)
            .await?
            .iter()
            .filter(|g| g.resource.catalog_id() == catalog_id)
            .filter_map(|g| g.resource.database_name().map(String::from))
            .collect();
        Ok(Databases {
            existing,
            with_grants,
        })
    }

    fn observe_remedy(&self, _round: usize) -> String {
        "The function could not list the databases to enqueue; check its role's glue:GetDatabases and lakeformation:ListPermissions".into()
    }

    fn plan(&self, cfg: &Config, _scope: &(), seen: &Databases, _round: usize) -> Plan<Enqueue> {
        match &cfg.producer {
            Some(producer) => plan(producer, &self.queue_url, seen),
            None => Plan::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakewarden::config::parse;

    fn producer() -> Producer {
        parse(
            "producer:\n  shares:\n    - database: \"cur_*\"\n      consumers: [\"222222222222\"]\n",
            "test",
        )
        .unwrap()
        .producer
        .unwrap()
    }

    fn record(id: &str, body: &str) -> Value {
        json!({"messageId": id, "receiptHandle": "r", "body": body, "attributes": {},
               "messageAttributes": {}, "md5OfBody": "x", "eventSource": "aws:sqs",
               "eventSourceARN": "arn:aws:sqs:us-east-1:111111111111:q", "awsRegion": "us-east-1"})
    }

    #[test]
    fn a_record_is_a_hint_revalidated_against_the_configuration() {
        let cfg = producer();
        let t = record_trigger(&record("m1", &body("cur_a")), &cfg).unwrap();
        assert_eq!(
            t.unwrap(),
            Trigger::Run(Scope::Databases(["cur_a".to_string()].into()))
        );
        let t = record_trigger(&record("m2", &body("payroll")), &cfg).unwrap();
        assert!(
            matches!(t, Ok(Trigger::Ignore(ref why)) if why.contains("payroll") && why.contains("dropped"))
        );
        for junk in ["not json", "{}", "{\"database\": 7}", "[\"cur_a\"]"] {
            let e = record_trigger(&record("m3", junk), &cfg)
                .unwrap()
                .unwrap_err();
            assert!(e.to_string().contains("m3"), "{e}");
        }
        // Not an SQS record: not this function's business here.
        assert!(record_trigger(&json!({"source": "aws.glue"}), &cfg).is_none());
    }

    #[test]
    fn the_plan_enqueues_configured_databases_ten_per_call() {
        let cfg = producer();
        let seen = Databases {
            existing: (0..23)
                .map(|i| format!("cur_{i:02}"))
                .chain(["payroll".to_string()])
                .collect(),
            // Deleted, still holding grants; and an unconfigured one.
            with_grants: ["cur_gone".to_string(), "hr".to_string()].into(),
        };
        let p = plan(&cfg, "https://q", &seen);
        let batches: Vec<Vec<String>> = p
            .steps
            .iter()
            .map(|s| match &s.action {
                reconcile::Action::Ext(Enqueue::Databases { databases, .. }) => databases.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            [10, 10, 4]
        );
        let all: Vec<&String> = batches.iter().flatten().collect();
        assert!(all.iter().any(|d| *d == "cur_gone"));
        assert!(!all.iter().any(|d| *d == "payroll" || *d == "hr"));
        assert_eq!(p.notes[0]["fanout"]["databases"], 24);
    }

    #[test]
    fn drift_repaired_counts_the_messages_runs_not_the_enqueueing() {
        let schedule =
            json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
        let glue = json!({"detail-type": "Glue Data Catalog Database State Change",
            "source": "aws.glue", "detail": {"databaseName": "cur_a", "typeOfChange": "CreateTable"}});
        let fan_out = FanOut {
            queue_url: "https://q".into(),
        };
        assert!(!fan_out.repairs_drift(&schedule));
        assert!(CatalogSharer.repairs_drift(&record("m1", &body("cur_a"))));
        assert!(CatalogSharer.repairs_drift(&schedule));
        assert!(!CatalogSharer.repairs_drift(&glue));
    }

    #[test]
    fn the_queue_url_is_validated_at_cold_start() {
        let doc = |q: &str| {
            format!("producer:\n  fanout_queue_url: \"{q}\"\n  shares:\n    - database: a\n      consumers: [\"222222222222\"]\n")
        };
        let ok = parse(
            &doc(
                "https://sqs.us-east-1.amazonaws.com/111111111111/lakewarden-catalog-sharer-fanout",
            ),
            "t",
        )
        .unwrap();
        assert_eq!(
            queue_url(&ok).as_deref(),
            Some(
                "https://sqs.us-east-1.amazonaws.com/111111111111/lakewarden-catalog-sharer-fanout"
            )
        );
        for bad in [
            "lakewarden-fanout",
            "https://sqs.us-east-1.amazonaws.com/",
            "ftp://x/y",
        ] {
            let e = parse(&doc(bad), "t").unwrap_err().to_string();
            assert!(e.contains("producer.fanout_queue_url"), "{bad}: {e}");
        }
    }

    #[test]
    fn an_sqs_batch_is_recognised_and_others_are_not() {
        let ev = json!({"Records": [record("m1", &body("cur_a"))]});
        let batch = sqs_event(&ev).unwrap().unwrap();
        assert_eq!(batch.records[0].message_id.as_deref(), Some("m1"));
        assert!(sqs_event(&json!({"source": "aws.events"})).is_none());
        assert!(sqs_event(&json!({"Records": [{"eventSource": "aws:s3"}]})).is_none());
    }

    #[test]
    fn the_response_is_exactly_the_partial_batch_shape() {
        let mut r = SqsBatchResponse::default();
        let mut f = BatchItemFailure::default();
        f.item_identifier = "m2".into();
        r.batch_item_failures.push(f);
        assert_eq!(
            serde_json::to_value(Response::Batch(r)).unwrap(),
            json!({"batchItemFailures": [{"itemIdentifier": "m2"}]})
        );
    }
}
