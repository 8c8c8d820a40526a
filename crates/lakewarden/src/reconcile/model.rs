//! A pure model of what lakewarden writes, and an applier that carries a [`Plan`] out on it the
//! way the driver ([`super::apply`]) carries it out on AWS. For property tests of the planners:
//! observe a [`World`], plan, [`apply`] the plan to the world, observe and plan again — a
//! converged planner has nothing left to write.
//!
//! The semantics follow the driver and the AWS answers it normalises: phases in order, within a
//! phase Lake Formation grants then revokes, then the other steps in plan order; identical
//! actions written once; AlreadyExists on create and NotFound on delete/revoke are `already`;
//! resource policies merged by Sid into the document as it is right before the write (the real
//! [`policy::merge`]) and refused over AWS's size limit; a whole Glue / DynamoDB / trust policy
//! is never deleted. Nothing here calls AWS; it has no dependency beyond the library's own.
//!
//! Function-specific actions ([`Action::Ext`]) are applied by a closure the caller passes, on
//! the function's part of the world ([`World::ext`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::aws::ram::ShareState;
use crate::lf::{LfGrant, LfResource, LfState};
use crate::policy::{self, Merge};

use super::action::{Action, ApplyState, Done, ExtAction, Link, Phase, Plan, Step};
use super::policy_write::{measure, PolicyTarget, PolicyWrite};

const PHASES: [Phase; 7] = [
    Phase::Prepare,
    Phase::Link,
    Phase::Grant,
    Phase::Write,
    Phase::Revoke,
    Phase::Unlink,
    Phase::Finally,
];

/// A database of this account's catalog (a resource link when `target` is set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelDatabase {
    pub target: Option<(String, String)>,
    pub location: Option<String>,
    pub params: BTreeMap<String, String>,
}

/// A table of this account's catalog (a resource link when `target` is set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelTable {
    pub target: Option<(String, String, String)>,
    pub location: Option<String>,
    pub params: BTreeMap<String, String>,
}

/// A record of lakewarden's state table.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRecord {
    pub data: Value,
    pub version: u64,
}

/// What DataZone shows for one asset of a subscription grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelGrantStatus {
    pub status: String,
    pub failure: Option<String>,
    pub target_name: Option<String>,
}

/// The account's Lake Formation data lake settings, as far as lakewarden changes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelLfSettings {
    pub admins: BTreeSet<String>,
    /// `CreateDatabaseDefaultPermissions` / `CreateTableDefaultPermissions` hold
    /// IAM_ALLOWED_PRINCIPALS.
    pub default_permissions: bool,
    pub cross_account_version: u8,
}

/// The state lakewarden reads and writes, in one account. `E` holds what only one function
/// writes (its [`ExtAction`]s).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct World<E = ()> {
    pub permissions: LfState,
    pub lf_settings: ModelLfSettings,
    /// Registered data-location ARNs.
    pub registered: BTreeSet<String>,
    /// Every resource policy document, by [`PolicyTarget::describe`].
    pub policies: BTreeMap<String, Value>,
    /// This account's databases (links included), by name.
    pub databases: BTreeMap<String, ModelDatabase>,
    /// This account's tables (links included), by (database, name).
    pub tables: BTreeMap<(String, String), ModelTable>,
    /// RAM invitations received: ARN → status.
    pub invitations: BTreeMap<String, String>,
    /// RAM shares this account owns, by name.
    pub ram_shares: BTreeMap<String, ShareState>,
    /// DynamoDB tables with point-in-time recovery on.
    pub pitr: BTreeSet<String>,
    /// (domain, grant, asset) → what DataZone shows.
    pub grant_status: BTreeMap<(String, String, String), ModelGrantStatus>,
    /// (state table, key) → record.
    pub state: BTreeMap<(String, String), ModelRecord>,
    /// The function's own part of the world.
    pub ext: E,
}

/// What one [`apply`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// (kind, target) of each step that wrote.
    pub applied: Vec<(String, String)>,
    /// (kind, target) of each step AWS would have answered "already so".
    pub already: Vec<(String, String)>,
    /// (kind, target, error) of each step that failed.
    pub failed: Vec<(String, String, String)>,
    /// (kind, target) of each removal held back by the removal cap ([`Plan::max_removals`]).
    pub held: Vec<(String, String)>,
}

impl<E> World<E> {
    pub fn policy(&self, target: &PolicyTarget) -> Option<&Value> {
        self.policies.get(&target.describe())
    }

