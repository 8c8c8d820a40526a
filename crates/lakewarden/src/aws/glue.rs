//! Glue Data Catalog reads.

use aws_sdk_glue::types::{Database, Table};
use aws_sdk_glue::Client;
use serde::Serialize;

use super::{build_err, on, AwsResult};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseInfo {
    pub name: String,
    pub catalog_id: Option<String>,
    pub location_uri: Option<String>,
    /// For a resource link: the (catalog id, database) it points at.
    pub target: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableInfo {
    pub database: String,
    pub name: String,
    /// `StorageDescriptor.Location`, e.g. `s3://bucket/prefix/`.
    pub location: Option<String>,
}

fn db_info(d: &Database) -> DatabaseInfo {
    DatabaseInfo {
        name: d.name().to_string(),
        catalog_id: d.catalog_id().map(String::from),
        location_uri: d.location_uri().map(String::from),
        target: d.target_database().map(|t| {
            (
                t.catalog_id().unwrap_or_default().to_string(),
                t.database_name().unwrap_or_default().to_string(),
            )
        }),
    }
}

fn table_info(t: &Table) -> TableInfo {
    TableInfo {
        database: t.database_name().unwrap_or_default().to_string(),
        name: t.name().to_string(),
        location: t
            .storage_descriptor()
            .and_then(|s| s.location())
            .filter(|l| !l.is_empty())
            .map(String::from),
    }
}

/// Every database of a catalog (all pages). `catalog_id` None = this account's.
pub async fn get_databases(
    client: &Client,
    catalog_id: Option<&str>,
) -> AwsResult<Vec<DatabaseInfo>> {
    let mut out = Vec::new();
    let mut pages = client
        .get_databases()
        .set_catalog_id(catalog_id.map(String::from))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| catalog_name(catalog_id)))?;
        out.extend(page.database_list().iter().map(db_info));
    }
    Ok(out)
}

/// Every database of a catalog with its `Parameters` (all pages).
pub async fn get_databases_with_parameters(
    client: &Client,
    catalog_id: Option<&str>,
) -> AwsResult<Vec<(DatabaseInfo, std::collections::BTreeMap<String, String>)>> {
    let mut out = Vec::new();
    let mut pages = client
        .get_databases()
        .set_catalog_id(catalog_id.map(String::from))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| catalog_name(catalog_id)))?;
        out.extend(page.database_list().iter().map(|d| {
            let params = d
                .parameters()
                .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            (db_info(d), params)
        }));
    }
    Ok(out)
}

fn catalog_name(catalog_id: Option<&str>) -> String {
    match catalog_id {
        Some(c) => format!("Glue catalog {c}"),
        None => "this account's Glue catalog".to_string(),
    }
}

fn database_name(catalog_id: Option<&str>, name: &str) -> String {
    match catalog_id {
        Some(c) => format!("Glue database {c}:{name}"),
        None => format!("Glue database {name}"),
    }
}

fn table_name(catalog_id: Option<&str>, database: &str, name: &str) -> String {
    match catalog_id {
        Some(c) => format!("Glue table {c}:{database}.{name}"),
        None => format!("Glue table {database}.{name}"),
    }
}

/// One database, or None when it does not exist.
pub async fn get_database(
    client: &Client,
    catalog_id: Option<&str>,
    name: &str,
) -> AwsResult<Option<DatabaseInfo>> {
    match client
        .get_database()
        .set_catalog_id(catalog_id.map(String::from))
        .name(name)
        .send()
        .await
    {
        Ok(o) => Ok(o.database().map(db_info)),
        Err(e) => super::none_if_not_found(e).map_err(|e| e.on(database_name(catalog_id, name))),
    }
}

/// Every table of a database (all pages); empty when the database does not exist.
pub async fn get_tables(
    client: &Client,
    catalog_id: Option<&str>,
    database: &str,
) -> AwsResult<Vec<TableInfo>> {
    let mut out = Vec::new();
    let mut pages = client
        .get_tables()
        .set_catalog_id(catalog_id.map(String::from))
        .database_name(database)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                let e = super::AwsError::from(e);
                if e.is_not_found() {
                    return Ok(vec![]);
                }
                return Err(e.on(database_name(catalog_id, database)));
            }
        };
        out.extend(page.table_list().iter().map(|t| {
            let mut info = table_info(t);
            if info.database.is_empty() {
                info.database = database.to_string();
            }
            info
        }));
    }
    Ok(out)
}

/// Databases other accounts share with this one (`ResourceShareType=FOREIGN`), with the
/// owner's catalog id.
pub async fn get_foreign_databases(client: &Client) -> AwsResult<Vec<DatabaseInfo>> {
    let mut out = Vec::new();
    let mut pages = client
        .get_databases()
        .resource_share_type(aws_sdk_glue::types::ResourceShareType::Foreign)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on(|| "Glue databases shared with this account".to_string()))?;
        out.extend(page.database_list().iter().map(db_info));
    }
    Ok(out)
}

/// `Parameters` key naming the lakewarden function that made a Glue object (issue 11 §3).
pub const MANAGED_BY: &str = crate::ownership::glue_parameter::MANAGED_BY;
/// `Parameters` key of a resource link lakewarden made: `catalog:database` it pointed it at.
pub const LINK_TARGET: &str = crate::ownership::glue_parameter::LINK_TARGET;

/// A resource link: a local database whose `TargetDatabase` is another catalog's database,
/// marked as share-linker's ([`create_resource_link_marked`]).
pub async fn create_resource_link(
    client: &Client,
    name: &str,
    target_catalog: &str,
    target_database: &str,
) -> AwsResult<()> {
    create_resource_link_marked(
        client,
        name,
        target_catalog,
        target_database,
        "share-linker",
    )
    .await
}

