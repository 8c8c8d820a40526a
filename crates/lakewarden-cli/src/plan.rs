//! `lakewarden plan FUNCTION --config FILE [--event FILE] [--json]`: `terraform plan` for
//! lakewarden. The function's own handler runs against the account of the current
//! credentials with `dry_run` forced on, and every client sits behind the read-only guard, so a
//! write is refused before it is serialized even if a dry-run path were wrong.

use std::io::Write;
use std::path::Path;

use aws_config::SdkConfig;
use lakewarden::report::{Outcome, Report};
use lakewarden::runtime::{Ctx, HandlerError};
use serde_json::{json, Value};

use crate::readonly::ReadOnlyGuard;
use crate::{check, guarded_aws, EXIT_NEGATIVE, EXIT_OK, EXIT_USAGE};

/// The functions `plan` can run, by binary name.
pub const FUNCTIONS: &[&str] = &[
    catalog_sharer::FUNCTION,
    share_linker::FUNCTION,
    datazone_subscriber::FUNCTION,
    table_exporter::FUNCTION,
    integration_monitor::FUNCTION,
    integration_doctor::FUNCTION,
];

/// Call a function's handler by name.
pub async fn handle(
    function: &str,
    ctx: &Ctx,
    event: Value,
) -> Option<Result<Report, HandlerError>> {
    Some(match function {
        // Without the fan-out: the plan of the reconcile itself, not of the enqueueing.
        catalog_sharer::FUNCTION => catalog_sharer::fanout::handle_without_fanout(ctx, event).await,
        share_linker::FUNCTION => share_linker::handle(ctx, event).await,
        datazone_subscriber::FUNCTION => datazone_subscriber::handle(ctx, event).await,
        table_exporter::FUNCTION => table_exporter::handle(ctx, event).await,
        integration_monitor::FUNCTION => integration_monitor::handle(ctx, event).await,
        integration_doctor::FUNCTION => integration_doctor::handle(ctx, event).await,
        _ => return None,
    })
}

/// A scheduled event (`tests/events/scheduled.json`'s shape) for this account and region.
pub fn scheduled_event(account: &str, region: &str) -> Value {
    json!({
        "version": "0", "id": "lakewarden-plan", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": account,
        "time": chrono_now(), "region": region,
        "resources": [format!("arn:aws:events:{region}:{account}:rule/lakewarden-reconcile")],
        "detail": {}
    })
}

fn chrono_now() -> String {
    // RFC 3339 in UTC, whole seconds, as EventBridge writes `time`.
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Applied => "applied",
        Outcome::Already => "already",
        Outcome::Planned => "planned",
        Outcome::Failed => "failed",
        Outcome::Skipped => "skipped",
    }
}

/// The plan as a table: action, target, outcome (and the error / remedy of failed and skipped
/// actions), then the API calls.
pub fn render(report: &Report, refused: &[String]) -> String {
    let aw = report
        .actions
        .iter()
        .map(|a| a.action.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut out = format!(
        "{} — dry run, read-only ({} actions)\n\n{:<aw$}  {:<8}  {}\n",
        report.function,
        report.actions.len(),
        "ACTION",
        "OUTCOME",
        "TARGET"
    );
    for a in &report.actions {
        out.push_str(&format!(
            "{:<aw$}  {:<8}  {}\n",
            a.action,
            outcome(a.outcome),
            a.target
        ));
        if let Some(e) = &a.error {
            out.push_str(&format!("{:<aw$}  {:<8}  error: {e}\n", "", ""));
        }
        if let Some(r) = &a.remedy {
            out.push_str(&format!("{:<aw$}  {:<8}  remedy: {r}\n", "", ""));
        }
    }
    let mut counts = Vec::new();
    for o in [
        Outcome::Planned,
        Outcome::Already,
        Outcome::Skipped,
        Outcome::Failed,
        Outcome::Applied,
    ] {
        let n = report.count(o);
        if n > 0 {
            counts.push(format!("{n} {}", outcome(o)));
        }
    }
    out.push_str(&format!(
        "\n{}\nAPI calls: {} (writes sent: {})\n",
        if counts.is_empty() {
            "nothing to do".to_string()
        } else {
            counts.join(", ")
        },
        report
            .api_operations
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        report.writes
    ));
    if !refused.is_empty() {
        out.push_str(&format!(
            "refused by the read-only guard (never sent): {}\n",
            refused.join(", ")
        ));
    }
    for n in &report.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

pub async fn run(
    sdk: &SdkConfig,
    function: &str,
    config: &Path,
    event: Option<&Path>,
    json_out: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    if !FUNCTIONS.contains(&function) {
        let _ = writeln!(
            err,
            "unknown function `{function}`: expected one of {}",
            FUNCTIONS.join(", ")
        );
        return EXIT_USAGE;
    }
    let origin = config.display().to_string();
    let text = match std::fs::read_to_string(config) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(err, "{origin}: cannot read file: {e}");
            return EXIT_USAGE;
        }
    };
    let mut cfg = match check::check(&text, &origin) {
        Ok(c) => c,
        Err((_, problems)) => {
            let _ = write!(err, "{}", check::render(&origin, &problems));
            return EXIT_USAGE;
        }
    };
    cfg.dry_run = true;
    let event = match event {
        Some(p) => match std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                let _ = writeln!(err, "{}: not a JSON event: {e}", p.display());
                return EXIT_USAGE;
            }
        },
        None => Value::Null,
    };
    let guard = ReadOnlyGuard::default();
    let aws = guarded_aws(sdk, &guard);
    let event = if event.is_null() {
        match aws.account_id().await {
            Ok(a) => scheduled_event(&a, &aws.region),
            Err(e) => {
                let _ = writeln!(
                    err,
                    "cannot tell the account of the current credentials: {e}"
                );
                return EXIT_USAGE;
            }
        }
    } else {
        event
    };
    let ctx = Ctx::new(cfg, aws);
    let Some(result) = handle(function, &ctx, event).await else {
        return EXIT_USAGE;
    };
    let (report, code) = match result {
        Ok(r) => (r, EXIT_OK),
        Err(HandlerError::ActionsFailed { report, .. }) => (*report, EXIT_NEGATIVE),
        Err(e @ HandlerError::BadEvent(_)) | Err(e @ HandlerError::Config(_)) => {
            let _ = writeln!(err, "{function}: {e}");
            return EXIT_USAGE;
        }
    };
    let refused = guard.refused();
    if json_out {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
        if !refused.is_empty() {
            let _ = writeln!(
                err,
                "refused by the read-only guard (never sent): {}",
                refused.join(", ")
            );
        }
    } else {
        let _ = write!(out, "{}", render(&report, &refused));
    }
    code
}
