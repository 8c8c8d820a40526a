//! `datazone-subscriber`: DataZone environments and subscriptions over existing S3 buckets work
//! without hand fixes (scenario S4). Environment deployments get Lake Formation location
//! registration, DATA_LOCATION_ACCESS, grants and the role's inline policy (the boundary is never
//! removed; it is evaluated, and with `boundary_copy` a widened copy is attached when it fits
//! IAM's size limit). Subscription grants for the targets lakewarden fulfils get LF access, a
//! marked table link across accounts and S3 read, and DataZone is told GRANT_IN_PROGRESS, then
//! GRANTED / GRANT_FAILED; revokes undo exactly that.
//!
//! trigger ([`trigger`]) → observe ([`observe`]) → plan ([`plan`], pure; boundary copies are
//! [`ext::Ext`]) → the core applies and reports.

pub mod ext;
pub mod observe;
pub mod plan;
pub mod trigger;

use lakewarden::config::Config;
use lakewarden::explain::TableRef;
use lakewarden::reconcile::{self, Plan, Reconciler, Trigger};
use lakewarden::report::Report;
use lakewarden::runtime::{Ctx, HandlerError};
use lakewarden::AwsError;
use serde_json::Value;

use crate::ext::Ext;
use crate::observe::Observed;
use crate::trigger::Scope;

pub const FUNCTION: &str = "datazone-subscriber";

pub struct DataZoneSubscriber;

impl Reconciler for DataZoneSubscriber {
    type Scope = Scope;
    type Observed = Observed;
    type Ext = Ext;

    fn name(&self) -> &'static str {
        FUNCTION
    }

    fn trigger(&self, cfg: &Config, event: &Value) -> Result<Trigger<Scope>, HandlerError> {
        let dz = Config::require(&cfg.datazone, "datazone")?;
        Ok(trigger::trigger(event, dz)?)
    }

    fn resource(&self, scope: &Scope) -> String {
        scope.describe()
    }

    async fn observe(&self, ctx: &Ctx, scope: &Scope, _round: usize) -> Result<Observed, AwsError> {
        let dz = Config::require(&ctx.config.datazone, "datazone")
            .map_err(|e| AwsError::new(None, e.to_string()))?;
        observe::observe(&ctx.aws, dz, scope).await
    }

    fn observe_remedy(&self, _round: usize) -> String {
        "The function could not tell which account it runs in; check its credentials and STS endpoint".into()
    }

    fn explain_targets(&self, _: &Config, o: &[Observed], _: &Report) -> Vec<(String, TableRef)> {
        plan::explain_targets(o)
    }

    fn plan(&self, cfg: &Config, _scope: &Scope, observed: &Observed, _round: usize) -> Plan<Ext> {
        plan::plan_for(cfg, observed)
    }
}

/// Handle one event (DataZone environment or subscription event, or scheduled reconcile).
pub async fn handle(ctx: &Ctx, event: Value) -> Result<Report, HandlerError> {
    reconcile::run(&DataZoneSubscriber, ctx, event).await
}
