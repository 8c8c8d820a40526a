//! datazone-subscriber against moto (started with AWS managed policies, for the real
//! AmazonDataZoneEnvironmentRolePermissionsBoundary) and the project's DataZone emulation.

use std::sync::OnceLock;

use lakewarden::report::{Outcome, Report};
use lakewarden::runtime::HandlerError;
use lakewarden::s3loc::S3Location;
use lakewarden_tests::*;
use serde_json::{json, Value};

static SERVER: OnceLock<Moto> = OnceLock::new();
fn server() -> &'static Moto {
    SERVER.get_or_init(|| start_moto(&["--managed-policies"]))
}

const AWS_BOUNDARY: &str =
    "arn:aws:iam::aws:policy/AmazonDataZoneEnvironmentRolePermissionsBoundary";

struct S4 {
    acct: Account,
    domain: String,
    bucket: String,
    role: String,
    topic: String,
    /// An SQS queue subscribed to the alert topic (reading moto's state dump instead is slow once
    /// every account holds the AWS managed policies).
    alerts: String,
}

fn dz_put(kind: &str, item: Value) {
    server().dz_put(kind, item);
}

/// An account with a DataZone domain, an environment whose user role has `boundary`, the sales
/// bucket (prefix order/) and the Glue table `cm_kasama_sales.orders` on it.
async fn s4(boundary: Option<&str>) -> S4 {
    s4_with(boundary, None).await
}

/// [`s4`], with the bucket and the table in `producer`'s account when given: the producer shares
/// the database and table with the environment's account through Lake Formation (accepted RAM
/// invitation), and the listing names the producer's catalog.
async fn s4_with(boundary: Option<&str>, producer: Option<&Account>) -> S4 {
    let acct = account_on(server(), &new_account_id()).await;
    let domain = format!("dzd_{}", acct.id);
    let owner = producer.unwrap_or(&acct);
    let bucket = owner.bucket("sales-raw").await;
    let topic = acct.topic("lakewarden-alerts").await;
    let role = acct.datazone_env_role(boundary).await;
    owner.database("cm_kasama_sales", None).await;
    owner
        .parquet_table(
            "cm_kasama_sales",
            "orders",
            &format!("s3://{bucket}/order/orders/"),
        )
        .await;
    if let Some(p) = producer {
        share_with(p, &acct.id).await;
        acct.database("env1_sub_db", None).await;
    }
    server().dz_environment(&domain, &acct.id, &role);
    server().dz_orders_grant(&domain, &owner.id);
    let alerts = acct.alert_queue(&topic).await;
    S4 {
        acct,
        domain,
        bucket,
        role,
        topic,
        alerts,
    }
}

/// The producer grants `consumer` DESCRIBE on cm_kasama_sales and SELECT + DESCRIBE on its
/// orders table (grantable), and the consumer accepts the RAM invitation that creates.
async fn share_with(producer: &Account, consumer: &str) {
    use lakewarden::lf::{LfGrant, LfResource};
    let grants = [
        LfGrant::new(
            consumer,
            LfResource::Database {
                catalog_id: producer.id.clone(),
                name: "cm_kasama_sales".into(),
            },
            ["DESCRIBE"],
            true,
        ),
        LfGrant::new(
            consumer,
            LfResource::Table {
                catalog_id: producer.id.clone(),
                database: "cm_kasama_sales".into(),
                name: "orders".into(),
            },
            ["DESCRIBE", "SELECT"],
            true,
        ),
    ];
    for r in lakewarden::aws::lakeformation::batch_grant(
        &producer.aws.lakeformation,
        &producer.id,
        &grants,
    )
    .await
    {
        r.unwrap();
    }
    let c = account_on(server(), consumer).await;
    let inv = c
        .ram()
        .get_resource_share_invitations()
        .send()
        .await
        .unwrap();
    let arn = inv
        .resource_share_invitations()
        .iter()
        .find(|i| i.sender_account_id() == Some(producer.id.as_str()))
        .and_then(|i| i.resource_share_invitation_arn())
        .expect("invitation")
        .to_string();
    c.ram()
        .accept_resource_share_invitation()
        .resource_share_invitation_arn(arn)
        .send()
        .await
        .unwrap();
}

