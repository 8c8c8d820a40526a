//! Thin adapters, one module per AWS service. They translate between SDK shapes and the plain
//! types the planners use, and decide nothing.
//!
//! Errors: every adapter returns [`AwsError`], which keeps the AWS error code and message for
//! reports and alerts, knows how it should be handled ([`AwsError::class`]: retry, report, or
//! tell a person) and, where the adapter knows it, names the resource the failed request was
//! about ([`AwsError::resource`]) so a report never sends its reader to the wrong place.
//! Errors lakewarden raises itself carry a [`LocalKind`] instead of an invented AWS code.

pub mod datazone;
pub mod dynamodb;
pub mod eventbridge;
pub mod glue;
pub mod glue_integrations;
pub mod glue_policy;
pub mod iam;
pub mod lakeformation;
pub mod pages;
pub mod ram;
pub mod s3;
pub mod sns;
pub mod sqs;
pub mod ssm;

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;
use tokio::sync::OnceCell;

use crate::report::ApiCounter;

/// How an error should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Retrying later can succeed without anyone doing anything: throttling, 5xx answers,
    /// timeouts, connection failures, a lost conditional write (re-read and plan again).
    Transient,
    /// Retrying cannot help and there is nothing specific a person must grant or change:
    /// invalid input, an unsupported shape, a request lakewarden built wrongly. Report, alert.
    Permanent,
    /// A person must act: missing permissions (AccessDenied…), expired or invalid credentials,
    /// an account quota, a resource in another account, a hand-edited document lakewarden
    /// cannot read. The alert carries the remedy.
    NeedsPerson,
    /// The resource the request named does not exist. Its own class because the meaning depends
    /// on the operation, which only the caller knows: on a read it means "absent" (the getters
    /// return `Ok(None)`), on a revoke or delete it means "already so", and on a write to a
    /// resource the configuration names (a missing role, a missing state table) a person must
    /// create it or fix the configuration. Folding it into `Permanent` would lose that choice.
    NotFound,
}

impl ErrorClass {
    /// Whether a retry (Lambda's, or the next scheduled reconcile) can succeed unaided.
    pub fn is_retryable(self) -> bool {
        self == ErrorClass::Transient
    }
}

/// Errors lakewarden raises itself, without an AWS error code. Their `Display` keeps the names
/// the adapters and functions used to put in `AwsError::code` (reports read the same), but
/// `code` stays `None`: only AWS sets codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum LocalKind {
    /// lakewarden built a request the SDK refused (a missing required field): a bug.
    InvalidRequest,
    /// AWS answered successfully but without a field lakewarden needs.
    IncompleteResponse,
    /// A policy document (bucket, role, table…) that is not valid JSON policy: someone must fix it.
    MalformedPolicy,
    /// The resource lives in another account than the one the function runs in.
    OtherAccount,
    /// A DataZone environment without a provisioned user role.
    NoUserRole,
    /// A DataZone listing that is not a Glue table asset.
    UnsupportedListing,
    /// The configuration does not name something the operation needs (e.g. no state table).
    NotConfigured,
    /// A merged policy document would pass AWS's size limit: nothing was written; someone must
    /// make room (checked before AWS would refuse).
    PolicyTooLarge,
    /// lakewarden refuses the operation by design (e.g. deleting a whole policy document).
    Refused,
    /// A document kept changing under lakewarden's writes; the next run merges again.
    ConcurrentModification,
}

