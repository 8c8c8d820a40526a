//! Convergence of share-linker's two rounds: for a random valid `consumer` configuration and a
//! random world (pending invitations from trusted and untrusted producers, shared databases
//! listed or not, shares withdrawn or only unlisted, links of ours, unmarked same-named links,
//! repointed links, databases that are not links, foreign grants and role-policy statements),
//! one run (round 0 then round 1, each observed, planned and applied on the model) followed by
//! a second run writes nothing, applying a plan twice changes nothing, and nothing foreign is
//! touched.

use std::collections::{BTreeMap, BTreeSet};

use lakewarden::aws::glue::{DatabaseInfo, TableInfo, LINK_TARGET, MANAGED_BY};
use lakewarden::aws::ram::Invitation;
use lakewarden::config::{parse, Consumer};
use lakewarden::lf::{LfGrant, LfResource, LfState};
use lakewarden::reconcile::model::{self, foreign_statements, lf_changes, ModelDatabase, World};
use lakewarden::reconcile::{Action, Link, Plan, PolicyTarget};
use proptest::prelude::*;
use serde_json::{json, Value};
use share_linker::plan::{self, link_name, matches, Catalog, Evidence, Observed, POLICY_NAME};
use share_linker::trigger::Scope;

const ME: &str = "222222222222";
const P1: &str = "333333333333";
const P2: &str = "444444444444";
const UNTRUSTED: &str = "666666666666";
const ROLE: &str = "arn:aws:iam::222222222222:role/analyst";
const ROLE2: &str = "arn:aws:iam::222222222222:role/etl";
const OTHER_ACCOUNT_ROLE: &str = "arn:aws:iam::999999999999:role/elsewhere";
const SOMEONE: &str = "arn:aws:iam::222222222222:role/someone-else";
const DBS: [&str; 3] = ["sales", "sales_eu", "hr"];

/// A producer's database as the model knows it.
#[derive(Debug, Clone, PartialEq)]
struct ProducerDb {
    /// GetDatabases(FOREIGN) lists it (once its invitation, if any, is accepted).
    listed: bool,
    /// Listed only after this invitation is accepted.
    invitation: Option<String>,
    tables: Vec<TableInfo>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Remote {
    /// (producer, database) → its state; absent = deleted (GetDatabase: EntityNotFound).
    producer_dbs: BTreeMap<(String, String), ProducerDb>,
    /// Invitation ARN → (sender, share name).
    invitations: BTreeMap<String, (String, String)>,
    /// What the producers granted this account (what it may re-grant, with the grant option).
    received: LfState,
}

type W = World<Remote>;

// ------------------------------------------------------------------ configuration

fn link_entry(trusted: Vec<&'static str>) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(trusted),
        prop::sample::select(vec!["sales*", "*", "sales_eu", "hr"]),
        prop_oneof![
            3 => Just(None),
            1 => Just(Some("{database}_shared")),
            1 => Just(Some("fixed_link")),
        ],
        prop::sample::subsequence(vec![ROLE, ROLE2, OTHER_ACCOUNT_ROLE], 0..=2),
        prop::sample::subsequence(vec!["SELECT", "DESCRIBE"], 1..=2),
        any::<bool>(),
        prop::sample::subsequence(vec!["own-bucket"], 0..=1),
    )
        .prop_map(|(producer, db, name, roles, perms, s3, buckets)| {
            let mut l = json!({"producer": producer, "database": db, "roles": roles,
                "table_permissions": perms, "s3_read_policy": s3, "buckets": buckets});
            if let Some(n) = name {
                l["link_name"] = json!(n);
            }
            l
        })
}

fn consumer() -> impl Strategy<Value = (Consumer, String)> {
    prop::sample::subsequence(vec![P1, P2], 1..=2)
        .prop_flat_map(|trusted| {
            (
                Just(trusted.clone()),
                prop::collection::vec(link_entry(trusted), 1..=2),
                prop_oneof![Just(None), (1usize..4).prop_map(Some), Just(Some(100))],
            )
        })
        .prop_map(|(trusted, links, max)| {
            let mut c = json!({"trusted_producers": trusted, "links": links});
            if let Some(m) = max {
                c["max_removals_per_run"] = json!(m);
            }
            let text = json!({ "consumer": c }).to_string();
            let cfg = parse(&text, "proptest")
                .unwrap_or_else(|e| panic!("generated configuration is invalid: {e}\n{text}"));
            (cfg.consumer.unwrap(), text)
        })
}

