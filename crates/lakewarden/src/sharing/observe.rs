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

/// Whether the plan of a run may need the ledger (issue 11 §5), decided from what was already
/// read: the ledger is used only to record a grant (its intent is a conditional write on the
/// version read) and to revoke what lakewarden granted but the configuration no longer asks
/// for — and the ledger's revocable grants are always among the grants Lake Formation holds
/// (`ledger::revocable` intersects with the listing). So the Scan is needed when
///
/// - a grant the configuration asks for on an observed database is (partly) missing, or
/// - Lake Formation holds, on a database of this catalog the run may act on (every database on
///   a scheduled run, the event's databases otherwise), a permission to a principal a
///   configuration could name (`Principal::parse`; `IAM_ALLOWED_PRINCIPALS` and the like are
///   never consumers, so never in the ledger) beyond what the configuration asks for: a
///   removed consumer, share entry or permission, a database no longer configured or gone, a
///   person's grant (which only the ledger tells apart from lakewarden's).
///
/// [`observe_with_ledger`] also reads it when a database in scope is gone. Otherwise the plan
/// is the same with and without the ledger, and the Scan is skipped. The
/// one thing a skipped read defers is healing an intent left by a crash (`LedgerPlanner::heal`):
/// it is settled by the next run that reads the ledger — the first one with a grant to make or
/// a removal to consider, which is the first run where it matters (a held grant is the same
/// grant whether or not its entry says "made").
pub fn ledger_needed(
    cfg: &Producer,
    catalog_id: &str,
    scope: &Scope,
    databases: &BTreeMap<String, Vec<crate::aws::glue::TableInfo>>,
    permissions: &crate::lf::LfState,
) -> bool {
    let mut desired = crate::lf::LfState::default();
    for (db, tables) in databases {
        for g in super::plan::desired_grants(cfg, catalog_id, db, tables) {
            if crate::lf::missing(&g, permissions).is_some() {
                return true;
            }
            desired.add(g);
        }
    }
    permissions.iter().any(|held| {
        let Some(db) = held.resource.database_name() else {
            return false; // data locations: never in this plan's revocations
        };
        let acted_on = match scope {
            Scope::All => true,
            Scope::Databases(dbs) => dbs.contains(db),
        };
        if held.resource.catalog_id() != catalog_id
            || !acted_on
            || crate::principal::Principal::parse(&held.principal).is_err()
        {
            return false;
        }
        let want = desired.get(&held.principal, &held.resource);
        let covered = |have: &BTreeSet<String>, want: Option<&BTreeSet<String>>| {
            want.is_some_and(|w| w.contains("ALL") || have.is_subset(w))
        };
        !covered(&held.permissions, want.as_ref().map(|w| &w.permissions))
            || !(held.grantable.is_empty()
                || covered(&held.grantable, want.as_ref().map(|w| &w.grantable)))
    })
}

