//! Pure diagnosis of zero-ETL prerequisites (seeds 000 and 001) on the side this account owns,
//! and the fixes lakewarden may make inside this account.
//!
//! Round 0 checks every prerequisite ([`source`], [`target`]): each check is reported as
//! `check.<name>` — `already` when it holds, the fix's outcome when lakewarden fixes it, `skipped`
//! (and alerted) when a person must act. Round 1 shares the target database's tables when an
//! integration became ACTIVE ([`share`]). [`alert`] words the FAILED / NEEDS_ATTENTION alert.

pub mod alert;
pub mod share;
pub mod source;
pub mod target;

use lakewarden::aws::glue::DatabaseInfo;
use lakewarden::aws::glue_integrations::IntegrationInfo;
use lakewarden::aws::iam::RoleInfo;
use lakewarden::config::Integrations;
use lakewarden::reconcile::{Action, Plan};
use lakewarden::sharing;
use serde::Serialize;
use serde_json::{json, Value};

use crate::ext::Ext;
use crate::trigger::Scope;

pub use alert::status_advice;
pub use source::{source_checks, table_statement, EXPORT_ACTIONS};
pub use target::{catalog_statements, desired_catalog_policy, role_statements, target_checks};

pub const GLUE: &str = "glue.amazonaws.com";
pub const ROLE_POLICY: &str = lakewarden::ownership::policy_name::ZERO_ETL;
pub const SID_PREFIX: &str = lakewarden::ownership::sid::ZERO_ETL;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceObs {
    pub table: String,
    pub table_arn: Option<String>,
    pub pitr: bool,
    /// (document, revision id)
    pub policy: Option<(Value, String)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetObs {
    pub database: String,
    pub db: Option<DatabaseInfo>,
    /// None: no resource property; Some(None): one without role.
    pub property_role: Option<Option<String>>,
    pub role: Option<RoleInfo>,
    /// Every statement of the role's inline and attached policies.
    pub role_statements: Vec<Value>,
    /// lakewarden's own inline policy on the role.
    pub our_role_policy: Option<Value>,
}

/// Round 0: the prerequisites of the configured sources and targets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diagnosis {
    pub account: String,
    pub region: String,
    /// (document, hash)
    pub catalog_policy: Option<(Value, String)>,
    pub sources: Vec<SourceObs>,
    pub targets: Vec<TargetObs>,
    pub integrations: Vec<IntegrationInfo>,
}

/// What one round observed.
#[derive(Debug, Clone)]
pub enum Observed {
    Diagnosis(Box<Diagnosis>),
    /// Round 1: the target database to share now that its integration is ACTIVE, with the
    /// sharing state (None when it is not in `producer.shares`); `Skip` when this run shares
    /// nothing (not a change to ACTIVE on the target side of this account).
    Share {
        database: String,
        observed: Option<Box<sharing::Observed>>,
    },
    /// Round 1: an event claimed ACTIVE, but what `DescribeInboundIntegrations` says of the
    /// integration does not allow sharing (not ACTIVE, gone, or not targeting a database of this
    /// account): nothing is written, the reason is noted.
    NotShared {
        integration: String,
        reason: String,
    },
    Skip,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Verdict {
    Ok,
    /// Missing; this account can fix it with this write.
    Fixable(Action<Ext>),
    /// Missing; a person must act.
    Manual(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// e.g. `source.pitr`, `target.catalog_policy`.
    pub name: String,
    pub target: String,
    pub verdict: Verdict,
    /// What is missing, readable.
    pub detail: String,
}

pub fn check(name: &str, target: String, verdict: Verdict, detail: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        target,
        verdict,
        detail: detail.into(),
    }
}

/// Every check for the configured sources and targets.
pub fn checks(cfg: &Integrations, o: &Diagnosis) -> Vec<Check> {
    let mut out = Vec::new();
    for (s, obs) in cfg.sources.iter().zip(&o.sources) {
        out.extend(source_checks(s, obs, o));
    }
    for (t, obs) in cfg.targets.iter().zip(&o.targets) {
        out.extend(target_checks(cfg, t, obs, o));
    }
    out
}

/// The checks as a plan: each holds (`already`), is fixed (`push_as` the check), or is left to
/// a person (`skip_alert`). Every finding is also a note (for the report and the alert).
pub fn plan_checks(checks: &[Check], fix: bool) -> Plan<Ext> {
    let mut p = Plan::default();
    for c in checks {
        let name = format!("check.{}", c.name);
        let fix_kind = match &c.verdict {
            Verdict::Fixable(a) => Some(a.kind()),
            _ => None,
        };
        if c.verdict != Verdict::Ok {
            p.notes.push(
                json!({"finding": c.name, "target": c.target, "detail": c.detail, "fix": fix_kind}),
            );
        }
        match &c.verdict {
            Verdict::Ok => p.already(name, c.target.clone()),
            Verdict::Manual(remedy) => p.skip_alert(
                name,
                c.target.clone(),
                c.detail.clone(),
                Some(remedy.clone()),
            ),
            Verdict::Fixable(a) if !fix => p.skip_alert(
                name,
                c.target.clone(),
                format!("{} (not fixed: integrations.fix is false)", c.detail),
                Some(format!(
                    "Set integrations.fix: true or fix it by hand ({} would fix it).",
                    a.kind()
                )),
            ),
            Verdict::Fixable(a) => p.push_as(name, c.target.clone(), a.clone()),
        }
    }
    p
}

/// One round's plan.
pub fn plan(cfg: &lakewarden::config::Config, scope: &Scope, observed: &Observed) -> Plan<Ext> {
    match observed {
        Observed::Diagnosis(d) => {
            let mut p = match &cfg.integrations {
                Some(i) => plan_checks(&checks(i, d), i.fix),
                None => Plan::default(),
            };
            if let Scope::State(s) = scope {
                p.notes.push(json!({"integration": s.integration_arn, "status": s.status, "previousStatus": s.previous_status}));
            }
            p
        }
        Observed::Share { database, observed } => {
            let mut p = share::plan_share(cfg.producer.as_ref(), database, observed.as_deref());
            // Account prerequisites of the grants (issue 10 §3).
            if let (Some(producer), Some(obs)) = (cfg.producer.as_ref(), observed.as_deref()) {
                p.extend(lakewarden::lfsettings::sharing_checks(cfg, producer, obs));
            }
            p
        }
        Observed::NotShared {
            integration,
            reason,
        } => {
            let mut p = Plan::default();
            p.notes
                .push(json!({"not_shared": integration, "reason": reason}));
            p
        }
        Observed::Skip => Plan::default(),
    }
}

#[cfg(test)]
mod tests;
