//! Pure planning for DataZone environments and subscriptions over existing S3 buckets (S4).

use std::collections::BTreeSet;

use lakewarden::aws::glue::TableInfo;
use lakewarden::config::DataZone;
use lakewarden::events::{self, EventError};
use lakewarden::lf::{self, LfGrant, LfResource, LfState};
use lakewarden::policy::{self, Merge, Ownership};
use lakewarden::s3loc::S3Location;
use serde::Serialize;
use serde_json::{json, Value};

pub const POLICY_NAME: &str = "lakewarden-datazone";
pub const ENV_SID: &str = "LakewardenDataZoneEnv";
pub const GRANT_SID: &str = "LakewardenDataZoneGrant";
pub const BOUNDARY_SID: &str = "LakewardenDataZoneListBucket";
/// IAM's limit for a customer-managed policy document (whitespace not counted).
pub const MANAGED_POLICY_MAX: usize = 6144;
/// IAM keeps at most this many versions of a managed policy.
pub const MAX_POLICY_VERSIONS: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    EnvironmentDeployed,
    GrantRequested,
    Revoke,
}

/// What a DataZone event asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub kind: Kind,
    pub domain: String,
    /// `detail.metadata.id`: the environment (deployment) or the subscription grant.
    pub id: String,
    pub listing: Option<(String, Option<String>)>,
    /// (subscription target id, environment id)
    pub target: Option<(String, String)>,
    /// From `Subscription Revoked` / `Subscription Cancelled`: `id` may name the subscription
    /// rather than a grant; the grants are then found by target and listing.
    pub by_subscription: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    Run(Request),
    /// Scheduled reconcile: every environment and pending grant of the configured domains.
    Reconcile,
    Ignore(String),
}

/// The request a pending grant of the scheduled reconcile stands for (None: nothing pending).
pub fn pending_request(
    domain: &str,
    g: &lakewarden::aws::datazone::GrantSummary,
) -> Option<Request> {
    let kind = if g.assets.iter().any(|(_, s)| s == "GRANT_PENDING") {
        Kind::GrantRequested
    } else if g.assets.iter().any(|(_, s)| s == "REVOKE_PENDING") {
        Kind::Revoke
    } else {
        return None;
    };
    Some(Request {
        kind,
        domain: domain.to_string(),
        id: g.id.clone(),
        listing: g.listing.clone().map(|(l, r)| (l, Some(r))),
        target: g.environment_id.clone().map(|e| (g.target_id.clone(), e)),
        by_subscription: false,
    })
}

/// The revokes a subscription event stands for when its id is not a grant: every grant of the
/// same listing to the same subscription target.
pub fn grants_of_subscription(
    r: &Request,
    grants: &[lakewarden::aws::datazone::GrantSummary],
) -> Vec<Request> {
    let (Some((listing, _)), Some((target, env))) = (&r.listing, &r.target) else {
        return vec![];
    };
    grants
        .iter()
        .filter(|g| &g.target_id == target && g.listing.as_ref().map(|(l, _)| l) == Some(listing))
        .map(|g| Request {
            kind: Kind::Revoke,
            domain: r.domain.clone(),
            id: g.id.clone(),
            listing: g.listing.clone().map(|(l, v)| (l, Some(v))),
            target: Some((
                target.clone(),
                g.environment_id.clone().unwrap_or_else(|| env.clone()),
            )),
            by_subscription: false,
        })
        .collect()
}

