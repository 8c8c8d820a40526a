//! Read the prerequisites of the configured sources and targets (round 0), and the sharing
//! state of a target database that became ACTIVE (round 1). Decides nothing.

use lakewarden::arn;
use lakewarden::aws::{
    dynamodb, glue, glue_integrations, glue_policy, iam, Aws, AwsError, AwsResult,
};
use lakewarden::config::{Config, Integrations};
use lakewarden::policy;
use lakewarden::sharing;
use serde_json::Value;

use crate::plan::share::database_of;
use crate::plan::{Diagnosis, Observed, SourceObs, TargetObs, ROLE_POLICY};
use crate::trigger::Scope;

fn doc(text: &str, what: &str) -> AwsResult<Value> {
    policy::parse_document(text).map_err(|e| {
        AwsError::local(lakewarden::aws::LocalKind::MalformedPolicy, e.to_string())
            .on(what.to_string())
    })
}

pub async fn diagnosis(aws: &Aws, cfg: &Integrations) -> AwsResult<Diagnosis> {
    let account = aws.account_id().await?;
    let mut integrations = glue_integrations::describe_integrations(&aws.glue).await?;
    integrations.extend(glue_integrations::describe_inbound_integrations(&aws.glue).await?);
    let mut sources = Vec::new();
    for s in &cfg.sources {
        let table_arn = dynamodb::table_arn(&aws.dynamodb, &s.table).await?;
        let (pitr, policy) = match &table_arn {
            Some(arn) => (
                dynamodb::pitr_enabled(&aws.dynamodb, &s.table).await?,
                match dynamodb::get_resource_policy(&aws.dynamodb, arn).await? {
                    Some((text, rev)) => Some((doc(&text, arn)?, rev)),
                    None => None,
                },
            ),
            None => (false, None),
        };
        sources.push(SourceObs {
            table: s.table.clone(),
            table_arn,
            pitr,
            policy,
        });
    }
    let catalog_policy = if cfg.targets.is_empty() {
        None
    } else {
        match glue_policy::get_catalog_policy(&aws.glue).await? {
            Some((text, hash)) => Some((doc(&text, "Glue Data Catalog resource policy")?, hash)),
            None => None,
        }
    };
    let mut targets = Vec::new();
    for t in &cfg.targets {
        let db = glue::get_database(&aws.glue, None, &t.database).await?;
        let db_arn = arn::glue_database(&aws.region, &account, &t.database);
        let property_role = glue_integrations::get_target_role(&aws.glue, &db_arn).await?;
        let role_name = iam::role_name(&t.target_role_arn);
        let role = if arn::account_of(&t.target_role_arn) == account {
            iam::get_role(&aws.iam, role_name).await?
        } else {
            None
        };
        let mut role_statements = Vec::new();
        let mut our_role_policy = None;
        if role.is_some() {
            for name in iam::list_role_policies(&aws.iam, role_name).await? {
                if let Some(text) = iam::get_role_policy(&aws.iam, role_name, &name).await? {
                    let d = doc(&text, &format!("{} policy {name}", t.target_role_arn))?;
                    role_statements.extend(policy::statements(&d));
                    if name == ROLE_POLICY {
                        our_role_policy = Some(d);
                    }
                }
            }
            for arn in iam::list_attached_role_policies(&aws.iam, role_name).await? {
                if let Some(p) = iam::get_managed_policy(&aws.iam, &arn).await? {
                    role_statements.extend(policy::statements(&doc(&p.document, &arn)?));
                }
            }
        }
        targets.push(TargetObs {
            database: t.database.clone(),
            db,
            property_role,
            role,
            role_statements,
            our_role_policy,
        });
    }
    Ok(Diagnosis {
        account,
        region: aws.region.clone(),
        catalog_policy,
        sources,
        targets,
        integrations,
    })
}

