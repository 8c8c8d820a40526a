//! STS: who the function is.

use aws_sdk_sts::Client;

use super::{on, AwsError, AwsResult, LocalKind};

/// The caller's ARN (GetCallerIdentity): in Lambda, the assumed-role session of the function's
/// role, `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
pub async fn caller_arn(client: &Client) -> AwsResult<String> {
    let out = client.get_caller_identity().send().await.map_err(on(|| {
        "STS GetCallerIdentity (this function's role)".to_string()
    }))?;
    out.arn().map(String::from).ok_or_else(|| {
        AwsError::local(
            LocalKind::IncompleteResponse,
            "GetCallerIdentity returned no ARN",
        )
    })
}
