//! Ownership of Sids and the merge of desired statements into a current document.

use serde_json::{json, Value};

use super::{same_statement, sid, statements};

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
