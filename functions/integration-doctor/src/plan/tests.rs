use super::*;
use lakewarden::config::parse;

const S: &str = "111111111111";
const T: &str = "222222222222";

fn cfg() -> Integrations {
    parse(&format!(
        "integrations:\n  fix: true\n  sources: [{{ table: tx, allowed_target_accounts: [\"{T}\"] }}]\n  targets: [{{ database: zdb, allowed_source_accounts: [\"{S}\"], target_role_arn: \"arn:aws:iam::{T}:role/zetl-target\", bucket: zetl-bucket }}]\n"
    ), "t").unwrap().integrations.unwrap()
}

fn observed(account: &str) -> Observed {
    Observed {
        account: account.into(),
        region: "us-east-1".into(),
        ..Default::default()
    }
}

fn fixable(c: &[Check], name: &str) -> Action {
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
        Action::EnablePitr { table: "tx".into() }
    );
    let Action::PutTablePolicy {
        document, revision, ..
    } = fixable(&checks, "source.table_policy")
    else {
        panic!()
    };
    assert_eq!(revision, None);
    let st = policy::statements(&document);
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
        property_role: Some(Some(t.target_role_arn.clone())),
        role: Some(RoleInfo {
            name: "zetl-target".into(),
            arn: t.target_role_arn.clone(),
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
        Verdict::Fixable(Action::PutResourceProperty { exists: true, .. })
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
    let Merge::Put(doc) = desired_catalog_policy(&c, &o).unwrap() else {
        panic!()
    };
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
    let Verdict::Fixable(Action::PutCatalogPolicy { document, .. }) = &checks
        .iter()
        .find(|c| c.name == "target.catalog_policy")
        .unwrap()
        .verdict
    else {
        panic!()
    };
    assert!(!document.to_string().contains("999999999999"));
}

#[test]
fn triggers() {
    assert_eq!(
        trigger(&json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}))
            .unwrap(),
        Trigger::Schedule
    );
    let ct = json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.glue", "detail": {"eventName": "CreateIntegration"}});
    assert_eq!(
        trigger(&ct).unwrap(),
        Trigger::ApiCall("CreateIntegration".into())
    );
    let other = json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.glue", "detail": {"eventName": "DeleteTable"}});
    assert!(trigger(&other).is_err());
    let bad_state = json!({"detail-type": "Zero-ETL Integration State Change", "source": "lakewarden", "detail": {"status": "FAILED"}});
    assert!(trigger(&bad_state).is_err());
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
