//! Subscription grants: LF access for the subscriber environment's role, a table link when the
//! table lives in another account, S3 read on the table's location; revokes undo exactly that.
//!
//! Table links are lakewarden's only when they say so: each carries
//! `Parameters {"lakewarden:managed-by": "datazone-subscriber"}` and points at the subscribed
//! table. A same-named object without the marker is reported and alerted, never touched; a
//! name that is taken (by such an object, or by lakewarden's link to another table: `a_b` + `c`
//! and `a` + `b_c`, or one table name from two producers) gets a short hash of the target.

use lakewarden::aws::glue::{TableLinkInfo, MANAGED_BY};
use lakewarden::config::DataZone;
use lakewarden::lf::{self, LfGrant, LfResource};
use lakewarden::policy::{self, Ownership};
use lakewarden::reconcile::{Action, Link};
use lakewarden::s3loc::S3Location;
use serde_json::json;

use super::{
    grant_or_already, location_allowed, report_status, role_policy, Asset, DzPlan, GrantObserved,
    GRANT_SID, LINK_MANAGER,
};
use crate::trigger::{GrantKind, GrantRef};

pub(crate) fn grant_sids(grant: &str) -> [String; 2] {
    let f = policy::sid_fragment(grant);
    [format!("{GRANT_SID}Get{f}"), format!("{GRANT_SID}List{f}")]
}

