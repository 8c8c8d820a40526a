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
use lakewarden::lf::{self, LfGrant, LfResource, LfState};
use lakewarden::policy;
use lakewarden::reconcile::{Action, Link, Plan};
use serde_json::Value;

use super::statements::{compact_tables, plan_role_policies, s3_statements, SID_PREFIX};
use super::{link_name, matches, Catalog, Evidence};
use lakewarden::ledger::{self, Kind, LedgerPlanner, Note, State};

/// A link as the ledger records it: where it points and the RAM shares that carried it.
fn link_detail(obs: &Catalog, name: &str, producer: &str, db: &str) -> Value {
    let shares: Vec<String> = obs
        .carriers
        .get(&(producer.to_string(), db.to_string()))
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default();
    serde_json::json!({"name": name, "producer": producer, "database": db, "shares": shares})
}

/// The ledger note around creating (`made`) or deleting link `name`.
fn link_note(
    l: &mut LedgerPlanner,
    obs: &Catalog,
    name: &str,
    producer: &str,
    db: &str,
    made: bool,
) -> Note {
    l.object(
        Kind::Link,
        &obs.account,
        name,
        db_link(name, producer, db).describe(),
        link_detail(obs, name, producer, db),
        made,
    )
}

/// A link share-linker made (marker) that the ledger does not hold as it is now (made before
/// the ledger, or its carrying shares changed): remembered.
fn link_refresh(
    l: &mut LedgerPlanner,
    obs: &Catalog,
    name: &str,
    producer: &str,
    db: &str,
) -> Option<Note> {
    let pk = ledger::key(&l.function, Kind::Link, &obs.account, name);
    let detail = link_detail(obs, name, producer, db);
    if l.entry(&pk)
        .is_some_and(|e| e.state == State::Made && e.detail == detail)
    {
        return None;
    }
    Some(l.remember(
        Kind::Link,
        &obs.account,
        name,
        db_link(name, producer, db).describe(),
        detail,
        State::Made,
    ))
}

/// The alert line for a role whose share-linker statements go (when the cap lets them).
fn removals_note(p: &mut Plan, role: &str, said: bool) {
    if said {
        p.attention.push(format!(
            "{role} is no longer listed by any link entry: share-linker's statements ({}) were removed from its inline policy.",
            super::statements::POLICY_NAME
        ));
    }
}

/// Whether a grant share-linker recorded is still asked for by a link entry: its role is listed
/// by an entry covering the share (for a grant on a link: the entry that names that link).
fn still_configured(cfg: &Consumer, obs: &Catalog, g: &LfGrant) -> bool {
    let Some(db) = g.resource.database_name() else {
        return true;
    };
    let cat = g.resource.catalog_id();
    let (producer, database) = if cat == obs.account {
        match obs.own.get(db).and_then(|d| d.target.clone()) {
            Some(t) => t,
            None => return false,
        }
    } else {
        (cat.to_string(), db.to_string())
    };
    cfg.links.iter().any(|l| {
        matches(l, &producer, &database)
            && l.roles.iter().any(|r| r.as_str() == g.principal)
            && (cat != obs.account || link_name(l, &database) == db)
    })
}

/// What this account may re-grant on `resource`: the permissions it received on it with the
/// grant option (`ALL` with the grant option covers every one).
/// The permissions of `wanted` not in `held`, comma-separated (for a refusal's reason).
fn lacking(wanted: &[String], held: &[String]) -> String {
    wanted
        .iter()
        .filter(|p| !held.contains(p))
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
}

/// DESCRIBE for `role` on the resource link `name` in `account`.
fn describe_link(role: &str, account: &str, name: &str) -> LfGrant {
    LfGrant::new(
        role,
        LfResource::Database {
            catalog_id: account.into(),
            name: name.into(),
        },
        ["DESCRIBE"],
        false,
    )
}

