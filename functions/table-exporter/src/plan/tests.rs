use super::*;
use chrono::{Duration, TimeZone};
use lakewarden::arn::{account_root, Arn};
use lakewarden::aws::dynamodb::ExportRequest;
use lakewarden::config::{parse, ExportDestination};
use lakewarden::policy;
use lakewarden::reconcile::{Action, ExtAction, Phase};
use serde_json::json;

const SRC: &str = "111111111111";
const STATE: &str = "lakewarden-state";

/// One export's plan, with the state table of these tests.
fn plan_one(e: &Export, obs: &ExportObserved, at: &DateTime<Utc>, account: &str) -> Plan<Ext> {
    plan_export(e, STATE, obs, at, account)
}

/// The function-specific actions of a plan, in order.
fn exts(p: &Plan<Ext>) -> Vec<&Ext> {
    p.actions()
        .filter_map(|a| match a {
            Action::Ext(x) => Some(x),
            _ => None,
        })
        .collect()
}

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
        table_arn: Some(
            Arn::new(
                "dynamodb",
                "us-east-1",
                SRC,
                "table/cm-kasama-test-transactions",
            )
            .to_string(),
        ),
        pitr: true,
        ..Default::default()
    }
}

fn start(p: &Plan<Ext>) -> &ExportRequest {
    exts(p)
        .into_iter()
        .find_map(|a| match a {
            Ext::StartExport { request, .. } => Some(request),
            _ => None,
        })
        .expect("an export")
}

