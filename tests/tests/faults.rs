//! Throttling and faults (issue 12, part 6): the local AWS answers 20 % of the function's requests
//! with each service's own throttling or 5xx error (`POST /lakewarden-test/faults/random`, scoped
//! to the account under test, see tests/moto_ext/lakewarden_moto/faults.py). With the retry
//! settings a deployed function runs with, every scheduled reconcile converges within 3 runs, and
//! the result is *exactly* what a fault-free run produces on a twin account with the same data:
//! nothing duplicated (grants, bucket-policy statements by Sid, RAM shares, links, role policies),
//! nothing lost, foreign statements untouched. A run that fails reports every failure (action,
//! AWS error, remedy) and returns an error.
//!
//! The normal `cargo test` runs the small representative cases; `make test-faults` adds the
//! heavy ones (`--features heavy-faults`: more tables, several seeds, and five runs without SDK
//! retries before the converging runs).

use std::collections::BTreeMap;

use aws_config::retry::RetryConfig;
use aws_config::SdkConfig;
use lakewarden::report::Report;
use lakewarden::runtime::{Ctx, HandlerError};
use lakewarden::Aws;
use lakewarden_tests::*;
use serde_json::{json, Value};

const RATE: f64 = 0.2;
const ORG: &str = "arn:aws:organizations::111111111111:organization/o-faultsabc12";
/// Codes the fault mode injects (faults.py SERVICE_FAULTS): a failure under faults names one.
const INJECTED: &[&str] = &[
    "SlowDown",
    "InternalError",
    "Throttling",
    "ServiceFailure",
    "InternalFailure",
    "ThrottlingException",
    "ThrottledException",
    "InternalServiceException",
    "ServerInternalException",
    "InternalServerException",
    "InternalException",
    "InternalServerError",
    "ProvisionedThroughputExceededException",
    "RequestThrottled",
];

/// What `Aws::from_env` gives a deployed function.
fn deployed_retries() -> RetryConfig {
    lakewarden::aws::retry_config()
}

fn ctx_with(acct: &Account, config: &str, retries: RetryConfig) -> Ctx {
    let sdk: SdkConfig = acct.sdk.to_builder().retry_config(retries).build();
    let cfg = lakewarden::config::parse(config, "test").expect("test config");
    Ctx::new(cfg, Aws::new(&sdk))
}

/// Random faults for one account while alive.
struct Faults {
    id: u64,
    server: &'static Moto,
}

impl Faults {
    fn on(account: &str, seed: u64) -> Faults {
        Faults::on_server(moto(), account, seed)
    }

    fn on_server(server: &'static Moto, account: &str, seed: u64) -> Faults {
        let (status, body) = server.http(
            "POST",
            "/lakewarden-test/faults/random",
            &json!({"rate": RATE, "seed": seed, "accounts": [account]}).to_string(),
        );
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        Faults {
            id: v["id"].as_u64().unwrap(),
            server,
        }
    }

    /// (requests seen, faults injected by service.code)
    fn stats(&self) -> (u64, BTreeMap<String, u64>) {
        let (_, body) = self
            .server
            .http("GET", "/lakewarden-test/faults/random", "");
        let v: Value = serde_json::from_str(&body).unwrap();
        let me = v["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"].as_u64() == Some(self.id))
            .cloned()
            .expect("scope");
        let injected = me["injected"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        (me["requests"].as_u64().unwrap(), injected)
    }
}

impl Drop for Faults {
    fn drop(&mut self) {
        self.server.http(
            "DELETE",
            "/lakewarden-test/faults/random",
            &json!({"id": self.id}).to_string(),
        );
    }
}

/// Replace account ids (and with them bucket names) by placeholders, so that two twin accounts'
/// states compare equal when they hold the same things.
fn normalize(text: &str, ids: &[(&str, &str)]) -> String {
    let mut s = text.to_string();
    for (id, name) in ids {
        s = s.replace(id, name);
    }
    s
}

/// The report of a run, whether it succeeded or some actions failed.
fn report_of(run: usize, r: &Result<Report, HandlerError>) -> &Report {
    match r {
        Ok(rep) => rep,
        Err(HandlerError::ActionsFailed { report, .. }) => report,
        Err(e) => panic!("run {run}: unexpected error kind: {e}"),
    }
}

/// A run's failures as (action, target, error), account ids replaced.
fn failure_keys(rep: &Report, ids: &[(&str, &str)]) -> Vec<String> {
    let mut v: Vec<String> = rep
        .failures()
        .iter()
        .map(|f| {
            normalize(
                &format!(
                    "{} {} {}",
                    f.action,
                    f.target,
                    f.error.as_deref().unwrap_or_default()
                ),
                ids,
            )
        })
        .collect();
    v.sort();
    v
}

/// A failed run must say what failed, with the AWS error and what to do: every failure is
/// either an injected fault or one the fault-free twin has too (a limit of the local AWS or
/// of the code under test, the same with and without faults).
fn assert_reported(
    run: usize,
    r: &Result<Report, HandlerError>,
    expected: &[String],
    ids: &[(&str, &str)],
) {
    let rep = report_of(run, r);
    assert_eq!(
        r.is_err(),
        !rep.failures().is_empty(),
        "run {run}: error iff failures"
    );
    for f in rep.failures() {
        let err = f.error.as_deref().unwrap_or_default();
        let key = normalize(&format!("{} {} {err}", f.action, f.target), ids);
        assert!(
            INJECTED.iter().any(|c| err.contains(c)) || expected.contains(&key),
            "run {run}: a failure that is neither an injected fault nor the twin's: {f:?}"
        );
        assert!(
            f.remedy.as_deref().is_some_and(|r| !r.is_empty()),
            "run {run}: a failure without remedy: {f:?}"
        );
    }
}

/// Scheduled reconciles under faults: first `rough` runs without SDK retries (`run(true)`:
/// every fault reaches lakewarden, each failure must be reported; they leave a partly applied
/// state), then runs with the deployed retry settings (`run(false)`) until one ends as the
/// fault-free twin's did (at most `max_runs`). Returns every run's result, rough ones first.
async fn reconcile_under_faults<F, Fut>(
    rough: usize,
    max_runs: usize,
    expected: &[String],
    ids: &[(&str, &str)],
    mut run: F,
) -> Vec<Result<Report, HandlerError>>
where
    F: FnMut(bool) -> Fut,
    Fut: std::future::Future<Output = Result<Report, HandlerError>>,
{
    let mut results = Vec::new();
    for i in 1..=rough {
        let r = run(true).await;
        assert_reported(i, &r, expected, ids);
        results.push(r);
    }
    for i in rough + 1..=rough + max_runs {
        let r = run(false).await;
        assert_reported(i, &r, expected, ids);
        let done = failure_keys(report_of(i, &r), ids) == expected;
        results.push(r);
        if done {
            break;
        }
    }
    results
}