    pub fn set_policy(&mut self, target: &PolicyTarget, doc: Option<Value>) {
        match doc {
            Some(d) => self.policies.insert(target.describe(), d),
            None => self.policies.remove(&target.describe()),
        };
    }

    /// The state table's conditional write: `data` is stored (version + 1) when the stored
    /// version is still `expected` (None: no record yet).
    pub fn put_if(&mut self, table: &str, key: &str, data: Value, expected: Option<u64>) -> bool {
        let k = (table.to_string(), key.to_string());
        let current = self.state.get(&k).map(|r| r.version);
        if current != expected {
            return false;
        }
        let version = expected.map(|v| v + 1).unwrap_or(1);
        self.state.insert(k, ModelRecord { data, version });
        true
    }

    pub fn record(&self, table: &str, key: &str) -> Option<&ModelRecord> {
        self.state.get(&(table.to_string(), key.to_string()))
    }

    /// The world without its function-specific part (for comparing core state).
    pub fn core(&self) -> World<()> {
        World {
            permissions: self.permissions.clone(),
            lf_settings: self.lf_settings.clone(),
            registered: self.registered.clone(),
            policies: self.policies.clone(),
            databases: self.databases.clone(),
            tables: self.tables.clone(),
            invitations: self.invitations.clone(),
            ram_shares: self.ram_shares.clone(),
            pitr: self.pitr.clone(),
            grant_status: self.grant_status.clone(),
            state: self.state.clone(),
            ext: (),
        }
    }
}

/// Lake Formation after a grant: the permissions are added to the entry.
pub fn lf_grant(state: &LfState, g: &LfGrant) -> LfState {
    let mut s = state.clone();
    s.add(g.clone());
    s
}

/// Lake Formation after a revoke: the permissions (and their grant option) leave the entry;
/// `None` when it held none of them (AWS answers that the grant does not exist).
pub fn lf_revoke(state: &LfState, g: &LfGrant) -> Option<LfState> {
    let held = state.get(&g.principal, &g.resource)?;
    if held.permissions.is_disjoint(&g.permissions) && held.grantable.is_disjoint(&g.grantable) {
        return None;
    }
    let mut out = LfState::default();
    for e in state.iter() {
        if e.principal == g.principal && e.resource == g.resource {
            let permissions: BTreeSet<String> =
                e.permissions.difference(&g.permissions).cloned().collect();
            let grantable: BTreeSet<String> = e
                .grantable
                .difference(&g.grantable)
                .filter(|p| permissions.contains(*p))
                .cloned()
                .collect();
            if permissions.is_empty() && grantable.is_empty() {
                continue;
            }
            out.add(LfGrant {
                principal: e.principal,
                resource: e.resource,
                permissions,
                grantable,
            });
        } else {
            out.add(e);
        }
    }
    Some(out)
}

/// The size AWS would count for the document `doc` written to `target` (for IAM inline
/// policies, with the role's other inline policies).
fn size_with_others<E>(world: &World<E>, target: &PolicyTarget, doc: &Value) -> usize {
    let (_, m) = target.limit();
    let mut size = measure(&doc.to_string(), m);
    if let PolicyTarget::IamInline { role_arn, name } = target {
        for (key, other) in &world.policies {
            let prefix = format!("{role_arn} policy ");
            if let Some(n) = key.strip_prefix(&prefix) {
                if n != name {
                    size += measure(&other.to_string(), m);
                }
            }
        }
    }
    size
}

/// One policy write, as [`super::policy_write::apply`] makes it.
pub fn apply_policy<E>(world: &mut World<E>, w: &PolicyWrite) -> Result<Done, String> {
    let current = world.policy(&w.target).cloned();
    match policy::merge(current.as_ref(), &w.owner, &w.desired) {
        Merge::Unchanged => Ok(Done::Already),
        Merge::Put(doc) => {
            let (limit, _) = w.target.limit();
            let size = size_with_others(world, &w.target, &doc);
            if size > limit {
                return Err(format!(
                    "PolicyTooLarge: {} would be {size}; AWS allows {limit}",
                    w.target.describe()
                ));
            }
            world.set_policy(&w.target, Some(doc));
            Ok(Done::Applied)
        }
        Merge::Delete => match &w.target {
            PolicyTarget::S3Bucket { .. } | PolicyTarget::IamInline { .. } => {
                world.set_policy(&w.target, None);
                Ok(Done::Applied)
            }
            t => Err(format!(
                "Refused: lakewarden never deletes a whole {}",
                t.describe()
            )),
        },
    }
}

