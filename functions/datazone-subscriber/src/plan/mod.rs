//! Pure planning for DataZone environments and subscriptions over existing S3 buckets (S4):
//! configuration + what was read → a plan in the shared vocabulary (plus the boundary copy,
//! [`crate::ext::Ext`]).

pub mod boundary;
pub mod environment;
pub mod grants;
pub mod retire;

use lakewarden::aws::datazone::SubscriptionTarget;
use lakewarden::aws::{AwsError, LocalKind};
use lakewarden::config::DataZone;
use lakewarden::lf::{self, LfGrant, LfState};
use lakewarden::policy::Ownership;
use lakewarden::reconcile::{Action, Phase, Plan, PolicyTarget, PolicyWrite};
use lakewarden::s3loc::S3Location;
use serde_json::{json, Value};

use crate::ext::Ext;
use crate::observe::{Item, Observed};
use crate::trigger::GrantKind;

pub use crate::observe::{BoundaryCopy, EnvObserved, GrantObserved};
pub use boundary::{
    boundary_allows_list, boundary_copy_name, copy_description, copy_source, policy_size,
    version_to_prune, widened_boundary,
};
pub use environment::{env_statements, plan_environment};
pub use grants::{link_candidates, plan_failed, plan_grant, plan_revoke, revoke_kept};

pub const POLICY_NAME: &str = lakewarden::ownership::policy_name::DATAZONE;
pub const ENV_SID: &str = lakewarden::ownership::sid::DATAZONE_ENV;
pub const GRANT_SID: &str = lakewarden::ownership::sid::DATAZONE_GRANT;
pub const BOUNDARY_SID: &str = lakewarden::ownership::sid::DATAZONE_LIST_BUCKET;
/// IAM's limit for a customer-managed policy document (whitespace not counted).
pub const MANAGED_POLICY_MAX: usize = 6144;
/// IAM keeps at most this many versions of a managed policy.
pub const MAX_POLICY_VERSIONS: usize = 5;
/// The value of `lakewarden:managed-by` on the table links this function makes.
pub const LINK_MANAGER: &str = crate::FUNCTION;

pub type DzPlan = Plan<Ext>;

/// Whether lakewarden fulfils grants to this subscription target (`datazone.fulfil_targets`
/// names its id, type or name).
pub fn fulfils(cfg: &DataZone, t: &SubscriptionTarget) -> bool {
    cfg.fulfil_targets
        .iter()
        .any(|f| *f == t.id || *f == t.target_type || *f == t.name)
}

/// Whether an error reading a grant's listing, environment or target is permanent (retrying
/// cannot help: DataZone is told the grant failed) rather than transient (left pending).
pub fn permanent(e: &AwsError) -> bool {
    e.is_not_found()
        || e.is_local(LocalKind::NoUserRole)
        || e.is_local(LocalKind::UnsupportedListing)
        || ["ValidationException", "AccessDeniedException"]
            .iter()
            .any(|c| e.is_code(c))
}

/// The configured locations: (bucket, prefix) with prefix normalised (`order/`; "" = bucket).
pub fn locations(cfg: &DataZone) -> Vec<S3Location> {
    let mut out = Vec::new();
    for b in &cfg.buckets {
        if b.prefixes.is_empty() {
            out.push(S3Location {
                bucket: b.bucket.to_string(),
                prefix: String::new(),
            });
        }
        for p in &b.prefixes {
            out.push(p.in_bucket(&b.bucket));
        }
    }
    out
}

/// Whether a location lies within the configured buckets/prefixes.
pub fn location_allowed(cfg: &DataZone, loc: &S3Location) -> bool {
    locations(cfg).iter().any(|l| loc.within(l))
}

/// Grant what is missing of `g`, or report it already held.
pub(crate) fn grant_or_already(p: &mut DzPlan, g: LfGrant, state: &LfState) {
    match lf::missing(&g, state) {
        Some(m) => p.push(Action::LfGrant(m)),
        None => p.already("lakeformation.grant", g.to_string()),
    }
}