pub fn trigger(event: &Value, cfg: &DataZone) -> Result<Trigger, EventError> {
    let env = events::envelope(event)?;
    if events::is_scheduled(&env) {
        return Ok(Trigger::Reconcile);
    }
    if env.source != "aws.datazone" {
        return Err(EventError(format!(
            "datazone-subscriber takes aws.datazone events, not `{}` from `{}`",
            env.detail_type, env.source
        )));
    }
    let kind = match env.detail_type.as_str() {
        "Environment Deployment Completed" => Kind::EnvironmentDeployed,
        "Subscription Grant Requested" => Kind::GrantRequested,
        "Subscription Grant Revoke Requested"
        | "Subscription Revoked"
        | "Subscription Cancelled" => Kind::Revoke,
        other => {
            return Ok(Trigger::Ignore(format!(
                "`{other}` needs nothing from lakewarden"
            )))
        }
    };
    let meta = &env.detail["metadata"];
    let (Some(domain), Some(id)) = (meta["domain"].as_str(), meta["id"].as_str()) else {
        return Err(EventError(format!(
            "`{}` detail.metadata needs `domain` and `id`",
            env.detail_type
        )));
    };
    if !cfg.domains.iter().any(|d| d == domain) {
        return Ok(Trigger::Ignore(format!(
            "domain {domain} is not in datazone.domains"
        )));
    }
    let data = &env.detail["data"];
    let listing = data["asset"]["listingId"].as_str().map(|l| {
        (
            l.to_string(),
            data["asset"]["listingVersion"].as_str().map(String::from),
        )
    });
    let target = match (
        data["subscriptionTarget"]["id"].as_str(),
        data["subscriptionTarget"]["environmentId"].as_str(),
    ) {
        (Some(t), Some(e)) => Some((t.to_string(), e.to_string())),
        _ => None,
    };
    if kind != Kind::EnvironmentDeployed && (listing.is_none() || target.is_none()) {
        return Err(EventError(format!(
            "`{}` detail.data needs asset.listingId and subscriptionTarget {{id, environmentId}}",
            env.detail_type
        )));
    }
    Ok(Trigger::Run(Request {
        kind,
        domain: domain.into(),
        id: id.into(),
        listing,
        target,
        by_subscription: env.detail_type.starts_with("Subscription ")
            && !env.detail_type.starts_with("Subscription Grant"),
    }))
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    RegisterLocation {
        arn: String,
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
    CreateBoundaryCopy {
        name: String,
        document: Value,
        description: String,
    },
    UpdateBoundaryCopy {
        arn: String,
        document: Value,
        delete_version: Option<String>,
    },
    AttachBoundary {
        role: String,
        arn: String,
    },
    CreateTableLink {
        database: String,
        name: String,
        catalog: String,
        target_database: String,
        table: String,
    },
    DeleteTableLink {
        database: String,
        name: String,
    },
    GrantStatus {
        grant: String,
        asset: String,
        status: String,
        failure: Option<String>,
        target_name: Option<String>,
    },
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::RegisterLocation { .. } => "lakeformation.register_location",
            Action::Grant(_) => "lakeformation.grant",
            Action::Revoke(_) => "lakeformation.revoke",
            Action::PutRolePolicy { .. } => "iam.put_role_policy",
            Action::DeleteRolePolicy { .. } => "iam.delete_role_policy",
            Action::CreateBoundaryCopy { .. } => "iam.create_boundary_copy",
            Action::UpdateBoundaryCopy { .. } => "iam.update_boundary_copy",
            Action::AttachBoundary { .. } => "iam.put_role_permissions_boundary",
            Action::CreateTableLink { .. } => "glue.create_table_link",
            Action::DeleteTableLink { .. } => "glue.delete_table_link",
            Action::GrantStatus { .. } => "datazone.update_subscription_grant_status",
        }
    }
    pub fn target(&self) -> String {
        match self {
            Action::RegisterLocation { arn } => arn.clone(),
            Action::Grant(g) | Action::Revoke(g) => g.to_string(),
            Action::PutRolePolicy { role, .. } | Action::DeleteRolePolicy { role } => {
                format!("{role} policy {POLICY_NAME}")
            }
            Action::CreateBoundaryCopy { name, .. } => format!("policy {name}"),
            Action::UpdateBoundaryCopy { arn, .. } => arn.clone(),
            Action::AttachBoundary { role, arn } => format!("{role} boundary {arn}"),
            Action::CreateTableLink {
                database,
                name,
                catalog,
                target_database,
                table,
            } => {
                format!("{database}.{name} -> {catalog}:{target_database}.{table}")
            }
            Action::DeleteTableLink { database, name } => format!("{database}.{name}"),
            Action::GrantStatus {
                grant,
                asset,
                status,
                ..
            } => format!("grant {grant} asset {asset}: {status}"),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub already: Vec<(String, String)>,
    pub skipped: Vec<(String, String, String)>,
    pub attention: Vec<String>,
    pub notes: Vec<Value>,
}

impl Plan {
    fn grant_or_already(&mut self, g: LfGrant, state: &LfState) {
        match lf::missing(&g, state) {
            Some(m) => self.actions.push(Action::Grant(m)),
            None => self
                .already
                .push(("lakeformation.grant".into(), g.to_string())),
        }
    }
    fn policy(
        &mut self,
        role: &str,
        current: Option<&Value>,
        owner: &Ownership,
        desired: &[Value],
    ) {
        match policy::merge(current, owner, desired) {
            Merge::Unchanged => {
                if !desired.is_empty() {
                    self.already.push((
                        "iam.put_role_policy".into(),
                        format!("{role} policy {POLICY_NAME}"),
                    ));
                }
            }
            Merge::Put(document) => self.actions.push(Action::PutRolePolicy {
                role: role.into(),
                document,
            }),
            Merge::Delete => self
                .actions
                .push(Action::DeleteRolePolicy { role: role.into() }),
        }
    }
}

/// The configured locations: (bucket, prefix) with prefix normalised (`order/`; "" = bucket).
pub fn locations(cfg: &DataZone) -> Vec<S3Location> {
    let mut out = Vec::new();
    for b in &cfg.buckets {
        if b.prefixes.is_empty() {
            out.push(S3Location {
                bucket: b.bucket.clone(),
                prefix: String::new(),
            });
        }
        for p in &b.prefixes {
            if let Some(l) = S3Location::parse(&format!("s3://{}/{}", b.bucket, p)) {
                out.push(l);
            }
        }
    }
    out
}

/// Whether a location lies within the configured buckets/prefixes.
pub fn location_allowed(cfg: &DataZone, loc: &S3Location) -> bool {
    locations(cfg)
        .iter()
        .any(|l| l.bucket == loc.bucket && loc.prefix.starts_with(&l.prefix))
}

/// Characters IAM counts for a policy (whitespace is not counted).
pub fn policy_size(doc: &Value) -> usize {
    doc.to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => vec![],
    }
}

