use super::*;
use lakewarden::config::parse;

const CAT: &str = "111111111111";
const ORG: &str = "arn:aws:organizations::111111111111:organization/o-abc";
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
fn tbl_res(t: &str) -> LfResource {
    LfResource::Table {
        catalog_id: CAT.into(),
        database: "cur_org".into(),
        name: t.into(),
    }
}

fn event(detail_type: &str, detail: Value) -> Value {
    json!({"version": "0", "id": "x", "detail-type": detail_type, "source": "aws.glue",
           "account": CAT, "time": "2026-11-24T00:00:00Z", "region": "us-east-1",
           "resources": [], "detail": detail})
}

#[test]
fn trigger_scopes_glue_events_to_their_database() {
    let cfg = producer("");
    let t = trigger(
        &event(
            events::GLUE_DATABASE_CHANGE,
            json!({"databaseName": "cur_org", "typeOfChange": "CreateTable", "changedTables": ["a"]}),
        ),
        &cfg,
    )
    .unwrap();
    assert_eq!(
        t,
        Trigger::Run(Scope::Databases(["cur_org".to_string()].into()))
    );
}

#[test]
fn trigger_ignores_unconfigured_databases_and_partitions() {
    let cfg = producer("");
    let t = trigger(
        &event(
            events::GLUE_DATABASE_CHANGE,
            json!({"databaseName": "sales_private", "typeOfChange": "CreateTable", "changedTables": ["a"]}),
        ),
        &cfg,
    )
    .unwrap();
    assert!(matches!(t, Trigger::Ignore(ref why) if why.contains("sales_private")));
    let t = trigger(
        &event(
            events::GLUE_TABLE_CHANGE,
            json!({"databaseName": "cur_org", "tableName": "a", "typeOfChange": "BatchCreatePartition", "changedPartitions": ["x"]}),
        ),
        &cfg,
    )
    .unwrap();
    assert!(matches!(t, Trigger::Ignore(_)));
}

#[test]
fn trigger_schedule_is_all_and_junk_is_an_error() {
    let cfg = producer("");
    let t = trigger(
        &json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}),
        &cfg,
    )
    .unwrap();
    assert_eq!(t, Trigger::Run(Scope::All));
    let e = trigger(
        &json!({"detail-type": "Object Created", "source": "aws.s3", "detail": {}}),
        &cfg,
    )
    .unwrap_err();
    assert!(e.to_string().contains("does not handle"), "{e}");
    assert!(trigger(
        &event(
            events::GLUE_DATABASE_CHANGE,
            json!({"typeOfChange": "CreateTable"})
        ),
        &cfg
    )
    .is_err());
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
    // 3 consumers × (database + 1 table)
    assert_eq!(grants.len(), 6);
    let acct_tbl = grants
        .iter()
        .find(|g| g.principal == "222222222222" && g.resource == tbl_res("legacy_all"))
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
        .find(|g| g.principal == ROLE && g.resource == tbl_res("legacy_all"))
        .unwrap();
    assert!(
        role_tbl.grantable.is_empty(),
        "IAM principals get no grant option"
    );
}

#[test]
fn second_plan_after_apply_is_empty() {
    let cfg = producer("");
    let mut obs = observed(tables(3));
    let first = plan(&cfg, &obs);
    for g in first.grants() {
        obs.permissions.add(g);
    }
    for a in &first.actions {
        match a {
            Action::RegisterLocation { arn } => obs.registered.push(arn.clone()),
            Action::PutBucketPolicy { bucket, policy } => {
                obs.bucket_policies
                    .insert(bucket.clone(), BucketPolicy::Present(policy.clone()));
            }
            _ => {}
        }
    }
    let second = plan(&cfg, &obs);
    assert!(second.actions.is_empty(), "{:?}", second.actions);
    assert_eq!(second.already.len(), first.actions.len());
}

#[test]
fn only_missing_permissions_are_granted() {
    let cfg = producer("");
    let mut obs = observed(vec![table("cur_org", "a", "s3://cur-data/cur/a/")]);
    obs.permissions.add(LfGrant::new(
        "222222222222",
        tbl_res("a"),
        ["SELECT", "DESCRIBE"],
        false,
    ));
    let p = plan(&cfg, &obs);
    let g = p
        .grants()
        .into_iter()
        .find(|g| g.principal == "222222222222" && g.resource == tbl_res("a"))
        .unwrap();
    // The plain permissions are held; only the grant option is missing.
    assert_eq!(g.grantable.len(), 2);
}

#[test]
fn deleted_table_grants_are_revoked_but_foreign_grants_stay() {
    let cfg = producer("");
    let mut obs = observed(vec![table("cur_org", "kept", "s3://cur-data/cur/kept/")]);
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
    obs.permissions.add(LfGrant::new(
        ORG,
        tbl_res("x"),
        ["SELECT", "DESCRIBE"],
        true,
    ));
    let p = plan(&cfg, &obs);
    assert_eq!(p.revokes().len(), 2);
    assert!(p.grants().is_empty());
}

