//! Pure planning: from what exists (`Observed`) and the configuration to a list of actions.
//! No AWS here; everything is unit-tested below.

use std::collections::{BTreeMap, BTreeSet};

use globset::{Glob, GlobMatcher};
use lakewarden::aws::glue::TableInfo;
use lakewarden::aws::ram::ShareState;
use lakewarden::aws::AwsError;
use lakewarden::config::{Producer, RamMode, Share};
use lakewarden::events::{self, Envelope, EventError};
use lakewarden::lf::{self, LfGrant, LfResource, LfState};
use lakewarden::policy::{self, Merge, Ownership};
use lakewarden::principal::Principal;
use lakewarden::s3loc::S3Location;
use serde::Serialize;
use serde_json::{json, Value};

/// Which databases an invocation looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Scheduled reconcile: every configured database.
    All,
    /// A Glue event: these databases only.
    Databases(BTreeSet<String>),
}

/// What an event asks of catalog-sharer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    Run(Scope),
    /// Nothing to do; the reason goes into the report.
    Ignore(String),
}

const PARTITION_CHANGES: &[&str] = &[
    "CreatePartition",
    "BatchCreatePartition",
    "UpdatePartition",
    "BatchUpdatePartition",
    "DeletePartition",
    "BatchDeletePartition",
];

pub fn matcher(pattern: &str) -> GlobMatcher {
    Glob::new(pattern)
        .expect("validated at cold start")
        .compile_matcher()
}

/// The share entries whose `database` matches `db`.
pub fn shares_for<'a>(cfg: &'a Producer, db: &str) -> Vec<&'a Share> {
    cfg.shares
        .iter()
        .filter(|s| matcher(&s.database).is_match(db))
        .collect()
}

/// Decide what an event asks for. Errors mean a malformed or unsupported event.
pub fn trigger(event: &Value, cfg: &Producer) -> Result<Trigger, EventError> {
    let env = events::envelope(event)?;
    if events::is_scheduled(&env) {
        return Ok(Trigger::Run(Scope::All));
    }
    let Some(change) = events::glue_change(&env)? else {
        return Err(unsupported(&env));
    };
    if shares_for(cfg, &change.database).is_empty() {
        return Ok(Trigger::Ignore(format!(
            "database `{}` is not in producer.shares; nothing to do",
            change.database
        )));
    }
    if PARTITION_CHANGES.contains(&change.type_of_change.as_str()) {
        return Ok(Trigger::Ignore(format!(
            "{} on {} changes no table location or grant",
            change.type_of_change, change.database
        )));
    }
    Ok(Trigger::Run(Scope::Databases(
        [change.database].into_iter().collect(),
    )))
}

fn unsupported(env: &Envelope) -> EventError {
    EventError(format!(
        "catalog-sharer does not handle `{}` events from `{}`; it takes aws.glue `{}` / `{}` and aws.events `{}`",
        env.detail_type,
        env.source,
        events::GLUE_DATABASE_CHANGE,
        events::GLUE_TABLE_CHANGE,
        events::SCHEDULED_EVENT
    ))
}

/// A bucket policy as read.
#[derive(Debug, Clone, PartialEq)]
pub enum BucketPolicy {
    Present(Value),
    Absent,
    Unreadable(AwsError),
}

/// Everything planning needs, read once.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub catalog_id: String,
    pub region: String,
    /// In-scope databases that exist, with their tables.
    pub databases: BTreeMap<String, Vec<TableInfo>>,
    /// In-scope databases that do not exist (deleted).
    pub gone: BTreeSet<String>,
    pub permissions: LfState,
    /// Registered data-location ARNs.
    pub registered: Vec<String>,
    pub bucket_policies: BTreeMap<String, BucketPolicy>,
    /// `ram: explicit` shares by name (None = not created yet).
    pub ram_shares: BTreeMap<String, Option<ShareState>>,
}