fn converged(
    results: &[Result<Report, HandlerError>],
    expected: &[String],
    ids: &[(&str, &str)],
) -> bool {
    results
        .last()
        .is_some_and(|r| failure_keys(report_of(results.len(), r), ids) == expected)
}

// ------------------------------------------------------------------------------------------
// catalog-sharer

struct Producer {
    acct: Account,
    bucket: String,
    topic: String,
}

const FOREIGN_SID: &str = "PlatformTeamRead";

async fn producer(tables: usize) -> Producer {
    let acct = fresh_account().await;
    let bucket = acct.bucket("cur-data").await;
    let topic = acct.topic("lakewarden-alerts").await;
    acct.database("cur_org", Some(&format!("s3://{bucket}/cur/")))
        .await;
    for i in 0..tables {
        let t = format!("t{i:03}");
        acct.parquet_table("cur_org", &t, &format!("s3://{bucket}/cur/{t}/"))
            .await;
    }
    // A second database, shared with an explicit RAM share (lakewarden-cur_ram).
    acct.database("cur_ram", Some(&format!("s3://{bucket}/ram/")))
        .await;
    for t in ["r0", "r1"] {
        acct.parquet_table("cur_ram", t, &format!("s3://{bucket}/ram/{t}/"))
            .await;
    }
    // A statement lakewarden does not own: it must survive every run, unchanged and first.
    let policy = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": FOREIGN_SID, "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{}:root", acct.id)},
        "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/platform/*")}]});
    acct.s3()
        .put_bucket_policy()
        .bucket(&bucket)
        .policy(policy.to_string())
        .send()
        .await
        .expect("foreign policy");
    Producer {
        acct,
        bucket,
        topic,
    }
}

fn producer_config(p: &Producer, consumer: &str, role: &str) -> String {
    format!(
        "alerts: {{ topic_arn: \"{}\" }}\nproducer:\n  shares:\n    - database: cur_org\n      consumers: [\"{consumer}\", \"{ORG}\", \"{role}\"]\n    - database: cur_ram\n      consumers: [\"{consumer}\", \"{role}\"]\n      ram: explicit\n",
        p.topic
    )
}

/// Everything catalog-sharer manages in the producer account, normalized and sorted where AWS
/// does not promise an order.
async fn producer_state(p: &Producer) -> Value {
    let ids = [(p.acct.id.as_str(), "PRODUCER")];
    let lf = p.acct.lakeformation();
    let perms = p.acct.lf_permissions().await;
    let mut grants: Vec<String> = perms
        .iter()
        .map(|g| {
            let mut perms: Vec<String> =
                g.permissions().iter().map(|x| x.as_str().into()).collect();
            let mut grantable: Vec<String> = g
                .permissions_with_grant_option()
                .iter()
                .map(|x| x.as_str().into())
                .collect();
            perms.sort();
            grantable.sort();
            normalize(
                &format!(
                    "{} on {:?}: {perms:?} grantable {grantable:?}",
                    g.principal()
                        .and_then(|x| x.data_lake_principal_identifier())
                        .unwrap_or_default(),
                    g.resource()
                ),
                &ids,
            )
        })
        .collect();
    grants.sort();
    let mut registered: Vec<String> = lf
        .list_resources()
        .send()
        .await
        .expect("list resources")
        .resource_info_list()
        .iter()
        .map(|r| normalize(r.resource_arn().unwrap_or_default(), &ids))
        .collect();
    registered.sort();
    let policy = p.acct.bucket_policy(&p.bucket).await;
    let statements: Vec<Value> = policy
        .as_ref()
        .and_then(|v| v["Statement"].as_array().cloned())
        .unwrap_or_default();
    let mut sids: Vec<String> = statements
        .iter()
        .map(|s| s["Sid"].as_str().unwrap_or("(none)").to_string())
        .collect();
    let mut by_sid: Vec<String> = statements
        .iter()
        .map(|s| normalize(&s.to_string(), &ids))
        .collect();
    by_sid.sort();
    sids.sort();
    let ram = p.acct.ram();
    let shares = ram
        .get_resource_shares()
        .resource_owner(aws_sdk_ram::types::ResourceOwner::SelfValue)
        .send()
        .await
        .expect("shares");
    let mut share_names: Vec<String> = shares
        .resource_shares()
        .iter()
        .filter(|s| s.status().map(|x| x.as_str()) != Some("DELETED"))
        .map(|s| s.name().unwrap_or_default().to_string())
        .collect();
    share_names.sort();
    let mut assoc = Vec::new();
    for kind in [
        aws_sdk_ram::types::ResourceShareAssociationType::Principal,
        aws_sdk_ram::types::ResourceShareAssociationType::Resource,
    ] {
        let out = ram
            .get_resource_share_associations()
            .association_type(kind)
            .send()
            .await
            .expect("associations");
        for a in out.resource_share_associations() {
            if a.status().map(|s| s.as_str()) == Some("ASSOCIATED") {
                assoc.push(normalize(a.associated_entity().unwrap_or_default(), &ids));
            }
        }
    }
    assoc.sort();
    json!({"grants": grants, "registered": registered, "bucket_statements": by_sid,
           "bucket_sids": sids, "ram_shares": share_names, "ram_associations": assoc})
}

fn assert_no_duplicates(state: &Value, key: &str) {
    let v: Vec<&Value> = state[key].as_array().unwrap().iter().collect();
    let mut seen = std::collections::BTreeSet::new();
    for x in &v {
        assert!(seen.insert(x.to_string()), "{key}: duplicate {x}");
    }
}

