//! The writes only datazone-subscriber makes: its copy of an environment role's permissions
//! boundary. Everything else it plans is the shared vocabulary.

use std::future::Future;

use lakewarden::aws::{iam, Aws, AwsResult};
use lakewarden::reconcile::{ApplyState, Done, ExtAction};
use serde::Serialize;
use serde_json::Value;

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
}

impl ExtAction for Ext {
    fn kind(&self) -> &'static str {
        match self {
            Ext::CreateBoundaryCopy { .. } => "iam.create_boundary_copy",
            Ext::DeleteBoundaryVersion { .. } => "iam.delete_policy_version",
            Ext::UpdateBoundaryCopy { .. } => "iam.update_boundary_copy",
            Ext::AttachBoundary { .. } => "iam.put_role_permissions_boundary",
        }
    }

    fn target(&self) -> String {
        match self {
            Ext::CreateBoundaryCopy { name, .. } => format!("policy {name}"),
            Ext::DeleteBoundaryVersion { arn, version } => format!("{arn} version {version}"),
            Ext::UpdateBoundaryCopy { arn, .. } => arn.clone(),
            Ext::AttachBoundary { role, arn } => format!("{role} boundary {arn}"),
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
        }
    }

    #[allow(clippy::manual_async_fn)]
    fn apply<'a>(
        &'a self,
        aws: &'a Aws,
        _state: &'a mut ApplyState,
    ) -> impl Future<Output = AwsResult<Done>> + Send + 'a {
        async move {
            match self {
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
