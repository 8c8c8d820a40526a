use super::*;
use crate::trigger::Scope;
use lakewarden::aws::glue::{LINK_TARGET, MANAGED_BY};
use lakewarden::config::parse;
use lakewarden::lf::{LfGrant, LfResource};
use lakewarden::policy;
use lakewarden::reconcile::{Action, Link as GlueLink, PolicyTarget, PolicyWrite};
use serde_json::{json, Value};

const ME: &str = "222222222222";
const PROD: &str = "111111111111";
const ROLE: &str = "arn:aws:iam::222222222222:role/glue-job";

fn consumer(extra: &str) -> Consumer {
    let text = format!(
        "consumer:\n  trusted_producers: [\"{PROD}\"]\n  links:\n    - producer: \"{PROD}\"\n      database: cur_org\n      link_name: cur_org_linked\n      roles: [\"{ROLE}\"]\n{extra}"
    );
    parse(&text, "t").unwrap().consumer.unwrap()
}

fn db(name: &str, catalog: &str, target: Option<(&str, &str)>) -> DatabaseInfo {
    DatabaseInfo {
        name: name.into(),
        catalog_id: Some(catalog.into()),
        location_uri: None,
        target: target.map(|(c, d)| (c.to_string(), d.to_string())),
    }
}

fn marks(producer: &str, database: &str) -> BTreeMap<String, String> {
    [
        (MANAGED_BY.to_string(), "share-linker".to_string()),
        (LINK_TARGET.to_string(), format!("{producer}:{database}")),
    ]
    .into()
}

fn shared() -> Catalog {
    Catalog {
        account: ME.into(),
        foreign: vec![db("cur_org", PROD, None)],
        tables: [(
            (PROD.to_string(), "cur_org".to_string()),
            vec![TableInfo {
                database: "cur_org".into(),
                name: "legacy_all".into(),
                location: Some("s3://cur-data/cur/legacy_all/".into()),
            }],
        )]
        .into(),
        role_policies: [(ROLE.to_string(), None)].into(),
        received: received(true),
        ..Default::default()
    }
}

/// What the producer shares with this account, as catalog-sharer does by default: DESCRIBE on the
/// database and the table permissions on All tables, with the grant option (`wildcard`), or the
/// same on one table by name.
fn received(wildcard: bool) -> lakewarden::lf::LfState {
    let mut r = lakewarden::lf::LfState::default();
    r.add(LfGrant::new(
        ME,
        LfResource::Database {
            catalog_id: PROD.into(),
            name: "cur_org".into(),
        },
        ["DESCRIBE"],
        true,
    ));
    let tables = if wildcard {
        LfResource::TableWildcard {
            catalog_id: PROD.into(),
            database: "cur_org".into(),
        }
    } else {
        LfResource::Table {
            catalog_id: PROD.into(),
            database: "cur_org".into(),
            name: "legacy_all".into(),
        }
    };
    r.add(LfGrant::new(ME, tables, ["SELECT", "DESCRIBE"], true));
    r
}

fn inv(sender: &str, status: &str) -> Invitation {
    Invitation {
        arn: format!("arn:aws:ram:us-east-1:{sender}:resource-share-invitation/x"),
        sender: sender.into(),
        share_name: "s".into(),
        share_arn: "a".into(),
        status: status.into(),
    }
}

fn ram(mentions: &[&str]) -> Scope {
    Scope::Ram {
        mentions: mentions.iter().map(|m| m.to_string()).collect(),
    }
}

fn policy_writes(p: &Plan) -> Vec<&PolicyWrite> {
    p.actions()
        .filter_map(|a| match a {
            Action::Policy(w) => Some(w),
            _ => None,
        })
        .collect()
}