/// Twin producers with the same data: the reconcile runs without faults on one, under faults on
/// the other, which must end exactly as the twin did.
async fn catalog_sharer_case(tables: usize, seed: u64, rough: usize, max_runs: usize) {
    let consumer = new_account_id();
    let role = format!("arn:aws:iam::{}:role/analyst", new_account_id());
    let (twin, faulty) = tokio::join!(producer(tables), producer(tables));
    let twin_ids = [(twin.acct.id.as_str(), "PRODUCER")];
    let ids = [(faulty.acct.id.as_str(), "PRODUCER")];

    // Reference: the fault-free first run and converged run on the twin.
    let twin_ctx = ctx_with(
        &twin.acct,
        &producer_config(&twin, &consumer, &role),
        deployed_retries(),
    );
    let ref1 = catalog_sharer::handle(&twin_ctx, scheduled_event(&twin.acct.id)).await;
    let expected = failure_keys(report_of(0, &ref1), &twin_ids);
    let ref2 = catalog_sharer::handle(&twin_ctx, scheduled_event(&twin.acct.id)).await;
    let ref2_writes = report_of(0, &ref2).writes;
    assert_eq!(
        failure_keys(report_of(0, &ref2), &twin_ids),
        expected,
        "the twin is not stable"
    );
    if !expected.is_empty() {
        eprintln!("note: the fault-free twin itself fails: {expected:?}");
    }
    let twin_state = producer_state(&twin).await;

    let cfg = producer_config(&faulty, &consumer, &role);
    let ctx = ctx_with(&faulty.acct, &cfg, deployed_retries());
    let rough_ctx = ctx_with(&faulty.acct, &cfg, RetryConfig::disabled());
    let faults = Faults::on(&faulty.acct.id, seed);
    let results = reconcile_under_faults(rough, max_runs, &expected, &ids, |r| {
        catalog_sharer::handle(
            if r { &rough_ctx } else { &ctx },
            scheduled_event(&faulty.acct.id),
        )
    })
    .await;
    let (requests, injected) = faults.stats();
    drop(faults);
    assert!(
        injected.values().sum::<u64>() > 0,
        "no fault was injected in {requests} requests: the test would prove nothing"
    );
    assert!(
        converged(&results, &expected, &ids),
        "did not converge within {max_runs} runs with retries under {RATE} faults (seed {seed}, injected {injected:?}): {:?}",
        results.iter().map(|r| r.as_ref().err().map(|e| e.to_string())).collect::<Vec<_>>()
    );

    // Converged: a fault-free run does what the twin's converged run does, and the state is the twin's.
    let check = catalog_sharer::handle(
        &ctx_with(&faulty.acct, &cfg, deployed_retries()),
        scheduled_event(&faulty.acct.id),
    )
    .await;
    assert_eq!(failure_keys(report_of(0, &check), &ids), expected);
    assert_eq!(
        report_of(0, &check).writes,
        ref2_writes,
        "not converged: {:?}",
        report_of(0, &check).actions
    );
    let state = producer_state(&faulty).await;
    for key in [
        "grants",
        "registered",
        "bucket_sids",
        "ram_shares",
        "ram_associations",
    ] {
        assert_no_duplicates(&state, key);
    }
    assert_eq!(
        state, twin_state,
        "state under faults differs from the fault-free twin's"
    );
    // The foreign statement is untouched and still first.
    let policy = faulty
        .acct
        .bucket_policy(&faulty.bucket)
        .await
        .expect("policy");
    assert_eq!(policy["Statement"][0]["Sid"], FOREIGN_SID);
    assert_eq!(
        policy["Statement"][0]["Resource"],
        format!("arn:aws:s3:::{}/platform/*", faulty.bucket)
    );
    // Every failed run alerted (one message each), unless SNS itself was faulted on a publish.
    let failed_runs = results.iter().filter(|r| r.is_err()).count() + usize::from(check.is_err());
    let alerts = moto().sent_notifications(&faulty.acct.id).len();
    if !injected.keys().any(|k| k.starts_with("sns.")) {
        assert_eq!(alerts, failed_runs, "one alert per failed run");
    } else {
        assert!(alerts <= failed_runs);
    }
    eprintln!(
        "catalog-sharer, {tables} tables, seed {seed}: {} run(s) under faults, {failed_runs} failed, {requests} requests, injected {injected:?}",
        results.len()
    );
}

#[tokio::test]
async fn catalog_sharer_converges_under_20_percent_faults_with_deployed_retries() {
    catalog_sharer_case(4, 1, 0, 3).await;
}

// ------------------------------------------------------------------------------------------
// share-linker

struct Pair {
    producer: Account,
    consumer: Account,
    role: String,
    topic: String,
}

async fn pair(tables: usize) -> Pair {
    let producer = fresh_account().await;
    let consumer = fresh_account().await;
    let bucket = producer.bucket("cur-data").await;
    producer.database("cur_org", None).await;
    for i in 0..tables {
        let t = format!("t{i:03}");
        producer
            .parquet_table("cur_org", &t, &format!("s3://{bucket}/cur/{t}/"))
            .await;
    }
    let cfg = format!(
        "producer:\n  shares:\n    - database: cur_org\n      consumers: [\"{}\"]\n",
        consumer.id
    );
    catalog_sharer::handle(&producer.ctx(&cfg), scheduled_event(&producer.id))
        .await
        .expect("producer shares");
    consumer.service_role("glue-job", "glue").await;
    // An inline policy lakewarden does not own: it must survive.
    consumer
        .iam()
        .put_role_policy()
        .role_name("glue-job")
        .policy_name("team-extra")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Sid": "TeamLogs", "Effect": "Allow",
                "Action": "logs:PutLogEvents", "Resource": "*"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let topic = consumer.topic("lakewarden-alerts").await;
    let role = format!("arn:aws:iam::{}:role/glue-job", consumer.id);
    Pair {
        producer,
        consumer,
        role,
        topic,
    }
}

fn consumer_config(p: &Pair) -> String {
    format!(
        "alerts: {{ topic_arn: \"{}\" }}\nconsumer:\n  trusted_producers: [\"{}\"]\n  links:\n    - producer: \"{}\"\n      database: cur_org\n      link_name: cur_org_linked\n      roles: [\"{}\"]\n",
        p.topic, p.producer.id, p.producer.id, p.role
    )
}

async fn consumer_state(p: &Pair) -> Value {
    let ids = [
        (p.producer.id.as_str(), "PRODUCER"),
        (p.consumer.id.as_str(), "CONSUMER"),
    ];
    let dbs = p
        .consumer
        .glue()
        .get_databases()
        .send()
        .await
        .expect("databases");
    let mut links: Vec<String> = dbs
        .database_list()
        .iter()
        .map(|d| {
            normalize(
                &format!(
                    "{} -> {:?}",
                    d.name(),
                    d.target_database().map(|t| (
                        t.catalog_id().unwrap_or_default(),
                        t.database_name().unwrap_or_default()
                    ))
                ),
                &ids,
            )
        })
        .collect();
    links.sort();
    let perms = p
        .consumer
        .lakeformation()
        .list_permissions()
        .send()
        .await
        .expect("permissions");
    let mut grants: Vec<String> = perms
        .principal_resource_permissions()
        .iter()
        .map(|g| {
            let mut perms: Vec<String> =
                g.permissions().iter().map(|x| x.as_str().into()).collect();
            perms.sort();
            normalize(
                &format!(
                    "{} on {:?}: {perms:?}",
                    g.principal()
                        .and_then(|x| x.data_lake_principal_identifier())
                        .unwrap_or_default(),
                    g.resource()
                ),
                &ids,
            )
        })
        .collect();
    grants.sort();
    let inv = p
        .consumer
        .ram()
        .get_resource_share_invitations()
        .send()
        .await
        .expect("invitations");
    let mut invitations: Vec<String> = inv
        .resource_share_invitations()
        .iter()
        .map(|i| {
            normalize(
                &format!(
                    "{} {}",
                    i.sender_account_id().unwrap_or_default(),
                    i.status().map(|s| s.as_str()).unwrap_or_default()
                ),
                &ids,
            )
        })
        .collect();
    invitations.sort();
    let mut policies = BTreeMap::new();
    for (n, v) in inline_policies(&p.consumer, "glue-job").await {
        let mut stmts: Vec<String> = v["Statement"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|s| normalize(&s.to_string(), &ids))
            .collect();
        stmts.sort();
        policies.insert(n, stmts);
    }
    json!({"links": links, "grants": grants, "invitations": invitations, "role_policies": policies})
}

