use super::*;
use chrono::TimeZone;
use lakewarden::config::parse;

const SRC: &str = "111111111111";

fn export(extra: &str) -> Export {
    let text = format!(
        "exports:\n  - table: cm-kasama-test-transactions\n    bucket: dynamodb-export-bucket\n    bucket_owner: \"222222222222\"\n    prefix: exports/transactions/\n{extra}"
    );
    parse(&text, "t").unwrap().exports.unwrap().remove(0)
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()
}

fn ready() -> ExportObserved {
    ExportObserved {
        table_arn: Some(format!(
            "arn:aws:dynamodb:us-east-1:{SRC}:table/cm-kasama-test-transactions"
        )),
        pitr: true,
        ..Default::default()
    }
}

fn start(p: &Plan) -> &ExportRequest {
    p.actions
        .iter()
        .find_map(|a| match a {
            Action::StartExport { request, .. } => Some(request),
            _ => None,
        })
        .expect("an export")
}

#[test]
fn an_export_always_names_the_bucket_owner_and_a_dated_prefix() {
    let p = plan_export(&export(""), &ready(), &at(), SRC);
    let r = start(&p);
    assert_eq!(r.bucket_owner, "222222222222");
    assert_eq!(r.prefix, "exports/transactions/2026-11-24T10-00-00Z");
    assert_eq!(r.format, "DYNAMODB_JSON");
    assert_eq!(r.incremental, None);
    assert!(
        matches!(p.actions.last(), Some(Action::SaveState { schedule_time, .. }) if schedule_time == "2026-11-24T10:00:00Z")
    );
}

#[test]
fn the_client_token_depends_on_table_and_schedule_time_only() {
    assert_eq!(client_token("t", &at()), client_token("t", &at()));
    assert_ne!(client_token("t", &at()), client_token("u", &at()));
    assert_ne!(
        client_token("t", &at()),
        client_token("t", &(at() + Duration::hours(1)))
    );
    assert!(client_token("t", &at()).len() <= 64);
}

#[test]
fn a_schedule_already_started_starts_nothing() {
    let mut obs = ready();
    record_start(
        &mut obs.state,
        "2026-11-24T10:00:00Z",
        "arn:x",
        "2026-11-24T10:00:00Z",
    );
    obs.pending.push(ExportInfo {
        arn: "arn:x".into(),
        status: "IN_PROGRESS".into(),
        bucket: "b".into(),
        bucket_owner: None,
        prefix: None,
        failure_code: None,
        failure_message: None,
    });
    let p = plan_export(&export(""), &obs, &at(), SRC);
    assert!(p.actions.is_empty(), "{:?}", p.actions);
    assert_eq!(p.already.len(), 1);
}

#[test]
fn pitr_off_is_fixed_or_alerted() {
    let mut obs = ready();
    obs.pitr = false;
    let fixed = plan_export(&export("    fix_pitr: true\n"), &obs, &at(), SRC);
    assert!(matches!(fixed.actions[0], Action::EnablePitr { .. }));
    assert!(matches!(fixed.actions[1], Action::StartExport { .. }));
    let not = plan_export(&export(""), &obs, &at(), SRC);
    assert!(not.actions.is_empty());
    assert!(not.attention[0].contains("point-in-time recovery disabled"));
}

#[test]
fn incremental_windows_start_at_the_last_completed_export() {
    let e = export("    type: INCREMENTAL\n");
    // No completed export yet: a full one starts the chain.
    assert_eq!(
        start(&plan_export(&e, &ready(), &at(), SRC)).incremental,
        None
    );
    let mut obs = ready();
    obs.state.last_completed_to = Some("2026-11-24T09:00:00Z".into());
    let r = start(&plan_export(&e, &obs, &at(), SRC)).clone();
    assert_eq!(
        r.incremental,
        Some(("2026-11-24T09:00:00Z".into(), "2026-11-24T10:00:00Z".into()))
    );
    // Longer than 24h: clamped, and a person is told about the gap.
    obs.state.last_completed_to = Some("2026-11-20T00:00:00Z".into());
    let p = plan_export(&e, &obs, &at(), SRC);
    assert_eq!(
        start(&p).incremental.as_ref().unwrap().0,
        "2026-11-23T10:00:00Z"
    );
    assert!(p.attention[0].contains("24h"));
}

#[test]
fn completed_and_failed_exports_update_the_state_and_failures_alert_with_a_diagnosis() {
    let mut obs = ready();
    record_start(
        &mut obs.state,
        "2026-11-24T09:00:00Z",
        "arn:ok",
        "2026-11-24T09:00:00Z",
    );
    record_start(
        &mut obs.state,
        "2026-11-24T09:30:00Z",
        "arn:bad",
        "2026-11-24T09:30:00Z",
    );
    let info = |arn: &str, status: &str, code: Option<&str>| ExportInfo {
        arn: arn.into(),
        status: status.into(),
        bucket: "dynamodb-export-bucket".into(),
        bucket_owner: Some("222222222222".into()),
        prefix: Some("exports/transactions/x".into()),
        failure_code: code.map(String::from),
        failure_message: code.map(|_| "Access Denied".to_string()),
    };
    obs.pending = vec![
        info("arn:ok", "COMPLETED", None),
        info("arn:bad", "FAILED", Some("S3AccessDenied")),
    ];
    let p = plan_export(&export(""), &obs, &at(), SRC);
    let Some(Action::SaveState { state, .. }) = p.actions.last() else {
        panic!()
    };
    assert!(state.pending.is_empty());
    assert_eq!(state.last_completed_arn.as_deref(), Some("arn:ok"));
    assert_eq!(p.attention.len(), 1);
    let a = &p.attention[0];
    assert!(
        a.contains("S3AccessDenied")
            && a.contains(DEST_SID)
            && a.contains("arn:aws:iam::111111111111:root"),
        "{a}"
    );
}

#[test]
fn destination_statement_is_merged_and_never_names_an_unlisted_account() {
    let dests = parse(
        "export_destinations:\n  - bucket: dynamodb-export-bucket\n    source_accounts: [\"111111111111\"]\n",
        "t",
    )
    .unwrap()
    .export_destinations
    .unwrap();
    let theirs = json!({"Sid": "Other", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::dynamodb-export-bucket/*"});
    let mut pols = BTreeMap::new();
    pols.insert(
        "dynamodb-export-bucket".to_string(),
        Some(json!({"Version": "2012-10-17", "Statement": [theirs.clone()]})),
    );
    let p = plan_destinations(&dests, &pols);
    let Some(Action::PutBucketPolicy { policy: doc, .. }) = p.actions.first() else {
        panic!()
    };
    let st = policy::statements(doc);
    assert_eq!(st[0], theirs);
    assert_eq!(
        st[1]["Principal"]["AWS"],
        json!(["arn:aws:iam::111111111111:root"])
    );
    assert_eq!(
        st[1]["Action"],
        json!(["s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectAcl"])
    );
    pols.insert("dynamodb-export-bucket".to_string(), Some(doc.clone()));
    assert!(plan_destinations(&dests, &pols).actions.is_empty());
}

#[test]
fn only_scheduled_events_with_a_time() {
    assert!(schedule_time(&json!({"detail-type": "Scheduled Event", "source": "aws.events", "time": "2026-11-24T10:00:00Z", "detail": {}})).is_ok());
    assert!(schedule_time(
        &json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}})
    )
    .is_err());
    assert!(
        schedule_time(&json!({"detail-type": "x", "source": "aws.glue", "detail": {}})).is_err()
    );
}