/// Apply a plan to the observed model (what the driver would leave behind).
fn apply_to(obs: &mut Catalog, p: &Plan) {
    for a in p.actions() {
        match a {
            Action::CreateLink(GlueLink::Database {
                name,
                producer,
                database,
            }) => {
                obs.own
                    .insert(name.clone(), db(name, ME, Some((producer, database))));
                obs.params.insert(name.clone(), marks(producer, database));
            }
            Action::DeleteLink(GlueLink::Database { name, .. }) => {
                obs.own.remove(name);
            }
            Action::LfGrant(g) => obs.permissions.add(g.clone()),
            Action::LfRevoke(g) => {
                let mut rest = lakewarden::lf::LfState::default();
                for h in obs.permissions.iter() {
                    if h.principal == g.principal && h.resource == g.resource {
                        let left = LfGrant {
                            permissions: h
                                .permissions
                                .difference(&g.permissions)
                                .cloned()
                                .collect(),
                            grantable: h.grantable.difference(&g.grantable).cloned().collect(),
                            ..h.clone()
                        };
                        if !left.is_empty() {
                            rest.add(left);
                        }
                    } else {
                        rest.add(h);
                    }
                }
                obs.permissions = rest;
            }
            Action::Policy(PolicyWrite {
                target: PolicyTarget::IamInline { role_arn, .. },
                planned,
                ..
            }) => {
                obs.role_policies.insert(role_arn.clone(), planned.clone());
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn only_trusted_invitations_are_accepted_and_untrusted_alert_on_ram_events_only() {
    let cfg = consumer("");
    let invs = [
        inv(PROD, "PENDING"),
        inv("999999999999", "PENDING"),
        inv(PROD, "ACCEPTED"),
    ];
    let p = plan_invitations(&cfg, &invs, &ram(&[]));
    assert_eq!(p.steps.len(), 1);
    assert!(matches!(&p.steps[0].action, Action::RamAccept { sender, .. } if sender == PROD));
    assert_eq!(p.skipped.len(), 1);
    assert_eq!(p.attention.len(), 1);
    assert!(p.attention[0].contains("999999999999"));
    for t in [Scope::Schedule, Scope::Glue] {
        let p = plan_invitations(&cfg, &invs, &t);
        assert!(p.attention.is_empty(), "alerted once, on the RAM event");
        assert_eq!(p.steps.len(), 1, "trusted ones are accepted on any trigger");
        assert_eq!(
            p.skipped.len(),
            1,
            "and the untrusted one is still reported"
        );
    }
}

#[test]
fn an_untrusted_invitation_alerts_only_on_the_ram_event_that_names_it() {
    let cfg = consumer("");
    let stranger = Invitation {
        share_arn: "arn:aws:ram:us-east-1:999999999999:resource-share/s1".into(),
        ..inv("999999999999", "PENDING")
    };
    let invs = [inv(PROD, "PENDING"), stranger.clone()];
    // The event about the trusted producer's invitation: no alert about the stranger.
    let about_trusted = ram(&[&invs[0].arn]);
    assert!(plan_invitations(&cfg, &invs, &about_trusted)
        .attention
        .is_empty());
    // Named by invitation ARN or by share ARN: one alert.
    for t in [ram(&[&stranger.arn]), ram(&[&stranger.share_arn])] {
        let p = plan_invitations(&cfg, &invs, &t);
        assert_eq!(p.attention.len(), 1, "{t:?}");
        assert!(p.attention[0].contains(&stranger.arn));
    }
}

#[test]
fn the_rounds_dispatch_on_what_was_observed() {
    let cfg = consumer("");
    let p = plan(
        &cfg,
        &Scope::Schedule,
        &Observed::Invitations(vec![inv(PROD, "PENDING")]),
    );
    assert_eq!(p.steps[0].action.kind(), "ram.accept_invitation");
    let p = plan(
        &cfg,
        &Scope::Schedule,
        &Observed::Catalog(Box::new(shared())),
    );
    assert_eq!(p.steps[0].action.kind(), "glue.create_resource_link");
}

#[test]
fn link_grants_and_policy_for_a_new_share() {
    let p = plan_catalog(&consumer(""), &shared());
    assert!(p.actions().any(|a| *a
        == Action::CreateLink(GlueLink::Database {
            name: "cur_org_linked".into(),
            producer: PROD.into(),
            database: "cur_org".into()
        })));
    let grants = p.grants();
    assert_eq!(grants.len(), 3);
    assert!(grants.iter().any(|g| g.resource
        == LfResource::Database {
            catalog_id: ME.into(),
            name: "cur_org_linked".into()
        }));
    assert!(grants.iter().any(|g| g.resource
        == LfResource::TableWildcard {
            catalog_id: PROD.into(),
            database: "cur_org".into()
        }
        && g.permissions.len() == 2));
    let w = policy_writes(&p);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].kind(), "iam.put_role_policy");
    assert_eq!(
        w[0].target,
        PolicyTarget::IamInline {
            role_arn: ROLE.into(),
            name: POLICY_NAME.into()
        }
    );
    let st = policy::statements(w[0].planned.as_ref().unwrap());
    assert_eq!(st.len(), 2);
    assert_eq!(
        st[0]["Resource"],
        json!(["arn:aws:s3:::cur-data/cur/legacy_all/*"])
    );
    assert_eq!(st[1]["Resource"], json!("arn:aws:s3:::cur-data"));
    assert_eq!(
        st[1]["Condition"]["StringLike"]["s3:prefix"],
        json!(["cur/legacy_all/*"])
    );
    // Only buckets the producer owns are opened.
    for s in &st {
        assert_eq!(
            s["Condition"]["StringEquals"]["s3:ResourceAccount"], PROD,
            "{s}"
        );
    }
}

#[test]
fn a_table_in_a_bucket_of_this_account_opens_nothing_unless_the_entry_names_it() {
    let tables = [
        TableInfo {
            database: "cur_org".into(),
            name: "bait".into(),
            location: Some("s3://consumer-payroll/".into()),
        },
        TableInfo {
            database: "cur_org".into(),
            name: "data".into(),
            location: Some("s3://cur-data/cur/data/".into()),
        },
    ];
    let st = s3_statements("l", PROD, &[], &tables);
    assert_eq!(st.len(), 3, "{st:?}");
    for s in &st {
        assert_eq!(
            s["Condition"]["StringEquals"]["s3:ResourceAccount"], PROD,
            "{s}"
        );
    }
    let st = s3_statements("l", PROD, &["consumer-payroll".to_string()], &tables);
    let named: Vec<&Value> = st
        .iter()
        .filter(|s| s["Resource"].to_string().contains("consumer-payroll"))
        .collect();
    assert_eq!(named.len(), 2, "{st:?}");
    for s in named {
        assert!(s["Condition"]["StringEquals"].is_null(), "{s}");
    }
    assert_eq!(
        st[0]["Resource"],
        json!(["arn:aws:s3:::cur-data/cur/data/*"])
    );
    assert_eq!(
        st[0]["Condition"]["StringEquals"]["s3:ResourceAccount"],
        PROD
    );
    // Wildcard locations never reach a statement.
    let wild = [TableInfo {
        database: "cur_org".into(),
        name: "w".into(),
        location: Some("s3://*/".into()),
    }];
    assert!(s3_statements("l", PROD, &[], &wild).is_empty());
}

#[test]
fn converged_state_plans_nothing() {
    let cfg = consumer("");
    let mut obs = shared();
    let first = plan_catalog(&cfg, &obs);
    apply_to(&mut obs, &first);
    let second = plan_catalog(&cfg, &obs);
    assert!(second.steps.is_empty(), "{:?}", second.steps);
    assert!(second.already.len() >= 5, "{:?}", second.already);
}

#[test]
fn a_name_clash_is_reported_and_nothing_is_overwritten() {
    let cfg = consumer("");
    let mut obs = shared();
    obs.own
        .insert("cur_org_linked".into(), db("cur_org_linked", ME, None));
    let p = plan_catalog(&cfg, &obs);
    assert!(!p
        .actions()
        .any(|a| matches!(a, Action::CreateLink(_) | Action::DeleteLink(_))));
    assert!(p.attention[0].contains("not a resource link"));
    assert!(p.attention[0].contains("not overwritten"));
    obs.own.insert(
        "cur_org_linked".into(),
        db("cur_org_linked", ME, Some(("333333333333", "other"))),
    );
    let p = plan_catalog(&cfg, &obs);
    assert!(p.attention[0].contains("333333333333:other"));
}

#[test]
fn a_withdrawn_share_removes_link_grants_and_statements() {
    let cfg = consumer("");
    let mut obs = shared();
    let first = plan_catalog(&cfg, &obs);
    apply_to(&mut obs, &first);
    obs.foreign.clear();
    obs.tables.clear();
    obs.unlisted
        .insert((PROD.into(), "cur_org".into()), Evidence::Gone);
    let p = plan_catalog(&cfg, &obs);
    assert!(p.actions().any(
        |a| matches!(a, Action::DeleteLink(GlueLink::Database { name, .. }) if name == "cur_org_linked")
    ));
    assert_eq!(p.revokes().len(), 3);
    let w = policy_writes(&p);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].kind(), "iam.delete_role_policy");
    assert!(p.attention.iter().any(|m| m.contains("gone")));
    // And once done, nothing is left to do.
    apply_to(&mut obs, &p);
    obs.unlisted.clear();
    let again = plan_catalog(&cfg, &obs);
    assert!(again.steps.is_empty(), "{:?}", again.steps);
}

