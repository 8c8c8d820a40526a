//! The environment role's permissions boundary: evaluated, never removed; with
//! `boundary_copy`, a customer-managed copy widened by exactly the configured prefixes is
//! created (or given a new version) and attached, when it fits IAM's size limit.

use std::collections::BTreeSet;

use lakewarden::arn;
use lakewarden::config::DataZone;
use lakewarden::policy::{self, Merge, Ownership};
use lakewarden::s3loc::S3Location;
use serde_json::{json, Value};

use super::{
    locations, DzPlan, EnvObserved, BOUNDARY_SID, MANAGED_POLICY_MAX, MAX_POLICY_VERSIONS,
};
use crate::ext::Ext;

/// Characters IAM counts for a policy (whitespace is not counted).
pub fn policy_size(doc: &Value) -> usize {
    doc.to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => vec![],
    }
}

/// Whether a boundary allows `s3:ListBucket` on `bucket` for keys under `prefix`, following
/// the `s3:prefix` conditions of its statements (other conditions are not evaluated).
pub fn boundary_allows_list(doc: &Value, loc: &S3Location) -> bool {
    let bucket_arn = loc.bucket_arn();
    let matches = |s: &Value| {
        strings(&s["Action"])
            .iter()
            .any(|a| policy::wildcard_match(a, "s3:ListBucket", true))
            && strings(&s["Resource"])
                .iter()
                .any(|r| policy::wildcard_match(r, &bucket_arn, false))
            && {
                let cond = &s["Condition"];
                let mut patterns = Vec::new();
                let mut has_prefix_condition = false;
                if let Some(ops) = cond.as_object() {
                    for (op, block) in ops {
                        if let Some(v) = block.get("s3:prefix") {
                            has_prefix_condition = true;
                            let like = op.contains("Like");
                            patterns.extend(strings(v).into_iter().map(|p| (p, like)));
                        }
                    }
                }
                !has_prefix_condition
                    || patterns.iter().any(|(p, like)| {
                        if *like {
                            policy::wildcard_match(p, &loc.prefix, false)
                        } else {
                            p == &loc.prefix
                        }
                    })
            }
    };
    let stmts = policy::statements(doc);
    let effect = |s: &Value, e: &str| s["Effect"].as_str() == Some(e);
    !stmts.iter().any(|s| effect(s, "Deny") && matches(s))
        && stmts.iter().any(|s| effect(s, "Allow") && matches(s))
}

/// Whether a statement allows `s3:ListBucket` under an `s3:prefix` condition of a `…Like`
/// operator; returns that operator.
fn list_bucket_prefix_operator(stmt: &Value) -> Option<String> {
    if stmt["Effect"].as_str() != Some("Allow")
        || !strings(&stmt["Action"])
            .iter()
            .any(|a| policy::wildcard_match(a, "s3:ListBucket", true))
    {
        return None;
    }
    let ops = stmt["Condition"].as_object()?;
    let with_prefix: Vec<&String> = ops
        .iter()
        .filter(|(_, block)| block.get("s3:prefix").is_some())
        .map(|(op, _)| op)
        .collect();
    match with_prefix.as_slice() {
        [op] if op.contains("StringLike") => Some((*op).clone()),
        _ => None,
    }
}

