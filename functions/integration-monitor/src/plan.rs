//! Pure planning: which integration statuses changed since the last run, and the events to publish.

use std::collections::BTreeMap;

use lakewarden::aws::glue_integrations::IntegrationInfo;
use lakewarden::events::{self, EventError};
use lakewarden::state::Record;
use serde::Serialize;
use serde_json::{json, Value};

pub const EVENT_SOURCE: &str = "lakewarden";
pub const EVENT_DETAIL_TYPE: &str = "Zero-ETL Integration State Change";

/// Which side of an integration this account holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Source,
    Target,
}

impl Side {
    pub fn as_str(&self) -> &'static str {
        match self {
            Side::Source => "source",
            Side::Target => "target",
        }
    }
}

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

pub fn state_key(arn: &str, side: Side) -> String {
    format!("integration#{arn}#{}", side.as_str())
}

/// A status change to record (conditionally) and publish.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    pub key: String,
    pub expected_version: Option<u64>,
    pub previous: Option<Value>,
    pub record: Value,
    /// The `detail` of the event to publish.
    pub detail: Value,
    pub integration_arn: String,
}

impl Transition {
    pub fn target(&self) -> String {
        format!(
            "{} ({}): {} -> {}",
            self.integration_arn,
            self.detail["side"].as_str().unwrap_or_default(),
            self.detail["previousStatus"]
                .as_str()
                .unwrap_or("(first seen)"),
            self.detail["status"].as_str().unwrap_or_default()
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub transitions: Vec<Transition>,
    /// Integrations whose status is the one already recorded.
    pub unchanged: Vec<String>,
}

pub fn plan(seen: &[(Side, IntegrationInfo)], state: &BTreeMap<String, Record>) -> Plan {
    let mut p = Plan::default();
    for (side, i) in seen {
        let key = state_key(&i.arn, *side);
        let prev = state.get(&key);
        let prev_status = prev.and_then(|r| r.data["status"].as_str().map(String::from));
        if prev_status.as_deref() == Some(i.status.as_str()) {
            p.unchanged
                .push(format!("{} ({}): {}", i.arn, side.as_str(), i.status));
            continue;
        }
        let errors: Vec<Value> = i
            .errors
            .iter()
            .map(|e| json!({"code": e.code, "message": e.message}))
            .collect();
        let name = if i.name.is_empty() {
            prev.and_then(|r| r.data["name"].as_str().map(String::from))
                .unwrap_or_default()
        } else {
            i.name.clone()
        };
        p.transitions.push(Transition {
            key,
            expected_version: prev.map(|r| r.version),
            previous: prev.map(|r| r.data.clone()),
            record: json!({"status": i.status, "name": name, "errors": errors}),
            detail: json!({
                "integrationArn": i.arn,
                "integrationName": if name.is_empty() { Value::Null } else { json!(name) },
                "sourceArn": i.source_arn,
                "targetArn": i.target_arn,
                "side": side.as_str(),
                "previousStatus": prev_status,
                "status": i.status,
                "errors": errors,
            }),
            integration_arn: i.arn.clone(),
        });
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakewarden::aws::glue_integrations::IntegrationError;

    fn integ(status: &str) -> IntegrationInfo {
        IntegrationInfo {
            arn: "arn:aws:glue:us-east-1:111111111111:integration:1".into(),
            name: "zetl".into(),
            source_arn: "arn:aws:dynamodb:us-east-1:111111111111:table/t".into(),
            target_arn: "arn:aws:glue:us-east-1:222222222222:database/d".into(),
            status: status.into(),
            errors: vec![],
        }
    }

    #[test]
    fn first_sight_publishes_with_null_previous_status() {
        let p = plan(&[(Side::Source, integ("CREATING"))], &BTreeMap::new());
        assert_eq!(p.transitions.len(), 1);
        let d = &p.transitions[0].detail;
        assert_eq!(d["previousStatus"], Value::Null);
        assert_eq!(d["status"], "CREATING");
        assert_eq!(d["side"], "source");
        assert_eq!(d["integrationName"], "zetl");
        assert_eq!(p.transitions[0].expected_version, None);
    }

    #[test]
    fn unchanged_status_publishes_nothing_and_a_change_publishes_once() {
        let mut state = BTreeMap::new();
        state.insert(
            state_key(&integ("x").arn, Side::Source),
            Record {
                data: json!({"status": "CREATING", "name": "zetl"}),
                version: 3,
            },
        );
        assert!(plan(&[(Side::Source, integ("CREATING"))], &state)
            .transitions
            .is_empty());
        let mut failed = integ("FAILED");
        failed.errors.push(IntegrationError {
            code: "AccessDenied".into(),
            message: "table policy".into(),
        });
        let p = plan(&[(Side::Source, failed)], &state);
        assert_eq!(p.transitions.len(), 1);
        assert_eq!(p.transitions[0].expected_version, Some(3));
        assert_eq!(p.transitions[0].detail["previousStatus"], "CREATING");
        assert_eq!(
            p.transitions[0].detail["errors"],
            json!([{"code": "AccessDenied", "message": "table policy"}])
        );
    }

    #[test]
    fn the_two_sides_are_tracked_apart() {
        let mut inbound = integ("ACTIVE");
        inbound.name.clear();
        let p = plan(
            &[(Side::Source, integ("ACTIVE")), (Side::Target, inbound)],
            &BTreeMap::new(),
        );
        assert_eq!(p.transitions.len(), 2);
        assert_ne!(p.transitions[0].key, p.transitions[1].key);
        assert_eq!(p.transitions[1].detail["integrationName"], Value::Null);
    }
}