#[test]
fn untrusted_producers_and_foreign_roles_are_never_used() {
    let cfg = consumer("");
    let mut obs = shared();
    obs.foreign.push(db("cur_org", "999999999999", None));
    let p = plan_catalog(&cfg, &obs);
    assert_eq!(
        p.actions()
            .filter(|a| matches!(a, Action::CreateLink(_)))
            .count(),
        1
    );
    let cfg2 = parse(
        &format!("consumer:\n  trusted_producers: [\"{PROD}\"]\n  links:\n    - producer: \"{PROD}\"\n      database: cur_org\n      roles: [\"arn:aws:iam::444444444444:role/x\"]\n"),
        "t",
    )
    .unwrap()
    .consumer
    .unwrap();
    let p = plan_catalog(&cfg2, &shared());
    assert!(p.grants().is_empty());
    assert!(p
        .skipped
        .iter()
        .any(|s| s.reason.contains("not in this account")));
    assert!(p.actions().any(
        |a| matches!(a, Action::CreateLink(GlueLink::Database { name, .. }) if name == "cur_org_link")
    ));
}

#[test]
fn link_names() {
    let cfg = consumer("");
    assert_eq!(link_name(&cfg.links[0], "cur_org"), "cur_org_linked");
    let mut l = cfg.links[0].clone();
    l.link_name = Some("{database}_from_a".into());
    assert_eq!(link_name(&l, "x"), "x_from_a");
    l.link_name = None;
    assert_eq!(link_name(&l, "x"), "x_link");
}

