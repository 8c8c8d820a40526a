//! The alert for an integration that is FAILED or NEEDS_ATTENTION: status, AWS errors, every
//! failed check of this side, what was fixed in this run and what a person must do. Built from
//! the report once every round is applied (a fixed check is one whose step was applied).

use lakewarden::report::{Outcome, Report};

use crate::trigger::StateChange;

/// What a person must do for an integration in this status.
pub fn status_advice(status: &str) -> &'static str {
    match status {
        "FAILED" => "A FAILED integration does not recover: after the prerequisites are fixed, delete it and create it again (the target role cannot be changed on an existing integration).",
        "NEEDS_ATTENTION" => "Fix the prerequisites listed above; the integration resumes by itself once they hold. If the target role is wrong, delete and recreate the integration (the role cannot be changed after creation).",
        _ => "",
    }
}

pub fn status_alert(s: &StateChange, report: &Report) -> Option<String> {
    if !s.needs_alert() {
        return None;
    }
    let was = match &s.previous_status {
        Some(p) => format!("was {p}"),
        None => "first seen by integration-monitor".into(),
    };
    let mut msg = format!(
        "Zero-ETL integration {} ({} side) is {} ({was}).\nSource: {}\nTarget: {}\n",
        s.name(),
        s.side,
        s.status,
        s.source_arn,
        s.target_arn
    );
    for e in &s.errors {
        msg.push_str(&format!(
            "AWS error: {} {}\n",
            e["code"].as_str().unwrap_or_default(),
            e["message"].as_str().unwrap_or_default()
        ));
    }
    let findings: Vec<_> = report
        .notes
        .iter()
        .filter_map(|n| {
            Some((
                n["finding"].as_str()?,
                n["target"].as_str().unwrap_or_default(),
                n["detail"].as_str().unwrap_or_default(),
                n["fix"].as_str(),
            ))
        })
        .collect();
    if findings.is_empty() {
        msg.push_str("Every prerequisite on this side holds; check the other account's side.\n");
    } else {
        let failed: Vec<String> = findings
            .iter()
            .map(|(name, target, detail, _)| format!("- {name} {target}: {detail}"))
            .collect();
        msg.push_str(&format!(
            "Failed checks on this side:\n{}\n",
            failed.join("\n")
        ));
    }
    let fixed: Vec<String> = findings
        .iter()
        .filter(|(name, target, _, _)| {
            report.actions.iter().any(|a| {
                a.outcome == Outcome::Applied
                    && a.action == format!("check.{name}")
                    && a.target == *target
            })
        })
        .map(|(name, target, _, fix)| format!("{name} {target} ({})", fix.unwrap_or_default()))
        .collect();
    if !fixed.is_empty() {
        msg.push_str(&format!("Fixed now:\n- {}\n", fixed.join("\n- ")));
    }
    msg.push_str(status_advice(&s.status));
    Some(msg)
}
