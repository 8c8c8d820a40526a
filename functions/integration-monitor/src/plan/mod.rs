//! Pure planning: which integration statuses changed since the last run, and the events to
//! publish. Each change becomes one "record then publish" action ([`Ext::Publish`]).

use std::collections::{BTreeMap, BTreeSet};

use lakewarden::aws::glue_integrations::IntegrationInfo;
use lakewarden::config::Integrations;
use lakewarden::reconcile::{Action, Plan};
use lakewarden::state::Record;
use serde::Serialize;
use serde_json::{json, Value};

use crate::ext::Ext;

pub const EVENT_SOURCE: &str = lakewarden::ownership::EVENT_SOURCE;
pub const EVENT_DETAIL_TYPE: &str = "Zero-ETL Integration State Change";
/// Report kind of every transition (and of every unchanged status).
pub const PUBLISH: &str = "events.put_event";
/// Prefix of the monitor's state keys.
pub const KEY_PREFIX: &str = lakewarden::ownership::state_key::INTEGRATION;

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

pub fn state_key(arn: &str, side: Side) -> String {
    format!("{KEY_PREFIX}{arn}#{}", side.as_str())
}

/// (integration ARN, side) of a state key.
fn parse_key(key: &str) -> Option<(&str, &str)> {
    key.strip_prefix(KEY_PREFIX)?.rsplit_once('#')
}

/// What one run read: both sides' integrations and the recorded statuses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    pub seen: Vec<(Side, IntegrationInfo)>,
    /// State key → record (`{"status", "name", "errors"}`).
    pub state: BTreeMap<String, Record>,
}

/// The field of a state record holding the events recorded but not yet known to be published
/// (a list of event details, oldest first).
pub const PENDING: &str = "pending";

/// A status change to record (conditionally) and publish — or, when `republish`, events an
/// earlier run recorded "to publish" and never marked published.
///
/// Delivery is at least once: the record is written with the events marked to publish
/// ([`PENDING`]) before PutEvents and without them after; a run that finds a record still
/// marked publishes those events again. An event whose publication was not confirmed (PutEvents
/// failed after AWS accepted it, or marking it published failed) is published twice; both
/// copies carry the same `detail.transitionId` (state key and record version of the
/// transition), by which consumers dedupe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    /// Where the record is kept (`integrations.state_table`).
    pub state_table: String,
    /// Where the event goes (`integrations.event_bus`).
    pub event_bus: String,
    pub key: String,
    pub expected_version: Option<u64>,
    /// The record once every event is published (`{"status", "name", "errors"}`).
    pub record: Value,
    /// Events recorded by an earlier run and not known to be published: they go first.
    pub earlier: Vec<Value>,
    /// The `detail` of the (last) event to publish.
    pub detail: Value,
    /// No new status: only events recorded by an earlier run are published again.
    pub republish: bool,
    pub integration_arn: String,
}

impl Transition {
    pub fn target(&self) -> String {
        format!(
            "{} ({}): {} -> {}{}",
            self.integration_arn,
            self.detail["side"].as_str().unwrap_or_default(),
            self.detail["previousStatus"]
                .as_str()
                .unwrap_or("(first seen)"),
            self.detail["status"].as_str().unwrap_or_default(),
            if self.republish {
                " (again: an earlier run recorded it and did not confirm its publication)"
            } else {
                ""
            }
        )
    }

    /// Every event to publish, in order.
    pub fn events(&self) -> impl Iterator<Item = &Value> {
        self.earlier.iter().chain(std::iter::once(&self.detail))
    }

    /// The record written before PutEvents: [`Transition::record`] with the events marked to
    /// publish.
    pub fn pending_record(&self) -> Value {
        let mut r = self.record.clone();
        if let Some(m) = r.as_object_mut() {
            m.insert(
                PENDING.into(),
                Value::Array(self.events().cloned().collect()),
            );
        }
        r
    }
}

/// The events a record still holds marked to publish.
fn pending_of(r: Option<&Record>) -> Vec<Value> {
    r.and_then(|r| r.data[PENDING].as_array().cloned())
        .unwrap_or_default()
}

/// A record without its events to publish.
fn published(data: &Value) -> Value {
    let mut d = data.clone();
    if let Some(m) = d.as_object_mut() {
        m.remove(PENDING);
    }
    d
}

pub fn plan(cfg: &Integrations, obs: &Observed) -> Plan<Ext> {
    let mut p = Plan::default();
    let mut current = BTreeSet::new();
    for (side, i) in &obs.seen {
        let key = state_key(&i.arn, *side);
        current.insert(key.clone());
        let prev = obs.state.get(&key);
        let prev_status = prev.and_then(|r| r.data["status"].as_str().map(String::from));
        let mut earlier = pending_of(prev);
        if prev_status.as_deref() == Some(i.status.as_str()) {
            match (earlier.pop(), prev) {
                (Some(detail), Some(r)) => p.push(Action::Ext(Ext::Publish(Transition {
                    state_table: cfg.state_table.clone(),
                    event_bus: cfg.event_bus.clone(),
                    key,
                    expected_version: Some(r.version),
                    record: published(&r.data),
                    earlier,
                    detail,
                    republish: true,
                    integration_arn: i.arn.clone(),
                }))),
                _ => p.already(
                    PUBLISH,
                    format!("{} ({}): {}", i.arn, side.as_str(), i.status),
                ),
            }
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
        // The key and the version the transition is first recorded at: the same in every copy
        // of the event (see [`Transition`]).
        let transition_id = format!("{key}#{}", prev.map(|r| r.version + 1).unwrap_or(1));
        p.push(Action::Ext(Ext::Publish(Transition {
            state_table: cfg.state_table.clone(),
            event_bus: cfg.event_bus.clone(),
            key,
            expected_version: prev.map(|r| r.version),
            record: json!({"status": i.status, "name": name, "errors": errors}),
            earlier,
            republish: false,
            detail: json!({
                "transitionId": transition_id,
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
        })));
    }
    // An integration recorded before and listed no more was deleted: that is worth knowing,
    // but it is a note, not an alert and not an event (issue 12 §5).
    for (key, r) in &obs.state {
        if current.contains(key) {
            continue;
        }
        if let Some((arn, side)) = parse_key(key) {
            p.notes.push(json!({
                "integration_gone": arn,
                "side": side,
                "last_status": r.data["status"],
                "note": "the integration no longer exists; nothing is published about it",
            }));
        }
    }
    p
}

#[cfg(test)]
mod tests;
