//! Every name lakewarden owns, in one place: policy statement `Sid`s (and their prefixes),
//! inline / managed policy names, Glue `Parameters` markers, state-table key prefixes, RAM share
//! names, the EventBridge source it publishes as and its client-token prefix.
//!
//! Whatever lakewarden removes or rewrites it recognises by one of these names (and, for Glue
//! links, the marker), so two of them must never claim the same name: the tests below check
//! that no registered name is a prefix of another in the same namespace unless it is declared
//! as nested inside it ([`Owned::within`]: the same function's finer name), and that the policy
//! merge's ownership check ([`crate::policy::Ownership`]) claims each registered Sid for its
//! owner and for no one else.
//!
//! Function crates refer to these constants (often through their own `pub const X: &str =
//! ownership::…` alias); no other place spells one of these names.

/// Statement ids and Sid prefixes. A prefix is followed by a fragment of the name it is about
/// (`policy::sid_fragment`), which starts with an upper-case letter or digit.
pub mod sid {
    /// catalog-sharer: the Glue catalog policy statement that lets RAM share the catalog (exact).
    pub const RAM_SHARE_RESOURCE: &str = "LakewardenRamShareResource";
    /// catalog-sharer: bucket policy, `s3:GetObject` for an organization (`aws:PrincipalOrgID`).
    pub const SHARE_ORG_GET: &str = "LakewardenShareOrgGet";
    /// catalog-sharer: bucket policy, `s3:ListBucket` for an organization.
    pub const SHARE_ORG_LIST: &str = "LakewardenShareOrgList";
    /// catalog-sharer: bucket policy, `s3:GetObject` for an OU (`aws:PrincipalOrgPaths`).
    pub const SHARE_OU_GET: &str = "LakewardenShareOuGet";
    /// catalog-sharer: bucket policy, `s3:ListBucket` for an OU.
    pub const SHARE_OU_LIST: &str = "LakewardenShareOuList";
    /// catalog-sharer: bucket policy, `s3:GetObject` for accounts and roles by ARN.
    pub const SHARE_ACCOUNTS_GET: &str = "LakewardenShareAccountsGet";
    /// catalog-sharer: bucket policy, `s3:ListBucket` for accounts and roles by ARN.
    pub const SHARE_ACCOUNTS_LIST: &str = "LakewardenShareAccountsList";
    /// share-linker: the S3 read statements of a configured role's inline policy.
    pub const LINK: &str = "LakewardenLink";
    /// integration-doctor: every statement it writes (role policies, trust, catalog policy).
    pub const ZERO_ETL: &str = "LakewardenZeroEtl";
    /// integration-doctor: the source table's resource policy statement for Glue (exact).
    pub const ZERO_ETL_GLUE_EXPORT: &str = "LakewardenZeroEtlGlueExport";
    /// integration-doctor: the target role's trust statement for Glue (exact).
    pub const ZERO_ETL_GLUE_TRUST: &str = "LakewardenZeroEtlGlueTrust";
    /// table-exporter: the destination bucket's write statement (exact).
    pub const EXPORT_WRITE: &str = "LakewardenExportWrite";
    /// datazone-subscriber: the environment role's inline statements.
    pub const DATAZONE_ENV: &str = "LakewardenDataZoneEnv";
    /// datazone-subscriber: the subscription grant statements (`…Get<f>`, `…List<f>`).
    pub const DATAZONE_GRANT: &str = "LakewardenDataZoneGrant";
    /// datazone-subscriber: the permissions boundary's `s3:ListBucket` statements.
    pub const DATAZONE_LIST_BUCKET: &str = "LakewardenDataZoneListBucket";
}

/// IAM policy names (inline policies on roles; the boundary copies are managed policies).
pub mod policy_name {
    /// datazone-subscriber: the environment role's inline policy.
    pub const DATAZONE: &str = "lakewarden-datazone";
    /// integration-doctor: the target role's inline policy.
    pub const ZERO_ETL: &str = "lakewarden-zero-etl";
    /// share-linker: the configured roles' inline S3 read policy.
    pub const SHARE_LINKER: &str = "lakewarden-share-linker";
    /// datazone-subscriber: prefix of the managed policy copied from a role's boundary
    /// (`lakewarden-boundary-<role>`).
    pub const BOUNDARY_COPY_PREFIX: &str = "lakewarden-boundary-";
}

/// Keys of Glue `Parameters` that mark what lakewarden created.
pub mod glue_parameter {
    /// The function that made a resource link (`"lakewarden:managed-by": "share-linker"`).
    pub const MANAGED_BY: &str = "lakewarden:managed-by";
    /// The `catalog:database` a database link was made to point at.
    pub const LINK_TARGET: &str = "lakewarden:link-target";
}

/// Key prefixes of the state table (`pk`).
pub mod state_key {
    /// integration-monitor: last seen status of an integration (`integration#<arn>#<side>`).
    pub const INTEGRATION: &str = "integration#";
    /// table-exporter: export bookkeeping (`exporter#<table>#<bucket>#<prefix>`).
    pub const EXPORTER: &str = "exporter#";
    /// The removal ledger (`ledger#<function>#…`, [`crate::ledger`]).
    pub const LEDGER: &str = "ledger#";
}

