//! Read what the plan needs: each destination bucket's policy, and per export the table's ARN
//! and PITR, the state record and the running exports. A read failure of one item is kept in
//! [`Observed`] for the plan to report; the other items are read as usual.

use lakewarden::aws::dynamodb::{self, ExportInfo};
use lakewarden::aws::{s3, Aws, AwsError, AwsResult, LocalKind};
use lakewarden::config::{Config, Export};
use lakewarden::policy;
use lakewarden::state::StateStore;
use serde_json::Value;

use crate::plan::{
    state_key, state_table, ExportObserved, ExportState, Observed, ReadFailure, NOT_FOUND,
};

/// Everything the configured destinations and exports need.
pub async fn observe(aws: &Aws, cfg: &Config) -> AwsResult<Observed> {
    let mut obs = Observed::default();
    for d in cfg.export_destinations.iter().flatten() {
        let policy = destination_policy(aws, &d.bucket).await;
        obs.destinations.insert(d.bucket.to_string(), policy);
    }
    if let Some(exports) = &cfg.exports {
        obs.account = aws.account_id().await?;
        let store = StateStore::new(aws.dynamodb.clone(), state_table(cfg));
        for e in exports {
            let o = observe_export(aws, &store, e).await;
            obs.exports.insert(state_key(e), o);
        }
    }
    Ok(obs)
}

/// One export: the table, then the state record (errors name the state table), then each
/// export the record says is still running.
pub async fn observe_export(
    aws: &Aws,
    store: &StateStore,
    e: &Export,
) -> Result<ExportObserved, ReadFailure> {
    let table_arn = dynamodb::table_arn(&aws.dynamodb, &e.table)
        .await
        .map_err(ReadFailure::Table)?;
    let pitr = match &table_arn {
        Some(_) => dynamodb::pitr_enabled(&aws.dynamodb, &e.table)
            .await
            .map_err(ReadFailure::Table)?,
        None => false,
    };
    let record = store
        .get(&state_key(e))
        .await
        .map_err(ReadFailure::StateTable)?;
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
                bucket: e.bucket.to_string(),
                bucket_owner: None,
                prefix: None,
                failure_code: None,
                failure_message: None,
            }),
            Err(error) => {
                return Err(ReadFailure::Export {
                    arn: arn.clone(),
                    error,
                })
            }
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
        .map_err(|e| {
            AwsError::local(LocalKind::MalformedPolicy, e.to_string())
                .on(format!("bucket policy of {bucket}"))
        })
}
