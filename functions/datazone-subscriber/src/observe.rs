//! Read what the DataZone plans need, once, through the adapters. Decides nothing beyond what
//! to read next (a target lakewarden does not fulfil is not read further).

use lakewarden::arn;
use lakewarden::aws::glue::{TableInfo, TableLinkInfo};
use lakewarden::aws::{datazone, glue, iam, lakeformation, Aws, AwsError, AwsResult, LocalKind};
use lakewarden::config::DataZone;
use lakewarden::lf::LfState;
use lakewarden::policy;
use serde_json::Value;

use crate::plan::{self, boundary_copy_name, copy_source, POLICY_NAME};
use crate::trigger::{self, GrantKind, GrantRef, Scope};

/// lakewarden's copy of a boundary: (ARN, default version's document, versions (id, is default)).
pub type BoundaryCopy = (String, Value, Vec<(String, bool)>);

/// What the environment plan reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvObserved {
    pub account: String,
    pub region: String,
    pub role_arn: String,
    pub registered: Vec<String>,
    pub permissions: LfState,
    pub databases_present: Vec<String>,
    pub role_policy: Option<Value>,
    pub boundary_arn: Option<String>,
    pub boundary_doc: Option<Value>,
    /// lakewarden's copy of the boundary.
    pub copy: Option<BoundaryCopy>,
    /// When the role's boundary is that copy: the boundary it was made from (ARN, document).
    pub copy_source: Option<(String, Value)>,
}

/// Everything a grant (or its revoke) needs, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct GrantObserved {
    pub kind: GrantKind,
    pub domain: String,
    pub account: String,
    pub grant: String,
    pub asset: String,
    pub role_arn: String,
    /// The subscriber's target database.
    pub target_database: String,
    /// Catalog (account) of the subscribed table.
    pub catalog: String,
    pub table: Option<TableInfo>,
    pub database: String,
    pub table_name: String,
    pub permissions: LfState,
    pub role_policy: Option<Value>,
    /// The asset's status in DataZone.
    pub grant_status: Option<String>,
    /// The asset's `targetName` in DataZone (the link name lakewarden reported).
    pub target_name: Option<String>,
    /// The objects found in the target database under the link names this grant may use
    /// (the reported one, the plain one and the hashed one).
    pub links: Vec<TableLinkInfo>,
    /// (revokes) the other grants of the same listing to the same target that are still
    /// GRANTED (their ids): they keep the shared LF table access and link. The plan does not
    /// count those that the same run revokes.
    pub other_grants_holding_table: Vec<String>,
    /// (revokes from a subscription event) an APPROVED subscription of the same project to the
    /// same listing still exists.
    pub still_subscribed: bool,
}

impl Default for GrantObserved {
    fn default() -> Self {
        GrantObserved {
            kind: GrantKind::Grant,
            domain: String::new(),
            account: String::new(),
            grant: String::new(),
            asset: String::new(),
            role_arn: String::new(),
            target_database: String::new(),
            catalog: String::new(),
            table: None,
            database: String::new(),
            table_name: String::new(),
            permissions: LfState::default(),
            role_policy: None,
            grant_status: None,
            target_name: None,
            links: Vec::new(),
            other_grants_holding_table: Vec::new(),
            still_subscribed: false,
        }
    }
}

/// One thing a run is about, as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Environment(Box<EnvObserved>),
    Grant(Box<GrantObserved>),
    /// A grant whose listing, environment, role or table could not be read, with the statuses
    /// of its assets when the error is one a retry cannot cure.
    GrantUnreadable {
        grant: GrantRef,
        error: AwsError,
        assets: Option<Result<Vec<(String, String)>, AwsError>>,
    },
    /// A GRANTED grant to a subscription target no longer in `datazone.fulfil_targets` whose
    /// environment role still holds lakewarden's statements for it (issue 11 §5), read as a
    /// revoke: the plan takes back what lakewarden granted for it (`plan::retire`).
    Retired(Box<GrantObserved>),
    /// Nothing for lakewarden (the reason goes into the report).
    Ignored(String),
    /// A read that failed (`what` it was about, what a person should check).
    Unreadable {
        what: String,
        error: AwsError,
        remedy: String,
    },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observed {
    pub items: Vec<Item>,
    /// The account's Lake Formation prerequisites (`check.lf.*`), read when an item grants.
    pub lf: Option<lakewarden::lfsettings::Prereqs>,
}

