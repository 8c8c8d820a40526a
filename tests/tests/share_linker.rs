//! share-linker against moto: the whole S2 flow, catalog-sharer in the producer account then
//! share-linker in the consumer account.

use lakewarden::report::{Outcome, Report};
use lakewarden::runtime::HandlerError;
use lakewarden_tests::*;
use serde_json::{json, Value};

struct S2 {
    producer: Account,
    consumer: Account,
    topic: String,
    role: String,
}

fn ram_event(account: &str) -> Value {
    let mut e = event("ram-resource-share-state-change.json");
    e["account"] = json!(account);
    e
}

/// RAM's event in the consumer account about one invitation (`resources` = its ARN).
fn ram_event_about(account: &str, invitation: &str) -> Value {
    let mut e = ram_event(account);
    e["resources"] = json!([invitation]);
    e["detail"]
        .as_object_mut()
        .unwrap()
        .remove("resourceShareArn");
    e
}

/// A producer sharing `cur_org` (two tables) with a fresh consumer through catalog-sharer.
async fn s2() -> S2 {
    let producer = fresh_account().await;
    let consumer = fresh_account().await;
    let bucket = producer.bucket("cur-data").await;
    producer.database("cur_org", None).await;
    for t in ["legacy_all", "daily"] {
        producer
            .parquet_table("cur_org", t, &format!("s3://{bucket}/cur/{t}/"))
            .await;
    }
    let cfg = format!(
        "producer:\n  shares:\n    - database: cur_org\n      consumers: [\"{}\"]\n",
        consumer.id
    );
    catalog_sharer::handle(&producer.ctx(&cfg), scheduled_event(&producer.id))
        .await
        .expect("producer shares");
    let role = format!("arn:aws:iam::{}:role/glue-job", consumer.id);
    consumer.service_role("glue-job", "glue").await;
    let topic = consumer.topic("lakewarden-alerts").await;
    S2 {
        producer,
        consumer,
        topic,
        role,
    }
}

impl S2 {
    fn config(&self, extra_top: &str) -> String {
        format!(
            "{extra_top}alerts: {{ topic_arn: \"{}\" }}\nconsumer:\n  trusted_producers: [\"{}\"]\n  links:\n    - producer: \"{}\"\n      database: cur_org\n      link_name: cur_org_linked\n      roles: [\"{}\"]\n",
            self.topic, self.producer.id, self.producer.id, self.role
        )
    }

    async fn run(&self, cfg: &str, ev: Value) -> Result<Report, HandlerError> {
        share_linker::handle(&self.consumer.ctx(cfg), ev).await
    }

