//! Pure planning for the consumer side of a shared catalog, in two rounds: pending RAM
//! invitations ([`invitations`]), then resource links and Lake Formation grants to this
//! account's roles ([`links`]) and the roles' S3 read policy ([`statements`]).

pub mod invitations;
pub mod links;
pub mod statements;

use std::collections::BTreeMap;

use lakewarden::aws::glue::{DatabaseInfo, TableInfo, LINK_TARGET, MANAGED_BY};
use lakewarden::aws::ram::Invitation;
use lakewarden::config::{Consumer, Link};
use lakewarden::lf::LfState;
use lakewarden::reconcile::Plan;
use serde_json::Value;

use crate::trigger::Scope;

pub use invitations::plan_invitations;
pub use links::plan_catalog;
pub use statements::{s3_statements, POLICY_NAME, SID_PREFIX};

/// What one round observed.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    /// Round 0: every resource-share invitation this account received.
    Invitations(Vec<Invitation>),
    /// Round 1: the catalog as it is after the invitations were handled.
    Catalog(Box<Catalog>),
}

/// The consumer account's catalog, grants and role policies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub account: String,
    /// Databases trusted producers share with this account (catalog_id = owner).
    pub foreign: Vec<DatabaseInfo>,
    /// This account's databases by name (links included).
    pub own: BTreeMap<String, DatabaseInfo>,
    /// Tables of shared databases that are linked: (producer, database) → tables.
    pub tables: BTreeMap<(String, String), Vec<TableInfo>>,
    pub permissions: LfState,
    /// Grants this account received on trusted producers' resources (its id, its root or an
    /// organization / OU as principal), with their grant options: what it may re-grant.
    pub received: LfState,
    /// The account's Lake Formation prerequisites (`check.lf.*`).
    pub lf: Option<lakewarden::lfsettings::Prereqs>,
    /// Current document of each configured role's `lakewarden-share-linker` policy.
    pub role_policies: BTreeMap<String, Option<Value>>,
    /// `Parameters` of this account's databases (lakewarden's marks), by name.
    pub params: BTreeMap<String, BTreeMap<String, String>>,
    /// Shares lakewarden linked or granted on that are no longer listed, with what the
    /// producer's catalog answered for them: (producer, database) → evidence.
    pub unlisted: BTreeMap<(String, String), Evidence>,
    /// share-linker's ledger (issue 11 §5): links and grants it made, invitations it alerted
    /// about. None: nothing recorded, nothing removed for a configuration change.
    pub ledger: Option<lakewarden::ledger::LedgerRead>,
    /// The RAM shares that carry each shared database to this account (`ListResources`,
    /// OTHER-ACCOUNTS): (producer, database) → share ARNs. Recorded with the link, so that a
    /// share RAM later lists as DELETED is positive evidence that the database was withdrawn.
    pub carriers: BTreeMap<(String, String), std::collections::BTreeSet<String>>,
    /// Every invitation this account has, as read in this round (after round 0 accepted the
    /// trusted ones): untrusted pending ones are alerted once, from the ledger.
    pub invitations: Vec<Invitation>,
}

/// Whether a share that is no longer listed is really gone (issue 11 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// Positive evidence: the producer's database answers EntityNotFoundException.
    Gone,
    /// Positive evidence from RAM: every share that carried the database to this account is
    /// listed DELETED (what RAM shows, in words).
    Deleted(String),
    /// No evidence (the database still answers, or the answer was an error): why.
    Unconfirmed(String),
}

impl Catalog {
    /// Whether this account's database `name` is a link share-linker made (marker) and that
    /// still points where it pointed it.
    pub fn ours(&self, name: &str, producer: &str, database: &str) -> bool {
        let Some(d) = self.own.get(name) else {
            return false;
        };
        let params = self.params.get(name);
        let param = |k: &str| params.and_then(|p| p.get(k)).map(String::as_str);
        d.target == Some((producer.to_string(), database.to_string()))
            && param(MANAGED_BY) == Some(crate::FUNCTION)
            && param(LINK_TARGET) == Some(format!("{producer}:{database}").as_str())
    }

    pub fn visible(&self, producer: &str, database: &str) -> bool {
        self.foreign
            .iter()
            .any(|d| d.catalog_id.as_deref() == Some(producer) && d.name == database)
    }
}

