//! Read the consumer account's state, once per round, through the adapters. Decides nothing.

use std::collections::BTreeMap;

use lakewarden::arn;
use lakewarden::aws::{glue, iam, lakeformation, ram, Aws, AwsError, AwsResult};
use lakewarden::config::Consumer;
use lakewarden::policy;

use crate::plan::{link_name, matches, Catalog, Evidence, POLICY_NAME};

/// The inline policy share-linker writes on `role`, parsed (None when the role has none).
async fn role_policy(aws: &Aws, role: &str) -> AwsResult<Option<serde_json::Value>> {
    iam::get_role_policy(&aws.iam, iam::role_name(role), POLICY_NAME)
        .await?
        .map(|t| policy::parse_document(&t))
        .transpose()
        .map_err(|e| {
            AwsError::local(lakewarden::aws::LocalKind::MalformedPolicy, e.to_string())
                .on(format!("{role} policy {POLICY_NAME}"))
        })
}

/// Round 0: every invitation this account received.
pub async fn invitations(aws: &Aws) -> AwsResult<Vec<ram::Invitation>> {
    ram::list_invitations(&aws.ram).await
}

/// Round 1: shared databases of trusted producers, this account's databases, the tables of the
/// shared databases a link entry reads, every grant, and the configured roles' inline policy.
pub async fn catalog(aws: &Aws, cfg: &Consumer) -> AwsResult<Catalog> {
    catalog_with_ledger(aws, cfg, None).await
}

