use super::*;
use lakewarden::arn::Arn;
use lakewarden::aws::glue_integrations::IntegrationError;
use lakewarden::config::parse;

fn cfg() -> Integrations {
    parse(
        "integrations:\n  state_table: lakewarden-state\n  event_bus: default\n",
        "t",
    )
    .unwrap()
    .integrations
    .unwrap()
}

fn arn(id: &str) -> String {
    Arn::new(
        "glue",
        "us-east-1",
        "111111111111",
        &format!("integration:{id}"),
    )
    .to_string()
}

fn integ(status: &str) -> IntegrationInfo {
    IntegrationInfo {
        arn: arn("1"),
        name: "zetl".into(),
        source_arn: Arn::new("dynamodb", "us-east-1", "111111111111", "table/t").to_string(),
        target_arn: Arn::new("glue", "us-east-1", "222222222222", "database/d").to_string(),
        status: status.into(),
        errors: vec![],
    }
}

fn observed(seen: Vec<(Side, IntegrationInfo)>, state: BTreeMap<String, Record>) -> Observed {
    Observed { seen, state }
}

/// The transitions of a plan, in order.
fn transitions(p: &Plan<Ext>) -> Vec<&Transition> {
    p.actions()
        .map(|a| match a {
            Action::Ext(Ext::Publish(t)) => t,
            a => panic!("unexpected {a:?}"),
        })
        .collect()
}

#[test]
fn first_sight_publishes_with_null_previous_status() {
    let p = plan(
        &cfg(),
        &observed(vec![(Side::Source, integ("CREATING"))], BTreeMap::new()),
    );
    let t = transitions(&p);
    assert_eq!(t.len(), 1);
    let d = &t[0].detail;
    assert_eq!(d["previousStatus"], Value::Null);
    assert_eq!(d["status"], "CREATING");
    assert_eq!(d["side"], "source");
    assert_eq!(d["integrationName"], "zetl");
    assert_eq!(t[0].expected_version, None);
    assert_eq!(t[0].state_table, "lakewarden-state");
    assert_eq!(t[0].event_bus, "default");
    // Reported as today: one `events.put_event` per transition.
    let step = &p.steps[0];
    assert_eq!(
        step.label(),
        (
            "events.put_event".to_string(),
            format!("{} (source): (first seen) -> CREATING", arn("1"))
        )
    );
    assert!(step.action.remedy().contains("events:PutEvents"));
}

#[test]
fn unchanged_status_publishes_nothing_and_a_change_publishes_once() {
    let mut state = BTreeMap::new();
    state.insert(
        state_key(&integ("x").arn, Side::Source),
        Record {
            data: json!({"status": "CREATING", "name": "zetl"}),
            version: 3,
        },
    );
    let same = plan(
        &cfg(),
        &observed(vec![(Side::Source, integ("CREATING"))], state.clone()),
    );
    assert!(same.is_empty());
    assert_eq!(
        same.already,
        [(
            PUBLISH.to_string(),
            format!("{} (source): CREATING", arn("1"))
        )]
    );
    let mut failed = integ("FAILED");
    failed.errors.push(IntegrationError {
        code: "AccessDenied".into(),
        message: "table policy".into(),
    });
    let p = plan(&cfg(), &observed(vec![(Side::Source, failed)], state));
    let t = transitions(&p);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].expected_version, Some(3));
    assert_eq!(t[0].detail["previousStatus"], "CREATING");
    assert_eq!(
        t[0].detail["errors"],
        json!([{"code": "AccessDenied", "message": "table policy"}])
    );
}

#[test]
fn the_two_sides_are_tracked_apart() {
    let mut inbound = integ("ACTIVE");
    inbound.name.clear();
    let p = plan(
        &cfg(),
        &observed(
            vec![(Side::Source, integ("ACTIVE")), (Side::Target, inbound)],
            BTreeMap::new(),
        ),
    );
    let t = transitions(&p);
    assert_eq!(t.len(), 2);
    assert_ne!(t[0].key, t[1].key);
    assert_eq!(t[1].detail["integrationName"], Value::Null);
}

