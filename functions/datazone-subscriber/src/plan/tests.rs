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
fn the_widened_copy_allows_exactly_the_configured_prefixes() {
    let w = widened_boundary(&datazone_like_boundary(), &cfg(""));
    assert!(boundary_allows_list(&w, &loc("s3://sales-raw/order/")));
    assert!(!boundary_allows_list(&w, &loc("s3://sales-raw/secret/")));
    assert!(!boundary_allows_list(&w, &loc("s3://elsewhere/order/")));
    assert!(
        boundary_allows_list(&w, &loc("s3://sales-raw/datazone/x/")),
        "original statements kept"
    );
    // Widening twice changes nothing.
    assert_eq!(widened_boundary(&w, &cfg("")), w);
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