/// Each inline policy of `role`, by name: the document parsed (a string when it is not JSON).
async fn inline_policies(acct: &Account, role: &str) -> BTreeMap<String, Value> {
    let iam = acct.iam();
    let names = iam
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .expect("role policies");
    let mut out = BTreeMap::new();
    for n in names.policy_names() {
        let doc = iam
            .get_role_policy()
            .role_name(role)
            .policy_name(n)
            .send()
            .await
            .expect("role policy");
        let text = urlencoding_decode(doc.policy_document());
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
        out.insert(n.to_string(), v);
    }
    out
}

/// IAM returns policy documents URL-encoded (moto too).
fn urlencoding_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn share_linker_case(tables: usize, seed: u64, rough: usize, max_runs: usize) {
    let (twin, faulty) = tokio::join!(pair(tables), pair(tables));
    let twin_ids = [
        (twin.producer.id.as_str(), "PRODUCER"),
        (twin.consumer.id.as_str(), "CONSUMER"),
    ];
    let ids = [
        (faulty.producer.id.as_str(), "PRODUCER"),
        (faulty.consumer.id.as_str(), "CONSUMER"),
    ];
    let twin_ctx = ctx_with(&twin.consumer, &consumer_config(&twin), deployed_retries());
    let ref1 = share_linker::handle(&twin_ctx, scheduled_event(&twin.consumer.id)).await;
    let expected = failure_keys(report_of(0, &ref1), &twin_ids);
    let ref2 = share_linker::handle(&twin_ctx, scheduled_event(&twin.consumer.id)).await;
    let ref2_writes = report_of(0, &ref2).writes;
    assert_eq!(
        failure_keys(report_of(0, &ref2), &twin_ids),
        expected,
        "the twin is not stable"
    );
    if !expected.is_empty() {
        eprintln!("note: the fault-free twin itself fails: {expected:?}");
    }
    let twin_state = consumer_state(&twin).await;
    assert!(
        twin_state["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().starts_with("cur_org_linked ->")),
        "the reference made no link: {twin_state}"
    );

    let cfg = consumer_config(&faulty);
    let ctx = ctx_with(&faulty.consumer, &cfg, deployed_retries());
    let rough_ctx = ctx_with(&faulty.consumer, &cfg, RetryConfig::disabled());
    let faults = Faults::on(&faulty.consumer.id, seed);
    let results = reconcile_under_faults(rough, max_runs, &expected, &ids, |r| {
        share_linker::handle(
            if r { &rough_ctx } else { &ctx },
            scheduled_event(&faulty.consumer.id),
        )
    })
    .await;
    let (requests, injected) = faults.stats();
    drop(faults);
    assert!(
        injected.values().sum::<u64>() > 0,
        "no fault injected in {requests} requests"
    );
    assert!(
        converged(&results, &expected, &ids),
        "did not converge within {max_runs} runs (seed {seed}, injected {injected:?}): {:?}",
        results
            .iter()
            .map(|r| r.as_ref().err().map(|e| e.to_string()))
            .collect::<Vec<_>>()
    );
    let check = share_linker::handle(
        &ctx_with(&faulty.consumer, &cfg, deployed_retries()),
        scheduled_event(&faulty.consumer.id),
    )
    .await;
    assert_eq!(failure_keys(report_of(0, &check), &ids), expected);
    assert_eq!(
        report_of(0, &check).writes,
        ref2_writes,
        "not converged: {:?}",
        report_of(0, &check).actions
    );
    let state = consumer_state(&faulty).await;
    for key in ["links", "grants", "invitations"] {
        assert_no_duplicates(&state, key);
    }
    assert_eq!(
        state, twin_state,
        "state under faults differs from the fault-free twin's"
    );
    assert!(state["role_policies"]["team-extra"]
        .as_array()
        .is_some_and(|s| s.len() == 1));
    eprintln!(
        "share-linker, {tables} tables, seed {seed}: {} run(s) under faults, {} failed, {requests} requests, injected {injected:?}",
        results.len(),
        results.iter().filter(|r| r.is_err()).count()
    );
}

#[tokio::test]
async fn share_linker_converges_under_20_percent_faults_with_deployed_retries() {
    share_linker_case(3, 2, 0, 3).await;
}

// ------------------------------------------------------------------------------------------
// The other functions, through one twin harness: a world is set up twice with the same data;
// the reconcile runs fault-free on the twin and under faults on the other, which must converge
// within the allowed runs to exactly the twin's state.

/// One function's world: what it acts on, how its scheduled reconcile runs, what it manages.
trait World: Sized {
    const NAME: &'static str;
    /// Set up a world of about `size` things (tables, integrations…).
    async fn make(size: usize) -> Self;
    /// The account the function runs in (the one faulted).
    fn account(&self) -> &Account;
    /// Account ids to replace by placeholders when comparing with the twin.
    fn ids(&self) -> Vec<(String, &'static str)>;
    /// One scheduled reconcile with these SDK retry settings.
    async fn run(&self, retries: RetryConfig) -> Result<Report, HandlerError>;
    /// Everything the function manages, normalized (`ids`) and sorted where AWS keeps no order.
    async fn state(&self) -> Value;
    /// Keys of `state` whose entries must be unique (nothing duplicated).
    fn unique(&self) -> &'static [&'static str] {
        &[]
    }
    /// Whether a converged run's write count must be the twin's second run's (false when the
    /// second run depends on the local AWS's own background work, e.g. an export completing).
    fn same_writes(&self) -> bool {
        true
    }
    /// Checks on the converged world beyond equality with the twin.
    async fn check(&self, _converged_run: &Report) {}
    /// The local AWS this world lives in.
    fn server(&self) -> &'static Moto {
        moto()
    }
    /// Alerts published in the function's account so far.
    async fn alerts_sent(&self) -> usize {
        self.server().sent_notifications(&self.account().id).len()
    }
}

