//! Pure planning for the consumer side of a shared catalog: invitations, resource links,
//! Lake Formation grants to this account's roles, and the roles' S3 read policy.

use std::collections::{BTreeMap, BTreeSet};

use globset::Glob;
use lakewarden::aws::glue::{DatabaseInfo, TableInfo};
use lakewarden::aws::ram::Invitation;
use lakewarden::config::{Consumer, Link};
use lakewarden::events::{self, EventError};
use lakewarden::lf::{self, LfGrant, LfResource, LfState};
use lakewarden::policy::{self, Merge, Ownership};
use lakewarden::s3loc::S3Location;
use serde::Serialize;
use serde_json::{json, Value};

pub const RAM_SOURCE: &str = "aws.ram";
pub const RAM_CHANGE: &str = "Resource Sharing State Change";
/// The inline policy share-linker keeps on each configured role.
pub const POLICY_NAME: &str = "lakewarden-share-linker";
pub const SID_PREFIX: &str = "LakewardenLink";

/// Why share-linker runs. Every trigger reconciles everything (the consumer side is small).
/// Only a RAM event alerts about invitations share-linker will not accept, and only about the
/// invitations it concerns, so that each untrusted invitation alerts once and not on every RAM
/// event or schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// The RAM ARNs the event names (`resources`, and `arn:aws:ram:` strings of `detail`).
    Ram {
        mentions: BTreeSet<String>,
    },
    Glue,
    Schedule,
}

impl Trigger {
    /// Whether an untrusted pending invitation is to be alerted about on this trigger: on a RAM
    /// event that names it (invitation or share ARN), or on one that names no RAM ARN at all.
    pub fn alerts_about(&self, inv: &Invitation) -> bool {
        match self {
            Trigger::Ram { mentions } => {
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
        Value::String(s) if s.starts_with("arn:aws:ram:") => {
            out.insert(s.clone());
        }
        Value::Array(a) => a.iter().for_each(|x| ram_arns(x, out)),
        Value::Object(o) => o.values().for_each(|x| ram_arns(x, out)),
        _ => {}
    }
}

pub fn trigger(event: &Value) -> Result<Trigger, EventError> {
    let env = events::envelope(event)?;
    if events::is_scheduled(&env) {
        return Ok(Trigger::Schedule);
    }
    if env.source == RAM_SOURCE && env.detail_type == RAM_CHANGE {
        let mut mentions = BTreeSet::new();
        for r in env.resources.iter().flatten() {
            ram_arns(&Value::String(r.clone()), &mut mentions);
        }
        ram_arns(&env.detail, &mut mentions);
        return Ok(Trigger::Ram { mentions });
    }
    if events::glue_change(&env)?.is_some() {
        return Ok(Trigger::Glue);
    }
    Err(EventError(format!(
        "share-linker does not handle `{}` events from `{}`; it takes aws.ram `{RAM_CHANGE}`, aws.glue catalog changes and aws.events `{}`",
        env.detail_type,
        env.source,
        events::SCHEDULED_EVENT
    )))
}

/// The local name of the link for `database` (`link_name` may use `{database}`).
pub fn link_name(link: &Link, database: &str) -> String {
    match &link.link_name {
        Some(n) => n.replace("{database}", database),
        None => format!("{database}_link"),
    }
}

fn matches(link: &Link, producer: &str, database: &str) -> bool {
    link.producer == producer
        && Glob::new(&link.database)
            .map(|g| g.compile_matcher().is_match(database))
            .unwrap_or(false)
}

#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub account: String,
    /// Databases other accounts share with this one (catalog_id = owner).
    pub foreign: Vec<DatabaseInfo>,
    /// This account's databases by name (links included).
    pub own: BTreeMap<String, DatabaseInfo>,
    /// Tables of shared databases that are linked: (producer, database) → tables.
    pub tables: BTreeMap<(String, String), Vec<TableInfo>>,
    pub permissions: LfState,
    /// Current document of each configured role's `lakewarden-share-linker` policy.
    pub role_policies: BTreeMap<String, Option<Value>>,
}

impl Observed {
    pub fn visible(&self, producer: &str, database: &str) -> bool {
        self.foreign
            .iter()
            .any(|d| d.catalog_id.as_deref() == Some(producer) && d.name == database)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    AcceptInvitation {
        arn: String,
        sender: String,
        share: String,
    },
    CreateLink {
        name: String,
        producer: String,
        database: String,
    },
    DeleteLink {
        name: String,
        producer: String,
        database: String,
    },
    Grant(LfGrant),
    Revoke(LfGrant),
    PutRolePolicy {
        role: String,
        document: Value,
    },
    DeleteRolePolicy {
        role: String,
    },
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::AcceptInvitation { .. } => "ram.accept_invitation",
            Action::CreateLink { .. } => "glue.create_resource_link",
            Action::DeleteLink { .. } => "glue.delete_resource_link",
            Action::Grant(_) => "lakeformation.grant",
            Action::Revoke(_) => "lakeformation.revoke",
            Action::PutRolePolicy { .. } => "iam.put_role_policy",
            Action::DeleteRolePolicy { .. } => "iam.delete_role_policy",
        }
    }