#[test]
fn bucket_policy_has_org_condition_and_scoped_prefixes() {
    let cfg = producer("");
    let obs = observed(vec![table("cur_org", "a", "s3://cur-data/cur/a/")]);
    let p = plan(&cfg, &obs);
    let Some(Action::PutBucketPolicy { policy: doc, .. }) = p
        .actions
        .iter()
        .find(|a| matches!(a, Action::PutBucketPolicy { .. }))
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
        json!(["o-abc"])
    );
    assert_eq!(
        org_get["Resource"],
        json!(["arn:aws:s3:::cur-data/cur/a/*"])
    );
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
        json!(["cur/a/*"])
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
    let Some(Action::PutBucketPolicy { policy: doc, .. }) = p
        .actions
        .iter()
        .find(|a| matches!(a, Action::PutBucketPolicy { .. }))
    else {
        panic!()
    };
    let st = policy::statements(doc);
    assert_eq!(st[0], foreign);
    assert_eq!(st.len(), 5);
}

#[test]
fn table_gone_from_bucket_removes_our_statements_only() {
    let cfg = producer("");
    let with = plan(
        &cfg,
        &observed(vec![table("cur_org", "a", "s3://cur-data/cur/a/")]),
    );
    let Some(Action::PutBucketPolicy { policy: doc, .. }) = with
        .actions
        .into_iter()
        .find(|a| matches!(a, Action::PutBucketPolicy { .. }))
    else {
        panic!()
    };
    let mut obs = observed(vec![]);
    obs.bucket_policies
        .insert("cur-data".into(), BucketPolicy::Present(doc));
    let p = plan(&cfg, &obs);
    assert!(p
        .actions
        .iter()
        .any(|a| matches!(a, Action::DeleteBucketPolicy { bucket } if bucket == "cur-data")));
}

#[test]
fn unreadable_bucket_policy_is_skipped_with_the_statement_to_add() {
    let cfg = producer("");
    let mut obs = observed(vec![table("cur_org", "a", "s3://other-acct-bucket/a/")]);
    obs.bucket_policies.insert(
        "other-acct-bucket".into(),
        BucketPolicy::Unreadable(lakewarden::AwsError::new(Some("AccessDenied"), "denied")),
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
    assert!(!p
        .actions
        .iter()
        .any(|a| matches!(a, Action::PutBucketPolicy { .. })));
}

#[test]
fn locations_registered_once_unless_covered() {
    let cfg = producer("");
    let mut obs = observed(vec![
        table("cur_org", "a", "s3://cur-data/cur/a/"),
        table("cur_org", "b", "s3://cur-data/cur/a/"),
        table("cur_org", "c", "s3://cur-data/other/c/"),
    ]);
    obs.registered.push("arn:aws:s3:::cur-data/other".into());
    let p = plan(&cfg, &obs);
    let regs: Vec<_> = p
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::RegisterLocation { arn } => Some(arn.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(regs, vec!["arn:aws:s3:::cur-data/cur/a"]);
}

#[test]
fn forty_five_tables_fit_in_three_batches_per_consumer() {
    let text =
        "producer:\n  shares:\n    - database: cur_org\n      consumers: [\"222222222222\"]\n";
    let cfg = parse(text, "t").unwrap().producer.unwrap();
    let p = plan(&cfg, &observed(tables(45)));
    let n = p.grants().len();
    assert_eq!(n, 46);
    assert_eq!(n.div_ceil(lakewarden::lf::LF_BATCH_LIMIT), 3);
}

#[test]
fn explicit_ram_share_created_then_extended() {
    let cfg = producer("      ram: explicit\n");
    let mut obs = observed(tables(2));
    let name = ram_share_name(&cfg.shares[0]);
    obs.ram_shares.insert(name.clone(), None);
    let p = plan(&cfg, &obs);
    let Some(Action::CreateShare {
        resources,
        principals,
        ..
    }) = p
        .actions
        .iter()
        .find(|a| matches!(a, Action::CreateShare { .. }))
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
            principals: cfg.shares[0].consumers.iter().cloned().collect(),
        }),
    );
    let p = plan(&cfg, &obs);
    let assoc = p
        .actions
        .iter()
        .find(|a| matches!(a, Action::Associate { .. }))
        .unwrap();
    let dis = p
        .actions
        .iter()
        .find(|a| matches!(a, Action::Disassociate { .. }))
        .unwrap();
    assert!(
        matches!(assoc, Action::Associate { resources, principals, .. } if resources == &vec![glue_table_arn("us-east-1", CAT, "cur_org", "t02")] && principals.is_empty())
    );
    assert!(
        matches!(dis, Action::Disassociate { resources, .. } if resources == &vec![glue_table_arn("us-east-1", CAT, "cur_org", "gone")])
    );
}

#[test]
fn share_names_and_arns() {
    let cfg = producer("");
    assert!(ram_share_name(&cfg.shares[0]).starts_with("lakewarden-cur"));
    assert_eq!(db_of_glue_arn("arn:aws:glue:r:1:table/db/t"), Some("db"));
    assert_eq!(db_of_glue_arn("arn:aws:glue:r:1:database/db"), Some("db"));
    assert_eq!(db_of_glue_arn("arn:aws:glue:r:1:catalog"), None);
}
