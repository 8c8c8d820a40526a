//! SNS alerts.

use aws_sdk_sns::Client;

use super::{on, AwsResult};

/// Publish one message; returns the message id.
pub async fn publish(
    client: &Client,
    topic_arn: &str,
    subject: &str,
    body: &str,
) -> AwsResult<String> {
    let out = client
        .publish()
        .topic_arn(topic_arn)
        .subject(subject)
        .message(body)
        .send()
        .await
        .map_err(on(|| format!("SNS topic {topic_arn}")))?;
    Ok(out.message_id().unwrap_or_default().to_string())
}