fn doc(text: &str) -> AwsResult<Value> {
    policy::parse_document(text)
        .map_err(|e| AwsError::local(LocalKind::MalformedPolicy, e.to_string()))
}

async fn role_arn_of(aws: &Aws, domain: &str, env: &str, account: &str) -> AwsResult<String> {
    let e = datazone::get_environment(&aws.datazone, domain, env).await?;
    let role = e.user_role_arn.ok_or_else(|| {
        AwsError::local(
            LocalKind::NoUserRole,
            format!("environment {env} has no userRoleArn among its provisioned resources"),
        )
    })?;
    if arn::account_of(&role) != account {
        return Err(AwsError::local(LocalKind::OtherAccount, format!("the user role {role} of environment {env} is not in this account ({account}); deploy datazone-subscriber in the environment's account")));
    }
    Ok(role)
}

async fn role_policy(aws: &Aws, role: &str) -> AwsResult<Option<Value>> {
    iam::get_role_policy(&aws.iam, iam::role_name(role), POLICY_NAME)
        .await?
        .map(|t| doc(&t))
        .transpose()
}

/// Read everything `scope` needs.
pub async fn observe(aws: &Aws, cfg: &DataZone, scope: &Scope) -> AwsResult<Observed> {
    let account = aws.account_id().await?;
    let mut items = Vec::new();
    match scope {
        Scope::All => {
            for domain in &cfg.domains {
                match datazone::list_environment_ids(&aws.datazone, domain).await {
                    Ok(envs) => {
                        for id in envs {
                            items.push(environment_item(aws, cfg, domain, &id, &account).await);
                        }
                    }
                    Err(error) => items.push(Item::Unreadable {
                        what: format!("domain {domain} environments"),
                        error,
                        remedy:
                            "Check datazone:ListProjects/ListEnvironments for the function's role"
                                .into(),
                    }),
                }
                match datazone::list_subscription_grants(&aws.datazone, domain).await {
                    Ok(grants) => {
                        for g in grants.iter().filter_map(|g| trigger::pending(domain, g)) {
                            items.push(grant_item(aws, cfg, &g, false).await);
                        }
                        items.extend(retired_items(aws, cfg, domain, &grants, &account).await);
                    }
                    Err(error) => items.push(Item::Unreadable {
                        what: format!("domain {domain} subscription grants"),
                        error,
                        remedy: "Check datazone:ListSubscriptionGrants for the function's role"
                            .into(),
                    }),
                }
            }
        }
        Scope::Environment { domain, id } => {
            items.push(environment_item(aws, cfg, domain, id, &account).await)
        }
        Scope::Grant(g) => items.push(grant_item(aws, cfg, g, false).await),
        Scope::Subscription {
            domain,
            id,
            listing,
            project,
        } => {
            let read = async {
                let grants =
                    datazone::list_subscription_grants_of(&aws.datazone, domain, id).await?;
                let still = match project {
                    Some(p) => datazone::approved_subscriptions(&aws.datazone, domain, listing, p)
                        .await?
                        .iter()
                        .any(|s| s != id),
                    None => false,
                };
                Ok::<_, AwsError>((grants, still))
            };
            match read.await {
                Ok((grants, still)) => {
                    let refs = trigger::grants_of_subscription(domain, &grants);
                    if refs.is_empty() {
                        items.push(Item::Ignored(format!(
                            "subscription {id}: DataZone lists no grant of it"
                        )));
                    }
                    for g in refs {
                        items.push(grant_item(aws, cfg, &g, still).await);
                    }
                }
                Err(error) => items.push(Item::Unreadable {
                    what: format!("subscription {id}"),
                    error,
                    remedy: "Check datazone:ListSubscriptionGrants and datazone:ListSubscriptions for the function's role".into(),
                }),
            }
        }
        Scope::GrantOrListing(g) => {
            match datazone::grant_assets(&aws.datazone, &g.domain, &g.id).await {
                Ok(_) => items.push(grant_item(aws, cfg, g, false).await),
                Err(e) if e.is_not_found() => {
                    let target = g.target.clone().map(|t| t.0).unwrap_or_default();
                    match datazone::list_target_grants(&aws.datazone, &g.domain, &target).await {
                        Ok(grants) => {
                            let found = trigger::grants_of_listing(g, &grants);
                            if found.is_empty() {
                                items.push(Item::Ignored(format!(
                                    "subscription {}: no grant of its listing to target {target}",
                                    g.id
                                )));
                            }
                            for f in found {
                                items.push(grant_item(aws, cfg, &f, false).await);
                            }
                        }
                        Err(error) => items.push(Item::Unreadable {
                            what: format!("subscription {}", g.id),
                            error,
                            remedy: "Check datazone:ListSubscriptionGrants for the function's role"
                                .into(),
                        }),
                    }
                }
                Err(error) => items.push(Item::Unreadable {
                    what: format!("subscription {}", g.id),
                    error,
                    remedy: "Check datazone:GetSubscriptionGrant for the function's role".into(),
                }),
            }
        }
    }
    // Account prerequisites (issue 10 §3), from the grants an item already read.
    let permissions = items.iter().find_map(|i| match i {
        Item::Environment(e) => Some(&e.permissions),
        Item::Grant(g) => Some(&g.permissions),
        _ => None,
    });
    let lf = match permissions {
        Some(all) => {
            let account = aws.account_id().await?;
            Some(lakewarden::lfsettings::observe(aws, &account, Some(all)).await)
        }
        None => None,
    };
    Ok(Observed { items, lf })
}

