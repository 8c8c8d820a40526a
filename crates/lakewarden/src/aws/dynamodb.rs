//! DynamoDB: point-in-time recovery and table resource policies.

use aws_sdk_dynamodb::types::{PointInTimeRecoverySpecification, PointInTimeRecoveryStatus};
use aws_sdk_dynamodb::Client;

use super::{AwsError, AwsResult};

/// The table's ARN, or None when it does not exist.
pub async fn table_arn(client: &Client, table: &str) -> AwsResult<Option<String>> {
    match client.describe_table().table_name(table).send().await {
        Ok(o) => Ok(o.table().and_then(|t| t.table_arn()).map(String::from)),
        Err(e) => super::none_if_not_found(e),
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

/// What DescribeExport / ExportTableToPointInTime tell about an export.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportInfo {
    pub arn: String,
    pub status: String,
    pub bucket: String,
    pub bucket_owner: Option<String>,
    pub prefix: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
}

fn export_info(d: &aws_sdk_dynamodb::types::ExportDescription) -> ExportInfo {
    ExportInfo {
        arn: d.export_arn().unwrap_or_default().to_string(),
        status: d
            .export_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        bucket: d.s3_bucket().unwrap_or_default().to_string(),
        bucket_owner: d.s3_bucket_owner().map(String::from),
        prefix: d.s3_prefix().map(String::from),
        failure_code: d.failure_code().map(String::from),
        failure_message: d.failure_message().map(String::from),
    }
}

/// The request of an export to another account's bucket: the bucket owner is always named.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportRequest {
    pub table_arn: String,
    pub bucket: String,
    pub bucket_owner: String,
    pub prefix: String,
    /// `DYNAMODB_JSON` or `ION`.
    pub format: String,
    /// Incremental window (RFC 3339 from, to); None = full export.
    pub incremental: Option<(String, String)>,
    pub client_token: String,
}

pub async fn export_table(client: &Client, r: &ExportRequest) -> AwsResult<ExportInfo> {
    use aws_sdk_dynamodb::types::{
        ExportFormat, ExportType, ExportViewType, IncrementalExportSpecification,
    };
    use aws_smithy_types::date_time::Format;
    use aws_smithy_types::DateTime;
    let mut req = client
        .export_table_to_point_in_time()
        .table_arn(&r.table_arn)
        .s3_bucket(&r.bucket)
        .s3_bucket_owner(&r.bucket_owner)
        .s3_prefix(&r.prefix)
        .export_format(ExportFormat::from(r.format.as_str()))
        .client_token(&r.client_token);
    if let Some((from, to)) = &r.incremental {
        let parse = |s: &str| {
            DateTime::from_str(s, Format::DateTime)
                .map_err(|e| AwsError::new(Some("InvalidRequest"), format!("time {s}: {e}")))
        };
        req = req
            .export_type(ExportType::IncrementalExport)
            .incremental_export_specification(
                IncrementalExportSpecification::builder()
                    .export_from_time(parse(from)?)
                    .export_to_time(parse(to)?)
                    .export_view_type(ExportViewType::NewAndOldImages)
                    .build(),
            );
    } else {
        req = req.export_type(ExportType::FullExport);
    }
    let out = req.send().await?;
    out.export_description()
        .map(export_info)
        .ok_or_else(|| AwsError::new(None, "ExportTableToPointInTime returned no description"))
}

pub async fn describe_export(client: &Client, arn: &str) -> AwsResult<ExportInfo> {
    let out = client.describe_export().export_arn(arn).send().await?;
    out.export_description()
        .map(export_info)
        .ok_or_else(|| AwsError::new(None, "DescribeExport returned no description"))
}
