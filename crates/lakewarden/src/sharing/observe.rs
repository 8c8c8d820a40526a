//! Read the current state once: databases and tables in scope, every Lake Formation grant,
//! registered locations, the bucket policies involved and lakewarden's RAM shares.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::{glue, glue_policy, lakeformation, ram, s3, Aws, AwsResult};
use crate::config::{Producer, RamMode};
use crate::policy;
use crate::s3loc::S3Location;

use super::plan::{ram_share_name, shares_for, BucketPolicy, Observed, Scope};

/// Whether planning needs the tables of `db` (one `GetTables` page per 100 tables):
///
/// - a Glue event about the database: the changed table's location is checked, and a table
///   outside the allowed locations is skipped and alerted (issue 11 §1);
/// - a share entry with `tables:` globs (named-table grants) or `ram: explicit` (the share lists
///   every table's ARN);
/// - a share entry that registers or opens locations but has none allowed (no `locations`, no
///   database `LocationUri`): every table is then refused, and the run must say which.
///
/// Otherwise (the All-tables wildcard default) the scheduled reconcile plans from configuration
/// alone: the wildcard grants do not name tables, and registrations and bucket-policy statements
/// cover exactly the share entry's allowed locations, never a table's own location (which is
/// data). A table created outside those places is therefore never opened whether or not it is
/// listed; its alert comes with its Glue event. See docs/bench.md, "Converged path".
pub fn needs_tables(cfg: &Producer, scope: &Scope, db: &str, db_location: Option<&str>) -> bool {
    if matches!(scope, Scope::Databases(_)) {
        return true;
    }
    shares_for(cfg, db).into_iter().any(|s| {
        s.tables.is_some()
            || s.ram == RamMode::Explicit
            || ((s.register_location || s.bucket_policy)
                && super::plan::allowed_locations(s, db_location).is_empty())
    })
}

pub async fn observe(aws: &Aws, cfg: &Producer, scope: &Scope) -> AwsResult<Observed> {
    observe_with_ledger(aws, cfg, scope, None).await
}

