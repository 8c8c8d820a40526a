//! Policy size limits at scale (issue 12 §1): worlds of 500 tables against the local AWS, which
//! refuses oversized documents as AWS does (tests/moto_ext/lakewarden_moto/policy_limits.py).
//! Every policy lakewarden writes is read back and measured the way AWS counts it (S3, Glue:
//! bytes; IAM: characters without white space) — or, when it cannot fit, the action fails with a
//! remedy naming what to change and the document reads back exactly as it was.
//!
//! Covered: catalog-sharer (bucket policies; the Data Catalog policy), share-linker (consumer
//! roles' inline policy, with the role's other inline policies counted), datazone-subscriber
//! (the environment role filled by subscriptions) and integration-doctor (source table policy,
//! target catalog policy, target role trust policy).

use lakewarden::report::{ActionReport, Outcome, Report};
use lakewarden::runtime::HandlerError;
use lakewarden_tests::*;
use serde_json::{json, Value};

const ORG: &str = "arn:aws:organizations::111111111111:organization/o-abc123def4";
const S3_LIMIT: usize = 20 * 1024;
const IAM_ROLE_LIMIT: usize = 10_240;
const GLUE_LIMIT: usize = 10 * 1024;
const TRUST_LIMIT: usize = 2_048;

fn iam_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// The report of a run, whether or not some actions failed.
fn report(r: Result<Report, HandlerError>) -> Report {
    match r {
        Ok(r) => r,
        Err(HandlerError::ActionsFailed { report, .. }) => *report,
        Err(e) => panic!("run: {e}"),
    }
}

fn failed<'a>(r: &'a Report, kind: &str) -> Vec<&'a ActionReport> {
    r.failures()
        .into_iter()
        .filter(|a| a.action == kind)
        .collect()
}

/// `n` Parquet tables `t000…` of `db`, table i at `location(i)`, created a batch at a time
/// (Glue has no BatchCreateTable).
async fn tables(acct: &Account, db: &str, n: usize, location: impl Fn(usize) -> String) {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let (a, db, loc) = (acct.clone(), db.to_string(), location(i));
        set.spawn(async move { a.parquet_table(&db, &format!("t{i:03}"), &loc).await });
        if set.len() >= 16 {
            set.join_next().await.unwrap().unwrap();
        }
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
}

async fn raw_role_policy(acct: &Account, role: &str, name: &str) -> Option<String> {
    let out = acct
        .iam()
        .get_role_policy()
        .role_name(role)
        .policy_name(name)
        .send()
        .await
        .ok()?;
    Some(lakewarden::aws::iam::decode_document(out.policy_document()))
}

/// Every inline policy of a role together, as IAM counts them.
async fn role_inline_total(acct: &Account, role: &str) -> usize {
    let names = acct
        .iam()
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .unwrap();
    let mut total = 0;
    for n in names.policy_names() {
        total += iam_size(&raw_role_policy(acct, role, n).await.unwrap());
    }
    total
}

async fn put_bucket_policy(acct: &Account, bucket: &str, doc: &Value) {
    acct.s3()
        .put_bucket_policy()
        .bucket(bucket)
        .policy(doc.to_string())
        .send()
        .await
        .unwrap();
}

fn person_deny(bucket: &str) -> Value {
    json!({"Sid": "SecurityTeamDenyDelete", "Effect": "Deny", "Principal": "*",
        "Action": "s3:DeleteObject", "Resource": format!("arn:aws:s3:::{bucket}/*")})
}

fn statements(doc: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(doc).unwrap();
    lakewarden::policy::statements(&v)
}

// ---------------------------------------------------------------- catalog-sharer: bucket policy

fn sharer_config(topic: &str, consumer: &str, role: &str, extra: &str) -> String {
    format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\nproducer:\n  shares:\n    - database: \"*\"\n      consumers: [\"{consumer}\", \"{ORG}\", \"{role}\"]\n{extra}"
    )
}

