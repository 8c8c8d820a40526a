//! Test harness: one moto server per test binary (started on first use, on a free port, gone
//! when the test process ends), accounts as STS AssumeRole sessions against it, and helpers to
//! read back what the functions did.
//!
//! Tests in one binary run in parallel against the same server, so they never reset it: each
//! takes fresh account ids from [`new_account_id`] (and bucket names that include them).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_types::sdk_config::SharedCredentialsProvider;
use lakewarden::config::Config;
use lakewarden::runtime::Ctx;
use lakewarden::Aws;
use serde_json::Value;

pub const REGION: &str = "us-east-1";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The Python that has moto installed: `LAKEWARDEN_PYTHON` or the project venv.
pub fn python() -> PathBuf {
    std::env::var_os("LAKEWARDEN_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv/bin/python"))
}

/// A running moto server (with the project's extensions).
pub struct Moto {
    pub endpoint: String,
    _child: Mutex<Child>,
    // Held open: when the test process exits the pipe closes and the server exits with it.
    _stdin: Mutex<ChildStdin>,
}

static MOTO: OnceLock<Moto> = OnceLock::new();

/// The server of this test binary, started on first use.
pub fn moto() -> &'static Moto {
    MOTO.get_or_init(|| start_moto(&[]))
}

pub fn start_moto(extra_args: &[&str]) -> Moto {
    let py = python();
    assert!(
        py.exists(),
        "{} not found: run `make venv` (or `make test`) first, or set LAKEWARDEN_PYTHON",
        py.display()
    );
    let mut child = Command::new(&py)
        .args([
            "-m",
            "lakewarden_moto",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--exit-on-stdin-eof",
        ])
        .args(extra_args)
        .env("PYTHONPATH", repo_root().join("tests/moto_ext"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let endpoint = loop {
        let line = lines
            .next()
            .expect("moto exited before it was ready")
            .expect("read moto stdout");
        if let Some(url) = line.strip_prefix("LAKEWARDEN_MOTO_READY ") {
            break url.trim().to_string();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let stdin = child.stdin.take().expect("stdin");
    Moto {
        endpoint,
        _child: Mutex::new(child),
        _stdin: Mutex::new(stdin),
    }
}

impl Moto {
    fn host_port(&self) -> String {
        self.endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string()
    }

    /// A plain HTTP/1.1 request to the server (moto's and lakewarden's test endpoints).
    pub fn http(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let hp = self.host_port();
        let mut s = TcpStream::connect(&hp).expect("connect moto");
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {hp}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).expect("send");
        let mut resp = Vec::new();
        s.read_to_end(&mut resp).expect("read");
        let text = String::from_utf8_lossy(&resp).to_string();
        let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let chunked = head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked");
        let body = if chunked {
            dechunk(rest)
        } else {
            rest.to_string()
        };
        (status, body)
    }

    /// moto's state dump. moto builds it by iterating every backend while other tests' requests
    /// may change them, which now and then fails with a 500 ("dictionary changed size during
    /// iteration"): such an answer is asked again, so tests running in parallel never see it.
    pub fn state_dump(&self) -> Value {
        let mut last = String::new();
        for _ in 0..50 {
            let (status, body) = self.http("GET", "/moto-api/data.json", "");
            if status == 200 {
                if let Ok(v) = serde_json::from_str::<Value>(&body) {
                    return v;
                }
            }
            last = format!("{status}: {}", body.chars().take(300).collect::<String>());
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("moto's /moto-api/data.json never answered with JSON: {last}");
    }

    /// Everything SNS accepted: (topic ARN, subject, message), from moto's state dump.
    pub fn sent_notifications(&self, account: &str) -> Vec<(String, String, String)> {
        let v = self.state_dump();
        let mut out = Vec::new();
        if let Some(topics) = v["sns"]["Topic"].as_array() {
            for t in topics {
                let arn = t["arn"].as_str().unwrap_or_default().to_string();
                if !arn.contains(&format!(":{account}:")) {
                    continue;
                }
                for n in t["sent_notifications"].as_array().into_iter().flatten() {
                    out.push((
                        arn.clone(),
                        n[2].as_str().unwrap_or_default().to_string(),
                        n[1].as_str().unwrap_or_default().to_string(),
                    ));
                }
            }
        }
        out
    }
}

fn dechunk(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

static NEXT_ACCOUNT: AtomicU64 = AtomicU64::new(0);

/// A 12-digit account id no other test of this binary uses.
pub fn new_account_id() -> String {
    let n = NEXT_ACCOUNT.fetch_add(1, Ordering::SeqCst);
    format!("{:012}", 400_000_000_000u64 + n * 1_001)
}

fn base_config(endpoint: &str, creds: aws_credential_types::Credentials) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(creds))
        // moto answers bugs with 500s; retrying them only slows a failing test down.
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .build()
}

/// Where every report of this test process is recorded: `target/api-operations/<pid>.jsonl`
/// (or `$LAKEWARDEN_API_OPERATIONS_DIR/<pid>.jsonl`), one JSON line per report with its function
/// and `api_operations`. `make test-iam` (tests/infra/check_iam.py) holds the templates' roles
/// against them after `cargo test`.
pub fn api_operations_file() -> PathBuf {
    let dir = std::env::var_os("LAKEWARDEN_API_OPERATIONS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/api-operations"));
    dir.join(format!("{}.jsonl", std::process::id()))
}

static RECORD_LOCK: Mutex<()> = Mutex::new(());

/// The report observer the harness installs (see [`api_operations_file`]).
fn record_report(report: &lakewarden::report::Report) {
    let line = serde_json::json!({
        "function": report.function,
        "api_operations": report.api_operations,
        "test_binary": std::env::current_exe().ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())),
    });
    let path = api_operations_file();
    let _guard = RECORD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let written = std::fs::create_dir_all(path.parent().expect("a directory"))
        .and_then(|_| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
        })
        .and_then(|mut f| writeln!(f, "{line}"));
    if let Err(e) = written {
        panic!(
            "cannot record the report's api_operations in {}: {e}",
            path.display()
        );
    }
}

