//! Amazon DataZone: environments, subscription targets, listings and grant statuses.

use aws_sdk_datazone::types::{FailureCause, ListingItem, SubscriptionGrantStatus};
use aws_sdk_datazone::Client;
use serde::Serialize;
use serde_json::Value;

use super::{on, AwsError, AwsResult, LocalKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Environment {
    pub id: String,
    pub project_id: String,
    pub account: Option<String>,
    pub user_role_arn: Option<String>,
}

pub async fn get_environment(client: &Client, domain: &str, id: &str) -> AwsResult<Environment> {
    let o = client
        .get_environment()
        .domain_identifier(domain)
        .identifier(id)
        .send()
        .await
        .map_err(on(|| {
            format!("DataZone environment {id} of domain {domain}")
        }))?;
    Ok(Environment {
        id: o.id().unwrap_or(id).to_string(),
        project_id: o.project_id().to_string(),
        account: o.aws_account_id().map(String::from),
        user_role_arn: o
            .provisioned_resources()
            .iter()
            .find(|r| r.name() == Some("userRoleArn"))
            .map(|r| r.value().to_string()),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscriptionTarget {
    pub id: String,
    pub name: String,
    pub target_type: String,
    /// The Glue database the target puts subscribed tables in.
    pub database: Option<String>,
}

pub async fn get_subscription_target(
    client: &Client,
    domain: &str,
    environment: &str,
    id: &str,
) -> AwsResult<SubscriptionTarget> {
    let o = client
        .get_subscription_target()
        .domain_identifier(domain)
        .environment_identifier(environment)
        .identifier(id)
        .send()
        .await
        .map_err(on(|| {
            format!("DataZone subscription target {id} of environment {environment}")
        }))?;
    let database = o.subscription_target_config().iter().find_map(|f| {
        serde_json::from_str::<Value>(f.content())
            .ok()
            .and_then(|v| v["databaseName"].as_str().map(String::from))
    });
    Ok(SubscriptionTarget {
        id: o.id().to_string(),
        name: o.name().to_string(),
        target_type: o.r#type().to_string(),
        database,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GlueListing {
    pub asset_id: String,
    pub database: String,
    pub table: String,
    pub catalog_id: Option<String>,
}

/// The Glue table a listing publishes (from its `GlueTableForm`).
pub async fn get_glue_listing(
    client: &Client,
    domain: &str,
    id: &str,
    revision: Option<&str>,
) -> AwsResult<GlueListing> {
    let o = client
        .get_listing()
        .domain_identifier(domain)
        .identifier(id)
        .set_listing_revision(revision.map(String::from))
        .send()
        .await
        .map_err(on(|| format!("DataZone listing {id} of domain {domain}")))?;
    let Some(ListingItem::AssetListing(a)) = o.item() else {
        return Err(AwsError::local(
            LocalKind::UnsupportedListing,
            format!("listing {id} is not an asset listing"),
        ));
    };
    let forms: Value = a
        .forms()
        .and_then(|f| serde_json::from_str(f).ok())
        .unwrap_or(Value::Null);
    let Some((catalog_id, db, table)) = glue_table_form(&forms) else {
        return Err(AwsError::local(
            LocalKind::UnsupportedListing,
            format!("listing {id} has no GlueTableForm naming a table (databaseName and tableName, or tableArn)"),
        ));
    };
    Ok(GlueListing {
        asset_id: a.asset_id().unwrap_or_default().to_string(),
        database: db,
        table,
        catalog_id,
    })
}

/// The Glue table a listing's parsed `forms` name: (catalog id, database, table). A listing a
/// Glue data source published has `catalogId`, `tableName` and `tableArn` but no
/// `databaseName` (docs/aws-semantics.md §5, "GetListing forms"); one made with `CreateAsset`
/// has `databaseName` too. Values AWS spells `"EMPTY"` count as absent.
pub fn glue_table_form(forms: &Value) -> Option<(Option<String>, String, String)> {
    let form = &forms["GlueTableForm"];
    let field = |k: &str| {
        form[k]
            .as_str()
            .filter(|v| !v.is_empty() && *v != "EMPTY")
            .map(String::from)
    };
    // arn:PARTITION:glue:REGION:ACCOUNT:table/DATABASE/TABLE
    let from_arn = field("tableArn")
        .and_then(|a| crate::arn::Arn::parse(&a))
        .filter(|a| a.service == "glue")
        .and_then(|a| {
            let mut parts = a.resource.splitn(3, '/');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("table"), Some(db), Some(t)) if !db.is_empty() && !t.is_empty() => {
                    Some((a.account.clone(), db.to_string(), t.to_string()))
                }
                _ => None,
            }
        });
    let database = field("databaseName").or_else(|| from_arn.as_ref().map(|x| x.1.clone()))?;
    let table = field("tableName").or_else(|| from_arn.as_ref().map(|x| x.2.clone()))?;
    let catalog = field("catalogId").or_else(|| from_arn.map(|x| x.0).filter(|c| !c.is_empty()));
    Some((catalog, database, table))
}

/// (status, target name) of one asset of a grant, or None when the grant has no such asset.
pub async fn grant_asset(
    client: &Client,
    domain: &str,
    grant: &str,
    asset: &str,
) -> AwsResult<Option<(String, Option<String>)>> {
    let o = client
        .get_subscription_grant()
        .domain_identifier(domain)
        .identifier(grant)
        .send()
        .await
        .map_err(on(|| format!("DataZone subscription grant {grant}")))?;
    Ok(o.assets().iter().find(|a| a.asset_id() == asset).map(|a| {
        (
            a.status().as_str().to_string(),
            a.target_name().map(String::from),
        )
    }))
}

/// Ids of the APPROVED subscriptions of `project` to `listing`.
pub async fn approved_subscriptions(
    client: &Client,
    domain: &str,
    listing: &str,
    project: &str,
) -> AwsResult<Vec<String>> {
    let mut out = Vec::new();
    let mut pages = client
        .list_subscriptions()
        .domain_identifier(domain)
        .subscribed_listing_id(listing)
        .owning_project_id(project)
        .status(aws_sdk_datazone::types::SubscriptionStatus::Approved)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| {
            format!("DataZone subscriptions of project {project} to listing {listing}")
        }))?;
        out.extend(page.items().iter().map(|x| x.id().to_string()));
    }
    Ok(out)
}

/// The status DataZone holds for one asset of a grant.
pub async fn grant_asset_status(
    client: &Client,
    domain: &str,
    grant: &str,
    asset: &str,
) -> AwsResult<Option<String>> {
    let o = client
        .get_subscription_grant()
        .domain_identifier(domain)
        .identifier(grant)
        .send()
        .await
        .map_err(on(|| format!("DataZone subscription grant {grant}")))?;
    Ok(o.assets()
        .iter()
        .find(|a| a.asset_id() == asset)
        .map(|a| a.status().as_str().to_string()))
}

pub async fn update_grant_status(
    client: &Client,
    domain: &str,
    grant: &str,
    asset: &str,
    status: &str,
    failure: Option<&str>,
    target_name: Option<&str>,
) -> AwsResult<()> {
    client
        .update_subscription_grant_status()
        .domain_identifier(domain)
        .identifier(grant)
        .asset_identifier(asset)
        .status(SubscriptionGrantStatus::from(status))
        .set_failure_cause(failure.map(|m| FailureCause::builder().message(m).build()))
        .set_target_name(target_name.map(String::from))
        .send()
        .await
        .map_err(on(|| {
            format!("DataZone subscription grant {grant} asset {asset}")
        }))?;
    Ok(())
}

/// Ids of every environment of a domain (through its projects).
pub async fn list_environment_ids(client: &Client, domain: &str) -> AwsResult<Vec<String>> {
    let mut projects = Vec::new();
    let mut pages = client
        .list_projects()
        .domain_identifier(domain)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| format!("DataZone projects of domain {domain}")))?;
        projects.extend(page.items().iter().map(|p| p.id().to_string()));
    }
    let mut out = Vec::new();
    for p in projects {
        let mut pages = client
            .list_environments()
            .domain_identifier(domain)
            .project_identifier(&p)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(on(|| {
                format!("DataZone environments of project {p} in domain {domain}")
            }))?;
            out.extend(page.items().iter().filter_map(|e| e.id().map(String::from)));
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantSummary {
    pub id: String,
    pub target_id: String,
    pub environment_id: Option<String>,
    pub listing: Option<(String, String)>,
    /// (asset id, status) of each asset.
    pub assets: Vec<(String, String)>,
}

/// Every subscription grant of a domain.
pub async fn list_subscription_grants(
    client: &Client,
    domain: &str,
) -> AwsResult<Vec<GrantSummary>> {
    list_grants(client, domain, None, None).await
}

/// The subscription grants of one subscription (`ListSubscriptionGrants` `subscriptionId`).
pub async fn list_subscription_grants_of(
    client: &Client,
    domain: &str,
    subscription: &str,
) -> AwsResult<Vec<GrantSummary>> {
    list_grants(client, domain, None, Some(subscription)).await
}

/// The subscription grants of one subscription target.
pub async fn list_target_grants(
    client: &Client,
    domain: &str,
    target: &str,
) -> AwsResult<Vec<GrantSummary>> {
    list_grants(client, domain, Some(target), None).await
}

async fn list_grants(
    client: &Client,
    domain: &str,
    target: Option<&str>,
    subscription: Option<&str>,
) -> AwsResult<Vec<GrantSummary>> {
    let mut out = Vec::new();
    let mut pages = client
        .list_subscription_grants()
        .domain_identifier(domain)
        .set_subscription_target_id(target.map(String::from))
        .set_subscription_id(subscription.map(String::from))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| match (target, subscription) {
            (Some(t), _) => {
                format!("DataZone subscription grants of target {t} in domain {domain}")
            }
            (None, Some(s)) => {
                format!("DataZone subscription grants of subscription {s} in domain {domain}")
            }
            (None, None) => format!("DataZone subscription grants of domain {domain}"),
        }))?;
        for g in page.items() {
            out.push(GrantSummary {
                id: g.id().to_string(),
                target_id: g.subscription_target_id().to_string(),
                environment_id: g.environment_id().map(String::from),
                listing: g.granted_entity().and_then(|e| match e {
                    aws_sdk_datazone::types::GrantedEntity::Listing(l) => {
                        Some((l.id().to_string(), l.revision().to_string()))
                    }
                    _ => None,
                }),
                assets: g
                    .assets()
                    .iter()
                    .map(|a| (a.asset_id().to_string(), a.status().as_str().to_string()))
                    .collect(),
            });
        }
    }
    Ok(out)
}

/// (asset id, status) of every asset of a subscription grant.
pub async fn grant_assets(
    client: &Client,
    domain: &str,
    grant: &str,
) -> AwsResult<Vec<(String, String)>> {
    let o = client
        .get_subscription_grant()
        .domain_identifier(domain)
        .identifier(grant)
        .send()
        .await
        .map_err(on(|| format!("DataZone subscription grant {grant}")))?;
    Ok(o.assets()
        .iter()
        .map(|a| (a.asset_id().to_string(), a.status().as_str().to_string()))
        .collect())
}