/// RAM resource share names (`ram: explicit`): `lakewarden-<database>[-<hash>]`.
pub const RAM_SHARE_NAME_PREFIX: &str = "lakewarden-";
/// The EventBridge `source` of the events lakewarden publishes (integration-monitor).
pub const EVENT_SOURCE: &str = "lakewarden";
/// Idempotency tokens (RAM CreateResourceShare, DynamoDB ExportTableToPointInTime):
/// `lakewarden-<16 hex digits>`.
pub const CLIENT_TOKEN_PREFIX: &str = "lakewarden-";

/// Where a name lives: two names can only clash inside one namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// Statement ids of any policy document (one bucket policy holds several functions' Sids).
    Sid,
    /// IAM policy names (inline on a role, or managed).
    IamPolicyName,
    /// Keys of a Glue database's / table's `Parameters`.
    GlueParameter,
    /// `pk` of the state table.
    StateKey,
    /// RAM resource share names.
    RamShareName,
    /// EventBridge `source`.
    EventSource,
    /// Client (idempotency) tokens.
    ClientToken,
}

/// Whether a name is owned as written or as the start of longer names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    Exact,
    Prefix,
}

/// One registered name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owned {
    pub name: &'static str,
    pub namespace: Namespace,
    pub matching: Match,
    /// The function (or `core`) that writes and removes it.
    pub owner: &'static str,
    /// The registered prefix this name is deliberately nested in (same owner), if any.
    pub within: Option<&'static str>,
}

const fn owned(
    name: &'static str,
    namespace: Namespace,
    matching: Match,
    owner: &'static str,
) -> Owned {
    Owned {
        name,
        namespace,
        matching,
        owner,
        within: None,
    }
}

const fn nested(name: &'static str, within: &'static str, owner: &'static str) -> Owned {
    Owned {
        name,
        namespace: Namespace::Sid,
        matching: Match::Exact,
        owner,
        within: Some(within),
    }
}

use Match::{Exact, Prefix};
use Namespace::*;

/// Every name lakewarden owns.
pub const REGISTRY: &[Owned] = &[
    owned(sid::RAM_SHARE_RESOURCE, Sid, Exact, "catalog-sharer"),
    owned(sid::SHARE_ORG_GET, Sid, Prefix, "catalog-sharer"),
    owned(sid::SHARE_ORG_LIST, Sid, Prefix, "catalog-sharer"),
    owned(sid::SHARE_OU_GET, Sid, Prefix, "catalog-sharer"),
    owned(sid::SHARE_OU_LIST, Sid, Prefix, "catalog-sharer"),
    owned(sid::SHARE_ACCOUNTS_GET, Sid, Prefix, "catalog-sharer"),
    owned(sid::SHARE_ACCOUNTS_LIST, Sid, Prefix, "catalog-sharer"),
    owned(sid::LINK, Sid, Prefix, "share-linker"),
    owned(sid::ZERO_ETL, Sid, Prefix, "integration-doctor"),
    nested(
        sid::ZERO_ETL_GLUE_EXPORT,
        sid::ZERO_ETL,
        "integration-doctor",
    ),
    nested(
        sid::ZERO_ETL_GLUE_TRUST,
        sid::ZERO_ETL,
        "integration-doctor",
    ),
    owned(sid::EXPORT_WRITE, Sid, Exact, "table-exporter"),
    owned(sid::DATAZONE_ENV, Sid, Prefix, "datazone-subscriber"),
    owned(sid::DATAZONE_GRANT, Sid, Prefix, "datazone-subscriber"),
    owned(
        sid::DATAZONE_LIST_BUCKET,
        Sid,
        Prefix,
        "datazone-subscriber",
    ),
    owned(
        policy_name::DATAZONE,
        IamPolicyName,
        Exact,
        "datazone-subscriber",
    ),
    owned(
        policy_name::ZERO_ETL,
        IamPolicyName,
        Exact,
        "integration-doctor",
    ),
    owned(
        policy_name::SHARE_LINKER,
        IamPolicyName,
        Exact,
        "share-linker",
    ),
    owned(
        policy_name::BOUNDARY_COPY_PREFIX,
        IamPolicyName,
        Prefix,
        "datazone-subscriber",
    ),
    owned(glue_parameter::MANAGED_BY, GlueParameter, Exact, "core"),
    owned(glue_parameter::LINK_TARGET, GlueParameter, Exact, "core"),
    owned(
        state_key::INTEGRATION,
        StateKey,
        Prefix,
        "integration-monitor",
    ),
    owned(state_key::EXPORTER, StateKey, Prefix, "table-exporter"),
    owned(state_key::LEDGER, StateKey, Prefix, "core"),
    owned(
        RAM_SHARE_NAME_PREFIX,
        RamShareName,
        Prefix,
        "catalog-sharer",
    ),
    owned(EVENT_SOURCE, EventSource, Exact, "integration-monitor"),
    owned(CLIENT_TOKEN_PREFIX, ClientToken, Prefix, "core"),
];

