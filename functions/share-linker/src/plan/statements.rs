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
pub const POLICY_NAME: &str = "lakewarden-share-linker";
pub const SID_PREFIX: &str = "LakewardenLink";

/// The S3 read statements for one link's tables.
pub fn s3_statements(link_name: &str, tables: &[TableInfo]) -> Vec<Value> {
    let locs: BTreeSet<S3Location> = tables
        .iter()
        .filter_map(|t| t.location.as_deref().and_then(S3Location::parse))
        .collect();
    if locs.is_empty() {
        return vec![];
    }
    let frag = policy::sid_fragment(link_name);
    let objects: BTreeSet<String> = locs.iter().map(S3Location::objects_arn).collect();
    let mut out = vec![json!({
        "Sid": format!("{SID_PREFIX}Get{frag}"), "Effect": "Allow",
        "Action": "s3:GetObject", "Resource": objects,
    })];
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
        if !prefixes.contains("") {
            let p: Vec<String> = prefixes.iter().map(|p| format!("{p}*")).collect();
            st["Condition"] = json!({"StringLike": {"s3:prefix": p}});
        }
        out.push(st);
    }
    out
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