/// Whether a boundary allows `s3:ListBucket` on `bucket` for keys under `prefix`, following
/// the `s3:prefix` conditions of its statements (other conditions are not evaluated).
pub fn boundary_allows_list(doc: &Value, loc: &S3Location) -> bool {
    let bucket_arn = loc.bucket_arn();
    let matches = |s: &Value| {
        strings(&s["Action"])
            .iter()
            .any(|a| policy::wildcard_match(a, "s3:ListBucket", true))
            && strings(&s["Resource"])
                .iter()
                .any(|r| policy::wildcard_match(r, &bucket_arn, false))
            && {
                let cond = &s["Condition"];
                let mut patterns = Vec::new();
                let mut has_prefix_condition = false;
                if let Some(ops) = cond.as_object() {
                    for (op, block) in ops {
                        if let Some(v) = block.get("s3:prefix") {
                            has_prefix_condition = true;
                            let like = op.contains("Like");
                            patterns.extend(strings(v).into_iter().map(|p| (p, like)));
                        }
                    }
                }
                !has_prefix_condition
                    || patterns.iter().any(|(p, like)| {
                        if *like {
                            policy::wildcard_match(p, &loc.prefix, false)
                        } else {
                            p == &loc.prefix
                        }
                    })
            }
    };
    let stmts = policy::statements(doc);
    let effect = |s: &Value, e: &str| s["Effect"].as_str() == Some(e);
    !stmts.iter().any(|s| effect(s, "Deny") && matches(s))
        && stmts.iter().any(|s| effect(s, "Allow") && matches(s))
}

/// Whether a statement allows `s3:ListBucket` under an `s3:prefix` condition of a `…Like`
/// operator; returns that operator.
fn list_bucket_prefix_operator(stmt: &Value) -> Option<String> {
    if stmt["Effect"].as_str() != Some("Allow")
        || !strings(&stmt["Action"])
            .iter()
            .any(|a| policy::wildcard_match(a, "s3:ListBucket", true))
    {
        return None;
    }
    let ops = stmt["Condition"].as_object()?;
    let with_prefix: Vec<&String> = ops
        .iter()
        .filter(|(_, block)| block.get("s3:prefix").is_some())
        .map(|(op, _)| op)
        .collect();
    match with_prefix.as_slice() {
        [op] if op.contains("StringLike") => Some((*op).clone()),
        _ => None,
    }
}

