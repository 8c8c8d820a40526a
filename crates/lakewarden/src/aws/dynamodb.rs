//! DynamoDB: point-in-time recovery and table resource policies.

use aws_sdk_dynamodb::types::{PointInTimeRecoverySpecification, PointInTimeRecoveryStatus};
use aws_sdk_dynamodb::Client;

use super::{AwsError, AwsResult};

/// The table's ARN, or None when it does not exist.
pub async fn table_arn(client: &Client, table: &str) -> AwsResult<Option<String>> {
    match client.describe_table().table_name(table).send().await {
        Ok(o) => Ok(o.table().and_then(|t| t.table_arn()).map(String::from)),
        Err(e) => {
            let e = AwsError::from(e);
            if e.is_not_found() {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

pub async fn pitr_enabled(client: &Client, table: &str) -> AwsResult<bool> {
    let out = client
        .describe_continuous_backups()
        .table_name(table)
        .send()
        .await?;
    Ok(out
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description())
        .and_then(|p| p.point_in_time_recovery_status())
        == Some(&PointInTimeRecoveryStatus::Enabled))
}

pub async fn enable_pitr(client: &Client, table: &str) -> AwsResult<()> {
    client
        .update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .map_err(|e| AwsError::new(Some("InvalidRequest"), e.to_string()))?,
        )
        .send()
        .await?;
    Ok(())
}

/// (policy JSON text, revision id) of a table or stream ARN, or None.
pub async fn get_resource_policy(
    client: &Client,
    arn: &str,
) -> AwsResult<Option<(String, String)>> {
    match client.get_resource_policy().resource_arn(arn).send().await {
        Ok(o) => Ok(o.policy().map(|p| {
            (
                p.to_string(),
                o.revision_id().unwrap_or_default().to_string(),
            )
        })),
        Err(e) => {
            let e = AwsError::from(e);
            if e.is_code("PolicyNotFoundException") || e.is_not_found() {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// Put a resource policy; `expected_revision` makes it conditional (None = must not exist yet,
/// per DynamoDB's `NO_POLICY` convention).
pub async fn put_resource_policy(
    client: &Client,
    arn: &str,
    policy: &str,
    expected_revision: Option<&str>,
) -> AwsResult<()> {
    client
        .put_resource_policy()
        .resource_arn(arn)
        .policy(policy)
        .expected_revision_id(expected_revision.unwrap_or("NO_POLICY"))
        .send()
        .await?;
    Ok(())
}