// ------------------------------------------------------------------ world

fn marks(producer: &str, database: &str) -> BTreeMap<String, String> {
    [
        (MANAGED_BY.to_string(), "share-linker".to_string()),
        (LINK_TARGET.to_string(), format!("{producer}:{database}")),
    ]
    .into()
}

/// One producer database: deleted, shared and listed, shared behind a pending invitation, or
/// existing but not listed (no evidence it was withdrawn).
fn producer_db(
    producer: &'static str,
    db: &'static str,
) -> impl Strategy<Value = Option<ProducerDb>> {
    let tables = prop::collection::vec(
        (
            prop::sample::select(vec!["t1", "t2"]),
            prop::sample::select(vec![
                "s3://prod-data/sales/t/",
                "s3://own-bucket/x/",
                "s3://prod-data/",
                "not-a-location",
            ]),
        ),
        0..=2,
    )
    .prop_map(move |ts| {
        let mut seen = BTreeSet::new();
        ts.into_iter()
            .filter(|(n, _)| seen.insert(*n))
            .map(|(n, l)| TableInfo {
                database: db.into(),
                name: n.into(),
                location: Some(l.into()),
            })
            .collect::<Vec<_>>()
    });
    (0u8..5, tables).prop_map(move |(kind, tables)| match kind {
        0 => None,
        1 => Some(ProducerDb {
            listed: false,
            invitation: None,
            tables,
        }),
        2 => Some(ProducerDb {
            listed: true,
            invitation: Some(format!(
                "arn:aws:ram:us-east-1:{producer}:resource-share-invitation/{db}"
            )),
            tables,
        }),
        _ => Some(ProducerDb {
            listed: true,
            invitation: None,
            tables,
        }),
    })
}

/// What this account holds under a name: nothing, our link, an unmarked link to the same
/// database, a link repointed elsewhere, or a plain database.
fn own_db(
    producer: &'static str,
    db: &'static str,
) -> impl Strategy<Value = Option<ModelDatabase>> {
    prop_oneof![
        3 => Just(None),
        2 => Just(Some(ModelDatabase {
            target: Some((producer.into(), db.into())),
            location: None,
            params: marks(producer, db),
        })),
        1 => Just(Some(ModelDatabase {
            target: Some((producer.into(), db.into())),
            ..Default::default()
        })),
        1 => Just(Some(ModelDatabase {
            target: Some(("777777777777".into(), "elsewhere".into())),
            location: None,
            params: marks(producer, db),
        })),
        1 => Just(Some(ModelDatabase {
            location: Some("s3://own-bucket/".into()),
            ..Default::default()
        })),
    ]
}

fn grants() -> impl Strategy<Value = Vec<LfGrant>> {
    let g = (
        prop::sample::select(vec![ROLE, ROLE2, SOMEONE]),
        prop::sample::select(vec![P1, P2, ME]),
        prop::sample::select(DBS.to_vec()),
        0u8..3,
        prop::sample::subsequence(vec!["DESCRIBE", "SELECT", "ALTER"], 1..=2),
    )
        .prop_map(|(p, catalog, db, kind, perms)| {
            let resource = match kind {
                0 => LfResource::Database {
                    catalog_id: catalog.into(),
                    name: db.into(),
                },
                1 => LfResource::TableWildcard {
                    catalog_id: catalog.into(),
                    database: db.into(),
                },
                _ => LfResource::Database {
                    catalog_id: ME.into(),
                    name: format!("{db}_link"),
                },
            };
            LfGrant::new(p, resource, perms, false)
        });
    prop::collection::vec(g, 0..6)
}

/// What a producer granted this account on one of its databases: nothing, DESCRIBE and the
/// table permissions on all tables (with or without the grant option), or named tables only.
fn received(producer: &'static str, db: &'static str) -> impl Strategy<Value = Vec<LfGrant>> {
    let database = LfResource::Database {
        catalog_id: producer.into(),
        name: db.into(),
    };
    let wildcard = LfResource::TableWildcard {
        catalog_id: producer.into(),
        database: db.into(),
    };
    let table = LfResource::Table {
        catalog_id: producer.into(),
        database: db.into(),
        name: "t1".into(),
    };
    (0u8..4, any::<bool>()).prop_map(move |(kind, grantable)| match kind {
        0 => vec![],
        1 => vec![
            LfGrant::new(ME, database.clone(), ["DESCRIBE"], true),
            LfGrant::new(ME, wildcard.clone(), ["SELECT", "DESCRIBE"], grantable),
        ],
        2 => vec![
            LfGrant::new(ME, database.clone(), ["DESCRIBE"], grantable),
            LfGrant::new(ME, table.clone(), ["SELECT"], true),
        ],
        _ => vec![
            LfGrant::new(ME, database.clone(), ["ALL"], true),
            LfGrant::new(ME, wildcard.clone(), ["ALL"], true),
        ],
    })
}

