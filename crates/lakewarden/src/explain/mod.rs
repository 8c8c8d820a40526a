//! `explain`: can this principal read this table, and if not, why.
//!
//! It walks the chain a query depends on — Lake Formation settings, the RAM invitation, the
//! resource link, DESCRIBE on the link, DESCRIBE on the target database, SELECT, the location
//! registration, the identity policy, the permissions boundary, and S3 — and answers each link
//! with `ok` (true, false, or null when the access it has cannot tell), the evidence it read and
//! the fix. [`observe`] reads (only reads) with the credentials of the principal's account and,
//! when given, of the producer account; [`assess`] is a pure function of what was read.
//!
//! Functions call [`explain`] to put the verdict and [`first_failing_step`] into their alerts.

pub mod assess;
pub mod eval;
pub mod observe;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::aws::Aws;

pub use assess::assess;
pub use observe::{observe, Observed};

/// The step ids, in the order they are checked. They are an interface: keep them.
pub const STEP_IDS: [&str; 10] = [
    "lf.settings",
    "ram.invitation",
    "glue.link",
    "lf.link_describe",
    "lf.database_describe",
    "lf.table_select",
    "lf.location",
    "iam.identity",
    "iam.boundary",
    "s3.access",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allowed,
    Denied,
    Unknown,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Allowed => "allowed",
            Verdict::Denied => "denied",
            Verdict::Unknown => "unknown",
        })
    }
}

/// One link of the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    /// true, false, or null when it cannot be known from the access explain has.
    pub ok: Option<bool>,
    /// What was read, and which evaluator answered for policies.
    pub evidence: String,
    /// What to do (null when nothing is to be done).
    pub fix: Option<String>,
    /// false when the step does not apply to this table (e.g. `glue.link` for a database that
    /// is not a resource link); such a step is `ok: true` and does not count.
    #[serde(default = "yes")]
    pub applies: bool,
}

fn yes() -> bool {
    true
}

impl Step {
    pub fn ok(id: &str, evidence: impl Into<String>) -> Step {
        Step {
            id: id.into(),
            ok: Some(true),
            evidence: evidence.into(),
            fix: None,
            applies: true,
        }
    }
    pub fn fail(id: &str, evidence: impl Into<String>, fix: impl Into<String>) -> Step {
        Step {
            id: id.into(),
            ok: Some(false),
            evidence: evidence.into(),
            fix: Some(fix.into()),
            applies: true,
        }
    }
    pub fn unknown(id: &str, evidence: impl Into<String>, fix: Option<String>) -> Step {
        Step {
            id: id.into(),
            ok: None,
            evidence: evidence.into(),
            fix,
            applies: true,
        }
    }
    pub fn not_applicable(id: &str, why: impl Into<String>) -> Step {
        Step {
            id: id.into(),
            ok: Some(true),
            evidence: format!("does not apply: {}", why.into()),
            fix: None,
            applies: false,
        }
    }
}

/// The answer: `{"principal", "table", "verdict", "steps": [{"id", "ok", "evidence", "fix"}]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub principal: String,
    pub table: String,
    pub verdict: Verdict,
    pub steps: Vec<Step>,
}

impl Explanation {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The verdict of a list of steps: `denied` when one that applies is false, `allowed` when
    /// every one that applies is true, `unknown` otherwise. `lf.location` being null means "not
    /// registered (or not readable): `s3.access` decides", so it never makes the answer unknown
    /// by itself.
    pub fn verdict_of(steps: &[Step]) -> Verdict {
        let counted = steps
            .iter()
            .filter(|s| s.applies && !(s.id == "lf.location" && s.ok.is_none()));
        let mut unknown = false;
        for s in counted {
            match s.ok {
                Some(false) => return Verdict::Denied,
                None => unknown = true,
                Some(true) => {}
            }
        }
        if unknown {
            Verdict::Unknown
        } else {
            Verdict::Allowed
        }
    }

    /// One line for an alert: the verdict, and the first failing (else first unknown) step with
    /// its fix.
    pub fn summary(&self) -> String {
        match first_failing_step(self) {
            None => format!(
                "explain: {} can read {}: {}",
                self.principal, self.table, self.verdict
            ),
            Some(s) => format!(
                "explain: {} reading {}: {} at {} — {}{}",
                self.principal,
                self.table,
                self.verdict,
                s.id,
                s.evidence,
                s.fix
                    .as_deref()
                    .map(|f| format!(" Fix: {f}"))
                    .unwrap_or_default()
            ),
        }
    }

