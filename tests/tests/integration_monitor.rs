//! integration-monitor against moto: transitions published once to EventBridge (read from SQS).

use lakewarden::report::Outcome;
use lakewarden_tests::*;
use serde_json::json;

fn config() -> String {
    "integrations:\n  state_table: lakewarden-state\n  event_bus: default\n".into()
}

#[tokio::test]
async fn first_run_publishes_one_event_per_integration_second_run_none() {
    let source = fresh_account().await;
    let target = fresh_account().await;
    source.state_table("lakewarden-state").await;
    let q = source.capture_events("lakewarden").await;
    let a = source
        .create_integration(
            "zetl-a",
            "cm-kasama-test-transactions",
            &target.id,
            "cm_kasama_zero_etl_db",
        )
        .await;
    let b = source
        .create_integration("zetl-b", "other-table", &target.id, "cm_kasama_zero_etl_db")
        .await;
    let ctx = source.ctx(&config());
    let first = integration_monitor::handle(&ctx, scheduled_event(&source.id))
        .await
        .expect("first");
    assert_eq!(first.count(Outcome::Applied), 2);
    let events = source.captured(&q).await;
    assert_eq!(events.len(), 2, "{events:#?}");
    for e in &events {
        assert_eq!(e["source"], "lakewarden");
        assert_eq!(e["detail-type"], "Zero-ETL Integration State Change");
        assert_eq!(e["detail"]["previousStatus"], serde_json::Value::Null);
        assert_eq!(e["detail"]["status"], "CREATING");
        assert_eq!(e["detail"]["side"], "source");
    }
    let mut arns: Vec<String> = events
        .iter()
        .map(|e| e["detail"]["integrationArn"].as_str().unwrap().to_string())
        .collect();
    arns.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(arns, expected);
    let second = integration_monitor::handle(&ctx, scheduled_event(&source.id))
        .await
        .expect("second");
    assert_eq!(second.writes, 0);
    assert!(source.captured(&q).await.is_empty());
}

#[tokio::test]
async fn a_change_is_one_transition_even_with_overlapping_runs() {
    let source = fresh_account().await;
    let target = fresh_account().await;
    source.state_table("lakewarden-state").await;
    let q = source.capture_events("lakewarden").await;
    let arn = source
        .create_integration(
            "zetl",
            "cm-kasama-test-transactions",
            &target.id,
            "cm_kasama_zero_etl_db",
        )
        .await;
    let ctx = source.ctx(&config());
    integration_monitor::handle(&ctx, scheduled_event(&source.id))
        .await
        .unwrap();
    source.captured(&q).await;
    source.set_integration_status(
        &arn,
        "FAILED",
        json!([{"ErrorCode": "AccessDeniedException", "ErrorMessage": "DynamoDB resource policy does not allow glue.amazonaws.com"}]),
    );
    let ctx2 = source.ctx(&config());
    let (r1, r2) = tokio::join!(
        integration_monitor::handle(&ctx, scheduled_event(&source.id)),
        integration_monitor::handle(&ctx2, scheduled_event(&source.id))
    );
    let (r1, r2) = (r1.unwrap(), r2.unwrap());
    // Delivery is at least once: a run that reads the record while the other has it marked "to
    // publish" publishes it again — the same event, the same transitionId, by which consumers
    // dedupe (docs/events.md). One transition, whatever the interleaving.
    let applied = r1.count(Outcome::Applied) + r2.count(Outcome::Applied);
    assert!((1..=2).contains(&applied), "{applied}");
    let events = source.captured(&q).await;
    assert_eq!(events.len(), applied, "{events:#?}");
    assert!(
        events.iter().all(|e| e["detail"] == events[0]["detail"]),
        "{events:#?}"
    );
    assert!(events[0]["detail"]["transitionId"].is_string());
    let d = &events[0]["detail"];
    assert_eq!(d["previousStatus"], "CREATING");
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["integrationName"], "zetl");
    assert_eq!(d["errors"][0]["code"], "AccessDeniedException");
}

