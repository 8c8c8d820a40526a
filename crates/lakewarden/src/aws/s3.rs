//! S3 bucket policies.

use aws_sdk_s3::Client;

use super::{on, AwsError, AwsResult};

fn bucket_policy(bucket: &str) -> String {
    format!("policy of S3 bucket {bucket}")
}

/// The bucket's policy document, or None when it has none.
pub async fn get_bucket_policy(client: &Client, bucket: &str) -> AwsResult<Option<String>> {
    match client.get_bucket_policy().bucket(bucket).send().await {
        Ok(o) => Ok(o.policy().map(String::from)),
        Err(e) => {
            let e = AwsError::from(e);
            if e.is_code("NoSuchBucketPolicy") {
                Ok(None)
            } else {
                Err(e.on(bucket_policy(bucket)))
            }
        }
    }
}

pub async fn put_bucket_policy(client: &Client, bucket: &str, policy: &str) -> AwsResult<()> {
    client
        .put_bucket_policy()
        .bucket(bucket)
        .policy(policy)
        .send()
        .await
        .map_err(on(|| bucket_policy(bucket)))?;
    Ok(())
}

pub async fn delete_bucket_policy(client: &Client, bucket: &str) -> AwsResult<()> {
    client
        .delete_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .map_err(on(|| bucket_policy(bucket)))?;
    Ok(())
}
