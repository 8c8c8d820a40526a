//! The ledger of what lakewarden granted (issue 11 §5) and the removal cap / positive evidence
//! (§4), against the local AWS: each test reproduces the accident and shows it refused.

use std::collections::BTreeSet;

use aws_sdk_lakeformation::types::{
    DataLakePrincipal, DatabaseResource, Permission, Resource, TableResource, TableWildcard,
};
use lakewarden::ledger::{self, LedgerPlanner, LedgerView, State};
use lakewarden::lf::{LfGrant, LfResource, LfState};
use lakewarden::report::{Outcome, Report};
use lakewarden::state::StateStore;
use lakewarden_tests::*;

/// (principal, resource, permissions, grantable) as Lake Formation lists them in `acct`'s catalog.
type Grant = (String, String, BTreeSet<String>, BTreeSet<String>);

async fn grants(acct: &Account, catalog: &str) -> BTreeSet<Grant> {
    let out = acct
        .lakeformation()
        .list_permissions()
        .catalog_id(catalog)
        .send()
        .await
        .expect("list permissions");
    out.principal_resource_permissions()
        .iter()
        .map(|p| {
            let r = p.resource().unwrap();
            let res = if let Some(d) = r.database() {
                format!("db:{}", d.name())
            } else if let Some(t) = r.table() {
                match t.name() {
                    Some(n) => format!("table:{}.{n}", t.database_name()),
                    None => format!("table:{}.*", t.database_name()),
                }
            } else {
                "other".into()
            };
            let set = |v: &[Permission]| v.iter().map(|x| x.as_str().to_string()).collect();
            (
                p.principal()
                    .and_then(|x| x.data_lake_principal_identifier())
                    .unwrap_or_default()
                    .to_string(),
                res,
                set(p.permissions()),
                set(p.permissions_with_grant_option()),
            )
        })
        .collect()
}

fn of<'a>(g: &'a BTreeSet<Grant>, principal: &str) -> Vec<&'a Grant> {
    g.iter().filter(|x| x.0 == principal).collect()
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A person's grant, made with the Lake Formation API directly.
async fn person_grants(
    acct: &Account,
    principal: &str,
    resource: Resource,
    perms: &[Permission],
    grantable: &[Permission],
) {
    acct.lakeformation()
        .grant_permissions()
        .catalog_id(&acct.id)
        .principal(
            DataLakePrincipal::builder()
                .data_lake_principal_identifier(principal)
                .build(),
        )
        .resource(resource)
        .set_permissions(Some(perms.to_vec()))
        .set_permissions_with_grant_option(Some(grantable.to_vec()))
        .send()
        .await
        .expect("a person's grant");
}

fn db_resource(catalog: &str, db: &str) -> Resource {
    Resource::builder()
        .database(
            DatabaseResource::builder()
                .catalog_id(catalog)
                .name(db)
                .build()
                .unwrap(),
        )
        .build()
}

fn table_resource(catalog: &str, db: &str, table: &str) -> Resource {
    Resource::builder()
        .table(
            TableResource::builder()
                .catalog_id(catalog)
                .database_name(db)
                .name(table)
                .build()
                .unwrap(),
        )
        .build()
}

fn wildcard_resource(catalog: &str, db: &str) -> Resource {
    Resource::builder()
        .table(
            TableResource::builder()
                .catalog_id(catalog)
                .database_name(db)
                .table_wildcard(TableWildcard::builder().build())
                .build()
                .unwrap(),
        )
        .build()
}

struct Producer {
    acct: Account,
    topic: String,
}

async fn producer() -> Producer {
    let acct = fresh_account().await;
    let bucket = acct.bucket("cur-data").await;
    let topic = acct.topic("lakewarden-alerts").await;
    acct.database("cur_org", Some(&format!("s3://{bucket}/cur/")))
        .await;
    for t in ["daily", "hourly"] {
        acct.parquet_table("cur_org", t, &format!("s3://{bucket}/cur/{t}/"))
            .await;
    }
    Producer { acct, topic }
}

impl Producer {
    fn config(&self, consumers: &[&str], extra: &str) -> String {
        let list: Vec<String> = consumers.iter().map(|c| format!("\"{c}\"")).collect();
        format!(
            "alerts: {{ topic_arn: \"{}\" }}\nproducer:\n  shares:\n    - database: cur_org\n      consumers: [{}]\n      bucket_policy: false\n      register_location: false\n{extra}",
            self.topic,
            list.join(", ")
        )
    }

    async fn run(&self, config: &str) -> Report {
        let ctx = self.acct.ctx(config);
        match catalog_sharer::handle(&ctx, scheduled_event(&self.acct.id)).await {
            Ok(r) => r,
            Err(lakewarden::runtime::HandlerError::ActionsFailed { report, .. }) => *report,
            Err(e) => panic!("run failed: {e}"),
        }
    }

