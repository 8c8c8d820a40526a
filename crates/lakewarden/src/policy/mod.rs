//! Policy documents merged by statement `Sid`.
//!
//! Every policy lakewarden edits (S3 bucket policies, IAM inline policies, the Glue catalog
//! policy, DynamoDB table policies, boundary copies) goes through [`merge`]: statements whose Sid
//! lakewarden does not own are kept exactly as they are and where they are, lakewarden's own
//! statements are replaced in place or appended once, and owned statements nothing needs any
//! more are removed. [`check_statement`] refuses a `"Principal": "*"` without an
//! `aws:PrincipalOrgID` condition and any principal the configuration does not allow.
//!
//! The module is split along its seams: [`merge`](self::merge()) (ownership and the Sid merge),
//! `guard` (which principals and organization conditions a statement may carry) and `eval` (a
//! small evaluator for prerequisite checks).

mod eval;
mod guard;
mod merge;

pub use eval::{allows, wildcard_match};
pub use guard::{check_statement, has_org_condition, is_org_id, is_ou_id, principals};
pub use merge::{merge, Merge, Ownership};

#[cfg(test)]
use serde_json::json;
use serde_json::{Map, Value};

/// A policy document that could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyError(pub String);

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for PolicyError {}

pub fn parse_document(text: &str) -> Result<Value, PolicyError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| PolicyError(format!("policy document is not JSON: {e}")))?;
    if !v.is_object() {
        return Err(PolicyError("policy document is not a JSON object".into()));
    }
    Ok(v)
}

/// The statements of a document (a single statement object counts as a list of one).
pub fn statements(doc: &Value) -> Vec<Value> {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(v @ Value::Object(_)) => vec![v.clone()],
        _ => vec![],
    }
}

pub fn sid(stmt: &Value) -> Option<&str> {
    stmt.get("Sid").and_then(Value::as_str)
}

