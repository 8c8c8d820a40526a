//! `datazone-subscriber`: DataZone environments and subscriptions over existing S3 buckets work
//! without hand fixes (scenario S4). Environment deployments get Lake Formation location
//! registration, DATA_LOCATION_ACCESS, grants and the role's inline policy (the boundary is never
//! removed; it is evaluated, and with `boundary_copy` a widened copy is attached when it fits
//! IAM's size limit). Subscription grants for the targets lakewarden fulfils get LF access, a
//! table link across accounts and S3 read, and DataZone is told GRANTED / GRANT_FAILED; revokes
//! undo exactly that.

pub mod apply;
pub mod observe;
pub mod plan;

use lakewarden::config::Config;
use lakewarden::report::Report;
use lakewarden::runtime::{finish, Ctx, HandlerError};
use serde_json::{json, Value};

use crate::plan::{Kind, Trigger};

pub const FUNCTION: &str = "datazone-subscriber";

pub async fn handle(ctx: &Ctx, event: Value) -> Result<Report, HandlerError> {
    let cfg = Config::require(&ctx.config.datazone, "datazone")?;
    let trigger = plan::trigger(&event, cfg)?;
    let (mut report, since) = ctx.begin(FUNCTION);
    let req = match trigger {
        Trigger::Ignore(why) => {
            report.note(json!({"ignored": why}));
            return finish(ctx, report, &since, "event", &[]).await;
        }
        Trigger::Run(r) => r,
    };
    let dry_run = ctx.config.dry_run;
    let account = ctx.aws.account_id().await.unwrap_or_default();
    let resource = match req.kind {
        Kind::EnvironmentDeployed => format!("environment {}", req.id),
        _ => format!("subscription grant {}", req.id),
    };
    let plan = match req.kind {
        Kind::EnvironmentDeployed => observe::environment(&ctx.aws, cfg, &req)
            .await
            .map(|o| plan::plan_environment(cfg, &o)),
        Kind::GrantRequested | Kind::Revoke => {
            let target = match observe::target(&ctx.aws, &req).await {
                Ok(t) => t,
                Err(e) => {
                    report.push_failed(
                        "observe",
                        resource.clone(),
                        e.to_string(),
                        "Check datazone:GetSubscriptionTarget for the function's role",
                    );
                    return finish(ctx, report, &since, &resource, &[]).await;
                }
            };
            if !cfg
                .fulfil_targets
                .iter()
                .any(|f| *f == target.id || *f == target.target_type || *f == target.name)
            {
                report.note(json!({"ignored": format!("subscription target {} ({}) is not in datazone.fulfil_targets", target.id, target.target_type)}));
                return finish(ctx, report, &since, &resource, &[]).await;
            }
            observe::grant(&ctx.aws, &req, &target).await.map(|o| {
                if req.kind == Kind::GrantRequested {
                    plan::plan_grant(cfg, &o)
                } else {
                    plan::plan_revoke(cfg, &o)
                }
            })
        }
    };
    let plan = match plan {
        Ok(p) => p,
        Err(e) => {
            report.push_failed("observe", resource.clone(), e.to_string(), "Check the environment, listing and target in DataZone, and the function's read permissions");
            return finish(ctx, report, &since, &resource, &[]).await;
        }
    };
    apply::apply(&ctx.aws, &account, &req.domain, &plan, dry_run, &mut report).await;
    finish(ctx, report, &since, &resource, &plan.attention).await
}
