//! The writes only datazone-subscriber makes: its copy of an environment role's permissions
//! boundary, and taking back the Lake Formation access of a subscription grant whose later step
//! failed. Everything else it plans is the shared vocabulary.

use std::future::Future;

use lakewarden::aws::{iam, lakeformation, Aws, AwsResult};
use lakewarden::lf::{self, LfGrant};
use lakewarden::reconcile::{ApplyState, Done, ExtAction, Phase};
use serde::Serialize;
use serde_json::Value;

/// One Lake Formation grant a subscription grant made in this run, and the other units of the
/// run that planned the same grant (it stays while one of them did not fail).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Undo {
    pub grant: LfGrant,
    pub shared_with: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ext {
    /// Create the customer-managed copy `lakewarden-boundary-<role>`.
    CreateBoundaryCopy {
        name: String,
        document: Value,
        description: String,
    },
    /// Delete a non-default version of the copy (IAM keeps at most five).
    DeleteBoundaryVersion { arn: String, version: String },
    /// A new default version of the copy.
    UpdateBoundaryCopy { arn: String, document: Value },
    /// Make the copy the role's permissions boundary.
    AttachBoundary { role: String, arn: String },
    /// A subscription grant's LF grants run before its policy write (phases Grant → Write): when
    /// a later step of the grant (`unit`) failed, DataZone is told GRANT_FAILED, so the access
    /// given in this run is taken back (runs in [`Phase::Revoke`], before the status). Nothing
    /// when the grant's steps all succeeded.
    UndoGrants { unit: String, grants: Vec<Undo> },
}

impl ExtAction for Ext {
    fn kind(&self) -> &'static str {
        match self {
            Ext::CreateBoundaryCopy { .. } => "iam.create_boundary_copy",
            Ext::DeleteBoundaryVersion { .. } => "iam.delete_policy_version",
            Ext::UpdateBoundaryCopy { .. } => "iam.update_boundary_copy",
            Ext::AttachBoundary { .. } => "iam.put_role_permissions_boundary",
            Ext::UndoGrants { .. } => "lakeformation.undo_grants",
        }
    }

    fn phase(&self) -> Phase {
        match self {
            Ext::UndoGrants { .. } => Phase::Revoke,
            _ => Phase::Write,
        }
    }

    fn target(&self) -> String {
        match self {
            Ext::CreateBoundaryCopy { name, .. } => format!("policy {name}"),
            Ext::DeleteBoundaryVersion { arn, version } => format!("{arn} version {version}"),
            Ext::UpdateBoundaryCopy { arn, .. } => arn.clone(),
            Ext::AttachBoundary { role, arn } => format!("{role} boundary {arn}"),
            Ext::UndoGrants { unit, grants } => format!(
                "{unit}: the {} Lake Formation grant(s) of this run, taken back if a later step of the grant fails",
                grants.len()
            ),
        }
    }

    fn remedy(&self) -> String {
        match self {
            Ext::CreateBoundaryCopy { name, document, .. } => format!(
                "Give the function's role iam:CreatePolicy on policy/lakewarden-boundary-*, or create the policy {name} by hand: {}",
                lakewarden::alerts::cap(&document.to_string(), 2_000)
            ),
            Ext::DeleteBoundaryVersion { arn, .. } | Ext::UpdateBoundaryCopy { arn, .. } => format!(
                "Give the function's role iam:CreatePolicyVersion / iam:DeletePolicyVersion on {arn}, or add the version by hand"
            ),
            Ext::AttachBoundary { role, arn } => format!(
                "Give the function's role iam:PutRolePermissionsBoundary on {role} (condition iam:PermissionsBoundary = {arn}), or attach it by hand"
            ),
            Ext::UndoGrants { unit, grants } => format!(
                "DataZone shows {unit} GRANT_FAILED but Lake Formation may still grant its access: revoke {} by hand",
                grants
                    .iter()
                    .map(|u| u.grant.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }

    #[allow(clippy::manual_async_fn)]
    fn apply<'a>(
        &'a self,
        aws: &'a Aws,
        state: &'a mut ApplyState,
    ) -> impl Future<Output = AwsResult<Done>> + Send + 'a {
        async move {
            match self {
                Ext::UndoGrants { unit, grants } => {
                    let failed = |u: &String| state.first_error_of.contains_key(u);
                    if !failed(unit) {
                        return Ok(Done::Already);
                    }
                    let undo: Vec<&LfGrant> = grants
                        .iter()
                        .filter(|u| u.shared_with.iter().all(failed))
                        .map(|u| &u.grant)
                        .collect();
                    if undo.is_empty() {
                        return Ok(Done::Already);
                    }
                    // Only what the role holds now (a grant that failed itself gave nothing).
                    // ListPermissions with a principal wants a resource too: the whole catalog,
                    // read only on this failure path.
                    let account = aws.account_id().await?;
                    let held =
                        lakeformation::list_permissions(&aws.lakeformation, &account).await?;
                    let undo: Vec<LfGrant> = undo
                        .into_iter()
                        .filter_map(|g| lf::held(g, &held))
                        .collect();
                    if undo.is_empty() {
                        return Ok(Done::Already);
                    }
                    for r in lakeformation::batch_revoke(&aws.lakeformation, &account, &undo).await
                    {
                        match r {
                            Err(e) if !e.is_not_found() => return Err(e),
                            _ => {}
                        }
                    }
                    Ok(Done::Applied)
                }
                Ext::CreateBoundaryCopy {
                    name,
                    document,
                    description,
                } => match iam::create_managed_policy(
                    &aws.iam,
                    name,
                    &document.to_string(),
                    description,
                )
                .await
                {
                    Err(e) if e.is_already_exists() => Ok(Done::Already),
                    r => r.map(|_| Done::Applied),
                },
                Ext::DeleteBoundaryVersion { arn, version } => {
                    match iam::delete_policy_version(&aws.iam, arn, version).await {
                        Err(e) if e.is_not_found() => Ok(Done::Already),
                        r => r.map(|_| Done::Applied),
                    }
                }
                Ext::UpdateBoundaryCopy { arn, document } => {
                    iam::create_policy_version(&aws.iam, arn, &document.to_string())
                        .await
                        .map(|_| Done::Applied)
                }
                Ext::AttachBoundary { role, arn } => {
                    iam::put_role_permissions_boundary(&aws.iam, iam::role_name(role), arn)
                        .await
                        .map(|_| Done::Applied)
                }
            }
        }
    }
}
