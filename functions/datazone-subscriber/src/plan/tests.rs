use super::*;
use crate::observe::{Item, Observed};
use crate::trigger::{self, trigger, GrantRef, Scope};
use lakewarden::aws::glue::{TableInfo, TableLinkInfo, MANAGED_BY};
use lakewarden::config::parse;
use lakewarden::policy;
use lakewarden::reconcile::{Step, Trigger};

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

fn exts(p: &DzPlan) -> Vec<&Ext> {
    p.actions()
        .filter_map(|a| match a {
            Action::Ext(x) => Some(x),
            _ => None,
        })
        .collect()
}

/// The inline policy writes of a plan: Some(document) for a put, None for a delete.
fn policy_writes(p: &DzPlan) -> Vec<Option<Value>> {
    p.actions()
        .filter_map(|a| match a {
            Action::Policy(w) => Some(w.planned.clone()),
            _ => None,
        })
        .collect()
}

/// (status, phase) of every DataZone status the plan reports, in plan order.
fn statuses(p: &DzPlan) -> Vec<(String, Phase)> {
    p.steps
        .iter()
        .filter_map(|s: &Step<Ext>| match &s.action {
            Action::DataZoneGrantStatus { status, .. } => Some((status.clone(), s.phase())),
            _ => None,
        })
        .collect()
}

/// The one inline policy put of a plan.
fn one_put(p: &DzPlan) -> Value {
    match policy_writes(p).as_slice() {
        [Some(d)] => d.clone(),
        other => panic!("{other:?} in {:?}", p.steps),
    }
}

fn lf(p: &DzPlan, revoke: bool) -> Vec<String> {
    (if revoke { p.revokes() } else { p.grants() })
        .iter()
        .map(|g| g.to_string())
        .collect()
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
    let x = exts(&first);
    let Some(Ext::CreateBoundaryCopy {
        document,
        description,
        name,
    }) = x.first()
    else {
        panic!("{:?}", first.steps)
    };
    assert_eq!(name, "lakewarden-boundary-u");
    assert_eq!(copy_source(description).as_deref(), Some(source.as_str()));
    assert!(matches!(x.last(), Some(Ext::AttachBoundary { arn, .. }) if *arn == copy_arn));
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
    assert!(exts(&same).is_empty(), "{:?}", same.steps);
    let returns = cfg("  boundary_copy: true\n").tap_buckets(&[("sales-raw", &["returns/"])]);
    let p = plan_environment(&returns, &on_copy);
    let x = exts(&p);
    assert_eq!(
        x.len(),
        1,
        "no version pruned below the limit, no attach: {x:?}"
    );
    let Ext::UpdateBoundaryCopy { document, .. } = x[0] else {
        panic!("{x:?}")
    };
    assert!(boundary_allows_list(
        document,
        &loc("s3://sales-raw/returns/")
    ));
    assert!(!boundary_allows_list(
        document,
        &loc("s3://sales-raw/order/")
    ));
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
    assert!(exts(&p).is_empty());
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
    let x = exts(&p);
    // The oldest non-default version goes before the new one is added.
    assert!(
        matches!(x.as_slice(), [Ext::DeleteBoundaryVersion { version, .. }, Ext::UpdateBoundaryCopy { .. }] if version == "v2"),
        "{x:?}"
    );
    // Without the original boundary, the copy is left alone and a person is told.
    let p = plan_environment(
        &cfg("  boundary_copy: true\n"),
        &EnvObserved {
            copy_source: None,
            ..o
        },
    );
    assert!(exts(&p).is_empty());
    assert!(p.attention.iter().any(|a| a.contains("copied from")));
}

fn observed_grant() -> GrantObserved {
    GrantObserved {
        domain: "dzd_abc123".into(),
        account: "111111111111".into(),
        grant: "grt-1".into(),
        asset: "a".into(),
        role_arn: "arn:aws:iam::111111111111:role/u".into(),
        target_database: "sub".into(),
        catalog: "111111111111".into(),
        database: "cm_kasama_sales".into(),
        table_name: "orders".into(),
        table: Some(TableInfo {
            database: "cm_kasama_sales".into(),
            name: "orders".into(),
            location: Some("s3://sales-raw/order/orders/".into()),
        }),
        grant_status: Some("GRANT_PENDING".into()),
        ..Default::default()
    }
}

fn cross_account() -> GrantObserved {
    GrantObserved {
        catalog: "222222222222".into(),
        ..observed_grant()
    }
}

