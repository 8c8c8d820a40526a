//! The JSON report every handler returns, and the API-call counter behind `api_calls`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Written in this run.
    Applied,
    /// Already as it should be: nothing written.
    Already,
    /// Dry run: would be written.
    Planned,
    /// The write (or the read it needed) failed; see `error`.
    Failed,
    /// Deliberately not done (see `error` for why); nothing written.
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionReport {
    /// Kind of action, e.g. `lakeformation.grant`.
    pub action: String,
    /// What it acts on, readable: `222222222222 on cur_org.legacy_all [DESCRIBE, SELECT]`.
    pub target: String,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What a person should do when this failed or was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub function: String,
    pub dry_run: bool,
    pub actions: Vec<ActionReport>,
    /// Requests sent per service (retries included).
    pub api_calls: BTreeMap<String, u64>,
    /// Requests sent per `service.Operation`.
    pub api_operations: BTreeMap<String, u64>,
    /// Requests that change something (everything but Get/List/Describe/Search… and the alert).
    pub writes: u64,
    /// Findings and explanations that are not actions (checks, reasons for an empty report).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<Value>,
    /// In a report of more than [`COMPACT_AFTER`] actions, the `already` ones are not listed but
    /// counted here per action kind (so the report fits one CloudWatch log event).
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub already_counts: BTreeMap<String, u64>,
    /// The invocation was a scheduled reconcile (its writes repaired drift).
    #[serde(skip)]
    pub scheduled: bool,
    /// The run stopped before its end (the invocation's deadline): the rest is `skipped`.
    #[serde(skip)]
    pub incomplete: bool,
}

/// Past this many actions, `already` actions are counted per kind instead of listed.
pub const COMPACT_AFTER: usize = 100;

impl Report {
    pub fn new(function: &str, dry_run: bool) -> Self {
        Report {
            function: function.to_string(),
            dry_run,
            actions: Vec::new(),
            api_calls: BTreeMap::new(),
            api_operations: BTreeMap::new(),
            writes: 0,
            notes: Vec::new(),
            already_counts: BTreeMap::new(),
            scheduled: false,
            incomplete: false,
        }
    }

    /// Past [`COMPACT_AFTER`] actions, keep every non-`already` action and count the `already`
    /// ones per action kind.
    pub fn compact(&mut self) {
        if self.actions.len() <= COMPACT_AFTER {
            return;
        }
        let mut kept = Vec::new();
        for a in self.actions.drain(..) {
            if a.outcome == Outcome::Already {
                *self.already_counts.entry(a.action.clone()).or_default() += 1;
            } else {
                kept.push(a);
            }
        }
        self.actions = kept;
    }

    pub fn push(&mut self, action: &str, target: impl Into<String>, outcome: Outcome) {
        self.actions.push(ActionReport {
            action: action.to_string(),
            target: target.into(),
            outcome,
            error: None,
            remedy: None,
        });
    }

    pub fn push_failed(
        &mut self,
        action: &str,
        target: impl Into<String>,
        error: impl Into<String>,
        remedy: impl Into<String>,
    ) {
        self.actions.push(ActionReport {
            action: action.to_string(),
            target: target.into(),
            outcome: Outcome::Failed,
            error: Some(error.into()),
            remedy: Some(remedy.into()),
        });
    }

    pub fn push_skipped(
        &mut self,
        action: &str,
        target: impl Into<String>,
        why: impl Into<String>,
        remedy: Option<String>,
    ) {
        self.actions.push(ActionReport {
            action: action.to_string(),
            target: target.into(),
            outcome: Outcome::Skipped,
            error: Some(why.into()),
            remedy,
        });
    }

    /// Record the result of a write: `applied`, or `failed` with the AWS error and the remedy.
    pub fn record<E: std::fmt::Display>(
        &mut self,
        action: &str,
        target: impl Into<String>,
        result: Result<(), E>,
        remedy: impl FnOnce() -> String,
    ) {
        match result {
            Ok(()) => self.push(action, target, Outcome::Applied),
            Err(e) => self.push_failed(action, target, e.to_string(), remedy()),
        }
    }

    pub fn note(&mut self, v: Value) {
        self.notes.push(v);
    }

    pub fn failures(&self) -> Vec<&ActionReport> {
        self.actions
            .iter()
            .filter(|a| a.outcome == Outcome::Failed)
            .collect()
    }

    pub fn count(&self, outcome: Outcome) -> usize {
        let listed = self.actions.iter().filter(|a| a.outcome == outcome).count();
        if outcome == Outcome::Already {
            listed + self.already_counts.values().sum::<u64>() as usize
        } else {
            listed
        }
    }