    fn store(&self) -> StateStore {
        StateStore::new(self.acct.dynamodb(), DEFAULT_STATE_TABLE)
    }

    async fn ledger(&self) -> LedgerView {
        ledger::Ledger::new(self.store(), "catalog-sharer")
            .load()
            .await
            .expect("ledger")
    }
}

fn wildcard(catalog: &str) -> LfResource {
    LfResource::TableWildcard {
        catalog_id: catalog.into(),
        database: "cur_org".into(),
    }
}

/// Issue 11 §5: a consumer removed from the configuration loses exactly what lakewarden granted
/// it — and what a person granted, before lakewarden or on another table, stays.
#[tokio::test]
async fn removing_a_consumer_revokes_exactly_what_lakewarden_granted() {
    let p = producer().await;
    let (gone, kept) = (new_account_id(), new_account_id());
    // A person's grants to the consumer that will be removed: the very database grant
    // lakewarden would make (made before lakewarden's), and SELECT on one table.
    person_grants(
        &p.acct,
        &gone,
        db_resource(&p.acct.id, "cur_org"),
        &[Permission::Describe],
        &[Permission::Describe],
    )
    .await;
    person_grants(
        &p.acct,
        &gone,
        table_resource(&p.acct.id, "cur_org", "daily"),
        &[Permission::Select],
        &[],
    )
    .await;

    let first = p.run(&p.config(&[&gone, &kept], "")).await;
    assert!(first.failures().is_empty(), "{first:#?}");
    let before = grants(&p.acct, &p.acct.id).await;
    assert_eq!(of(&before, &gone).len(), 3, "{before:#?}");
    // The ledger holds what lakewarden added, not the person's identical database grant.
    let view = p.ledger().await;
    let recorded: Vec<LfGrant> = view
        .entries
        .values()
        .filter_map(|(e, _)| e.lf_grant())
        .filter(|g| g.principal == gone)
        .collect();
    assert_eq!(recorded.len(), 1, "{recorded:#?}");
    assert_eq!(recorded[0].resource, wildcard(&p.acct.id));
    assert!(view.entries.values().all(|(e, _)| e.state == State::Made
        && !e.config_hash.is_empty()
        && !e.time.is_empty()
        && e.function == "catalog-sharer"));

    // The consumer is removed from the configuration.
    let r = p.run(&p.config(&[&kept], "")).await;
    assert!(r.failures().is_empty(), "{r:#?}");
    let revokes: Vec<_> = r
        .actions
        .iter()
        .filter(|a| a.action == "lakeformation.revoke")
        .collect();
    assert_eq!(revokes.len(), 1, "{r:#?}");
    assert_eq!(revokes[0].outcome, Outcome::Applied);
    let after = grants(&p.acct, &p.acct.id).await;
    let sd = set(&["DESCRIBE", "SELECT"]);
    assert_eq!(
        of(&after, &gone),
        vec![
            &(
                gone.clone(),
                "db:cur_org".into(),
                set(&["DESCRIBE"]),
                set(&["DESCRIBE"])
            ),
            &(
                gone.clone(),
                "table:cur_org.daily".into(),
                set(&["SELECT"]),
                set(&[])
            ),
        ],
        "only lakewarden's All-tables grant goes: {after:#?}"
    );
    assert!(after.contains(&(kept.clone(), "table:cur_org.*".into(), sd.clone(), sd)));
    assert_eq!(
        of(&after, &kept),
        of(&before, &kept),
        "the kept consumer is untouched"
    );
    // The ledger says so.
    let view = p.ledger().await;
    let entry = &view
        .entries
        .get(&ledger::lf_key(
            "catalog-sharer",
            &gone,
            &wildcard(&p.acct.id),
        ))
        .expect("entry")
        .0;
    assert_eq!(entry.state, State::Gone);
    // Converged: a third run writes nothing.
    let again = p.run(&p.config(&[&kept], "")).await;
    assert_eq!(again.writes, 0, "{again:#?}");
}

