//! The one apply driver: every function's plan is carried out here.
//!
//! - a dry run reports every step as `planned` and writes nothing;
//! - phases run in order ([`Phase`]); within a phase, steps in plan order, Lake Formation grants
//!   and revokes batched (≤ 20 entries a call);
//! - "already so" answers (AlreadyExists on create, NotFound on revoke/delete, an invitation
//!   already accepted) are `already`, not failures;
//! - identical actions planned twice (two checks fixed by one write) are written once;
//! - every step ends up in the report; a failure never stops the others;
//! - a step with a ledger note ([`crate::ledger`]) is written intent → AWS write → result, the
//!   intent conditional on the version the plan read; an intent that cannot be written stops
//!   that step (never a write lakewarden could not record). Notes with no write of their own
//!   ([`Plan::remember`]) are written first;
//! - more removals than [`Plan::max_removals`] (`max_removals_per_run`): no removal runs, each
//!   is reported `skipped` and the run alerts (issue 11 §4).

use crate::aws::{datazone, dynamodb, glue, lakeformation, ram, Aws, AwsError, AwsResult};
use crate::ledger::{self, Note};
use crate::report::{Outcome, Report};
use crate::state::StateStore;

use super::action::{Action, ApplyState, Done, ExtAction, Link, Phase, Plan, Step};
use super::policy_write;

const PHASES: [Phase; 7] = [
    Phase::Prepare,
    Phase::Link,
    Phase::Grant,
    Phase::Write,
    Phase::Revoke,
    Phase::Unlink,
    Phase::Finally,
];

/// Put what the plan already knows (already, skipped, notes) into the report.
pub fn report_plan<X: ExtAction>(plan: &Plan<X>, report: &mut Report) {
    for (kind, target) in &plan.already {
        report.push(kind, target.clone(), Outcome::Already);
    }
    for s in &plan.skipped {
        report.push_skipped(
            &s.action,
            s.target.clone(),
            s.reason.clone(),
            s.remedy.clone(),
        );
    }
    for f in &plan.failed {
        report.push_failed(
            &f.action,
            f.target.clone(),
            f.error.clone(),
            f.remedy.clone(),
        );
    }
    for n in &plan.notes {
        report.note(n.clone());
    }
}

fn record<X: ExtAction>(
    report: &mut Report,
    state: &mut ApplyState,
    step: &Step<X>,
    res: &AwsResult<Done>,
) {
    let (kind, target) = step.label();
    match res {
        Ok(Done::Applied) => report.push(&kind, target, Outcome::Applied),
        Ok(Done::Already) => report.push(&kind, target, Outcome::Already),
        Err(e) => {
            state
                .first_error
                .get_or_insert_with(|| format!("{kind} {target}: {e}"));
            if let Some(unit) = &step.unit {
                state
                    .first_error_of
                    .entry(unit.clone())
                    .or_insert_with(|| format!("{kind} {target}: {e}"));
            }
            // A policy too large for AWS needs a different fix than a missing permission.
            let remedy = match &step.action {
                Action::Policy(w) => w.remedy_for(e),
                a => a.remedy(),
            };
            report.push_failed(&kind, target, e.to_string(), remedy);
        }
    }
}

fn already_if(res: AwsResult<()>, already: impl Fn(&AwsError) -> bool) -> AwsResult<Done> {
    match res {
        Ok(()) => Ok(Done::Applied),
        Err(e) if already(&e) => Ok(Done::Already),
        Err(e) => Err(e),
    }
}

fn exists(e: &AwsError) -> bool {
    e.is_already_exists()
}

/// Write a step's ledger intent. `Err` (reported as the step's failure) when it cannot be.
async fn ledger_intent(store: Option<&StateStore>, note: &Note) -> AwsResult<()> {
    let Some(store) = store else {
        return Err(AwsError::new(
            Some("LedgerUnavailable"),
            "this step must be recorded in lakewarden's ledger but the plan names no state table",
        ));
    };
    match ledger::write(store, note, true).await? {
        true => Ok(()),
        false => Err(AwsError::new(
            Some("LedgerConflict"),
            format!(
                "ledger entry {} changed since this run read it (another run at the same time); nothing written",
                note.pk
            ),
        )),
    }
}

