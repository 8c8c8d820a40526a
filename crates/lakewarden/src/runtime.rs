//! What every function's `main` and handler share: tracing, configuration loading, the context,
//! and finishing an invocation (API-call figures, alert, JSON log, error for Lambda).

use std::future::Future;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

use crate::alerts;
use crate::aws::{self, Aws};
use crate::config::{self, Config, ConfigError, ALERT_TOPIC_ENV, CONFIG_ENV, DRY_RUN_ENV};
use crate::events::EventError;
use crate::report::{CallSnapshot, Report};

/// Configuration and clients, built once per cold start.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub config: Config,
    pub aws: Aws,
}

impl Ctx {
    pub fn new(config: Config, aws: Aws) -> Self {
        Ctx { config, aws }
    }

    /// Start an invocation: an empty report and the API-call counter's position.
    pub fn begin(&self, function: &str) -> (Report, CallSnapshot) {
        (
            Report::new(function, self.config.dry_run),
            self.aws.counter.snapshot(),
        )
    }

    pub fn topic_arn(&self) -> Option<String> {
        self.config.alerts.topic_arn.clone().or_else(|| {
            std::env::var(ALERT_TOPIC_ENV)
                .ok()
                .filter(|s| !s.is_empty())
        })
    }
}

#[derive(Debug)]
pub enum HandlerError {
    /// The event could not be understood; nothing was read or written.
    BadEvent(EventError),
    /// The configuration lacks what this function needs.
    Config(ConfigError),
    /// Some actions failed (all others were applied); the alert was sent.
    ActionsFailed {
        report: Box<Report>,
        summary: String,
    },
}

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandlerError::BadEvent(e) => write!(f, "{e} (nothing was changed)"),
            HandlerError::Config(e) => write!(f, "{e}"),
            HandlerError::ActionsFailed { report, summary } => write!(
                f,
                "{summary}; report: {}",
                serde_json::to_string(report).unwrap_or_default()
            ),
        }
    }
}

impl std::error::Error for HandlerError {}

impl HandlerError {
    /// The `errorType` Lambda reports (and the dead-letter queue keeps) for this error.
    pub fn error_type(&self) -> &'static str {
        match self {
            HandlerError::BadEvent(_) => "lakewarden.BadEvent",
            HandlerError::Config(_) => "lakewarden.Config",
            HandlerError::ActionsFailed { .. } => "lakewarden.ActionsFailed",
        }
    }
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(e: HandlerError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.to_string(),
        }
    }
}

impl From<EventError> for HandlerError {
    fn from(e: EventError) -> Self {
        HandlerError::BadEvent(e)
    }
}
impl From<ConfigError> for HandlerError {
    fn from(e: ConfigError) -> Self {
        HandlerError::Config(e)
    }
}

tokio::task_local! {
    /// When the current invocation must have returned (Lambda's deadline), if known.
    static DEADLINE: (std::time::SystemTime, std::time::Duration);
}

/// How long before the deadline a run stops starting new writes, so that it can still report,
/// alert and return (the report and the alert need a few seconds; a write already started is
/// bounded by the SDK's attempt timeout). Never more than a fifth of the time the invocation had
/// when it began, so that a short timeout still leaves room to work.
pub const DEADLINE_MARGIN: std::time::Duration = std::time::Duration::from_secs(20);

/// Run `f` with `deadline` as the invocation's deadline (what [`serve`] does for each event).
pub async fn with_deadline<F: Future>(deadline: std::time::SystemTime, f: F) -> F::Output {
    let budget = deadline
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    if budget.is_zero() {
        // No usable deadline (a local emulator that sends none, or one already past): Lambda
        // itself never invokes after the deadline, so none is enforced.
        tracing::warn!("the invocation's deadline is not in the future; running without one");
        return f.await;
    }
    with_deadline_and_margin(deadline, margin_for(budget), f).await
}

/// The margin for an invocation that had `budget` left when it began.
pub fn margin_for(budget: std::time::Duration) -> std::time::Duration {
    DEADLINE_MARGIN.min(budget / 5)
}

/// Run `f` with an explicit deadline and margin.
pub async fn with_deadline_and_margin<F: Future>(
    deadline: std::time::SystemTime,
    margin: std::time::Duration,
    f: F,
) -> F::Output {
    DEADLINE.scope((deadline, margin), f).await
}

