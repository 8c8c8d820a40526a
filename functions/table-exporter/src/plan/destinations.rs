//! Destination side: lakewarden's statement in each destination bucket's policy, merged by Sid.

use std::collections::{BTreeMap, BTreeSet};

use lakewarden::arn;
use lakewarden::aws::AwsError;
use lakewarden::config::ExportDestination;
use lakewarden::policy::{self, Ownership};
use lakewarden::reconcile::{Action, Plan, PolicyTarget, PolicyWrite};
use serde_json::{json, Value};

use crate::ext::Ext;

pub const DEST_SID: &str = lakewarden::ownership::sid::EXPORT_WRITE;
const PUT: &str = "s3.put_bucket_policy";

/// The statement the destination bucket must hold for `accounts` to receive exports.
pub fn destination_statement<A: AsRef<str>>(bucket: &str, accounts: &[A]) -> Value {
    let principals: BTreeSet<String> = accounts
        .iter()
        .map(|a| arn::account_root(a.as_ref()))
        .collect();
    json!({
        "Sid": DEST_SID, "Effect": "Allow",
        "Principal": {"AWS": principals},
        "Action": ["s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectAcl"],
        "Resource": arn::s3(&format!("{bucket}/*")),
    })
}

/// Our statement in each bucket; a bucket whose policy could not be read fails alone.
pub fn plan_destinations(
    dests: &[ExportDestination],
    policies: &BTreeMap<String, Result<Option<Value>, AwsError>>,
) -> Plan<Ext> {
    let mut p = Plan::default();
    for d in dests {
        let target = format!("bucket {}", d.bucket);
        let current = match policies.get(d.bucket.as_str()) {
            Some(Ok(doc)) => doc.as_ref(),
            Some(Err(e)) => {
                p.fail(
                    PUT,
                    target,
                    e.to_string(),
                    format!(
                        "Check that bucket {} exists in this account and the function may s3:GetBucketPolicy/PutBucketPolicy on it",
                        d.bucket
                    ),
                );
                continue;
            }
            None => {
                p.skip(PUT, target, "not observed in this run", None);
                continue;
            }
        };
        let allowed: BTreeSet<String> = d
            .source_accounts
            .iter()
            .map(|a| arn::account_root(a))
            .collect();
        let stmt = destination_statement(&d.bucket, &d.source_accounts);
        if let Err(e) = policy::check_statement(&stmt, &|pr| allowed.contains(pr)) {
            p.skip(PUT, target, e.to_string(), None);
            continue;
        }
        let desired = if d.source_accounts.is_empty() {
            vec![]
        } else {
            vec![stmt]
        };
        let bucket = PolicyTarget::S3Bucket {
            bucket: d.bucket.to_string(),
        };
        match PolicyWrite::plan(bucket, current, Ownership::exact([DEST_SID]), desired) {
            None => p.already(PUT, target),
            // Never delete a whole bucket policy: it may hold nothing but our statement today,
            // and the bucket is someone's.
            Some(w) if w.planned.is_none() => p.skip(
                PUT,
                target,
                "no source account listed: the policy would be empty (left as is)",
                None,
            ),
            Some(w) => p.push(Action::Policy(w)),
        }
    }
    p
}