/// Carry out one shared action (not an LF grant or revoke, not an extension).
fn apply_core<E, X: ExtAction>(
    world: &mut World<E>,
    action: &Action<X>,
    unit: Option<&str>,
    st: &ApplyState,
) -> Result<Done, String> {
    use std::collections::btree_map::Entry;
    match action {
        Action::LfGrant(_) | Action::LfRevoke(_) | Action::Ext(_) => {
            unreachable!("applied by the caller")
        }
        Action::LfRegister { arn, .. } => Ok(if world.registered.insert(arn.clone()) {
            Done::Applied
        } else {
            Done::Already
        }),
        Action::LfFixSettings(f) => {
            let s = &mut world.lf_settings;
            let before = s.clone();
            if let Some(a) = &f.add_admin {
                s.admins.insert(a.clone());
            }
            if f.clear_default_permissions {
                s.default_permissions = false;
            }
            if let Some(v) = f.min_cross_account_version {
                s.cross_account_version = s.cross_account_version.max(v);
            }
            Ok(if *s == before {
                Done::Already
            } else {
                Done::Applied
            })
        }
        Action::Policy(w) => apply_policy(world, w),
        Action::CreateLink(Link::Database {
            name,
            producer,
            database,
        }) => match world.databases.entry(name.clone()) {
            Entry::Occupied(_) => Ok(Done::Already),
            Entry::Vacant(v) => {
                v.insert(ModelDatabase {
                    target: Some((producer.clone(), database.clone())),
                    location: None,
                    params: [
                        (
                            crate::aws::glue::MANAGED_BY.to_string(),
                            "share-linker".to_string(),
                        ),
                        (
                            crate::aws::glue::LINK_TARGET.to_string(),
                            format!("{producer}:{database}"),
                        ),
                    ]
                    .into(),
                });
                Ok(Done::Applied)
            }
        },
        Action::CreateLink(Link::Table {
            database,
            name,
            catalog,
            target_database,
            table,
            managed_by,
        }) => match world.tables.entry((database.clone(), name.clone())) {
            Entry::Occupied(_) => Ok(Done::Already),
            Entry::Vacant(v) => {
                v.insert(ModelTable {
                    target: Some((catalog.clone(), target_database.clone(), table.clone())),
                    location: None,
                    params: managed_by
                        .iter()
                        .map(|m| (crate::aws::glue::MANAGED_BY.to_string(), m.clone()))
                        .collect(),
                });
                Ok(Done::Applied)
            }
        },
        Action::DeleteLink(Link::Database { name, .. }) => {
            Ok(match world.databases.remove(name) {
                Some(_) => {
                    // Glue deletes a database's tables with it.
                    world.tables.retain(|(d, _), _| d != name);
                    Done::Applied
                }
                None => Done::Already,
            })
        }
        Action::DeleteLink(Link::Table { database, name, .. }) => Ok(
            match world.tables.remove(&(database.clone(), name.clone())) {
                Some(_) => Done::Applied,
                None => Done::Already,
            },
        ),
        Action::RamAccept { arn, .. } => match world.invitations.get_mut(arn) {
            Some(s) if s == "ACCEPTED" => Ok(Done::Already),
            Some(s) if s == "PENDING" => {
                *s = "ACCEPTED".into();
                Ok(Done::Applied)
            }
            Some(s) => Err(format!("invitation {arn} is {s}")),
            None => Err(format!(
                "ResourceShareInvitationArnNotFoundException: {arn}"
            )),
        },
        Action::RamCreateShare {
            name,
            resources,
            principals,
        } => match world.ram_shares.entry(name.clone()) {
            // The client token is derived from the name: a second create is the first one.
            Entry::Occupied(_) => Ok(Done::Already),
            Entry::Vacant(v) => {
                v.insert(ShareState {
                    name: name.clone(),
                    arn: format!("arn:aws:ram:model:share/{name}"),
                    resources: resources.iter().cloned().collect(),
                    principals: principals.iter().cloned().collect(),
                });
                Ok(Done::Applied)
            }
        },
        Action::RamAssociate {
            arn,
            resources,
            principals,
            ..
        } => {
            let s = ram_share(world, arn)?;
            s.resources.extend(resources.iter().cloned());
            s.principals.extend(principals.iter().cloned());
            Ok(Done::Applied)
        }
        Action::RamDisassociate {
            arn,
            resources,
            principals,
            ..
        } => {
            let s = ram_share(world, arn)?;
            s.resources.retain(|r| !resources.contains(r));
            s.principals.retain(|p| !principals.contains(p));
            Ok(Done::Applied)
        }
        Action::DynamoEnablePitr { table } => {
            world.pitr.insert(table.clone());
            Ok(Done::Applied)
        }
        Action::DataZoneGrantStatus {
            domain,
            grant,
            asset,
            status,
            failure,
            target_name,
            downgrade_on_failure,
        } => {
            let (status, failure) = crate::reconcile::apply::reported_status(
                st,
                unit,
                status,
                failure,
                *downgrade_on_failure,
            );
            world.grant_status.insert(
                (domain.clone(), grant.clone(), asset.clone()),
                ModelGrantStatus {
                    status,
                    failure,
                    target_name: target_name.clone(),
                },
            );
            Ok(Done::Applied)
        }
    }
}