/// Apply a plan to the observed state (what the next delivery reads): LF grants and revokes,
/// the inline policy (merged as the driver merges), links, DataZone statuses.
fn after(o: &GrantObserved, p: &DzPlan) -> GrantObserved {
    let mut next = o.clone();
    for a in p.actions() {
        match a {
            Action::LfGrant(g) => next.permissions.add(g.clone()),
            Action::LfRevoke(g) => {
                let mut kept = LfState::default();
                for h in next.permissions.iter() {
                    if h.principal == g.principal && h.resource == g.resource {
                        let rest: Vec<String> = h
                            .permissions
                            .iter()
                            .filter(|x| !g.permissions.contains(*x))
                            .cloned()
                            .collect();
                        if !rest.is_empty() {
                            kept.add(LfGrant::new(&h.principal, h.resource.clone(), rest, false));
                        }
                    } else {
                        kept.add(h);
                    }
                }
                next.permissions = kept;
            }
            Action::Policy(w) => {
                next.role_policy =
                    match policy::merge(next.role_policy.as_ref(), &w.owner, &w.desired) {
                        policy::Merge::Put(d) => Some(d),
                        policy::Merge::Delete => None,
                        policy::Merge::Unchanged => next.role_policy.clone(),
                    }
            }
            Action::CreateLink(Link::Table {
                database,
                name,
                catalog,
                target_database,
                table,
                managed_by,
            }) => next.links.push(TableLinkInfo {
                database: database.clone(),
                name: name.clone(),
                target: Some((catalog.clone(), target_database.clone(), table.clone())),
                parameters: managed_by
                    .iter()
                    .map(|m| (MANAGED_BY.to_string(), m.clone()))
                    .collect(),
            }),
            Action::DeleteLink(Link::Table { name, .. }) => next.links.retain(|l| &l.name != name),
            Action::DataZoneGrantStatus {
                status,
                target_name,
                ..
            } => {
                next.grant_status = Some(status.clone());
                if target_name.is_some() {
                    next.target_name = target_name.clone();
                }
            }
            _ => {}
        }
    }
    next
}

use lakewarden::reconcile::Link;

#[test]
fn locations_outside_the_configuration_are_never_granted() {
    let c = cfg("");
    assert!(location_allowed(&c, &loc("s3://sales-raw/order/orders/")));
    assert!(!location_allowed(&c, &loc("s3://sales-raw/hr/salaries/")));
    let o = GrantObserved {
        table: Some(TableInfo {
            database: "cm_kasama_sales".into(),
            name: "salaries".into(),
            location: Some("s3://sales-raw/hr/salaries/".into()),
        }),
        ..observed_grant()
    };
    let p = plan_grant(&c, &o);
    assert!(p.grants().is_empty() && policy_writes(&p).is_empty());
    assert_eq!(
        statuses(&p),
        vec![
            ("GRANT_IN_PROGRESS".into(), Phase::Prepare),
            ("GRANT_FAILED".into(), Phase::Finally)
        ]
    );
    assert!(
        matches!(p.actions().last(), Some(Action::DataZoneGrantStatus { failure: Some(f), .. }) if f.contains("outside"))
    );
}

#[test]
fn a_cross_account_table_gets_a_marked_link_in_the_target_database_and_converges() {
    let o = cross_account();
    let p = plan_grant(&cfg(""), &o);
    assert!(p.actions().any(|a| matches!(a, Action::CreateLink(Link::Table { database, catalog, name, managed_by: Some(m), .. })
        if database == "sub" && catalog == "222222222222" && name == "cm_kasama_sales_orders" && m == "datazone-subscriber")));
    assert!(
        matches!(p.actions().last(), Some(Action::DataZoneGrantStatus { status, target_name: Some(t), downgrade_on_failure: true, .. }) if status == "GRANTED" && t == "cm_kasama_sales_orders")
    );
    // LF on the producer's table (its catalog) and DESCRIBE on the link (ours).
    let grants = lf(&p, false);
    assert!(
        grants
            .iter()
            .any(|g| g.contains("table 222222222222:cm_kasama_sales.orders [DESCRIBE, SELECT]")),
        "{grants:?}"
    );
    assert!(
        grants
            .iter()
            .any(|g| g.contains("table 111111111111:sub.cm_kasama_sales_orders [DESCRIBE]")),
        "{grants:?}"
    );
    // Converges: the next delivery plans nothing.
    let granted = after(&o, &p);
    let again = plan_grant(&cfg(""), &granted);
    assert!(again.is_empty(), "{:?}", again.steps);

    // The revoke undoes the grants, the link grant and the link, and converges too.
    let revoking = GrantObserved {
        kind: GrantKind::Revoke,
        grant_status: Some("REVOKE_PENDING".into()),
        ..granted
    };
    let r = plan_revoke(&cfg(""), &revoking);
    assert_eq!(r.revokes().len(), 3, "{:?}", r.steps);
    assert!(r.actions().any(|a| matches!(a, Action::DeleteLink(Link::Table { database, name, .. }) if database == "sub" && name == "cm_kasama_sales_orders")));
    assert_eq!(
        statuses(&r),
        vec![
            ("REVOKE_IN_PROGRESS".into(), Phase::Prepare),
            ("REVOKED".into(), Phase::Finally)
        ]
    );
    let done = after(&revoking, &r);
    assert!(done.permissions.is_empty() && done.links.is_empty() && done.role_policy.is_none());
    let again = plan_revoke(&cfg(""), &done);
    assert!(again.is_empty(), "{:?}", again.steps);
}

