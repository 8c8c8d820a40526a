//! No lost updates (issue 12 §2): two invocations at once on ONE bucket policy and on ONE role's
//! inline policy. S3 bucket policies and IAM inline policies offer no conditional write, so the
//! core re-reads right before writing and reads back after: if another writer got in between, it
//! merges once more.
//!
//! The race is made real and deterministic by the local AWS (tests/moto_ext/lakewarden_moto/
//! write_races.py): the first write to the document is held until the second arrives, then both
//! land in arrival order — the second computed from a read made before the first landed, so the
//! first writer's change is lost at that moment (`after_pair`). The tests assert that the loss
//! really happened, that exactly one extra write repaired it (the read-back), and that in the end
//! both invocations' statements are present and the foreign statement is byte-identical.

use lakewarden::report::Report;
use lakewarden::runtime::HandlerError;
use lakewarden_tests::*;
use serde_json::{json, Value};

fn report(r: Result<Report, HandlerError>) -> Report {
    match r {
        Ok(r) => r,
        Err(HandlerError::ActionsFailed { report, .. }) => *report,
        Err(e) => panic!("run: {e}"),
    }
}

/// Arm a race on one document; returns its id.
fn arm(operation: &str, account: &str, resource: &str, policy_name: Option<&str>) -> u64 {
    let mut body =
        json!({"operation": operation, "account": account, "resource": resource, "timeout": 60});
    if let Some(n) = policy_name {
        body["policy_name"] = json!(n);
    }
    let (code, text) = moto().http("POST", "/lakewarden-test/races", &body.to_string());
    assert_eq!(code, 200, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_u64()
        .unwrap()
}

fn race(id: u64) -> Value {
    let (code, text) = moto().http("GET", "/lakewarden-test/races", "");
    assert_eq!(code, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    v["races"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"].as_u64() == Some(id))
        .cloned()
        .expect("race")
}

fn disarm(id: u64) {
    moto().http(
        "DELETE",
        "/lakewarden-test/races",
        &json!({ "id": id }).to_string(),
    );
}

fn sids(doc: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(doc).unwrap();
    lakewarden::policy::statements(&v)
        .iter()
        .filter_map(|s| s["Sid"].as_str().map(String::from))
        .collect()
}

fn has_prefix(doc: &str, prefix: &str) -> bool {
    sids(doc).iter().any(|s| s.starts_with(prefix))
}

#[tokio::test]
async fn two_catalog_sharer_runs_on_one_bucket_keep_both_databases_and_the_foreign_statement() {
    let acct = fresh_account().await;
    let bucket = acct.bucket("shared-lake").await;
    let topic = acct.topic("alerts").await;
    for db in ["sales", "billing"] {
        acct.database(db, Some(&format!("s3://{bucket}/{db}/")))
            .await;
        acct.parquet_table(db, "t1", &format!("s3://{bucket}/{db}/t1/"))
            .await;
    }
    // A person's statement, written the way people write them (keys not in alphabetical order).
    let deny = format!(
        r#"{{"Sid":"SecurityTeamDenyDelete","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::{bucket}/*"}}"#
    );
    acct.s3()
        .put_bucket_policy()
        .bucket(&bucket)
        .policy(format!(
            r#"{{"Version":"2012-10-17","Statement":[{deny}]}}"#
        ))
        .send()
        .await
        .unwrap();
    let consumer = new_account_id();
    let cfg = format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\nproducer:\n  shares:\n    - database: \"*\"\n      consumers: [\"{consumer}\"]\n"
    );
    let id = arm("PutBucketPolicy", &acct.id, &bucket, None);
    let (ctx_a, ctx_b) = (acct.ctx(&cfg), acct.ctx(&cfg));
    let (a, b) = tokio::join!(
        catalog_sharer::handle(
            &ctx_a,
            glue_db_event(&acct.id, "sales", "CreateTable", &["t1"])
        ),
        catalog_sharer::handle(
            &ctx_b,
            glue_db_event(&acct.id, "billing", "CreateTable", &["t1"])
        ),
    );
    let (a, b) = (report(a), report(b));
    let r = race(id);
    disarm(id);
    assert!(a.failures().is_empty(), "{:#?}", a.failures());
    assert!(b.failures().is_empty(), "{:#?}", b.failures());

    let (sales, billing) = (
        "LakewardenShareAccountsGetSales",
        "LakewardenShareAccountsGetBilling",
    );
    // The race happened: both writes were held and landed one after the other, and right after
    // them one database's statements were gone — the update a blind write loses.
    assert_eq!(r["state"], "paired", "{r:#}");
    let after_pair = r["after_pair"].as_str().unwrap();
    assert!(
        has_prefix(after_pair, sales) != has_prefix(after_pair, billing),
        "the paired writes lost nothing, so the test proves nothing: {after_pair}"
    );
    // The read-back saw it and merged once more: exactly one extra write.
    assert_eq!(r["writes"], 3, "{r:#}");
    let text = acct
        .raw_bucket_policy(&bucket)
        .await
        .expect("bucket policy");
    assert!(
        has_prefix(&text, sales) && has_prefix(&text, billing),
        "{text}"
    );
    assert!(
        text.contains(&deny),
        "the foreign statement changed: {text}"
    );
    // Each database's statements exactly once.
    let all = sids(&text);
    let mut dedup = all.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(all.len(), dedup.len(), "{all:?}");
    // And both runs converge: nothing left to write.
    let again = report(catalog_sharer::handle(&acct.ctx(&cfg), scheduled_event(&acct.id)).await);
    assert_eq!(again.writes, 0, "{:#?}", again.actions);
}

#[tokio::test]
async fn a_persons_write_on_top_of_catalog_sharers_keeps_both() {
    // The issue's case: a person adds a Deny while catalog-sharer is writing the bucket policy.
    // The person read the policy before lakewarden's write and writes after it: lakewarden's
    // statements are gone at that moment; lakewarden's read-back merges them into the person's
    // document, Deny included byte for byte.
    let acct = fresh_account().await;
    let bucket = acct.bucket("lake").await;
    let topic = acct.topic("alerts").await;
    acct.database("sales", Some(&format!("s3://{bucket}/sales/")))
        .await;
    acct.parquet_table("sales", "t1", &format!("s3://{bucket}/sales/t1/"))
        .await;
    let base = r#"{"Sid":"ReadOnlyAuditors","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetBucketPolicy","Resource":"arn:aws:s3:::BUCKET"}"#
        .replace("BUCKET", &bucket);
    acct.s3()
        .put_bucket_policy()
        .bucket(&bucket)
        .policy(format!(
            r#"{{"Version":"2012-10-17","Statement":[{base}]}}"#
        ))
        .send()
        .await
        .unwrap();
    let deny = format!(
        r#"{{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::{bucket}","arn:aws:s3:::{bucket}/*"],"Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}"#
    );
    let consumer = new_account_id();
    let cfg = format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\nproducer:\n  shares:\n    - database: \"*\"\n      consumers: [\"{consumer}\"]\n"
    );
    let id = arm("PutBucketPolicy", &acct.id, &bucket, None);
    let person = async {
        // Read first (before lakewarden writes anything)…
        let read = acct
            .raw_bucket_policy(&bucket)
            .await
            .expect("bucket policy");
        // …then write once lakewarden's write is on its way (held by the local AWS).
        let mut waited = 0;
        while race(id)["arrived"] != 1 {
            waited += 1;
            assert!(
                waited < 3_000,
                "catalog-sharer never wrote the bucket policy"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let mine = read.replacen("\"Statement\":[", &format!("\"Statement\":[{deny},"), 1);
        acct.s3()
            .put_bucket_policy()
            .bucket(&bucket)
            .policy(mine)
            .send()
            .await
            .unwrap();
    };
    let ctx = acct.ctx(&cfg);
    let (r, ()) = tokio::join!(
        catalog_sharer::handle(
            &ctx,
            glue_db_event(&acct.id, "sales", "CreateTable", &["t1"])
        ),
        person
    );
    let r = report(r);
    let state = race(id);
    disarm(id);
    assert!(r.failures().is_empty(), "{:#?}", r.failures());
    assert_eq!(state["state"], "paired", "{state:#}");
    let after_pair = state["after_pair"].as_str().unwrap();
    assert!(
        !has_prefix(after_pair, "LakewardenShare"),
        "the person's write did not replace lakewarden's: {after_pair}"
    );
    assert_eq!(state["writes"], 3, "{state:#}");
    let text = acct
        .raw_bucket_policy(&bucket)
        .await
        .expect("bucket policy");
    assert!(
        has_prefix(&text, "LakewardenShareAccountsGetSales"),
        "{text}"
    );
    assert!(
        text.contains(&deny),
        "the person's Deny changed or was lost: {text}"
    );
    assert!(text.contains(&base), "{text}");
}

// ------------------------------------------------------------------ one role: grant + revoke

fn dz_put(kind: &str, item: Value) {
    moto().dz_put(kind, item);
}

fn dz_event(account: &str, domain: &str, fixture: &str, grant: &str, listing: &str) -> Value {
    let mut e = event(fixture);
    e["account"] = json!(account);
    e["detail"]["metadata"]["domain"] = json!(domain);
    e["detail"]["metadata"]["id"] = json!(grant);
    e["detail"]["data"]["asset"]["listingId"] = json!(listing);
    e["detail"]["data"]["subscriptionTarget"] = json!({"id": "tgt1", "environmentId": "env1"});
    e
}

async fn grant_status(acct: &Account, domain: &str, grant: &str) -> String {
    let g = acct
        .aws
        .datazone
        .get_subscription_grant()
        .domain_identifier(domain)
        .identifier(grant)
        .send()
        .await
        .unwrap();
    g.assets()[0].status().as_str().to_string()
}

async fn role_policy(acct: &Account) -> String {
    let out = acct
        .iam()
        .get_role_policy()
        .role_name("datazone_usr_env1")
        .policy_name("lakewarden-datazone")
        .send()
        .await
        .unwrap();
    lakewarden::aws::iam::decode_document(out.policy_document())
}

#[tokio::test]
async fn a_datazone_grant_and_a_revoke_at_once_on_one_role_both_land() {
    // The issue's case: a grant and a revoke on one environment role. A lost update either drops
    // the new subscriber's S3 read or gives the revoked one S3 read for good.
    let acct = fresh_account().await;
    let domain = format!("dzd_{}", acct.id);
    let bucket = acct.bucket("sales-raw").await;
    let topic = acct.topic("alerts").await;
    let role = acct.datazone_env_role(None).await;
    acct.database("sales", None).await;
    for t in ["orders", "refunds"] {
        acct.parquet_table("sales", t, &format!("s3://{bucket}/order/{t}/"))
            .await;
    }
    moto().dz_environment(&domain, &acct.id, &role);
    for (i, t) in [(1, "orders"), (2, "refunds")] {
        dz_put(
            "listing",
            json!({"id": format!("lst{i}"), "domainId": domain, "assetId": format!("ast{i}"),
            "databaseName": "sales", "tableName": t, "catalogId": acct.id}),
        );
        dz_put(
            "subscription-grant",
            json!({"id": format!("grt{i}"), "domainId": domain, "listingId": format!("lst{i}"),
            "subscriptionTargetId": "tgt1", "environmentId": "env1", "assetId": format!("ast{i}")}),
        );
    }
    let cfg = format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\ndatazone:\n  domains: [\"{domain}\"]\n  buckets: [{{ bucket: {bucket}, prefixes: [\"order/\"] }}]\n  databases: [sales]\n  fulfil_targets: [tgt1]\n"
    );
    let run = |ev: Value| {
        let ctx = acct.ctx(&cfg);
        async move { datazone_subscriber::handle(&ctx, ev).await }
    };
    // grt2 was granted earlier.
    let first = report(
        run(dz_event(
            &acct.id,
            &domain,
            "datazone-subscription-grant-requested.json",
            "grt2",
            "lst2",
        ))
        .await,
    );
    assert!(first.failures().is_empty(), "{:#?}", first.failures());
    // A person's statement in the same document, keys in the order people write them.
    let scratch = r#"{"Sid":"TeamScratch","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::scratch/*"}"#;
    let current = role_policy(&acct).await;
    assert!(current.contains("\"Statement\":["), "{current}");
    acct.iam()
        .put_role_policy()
        .role_name("datazone_usr_env1")
        .policy_name("lakewarden-datazone")
        .policy_document(current.replacen(
            "\"Statement\":[",
            &format!("\"Statement\":[{scratch},"),
            1,
        ))
        .send()
        .await
        .unwrap();
    assert!(role_policy(&acct).await.contains(scratch));

    let (g1, g2) = (
        lakewarden::policy::sid_fragment("grt1"),
        lakewarden::policy::sid_fragment("grt2"),
    );
    let has = |doc: &str, frag: &str| {
        sids(doc)
            .iter()
            .any(|s| s.starts_with("LakewardenDataZoneGrant") && s.ends_with(frag))
    };
    let id = arm(
        "PutRolePolicy",
        &acct.id,
        "datazone_usr_env1",
        Some("lakewarden-datazone"),
    );
    let (grant, revoke) = tokio::join!(
        run(dz_event(
            &acct.id,
            &domain,
            "datazone-subscription-grant-requested.json",
            "grt1",
            "lst1",
        )),
        run(dz_event(
            &acct.id,
            &domain,
            "datazone-subscription-grant-revoke-requested.json",
            "grt2",
            "lst2",
        )),
    );
    let (grant, revoke) = (report(grant), report(revoke));
    let r = race(id);
    disarm(id);
    assert!(grant.failures().is_empty(), "{:#?}", grant.failures());
    assert!(revoke.failures().is_empty(), "{:#?}", revoke.failures());

    assert_eq!(r["state"], "paired", "{r:#}");
    let after_pair = r["after_pair"].as_str().unwrap();
    assert!(
        !has(after_pair, &g1) || has(after_pair, &g2),
        "the paired writes lost nothing, so the test proves nothing: {after_pair}"
    );
    assert_eq!(r["writes"], 3, "{r:#}");

    let text = role_policy(&acct).await;
    assert!(
        has(&text, &g1),
        "the new subscriber's S3 read was lost: {text}"
    );
    assert!(
        !has(&text, &g2),
        "the revoked subscriber kept S3 read: {text}"
    );
    assert!(
        text.contains(scratch),
        "the foreign statement changed: {text}"
    );
    assert_eq!(grant_status(&acct, &domain, "grt1").await, "GRANTED");
    assert_eq!(grant_status(&acct, &domain, "grt2").await, "REVOKED");
}