/// The boundary copy: `base` (the boundary the role had) with the configured prefixes (`order/*`)
/// added to the `s3:prefix` condition of its `s3:ListBucket` statement(s), everything else
/// unchanged. A boundary without such a statement gets one of lakewarden's own (Sid
/// `LakewardenDataZoneListBucket`) for the configured buckets and prefixes; a bucket configured
/// without prefixes gets `s3:ListBucket` on that bucket alone. Widening twice changes nothing.
pub fn widened_boundary(base: &Value, cfg: &DataZone) -> Value {
    let locs = locations(cfg);
    let mut patterns: Vec<String> = Vec::new();
    for l in locs.iter().filter(|l| !l.prefix.is_empty()) {
        let p = format!("{}*", l.prefix);
        if !patterns.contains(&p) {
            patterns.push(p);
        }
    }
    let prefixed: BTreeSet<String> = locs
        .iter()
        .filter(|l| !l.prefix.is_empty())
        .map(S3Location::bucket_arn)
        .collect();
    let whole: BTreeSet<String> = locs
        .iter()
        .filter(|l| l.prefix.is_empty())
        .map(S3Location::bucket_arn)
        .collect();
    let mut widened_any = false;
    let statements: Vec<Value> = policy::statements(base)
        .into_iter()
        .map(|mut stmt| {
            if patterns.is_empty()
                || policy::sid(&stmt).is_some_and(|s| s.starts_with(BOUNDARY_SID))
            {
                return stmt;
            }
            if let Some(op) = list_bucket_prefix_operator(&stmt) {
                widened_any = true;
                let mut list = strings(&stmt["Condition"][&op]["s3:prefix"]);
                for p in &patterns {
                    if !list.contains(p) {
                        list.push(p.clone());
                    }
                }
                stmt["Condition"][&op]["s3:prefix"] = json!(list);
            }
            stmt
        })
        .collect();
    let mut doc = base.clone();
    doc["Statement"] = json!(statements);
    let mut own = Vec::new();
    if !widened_any && !patterns.is_empty() {
        own.push(json!({"Sid": BOUNDARY_SID, "Effect": "Allow", "Action": "s3:ListBucket", "Resource": prefixed,
            "Condition": {"StringLike": {"s3:prefix": patterns}}}));
    }
    if !whole.is_empty() {
        own.push(json!({"Sid": format!("{BOUNDARY_SID}Buckets"), "Effect": "Allow", "Action": "s3:ListBucket", "Resource": whole}));
    }
    match policy::merge(Some(&doc), &Ownership::prefix(BOUNDARY_SID), &own) {
        Merge::Put(d) => d,
        _ => doc,
    }
}

/// The description of a boundary copy, naming the boundary it was made from.
pub fn copy_description(source: &str) -> String {
    format!("{COPY_DESCRIPTION_PREFIX}{source} (s3:ListBucket widened by lakewarden to the prefixes of datazone.buckets)")
}

/// The boundary a copy was made from, from its description.
pub fn copy_source(description: &str) -> Option<String> {
    description
        .strip_prefix(COPY_DESCRIPTION_PREFIX)?
        .split_whitespace()
        .next()
        .map(String::from)
}

const COPY_DESCRIPTION_PREFIX: &str = "lakewarden copy of ";

/// The role's environment statements: Glue catalog/databases/tables and the configured S3.
pub fn env_statements(cfg: &DataZone, region: &str, account: &str) -> Vec<Value> {
    let mut glue_res = vec![format!("arn:aws:glue:{region}:{account}:catalog")];
    for d in &cfg.databases {
        glue_res.push(format!("arn:aws:glue:{region}:{account}:database/{d}"));
        glue_res.push(format!("arn:aws:glue:{region}:{account}:table/{d}/*"));
    }
    let locs = locations(cfg);
    let mut out = vec![json!({"Sid": format!("{ENV_SID}Glue"), "Effect": "Allow",
        "Action": ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions"],
        "Resource": glue_res})];
    if !locs.is_empty() {
        let objects: BTreeSet<String> = locs.iter().map(S3Location::objects_arn).collect();
        let buckets: BTreeSet<String> = locs.iter().map(S3Location::bucket_arn).collect();
        out.push(json!({"Sid": format!("{ENV_SID}S3Read"), "Effect": "Allow", "Action": "s3:GetObject", "Resource": objects}));
        let mut list = json!({"Sid": format!("{ENV_SID}S3List"), "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": buckets});
        if locs.iter().all(|l| !l.prefix.is_empty()) {
            let p: BTreeSet<String> = locs.iter().map(|l| format!("{}*", l.prefix)).collect();
            list["Condition"] = json!({"StringLike": {"s3:prefix": p}});
        }
        out.push(list);
    }
    out
}