#[tokio::test]
async fn catalog_sharer_500_tables_under_the_database_location_share_one_prefix() {
    let acct = fresh_account().await;
    let bucket = acct.bucket("cur-data").await;
    let topic = acct.topic("alerts").await;
    acct.database("cur_org", Some(&format!("s3://{bucket}/cur/")))
        .await;
    tables(&acct, "cur_org", 500, |i| {
        format!("s3://{bucket}/cur/t{i:03}/year=2026/")
    })
    .await;
    put_bucket_policy(
        &acct,
        &bucket,
        &json!({"Version": "2012-10-17", "Statement": [person_deny(&bucket)]}),
    )
    .await;
    let consumer = new_account_id();
    let role = format!("arn:aws:iam::{}:role/analyst", new_account_id());
    let cfg = sharer_config(&topic, &consumer, &role, "");
    let r = report(catalog_sharer::handle(&acct.ctx(&cfg), scheduled_event(&acct.id)).await);
    assert!(r.failures().is_empty(), "{:#?}", r.failures());

    let text = acct.raw_bucket_policy(&bucket).await.expect("policy");
    assert!(text.len() <= S3_LIMIT, "{} bytes", text.len());
    // One prefix for the whole database, not one per table.
    assert!(
        text.contains(&format!("arn:aws:s3:::{bucket}/cur/*")),
        "{text}"
    );
    assert!(!text.contains("t000") && !text.contains("t499"), "{text}");
    // The person's statement is byte-identical.
    assert!(statements(&text).contains(&person_deny(&bucket)));
    // Converged: the next run writes nothing.
    let again = report(catalog_sharer::handle(&acct.ctx(&cfg), scheduled_event(&acct.id)).await);
    assert_eq!(again.writes, 0, "{:#?}", again.failures());
}

#[tokio::test]
async fn catalog_sharer_many_databases_in_one_bucket_fail_cleanly_and_write_nothing() {
    // 100 databases × 5 tables, each database at its own prefix of one bucket: its statements
    // for 100 databases do not fit in 20 KB, and there is nothing to compact.
    let acct = fresh_account().await;
    let bucket = acct.bucket("lake").await;
    let topic = acct.topic("alerts").await;
    let mut set = tokio::task::JoinSet::new();
    for d in 0..100 {
        let (a, b) = (acct.clone(), bucket.clone());
        set.spawn(async move {
            let db = format!("db{d:03}");
            a.database(&db, Some(&format!("s3://{b}/{db}/"))).await;
            for t in 0..5 {
                a.parquet_table(&db, &format!("t{t}"), &format!("s3://{b}/{db}/t{t}/"))
                    .await;
            }
        });
        if set.len() >= 16 {
            set.join_next().await.unwrap().unwrap();
        }
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
    put_bucket_policy(
        &acct,
        &bucket,
        &json!({"Version": "2012-10-17", "Statement": [person_deny(&bucket)]}),
    )
    .await;
    let before = acct.raw_bucket_policy(&bucket).await.unwrap();
    let consumer = new_account_id();
    let role = format!("arn:aws:iam::{}:role/analyst", new_account_id());
    let cfg = sharer_config(&topic, &consumer, &role, "");
    let r = report(catalog_sharer::handle(&acct.ctx(&cfg), scheduled_event(&acct.id)).await);

    // The bucket policy fails, alone: the grants are made.
    let f = failed(&r, "s3.put_bucket_policy");
    assert_eq!(f.len(), 1, "{:#?}", r.failures());
    assert_eq!(r.failures().len(), 1, "{:#?}", r.failures());
    let error = f[0].error.as_deref().unwrap_or_default();
    assert!(
        error.contains("AWS allows 20480") && error.contains("Nothing was written"),
        "{error}"
    );
    // The remedy says what to change, not which permission to add.
    let remedy = f[0].remedy.as_deref().unwrap_or_default();
    assert!(
        remedy.contains("20480") && remedy.to_lowercase().contains("fewer"),
        "{remedy}"
    );
    // Nothing was written: the document reads back byte for byte as it was.
    assert_eq!(acct.raw_bucket_policy(&bucket).await.unwrap(), before);
}

#[tokio::test]
async fn catalog_sharer_tables_in_many_buckets_get_one_small_policy_per_bucket() {
    // 500 tables of one database spread over 20 buckets (configured `locations`): grouped per
    // bucket, each bucket's policy names only its own locations.
    let acct = fresh_account().await;
    let topic = acct.topic("alerts").await;
    let mut buckets = Vec::new();
    for b in 0..20 {
        buckets.push(acct.bucket(&format!("part{b:02}")).await);
    }
    acct.database("spread", None).await;
    let bs = buckets.clone();
    tables(&acct, "spread", 500, move |i| {
        format!("s3://{}/data/t{i:03}/", bs[i % 20])
    })
    .await;
    let locations: Vec<String> = buckets
        .iter()
        .map(|b| format!("\"s3://{b}/data/\""))
        .collect();
    let consumer = new_account_id();
    let role = format!("arn:aws:iam::{}:role/analyst", new_account_id());
    let cfg = sharer_config(
        &topic,
        &consumer,
        &role,
        &format!("      locations: [{}]\n", locations.join(", ")),
    );
    let r = report(catalog_sharer::handle(&acct.ctx(&cfg), scheduled_event(&acct.id)).await);
    assert!(r.failures().is_empty(), "{:#?}", r.failures());
    for b in &buckets {
        let text = acct.raw_bucket_policy(b).await.expect("policy");
        assert!(text.len() <= S3_LIMIT);
        assert!(text.contains(&format!("arn:aws:s3:::{b}/data/*")), "{text}");
        let others = buckets.iter().filter(|o| *o != b);
        for o in others {
            assert!(!text.contains(o.as_str()), "{b} names {o}: {text}");
        }
    }
}

#[tokio::test]
async fn catalog_sharer_does_not_grow_a_full_catalog_policy_past_10_kb() {
    // A catalog policy near Glue's 10 KB: the ShareResource statement for RAM does not fit.
    let acct = fresh_account().await;
    let bucket = acct.bucket("cur-data").await;
    let topic = acct.topic("alerts").await;
    acct.database("cur_org", Some(&format!("s3://{bucket}/cur/")))
        .await;
    tables(&acct, "cur_org", 500, |i| {
        format!("s3://{bucket}/cur/t{i:03}/")
    })
    .await;
    let mut n = 1;
    let doc = |n: usize| {
        json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "PartnerRead", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "glue:GetTable",
            "Resource": (0..n).map(|i| format!("arn:aws:glue:{REGION}:{}:table/cur_org/t{i:03}", acct.id)).collect::<Vec<_>>()}]})
        .to_string()
    };
    while doc(n + 1).len() <= GLUE_LIMIT - 100 {
        n += 1;
    }
    let foreign = doc(n);
    acct.glue()
        .put_resource_policy()
        .policy_in_json(&foreign)
        .enable_hybrid(aws_sdk_glue::types::EnableHybridValues::True)
        .send()
        .await
        .unwrap();
    let before = acct.glue().get_resource_policy().send().await.unwrap();
    let consumer = new_account_id();
    let role = format!("arn:aws:iam::{}:role/analyst", new_account_id());
    let cfg = sharer_config(&topic, &consumer, &role, "");
    let r = report(catalog_sharer::handle(&acct.ctx(&cfg), scheduled_event(&acct.id)).await);
    let f = failed(&r, "glue.put_resource_policy");
    assert_eq!(f.len(), 1, "{:#?}", r.failures());
    let error = f[0].error.as_deref().unwrap_or_default();
    assert!(
        error.contains(&format!("AWS allows {GLUE_LIMIT}")),
        "{error}"
    );
    let after = acct.glue().get_resource_policy().send().await.unwrap();
    assert_eq!(after.policy_hash(), before.policy_hash());
    assert_eq!(after.policy_in_json(), Some(foreign.as_str()));
}