/// The catalog after a first converged run, with the share no longer listed.
fn withdrawn(evidence: Evidence) -> (Consumer, Catalog) {
    let cfg = consumer("");
    let mut obs = shared();
    let first = plan_catalog(&cfg, &obs);
    apply_to(&mut obs, &first);
    obs.foreign.clear();
    obs.tables.clear();
    obs.unlisted
        .insert((PROD.into(), "cur_org".into()), evidence);
    (cfg, obs)
}

#[test]
fn an_unlisted_share_without_evidence_removes_nothing() {
    let (cfg, obs) = withdrawn(Evidence::Unconfirmed("AccessDeniedException".into()));
    let p = plan_catalog(&cfg, &obs);
    assert!(p.steps.is_empty(), "{:?}", p.steps);
    assert!(
        p.attention
            .iter()
            .any(|a| a.contains("AccessDeniedException") && a.contains("kept")),
        "{:?}",
        p.attention
    );
    // The statements stay even though the tables are no longer readable.
    assert!(
        p.already.iter().any(|(k, _)| k == "iam.put_role_policy"),
        "{:?}",
        p.already
    );
}

#[test]
fn every_removal_is_counted_for_the_cores_cap() {
    let (mut cfg, obs) = withdrawn(Evidence::Gone);
    // 1 link + 3 revokes + 1 role's statements: the core holds all 5 back above the cap
    // (reconcile::apply, `max_removals_per_run`), so the plan says nothing was removed.
    cfg.max_removals_per_run = 4;
    let p = plan_catalog(&cfg, &obs);
    assert_eq!(p.removals(), 5, "{:?}", p.steps);
    assert_eq!(p.steps.len(), 5, "{:?}", p.steps);
    assert!(
        !p.attention.iter().any(|a| a.contains("were removed")),
        "{:?}",
        p.attention
    );
    cfg.max_removals_per_run = 5;
    let p = plan_catalog(&cfg, &obs);
    assert_eq!(p.removals(), 5);
    assert!(p.attention.iter().any(|a| a.contains("were removed")));
}

