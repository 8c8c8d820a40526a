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

/// Issue 12 §8: a converged run has nothing to grant and Lake Formation holds nothing beyond
/// the configuration, so it does not read the ledger (no DynamoDB Scan); a consumer removed
/// from the configuration still holds its grants, so the next run reads the ledger and revokes
/// them; converged again, no Scan.
#[tokio::test]
async fn a_converged_run_skips_the_ledger_scan_and_a_removal_reads_it() {
    let p = producer().await;
    let (kept, removed) = (new_account_id(), new_account_id());
    let both = p.config(&[&kept, &removed], "");
    let first = p.run(&both).await;
    assert!(first.failures().is_empty(), "{first:#?}");
    assert_eq!(
        first.calls_of("dynamodb.Scan"),
        1,
        "grants to make: {first:#?}"
    );
    assert!(first.calls_of("dynamodb.PutItem") > 0, "{first:#?}");

    let converged = p.run(&both).await;
    assert!(converged.failures().is_empty(), "{converged:#?}");
    assert_eq!(converged.writes, 0, "{converged:#?}");
    assert_eq!(converged.calls_of("dynamodb.Scan"), 0, "{converged:#?}");
    // One GetCallerIdentity per container (each run here has a fresh one) for both the
    // catalog id and the check.lf.admin caller ARN.
    assert_eq!(
        converged.calls_of("sts.GetCallerIdentity"),
        1,
        "{converged:#?}"
    );

    let r = p.run(&p.config(&[&kept], "")).await;
    assert!(r.failures().is_empty(), "{r:#?}");
    assert_eq!(
        r.calls_of("dynamodb.Scan"),
        1,
        "a removal to consider: {r:#?}"
    );
    let revoked: Vec<_> = r
        .actions
        .iter()
        .filter(|a| a.action == "lakeformation.revoke" && a.outcome == Outcome::Applied)
        .collect();
    assert_eq!(revoked.len(), 2, "database and All-tables grants: {r:#?}");
    let after = grants(&p.acct, &p.acct.id).await;
    assert!(of(&after, &removed).is_empty(), "{after:#?}");
    assert_eq!(of(&after, &kept).len(), 2, "{after:#?}");

    let again = p.run(&p.config(&[&kept], "")).await;
    assert_eq!(again.writes, 0, "{again:#?}");
    assert_eq!(again.calls_of("dynamodb.Scan"), 0, "{again:#?}");
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

// ---------------------------------------------------------------------------------------------
// share-linker

struct Consumer {
    producer: Account,
    consumer: Account,
    topic: String,
}

async fn role(acct: &Account, name: &str) -> String {
    acct.iam()
        .create_role()
        .role_name(name)
        .assume_role_policy_document(
            serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            .to_string(),
        )
        .send()
        .await
        .expect("role");
    format!("arn:aws:iam::{}:role/{name}", acct.id)
}

/// A producer whose `cur_org` (two tables) reaches a fresh consumer: through catalog-sharer's
/// Lake Formation grants (with the grant option) or, with `ram_only`, only through a RAM share
/// the producer made by hand (returned).
async fn consumer(ram_only: bool) -> (Consumer, Option<String>) {
    let producer = fresh_account().await;
    let consumer = fresh_account().await;
    let bucket = producer.bucket("cur-data").await;
    producer.database("cur_org", None).await;
    for t in ["legacy_all", "daily"] {
        producer
            .parquet_table("cur_org", t, &format!("s3://{bucket}/cur/{t}/"))
            .await;
    }
    let share = if ram_only {
        let out = producer
            .ram()
            .create_resource_share()
            .name("cur-org-by-hand")
            .resource_arns(format!(
                "arn:aws:glue:us-east-1:{}:database/cur_org",
                producer.id
            ))
            .principals(&consumer.id)
            .send()
            .await
            .expect("share");
        Some(
            out.resource_share()
                .and_then(|s| s.resource_share_arn())
                .unwrap()
                .to_string(),
        )
    } else {
        let cfg = format!(
            "producer:\n  shares:\n    - database: cur_org\n      consumers: [\"{}\"]\n      bucket_policy: false\n      register_location: false\n",
            consumer.id
        );
        catalog_sharer::handle(&producer.ctx(&cfg), scheduled_event(&producer.id))
            .await
            .expect("producer shares");
        None
    };
    let topic = consumer.topic("lakewarden-alerts").await;
    (
        Consumer {
            producer,
            consumer,
            topic,
        },
        share,
    )
}

impl Consumer {
    fn config(&self, roles: &[&str]) -> String {
        let list: Vec<String> = roles.iter().map(|r| format!("\"{r}\"")).collect();
        format!(
            "alerts: {{ topic_arn: \"{}\" }}\nconsumer:\n  trusted_producers: [\"{p}\"]\n  links:\n    - producer: \"{p}\"\n      database: cur_org\n      link_name: cur_org_linked\n      roles: [{}]\n      s3_read_policy: true\n",
            self.topic,
            list.join(", "),
            p = self.producer.id,
        )
    }

    async fn run(&self, cfg: &str, ev: serde_json::Value) -> Report {
        match share_linker::handle(&self.consumer.ctx(cfg), ev).await {
            Ok(r) => r,
            Err(lakewarden::runtime::HandlerError::ActionsFailed { report, .. }) => *report,
            Err(e) => panic!("run failed: {e}"),
        }
    }

    async fn link_exists(&self) -> bool {
        self.consumer
            .glue()
            .get_database()
            .name("cur_org_linked")
            .send()
            .await
            .is_ok()
    }

    /// How many share-linker statements the role's inline policy holds.
    async fn link_statements(&self, role: &str) -> usize {
        let out = self
            .consumer
            .iam()
            .get_role_policy()
            .role_name(role)
            .policy_name("lakewarden-share-linker")
            .send()
            .await;
        let Ok(out) = out else { return 0 };
        let text = urlencoding_free(out.policy_document());
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        lakewarden::policy::statements(&doc)
            .iter()
            .filter(|s| {
                lakewarden::policy::sid(s).is_some_and(|sid| sid.starts_with("LakewardenLink"))
            })
            .count()
    }

    fn alerts(&self) -> Vec<String> {
        moto()
            .sent_notifications(&self.consumer.id)
            .into_iter()
            .map(|(_, _, body)| body)
            .collect()
    }
}

/// Issue 11 §5: a role removed from a link entry loses exactly what share-linker granted it;
/// the role still configured and a person's grant to the removed role stay.
#[tokio::test]
async fn removing_a_role_revokes_exactly_what_share_linker_granted_it() {
    let (c, _) = consumer(false).await;
    let (kept, dropped) = (
        role(&c.consumer, "kept").await,
        role(&c.consumer, "dropped").await,
    );
    let r = c
        .run(
            &c.config(&[&kept, &dropped]),
            scheduled_event(&c.consumer.id),
        )
        .await;
    assert!(r.failures().is_empty(), "{r:#?}");
    // A person's own grant to the role that will be dropped, on a database of this account.
    c.consumer.database("team_scratch", None).await;
    person_grants(
        &c.consumer,
        &dropped,
        db_resource(&c.consumer.id, "team_scratch"),
        &[Permission::Describe],
        &[],
    )
    .await;
    let before = grants(&c.consumer, &c.consumer.id).await;
    assert_eq!(of(&before, &dropped).len(), 4, "{before:#?}");
    assert_eq!(of(&before, &kept).len(), 3, "{before:#?}");
    assert!(
        c.link_statements("dropped").await > 0,
        "S3 read statements were written"
    );

    let r = c
        .run(&c.config(&[&kept]), scheduled_event(&c.consumer.id))
        .await;
    assert!(r.failures().is_empty(), "{r:#?}");
    assert_eq!(
        r.actions
            .iter()
            .filter(|a| a.action == "lakeformation.revoke" && a.outcome == Outcome::Applied)
            .count(),
        3,
        "{r:#?}"
    );
    let after = grants(&c.consumer, &c.consumer.id).await;
    assert_eq!(
        of(&after, &dropped),
        vec![&(
            dropped.clone(),
            "db:team_scratch".into(),
            set(&["DESCRIBE"]),
            set(&[])
        )],
        "{after:#?}"
    );
    assert_eq!(of(&after, &kept), of(&before, &kept));
    assert!(c.link_exists().await, "the link still serves the kept role");
    // Its S3 read statements went with the grants; the kept role's stay.
    assert_eq!(c.link_statements("dropped").await, 0, "{r:#?}");
    assert!(c.link_statements("kept").await > 0);
    // The link entry itself removed: the link share-linker made goes, and nothing else.
    let none = format!(
        "alerts: {{ topic_arn: \"{}\" }}\nconsumer:\n  trusted_producers: [\"{}\"]\n  links: []\n",
        c.topic, c.producer.id
    );
    let r = c.run(&none, scheduled_event(&c.consumer.id)).await;
    assert!(r.failures().is_empty(), "{r:#?}");
    assert!(!c.link_exists().await, "{r:#?}");
    let after = grants(&c.consumer, &c.consumer.id).await;
    assert!(of(&after, &kept).is_empty(), "{after:#?}");
    assert_eq!(of(&after, &dropped).len(), 1, "the person's grant stays");
    let again = c.run(&none, scheduled_event(&c.consumer.id)).await;
    assert_eq!(again.writes, 0, "{again:#?}");
}

/// Issue 11 §5: an untrusted invitation is alerted once — also when the RAM event about it was
/// lost (the schedule finds it in no ledger entry) — and again only when something changes.
#[tokio::test]
async fn an_untrusted_invitation_is_alerted_once_across_runs() {
    let (c, _) = consumer(false).await;
    let stranger = fresh_account().await;
    stranger.database("bait", None).await;
    let share = |name: &'static str| {
        let stranger = stranger.clone();
        let to = c.consumer.id.clone();
        async move {
            stranger
                .ram()
                .create_resource_share()
                .name(name)
                .resource_arns(format!(
                    "arn:aws:glue:us-east-1:{}:database/bait",
                    stranger.id
                ))
                .principals(to)
                .send()
                .await
                .expect("stranger's share");
        }
    };
    share("bait-1").await;
    let cfg = c.config(&[]);
    // The RAM event was lost: the scheduled run alerts.
    c.run(&cfg, scheduled_event(&c.consumer.id)).await;
    let alerts = c.alerts();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert!(alerts[0].contains(&stranger.id) && alerts[0].contains("trusted_producers"));
    // Schedules, Glue events and RAM events do not alert about it again.
    let ram = {
        let mut e = event("ram-resource-share-state-change.json");
        e["account"] = serde_json::json!(c.consumer.id);
        e
    };
    for ev in [
        scheduled_event(&c.consumer.id),
        ram.clone(),
        scheduled_event(&c.consumer.id),
    ] {
        let r = c.run(&cfg, ev).await;
        assert!(
            r.actions
                .iter()
                .any(|a| a.outcome == Outcome::Skipped && a.target.contains(&stranger.id)),
            "still reported: {r:#?}"
        );
    }
    assert_eq!(c.alerts().len(), 1);
    // A new invitation from the stranger is news: one more alert, once.
    share("bait-2").await;
    c.run(&cfg, ram).await;
    c.run(&cfg, scheduled_event(&c.consumer.id)).await;
    let alerts = c.alerts();
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    assert!(alerts[1].contains("bait-2"), "{}", alerts[1]);
    // Nothing of the stranger's was accepted.
    let invs = c
        .consumer
        .ram()
        .get_resource_share_invitations()
        .send()
        .await
        .unwrap();
    assert!(invs
        .resource_share_invitations()
        .iter()
        .filter(|i| i.sender_account_id() == Some(stranger.id.as_str()))
        .all(|i| i.status().map(|s| s.as_str()) == Some("PENDING")));
}