/// Write a step's ledger result after its AWS write succeeded. A result that cannot be written
/// leaves the intent, which the next run heals from what exists: reported as a note.
async fn ledger_result(store: Option<&StateStore>, note: &Note, report: &mut Report) {
    let Some(store) = store else { return };
    let outcome = ledger::write(store, note, false).await;
    if !matches!(outcome, Ok(true)) {
        let why = match outcome {
            Err(e) => e.to_string(),
            _ => "the entry changed since its intent was written".into(),
        };
        tracing::warn!(pk = %note.pk, error = %why, "ledger result not written");
        report.note(serde_json::json!({
            "ledger": note.pk,
            "result_not_recorded": why,
            "heals": "the next run settles the intent from what exists",
        }));
    }
}

/// A step not written because its ledger intent could not be recorded: failed, with the remedy.
fn intent_failed<X: ExtAction>(
    report: &mut Report,
    state: &mut ApplyState,
    step: &Step<X>,
    e: &AwsError,
    table: Option<&str>,
) {
    let (kind, target) = step.label();
    state
        .first_error
        .get_or_insert_with(|| format!("{kind} {target}: {e}"));
    report.push_failed(&kind, target, e.to_string(), remedy_ledger(table));
}

fn remedy_ledger(table: Option<&str>) -> String {
    format!(
        "lakewarden records what it grants in its state table{} (DynamoDB, partition key `pk` String; infra/state-table.yaml): create it or set `state_table`, and give the function dynamodb:GetItem/PutItem/Scan on it. Nothing was written for this step",
        table.map(|t| format!(" {t}")).unwrap_or_default()
    )
}

/// More removals than `max_removals_per_run`: the indices of the removal steps held back.
fn held_back<X: ExtAction>(
    plan: &Plan<X>,
    report: &mut Report,
    state: &mut ApplyState,
) -> std::collections::BTreeSet<usize> {
    let mut out = std::collections::BTreeSet::new();
    let Some(max) = plan.max_removals else {
        return out;
    };
    let count = plan.removals();
    if count <= max {
        return out;
    }
    let why = format!(
        "max_removals_per_run: this run would make {count} removals, more than the {max} allowed; nothing was removed"
    );
    for (i, s) in plan.steps.iter().enumerate() {
        if s.removals() > 0 {
            let (kind, target) = s.label();
            // A unit (e.g. one DataZone subscription grant) whose removal was held back is not
            // reported done (REVOKED is downgraded to REVOKE_FAILED with this reason).
            if let Some(unit) = &s.unit {
                state
                    .first_error_of
                    .entry(unit.clone())
                    .or_insert_with(|| format!("{kind} {target}: {why}"));
            }
            report.push_skipped(
                &kind,
                target,
                why.clone(),
                Some("Check why so much looks withdrawn; if it is intended, raise max_removals_per_run for one run".into()),
            );
            out.insert(i);
        }
    }
    state.first_error.get_or_insert_with(|| why.clone());
    state.attention.push(format!(
        "{why}. lakewarden waits for a person: check why so many grants, links or statements look withdrawn (a role that lost its Lake Formation permissions sees empty listings); if the removals are intended, raise max_removals_per_run for one run."
    ));
    out
}

/// Carry out one action that is not a batched Lake Formation grant or revoke.
async fn run_one<X: ExtAction>(
    aws: &Aws,
    action: &Action<X>,
    unit: Option<&str>,
    state: &mut ApplyState,
) -> AwsResult<Done> {
    match action {
        Action::LfGrant(_) | Action::LfRevoke(_) => unreachable!("batched by the driver"),
        Action::LfRegister { arn, role_arn } => already_if(
            lakeformation::register_location_as(&aws.lakeformation, arn, role_arn.as_deref()).await,
            exists,
        ),
        Action::LfFixSettings(f) => {
            let account = aws.account_id().await?;
            lakeformation::fix_data_lake_settings(&aws.lakeformation, &account, f)
                .await
                .map(|changed| {
                    if changed {
                        Done::Applied
                    } else {
                        Done::Already
                    }
                })
        }
        Action::Policy(w) => policy_write::apply(aws, w).await,
        Action::CreateLink(Link::Database {
            name,
            producer,
            database,
        }) => already_if(
            glue::create_resource_link(&aws.glue, name, producer, database).await,
            exists,
        ),
        Action::CreateLink(Link::Table {
            database,
            name,
            catalog,
            target_database,
            table,
            managed_by,
        }) => already_if(
            glue::create_table_link_managed(
                &aws.glue,
                database,
                name,
                catalog,
                target_database,
                table,
                managed_by.as_deref(),
            )
            .await,
            exists,
        ),
        Action::DeleteLink(Link::Database { name, .. }) => already_if(
            glue::delete_database(&aws.glue, name).await,
            AwsError::is_not_found,
        ),
        Action::DeleteLink(Link::Table { database, name, .. }) => already_if(
            glue::delete_table(&aws.glue, database, name).await,
            AwsError::is_not_found,
        ),
        Action::RamAccept { arn, .. } => {
            already_if(ram::accept_invitation(&aws.ram, arn).await, exists)
        }
        Action::RamCreateShare {
            name,
            resources,
            principals,
        } => ram::create_share(&aws.ram, name, resources, principals)
            .await
            .map(|_| Done::Applied),
        Action::RamAssociate {
            arn,
            resources,
            principals,
            ..
        } => ram::associate(&aws.ram, arn, resources, principals)
            .await
            .map(|_| Done::Applied),
        Action::RamDisassociate {
            arn,
            resources,
            principals,
            ..
        } => ram::disassociate(&aws.ram, arn, resources, principals)
            .await
            .map(|_| Done::Applied),
        Action::DataZoneGrantStatus {
            domain,
            grant,
            asset,
            status,
            failure,
            target_name,
            downgrade_on_failure,
        } => {
            let (status, failure) =
                reported_status(state, unit, status, failure, *downgrade_on_failure);
            datazone::update_grant_status(
                &aws.datazone,
                domain,
                grant,
                asset,
                &status,
                failure.as_deref(),
                target_name.as_deref(),
            )
            .await
            .map(|_| Done::Applied)
        }
        Action::DynamoEnablePitr { table } => dynamodb::enable_pitr(&aws.dynamodb, table)
            .await
            .map(|()| Done::Applied),
        Action::Ext(x) => x.apply(aws, state).await,
    }
}