/// Merge `desired` (the statements `owner` covers) into the role's inline policy
/// `lakewarden-datazone`; the driver merges again into the document as it is right before the
/// write, so an environment and a grant writing the same role in one run both land.
pub(crate) fn role_policy(
    p: &mut DzPlan,
    role: &str,
    current: Option<&Value>,
    owner: Ownership,
    desired: Vec<Value>,
) {
    let target = PolicyTarget::IamInline {
        role_arn: role.to_string(),
        name: POLICY_NAME.to_string(),
    };
    let wanted = !desired.is_empty();
    match PolicyWrite::plan(target.clone(), current, owner, desired) {
        Some(w) => p.push(Action::Policy(w)),
        None if wanted => p.already("iam.put_role_policy", target.describe()),
        None => {}
    }
}

/// One asset of a subscription grant, and the status DataZone shows for it.
pub(crate) struct Asset<'a> {
    pub domain: &'a str,
    pub grant: &'a str,
    pub asset: &'a str,
    pub current: Option<&'a str>,
}

/// Tell DataZone `status` for one asset of a grant: `*_IN_PROGRESS` first (in
/// [`Phase::Prepare`], before the work it announces, as AWS's own custom fulfilment samples
/// do) unless DataZone already shows it, then the outcome after everything else. GRANTED /
/// REVOKED become GRANT_FAILED / REVOKE_FAILED with the first failure of this grant.
pub(crate) fn report_status(
    p: &mut DzPlan,
    a: &Asset,
    status: &str,
    failure: Option<String>,
    target_name: Option<String>,
) {
    let progress = if status.starts_with("GRANT") {
        "GRANT_IN_PROGRESS"
    } else {
        "REVOKE_IN_PROGRESS"
    };
    let action =
        |status: &str, failure, target_name, downgrade_on_failure| Action::DataZoneGrantStatus {
            domain: a.domain.to_string(),
            grant: a.grant.to_string(),
            asset: a.asset.to_string(),
            status: status.to_string(),
            failure,
            target_name,
            downgrade_on_failure,
        };
    if a.current != Some(progress) && a.current != Some(status) {
        p.push_in(Phase::Prepare, action(progress, None, None, false));
    }
    p.push(action(status, failure, target_name, true));
}

/// The whole plan of a run: one part per environment and per grant (each grant its own unit,
/// so that a failure of one never turns another's GRANTED into GRANT_FAILED).
/// What this run's grants need of the account: the configured databases of an environment, the
/// subscribed table of a grant in this account's catalog. Grants go to roles of this account only,
/// so no cross-account version is needed.
pub fn lf_needs(observed: &Observed) -> lakewarden::lfsettings::Needs {
    use lakewarden::lfsettings::{Needs, Shared};
    let mut n = Needs::default();
    for item in &observed.items {
        match item {
            Item::Environment(o) => {
                n.account = o.account.clone();
                for d in &o.databases_present {
                    n.shared.push(Shared {
                        database: d.to_string(),
                        tables: None,
                        hybrid: false,
                    });
                }
            }
            Item::Grant(o) => {
                n.account = o.account.clone();
                if o.catalog == o.account {
                    n.shared.push(Shared {
                        database: o.database.clone(),
                        tables: Some([o.table_name.clone()].into()),
                        hybrid: false,
                    });
                }
            }
            _ => {}
        }
    }
    n.shared.sort();
    n.shared.dedup();
    n
}

/// The `check.lf.*` lines of a run that grants (nothing when no prerequisites were read).
pub fn lf_checks(cfg: &lakewarden::config::Config, observed: &Observed) -> DzPlan {
    match &observed.lf {
        Some(p) => lakewarden::lfsettings::check(&lf_needs(observed), p, cfg.fix_lf_settings),
        None => DzPlan::default(),
    }
}