/// lakewarden's copy of a boundary: (ARN, default version's document, versions (id, is default)).
pub type BoundaryCopy = (String, Value, Vec<(String, bool)>);

/// What the environment plan reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvObserved {
    pub account: String,
    pub region: String,
    pub role_arn: String,
    pub registered: Vec<String>,
    pub permissions: LfState,
    pub databases_present: Vec<String>,
    pub role_policy: Option<Value>,
    pub boundary_arn: Option<String>,
    pub boundary_doc: Option<Value>,
    /// lakewarden's copy of the boundary.
    pub copy: Option<BoundaryCopy>,
    /// When the role's boundary is that copy: the boundary it was made from (ARN, document).
    pub copy_source: Option<(String, Value)>,
}

pub fn boundary_copy_name(role_arn: &str) -> String {
    format!(
        "lakewarden-boundary-{}",
        role_arn.rsplit('/').next().unwrap_or("role")
    )
}

pub fn plan_environment(cfg: &DataZone, o: &EnvObserved) -> Plan {
    let mut p = Plan::default();
    let role = &o.role_arn;
    for loc in locations(cfg) {
        let arn = loc.location_arn();
        if o.registered.iter().any(|r| loc.covered_by(r)) {
            p.already
                .push(("lakeformation.register_location".into(), arn.clone()));
        } else {
            p.actions
                .push(Action::RegisterLocation { arn: arn.clone() });
        }
        p.grant_or_already(
            LfGrant::new(
                role,
                LfResource::DataLocation {
                    catalog_id: o.account.clone(),
                    arn,
                },
                ["DATA_LOCATION_ACCESS"],
                false,
            ),
            &o.permissions,
        );
    }
    for db in &cfg.databases {
        if !o.databases_present.contains(db) {
            p.skipped.push((
                "lakeformation.grant".into(),
                format!("database {db}"),
                "the database does not exist".into(),
            ));
            p.attention.push(format!(
                "datazone.databases lists {db}, which does not exist in account {}",
                o.account
            ));
            continue;
        }
        p.grant_or_already(
            LfGrant::new(
                role,
                LfResource::Database {
                    catalog_id: o.account.clone(),
                    name: db.clone(),
                },
                ["DESCRIBE"],
                false,
            ),
            &o.permissions,
        );
        p.grant_or_already(
            LfGrant::new(
                role,
                LfResource::TableWildcard {
                    catalog_id: o.account.clone(),
                    database: db.clone(),
                },
                ["DESCRIBE", "SELECT"],
                false,
            ),
            &o.permissions,
        );
    }
    p.policy(
        role,
        o.role_policy.as_ref(),
        &Ownership::prefix(ENV_SID),
        &env_statements(cfg, &o.region, &o.account),
    );

    // The boundary: never removed; evaluated; optionally a widened copy.
    let Some(doc) = &o.boundary_doc else {
        p.notes
            .push(json!({"boundary": null, "note": "the role has no permissions boundary"}));
        return p;
    };
    let evaluation: Vec<Value> = locations(cfg)
        .iter()
        .map(|l| json!({"location": l.to_string(), "list_bucket_allowed": boundary_allows_list(doc, l)}))
        .collect();
    let blocked = evaluation.iter().any(|e| e["list_bucket_allowed"] == false);
    p.notes.push(json!({"boundary": o.boundary_arn, "evaluation": evaluation,
        "note": if blocked { "the boundary blocks s3:ListBucket on some configured prefixes; Athena still reads them through the Lake Formation registration" } else { "the boundary allows s3:ListBucket on every configured prefix" }}));
    if !cfg.boundary_copy {
        return p;
    }
    // The copy is always made from the boundary the role had before lakewarden's copy, so that
    // it holds exactly the prefixes configured now.
    let on_copy = o
        .copy
        .as_ref()
        .is_some_and(|(arn, _, _)| o.boundary_arn.as_deref() == Some(arn.as_str()));
    let (base_arn, base) = match (&o.copy_source, on_copy) {
        (Some((arn, d)), true) => (arn.clone(), d),
        (None, true) => {
            p.attention.push(format!("The boundary of {role} is lakewarden's copy, but the boundary it was copied from is unknown or gone: the copy was left as it is"));
            return p;
        }
        (_, false) => (o.boundary_arn.clone().unwrap_or_default(), doc),
    };
    if !on_copy && !blocked {
        return p;
    }
    let size = policy_size(base);
    if size > MANAGED_POLICY_MAX {
        p.skipped.push(("iam.create_boundary_copy".into(), format!("boundary of {role}"), format!("the boundary is {size} characters; a customer-managed copy may have at most {MANAGED_POLICY_MAX}")));
        p.attention.push(format!(
            "boundary_copy is set, but the permissions boundary {base_arn} of {role} is {size} characters (whitespace not counted), over IAM's {MANAGED_POLICY_MAX}-character limit for a customer-managed policy, so no copy was made. The boundary was left as it is; Athena reads the configured prefixes through the Lake Formation registration. To allow s3:ListBucket there as well, attach a smaller boundary of your own."
        ));
        return p;
    }
    let widened = widened_boundary(base, cfg);
    let wsize = policy_size(&widened);
    if wsize > MANAGED_POLICY_MAX {
        p.skipped.push((
            "iam.create_boundary_copy".into(),
            format!("boundary of {role}"),
            format!("the widened copy would be {wsize} characters; at most {MANAGED_POLICY_MAX}"),
        ));
        p.attention.push(format!("boundary_copy is set, but the widened copy of {base_arn} for {role} would be {wsize} characters (whitespace not counted), over IAM's {MANAGED_POLICY_MAX}-character limit: not written; the boundary was left as it is"));
        return p;
    }
    let after: Vec<Value> = locations(cfg)
        .iter()
        .map(|l| json!({"location": l.to_string(), "list_bucket_allowed": boundary_allows_list(&widened, l)}))
        .collect();
    p.notes
        .push(json!({"boundary_copy_of": base_arn, "evaluation_with_copy": after}));
    match &o.copy {
        None => {
            let name = boundary_copy_name(role);
            p.actions.push(Action::CreateBoundaryCopy {
                name: name.clone(),
                document: widened,
                description: copy_description(&base_arn),
            });
            p.actions.push(Action::AttachBoundary {
                role: role.clone(),
                arn: format!("arn:aws:iam::{}:policy/{name}", o.account),
            });
        }
        Some((arn, current, versions)) => {
            if policy::canonical(current) == policy::canonical(&widened) {
                p.already
                    .push(("iam.update_boundary_copy".into(), arn.clone()));
            } else {
                p.actions.push(Action::UpdateBoundaryCopy {
                    arn: arn.clone(),
                    document: widened,
                    delete_version: version_to_prune(versions),
                });
            }
            if on_copy {
                p.already.push((
                    "iam.put_role_permissions_boundary".into(),
                    format!("{role} boundary {arn}"),
                ));
            } else {
                p.actions.push(Action::AttachBoundary {
                    role: role.clone(),
                    arn: arn.clone(),
                });
            }
        }
    }
    p
}

