//! `explain` against moto: a working chain for a same-account table and for a cross-account
//! table read through a resource link; then one link broken at a time, and `explain` must name
//! exactly that step (the only `ok: false`) with a fix, and say `allowed` once it is fixed.
//! (The DataZone environment role of scenario S4 is in explain_datazone.rs: it needs moto with
//! the AWS managed policies.)

use aws_sdk_lakeformation::types::{
    DataLakePrincipal, DataLakeSettings, DatabaseResource, Permission, PrincipalPermissions,
    Resource, TableResource,
};
use lakewarden::explain::{self, first_failing_step, Explanation, TableRef, Verdict};
use lakewarden_tests::*;
use serde_json::{json, Value};

fn db_res(catalog: &str, name: &str) -> Resource {
    Resource::builder()
        .database(
            DatabaseResource::builder()
                .catalog_id(catalog)
                .name(name)
                .build()
                .unwrap(),
        )
        .build()
}

fn table_res(catalog: &str, db: &str, name: &str) -> Resource {
    Resource::builder()
        .table(
            TableResource::builder()
                .catalog_id(catalog)
                .database_name(db)
                .name(name)
                .build()
                .unwrap(),
        )
        .build()
}

fn perms(p: &[&str]) -> Option<Vec<Permission>> {
    Some(p.iter().map(|x| Permission::from(*x)).collect())
}

async fn grant(acct: &Account, principal: &str, r: Resource, p: &[&str], grantable: &[&str]) {
    acct.lakeformation()
        .grant_permissions()
        .principal(
            DataLakePrincipal::builder()
                .data_lake_principal_identifier(principal)
                .build(),
        )
        .resource(r)
        .set_permissions(perms(p))
        .set_permissions_with_grant_option(perms(grantable))
        .send()
        .await
        .expect("grant");
}

async fn revoke(acct: &Account, principal: &str, r: Resource, p: &[&str], grantable: &[&str]) {
    acct.lakeformation()
        .revoke_permissions()
        .principal(
            DataLakePrincipal::builder()
                .data_lake_principal_identifier(principal)
                .build(),
        )
        .resource(r)
        .set_permissions(perms(p))
        .set_permissions_with_grant_option(perms(grantable))
        .send()
        .await
        .expect("revoke");
}

/// Data-lake settings: `fixed` = no default permissions to IAM_ALLOWED_PRINCIPALS (the
/// prerequisite), else the settings of a new account.
async fn settings(acct: &Account, fixed: bool) {
    let defaults = if fixed {
        vec![]
    } else {
        vec![PrincipalPermissions::builder()
            .principal(
                DataLakePrincipal::builder()
                    .data_lake_principal_identifier("IAM_ALLOWED_PRINCIPALS")
                    .build(),
            )
            .permissions(Permission::All)
            .build()]
    };
    acct.lakeformation()
        .put_data_lake_settings()
        .data_lake_settings(
            DataLakeSettings::builder()
                .set_create_database_default_permissions(Some(defaults.clone()))
                .set_create_table_default_permissions(Some(defaults))
                .parameters("CROSS_ACCOUNT_VERSION", "4")
                .build(),
        )
        .send()
        .await
        .expect("settings");
}

async fn register(acct: &Account, arn: &str) {
    acct.lakeformation()
        .register_resource()
        .resource_arn(arn)
        .use_service_linked_role(true)
        .send()
        .await
        .expect("register");
}

/// The analysts' identity policy: Glue reads, LF credential vending, S3 reads of `bucket`.
fn reader_policy(bucket: &str, glue_actions: &[&str]) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Catalog", "Effect": "Allow", "Action": glue_actions, "Resource": "*"},
        {"Sid": "Vending", "Effect": "Allow", "Action": "lakeformation:GetDataAccess", "Resource": "*"},
        {"Sid": "Objects", "Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")},
        {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": format!("arn:aws:s3:::{bucket}")}]})
}

const GLUE_READS: &[&str] = &[
    "glue:GetDatabase",
    "glue:GetDatabases",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartitions",
];

async fn role(acct: &Account, name: &str, policy: &Value) -> String {
    acct.service_role(name, "glue").await;
    set_policy(acct, name, policy).await;
    format!("arn:aws:iam::{}:role/{name}", acct.id)
}

