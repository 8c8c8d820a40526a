//! Convergence of table-exporter: for a random valid configuration (exports full / incremental,
//! with or without `fix_pitr`, destinations with or without source accounts) and a random world
//! (tables present or not, PITR on or off, state records with running, completed, failed and
//! forgotten exports, windows of every length, the schedule time already exported, destination
//! policies with foreign statements, unreadable buckets), one redelivery of the same schedule
//! after the first one was applied on the model writes nothing, applying a plan twice changes
//! nothing, one export is started per table and schedule time, and foreign statements and
//! records are untouched.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use lakewarden::aws::dynamodb::ExportInfo;
use lakewarden::aws::AwsError;
use lakewarden::config::{parse, Config};
use lakewarden::reconcile::model::{self, foreign_statements, ModelRecord, World};
use lakewarden::reconcile::{ApplyState, Done, Plan, PolicyTarget};
use proptest::prelude::*;
use serde_json::{json, Value};
use table_exporter::ext::Ext;
use table_exporter::plan::{
    self, state_key, state_table, ExportObserved, ExportState, Observed, ReadFailure, DEST_SID,
    NOT_FOUND,
};

const ME: &str = "111111111111";

#[derive(Debug, Clone, Default, PartialEq)]
struct Dynamo {
    /// Tables of this account: name → ARN.
    tables: BTreeMap<String, String>,
    /// Exports DynamoDB knows: ARN → status.
    exports: BTreeMap<String, String>,
    /// Destination buckets whose policy cannot be read.
    unreadable: BTreeSet<String>,
    /// Exports started: (ARN, client token).
    started: Vec<(String, String)>,
}

type W = World<Dynamo>;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

// ------------------------------------------------------------------ configuration

fn export_entry(i: usize) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["orders", "users", "missing"]),
        prop::bool::ANY,
        prop::bool::ANY,
        prop::bool::ANY,
    )
        .prop_map(move |(table, incremental, ion, fix_pitr)| {
            json!({"table": table, "bucket": "dest-bucket", "bucket_owner": "222222222222",
                "prefix": format!("exports/{i}/"), "type": if incremental { "INCREMENTAL" } else { "FULL" },
                "format": if ion { "ION" } else { "DYNAMODB_JSON" }, "fix_pitr": fix_pitr})
        })
}

fn config() -> impl Strategy<Value = (Config, String)> {
    (
        1usize..=3,
        prop::collection::vec(
            (
                prop::sample::select(vec!["landing-a", "landing-b"]),
                prop::sample::subsequence(vec!["111111111111", "333333333333"], 0..=2),
            ),
            0..=2,
        ),
        prop::option::of(Just("exporter-state")),
    )
        .prop_flat_map(|(n, dests, table)| {
            let exports: Vec<_> = (0..n).map(export_entry).collect();
            (exports, Just(dests), Just(table))
        })
        .prop_map(|(exports, dests, table)| {
            let mut seen = BTreeSet::new();
            let dests: Vec<Value> = dests
                .into_iter()
                .filter(|(b, _)| seen.insert(*b))
                .map(|(b, s)| json!({"bucket": b, "source_accounts": s}))
                .collect();
            let mut c = json!({"exports": exports, "export_destinations": dests});
            if let Some(t) = table {
                c["state_table"] = json!(t);
            }
            let text = c.to_string();
            let cfg = parse(&text, "proptest")
                .unwrap_or_else(|e| panic!("generated configuration is invalid: {e}\n{text}"));
            (cfg, text)
        })
}

// ------------------------------------------------------------------ world

/// An export the state record says is running, and what DynamoDB knows of it.
fn pending() -> impl Strategy<Value = (String, Option<&'static str>, i64)> {
    (
        0u32..1000,
        prop::option::weighted(
            0.8,
            prop::sample::select(vec!["IN_PROGRESS", "COMPLETED", "FAILED"]),
        ),
        prop::sample::select(vec![-90i64, -30, -20]),
    )
        .prop_map(|(n, status, to)| {
            (
                format!("arn:aws:dynamodb:us-east-1:{ME}:table/x/export/old-{n}"),
                status,
                to,
            )
        })
}

