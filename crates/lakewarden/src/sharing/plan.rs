//! Sharing a producer's databases with consumers (catalog-sharer's logic; integration-doctor
//! shares zero-ETL target tables with it too). Pure planning: from what exists (`Observed`)
//! and the configuration to a plan in the shared action vocabulary. No AWS here.

use std::collections::{BTreeMap, BTreeSet};

use globset::GlobMatcher;
use serde_json::{json, Value};

use crate::aws::glue::TableInfo;
use crate::aws::ram::ShareState;
use crate::aws::AwsError;
use crate::config::{NameGlob, Producer, RamMode, Share};
use crate::lf::{self, LfGrant, LfResource, LfState};
use crate::policy::{self, Ownership};
use crate::principal::Principal;
use crate::reconcile::{Action, Plan, PolicyTarget, PolicyWrite};
use crate::s3loc::S3Location;

/// Which databases an invocation looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Scheduled reconcile: every configured database.
    All,
    /// A Glue event: these databases only.
    Databases(BTreeSet<String>),
}

/// The compiled glob of a share's `database` (compiled once, when the configuration was read).
pub fn matcher(glob: &NameGlob) -> &GlobMatcher {
    glob.matcher()
}

/// The share entries whose `database` matches `db`.
pub fn shares_for<'a>(cfg: &'a Producer, db: &str) -> Vec<&'a Share> {
    cfg.shares
        .iter()
        .filter(|s| s.database.is_match(db))
        .collect()
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
    /// `LocationUri` of each in-scope database that exists (None when it has none).
    pub db_locations: BTreeMap<String, Option<String>>,
    /// In-scope databases that do not exist (deleted).
    pub gone: BTreeSet<String>,
    /// (database, table) of named-table grants whose table GetTable says does not exist.
    pub gone_tables: BTreeSet<(String, String)>,
    pub permissions: LfState,
    /// Registered data-location ARNs.
    pub registered: Vec<String>,
    pub bucket_policies: BTreeMap<String, BucketPolicy>,
    /// `ram: explicit` shares by name (None = not created yet).
    pub ram_shares: BTreeMap<String, Option<ShareState>>,
    /// The account's Glue Data Catalog resource policy, when it has one.
    pub catalog_policy: Option<Value>,
    /// The function's ledger (issue 11 §5), when it keeps one: grants are then recorded, and
    /// what it granted to consumers no longer configured is revoked.
    pub ledger: Option<crate::ledger::LedgerRead>,
    /// The account's Lake Formation prerequisites (`check.lf.*`), read when the run grants or
    /// revokes anything.
    pub lf: Option<crate::lfsettings::Prereqs>,
}

/// Sid of the catalog-policy statement that lets RAM share this catalog's resources.
pub const RAM_SHARE_SID: &str = crate::ownership::sid::RAM_SHARE_RESOURCE;

/// The statement a Data Catalog resource policy must hold for Lake Formation's named-resource
/// cross-account grants: without it, when the account has a catalog policy at all, RAM cannot
/// share the resources and the consumer never sees them (Lake Formation Developer Guide,
/// "Managing cross-account permissions using both AWS Glue and Lake Formation").
pub fn ram_share_statement(region: &str, account: &str) -> Value {
    json!({
        "Sid": RAM_SHARE_SID,
        "Effect": "Allow",
        "Principal": {"Service": "ram.amazonaws.com"},
        "Action": "glue:ShareResource",
        "Resource": [
            crate::arn::Arn::new("glue", region, account, "table/*/*").to_string(),
            crate::arn::Arn::new("glue", region, account, "database/*").to_string(),
            crate::arn::glue_catalog(region, account),
        ],
    })
}

fn consumers(share: &Share) -> &[Principal] {
    &share.consumers
}

/// Whether a share entry shares `table` by name (`tables:` globs) — else it shares the
/// database's tables through the All-tables wildcard.
fn shares_table_by_name(share: &Share, table: &str) -> bool {
    share
        .tables
        .as_ref()
        .is_some_and(|globs| globs.iter().any(|g| g.is_match(table)))
}

