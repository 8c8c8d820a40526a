//! Target side (a Glue database): the catalog policy, allowlisted source accounts, the
//! database location, the integration resource property and the target role.

use lakewarden::arn::{self, Arn};
use lakewarden::config::{IntegrationTarget, Integrations};
use lakewarden::policy::{self, allows, Ownership};
use lakewarden::reconcile::{Action, PolicyTarget, PolicyWrite};
use serde_json::{json, Value};

use super::{check, Check, Diagnosis, TargetObs, Verdict, GLUE, ROLE_POLICY, SID_PREFIX};
use crate::ext::Ext;

/// (catalog, database, tables) ARNs of a target database in this account.
fn arns(o: &Diagnosis, db: &str) -> (String, String, String) {
    (
        arn::glue_catalog(&o.region, &o.account),
        arn::glue_database(&o.region, &o.account, db),
        arn::glue_table(&o.region, &o.account, db, "*"),
    )
}

/// The catalog policy statements one target needs (seed 000 + 001).
pub fn catalog_statements(t: &IntegrationTarget, o: &Diagnosis) -> Vec<Value> {
    let (catalog, db, tables) = arns(o, &t.database);
    let f = policy::sid_fragment(&t.database);
    let mut out = Vec::new();
    let roots: Vec<String> = t
        .allowed_source_accounts
        .iter()
        .map(|a| arn::account_root(a))
        .collect();
    if !roots.is_empty() {
        out.push(json!({"Sid": format!("{SID_PREFIX}Inbound{f}"), "Effect": "Allow",
            "Principal": {"AWS": roots}, "Action": "glue:CreateInboundIntegration", "Resource": [catalog, db]}));
        out.push(json!({"Sid": format!("{SID_PREFIX}Service{f}"), "Effect": "Allow",
            "Principal": {"Service": GLUE}, "Action": "glue:CreateInboundIntegration", "Resource": db,
            "Condition": {"StringEquals": {"aws:SourceAccount": t.allowed_source_accounts}}}));
    }
    // Glue authorizes on behalf of an integration whose source is a DynamoDB table: AWS's guide
    // conditions this statement on aws:SourceArn = that table (AWS Glue developer guide,
    // "Configuring a target for a zero-ETL integration", "Provide Catalog RBAC policy"). The
    // tables are not configured here, their accounts are: any table of an allowed source account
    // (this account when none is listed), in any region.
    let source_accounts: Vec<&str> = if t.allowed_source_accounts.is_empty() {
        vec![o.account.as_str()]
    } else {
        t.allowed_source_accounts
            .iter()
            .map(|a| a.as_str())
            .collect()
    };
    let source_tables: Vec<String> = source_accounts
        .iter()
        .map(|a| Arn::new("dynamodb", "*", a, "table/*").to_string())
        .collect();
    out.push(json!({"Sid": format!("{SID_PREFIX}Authorize{f}"), "Effect": "Allow",
        "Principal": {"Service": GLUE}, "Action": "glue:AuthorizeInboundIntegration", "Resource": [catalog, db],
        "Condition": {"ArnLike": {"aws:SourceArn": source_tables}}}));
    out.push(
        json!({"Sid": format!("{SID_PREFIX}Tables{f}"), "Effect": "Allow",
        "Principal": {"Service": GLUE},
        "Action": ["glue:CreateTable", "glue:UpdateTable", "glue:GetDatabase", "glue:GetTable"],
        "Resource": [db, tables]}),
    );
    out
}

