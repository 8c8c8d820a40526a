//! table-exporter runs on its schedule only; the schedule time names the export of that run.

use chrono::{DateTime, Utc};
use lakewarden::events::{self, EventError};
use lakewarden::reconcile::Trigger;
use serde_json::Value;

/// The schedule time of a scheduled event; anything else is not for table-exporter.
pub fn schedule_time(event: &Value) -> Result<DateTime<Utc>, EventError> {
    let env = events::envelope(event)?;
    if !events::is_scheduled(&env) {
        return Err(EventError(format!(
            "table-exporter only runs on aws.events `{}` events, not `{}` from `{}`",
            events::SCHEDULED_EVENT,
            env.detail_type,
            env.source
        )));
    }
    env.time
        .ok_or_else(|| EventError("the scheduled event has no `time`".into()))
}

/// Event → the schedule time to export for.
pub fn trigger(event: &Value) -> Result<Trigger<DateTime<Utc>>, EventError> {
    schedule_time(event).map(Trigger::Run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_scheduled_events_with_a_time() {
        assert!(trigger(&json!({"detail-type": "Scheduled Event", "source": "aws.events", "time": "2026-11-24T10:00:00Z", "detail": {}})).is_ok());
        assert!(schedule_time(
            &json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}})
        )
        .is_err());
        assert!(
            schedule_time(&json!({"detail-type": "x", "source": "aws.glue", "detail": {}}))
                .is_err()
        );
    }
}