    async fn invitations(&self) -> Vec<(String, String)> {
        let out = self
            .consumer
            .ram()
            .get_resource_share_invitations()
            .send()
            .await
            .unwrap();
        out.resource_share_invitations()
            .iter()
            .map(|i| {
                (
                    i.sender_account_id().unwrap_or_default().to_string(),
                    i.status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect()
    }

    async fn invitation_arn(&self, sender: &str) -> String {
        let out = self
            .consumer
            .ram()
            .get_resource_share_invitations()
            .send()
            .await
            .unwrap();
        out.resource_share_invitations()
            .iter()
            .find(|i| i.sender_account_id() == Some(sender))
            .and_then(|i| i.resource_share_invitation_arn())
            .expect("invitation")
            .to_string()
    }

    async fn link_target(&self) -> Option<(String, String)> {
        let out = self
            .consumer
            .glue()
            .get_database()
            .name("cur_org_linked")
            .send()
            .await
            .ok()?;
        let t = out.database()?.target_database()?;
        Some((
            t.catalog_id().unwrap_or_default().to_string(),
            t.database_name().unwrap_or_default().to_string(),
        ))
    }

    /// (principal, resource) of the consumer account's grants, readable.
    async fn grants(&self) -> Vec<String> {
        let out = self
            .consumer
            .lakeformation()
            .list_permissions()
            .catalog_id(&self.consumer.id)
            .send()
            .await
            .unwrap();
        let mut v: Vec<String> = out
            .principal_resource_permissions()
            .iter()
            .map(|p| {
                let r = p.resource().unwrap();
                let res = if let Some(d) = r.database() {
                    format!("db {}:{}", d.catalog_id().unwrap_or("-"), d.name())
                } else if let Some(t) = r.table() {
                    format!(
                        "tables {}:{}.{}",
                        t.catalog_id().unwrap_or("-"),
                        t.database_name(),
                        t.name().unwrap_or("*")
                    )
                } else {
                    "other".into()
                };
                let mut perms: Vec<&str> = p.permissions().iter().map(|x| x.as_str()).collect();
                perms.sort();
                format!(
                    "{} {} [{}]",
                    p.principal()
                        .unwrap()
                        .data_lake_principal_identifier()
                        .unwrap(),
                    res,
                    perms.join(",")
                )
            })
            .collect();
        v.sort();
        v
    }

    /// The producer stops sharing: it revokes everything it granted to the consumer.
    async fn withdraw(&self) {
        let lf = self.producer.lakeformation();
        let held = lf
            .list_permissions()
            .catalog_id(&self.producer.id)
            .send()
            .await
            .unwrap();
        for p in held.principal_resource_permissions() {
            lf.revoke_permissions()
                .catalog_id(&self.producer.id)
                .principal(p.principal().unwrap().clone())
                .resource(p.resource().unwrap().clone())
                .set_permissions(Some(p.permissions().to_vec()))
                .set_permissions_with_grant_option(Some(p.permissions_with_grant_option().to_vec()))
                .send()
                .await
                .unwrap();
        }
    }

    /// `Parameters` of the consumer's `cur_org_linked`.
    async fn link_parameters(&self) -> std::collections::HashMap<String, String> {
        let out = self
            .consumer
            .glue()
            .get_database()
            .name("cur_org_linked")
            .send()
            .await
            .unwrap();
        out.database()
            .unwrap()
            .parameters()
            .cloned()
            .unwrap_or_default()
    }

    async fn role_policy(&self) -> Option<Value> {
        let out = self
            .consumer
            .iam()
            .get_role_policy()
            .role_name("glue-job")
            .policy_name("lakewarden-share-linker")
            .send()
            .await
            .ok()?;
        Some(
            serde_json::from_str(&lakewarden::aws::iam::decode_document(
                out.policy_document(),
            ))
            .unwrap(),
        )
    }
}

#[tokio::test]
async fn a_trusted_share_is_accepted_linked_granted_and_readable_through_the_link() {
    let s = s2().await;
    assert_eq!(
        s.invitations().await,
        vec![(s.producer.id.clone(), "PENDING".to_string())]
    );
    let r = s
        .run(&s.config(""), ram_event(&s.consumer.id))
        .await
        .expect("run");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    assert_eq!(
        s.invitations().await,
        vec![(s.producer.id.clone(), "ACCEPTED".to_string())]
    );
    assert_eq!(
        s.link_target().await,
        Some((s.producer.id.clone(), "cur_org".to_string()))
    );
    let g = s.grants().await;
    let (c, p, role) = (&s.consumer.id, &s.producer.id, &s.role);
    let mut expected = vec![
        format!("{role} db {c}:cur_org_linked [DESCRIBE]"),
        format!("{role} db {p}:cur_org [DESCRIBE]"),
        format!("{role} tables {p}:cur_org.* [DESCRIBE,SELECT]"),
    ];
    expected.sort();
    assert_eq!(g, expected);
    // The role's policy lists exactly the shared tables' locations.
    let pol = s.role_policy().await.expect("inline policy");
    let objects = &pol["Statement"][0]["Resource"];
    assert_eq!(objects.as_array().unwrap().len(), 2, "{pol}");
    assert!(objects.to_string().contains("/cur/legacy_all/*"));
    // Through the link, the consumer lists the producer's tables.
    let tables = s
        .consumer
        .glue()
        .get_tables()
        .database_name("cur_org_linked")
        .send()
        .await
        .unwrap();
    let mut names: Vec<&str> = tables.table_list().iter().map(|t| t.name()).collect();
    names.sort();
    assert_eq!(names, vec!["daily", "legacy_all"]);
}

#[tokio::test]
async fn the_same_event_again_writes_nothing() {
    let s = s2().await;
    let cfg = s.config("");
    s.run(&cfg, ram_event(&s.consumer.id)).await.expect("first");
    let again = s
        .run(&cfg, ram_event(&s.consumer.id))
        .await
        .expect("second");
    assert_eq!(again.writes, 0, "{again:#?}");
    assert_eq!(again.count(Outcome::Applied), 0);
    assert!(again.count(Outcome::Already) >= 5, "{again:#?}");
}

#[tokio::test]
async fn an_untrusted_invitation_is_never_accepted_and_alerts_once() {
    let s = s2().await;
    // A second producer the configuration does not trust shares with the consumer too.
    let stranger = fresh_account().await;
    stranger.database("bait", None).await;
    let cfg = format!(
        "producer:\n  shares:\n    - database: bait\n      consumers: [\"{}\"]\n",
        s.consumer.id
    );
    catalog_sharer::handle(&stranger.ctx(&cfg), scheduled_event(&stranger.id))
        .await
        .unwrap();
    let (trusted_inv, stranger_inv) = (
        s.invitation_arn(&s.producer.id).await,
        s.invitation_arn(&stranger.id).await,
    );
    // RAM's event about the trusted invitation: accepted, and no alert about the stranger.
    let r = s
        .run(&s.config(""), ram_event_about(&s.consumer.id, &trusted_inv))
        .await
        .expect("run");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    assert!(r
        .actions
        .iter()
        .any(|a| a.outcome == Outcome::Skipped && a.target.contains(&stranger.id)));
    assert_eq!(moto().sent_notifications(&s.consumer.id).len(), 0);
    // RAM's event about the stranger's invitation: one alert, nothing accepted.
    s.run(
        &s.config(""),
        ram_event_about(&s.consumer.id, &stranger_inv),
    )
    .await
    .expect("run");
    let mut inv = s.invitations().await;
    inv.sort();
    let mut expected = vec![
        (s.producer.id.clone(), "ACCEPTED".to_string()),
        (stranger.id.clone(), "PENDING".to_string()),
    ];
    expected.sort();
    assert_eq!(inv, expected);
    let sent = moto().sent_notifications(&s.consumer.id);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].2.contains(&stranger_inv) && sent[0].2.contains("trusted_producers"));
    // Later RAM events about other invitations, Glue events and the scheduled reconcile do not
    // alert about it again.
    s.run(&s.config(""), ram_event_about(&s.consumer.id, &trusted_inv))
        .await
        .unwrap();
    s.run(&s.config(""), scheduled_event(&s.consumer.id))
        .await
        .unwrap();
    assert_eq!(moto().sent_notifications(&s.consumer.id).len(), 1);
    // And nothing of the stranger's is linked.
    let dbs = s.consumer.glue().get_databases().send().await.unwrap();
    assert_eq!(dbs.database_list().len(), 1);
}

#[tokio::test]
async fn a_name_clash_is_reported_and_not_overwritten() {
    let s = s2().await;
    s.consumer
        .database("cur_org_linked", Some("s3://mine/"))
        .await;
    let r = s
        .run(&s.config(""), ram_event(&s.consumer.id))
        .await
        .expect("run");
    assert!(r
        .actions
        .iter()
        .any(|a| a.action == "glue.create_resource_link" && a.outcome == Outcome::Skipped));
    assert_eq!(
        s.link_target().await,
        None,
        "the existing database is untouched"
    );
    let db = s
        .consumer
        .glue()
        .get_database()
        .name("cur_org_linked")
        .send()
        .await
        .unwrap();
    assert_eq!(db.database().unwrap().location_uri(), Some("s3://mine/"));
    let sent = moto().sent_notifications(&s.consumer.id);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].2.contains("not overwritten"), "{}", sent[0].2);
}

