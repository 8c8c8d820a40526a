use std::collections::BTreeMap;

use super::*;
use crate::aws::glue::TableInfo;
use crate::aws::ram::ShareState;
use crate::config::{parse, Producer};
use crate::lf::{LfGrant, LfResource};
use crate::policy;
use crate::reconcile::{Action, Plan, PolicyTarget, PolicyWrite};
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

fn table(db: &str, name: &str, loc: &str) -> TableInfo {
    TableInfo {
        database: db.into(),
        name: name.into(),
        location: Some(loc.into()),
    }
}

fn observed(tables: Vec<TableInfo>) -> Observed {
    let mut databases: BTreeMap<String, Vec<TableInfo>> = BTreeMap::new();
    databases.insert("cur_org".into(), tables);
    Observed {
        catalog_id: CAT.into(),
        region: "us-east-1".into(),
        databases,
        db_locations: [(
            "cur_org".to_string(),
            Some("s3://cur-data/cur/".to_string()),
        )]
        .into(),
        bucket_policies: [("cur-data".to_string(), BucketPolicy::Absent)].into(),
        ..Default::default()
    }
}

fn tables(n: usize) -> Vec<TableInfo> {
    (0..n)
        .map(|i| {
            table(
                "cur_org",
                &format!("t{i:02}"),
                &format!("s3://cur-data/cur/t{i:02}/"),
            )
        })
        .collect()
}

fn db_res() -> LfResource {
    LfResource::Database {
        catalog_id: CAT.into(),
        name: "cur_org".into(),
    }
}
fn wild_res() -> LfResource {
    LfResource::TableWildcard {
        catalog_id: CAT.into(),
        database: "cur_org".into(),
    }
}
fn tbl_res(t: &str) -> LfResource {
    LfResource::Table {
        catalog_id: CAT.into(),
        database: "cur_org".into(),
        name: t.into(),
    }
}

