//! Convergence of integration-doctor's checks and fixes (round 0; round 1 is the sharing
//! planner, whose convergence lakewarden's tests/converge_sharing.rs checks): for a random valid
//! `integrations` configuration and a random world (tables with or without PITR and table
//! policy, a Deny that blocks Glue, catalog policies with foreign statements, target databases
//! with or without a location, resource properties naming the right role, another or none,
//! roles that trust Glue or not, with foreign inline and attached policies, integrations from
//! allowlisted and other accounts), one scheduled run applied on the model leaves a second run
//! nothing to fix, applying the plan twice changes nothing, and foreign statements and policies
//! are untouched.

use std::collections::{BTreeMap, BTreeSet};

use integration_doctor::ext::Ext;
use integration_doctor::plan::{self, Diagnosis, Observed, SourceObs, TargetObs, ROLE_POLICY};
use integration_doctor::trigger::Scope;
use lakewarden::arn;
use lakewarden::aws::glue::DatabaseInfo;
use lakewarden::aws::glue_integrations::IntegrationInfo;
use lakewarden::aws::iam::RoleInfo;
use lakewarden::config::{parse, Config};
use lakewarden::policy;
use lakewarden::reconcile::model::{self, foreign_statements, ModelDatabase, World};
use lakewarden::reconcile::{ApplyState, Done, Plan, PolicyTarget};
use proptest::prelude::*;
use serde_json::{json, Value};

const ME: &str = "222222222222";
const REGION: &str = "us-east-1";
const SRC: &str = "111111111111";
const OTHER: &str = "555555555555";
const ROLE_A: &str = "arn:aws:iam::222222222222:role/zetl-a";
const ROLE_B: &str = "arn:aws:iam::222222222222:role/zetl-b";
const ROLE_ELSEWHERE: &str = "arn:aws:iam::999999999999:role/zetl";

#[derive(Debug, Clone, Default, PartialEq)]
struct Extra {
    /// DynamoDB tables: name → ARN.
    tables: BTreeMap<String, String>,
    /// Integration resource properties: database ARN → role (None: a property without one).
    property: BTreeMap<String, Option<String>>,
    /// Roles that exist.
    roles: BTreeSet<String>,
    /// Statements of each role's attached managed policies.
    attached: BTreeMap<String, Vec<Value>>,
    integrations: Vec<IntegrationInfo>,
}

type W = World<Extra>;

fn table_arn(t: &str) -> String {
    format!("arn:aws:dynamodb:{REGION}:{ME}:table/{t}")
}

fn db_arn(db: &str) -> String {
    arn::glue_database(REGION, ME, db)
}

// ------------------------------------------------------------------ configuration

fn config() -> impl Strategy<Value = (Config, String)> {
    let source = (
        prop::sample::select(vec!["orders", "users", "absent"]),
        prop::sample::subsequence(vec![SRC, OTHER], 0..=2),
    )
        .prop_map(|(t, a)| json!({"table": t, "allowed_target_accounts": a}));
    let target = (
        prop::sample::select(vec![ROLE_A, ROLE_B, ROLE_ELSEWHERE]),
        prop::sample::subsequence(vec![SRC, OTHER], 0..=2),
        prop::sample::select(vec!["zetl-bucket", "other-bucket"]),
    );
    (
        prop::collection::vec(source, 0..=2),
        prop::sample::subsequence(vec!["zdb", "zdb_two", "missing_db"], 0..=3),
        prop::collection::vec(target, 3),
        prop::bool::weighted(0.85),
    )
        .prop_map(|(sources, dbs, targets, fix)| {
            let targets: Vec<Value> = dbs
                .iter()
                .zip(targets)
                .map(|(db, (role, accounts, bucket))| {
                    json!({"database": db, "allowed_source_accounts": accounts,
                        "target_role_arn": role, "bucket": bucket})
                })
                .collect();
            let text =
                json!({"integrations": {"fix": fix, "sources": sources, "targets": targets}})
                    .to_string();
            let cfg = parse(&text, "proptest")
                .unwrap_or_else(|e| panic!("generated configuration is invalid: {e}\n{text}"));
            (cfg, text)
        })
}