#[tokio::test]
async fn the_target_side_sees_inbound_integrations() {
    let source = fresh_account().await;
    let target = fresh_account().await;
    target.state_table("lakewarden-state").await;
    let q = target.capture_events("lakewarden").await;
    let arn = source
        .create_integration("zetl", "t", &target.id, "cm_kasama_zero_etl_db")
        .await;
    integration_monitor::handle(&target.ctx(&config()), scheduled_event(&target.id))
        .await
        .unwrap();
    let events = target.captured(&q).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["detail"]["side"], "target");
    assert_eq!(events[0]["detail"]["integrationArn"], arn.as_str());
}

#[tokio::test]
async fn dry_run_publishes_and_records_nothing() {
    let source = fresh_account().await;
    let target = fresh_account().await;
    source.state_table("lakewarden-state").await;
    let q = source.capture_events("lakewarden").await;
    source
        .create_integration("zetl", "t", &target.id, "d")
        .await;
    let r = integration_monitor::handle(
        &source.ctx(&format!("dry_run: true\n{}", config())),
        scheduled_event(&source.id),
    )
    .await
    .unwrap();
    assert_eq!(r.writes, 0);
    assert_eq!(r.count(Outcome::Planned), 1);
    assert!(source.captured(&q).await.is_empty());
}

#[tokio::test]
async fn an_event_other_than_the_schedule_is_a_bad_event_and_calls_nothing() {
    use lakewarden::report::Report;
    use lakewarden::runtime::HandlerError;
    let source = fresh_account().await;
    let ctx = source.ctx(&config());
    let before = ctx.aws.counter.snapshot();
    for ev in [
        event("zero-etl-state-change.json"),
        event("glue-create-table.json"),
        json!({"hello": "world"}),
    ] {
        let err = integration_monitor::handle(&ctx, ev).await.unwrap_err();
        assert!(matches!(err, HandlerError::BadEvent(_)), "{err}");
    }
    let mut r = Report::new("x", false);
    r.set_calls(&ctx.aws.counter, &before);
    assert!(r.api_operations.is_empty(), "{:?}", r.api_operations);
}

#[tokio::test]
async fn a_failed_publish_alerts_and_the_next_run_publishes_the_transition() {
    use lakewarden::runtime::HandlerError;
    let source = fresh_account().await;
    let target = fresh_account().await;
    source.state_table("lakewarden-state").await;
    let topic = source.topic("lakewarden-alerts").await;
    let q = source.capture_events("lakewarden").await;
    let arn = source
        .create_integration("zetl", "t", &target.id, "d")
        .await;
    // EventBridge refuses this integration's event once.
    let (status, body) = moto().http(
        "POST",
        "/lakewarden-test/faults",
        &json!({"target": "AWSEvents.PutEvents", "body": arn, "status": 400,
                "code": "AccessDeniedException", "message": "denied by test", "times": 1})
        .to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let ctx = source.ctx(&format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\n{}",
        config()
    ));
    let err = integration_monitor::handle(&ctx, scheduled_event(&source.id))
        .await
        .unwrap_err();
    let HandlerError::ActionsFailed { report, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(report.failures().len(), 1);
    assert!(report.failures()[0]
        .error
        .as_deref()
        .unwrap()
        .contains("AccessDeniedException"));
    assert!(source.captured(&q).await.is_empty());
    let sent = moto().sent_notifications(&source.id);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].2.contains("events:PutEvents"), "{}", sent[0].2);
    // The record stays marked "to publish": the next run publishes the transition.
    let r = integration_monitor::handle(&ctx, scheduled_event(&source.id))
        .await
        .expect("second run");
    assert_eq!(r.count(Outcome::Applied), 1);
    let events = source.captured(&q).await;
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["detail"]["integrationArn"], arn.as_str());
    assert_eq!(
        events[0]["detail"]["previousStatus"],
        serde_json::Value::Null
    );
    assert_eq!(events[0]["detail"]["status"], "CREATING");
    let third = integration_monitor::handle(&ctx, scheduled_event(&source.id))
        .await
        .unwrap();
    assert_eq!(third.writes, 0);
}