/// A resource link carrying `Parameters {MANAGED_BY: managed_by, LINK_TARGET:
/// "catalog:database"}`, so that lakewarden later changes or deletes only links it made and
/// that still point where it pointed them.
pub async fn create_resource_link_marked(
    client: &Client,
    name: &str,
    target_catalog: &str,
    target_database: &str,
    managed_by: &str,
) -> AwsResult<()> {
    use aws_sdk_glue::types::{DatabaseIdentifier, DatabaseInput};
    client
        .create_database()
        .database_input(
            DatabaseInput::builder()
                .name(name)
                .description(format!("resource link kept by lakewarden {managed_by}"))
                .parameters(MANAGED_BY, managed_by)
                .parameters(LINK_TARGET, format!("{target_catalog}:{target_database}"))
                .target_database(
                    DatabaseIdentifier::builder()
                        .catalog_id(target_catalog)
                        .database_name(target_database)
                        .build(),
                )
                .build()
                .map_err(build_err)?,
        )
        .send()
        .await
        .map_err(on(|| format!("Glue resource link {name}")))?;
    Ok(())
}

pub async fn delete_database(client: &Client, name: &str) -> AwsResult<()> {
    client
        .delete_database()
        .name(name)
        .send()
        .await
        .map_err(on(|| database_name(None, name)))?;
    Ok(())
}

/// Set a database's `LocationUri`, keeping its description and parameters.
pub async fn set_database_location(client: &Client, name: &str, location: &str) -> AwsResult<()> {
    use aws_sdk_glue::types::DatabaseInput;
    let current = client
        .get_database()
        .name(name)
        .send()
        .await
        .map_err(on(|| database_name(None, name)))?;
    let db = current.database();
    let input = DatabaseInput::builder()
        .name(name)
        .set_description(db.and_then(|d| d.description()).map(String::from))
        .set_parameters(db.and_then(|d| d.parameters()).cloned())
        .location_uri(location)
        .build()
        .map_err(build_err)?;
    client
        .update_database()
        .name(name)
        .database_input(input)
        .send()
        .await
        .map_err(on(|| database_name(None, name)))?;
    Ok(())
}

/// One table (with its location), or None when it does not exist.
pub async fn get_table(
    client: &Client,
    catalog_id: Option<&str>,
    database: &str,
    name: &str,
) -> AwsResult<Option<TableInfo>> {
    match client
        .get_table()
        .set_catalog_id(catalog_id.map(String::from))
        .database_name(database)
        .name(name)
        .send()
        .await
    {
        Ok(o) => Ok(o.table().map(|t| {
            let mut i = table_info(t);
            if i.database.is_empty() {
                i.database = database.to_string();
            }
            i
        })),
        Err(e) => {
            super::none_if_not_found(e).map_err(|e| e.on(table_name(catalog_id, database, name)))
        }
    }
}

/// A table resource link in a local database pointing at another catalog's table.
pub async fn create_table_link(
    client: &Client,
    database: &str,
    name: &str,
    target_catalog: &str,
    target_database: &str,
    target_table: &str,
) -> AwsResult<()> {
    create_table_link_managed(
        client,
        database,
        name,
        target_catalog,
        target_database,
        target_table,
        None,
    )
    .await
}

/// [`create_table_link`], marked `Parameters {"lakewarden:managed-by": managed_by}` when given.
pub async fn create_table_link_managed(
    client: &Client,
    database: &str,
    name: &str,
    target_catalog: &str,
    target_database: &str,
    target_table: &str,
    managed_by: Option<&str>,
) -> AwsResult<()> {
    use aws_sdk_glue::types::{TableIdentifier, TableInput};
    client
        .create_table()
        .database_name(database)
        .table_input(
            TableInput::builder()
                .name(name)
                .set_parameters(managed_by.map(|m| {
                    std::collections::HashMap::from([(MANAGED_BY.to_string(), m.to_string())])
                }))
                .target_table(
                    TableIdentifier::builder()
                        .catalog_id(target_catalog)
                        .database_name(target_database)
                        .name(target_table)
                        .build(),
                )
                .build()
                .map_err(build_err)?,
        )
        .send()
        .await
        .map_err(on(|| format!("Glue table link {database}.{name}")))?;
    Ok(())
}

/// A table as far as resource links go: where it points (a link) and its `Parameters`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct TableLinkInfo {
    pub database: String,
    pub name: String,
    /// `TargetTable` (catalog id, database, table) when the table is a resource link.
    pub target: Option<(String, String, String)>,
    pub parameters: std::collections::BTreeMap<String, String>,
}

/// A table of this account's catalog with its link target and parameters, or None.
pub async fn get_table_link(
    client: &Client,
    database: &str,
    name: &str,
) -> AwsResult<Option<TableLinkInfo>> {
    match client
        .get_table()
        .database_name(database)
        .name(name)
        .send()
        .await
    {
        Ok(o) => Ok(o.table().map(|t| TableLinkInfo {
            database: database.to_string(),
            name: t.name().to_string(),
            target: t.target_table().map(|x| {
                (
                    x.catalog_id().unwrap_or_default().to_string(),
                    x.database_name().unwrap_or_default().to_string(),
                    x.name().unwrap_or_default().to_string(),
                )
            }),
            parameters: t
                .parameters()
                .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        })),
        Err(e) => super::none_if_not_found(e).map_err(|e| e.on(table_name(None, database, name))),
    }
}

pub async fn delete_table(client: &Client, database: &str, name: &str) -> AwsResult<()> {
    client
        .delete_table()
        .database_name(database)
        .name(name)
        .send()
        .await
        .map_err(on(|| table_name(None, database, name)))?;
    Ok(())
}