/// The unit of a subscription grant's steps (see [`Plan::extend_unit`]).
pub fn unit_of(grant: &str) -> String {
    format!("grant {grant}")
}

/// A grant's LF grants run before its policy write (phases Grant → Write): when a later step of
/// the grant fails, DataZone is told GRANT_FAILED and the access must not stay. The grant's plan
/// gets [`Ext::UndoGrants`], which takes back what it granted in this run when its unit failed —
/// except what an environment of the run also grants, and what another grant of the run also
/// granted unless that one failed too.
fn undo_grants(
    mut part: DzPlan,
    grant: &str,
    planned_by: &std::collections::BTreeMap<(String, lf::LfResource), Vec<Option<String>>>,
) -> DzPlan {
    let unit = unit_of(grant);
    let later = part
        .actions()
        .any(|a| a.phase() > Phase::Grant && !matches!(a, Action::DataZoneGrantStatus { .. }));
    let grants: Vec<crate::ext::Undo> = part
        .grants()
        .into_iter()
        .filter_map(|g| {
            let by = planned_by.get(&(g.principal.clone(), g.resource.clone()))?;
            if by.contains(&None) {
                return None;
            }
            let shared_with = by
                .iter()
                .flatten()
                .filter(|u| **u != unit)
                .cloned()
                .collect();
            Some(crate::ext::Undo {
                grant: g,
                shared_with,
            })
        })
        .collect();
    if later && !grants.is_empty() {
        part.push_ext(Ext::UndoGrants { unit, grants });
    }
    part
}