/// The boundary copy: `base` (the boundary the role had) with the configured prefixes (`order/*`)
/// added to the `s3:prefix` condition of its `s3:ListBucket` statement(s), everything else
/// unchanged. A boundary without such a statement gets one of lakewarden's own (Sid
/// `LakewardenDataZoneListBucket`) for the configured buckets and prefixes; a bucket configured
/// without prefixes gets `s3:ListBucket` on that bucket alone. Widening twice changes nothing.
pub fn widened_boundary(base: &Value, cfg: &DataZone) -> Value {
    let locs = locations(cfg);
    let mut patterns: Vec<String> = Vec::new();
    for l in locs.iter().filter(|l| !l.prefix.is_empty()) {
        let p = format!("{}*", l.prefix);
        if !patterns.contains(&p) {
            patterns.push(p);
        }
    }
    let prefixed: BTreeSet<String> = locs
        .iter()
        .filter(|l| !l.prefix.is_empty())
        .map(S3Location::bucket_arn)
        .collect();
    let whole: BTreeSet<String> = locs
        .iter()
        .filter(|l| l.prefix.is_empty())
        .map(S3Location::bucket_arn)
        .collect();
    let mut widened_any = false;
    let statements: Vec<Value> = policy::statements(base)
        .into_iter()
        .map(|mut stmt| {
            if patterns.is_empty()
                || policy::sid(&stmt).is_some_and(|s| s.starts_with(BOUNDARY_SID))
            {
                return stmt;
            }
            if let Some(op) = list_bucket_prefix_operator(&stmt) {
                widened_any = true;
                let mut list = strings(&stmt["Condition"][&op]["s3:prefix"]);
                for p in &patterns {
                    if !list.contains(p) {
                        list.push(p.clone());
                    }
                }
                stmt["Condition"][&op]["s3:prefix"] = json!(list);
            }
            stmt
        })
        .collect();
    let mut doc = base.clone();
    doc["Statement"] = json!(statements);
    let mut own = Vec::new();
    if !widened_any && !patterns.is_empty() {
        own.push(json!({"Sid": BOUNDARY_SID, "Effect": "Allow", "Action": "s3:ListBucket", "Resource": prefixed,
            "Condition": {"StringLike": {"s3:prefix": patterns}}}));
    }
    if !whole.is_empty() {
        own.push(json!({"Sid": format!("{BOUNDARY_SID}Buckets"), "Effect": "Allow", "Action": "s3:ListBucket", "Resource": whole}));
    }
    match policy::merge(Some(&doc), &Ownership::prefix(BOUNDARY_SID), &own) {
        Merge::Put(d) => d,
        _ => doc,
    }
}

/// The description of a boundary copy, naming the boundary it was made from.
pub fn copy_description(source: &str) -> String {
    format!("{COPY_DESCRIPTION_PREFIX}{source} (s3:ListBucket widened by lakewarden to the prefixes of datazone.buckets)")
}

/// The boundary a copy was made from, from its description.
pub fn copy_source(description: &str) -> Option<String> {
    description
        .strip_prefix(COPY_DESCRIPTION_PREFIX)?
        .split_whitespace()
        .next()
        .map(String::from)
}

const COPY_DESCRIPTION_PREFIX: &str = "lakewarden copy of ";

pub fn boundary_copy_name(role_arn: &str) -> String {
    let role = arn::Arn::parse(role_arn)
        .map(|a| a.resource_name().to_string())
        .unwrap_or_else(|| "role".into());
    format!(
        "{}{role}",
        lakewarden::ownership::policy_name::BOUNDARY_COPY_PREFIX
    )
}

/// The version to delete before adding one when IAM's limit of versions is reached: the oldest
/// that is not the default.
pub fn version_to_prune(versions: &[(String, bool)]) -> Option<String> {
    if versions.len() < MAX_POLICY_VERSIONS {
        return None;
    }
    versions
        .iter()
        .filter(|(_, default)| !default)
        .map(|(v, _)| v.clone())
        .min_by_key(|v| v.trim_start_matches('v').parse::<u64>().unwrap_or(0))
}

