//! `share-linker`: the consumer side of a shared Glue catalog (scenario S2, steps 4, 5 and 7).
//! Round 0 accepts invitations from trusted producers; round 1 keeps a resource link per shared
//! database, grants this account's roles Lake Formation access and keeps the roles' S3 read
//! policy, so that a share accepted in this run is linked in this run.

pub mod observe;
pub mod plan;
pub mod trigger;

use lakewarden::config::Config;
use lakewarden::explain::TableRef;
use lakewarden::reconcile::{self, NoExt, Plan, Reconciler, Trigger};
use lakewarden::report::Report;
use lakewarden::runtime::{Ctx, HandlerError};
use lakewarden::AwsError;
use serde_json::Value;

use crate::plan::Observed;
use crate::trigger::Scope;

pub const FUNCTION: &str = "share-linker";

pub struct ShareLinker;

impl Reconciler for ShareLinker {
    type Scope = Scope;
    type Observed = Observed;
    type Ext = NoExt;

    fn name(&self) -> &'static str {
        FUNCTION
    }

    fn trigger(&self, cfg: &Config, event: &Value) -> Result<Trigger<Scope>, HandlerError> {
        Config::require(&cfg.consumer, "consumer")?;
        Ok(trigger::trigger(event)?)
    }

    fn resource(&self, _scope: &Scope) -> String {
        "shared catalogs".into()
    }

    fn rounds(&self) -> usize {
        2
    }

    async fn observe(&self, ctx: &Ctx, _scope: &Scope, round: usize) -> Result<Observed, AwsError> {
        observe::round(ctx, FUNCTION, round).await
    }

    fn observe_remedy(&self, round: usize) -> String {
        match round {
            0 => "Check the function's ram:GetResourceShareInvitations permission".into(),
            _ => "The function could not read the catalog; check its Glue, Lake Formation, IAM and RAM read permissions, and that lakewarden's state table (`state_table`, default lakewarden-state; partition key `pk` String, infra/state-table.yaml) exists and the role may dynamodb:Scan/PutItem on it: share-linker keeps its ledger of what it linked and granted there".into(),
        }
    }

    fn explain_targets(&self, cfg: &Config, o: &[Observed], _: &Report) -> Vec<(String, TableRef)> {
        plan::explain_targets(cfg, o)
    }

    fn plan(&self, cfg: &Config, scope: &Scope, observed: &Observed, _round: usize) -> Plan {
        plan::plan_round(cfg, scope, observed)
    }
}

/// Handle one event (RAM share change, Glue catalog change or scheduled reconcile).
pub async fn handle(ctx: &Ctx, event: Value) -> Result<Report, HandlerError> {
    reconcile::run(&ShareLinker, ctx, event).await
}
