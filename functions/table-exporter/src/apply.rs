//! Carry out a table-exporter plan; every action is reported.

use lakewarden::aws::{dynamodb, s3, Aws, AwsError, AwsResult};
use lakewarden::report::{Outcome, Report};
use lakewarden::state::StateStore;

use crate::plan::{record_start, Action, Plan};

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
            } => {
                if export_failed {
                    continue;
                }
                let mut state = state.clone();
                if let Some((arn, to)) = started.take() {
                    let to = if to.is_empty() {
                        schedule_time.clone()
                    } else {
                        to
                    };
                    record_start(&mut state, schedule_time, &arn, &to);
                }
                match store {
                    None => Err(AwsError::new(None, "no state table configured")),
                    Some(store) => {
                        let value = serde_json::to_value(&state).unwrap_or_default();
                        match store.put_if(key, &value, *expected_version).await {
                            Ok(true) => Ok(()),
                            Ok(false) => Err(AwsError::new(
                                Some("ConditionalCheckFailed"),
                                "another run updated this export's state first; the next run reconciles",
                            )),
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
