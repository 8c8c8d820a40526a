//! Resource policies of every kind through one merge.
//!
//! A planner decides *which statements lakewarden wants* (`desired`, all with Sids it owns) in a
//! document; the driver re-reads the document right before writing, merges into that fresh copy
//! (statements lakewarden does not own stay byte-identical and in place), checks the result
//! against AWS's size limit, writes it — conditionally where AWS offers a condition (Glue's
//! policy hash, DynamoDB's revision id) — and, where it offers none (S3, IAM), reads it back and
//! merges once more if another writer got in between.

use serde::Serialize;
use serde_json::Value;

use crate::aws::{dynamodb, glue_policy, iam, s3, Aws, AwsError, AwsResult};
use crate::policy::{self, Merge, Ownership};

use super::action::Done;

/// Which policy document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum PolicyTarget {
    S3Bucket { bucket: String },
    IamInline { role_arn: String, name: String },
    IamTrust { role_arn: String },
    GlueCatalog,
    DynamoDb { resource_arn: String },
}

/// How AWS measures a policy against its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Bytes of the document as sent.
    Bytes,
    /// Characters, white space not counted (IAM).
    NonWhitespaceChars,
}

impl PolicyTarget {
    pub fn describe(&self) -> String {
        match self {
            PolicyTarget::S3Bucket { bucket } => format!("bucket {bucket}"),
            PolicyTarget::IamInline { role_arn, name } => format!("{role_arn} policy {name}"),
            PolicyTarget::IamTrust { role_arn } => format!("{role_arn} trust policy"),
            PolicyTarget::GlueCatalog => "Glue Data Catalog resource policy".into(),
            PolicyTarget::DynamoDb { resource_arn } => format!("{resource_arn} resource policy"),
        }
    }

    /// AWS's size limit for this kind of document, and how it is measured.
    /// - S3 bucket policy: 20 KB (S3 User Guide, "Bucket policies": "Bucket policies are limited to 20 KB in size").
    /// - IAM inline policies: 10,240 characters for all of a role's inline policies together,
    ///   white space not counted (IAM User Guide, "IAM and AWS STS quotas").
    /// - Role trust policy: 2,048 characters by default (same page; adjustable to 4,096).
    /// - Glue Data Catalog resource policy: 10 KB (Glue "Resource-based policies" limits).
    /// - DynamoDB resource policy: 20 KB (DynamoDB Developer Guide, "Resource-based policy considerations").
    pub fn limit(&self) -> (usize, Measure) {
        match self {
            PolicyTarget::S3Bucket { .. } => (20 * 1024, Measure::Bytes),
            PolicyTarget::IamInline { .. } => (10_240, Measure::NonWhitespaceChars),
            PolicyTarget::IamTrust { .. } => (2_048, Measure::NonWhitespaceChars),
            PolicyTarget::GlueCatalog => (10 * 1024, Measure::Bytes),
            PolicyTarget::DynamoDb { .. } => (20 * 1024, Measure::Bytes),
        }
    }
}

/// The size of a document as AWS counts it.
pub fn measure(text: &str, m: Measure) -> usize {
    match m {
        Measure::Bytes => text.len(),
        Measure::NonWhitespaceChars => text.chars().filter(|c| !c.is_whitespace()).count(),
    }
}

/// One merge-and-write of lakewarden's statements into a policy document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyWrite {
    pub target: PolicyTarget,
    /// The Sids lakewarden owns in this document (owned statements not desired are removed).
    pub owner: Ownership,
    /// lakewarden's statements as they should be.
    pub desired: Vec<Value>,
    /// The document the planner expects to write (for the report and a dry run).
    pub planned: Option<Value>,
}

impl PolicyWrite {
    /// Plan a merge against the document as observed: `None` when nothing changes.
    pub fn plan(
        target: PolicyTarget,
        current: Option<&Value>,
        owner: Ownership,
        desired: Vec<Value>,
    ) -> Option<PolicyWrite> {
        match policy::merge(current, &owner, &desired) {
            Merge::Unchanged => None,
            Merge::Put(doc) => Some(PolicyWrite {
                target,
                owner,
                desired,
                planned: Some(doc),
            }),
            Merge::Delete => Some(PolicyWrite {
                target,
                owner,
                desired,
                planned: None,
            }),
        }
    }

