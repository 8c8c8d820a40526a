//! `integration-doctor` — placeholder until its issue is implemented.

use lakewarden::report::Report;
use lakewarden::runtime::{Ctx, HandlerError};
use serde_json::Value;

pub const FUNCTION: &str = "integration-doctor";

pub async fn handle(_ctx: &Ctx, _event: Value) -> Result<Report, HandlerError> {
    Err(HandlerError::BadEvent(lakewarden::events::EventError(
        "integration-doctor is not implemented yet".into(),
    )))
}
