//! The configured roles' inline S3 read policy: statements `LakewardenLink…` holding exactly the
//! locations of the shared tables, merged by Sid into `lakewarden-share-linker`.

use std::collections::{BTreeMap, BTreeSet};

use lakewarden::arn;
use lakewarden::aws::glue::TableInfo;
use lakewarden::policy::{self, Ownership};
use lakewarden::reconcile::{Action, Plan, PolicyTarget, PolicyWrite};
use lakewarden::s3loc::S3Location;
use serde_json::{json, Value};

/// The inline policy share-linker keeps on each configured role.
pub const POLICY_NAME: &str = lakewarden::ownership::policy_name::SHARE_LINKER;
pub const SID_PREFIX: &str = lakewarden::ownership::sid::LINK;

/// The S3 read statements for one link's tables.
///
/// Table locations are the producer's data, not configuration (issue 11 §1): a bucket is opened
/// only with the condition `s3:ResourceAccount` = the producer (the key is the account that owns
/// the bucket; AWS "Actions, resources, and condition keys for Amazon S3"), so that a table
/// pointing into a bucket of this account — or of anyone but the producer — opens nothing. A
/// bucket the link entry names in `buckets` is opened without that condition, in statements of
/// its own (`…Get<link>1`, and its `…List<link><n>`).
pub fn s3_statements(
    link_name: &str,
    producer: &str,
    buckets: &[String],
    tables: &[TableInfo],
) -> Vec<Value> {
    let locs: BTreeSet<S3Location> = tables
        .iter()
        .filter_map(|t| t.location.as_deref().and_then(S3Location::parse))
        .collect();
    if locs.is_empty() {
        return vec![];
    }
    let named = |l: &S3Location| buckets.contains(&l.bucket);
    let owner = json!({"s3:ResourceAccount": producer});
    let frag = policy::sid_fragment(link_name);
    let mut out = Vec::new();
    for (suffix, is_named) in [("", false), ("1", true)] {
        let objects: BTreeSet<String> = locs
            .iter()
            .filter(|l| named(l) == is_named)
            .map(S3Location::objects_arn)
            .collect();
        if objects.is_empty() {
            continue;
        }
        let mut st = json!({
            "Sid": format!("{SID_PREFIX}Get{frag}{suffix}"), "Effect": "Allow",
            "Action": "s3:GetObject", "Resource": objects,
        });
        if !is_named {
            st["Condition"] = json!({"StringEquals": owner});
        }
        out.push(st);
    }
    let mut by_bucket: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for l in &locs {
        by_bucket.entry(&l.bucket).or_default().insert(&l.prefix);
    }
    for (i, (bucket, prefixes)) in by_bucket.iter().enumerate() {
        let mut st = json!({
            "Sid": format!("{SID_PREFIX}List{frag}{}", if i == 0 { String::new() } else { i.to_string() }),
            "Effect": "Allow", "Action": "s3:ListBucket",
            "Resource": arn::s3(bucket),
        });
        let mut cond = serde_json::Map::new();
        if !prefixes.contains("") {
            let p: Vec<String> = prefixes.iter().map(|p| format!("{p}*")).collect();
            cond.insert("StringLike".into(), json!({"s3:prefix": p}));
        }
        if !buckets.iter().any(|b| b == bucket) {
            cond.insert("StringEquals".into(), owner.clone());
        }
        if !cond.is_empty() {
            st["Condition"] = Value::Object(cond);
        }
        out.push(st);
    }
    out
}

/// The locations to open for one shared database, compacted (issue 12 §1): when every table
/// with a location lies under the database's `LocationUri`, that one location stands for them
/// all (a role's inline policies share IAM's 10,240 characters; one object ARN per table passes
/// it at about a hundred tables). Otherwise the tables as they are. The database location is
/// the producer's data as much as the table locations are: it is opened only under the same
/// `s3:ResourceAccount` = producer condition ([`s3_statements`]).
pub fn compact_tables(db: &str, db_location: Option<&str>, tables: &[TableInfo]) -> Vec<TableInfo> {
    let Some(outer) = db_location.and_then(S3Location::parse) else {
        return tables.to_vec();
    };
    let located: Vec<Option<S3Location>> = tables
        .iter()
        .filter_map(|t| t.location.as_deref())
        .map(S3Location::parse)
        .collect();
    let all_within = !located.is_empty()
        && located
            .iter()
            .all(|l| l.as_ref().is_some_and(|l| l.within(&outer)));
    if !all_within {
        return tables.to_vec();
    }
    vec![TableInfo {
        database: db.to_string(),
        name: String::new(),
        location: db_location.map(String::from),
    }]
}

/// Merge each role's desired statements into its inline policy (roles observed only).
pub fn plan_role_policies(
    p: &mut Plan,
    current: &BTreeMap<String, Option<Value>>,
    desired: &BTreeMap<String, Vec<Value>>,
) {
    for (role, doc) in current {
        let want = desired.get(role).cloned().unwrap_or_default();
        let target = PolicyTarget::IamInline {
            role_arn: role.clone(),
            name: POLICY_NAME.into(),
        };
        match PolicyWrite::plan(
            target.clone(),
            doc.as_ref(),
            Ownership::prefix(SID_PREFIX),
            want.clone(),
        ) {
            Some(w) => p.push(Action::Policy(w)),
            None if !want.is_empty() => p.already("iam.put_role_policy", target.describe()),
            None => {}
        }
    }
}