/// One write catalog-sharer may make.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    Grant(LfGrant),
    Revoke(LfGrant),
    RegisterLocation {
        arn: String,
    },
    PutBucketPolicy {
        bucket: String,
        policy: Value,
    },
    DeleteBucketPolicy {
        bucket: String,
    },
    CreateShare {
        name: String,
        resources: Vec<String>,
        principals: Vec<String>,
    },
    Associate {
        name: String,
        arn: String,
        resources: Vec<String>,
        principals: Vec<String>,
    },
    Disassociate {
        name: String,
        arn: String,
        resources: Vec<String>,
        principals: Vec<String>,
    },
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Grant(_) => "lakeformation.grant",
            Action::Revoke(_) => "lakeformation.revoke",
            Action::RegisterLocation { .. } => "lakeformation.register_location",
            Action::PutBucketPolicy { .. } => "s3.put_bucket_policy",
            Action::DeleteBucketPolicy { .. } => "s3.delete_bucket_policy",
            Action::CreateShare { .. } => "ram.create_share",
            Action::Associate { .. } => "ram.associate",
            Action::Disassociate { .. } => "ram.disassociate",
        }
    }

    pub fn target(&self) -> String {
        match self {
            Action::Grant(g) | Action::Revoke(g) => g.to_string(),
            Action::RegisterLocation { arn } => arn.clone(),
            Action::PutBucketPolicy { bucket, .. } | Action::DeleteBucketPolicy { bucket } => {
                format!("bucket {bucket}")
            }
            Action::CreateShare {
                name,
                resources,
                principals,
            }
            | Action::Associate {
                name,
                resources,
                principals,
                ..
            }
            | Action::Disassociate {
                name,
                resources,
                principals,
                ..
            } => format!(
                "share {name}: resources [{}] principals [{}]",
                resources.join(", "),
                principals.join(", ")
            ),
        }
    }

    /// What a person should do when this action fails.
    pub fn remedy(&self) -> String {
        match self {
            Action::Grant(g) => format!(
                "Make the function's role a Lake Formation data lake administrator (or give it {} with grant option), check that {} exists, then let the next scheduled run retry",
                g.permissions.iter().cloned().collect::<Vec<_>>().join(", "),
                g.resource
            ),
            Action::Revoke(g) => format!(
                "Revoke by hand if it is still held: aws lakeformation revoke-permissions for {} on {}",
                g.principal, g.resource
            ),
            Action::RegisterLocation { arn } => format!(
                "Register {arn} in Lake Formation with the service-linked role (aws lakeformation register-resource --resource-arn {arn} --use-service-linked-role); the function's role needs iam:PutRolePolicy on AWSServiceRoleForLakeFormationDataAccess"
            ),
            Action::PutBucketPolicy { bucket, policy } => format!(
                "Give the function's role s3:PutBucketPolicy on {bucket}, or have the bucket owner apply this policy: {policy}"
            ),
            Action::DeleteBucketPolicy { bucket } => format!(
                "Give the function's role s3:DeleteBucketPolicy on {bucket}, or delete its policy by hand (it held only lakewarden statements)"
            ),
            Action::CreateShare { name, .. }
            | Action::Associate { name, .. }
            | Action::Disassociate { name, .. } => format!(
                "Check the RAM share {name} in the RAM console (sharing with the organization must be enabled for organization principals)"
            ),
        }
    }
}

/// Something left undone on purpose, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skip {
    pub action: String,
    pub target: String,
    pub reason: String,
    pub remedy: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub actions: Vec<Action>,
    /// (kind, target) of what is already as it should be.
    pub already: Vec<(String, String)>,
    pub skipped: Vec<Skip>,
}

impl Plan {
    pub fn grants(&self) -> Vec<LfGrant> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Grant(g) => Some(g.clone()),
                _ => None,
            })
            .collect()
    }
    pub fn revokes(&self) -> Vec<LfGrant> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Revoke(g) => Some(g.clone()),
                _ => None,
            })
            .collect()
    }
}

fn consumers(share: &Share) -> Vec<Principal> {
    share
        .consumers
        .iter()
        .filter_map(|c| Principal::parse(c).ok())
        .collect()
}

/// The grants the configuration asks for on one database (merged over matching shares).
pub fn desired_grants(
    cfg: &Producer,
    catalog_id: &str,
    db: &str,
    tables: &[TableInfo],
) -> Vec<LfGrant> {
    let mut acc: LfState = LfState::default();
    for share in shares_for(cfg, db) {
        for c in consumers(share) {
            let grantable = share.grantable && c.is_external_account_or_org();
            acc.add(LfGrant::new(
                c.identifier(),
                LfResource::Database {
                    catalog_id: catalog_id.into(),
                    name: db.into(),
                },
                share.database_permissions.iter().cloned(),
                grantable,
            ));
            for t in tables {
                acc.add(LfGrant::new(
                    c.identifier(),
                    LfResource::Table {
                        catalog_id: catalog_id.into(),
                        database: db.into(),
                        name: t.name.clone(),
                    },
                    share.table_permissions.iter().cloned(),
                    grantable,
                ));
            }
        }
    }
    acc.iter().collect()
}