// ------------------------------------------------------------------ world

fn foreign_doc(sid: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "glue:GetDatabase", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::888888888888:root"}, "Action": "glue:GetTable", "Resource": "*"}
    ]})
}

fn table_policy() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(None),
        2 => Just(Some(foreign_doc("TheirTableRule"))),
        1 => Just(Some(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "NoGlue", "Effect": "Deny", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "dynamodb:*", "Resource": "*"}
        ]}))),
    ]
}

fn trust() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]}))),
        Just(Some(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]}))),
    ]
}

fn other_inline() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Theirs", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}
        ]}))),
        Just(Some(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "LakewardenZeroEtlS3", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
        ]}))),
    ]
}

fn world() -> impl Strategy<Value = W> {
    (
        prop::sample::subsequence(vec!["orders", "users"], 0..=2),
        prop::sample::subsequence(vec!["orders", "users"], 0..=2),
        prop::collection::vec(table_policy(), 2),
        prop_oneof![Just(None), Just(Some(foreign_doc("TheirCatalogRule")))],
        prop::collection::vec(prop::option::of(any::<bool>()), 2),
        prop::collection::vec(0u8..4, 2),
        (
            prop::sample::subsequence(vec![ROLE_A, ROLE_B], 0..=2),
            prop::collection::vec(trust(), 2),
            prop::collection::vec(other_inline(), 2),
            prop::collection::vec(any::<bool>(), 2),
        ),
        prop::collection::vec(
            (
                prop::sample::select(vec![SRC, OTHER]),
                prop::sample::select(vec!["zdb", "zdb_two"]),
            ),
            0..=2,
        ),
    )
        .prop_map(
            |(tables, pitr, tpols, catalog, dbs, props, (roles, trusts, inlines, attached), integrations)| {
                let mut w = W::default();
                for (t, doc) in tables.iter().zip(tpols) {
                    w.ext.tables.insert(t.to_string(), table_arn(t));
                    w.set_policy(&PolicyTarget::DynamoDb { resource_arn: table_arn(t) }, doc);
                }
                w.pitr = pitr.into_iter().map(String::from).collect();
                w.set_policy(&PolicyTarget::GlueCatalog, catalog);
                for (db, state) in ["zdb", "zdb_two"].iter().zip(dbs) {
                    if let Some(located) = state {
                        w.databases.insert(
                            db.to_string(),
                            ModelDatabase {
                                location: located.then(|| "s3://zetl-bucket/".to_string()),
                                ..Default::default()
                            },
                        );
                    }
                }
                for (db, p) in ["zdb", "zdb_two"].iter().zip(props) {
                    match p {
                        0 => {}
                        1 => {
                            w.ext.property.insert(db_arn(db), None);
                        }
                        2 => {
                            w.ext.property.insert(db_arn(db), Some(ROLE_A.into()));
                        }
                        _ => {
                            w.ext.property.insert(db_arn(db), Some(ROLE_B.into()));
                        }
                    }
                }
                for (i, role) in [ROLE_A, ROLE_B].iter().enumerate() {
                    if !roles.contains(role) {
                        continue;
                    }
                    w.ext.roles.insert(role.to_string());
                    w.set_policy(&PolicyTarget::IamTrust { role_arn: role.to_string() }, trusts[i].clone());
                    w.set_policy(
                        &PolicyTarget::IamInline { role_arn: role.to_string(), name: "their-policy".into() },
                        inlines[i].clone(),
                    );
                    if attached[i] {
                        w.ext.attached.insert(
                            role.to_string(),
                            vec![json!({"Effect": "Allow", "Action": ["glue:GetDatabase", "glue:GetTables"], "Resource": "*"})],
                        );
                    }
                }
                for (n, (src, db)) in integrations.into_iter().enumerate() {
                    w.ext.integrations.push(IntegrationInfo {
                        arn: format!("arn:aws:glue:{REGION}:{ME}:integration:i{n}"),
                        name: String::new(),
                        source_arn: format!("arn:aws:dynamodb:{REGION}:{src}:table/orders"),
                        target_arn: db_arn(db),
                        status: "ACTIVE".into(),
                        errors: vec![],
                    });
                }
                w
            },
        )
}