async fn environment_item(
    aws: &Aws,
    cfg: &DataZone,
    domain: &str,
    id: &str,
    account: &str,
) -> Item {
    match environment(aws, cfg, domain, id, account).await {
        Ok(o) => Item::Environment(Box::new(o)),
        Err(error) => Item::Unreadable {
            what: format!("environment {id}"),
            error,
            remedy: "Check the environment in DataZone, and the function's read permissions (datazone:GetEnvironment, lakeformation:ListResources/ListPermissions, glue:GetDatabase, iam:GetRole/GetPolicy/GetRolePolicy)".into(),
        },
    }
}

async fn environment(
    aws: &Aws,
    cfg: &DataZone,
    domain: &str,
    id: &str,
    account: &str,
) -> AwsResult<EnvObserved> {
    let role_arn = role_arn_of(aws, domain, id, account).await?;
    let registered = lakeformation::list_resources(&aws.lakeformation).await?;
    let permissions = lakeformation::list_permissions(&aws.lakeformation, account).await?;
    let mut databases_present = Vec::new();
    for d in &cfg.databases {
        if glue::get_database(&aws.glue, None, d).await?.is_some() {
            databases_present.push(d.clone());
        }
    }
    let role = iam::get_role(&aws.iam, iam::role_name(&role_arn))
        .await?
        .ok_or_else(|| {
            AwsError::new(
                Some("NoSuchEntity"),
                format!("role {role_arn} does not exist"),
            )
        })?;
    let boundary_doc = match &role.boundary_arn {
        Some(arn) => match iam::get_managed_policy(&aws.iam, arn).await? {
            Some(p) => Some(doc(&p.document)?),
            None => None,
        },
        None => None,
    };
    let copy_arn = arn::iam_policy(account, &boundary_copy_name(&role_arn));
    let copy = match iam::get_managed_policy(&aws.iam, &copy_arn).await? {
        Some(p) => {
            let versions = iam::list_policy_versions(&aws.iam, &copy_arn)
                .await?
                .into_iter()
                .map(|(v, d, _)| (v, d))
                .collect();
            Some((copy_arn, doc(&p.document)?, versions))
        }
        None => None,
    };
    let copy_source = match &copy {
        Some((arn, _, _)) if role.boundary_arn.as_deref() == Some(arn.as_str()) => {
            match iam::policy_description(&aws.iam, arn)
                .await?
                .as_deref()
                .and_then(copy_source)
            {
                Some(source) => iam::get_managed_policy(&aws.iam, &source)
                    .await?
                    .map(|p| doc(&p.document).map(|d| (source, d)))
                    .transpose()?,
                None => None,
            }
        }
        _ => None,
    };
    Ok(EnvObserved {
        copy_source,
        role_policy: role_policy(aws, &role_arn).await?,
        account: account.to_string(),
        region: aws.region.clone(),
        role_arn,
        registered,
        permissions,
        databases_present,
        boundary_arn: role.boundary_arn,
        boundary_doc,
        copy,
    })
}