/// Whether a Lake Formation principal stands for this whole account (a grant to it is a grant
/// the account received): its id, its root, or an organization / OU (which contains it, since
/// the producer's grant reached it).
pub fn held_by_account(principal: &str, account: &str) -> bool {
    principal == account
        || lakewarden::arn::Arn::parse(principal).is_some_and(|a| {
            (a.service == "iam" && a.account == account && a.resource == "root")
                || a.service == "organizations"
        })
}

/// The RAM shares the ledger recorded as carrying `producer:database` when share-linker
/// linked it (live link entries only).
pub fn recorded_carriers(
    ledger: &lakewarden::ledger::LedgerRead,
    producer: &str,
    database: &str,
) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    for (_, e) in ledger.view.of_kind(lakewarden::ledger::Kind::Link) {
        let d = &e.detail;
        if e.state == lakewarden::ledger::State::Made
            && d["producer"] == producer
            && d["database"] == database
        {
            for s in d["shares"].as_array().into_iter().flatten() {
                if let Some(s) = s.as_str() {
                    out.insert(s.to_string());
                }
            }
        }
    }
    out.into_iter().collect()
}

/// The local name of the link for `database` (`link_name` may use `{database}`).
pub fn link_name(link: &Link, database: &str) -> String {
    match &link.link_name {
        Some(n) => n.replace("{database}", database),
        None => format!("{database}_link"),
    }
}

/// Whether a link entry covers `producer:database`.
pub fn matches(link: &Link, producer: &str, database: &str) -> bool {
    link.producer == producer && link.database.is_match(database)
}

/// The `check.lf.*` lines of round 1 (issue 10 §3): share-linker grants only this account's
/// roles, so the administrator, default-permission and version checks apply (no version beyond
/// the account's own is needed to receive).
pub fn lf_checks(cfg: &lakewarden::config::Config, observed: &Observed) -> Plan {
    match observed {
        Observed::Catalog(c) => match &c.lf {
            Some(p) => lakewarden::lfsettings::check(
                &lakewarden::lfsettings::Needs {
                    account: c.account.clone(),
                    ..Default::default()
                },
                p,
                cfg.fix_lf_settings,
            ),
            None => Plan::default(),
        },
        Observed::Invitations(_) => Plan::default(),
    }
}

/// One round's plan.
pub fn plan(cfg: &Consumer, scope: &Scope, observed: &Observed) -> Plan {
    match observed {
        Observed::Invitations(invs) => plan_invitations(cfg, invs, scope),
        Observed::Catalog(c) => {
            let mut p = plan_catalog(cfg, c);
            if let Some(l) = &c.ledger {
                p.extend(invitations::remember_untrusted(
                    cfg,
                    scope,
                    &c.invitations,
                    l,
                ));
            }
            p
        }
    }
}

#[cfg(test)]
mod tests;

/// When a run failed something: each configured role and one table of each linked share of its
/// producer, so that the alert explains why the role cannot read it (`lakewarden explain`).
pub fn explain_targets(
    cfg: &lakewarden::config::Config,
    observed: &[Observed],
) -> Vec<(String, lakewarden::explain::TableRef)> {
    let Some(consumer) = &cfg.consumer else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for o in observed {
        let Observed::Catalog(c) = o else { continue };
        for link in &consumer.links {
            for ((producer, db), tables) in &c.tables {
                let Some(t) = tables.first() else { continue };
                if producer != &link.producer {
                    continue;
                }
                for role in &link.roles {
                    out.push((
                        role.to_string(),
                        lakewarden::explain::TableRef {
                            catalog_id: Some(producer.clone()),
                            database: db.clone(),
                            table: t.name.clone(),
                        },
                    ));
                }
            }
        }
    }
    out
}

/// The plan of one round: [`plan`] plus the Lake Formation prerequisite checks. Untrusted
/// invitations are alerted in round 1, once, from the ledger (issue 11 §5), not per RAM event in
/// round 0.
pub fn plan_round(cfg: &lakewarden::config::Config, scope: &Scope, observed: &Observed) -> Plan {
    let Some(consumer) = &cfg.consumer else {
        return Plan::default();
    };
    let mut p = plan(consumer, scope, observed);
    if matches!(observed, Observed::Invitations(_)) {
        p.attention.clear();
    }
    p.extend(lf_checks(cfg, observed));
    p
}
