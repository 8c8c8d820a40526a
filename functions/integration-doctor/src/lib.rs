//! `integration-doctor`: checks every zero-ETL prerequisite of seeds 000/001 on the side this
//! account owns, fixes what it may (`integrations.fix`), shares the target database's tables
//! when an integration becomes ACTIVE (`lakewarden::sharing`), and alerts on FAILED /
//! NEEDS_ATTENTION with the errors, the findings, what it fixed and what a person must do.

pub mod ext;
pub mod observe;
pub mod plan;
pub mod trigger;

use lakewarden::config::Config;
use lakewarden::reconcile::{self, Plan, Reconciler, Trigger};
use lakewarden::report::Report;
use lakewarden::runtime::{Ctx, HandlerError};
use lakewarden::AwsError;
use serde_json::Value;

use crate::ext::Ext;
use crate::plan::Observed;
use crate::trigger::Scope;

pub const FUNCTION: &str = "integration-doctor";

pub struct IntegrationDoctor;

impl Reconciler for IntegrationDoctor {
    type Scope = Scope;
    type Observed = Observed;
    type Ext = Ext;

    fn name(&self) -> &'static str {
        FUNCTION
    }

    fn trigger(&self, cfg: &Config, event: &Value) -> Result<Trigger<Scope>, HandlerError> {
        Config::require(&cfg.integrations, "integrations")?;
        Ok(trigger::trigger(event)?)
    }

    fn resource(&self, scope: &Scope) -> String {
        match scope {
            Scope::State(s) => s.name(),
            _ => "zero-ETL prerequisites".into(),
        }
    }

    fn rounds(&self) -> usize {
        2
    }

    async fn observe(&self, ctx: &Ctx, scope: &Scope, round: usize) -> Result<Observed, AwsError> {
        let cfg = Config::require(&ctx.config.integrations, "integrations")
            .map_err(|e| AwsError::new(None, e.to_string()))?;
        Ok(match round {
            0 => Observed::Diagnosis(Box::new(observe::diagnosis(&ctx.aws, cfg).await?)),
            _ => observe::share(&ctx.aws, &ctx.config, scope).await?,
        })
    }

    fn observe_remedy(&self, round: usize) -> String {
        match round {
            0 => "Check the function's read permissions (Glue integrations and resource policy, DynamoDB, IAM)".into(),
            _ => "Check the function's Glue and Lake Formation read permissions, and that lakewarden's state table (`state_table`, default lakewarden-state; infra/state-table.yaml) exists and the role may dynamodb:Scan/PutItem on it: integration-doctor keeps its ledger of what it granted when sharing there".into(),
        }
    }

    fn plan(&self, cfg: &Config, scope: &Scope, observed: &Observed, _round: usize) -> Plan<Ext> {
        plan::plan(cfg, scope, observed)
    }

    fn attention(&self, scope: &Scope, _observed: &[Observed], report: &Report) -> Vec<String> {
        match scope {
            Scope::State(s) => plan::alert::status_alert(s, report).into_iter().collect(),
            _ => Vec::new(),
        }
    }
}

/// Handle one event (state change, CloudTrail call or scheduled reconcile).
pub async fn handle(ctx: &Ctx, event: Value) -> Result<Report, HandlerError> {
    reconcile::run(&IntegrationDoctor, ctx, event).await
}