/// The version to delete before adding one when IAM's limit of versions is reached: the oldest
/// that is not the default.
pub fn version_to_prune(versions: &[(String, bool)]) -> Option<String> {
    if versions.len() < MAX_POLICY_VERSIONS {
        return None;
    }
    versions
        .iter()
        .filter(|(_, default)| !default)
        .map(|(v, _)| v.clone())
        .min_by_key(|v| v.trim_start_matches('v').parse::<u64>().unwrap_or(0))
}

/// Everything a grant needs, resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GrantObserved {
    pub account: String,
    pub grant: String,
    pub asset: String,
    pub role_arn: String,
    /// The subscriber's target database.
    pub target_database: String,
    /// Catalog (account) of the subscribed table.
    pub catalog: String,
    pub table: Option<TableInfo>,
    pub database: String,
    pub table_name: String,
    pub permissions: LfState,
    pub role_policy: Option<Value>,
    /// Whether the target database already has a table link of that name (to the table).
    pub link_exists: bool,
    pub grant_status: Option<String>,
    /// (revokes) another grant of the same listing to the same target is still GRANTED.
    pub other_grant_holds_table: bool,
}

fn grant_sids(grant: &str) -> [String; 2] {
    let f = policy::sid_fragment(grant);
    [format!("{GRANT_SID}Get{f}"), format!("{GRANT_SID}List{f}")]
}