/// Issue 11 §4: RAM's own word is positive evidence — the share that carried the database
/// (recorded in the ledger when the link was made) listed DELETED removes the link, without
/// asking the producer's catalog; a share merely no longer listed removes nothing.
#[tokio::test]
async fn a_share_ram_lists_deleted_removes_the_link() {
    let (c, share) = consumer(true).await;
    let share = share.unwrap();
    let cfg = c.config(&[]);
    let r = c.run(&cfg, scheduled_event(&c.consumer.id)).await;
    assert!(r.failures().is_empty(), "{r:#?}");
    assert!(c.link_exists().await, "{r:#?}");
    let view = ledger::Ledger::new(
        StateStore::new(c.consumer.dynamodb(), DEFAULT_STATE_TABLE),
        "share-linker",
    )
    .load()
    .await
    .unwrap();
    let link = view
        .of_kind(ledger::Kind::Link)
        .map(|(_, e)| e.clone())
        .next()
        .expect("the link is in the ledger");
    assert_eq!(link.detail["shares"], serde_json::json!([share]));

    // The producer deletes its share.
    c.producer
        .ram()
        .delete_resource_share()
        .resource_share_arn(&share)
        .send()
        .await
        .unwrap();
    let r = c.run(&cfg, scheduled_event(&c.consumer.id)).await;
    assert!(r.failures().is_empty(), "{r:#?}");
    assert!(!c.link_exists().await, "{r:#?}");
    assert_eq!(
        r.calls_of("glue.GetDatabase"),
        0,
        "RAM's answer sufficed: {r:#?}"
    );
    let alerts = c.alerts();
    assert!(
        alerts
            .iter()
            .any(|a| a.contains("DELETED") && a.contains(&share) && a.contains("cur_org_linked")),
        "{alerts:#?}"
    );
}