/// Record every report of this process (idempotent; called wherever a test gets an account or
/// a context).
pub fn record_reports() {
    lakewarden::runtime::observe_reports(record_report);
}

/// An account of the moto server: SDK configuration and lakewarden's clients acting in it.
#[derive(Clone)]
pub struct Account {
    pub id: String,
    pub sdk: SdkConfig,
    pub aws: Aws,
}

/// Credentials for `account_id`, through STS AssumeRole (moto maps them to that account).
pub async fn account(account_id: &str) -> Account {
    account_on(moto(), account_id).await
}

/// [`account`] on a given server (for a test binary that starts its own, e.g. with
/// `start_moto(&["--managed-policies"])`).
pub async fn account_on(m: &Moto, account_id: &str) -> Account {
    record_reports();
    let boot = base_config(
        &m.endpoint,
        aws_credential_types::Credentials::new("test", "test", None, None, "static"),
    );
    let sts = aws_sdk_sts::Client::new(&boot);
    let out = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account_id}:role/lakewarden-test"))
        .role_session_name("lakewarden-test")
        .send()
        .await
        .expect("assume role in moto");
    let c = out.credentials().expect("credentials");
    let creds = aws_credential_types::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "moto-assume-role",
    );
    let sdk = base_config(&m.endpoint, creds);
    let aws = Aws::new(&sdk);
    let account = Account {
        id: account_id.to_string(),
        sdk,
        aws,
    };
    // Every deployment has lakewarden's state table now: catalog-sharer and share-linker keep
    // their ledger of what they granted there (issue 11 §5).
    account.state_table(DEFAULT_STATE_TABLE).await;
    // Explicit data lake settings, once per account and server (issue 10 §3).
    let first = LF_SETTINGS_PUT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert((m.endpoint.clone(), account_id.to_string()));
    if first {
        account.put_test_lf_settings().await;
    }
    account
}

static LF_SETTINGS_PUT: Mutex<std::collections::BTreeSet<(String, String)>> =
    Mutex::new(std::collections::BTreeSet::new());

/// The role the functions run as in the tests (the harness's STS AssumeRole).
pub const TEST_ROLE: &str = "lakewarden-test";

impl Account {
    /// The function's role in this account (what STS GetCallerIdentity names, normalised).
    pub fn role_arn(&self) -> String {
        format!("arn:aws:iam::{}:role/{TEST_ROLE}", self.id)
    }

    /// The data lake settings every test world starts with: the function's role as the only
    /// data lake administrator, no IAM_ALLOWED_PRINCIPALS default permissions, cross-account
    /// version 4. The local AWS answers AWS's defaults for a new account (no administrator,
    /// "Use only IAM access control", version 1), under which every `check.lf.*` fails.
    pub async fn put_test_lf_settings(&self) {
        let admin = self.role_arn();
        self.put_lf_settings(&[admin.as_str()], false, "4").await;
    }

