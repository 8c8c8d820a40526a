use super::target::grouped;
use super::*;
use crate::trigger::StateChange;
use lakewarden::config::parse;
use lakewarden::policy::{self, allows};
use lakewarden::reconcile::{PolicyTarget, PolicyWrite};
use lakewarden::report::{Outcome, Report};

const S: &str = "111111111111";
const T: &str = "222222222222";

fn cfg() -> Integrations {
    parse(&format!(
        "integrations:\n  fix: true\n  sources: [{{ table: tx, allowed_target_accounts: [\"{T}\"] }}]\n  targets: [{{ database: zdb, allowed_source_accounts: [\"{S}\"], target_role_arn: \"arn:aws:iam::{T}:role/zetl-target\", bucket: zetl-bucket }}]\n"
    ), "t").unwrap().integrations.unwrap()
}

fn observed(account: &str) -> Diagnosis {
    Diagnosis {
        account: account.into(),
        region: "us-east-1".into(),
        ..Default::default()
    }
}

fn fixable(c: &[Check], name: &str) -> Action<Ext> {
    match &c.iter().find(|c| c.name == name).unwrap().verdict {
        Verdict::Fixable(a) => a.clone(),
        v => panic!("{name}: {v:?}"),
    }
}

#[test]
fn a_bare_source_needs_pitr_and_the_table_policy_of_the_seed() {
    let c = cfg();
    let mut o = observed(S);
    o.sources.push(SourceObs {
        table: "tx".into(),
        table_arn: Some(format!("arn:aws:dynamodb:us-east-1:{S}:table/tx")),
        pitr: false,
        policy: None,
    });
    let checks = checks(
        &Integrations {
            targets: vec![],
            ..c
        },
        &o,
    );
    assert_eq!(
        fixable(&checks, "source.pitr"),
        Action::DynamoEnablePitr { table: "tx".into() }
    );
    let Action::Policy(w) = fixable(&checks, "source.table_policy") else {
        panic!()
    };
    assert_eq!(
        w.target,
        PolicyTarget::DynamoDb {
            resource_arn: format!("arn:aws:dynamodb:us-east-1:{S}:table/tx")
        }
    );
    assert_eq!(w.kind(), "dynamodb.put_resource_policy");
    let st = policy::statements(w.planned.as_ref().unwrap());
    for a in EXPORT_ACTIONS {
        assert!(allows(
            &st,
            Some(GLUE),
            a,
            &format!("arn:aws:dynamodb:us-east-1:{S}:table/tx")
        ));
    }
}

#[test]
fn a_complete_target_passes_every_check() {
    let c = cfg();
    let mut o = observed(T);
    let t = &c.targets[0];
    let doc = json!({"Version": "2012-10-17", "Statement": catalog_statements(t, &o)});
    o.catalog_policy = Some((doc, "h".into()));
    let trust = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": GLUE}, "Action": "sts:AssumeRole"}]});
    o.targets.push(TargetObs {
        database: "zdb".into(),
        db: Some(DatabaseInfo {
            name: "zdb".into(),
            catalog_id: None,
            location_uri: Some("s3://zetl-bucket/".into()),
            target: None,
        }),
        property_role: Some(Some(t.target_role_arn.to_string())),
        role: Some(RoleInfo {
            name: "zetl-target".into(),
            arn: t.target_role_arn.to_string(),
            trust_policy: Some(trust.to_string()),
            boundary_arn: None,
        }),
        role_statements: role_statements(t, &o),
        our_role_policy: None,
    });
    let checks = checks(
        &Integrations {
            sources: vec![],
            ..c
        },
        &o,
    );
    assert!(
        checks.iter().all(|c| c.verdict == Verdict::Ok),
        "{checks:#?}"
    );
}

#[test]
fn a_wrong_role_on_the_property_is_updated_and_explained() {
    let c = cfg();
    let mut o = observed(T);
    o.targets.push(TargetObs {
        database: "zdb".into(),
        property_role: Some(Some("arn:aws:iam::222222222222:role/old".into())),
        ..Default::default()
    });
    let checks = checks(
        &Integrations {
            sources: vec![],
            ..c
        },
        &o,
    );
    let p = checks
        .iter()
        .find(|c| c.name == "target.resource_property")
        .unwrap();
    assert!(matches!(
        &p.verdict,
        Verdict::Fixable(Action::Ext(Ext::PutResourceProperty { exists: true, .. }))
    ));
    assert!(p.detail.contains("delete and recreate"));
    assert!(checks
        .iter()
        .any(|c| c.name == "target.role" && matches!(c.verdict, Verdict::Manual(_))));
}