    /// The report kind: the write the planner expects.
    pub fn kind(&self) -> &'static str {
        let delete = self.planned.is_none();
        match (&self.target, delete) {
            (PolicyTarget::S3Bucket { .. }, false) => "s3.put_bucket_policy",
            (PolicyTarget::S3Bucket { .. }, true) => "s3.delete_bucket_policy",
            (PolicyTarget::IamInline { .. }, false) => "iam.put_role_policy",
            (PolicyTarget::IamInline { .. }, true) => "iam.delete_role_policy",
            (PolicyTarget::IamTrust { .. }, _) => "iam.update_assume_role_policy",
            (PolicyTarget::GlueCatalog, _) => "glue.put_resource_policy",
            (PolicyTarget::DynamoDb { .. }, _) => "dynamodb.put_resource_policy",
        }
    }

    pub fn remedy(&self) -> String {
        let doc = self
            .planned
            .as_ref()
            .map(|d| crate::alerts::cap(&d.to_string(), 2_000))
            .unwrap_or_default();
        match &self.target {
            PolicyTarget::S3Bucket { bucket } if self.planned.is_some() => format!(
                "Give the function's role s3:PutBucketPolicy on {bucket}, or have the bucket owner apply this policy: {doc}"
            ),
            PolicyTarget::S3Bucket { bucket } => format!(
                "Give the function's role s3:DeleteBucketPolicy on {bucket}, or delete its policy by hand (it held only lakewarden statements)"
            ),
            PolicyTarget::IamInline { role_arn, name } => format!(
                "Give the function's role iam:PutRolePolicy / iam:DeleteRolePolicy on {role_arn}, or set its inline policy {name} by hand: {doc}"
            ),
            PolicyTarget::IamTrust { role_arn } => format!(
                "Give the function's role iam:UpdateAssumeRolePolicy on {role_arn}, or set its trust policy by hand: {doc}"
            ),
            PolicyTarget::GlueCatalog => format!(
                "Give the function's role glue:PutResourcePolicy, or merge these statements into the catalog policy by hand (aws glue put-resource-policy --enable-hybrid TRUE): {doc}"
            ),
            PolicyTarget::DynamoDb { resource_arn } => format!(
                "Give the function's role dynamodb:PutResourcePolicy on {resource_arn}, or set its policy by hand: {doc}"
            ),
        }
    }
}

impl PolicyWrite {
    /// The remedy for a failure of this write: what to change when the document would pass
    /// AWS's size limit (issue 12 §1), else [`PolicyWrite::remedy`].
    pub fn remedy_for(&self, e: &AwsError) -> String {
        if !is_too_large(e) {
            return self.remedy();
        }
        let (limit, _) = self.target.limit();
        match &self.target {
            PolicyTarget::S3Bucket { bucket } => format!(
                "The policy of bucket {bucket} cannot grow past S3's {limit} bytes. Share fewer locations through this bucket: give each shared database a LocationUri that holds all its tables (one prefix per database instead of one per table), list fewer `locations` per share entry, or keep fewer shared databases in one bucket (spread them over more buckets). Nothing was written"
            ),
            PolicyTarget::IamInline { role_arn, name } => format!(
                "The inline policies of {role_arn} together cannot pass IAM's {limit} characters, and {name} would. Move the role's other inline policies into a managed policy, give each linked database a LocationUri that holds all its tables (one prefix instead of one per table), or spread the links / subscriptions over more roles. Nothing was written"
            ),
            PolicyTarget::IamTrust { role_arn } => format!(
                "The trust policy of {role_arn} cannot pass IAM's {limit} characters: trust fewer principals (an organization condition instead of account ARNs), or ask AWS to raise the role trust policy quota (up to 4,096). Nothing was written"
            ),
            PolicyTarget::GlueCatalog => format!(
                "The Data Catalog resource policy cannot pass Glue's {limit} bytes: shorten its other statements (wildcards instead of one ARN per table) so that lakewarden's fit. Nothing was written"
            ),
            PolicyTarget::DynamoDb { resource_arn } => format!(
                "The resource policy of {resource_arn} cannot pass DynamoDB's {limit} bytes (white space counts): shorten its other statements. Nothing was written"
            ),
        }
    }
}

/// Whether an error is the size check's refusal (or AWS's own, should it come first: S3
/// `PolicyTooLarge`, IAM `LimitExceeded`).
pub fn is_too_large(e: &AwsError) -> bool {
    e.is_local(crate::aws::LocalKind::PolicyTooLarge)
        || e.is_code("PolicyTooLarge")
        || e.is_code("LimitExceeded")
}

/// A document as read, with the version AWS lets us condition a write on.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned {
    pub document: Option<Value>,
    /// Glue policy hash / DynamoDB revision id.
    pub version: Option<String>,
}

fn parse(text: &str, what: &str) -> AwsResult<Value> {
    policy::parse_document(text).map_err(|e| {
        AwsError::local(
            crate::aws::LocalKind::MalformedPolicy,
            format!("{what}: {e}"),
        )
    })
}

