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
fn the_client_token_depends_on_table_destination_and_schedule_time_only() {
    let e = export("");
    assert_eq!(client_token(&e, &at()), client_token(&export(""), &at()));
    // format / type / fix_pitr do not change it; the table, the destination and the time do.
    assert_eq!(
        client_token(&e, &at()),
        client_token(&export("    format: ION\n    fix_pitr: true\n"), &at())
    );
    let mut other_table = e.clone();
    other_table.table = "other".into();
    assert_ne!(client_token(&e, &at()), client_token(&other_table, &at()));
    let mut other_bucket = e.clone();
    other_bucket.bucket = "other-bucket".into();
    assert_ne!(client_token(&e, &at()), client_token(&other_bucket, &at()));
    assert_ne!(
        client_token(&e, &at()),
        client_token(&e, &(at() + Duration::hours(1)))
    );
    assert!(client_token(&e, &at()).len() <= 64);
    // The plan's request carries it.
    assert_eq!(
        start(&plan_export(&e, &ready(), &at(), SRC)).client_token,
        client_token(&e, &at())
    );
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

fn pending(arn: &str, status: &str) -> ExportInfo {
    ExportInfo {
        arn: arn.into(),
        status: status.into(),
        bucket: "dynamodb-export-bucket".into(),
        bucket_owner: Some("222222222222".into()),
        prefix: None,
        failure_code: None,
        failure_message: None,
    }
}

#[test]
fn incremental_windows_are_contiguous_and_at_least_15_minutes() {
    let e = export("    type: INCREMENTAL\n");
    // An export still running: wait for it (the window starts where it ends).
    let mut obs = ready();
    obs.state.last_completed_to = Some("2026-11-24T08:00:00Z".into());
    record_start(
        &mut obs.state,
        "2026-11-24T09:00:00Z",
        "arn:run",
        "2026-11-24T09:00:00Z",
    );
    obs.pending.push(pending("arn:run", "IN_PROGRESS"));
    let p = plan_export(&e, &obs, &at(), SRC);
    assert!(p.actions.is_empty(), "{:?}", p.actions);
    assert!(p.skipped[0].2.contains("still running"), "{:?}", p.skipped);
    assert!(p.attention.is_empty());
    // Once it completed, the next window starts at its end.
    obs.pending = vec![pending("arn:run", "COMPLETED")];
    let p = plan_export(&e, &obs, &at(), SRC);
    assert_eq!(
        start(&p).incremental,
        Some(("2026-11-24T09:00:00Z".into(), "2026-11-24T10:00:00Z".into()))
    );
    // A failed one is not a gap: its window is exported again by the next run.
    obs.pending = vec![pending("arn:run", "FAILED")];
    let p = plan_export(&e, &obs, &at(), SRC);
    assert_eq!(
        start(&p).incremental.as_ref().unwrap().0,
        "2026-11-24T08:00:00Z"
    );
    // Shorter than 15 minutes since the last export: not yet.
    let mut obs = ready();
    obs.state.last_completed_to = Some("2026-11-24T09:50:00Z".into());
    let p = plan_export(&e, &obs, &at(), SRC);
    assert!(p.actions.is_empty(), "{:?}", p.actions);
    assert!(p.skipped[0].2.contains("15 minutes"), "{:?}", p.skipped);
}

#[test]
fn follow_up_state_is_written_even_when_nothing_starts() {
    let mut obs = ready();
    obs.state_version = Some(3);
    record_start(
        &mut obs.state,
        "2026-11-24T10:00:00Z",
        "arn:x",
        "2026-11-24T10:00:00Z",
    );
    obs.pending.push(pending("arn:x", "COMPLETED"));
    // Redelivery of the schedule that started arn:x, after it completed: record the completion.
    let p = plan_export(&export(""), &obs, &at(), SRC);
    assert_eq!(p.already.len(), 1);
    let [Action::SaveState {
        expected_version,
        state,
        followup_changed,
        ..
    }] = &p.actions[..]
    else {
        panic!("{:?}", p.actions)
    };
    assert_eq!(*expected_version, Some(3));
    assert!(followup_changed);
    assert_eq!(
        state.last_completed_to.as_deref(),
        Some("2026-11-24T10:00:00Z")
    );
    // A new schedule with no follow-up: the state is written with the start only.
    let p = plan_export(&export(""), &ready(), &at(), SRC);
    assert!(matches!(
        p.actions.last(),
        Some(Action::SaveState {
            followup_changed: false,
            ..
        })
    ));
}

#[test]
fn the_diagnosis_names_the_tables_account_and_the_missing_bucket() {
    let mut obs = ready();
    record_start(&mut obs.state, "t0", "arn:gone", "2026-11-24T09:00:00Z");
    let mut info = pending("arn:gone", "FAILED");
    info.failure_code = Some("S3NoSuchBucket".into());
    info.failure_message = Some("The specified bucket does not exist".into());
    obs.pending.push(info);
    // The caller's account is unknown (""): the table ARN's account is used.
    let p = plan_export(&export(""), &obs, &at(), "");
    assert!(
        p.attention[0].contains("does not exist in account 222222222222"),
        "{}",
        p.attention[0]
    );
    let mut info = pending("arn:denied", "FAILED");
    info.failure_code = Some("S3AccessDenied".into());
    let d = diagnose(&info, SRC);
    assert!(
        d.contains("\"arn:aws:iam::111111111111:root\"") && d.contains("s3:PutObjectAcl"),
        "{d}"
    );
    // A failed start's remedy carries the same statement for this account.
    let p = plan_export(&export(""), &ready(), &at(), "");
    let remedy = p.actions[0].remedy();
    assert!(
        remedy.contains("arn:aws:iam::111111111111:root") && remedy.contains("222222222222"),
        "{remedy}"
    );
}

#[test]
fn an_export_dynamodb_forgot_is_dropped_from_the_state() {
    let mut obs = ready();
    record_start(&mut obs.state, "t0", "arn:old", "2026-10-01T00:00:00Z");
    obs.pending.push(pending("arn:old", NOT_FOUND));
    let p = plan_export(&export(""), &obs, &at(), SRC);
    let Some(Action::SaveState { state, .. }) = p.actions.last() else {
        panic!()
    };
    assert!(state.pending.is_empty());
    assert_eq!(state.last_completed_arn, None);
    assert!(p.attention.is_empty());
}
