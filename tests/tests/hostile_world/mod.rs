//! Hostile *state* shared by `hostile.rs` (what holds today) and `hostile_state.rs` (what issue
//! 11 asks for): Glue tables whose names and locations are hostile, and policy documents in every
//! shape AWS returns, next to the statements lakewarden writes.

#![allow(dead_code)]

use std::future::Future;

use lakewarden::report::Report;
use lakewarden::runtime::{Ctx, HandlerError};
use lakewarden_tests::*;
use serde_json::{json, Value};

pub const ORG_ID: &str = "o-abc123def4";

/// Run a handler call in its own task: `Err(message)` when it panicked.
pub async fn guarded<F, Fut>(
    ctx: &Ctx,
    event: Value,
    handler: F,
) -> Result<Result<Report, HandlerError>, String>
where
    F: Fn(Ctx, Value) -> Fut,
    Fut: Future<Output = Result<Report, HandlerError>> + Send + 'static,
{
    match tokio::spawn(handler(ctx.clone(), event)).await {
        Ok(r) => Ok(r),
        Err(e) if e.is_panic() => {
            let p = e.into_panic();
            Err(p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(non-string panic)".into()))
        }
        Err(e) => Err(format!("task failed: {e}")),
    }
}

/// The report of a call, whether it succeeded or failed on some actions.
pub fn report_of(r: &Result<Report, HandlerError>) -> Option<&Report> {
    match r {
        Ok(r) => Some(r),
        Err(HandlerError::ActionsFailed { report, .. }) => Some(report),
        Err(_) => None,
    }
}

/// (name, location) of the hostile tables of `cur_org`; `None` = a table without location.
pub fn hostile_tables(bucket: &str, payroll: &str, broken: &str) -> Vec<(String, Option<String>)> {
    let t = |n: &str, l: &str| (n.to_string(), Some(l.to_string()));
    vec![
        t("legacy_all", &format!("s3://{bucket}/cur/legacy_all/")),
        t("t_star_bucket", "s3://*/"),
        t("t_bucket_glob", &format!("s3://{bucket}/*")),
        t("t_question", &format!("s3://{bucket}/cur/a?b/")),
        t("t_dollar", &format!("s3://{bucket}/cur/${{aws:username}}/")),
        t("t_brace", &format!("s3://{bucket}/cur/{{x}}/")),
        t("t_no_bucket", "s3:///cur/"),
        t("t_not_s3", "https://example.com/cur/"),
        t("t_dotdot", &format!("s3://{bucket}/cur/../payroll/")),
        t("t_quote", &format!("s3://{bucket}/cur/a\"b/")),
        t("t_non_ascii", &format!("s3://{bucket}/cur/日本語/")),
        t("t_control", &format!("s3://{bucket}/cur/a\nb/")),
        t("t_invalid_bucket", "s3://Invalid_Bucket..Name/x/"),
        t("t_payroll", &format!("s3://{payroll}/salaries/")),
        t("t_broken_policy", &format!("s3://{broken}/t/")),
        t("t*", &format!("s3://{bucket}/cur/star_name/")),
        t("t\"q", &format!("s3://{bucket}/cur/quote_name/")),
        t("..", &format!("s3://{bucket}/cur/dotdot_name/")),
        t("ü_name", &format!("s3://{bucket}/cur/u_name/")),
        ("t_view".to_string(), None),
    ]
}

/// Create a table; returns false when the (local) Glue refuses it.
pub async fn table(acct: &Account, db: &str, name: &str, location: Option<&str>) -> bool {
    use aws_sdk_glue::types::{Column, StorageDescriptor, TableInput};
    let mut input = TableInput::builder()
        .name(name)
        .table_type("EXTERNAL_TABLE");
    if let Some(l) = location {
        input = input.storage_descriptor(
            StorageDescriptor::builder()
                .location(l)
                .columns(
                    Column::builder()
                        .name("c")
                        .r#type("string")
                        .build()
                        .unwrap(),
                )
                .build(),
        );
    }
    acct.glue()
        .create_table()
        .database_name(db)
        .table_input(input.build().unwrap())
        .send()
        .await
        .is_ok()
}

/// A bucket policy with foreign statements in every legal shape: string and list Action and
/// Principal, NotAction, NotPrincipal, Condition blocks, a statement without Sid, and a Sid that
/// only looks like lakewarden's.
pub fn foreign_bucket_policy(bucket: &str, account: &str) -> Value {
    json!({"Version": "2012-10-17", "Id": "TheirPolicy", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "AuditorRead", "Effect": "Allow",
         "Principal": {"AWS": ["arn:aws:iam::999999999999:root", "arn:aws:iam::888888888888:role/auditor"]},
         "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/audit/*")]},
        {"Effect": "Deny", "NotPrincipal": {"AWS": format!("arn:aws:iam::{account}:root")},
         "NotAction": ["s3:GetObject", "s3:ListBucket"], "Resource": format!("arn:aws:s3:::{bucket}/locked/*")},
        {"Sid": "OrgList", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:ListBucket",
         "Resource": format!("arn:aws:s3:::{bucket}"),
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-zzz999yyy8"},
                       "StringLike": {"s3:prefix": ["shared/*", "public/*"]}}},
        {"Sid": "lakewardenShareLookalike", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/logs/*"),
         "Condition": {"StringEquals": {"aws:SourceAccount": account}}}
    ]})
}

/// A policy whose Statement is a single object, not a list (legal).
pub fn single_statement_policy(bucket: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement":
        {"Sid": "PayrollTeamOnly", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::777777777777:role/payroll"},
         "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}})
}

pub const BROKEN_POLICY: &str = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"Cut";

/// A bucket's policy text, as stored.
pub async fn policy_text(acct: &Account, bucket: &str) -> Option<String> {
    acct.s3()
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .ok()
        .and_then(|o| o.policy().map(String::from))
}

pub async fn put_policy(acct: &Account, bucket: &str, text: &str) -> bool {
    acct.s3()
        .put_bucket_policy()
        .bucket(bucket)
        .policy(text)
        .send()
        .await
        .is_ok()
}

/// The statements of a document whose Sid does not start with `Lakewarden`, serialized.
pub fn foreign_statements(doc: &Value) -> Vec<String> {
    lakewarden::policy::statements(doc)
        .iter()
        .filter(|s| !lakewarden::policy::sid(s).is_some_and(|id| id.starts_with("Lakewarden")))
        .map(|s| s.to_string())
        .collect()
}

/// The statements lakewarden wrote (Sid starting with `Lakewarden`).
pub fn our_statements(doc: &Value) -> Vec<Value> {
    lakewarden::policy::statements(doc)
        .into_iter()
        .filter(|s| lakewarden::policy::sid(s).is_some_and(|id| id.starts_with("Lakewarden")))
        .collect()
}

pub struct CatalogWorld {
    pub p: Account,
    pub bucket: String,
    pub payroll: String,
    pub broken: String,
    /// Whether the local S3 stored the malformed policy (AWS refuses it: MalformedPolicy).
    pub broken_stored: bool,
    pub consumer: String,
    pub topic: String,
    pub created: Vec<(String, Option<String>)>,
    pub refused: Vec<String>,
    pub ctx: Ctx,
}

/// A producer whose `cur_org` holds the hostile tables, with foreign statements in the bucket
/// policies, configured to share `cur_org` with an account, the organization and a role.
pub async fn catalog_world() -> CatalogWorld {
    let p = fresh_account().await;
    let bucket = p.bucket("cur-data").await;
    let payroll = p.bucket("payroll").await;
    let broken = p.bucket("broken").await;
    assert!(
        put_policy(
            &p,
            &bucket,
            &foreign_bucket_policy(&bucket, &p.id).to_string()
        )
        .await
    );
    assert!(put_policy(&p, &payroll, &single_statement_policy(&payroll).to_string()).await);
    let broken_stored = put_policy(&p, &broken, BROKEN_POLICY).await;
    p.database("cur_org", Some(&format!("s3://{bucket}/cur/")))
        .await;
    let mut created = Vec::new();
    let mut refused = Vec::new();
    for (name, loc) in hostile_tables(&bucket, &payroll, &broken) {
        if table(&p, "cur_org", &name, loc.as_deref()).await {
            created.push((name, loc));
        } else {
            refused.push(name);
        }
    }
    // A database whose own location is the bucket with the malformed policy: its table is
    // inside the shared locations, so the policy is read (and must not be overwritten).
    p.database("cur_broken", Some(&format!("s3://{broken}/")))
        .await;
    if table(
        &p,
        "cur_broken",
        "t_in_broken",
        Some(&format!("s3://{broken}/t/")),
    )
    .await
    {
        created.push((
            "cur_broken.t_in_broken".into(),
            Some(format!("s3://{broken}/t/")),
        ));
    }
    let consumer = new_account_id();
    let topic = p.topic("lakewarden-alerts").await;
    let cfg = format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\nproducer:\n  shares:\n    - database: cur_org\n      consumers: [\"{consumer}\", \"arn:aws:organizations::{}:organization/{ORG_ID}\", \"arn:aws:iam::{consumer}:role/analyst\"]\n    - database: cur_broken\n      consumers: [\"{consumer}\"]\n",
        p.id
    );
    let ctx = p.ctx(&cfg);
    CatalogWorld {
        p,
        bucket,
        payroll,
        broken,
        broken_stored,
        consumer,
        topic,
        created,
        refused,
        ctx,
    }
}

pub async fn run_catalog_sharer(w: &CatalogWorld) -> Result<Result<Report, HandlerError>, String> {
    guarded(
        &w.ctx,
        scheduled_event(&w.p.id),
        |ctx: Ctx, ev| async move { catalog_sharer::handle(&ctx, ev).await },
    )
    .await
}

/// Registered Lake Formation locations of an account.
pub async fn registered(acct: &Account) -> Vec<String> {
    let out = acct
        .lakeformation()
        .list_resources()
        .send()
        .await
        .expect("list resources");
    out.resource_info_list()
        .iter()
        .filter_map(|r| r.resource_arn().map(String::from))
        .collect()
}

/// An identity policy with foreign statements in every legal shape (no Principal in identity
/// policies): string and list Action, NotAction, Condition, no Sid, a look-alike Sid.
pub fn foreign_identity_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "TheirRead", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::their-bucket/*"},
        {"Effect": "Deny", "NotAction": ["s3:Get*", "s3:List*"], "Resource": "*"},
        {"Sid": "TheirList", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "arn:aws:s3:::their-bucket",
         "Condition": {"StringLike": {"s3:prefix": ["a/*", "b/*"]}, "Bool": {"aws:SecureTransport": "true"}}},
        {"Sid": "lakewardenLinkLookalike", "Effect": "Allow", "Action": "glue:GetTable", "Resource": "*"}
    ]})
}

pub fn single_identity_statement() -> Value {
    json!({"Version": "2012-10-17", "Statement":
        {"Sid": "AnalystAthena", "Effect": "Allow", "Action": ["athena:StartQueryExecution", "athena:GetQueryResults"], "Resource": "*"}})
}

pub const ROLE_POLICY: &str = "lakewarden-share-linker";

pub async fn role_policy(acct: &Account, role: &str) -> Option<String> {
    acct.iam()
        .get_role_policy()
        .role_name(role)
        .policy_name(ROLE_POLICY)
        .send()
        .await
        .ok()
        .map(|o| lakewarden::aws::iam::decode_document(o.policy_document()))
}

pub struct LinkWorld {
    pub p: Account,
    pub c: Account,
    /// A bucket of the consumer's own account that a producer's table points into.
    pub own_bucket: String,
    pub roles: Vec<String>,
    pub ctx: Ctx,
    pub created: Vec<(String, Option<String>)>,
}

pub async fn create_role(acct: &Account, name: &str) -> String {
    acct.iam()
        .create_role()
        .role_name(name)
        .assume_role_policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            .to_string(),
        )
        .send()
        .await
        .expect("create role");
    format!("arn:aws:iam::{}:role/{name}", acct.id)
}

/// A trusted producer sharing `cur_org`, whose tables point at `s3://*/`, a wildcard prefix and
/// a bucket of the consumer's own account; the consumer's roles already hold foreign statements
/// in lakewarden's policy.
pub async fn link_world() -> LinkWorld {
    let p = fresh_account().await;
    let c = fresh_account().await;
    let pbucket = p.bucket("cur-data").await;
    let own_bucket = c.bucket("consumer-private").await;
    p.database("cur_org", Some(&format!("s3://{pbucket}/cur/")))
        .await;
    let mut created = Vec::new();
    for (name, loc) in [
        ("legacy_all", format!("s3://{pbucket}/cur/legacy_all/")),
        ("t_star_bucket", "s3://*/".to_string()),
        ("t_glob", format!("s3://{pbucket}/cur/x*y/")),
        ("t_consumer_bucket", format!("s3://{own_bucket}/private/")),
        ("t_whole_consumer_bucket", format!("s3://{own_bucket}")),
    ] {
        if table(&p, "cur_org", name, Some(&loc)).await {
            created.push((name.to_string(), Some(loc)));
        }
    }
    let pcfg = format!(
        "producer:\n  shares:\n    - database: cur_org\n      consumers: [\"{}\"]\n      bucket_policy: false\n      register_location: false\n",
        c.id
    );
    let pctx = p.ctx(&pcfg);
    let _ = catalog_sharer::handle(&pctx, scheduled_event(&p.id)).await;
    let glue_job = create_role(&c, "glue-job").await;
    let analyst = create_role(&c, "analyst").await;
    c.iam()
        .put_role_policy()
        .role_name("glue-job")
        .policy_name(ROLE_POLICY)
        .policy_document(foreign_identity_policy().to_string())
        .send()
        .await
        .expect("put role policy (list)");
    c.iam()
        .put_role_policy()
        .role_name("analyst")
        .policy_name(ROLE_POLICY)
        .policy_document(single_identity_statement().to_string())
        .send()
        .await
        .expect("put role policy (single statement)");
    let topic = c.topic("lakewarden-alerts").await;
    let cfg = format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\nconsumer:\n  trusted_producers: [\"{pid}\"]\n  links:\n    - producer: \"{pid}\"\n      database: cur_org\n      link_name: cur_org_linked\n      roles: [\"{glue_job}\", \"{analyst}\"]\n      s3_read_policy: true\n",
        pid = p.id
    );
    let ctx = c.ctx(&cfg);
    LinkWorld {
        p,
        c,
        own_bucket,
        roles: vec!["glue-job".into(), "analyst".into()],
        ctx,
        created,
    }
}

pub async fn run_share_linker(w: &LinkWorld) -> Result<Result<Report, HandlerError>, String> {
    guarded(
        &w.ctx,
        scheduled_event(&w.c.id),
        |ctx: Ctx, ev| async move { share_linker::handle(&ctx, ev).await },
    )
    .await
}

/// Every `Resource` string of a statement.
pub fn resources(st: &Value) -> Vec<String> {
    match st.get("Resource") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => vec![],
    }
}

/// A valid S3 bucket name (general purpose buckets: 3-63 characters of lower-case letters,
/// digits, dots and hyphens, starting and ending with a letter or digit, no `..`).
pub fn valid_bucket(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && b.starts_with(|c: char| c.is_ascii_alphanumeric())
        && b.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !b.contains("..")
}

/// What is wrong with an S3 ARN lakewarden wrote or registered (issue 11 part 1): a wildcard or
/// variable anywhere but a final `*` after the prefix, no bucket, or an invalid bucket name.
pub fn bad_s3_arn(arn: &str) -> Option<String> {
    let rest = arn.strip_prefix("arn:aws:s3:::")?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if !valid_bucket(bucket) {
        return Some(format!(
            "{arn}: bucket {bucket:?} is not a valid bucket name"
        ));
    }
    let key = key.strip_suffix('*').unwrap_or(key);
    if key.contains(['*', '?', '$', '{']) {
        return Some(format!("{arn}: wildcard or variable in the key"));
    }
    None
}