fn role_policy() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        2 => Just(None),
        2 => Just(Some(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "TheirOwn", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::their/*"},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}
        ]}))),
        1 => Just(Some(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "TheirOwn", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::their/*"},
            {"Sid": "LakewardenLinkGetsales_link", "Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::old/*"]},
            {"Sid": "LakewardenLinkGetgone_link", "Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::older/*"]}
        ]}))),
    ]
}

fn world() -> impl Strategy<Value = W> {
    let mut pdbs = Vec::new();
    for p in [P1, P2] {
        for d in DBS {
            pdbs.push(
                (producer_db(p, d), received(p, d))
                    .prop_map(move |(x, r)| ((p.to_string(), d.to_string()), x, r)),
            );
        }
    }
    let mut owns = Vec::new();
    for (p, d, name) in [
        (P1, "sales", "sales_link"),
        (P1, "sales_eu", "sales_eu_link"),
        (P2, "hr", "hr_link"),
        (P1, "sales", "fixed_link"),
        (P1, "hr", "hr_shared"),
    ] {
        owns.push(own_db(p, d).prop_map(move |x| (name.to_string(), x)));
    }
    (
        pdbs,
        owns,
        grants(),
        role_policy(),
        role_policy(),
        prop::bool::ANY,
    )
        .prop_map(|(pdbs, owns, grants, rp1, rp2, untrusted_invite)| {
            let mut w = W::default();
            for (key, pdb, got) in pdbs {
                let Some(pdb) = pdb else { continue };
                for g in got {
                    w.ext.received.add(g);
                }
                if let Some(inv) = &pdb.invitation {
                    w.invitations.insert(inv.clone(), "PENDING".into());
                    w.ext
                        .invitations
                        .insert(inv.clone(), (key.0.clone(), format!("share-{}", key.1)));
                }
                w.ext.producer_dbs.insert(key, pdb);
            }
            for (name, d) in owns {
                if let Some(d) = d {
                    w.databases.insert(name, d);
                }
            }
            w.permissions = grants.into_iter().collect();
            for (role, doc) in [(ROLE, rp1), (ROLE2, rp2)] {
                w.set_policy(&role_target(role), doc);
            }
            if untrusted_invite {
                let arn =
                    format!("arn:aws:ram:us-east-1:{UNTRUSTED}:resource-share-invitation/evil");
                w.invitations.insert(arn.clone(), "PENDING".into());
                w.ext
                    .invitations
                    .insert(arn, (UNTRUSTED.into(), "evil".into()));
            }
            w
        })
}

fn role_target(role: &str) -> PolicyTarget {
    PolicyTarget::IamInline {
        role_arn: role.into(),
        name: POLICY_NAME.into(),
    }
}

// ------------------------------------------------------------------ observe (as observe.rs reads)

fn observe_invitations(w: &W) -> Vec<Invitation> {
    w.ext
        .invitations
        .iter()
        .map(|(arn, (sender, share))| Invitation {
            arn: arn.clone(),
            sender: sender.clone(),
            share_name: share.clone(),
            share_arn: format!("{arn}-share"),
            status: w.invitations.get(arn).cloned().unwrap_or_default(),
        })
        .collect()
}

fn is_listed(w: &W, pdb: &ProducerDb) -> bool {
    pdb.listed
        && pdb
            .invitation
            .as_ref()
            .is_none_or(|i| w.invitations.get(i).map(String::as_str) == Some("ACCEPTED"))
}

fn observe_catalog(cfg: &Consumer, w: &W) -> Catalog {
    let foreign: Vec<DatabaseInfo> = w
        .ext
        .producer_dbs
        .iter()
        .filter(|((p, _), pdb)| is_listed(w, pdb) && cfg.trusted_producers.iter().any(|t| t == p))
        .map(|((p, d), _)| DatabaseInfo {
            name: d.clone(),
            catalog_id: Some(p.clone()),
            location_uri: None,
            target: None,
        })
        .collect();
    let own: BTreeMap<String, DatabaseInfo> = w
        .databases
        .iter()
        .map(|(n, d)| {
            (
                n.clone(),
                DatabaseInfo {
                    name: n.clone(),
                    catalog_id: Some(ME.into()),
                    location_uri: d.location.clone(),
                    target: d.target.clone(),
                },
            )
        })
        .collect();
    let params = w
        .databases
        .iter()
        .map(|(n, d)| (n.clone(), d.params.clone()))
        .collect();
    let mut tables = BTreeMap::new();
    for link in cfg.links.iter().filter(|l| l.s3_read_policy) {
        for d in &foreign {
            let p = d.catalog_id.clone().unwrap_or_default();
            if matches(link, &p, &d.name) {
                let key = (p.clone(), d.name.clone());
                let t = w.ext.producer_dbs[&key].tables.clone();
                tables.entry(key).or_insert(t);
            }
        }
    }
    let mut role_policies = BTreeMap::new();
    for role in cfg.links.iter().flat_map(|l| l.roles.iter()) {
        let role = role.to_string();
        if lakewarden::arn::account_of(&role) == ME {
            role_policies.insert(role.clone(), w.policy(&role_target(&role)).cloned());
        }
    }
    let listed = |p: &str, d: &str| {
        foreign
            .iter()
            .any(|f| f.catalog_id.as_deref() == Some(p) && f.name == d)
    };
    let covered = |p: &str, d: &str| cfg.links.iter().any(|l| matches(l, p, d));
    let mut candidates = BTreeSet::new();
    for d in own.values() {
        if let Some((p, db)) = &d.target {
            if cfg
                .links
                .iter()
                .any(|l| matches(l, p, db) && d.name == link_name(l, db))
            {
                candidates.insert((p.clone(), db.clone()));
            }
        }
    }
    for g in w.permissions.iter() {
        if let Some(db) = g.resource.database_name() {
            let p = g.resource.catalog_id();
            if p != ME && covered(p, db) {
                candidates.insert((p.to_string(), db.to_string()));
            }
        }
    }
    let mut unlisted = BTreeMap::new();
    for (p, db) in candidates {
        if listed(&p, &db) {
            continue;
        }
        let ev = if w.ext.producer_dbs.contains_key(&(p.clone(), db.clone())) {
            Evidence::Unconfirmed(format!("GetDatabase on {p}:{db} still answers"))
        } else {
            Evidence::Gone
        };
        unlisted.insert((p, db), ev);
    }
    let producers: BTreeSet<&str> = foreign
        .iter()
        .filter_map(|d| d.catalog_id.as_deref())
        .collect();
    let received = w
        .ext
        .received
        .iter()
        .filter(|g| producers.contains(g.resource.catalog_id()))
        .collect();
    Catalog {
        account: ME.into(),
        foreign,
        own,
        tables,
        permissions: w.permissions.clone(),
        received,
        role_policies,
        params,
        unlisted,
        // No ledger (its own convergence is not modelled here), no LF settings read.
        ..Default::default()
    }
}

fn plan_round(cfg: &Consumer, w: &W, round: usize) -> Plan {
    let observed = match round {
        0 => Observed::Invitations(observe_invitations(w)),
        _ => Observed::Catalog(Box::new(observe_catalog(cfg, w))),
    };
    plan::plan(cfg, &Scope::Schedule, &observed)
}

/// One run: both rounds, each applied before the next is observed. Returns the plans.
/// One run as `reconcile::run` makes it: both rounds, each applied before the next is
/// observed, the removal cap (`max_removals_per_run`) counted over the whole run. Returns each
/// round's plan and what applying it did.
fn run(cfg: &Consumer, w: &mut W) -> Result<Vec<(Plan, model::Applied)>, String> {
    let mut out = Vec::new();
    let mut removed = 0;
    for round in 0..2 {
        let mut p = plan_round(cfg, w, round);
        if p.max_removals.is_none() {
            p.max_removals = Some(cfg.max_removals_per_run.saturating_sub(removed));
        }
        let applied = model::apply(w, &p, model::no_ext);
        if !applied.failed.is_empty() {
            return Err(format!("round {round} failed: {:?}", applied.failed));
        }
        if applied.held.is_empty() {
            removed += p.removals();
        }
        out.push((p, applied));
    }
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: model::property_cases(), ..ProptestConfig::default() })]

    #[test]
    fn share_linker_converges((cfg, text) in consumer(), w0 in world()) {
        let mut w1 = w0.clone();
        let first = run(&cfg, &mut w1).map_err(|e| TestCaseError::fail(format!("config {text}\n{e}")))?;

        // A second run writes nothing and skips nothing new.
        let after_first = w1.clone();
        let mut w2 = w1.clone();
        let mut second = run(&cfg, &mut w2).map_err(|e| TestCaseError::fail(format!("config {text}\n{e}")))?;
        // The one case that takes a second run: a link name freed by a deletion (a share gone)
        // that another share's link wants — links are created before links are deleted
        // within a run (see `a_link_name_freed_by_a_removal_is_linked_again_by_the_next_run`).
        let deleted: BTreeSet<String> = first
            .iter()
            .flat_map(|(p, _)| p.actions())
            .filter_map(|a| match a {
                Action::DeleteLink(Link::Database { name, .. }) => Some(name.clone()),
                _ => None,
            })
            .collect();
        let reuses = second.iter().flat_map(|(p, _)| p.actions()).any(|a| {
            matches!(a, Action::CreateLink(Link::Database { name, .. }) if deleted.contains(name))
        });
        if reuses {
            w1 = w2.clone();
            second = run(&cfg, &mut w2).map_err(|e| TestCaseError::fail(format!("config {text}\n{e}")))?;
        }
        for (round, (p, applied)) in second.iter().enumerate() {
            // Nothing is written; what is left are removals the cap holds back again.
            prop_assert!(applied.applied.is_empty() && applied.already.is_empty() && p.steps.len() == applied.held.len(),
                "config {text}\nround {round} of the second run writes: {:#?}", p.steps);
            if !reuses {
                prop_assert!(model::skipped_set(p).is_subset(&model::skipped_set(&first[round].0)), "round {round}: new skips {:?}", p.skipped);
            }
            if !applied.held.is_empty() && !reuses {
                prop_assert_eq!(&applied.held, &first[round].1.held, "held back, and the same as before");
            }
        }
        prop_assert_eq!(&w2, &w1);

        // Each plan applied a second time changes nothing.
        let mut w3 = after_first.clone();
        for (p, _) in &first {
            model::apply(&mut w3, p, model::no_ext);
        }
        prop_assert_eq!(&w3, &after_first);

        // Untrusted invitations stay pending.
        for (arn, (sender, _)) in &w0.ext.invitations {
            if !cfg.trusted_producers.iter().any(|t| t == sender) {
                prop_assert_eq!(w1.invitations.get(arn), w0.invitations.get(arn));
            }
        }
        // Databases lakewarden did not make (no marker, or repointed) are never changed or
        // deleted; only marked links pointing where they say are deleted.
        for (name, d) in &w0.databases {
            let marked_here = d.target.as_ref().is_some_and(|(p, db)| d.params == marks(p, db));
            if !marked_here {
                prop_assert_eq!(w1.databases.get(name), Some(d), "{} changed", name);
            } else if w1.databases.get(name) != Some(d) {
                let (p, db) = d.target.clone().unwrap();
                prop_assert!(!w0.ext.producer_dbs.contains_key(&(p.clone(), db.clone())),
                    "link {name} to {p}:{db} removed without positive evidence");
            }
        }
        // Foreign grants and statements untouched.
        for (principal, res) in lf_changes(&w0.permissions, &w1.permissions) {
            prop_assert!(principal == ROLE || principal == ROLE2, "grant of {principal} on {res} changed");
        }
        for role in [ROLE, ROLE2] {
            let t = role_target(role);
            prop_assert_eq!(
                foreign_statements(w0.policy(&t), |s| s.starts_with("LakewardenLink")),
                foreign_statements(w1.policy(&t), |s| s.starts_with("LakewardenLink")),
                "foreign statements of {} changed", role
            );
        }
        // At most max_removals_per_run removals in one run.
        let removed = w0.databases.keys().filter(|n| !w1.databases.contains_key(*n)).count();
        prop_assert!(removed <= cfg.max_removals_per_run);
    }
}

fn cfg_of(c: Value) -> Consumer {
    parse(&json!({ "consumer": c }).to_string(), "t")
        .unwrap()
        .consumer
        .unwrap()
}

fn listed(w: &mut W, producer: &str, db: &str) {
    w.ext.producer_dbs.insert(
        (producer.into(), db.into()),
        ProducerDb {
            listed: true,
            invitation: None,
            tables: vec![],
        },
    );
    for g in [
        LfGrant::new(
            ME,
            LfResource::Database {
                catalog_id: producer.into(),
                name: db.into(),
            },
            ["DESCRIBE"],
            true,
        ),
        LfGrant::new(
            ME,
            LfResource::TableWildcard {
                catalog_id: producer.into(),
                database: db.into(),
            },
            ["SELECT", "DESCRIBE"],
            true,
        ),
    ] {
        w.ext.received.add(g);
    }
}

fn writes(runs: &[(Plan, model::Applied)]) -> Vec<String> {
    runs.iter()
        .flat_map(|(p, _)| {
            p.steps
                .iter()
                .map(|s| format!("{} {}", s.label().0, s.label().1))
        })
        .collect()
}

/// Shrunk case of `share_linker_converges`: a `link_name` without `{database}` on a glob that
/// matches two shares. Both used to plan a link of that name; the second create answered
/// AlreadyExists and was reported `already` although the link pointed at the other share.
#[test]
fn a_fixed_link_name_links_one_share_and_alerts_for_the_other() {
    let cfg = cfg_of(json!({"trusted_producers": [P1], "links": [
        {"producer": P1, "database": "sales*", "link_name": "fixed_link", "roles": [ROLE], "s3_read_policy": false}
    ]}));
    let mut w = W::default();
    listed(&mut w, P1, "sales");
    listed(&mut w, P1, "sales_eu");
    let first = run(&cfg, &mut w).unwrap();
    let creates: Vec<&Action> = first[1]
        .0
        .actions()
        .filter(|a| matches!(a, Action::CreateLink(_)))
        .collect();
    assert_eq!(creates.len(), 1, "{creates:?}");
    assert!(first[1]
        .0
        .skipped
        .iter()
        .any(|s| s.reason.contains("link name of")));
    assert!(run(&cfg, &mut w.clone())
        .unwrap()
        .iter()
        .all(|(p, _)| p.steps.is_empty()));
}

/// Shrunk case of `share_linker_converges`: under a fixed `link_name`, a share that is gone
/// used to revoke the roles' DESCRIBE on the link that now serves another share; the next run
/// granted it again, and so on every run.
#[test]
fn the_link_grant_of_a_link_serving_another_share_is_kept() {
    let cfg = cfg_of(json!({"trusted_producers": [P1], "links": [
        {"producer": P1, "database": "sales*", "link_name": "fixed_link", "roles": [ROLE2], "s3_read_policy": false}
    ]}));
    let mut w = W::default();
    listed(&mut w, P1, "sales");
    // sales_eu was shared and is deleted; the role still holds what share-linker granted on it.
    w.permissions = [LfGrant::new(
        ROLE2,
        LfResource::Database {
            catalog_id: P1.into(),
            name: "sales_eu".into(),
        },
        ["DESCRIBE"],
        false,
    )]
    .into_iter()
    .collect();
    run(&cfg, &mut w).unwrap();
    let link = LfResource::Database {
        catalog_id: ME.into(),
        name: "fixed_link".into(),
    };
    assert!(w.permissions.get(ROLE2, &link).is_some());
    let second = run(&cfg, &mut w).unwrap();
    assert!(writes(&second).is_empty(), "{:?}", writes(&second));
    assert!(w.permissions.get(ROLE2, &link).is_some());
}

/// Shrunk case of `share_linker_converges`: two producers share a database of the same name and
/// the default link names collide. While the first producer's link holds the name, the second
/// share is alerted; when the first share is gone its link is deleted, and the next run links
/// the second (links are created before links are deleted within a run).
#[test]
fn a_link_name_freed_by_a_removal_is_linked_again_by_the_next_run() {
    let cfg = cfg_of(json!({"trusted_producers": [P1, P2], "links": [
        {"producer": P2, "database": "*", "s3_read_policy": false},
        {"producer": P1, "database": "*", "s3_read_policy": false}
    ]}));
    let mut w = W::default();
    listed(&mut w, P1, "hr");
    w.databases.insert(
        "hr_link".into(),
        ModelDatabase {
            target: Some((P2.into(), "hr".into())),
            location: None,
            params: marks(P2, "hr"),
        },
    );
    let first = run(&cfg, &mut w).unwrap();
    assert!(writes(&first)
        .iter()
        .any(|s| s.starts_with("glue.delete_resource_link")));
    assert!(!w.databases.contains_key("hr_link"));
    let second = run(&cfg, &mut w).unwrap();
    assert_eq!(
        writes(&second),
        vec!["glue.create_resource_link hr_link -> 333333333333:hr".to_string()]
    );
    assert!(writes(&run(&cfg, &mut w).unwrap()).is_empty());
}