impl S4 {
    /// The environment deployed (its own statements), then someone else's statement
    /// (`TeamScratch`) added to lakewarden's policy on the role: that policy and the role's
    /// Lake Formation grants as they are now.
    async fn deployed_with_a_persons_statement(&self, cfg: &str) -> (Value, Vec<String>) {
        self.run(
            cfg,
            self.event("datazone-environment-deployment-completed.json", ""),
        )
        .await
        .unwrap();
        let mut pol = self.policy().await.unwrap();
        pol["Statement"]
            .as_array_mut()
            .unwrap()
            .push(json!({"Sid": "TeamScratch", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::scratch/*"}));
        self.acct
            .iam()
            .put_role_policy()
            .role_name("datazone_usr_env1")
            .policy_name("lakewarden-datazone")
            .policy_document(pol.to_string())
            .send()
            .await
            .unwrap();
        (self.policy().await.unwrap(), self.role_grants().await)
    }

    fn config(&self, extra: &str) -> String {
        format!(
            "{extra}alerts: {{ topic_arn: \"{}\" }}\ndatazone:\n  domains: [\"{}\"]\n  buckets: [{{ bucket: {}, prefixes: [\"order/\"] }}]\n  databases: [cm_kasama_sales]\n  fulfil_targets: [tgt1]\n",
            self.topic, self.domain, self.bucket
        )
    }
    fn event(&self, fixture: &str, grant: &str) -> Value {
        let mut e = event(fixture);
        e["account"] = json!(self.acct.id);
        e["detail"]["metadata"]["domain"] = json!(self.domain);
        if fixture.contains("environment") {
            e["detail"]["metadata"]["id"] = json!("env1");
            e["detail"]["data"]["environmentId"] = json!("env1");
        } else {
            e["detail"]["metadata"]["id"] = json!(grant);
            e["detail"]["data"]["asset"]["listingId"] = json!("lst1");
            e["detail"]["data"]["subscriptionTarget"] =
                json!({"id": "tgt1", "environmentId": "env1"});
        }
        e
    }
    async fn run(&self, cfg: &str, ev: Value) -> Result<Report, HandlerError> {
        datazone_subscriber::handle(&self.acct.ctx(cfg), ev).await
    }
    async fn policy(&self) -> Option<Value> {
        let out = self
            .acct
            .iam()
            .get_role_policy()
            .role_name("datazone_usr_env1")
            .policy_name("lakewarden-datazone")
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
    async fn boundary(&self) -> Option<String> {
        let r = self
            .acct
            .iam()
            .get_role()
            .role_name("datazone_usr_env1")
            .send()
            .await
            .unwrap();
        r.role()
            .unwrap()
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(String::from)
    }
    /// Every alert published so far: (subject, message).
    async fn sent_alerts(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
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
                return out;
            }
            for m in r.messages() {
                let v: Value = serde_json::from_str(m.body().unwrap()).unwrap();
                out.push((
                    v["Subject"].as_str().unwrap_or_default().to_string(),
                    v["Message"].as_str().unwrap_or_default().to_string(),
                ));
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
    /// The statuses DataZone was told for grt1, in order (the emulation's record).
    fn grant_history(&self) -> Vec<String> {
        let (code, body) = server().http(
            "POST",
            "/lakewarden-test/datazone/get",
            &json!({"kind": "subscription-grant", "domainId": self.domain, "id": "grt1"})
                .to_string(),
        );
        assert_eq!(code, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        v["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    }
    async fn grant_status(&self) -> (String, Option<String>) {
        let g = self
            .acct
            .aws
            .datazone
            .get_subscription_grant()
            .domain_identifier(&self.domain)
            .identifier("grt1")
            .send()
            .await
            .unwrap();
        let a = &g.assets()[0];
        (
            a.status().as_str().to_string(),
            a.failure_cause()
                .and_then(|f| f.message())
                .map(String::from),
        )
    }
    async fn role_grants(&self) -> Vec<String> {
        let out = self.acct.lf_permissions().await;
        let mut v: Vec<String> = out
            .iter()
            .filter(|p| {
                p.principal().unwrap().data_lake_principal_identifier() == Some(self.role.as_str())
            })
            .map(|p| {
                let r = p.resource().unwrap();
                let what = if let Some(d) = r.database() {
                    format!("db {}", d.name())
                } else if let Some(t) = r.table() {
                    format!("table {}.{}", t.database_name(), t.name().unwrap_or("*"))
                } else if let Some(l) = r.data_location() {
                    format!("location {}", l.resource_arn())
                } else {
                    "other".into()
                };
                let mut perms: Vec<&str> = p.permissions().iter().map(|x| x.as_str()).collect();
                perms.sort();
                format!("{what} [{}]", perms.join(","))
            })
            .collect();
        v.sort();
        v
    }
}

#[tokio::test]
async fn a_deployed_environment_gets_location_grants_and_policy_and_keeps_its_boundary() {
    let s = s4(Some(AWS_BOUNDARY)).await;
    let r = s
        .run(
            &s.config(""),
            s.event("datazone-environment-deployment-completed.json", ""),
        )
        .await
        .expect("run");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    let locs = s
        .acct
        .lakeformation()
        .list_resources()
        .send()
        .await
        .unwrap();
    let loc_arn = format!("arn:aws:s3:::{}/order", s.bucket);
    assert!(locs
        .resource_info_list()
        .iter()
        .any(|l| l.resource_arn() == Some(loc_arn.as_str())));
    assert_eq!(
        s.role_grants().await,
        vec![
            "db cm_kasama_sales [DESCRIBE]".to_string(),
            format!("location {loc_arn} [DATA_LOCATION_ACCESS]"),
            "table cm_kasama_sales.* [DESCRIBE,SELECT]".to_string(),
        ]
    );
    let pol = s.policy().await.expect("inline policy").to_string();
    assert!(pol.contains("arn:aws:glue:us-east-1:") && pol.contains(":database/cm_kasama_sales"));
    assert!(pol.contains(&format!("arn:aws:s3:::{}/order/*", s.bucket)));
    assert_eq!(
        s.boundary().await.as_deref(),
        Some(AWS_BOUNDARY),
        "the boundary is never removed"
    );
    let eval = r
        .notes
        .iter()
        .find(|n| n.get("evaluation").is_some())
        .expect("boundary evaluation");
    assert_eq!(
        eval["evaluation"][0]["list_bucket_allowed"], false,
        "{eval}"
    );
    let again = s
        .run(
            &s.config(""),
            s.event("datazone-environment-deployment-completed.json", ""),
        )
        .await
        .unwrap();
    assert_eq!(again.writes, 0, "{again:#?}");
}

#[tokio::test]
async fn the_aws_boundary_is_too_large_to_copy_and_that_is_alerted() {
    let s = s4(Some(AWS_BOUNDARY)).await;
    let r = s
        .run(
            &s.config("").replace(
                "  fulfil_targets",
                "  boundary_copy: true\n  fulfil_targets",
            ),
            s.event("datazone-environment-deployment-completed.json", ""),
        )
        .await
        .expect("run");
    assert!(!r
        .actions
        .iter()
        .any(|a| a.action.contains("boundary") && a.outcome == Outcome::Applied));
    assert_eq!(s.boundary().await.as_deref(), Some(AWS_BOUNDARY));
    let sent = s.sent_alerts().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].1.contains("6144") && sent[0].1.contains("no copy"),
        "{}",
        sent[0].1
    );
}

#[tokio::test]
async fn a_small_boundary_gets_a_widened_copy_attached() {
    let small = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Everything", "Effect": "Allow", "Action": ["glue:*", "athena:*", "s3:GetObject"], "Resource": "*"},
        {"Sid": "ListDataZonePrefixes", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
         "Condition": {"StringLike": {"s3:prefix": ["datazone/*"]}}}]});
    let s = s4(None).await;
    let created = s
        .acct
        .iam()
        .create_policy()
        .policy_name("small-boundary")
        .policy_document(small.to_string())
        .send()
        .await
        .unwrap();
    let arn = created.policy().unwrap().arn().unwrap().to_string();
    s.acct
        .iam()
        .put_role_permissions_boundary()
        .role_name("datazone_usr_env1")
        .permissions_boundary(&arn)
        .send()
        .await
        .unwrap();
    let cfg = s.config("").replace(
        "  fulfil_targets",
        "  boundary_copy: true\n  fulfil_targets",
    );
    let r = s
        .run(
            &cfg,
            s.event("datazone-environment-deployment-completed.json", ""),
        )
        .await
        .expect("run");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    let copy_arn = format!(
        "arn:aws:iam::{}:policy/lakewarden-boundary-datazone_usr_env1",
        s.acct.id
    );
    assert_eq!(s.boundary().await.as_deref(), Some(copy_arn.as_str()));
    let copy = lakewarden::aws::iam::get_managed_policy(&s.acct.aws.iam, &copy_arn)
        .await
        .unwrap()
        .unwrap();
    let doc: Value = serde_json::from_str(&copy.document).unwrap();
    let order = S3Location::parse(&format!("s3://{}/order/", s.bucket)).unwrap();
    let other = S3Location::parse(&format!("s3://{}/secret/", s.bucket)).unwrap();
    assert!(
        datazone_subscriber::plan::boundary_allows_list(&doc, &order),
        "{doc}"
    );
    assert!(
        !datazone_subscriber::plan::boundary_allows_list(&doc, &other),
        "{doc}"
    );
    // A copy of the boundary with only the ListBucket prefix condition widened, by exactly order/.
    let mut expected = small.clone();
    expected["Statement"][1]["Condition"]["StringLike"]["s3:prefix"] =
        json!(["datazone/*", "order/*"]);
    assert_eq!(doc, expected);
    let again = s
        .run(
            &cfg,
            s.event("datazone-environment-deployment-completed.json", ""),
        )
        .await
        .unwrap();
    assert_eq!(again.writes, 0, "{again:#?}");

    // The configured prefixes change six times: each time a new version made from the original
    // boundary (only the prefixes configured now), never more than IAM's five versions.
    for i in 0..6 {
        let changed = cfg.replace("\"order/\"", &format!("\"p{i}/\""));
        let r = s
            .run(
                &changed,
                s.event("datazone-environment-deployment-completed.json", ""),
            )
            .await
            .unwrap();
        assert_eq!(r.failures().len(), 0, "{r:#?}");
        let copy = lakewarden::aws::iam::get_managed_policy(&s.acct.aws.iam, &copy_arn)
            .await
            .unwrap()
            .unwrap();
        let doc: Value = serde_json::from_str(&copy.document).unwrap();
        assert_eq!(
            doc["Statement"][1]["Condition"]["StringLike"]["s3:prefix"],
            json!(["datazone/*", format!("p{i}/*")])
        );
        let versions = lakewarden::aws::iam::list_policy_versions(&s.acct.aws.iam, &copy_arn)
            .await
            .unwrap();
        assert!(versions.len() <= 5, "{versions:?}");
    }
    assert_eq!(s.boundary().await.as_deref(), Some(copy_arn.as_str()));
}

#[tokio::test]
async fn a_requested_grant_is_fulfilled_and_reported_granted() {
    let s = s4(Some(AWS_BOUNDARY)).await;
    let r = s
        .run(
            &s.config(""),
            s.event("datazone-subscription-grant-requested.json", "grt1"),
        )
        .await
        .expect("run");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    let g = s.role_grants().await;
    assert!(
        g.contains(&"table cm_kasama_sales.orders [DESCRIBE,SELECT]".to_string()),
        "{g:?}"
    );
    assert!(
        g.contains(&"db cm_kasama_sales [DESCRIBE]".to_string()),
        "{g:?}"
    );
    assert_eq!(s.grant_status().await, ("GRANTED".to_string(), None));
    let pol = s.policy().await.unwrap().to_string();
    assert!(
        pol.contains(&format!("arn:aws:s3:::{}/order/orders/*", s.bucket)),
        "{pol}"
    );
    let again = s
        .run(
            &s.config(""),
            s.event("datazone-subscription-grant-requested.json", "grt1"),
        )
        .await
        .unwrap();
    assert_eq!(again.writes, 0, "{again:#?}");
    // Progress first, as AWS's custom fulfilment samples report it (issue 10 §6); told once.
    assert_eq!(
        s.grant_history(),
        vec!["GRANT_IN_PROGRESS".to_string(), "GRANTED".to_string()]
    );
    assert!(s.sent_alerts().await.is_empty());
}

#[tokio::test]
async fn a_grant_that_cannot_be_fulfilled_is_reported_failed_and_alerted() {
    let s = s4(Some(AWS_BOUNDARY)).await;
    s.acct
        .glue()
        .delete_table()
        .database_name("cm_kasama_sales")
        .name("orders")
        .send()
        .await
        .unwrap();
    s.run(
        &s.config(""),
        s.event("datazone-subscription-grant-requested.json", "grt1"),
    )
    .await
    .expect("run");
    let (status, cause) = s.grant_status().await;
    assert_eq!(status, "GRANT_FAILED");
    assert!(cause.unwrap().contains("does not exist"));
    assert!(s.role_grants().await.is_empty());
    assert_eq!(
        s.grant_history(),
        vec!["GRANT_IN_PROGRESS".to_string(), "GRANT_FAILED".to_string()]
    );
    let sent = s.sent_alerts().await;
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].1.contains("grt1") && sent[0].1.contains("does not exist"),
        "{}",
        sent[0].1
    );
}

#[tokio::test]
async fn a_revoke_removes_exactly_what_the_grant_added() {
    let s = s4(Some(AWS_BOUNDARY)).await;
    let cfg = s.config("");
    // The environment's own statements and someone else's statement on the role.
    let (before, grants_before) = s.deployed_with_a_persons_statement(&cfg).await;
    s.run(
        &cfg,
        s.event("datazone-subscription-grant-requested.json", "grt1"),
    )
    .await
    .unwrap();
    assert_ne!(s.policy().await.unwrap(), before);
    let r = s
        .run(
            &cfg,
            s.event("datazone-subscription-grant-revoke-requested.json", "grt1"),
        )
        .await
        .expect("revoke");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    assert_eq!(
        s.policy().await.unwrap(),
        before,
        "the role's other statements intact"
    );
    assert_eq!(s.role_grants().await, grants_before);
    assert_eq!(s.grant_status().await.0, "REVOKED");
}

#[tokio::test]
async fn another_domain_changes_nothing() {
    let s = s4(Some(AWS_BOUNDARY)).await;
    let mut ev = s.event("datazone-subscription-grant-requested.json", "grt1");
    ev["detail"]["metadata"]["domain"] = json!("dzd_other");
    let r = s.run(&s.config(""), ev).await.unwrap();
    assert!(r.api_calls.is_empty());
    assert!(r.notes[0]["ignored"]
        .as_str()
        .unwrap()
        .contains("dzd_other"));
    assert_eq!(s.grant_status().await.0, "GRANT_PENDING");
}

#[tokio::test]
async fn dry_run_writes_nothing() {
    let s = s4(Some(AWS_BOUNDARY)).await;
    for f in [
        "datazone-environment-deployment-completed.json",
        "datazone-subscription-grant-requested.json",
    ] {
        let r = s
            .run(&s.config("dry_run: true\n"), s.event(f, "grt1"))
            .await
            .unwrap();
        assert_eq!(r.writes, 0, "{f}: {:?}", r.api_operations);
        assert!(r.count(Outcome::Planned) > 0);
    }
    assert!(s.role_grants().await.is_empty());
    assert_eq!(s.grant_status().await.0, "GRANT_PENDING");
}

#[tokio::test]
async fn the_scheduled_reconcile_converges_environments_and_pending_grants() {
    let s = s4(Some(AWS_BOUNDARY)).await;
    let r = s
        .run(&s.config(""), scheduled_event(&s.acct.id))
        .await
        .expect("reconcile");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    assert!(s
        .role_grants()
        .await
        .contains(&"table cm_kasama_sales.orders [DESCRIBE,SELECT]".to_string()));
    assert!(s
        .role_grants()
        .await
        .iter()
        .any(|g| g.starts_with("location ")));
    assert_eq!(s.grant_status().await.0, "GRANTED");
    let again = s
        .run(&s.config(""), scheduled_event(&s.acct.id))
        .await
        .unwrap();
    assert_eq!(again.writes, 0, "{again:#?}");
}

#[tokio::test]
async fn a_table_of_another_account_is_granted_through_a_link_and_revoked_with_it() {
    let producer = account_on(server(), &new_account_id()).await;
    let s = s4_with(Some(AWS_BOUNDARY), Some(&producer)).await;
    let cfg = s.config("");
    let r = s
        .run(
            &cfg,
            s.event("datazone-subscription-grant-requested.json", "grt1"),
        )
        .await
        .expect("run");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    let link = s
        .acct
        .glue()
        .get_table()
        .database_name("env1_sub_db")
        .name("cm_kasama_sales_orders")
        .send()
        .await
        .expect("the link in the target database");
    let target = link.table().unwrap().target_table().expect("a table link");
    assert_eq!(
        (target.catalog_id(), target.database_name(), target.name()),
        (
            Some(producer.id.as_str()),
            Some("cm_kasama_sales"),
            Some("orders")
        )
    );
    let g = s.role_grants().await;
    assert_eq!(
        g,
        vec![
            "db cm_kasama_sales [DESCRIBE]".to_string(),
            "table cm_kasama_sales.orders [DESCRIBE,SELECT]".to_string(),
            "table env1_sub_db.cm_kasama_sales_orders [DESCRIBE]".to_string(),
        ]
    );
    let pol = s.policy().await.unwrap().to_string();
    assert!(
        pol.contains(&format!("arn:aws:s3:::{}/order/orders/*", s.bucket)),
        "{pol}"
    );
    let grant = s
        .acct
        .aws
        .datazone
        .get_subscription_grant()
        .domain_identifier(&s.domain)
        .identifier("grt1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        grant.assets()[0].target_name(),
        Some("cm_kasama_sales_orders")
    );
    assert_eq!(s.grant_status().await.0, "GRANTED");
    let again = s
        .run(
            &cfg,
            s.event("datazone-subscription-grant-requested.json", "grt1"),
        )
        .await
        .unwrap();
    assert_eq!(again.writes, 0, "{again:#?}");

    let r = s
        .run(&cfg, s.event("datazone-subscription-revoked.json", "grt1"))
        .await
        .expect("revoke");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    assert!(s
        .acct
        .glue()
        .get_table()
        .database_name("env1_sub_db")
        .name("cm_kasama_sales_orders")
        .send()
        .await
        .is_err());
    assert!(
        s.role_grants().await.is_empty(),
        "{:?}",
        s.role_grants().await
    );
    assert!(s.policy().await.is_none());
    assert_eq!(s.grant_status().await.0, "REVOKED");
}

#[tokio::test]
async fn a_grant_whose_listing_is_gone_is_reported_failed_and_alerted() {
    let s = s4(Some(AWS_BOUNDARY)).await;
    dz_put(
        "subscription-grant",
        json!({"id": "grt2", "domainId": s.domain, "listingId": "lst_gone",
        "subscriptionTargetId": "tgt1", "environmentId": "env1", "assetId": "ast2"}),
    );
    let mut ev = s.event("datazone-subscription-grant-requested.json", "grt2");
    ev["detail"]["data"]["asset"]["listingId"] = json!("lst_gone");
    let r = s.run(&s.config(""), ev).await.expect("run");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    let g = s
        .acct
        .aws
        .datazone
        .get_subscription_grant()
        .domain_identifier(&s.domain)
        .identifier("grt2")
        .send()
        .await
        .unwrap();
    let a = &g.assets()[0];
    assert_eq!(a.status().as_str(), "GRANT_FAILED");
    assert!(
        a.failure_cause()
            .and_then(|f| f.message())
            .unwrap_or_default()
            .contains("lst_gone"),
        "{a:?}"
    );
    assert!(s.role_grants().await.is_empty());
    let sent = s.sent_alerts().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].1.contains("grt2"), "{}", sent[0].1);
}

#[tokio::test]
async fn a_revoke_keeps_lake_formation_access_another_granted_subscription_uses() {
    let s = s4(Some(AWS_BOUNDARY)).await;
    let cfg = s.config("");
    dz_put(
        "subscription-grant",
        json!({"id": "grt2", "domainId": s.domain, "listingId": "lst1",
        "subscriptionTargetId": "tgt1", "environmentId": "env1", "assetId": "ast1"}),
    );
    for g in ["grt1", "grt2"] {
        let r = s
            .run(
                &cfg,
                s.event("datazone-subscription-grant-requested.json", g),
            )
            .await
            .unwrap();
        assert_eq!(r.failures().len(), 0, "{r:#?}");
    }
    let r = s
        .run(
            &cfg,
            s.event("datazone-subscription-cancelled.json", "grt1"),
        )
        .await
        .unwrap();
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    assert_eq!(s.grant_status().await.0, "REVOKED");
    assert!(s
        .role_grants()
        .await
        .contains(&"table cm_kasama_sales.orders [DESCRIBE,SELECT]".to_string()));
    // grt1's statements went, grt2's stayed.
    let sids: Vec<String> = lakewarden::policy::statements(&s.policy().await.unwrap())
        .iter()
        .filter_map(|st| st["Sid"].as_str().map(String::from))
        .collect();
    let (g1, g2) = (
        lakewarden::policy::sid_fragment("grt1"),
        lakewarden::policy::sid_fragment("grt2"),
    );
    assert!(!sids.iter().any(|x| x.ends_with(&g1)), "{sids:?}");
    assert_eq!(
        sids.iter().filter(|x| x.ends_with(&g2)).count(),
        2,
        "{sids:?}"
    );
}

#[tokio::test]
async fn a_malformed_event_is_a_clear_error_and_touches_nothing() {
    let s = s4(Some(AWS_BOUNDARY)).await;
    let ctx = s.acct.ctx(&s.config(""));
    let before = ctx.aws.counter.snapshot();
    let mut no_target = s.event("datazone-subscription-grant-requested.json", "grt1");
    no_target["detail"]["data"]
        .as_object_mut()
        .unwrap()
        .remove("subscriptionTarget");
    let mut no_domain = s.event("datazone-environment-deployment-completed.json", "");
    no_domain["detail"]["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("domain");
    for ev in [
        no_target,
        no_domain,
        event("glue-create-table.json"),
        json!({"hello": "world"}),
    ] {
        let err = datazone_subscriber::handle(&ctx, ev).await.unwrap_err();
        assert!(matches!(err, HandlerError::BadEvent(_)), "{err}");
    }
    let mut r = Report::new("x", false);
    r.set_calls(&ctx.aws.counter, &before);
    assert!(r.api_operations.is_empty(), "{:?}", r.api_operations);
    assert_eq!(s.grant_status().await.0, "GRANT_PENDING");
}

#[tokio::test]
async fn a_target_lakewarden_does_not_fulfil_changes_nothing() {
    let s = s4(Some(AWS_BOUNDARY)).await;
    let cfg = s
        .config("")
        .replace("fulfil_targets: [tgt1]", "fulfil_targets: [tgt_other]");
    let r = s
        .run(
            &cfg,
            s.event("datazone-subscription-grant-requested.json", "grt1"),
        )
        .await
        .unwrap();
    assert_eq!(r.writes, 0, "{r:#?}");
    assert!(r.notes.iter().any(|n| n["ignored"]
        .as_str()
        .is_some_and(|t| t.contains("fulfil_targets"))));
    assert_eq!(s.grant_status().await.0, "GRANT_PENDING");
    assert!(s.role_grants().await.is_empty());
}

#[tokio::test]
async fn a_cancelled_subscription_revokes_its_grants() {
    let s = s4(Some(AWS_BOUNDARY)).await;
    let cfg = s.config("");
    s.run(
        &cfg,
        s.event("datazone-subscription-grant-requested.json", "grt1"),
    )
    .await
    .unwrap();
    assert_eq!(s.grant_status().await.0, "GRANTED");
    // The subscription's own id, not a grant's: its grants are found by target and listing.
    let r = s
        .run(
            &cfg,
            s.event("datazone-subscription-cancelled.json", "sub_1"),
        )
        .await
        .expect("cancel");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    assert_eq!(s.grant_status().await.0, "REVOKED");
    assert!(s.policy().await.is_none());
    // The database DESCRIBE belongs to the environment (datazone.databases) and stays.
    assert_eq!(
        s.role_grants().await,
        vec!["db cm_kasama_sales [DESCRIBE]".to_string()]
    );
    let again = s
        .run(
            &cfg,
            s.event("datazone-subscription-cancelled.json", "sub_1"),
        )
        .await
        .unwrap();
    assert_eq!(again.writes, 0, "{again:#?}");
}

/// A subscription event in the shape AWS documents (tests/events/documented; docs/aws-semantics.md
/// §5): about the subscription, with `subscribedListing` / `subscribedPrincipal` and no target.
fn subscription_event(s: &S4, detail_type: &str, subscription: &str) -> Value {
    let file = if detail_type == "Subscription Revoked" {
        "documented/datazone-subscription-revoked.json"
    } else {
        "documented/datazone-subscription-cancelled.json"
    };
    let mut e = event(file);
    e["account"] = json!(s.acct.id);
    e["detail"]["metadata"]["domain"] = json!(s.domain);
    e["detail"]["metadata"]["id"] = json!(subscription);
    e["detail"]["data"]["subscribedListing"]["id"] = json!("lst1");
    e["detail"]["data"]["subscribedPrincipal"]["id"] = json!("prj1");
    e
}

#[tokio::test]
async fn a_documented_subscription_revoked_event_revokes_the_grants_of_that_subscription() {
    // Issue 10 §6: Subscription Revoked / Cancelled name a subscription; its grants are found
    // with ListSubscriptionGrants(subscriptionId) (API reference, ListSubscriptionGrants).
    let s = s4(Some(AWS_BOUNDARY)).await;
    let cfg = s.config("");
    dz_put(
        "subscription",
        json!({"id": "sub1", "domainId": s.domain, "listingId": "lst1", "projectId": "prj1"}),
    );
    dz_put(
        "subscription",
        json!({"id": "sub2", "domainId": s.domain, "listingId": "lst1", "projectId": "prj1"}),
    );
    dz_put(
        "subscription-grant",
        json!({"id": "grt1", "domainId": s.domain, "listingId": "lst1",
        "subscriptionTargetId": "tgt1", "environmentId": "env1", "assetId": "ast1",
        "subscriptionIds": ["sub1", "sub2"]}),
    );
    let r = s
        .run(
            &cfg,
            s.event("datazone-subscription-grant-requested.json", "grt1"),
        )
        .await
        .expect("grant");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    assert_eq!(s.grant_status().await.0, "GRANTED");

    // sub1 goes, sub2 (same project, same listing) is still approved: the grant stays.
    dz_put(
        "subscription",
        json!({"id": "sub1", "domainId": s.domain, "listingId": "lst1", "projectId": "prj1", "status": "REVOKED"}),
    );
    let r = s
        .run(&cfg, subscription_event(&s, "Subscription Revoked", "sub1"))
        .await
        .expect("the documented shape is not malformed");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    assert_eq!(r.writes, 0, "{r:#?}");
    assert_eq!(s.grant_status().await.0, "GRANTED");
    assert!(s
        .role_grants()
        .await
        .contains(&"table cm_kasama_sales.orders [DESCRIBE,SELECT]".to_string()));

    // sub2 is cancelled too: now the grant is revoked, progress first.
    dz_put(
        "subscription",
        json!({"id": "sub2", "domainId": s.domain, "listingId": "lst1", "projectId": "prj1", "status": "CANCELLED"}),
    );
    let r = s
        .run(
            &cfg,
            subscription_event(&s, "Subscription Cancelled", "sub2"),
        )
        .await
        .expect("cancel");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    assert_eq!(s.grant_status().await.0, "REVOKED");
    assert_eq!(
        s.grant_history(),
        [
            "GRANT_IN_PROGRESS",
            "GRANTED",
            "REVOKE_IN_PROGRESS",
            "REVOKED"
        ]
        .map(String::from)
        .to_vec()
    );
    assert!(s.policy().await.is_none());
    assert_eq!(
        s.role_grants().await,
        vec!["db cm_kasama_sales [DESCRIBE]".to_string()]
    );
    let again = s
        .run(
            &cfg,
            subscription_event(&s, "Subscription Cancelled", "sub2"),
        )
        .await
        .unwrap();
    assert_eq!(again.writes, 0, "{again:#?}");

    // A subscription DataZone lists no grant of changes nothing.
    let r = s
        .run(
            &cfg,
            subscription_event(&s, "Subscription Revoked", "sub_unknown"),
        )
        .await
        .unwrap();
    assert_eq!(r.writes, 0, "{r:#?}");
}

async fn link_of(s: &S4, name: &str) -> Option<aws_sdk_glue::types::Table> {
    s.acct
        .glue()
        .get_table()
        .database_name("env1_sub_db")
        .name(name)
        .send()
        .await
        .ok()
        .and_then(|o| o.table().cloned())
}

#[tokio::test]
async fn a_same_named_table_lakewarden_did_not_make_is_never_deleted() {
    // Issue 11 §3. The accident: a real table named like the link ({db}_{table}) in the target
    // database. Before, a revoke deleted it. Now the grant links under a hashed name (and says
    // so), and the revoke deletes only the marked link that points at the subscribed table.
    let producer = account_on(server(), &new_account_id()).await;
    let s = s4_with(Some(AWS_BOUNDARY), Some(&producer)).await;
    let cfg = s.config("");
    let real_location = format!("s3://{}/order/team-copy/", s.bucket);
    s.acct
        .parquet_table("env1_sub_db", "cm_kasama_sales_orders", &real_location)
        .await;

    // A revoke while no link of lakewarden's exists: the real table stays, a person is told.
    dz_put(
        "subscription-grant",
        json!({"id": "grt0", "domainId": s.domain, "listingId": "lst1",
        "subscriptionTargetId": "tgt1", "environmentId": "env1", "assetId": "ast1",
        "status": "REVOKE_PENDING"}),
    );
    let r = s
        .run(
            &cfg,
            s.event("datazone-subscription-grant-revoke-requested.json", "grt0"),
        )
        .await
        .expect("revoke");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    assert!(link_of(&s, "cm_kasama_sales_orders").await.is_some());
    let sent = s.sent_alerts().await;
    assert!(
        sent.iter()
            .any(|(_, m)| m.contains("cm_kasama_sales_orders")
                && m.contains("not made by lakewarden")),
        "{sent:?}"
    );

    // The grant: a marked link under another name.
    let r = s
        .run(
            &cfg,
            s.event("datazone-subscription-grant-requested.json", "grt1"),
        )
        .await
        .expect("grant");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    let grant = s
        .acct
        .aws
        .datazone
        .get_subscription_grant()
        .domain_identifier(&s.domain)
        .identifier("grt1")
        .send()
        .await
        .unwrap();
    let name = grant.assets()[0]
        .target_name()
        .expect("target name")
        .to_string();
    assert!(
        name.starts_with("cm_kasama_sales_orders_") && name != "cm_kasama_sales_orders",
        "{name}"
    );
    let link = link_of(&s, &name).await.expect("the link");
    assert_eq!(
        link.parameters()
            .and_then(|p| p.get("lakewarden:managed-by"))
            .map(String::as_str),
        Some("datazone-subscriber")
    );
    assert_eq!(
        link.target_table().and_then(|t| t.catalog_id()),
        Some(producer.id.as_str())
    );
    let sent = s.sent_alerts().await;
    assert!(
        sent.iter().any(|(_, m)| m.contains(&name)),
        "the alert names the link's name: {sent:?}"
    );
    let again = s
        .run(
            &cfg,
            s.event("datazone-subscription-grant-requested.json", "grt1"),
        )
        .await
        .unwrap();
    assert_eq!(again.writes, 0, "{again:#?}");

    // The revoke deletes lakewarden's link, never the real table.
    let r = s
        .run(
            &cfg,
            s.event("datazone-subscription-grant-revoke-requested.json", "grt1"),
        )
        .await
        .expect("revoke");
    assert_eq!(r.failures().len(), 0, "{r:#?}");
    assert!(link_of(&s, &name).await.is_none());
    let real = link_of(&s, "cm_kasama_sales_orders")
        .await
        .expect("the real table is still there");
    assert_eq!(
        real.storage_descriptor().and_then(|d| d.location()),
        Some(real_location.as_str())
    );
    assert_eq!(s.grant_status().await.0, "REVOKED");
}

/// Issue 13: when a grant fails, the alert says why the subscriber role cannot read the table
/// (`lakewarden explain`'s verdict and first failing step).
#[tokio::test]
async fn a_failed_grant_alert_carries_the_explain_verdict() {
    let s = s4(Some(AWS_BOUNDARY)).await;
    // Lake Formation refuses the grants of this account's role (the body names its ARN).
    let (status, body) = server().http(
        "POST",
        "/lakewarden-test/faults",
        &json!({"method": "POST", "path": "/BatchGrantPermissions", "body": s.acct.id,
                "status": 400, "code": "AccessDeniedException",
                "message": "refused by test", "protocol": "json"})
        .to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let err = s
        .run(
            &s.config(""),
            s.event("datazone-subscription-grant-requested.json", "grt1"),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("failed"), "{err}");
    let (status, _) = s.grant_status().await;
    assert_eq!(status, "GRANT_FAILED");
    let sent = s.sent_alerts().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let body = &sent[0].1;
    assert!(body.contains("explain: "), "{body}");
    assert!(body.contains("datazone_usr_env1"), "{body}");
    assert!(body.contains("cm_kasama_sales.orders"), "{body}");
}

/// Issue 11 §5: a subscription target removed from `datazone.fulfil_targets` loses exactly what
/// lakewarden granted for it — the grant's statements in lakewarden's policy and its Lake
/// Formation access — on the next scheduled run; a person's statement in the same policy and
/// the environment's own grants stay, DataZone is not told REVOKED, and the run after that has
/// no evidence left and writes nothing.
#[tokio::test]
async fn a_target_removed_from_fulfil_targets_loses_exactly_what_lakewarden_granted() {
    let s = s4(Some(AWS_BOUNDARY)).await;
    let cfg = s.config("");
    let (before, grants_before) = s.deployed_with_a_persons_statement(&cfg).await;
    s.run(
        &cfg,
        s.event("datazone-subscription-grant-requested.json", "grt1"),
    )
    .await
    .unwrap();
    assert_eq!(s.grant_status().await.0, "GRANTED");
    assert_ne!(s.policy().await.unwrap(), before);
    assert_ne!(s.role_grants().await, grants_before);

    // While tgt1 is served, the schedule keeps the grant.
    let kept = s.run(&cfg, scheduled_event(&s.acct.id)).await.unwrap();
    assert_eq!(kept.writes, 0, "{kept:#?}");

    let removed = cfg.replace("fulfil_targets: [tgt1]", "fulfil_targets: [tgt_other]");
    let r = s
        .run(&removed, scheduled_event(&s.acct.id))
        .await
        .expect("run");
    assert!(r.failures().is_empty(), "{r:#?}");
    assert!(
        r.actions
            .iter()
            .any(|a| a.action == "lakeformation.revoke" && a.outcome == Outcome::Applied),
        "{r:#?}"
    );
    assert!(!r
        .actions
        .iter()
        .any(|a| a.action.starts_with("datazone.") && a.outcome == Outcome::Applied));
    assert_eq!(
        s.policy().await.unwrap(),
        before,
        "only the grant's statements go; the person's and the environment's stay"
    );
    assert_eq!(s.role_grants().await, grants_before);
    assert_eq!(s.grant_status().await.0, "GRANTED");

    // No evidence left: nothing more is taken.
    let again = s
        .run(&removed, scheduled_event(&s.acct.id))
        .await
        .expect("run");
    assert_eq!(again.writes, 0, "{again:#?}");
}
