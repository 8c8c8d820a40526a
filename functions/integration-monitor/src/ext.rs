//! The one write integration-monitor makes: record a transition, then publish it.
//!
//! The record is written conditionally first, so that of two overlapping runs only one
//! publishes; when PutEvents fails the previous record is put back, so that the next run
//! publishes the transition again.

use lakewarden::aws::{eventbridge, Aws, AwsResult};
use lakewarden::reconcile::{ApplyState, Done, ExtAction, NoExt};
use lakewarden::state::StateStore;
use serde::Serialize;
use serde_json::json;

use crate::plan::{Transition, EVENT_DETAIL_TYPE, EVENT_SOURCE, PUBLISH};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ext {
    /// Record the new status (conditional write), then publish the state-change event.
    Publish(Transition),
}

impl From<NoExt> for Ext {
    fn from(n: NoExt) -> Ext {
        match n {}
    }
}

impl ExtAction for Ext {
    fn kind(&self) -> &'static str {
        PUBLISH
    }

    fn target(&self) -> String {
        match self {
            Ext::Publish(t) => t.target(),
        }
    }

    fn remedy(&self) -> String {
        match self {
            Ext::Publish(t) => format!(
                "Check events:PutEvents on the bus {} and dynamodb:GetItem/PutItem on the state table {}; the next run publishes this transition again",
                t.event_bus, t.state_table
            ),
        }
    }

    async fn apply(&self, aws: &Aws, _shared: &mut ApplyState) -> AwsResult<Done> {
        let Ext::Publish(t) = self;
        let store = StateStore::new(aws.dynamodb.clone(), t.state_table.clone());
        if !store.put_if(&t.key, &t.record, t.expected_version).await? {
            // Another run recorded (and publishes) this transition.
            return Ok(Done::Already);
        }
        let published = eventbridge::put_event(
            &aws.eventbridge,
            &t.event_bus,
            EVENT_SOURCE,
            EVENT_DETAIL_TYPE,
            &t.detail.to_string(),
            std::slice::from_ref(&t.integration_arn),
        )
        .await;
        let Err(mut e) = published else {
            return Ok(Done::Applied);
        };
        // Put the previous record back so the next run publishes the transition again.
        let written = t.expected_version.map(|v| v + 1).unwrap_or(1);
        let previous = t.previous.clone().unwrap_or(json!({"status": null}));
        match store.put_if(&t.key, &previous, Some(written)).await {
            Ok(true) => {}
            Ok(false) => e.message.push_str(
                "; the record changed meanwhile, so this transition may not be published again",
            ),
            Err(back) => e.message.push_str(&format!(
                "; putting the previous record back failed too ({back}), so this transition will not be published again: publish it by hand"
            )),
        }
        Err(e)
    }
}