/// The grants the configuration asks for on one database (merged over matching shares).
///
/// Per share entry and consumer: the database permissions on the database, and the table
/// permissions on `TableWildcard` of the database ("All tables", AWS's advice for
/// cross-account sharing: one grant and one RAM share entry whatever the number of tables) —
/// or, for an entry with `tables: [glob, …]`, on each matching table by name. Accounts and
/// organizations get the grant option so that they can re-grant to their own principals.
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
            let table_resources: Vec<LfResource> = match &share.tables {
                None => vec![LfResource::TableWildcard {
                    catalog_id: catalog_id.into(),
                    database: db.into(),
                }],
                Some(_) => tables
                    .iter()
                    .filter(|t| shares_table_by_name(share, &t.name))
                    .map(|t| LfResource::Table {
                        catalog_id: catalog_id.into(),
                        database: db.into(),
                        name: t.name.clone(),
                    })
                    .collect(),
            };
            for r in table_resources {
                acc.add(LfGrant::new(
                    c.identifier(),
                    r,
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
                perms.extend(p.iter().map(|p| p.to_string()));
                grantable |= share.grantable && c.is_external_account_or_org();
            }
        }
    }
    (perms, grantable)
}

/// Sids of the bucket statements for one database.
pub fn bucket_sids(db: &str) -> [String; 6] {
    use crate::ownership::sid;
    let f = policy::sid_fragment(db);
    [
        format!("{}{f}", sid::SHARE_ORG_GET),
        format!("{}{f}", sid::SHARE_ORG_LIST),
        format!("{}{f}", sid::SHARE_OU_GET),
        format!("{}{f}", sid::SHARE_OU_LIST),
        format!("{}{f}", sid::SHARE_ACCOUNTS_GET),
        format!("{}{f}", sid::SHARE_ACCOUNTS_LIST),
    ]
}

