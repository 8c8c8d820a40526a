//! Thin adapters, one module per AWS service. They translate between SDK shapes and the plain
//! types the planners use, and decide nothing.

pub mod datazone;
pub mod dynamodb;
pub mod eventbridge;
pub mod glue;
pub mod glue_integrations;
pub mod glue_policy;
pub mod iam;
pub mod lakeformation;
pub mod ram;
pub mod s3;
pub mod sns;
pub mod ssm;

use std::error::Error as StdError;
use std::fmt;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use tokio::sync::OnceCell;

use crate::report::ApiCounter;

/// An AWS error in a form fit for a report and an alert: `Code: message`.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsError {
    pub code: Option<String>,
    pub message: String,
}

impl AwsError {
    pub fn new(code: Option<&str>, message: impl Into<String>) -> Self {
        AwsError {
            code: code.map(String::from),
            message: message.into(),
        }
    }
    pub fn is_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
    pub fn is_not_found(&self) -> bool {
        self.code.as_deref().is_some_and(|c| {
            c == "EntityNotFoundException"
                || c == "NoSuchEntity"
                || c == "NoSuchBucketPolicy"
                || c == "ResourceNotFoundException"
                || c == "UnknownResourceException"
        })
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(c) => write!(f, "{c}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl StdError for AwsError {}

impl<E, R> From<SdkError<E, R>> for AwsError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    fn from(e: SdkError<E, R>) -> Self {
        let code = e.code().map(String::from);
        let message = match (e.message(), &code) {
            (Some(m), _) => m.to_string(),
            (None, Some(_)) => String::new(),
            (None, None) => DisplayErrorContext(&e).to_string(),
        };
        AwsError { code, message }
    }
}

pub type AwsResult<T> = Result<T, AwsError>;

/// A not-found error means "absent" (`Ok(None)`); any other error stays an error.
pub fn none_if_not_found<T>(e: impl Into<AwsError>) -> AwsResult<Option<T>> {
    let e = e.into();
    if e.is_not_found() {
        Ok(None)
    } else {
        Err(e)
    }
}

/// Every client a lakewarden function may use, sharing one configuration, one retry policy and
/// one API-call counter.
#[derive(Debug, Clone)]
pub struct Aws {
    pub glue: aws_sdk_glue::Client,
    pub lakeformation: aws_sdk_lakeformation::Client,
    pub iam: aws_sdk_iam::Client,
    pub eventbridge: aws_sdk_eventbridge::Client,
    pub ram: aws_sdk_ram::Client,
    pub sns: aws_sdk_sns::Client,
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub datazone: aws_sdk_datazone::Client,
    pub sts: aws_sdk_sts::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub counter: ApiCounter,
    pub region: String,
    account: std::sync::Arc<OnceCell<String>>,
}

macro_rules! client {
    ($krate:ident, $sdk:expr, $counter:expr) => {
        $krate::Client::from_conf(
            $krate::config::Builder::from($sdk)
                .interceptor($counter.clone())
                .build(),
        )
    };
}

impl Aws {
    /// The standard SDK configuration chain (region, credentials, `AWS_ENDPOINT_URL`, …) with
    /// the standard retry mode, which retries throttling and transient errors.
    pub async fn from_env() -> Aws {
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(5))
            .load()
            .await;
        Aws::new(&sdk)
    }

    pub fn new(sdk: &SdkConfig) -> Aws {
        let counter = ApiCounter::default();
        // Path-style addressing when a custom endpoint is set (S3-compatible endpoints have no
        // per-bucket DNS); AWS itself keeps virtual-hosted style.
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(sdk)
                .force_path_style(sdk.endpoint_url().is_some())
                .interceptor(counter.clone())
                .build(),
        );
        Aws {
            glue: client!(aws_sdk_glue, sdk, counter),
            lakeformation: client!(aws_sdk_lakeformation, sdk, counter),
            iam: client!(aws_sdk_iam, sdk, counter),
            eventbridge: client!(aws_sdk_eventbridge, sdk, counter),
            ram: client!(aws_sdk_ram, sdk, counter),
            sns: client!(aws_sdk_sns, sdk, counter),
            s3,
            dynamodb: client!(aws_sdk_dynamodb, sdk, counter),
            datazone: client!(aws_sdk_datazone, sdk, counter),
            sts: client!(aws_sdk_sts, sdk, counter),
            ssm: client!(aws_sdk_ssm, sdk, counter),
            counter,
            region: sdk
                .region()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "us-east-1".into()),
            account: Default::default(),
        }
    }

    /// This function's own account id (STS GetCallerIdentity, asked once).
    pub async fn account_id(&self) -> AwsResult<String> {
        self.account
            .get_or_try_init(|| async {
                let out = self.sts.get_caller_identity().send().await?;
                out.account
                    .ok_or_else(|| AwsError::new(None, "GetCallerIdentity returned no account"))
            })
            .await
            .cloned()
    }
}