    pub fn target(&self) -> String {
        match self {
            Action::AcceptInvitation { sender, share, .. } => {
                format!("invitation to share {share} from {sender}")
            }
            Action::CreateLink {
                name,
                producer,
                database,
            }
            | Action::DeleteLink {
                name,
                producer,
                database,
            } => format!("{name} -> {producer}:{database}"),
            Action::Grant(g) | Action::Revoke(g) => g.to_string(),
            Action::PutRolePolicy { role, .. } | Action::DeleteRolePolicy { role } => {
                format!("{role} policy {POLICY_NAME}")
            }
        }
    }

    pub fn remedy(&self) -> String {
        match self {
            Action::AcceptInvitation { .. } => "Accept the invitation in the RAM console (Shared with me); the function's role needs ram:AcceptResourceShareInvitation".into(),
            Action::CreateLink { name, producer, database } => format!(
                "Create the resource link by hand: aws glue create-database --database-input '{{\"Name\":\"{name}\",\"TargetDatabase\":{{\"CatalogId\":\"{producer}\",\"DatabaseName\":\"{database}\"}}}}'; the function's role needs glue:CreateDatabase"
            ),
            Action::DeleteLink { name, .. } => format!("Delete the resource link {name} by hand (aws glue delete-database --name {name})"),
            Action::Grant(g) => format!(
                "Make the function's role a Lake Formation data lake administrator of this account and check that the producer still shares {}",
                g.resource
            ),
            Action::Revoke(g) => format!("Revoke by hand: {} on {}", g.principal, g.resource),
            Action::PutRolePolicy { role, .. } | Action::DeleteRolePolicy { role } => format!(
                "Give the function's role iam:PutRolePolicy / iam:DeleteRolePolicy on {role}"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skip {
    pub action: String,
    pub target: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub already: Vec<(String, String)>,
    pub skipped: Vec<Skip>,
    /// What a person must know (alerted).
    pub attention: Vec<String>,
}

/// Pending invitations: accept those from trusted producers, never the others.
pub fn plan_invitations(cfg: &Consumer, invitations: &[Invitation], trigger: &Trigger) -> Plan {
    let mut p = Plan::default();
    for inv in invitations.iter().filter(|i| i.status == "PENDING") {
        if cfg.trusted_producers.contains(&inv.sender) {
            p.actions.push(Action::AcceptInvitation {
                arn: inv.arn.clone(),
                sender: inv.sender.clone(),
                share: inv.share_name.clone(),
            });
        } else {
            let reason = format!(
                "account {} is not in consumer.trusted_producers: invitation not accepted",
                inv.sender
            );
            p.skipped.push(Skip {
                action: "ram.accept_invitation".into(),
                target: format!("invitation to share {} from {}", inv.share_name, inv.sender),
                reason: reason.clone(),
            });
            if trigger.alerts_about(inv) {
                p.attention.push(format!(
                    "RAM invitation {} (share {}) from untrusted account {}: {reason}. Reject it in the RAM console, or add the account to consumer.trusted_producers if it should be trusted.",
                    inv.arn, inv.share_name, inv.sender
                ));
            }
        }
    }
    p
}

fn role_grants(account: &str, link: &Link, name: &str, producer: &str, db: &str) -> Vec<LfGrant> {
    let mut out = Vec::new();
    for role in &link.roles {
        out.push(LfGrant::new(
            role,
            LfResource::Database {
                catalog_id: account.into(),
                name: name.into(),
            },
            ["DESCRIBE"],
            false,
        ));
        out.push(LfGrant::new(
            role,
            LfResource::Database {
                catalog_id: producer.into(),
                name: db.into(),
            },
            ["DESCRIBE"],
            false,
        ));
        out.push(LfGrant::new(
            role,
            LfResource::TableWildcard {
                catalog_id: producer.into(),
                database: db.into(),
            },
            link.table_permissions.iter().cloned(),
            false,
        ));
    }
    out
}

/// The S3 read statements for one link's tables.
pub fn s3_statements(link_name: &str, tables: &[TableInfo]) -> Vec<Value> {
    let locs: BTreeSet<S3Location> = tables
        .iter()
        .filter_map(|t| t.location.as_deref().and_then(S3Location::parse))
        .collect();
    if locs.is_empty() {
        return vec![];
    }
    let frag = policy::sid_fragment(link_name);
    let objects: BTreeSet<String> = locs.iter().map(S3Location::objects_arn).collect();
    let mut out = vec![json!({
        "Sid": format!("{SID_PREFIX}Get{frag}"), "Effect": "Allow",
        "Action": "s3:GetObject", "Resource": objects,
    })];
    let mut by_bucket: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for l in &locs {
        by_bucket
            .entry(l.bucket.clone())
            .or_default()
            .insert(l.prefix.clone());
    }
    for (i, (bucket, prefixes)) in by_bucket.iter().enumerate() {
        let mut st = json!({
            "Sid": format!("{SID_PREFIX}List{frag}{}", if i == 0 { String::new() } else { i.to_string() }),
            "Effect": "Allow", "Action": "s3:ListBucket",
            "Resource": format!("arn:aws:s3:::{bucket}"),
        });
        if !prefixes.contains("") {
            let p: Vec<String> = prefixes.iter().map(|p| format!("{p}*")).collect();
            st["Condition"] = json!({"StringLike": {"s3:prefix": p}});
        }
        out.push(st);
    }
    out
}

fn role_in_account(role: &str, account: &str) -> bool {
    role.split(':').nth(4) == Some(account)
}

/// Links, grants and role policies.
pub fn plan(cfg: &Consumer, obs: &Observed) -> Plan {
    let mut p = Plan::default();
    let mut desired_grants: Vec<LfGrant> = Vec::new();
    let mut owned_stale: Vec<LfGrant> = Vec::new();
    let mut statements: BTreeMap<String, Vec<Value>> = BTreeMap::new();

    for link in &cfg.links {
        let roles: Vec<&String> = link
            .roles
            .iter()
            .filter(|r| {
                let ok = role_in_account(r, &obs.account);
                if !ok {
                    p.skipped.push(Skip {
                        action: "lakeformation.grant".into(),
                        target: (*r).clone(),
                        reason: format!("role is not in this account ({})", obs.account),
                    });
                }
                ok
            })
            .collect();
        let link_here = Link {
            roles: roles.iter().map(|r| (*r).clone()).collect(),
            ..link.clone()
        };
        for db in obs.foreign.iter().filter(|d| {
            d.catalog_id
                .as_deref()
                .is_some_and(|c| matches(link, c, &d.name))
        }) {
            let producer = db.catalog_id.clone().unwrap_or_default();
            let name = link_name(link, &db.name);
            match obs.own.get(&name) {
                None => p.actions.push(Action::CreateLink {
                    name: name.clone(),
                    producer: producer.clone(),
                    database: db.name.clone(),
                }),
                Some(d) if d.target == Some((producer.clone(), db.name.clone())) => {
                    p.already.push((
                        "glue.create_resource_link".into(),
                        format!("{name} -> {producer}:{}", db.name),
                    ))
                }
                Some(d) => {
                    let what = match &d.target {
                        Some((c, n)) => format!("a resource link to {c}:{n}"),
                        None => "a database that is not a resource link".into(),
                    };
                    let msg = format!(
                        "`{name}` already exists as {what}; not overwritten, so {producer}:{} is not linked. Rename or remove it, or set link_name.",
                        db.name
                    );
                    p.skipped.push(Skip {
                        action: "glue.create_resource_link".into(),
                        target: format!("{name} -> {producer}:{}", db.name),
                        reason: msg.clone(),
                    });
                    p.attention.push(msg);
                    continue;
                }
            }
            desired_grants.extend(role_grants(
                &obs.account,
                &link_here,
                &name,
                &producer,
                &db.name,
            ));
            if link.s3_read_policy {
                let tables = obs
                    .tables
                    .get(&(producer.clone(), db.name.clone()))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let st = s3_statements(&name, tables);
                for r in &link_here.roles {
                    statements.entry(r.clone()).or_default().extend(st.clone());
                }
            }
        }

        // Links whose share is gone: remove the link and what was granted for it.
        for d in obs.own.values() {
            let Some((producer, target)) = &d.target else {
                continue;
            };
            if !matches(link, producer, target) || d.name != link_name(link, target) {
                continue;
            }
            if obs.visible(producer, target) {
                continue;
            }
            p.actions.push(Action::DeleteLink {
                name: d.name.clone(),
                producer: producer.clone(),
                database: target.clone(),
            });
            p.attention.push(format!(
                "The share of {producer}:{target} is gone: resource link {} and the grants lakewarden made for it were removed.",
                d.name
            ));
            owned_stale.extend(role_grants(
                &obs.account,
                &link_here,
                &d.name,
                producer,
                target,
            ));
        }
        // Grants on producer resources no longer shared (even when no link exists any more).
        for held in obs.permissions.iter() {
            let Some(db) = held.resource.database_name() else {
                continue;
            };
            let cat = held.resource.catalog_id();
            if cat == obs.account || !matches(link, cat, db) || obs.visible(cat, db) {
                continue;
            }
            if !link_here.roles.contains(&held.principal) {
                continue;
            }
            let name = link_name(link, db);
            owned_stale.extend(
                role_grants(&obs.account, &link_here, &name, cat, db)
                    .into_iter()
                    .filter(|g| g.principal == held.principal && g.resource == held.resource),
            );
        }
    }

    for g in &desired_grants {
        match lf::missing(g, &obs.permissions) {
            Some(m) => p.actions.push(Action::Grant(m)),
            None => p
                .already
                .push(("lakeformation.grant".into(), g.to_string())),
        }
    }
    let mut seen = BTreeSet::new();
    for g in owned_stale {
        if let Some(r) = lf::held(&g, &obs.permissions) {
            if seen.insert((r.principal.clone(), r.resource.clone())) {
                p.actions.push(Action::Revoke(r));
            }
        }
    }

    for (role, current) in &obs.role_policies {
        let desired = statements.get(role).cloned().unwrap_or_default();
        match policy::merge(current.as_ref(), &Ownership::prefix(SID_PREFIX), &desired) {
            Merge::Unchanged => {
                if !desired.is_empty() {
                    p.already.push((
                        "iam.put_role_policy".into(),
                        format!("{role} policy {POLICY_NAME}"),
                    ));
                }
            }
            Merge::Put(document) => p.actions.push(Action::PutRolePolicy {
                role: role.clone(),
                document,
            }),
            Merge::Delete => p
                .actions
                .push(Action::DeleteRolePolicy { role: role.clone() }),
        }
    }
    p
}

#[cfg(test)]
mod tests;
