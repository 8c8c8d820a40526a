//! The Glue Data Catalog resource policy, written with its hash condition so a concurrent change
//! is never overwritten.

use aws_sdk_glue::types::{EnableHybridValues, ExistCondition};
use aws_sdk_glue::Client;

use super::{on, AwsResult};

const CATALOG_POLICY: &str = "the Glue Data Catalog resource policy";

/// (policy JSON, hash) of the catalog policy, or None when there is none.
pub async fn get_catalog_policy(client: &Client) -> AwsResult<Option<(String, String)>> {
    match client.get_resource_policy().send().await {
        Ok(o) => Ok(o.policy_in_json().map(|p| {
            (
                p.to_string(),
                o.policy_hash().unwrap_or_default().to_string(),
            )
        })),
        Err(e) => super::none_if_not_found(e).map_err(|e| e.on(CATALOG_POLICY)),
    }
}

/// Put the catalog policy: only if its hash is still `hash` (or, with None, only if none exists).
pub async fn put_catalog_policy(
    client: &Client,
    policy: &str,
    hash: Option<&str>,
) -> AwsResult<()> {
    // EnableHybrid: Lake Formation cross-account grants (catalog-sharer) keep working next to
    // the policy; without it the call fails once such grants exist.
    let req = client
        .put_resource_policy()
        .policy_in_json(policy)
        .enable_hybrid(EnableHybridValues::True);
    let req = match hash {
        Some(h) => req
            .policy_hash_condition(h)
            .policy_exists_condition(ExistCondition::MustExist),
        None => req.policy_exists_condition(ExistCondition::NotExist),
    };
    req.send()
        .await
        .map_err(on(|| CATALOG_POLICY.to_string()))?;
    Ok(())
}

/// [`put_catalog_policy`], with a lost race as `Ok(false)`: the policy changed (or was created
/// or deleted) since it was read, and Glue answered `ConditionCheckFailureException`. Re-read
/// and merge again; never overwrite.
pub async fn put_catalog_policy_if(
    client: &Client,
    policy: &str,
    hash: Option<&str>,
) -> AwsResult<bool> {
    match put_catalog_policy(client, policy, hash).await {
        Ok(()) => Ok(true),
        // MUST_EXIST on a policy deleted meanwhile: Glue answers EntityNotFoundException.
        Err(e) if e.is_conditional_failure() || (hash.is_some() && e.is_not_found()) => Ok(false),
        Err(e) => Err(e),
    }
}