#[tokio::test]
async fn the_inline_policy_keeps_an_unrelated_statement() {
    let s = s2().await;
    let theirs = json!({"Sid": "ReadScripts", "Effect": "Allow", "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::glue-scripts/*"});
    s.consumer
        .iam()
        .put_role_policy()
        .role_name("glue-job")
        .policy_name("lakewarden-share-linker")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [theirs.clone()]}).to_string(),
        )
        .send()
        .await
        .unwrap();
    s.run(&s.config(""), ram_event(&s.consumer.id))
        .await
        .unwrap();
    s.run(&s.config(""), scheduled_event(&s.consumer.id))
        .await
        .unwrap();
    let pol = s.role_policy().await.unwrap();
    let st = pol["Statement"].as_array().unwrap();
    assert_eq!(st[0], theirs);
    assert_eq!(st.len(), 3, "ours added once: {pol}");
}

#[tokio::test]
async fn a_withdrawn_share_removes_link_grants_and_statements_and_says_so() {
    let s = s2().await;
    let cfg = s.config("");
    s.run(&cfg, ram_event(&s.consumer.id)).await.unwrap();
    assert!(s.link_target().await.is_some());
    // The producer stops sharing: it revokes everything it granted to the consumer.
    let lf = s.producer.lakeformation();
    let held = lf
        .list_permissions()
        .catalog_id(&s.producer.id)
        .send()
        .await
        .unwrap();
    for p in held.principal_resource_permissions() {
        lf.revoke_permissions()
            .catalog_id(&s.producer.id)
            .principal(p.principal().unwrap().clone())
            .resource(p.resource().unwrap().clone())
            .set_permissions(Some(p.permissions().to_vec()))
            .set_permissions_with_grant_option(Some(p.permissions_with_grant_option().to_vec()))
            .send()
            .await
            .unwrap();
    }
    let r = s
        .run(&cfg, scheduled_event(&s.consumer.id))
        .await
        .expect("run");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    assert_eq!(s.link_target().await, None);
    assert!(s.grants().await.is_empty(), "{:?}", s.grants().await);
    assert_eq!(s.role_policy().await, None);
    let sent = moto().sent_notifications(&s.consumer.id);
    assert!(sent.iter().any(|m| m.2.contains("is gone")), "{sent:?}");
}

