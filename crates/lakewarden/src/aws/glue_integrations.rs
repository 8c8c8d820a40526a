//! Glue zero-ETL integrations: both sides' listings and the target's resource property.

use aws_sdk_glue::types::TargetProcessingProperties;
use aws_sdk_glue::Client;
use serde::Serialize;

use super::AwsResult;

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

fn errors(list: &[aws_sdk_glue::types::IntegrationError]) -> Vec<IntegrationError> {
    list.iter()
        .map(|e| IntegrationError {
            code: e.error_code().unwrap_or_default().to_string(),
            message: e.error_message().unwrap_or_default().to_string(),
        })
        .collect()
}

/// Integrations this account created (source side).
pub async fn describe_integrations(client: &Client) -> AwsResult<Vec<IntegrationInfo>> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .describe_integrations()
            .set_marker(marker.clone())
            .send()
            .await?;
        for i in page.integrations() {
            out.push(IntegrationInfo {
                arn: i.integration_arn().to_string(),
                name: i.integration_name().to_string(),
                source_arn: i.source_arn().to_string(),
                target_arn: i.target_arn().to_string(),
                status: i.status().as_str().to_string(),
                errors: errors(i.errors()),
            });
        }
        marker = page.marker().filter(|m| !m.is_empty()).map(String::from);
        if marker.is_none() {
            break;
        }
    }
    Ok(out)
}

/// Integrations whose target is in this account (target side).
pub async fn describe_inbound_integrations(client: &Client) -> AwsResult<Vec<IntegrationInfo>> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .describe_inbound_integrations()
            .set_marker(marker.clone())
            .send()
            .await?;
        for i in page.inbound_integrations() {
            out.push(IntegrationInfo {
                arn: i.integration_arn().to_string(),
                name: String::new(),
                source_arn: i.source_arn().to_string(),
                target_arn: i.target_arn().to_string(),
                status: i.status().as_str().to_string(),
                errors: errors(i.errors()),
            });
        }
        marker = page.marker().filter(|m| !m.is_empty()).map(String::from);
        if marker.is_none() {
            break;
        }
    }
    Ok(out)
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
        Err(e) => super::none_if_not_found(e),
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
            .await?;
    } else {
        client
            .create_integration_resource_property()
            .resource_arn(resource_arn)
            .target_processing_properties(props)
            .send()
            .await?;
    }
    Ok(())
}