/// The statements one database needs in one bucket: organizations (`aws:PrincipalOrgID`), OUs
/// (`aws:PrincipalOrgPaths` — an OU is not the whole organization) and accounts / roles by ARN,
/// each a `s3:GetObject` on the locations' objects and a `s3:ListBucket` limited to their
/// prefixes.
pub fn bucket_statements(cfg: &Producer, db: &str, locations: &[S3Location]) -> Vec<Value> {
    if locations.is_empty() {
        return vec![];
    }
    // (condition operator, key) → values
    let mut org_conds: BTreeMap<(&'static str, &'static str), BTreeSet<String>> = BTreeMap::new();
    let mut arns = BTreeSet::new();
    for share in shares_for(cfg, db).into_iter().filter(|s| s.bucket_policy) {
        for c in consumers(share) {
            if let Some((op, key, value)) = c.org_condition() {
                org_conds.entry((op, key)).or_default().insert(value);
            } else if let Some(a) = c.policy_arn() {
                arns.insert(a);
            }
        }
    }
    let bucket_arn = locations[0].bucket_arn();
    let objects: BTreeSet<String> = locations.iter().map(S3Location::objects_arn).collect();
    let whole_bucket = locations.iter().any(|l| l.prefix.is_empty());
    let prefixes: BTreeSet<String> = locations.iter().map(|l| format!("{}*", l.prefix)).collect();
    let [org_get, org_list, ou_get, ou_list, acc_get, acc_list] = bucket_sids(db);
    let with_prefix = |mut cond: serde_json::Map<String, Value>| -> Option<Value> {
        if !whole_bucket {
            cond.insert("StringLike".into(), json!({ "s3:prefix": prefixes }));
        }
        (!cond.is_empty()).then_some(Value::Object(cond))
    };
    let mut out = Vec::new();
    for ((op, key), values) in &org_conds {
        let (get_sid, list_sid) = if *key == "aws:PrincipalOrgID" {
            (&org_get, &org_list)
        } else {
            (&ou_get, &ou_list)
        };
        let mut cond = serde_json::Map::new();
        cond.insert(op.to_string(), json!({ *key: values }));
        out.push(json!({
            "Sid": get_sid, "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "s3:GetObject", "Resource": objects, "Condition": Value::Object(cond.clone()),
        }));
        out.push(json!({
            "Sid": list_sid, "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "s3:ListBucket", "Resource": bucket_arn,
            "Condition": with_prefix(cond),
        }));
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
        if let Some(c) = with_prefix(serde_json::Map::new()) {
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
        format!(
            "{}{}",
            crate::ownership::RAM_SHARE_NAME_PREFIX,
            share.database
        )
    } else {
        format!(
            "{}{}-{:08x}",
            crate::ownership::RAM_SHARE_NAME_PREFIX,
            policy::sid_fragment(&share.database).to_lowercase(),
            policy::fnv1a(share.database.as_bytes()) as u32
        )
    }
}

pub fn glue_db_arn(region: &str, account: &str, db: &str) -> String {
    crate::arn::glue_database(region, account, db)
}
pub fn glue_table_arn(region: &str, account: &str, db: &str, table: &str) -> String {
    crate::arn::glue_table(region, account, db, table)
}

/// The database a Glue database/table ARN names.
pub fn db_of_glue_arn(arn: &str) -> Option<String> {
    let parsed = crate::arn::Arn::parse(arn)?;
    let res = parsed.resource.as_str();
    let rest = res
        .strip_prefix("database/")
        .or_else(|| res.strip_prefix("table/"))?;
    rest.split('/').next().map(String::from)
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
    plan_catalog_policy(cfg, obs, &mut p);
    plan_grants(cfg, obs, &mut p);
    plan_refused_locations(cfg, obs, &mut p);
    plan_registrations(cfg, obs, &mut p);
    plan_bucket_policies(cfg, obs, &mut p);
    plan_ram(cfg, obs, &mut p);
    p
}

/// Whether any of `databases` is shared with another account (an account, organization or OU,
/// or an IAM principal of another account): only then does the catalog resource policy need
/// the `glue:ShareResource` statement, and only then does observe read the policy.
pub fn shares_cross_account<'a>(
    cfg: &Producer,
    catalog_id: &str,
    mut databases: impl Iterator<Item = &'a String>,
) -> bool {
    databases.any(|db| {
        shares_for(cfg, db).iter().any(|s| {
            consumers(s).iter().any(|c| match c {
                Principal::Iam { account, .. } => account != catalog_id,
                _ => true,
            })
        })
    })
}

/// With a catalog resource policy, keep the `glue:ShareResource` statement for RAM in it — before
/// the grants (a grant made while it is missing stays blocked in RAM).
fn plan_catalog_policy(cfg: &Producer, obs: &Observed, p: &mut Plan) {
    let Some(current) = &obs.catalog_policy else {
        return;
    };
    if !shares_cross_account(cfg, &obs.catalog_id, obs.databases.keys()) {
        return;
    }
    let stmt = ram_share_statement(&obs.region, &obs.catalog_id);
    match PolicyWrite::plan(
        PolicyTarget::GlueCatalog,
        Some(current),
        Ownership::exact([RAM_SHARE_SID]),
        vec![stmt],
    ) {
        Some(w) => p.push_in(crate::reconcile::Phase::Prepare, Action::Policy(w)),
        None => p.already(
            "glue.put_resource_policy",
            "Glue Data Catalog resource policy",
        ),
    }
}