/// The GRANTED grants of a domain to subscription targets lakewarden no longer fulfils whose
/// environment role still holds lakewarden's statements for the grant (its Sids carry the grant
/// id): the evidence that lakewarden fulfilled them (issue 11 §5, `plan::retire`). Targets,
/// environment roles and their policies are read once each; a grant is read further only with
/// that evidence. A read that fails is no evidence: the grant is left alone this run. Of several
/// such grants of one listing to one target, the first takes the shared LF access and link and
/// the others count it as holding them (so the same revoke is not sent twice).
async fn retired_items(
    aws: &Aws,
    cfg: &DataZone,
    domain: &str,
    grants: &[datazone::GrantSummary],
    account: &str,
) -> Vec<Item> {
    use std::collections::BTreeMap;
    let mut targets: BTreeMap<(String, String), Option<datazone::SubscriptionTarget>> =
        BTreeMap::new();
    let mut policies: BTreeMap<String, Option<Value>> = BTreeMap::new();
    let mut first: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut out = Vec::new();
    for g in grants {
        let granted = !g.assets.is_empty() && g.assets.iter().all(|(_, s)| s == "GRANTED");
        let (Some(env), Some((listing, revision))) = (&g.environment_id, &g.listing) else {
            continue;
        };
        if !granted {
            continue;
        }
        let key = (env.clone(), g.target_id.clone());
        if !targets.contains_key(&key) {
            let t = datazone::get_subscription_target(&aws.datazone, domain, env, &g.target_id)
                .await
                .ok();
            targets.insert(key.clone(), t);
        }
        let Some(target) = targets[&key].clone().filter(|t| !plan::fulfils(cfg, t)) else {
            continue;
        };
        if !policies.contains_key(env) {
            let doc = match role_arn_of(aws, domain, env, account).await {
                Ok(role) => role_policy(aws, &role).await.ok().flatten(),
                Err(_) => None,
            };
            policies.insert(env.clone(), doc);
        }
        if !policies[env]
            .as_ref()
            .is_some_and(|d| plan::retire::holds_grant_sids(d, &g.id))
        {
            continue;
        }
        let r = GrantRef {
            kind: GrantKind::Revoke,
            domain: domain.to_string(),
            id: g.id.clone(),
            listing: Some((listing.clone(), Some(revision.clone()))),
            target: Some((g.target_id.clone(), env.clone())),
        };
        match grant(aws, &r, &target, false).await {
            Ok(mut o) => {
                let shared = (g.target_id.clone(), listing.clone());
                o.other_grants_holding_table = first.get(&shared).cloned().into_iter().collect();
                first.entry(shared).or_insert_with(|| g.id.clone());
                out.push(Item::Retired(Box::new(o)));
            }
            Err(error) => out.push(Item::Unreadable {
                what: format!(
                    "subscription grant {} (its target is no longer in datazone.fulfil_targets)",
                    g.id
                ),
                error,
                remedy: "Check the grant's listing, environment and table in DataZone and the function's read permissions; lakewarden's statements for it stay until a run can read it".into(),
            }),
        }
    }
    out
}

