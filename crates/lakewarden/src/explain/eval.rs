//! A policy evaluator for `explain`, with conditions: `crate::policy::allows` extended with
//! `NotAction` / `NotResource` / `NotPrincipal` and the condition operators the policies on a
//! table's access path use (`String*`, `Arn*`, `Bool`, `Null`, `…IfExists`, `ForAnyValue:` /
//! `ForAllValues:`), over the keys `explain` knows (`s3:prefix`, `aws:PrincipalOrgID`,
//! `aws:SourceAccount`, `aws:PrincipalAccount`, `aws:PrincipalArn`, …) and `${…}` policy
//! variables. It is three-valued: a statement whose match depends on something not known
//! (another condition key, a numeric/date/IP operator) makes the answer `Unknown` rather than a
//! guess.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::policy::{self, wildcard_match};

/// What is known about a request.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub action: String,
    pub resource: String,
    /// The calling principal's ARN (a role or user ARN).
    pub principal_arn: String,
    pub principal_account: String,
    /// The principal's organization, when known.
    pub principal_org_id: Option<String>,
    /// Request-specific keys (lowercase names), e.g. `s3:prefix`.
    pub keys: BTreeMap<String, Vec<String>>,
}

impl Request {
    pub fn new(action: &str, resource: &str, principal_arn: &str, account: &str) -> Request {
        Request {
            action: action.to_string(),
            resource: resource.to_string(),
            principal_arn: principal_arn.to_string(),
            principal_account: account.to_string(),
            ..Default::default()
        }
    }

    pub fn with_key(mut self, key: &str, values: &[&str]) -> Request {
        self.keys.insert(
            key.to_ascii_lowercase(),
            values.iter().map(|s| s.to_string()).collect(),
        );
        self
    }
}

/// A condition key's value in the request.
#[derive(Debug, Clone, PartialEq)]
enum Lookup {
    Present(Vec<String>),
    /// Known not to be in the request.
    Absent,
    /// Cannot be known from here.
    Unknown,
}

/// Keys that a principal's own request never carries (AWS sets them only when a service acts on
/// behalf of a resource), and request keys `explain` always models.
const ABSENT_ON_PRINCIPAL_REQUESTS: &[&str] = &[
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "iam:passedtoservice",
];
const REQUEST_KEYS: &[&str] = &["s3:prefix", "s3:delimiter", "s3:max-keys"];

fn lookup(req: &Request, key: &str) -> Lookup {
    let k = key.to_ascii_lowercase();
    if let Some(v) = req.keys.get(&k) {
        return Lookup::Present(v.clone());
    }
    match k.as_str() {
        "aws:principalarn" => Lookup::Present(vec![req.principal_arn.clone()]),
        "aws:principalaccount" => Lookup::Present(vec![req.principal_account.clone()]),
        "aws:principalorgid" => match &req.principal_org_id {
            Some(o) => Lookup::Present(vec![o.clone()]),
            None => Lookup::Unknown,
        },
        "aws:principaltype" => Lookup::Present(vec!["AssumedRole".into()]),
        "aws:securetransport" => Lookup::Present(vec!["true".into()]),
        _ if ABSENT_ON_PRINCIPAL_REQUESTS.contains(&k.as_str()) => Lookup::Absent,
        _ if REQUEST_KEYS.contains(&k.as_str()) => Lookup::Absent,
        _ => Lookup::Unknown,
    }
}

/// `${aws:PrincipalAccount}` and friends substituted; None when a variable is not known.
fn substitute(req: &Request, value: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find('}')?;
        let var = &after[..end];
        match var {
            "*" => out.push('*'),
            "?" => out.push('?'),
            "$" => out.push('$'),
            _ => match lookup(req, var) {
                Lookup::Present(v) if v.len() == 1 => out.push_str(&v[0]),
                _ => return None,
            },
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Bool(b) => Some(b.to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::Bool(b)) => vec![b.to_string()],
        Some(Value::Number(n)) => vec![n.to_string()],
        _ => vec![],
    }
}