#[test]
fn an_integration_that_no_longer_exists_is_a_note_not_an_event_or_an_alert() {
    let mut state = BTreeMap::new();
    state.insert(
        state_key(&arn("gone"), Side::Target),
        Record {
            data: json!({"status": "DELETING", "name": ""}),
            version: 2,
        },
    );
    let p = plan(&cfg(), &observed(vec![], state));
    assert!(p.is_empty());
    assert!(p.attention.is_empty() && p.failed.is_empty() && p.skipped.is_empty());
    assert_eq!(p.notes.len(), 1);
    assert_eq!(p.notes[0]["integration_gone"], arn("gone"));
    assert_eq!(p.notes[0]["side"], "target");
    assert_eq!(p.notes[0]["last_status"], "DELETING");
}

#[test]
fn the_planner_converges() {
    let mut state = BTreeMap::new();
    state.insert(
        state_key(&arn("1"), Side::Source),
        Record {
            data: json!({"status": "CREATING", "name": "zetl"}),
            version: 1,
        },
    );
    let mut other = integ("CREATING");
    other.arn = arn("2");
    let mut inbound = integ("NEEDS_ATTENTION");
    inbound.name.clear();
    let mut obs = observed(
        vec![
            (Side::Source, integ("ACTIVE")),
            (Side::Source, other),
            (Side::Target, inbound),
        ],
        state,
    );
    let p = plan(&cfg(), &obs);
    assert_eq!(p.steps.len(), 3);
    // What the action does to the state table (the event goes out once the record is in).
    for t in transitions(&p) {
        let version = t.expected_version.map(|v| v + 1).unwrap_or(1);
        obs.state.insert(
            t.key.clone(),
            Record {
                data: t.record.clone(),
                version,
            },
        );
    }
    let again = plan(&cfg(), &obs);
    assert!(again.is_empty(), "{:?}", again.steps);
    assert_eq!(again.already.len(), 3);
    assert!(again.notes.is_empty());
}

#[test]
fn a_transition_recorded_but_not_confirmed_published_is_published_again_with_the_same_id() {
    // Run 1: first sight. The action writes the record marked "to publish" before PutEvents.
    let mut obs = observed(vec![(Side::Source, integ("CREATING"))], BTreeMap::new());
    let p1 = plan(&cfg(), &obs);
    let t1 = transitions(&p1)[0].clone();
    let key = state_key(&arn("1"), Side::Source);
    assert_eq!(t1.detail["transitionId"], format!("{key}#1"));
    assert!(!t1.republish && t1.earlier.is_empty());
    let written = t1.pending_record();
    assert_eq!(written[PENDING], json!([t1.detail]));
    assert_eq!(written["status"], "CREATING");
    // PutEvents failed (or marking it published did): the record stays marked.
    obs.state.insert(
        key.clone(),
        Record {
            data: written,
            version: 1,
        },
    );
    // Run 2, same status: the same event again, claimed by a conditional write on version 1.
    let p2 = plan(&cfg(), &obs);
    let t2 = transitions(&p2);
    assert_eq!(t2.len(), 1);
    assert!(t2[0].republish);
    assert_eq!(
        t2[0].detail, t1.detail,
        "the same event, the same transitionId"
    );
    assert!(t2[0].earlier.is_empty());
    assert_eq!(t2[0].expected_version, Some(1));
    assert_eq!(t2[0].record, t1.record, "marked published afterwards");
    assert!(t2[0].target().contains("again"));
    // Run 2 instead sees a new status: the unconfirmed event goes first, then the new one.
    let mut moved = obs.clone();
    moved.seen = vec![(Side::Source, integ("ACTIVE"))];
    let p3 = plan(&cfg(), &moved);
    let t3 = transitions(&p3);
    assert_eq!(t3.len(), 1);
    assert!(!t3[0].republish);
    assert_eq!(t3[0].earlier, vec![t1.detail.clone()]);
    assert_eq!(t3[0].detail["previousStatus"], "CREATING");
    assert_eq!(t3[0].detail["status"], "ACTIVE");
    assert_eq!(t3[0].detail["transitionId"], format!("{key}#2"));
    assert_eq!(
        t3[0]
            .events()
            .map(|d| d["status"].clone())
            .collect::<Vec<_>>(),
        vec![json!("CREATING"), json!("ACTIVE")]
    );
    assert_eq!(t3[0].pending_record()[PENDING].as_array().unwrap().len(), 2);
    assert!(t3[0].record.get(PENDING).is_none());
    // Marked published: nothing more to do.
    obs.state.insert(
        key,
        Record {
            data: t2[0].record.clone(),
            version: 3,
        },
    );
    let p4 = plan(&cfg(), &obs);
    assert!(p4.is_empty(), "{:?}", p4.steps);
    assert_eq!(p4.already.len(), 1);
}