impl LocalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LocalKind::InvalidRequest => "InvalidRequest",
            LocalKind::IncompleteResponse => "IncompleteResponse",
            LocalKind::MalformedPolicy => "MalformedPolicy",
            LocalKind::OtherAccount => "OtherAccount",
            LocalKind::NoUserRole => "NoUserRole",
            LocalKind::UnsupportedListing => "UnsupportedListing",
            LocalKind::NotConfigured => "NotConfigured",
            LocalKind::PolicyTooLarge => "PolicyTooLarge",
            LocalKind::Refused => "Refused",
            LocalKind::ConcurrentModification => "ConcurrentModification",
        }
    }

    pub fn class(self) -> ErrorClass {
        match self {
            LocalKind::InvalidRequest | LocalKind::UnsupportedListing => ErrorClass::Permanent,
            LocalKind::IncompleteResponse | LocalKind::ConcurrentModification => {
                ErrorClass::Transient
            }
            LocalKind::MalformedPolicy
            | LocalKind::OtherAccount
            | LocalKind::NoUserRole
            | LocalKind::NotConfigured
            | LocalKind::PolicyTooLarge
            | LocalKind::Refused => ErrorClass::NeedsPerson,
        }
    }
}

impl fmt::Display for LocalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a request failed, as far as the SDK could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Built with [`AwsError::new`]: only the code tells.
    #[default]
    Unspecified,
    /// The service answered with an error and this HTTP status.
    Service { status: u16 },
    /// The SDK gave up waiting (attempt or operation timeout).
    Timeout,
    /// The request could not be sent or no answer came back (connection, DNS, I/O).
    Dispatch,
    /// An answer came back that could not be read (truncated, malformed).
    Response,
    /// The SDK refused to build the request (a required field missing).
    Construction,
    /// lakewarden raised it itself.
    Local(LocalKind),
}

// Error codes, grouped by how they are handled. Codes are per service; the same meaning has many
// spellings across AWS (`AccessDenied` in S3 and IAM, `AccessDeniedException` in JSON protocols).

/// "It does not exist" on a read, revoke or delete.
const NOT_FOUND: &[&str] = &[
    "EntityNotFoundException",                     // Glue, Lake Formation
    "NoSuchEntity",                                // IAM
    "NoSuchBucketPolicy",                          // S3
    "NoSuchBucket",                                // S3
    "ResourceNotFoundException",                   // DynamoDB, DataZone, Glue integrations
    "UnknownResourceException",                    // RAM
    "ParameterNotFound",                           // SSM
    "ExportNotFoundException",                     // DynamoDB DescribeExport
    "ResourceShareInvitationArnNotFoundException", // RAM
    "NotFoundException",                           // SNS
    "NotFound",                                    // SNS (query protocol spelling)
];

/// A conditional write lost to another writer; re-read and plan again.
const CONDITIONAL: &[&str] = &[
    // DynamoDB PutItem/UpdateItem/DeleteItem ConditionExpression.
    "ConditionalCheckFailedException",
    // DynamoDB TransactWriteItems whose condition failed.
    "TransactionCanceledException",
    // Lake Formation, IAM, RAM: another writer changed the resource at the same time.
    "ConcurrentModificationException",
    "ConcurrentModification",
    // Glue PutResourcePolicy/DeleteResourcePolicy with PolicyHashCondition or
    // PolicyExistsCondition that no longer holds ("A specified condition was not satisfied").
    "ConditionCheckFailureException",
    // DynamoDB PutResourcePolicy/DeleteResourcePolicy whose ExpectedRevisionId does not match
    // the current policy's RevisionId (or no policy exists): DynamoDB answers
    // PolicyNotFoundException (API reference, PutResourcePolicy, ExpectedRevisionId).
    "PolicyNotFoundException",
    // S3 conditional requests (If-Match / If-None-Match).
    "PreconditionFailed",
];

/// "It already exists" on a create: the desired state already holds.
const ALREADY_EXISTS: &[&str] = &[
    "AlreadyExistsException", // Glue, Lake Formation RegisterResource
    "EntityAlreadyExists",    // IAM
    "EntityAlreadyExistsException",
    "ResourceAlreadyExistsException",
    "ResourceInUseException", // DynamoDB CreateTable
    "ResourceShareInvitationAlreadyAcceptedException", // RAM: accepting twice
    "BucketAlreadyOwnedByYou", // S3
];

