//! Sharing a producer's Glue databases with consumer accounts, organizations and roles: Lake
//! Formation grants, location registrations, bucket-policy statements and explicit RAM shares.
//! catalog-sharer is this module behind a trigger; integration-doctor uses it to share the
//! tables of a zero-ETL target database once its integration is ACTIVE.

pub mod observe;
pub mod plan;

pub use observe::{observe, observe_with_ledger};
pub use plan::*;

#[cfg(test)]
mod tests;