#[tokio::test]
async fn dry_run_writes_nothing() {
    let s = s2().await;
    let r = s
        .run(&s.config("dry_run: true\n"), ram_event(&s.consumer.id))
        .await
        .expect("run");
    assert_eq!(r.writes, 0, "{:?}", r.api_operations);
    assert!(r.count(Outcome::Planned) >= 1);
    assert_eq!(
        s.invitations().await,
        vec![(s.producer.id.clone(), "PENDING".to_string())]
    );
    assert_eq!(s.link_target().await, None);
}

#[tokio::test]
async fn a_link_deleted_by_hand_comes_back_on_the_glue_event() {
    let s = s2().await;
    let cfg = s.config("");
    s.run(&cfg, ram_event(&s.consumer.id)).await.unwrap();
    s.consumer
        .glue()
        .delete_database()
        .name("cur_org_linked")
        .send()
        .await
        .unwrap();
    let mut ev = event("glue-consumer-delete-link.json");
    ev["account"] = json!(s.consumer.id);
    let r = s.run(&cfg, ev).await.expect("run");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    assert!(r
        .actions
        .iter()
        .any(|a| a.action == "glue.create_resource_link" && a.outcome == Outcome::Applied));
    assert_eq!(
        s.link_target().await,
        Some((s.producer.id.clone(), "cur_org".to_string()))
    );
    // A Glue event about a table of another database of this account converges the same way:
    // nothing left to do.
    let again = s
        .run(
            &cfg,
            glue_db_event(&s.consumer.id, "scratch", "CreateTable", &["t"]),
        )
        .await
        .unwrap();
    assert_eq!(again.writes, 0, "{again:#?}");
}

#[tokio::test]
async fn an_unsupported_event_is_rejected_before_any_call() {
    let s = s2().await;
    let ev = json!({"version": "0", "id": "x", "detail-type": "Object Created", "source": "aws.s3",
                    "account": s.consumer.id, "time": "2026-11-24T10:00:00Z",
                    "region": "us-east-1", "resources": [], "detail": {}});
    match s.run(&s.config(""), ev).await {
        Err(HandlerError::BadEvent(e)) => assert!(e.0.contains("aws.s3"), "{e}"),
        other => panic!("expected BadEvent, got {other:?}"),
    }
}