fn grantable_on(received: &LfState, resource: &LfResource, wanted: &[String]) -> Vec<String> {
    let held: BTreeSet<String> = received
        .iter()
        .filter(|g| &g.resource == resource)
        .flat_map(|g| g.grantable.into_iter())
        .collect();
    if held.contains("ALL") {
        return wanted.to_vec();
    }
    wanted
        .iter()
        .filter(|p| held.contains(*p))
        .cloned()
        .collect()
}

/// The grants to this account's roles for one linked share, re-granting exactly what the
/// account received (issue 10 §1; Lake Formation refuses a re-grant of anything the account
/// does not hold with the grant option: *Granting permissions on Data Catalog resources*,
/// granting-catalog-permissions.html):
///
/// - DESCRIBE on the link (this account's own database);
/// - DESCRIBE on the shared database, when received with the grant option;
/// - the table permissions on `TableWildcard` when the account holds the wildcard with the grant
///   option, otherwise on each table it holds with the grant option (holding every table by name
///   is not the wildcard: tables created later would not be covered);
/// - a permission asked for but not held re-grantable is left out, and said why (second value).
fn role_grants(
    account: &str,
    link: &LinkCfg,
    roles: &[String],
    name: &str,
    producer: &str,
    db: &str,
    received: &LfState,
) -> (Vec<LfGrant>, Vec<String>) {
    let mut out = Vec::new();
    let mut missing = Vec::new();
    let wanted: Vec<String> = link
        .table_permissions
        .iter()
        .map(|p| p.to_string())
        .collect();
    let database = LfResource::Database {
        catalog_id: producer.into(),
        name: db.into(),
    };
    let describe_db = grantable_on(received, &database, &["DESCRIBE".to_string()]);
    if describe_db.is_empty() {
        missing.push(format!("DESCRIBE on {database}"));
    }
    let wildcard = LfResource::TableWildcard {
        catalog_id: producer.into(),
        database: db.into(),
    };
    let on_wildcard = grantable_on(received, &wildcard, &wanted);
    let mut tables: Vec<(LfResource, Vec<String>)> = Vec::new();
    if !on_wildcard.is_empty() {
        if on_wildcard.len() < wanted.len() {
            missing.push(format!("{} on {wildcard}", lacking(&wanted, &on_wildcard)));
        }
        tables.push((wildcard, on_wildcard));
    } else {
        let named: BTreeSet<LfResource> = received
            .iter()
            .map(|g| g.resource)
            .filter(|r| {
                matches!(r, LfResource::Table { catalog_id, database, .. }
                    if catalog_id == producer && database == db)
            })
            .collect();
        for r in named {
            let perms = grantable_on(received, &r, &wanted);
            if perms.len() < wanted.len() {
                missing.push(format!("{} on {r}", lacking(&wanted, &perms)));
            }
            if !perms.is_empty() {
                tables.push((r, perms));
            }
        }
        if tables.is_empty() {
            missing.push(format!(
                "{} on any table of {producer}:{db} (neither all tables nor a named table)",
                wanted.join(", ")
            ));
        }
    }
    for role in roles {
        out.push(describe_link(role, account, name));
        if !describe_db.is_empty() {
            out.push(LfGrant::new(role, database.clone(), ["DESCRIBE"], false));
        }
        for (r, perms) in &tables {
            out.push(LfGrant::new(role, r.clone(), perms.iter().cloned(), false));
        }
    }
    (out, missing)
}