/// Whether step `s` of `plan` is held back by the removal cap.
fn is_held<X: ExtAction>(
    plan: &Plan<X>,
    held: &std::collections::BTreeSet<usize>,
    s: &Step<X>,
) -> bool {
    !held.is_empty()
        && plan
            .steps
            .iter()
            .position(|x| std::ptr::eq(x, s))
            .is_some_and(|i| held.contains(&i))
}

/// Carry out a plan. `catalog_id` is this account's (Lake Formation batches name it).
pub async fn apply<X: ExtAction>(
    aws: &Aws,
    catalog_id: &str,
    plan: &Plan<X>,
    dry_run: bool,
    report: &mut Report,
) -> ApplyState {
    let mut state = ApplyState::default();
    report_plan(plan, report);
    let held = held_back(plan, report, &mut state);
    if dry_run {
        for (i, s) in plan.steps.iter().enumerate() {
            if held.contains(&i) {
                continue;
            }
            let (kind, target) = s.label();
            report.push(&kind, target, Outcome::Planned);
        }
        for n in &plan.remember {
            report.push("ledger.record", n.result.resource.clone(), Outcome::Planned);
        }
        return state;
    }
    let store = plan
        .ledger_table
        .as_ref()
        .map(|t| StateStore::new(aws.dynamodb.clone(), t.clone()));
    let table = plan.ledger_table.as_deref();
    // Notes with no write of their own (healed intents, remembered invitations) come first:
    // later notes on the same key were planned after them.
    for n in &plan.remember {
        let target = n.result.resource.clone();
        match &store {
            None => report.push_failed(
                "ledger.record",
                target,
                "no state table".to_string(),
                remedy_ledger(table),
            ),
            Some(st) => match ledger::write(st, n, false).await {
                Ok(true) => report.push("ledger.record", target, Outcome::Applied),
                Ok(false) => report.push_failed(
                    "ledger.record",
                    target,
                    format!("ledger entry {} changed since this run read it", n.pk),
                    "Nothing to do: the next run reads it again".to_string(),
                ),
                Err(e) => {
                    report.push_failed("ledger.record", target, e.to_string(), remedy_ledger(table))
                }
            },
        }
    }
    let recorded_held = held.len();
    // Results of actions already carried out, so that an identical action is written once.
    let mut done: Vec<(&Action<X>, AwsResult<Done>)> = Vec::new();
    let mut recorded = 0usize;
    for phase in PHASES {
        if crate::runtime::near_deadline() {
            break;
        }
        let steps: Vec<&Step<X>> = plan.steps.iter().filter(|s| s.phase() == phase).collect();
        if steps.is_empty() {
            continue;
        }
        // Lake Formation grants / revokes of this phase, batched.
        for revoke in [false, true] {
            let candidates: Vec<&Step<X>> = steps
                .iter()
                .copied()
                .filter(|s| !is_held(plan, &held, s))
                .filter(|s| match &s.action {
                    Action::LfGrant(_) => !revoke,
                    Action::LfRevoke(_) => revoke,
                    _ => false,
                })
                .collect();
            let mut batch: Vec<&Step<X>> = Vec::new();
            for s in candidates {
                if let Some(note) = &s.ledger {
                    if let Err(e) = ledger_intent(store.as_ref(), note).await {
                        intent_failed(report, &mut state, s, &e, table);
                        recorded += 1;
                        continue;
                    }
                }
                batch.push(s);
            }
            if batch.is_empty() {
                continue;
            }
            let grants: Vec<_> = batch
                .iter()
                .map(|s| match &s.action {
                    Action::LfGrant(g) | Action::LfRevoke(g) => g.clone(),
                    _ => unreachable!(),
                })
                .collect();
            let results = if revoke {
                lakeformation::batch_revoke(&aws.lakeformation, catalog_id, &grants).await
            } else {
                lakeformation::batch_grant(&aws.lakeformation, catalog_id, &grants).await
            };
            for (s, r) in batch.iter().zip(results) {
                // A revoke whose table (and with it the grant) is gone is already done.
                let r = if revoke {
                    already_if(r, AwsError::is_not_found)
                } else {
                    r.map(|_| Done::Applied)
                };
                if let (Ok(_), Some(note)) = (&r, &s.ledger) {
                    ledger_result(store.as_ref(), note, report).await;
                }
                record(report, &mut state, s, &r);
                recorded += 1;
            }
        }
        for s in steps
            .iter()
            .filter(|s| !matches!(s.action, Action::LfGrant(_) | Action::LfRevoke(_)))
            .filter(|s| !is_held(plan, &held, s))
        {
            if crate::runtime::near_deadline() {
                break;
            }
            recorded += 1;
            if let Some(note) = &s.ledger {
                if let Err(e) = ledger_intent(store.as_ref(), note).await {
                    intent_failed(report, &mut state, s, &e, table);
                    continue;
                }
            }
            let r = match done.iter().find(|(a, _)| **a == s.action) {
                Some((_, r)) => r.clone(),
                None => {
                    let r = run_one(aws, &s.action, s.unit.as_deref(), &mut state).await;
                    done.push((&s.action, r.clone()));
                    r
                }
            };
            if let (Ok(_), Some(note)) = (&r, &s.ledger) {
                ledger_result(store.as_ref(), note, report).await;
            }
            record(report, &mut state, s, &r);
        }
    }
    // What the deadline left undone: skipped, and the run ends with an error so that the retry
    // or the next schedule continues.
    if recorded + recorded_held < plan.steps.len() {
        let (lf, rest): (Vec<&Step<X>>, Vec<&Step<X>>) = plan
            .steps
            .iter()
            .partition(|s| matches!(s.action, Action::LfGrant(_) | Action::LfRevoke(_)));
        let reported: std::collections::BTreeSet<(String, String)> = report
            .actions
            .iter()
            .map(|a| (a.action.clone(), a.target.clone()))
            .collect();
        let mut left = 0;
        for s in lf.into_iter().chain(rest) {
            let (kind, target) = s.label();
            if !reported.contains(&(kind.clone(), target.clone())) {
                report.push_skipped(
                    &kind,
                    target,
                    "deadline: the invocation was about to time out",
                    Some(
                        "Nothing to do: the next run (Lambda's retry or the schedule) continues"
                            .into(),
                    ),
                );
                left += 1;
            }
        }
        if left > 0 {
            report.incomplete = true;
            state
                .first_error
                .get_or_insert_with(|| format!("deadline: {left} action(s) not started"));
        }
    }
    state
}

