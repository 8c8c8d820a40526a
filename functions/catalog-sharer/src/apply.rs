//! Carry out a plan: Lake Formation grants and revokes in batches of ≤ 20, the rest one by one.
//! Every action ends up in the report with its outcome; a failure never stops the others.

use lakewarden::aws::{lakeformation, ram, s3, Aws, AwsResult};
use lakewarden::report::{Outcome, Report};

use crate::plan::{Action, Plan};

fn record(report: &mut Report, a: &Action, res: AwsResult<()>) {
    report.record(a.kind(), a.target(), res, || a.remedy());
}

pub async fn apply(aws: &Aws, catalog_id: &str, plan: &Plan, dry_run: bool, report: &mut Report) {
    for (kind, target) in &plan.already {
        report.push(kind, target.clone(), Outcome::Already);
    }
    for s in &plan.skipped {
        report.push_skipped(
            &s.action,
            s.target.clone(),
            s.reason.clone(),
            s.remedy.clone(),
        );
    }
    if dry_run {
        for a in &plan.actions {
            report.push(a.kind(), a.target(), Outcome::Planned);
        }
        return;
    }

    // Locations first, so that grants and readers find them registered.
    for a in &plan.actions {
        if let Action::RegisterLocation { arn } = a {
            let res = match lakeformation::register_location(&aws.lakeformation, arn).await {
                Err(e) if e.is_code("AlreadyExistsException") => Ok(()),
                r => r,
            };
            record(report, a, res);
        }
    }

    let grants = plan.grants();
    let results = lakeformation::batch_grant(&aws.lakeformation, catalog_id, &grants).await;
    for (g, r) in grants.iter().zip(results) {
        record(report, &Action::Grant(g.clone()), r);
    }

    let revokes = plan.revokes();
    let results = lakeformation::batch_revoke(&aws.lakeformation, catalog_id, &revokes).await;
    for (g, r) in revokes.iter().zip(results) {
        let a = Action::Revoke(g.clone());
        match r {
            // The table (and with it the grant) is already gone.
            Err(e) if e.is_not_found() => report.push(a.kind(), a.target(), Outcome::Already),
            r => record(report, &a, r),
        }
    }

    for a in &plan.actions {
        let res = match a {
            Action::PutBucketPolicy { bucket, policy } => {
                s3::put_bucket_policy(&aws.s3, bucket, &policy.to_string()).await
            }
            Action::DeleteBucketPolicy { bucket } => {
                s3::delete_bucket_policy(&aws.s3, bucket).await
            }
            Action::CreateShare {
                name,
                resources,
                principals,
            } => ram::create_share(&aws.ram, name, resources, principals)
                .await
                .map(|_| ()),
            Action::Associate {
                arn,
                resources,
                principals,
                ..
            } => ram::associate(&aws.ram, arn, resources, principals).await,
            Action::Disassociate {
                arn,
                resources,
                principals,
                ..
            } => ram::disassociate(&aws.ram, arn, resources, principals).await,
            Action::Grant(_) | Action::Revoke(_) | Action::RegisterLocation { .. } => continue,
        };
        record(report, a, res);
    }
}
