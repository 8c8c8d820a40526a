//! Convergence of the sharing planner (catalog-sharer; integration-doctor's round 1): for a
//! random valid `producer` configuration and a random world (some of what should exist, plus
//! foreign grants, foreign statements, resource links, tables inside / outside the allowed
//! locations, tables a filtered listing hides, deleted databases holding grants, unreadable
//! buckets), observe → plan → apply on the model → observe → plan leaves no write, a second
//! application of the same plan changes nothing, and nothing foreign is touched.

use std::collections::{BTreeMap, BTreeSet};

use lakewarden::aws::glue::TableInfo;
use lakewarden::aws::ram::ShareState;
use lakewarden::config::{parse, Producer, RamMode};
use lakewarden::lf::{LfGrant, LfResource};
use lakewarden::reconcile::model::{
    self, foreign_statements, lf_changes, ModelDatabase, ModelTable, World,
};
use lakewarden::reconcile::{Action, Plan, PolicyTarget};
use lakewarden::s3loc::S3Location;
use lakewarden::sharing::{self, BucketPolicy, Observed, Scope};
use proptest::prelude::*;
use serde_json::{json, Value};

const CAT: &str = "111111111111";
const REGION: &str = "us-east-1";
const FOREIGN: &str = "444444444444";
const ORG: &str = "arn:aws:organizations::111111111111:organization/o-abc123def4";
const OU: &str = "arn:aws:organizations::111111111111:ou/o-abc123def4/ou-ab12-xyz45678";
const ROLE: &str = "arn:aws:iam::333333333333:role/analyst";
const LOCAL_ROLE: &str = "arn:aws:iam::111111111111:role/local";
const CONSUMERS: [&str; 5] = ["222222222222", ORG, OU, ROLE, LOCAL_ROLE];
const DBS: [&str; 4] = ["cur_a", "cur_b", "sales", "cur_gone"];
const BUCKETS: [&str; 3] = ["data-a", "data-b", "other-acct"];

/// What only the model of sharing needs: buckets whose policy cannot be read, and tables a
/// Lake Formation-filtered listing does not return.
#[derive(Debug, Clone, Default, PartialEq)]
struct Hidden {
    unreadable: BTreeSet<String>,
    unlisted_tables: BTreeSet<(String, String)>,
}

type W = World<Hidden>;

// ------------------------------------------------------------------ configuration

fn share_entry() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["cur_*", "sales", "*", "cur_a"]),
        prop::sample::subsequence(CONSUMERS.to_vec(), 1..=3),
        prop::sample::subsequence(vec!["DESCRIBE", "ALTER"], 1..=2),
        prop::sample::subsequence(vec!["SELECT", "DESCRIBE", "ALL"], 1..=2),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        prop_oneof![Just(None), Just(Some(vec!["t*"])), Just(Some(vec!["t1", "x"]))],
        prop_oneof![
            3 => Just(None),
            1 => Just(Some(vec!["s3://data-a/cur/"])),
            1 => Just(Some(vec!["s3://data-a/", "s3://data-b/sales/"])),
        ],
        prop_oneof![3 => Just(None), 1 => Just(Some("arn:aws:iam::111111111111:role/lf-register"))],
    )
        .prop_map(
            |(db, consumers, dbp, tp, (grantable, bucket_policy, register, explicit), tables, locations, role)| {
                let mut s = json!({
                    "database": db, "consumers": consumers, "database_permissions": dbp,
                    "table_permissions": tp, "grantable": grantable, "bucket_policy": bucket_policy,
                    "register_location": register, "ram": if explicit { "explicit" } else { "auto" },
                });
                if let Some(t) = tables {
                    s["tables"] = json!(t);
                }
                if let Some(l) = locations {
                    s["locations"] = json!(l);
                }
                if let Some(r) = role {
                    s["register_role_arn"] = json!(r);
                }
                s
            },
        )
}

