//! Lake Formation grants as plain data, and the diff between what exists and what must.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// Lake Formation accepts at most this many entries per BatchGrant/BatchRevoke call.
pub const LF_BATCH_LIMIT: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LfResource {
    Database {
        catalog_id: String,
        name: String,
    },
    Table {
        catalog_id: String,
        database: String,
        name: String,
    },
    /// All tables of a database.
    TableWildcard {
        catalog_id: String,
        database: String,
    },
    DataLocation {
        catalog_id: String,
        arn: String,
    },
}

impl LfResource {
    pub fn database_name(&self) -> Option<&str> {
        match self {
            LfResource::Database { name, .. } => Some(name),
            LfResource::Table { database, .. } | LfResource::TableWildcard { database, .. } => {
                Some(database)
            }
            LfResource::DataLocation { .. } => None,
        }
    }
    pub fn catalog_id(&self) -> &str {
        match self {
            LfResource::Database { catalog_id, .. }
            | LfResource::Table { catalog_id, .. }
            | LfResource::TableWildcard { catalog_id, .. }
            | LfResource::DataLocation { catalog_id, .. } => catalog_id,
        }
    }
}

impl fmt::Display for LfResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LfResource::Database { catalog_id, name } => write!(f, "database {catalog_id}:{name}"),
            LfResource::Table {
                catalog_id,
                database,
                name,
            } => write!(f, "table {catalog_id}:{database}.{name}"),
            LfResource::TableWildcard {
                catalog_id,
                database,
            } => write!(f, "all tables {catalog_id}:{database}.*"),
            LfResource::DataLocation { arn, .. } => write!(f, "data location {arn}"),
        }
    }
}

/// One grant entry: a principal, a resource and the permissions (and those with grant option).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LfGrant {
    pub principal: String,
    pub resource: LfResource,
    pub permissions: BTreeSet<String>,
    pub grantable: BTreeSet<String>,
}

impl LfGrant {
    pub fn new<I, S>(principal: &str, resource: LfResource, perms: I, grantable: bool) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let permissions: BTreeSet<String> = perms.into_iter().map(Into::into).collect();
        let grantable = if grantable {
            permissions.clone()
        } else {
            BTreeSet::new()
        };
        LfGrant {
            principal: principal.to_string(),
            resource,
            permissions,
            grantable,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.permissions.is_empty() && self.grantable.is_empty()
    }
}

impl fmt::Display for LfGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let perms: Vec<&str> = self.permissions.iter().map(String::as_str).collect();
        write!(
            f,
            "{} on {} [{}]",
            self.principal,
            self.resource,
            perms.join(", ")
        )?;
        if !self.grantable.is_empty() {
            let g: Vec<&str> = self.grantable.iter().map(String::as_str).collect();
            write!(f, " grantable [{}]", g.join(", "))?;
        }
        Ok(())
    }
}

/// What Lake Formation holds now: permissions per (principal, resource).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LfState {
    entries: BTreeMap<(String, LfResource), (BTreeSet<String>, BTreeSet<String>)>,
}

impl LfState {
    pub fn add(&mut self, g: LfGrant) {
        let e = self.entries.entry((g.principal, g.resource)).or_default();
        e.0.extend(g.permissions);
        e.1.extend(g.grantable);
    }

    pub fn get(&self, principal: &str, resource: &LfResource) -> Option<LfGrant> {
        self.entries
            .get(&(principal.to_string(), resource.clone()))
            .map(|(p, g)| LfGrant {
                principal: principal.to_string(),
                resource: resource.clone(),
                permissions: p.clone(),
                grantable: g.clone(),
            })
    }

