//! Read the prerequisites of the configured sources and targets, once.

use lakewarden::aws::{
    dynamodb, glue, glue_integrations, glue_policy, iam, Aws, AwsError, AwsResult,
};
use lakewarden::config::Integrations;
use lakewarden::policy;
use serde_json::Value;

use crate::plan::{Observed, SourceObs, TargetObs, ROLE_POLICY};

fn doc(text: &str) -> AwsResult<Value> {
    policy::parse_document(text).map_err(|e| AwsError::new(Some("MalformedPolicy"), e.to_string()))
}

pub async fn observe(aws: &Aws, cfg: &Integrations) -> AwsResult<Observed> {
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
                    Some((text, rev)) => Some((doc(&text)?, rev)),
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
            Some((text, hash)) => Some((doc(&text)?, hash)),
            None => None,
        }
    };
    let mut targets = Vec::new();
    for t in &cfg.targets {
        let db = glue::get_database(&aws.glue, None, &t.database).await?;
        let db_arn = format!(
            "arn:aws:glue:{}:{account}:database/{}",
            aws.region, t.database
        );
        let property_role = glue_integrations::get_target_role(&aws.glue, &db_arn).await?;
        let role_name = iam::role_name(&t.target_role_arn);
        let role = if t.target_role_arn.split(':').nth(4) == Some(account.as_str()) {
            iam::get_role(&aws.iam, role_name).await?
        } else {
            None
        };
        let mut role_statements = Vec::new();
        let mut our_role_policy = None;
        if role.is_some() {
            for name in iam::list_role_policies(&aws.iam, role_name).await? {
                if let Some(text) = iam::get_role_policy(&aws.iam, role_name, &name).await? {
                    let d = doc(&text)?;
                    role_statements.extend(policy::statements(&d));
                    if name == ROLE_POLICY {
                        our_role_policy = Some(d);
                    }
                }
            }
            for arn in iam::list_attached_role_policies(&aws.iam, role_name).await? {
                if let Some(p) = iam::get_managed_policy(&aws.iam, &arn).await? {
                    role_statements.extend(policy::statements(&doc(&p.document)?));
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
    Ok(Observed {
        account,
        region: aws.region.clone(),
        catalog_policy,
        sources,
        targets,
        integrations,
    })
}
