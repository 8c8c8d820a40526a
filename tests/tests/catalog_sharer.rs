//! catalog-sharer against moto, through the real SDK.

use lakewarden::report::{Outcome, Report};
use lakewarden::runtime::HandlerError;
use lakewarden_tests::*;
use serde_json::{json, Value};

const ORG: &str = "arn:aws:organizations::111111111111:organization/o-abc123def4";

struct Producer {
    acct: Account,
    bucket: String,
    topic: String,
    consumer: String,
    role: String,
}

async fn producer(tables: &[&str]) -> Producer {
    let acct = fresh_account().await;
    let bucket = acct.bucket("cur-data").await;
    let topic = acct.topic("lakewarden-alerts").await;
    acct.database("cur_org", Some(&format!("s3://{bucket}/cur/")))
        .await;
    for t in tables {
        acct.parquet_table("cur_org", t, &format!("s3://{bucket}/cur/{t}/"))
            .await;
    }
    let consumer = new_account_id();
    let role = format!("arn:aws:iam::{}:role/analyst", new_account_id());
    Producer {
        acct,
        bucket,
        topic,
        consumer,
        role,
    }
}

impl Producer {
    fn config(&self, extra: &str) -> String {
        format!(
            r#"
alerts: {{ topic_arn: "{topic}" }}
producer:
  shares:
    - database: "cur_*"
      consumers: ["{c}", "{ORG}", "{r}"]
{extra}"#,
            topic = self.topic,
            c = self.consumer,
            r = self.role
        )
    }

    async fn run(&self, config: &str, event: Value) -> Result<Report, HandlerError> {
        let ctx = self.acct.ctx(config);
        catalog_sharer::handle(&ctx, event).await
    }

    async fn create_table_event(&self, tables: &[&str]) -> Value {
        glue_db_event(&self.acct.id, "cur_org", "CreateTable", tables)
    }

    /// (principal, resource JSON, permissions, grantable) as Lake Formation lists them.
    async fn grants(&self) -> Vec<(String, String, Vec<String>, Vec<String>)> {
        let out = self.acct.lf_permissions().await;
        let mut v: Vec<_> = out
            .iter()
            .map(|p| {
                let r = p.resource().unwrap();
                let res = if let Some(d) = r.database() {
                    format!("db:{}", d.name())
                } else if let Some(t) = r.table() {
                    format!("table:{}.{}", t.database_name(), t.name().unwrap_or("*"))
                } else {
                    "other".to_string()
                };
                let mut perms: Vec<String> = p
                    .permissions()
                    .iter()
                    .map(|x| x.as_str().to_string())
                    .collect();
                perms.sort();
                let mut g: Vec<String> = p
                    .permissions_with_grant_option()
                    .iter()
                    .map(|x| x.as_str().to_string())
                    .collect();
                g.sort();
                (
                    p.principal()
                        .unwrap()
                        .data_lake_principal_identifier()
                        .unwrap()
                        .to_string(),
                    res,
                    perms,
                    g,
                )
            })
            .collect();
        v.sort();
        v
    }
}

fn outcomes(r: &Report, o: Outcome) -> usize {
    r.count(o)
}

