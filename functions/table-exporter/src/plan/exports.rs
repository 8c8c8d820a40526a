//! Source side of one configured export: follow-up of running exports, PITR, the export of this
//! schedule time (full or the next incremental window) and the state record.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use lakewarden::arn;
use lakewarden::aws::dynamodb::{ExportInfo, ExportRequest};
use lakewarden::config::{Export, ExportFormat, ExportType};
use lakewarden::policy;
use lakewarden::reconcile::{Action, Plan};
use serde_json::json;

use super::destinations::destination_statement;
use super::{state_key, ExportObserved, ExportState};
use crate::ext::Ext;

/// DynamoDB incremental exports cover at least 15 minutes and at most 24 hours.
pub const MAX_INCREMENTAL_HOURS: i64 = 24;
pub const MIN_INCREMENTAL_MINUTES: i64 = 15;
/// Status given by observe to a pending export DynamoDB no longer knows.
pub const NOT_FOUND: &str = "NOT_FOUND";
/// How many schedule times a state record remembers.
const REMEMBERED_RUNS: usize = 50;

const EXPORT: &str = "dynamodb.export_table";

pub(crate) fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The client token: derived from the table and the schedule time (and the destination, so two
/// exports of one table to two buckets stay apart), the same whatever the delivery.
pub fn client_token(e: &Export, at: &DateTime<Utc>) -> String {
    format!(
        "{}{:016x}",
        lakewarden::ownership::CLIENT_TOKEN_PREFIX,
        policy::fnv1a(format!("{}@{}", state_key(e), rfc3339(at)).as_bytes())
    )
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

/// The state record as the follow-up of earlier exports leaves it; `true` when it changed.
fn follow_up(
    p: &mut Plan<Ext>,
    e: &Export,
    obs: &ExportObserved,
    at: &DateTime<Utc>,
    account: &str,
) -> (ExportState, bool) {
    let mut state = obs.state.clone();
    let mut changed = false;
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
                changed = true;
                p.notes
                    .push(json!({"export_completed": info.arn, "table": e.table}));
            }
            "FAILED" => {
                state.pending.remove(&info.arn);
                changed = true;
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
                changed = true;
                p.notes
                    .push(json!({"export_forgotten": info.arn, "table": e.table,
                    "note": "DynamoDB no longer knows this export; dropped from the state"}));
            }
            _ => p
                .notes
                .push(json!({"export_in_progress": info.arn, "table": e.table})),
        }
    }
    (state, changed)
}

/// Source side of one configured export. `account` is this function's account (the diagnosis
/// names the table's account when its ARN is known).
pub fn plan_export(
    e: &Export,
    state_table: &str,
    obs: &ExportObserved,
    at: &DateTime<Utc>,
    account: &str,
) -> Plan<Ext> {
    let mut p = Plan::default();
    let account = obs
        .table_arn
        .as_deref()
        .map(arn::account_of)
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| account.to_string());
    let (state, followup_changed) = follow_up(&mut p, e, obs, at, &account);
    let request = export_request(&mut p, e, obs, &state, at, &account);
    if request.is_none() && !followup_changed {
        return p;
    }
    let key = state_key(e);
    // Set when an export starts: the end of its window, recorded with its ARN.
    let export_to = request.as_ref().map(|r| match &r.incremental {
        Some((_, to)) => to.clone(),
        None => rfc3339(at),
    });
    if let Some(request) = request {
        p.push(Action::Ext(Ext::StartExport {
            table: e.table.clone(),
            source_account: account,
            request,
            state_key: key.clone(),
        }));
    }
    // The start is recorded (with the ARN StartExport leaves) in one conditional write,
    // together with what the follow-up changed.
    p.push(Action::Ext(Ext::SaveState {
        state_table: state_table.to_string(),
        key,
        expected_version: obs.state_version,
        state,
        schedule_time: rfc3339(at),
        export_to,
        followup_changed,
    }));
    p
}

/// The export this schedule time starts, if any (else the plan says why), after enabling PITR
/// when it is off and `fix_pitr` allows.
fn export_request(
    p: &mut Plan<Ext>,
    e: &Export,
    obs: &ExportObserved,
    state: &ExportState,
    at: &DateTime<Utc>,
    account: &str,
) -> Option<ExportRequest> {
    let when = rfc3339(at);
    let Some(table_arn) = obs.table_arn.clone() else {
        p.skip(
            EXPORT,
            format!("table {}", e.table),
            "the table does not exist",
            None,
        );
        p.attention.push(format!(
            "Table {} (exports[]) does not exist in account {account}",
            e.table
        ));
        return None;
    };
    if let Some(arn) = state.started.get(&when) {
        p.already(
            EXPORT,
            format!("table {} for the schedule of {when} ({arn})", e.table),
        );
        return None;
    }
    if !obs.pitr && !e.fix_pitr {
        p.skip(
            EXPORT,
            format!("table {}", e.table),
            "point-in-time recovery is disabled and fix_pitr is false",
            None,
        );
        p.attention.push(format!(
            "Table {} has point-in-time recovery disabled, so it cannot be exported. Enable it (aws dynamodb update-continuous-backups --table-name {} --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true) or set fix_pitr: true.",
            e.table, e.table
        ));
        return None;
    }
    if !obs.pitr {
        p.push(Action::DynamoEnablePitr {
            table: e.table.clone(),
        });
    }
    let incremental = incremental_window(p, e, state, at)?;
    Some(ExportRequest {
        table_arn,
        bucket: e.bucket.to_string(),
        bucket_owner: e.bucket_owner.to_string(),
        prefix: dated_prefix(&e.prefix, at),
        format: match e.format {
            ExportFormat::DynamodbJson => "DYNAMODB_JSON".into(),
            ExportFormat::Ion => "ION".into(),
        },
        incremental,
        client_token: client_token(e, at),
    })
}

/// `Some(None)`: a full export; `Some(Some((from, to)))`: the next incremental window;
/// `None`: no export this time (the plan says why).
fn incremental_window(
    p: &mut Plan<Ext>,
    e: &Export,
    state: &ExportState,
    at: &DateTime<Utc>,
) -> Option<Option<(String, String)>> {
    let when = rfc3339(at);
    match e.export_type {
        ExportType::Full => Some(None),
        // Windows are contiguous: the next one starts where the last completed export ended, so
        // it waits for running exports (a failed one's window is exported again by the next).
        ExportType::Incremental if !state.pending.is_empty() => {
            p.skip(
                EXPORT,
                format!("table {} for the schedule of {when}", e.table),
                format!(
                    "an export is still running ({}); the next incremental window starts when it completes",
                    state.pending.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
                None,
            );
            None
        }
        ExportType::Incremental => match &state.last_completed_to {
            None => {
                p.notes.push(json!({"table": e.table, "note": "no completed export yet: a FULL export starts the incremental chain"}));
                Some(None)
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
                    p.skip(
                        EXPORT,
                        format!("table {} for the schedule of {when}", e.table),
                        format!(
                            "the window since the last export ({from}) is shorter than DynamoDB's {MIN_INCREMENTAL_MINUTES} minutes; a later schedule exports it"
                        ),
                        None,
                    );
                    return None;
                }
                Some(Some((rfc3339(&from_t), when)))
            }
        },
    }
}
