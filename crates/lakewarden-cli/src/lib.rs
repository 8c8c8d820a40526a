//! The `lakewarden` command.
//!
//! - `lakewarden check-config FILE` — the functions' cold-start validation, with lines;
//! - `lakewarden plan FUNCTION --config FILE [--event FILE] [--json]` — a function's trigger,
//!   observe and plan against the account of the current credentials, dry run forced, every
//!   request through a read-only guard;
//! - `lakewarden explain --principal ARN --table [CATALOG_ID:]DATABASE.TABLE [--json]
//!   [--producer-role-arn ARN]` — can this principal read this table, and if not, why.
//!
//! Exit codes: 0 ok, 1 a negative answer (plan with failed actions, explain not `allowed`),
//! 2 a usage or configuration error.

pub mod check;
pub mod plan;
pub mod readonly;

use std::io::Write;
use std::path::PathBuf;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_types::sdk_config::SharedCredentialsProvider;
use clap::{Parser, Subcommand};
use lakewarden::explain::{self, TableRef};
use lakewarden::Aws;

pub use readonly::ReadOnlyGuard;

pub const EXIT_OK: i32 = 0;
pub const EXIT_NEGATIVE: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "lakewarden",
    version,
    about = "Validate a lakewarden configuration, plan a function read-only against an account, explain table access",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a configuration exactly as the functions do at cold start.
    CheckConfig {
        /// The JSON or YAML configuration document.
        file: PathBuf,
    },
    /// Run a function's trigger, observe and plan against the account of the current
    /// credentials, with dry_run forced on and every write refused before it is sent.
    Plan {
        /// catalog-sharer, share-linker, datazone-subscriber, table-exporter,
        /// integration-monitor or integration-doctor.
        function: String,
        /// The configuration document the function would run with.
        #[arg(long)]
        config: PathBuf,
        /// The event to plan for (default: a scheduled event, i.e. a full reconcile).
        #[arg(long)]
        event: Option<PathBuf>,
        /// Print the function's report JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Can this principal read this table, and if not, why (run with the credentials of the
    /// principal's account).
    Explain {
        /// The IAM role (or user) ARN; an assumed-role session ARN is read as its role.
        #[arg(long)]
        principal: String,
        /// [CATALOG_ID:]DATABASE.TABLE; DATABASE may be a resource link.
        #[arg(long)]
        table: String,
        /// Print `{"principal","table","verdict","steps":[…]}`.
        #[arg(long)]
        json: bool,
        /// A role in the producer account to assume, to read that side too.
        #[arg(long)]
        producer_role_arn: Option<String>,
    },
}

/// The standard AWS configuration chain (profiles, SSO, environment, `AWS_ENDPOINT_URL`).
pub async fn sdk_from_env() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// lakewarden's clients for `sdk`, every one behind `guard`.
pub fn guarded_aws(sdk: &SdkConfig, guard: &ReadOnlyGuard) -> Aws {
    guard.guard(Aws::new(sdk))
}

/// Run the command line `args` (program name first). `sdk` is the AWS configuration to use
/// (None: the standard chain, loaded only for commands that need AWS). Returns the exit code.
pub async fn run<I, S>(
    args: I,
    sdk: Option<SdkConfig>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let text = e.render().to_string();
            let _ = if e.use_stderr() {
                write!(err, "{text}")
            } else {
                write!(out, "{text}")
            };
            return code;
        }
    };
    match cli.command {
        Command::CheckConfig { file } => check_config(&file, out, err),
        Command::Plan {
            function,
            config,
            event,
            json,
        } => {
            let sdk = match sdk {
                Some(s) => s,
                None => sdk_from_env().await,
            };
            plan::run(&sdk, &function, &config, event.as_deref(), json, out, err).await
        }
        Command::Explain {
            principal,
            table,
            json,
            producer_role_arn,
        } => {
            let sdk = match sdk {
                Some(s) => s,
                None => sdk_from_env().await,
            };
            explain_cmd(
                &sdk,
                &principal,
                &table,
                json,
                producer_role_arn.as_deref(),
                out,
                err,
            )
            .await
        }
    }
}

fn check_config(file: &std::path::Path, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let origin = file.display().to_string();
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(err, "{origin}: cannot read file: {e}");
            return EXIT_USAGE;
        }
    };
    match check::check(&text, &origin) {
        Ok(cfg) => {
            let mut sections = Vec::new();
            let named = [
                ("producer", cfg.producer.is_some(), "catalog-sharer"),
                ("consumer", cfg.consumer.is_some(), "share-linker"),
                (
                    "integrations",
                    cfg.integrations.is_some(),
                    "integration-monitor, integration-doctor",
                ),
                ("exports", cfg.exports.is_some(), "table-exporter"),
                (
                    "export_destinations",
                    cfg.export_destinations.is_some(),
                    "table-exporter",
                ),
                ("datazone", cfg.datazone.is_some(), "datazone-subscriber"),
            ];
            for (key, present, functions) in named {
                if present {
                    sections.push(format!("{key} ({functions})"));
                }
            }
            let _ = writeln!(
                out,
                "{origin}: ok{}{}",
                if cfg.dry_run { ", dry_run: true" } else { "" },
                if sections.is_empty() {
                    "; no function section".to_string()
                } else {
                    format!("; sections: {}", sections.join(", "))
                }
            );
            EXIT_OK
        }
        Err((_, problems)) => {
            let _ = write!(err, "{}", check::render(&origin, &problems));
            EXIT_USAGE
        }
    }
}

/// Credentials of `role_arn`, assumed with `sdk`'s credentials (through the guard: AssumeRole is
/// on its allow-list).
pub async fn assume(
    sdk: &SdkConfig,
    guard: &ReadOnlyGuard,
    role_arn: &str,
) -> Result<SdkConfig, String> {
    let aws = guarded_aws(sdk, guard);
    let out = aws
        .sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("lakewarden-explain")
        .send()
        .await
        .map_err(|e| lakewarden::AwsError::from(e).to_string())?;
    let c = out
        .credentials()
        .ok_or("AssumeRole returned no credentials")?;
    let creds = aws_credential_types::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "lakewarden-producer-role",
    );
    Ok(sdk
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(creds))
        .build())
}

async fn explain_cmd(
    sdk: &SdkConfig,
    principal: &str,
    table: &str,
    json: bool,
    producer_role_arn: Option<&str>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let table = match TableRef::parse(table) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(err, "--table {e}");
            return EXIT_USAGE;
        }
    };
    if !principal.starts_with("arn:") {
        let _ = writeln!(
            err,
            "--principal `{principal}` is not an ARN (arn:aws:iam::ACCOUNT:role/NAME)"
        );
        return EXIT_USAGE;
    }
    let guard = ReadOnlyGuard::default();
    let consumer = guarded_aws(sdk, &guard);
    let producer = match producer_role_arn {
        None => None,
        Some(arn) => match assume(sdk, &guard, arn).await {
            Ok(p) => Some(guarded_aws(&p, &guard)),
            Err(e) => {
                let _ = writeln!(err, "--producer-role-arn {arn}: cannot assume it: {e}");
                return EXIT_USAGE;
            }
        },
    };
    let e = explain::explain(&consumer, producer.as_ref(), principal, &table).await;
    if json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&e).unwrap_or_default()
        );
    } else {
        let _ = write!(out, "{}", e.render());
    }
    match e.verdict {
        explain::Verdict::Allowed => EXIT_OK,
        _ => EXIT_NEGATIVE,
    }
}