#[test]
fn the_catalog_policy_only_names_allowlisted_accounts_and_glue() {
    let c = cfg();
    let o = observed(T);
    let doc = desired_catalog_policy(&c, &o)
        .unwrap()
        .unwrap()
        .planned
        .unwrap();
    let text = doc.to_string();
    assert!(text.contains(&format!("arn:aws:iam::{S}:root")));
    for s in policy::statements(&doc) {
        for p in policy::principals(&s) {
            assert!(p == GLUE || p == format!("arn:aws:iam::{S}:root"), "{p}");
        }
    }
}

#[test]
fn an_integration_from_an_unlisted_account_is_a_finding_only() {
    let c = cfg();
    let mut o = observed(T);
    o.targets.push(TargetObs {
        database: "zdb".into(),
        ..Default::default()
    });
    o.integrations
        .push(lakewarden::aws::glue_integrations::IntegrationInfo {
            arn: "arn:aws:glue:us-east-1:999999999999:integration:x".into(),
            name: String::new(),
            source_arn: "arn:aws:dynamodb:us-east-1:999999999999:table/t".into(),
            target_arn: format!("arn:aws:glue:us-east-1:{T}:database/zdb"),
            status: "CREATING".into(),
            errors: vec![],
        });
    let checks = checks(
        &Integrations {
            sources: vec![],
            ..c
        },
        &o,
    );
    let f = checks
        .iter()
        .find(|c| c.name == "target.allowed_source")
        .unwrap();
    assert!(matches!(f.verdict, Verdict::Manual(_)));
    let Verdict::Fixable(Action::Policy(PolicyWrite {
        target: PolicyTarget::GlueCatalog,
        planned: Some(document),
        ..
    })) = &checks
        .iter()
        .find(|c| c.name == "target.catalog_policy")
        .unwrap()
        .verdict
    else {
        panic!()
    };
    assert!(!document.to_string().contains("999999999999"));
}

fn verdict<'a>(c: &'a [Check], name: &str) -> &'a Verdict {
    &c.iter().find(|c| c.name == name).unwrap().verdict
}

#[test]
fn a_deny_that_a_new_statement_cannot_outweigh_is_left_to_a_person() {
    let c = cfg();
    let deny_glue = json!({"Sid": "NoServices", "Effect": "Deny", "Principal": {"Service": GLUE},
        "Action": "*", "Resource": "*"});
    let mut o = observed(S);
    o.sources.push(SourceObs {
        table: "tx".into(),
        table_arn: Some(format!("arn:aws:dynamodb:us-east-1:{S}:table/tx")),
        pitr: true,
        policy: Some((
            json!({"Version": "2012-10-17", "Statement": [deny_glue.clone()]}),
            "r1".into(),
        )),
    });
    let source = checks(
        &Integrations {
            targets: vec![],
            ..c.clone()
        },
        &o,
    );
    let Verdict::Manual(remedy) = verdict(&source, "source.table_policy") else {
        panic!("{source:#?}")
    };
    assert!(remedy.contains("Deny"), "{remedy}");

    let mut o = observed(T);
    o.catalog_policy = Some((
        json!({"Version": "2012-10-17", "Statement": [deny_glue.clone()]}),
        "h1".into(),
    ));
    o.targets.push(TargetObs {
        database: "zdb".into(),
        ..Default::default()
    });
    let target = checks(
        &Integrations {
            sources: vec![],
            ..c
        },
        &o,
    );
    assert!(
        matches!(verdict(&target, "target.catalog_policy"), Verdict::Manual(r) if r.contains("Deny")),
        "{target:#?}"
    );
}

#[test]
fn missing_permissions_are_named_once_per_resource() {
    let pairs = [
        ("a:X", "r1"),
        ("a:Y", "r1"),
        ("b:Z", "r2"),
        ("a:X", "r1"),
        ("a:W", "r1"),
    ]
    .map(|(a, r)| (a.to_string(), r.to_string()));
    assert_eq!(grouped(&pairs), "a:X, a:Y, a:W on r1; b:Z on r2");
}

