//! Round 1: on a change to ACTIVE (target side), the target database's tables are shared the
//! way catalog-sharer shares them, when the database is in `producer.shares`.

use lakewarden::arn::Arn;
use lakewarden::config::Producer;
use lakewarden::reconcile::Plan;
use lakewarden::sharing;
use serde_json::json;

use crate::ext::Ext;

/// The Glue database an integration's target ARN names (`…:database/DB`).
pub fn database_of(target_arn: &str) -> Option<String> {
    let arn = Arn::parse(target_arn)?;
    if arn.service != "glue" {
        return None;
    }
    let db = arn.resource.strip_prefix("database/")?;
    let db = db.split('/').next().unwrap_or(db);
    (!db.is_empty()).then(|| db.to_string())
}

pub fn plan_share(
    producer: Option<&Producer>,
    database: &str,
    observed: Option<&sharing::Observed>,
) -> Plan<Ext> {
    match (producer, observed) {
        (Some(producer), Some(obs)) => sharing::plan(producer, obs).lift(),
        _ => {
            let mut p = Plan::default();
            p.notes.push(json!({"not_shared": database, "reason": "the target database is not in producer.shares"}));
            p
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_comes_from_the_target_arn() {
        assert_eq!(
            database_of("arn:aws:glue:us-east-1:222222222222:database/zdb").as_deref(),
            Some("zdb")
        );
        assert_eq!(
            database_of("arn:aws-cn:glue:cn-north-1:222222222222:database/zdb/x").as_deref(),
            Some("zdb")
        );
        assert_eq!(database_of("arn:aws:glue:us-east-1:2:catalog"), None);
        assert_eq!(
            database_of("arn:aws:redshift:us-east-1:2:database/zdb"),
            None
        );
        assert_eq!(database_of("garbage"), None);
    }

    #[test]
    fn a_database_not_in_producer_shares_is_noted_and_nothing_planned() {
        let p = plan_share(None, "zdb", None);
        assert!(p.steps.is_empty());
        assert_eq!(p.notes[0]["not_shared"], "zdb");
    }
}
