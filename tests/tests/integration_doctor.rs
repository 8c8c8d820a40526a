//! integration-doctor against moto: every prerequisite of both sides, detected and fixed.

use lakewarden::report::{Outcome, Report};
use lakewarden_tests::*;
use serde_json::{json, Value};

const TABLE: &str = "cm-kasama-test-transactions";
const DB: &str = "cm_kasama_zero_etl_db";

struct S1 {
    source: Account,
    target: Account,
    bucket: String,
    integration: String,
    topic_s: String,
    topic_t: String,
}

async fn s1() -> S1 {
    let source = fresh_account().await;
    let target = fresh_account().await;
    source.ddb_table(TABLE, "transaction_id").await;
    let bucket = target.bucket("zetl-bucket").await;
    target.database(DB, None).await;
    target.service_role("zetl-target", "lambda").await;
    let integration = source
        .create_integration(
            "cm-kasama-cross-account-dynamodb-glue",
            TABLE,
            &target.id,
            DB,
        )
        .await;
    let topic_s = source.topic("lakewarden-alerts").await;
    let topic_t = target.topic("lakewarden-alerts").await;
    S1 {
        source,
        target,
        bucket,
        integration,
        topic_s,
        topic_t,
    }
}

impl S1 {
    fn source_config(&self, fix: bool, extra: &str) -> String {
        format!(
            "{extra}alerts: {{ topic_arn: \"{}\" }}\nintegrations:\n  fix: {fix}\n  sources: [{{ table: {TABLE}, allowed_target_accounts: [\"{}\"] }}]\n",
            self.topic_s, self.target.id
        )
    }
    fn target_config(&self, fix: bool, extra: &str) -> String {
        format!(
            "{extra}alerts: {{ topic_arn: \"{}\" }}\nintegrations:\n  fix: {fix}\n  targets: [{{ database: {DB}, allowed_source_accounts: [\"{}\"], target_role_arn: \"arn:aws:iam::{}:role/zetl-target\", bucket: {} }}]\n",
            self.topic_t, self.source.id, self.target.id, self.bucket
        )
    }
    fn state_event(
        &self,
        account: &str,
        side: &str,
        previous: &str,
        status: &str,
        errors: Value,
    ) -> Value {
        json!({"version": "0", "id": "e1", "detail-type": "Zero-ETL Integration State Change",
            "source": "lakewarden", "account": account, "time": "2026-11-24T10:00:00Z", "region": REGION,
            "resources": [self.integration], "detail": {
                "integrationArn": self.integration, "integrationName": "cm-kasama-cross-account-dynamodb-glue",
                "sourceArn": format!("arn:aws:dynamodb:{REGION}:{}:table/{TABLE}", self.source.id),
                "targetArn": format!("arn:aws:glue:{REGION}:{}:database/{DB}", self.target.id),
                "side": side, "previousStatus": previous, "status": status, "errors": errors}})
    }
    async fn table_policy(&self) -> Option<Value> {
        let arn = format!("arn:aws:dynamodb:{REGION}:{}:table/{TABLE}", self.source.id);
        let out = self
            .source
            .dynamodb()
            .get_resource_policy()
            .resource_arn(arn)
            .send()
            .await
            .ok()?;
        out.policy().map(|p| serde_json::from_str(p).unwrap())
    }
    async fn trust_policy(&self) -> Value {
        let role = lakewarden::aws::iam::get_role(&self.target.aws.iam, "zetl-target")
            .await
            .unwrap()
            .unwrap();
        lakewarden::policy::parse_document(&role.trust_policy.unwrap()).unwrap()
    }
    async fn catalog_policy(&self) -> Option<Value> {
        let out = self.target.glue().get_resource_policy().send().await.ok()?;
        out.policy_in_json()
            .map(|p| serde_json::from_str(p).unwrap())
    }
}

fn outcome(r: &Report, check: &str) -> Outcome {
    r.actions
        .iter()
        .find(|a| a.action == format!("check.{check}"))
        .unwrap_or_else(|| panic!("no check {check} in {r:#?}"))
        .outcome
}

