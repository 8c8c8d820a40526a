//! Glue zero-ETL integrations: both sides' listings and the target's resource property.

use aws_sdk_glue::types::TargetProcessingProperties;
use aws_sdk_glue::Client;
use serde::Serialize;

use super::pages::collect_pages;
use super::{on, AwsResult};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationError {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationInfo {
    pub arn: String,
    /// Empty for an inbound integration (the target side does not see the name).
    pub name: String,
    pub source_arn: String,
    pub target_arn: String,
    pub status: String,
    pub errors: Vec<IntegrationError>,
}

/// An inbound integration as the target side sees it (no name).
fn inbound_info(i: &aws_sdk_glue::types::InboundIntegration) -> IntegrationInfo {
    IntegrationInfo {
        arn: i.integration_arn().to_string(),
        name: String::new(),
        source_arn: i.source_arn().to_string(),
        target_arn: i.target_arn().to_string(),
        status: i.status().as_str().to_string(),
        errors: errors(i.errors()),
    }
}

fn errors(list: &[aws_sdk_glue::types::IntegrationError]) -> Vec<IntegrationError> {
    list.iter()
        .map(|e| IntegrationError {
            code: e.error_code().unwrap_or_default().to_string(),
            message: e.error_message().unwrap_or_default().to_string(),
        })
        .collect()
}

/// Integrations this account created (source side). DescribeIntegrations has no SDK paginator.
pub async fn describe_integrations(client: &Client) -> AwsResult<Vec<IntegrationInfo>> {
    collect_pages(|marker| async move {
        let page = client
            .describe_integrations()
            .set_marker(marker)
            .send()
            .await
            .map_err(on(|| {
                "Glue zero-ETL integrations of this account".to_string()
            }))?;
        let items = page
            .integrations()
            .iter()
            .map(|i| IntegrationInfo {
                arn: i.integration_arn().to_string(),
                name: i.integration_name().to_string(),
                source_arn: i.source_arn().to_string(),
                target_arn: i.target_arn().to_string(),
                status: i.status().as_str().to_string(),
                errors: errors(i.errors()),
            })
            .collect();
        Ok((items, page.marker().map(String::from)))
    })
    .await
}

/// Integrations whose target is in this account (target side). DescribeInboundIntegrations has
/// no SDK paginator.
pub async fn describe_inbound_integrations(client: &Client) -> AwsResult<Vec<IntegrationInfo>> {
    collect_pages(|marker| async move {
        let page = client
            .describe_inbound_integrations()
            .set_marker(marker)
            .send()
            .await
            .map_err(on(|| {
                "Glue inbound zero-ETL integrations of this account".to_string()
            }))?;
        let items = page
            .inbound_integrations()
            .iter()
            .map(inbound_info)
            .collect();
        Ok((items, page.marker().map(String::from)))
    })
    .await
}

/// One integration whose target is in this account, as `DescribeInboundIntegrations` (filtered
/// by `IntegrationArn`) reports it now; None when it does not list it (deleted, or targeting
/// another account).
pub async fn describe_inbound_integration(
    client: &Client,
    integration_arn: &str,
) -> AwsResult<Option<IntegrationInfo>> {
    let page = match client
        .describe_inbound_integrations()
        .integration_arn(integration_arn)
        .send()
        .await
    {
        Ok(p) => p,
        Err(e) => {
            return super::none_if_not_found(e)
                .map_err(|e| e.on(format!("inbound zero-ETL integration {integration_arn}")))
        }
    };
    Ok(page
        .inbound_integrations()
        .iter()
        .find(|i| i.integration_arn() == integration_arn)
        .map(inbound_info))
}

/// The target role of a resource's integration property, `Some(None)` for a property without
/// one, None when there is no property.
pub async fn get_target_role(
    client: &Client,
    resource_arn: &str,
) -> AwsResult<Option<Option<String>>> {
    match client
        .get_integration_resource_property()
        .resource_arn(resource_arn)
        .send()
        .await
    {
        Ok(o) => Ok(Some(
            o.target_processing_properties()
                .and_then(|t| t.role_arn())
                .map(String::from),
        )),
        Err(e) => super::none_if_not_found(e)
            .map_err(|e| e.on(format!("integration resource property of {resource_arn}"))),
    }
}

pub async fn put_target_role(
    client: &Client,
    resource_arn: &str,
    role_arn: &str,
    exists: bool,
) -> AwsResult<()> {
    let props = TargetProcessingProperties::builder()
        .role_arn(role_arn)
        .build();
    if exists {
        client
            .update_integration_resource_property()
            .resource_arn(resource_arn)
            .target_processing_properties(props)
            .send()
            .await
            .map_err(on(|| {
                format!("integration resource property of {resource_arn}")
            }))?;
    } else {
        client
            .create_integration_resource_property()
            .resource_arn(resource_arn)
            .target_processing_properties(props)
            .send()
            .await
            .map_err(on(|| {
                format!("integration resource property of {resource_arn}")
            }))?;
    }
    Ok(())
}
