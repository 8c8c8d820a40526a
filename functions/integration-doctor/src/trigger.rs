//! Which event integration-doctor runs on: a schedule, CloudTrail `CreateIntegration` /
//! `CreateIntegrationResourceProperty`, or lakewarden's `Zero-ETL Integration State Change`.

use lakewarden::events::{self, EventError};
use lakewarden::reconcile::Trigger;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const CLOUDTRAIL: &str = "AWS API Call via CloudTrail";
pub const STATE_CHANGE: &str = "Zero-ETL Integration State Change";

/// The detail of lakewarden's `Zero-ETL Integration State Change` event.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateChange {
    pub integration_arn: String,
    #[serde(default)]
    pub integration_name: Option<String>,
    pub source_arn: String,
    pub target_arn: String,
    pub side: String,
    #[serde(default)]
    pub previous_status: Option<String>,
    pub status: String,
    #[serde(default)]
    pub errors: Vec<Value>,
}

impl StateChange {
    /// A change to ACTIVE (from anything else, or first seen).
    pub fn became_active(&self) -> bool {
        self.status == "ACTIVE" && self.previous_status.as_deref() != Some("ACTIVE")
    }

    pub fn needs_alert(&self) -> bool {
        self.status == "FAILED" || self.status == "NEEDS_ATTENTION"
    }

    pub fn name(&self) -> String {
        self.integration_name
            .clone()
            .unwrap_or_else(|| self.integration_arn.clone())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    Schedule,
    /// CloudTrail CreateIntegration / CreateIntegrationResourceProperty.
    ApiCall(String),
    State(StateChange),
}

/// Event → scope. Errors mean a malformed or unsupported event.
pub fn trigger(event: &Value) -> Result<Trigger<Scope>, EventError> {
    let env = events::envelope(event)?;
    if events::is_scheduled(&env) {
        return Ok(Trigger::Run(Scope::Schedule));
    }
    if env.source == lakewarden::ownership::EVENT_SOURCE && env.detail_type == STATE_CHANGE {
        return Ok(Trigger::Run(Scope::State(events::detail(&env)?)));
    }
    if env.source == "aws.glue" && env.detail_type == CLOUDTRAIL {
        let name = env.detail["eventName"].as_str().unwrap_or_default();
        if name == "CreateIntegration" || name == "CreateIntegrationResourceProperty" {
            return Ok(Trigger::Run(Scope::ApiCall(name.to_string())));
        }
        return Err(EventError(format!(
            "integration-doctor handles CloudTrail CreateIntegration and CreateIntegrationResourceProperty, not `{}`",
            lakewarden::alerts::cap(name, 100)
        )));
    }
    Err(EventError(format!(
        "integration-doctor does not handle `{}` events from `{}`; it takes lakewarden `{STATE_CHANGE}`, aws.glue `{CLOUDTRAIL}` and aws.events `{}`",
        env.detail_type,
        env.source,
        events::SCHEDULED_EVENT
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn triggers() {
        assert_eq!(
            trigger(
                &json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}})
            )
            .unwrap(),
            Trigger::Run(Scope::Schedule)
        );
        let ct = json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.glue", "detail": {"eventName": "CreateIntegration"}});
        assert_eq!(
            trigger(&ct).unwrap(),
            Trigger::Run(Scope::ApiCall("CreateIntegration".into()))
        );
        let other = json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.glue", "detail": {"eventName": "DeleteTable"}});
        assert!(trigger(&other).is_err());
        let bad_state = json!({"detail-type": STATE_CHANGE, "source": "lakewarden", "detail": {"status": "FAILED"}});
        assert!(trigger(&bad_state).is_err());
    }
}