fn and(results: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for r in results {
        match r {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown {
        None
    } else {
        Some(true)
    }
}

/// One operator over one key.
fn condition(op: &str, key: &str, policy_values: &[String], req: &Request) -> Option<bool> {
    let (set, op) = if let Some(o) = op.strip_prefix("ForAnyValue:") {
        (Some(false), o)
    } else if let Some(o) = op.strip_prefix("ForAllValues:") {
        (Some(true), o)
    } else {
        (None, op)
    };
    let (op, if_exists) = match op.strip_suffix("IfExists") {
        Some(o) => (o, true),
        None => (op, false),
    };
    let found = lookup(req, key);
    if op == "Null" {
        let want_absent = policy_values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        return match found {
            Lookup::Unknown => None,
            Lookup::Absent => Some(want_absent),
            Lookup::Present(_) => Some(!want_absent),
        };
    }
    let negated = op.contains("Not");
    let values = match found {
        Lookup::Unknown => return None,
        Lookup::Absent => {
            // A missing key matches nothing: true for IfExists, negated operators and
            // ForAllValues, false otherwise.
            return Some(if_exists || negated || set == Some(true));
        }
        Lookup::Present(v) => v,
    };
    let mut pvs = Vec::new();
    for p in policy_values {
        pvs.push(substitute(req, p)?);
    }
    let one = |v: &str| -> Option<bool> {
        let m = match op {
            "StringEquals" | "StringNotEquals" => pvs.iter().any(|p| p == v),
            "StringEqualsIgnoreCase" | "StringNotEqualsIgnoreCase" => {
                pvs.iter().any(|p| p.eq_ignore_ascii_case(v))
            }
            "StringLike" | "StringNotLike" | "ArnLike" | "ArnNotLike" | "ArnEquals"
            | "ArnNotEquals" => pvs.iter().any(|p| wildcard_match(p, v, false)),
            "Bool" => pvs.iter().any(|p| p.eq_ignore_ascii_case(v)),
            _ => return None,
        };
        Some(if negated { !m } else { m })
    };
    match set {
        Some(true) => and(values.iter().map(|v| one(v))),
        _ => {
            let rs: Vec<Option<bool>> = values.iter().map(|v| one(v)).collect();
            if rs.contains(&Some(true)) {
                Some(true)
            } else if rs.contains(&None) {
                None
            } else {
                Some(false)
            }
        }
    }
}

fn conditions(stmt: &Value, req: &Request) -> Option<bool> {
    let Some(Value::Object(ops)) = stmt.get("Condition") else {
        return Some(true);
    };
    and(ops.iter().flat_map(|(op, block)| {
        block
            .as_object()
            .into_iter()
            .flatten()
            .map(move |(k, v)| condition(op, k, &strings(Some(v)), req))
    }))
}

fn principal_matches(stmt: &Value, req: &Request) -> bool {
    let matches = |p: &str| {
        p == "*"
            || p == req.principal_arn
            || p == req.principal_account
            || p == format!("arn:aws:iam::{}:root", req.principal_account)
    };
    let aws_values = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Object(m)) => strings(m.get("AWS")),
            _ => vec![],
        }
    };
    if stmt.get("NotPrincipal").is_some() {
        return !aws_values(stmt.get("NotPrincipal"))
            .iter()
            .any(|p| matches(p));
    }
    aws_values(stmt.get("Principal")).iter().any(|p| matches(p))
}

/// Whether one statement applies to the request (three-valued).
pub fn statement_matches(stmt: &Value, req: &Request, resource_policy: bool) -> Option<bool> {
    if resource_policy && !principal_matches(stmt, req) {
        return Some(false);
    }
    let action = match (stmt.get("Action"), stmt.get("NotAction")) {
        (Some(a), _) => strings(Some(a))
            .iter()
            .any(|p| wildcard_match(p, &req.action, true)),
        (None, Some(n)) => !strings(Some(n))
            .iter()
            .any(|p| wildcard_match(p, &req.action, true)),
        _ => false,
    };
    if !action {
        return Some(false);
    }
    let resource = match (stmt.get("Resource"), stmt.get("NotResource")) {
        (Some(r), _) => strings(Some(r))
            .iter()
            .any(|p| substitute(req, p).is_some_and(|p| wildcard_match(&p, &req.resource, false))),
        (None, Some(n)) => !strings(Some(n))
            .iter()
            .any(|p| wildcard_match(p, &req.resource, false)),
        // A resource policy's statements apply to the resource they are attached to.
        (None, None) => resource_policy,
    };
    if !resource {
        return Some(false);
    }
    conditions(stmt, req)
}

/// The answer of a set of policies for a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Allowed by these statements (`source:Sid`).
    Allowed(Vec<String>),
    /// Denied by these statements.
    ExplicitDeny(Vec<String>),
    /// No statement allows it.
    ImplicitDeny,
    /// It depends on conditions that cannot be evaluated here (statements named).
    Unknown(Vec<String>),
}

impl Decision {
    pub fn allowed(&self) -> Option<bool> {
        match self {
            Decision::Allowed(_) => Some(true),
            Decision::ExplicitDeny(_) | Decision::ImplicitDeny => Some(false),
            Decision::Unknown(_) => None,
        }
    }
}

/// A policy document with a name for the evidence (`inline lakewarden-datazone`, a policy ARN).
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPolicy {
    pub name: String,
    pub document: Value,
}

fn label(p: &NamedPolicy, stmt: &Value, i: usize) -> String {
    match policy::sid(stmt) {
        Some(s) if !s.is_empty() => format!("{} statement {s}", p.name),
        _ => format!("{} statement #{}", p.name, i + 1),
    }
}

