//! Policy documents merged by statement `Sid`.
//!
//! Every policy lakewarden edits (S3 bucket policies, IAM inline policies, the Glue catalog
//! policy, DynamoDB table policies, boundary copies) goes through [`merge`]: statements whose Sid
//! lakewarden does not own are kept exactly as they are and where they are, lakewarden's own
//! statements are replaced in place or appended once, and owned statements nothing needs any
//! more are removed. [`check_statement`] refuses a `"Principal": "*"` without an
//! `aws:PrincipalOrgID` condition and any principal the configuration does not allow.

use serde_json::{json, Map, Value};

/// Which Sids belong to the caller: an exact set plus any Sid starting with a prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Ownership {
    pub prefixes: Vec<String>,
    pub exact: Vec<String>,
}

impl Ownership {
    pub fn prefix(p: impl Into<String>) -> Self {
        Ownership {
            prefixes: vec![p.into()],
            exact: vec![],
        }
    }
    pub fn exact<I: IntoIterator<Item = S>, S: Into<String>>(sids: I) -> Self {
        Ownership {
            prefixes: vec![],
            exact: sids.into_iter().map(Into::into).collect(),
        }
    }
    pub fn owns(&self, sid: &str) -> bool {
        self.exact.iter().any(|e| e == sid)
            || self.prefixes.iter().any(|p| sid.starts_with(p.as_str()))
    }
}

/// The result of merging desired statements into a current document.
#[derive(Debug, Clone, PartialEq)]
pub enum Merge {
    /// Nothing to write.
    Unchanged,
    /// Write this document.
    Put(Value),
    /// The document would be empty: delete it.
    Delete,
}

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

/// Merge `desired` (each with a Sid the caller owns) into `current`.
///
/// - statements with a Sid not owned (or with no Sid) stay, untouched and in order;
/// - an owned statement that is desired is replaced in place (first occurrence; duplicates of
///   an owned Sid are removed);
/// - an owned statement that is not desired is removed;
/// - desired statements not present are appended in the order given.
pub fn merge(current: Option<&Value>, owner: &Ownership, desired: &[Value]) -> Merge {
    let mut out: Vec<Value> = Vec::new();
    let mut placed: Vec<bool> = vec![false; desired.len()];
    let cur_stmts = current.map(statements).unwrap_or_default();
    for s in &cur_stmts {
        match sid(s) {
            Some(id) if owner.owns(id) || desired.iter().any(|d| sid(d) == Some(id)) => {
                if let Some(i) = desired.iter().position(|d| sid(d) == Some(id)) {
                    if !placed[i] {
                        placed[i] = true;
                        out.push(desired[i].clone());
                    }
                }
            }
            _ => out.push(s.clone()),
        }
    }
    for (i, d) in desired.iter().enumerate() {
        if !placed[i] {
            out.push(d.clone());
        }
    }
    let unchanged = out.len() == cur_stmts.len()
        && out
            .iter()
            .zip(cur_stmts.iter())
            .all(|(a, b)| same_statement(a, b));
    if unchanged && current.is_some() {
        return Merge::Unchanged;
    }
    if out.is_empty() {
        return if current.is_some() && !cur_stmts.is_empty() {
            Merge::Delete
        } else {
            Merge::Unchanged
        };
    }
    let mut doc = match current {
        Some(Value::Object(m)) => Value::Object(m.clone()),
        _ => json!({"Version": "2012-10-17"}),
    };
    if doc.get("Version").is_none() {
        doc["Version"] = json!("2012-10-17");
    }
    doc["Statement"] = Value::Array(out);
    Merge::Put(doc)
}

