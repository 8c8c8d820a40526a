//! A simplified policy evaluator for prerequisite checks.

use serde_json::Value;

use super::principals;

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
