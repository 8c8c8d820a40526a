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

use lakewarden::aws::datazone;
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
    let mut attention = Vec::new();
    let (requests, resource) = match trigger {
        Trigger::Ignore(why) => {
            report.note(json!({"ignored": why}));
            return finish(ctx, report, &since, "event", &[]).await;
        }
        Trigger::Run(r) => {
            let resource = match r.kind {
                Kind::EnvironmentDeployed => format!("environment {}", r.id),
                _ if r.by_subscription => format!("subscription {}", r.id),
                _ => format!("subscription grant {}", r.id),
            };
            (subscription_grants(ctx, r, &mut report).await, resource)
        }
        Trigger::Reconcile => (
            reconcile_requests(ctx, cfg, &mut report).await,
            "scheduled reconcile".to_string(),
        ),
    };
    for req in &requests {
        run_request(ctx, cfg, req, &mut report, &mut attention).await;
    }
    finish(ctx, report, &since, &resource, &attention).await
}

/// A `Subscription Revoked` / `Cancelled` event whose id is not a grant stands for the grants of
/// that listing to that target.
async fn subscription_grants(
    ctx: &Ctx,
    r: plan::Request,
    report: &mut Report,
) -> Vec<plan::Request> {
    if !r.by_subscription {
        return vec![r];
    }
    match datazone::grant_assets(&ctx.aws.datazone, &r.domain, &r.id).await {
        Ok(_) => vec![r],
        Err(e) if e.is_not_found() => {
            let target = r.target.clone().map(|t| t.0).unwrap_or_default();
            match datazone::list_target_grants(&ctx.aws.datazone, &r.domain, &target).await {
                Ok(grants) => {
                    let found = plan::grants_of_subscription(&r, &grants);
                    if found.is_empty() {
                        report.note(json!({"ignored": format!("subscription {}: no grant of its listing to target {target}", r.id)}));
                    }
                    found
                }
                Err(e) => {
                    report.push_failed(
                        "observe",
                        format!("subscription {}", r.id),
                        e.to_string(),
                        "Check datazone:ListSubscriptionGrants for the function's role",
                    );
                    vec![]
                }
            }
        }
        Err(e) => {
            report.push_failed(
                "observe",
                format!("subscription {}", r.id),
                e.to_string(),
                "Check datazone:GetSubscriptionGrant for the function's role",
            );
            vec![]
        }
    }
}

/// Every environment of the configured domains, and every grant still pending.
async fn reconcile_requests(
    ctx: &Ctx,
    cfg: &lakewarden::config::DataZone,
    report: &mut Report,
) -> Vec<plan::Request> {
    let mut out = Vec::new();
    for domain in &cfg.domains {
        match datazone::list_environment_ids(&ctx.aws.datazone, domain).await {
            Ok(envs) => out.extend(envs.into_iter().map(|id| plan::Request {
                kind: Kind::EnvironmentDeployed,
                domain: domain.clone(),
                id,
                listing: None,
                target: None,
                by_subscription: false,
            })),
            Err(e) => report.push_failed(
                "observe",
                format!("domain {domain} environments"),
                e.to_string(),
                "Check datazone:ListProjects/ListEnvironments for the function's role",
            ),
        }
        match datazone::list_subscription_grants(&ctx.aws.datazone, domain).await {
            Ok(grants) => out.extend(
                grants
                    .iter()
                    .filter_map(|g| plan::pending_request(domain, g)),
            ),
            Err(e) => report.push_failed(
                "observe",
                format!("domain {domain} subscription grants"),
                e.to_string(),
                "Check datazone:ListSubscriptionGrants for the function's role",
            ),
        }
    }
    out
}

async fn run_request(
    ctx: &Ctx,
    cfg: &lakewarden::config::DataZone,
    req: &plan::Request,
    report: &mut Report,
    attention: &mut Vec<String>,
) {
    let dry_run = ctx.config.dry_run;
    let account = ctx.aws.account_id().await.unwrap_or_default();
    let resource = match req.kind {
        Kind::EnvironmentDeployed => format!("environment {}", req.id),
        _ => format!("subscription grant {}", req.id),
    };
    let plan = match req.kind {
        Kind::EnvironmentDeployed => observe::environment(&ctx.aws, cfg, req)
            .await
            .map(|o| plan::plan_environment(cfg, &o)),
        Kind::GrantRequested | Kind::Revoke => {
            let target = match observe::target(&ctx.aws, req).await {
                Ok(t) => t,
                Err(e) => {
                    report.push_failed(
                        "observe",
                        resource,
                        e.to_string(),
                        "Check datazone:GetSubscriptionTarget for the function's role",
                    );
                    return;
                }
            };
            if !cfg
                .fulfil_targets
                .iter()
                .any(|f| *f == target.id || *f == target.target_type || *f == target.name)
            {
                report.note(json!({"ignored": format!("subscription target {} ({}) is not in datazone.fulfil_targets", target.id, target.target_type)}));
                return;
            }
            match observe::grant(&ctx.aws, req, &target).await {
                Ok(o) if req.kind == Kind::GrantRequested => Ok(plan::plan_grant(cfg, &o)),
                Ok(o) => Ok(plan::plan_revoke(cfg, &o)),
                // The environment lives in another account: that account's datazone-subscriber
                // fulfils it.
                Err(e) if e.is_code("OtherAccount") => Err(e),
                Err(e) if plan::permanent(&e) => {
                    match datazone::grant_assets(&ctx.aws.datazone, &req.domain, &req.id).await {
                        Ok(assets) => Ok(plan::plan_failed(
                            &req.kind,
                            &req.id,
                            &assets,
                            &e.to_string(),
                        )),
                        Err(e2) => Err(e2),
                    }
                }
                Err(e) => Err(e),
            }
        }
    };
    match plan {
        Ok(p) => {
            apply::apply(&ctx.aws, &account, &req.domain, &p, dry_run, report).await;
            attention.extend(p.attention);
        }
        Err(e) if e.is_code("OtherAccount") => {
            report.note(json!({"skipped": resource, "reason": e.to_string()}));
        }
        Err(e) => report.push_failed("observe", resource, e.to_string(), "Check the environment, listing and target in DataZone, and the function's read permissions"),
    }
}
