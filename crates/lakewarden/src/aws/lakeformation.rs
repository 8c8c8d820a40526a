//! Lake Formation: permissions (read all once, batch writes of ≤ 20) and data locations.

use aws_sdk_lakeformation::types::{
    BatchPermissionsRequestEntry, DataLakePrincipal, DataLocationResource, DatabaseResource,
    Permission, PrincipalResourcePermissions, Resource, TableResource, TableWildcard,
};
use aws_sdk_lakeformation::Client;

use super::{build_err, on, AwsError, AwsResult};
use crate::lf::{LfGrant, LfResource, LfState, LF_BATCH_LIMIT};

pub fn to_sdk_resource(r: &LfResource) -> AwsResult<Resource> {
    Ok(match r {
        LfResource::Database { catalog_id, name } => Resource::builder()
            .database(
                DatabaseResource::builder()
                    .catalog_id(catalog_id)
                    .name(name)
                    .build()
                    .map_err(build_err)?,
            )
            .build(),
        LfResource::Table {
            catalog_id,
            database,
            name,
        } => Resource::builder()
            .table(
                TableResource::builder()
                    .catalog_id(catalog_id)
                    .database_name(database)
                    .name(name)
                    .build()
                    .map_err(build_err)?,
            )
            .build(),
        LfResource::TableWildcard {
            catalog_id,
            database,
        } => Resource::builder()
            .table(
                TableResource::builder()
                    .catalog_id(catalog_id)
                    .database_name(database)
                    .table_wildcard(TableWildcard::builder().build())
                    .build()
                    .map_err(build_err)?,
            )
            .build(),
        LfResource::DataLocation { catalog_id, arn } => Resource::builder()
            .data_location(
                DataLocationResource::builder()
                    .catalog_id(catalog_id)
                    .resource_arn(arn)
                    .build()
                    .map_err(build_err)?,
            )
            .build(),
    })
}

/// The plain form of a resource Lake Formation returned; `None` for kinds lakewarden never manages.
pub fn from_sdk_resource(r: &Resource, default_catalog: &str) -> Option<LfResource> {
    let cat = |c: Option<&str>| c.unwrap_or(default_catalog).to_string();
    if let Some(d) = r.database() {
        return Some(LfResource::Database {
            catalog_id: cat(d.catalog_id()),
            name: d.name().to_string(),
        });
    }
    if let Some(t) = r.table() {
        return Some(if t.table_wildcard().is_some() {
            LfResource::TableWildcard {
                catalog_id: cat(t.catalog_id()),
                database: t.database_name().to_string(),
            }
        } else {
            LfResource::Table {
                catalog_id: cat(t.catalog_id()),
                database: t.database_name().to_string(),
                name: t.name().unwrap_or_default().to_string(),
            }
        });
    }
    if let Some(t) = r.table_with_columns() {
        // SELECT on every column is reported as TableWithColumns{ColumnWildcard}: the same grant.
        let all_columns = t
            .column_wildcard()
            .is_some_and(|w| w.excluded_column_names().is_empty());
        if all_columns {
            return Some(LfResource::Table {
                catalog_id: cat(t.catalog_id()),
                database: t.database_name().to_string(),
                name: t.name().to_string(),
            });
        }
        return None;
    }
    if let Some(l) = r.data_location() {
        return Some(LfResource::DataLocation {
            catalog_id: cat(l.catalog_id()),
            arn: l.resource_arn().to_string(),
        });
    }
    None
}

fn to_grant(p: &PrincipalResourcePermissions, catalog_id: &str) -> Option<LfGrant> {
    let principal = p.principal()?.data_lake_principal_identifier()?.to_string();
    let resource = from_sdk_resource(p.resource()?, catalog_id)?;
    Some(LfGrant {
        principal,
        resource,
        permissions: p
            .permissions()
            .iter()
            .map(|x| x.as_str().to_string())
            .collect(),
        grantable: p
            .permissions_with_grant_option()
            .iter()
            .map(|x| x.as_str().to_string())
            .collect(),
    })
}

/// Every permission in the catalog, read once (all pages).
pub async fn list_permissions(client: &Client, catalog_id: &str) -> AwsResult<LfState> {
    let mut state = LfState::default();
    let mut pages = client
        .list_permissions()
        .catalog_id(catalog_id)
        .max_results(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| {
            format!("Lake Formation permissions of catalog {catalog_id}")
        }))?;
        for p in page.principal_resource_permissions() {
            if let Some(g) = to_grant(p, catalog_id) {
                state.add(g);
            }
        }
    }
    Ok(state)
}

fn entry(id: usize, g: &LfGrant) -> AwsResult<BatchPermissionsRequestEntry> {
    BatchPermissionsRequestEntry::builder()
        .id(id.to_string())
        .principal(
            DataLakePrincipal::builder()
                .data_lake_principal_identifier(&g.principal)
                .build(),
        )
        .resource(to_sdk_resource(&g.resource)?)
        .set_permissions(Some(
            g.permissions
                .iter()
                .map(|p| Permission::from(p.as_str()))
                .collect(),
        ))
        .set_permissions_with_grant_option(Some(
            g.grantable
                .iter()
                .map(|p| Permission::from(p.as_str()))
                .collect(),
        ))
        .build()
        .map_err(build_err)
}