/// When the event went out but marking the record "published" failed, the next run publishes
/// it again (at least once) with the same `detail.transitionId`, by which consumers dedupe.
#[tokio::test]
async fn an_event_not_marked_published_is_published_again_with_the_same_transition_id() {
    use lakewarden::runtime::HandlerError;
    let source = fresh_account().await;
    let target = fresh_account().await;
    source.state_table("lakewarden-state").await;
    let q = source.capture_events("lakewarden").await;
    let name = format!("zetl-mark-{}", source.id);
    let arn = source.create_integration(&name, "t", &target.id, "d").await;
    // DynamoDB refuses the second write of the record once: "published", its data ending with
    // the errors (the first write has `pending` after them). Rules are global to the server:
    // the name is this test's own.
    let (status, body) = moto().http(
        "POST",
        "/lakewarden-test/faults",
        &json!({"target": "DynamoDB_20120810.PutItem",
                "body": format!(r#"{name}\",\"errors\":[]}}""#), "status": 400,
                "code": "AccessDeniedException", "message": "denied by test", "times": 1})
        .to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let ctx = source.ctx(&config());
    let err = integration_monitor::handle(&ctx, scheduled_event(&source.id))
        .await
        .unwrap_err();
    let HandlerError::ActionsFailed { report, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(report.failures().len(), 1);
    let e = report.failures()[0].error.as_deref().unwrap();
    assert!(
        e.contains("AccessDeniedException") && e.contains("transitionId"),
        "{e}"
    );
    let first = source.captured(&q).await;
    assert_eq!(first.len(), 1, "{first:#?}");
    let id = first[0]["detail"]["transitionId"].clone();
    assert!(id.as_str().is_some_and(|i| i.contains(&arn)), "{id}");
    // The record is still marked: the same event again.
    let r = integration_monitor::handle(&ctx, scheduled_event(&source.id))
        .await
        .expect("second run");
    assert_eq!(r.count(Outcome::Applied), 1);
    let again = source.captured(&q).await;
    assert_eq!(again.len(), 1, "{again:#?}");
    assert_eq!(again[0]["detail"], first[0]["detail"]);
    let third = integration_monitor::handle(&ctx, scheduled_event(&source.id))
        .await
        .unwrap();
    assert_eq!(third.writes, 0);
    assert!(source.captured(&q).await.is_empty());
}

/// Issue 12 §5: an integration that was recorded and no longer exists is a note, not an event
/// and not an alert.
#[tokio::test]
async fn a_deleted_integration_is_a_note_not_an_event_or_an_alert() {
    let source = fresh_account().await;
    let target = fresh_account().await;
    source.state_table("lakewarden-state").await;
    let topic = source.topic("lakewarden-alerts").await;
    let q = source.capture_events("lakewarden").await;
    let arn = source
        .create_integration("zetl", "t", &target.id, "d")
        .await;
    let ctx = source.ctx(&format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\n{}",
        config()
    ));
    integration_monitor::handle(&ctx, scheduled_event(&source.id))
        .await
        .unwrap();
    assert_eq!(source.captured(&q).await.len(), 1);
    source
        .glue()
        .delete_integration()
        .integration_identifier(&arn)
        .send()
        .await
        .unwrap();
    let r = integration_monitor::handle(&ctx, scheduled_event(&source.id))
        .await
        .expect("no failure");
    assert_eq!(r.writes, 0, "{:?}", r.api_operations);
    assert!(r.actions.is_empty(), "{:#?}", r.actions);
    assert!(
        r.notes
            .iter()
            .any(|n| n["integration_gone"] == json!(arn) && n["last_status"] == "CREATING"),
        "{:#?}",
        r.notes
    );
    assert!(source.captured(&q).await.is_empty());
    assert!(moto().sent_notifications(&source.id).is_empty());
}