    /// PutDataLakeSettings: these administrators, the IAM_ALLOWED_PRINCIPALS default permissions
    /// or none, this cross-account version (every other field left empty).
    pub async fn put_lf_settings(
        &self,
        admins: &[&str],
        iam_allowed_defaults: bool,
        version: &str,
    ) {
        use aws_sdk_lakeformation::types::{
            DataLakePrincipal, DataLakeSettings, Permission, PrincipalPermissions,
        };
        let principal = |id: &str| {
            DataLakePrincipal::builder()
                .data_lake_principal_identifier(id)
                .build()
        };
        let mut s = DataLakeSettings::builder()
            .set_data_lake_admins(Some(admins.iter().map(|a| principal(a)).collect()))
            .parameters("CROSS_ACCOUNT_VERSION", version)
            .parameters("SET_CONTEXT", "TRUE");
        let defaults = if iam_allowed_defaults {
            vec![PrincipalPermissions::builder()
                .principal(principal("IAM_ALLOWED_PRINCIPALS"))
                .permissions(Permission::All)
                .build()]
        } else {
            vec![]
        };
        s = s
            .set_create_database_default_permissions(Some(defaults.clone()))
            .set_create_table_default_permissions(Some(defaults));
        self.lakeformation()
            .put_data_lake_settings()
            .data_lake_settings(s.build())
            .send()
            .await
            .expect("put data lake settings");
    }
}

/// The state table every test account has (the configuration's default `state_table`).
pub const DEFAULT_STATE_TABLE: &str = "lakewarden-state";

/// A fresh account.
pub async fn fresh_account() -> Account {
    account(&new_account_id()).await
}

impl Account {
    /// A handler context acting in this account with the given configuration (YAML or JSON).
    pub fn ctx(&self, config: &str) -> Ctx {
        record_reports();
        let cfg: Config = lakewarden::config::parse(config, "test").expect("test config");
        Ctx::new(cfg, Aws::new(&self.sdk))
    }

    pub fn glue(&self) -> aws_sdk_glue::Client {
        aws_sdk_glue::Client::new(&self.sdk)
    }
    pub fn lakeformation(&self) -> aws_sdk_lakeformation::Client {
        aws_sdk_lakeformation::Client::new(&self.sdk)
    }
    pub fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.sdk)
                .force_path_style(true)
                .build(),
        )
    }
    pub fn sns(&self) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&self.sdk)
    }
    pub fn ram(&self) -> aws_sdk_ram::Client {
        aws_sdk_ram::Client::new(&self.sdk)
    }
    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk)
    }
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }

    /// An SNS topic in this account; returns its ARN.
    pub async fn topic(&self, name: &str) -> String {
        self.sns()
            .create_topic()
            .name(name)
            .send()
            .await
            .expect("create topic")
            .topic_arn()
            .expect("arn")
            .to_string()
    }

    /// A bucket (name made unique with the account id); returns its name.
    pub async fn bucket(&self, stem: &str) -> String {
        let name = format!("{stem}-{}", self.id);
        self.s3()
            .create_bucket()
            .bucket(&name)
            .send()
            .await
            .expect("create bucket");
        name
    }

    pub async fn database(&self, name: &str, location: Option<&str>) {
        self.glue()
            .create_database()
            .database_input(
                aws_sdk_glue::types::DatabaseInput::builder()
                    .name(name)
                    .set_location_uri(location.map(String::from))
                    .build()
                    .expect("db input"),
            )
            .send()
            .await
            .expect("create database");
    }

    /// A Parquet table at `location`.
    pub async fn parquet_table(&self, db: &str, name: &str, location: &str) {
        use aws_sdk_glue::types::{Column, SerDeInfo, StorageDescriptor, TableInput};
        let sd = StorageDescriptor::builder()
            .location(location)
            .input_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")
            .output_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat")
            .serde_info(
                SerDeInfo::builder()
                    .serialization_library(
                        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                    )
                    .build(),
            )
            .columns(
                Column::builder()
                    .name("line_item_id")
                    .r#type("string")
                    .build()
                    .unwrap(),
            )
            .columns(
                Column::builder()
                    .name("cost")
                    .r#type("double")
                    .build()
                    .unwrap(),
            )
            .build();
        self.glue()
            .create_table()
            .database_name(db)
            .table_input(
                TableInput::builder()
                    .name(name)
                    .table_type("EXTERNAL_TABLE")
                    .storage_descriptor(sd)
                    .build()
                    .expect("table input"),
            )
            .send()
            .await
            .expect("create table");
    }

    /// Every Lake Formation permission of this account's catalog (one ListPermissions page).
    pub async fn lf_permissions(
        &self,
    ) -> Vec<aws_sdk_lakeformation::types::PrincipalResourcePermissions> {
        self.lakeformation()
            .list_permissions()
            .catalog_id(&self.id)
            .send()
            .await
            .expect("list permissions")
            .principal_resource_permissions()
            .to_vec()
    }

    /// The bucket's policy as S3 returns it (None when it has none or cannot be read).
    pub async fn raw_bucket_policy(&self, bucket: &str) -> Option<String> {
        self.s3()
            .get_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .ok()
            .and_then(|o| o.policy().map(String::from))
    }

    pub async fn bucket_policy(&self, bucket: &str) -> Option<Value> {
        match self.s3().get_bucket_policy().bucket(bucket).send().await {
            Ok(o) => o
                .policy()
                .map(|p| serde_json::from_str(p).expect("policy json")),
            Err(_) => None,
        }
    }
}

