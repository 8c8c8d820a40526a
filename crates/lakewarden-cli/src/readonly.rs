//! The read-only guard: an SDK interceptor that refuses, before it is serialized or sent, every
//! request whose operation is not on an explicit read-only allow-list. `lakewarden plan` and
//! `lakewarden explain` put it on every client, so that a write can never reach AWS even if a
//! function's dry-run path were wrong.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use lakewarden::Aws;

/// Operation-name prefixes that only read (every AWS service lakewarden uses names its reads
/// this way).
const READ_PREFIXES: &[&str] = &["Get", "List", "Describe", "Search", "BatchGet", "Head"];

/// Read-only operations whose names do not start with a read prefix, as `service.Operation`
/// (service as the SDK's metadata names it, lowercased).
const READ_EXACT: &[&str] = &[
    // STS: who am I, and the producer role of `explain --producer-role-arn`.
    "sts.AssumeRole",
    // IAM's own policy evaluator (explain).
    "iam.SimulatePrincipalPolicy",
    "iam.SimulateCustomPolicy",
    // DynamoDB reads.
    "dynamodb.Query",
    "dynamodb.Scan",
];

/// Operations that start with a read prefix but change something or hand out access; refused
/// even so.
const NOT_READS: &[&str] = &[
    // Lake Formation credential vending and query planning: not needed to plan, and they act.
    "lakeformation.GetTemporaryGlueTableCredentials",
    "lakeformation.GetTemporaryGluePartitionCredentials",
    "lakeformation.GetWorkUnitResults",
    "lakeformation.GetQueryState",
];

/// Whether `service.Operation` only reads (`service` lowercased, as in the report's counts).
pub fn is_read_only(service: &str, operation: &str) -> bool {
    let key = format!("{}.{operation}", service.to_ascii_lowercase());
    if NOT_READS.contains(&key.as_str()) {
        return false;
    }
    READ_EXACT.contains(&key.as_str())
        || READ_PREFIXES.iter().any(|p| {
            operation.starts_with(p)
                && operation[p.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_uppercase())
        })
}

/// The interceptor. It remembers what it refused, so the command can say so.
#[derive(Debug, Clone, Default)]
pub struct ReadOnlyGuard {
    refused: Arc<Mutex<Vec<String>>>,
}

/// The error a refused request fails with (its text ends up in the report's `error`).
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "refused by lakewarden's read-only guard: {} is not a read-only operation (nothing was sent to AWS)",
            self.0
        )
    }
}

impl std::error::Error for Refused {}

impl ReadOnlyGuard {
    /// Every operation refused so far, as `service.Operation`.
    pub fn refused(&self) -> Vec<String> {
        self.refused.lock().expect("guard lock").clone()
    }

    /// Put this guard on every client of `aws` (the clients keep their configuration and the
    /// API-call counter).
    pub fn guard(&self, mut aws: Aws) -> Aws {
        macro_rules! wrap {
            ($field:ident, $krate:ident) => {
                aws.$field = $krate::Client::from_conf(
                    aws.$field
                        .config()
                        .to_builder()
                        .interceptor(self.clone())
                        .build(),
                );
            };
        }
        wrap!(glue, aws_sdk_glue);
        wrap!(lakeformation, aws_sdk_lakeformation);
        wrap!(iam, aws_sdk_iam);
        wrap!(eventbridge, aws_sdk_eventbridge);
        wrap!(ram, aws_sdk_ram);
        wrap!(sns, aws_sdk_sns);
        wrap!(s3, aws_sdk_s3);
        wrap!(dynamodb, aws_sdk_dynamodb);
        wrap!(datazone, aws_sdk_datazone);
        wrap!(sts, aws_sdk_sts);
        wrap!(ssm, aws_sdk_ssm);
        aws
    }
}

impl Intercept for ReadOnlyGuard {
    fn name(&self) -> &'static str {
        "lakewarden-read-only-guard"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Fail closed: an operation the guard cannot name is refused.
        let (service, op) = match cfg.load::<Metadata>() {
            Some(m) => (m.service().to_ascii_lowercase(), m.name().to_string()),
            None => ("unknown".to_string(), "unknown".to_string()),
        };
        if is_read_only(&service, &op) {
            return Ok(());
        }
        let name = format!("{service}.{op}");
        tracing::warn!(operation = %name, "read-only guard refused a request");
        self.refused.lock().expect("guard lock").push(name.clone());
        Err(Box::new(Refused(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pass_and_writes_are_refused() {
        for (s, op) in [
            ("glue", "GetTables"),
            ("lakeformation", "ListPermissions"),
            ("lakeformation", "GetDataLakeSettings"),
            ("ram", "GetResourceShareInvitations"),
            ("iam", "SimulatePrincipalPolicy"),
            ("sts", "GetCallerIdentity"),
            ("sts", "AssumeRole"),
            ("s3", "HeadBucket"),
            ("dynamodb", "BatchGetItem"),
            ("datazone", "ListSubscriptionGrants"),
        ] {
            assert!(is_read_only(s, op), "{s}.{op}");
        }
        for (s, op) in [
            ("lakeformation", "BatchGrantPermissions"),
            ("lakeformation", "RegisterResource"),
            ("lakeformation", "PutDataLakeSettings"),
            ("lakeformation", "GetTemporaryGlueTableCredentials"),
            ("glue", "CreateDatabase"),
            ("s3", "PutBucketPolicy"),
            ("sns", "Publish"),
            ("ram", "AcceptResourceShareInvitation"),
            ("iam", "PutRolePolicy"),
            ("dynamodb", "ExportTableToPointInTime"),
            ("datazone", "UpdateSubscriptionGrantStatus"),
            ("eventbridge", "PutEvents"),
            // A name that merely starts with a read word is not a read.
            ("glue", "Getaway"),
            ("unknown", "unknown"),
        ] {
            assert!(!is_read_only(s, op), "{s}.{op}");
        }
    }
}
