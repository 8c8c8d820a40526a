//! Pure diagnosis of zero-ETL prerequisites (seeds 000 and 001) on the side this account owns,
//! and the fixes lakewarden may make inside this account.

use lakewarden::aws::glue::DatabaseInfo;
use lakewarden::aws::glue_integrations::IntegrationInfo;
use lakewarden::aws::iam::RoleInfo;
use lakewarden::config::{IntegrationSource, IntegrationTarget, Integrations};
use lakewarden::events::{self, EventError};
use lakewarden::policy::{self, allows, Merge, Ownership};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const GLUE: &str = "glue.amazonaws.com";
pub const ROLE_POLICY: &str = "lakewarden-zero-etl";
pub const SID_PREFIX: &str = "LakewardenZeroEtl";
const CLOUDTRAIL: &str = "AWS API Call via CloudTrail";
const STATE_CHANGE: &str = "Zero-ETL Integration State Change";

/// The detail of lakewarden's `Zero-ETL Integration State Change` event.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateChange {
    pub integration_arn: String,
    #[serde(default)]
    pub integration_name: Option<String>,
    pub source_arn: String,
    pub target_arn: String,
    pub side: String,
    #[serde(default)]
    pub previous_status: Option<String>,
    pub status: String,
    #[serde(default)]
    pub errors: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    Schedule,
    /// CloudTrail CreateIntegration / CreateIntegrationResourceProperty.
    ApiCall(String),
    State(StateChange),
}

pub fn trigger(event: &Value) -> Result<Trigger, EventError> {
    let env = events::envelope(event)?;
    if events::is_scheduled(&env) {
        return Ok(Trigger::Schedule);
    }
    if env.source == "lakewarden" && env.detail_type == STATE_CHANGE {
        return Ok(Trigger::State(events::detail(&env)?));
    }
    if env.source == "aws.glue" && env.detail_type == CLOUDTRAIL {
        let name = env.detail["eventName"].as_str().unwrap_or_default();
        if name == "CreateIntegration" || name == "CreateIntegrationResourceProperty" {
            return Ok(Trigger::ApiCall(name.to_string()));
        }
        return Err(EventError(format!(
            "integration-doctor handles CloudTrail CreateIntegration and CreateIntegrationResourceProperty, not `{name}`"
        )));
    }
    Err(EventError(format!(
        "integration-doctor does not handle `{}` events from `{}`; it takes lakewarden `{STATE_CHANGE}`, aws.glue `{CLOUDTRAIL}` and aws.events `{}`",
        env.detail_type,
        env.source,
        events::SCHEDULED_EVENT
    )))
}