fn producer() -> impl Strategy<Value = (Producer, String)> {
    prop::collection::vec(share_entry(), 1..=2).prop_map(|shares| {
        let text = json!({"producer": {"shares": shares}}).to_string();
        let cfg = parse(&text, "proptest")
            .unwrap_or_else(|e| panic!("generated configuration is invalid: {e}\n{text}"));
        (cfg.producer.unwrap(), text)
    })
}

// ------------------------------------------------------------------ world

fn table_location(db: &'static str) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        4 => Just(Some(format!("s3://data-a/cur/{db}/t/"))),
        2 => Just(Some(format!("s3://data-b/sales/{db}/"))),
        1 => Just(Some("s3://other-acct/elsewhere/".to_string())),
        1 => Just(Some("s3://data-a/../escape/".to_string())),
        1 => Just(Some("https://example.com/x".to_string())),
        1 => Just(None),
    ]
}

fn db_location() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(Some("s3://data-a/cur/".to_string())),
        1 => Just(Some("s3://data-b/".to_string())),
        1 => Just(None),
    ]
}

/// A database and its tables (name, table, hidden from the listing).
type DbSeed = (ModelDatabase, Vec<(String, ModelTable, bool)>);

/// A database: absent, present (with location and tables), or a resource link of that name.
fn database(db: &'static str) -> impl Strategy<Value = Option<DbSeed>> {
    let table = (
        prop::sample::select(vec!["t1", "t2", "x"]),
        table_location(db),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(n, loc, hidden)| {
            (
                n.to_string(),
                ModelTable {
                    location: loc,
                    ..Default::default()
                },
                hidden,
            )
        });
    prop_oneof![
        1 => Just(None),
        4 => (db_location(), prop::collection::vec(table, 0..=3)).prop_map(|(loc, tables)| Some((
            ModelDatabase { location: loc, ..Default::default() },
            tables
        ))),
        1 => Just(Some((
            ModelDatabase {
                target: Some(("555555555555".into(), "theirs".into())),
                ..Default::default()
            },
            vec![]
        ))),
    ]
}

fn resource(db: &str, kind: u8) -> LfResource {
    match kind % 4 {
        0 => LfResource::Database {
            catalog_id: CAT.into(),
            name: db.into(),
        },
        1 => LfResource::TableWildcard {
            catalog_id: CAT.into(),
            database: db.into(),
        },
        2 => LfResource::Table {
            catalog_id: CAT.into(),
            database: db.into(),
            name: "t1".into(),
        },
        _ => LfResource::Table {
            catalog_id: CAT.into(),
            database: db.into(),
            name: "gone_table".into(),
        },
    }
}

/// Grants already held: some of the consumers' (possibly partial, possibly on deleted
/// databases and tables) and foreign principals'.
fn grants() -> impl Strategy<Value = Vec<LfGrant>> {
    let principal = prop::sample::select(
        CONSUMERS
            .iter()
            .copied()
            .chain([FOREIGN, "arn:aws:iam::111111111111:role/someone-else"])
            .collect::<Vec<_>>(),
    );
    let g = (
        principal,
        prop::sample::select(DBS.to_vec()),
        0u8..4,
        prop::sample::subsequence(vec!["SELECT", "DESCRIBE", "ALTER", "DROP"], 1..=3),
        any::<bool>(),
    )
        .prop_map(|(p, db, kind, perms, grantable)| {
            LfGrant::new(p, resource(db, kind), perms, grantable)
        });
    prop::collection::vec(g, 0..8)
}

