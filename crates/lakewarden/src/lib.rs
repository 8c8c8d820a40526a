//! lakewarden's shared library: configuration, events, plans' building blocks, AWS adapters,
//! reports and alerts. Every function crate under `functions/` is a thin layer over this.

pub mod alerts;
pub mod arn;
pub mod aws;
pub mod config;
pub mod config_types;
pub mod events;
pub mod explain;
pub mod ledger;
pub mod lf;
pub mod lfsettings;
pub mod metrics;
pub mod ownership;
pub mod policy;
pub mod principal;
pub mod reconcile;
pub mod report;
pub mod runtime;
pub mod s3loc;
pub mod sharing;
pub mod state;

pub use aws::{Aws, AwsError, AwsResult};
pub use config::Config;
pub use report::{Outcome, Report};
pub use runtime::{Ctx, HandlerError};