fn pairs<'a>(v: &'a [(String, &'static str)]) -> Vec<(&'a str, &'static str)> {
    v.iter().map(|(a, b)| (a.as_str(), *b)).collect()
}

async fn twin_case<W: World>(size: usize, seed: u64, rough: usize, max_runs: usize) {
    let (twin, faulty) = tokio::join!(W::make(size), W::make(size));
    let (twin_ids, ids) = (twin.ids(), faulty.ids());
    let (twin_ids, ids) = (pairs(&twin_ids), pairs(&ids));
    let twin_alerts_before = twin.alerts_sent().await;
    let ref1 = twin.run(deployed_retries()).await;
    let expected = failure_keys(report_of(0, &ref1), &twin_ids);
    let ref2 = twin.run(deployed_retries()).await;
    let ref2_writes = report_of(0, &ref2).writes;
    assert_eq!(
        failure_keys(report_of(0, &ref2), &twin_ids),
        expected,
        "{}: the twin is not stable",
        W::NAME
    );
    if !expected.is_empty() {
        eprintln!(
            "note: {}'s fault-free twin itself fails: {expected:?}",
            W::NAME
        );
    }
    let twin_state = twin.state().await;
    // Alerts a fault-free run sends anyway (needs-attention findings): per run.
    let twin_alerts = twin.alerts_sent().await - twin_alerts_before;

    let alerts_before = faulty.alerts_sent().await;
    let faults = Faults::on_server(faulty.server(), &faulty.account().id, seed);
    let results = reconcile_under_faults(rough, max_runs, &expected, &ids, |r| {
        faulty.run(if r {
            RetryConfig::disabled()
        } else {
            deployed_retries()
        })
    })
    .await;
    let (requests, injected) = faults.stats();
    drop(faults);
    assert!(
        injected.values().sum::<u64>() > 0,
        "{}: no fault was injected in {requests} requests: the test would prove nothing",
        W::NAME
    );
    assert!(
        converged(&results, &expected, &ids),
        "{}: did not converge within {max_runs} runs with retries under {RATE} faults (seed {seed}, injected {injected:?}): {:?}",
        W::NAME,
        results
            .iter()
            .map(|r| r.as_ref().err().map(|e| e.to_string()))
            .collect::<Vec<_>>()
    );
    let check = faulty.run(deployed_retries()).await;
    assert_eq!(failure_keys(report_of(0, &check), &ids), expected);
    if faulty.same_writes() {
        assert_eq!(
            report_of(0, &check).writes,
            ref2_writes,
            "{}: not converged: {:?}",
            W::NAME,
            report_of(0, &check).actions
        );
    }
    let state = faulty.state().await;
    for key in faulty.unique() {
        assert_no_duplicates(&state, key);
    }
    assert_eq!(
        state,
        twin_state,
        "{}: state under faults differs from the fault-free twin's",
        W::NAME
    );
    faulty.check(report_of(0, &check)).await;
    // Every failed run alerted, unless SNS itself was faulted.
    let failed_runs = results.iter().filter(|r| r.is_err()).count();
    let alerts = faulty.alerts_sent().await - alerts_before;
    if !injected.keys().any(|k| k.starts_with("sns.")) {
        assert!(
            alerts >= failed_runs,
            "{}: {failed_runs} failed runs sent {alerts} alerts",
            W::NAME
        );
    }
    eprintln!(
        "{}, size {size}, seed {seed}: {} run(s) under faults, {failed_runs} failed, {requests} requests, injected {injected:?}, alerts {alerts} (twin: {twin_alerts} in 2 runs)",
        W::NAME,
        results.len()
    );
}

/// Statements of a policy document, each normalized, sorted.
fn statements(doc: Option<&Value>, ids: &[(&str, &str)]) -> Vec<String> {
    let mut v: Vec<String> = doc
        .and_then(|d| d["Statement"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|s| normalize(&s.to_string(), ids))
        .collect();
    v.sort();
    v
}

/// Sids of a policy document, sorted (duplicates kept: they must not exist).
fn sids(doc: Option<&Value>) -> Vec<String> {
    let mut v: Vec<String> = doc
        .and_then(|d| d["Statement"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap_or("(none)").to_string())
        .collect();
    v.sort();
    v
}

// --- table-exporter: the source side exports a DynamoDB table to another account's bucket.

const EXPORT_TABLE: &str = "cm-kasama-test-transactions";
const EXPORT_TIME: &str = "2026-11-24T10:00:00Z";

struct Exporter {
    source: Account,
    dest: Account,
    bucket: String,
    topic: String,
}

impl Exporter {
    fn config(&self) -> String {
        format!(
            "alerts: {{ topic_arn: \"{}\" }}\nexports:\n  - table: {EXPORT_TABLE}\n    bucket: {}\n    bucket_owner: \"{}\"\n    prefix: exports/transactions/\n    fix_pitr: true\n",
            self.topic, self.bucket, self.dest.id
        )
    }
    fn table_arn(&self) -> String {
        format!(
            "arn:aws:dynamodb:{REGION}:{}:table/{EXPORT_TABLE}",
            self.source.id
        )
    }
}

impl World for Exporter {
    const NAME: &'static str = "table-exporter";

    async fn make(rows: usize) -> Self {
        use aws_sdk_dynamodb::types::AttributeValue;
        let source = fresh_account().await;
        let dest = fresh_account().await;
        let bucket = dest.bucket("dynamodb-export-bucket").await;
        source.ddb_table(EXPORT_TABLE, "transaction_id").await;
        for i in 0..rows {
            source
                .dynamodb()
                .put_item()
                .table_name(EXPORT_TABLE)
                .item("transaction_id", AttributeValue::S(format!("t-{i:03}")))
                .item("amount", AttributeValue::N(format!("{}", 10 * i + 1)))
                .send()
                .await
                .unwrap();
        }
        // PITR off: the first run enables it (fix_pitr), then exports.
        source.state_table("lakewarden-state").await;
        let topic = source.topic("lakewarden-alerts").await;
        let w = Exporter {
            source,
            dest,
            bucket,
            topic,
        };
        // The destination side (its bucket policy) is set up once, fault-free.
        let dest_cfg = format!(
            "export_destinations:\n  - bucket: {}\n    source_accounts: [\"{}\"]\n",
            w.bucket, w.source.id
        );
        table_exporter::handle(&w.dest.ctx(&dest_cfg), scheduled_event(&w.dest.id))
            .await
            .expect("destination side");
        w
    }

    fn account(&self) -> &Account {
        &self.source
    }

    fn ids(&self) -> Vec<(String, &'static str)> {
        vec![
            (self.source.id.clone(), "SOURCE"),
            (self.dest.id.clone(), "DEST"),
        ]
    }

    async fn run(&self, retries: RetryConfig) -> Result<Report, HandlerError> {
        let mut ev = scheduled_event(&self.source.id);
        ev["time"] = json!(EXPORT_TIME);
        table_exporter::handle(&ctx_with(&self.source, &self.config(), retries), ev).await
    }

    async fn state(&self) -> Value {
        let ids = self.ids();
        let ids = pairs(&ids);
        let ddb = self.source.dynamodb();
        let list = ddb
            .list_exports()
            .table_arn(self.table_arn())
            .send()
            .await
            .expect("list exports");
        let mut exports = Vec::new();
        for e in list.export_summaries() {
            let d = ddb
                .describe_export()
                .export_arn(e.export_arn().unwrap_or_default())
                .send()
                .await
                .expect("describe export");
            let d = d.export_description().expect("description");
            exports.push(normalize(
                &format!(
                    "{} {} owner {} {:?}",
                    d.s3_bucket().unwrap_or_default(),
                    d.s3_prefix().unwrap_or_default(),
                    d.s3_bucket_owner().unwrap_or_default(),
                    d.export_type()
                ),
                &ids,
            ));
        }
        exports.sort();
        let pitr = ddb
            .describe_continuous_backups()
            .table_name(EXPORT_TABLE)
            .send()
            .await
            .expect("continuous backups")
            .continuous_backups_description()
            .and_then(|c| c.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status())
            .map(|s| s.as_str().to_string());
        let dest_policy = self.dest.bucket_policy(&self.bucket).await;
        json!({"exports": exports, "pitr": pitr,
               "dest_policy": statements(dest_policy.as_ref(), &ids)})
    }

    fn unique(&self) -> &'static [&'static str] {
        &["exports"]
    }

    fn same_writes(&self) -> bool {
        false // the second run records the export's completion only once moto finished it
    }

    async fn check(&self, converged_run: &Report) {
        assert_eq!(
            converged_run.calls_of("dynamodb.ExportTableToPointInTime"),
            0,
            "a converged run starts no export"
        );
        let state = self.state().await;
        assert_eq!(
            state["exports"].as_array().map(Vec::len),
            Some(1),
            "{state}"
        );
        assert_eq!(state["pitr"], "ENABLED");
    }
}

#[tokio::test]
async fn table_exporter_converges_under_20_percent_faults_with_deployed_retries() {
    twin_case::<Exporter>(3, 51, 0, 3).await;
}

// --- integration-monitor: integration transitions published once to EventBridge.

#[cfg_attr(not(feature = "heavy-faults"), allow(dead_code))]
struct Monitor {
    source: Account,
    target: Account,
    queue: String,
    topic: String,
}

impl World for Monitor {
    const NAME: &'static str = "integration-monitor";

    async fn make(n: usize) -> Self {
        let source = fresh_account().await;
        let target = fresh_account().await;
        source.state_table("lakewarden-state").await;
        let queue = source.capture_events("lakewarden").await;
        let topic = source.topic("lakewarden-alerts").await;
        for i in 0..n {
            source
                .create_integration(
                    &format!("zetl-{i}"),
                    &format!("table-{i}"),
                    &target.id,
                    "cm_kasama_zero_etl_db",
                )
                .await;
        }
        Monitor {
            source,
            target,
            queue,
            topic,
        }
    }

    fn account(&self) -> &Account {
        &self.source
    }

    fn ids(&self) -> Vec<(String, &'static str)> {
        vec![
            (self.source.id.clone(), "SOURCE"),
            (self.target.id.clone(), "TARGET"),
        ]
    }

    async fn run(&self, retries: RetryConfig) -> Result<Report, HandlerError> {
        let cfg = format!(
            "alerts: {{ topic_arn: \"{}\" }}\nintegrations:\n  state_table: lakewarden-state\n  event_bus: default\n",
            self.topic
        );
        integration_monitor::handle(
            &ctx_with(&self.source, &cfg, retries),
            scheduled_event(&self.source.id),
        )
        .await
    }

    async fn state(&self) -> Value {
        // Every event published so far (the queue is drained once, at the end), as a consumer
        // sees them: delivery is at least once, and the copies of one transition (published
        // again when a run could not confirm it) carry the same detail.transitionId.
        let captured = self.source.captured(&self.queue).await;
        let mut ids = std::collections::BTreeSet::new();
        let mut events: Vec<String> = captured
            .iter()
            .filter(|e| {
                let id = e["detail"]["transitionId"].as_str();
                assert!(id.is_some(), "an event without transitionId: {e}");
                ids.insert(id.map(String::from))
            })
            .map(|e| {
                let d = &e["detail"];
                format!(
                    "{} {} -> {} ({})",
                    d["integrationName"], d["previousStatus"], d["status"], d["side"]
                )
            })
            .collect();
        events.sort();
        json!({ "events": events })
    }

    fn unique(&self) -> &'static [&'static str] {
        &["events"]
    }
}

// --- integration-doctor: both sides of a zero-ETL integration, repaired (fix: true).

const ZETL_TABLE: &str = "cm-kasama-test-transactions";
const ZETL_DB: &str = "cm_kasama_zero_etl_db";

#[cfg_attr(not(feature = "heavy-faults"), allow(dead_code))]
struct Zetl {
    source: Account,
    target: Account,
    bucket: String,
    topic_s: String,
    topic_t: String,
}

async fn zetl() -> Zetl {
    let source = fresh_account().await;
    let target = fresh_account().await;
    source.ddb_table(ZETL_TABLE, "transaction_id").await;
    let bucket = target.bucket("zetl-bucket").await;
    target.database(ZETL_DB, None).await;
    target.service_role("zetl-target", "lambda").await;
    source
        .create_integration(
            "cm-kasama-cross-account-dynamodb-glue",
            ZETL_TABLE,
            &target.id,
            ZETL_DB,
        )
        .await;
    let topic_s = source.topic("lakewarden-alerts").await;
    let topic_t = target.topic("lakewarden-alerts").await;
    Zetl {
        source,
        target,
        bucket,
        topic_s,
        topic_t,
    }
}

impl Zetl {
    fn ids(&self) -> Vec<(String, &'static str)> {
        vec![
            (self.source.id.clone(), "SOURCE"),
            (self.target.id.clone(), "TARGET"),
        ]
    }
}

/// The source side: the DynamoDB table's resource policy and PITR.
#[cfg_attr(not(feature = "heavy-faults"), allow(dead_code))]
struct DoctorSource(Zetl);

impl World for DoctorSource {
    const NAME: &'static str = "integration-doctor (source)";

    async fn make(_: usize) -> Self {
        let z = zetl().await;
        // A statement lakewarden does not own.
        z.source
            .dynamodb()
            .put_resource_policy()
            .resource_arn(format!(
                "arn:aws:dynamodb:{REGION}:{}:table/{ZETL_TABLE}",
                z.source.id
            ))
            .policy(
                json!({"Version": "2012-10-17", "Statement": [{"Sid": "AnalyticsRead", "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{}:role/analytics", z.source.id)},
                    "Action": "dynamodb:GetItem", "Resource": "*"}]})
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        DoctorSource(z)
    }

    fn account(&self) -> &Account {
        &self.0.source
    }

    fn ids(&self) -> Vec<(String, &'static str)> {
        self.0.ids()
    }

    async fn run(&self, retries: RetryConfig) -> Result<Report, HandlerError> {
        let cfg = format!(
            "alerts: {{ topic_arn: \"{}\" }}\nintegrations:\n  fix: true\n  sources: [{{ table: {ZETL_TABLE}, allowed_target_accounts: [\"{}\"] }}]\n",
            self.0.topic_s, self.0.target.id
        );
        integration_doctor::handle(
            &ctx_with(&self.0.source, &cfg, retries),
            scheduled_event(&self.0.source.id),
        )
        .await
    }

    async fn state(&self) -> Value {
        let ids = self.ids();
        let ids = pairs(&ids);
        let arn = format!(
            "arn:aws:dynamodb:{REGION}:{}:table/{ZETL_TABLE}",
            self.0.source.id
        );
        let ddb = self.0.source.dynamodb();
        let policy: Option<Value> = ddb
            .get_resource_policy()
            .resource_arn(arn)
            .send()
            .await
            .ok()
            .and_then(|o| o.policy().map(|p| serde_json::from_str(p).unwrap()));
        let pitr = ddb
            .describe_continuous_backups()
            .table_name(ZETL_TABLE)
            .send()
            .await
            .expect("continuous backups")
            .continuous_backups_description()
            .and_then(|c| c.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status())
            .map(|s| s.as_str().to_string());
        json!({"table_policy": statements(policy.as_ref(), &ids),
               "table_policy_sids": sids(policy.as_ref()), "pitr": pitr})
    }

    fn unique(&self) -> &'static [&'static str] {
        &["table_policy_sids"]
    }
}

