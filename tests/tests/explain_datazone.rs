//! `explain` for the DataZone environment role of scenario S4, against moto started with the
//! AWS managed policies (the real AmazonDataZoneEnvironmentRolePermissionsBoundary, whose
//! `s3:ListBucket` only allows `datazone/*` prefixes). With the location registered in Lake
//! Formation the role reads the table; once it is not, S3 decides and the boundary blocks it:
//! `lf.location` is null and `s3.access` is the only false step.

use std::sync::OnceLock;

use aws_sdk_lakeformation::types::{
    DataLakePrincipal, DataLakeSettings, DatabaseResource, Permission, Resource, TableWildcard,
};
use lakewarden::explain::{self, first_failing_step, TableRef, Verdict};
use lakewarden_tests::*;
use serde_json::json;

static SERVER: OnceLock<Moto> = OnceLock::new();
fn server() -> &'static Moto {
    SERVER.get_or_init(|| start_moto(&["--managed-policies"]))
}

const AWS_BOUNDARY: &str =
    "arn:aws:iam::aws:policy/AmazonDataZoneEnvironmentRolePermissionsBoundary";

async fn grant(acct: &Account, principal: &str, r: Resource, p: &[&str]) {
    acct.lakeformation()
        .grant_permissions()
        .principal(
            DataLakePrincipal::builder()
                .data_lake_principal_identifier(principal)
                .build(),
        )
        .resource(r)
        .set_permissions(Some(p.iter().map(|x| Permission::from(*x)).collect()))
        .send()
        .await
        .expect("grant");
}

#[tokio::test]
async fn datazone_environment_role_of_s4() {
    let acct = account_on(server(), &new_account_id()).await;
    let bucket = acct.bucket("sales-raw").await;
    acct.database("cm_kasama_sales", None).await;
    acct.parquet_table(
        "cm_kasama_sales",
        "orders",
        &format!("s3://{bucket}/order/orders/"),
    )
    .await;
    acct.lakeformation()
        .put_data_lake_settings()
        .data_lake_settings(
            DataLakeSettings::builder()
                .set_create_database_default_permissions(Some(vec![]))
                .set_create_table_default_permissions(Some(vec![]))
                .build(),
        )
        .send()
        .await
        .unwrap();
    // The environment's user role, with DataZone's boundary and the policies the environment
    // and lakewarden give it (Glue and the bucket's order/ prefix).
    acct.iam()
        .create_role()
        .role_name("datazone_usr_env1")
        .assume_role_policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "datazone.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            .to_string(),
        )
        .permissions_boundary(AWS_BOUNDARY)
        .send()
        .await
        .unwrap();
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Glue", "Effect": "Allow", "Action": ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"],
         "Resource": "*"},
        {"Sid": "Vending", "Effect": "Allow", "Action": "lakeformation:GetDataAccess", "Resource": "*"},
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/order/*")},
        {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": format!("arn:aws:s3:::{bucket}"),
         "Condition": {"StringLike": {"s3:prefix": ["order/*"]}}}]});
    acct.iam()
        .put_role_policy()
        .role_name("datazone_usr_env1")
        .policy_name("lakewarden-datazone")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
    let role = format!("arn:aws:iam::{}:role/datazone_usr_env1", acct.id);
    let location = format!("arn:aws:s3:::{bucket}/order");
    acct.lakeformation()
        .register_resource()
        .resource_arn(&location)
        .use_service_linked_role(true)
        .send()
        .await
        .unwrap();
    grant(
        &acct,
        &role,
        Resource::builder()
            .database(
                DatabaseResource::builder()
                    .catalog_id(&acct.id)
                    .name("cm_kasama_sales")
                    .build()
                    .unwrap(),
            )
            .build(),
        &["DESCRIBE"],
    )
    .await;
    grant(
        &acct,
        &role,
        Resource::builder()
            .table(
                aws_sdk_lakeformation::types::TableResource::builder()
                    .catalog_id(&acct.id)
                    .database_name("cm_kasama_sales")
                    .table_wildcard(TableWildcard::builder().build())
                    .build()
                    .unwrap(),
            )
            .build(),
        &["DESCRIBE", "SELECT"],
    )
    .await;
    let t = TableRef::parse("cm_kasama_sales.orders").unwrap();

    // Registered: Lake Formation vends credentials; the boundary allows the Glue and LF calls.
    let e = explain::explain(&acct.aws, None, &role, &t).await;
    let dump = serde_json::to_string_pretty(&e).unwrap();
    assert_eq!(e.verdict, Verdict::Allowed, "{dump}");
    assert!(
        e.step("lf.table_select")
            .unwrap()
            .evidence
            .contains("all tables"),
        "SELECT via the All-tables wildcard: {dump}"
    );
    let b = e.step("iam.boundary").unwrap();
    assert_eq!(b.ok, Some(true), "{dump}");
    assert!(b.evidence.contains(AWS_BOUNDARY), "{dump}");

    // Not registered: S3 decides, and the boundary only lets s3:ListBucket list datazone/*.
    acct.lakeformation()
        .deregister_resource()
        .resource_arn(&location)
        .send()
        .await
        .unwrap();
    let e = explain::explain(&acct.aws, None, &role, &t).await;
    let dump = serde_json::to_string_pretty(&e).unwrap();
    assert_eq!(e.verdict, Verdict::Denied, "{dump}");
    let failing: Vec<&str> = e
        .steps
        .iter()
        .filter(|s| s.ok == Some(false))
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(failing, vec!["s3.access"], "{dump}");
    assert_eq!(e.step("lf.location").unwrap().ok, None, "{dump}");
    let s = first_failing_step(&e).unwrap();
    assert_eq!(s.id, "s3.access");
    assert!(s.evidence.contains("s3:ListBucket"), "{dump}");
    let fix = s.fix.as_deref().unwrap();
    assert!(fix.contains("register-resource"), "{fix}");
    assert!(fix.contains("permissions boundary"), "{fix}");

    // Registered again: allowed.
    acct.lakeformation()
        .register_resource()
        .resource_arn(&location)
        .use_service_linked_role(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        explain::explain(&acct.aws, None, &role, &t).await.verdict,
        Verdict::Allowed
    );
}