/// Whether the invocation is too close to its deadline to start another write.
pub fn near_deadline() -> bool {
    DEADLINE
        .try_with(|(d, margin)| std::time::SystemTime::now() + *margin >= *d)
        .unwrap_or(false)
}

/// A process-wide observer of every finished report (set once; the functions' binaries never set
/// it). The integration tests record each report's `api_operations` with it, to hold the
/// templates' roles against what each function really calls (`make test-iam`).
static REPORT_OBSERVER: std::sync::OnceLock<fn(&Report)> = std::sync::OnceLock::new();

/// Set the [`REPORT_OBSERVER`] (the first call wins).
pub fn observe_reports(observer: fn(&Report)) {
    let _ = REPORT_OBSERVER.set(observer);
}

/// Finish an invocation: record API calls, publish one alert when something failed or needs a
/// person, log the report as one JSON line carrying its CloudWatch metrics (embedded metric
/// format), and return an error when any action failed, the run did not finish, or the alert
/// could not be published (so Lambda retries and the DLQ sees it).
pub async fn finish(
    ctx: &Ctx,
    mut report: Report,
    since: &CallSnapshot,
    resource: &str,
    attention: &[String],
) -> Result<Report, HandlerError> {
    let mut publish_error = None;
    if let Some(alert) = alerts::compose(&report, resource, attention) {
        match ctx.topic_arn() {
            Some(topic) if !report.dry_run => {
                match aws::sns::publish(&ctx.aws.sns, &topic, &alert.subject, &alert.body).await {
                    Ok(id) => {
                        tracing::warn!(subject = %alert.subject, message_id = %id, "alert published")
                    }
                    Err(e) => {
                        tracing::error!(error = %e, subject = %alert.subject, body = %alert.body, "alert could not be published");
                        publish_error = Some(e.to_string());
                    }
                }
            }
            Some(_) => {
                tracing::warn!(subject = %alert.subject, body = %alert.body, "dry run: alert not published")
            }
            None => {
                tracing::error!(subject = %alert.subject, body = %alert.body, "no alert topic configured; alert only logged")
            }
        }
    }
    report.set_calls(&ctx.aws.counter, since);
    report.compact();
    if let Some(observe) = REPORT_OBSERVER.get() {
        observe(&report);
    }
    let emf = crate::metrics::emf(
        &report,
        since.elapsed_ms(),
        report.scheduled,
        crate::metrics::now_ms(),
    );
    // One line on stdout: the report and its metrics (CloudWatch reads `_aws` at the root).
    println!("{}", crate::metrics::report_line(&report, emf));
    let failed = report.failures().len();
    let problem = match (&publish_error, failed, report.incomplete) {
        (Some(e), _, _) => Some(format!(
            "{failed} action(s) failed on {resource} and the alert could not be published ({e})"
        )),
        (None, n, _) if n > 0 => Some(format!(
            "{n} action(s) failed on {resource}; an alert was published"
        )),
        (None, _, true) => Some(format!(
            "the run on {resource} stopped before the invocation's deadline; the rest is reported skipped and the next run continues"
        )),
        _ => None,
    };
    match problem {
        Some(summary) => Err(HandlerError::ActionsFailed {
            summary,
            report: Box::new(report),
        }),
        None => Ok(report),
    }
}

/// JSON logs for CloudWatch, level from `RUST_LOG` (default info).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Where the configuration comes from: `LAKEWARDEN_CONFIG` = a file path or `ssm:NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    File(String),
    Ssm(String),
}

impl ConfigSource {
    pub fn from_env_value(v: Option<&str>) -> Result<ConfigSource, ConfigError> {
        let err = |m: &str| ConfigError {
            origin: CONFIG_ENV.into(),
            problems: vec![m.to_string()],
        };
        match v.map(str::trim) {
            None | Some("") => Err(err(
                "not set: give a file path (/var/task/lakewarden.yaml) or ssm:PARAMETER_NAME",
            )),
            Some(s) => match s.strip_prefix("ssm:") {
                Some("") => Err(err("`ssm:` needs a parameter name")),
                Some(name) => Ok(ConfigSource::Ssm(name.to_string())),
                None => Ok(ConfigSource::File(s.to_string())),
            },
        }
    }
}