/// [`catalog`] with share-linker's ledger (issue 11 §5): read first (a missing state table stops
/// the run before anything is planned), with the RAM shares that carry each shared database
/// and the invitations as they are after round 0. For a share no longer listed, RAM is asked
/// first: every share that carried it listed DELETED is positive evidence (§4).
pub async fn catalog_with_ledger(
    aws: &Aws,
    cfg: &Consumer,
    ledger: Option<&lakewarden::ledger::Ledger>,
) -> AwsResult<Catalog> {
    let ledger = match ledger {
        Some(l) => Some(l.read().await?),
        None => None,
    };
    let account = aws.account_id().await?;
    let foreign: Vec<_> = glue::get_foreign_databases(&aws.glue)
        .await?
        .into_iter()
        .filter(|d| {
            d.catalog_id
                .as_deref()
                .is_some_and(|c| c != account && cfg.trusted_producers.iter().any(|t| t == c))
        })
        .collect();
    let mut own = BTreeMap::new();
    let mut params = BTreeMap::new();
    for (d, p) in glue::get_databases_with_parameters(&aws.glue, None).await? {
        if d.catalog_id.as_deref().is_none_or(|c| c == account) {
            params.insert(d.name.clone(), p);
            own.insert(d.name.clone(), d);
        }
    }
    let mut tables = BTreeMap::new();
    for link in cfg.links.iter().filter(|l| l.s3_read_policy) {
        for d in &foreign {
            let producer = d.catalog_id.clone().unwrap_or_default();
            let key = (producer.clone(), d.name.clone());
            if matches(link, &producer, &d.name) && !tables.contains_key(&key) {
                let t = glue::get_tables(&aws.glue, Some(&producer), &d.name).await?;
                tables.insert(key, t);
            }
        }
    }
    let permissions = lakeformation::list_permissions(&aws.lakeformation, &account).await?;
    // What this account received from each trusted producer it sees a share of (listed under
    // the producer's catalog id): only that may be re-granted, and only with the grant option.
    let mut received = lakewarden::lf::LfState::default();
    let producers: std::collections::BTreeSet<&str> = foreign
        .iter()
        .filter_map(|d| d.catalog_id.as_deref())
        .collect();
    for p in producers {
        for g in lakeformation::list_permissions(&aws.lakeformation, p)
            .await?
            .iter()
        {
            if g.resource.catalog_id() == p && crate::plan::held_by_account(&g.principal, &account)
            {
                received.add(g);
            }
        }
    }
    let lf = Some(lakewarden::lfsettings::observe(aws, &account, Some(&permissions)).await);
    let mut role_policies = BTreeMap::new();
    for role in cfg.links.iter().flat_map(|l| l.roles.iter()) {
        if role_policies.contains_key(role.as_str()) || arn::account_of(role) != account {
            continue;
        }
        let doc = role_policy(aws, role).await?;
        role_policies.insert(role.to_string(), doc);
    }
    // Roles no link entry lists any more that the ledger says share-linker granted: their
    // inline policy too (share-linker's statements go with the grants).
    if let Some(l) = &ledger {
        for (_, g) in l.planner("").lf_grants() {
            let role = g.principal;
            let is_role = arn::Arn::parse(&role)
                .is_some_and(|a| a.service == "iam" && a.resource.starts_with("role/"));
            if !is_role || role_policies.contains_key(&role) || arn::account_of(&role) != account {
                continue;
            }
            let doc = role_policy(aws, &role).await?;
            role_policies.insert(role, doc);
        }
    }
    // Shares a link entry covers that this account links or holds grants on but that are no
    // longer listed: what does the producer's catalog answer for each?
    let listed = |p: &str, d: &str| {
        foreign
            .iter()
            .any(|f| f.catalog_id.as_deref() == Some(p) && f.name == d)
    };
    let covered = |p: &str, d: &str| cfg.links.iter().any(|l| matches(l, p, d));
    let mut candidates = std::collections::BTreeSet::new();
    for d in own.values() {
        if let Some((p, db)) = &d.target {
            if cfg
                .links
                .iter()
                .any(|l| matches(l, p, db) && d.name == link_name(l, db))
            {
                candidates.insert((p.clone(), db.clone()));
            }
        }
    }
    for g in permissions.iter() {
        if let Some(db) = g.resource.database_name() {
            let p = g.resource.catalog_id();
            if p != account && covered(p, db) {
                candidates.insert((p.to_string(), db.to_string()));
            }
        }
    }
    // Which RAM shares carry each shared database here (recorded with the link).
    let mut carriers: BTreeMap<(String, String), std::collections::BTreeSet<String>> =
        BTreeMap::new();
    if ledger.is_some() {
        for (res, share) in ram::shared_with_me(&aws.ram, Some("glue:Database")).await? {
            if let Some(a) = lakewarden::arn::Arn::parse(&res) {
                if let Some(db) = a.resource.strip_prefix("database/") {
                    carriers
                        .entry((a.account.clone(), db.to_string()))
                        .or_default()
                        .insert(share);
                }
            }
        }
    }
    let invitations = match ledger {
        Some(_) => ram::list_invitations(&aws.ram).await?,
        None => Vec::new(),
    };
    let mut unlisted = BTreeMap::new();
    for (p, db) in candidates {
        if listed(&p, &db) {
            continue;
        }
        // RAM first: the shares the ledger says carried it, all listed DELETED.
        let recorded = ledger
            .as_ref()
            .map(|l| crate::plan::recorded_carriers(l, &p, &db))
            .unwrap_or_default();
        if !recorded.is_empty() {
            let status = ram::shares_with_me_status(&aws.ram, &recorded).await?;
            if recorded
                .iter()
                .all(|a| status.get(a).is_some_and(|s| s == "DELETED"))
            {
                unlisted.insert(
                    (p.clone(), db.clone()),
                    Evidence::Deleted(format!(
                        "RAM lists the share(s) that carried it as DELETED: {}",
                        recorded.join(", ")
                    )),
                );
                continue;
            }
        }
        let evidence = match glue::get_database(&aws.glue, Some(&p), &db).await {
            Ok(None) => Evidence::Gone,
            Ok(Some(_)) => Evidence::Unconfirmed(format!("GetDatabase on {p}:{db} still answers")),
            Err(e) => Evidence::Unconfirmed(format!("GetDatabase on {p}:{db}: {e}")),
        };
        unlisted.insert((p, db), evidence);
    }
    Ok(Catalog {
        account,
        foreign,
        own,
        tables,
        permissions,
        received,
        lf,
        role_policies,
        params,
        unlisted,
        ledger,
        carriers,
        invitations,
    })
}

/// What round `round` of a run reads: the pending invitations (round 0), then the catalog with
/// share-linker's ledger (issue 11 §5) in the state table.
pub async fn round(
    ctx: &lakewarden::runtime::Ctx,
    function: &str,
    round: usize,
) -> Result<crate::plan::Observed, AwsError> {
    use crate::plan::Observed;
    let consumer = lakewarden::config::Config::require(&ctx.config.consumer, "consumer")
        .map_err(|e| AwsError::new(None, e.to_string()))?;
    Ok(match round {
        0 => Observed::Invitations(invitations(&ctx.aws).await?),
        _ => {
            let ledger = lakewarden::ledger::Ledger::for_config(&ctx.aws, &ctx.config, function);
            Observed::Catalog(Box::new(
                catalog_with_ledger(&ctx.aws, consumer, Some(&ledger)).await?,
            ))
        }
    })
}
