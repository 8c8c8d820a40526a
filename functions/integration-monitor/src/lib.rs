//! `integration-monitor`: AWS Glue sends no event when a zero-ETL integration changes state, so
//! this function polls both sides (`DescribeIntegrations`, `DescribeInboundIntegrations`),
//! compares with the last status it recorded, and publishes `lakewarden` /
//! `Zero-ETL Integration State Change` for each change. The record is written conditionally
//! before the event is published, so two overlapping runs publish a transition once.

pub mod plan;

use std::collections::BTreeMap;

use lakewarden::aws::{eventbridge, glue_integrations, AwsResult};
use lakewarden::config::Config;
use lakewarden::report::{Outcome, Report};
use lakewarden::runtime::{finish, Ctx, HandlerError};
use lakewarden::state::StateStore;
use serde_json::{json, Value};

use crate::plan::{Side, EVENT_DETAIL_TYPE, EVENT_SOURCE};

pub const FUNCTION: &str = "integration-monitor";
const PUBLISH: &str = "events.put_event";

async fn observe(
    ctx: &Ctx,
    store: &StateStore,
) -> AwsResult<(
    Vec<(Side, glue_integrations::IntegrationInfo)>,
    BTreeMap<String, lakewarden::state::Record>,
)> {
    let mut seen: Vec<_> = glue_integrations::describe_integrations(&ctx.aws.glue)
        .await?
        .into_iter()
        .map(|i| (Side::Source, i))
        .collect();
    seen.extend(
        glue_integrations::describe_inbound_integrations(&ctx.aws.glue)
            .await?
            .into_iter()
            .map(|i| (Side::Target, i)),
    );
    let state = store
        .scan_prefix("integration#")
        .await?
        .into_iter()
        .collect();
    Ok((seen, state))
}

pub async fn handle(ctx: &Ctx, event: Value) -> Result<Report, HandlerError> {
    let cfg = Config::require(&ctx.config.integrations, "integrations")?;
    plan::require_schedule(&event)?;
    let (mut report, since) = ctx.begin(FUNCTION);
    let store = StateStore::new(ctx.aws.dynamodb.clone(), cfg.state_table.clone());
    let (seen, state) = match observe(ctx, &store).await {
        Ok(o) => o,
        Err(e) => {
            report.push_failed("observe", "integrations", e.to_string(), format!("Check glue:DescribeIntegrations/DescribeInboundIntegrations and read access to the state table {}", cfg.state_table));
            return finish(ctx, report, &since, "zero-ETL integrations", &[]).await;
        }
    };
    let p = plan::plan(&seen, &state);
    for u in &p.unchanged {
        report.push(PUBLISH, u.clone(), Outcome::Already);
    }
    for t in &p.transitions {
        if ctx.config.dry_run {
            report.push(PUBLISH, t.target(), Outcome::Planned);
            continue;
        }
        match store.put_if(&t.key, &t.record, t.expected_version).await {
            Ok(false) => {
                // Another run recorded (and publishes) this transition.
                report.push(PUBLISH, t.target(), Outcome::Already);
                continue;
            }
            Err(e) => {
                report.push_failed(
                    PUBLISH,
                    t.target(),
                    e.to_string(),
                    format!(
                        "Check dynamodb:PutItem on the state table {}",
                        cfg.state_table
                    ),
                );
                continue;
            }
            Ok(true) => {}
        }
        let published = eventbridge::put_event(
            &ctx.aws.eventbridge,
            &cfg.event_bus,
            EVENT_SOURCE,
            EVENT_DETAIL_TYPE,
            &t.detail.to_string(),
            std::slice::from_ref(&t.integration_arn),
        )
        .await;
        match published {
            Ok(()) => report.push(PUBLISH, t.target(), Outcome::Applied),
            Err(e) => {
                // Put the previous record back so the next run publishes the transition again.
                let next_version = t.expected_version.map(|v| v + 1).unwrap_or(1);
                let previous = t.previous.clone().unwrap_or(json!({"status": null}));
                let _ = store.put_if(&t.key, &previous, Some(next_version)).await;
                report.push_failed(PUBLISH, t.target(), e.to_string(), format!("Check events:PutEvents on the bus {}; the next run publishes this transition again", cfg.event_bus));
            }
        }
    }
    finish(ctx, report, &since, "zero-ETL integrations", &[]).await
}
