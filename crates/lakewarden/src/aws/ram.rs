//! RAM resource shares owned by this account.

use std::collections::BTreeSet;

use aws_sdk_ram::types::{ResourceOwner, ResourceShareAssociationType, ResourceShareStatus};
use aws_sdk_ram::Client;
use serde::Serialize;

use super::{on, AwsResult};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareState {
    pub name: String,
    pub arn: String,
    pub resources: BTreeSet<String>,
    pub principals: BTreeSet<String>,
}

/// This account's active share with that name, with its associated resources and principals.
pub async fn find_share(client: &Client, name: &str) -> AwsResult<Option<ShareState>> {
    let mut found = None;
    let mut pages = client
        .get_resource_shares()
        .resource_owner(ResourceOwner::SelfValue)
        .name(name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| format!("RAM resource share {name}")))?;
        for s in page.resource_shares() {
            let active = s.status().is_none_or(|st| {
                *st == ResourceShareStatus::Active || *st == ResourceShareStatus::Pending
            });
            if s.name() == Some(name) && active {
                found = s.resource_share_arn().map(String::from);
            }
        }
        if found.is_some() {
            break;
        }
    }
    let Some(arn) = found else { return Ok(None) };
    Ok(Some(ShareState {
        name: name.to_string(),
        resources: associations(client, &arn, ResourceShareAssociationType::Resource).await?,
        principals: associations(client, &arn, ResourceShareAssociationType::Principal).await?,
        arn,
    }))
}

async fn associations(
    client: &Client,
    arn: &str,
    kind: ResourceShareAssociationType,
) -> AwsResult<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let mut pages = client
        .get_resource_share_associations()
        .association_type(kind)
        .resource_share_arns(arn)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| format!("RAM resource share {arn}")))?;
        for a in page.resource_share_associations() {
            let gone = a.status().is_some_and(|s| {
                matches!(s.as_str(), "DISASSOCIATED" | "DISASSOCIATING" | "FAILED")
            });
            if !gone {
                if let Some(e) = a.associated_entity() {
                    out.insert(e.to_string());
                }
            }
        }
    }
    Ok(out)
}

pub async fn create_share(
    client: &Client,
    name: &str,
    resources: &[String],
    principals: &[String],
) -> AwsResult<String> {
    let out = client
        .create_resource_share()
        .name(name)
        .set_resource_arns(Some(resources.to_vec()))
        .set_principals(Some(principals.to_vec()))
        .allow_external_principals(true)
        .client_token(format!(
            "{}{:016x}",
            crate::ownership::CLIENT_TOKEN_PREFIX,
            crate::policy::fnv1a(name.as_bytes())
        ))
        .send()
        .await
        .map_err(on(|| format!("RAM resource share {name}")))?;
    Ok(out
        .resource_share()
        .and_then(|s| s.resource_share_arn())
        .unwrap_or_default()
        .to_string())
}

pub async fn associate(
    client: &Client,
    arn: &str,
    resources: &[String],
    principals: &[String],
) -> AwsResult<()> {
    client
        .associate_resource_share()
        .resource_share_arn(arn)
        .set_resource_arns((!resources.is_empty()).then(|| resources.to_vec()))
        .set_principals((!principals.is_empty()).then(|| principals.to_vec()))
        .send()
        .await
        .map_err(on(|| format!("RAM resource share {arn}")))?;
    Ok(())
}

pub async fn disassociate(
    client: &Client,
    arn: &str,
    resources: &[String],
    principals: &[String],
) -> AwsResult<()> {
    client
        .disassociate_resource_share()
        .resource_share_arn(arn)
        .set_resource_arns((!resources.is_empty()).then(|| resources.to_vec()))
        .set_principals((!principals.is_empty()).then(|| principals.to_vec()))
        .send()
        .await
        .map_err(on(|| format!("RAM resource share {arn}")))?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invitation {
    pub arn: String,
    pub sender: String,
    pub share_name: String,
    pub share_arn: String,
    pub status: String,
}

/// Every resource-share invitation this account received.
pub async fn list_invitations(client: &Client) -> AwsResult<Vec<Invitation>> {
    let mut out = Vec::new();
    let mut pages = client
        .get_resource_share_invitations()
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| "RAM invitations of this account".to_string()))?;
        for i in page.resource_share_invitations() {
            out.push(Invitation {
                arn: i
                    .resource_share_invitation_arn()
                    .unwrap_or_default()
                    .to_string(),
                sender: i.sender_account_id().unwrap_or_default().to_string(),
                share_name: i.resource_share_name().unwrap_or_default().to_string(),
                share_arn: i.resource_share_arn().unwrap_or_default().to_string(),
                status: i
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

pub async fn accept_invitation(client: &Client, arn: &str) -> AwsResult<()> {
    client
        .accept_resource_share_invitation()
        .resource_share_invitation_arn(arn)
        .send()
        .await
        .map_err(on(|| format!("RAM invitation {arn}")))?;
    Ok(())
}

/// Resources other accounts share with this account (`ListResources`,
/// `resourceOwner=OTHER-ACCOUNTS`), optionally of one type (e.g. `glue:Database`): (resource
/// ARN, ARN of the share that carries it).
pub async fn shared_with_me(
    client: &Client,
    resource_type: Option<&str>,
) -> AwsResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut pages = client
        .list_resources()
        .resource_owner(ResourceOwner::OtherAccounts)
        .set_resource_type(resource_type.map(String::from))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| "RAM resources shared with this account".to_string()))?;
        for r in page.resources() {
            if let (Some(a), Some(s)) = (r.arn(), r.resource_share_arn()) {
                out.push((a.to_string(), s.to_string()));
            }
        }
    }
    Ok(out)
}

/// The status (`ACTIVE`, `DELETED`, …) of shares other accounts made with this account, by ARN
/// (`GetResourceShares`, `resourceOwner=OTHER-ACCOUNTS`). A share RAM no longer lists is absent.
pub async fn shares_with_me_status(
    client: &Client,
    arns: &[String],
) -> AwsResult<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    if arns.is_empty() {
        return Ok(out);
    }
    let mut pages = client
        .get_resource_shares()
        .resource_owner(ResourceOwner::OtherAccounts)
        .set_resource_share_arns(Some(arns.to_vec()))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| {
            "RAM resource shares shared with this account".to_string()
        }))?;
        for s in page.resource_shares() {
            if let (Some(a), Some(st)) = (s.resource_share_arn(), s.status()) {
                out.insert(a.to_string(), st.as_str().to_string());
            }
        }
    }
    Ok(out)
}
