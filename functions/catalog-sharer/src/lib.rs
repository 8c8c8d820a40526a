//! `catalog-sharer`: new Glue tables are shared with consumer accounts by themselves
//! (producer side of scenario S2). The sharing logic is `lakewarden::sharing`; this crate is
//! its trigger.

pub mod trigger;

use lakewarden::config::Config;
use lakewarden::reconcile::{self, NoExt, Plan, Reconciler, Trigger};
use lakewarden::report::Report;
use lakewarden::runtime::{Ctx, HandlerError};
use lakewarden::sharing::{self, Observed, Scope};
use lakewarden::AwsError;
use serde_json::Value;

pub const FUNCTION: &str = "catalog-sharer";

pub struct CatalogSharer;

impl Reconciler for CatalogSharer {
    type Scope = Scope;
    type Observed = Observed;
    type Ext = NoExt;

    fn name(&self) -> &'static str {
        FUNCTION
    }

    fn trigger(&self, cfg: &Config, event: &Value) -> Result<Trigger<Scope>, HandlerError> {
        let producer = Config::require(&cfg.producer, "producer")?;
        Ok(trigger::trigger(event, producer)?)
    }

    fn resource(&self, scope: &Scope) -> String {
        match scope {
            Scope::All => "scheduled reconcile".to_string(),
            Scope::Databases(dbs) => dbs.iter().cloned().collect::<Vec<_>>().join(", "),
        }
    }

    async fn observe(&self, ctx: &Ctx, scope: &Scope, _round: usize) -> Result<Observed, AwsError> {
        let producer = Config::require(&ctx.config.producer, "producer")
            .map_err(|e| AwsError::new(None, e.to_string()))?;
        sharing::observe(&ctx.aws, producer, scope).await
    }

    fn observe_remedy(&self, _round: usize) -> String {
        "The function could not read the current state; check its role's Glue, Lake Formation, S3 and RAM read permissions".into()
    }

    fn plan(&self, cfg: &Config, _scope: &Scope, observed: &Observed, _round: usize) -> Plan {
        match &cfg.producer {
            Some(producer) => sharing::plan(producer, observed),
            None => Plan::default(),
        }
    }
}

/// Handle one event (Glue catalog change or scheduled reconcile).
pub async fn handle(ctx: &Ctx, event: Value) -> Result<Report, HandlerError> {
    reconcile::run(&CatalogSharer, ctx, event).await
}
