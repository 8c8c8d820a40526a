//! Source side (a DynamoDB table): point-in-time recovery, the table policy Glue needs, and
//! integrations only to allowlisted target accounts.

use lakewarden::arn::{self, Arn};
use lakewarden::config::IntegrationSource;
use lakewarden::policy::{self, allows, Ownership};
use lakewarden::reconcile::{Action, PolicyTarget, PolicyWrite};
use serde_json::{json, Value};

use super::{check, Check, Diagnosis, SourceObs, Verdict, GLUE};

pub const EXPORT_ACTIONS: [&str; 3] = [
    "dynamodb:ExportTableToPointInTime",
    "dynamodb:DescribeTable",
    "dynamodb:DescribeExport",
];

/// The table policy statement of seed 000.
pub fn table_statement(account: &str, region: &str) -> Value {
    json!({
        "Sid": lakewarden::ownership::sid::ZERO_ETL_GLUE_EXPORT, "Effect": "Allow",
        "Principal": {"Service": GLUE}, "Action": EXPORT_ACTIONS, "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account},
            "StringLike": {"aws:SourceArn": Arn::new("glue", region, account, "integration:*").to_string()}
        }
    })
}

pub fn source_checks(cfg: &IntegrationSource, obs: &SourceObs, o: &Diagnosis) -> Vec<Check> {
    let t = format!("table {}", cfg.table);
    let Some(table_arn) = &obs.table_arn else {
        return vec![check(
            "source.table",
            t,
            Verdict::Manual(format!(
                "Create the DynamoDB table {} in account {} or fix integrations.sources",
                cfg.table, o.account
            )),
            "the table does not exist",
        )];
    };
    let mut out = Vec::new();
    out.push(if obs.pitr {
        check("source.pitr", t.clone(), Verdict::Ok, "")
    } else {
        check(
            "source.pitr",
            t.clone(),
            Verdict::Fixable(Action::DynamoEnablePitr {
                table: cfg.table.clone(),
            }),
            "point-in-time recovery is disabled",
        )
    });
    let current = obs.policy.as_ref().map(|(d, _)| d);
    let stmts = current.map(policy::statements).unwrap_or_default();
    let missing: Vec<&str> = EXPORT_ACTIONS
        .iter()
        .copied()
        .filter(|a| !allows(&stmts, Some(GLUE), a, table_arn))
        .collect();
    out.push(if missing.is_empty() {
        check("source.table_policy", t.clone(), Verdict::Ok, "")
    } else {
        let write = PolicyWrite::plan(
            PolicyTarget::DynamoDb {
                resource_arn: table_arn.clone(),
            },
            current,
            Ownership::exact([lakewarden::ownership::sid::ZERO_ETL_GLUE_EXPORT]),
            vec![table_statement(&o.account, &o.region)],
        );
        let verdict = match write {
            Some(w)
                if w.planned.as_ref().is_some_and(|doc| {
                    EXPORT_ACTIONS
                        .iter()
                        .all(|a| allows(&policy::statements(doc), Some(GLUE), a, table_arn))
                }) =>
            {
                Verdict::Fixable(Action::Policy(w))
            }
            _ => Verdict::Manual(
                "A Deny statement in the table policy blocks glue.amazonaws.com; remove it".into(),
            ),
        };
        check(
            "source.table_policy",
            t.clone(),
            verdict,
            format!(
                "the table resource policy does not allow glue.amazonaws.com {}",
                missing.join(", ")
            ),
        )
    });
    for i in o.integrations.iter().filter(|i| i.source_arn == *table_arn) {
        let target_account = arn::account_of(&i.target_arn);
        if !cfg
            .allowed_target_accounts
            .iter()
            .any(|a| a == &target_account)
        {
            out.push(check(
                "source.allowed_target",
                format!("integration {}", i.arn),
                Verdict::Manual(format!("Add {target_account} to integrations.sources[].allowed_target_accounts if it is intended, or delete the integration")),
                format!("the integration targets account {target_account}, which is not in allowed_target_accounts"),
            ));
        }
    }
    out
}