/// What the roles hold on a withdrawn share that share-linker may have granted: DESCRIBE on the
/// link and the database, the table permissions on the wildcard and on every named table of it.
fn granted_on_share(
    account: &str,
    link: &LinkCfg,
    roles: &[String],
    name: &str,
    producer: &str,
    db: &str,
    current: &LfState,
) -> Vec<LfGrant> {
    let perms: Vec<String> = link
        .table_permissions
        .iter()
        .map(|p| p.to_string())
        .collect();
    let mut out = Vec::new();
    for role in roles {
        out.push(describe_link(role, account, name));
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
            perms.iter().cloned(),
            false,
        ));
        for g in current.iter().filter(|g| {
            &g.principal == role
                && matches!(&g.resource, LfResource::Table { catalog_id, database, .. }
                    if catalog_id == producer && database == db)
        }) {
            out.push(LfGrant::new(role, g.resource, perms.iter().cloned(), false));
        }
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
    // The ledger of what share-linker made (issue 11 §5): links and grants are recorded, and
    // what a configuration change no longer asks for is removed, never anything else.
    let mut ledger = obs.ledger.as_ref().map(|l| {
        p.ledger_table = Some(l.table.clone());
        l.planner(ledger::config_hash(cfg))
    });
    if let Some(l) = ledger.as_mut() {
        // A crash between intent and result: settled from what Lake Formation holds.
        p.remember.extend(l.heal(&obs.permissions));
    }

    // Link name → the share this run links under it: a `link_name` without `{database}` (or
    // two entries naming one link) must not create one link twice (found by the convergence
    // property, tests/converge_props.rs).
    let mut linked_as: BTreeMap<String, (String, String)> = BTreeMap::new();
    for link in &cfg.links {
        let mut roles = Vec::new();
        for r in &link.roles {
            if arn::account_of(r) == obs.account {
                roles.push(r.to_string());
            } else {
                p.skip(
                    "lakeformation.grant",
                    r.to_string(),
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
            let share = (producer.clone(), db.name.clone());
            match linked_as.get(&name) {
                Some(other) if *other != share => {
                    p.skip_alert(
                        "glue.create_resource_link",
                        wanted.describe(),
                        format!(
                            "`{name}` is the link name of {}:{} too in this configuration; not linked twice, so {producer}:{} is not linked",
                            other.0, other.1, db.name
                        ),
                        Some("Give the link entries a link_name with {database} (or distinct names).".into()),
                    );
                    continue;
                }
                Some(_) => {}
                None => {
                    linked_as.insert(name.clone(), share);
                }
            }
            match obs.own.get(&name) {
                None => match ledger.as_mut() {
                    Some(l) => {
                        let note = link_note(l, obs, &name, &producer, &db.name, true);
                        p.push_recorded(Action::CreateLink(wanted), note)
                    }
                    None => p.push(Action::CreateLink(wanted)),
                },
                Some(_) if obs.ours(&name, &producer, &db.name) => {
                    if let Some(n) = ledger
                        .as_mut()
                        .and_then(|l| link_refresh(l, obs, &name, &producer, &db.name))
                    {
                        p.remember.push(n);
                    }
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
            let (grants, missing) = role_grants(
                &obs.account,
                link,
                &roles,
                &name,
                &producer,
                &db.name,
                &obs.received,
            );
            desired_grants.extend(grants);
            if !missing.is_empty() && !roles.is_empty() {
                p.skip_alert(
                    "lakeformation.grant",
                    format!("{} on {producer}:{}", roles.join(", "), db.name),
                    format!(
                        "this account did not receive with the grant option: {}; Lake Formation lets it re-grant only what it holds with the grant option, so that is not granted",
                        missing.join("; ")
                    ),
                    Some(format!(
                        "Ask the producer {producer} to share it with this account with the grant option (catalog-sharer: grantable: true), or drop it from the link's table_permissions."
                    )),
                );
            }
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
                let buckets: Vec<String> = link.buckets.iter().map(|b| b.to_string()).collect();
                let st = s3_statements(&name, &producer, &buckets, &tables);
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
            // A link of that name that serves another share keeps its grants (a `link_name`
            // without `{database}`; found by the convergence property, tests/converge_props.rs).
            let name_serves_other = !link_here
                && (obs.own.contains_key(&name)
                    || linked_as
                        .get(&name)
                        .is_some_and(|s| *s != (producer.clone(), db.clone())));
            let link_resource = LfResource::Database {
                catalog_id: obs.account.clone(),
                name: name.clone(),
            };
            removals.grants.extend(
                granted_on_share(
                    &obs.account,
                    link,
                    &roles,
                    &name,
                    producer,
                    db,
                    &obs.permissions,
                )
                .into_iter()
                .filter(|g| !(name_serves_other && g.resource == link_resource))
                .filter_map(|g| lf::held(&g, &obs.permissions))
                // With a ledger, only what it says share-linker granted (never a person's).
                .filter_map(|g| match &ledger {
                    Some(l) => l
                        .entry(&ledger::lf_key(&l.function, &g.principal, &g.resource))
                        .and_then(|e| e.lf_grant())
                        .and_then(|owned| lf::held(&owned, &obs.permissions))
                        .and_then(|owned| {
                            let r = LfGrant {
                                permissions: owned
                                    .permissions
                                    .intersection(&g.permissions)
                                    .cloned()
                                    .collect(),
                                grantable: owned
                                    .grantable
                                    .intersection(&g.grantable)
                                    .cloned()
                                    .collect(),
                                ..g
                            };
                            (!r.is_empty()).then_some(r)
                        }),
                    None => Some(g),
                }),
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
            let why = match evidence {
                Evidence::Deleted(w) => w.clone(),
                _ => format!("GetDatabase on {share} answers EntityNotFoundException"),
            };
            removals.messages.push(format!(
                "The share of {share} is gone ({why}): resource link {name} and the grants lakewarden made for it were removed."
            ));
        }
    }

    let mut desired_state = LfState::default();
    for g in &desired_grants {
        desired_state.add(g.clone());
        match (lf::missing(g, &obs.permissions), ledger.as_mut()) {
            (Some(m), Some(l)) => {
                let note = l.grant(&m, &obs.permissions);
                p.push_recorded(Action::LfGrant(m), note)
            }
            (Some(m), None) => p.push(Action::LfGrant(m)),
            (None, _) => p.already("lakeformation.grant", g.to_string()),
        }
    }

    // A role, link entry or permission removed from the configuration: what the ledger says
    // share-linker granted or linked for it, and what still exists, goes (issue 11 §5).
    if let Some(l) = ledger.as_mut() {
        let mut told = BTreeSet::new();
        for (_, g) in l.lf_grants() {
            let unwanted = match desired_state.get(&g.principal, &g.resource) {
                Some(w) => LfGrant {
                    permissions: g.permissions.difference(&w.permissions).cloned().collect(),
                    grantable: g.grantable.difference(&w.grantable).cloned().collect(),
                    ..g.clone()
                },
                None if still_configured(cfg, obs, &g) => continue,
                None => g.clone(),
            };
            if let Some(h) = lf::held(&unwanted, &obs.permissions) {
                if told.insert(h.principal.clone()) {
                    removals.messages.push(format!(
                        "{} is no longer configured for all it was granted: the grants share-linker made for it that the configuration no longer asks for were revoked.",
                        h.principal
                    ));
                }
                removals.grants.push(h);
            }
        }
        // Live link entries, an intent a crash left included (the marker proves the link is
        // share-linker's; a link that was never created is settled below as gone).
        for (_, e) in l.live(Kind::Link) {
            let d = &e.detail;
            let (Some(name), Some(producer), Some(db)) = (
                d["name"].as_str(),
                d["producer"].as_str(),
                d["database"].as_str(),
            ) else {
                continue;
            };
            let configured = cfg
                .links
                .iter()
                .any(|lk| matches(lk, producer, db) && link_name(lk, db) == name);
            if configured
                || removals
                    .links
                    .iter()
                    .any(|x| x == &db_link(name, producer, db))
            {
                continue;
            }
            if obs.ours(name, producer, db) {
                removals.links.push(db_link(name, producer, db));
                removals.messages.push(format!(
                    "No link entry asks for `{name}` ({producer}:{db}) any more: the resource link share-linker made was deleted."
                ));
            } else if obs.own.contains_key(name) {
                p.skip_alert(
                    "glue.delete_resource_link",
                    db_link(name, producer, db).describe(),
                    format!("no link entry asks for `{name}` any more, but it no longer carries share-linker's marker or points elsewhere; not deleted"),
                    Some(format!("Delete `{name}` by hand if it is no longer needed.")),
                );
            } else {
                // Deleted by someone else: nothing of it is share-linker's any more.
                let note = l.remember(
                    Kind::Link,
                    &obs.account,
                    name,
                    e.resource.clone(),
                    e.detail.clone(),
                    State::Gone,
                );
                p.remember.push(note);
            }
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
    // Every removal is planned; the core holds them all back when there are more than
    // consumer.max_removals_per_run (issue 11 §4), and then alerts instead of these messages.
    if count <= cfg.max_removals_per_run {
        p.attention.extend(removals.messages);
    }
    for lk in removals.links {
        match (&lk, ledger.as_mut()) {
            (
                Link::Database {
                    name,
                    producer,
                    database,
                },
                Some(l),
            ) => {
                let note = link_note(l, obs, name, producer, database, false);
                p.push_recorded(Action::DeleteLink(lk.clone()), note)
            }
            _ => p.push(Action::DeleteLink(lk)),
        }
    }
    for g in removals.grants {
        match ledger.as_mut() {
            Some(l) => {
                let note = l.revoke(&g);
                p.push_recorded(Action::LfRevoke(g), note)
            }
            None => p.push(Action::LfRevoke(g)),
        }
    }
    let dropped: BTreeMap<String, usize> = removals
        .statements
        .iter()
        .map(|(r, n)| (r.clone(), n.len()))
        .collect();
    for (role, names) in removals.statements {
        decided.entry(role).or_default().extend(names);
    }

    // A statement of ours is dropped only when this run decides its link: rebuilt for a share
    // listed now, or removed with positive evidence. All others stay as they are.
    // A role no link entry lists any more (it held share-linker's grants, says the ledger)
    // keeps none of share-linker's statements (issue 11 §5).
    let configured_roles: BTreeSet<String> = cfg
        .links
        .iter()
        .flat_map(|l| l.roles.iter().map(|r| r.to_string()))
        .collect();
    let mut dropped = dropped;
    for (role, current) in &obs.role_policies {
        let names = decided.get(role);
        let configured = configured_roles.contains(role);
        let wanted = statements.entry(role.clone()).or_default();
        let kept: Vec<Value> = current
            .as_ref()
            .map(policy::statements)
            .unwrap_or_default()
            .into_iter()
            .filter(|s| {
                policy::sid(s).is_some_and(|sid| {
                    configured
                        && sid.starts_with(SID_PREFIX)
                        && !wanted.iter().any(|w| policy::sid(w) == Some(sid))
                        && !names.is_some_and(|n| n.iter().any(|n| is_link_statement(sid, n)))
                })
            })
            .collect();
        wanted.extend(kept);
    }
    for (role, current) in &obs.role_policies {
        let ours = current
            .as_ref()
            .map(policy::statements)
            .unwrap_or_default()
            .iter()
            .filter(|s| policy::sid(s).is_some_and(|sid| sid.starts_with(SID_PREFIX)))
            .count();
        if !configured_roles.contains(role) && ours > 0 {
            dropped.insert(role.clone(), ours);
            removals_note(&mut p, role, count <= cfg.max_removals_per_run);
        }
    }
    plan_role_policies(&mut p, &obs.role_policies, &statements);
    // A policy write that drops a withdrawn share's statements counts as that many removals.
    for s in p.steps.iter_mut() {
        if let Action::Policy(w) = &s.action {
            if let lakewarden::reconcile::PolicyTarget::IamInline { role_arn, .. } = &w.target {
                if let Some(n) = dropped.get(role_arn).filter(|n| **n > 0) {
                    s.removes = Some(*n);
                }
            }
        }
    }
    p
}
