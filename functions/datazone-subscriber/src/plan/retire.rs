//! A subscription target removed from `datazone.fulfil_targets` (issue 11 §5): what lakewarden
//! granted for that target's environment is taken back, and never what a person granted.
//!
//! **Evidence.** datazone-subscriber keeps no ledger; its marks are the evidence. Every grant it
//! fulfils leaves statements in its own inline policy (`lakewarden-datazone`) on the
//! environment's role whose Sids carry the grant id, and every table link it makes carries the
//! `lakewarden:managed-by` marker and points at the subscribed table. So a GRANTED grant to a
//! target lakewarden no longer fulfils is lakewarden's to undo only when the role still holds
//! that grant's Sids in lakewarden's policy; without them nothing is touched (a grant another
//! fulfilment, or a person, made). Once undone the Sids are gone, so the next run has no evidence
//! and writes nothing. What is undone is exactly [`plan_revoke`]'s: the grant's statements, its
//! Lake Formation access while it is held (the database DESCRIBE stays when the environment or
//! another grant in the database uses it), and its marked link to the same table. DataZone is
//! not told REVOKED (the subscription stands; lakewarden just no longer serves that target): a
//! person is told instead. Removals count against `max_removals_per_run`.

use lakewarden::policy;
use lakewarden::reconcile::Action;
use serde_json::{json, Value};

use super::grants::{grant_sids, plan_revoke};
use super::{DataZone, DzPlan, GrantObserved};

/// Whether lakewarden's inline policy `doc` holds a statement of subscription grant `grant`.
pub fn holds_grant_sids(doc: &Value, grant: &str) -> bool {
    let sids = grant_sids(grant);
    policy::statements(doc)
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .any(|sid| sids.iter().any(|o| o == sid))
}

/// Take back what lakewarden granted for a GRANTED grant whose target it no longer fulfils.
pub fn plan_retired(cfg: &DataZone, o: &GrantObserved) -> DzPlan {
    if !o
        .role_policy
        .as_ref()
        .is_some_and(|d| holds_grant_sids(d, &o.grant))
    {
        let mut p = DzPlan::default();
        p.notes.push(json!({"kept": format!("subscription grant {}: its target is not in datazone.fulfil_targets, and {} holds no statement of it in lakewarden's policy (no evidence lakewarden fulfilled it): nothing taken", o.grant, o.role_arn)}));
        return p;
    }
    let mut p = plan_revoke(cfg, o);
    p.steps
        .retain(|s| !matches!(s.action, Action::DataZoneGrantStatus { .. }));
    p.already
        .retain(|(kind, _)| kind != "datazone.grant_status");
    p.attention.push(format!(
        "Subscription grant {}: its subscription target is no longer in datazone.fulfil_targets, so lakewarden took back what it had granted for it (statements in {} on {}, Lake Formation access, its marked link). DataZone still shows the grant GRANTED: fulfil it another way, or revoke the subscription.",
        o.grant,
        super::POLICY_NAME,
        o.role_arn
    ));
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakewarden::lf::{LfGrant, LfResource, LfState};

    fn granted(policy: Option<Value>) -> GrantObserved {
        let role = "arn:aws:iam::111122223333:role/datazone_usr_env1";
        let mut permissions = LfState::default();
        permissions.add(LfGrant::new(
            role,
            LfResource::Table {
                catalog_id: "111122223333".into(),
                database: "sales".into(),
                name: "orders".into(),
            },
            ["DESCRIBE", "SELECT"],
            false,
        ));
        GrantObserved {
            kind: crate::trigger::GrantKind::Revoke,
            domain: "dzd_1".into(),
            account: "111122223333".into(),
            grant: "grt1".into(),
            asset: "ast1".into(),
            role_arn: role.into(),
            catalog: "111122223333".into(),
            database: "sales".into(),
            table_name: "orders".into(),
            permissions,
            role_policy: policy,
            grant_status: Some("GRANTED".into()),
            ..Default::default()
        }
    }

    fn cfg() -> DataZone {
        DataZone {
            domains: vec!["dzd_1".into()],
            ..Default::default()
        }
    }

    #[test]
    fn without_the_grants_statements_nothing_is_taken() {
        let person = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "TeamScratch", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
        for policy in [None, Some(person)] {
            let p = plan_retired(&cfg(), &granted(policy));
            assert!(p.steps.is_empty(), "{p:#?}");
            assert!(p.notes[0]["kept"].as_str().unwrap().contains("no evidence"));
        }
    }

    #[test]
    fn with_them_exactly_the_grants_pieces_go_and_datazone_is_not_told() {
        let [get, list] = grant_sids("grt1");
        let doc = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": get, "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/o/*"},
            {"Sid": list, "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"},
            {"Sid": "TeamScratch", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]});
        assert!(holds_grant_sids(&doc, "grt1"));
        assert!(!holds_grant_sids(&doc, "grt2"));
        let p = plan_retired(&cfg(), &granted(Some(doc)));
        let kinds: Vec<&str> = p.steps.iter().map(|s| s.action.kind()).collect();
        assert!(kinds.contains(&"lakeformation.revoke"), "{kinds:?}");
        // The run's max_removals_per_run counts them (the core caps Plan::removals).
        assert!(p.removals() >= 1, "{p:#?}");
        assert!(
            !p.steps
                .iter()
                .any(|s| matches!(s.action, Action::DataZoneGrantStatus { .. })),
            "{p:#?}"
        );
        let Some(Action::Policy(w)) = p
            .steps
            .iter()
            .map(|s| &s.action)
            .find(|a| matches!(a, Action::Policy(_)))
        else {
            panic!("no policy write: {p:#?}");
        };
        assert!(w.desired.is_empty(), "{w:#?}");
        let planned: Vec<String> = policy::statements(w.planned.as_ref().expect("planned"))
            .iter()
            .filter_map(|s| s["Sid"].as_str().map(String::from))
            .collect();
        assert_eq!(planned, vec!["TeamScratch".to_string()], "{w:#?}");
        assert_eq!(p.attention.len(), 1);
    }
}
