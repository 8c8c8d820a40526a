//! Pure planning for DynamoDB exports to another account's bucket (scenario S3).
//!
//! Source side: PITR, one export per table and schedule time (the bucket owner always named,
//! a client token derived from table and schedule time, the start recorded in the state table so
//! a redelivered schedule never starts a second export), and follow-up of running exports.
//! Destination side: the bucket statement that lets the allowlisted source accounts write.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use lakewarden::aws::dynamodb::{ExportInfo, ExportRequest};
use lakewarden::config::{Export, ExportDestination, ExportFormat, ExportType};
use lakewarden::events::{self, EventError};
use lakewarden::policy::{self, Merge, Ownership};
use serde::Serialize;
use serde_json::{json, Value};

pub const DEST_SID: &str = "LakewardenExportWrite";
/// DynamoDB incremental exports cover at least 15 minutes and at most 24 hours.
pub const MAX_INCREMENTAL_HOURS: i64 = 24;
pub const MIN_INCREMENTAL_MINUTES: i64 = 15;
/// Status given by observe to a pending export DynamoDB no longer knows.
pub const NOT_FOUND: &str = "NOT_FOUND";
/// How many schedule times a state record remembers.
const REMEMBERED_RUNS: usize = 50;

/// The schedule time of a scheduled event; anything else is not for table-exporter.
pub fn schedule_time(event: &Value) -> Result<DateTime<Utc>, EventError> {
    let env = events::envelope(event)?;
    if !events::is_scheduled(&env) {
        return Err(EventError(format!(
            "table-exporter only runs on aws.events `{}` events, not `{}` from `{}`",
            events::SCHEDULED_EVENT,
            env.detail_type,
            env.source
        )));
    }
    env.time
        .ok_or_else(|| EventError("the scheduled event has no `time`".into()))
}

/// State key of one configured export.
pub fn state_key(e: &Export) -> String {
    format!("exporter#{}#{}#{}", e.table, e.bucket, e.prefix)
}

