//! Read both sides' integrations and the statuses recorded by earlier runs.

use lakewarden::aws::{glue_integrations, Aws, AwsResult};
use lakewarden::config::Integrations;
use lakewarden::state::StateStore;

use crate::plan::{Observed, Side, KEY_PREFIX};

pub async fn observe(aws: &Aws, cfg: &Integrations) -> AwsResult<Observed> {
    let mut seen: Vec<_> = glue_integrations::describe_integrations(&aws.glue)
        .await?
        .into_iter()
        .map(|i| (Side::Source, i))
        .collect();
    seen.extend(
        glue_integrations::describe_inbound_integrations(&aws.glue)
            .await?
            .into_iter()
            .map(|i| (Side::Target, i)),
    );
    let store = StateStore::new(aws.dynamodb.clone(), cfg.state_table.clone());
    let state = store.scan_prefix(KEY_PREFIX).await?.into_iter().collect();
    Ok(Observed { seen, state })
}
