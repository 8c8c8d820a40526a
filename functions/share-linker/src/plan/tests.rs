use super::*;
use lakewarden::config::parse;

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

fn shared() -> Observed {
    Observed {
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
        ..Default::default()
    }
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

fn ram(mentions: &[&str]) -> Trigger {
    Trigger::Ram {
        mentions: mentions.iter().map(|m| m.to_string()).collect(),
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
    assert_eq!(p.actions.len(), 1);
    assert!(matches!(&p.actions[0], Action::AcceptInvitation { sender, .. } if sender == PROD));
    assert_eq!(p.skipped.len(), 1);
    assert_eq!(p.attention.len(), 1);
    assert!(p.attention[0].contains("999999999999"));
    for t in [Trigger::Schedule, Trigger::Glue] {
        let p = plan_invitations(&cfg, &invs, &t);
        assert!(p.attention.is_empty(), "alerted once, on the RAM event");
        assert_eq!(
            p.actions.len(),
            1,
            "trusted ones are accepted on any trigger"
        );
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
fn link_grants_and_policy_for_a_new_share() {
    let p = plan(&consumer(""), &shared());
    assert!(p.actions.contains(&Action::CreateLink {
        name: "cur_org_linked".into(),
        producer: PROD.into(),
        database: "cur_org".into()
    }));
    let grants: Vec<_> = p
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Grant(g) => Some(g),
            _ => None,
        })
        .collect();
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
    let Some(Action::PutRolePolicy { document, .. }) = p
        .actions
        .iter()
        .find(|a| matches!(a, Action::PutRolePolicy { .. }))
    else {
        panic!("no policy")
    };
    let st = policy::statements(document);
    assert_eq!(st.len(), 2);
    assert_eq!(
        st[0]["Resource"],
        json!(["arn:aws:s3:::cur-data/cur/legacy_all/*"])
    );
    assert_eq!(
        st[1]["Condition"]["StringLike"]["s3:prefix"],
        json!(["cur/legacy_all/*"])
    );
}

#[test]
fn converged_state_plans_nothing() {
    let cfg = consumer("");
    let mut obs = shared();
    let first = plan(&cfg, &obs);
    for a in &first.actions {
        match a {
            Action::CreateLink {
                name,
                producer,
                database,
            } => {
                obs.own
                    .insert(name.clone(), db(name, ME, Some((producer, database))));
            }
            Action::Grant(g) => obs.permissions.add(g.clone()),
            Action::PutRolePolicy { role, document } => {
                obs.role_policies
                    .insert(role.clone(), Some(document.clone()));
            }
            _ => {}
        }
    }
    let second = plan(&cfg, &obs);
    assert!(second.actions.is_empty(), "{:?}", second.actions);
}

#[test]
fn a_name_clash_is_reported_and_nothing_is_overwritten() {
    let cfg = consumer("");
    let mut obs = shared();
    obs.own
        .insert("cur_org_linked".into(), db("cur_org_linked", ME, None));
    let p = plan(&cfg, &obs);
    assert!(!p
        .actions
        .iter()
        .any(|a| matches!(a, Action::CreateLink { .. } | Action::DeleteLink { .. })));
    assert!(p.attention[0].contains("not a resource link"));
    obs.own.insert(
        "cur_org_linked".into(),
        db("cur_org_linked", ME, Some(("333333333333", "other"))),
    );
    let p = plan(&cfg, &obs);
    assert!(p.attention[0].contains("333333333333:other"));
}

#[test]
fn a_withdrawn_share_removes_link_grants_and_statements() {
    let cfg = consumer("");
    let mut obs = shared();
    let first = plan(&cfg, &obs);
    for a in &first.actions {
        match a {
            Action::Grant(g) => obs.permissions.add(g.clone()),
            Action::PutRolePolicy { role, document } => {
                obs.role_policies
                    .insert(role.clone(), Some(document.clone()));
            }
            _ => {}
        }
    }
    obs.own.insert(
        "cur_org_linked".into(),
        db("cur_org_linked", ME, Some((PROD, "cur_org"))),
    );
    obs.foreign.clear();
    obs.tables.clear();
    let p = plan(&cfg, &obs);
    assert!(p
        .actions
        .iter()
        .any(|a| matches!(a, Action::DeleteLink { name, .. } if name == "cur_org_linked")));
    assert_eq!(
        p.actions
            .iter()
            .filter(|a| matches!(a, Action::Revoke(_)))
            .count(),
        3
    );
    assert!(p
        .actions
        .iter()
        .any(|a| matches!(a, Action::DeleteRolePolicy { .. })));
    assert!(p.attention.iter().any(|m| m.contains("gone")));
}

#[test]
fn untrusted_producers_and_foreign_roles_are_never_used() {
    let cfg = consumer("");
    let mut obs = shared();
    obs.foreign.push(db("cur_org", "999999999999", None));
    let p = plan(&cfg, &obs);
    assert_eq!(
        p.actions
            .iter()
            .filter(|a| matches!(a, Action::CreateLink { .. }))
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
    let p = plan(&cfg2, &shared());
    assert!(!p.actions.iter().any(|a| matches!(a, Action::Grant(_))));
    assert!(p
        .skipped
        .iter()
        .any(|s| s.reason.contains("not in this account")));
    assert!(p
        .actions
        .iter()
        .any(|a| matches!(a, Action::CreateLink { name, .. } if name == "cur_org_link")));
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

#[test]
fn triggers() {
    let ev = json!({"detail-type": RAM_CHANGE, "source": RAM_SOURCE, "detail": {}});
    assert_eq!(trigger(&ev).unwrap(), ram(&[]));
    let ev = json!({"detail-type": RAM_CHANGE, "source": RAM_SOURCE,
        "resources": ["arn:aws:ram:us-east-1:1:resource-share-invitation/i"],
        "detail": {"event": "Resource Share Invitation", "status": "pending",
                   "resourceShareArn": "arn:aws:ram:us-east-1:1:resource-share/s"}});
    assert_eq!(
        trigger(&ev).unwrap(),
        ram(&[
            "arn:aws:ram:us-east-1:1:resource-share-invitation/i",
            "arn:aws:ram:us-east-1:1:resource-share/s"
        ])
    );
    let s = json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
    assert_eq!(trigger(&s).unwrap(), Trigger::Schedule);
    assert!(trigger(&json!({"detail-type": "x", "source": "aws.s3", "detail": {}})).is_err());
}