/// The target side: catalog policy, the database's location, the integration resource
/// property, the target role's trust and permissions.
struct DoctorTarget(Zetl);

impl World for DoctorTarget {
    const NAME: &'static str = "integration-doctor (target)";

    async fn make(_: usize) -> Self {
        let z = zetl().await;
        z.target
            .glue()
            .put_resource_policy()
            .policy_in_json(
                json!({"Version": "2012-10-17", "Statement": [{"Sid": "ReadForAudit", "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{}:role/audit", z.target.id)},
                    "Action": "glue:GetTables",
                    "Resource": format!("arn:aws:glue:{REGION}:{}:catalog", z.target.id)}]})
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        DoctorTarget(z)
    }

    fn account(&self) -> &Account {
        &self.0.target
    }

    fn ids(&self) -> Vec<(String, &'static str)> {
        self.0.ids()
    }

    async fn run(&self, retries: RetryConfig) -> Result<Report, HandlerError> {
        let z = &self.0;
        let cfg = format!(
            "alerts: {{ topic_arn: \"{}\" }}\nintegrations:\n  fix: true\n  targets: [{{ database: {ZETL_DB}, allowed_source_accounts: [\"{}\"], target_role_arn: \"arn:aws:iam::{}:role/zetl-target\", bucket: {} }}]\n",
            z.topic_t, z.source.id, z.target.id, z.bucket
        );
        integration_doctor::handle(
            &ctx_with(&z.target, &cfg, retries),
            scheduled_event(&z.target.id),
        )
        .await
    }

    async fn state(&self) -> Value {
        let z = &self.0;
        let ids = self.ids();
        let ids = pairs(&ids);
        let glue = z.target.glue();
        let catalog: Option<Value> = glue
            .get_resource_policy()
            .send()
            .await
            .ok()
            .and_then(|o| o.policy_in_json().map(|p| serde_json::from_str(p).unwrap()));
        let location = glue
            .get_database()
            .name(ZETL_DB)
            .send()
            .await
            .expect("database")
            .database()
            .and_then(|d| d.location_uri().map(String::from));
        let property = glue
            .get_integration_resource_property()
            .resource_arn(format!(
                "arn:aws:glue:{REGION}:{}:database/{ZETL_DB}",
                z.target.id
            ))
            .send()
            .await
            .ok()
            .and_then(|p| {
                p.target_processing_properties()
                    .and_then(|t| t.role_arn().map(String::from))
            });
        let role = lakewarden::aws::iam::get_role(&z.target.aws.iam, "zetl-target")
            .await
            .unwrap()
            .unwrap();
        let trust = lakewarden::policy::parse_document(&role.trust_policy.unwrap()).unwrap();
        let mut inline = BTreeMap::new();
        for (n, v) in inline_policies(&z.target, "zetl-target").await {
            inline.insert(n, statements(Some(&v), &ids));
        }
        json!({"catalog_policy": statements(catalog.as_ref(), &ids),
               "catalog_sids": sids(catalog.as_ref()),
               "location": location.map(|l| normalize(&l, &ids)),
               "resource_property_role": property.map(|r| normalize(&r, &ids)),
               "trust": statements(Some(&trust), &ids), "trust_sids": sids(Some(&trust)),
               "inline_policies": inline})
    }

    fn unique(&self) -> &'static [&'static str] {
        &["catalog_sids", "trust_sids"]
    }
}

