//! Past one page: the local AWS pages Glue `GetTables` / `GetDatabases` by 100 as AWS does
//! (tests/moto_ext/lakewarden_moto/glue_pages.py), and every function that lists still sees every
//! table and database — and catalog-sharer's scheduled run of an All-tables share does not list
//! the tables at all (docs/bench.md, "Converged path").

use lakewarden::report::Outcome;
use lakewarden_tests::*;

const TABLES: usize = 130; // two GetTables pages

async fn producer_with(tables: usize) -> (Account, String) {
    let acct = fresh_account().await;
    let bucket = acct.bucket("cur-data").await;
    acct.database("cur_org", Some(&format!("s3://{bucket}/cur/")))
        .await;
    for i in 0..tables {
        let t = format!("t{i:04}");
        acct.parquet_table("cur_org", &t, &format!("s3://{bucket}/cur/{t}/"))
            .await;
    }
    (acct, bucket)
}

#[tokio::test]
async fn the_glue_adapters_read_every_page() {
    let (acct, _) = producer_with(TABLES).await;
    // One raw call returns one page only: the local AWS pages as AWS does.
    let first = acct
        .glue()
        .get_tables()
        .database_name("cur_org")
        .send()
        .await
        .unwrap();
    assert_eq!(first.table_list().len(), 100);
    assert!(first.next_token().is_some());
    let all = lakewarden::aws::glue::get_tables(&acct.aws.glue, None, "cur_org")
        .await
        .unwrap();
    assert_eq!(all.len(), TABLES);
    let mut names: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), TABLES, "a table listed twice or missed");
    for i in 0..105 {
        acct.database(&format!("extra_{i:03}"), None).await;
    }
    let dbs = lakewarden::aws::glue::get_databases(&acct.aws.glue, None)
        .await
        .unwrap();
    assert_eq!(dbs.len(), 106);
}

/// A Glue event lists the database (every page): a table past the first page outside the allowed
/// locations is found, skipped and alerted.
#[tokio::test]
async fn an_event_run_sees_a_refused_table_past_the_first_page() {
    let (acct, _) = producer_with(TABLES).await;
    let other = acct.bucket("payroll").await;
    acct.parquet_table("cur_org", "zz_payroll", &format!("s3://{other}/x/"))
        .await;
    let topic = acct.topic("lakewarden-alerts").await;
    let cfg = format!(
        "alerts: {{ topic_arn: \"{topic}\" }}\nproducer:\n  shares:\n    - database: cur_org\n      consumers: [\"{}\"]\n",
        new_account_id()
    );
    let r = catalog_sharer::handle(
        &acct.ctx(&cfg),
        glue_db_event(&acct.id, "cur_org", "CreateTable", &["zz_payroll"]),
    )
    .await
    .expect("event run");
    assert_eq!(r.calls_of("glue.GetTables"), 2, "{:?}", r.api_operations);
    let skipped = r
        .actions
        .iter()
        .find(|a| a.target == "table cur_org.zz_payroll")
        .expect("the payroll table is reported");
    assert_eq!(skipped.outcome, Outcome::Skipped);
    assert_eq!(acct.bucket_policy(&other).await, None, "payroll was opened");
}

/// The scheduled reconcile of an All-tables share plans from configuration: no table listing,
/// and converged it writes nothing and makes as many calls at 130 tables as at 1.
#[tokio::test]
async fn a_scheduled_wildcard_run_lists_no_table_and_its_cost_does_not_grow_with_tables() {
    let mut converged_calls = Vec::new();
    for n in [1, TABLES] {
        let (acct, bucket) = producer_with(n).await;
        let cfg = format!(
            "producer:\n  shares:\n    - database: cur_org\n      consumers: [\"{}\", \"arn:aws:organizations::111111111111:organization/o-pages12345\"]\n",
            new_account_id()
        );
        let ctx = acct.ctx(&cfg);
        let first = catalog_sharer::handle(&ctx, scheduled_event(&acct.id))
            .await
            .expect("first");
        assert_eq!(first.calls_of("glue.GetTables"), 0);
        assert_eq!(first.failures().len(), 0, "{first:#?}");
        // The database's location is opened.
        let policy = acct.bucket_policy(&bucket).await.expect("bucket policy");
        assert!(policy.to_string().contains(&format!("{bucket}/cur/*")));
        let again = catalog_sharer::handle(&ctx, scheduled_event(&acct.id))
            .await
            .expect("converged");
        assert_eq!(again.writes, 0, "{again:#?}");
        assert_eq!(again.calls_of("glue.GetTables"), 0);
        converged_calls.push(again.api_operations.clone());
    }
    assert_eq!(
        converged_calls[0], converged_calls[1],
        "a converged run at {TABLES} tables calls more than at 1"
    );
    eprintln!("converged scheduled run: {:?}", converged_calls[1]);
}

/// Named-table sharing (`tables:`) past one page: catalog-sharer grants every table, and
/// share-linker in the consumer account re-grants every table it holds (reading the producer's
/// catalog page by page).
#[tokio::test]
async fn named_sharing_of_more_than_a_page_reaches_every_table_on_both_sides() {
    let (producer, _) = producer_with(TABLES).await;
    let consumer = fresh_account().await;
    let cfg = format!(
        "producer:\n  shares:\n    - database: cur_org\n      consumers: [\"{}\"]\n      tables: [\"t*\"]\n",
        consumer.id
    );
    let r = catalog_sharer::handle(&producer.ctx(&cfg), scheduled_event(&producer.id))
        .await
        .expect("producer shares");
    assert_eq!(r.calls_of("glue.GetTables"), 2);
    let granted = named_table_grants(&producer, &consumer.id).await;
    assert_eq!(granted, TABLES, "producer-side named grants");

    consumer
        .iam()
        .create_role()
        .role_name("glue-job")
        .assume_role_policy_document(
            serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let role = format!("arn:aws:iam::{}:role/glue-job", consumer.id);
    let ccfg = format!(
        "consumer:\n  trusted_producers: [\"{p}\"]\n  links:\n    - producer: \"{p}\"\n      database: cur_org\n      link_name: cur_org_linked\n      roles: [\"{role}\"]\n",
        p = producer.id
    );
    let r = share_linker::handle(&consumer.ctx(&ccfg), scheduled_event(&consumer.id))
        .await
        .expect("consumer links");
    assert!(r.calls_of("glue.GetTables") >= 2, "{:?}", r.api_operations);
    assert_eq!(
        named_table_grants(&consumer, &role).await,
        TABLES,
        "share-linker re-granted each table the account holds"
    );
}

/// Named-table grants to `principal` recorded in `acct`'s Lake Formation.
async fn named_table_grants(acct: &Account, principal: &str) -> usize {
    let mut n = 0;
    let mut token = None;
    loop {
        let out = acct
            .lakeformation()
            .list_permissions()
            .set_next_token(token)
            .send()
            .await
            .expect("list permissions");
        n += out
            .principal_resource_permissions()
            .iter()
            .filter(|p| {
                p.principal()
                    .and_then(|x| x.data_lake_principal_identifier())
                    == Some(principal)
                    && p.resource()
                        .and_then(|r| r.table())
                        .is_some_and(|t| t.name().is_some_and(|name| name.starts_with('t')))
            })
            .count();
        token = out.next_token().map(String::from);
        if token.is_none() {
            break;
        }
    }
    n
}