// ---------------------------------------------------------------- share-linker: role policy

struct Linked {
    producer: Account,
    consumer: Account,
    topic: String,
}

/// A producer sharing database `db` (no tables yet: the All-tables grant covers those to come)
/// with a fresh consumer through catalog-sharer; the consumer has role `glue-job`.
async fn linked(db: &str) -> Linked {
    let producer = fresh_account().await;
    let consumer = fresh_account().await;
    producer.database(db, None).await;
    let cfg = format!(
        "producer:\n  shares:\n    - database: {db}\n      consumers: [\"{}\"]\n      bucket_policy: false\n      register_location: false\n",
        consumer.id
    );
    let r =
        report(catalog_sharer::handle(&producer.ctx(&cfg), scheduled_event(&producer.id)).await);
    assert!(r.failures().is_empty(), "{:#?}", r.failures());
    consumer.service_role("glue-job", "glue").await;
    let topic = consumer.topic("alerts").await;
    Linked {
        producer,
        consumer,
        topic,
    }
}

impl Linked {
    fn config(&self, db: &str) -> String {
        format!(
            "alerts: {{ topic_arn: \"{}\" }}\nconsumer:\n  trusted_producers: [\"{p}\"]\n  links:\n    - producer: \"{p}\"\n      database: {db}\n      roles: [\"arn:aws:iam::{}:role/glue-job\"]\n",
            self.topic,
            self.consumer.id,
            p = self.producer.id,
        )
    }

