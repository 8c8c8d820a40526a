//! Which databases a Glue catalog event or a schedule asks catalog-sharer to reconcile.

use lakewarden::config::Producer;
use lakewarden::events::{self, Envelope, EventError};
use lakewarden::reconcile::Trigger;
use lakewarden::sharing::{shares_for, Scope};
use serde_json::Value;

const PARTITION_CHANGES: &[&str] = &[
    "CreatePartition",
    "BatchCreatePartition",
    "UpdatePartition",
    "BatchUpdatePartition",
    "DeletePartition",
    "BatchDeletePartition",
];

/// Whether the event is the scheduled reconcile.
pub fn is_schedule(event: &Value) -> bool {
    events::envelope(event).is_ok_and(|env| events::is_scheduled(&env))
}

/// Decide what an event asks for. Errors mean a malformed or unsupported event. An SQS record
/// of the scheduled fan-out (see [`crate::fanout`]) asks for its database, when configured.
pub fn trigger(event: &Value, cfg: &Producer) -> Result<Trigger<Scope>, EventError> {
    if let Some(t) = crate::fanout::record_trigger(event, cfg) {
        return t;
    }
    let env = events::envelope(event)?;
    if events::is_scheduled(&env) {
        return Ok(Trigger::Run(Scope::All));
    }
    let Some(change) = events::glue_change(&env)? else {
        return Err(unsupported(&env));
    };
    if shares_for(cfg, &change.database).is_empty() {
        return Ok(Trigger::Ignore(format!(
            "database `{}` is not in producer.shares; nothing to do",
            change.database
        )));
    }
    if PARTITION_CHANGES.contains(&change.type_of_change.as_str()) {
        return Ok(Trigger::Ignore(format!(
            "{} on {} changes no table location or grant",
            change.type_of_change, change.database
        )));
    }
    Ok(Trigger::Run(Scope::Databases(
        [change.database].into_iter().collect(),
    )))
}

fn unsupported(env: &Envelope) -> EventError {
    EventError(format!(
        "catalog-sharer does not handle `{}` events from `{}`; it takes aws.glue `{}` / `{}` and aws.events `{}`",
        env.detail_type,
        env.source,
        events::GLUE_DATABASE_CHANGE,
        events::GLUE_TABLE_CHANGE,
        events::SCHEDULED_EVENT
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakewarden::config::parse;
    use serde_json::json;

    const CAT: &str = "111111111111";
    const ORG: &str = "arn:aws:organizations::111111111111:organization/o-abc123def4";
    const ROLE: &str = "arn:aws:iam::333333333333:role/analyst";

    fn producer(extra: &str) -> Producer {
        let text = format!(
            "producer:\n  shares:\n    - database: \"cur_*\"\n      consumers: [\"222222222222\", \"{ORG}\", \"{ROLE}\"]\n{extra}"
        );
        parse(&text, "test").unwrap().producer.unwrap()
    }

    fn event(detail_type: &str, detail: Value) -> Value {
        json!({"version": "0", "id": "x", "detail-type": detail_type, "source": "aws.glue",
           "account": CAT, "time": "2026-11-24T00:00:00Z", "region": "us-east-1",
           "resources": [], "detail": detail})
    }

    #[test]
    fn trigger_scopes_glue_events_to_their_database() {
        let cfg = producer("");
        let t = trigger(
        &event(
            events::GLUE_DATABASE_CHANGE,
            json!({"databaseName": "cur_org", "typeOfChange": "CreateTable", "changedTables": ["a"]}),
        ),
        &cfg,
    )
    .unwrap();
        assert_eq!(
            t,
            Trigger::Run(Scope::Databases(["cur_org".to_string()].into()))
        );
    }

    #[test]
    fn trigger_ignores_unconfigured_databases_and_partitions() {
        let cfg = producer("");
        let t = trigger(
        &event(
            events::GLUE_DATABASE_CHANGE,
            json!({"databaseName": "sales_private", "typeOfChange": "CreateTable", "changedTables": ["a"]}),
        ),
        &cfg,
    )
    .unwrap();
        assert!(matches!(t, Trigger::Ignore(ref why) if why.contains("sales_private")));
        let t = trigger(
        &event(
            events::GLUE_TABLE_CHANGE,
            json!({"databaseName": "cur_org", "tableName": "a", "typeOfChange": "BatchCreatePartition", "changedPartitions": ["x"]}),
        ),
        &cfg,
    )
    .unwrap();
        assert!(matches!(t, Trigger::Ignore(_)));
    }

    #[test]
    fn trigger_schedule_is_all_and_junk_is_an_error() {
        let cfg = producer("");
        let t = trigger(
            &json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}),
            &cfg,
        )
        .unwrap();
        assert_eq!(t, Trigger::Run(Scope::All));
        let e = trigger(
            &json!({"detail-type": "Object Created", "source": "aws.s3", "detail": {}}),
            &cfg,
        )
        .unwrap_err();
        assert!(e.to_string().contains("does not handle"), "{e}");
        assert!(trigger(
            &event(
                events::GLUE_DATABASE_CHANGE,
                json!({"typeOfChange": "CreateTable"})
            ),
            &cfg
        )
        .is_err());
    }
}