fn grant_grants(o: &GrantObserved) -> [LfGrant; 2] {
    [
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

/// The plain link name `{database}_{table}`.
pub fn plain_link_name(database: &str, table: &str) -> String {
    format!("{database}_{table}")
}

/// The link name used when the plain one is taken: `{database}_{table}_{hash of the target}`.
pub fn hashed_link_name(catalog: &str, database: &str, table: &str) -> String {
    let h = policy::fnv1a(format!("{catalog}:{database}.{table}").as_bytes()) as u32;
    format!("{database}_{table}_{h:08x}")
}

/// The names a grant's link may have, in the order they are looked at: the one DataZone
/// recorded as the asset's target name, the plain one, the hashed one.
pub fn link_candidates(
    catalog: &str,
    database: &str,
    table: &str,
    recorded: Option<&str>,
) -> Vec<String> {
    let mut out: Vec<String> = recorded.map(String::from).into_iter().collect();
    for n in [
        plain_link_name(database, table),
        hashed_link_name(catalog, database, table),
    ] {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// Whether `l` is lakewarden's link to this grant's table: marked, and pointing there.
fn ours(l: &TableLinkInfo, o: &GrantObserved) -> bool {
    l.parameters.get(MANAGED_BY).map(String::as_str) == Some(LINK_MANAGER)
        && l.target.as_ref() == Some(&(o.catalog.clone(), o.database.clone(), o.table_name.clone()))
}

fn marked(l: &TableLinkInfo) -> bool {
    l.parameters.contains_key(MANAGED_BY)
}

fn link(o: &GrantObserved, name: &str) -> Link {
    Link::Table {
        database: o.target_database.clone(),
        name: name.to_string(),
        catalog: o.catalog.clone(),
        target_database: o.database.clone(),
        table: o.table_name.clone(),
        managed_by: Some(LINK_MANAGER.to_string()),
    }
}

/// DESCRIBE on the table link in the subscriber's target database (a table of another account
/// is read through the link: the role needs the link and the target table).
fn link_grant(o: &GrantObserved, name: &str) -> LfGrant {
    LfGrant::new(
        &o.role_arn,
        LfResource::Table {
            catalog_id: o.account.clone(),
            database: o.target_database.clone(),
            name: name.to_string(),
        },
        ["DESCRIBE"],
        false,
    )
}

fn asset(o: &GrantObserved) -> Asset<'_> {
    Asset {
        domain: &o.domain,
        grant: &o.grant,
        asset: &o.asset,
        current: o.grant_status.as_deref(),
    }
}

/// The link this grant uses: (name, create it now). `Err` when no name is free.
fn choose_link(o: &GrantObserved, p: &mut DzPlan) -> Result<(String, bool), String> {
    if let Some(l) = o.links.iter().find(|l| ours(l, o)) {
        return Ok((l.name.clone(), false));
    }
    let find = |n: &str| o.links.iter().find(|l| l.name == n);
    let plain = plain_link_name(&o.database, &o.table_name);
    let Some(taken) = find(&plain) else {
        return Ok((plain, true));
    };
    let hashed = hashed_link_name(&o.catalog, &o.database, &o.table_name);
    let why = if marked(taken) {
        format!(
            "{}.{plain} is lakewarden's link to another table ({})",
            o.target_database,
            taken
                .target
                .as_ref()
                .map(|(c, d, t)| format!("{c}:{d}.{t}"))
                .unwrap_or_else(|| "no target".into())
        )
    } else {
        format!(
            "{}.{plain} exists and lakewarden did not make it (no {MANAGED_BY} marker); it is left untouched",
            o.target_database
        )
    };
    if find(&hashed).is_some() {
        return Err(format!(
            "{why}, and {}.{hashed} is taken too",
            o.target_database
        ));
    }
    p.notes.push(json!({"link_name": hashed, "reason": why}));
    if !marked(taken) {
        p.attention.push(format!(
            "Subscription grant {}: {why}. The link to {}:{}.{} is named {hashed} instead.",
            o.grant, o.catalog, o.database, o.table_name
        ));
    }
    Ok((hashed, true))
}

/// The subscriber gets LF access, a table link when the table is in another account, S3 read
/// on the table's location; then DataZone is told GRANTED (or GRANT_FAILED with the reason).
pub fn plan_grant(cfg: &DataZone, o: &GrantObserved) -> DzPlan {
    let mut p = DzPlan::default();
    let fail = |p: &mut DzPlan, why: String| {
        p.attention.push(format!(
            "Subscription grant {} could not be fulfilled: {why}",
            o.grant
        ));
        if o.grant_status.as_deref() == Some("GRANT_FAILED") {
            // DataZone shows the failure already: a redelivered event writes nothing (found by
            // the convergence property, tests/converge_props.rs).
            p.already(
                "datazone.grant_status",
                format!("grant {} asset {} -> GRANT_FAILED", o.grant, o.asset),
            );
        } else {
            report_status(p, &asset(o), "GRANT_FAILED", Some(why), None);
        }
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
    let mut target_name = o.table_name.clone();
    if o.catalog != o.account {
        let (name, create) = match choose_link(o, &mut p) {
            Ok(c) => c,
            Err(why) => {
                fail(&mut p, why);
                return p;
            }
        };
        if create {
            p.push(Action::CreateLink(link(o, &name)));
        } else {
            p.already("glue.create_resource_link", link(o, &name).describe());
        }
        grant_or_already(&mut p, link_grant(o, &name), &o.permissions);
        target_name = name;
    }
    for g in grant_grants(o) {
        grant_or_already(&mut p, g, &o.permissions);
    }
    let [get, list] = grant_sids(&o.grant);
    let mut list_stmt = json!({"Sid": list, "Effect": "Allow", "Action": "s3:ListBucket", "Resource": loc.bucket_arn()});
    if !loc.prefix.is_empty() {
        list_stmt["Condition"] = json!({"StringLike": {"s3:prefix": [format!("{}*", loc.prefix)]}});
    }
    role_policy(
        &mut p,
        &o.role_arn,
        o.role_policy.as_ref(),
        Ownership::exact(grant_sids(&o.grant)),
        vec![
            json!({"Sid": get, "Effect": "Allow", "Action": "s3:GetObject", "Resource": loc.objects_arn()}),
            list_stmt,
        ],
    );
    if o.grant_status.as_deref() == Some("GRANTED") && p.is_empty() {
        p.already(
            "datazone.grant_status",
            format!("grant {} asset {} -> GRANTED", o.grant, o.asset),
        );
    } else {
        report_status(&mut p, &asset(o), "GRANTED", None, Some(target_name));
    }
    p
}

/// DataZone is told a grant (or its revoke) failed, for each asset still pending, with the
/// reason; a person is told too.
pub fn plan_failed(g: &GrantRef, assets: &[(String, String)], why: &str) -> DzPlan {
    let (open, status) = match g.kind {
        GrantKind::Revoke => (["REVOKE_PENDING", "REVOKE_IN_PROGRESS"], "REVOKE_FAILED"),
        GrantKind::Grant => (["GRANT_PENDING", "GRANT_IN_PROGRESS"], "GRANT_FAILED"),
    };
    let mut p = DzPlan::default();
    for (asset, current) in assets {
        if open.contains(&current.as_str()) {
            let a = Asset {
                domain: &g.domain,
                grant: &g.id,
                asset,
                current: Some(current),
            };
            report_status(&mut p, &a, status, Some(why.into()), None);
        }
    }
    p.attention.push(format!(
        "Subscription grant {} could not be {}: {why}",
        g.id,
        if g.kind == GrantKind::Revoke {
            "revoked"
        } else {
            "fulfilled"
        }
    ));
    p
}

/// A revoke that keeps everything: the project still has an approved subscription to the
/// listing and DataZone has not asked to revoke the grant.
pub fn revoke_kept(o: &GrantObserved) -> bool {
    let revoke_requested = matches!(
        o.grant_status.as_deref(),
        Some("REVOKE_PENDING" | "REVOKE_IN_PROGRESS")
    );
    o.still_subscribed && !revoke_requested
}

/// Undo exactly what [`plan_grant`] added for this grant, then tell DataZone REVOKED. The
/// database DESCRIBE stays when the environment grants it (`datazone.databases`) or when the
/// role still holds other grants in that database; the LF table access and the link stay while
/// another granted subscription of the same listing to the same target uses them. A link is
/// deleted only when it carries lakewarden's marker and still points at this grant's table.
pub fn plan_revoke(cfg: &DataZone, o: &GrantObserved) -> DzPlan {
    let mut p = DzPlan::default();
    if revoke_kept(o) {
        p.notes.push(json!({"kept": format!("subscription grant {}: the project still has an approved subscription to this listing, and DataZone has not asked to revoke the grant", o.grant)}));
        return p;
    }
    let sids = Ownership::exact(grant_sids(&o.grant));
    if !o.other_grants_holding_table.is_empty() {
        // Only this grant's S3 statements go; LF access and the link serve the other grant.
        p.notes.push(json!({"kept": format!("LF access to {}.{} and its link: another grant of the same listing to this target is still granted", o.database, o.table_name)}));
        role_policy(&mut p, &o.role_arn, o.role_policy.as_ref(), sids, vec![]);
        revoked_status(&mut p, o);
        return p;
    }
    let [db_grant, table_grant] = grant_grants(o);
    if let Some(h) = lf::held(&table_grant, &o.permissions) {
        p.push(Action::LfRevoke(h));
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
            p.push(Action::LfRevoke(h));
        }
    }
    if o.catalog != o.account {
        match o.links.iter().find(|l| ours(l, o)) {
            Some(l) => {
                if let Some(h) = lf::held(&link_grant(o, &l.name), &o.permissions) {
                    p.push(Action::LfRevoke(h));
                }
                p.push(Action::DeleteLink(link(o, &l.name)));
            }
            None => {
                let reported = o.target_name.as_deref();
                let plain = plain_link_name(&o.database, &o.table_name);
                for l in o
                    .links
                    .iter()
                    .filter(|l| Some(l.name.as_str()) == reported || l.name == plain)
                {
                    let target = format!("{}.{}", l.database, l.name);
                    if marked(l) {
                        p.skip(
                            "glue.delete_resource_link",
                            target,
                            "lakewarden's link to another table: not this grant's",
                            None,
                        );
                    } else {
                        p.skip_alert(
                            "glue.delete_resource_link",
                            target,
                            format!("not made by lakewarden (no {MANAGED_BY} marker): left untouched"),
                            Some("Nothing to do unless this object should go; delete it by hand if so".into()),
                        );
                    }
                }
            }
        }
    }
    role_policy(&mut p, &o.role_arn, o.role_policy.as_ref(), sids, vec![]);
    revoked_status(&mut p, o);
    p
}

/// DataZone is told REVOKED (unless it already says so and nothing was left to undo).
fn revoked_status(p: &mut DzPlan, o: &GrantObserved) {
    if o.grant_status.as_deref() == Some("REVOKED") && p.is_empty() {
        p.already(
            "datazone.grant_status",
            format!("grant {} asset {} -> REVOKED", o.grant, o.asset),
        );
    } else {
        report_status(p, &asset(o), "REVOKED", None, None);
    }
}