    /// A fixed-width table for a terminal.
    pub fn render(&self) -> String {
        let mut out = format!(
            "principal: {}\ntable:     {}\nverdict:   {}\n\n",
            self.principal, self.table, self.verdict
        );
        out.push_str(&format!(
            "{:<21} {:<7} {}\n",
            "STEP", "OK", "EVIDENCE / FIX"
        ));
        for s in &self.steps {
            let ok = match (s.applies, s.ok) {
                (false, _) => "n/a",
                (_, Some(true)) => "yes",
                (_, Some(false)) => "NO",
                (_, None) => "?",
            };
            out.push_str(&format!("{:<21} {:<7} {}\n", s.id, ok, s.evidence));
            if let Some(f) = &s.fix {
                if s.ok != Some(true) {
                    out.push_str(&format!("{:<21} {:<7} fix: {}\n", "", "", f));
                }
            }
        }
        out
    }
}

/// The first step that applies and is false; when none is false, the first that applies and
/// is unknown (null), `lf.location` excepted (see [`Explanation::verdict_of`]). None when the
/// verdict is `allowed`.
pub fn first_failing_step(e: &Explanation) -> Option<&Step> {
    let counted = || {
        e.steps
            .iter()
            .filter(|s| s.applies && !(s.id == "lf.location" && s.ok.is_none()))
    };
    counted()
        .find(|s| s.ok == Some(false))
        .or_else(|| counted().find(|s| s.ok.is_none()))
}

/// A table as the user names it: `[CATALOG_ID:]DATABASE.TABLE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRef {
    pub catalog_id: Option<String>,
    pub database: String,
    pub table: String,
}

impl TableRef {
    pub fn parse(s: &str) -> Result<TableRef, String> {
        let (catalog_id, rest) = match s.split_once(':') {
            Some((c, r)) => {
                if !crate::config::is_account_id(c) {
                    return Err(format!(
                        "`{s}`: the catalog id before `:` must be a 12-digit account id"
                    ));
                }
                (Some(c.to_string()), r)
            }
            None => (None, s),
        };
        match rest.split_once('.') {
            Some((d, t)) if !d.is_empty() && !t.is_empty() && !t.contains('.') => Ok(TableRef {
                catalog_id,
                database: d.to_string(),
                table: t.to_string(),
            }),
            _ => Err(format!(
                "`{s}` is not [CATALOG_ID:]DATABASE.TABLE (e.g. cur_org_linked.daily or 111111111111:cur_org.daily)"
            )),
        }
    }
}

impl fmt::Display for TableRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = &self.catalog_id {
            write!(f, "{c}:")?;
        }
        write!(f, "{}.{}", self.database, self.table)
    }
}

/// Explain whether `principal` (a role or user ARN of `consumer`'s account) can read `table`.
/// `consumer` acts in the principal's account; `producer`, when given, in the account that owns
/// the table (for the producer-side steps). It only reads.
pub async fn explain(
    consumer: &Aws,
    producer: Option<&Aws>,
    principal: &str,
    table: &TableRef,
) -> Explanation {
    let observed = observe(consumer, producer, principal, table).await;
    assess(&observed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_refs() {
        let t = TableRef::parse("111111111111:cur_org.daily").unwrap();
        assert_eq!(t.catalog_id.as_deref(), Some("111111111111"));
        assert_eq!(
            (t.database.as_str(), t.table.as_str()),
            ("cur_org", "daily")
        );
        assert_eq!(t.to_string(), "111111111111:cur_org.daily");
        let t = TableRef::parse("cur_org_linked.daily").unwrap();
        assert_eq!(t.catalog_id, None);
        assert!(TableRef::parse("daily").is_err());
        assert!(TableRef::parse("12:db.t").is_err());
        assert!(TableRef::parse("db.").is_err());
    }

    #[test]
    fn verdicts() {
        let ok = |id: &str| Step::ok(id, "");
        let steps = vec![ok("lf.settings"), Step::not_applicable("glue.link", "x")];
        assert_eq!(Explanation::verdict_of(&steps), Verdict::Allowed);
        let mut s2 = steps.clone();
        s2.push(Step::unknown("lf.location", "not registered", None));
        s2.push(ok("s3.access"));
        assert_eq!(Explanation::verdict_of(&s2), Verdict::Allowed);
        s2.push(Step::unknown("iam.identity", "?", None));
        assert_eq!(Explanation::verdict_of(&s2), Verdict::Unknown);
        s2.push(Step::fail("lf.table_select", "no SELECT", "grant"));
        assert_eq!(Explanation::verdict_of(&s2), Verdict::Denied);
        let e = Explanation {
            principal: "p".into(),
            table: "t".into(),
            verdict: Explanation::verdict_of(&s2),
            steps: s2,
        };
        assert_eq!(first_failing_step(&e).unwrap().id, "lf.table_select");
        assert!(e.summary().contains("denied at lf.table_select"));
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["verdict"], "denied");
        assert_eq!(v["steps"][1]["ok"], true);
        assert_eq!(v["steps"][2]["ok"], serde_json::Value::Null);
    }
}