/// A fixture from `tests/events/`, with the account and database swapped in where given.
pub fn event(name: &str) -> Value {
    let path = repo_root().join("tests/events").join(name);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture json")
}

/// A Glue Data Catalog Database State Change event.
pub fn glue_db_event(account: &str, db: &str, change: &str, tables: &[&str]) -> Value {
    serde_json::json!({
        "version": "0", "id": format!("{db}-{change}-{}", tables.join("-")),
        "detail-type": "Glue Data Catalog Database State Change", "source": "aws.glue",
        "account": account, "time": "2026-11-24T10:00:00Z", "region": REGION,
        "resources": [format!("arn:aws:glue:{REGION}:{account}:database/{db}")],
        "detail": {"databaseName": db, "typeOfChange": change, "changedTables": tables}
    })
}

/// A scheduled event.
pub fn scheduled_event(account: &str) -> Value {
    serde_json::json!({
        "version": "0", "id": "sched", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": account, "time": "2026-11-24T10:00:00Z", "region": REGION,
        "resources": [format!("arn:aws:events:{REGION}:{account}:rule/lakewarden-reconcile")],
        "detail": {}
    })
}

impl Account {
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk)
    }
    pub fn eventbridge(&self) -> aws_sdk_eventbridge::Client {
        aws_sdk_eventbridge::Client::new(&self.sdk)
    }

    /// Creates the SQS queue `name`; its URL.
    pub async fn queue(&self, name: &str) -> String {
        self.sqs()
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .expect("queue")
            .queue_url()
            .expect("url")
            .to_string()
    }

    /// A queue (`alerts-<account>`) subscribed to the SNS topic `topic`; its URL.
    pub async fn alert_queue(&self, topic: &str) -> String {
        let name = format!("alerts-{}", self.id);
        let url = self.queue(&name).await;
        self.sns()
            .subscribe()
            .topic_arn(topic)
            .protocol("sqs")
            .endpoint(format!("arn:aws:sqs:{REGION}:{}:{name}", self.id))
            .send()
            .await
            .expect("subscribe");
        url
    }

    /// A queue receiving every event of `source` on the default bus; returns its URL.
    pub async fn capture_events(&self, source: &str) -> String {
        let url = self
            .sqs()
            .create_queue()
            .queue_name(format!("capture-{}", self.id))
            .send()
            .await
            .expect("queue")
            .queue_url()
            .expect("url")
            .to_string();
        let arn = format!("arn:aws:sqs:{REGION}:{}:capture-{}", self.id, self.id);
        let eb = self.eventbridge();
        eb.put_rule()
            .name("capture")
            .event_pattern(serde_json::json!({"source": [source]}).to_string())
            .send()
            .await
            .expect("rule");
        eb.put_targets()
            .rule("capture")
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("q")
                    .arn(arn)
                    .build()
                    .expect("target"),
            )
            .send()
            .await
            .expect("targets");
        url
    }

    /// Every event delivered to a capture queue so far (their JSON bodies).
    pub async fn captured(&self, url: &str) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let r = self
                .sqs()
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive");
            if r.messages().is_empty() {
                break;
            }
            for m in r.messages() {
                out.push(serde_json::from_str(m.body().unwrap_or("{}")).expect("event json"));
                self.sqs()
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        }
        out
    }
}

impl Account {
    /// The lakewarden state table (`pk` string key) in this account.
    pub async fn state_table(&self, name: &str) {
        self.ddb_table(name, "pk").await;
    }

    /// Move an integration to a status (with errors), as AWS would (test endpoint).
    pub fn set_integration_status(&self, arn: &str, status: &str, errors: Value) {
        let (code, body) = moto().http(
            "POST",
            "/lakewarden-test/integrations/status",
            &serde_json::json!({"integration_arn": arn, "status": status, "errors": errors})
                .to_string(),
        );
        assert_eq!(code, 200, "{body}");
    }