/// Evaluate identity policies (`resource_policy` false) or a resource policy (true).
pub fn evaluate(policies: &[NamedPolicy], req: &Request, resource_policy: bool) -> Decision {
    let (mut allow, mut deny, mut maybe_allow, mut maybe_deny) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for p in policies {
        for (i, s) in policy::statements(&p.document).iter().enumerate() {
            let effect = s.get("Effect").and_then(Value::as_str).unwrap_or("");
            match (effect, statement_matches(s, req, resource_policy)) {
                ("Deny", Some(true)) => deny.push(label(p, s, i)),
                ("Deny", None) => maybe_deny.push(label(p, s, i)),
                ("Allow", Some(true)) => allow.push(label(p, s, i)),
                ("Allow", None) => maybe_allow.push(label(p, s, i)),
                _ => {}
            }
        }
    }
    if !deny.is_empty() {
        Decision::ExplicitDeny(deny)
    } else if !maybe_deny.is_empty() && (!allow.is_empty() || !maybe_allow.is_empty()) {
        Decision::Unknown(maybe_deny)
    } else if !allow.is_empty() {
        Decision::Allowed(allow)
    } else if !maybe_allow.is_empty() {
        Decision::Unknown(maybe_allow)
    } else {
        Decision::ImplicitDeny
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn named(doc: Value) -> Vec<NamedPolicy> {
        vec![NamedPolicy {
            name: "p".into(),
            document: doc,
        }]
    }

    fn req(action: &str, resource: &str) -> Request {
        Request::new(
            action,
            resource,
            "arn:aws:iam::222222222222:role/r",
            "222222222222",
        )
    }

    #[test]
    fn s3_prefix_conditions_decide_list_bucket() {
        let b = named(json!({"Statement": [
            {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
             "Condition": {"StringLike": {"s3:prefix": ["*/datazone/*", "datazone/*"]}}}]}));
        let r = req("s3:ListBucket", "arn:aws:s3:::sales");
        assert_eq!(
            evaluate(&b, &r.clone().with_key("s3:prefix", &["order/"]), false),
            Decision::ImplicitDeny
        );
        assert_eq!(
            evaluate(
                &b,
                &r.clone().with_key("s3:prefix", &["datazone/x/"]),
                false
            ),
            Decision::Allowed(vec!["p statement List".into()])
        );
        // No prefix in the request (GetObject, or a ListBucket of the whole bucket): no match.
        assert_eq!(evaluate(&b, &r, false), Decision::ImplicitDeny);
    }

    #[test]
    fn not_action_deny_and_if_exists() {
        let b = named(json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "Fence", "Effect": "Deny", "NotAction": ["glue:Get*", "s3:GetObject"], "Resource": "*"}]}));
        assert!(matches!(
            evaluate(
                &b,
                &req("glue:GetTable", "arn:aws:glue:us-east-1:1:table/d/t"),
                false
            ),
            Decision::Allowed(_)
        ));
        assert_eq!(
            evaluate(&b, &req("glue:DeleteTable", "x"), false),
            Decision::ExplicitDeny(vec!["p statement Fence".into()])
        );
        let c = named(
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": "111111111111"}}}]}),
        );
        assert!(matches!(
            evaluate(&c, &req("s3:GetObject", "arn:aws:s3:::b/k"), false),
            Decision::Allowed(_)
        ));
        let d = named(
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": "111111111111"}}}]}),
        );
        assert_eq!(
            evaluate(&d, &req("s3:GetObject", "arn:aws:s3:::b/k"), false),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn org_condition_is_unknown_until_the_org_is_known() {
        let bp = named(
            json!({"Statement": [{"Sid": "Org", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}]}),
        );
        let r = req("s3:GetObject", "arn:aws:s3:::b/x");
        assert_eq!(
            evaluate(&bp, &r, true),
            Decision::Unknown(vec!["p statement Org".into()])
        );
        let mut known = r.clone();
        known.principal_org_id = Some("o-abc".into());
        assert!(matches!(evaluate(&bp, &known, true), Decision::Allowed(_)));
        known.principal_org_id = Some("o-other".into());
        assert_eq!(evaluate(&bp, &known, true), Decision::ImplicitDeny);
    }

    #[test]
    fn resource_policy_principals_and_variables() {
        let bp = named(json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"},
            {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "s3:GetObject", "Resource": "*"}]}));
        assert!(matches!(
            evaluate(&bp, &req("s3:ListBucket", "arn:aws:s3:::b"), true),
            Decision::Allowed(_)
        ));
        assert_eq!(
            evaluate(&bp, &req("s3:GetObject", "arn:aws:s3:::b/k"), true),
            Decision::ImplicitDeny
        );
        let v = named(
            json!({"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}}]}),
        );
        assert!(matches!(
            evaluate(&v, &req("kms:Decrypt", "k"), false),
            Decision::Unknown(_)
        ));
    }
}