async fn set_policy(acct: &Account, role: &str, policy: &Value) {
    acct.iam()
        .put_role_policy()
        .role_name(role)
        .policy_name("analytics")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
}

/// The only steps that are false, by id.
fn failing(e: &Explanation) -> Vec<&str> {
    e.steps
        .iter()
        .filter(|s| s.ok == Some(false))
        .map(|s| s.id.as_str())
        .collect()
}

#[track_caller]
fn assert_allowed(e: &Explanation) {
    assert_eq!(
        e.verdict,
        Verdict::Allowed,
        "{}",
        serde_json::to_string_pretty(e).unwrap()
    );
    assert!(first_failing_step(e).is_none());
}

/// Exactly `id` is false, it is the first failing step, and it has a fix containing `fix`.
#[track_caller]
fn assert_broken_at(e: &Explanation, id: &str, fix: &str) {
    let dump = serde_json::to_string_pretty(e).unwrap();
    assert_eq!(e.verdict, Verdict::Denied, "{dump}");
    assert_eq!(failing(e), vec![id], "{dump}");
    let s = first_failing_step(e).expect("a failing step");
    assert_eq!(s.id, id, "{dump}");
    let f = s.fix.as_deref().unwrap_or_default();
    assert!(f.contains(fix), "fix of {id} should mention {fix:?}: {f}");
}

#[tokio::test]
async fn same_account_table() {
    let acct = fresh_account().await;
    let bucket = acct.bucket("sales").await;
    acct.database("sales", None).await;
    acct.parquet_table("sales", "orders", &format!("s3://{bucket}/orders/"))
        .await;
    settings(&acct, true).await;
    register(&acct, &format!("arn:aws:s3:::{bucket}/orders")).await;
    let analyst = role(&acct, "analyst", &reader_policy(&bucket, GLUE_READS)).await;
    grant(
        &acct,
        &analyst,
        db_res(&acct.id, "sales"),
        &["DESCRIBE"],
        &[],
    )
    .await;
    grant(
        &acct,
        &analyst,
        table_res(&acct.id, "sales", "orders"),
        &["SELECT"],
        &[],
    )
    .await;
    let t = TableRef::parse("sales.orders").unwrap();
    let e = explain::explain(&acct.aws, None, &analyst, &t).await;
    assert_allowed(&e);
    assert_eq!(
        e.steps.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        explain::STEP_IDS.to_vec()
    );
    for id in [
        "ram.invitation",
        "glue.link",
        "lf.link_describe",
        "s3.access",
    ] {
        assert!(!e.step(id).unwrap().applies, "{id} does not apply here");
    }
    // moto has no IAM policy simulator: the evidence says which evaluator answered.
    assert!(
        e.step("iam.identity")
            .unwrap()
            .evidence
            .contains("evaluator: lakewarden's"),
        "{}",
        e.step("iam.identity").unwrap().evidence
    );

    // Identity policy without glue:GetTable.
    let without: Vec<&str> = GLUE_READS
        .iter()
        .copied()
        .filter(|a| *a != "glue:GetTable")
        .collect();
    set_policy(&acct, "analyst", &reader_policy(&bucket, &without)).await;
    let e = explain::explain(&acct.aws, None, &analyst, &t).await;
    assert_broken_at(&e, "iam.identity", "glue:GetTable");
    assert!(
        e.step("iam.identity")
            .unwrap()
            .evidence
            .contains("glue:GetTable"),
        "{e:#?}"
    );
    set_policy(&acct, "analyst", &reader_policy(&bucket, GLUE_READS)).await;
    assert_allowed(&explain::explain(&acct.aws, None, &analyst, &t).await);

    // Default permissions still to IAM_ALLOWED_PRINCIPALS.
    settings(&acct, false).await;
    let e = explain::explain(&acct.aws, None, &analyst, &t).await;
    assert_broken_at(&e, "lf.settings", "CreateTableDefaultPermissions = []");
    settings(&acct, true).await;
    assert_allowed(&explain::explain(&acct.aws, None, &analyst, &t).await);

    // No SELECT on the table.
    revoke(
        &acct,
        &analyst,
        table_res(&acct.id, "sales", "orders"),
        &["SELECT"],
        &[],
    )
    .await;
    let e = explain::explain(&acct.aws, None, &analyst, &t).await;
    assert_broken_at(&e, "lf.table_select", "--permissions SELECT");
}