/// Retry later: throttling, service-side failures, request timeouts.
const TRANSIENT: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "SlowDown",
    "PriorRequestNotComplete",
    "TransactionInProgressException",
    "TransactionConflictException",
    "RequestTimeout",
    "RequestTimeoutException",
    "OperationTimeoutException", // Glue
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServerException",
    "InternalServiceException", // Glue, Lake Formation
    "InternalServiceError",
    "ServiceFailure",          // IAM
    "ServerInternalException", // RAM
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ResourceNotReadyException", // Glue
    // DynamoDB: too many concurrent control-plane operations (e.g. exports); clears by itself.
    "LimitExceededException",
];

/// A person must act: permissions, credentials, quotas, opt-ins.
const NEEDS_PERSON: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedException",
    "UnauthorizedOperationException",
    "AuthorizationError", // SNS
    "AuthorizationErrorException",
    "NotAuthorized",
    "NotAuthorizedException",
    "AccessDeniedForDependencyException",
    "OperationNotPermittedException", // RAM (e.g. external sharing disabled)
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "MissingAuthenticationToken",
    "IncompleteSignature",
    "OptInRequired",
    "KMSAccessDeniedException",
    "KMSDisabledException",
    "KMSInvalidStateException",
    "LimitExceeded", // IAM: an account quota (policies, versions, roles)
    "ServiceQuotaExceededException",
    "ResourceNumberLimitExceededException", // Glue
    "ResourceShareLimitExceededException",  // RAM
    "ResourceLimitExceeded",
];

/// An AWS error in a form fit for a report and an alert: `Code: message`, followed by the
/// resource the request was about when the adapter knows it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.render())]
pub struct AwsError {
    /// The AWS error code (`AccessDeniedException`, `NoSuchBucketPolicy`, …); `None` for
    /// errors without one (transport failures, [`LocalKind`] errors).
    pub code: Option<String>,
    pub message: String,
    /// What the failed request was about, e.g. `DynamoDB table lakewarden-state`, set by the
    /// adapter (see [`AwsError::on`]). Shown after the message.
    pub resource: Option<String>,
    /// How the request failed (HTTP status, timeout, connection, …, or a [`LocalKind`]).
    pub origin: Origin,
}

impl AwsError {
    /// An error with an AWS error code (tests, and errors AWS reported inside a successful
    /// answer, such as a batch entry's failure). For errors lakewarden raises itself use
    /// [`AwsError::local`].
    pub fn new(code: Option<&str>, message: impl Into<String>) -> Self {
        AwsError {
            code: code.map(String::from),
            message: message.into(),
            resource: None,
            origin: Origin::Unspecified,
        }
    }

    /// An error lakewarden raises itself: no AWS code, a typed kind.
    pub fn local(kind: LocalKind, message: impl Into<String>) -> Self {
        AwsError {
            code: None,
            message: message.into(),
            resource: None,
            origin: Origin::Local(kind),
        }
    }

    /// Name the resource the failed request was about (kept if one is already named: the
    /// innermost adapter knows best).
    pub fn on(mut self, resource: impl Into<String>) -> Self {
        if self.resource.is_none() {
            self.resource = Some(resource.into());
        }
        self
    }

    /// The kind of an error lakewarden raised itself ([`AwsError::local`]); None for AWS's.
    pub fn local_kind(&self) -> Option<LocalKind> {
        match self.origin {
            Origin::Local(k) => Some(k),
            _ => None,
        }
    }

    pub fn is_local(&self, kind: LocalKind) -> bool {
        self.local_kind() == Some(kind)
    }

    /// Whether AWS answered with this error code (never true of a local error: match those
    /// with [`AwsError::is_local`]).
    pub fn is_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    fn code_in(&self, list: &[&str]) -> bool {
        self.code.as_deref().is_some_and(|c| list.contains(&c))
    }

    /// The resource does not exist (a read's "absent", a delete's "already gone").
    pub fn is_not_found(&self) -> bool {
        self.code_in(NOT_FOUND)
    }