/// [`observe`], with the function's ledger (issue 11 §5), read only when the plan may need it
/// ([`ledger_needed`]): a converged run with nothing to grant or remove makes no Scan. When it
/// is read, on a scheduled run the databases the ledger holds grants on are in scope even when
/// no longer configured, and a missing state table stops the run before anything is planned.
pub async fn observe_with_ledger(
    aws: &Aws,
    cfg: &Producer,
    scope: &Scope,
    ledger: Option<&crate::ledger::Ledger>,
) -> AwsResult<Observed> {
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

    let mut seen = Seen::default();
    seen.observe(aws, cfg, scope, &all, &existing, in_scope)
        .await?;

    let ledger = match ledger {
        Some(l)
            if ledger_needed(cfg, &catalog_id, scope, &seen.databases, &permissions)
                || !seen.gone.is_empty() =>
        {
            let read = l.read().await?;
            let mut more = BTreeSet::new();
            for (_, g) in read.planner("").lf_grants() {
                let Some(db) = g.resource.database_name() else {
                    continue;
                };
                let in_event = match scope {
                    Scope::All => true,
                    Scope::Databases(dbs) => dbs.contains(db),
                };
                if in_event
                    && g.resource.catalog_id() == catalog_id
                    && !seen.databases.contains_key(db)
                    && !seen.gone.contains(db)
                {
                    more.insert(db.to_string());
                }
            }
            seen.observe(aws, cfg, scope, &all, &existing, more).await?;
            Some(read)
        }
        _ => None,
    };
    let Seen {
        databases,
        db_locations,
        gone,
        listed,
    } = seen;

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

    // Read only when the plan may keep a statement in it (a consumer in another account).
    let catalog_policy = if !super::plan::shares_cross_account(cfg, &catalog_id, databases.keys()) {
        None
    } else {
        match glue_policy::get_catalog_policy(&aws.glue).await? {
            Some((text, _hash)) => Some(policy::parse_document(&text).map_err(|e| {
                crate::AwsError::local(
                    crate::aws::LocalKind::MalformedPolicy,
                    format!("catalog policy: {e}"),
                )
            })?),
            None => None,
        }
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

/// The databases a run observed: their tables (or none, see [`needs_tables`]) and locations,
/// those gone, and those whose tables were listed.
#[derive(Default)]
struct Seen {
    databases: BTreeMap<String, Vec<crate::aws::glue::TableInfo>>,
    db_locations: BTreeMap<String, Option<String>>,
    gone: BTreeSet<String>,
    listed: BTreeSet<String>,
}

impl Seen {
    async fn observe(
        &mut self,
        aws: &Aws,
        cfg: &Producer,
        scope: &Scope,
        all: &[glue::DatabaseInfo],
        existing: &BTreeSet<String>,
        dbs: BTreeSet<String>,
    ) -> AwsResult<()> {
        for db in dbs {
            if existing.contains(&db) {
                let location = all
                    .iter()
                    .find(|d| d.name == db)
                    .and_then(|d| d.location_uri.clone());
                let tables = if needs_tables(cfg, scope, &db, location.as_deref()) {
                    self.listed.insert(db.clone());
                    glue::get_tables(&aws.glue, None, &db).await?
                } else {
                    vec![]
                };
                self.db_locations.insert(db.clone(), location);
                self.databases.insert(db, tables);
            } else if glue::get_database(&aws.glue, None, &db).await?.is_none() {
                // Positive evidence only: a database missing from a (permission-filtered)
                // listing is gone when GetDatabase answers EntityNotFoundException.
                self.gone.insert(db);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::glue::TableInfo;
    use crate::ledger::{LedgerPlanner, LedgerRead, LedgerView};
    use crate::lf::{LfGrant, LfResource, LfState};

    const CAT: &str = "111111111111";
    const ROLE: &str = "arn:aws:iam::333333333333:role/analyst";

    fn producer(consumers: &str) -> Producer {
        let text = format!(
            "producer:\n  shares:\n    - database: \"cur_*\"\n      consumers: [{consumers}]\n"
        );
        crate::config::parse(&text, "test")
            .unwrap()
            .producer
            .unwrap()
    }

    fn dbs() -> BTreeMap<String, Vec<TableInfo>> {
        [("cur_org".to_string(), vec![])].into()
    }

    /// What Lake Formation holds after a first run for `cfg`, plus `extra`.
    fn held(cfg: &Producer, extra: &[LfGrant]) -> LfState {
        let mut s = LfState::default();
        for g in super::super::plan::desired_grants(cfg, CAT, "cur_org", &[]) {
            s.add(g);
        }
        for g in extra {
            s.add(g.clone());
        }
        s
    }

    fn on_db(principal: &str, db: &str, perms: &[&str]) -> LfGrant {
        LfGrant::new(
            principal,
            LfResource::Database {
                catalog_id: CAT.into(),
                name: db.into(),
            },
            perms.iter().copied(),
            false,
        )
    }

    fn all() -> Scope {
        Scope::All
    }

    #[test]
    fn a_converged_run_needs_no_ledger() {
        let cfg = producer(&format!("\"222222222222\", \"{ROLE}\""));
        // Grants no configuration can name (IAM_ALLOWED_PRINCIPALS), on another catalog, or on
        // a data location are never catalog-sharer's revocations.
        let foreign = [
            on_db(
                crate::lfsettings::IAM_ALLOWED_PRINCIPALS,
                "cur_org",
                &["ALL"],
            ),
            LfGrant::new(
                "444444444444",
                LfResource::Database {
                    catalog_id: "999999999999".into(),
                    name: "cur_org".into(),
                },
                ["DESCRIBE"],
                false,
            ),
            LfGrant::new(
                "444444444444",
                LfResource::DataLocation {
                    catalog_id: CAT.into(),
                    arn: "arn:aws:s3:::cur-data/cur".into(),
                },
                ["DATA_LOCATION_ACCESS"],
                false,
            ),
        ];
        let perms = held(&cfg, &foreign);
        assert!(!ledger_needed(&cfg, CAT, &all(), &dbs(), &perms));
        assert!(!ledger_needed(
            &cfg,
            CAT,
            &Scope::Databases(["cur_org".to_string()].into()),
            &dbs(),
            &perms
        ));
    }

    #[test]
    fn a_grant_to_make_needs_the_ledger() {
        let cfg = producer(&format!("\"222222222222\", \"{ROLE}\""));
        let before = producer("\"222222222222\"");
        // A consumer added: its grants are missing.
        assert!(ledger_needed(
            &cfg,
            CAT,
            &all(),
            &dbs(),
            &held(&before, &[])
        ));
        // Nothing held at all (a first run).
        assert!(ledger_needed(
            &cfg,
            CAT,
            &all(),
            &dbs(),
            &LfState::default()
        ));
    }

    #[test]
    fn anything_held_beyond_the_configuration_needs_the_ledger() {
        let cfg = producer("\"222222222222\"");
        let scope = all();
        // A consumer removed from the configuration still holds its grant.
        let removed = held(&cfg, &[on_db("555555555555", "cur_org", &["DESCRIBE"])]);
        assert!(ledger_needed(&cfg, CAT, &scope, &dbs(), &removed));
        // A configured consumer holds a permission the configuration no longer asks for.
        let more = held(&cfg, &[on_db("222222222222", "cur_org", &["ALTER"])]);
        assert!(ledger_needed(&cfg, CAT, &scope, &dbs(), &more));
        // ... or a grant option it is not given (an IAM role gets none).
        let roles = producer(&format!("\"{ROLE}\""));
        let mut option = held(&roles, &[]);
        option.add(LfGrant::new(
            ROLE,
            LfResource::Database {
                catalog_id: CAT.into(),
                name: "cur_org".into(),
            },
            ["DESCRIBE"],
            true,
        ));
        assert!(!ledger_needed(
            &roles,
            CAT,
            &scope,
            &dbs(),
            &held(&roles, &[])
        ));
        assert!(ledger_needed(&roles, CAT, &scope, &dbs(), &option));
        // A database no longer configured (or gone) still holds a grant: a scheduled run
        // looks; a Glue event about another database does not act on it.
        let elsewhere = held(&cfg, &[on_db("222222222222", "old_db", &["DESCRIBE"])]);
        assert!(ledger_needed(&cfg, CAT, &scope, &dbs(), &elsewhere));
        assert!(!ledger_needed(
            &cfg,
            CAT,
            &Scope::Databases(["cur_org".to_string()].into()),
            &dbs(),
            &elsewhere
        ));
    }

    /// The catalog resource policy is read only when a consumer is in another account (only
    /// then does the plan keep its RAM statement).
    #[test]
    fn the_catalog_policy_matters_only_across_accounts() {
        let names = ["cur_org".to_string()];
        let local = producer("\"arn:aws:iam::111111111111:role/analyst\"");
        assert!(!super::super::plan::shares_cross_account(
            &local,
            CAT,
            names.iter()
        ));
        for other in ["\"222222222222\"", &format!("\"{ROLE}\"")] {
            let cfg = producer(other);
            assert!(super::super::plan::shares_cross_account(
                &cfg,
                CAT,
                names.iter()
            ));
            assert!(!super::super::plan::shares_cross_account(
                &cfg,
                CAT,
                [].iter()
            ));
        }
    }

    fn ledger_of(grants: &[LfGrant]) -> LedgerRead {
        let mut planner = LedgerPlanner::new("catalog-sharer", "h", &LedgerView::default());
        let mut view = LedgerView::default();
        for g in grants {
            let n = planner.grant(g, &LfState::default());
            view.entries.insert(n.pk.clone(), (n.result.clone(), 1));
        }
        LedgerRead {
            table: "lakewarden-state".into(),
            function: "catalog-sharer".into(),
            view,
        }
    }

    fn observed(perms: LfState, ledger: Option<LedgerRead>) -> super::super::plan::Observed {
        super::super::plan::Observed {
            catalog_id: CAT.into(),
            region: "us-east-1".into(),
            databases: dbs(),
            db_locations: [("cur_org".to_string(), None)].into(),
            permissions: perms,
            ledger,
            ..Default::default()
        }
    }

    fn labels(p: &crate::reconcile::Plan) -> Vec<(String, String)> {
        p.steps.iter().map(|s| s.label()).collect()
    }

    /// What skipping the Scan relies on: when `ledger_needed` says no, the plan with the
    /// ledger (every grant of the configuration recorded as lakewarden's) is the plan without
    /// it; when a removed consumer still holds lakewarden's grant, it says yes and the plan
    /// with the ledger revokes it.
    #[test]
    fn skipping_the_ledger_changes_no_plan_and_a_removal_is_seen() {
        let cfg = producer(&format!("\"222222222222\", \"{ROLE}\""));
        let ours = super::super::plan::desired_grants(&cfg, CAT, "cur_org", &[]);
        let perms = held(&cfg, &[]);
        assert!(!ledger_needed(&cfg, CAT, &all(), &dbs(), &perms));
        let with = super::super::plan::plan(&cfg, &observed(perms.clone(), Some(ledger_of(&ours))));
        let without = super::super::plan::plan(&cfg, &observed(perms.clone(), None));
        assert!(
            with.steps.is_empty() && with.remember.is_empty(),
            "{with:#?}"
        );
        assert_eq!(labels(&with), labels(&without));
        assert_eq!(with.already, without.already);

        // The role is removed from the configuration; Lake Formation still holds its grants.
        let now = producer("\"222222222222\"");
        assert!(ledger_needed(&now, CAT, &all(), &dbs(), &perms));
        let with = super::super::plan::plan(&now, &observed(perms.clone(), Some(ledger_of(&ours))));
        let revokes: Vec<_> = labels(&with)
            .into_iter()
            .filter(|(k, t)| k.contains("revoke") && t.contains(ROLE))
            .collect();
        assert_eq!(
            revokes.len(),
            2,
            "database and All-tables grants: {with:#?}"
        );
    }
}