pub fn plan(cfg: &DataZone, observed: &Observed) -> DzPlan {
    let mut p = DzPlan::default();
    // What the grants of this run give: a revoke in the same run (which runs after them) keeps
    // what they need — the table access and the link of the same table, the database DESCRIBE of
    // the same database — as it keeps what a GRANTED grant needs. It used to take access that a
    // grant of the same run had just been reported GRANTED for (found by the convergence
    // property, tests/converge_props.rs).
    let mut granting = LfState::default();
    let mut tables: std::collections::BTreeMap<(&str, &str, &str, &str), &str> = Default::default();
    // Who plans each LF grant of this run (principal, resource): the units of the grants, and
    // `None` for the environments (never taken back, see `undo_grants`).
    let mut planned_by: std::collections::BTreeMap<(String, lf::LfResource), Vec<Option<String>>> =
        Default::default();
    for item in &observed.items {
        if let Item::Environment(o) = item {
            for g in plan_environment(cfg, o).grants() {
                planned_by
                    .entry((g.principal, g.resource))
                    .or_default()
                    .push(None);
            }
        }
        if let Item::Grant(o) = item {
            if o.kind == GrantKind::Grant {
                let part = plan_grant(cfg, o);
                for g in part.grants() {
                    planned_by
                        .entry((g.principal, g.resource))
                        .or_default()
                        .push(Some(unit_of(&o.grant)));
                }
                let failed = part.actions().any(|a| {
                    matches!(a, Action::DataZoneGrantStatus { status, .. } if status == "GRANT_FAILED")
                }) || part.already.iter().any(|(_, t)| t.ends_with("-> GRANT_FAILED"));
                if !failed {
                    for g in part.grants() {
                        granting.add(g);
                    }
                    tables
                        .entry((&o.role_arn, &o.catalog, &o.database, &o.table_name))
                        .or_insert(&o.grant);
                }
            }
        }
    }
    // The grants this run revokes (in item order). A grant revoked in this run does not hold the
    // table for another revoke of the same listing: when two revokes each saw the other still
    // GRANTED, neither took the LF access and link, and nothing later did (the schedule skips
    // REVOKED grants). The first of them takes the shared pieces; the later ones count the
    // earlier as holding, so that the same LF revoke is not sent twice.
    let revoked: Vec<&str> = observed
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Grant(o) if o.kind == GrantKind::Revoke && !revoke_kept(o) => {
                Some(o.grant.as_str())
            }
            _ => None,
        })
        .collect();
    for item in &observed.items {
        match item {
            Item::Environment(o) => p.extend(plan_environment(cfg, o)),
            Item::Grant(o) => {
                let part = match o.kind {
                    GrantKind::Grant => undo_grants(plan_grant(cfg, o), &o.grant, &planned_by),
                    GrantKind::Revoke => {
                        let mut kept = (**o).clone();
                        let me = revoked.iter().position(|g| *g == o.grant);
                        kept.other_grants_holding_table.retain(|h| {
                            match (me, revoked.iter().position(|g| g == h)) {
                                (Some(me), Some(other)) => other < me,
                                _ => true,
                            }
                        });
                        if let Some(g) =
                            tables.get(&(&o.role_arn, &o.catalog, &o.database, &o.table_name))
                        {
                            kept.other_grants_holding_table.push(g.to_string());
                        }
                        for g in granting.iter() {
                            kept.permissions.add(g);
                        }
                        plan_revoke(cfg, &kept)
                    }
                };
                p.extend_unit(unit_of(&o.grant), part);
            }
            Item::GrantUnreadable {
                grant,
                error,
                assets,
            } => match assets {
                _ if error.is_local(LocalKind::OtherAccount) => p.notes.push(
                    json!({"skipped": format!("subscription grant {}", grant.id), "reason": error.to_string()}),
                ),
                Some(Ok(assets)) => p.extend_unit(
                    format!("grant {}", grant.id),
                    plan_failed(grant, assets, &error.to_string()),
                ),
                Some(Err(e)) => p.fail(
                    "observe",
                    format!("subscription grant {}", grant.id),
                    format!("{error}; then {e}"),
                    "Check the grant in DataZone and datazone:GetSubscriptionGrant for the function's role",
                ),
                None => p.fail(
                    "observe",
                    format!("subscription grant {}", grant.id),
                    error.to_string(),
                    "Check the environment, listing and target in DataZone, and the function's read permissions; the grant stays pending for the next run",
                ),
            },
            Item::Retired(o) => p.extend_unit(unit_of(&o.grant), retire::plan_retired(cfg, o)),
            Item::Ignored(why) => p.notes.push(json!({ "ignored": why })),
            Item::Unreadable { what, error, .. } if error.is_local(LocalKind::OtherAccount) => p
                .notes
                .push(json!({"skipped": what, "reason": error.to_string()})),
            Item::Unreadable {
                what,
                error,
                remedy,
            } => p.fail("observe", what.clone(), error.to_string(), remedy.clone()),
        }
    }
    p
}

#[cfg(test)]
mod tests;

/// The subscriber roles and tables of the grants a run fulfils: when something failed, the
/// alert explains why each role cannot read its table (`lakewarden explain`).
pub fn explain_targets(observed: &[Observed]) -> Vec<(String, lakewarden::explain::TableRef)> {
    observed
        .iter()
        .flat_map(|o| o.items.iter())
        .filter_map(|i| match i {
            crate::observe::Item::Grant(g) if g.kind == crate::trigger::GrantKind::Grant => Some((
                g.role_arn.clone(),
                lakewarden::explain::TableRef {
                    catalog_id: Some(g.catalog.clone()),
                    database: g.database.clone(),
                    table: g.table_name.clone(),
                },
            )),
            _ => None,
        })
        .collect()
}

/// The plan of a run under the whole configuration: [`plan`] plus the Lake Formation
/// prerequisite checks (nothing without a `datazone` section).
pub fn plan_for(
    cfg: &lakewarden::config::Config,
    observed: &Observed,
) -> lakewarden::reconcile::Plan<crate::ext::Ext> {
    let Some(dz) = &cfg.datazone else {
        return lakewarden::reconcile::Plan::default();
    };
    let mut p = plan(dz, observed);
    p.extend(lf_checks(cfg, observed));
    p
}
