//! `catalog-sharer`: new Glue tables are shared with consumer accounts by themselves
//! (producer side of scenario S2). The sharing logic is `lakewarden::sharing`; this crate is
//! its trigger.

pub mod fanout;
pub mod trigger;

pub use fanout::invoke;

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

    /// A schedule's run, or one of its fan-out messages' (see [`fanout`]).
    fn repairs_drift(&self, event: &Value) -> bool {
        trigger::is_schedule(event) || fanout::is_record(event)
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
        // The ledger of what catalog-sharer granted (issue 11 §5), in the state table.
        let ledger = lakewarden::ledger::Ledger::for_config(&ctx.aws, &ctx.config, FUNCTION);
        sharing::observe_with_ledger(&ctx.aws, producer, scope, Some(&ledger)).await
    }

    fn observe_remedy(&self, _round: usize) -> String {
        "The function could not read the current state; check its role's Glue, Lake Formation, S3 and RAM read permissions, and that lakewarden's state table (`state_table`, default lakewarden-state; partition key `pk` String, infra/state-table.yaml) exists and the role may dynamodb:Scan/PutItem on it: catalog-sharer keeps its ledger of what it granted there".into()
    }

    fn plan(&self, cfg: &Config, _scope: &Scope, observed: &Observed, _round: usize) -> Plan {
        match &cfg.producer {
            Some(producer) => {
                let mut p = sharing::plan(producer, observed);
                p.extend(lakewarden::lfsettings::sharing_checks(
                    cfg, producer, observed,
                ));
                p
            }
            None => Plan::default(),
        }
    }
}

/// Handle one event (Glue catalog change or scheduled reconcile). With a fan-out queue, the
/// schedule enqueues the configured databases instead of sharing them itself.
pub async fn handle(ctx: &Ctx, event: Value) -> Result<Report, HandlerError> {
    match fanout::queue_url(&ctx.config).filter(|_| trigger::is_schedule(&event)) {
        Some(queue_url) => reconcile::run(&fanout::FanOut { queue_url }, ctx, event).await,
        None => reconcile::run(&CatalogSharer, ctx, event).await,
    }
}
