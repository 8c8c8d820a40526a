//! Carry out a DataZone plan. The grant status is reported to DataZone last: GRANT_FAILED /
//! REVOKE_FAILED with the first error when anything before it failed.

use lakewarden::aws::{datazone, glue, iam, lakeformation, Aws, AwsResult};
use lakewarden::report::{Outcome, Report};

use crate::plan::{Action, Plan, POLICY_NAME};

async fn run(aws: &Aws, domain: &str, a: &Action) -> AwsResult<()> {
    match a {
        Action::RegisterLocation { arn } => {
            match lakeformation::register_location(&aws.lakeformation, arn).await {
                Err(e) if e.is_code("AlreadyExistsException") => Ok(()),
                r => r,
            }
        }
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
        Action::CreateBoundaryCopy {
            name,
            document,
            description,
        } => iam::create_managed_policy(&aws.iam, name, &document.to_string(), description)
            .await
            .map(|_| ()),
        Action::UpdateBoundaryCopy {
            arn,
            document,
            delete_version,
        } => {
            if let Some(v) = delete_version {
                iam::delete_policy_version(&aws.iam, arn, v).await?;
            }
            iam::create_policy_version(&aws.iam, arn, &document.to_string()).await
        }
        Action::AttachBoundary { role, arn } => {
            iam::put_role_permissions_boundary(&aws.iam, iam::role_name(role), arn).await
        }
        Action::CreateTableLink {
            database,
            name,
            catalog,
            target_database,
            table,
        } => {
            glue::create_table_link(&aws.glue, database, name, catalog, target_database, table)
                .await
        }
        Action::DeleteTableLink { database, name } => {
            match glue::delete_table(&aws.glue, database, name).await {
                Err(e) if e.is_not_found() => Ok(()),
                r => r,
            }
        }
        Action::GrantStatus {
            grant,
            asset,
            status,
            failure,
            target_name,
        } => {
            datazone::update_grant_status(
                &aws.datazone,
                domain,
                grant,
                asset,
                status,
                failure.as_deref(),
                target_name.as_deref(),
            )
            .await
        }
        Action::Grant(_) | Action::Revoke(_) => Ok(()),
    }
}

pub async fn apply(
    aws: &Aws,
    account: &str,
    domain: &str,
    plan: &Plan,
    dry_run: bool,
    report: &mut Report,
) {
    for (k, t) in &plan.already {
        report.push(k, t.clone(), Outcome::Already);
    }
    for (k, t, why) in &plan.skipped {
        report.push_skipped(k, t.clone(), why.clone(), None);
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
    let mut first_error: Option<String> = None;
    let record = |report: &mut Report,
                  a: &Action,
                  r: AwsResult<()>,
                  first_error: &mut Option<String>| match r {
        Ok(()) => report.push(a.kind(), a.target(), Outcome::Applied),
        Err(e) => {
            first_error.get_or_insert_with(|| format!("{} {}: {e}", a.kind(), a.target()));
            report.push_failed(
                a.kind(),
                a.target(),
                e.to_string(),
                format!("Fix by hand: {} {}", a.kind(), a.target()),
            );
        }
    };
    let (status, rest): (Vec<&Action>, Vec<&Action>) = plan
        .actions
        .iter()
        .partition(|a| matches!(a, Action::GrantStatus { .. }));
    let (deletes, rest): (Vec<&Action>, Vec<&Action>) = rest
        .into_iter()
        .partition(|a| matches!(a, Action::DeleteTableLink { .. }));
    for a in rest
        .iter()
        .filter(|a| !matches!(a, Action::Grant(_) | Action::Revoke(_)))
    {
        let r = run(aws, domain, a).await;
        record(report, a, r, &mut first_error);
    }
    let grants: Vec<_> = plan
        .actions
        .iter()
        .filter_map(|a| {
            if let Action::Grant(g) = a {
                Some(g.clone())
            } else {
                None
            }
        })
        .collect();
    for (g, r) in grants
        .iter()
        .zip(lakeformation::batch_grant(&aws.lakeformation, account, &grants).await)
    {
        record(report, &Action::Grant(g.clone()), r, &mut first_error);
    }
    let revokes: Vec<_> = plan
        .actions
        .iter()
        .filter_map(|a| {
            if let Action::Revoke(g) = a {
                Some(g.clone())
            } else {
                None
            }
        })
        .collect();
    for (g, r) in revokes
        .iter()
        .zip(lakeformation::batch_revoke(&aws.lakeformation, account, &revokes).await)
    {
        let r = match r {
            Err(e) if e.is_not_found() => Ok(()),
            r => r,
        };
        record(report, &Action::Revoke(g.clone()), r, &mut first_error);
    }
    for a in deletes {
        let r = run(aws, domain, a).await;
        record(report, a, r, &mut first_error);
    }
    for a in status {
        let a = match (a, &first_error) {
            (
                Action::GrantStatus {
                    grant,
                    asset,
                    status,
                    target_name,
                    ..
                },
                Some(err),
            ) if status == "GRANTED" || status == "REVOKED" => Action::GrantStatus {
                grant: grant.clone(),
                asset: asset.clone(),
                status: if status == "GRANTED" {
                    "GRANT_FAILED".into()
                } else {
                    "REVOKE_FAILED".into()
                },
                failure: Some(err.clone()),
                target_name: target_name.clone(),
            },
            (a, _) => a.clone(),
        };
        let r = run(aws, domain, &a).await;
        record(report, &a, r, &mut first_error);
    }
}