/// A statement in a canonical form, so that `"Action": "x"` equals `"Action": ["x"]` and list
/// order does not matter.
pub fn canonical(v: &Value) -> Value {
    match v {
        Value::Array(items) => {
            let mut c: Vec<Value> = items.iter().map(canonical).collect();
            c.sort_by_key(|x| x.to_string());
            c.dedup();
            if c.len() == 1 {
                c.pop().unwrap()
            } else {
                Value::Array(c)
            }
        }
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(k.clone(), canonical(v));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

pub fn same_statement(a: &Value, b: &Value) -> bool {
    canonical(a) == canonical(b)
}

/// A Sid fragment from free text: `cur_org` → `CurOrg`, plus a short hash whenever characters
/// had to be dropped, so that different names never share a Sid.
pub fn sid_fragment(name: &str) -> String {
    // Readable part: the name's letters and digits, each word capitalised. It alone is lossy
    // (`a_b` / `ab`, `ab` / `Ab`), so the hash of the whole name always follows: two names never
    // share a fragment, and a plain name cannot spell another's readable part + hash.
    let mut out = String::new();
    let mut upper = true;
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            if upper {
                out.extend(ch.to_uppercase());
            } else {
                out.push(ch);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    // Sids are at most a few hundred characters in practice; keep the readable part short.
    out.truncate(48);
    out.push_str(&format!("{:08x}", fnv1a(name.as_bytes()) as u32));
    out
}

/// FNV-1a: a small stable hash (not for security) for names and idempotency tokens.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn foreign() -> Value {
        json!({"Sid": "TheirStatement", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    }
    fn ours(actions: &[&str]) -> Value {
        json!({"Sid": "LakewardenRead", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::222222222222:root"]}, "Action": actions, "Resource": "arn:aws:s3:::b/*"})
    }

    #[test]
    fn appends_once_and_keeps_foreign() {
        let cur = json!({"Version": "2012-10-17", "Statement": [foreign()]});
        let own = Ownership::prefix("Lakewarden");
        let Merge::Put(doc) = merge(Some(&cur), &own, &[ours(&["s3:GetObject"])]) else {
            panic!()
        };
        let st = statements(&doc);
        assert_eq!(st.len(), 2);
        assert_eq!(st[0], foreign());
        // merging again changes nothing
        assert_eq!(
            merge(Some(&doc), &own, &[ours(&["s3:GetObject"])]),
            Merge::Unchanged
        );
    }

    #[test]
    fn replaces_in_place_and_dedups_owned() {
        let cur = json!({"Statement": [ours(&["s3:PutObject"]), foreign(), ours(&["s3:X"])]});
        let own = Ownership::prefix("Lakewarden");
        let Merge::Put(doc) = merge(Some(&cur), &own, &[ours(&["s3:GetObject"])]) else {
            panic!()
        };
        let st = statements(&doc);
        assert_eq!(st, vec![ours(&["s3:GetObject"]), foreign()]);
        assert_eq!(doc["Version"], "2012-10-17");
    }

    #[test]
    fn removes_stale_owned_and_deletes_empty() {
        let own = Ownership::prefix("Lakewarden");
        let cur = json!({"Statement": [foreign(), ours(&["s3:GetObject"])]});
        assert_eq!(
            merge(Some(&cur), &own, &[]),
            Merge::Put(json!({"Version": "2012-10-17", "Statement": [foreign()]}))
        );
        let only_ours = json!({"Statement": [ours(&["s3:GetObject"])]});
        assert_eq!(merge(Some(&only_ours), &own, &[]), Merge::Delete);
        assert_eq!(merge(None, &own, &[]), Merge::Unchanged);
    }

    #[test]
    fn order_and_scalar_forms_do_not_matter() {
        let a = json!({"Sid": "S", "Action": ["b", "a"], "Resource": "r"});
        let b = json!({"Sid": "S", "Action": ["a", "b"], "Resource": ["r"]});
        assert!(same_statement(&a, &b));
    }

    #[test]
    fn wildcard_principal_needs_org_condition() {
        let allow_all = |_: &str| true;
        let bare = json!({"Sid": "X", "Principal": "*", "Action": "s3:GetObject"});
        assert!(check_statement(&bare, &allow_all).is_err());
        let bare_aws = json!({"Sid": "X", "Principal": {"AWS": "*"}, "Action": "s3:GetObject"});
        assert!(check_statement(&bare_aws, &allow_all).is_err());
        let empty_org = json!({"Sid": "X", "Principal": {"AWS": "*"}, "Condition": {"StringEquals": {"aws:PrincipalOrgID": []}}});
        assert!(check_statement(&empty_org, &allow_all).is_err());
        let org = json!({"Sid": "X", "Principal": {"AWS": "*"}, "Condition": {"StringEquals": {"aws:PrincipalOrgID": ["o-abc123def4"]}}});
        assert!(check_statement(&org, &allow_all).is_ok());
    }

    #[test]
    fn principal_allowlist_is_enforced() {
        let allowed = |p: &str| p == "arn:aws:iam::222222222222:root";
        assert!(check_statement(&ours(&["s3:GetObject"]), &allowed).is_ok());
        assert!(check_statement(&foreign(), &allowed).is_err());
    }

    #[test]
    fn the_evaluator_follows_wildcards_principals_and_denies() {
        let st = vec![
            json!({"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"},
                   "Action": ["dynamodb:ExportTableToPointInTime", "dynamodb:Describe*"], "Resource": "*"}),
            json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                   "Action": "glue:CreateInboundIntegration", "Resource": "arn:aws:glue:us-east-1:2:database/d"}),
        ];
        assert!(allows(
            &st,
            Some("glue.amazonaws.com"),
            "dynamodb:DescribeExport",
            "arn:x"
        ));
        assert!(!allows(
            &st,
            Some("glue.amazonaws.com"),
            "dynamodb:Scan",
            "arn:x"
        ));
        assert!(allows(
            &st,
            Some("111111111111"),
            "glue:CreateInboundIntegration",
            "arn:aws:glue:us-east-1:2:database/d"
        ));
        assert!(!allows(
            &st,
            Some("333333333333"),
            "glue:CreateInboundIntegration",
            "arn:aws:glue:us-east-1:2:database/d"
        ));
        assert!(!allows(
            &st,
            Some("111111111111"),
            "glue:CreateInboundIntegration",
            "arn:aws:glue:us-east-1:2:catalog"
        ));
        let identity = vec![
            json!({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}),
            json!({"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}),
        ];
        assert!(allows(&identity, None, "s3:PutObject", "arn:aws:s3:::b/x"));
        assert!(!allows(
            &identity,
            None,
            "s3:DeleteObject",
            "arn:aws:s3:::b/x"
        ));
        assert!(!allows(&identity, None, "s3:PutObject", "arn:aws:s3:::c/x"));
        assert!(wildcard_match("a*c?e", "abbbcde", false));
        assert!(!wildcard_match("a*c", "abd", false));
    }

    #[test]
    fn sid_fragments_are_distinct() {
        assert!(sid_fragment("curorg").starts_with("Curorg"));
        assert_ne!(sid_fragment("curorg"), sid_fragment("Curorg"));
        assert!(sid_fragment("cur_org").starts_with("CurOrg"));
        assert_ne!(sid_fragment("cur_org"), sid_fragment("cur-org"));
        assert!(sid_fragment("a.b")
            .chars()
            .all(|c| c.is_ascii_alphanumeric()));
    }
}