    /// A create found the resource already there (or an invitation already accepted): the
    /// desired state holds.
    pub fn is_already_exists(&self) -> bool {
        self.code_in(ALREADY_EXISTS)
    }

    /// A conditional write lost: DynamoDB `ConditionalCheckFailedException` (state table),
    /// `ConcurrentModificationException` (Lake Formation, IAM, RAM), Glue
    /// `ConditionCheckFailureException` (catalog policy hash / exists condition), DynamoDB
    /// `PolicyNotFoundException` answered to a `PutResourcePolicy` whose `ExpectedRevisionId`
    /// no longer matches. Re-read and plan again.
    pub fn is_conditional_failure(&self) -> bool {
        self.code_in(CONDITIONAL)
    }

    /// How this error should be handled; see [`ErrorClass`].
    pub fn class(&self) -> ErrorClass {
        if let Some(k) = self.local_kind() {
            return k.class();
        }
        match self.origin {
            Origin::Timeout | Origin::Dispatch | Origin::Response => return ErrorClass::Transient,
            Origin::Construction => return ErrorClass::Permanent,
            _ => {}
        }
        if self.is_conditional_failure() {
            return ErrorClass::Transient;
        }
        if self.is_not_found() {
            return ErrorClass::NotFound;
        }
        if self.code_in(NEEDS_PERSON) {
            return ErrorClass::NeedsPerson;
        }
        if self.code_in(TRANSIENT) {
            return ErrorClass::Transient;
        }
        match self.origin {
            Origin::Service { status } if status >= 500 || status == 429 => ErrorClass::Transient,
            Origin::Service { status: 401 | 403 } => ErrorClass::NeedsPerson,
            _ => ErrorClass::Permanent,
        }
    }

    /// Shorthand for `class() == Transient`.
    pub fn is_transient(&self) -> bool {
        self.class() == ErrorClass::Transient
    }

    fn render(&self) -> String {
        let mut s = match (&self.code, self.local_kind()) {
            (Some(c), _) => format!("{c}: {}", self.message),
            (None, Some(k)) => format!("{k}: {}", self.message),
            (None, None) => self.message.clone(),
        };
        if let Some(r) = &self.resource {
            s.push_str(" (on ");
            s.push_str(r);
            s.push(')');
        }
        s
    }
}

impl<E> From<SdkError<E, HttpResponse>> for AwsError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    fn from(e: SdkError<E, HttpResponse>) -> Self {
        let code = e.code().map(String::from);
        let message = match (e.message(), &code) {
            (Some(m), _) => m.to_string(),
            (None, Some(_)) => String::new(),
            (None, None) => DisplayErrorContext(&e).to_string(),
        };
        let origin = match &e {
            SdkError::ServiceError(s) => Origin::Service {
                status: s.raw().status().as_u16(),
            },
            SdkError::TimeoutError(_) => Origin::Timeout,
            SdkError::DispatchFailure(d) if d.is_timeout() => Origin::Timeout,
            SdkError::DispatchFailure(d) if d.is_user() => Origin::Construction,
            SdkError::DispatchFailure(_) => Origin::Dispatch,
            SdkError::ResponseError(_) => Origin::Response,
            SdkError::ConstructionFailure(_) => Origin::Construction,
            _ => Origin::Unspecified,
        };
        AwsError {
            code,
            message,
            resource: None,
            origin,
        }
    }
}

pub type AwsResult<T> = Result<T, AwsError>;

/// `map_err` helper: convert an SDK error and name the resource it was about.
/// `client.get_bucket_policy().bucket(b).send().await.map_err(on(|| format!("S3 bucket {b}")))?`
pub fn on<E, F>(resource: F) -> impl FnOnce(E) -> AwsError
where
    E: Into<AwsError>,
    F: FnOnce() -> String,
{
    move |e| e.into().on(resource())
}