#[tokio::test]
async fn source_side_prerequisites_are_fixed_and_foreign_statements_survive() {
    let s = s1().await;
    let theirs = json!({"Sid": "AnalyticsRead", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{}:role/analytics", s.source.id)},
        "Action": "dynamodb:GetItem", "Resource": "*"});
    s.source
        .dynamodb()
        .put_resource_policy()
        .resource_arn(format!(
            "arn:aws:dynamodb:{REGION}:{}:table/{TABLE}",
            s.source.id
        ))
        .policy(json!({"Version": "2012-10-17", "Statement": [theirs.clone()]}).to_string())
        .send()
        .await
        .unwrap();
    let ctx = s.source.ctx(&s.source_config(true, ""));
    let r = integration_doctor::handle(&ctx, scheduled_event(&s.source.id))
        .await
        .expect("doctor");
    assert_eq!(outcome(&r, "source.pitr"), Outcome::Applied);
    assert_eq!(outcome(&r, "source.table_policy"), Outcome::Applied);
    let pol = s.table_policy().await.unwrap();
    let st = pol["Statement"].as_array().unwrap();
    assert_eq!(st[0], theirs);
    assert_eq!(st[1]["Principal"]["Service"], "glue.amazonaws.com");
    assert_eq!(
        st[1]["Condition"]["StringEquals"]["aws:SourceAccount"],
        s.source.id.as_str()
    );
    assert_eq!(
        st[1]["Condition"]["StringLike"]["aws:SourceArn"],
        format!("arn:aws:glue:{REGION}:{}:integration:*", s.source.id)
    );
    let again = integration_doctor::handle(&ctx, scheduled_event(&s.source.id))
        .await
        .unwrap();
    assert_eq!(again.writes, 0, "{again:#?}");
    assert_eq!(outcome(&again, "source.pitr"), Outcome::Already);
}