#[tokio::test]
async fn create_table_grants_account_org_and_role_consumers() {
    let p = producer(&["legacy_all"]).await;
    let r = p
        .run(&p.config(""), p.create_table_event(&["legacy_all"]).await)
        .await
        .expect("run");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    let g = p.grants().await;
    let sel_desc = vec!["DESCRIBE".to_string(), "SELECT".to_string()];
    for principal in [p.consumer.as_str(), ORG] {
        assert!(
            g.contains(&(
                principal.into(),
                "table:cur_org.*".into(),
                sel_desc.clone(),
                sel_desc.clone()
            )),
            "{principal} All-tables grant missing in {g:#?}"
        );
        assert!(
            g.contains(&(
                principal.into(),
                "db:cur_org".into(),
                vec!["DESCRIBE".into()],
                vec!["DESCRIBE".into()]
            )),
            "{principal} database grant missing in {g:#?}"
        );
    }
    // A cross-account role gets the permissions without grant option.
    assert!(
        g.contains(&(
            p.role.clone(),
            "table:cur_org.*".into(),
            sel_desc.clone(),
            vec![]
        )),
        "{g:#?}"
    );
    // No grant per table: the All-tables wildcard covers every table, present and future.
    assert!(
        !g.iter().any(|x| x.1 == "table:cur_org.legacy_all"),
        "{g:#?}"
    );
    assert_eq!(r.calls_of("lakeformation.BatchGrantPermissions"), 1);
    // The database's location (which covers every table) is registered once, with the
    // service-linked role.
    let res = p
        .acct
        .lakeformation()
        .list_resources()
        .send()
        .await
        .unwrap();
    let arns: Vec<_> = res
        .resource_info_list()
        .iter()
        .filter_map(|r| r.resource_arn())
        .collect();
    assert!(
        arns == vec![format!("arn:aws:s3:::{}/cur", p.bucket).as_str()],
        "{arns:?}"
    );
}

#[tokio::test]
async fn the_same_event_twice_writes_nothing_the_second_time() {
    let p = producer(&["legacy_all", "daily"]).await;
    let cfg = p.config("");
    let ev = p.create_table_event(&["legacy_all"]).await;
    let first = p.run(&cfg, ev.clone()).await.expect("first");
    assert!(first.writes > 0);
    let before = p.grants().await;
    let policy_before = p.acct.bucket_policy(&p.bucket).await;
    let second = p.run(&cfg, ev).await.expect("second");
    assert_eq!(second.writes, 0, "{second:#?}");
    assert_eq!(outcomes(&second, Outcome::Applied), 0);
    assert_eq!(outcomes(&second, Outcome::Failed), 0);
    assert!(outcomes(&second, Outcome::Already) >= 8, "{second:#?}");
    assert_eq!(p.grants().await, before);
    assert_eq!(p.acct.bucket_policy(&p.bucket).await, policy_before);
}