    pub fn iter(&self) -> impl Iterator<Item = LfGrant> + '_ {
        self.entries.iter().map(|((p, r), (perms, g))| LfGrant {
            principal: p.clone(),
            resource: r.clone(),
            permissions: perms.clone(),
            grantable: g.clone(),
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl FromIterator<LfGrant> for LfState {
    fn from_iter<T: IntoIterator<Item = LfGrant>>(iter: T) -> Self {
        let mut s = LfState::default();
        for g in iter {
            s.add(g);
        }
        s
    }
}

/// Split desired grants into the part still missing (to grant) and the part already held.
///
/// A missing grantable permission is granted together with the plain permission, as Lake
/// Formation requires `PermissionsWithGrantOption ⊆ Permissions` in an entry.
pub fn missing(desired: &LfGrant, current: &LfState) -> Option<LfGrant> {
    let (have, have_g) = current
        .get(&desired.principal, &desired.resource)
        .map(|g| (g.permissions, g.grantable))
        .unwrap_or_default();
    let have_all = have.contains("ALL");
    let miss_g: BTreeSet<String> = desired.grantable.difference(&have_g).cloned().collect();
    let mut miss: BTreeSet<String> = if have_all {
        BTreeSet::new()
    } else {
        desired.permissions.difference(&have).cloned().collect()
    };
    miss.extend(miss_g.iter().cloned());
    let g = LfGrant {
        principal: desired.principal.clone(),
        resource: desired.resource.clone(),
        permissions: miss,
        grantable: miss_g,
    };
    (!g.is_empty()).then_some(g)
}

/// The part of `owned` (what lakewarden would have granted) that is actually held now.
pub fn held(owned: &LfGrant, current: &LfState) -> Option<LfGrant> {
    let cur = current.get(&owned.principal, &owned.resource)?;
    let permissions: BTreeSet<String> = owned
        .permissions
        .intersection(&cur.permissions)
        .cloned()
        .collect();
    let grantable: BTreeSet<String> = owned
        .grantable
        .intersection(&cur.grantable)
        .cloned()
        .collect();
    let g = LfGrant {
        principal: owned.principal.clone(),
        resource: owned.resource.clone(),
        permissions,
        grantable,
    };
    (!g.is_empty()).then_some(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(t: &str) -> LfResource {
        LfResource::Table {
            catalog_id: "111111111111".into(),
            database: "cur_org".into(),
            name: t.into(),
        }
    }

    #[test]
    fn nothing_missing_when_held() {
        let d = LfGrant::new("222222222222", table("a"), ["SELECT", "DESCRIBE"], true);
        let st: LfState = [d.clone()].into_iter().collect();
        assert_eq!(missing(&d, &st), None);
    }

    #[test]
    fn only_the_difference_is_granted() {
        let d = LfGrant::new("222222222222", table("a"), ["SELECT", "DESCRIBE"], true);
        let st: LfState = [LfGrant::new("222222222222", table("a"), ["SELECT"], false)]
            .into_iter()
            .collect();
        let m = missing(&d, &st).unwrap();
        assert_eq!(
            m.permissions,
            ["DESCRIBE", "SELECT"]
                .iter()
                .map(|s| s.to_string())
                .collect()
        );
        assert_eq!(m.grantable, d.grantable);
        let st2: LfState = [LfGrant::new(
            "222222222222",
            table("a"),
            ["SELECT", "DESCRIBE"],
            false,
        )]
        .into_iter()
        .collect();
        let only_desc = LfGrant::new("222222222222", table("a"), ["DESCRIBE"], false);
        assert_eq!(missing(&only_desc, &st2), None);
    }

    #[test]
    fn all_covers_plain_permissions() {
        let st: LfState = [LfGrant::new("r", table("a"), ["ALL"], false)]
            .into_iter()
            .collect();
        assert_eq!(
            missing(&LfGrant::new("r", table("a"), ["SELECT"], false), &st),
            None
        );
    }

    #[test]
    fn held_is_the_intersection() {
        let st: LfState = [LfGrant::new("r", table("a"), ["SELECT", "ALTER"], false)]
            .into_iter()
            .collect();
        let h = held(
            &LfGrant::new("r", table("a"), ["SELECT", "DESCRIBE"], true),
            &st,
        )
        .unwrap();
        assert_eq!(h.permissions.len(), 1);
        assert!(h.grantable.is_empty());
        assert_eq!(
            held(&LfGrant::new("r", table("b"), ["SELECT"], false), &st),
            None
        );
    }
}
