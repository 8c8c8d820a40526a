//! Hostile state against what issue 11 part 1 asks for ("Table locations are data, not
//! configuration"), written before the refusals were built. Nothing here is faked or ignored:
//! the share-linker test failed until share-linker conditioned its statements on
//! `s3:ResourceAccount`. `hostile.rs` holds what held from the start (no panic, foreign
//! statements byte-identical).
//!
//! Rules checked (issue 11 part 1):
//! - catalog-sharer registers or opens in a bucket policy only `producer.shares[].locations`,
//!   by default the database's own `LocationUri`; a table outside is `skipped` and the alert
//!   names the table and its location;
//! - everywhere: a location with `*`, `?`, `$`, `{` or no bucket, or whose bucket is not a valid
//!   bucket name, is refused;
//! - share-linker statements never open a bucket of the consumer's own account (condition on
//!   `s3:ResourceAccount`, unless `buckets: […]` names it).

mod hostile_world;

use hostile_world::*;
use lakewarden::report::Outcome;
use lakewarden_tests::*;
use serde_json::Value;

/// Tables whose location issue 11 says catalog-sharer must refuse (skip and alert).
const REFUSED: &[&str] = &[
    "t_star_bucket",
    "t_bucket_glob",
    "t_question",
    "t_dollar",
    "t_brace",
    "t_no_bucket",
    "t_invalid_bucket",
    // outside the database's LocationUri s3://BUCKET/cur/
    "t_payroll",
    "t_broken_policy",
];

