//! `make bench`: how planning scales with the catalog, and what a full reconcile costs against
//! moto (wall time, API calls, Lake Formation batch calls). Prints a table; asserts nothing.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use catalog_sharer::plan::{self, BucketPolicy, Observed};
use lakewarden::aws::glue::TableInfo;
use lakewarden_tests::*;

const CONSUMERS: &str = r#"["222222222222", "arn:aws:organizations::111111111111:organization/o-abc", "arn:aws:iam::333333333333:role/analyst"]"#;

fn producer_config(topic: Option<&str>) -> String {
    let alerts = topic
        .map(|t| format!("alerts: {{ topic_arn: \"{t}\" }}\n"))
        .unwrap_or_default();
    format!(
        "{alerts}producer:\n  shares:\n    - database: \"cur_*\"\n      consumers: {CONSUMERS}\n"
    )
}

fn observed(n: usize) -> Observed {
    let tables: Vec<TableInfo> = (0..n)
        .map(|i| TableInfo {
            database: "cur_org".into(),
            name: format!("t{i:05}"),
            location: Some(format!("s3://cur-data/cur/t{i:05}/")),
        })
        .collect();
    Observed {
        catalog_id: "111111111111".into(),
        region: "us-east-1".into(),
        databases: BTreeMap::from([("cur_org".to_string(), tables)]),
        bucket_policies: BTreeMap::from([("cur-data".to_string(), BucketPolicy::Absent)]),
        ..Default::default()
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let cfg = lakewarden::config::parse(&producer_config(None), "bench")
        .unwrap()
        .producer
        .unwrap();
    println!("\n## catalog-sharer planning (pure, 3 consumers, release build)\n");
    println!(
        "| tables | actions planned | LF batch calls | plan time (median of 5) | peak RSS so far |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for n in [100usize, 1_000, 10_000, 50_000] {
        let obs = observed(n);
        let mut times = Vec::new();
        let mut actions = 0;
        let mut grants = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let p = plan::plan(&cfg, &obs);
            times.push(t.elapsed());
            actions = p.actions.len();
            grants = p.grants().len();
        }
        println!(
            "| {n} | {actions} | {} | {:.2} ms | {} MiB |",
            grants.div_ceil(lakewarden::lf::LF_BATCH_LIMIT),
            median(times).as_secs_f64() * 1e3,
            peak_rss_kib() / 1024
        );
    }

    println!("\n## catalog-sharer scheduled reconcile against moto (3 consumers)\n");
    println!("| tables | run | wall time | API calls | BatchGrantPermissions | writes | applied | already |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|");
    for n in [45usize, 200] {
        let acct = fresh_account().await;
        let bucket = acct.bucket("cur-bench").await;
        acct.database("cur_org", None).await;
        for i in 0..n {
            acct.parquet_table(
                "cur_org",
                &format!("t{i:04}"),
                &format!("s3://{bucket}/cur/t{i:04}/"),
            )
            .await;
        }
        let ctx = acct.ctx(&producer_config(None));
        for run in ["first", "second"] {
            let t = Instant::now();
            let r = catalog_sharer::handle(&ctx, scheduled_event(&acct.id))
                .await
                .expect("reconcile");
            let wall = t.elapsed();
            println!(
                "| {n} | {run} | {:.0} ms | {} | {} | {} | {} | {} |",
                wall.as_secs_f64() * 1e3,
                r.api_calls.values().sum::<u64>(),
                r.calls_of("lakeformation.BatchGrantPermissions"),
                r.writes,
                r.count(lakewarden::Outcome::Applied),
                r.count(lakewarden::Outcome::Already),
            );
        }
    }
    println!();
}