#[derive(Debug, Clone)]
struct StateSeed {
    pending: Vec<(String, Option<&'static str>, i64)>,
    /// Minutes before `at` the last completed export ended.
    last_completed: Option<i64>,
    /// This schedule time was already exported.
    done_now: bool,
}

fn state_seed() -> impl Strategy<Value = Option<StateSeed>> {
    prop::option::weighted(
        0.7,
        (
            prop::collection::vec(pending(), 0..=2),
            prop::option::of(prop::sample::select(vec![5i64, 20, 120, 60 * 30])),
            prop::bool::weighted(0.2),
        )
            .prop_map(|(pending, last_completed, done_now)| StateSeed {
                pending,
                last_completed,
                done_now,
            }),
    )
}

fn world(cfg: &Config) -> impl Strategy<Value = W> {
    let keys: Vec<String> = cfg.exports.iter().flatten().map(state_key).collect();
    let table = state_table(cfg);
    let dests: Vec<String> = cfg
        .export_destinations
        .iter()
        .flatten()
        .map(|d| d.bucket.to_string())
        .collect();
    (
        prop::sample::subsequence(vec!["orders", "users"], 0..=2),
        prop::sample::subsequence(vec!["orders", "users"], 0..=2),
        prop::collection::vec(state_seed(), keys.len()),
        prop::collection::vec(
            (
                prop_oneof![
                    Just(None),
                    Just(Some(json!({"Version": "2012-10-17", "Statement": [
                        {"Sid": "TheirsFirst", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::x"},
                        {"Sid": DEST_SID, "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::999999999999:root"]}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::x/*"},
                        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::888888888888:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x/*"}
                    ]}))),
                    Just(Some(json!({"Version": "2012-10-17", "Statement": [
                        {"Sid": "TheirsOnly", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::888888888888:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x/*"}
                    ]}))),
                ],
                prop::bool::weighted(0.15),
            ),
            dests.len(),
        ),
    )
        .prop_map(move |(tables, pitr, seeds, policies)| {
            let mut w = W::default();
            for t in tables {
                w.ext.tables.insert(
                    t.to_string(),
                    format!("arn:aws:dynamodb:us-east-1:{ME}:table/{t}"),
                );
            }
            w.pitr = pitr.into_iter().map(String::from).collect();
            for (key, seed) in keys.iter().zip(seeds) {
                let Some(seed) = seed else { continue };
                let mut st = ExportState::default();
                for (arn, status, to) in &seed.pending {
                    st.pending.insert(arn.clone(), rfc(at() + Duration::minutes(*to)));
                    if let Some(s) = status {
                        w.ext.exports.insert(arn.clone(), s.to_string());
                    }
                }
                if let Some(m) = seed.last_completed {
                    st.last_completed_to = Some(rfc(at() - Duration::minutes(m)));
                }
                if seed.done_now {
                    st.started.insert(rfc(at()), "arn:aws:dynamodb:us-east-1:111111111111:table/x/export/done".into());
                }
                w.state.insert(
                    (table.clone(), key.clone()),
                    ModelRecord {
                        data: serde_json::to_value(&st).unwrap(),
                        version: 4,
                    },
                );
            }
            for (bucket, (doc, unreadable)) in dests.iter().zip(policies) {
                w.set_policy(&PolicyTarget::S3Bucket { bucket: bucket.clone() }, doc);
                if unreadable {
                    w.ext.unreadable.insert(bucket.clone());
                }
            }
            // A record of another function in the same table.
            w.state.insert(
                (table.clone(), "integration#arn:aws:glue:x#source".into()),
                ModelRecord { data: json!({"status": "ACTIVE"}), version: 2 },
            );
            w
        })
}

// ------------------------------------------------------------------ observe (as observe.rs reads)

fn observe(cfg: &Config, w: &W) -> Observed {
    let mut obs = Observed::default();
    for d in cfg.export_destinations.iter().flatten() {
        let b = d.bucket.to_string();
        let v = if w.ext.unreadable.contains(&b) {
            Err(AwsError::new(Some("AccessDenied"), "Access Denied"))
        } else {
            Ok(w.policy(&PolicyTarget::S3Bucket { bucket: b.clone() })
                .cloned())
        };
        obs.destinations.insert(b, v);
    }
    if let Some(exports) = &cfg.exports {
        obs.account = ME.into();
        let table = state_table(cfg);
        for e in exports {
            let table_arn = w.ext.tables.get(&e.table.to_string()).cloned();
            let pitr = table_arn.is_some() && w.pitr.contains(&e.table.to_string());
            let (state, state_version) = match w.record(&table, &state_key(e)) {
                Some(r) => (
                    serde_json::from_value::<ExportState>(r.data.clone()).unwrap_or_default(),
                    Some(r.version),
                ),
                None => (ExportState::default(), None),
            };
            let pending = state
                .pending
                .keys()
                .map(|arn| ExportInfo {
                    arn: arn.clone(),
                    status: w.ext.exports.get(arn).cloned().unwrap_or(NOT_FOUND.into()),
                    bucket: e.bucket.to_string(),
                    bucket_owner: Some(e.bucket_owner.to_string()),
                    prefix: None,
                    failure_code: None,
                    failure_message: None,
                })
                .collect();
            let o: Result<ExportObserved, ReadFailure> = Ok(ExportObserved {
                table_arn,
                pitr,
                state,
                state_version,
                pending,
            });
            obs.exports.insert(state_key(e), o);
        }
    }
    obs
}

/// table-exporter's own writes, as ext.rs makes them.
fn ext(w: &mut W, x: &Ext, st: &mut ApplyState) -> Result<Done, String> {
    match x {
        Ext::StartExport {
            request, state_key, ..
        } => {
            if !w.ext.tables.values().any(|a| *a == request.table_arn) {
                return Err("TableNotFoundException".into());
            }
            // DynamoDB answers a repeated client token with the export it started.
            let arn = format!("{}/export/{}", request.table_arn, request.client_token);
            if !w.ext.exports.contains_key(&arn) {
                w.ext.exports.insert(arn.clone(), "IN_PROGRESS".into());
                w.ext
                    .started
                    .push((arn.clone(), request.client_token.clone()));
            }
            st.scratch.insert(state_key.clone(), arn);
            Ok(Done::Applied)
        }
        Ext::SaveState {
            state_table,
            key,
            expected_version,
            state,
            schedule_time,
            export_to,
            followup_changed,
        } => {
            let started = st.scratch.remove(key);
            let Some(state) = table_exporter::ext::state_to_save(
                state,
                schedule_time,
                export_to.as_deref(),
                *followup_changed,
                started.as_deref(),
            ) else {
                return Ok(Done::Already);
            };
            let value = serde_json::to_value(&state).unwrap();
            if w.put_if(state_table, key, value, *expected_version) {
                return Ok(Done::Applied);
            }
            let stored: ExportState = w
                .record(state_table, key)
                .and_then(|r| serde_json::from_value(r.data.clone()).ok())
                .unwrap_or_default();
            match started {
                Some(arn) if stored.started.get(schedule_time) != Some(&arn) => {
                    Err("ConditionalCheckFailedException".into())
                }
                _ => Ok(Done::Already),
            }
        }
    }
}

fn plan(cfg: &Config, w: &W) -> Plan<Ext> {
    plan::plan(cfg, &at(), &observe(cfg, w))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: model::property_cases(), ..ProptestConfig::default() })]

    #[test]
    fn exporter_converges(((cfg, text), w0) in config().prop_flat_map(|c| {
        let w = world(&c.0);
        (Just(c), w)
    })) {
        let p1 = plan(&cfg, &w0);
        let mut w1 = w0.clone();
        let out = model::apply(&mut w1, &p1, ext);
        prop_assert!(out.failed.is_empty(), "config {text}\nfailed: {:?}", out.failed);

        // The same schedule delivered again: nothing left to write.
        let p2 = plan(&cfg, &w1);
        prop_assert!(p2.steps.is_empty(), "config {text}\nredelivery writes: {:#?}", p2.steps);

        // The same plan applied again: no second export, no other state.
        let mut w2 = w1.clone();
        model::apply(&mut w2, &p1, ext);
        prop_assert_eq!(&w2, &w1);

        // At most one export per configured export and schedule time, and it is recorded.
        let table = state_table(&cfg);
        for e in cfg.exports.iter().flatten() {
            let token = table_exporter::plan::client_token(e, &at());
            let n = w1.ext.started.iter().filter(|(_, t)| *t == token).count();
            prop_assert!(n <= 1);
            if n == 1 {
                let st: ExportState = serde_json::from_value(w1.record(&table, &state_key(e)).unwrap().data.clone()).unwrap();
                prop_assert!(st.started.contains_key(&rfc(at())), "started but not recorded: {}", e.table);
            }
        }
        // Foreign statements and other functions' records untouched; unreadable buckets unwritten.
        for d in cfg.export_destinations.iter().flatten() {
            let t = PolicyTarget::S3Bucket { bucket: d.bucket.to_string() };
            prop_assert_eq!(
                foreign_statements(w0.policy(&t), |s| s == DEST_SID),
                foreign_statements(w1.policy(&t), |s| s == DEST_SID)
            );
            if w0.ext.unreadable.contains(d.bucket.as_str()) {
                prop_assert_eq!(w0.policy(&t), w1.policy(&t));
            }
            // A bucket policy is never deleted whole.
            if w0.policy(&t).is_some() {
                prop_assert!(w1.policy(&t).is_some());
            }
        }
        for (k, r) in &w0.state {
            if !k.1.starts_with("exporter#") {
                prop_assert_eq!(w1.state.get(k), Some(r));
            }
        }
    }
}

/// Shrunk case of `exporter_converges`: three exports of one table with PITR off, one with
/// `fix_pitr`. The others used to skip ("PITR disabled") although the run turns PITR on before
/// any export starts, so a redelivery of the same schedule started them.
#[test]
fn pitr_turned_on_by_one_export_serves_the_other_exports_of_the_table() {
    let text = json!({"exports": (0..3).map(|i| json!({"table": "orders", "bucket": "dest-bucket",
        "bucket_owner": "222222222222", "prefix": format!("exports/{i}/"), "fix_pitr": i == 1}))
        .collect::<Vec<_>>()})
    .to_string();
    let cfg = parse(&text, "t").unwrap();
    let mut w = W::default();
    w.ext.tables.insert(
        "orders".into(),
        format!("arn:aws:dynamodb:us-east-1:{ME}:table/orders"),
    );
    let p = plan(&cfg, &w);
    let out = model::apply(&mut w, &p, ext);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert!(w.pitr.contains("orders"));
    assert_eq!(
        w.ext.started.len(),
        3,
        "every export starts in the first run"
    );
    assert!(p.skipped.is_empty(), "{:?}", p.skipped);
    assert!(plan(&cfg, &w).steps.is_empty());
}