    async fn run(&self, db: &str) -> Report {
        let cfg = self.config(db);
        // Round one accepts the invitation, round two links and writes the role policy.
        report(
            share_linker::handle(&self.consumer.ctx(&cfg), scheduled_event(&self.consumer.id))
                .await,
        )
    }
}

#[tokio::test]
async fn share_linker_500_tables_under_the_database_location_fit_the_role() {
    let l = linked("big").await;
    let bucket = l.producer.bucket("lake").await;
    l.producer
        .glue()
        .update_database()
        .name("big")
        .database_input(
            aws_sdk_glue::types::DatabaseInput::builder()
                .name("big")
                .location_uri(format!("s3://{bucket}/big/"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    tables(&l.producer, "big", 500, |i| {
        format!("s3://{bucket}/big/t{i:03}/")
    })
    .await;
    // Another inline policy of the role counts against the same 10,240.
    l.consumer
        .iam()
        .put_role_policy()
        .role_name("glue-job")
        .policy_name("team")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Sid": "Logs", "Effect": "Allow",
                "Action": "logs:PutLogEvents", "Resource": "*"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let r = l.run("big").await;
    assert!(r.failures().is_empty(), "{:#?}", r.failures());
    let text = raw_role_policy(&l.consumer, "glue-job", "lakewarden-share-linker")
        .await
        .expect("policy written");
    assert!(
        text.contains(&format!("arn:aws:s3:::{bucket}/big/*")),
        "one prefix for the database: {text}"
    );
    assert!(!text.contains("t000"), "{text}");
    let total = role_inline_total(&l.consumer, "glue-job").await;
    assert!(total <= IAM_ROLE_LIMIT, "{total}");
}

#[tokio::test]
async fn share_linker_500_tables_in_500_prefixes_fail_cleanly_and_write_nothing() {
    // No database location and every table at its own prefix: nothing to compact, and 500
    // object ARNs do not fit in a role's 10,240 characters.
    let l = linked("scattered").await;
    let bucket = l.producer.bucket("lake").await;
    tables(&l.producer, "scattered", 500, |i| {
        format!("s3://{bucket}/p{i:03}/data/")
    })
    .await;
    // A statement of the team's own in lakewarden's document: must stay as it is.
    let own =
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "TeamScratch", "Effect": "Allow",
        "Action": "s3:PutObject", "Resource": "arn:aws:s3:::scratch/*"}]})
        .to_string();
    l.consumer
        .iam()
        .put_role_policy()
        .role_name("glue-job")
        .policy_name("lakewarden-share-linker")
        .policy_document(&own)
        .send()
        .await
        .unwrap();
    let before = raw_role_policy(&l.consumer, "glue-job", "lakewarden-share-linker")
        .await
        .unwrap();
    let r = l.run("scattered").await;
    let f = failed(&r, "iam.put_role_policy");
    assert_eq!(f.len(), 1, "{:#?}", r.failures());
    let error = f[0].error.as_deref().unwrap_or_default();
    assert!(
        error.contains("AWS allows 10240") && error.contains("Nothing was written"),
        "{error}"
    );
    let remedy = f[0].remedy.as_deref().unwrap_or_default();
    assert!(
        remedy.contains("10240") && remedy.contains("managed policy"),
        "{remedy}"
    );
    assert_eq!(
        raw_role_policy(&l.consumer, "glue-job", "lakewarden-share-linker")
            .await
            .unwrap(),
        before
    );
}

// ---------------------------------------------------------------- datazone-subscriber

fn dz_put(kind: &str, item: Value) {
    moto().dz_put(kind, item);
}

