//! IAM: roles, inline policies, managed policies and their versions, permissions boundaries.
//! Policy documents travel as JSON text; IAM returns them URL-encoded, decoded here.

use aws_sdk_iam::Client;
use serde::Serialize;

use super::{on, AwsResult};

/// IAM returns policy documents percent-encoded.
pub fn decode_document(doc: &str) -> String {
    if doc.trim_start().starts_with('{') {
        return doc.to_string();
    }
    percent_decode(doc)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleInfo {
    pub name: String,
    pub arn: String,
    /// Trust policy (decoded JSON text).
    pub trust_policy: Option<String>,
    /// ARN of the permissions boundary, if any.
    pub boundary_arn: Option<String>,
}

/// The role's name from its ARN (`arn:aws:iam::1:role/path/name` → `name`).
pub fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

pub async fn get_role(client: &Client, name: &str) -> AwsResult<Option<RoleInfo>> {
    match client.get_role().role_name(name).send().await {
        Ok(o) => Ok(o.role().map(|r| RoleInfo {
            name: r.role_name().to_string(),
            arn: r.arn().to_string(),
            trust_policy: r.assume_role_policy_document().map(decode_document),
            boundary_arn: r
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(String::from),
        })),
        Err(e) => super::none_if_not_found(e).map_err(|e| e.on(format!("IAM role {name}"))),
    }
}

/// An inline policy document of a role, or None.
pub async fn get_role_policy(
    client: &Client,
    role: &str,
    policy: &str,
) -> AwsResult<Option<String>> {
    match client
        .get_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
    {
        Ok(o) => Ok(Some(decode_document(o.policy_document()))),
        Err(e) => super::none_if_not_found(e)
            .map_err(|e| e.on(format!("inline policy {policy} of IAM role {role}"))),
    }
}

pub async fn put_role_policy(
    client: &Client,
    role: &str,
    policy: &str,
    document: &str,
) -> AwsResult<()> {
    client
        .put_role_policy()
        .role_name(role)
        .policy_name(policy)
        .policy_document(document)
        .send()
        .await
        .map_err(on(|| format!("inline policy {policy} of IAM role {role}")))?;
    Ok(())
}

pub async fn delete_role_policy(client: &Client, role: &str, policy: &str) -> AwsResult<()> {
    client
        .delete_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
        .map_err(on(|| format!("inline policy {policy} of IAM role {role}")))?;
    Ok(())
}

/// Names of a role's inline policies.
pub async fn list_role_policies(client: &Client, role: &str) -> AwsResult<Vec<String>> {
    let mut out = Vec::new();
    let mut pages = client
        .list_role_policies()
        .role_name(role)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| format!("IAM role {role}")))?;
        out.extend(page.policy_names().iter().cloned());
    }
    Ok(out)
}

/// ARNs of the managed policies attached to a role.
pub async fn list_attached_role_policies(client: &Client, role: &str) -> AwsResult<Vec<String>> {
    let mut out = Vec::new();
    let mut pages = client
        .list_attached_role_policies()
        .role_name(role)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| format!("IAM role {role}")))?;
        out.extend(
            page.attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(String::from)),
        );
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagedPolicy {
    pub arn: String,
    pub default_version: String,
    /// The default version's document (decoded JSON text).
    pub document: String,
}

/// A managed policy with its default version's document, or None.
pub async fn get_managed_policy(client: &Client, arn: &str) -> AwsResult<Option<ManagedPolicy>> {
    let p = match client.get_policy().policy_arn(arn).send().await {
        Ok(o) => o,
        Err(e) => {
            return super::none_if_not_found(e)
                .map_err(|e| e.on(format!("IAM managed policy {arn}")))
        }
    };
    let Some(version) = p
        .policy()
        .and_then(|p| p.default_version_id())
        .map(String::from)
    else {
        return Ok(None);
    };
    let v = client
        .get_policy_version()
        .policy_arn(arn)
        .version_id(&version)
        .send()
        .await
        .map_err(on(|| {
            format!("version {version} of IAM managed policy {arn}")
        }))?;
    let document = v
        .policy_version()
        .and_then(|v| v.document())
        .map(decode_document)
        .unwrap_or_default();
    Ok(Some(ManagedPolicy {
        arn: arn.to_string(),
        default_version: version,
        document,
    }))
}

pub async fn create_managed_policy(
    client: &Client,
    name: &str,
    document: &str,
    description: &str,
) -> AwsResult<String> {
    let out = client
        .create_policy()
        .policy_name(name)
        .policy_document(document)
        .description(description)
        .send()
        .await
        .map_err(on(|| format!("IAM managed policy {name}")))?;
    Ok(out
        .policy()
        .and_then(|p| p.arn())
        .unwrap_or_default()
        .to_string())
}

/// (version id, is default, create date as text) of every version.
pub async fn list_policy_versions(
    client: &Client,
    arn: &str,
) -> AwsResult<Vec<(String, bool, String)>> {
    let mut out = Vec::new();
    let mut pages = client
        .list_policy_versions()
        .policy_arn(arn)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| format!("IAM managed policy {arn}")))?;
        out.extend(page.versions().iter().map(|v| {
            (
                v.version_id().unwrap_or_default().to_string(),
                v.is_default_version(),
                v.create_date().map(|d| d.to_string()).unwrap_or_default(),
            )
        }));
    }
    Ok(out)
}

pub async fn create_policy_version(client: &Client, arn: &str, document: &str) -> AwsResult<()> {
    client
        .create_policy_version()
        .policy_arn(arn)
        .policy_document(document)
        .set_as_default(true)
        .send()
        .await
        .map_err(on(|| format!("IAM managed policy {arn}")))?;
    Ok(())
}

pub async fn delete_policy_version(client: &Client, arn: &str, version: &str) -> AwsResult<()> {
    client
        .delete_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .map_err(on(|| {
            format!("version {version} of IAM managed policy {arn}")
        }))?;
    Ok(())
}

pub async fn put_role_permissions_boundary(
    client: &Client,
    role: &str,
    boundary_arn: &str,
) -> AwsResult<()> {
    client
        .put_role_permissions_boundary()
        .role_name(role)
        .permissions_boundary(boundary_arn)
        .send()
        .await
        .map_err(on(|| format!("permissions boundary of IAM role {role}")))?;
    Ok(())
}

pub async fn update_assume_role_policy(
    client: &Client,
    role: &str,
    document: &str,
) -> AwsResult<()> {
    client
        .update_assume_role_policy()
        .role_name(role)
        .policy_document(document)
        .send()
        .await
        .map_err(on(|| format!("trust policy of IAM role {role}")))?;
    Ok(())
}

/// A managed policy's description (None: no such policy or no description).
pub async fn policy_description(client: &Client, arn: &str) -> AwsResult<Option<String>> {
    match client.get_policy().policy_arn(arn).send().await {
        Ok(o) => Ok(o.policy().and_then(|p| p.description()).map(String::from)),
        Err(e) => {
            super::none_if_not_found(e).map_err(|e| e.on(format!("IAM managed policy {arn}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_decoded() {
        assert_eq!(decode_document("%7B%22a%22%3A1%7D"), "{\"a\":1}");
        assert_eq!(decode_document("{\"a\": 1}"), "{\"a\": 1}");
        assert_eq!(role_name("arn:aws:iam::1:role/path/x"), "x");
    }
}
