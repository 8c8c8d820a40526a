//! Account prerequisites (issue 10 §3) against the local AWS: every function that grants reads
//! the data lake settings once and reports `check.lf.*`; each unmet prerequisite is failed and
//! alerted with its remedy; `fix_lf_settings: true` repairs what the settings can by
//! read-modify-write, keeping the other administrators and every other field.
//!
//! AWS pages followed:
//! - Lake Formation Developer Guide, "Cross-account data sharing prerequisites"
//!   (cross-account-prereqs.html): the IAM_ALLOWED_PRINCIPALS defaults and grants;
//! - "Changing the default settings for your data lake" (change-settings.html): a new account's
//!   "Use only IAM access control" defaults;
//! - "Updating cross-account data sharing version settings" (optimize-ram.html), section
//!   "Version 3": direct grants to IAM principals in other accounts; "Prerequisites for setting
//!   up hybrid access mode": version 4 for cross-account sharing in hybrid access mode;
//! - API reference, PutDataLakeSettings: the put replaces the administrators (and every field),
//!   so adding one is get → add → put.
//!
//! The local AWS answers a new account's settings as AWS does (tests/moto_ext lf_settings.py):
//! no administrator, the IAM_ALLOWED_PRINCIPALS defaults, CROSS_ACCOUNT_VERSION "1".

use lakewarden::report::{Outcome, Report};
use lakewarden::runtime::HandlerError;
use lakewarden_tests::*;

fn report_of(r: Result<Report, HandlerError>) -> Report {
    match r {
        Ok(r) => r,
        Err(HandlerError::ActionsFailed { report, .. }) => *report,
        Err(e) => panic!("run: {e}"),
    }
}

fn check<'a>(r: &'a Report, kind: &str) -> Vec<&'a lakewarden::report::ActionReport> {
    r.actions.iter().filter(|a| a.action == kind).collect()
}

fn outcome_of(r: &Report, kind: &str) -> Outcome {
    let found = check(r, kind);
    assert_eq!(found.len(), 1, "{kind} in {:#?}", r.actions);
    found[0].outcome
}

fn remedy_of(r: &Report, kind: &str) -> String {
    check(r, kind)
        .iter()
        .find_map(|a| a.remedy.clone())
        .unwrap_or_else(|| panic!("{kind} has no remedy in {:#?}", r.actions))
}

struct Producer {
    acct: Account,
    consumer_role: String,
    topic: String,
}

/// A producer account with `cur_org` (one table) shared with a role of another account.
async fn producer() -> Producer {
    let acct = fresh_account().await;
    let consumer = new_account_id();
    let bucket = acct.bucket("cur-data").await;
    acct.database("cur_org", Some(&format!("s3://{bucket}/cur/")))
        .await;
    acct.parquet_table(
        "cur_org",
        "legacy_all",
        &format!("s3://{bucket}/cur/legacy_all/"),
    )
    .await;
    let topic = acct.topic("lakewarden-alerts").await;
    Producer {
        acct,
        consumer_role: format!("arn:aws:iam::{consumer}:role/analyst"),
        topic,
    }
}

impl Producer {
    fn config(&self, top: &str, share: &str) -> String {
        format!(
            "{top}alerts: {{ topic_arn: \"{}\" }}\nproducer:\n  shares:\n    - database: cur_org\n      consumers: [\"{}\"]\n{share}",
            self.topic, self.consumer_role
        )
    }

    async fn run(&self, cfg: &str) -> Report {
        report_of(catalog_sharer::handle(&self.acct.ctx(cfg), scheduled_event(&self.acct.id)).await)
    }

