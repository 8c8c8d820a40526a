//! Round 0: pending invitations from trusted producers are accepted, never the others.

use lakewarden::aws::ram::Invitation;
use lakewarden::config::Consumer;
use lakewarden::reconcile::{Action, Plan};

use crate::trigger::Scope;

pub fn plan_invitations(cfg: &Consumer, invitations: &[Invitation], scope: &Scope) -> Plan {
    let mut p = Plan::default();
    for inv in invitations.iter().filter(|i| i.status == "PENDING") {
        if cfg.trusted_producers.contains(&inv.sender) {
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
