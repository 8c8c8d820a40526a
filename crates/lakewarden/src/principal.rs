//! Who lakewarden may grant to: account ids, organizations / OUs, IAM principals.
//!
//! A configured consumer is read as a [`Principal`] when the configuration is loaded (it
//! deserialises from and serialises to the identifier the user wrote), so use sites never parse
//! it again.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config_types::is_account_id;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Principal {
    /// A whole AWS account (`222222222222`).
    Account { id: String },
    /// An organization (`arn:aws:organizations::MGMT:organization/o-abc123def4`).
    Organization { arn: String, org_id: String },
    /// An organizational unit (`arn:aws:organizations::MGMT:ou/o-abc123def4/ou-ab12-xyz45678`).
    OrgUnit {
        arn: String,
        org_id: String,
        ou_id: String,
    },
    /// An IAM role or user (`arn:aws:iam::333333333333:role/analyst`).
    Iam { arn: String, account: String },
}

impl Principal {
    pub fn parse(s: &str) -> Result<Principal, String> {
        let shown = crate::config_types::quoted(s);
        if is_account_id(s) {
            return Ok(Principal::Account { id: s.to_string() });
        }
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        if parts.len() == 6 && parts[0] == "arn" {
            match parts[2] {
                "organizations" => {
                    let res = parts[5];
                    if let Some(org) = res.strip_prefix("organization/") {
                        if crate::policy::is_org_id(org) {
                            return Ok(Principal::Organization {
                                arn: s.to_string(),
                                org_id: org.to_string(),
                            });
                        }
                    }
                    if let Some(rest) = res.strip_prefix("ou/") {
                        let mut it = rest.split('/');
                        if let (Some(org), Some(ou)) = (it.next(), it.next()) {
                            if crate::policy::is_org_id(org)
                                && crate::policy::is_ou_id(ou)
                                && it.next().is_none()
                            {
                                return Ok(Principal::OrgUnit {
                                    arn: s.to_string(),
                                    org_id: org.to_string(),
                                    ou_id: ou.to_string(),
                                });
                            }
                        }
                    }
                    return Err(format!(
                        "`{shown}` is not an organization (…:organization/o-…) or OU (…:ou/o-…/ou-…) ARN"
                    ));
                }
                "iam" => {
                    let acct = parts[4];
                    let res = parts[5];
                    if is_account_id(acct) && (res.starts_with("role/") || res.starts_with("user/"))
                    {
                        return Ok(Principal::Iam {
                            arn: s.to_string(),
                            account: acct.to_string(),
                        });
                    }
                    return Err(format!("`{shown}` is not an IAM role or user ARN"));
                }
                _ => {}
            }
        }
        Err(format!(
            "`{shown}` is not a consumer: use a 12-digit account id, an organization or OU ARN, or an IAM role/user ARN"
        ))
    }

    /// The identifier Lake Formation and RAM take (`DataLakePrincipalIdentifier`).
    pub fn identifier(&self) -> &str {
        match self {
            Principal::Account { id } => id,
            Principal::Organization { arn, .. }
            | Principal::OrgUnit { arn, .. }
            | Principal::Iam { arn, .. } => arn,
        }
    }

    /// Whether the principal lives outside `account` (a grant option is needed to re-grant).
    pub fn is_external_account_or_org(&self) -> bool {
        matches!(
            self,
            Principal::Account { .. } | Principal::Organization { .. } | Principal::OrgUnit { .. }
        )
    }

    /// The condition that limits a `"Principal": {"AWS": "*"}` statement to this organization or
    /// OU: `aws:PrincipalOrgID` for an organization, `aws:PrincipalOrgPaths` for an OU (an OU is
    /// not the whole organization).
    pub fn org_condition(&self) -> Option<(&'static str, &'static str, String)> {
        match self {
            Principal::Organization { org_id, .. } => {
                Some(("StringEquals", "aws:PrincipalOrgID", org_id.clone()))
            }
            Principal::OrgUnit { org_id, ou_id, .. } => Some((
                "ForAnyValue:StringLike",
                "aws:PrincipalOrgPaths",
                format!("{org_id}/*/{ou_id}/*"),
            )),
            _ => None,
        }
    }

    /// The organization id of an organization or OU principal.
    pub fn org_id(&self) -> Option<&str> {
        match self {
            Principal::Organization { org_id, .. } | Principal::OrgUnit { org_id, .. } => {
                Some(org_id)
            }
            _ => None,
        }
    }

    /// The `Principal.AWS` value of a resource policy, for non-organization principals.
    pub fn policy_arn(&self) -> Option<String> {
        match self {
            Principal::Account { id } => Some(crate::arn::account_root(id)),
            Principal::Iam { arn, .. } => Some(arn.clone()),
            _ => None,
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.identifier())
    }
}

impl Principal {
    /// The identifier as configured (see [`Principal::identifier`]).
    pub fn as_str(&self) -> &str {
        self.identifier()
    }
}

impl Deref for Principal {
    type Target = str;
    fn deref(&self) -> &str {
        self.identifier()
    }
}

impl AsRef<str> for Principal {
    fn as_ref(&self) -> &str {
        self.identifier()
    }
}

impl TryFrom<String> for Principal {
    type Error = String;
    fn try_from(s: String) -> Result<Principal, String> {
        Principal::parse(&s)
    }
}

impl TryFrom<&str> for Principal {
    type Error = String;
    fn try_from(s: &str) -> Result<Principal, String> {
        Principal::parse(s)
    }
}

impl From<Principal> for String {
    fn from(p: Principal) -> String {
        p.identifier().to_string()
    }
}

/// Written as the identifier the configuration holds.
impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.identifier())
    }
}

/// Read from its identifier, refused with the reason when it is not a principal.
impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Principal, D::Error> {
        crate::config_types::deserialize_principal(d)
    }
}

impl PartialEq<str> for Principal {
    fn eq(&self, o: &str) -> bool {
        self.identifier() == o
    }
}

impl PartialEq<&str> for Principal {
    fn eq(&self, o: &&str) -> bool {
        self.identifier() == *o
    }
}

impl PartialEq<String> for Principal {
    fn eq(&self, o: &String) -> bool {
        self.identifier() == o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind() {
        assert_eq!(
            Principal::parse("222222222222").unwrap(),
            Principal::Account {
                id: "222222222222".into()
            }
        );
        let org = Principal::parse("arn:aws:organizations::111111111111:organization/o-abc123def4")
            .unwrap();
        assert_eq!(org.org_id(), Some("o-abc123def4"));
        assert!(org.is_external_account_or_org());
        let ou = Principal::parse(
            "arn:aws:organizations::111111111111:ou/o-abc123def4/ou-ab12-cdef5678",
        )
        .unwrap();
        assert_eq!(ou.org_id(), Some("o-abc123def4"));
        let role = Principal::parse("arn:aws:iam::333333333333:role/analyst").unwrap();
        assert_eq!(
            role.policy_arn().as_deref(),
            Some("arn:aws:iam::333333333333:role/analyst")
        );
        assert!(!role.is_external_account_or_org());
        assert_eq!(
            Principal::parse("222222222222")
                .unwrap()
                .policy_arn()
                .as_deref(),
            Some("arn:aws:iam::222222222222:root")
        );
    }

    #[test]
    fn rejects_wildcards_and_junk() {
        for bad in [
            "*",
            "2222",
            "arn:aws:iam::333333333333:policy/x",
            "arn:aws:organizations::1:organization/abc",
            "arn:aws:s3:::bucket",
        ] {
            assert!(Principal::parse(bad).is_err(), "{bad}");
        }
    }
}