fn foreign_table(name: &str, target: Option<(&str, &str, &str)>, marker: bool) -> TableLinkInfo {
    TableLinkInfo {
        database: "sub".into(),
        name: name.into(),
        target: target.map(|(c, d, t)| (c.into(), d.into(), t.into())),
        parameters: if marker {
            [(MANAGED_BY.to_string(), "datazone-subscriber".to_string())].into()
        } else {
            Default::default()
        },
    }
}

#[test]
fn a_same_named_table_lakewarden_did_not_make_is_never_touched() {
    // A real table (no marker) named like the link: the grant links under a hashed name and
    // tells a person; the revoke deletes only that link.
    let real = foreign_table("cm_kasama_sales_orders", None, false);
    let o = GrantObserved {
        links: vec![real.clone()],
        ..cross_account()
    };
    let p = plan_grant(&cfg(""), &o);
    let hashed = grants::hashed_link_name("222222222222", "cm_kasama_sales", "orders");
    assert!(
        hashed.starts_with("cm_kasama_sales_orders_") && hashed.len() == 31,
        "{hashed}"
    );
    let created: Vec<&Action<Ext>> = p
        .actions()
        .filter(|a| matches!(a, Action::CreateLink(_)))
        .collect();
    assert!(
        matches!(created.as_slice(), [Action::CreateLink(Link::Table { name, .. })] if *name == hashed),
        "{created:?}"
    );
    assert!(
        p.attention.iter().any(|a| a.contains("did not make")),
        "{:?}",
        p.attention
    );
    assert!(!p.actions().any(|a| matches!(a, Action::DeleteLink(_))));
    let granted = after(&o, &p);
    assert_eq!(granted.target_name.as_deref(), Some(hashed.as_str()));
    assert!(plan_grant(&cfg(""), &granted).is_empty());
    let r = plan_revoke(
        &cfg(""),
        &GrantObserved {
            kind: GrantKind::Revoke,
            ..granted
        },
    );
    let deleted: Vec<&Action<Ext>> = r
        .actions()
        .filter(|a| matches!(a, Action::DeleteLink(_)))
        .collect();
    assert!(
        matches!(deleted.as_slice(), [Action::DeleteLink(Link::Table { name, .. })] if *name == hashed),
        "{deleted:?}"
    );

    // The accident of old: no link of ours, a real table of that name: the revoke leaves it and
    // alerts.
    let r = plan_revoke(
        &cfg(""),
        &GrantObserved {
            kind: GrantKind::Revoke,
            links: vec![real],
            grant_status: Some("REVOKE_PENDING".into()),
            ..cross_account()
        },
    );
    assert!(
        !r.actions().any(|a| matches!(a, Action::DeleteLink(_))),
        "{:?}",
        r.steps
    );
    assert!(r
        .skipped
        .iter()
        .any(|s| s.action == "glue.delete_resource_link"));
    assert!(r
        .attention
        .iter()
        .any(|a| a.contains("not made by lakewarden")));
}

