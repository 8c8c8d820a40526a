//! Read the consumer account's state once.

use std::collections::BTreeMap;

use lakewarden::aws::{glue, iam, lakeformation, ram, Aws, AwsResult};
use lakewarden::config::Consumer;
use lakewarden::policy;

use crate::plan::{Observed, POLICY_NAME};

pub async fn invitations(aws: &Aws) -> AwsResult<Vec<ram::Invitation>> {
    ram::list_invitations(&aws.ram).await
}

pub async fn observe(aws: &Aws, cfg: &Consumer) -> AwsResult<Observed> {
    let account = aws.account_id().await?;
    let foreign: Vec<_> = glue::get_foreign_databases(&aws.glue)
        .await?
        .into_iter()
        .filter(|d| {
            d.catalog_id
                .as_deref()
                .is_some_and(|c| c != account && cfg.trusted_producers.iter().any(|t| t == c))
        })
        .collect();
    let own = glue::get_databases(&aws.glue, None)
        .await?
        .into_iter()
        .filter(|d| d.catalog_id.as_deref().is_none_or(|c| c == account))
        .map(|d| (d.name.clone(), d))
        .collect();
    let mut tables = BTreeMap::new();
    for link in cfg.links.iter().filter(|l| l.s3_read_policy) {
        for d in &foreign {
            let producer = d.catalog_id.clone().unwrap_or_default();
            let m = globset::Glob::new(&link.database)
                .map(|g| g.compile_matcher().is_match(&d.name))
                .unwrap_or(false);
            if producer == link.producer
                && m
                && !tables.contains_key(&(producer.clone(), d.name.clone()))
            {
                let t = glue::get_tables(&aws.glue, Some(&producer), &d.name).await?;
                tables.insert((producer, d.name.clone()), t);
            }
        }
    }
    let permissions = lakeformation::list_permissions(&aws.lakeformation, &account).await?;
    let mut role_policies = BTreeMap::new();
    for role in cfg.links.iter().flat_map(|l| l.roles.iter()) {
        if role_policies.contains_key(role) || role.split(':').nth(4) != Some(account.as_str()) {
            continue;
        }
        let doc = iam::get_role_policy(&aws.iam, iam::role_name(role), POLICY_NAME)
            .await?
            .map(|t| policy::parse_document(&t))
            .transpose()
            .map_err(|e| {
                lakewarden::AwsError::new(Some("MalformedPolicyDocument"), e.to_string())
            })?;
        role_policies.insert(role.clone(), doc);
    }
    Ok(Observed {
        account,
        foreign,
        own,
        tables,
        permissions,
        role_policies,
    })
}
