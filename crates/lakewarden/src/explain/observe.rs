//! What `explain` reads: everything on the access path of one principal to one table, through
//! the existing adapters (plus Lake Formation's data-lake settings and IAM's policy simulator,
//! which no function reads). Every read that fails is kept as its error, for the evidence.

use serde_json::Value;

use super::eval::NamedPolicy;
use super::TableRef;
use crate::aws::glue::{self, TableInfo};
use crate::aws::ram::Invitation;
use crate::aws::{self, Aws, AwsError};
use crate::lf::LfState;
use crate::s3loc::S3Location;

/// How DATABASE resolves.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// Not found (or not readable) in the catalog it was looked up in.
    Missing {
        catalog: String,
        error: Option<String>,
    },
    /// A database of the principal's own account.
    Local { catalog: String, database: String },
    /// A resource link of the principal's account pointing at `catalog:database`.
    Link {
        link: String,
        catalog: String,
        database: String,
    },
    /// Addressed directly in another account's catalog (`CATALOG_ID:DATABASE.TABLE`).
    Direct { catalog: String, database: String },
}

impl Resolution {
    /// (catalog, database) where the table lives.
    pub fn target(&self) -> Option<(&str, &str)> {
        match self {
            Resolution::Missing { .. } => None,
            Resolution::Local { catalog, database }
            | Resolution::Link {
                catalog, database, ..
            }
            | Resolution::Direct { catalog, database } => Some((catalog, database)),
        }
    }
}

/// Lake Formation data-lake settings, as far as explain needs them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LfSettings {
    pub account: String,
    pub iam_allowed_database_default: bool,
    pub iam_allowed_table_default: bool,
    pub admins: Vec<String>,
    pub cross_account_version: Option<String>,
}

/// One answer of iam:SimulatePrincipalPolicy.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulated {
    pub action: String,
    pub resource: String,
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub decision: String,
    pub allowed_by_boundary: Option<bool>,
}

/// One request the principal's query makes, to be evaluated against its policies.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub action: String,
    pub resource: String,
    /// `s3:prefix` of a ListBucket.
    pub prefix: Option<String>,
}

pub type Read<T> = Result<T, String>;

/// Everything explain read.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub principal: String,
    /// The principal's IAM ARN (a session ARN is turned into its role's ARN; the role's real ARN,
    /// with its path, once read).
    pub principal_arn: String,
    pub principal_account: String,
    pub is_role: bool,
    pub caller_account: Read<String>,
    pub region: String,
    pub table: TableRef,
    pub resolution: Resolution,
    /// Whether the principal's account can see the target database (cross-account only).
    pub target_visible: Option<Read<bool>>,
    pub producer_view: bool,
    /// The table, and which side it was read from.
    pub table_info: Read<Option<TableInfo>>,
    pub table_seen_from: &'static str,
    pub consumer_settings: Read<LfSettings>,
    pub producer_settings: Option<Read<LfSettings>>,
    pub invitations: Option<Read<Vec<Invitation>>>,
    pub consumer_grants: Read<LfState>,
    pub producer_grants: Option<Read<LfState>>,
    /// Registered locations of the table owner's account (None: not readable from here).
    pub registered: Option<Read<Vec<String>>>,
    pub identity: Read<Vec<NamedPolicy>>,
    pub boundary: Read<Option<NamedPolicy>>,
    pub checks: Vec<Check>,
    pub simulation: Read<Vec<Simulated>>,
    pub bucket_policy: Option<Read<Option<Value>>>,
}

fn s(e: AwsError) -> String {
    e.to_string()
}

/// `arn:PARTITION:sts::A:assumed-role/NAME/session` → `arn:PARTITION:iam::A:role/NAME` (the
/// partition kept, through [`crate::lfsettings::principal_arn`]); an IAM ARN as given; anything
/// else as given with no account. Also whether it is a role.
pub fn principal_arn_of(principal: &str) -> (String, String, bool) {
    let Some(arn) = crate::arn::Arn::parse(principal) else {
        return (principal.to_string(), String::new(), false);
    };
    match arn.service.as_str() {
        "sts" if arn.resource.starts_with("assumed-role/") => {
            match crate::lfsettings::principal_arn(principal) {
                Some(role) => (role, arn.account, true),
                None => (principal.to_string(), arn.account, false),
            }
        }
        "iam" => (
            principal.to_string(),
            arn.account.clone(),
            arn.resource.starts_with("role/"),
        ),
        _ => (principal.to_string(), String::new(), false),
    }
}

