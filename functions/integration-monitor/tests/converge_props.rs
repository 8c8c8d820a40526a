//! Convergence of integration-monitor: for a random valid `integrations` configuration and a
//! random world (integrations on both sides in any status, recorded statuses equal, older or
//! missing, records of integrations that are gone, records of other functions and of another
//! state table), observe → plan → apply on the model → observe → plan publishes nothing, each
//! transition is published exactly once, applying the plan twice changes nothing, and records
//! that are not the monitor's are untouched.

use std::collections::BTreeMap;

use integration_monitor::ext::Ext;
use integration_monitor::plan::{self, state_key, Observed, Side, KEY_PREFIX};
use lakewarden::aws::glue_integrations::{IntegrationError, IntegrationInfo};
use lakewarden::config::{parse, Integrations};
use lakewarden::reconcile::model::{self, ModelRecord, World};
use lakewarden::reconcile::{Done, Plan};
use lakewarden::state::Record;
use proptest::prelude::*;
use serde_json::{json, Value};

const STATUSES: [&str; 6] = [
    "CREATING",
    "ACTIVE",
    "MODIFYING",
    "FAILED",
    "NEEDS_ATTENTION",
    "DELETING",
];

#[derive(Debug, Clone, Default, PartialEq)]
struct Glue {
    /// What DescribeIntegrations / DescribeInboundIntegrations list.
    seen: Vec<(Side, IntegrationInfo)>,
    /// Events published: (bus, detail).
    events: Vec<(String, Value)>,
}

type W = World<Glue>;

fn integrations() -> impl Strategy<Value = (Integrations, String)> {
    (
        prop::sample::select(vec!["lakewarden-state", "monitor-state"]),
        prop::sample::select(vec!["default", "lakewarden-bus"]),
    )
        .prop_map(|(table, bus)| {
            let text =
                json!({"integrations": {"state_table": table, "event_bus": bus}}).to_string();
            let cfg = parse(&text, "proptest")
                .unwrap_or_else(|e| panic!("generated configuration is invalid: {e}\n{text}"));
            (cfg.integrations.unwrap(), text)
        })
}

fn arn(i: usize) -> String {
    format!("arn:aws:glue:us-east-1:111111111111:integration:zetl-{i}")
}

fn integration(i: usize, status: &str, named: bool, errors: bool) -> IntegrationInfo {
    IntegrationInfo {
        arn: arn(i),
        name: if named {
            format!("zetl-{i}")
        } else {
            String::new()
        },
        source_arn: "arn:aws:dynamodb:us-east-1:111111111111:table/orders".into(),
        target_arn: "arn:aws:glue:us-east-1:222222222222:database/zdb".into(),
        status: status.into(),
        errors: if errors {
            vec![IntegrationError {
                code: "AccessDenied".into(),
                message: "no".into(),
            }]
        } else {
            vec![]
        },
    }
}

/// Per (integration, side): listed with a status or not, and the record: none, the same
/// status, another one.
fn world(table: String) -> impl Strategy<Value = W> {
    let one = (
        prop::option::weighted(
            0.8,
            (
                prop::sample::select(STATUSES.to_vec()),
                any::<bool>(),
                any::<bool>(),
            ),
        ),
        0u8..3,
        prop::sample::select(STATUSES.to_vec()),
    );
    (prop::collection::vec(one, 6), any::<bool>(), any::<bool>()).prop_map(
        move |(pairs, foreign_key, other_table)| {
            let mut w = W::default();
            for (n, (listed, rec, other_status)) in pairs.into_iter().enumerate() {
                let (i, side) = (
                    n / 2,
                    if n % 2 == 0 {
                        Side::Source
                    } else {
                        Side::Target
                    },
                );
                let status = listed.as_ref().map(|(s, _, _)| s.to_string());
                if let Some((s, named, errors)) = listed {
                    w.ext.seen.push((side, integration(i, s, named, errors)));
                }
                let recorded = match rec {
                    0 => None,
                    1 => status.clone().or(Some(other_status.to_string())),
                    _ => Some(other_status.to_string()),
                };
                if let Some(s) = recorded {
                    w.state.insert(
                        (table.clone(), state_key(&arn(i), side)),
                        ModelRecord {
                            data: json!({"status": s, "name": format!("zetl-{i}"), "errors": []}),
                            version: 3,
                        },
                    );
                }
            }
            if foreign_key {
                w.state.insert(
                    (table.clone(), "exporter#orders#b#p".into()),
                    ModelRecord {
                        data: json!({"started": {}}),
                        version: 1,
                    },
                );
            }
            if other_table {
                w.state.insert(
                    (
                        "someone-elses-table".into(),
                        state_key(&arn(0), Side::Source),
                    ),
                    ModelRecord {
                        data: json!({"status": "ACTIVE"}),
                        version: 7,
                    },
                );
            }
            w
        },
    )
}