fn record<X: ExtAction>(
    out: &mut Applied,
    st: &mut ApplyState,
    step: &Step<X>,
    res: &Result<Done, String>,
) {
    let (kind, target) = step.label();
    match res {
        Ok(Done::Applied) => out.applied.push((kind, target)),
        Ok(Done::Already) => out.already.push((kind, target)),
        Err(e) => {
            st.first_error
                .get_or_insert_with(|| format!("{kind} {target}: {e}"));
            if let Some(u) = &step.unit {
                st.first_error_of
                    .entry(u.clone())
                    .or_insert_with(|| format!("{kind} {target}: {e}"));
            }
            out.failed.push((kind, target, e.clone()));
        }
    }
}

/// Carry `plan` out on `world`, like the driver; `ext` applies the function's own actions.
pub fn apply<E, X: ExtAction>(
    world: &mut World<E>,
    plan: &Plan<X>,
    mut ext: impl FnMut(&mut World<E>, &X, &mut ApplyState) -> Result<Done, String>,
) -> Applied {
    let mut out = Applied::default();
    let mut st = ApplyState::default();
    let mut done: Vec<(&Action<X>, Result<Done, String>)> = Vec::new();
    // More removals than the cap: no removal runs (the driver reports them skipped).
    let capped = plan.max_removals.is_some_and(|max| plan.removals() > max);
    if capped {
        st.first_error
            .get_or_insert_with(|| "max_removals_per_run".to_string());
        for s in plan.steps.iter().filter(|s| s.removals() > 0) {
            out.held.push(s.label());
        }
    }
    for phase in PHASES {
        let steps: Vec<&Step<X>> = plan
            .steps
            .iter()
            .filter(|s| s.phase() == phase && !(capped && s.removals() > 0))
            .collect();
        for revoke in [false, true] {
            for s in &steps {
                let res = match (&s.action, revoke) {
                    (Action::LfGrant(g), false) => {
                        world.permissions = lf_grant(&world.permissions, g);
                        Ok(Done::Applied)
                    }
                    (Action::LfRevoke(g), true) => match lf_revoke(&world.permissions, g) {
                        Some(p) => {
                            world.permissions = p;
                            Ok(Done::Applied)
                        }
                        None => Ok(Done::Already),
                    },
                    _ => continue,
                };
                record(&mut out, &mut st, s, &res);
            }
        }
        for s in steps
            .iter()
            .filter(|s| !matches!(s.action, Action::LfGrant(_) | Action::LfRevoke(_)))
        {
            let res = match done.iter().find(|(a, _)| **a == s.action) {
                Some((_, r)) => r.clone(),
                None => {
                    let r = match &s.action {
                        Action::Ext(x) => ext(world, x, &mut st),
                        a => apply_core(world, a, s.unit.as_deref(), &st),
                    };
                    done.push((&s.action, r.clone()));
                    r
                }
            };
            record(&mut out, &mut st, s, &res);
        }
    }
    out
}

/// The model's RAM share `arn`, or the error RAM answers for an unknown one.
fn ram_share<'w, E>(world: &'w mut World<E>, arn: &str) -> Result<&'w mut ShareState, String> {
    world
        .ram_shares
        .values_mut()
        .find(|s| s.arn == arn)
        .ok_or_else(|| format!("UnknownResourceException: {arn}"))
}

/// For plans without function-specific actions.
pub fn no_ext<E, X>(_: &mut World<E>, _: &X, _: &mut ApplyState) -> Result<Done, String> {
    Err("no function-specific action expected".into())
}

/// The Lake Formation grants in `after` that are not in `before` or differ from it, by
/// (principal, resource): for checking that grants nobody planned are untouched.
pub fn lf_changes(before: &LfState, after: &LfState) -> BTreeSet<(String, LfResource)> {
    let mut out = BTreeSet::new();
    for g in before.iter().chain(after.iter()) {
        if before.get(&g.principal, &g.resource) != after.get(&g.principal, &g.resource) {
            out.insert((g.principal.clone(), g.resource.clone()));
        }
    }
    out
}

