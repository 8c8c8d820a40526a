//! The reconcile core: the framework owns the loop, each function supplies its reconcile.
//!
//! ```text
//! event ─▶ trigger ─▶ scope ─▶ observe (adapters) ─▶ plan (pure) ─▶ apply (driver) ─▶ finish
//!            │                    ▲                                   │
//!            └─▶ Ignore(reason)   └────── next round (optional) ◀─────┘
//! ```
//!
//! A function implements [`Reconciler`]: `trigger` turns an event into a scope (or a reasoned
//! ignore, or a clear error for a malformed event — before anything is read), `observe` reads
//! the state through the adapters, `plan` is a pure function from configuration and observed
//! state to a [`Plan`] in the shared action vocabulary ([`Action`]). [`run`] does the rest:
//! account id, the apply driver (dry run, ordering, Lake Formation batching, "already"
//! normalisation, recording), and `finish` (API-call figures, alert, JSON log, error for Lambda).
//! The model is kube-runtime's `Controller::run(reconcile, error_policy, ctx)`.

pub mod action;
pub mod apply;
/// A pure model of the state and of the driver, for convergence property tests.
pub mod model;
pub mod policy_write;

use std::future::Future;

use serde_json::{json, Value};

use crate::aws::AwsError;
use crate::config::Config;
use crate::report::Report;
use crate::runtime::{finish, Ctx, HandlerError};

pub use action::{
    Action, ApplyState, Done, ExtAction, Failure, Link, NoExt, Phase, Plan, Skip, Step,
};
pub use policy_write::{PolicyTarget, PolicyWrite};

/// How many principals' access an alert explains at most.
pub const EXPLAIN_MAX: usize = 3;

/// What an event asks of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger<S> {
    Run(S),
    /// Nothing to do; the reason goes into the report.
    Ignore(String),
}

/// One lakewarden function: trigger, observe and a pure plan.
pub trait Reconciler: Send + Sync {
    type Scope: Send + Sync;
    type Observed: Send + Sync;
    type Ext: ExtAction;

    /// The function's name (report, alert subject, log).
    fn name(&self) -> &'static str;

    /// Event → scope, or a reasoned ignore; `Err` for a malformed or unsupported event or a
    /// configuration that lacks this function's section. Reads nothing.
    fn trigger(&self, cfg: &Config, event: &Value) -> Result<Trigger<Self::Scope>, HandlerError>;

    /// What this run is about, for the alert subject.
    fn resource(&self, scope: &Self::Scope) -> String;

    /// How many observe → plan → apply rounds a run takes (a later round sees what an earlier
    /// one changed, e.g. a share accepted in round 0 is linked in round 1).
    fn rounds(&self) -> usize {
        1
    }

    /// Read the state this round needs, through the adapters. Decides nothing.
    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        scope: &'a Self::Scope,
        round: usize,
    ) -> impl Future<Output = Result<Self::Observed, AwsError>> + Send + 'a;

    /// What to tell a person when `observe` fails in `round`.
    fn observe_remedy(&self, round: usize) -> String;

    /// Pure: configuration + observed state → plan.
    fn plan(
        &self,
        cfg: &Config,
        scope: &Self::Scope,
        observed: &Self::Observed,
        round: usize,
    ) -> Plan<Self::Ext>;

    /// (principal, table) pairs whose access this run failed to set up: when the report has
    /// failures, the alert carries `lakewarden explain`'s verdict and first failing step for
    /// each (at most [`EXPLAIN_MAX`]).
    fn explain_targets(
        &self,
        _cfg: &Config,
        _observed: &[Self::Observed],
        _report: &Report,
    ) -> Vec<(String, crate::explain::TableRef)> {
        Vec::new()
    }

    /// Anything a person must know once every round is applied (from the report's outcomes).
    fn attention(
        &self,
        _scope: &Self::Scope,
        _observed: &[Self::Observed],
        _report: &Report,
    ) -> Vec<String> {
        Vec::new()
    }

    /// Whether this event's writes repair drift (the `DriftRepaired` metric): by default those of
    /// a scheduled event. A function whose schedule hands its work on (catalog-sharer's fan-out
    /// enqueues, and its SQS messages do the schedule's repairs) says so here.
    fn repairs_drift(&self, event: &Value) -> bool {
        crate::events::envelope(event)
            .map(|e| crate::events::is_scheduled(&e))
            .unwrap_or(false)
    }
}

/// Run one event through a reconciler: the whole handler of a function.
pub async fn run<R: Reconciler>(r: &R, ctx: &Ctx, event: Value) -> Result<Report, HandlerError> {
    let trigger = r.trigger(&ctx.config, &event)?;
    let (mut report, since) = ctx.begin(r.name());
    report.scheduled = r.repairs_drift(&event);
    let scope = match trigger {
        Trigger::Ignore(why) => {
            tracing::info!(reason = %why, "event ignored");
            report.note(json!({ "ignored": why }));
            return finish(ctx, report, &since, "event", &[]).await;
        }
        Trigger::Run(scope) => scope,
    };
    let resource = r.resource(&scope);
    let catalog_id = match ctx.aws.account_id().await {
        Ok(a) => a,
        Err(e) => {
            report.push_failed(
                "observe",
                "account id (sts:GetCallerIdentity)",
                e.to_string(),
                "The function could not tell which account it runs in; check its credentials and STS endpoint",
            );
            return finish(ctx, report, &since, &resource, &[]).await;
        }
    };
    let mut attention = Vec::new();
    let mut observed_all = Vec::new();
    let mut removed = 0usize;
    for round in 0..r.rounds() {
        let observed = match r.observe(ctx, &scope, round).await {
            Ok(o) => o,
            Err(e) => {
                report.push_failed(
                    "observe",
                    resource.clone(),
                    e.to_string(),
                    r.observe_remedy(round),
                );
                return finish(ctx, report, &since, &resource, &attention).await;
            }
        };
        let mut plan = r.plan(&ctx.config, &scope, &observed, round);
        // max_removals_per_run counts the removals of the whole run (issue 11 §4).
        if plan.max_removals.is_none() {
            plan.max_removals = Some(ctx.config.max_removals(r.name()).saturating_sub(removed));
        }
        let applied = apply::apply(
            &ctx.aws,
            &catalog_id,
            &plan,
            ctx.config.dry_run,
            &mut report,
        )
        .await;
        if applied.attention.is_empty() {
            removed += plan.removals();
        }
        attention.extend(applied.attention);
        attention.extend(plan.attention);
        observed_all.push(observed);
        if report.incomplete {
            attention.push(
                "The run stopped before the invocation's deadline; the actions reported `skipped` (deadline) are done by the next run. If this repeats, raise the function's timeout or split the configuration.".to_string()
            );
            break;
        }
    }
    attention.extend(r.attention(&scope, &observed_all, &report));
    if !report.failures().is_empty() {
        for (principal, table) in r
            .explain_targets(&ctx.config, &observed_all, &report)
            .into_iter()
            .take(EXPLAIN_MAX)
        {
            let e = crate::explain::explain(&ctx.aws, None, &principal, &table).await;
            attention.push(e.summary());
        }
    }
    finish(ctx, report, &since, &resource, &attention).await
}
