//! The one configuration document every lakewarden function reads at cold start.
//!
//! It is JSON or YAML, loaded from a file path or from an SSM parameter (`ssm:NAME`) named by
//! the `LAKEWARDEN_CONFIG` environment variable. Unknown keys are errors, and every value is
//! validated before the function handles its first event, so a typo fails the deployment's
//! first invocation loudly instead of silently doing nothing.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use crate::config_types::{
    is_account_id, AccountId, BucketName, DatabaseGlob, IamArn, KeyPrefix, LfPermission, NameGlob,
    S3Uri, LF_PERMISSIONS,
};
pub use crate::principal::Principal;

/// Name of the environment variable that says where the configuration lives.
pub const CONFIG_ENV: &str = "LAKEWARDEN_CONFIG";
/// Optional: the SNS topic for alerts when the document does not name one.
pub const ALERT_TOPIC_ENV: &str = "LAKEWARDEN_ALERT_TOPIC_ARN";
/// Optional: `true` forces a dry run whatever the document says.
pub const DRY_RUN_ENV: &str = "LAKEWARDEN_DRY_RUN";
/// Optional: catalog-sharer's fan-out queue URL when `producer.fanout_queue_url` is not set.
pub const FANOUT_QUEUE_ENV: &str = "LAKEWARDEN_FANOUT_QUEUE_URL";

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Compute and return the plan without writing anything.
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub alerts: Alerts,
    /// Producer side of catalog sharing (`catalog-sharer`).
    #[serde(default)]
    pub producer: Option<Producer>,
    /// Consumer side of catalog sharing (`share-linker`).
    #[serde(default)]
    pub consumer: Option<Consumer>,
    /// Zero-ETL integrations (`integration-monitor`, `integration-doctor`).
    #[serde(default)]
    pub integrations: Option<Integrations>,
    /// DynamoDB exports to another account's bucket, source side (`table-exporter`).
    #[serde(default)]
    pub exports: Option<Vec<Export>>,
    /// DynamoDB exports, destination side (`table-exporter`).
    #[serde(default)]
    pub export_destinations: Option<Vec<ExportDestination>>,
    /// DataZone environments and subscriptions (`datazone-subscriber`).
    #[serde(default)]
    pub datazone: Option<DataZone>,
    /// DynamoDB table where functions keep what they must remember between runs.
    #[serde(default)]
    pub state_table: Option<String>,
    /// Repair the account's Lake Formation prerequisites that live in the data lake settings
    /// (the function's role as administrator, no IAM_ALLOWED_PRINCIPALS default permissions,
    /// the cross-account version) by read-modify-write, keeping every other administrator and
    /// field. Default: only check and alert (`check.lf.*`).
    #[serde(default)]
    pub fix_lf_settings: bool,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Alerts {
    /// SNS topic ARN; falls back to `LAKEWARDEN_ALERT_TOPIC_ARN`.
    #[serde(default)]
    pub topic_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Producer {
    pub shares: Vec<Share>,
    /// Scheduled fan-out (catalog-sharer): the SQS queue URL on which the scheduled reconcile
    /// enqueues one message per configured database; falls back to `LAKEWARDEN_FANOUT_QUEUE_URL`.
    /// Without either, the schedule reconciles every database in one invocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fanout_queue_url: Option<String>,
    /// At most this many removals (revokes, RAM disassociations, statements dropped) per run of
    /// catalog-sharer; beyond it the run removes nothing and alerts (issue 11 §4).
    #[serde(default = "default_max_removals")]
    pub max_removals_per_run: usize,
}

fn perms(names: &[&str]) -> Vec<LfPermission> {
    names
        .iter()
        .map(|p| LfPermission::parse(p).expect("a listed Lake Formation permission"))
        .collect()
}
fn default_db_perms() -> Vec<LfPermission> {
    perms(&["DESCRIBE"])
}
fn default_table_perms() -> Vec<LfPermission> {
    perms(&["SELECT", "DESCRIBE"])
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RamMode {
    /// Lake Formation cross-account version 3+ creates the RAM shares by itself.
    #[default]
    Auto,
    /// lakewarden keeps its own RAM resource share per share entry.
    Explicit,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Share {
    /// Exact database name or a glob (`cur_*`).
    pub database: DatabaseGlob,
    /// Account ids, organization / OU ARNs, or IAM role/user ARNs.
    pub consumers: Vec<Principal>,
    #[serde(default = "default_db_perms")]
    pub database_permissions: Vec<LfPermission>,
    #[serde(default = "default_table_perms")]
    pub table_permissions: Vec<LfPermission>,
    #[serde(default = "yes")]
    pub grantable: bool,
    #[serde(default = "yes")]
    pub bucket_policy: bool,
    #[serde(default = "yes")]
    pub register_location: bool,
    #[serde(default)]
    pub ram: RamMode,
    /// Share only these tables, by name (globs). Default: all tables of the database, through
    /// Lake Formation's All-tables wildcard.
    #[serde(default)]
    pub tables: Option<Vec<NameGlob>>,
    /// The only places (`s3://bucket/prefix/`) lakewarden registers or opens in a bucket policy
    /// for this entry. Default: the database's own `LocationUri`. A table outside is skipped.
    #[serde(default)]
    pub locations: Option<Vec<S3Uri>>,
    /// Register locations with this IAM role instead of the Lake Formation service-linked role.
    #[serde(default)]
    pub register_role_arn: Option<IamArn>,
    /// The entry's databases are in Lake Formation hybrid access mode on purpose: grants held
    /// by IAM_ALLOWED_PRINCIPALS on them are expected (not reported), and sharing them with
    /// other accounts needs cross-account version 4.
    #[serde(default)]
    pub hybrid_access: bool,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Consumer {
    pub trusted_producers: Vec<AccountId>,
    #[serde(default)]
    pub links: Vec<Link>,
    /// At most this many removals (link deletions, revokes, statements dropped) per run; beyond
    /// it the run removes nothing and alerts (issue 11 §4).
    #[serde(default = "default_max_removals")]
    pub max_removals_per_run: usize,
}

pub fn default_max_removals() -> usize {
    10
}

/// The largest `max_removals_per_run` accepted.
pub const MAX_REMOVALS_LIMIT: usize = 10_000;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub producer: AccountId,
    pub database: DatabaseGlob,
    #[serde(default)]
    pub link_name: Option<String>,
    #[serde(default)]
    pub roles: Vec<IamArn>,
    #[serde(default = "default_table_perms")]
    pub table_permissions: Vec<LfPermission>,
    #[serde(default = "yes")]
    pub s3_read_policy: bool,
    /// Buckets the S3 read statements may open whoever owns them (e.g. a bucket of this
    /// account). Every other bucket is opened only with `s3:ResourceAccount` = the producer.
    #[serde(default)]
    pub buckets: Vec<BucketName>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Integrations {
    #[serde(default = "default_state_table")]
    pub state_table: String,
    #[serde(default = "default_bus")]
    pub event_bus: String,
    #[serde(default)]
    pub fix: bool,
    #[serde(default)]
    pub sources: Vec<IntegrationSource>,
    #[serde(default)]
    pub targets: Vec<IntegrationTarget>,
}

pub fn default_state_table() -> String {
    "lakewarden-state".into()
}
fn default_bus() -> String {
    "default".into()
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IntegrationSource {
    pub table: String,
    #[serde(default)]
    pub allowed_target_accounts: Vec<AccountId>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IntegrationTarget {
    pub database: String,
    #[serde(default)]
    pub allowed_source_accounts: Vec<AccountId>,
    pub target_role_arn: IamArn,
    pub bucket: BucketName,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExportFormat {
    #[default]
    DynamodbJson,
    Ion,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExportType {
    #[default]
    Full,
    Incremental,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Export {
    pub table: String,
    pub bucket: BucketName,
    pub bucket_owner: AccountId,
    pub prefix: String,
    #[serde(default)]
    pub format: ExportFormat,
    #[serde(default, rename = "type")]
    pub export_type: ExportType,
    #[serde(default)]
    pub fix_pitr: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExportDestination {
    pub bucket: BucketName,
    pub source_accounts: Vec<AccountId>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DataZone {
    pub domains: Vec<String>,
    #[serde(default)]
    pub buckets: Vec<DataZoneBucket>,
    #[serde(default)]
    pub databases: Vec<String>,
    #[serde(default)]
    pub fulfil_targets: Vec<String>,
    #[serde(default)]
    pub boundary_copy: bool,
    /// At most this many removals per run of datazone-subscriber (issue 11 §4).
    #[serde(default = "default_max_removals")]
    pub max_removals_per_run: usize,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DataZoneBucket {
    pub bucket: BucketName,
    #[serde(default)]
    pub prefixes: Vec<KeyPrefix>,
}

/// A configuration problem, with the path of the offending key.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub origin: String,
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid lakewarden configuration ({}):", self.origin)?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// The longest problem message kept (longer ones are cut, saying how much was left out).
pub const MAX_PROBLEM_LEN: usize = 1000;

/// Parse a JSON or YAML document and validate it.
pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
    let trimmed = text.trim_start();
    // Every value is checked while it is read (`config_types`); a refused value is reported
    // with its key path and the document is read on to find the next one.
    let problem = |message: String| {
        if crate::config_types::value_refused() {
            crate::config_types::without_position(&message).to_string()
        } else {
            message
        }
    };
    let (cfg, mut problems) = crate::config_types::collect_problems(|| {
        if trimmed.starts_with('{') {
            let de = &mut serde_json::Deserializer::from_str(text);
            let cfg = serde_path_to_error::deserialize::<_, Config>(&mut *de)
                .map_err(|e| problem(describe_path_error(&e)))?;
            // Nothing but white space may follow the document.
            de.end().map_err(|e| e.to_string())?;
            Ok(cfg)
        } else {
            let de = serde_norway::Deserializer::from_str(text);
            serde_path_to_error::deserialize::<_, Config>(de)
                .map_err(|e| problem(describe_path_error(&e)))
        }
    });
    if let Some(cfg) = &cfg {
        // Checks across keys. When values were refused, `cfg` holds stand-ins for them: a
        // problem found at (or under) the key of a refused value says nothing the user wrote.
        let refused: Vec<String> = problems
            .iter()
            .filter_map(|p| p.split_once(": ").map(|(path, _)| path.to_string()))
            .collect();
        problems.extend(validate(cfg).into_iter().filter(|p| {
            let path = p.split_once(": ").map_or(p.as_str(), |(path, _)| path);
            !refused.iter().any(|r| path.starts_with(r.as_str()))
        }));
    }
    match cfg {
        Some(cfg) if problems.is_empty() => Ok(cfg),
        _ => Err(ConfigError {
            origin: origin.to_string(),
            // A reader's message may quote a whole (hostile, huge) value: keep each readable.
            problems: problems
                .iter()
                .map(|p| crate::alerts::cap(p, MAX_PROBLEM_LEN))
                .collect(),
        }),
    }
}

fn describe_path_error<E: fmt::Display>(e: &serde_path_to_error::Error<E>) -> String {
    let path = e.path().to_string();
    let inner = e.inner().to_string();
    if path == "." || path.is_empty() {
        return inner;
    }
    // The YAML reader starts its message with the path of the mapping it was in: say the
    // (longer) path once.
    let inner = match inner.split_once(": ") {
        Some((p, rest)) if path.starts_with(p) && !p.contains(' ') => rest.to_string(),
        _ => inner,
    };
    format!("{path}: {inner}")
}

fn check_perms(out: &mut Vec<String>, at: &str, perms: &[LfPermission]) {
    // Each permission is checked when read (`LfPermission`); an empty list is not.
    if perms.is_empty() {
        out.push(format!("{at}: must list at least one permission"));
    }
}

fn check_arn(out: &mut Vec<String>, at: &str, arn: &str, service: &str) {
    if crate::arn::Arn::parse(arn).is_none_or(|a| a.service != service) {
        out.push(format!(
            "{at}: `{}` is not an ARN of service `{service}`",
            crate::config_types::quoted(arn)
        ));
    }
}

/// Whether `t` is a valid DynamoDB table name (DynamoDB Developer Guide, "Naming rules").
pub fn is_state_table_name(t: &str) -> bool {
    (3..=255).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

/// Every problem across keys, each prefixed with the key's path. (Each value is checked on its
/// own while the document is read: see [`crate::config_types`].)
pub fn validate(cfg: &Config) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(t) = &cfg.state_table {
        if !is_state_table_name(t) {
            out.push(format!(
                "state_table: `{t}` is not a DynamoDB table name (3 to 255 letters, digits, `_`, `-` or `.`); catalog-sharer and share-linker keep their ledger of what they granted there, table-exporter its exports"
            ));
        }
    }
    for (key, function, max) in [
        (
            "producer",
            "catalog-sharer",
            cfg.producer.as_ref().map(|p| p.max_removals_per_run),
        ),
        (
            "datazone",
            "datazone-subscriber",
            cfg.datazone.as_ref().map(|d| d.max_removals_per_run),
        ),
    ] {
        if max.is_some_and(|m| m > MAX_REMOVALS_LIMIT) {
            out.push(format!(
                "{key}.max_removals_per_run: {} is more than {MAX_REMOVALS_LIMIT} ({function})",
                max.unwrap_or_default()
            ));
        }
    }
    if let Some(t) = &cfg.alerts.topic_arn {
        check_arn(&mut out, "alerts.topic_arn", t, "sns");
    }
    if let Some(p) = &cfg.producer {
        if p.shares.is_empty() {
            out.push("producer.shares: must list at least one share".into());
        }
        if let Some(q) = &p.fanout_queue_url {
            let path = q
                .strip_prefix("https://")
                .or_else(|| q.strip_prefix("http://"))
                .and_then(|rest| rest.split_once('/'))
                .map(|(_, path)| path);
            if !path.is_some_and(|seg| !seg.is_empty() && !seg.ends_with('/')) {
                out.push(format!(
                    "producer.fanout_queue_url: `{q}` is not an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)"
                ));
            }
        }
        for (i, s) in p.shares.iter().enumerate() {
            let at = format!("producer.shares[{i}]");
            if s.consumers.is_empty() {
                out.push(format!("{at}.consumers: must list at least one consumer"));
            }
            check_perms(
                &mut out,
                &format!("{at}.database_permissions"),
                &s.database_permissions,
            );
            check_perms(
                &mut out,
                &format!("{at}.table_permissions"),
                &s.table_permissions,
            );
            if let Some(tables) = &s.tables {
                if tables.is_empty() {
                    out.push(format!("{at}.tables: must list at least one table name or glob (leave it out to share all tables)"));
                }
            }
            if let Some(locs) = &s.locations {
                if locs.is_empty() {
                    out.push(format!("{at}.locations: must list at least one s3:// location (leave it out for the database's LocationUri)"));
                }
            }
        }
    }
    if let Some(c) = &cfg.consumer {
        if c.max_removals_per_run > MAX_REMOVALS_LIMIT {
            out.push(format!(
                "consumer.max_removals_per_run: {} is more than {MAX_REMOVALS_LIMIT}",
                c.max_removals_per_run
            ));
        }
        for (i, l) in c.links.iter().enumerate() {
            let at = format!("consumer.links[{i}]");
            if !c.trusted_producers.contains(&l.producer) {
                out.push(format!(
                    "{at}.producer: `{}` is not in consumer.trusted_producers",
                    l.producer
                ));
            }
            if let Some(n) = &l.link_name {
                if n.is_empty() {
                    out.push(format!("{at}.link_name: must not be empty"));
                }
            }
            check_perms(
                &mut out,
                &format!("{at}.table_permissions"),
                &l.table_permissions,
            );
        }
    }
    if let Some(z) = &cfg.integrations {
        if z.state_table.is_empty() {
            out.push("integrations.state_table: must not be empty".into());
        }
    }
    for (i, e) in cfg.exports.iter().flatten().enumerate() {
        let at = format!("exports[{i}]");
        if e.prefix.trim_matches('/').is_empty() {
            out.push(format!("{at}.prefix: is required and must not be empty"));
        }
    }
    if let Some(dz) = &cfg.datazone {
        if dz.domains.is_empty() {
            out.push("datazone.domains: must list at least one domain id".into());
        }
    }
    out
}

impl Config {
    /// The section a function needs, or a clear error naming it.
    pub fn require<'a, T>(section: &'a Option<T>, key: &str) -> Result<&'a T, ConfigError> {
        section.as_ref().ok_or_else(|| ConfigError {
            origin: "configuration".into(),
            problems: vec![format!("section `{key}` is required by this function")],
        })
    }

    /// `max_removals_per_run` of a function's section (default 10; share-linker `consumer.…`,
    /// catalog-sharer `producer.…`, datazone-subscriber `datazone.…`).
    pub fn max_removals(&self, function: &str) -> usize {
        match function {
            "share-linker" => self.consumer.as_ref().map(|c| c.max_removals_per_run),
            // integration-doctor shares through `producer.shares` (lakewarden::sharing).
            "catalog-sharer" | "integration-doctor" => {
                self.producer.as_ref().map(|p| p.max_removals_per_run)
            }
            "datazone-subscriber" => self.datazone.as_ref().map(|d| d.max_removals_per_run),
            _ => None,
        }
        .unwrap_or_else(default_max_removals)
    }

    /// The state table: `state_table`, else `integrations.state_table`, else `lakewarden-state`.
    /// catalog-sharer and share-linker keep their ledger there (issue 11 §5).
    pub fn state_table_name(&self) -> String {
        self.state_table
            .clone()
            .or_else(|| self.integrations.as_ref().map(|i| i.state_table.clone()))
            .unwrap_or_else(default_state_table)
    }

    /// Every account id and principal the producer configuration allows to be granted.
    pub fn producer_consumers(&self) -> BTreeSet<String> {
        self.producer
            .iter()
            .flat_map(|p| p.shares.iter())
            .flat_map(|s| s.consumers.iter().map(|c| c.identifier().to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUE_EXAMPLE: &str = r#"
dry_run: false
alerts: { topic_arn: "arn:aws:sns:us-east-1:111111111111:lakewarden-alerts" }
producer:
  shares:
    - database: cur_org
      consumers: ["222222222222", "arn:aws:organizations::111111111111:organization/o-abc123def4",
                  "arn:aws:iam::333333333333:role/analyst"]
      database_permissions: [DESCRIBE]
      table_permissions: [SELECT, DESCRIBE]
      grantable: true
      bucket_policy: true
      register_location: true
      ram: auto
"#;

    #[test]
    fn parses_the_documented_yaml() {
        let c = parse(ISSUE_EXAMPLE, "test").unwrap();
        let s = &c.producer.as_ref().unwrap().shares[0];
        assert_eq!(s.database, "cur_org");
        assert_eq!(s.consumers.len(), 3);
        assert_eq!(s.ram, RamMode::Auto);
        assert!(s.grantable && s.bucket_policy && s.register_location);
    }

    #[test]
    fn defaults_apply() {
        let c = parse(
            "producer:\n  shares:\n    - database: \"cur_*\"\n      consumers: [\"222222222222\"]\n",
            "t",
        )
        .unwrap();
        let s = &c.producer.unwrap().shares[0];
        assert_eq!(s.database_permissions, vec!["DESCRIBE"]);
        assert_eq!(s.table_permissions, vec!["SELECT", "DESCRIBE"]);
        assert!(s.grantable);
        assert_eq!(s.ram, RamMode::Auto);
        assert!(!c.dry_run);
    }

    #[test]
    fn json_is_accepted() {
        let c = parse(
            r#"{"dry_run": true, "producer": {"shares": [{"database": "x", "consumers": ["222222222222"], "ram": "explicit"}]}}"#,
            "t",
        )
        .unwrap();
        assert!(c.dry_run);
        assert_eq!(c.producer.unwrap().shares[0].ram, RamMode::Explicit);
    }

    #[test]
    fn unknown_key_is_an_error_with_its_path() {
        let e = parse(
            "producer:\n  shares:\n    - database: x\n      consumers: [\"222222222222\"]\n      grantabel: true\n",
            "f.yaml",
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("f.yaml"), "{msg}");
        assert!(msg.contains("producer.shares[0]"), "{msg}");
        assert!(msg.contains("grantabel"), "{msg}");
    }

    #[test]
    fn unknown_top_level_key_is_an_error() {
        let e = parse("dryrun: true\n", "t").unwrap_err();
        assert!(e.to_string().contains("dryrun"), "{e}");
    }

    #[test]
    fn bad_values_are_all_reported() {
        let e = parse(
            "alerts: {topic_arn: nope}\nproducer:\n  shares:\n    - database: \"cur_[\"\n      consumers: [\"2222\", \"*\"]\n      table_permissions: [READ]\n",
            "t",
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("alerts.topic_arn"), "{msg}");
        assert!(
            msg.contains("producer.shares[0].database: invalid glob"),
            "{msg}"
        );
        assert!(msg.contains("consumers[0]"), "{msg}");
        assert!(msg.contains("consumers[1]"), "{msg}");
        assert!(
            msg.contains("unknown Lake Formation permission `READ`"),
            "{msg}"
        );
        assert_eq!(e.problems.len(), 5, "{msg}");
    }

    #[test]
    fn unquoted_account_ids_in_yaml() {
        // A plain number is read as the id it spells.
        let c = parse(
            "producer:\n  shares:\n    - database: x\n      consumers: [222222222222]\n",
            "t",
        )
        .unwrap();
        assert_eq!(
            c.producer.unwrap().shares[0].consumers,
            vec!["222222222222"]
        );
    }

    #[test]
    fn consumer_link_to_untrusted_producer_is_rejected() {
        let e = parse(
            "consumer:\n  trusted_producers: [\"111111111111\"]\n  links:\n    - producer: \"999999999999\"\n      database: cur_org\n",
            "t",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("not in consumer.trusted_producers"),
            "{e}"
        );
    }

    #[test]
    fn export_requires_prefix_and_owner() {
        let e = parse(
            "exports:\n  - table: t\n    bucket: dynamodb-export-bucket\n    bucket_owner: \"x\"\n    prefix: \"/\"\n",
            "t",
        )
        .unwrap_err();
        assert_eq!(e.problems.len(), 2, "{e}");
    }
}