async fn grant_item(aws: &Aws, cfg: &DataZone, g: &GrantRef, still_subscribed: bool) -> Item {
    let Some((tgt, env)) = g.target.clone() else {
        return Item::Unreadable {
            what: format!("subscription grant {}", g.id),
            error: AwsError::local(
                LocalKind::IncompleteResponse,
                "DataZone lists the grant without its environment",
            ),
            remedy:
                "Check the grant's subscription target in DataZone; the next scheduled run retries"
                    .into(),
        };
    };
    let target = match datazone::get_subscription_target(&aws.datazone, &g.domain, &env, &tgt).await
    {
        Ok(t) => t,
        Err(error) => {
            return Item::Unreadable {
                what: format!("subscription grant {}", g.id),
                error,
                remedy: "Check datazone:GetSubscriptionTarget for the function's role".into(),
            }
        }
    };
    if !plan::fulfils(cfg, &target) {
        return Item::Ignored(format!(
            "subscription target {} ({}) is not in datazone.fulfil_targets",
            target.id, target.target_type
        ));
    }
    match grant(aws, g, &target, still_subscribed).await {
        Ok(o) => Item::Grant(Box::new(o)),
        Err(error) => {
            let assets = if plan::permanent(&error) {
                Some(datazone::grant_assets(&aws.datazone, &g.domain, &g.id).await)
            } else {
                None
            };
            Item::GrantUnreadable {
                grant: g.clone(),
                error,
                assets,
            }
        }
    }
}

async fn grant(
    aws: &Aws,
    r: &GrantRef,
    target: &datazone::SubscriptionTarget,
    still_subscribed: bool,
) -> AwsResult<GrantObserved> {
    let account = aws.account_id().await?;
    let (listing_id, revision) = r.listing.clone().unwrap_or_default();
    let (_, env) = r.target.clone().unwrap_or_default();
    let listing =
        datazone::get_glue_listing(&aws.datazone, &r.domain, &listing_id, revision.as_deref())
            .await?;
    let role_arn = role_arn_of(aws, &r.domain, &env, &account).await?;
    let catalog = listing
        .catalog_id
        .clone()
        .unwrap_or_else(|| account.clone());
    let foreign = (catalog != account).then_some(catalog.as_str());
    let table = glue::get_table(&aws.glue, foreign, &listing.database, &listing.table).await?;
    let target_database = target.database.clone().unwrap_or_default();
    let (grant_status, target_name) =
        match datazone::grant_asset(&aws.datazone, &r.domain, &r.id, &listing.asset_id).await? {
            Some((s, t)) => (Some(s), t),
            None => (None, None),
        };
    let mut links = Vec::new();
    if foreign.is_some() && !target_database.is_empty() {
        for name in plan::link_candidates(
            &catalog,
            &listing.database,
            &listing.table,
            target_name.as_deref(),
        ) {
            if let Some(l) = glue::get_table_link(&aws.glue, &target_database, &name).await? {
                links.push(l);
            }
        }
    }
    // Another grant of the same listing to the same target that is still granted keeps the
    // shared pieces (LF table grant, link) when this one is revoked.
    let other_grants_holding_table = if r.kind == GrantKind::Revoke {
        datazone::list_target_grants(&aws.datazone, &r.domain, &target.id)
            .await?
            .iter()
            .filter(|g| {
                g.id != r.id
                    && g.listing.as_ref().map(|(l, _)| l) == Some(&listing_id)
                    && g.assets.iter().any(|(_, s)| s == "GRANTED")
            })
            .map(|g| g.id.clone())
            .collect()
    } else {
        Vec::new()
    };
    Ok(GrantObserved {
        kind: r.kind,
        domain: r.domain.clone(),
        other_grants_holding_table,
        still_subscribed,
        permissions: lakeformation::list_permissions(&aws.lakeformation, &account).await?,
        role_policy: role_policy(aws, &role_arn).await?,
        grant_status,
        target_name,
        links,
        account,
        grant: r.id.clone(),
        asset: listing.asset_id,
        role_arn,
        target_database,
        catalog,
        table,
        database: listing.database,
        table_name: listing.table,
    })
}