pub fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceObs {
    pub table: String,
    pub table_arn: Option<String>,
    pub pitr: bool,
    /// (document, revision id)
    pub policy: Option<(Value, String)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetObs {
    pub database: String,
    pub db: Option<DatabaseInfo>,
    /// None: no resource property; Some(None): one without role.
    pub property_role: Option<Option<String>>,
    pub role: Option<RoleInfo>,
    /// Every statement of the role's inline and attached policies.
    pub role_statements: Vec<Value>,
    /// lakewarden's own inline policy on the role.
    pub our_role_policy: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    pub account: String,
    pub region: String,
    /// (document, hash)
    pub catalog_policy: Option<(Value, String)>,
    pub sources: Vec<SourceObs>,
    pub targets: Vec<TargetObs>,
    pub integrations: Vec<IntegrationInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    EnablePitr {
        table: String,
    },
    PutTablePolicy {
        table_arn: String,
        document: Value,
        revision: Option<String>,
    },
    PutCatalogPolicy {
        document: Value,
        hash: Option<String>,
    },
    PutResourceProperty {
        resource_arn: String,
        role_arn: String,
        exists: bool,
    },
    UpdateTrust {
        role: String,
        document: Value,
    },
    PutRolePolicy {
        role: String,
        document: Value,
    },
    SetDatabaseLocation {
        database: String,
        location: String,
    },
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::EnablePitr { .. } => "dynamodb.enable_pitr",
            Action::PutTablePolicy { .. } => "dynamodb.put_resource_policy",
            Action::PutCatalogPolicy { .. } => "glue.put_resource_policy",
            Action::PutResourceProperty { .. } => "glue.integration_resource_property",
            Action::UpdateTrust { .. } => "iam.update_assume_role_policy",
            Action::PutRolePolicy { .. } => "iam.put_role_policy",
            Action::SetDatabaseLocation { .. } => "glue.update_database",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Verdict {
    Ok,
    /// Missing; this account can fix it.
    Fixable(Action),
    /// Missing; a person must act.
    Manual(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// e.g. `source.pitr`, `target.catalog_policy`.
    pub name: String,
    pub target: String,
    pub verdict: Verdict,
    /// What is missing, readable.
    pub detail: String,
}

fn check(name: &str, target: String, verdict: Verdict, detail: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        target,
        verdict,
        detail: detail.into(),
    }
}

fn statements_of(doc: Option<&Value>) -> Vec<Value> {
    doc.map(policy::statements).unwrap_or_default()
}

pub const EXPORT_ACTIONS: [&str; 3] = [
    "dynamodb:ExportTableToPointInTime",
    "dynamodb:DescribeTable",
    "dynamodb:DescribeExport",
];

/// The table policy statement of seed 000.
pub fn table_statement(account: &str, region: &str) -> Value {
    json!({
        "Sid": format!("{SID_PREFIX}GlueExport"), "Effect": "Allow",
        "Principal": {"Service": GLUE}, "Action": EXPORT_ACTIONS, "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account},
            "StringLike": {"aws:SourceArn": format!("arn:aws:glue:{region}:{account}:integration:*")}
        }
    })
}

pub fn source_checks(cfg: &IntegrationSource, obs: &SourceObs, o: &Observed) -> Vec<Check> {
    let t = format!("table {}", cfg.table);
    let Some(arn) = &obs.table_arn else {
        return vec![check(
            "source.table",
            t,
            Verdict::Manual(format!(
                "Create the DynamoDB table {} in account {} or fix integrations.sources",
                cfg.table, o.account
            )),
            "the table does not exist",
        )];
    };
    let mut out = Vec::new();
    out.push(if obs.pitr {
        check("source.pitr", t.clone(), Verdict::Ok, "")
    } else {
        check(
            "source.pitr",
            t.clone(),
            Verdict::Fixable(Action::EnablePitr {
                table: cfg.table.clone(),
            }),
            "point-in-time recovery is disabled",
        )
    });
    let current = obs.policy.as_ref().map(|(d, _)| d);
    let stmts = statements_of(current);
    let missing: Vec<&str> = EXPORT_ACTIONS
        .iter()
        .copied()
        .filter(|a| !allows(&stmts, Some(GLUE), a, arn))
        .collect();
    out.push(if missing.is_empty() {
        check("source.table_policy", t.clone(), Verdict::Ok, "")
    } else {
        let desired = [table_statement(&o.account, &o.region)];
        let verdict = match policy::merge(
            current,
            &Ownership::exact([format!("{SID_PREFIX}GlueExport")]),
            &desired,
        ) {
            Merge::Put(document)
                if EXPORT_ACTIONS
                    .iter()
                    .all(|a| allows(&policy::statements(&document), Some(GLUE), a, arn)) =>
            {
                Verdict::Fixable(Action::PutTablePolicy {
                    table_arn: arn.clone(),
                    document,
                    revision: obs.policy.as_ref().map(|(_, r)| r.clone()),
                })
            }
            _ => Verdict::Manual(
                "A Deny statement in the table policy blocks glue.amazonaws.com; remove it".into(),
            ),
        };
        check(
            "source.table_policy",
            t.clone(),
            verdict,
            format!(
                "the table resource policy does not allow glue.amazonaws.com {}",
                missing.join(", ")
            ),
        )
    });
    for i in o.integrations.iter().filter(|i| i.source_arn == *arn) {
        let target_account = account_of(&i.target_arn);
        if !cfg
            .allowed_target_accounts
            .iter()
            .any(|a| a == target_account)
        {
            out.push(check(
                "source.allowed_target",
                format!("integration {}", i.arn),
                Verdict::Manual(format!("Add {target_account} to integrations.sources[].allowed_target_accounts if it is intended, or delete the integration")),
                format!("the integration targets account {target_account}, which is not in allowed_target_accounts"),
            ));
        }
    }
    out
}

fn arns(o: &Observed, db: &str) -> (String, String, String) {
    (
        format!("arn:aws:glue:{}:{}:catalog", o.region, o.account),
        format!("arn:aws:glue:{}:{}:database/{db}", o.region, o.account),
        format!("arn:aws:glue:{}:{}:table/{db}/*", o.region, o.account),
    )
}

/// The catalog policy statements one target needs (seed 000 + 001).
pub fn catalog_statements(t: &IntegrationTarget, o: &Observed) -> Vec<Value> {
    let (catalog, db, tables) = arns(o, &t.database);
    let f = policy::sid_fragment(&t.database);
    let mut out = Vec::new();
    let roots: Vec<String> = t
        .allowed_source_accounts
        .iter()
        .map(|a| format!("arn:aws:iam::{a}:root"))
        .collect();
    if !roots.is_empty() {
        out.push(json!({"Sid": format!("{SID_PREFIX}Inbound{f}"), "Effect": "Allow",
            "Principal": {"AWS": roots}, "Action": "glue:CreateInboundIntegration", "Resource": [catalog, db]}));
        out.push(json!({"Sid": format!("{SID_PREFIX}Service{f}"), "Effect": "Allow",
            "Principal": {"Service": GLUE}, "Action": "glue:CreateInboundIntegration", "Resource": db,
            "Condition": {"StringEquals": {"aws:SourceAccount": t.allowed_source_accounts}}}));
    }
    out.push(json!({"Sid": format!("{SID_PREFIX}Authorize{f}"), "Effect": "Allow",
        "Principal": {"Service": GLUE}, "Action": "glue:AuthorizeInboundIntegration", "Resource": [catalog, db]}));
    out.push(
        json!({"Sid": format!("{SID_PREFIX}Tables{f}"), "Effect": "Allow",
        "Principal": {"Service": GLUE},
        "Action": ["glue:CreateTable", "glue:UpdateTable", "glue:GetDatabase", "glue:GetTable"],
        "Resource": [db, tables]}),
    );
    out
}

/// The merged catalog policy for every configured target, checked against the allowlists.
pub fn desired_catalog_policy(cfg: &Integrations, o: &Observed) -> Result<Merge, String> {
    let mut desired = Vec::new();
    let mut owned = Vec::new();
    let allowed: Vec<String> = cfg
        .targets
        .iter()
        .flat_map(|t| {
            t.allowed_source_accounts
                .iter()
                .map(|a| format!("arn:aws:iam::{a}:root"))
        })
        .chain([GLUE.to_string()])
        .collect();
    for t in &cfg.targets {
        let f = policy::sid_fragment(&t.database);
        owned.extend(
            ["Inbound", "Service", "Authorize", "Tables"].map(|k| format!("{SID_PREFIX}{k}{f}")),
        );
        desired.extend(catalog_statements(t, o));
    }
    for s in &desired {
        policy::check_statement(s, &|p| allowed.iter().any(|a| a == p))
            .map_err(|e| e.to_string())?;
    }
    Ok(policy::merge(
        o.catalog_policy.as_ref().map(|(d, _)| d),
        &Ownership::exact(owned),
        &desired,
    ))
}

/// The target role's identity permissions (seed 000).
pub fn role_statements(t: &IntegrationTarget, o: &Observed) -> Vec<Value> {
    let (catalog, db, tables) = arns(o, &t.database);
    let b = &t.bucket;
    vec![
        json!({"Sid": format!("{SID_PREFIX}GlueCatalog"), "Effect": "Allow", "Action": [
            "glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:CreateTable",
            "glue:UpdateTable", "glue:DeleteTable", "glue:CreatePartition", "glue:BatchCreatePartition",
            "glue:UpdatePartition", "glue:GetPartition", "glue:GetPartitions"], "Resource": [catalog, db, tables]}),
        json!({"Sid": format!("{SID_PREFIX}S3"), "Effect": "Allow", "Action": [
            "s3:ListBucket", "s3:GetBucketLocation", "s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
            "Resource": [format!("arn:aws:s3:::{b}"), format!("arn:aws:s3:::{b}/*")]}),
        json!({"Sid": format!("{SID_PREFIX}Logs"), "Effect": "Allow", "Action": [
            "cloudwatch:PutMetricData", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*"}),
    ]
}

/// What the target role must be allowed: (action, a resource to test it on, how to name that
/// resource to a person).
fn role_requirements(t: &IntegrationTarget, o: &Observed) -> Vec<(String, String, String)> {
    let (_, db, _) = arns(o, &t.database);
    let table = format!(
        "arn:aws:glue:{}:{}:table/{}/x",
        o.region, o.account, t.database
    );
    let tables = format!(
        "arn:aws:glue:{}:{}:table/{}/*",
        o.region, o.account, t.database
    );
    let b = &t.bucket;
    let mut out = Vec::new();
    for a in [
        "glue:GetDatabase",
        "glue:GetTables",
        "glue:CreateTable",
        "glue:UpdateTable",
        "glue:BatchCreatePartition",
    ] {
        out.push((a.to_string(), db.clone(), db.clone()));
    }
    out.push(("glue:UpdateTable".into(), table, tables));
    let bucket = format!("arn:aws:s3:::{b}");
    out.push(("s3:ListBucket".into(), bucket.clone(), bucket));
    for a in ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"] {
        out.push((
            a.to_string(),
            format!("arn:aws:s3:::{b}/data/x"),
            format!("arn:aws:s3:::{b}/*"),
        ));
    }
    out.push((
        "logs:PutLogEvents".into(),
        format!(
            "arn:aws:logs:{}:{}:log-group:/aws-glue/x",
            o.region, o.account
        ),
        format!(
            "arn:aws:logs:{}:{}:log-group:/aws-glue/*",
            o.region, o.account
        ),
    ));
    out.push(("cloudwatch:PutMetricData".into(), "*".into(), "*".into()));
    out
}

/// "a, b on X; c on Y" from (what, where) pairs, in first-seen order.
fn grouped(pairs: &[(String, String)]) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (what, at) in pairs {
        match groups.iter_mut().find(|(w, _)| *w == at.as_str()) {
            Some((_, list)) => {
                if !list.contains(&what.as_str()) {
                    list.push(what)
                }
            }
            None => groups.push((at, vec![what])),
        }
    }
    groups
        .iter()
        .map(|(at, list)| format!("{} on {at}", list.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn target_checks(
    cfg: &Integrations,
    t: &IntegrationTarget,
    obs: &TargetObs,
    o: &Observed,
) -> Vec<Check> {
    let mut out = Vec::new();
    let (catalog, db_arn, _) = arns(o, &t.database);
    let dt = format!("database {}", t.database);

    // Catalog resource policy.
    let mut needed: Vec<(&str, &str, &String)> = Vec::new();
    for s in &t.allowed_source_accounts {
        for r in [&catalog, &db_arn] {
            needed.push((s, "glue:CreateInboundIntegration", r));
        }
    }
    for r in [&catalog, &db_arn] {
        needed.push((GLUE, "glue:AuthorizeInboundIntegration", r));
    }
    let missing_in = |stmts: &[Value]| -> Vec<(String, String)> {
        needed
            .iter()
            .filter(|(p, a, r)| !allows(stmts, Some(p), a, r))
            .map(|(p, a, r)| (format!("{p} {a}"), r.to_string()))
            .collect()
    };
    let missing = missing_in(&statements_of(o.catalog_policy.as_ref().map(|(d, _)| d)));
    out.push(if missing.is_empty() {
        check("target.catalog_policy", dt.clone(), Verdict::Ok, "")
    } else {
        let verdict = match desired_catalog_policy(cfg, o) {
            Ok(Merge::Put(document)) if missing_in(&policy::statements(&document)).is_empty() => {
                Verdict::Fixable(Action::PutCatalogPolicy {
                    document,
                    hash: o.catalog_policy.as_ref().map(|(_, h)| h.clone()),
                })
            }
            Ok(_) => Verdict::Manual(
                "A Deny statement in the catalog policy blocks the integration; remove it".into(),
            ),
            Err(e) => Verdict::Manual(e),
        };
        check(
            "target.catalog_policy",
            dt.clone(),
            verdict,
            format!(
                "the Glue catalog policy does not allow {}",
                grouped(&missing)
            ),
        )
    });

    // Source accounts of inbound integrations must be allowlisted: never added otherwise.
    for i in o.integrations.iter().filter(|i| i.target_arn == db_arn) {
        let src = account_of(&i.source_arn);
        if !t.allowed_source_accounts.iter().any(|a| a == src) {
            out.push(check(
                "target.allowed_source",
                format!("integration {}", i.arn),
                Verdict::Manual(format!("Add {src} to integrations.targets[].allowed_source_accounts if this integration is intended; lakewarden never allows an account that is not listed")),
                format!("inbound integration from account {src}, which is not in allowed_source_accounts"),
            ));
        }
    }

    // The database and its location.
    match &obs.db {
        None => out.push(check(
            "target.database",
            dt.clone(),
            Verdict::Manual(format!(
                "Create the Glue database {} with LocationUri s3://{}/",
                t.database, t.bucket
            )),
            "the database does not exist",
        )),
        Some(d) if d.location_uri.as_deref().is_none_or(str::is_empty) => out.push(check(
            "target.database_location",
            dt.clone(),
            Verdict::Fixable(Action::SetDatabaseLocation {
                database: t.database.clone(),
                location: format!("s3://{}/", t.bucket),
            }),
            "the database has no LocationUri",
        )),
        Some(_) => out.push(check(
            "target.database_location",
            dt.clone(),
            Verdict::Ok,
            "",
        )),
    }

    // The integration resource property naming the target role.
    out.push(match &obs.property_role {
        Some(Some(r)) if *r == t.target_role_arn => check("target.resource_property", dt.clone(), Verdict::Ok, ""),
        Some(other) => check(
            "target.resource_property",
            dt.clone(),
            Verdict::Fixable(Action::PutResourceProperty { resource_arn: db_arn.clone(), role_arn: t.target_role_arn.clone(), exists: true }),
            format!("the integration resource property names role {} instead of {}; integrations created before keep their role (delete and recreate them)", other.clone().unwrap_or_else(|| "(none)".into()), t.target_role_arn),
        ),
        None => check(
            "target.resource_property",
            dt.clone(),
            Verdict::Fixable(Action::PutResourceProperty { resource_arn: db_arn.clone(), role_arn: t.target_role_arn.clone(), exists: false }),
            "no integration resource property (TargetProcessingProperties.RoleArn) on the database",
        ),
    });

    // The target role: trust and permissions.
    let rt = format!("role {}", t.target_role_arn);
    match &obs.role {
        None => out.push(check(
            "target.role",
            rt,
            Verdict::Manual(format!(
                "Create the role {} (it cannot be changed on an existing integration)",
                t.target_role_arn
            )),
            "the target role does not exist",
        )),
        Some(role) => {
            let trust = role
                .trust_policy
                .as_deref()
                .and_then(|d| policy::parse_document(d).ok());
            let trust_stmts = statements_of(trust.as_ref());
            out.push(if allows(&trust_stmts, Some(GLUE), "sts:AssumeRole", "*") {
                check("target.role_trust", rt.clone(), Verdict::Ok, "")
            } else {
                let stmt = json!({"Sid": format!("{SID_PREFIX}GlueTrust"), "Effect": "Allow",
                    "Principal": {"Service": GLUE}, "Action": "sts:AssumeRole"});
                match policy::merge(
                    trust.as_ref(),
                    &Ownership::exact([format!("{SID_PREFIX}GlueTrust")]),
                    &[stmt],
                ) {
                    Merge::Put(document)
                        if allows(
                            &policy::statements(&document),
                            Some(GLUE),
                            "sts:AssumeRole",
                            "*",
                        ) =>
                    {
                        check(
                            "target.role_trust",
                            rt.clone(),
                            Verdict::Fixable(Action::UpdateTrust {
                                role: t.target_role_arn.clone(),
                                document,
                            }),
                            "the role does not trust glue.amazonaws.com",
                        )
                    }
                    _ => check(
                        "target.role_trust",
                        rt.clone(),
                        Verdict::Manual(
                            "Allow glue.amazonaws.com sts:AssumeRole in the trust policy".into(),
                        ),
                        "the role does not trust glue.amazonaws.com",
                    ),
                }
            });
            let missing_in = |stmts: &[Value]| -> Vec<(String, String)> {
                role_requirements(t, o)
                    .into_iter()
                    .filter(|(a, r, _)| !allows(stmts, None, a, r))
                    .map(|(a, _, shown)| (a, shown))
                    .collect()
            };
            let missing = missing_in(&obs.role_statements);
            // The role's statements with lakewarden's inline policy replaced by `doc`.
            let with_ours = |doc: &Value| -> Vec<Value> {
                let old = statements_of(obs.our_role_policy.as_ref());
                obs.role_statements
                    .iter()
                    .filter(|s| !old.contains(s))
                    .cloned()
                    .chain(policy::statements(doc))
                    .collect()
            };
            out.push(if missing.is_empty() {
                check("target.role_permissions", rt.clone(), Verdict::Ok, "")
            } else {
                match policy::merge(
                    obs.our_role_policy.as_ref(),
                    &Ownership::prefix(SID_PREFIX),
                    &role_statements(t, o),
                ) {
                    Merge::Put(document) if missing_in(&with_ours(&document)).is_empty() => check(
                        "target.role_permissions",
                        rt.clone(),
                        Verdict::Fixable(Action::PutRolePolicy {
                            role: t.target_role_arn.clone(),
                            document,
                        }),
                        format!("the role lacks {}", grouped(&missing)),
                    ),
                    _ => check(
                        "target.role_permissions",
                        rt.clone(),
                        Verdict::Manual(
                            "A Deny or boundary blocks the role's Glue/S3/CloudWatch permissions"
                                .into(),
                        ),
                        format!("the role lacks {}", grouped(&missing)),
                    ),
                }
            });
        }
    }
    out
}

/// Every check for the configured sources and targets.
pub fn checks(cfg: &Integrations, o: &Observed) -> Vec<Check> {
    let mut out = Vec::new();
    for (s, obs) in cfg.sources.iter().zip(&o.sources) {
        out.extend(source_checks(s, obs, o));
    }
    for (t, obs) in cfg.targets.iter().zip(&o.targets) {
        out.extend(target_checks(cfg, t, obs, o));
    }
    out
}

/// What a person must do for an integration in this status.
pub fn status_advice(status: &str) -> &'static str {
    match status {
        "FAILED" => "A FAILED integration does not recover: after the prerequisites are fixed, delete it and create it again (the target role cannot be changed on an existing integration).",
        "NEEDS_ATTENTION" => "Fix the prerequisites listed above; the integration resumes by itself once they hold. If the target role is wrong, delete and recreate the integration (the role cannot be changed after creation).",
        _ => "",
    }
}

#[cfg(test)]
mod tests;