/// Round 1: only a change to ACTIVE whose target database is in this account is shared. The
/// event is a hint: the integration is re-read (`DescribeInboundIntegrations`) and shared only
/// when it is ACTIVE now, and then on its own target ARN, never the event's.
pub async fn share(aws: &Aws, cfg: &Config, scope: &Scope) -> AwsResult<Observed> {
    if *scope == Scope::Schedule {
        return scheduled_share(aws, cfg).await;
    }
    let Scope::State(s) = scope else {
        return Ok(Observed::Skip);
    };
    // What the event claims only decides to look (never to share).
    if !s.became_active() || database_of(&s.target_arn).is_none() {
        return Ok(Observed::Skip);
    }
    let account = aws.account_id().await?;
    if arn::account_of(&s.target_arn) != account {
        return Ok(Observed::Skip);
    }
    let not_shared = |reason: String| {
        tracing::warn!(integration = %s.integration_arn, %reason, "ACTIVE event not acted on");
        Ok(Observed::NotShared {
            integration: s.integration_arn.clone(),
            reason,
        })
    };
    let Some(now) =
        glue_integrations::describe_inbound_integration(&aws.glue, &s.integration_arn).await?
    else {
        return not_shared(
            "the event says ACTIVE, but DescribeInboundIntegrations does not list the integration in this account (deleted, or targeting another account): nothing shared".into(),
        );
    };
    if now.status != "ACTIVE" {
        return not_shared(format!(
            "the event says ACTIVE, but DescribeInboundIntegrations says {}: nothing shared until it is ACTIVE (the next event or scheduled run)",
            now.status
        ));
    }
    let Some(database) =
        database_of(&now.target_arn).filter(|_| arn::account_of(&now.target_arn) == account)
    else {
        return not_shared(format!(
            "the integration's target is {}, not a Glue database of this account: nothing shared",
            now.target_arn
        ));
    };
    if now.target_arn != s.target_arn {
        tracing::warn!(event = %s.target_arn, integration = %now.target_arn, "the event's target ARN is not the integration's; the integration's is used");
    }
    let observed = match &cfg.producer {
        Some(producer) if !sharing::shares_for(producer, &database).is_empty() => {
            let scope = sharing::Scope::Databases([database.clone()].into());
            Some(Box::new(
                sharing::observe_with_ledger(aws, producer, &scope, Some(&ledger(aws, cfg)))
                    .await?,
            ))
        }
        _ => None,
    };
    Ok(Observed::Share { database, observed })
}

/// integration-doctor's ledger of what it granted when sharing target databases (issue 11 §5),
/// in the configured state table: a consumer removed from `producer.shares` loses exactly what
/// integration-doctor granted it, never a person's grant nor catalog-sharer's.
fn ledger(aws: &Aws, cfg: &Config) -> lakewarden::ledger::Ledger {
    lakewarden::ledger::Ledger::for_config(aws, cfg, crate::FUNCTION)
}

/// Round 1 of a scheduled run: the sharing of every target database of this account whose
/// inbound integration is ACTIVE now (`DescribeInboundIntegrations`) is reconciled with the
/// ledger — what is missing is granted, and what integration-doctor granted to a consumer the
/// configuration no longer names is revoked. A database whose integration is not ACTIVE is not
/// shared (the same rule as the state-change event). Without `producer`, nothing is read.
async fn scheduled_share(aws: &Aws, cfg: &Config) -> AwsResult<Observed> {
    let Some(producer) = &cfg.producer else {
        return Ok(Observed::Skip);
    };
    let account = aws.account_id().await?;
    let databases: std::collections::BTreeSet<String> =
        glue_integrations::describe_inbound_integrations(&aws.glue)
            .await?
            .into_iter()
            .filter(|i| i.status == "ACTIVE" && arn::account_of(&i.target_arn) == account)
            .filter_map(|i| database_of(&i.target_arn))
            .collect();
    if databases.is_empty() {
        return Ok(Observed::Skip);
    }
    let database = databases.iter().cloned().collect::<Vec<_>>().join(", ");
    let scope = sharing::Scope::Databases(databases);
    let observed =
        sharing::observe_with_ledger(aws, producer, &scope, Some(&ledger(aws, cfg))).await?;
    Ok(Observed::Share {
        database,
        observed: Some(Box::new(observed)),
    })
}
