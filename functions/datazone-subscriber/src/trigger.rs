//! What a DataZone event (or the schedule) asks datazone-subscriber to reconcile. Pure.
//!
//! Shapes follow `docs/aws-semantics.md` §5 and `tests/events/documented/`: the grant events
//! name the grant (`metadata.id`), its listing and its subscription target; `Subscription
//! Revoked` / `Subscription Cancelled` are about a *subscription* (`data.subscribedListing`,
//! `data.subscribedPrincipal`) and are resolved to its grants when observed; `Environment
//! Deployment Completed` names the environment in `data.environmentId`.

use lakewarden::config::DataZone;
use lakewarden::events::{self, EventError};
use lakewarden::reconcile::Trigger;
use serde_json::Value;

/// Fulfil a subscription grant, or undo it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    Grant,
    Revoke,
}

/// One subscription grant an event names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRef {
    pub kind: GrantKind,
    pub domain: String,
    /// The subscription grant id.
    pub id: String,
    /// (listing id, listing revision)
    pub listing: Option<(String, Option<String>)>,
    /// (subscription target id, environment id)
    pub target: Option<(String, String)>,
}

/// What one run is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Scheduled: every environment and every pending grant of the configured domains.
    All,
    Environment {
        domain: String,
        id: String,
    },
    Grant(GrantRef),
    /// `Subscription Revoked` / `Cancelled`: the grants of subscription `id`
    /// (ListSubscriptionGrants by subscriptionId).
    Subscription {
        domain: String,
        id: String,
        listing: String,
        /// The subscribed project (`data.subscribedPrincipal.id`).
        project: Option<String>,
    },
    /// `Subscription Revoked` / `Cancelled` in the grant shape of older hand-written events:
    /// `id` is a grant, or else the grants of that listing to that target are revoked.
    GrantOrListing(GrantRef),
}

pub const ENVIRONMENT_DEPLOYED: &str = "Environment Deployment Completed";
pub const GRANT_REQUESTED: &str = "Subscription Grant Requested";
pub const GRANT_REVOKE_REQUESTED: &str = "Subscription Grant Revoke Requested";
pub const SUBSCRIPTION_REVOKED: &str = "Subscription Revoked";
pub const SUBSCRIPTION_CANCELLED: &str = "Subscription Cancelled";

fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(String::from)
}

/// A DataZone identifier of the event (`path` names it in the error): absent → None; present
/// → it must match DataZone's id pattern `^[a-zA-Z0-9_-]{1,36}$` (API reference; revisions
/// allow 64), so that nothing else ever reaches a request path.
fn ident(v: &Value, path: &str, max: usize) -> Result<Option<String>, EventError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s)
            if !s.is_empty()
                && s.len() <= max
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
        {
            Ok(Some(s.clone()))
        }
        _ => Err(EventError(format!(
            "{path} is not a DataZone identifier (1-{max} of A-Z a-z 0-9 _ -): {}",
            lakewarden::alerts::cap(&v.to_string(), 80)
        ))),
    }
}

const ID: usize = 36;
const REVISION: usize = 64;