    /// What IAM_ALLOWED_PRINCIPALS gets on a table of an account still in "Use only IAM access
    /// control" (the local AWS does not materialise it on CreateTable).
    async fn iam_allowed_on_table(&self) {
        use aws_sdk_lakeformation::types::{
            DataLakePrincipal, Permission, Resource, TableResource,
        };
        self.acct
            .lakeformation()
            .grant_permissions()
            .principal(
                DataLakePrincipal::builder()
                    .data_lake_principal_identifier("IAM_ALLOWED_PRINCIPALS")
                    .build(),
            )
            .resource(
                Resource::builder()
                    .table(
                        TableResource::builder()
                            .catalog_id(&self.acct.id)
                            .database_name("cur_org")
                            .name("legacy_all")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .permissions(Permission::All)
            .send()
            .await
            .unwrap();
    }

    async fn settings(&self) -> aws_sdk_lakeformation::types::DataLakeSettings {
        self.acct
            .lakeformation()
            .get_data_lake_settings()
            .send()
            .await
            .unwrap()
            .data_lake_settings()
            .cloned()
            .unwrap()
    }
}

fn admins(s: &aws_sdk_lakeformation::types::DataLakeSettings) -> Vec<String> {
    s.data_lake_admins()
        .iter()
        .filter_map(|p| p.data_lake_principal_identifier().map(String::from))
        .collect()
}

#[tokio::test]
async fn the_harness_world_meets_every_prerequisite() {
    let p = producer().await;
    let r = p.run(&p.config("", "")).await;
    for kind in [
        "check.lf.admin",
        "check.lf.default_permissions",
        "check.lf.cross_account_version",
        "check.lf.iam_allowed_principals",
    ] {
        assert_eq!(
            outcome_of(&r, kind),
            Outcome::Already,
            "{kind}: {:#?}",
            r.actions
        );
    }
    assert!(r.failures().is_empty(), "{:#?}", r.failures());
    // Read once: one GetDataLakeSettings, and no second ListPermissions for the check.
    assert_eq!(r.calls_of("lakeformation.GetDataLakeSettings"), 1);
    assert_eq!(r.calls_of("lakeformation.ListPermissions"), 1);
}

#[tokio::test]
async fn a_new_accounts_settings_fail_every_check_with_its_remedy_and_alert() {
    let p = producer().await;
    // AWS's defaults for a new account, as the local AWS answers them.
    p.acct.put_lf_settings(&[], true, "1").await;
    p.iam_allowed_on_table().await;
    let r = p.run(&p.config("", "")).await;
    for kind in [
        "check.lf.admin",
        "check.lf.default_permissions",
        "check.lf.cross_account_version",
        "check.lf.iam_allowed_principals",
    ] {
        assert_eq!(
            outcome_of(&r, kind),
            Outcome::Failed,
            "{kind}: {:#?}",
            r.actions
        );
    }
    let role = p.acct.role_arn();
    let admin = remedy_of(&r, "check.lf.admin");
    assert!(admin.contains(&role), "{admin}");
    assert!(admin.contains("Data lake administrators"), "{admin}");
    assert!(
        admin.contains("aws lakeformation put-data-lake-settings"),
        "{admin}"
    );
    let defaults = remedy_of(&r, "check.lf.default_permissions");
    assert!(
        defaults.contains("Use only IAM access control"),
        "{defaults}"
    );
    assert!(
        defaults.contains("CreateDatabaseDefaultPermissions"),
        "{defaults}"
    );
    let version = remedy_of(&r, "check.lf.cross_account_version");
    assert!(version.contains("Version 3"), "{version}");
    assert!(version.contains("CROSS_ACCOUNT_VERSION"), "{version}");
    let iam = remedy_of(&r, "check.lf.iam_allowed_principals");
    assert!(
        iam.contains("aws lakeformation revoke-permissions --principal DataLakePrincipalIdentifier=IAM_ALLOWED_PRINCIPALS"),
        "{iam}"
    );
    assert!(iam.contains("legacy_all"), "{iam}");
    // The alert carries the remedies.
    let sent = moto().sent_notifications(&p.acct.id);
    let (_, _, message) = sent.last().expect("an alert");
    assert!(message.contains("check.lf.admin"), "{message}");
    assert!(message.contains("put-data-lake-settings"), "{message}");
    // Nothing was changed in the settings without fix_lf_settings.
    let s = p.settings().await;
    assert!(admins(&s).is_empty());
    assert_eq!(s.create_table_default_permissions().len(), 1);
}

#[tokio::test]
async fn fix_lf_settings_repairs_by_read_modify_write_and_keeps_other_admins() {
    let p = producer().await;
    let other = format!("arn:aws:iam::{}:role/DataPlatformAdmin", p.acct.id);
    p.acct.put_lf_settings(&[other.as_str()], true, "1").await;
    let cfg = p.config("fix_lf_settings: true\n", "");

    // A dry run plans the repair and writes nothing.
    let dry = p
        .run(&p.config("fix_lf_settings: true\ndry_run: true\n", ""))
        .await;
    for kind in [
        "check.lf.admin",
        "check.lf.default_permissions",
        "check.lf.cross_account_version",
    ] {
        assert_eq!(outcome_of(&dry, kind), Outcome::Planned, "{kind}");
    }
    assert_eq!(admins(&p.settings().await), std::slice::from_ref(&other));

    let r = p.run(&cfg).await;
    for kind in [
        "check.lf.admin",
        "check.lf.default_permissions",
        "check.lf.cross_account_version",
    ] {
        assert_eq!(
            outcome_of(&r, kind),
            Outcome::Applied,
            "{kind}: {:#?}",
            r.actions
        );
    }
    // One read-modify-write for the three repairs.
    assert_eq!(r.calls_of("lakeformation.PutDataLakeSettings"), 1);
    assert!(r.failures().is_empty(), "{:#?}", r.failures());
    let s = p.settings().await;
    assert_eq!(admins(&s), [other, p.acct.role_arn()]);
    assert!(s.create_database_default_permissions().is_empty());
    assert!(s.create_table_default_permissions().is_empty());
    let params = s.parameters().expect("parameters");
    assert_eq!(params["CROSS_ACCOUNT_VERSION"], "4");
    // Fields the fix does not name are kept.
    assert_eq!(params["SET_CONTEXT"], "TRUE");

    // Converged: the next run finds every prerequisite met and writes no settings.
    let again = p.run(&cfg).await;
    for kind in [
        "check.lf.admin",
        "check.lf.default_permissions",
        "check.lf.cross_account_version",
    ] {
        assert_eq!(outcome_of(&again, kind), Outcome::Already, "{kind}");
    }
    assert_eq!(again.calls_of("lakeformation.PutDataLakeSettings"), 0);
}

#[tokio::test]
async fn iam_allowed_principals_on_a_shared_table_is_never_revoked_only_reported() {
    let p = producer().await;
    p.iam_allowed_on_table().await;
    let r = p.run(&p.config("fix_lf_settings: true\n", "")).await;
    assert_eq!(
        outcome_of(&r, "check.lf.iam_allowed_principals"),
        Outcome::Failed
    );
    let listed = p
        .acct
        .lakeformation()
        .list_permissions()
        .send()
        .await
        .unwrap();
    assert!(listed.principal_resource_permissions().iter().any(|x| x
        .principal()
        .and_then(|p| p.data_lake_principal_identifier())
        == Some("IAM_ALLOWED_PRINCIPALS")));
}

#[tokio::test]
async fn hybrid_access_mode_keeps_iam_access_and_needs_version_4() {
    let p = producer().await;
    p.iam_allowed_on_table().await;
    let admin = p.acct.role_arn();
    p.acct.put_lf_settings(&[admin.as_str()], false, "3").await;
    let cfg = p.config("", "      hybrid_access: true\n");
    let r = p.run(&cfg).await;
    let iam = check(&r, "check.lf.iam_allowed_principals");
    assert_eq!(iam[0].outcome, Outcome::Already, "{:#?}", r.actions);
    assert!(
        iam[0].target.contains("hybrid access mode"),
        "{}",
        iam[0].target
    );
    assert_eq!(
        outcome_of(&r, "check.lf.cross_account_version"),
        Outcome::Failed
    );
    assert!(remedy_of(&r, "check.lf.cross_account_version").contains("Version 4"));
    // Version 4 is enough.
    p.acct.put_lf_settings(&[admin.as_str()], false, "4").await;
    let r = p.run(&cfg).await;
    assert_eq!(
        outcome_of(&r, "check.lf.cross_account_version"),
        Outcome::Already
    );
}

#[tokio::test]
async fn account_consumers_need_no_higher_version() {
    let p = producer().await;
    let admin = p.acct.role_arn();
    p.acct.put_lf_settings(&[admin.as_str()], false, "1").await;
    let consumer = new_account_id();
    let cfg = format!(
        "alerts: {{ topic_arn: \"{}\" }}\nproducer:\n  shares:\n    - database: cur_org\n      consumers: [\"{consumer}\"]\n",
        p.topic
    );
    let r = p.run(&cfg).await;
    assert_eq!(
        outcome_of(&r, "check.lf.cross_account_version"),
        Outcome::Already,
        "{:#?}",
        r.actions
    );
}

#[tokio::test]
async fn share_linker_checks_the_consumer_account_too() {
    let consumer = fresh_account().await;
    let producer = new_account_id();
    consumer.put_lf_settings(&[], false, "4").await;
    let cfg = format!(
        "consumer:\n  trusted_producers: [\"{producer}\"]\n  links:\n    - producer: \"{producer}\"\n      database: cur_org\n      roles: [\"arn:aws:iam::{}:role/glue-job\"]\n",
        consumer.id
    );
    let r =
        report_of(share_linker::handle(&consumer.ctx(&cfg), scheduled_event(&consumer.id)).await);
    assert_eq!(
        outcome_of(&r, "check.lf.admin"),
        Outcome::Failed,
        "{:#?}",
        r.actions
    );
    assert_eq!(
        outcome_of(&r, "check.lf.default_permissions"),
        Outcome::Already
    );
    assert_eq!(r.calls_of("lakeformation.GetDataLakeSettings"), 1);
    // With the fix, the role is added and the run is clean.
    let r = report_of(
        share_linker::handle(
            &consumer.ctx(&format!("fix_lf_settings: true\n{cfg}")),
            scheduled_event(&consumer.id),
        )
        .await,
    );
    assert_eq!(outcome_of(&r, "check.lf.admin"), Outcome::Applied);
    assert!(r.failures().is_empty(), "{:#?}", r.failures());
}