#[test]
fn an_export_always_names_the_bucket_owner_and_a_dated_prefix() {
    let p = plan_one(&export(""), &ready(), &at(), SRC);
    let r = start(&p);
    assert_eq!(r.bucket_owner, "222222222222");
    assert_eq!(r.prefix, "exports/transactions/2026-11-24T10-00-00Z");
    assert_eq!(r.format, "DYNAMODB_JSON");
    assert_eq!(r.incremental, None);
    assert!(
        matches!(exts(&p).last(), Some(Ext::SaveState { schedule_time, .. }) if schedule_time == "2026-11-24T10:00:00Z")
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
    other_bucket.bucket = lakewarden::config::BucketName::parse("other-bucket").unwrap();
    assert_ne!(client_token(&e, &at()), client_token(&other_bucket, &at()));
    assert_ne!(
        client_token(&e, &at()),
        client_token(&e, &(at() + Duration::hours(1)))
    );
    assert!(client_token(&e, &at()).len() <= 64);
    // The plan's request carries it.
    assert_eq!(
        start(&plan_one(&e, &ready(), &at(), SRC)).client_token,
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
    let p = plan_one(&export(""), &obs, &at(), SRC);
    assert!(p.is_empty(), "{:?}", p.steps);
    assert_eq!(p.already.len(), 1);
}

#[test]
fn pitr_off_is_fixed_or_alerted() {
    let mut obs = ready();
    obs.pitr = false;
    let fixed = plan_one(&export("    fix_pitr: true\n"), &obs, &at(), SRC);
    assert!(matches!(
        fixed.steps[0].action,
        Action::DynamoEnablePitr { .. }
    ));
    assert!(matches!(exts(&fixed)[0], Ext::StartExport { .. }));
    // The driver runs PITR before the export, and the state record after both.
    let phases: Vec<Phase> = fixed.steps.iter().map(|s| s.phase()).collect();
    assert_eq!(phases, [Phase::Prepare, Phase::Write, Phase::Finally]);
    let not = plan_one(&export(""), &obs, &at(), SRC);
    assert!(not.is_empty());
    assert!(not.attention[0].contains("point-in-time recovery disabled"));
}

#[test]
fn incremental_windows_start_at_the_last_completed_export() {
    let e = export("    type: INCREMENTAL\n");
    // No completed export yet: a full one starts the chain.
    assert_eq!(start(&plan_one(&e, &ready(), &at(), SRC)).incremental, None);
    let mut obs = ready();
    obs.state.last_completed_to = Some("2026-11-24T09:00:00Z".into());
    let r = start(&plan_one(&e, &obs, &at(), SRC)).clone();
    assert_eq!(
        r.incremental,
        Some(("2026-11-24T09:00:00Z".into(), "2026-11-24T10:00:00Z".into()))
    );
    // Longer than 24h: clamped, and a person is told about the gap.
    obs.state.last_completed_to = Some("2026-11-20T00:00:00Z".into());
    let p = plan_one(&e, &obs, &at(), SRC);
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
    let p = plan_one(&export(""), &obs, &at(), SRC);
    let Some(Ext::SaveState { state, .. }) = exts(&p).last().copied() else {
        panic!()
    };
    assert!(state.pending.is_empty());
    assert_eq!(state.last_completed_arn.as_deref(), Some("arn:ok"));
    assert_eq!(p.attention.len(), 1);
    let a = &p.attention[0];
    assert!(
        a.contains("S3AccessDenied") && a.contains(DEST_SID) && a.contains(&account_root(SRC)),
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
    let theirs = json!({"Sid": "Other", "Effect": "Allow", "Principal": {"AWS": account_root("999999999999")}, "Action": "s3:GetObject", "Resource": lakewarden::arn::s3("dynamodb-export-bucket/*")});
    let mut pols = BTreeMap::new();
    pols.insert(
        "dynamodb-export-bucket".to_string(),
        Ok(Some(
            json!({"Version": "2012-10-17", "Statement": [theirs.clone()]}),
        )),
    );
    let p = plan_destinations(&dests, &pols);
    let Some(Action::Policy(w)) = p.actions().next() else {
        panic!()
    };
    assert_eq!(w.kind(), "s3.put_bucket_policy");
    assert_eq!(w.target.describe(), "bucket dynamodb-export-bucket");
    let doc = w.planned.as_ref().unwrap();
    let st = policy::statements(doc);
    assert_eq!(st[0], theirs);
    assert_eq!(st[1]["Principal"]["AWS"], json!([account_root(SRC)]));
    assert_eq!(
        st[1]["Action"],
        json!(["s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectAcl"])
    );
    pols.insert("dynamodb-export-bucket".to_string(), Ok(Some(doc.clone())));
    let again = plan_destinations(&dests, &pols);
    assert!(again.is_empty());
    assert_eq!(
        again.already,
        [(
            "s3.put_bucket_policy".to_string(),
            "bucket dynamodb-export-bucket".to_string()
        )]
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
    let p = plan_one(&e, &obs, &at(), SRC);
    assert!(p.is_empty(), "{:?}", p.steps);
    assert!(
        p.skipped[0].reason.contains("still running"),
        "{:?}",
        p.skipped
    );
    assert!(p.attention.is_empty());
    // Once it completed, the next window starts at its end.
    obs.pending = vec![pending("arn:run", "COMPLETED")];
    let p = plan_one(&e, &obs, &at(), SRC);
    assert_eq!(
        start(&p).incremental,
        Some(("2026-11-24T09:00:00Z".into(), "2026-11-24T10:00:00Z".into()))
    );
    // A failed one is not a gap: its window is exported again by the next run.
    obs.pending = vec![pending("arn:run", "FAILED")];
    let p = plan_one(&e, &obs, &at(), SRC);
    assert_eq!(
        start(&p).incremental.as_ref().unwrap().0,
        "2026-11-24T08:00:00Z"
    );
    // Shorter than 15 minutes since the last export: not yet.
    let mut obs = ready();
    obs.state.last_completed_to = Some("2026-11-24T09:50:00Z".into());
    let p = plan_one(&e, &obs, &at(), SRC);
    assert!(p.is_empty(), "{:?}", p.steps);
    assert!(
        p.skipped[0].reason.contains("15 minutes"),
        "{:?}",
        p.skipped
    );
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
    let p = plan_one(&export(""), &obs, &at(), SRC);
    assert_eq!(p.already.len(), 1);
    let [Ext::SaveState {
        expected_version,
        state,
        followup_changed,
        export_to: None,
        ..
    }] = &exts(&p)[..]
    else {
        panic!("{:?}", p.steps)
    };
    assert_eq!(*expected_version, Some(3));
    assert!(followup_changed);
    assert_eq!(
        state.last_completed_to.as_deref(),
        Some("2026-11-24T10:00:00Z")
    );
    // A new schedule with no follow-up: the state is written with the start only.
    let p = plan_one(&export(""), &ready(), &at(), SRC);
    assert!(matches!(
        exts(&p).last(),
        Some(Ext::SaveState {
            followup_changed: false,
            export_to: Some(_),
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
    let p = plan_one(&export(""), &obs, &at(), "");
    assert!(
        p.attention[0].contains("does not exist in account 222222222222"),
        "{}",
        p.attention[0]
    );
    let mut info = pending("arn:denied", "FAILED");
    info.failure_code = Some("S3AccessDenied".into());
    let d = diagnose(&info, SRC);
    assert!(
        d.contains(&format!("\"{}\"", account_root(SRC))) && d.contains("s3:PutObjectAcl"),
        "{d}"
    );
    // A failed start's remedy carries the same statement for this account.
    let p = plan_one(&export(""), &ready(), &at(), "");
    let remedy = exts(&p)[0].remedy();
    assert!(
        remedy.contains(&account_root(SRC)) && remedy.contains("222222222222"),
        "{remedy}"
    );
}

#[test]
fn an_export_dynamodb_forgot_is_dropped_from_the_state() {
    let mut obs = ready();
    record_start(&mut obs.state, "t0", "arn:old", "2026-10-01T00:00:00Z");
    obs.pending.push(pending("arn:old", NOT_FOUND));
    let p = plan_one(&export(""), &obs, &at(), SRC);
    let Some(Ext::SaveState { state, .. }) = exts(&p).last().copied() else {
        panic!()
    };
    assert!(state.pending.is_empty());
    assert_eq!(state.last_completed_arn, None);
    assert!(p.attention.is_empty());
}

fn config(text: &str) -> Config {
    parse(text, "t").unwrap()
}

fn both_sides() -> Config {
    config(
        "exports:\n  - table: cm-kasama-test-transactions\n    bucket: dynamodb-export-bucket\n    bucket_owner: \"222222222222\"\n    prefix: exports/transactions/\n    fix_pitr: true\n  - table: orders\n    bucket: dynamodb-export-bucket\n    bucket_owner: \"222222222222\"\n    prefix: exports/orders/\n    type: INCREMENTAL\nexport_destinations:\n  - bucket: dynamodb-export-bucket\n    source_accounts: [\"333333333333\"]\n  - bucket: other-bucket\n    source_accounts: [\"333333333333\"]\n",
    )
}

fn denied(what: &str) -> AwsError {
    AwsError::new(Some("AccessDeniedException"), "denied").on(what.to_string())
}

#[test]
fn a_missing_state_table_is_named_as_the_state_table_and_the_other_export_goes_on() {
    let cfg = both_sides();
    let exports = cfg.exports.clone().unwrap();
    let mut obs = Observed {
        account: SRC.into(),
        ..Default::default()
    };
    obs.exports.insert(
        state_key(&exports[0]),
        Err(ReadFailure::StateTable(
            AwsError::new(
                Some("ResourceNotFoundException"),
                "Requested resource not found",
            )
            .on(lakewarden::aws::dynamodb::state_table_name(STATE)),
        )),
    );
    obs.exports.insert(state_key(&exports[1]), Ok(ready()));
    let p = plan(&cfg, &at(), &obs);
    assert_eq!(p.failed.len(), 1, "{:?}", p.failed);
    let f = &p.failed[0];
    assert_eq!(f.target, format!("state table {STATE}"));
    assert!(f.error.contains(STATE), "{}", f.error);
    assert!(!f.target.contains("cm-kasama-test-transactions"));
    assert!(
        f.remedy.contains("Create lakewarden's state table"),
        "{}",
        f.remedy
    );
    // The other export is planned as usual.
    let starts: Vec<&str> = exts(&p)
        .into_iter()
        .filter_map(|x| match x {
            Ext::StartExport { table, .. } => Some(table.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(starts, ["orders"]);
}

#[test]
fn one_unreadable_bucket_or_table_fails_alone() {
    let cfg = both_sides();
    let exports = cfg.exports.clone().unwrap();
    let mut obs = Observed {
        account: SRC.into(),
        ..Default::default()
    };
    obs.destinations
        .insert("dynamodb-export-bucket".into(), Err(denied("bucket")));
    obs.destinations.insert("other-bucket".into(), Ok(None));
    obs.exports.insert(
        state_key(&exports[0]),
        Err(ReadFailure::Table(denied("table"))),
    );
    obs.exports.insert(
        state_key(&exports[1]),
        Err(ReadFailure::Export {
            arn: "arn:x".into(),
            error: denied("export"),
        }),
    );
    let p = plan(&cfg, &at(), &obs);
    let failed: Vec<(&str, &str)> = p
        .failed
        .iter()
        .map(|f| (f.action.as_str(), f.target.as_str()))
        .collect();
    assert_eq!(
        failed,
        [
            ("s3.put_bucket_policy", "bucket dynamodb-export-bucket"),
            ("observe", "table cm-kasama-test-transactions"),
            ("observe", "export arn:x of table orders"),
        ]
    );
    // The readable bucket still gets its statement.
    let [Action::Policy(w)] = &p.actions().collect::<Vec<_>>()[..] else {
        panic!("{:?}", p.steps)
    };
    assert_eq!(w.target.describe(), "bucket other-bucket");
}

#[test]
fn a_destination_without_source_accounts_never_deletes_the_policy() {
    let dests: Vec<ExportDestination> =
        config("export_destinations:\n  - bucket: export-bucket-b\n    source_accounts: []\n")
            .export_destinations
            .unwrap();
    let ours = destination_statement("export-bucket-b", &[SRC.to_string()]);
    let mut pols = BTreeMap::new();
    pols.insert(
        "export-bucket-b".to_string(),
        Ok(Some(json!({"Version": "2012-10-17", "Statement": [ours]}))),
    );
    let p = plan_destinations(&dests, &pols);
    assert!(p.is_empty());
    assert!(
        p.skipped[0].reason.contains("would be empty"),
        "{:?}",
        p.skipped
    );
}

/// A model of AWS for the convergence test: what each action does to the observed state.
fn apply_to_model(cfg: &Config, plan: &Plan<Ext>, obs: &mut Observed, n: &mut usize) {
    let mut scratch = BTreeMap::new();
    let mut steps: Vec<_> = plan.steps.iter().collect();
    steps.sort_by_key(|s| s.phase());
    for s in steps {
        match &s.action {
            Action::Policy(w) => {
                let lakewarden::reconcile::PolicyTarget::S3Bucket { bucket } = &w.target else {
                    panic!("{w:?}")
                };
                obs.destinations
                    .insert(bucket.clone(), Ok(w.planned.clone()));
            }
            Action::DynamoEnablePitr { table } => {
                for e in cfg.exports.iter().flatten().filter(|e| &e.table == table) {
                    if let Some(Ok(o)) = obs.exports.get_mut(&state_key(e)) {
                        o.pitr = true;
                    }
                }
            }
            Action::Ext(Ext::StartExport { state_key, .. }) => {
                *n += 1;
                scratch.insert(state_key.clone(), format!("arn:export:{n}"));
            }
            Action::Ext(Ext::SaveState {
                key,
                state,
                schedule_time,
                export_to,
                ..
            }) => {
                let Some(Ok(o)) = obs.exports.get_mut(key) else {
                    panic!("{key}")
                };
                let mut state = state.clone();
                if let (Some(arn), Some(to)) = (scratch.get(key), export_to) {
                    record_start(&mut state, schedule_time, arn, to);
                }
                o.pending = state
                    .pending
                    .keys()
                    .map(|arn| ExportInfo {
                        arn: arn.clone(),
                        status: "IN_PROGRESS".into(),
                        bucket: "dynamodb-export-bucket".into(),
                        bucket_owner: None,
                        prefix: None,
                        failure_code: None,
                        failure_message: None,
                    })
                    .collect();
                o.state = state;
                o.state_version = Some(o.state_version.unwrap_or(0) + 1);
            }
            a => panic!("unexpected {a:?}"),
        }
    }
}

#[test]
fn the_planner_converges() {
    let cfg = both_sides();
    let exports = cfg.exports.clone().unwrap();
    let mut obs = Observed {
        account: SRC.into(),
        ..Default::default()
    };
    let theirs = json!({"Sid": "Theirs", "Effect": "Allow", "Principal": {"AWS": account_root("999999999999")}, "Action": "s3:GetObject", "Resource": lakewarden::arn::s3("dynamodb-export-bucket/*")});
    obs.destinations.insert(
        "dynamodb-export-bucket".into(),
        Ok(Some(
            json!({"Version": "2012-10-17", "Statement": [theirs.clone()]}),
        )),
    );
    obs.destinations.insert("other-bucket".into(), Ok(None));
    // PITR off (fixed), and a completed export waiting to be recorded for the second table.
    let mut first = ready();
    first.pitr = false;
    obs.exports.insert(state_key(&exports[0]), Ok(first));
    let mut second = ready();
    record_start(
        &mut second.state,
        "2026-11-24T09:00:00Z",
        "arn:done",
        "2026-11-24T09:00:00Z",
    );
    second.state.last_completed_to = Some("2026-11-24T08:00:00Z".into());
    second.state_version = Some(4);
    second.pending.push(pending("arn:done", "COMPLETED"));
    obs.exports.insert(state_key(&exports[1]), Ok(second));

    let mut n = 0;
    let p = plan(&cfg, &at(), &obs);
    assert_eq!(p.steps.len(), 2 + 3 + 2, "{:#?}", p.steps);
    apply_to_model(&cfg, &p, &mut obs, &mut n);
    assert_eq!(n, 2);
    let again = plan(&cfg, &at(), &obs);
    assert!(again.is_empty(), "{:#?}", again.steps);
    assert!(again.failed.is_empty() && again.attention.is_empty());
    // Both exports are `already` for this schedule, both buckets hold the statement.
    assert_eq!(again.already.len(), 4, "{:?}", again.already);
    let Some(Ok(Some(doc))) = obs.destinations.get("dynamodb-export-bucket") else {
        panic!()
    };
    assert_eq!(policy::statements(doc)[0], theirs);
    // The incremental export started where the completed one ended.
    let Some(Ok(o)) = obs.exports.get(&state_key(&exports[1])) else {
        panic!()
    };
    assert_eq!(o.state.last_completed_arn.as_deref(), Some("arn:done"));
    assert_eq!(o.state.pending.len(), 1);
}