/// The DataZone status a `DataZoneGrantStatus` reports: with `downgrade_on_failure`, a
/// GRANTED / REVOKED becomes GRANT_FAILED / REVOKE_FAILED carrying the first error of its unit
/// (within a unit only that unit's failures count; without one, the run's first error). Pure:
/// the driver and the convergence model both call it.
pub fn reported_status(
    state: &ApplyState,
    unit: Option<&str>,
    status: &str,
    failure: &Option<String>,
    downgrade_on_failure: bool,
) -> (String, Option<String>) {
    let first_error = match unit {
        Some(u) => state.first_error_of.get(u),
        None => state.first_error.as_ref(),
    };
    match (first_error, downgrade_on_failure) {
        (Some(err), true) if status == "GRANTED" => ("GRANT_FAILED".into(), Some(err.clone())),
        (Some(err), true) if status == "REVOKED" => ("REVOKE_FAILED".into(), Some(err.clone())),
        _ => (status.to_string(), failure.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::time::{Duration, SystemTime};

    #[derive(Debug, Clone, PartialEq, Serialize)]
    struct Mark(u32);

    impl ExtAction for Mark {
        fn kind(&self) -> &'static str {
            "test.mark"
        }
        fn target(&self) -> String {
            format!("mark {}", self.0)
        }
        fn remedy(&self) -> String {
            String::new()
        }
        #[allow(clippy::manual_async_fn)]
        fn apply<'a>(
            &'a self,
            _aws: &'a Aws,
            state: &'a mut ApplyState,
        ) -> impl std::future::Future<Output = AwsResult<Done>> + Send + 'a {
            async move {
                state.scratch.insert(format!("m{}", self.0), "done".into());
                Ok(Done::Applied)
            }
        }
    }

    fn aws() -> Aws {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("us-east-1"))
            .build();
        Aws::new(&sdk)
    }

    fn plan() -> Plan<Mark> {
        let mut p = Plan::default();
        for i in 0..3 {
            p.push_ext(Mark(i));
        }
        // The same action twice is written once, reported twice.
        p.push_as("check.twice", "x", Action::Ext(Mark(0)));
        p
    }

    #[tokio::test]
    async fn every_step_is_applied_and_identical_actions_are_written_once() {
        let mut r = Report::new("t", false);
        let st = apply(&aws(), "111111111111", &plan(), false, &mut r).await;
        assert_eq!(r.count(Outcome::Applied), 4);
        assert_eq!(st.scratch.len(), 3);
        assert!(!r.incomplete);
    }

    #[tokio::test]
    async fn more_removals_than_the_cap_remove_nothing_and_alert() {
        let removals = |max: usize| {
            let mut p: Plan<Mark> = Plan::default();
            p.push_ext(Mark(9));
            let mut unit: Plan<Mark> = Plan::default();
            for i in 0..3 {
                unit.push_removal(Action::Ext(Mark(i)), 1);
            }
            p.extend_unit("grant-1", unit);
            p.max_removals = Some(max);
            p
        };
        for dry_run in [false, true] {
            let mut r = Report::new("t", dry_run);
            let st = apply(&aws(), "1", &removals(2), dry_run, &mut r).await;
            assert_eq!(r.count(Outcome::Skipped), 3, "{r:#?}");
            assert!(r.actions.iter().all(|a| a.outcome != Outcome::Skipped
                || a.error.as_deref().unwrap().contains("max_removals_per_run")));
            assert!(!st.scratch.contains_key("m0"), "nothing removed");
            assert!(st.attention[0].contains("max_removals_per_run"));
            assert!(st.first_error.is_some());
            // The unit is not reported done (a DataZone REVOKED would be downgraded).
            assert!(st.first_error_of["grant-1"].contains("max_removals_per_run"));
            // What is not a removal still runs.
            assert_eq!(st.scratch.contains_key("m9"), !dry_run);
            assert!(!r.incomplete);
        }
        let mut r = Report::new("t", false);
        let st = apply(&aws(), "1", &removals(3), false, &mut r).await;
        assert_eq!(r.count(Outcome::Applied), 4);
        assert!(st.attention.is_empty());
    }

    #[tokio::test]
    async fn a_dry_run_writes_nothing() {
        let mut r = Report::new("t", true);
        let st = apply(&aws(), "111111111111", &plan(), true, &mut r).await;
        assert_eq!(r.count(Outcome::Planned), 4);
        assert!(st.scratch.is_empty());
    }

    #[tokio::test]
    async fn near_the_deadline_nothing_new_starts_and_the_rest_is_skipped() {
        let mut r = Report::new("t", false);
        // 5 s left with a 20 s margin: nothing new starts.
        let soon = SystemTime::now() + Duration::from_secs(5);
        let st = crate::runtime::with_deadline_and_margin(
            soon,
            Duration::from_secs(20),
            apply(&aws(), "111111111111", &plan(), false, &mut r),
        )
        .await;
        assert!(st.scratch.is_empty(), "{:?}", st.scratch);
        assert_eq!(r.count(Outcome::Skipped), 4, "{r:#?}");
        assert!(r.incomplete);
        assert!(r.actions[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("deadline"));
        // Far from it, everything runs.
        let mut r = Report::new("t", false);
        let later = SystemTime::now() + Duration::from_secs(600);
        crate::runtime::with_deadline(later, apply(&aws(), "1", &plan(), false, &mut r)).await;
        assert_eq!(r.count(Outcome::Applied), 4);
    }
}
