//! Carry out a share-linker plan; every action is reported, a failure never stops the others.

use lakewarden::aws::{glue, iam, lakeformation, ram, Aws, AwsResult};
use lakewarden::report::{Outcome, Report};

use crate::plan::{Action, Plan, POLICY_NAME};

fn record(report: &mut Report, a: &Action, res: AwsResult<()>) {
    report.record(a.kind(), a.target(), res, || a.remedy());
}

pub async fn apply(aws: &Aws, account: &str, plan: &Plan, dry_run: bool, report: &mut Report) {
    for (kind, target) in &plan.already {
        report.push(kind, target.clone(), Outcome::Already);
    }
    for s in &plan.skipped {
        report.push_skipped(&s.action, s.target.clone(), s.reason.clone(), None);
    }
    if dry_run {
        for a in &plan.actions {
            report.push(a.kind(), a.target(), Outcome::Planned);
        }
        return;
    }
    // Invitations and links first: grants on a link need the link.
    for a in &plan.actions {
        let res = match a {
            Action::AcceptInvitation { arn, .. } => ram::accept_invitation(&aws.ram, arn).await,
            Action::CreateLink {
                name,
                producer,
                database,
            } => match glue::create_resource_link(&aws.glue, name, producer, database).await {
                Err(e) if e.is_code("AlreadyExistsException") => Ok(()),
                r => r,
            },
            _ => continue,
        };
        record(report, a, res);
    }
    let grants: Vec<_> = plan
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Grant(g) => Some(g.clone()),
            _ => None,
        })
        .collect();
    for (g, r) in grants
        .iter()
        .zip(lakeformation::batch_grant(&aws.lakeformation, account, &grants).await)
    {
        record(report, &Action::Grant(g.clone()), r);
    }
    let revokes: Vec<_> = plan
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Revoke(g) => Some(g.clone()),
            _ => None,
        })
        .collect();
    for (g, r) in revokes
        .iter()
        .zip(lakeformation::batch_revoke(&aws.lakeformation, account, &revokes).await)
    {
        let a = Action::Revoke(g.clone());
        match r {
            Err(e) if e.is_not_found() => report.push(a.kind(), a.target(), Outcome::Already),
            r => record(report, &a, r),
        }
    }
    for a in &plan.actions {
        let res = match a {
            Action::PutRolePolicy { role, document } => {
                iam::put_role_policy(
                    &aws.iam,
                    iam::role_name(role),
                    POLICY_NAME,
                    &document.to_string(),
                )
                .await
            }
            Action::DeleteRolePolicy { role } => {
                iam::delete_role_policy(&aws.iam, iam::role_name(role), POLICY_NAME).await
            }
            Action::DeleteLink { name, .. } => match glue::delete_database(&aws.glue, name).await {
                Err(e) if e.is_not_found() => Ok(()),
                r => r,
            },
            _ => continue,
        };
        record(report, a, res);
    }
}