/// A bare source and target: every fixable check's action, applied to the model, leaves
/// nothing to fix.
fn bare(o: &mut Diagnosis, c: &Integrations) {
    let t = &c.targets[0];
    o.sources.push(SourceObs {
        table: "tx".into(),
        table_arn: Some(format!("arn:aws:dynamodb:us-east-1:{}:table/tx", o.account)),
        pitr: false,
        policy: None,
    });
    let lambda = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    o.targets.push(TargetObs {
        database: "zdb".into(),
        db: Some(DatabaseInfo {
            name: "zdb".into(),
            catalog_id: None,
            location_uri: None,
            target: None,
        }),
        property_role: None,
        role: Some(RoleInfo {
            name: "zetl-target".into(),
            arn: t.target_role_arn.to_string(),
            trust_policy: Some(lambda.to_string()),
            boundary_arn: None,
        }),
        role_statements: vec![],
        our_role_policy: None,
    });
}

fn apply_to(o: &mut Diagnosis, p: &Plan<Ext>) {
    for a in p.actions() {
        match a {
            Action::DynamoEnablePitr { .. } => o.sources[0].pitr = true,
            Action::Ext(Ext::SetDatabaseLocation { location, .. }) => {
                o.targets[0].db.as_mut().unwrap().location_uri = Some(location.clone())
            }
            Action::Ext(Ext::PutResourceProperty { role_arn, .. }) => {
                o.targets[0].property_role = Some(Some(role_arn.clone()))
            }
            Action::Policy(w) => {
                let doc = w.planned.clone().unwrap();
                match &w.target {
                    PolicyTarget::DynamoDb { .. } => o.sources[0].policy = Some((doc, "r2".into())),
                    PolicyTarget::GlueCatalog => o.catalog_policy = Some((doc, "h2".into())),
                    PolicyTarget::IamTrust { .. } => {
                        o.targets[0].role.as_mut().unwrap().trust_policy = Some(doc.to_string())
                    }
                    PolicyTarget::IamInline { .. } => {
                        let t = &mut o.targets[0];
                        let old = t
                            .our_role_policy
                            .as_ref()
                            .map(policy::statements)
                            .unwrap_or_default();
                        t.role_statements.retain(|s| !old.contains(s));
                        t.role_statements.extend(policy::statements(&doc));
                        t.our_role_policy = Some(doc);
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn fixing_everything_converges() {
    let c = cfg();
    for account in [S, T] {
        let mut o = observed(account);
        bare(&mut o, &c);
        let first = plan_checks(&checks(&c, &o), true);
        assert_eq!(first.steps.len(), 7, "{:#?}", first.steps);
        assert!(first.skipped.is_empty(), "{:#?}", first.skipped);
        apply_to(&mut o, &first);
        let again = checks(&c, &o);
        assert!(again.iter().all(|c| c.verdict == Verdict::Ok), "{again:#?}");
        let second = plan_checks(&again, true);
        assert!(second.steps.is_empty() && second.notes.is_empty());
        assert_eq!(second.already.len(), 7);
    }
}

#[test]
fn each_check_is_already_fixed_or_left_to_a_person() {
    let c = cfg();
    let mut o = observed(T);
    bare(&mut o, &c);
    o.targets[0].db.as_mut().unwrap().location_uri = Some("s3://zetl-bucket/".into());
    o.targets[0].role = None;
    let found = checks(&c, &o);
    let p = plan_checks(&found, true);
    assert!(p.already.contains(&(
        "check.target.database_location".into(),
        "database zdb".into()
    )));
    let (kind, target) = p
        .steps
        .iter()
        .find(|s| s.action.kind() == "dynamodb.enable_pitr")
        .unwrap()
        .label();
    assert_eq!(
        (kind.as_str(), target.as_str()),
        ("check.source.pitr", "table tx")
    );
    let role = p
        .skipped
        .iter()
        .find(|s| s.action == "check.target.role")
        .unwrap();
    assert!(role.remedy.as_deref().unwrap().contains("Create the role"));
    assert!(p.attention.iter().any(|a| a.contains("target.role")));
    // Fix disabled: nothing is planned; each fixable finding says what would fix it.
    let p = plan_checks(&found, false);
    assert!(p.steps.is_empty());
    let pitr = p
        .skipped
        .iter()
        .find(|s| s.action == "check.source.pitr")
        .unwrap();
    assert!(
        pitr.reason.contains("integrations.fix is false"),
        "{pitr:?}"
    );
    assert!(pitr
        .remedy
        .as_deref()
        .unwrap()
        .contains("dynamodb.enable_pitr"));
    assert!(p.attention.iter().any(|a| a.contains("source.pitr")));
}

#[test]
fn the_status_alert_names_errors_failed_checks_and_what_was_fixed() {
    let c = cfg();
    let mut o = observed(T);
    bare(&mut o, &c);
    let p = plan_checks(&checks(&c, &o), true);
    let mut report = Report::new("integration-doctor", false);
    for n in &p.notes {
        report.note(n.clone());
    }
    for s in &p.steps {
        let (kind, target) = s.label();
        let outcome = if kind == "check.target.role_trust" {
            Outcome::Applied
        } else {
            Outcome::Planned
        };
        report.push(&kind, target, outcome);
    }
    let s: StateChange = serde_json::from_value(json!({
        "integrationArn": "arn:aws:glue:us-east-1:1:integration:i", "integrationName": "i",
        "sourceArn": "s", "targetArn": "t", "side": "target", "previousStatus": "ACTIVE",
        "status": "NEEDS_ATTENTION",
        "errors": [{"code": "AccessDeniedException", "message": "no"}]}))
    .unwrap();
    let msg = alert::status_alert(&s, &report).unwrap();
    for part in [
        "is NEEDS_ATTENTION (was ACTIVE)",
        "AccessDeniedException no",
        "Failed checks on this side:",
        "- target.catalog_policy database zdb: the Glue catalog policy does not allow",
        "Fixed now:\n- target.role_trust role arn:aws:iam::222222222222:role/zetl-target (iam.update_assume_role_policy)",
        "resumes by itself",
    ] {
        assert!(msg.contains(part), "{part} not in {msg}");
    }
    assert!(!msg.contains("(glue.put_resource_policy)"), "{msg}");
    let active = StateChange {
        status: "ACTIVE".into(),
        ..s
    };
    assert_eq!(alert::status_alert(&active, &report), None);
}

/// Glue's service principal in the catalog policy carries the source conditions AWS documents:
/// aws:SourceAccount on CreateInboundIntegration (the console's policy, seed 001) and
/// aws:SourceArn = the source DynamoDB tables on AuthorizeInboundIntegration (AWS Glue developer
/// guide, "Configuring a target for a zero-ETL integration", "Provide Catalog RBAC policy").
#[test]
fn glue_in_the_catalog_policy_is_held_to_the_allowed_source_accounts() {
    let c = cfg();
    let o = observed(T);
    let statements = catalog_statements(&c.targets[0], &o);
    let by_action = |action: &str| {
        statements
            .iter()
            .find(|s| s["Principal"] == json!({"Service": GLUE}) && s["Action"] == json!(action))
            .unwrap_or_else(|| panic!("{action} in {statements:?}"))
            .clone()
    };
    assert_eq!(
        by_action("glue:AuthorizeInboundIntegration")["Condition"],
        json!({"ArnLike": {"aws:SourceArn": [format!("arn:aws:dynamodb:*:{S}:table/*")]}})
    );
    assert_eq!(
        by_action("glue:CreateInboundIntegration")["Condition"],
        json!({"StringEquals": {"aws:SourceAccount": [S]}})
    );
    // No allowed source account: only this account's tables (a same-account integration).
    let mut same = c.targets[0].clone();
    same.allowed_source_accounts.clear();
    let statements = catalog_statements(&same, &o);
    let authorize = statements
        .iter()
        .find(|s| s["Action"] == json!("glue:AuthorizeInboundIntegration"))
        .unwrap();
    assert_eq!(
        authorize["Condition"]["ArnLike"]["aws:SourceArn"],
        json!([format!("arn:aws:dynamodb:*:{T}:table/*")])
    );
    // The merged catalog policy still passes the statement guard.
    assert!(desired_catalog_policy(&c, &o).is_ok());
}