fn observe(cfg: &Integrations, w: &W) -> Observed {
    Observed {
        seen: w.ext.seen.clone(),
        state: w
            .state
            .iter()
            .filter(|((t, k), _)| *t == cfg.state_table && k.starts_with(KEY_PREFIX))
            .map(|((_, k), r)| {
                (
                    k.clone(),
                    Record {
                        data: r.data.clone(),
                        version: r.version,
                    },
                )
            })
            .collect(),
    }
}

/// [`Ext::Publish`] as ext.rs makes it (when nothing fails): the record marked "to publish"
/// (conditional), the events, then the record marked published.
fn publish(w: &mut W, x: &Ext, _: &mut lakewarden::reconcile::ApplyState) -> Result<Done, String> {
    let Ext::Publish(t) = x;
    if !w.put_if(
        &t.state_table,
        &t.key,
        t.pending_record(),
        t.expected_version,
    ) {
        return Ok(Done::Already);
    }
    for d in t.events() {
        w.ext.events.push((t.event_bus.clone(), d.clone()));
    }
    let written = t.expected_version.map(|v| v + 1).unwrap_or(1);
    w.put_if(&t.state_table, &t.key, t.record.clone(), Some(written));
    Ok(Done::Applied)
}

fn plan(cfg: &Integrations, w: &W) -> Plan<Ext> {
    plan::plan(cfg, &observe(cfg, w))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: model::property_cases(), ..ProptestConfig::default() })]

    #[test]
    fn monitor_converges(((cfg, text), w0) in integrations().prop_flat_map(|c| {
        // The world's records live in the configured state table.
        let table = c.0.state_table.clone();
        (Just(c), world(table))
    })) {
        let p1 = plan(&cfg, &w0);
        let mut w1 = w0.clone();
        let out = model::apply(&mut w1, &p1, publish);
        prop_assert!(out.failed.is_empty(), "{:?}", out.failed);

        let p2 = plan(&cfg, &w1);
        prop_assert!(p2.steps.is_empty(), "config {text}\nsecond plan publishes: {:#?}", p2.steps);

        // One event per changed status, with the status seen and the one recorded before.
        let changed: Vec<(String, Side)> = w0
            .ext
            .seen
            .iter()
            .filter(|(side, i)| {
                w0.record(&cfg.state_table, &state_key(&i.arn, *side))
                    .and_then(|r| r.data["status"].as_str().map(String::from))
                    != Some(i.status.clone())
            })
            .map(|(side, i)| (i.arn.clone(), *side))
            .collect();
        prop_assert_eq!(w1.ext.events.len(), changed.len());
        for (bus, detail) in &w1.ext.events {
            prop_assert_eq!(bus, &cfg.event_bus);
            let key = state_key(detail["integrationArn"].as_str().unwrap(),
                if detail["side"] == "source" { Side::Source } else { Side::Target });
            let before = w0.record(&cfg.state_table, &key).map(|r| r.data["status"].clone()).unwrap_or(Value::Null);
            prop_assert_eq!(&detail["previousStatus"], &before);
        }

        // Applying the same plan again publishes nothing and writes nothing.
        let mut w2 = w1.clone();
        model::apply(&mut w2, &p1, publish);
        prop_assert_eq!(&w2, &w1);

        // Records that are not the monitor's (another prefix, another table) and records of
        // integrations no longer listed are untouched.
        let listed: BTreeMap<String, ()> = w0.ext.seen.iter().map(|(s, i)| (state_key(&i.arn, *s), ())).collect();
        for (k, r) in &w0.state {
            if k.0 != cfg.state_table || !k.1.starts_with(KEY_PREFIX) || !listed.contains_key(&k.1) {
                prop_assert_eq!(w1.state.get(k), Some(r), "record {:?} changed", k);
            }
        }
    }
}