/// Issue 11 §3: share-linker's links carry its marker; a same-named link without it is used,
/// reported and alerted, and never deleted, even when the share is gone.
#[tokio::test]
async fn a_link_lakewarden_did_not_make_is_never_deleted() {
    use aws_sdk_glue::types::{DatabaseIdentifier, DatabaseInput};
    let s = s2().await;
    // Our own link carries the marker and where it points.
    let mine = s2().await;
    mine.run(&mine.config(""), ram_event(&mine.consumer.id))
        .await
        .expect("run");
    let params = mine.link_parameters().await;
    assert_eq!(
        params.get("lakewarden:managed-by").map(String::as_str),
        Some("share-linker")
    );
    assert_eq!(
        params.get("lakewarden:link-target"),
        Some(&format!("{}:cur_org", mine.producer.id))
    );
    // Someone made `cur_org_linked` by hand, pointing at the shared database.
    s.consumer
        .glue()
        .create_database()
        .database_input(
            DatabaseInput::builder()
                .name("cur_org_linked")
                .target_database(
                    DatabaseIdentifier::builder()
                        .catalog_id(&s.producer.id)
                        .database_name("cur_org")
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let cfg = s.config("");
    let r = s.run(&cfg, ram_event(&s.consumer.id)).await.expect("run");
    assert!(r
        .actions
        .iter()
        .any(|a| a.action == "glue.create_resource_link"
            && a.outcome == Outcome::Skipped
            && a.error
                .as_deref()
                .unwrap_or_default()
                .contains("not made by lakewarden")));
    assert_eq!(s.grants().await.len(), 3, "the link is used as it is");
    assert!(s.link_parameters().await.is_empty(), "and never changed");
    // The share is withdrawn: the grants and statements go, the hand-made link stays.
    s.withdraw().await;
    let r = s
        .run(&cfg, scheduled_event(&s.consumer.id))
        .await
        .expect("run");
    assert!(!r
        .actions
        .iter()
        .any(|a| a.action == "glue.delete_resource_link" && a.outcome == Outcome::Applied));
    assert_eq!(
        s.link_target().await,
        Some((s.producer.id.clone(), "cur_org".to_string()))
    );
    assert!(s.grants().await.is_empty());
    let sent = moto().sent_notifications(&s.consumer.id);
    assert!(
        sent.iter()
            .any(|m| m.2.contains("was not made by lakewarden") && m.2.contains("not deleted")),
        "{sent:?}"
    );
}

/// Issue 11 §4: an empty `GetDatabases(FOREIGN)` is what a role that lost its Lake Formation
/// administrator status sees. Without positive evidence nothing is removed; the producer's
/// catalog answering EntityNotFoundException is such evidence.
#[tokio::test]
async fn an_empty_listing_without_evidence_removes_nothing() {
    let s = s2().await;
    let cfg = s.config("");
    s.run(&cfg, ram_event(&s.consumer.id)).await.expect("run");
    let (grants, policy) = (s.grants().await, s.role_policy().await);
    assert_eq!(grants.len(), 3);
    s.withdraw().await;
    // The producer's database cannot be read (as when the role lost its LF admin status).
    let (status, body) = moto().http(
        "POST",
        "/lakewarden-test/faults",
        &json!({"target": "AWSGlue.GetDatabase", "body": format!("\"CatalogId\":\"{}\"", s.producer.id),
                "status": 400, "code": "AccessDeniedException",
                "message": "Insufficient Lake Formation permission(s)", "protocol": "json", "times": 1})
        .to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let r = s
        .run(&cfg, scheduled_event(&s.consumer.id))
        .await
        .expect("run");
    assert_eq!(r.writes, 0, "{r:#?}");
    assert_eq!(
        s.link_target().await,
        Some((s.producer.id.clone(), "cur_org".to_string()))
    );
    assert_eq!(s.grants().await, grants);
    assert_eq!(s.role_policy().await, policy);
    let sent = moto().sent_notifications(&s.consumer.id);
    assert!(
        sent.iter()
            .any(|m| m.2.contains("AccessDeniedException") && m.2.contains("are kept")),
        "{sent:?}"
    );
    // Next run: the producer's catalog answers EntityNotFoundException, positive evidence.
    s.run(&cfg, scheduled_event(&s.consumer.id))
        .await
        .expect("run");
    assert_eq!(s.link_target().await, None);
    assert!(s.grants().await.is_empty());
    assert_eq!(s.role_policy().await, None);
}

/// Issue 11 §4: beyond `consumer.max_removals_per_run` a run removes nothing and alerts.
#[tokio::test]
async fn more_removals_than_the_cap_remove_nothing_and_alert() {
    let s = s2().await;
    let cfg = s.config("");
    s.run(&cfg, ram_event(&s.consumer.id)).await.expect("run");
    s.withdraw().await;
    // One link, three grants and one role's statements would go: five removals.
    let capped = cfg.replace("consumer:\n", "consumer:\n  max_removals_per_run: 4\n");
    let r = s
        .run(&capped, scheduled_event(&s.consumer.id))
        .await
        .expect("run");
    assert_eq!(r.writes, 0, "{r:#?}");
    assert!(s.link_target().await.is_some());
    assert_eq!(s.grants().await.len(), 3);
    let sent = moto().sent_notifications(&s.consumer.id);
    assert!(
        sent.iter().any(|m| m.2.contains("max_removals_per_run")),
        "{sent:?}"
    );
    // The default (10) lets them go.
    s.run(&cfg, scheduled_event(&s.consumer.id))
        .await
        .expect("run");
    assert_eq!(s.link_target().await, None);
    assert!(s.grants().await.is_empty());
}

/// Issue 11 §1: a trusted producer's table pointing into a bucket of the consumer's own account
/// opens nothing there: every statement carries `s3:ResourceAccount` = the producer (the key is
/// the bucket owner's account: AWS Service Authorization Reference, "Actions, resources, and
/// condition keys for Amazon S3"), unless the link entry names the bucket in `buckets`.
#[tokio::test]
async fn a_table_in_the_consumers_own_bucket_opens_nothing_there() {
    let s = s2().await;
    let payroll = s.consumer.bucket("payroll").await;
    s.producer
        .parquet_table("cur_org", "bait", &format!("s3://{payroll}/salaries/"))
        .await;
    let cfg = s.config("");
    s.run(&cfg, ram_event(&s.consumer.id)).await.expect("run");
    let pol = s.role_policy().await.expect("inline policy");
    let statements = pol["Statement"].as_array().unwrap();
    let mut on_payroll = 0;
    for st in statements {
        assert_eq!(
            st["Condition"]["StringEquals"]["s3:ResourceAccount"],
            s.producer.id.as_str(),
            "{st}"
        );
        if st["Resource"].to_string().contains(&payroll) {
            on_payroll += 1;
        }
    }
    assert_eq!(on_payroll, 2, "{pol}");
    assert!(!pol.to_string().contains(&format!("\"{}\"", s.consumer.id)));
    // Named in `buckets`, the bucket is opened as configured, in statements of its own.
    let named = cfg.replace(
        "roles: [",
        &format!("buckets: [\"{payroll}\"]\n      roles: ["),
    );
    s.run(&named, scheduled_event(&s.consumer.id))
        .await
        .expect("run");
    let pol = s.role_policy().await.unwrap();
    for st in pol["Statement"].as_array().unwrap() {
        let opens_payroll = st["Resource"].to_string().contains(&payroll);
        assert_eq!(
            st["Condition"]["StringEquals"].is_null(),
            opens_payroll,
            "{st}"
        );
    }
}

/// Issue 13: when the role's grants cannot be completed, the alert says why the role cannot
/// read the shared table (`lakewarden explain`'s verdict and first failing step).
#[tokio::test]
async fn a_failed_role_grant_alert_carries_the_explain_verdict() {
    let s = s2().await;
    // Lake Formation refuses this consumer account's grants (the body names its catalog id).
    let (status, body) = moto().http(
        "POST",
        "/lakewarden-test/faults",
        &json!({"method": "POST", "path": "/BatchGrantPermissions", "body": s.consumer.id,
                "status": 400, "code": "AccessDeniedException",
                "message": "refused by test", "protocol": "json"})
        .to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let err = s
        .run(&s.config(""), ram_event(&s.consumer.id))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("failed"), "{err}");
    let sent = moto().sent_notifications(&s.consumer.id);
    assert!(
        sent.iter()
            .any(|m| m.2.contains("explain: ") && m.2.contains(&s.role) && m.2.contains("cur_org")),
        "{sent:?}"
    );
}