fn plan_grants(cfg: &Producer, obs: &Observed, p: &mut Plan) {
    let mut ledger = obs.ledger.as_ref().map(|l| {
        p.ledger_table = Some(l.table.clone());
        l.planner(crate::ledger::config_hash(cfg))
    });
    if let Some(l) = ledger.as_mut() {
        // A crash between intent and result: settled from what Lake Formation holds.
        p.remember.extend(l.heal(&obs.permissions));
    }
    let mut desired = LfState::default();
    for (db, tables) in &obs.databases {
        for g in desired_grants(cfg, &obs.catalog_id, db, tables) {
            desired.add(g.clone());
            match (lf::missing(&g, &obs.permissions), ledger.as_mut()) {
                (Some(m), Some(l)) => {
                    let note = l.grant(&m, &obs.permissions);
                    p.push_recorded(Action::LfGrant(m), note)
                }
                (Some(m), None) => p.push(Action::LfGrant(m)),
                (None, _) => p.already("lakeformation.grant", g.to_string()),
            }
        }
    }
    let scope = scope_dbs(obs);
    // What the ledger says lakewarden granted on this run's databases that the configuration
    // no longer asks for (a consumer, share entry or permission removed; a database or table
    // gone) and Lake Formation still holds: revoked, and only that (issue 11 §5).
    let mut revoked = BTreeSet::new();
    if let Some(l) = ledger.as_mut() {
        let unwanted = crate::ledger::revocable(l, &obs.permissions, |_| false)
            .into_iter()
            .filter(|g| g.resource.catalog_id() == obs.catalog_id)
            .filter(|g| {
                g.resource
                    .database_name()
                    .is_some_and(|d| scope.contains(d))
            })
            .filter_map(|g| {
                let want = desired.get(&g.principal, &g.resource);
                let keep =
                    |set: &BTreeSet<String>, w: Option<&BTreeSet<String>>| -> BTreeSet<String> {
                        set.iter()
                            .filter(|x| !w.is_some_and(|w| w.contains(*x) || w.contains("ALL")))
                            .cloned()
                            .collect()
                    };
                let r = LfGrant {
                    permissions: keep(&g.permissions, want.as_ref().map(|w| &w.permissions)),
                    grantable: keep(&g.grantable, want.as_ref().map(|w| &w.grantable)),
                    ..g
                };
                (!r.is_empty()).then_some(r)
            })
            .collect::<Vec<_>>();
        for g in unwanted {
            revoked.insert((g.principal.clone(), g.resource.clone()));
            let note = l.revoke(&g);
            p.push_recorded(Action::LfRevoke(g), note);
        }
    }
    // Grants lakewarden made on tables or databases that no longer exist (those made before
    // the ledger: at most what the configuration grants a configured consumer).
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
            LfResource::Database { .. } | LfResource::TableWildcard { .. } => obs.gone.contains(db),
            LfResource::Table { name, .. } => {
                obs.gone.contains(db) || obs.gone_tables.contains(&(db.to_string(), name.clone()))
            }
            LfResource::DataLocation { .. } => false,
        };
        if !stale {
            continue;
        }
        let is_table = matches!(
            held.resource,
            LfResource::Table { .. } | LfResource::TableWildcard { .. }
        );
        let (perms, grantable) = owned_perms(cfg, db, &held.principal, is_table);
        if perms.is_empty() {
            continue; // not a configured consumer: not ours
        }
        let owned = LfGrant::new(&held.principal, held.resource.clone(), perms, grantable);
        if revoked.contains(&(held.principal.clone(), held.resource.clone())) {
            continue;
        }
        if let Some(r) = lf::held(&owned, &obs.permissions) {
            p.push(Action::LfRevoke(r));
        }
    }
}

/// The places a share entry may register or open in a bucket policy: its `locations`, by
/// default the database's own `LocationUri`. Table locations are data (anyone who may
/// CreateTable / UpdateTable writes them); only these configured places decide what is opened.
pub fn allowed_locations(share: &Share, db_location: Option<&str>) -> Vec<S3Location> {
    match &share.locations {
        Some(list) => list.iter().map(|l| l.location().clone()).collect(),
        None => db_location
            .and_then(S3Location::parse)
            .into_iter()
            .collect(),
    }
}