impl Owned {
    /// The policy merge's ownership of this Sid (prefix or exact); None outside [`Namespace::Sid`].
    pub fn ownership(&self) -> Option<crate::policy::Ownership> {
        (self.namespace == Namespace::Sid).then(|| match self.matching {
            Match::Prefix => crate::policy::Ownership::prefix(self.name),
            Match::Exact => crate::policy::Ownership::exact([self.name]),
        })
    }

    /// Whether `name` (in this entry's namespace) is this entry's.
    pub fn claims(&self, name: &str) -> bool {
        match self.matching {
            Match::Exact => name == self.name,
            Match::Prefix => name.starts_with(self.name),
        }
    }
}

/// The registered entry a Sid belongs to (the most specific one), if lakewarden owns it.
pub fn owner_of_sid(sid: &str) -> Option<&'static Owned> {
    REGISTRY
        .iter()
        .filter(|o| o.namespace == Namespace::Sid && o.claims(sid))
        .max_by_key(|o| o.name.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{merge, sid_fragment, Merge};
    use serde_json::json;

    /// A Sid the entry's owner writes: the name itself, or the prefix and a name's fragment.
    fn sample(o: &Owned) -> String {
        match o.matching {
            Match::Exact => o.name.to_string(),
            Match::Prefix => format!("{}{}", o.name, sid_fragment("cur_org")),
        }
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in REGISTRY.iter().enumerate() {
            for b in &REGISTRY[i + 1..] {
                assert!(
                    !(a.namespace == b.namespace && a.name == b.name),
                    "{} registered twice",
                    a.name
                );
            }
        }
    }

    /// No registered name starts another of its namespace, unless declared nested in it (by the
    /// same owner). Where one is a prefix of another's name, removing "everything under the
    /// prefix" would remove the other's statements.
    #[test]
    fn no_two_owned_names_overlap_unless_declared_nested() {
        for a in REGISTRY {
            for b in REGISTRY {
                if std::ptr::eq(a, b) || a.namespace != b.namespace {
                    continue;
                }
                let overlaps = a.matching == Match::Prefix && b.name.starts_with(a.name);
                if overlaps {
                    assert_eq!(
                        b.within,
                        Some(a.name),
                        "`{}` ({}) starts with `{}` ({}) without being declared nested in it",
                        b.name,
                        b.owner,
                        a.name,
                        a.owner
                    );
                    assert_eq!(a.owner, b.owner, "nested names share their owner");
                }
                if let Some(w) = b.within {
                    assert!(
                        b.name.starts_with(w) && REGISTRY.iter().any(|o| o.name == w),
                        "{} is declared within unregistered or non-prefix {w}",
                        b.name
                    );
                }
            }
        }
    }

    /// Through the policy merge itself: each Sid entry's ownership removes its own stale
    /// statement, keeps everyone else's, and claims no other owner's statement.
    #[test]
    fn every_registered_sid_is_owned_by_the_merge_and_by_no_other_owner() {
        let sids: Vec<&Owned> = REGISTRY
            .iter()
            .filter(|o| o.namespace == Namespace::Sid)
            .collect();
        assert!(sids.len() >= 15);
        for a in &sids {
            let own = a.ownership().expect("a Sid entry");
            let mine = sample(a);
            assert!(own.owns(&mine), "{} does not own {mine}", a.name);
            assert_eq!(owner_of_sid(&mine).map(|o| o.owner), Some(a.owner));
            for b in &sids {
                let theirs = sample(b);
                if b.owner != a.owner {
                    assert!(
                        !own.owns(&theirs),
                        "{}'s ownership ({}) claims {theirs} of {}",
                        a.owner,
                        a.name,
                        b.owner
                    );
                }
            }
            // The merge drops our stale statement and keeps a foreign one, byte for byte.
            let foreign =
                json!({"Sid": "TheirReadAccess", "Effect": "Allow", "Action": "s3:GetObject"});
            let current = json!({"Version": "2012-10-17", "Statement": [
                foreign.clone(),
                {"Sid": mine, "Effect": "Allow", "Action": "s3:GetObject"},
            ]});
            match merge(Some(&current), &own, &[]) {
                Merge::Put(doc) => assert_eq!(doc["Statement"], json!([foreign]), "{}", a.name),
                other => panic!("{}: {other:?}", a.name),
            }
        }
    }

    #[test]
    fn foreign_and_bare_prefix_sids_are_not_ours() {
        assert!(owner_of_sid("AllowReadFromAnalytics").is_none());
        assert!(owner_of_sid("Lakewarden").is_none());
        assert_eq!(
            owner_of_sid(sid::ZERO_ETL_GLUE_TRUST).map(|o| o.name),
            Some(sid::ZERO_ETL_GLUE_TRUST)
        );
    }
}
