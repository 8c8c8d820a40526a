//! Carry out a table-exporter plan; every action is reported.

use lakewarden::aws::{dynamodb, s3, Aws, AwsError, AwsResult};
use lakewarden::report::{Outcome, Report};
use lakewarden::state::StateStore;

use crate::plan::{record_start, Action, ExportState, Plan};

fn record(report: &mut Report, a: &Action, res: AwsResult<()>) {
    report.record(a.kind(), a.target(), res, || a.remedy());
}

pub async fn apply(
    aws: &Aws,
    store: Option<&StateStore>,
    plan: &Plan,
    dry_run: bool,
    report: &mut Report,
) {
    for (kind, target) in &plan.already {
        report.push(kind, target.clone(), Outcome::Already);
    }
    for (kind, target, why) in &plan.skipped {
        report.push_skipped(kind, target.clone(), why.clone(), None);
    }
    for n in &plan.notes {
        report.note(n.clone());
    }
    if dry_run {
        for a in &plan.actions {
            report.push(a.kind(), a.target(), Outcome::Planned);
        }
        return;
    }
    // The ARN of the export started in this run, for the state write that follows it.
    let mut started: Option<(String, String)> = None;
    let mut export_failed = false;
    for a in &plan.actions {
        let res = match a {
            Action::EnablePitr { table } => dynamodb::enable_pitr(&aws.dynamodb, table).await,
            Action::StartExport { request, .. } => {
                match dynamodb::export_table(&aws.dynamodb, request).await {
                    Ok(info) => {
                        let to = request
                            .incremental
                            .as_ref()
                            .map(|(_, t)| t.clone())
                            .unwrap_or_default();
                        started = Some((info.arn, to));
                        Ok(())
                    }
                    Err(e) => {
                        export_failed = true;
                        Err(e)
                    }
                }
            }
            Action::SaveState {
                key,
                expected_version,
                state,
                schedule_time,
                followup_changed,
            } => {
                // Nothing started: write only what the follow-up of earlier exports changed.
                if export_failed && !followup_changed {
                    continue;
                }
                let mut state = state.clone();
                let mine = started.take().map(|(arn, to)| {
                    let to = if to.is_empty() {
                        schedule_time.clone()
                    } else {
                        to
                    };
                    record_start(&mut state, schedule_time, &arn, &to);
                    arn
                });
                match store {
                    None => Err(AwsError::new(None, "no state table configured")),
                    Some(store) => {
                        let value = serde_json::to_value(&state).unwrap_or_default();
                        match store.put_if(key, &value, *expected_version).await {
                            Ok(true) => Ok(()),
                            Ok(false) => {
                                // A concurrent delivery wrote first. If it recorded the same export
                                // (same client token → same ARN), there is nothing left to do.
                                match recorded_elsewhere(store, key, schedule_time, mine.as_deref())
                                    .await
                                {
                                    Ok(true) => {
                                        report.push(a.kind(), a.target(), Outcome::Already);
                                        continue;
                                    }
                                    Ok(false) => Err(AwsError::new(
                                        Some("ConditionalCheckFailed"),
                                        "another run updated this export's state first; the next run reconciles",
                                    )),
                                    Err(e) => Err(e),
                                }
                            }
                            Err(e) => Err(e),
                        }
                    }
                }
            }
            Action::PutBucketPolicy { bucket, policy } => {
                s3::put_bucket_policy(&aws.s3, bucket, &policy.to_string()).await
            }
        };
        record(report, a, res);
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
