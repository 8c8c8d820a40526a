//! SSM Parameter Store: where the configuration document may live.

use aws_sdk_ssm::Client;

use super::{on, AwsError, AwsResult, LocalKind};

/// The value of a (possibly SecureString) parameter.
pub async fn get_parameter(client: &Client, name: &str) -> AwsResult<String> {
    let out = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(on(|| format!("SSM parameter {name}")))?;
    out.parameter()
        .and_then(|p| p.value())
        .map(String::from)
        .ok_or_else(|| {
            AwsError::local(
                LocalKind::IncompleteResponse,
                format!("parameter {name} has no value"),
            )
        })
}