#[tokio::test]
async fn datazone_subscriptions_fill_the_environment_role_up_to_its_limit_and_no_further() {
    // 60 subscriptions of one environment, each to its own table (of 500): every grant adds its
    // S3 statements to the environment role's inline policy. Those that fit are GRANTED; the
    // rest fail, DataZone is told why, and the role's policies stay within 10,240 characters.
    const GRANTS: usize = 60;
    let acct = fresh_account().await;
    let domain = format!("dzd_{}", acct.id);
    let bucket = acct.bucket("sales-raw").await;
    let topic = acct.topic("alerts").await;
    let role = acct.datazone_env_role(None).await;
    acct.database("sales", None).await;
    tables(&acct, "sales", 500, |i| {
        format!("s3://{bucket}/order/t{i:03}/")
    })
    .await;
    moto().dz_environment(&domain, &acct.id, &role);
    for i in 0..GRANTS {
        dz_put(
            "listing",
            json!({"id": format!("lst{i}"), "domainId": domain, "assetId": format!("ast{i}"),
            "databaseName": "sales", "tableName": format!("t{i:03}"), "catalogId": acct.id}),
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
    let r = report(datazone_subscriber::handle(&acct.ctx(&cfg), scheduled_event(&acct.id)).await);

    let total = role_inline_total(&acct, "datazone_usr_env1").await;
    assert!(total <= IAM_ROLE_LIMIT, "{total}");
    let text = raw_role_policy(&acct, "datazone_usr_env1", "lakewarden-datazone")
        .await
        .expect("policy");
    // What Lake Formation grants the environment role once the run is over.
    let held = lakewarden::aws::lakeformation::list_permissions(&acct.aws.lakeformation, &acct.id)
        .await
        .unwrap();
    let table_access = |i: usize| {
        held.get(
            &role,
            &lakewarden::lf::LfResource::Table {
                catalog_id: acct.id.clone(),
                database: "sales".into(),
                name: format!("t{i:03}"),
            },
        )
    };
    let mut granted = 0;
    let mut failed_grants = 0;
    for i in 0..GRANTS {
        let g = acct
            .aws
            .datazone
            .get_subscription_grant()
            .domain_identifier(&domain)
            .identifier(format!("grt{i}"))
            .send()
            .await
            .unwrap();
        let a = &g.assets()[0];
        let frag = lakewarden::policy::sid_fragment(&format!("grt{i}"));
        let in_policy = statements(&text)
            .iter()
            .any(|s| s["Sid"].as_str().is_some_and(|x| x.ends_with(&frag)));
        let location = format!("arn:aws:s3:::{bucket}/order/t{i:03}/*");
        match a.status().as_str() {
            "GRANTED" => {
                granted += 1;
                assert!(
                    in_policy && text.contains(&location),
                    "grt{i} granted without its statements"
                );
                assert!(
                    table_access(i).is_some(),
                    "grt{i} granted without LF access"
                );
            }
            "GRANT_FAILED" => {
                failed_grants += 1;
                assert!(!in_policy, "grt{i} failed but its statements were written");
                // The LF grants ran before the policy write: DataZone says GRANT_FAILED, so the
                // access given in this run was taken back.
                assert_eq!(
                    table_access(i),
                    None,
                    "grt{i} is GRANT_FAILED but Lake Formation still grants its table"
                );
                let cause = a
                    .failure_cause()
                    .and_then(|f| f.message())
                    .unwrap_or_default();
                assert!(cause.contains("AWS allows 10240"), "grt{i}: {cause}");
            }
            other => panic!("grt{i}: {other}"),
        }
    }
    // Some fit, the rest were refused before AWS would have refused them.
    assert!(
        granted > 10 && failed_grants > 0,
        "{granted} granted, {failed_grants} failed"
    );
    assert_eq!(granted + failed_grants, GRANTS);
    let f = failed(&r, "iam.put_role_policy");
    assert_eq!(f.len(), failed_grants, "{:#?}", r.failures());
    for a in f {
        let remedy = a.remedy.as_deref().unwrap_or_default();
        assert!(remedy.contains("managed policy"), "{remedy}");
    }
    let undone = r
        .actions
        .iter()
        .filter(|a| a.action == "lakeformation.undo_grants" && a.outcome == Outcome::Applied)
        .count();
    assert_eq!(undone, failed_grants, "{:#?}", r.actions);
    // The environment's database DESCRIBE (datazone.databases) is never taken back.
    assert!(held
        .get(
            &role,
            &lakewarden::lf::LfResource::Database {
                catalog_id: acct.id.clone(),
                name: "sales".into(),
            },
        )
        .is_some());
}

// ---------------------------------------------------------------- integration-doctor

/// The largest `doc(n)` whose size (by `measure`) stays within `limit`.
fn fill(limit: usize, measure: impl Fn(&str) -> usize, doc: impl Fn(usize) -> String) -> String {
    let mut n = 1;
    while measure(&doc(n + 1)) <= limit {
        n += 1;
    }
    doc(n)
}

#[tokio::test]
async fn integration_doctor_leaves_full_documents_as_they_are_and_says_why() {
    // Both sides of a zero-ETL integration whose documents are already full of other people's
    // statements: the source table's resource policy (DynamoDB, 20 KB with white space), the
    // target catalog policy (Glue, 10 KB) and the target role's trust policy (IAM, 2,048).
    const TABLE: &str = "orders";
    const DB: &str = "zero_etl_db";
    let source = fresh_account().await;
    let target = fresh_account().await;
    source.ddb_table(TABLE, "id").await;
    let table_arn = format!("arn:aws:dynamodb:{REGION}:{}:table/{TABLE}", source.id);
    let bucket = target.bucket("zetl").await;
    target.database(DB, None).await;
    let roots = |n: usize| -> Vec<String> {
        (0..n)
            .map(|i| format!("arn:aws:iam::{:012}:root", 300_000_000_000u64 + i as u64))
            .collect()
    };
    let trust = fill(TRUST_LIMIT - 40, iam_size, |n| {
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "Partners", "Effect": "Allow",
            "Principal": {"AWS": roots(n)}, "Action": "sts:AssumeRole"}]})
        .to_string()
    });
    target
        .iam()
        .create_role()
        .role_name("zetl-target")
        .assume_role_policy_document(&trust)
        .send()
        .await
        .unwrap();
    let catalog = fill(GLUE_LIMIT - 60, str::len, |n| {
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "PartnerRead", "Effect": "Allow",
            "Principal": {"AWS": roots(n)}, "Action": "glue:GetTable",
            "Resource": format!("arn:aws:glue:{REGION}:{}:table/*/*", target.id)}]})
        .to_string()
    });
    target
        .glue()
        .put_resource_policy()
        .policy_in_json(&catalog)
        .send()
        .await
        .unwrap();
    let table_policy = fill(S3_LIMIT - 60, str::len, |n| {
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "PartnerRead", "Effect": "Allow",
            "Principal": {"AWS": roots(n)}, "Action": "dynamodb:GetItem", "Resource": table_arn}]})
        .to_string()
    });
    source
        .dynamodb()
        .put_resource_policy()
        .resource_arn(&table_arn)
        .policy(&table_policy)
        .send()
        .await
        .unwrap();
    source
        .create_integration("orders-to-lake", TABLE, &target.id, DB)
        .await;
    let (topic_s, topic_t) = (source.topic("alerts").await, target.topic("alerts").await);

    let source_cfg = format!(
        "alerts: {{ topic_arn: \"{topic_s}\" }}\nintegrations:\n  fix: true\n  sources: [{{ table: {TABLE}, allowed_target_accounts: [\"{}\"] }}]\n",
        target.id
    );
    let r = report(
        integration_doctor::handle(&source.ctx(&source_cfg), scheduled_event(&source.id)).await,
    );
    let errors: Vec<String> = r
        .failures()
        .iter()
        .map(|a| a.error.clone().unwrap_or_default())
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("AWS allows 20480")),
        "{:#?}",
        r.failures()
    );
    let now = source
        .dynamodb()
        .get_resource_policy()
        .resource_arn(&table_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(now.policy(), Some(table_policy.as_str()));

    let target_cfg = format!(
        "alerts: {{ topic_arn: \"{topic_t}\" }}\nintegrations:\n  fix: true\n  targets: [{{ database: {DB}, allowed_source_accounts: [\"{}\"], target_role_arn: \"arn:aws:iam::{}:role/zetl-target\", bucket: {bucket} }}]\n",
        source.id, target.id
    );
    let r = report(
        integration_doctor::handle(&target.ctx(&target_cfg), scheduled_event(&target.id)).await,
    );
    let failures = r.failures();
    let with = |needle: &str| {
        failures
            .iter()
            .find(|a| a.error.as_deref().is_some_and(|e| e.contains(needle)))
            .unwrap_or_else(|| panic!("no failure says {needle}: {failures:#?}"))
    };
    let glue = with(&format!("AWS allows {GLUE_LIMIT}"));
    assert!(
        glue.remedy
            .as_deref()
            .unwrap_or_default()
            .contains("Glue's 10240 bytes"),
        "{glue:#?}"
    );
    let trust_failure = with(&format!("AWS allows {TRUST_LIMIT}"));
    assert!(
        trust_failure
            .remedy
            .as_deref()
            .unwrap_or_default()
            .contains("organization condition"),
        "{trust_failure:#?}"
    );
    // Nothing was written to either document.
    let now = target.glue().get_resource_policy().send().await.unwrap();
    assert_eq!(now.policy_in_json(), Some(catalog.as_str()));
    let role = target
        .iam()
        .get_role()
        .role_name("zetl-target")
        .send()
        .await
        .unwrap();
    let now = lakewarden::aws::iam::decode_document(
        role.role().unwrap().assume_role_policy_document().unwrap(),
    );
    assert_eq!(now, trust);
}