/// For one database and the shares that `want` a feature: the allowed places of entries that
/// share the All-tables wildcard, and those of `tables:` entries that hold at least one of its
/// tables (the fewest paths that cover them), after refusing tables whose location is malformed
/// or outside every allowed place.
fn covering_locations(
    cfg: &Producer,
    obs: &Observed,
    db: &str,
    want: impl Fn(&Share) -> bool,
) -> (BTreeSet<S3Location>, Vec<(String, String, String)>) {
    let db_location = obs.db_locations.get(db).cloned().flatten();
    let shares: Vec<&Share> = shares_for(cfg, db)
        .into_iter()
        .filter(|s| want(s))
        .collect();
    let mut used = BTreeSet::new();
    let mut refused = Vec::new();
    if shares.is_empty() {
        return (used, refused);
    }
    let allowed: Vec<S3Location> = shares
        .iter()
        .flat_map(|s| allowed_locations(s, db_location.as_deref()))
        .collect();
    // An entry sharing the All-tables wildcard shares every table, present and future: its
    // allowed places are used whatever the tables are (configuration, not data), so the plan
    // does not depend on whether the tables were listed (`observe::needs_tables`).
    for s in shares.iter().filter(|s| s.tables.is_none()) {
        used.extend(allowed_locations(s, db_location.as_deref()));
    }
    for t in obs.databases.get(db).into_iter().flatten() {
        let Some(raw) = t.location.as_deref() else {
            continue;
        };
        let target = format!("table {db}.{}", t.name);
        if let Some(why) = crate::s3loc::refusal(raw) {
            refused.push((target, raw.to_string(), why));
            continue;
        }
        let Some(loc) = S3Location::parse(raw) else {
            continue;
        };
        // The narrowest allowed place that holds the table.
        match allowed
            .iter()
            .filter(|a| loc.within(a))
            .max_by_key(|a| a.prefix.len())
        {
            Some(a) => {
                used.insert(a.clone());
            }
            None => refused.push((
                target,
                raw.to_string(),
                if allowed.is_empty() {
                    "the database has no LocationUri and its share entry lists no `locations`"
                        .into()
                } else {
                    format!(
                        "outside the allowed locations ({})",
                        allowed
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            )),
        }
    }
    // A place inside another used place is covered by it.
    let all = used.clone();
    used.retain(|l| !all.iter().any(|o| o != l && l.within(o)));
    (used, refused)
}

/// Tables whose location is never registered nor opened in a bucket policy: skipped, alerted.
fn plan_refused_locations(cfg: &Producer, obs: &Observed, p: &mut Plan) {
    let mut seen = BTreeSet::new();
    for db in obs.databases.keys() {
        let (_, refused) =
            covering_locations(cfg, obs, db, |s| s.register_location || s.bucket_policy);
        for (target, raw, why) in refused {
            if seen.insert(target.clone()) {
                p.skip_alert(
                    "s3.location",
                    target,
                    format!("location `{}` refused: {why}", crate::alerts::cap(&raw, 300)),
                    Some("Nothing was registered or opened for it. If the location is right, add it to the share entry's `locations` (producer.shares[].locations); otherwise move the table".into()),
                );
            }
        }
    }
}

fn plan_registrations(cfg: &Producer, obs: &Observed, p: &mut Plan) {
    let mut seen = BTreeSet::new();
    for db in obs.databases.keys() {
        let role_arn = shares_for(cfg, db)
            .into_iter()
            .find_map(|s| s.register_role_arn.as_ref().map(|r| r.to_string()));
        let (covering, _) = covering_locations(cfg, obs, db, |s| s.register_location);
        for loc in covering {
            let arn = loc.location_arn();
            if !seen.insert(arn.clone()) {
                continue;
            }
            if obs.registered.iter().any(|r| loc.covered_by(r)) {
                p.already("lakeformation.register_location", arn);
            } else {
                p.push(Action::LfRegister {
                    arn,
                    role_arn: role_arn.clone(),
                });
            }
        }
    }
}

fn plan_bucket_policies(cfg: &Producer, obs: &Observed, p: &mut Plan) {
    // Locations per (bucket, database) for shares that keep a bucket statement.
    let mut wanted: BTreeMap<String, BTreeMap<String, BTreeSet<S3Location>>> = BTreeMap::new();
    for db in obs.databases.keys() {
        let (covering, _) = covering_locations(cfg, obs, db, |s| s.bucket_policy);
        for loc in covering {
            wanted
                .entry(loc.bucket.clone())
                .or_default()
                .entry(db.clone())
                .or_default()
                .insert(loc);
        }
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
            p.skip_alert(
                "s3.put_bucket_policy",
                format!("bucket {bucket}"),
                format!("refused: {bad}"),
                Some("Check producer.shares consumers".into()),
            );
            continue;
        }
        let cur = match current {
            BucketPolicy::Present(v) => Some(v),
            BucketPolicy::Absent => None,
            BucketPolicy::Unreadable(e) => {
                if !desired.is_empty() {
                    let doc = json!({"Version": "2012-10-17", "Statement": desired});
                    p.skip_alert(
                        "s3.put_bucket_policy",
                        format!("bucket {bucket}"),
                        format!("cannot read the bucket policy: {e}"),
                        Some(format!(
                            "If the bucket belongs to another account, its owner must merge these statements into its policy: {doc}"
                        )),
                    );
                }
                continue;
            }
        };
        let target = PolicyTarget::S3Bucket {
            bucket: bucket.clone(),
        };
        let nothing_wanted = desired.is_empty();
        match PolicyWrite::plan(target, cur, Ownership::exact(owned), desired) {
            Some(w) => p.push(Action::Policy(w)),
            None if nothing_wanted => {}
            None => p.already("s3.put_bucket_policy", format!("bucket {bucket}")),
        }
    }
}

fn plan_ram(cfg: &Producer, obs: &Observed, p: &mut Plan) {
    let scope = scope_dbs(obs);
    // Entries with the same `database` share one RAM share (its name comes from the database):
    // it holds every such entry's consumers, or each entry would remove the others' (found by
    // the convergence property, tests/converge_sharing.rs).
    let mut by_name: BTreeMap<String, Vec<&Share>> = BTreeMap::new();
    for share in cfg.shares.iter().filter(|s| s.ram == RamMode::Explicit) {
        by_name
            .entry(ram_share_name(share))
            .or_default()
            .push(share);
    }
    for (name, entries) in by_name {
        let mut resources = BTreeSet::new();
        let mut principals: BTreeSet<String> = BTreeSet::new();
        for share in entries {
            let m = &share.database;
            for (db, tables) in obs.databases.iter().filter(|(d, _)| m.is_match(d)) {
                resources.insert(glue_db_arn(&obs.region, &obs.catalog_id, db));
                for t in tables {
                    resources.insert(glue_table_arn(&obs.region, &obs.catalog_id, db, &t.name));
                }
            }
            principals.extend(consumers(share).iter().map(|c| c.identifier().to_string()));
        }
        match obs.ram_shares.get(&name) {
            None => {}
            Some(None) if resources.is_empty() => {}
            Some(None) => p.push(Action::RamCreateShare {
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
                    .filter(|r| db_of_glue_arn(r).is_some_and(|d| scope.contains(&d)))
                    .cloned()
                    .collect();
                let del_p: Vec<String> = cur.principals.difference(&principals).cloned().collect();
                if add_r.is_empty() && add_p.is_empty() && del_r.is_empty() && del_p.is_empty() {
                    p.already("ram.share", format!("share {name}"));
                }
                if !add_r.is_empty() || !add_p.is_empty() {
                    p.push(Action::RamAssociate {
                        name: name.clone(),
                        arn: cur.arn.clone(),
                        resources: add_r,
                        principals: add_p,
                    });
                }
                if !del_r.is_empty() || !del_p.is_empty() {
                    p.push(Action::RamDisassociate {
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
