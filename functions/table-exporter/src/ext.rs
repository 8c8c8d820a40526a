//! The writes only table-exporter makes; the bucket statement is a shared policy write.
//!
//! Phases: PITR ([`Phase::Prepare`]) before the export ([`Phase::Write`]) before the state
//! record ([`Phase::Finally`]). `StartExport` leaves the ARN of the export it started in
//! [`ApplyState::scratch`] under the state key, for the `SaveState` that records it.

use lakewarden::arn;
use lakewarden::aws::dynamodb::{self, ExportRequest};
use lakewarden::aws::{Aws, AwsError, AwsResult, LocalKind};
use lakewarden::reconcile::{ApplyState, Done, ExtAction, NoExt, Phase};
use lakewarden::state::StateStore;
use serde::Serialize;

use crate::plan::{destination_statement, record_start, ExportState};

/// What a `SaveState` records, given the export this run started (`started`, its ARN) if any:
/// `None` when the start failed and the follow-up changed nothing (nothing to record), else the
/// state with the started export recorded under its schedule time. Pure: the apply and the
/// convergence model both call it.
pub fn state_to_save(
    state: &ExportState,
    schedule_time: &str,
    export_to: Option<&str>,
    followup_changed: bool,
    started: Option<&str>,
) -> Option<ExportState> {
    if export_to.is_some() && started.is_none() && !followup_changed {
        return None;
    }
    let mut state = state.clone();
    if let (Some(arn), Some(to)) = (started, export_to) {
        record_start(&mut state, schedule_time, arn, to);
    }
    Some(state)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ext {
    /// `ExportTableToPointInTime` with the bucket owner and a client token per schedule time.
    StartExport {
        table: String,
        /// The account the table is in (for the remedy's bucket statement).
        source_account: String,
        request: ExportRequest,
        /// Where the started export's ARN is left in the scratch.
        state_key: String,
    },
    /// Write the export's state conditionally (with the export started in this run, if any).
    SaveState {
        state_table: String,
        key: String,
        expected_version: Option<u64>,
        state: ExportState,
        schedule_time: String,
        /// Set when a `StartExport` precedes: the end of its window, recorded with its ARN.
        export_to: Option<String>,
        /// Completed/failed exports were recorded in `state`: write it even when the start fails.
        followup_changed: bool,
    },
}

impl From<NoExt> for Ext {
    fn from(n: NoExt) -> Ext {
        match n {}
    }
}

impl ExtAction for Ext {
    fn kind(&self) -> &'static str {
        match self {
            Ext::StartExport { .. } => "dynamodb.export_table",
            Ext::SaveState { .. } => "dynamodb.save_state",
        }
    }

    fn target(&self) -> String {
        match self {
            Ext::StartExport { table, request, .. } => format!(
                "table {table} -> s3://{}/{} (owner {}{})",
                request.bucket,
                request.prefix,
                request.bucket_owner,
                match &request.incremental {
                    Some((f, t)) => format!(", incremental {f} .. {t}"),
                    None => ", full".into(),
                }
            ),
            Ext::SaveState { key, .. } => key.clone(),
        }
    }

    fn remedy(&self) -> String {
        match self {
            Ext::StartExport {
                request,
                source_account,
                ..
            } => format!(
                "Check that the function may dynamodb:ExportTableToPointInTime on {} and s3:PutObject/PutObjectAcl/AbortMultipartUpload on {}, and that the bucket policy of the owner {} holds: {}",
                request.table_arn,
                arn::s3(&format!("{}/*", request.bucket)),
                request.bucket_owner,
                destination_statement(&request.bucket, std::slice::from_ref(source_account))
            ),
            Ext::SaveState { state_table, .. } => format!(
                "Check that lakewarden's state table {state_table} exists in this account (partition key `pk`, String) and the function may dynamodb:GetItem/PutItem on it; the next run of the same schedule finds the export by its client token and records it"
            ),
        }
    }

    fn phase(&self) -> Phase {
        match self {
            Ext::StartExport { .. } => Phase::Write,
            Ext::SaveState { .. } => Phase::Finally,
        }
    }

    async fn apply(&self, aws: &Aws, shared: &mut ApplyState) -> AwsResult<Done> {
        match self {
            Ext::StartExport {
                request, state_key, ..
            } => {
                let info = dynamodb::export_table(&aws.dynamodb, request).await?;
                shared.scratch.insert(state_key.clone(), info.arn);
                Ok(Done::Applied)
            }
            Ext::SaveState {
                state_table,
                key,
                expected_version,
                state,
                schedule_time,
                export_to,
                followup_changed,
            } => {
                let started = shared.scratch.remove(key);
                let Some(state) = state_to_save(
                    state,
                    schedule_time,
                    export_to.as_deref(),
                    *followup_changed,
                    started.as_deref(),
                ) else {
                    return Ok(Done::Already);
                };
                let store = StateStore::new(aws.dynamodb.clone(), state_table.clone());
                let value = serde_json::to_value(&state)
                    .map_err(|e| AwsError::local(LocalKind::InvalidRequest, e.to_string()))?;
                if store.put_if(key, &value, *expected_version).await? {
                    return Ok(Done::Applied);
                }
                // A concurrent delivery wrote first. If it recorded the same export (same client
                // token → same ARN), there is nothing left to do.
                if recorded_elsewhere(&store, key, schedule_time, started.as_deref()).await? {
                    return Ok(Done::Already);
                }
                Err(AwsError::new(
                    Some("ConditionalCheckFailedException"),
                    "another run updated this export's state first; the next run reconciles",
                )
                .on(dynamodb::state_table_name(state_table)))
            }
        }
    }
}

/// After a lost conditional write: does the stored state already hold what this run wanted to
/// record? (the export started for `schedule_time`, or — for a follow-up-only write — any newer
/// state, since the next run re-reads the running exports anyway.)
async fn recorded_elsewhere(
    store: &StateStore,
    key: &str,
    schedule_time: &str,
    started_arn: Option<&str>,
) -> AwsResult<bool> {
    let Some(record) = store.get(key).await? else {
        return Ok(false);
    };
    let stored: ExportState = serde_json::from_value(record.data).unwrap_or_default();
    Ok(match started_arn {
        Some(arn) => stored.started.get(schedule_time).map(String::as_str) == Some(arn),
        None => true,
    })
}