struct Cross {
    producer: Account,
    consumer: Account,
    role: String,
    table: TableRef,
}

/// A producer sharing cur_org.daily (location registered in the producer) with a consumer
/// account, grantable; the consumer has a resource link cur_org_linked, and its glue-job role has
/// DESCRIBE on the link, DESCRIBE on the shared database and SELECT on the table. The RAM
/// invitation is left PENDING.
async fn cross_pending() -> Cross {
    let producer = fresh_account().await;
    let consumer = fresh_account().await;
    let bucket = producer.bucket("cur-data").await;
    producer.database("cur_org", None).await;
    producer
        .parquet_table("cur_org", "daily", &format!("s3://{bucket}/cur/daily/"))
        .await;
    settings(&producer, true).await;
    settings(&consumer, true).await;
    register(&producer, &format!("arn:aws:s3:::{bucket}/cur")).await;
    let (p, c) = (producer.id.clone(), consumer.id.clone());
    grant(
        &producer,
        &c,
        db_res(&p, "cur_org"),
        &["DESCRIBE"],
        &["DESCRIBE"],
    )
    .await;
    grant(
        &producer,
        &c,
        table_res(&p, "cur_org", "daily"),
        &["SELECT", "DESCRIBE"],
        &["SELECT", "DESCRIBE"],
    )
    .await;
    consumer
        .glue()
        .create_database()
        .database_input(
            aws_sdk_glue::types::DatabaseInput::builder()
                .name("cur_org_linked")
                .target_database(
                    aws_sdk_glue::types::DatabaseIdentifier::builder()
                        .catalog_id(&p)
                        .database_name("cur_org")
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let role = role(&consumer, "glue-job", &reader_policy(&bucket, GLUE_READS)).await;
    grant(
        &consumer,
        &role,
        db_res(&c, "cur_org_linked"),
        &["DESCRIBE"],
        &[],
    )
    .await;
    grant(&consumer, &role, db_res(&p, "cur_org"), &["DESCRIBE"], &[]).await;
    grant(
        &consumer,
        &role,
        table_res(&p, "cur_org", "daily"),
        &["SELECT"],
        &[],
    )
    .await;
    Cross {
        producer,
        consumer,
        role,
        table: TableRef::parse("cur_org_linked.daily").unwrap(),
    }
}

impl Cross {
    async fn explain(&self) -> Explanation {
        explain::explain(
            &self.consumer.aws,
            Some(&self.producer.aws),
            &self.role,
            &self.table,
        )
        .await
    }

    async fn accept(&self) {
        let inv = self
            .consumer
            .ram()
            .get_resource_share_invitations()
            .send()
            .await
            .unwrap();
        let arn = inv
            .resource_share_invitations()
            .iter()
            .find(|i| i.sender_account_id() == Some(self.producer.id.as_str()))
            .and_then(|i| i.resource_share_invitation_arn())
            .expect("invitation")
            .to_string();
        self.consumer
            .ram()
            .accept_resource_share_invitation()
            .resource_share_invitation_arn(arn)
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn cross_account_table_through_a_resource_link() {
    let x = cross_pending().await;
    // Pending invitation: only ram.invitation is false (the link's target is not visible yet,
    // which glue.link reports as a consequence, not as a second failure).
    let e = x.explain().await;
    assert_broken_at(&e, "ram.invitation", "accept-resource-share-invitation");
    assert_eq!(e.step("glue.link").unwrap().ok, None, "{e:#?}");

    x.accept().await;
    let e = x.explain().await;
    assert_allowed(&e);
    assert!(e.step("glue.link").unwrap().applies);
    assert!(e.step("lf.location").unwrap().ok == Some(true));
    assert!(!e.step("s3.access").unwrap().applies);
    assert!(
        e.step("lf.table_select")
            .unwrap()
            .evidence
            .contains("with the grant option"),
        "{e:#?}"
    );

    // No DESCRIBE on the link.
    let (p, c) = (x.producer.id.clone(), x.consumer.id.clone());
    revoke(
        &x.consumer,
        &x.role,
        db_res(&c, "cur_org_linked"),
        &["DESCRIBE"],
        &[],
    )
    .await;
    let e = x.explain().await;
    assert_broken_at(&e, "lf.link_describe", "--permissions DESCRIBE");
    grant(
        &x.consumer,
        &x.role,
        db_res(&c, "cur_org_linked"),
        &["DESCRIBE"],
        &[],
    )
    .await;
    assert_allowed(&x.explain().await);

    // No grant option for the account: the producer grants the table again without it; the
    // role's re-grant in the consumer account is still there but gives nothing.
    revoke(
        &x.producer,
        &c,
        table_res(&p, "cur_org", "daily"),
        &["SELECT", "DESCRIBE"],
        &["SELECT", "DESCRIBE"],
    )
    .await;
    grant(
        &x.producer,
        &c,
        table_res(&p, "cur_org", "daily"),
        &["SELECT", "DESCRIBE"],
        &[],
    )
    .await;
    let e = x.explain().await;
    assert_broken_at(
        &e,
        "lf.table_select",
        "--permissions-with-grant-option SELECT",
    );
    assert!(
        e.step("lf.table_select")
            .unwrap()
            .evidence
            .contains("without the grant option"),
        "{e:#?}"
    );
    grant(
        &x.producer,
        &c,
        table_res(&p, "cur_org", "daily"),
        &["SELECT", "DESCRIBE"],
        &["SELECT", "DESCRIBE"],
    )
    .await;
    assert_allowed(&x.explain().await);

    // Default permissions still to IAM_ALLOWED_PRINCIPALS on the producer side.
    settings(&x.producer, false).await;
    let e = x.explain().await;
    assert_broken_at(&e, "lf.settings", &p);
    settings(&x.producer, true).await;
    assert_allowed(&x.explain().await);
}

#[tokio::test]
async fn without_the_producer_role_producer_steps_come_from_what_the_consumer_sees() {
    let x = cross_pending().await;
    x.accept().await;
    let e = explain::explain(&x.consumer.aws, None, &x.role, &x.table).await;
    // Nothing is false; the producer's registrations and bucket policy cannot be read, so S3
    // access cannot be confirmed: unknown, not allowed.
    assert!(failing(&e).is_empty(), "{e:#?}");
    assert_eq!(e.verdict, Verdict::Unknown, "{e:#?}");
    assert!(e
        .step("lf.location")
        .unwrap()
        .evidence
        .contains("--producer-role-arn"));
    assert!(e
        .step("lf.table_select")
        .unwrap()
        .evidence
        .contains("producer's side was not read"));
}

#[tokio::test]
async fn the_cli_prints_the_json_shape_and_exits_by_verdict() {
    let x = cross_pending().await;
    let run = |extra: Vec<String>| {
        let sdk = x.consumer.sdk.clone();
        let role = x.role.clone();
        async move {
            let mut argv = vec![
                "lakewarden".to_string(),
                "explain".into(),
                "--principal".into(),
                role,
                "--table".into(),
                "cur_org_linked.daily".into(),
            ];
            argv.extend(extra);
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let code = lakewarden_cli::run(argv, Some(sdk), &mut out, &mut err).await;
            (
                code,
                String::from_utf8(out).unwrap(),
                String::from_utf8(err).unwrap(),
            )
        }
    };
    let producer_role = format!("arn:aws:iam::{}:role/lakewarden-explain", x.producer.id);
    let (code, out, err) = run(vec![
        "--json".into(),
        "--producer-role-arn".into(),
        producer_role.clone(),
    ])
    .await;
    assert_eq!(code, 1, "pending invitation: denied\n{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["principal"], x.role);
    assert_eq!(v["table"], "cur_org_linked.daily");
    assert_eq!(v["verdict"], "denied");
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 10);
    for s in steps {
        for k in ["id", "ok", "evidence", "fix"] {
            assert!(s.get(k).is_some(), "{k} missing in {s}");
        }
    }
    assert_eq!(steps[1]["id"], "ram.invitation");
    assert_eq!(steps[1]["ok"], false);
    x.accept().await;
    let (code, out, _) = run(vec!["--producer-role-arn".into(), producer_role]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verdict:   allowed"), "{out}");
    let (code, _, err) = run(vec!["--table".into(), "nodot".into()]).await;
    assert_eq!(code, 2, "{err}");
}