// ------------------------------------------------------------------ observe (as observe.rs reads)

fn inline_policies<'a>(w: &'a W, role: &str) -> Vec<(&'a str, &'a Value)> {
    let prefix = format!("{role} policy ");
    w.policies
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|n| (n, v)))
        .collect()
}

fn observe(cfg: &Config, w: &W) -> Diagnosis {
    let z = cfg.integrations.as_ref().unwrap();
    let sources = z
        .sources
        .iter()
        .map(|s| {
            let table_arn = w.ext.tables.get(s.table.as_str()).cloned();
            SourceObs {
                table: s.table.to_string(),
                pitr: table_arn.is_some() && w.pitr.contains(s.table.as_str()),
                policy: table_arn.as_ref().and_then(|a| {
                    w.policy(&PolicyTarget::DynamoDb {
                        resource_arn: a.clone(),
                    })
                    .map(|d| (d.clone(), "rev".to_string()))
                }),
                table_arn,
            }
        })
        .collect();
    let catalog_policy = if z.targets.is_empty() {
        None
    } else {
        w.policy(&PolicyTarget::GlueCatalog)
            .map(|d| (d.clone(), "hash".to_string()))
    };
    let targets =
        z.targets
            .iter()
            .map(|t| {
                let role_arn = t.target_role_arn.to_string();
                let role = (arn::account_of(&role_arn) == ME && w.ext.roles.contains(&role_arn))
                    .then(|| RoleInfo {
                        name: lakewarden::aws::iam::role_name(&role_arn).to_string(),
                        arn: role_arn.clone(),
                        trust_policy: w
                            .policy(&PolicyTarget::IamTrust {
                                role_arn: role_arn.clone(),
                            })
                            .map(|d| d.to_string()),
                        boundary_arn: None,
                    });
                let mut role_statements = Vec::new();
                if role.is_some() {
                    for (_, d) in inline_policies(w, &role_arn) {
                        role_statements.extend(policy::statements(d));
                    }
                    for s in w.ext.attached.get(&role_arn).into_iter().flatten() {
                        role_statements.push(s.clone());
                    }
                }
                let our_role_policy = role.as_ref().and_then(|_| {
                    w.policy(&PolicyTarget::IamInline {
                        role_arn: role_arn.clone(),
                        name: ROLE_POLICY.into(),
                    })
                    .cloned()
                });
                TargetObs {
                    database: t.database.to_string(),
                    db: w.databases.get(t.database.as_str()).map(|d| DatabaseInfo {
                        name: t.database.to_string(),
                        catalog_id: Some(ME.into()),
                        location_uri: d.location.clone(),
                        target: None,
                    }),
                    property_role: w.ext.property.get(&db_arn(&t.database)).cloned(),
                    role,
                    role_statements,
                    our_role_policy,
                }
            })
            .collect();
    Diagnosis {
        account: ME.into(),
        region: REGION.into(),
        catalog_policy,
        sources,
        targets,
        integrations: w.ext.integrations.clone(),
    }
}

/// integration-doctor's own writes.
fn ext(w: &mut W, x: &Ext, _: &mut ApplyState) -> Result<Done, String> {
    match x {
        Ext::PutResourceProperty {
            resource_arn,
            role_arn,
            exists,
        } => {
            if *exists != w.ext.property.contains_key(resource_arn) {
                return Err(format!(
                    "property of {resource_arn}: exists = {exists} is wrong"
                ));
            }
            w.ext
                .property
                .insert(resource_arn.clone(), Some(role_arn.clone()));
            Ok(Done::Applied)
        }
        Ext::SetDatabaseLocation { database, location } => {
            let d = w
                .databases
                .get_mut(database)
                .ok_or_else(|| format!("EntityNotFoundException: {database}"))?;
            d.location = Some(location.clone());
            Ok(Done::Applied)
        }
    }
}