#[test]
fn grants_for_account_org_and_role() {
    let cfg = producer("");
    let obs = observed(vec![table(
        "cur_org",
        "legacy_all",
        "s3://cur-data/cur/legacy_all/",
    )]);
    let p = plan(&cfg, &obs);
    let grants = p.grants();
    // 3 consumers × (database + All tables)
    assert_eq!(grants.len(), 6);
    let acct_tbl = grants
        .iter()
        .find(|g| g.principal == "222222222222" && g.resource == wild_res())
        .unwrap();
    assert_eq!(
        acct_tbl.permissions,
        ["DESCRIBE", "SELECT"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    assert_eq!(
        acct_tbl.grantable, acct_tbl.permissions,
        "account consumers get grant option"
    );
    let org_db = grants
        .iter()
        .find(|g| g.principal == ORG && g.resource == db_res())
        .unwrap();
    assert_eq!(org_db.grantable.len(), 1);
    let role_tbl = grants
        .iter()
        .find(|g| g.principal == ROLE && g.resource == wild_res())
        .unwrap();
    assert!(
        role_tbl.grantable.is_empty(),
        "IAM principals get no grant option"
    );
}

#[test]
fn tables_key_keeps_named_sharing_for_matching_tables_only() {
    let cfg = producer("      tables: [\"pub_*\"]\n");
    let obs = observed(vec![
        table("cur_org", "pub_a", "s3://cur-data/cur/pub_a/"),
        table("cur_org", "secret", "s3://cur-data/cur/secret/"),
    ]);
    let grants = plan(&cfg, &obs).grants();
    assert!(grants.iter().any(|g| g.resource == tbl_res("pub_a")));
    assert!(!grants.iter().any(|g| g.resource == tbl_res("secret")));
    assert!(!grants.iter().any(|g| g.resource == wild_res()));
    // database + pub_a for each of the 3 consumers
    assert_eq!(grants.len(), 6);
}

#[test]
fn wildcard_sharing_does_not_grow_with_tables() {
    let cfg = producer("");
    assert_eq!(plan(&cfg, &observed(tables(1))).grants().len(), 6);
    assert_eq!(plan(&cfg, &observed(tables(99))).grants().len(), 6);
}

#[test]
fn a_table_outside_the_allowed_locations_is_skipped_and_alerted() {
    let cfg = producer("");
    let obs = observed(vec![
        table("cur_org", "ok", "s3://cur-data/cur/ok/"),
        table("cur_org", "payroll", "s3://payroll-bucket/"),
        table("cur_org", "wild", "s3://cur-data/*"),
    ]);
    let p = plan(&cfg, &obs);
    for bad in ["payroll", "wild"] {
        let s = p
            .skipped
            .iter()
            .find(|s| s.target == format!("table cur_org.{bad}"))
            .unwrap_or_else(|| panic!("{bad} not skipped: {:?}", p.skipped));
        assert!(s.reason.contains("refused"), "{s:?}");
        assert!(p
            .attention
            .iter()
            .any(|a| a.contains(&format!("cur_org.{bad}"))));
    }
    // Nothing of the payroll bucket is registered or opened.
    for a in p.actions() {
        let t = format!("{a:?}");
        assert!(!t.contains("payroll"), "{t}");
        assert!(!t.contains("cur-data/*/"), "{t}");
    }
}

#[test]
fn configured_locations_replace_the_database_location() {
    let cfg = producer("      locations: [\"s3://cur-data/cur/ok/\"]\n");
    let obs = observed(vec![
        table("cur_org", "ok", "s3://cur-data/cur/ok/x/"),
        table("cur_org", "other", "s3://cur-data/cur/other/"),
    ]);
    let p = plan(&cfg, &obs);
    assert!(p.skipped.iter().any(|s| s.target == "table cur_org.other"));
    let regs: Vec<_> = p
        .actions()
        .filter_map(|a| match a {
            Action::LfRegister { arn, .. } => Some(arn.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(regs, vec!["arn:aws:s3:::cur-data/cur/ok"]);
}

#[test]
fn second_plan_after_apply_is_empty() {
    let cfg = producer("");
    let mut obs = observed(tables(3));
    let first = plan(&cfg, &obs);
    for g in first.grants() {
        obs.permissions.add(g);
    }
    for a in first.actions() {
        match a {
            Action::LfRegister { arn, .. } => obs.registered.push(arn.clone()),
            Action::Policy(PolicyWrite {
                target: PolicyTarget::S3Bucket { bucket },
                planned: Some(policy),
                ..
            }) => {
                obs.bucket_policies
                    .insert(bucket.clone(), BucketPolicy::Present(policy.clone()));
            }
            _ => {}
        }
    }
    let second = plan(&cfg, &obs);
    assert!(second.steps.is_empty(), "{:?}", second.steps);
    assert_eq!(second.already.len(), first.steps.len());
}

#[test]
fn only_missing_permissions_are_granted() {
    let cfg = producer("");
    let mut obs = observed(vec![table("cur_org", "a", "s3://cur-data/cur/a/")]);
    obs.permissions.add(LfGrant::new(
        "222222222222",
        wild_res(),
        ["SELECT", "DESCRIBE"],
        false,
    ));
    let p = plan(&cfg, &obs);
    let g = p
        .grants()
        .into_iter()
        .find(|g| g.principal == "222222222222" && g.resource == wild_res())
        .unwrap();
    // The plain permissions are held; only the grant option is missing.
    assert_eq!(g.grantable.len(), 2);
}

#[test]
fn deleted_table_grants_are_revoked_but_foreign_grants_stay() {
    let cfg = producer("");
    let mut obs = observed(vec![table("cur_org", "kept", "s3://cur-data/cur/kept/")]);
    // Without positive evidence (GetTable's EntityNotFoundException) nothing is revoked.
    obs.permissions.add(LfGrant::new(
        "222222222222",
        tbl_res("unlisted"),
        ["SELECT", "DESCRIBE"],
        true,
    ));
    obs.gone_tables.insert(("cur_org".into(), "dropped".into()));
    obs.permissions.add(LfGrant::new(
        "222222222222",
        tbl_res("dropped"),
        ["SELECT", "DESCRIBE", "ALTER"],
        true,
    ));
    obs.permissions.add(LfGrant::new(
        "arn:aws:iam::111111111111:role/etl",
        tbl_res("dropped"),
        ["ALL"],
        false,
    ));
    let p = plan(&cfg, &obs);
    let revokes = p.revokes();
    assert_eq!(revokes.len(), 1, "{revokes:?}");
    assert_eq!(revokes[0].principal, "222222222222");
    assert_eq!(revokes[0].resource, tbl_res("dropped"));
    // ALTER was not granted by lakewarden: it is not revoked.
    assert_eq!(
        revokes[0].permissions,
        ["DESCRIBE", "SELECT"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
}

#[test]
fn deleted_database_revokes_database_and_table_grants() {
    let cfg = producer("");
    let mut obs = observed(vec![]);
    obs.databases.clear();
    obs.gone.insert("cur_org".into());
    obs.permissions
        .add(LfGrant::new(ORG, db_res(), ["DESCRIBE"], true));
    obs.permissions
        .add(LfGrant::new(ORG, wild_res(), ["SELECT", "DESCRIBE"], true));
    obs.permissions.add(LfGrant::new(
        ORG,
        tbl_res("x"),
        ["SELECT", "DESCRIBE"],
        true,
    ));
    let p = plan(&cfg, &obs);
    assert_eq!(p.revokes().len(), 3);
    assert!(p.grants().is_empty());
}

#[test]
fn bucket_policy_has_org_condition_and_scoped_prefixes() {
    let cfg = producer("");
    let obs = observed(vec![table("cur_org", "a", "s3://cur-data/cur/a/")]);
    let p = plan(&cfg, &obs);
    let Some(Action::Policy(PolicyWrite {
        planned: Some(doc), ..
    })) = p.actions().find(|a| {
        matches!(
            a,
            Action::Policy(PolicyWrite {
                planned: Some(_),
                ..
            })
        )
    })
    else {
        panic!("no bucket policy planned")
    };
    let st = policy::statements(doc);
    assert_eq!(st.len(), 4);
    for s in &st {
        assert!(policy::check_statement(s, &|_| true).is_ok(), "{s}");
    }
    let org_get = st
        .iter()
        .find(|s| policy::sid(s).unwrap().starts_with("LakewardenShareOrgGet"))
        .unwrap();
    assert_eq!(
        org_get["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
        json!(["o-abc123def4"])
    );
    assert_eq!(org_get["Resource"], json!(["arn:aws:s3:::cur-data/cur/*"]));
    let acc_list = st
        .iter()
        .find(|s| {
            policy::sid(s)
                .unwrap()
                .starts_with("LakewardenShareAccountsList")
        })
        .unwrap();
    assert_eq!(
        acc_list["Principal"]["AWS"],
        json!(["arn:aws:iam::222222222222:root", ROLE])
    );
    assert_eq!(
        acc_list["Condition"]["StringLike"]["s3:prefix"],
        json!(["cur/*"])
    );
}

#[test]
fn bucket_policy_merge_keeps_foreign_statement() {
    let cfg = producer("");
    let mut obs = observed(vec![table("cur_org", "a", "s3://cur-data/cur/a/")]);
    let foreign = json!({"Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": "arn:aws:s3:::cur-data/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
    obs.bucket_policies.insert(
        "cur-data".into(),
        BucketPolicy::Present(json!({"Version": "2012-10-17", "Statement": [foreign.clone()]})),
    );
    let p = plan(&cfg, &obs);
    let Some(Action::Policy(PolicyWrite {
        planned: Some(doc), ..
    })) = p.actions().find(|a| {
        matches!(
            a,
            Action::Policy(PolicyWrite {
                planned: Some(_),
                ..
            })
        )
    })
    else {
        panic!()
    };
    let st = policy::statements(doc);
    assert_eq!(st[0], foreign);
    assert_eq!(st.len(), 5);
}

#[test]
fn table_gone_from_bucket_removes_our_statements_only() {
    // Named-table sharing opens only the allowed places that hold a table.
    let cfg = producer("      tables: [\"*\"]\n");
    let with = plan(
        &cfg,
        &observed(vec![table("cur_org", "a", "s3://cur-data/cur/a/")]),
    );
    let Some(Action::Policy(PolicyWrite {
        planned: Some(doc), ..
    })) = with.steps.into_iter().map(|s| s.action).find(|a| {
        matches!(
            a,
            Action::Policy(PolicyWrite {
                planned: Some(_),
                ..
            })
        )
    })
    else {
        panic!()
    };
    let mut obs = observed(vec![]);
    obs.bucket_policies
        .insert("cur-data".into(), BucketPolicy::Present(doc));
    let p = plan(&cfg, &obs);
    assert!(p
        .actions()
        .any(|a| matches!(a, Action::Policy(PolicyWrite { target: PolicyTarget::S3Bucket { bucket }, planned: None, .. }) if bucket == "cur-data")));
}

#[test]
fn unreadable_bucket_policy_is_skipped_with_the_statement_to_add() {
    let cfg = producer("");
    let mut obs = observed(vec![table("cur_org", "a", "s3://other-acct-bucket/a/")]);
    obs.db_locations
        .insert("cur_org".into(), Some("s3://other-acct-bucket/".into()));
    obs.bucket_policies.insert(
        "other-acct-bucket".into(),
        BucketPolicy::Unreadable(crate::AwsError::new(Some("AccessDenied"), "denied")),
    );
    let p = plan(&cfg, &obs);
    let s = p
        .skipped
        .iter()
        .find(|s| s.target.contains("other-acct-bucket"))
        .unwrap();
    assert!(s.reason.contains("AccessDenied"));
    assert!(s.remedy.as_ref().unwrap().contains("LakewardenShare"));
}

#[test]
fn bucket_policy_off_means_no_statement() {
    let cfg = producer("      bucket_policy: false\n");
    let p = plan(
        &cfg,
        &observed(vec![table("cur_org", "a", "s3://cur-data/cur/a/")]),
    );
    assert!(!p.actions().any(|a| matches!(
        a,
        Action::Policy(PolicyWrite {
            planned: Some(_),
            ..
        })
    )));
}

fn registrations(p: &Plan) -> Vec<String> {
    p.actions()
        .filter_map(|a| match a {
            Action::LfRegister { arn, .. } => Some(arn.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn one_registration_covers_the_database() {
    let cfg = producer("");
    let p = plan(&cfg, &observed(tables(100)));
    assert_eq!(registrations(&p), vec!["arn:aws:s3:::cur-data/cur"]);
}

#[test]
fn a_location_covered_by_a_registered_parent_is_not_registered_again() {
    let cfg = producer("");
    let mut obs = observed(tables(3));
    obs.registered.push("arn:aws:s3:::cur-data".into());
    let p = plan(&cfg, &obs);
    assert!(registrations(&p).is_empty());
    assert!(p
        .already
        .iter()
        .any(|(k, t)| k == "lakeformation.register_location" && t == "arn:aws:s3:::cur-data/cur"));
}

#[test]
fn register_role_arn_registers_with_that_role() {
    let cfg = producer("      register_role_arn: \"arn:aws:iam::111111111111:role/lf-register\"\n");
    let p = plan(&cfg, &observed(tables(2)));
    assert!(p.actions().any(|a| matches!(a, Action::LfRegister { role_arn: Some(r), .. } if r.ends_with("role/lf-register"))));
}

#[test]
fn forty_five_named_tables_fit_in_three_batches_per_consumer() {
    let text = "producer:\n  shares:\n    - database: cur_org\n      consumers: [\"222222222222\"]\n      tables: [\"*\"]\n";
    let cfg = parse(text, "t").unwrap().producer.unwrap();
    let p = plan(&cfg, &observed(tables(45)));
    let n = p.grants().len();
    assert_eq!(n, 46);
    assert_eq!(n.div_ceil(crate::lf::LF_BATCH_LIMIT), 3);
}

#[test]
fn explicit_ram_share_created_then_extended() {
    let cfg = producer("      ram: explicit\n");
    let mut obs = observed(tables(2));
    let name = ram_share_name(&cfg.shares[0]);
    obs.ram_shares.insert(name.clone(), None);
    let p = plan(&cfg, &obs);
    let Some(Action::RamCreateShare {
        resources,
        principals,
        ..
    }) = p
        .actions()
        .find(|a| matches!(a, Action::RamCreateShare { .. }))
    else {
        panic!()
    };
    assert_eq!(resources.len(), 3);
    assert!(resources.contains(&"arn:aws:glue:us-east-1:111111111111:database/cur_org".to_string()));
    assert_eq!(principals.len(), 3);

    // Existing share lacking the new table and holding a dropped one.
    obs.databases.insert("cur_org".into(), tables(3));
    obs.ram_shares.insert(
        name.clone(),
        Some(ShareState {
            name: name.clone(),
            arn: "arn:aws:ram:us-east-1:111111111111:resource-share/x".into(),
            resources: [
                glue_db_arn("us-east-1", CAT, "cur_org"),
                glue_table_arn("us-east-1", CAT, "cur_org", "t00"),
                glue_table_arn("us-east-1", CAT, "cur_org", "t01"),
                glue_table_arn("us-east-1", CAT, "cur_org", "gone"),
                glue_table_arn("us-east-1", CAT, "cur_other", "out_of_scope"),
            ]
            .into(),
            principals: cfg.shares[0]
                .consumers
                .iter()
                .map(|c| c.to_string())
                .collect(),
        }),
    );
    let p = plan(&cfg, &obs);
    let assoc = p
        .actions()
        .find(|a| matches!(a, Action::RamAssociate { .. }))
        .unwrap();
    let dis = p
        .actions()
        .find(|a| matches!(a, Action::RamDisassociate { .. }))
        .unwrap();
    assert!(
        matches!(assoc, Action::RamAssociate { resources, principals, .. } if resources == &vec![glue_table_arn("us-east-1", CAT, "cur_org", "t02")] && principals.is_empty())
    );
    assert!(
        matches!(dis, Action::RamDisassociate { resources, .. } if resources == &vec![glue_table_arn("us-east-1", CAT, "cur_org", "gone")])
    );
}

#[test]
fn share_names_and_arns() {
    let cfg = producer("");
    assert!(ram_share_name(&cfg.shares[0]).starts_with("lakewarden-cur"));
    assert_eq!(
        db_of_glue_arn("arn:aws:glue:r:1:table/db/t").as_deref(),
        Some("db")
    );
    assert_eq!(
        db_of_glue_arn("arn:aws:glue:r:1:database/db").as_deref(),
        Some("db")
    );
    assert_eq!(db_of_glue_arn("arn:aws:glue:r:1:catalog"), None);
}

#[test]
fn a_catalog_policy_gets_the_ram_share_statement_before_the_grants() {
    let cfg = producer("");
    let mut obs = observed(tables(2));
    // No catalog policy: nothing to keep.
    assert!(!plan(&cfg, &obs).actions().any(|a| matches!(
        a,
        Action::Policy(PolicyWrite {
            target: PolicyTarget::GlueCatalog,
            ..
        })
    )));
    let foreign = json!({"Sid": "ZeroEtl", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
        "Action": "glue:CreateInboundIntegration", "Resource": "*"});
    obs.catalog_policy = Some(json!({"Version": "2012-10-17", "Statement": [foreign.clone()]}));
    let p = plan(&cfg, &obs);
    let step = p
        .steps
        .iter()
        .find(|s| {
            matches!(
                &s.action,
                Action::Policy(PolicyWrite {
                    target: PolicyTarget::GlueCatalog,
                    ..
                })
            )
        })
        .expect("catalog policy write");
    assert_eq!(step.phase(), crate::reconcile::Phase::Prepare);
    let Action::Policy(PolicyWrite {
        planned: Some(doc), ..
    }) = &step.action
    else {
        panic!()
    };
    let st = policy::statements(doc);
    assert_eq!(st[0], foreign, "foreign statement kept in place");
    assert_eq!(st[1]["Principal"]["Service"], "ram.amazonaws.com");
    assert_eq!(st[1]["Action"], "glue:ShareResource");
    // Applied: the next plan finds it in place.
    obs.catalog_policy = Some(doc.clone());
    assert!(plan(&cfg, &obs)
        .already
        .iter()
        .any(|(k, _)| k == "glue.put_resource_policy"));
}

/// The All-tables wildcard plans from configuration alone: the same actions with the tables
/// listed or not (the scheduled reconcile does not list them, `observe::needs_tables`).
#[test]
fn wildcard_plan_does_not_depend_on_the_table_list() {
    let cfg = producer("");
    let with = plan(&cfg, &observed(tables(40)));
    let without = plan(&cfg, &observed(vec![]));
    let show = |p: &Plan| p.actions().map(|a| format!("{a:?}")).collect::<Vec<_>>();
    assert_eq!(show(&with), show(&without));
    assert_eq!(
        registrations(&without),
        vec!["arn:aws:s3:::cur-data/cur".to_string()]
    );
    // Every configured place is opened, whatever holds tables today.
    let cfg = producer("      locations: [\"s3://cur-data/cur/a/\", \"s3://cur-data/cur/b/\"]\n");
    let p = plan(
        &cfg,
        &observed(vec![table("cur_org", "a1", "s3://cur-data/cur/a/a1/")]),
    );
    assert_eq!(
        registrations(&p),
        vec![
            "arn:aws:s3:::cur-data/cur/a".to_string(),
            "arn:aws:s3:::cur-data/cur/b".to_string()
        ]
    );
}

/// A database whose `LocationUri` moved to another bucket: the old bucket loses our statements
/// (it is still observed because it is registered), the new one gets them.
#[test]
fn a_moved_database_location_closes_the_old_bucket() {
    let cfg = producer("");
    let first = plan(&cfg, &observed(vec![]));
    let Some(Action::Policy(PolicyWrite {
        planned: Some(doc), ..
    })) = first.steps.into_iter().map(|s| s.action).find(|a| {
        matches!(
            a,
            Action::Policy(PolicyWrite {
                planned: Some(_),
                ..
            })
        )
    })
    else {
        panic!("no bucket policy planned")
    };
    let mut obs = observed(vec![]);
    obs.db_locations
        .insert("cur_org".into(), Some("s3://new-data/cur/".into()));
    obs.bucket_policies
        .insert("cur-data".into(), BucketPolicy::Present(doc));
    obs.bucket_policies
        .insert("new-data".into(), BucketPolicy::Absent);
    let p = plan(&cfg, &obs);
    assert!(p.actions().any(|a| matches!(a, Action::Policy(PolicyWrite { target: PolicyTarget::S3Bucket { bucket }, planned: None, .. }) if bucket == "cur-data")));
    assert!(p.actions().any(|a| matches!(a, Action::Policy(PolicyWrite { target: PolicyTarget::S3Bucket { bucket }, planned: Some(_), .. }) if bucket == "new-data")));
}

#[test]
fn tables_are_listed_only_when_the_plan_needs_them() {
    use super::observe::needs_tables;
    let all = Scope::All;
    let event = Scope::Databases(["cur_org".to_string()].into());
    let loc = Some("s3://cur-data/cur/");
    let wildcard = producer("");
    assert!(!needs_tables(&wildcard, &all, "cur_org", loc));
    assert!(needs_tables(&wildcard, &event, "cur_org", loc));
    // Nothing allowed to open: every table is refused, and the run must name them.
    assert!(needs_tables(&wildcard, &all, "cur_org", None));
    assert!(!needs_tables(
        &producer("      locations: [\"s3://cur-data/cur/\"]\n"),
        &all,
        "cur_org",
        None
    ));
    assert!(needs_tables(
        &producer("      tables: [\"cost_*\"]\n"),
        &all,
        "cur_org",
        loc
    ));
    assert!(needs_tables(
        &producer("      ram: explicit\n"),
        &all,
        "cur_org",
        loc
    ));
}
