//! share-linker re-grants exactly what the consumer account received (issue 10 §1, consumer side).
//!
//! AWS page followed: Lake Formation Developer Guide, "Granting permissions on Data Catalog
//! resources" (granting-catalog-permissions.html): an external account can pass on only what it
//! was granted with the grant option. The local AWS refuses a re-grant the account does not hold
//! with the grant option, `TableWildcard` covered only by a wildcard grant
//! (tests/moto_ext lf_regrant.py), and lets the consumer read what it received (lf_received.py).
//!
//! The producer shares two tables *by name* (`tables:`), never the All-tables wildcard. On plain
//! moto this test fails: the consumer reads nothing it received, so its role is granted no table.
//! With the extension, granting the role `TableWildcard` (what share-linker did before) would be
//! refused with AccessDeniedException; share-linker grants each received table by name instead.

use lakewarden::report::{Outcome, Report};
use lakewarden::runtime::HandlerError;
use lakewarden_tests::*;

fn report_of(r: Result<Report, HandlerError>) -> Report {
    match r {
        Ok(r) => r,
        Err(HandlerError::ActionsFailed { report, .. }) => *report,
        Err(e) => panic!("run: {e}"),
    }
}

/// The consumer role's table grants on the producer's database: (table or `*`, permissions).
async fn role_tables(consumer: &Account, producer: &str, role: &str) -> Vec<(String, Vec<String>)> {
    let out = consumer
        .lakeformation()
        .list_permissions()
        .catalog_id(&consumer.id)
        .send()
        .await
        .unwrap();
    let mut v: Vec<(String, Vec<String>)> = out
        .principal_resource_permissions()
        .iter()
        .filter(|p| {
            p.principal()
                .and_then(|p| p.data_lake_principal_identifier())
                == Some(role)
        })
        .filter_map(|p| {
            let t = p.resource()?.table()?;
            (t.catalog_id() == Some(producer)).then(|| {
                let mut perms: Vec<String> = p
                    .permissions()
                    .iter()
                    .map(|x| x.as_str().to_string())
                    .collect();
                perms.sort();
                (t.name().unwrap_or("*").to_string(), perms)
            })
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn named_tables_shared_are_re_granted_by_name_not_as_all_tables() {
    let producer = fresh_account().await;
    let consumer = fresh_account().await;
    let bucket = producer.bucket("cur-data").await;
    producer
        .database("cur_org", Some(&format!("s3://{bucket}/cur/")))
        .await;
    for t in ["pub_daily", "pub_monthly", "internal_costs"] {
        producer
            .parquet_table("cur_org", t, &format!("s3://{bucket}/cur/{t}/"))
            .await;
    }
    let cfg = format!(
        "producer:\n  shares:\n    - database: cur_org\n      consumers: [\"{}\"]\n      tables: [\"pub_*\"]\n",
        consumer.id
    );
    catalog_sharer::handle(&producer.ctx(&cfg), scheduled_event(&producer.id))
        .await
        .expect("producer shares two tables by name");

    let role = format!("arn:aws:iam::{}:role/glue-job", consumer.id);
    consumer.service_role("glue-job", "glue").await;
    let cfg = format!(
        "consumer:\n  trusted_producers: [\"{p}\"]\n  links:\n    - producer: \"{p}\"\n      database: cur_org\n      roles: [\"{role}\"]\n      s3_read_policy: false\n",
        p = producer.id
    );
    let r =
        report_of(share_linker::handle(&consumer.ctx(&cfg), scheduled_event(&consumer.id)).await);
    assert!(r.failures().is_empty(), "{:#?}", r.failures());
    let sel_desc = vec!["DESCRIBE".to_string(), "SELECT".to_string()];
    assert_eq!(
        role_tables(&consumer, &producer.id, &role).await,
        vec![
            ("pub_daily".to_string(), sel_desc.clone()),
            ("pub_monthly".to_string(), sel_desc.clone()),
        ]
    );
    // Never the wildcard, never the table that was not shared.
    assert!(!r
        .actions
        .iter()
        .any(|a| a.action == "lakeformation.grant" && a.target.contains("all tables")));

    // What share-linker used to grant is refused by Lake Formation here: the account does not
    // hold the wildcard.
    use aws_sdk_lakeformation::types::{
        DataLakePrincipal, Permission, Resource, TableResource, TableWildcard,
    };
    let refused = consumer
        .lakeformation()
        .grant_permissions()
        .principal(
            DataLakePrincipal::builder()
                .data_lake_principal_identifier(&role)
                .build(),
        )
        .resource(
            Resource::builder()
                .table(
                    TableResource::builder()
                        .catalog_id(&producer.id)
                        .database_name("cur_org")
                        .table_wildcard(TableWildcard::builder().build())
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .permissions(Permission::Select)
        .send()
        .await
        .expect_err("a wildcard the account does not hold");
    assert_eq!(
        refused.as_service_error().and_then(|e| {
            use aws_sdk_lakeformation::error::ProvideErrorMetadata;
            e.code().map(String::from)
        }),
        Some("AccessDeniedException".to_string())
    );

    // Converged: the next run grants nothing more.
    let again =
        report_of(share_linker::handle(&consumer.ctx(&cfg), scheduled_event(&consumer.id)).await);
    assert!(again.failures().is_empty(), "{:#?}", again.failures());
    assert!(!again
        .actions
        .iter()
        .any(|a| a.action == "lakeformation.grant" && a.outcome == Outcome::Applied));
}
