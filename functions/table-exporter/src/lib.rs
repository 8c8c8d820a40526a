//! `table-exporter`: scheduled DynamoDB exports to a bucket in another account, naming the bucket
//! owner and checking their prerequisites (scenario S3). Runs in both accounts: `exports` is the
//! source side, `export_destinations` the destination side.

pub mod ext;
pub mod observe;
pub mod plan;
pub mod trigger;

use chrono::{DateTime, Utc};
use lakewarden::config::Config;
use lakewarden::reconcile::{self, Plan, Reconciler, Trigger};
use lakewarden::report::Report;
use lakewarden::runtime::{Ctx, HandlerError};
use lakewarden::AwsError;
use serde_json::Value;

use crate::ext::Ext;
use crate::plan::Observed;

pub use crate::plan::state_table;

pub const FUNCTION: &str = "table-exporter";

pub struct TableExporter;

impl Reconciler for TableExporter {
    /// The schedule time.
    type Scope = DateTime<Utc>;
    type Observed = Observed;
    type Ext = Ext;

    fn name(&self) -> &'static str {
        FUNCTION
    }

    fn trigger(&self, cfg: &Config, event: &Value) -> Result<Trigger<Self::Scope>, HandlerError> {
        if cfg.exports.is_none() && cfg.export_destinations.is_none() {
            Config::require(&cfg.exports, "exports (or export_destinations)")?;
        }
        Ok(trigger::trigger(event)?)
    }

    fn resource(&self, _at: &Self::Scope) -> String {
        "scheduled exports".into()
    }

    async fn observe(
        &self,
        ctx: &Ctx,
        _at: &Self::Scope,
        _round: usize,
    ) -> Result<Observed, AwsError> {
        observe::observe(&ctx.aws, &ctx.config).await
    }

    fn observe_remedy(&self, _round: usize) -> String {
        "The function could not tell which account it runs in; check its credentials and STS endpoint".into()
    }

    fn plan(&self, cfg: &Config, at: &Self::Scope, obs: &Observed, _round: usize) -> Plan<Ext> {
        plan::plan(cfg, at, obs)
    }
}

/// Handle one scheduled event.
pub async fn handle(ctx: &Ctx, event: Value) -> Result<Report, HandlerError> {
    reconcile::run(&TableExporter, ctx, event).await
}