/// The statements of a document whose Sid `owned` does not claim, in order (for checking that
/// foreign statements come out byte-identical and in place).
pub fn foreign_statements(doc: Option<&Value>, owned: impl Fn(&str) -> bool) -> Vec<Value> {
    doc.map(policy::statements)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| !policy::sid(s).is_some_and(&owned))
        .collect()
}

/// (action, target) of each step a plan skipped: for checking that a second run skips nothing
/// the first did not.
pub fn skipped_set<X>(p: &Plan<X>) -> BTreeSet<(String, String)> {
    p.skipped
        .iter()
        .map(|s| (s.action.clone(), s.target.clone()))
        .collect()
}

/// How many cases a convergence property runs: 64 (`make test` stays fast) unless the
/// `PROPTEST_CASES` environment variable asks for more.
pub fn property_cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Ownership;
    use crate::reconcile::NoExt;
    use serde_json::json;

    fn res() -> LfResource {
        LfResource::Database {
            catalog_id: "111111111111".into(),
            name: "d".into(),
        }
    }

    #[test]
    fn a_revoke_takes_the_grant_option_with_the_permission() {
        let s: LfState = [LfGrant::new("p", res(), ["DESCRIBE", "SELECT"], true)]
            .into_iter()
            .collect();
        let after = lf_revoke(&s, &LfGrant::new("p", res(), ["SELECT"], false)).unwrap();
        let g = after.get("p", &res()).unwrap();
        assert_eq!(g.permissions, ["DESCRIBE".to_string()].into());
        assert_eq!(g.grantable, ["DESCRIBE".to_string()].into());
        assert!(lf_revoke(&after, &LfGrant::new("p", res(), ["SELECT"], false)).is_none());
    }

    #[test]
    fn a_plan_is_applied_in_phases_and_a_second_time_changes_nothing() {
        let target = PolicyTarget::S3Bucket { bucket: "b".into() };
        let mut w: World = World::default();
        w.set_policy(
            &target,
            Some(json!({"Version": "2012-10-17", "Statement": [{"Sid": "Theirs", "Effect": "Deny"}]})),
        );
        let mut p: Plan<NoExt> = Plan::default();
        let stmt = json!({"Sid": "LakewardenX", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Principal": {"AWS": "arn:aws:iam::1:root"}});
        p.push(Action::Policy(
            PolicyWrite::plan(
                target.clone(),
                w.policy(&target),
                Ownership::prefix("Lakewarden"),
                vec![stmt],
            )
            .unwrap(),
        ));
        p.push(Action::LfRevoke(LfGrant::new(
            "p",
            res(),
            ["SELECT"],
            false,
        )));
        p.push(Action::LfGrant(LfGrant::new("p", res(), ["SELECT"], false)));
        let first = apply(&mut w, &p, no_ext);
        // Grants run before revokes: the grant is revoked again.
        assert_eq!(first.applied.len(), 3, "{first:?}");
        assert!(w.permissions.get("p", &res()).is_none());
        let doc = w.policy(&target).unwrap().clone();
        assert_eq!(policy::statements(&doc).len(), 2);
        let again = w.clone();
        let second = apply(&mut w, &p, no_ext);
        assert_eq!(
            second.already.len(),
            1,
            "the merge changes nothing: {second:?}"
        );
        assert_eq!(w.policies, again.policies);
    }

    #[test]
    fn a_whole_catalog_policy_is_never_deleted() {
        let mut w: World = World::default();
        let stmt = json!({"Sid": "LakewardenA", "Effect": "Allow"});
        w.set_policy(
            &PolicyTarget::GlueCatalog,
            Some(json!({"Statement": [stmt]})),
        );
        let write = PolicyWrite::plan(
            PolicyTarget::GlueCatalog,
            w.policy(&PolicyTarget::GlueCatalog),
            Ownership::prefix("Lakewarden"),
            vec![],
        )
        .unwrap();
        assert!(apply_policy(&mut w, &write).is_err());
    }

    #[test]
    fn state_writes_are_conditional() {
        let mut w: World = World::default();
        assert!(w.put_if("t", "k", json!(1), None));
        assert!(!w.put_if("t", "k", json!(2), None));
        assert!(w.put_if("t", "k", json!(3), Some(1)));
        assert_eq!(w.record("t", "k").unwrap().version, 2);
    }
}
