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
    let at = env
        .time
        .ok_or_else(|| EventError("the scheduled event has no `time`".into()))?;
    plausible(at, Utc::now())?;
    Ok(at)
}

/// A schedule time names the export of that run (its client token and its dated prefix), so an
/// event time no schedule can have is refused: before DynamoDB could export to S3 (November
/// 2020), or in the future (EventBridge sends a scheduled event at or after its time; an hour
/// allows for clock skew). Past times are fine: retries and redriven events come late.
pub fn plausible(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), EventError> {
    let earliest = DateTime::parse_from_rfc3339("2020-11-01T00:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(at);
    if at < earliest || at > now + chrono::Duration::hours(1) {
        return Err(EventError(format!(
            "the scheduled event's `time` {} is not a time a schedule can have (before 2020-11 or in the future); nothing was exported",
            at.to_rfc3339()
        )));
    }
    Ok(())
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
    fn implausible_schedule_times_are_refused() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(plausible(t("1970-01-01T00:00:00Z"), now).is_err());
        assert!(plausible(t("9999-12-31T00:00:00Z"), now).is_err());
        assert!(plausible(t("2026-11-28T14:00:00Z"), now).is_err());
        assert!(plausible(t("2026-11-28T12:30:00Z"), now).is_ok());
        assert!(plausible(t("2026-11-24T10:00:00Z"), now).is_ok());
    }

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
