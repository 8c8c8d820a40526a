//! `catalog-sharer`: new Glue tables are shared with consumer accounts by themselves
//! (producer side of scenario S2). observe → plan → apply → report.

pub mod apply;
pub mod observe;
pub mod plan;

use lakewarden::config::Config;
use lakewarden::report::Report;
use lakewarden::runtime::{finish, Ctx, HandlerError};
use serde_json::{json, Value};

use crate::plan::{Scope, Trigger};

pub const FUNCTION: &str = "catalog-sharer";

/// Handle one event (Glue catalog change or scheduled reconcile).
pub async fn handle(ctx: &Ctx, event: Value) -> Result<Report, HandlerError> {
    let producer = Config::require(&ctx.config.producer, "producer")?;
    let trigger = plan::trigger(&event, producer)?;
    let (mut report, since) = ctx.begin(FUNCTION);
    let scope = match trigger {
        Trigger::Ignore(why) => {
            tracing::info!(reason = %why, "event ignored");
            report.note(json!({"ignored": why}));
            return finish(ctx, report, &since, "event", &[]).await;
        }
        Trigger::Run(scope) => scope,
    };
    let resource = match &scope {
        Scope::All => "scheduled reconcile".to_string(),
        Scope::Databases(dbs) => dbs.iter().cloned().collect::<Vec<_>>().join(", "),
    };
    let observed = match observe::observe(&ctx.aws, producer, &scope).await {
        Ok(o) => o,
        Err(e) => {
            report.push_failed(
                "observe",
                resource.clone(),
                e.to_string(),
                "The function could not read the current state; check its role's Glue, Lake Formation, S3 and RAM read permissions",
            );
            return finish(ctx, report, &since, &resource, &[]).await;
        }
    };
    let plan = plan::plan(producer, &observed);
    apply::apply(
        &ctx.aws,
        &observed.catalog_id,
        &plan,
        ctx.config.dry_run,
        &mut report,
    )
    .await;
    // What lakewarden cannot do itself (e.g. a bucket owned by another account) needs a person.
    let attention: Vec<String> = plan
        .skipped
        .iter()
        .map(|s| match &s.remedy {
            Some(r) => format!("{} {}: {}. {}", s.action, s.target, s.reason, r),
            None => format!("{} {}: {}", s.action, s.target, s.reason),
        })
        .collect();
    finish(ctx, report, &since, &resource, &attention).await
}
