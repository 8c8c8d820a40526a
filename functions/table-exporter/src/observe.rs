//! Read what the plan needs: each table's ARN and PITR, the state record, running exports,
//! and the destination buckets' policies.

use lakewarden::aws::{dynamodb, s3, Aws, AwsError, AwsResult};
use lakewarden::config::Export;
use lakewarden::policy;
use lakewarden::state::StateStore;
use serde_json::Value;

use crate::plan::{state_key, ExportObserved, ExportState, NOT_FOUND};
use lakewarden::aws::dynamodb::ExportInfo;

pub async fn observe_export(
    aws: &Aws,
    store: &StateStore,
    e: &Export,
) -> AwsResult<ExportObserved> {
    let table_arn = dynamodb::table_arn(&aws.dynamodb, &e.table).await?;
    let pitr = match &table_arn {
        Some(_) => dynamodb::pitr_enabled(&aws.dynamodb, &e.table).await?,
        None => false,
    };
    let record = store.get(&state_key(e)).await?;
    let (state, state_version) = match record {
        Some(r) => (
            serde_json::from_value::<ExportState>(r.data).unwrap_or_default(),
            Some(r.version),
        ),
        None => (ExportState::default(), None),
    };
    let mut pending = Vec::new();
    for arn in state.pending.keys() {
        match dynamodb::describe_export(&aws.dynamodb, arn).await {
            Ok(info) => pending.push(info),
            // DynamoDB forgets exports after a while: the plan drops it from the state.
            Err(err) if err.is_code("ExportNotFoundException") => pending.push(ExportInfo {
                arn: arn.clone(),
                status: NOT_FOUND.into(),
                bucket: e.bucket.clone(),
                bucket_owner: None,
                prefix: None,
                failure_code: None,
                failure_message: None,
            }),
            Err(err) => return Err(err),
        }
    }
    Ok(ExportObserved {
        table_arn,
        pitr,
        state,
        state_version,
        pending,
    })
}

/// The bucket's policy document (None when it has none).
pub async fn destination_policy(aws: &Aws, bucket: &str) -> AwsResult<Option<Value>> {
    s3::get_bucket_policy(&aws.s3, bucket)
        .await?
        .map(|t| policy::parse_document(&t))
        .transpose()
        .map_err(|e| AwsError::new(Some("MalformedPolicy"), e.to_string()))
}
