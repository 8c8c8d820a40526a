//! `share-linker`: the consumer side of a shared Glue catalog (scenario S2, steps 4, 5 and 7).
//! It accepts invitations from trusted producers, keeps a resource link per shared database,
//! grants this account's roles Lake Formation access, and keeps the roles' S3 read policy.
//! Invitations are handled first (observe → plan → apply), then the catalog (observe → plan →
//! apply), so that a share accepted in this run is linked in this run.

pub mod apply;
pub mod observe;
pub mod plan;

use lakewarden::config::Config;
use lakewarden::report::Report;
use lakewarden::runtime::{finish, Ctx, HandlerError};
use serde_json::Value;

pub const FUNCTION: &str = "share-linker";

pub async fn handle(ctx: &Ctx, event: Value) -> Result<Report, HandlerError> {
    let consumer = Config::require(&ctx.config.consumer, "consumer")?;
    let trigger = plan::trigger(&event)?;
    let (mut report, since) = ctx.begin(FUNCTION);
    let dry_run = ctx.config.dry_run;
    let resource = "shared catalogs";
    let mut attention = Vec::new();

    let invitations = match observe::invitations(&ctx.aws).await {
        Ok(i) => i,
        Err(e) => {
            report.push_failed(
                "observe",
                "RAM invitations",
                e.to_string(),
                "Check the function's ram:GetResourceShareInvitations permission",
            );
            return finish(ctx, report, &since, resource, &attention).await;
        }
    };
    let account = match ctx.aws.account_id().await {
        Ok(a) => a,
        Err(e) => {
            report.push_failed(
                "observe",
                "account",
                e.to_string(),
                "Check the function's credentials",
            );
            return finish(ctx, report, &since, resource, &attention).await;
        }
    };
    let inv_plan = plan::plan_invitations(consumer, &invitations, &trigger);
    apply::apply(&ctx.aws, &account, &inv_plan, dry_run, &mut report).await;
    attention.extend(inv_plan.attention.iter().cloned());

    let observed = match observe::observe(&ctx.aws, consumer).await {
        Ok(o) => o,
        Err(e) => {
            report.push_failed(
                "observe",
                resource,
                e.to_string(),
                "The function could not read the catalog; check its Glue, Lake Formation and IAM read permissions",
            );
            return finish(ctx, report, &since, resource, &attention).await;
        }
    };
    let plan = plan::plan(consumer, &observed);
    apply::apply(&ctx.aws, &account, &plan, dry_run, &mut report).await;
    attention.extend(plan.attention.iter().cloned());
    finish(ctx, report, &since, resource, &attention).await
}