/// Issue 11 §5: a run that stopped between the intent and the result (a crash) heals on the
/// next run: an intent whose grant exists is completed (and later revoked like any other of
/// lakewarden's grants); one whose grant never happened is dropped (nothing is revoked for it).
#[tokio::test]
async fn an_intent_left_by_a_crash_heals_on_the_next_run() {
    let p = producer().await;
    let (landed, lost) = (new_account_id(), new_account_id());
    let cat = p.acct.id.clone();
    // What a crashed run left: both intents written, only the first grant made, no results.
    let mut planner = LedgerPlanner::new("catalog-sharer", "crashed", &LedgerView::default());
    let store = p.store();
    for who in [&landed, &lost] {
        let g = LfGrant::new(who, wildcard(&cat), ["SELECT", "DESCRIBE"], true);
        let note = planner.grant(&g, &LfState::default());
        assert!(ledger::write(&store, &note, true).await.expect("intent"));
    }
    person_grants(
        &p.acct,
        &landed,
        wildcard_resource(&cat, "cur_org"),
        &[Permission::Select, Permission::Describe],
        &[Permission::Select, Permission::Describe],
    )
    .await;
    // `lost` got the same permissions from a person after the crash... on another table.
    person_grants(
        &p.acct,
        &lost,
        table_resource(&cat, "cur_org", "hourly"),
        &[Permission::Select],
        &[],
    )
    .await;

    // The next run (its configuration no longer lists either) heals, then revokes only what
    // is lakewarden's.
    let r = p.run(&p.config(&[&new_account_id()], "")).await;
    assert!(r.failures().is_empty(), "{r:#?}");
    let healed: Vec<_> = r
        .actions
        .iter()
        .filter(|a| a.action == "ledger.record")
        .collect();
    assert_eq!(healed.len(), 2, "{r:#?}");
    let after = grants(&p.acct, &cat).await;
    assert!(
        of(&after, &landed).is_empty(),
        "the completed grant is lakewarden's: {after:#?}"
    );
    assert_eq!(
        of(&after, &lost),
        vec![&(
            lost.clone(),
            "table:cur_org.hourly".into(),
            set(&["SELECT"]),
            set(&[])
        )]
    );
    let view = p.ledger().await;
    let state = |who: &str| {
        view.entries
            .get(&ledger::lf_key("catalog-sharer", who, &wildcard(&cat)))
            .map(|(e, _)| (e.state, e.pending.is_some()))
    };
    assert_eq!(
        state(&landed),
        Some((State::Gone, false)),
        "completed, then revoked"
    );
    assert_eq!(state(&lost), Some((State::Gone, false)), "dropped");
    // Healed once: the next run has nothing to settle.
    let again = p.run(&p.config(&[&new_account_id()], "")).await;
    assert!(
        !again.actions.iter().any(|a| a.action == "ledger.record"),
        "{again:#?}"
    );
}

/// Issue 11 §4: more removals than `max_removals_per_run` in one run: nothing is removed, the
/// run alerts and waits; a higher setting lets them through.
#[tokio::test]
async fn more_removals_than_the_cap_remove_nothing_and_alert() {
    let p = producer().await;
    let consumers: Vec<String> = (0..3).map(|_| new_account_id()).collect();
    let all: Vec<&str> = consumers.iter().map(String::as_str).collect();
    let first = p.run(&p.config(&all, "")).await;
    assert!(first.failures().is_empty(), "{first:#?}");
    let before = grants(&p.acct, &p.acct.id).await;
    assert_eq!(before.len(), 6, "{before:#?}");
    let keep = new_account_id();

    // Every consumer replaced at once: 6 revokes > 4.
    let capped = p.config(&[&keep], "  max_removals_per_run: 4\n");
    let ctx = p.acct.ctx(&capped);
    let err = catalog_sharer::handle(&ctx, scheduled_event(&p.acct.id)).await;
    let r = match err {
        Ok(r) => r,
        Err(lakewarden::runtime::HandlerError::ActionsFailed { report, .. }) => *report,
        Err(e) => panic!("{e}"),
    };
    let skipped: Vec<_> = r
        .actions
        .iter()
        .filter(|a| a.action == "lakeformation.revoke")
        .collect();
    assert_eq!(skipped.len(), 6, "{r:#?}");
    assert!(skipped.iter().all(|a| a.outcome == Outcome::Skipped
        && a.error
            .as_deref()
            .unwrap_or_default()
            .contains("max_removals_per_run")));
    let after = grants(&p.acct, &p.acct.id).await;
    for g in &before {
        assert!(after.contains(g), "{g:?} was removed: {after:#?}");
    }
    let sent = moto().sent_notifications(&p.acct.id);
    assert!(
        sent.iter()
            .any(|(_, _, body)| body.contains("max_removals_per_run")),
        "{sent:#?}"
    );
    // The new consumer is still granted: only removals wait.
    assert_eq!(of(&after, &keep).len(), 2, "{after:#?}");

    // A person raises the setting: the removals go through.
    let r = p
        .run(&p.config(&[&keep], "  max_removals_per_run: 10\n"))
        .await;
    assert!(r.failures().is_empty(), "{r:#?}");
    let after = grants(&p.acct, &p.acct.id).await;
    for c in &consumers {
        assert!(of(&after, c).is_empty(), "{after:#?}");
    }
}