#[test]
fn a_link_without_the_marker_is_used_but_never_deleted() {
    let (cfg, mut obs) = withdrawn(Evidence::Gone);
    obs.params.clear();
    let p = plan_catalog(&cfg, &obs);
    assert!(!p.actions().any(|a| matches!(a, Action::DeleteLink(_))));
    assert!(p
        .attention
        .iter()
        .any(|a| a.contains("not made by lakewarden")));
    // Listed again: used as it is (grants), reported and alerted, never recreated.
    let mut obs = shared();
    obs.own.insert(
        "cur_org_linked".into(),
        db("cur_org_linked", ME, Some((PROD, "cur_org"))),
    );
    let p = plan_catalog(&cfg, &obs);
    assert!(!p.actions().any(|a| matches!(a, Action::CreateLink(_))));
    assert_eq!(p.grants().len(), 3);
    assert!(p
        .attention
        .iter()
        .any(|a| a.contains("lakewarden:managed-by")));
    // A marked link repointed elsewhere by someone is not ours any more either.
    let mut params = marks(PROD, "cur_org");
    params.insert(LINK_TARGET.into(), format!("{PROD}:other"));
    obs.params.insert("cur_org_linked".into(), params);
    assert!(!obs.ours("cur_org_linked", PROD, "cur_org"));
}

#[test]
fn only_our_statements_of_decided_links_are_dropped() {
    let cfg = consumer("");
    let mut obs = shared();
    // A statement of a link no entry decides any more (e.g. its entry was edited) stays.
    let orphan = json!({"Sid": "LakewardenLinkGetsomethingelse", "Effect": "Allow",
        "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/x/*"]});
    obs.role_policies.insert(
        ROLE.into(),
        Some(json!({"Version": "2012-10-17", "Statement": [orphan.clone()]})),
    );
    let p = plan_catalog(&cfg, &obs);
    let w = policy_writes(&p);
    let st = policy::statements(w[0].planned.as_ref().unwrap());
    assert!(st.contains(&orphan), "{st:?}");
    assert_eq!(st.len(), 3);
}

