//! Scenarios S1 and S2 in one account (issue 10 §4): the zero-ETL target account, whose Data
//! Catalog resource policy integration-doctor writes, also shares a database with catalog-sharer.
//! Both work, and the catalog policy keeps both functions' statements.
//!
//! AWS page followed: Lake Formation Developer Guide, "Managing cross-account permissions using
//! both AWS Glue and Lake Formation" (hybrid-cross-account.html), section "When granting
//! cross-account permissions using the Lake Formation named resources method": with a catalog
//! resource policy, the grants reach the consumer only when the policy allows
//! `glue:ShareResource` to `ram.amazonaws.com` (emulated by tests/moto_ext lf_catalog_policy.py:
//! without it the grant succeeds but the consumer never sees the share). Catalog policies are
//! merged by Sid: neither function drops or alters the other's statements.

use lakewarden::report::{Outcome, Report};
use lakewarden_tests::*;
use serde_json::{json, Value};

const TABLE: &str = "cm-kasama-test-transactions";
const ZDB: &str = "cm_kasama_zero_etl_db";
const S2DB: &str = "cur_org";
const ROLE_SIDS: &str = "LakewardenZeroEtl";
const RAM_SID: &str = "LakewardenRamShareResource";

struct World {
    source: Account,
    target: Account,
    consumer: Account,
    bucket: String,
    integration: String,
    topic: String,
}

async fn world() -> World {
    let source = fresh_account().await;
    let target = fresh_account().await;
    let consumer = fresh_account().await;
    source.ddb_table(TABLE, "transaction_id").await;
    let bucket = target.bucket("zetl-bucket").await;
    target.database(ZDB, None).await;
    // S2 in the same account: a database of its own, shared with the consumer account.
    target
        .database(S2DB, Some(&format!("s3://{bucket}/cur/")))
        .await;
    target
        .parquet_table(
            S2DB,
            "legacy_all",
            &format!("s3://{bucket}/cur/legacy_all/"),
        )
        .await;
    target.service_role("zetl-target", "lambda").await;
    consumer.service_role("glue-job", "glue").await;
    let integration = source
        .create_integration(
            "cm-kasama-cross-account-dynamodb-glue",
            TABLE,
            &target.id,
            ZDB,
        )
        .await;
    let topic = target.topic("lakewarden-alerts").await;
    World {
        source,
        target,
        consumer,
        bucket,
        integration,
        topic,
    }
}

impl World {
    /// One configuration for both functions of the target account.
    fn target_config(&self) -> String {
        format!(
            "alerts: {{ topic_arn: \"{topic}\" }}\nintegrations:\n  fix: true\n  targets: [{{ database: {ZDB}, allowed_source_accounts: [\"{src}\"], target_role_arn: \"arn:aws:iam::{tgt}:role/zetl-target\", bucket: {bucket} }}]\nproducer:\n  shares:\n    - database: {S2DB}\n      consumers: [\"{cons}\"]\n    - database: {ZDB}\n      consumers: [\"{cons}\"]\n      bucket_policy: false\n      register_location: false\n",
            topic = self.topic,
            src = self.source.id,
            tgt = self.target.id,
            bucket = self.bucket,
            cons = self.consumer.id,
        )
    }

    fn consumer_config(&self) -> String {
        format!(
            "consumer:\n  trusted_producers: [\"{p}\"]\n  links:\n    - producer: \"{p}\"\n      database: \"*\"\n      roles: [\"arn:aws:iam::{c}:role/glue-job\"]\n      s3_read_policy: false\n",
            p = self.target.id,
            c = self.consumer.id
        )
    }

    fn active_event(&self) -> Value {
        json!({"version": "0", "id": "e1", "detail-type": "Zero-ETL Integration State Change",
            "source": "lakewarden", "account": self.target.id, "time": "2026-11-24T10:00:00Z",
            "region": REGION, "resources": [self.integration], "detail": {
                "integrationArn": self.integration,
                "integrationName": "cm-kasama-cross-account-dynamodb-glue",
                "sourceArn": format!("arn:aws:dynamodb:{REGION}:{}:table/{TABLE}", self.source.id),
                "targetArn": format!("arn:aws:glue:{REGION}:{}:database/{ZDB}", self.target.id),
                "side": "target", "previousStatus": "CREATING", "status": "ACTIVE", "errors": []}})
    }