/// IAM returns policy documents URL-encoded (RFC 3986); the SDK leaves them so.
fn urlencoding_free(text: &str) -> String {
    if text.trim_start().starts_with('{') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Issue 11 §5, integration-doctor: it shares a zero-ETL target database through
/// `lakewarden::sharing` with its own ledger, so a consumer removed from `producer.shares` loses
/// exactly what integration-doctor granted it on the next scheduled run (the integration is
/// ACTIVE), and a person's grant to that consumer stays.
#[tokio::test]
async fn integration_doctor_revokes_exactly_what_it_granted_a_removed_consumer() {
    const DB: &str = "zetl_ledger_db";
    let source = fresh_account().await;
    let target = fresh_account().await;
    source.ddb_table("zetl-orders", "order_id").await;
    let bucket = target.bucket("zetl-ledger").await;
    target
        .database(DB, Some(&format!("s3://{bucket}/zetl/")))
        .await;
    target
        .parquet_table(DB, "orders", &format!("s3://{bucket}/zetl/orders/"))
        .await;
    let topic = target.topic("lakewarden-alerts").await;
    let integration = source
        .create_integration("zetl-orders", "zetl-orders", &target.id, DB)
        .await;
    target.set_integration_status(&integration, "ACTIVE", serde_json::json!([]));
    let (gone, kept) = (new_account_id(), new_account_id());
    // A person's grant to the consumer that will be removed.
    person_grants(
        &target,
        &gone,
        table_resource(&target.id, DB, "orders"),
        &[Permission::Select],
        &[],
    )
    .await;
    let config = |consumers: &[&str]| {
        let list: Vec<String> = consumers.iter().map(|c| format!("\"{c}\"")).collect();
        format!(
            "alerts: {{ topic_arn: \"{topic}\" }}\nintegrations: {{}}\nproducer:\n  shares:\n    - database: {DB}\n      consumers: [{}]\n      bucket_policy: false\n      register_location: false\n",
            list.join(", ")
        )
    };
    let active = serde_json::json!({"version": "0", "id": "e1",
        "detail-type": "Zero-ETL Integration State Change", "source": "lakewarden",
        "account": target.id, "time": "2026-11-24T10:00:00Z", "region": REGION,
        "resources": [integration], "detail": {
            "integrationArn": integration, "integrationName": "zetl-orders",
            "sourceArn": format!("arn:aws:dynamodb:{REGION}:{}:table/zetl-orders", source.id),
            "targetArn": format!("arn:aws:glue:{REGION}:{}:database/{DB}", target.id),
            "side": "target", "previousStatus": "CREATING", "status": "ACTIVE", "errors": []}});
    let run = |config: String, event: serde_json::Value| {
        let ctx = target.ctx(&config);
        async move {
            match integration_doctor::handle(&ctx, event).await {
                Ok(r) => r,
                Err(lakewarden::runtime::HandlerError::ActionsFailed { report, .. }) => *report,
                Err(e) => panic!("run failed: {e}"),
            }
        }
    };
    let doctor_ledger = || async {
        ledger::Ledger::new(
            StateStore::new(target.dynamodb(), DEFAULT_STATE_TABLE),
            "integration-doctor",
        )
        .load()
        .await
        .expect("ledger")
    };

    // The integration became ACTIVE: both consumers are granted, and the ledger says so.
    let first = run(config(&[&gone, &kept]), active).await;
    assert!(first.failures().is_empty(), "{first:#?}");
    let before = grants(&target, &target.id).await;
    assert!(of(&before, &gone).len() > 1, "{before:#?}");
    let view = doctor_ledger().await;
    let recorded: Vec<LfGrant> = view
        .entries
        .values()
        .filter_map(|(e, _)| e.lf_grant())
        .filter(|g| g.principal == gone)
        .collect();
    assert!(!recorded.is_empty(), "{view:#?}");
    assert!(view
        .entries
        .values()
        .all(|(e, _)| e.state == State::Made && e.function == "integration-doctor"));
    // The person's table grant is not lakewarden's.
    assert!(!recorded.iter().any(|g| g.resource
        == LfResource::Table {
            catalog_id: target.id.clone(),
            database: DB.into(),
            name: "orders".into()
        }));

    // The consumer is removed from the configuration; the scheduled run revokes.
    let r = run(config(&[&kept]), scheduled_event(&target.id)).await;
    assert!(r.failures().is_empty(), "{r:#?}");
    let revokes: Vec<_> = r
        .actions
        .iter()
        .filter(|a| a.action == "lakeformation.revoke")
        .collect();
    assert_eq!(revokes.len(), recorded.len(), "{r:#?}");
    assert!(revokes.iter().all(|a| a.outcome == Outcome::Applied));
    let after = grants(&target, &target.id).await;
    assert_eq!(
        of(&after, &gone),
        vec![&(
            gone.clone(),
            format!("table:{DB}.orders"),
            set(&["SELECT"]),
            set(&[])
        )],
        "only integration-doctor's grants go: {after:#?}"
    );
    assert_eq!(
        of(&after, &kept),
        of(&before, &kept),
        "the kept consumer is untouched"
    );
    let view = doctor_ledger().await;
    for g in &recorded {
        let entry = &view
            .entries
            .get(&ledger::lf_key("integration-doctor", &gone, &g.resource))
            .expect("entry")
            .0;
        assert_eq!(entry.state, State::Gone, "{entry:#?}");
    }
    // Converged: the next scheduled run writes nothing.
    let again = run(config(&[&kept]), scheduled_event(&target.id)).await;
    assert_eq!(again.writes, 0, "{again:#?}");
}