#[tokio::test]
async fn integration_doctor_target_converges_under_20_percent_faults_with_deployed_retries() {
    twin_case::<DoctorTarget>(1, 72, 0, 3).await;
}

// --- datazone-subscriber: an environment's role and a pending subscription grant, fulfilled
// by the scheduled reconcile. Its own server: moto with AWS managed policies (the real
// AmazonDataZoneEnvironmentRolePermissionsBoundary).

#[cfg_attr(not(feature = "heavy-faults"), allow(dead_code))]
static DZ_SERVER: std::sync::OnceLock<Moto> = std::sync::OnceLock::new();
#[cfg_attr(not(feature = "heavy-faults"), allow(dead_code))]
fn dz_server() -> &'static Moto {
    DZ_SERVER.get_or_init(|| start_moto(&["--managed-policies"]))
}

#[cfg_attr(not(feature = "heavy-faults"), allow(dead_code))]
struct DataZone {
    acct: Account,
    domain: String,
    bucket: String,
    role: String,
    topic: String,
    /// SQS queue subscribed to the alert topic (moto's state dump is slow with managed policies).
    alerts: String,
    seen_alerts: std::cell::Cell<usize>,
}

impl World for DataZone {
    const NAME: &'static str = "datazone-subscriber";

    async fn make(_: usize) -> Self {
        let acct = account_on(dz_server(), &new_account_id()).await;
        let domain = format!("dzd_{}", acct.id);
        let bucket = acct.bucket("sales-raw").await;
        let topic = acct.topic("lakewarden-alerts").await;
        let role = acct
            .datazone_env_role(Some(
                "arn:aws:iam::aws:policy/AmazonDataZoneEnvironmentRolePermissionsBoundary",
            ))
            .await;
        acct.database("cm_kasama_sales", None).await;
        acct.parquet_table(
            "cm_kasama_sales",
            "orders",
            &format!("s3://{bucket}/order/orders/"),
        )
        .await;
        dz_server().dz_environment(&domain, &acct.id, &role);
        dz_server().dz_orders_grant(&domain, &acct.id);
        let alerts = acct.alert_queue(&topic).await;
        DataZone {
            acct,
            domain,
            bucket,
            role,
            topic,
            alerts,
            seen_alerts: std::cell::Cell::new(0),
        }
    }

    fn account(&self) -> &Account {
        &self.acct
    }

    fn ids(&self) -> Vec<(String, &'static str)> {
        vec![(self.acct.id.clone(), "ACCOUNT")]
    }

