//! `table-exporter`: scheduled DynamoDB exports to a bucket in another account, naming the bucket
//! owner and checking their prerequisites (scenario S3). Runs in both accounts: `exports` is the
//! source side, `export_destinations` the destination side.

pub mod apply;
pub mod observe;
pub mod plan;

use std::collections::BTreeMap;

use lakewarden::config::{default_state_table, Config};
use lakewarden::report::Report;
use lakewarden::runtime::{finish, Ctx, HandlerError};
use lakewarden::state::StateStore;
use serde_json::Value;

pub const FUNCTION: &str = "table-exporter";

/// The state table: `state_table`, else `integrations.state_table`, else `lakewarden-state`.
pub fn state_table(cfg: &Config) -> String {
    cfg.state_table
        .clone()
        .or_else(|| cfg.integrations.as_ref().map(|i| i.state_table.clone()))
        .unwrap_or_else(default_state_table)
}

pub async fn handle(ctx: &Ctx, event: Value) -> Result<Report, HandlerError> {
    let cfg = &ctx.config;
    if cfg.exports.is_none() && cfg.export_destinations.is_none() {
        Config::require(&cfg.exports, "exports (or export_destinations)")?;
    }
    let at = plan::schedule_time(&event)?;
    let (mut report, since) = ctx.begin(FUNCTION);
    let mut attention = Vec::new();
    let dry_run = cfg.dry_run;

    if let Some(dests) = &cfg.export_destinations {
        // Read each bucket's policy; a bucket that cannot be read fails alone.
        let mut readable = Vec::new();
        let mut policies = BTreeMap::new();
        for d in dests {
            match observe::destination_policy(&ctx.aws, &d.bucket).await {
                Ok(doc) => {
                    policies.insert(d.bucket.clone(), doc);
                    readable.push(d.clone());
                }
                Err(e) => report.push_failed(
                    "s3.put_bucket_policy",
                    format!("bucket {}", d.bucket),
                    e.to_string(),
                    format!(
                        "Check that bucket {} exists in this account and the function may s3:GetBucketPolicy/PutBucketPolicy on it",
                        d.bucket
                    ),
                ),
            }
        }
        let p = plan::plan_destinations(&readable, &policies);
        apply::apply(&ctx.aws, None, &p, dry_run, &mut report).await;
    }

    if let Some(exports) = &cfg.exports {
        let store = StateStore::new(ctx.aws.dynamodb.clone(), state_table(cfg));
        let account = ctx.aws.account_id().await.unwrap_or_default();
        for e in exports {
            match observe::observe_export(&ctx.aws, &store, e).await {
                Ok(obs) => {
                    let p = plan::plan_export(e, &obs, &at, &account);
                    apply::apply(&ctx.aws, Some(&store), &p, dry_run, &mut report).await;
                    attention.extend(p.attention);
                }
                Err(e2) => report.push_failed(
                    "observe",
                    format!("table {}", e.table),
                    e2.to_string(),
                    "Check the table, the state table and the function's dynamodb:DescribeTable/DescribeContinuousBackups/DescribeExport/GetItem permissions",
                ),
            }
        }
    }
    finish(ctx, report, &since, "scheduled exports", &attention).await
}
