//! `make bench`, part 1: how catalog-sharer's pure plan scales with the catalog (release build).
//! Prints a table; asserts nothing. Part 2 (cold starts, the paired comparison with a naive
//! Python implementation and the 10,000-table run against moto, all through the local Lambda
//! Runtime API) is tests/bench/bench.py, which calls `bench --plan-json TABLES CONSUMERS` for
//! the plan time of its scale table.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use lakewarden::aws::glue::TableInfo;
use lakewarden::sharing::{self as plan, BucketPolicy, Observed};

fn consumers(n: usize) -> Vec<String> {
    let mut v = vec![
        "222222222222".to_string(),
        "arn:aws:organizations::111111111111:organization/o-abcdef1234".to_string(),
        "arn:aws:iam::333333333333:role/analyst".to_string(),
    ];
    v.extend((0..n.saturating_sub(3)).map(|i| format!("{:012}", 230_000_000_000u64 + i as u64)));
    v.truncate(n);
    v
}

fn producer_config(n_consumers: usize) -> lakewarden::config::Producer {
    let doc = serde_json::json!({"producer": {"shares": [
        {"database": "cur_*", "consumers": consumers(n_consumers)}]}});
    lakewarden::config::parse(&doc.to_string(), "bench")
        .expect("bench config")
        .producer
        .expect("producer")
}

/// What observe reads for one database of `n` tables; `listed` false is the scheduled
/// reconcile of a wildcard share, which does not list the tables (`observe::needs_tables`).
fn observed(n: usize, listed: bool) -> Observed {
    let n = if listed { n } else { 0 };
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
        db_locations: BTreeMap::from([(
            "cur_org".to_string(),
            Some("s3://cur-data/cur/".to_string()),
        )]),
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

/// (actions planned, LF batch calls, median plan time of 5) on a first run (nothing granted yet).
fn measure(tables: usize, n_consumers: usize, listed: bool) -> (usize, usize, Duration) {
    let cfg = producer_config(n_consumers);
    let obs = observed(tables, listed);
    let mut times = Vec::new();
    let (mut actions, mut grants) = (0, 0);
    for _ in 0..5 {
        let t = Instant::now();
        let p = plan::plan(&cfg, &obs);
        times.push(t.elapsed());
        actions = p.actions().count();
        grants = p.grants().len();
    }
    (
        actions,
        grants.div_ceil(lakewarden::lf::LF_BATCH_LIMIT),
        median(times),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--plan-json") {
        let tables: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
        let n_consumers: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(20);
        let (actions_u, _, t_u) = measure(tables, n_consumers, false);
        let (actions, batches, t) = measure(tables, n_consumers, true);
        println!(
            "{}",
            serde_json::json!({"tables": tables, "consumers": n_consumers, "actions": actions,
                "lf_batch_calls": batches, "plan_ms": t.as_secs_f64() * 1e3,
                "actions_unlisted": actions_u, "plan_ms_unlisted": t_u.as_secs_f64() * 1e3,
                "peak_rss_kib": peak_rss_kib()})
        );
        return;
    }
    println!("\n## catalog-sharer planning (pure, first run, release build)\n");
    println!("Tables listed (a Glue event's run, or `tables:` / `ram: explicit` entries); the scheduled run of an All-tables share plans without them.\n");
    println!("| tables | consumers | actions planned | LF batch calls | plan time (median of 5) | peak RSS so far |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for (n, c) in [
        (100usize, 3usize),
        (1_000, 3),
        (10_000, 3),
        (10_000, 20),
        (50_000, 3),
    ] {
        let (actions, batches, t) = measure(n, c, true);
        println!(
            "| {n} | {c} | {actions} | {batches} | {:.2} ms | {} MiB |",
            t.as_secs_f64() * 1e3,
            peak_rss_kib() / 1024
        );
    }
    println!();
}