#[test]
fn link_names_never_collide() {
    // `a_b` + `c` and `a` + `b_c` give one plain name: the second gets the hashed one.
    let first = GrantObserved {
        database: "a_b".into(),
        table_name: "c".into(),
        ..cross_account()
    };
    let p1 = plan_grant(&cfg("").tap_databases(&[]), &first);
    let l1 = after(&first, &p1).links;
    assert_eq!(l1[0].name, "a_b_c");
    let second = GrantObserved {
        database: "a".into(),
        table_name: "b_c".into(),
        links: l1.clone(),
        ..cross_account()
    };
    let p2 = plan_grant(&cfg("").tap_databases(&[]), &second);
    let l2 = after(&second, &p2).links;
    assert_eq!(l2.len(), 2);
    assert_ne!(l2[1].name, "a_b_c");
    assert!(
        p2.attention.is_empty(),
        "a name taken by lakewarden's own link is no alarm"
    );
    // Revoking the second leaves the first's link alone.
    let r = plan_revoke(
        &cfg("").tap_databases(&[]),
        &GrantObserved {
            kind: GrantKind::Revoke,
            ..after(&second, &p2)
        },
    );
    assert!(r
        .actions()
        .all(|a| !matches!(a, Action::DeleteLink(Link::Table { name, .. }) if name == "a_b_c")));
    // The same table name from two producers.
    let other_producer = GrantObserved {
        catalog: "333333333333".into(),
        links: vec![foreign_table(
            "cm_kasama_sales_orders",
            Some(("222222222222", "cm_kasama_sales", "orders")),
            true,
        )],
        ..cross_account()
    };
    let p = plan_grant(&cfg(""), &other_producer);
    assert!(p.actions().any(
        |a| matches!(a, Action::CreateLink(Link::Table { name, catalog, .. })
        if name != "cm_kasama_sales_orders" && catalog == "333333333333")
    ));
}