#[tokio::test]
async fn catalog_sharer_refuses_hostile_locations() {
    let w = catalog_world().await;
    let payroll_before = policy_text(&w.p, &w.payroll).await;
    let r = run_catalog_sharer(&w)
        .await
        .unwrap_or_else(|p| panic!("panicked: {p}"));
    let _scheduled = report_of(&r)
        .unwrap_or_else(|| panic!("{:?}", r.as_ref().err()))
        .clone();
    let mut problems = Vec::new();
    // The scheduled reconcile of an All-tables share plans from configuration and lists no
    // table (docs/bench.md, "Converged path"): nothing outside the allowed locations can be
    // opened by it. The refusals are reported by the run a table's Glue event triggers, which
    // lists the database.
    let names: Vec<&str> = w.created.iter().map(|(n, _)| n.as_str()).collect();
    let event_run = catalog_sharer::handle(
        &w.ctx,
        glue_db_event(&w.p.id, "cur_org", "CreateTable", &names),
    )
    .await;
    let report = match &event_run {
        Ok(r) => r.clone(),
        Err(lakewarden::runtime::HandlerError::ActionsFailed { report, .. }) => (**report).clone(),
        Err(e) => panic!("event run: {e}"),
    };

    for arn in registered(&w.p).await {
        if let Some(why) = bad_s3_arn(&arn) {
            problems.push(format!("registered in Lake Formation: {why}"));
        }
        if arn.contains(&w.payroll) {
            problems.push(format!(
                "registered {arn}, outside the database's LocationUri"
            ));
        }
    }
    for b in [&w.bucket, &w.payroll] {
        if let Some(text) = policy_text(&w.p, b).await {
            let doc: Value = serde_json::from_str(&text).unwrap();
            for st in our_statements(&doc) {
                for res in resources(&st) {
                    if let Some(why) = bad_s3_arn(&res) {
                        problems.push(format!("bucket {b} statement {}: {why}", st["Sid"]));
                    }
                    if res.contains("/cur/../") {
                        problems.push(format!("bucket {b} statement {}: {res}", st["Sid"]));
                    }
                }
            }
        }
    }
    if policy_text(&w.p, &w.payroll).await != payroll_before {
        problems.push(format!(
            "the payroll bucket's policy was changed for a table outside the database's LocationUri: {:?}",
            policy_text(&w.p, &w.payroll).await
        ));
    }
    let created: Vec<&str> = w.created.iter().map(|(n, _)| n.as_str()).collect();
    for t in REFUSED.iter().filter(|t| created.contains(t)) {
        let skipped = report.actions.iter().any(|a| {
            a.outcome == Outcome::Skipped
                && (a.target.contains(t) || a.error.as_deref().is_some_and(|e| e.contains(t)))
        });
        if !skipped {
            problems.push(format!("no skipped action names table {t}"));
        }
    }
    let alerts = moto().sent_notifications(&w.p.id);
    let bodies: String = alerts
        .iter()
        .map(|(_, s, m)| format!("{s}\n{m}\n"))
        .collect();
    for (t, loc) in [("t_star_bucket", "s3://*/"), ("t_payroll", "salaries")] {
        if !(bodies.contains(t) && bodies.contains(loc)) {
            problems.push(format!("no alert names table {t} and its location {loc}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}\nreport: {}",
        problems.len(),
        problems.join("\n"),
        serde_json::to_string(&report).unwrap()
    );
}

#[tokio::test]
async fn share_linker_never_writes_wildcard_resources_nor_opens_the_consumers_own_buckets() {
    let w = link_world().await;
    let r = run_share_linker(&w)
        .await
        .unwrap_or_else(|p| panic!("panicked: {p}"));
    let report = report_of(&r)
        .unwrap_or_else(|| panic!("{:?}", r.as_ref().err()))
        .clone();
    let mut problems = Vec::new();
    let mut ours_seen = 0;
    for role in &w.roles {
        let Some(text) = role_policy(&w.c, role).await else {
            continue;
        };
        let doc: Value = serde_json::from_str(&text).unwrap();
        for st in our_statements(&doc) {
            ours_seen += 1;
            let mut own_bucket_reported = false;
            for res in resources(&st) {
                if let Some(why) = bad_s3_arn(&res) {
                    problems.push(format!("role {role} statement {}: {why}", st["Sid"]));
                }
                if res.contains(&w.own_bucket) && !own_bucket_reported {
                    own_bucket_reported = true;
                    let cond = st["Condition"].to_string();
                    let restricted = cond.to_lowercase().contains("s3:resourceaccount")
                        && !cond.contains(&w.c.id);
                    if !restricted {
                        problems.push(format!(
                            "role {role} statement {} opens the consumer's own bucket {} without an s3:ResourceAccount condition: {st}",
                            st["Sid"], w.own_bucket
                        ));
                    }
                }
            }
        }
    }
    // The world really shared something (otherwise the checks above prove nothing).
    assert!(
        ours_seen > 0,
        "share-linker wrote no statement at all: {}",
        serde_json::to_string(&report).unwrap()
    );
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}\nreport: {}",
        problems.len(),
        problems.join("\n"),
        serde_json::to_string(&report).unwrap()
    );
}

fn dz_put(kind: &str, item: serde_json::Value) {
    let (code, body) = moto().http(
        "POST",
        "/lakewarden-test/datazone/put",
        &serde_json::json!({"kind": kind, "item": item}).to_string(),
    );
    assert_eq!(code, 200, "{body}");
}

/// datazone-subscriber: a subscribed table whose location is inside the configured bucket and
/// prefix but holds `*` or `$` is never opened (issue 11 part 1, "everywhere").
#[tokio::test]
async fn datazone_subscriber_never_opens_a_wildcard_location_inside_its_buckets() {
    use serde_json::json;
    let a = fresh_account().await;
    let bucket = a.bucket("sales-raw").await;
    let role_arn = create_role(&a, "datazone_usr_env_h").await;
    a.database("cm_kasama_sales", None).await;
    a.database("env_h_sub_db", None).await;
    let tables = [
        ("orders", format!("s3://{bucket}/order/orders/")),
        ("t_star", format!("s3://{bucket}/order/x*y/")),
        (
            "t_dollar",
            format!("s3://{bucket}/order/${{aws:username}}/"),
        ),
    ];
    for (t, loc) in &tables {
        assert!(table(&a, "cm_kasama_sales", t, Some(loc)).await, "{t}");
    }
    let domain = "dzd_hostile_state";
    dz_put("domain", json!({"id": domain, "awsAccountId": a.id}));
    dz_put(
        "environment",
        json!({"id": "env_h", "domainId": domain, "projectId": "prj_h",
        "awsAccountId": a.id, "userRoleArn": role_arn, "subDatabase": "env_h_sub_db"}),
    );
    dz_put(
        "subscription-target",
        json!({"id": "tgt_h", "domainId": domain, "environmentId": "env_h",
        "databaseName": "env_h_sub_db", "type": "GlueSubscriptionTargetType"}),
    );
    for (t, _) in &tables {
        dz_put(
            "listing",
            json!({"id": format!("lst_{t}"), "domainId": domain, "assetId": format!("ast_{t}"),
            "databaseName": "cm_kasama_sales", "tableName": t, "catalogId": a.id}),
        );
        dz_put(
            "subscription-grant",
            json!({"id": format!("grt_{t}"), "domainId": domain, "listingId": format!("lst_{t}"),
            "subscriptionTargetId": "tgt_h", "environmentId": "env_h", "assetId": format!("ast_{t}")}),
        );
    }
    let cfg = format!(
        "datazone:\n  domains: [{domain}]\n  buckets: [{{ bucket: {bucket}, prefixes: [\"order/\"] }}]\n  databases: [cm_kasama_sales]\n  fulfil_targets: [tgt_h]\n"
    );
    let ctx = a.ctx(&cfg);
    let r = guarded(&ctx, scheduled_event(&a.id), |ctx, ev| async move {
        datazone_subscriber::handle(&ctx, ev).await
    })
    .await
    .unwrap_or_else(|p| panic!("panicked: {p}"));
    let report = report_of(&r)
        .map(|r| serde_json::to_string(r).unwrap())
        .unwrap_or_else(|| format!("{:?}", r.as_ref().err()));
    let mut problems = Vec::new();
    let doc: Option<Value> = a
        .iam()
        .get_role_policy()
        .role_name("datazone_usr_env_h")
        .policy_name("lakewarden-datazone")
        .send()
        .await
        .ok()
        .map(|o| {
            serde_json::from_str(&lakewarden::aws::iam::decode_document(o.policy_document()))
                .unwrap()
        });
    let doc = doc.unwrap_or_else(|| panic!("no lakewarden-datazone policy at all: {report}"));
    let mut opened_orders = false;
    for st in lakewarden::policy::statements(&doc) {
        for res in resources(&st) {
            if let Some(why) = bad_s3_arn(&res) {
                problems.push(format!("statement {}: {why}", st["Sid"]));
            }
            opened_orders |= res.contains("/order/orders/");
        }
    }
    assert!(
        opened_orders,
        "the well-formed subscription was not fulfilled, so this test proves nothing: {report}"
    );
    let perms = a
        .lakeformation()
        .list_permissions()
        .send()
        .await
        .expect("list permissions");
    for p in perms.principal_resource_permissions() {
        let name = p
            .resource()
            .and_then(|r| r.table())
            .and_then(|t| t.name())
            .unwrap_or_default();
        if name == "t_star" || name == "t_dollar" {
            problems.push(format!(
                "Lake Formation grant on table {name} to {:?}",
                p.principal()
                    .and_then(|x| x.data_lake_principal_identifier())
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}\nreport: {report}",
        problems.len(),
        problems.join("\n")
    );
}
