//! `integration-doctor`: checks every zero-ETL prerequisite of seeds 000/001 on the side this
//! account owns, fixes what it may (`integrations.fix`), shares the target database's tables
//! when an integration becomes ACTIVE (catalog-sharer's code), and alerts on FAILED /
//! NEEDS_ATTENTION with the errors, the findings, what it fixed and what a person must do.

pub mod apply;
pub mod observe;
pub mod plan;

use lakewarden::config::Config;
use lakewarden::report::Report;
use lakewarden::runtime::{finish, Ctx, HandlerError};
use serde_json::{json, Value};

use crate::plan::{status_advice, Trigger};

pub const FUNCTION: &str = "integration-doctor";

fn database_of(target_arn: &str) -> Option<&str> {
    target_arn
        .split(":database/")
        .nth(1)
        .map(|d| d.split('/').next().unwrap_or(d))
}

pub async fn handle(ctx: &Ctx, event: Value) -> Result<Report, HandlerError> {
    let cfg = Config::require(&ctx.config.integrations, "integrations")?;
    let trigger = plan::trigger(&event)?;
    let (mut report, since) = ctx.begin(FUNCTION);
    let resource = match &trigger {
        Trigger::State(s) => s
            .integration_name
            .clone()
            .unwrap_or_else(|| s.integration_arn.clone()),
        _ => "zero-ETL prerequisites".to_string(),
    };
    let observed = match observe::observe(&ctx.aws, cfg).await {
        Ok(o) => o,
        Err(e) => {
            report.push_failed("observe", resource.clone(), e.to_string(), "Check the function's read permissions (Glue integrations and resource policy, DynamoDB, IAM)");
            return finish(ctx, report, &since, &resource, &[]).await;
        }
    };
    let checks = plan::checks(cfg, &observed);
    let (mut attention, fixed) =
        apply::apply(&ctx.aws, &checks, cfg.fix, ctx.config.dry_run, &mut report).await;

    if let Trigger::State(s) = &trigger {
        report.note(json!({"integration": s.integration_arn, "status": s.status, "previousStatus": s.previous_status}));
        if s.status == "ACTIVE" && s.previous_status.as_deref() != Some("ACTIVE") {
            share_on_active(ctx, s, &mut report).await;
        }
        if s.status == "FAILED" || s.status == "NEEDS_ATTENTION" {
            let was = match &s.previous_status {
                Some(p) => format!("was {p}"),
                None => "first seen by integration-monitor".into(),
            };
            let mut msg = format!(
                "Zero-ETL integration {} ({} side) is {} ({was}).\nSource: {}\nTarget: {}\n",
                s.integration_name
                    .clone()
                    .unwrap_or_else(|| s.integration_arn.clone()),
                s.side,
                s.status,
                s.source_arn,
                s.target_arn
            );
            for e in &s.errors {
                msg.push_str(&format!(
                    "AWS error: {} {}\n",
                    e["code"].as_str().unwrap_or_default(),
                    e["message"].as_str().unwrap_or_default()
                ));
            }
            let failed: Vec<String> = checks
                .iter()
                .filter(|c| c.verdict != plan::Verdict::Ok)
                .map(|c| format!("- {} {}: {}", c.name, c.target, c.detail))
                .collect();
            if failed.is_empty() {
                msg.push_str(
                    "Every prerequisite on this side holds; check the other account's side.\n",
                );
            } else {
                msg.push_str(&format!(
                    "Failed checks on this side:\n{}\n",
                    failed.join("\n")
                ));
            }
            if !fixed.is_empty() {
                msg.push_str(&format!("Fixed now:\n- {}\n", fixed.join("\n- ")));
            }
            msg.push_str(status_advice(&s.status));
            attention.insert(0, msg);
        }
    }
    finish(ctx, report, &since, &resource, &attention).await
}

/// On a change to ACTIVE, share the target database's tables like catalog-sharer does.
async fn share_on_active(ctx: &Ctx, s: &plan::StateChange, report: &mut Report) {
    let Some(producer) = &ctx.config.producer else {
        return;
    };
    let Some(db) = database_of(&s.target_arn) else {
        return;
    };
    if plan::account_of(&s.target_arn) != ctx.aws.account_id().await.unwrap_or_default() {
        return;
    }
    if catalog_sharer::plan::shares_for(producer, db).is_empty() {
        report.note(
            json!({"not_shared": db, "reason": "the target database is not in producer.shares"}),
        );
        return;
    }
    let scope = catalog_sharer::plan::Scope::Databases([db.to_string()].into());
    match catalog_sharer::observe::observe(&ctx.aws, producer, &scope).await {
        Ok(obs) => {
            let p = catalog_sharer::plan::plan(producer, &obs);
            catalog_sharer::apply::apply(&ctx.aws, &obs.catalog_id, &p, ctx.config.dry_run, report)
                .await;
        }
        Err(e) => report.push_failed(
            "observe",
            format!("database {db}"),
            e.to_string(),
            "Check the function's Glue and Lake Formation read permissions",
        ),
    }
}