/// What lakewarden would grant `principal` on a database or on any of its tables: the most it
/// may revoke there.
fn owned_perms(cfg: &Producer, db: &str, principal: &str, table: bool) -> (BTreeSet<String>, bool) {
    let mut perms = BTreeSet::new();
    let mut grantable = false;
    for share in shares_for(cfg, db) {
        for c in consumers(share) {
            if c.identifier() == principal {
                let p = if table {
                    &share.table_permissions
                } else {
                    &share.database_permissions
                };
                perms.extend(p.iter().cloned());
                grantable |= share.grantable && c.is_external_account_or_org();
            }
        }
    }
    (perms, grantable)
}

/// Sids of the bucket statements for one database.
pub fn bucket_sids(db: &str) -> [String; 4] {
    let f = policy::sid_fragment(db);
    [
        format!("LakewardenShareOrgGet{f}"),
        format!("LakewardenShareOrgList{f}"),
        format!("LakewardenShareAccountsGet{f}"),
        format!("LakewardenShareAccountsList{f}"),
    ]
}

/// The statements one database needs in one bucket.
pub fn bucket_statements(cfg: &Producer, db: &str, locations: &[S3Location]) -> Vec<Value> {
    if locations.is_empty() {
        return vec![];
    }
    let mut org_ids = BTreeSet::new();
    let mut arns = BTreeSet::new();
    for share in shares_for(cfg, db).into_iter().filter(|s| s.bucket_policy) {
        for c in consumers(share) {
            if let Some(o) = c.org_id() {
                org_ids.insert(o.to_string());
            } else if let Some(a) = c.policy_arn() {
                arns.insert(a);
            }
        }
    }
    let bucket_arn = locations[0].bucket_arn();
    let objects: BTreeSet<String> = locations.iter().map(S3Location::objects_arn).collect();
    let whole_bucket = locations.iter().any(|l| l.prefix.is_empty());
    let prefixes: BTreeSet<String> = locations
        .iter()
        .flat_map(|l| [format!("{}*", l.prefix)])
        .collect();
    let [org_get, org_list, acc_get, acc_list] = bucket_sids(db);
    let list_condition = |extra: Option<Value>| -> Option<Value> {
        let mut cond = serde_json::Map::new();
        if let Some(Value::Object(m)) = extra {
            cond.extend(m);
        }
        if !whole_bucket {
            cond.insert("StringLike".into(), json!({"s3:prefix": prefixes}));
        }
        (!cond.is_empty()).then_some(Value::Object(cond))
    };
    let mut out = Vec::new();
    if !org_ids.is_empty() {
        let org_cond = json!({"StringEquals": {"aws:PrincipalOrgID": org_ids}});
        out.push(json!({
            "Sid": org_get, "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "s3:GetObject", "Resource": objects, "Condition": org_cond,
        }));
        let mut list = json!({
            "Sid": org_list, "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "s3:ListBucket", "Resource": bucket_arn,
        });
        list["Condition"] = list_condition(Some(org_cond)).expect("org condition");
        out.push(list);
    }
    if !arns.is_empty() {
        out.push(json!({
            "Sid": acc_get, "Effect": "Allow", "Principal": {"AWS": arns},
            "Action": "s3:GetObject", "Resource": objects,
        }));
        let mut list = json!({
            "Sid": acc_list, "Effect": "Allow", "Principal": {"AWS": arns},
            "Action": "s3:ListBucket", "Resource": bucket_arn,
        });
        if let Some(c) = list_condition(None) {
            list["Condition"] = c;
        }
        out.push(list);
    }
    out
}

/// The RAM share name for a share entry.
pub fn ram_share_name(share: &Share) -> String {
    let plain = share
        .database
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        format!("lakewarden-{}", share.database)
    } else {
        format!(
            "lakewarden-{}-{:08x}",
            policy::sid_fragment(&share.database).to_lowercase(),
            policy::fnv1a(share.database.as_bytes()) as u32
        )
    }
}

pub fn glue_db_arn(region: &str, account: &str, db: &str) -> String {
    format!("arn:aws:glue:{region}:{account}:database/{db}")
}
pub fn glue_table_arn(region: &str, account: &str, db: &str, table: &str) -> String {
    format!("arn:aws:glue:{region}:{account}:table/{db}/{table}")
}

