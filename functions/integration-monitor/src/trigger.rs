//! integration-monitor runs on its schedule only (Glue emits no integration events).

use lakewarden::events::{self, EventError};
use lakewarden::reconcile::Trigger;
use serde_json::Value;

pub fn require_schedule(event: &Value) -> Result<(), EventError> {
    let env = events::envelope(event)?;
    if events::is_scheduled(&env) {
        Ok(())
    } else {
        Err(EventError(format!(
            "integration-monitor only runs on aws.events `{}` events, not `{}` from `{}`",
            events::SCHEDULED_EVENT,
            env.detail_type,
            env.source
        )))
    }
}

/// Every scheduled event polls both sides.
pub fn trigger(event: &Value) -> Result<Trigger<()>, EventError> {
    require_schedule(event).map(|()| Trigger::Run(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_schedule() {
        assert_eq!(
            trigger(
                &json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}})
            )
            .unwrap(),
            Trigger::Run(())
        );
        for junk in [
            json!({"detail-type": "Glue Data Catalog Database State Change", "source": "aws.glue", "detail": {}}),
            json!({"hello": "world"}),
        ] {
            assert!(trigger(&junk).is_err(), "{junk}");
        }
    }
}
