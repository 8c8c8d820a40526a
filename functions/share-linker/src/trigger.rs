//! Which event share-linker runs on. Every trigger reconciles the whole consumer side (it is
//! small); the scope only says which untrusted invitations a run may alert about.

use std::collections::BTreeSet;

use lakewarden::arn::Arn;
use lakewarden::aws::ram::Invitation;
use lakewarden::events::{self, EventError};
use lakewarden::reconcile::Trigger;
use serde_json::Value;

pub const RAM_SOURCE: &str = "aws.ram";
pub const RAM_CHANGE: &str = "Resource Sharing State Change";

/// Why share-linker runs. Only a RAM event alerts about invitations share-linker will not
/// accept, and only about the invitations it concerns, so that each untrusted invitation alerts
/// once and not on every RAM event or schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The RAM ARNs the event names (`resources`, and RAM ARN strings of `detail`).
    Ram {
        mentions: BTreeSet<String>,
    },
    Glue,
    Schedule,
}

impl Scope {
    /// Whether an untrusted pending invitation is to be alerted about on this trigger: on a RAM
    /// event that names it (invitation or share ARN), or on one that names no RAM ARN at all.
    pub fn alerts_about(&self, inv: &Invitation) -> bool {
        match self {
            Scope::Ram { mentions } => {
                mentions.is_empty()
                    || mentions.contains(&inv.arn)
                    || (!inv.share_arn.is_empty() && mentions.contains(&inv.share_arn))
            }
            _ => false,
        }
    }
}

fn ram_arns(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) if Arn::parse(s).is_some_and(|a| a.service == "ram") => {
            out.insert(s.clone());
        }
        Value::Array(a) => a.iter().for_each(|x| ram_arns(x, out)),
        Value::Object(o) => o.values().for_each(|x| ram_arns(x, out)),
        _ => {}
    }
}

/// Event → scope. Errors mean a malformed or unsupported event.
pub fn trigger(event: &Value) -> Result<Trigger<Scope>, EventError> {
    let env = events::envelope(event)?;
    if events::is_scheduled(&env) {
        return Ok(Trigger::Run(Scope::Schedule));
    }
    if env.source == RAM_SOURCE && env.detail_type == RAM_CHANGE {
        let mut mentions = BTreeSet::new();
        for r in env.resources.iter().flatten() {
            ram_arns(&Value::String(r.clone()), &mut mentions);
        }
        ram_arns(&env.detail, &mut mentions);
        return Ok(Trigger::Run(Scope::Ram { mentions }));
    }
    if events::glue_change(&env)?.is_some() {
        return Ok(Trigger::Run(Scope::Glue));
    }
    Err(EventError(format!(
        "share-linker does not handle `{}` events from `{}`; it takes aws.ram `{RAM_CHANGE}`, aws.glue catalog changes and aws.events `{}`",
        env.detail_type,
        env.source,
        events::SCHEDULED_EVENT
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ram(mentions: &[&str]) -> Trigger<Scope> {
        Trigger::Run(Scope::Ram {
            mentions: mentions.iter().map(|m| m.to_string()).collect(),
        })
    }

    #[test]
    fn triggers() {
        let ev = json!({"detail-type": RAM_CHANGE, "source": RAM_SOURCE, "detail": {}});
        assert_eq!(trigger(&ev).unwrap(), ram(&[]));
        let ev = json!({"detail-type": RAM_CHANGE, "source": RAM_SOURCE,
            "resources": ["arn:aws:ram:us-east-1:1:resource-share-invitation/i"],
            "detail": {"event": "Resource Share Invitation", "status": "pending",
                       "resourceShareArn": "arn:aws:ram:us-east-1:1:resource-share/s",
                       "other": "arn:aws:s3:::not-ram"}});
        assert_eq!(
            trigger(&ev).unwrap(),
            ram(&[
                "arn:aws:ram:us-east-1:1:resource-share-invitation/i",
                "arn:aws:ram:us-east-1:1:resource-share/s"
            ])
        );
        // Another partition's RAM ARN is a RAM ARN too.
        let ev = json!({"detail-type": RAM_CHANGE, "source": RAM_SOURCE,
            "resources": ["arn:aws-cn:ram:cn-north-1:1:resource-share-invitation/i"], "detail": {}});
        assert_eq!(
            trigger(&ev).unwrap(),
            ram(&["arn:aws-cn:ram:cn-north-1:1:resource-share-invitation/i"])
        );
        let s = json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
        assert_eq!(trigger(&s).unwrap(), Trigger::Run(Scope::Schedule));
        assert!(trigger(&json!({"detail-type": "x", "source": "aws.s3", "detail": {}})).is_err());
    }
}
