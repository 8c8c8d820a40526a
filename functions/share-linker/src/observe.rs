//! Read the consumer account's state, once per round, through the adapters. Decides nothing.

use std::collections::BTreeMap;

use lakewarden::arn;
use lakewarden::aws::{glue, iam, lakeformation, ram, Aws, AwsError, AwsResult};
use lakewarden::config::Consumer;
use lakewarden::policy;

use crate::plan::{matches, Catalog, POLICY_NAME};

/// Round 0: every invitation this account received.
pub async fn invitations(aws: &Aws) -> AwsResult<Vec<ram::Invitation>> {
    ram::list_invitations(&aws.ram).await
}

/// Round 1: shared databases of trusted producers, this account's databases, the tables of the
/// shared databases a link entry reads, every grant, and the configured roles' inline policy.
pub async fn catalog(aws: &Aws, cfg: &Consumer) -> AwsResult<Catalog> {
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
            let key = (producer.clone(), d.name.clone());
            if matches(link, &producer, &d.name) && !tables.contains_key(&key) {
                let t = glue::get_tables(&aws.glue, Some(&producer), &d.name).await?;
                tables.insert(key, t);
            }
        }
    }
    let permissions = lakeformation::list_permissions(&aws.lakeformation, &account).await?;
    let mut role_policies = BTreeMap::new();
    for role in cfg.links.iter().flat_map(|l| l.roles.iter()) {
        if role_policies.contains_key(role) || arn::account_of(role) != account {
            continue;
        }
        let doc = iam::get_role_policy(&aws.iam, iam::role_name(role), POLICY_NAME)
            .await?
            .map(|t| policy::parse_document(&t))
            .transpose()
            .map_err(|e| {
                AwsError::new(Some("MalformedPolicyDocument"), e.to_string())
                    .on(format!("{role} policy {POLICY_NAME}"))
            })?;
        role_policies.insert(role.clone(), doc);
    }
    Ok(Catalog {
        account,
        foreign,
        own,
        tables,
        permissions,
        role_policies,
    })
}