#[derive(Clone, Copy)]
enum Batch {
    Grant,
    Revoke,
}

/// The error of one failed batch entry, naming the grant it belongs to.
fn entry_error(
    f: &aws_sdk_lakeformation::types::BatchPermissionsFailureEntry,
    grant: &LfGrant,
) -> AwsError {
    let detail = f.error();
    AwsError::new(
        detail.and_then(|e| e.error_code()),
        detail
            .and_then(|e| e.error_message())
            .unwrap_or("batch entry failed"),
    )
    .on(format!("Lake Formation grant {grant}"))
}

async fn batch(
    client: &Client,
    catalog_id: &str,
    grants: &[LfGrant],
    kind: Batch,
) -> Vec<AwsResult<()>> {
    let mut results: Vec<AwsResult<()>> = vec![Ok(()); grants.len()];
    for (chunk_no, chunk) in grants.chunks(LF_BATCH_LIMIT).enumerate() {
        let base = chunk_no * LF_BATCH_LIMIT;
        // Each entry's Id is its index in `grants`: a failure names the Id of its entry.
        let mut entries = Vec::with_capacity(chunk.len());
        for (i, g) in chunk.iter().enumerate() {
            match entry(base + i, g) {
                Ok(e) => entries.push(e),
                Err(e) => results[base + i] = Err(e.on(format!("Lake Formation grant {g}"))),
            }
        }
        if entries.is_empty() {
            continue;
        }
        let sent: Vec<usize> = entries
            .iter()
            .filter_map(|e| e.id().parse::<usize>().ok())
            .collect();
        let failures = match kind {
            Batch::Grant => client
                .batch_grant_permissions()
                .catalog_id(catalog_id)
                .set_entries(Some(entries))
                .send()
                .await
                .map(|o| o.failures().to_vec())
                .map_err(AwsError::from),
            Batch::Revoke => client
                .batch_revoke_permissions()
                .catalog_id(catalog_id)
                .set_entries(Some(entries))
                .send()
                .await
                .map(|o| o.failures().to_vec())
                .map_err(AwsError::from),
        };
        match failures {
            Err(e) => {
                for &i in &sent {
                    results[i] = Err(e.clone().on(format!("Lake Formation grant {}", grants[i])));
                }
            }
            Ok(fs) => {
                let mut unmatched = Vec::new();
                for f in &fs {
                    let idx = f
                        .request_entry()
                        .and_then(|r| r.id().parse::<usize>().ok())
                        .filter(|i| sent.contains(i));
                    match idx {
                        Some(i) => results[i] = Err(entry_error(f, &grants[i])),
                        None => unmatched.push(f),
                    }
                }
                // A failure that names no entry of this chunk: which grant failed is unknown, so
                // none of the chunk's unfailed entries can be reported as applied.
                if let Some(f) = unmatched.first() {
                    for &i in &sent {
                        if results[i].is_ok() {
                            let mut e = entry_error(f, &grants[i]);
                            e.message = format!(
                                "{} (Lake Formation reported {} failure(s) without naming the entry; this grant's outcome is unknown)",
                                e.message,
                                unmatched.len()
                            );
                            results[i] = Err(e);
                        }
                    }
                }
            }
        }
    }
    results
}

/// BatchGrantPermissions in chunks of ≤ 20; one result per grant, in order.
pub async fn batch_grant(
    client: &Client,
    catalog_id: &str,
    grants: &[LfGrant],
) -> Vec<AwsResult<()>> {
    batch(client, catalog_id, grants, Batch::Grant).await
}

/// BatchRevokePermissions in chunks of ≤ 20; one result per grant, in order.
pub async fn batch_revoke(
    client: &Client,
    catalog_id: &str,
    grants: &[LfGrant],
) -> Vec<AwsResult<()>> {
    batch(client, catalog_id, grants, Batch::Revoke).await
}

/// ARNs of every registered data location.
pub async fn list_resources(client: &Client) -> AwsResult<Vec<String>> {
    let mut arns = Vec::new();
    let mut pages = client.list_resources().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| "Lake Formation registered locations".to_string()))?;
        arns.extend(
            page.resource_info_list()
                .iter()
                .filter_map(|r| r.resource_arn().map(String::from)),
        );
    }
    Ok(arns)
}

/// Register an S3 location with the Lake Formation service-linked role.
pub async fn register_location(client: &Client, arn: &str) -> AwsResult<()> {
    client
        .register_resource()
        .resource_arn(arn)
        .use_service_linked_role(true)
        .send()
        .await
        .map_err(on(|| format!("Lake Formation data location {arn}")))?;
    Ok(())
}

/// Register an S3 location with a customer role (`role_arn`) or, without one, the Lake
/// Formation service-linked role.
pub async fn register_location_as(
    client: &Client,
    arn: &str,
    role_arn: Option<&str>,
) -> AwsResult<()> {
    let req = client.register_resource().resource_arn(arn);
    let req = match role_arn {
        Some(r) => req.role_arn(r).use_service_linked_role(false),
        None => req.use_service_linked_role(true),
    };
    req.send().await?;
    Ok(())
}