/// What the state table remembers about one configured export.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ExportState {
    /// schedule time → export ARN, for the last runs.
    #[serde(default)]
    pub started: BTreeMap<String, String>,
    /// Exports not finished yet: ARN → export-to time.
    #[serde(default)]
    pub pending: BTreeMap<String, String>,
    /// Export-to time of the last completed export (start of the next incremental window).
    #[serde(default)]
    pub last_completed_to: Option<String>,
    #[serde(default)]
    pub last_completed_arn: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportObserved {
    pub table_arn: Option<String>,
    pub pitr: bool,
    pub state: ExportState,
    pub state_version: Option<u64>,
    /// DescribeExport of each pending export.
    pub pending: Vec<ExportInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    EnablePitr {
        table: String,
    },
    StartExport {
        table: String,
        /// The account the table is in (for the remedy's bucket statement).
        source_account: String,
        request: ExportRequest,
    },
    /// Write the export's state (after StartExport, with the new ARN added by apply).
    SaveState {
        key: String,
        expected_version: Option<u64>,
        state: ExportState,
        schedule_time: String,
        /// Completed/failed exports were recorded in `state`: write it even when the start fails.
        followup_changed: bool,
    },
    PutBucketPolicy {
        bucket: String,
        policy: Value,
    },
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::EnablePitr { .. } => "dynamodb.enable_pitr",
            Action::StartExport { .. } => "dynamodb.export_table",
            Action::SaveState { .. } => "dynamodb.save_state",
            Action::PutBucketPolicy { .. } => "s3.put_bucket_policy",
        }
    }
    pub fn target(&self) -> String {
        match self {
            Action::EnablePitr { table } => format!("table {table}"),
            Action::StartExport { table, request, .. } => format!(
                "table {table} -> s3://{}/{} (owner {}{})",
                request.bucket,
                request.prefix,
                request.bucket_owner,
                match &request.incremental {
                    Some((f, t)) => format!(", incremental {f} .. {t}"),
                    None => ", full".into(),
                }
            ),
            Action::SaveState { key, .. } => key.clone(),
            Action::PutBucketPolicy { bucket, .. } => format!("bucket {bucket}"),
        }
    }
    pub fn remedy(&self) -> String {
        match self {
            Action::EnablePitr { table } => format!("Enable point-in-time recovery on {table} (aws dynamodb update-continuous-backups) or give the function dynamodb:UpdateContinuousBackups"),
            Action::StartExport {
                request,
                source_account,
                ..
            } => format!(
                "Check that the function may dynamodb:ExportTableToPointInTime on {} and s3:PutObject/PutObjectAcl/AbortMultipartUpload on arn:aws:s3:::{}/*, and that the bucket policy of the owner {} holds: {}",
                request.table_arn,
                request.bucket,
                request.bucket_owner,
                destination_statement(&request.bucket, std::slice::from_ref(source_account))
            ),
            Action::SaveState { .. } => "Check the state table exists and the function may dynamodb:GetItem/PutItem on it".into(),
            Action::PutBucketPolicy { bucket, .. } => format!("Give the function s3:GetBucketPolicy/PutBucketPolicy on {bucket}"),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub already: Vec<(String, String)>,
    pub skipped: Vec<(String, String, String)>,
    pub attention: Vec<String>,
    pub notes: Vec<Value>,
}

fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The client token: derived from the table and the schedule time (and the destination, so two
/// exports of one table to two buckets stay apart), the same whatever the delivery.
pub fn client_token(e: &Export, at: &DateTime<Utc>) -> String {
    format!(
        "lakewarden-{:016x}",
        policy::fnv1a(format!("{}@{}", state_key(e), rfc3339(at)).as_bytes())
    )
}

/// The account id in an ARN (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`).
fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// `exports/transactions/` + `2026-11-24T10-00-00Z` (no trailing slash: DynamoDB adds `/AWSDynamoDB/…`).
pub fn dated_prefix(prefix: &str, at: &DateTime<Utc>) -> String {
    let base = prefix.trim_start_matches('/');
    let base = if base.ends_with('/') {
        base.to_string()
    } else {
        format!("{base}/")
    };
    format!("{base}{}", at.format("%Y-%m-%dT%H-%M-%SZ"))
}

/// The statement the destination bucket must hold for `accounts` to receive exports.
pub fn destination_statement(bucket: &str, accounts: &[String]) -> Value {
    let principals: BTreeSet<String> = accounts
        .iter()
        .map(|a| format!("arn:aws:iam::{a}:root"))
        .collect();
    json!({
        "Sid": DEST_SID, "Effect": "Allow",
        "Principal": {"AWS": principals},
        "Action": ["s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectAcl"],
        "Resource": format!("arn:aws:s3:::{bucket}/*"),
    })
}

/// A person-readable diagnosis of a failed export.
pub fn diagnose(info: &ExportInfo, source_account: &str) -> String {
    let code = info.failure_code.clone().unwrap_or_default();
    let msg = info.failure_message.clone().unwrap_or_default();
    let both = format!("{code} {msg}").to_ascii_lowercase();
    let owner = info
        .bucket_owner
        .clone()
        .unwrap_or_else(|| "the bucket owner".into());
    if both.contains("accessdenied") || both.contains("access denied") || both.contains("forbidden")
    {
        format!(
            "S3 refused the write. The bucket policy of {} (account {owner}) must hold this statement: {}",
            info.bucket,
            destination_statement(&info.bucket, &[source_account.to_string()])
        )
    } else if both.contains("nosuchbucket") || both.contains("does not exist") {
        format!(
            "The bucket {} does not exist in account {owner}: create it there (or fix exports[].bucket / bucket_owner)",
            info.bucket
        )
    } else {
        "See the DynamoDB console's Exports to S3 page for the export; start a new export after fixing the cause (the next schedule does it)".into()
    }
}

/// Source side of one configured export.
pub fn plan_export(e: &Export, obs: &ExportObserved, at: &DateTime<Utc>, account: &str) -> Plan {
    let mut p = Plan::default();
    let key = state_key(e);
    let mut state = obs.state.clone();
    let mut state_changed = false;
    // The diagnosis names the table's account (from its ARN), else the caller's.
    let account = obs
        .table_arn
        .as_deref()
        .and_then(arn_account)
        .unwrap_or(account)
        .to_string();
    let account = account.as_str();

    // Follow-up of exports started before.
    for info in &obs.pending {
        match info.status.as_str() {
            "COMPLETED" => {
                let to = state
                    .pending
                    .remove(&info.arn)
                    .unwrap_or_else(|| rfc3339(at));
                if state
                    .last_completed_to
                    .as_deref()
                    .is_none_or(|prev| prev < to.as_str())
                {
                    state.last_completed_to = Some(to);
                    state.last_completed_arn = Some(info.arn.clone());
                }
                state_changed = true;
                p.notes
                    .push(json!({"export_completed": info.arn, "table": e.table}));
            }
            "FAILED" => {
                state.pending.remove(&info.arn);
                state_changed = true;
                p.attention.push(format!(
                    "Export of {} to s3://{}/{} FAILED: {} {}. {}",
                    e.table,
                    e.bucket,
                    info.prefix.clone().unwrap_or_default(),
                    info.failure_code.clone().unwrap_or_default(),
                    info.failure_message.clone().unwrap_or_default(),
                    diagnose(info, account)
                ));
            }
            NOT_FOUND => {
                state.pending.remove(&info.arn);
                state_changed = true;
                p.notes
                    .push(json!({"export_forgotten": info.arn, "table": e.table,
                    "note": "DynamoDB no longer knows this export; dropped from the state"}));
            }
            _ => p
                .notes
                .push(json!({"export_in_progress": info.arn, "table": e.table})),
        }
    }

    let Some(table_arn) = obs.table_arn.clone() else {
        p.skipped.push((
            "dynamodb.export_table".into(),
            format!("table {}", e.table),
            "the table does not exist".into(),
        ));
        p.attention.push(format!(
            "Table {} (exports[]) does not exist in account {account}",
            e.table
        ));
        return finish_state(p, key, obs, state, state_changed, at);
    };

    let when = rfc3339(at);
    if let Some(arn) = state.started.get(&when) {
        p.already.push((
            "dynamodb.export_table".into(),
            format!("table {} for the schedule of {when} ({arn})", e.table),
        ));
        return finish_state(p, key, obs, state, state_changed, at);
    }

    if !obs.pitr {
        if e.fix_pitr {
            p.actions.push(Action::EnablePitr {
                table: e.table.clone(),
            });
        } else {
            p.skipped.push((
                "dynamodb.export_table".into(),
                format!("table {}", e.table),
                "point-in-time recovery is disabled and fix_pitr is false".into(),
            ));
            p.attention.push(format!(
                "Table {} has point-in-time recovery disabled, so it cannot be exported. Enable it (aws dynamodb update-continuous-backups --table-name {} --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true) or set fix_pitr: true.",
                e.table, e.table
            ));
            return finish_state(p, key, obs, state, state_changed, at);
        }
    }

    let incremental = match e.export_type {
        ExportType::Full => None,
        // Windows are contiguous: the next one starts where the last completed export ended, so
        // it waits for running exports (a failed one's window is exported again by the next).
        ExportType::Incremental if !state.pending.is_empty() => {
            p.skipped.push((
                "dynamodb.export_table".into(),
                format!("table {} for the schedule of {when}", e.table),
                format!(
                    "an export is still running ({}); the next incremental window starts when it completes",
                    state.pending.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
            return finish_state(p, key, obs, state, state_changed, at);
        }
        ExportType::Incremental => match &state.last_completed_to {
            None => {
                p.notes.push(json!({"table": e.table, "note": "no completed export yet: a FULL export starts the incremental chain"}));
                None
            }
            Some(from) => {
                let from_t = DateTime::parse_from_rfc3339(from)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or(*at - Duration::hours(1));
                let earliest = *at - Duration::hours(MAX_INCREMENTAL_HOURS);
                let from_t = if from_t < earliest {
                    p.attention.push(format!(
                        "The incremental window of {} since {from} is longer than {MAX_INCREMENTAL_HOURS}h: this export covers the last {MAX_INCREMENTAL_HOURS}h only; changes before {} are not exported incrementally (run a FULL export to close the gap).",
                        e.table,
                        rfc3339(&earliest)
                    ));
                    earliest
                } else {
                    from_t
                };
                if *at - from_t < Duration::minutes(MIN_INCREMENTAL_MINUTES) {
                    p.skipped.push((
                        "dynamodb.export_table".into(),
                        format!("table {} for the schedule of {when}", e.table),
                        format!(
                            "the window since the last export ({from}) is shorter than DynamoDB's {MIN_INCREMENTAL_MINUTES} minutes; a later schedule exports it"
                        ),
                    ));
                    return finish_state(p, key, obs, state, state_changed, at);
                }
                Some((rfc3339(&from_t), when.clone()))
            }
        },
    };

    let request = ExportRequest {
        table_arn,
        bucket: e.bucket.clone(),
        bucket_owner: e.bucket_owner.clone(),
        prefix: dated_prefix(&e.prefix, at),
        format: match e.format {
            ExportFormat::DynamodbJson => "DYNAMODB_JSON".into(),
            ExportFormat::Ion => "ION".into(),
        },
        incremental,
        client_token: client_token(e, at),
    };
    p.actions.push(Action::StartExport {
        table: e.table.clone(),
        source_account: account.to_string(),
        request,
    });
    // The start is recorded (with the ARN apply gets back) in the same conditional write.
    p.actions.push(Action::SaveState {
        key,
        expected_version: obs.state_version,
        state,
        schedule_time: when,
        followup_changed: state_changed,
    });
    p
}

fn finish_state(
    mut p: Plan,
    key: String,
    obs: &ExportObserved,
    state: ExportState,
    changed: bool,
    at: &DateTime<Utc>,
) -> Plan {
    if changed {
        p.actions.push(Action::SaveState {
            key,
            expected_version: obs.state_version,
            state,
            schedule_time: rfc3339(at),
            followup_changed: true,
        });
    }
    p
}

/// Record a started export in a state (keeps the last runs only).
pub fn record_start(state: &mut ExportState, schedule_time: &str, arn: &str, to: &str) {
    state
        .started
        .insert(schedule_time.to_string(), arn.to_string());
    while state.started.len() > REMEMBERED_RUNS {
        let first = state.started.keys().next().cloned().unwrap_or_default();
        state.started.remove(&first);
    }
    state.pending.insert(arn.to_string(), to.to_string());
}

/// Destination side: our statement in each bucket, merged.
pub fn plan_destinations(
    dests: &[ExportDestination],
    policies: &BTreeMap<String, Option<Value>>,
) -> Plan {
    let mut p = Plan::default();
    for d in dests {
        let allowed: BTreeSet<String> = d
            .source_accounts
            .iter()
            .map(|a| format!("arn:aws:iam::{a}:root"))
            .collect();
        let stmt = destination_statement(&d.bucket, &d.source_accounts);
        if let Err(e) = policy::check_statement(&stmt, &|pr| allowed.contains(pr)) {
            p.skipped.push((
                "s3.put_bucket_policy".into(),
                format!("bucket {}", d.bucket),
                e.to_string(),
            ));
            continue;
        }
        let desired = if d.source_accounts.is_empty() {
            vec![]
        } else {
            vec![stmt]
        };
        let current = policies.get(&d.bucket).cloned().flatten();
        match policy::merge(current.as_ref(), &Ownership::exact([DEST_SID]), &desired) {
            Merge::Unchanged => p.already.push((
                "s3.put_bucket_policy".into(),
                format!("bucket {}", d.bucket),
            )),
            Merge::Put(doc) => p.actions.push(Action::PutBucketPolicy {
                bucket: d.bucket.clone(),
                policy: doc,
            }),
            Merge::Delete => p.skipped.push((
                "s3.put_bucket_policy".into(),
                format!("bucket {}", d.bucket),
                "no source account listed: the policy would be empty (left as is)".into(),
            )),
        }
    }
    p
}

#[cfg(test)]
mod tests;