/// Principal values of a statement: `"*"` for a wildcard, otherwise the ARNs / ids / services.
///
/// An `Allow` with `NotPrincipal` allows everyone but the named principals: it counts as `"*"`.
pub fn principals(stmt: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let allow = stmt.get("Effect").and_then(Value::as_str) != Some("Deny");
    if allow && stmt.get("NotPrincipal").is_some() {
        out.push("*".to_string());
    }
    match stmt.get("Principal") {
        Some(Value::String(s)) => out.push(s.clone()),
        Some(Value::Array(a)) => out.extend(a.iter().map(|x| match x {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })),
        Some(Value::Object(m)) => {
            for v in m.values() {
                match v {
                    Value::String(s) => out.push(s.clone()),
                    Value::Array(a) => {
                        out.extend(a.iter().filter_map(|x| x.as_str().map(String::from)))
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    out
}

/// An organization id as AWS Organizations writes it: `o-` and 10 to 32 lowercase letters or
/// digits.
pub fn is_org_id(s: &str) -> bool {
    s.strip_prefix("o-").is_some_and(|r| {
        (10..=32).contains(&r.len())
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// An OU id: `ou-` + 4–32 lowercase letters or digits + `-` + 8–32 lowercase letters or digits.
pub fn is_ou_id(s: &str) -> bool {
    s.strip_prefix("ou-")
        .and_then(|r| r.split_once('-'))
        .is_some_and(|(root, ou)| {
            let ok = |x: &str, lo, hi| {
                (lo..=hi).contains(&x.len())
                    && x.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            };
            ok(root, 4, 32) && ok(ou, 8, 32)
        })
}

/// An `aws:PrincipalOrgPaths` value lakewarden writes: `o-…/*/ou-…/*`.
fn is_org_path_pattern(s: &str) -> bool {
    let parts: Vec<&str> = s.split('/').collect();
    parts.len() == 4
        && is_org_id(parts[0])
        && parts[1] == "*"
        && is_ou_id(parts[2])
        && parts[3] == "*"
}

fn all_strings(v: &Value, ok: impl Fn(&str) -> bool) -> bool {
    match v {
        Value::String(s) => ok(s),
        Value::Array(a) => !a.is_empty() && a.iter().all(|x| x.as_str().is_some_and(&ok)),
        _ => false,
    }
}

/// Whether a statement limits its principals to an organization or an OU in exactly one of the
/// forms lakewarden writes, and nothing else that could widen it:
/// - `{"StringEquals": {"aws:PrincipalOrgID": "o-…" | ["o-…", …]}}`, or
/// - `{"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-…/*/ou-…/*" | [...]}}`.
///
/// Any other operator on these keys (`StringNotEquals`, `StringLike` with a wildcard org id,
/// `Null`, `…IfExists`) does not count.
pub fn has_org_condition(stmt: &Value) -> bool {
    let Some(Value::Object(cond)) = stmt.get("Condition") else {
        return false;
    };
    cond.iter().any(|(op, block)| {
        let Some(m) = block.as_object() else {
            return false;
        };
        m.iter().any(|(k, v)| {
            (op == "StringEquals"
                && k.eq_ignore_ascii_case("aws:PrincipalOrgID")
                && all_strings(v, is_org_id))
                || (op == "ForAnyValue:StringLike"
                    && k.eq_ignore_ascii_case("aws:PrincipalOrgPaths")
                    && all_strings(v, is_org_path_pattern))
        })
    })
}

/// Refuse a statement lakewarden must never write: a wildcard principal without an
/// `aws:PrincipalOrgID` condition, or a principal `allowed` does not accept.
pub fn check_statement(stmt: &Value, allowed: &dyn Fn(&str) -> bool) -> Result<(), PolicyError> {
    for p in principals(stmt) {
        if p == "*" {
            if !has_org_condition(stmt) {
                return Err(PolicyError(format!(
                    "statement {} has Principal \"*\" without an organization condition (StringEquals aws:PrincipalOrgID o-… or ForAnyValue:StringLike aws:PrincipalOrgPaths o-…/*/ou-…/*)",
                    sid(stmt).unwrap_or("(no Sid)")
                )));
            }
        } else if !allowed(&p) {
            return Err(PolicyError(format!(
                "statement {} names principal {p}, which the configuration does not allow",
                sid(stmt).unwrap_or("(no Sid)")
            )));
        }
    }
    Ok(())
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

/// `*` / `?` wildcard match, case-insensitive when `ci` (IAM actions are).
pub fn wildcard_match(pattern: &str, value: &str, ci: bool) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = if ci {
        (
            pattern.to_lowercase().chars().collect(),
            value.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), value.chars().collect())
    };
    let (mut pi, mut vi, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while vi < v.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = vi;
            pi += 1;
        } else if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => vec![],
    }
}

fn principal_matches(stmt: &Value, principal: Option<&str>) -> bool {
    let Some(want) = principal else {
        return stmt.get("Principal").is_none();
    };
    principals(stmt).iter().any(|p| {
        p == "*"
            || p == want
            || (want.len() == 12 && p == &format!("arn:aws:iam::{want}:root"))
            || (p.len() == 12 && want == format!("arn:aws:iam::{p}:root"))
    })
}

/// Whether a policy's statements allow `action` on `resource` for `principal` (None for an
/// identity policy). A simplified evaluator for prerequisite checks: Allow and Deny statements
/// with Action/Resource wildcards; conditions are not evaluated (they only narrow an Allow).
pub fn allows(statements: &[Value], principal: Option<&str>, action: &str, resource: &str) -> bool {
    let matching = |s: &&Value| {
        principal_matches(s, principal)
            && strings(s.get("Action"))
                .iter()
                .any(|a| wildcard_match(a, action, true))
            && {
                let res = strings(s.get("Resource"));
                res.is_empty() && principal.is_some()
                    || res.iter().any(|r| wildcard_match(r, resource, false))
            }
    };
    let effect = |s: &Value, e: &str| s.get("Effect").and_then(Value::as_str) == Some(e);
    !statements
        .iter()
        .filter(|s| effect(s, "Deny"))
        .any(|s| matching(&s))
        && statements
            .iter()
            .filter(|s| effect(s, "Allow"))
            .any(|s| matching(&s))
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