#[tokio::test]
async fn target_side_prerequisites_are_fixed_and_foreign_statements_survive() {
    let s = s1().await;
    let theirs = json!({"Sid": "ReadForAudit", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{}:role/audit", s.target.id)},
        "Action": "glue:GetTables", "Resource": format!("arn:aws:glue:{REGION}:{}:catalog", s.target.id)});
    s.target
        .glue()
        .put_resource_policy()
        .policy_in_json(json!({"Version": "2012-10-17", "Statement": [theirs.clone()]}).to_string())
        .send()
        .await
        .unwrap();
    let ctx = s.target.ctx(&s.target_config(true, ""));
    let r = integration_doctor::handle(&ctx, scheduled_event(&s.target.id))
        .await
        .expect("doctor");
    for c in [
        "target.catalog_policy",
        "target.database_location",
        "target.resource_property",
        "target.role_trust",
        "target.role_permissions",
    ] {
        assert_eq!(outcome(&r, c), Outcome::Applied, "{c}");
    }
    let pol = s.catalog_policy().await.unwrap();
    let st = pol["Statement"].as_array().unwrap();
    assert_eq!(st[0], theirs);
    let text = pol.to_string();
    assert!(text.contains("glue:AuthorizeInboundIntegration"));
    assert!(text.contains(&format!("arn:aws:iam::{}:root", s.source.id)));
    let prop = s
        .target
        .glue()
        .get_integration_resource_property()
        .resource_arn(format!(
            "arn:aws:glue:{REGION}:{}:database/{DB}",
            s.target.id
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        prop.target_processing_properties().unwrap().role_arn(),
        Some(format!("arn:aws:iam::{}:role/zetl-target", s.target.id).as_str())
    );
    let db = s
        .target
        .glue()
        .get_database()
        .name(DB)
        .send()
        .await
        .unwrap();
    assert_eq!(
        db.database().unwrap().location_uri(),
        Some(format!("s3://{}/", s.bucket).as_str())
    );
    // The role's existing trust statement (Lambda) is kept next to Glue's.
    let trust = s.trust_policy().await.to_string();
    assert!(
        trust.contains("lambda.amazonaws.com") && trust.contains("glue.amazonaws.com"),
        "{trust}"
    );
    let again = integration_doctor::handle(&ctx, scheduled_event(&s.target.id))
        .await
        .unwrap();
    assert_eq!(again.writes, 0, "{again:#?}");
}

#[tokio::test]
async fn a_source_account_not_allowlisted_is_never_added() {
    let s = s1().await;
    let stranger = fresh_account().await;
    stranger
        .create_integration("sneaky", "t", &s.target.id, DB)
        .await;
    let r = integration_doctor::handle(
        &s.target.ctx(&s.target_config(true, "")),
        scheduled_event(&s.target.id),
    )
    .await
    .unwrap();
    let finding = r
        .actions
        .iter()
        .find(|a| a.action == "check.target.allowed_source")
        .expect("finding");
    assert_eq!(finding.outcome, Outcome::Skipped);
    assert!(finding.error.as_deref().unwrap().contains(&stranger.id));
    assert!(!s
        .catalog_policy()
        .await
        .unwrap()
        .to_string()
        .contains(&stranger.id));
    let sent = moto().sent_notifications(&s.target.id);
    assert!(sent.iter().any(|m| m.2.contains(&stranger.id)), "{sent:?}");
}

#[tokio::test]
async fn active_shares_the_target_tables() {
    let s = s1().await;
    s.target
        .parquet_table(
            DB,
            "transactions",
            &format!("s3://{}/transactions/", s.bucket),
        )
        .await;
    let consumer = new_account_id();
    let extra = format!(
        "producer:\n  shares:\n    - database: {DB}\n      consumers: [\"{consumer}\"]\n      bucket_policy: false\n"
    );
    // The event is a hint: the integration itself must be ACTIVE (DescribeInboundIntegrations).
    s.target
        .set_integration_status(&s.integration, "ACTIVE", json!([]));
    let r = integration_doctor::handle(
        &s.target.ctx(&s.target_config(true, &extra)),
        s.state_event(&s.target.id, "target", "CREATING", "ACTIVE", json!([])),
    )
    .await
    .expect("doctor");
    // The shared sharing code grants the tables through the All-tables wildcard of the database.
    assert!(
        r.actions.iter().any(|a| a.action == "lakeformation.grant"
            && a.outcome == Outcome::Applied
            && a.target.contains(&format!("{DB}.*"))),
        "{r:#?}"
    );
    let perms = s.target.lf_permissions().await;
    assert!(perms.iter().any(|p| {
        p.principal().unwrap().data_lake_principal_identifier() == Some(consumer.as_str())
            && p.resource().unwrap().table().is_some_and(|t| {
                t.database_name() == DB
                    && (t.table_wildcard().is_some() || t.name() == Some("transactions"))
            })
    }));
}

#[tokio::test]
async fn failed_alerts_with_the_errors_and_the_findings() {
    let s = s1().await;
    let r = integration_doctor::handle(
        &s.source.ctx(&s.source_config(false, "")),
        s.state_event(
            &s.source.id,
            "source",
            "CREATING",
            "FAILED",
            json!([{"code": "ValidationException", "message": "Glue cannot export the table: check its resource policy"}]),
        ),
    )
    .await
    .expect("doctor");
    assert_eq!(r.writes, 0, "fix is false");
    assert_eq!(outcome(&r, "source.pitr"), Outcome::Skipped);
    let sent = moto().sent_notifications(&s.source.id);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let body = &sent[0].2;
    assert!(body.contains("is FAILED (was CREATING)"), "{body}");
    assert!(body.contains("ValidationException"), "{body}");
    assert!(
        body.contains("source.pitr") && body.contains("source.table_policy"),
        "{body}"
    );
    assert!(body.contains("delete it and create it again"), "{body}");
}

#[tokio::test]
async fn dry_run_writes_nothing() {
    let s = s1().await;
    let r = integration_doctor::handle(
        &s.target.ctx(&s.target_config(true, "dry_run: true\n")),
        scheduled_event(&s.target.id),
    )
    .await
    .unwrap();
    assert_eq!(r.writes, 0, "{:?}", r.api_operations);
    assert_eq!(outcome(&r, "target.catalog_policy"), Outcome::Planned);
    assert_eq!(s.catalog_policy().await, None);
}

#[tokio::test]
async fn the_fixture_events_are_understood() {
    for f in [
        "zero-etl-state-change.json",
        "cloudtrail-create-integration.json",
        "cloudtrail-create-integration-resource-property.json",
    ] {
        integration_doctor::trigger::trigger(&event(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}

#[tokio::test]
async fn an_unsupported_event_is_a_bad_event_and_calls_nothing() {
    use lakewarden::runtime::HandlerError;
    let s = s1().await;
    let ctx = s.target.ctx(&s.target_config(true, ""));
    let before = ctx.aws.counter.snapshot();
    let mut other_call = event("cloudtrail-create-integration.json");
    other_call["detail"]["eventName"] = json!("DeleteIntegration");
    let mut incomplete = event("zero-etl-state-change.json");
    incomplete["detail"]
        .as_object_mut()
        .unwrap()
        .remove("status");
    for ev in [
        event("glue-create-table.json"),
        other_call,
        incomplete,
        json!([1, 2]),
    ] {
        let err = integration_doctor::handle(&ctx, ev).await.unwrap_err();
        assert!(matches!(err, HandlerError::BadEvent(_)), "{err}");
    }
    let mut r = Report::new("x", false);
    r.set_calls(&ctx.aws.counter, &before);
    assert!(r.api_operations.is_empty(), "{:?}", r.api_operations);
    assert_eq!(s.catalog_policy().await, None);
}

#[tokio::test]
async fn a_cloudtrail_create_integration_checks_the_source_right_away() {
    let s = s1().await;
    let mut ev = event("cloudtrail-create-integration.json");
    ev["account"] = json!(s.source.id);
    let r = integration_doctor::handle(&s.source.ctx(&s.source_config(true, "")), ev)
        .await
        .expect("doctor");
    assert_eq!(outcome(&r, "source.pitr"), Outcome::Applied);
    assert_eq!(outcome(&r, "source.table_policy"), Outcome::Applied);
    let ev = event("cloudtrail-create-integration-resource-property.json");
    let r = integration_doctor::handle(&s.target.ctx(&s.target_config(true, "")), ev)
        .await
        .expect("doctor");
    assert_eq!(outcome(&r, "target.catalog_policy"), Outcome::Applied);
}

/// After a full repair, break one prerequisite at a time: only that one is found and fixed.
#[tokio::test]
async fn each_prerequisite_is_detected_and_repaired_on_its_own() {
    use aws_sdk_dynamodb::types::PointInTimeRecoverySpecification;
    use aws_sdk_glue::types::{DatabaseInput, TargetProcessingProperties};
    let s = s1().await;
    let src = s.source.ctx(&s.source_config(true, ""));
    let tgt = s.target.ctx(&s.target_config(true, ""));
    integration_doctor::handle(&src, scheduled_event(&s.source.id))
        .await
        .unwrap();
    integration_doctor::handle(&tgt, scheduled_event(&s.target.id))
        .await
        .unwrap();
    let db_arn = format!("arn:aws:glue:{REGION}:{}:database/{DB}", s.target.id);
    let table_arn = format!("arn:aws:dynamodb:{REGION}:{}:table/{TABLE}", s.source.id);
    let lambda_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let source_checks = ["source.pitr", "source.table_policy"];
    let target_checks = [
        "target.catalog_policy",
        "target.database_location",
        "target.resource_property",
        "target.role_trust",
        "target.role_permissions",
    ];
    for broken in source_checks.iter().chain(&target_checks) {
        match *broken {
            "source.pitr" => {
                s.source
                    .dynamodb()
                    .update_continuous_backups()
                    .table_name(TABLE)
                    .point_in_time_recovery_specification(
                        PointInTimeRecoverySpecification::builder()
                            .point_in_time_recovery_enabled(false)
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await
                    .unwrap();
            }
            "source.table_policy" => {
                s.source
                    .dynamodb()
                    .delete_resource_policy()
                    .resource_arn(&table_arn)
                    .send()
                    .await
                    .unwrap();
            }
            "target.catalog_policy" => {
                s.target
                    .glue()
                    .delete_resource_policy()
                    .send()
                    .await
                    .unwrap();
            }
            "target.database_location" => {
                s.target
                    .glue()
                    .update_database()
                    .name(DB)
                    .database_input(DatabaseInput::builder().name(DB).build().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
            "target.resource_property" => {
                s.target
                    .glue()
                    .update_integration_resource_property()
                    .resource_arn(&db_arn)
                    .target_processing_properties(
                        TargetProcessingProperties::builder()
                            .role_arn(format!("arn:aws:iam::{}:role/other", s.target.id))
                            .build(),
                    )
                    .send()
                    .await
                    .unwrap();
            }
            "target.role_trust" => {
                s.target
                    .iam()
                    .update_assume_role_policy()
                    .role_name("zetl-target")
                    .policy_document(lambda_trust.to_string())
                    .send()
                    .await
                    .unwrap();
            }
            "target.role_permissions" => {
                s.target
                    .iam()
                    .delete_role_policy()
                    .role_name("zetl-target")
                    .policy_name("lakewarden-zero-etl")
                    .send()
                    .await
                    .unwrap();
            }
            other => unreachable!("{other}"),
        }
        let (ctx, account, checks) = if broken.starts_with("source.") {
            (&src, &s.source.id, &source_checks[..])
        } else {
            (&tgt, &s.target.id, &target_checks[..])
        };
        let r = integration_doctor::handle(ctx, scheduled_event(account))
            .await
            .unwrap_or_else(|e| panic!("{broken}: {e}"));
        for c in checks {
            let expected = if c == broken {
                Outcome::Applied
            } else {
                Outcome::Already
            };
            assert_eq!(outcome(&r, c), expected, "{broken} broken, {c}: {r:#?}");
        }
        let again = integration_doctor::handle(ctx, scheduled_event(account))
            .await
            .unwrap();
        assert_eq!(again.writes, 0, "{broken} not repaired: {again:#?}");
    }
}

#[tokio::test]
async fn needs_attention_alerts_what_was_fixed_and_what_a_person_must_do() {
    let s = s1().await;
    let r = integration_doctor::handle(
        &s.target.ctx(&s.target_config(true, "")),
        s.state_event(
            &s.target.id,
            "target",
            "ACTIVE",
            "NEEDS_ATTENTION",
            json!([{"code": "AccessDeniedException", "message": "Glue cannot assume the target role"}]),
        ),
    )
    .await
    .expect("fixed, so no failure");
    assert_eq!(outcome(&r, "target.role_trust"), Outcome::Applied);
    let sent = moto().sent_notifications(&s.target.id);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let body = &sent[0].2;
    for part in [
        "is NEEDS_ATTENTION (was ACTIVE)",
        "AccessDeniedException Glue cannot assume the target role",
        "Fixed now",
        "target.role_trust",
        "(iam.update_assume_role_policy)",
        "resumes by itself",
        "cannot be changed after creation",
    ] {
        assert!(body.contains(part), "{part} not in {body}");
    }
}

#[tokio::test]
async fn an_integration_to_a_target_account_not_allowlisted_is_reported() {
    let s = s1().await;
    let elsewhere = new_account_id();
    s.source
        .create_integration("to-elsewhere", TABLE, &elsewhere, DB)
        .await;
    let r = integration_doctor::handle(
        &s.source.ctx(&s.source_config(true, "")),
        scheduled_event(&s.source.id),
    )
    .await
    .unwrap();
    let finding = r
        .actions
        .iter()
        .find(|a| a.action == "check.source.allowed_target")
        .expect("finding");
    assert_eq!(finding.outcome, Outcome::Skipped);
    assert!(finding.error.as_deref().unwrap().contains(&elsewhere));
    // The table policy names only this account and Glue, never the other account.
    assert!(!s
        .table_policy()
        .await
        .unwrap()
        .to_string()
        .contains(&elsewhere));
    let sent = moto().sent_notifications(&s.source.id);
    assert!(sent.iter().any(|m| m.2.contains(&elsewhere)), "{sent:?}");
}

/// The databases on which `principal` holds any Lake Formation permission in `account`.
async fn databases_granted_to(account: &Account, principal: &str) -> Vec<String> {
    let perms = account.lf_permissions().await;
    perms
        .iter()
        .filter(|p| p.principal().unwrap().data_lake_principal_identifier() == Some(principal))
        .filter_map(|p| {
            let r = p.resource()?;
            r.table()
                .map(|t| t.database_name().to_string())
                .or_else(|| r.database().map(|d| d.name().to_string()))
        })
        .collect()
}

fn not_shared_reason(r: &Report) -> String {
    r.notes
        .iter()
        .find(|n| n.get("not_shared").is_some())
        .and_then(|n| n["reason"].as_str())
        .unwrap_or_else(|| panic!("no not_shared note in {r:#?}"))
        .to_string()
}

#[tokio::test]
async fn an_active_event_is_checked_against_the_integration_it_names() {
    let s = s1().await;
    s.target
        .parquet_table(
            DB,
            "transactions",
            &format!("s3://{}/transactions/", s.bucket),
        )
        .await;
    // A second configured database of the target account, that no integration targets.
    s.target.database("payroll_zero_etl", None).await;
    let consumer = new_account_id();
    let extra = format!(
        "producer:\n  shares:\n    - database: \"*zero_etl*\"\n      consumers: [\"{consumer}\"]\n      bucket_policy: false\n"
    );
    // integrations.fix: false, so that round 0 writes nothing either: every write would come
    // from acting on the event's claim.
    let ctx = s.target.ctx(&s.target_config(false, &extra));

    // 1. The integration is still CREATING: an event claiming ACTIVE writes nothing, says why.
    let r = integration_doctor::handle(
        &ctx,
        s.state_event(&s.target.id, "target", "CREATING", "ACTIVE", json!([])),
    )
    .await
    .expect("doctor");
    assert_eq!(r.writes, 0, "{:?}", r.api_operations);
    assert!(
        !r.actions.iter().any(|a| a.action == "lakeformation.grant"),
        "{r:#?}"
    );
    let why = not_shared_reason(&r);
    assert!(
        why.contains("DescribeInboundIntegrations says CREATING"),
        "{why}"
    );
    assert!(databases_granted_to(&s.target, &consumer).await.is_empty());

    // 2. An integration this account does not have (deleted, or never was): nothing, and why.
    let mut gone = s.state_event(&s.target.id, "target", "CREATING", "ACTIVE", json!([]));
    gone["detail"]["integrationArn"] = json!(format!(
        "arn:aws:glue:{REGION}:{}:integration/00000000-0000-0000-0000-000000000000",
        s.source.id
    ));
    let r = integration_doctor::handle(&ctx, gone)
        .await
        .expect("doctor");
    assert_eq!(r.writes, 0, "{:?}", r.api_operations);
    assert!(not_shared_reason(&r).contains("does not list"), "{r:#?}");

    // 3. ACTIVE now, but the event names another (configured) database as the target: the
    //    integration's own target is shared, never the event's.
    s.target
        .set_integration_status(&s.integration, "ACTIVE", json!([]));
    let mut forged = s.state_event(&s.target.id, "target", "CREATING", "ACTIVE", json!([]));
    forged["detail"]["targetArn"] = json!(format!(
        "arn:aws:glue:{REGION}:{}:database/payroll_zero_etl",
        s.target.id
    ));
    let ctx = s.target.ctx(&s.target_config(true, &extra));
    integration_doctor::handle(&ctx, forged)
        .await
        .expect("doctor");
    let granted = databases_granted_to(&s.target, &consumer).await;
    assert!(granted.iter().any(|d| d == DB), "{granted:?}");
    assert!(
        !granted.iter().any(|d| d == "payroll_zero_etl"),
        "{granted:?}"
    );
}