/// The database a Glue database/table ARN names.
pub fn db_of_glue_arn(arn: &str) -> Option<&str> {
    let res = arn.splitn(6, ':').nth(5)?;
    let rest = res
        .strip_prefix("database/")
        .or_else(|| res.strip_prefix("table/"))?;
    rest.split('/').next()
}

/// Every in-scope database name (existing or gone).
fn scope_dbs(obs: &Observed) -> BTreeSet<String> {
    obs.databases
        .keys()
        .cloned()
        .chain(obs.gone.iter().cloned())
        .collect()
}

/// The whole plan.
pub fn plan(cfg: &Producer, obs: &Observed) -> Plan {
    let mut p = Plan::default();
    plan_grants(cfg, obs, &mut p);
    plan_registrations(cfg, obs, &mut p);
    plan_bucket_policies(cfg, obs, &mut p);
    plan_ram(cfg, obs, &mut p);
    p
}

fn plan_grants(cfg: &Producer, obs: &Observed, p: &mut Plan) {
    for (db, tables) in &obs.databases {
        for g in desired_grants(cfg, &obs.catalog_id, db, tables) {
            match lf::missing(&g, &obs.permissions) {
                Some(m) => p.actions.push(Action::Grant(m)),
                None => p
                    .already
                    .push(("lakeformation.grant".into(), g.to_string())),
            }
        }
    }
    // Grants lakewarden made on tables or databases that no longer exist.
    let scope = scope_dbs(obs);
    for held in obs.permissions.iter() {
        if held.resource.catalog_id() != obs.catalog_id {
            continue;
        }
        let Some(db) = held.resource.database_name() else {
            continue;
        };
        if !scope.contains(db) {
            continue;
        }
        let stale = match &held.resource {
            LfResource::Database { .. } => obs.gone.contains(db),
            LfResource::Table { name, .. } => match obs.databases.get(db) {
                Some(tables) => !tables.iter().any(|t| &t.name == name),
                None => true,
            },
            _ => false,
        };
        if !stale {
            continue;
        }
        let is_table = matches!(held.resource, LfResource::Table { .. });
        let (perms, grantable) = owned_perms(cfg, db, &held.principal, is_table);
        if perms.is_empty() {
            continue; // not a configured consumer: not ours
        }
        let owned = LfGrant::new(&held.principal, held.resource.clone(), perms, grantable);
        if let Some(r) = lf::held(&owned, &obs.permissions) {
            p.actions.push(Action::Revoke(r));
        }
    }
}

