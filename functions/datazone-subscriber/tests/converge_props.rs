//! Convergence of datazone-subscriber: for a random valid `datazone` configuration and a random
//! world (an environment whose locations are registered or not and whose role holds some of
//! its grants and statements; subscription grants and revokes of tables in this account or a
//! producer's, inside or outside `datazone.buckets`, missing tables, statuses pending, in
//! progress or done, links of ours, unmarked objects and our links to other tables under the
//! candidate names, foreign grants and statements), one run applied on the model and then the
//! same event delivered again writes nothing, applying the plan twice changes nothing, and
//! nothing foreign is touched. (The boundary copy — `boundary_copy: true` — is not modelled.)

use std::collections::{BTreeMap, BTreeSet};

use datazone_subscriber::ext::Ext;
use datazone_subscriber::observe::{EnvObserved, GrantObserved, Item, Observed};
use datazone_subscriber::plan::{self, link_candidates, POLICY_NAME};
use datazone_subscriber::trigger::GrantKind;
use lakewarden::aws::glue::{TableInfo, TableLinkInfo, MANAGED_BY};
use lakewarden::config::{parse, DataZone};
use lakewarden::lf::{LfGrant, LfResource};
use lakewarden::reconcile::model::{self, foreign_statements, lf_changes, ModelTable, World};
use lakewarden::reconcile::{Plan, PolicyTarget};
use proptest::prelude::*;
use serde_json::json;

const ME: &str = "222222222222";
const PRODUCER: &str = "111111111111";
const REGION: &str = "us-east-1";
const DOMAIN: &str = "dzd_1";
const ROLE: &str = "arn:aws:iam::222222222222:role/datazone_usr_env1";
const SOMEONE: &str = "arn:aws:iam::222222222222:role/someone-else";
const TARGET_DB: &str = "sub_db";