#[cfg(test)]
#[test]
fn an_assumed_role_keeps_its_partition() {
    assert_eq!(
        principal_arn_of("arn:aws-cn:sts::111111111111:assumed-role/r/s"),
        (
            "arn:aws-cn:iam::111111111111:role/r".to_string(),
            "111111111111".to_string(),
            true
        )
    );
    assert_eq!(
        principal_arn_of("arn:aws:iam::222222222222:user/u"),
        (
            "arn:aws:iam::222222222222:user/u".to_string(),
            "222222222222".to_string(),
            false
        )
    );
    assert_eq!(
        principal_arn_of("222222222222"),
        ("222222222222".to_string(), String::new(), false)
    );
}

/// The requests a query of the table makes: Glue metadata on the catalog, database and table
/// (for a link: on the link and on its target) and Lake Formation's credential vending.
pub fn glue_checks(region: &str, names: &[(String, String, String)]) -> Vec<Check> {
    let mut out = Vec::new();
    for (catalog, db, table) in names {
        let cat = format!("arn:aws:glue:{region}:{catalog}:catalog");
        let dba = format!("arn:aws:glue:{region}:{catalog}:database/{db}");
        let ta = format!("arn:aws:glue:{region}:{catalog}:table/{db}/{table}");
        for r in [&cat, &dba] {
            out.push(Check {
                action: "glue:GetDatabase".into(),
                resource: r.clone(),
                prefix: None,
            });
        }
        for r in [&cat, &dba, &ta] {
            out.push(Check {
                action: "glue:GetTable".into(),
                resource: r.clone(),
                prefix: None,
            });
        }
    }
    out.push(Check {
        action: "lakeformation:GetDataAccess".into(),
        resource: "*".into(),
        prefix: None,
    });
    out
}

/// The S3 requests of a query that reads the table's files itself (no credential vending).
pub fn s3_checks(loc: &S3Location) -> Vec<Check> {
    vec![
        Check {
            action: "s3:GetObject".into(),
            resource: format!("arn:aws:s3:::{}/{}", loc.bucket, loc.prefix),
            prefix: None,
        },
        Check {
            action: "s3:ListBucket".into(),
            resource: loc.bucket_arn(),
            prefix: Some(loc.prefix.clone()),
        },
    ]
}

async fn settings(aws: &Aws, account: &str) -> Read<LfSettings> {
    let out = aws
        .lakeformation
        .get_data_lake_settings()
        .catalog_id(account)
        .send()
        .await
        .map_err(|e| s(e.into()))?;
    let Some(d) = out.data_lake_settings() else {
        return Ok(LfSettings {
            account: account.into(),
            ..Default::default()
        });
    };
    let iam_allowed = |l: &[aws_sdk_lakeformation::types::PrincipalPermissions]| {
        l.iter().any(|p| {
            p.principal()
                .and_then(|p| p.data_lake_principal_identifier())
                == Some("IAM_ALLOWED_PRINCIPALS")
        })
    };
    Ok(LfSettings {
        account: account.into(),
        iam_allowed_database_default: iam_allowed(d.create_database_default_permissions()),
        iam_allowed_table_default: iam_allowed(d.create_table_default_permissions()),
        admins: d
            .data_lake_admins()
            .iter()
            .filter_map(|p| p.data_lake_principal_identifier().map(String::from))
            .collect(),
        cross_account_version: d
            .parameters()
            .and_then(|p| p.get("CROSS_ACCOUNT_VERSION").cloned()),
    })
}

async fn identity_policies(aws: &Aws, role: &str) -> Read<Vec<NamedPolicy>> {
    let mut out = Vec::new();
    for name in aws::iam::list_role_policies(&aws.iam, role)
        .await
        .map_err(s)?
    {
        if let Some(doc) = aws::iam::get_role_policy(&aws.iam, role, &name)
            .await
            .map_err(s)?
        {
            out.push(NamedPolicy {
                name: format!("inline policy {name}"),
                document: serde_json::from_str(&doc).map_err(|e| e.to_string())?,
            });
        }
    }
    for arn in aws::iam::list_attached_role_policies(&aws.iam, role)
        .await
        .map_err(s)?
    {
        if let Some(p) = aws::iam::get_managed_policy(&aws.iam, &arn)
            .await
            .map_err(s)?
        {
            out.push(NamedPolicy {
                name: format!("managed policy {arn}"),
                document: serde_json::from_str(&p.document).map_err(|e| e.to_string())?,
            });
        }
    }
    Ok(out)
}