fn foreign_doc(with_ours: bool) -> Value {
    let mut st = vec![
        json!({"Sid": "TheirRule", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::data-a"}),
        json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-a/pub/*"}),
    ];
    if with_ours {
        // A stale statement of ours (a database that no longer needs it), in the middle.
        st.insert(
            1,
            json!({"Sid": sharing::bucket_sids("cur_gone")[4], "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::222222222222:root"]}, "Action": "s3:GetObject",
                "Resource": ["arn:aws:s3:::data-a/cur/cur_gone/*"]}),
        );
    }
    json!({"Version": "2012-10-17", "Statement": st})
}

fn bucket_policy() -> impl Strategy<Value = (Option<Value>, bool)> {
    (
        prop_oneof![
            2 => Just(None),
            2 => Just(Some(foreign_doc(false))),
            1 => Just(Some(foreign_doc(true))),
        ],
        prop::bool::weighted(0.15),
    )
}

/// Existing explicit RAM shares: (share entry index, holds a foreign resource, holds a foreign
/// principal); created once the configuration names them.
type RamSeed = Vec<(usize, bool, bool)>;

fn world() -> impl Strategy<Value = (W, RamSeed)> {
    (
        database("cur_a"),
        database("cur_b"),
        database("sales"),
        grants(),
        prop::sample::subsequence(
            vec![
                "arn:aws:s3:::data-a",
                "arn:aws:s3:::data-a/cur",
                "arn:aws:s3:::data-b/sales",
                "arn:aws:s3:::other-acct",
            ],
            0..=2,
        ),
        prop::collection::vec(bucket_policy(), 3),
        prop_oneof![
            Just(None),
            Just(Some(json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "TheirCatalogRule", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "glue:GetDatabase", "Resource": "*"}
            ]}))),
        ],
        // Existing explicit RAM shares: (share entry index, extra foreign resource / principal).
        prop::collection::vec((0usize..2, any::<bool>(), any::<bool>()), 0..=2),
    )
        .prop_map(|(a, b, s, grants, registered, policies, catalog, ram)| {
            let mut w = W::default();
            for (name, db) in [("cur_a", a), ("cur_b", b), ("sales", s)] {
                let Some((d, tables)) = db else { continue };
                for (t, mt, hidden) in tables {
                    if hidden {
                        w.ext.unlisted_tables.insert((name.into(), t.clone()));
                    }
                    w.tables.insert((name.into(), t), mt);
                }
                w.databases.insert(name.into(), d);
            }
            w.permissions = grants.into_iter().collect();
            w.registered = registered.into_iter().map(String::from).collect();
            for (bucket, (doc, unreadable)) in BUCKETS.iter().zip(policies) {
                let t = PolicyTarget::S3Bucket {
                    bucket: bucket.to_string(),
                };
                w.set_policy(&t, doc);
                if unreadable || *bucket == "other-acct" {
                    w.ext.unreadable.insert(bucket.to_string());
                }
            }
            w.set_policy(&PolicyTarget::GlueCatalog, catalog);
            (w, ram)
        })
}

/// Existing explicit shares the world generator asked for, named after the configuration.
fn seed_ram(cfg: &Producer, w: &mut W, seeds: RamSeed) {
    for (i, foreign_resource, foreign_principal) in seeds {
        let Some(share) = cfg.shares.get(i).filter(|s| s.ram == RamMode::Explicit) else {
            continue;
        };
        let name = sharing::ram_share_name(share);
        let mut resources = BTreeSet::new();
        let mut principals = BTreeSet::new();
        if foreign_resource {
            resources.insert(sharing::glue_db_arn(REGION, CAT, "cur_gone"));
        }
        if foreign_principal {
            principals.insert(FOREIGN.to_string());
        }
        w.ram_shares.insert(
            name.clone(),
            ShareState {
                arn: format!("arn:aws:ram:{REGION}:{CAT}:resource-share/{name}"),
                name,
                resources,
                principals,
            },
        );
    }
}

// ------------------------------------------------------------------ observe (as sharing::observe reads)

fn observe(cfg: &Producer, w: &W) -> Observed {
    let configured = |db: &str| !sharing::shares_for(cfg, db).is_empty();
    let existing: BTreeSet<String> = w
        .databases
        .iter()
        .filter(|(_, d)| d.target.is_none())
        .map(|(n, _)| n.clone())
        .collect();
    let mut in_scope: BTreeSet<String> =
        existing.iter().filter(|d| configured(d)).cloned().collect();
    for g in w.permissions.iter() {
        if let Some(db) = g.resource.database_name() {
            if g.resource.catalog_id() == CAT && configured(db) {
                in_scope.insert(db.to_string());
            }
        }
    }
    let mut databases = BTreeMap::new();
    let mut db_locations = BTreeMap::new();
    let mut gone = BTreeSet::new();
    let mut listed = BTreeSet::new();
    for db in in_scope {
        if existing.contains(&db) {
            let location = w.databases[&db].location.clone();
            db_locations.insert(db.clone(), location.clone());
            if !sharing::observe::needs_tables(cfg, &Scope::All, &db, location.as_deref()) {
                databases.insert(db, vec![]);
                continue;
            }
            listed.insert(db.clone());
            let tables: Vec<TableInfo> = w
                .tables
                .iter()
                .filter(|((d, t), _)| {
                    *d == db && !w.ext.unlisted_tables.contains(&(d.clone(), t.clone()))
                })
                .map(|((d, t), mt)| TableInfo {
                    database: d.clone(),
                    name: t.clone(),
                    location: mt.location.clone(),
                })
                .collect();
            databases.insert(db, tables);
        } else if !w.databases.contains_key(&db) {
            gone.insert(db);
        }
    }
    let mut gone_tables = BTreeSet::new();
    for g in w.permissions.iter() {
        if let LfResource::Table {
            catalog_id,
            database,
            name,
        } = &g.resource
        {
            let listed_here = databases
                .get(database)
                .is_some_and(|ts: &Vec<TableInfo>| ts.iter().any(|t| &t.name == name));
            if catalog_id == CAT
                && listed.contains(database)
                && !listed_here
                && !w.tables.contains_key(&(database.clone(), name.clone()))
            {
                gone_tables.insert((database.clone(), name.clone()));
            }
        }
    }
    let wants_registry = cfg
        .shares
        .iter()
        .any(|s| s.register_location || s.bucket_policy);
    let registered: Vec<String> = if wants_registry {
        w.registered.iter().cloned().collect()
    } else {
        vec![]
    };
    let mut buckets = BTreeSet::new();
    if cfg.shares.iter().any(|s| s.bucket_policy) {
        for db in databases.keys() {
            let loc = db_locations.get(db).cloned().flatten();
            for share in sharing::shares_for(cfg, db)
                .into_iter()
                .filter(|s| s.bucket_policy)
            {
                buckets.extend(
                    sharing::allowed_locations(share, loc.as_deref())
                        .into_iter()
                        .map(|l| l.bucket),
                );
            }
        }
        buckets.extend(
            registered
                .iter()
                .filter_map(|a| S3Location::bucket_of_arn(a).map(String::from)),
        );
    }
    let mut bucket_policies = BTreeMap::new();
    for b in buckets {
        let v = if w.ext.unreadable.contains(&b) {
            BucketPolicy::Unreadable(lakewarden::AwsError::new(
                Some("AccessDenied"),
                "Access Denied",
            ))
        } else {
            match w.policy(&PolicyTarget::S3Bucket { bucket: b.clone() }) {
                Some(d) => BucketPolicy::Present(d.clone()),
                None => BucketPolicy::Absent,
            }
        };
        bucket_policies.insert(b, v);
    }
    let mut ram_shares = BTreeMap::new();
    for share in cfg.shares.iter().filter(|s| s.ram == RamMode::Explicit) {
        if databases
            .keys()
            .chain(gone.iter())
            .any(|d| sharing::shares_for(cfg, d).contains(&share))
        {
            let name = sharing::ram_share_name(share);
            ram_shares.insert(name.clone(), w.ram_shares.get(&name).cloned());
        }
    }
    Observed {
        catalog_id: CAT.into(),
        region: REGION.into(),
        databases,
        db_locations,
        gone,
        gone_tables,
        permissions: w.permissions.clone(),
        registered,
        bucket_policies,
        ram_shares,
        catalog_policy: w.policy(&PolicyTarget::GlueCatalog).cloned(),
        // No ledger (the ledger's own convergence is not modelled here), no LF settings read.
        ..Default::default()
    }
}

fn plan(cfg: &Producer, w: &W) -> Plan {
    sharing::plan(cfg, &observe(cfg, w))
}

fn apply(w: &mut W, p: &Plan) -> model::Applied {
    model::apply(w, p, model::no_ext)
}

fn configured_principals(cfg: &Producer) -> BTreeSet<String> {
    cfg.shares
        .iter()
        .flat_map(|s| s.consumers.iter().map(|c| c.to_string()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: model::property_cases(), ..ProptestConfig::default() })]

    #[test]
    fn sharing_converges((cfg, text) in producer(), (w0, ram) in world()) {
        let mut w0 = w0;
        seed_ram(&cfg, &mut w0, ram);
        let p1 = plan(&cfg, &w0);
        let mut w1 = w0.clone();
        let out = apply(&mut w1, &p1);
        prop_assert!(out.failed.is_empty(), "config {text}\nfailed: {:?}", out.failed);

        // Idempotent: the same plan applied again changes nothing.
        let mut again = w1.clone();
        apply(&mut again, &p1);
        prop_assert_eq!(&again, &w1);

        // Converged: nothing left to write on what the first run saw, no new skip. The one
        // exception is a bucket the first run did not read at all and the second reads because
        // the first registered a location in it: its stale statements go then (see
        // `stale_statements_of_a_deleted_database_wait_for_their_bucket_to_be_read`), and the
        // third plan is empty.
        let seen: BTreeSet<String> = observe(&cfg, &w0).bucket_policies.into_keys().collect();
        let p2 = plan(&cfg, &w1);
        for s in &p2.steps {
            let late = matches!(&s.action, Action::Policy(w) if matches!(&w.target,
                PolicyTarget::S3Bucket { bucket } if !seen.contains(bucket)) && w.desired.is_empty());
            prop_assert!(late, "config {text}\nsecond plan writes: {:#?}", p2.steps);
        }
        prop_assert!(model::skipped_set(&p2).is_subset(&model::skipped_set(&p1)), "new skips: {:?} vs {:?}", p2.skipped, p1.skipped);
        let out = apply(&mut w1, &p2);
        prop_assert!(out.failed.is_empty(), "failed: {:?}", out.failed);
        let p3 = plan(&cfg, &w1);
        prop_assert!(p3.steps.is_empty(), "config {text}\nthird plan writes: {:#?}", p3.steps);

        // Foreign things untouched: grants of principals the configuration does not name, every
        // statement lakewarden does not own (byte-identical, in order), the catalog, links.
        let ours = configured_principals(&cfg);
        for (principal, res) in lf_changes(&w0.permissions, &w1.permissions) {
            prop_assert!(ours.contains(&principal), "grant of {principal} on {res} changed");
        }
        let owned = |sid: &str| sid.starts_with("Lakewarden");
        for t in BUCKETS.iter().map(|b| PolicyTarget::S3Bucket { bucket: b.to_string() }).chain([PolicyTarget::GlueCatalog]) {
            prop_assert_eq!(
                foreign_statements(w0.policy(&t), owned),
                foreign_statements(w1.policy(&t), owned),
                "foreign statements of {} changed", t.describe()
            );
        }
        for b in &w0.ext.unreadable {
            let t = PolicyTarget::S3Bucket { bucket: b.clone() };
            prop_assert_eq!(w0.policy(&t), w1.policy(&t), "unreadable bucket {} written", b);
        }
        prop_assert_eq!(&w0.databases, &w1.databases);
        prop_assert_eq!(&w0.tables, &w1.tables);
        for name in w1.ram_shares.keys() {
            prop_assert!(name.starts_with("lakewarden-"), "share {name}");
        }
        // Named-table grants only on tables that exist.
        for g in w1.permissions.iter() {
            if let LfResource::Table { database, name, .. } = &g.resource {
                let before = w0.permissions.get(&g.principal, &g.resource);
                let grew = before.is_none_or(|b| !g.permissions.is_subset(&b.permissions));
                if grew {
                    prop_assert!(
                        w0.tables.contains_key(&(database.clone(), name.clone())),
                        "granted on a table that does not exist: {g}"
                    );
                }
            }
        }
    }
}

fn run_once(cfg: &Producer, w: &mut W) -> Plan {
    let p = plan(cfg, w);
    let out = apply(w, &p);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    p
}

/// Shrunk case of `sharing_converges`: two `ram: explicit` entries for the same databases share
/// one RAM share (named after the database); each used to disassociate the other's consumers,
/// so that every run removed and re-added them and, within one run, both were removed.
#[test]
fn two_explicit_entries_for_one_database_keep_both_consumers_in_their_share() {
    let text = json!({"producer": {"shares": [
        {"database": "cur_*", "consumers": [OU], "ram": "explicit", "bucket_policy": false, "register_location": false},
        {"database": "cur_*", "consumers": [ORG], "ram": "explicit", "bucket_policy": false, "register_location": false},
    ]}})
    .to_string();
    let cfg = parse(&text, "t").unwrap().producer.unwrap();
    let name = sharing::ram_share_name(&cfg.shares[0]);
    assert_eq!(name, sharing::ram_share_name(&cfg.shares[1]));
    let mut w = W::default();
    w.databases.insert(
        "cur_a".into(),
        ModelDatabase {
            location: Some("s3://data-a/cur/".into()),
            ..Default::default()
        },
    );
    w.ram_shares.insert(
        name.clone(),
        ShareState {
            name: name.clone(),
            arn: format!("arn:aws:ram:{REGION}:{CAT}:resource-share/x"),
            resources: BTreeSet::new(),
            principals: [OU.to_string()].into(),
        },
    );
    let first = run_once(&cfg, &mut w);
    assert!(!first
        .steps
        .iter()
        .any(|s| matches!(s.action, Action::RamDisassociate { .. })));
    assert_eq!(
        w.ram_shares[&name].principals,
        [OU.to_string(), ORG.to_string()].into()
    );
    assert!(plan(&cfg, &w).steps.is_empty());
}

/// Shrunk case of `sharing_converges`: the statements lakewarden keeps in a bucket for a
/// database that was deleted are removed only once that bucket is read, and a bucket is read
/// only when a configured place of an existing database or a registered location lies in it.
/// Here the first run registers `s3://data-b/sales/` for another database; the second reads
/// `data-b` and removes the deleted database's statement, foreign statements kept.
#[test]
fn stale_statements_of_a_deleted_database_wait_for_their_bucket_to_be_read() {
    let text = json!({"producer": {"shares": [
        {"database": "cur_*", "consumers": [ROLE], "bucket_policy": true, "register_location": false},
        {"database": "*", "consumers": [OU], "bucket_policy": false, "register_location": true,
         "locations": ["s3://data-b/sales/"], "tables": ["t*"]},
    ]}})
    .to_string();
    let cfg = parse(&text, "t").unwrap().producer.unwrap();
    let mut w = W::default();
    w.databases.insert("sales".into(), ModelDatabase::default());
    w.tables.insert(
        ("sales".into(), "t1".into()),
        ModelTable {
            location: Some("s3://data-b/sales/t1/".into()),
            ..Default::default()
        },
    );
    // cur_gone was deleted; a grant of a configured consumer still names it.
    w.permissions = [LfGrant::new(
        ROLE,
        resource("cur_gone", 0),
        ["ALTER"],
        false,
    )]
    .into_iter()
    .collect();
    let bucket = PolicyTarget::S3Bucket {
        bucket: "data-b".into(),
    };
    w.set_policy(&bucket, Some(foreign_doc(true)));
    run_once(&cfg, &mut w);
    assert_eq!(w.policy(&bucket), Some(&foreign_doc(true)), "not read yet");
    assert!(w.registered.contains("arn:aws:s3:::data-b/sales"));
    run_once(&cfg, &mut w);
    assert_eq!(w.policy(&bucket), Some(&foreign_doc(false)));
    assert!(plan(&cfg, &w).steps.is_empty());
}
