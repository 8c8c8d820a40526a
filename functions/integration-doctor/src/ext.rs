//! The writes only integration-doctor makes; every other fix is a shared action.

use lakewarden::aws::{glue, glue_integrations, Aws, AwsResult};
use lakewarden::reconcile::{ApplyState, Done, ExtAction, NoExt};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ext {
    /// Create or update the integration resource property naming the target role.
    PutResourceProperty {
        resource_arn: String,
        role_arn: String,
        exists: bool,
    },
    /// Give the target database a `LocationUri`.
    SetDatabaseLocation { database: String, location: String },
}

impl From<NoExt> for Ext {
    fn from(n: NoExt) -> Ext {
        match n {}
    }
}

impl ExtAction for Ext {
    fn kind(&self) -> &'static str {
        match self {
            Ext::PutResourceProperty { .. } => "glue.integration_resource_property",
            Ext::SetDatabaseLocation { .. } => "glue.update_database",
        }
    }

    fn target(&self) -> String {
        match self {
            Ext::PutResourceProperty {
                resource_arn,
                role_arn,
                ..
            } => format!("{resource_arn} role {role_arn}"),
            Ext::SetDatabaseLocation { database, location } => {
                format!("database {database} location {location}")
            }
        }
    }

    fn remedy(&self) -> String {
        match self {
            Ext::PutResourceProperty {
                resource_arn,
                role_arn,
                ..
            } => format!(
                "Set the integration resource property by hand (aws glue create-integration-resource-property --resource-arn {resource_arn} --target-processing-properties RoleArn={role_arn}), or give the function's role glue:CreateIntegrationResourceProperty / glue:UpdateIntegrationResourceProperty and iam:PassRole on {role_arn}"
            ),
            Ext::SetDatabaseLocation { database, location } => format!(
                "Set the LocationUri of {database} to {location} by hand (aws glue update-database), or give the function's role glue:UpdateDatabase"
            ),
        }
    }

    async fn apply(&self, aws: &Aws, _state: &mut ApplyState) -> AwsResult<Done> {
        match self {
            Ext::PutResourceProperty {
                resource_arn,
                role_arn,
                exists,
            } => {
                glue_integrations::put_target_role(&aws.glue, resource_arn, role_arn, *exists).await
            }
            Ext::SetDatabaseLocation { database, location } => {
                glue::set_database_location(&aws.glue, database, location).await
            }
        }
        .map(|()| Done::Applied)
    }
}
