use super::*;
use lakewarden::config::parse;

fn cfg(extra: &str) -> DataZone {
    parse(&format!("datazone:\n  domains: [dzd_abc123]\n  buckets: [{{ bucket: sales-raw, prefixes: [\"order/\"] }}]\n  databases: [cm_kasama_sales]\n  fulfil_targets: [tgt1]\n{extra}"), "t")
        .unwrap()
        .datazone
        .unwrap()
}

fn loc(s: &str) -> S3Location {
    S3Location::parse(s).unwrap()
}

fn datazone_like_boundary() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*", "Condition": {"StringLike": {"s3:prefix": ["datazone/*"]}}},
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]})
}

#[test]
fn the_boundary_evaluation_follows_prefix_conditions() {
    let b = datazone_like_boundary();
    assert!(boundary_allows_list(&b, &loc("s3://sales-raw/datazone/x/")));
    assert!(!boundary_allows_list(&b, &loc("s3://sales-raw/order/")));
    let open = json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::sales-raw"}]});
    assert!(boundary_allows_list(&open, &loc("s3://sales-raw/order/")));
    assert!(!boundary_allows_list(&open, &loc("s3://other/order/")));
}

#[test]
fn the_widened_copy_adds_exactly_the_configured_prefixes_to_the_list_bucket_condition() {
    let base = datazone_like_boundary();
    let w = widened_boundary(&base, &cfg(""));
    assert!(boundary_allows_list(&w, &loc("s3://sales-raw/order/")));
    assert!(boundary_allows_list(
        &w,
        &loc("s3://sales-raw/order/orders/")
    ));
    assert!(!boundary_allows_list(&w, &loc("s3://sales-raw/secret/")));
    assert!(
        boundary_allows_list(&w, &loc("s3://sales-raw/datazone/x/")),
        "original prefixes kept"
    );
    // Only the condition changed: the same statements, the ListBucket one with one more prefix.
    let (b, ws) = (policy::statements(&base), policy::statements(&w));
    assert_eq!(b.len(), ws.len());
    assert_eq!(b[1], ws[1]);
    let mut expected = b[0].clone();
    expected["Condition"]["StringLike"]["s3:prefix"] = json!(["datazone/*", "order/*"]);
    assert_eq!(ws[0], expected);
    // Widening twice changes nothing; prefixes of other buckets are added once.
    assert_eq!(widened_boundary(&w, &cfg("")), w);
    let two = cfg("").tap_buckets(&[("sales-raw", &["order/", "returns/"]), ("ref", &["order/"])]);
    let w2 = widened_boundary(&base, &two);
    assert_eq!(
        policy::statements(&w2)[0]["Condition"]["StringLike"]["s3:prefix"],
        json!(["datazone/*", "order/*", "returns/*"])
    );
}

#[test]
fn a_boundary_without_a_prefix_condition_gets_a_statement_for_exactly_the_configured_locations() {
    let base = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
    assert!(!boundary_allows_list(&base, &loc("s3://sales-raw/order/")));
    let w = widened_boundary(&base, &cfg(""));
    assert!(boundary_allows_list(&w, &loc("s3://sales-raw/order/")));
    assert!(!boundary_allows_list(&w, &loc("s3://sales-raw/secret/")));
    assert!(!boundary_allows_list(&w, &loc("s3://elsewhere/order/")));
    assert_eq!(policy::statements(&w)[0], policy::statements(&base)[0]);
    // A bucket configured without prefixes: ListBucket on that bucket only.
    let whole = cfg("").tap_buckets(&[("ref", &[])]);
    let w = widened_boundary(&base, &whole);
    assert!(boundary_allows_list(&w, &loc("s3://ref/anything/")));
    assert!(!boundary_allows_list(&w, &loc("s3://sales-raw/order/")));
}

#[test]
fn the_copy_is_always_made_from_the_original_boundary() {
    let copy_arn = "arn:aws:iam::1:policy/lakewarden-boundary-u".to_string();
    let source = "arn:aws:iam::1:policy/team-boundary".to_string();
    let base = datazone_like_boundary();
    let first = plan_environment(
        &cfg("  boundary_copy: true\n"),
        &EnvObserved {
            account: "1".into(),
            region: "us-east-1".into(),
            role_arn: "arn:aws:iam::1:role/u".into(),
            boundary_arn: Some(source.clone()),
            boundary_doc: Some(base.clone()),
            ..Default::default()
        },
    );
    let Some(Action::CreateBoundaryCopy {
        document,
        description,
        name,
    }) = first
        .actions
        .iter()
        .find(|a| matches!(a, Action::CreateBoundaryCopy { .. }))
    else {
        panic!("{:?}", first.actions)
    };
    assert_eq!(name, "lakewarden-boundary-u");
    assert_eq!(copy_source(description).as_deref(), Some(source.as_str()));
    assert!(
        matches!(first.actions.last(), Some(Action::AttachBoundary { arn, .. }) if *arn == copy_arn)
    );
    // The role now has the copy; the configuration drops order/ for returns/: the new version
    // is made from the original, so order/ is gone.
    let on_copy = EnvObserved {
        account: "1".into(),
        region: "us-east-1".into(),
        role_arn: "arn:aws:iam::1:role/u".into(),
        boundary_arn: Some(copy_arn.clone()),
        boundary_doc: Some(document.clone()),
        copy: Some((
            copy_arn.clone(),
            document.clone(),
            vec![("v1".into(), true)],
        )),
        copy_source: Some((source.clone(), base.clone())),
        ..Default::default()
    };
    let same = plan_environment(&cfg("  boundary_copy: true\n"), &on_copy);
    assert!(
        same.actions.iter().all(|a| !a.kind().contains("boundary")),
        "{:?}",
        same.actions
    );
    let returns = cfg("  boundary_copy: true\n").tap_buckets(&[("sales-raw", &["returns/"])]);
    let p = plan_environment(&returns, &on_copy);
    let Some(Action::UpdateBoundaryCopy {
        document,
        delete_version,
        ..
    }) = p
        .actions
        .iter()
        .find(|a| matches!(a, Action::UpdateBoundaryCopy { .. }))
    else {
        panic!("{:?}", p.actions)
    };
    assert_eq!(delete_version, &None);
    assert!(boundary_allows_list(
        document,
        &loc("s3://sales-raw/returns/")
    ));
    assert!(!boundary_allows_list(
        document,
        &loc("s3://sales-raw/order/")
    ));
    assert!(!p
        .actions
        .iter()
        .any(|a| matches!(a, Action::AttachBoundary { .. })));
}

#[test]
fn versions_are_pruned_within_the_limit_of_five() {
    let v = |ids: &[(&str, bool)]| -> Vec<(String, bool)> {
        ids.iter().map(|(i, d)| (i.to_string(), *d)).collect()
    };
    assert_eq!(version_to_prune(&v(&[("v1", true), ("v2", false)])), None);
    assert_eq!(
        version_to_prune(&v(&[
            ("v10", false),
            ("v9", false),
            ("v12", true),
            ("v11", false),
            ("v13", false)
        ])),
        Some("v9".into())
    );
}

#[test]
fn a_large_boundary_is_not_copied_and_a_person_is_told() {
    let big_statements: Vec<Value> = (0..120)
        .map(|i| json!({"Sid": format!("S{i}"), "Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::some-long-bucket-name-{i}/*")}))
        .chain([json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*", "Condition": {"StringLike": {"s3:prefix": ["datazone/*"]}}})])
        .collect();
    let doc = json!({"Version": "2012-10-17", "Statement": big_statements});
    assert!(policy_size(&doc) > MANAGED_POLICY_MAX);
    let o = EnvObserved {
        account: "1".into(),
        region: "us-east-1".into(),
        role_arn: "arn:aws:iam::1:role/u".into(),
        boundary_arn: Some("arn:aws:iam::aws:policy/X".into()),
        boundary_doc: Some(doc),
        ..Default::default()
    };
    let p = plan_environment(&cfg("  boundary_copy: true\n"), &o);
    assert!(!p.actions.iter().any(|a| matches!(
        a,
        Action::CreateBoundaryCopy { .. } | Action::AttachBoundary { .. }
    )));
    assert!(p.attention.iter().any(|a| a.contains("6144")));
}

#[test]
fn a_copy_update_prunes_the_oldest_version_at_the_limit() {
    let o = EnvObserved {
        account: "1".into(),
        region: "us-east-1".into(),
        role_arn: "arn:aws:iam::1:role/u".into(),
        boundary_arn: Some("arn:aws:iam::1:policy/lakewarden-boundary-u".into()),
        boundary_doc: Some(datazone_like_boundary()),
        copy: Some((
            "arn:aws:iam::1:policy/lakewarden-boundary-u".into(),
            datazone_like_boundary(),
            vec![
                ("v3".into(), false),
                ("v2".into(), false),
                ("v7".into(), true),
                ("v5".into(), false),
                ("v6".into(), false),
            ],
        )),
        copy_source: Some((
            "arn:aws:iam::1:policy/team-boundary".into(),
            datazone_like_boundary(),
        )),
        ..Default::default()
    };
    let p = plan_environment(&cfg("  boundary_copy: true\n"), &o);
    let Some(Action::UpdateBoundaryCopy { delete_version, .. }) = p
        .actions
        .iter()
        .find(|a| matches!(a, Action::UpdateBoundaryCopy { .. }))
    else {
        panic!("{:?}", p.actions)
    };
    assert_eq!(delete_version.as_deref(), Some("v2"));
    // Without the original boundary, the copy is left alone and a person is told.
    let p = plan_environment(
        &cfg("  boundary_copy: true\n"),
        &EnvObserved {
            copy_source: None,
            ..o
        },
    );
    assert!(p.actions.iter().all(|a| !a.kind().contains("boundary")));
    assert!(p.attention.iter().any(|a| a.contains("copied from")));
}

#[test]
fn locations_outside_the_configuration_are_never_granted() {
    let c = cfg("");
    assert!(location_allowed(&c, &loc("s3://sales-raw/order/orders/")));
    assert!(!location_allowed(&c, &loc("s3://sales-raw/hr/salaries/")));
    let o = GrantObserved {
        account: "1".into(),
        grant: "g".into(),
        asset: "a".into(),
        role_arn: "arn:aws:iam::1:role/u".into(),
        target_database: "sub".into(),
        catalog: "1".into(),
        database: "cm_kasama_sales".into(),
        table_name: "salaries".into(),
        table: Some(TableInfo {
            database: "cm_kasama_sales".into(),
            name: "salaries".into(),
            location: Some("s3://sales-raw/hr/salaries/".into()),
        }),
        ..Default::default()
    };
    let p = plan_grant(&c, &o);
    assert_eq!(p.actions.len(), 1);
    assert!(
        matches!(&p.actions[0], Action::GrantStatus { status, failure: Some(f), .. } if status == "GRANT_FAILED" && f.contains("outside"))
    );
}

#[test]
fn a_cross_account_table_gets_a_link_in_the_target_database() {
    let o = GrantObserved {
        account: "1".into(),
        grant: "g".into(),
        asset: "a".into(),
        role_arn: "arn:aws:iam::1:role/u".into(),
        target_database: "sub".into(),
        catalog: "2".into(),
        database: "cm_kasama_sales".into(),
        table_name: "orders".into(),
        table: Some(TableInfo {
            database: "cm_kasama_sales".into(),
            name: "orders".into(),
            location: Some("s3://sales-raw/order/orders/".into()),
        }),
        ..Default::default()
    };
    let p = plan_grant(&cfg(""), &o);
    assert!(p.actions.iter().any(|a| matches!(a, Action::CreateTableLink { database, catalog, .. } if database == "sub" && catalog == "2")));
    assert!(
        matches!(p.actions.last(), Some(Action::GrantStatus { status, target_name: Some(t), .. }) if status == "GRANTED" && t == "cm_kasama_sales_orders")
    );
    // LF on the producer's table (its catalog) and DESCRIBE on the link (ours).
    let grants: Vec<String> = p
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Grant(g) => Some(g.to_string()),
            _ => None,
        })
        .collect();
    assert!(
        grants
            .iter()
            .any(|g| g.contains("table 2:cm_kasama_sales.orders [DESCRIBE, SELECT]")),
        "{grants:?}"
    );
    assert!(
        grants
            .iter()
            .any(|g| g.contains("table 1:sub.cm_kasama_sales_orders [DESCRIBE]")),
        "{grants:?}"
    );

    // The revoke undoes the grants, the link grant and the link.
    let held: LfState = p
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Grant(g) => Some(g.clone()),
            _ => None,
        })
        .collect();
    let r = plan_revoke(
        &cfg(""),
        &GrantObserved {
            permissions: held,
            link_exists: true,
            ..o
        },
    );
    let revoked = r
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Revoke(_)))
        .count();
    assert_eq!(revoked, 3, "{:?}", r.actions);
    assert!(r.actions.iter().any(|a| matches!(a, Action::DeleteTableLink { database, name } if database == "sub" && name == "cm_kasama_sales_orders")));
}

fn observed_grant() -> GrantObserved {
    GrantObserved {
        account: "1".into(),
        grant: "grt-1".into(),
        asset: "a".into(),
        role_arn: "arn:aws:iam::1:role/u".into(),
        target_database: "sub".into(),
        catalog: "1".into(),
        database: "cm_kasama_sales".into(),
        table_name: "orders".into(),
        table: Some(TableInfo {
            database: "cm_kasama_sales".into(),
            name: "orders".into(),
            location: Some("s3://sales-raw/order/orders/".into()),
        }),
        ..Default::default()
    }
}

/// Apply a plan's policy and LF actions to the observed state (what a second delivery reads).
fn after(o: &GrantObserved, p: &Plan) -> GrantObserved {
    let mut next = o.clone();
    for a in &p.actions {
        match a {
            Action::Grant(g) => next.permissions.add(g.clone()),
            Action::PutRolePolicy { document, .. } => next.role_policy = Some(document.clone()),
            Action::DeleteRolePolicy { .. } => next.role_policy = None,
            Action::GrantStatus { status, .. } => next.grant_status = Some(status.clone()),
            _ => {}
        }
    }
    next
}

#[test]
fn a_grant_is_fulfilled_once_and_its_statements_carry_the_grant_id() {
    let team = json!({"Sid": "TeamScratch", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::scratch/*"});
    let o = GrantObserved {
        role_policy: Some(json!({"Version": "2012-10-17", "Statement": [team.clone()]})),
        ..observed_grant()
    };
    let p = plan_grant(&cfg(""), &o);
    let Some(Action::PutRolePolicy { document, .. }) = p
        .actions
        .iter()
        .find(|a| matches!(a, Action::PutRolePolicy { .. }))
    else {
        panic!("{:?}", p.actions)
    };
    let stmts = policy::statements(document);
    let sids: Vec<&str> = stmts.iter().filter_map(|s| s["Sid"].as_str()).collect();
    assert!(sids.contains(&"TeamScratch"));
    let ours: Vec<&&str> = sids
        .iter()
        .filter(|s| s.starts_with("Lakewarden"))
        .collect();
    assert_eq!(ours.len(), 2);
    let frag = policy::sid_fragment("grt-1");
    assert!(ours.iter().all(|s| s.ends_with(&frag)), "{ours:?}");
    assert!(document
        .to_string()
        .contains("arn:aws:s3:::sales-raw/order/orders/*"));
    assert!(
        matches!(p.actions.last(), Some(Action::GrantStatus { status, .. }) if status == "GRANTED")
    );

    // Second delivery: nothing to do, DataZone already says GRANTED.
    let again = plan_grant(&cfg(""), &after(&o, &p));
    assert!(again.actions.is_empty(), "{:?}", again.actions);

    // The revoke removes exactly our two statements and the table grant; the database DESCRIBE
    // stays because the environment itself is granted that database (datazone.databases).
    let granted = after(&o, &p);
    let r = plan_revoke(&cfg(""), &granted);
    let Some(Action::PutRolePolicy { document, .. }) = r
        .actions
        .iter()
        .find(|a| matches!(a, Action::PutRolePolicy { .. }))
    else {
        panic!("{:?}", r.actions)
    };
    assert_eq!(policy::statements(document), vec![team]);
    let revokes: Vec<String> = r
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Revoke(g) => Some(g.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(revokes.len(), 1, "{revokes:?}");
    assert!(revokes[0].contains("table 1:cm_kasama_sales.orders"));
    assert!(
        matches!(r.actions.last(), Some(Action::GrantStatus { status, .. }) if status == "REVOKED")
    );
    // Outside the environment's databases the database DESCRIBE goes too.
    let r = plan_revoke(&cfg("").tap_databases(&[]), &granted);
    assert_eq!(
        r.actions
            .iter()
            .filter(|a| matches!(a, Action::Revoke(_)))
            .count(),
        2
    );
}

trait Tap {
    fn tap_domains(self, domains: &[&str]) -> Self;
    fn tap_databases(self, dbs: &[&str]) -> Self;
    fn tap_buckets(self, buckets: &[(&str, &[&str])]) -> Self;
}
impl Tap for DataZone {
    fn tap_domains(mut self, domains: &[&str]) -> Self {
        self.domains = domains.iter().map(|s| s.to_string()).collect();
        self
    }
    fn tap_databases(mut self, dbs: &[&str]) -> Self {
        self.databases = dbs.iter().map(|s| s.to_string()).collect();
        self
    }
    fn tap_buckets(mut self, buckets: &[(&str, &[&str])]) -> Self {
        self.buckets = buckets
            .iter()
            .map(|(b, p)| lakewarden::config::DataZoneBucket {
                bucket: b.to_string(),
                prefixes: p.iter().map(|s| s.to_string()).collect(),
            })
            .collect();
        self
    }
}

#[test]
fn a_missing_table_fails_the_grant_with_the_reason() {
    let o = GrantObserved {
        table: None,
        ..observed_grant()
    };
    let p = plan_grant(&cfg(""), &o);
    assert_eq!(p.actions.len(), 1);
    assert!(
        matches!(&p.actions[0], Action::GrantStatus { status, failure: Some(f), .. } if status == "GRANT_FAILED" && f.contains("does not exist"))
    );
    assert!(p.attention.iter().any(|a| a.contains("grt-1")));
}

#[test]
fn an_environment_gets_locations_grants_and_policy_and_the_boundary_stays() {
    let o = EnvObserved {
        account: "1".into(),
        region: "us-east-1".into(),
        role_arn: "arn:aws:iam::1:role/datazone_usr_e".into(),
        databases_present: vec!["cm_kasama_sales".into()],
        boundary_arn: Some(
            "arn:aws:iam::aws:policy/AmazonDataZoneEnvironmentRolePermissionsBoundary".into(),
        ),
        boundary_doc: Some(datazone_like_boundary()),
        ..Default::default()
    };
    let p = plan_environment(&cfg(""), &o);
    let kinds: Vec<&str> = p.actions.iter().map(Action::kind).collect();
    assert_eq!(
        kinds,
        vec![
            "lakeformation.register_location",
            "lakeformation.grant",
            "lakeformation.grant",
            "lakeformation.grant",
            "iam.put_role_policy"
        ]
    );
    assert!(
        matches!(&p.actions[0], Action::RegisterLocation { arn } if arn == "arn:aws:s3:::sales-raw/order")
    );
    assert!(
        matches!(&p.actions[1], Action::Grant(g) if g.permissions.contains("DATA_LOCATION_ACCESS"))
    );
    let Action::PutRolePolicy { document, .. } = &p.actions[4] else {
        unreachable!()
    };
    let text = document.to_string();
    for arn in [
        "arn:aws:glue:us-east-1:1:catalog",
        "arn:aws:glue:us-east-1:1:database/cm_kasama_sales",
        "arn:aws:glue:us-east-1:1:table/cm_kasama_sales/*",
        "arn:aws:s3:::sales-raw/order/*",
        "arn:aws:s3:::sales-raw",
    ] {
        assert!(text.contains(arn), "{arn} in {text}");
    }
    assert!(policy::statements(document)
        .iter()
        .all(|s| s["Sid"].as_str().unwrap().starts_with("Lakewarden")));
    // Nothing touches the boundary without boundary_copy; the report says it blocks ListBucket.
    assert!(!p
        .actions
        .iter()
        .any(|a| matches!(a, Action::AttachBoundary { .. })));
    let eval = p
        .notes
        .iter()
        .find(|n| n.get("evaluation").is_some())
        .unwrap();
    assert_eq!(eval["evaluation"][0]["list_bucket_allowed"], false);
    // A missing configured database is skipped and told, not failed.
    let p = plan_environment(
        &cfg(""),
        &EnvObserved {
            databases_present: vec![],
            ..o
        },
    );
    assert_eq!(p.skipped.len(), 1);
    assert!(p.attention[0].contains("cm_kasama_sales"));
}

#[test]
fn events_of_other_domains_are_ignored() {
    let e = json!({"detail-type": "Subscription Grant Requested", "source": "aws.datazone",
        "detail": {"metadata": {"id": "g", "domain": "dzd_other"}, "data": {}}});
    assert!(matches!(trigger(&e, &cfg("")).unwrap(), Trigger::Ignore(_)));
    let bad = json!({"detail-type": "Subscription Grant Requested", "source": "aws.datazone",
        "detail": {"metadata": {"id": "g", "domain": "dzd_abc123"}, "data": {}}});
    assert!(trigger(&bad, &cfg("")).is_err());
}

#[test]
fn a_grant_that_cannot_be_resolved_is_reported_failed_for_its_pending_assets() {
    use lakewarden::aws::AwsError;
    assert!(permanent(&AwsError::new(
        Some("ResourceNotFoundException"),
        "Listing l not found"
    )));
    assert!(permanent(&AwsError::new(Some("NoUserRole"), "x")));
    assert!(!permanent(&AwsError::new(
        Some("ThrottlingException"),
        "slow down"
    )));
    let assets = vec![
        ("a1".to_string(), "GRANT_PENDING".to_string()),
        ("a2".to_string(), "GRANTED".to_string()),
    ];
    let p = plan_failed(&Kind::GrantRequested, "g", &assets, "Listing l not found");
    assert_eq!(
        p.actions,
        vec![Action::GrantStatus {
            grant: "g".into(),
            asset: "a1".into(),
            status: "GRANT_FAILED".into(),
            failure: Some("Listing l not found".into()),
            target_name: None
        }]
    );
    assert!(p.attention[0].contains("could not be fulfilled"));
    let revoking = vec![("a1".to_string(), "REVOKE_PENDING".to_string())];
    let p = plan_failed(&Kind::Revoke, "g", &revoking, "gone");
    assert!(
        matches!(&p.actions[0], Action::GrantStatus { status, .. } if status == "REVOKE_FAILED")
    );
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/../../tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).unwrap()
}

#[test]
fn the_event_fixtures_mean_what_the_readme_says() {
    let c = cfg("").tap_domains(&["dzd_abc123"]);
    let Trigger::Run(env) = trigger(
        &fixture("datazone-environment-deployment-completed.json"),
        &c,
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(
        (env.kind, env.domain.as_str(), env.id.as_str()),
        (Kind::EnvironmentDeployed, "dzd_abc123", "env_consumer")
    );
    let Trigger::Run(g) =
        trigger(&fixture("datazone-subscription-grant-requested.json"), &c).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (g.kind, g.id.as_str()),
        (Kind::GrantRequested, "grt_orders")
    );
    assert_eq!(g.listing, Some(("lst_orders".into(), Some("1".into()))));
    assert_eq!(
        g.target,
        Some(("tgt_glue_consumer".into(), "env_consumer".into()))
    );
    for f in [
        "datazone-subscription-grant-revoke-requested.json",
        "datazone-subscription-revoked.json",
        "datazone-subscription-cancelled.json",
    ] {
        let Trigger::Run(r) = trigger(&fixture(f), &c).unwrap() else {
            panic!("{f}")
        };
        assert_eq!((r.kind, r.id.as_str()), (Kind::Revoke, "grt_orders"), "{f}");
        assert_eq!(r.listing, g.listing, "{f}");
        assert_eq!(r.target, g.target, "{f}");
    }
    assert_eq!(
        trigger(&fixture("scheduled.json"), &c).unwrap(),
        Trigger::Reconcile
    );
    assert!(trigger(&fixture("glue-create-table.json"), &c).is_err());
}

#[test]
fn every_statement_written_passes_the_policy_check() {
    let c = cfg("");
    let mut stmts = env_statements(&c, "us-east-1", "1");
    stmts.extend(policy::statements(&widened_boundary(
        &datazone_like_boundary(),
        &c,
    )));
    let p = plan_grant(&c, &observed_grant());
    for a in &p.actions {
        if let Action::PutRolePolicy { document, .. } = a {
            stmts.extend(policy::statements(document));
        }
    }
    assert!(stmts.len() > 5);
    for st in &stmts {
        assert!(policy::check_statement(st, &|_| false).is_ok(), "{st}");
    }
}

#[test]
fn a_revoke_keeps_what_another_granted_subscription_to_the_same_table_uses() {
    let o = observed_grant();
    let granted = after(&o, &plan_grant(&cfg(""), &o));
    let r = plan_revoke(
        &cfg("").tap_databases(&[]),
        &GrantObserved {
            other_grant_holds_table: true,
            ..granted
        },
    );
    assert!(
        !r.actions
            .iter()
            .any(|a| matches!(a, Action::Revoke(_) | Action::DeleteTableLink { .. })),
        "{:?}",
        r.actions
    );
    assert!(r
        .actions
        .iter()
        .any(|a| matches!(a, Action::DeleteRolePolicy { .. })));
    assert!(
        matches!(r.actions.last(), Some(Action::GrantStatus { status, .. }) if status == "REVOKED")
    );
}

#[test]
fn a_subscription_event_stands_for_the_grants_of_its_listing_to_its_target() {
    use lakewarden::aws::datazone::GrantSummary;
    let c = cfg("").tap_domains(&["dzd_abc123"]);
    let Trigger::Run(r) = trigger(&fixture("datazone-subscription-revoked.json"), &c).unwrap()
    else {
        panic!()
    };
    assert!(r.by_subscription);
    let Trigger::Run(g) = trigger(
        &fixture("datazone-subscription-grant-revoke-requested.json"),
        &c,
    )
    .unwrap() else {
        panic!()
    };
    assert!(!g.by_subscription);
    let grant = |id: &str, target: &str, listing: &str| GrantSummary {
        id: id.into(),
        target_id: target.into(),
        environment_id: Some("env_consumer".into()),
        listing: Some((listing.into(), "1".into())),
        assets: vec![("a".into(), "GRANTED".into())],
    };
    let found = grants_of_subscription(
        &r,
        &[
            grant("g1", "tgt_glue_consumer", "lst_orders"),
            grant("g2", "tgt_other", "lst_orders"),
            grant("g3", "tgt_glue_consumer", "lst_other"),
        ],
    );
    assert_eq!(found.len(), 1);
    assert_eq!(
        (
            found[0].kind.clone(),
            found[0].id.as_str(),
            found[0].by_subscription
        ),
        (Kind::Revoke, "g1", false)
    );
}
