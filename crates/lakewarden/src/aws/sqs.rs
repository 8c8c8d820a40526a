//! SQS: catalog-sharer's scheduled fan-out enqueues one message per configured database.

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;

use super::{build_err, on, AwsError, AwsResult, LocalKind};

/// Entries one `SendMessageBatch` takes at most (SQS API Reference, SendMessageBatch: "send up
/// to 10 messages"; Amazon SQS message quotas, "Message batch").
pub const MAX_BATCH: usize = 10;

/// Bytes one `SendMessageBatch` carries at most, all bodies together (SQS API Reference,
/// SendMessageBatch: the maximum total payload size is 1 MiB, 1,048,576 bytes).
pub const MAX_BATCH_BYTES: usize = 1_048_576;

/// Send `bodies` (at most [`MAX_BATCH`], at most [`MAX_BATCH_BYTES`] together) in one
/// `SendMessageBatch`. Entry ids are the bodies' positions (`m0` … `m9`: SQS allows up to 80
/// alphanumeric characters, `-` and `_`, unique within the request).
///
/// SQS answers 200 even when some entries failed: an entry in `Failed` makes this an error that
/// names each refused body; the accepted ones stay sent (sending them again is harmless: a
/// message is only a hint that the receiver re-validates).
pub async fn send_batch(client: &Client, queue_url: &str, bodies: &[String]) -> AwsResult<()> {
    let bytes: usize = bodies.iter().map(String::len).sum();
    if bodies.is_empty() || bodies.len() > MAX_BATCH || bytes > MAX_BATCH_BYTES {
        return Err(AwsError::local(
            LocalKind::InvalidRequest,
            format!(
                "SendMessageBatch takes 1 to {MAX_BATCH} messages of at most {MAX_BATCH_BYTES} bytes together, not {} of {bytes}",
                bodies.len()
            ),
        )
        .on(format!("SQS queue {queue_url}")));
    }
    let entries = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            SendMessageBatchRequestEntry::builder()
                .id(format!("m{i}"))
                .message_body(b)
                .build()
                .map_err(build_err)
        })
        .collect::<AwsResult<Vec<_>>>()?;
    let out = client
        .send_message_batch()
        .queue_url(queue_url)
        .set_entries(Some(entries))
        .send()
        .await
        .map_err(on(|| format!("SQS queue {queue_url}")))?;
    let Some(first) = out.failed().first() else {
        return Ok(());
    };
    let refused: Vec<String> = out
        .failed()
        .iter()
        .map(|f| {
            let body = f
                .id()
                .strip_prefix('m')
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| bodies.get(i))
                .map(String::as_str)
                .unwrap_or("?");
            format!("{body}: {} {}", f.code(), f.message().unwrap_or_default())
        })
        .collect();
    Err(AwsError::new(
        Some(first.code()),
        format!(
            "SQS refused {} of {} messages ({})",
            refused.len(),
            bodies.len(),
            refused.join("; ")
        ),
    )
    .on(format!("SQS queue {queue_url}")))
}
