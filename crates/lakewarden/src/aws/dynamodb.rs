//! DynamoDB: point-in-time recovery, table resource policies, exports, and the items of
//! lakewarden's own state table.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, PointInTimeRecoverySpecification, PointInTimeRecoveryStatus,
};
use aws_sdk_dynamodb::Client;

use super::{build_err, on, AwsError, AwsResult, LocalKind};

fn table_name(table: &str) -> String {
    format!("DynamoDB table {table}")
}

/// The table's ARN, or None when it does not exist.
pub async fn table_arn(client: &Client, table: &str) -> AwsResult<Option<String>> {
    match client.describe_table().table_name(table).send().await {
        Ok(o) => Ok(o.table().and_then(|t| t.table_arn()).map(String::from)),
        Err(e) => super::none_if_not_found(e).map_err(|e| e.on(table_name(table))),
    }
}

pub async fn pitr_enabled(client: &Client, table: &str) -> AwsResult<bool> {
    let out = client
        .describe_continuous_backups()
        .table_name(table)
        .send()
        .await
        .map_err(on(|| table_name(table)))?;
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
                .map_err(build_err)?,
        )
        .send()
        .await
        .map_err(on(|| table_name(table)))?;
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
                Err(e.on(format!("resource policy of {arn}")))
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
        .await
        .map_err(on(|| format!("resource policy of {arn}")))?;
    Ok(())
}

/// [`put_resource_policy`], with a lost race as `Ok(false)`: the policy's revision is no longer
/// `expected_revision` (or, with None, a policy appeared meanwhile). DynamoDB answers
/// `PolicyNotFoundException` to an `ExpectedRevisionId` that does not match (API reference,
/// PutResourcePolicy). Re-read and merge again; never overwrite.
pub async fn put_resource_policy_if(
    client: &Client,
    arn: &str,
    policy: &str,
    expected_revision: Option<&str>,
) -> AwsResult<bool> {
    match put_resource_policy(client, arn, policy, expected_revision).await {
        Ok(()) => Ok(true),
        Err(e) if e.is_conditional_failure() => Ok(false),
        Err(e) => Err(e),
    }
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
                .map_err(|e| AwsError::local(LocalKind::InvalidRequest, format!("time {s}: {e}")))
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
    let out = req.send().await.map_err(on(|| {
        format!(
            "export of {} to s3://{}/{}",
            r.table_arn, r.bucket, r.prefix
        )
    }))?;
    out.export_description().map(export_info).ok_or_else(|| {
        AwsError::local(
            LocalKind::IncompleteResponse,
            "ExportTableToPointInTime returned no description",
        )
    })
}

pub async fn describe_export(client: &Client, arn: &str) -> AwsResult<ExportInfo> {
    let out = client
        .describe_export()
        .export_arn(arn)
        .send()
        .await
        .map_err(on(|| format!("DynamoDB export {arn}")))?;
    out.export_description().map(export_info).ok_or_else(|| {
        AwsError::local(
            LocalKind::IncompleteResponse,
            "DescribeExport returned no description",
        )
    })
}

// lakewarden's state table (`pk` string key; see `crate::state`). Every error names the state
// table, never the table or resource the function is working on: a missing state table must
// send the reader to the state table (issue 9).

/// How errors from the state table name it.
pub fn state_table_name(table: &str) -> String {
    format!("lakewarden state table {table} (DynamoDB)")
}

/// One item of the state table by its `pk` (strongly consistent), or None.
pub async fn state_get(
    client: &Client,
    table: &str,
    pk: &str,
) -> AwsResult<Option<HashMap<String, AttributeValue>>> {
    let out = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(pk.to_string()))
        .consistent_read(true)
        .send()
        .await
        .map_err(on(|| state_table_name(table)))?;
    Ok(out.item().cloned())
}

/// Every item of the state table whose `pk` starts with `prefix` (all pages; a consistent scan:
/// the table is small).
pub async fn state_scan_prefix(
    client: &Client,
    table: &str,
    prefix: &str,
) -> AwsResult<Vec<HashMap<String, AttributeValue>>> {
    let mut out = Vec::new();
    let mut pages = client
        .scan()
        .table_name(table)
        .filter_expression("begins_with(pk, :p)")
        .expression_attribute_values(":p", AttributeValue::S(prefix.to_string()))
        .consistent_read(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| state_table_name(table)))?;
        out.extend(page.items().iter().cloned());
    }
    Ok(out)
}

/// Put `item` (which must hold `pk`) if the item's numeric `version` attribute is still
/// `expected` (None: only if no item with that `pk` exists). `Ok(false)` when another writer
/// got there first (`ConditionalCheckFailedException`).
pub async fn state_put_if(
    client: &Client,
    table: &str,
    item: HashMap<String, AttributeValue>,
    expected: Option<u64>,
) -> AwsResult<bool> {
    let req = client.put_item().table_name(table).set_item(Some(item));
    let req = match expected {
        None => req.condition_expression("attribute_not_exists(pk)"),
        Some(v) => req
            .condition_expression("version = :v")
            .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
    };
    match req.send().await {
        Ok(_) => Ok(true),
        Err(e) => super::false_if_conditional_failure(e).map_err(|e| e.on(state_table_name(table))),
    }
}