#[tokio::test]
async fn forty_five_new_tables_are_shared_with_one_wildcard_grant_and_one_registration() {
    let names: Vec<String> = (0..45).map(|i| format!("t{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let p = producer(&refs).await;
    let r = p
        .run(
            &p.config(""),
            glue_db_event(&p.acct.id, "cur_org", "CreateTable", &refs),
        )
        .await
        .expect("run");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    // 3 consumers × (database + All tables) = 6 entries: one batch call.
    assert_eq!(r.calls_of("lakeformation.BatchGrantPermissions"), 1);
    assert_eq!(p.grants().await.len(), 6);
    // One registration for the database, not one per table.
    assert_eq!(r.calls_of("lakeformation.RegisterResource"), 1);
    // The bucket statements name the database's prefix once, not 45 table prefixes.
    let pol = p
        .acct
        .bucket_policy(&p.bucket)
        .await
        .expect("bucket policy");
    assert!(
        pol.to_string().contains(&format!("{}/cur/*", p.bucket)),
        "{pol}"
    );
    assert!(!pol.to_string().contains("cur/t00/"), "{pol}");
}

#[tokio::test]
async fn forty_five_named_tables_take_at_most_three_batch_calls_per_consumer() {
    let names: Vec<String> = (0..45).map(|i| format!("t{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let p = producer(&refs).await;
    let single = format!(
        "alerts: {{ topic_arn: \"{}\" }}\nproducer:\n  shares:\n    - database: cur_org\n      consumers: [\"{}\"]\n      tables: [\"t*\"]\n",
        p.topic, p.consumer
    );
    let r = p
        .run(
            &single,
            glue_db_event(&p.acct.id, "cur_org", "CreateTable", &refs),
        )
        .await
        .expect("run");
    assert!(
        r.calls_of("lakeformation.BatchGrantPermissions") <= 3,
        "{:?}",
        r.api_operations
    );
    assert_eq!(p.grants().await.len(), 46);
    // Three consumers: 138 entries, ≤ 3 calls for each consumer's share of them.
    let r3 = p
        .run(
            &p.config("      tables: [\"t*\"]\n"),
            scheduled_event(&p.acct.id),
        )
        .await
        .expect("run");
    assert!(
        r3.calls_of("lakeformation.BatchGrantPermissions") <= 9,
        "{:?}",
        r3.api_operations
    );
    assert_eq!(p.grants().await.len(), 46 * 3);
    // Read once: one ListPermissions for the whole run.
    assert_eq!(r3.calls_of("lakeformation.ListPermissions"), 1);
}

#[tokio::test]
async fn an_unconfigured_database_changes_nothing() {
    let p = producer(&["legacy_all"]).await;
    p.acct.database("sales_private", None).await;
    p.acct
        .parquet_table(
            "sales_private",
            "orders",
            &format!("s3://{}/sales/orders/", p.bucket),
        )
        .await;
    let r = p
        .run(
            &p.config(""),
            glue_db_event(&p.acct.id, "sales_private", "CreateTable", &["orders"]),
        )
        .await
        .expect("run");
    assert_eq!(r.writes, 0);
    assert!(r.actions.is_empty());
    assert!(r.api_calls.is_empty(), "{:?}", r.api_calls);
    assert!(r.notes[0]["ignored"]
        .as_str()
        .unwrap()
        .contains("sales_private"));
    assert!(p.grants().await.is_empty());
}

#[tokio::test]
async fn dry_run_plans_everything_and_writes_nothing() {
    let p = producer(&["legacy_all"]).await;
    let r = p
        .run(
            &format!("dry_run: true\n{}", p.config("")),
            p.create_table_event(&["legacy_all"]).await,
        )
        .await
        .expect("run");
    assert!(r.dry_run);
    assert_eq!(r.writes, 0, "{:?}", r.api_operations);
    assert!(outcomes(&r, Outcome::Planned) >= 8);
    assert_eq!(outcomes(&r, Outcome::Applied), 0);
    assert!(p.grants().await.is_empty());
    assert_eq!(p.acct.bucket_policy(&p.bucket).await, None);
}

#[tokio::test]
async fn deleting_a_table_revokes_what_was_granted_on_it() {
    let p = producer(&["keep", "drop_me"]).await;
    // Named-table sharing (`tables:`): grants per table, revoked when the table goes.
    let cfg = p.config("      tables: [\"*\"]\n");
    p.run(&cfg, scheduled_event(&p.acct.id))
        .await
        .expect("grant");
    assert!(p
        .grants()
        .await
        .iter()
        .any(|g| g.1 == "table:cur_org.drop_me"));
    // Someone else's grant on the same table is not ours to revoke.
    let foreign = format!("arn:aws:iam::{}:role/etl", p.acct.id);
    lf_grant_select(&p, &foreign, "drop_me").await;
    p.acct
        .glue()
        .delete_table()
        .database_name("cur_org")
        .name("drop_me")
        .send()
        .await
        .unwrap();
    let r = p
        .run(
            &cfg,
            glue_db_event(&p.acct.id, "cur_org", "DeleteTable", &["drop_me"]),
        )
        .await
        .expect("revoke");
    assert_eq!(
        r.actions
            .iter()
            .filter(|a| a.action == "lakeformation.revoke" && a.outcome == Outcome::Applied)
            .count(),
        3,
        "{r:#?}"
    );
    let g = p.grants().await;
    let left: Vec<_> = g
        .iter()
        .filter(|g| g.1 == "table:cur_org.drop_me")
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].0, foreign);
    assert!(g.iter().any(|g| g.1 == "table:cur_org.keep"));
    // Bucket statements name the database's location, never a table's own prefix.
    let pol = p.acct.bucket_policy(&p.bucket).await.unwrap().to_string();
    assert!(pol.contains("/cur/*") && !pol.contains("drop_me"), "{pol}");
}

async fn lf_grant_select(p: &Producer, principal: &str, table: &str) {
    use aws_sdk_lakeformation::types::*;
    p.acct
        .lakeformation()
        .grant_permissions()
        .catalog_id(&p.acct.id)
        .principal(
            DataLakePrincipal::builder()
                .data_lake_principal_identifier(principal)
                .build(),
        )
        .resource(
            Resource::builder()
                .table(
                    TableResource::builder()
                        .catalog_id(&p.acct.id)
                        .database_name("cur_org")
                        .name(table)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .permissions(Permission::Select)
        .send()
        .await
        .expect("foreign grant");
}

#[tokio::test]
async fn bucket_policy_keeps_unrelated_statement_and_adds_ours_once() {
    let p = producer(&["legacy_all"]).await;
    let theirs = json!({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
        "Action": "s3:*", "Resource": [format!("arn:aws:s3:::{}", p.bucket), format!("arn:aws:s3:::{}/*", p.bucket)],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
    p.acct
        .s3()
        .put_bucket_policy()
        .bucket(&p.bucket)
        .policy(json!({"Version": "2012-10-17", "Statement": [theirs.clone()]}).to_string())
        .send()
        .await
        .unwrap();
    let cfg = p.config("");
    p.run(&cfg, p.create_table_event(&["legacy_all"]).await)
        .await
        .expect("run");
    p.run(&cfg, scheduled_event(&p.acct.id))
        .await
        .expect("run again");
    let pol = p.acct.bucket_policy(&p.bucket).await.unwrap();
    let st = pol["Statement"].as_array().unwrap();
    assert_eq!(
        st[0], theirs,
        "unrelated statement survives untouched and first"
    );
    let sids: Vec<&str> = st.iter().filter_map(|s| s["Sid"].as_str()).collect();
    let ours: Vec<&&str> = sids
        .iter()
        .filter(|s| s.starts_with("LakewardenShare"))
        .collect();
    assert_eq!(ours.len(), 4, "{sids:?}");
    let mut dedup = sids.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), sids.len(), "no duplicated Sid: {sids:?}");
    for s in st.iter().filter(|s| {
        s["Sid"]
            .as_str()
            .unwrap_or("")
            .starts_with("LakewardenShareOrg")
    }) {
        assert_eq!(s["Principal"]["AWS"], "*");
        assert_eq!(
            s["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
            json!(["o-abc123def4"])
        );
    }
}

#[tokio::test]
async fn a_malformed_event_is_a_clear_error_and_touches_nothing() {
    let p = producer(&["legacy_all"]).await;
    let ctx = p.acct.ctx(&p.config(""));
    let before = ctx.aws.counter.snapshot();
    let mut r = Report::new("x", false);
    for ev in [
        event("malformed-glue-event.json"),
        json!({"hello": "world"}),
        json!([1, 2]),
    ] {
        let err = catalog_sharer::handle(&ctx, ev).await.unwrap_err();
        assert!(matches!(err, HandlerError::BadEvent(_)), "{err}");
        assert!(err.to_string().contains("malformed event"), "{err}");
    }
    r.set_calls(&ctx.aws.counter, &before);
    assert!(r.api_operations.is_empty(), "{:?}", r.api_operations);
    assert!(p.grants().await.is_empty());
}

#[tokio::test]
async fn a_failing_call_alerts_and_returns_an_error_after_applying_the_rest() {
    let p = producer(&["legacy_all"]).await;
    // The bucket refuses our policy write.
    let (status, body) = moto().http(
        "POST",
        "/lakewarden-test/faults",
        &json!({"method": "PUT", "path": format!("/{}", p.bucket), "query": "policy",
                "status": 403, "code": "AccessDenied", "message": "Access Denied by test", "protocol": "xml"})
        .to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let err = p
        .run(&p.config(""), p.create_table_event(&["legacy_all"]).await)
        .await
        .unwrap_err();
    let HandlerError::ActionsFailed { report, .. } = &err else {
        panic!("{err}")
    };
    let failed = report.failures();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].action, "s3.put_bucket_policy");
    assert!(failed[0].error.as_deref().unwrap().contains("AccessDenied"));
    // Everything else was still applied.
    assert!(report.count(Outcome::Applied) >= 7);
    assert!(!p.grants().await.is_empty());
    // One alert, naming function and resource, with the AWS error and what to do.
    let sent = moto().sent_notifications(&p.acct.id);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let (topic, subject, body) = &sent[0];
    assert_eq!(topic, &p.topic);
    assert!(subject.len() <= 100);
    assert!(
        subject.contains("catalog-sharer") && subject.contains("cur_org"),
        "{subject}"
    );
    assert!(
        body.contains("AccessDenied") && body.contains("What to do"),
        "{body}"
    );
}

#[tokio::test]
async fn explicit_ram_share_holds_database_and_tables() {
    let p = producer(&["a", "b"]).await;
    let cfg = format!(
        "producer:\n  shares:\n    - database: cur_org\n      consumers: [\"{}\"]\n      ram: explicit\n",
        p.consumer
    );
    p.run(&cfg, scheduled_event(&p.acct.id))
        .await
        .expect("create share");
    p.acct
        .parquet_table("cur_org", "c", &format!("s3://{}/cur/c/", p.bucket))
        .await;
    let r = p
        .run(
            &cfg,
            glue_db_event(&p.acct.id, "cur_org", "CreateTable", &["c"]),
        )
        .await
        .expect("extend share");
    assert!(
        r.actions
            .iter()
            .any(|a| a.action == "ram.associate" && a.outcome == Outcome::Applied),
        "{r:#?}"
    );
    let ram = p.acct.ram();
    let shares = ram
        .get_resource_shares()
        .resource_owner(aws_sdk_ram::types::ResourceOwner::SelfValue)
        .send()
        .await
        .unwrap();
    let ours: Vec<_> = shares
        .resource_shares()
        .iter()
        .filter(|s| s.name() == Some("lakewarden-cur_org"))
        .collect();
    assert_eq!(ours.len(), 1);
    let assoc = ram
        .get_resource_share_associations()
        .association_type(aws_sdk_ram::types::ResourceShareAssociationType::Resource)
        .resource_share_arns(ours[0].resource_share_arn().unwrap())
        .send()
        .await
        .unwrap();
    let mut res: Vec<_> = assoc
        .resource_share_associations()
        .iter()
        .filter_map(|a| a.associated_entity())
        .map(String::from)
        .collect();
    res.sort();
    assert_eq!(res.len(), 4, "{res:?}");
    assert!(res.iter().any(|r| r.ends_with(":table/cur_org/c")));
    let again = p.run(&cfg, scheduled_event(&p.acct.id)).await.unwrap();
    assert_eq!(again.writes, 0, "{again:#?}");
}

#[tokio::test]
async fn a_table_moved_outside_the_allowed_locations_is_refused_and_alerted() {
    let p = producer(&["moving"]).await;
    let cfg = p.config("");
    p.run(&cfg, p.create_table_event(&["moving"]).await)
        .await
        .expect("first");
    let new_bucket = p.acct.bucket("cur-new").await;
    let new_loc = format!("s3://{new_bucket}/cur/moving/");
    let glue = p.acct.glue();
    let t = glue
        .get_table()
        .database_name("cur_org")
        .name("moving")
        .send()
        .await
        .unwrap();
    let t = t.table().unwrap();
    let sd = t.storage_descriptor().unwrap().clone();
    let sd = aws_sdk_glue::types::StorageDescriptor::builder()
        .set_columns(sd.columns.clone())
        .location(&new_loc)
        .build();
    glue.update_table()
        .database_name("cur_org")
        .table_input(
            aws_sdk_glue::types::TableInput::builder()
                .name("moving")
                .storage_descriptor(sd)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let ev = json!({"version": "0", "id": "u1", "detail-type": "Glue Data Catalog Table State Change",
        "source": "aws.glue", "account": p.acct.id, "time": "2026-11-24T10:00:00Z", "region": REGION,
        "resources": [], "detail": {"databaseName": "cur_org", "tableName": "moving",
        "typeOfChange": "UpdateTable", "changedPartitions": []}});
    // Table locations are data: a table moved to another bucket is not followed there (the
    // allowed places are the database's LocationUri unless `locations` says otherwise).
    let r = p.run(&cfg, ev).await.expect("update");
    assert_eq!(r.failures().len(), 0);
    assert_eq!(p.acct.bucket_policy(&new_bucket).await, None);
    assert!(!r
        .actions
        .iter()
        .any(|a| a.action == "lakeformation.register_location" && a.target.contains(&new_bucket)));
    let skipped = r
        .actions
        .iter()
        .find(|a| a.outcome == Outcome::Skipped && a.target == "table cur_org.moving")
        .expect("the moved table is skipped");
    assert!(
        skipped.error.as_deref().unwrap().contains(&new_bucket),
        "{skipped:?}"
    );
    let sent = moto().sent_notifications(&p.acct.id);
    assert!(
        sent.iter()
            .any(|m| m.2.contains("cur_org.moving") && m.2.contains(&new_bucket)),
        "{sent:?}"
    );
    // Listing the new bucket as an allowed location makes it follow.
    let cfg2 = p.config(&format!(
        "      locations: [\"s3://{}/cur/\", \"s3://{new_bucket}/cur/\"]\n",
        p.bucket
    ));
    let r2 = p
        .run(&cfg2, scheduled_event(&p.acct.id))
        .await
        .expect("allowed");
    assert_eq!(r2.failures().len(), 0, "{r2:#?}");
    assert!(p
        .acct
        .bucket_policy(&new_bucket)
        .await
        .expect("new bucket has our statements")
        .to_string()
        .contains(&format!("{new_bucket}/cur/*")));
}

#[tokio::test]
async fn a_bucket_it_cannot_read_is_reported_with_the_statements_its_owner_must_add() {
    let p = producer(&["legacy_all"]).await;
    // As for a bucket owned by another account: its policy cannot be read.
    moto().http(
        "POST",
        "/lakewarden-test/faults",
        &json!({"method": "GET", "path": format!("/{}", p.bucket), "query": "policy",
                "status": 403, "code": "AccessDenied", "message": "Access Denied", "protocol": "xml"})
        .to_string(),
    );
    let r = p
        .run(&p.config(""), p.create_table_event(&["legacy_all"]).await)
        .await
        .expect("grants still applied, no failure");
    let skipped: Vec<_> = r
        .actions
        .iter()
        .filter(|a| a.outcome == Outcome::Skipped)
        .collect();
    assert_eq!(skipped.len(), 1, "{r:#?}");
    assert!(skipped[0]
        .error
        .as_deref()
        .unwrap()
        .contains("AccessDenied"));
    assert!(skipped[0]
        .remedy
        .as_deref()
        .unwrap()
        .contains("LakewardenShareOrgGet"));
    assert!(!p.grants().await.is_empty());
    assert_eq!(r.calls_of("sns.Publish"), 1, "{:?}", r.api_operations);
    let sent = moto().sent_notifications(&p.acct.id);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].1.contains("needs attention"), "{}", sent[0].1);
    assert!(sent[0].2.contains("aws:PrincipalOrgID"), "{}", sent[0].2);
}

#[test]
fn every_fixture_is_understood_as_documented() {
    use catalog_sharer::trigger::trigger;
    use lakewarden::reconcile::Trigger;
    use lakewarden::sharing::Scope;
    let cfg = lakewarden::config::parse(
        "producer:\n  shares:\n    - database: \"cur_*\"\n      consumers: [\"222222222222\"]\n",
        "t",
    )
    .unwrap()
    .producer
    .unwrap();
    let cur_org = Trigger::Run(Scope::Databases(["cur_org".to_string()].into()));
    for f in [
        "glue-create-database.json",
        "glue-create-table.json",
        "glue-update-table.json",
        "glue-delete-table.json",
        "glue-batch-delete-table.json",
        "glue-delete-database.json",
    ] {
        assert_eq!(trigger(&event(f), &cfg).unwrap(), cur_org, "{f}");
    }
    assert_eq!(
        trigger(&event("scheduled.json"), &cfg).unwrap(),
        Trigger::Run(Scope::All)
    );
    assert!(matches!(
        trigger(&event("glue-create-table-unconfigured-db.json"), &cfg).unwrap(),
        Trigger::Ignore(_)
    ));
    assert!(trigger(&event("malformed-glue-event.json"), &cfg).is_err());
}