async fn simulate(aws: &Aws, principal: &str, checks: &[Check]) -> Read<Vec<Simulated>> {
    use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum};
    let mut out = Vec::new();
    for c in checks {
        let mut req = aws
            .iam
            .simulate_principal_policy()
            .policy_source_arn(principal)
            .action_names(&c.action)
            .resource_arns(&c.resource);
        if let Some(p) = &c.prefix {
            req = req.context_entries(
                ContextEntry::builder()
                    .context_key_name("s3:prefix")
                    .context_key_values(p)
                    .context_key_type(ContextKeyTypeEnum::String)
                    .build(),
            );
        }
        let res = req.send().await.map_err(|e| {
            let e = AwsError::from(e);
            // Keep the evidence readable: the code, or the first clause of a transport error.
            let msg: String = e
                .message
                .split(" (")
                .next()
                .unwrap_or("")
                .chars()
                .take(120)
                .collect();
            match &e.code {
                Some(c) => format!("{c}: {msg}"),
                None => format!("no usable answer: {msg}"),
            }
        })?;
        let Some(r) = res.evaluation_results().first() else {
            return Err("SimulatePrincipalPolicy returned no evaluation result".into());
        };
        out.push(Simulated {
            action: c.action.clone(),
            resource: c.resource.clone(),
            decision: r.eval_decision().as_str().to_string(),
            allowed_by_boundary: r
                .permissions_boundary_decision_detail()
                .map(|d| d.allowed_by_permissions_boundary()),
        });
    }
    Ok(out)
}