    async fn catalog_sids(&self) -> Vec<String> {
        let out = self
            .target
            .glue()
            .get_resource_policy()
            .send()
            .await
            .unwrap();
        let doc: Value = serde_json::from_str(out.policy_in_json().unwrap()).unwrap();
        doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["Sid"].as_str().map(String::from))
            .collect()
    }

    /// Databases the consumer account sees shared by the target account.
    async fn shared_with_consumer(&self) -> Vec<String> {
        let out = self
            .consumer
            .glue()
            .get_databases()
            .resource_share_type(aws_sdk_glue::types::ResourceShareType::Foreign)
            .send()
            .await
            .unwrap();
        let mut v: Vec<String> = out
            .database_list()
            .iter()
            .filter(|d| d.catalog_id() == Some(self.target.id.as_str()))
            .map(|d| d.name().to_string())
            .collect();
        v.sort();
        v
    }
}

fn clean(r: &Report) {
    assert!(r.failures().is_empty(), "{:#?}", r.failures());
}

fn has_ours(sids: &[String]) -> (bool, bool) {
    (
        sids.iter().any(|s| s.starts_with(ROLE_SIDS)),
        sids.iter().any(|s| s == RAM_SID),
    )
}

#[tokio::test]
async fn s1_and_s2_in_one_account_both_work_and_the_catalog_policy_keeps_both() {
    let w = world().await;
    let cfg = w.target_config();

    // S1: integration-doctor fixes the target side, writing the catalog policy.
    let r = integration_doctor::handle(&w.target.ctx(&cfg), scheduled_event(&w.target.id))
        .await
        .expect("doctor");
    clean(&r);
    let sids = w.catalog_sids().await;
    assert_eq!(has_ours(&sids), (true, false), "{sids:?}");

    // S2: catalog-sharer in the same account finds a catalog policy, so it adds the RAM
    // statement before its named-resource grants (else RAM would block them).
    let r = catalog_sharer::handle(&w.target.ctx(&cfg), scheduled_event(&w.target.id))
        .await
        .expect("catalog-sharer");
    clean(&r);
    assert!(r
        .actions
        .iter()
        .any(|a| a.action == "glue.put_resource_policy" && a.outcome == Outcome::Applied));
    let sids = w.catalog_sids().await;
    assert_eq!(has_ours(&sids), (true, true), "{sids:?}");

    // Each function's next run keeps the other's statements and writes nothing.
    let again = integration_doctor::handle(&w.target.ctx(&cfg), scheduled_event(&w.target.id))
        .await
        .expect("doctor again");
    clean(&again);
    assert_eq!(again.writes, 0, "{:#?}", again.actions);
    let again = catalog_sharer::handle(&w.target.ctx(&cfg), scheduled_event(&w.target.id))
        .await
        .expect("catalog-sharer again");
    clean(&again);
    assert_eq!(again.writes, 0, "{:#?}", again.actions);
    assert_eq!(w.catalog_sids().await, sids);

    // The integration becomes ACTIVE: the doctor shares the zero-ETL database the same way
    // (already shared by the schedule above) and keeps the policy as it is.
    w.target
        .set_integration_status(&w.integration, "ACTIVE", json!([]));
    let r = integration_doctor::handle(&w.target.ctx(&cfg), w.active_event())
        .await
        .expect("doctor on ACTIVE");
    clean(&r);
    assert_eq!(w.catalog_sids().await, sids);

    // Nothing was blocked in RAM: once share-linker accepted the invitation, the consumer sees
    // both databases and its roles get them.
    let r = share_linker::handle(
        &w.consumer.ctx(&w.consumer_config()),
        scheduled_event(&w.consumer.id),
    )
    .await
    .expect("share-linker");
    clean(&r);
    let granted: Vec<&str> = r
        .actions
        .iter()
        .filter(|a| a.action == "lakeformation.grant" && a.outcome == Outcome::Applied)
        .map(|a| a.target.as_str())
        .collect();
    assert_eq!(w.shared_with_consumer().await, {
        let mut v = vec![S2DB.to_string(), ZDB.to_string()];
        v.sort();
        v
    });
    for db in [S2DB, ZDB] {
        assert!(
            granted
                .iter()
                .any(|t| t.contains(&format!("all tables {}:{db}.*", w.target.id))),
            "{db}: {granted:#?}"
        );
    }
}
