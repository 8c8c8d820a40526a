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
    read_permissions(client, catalog_id, None).await
}

/// ListPermissions over all pages, filtered by `principal` when one is given.
async fn read_permissions(
    client: &Client,
    catalog_id: &str,
    principal: Option<&str>,
) -> AwsResult<LfState> {
    let mut state = LfState::default();
    let mut pages = client
        .list_permissions()
        .catalog_id(catalog_id)
        .set_principal(principal.map(|p| {
            DataLakePrincipal::builder()
                .data_lake_principal_identifier(p)
                .build()
        }))
        .max_results(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| match principal {
            Some(p) => format!("Lake Formation permissions of {p} in catalog {catalog_id}"),
            None => format!("Lake Formation permissions of catalog {catalog_id}"),
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

/// GetDataLakeSettings of `catalog_id`, as AWS answers it.
async fn read_settings(
    client: &Client,
    catalog_id: &str,
) -> AwsResult<aws_sdk_lakeformation::operation::get_data_lake_settings::GetDataLakeSettingsOutput>
{
    client
        .get_data_lake_settings()
        .catalog_id(catalog_id)
        .send()
        .await
        .map_err(on(|| {
            format!("Lake Formation data lake settings of {catalog_id}")
        }))
}

/// The data lake settings as the prerequisite checks read them (GetDataLakeSettings).
pub async fn get_data_lake_settings(
    client: &Client,
    catalog_id: &str,
) -> AwsResult<crate::lfsettings::Settings> {
    let out = read_settings(client, catalog_id).await?;
    let s = out.data_lake_settings();
    let ids = |ps: &[DataLakePrincipal]| -> Vec<String> {
        ps.iter()
            .filter_map(|p| p.data_lake_principal_identifier().map(String::from))
            .collect()
    };
    let defaults = |ps: &[aws_sdk_lakeformation::types::PrincipalPermissions]| -> Vec<String> {
        ps.iter()
            .filter_map(|p| {
                p.principal()?
                    .data_lake_principal_identifier()
                    .map(String::from)
            })
            .collect()
    };
    Ok(match s {
        None => crate::lfsettings::Settings::default(),
        Some(s) => crate::lfsettings::Settings {
            admins: ids(s.data_lake_admins()),
            database_defaults: defaults(s.create_database_default_permissions()),
            table_defaults: defaults(s.create_table_default_permissions()),
            cross_account_version: s
                .parameters()
                .and_then(|p| p.get(crate::lfsettings::CROSS_ACCOUNT_VERSION))
                .cloned(),
        },
    })
}

/// Every grant `principal` holds in the catalog (ListPermissions filtered by principal).
pub async fn list_permissions_of(
    client: &Client,
    catalog_id: &str,
    principal: &str,
) -> AwsResult<LfState> {
    read_permissions(client, catalog_id, Some(principal)).await
}

/// Read-modify-write of the data lake settings: GetDataLakeSettings, [`modify_settings`],
/// PutDataLakeSettings with the whole document (the put replaces every field, so nothing read
/// may be dropped). `Ok(false)` when the settings already were as the fix wants (no put).
pub async fn fix_data_lake_settings(
    client: &Client,
    catalog_id: &str,
    fix: &crate::lfsettings::SettingsFix,
) -> AwsResult<bool> {
    let out = read_settings(client, catalog_id).await?;
    let mut s = out
        .data_lake_settings()
        .cloned()
        .unwrap_or_else(|| aws_sdk_lakeformation::types::DataLakeSettings::builder().build());
    if !crate::lfsettings::modify_settings(&mut s, fix) {
        return Ok(false);
    }
    client
        .put_data_lake_settings()
        .catalog_id(catalog_id)
        .data_lake_settings(s)
        .send()
        .await
        .map_err(on(|| {
            format!("Lake Formation data lake settings of {catalog_id}")
        }))?;
    Ok(true)
}

#[cfg(test)]
mod settings_tests {
    use super::*;
    use crate::lfsettings::{modify_settings, SettingsFix};
    use aws_sdk_lakeformation::types::{DataLakeSettings, PrincipalPermissions};

    fn principal(id: &str) -> DataLakePrincipal {
        DataLakePrincipal::builder()
            .data_lake_principal_identifier(id)
            .build()
    }

    fn aws_defaults() -> DataLakeSettings {
        let all = PrincipalPermissions::builder()
            .principal(principal("IAM_ALLOWED_PRINCIPALS"))
            .permissions(Permission::All)
            .build();
        DataLakeSettings::builder()
            .data_lake_admins(principal("arn:aws:iam::111111111111:role/Admin"))
            .read_only_admins(principal("arn:aws:iam::111111111111:role/Auditor"))
            .create_database_default_permissions(all.clone())
            .create_table_default_permissions(all)
            .parameters("CROSS_ACCOUNT_VERSION", "1")
            .parameters("SET_CONTEXT", "TRUE")
            .trusted_resource_owners("333333333333")
            .allow_external_data_filtering(true)
            .build()
    }

    #[test]
    fn a_fix_changes_only_what_it_names() {
        let mut s = aws_defaults();
        let fix = SettingsFix {
            add_admin: Some("arn:aws:iam::111111111111:role/lw".into()),
            clear_default_permissions: true,
            min_cross_account_version: Some(4),
        };
        assert!(modify_settings(&mut s, &fix));
        let admins: Vec<_> = s
            .data_lake_admins()
            .iter()
            .filter_map(|p| p.data_lake_principal_identifier())
            .collect();
        assert_eq!(
            admins,
            [
                "arn:aws:iam::111111111111:role/Admin",
                "arn:aws:iam::111111111111:role/lw"
            ]
        );
        assert!(s.create_database_default_permissions().is_empty());
        assert!(s.create_table_default_permissions().is_empty());
        let p = s.parameters().unwrap();
        assert_eq!(p["CROSS_ACCOUNT_VERSION"], "4");
        assert_eq!(p["SET_CONTEXT"], "TRUE");
        assert_eq!(s.read_only_admins().len(), 1);
        assert_eq!(s.trusted_resource_owners(), ["333333333333"]);
        assert_eq!(s.allow_external_data_filtering(), Some(true));
        // Applied again: nothing left to change.
        assert!(!modify_settings(&mut s, &fix));
    }

    #[test]
    fn a_version_is_never_lowered_and_an_admin_with_a_path_counts() {
        let mut s = aws_defaults();
        s.parameters
            .as_mut()
            .unwrap()
            .insert("CROSS_ACCOUNT_VERSION".into(), "5".into());
        s.data_lake_admins
            .as_mut()
            .unwrap()
            .push(principal("arn:aws:iam::111111111111:role/svc/lw"));
        let fix = SettingsFix {
            add_admin: Some("arn:aws:iam::111111111111:role/lw".into()),
            clear_default_permissions: false,
            min_cross_account_version: Some(4),
        };
        assert!(!modify_settings(&mut s, &fix));
        assert_eq!(s.parameters().unwrap()["CROSS_ACCOUNT_VERSION"], "5");
        assert_eq!(s.data_lake_admins().len(), 2);
    }
}