/// A not-found error means "absent" (`Ok(None)`); any other error stays an error.
pub fn none_if_not_found<T>(e: impl Into<AwsError>) -> AwsResult<Option<T>> {
    let e = e.into();
    if e.is_not_found() {
        Ok(None)
    } else {
        Err(e)
    }
}

/// A conditional-write failure means "someone else wrote first" (`Ok(false)`); any other error
/// stays an error.
pub fn false_if_conditional_failure(e: impl Into<AwsError>) -> AwsResult<bool> {
    let e = e.into();
    if e.is_conditional_failure() {
        Ok(false)
    } else {
        Err(e)
    }
}

/// The SDK refused to build a request (a required field lakewarden did not set).
pub(crate) fn build_err(e: impl fmt::Display) -> AwsError {
    AwsError::local(LocalKind::InvalidRequest, e.to_string())
}

/// Timeouts for every client (issue 12 §3). Without them a hung connection holds the Lambda
/// until its own timeout (120–300 s in `infra/`) and the report and alert are never written.
///
/// - connect 3 s: a TCP/TLS handshake to a regional endpoint takes milliseconds; 3 s (the
///   SDK's own default is 3.1 s) only fails when the endpoint is unreachable.
/// - attempt 20 s: the slowest calls lakewarden makes (ListPermissions pages of 1,000 on a large
///   catalog, BatchGrantPermissions of 20 entries, IAM policy writes) answer in a few seconds;
///   20 s is far above that and still lets a retry happen inside the operation budget.
/// - operation 60 s, retries included: with 5 attempts and standard backoff one call can never
///   take more than a minute, so a function (timeout 120 s or more) always has time left to
///   report, alert and fail cleanly for Lambda's own retry.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(20))
        .operation_timeout(Duration::from_secs(60))
        .build()
}

/// The retry policy: the standard mode (throttling, 5xx and transient errors, with backoff and
/// a retry quota), 5 attempts.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(5)
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
    pub sqs: aws_sdk_sqs::Client,
    pub counter: ApiCounter,
    pub region: String,
    /// Who the function is (STS GetCallerIdentity), asked once per container.
    identity: std::sync::Arc<OnceCell<Identity>>,
}

/// A GetCallerIdentity answer: the account id and the caller ARN come from the same call, so
/// both are cached together (issue 12 §8: one STS call per container, not one per run).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    account: String,
    arn: String,
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

/// `sdk` with [`timeout_config`] filling every timeout it does not set itself (a configuration
/// built elsewhere, e.g. by tests, keeps its own choices).
fn with_timeouts(sdk: &SdkConfig) -> SdkConfig {
    let mut timeouts = sdk
        .timeout_config()
        .cloned()
        .unwrap_or_else(|| TimeoutConfig::builder().build());
    timeouts.take_defaults_from(&timeout_config());
    sdk.to_builder().timeout_config(timeouts).build()
}

impl Aws {
    /// The standard SDK configuration chain (region, credentials, `AWS_ENDPOINT_URL`, …) with
    /// the standard retry mode, which retries throttling and transient errors, and the
    /// timeouts of [`timeout_config`].
    pub async fn from_env() -> Aws {
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry_config())
            .timeout_config(timeout_config())
            .load()
            .await;
        Aws::new(&sdk)
    }

    pub fn new(sdk: &SdkConfig) -> Aws {
        let sdk = &with_timeouts(sdk);
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
            sqs: client!(aws_sdk_sqs, sdk, counter),
            counter,
            region: sdk
                .region()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "us-east-1".into()),
            identity: Default::default(),
        }
    }

    /// This function's own account id (STS GetCallerIdentity, asked once per container,
    /// together with [`Aws::caller_arn`]).
    ///
    /// Never `Ok("")`: an STS failure, or an answer without a 12-digit account, is an `Err`
    /// (and is not cached: the next call asks again). The account id becomes catalog ids, ARNs
    /// and policy principals, so callers must propagate the error with `?` — never
    /// `.unwrap_or_default()`, which would turn it into an empty catalog id.
    pub async fn account_id(&self) -> AwsResult<String> {
        Ok(self.identity().await?.account.clone())
    }

    /// The caller's ARN (in Lambda the assumed-role session of the function's role,
    /// `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION`), from the same cached
    /// GetCallerIdentity answer as [`Aws::account_id`]. The role a container runs as does not
    /// change during its life, so one call per container is enough.
    pub async fn caller_arn(&self) -> AwsResult<String> {
        Ok(self.identity().await?.arn.clone())
    }

    async fn identity(&self) -> AwsResult<&Identity> {
        self.identity
            .get_or_try_init(|| async {
                let out = self.sts.get_caller_identity().send().await.map_err(on(|| {
                    "STS GetCallerIdentity (this function's account and role)".into()
                }))?;
                let account = valid_account(out.account())?;
                let arn = out.arn().filter(|a| !a.is_empty()).ok_or_else(|| {
                    AwsError::local(
                        LocalKind::IncompleteResponse,
                        "GetCallerIdentity returned no ARN",
                    )
                })?;
                Ok(Identity {
                    account,
                    arn: arn.to_string(),
                })
            })
            .await
    }
}

