//! Apply the fixes (each distinct fix once) and report every check.

use lakewarden::aws::{dynamodb, glue, glue_integrations, glue_policy, iam, Aws, AwsResult};
use lakewarden::report::{Outcome, Report};

use crate::plan::{Action, Check, Verdict, ROLE_POLICY};

async fn run(aws: &Aws, a: &Action) -> AwsResult<()> {
    match a {
        Action::EnablePitr { table } => dynamodb::enable_pitr(&aws.dynamodb, table).await,
        Action::PutTablePolicy {
            table_arn,
            document,
            revision,
        } => {
            dynamodb::put_resource_policy(
                &aws.dynamodb,
                table_arn,
                &document.to_string(),
                revision.as_deref(),
            )
            .await
        }
        Action::PutCatalogPolicy { document, hash } => {
            glue_policy::put_catalog_policy(&aws.glue, &document.to_string(), hash.as_deref()).await
        }
        Action::PutResourceProperty {
            resource_arn,
            role_arn,
            exists,
        } => glue_integrations::put_target_role(&aws.glue, resource_arn, role_arn, *exists).await,
        Action::UpdateTrust { role, document } => {
            iam::update_assume_role_policy(&aws.iam, iam::role_name(role), &document.to_string())
                .await
        }
        Action::PutRolePolicy { role, document } => {
            iam::put_role_policy(
                &aws.iam,
                iam::role_name(role),
                ROLE_POLICY,
                &document.to_string(),
            )
            .await
        }
        Action::SetDatabaseLocation { database, location } => {
            glue::set_database_location(&aws.glue, database, location).await
        }
    }
}

/// Report every check; apply fixable ones when `fix` (and not dry run). Returns what a person
/// must know: unfixable findings and fixes not made.
pub async fn apply(
    aws: &Aws,
    checks: &[Check],
    fix: bool,
    dry_run: bool,
    report: &mut Report,
) -> (Vec<String>, Vec<String>) {
    let mut attention = Vec::new();
    let mut fixed = Vec::new();
    let mut done: Vec<(Action, AwsResult<()>)> = Vec::new();
    for c in checks {
        let name = format!("check.{}", c.name);
        match &c.verdict {
            Verdict::Ok => report.push(&name, c.target.clone(), Outcome::Already),
            Verdict::Manual(remedy) => {
                report.push_skipped(
                    &name,
                    c.target.clone(),
                    c.detail.clone(),
                    Some(remedy.clone()),
                );
                attention.push(format!("{} {}: {}. {}", c.name, c.target, c.detail, remedy));
            }
            Verdict::Fixable(a) if !fix => {
                report.push_skipped(
                    &name,
                    c.target.clone(),
                    format!("{} (not fixed: integrations.fix is false)", c.detail),
                    Some(format!("{} would fix it", a.kind())),
                );
                attention.push(format!(
                    "{} {}: {} — set integrations.fix: true or fix it by hand ({}).",
                    c.name,
                    c.target,
                    c.detail,
                    a.kind()
                ));
            }
            Verdict::Fixable(_) if dry_run => {
                report.push(&name, c.target.clone(), Outcome::Planned)
            }
            Verdict::Fixable(a) => {
                let res = match done.iter().find(|(d, _)| d == a) {
                    Some((_, r)) => r.clone(),
                    None => {
                        let r = run(aws, a).await;
                        done.push((a.clone(), r.clone()));
                        r
                    }
                };
                match res {
                    Ok(()) => {
                        report.push(&name, c.target.clone(), Outcome::Applied);
                        fixed.push(format!("{} {} ({})", c.name, c.target, a.kind()));
                    }
                    Err(e) => report.push_failed(
                        &name,
                        c.target.clone(),
                        e.to_string(),
                        format!("Fix by hand: {} — {}", a.kind(), c.detail),
                    ),
                }
            }
        }
    }
    (attention, fixed)
}