#[derive(Debug, Clone, PartialEq)]
struct GrantSeed {
    kind: GrantKind,
    grant: String,
    catalog: &'static str,
    table: &'static str,
    still_subscribed: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Zone {
    /// Tables of this account and of the producer: (catalog, database, table) → location.
    tables: BTreeMap<(String, String, String), Option<String>>,
    /// Databases of this account.
    databases: BTreeSet<String>,
    grants: Vec<GrantSeed>,
}

type W = World<Zone>;

fn config() -> impl Strategy<Value = (DataZone, String)> {
    (
        prop_oneof![
            Just(json!([{"bucket": "dz-data", "prefixes": ["orders/"]}])),
            Just(json!([{"bucket": "dz-data"}])),
            Just(json!([{"bucket": "dz-data", "prefixes": ["orders/", "sales/"]}, {"bucket": "dz-two"}])),
        ],
        prop::sample::subsequence(vec!["sales_db", "missing_db"], 0..=2),
    )
        .prop_map(|(buckets, dbs)| {
            let text = json!({"datazone": {"domains": [DOMAIN], "buckets": buckets, "databases": dbs,
                "fulfil_targets": ["t1"]}})
            .to_string();
            let cfg = parse(&text, "proptest")
                .unwrap_or_else(|e| panic!("generated configuration is invalid: {e}\n{text}"));
            (cfg.datazone.unwrap(), text)
        })
}

fn role_target() -> PolicyTarget {
    PolicyTarget::IamInline {
        role_arn: ROLE.into(),
        name: POLICY_NAME.into(),
    }
}

fn grant_seed(i: usize) -> impl Strategy<Value = (GrantSeed, &'static str)> {
    (
        any::<bool>(),
        prop::sample::select(vec![ME, PRODUCER]),
        prop::sample::select(vec!["orders_t", "x_t"]),
        any::<bool>(),
        0usize..3,
    )
        .prop_map(move |(revoke, catalog, table, still, status)| {
            // Statuses DataZone gives a grant of each kind (pending, in progress, done).
            let status = if revoke {
                ["REVOKE_PENDING", "REVOKE_IN_PROGRESS", "REVOKED"][status]
            } else {
                ["GRANT_PENDING", "GRANTED", "GRANT_FAILED"][status]
            };
            (
                GrantSeed {
                    kind: if revoke {
                        GrantKind::Revoke
                    } else {
                        GrantKind::Grant
                    },
                    grant: format!("grant{i}"),
                    catalog,
                    table,
                    still_subscribed: still,
                },
                status,
            )
        })
}

fn world() -> impl Strategy<Value = W> {
    let location = prop_oneof![
        3 => Just(Some("s3://dz-data/orders/t/".to_string())),
        1 => Just(Some("s3://elsewhere/t/".to_string())),
        1 => Just(None),
    ];
    (
        prop::collection::vec((prop::sample::select(vec![ME, PRODUCER]), prop::sample::select(vec!["orders_t", "x_t"]), location), 0..=4),
        prop::sample::subsequence(vec!["sales_db"], 0..=1),
        prop::sample::subsequence(vec!["arn:aws:s3:::dz-data", "arn:aws:s3:::dz-data/orders"], 0..=1),
        prop::collection::vec((prop::sample::select(vec![ROLE, SOMEONE]), 0u8..4, any::<bool>()), 0..=4),
        prop_oneof![
            Just(None),
            Just(Some(json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "TheirsFirst", "Effect": "Allow", "Action": "athena:*", "Resource": "*"},
                {"Sid": "LakewardenDataZoneGrantGetgrant9", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::old/*"}
            ]}))),
        ],
        prop::collection::vec(grant_seed(0), 1..=2),
        prop::collection::vec((0u8..3, any::<bool>()), 2),
    )
        .prop_map(|(tables, dbs, registered, grants, policy, seeds, links)| {
            let mut w = W::default();
            for (catalog, t, loc) in tables {
                w.ext.tables.insert((catalog.into(), "sales_db".into(), t.into()), loc);
            }
            w.ext.databases = dbs.into_iter().map(String::from).collect();
            w.registered = registered.into_iter().map(String::from).collect();
            w.permissions = grants
                .into_iter()
                .map(|(p, kind, with_link)| {
                    let res = match kind {
                        0 => LfResource::Database { catalog_id: PRODUCER.into(), name: "sales_db".into() },
                        1 => LfResource::Table { catalog_id: PRODUCER.into(), database: "sales_db".into(), name: "orders_t".into() },
                        2 => LfResource::Table { catalog_id: ME.into(), database: TARGET_DB.into(), name: "sales_db_orders_t".into() },
                        _ => LfResource::Table { catalog_id: PRODUCER.into(), database: "sales_db".into(), name: "other_t".into() },
                    };
                    LfGrant::new(p, res, if with_link { vec!["DESCRIBE"] } else { vec!["DESCRIBE", "SELECT"] }, false)
                })
                .collect();
            w.set_policy(&role_target(), policy);
            // Distinct grant ids: seed i is grant{i}.
            for (i, (mut g, status)) in seeds.into_iter().enumerate() {
                g.grant = format!("grant{i}");
                w.grant_status.insert(
                    (DOMAIN.into(), g.grant.clone(), format!("asset-{}", g.table)),
                    model::ModelGrantStatus { status: status.into(), failure: None, target_name: None },
                );
                w.ext.grants.push(g);
            }
            // Under the plain link names: nothing, an unmarked table, or our link to another table.
            for ((kind, _), t) in links.into_iter().zip(["orders_t", "x_t"]) {
                let name = format!("sales_db_{t}");
                match kind {
                    0 => {}
                    1 => {
                        w.tables.insert((TARGET_DB.into(), name), ModelTable { location: Some("s3://theirs/".into()), ..Default::default() });
                    }
                    _ => {
                        w.tables.insert(
                            (TARGET_DB.into(), name),
                            ModelTable {
                                target: Some((PRODUCER.into(), "other_db".into(), t.into())),
                                location: None,
                                params: [(MANAGED_BY.to_string(), "datazone-subscriber".to_string())].into(),
                            },
                        );
                    }
                }
            }
            w
        })
}

fn observe(w: &W) -> Observed {
    let mut items = vec![Item::Environment(Box::new(EnvObserved {
        account: ME.into(),
        region: REGION.into(),
        role_arn: ROLE.into(),
        registered: w.registered.iter().cloned().collect(),
        permissions: w.permissions.clone(),
        databases_present: w.ext.databases.iter().cloned().collect(),
        role_policy: w.policy(&role_target()).cloned(),
        ..Default::default()
    }))];
    for g in &w.ext.grants {
        let asset = format!("asset-{}", g.table);
        let st = w
            .grant_status
            .get(&(DOMAIN.into(), g.grant.clone(), asset.clone()));
        let target_name = st.and_then(|s| s.target_name.clone());
        let mut links = Vec::new();
        if g.catalog != ME {
            for name in link_candidates(g.catalog, "sales_db", g.table, target_name.as_deref()) {
                if let Some(t) = w.tables.get(&(TARGET_DB.to_string(), name.clone())) {
                    links.push(TableLinkInfo {
                        database: TARGET_DB.into(),
                        name,
                        target: t.target.clone(),
                        parameters: t.params.clone(),
                    });
                }
            }
        }
        let key = (
            g.catalog.to_string(),
            "sales_db".to_string(),
            g.table.to_string(),
        );
        items.push(Item::Grant(Box::new(GrantObserved {
            kind: g.kind,
            domain: DOMAIN.into(),
            account: ME.into(),
            grant: g.grant.clone(),
            asset,
            role_arn: ROLE.into(),
            target_database: TARGET_DB.into(),
            catalog: g.catalog.into(),
            table: w.ext.tables.get(&key).map(|loc| TableInfo {
                database: "sales_db".into(),
                name: g.table.into(),
                location: loc.clone(),
            }),
            database: "sales_db".into(),
            table_name: g.table.into(),
            permissions: w.permissions.clone(),
            role_policy: w.policy(&role_target()).cloned(),
            grant_status: st.map(|s| s.status.clone()),
            target_name,
            links,
            // As observe reads it: another grant of the same listing to the target is GRANTED.
            other_grants_holding_table: w
                .ext
                .grants
                .iter()
                .filter(|h| {
                    g.kind == GrantKind::Revoke
                        && h.grant != g.grant
                        && (h.catalog, h.table) == (g.catalog, g.table)
                        && w.grant_status
                            .get(&(DOMAIN.into(), h.grant.clone(), format!("asset-{}", h.table)))
                            .is_some_and(|s| s.status == "GRANTED")
                })
                .map(|h| h.grant.clone())
                .collect(),
            still_subscribed: g.still_subscribed,
        })));
    }
    Observed {
        items,
        // No LF settings read.
        ..Default::default()
    }
}

fn no_boundary(
    w: &mut W,
    x: &Ext,
    st: &mut lakewarden::reconcile::ApplyState,
) -> Result<lakewarden::reconcile::Done, String> {
    use lakewarden::reconcile::Done;
    match x {
        // As ext.rs: only when the grant's unit (and every other unit granting the same) failed.
        Ext::UndoGrants { unit, grants } => {
            if !st.first_error_of.contains_key(unit) {
                return Ok(Done::Already);
            }
            let mut done = Done::Already;
            for u in grants {
                if u.shared_with
                    .iter()
                    .all(|o| st.first_error_of.contains_key(o))
                {
                    if let Some(p) = model::lf_revoke(&w.permissions, &u.grant) {
                        w.permissions = p;
                        done = Done::Applied;
                    }
                }
            }
            Ok(done)
        }
        _ => Err(format!("boundary copy not expected: {x:?}")),
    }
}

fn plan(cfg: &DataZone, w: &W) -> Plan<Ext> {
    plan::plan(cfg, &observe(w))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: model::property_cases(), ..ProptestConfig::default() })]

    #[test]
    fn datazone_converges((cfg, text) in config(), w0 in world()) {
        let p1 = plan(&cfg, &w0);
        let mut w1 = w0.clone();
        let out = model::apply(&mut w1, &p1, no_boundary);
        prop_assert!(out.failed.is_empty(), "config {text}\nfailed: {:?}", out.failed);

        let mut w2 = w1.clone();
        model::apply(&mut w2, &p1, no_boundary);
        prop_assert_eq!(&w2, &w1);

        // The same event again (or the next schedule): nothing left to write. One exception: a
        // GRANTED grant found failing now (its table gone) stops holding the table for a revoke
        // of the same listing, which then revokes on the next run.
        let unheld = w0.grant_status.iter().any(|(k, s)| {
            s.status == "GRANTED" && w1.grant_status.get(k).is_some_and(|n| n.status == "GRANT_FAILED")
        });
        if unheld {
            let p = plan(&cfg, &w1);
            let out = model::apply(&mut w1, &p, no_boundary);
            prop_assert!(out.failed.is_empty(), "failed: {:?}", out.failed);
        }
        let p2 = plan(&cfg, &w1);
        prop_assert!(p2.steps.is_empty(), "config {text}\nsecond plan writes: {:#?}", p2.steps);

        // Foreign: other principals' grants, statements not ours, objects without our marker.
        for (principal, res) in lf_changes(&w0.permissions, &w1.permissions) {
            prop_assert_eq!(principal.as_str(), ROLE, "grant on {} changed", res);
        }
        prop_assert_eq!(
            foreign_statements(w0.policy(&role_target()), |s| s.starts_with("LakewardenDataZone")),
            foreign_statements(w1.policy(&role_target()), |s| s.starts_with("LakewardenDataZone"))
        );
        for (k, t) in &w0.tables {
            if !t.params.contains_key(MANAGED_BY) {
                prop_assert_eq!(w1.tables.get(k), Some(t), "{:?} changed", k);
            }
        }
        // A link is only ever made to a table inside datazone.buckets.
        for (k, t) in &w1.tables {
            if !w0.tables.contains_key(k) {
                let (c, d, n) = t.target.clone().unwrap();
                let loc = w0.ext.tables.get(&(c, d, n)).cloned().flatten().unwrap_or_default();
                prop_assert!(loc.starts_with("s3://dz-data/"), "link {:?} to a table at {}", k, loc);
            }
        }
    }
}

fn dz_cfg() -> DataZone {
    config_of(json!([{"bucket": "dz-data", "prefixes": ["orders/"]}]))
}

fn config_of(buckets: serde_json::Value) -> DataZone {
    let text =
        json!({"datazone": {"domains": [DOMAIN], "buckets": buckets, "fulfil_targets": ["t1"]}})
            .to_string();
    parse(&text, "t").unwrap().datazone.unwrap()
}

fn seed(w: &mut W, kind: GrantKind, grant: &str, table: &'static str, status: &str) {
    w.ext.grants.push(GrantSeed {
        kind,
        grant: grant.into(),
        catalog: PRODUCER,
        table,
        still_subscribed: false,
    });
    w.grant_status.insert(
        (DOMAIN.into(), grant.into(), format!("asset-{table}")),
        model::ModelGrantStatus {
            status: status.into(),
            failure: None,
            target_name: None,
        },
    );
}

fn producer_table(w: &mut W, table: &str) {
    w.ext.tables.insert(
        (PRODUCER.into(), "sales_db".into(), table.into()),
        Some(format!("s3://dz-data/orders/{table}/")),
    );
}

fn converge_once(cfg: &DataZone, w: &mut W) -> Plan<Ext> {
    let p = plan(cfg, w);
    let out = model::apply(w, &p, no_boundary);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    p
}

/// Shrunk case of `datazone_converges`: a grant DataZone already shows GRANT_FAILED was told
/// GRANT_FAILED again on every delivery of its event.
#[test]
fn a_failed_grant_delivered_again_writes_nothing() {
    let cfg = dz_cfg();
    let mut w = W::default();
    seed(&mut w, GrantKind::Grant, "g1", "orders_t", "GRANT_PENDING"); // its table is missing
    converge_once(&cfg, &mut w);
    assert_eq!(
        w.grant_status[&(
            DOMAIN.to_string(),
            "g1".to_string(),
            "asset-orders_t".to_string()
        )]
            .status,
        "GRANT_FAILED"
    );
    assert!(plan(&cfg, &w).steps.is_empty());
}

/// Shrunk cases of `datazone_converges`: a grant and a revoke in one run for the same role and
/// table (or another table of the same database). The revoke ran after the grant and took the
/// access (or the database DESCRIBE) the grant had just been reported GRANTED for.
#[test]
fn a_revoke_in_the_same_run_keeps_what_a_grant_of_the_run_needs() {
    for other_table in [false, true] {
        let cfg = dz_cfg();
        let mut w = W::default();
        producer_table(&mut w, "orders_t");
        producer_table(&mut w, "x_t");
        seed(&mut w, GrantKind::Grant, "g1", "orders_t", "GRANT_PENDING");
        let revoked = if other_table { "x_t" } else { "orders_t" };
        seed(&mut w, GrantKind::Revoke, "g2", revoked, "REVOKE_PENDING");
        converge_once(&cfg, &mut w);
        for res in [
            LfResource::Database {
                catalog_id: PRODUCER.into(),
                name: "sales_db".into(),
            },
            LfResource::Table {
                catalog_id: PRODUCER.into(),
                database: "sales_db".into(),
                name: "orders_t".into(),
            },
        ] {
            assert!(w.permissions.get(ROLE, &res).is_some(), "{res} revoked");
        }
        let again = plan(&cfg, &w);
        assert!(again.steps.is_empty(), "{:#?}", again.steps);
    }
}
