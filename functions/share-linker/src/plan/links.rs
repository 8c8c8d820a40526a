//! Round 1: a resource link per shared database, Lake Formation grants to this account's
//! roles on link, database and tables, and their removal when a share is withdrawn.

use std::collections::{BTreeMap, BTreeSet};

use lakewarden::arn;
use lakewarden::config::{Consumer, Link as LinkCfg};
use lakewarden::lf::{self, LfGrant, LfResource};
use lakewarden::reconcile::{Action, Link, Plan};
use serde_json::Value;

use super::statements::{plan_role_policies, s3_statements};
use super::{link_name, matches, Catalog};

/// DESCRIBE on the link and the shared database, the table permissions on all its tables.
fn role_grants(
    account: &str,
    link: &LinkCfg,
    roles: &[String],
    name: &str,
    producer: &str,
    db: &str,
) -> Vec<LfGrant> {
    let mut out = Vec::new();
    for role in roles {
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

fn db_link(name: &str, producer: &str, database: &str) -> Link {
    Link::Database {
        name: name.into(),
        producer: producer.into(),
        database: database.into(),
    }
}

/// Links, grants and role policies.
pub fn plan_catalog(cfg: &Consumer, obs: &Catalog) -> Plan {
    let mut p = Plan::default();
    let mut desired_grants: Vec<LfGrant> = Vec::new();
    let mut owned_stale: Vec<LfGrant> = Vec::new();
    let mut statements: BTreeMap<String, Vec<Value>> = BTreeMap::new();

    for link in &cfg.links {
        let mut roles = Vec::new();
        for r in &link.roles {
            if arn::account_of(r) == obs.account {
                roles.push(r.clone());
            } else {
                p.skip(
                    "lakeformation.grant",
                    r.clone(),
                    format!("role is not in this account ({})", obs.account),
                    None,
                );
            }
        }
        for db in obs.foreign.iter().filter(|d| {
            d.catalog_id
                .as_deref()
                .is_some_and(|c| matches(link, c, &d.name))
        }) {
            let producer = db.catalog_id.clone().unwrap_or_default();
            let name = link_name(link, &db.name);
            let wanted = db_link(&name, &producer, &db.name);
            match obs.own.get(&name) {
                None => p.push(Action::CreateLink(wanted)),
                Some(d) if d.target == Some((producer.clone(), db.name.clone())) => {
                    p.already("glue.create_resource_link", wanted.describe())
                }
                Some(d) => {
                    let what = match &d.target {
                        Some((c, n)) => format!("a resource link to {c}:{n}"),
                        None => "a database that is not a resource link".into(),
                    };
                    p.skip_alert(
                        "glue.create_resource_link",
                        wanted.describe(),
                        format!(
                            "`{name}` already exists as {what}; not overwritten, so {producer}:{} is not linked",
                            db.name
                        ),
                        Some("Rename or remove it, or set link_name.".into()),
                    );
                    continue;
                }
            }
            desired_grants.extend(role_grants(
                &obs.account,
                link,
                &roles,
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
                for r in &roles {
                    statements.entry(r.clone()).or_default().extend(st.clone());
                }
            }
        }

        // Links whose share is gone: remove the link and what was granted for it.
        for d in obs.own.values() {
            let Some((producer, target)) = &d.target else {
                continue;
            };
            if !matches(link, producer, target)
                || d.name != link_name(link, target)
                || obs.visible(producer, target)
            {
                continue;
            }
            p.push(Action::DeleteLink(db_link(&d.name, producer, target)));
            p.attention.push(format!(
                "The share of {producer}:{target} is gone: resource link {} and the grants lakewarden made for it were removed.",
                d.name
            ));
            owned_stale.extend(role_grants(
                &obs.account,
                link,
                &roles,
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
            if cat == obs.account
                || !matches(link, cat, db)
                || obs.visible(cat, db)
                || !roles.contains(&held.principal)
            {
                continue;
            }
            let name = link_name(link, db);
            owned_stale.extend(
                role_grants(&obs.account, link, &roles, &name, cat, db)
                    .into_iter()
                    .filter(|g| g.principal == held.principal && g.resource == held.resource),
            );
        }
    }

    for g in &desired_grants {
        match lf::missing(g, &obs.permissions) {
            Some(m) => p.push(Action::LfGrant(m)),
            None => p.already("lakeformation.grant", g.to_string()),
        }
    }
    let mut seen = BTreeSet::new();
    for g in owned_stale {
        if let Some(r) = lf::held(&g, &obs.permissions) {
            if seen.insert((r.principal.clone(), r.resource.clone())) {
                p.push(Action::LfRevoke(r));
            }
        }
    }
    plan_role_policies(&mut p, &obs.role_policies, &statements);
    p
}