/// Read the document as it is now.
pub async fn read(aws: &Aws, target: &PolicyTarget) -> AwsResult<Versioned> {
    let what = target.describe();
    Ok(match target {
        PolicyTarget::S3Bucket { bucket } => Versioned {
            document: match s3::get_bucket_policy(&aws.s3, bucket).await? {
                Some(t) => Some(parse(&t, &what)?),
                None => None,
            },
            version: None,
        },
        PolicyTarget::IamInline { role_arn, name } => Versioned {
            document: match iam::get_role_policy(&aws.iam, iam::role_name(role_arn), name).await? {
                Some(t) => Some(parse(&t, &what)?),
                None => None,
            },
            version: None,
        },
        PolicyTarget::IamTrust { role_arn } => {
            let role = iam::get_role(&aws.iam, iam::role_name(role_arn))
                .await?
                .ok_or_else(|| {
                    AwsError::new(
                        Some("NoSuchEntity"),
                        format!("role {role_arn} does not exist"),
                    )
                })?;
            Versioned {
                document: match role.trust_policy {
                    Some(t) => Some(parse(&t, &what)?),
                    None => None,
                },
                version: None,
            }
        }
        PolicyTarget::GlueCatalog => match glue_policy::get_catalog_policy(&aws.glue).await? {
            Some((t, hash)) => Versioned {
                document: Some(parse(&t, &what)?),
                version: Some(hash),
            },
            None => Versioned {
                document: None,
                version: None,
            },
        },
        PolicyTarget::DynamoDb { resource_arn } => {
            match dynamodb::get_resource_policy(&aws.dynamodb, resource_arn).await? {
                Some((t, rev)) => Versioned {
                    document: Some(parse(&t, &what)?),
                    version: Some(rev),
                },
                None => Versioned {
                    document: None,
                    version: None,
                },
            }
        }
    })
}

/// Refuse a document AWS would refuse for its size; for IAM inline policies the role's other
/// inline policies count too.
async fn check_size(aws: &Aws, target: &PolicyTarget, text: &str) -> AwsResult<()> {
    let (limit, m) = target.limit();
    let mut size = measure(text, m);
    let mut others = 0;
    if let PolicyTarget::IamInline { role_arn, name } = target {
        let role = iam::role_name(role_arn);
        for other in iam::list_role_policies(&aws.iam, role).await? {
            if &other == name {
                continue;
            }
            if let Some(t) = iam::get_role_policy(&aws.iam, role, &other).await? {
                others += measure(&t, m);
            }
        }
        size += others;
    }
    if size > limit {
        let unit = match m {
            Measure::Bytes => "bytes",
            Measure::NonWhitespaceChars => "characters (white space not counted)",
        };
        let with_others = if others > 0 {
            format!(", of which {others} are the role's other inline policies")
        } else {
            String::new()
        };
        return Err(AwsError::local(
            crate::aws::LocalKind::PolicyTooLarge,
            format!(
                "{} would be {size} {unit}{with_others}; AWS allows {limit}. Nothing was written. Share fewer locations per document (a database location instead of table prefixes, fewer buckets per entry) or, for IAM, move statements into a managed policy",
                target.describe()
            ),
        ));
    }
    Ok(())
}

async fn write(
    aws: &Aws,
    target: &PolicyTarget,
    merged: &Merge,
    version: Option<&str>,
) -> AwsResult<()> {
    match (target, merged) {
        (_, Merge::Unchanged) => Ok(()),
        (PolicyTarget::S3Bucket { bucket }, Merge::Put(doc)) => {
            s3::put_bucket_policy(&aws.s3, bucket, &doc.to_string()).await
        }
        (PolicyTarget::S3Bucket { bucket }, Merge::Delete) => {
            s3::delete_bucket_policy(&aws.s3, bucket).await
        }
        (PolicyTarget::IamInline { role_arn, name }, Merge::Put(doc)) => {
            iam::put_role_policy(&aws.iam, iam::role_name(role_arn), name, &doc.to_string()).await
        }
        (PolicyTarget::IamInline { role_arn, name }, Merge::Delete) => {
            match iam::delete_role_policy(&aws.iam, iam::role_name(role_arn), name).await {
                Err(e) if e.is_not_found() => Ok(()),
                r => r,
            }
        }
        (PolicyTarget::IamTrust { role_arn }, Merge::Put(doc)) => {
            iam::update_assume_role_policy(&aws.iam, iam::role_name(role_arn), &doc.to_string())
                .await
        }
        (PolicyTarget::GlueCatalog, Merge::Put(doc)) => {
            glue_policy::put_catalog_policy(&aws.glue, &doc.to_string(), version).await
        }
        (PolicyTarget::DynamoDb { resource_arn }, Merge::Put(doc)) => {
            dynamodb::put_resource_policy(&aws.dynamodb, resource_arn, &doc.to_string(), version)
                .await
        }
        (t, Merge::Delete) => Err(AwsError::local(
            crate::aws::LocalKind::Refused,
            format!(
                "lakewarden never deletes a whole {}; remove its statements by hand if they must go",
                t.describe()
            ),
        )),
    }
}

