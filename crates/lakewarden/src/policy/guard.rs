//! The statement guard: which principals and organization conditions lakewarden may write.

use serde_json::Value;

use super::{sid, PolicyError};

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
