//! A deployed environment: the configured locations registered in Lake Formation with
//! DATA_LOCATION_ACCESS for its user role, DESCRIBE / SELECT on the configured databases, the
//! role's inline statements `LakewardenDataZoneEnv…`; then its boundary ([`super::boundary`]).

use std::collections::BTreeSet;

use lakewarden::arn;
use lakewarden::config::DataZone;
use lakewarden::lf::{LfGrant, LfResource};
use lakewarden::policy::Ownership;
use lakewarden::reconcile::Action;
use lakewarden::s3loc::S3Location;
use serde_json::{json, Value};

use super::boundary::plan_boundary;
use super::{grant_or_already, locations, role_policy, DzPlan, EnvObserved, ENV_SID};

/// The role's environment statements: Glue catalog/databases/tables and the configured S3.
pub fn env_statements(cfg: &DataZone, region: &str, account: &str) -> Vec<Value> {
    let mut glue_res = vec![arn::glue_catalog(region, account)];
    for d in &cfg.databases {
        glue_res.push(arn::glue_database(region, account, d));
        glue_res.push(arn::glue_table(region, account, d, "*"));
    }
    let locs = locations(cfg);
    let mut out = vec![json!({"Sid": format!("{ENV_SID}Glue"), "Effect": "Allow",
        "Action": ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions"],
        "Resource": glue_res})];
    // Reads of Lake Formation-registered locations go through Lake Formation's credential
    // vending: the engine calls GetDataAccess as the role, which IAM must allow. Lake Formation
    // has no resource-level permissions, so its Resource is "*"; what the role may read is
    // still decided by its Lake Formation grants.
    out.push(
        json!({"Sid": format!("{ENV_SID}LakeFormation"), "Effect": "Allow",
            "Action": "lakeformation:GetDataAccess", "Resource": "*"
        }),
    );
    if !locs.is_empty() {
        let objects: BTreeSet<String> = locs.iter().map(S3Location::objects_arn).collect();
        let buckets: BTreeSet<String> = locs.iter().map(S3Location::bucket_arn).collect();
        out.push(json!({"Sid": format!("{ENV_SID}S3Read"), "Effect": "Allow", "Action": "s3:GetObject", "Resource": objects}));
        let mut list = json!({"Sid": format!("{ENV_SID}S3List"), "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": buckets});
        if locs.iter().all(|l| !l.prefix.is_empty()) {
            let p: BTreeSet<String> = locs.iter().map(|l| format!("{}*", l.prefix)).collect();
            list["Condition"] = json!({"StringLike": {"s3:prefix": p}});
        }
        out.push(list);
    }
    out
}

pub fn plan_environment(cfg: &DataZone, o: &EnvObserved) -> DzPlan {
    let mut p = DzPlan::default();
    let role = &o.role_arn;
    for loc in locations(cfg) {
        let arn = loc.location_arn();
        if o.registered.iter().any(|r| loc.covered_by(r)) {
            p.already("lakeformation.register_location", arn.clone());
        } else {
            p.push(Action::LfRegister {
                arn: arn.clone(),
                role_arn: None,
            });
        }
        grant_or_already(
            &mut p,
            LfGrant::new(
                role,
                LfResource::DataLocation {
                    catalog_id: o.account.clone(),
                    arn,
                },
                ["DATA_LOCATION_ACCESS"],
                false,
            ),
            &o.permissions,
        );
    }
    for db in &cfg.databases {
        if !o.databases_present.contains(db) {
            p.skip(
                "lakeformation.grant",
                format!("database {db}"),
                "the database does not exist",
                None,
            );
            p.attention.push(format!(
                "datazone.databases lists {db}, which does not exist in account {}",
                o.account
            ));
            continue;
        }
        grant_or_already(
            &mut p,
            LfGrant::new(
                role,
                LfResource::Database {
                    catalog_id: o.account.clone(),
                    name: db.clone(),
                },
                ["DESCRIBE"],
                false,
            ),
            &o.permissions,
        );
        grant_or_already(
            &mut p,
            LfGrant::new(
                role,
                LfResource::TableWildcard {
                    catalog_id: o.account.clone(),
                    database: db.clone(),
                },
                ["DESCRIBE", "SELECT"],
                false,
            ),
            &o.permissions,
        );
    }
    role_policy(
        &mut p,
        role,
        o.role_policy.as_ref(),
        Ownership::prefix(ENV_SID),
        env_statements(cfg, &o.region, &o.account),
    );
    plan_boundary(cfg, o, &mut p);
    p
}
