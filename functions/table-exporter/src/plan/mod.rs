//! Pure planning for DynamoDB exports to another account's bucket (scenario S3).
//!
//! Source side ([`exports`]): PITR, one export per table and schedule time (the bucket owner
//! always named, a client token derived from table and schedule time, the start recorded in the
//! state table so a redelivered schedule never starts a second export), and follow-up of
//! running exports. Destination side ([`destinations`]): the bucket statement that lets the
//! allowlisted source accounts write.
//!
//! An item whose state could not be read (one bucket, one export) is reported as failed on its
//! own; the others are planned as usual.

pub mod destinations;
pub mod exports;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use lakewarden::aws::dynamodb::ExportInfo;
use lakewarden::aws::AwsError;
use lakewarden::config::{default_state_table, Config, Export};
use lakewarden::reconcile::{Action, Plan};
use serde::Serialize;
use serde_json::Value;

use crate::ext::Ext;

pub use destinations::{destination_statement, plan_destinations, DEST_SID};
pub use exports::{
    client_token, dated_prefix, diagnose, plan_export, record_start, MAX_INCREMENTAL_HOURS,
    MIN_INCREMENTAL_MINUTES, NOT_FOUND,
};

/// The state table: `state_table`, else `integrations.state_table`, else `lakewarden-state`.
pub fn state_table(cfg: &Config) -> String {
    cfg.state_table
        .clone()
        .or_else(|| cfg.integrations.as_ref().map(|i| i.state_table.clone()))
        .unwrap_or_else(default_state_table)
}

/// State key of one configured export.
pub fn state_key(e: &Export) -> String {
    format!(
        "{}{}#{}#{}",
        lakewarden::ownership::state_key::EXPORTER,
        e.table,
        e.bucket,
        e.prefix
    )
}

/// What the state table remembers about one configured export.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ExportState {
    /// schedule time → export ARN, for the last runs.
    #[serde(default)]
    pub started: BTreeMap<String, String>,
    /// Exports not finished yet: ARN → export-to time.
    #[serde(default)]
    pub pending: BTreeMap<String, String>,
    /// Export-to time of the last completed export (start of the next incremental window).
    #[serde(default)]
    pub last_completed_to: Option<String>,
    #[serde(default)]
    pub last_completed_arn: Option<String>,
}

/// What was read about one configured export.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportObserved {
    pub table_arn: Option<String>,
    pub pitr: bool,
    pub state: ExportState,
    pub state_version: Option<u64>,
    /// DescribeExport of each pending export.
    pub pending: Vec<ExportInfo>,
}

/// What could not be read about one configured export (the others go on).
#[derive(Debug, Clone, PartialEq)]
pub enum ReadFailure {
    /// The exported table (DescribeTable / DescribeContinuousBackups).
    Table(AwsError),
    /// lakewarden's state table (GetItem): named as such, never as the exported table.
    StateTable(AwsError),
    /// An export started earlier (DescribeExport).
    Export { arn: String, error: AwsError },
}

/// Everything one run read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    /// This function's account (the diagnosis names the table's account, else this one).
    pub account: String,
    /// Destination bucket → its policy (None: it has none), or why it could not be read.
    pub destinations: BTreeMap<String, Result<Option<Value>, AwsError>>,
    /// State key ([`state_key`]) → what was read about that export.
    pub exports: BTreeMap<String, Result<ExportObserved, ReadFailure>>,
}

/// Both sides, for the configured destinations and exports.
pub fn plan(cfg: &Config, at: &DateTime<Utc>, obs: &Observed) -> Plan<Ext> {
    let mut p = Plan::default();
    if let Some(dests) = &cfg.export_destinations {
        p.extend(plan_destinations(dests, &obs.destinations));
    }
    if let Some(exports) = &cfg.exports {
        let table = state_table(cfg);
        let enables = |p: &Plan<Ext>| {
            p.actions()
                .filter_map(|a| match a {
                    Action::DynamoEnablePitr { table } => Some(table.clone()),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        // PITR that one export of a table turns on (`fix_pitr`) is on for the table's other
        // exports too: PITR is enabled before the exports start, so they export in this run
        // rather than on a redelivery of the same schedule (found by the convergence property,
        // tests/converge_props.rs).
        let enabled: BTreeSet<String> = exports
            .iter()
            .filter_map(|e| match obs.exports.get(&state_key(e)) {
                Some(Ok(o)) => Some(enables(&plan_export(e, &table, o, at, &obs.account))),
                _ => None,
            })
            .flatten()
            .collect();
        for e in exports {
            match obs.exports.get(&state_key(e)) {
                Some(Ok(o)) => {
                    let own = plan_export(e, &table, o, at, &obs.account);
                    if !o.pitr && enabled.contains(e.table.as_str()) && enables(&own).is_empty() {
                        let on = ExportObserved {
                            pitr: true,
                            ..o.clone()
                        };
                        p.extend(plan_export(e, &table, &on, at, &obs.account));
                    } else {
                        p.extend(own);
                    }
                }
                Some(Err(f)) => read_failure(&mut p, e, &table, f),
                None => p.skip(
                    "dynamodb.export_table",
                    format!("table {}", e.table),
                    "not observed in this run",
                    None,
                ),
            }
        }
    }
    p
}

/// Report what could not be read about one export, naming what is actually missing.
fn read_failure(p: &mut Plan<Ext>, e: &Export, state_table: &str, f: &ReadFailure) {
    match f {
        ReadFailure::Table(err) => p.fail(
            "observe",
            format!("table {}", e.table),
            err.to_string(),
            format!(
                "Check that table {} exists in this account and the function may dynamodb:DescribeTable/DescribeContinuousBackups on it",
                e.table
            ),
        ),
        ReadFailure::StateTable(err) => p.fail(
            "observe",
            format!("state table {state_table}"),
            err.to_string(),
            format!(
                "Create lakewarden's state table {state_table} in this account (partition key `pk`, String) or set `state_table` to the existing one, and give the function dynamodb:GetItem/PutItem on it; nothing was exported from {} until then",
                e.table
            ),
        ),
        ReadFailure::Export { arn, error } => p.fail(
            "observe",
            format!("export {arn} of table {}", e.table),
            error.to_string(),
            "Check the function's dynamodb:DescribeExport permission; the next run follows the export up again",
        ),
    }
}

#[cfg(test)]
mod tests;
