//! `integration-monitor`: AWS Glue sends no event when a zero-ETL integration changes state, so
//! this function polls both sides (`DescribeIntegrations`, `DescribeInboundIntegrations`),
//! compares with the last status it recorded, and publishes `lakewarden` /
//! `Zero-ETL Integration State Change` for each change. The record is written conditionally,
//! marked "to publish", before the event is published and unmarked after: delivery is at least
//! once, every copy of an event carrying the same `detail.transitionId` (see `plan::Transition`).

pub mod ext;
pub mod observe;
pub mod plan;
pub mod trigger;

use lakewarden::aws::LocalKind;
use lakewarden::config::Config;
use lakewarden::reconcile::{self, Plan, Reconciler, Trigger};
use lakewarden::report::Report;
use lakewarden::runtime::{Ctx, HandlerError};
use lakewarden::AwsError;
use serde_json::Value;

use crate::ext::Ext;
use crate::plan::Observed;

pub const FUNCTION: &str = "integration-monitor";

pub struct IntegrationMonitor;

impl Reconciler for IntegrationMonitor {
    type Scope = ();
    type Observed = Observed;
    type Ext = Ext;

    fn name(&self) -> &'static str {
        FUNCTION
    }

    fn trigger(&self, cfg: &Config, event: &Value) -> Result<Trigger<()>, HandlerError> {
        Config::require(&cfg.integrations, "integrations")?;
        Ok(trigger::trigger(event)?)
    }

    fn resource(&self, _scope: &()) -> String {
        "zero-ETL integrations".into()
    }

    async fn observe(&self, ctx: &Ctx, _scope: &(), _round: usize) -> Result<Observed, AwsError> {
        let cfg = Config::require(&ctx.config.integrations, "integrations")
            .map_err(|e| AwsError::local(LocalKind::NotConfigured, e.to_string()))?;
        observe::observe(&ctx.aws, cfg).await
    }

    fn observe_remedy(&self, _round: usize) -> String {
        "Check glue:DescribeIntegrations/DescribeInboundIntegrations and dynamodb:Scan on the state table (integrations.state_table)".into()
    }

    fn plan(&self, cfg: &Config, _scope: &(), observed: &Observed, _round: usize) -> Plan<Ext> {
        match &cfg.integrations {
            Some(i) => plan::plan(i, observed),
            None => Plan::default(),
        }
    }
}

/// Handle one scheduled event.
pub async fn handle(ctx: &Ctx, event: Value) -> Result<Report, HandlerError> {
    reconcile::run(&IntegrationMonitor, ctx, event).await
}
