//! Round 0: pending invitations from trusted producers are accepted, never the others.

use lakewarden::aws::ram::Invitation;
use lakewarden::config::Consumer;
use lakewarden::ledger::{Kind, LedgerRead, State};
use lakewarden::reconcile::{Action, Plan};

use crate::trigger::Scope;

pub fn plan_invitations(cfg: &Consumer, invitations: &[Invitation], scope: &Scope) -> Plan {
    let mut p = Plan::default();
    for inv in invitations.iter().filter(|i| i.status == "PENDING") {
        if cfg.trusted_producers.iter().any(|p| p == &inv.sender) {
            p.push(Action::RamAccept {
                arn: inv.arn.clone(),
                sender: inv.sender.clone(),
                share: inv.share_name.clone(),
            });
            continue;
        }
        let reason = format!(
            "account {} is not in consumer.trusted_producers: invitation not accepted",
            inv.sender
        );
        if scope.alerts_about(inv) {
            p.attention.push(format!(
                "RAM invitation {} (share {}) from untrusted account {}: {reason}. Reject it in the RAM console, or add the account to consumer.trusted_producers if it should be trusted.",
                inv.arn, inv.share_name, inv.sender
            ));
        }
        p.skip(
            "ram.accept_invitation",
            format!("invitation to share {} from {}", inv.share_name, inv.sender),
            reason,
            None,
        );
    }
    p
}

/// Untrusted pending invitations, alerted once and remembered in the ledger (issue 11 §5): an
/// invitation the ledger has not seen as it is now is alerted on the RAM event that names it
/// (or names no RAM ARN) and on the scheduled reconcile — so a lost RAM event still alerts
/// once — and then remembered; it alerts again only when it changes (status, share, sender).
pub fn remember_untrusted(
    cfg: &Consumer,
    scope: &Scope,
    invitations: &[Invitation],
    ledger: &LedgerRead,
) -> Plan {
    let mut p = Plan::default();
    let mut l = ledger.planner(lakewarden::ledger::config_hash(cfg));
    p.ledger_table = Some(ledger.table.clone());
    for inv in invitations
        .iter()
        .filter(|i| i.status == "PENDING" && !cfg.trusted_producers.iter().any(|t| t == &i.sender))
    {
        let detail = serde_json::json!({
            "invitation": inv.arn, "sender": inv.sender, "share": inv.share_name,
            "share_arn": inv.share_arn, "status": inv.status,
        });
        let pk = lakewarden::ledger::key(&l.function, Kind::Invitation, &inv.sender, &inv.arn);
        if l.entry(&pk).is_some_and(|e| e.detail == detail) {
            continue;
        }
        if !(scope.alerts_about(inv) || *scope == Scope::Schedule) {
            continue;
        }
        p.attention.push(format!(
            "RAM invitation {} (share {}) from untrusted account {}: account {} is not in consumer.trusted_producers: invitation not accepted. Reject it in the RAM console, or add the account to consumer.trusted_producers if it should be trusted. (Alerted once: lakewarden remembers it and alerts again only if it changes.)",
            inv.arn, inv.share_name, inv.sender, inv.sender
        ));
        let note = l.remember(
            Kind::Invitation,
            &inv.sender,
            &inv.arn,
            format!("invitation {} from {}", inv.arn, inv.sender),
            detail,
            State::Seen,
        );
        p.remember.push(note);
    }
    p
}