/// Read everything on the path. `consumer` acts in the principal's account, `producer` (when
/// given) in the table owner's. Nothing is written.
pub async fn observe(
    consumer: &Aws,
    producer: Option<&Aws>,
    principal: &str,
    table: &TableRef,
) -> Observed {
    let (mut principal_arn, principal_account, is_role) = principal_arn_of(principal);
    let caller_account = consumer.account_id().await.map_err(s);
    let me = caller_account.clone().unwrap_or_default();
    let region = consumer.region.clone();

    // Where the table lives.
    let resolution = match &table.catalog_id {
        Some(c) if *c != me => Resolution::Direct {
            catalog: c.clone(),
            database: table.database.clone(),
        },
        _ => match glue::get_database(&consumer.glue, None, &table.database).await {
            Ok(Some(d)) => match d.target {
                Some((cat, db)) if !db.is_empty() => Resolution::Link {
                    link: table.database.clone(),
                    catalog: if cat.is_empty() { me.clone() } else { cat },
                    database: db,
                },
                _ => Resolution::Local {
                    catalog: me.clone(),
                    database: table.database.clone(),
                },
            },
            Ok(None) => Resolution::Missing {
                catalog: me.clone(),
                error: None,
            },
            Err(e) => Resolution::Missing {
                catalog: me.clone(),
                error: Some(s(e)),
            },
        },
    };
    let target = resolution
        .target()
        .map(|(c, d)| (c.to_string(), d.to_string()));
    let cross = target.as_ref().is_some_and(|(c, _)| *c != me);
    let producer_view = cross && producer.is_some();

    let target_visible = match (&target, cross) {
        (Some((c, d)), true) => Some(
            glue::get_database(&consumer.glue, Some(c), d)
                .await
                .map(|o| o.is_some())
                .map_err(s),
        ),
        _ => None,
    };

    // The table, from the principal's side first.
    let mut table_seen_from = "principal's account";
    let mut table_info = match &target {
        Some((c, d)) => glue::get_table(
            &consumer.glue,
            if cross { Some(c.as_str()) } else { None },
            d,
            &table.table,
        )
        .await
        .map_err(s),
        None => Ok(None),
    };
    if let (Some(p), Some((_, d)), true) = (producer, &target, cross) {
        if !matches!(table_info, Ok(Some(_))) {
            table_info = glue::get_table(&p.glue, None, d, &table.table)
                .await
                .map_err(s);
            table_seen_from = "producer account";
        }
    }

    let consumer_settings = settings(consumer, &me).await;
    let producer_settings = match (producer, &target, cross) {
        (Some(p), Some((c, _)), true) => Some(settings(p, c).await),
        _ => None,
    };
    let invitations = if cross {
        Some(aws::ram::list_invitations(&consumer.ram).await.map_err(s))
    } else {
        None
    };

    // Grants made in the principal's account (on its own and on shared resources).
    let mut consumer_grants = aws::lakeformation::list_permissions(&consumer.lakeformation, &me)
        .await
        .map_err(s);
    if let (Ok(state), Some((c, _)), true) = (&mut consumer_grants, &target, cross) {
        // Grants on the producer's resources, where AWS lists them under its catalog id.
        if let Ok(more) = aws::lakeformation::list_permissions(&consumer.lakeformation, c).await {
            for g in more.iter() {
                state.add(g);
            }
        }
    }
    let producer_grants = match (producer, &target, cross) {
        (Some(p), Some((c, _)), true) => Some(
            aws::lakeformation::list_permissions(&p.lakeformation, c)
                .await
                .map_err(s),
        ),
        _ => None,
    };

    let location = table_info
        .as_ref()
        .ok()
        .and_then(|t| t.as_ref())
        .and_then(|t| t.location.as_deref())
        .and_then(S3Location::parse);
    let owner_side: Option<&Aws> = if cross { producer } else { Some(consumer) };
    let registered = match owner_side {
        Some(a) if target.is_some() => Some(
            aws::lakeformation::list_resources(&a.lakeformation)
                .await
                .map_err(s),
        ),
        _ => None,
    };

    // The principal's policies.
    let role_name = aws::iam::role_name(&principal_arn).to_string();
    let mut boundary: Read<Option<NamedPolicy>> = Ok(None);
    let identity = if is_role {
        match aws::iam::get_role(&consumer.iam, &role_name).await {
            Ok(Some(r)) => {
                principal_arn = r.arn.clone();
                if let Some(b) = &r.boundary_arn {
                    boundary = match aws::iam::get_managed_policy(&consumer.iam, b).await {
                        Ok(Some(p)) => serde_json::from_str(&p.document)
                            .map(|d| {
                                Some(NamedPolicy {
                                    name: format!("boundary {b}"),
                                    document: d,
                                })
                            })
                            .map_err(|e| e.to_string()),
                        Ok(None) => Err(format!("boundary {b} not found")),
                        Err(e) => Err(s(e)),
                    };
                }
                identity_policies(consumer, &role_name).await
            }
            Ok(None) => {
                boundary = Err(format!("role {role_name} not found"));
                Err(format!(
                    "role {role_name} not found in account {me} (explain runs with the credentials of the principal's account)"
                ))
            }
            Err(e) => {
                boundary = Err(s(e.clone()));
                Err(s(e))
            }
        }
    } else {
        boundary = Err(
            "only roles' policies are read; users are evaluated with iam:SimulatePrincipalPolicy"
                .into(),
        );
        Err(
            "only roles' policies are read; users are evaluated with iam:SimulatePrincipalPolicy"
                .into(),
        )
    };

    let mut names = Vec::new();
    if let (Resolution::Link { link, .. }, Ok(me)) = (&resolution, &caller_account) {
        names.push((me.clone(), link.clone(), table.table.clone()));
    }
    if let Some((c, d)) = &target {
        names.push((c.clone(), d.clone(), table.table.clone()));
    }
    let mut checks = glue_checks(&region, &names);
    if let Some(l) = &location {
        checks.extend(s3_checks(l));
    }
    let simulation = simulate(consumer, &principal_arn, &checks).await;

    let bucket_policy = match &location {
        Some(l) => {
            let side = if cross { producer } else { Some(consumer) };
            match side {
                Some(a) => Some(
                    aws::s3::get_bucket_policy(&a.s3, &l.bucket)
                        .await
                        .map_err(s)
                        .and_then(|o| match o {
                            None => Ok(None),
                            Some(t) => serde_json::from_str(&t)
                                .map(Some)
                                .map_err(|e| e.to_string()),
                        }),
                ),
                None => None,
            }
        }
        None => None,
    };

    Observed {
        principal: principal.to_string(),
        principal_arn,
        principal_account,
        is_role,
        caller_account,
        region,
        table: table.clone(),
        resolution,
        target_visible,
        producer_view,
        table_info,
        table_seen_from,
        consumer_settings,
        producer_settings,
        invitations,
        consumer_grants,
        producer_grants,
        registered,
        identity,
        boundary,
        checks,
        simulation,
        bucket_policy,
    }
}