    /// Copy the counter's figures since `since` into the report.
    pub fn set_calls(&mut self, counter: &ApiCounter, since: &CallSnapshot) {
        let now = counter.snapshot();
        self.api_operations = now.diff(since);
        self.api_calls.clear();
        self.writes = 0;
        for (op, n) in &self.api_operations {
            let (service, name) = op.split_once('.').unwrap_or((op.as_str(), ""));
            *self.api_calls.entry(service.to_string()).or_default() += n;
            // Alerts are not changes to the account's resources.
            if is_write_operation(name) && op != "sns.Publish" {
                self.writes += n;
            }
        }
    }

    /// Requests sent for one `service.Operation`.
    pub fn calls_of(&self, op: &str) -> u64 {
        self.api_operations.get(op).copied().unwrap_or(0)
    }
}

/// Operations that only read.
pub fn is_write_operation(op: &str) -> bool {
    const READ: &[&str] = &[
        "Get", "List", "Describe", "Search", "BatchGet", "Query", "Scan", "Head",
    ];
    !READ.iter().any(|p| op.starts_with(p)) && op != "AssumeRole"
}

#[derive(Debug, Clone, Default)]
pub struct CallSnapshot(BTreeMap<String, u64>, Option<std::time::Instant>);

impl CallSnapshot {
    /// Milliseconds since this snapshot was taken (the invocation's duration so far).
    pub fn elapsed_ms(&self) -> u64 {
        self.1.map(|t| t.elapsed().as_millis() as u64).unwrap_or(0)
    }

    fn diff(&self, before: &CallSnapshot) -> BTreeMap<String, u64> {
        self.0
            .iter()
            .filter_map(|(k, v)| {
                let d = v - before.0.get(k).copied().unwrap_or(0);
                (d > 0).then(|| (k.clone(), d))
            })
            .collect()
    }
}

/// An SDK interceptor that counts every request attempt by `service.Operation`.
#[derive(Debug, Clone, Default)]
pub struct ApiCounter {
    inner: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl ApiCounter {
    pub fn snapshot(&self) -> CallSnapshot {
        CallSnapshot(
            self.inner.lock().expect("counter lock").clone(),
            Some(std::time::Instant::now()),
        )
    }
}

impl Intercept for ApiCounter {
    fn name(&self) -> &'static str {
        "lakewarden-api-counter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(m) = cfg.load::<Metadata>() {
            let key = format!("{}.{}", m.service().to_ascii_lowercase(), m.name());
            *self
                .inner
                .lock()
                .expect("counter lock")
                .entry(key)
                .or_default() += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_are_told_apart() {
        assert!(!is_write_operation("ListPermissions"));
        assert!(!is_write_operation("GetBucketPolicy"));
        assert!(is_write_operation("BatchGrantPermissions"));
        assert!(is_write_operation("PutBucketPolicy"));
        assert!(is_write_operation("Publish"));
    }

    #[test]
    fn report_serializes_outcomes_in_lowercase() {
        let mut r = Report::new("catalog-sharer", false);
        r.push("lakeformation.grant", "x", Outcome::Already);
        r.push_failed("s3.put_bucket_policy", "b", "AccessDenied: no", "fix it");
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["actions"][0]["outcome"], "already");
        assert_eq!(v["actions"][1]["outcome"], "failed");
        assert_eq!(v["actions"][1]["error"], "AccessDenied: no");
        assert!(v["actions"][0].get("error").is_none());
        assert_eq!(r.failures().len(), 1);
    }

    #[test]
    fn big_reports_count_already_actions_per_kind() {
        let mut r = Report::new("f", false);
        for i in 0..150 {
            r.push("lakeformation.grant", format!("t{i}"), Outcome::Already);
        }
        r.push_failed("s3.put_bucket_policy", "b", "AccessDenied", "fix");
        r.compact();
        assert_eq!(r.actions.len(), 1);
        assert_eq!(r.already_counts["lakeformation.grant"], 150);
        assert_eq!(r.count(Outcome::Already), 150);
        let small = {
            let mut r = Report::new("f", false);
            r.push("x", "y", Outcome::Already);
            r.compact();
            r
        };
        assert_eq!(small.actions.len(), 1);
    }

    #[test]
    fn snapshots_diff() {
        let c = ApiCounter::default();
        c.inner.lock().unwrap().insert("glue.GetTables".into(), 2);
        let s = c.snapshot();
        c.inner.lock().unwrap().insert("glue.GetTables".into(), 5);
        c.inner
            .lock()
            .unwrap()
            .insert("lakeformation.BatchGrantPermissions".into(), 1);
        let mut r = Report::new("f", false);
        r.set_calls(&c, &s);
        assert_eq!(r.api_calls["glue"], 3);
        assert_eq!(r.api_calls["lakeformation"], 1);
        assert_eq!(r.writes, 1);
        assert_eq!(r.calls_of("glue.GetTables"), 3);
    }
}