/// [`observe`], with the function's ledger (issue 11 §5): read first, so that a missing state
/// table stops the run before anything is planned; on a scheduled run the databases the ledger
/// holds grants on are in scope even when no longer configured.
pub async fn observe_with_ledger(
    aws: &Aws,
    cfg: &Producer,
    scope: &Scope,
    ledger: Option<&crate::ledger::Ledger>,
) -> AwsResult<Observed> {
    let ledger = match ledger {
        Some(l) => Some(l.read().await?),
        None => None,
    };
    let catalog_id = aws.account_id().await?;
    let all = glue::get_databases(&aws.glue, None).await?;
    // Resource links are other catalogs' databases: never shared from here.
    let existing: BTreeSet<String> = all
        .iter()
        .filter(|d| d.target.is_none())
        .map(|d| d.name.clone())
        .collect();
    let permissions = lakeformation::list_permissions(&aws.lakeformation, &catalog_id).await?;

    let configured = |db: &str| !shares_for(cfg, db).is_empty();
    let mut in_scope: BTreeSet<String> = match scope {
        Scope::All => existing.iter().filter(|d| configured(d)).cloned().collect(),
        Scope::Databases(dbs) => dbs.iter().filter(|d| configured(d)).cloned().collect(),
    };
    if let Some(l) = &ledger {
        let planner = l.planner("");
        for (_, g) in planner.lf_grants() {
            let Some(db) = g.resource.database_name() else {
                continue;
            };
            let in_event = match scope {
                Scope::All => true,
                Scope::Databases(dbs) => dbs.contains(db),
            };
            if in_event && g.resource.catalog_id() == catalog_id {
                in_scope.insert(db.to_string());
            }
        }
    }
    if *scope == Scope::All {
        // Databases deleted while no event reached us still hold our grants.
        for g in permissions.iter() {
            if let Some(db) = g.resource.database_name() {
                if g.resource.catalog_id() == catalog_id && configured(db) {
                    in_scope.insert(db.to_string());
                }
            }
        }
    }

    let mut databases = BTreeMap::new();
    let mut db_locations = BTreeMap::new();
    let mut gone = BTreeSet::new();
    // Databases whose tables were listed (see `needs_tables`); the others are planned from
    // configuration alone and hold an empty table list.
    let mut listed = BTreeSet::new();
    for db in in_scope {
        if existing.contains(&db) {
            let location = all
                .iter()
                .find(|d| d.name == db)
                .and_then(|d| d.location_uri.clone());
            let tables = if needs_tables(cfg, scope, &db, location.as_deref()) {
                listed.insert(db.clone());
                glue::get_tables(&aws.glue, None, &db).await?
            } else {
                vec![]
            };
            db_locations.insert(db.clone(), location);
            databases.insert(db, tables);
        } else if glue::get_database(&aws.glue, None, &db).await?.is_none() {
            // Positive evidence only: a database missing from a (permission-filtered) listing
            // is gone when GetDatabase answers EntityNotFoundException.
            gone.insert(db);
        }
    }
    // Named-table grants on tables the listing did not return: gone only when GetTable
    // answers EntityNotFoundException (never because a listing came back short).
    let mut gone_tables = BTreeSet::new();
    for g in permissions.iter() {
        if let crate::lf::LfResource::Table {
            catalog_id: c,
            database,
            name,
        } = &g.resource
        {
            let listed_here =
                databases
                    .get(database)
                    .is_some_and(|ts: &Vec<crate::aws::glue::TableInfo>| {
                        ts.iter().any(|t| &t.name == name)
                    });
            if c == &catalog_id
                && listed.contains(database)
                && !listed_here
                && !gone_tables.contains(&(database.clone(), name.clone()))
                && glue::get_table(&aws.glue, None, database, name)
                    .await?
                    .is_none()
            {
                gone_tables.insert((database.clone(), name.clone()));
            }
        }
    }

    let wants_registry = cfg
        .shares
        .iter()
        .any(|s| s.register_location || s.bucket_policy);
    let registered = if wants_registry {
        lakeformation::list_resources(&aws.lakeformation).await?
    } else {
        vec![]
    };

    // Buckets that may hold (or need) our statements: those of the allowed places (each share
    // entry's `locations`, by default its database's LocationUri — never a table's own
    // location, which is data) and those registered in Lake Formation (where tables that moved
    // or vanished used to live).
    let mut buckets: BTreeSet<String> = BTreeSet::new();
    if cfg.shares.iter().any(|s| s.bucket_policy) {
        for db in databases.keys() {
            let db_location = db_locations.get(db).cloned().flatten();
            for share in shares_for(cfg, db).into_iter().filter(|s| s.bucket_policy) {
                buckets.extend(
                    super::plan::allowed_locations(share, db_location.as_deref())
                        .into_iter()
                        .map(|l| l.bucket),
                );
            }
        }
        buckets.extend(
            registered
                .iter()
                .filter_map(|a| S3Location::bucket_of_arn(a).map(String::from)),
        );
    }
    let mut bucket_policies = BTreeMap::new();
    for b in buckets {
        let v = match s3::get_bucket_policy(&aws.s3, &b).await {
            Ok(Some(text)) => match policy::parse_document(&text) {
                Ok(v) => BucketPolicy::Present(v),
                Err(e) => BucketPolicy::Unreadable(crate::AwsError::new(
                    Some("MalformedPolicy"),
                    e.to_string(),
                )),
            },
            Ok(None) => BucketPolicy::Absent,
            Err(e) => BucketPolicy::Unreadable(e),
        };
        bucket_policies.insert(b, v);
    }

    let mut ram_shares = BTreeMap::new();
    for share in cfg.shares.iter().filter(|s| s.ram == RamMode::Explicit) {
        let touches_scope = databases
            .keys()
            .chain(gone.iter())
            .any(|d| share.database.is_match(d));
        if touches_scope {
            let name = ram_share_name(share);
            let st = ram::find_share(&aws.ram, &name).await?;
            ram_shares.insert(name, st);
        }
    }

    let catalog_policy = match glue_policy::get_catalog_policy(&aws.glue).await? {
        Some((text, _hash)) => Some(policy::parse_document(&text).map_err(|e| {
            crate::AwsError::local(
                crate::aws::LocalKind::MalformedPolicy,
                format!("catalog policy: {e}"),
            )
        })?),
        None => None,
    };

    // Account prerequisites (issue 10 §3), from the grants already read: no second ListPermissions.
    let lf = if databases.is_empty() && gone.is_empty() {
        None
    } else {
        Some(crate::lfsettings::observe(aws, &catalog_id, Some(&permissions)).await)
    };

    Ok(Observed {
        lf,
        catalog_id,
        region: aws.region.clone(),
        databases,
        db_locations,
        gone,
        gone_tables,
        permissions,
        registered,
        bucket_policies,
        ram_shares,
        catalog_policy,
        ledger,
    })
}