/// Decide what an event asks for. Errors mean a malformed or unsupported event.
pub fn trigger(event: &Value, cfg: &DataZone) -> Result<Trigger<Scope>, EventError> {
    let env = events::envelope(event)?;
    if events::is_scheduled(&env) {
        return Ok(Trigger::Run(Scope::All));
    }
    if env.source != "aws.datazone" {
        return Err(EventError(format!(
            "datazone-subscriber takes aws.datazone events, not `{}` from `{}`",
            env.detail_type, env.source
        )));
    }
    let dt = env.detail_type.as_str();
    if ![
        ENVIRONMENT_DEPLOYED,
        GRANT_REQUESTED,
        GRANT_REVOKE_REQUESTED,
        SUBSCRIPTION_REVOKED,
        SUBSCRIPTION_CANCELLED,
    ]
    .contains(&dt)
    {
        return Ok(Trigger::Ignore(format!(
            "`{dt}` needs nothing from lakewarden"
        )));
    }
    let meta = &env.detail["metadata"];
    let data = &env.detail["data"];
    let Some(domain) = text(&meta["domain"]) else {
        return Err(EventError(format!("`{dt}` detail.metadata needs `domain`")));
    };
    if !cfg.domains.contains(&domain) {
        return Ok(Trigger::Ignore(format!(
            "domain {domain} is not in datazone.domains"
        )));
    }
    if dt == ENVIRONMENT_DEPLOYED {
        let from_data = ident(&data["environmentId"], "detail.data.environmentId", ID)?;
        let Some(id) = from_data.or(ident(&meta["id"], "detail.metadata.id", ID)?) else {
            return Err(EventError(format!(
                "`{dt}` needs detail.data.environmentId (or detail.metadata.id)"
            )));
        };
        return Ok(Trigger::Run(Scope::Environment { domain, id }));
    }
    let id = ident(&meta["id"], "detail.metadata.id", ID)?;
    let subscription_shaped = data["subscribedListing"].is_object();
    if (dt == SUBSCRIPTION_REVOKED || dt == SUBSCRIPTION_CANCELLED) && subscription_shaped {
        let listing = ident(
            &data["subscribedListing"]["id"],
            "detail.data.subscribedListing.id",
            ID,
        )?;
        let project = ident(
            &data["subscribedPrincipal"]["id"],
            "detail.data.subscribedPrincipal.id",
            ID,
        )?;
        let (Some(id), Some(listing)) = (id, listing) else {
            return Err(EventError(format!(
                "`{dt}` needs detail.metadata.id (the subscription) and detail.data.subscribedListing.id"
            )));
        };
        return Ok(Trigger::Run(Scope::Subscription {
            domain,
            id,
            listing,
            project,
        }));
    }
    let asset = &data["asset"];
    let version = ident(
        &asset["listingVersion"],
        "detail.data.asset.listingVersion",
        REVISION,
    )?;
    let listing =
        ident(&asset["listingId"], "detail.data.asset.listingId", ID)?.map(|l| (l, version));
    let st = &data["subscriptionTarget"];
    let target = match (
        ident(&st["id"], "detail.data.subscriptionTarget.id", ID)?,
        ident(
            &st["environmentId"],
            "detail.data.subscriptionTarget.environmentId",
            ID,
        )?,
    ) {
        (Some(t), Some(e)) => Some((t, e)),
        _ => None,
    };
    let (Some(id), Some(_), Some(_)) = (&id, &listing, &target) else {
        return Err(EventError(format!(
            "`{dt}` needs detail.metadata.id, detail.data.asset.listingId and detail.data.subscriptionTarget {{id, environmentId}}{}",
            if dt.starts_with("Subscription Grant") {
                ""
            } else {
                " (or detail.data.subscribedListing)"
            }
        )));
    };
    let g = GrantRef {
        kind: if dt == GRANT_REQUESTED {
            GrantKind::Grant
        } else {
            GrantKind::Revoke
        },
        domain,
        id: id.clone(),
        listing,
        target,
    };
    Ok(Trigger::Run(if dt.starts_with("Subscription Grant") {
        Scope::Grant(g)
    } else {
        Scope::GrantOrListing(g)
    }))
}

/// The grant a pending summary of the scheduled reconcile stands for (None: nothing to do).
/// `*_IN_PROGRESS` counts as pending: lakewarden reports it before working, so a run that
/// stopped half-way is finished by the next one.
pub fn pending(domain: &str, g: &lakewarden::aws::datazone::GrantSummary) -> Option<GrantRef> {
    let has = |s: &[&str]| g.assets.iter().any(|(_, a)| s.contains(&a.as_str()));
    let kind = if has(&["GRANT_PENDING", "GRANT_IN_PROGRESS"]) {
        GrantKind::Grant
    } else if has(&["REVOKE_PENDING", "REVOKE_IN_PROGRESS"]) {
        GrantKind::Revoke
    } else {
        return None;
    };
    Some(GrantRef {
        kind,
        domain: domain.to_string(),
        id: g.id.clone(),
        listing: g.listing.clone().map(|(l, r)| (l, Some(r))),
        target: g.environment_id.clone().map(|e| (g.target_id.clone(), e)),
    })
}

/// The revokes a grant-shaped subscription event stands for when its id is not a grant: every
/// grant of the same listing to the same subscription target.
pub fn grants_of_listing(
    r: &GrantRef,
    grants: &[lakewarden::aws::datazone::GrantSummary],
) -> Vec<GrantRef> {
    let (Some((listing, _)), Some((target, env))) = (&r.listing, &r.target) else {
        return vec![];
    };
    grants
        .iter()
        .filter(|g| &g.target_id == target && g.listing.as_ref().map(|(l, _)| l) == Some(listing))
        .map(|g| GrantRef {
            kind: GrantKind::Revoke,
            domain: r.domain.clone(),
            id: g.id.clone(),
            listing: g.listing.clone().map(|(l, v)| (l, Some(v))),
            target: Some((
                target.clone(),
                g.environment_id.clone().unwrap_or_else(|| env.clone()),
            )),
        })
        .collect()
}

/// The grants of a subscription, as revokes (None for a grant without its environment).
pub fn grants_of_subscription(
    domain: &str,
    grants: &[lakewarden::aws::datazone::GrantSummary],
) -> Vec<GrantRef> {
    grants
        .iter()
        .filter_map(|g| {
            Some(GrantRef {
                kind: GrantKind::Revoke,
                domain: domain.to_string(),
                id: g.id.clone(),
                listing: g.listing.clone().map(|(l, v)| (l, Some(v))),
                target: Some((g.target_id.clone(), g.environment_id.clone()?)),
            })
        })
        .collect()
}

impl Scope {
    /// The resource a run is about, as reports and alerts name it.
    pub fn describe(&self) -> String {
        match self {
            Scope::All => "scheduled reconcile".into(),
            Scope::Environment { id, .. } => format!("environment {id}"),
            Scope::Grant(g) => format!("subscription grant {}", g.id),
            Scope::Subscription { id, .. } | Scope::GrantOrListing(GrantRef { id, .. }) => {
                format!("subscription {id}")
            }
        }
    }
}