    fn server(&self) -> &'static Moto {
        dz_server()
    }

    async fn alerts_sent(&self) -> usize {
        loop {
            let r = self
                .acct
                .sqs()
                .receive_message()
                .queue_url(&self.alerts)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            if r.messages().is_empty() {
                return self.seen_alerts.get();
            }
            for m in r.messages() {
                self.seen_alerts.set(self.seen_alerts.get() + 1);
                self.acct
                    .sqs()
                    .delete_message()
                    .queue_url(&self.alerts)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
    }

    async fn run(&self, retries: RetryConfig) -> Result<Report, HandlerError> {
        let cfg = format!(
            "alerts: {{ topic_arn: \"{}\" }}\ndatazone:\n  domains: [\"{}\"]\n  buckets: [{{ bucket: {}, prefixes: [\"order/\"] }}]\n  databases: [cm_kasama_sales]\n  fulfil_targets: [tgt1]\n",
            self.topic, self.domain, self.bucket
        );
        datazone_subscriber::handle(
            &ctx_with(&self.acct, &cfg, retries),
            scheduled_event(&self.acct.id),
        )
        .await
    }

    async fn state(&self) -> Value {
        let ids = self.ids();
        let ids = pairs(&ids);
        let iam = self.acct.iam();
        let names = iam
            .list_role_policies()
            .role_name("datazone_usr_env1")
            .send()
            .await
            .expect("role policies");
        let mut inline = BTreeMap::new();
        for n in names.policy_names() {
            let doc = iam
                .get_role_policy()
                .role_name("datazone_usr_env1")
                .policy_name(n)
                .send()
                .await
                .expect("role policy");
            let v: Value = serde_json::from_str(&lakewarden::aws::iam::decode_document(
                doc.policy_document(),
            ))
            .unwrap();
            inline.insert(n.to_string(), statements(Some(&v), &ids));
        }
        let boundary = iam
            .get_role()
            .role_name("datazone_usr_env1")
            .send()
            .await
            .unwrap()
            .role()
            .and_then(|r| r.permissions_boundary())
            .and_then(|b| b.permissions_boundary_arn())
            .map(|a| normalize(a, &ids));
        let perms = self.acct.lf_permissions().await;
        let mut grants: Vec<String> = perms
            .iter()
            .filter(|p| {
                p.principal()
                    .and_then(|x| x.data_lake_principal_identifier())
                    == Some(self.role.as_str())
            })
            .map(|p| {
                let mut perms: Vec<&str> = p.permissions().iter().map(|x| x.as_str()).collect();
                perms.sort();
                normalize(&format!("{:?} {perms:?}", p.resource()), &ids)
            })
            .collect();
        grants.sort();
        let (code, body) = dz_server().http(
            "POST",
            "/lakewarden-test/datazone/get",
            &json!({"kind": "subscription-grant", "domainId": self.domain, "id": "grt1"})
                .to_string(),
        );
        assert_eq!(code, 200, "{body}");
        let g: Value = serde_json::from_str(&body).unwrap();
        let history: Vec<String> = g["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        json!({"inline_policies": inline, "boundary": boundary, "role_grants": grants,
               "grant_status": history.last(),
               "times_granted": history.iter().filter(|s| *s == "GRANTED").count()})
    }

    fn unique(&self) -> &'static [&'static str] {
        &["role_grants"]
    }

    async fn check(&self, _converged_run: &Report) {
        let st = self.state().await;
        assert_eq!(st["grant_status"], "GRANTED", "{st}");
        assert_eq!(st["times_granted"], 1, "{st}");
    }
}

// ------------------------------------------------------------------------------------------
// `make test-faults`: bigger catalogs, several seeds, and runs without SDK retries (every injected
// fault reaches the function: failures must be reported; the partly applied state they leave must
// then converge, under the same faults, within 3 runs with the deployed retry settings). Without
// retries a run whose observe step needs n reads at 20 % faults succeeds with probability 0.8^n
// (3.5 % at n = 15): convergence is asked of the deployed settings, not of no retries.

#[cfg(feature = "heavy-faults")]
mod heavy {
    use super::*;

    #[tokio::test]
    async fn catalog_sharer_40_tables_several_seeds() {
        for seed in [11, 12, 13] {
            catalog_sharer_case(40, seed, 0, 3).await;
        }
    }

    #[tokio::test]
    async fn share_linker_20_tables_several_seeds() {
        for seed in [21, 22, 23] {
            share_linker_case(20, seed, 0, 3).await;
        }
    }

    /// Five runs without SDK retries (every fault reaches lakewarden: runs fail and say so), then
    /// with the deployed retries, still under faults, the state is the twin's within 3 runs.
    #[tokio::test]
    async fn catalog_sharer_without_retries_reports_failures_then_converges() {
        catalog_sharer_case(10, 31, 5, 3).await;
    }

    #[tokio::test]
    async fn share_linker_without_retries_reports_failures_then_converges() {
        share_linker_case(5, 41, 5, 3).await;
    }

    #[tokio::test]
    async fn integration_monitor_converges_under_20_percent_faults_with_deployed_retries() {
        twin_case::<Monitor>(8, 61, 0, 3).await;
    }

    #[tokio::test]
    async fn integration_doctor_source_converges_under_20_percent_faults_with_deployed_retries() {
        twin_case::<DoctorSource>(1, 71, 0, 3).await;
    }

    #[tokio::test]
    async fn the_other_functions_several_seeds() {
        for seed in [101, 102, 103] {
            twin_case::<Exporter>(10, seed, 0, 3).await;
            twin_case::<Monitor>(12, seed, 0, 3).await;
            twin_case::<DoctorSource>(1, seed, 0, 3).await;
            twin_case::<DoctorTarget>(1, seed, 0, 3).await;
        }
    }

    #[tokio::test]
    async fn datazone_subscriber_converges_under_20_percent_faults_with_deployed_retries() {
        twin_case::<DataZone>(1, 81, 0, 3).await;
    }

    #[tokio::test]
    async fn datazone_subscriber_several_seeds_and_without_retries() {
        for seed in [141, 142, 143] {
            twin_case::<DataZone>(1, seed, 0, 3).await;
        }
        twin_case::<DataZone>(1, 144, 5, 3).await;
    }

    #[tokio::test]
    async fn table_exporter_without_retries_reports_failures_then_converges() {
        twin_case::<Exporter>(3, 111, 5, 3).await;
    }

    /// Seed 121 used to lose one of 8 CREATING transitions: PutEvents failed and putting the
    /// previous state record back failed too. integration-monitor now records the transition
    /// "to publish" before PutEvents and "published" after it, and a run publishes again any
    /// record still marked (functions/integration-monitor/src/ext.rs): at least once, the copies
    /// deduped by detail.transitionId (see `Monitor::state`).
    #[tokio::test]
    async fn integration_monitor_without_retries_reports_failures_then_converges() {
        twin_case::<Monitor>(8, 121, 5, 3).await;
    }

    #[tokio::test]
    async fn integration_doctor_without_retries_reports_failures_then_converges() {
        twin_case::<DoctorSource>(1, 131, 5, 3).await;
        twin_case::<DoctorTarget>(1, 132, 5, 3).await;
    }
}