fn plan(cfg: &Config, w: &W) -> Plan<Ext> {
    plan::plan(
        cfg,
        &Scope::Schedule,
        &Observed::Diagnosis(Box::new(observe(cfg, w))),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: model::property_cases(), ..ProptestConfig::default() })]

    #[test]
    fn doctor_converges((cfg, text) in config(), w0 in world()) {
        let p1 = plan(&cfg, &w0);
        let mut w1 = w0.clone();
        let out = model::apply(&mut w1, &p1, ext);
        prop_assert!(out.failed.is_empty(), "config {text}\nfailed: {:?}", out.failed);

        let p2 = plan(&cfg, &w1);
        prop_assert!(p2.steps.is_empty(), "config {text}\nsecond plan fixes: {:#?}", p2.steps);
        // What a person must do stays said; nothing new appears.
        let fixable_left: BTreeSet<(String, String)> = model::skipped_set(&p1)
            .into_iter()
            .filter(|_| !cfg.integrations.as_ref().unwrap().fix)
            .collect();
        prop_assert!(model::skipped_set(&p2).iter().all(|s| model::skipped_set(&p1).contains(s) || fixable_left.contains(s)),
            "new skips: {:?}", p2.skipped);

        let mut w2 = w1.clone();
        model::apply(&mut w2, &p1, ext);
        prop_assert_eq!(&w2, &w1);

        // Foreign statements byte-identical and in place, foreign policies untouched.
        let owned = |s: &str| s.starts_with("LakewardenZeroEtl");
        for (k, doc) in &w0.policies {
            let after = w1.policies.get(k);
            if k.ends_with(" policy their-policy") {
                prop_assert_eq!(after, Some(doc), "{} changed", k);
            } else {
                prop_assert_eq!(foreign_statements(Some(doc), owned), foreign_statements(after, owned), "{}", k);
            }
        }
        // Nothing is written for a role of another account or a target nobody configured.
        for k in w1.policies.keys() {
            prop_assert!(!k.contains("999999999999"), "{} written", k);
        }
    }
}

/// Shrunk case of `doctor_converges`: two targets with one target role. Each target's fix
/// wrote its own database into the role's `LakewardenZeroEtlGlueCatalog` statement, replacing
/// the other's, so that every run "fixed" one of them again.
#[test]
fn two_targets_sharing_a_role_get_one_policy_that_serves_both() {
    let text = json!({"integrations": {"fix": true, "targets": [
        {"database": "zdb", "target_role_arn": ROLE_A, "bucket": "zetl-bucket"},
        {"database": "zdb_two", "target_role_arn": ROLE_A, "bucket": "other-bucket"},
    ]}})
    .to_string();
    let cfg = parse(&text, "t").unwrap();
    let mut w = W::default();
    w.ext.roles.insert(ROLE_A.into());
    let p1 = plan(&cfg, &w);
    let out = model::apply(&mut w, &p1, ext);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    let ours = w
        .policy(&PolicyTarget::IamInline {
            role_arn: ROLE_A.into(),
            name: ROLE_POLICY.into(),
        })
        .unwrap()
        .to_string();
    for needed in [
        db_arn("zdb"),
        db_arn("zdb_two"),
        "arn:aws:s3:::zetl-bucket/*".to_string(),
        "arn:aws:s3:::other-bucket/*".to_string(),
    ] {
        assert!(ours.contains(&needed), "{needed} missing from {ours}");
    }
    let p2 = plan(&cfg, &w);
    assert!(p2.steps.is_empty(), "{:#?}", p2.steps);
}