fn grant_grants(o: &GrantObserved) -> Vec<LfGrant> {
    vec![
        LfGrant::new(
            &o.role_arn,
            LfResource::Database {
                catalog_id: o.catalog.clone(),
                name: o.database.clone(),
            },
            ["DESCRIBE"],
            false,
        ),
        LfGrant::new(
            &o.role_arn,
            LfResource::Table {
                catalog_id: o.catalog.clone(),
                database: o.database.clone(),
                name: o.table_name.clone(),
            },
            ["DESCRIBE", "SELECT"],
            false,
        ),
    ]
}

fn link_name(o: &GrantObserved) -> String {
    format!("{}_{}", o.database, o.table_name)
}

/// DESCRIBE on the table link in the subscriber's target database (a table of another account
/// is read through the link: the role needs the link and the target table).
fn link_grant(o: &GrantObserved) -> Option<LfGrant> {
    (o.catalog != o.account).then(|| {
        LfGrant::new(
            &o.role_arn,
            LfResource::Table {
                catalog_id: o.account.clone(),
                database: o.target_database.clone(),
                name: link_name(o),
            },
            ["DESCRIBE"],
            false,
        )
    })
}

/// The subscriber gets LF access, a table link when the table is in another account, S3 read
/// on the table's location; then DataZone is told GRANTED (or GRANT_FAILED with the reason).
pub fn plan_grant(cfg: &DataZone, o: &GrantObserved) -> Plan {
    let mut p = Plan::default();
    let fail = |p: &mut Plan, why: String| {
        p.attention.push(format!(
            "Subscription grant {} could not be fulfilled: {why}",
            o.grant
        ));
        p.actions.push(Action::GrantStatus {
            grant: o.grant.clone(),
            asset: o.asset.clone(),
            status: "GRANT_FAILED".into(),
            failure: Some(why),
            target_name: None,
        });
    };
    let Some(table) = &o.table else {
        fail(
            &mut p,
            format!(
                "table {}:{}.{} does not exist",
                o.catalog, o.database, o.table_name
            ),
        );
        return p;
    };
    let Some(loc) = table.location.as_deref().and_then(S3Location::parse) else {
        fail(
            &mut p,
            format!("table {}.{} has no S3 location", o.database, o.table_name),
        );
        return p;
    };
    if !location_allowed(cfg, &loc) {
        fail(&mut p, format!("the table's location {loc} is outside datazone.buckets; lakewarden never grants it"));
        return p;
    }
    for g in grant_grants(o) {
        p.grant_or_already(g, &o.permissions);
    }
    let mut target_name = o.table_name.clone();
    if o.catalog != o.account {
        target_name = link_name(o);
        if o.link_exists {
            p.already.push((
                "glue.create_table_link".into(),
                format!("{}.{target_name}", o.target_database),
            ));
        } else {
            p.actions.push(Action::CreateTableLink {
                database: o.target_database.clone(),
                name: target_name.clone(),
                catalog: o.catalog.clone(),
                target_database: o.database.clone(),
                table: o.table_name.clone(),
            });
        }
        if let Some(g) = link_grant(o) {
            p.grant_or_already(g, &o.permissions);
        }
    }
    let [get, list] = grant_sids(&o.grant);
    let mut list_stmt = json!({"Sid": list, "Effect": "Allow", "Action": "s3:ListBucket", "Resource": loc.bucket_arn()});
    if !loc.prefix.is_empty() {
        list_stmt["Condition"] = json!({"StringLike": {"s3:prefix": [format!("{}*", loc.prefix)]}});
    }
    let stmts = vec![
        json!({"Sid": get, "Effect": "Allow", "Action": "s3:GetObject", "Resource": loc.objects_arn()}),
        list_stmt,
    ];
    p.policy(
        &o.role_arn,
        o.role_policy.as_ref(),
        &Ownership::exact(grant_sids(&o.grant)),
        &stmts,
    );
    if o.grant_status.as_deref() == Some("GRANTED") && p.actions.is_empty() {
        p.already.push((
            "datazone.update_subscription_grant_status".into(),
            format!("grant {} asset {}: GRANTED", o.grant, o.asset),
        ));
    } else {
        p.actions.push(Action::GrantStatus {
            grant: o.grant.clone(),
            asset: o.asset.clone(),
            status: "GRANTED".into(),
            failure: None,
            target_name: Some(target_name),
        });
    }
    p
}