/// Load and validate the configuration at cold start (`LAKEWARDEN_CONFIG`, `LAKEWARDEN_DRY_RUN`).
pub async fn load_config(aws: &Aws) -> Result<Config, ConfigError> {
    let source = ConfigSource::from_env_value(std::env::var(CONFIG_ENV).ok().as_deref())?;
    let mut cfg = load_config_from(aws, &source).await?;
    if std::env::var(DRY_RUN_ENV).is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1") {
        cfg.dry_run = true;
    }
    Ok(cfg)
}

/// Read and validate the configuration document from a file or an SSM parameter.
pub async fn load_config_from(aws: &Aws, source: &ConfigSource) -> Result<Config, ConfigError> {
    let (text, origin) = match source {
        ConfigSource::File(p) => (
            std::fs::read_to_string(p).map_err(|e| ConfigError {
                origin: p.clone(),
                problems: vec![format!("cannot read file: {e}")],
            })?,
            p.clone(),
        ),
        ConfigSource::Ssm(name) => (
            aws::ssm::get_parameter(&aws.ssm, name)
                .await
                .map_err(|e| ConfigError {
                    origin: format!("ssm:{name}"),
                    problems: vec![format!("cannot read SSM parameter: {e}")],
                })?,
            format!("ssm:{name}"),
        ),
    };
    config::parse(&text, &origin)
}

/// The whole `main` of a function: tracing, clients, configuration, then the Lambda loop. The
/// handler returns a [`Report`], or any other response Lambda must read (catalog-sharer answers
/// an SQS batch with its `batchItemFailures`).
pub async fn serve<F, Fut, O>(
    function: &'static str,
    handler: F,
) -> Result<(), lambda_runtime::Error>
where
    F: Fn(&'static Ctx, Value) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, HandlerError>> + Send + 'static,
    O: serde::Serialize + Send + 'static,
{
    init_tracing();
    let aws = Aws::from_env().await;
    let config = match load_config(&aws).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, function, "configuration rejected");
            return Err(Box::new(e));
        }
    };
    tracing::info!(function, dry_run = config.dry_run, "configuration loaded");
    let ctx: &'static Ctx = Box::leak(Box::new(Ctx::new(config, aws)));
    let handler = &*Box::leak(Box::new(handler));
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<Value>| async move {
        let deadline =
            std::time::UNIX_EPOCH + std::time::Duration::from_millis(ev.context.deadline);
        with_deadline(deadline, handler(ctx, ev.payload))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, function, "invocation failed");
                lambda_runtime::Diagnostic::from(e)
            })
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_is_a_fifth_of_the_budget_and_at_most_twenty_seconds() {
        use std::time::Duration;
        assert_eq!(margin_for(Duration::from_secs(900)), DEADLINE_MARGIN);
        assert_eq!(margin_for(Duration::from_secs(30)), Duration::from_secs(6));
        assert_eq!(
            margin_for(Duration::from_secs(3)),
            Duration::from_millis(600)
        );
    }

    #[tokio::test]
    async fn near_deadline_only_inside_the_margin() {
        use std::time::{Duration, SystemTime};
        assert!(!near_deadline(), "no deadline outside an invocation");
        let d = SystemTime::now() + Duration::from_secs(5);
        let inside =
            with_deadline_and_margin(d, Duration::from_secs(20), async { near_deadline() });
        assert!(inside.await);
        let d = SystemTime::now() + Duration::from_secs(600);
        assert!(!with_deadline(d, async { near_deadline() }).await);
        // A deadline already past (local emulators) is no deadline.
        let past = SystemTime::now() - Duration::from_secs(1);
        assert!(!with_deadline(past, async { near_deadline() }).await);
    }

    #[test]
    fn lambda_sees_a_meaningful_error_type() {
        let d = lambda_runtime::Diagnostic::from(HandlerError::BadEvent(EventError(
            "no detail".into(),
        )));
        assert_eq!(d.error_type, "lakewarden.BadEvent");
        assert!(d.error_message.contains("no detail"));
    }

    #[test]
    fn config_source_forms() {
        assert_eq!(
            ConfigSource::from_env_value(Some("ssm:/lakewarden/config")).unwrap(),
            ConfigSource::Ssm("/lakewarden/config".into())
        );
        assert_eq!(
            ConfigSource::from_env_value(Some("cfg.yaml")).unwrap(),
            ConfigSource::File("cfg.yaml".into())
        );
        assert!(ConfigSource::from_env_value(None).is_err());
        assert!(ConfigSource::from_env_value(Some("ssm:")).is_err());
    }
}