#[test]
fn a_grant_is_fulfilled_once_and_its_statements_carry_the_grant_id() {
    let team = json!({"Sid": "TeamScratch", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::scratch/*"});
    let o = GrantObserved {
        role_policy: Some(json!({"Version": "2012-10-17", "Statement": [team.clone()]})),
        ..observed_grant()
    };
    let p = plan_grant(&cfg(""), &o);
    let document = one_put(&p);
    let stmts = policy::statements(&document);
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
    assert_eq!(
        statuses(&p),
        vec![
            ("GRANT_IN_PROGRESS".into(), Phase::Prepare),
            ("GRANTED".into(), Phase::Finally)
        ]
    );

    // Second delivery: nothing to do, DataZone already says GRANTED.
    let granted = after(&o, &p);
    let again = plan_grant(&cfg(""), &granted);
    assert!(again.is_empty(), "{:?}", again.steps);

    // The revoke removes exactly our two statements and the table grant; the database DESCRIBE
    // stays because the environment itself is granted that database (datazone.databases).
    let revoking = GrantObserved {
        kind: GrantKind::Revoke,
        ..granted
    };
    let r = plan_revoke(&cfg(""), &revoking);
    let document = one_put(&r);
    assert_eq!(policy::statements(&document), vec![team]);
    let revokes = lf(&r, true);
    assert_eq!(revokes.len(), 1, "{revokes:?}");
    assert!(revokes[0].contains("table 111111111111:cm_kasama_sales.orders"));
    // DataZone shows GRANTED (not REVOKE_PENDING): REVOKE_IN_PROGRESS first all the same.
    assert_eq!(statuses(&r).len(), 2);
    assert!(
        matches!(r.actions().last(), Some(Action::DataZoneGrantStatus { status, .. }) if status == "REVOKED")
    );
    let done = after(&revoking, &r);
    assert!(plan_revoke(&cfg(""), &done).is_empty());
    // Outside the environment's databases the database DESCRIBE goes too.
    let r = plan_revoke(&cfg("").tap_databases(&[]), &revoking);
    assert_eq!(r.revokes().len(), 2);
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
                bucket: lakewarden::config::BucketName::parse(b).unwrap(),
                prefixes: p
                    .iter()
                    .map(|s| lakewarden::config::KeyPrefix::parse(s).unwrap())
                    .collect(),
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
    assert_eq!(p.steps.len(), 2);
    assert!(
        matches!(p.actions().last(), Some(Action::DataZoneGrantStatus { status, failure: Some(f), .. }) if status == "GRANT_FAILED" && f.contains("does not exist"))
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
    let kinds: Vec<&str> = p.actions().map(|a| a.kind()).collect();
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
    let acts: Vec<&Action<Ext>> = p.actions().collect();
    assert!(
        matches!(acts[0], Action::LfRegister { arn, role_arn: None } if arn == "arn:aws:s3:::sales-raw/order")
    );
    assert!(
        matches!(acts[1], Action::LfGrant(g) if g.permissions.contains("DATA_LOCATION_ACCESS"))
    );
    let document = one_put(&p);
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
    assert!(policy::statements(&document)
        .iter()
        .all(|s| s["Sid"].as_str().unwrap().starts_with("Lakewarden")));
    // Reads through Lake Formation need the credential vending call (AWS: "Underlying data
    // access control", lake-formation/latest/dg/access-control-underlying-data.html).
    assert!(policy::allows(
        &policy::statements(&document),
        None,
        "lakeformation:GetDataAccess",
        "*"
    ));
    // Nothing touches the boundary without boundary_copy; the report says it blocks ListBucket.
    assert!(exts(&p).is_empty());
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

fn grant_ref(kind: GrantKind) -> GrantRef {
    GrantRef {
        kind,
        domain: "dzd_abc123".into(),
        id: "g".into(),
        listing: None,
        target: None,
    }
}

#[test]
fn a_grant_that_cannot_be_resolved_is_reported_failed_for_its_pending_assets() {
    use lakewarden::aws::AwsError;
    assert!(permanent(&AwsError::new(
        Some("ResourceNotFoundException"),
        "Listing l not found"
    )));
    assert!(permanent(&AwsError::local(LocalKind::NoUserRole, "x")));
    assert!(!permanent(&AwsError::new(
        Some("ThrottlingException"),
        "slow down"
    )));
    let assets = vec![
        ("a1".to_string(), "GRANT_PENDING".to_string()),
        ("a2".to_string(), "GRANTED".to_string()),
    ];
    let p = plan_failed(&grant_ref(GrantKind::Grant), &assets, "Listing l not found");
    assert_eq!(
        p.actions().last(),
        Some(&Action::DataZoneGrantStatus {
            domain: "dzd_abc123".into(),
            grant: "g".into(),
            asset: "a1".into(),
            status: "GRANT_FAILED".into(),
            failure: Some("Listing l not found".into()),
            target_name: None,
            downgrade_on_failure: true,
        })
    );
    assert_eq!(statuses(&p).len(), 2, "IN_PROGRESS then FAILED for a1 only");
    assert!(p.attention[0].contains("could not be fulfilled"));
    let revoking = vec![("a1".to_string(), "REVOKE_IN_PROGRESS".to_string())];
    let p = plan_failed(&grant_ref(GrantKind::Revoke), &revoking, "gone");
    assert_eq!(
        statuses(&p),
        vec![("REVOKE_FAILED".into(), Phase::Finally)],
        "already in progress: not told again"
    );
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/../../tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).unwrap()
}

fn run_scope(t: Trigger<Scope>) -> Scope {
    match t {
        Trigger::Run(s) => s,
        Trigger::Ignore(why) => panic!("ignored: {why}"),
    }
}

#[test]
fn the_event_fixtures_mean_what_the_readme_says() {
    let c = cfg("").tap_domains(&["dzd_abc123"]);
    let env = run_scope(
        trigger(
            &fixture("datazone-environment-deployment-completed.json"),
            &c,
        )
        .unwrap(),
    );
    assert_eq!(
        env,
        Scope::Environment {
            domain: "dzd_abc123".into(),
            id: "env_consumer".into()
        }
    );
    let Scope::Grant(g) =
        run_scope(trigger(&fixture("datazone-subscription-grant-requested.json"), &c).unwrap())
    else {
        panic!()
    };
    assert_eq!((g.kind, g.id.as_str()), (GrantKind::Grant, "grt_orders"));
    assert_eq!(g.listing, Some(("lst_orders".into(), Some("1".into()))));
    assert_eq!(
        g.target,
        Some(("tgt_glue_consumer".into(), "env_consumer".into()))
    );
    let Scope::Grant(r) = run_scope(
        trigger(
            &fixture("datazone-subscription-grant-revoke-requested.json"),
            &c,
        )
        .unwrap(),
    ) else {
        panic!()
    };
    assert_eq!((r.kind, r.id.as_str()), (GrantKind::Revoke, "grt_orders"));
    assert_eq!((r.listing, r.target), (g.listing.clone(), g.target.clone()));
    assert_eq!(
        trigger(&fixture("scheduled.json"), &c).unwrap(),
        Trigger::Run(Scope::All)
    );
    assert!(trigger(&fixture("glue-create-table.json"), &c).is_err());
}

#[test]
fn the_documented_event_shapes_are_understood() {
    // tests/events/documented (docs/aws-semantics.md §5): Revoked / Cancelled are about a
    // subscription (subscribedListing, subscribedPrincipal), not a grant or a target.
    let c = cfg("").tap_domains(&["dzd_abc123"]);
    for f in ["revoked", "cancelled"] {
        let s = run_scope(
            trigger(
                &fixture(&format!("documented/datazone-subscription-{f}.json")),
                &c,
            )
            .unwrap(),
        );
        assert_eq!(
            s,
            Scope::Subscription {
                domain: "dzd_abc123".into(),
                id: "sub_orders".into(),
                listing: "lst_orders".into(),
                project: Some("prj_consumer".into()),
            },
            "{f}"
        );
    }
    let env = run_scope(
        trigger(
            &fixture("documented/datazone-environment-deployment-completed.json"),
            &c,
        )
        .unwrap(),
    );
    assert!(matches!(env, Scope::Environment { id, .. } if id == "env_consumer"));
    for (f, kind) in [
        ("grant-requested", GrantKind::Grant),
        ("grant-revoke-requested", GrantKind::Revoke),
    ] {
        let Scope::Grant(g) = run_scope(
            trigger(
                &fixture(&format!("documented/datazone-subscription-{f}.json")),
                &c,
            )
            .unwrap(),
        ) else {
            panic!("{f}")
        };
        assert_eq!((g.kind, g.id.as_str()), (kind, "grt_orders"));
    }
    // A subscription event without its subscription or listing is malformed.
    let mut e = fixture("documented/datazone-subscription-revoked.json");
    e["detail"]["data"]["subscribedListing"]
        .as_object_mut()
        .unwrap()
        .remove("id");
    assert!(trigger(&e, &c).is_err());
}

#[test]
fn the_listing_forms_aws_produces_name_the_table() {
    use lakewarden::aws::datazone::glue_table_form;
    // What a Glue data source publishes: no databaseName, the database is in tableArn.
    let data_source = json!({"GlueTableForm": {"catalogId": "222222222222", "region": "us-east-1",
        "tableArn": "arn:aws:glue:us-east-1:222222222222:table/cm_kasama_sales/orders",
        "tableName": "orders", "sourceLocation": "EMPTY"}});
    assert_eq!(
        glue_table_form(&data_source),
        Some((
            Some("222222222222".into()),
            "cm_kasama_sales".into(),
            "orders".into()
        ))
    );
    // CreateAsset's form names the database; a china-partition ARN parses the same.
    let created = json!({"GlueTableForm": {"databaseName": "db", "tableName": "t",
        "tableArn": "arn:aws-cn:glue:cn-north-1:333333333333:table/db/t"}});
    assert_eq!(
        glue_table_form(&created),
        Some((Some("333333333333".into()), "db".into(), "t".into()))
    );
    assert_eq!(glue_table_form(&json!({"GlueViewForm": {}})), None);
    assert_eq!(
        glue_table_form(&json!({"GlueTableForm": {"tableArn": "arn:aws:s3:::b/k"}})),
        None
    );
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
    for d in policy_writes(&p).into_iter().flatten() {
        stmts.extend(policy::statements(&d));
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
            kind: GrantKind::Revoke,
            other_grants_holding_table: vec!["grant-2".into()],
            ..granted.clone()
        },
    );
    assert!(r.revokes().is_empty() && !r.actions().any(|a| matches!(a, Action::DeleteLink(_))));
    assert_eq!(
        policy_writes(&r),
        vec![None],
        "the policy held only this grant's statements"
    );
    assert!(
        matches!(r.actions().last(), Some(Action::DataZoneGrantStatus { status, .. }) if status == "REVOKED")
    );
    // A subscription event for a grant another approved subscription still uses changes nothing
    // until DataZone asks for the revoke.
    let kept = plan_revoke(
        &cfg(""),
        &GrantObserved {
            kind: GrantKind::Revoke,
            still_subscribed: true,
            ..granted.clone()
        },
    );
    assert!(kept.is_empty());
    let asked = plan_revoke(
        &cfg(""),
        &GrantObserved {
            kind: GrantKind::Revoke,
            still_subscribed: true,
            grant_status: Some("REVOKE_PENDING".into()),
            ..granted
        },
    );
    assert!(!asked.is_empty());
}

#[test]
fn a_subscription_event_stands_for_the_grants_of_its_listing_to_its_target() {
    use lakewarden::aws::datazone::GrantSummary;
    let c = cfg("").tap_domains(&["dzd_abc123"]);
    let Scope::GrantOrListing(r) =
        run_scope(trigger(&fixture("datazone-subscription-revoked.json"), &c).unwrap())
    else {
        panic!()
    };
    let grant = |id: &str, target: &str, listing: &str| GrantSummary {
        id: id.into(),
        target_id: target.into(),
        environment_id: Some("env_consumer".into()),
        listing: Some((listing.into(), "1".into())),
        assets: vec![("a".into(), "GRANTED".into())],
    };
    let found = trigger::grants_of_listing(
        &r,
        &[
            grant("g1", "tgt_glue_consumer", "lst_orders"),
            grant("g2", "tgt_other", "lst_orders"),
            grant("g3", "tgt_glue_consumer", "lst_other"),
        ],
    );
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].kind, found[0].id.as_str()),
        (GrantKind::Revoke, "g1")
    );
    // The scheduled reconcile resumes grants left in progress.
    let mut g = grant("g4", "t", "l");
    g.assets = vec![("a".into(), "GRANT_IN_PROGRESS".into())];
    assert_eq!(
        trigger::pending("d", &g).map(|r| r.kind),
        Some(GrantKind::Grant)
    );
    g.assets = vec![("a".into(), "GRANTED".into())];
    assert_eq!(trigger::pending("d", &g), None);
}

#[test]
fn one_grants_failure_never_fails_another_grant_of_the_same_run() {
    // Each grant of a run is its own unit: the driver downgrades a GRANTED only with the
    // failures of its own unit.
    let a = observed_grant();
    let b = GrantObserved {
        grant: "grt-2".into(),
        ..observed_grant()
    };
    let p = plan(
        &cfg(""),
        &Observed {
            items: vec![Item::Grant(Box::new(a)), Item::Grant(Box::new(b))],
            lf: None,
        },
    );
    let units: std::collections::BTreeSet<Option<String>> =
        p.steps.iter().map(|s| s.unit.clone()).collect();
    assert_eq!(
        units,
        [
            Some("grant grt-1".to_string()),
            Some("grant grt-2".to_string())
        ]
        .into()
    );
    // Both grants' IN_PROGRESS run first, their outcomes last.
    let phases: Vec<Phase> = statuses(&p).into_iter().map(|(_, ph)| ph).collect();
    assert_eq!(
        phases,
        vec![
            Phase::Prepare,
            Phase::Finally,
            Phase::Prepare,
            Phase::Finally
        ]
    );
}

#[test]
fn identifiers_that_are_not_datazone_ids_are_rejected_before_any_read() {
    let c = cfg("");
    let mut e = fixture("documented/datazone-environment-deployment-completed.json");
    e["detail"]["data"]["environmentId"] = json!("x".repeat(256 * 1024));
    assert!(
        trigger(&e, &c).is_err(),
        "a 256 KB id never reaches a request URI"
    );
    e["detail"]["data"]["environmentId"] = json!("../env");
    assert!(trigger(&e, &c).is_err());
    e["detail"]["data"]["environmentId"] = json!(7);
    assert!(trigger(&e, &c).is_err());
    let mut g = fixture("documented/datazone-subscription-grant-requested.json");
    g["detail"]["data"]["subscriptionTarget"]["id"] = json!("tgt/*");
    assert!(trigger(&g, &c).is_err());
}

#[test]
fn an_environment_plan_converges() {
    let o = EnvObserved {
        account: "111111111111".into(),
        region: "us-east-1".into(),
        role_arn: "arn:aws:iam::111111111111:role/datazone_usr_e".into(),
        databases_present: vec!["cm_kasama_sales".into()],
        role_policy: Some(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "TeamScratch", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::scratch/*"}]})),
        ..Default::default()
    };
    let p = plan_environment(&cfg(""), &o);
    assert!(!p.is_empty());
    let mut next = o.clone();
    for a in p.actions() {
        match a {
            Action::LfRegister { arn, .. } => next.registered.push(arn.clone()),
            Action::LfGrant(g) => next.permissions.add(g.clone()),
            Action::Policy(w) => {
                if let policy::Merge::Put(d) =
                    policy::merge(next.role_policy.as_ref(), &w.owner, &w.desired)
                {
                    next.role_policy = Some(d);
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let again = plan_environment(&cfg(""), &next);
    assert!(again.is_empty(), "{:?}", again.steps);
    assert!(policy::statements(next.role_policy.as_ref().unwrap())
        .iter()
        .any(|s| s["Sid"] == "TeamScratch"));
}

#[test]
fn two_revokes_of_one_listing_in_one_run_that_see_each_other_granted_take_the_access_once() {
    // The shrunk leak: two grants of the same listing to the same target are revoked in one run
    // and each read the other still GRANTED. Neither kept the LF access for the other, and the
    // schedule never looks at REVOKED grants again, so the access used to stay for good.
    let o = observed_grant();
    let granted = after(&o, &plan_grant(&cfg(""), &o));
    let c = cfg("").tap_databases(&[]);
    let revoking = |id: &str, other: &str| GrantObserved {
        kind: GrantKind::Revoke,
        grant: id.into(),
        grant_status: Some("REVOKE_PENDING".into()),
        other_grants_holding_table: vec![other.into()],
        ..granted.clone()
    };
    let (a, b) = (revoking("grt-1", "grt-2"), revoking("grt-2", "grt-1"));
    // Each alone: the other holds the table.
    assert!(plan_revoke(&c, &a).revokes().is_empty());
    let p = plan(
        &c,
        &Observed {
            items: vec![Item::Grant(Box::new(a)), Item::Grant(Box::new(b))],
            lf: None,
        },
    );
    let units: std::collections::BTreeSet<_> = p
        .steps
        .iter()
        .filter(|s| matches!(&s.action, Action::LfRevoke(_)))
        .map(|s| s.unit.clone())
        .collect();
    assert!(!p.revokes().is_empty());
    assert_eq!(
        units,
        [Some("grant grt-1".to_string())].into(),
        "the shared access is taken once, by the first revoke"
    );
    // Nothing the two grants gave is left once both are applied.
    let end = after(&granted, &p);
    assert!(
        end.permissions
            .iter()
            .all(|g| g.principal != granted.role_arn),
        "{:?}",
        end.permissions
    );
    assert_eq!(
        statuses(&p).iter().filter(|(s, _)| s == "REVOKED").count(),
        2
    );
    // A third grant still GRANTED (not revoked in this run) keeps holding it.
    let c3 = |id: &str, others: &[&str]| GrantObserved {
        other_grants_holding_table: others.iter().map(|s| s.to_string()).collect(),
        ..revoking(id, "")
    };
    let p = plan(
        &c,
        &Observed {
            items: vec![
                Item::Grant(Box::new(c3("grt-1", &["grt-2", "grt-3"]))),
                Item::Grant(Box::new(c3("grt-2", &["grt-1", "grt-3"]))),
            ],
            lf: None,
        },
    );
    assert!(p.revokes().is_empty(), "grt-3 still holds the table");
}

#[test]
fn a_grant_whose_later_step_fails_takes_back_the_access_it_was_given() {
    // The LF grants run before the policy write (Grant → Write): a grant whose policy write
    // fails is told GRANT_FAILED, so its plan carries the undo of what it granted in this run,
    // run after the write and before the status; a grant shared with another grant of the run
    // is taken back only if that one failed too.
    let a = observed_grant();
    let b = GrantObserved {
        grant: "grt-2".into(),
        table_name: "items".into(),
        ..observed_grant()
    };
    let p = plan(
        &cfg(""),
        &Observed {
            items: vec![Item::Grant(Box::new(a.clone())), Item::Grant(Box::new(b))],
            lf: None,
        },
    );
    let undos: Vec<(&Step<Ext>, &String, &Vec<crate::ext::Undo>)> = p
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::Ext(Ext::UndoGrants { unit, grants }) => Some((s, unit, grants)),
            _ => None,
        })
        .collect();
    assert_eq!(undos.len(), 2);
    let (step, unit, grants) = &undos[0];
    assert_eq!(unit.as_str(), "grant grt-1");
    assert_eq!(step.unit.as_deref(), Some("grant grt-1"));
    assert_eq!(
        step.phase(),
        Phase::Revoke,
        "after the policy write, before the status"
    );
    // Exactly what grt-1 granted in this run.
    let mine: Vec<LfGrant> = p
        .steps
        .iter()
        .filter(|s| s.unit.as_deref() == Some("grant grt-1"))
        .filter_map(|s| match &s.action {
            Action::LfGrant(g) => Some(g.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        grants.iter().map(|u| u.grant.clone()).collect::<Vec<_>>(),
        mine
    );
    for u in grants.iter() {
        match &u.grant.resource {
            // The database DESCRIBE serves grt-2 too.
            lf::LfResource::Database { .. } => {
                assert_eq!(u.shared_with, vec!["grant grt-2".to_string()])
            }
            _ => assert!(u.shared_with.is_empty(), "{u:?}"),
        }
    }
    // A redelivery of a granted grant plans nothing, the undo included.
    let granted = after(&a, &plan_grant(&cfg(""), &a));
    let again = plan(
        &cfg(""),
        &Observed {
            items: vec![Item::Grant(Box::new(granted))],
            lf: None,
        },
    );
    assert!(again.is_empty(), "{:?}", again.steps);
}