/// Whether an error reading a grant's listing, environment or target is permanent (retrying
/// cannot help: DataZone is told the grant failed) rather than transient (left pending).
pub fn permanent(e: &lakewarden::aws::AwsError) -> bool {
    e.is_not_found()
        || [
            "NoUserRole",
            "UnsupportedListing",
            "ValidationException",
            "AccessDeniedException",
        ]
        .iter()
        .any(|c| e.is_code(c))
}

/// DataZone is told a grant (or its revoke) failed, for each asset still pending, with the
/// reason; a person is told too.
pub fn plan_failed(kind: &Kind, grant: &str, assets: &[(String, String)], why: &str) -> Plan {
    let (pending, status) = match kind {
        Kind::Revoke => (["REVOKE_PENDING", "REVOKE_IN_PROGRESS"], "REVOKE_FAILED"),
        _ => (["GRANT_PENDING", "GRANT_IN_PROGRESS"], "GRANT_FAILED"),
    };
    let mut p = Plan::default();
    for (asset, current) in assets {
        if pending.contains(&current.as_str()) {
            p.actions.push(Action::GrantStatus {
                grant: grant.into(),
                asset: asset.clone(),
                status: status.into(),
                failure: Some(why.into()),
                target_name: None,
            });
        }
    }
    p.attention.push(format!(
        "Subscription grant {grant} could not be {}: {why}",
        if *kind == Kind::Revoke {
            "revoked"
        } else {
            "fulfilled"
        }
    ));
    p
}

/// Undo exactly what `plan_grant` added for this grant, then tell DataZone REVOKED. The
/// database DESCRIBE stays when the environment grants it (`datazone.databases`) or when the
/// role still holds other grants in that database.
pub fn plan_revoke(cfg: &DataZone, o: &GrantObserved) -> Plan {
    let mut p = Plan::default();
    let [db_grant, table_grant] = <[LfGrant; 2]>::try_from(grant_grants(o)).expect("two grants");
    if o.other_grant_holds_table {
        // Only this grant's S3 statements go; LF access and the link serve the other grant.
        p.notes.push(json!({"kept": format!("LF access to {}.{} and its link: another grant of the same listing to this target is still granted", o.database, o.table_name)}));
        p.policy(
            &o.role_arn,
            o.role_policy.as_ref(),
            &Ownership::exact(grant_sids(&o.grant)),
            &[],
        );
        p.revoked_status(o);
        return p;
    }
    if let Some(h) = lf::held(&table_grant, &o.permissions) {
        p.actions.push(Action::Revoke(h));
    }
    let env_owned = o.catalog == o.account && cfg.databases.contains(&o.database);
    let still_used = o.permissions.iter().any(|g| {
        g.principal == o.role_arn
            && g.resource != table_grant.resource
            && g.resource != db_grant.resource
            && g.resource.catalog_id() == o.catalog
            && g.resource.database_name() == Some(o.database.as_str())
    });
    if !env_owned && !still_used {
        if let Some(h) = lf::held(&db_grant, &o.permissions) {
            p.actions.push(Action::Revoke(h));
        }
    }
    if let Some(h) = link_grant(o).and_then(|g| lf::held(&g, &o.permissions)) {
        p.actions.push(Action::Revoke(h));
    }
    if o.catalog != o.account && o.link_exists {
        p.actions.push(Action::DeleteTableLink {
            database: o.target_database.clone(),
            name: link_name(o),
        });
    }
    p.policy(
        &o.role_arn,
        o.role_policy.as_ref(),
        &Ownership::exact(grant_sids(&o.grant)),
        &[],
    );
    p.revoked_status(o);
    p
}

impl Plan {
    /// DataZone is told REVOKED (unless it already says so and nothing was left to undo).
    fn revoked_status(&mut self, o: &GrantObserved) {
        if o.grant_status.as_deref() == Some("REVOKED") && self.actions.is_empty() {
            self.already.push((
                "datazone.update_subscription_grant_status".into(),
                format!("grant {} asset {}: REVOKED", o.grant, o.asset),
            ));
        } else {
            self.actions.push(Action::GrantStatus {
                grant: o.grant.clone(),
                asset: o.asset.clone(),
                status: "REVOKED".into(),
                failure: None,
                target_name: None,
            });
        }
    }
}

#[cfg(test)]
mod tests;