fn table_locations<'a>(
    cfg: &'a Producer,
    obs: &'a Observed,
    want: impl Fn(&Share) -> bool + 'a,
) -> impl Iterator<Item = (&'a String, S3Location)> + 'a {
    obs.databases.iter().flat_map(move |(db, tables)| {
        let wanted = shares_for(cfg, db).into_iter().any(&want);
        tables
            .iter()
            .filter(move |_| wanted)
            .filter_map(|t| t.location.as_deref().and_then(S3Location::parse))
            .map(move |l| (db, l))
    })
}

fn plan_registrations(cfg: &Producer, obs: &Observed, p: &mut Plan) {
    let mut seen = BTreeSet::new();
    for (_, loc) in table_locations(cfg, obs, |s| s.register_location) {
        let arn = loc.location_arn();
        if !seen.insert(arn.clone()) {
            continue;
        }
        if obs.registered.iter().any(|r| loc.covered_by(r)) {
            p.already
                .push(("lakeformation.register_location".into(), arn));
        } else {
            p.actions.push(Action::RegisterLocation { arn });
        }
    }
}

fn plan_bucket_policies(cfg: &Producer, obs: &Observed, p: &mut Plan) {
    // Locations per (bucket, database) for shares that keep a bucket statement.
    let mut wanted: BTreeMap<String, BTreeMap<String, BTreeSet<S3Location>>> = BTreeMap::new();
    for (db, loc) in table_locations(cfg, obs, |s| s.bucket_policy) {
        wanted
            .entry(loc.bucket.clone())
            .or_default()
            .entry(db.clone())
            .or_default()
            .insert(loc);
    }
    let scope = scope_dbs(obs);
    let allowed: BTreeSet<String> = cfg
        .shares
        .iter()
        .flat_map(consumers)
        .filter_map(|c| c.policy_arn())
        .collect();
    for (bucket, current) in &obs.bucket_policies {
        let mut desired = Vec::new();
        let mut owned = Vec::new();
        for db in &scope {
            owned.extend(bucket_sids(db));
            let locs: Vec<S3Location> = wanted
                .get(bucket)
                .and_then(|m| m.get(db))
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            desired.extend(bucket_statements(cfg, db, &locs));
        }
        if let Some(bad) = desired
            .iter()
            .find_map(|s| policy::check_statement(s, &|pr| allowed.contains(pr)).err())
        {
            p.skipped.push(Skip {
                action: "s3.put_bucket_policy".into(),
                target: format!("bucket {bucket}"),
                reason: format!("refused: {bad}"),
                remedy: Some("Check producer.shares consumers".into()),
            });
            continue;
        }
        let cur = match current {
            BucketPolicy::Present(v) => Some(v),
            BucketPolicy::Absent => None,
            BucketPolicy::Unreadable(e) => {
                if !desired.is_empty() {
                    let doc = json!({"Version": "2012-10-17", "Statement": desired});
                    p.skipped.push(Skip {
                        action: "s3.put_bucket_policy".into(),
                        target: format!("bucket {bucket}"),
                        reason: format!("cannot read the bucket policy: {e}"),
                        remedy: Some(format!(
                            "If the bucket belongs to another account, its owner must merge these statements into its policy: {doc}"
                        )),
                    });
                }
                continue;
            }
        };
        match policy::merge(cur, &Ownership::exact(owned), &desired) {
            Merge::Unchanged => {
                if !desired.is_empty() {
                    p.already
                        .push(("s3.put_bucket_policy".into(), format!("bucket {bucket}")));
                }
            }
            Merge::Put(doc) => p.actions.push(Action::PutBucketPolicy {
                bucket: bucket.clone(),
                policy: doc,
            }),
            Merge::Delete => p.actions.push(Action::DeleteBucketPolicy {
                bucket: bucket.clone(),
            }),
        }
    }
}

fn plan_ram(cfg: &Producer, obs: &Observed, p: &mut Plan) {
    let scope = scope_dbs(obs);
    for share in cfg.shares.iter().filter(|s| s.ram == RamMode::Explicit) {
        let name = ram_share_name(share);
        let m = matcher(&share.database);
        let mut resources = BTreeSet::new();
        for (db, tables) in obs.databases.iter().filter(|(d, _)| m.is_match(d)) {
            resources.insert(glue_db_arn(&obs.region, &obs.catalog_id, db));
            for t in tables {
                resources.insert(glue_table_arn(&obs.region, &obs.catalog_id, db, &t.name));
            }
        }
        let principals: BTreeSet<String> = consumers(share)
            .iter()
            .map(|c| c.identifier().to_string())
            .collect();
        match obs.ram_shares.get(&name) {
            None => {}
            Some(None) if resources.is_empty() => {}
            Some(None) => p.actions.push(Action::CreateShare {
                name,
                resources: resources.into_iter().collect(),
                principals: principals.into_iter().collect(),
            }),
            Some(Some(cur)) => {
                let add_r: Vec<String> = resources.difference(&cur.resources).cloned().collect();
                let add_p: Vec<String> = principals.difference(&cur.principals).cloned().collect();
                // Only resources of databases this run looked at may be removed.
                let del_r: Vec<String> = cur
                    .resources
                    .iter()
                    .filter(|r| !resources.contains(*r))
                    .filter(|r| db_of_glue_arn(r).is_some_and(|d| scope.contains(d)))
                    .cloned()
                    .collect();
                let del_p: Vec<String> = cur.principals.difference(&principals).cloned().collect();
                if add_r.is_empty() && add_p.is_empty() && del_r.is_empty() && del_p.is_empty() {
                    p.already
                        .push(("ram.share".into(), format!("share {name}")));
                }
                if !add_r.is_empty() || !add_p.is_empty() {
                    p.actions.push(Action::Associate {
                        name: name.clone(),
                        arn: cur.arn.clone(),
                        resources: add_r,
                        principals: add_p,
                    });
                }
                if !del_r.is_empty() || !del_p.is_empty() {
                    p.actions.push(Action::Disassociate {
                        name,
                        arn: cur.arn.clone(),
                        resources: del_r,
                        principals: del_p,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
