//! EventBridge: publishing lakewarden's own events.

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;

use super::{on, AwsError, AwsResult};

/// Put one event on a bus; an entry-level failure is an error.
pub async fn put_event(
    client: &Client,
    bus: &str,
    source: &str,
    detail_type: &str,
    detail: &str,
    resources: &[String],
) -> AwsResult<()> {
    let out = client
        .put_events()
        .entries(
            PutEventsRequestEntry::builder()
                .event_bus_name(bus)
                .source(source)
                .detail_type(detail_type)
                .detail(detail)
                .set_resources(Some(resources.to_vec()))
                .build(),
        )
        .send()
        .await
        .map_err(on(|| format!("EventBridge bus {bus}")))?;
    if out.failed_entry_count() > 0 {
        let e = out.entries().first();
        return Err(AwsError::new(
            e.and_then(|e| e.error_code()),
            e.and_then(|e| e.error_message())
                .unwrap_or("PutEvents entry failed"),
        )
        .on(format!("EventBridge bus {bus}")));
    }
    Ok(())
}