/// The account of a GetCallerIdentity answer: 12 digits, or an error.
fn valid_account(account: Option<&str>) -> AwsResult<String> {
    match account {
        Some(a) if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) => Ok(a.to_string()),
        Some(a) => Err(AwsError::local(
            LocalKind::IncompleteResponse,
            format!("GetCallerIdentity returned the account id {a:?}, not 12 digits"),
        )),
        None => Err(AwsError::local(
            LocalKind::IncompleteResponse,
            "GetCallerIdentity returned no account",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake STS endpoint: answers each request with the next of `answers` (status, body),
    /// the last one again when they run out, and counts requests.
    #[derive(Debug, Clone)]
    struct FakeSts {
        answers: std::sync::Arc<std::sync::Mutex<Vec<(u16, String)>>>,
        calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl aws_smithy_runtime_api::client::http::HttpConnector for FakeSts {
        fn call(
            &self,
            _request: aws_smithy_runtime_api::client::orchestrator::HttpRequest,
        ) -> aws_smithy_runtime_api::client::http::HttpConnectorFuture {
            use std::sync::atomic::Ordering;
            self.calls.fetch_add(1, Ordering::SeqCst);
            let mut answers = self.answers.lock().unwrap();
            let (status, body) = if answers.len() > 1 {
                answers.remove(0)
            } else {
                answers[0].clone()
            };
            let resp = HttpResponse::new(
                status.try_into().unwrap(),
                aws_smithy_types::body::SdkBody::from(body),
            );
            aws_smithy_runtime_api::client::http::HttpConnectorFuture::ready(Ok(resp))
        }
    }

    impl aws_smithy_runtime_api::client::http::HttpClient for FakeSts {
        fn http_connector(
            &self,
            _settings: &aws_smithy_runtime_api::client::http::HttpConnectorSettings,
            _components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        ) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
            aws_smithy_runtime_api::client::http::SharedHttpConnector::new(self.clone())
        }
    }

    fn identity_xml(account: &str, arn: &str) -> String {
        format!(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <GetCallerIdentityResult><Arn>{arn}</Arn><UserId>AROAEXAMPLE:fn</UserId>\
             <Account>{account}</Account></GetCallerIdentityResult>\
             <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\
             </GetCallerIdentityResponse>"
        )
    }

    async fn aws_with(fake: &FakeSts) -> Aws {
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .region(aws_types::region::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "AKIDEXAMPLE",
                "secret",
                None,
                None,
                "test",
            ))
            .retry_config(RetryConfig::disabled())
            .http_client(fake.clone())
            .load()
            .await;
        Aws::new(&sdk)
    }

    /// Issue 12 §8: the account id and the caller ARN come from one GetCallerIdentity per
    /// container, however often and in whichever order they are asked; a failed answer is not
    /// cached (the next call asks again).
    #[tokio::test]
    async fn caller_identity_is_asked_once_per_container() {
        use std::sync::atomic::Ordering;
        let arn = "arn:aws:sts::111111111111:assumed-role/lakewarden-catalog-sharer/fn";
        let fake = FakeSts {
            answers: std::sync::Arc::new(std::sync::Mutex::new(vec![
                (
                    503,
                    "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>\
                     <Message>try again</Message></Error><RequestId>r</RequestId></ErrorResponse>"
                        .to_string(),
                ),
                (200, identity_xml("111111111111", arn)),
            ])),
            calls: Default::default(),
        };
        let aws = aws_with(&fake).await;
        let since = aws.counter.snapshot();
        assert!(aws.caller_arn().await.is_err(), "the 503 answer");
        assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
        assert_eq!(aws.caller_arn().await.unwrap(), arn);
        assert_eq!(aws.account_id().await.unwrap(), "111111111111");
        assert_eq!(aws.caller_arn().await.unwrap(), arn);
        // A clone (each handler's context) shares the cache.
        assert_eq!(aws.clone().account_id().await.unwrap(), "111111111111");
        assert_eq!(
            fake.calls.load(Ordering::SeqCst),
            2,
            "one failed call, then one answer cached for both"
        );
        let mut report = crate::report::Report::new("test", false);
        report.set_calls(&aws.counter, &since);
        assert_eq!(
            report.calls_of("sts.GetCallerIdentity"),
            2,
            "the API counter agrees"
        );
    }

    /// An answer without an ARN (or account) is an error, not an empty identity.
    #[tokio::test]
    async fn an_identity_without_arn_is_an_error() {
        let fake = FakeSts {
            answers: std::sync::Arc::new(std::sync::Mutex::new(vec![(
                200,
                identity_xml("111111111111", "").replace("<Arn></Arn>", ""),
            )])),
            calls: Default::default(),
        };
        let aws = aws_with(&fake).await;
        let e = aws.caller_arn().await.unwrap_err();
        assert!(e.is_local(LocalKind::IncompleteResponse), "{e}");
        assert!(aws.account_id().await.is_err());
    }

    #[test]
    fn account_id_is_never_empty() {
        assert_eq!(valid_account(Some("111111111111")).unwrap(), "111111111111");
        for bad in [Some(""), Some("1111"), Some("11111111111a"), None] {
            let e = valid_account(bad).unwrap_err();
            assert!(e.is_local(LocalKind::IncompleteResponse), "{bad:?}");
        }
    }

    #[test]
    fn local_errors_have_no_code_but_read_as_before() {
        let e = AwsError::local(LocalKind::OtherAccount, "role in 2222");
        assert_eq!(e.code, None);
        assert_eq!(e.to_string(), "OtherAccount: role in 2222");
        assert!(e.is_local(LocalKind::OtherAccount));
        assert_eq!(e.class(), ErrorClass::NeedsPerson);
        // A local kind is not an AWS code, and an AWS code spelled like a kind is not local.
        assert!(!e.is_code("OtherAccount"));
        let aws = AwsError::new(Some("NoUserRole"), "x");
        assert!(!aws.is_local(LocalKind::NoUserRole));
        assert_eq!(aws.local_kind(), None);
        assert_eq!(
            AwsError::local(LocalKind::UnsupportedListing, "x").class(),
            ErrorClass::Permanent
        );
        // The policy write's own refusals.
        let big = AwsError::local(
            LocalKind::PolicyTooLarge,
            "S3 bucket b would be 30000 bytes",
        );
        assert_eq!(
            big.to_string(),
            "PolicyTooLarge: S3 bucket b would be 30000 bytes"
        );
        assert_eq!(big.class(), ErrorClass::NeedsPerson);
        assert_eq!(
            AwsError::local(LocalKind::Refused, "x").class(),
            ErrorClass::NeedsPerson
        );
        let race = AwsError::local(LocalKind::ConcurrentModification, "x");
        assert_eq!(race.class(), ErrorClass::Transient);
        // IAM's real `ConcurrentModification` code is a lost conditional write; ours is not
        // one to retry inside the same write loop.
        assert!(AwsError::new(Some("ConcurrentModification"), "x").is_conditional_failure());
        assert!(!race.is_conditional_failure());
    }

    #[test]
    fn the_resource_follows_the_message_and_the_innermost_wins() {
        let e = AwsError::new(Some("AccessDenied"), "Access Denied")
            .on("S3 bucket b")
            .on("outer");
        assert_eq!(
            e.to_string(),
            "AccessDenied: Access Denied (on S3 bucket b)"
        );
        assert_eq!(AwsError::new(None, "m").to_string(), "m");
    }

    #[test]
    fn classes_by_origin() {
        let with = |origin: Origin, code: Option<&str>| AwsError {
            origin,
            ..AwsError::new(code, "m")
        };
        assert_eq!(with(Origin::Timeout, None).class(), ErrorClass::Transient);
        assert_eq!(with(Origin::Dispatch, None).class(), ErrorClass::Transient);
        assert_eq!(with(Origin::Response, None).class(), ErrorClass::Transient);
        assert_eq!(
            with(Origin::Construction, None).class(),
            ErrorClass::Permanent
        );
        let status = |s: u16| with(Origin::Service { status: s }, Some("SomethingNew")).class();
        assert_eq!(status(500), ErrorClass::Transient);
        assert_eq!(status(503), ErrorClass::Transient);
        assert_eq!(status(429), ErrorClass::Transient);
        assert_eq!(status(403), ErrorClass::NeedsPerson);
        assert_eq!(status(400), ErrorClass::Permanent);
        // A known code decides before the status.
        assert_eq!(
            with(Origin::Service { status: 400 }, Some("ThrottlingException")).class(),
            ErrorClass::Transient
        );
    }

    #[test]
    fn already_exists_and_conditional_codes() {
        for c in ["AlreadyExistsException", "EntityAlreadyExists"] {
            assert!(AwsError::new(Some(c), "").is_already_exists(), "{c}");
        }
        for c in [
            "ConditionalCheckFailedException",
            "ConcurrentModificationException",
            "ConditionCheckFailureException",
            "PolicyNotFoundException",
        ] {
            let e = AwsError::new(Some(c), "");
            assert!(e.is_conditional_failure(), "{c}");
            assert_eq!(e.class(), ErrorClass::Transient, "{c}");
        }
        assert!(!AwsError::new(Some("AccessDenied"), "").is_conditional_failure());
    }

    #[test]
    fn every_code_list_is_disjoint() {
        let lists = [
            NOT_FOUND,
            CONDITIONAL,
            ALREADY_EXISTS,
            TRANSIENT,
            NEEDS_PERSON,
        ];
        for (i, a) in lists.iter().enumerate() {
            for b in &lists[i + 1..] {
                for c in a.iter() {
                    assert!(!b.contains(c), "{c} is in two lists");
                }
            }
        }
    }

    #[test]
    fn timeouts_fill_only_what_a_configuration_leaves_unset() {
        let bare = SdkConfig::builder().build();
        let t = with_timeouts(&bare);
        let t = t.timeout_config().unwrap();
        assert_eq!(t.connect_timeout(), Some(Duration::from_secs(3)));
        assert_eq!(t.operation_attempt_timeout(), Some(Duration::from_secs(20)));
        assert_eq!(t.operation_timeout(), Some(Duration::from_secs(60)));
        let own = SdkConfig::builder()
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(5))
                    .build(),
            )
            .build();
        let t = with_timeouts(&own);
        let t = t.timeout_config().unwrap();
        assert_eq!(t.operation_timeout(), Some(Duration::from_secs(5)));
        assert_eq!(t.operation_attempt_timeout(), Some(Duration::from_secs(20)));
    }
}