#[test]
fn the_consumer_keys_of_issue_11_are_validated() {
    let base = format!(
        "consumer:\n  trusted_producers: [\"{PROD}\"]\n  links:\n    - producer: \"{PROD}\"\n      database: cur_org\n"
    );
    assert_eq!(consumer("").max_removals_per_run, 10, "default");
    let c = parse(&format!("{base}  max_removals_per_run: 3\n"), "t").unwrap();
    assert_eq!(c.consumer.unwrap().max_removals_per_run, 3);
    let e = parse(&format!("{base}  max_removals_per_run: 20000\n"), "t").unwrap_err();
    assert!(e.to_string().contains("max_removals_per_run"), "{e}");
    let e = parse(&format!("{base}      buckets: [\"Not_A_Bucket\"]\n"), "t").unwrap_err();
    assert!(e.to_string().contains("buckets[0]"), "{e}");
    let c = parse(&format!("{base}      buckets: [\"payroll-222\"]\n"), "t").unwrap();
    assert_eq!(c.consumer.unwrap().links[0].buckets, vec!["payroll-222"]);
}

// Lake Formation lets an account re-grant only what it received with the grant option (Lake
// Formation Developer Guide, "Granting permissions on Data Catalog resources",
// granting-catalog-permissions.html); holding every table by name is not the All-tables wildcard.

#[test]
fn named_tables_received_are_re_granted_by_name_never_as_the_wildcard() {
    let mut obs = shared();
    obs.received = received(false);
    let p = plan_catalog(&consumer(""), &obs);
    let grants = p.grants();
    assert!(
        !grants
            .iter()
            .any(|g| matches!(g.resource, LfResource::TableWildcard { .. })),
        "{grants:#?}"
    );
    assert!(grants.iter().any(|g| g.resource
        == LfResource::Table {
            catalog_id: PROD.into(),
            database: "cur_org".into(),
            name: "legacy_all".into()
        }
        && g.permissions == ["DESCRIBE".to_string(), "SELECT".to_string()].into()));
    assert_eq!(grants.len(), 3);
    assert!(p.skipped.is_empty(), "{:?}", p.skipped);
}

#[test]
fn what_was_received_without_the_grant_option_is_skipped_and_alerted() {
    let mut obs = shared();
    let mut r = lakewarden::lf::LfState::default();
    // DESCRIBE re-grantable on the wildcard, SELECT not.
    r.add(LfGrant {
        principal: ME.into(),
        resource: LfResource::TableWildcard {
            catalog_id: PROD.into(),
            database: "cur_org".into(),
        },
        permissions: ["SELECT".to_string(), "DESCRIBE".to_string()].into(),
        grantable: ["DESCRIBE".to_string()].into(),
    });
    obs.received = r;
    let p = plan_catalog(&consumer(""), &obs);
    let grants = p.grants();
    // DESCRIBE on the link, DESCRIBE on the wildcard; nothing on the database (not received).
    assert_eq!(grants.len(), 2, "{grants:#?}");
    assert!(grants
        .iter()
        .any(|g| matches!(g.resource, LfResource::TableWildcard { .. })
            && g.permissions == ["DESCRIBE".to_string()].into()));
    assert_eq!(p.skipped.len(), 1);
    assert!(p.skipped[0].reason.contains("SELECT"), "{:?}", p.skipped);
    assert!(
        p.skipped[0].reason.contains("DESCRIBE on database"),
        "{:?}",
        p.skipped
    );
    assert!(p.attention.iter().any(|a| a.contains("grant option")));
}

#[test]
fn nothing_received_grants_only_the_link() {
    let mut obs = shared();
    obs.received = lakewarden::lf::LfState::default();
    let p = plan_catalog(&consumer(""), &obs);
    let grants = p.grants();
    assert_eq!(grants.len(), 1);
    assert!(
        matches!(&grants[0].resource, LfResource::Database { catalog_id, .. } if catalog_id == ME)
    );
    assert_eq!(p.skipped.len(), 1);
}

#[test]
fn an_account_principal_is_the_account_its_root_or_an_organization() {
    assert!(held_by_account(ME, ME));
    assert!(held_by_account(&format!("arn:aws:iam::{ME}:root"), ME));
    assert!(held_by_account(
        "arn:aws:organizations::111111111111:organization/o-abc123def4",
        ME
    ));
    assert!(!held_by_account(PROD, ME));
    assert!(!held_by_account(ROLE, ME));
}
