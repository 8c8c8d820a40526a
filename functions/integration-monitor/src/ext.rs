//! The one write integration-monitor makes: record a transition, then publish it.
//!
//! The record is written conditionally first, with the event marked "to publish" (of two runs
//! that read the same record only one gets to write it); once PutEvents succeeded the record is
//! written again without the mark. A run that finds a record still marked publishes its events again: delivery
//! is at least once, and every copy of an event carries the same `detail.transitionId`.

use lakewarden::aws::{eventbridge, Aws, AwsResult};
use lakewarden::reconcile::{ApplyState, Done, ExtAction, NoExt};
use lakewarden::state::StateStore;
use serde::Serialize;

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
                "Check events:PutEvents on the bus {} and dynamodb:PutItem on the state table {}; the next run publishes this transition again (consumers dedupe by detail.transitionId)",
                t.event_bus, t.state_table
            ),
        }
    }

    async fn apply(&self, aws: &Aws, _shared: &mut ApplyState) -> AwsResult<Done> {
        let Ext::Publish(t) = self;
        let store = StateStore::new(aws.dynamodb.clone(), t.state_table.clone());
        // 1. The new status, with its events marked to publish.
        if !store
            .put_if(&t.key, &t.pending_record(), t.expected_version)
            .await?
        {
            // Another run recorded (and publishes) this transition.
            return Ok(Done::Already);
        }
        // 2. The events. When one fails, the record stays marked: the next run publishes them
        // again (those already out a second time, with the same transitionId).
        for detail in t.events() {
            if let Err(mut e) = eventbridge::put_event(
                &aws.eventbridge,
                &t.event_bus,
                EVENT_SOURCE,
                EVENT_DETAIL_TYPE,
                &detail.to_string(),
                std::slice::from_ref(&t.integration_arn),
            )
            .await
            {
                e.message.push_str(
                    "; the transition stays recorded as to publish: the next run publishes it again",
                );
                return Err(e);
            }
        }
        // 3. Published.
        let written = t.expected_version.map(|v| v + 1).unwrap_or(1);
        match store.put_if(&t.key, &t.record, Some(written)).await {
            // Changed meanwhile: a later run took the record over (and publishes what it holds).
            Ok(_) => Ok(Done::Applied),
            Err(mut e) => {
                e.message.push_str(
                    "; the event was published but not marked published: the next run publishes it again (consumers dedupe by detail.transitionId)",
                );
                Err(e)
            }
        }
    }
}