    /// A zero-ETL integration from this account's DynamoDB table to a Glue database of `target`.
    pub async fn create_integration(
        &self,
        name: &str,
        table: &str,
        target: &str,
        database: &str,
    ) -> String {
        self.glue()
            .create_integration()
            .integration_name(name)
            .source_arn(format!(
                "arn:aws:dynamodb:{REGION}:{}:table/{table}",
                self.id
            ))
            .target_arn(format!(
                "arn:aws:glue:{REGION}:{target}:database/{database}"
            ))
            .send()
            .await
            .expect("create integration")
            .integration_arn()
            .to_string()
    }
}

impl Account {
    /// An on-demand DynamoDB table with a string hash key.
    pub async fn ddb_table(&self, name: &str, hash_key: &str) {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        };
        let created = self
            .dynamodb()
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(hash_key)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .expect("attr"),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(hash_key)
                    .key_type(KeyType::Hash)
                    .build()
                    .expect("key"),
            )
            .send()
            .await;
        match created {
            Ok(_) => {}
            // Already there (an account used by several tests): as good as created.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_resource_in_use_exception()) => {}
            Err(e) => panic!("create table {name}: {e:?}"),
        }
    }
}

impl Moto {
    /// Puts one DataZone item (`domain`, `environment`, `listing`, …) into the local DataZone
    /// (tests/moto_ext); panics unless it answers 200.
    pub fn dz_put(&self, kind: &str, item: Value) {
        let (code, body) = self.http(
            "POST",
            "/lakewarden-test/datazone/put",
            &serde_json::json!({"kind": kind, "item": item}).to_string(),
        );
        assert_eq!(code, 200, "{body}");
    }

    /// DataZone domain `domain` in `account`, its environment `env1` (project `prj1`, user role
    /// `role`, subscribed database `env1_sub_db`) and the environment's Glue subscription target
    /// `tgt1`.
    pub fn dz_environment(&self, domain: &str, account: &str, role: &str) {
        self.dz_put(
            "domain",
            serde_json::json!({"id": domain, "awsAccountId": account}),
        );
        self.dz_put(
            "environment",
            serde_json::json!({"id": "env1", "domainId": domain, "projectId": "prj1",
            "awsAccountId": account, "userRoleArn": role, "subDatabase": "env1_sub_db"}),
        );
        self.dz_put(
            "subscription-target",
            serde_json::json!({"id": "tgt1", "domainId": domain, "environmentId": "env1",
            "databaseName": "env1_sub_db", "type": "GlueSubscriptionTargetType"}),
        );
    }
}

impl Moto {
    /// In DataZone domain `domain`: listing `lst1` (asset `ast1`, the table
    /// `cm_kasama_sales.orders` of catalog `catalog`) and subscription grant `grt1` of it to
    /// target `tgt1` of environment `env1`.
    pub fn dz_orders_grant(&self, domain: &str, catalog: &str) {
        self.dz_put(
            "listing",
            serde_json::json!({"id": "lst1", "domainId": domain, "assetId": "ast1",
            "databaseName": "cm_kasama_sales", "tableName": "orders", "catalogId": catalog}),
        );
        self.dz_put(
            "subscription-grant",
            serde_json::json!({"id": "grt1", "domainId": domain, "listingId": "lst1",
            "subscriptionTargetId": "tgt1", "environmentId": "env1", "assetId": "ast1"}),
        );
    }
}

impl Account {
    /// Creates the DataZone environment user role `datazone_usr_env1` (trusting
    /// datazone.amazonaws.com, with `boundary` as its permissions boundary when given); its ARN.
    pub async fn datazone_env_role(&self, boundary: Option<&str>) -> String {
        self.role_trusting("datazone_usr_env1", "datazone", boundary)
            .await
    }

    /// Creates role `name` that `service` (`glue`, `lambda`, …: `<service>.amazonaws.com`) may
    /// assume; its ARN.
    pub async fn service_role(&self, name: &str, service: &str) -> String {
        self.role_trusting(name, service, None).await
    }

    async fn role_trusting(&self, name: &str, service: &str, boundary: Option<&str>) -> String {
        self.iam()
            .create_role()
            .role_name(name)
            .assume_role_policy_document(
                serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": format!("{service}.amazonaws.com")},
                "Action": "sts:AssumeRole"}]})
                .to_string(),
            )
            .set_permissions_boundary(boundary.map(String::from))
            .send()
            .await
            .unwrap();
        format!("arn:aws:iam::{}:role/{name}", self.id)
    }
}