fn foreign(doc: Option<&Value>, owner: &Ownership, desired: &[Value]) -> Vec<Value> {
    doc.map(policy::statements)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| {
            !policy::sid(s).is_some_and(|id| {
                owner.owns(id) || desired.iter().any(|d| policy::sid(d) == Some(id))
            })
        })
        .collect()
}

/// A write lost to a concurrent change (re-read and merge again). DynamoDB's
/// `ResourceInUseException` on PutResourcePolicy means another policy update is in progress.
fn lost_race(e: &AwsError) -> bool {
    e.is_conditional_failure() || e.is_code("ResourceInUseException")
}

/// Merge into the fresh document and write; see the module documentation.
pub async fn apply(aws: &Aws, w: &PolicyWrite) -> AwsResult<Done> {
    let mut wrote = false;
    let mut last_err = None;
    for _attempt in 0..3 {
        let fresh = read(aws, &w.target).await?;
        let merged = policy::merge(fresh.document.as_ref(), &w.owner, &w.desired);
        if merged == Merge::Unchanged {
            return Ok(if wrote { Done::Applied } else { Done::Already });
        }
        if let Merge::Put(doc) = &merged {
            check_size(aws, &w.target, &doc.to_string()).await?;
        }
        match write(aws, &w.target, &merged, fresh.version.as_deref()).await {
            Ok(()) => wrote = true,
            Err(e) if lost_race(&e) => {
                // Someone changed the document since we read it: read again and merge again.
                last_err = Some(e);
                continue;
            }
            Err(e) => return Err(e),
        }
        // Conditional writes cannot lose an update; the others are read back.
        if fresh.version.is_some() {
            return Ok(Done::Applied);
        }
        let back = read(aws, &w.target).await?;
        let ours_intact =
            policy::merge(back.document.as_ref(), &w.owner, &w.desired) == Merge::Unchanged;
        let theirs_same = match &merged {
            Merge::Put(doc) => {
                foreign(back.document.as_ref(), &w.owner, &w.desired)
                    == foreign(Some(doc), &w.owner, &w.desired)
            }
            _ => true,
        };
        if ours_intact && theirs_same {
            return Ok(Done::Applied);
        }
        // Another writer got in between: merge once more into what is there now.
        tracing::warn!(
            policy = %w.target.describe(),
            ours_intact,
            theirs_same,
            "another writer changed the policy while lakewarden wrote it; merging again"
        );
    }
    Err(last_err.unwrap_or_else(|| {
        AwsError::local(
            crate::aws::LocalKind::ConcurrentModification,
            format!(
                "{} kept changing while lakewarden wrote it; the next run merges again",
                w.target.describe()
            ),
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn iam_does_not_count_white_space() {
        assert_eq!(measure("{\"a\": \"b c\"}", Measure::NonWhitespaceChars), 10);
        assert_eq!(measure("{\"a\": \"b c\"}", Measure::Bytes), 12);
    }

    #[test]
    fn plan_is_none_when_unchanged() {
        let owner = Ownership::prefix("Lakewarden");
        let st = json!({"Sid": "LakewardenX", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Principal": {"AWS": "arn:aws:iam::1:root"}});
        let doc = json!({"Version": "2012-10-17", "Statement": [st.clone()]});
        assert!(PolicyWrite::plan(
            PolicyTarget::S3Bucket { bucket: "b".into() },
            Some(&doc),
            owner.clone(),
            vec![st.clone()]
        )
        .is_none());
        let w = PolicyWrite::plan(
            PolicyTarget::S3Bucket { bucket: "b".into() },
            Some(&doc),
            owner,
            vec![],
        )
        .unwrap();
        assert_eq!(w.kind(), "s3.delete_bucket_policy");
    }

    #[test]
    fn foreign_statements_are_those_not_owned() {
        let owner = Ownership::prefix("Lakewarden");
        let doc =
            json!({"Statement": [{"Sid": "Theirs"}, {"Sid": "LakewardenA"}, {"Effect": "Deny"}]});
        let f = foreign(Some(&doc), &owner, &[]);
        assert_eq!(f, vec![json!({"Sid": "Theirs"}), json!({"Effect": "Deny"})]);
    }
}
