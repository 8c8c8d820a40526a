//! Round 1: a resource link per shared database, Lake Formation grants to this account's
//! roles on link, database and tables, and their removal when a share is withdrawn.
//!
//! Ownership (issue 11 §3): links carry share-linker's marker; a same-named database without
//! it is reported and alerted, never changed or deleted. Removal (§4) needs positive evidence
//! that the share is gone — never just an empty `GetDatabases(FOREIGN)` — and at most
//! `max_removals_per_run` removals happen in one run.

use std::collections::{BTreeMap, BTreeSet};

use lakewarden::arn;
use lakewarden::config::{Consumer, Link as LinkCfg};
use lakewarden::lf::{self, LfGrant, LfResource};
use lakewarden::policy;
use lakewarden::reconcile::{Action, Link, Plan};
use serde_json::Value;

use super::statements::{compact_tables, plan_role_policies, s3_statements, SID_PREFIX};
use super::{link_name, matches, Catalog, Evidence};

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

/// Whether a statement Sid is one of the S3 read statements of link `name`.
fn is_link_statement(sid: &str, name: &str) -> bool {
    let frag = policy::sid_fragment(name);
    let numbered = |kind: &str| {
        sid.strip_prefix(&format!("{SID_PREFIX}{kind}{frag}"))
            .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
    };
    numbered("Get") || numbered("List")
}

/// Removals a run would make, held back until the cap is checked.
#[derive(Default)]
struct Removals {
    links: Vec<Link>,
    grants: Vec<LfGrant>,
    /// role → links whose S3 statements go.
    statements: BTreeMap<String, BTreeSet<String>>,
    messages: Vec<String>,
}

/// Links, grants and role policies.
pub fn plan_catalog(cfg: &Consumer, obs: &Catalog) -> Plan {
    let mut p = Plan::default();
    let mut desired_grants: Vec<LfGrant> = Vec::new();
    let mut statements: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut removals = Removals::default();
    // role → links whose statements this run decides (shared now: rebuilt from the tables).
    let mut decided: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();

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
                Some(_) if obs.ours(&name, &producer, &db.name) => {
                    p.already("glue.create_resource_link", wanted.describe())
                }
                Some(d) if d.target == Some((producer.clone(), db.name.clone())) => p.skip_alert(
                    "glue.create_resource_link",
                    wanted.describe(),
                    format!(
                        "`{name}` already links {producer}:{} but was not made by lakewarden (no {} marker); it is used as it is and never changed or deleted",
                        db.name,
                        lakewarden::aws::glue::MANAGED_BY
                    ),
                    Some(format!("To let share-linker manage it, delete `{name}`; the next run creates it with the marker.")),
                ),
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
            for r in &roles {
                decided.entry(r.clone()).or_default().insert(name.clone());
            }
            if link.s3_read_policy {
                let tables = obs
                    .tables
                    .get(&(producer.clone(), db.name.clone()))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let tables = compact_tables(&db.name, db.location_uri.as_deref(), tables);
                let st = s3_statements(&name, &producer, &link.buckets, &tables);
                for r in &roles {
                    statements.entry(r.clone()).or_default().extend(st.clone());
                }
            }
        }

        // Shares this entry linked or granted on that are no longer listed.
        for ((producer, db), evidence) in &obs.unlisted {
            if !matches(link, producer, db) || obs.visible(producer, db) {
                continue;
            }
            let name = link_name(link, db);
            let share = format!("{producer}:{db}");
            if let Evidence::Unconfirmed(why) = evidence {
                p.skip_alert(
                    "share-linker.remove",
                    format!("share of {share}"),
                    format!("{share} is no longer listed by GetDatabases(FOREIGN), but nothing shows it was withdrawn ({why}); link `{name}`, grants and statements are kept"),
                    Some("Check that the function's role is still a Lake Formation data lake administrator of this account and that the producer still shares the database; lakewarden removes them once RAM or the producer's catalog shows the share gone.".into()),
                );
                continue;
            }
            let link_here = obs
                .own
                .get(&name)
                .is_some_and(|d| d.target == Some((producer.clone(), db.clone())));
            if link_here {
                if obs.ours(&name, producer, db) {
                    removals.links.push(db_link(&name, producer, db));
                } else {
                    p.skip_alert(
                        "glue.delete_resource_link",
                        db_link(&name, producer, db).describe(),
                        format!("the share of {share} is gone, but `{name}` was not made by lakewarden (no marker, or it was repointed); not deleted"),
                        Some(format!("Delete `{name}` by hand if it is no longer needed.")),
                    );
                }
            }
            removals.grants.extend(
                role_grants(&obs.account, link, &roles, &name, producer, db)
                    .into_iter()
                    .filter_map(|g| lf::held(&g, &obs.permissions)),
            );
            for r in &roles {
                let has = obs
                    .role_policies
                    .get(r)
                    .and_then(Option::as_ref)
                    .map(policy::statements)
                    .unwrap_or_default()
                    .iter()
                    .any(|s| policy::sid(s).is_some_and(|sid| is_link_statement(sid, &name)));
                if has {
                    removals
                        .statements
                        .entry(r.clone())
                        .or_default()
                        .insert(name.clone());
                }
            }
            removals.messages.push(format!(
                "The share of {share} is gone: resource link {name} and the grants lakewarden made for it were removed."
            ));
        }
    }

    for g in &desired_grants {
        match lf::missing(g, &obs.permissions) {
            Some(m) => p.push(Action::LfGrant(m)),
            None => p.already("lakeformation.grant", g.to_string()),
        }
    }

    let mut seen = BTreeSet::new();
    removals
        .grants
        .retain(|g| seen.insert((g.principal.clone(), g.resource.clone())));
    let count = removals.links.len()
        + removals.grants.len()
        + removals
            .statements
            .values()
            .map(BTreeSet::len)
            .sum::<usize>();
    if count > cfg.max_removals_per_run {
        p.skip_alert(
            "share-linker.remove",
            format!("{count} removals"),
            format!(
                "this run would remove {count} links, grants and statements, more than consumer.max_removals_per_run ({}); nothing was removed",
                cfg.max_removals_per_run
            ),
            Some("Check why so many shares look withdrawn; if it is intended, raise consumer.max_removals_per_run for one run.".into()),
        );
    } else {
        for l in removals.links {
            p.push(Action::DeleteLink(l));
        }
        for g in removals.grants {
            p.push(Action::LfRevoke(g));
        }
        for (role, names) in removals.statements {
            decided.entry(role).or_default().extend(names);
        }
        p.attention.extend(removals.messages);
    }

    // A statement of ours is dropped only when this run decides its link: rebuilt for a share
    // listed now, or removed with positive evidence. All others stay as they are.
    for (role, current) in &obs.role_policies {
        let names = decided.get(role);
        let wanted = statements.entry(role.clone()).or_default();
        let kept: Vec<Value> = current
            .as_ref()
            .map(policy::statements)
            .unwrap_or_default()
            .into_iter()
            .filter(|s| {
                policy::sid(s).is_some_and(|sid| {
                    sid.starts_with(SID_PREFIX)
                        && !wanted.iter().any(|w| policy::sid(w) == Some(sid))
                        && !names.is_some_and(|n| n.iter().any(|n| is_link_statement(sid, n)))
                })
            })
            .collect();
        wanted.extend(kept);
    }
    plan_role_policies(&mut p, &obs.role_policies, &statements);
    p
}