/// Evaluate the role's boundary for the configured locations (a note in the report) and, with
/// `boundary_copy`, plan lakewarden's widened copy.
pub fn plan_boundary(cfg: &DataZone, o: &EnvObserved, p: &mut DzPlan) {
    // The boundary: never removed; evaluated; optionally a widened copy.
    let role = &o.role_arn;
    let Some(doc) = &o.boundary_doc else {
        p.notes
            .push(json!({"boundary": null, "note": "the role has no permissions boundary"}));
        return;
    };
    let evaluation: Vec<Value> = locations(cfg)
        .iter()
        .map(|l| json!({"location": l.to_string(), "list_bucket_allowed": boundary_allows_list(doc, l)}))
        .collect();
    let blocked = evaluation.iter().any(|e| e["list_bucket_allowed"] == false);
    p.notes.push(json!({"boundary": o.boundary_arn, "evaluation": evaluation,
        "note": if blocked { "the boundary blocks s3:ListBucket on some configured prefixes; Athena still reads them through the Lake Formation registration" } else { "the boundary allows s3:ListBucket on every configured prefix" }}));
    if !cfg.boundary_copy {
        return;
    }
    // The copy is always made from the boundary the role had before lakewarden's copy, so that
    // it holds exactly the prefixes configured now.
    let on_copy = o
        .copy
        .as_ref()
        .is_some_and(|(arn, _, _)| o.boundary_arn.as_deref() == Some(arn.as_str()));
    let (base_arn, base) = match (&o.copy_source, on_copy) {
        (Some((arn, d)), true) => (arn.clone(), d),
        (None, true) => {
            p.attention.push(format!("The boundary of {role} is lakewarden's copy, but the boundary it was copied from is unknown or gone: the copy was left as it is"));
            return;
        }
        (_, false) => (o.boundary_arn.clone().unwrap_or_default(), doc),
    };
    if !on_copy && !blocked {
        return;
    }
    let size = policy_size(base);
    if size > MANAGED_POLICY_MAX {
        p.skip("iam.create_boundary_copy", format!("boundary of {role}"), format!("the boundary is {size} characters; a customer-managed copy may have at most {MANAGED_POLICY_MAX}"), None);
        p.attention.push(format!(
            "boundary_copy is set, but the permissions boundary {base_arn} of {role} is {size} characters (whitespace not counted), over IAM's {MANAGED_POLICY_MAX}-character limit for a customer-managed policy, so no copy was made. The boundary was left as it is; Athena reads the configured prefixes through the Lake Formation registration. To allow s3:ListBucket there as well, attach a smaller boundary of your own."
        ));
        return;
    }
    let widened = widened_boundary(base, cfg);
    let wsize = policy_size(&widened);
    if wsize > MANAGED_POLICY_MAX {
        p.skip(
            "iam.create_boundary_copy",
            format!("boundary of {role}"),
            format!("the widened copy would be {wsize} characters; at most {MANAGED_POLICY_MAX}"),
            None,
        );
        p.attention.push(format!("boundary_copy is set, but the widened copy of {base_arn} for {role} would be {wsize} characters (whitespace not counted), over IAM's {MANAGED_POLICY_MAX}-character limit: not written; the boundary was left as it is"));
        return;
    }
    let after: Vec<Value> = locations(cfg)
        .iter()
        .map(|l| json!({"location": l.to_string(), "list_bucket_allowed": boundary_allows_list(&widened, l)}))
        .collect();
    p.notes
        .push(json!({"boundary_copy_of": base_arn, "evaluation_with_copy": after}));
    match &o.copy {
        None => {
            let name = boundary_copy_name(role);
            p.push_ext(Ext::CreateBoundaryCopy {
                name: name.clone(),
                document: widened,
                description: copy_description(&base_arn),
            });
            p.push_ext(Ext::AttachBoundary {
                role: role.clone(),
                arn: arn::iam_policy(&o.account, &name),
            });
        }
        Some((arn, current, versions)) => {
            if policy::canonical(current) == policy::canonical(&widened) {
                p.already("iam.update_boundary_copy", arn.clone());
            } else {
                // IAM keeps five versions: the oldest non-default one goes first.
                if let Some(version) = version_to_prune(versions) {
                    p.push_ext(Ext::DeleteBoundaryVersion {
                        arn: arn.clone(),
                        version,
                    });
                }
                p.push_ext(Ext::UpdateBoundaryCopy {
                    arn: arn.clone(),
                    document: widened,
                });
            }
            if on_copy {
                p.already(
                    "iam.put_role_permissions_boundary",
                    format!("{role} boundary {arn}"),
                );
            } else {
                p.push_ext(Ext::AttachBoundary {
                    role: role.clone(),
                    arn: arn.clone(),
                });
            }
        }
    }
}