/// The merge of every configured target's statements into the catalog policy, checked against
/// the allowlists; None when it changes nothing.
pub fn desired_catalog_policy(
    cfg: &Integrations,
    o: &Diagnosis,
) -> Result<Option<PolicyWrite>, String> {
    let mut desired = Vec::new();
    let mut owned = Vec::new();
    let allowed: Vec<String> = cfg
        .targets
        .iter()
        .flat_map(|t| {
            t.allowed_source_accounts
                .iter()
                .map(|a| arn::account_root(a))
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
    Ok(PolicyWrite::plan(
        PolicyTarget::GlueCatalog,
        o.catalog_policy.as_ref().map(|(d, _)| d),
        Ownership::exact(owned),
        desired,
    ))
}

/// The target role's identity permissions (seed 000).
pub fn role_statements(t: &IntegrationTarget, o: &Diagnosis) -> Vec<Value> {
    let (catalog, db, tables) = arns(o, &t.database);
    let b = &t.bucket;
    vec![
        json!({"Sid": format!("{SID_PREFIX}GlueCatalog"), "Effect": "Allow", "Action": [
            "glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:CreateTable",
            "glue:UpdateTable", "glue:DeleteTable", "glue:CreatePartition", "glue:BatchCreatePartition",
            "glue:UpdatePartition", "glue:GetPartition", "glue:GetPartitions"], "Resource": [catalog, db, tables]}),
        json!({"Sid": format!("{SID_PREFIX}S3"), "Effect": "Allow", "Action": [
            "s3:ListBucket", "s3:GetBucketLocation", "s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
            "Resource": [arn::s3(b), arn::s3(&format!("{b}/*"))]}),
        json!({"Sid": format!("{SID_PREFIX}Logs"), "Effect": "Allow", "Action": [
            "cloudwatch:PutMetricData", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*"}),
    ]
}

/// The role's identity statements for every configured target that uses it: one statement per
/// Sid holding the resources of all of them. A role shared by two targets used to get one
/// target's statements, then the other's, on every run (found by the convergence property,
/// tests/converge_props.rs).
pub fn role_statements_for(cfg: &Integrations, role: &str, o: &Diagnosis) -> Vec<Value> {
    let list = |v: &Value| match v {
        Value::Array(a) => a.clone(),
        v => vec![v.clone()],
    };
    let mut out: Vec<Value> = Vec::new();
    for t in cfg
        .targets
        .iter()
        .filter(|t| t.target_role_arn.as_str() == role)
    {
        for s in role_statements(t, o) {
            match out.iter_mut().find(|x| x["Sid"] == s["Sid"]) {
                Some(x) => {
                    let mut res = list(&x["Resource"]);
                    for r in list(&s["Resource"]) {
                        if !res.contains(&r) {
                            res.push(r);
                        }
                    }
                    x["Resource"] = if res.len() == 1 {
                        res.remove(0)
                    } else {
                        Value::Array(res)
                    };
                }
                None => out.push(s),
            }
        }
    }
    out
}

/// What the target role must be allowed: (action, a resource to test it on, how to name that
/// resource to a person).
fn role_requirements(t: &IntegrationTarget, o: &Diagnosis) -> Vec<(String, String, String)> {
    let (_, db, tables) = arns(o, &t.database);
    let table = arn::glue_table(&o.region, &o.account, &t.database, "x");
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
    let bucket = arn::s3(b);
    out.push(("s3:ListBucket".into(), bucket.clone(), bucket));
    for a in ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"] {
        out.push((
            a.to_string(),
            arn::s3(&format!("{b}/data/x")),
            arn::s3(&format!("{b}/*")),
        ));
    }
    let logs =
        |g: &str| Arn::new("logs", &o.region, &o.account, &format!("log-group:{g}")).to_string();
    out.push((
        "logs:PutLogEvents".into(),
        logs("/aws-glue/x"),
        logs("/aws-glue/*"),
    ));
    out.push(("cloudwatch:PutMetricData".into(), "*".into(), "*".into()));
    out
}

/// "a, b on X; c on Y" from (what, where) pairs, in first-seen order.
pub fn grouped(pairs: &[(String, String)]) -> String {
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

fn statements_of(doc: Option<&Value>) -> Vec<Value> {
    doc.map(policy::statements).unwrap_or_default()
}

fn catalog_check(cfg: &Integrations, t: &IntegrationTarget, o: &Diagnosis) -> Check {
    let (catalog, db_arn, _) = arns(o, &t.database);
    let dt = format!("database {}", t.database);
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
    if missing.is_empty() {
        return check("target.catalog_policy", dt, Verdict::Ok, "");
    }
    let verdict = match desired_catalog_policy(cfg, o) {
        Ok(Some(w))
            if w.planned
                .as_ref()
                .is_some_and(|doc| missing_in(&policy::statements(doc)).is_empty()) =>
        {
            Verdict::Fixable(Action::Policy(w))
        }
        Ok(_) => Verdict::Manual(
            "A Deny statement in the catalog policy blocks the integration; remove it".into(),
        ),
        Err(e) => Verdict::Manual(e),
    };
    check(
        "target.catalog_policy",
        dt,
        verdict,
        format!(
            "the Glue catalog policy does not allow {}",
            grouped(&missing)
        ),
    )
}

fn role_checks(
    cfg: &Integrations,
    t: &IntegrationTarget,
    obs: &TargetObs,
    o: &Diagnosis,
    out: &mut Vec<Check>,
) {
    let rt = format!("role {}", t.target_role_arn);
    let Some(role) = &obs.role else {
        out.push(check(
            "target.role",
            rt,
            Verdict::Manual(format!(
                "Create the role {} (it cannot be changed on an existing integration)",
                t.target_role_arn
            )),
            "the target role does not exist",
        ));
        return;
    };
    let trust = role
        .trust_policy
        .as_deref()
        .and_then(|d| policy::parse_document(d).ok());
    let trust_stmts = statements_of(trust.as_ref());
    out.push(if allows(&trust_stmts, Some(GLUE), "sts:AssumeRole", "*") {
        check("target.role_trust", rt.clone(), Verdict::Ok, "")
    } else {
        let stmt = json!({"Sid": lakewarden::ownership::sid::ZERO_ETL_GLUE_TRUST, "Effect": "Allow",
            "Principal": {"Service": GLUE}, "Action": "sts:AssumeRole"});
        let write = PolicyWrite::plan(
            PolicyTarget::IamTrust {
                role_arn: t.target_role_arn.to_string(),
            },
            trust.as_ref(),
            Ownership::exact([lakewarden::ownership::sid::ZERO_ETL_GLUE_TRUST]),
            vec![stmt],
        );
        let verdict = match write {
            Some(w)
                if w.planned.as_ref().is_some_and(|doc| {
                    allows(&policy::statements(doc), Some(GLUE), "sts:AssumeRole", "*")
                }) =>
            {
                Verdict::Fixable(Action::Policy(w))
            }
            _ => Verdict::Manual(
                "Allow glue.amazonaws.com sts:AssumeRole in the trust policy".into(),
            ),
        };
        check(
            "target.role_trust",
            rt.clone(),
            verdict,
            "the role does not trust glue.amazonaws.com",
        )
    });
    let missing_in = |stmts: &[Value]| -> Vec<(String, String)> {
        role_requirements(t, o)
            .into_iter()
            .filter(|(a, r, _)| !allows(stmts, None, a, r))
            .map(|(a, _, shown)| (a, shown))
            .collect()
    };
    let missing = missing_in(&obs.role_statements);
    if missing.is_empty() {
        out.push(check("target.role_permissions", rt, Verdict::Ok, ""));
        return;
    }
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
    let write = PolicyWrite::plan(
        PolicyTarget::IamInline {
            role_arn: t.target_role_arn.to_string(),
            name: ROLE_POLICY.into(),
        },
        obs.our_role_policy.as_ref(),
        Ownership::prefix(SID_PREFIX),
        role_statements_for(cfg, &t.target_role_arn, o),
    );
    let verdict = match write {
        Some(w)
            if w.planned
                .as_ref()
                .is_some_and(|doc| missing_in(&with_ours(doc)).is_empty()) =>
        {
            Verdict::Fixable(Action::Policy(w))
        }
        _ => Verdict::Manual(
            "A Deny or boundary blocks the role's Glue/S3/CloudWatch permissions".into(),
        ),
    };
    out.push(check(
        "target.role_permissions",
        rt,
        verdict,
        format!("the role lacks {}", grouped(&missing)),
    ));
}

pub fn target_checks(
    cfg: &Integrations,
    t: &IntegrationTarget,
    obs: &TargetObs,
    o: &Diagnosis,
) -> Vec<Check> {
    let (_, db_arn, _) = arns(o, &t.database);
    let dt = format!("database {}", t.database);
    let mut out = vec![catalog_check(cfg, t, o)];

    // Source accounts of inbound integrations must be allowlisted: never added otherwise.
    for i in o.integrations.iter().filter(|i| i.target_arn == db_arn) {
        let src = arn::account_of(&i.source_arn);
        if !t.allowed_source_accounts.iter().any(|a| a == &src) {
            out.push(check(
                "target.allowed_source",
                format!("integration {}", i.arn),
                Verdict::Manual(format!("Add {src} to integrations.targets[].allowed_source_accounts if this integration is intended; lakewarden never allows an account that is not listed")),
                format!("inbound integration from account {src}, which is not in allowed_source_accounts"),
            ));
        }
    }

    // The database and its location.
    out.push(match &obs.db {
        None => check(
            "target.database",
            dt.clone(),
            Verdict::Manual(format!(
                "Create the Glue database {} with LocationUri s3://{}/",
                t.database, t.bucket
            )),
            "the database does not exist",
        ),
        Some(d) if d.location_uri.as_deref().is_none_or(str::is_empty) => check(
            "target.database_location",
            dt.clone(),
            Verdict::Fixable(Action::Ext(Ext::SetDatabaseLocation {
                database: t.database.clone(),
                location: format!("s3://{}/", t.bucket),
            })),
            "the database has no LocationUri",
        ),
        Some(_) => check("target.database_location", dt.clone(), Verdict::Ok, ""),
    });

    // The integration resource property naming the target role.
    let property = |exists| {
        Verdict::Fixable(Action::Ext(Ext::PutResourceProperty {
            resource_arn: db_arn.clone(),
            role_arn: t.target_role_arn.to_string(),
            exists,
        }))
    };
    out.push(match &obs.property_role {
        Some(Some(r)) if *r == t.target_role_arn => {
            check("target.resource_property", dt.clone(), Verdict::Ok, "")
        }
        Some(other) => check(
            "target.resource_property",
            dt.clone(),
            property(true),
            format!("the integration resource property names role {} instead of {}; integrations created before keep their role (delete and recreate them)", other.clone().unwrap_or_else(|| "(none)".into()), t.target_role_arn),
        ),
        None => check(
            "target.resource_property",
            dt.clone(),
            property(false),
            "no integration resource property (TargetProcessingProperties.RoleArn) on the database",
        ),
    });

    role_checks(cfg, t, obs, o, &mut out);
    out
}
