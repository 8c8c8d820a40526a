//! Account prerequisites of Lake Formation grants (issue 10 §3), checked once per run by every
//! function that grants, and reported as `check.lf.*` actions:
//!
//! - `check.lf.admin`: the function's role is a data lake administrator (grants and registrations
//!   need it);
//! - `check.lf.default_permissions`: `CreateDatabaseDefaultPermissions` /
//!   `CreateTableDefaultPermissions` do not give `ALL` to `IAM_ALLOWED_PRINCIPALS` ("Use only IAM
//!   access control" for new resources, AWS's default: *Changing the default settings for your
//!   data lake*, change-settings.html; listed among the cross-account prerequisites,
//!   cross-account-prereqs.html);
//! - `check.lf.iam_allowed_principals`: `IAM_ALLOWED_PRINCIPALS` holds no permission on the
//!   databases and tables the run shares or grants on, unless the configuration chose hybrid
//!   access mode (cross-account-prereqs.html; *Hybrid access mode*, hybrid-access-mode.html);
//! - `check.lf.cross_account_version`: `Parameters["CROSS_ACCOUNT_VERSION"]` is at least 3 when
//!   IAM principals of other accounts are consumers (version 3 added direct grants to them) and
//!   at least 4 for resources in hybrid access mode shared with other accounts (*Updating
//!   cross-account data sharing version settings*, optimize-ram.html; *Prerequisites for setting
//!   up hybrid access mode*).
//!
//! [`observe`] reads (GetDataLakeSettings, the caller ARN — STS GetCallerIdentity, cached per
//! container with the account id by [`Aws::caller_arn`] — and — only when the function
//! has not read every grant already — ListPermissions for `IAM_ALLOWED_PRINCIPALS`); [`check`] is
//! pure. With `fix_lf_settings: true` what the settings document can repair (admin, default
//! permissions, version) is repaired by one [`SettingsFix`]: a read-modify-write that keeps
//! every other administrator and field, because `PutDataLakeSettings` replaces all of them
//! (API reference, PutDataLakeSettings). Grants held by `IAM_ALLOWED_PRINCIPALS` on resources
//! are not settings: they are reported with the command that revokes them, never revoked.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::json;

use crate::arn::Arn;
use crate::aws::{lakeformation, Aws};
use crate::lf::{LfGrant, LfResource, LfState};
use crate::reconcile::{Action, ExtAction, Plan};

/// The virtual principal that stands for "whatever IAM policies allow".
pub const IAM_ALLOWED_PRINCIPALS: &str = "IAM_ALLOWED_PRINCIPALS";
/// The `Parameters` key of the cross-account version (the service refuses other spellings).
pub const CROSS_ACCOUNT_VERSION: &str = "CROSS_ACCOUNT_VERSION";
/// The version `fix_lf_settings` raises to when a higher one is needed: AWS's recommendation
/// ("the newest version (currently Version 4)", Lake Formation best practices).
pub const RECOMMENDED_VERSION: u8 = 4;

pub const ADMIN: &str = "check.lf.admin";
pub const DEFAULT_PERMISSIONS: &str = "check.lf.default_permissions";
pub const IAM_ALLOWED: &str = "check.lf.iam_allowed_principals";
pub const VERSION: &str = "check.lf.cross_account_version";

/// The data lake settings as the checks read them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `DataLakeAdmins` identifiers.
    pub admins: Vec<String>,
    /// Principals in `CreateDatabaseDefaultPermissions`.
    pub database_defaults: Vec<String>,
    /// Principals in `CreateTableDefaultPermissions`.
    pub table_defaults: Vec<String>,
    /// `Parameters["CROSS_ACCOUNT_VERSION"]` as answered (None when absent).
    pub cross_account_version: Option<String>,
}

/// What [`observe`] read; each part may have failed on its own (reported, never fatal).
#[derive(Debug, Clone, PartialEq)]
pub struct Prereqs {
    /// STS caller ARN (an assumed-role ARN in Lambda).
    pub caller: Result<String, String>,
    pub settings: Result<Settings, String>,
    /// Every grant `IAM_ALLOWED_PRINCIPALS` holds in this account's catalog.
    pub iam_allowed: Result<Vec<LfGrant>, String>,
}

/// One database (and which of its tables) a run shares or grants on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shared {
    pub database: String,
    /// `None`: every table (the All-tables wildcard or the database itself).
    pub tables: Option<BTreeSet<String>>,
    /// The configuration put it in hybrid access mode (`hybrid_access: true`).
    pub hybrid: bool,
}

/// What a run's grants need of the account, from configuration and what it observed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Needs {
    /// This account's id (only its own catalog's resources are checked).
    pub account: String,
    pub shared: Vec<Shared>,
    /// IAM roles or users of other accounts are consumers (version ≥ 3).
    pub cross_account_iam: bool,
    /// Resources in hybrid access mode are shared with other accounts (version ≥ 4).
    pub cross_account_hybrid: bool,
}

/// A read-modify-write of the data lake settings: everything not named here is kept as read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SettingsFix {
    /// Add this principal to `DataLakeAdmins` (kept once; the others stay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub add_admin: Option<String>,
    /// Empty `CreateDatabaseDefaultPermissions` and `CreateTableDefaultPermissions`.
    pub clear_default_permissions: bool,
    /// Raise `CROSS_ACCOUNT_VERSION` to at least this (never lowered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_cross_account_version: Option<u8>,
}

impl SettingsFix {
    pub fn is_empty(&self) -> bool {
        self.add_admin.is_none()
            && !self.clear_default_permissions
            && self.min_cross_account_version.is_none()
    }

    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(a) = &self.add_admin {
            parts.push(format!("add data lake administrator {a}"));
        }
        if self.clear_default_permissions {
            parts.push("clear the IAM_ALLOWED_PRINCIPALS default permissions".to_string());
        }
        if let Some(v) = self.min_cross_account_version {
            parts.push(format!("{CROSS_ACCOUNT_VERSION} >= {v}"));
        }
        format!("data lake settings: {}", parts.join("; "))
    }
}

/// The (account, kind, name) an IAM or STS principal ARN stands for: an assumed-role session
/// is its role; a role or user ARN keeps only its last path segment, since an assumed-role ARN
/// carries no path.
pub fn principal_key(arn: &str) -> Option<(String, &'static str, String)> {
    let a = Arn::parse(arn)?;
    let (kind, rest) = match a.service.as_str() {
        "sts" => {
            let rest = a.resource.strip_prefix("assumed-role/")?;
            ("role", rest.split('/').next()?.to_string())
        }
        "iam" => {
            if let Some(r) = a.resource.strip_prefix("role/") {
                ("role", r.rsplit('/').next()?.to_string())
            } else if let Some(u) = a.resource.strip_prefix("user/") {
                ("user", u.rsplit('/').next()?.to_string())
            } else {
                return None;
            }
        }
        _ => return None,
    };
    (!rest.is_empty()).then_some((a.account, kind, rest))
}

/// The IAM ARN of the caller's role or user (`arn:PARTITION:iam::ACCOUNT:role/NAME`), as a
/// data lake administrator entry names it (without the role's path, which STS does not tell).
pub fn principal_arn(caller: &str) -> Option<String> {
    let a = Arn::parse(caller)?;
    let (account, kind, name) = principal_key(caller)?;
    Some(format!("arn:{}:iam::{account}:{kind}/{name}", a.partition))
}

/// Apply a fix to a settings document in place (pure: the adapter reads right before and
/// writes the result); whether anything changed. Every field the fix
/// does not name is left exactly as read.
pub fn modify_settings(
    s: &mut aws_sdk_lakeformation::types::DataLakeSettings,
    fix: &SettingsFix,
) -> bool {
    let mut changed = false;
    if let Some(admin) = &fix.add_admin {
        let admins = s.data_lake_admins.get_or_insert_with(Vec::new);
        let key = principal_key(admin);
        let present = admins.iter().any(|a| {
            a.data_lake_principal_identifier()
                .is_some_and(|id| id == admin || (key.is_some() && principal_key(id) == key))
        });
        if !present {
            admins.push(
                aws_sdk_lakeformation::types::DataLakePrincipal::builder()
                    .data_lake_principal_identifier(admin)
                    .build(),
            );
            changed = true;
        }
    }
    if fix.clear_default_permissions {
        for l in [
            &mut s.create_database_default_permissions,
            &mut s.create_table_default_permissions,
        ]
        .into_iter()
        .flatten()
        {
            let before = l.len();
            l.retain(|p| {
                p.principal()
                    .and_then(|p| p.data_lake_principal_identifier())
                    != Some(IAM_ALLOWED_PRINCIPALS)
            });
            changed |= l.len() != before;
        }
    }
    if let Some(min) = fix.min_cross_account_version {
        let params = s.parameters.get_or_insert_with(Default::default);
        let have = params
            .get(CROSS_ACCOUNT_VERSION)
            .and_then(|v| v.trim().parse::<u8>().ok());
        if have.is_none_or(|h| h < min) {
            params.insert(CROSS_ACCOUNT_VERSION.to_string(), min.to_string());
            changed = true;
        }
    }
    changed
}

/// Whether `caller` is one of `admins`.
pub fn is_admin(caller: &str, admins: &[String]) -> bool {
    let Some(me) = principal_key(caller) else {
        return false;
    };
    admins
        .iter()
        .any(|a| principal_key(a).as_ref() == Some(&me))
}

/// The version as a number (`None` when absent or not a number; AWS answers "1" for a fresh
/// account).
pub fn version_of(s: &Settings) -> Option<u8> {
    s.cross_account_version
        .as_deref()
        .and_then(|v| v.trim().parse().ok())
}

fn console_settings() -> &'static str {
    "Lake Formation console → Administration → Data Catalog settings"
}

fn rmw_cli(change: &str) -> String {
    format!(
        "aws lakeformation get-data-lake-settings --query DataLakeSettings > settings.json; {change} in settings.json (keep every other field: put replaces all of them); aws lakeformation put-data-lake-settings --data-lake-settings file://settings.json"
    )
}

fn remedy_admin(role: &str) -> String {
    format!(
        "Make {role} a data lake administrator: Lake Formation console → Administration → Administrative roles and tasks → Data lake administrators → Add; or {}; or deploy the template's AWS::LakeFormation::DataLakeSettings (MutationType APPEND); or set fix_lf_settings: true",
        rmw_cli(&format!("add {{\"DataLakePrincipalIdentifier\": \"{role}\"}} to DataLakeAdmins"))
    )
}

fn remedy_defaults() -> String {
    format!(
        "Stop handing new databases and tables to IAM_ALLOWED_PRINCIPALS: {} → clear \"Use only IAM access control for new databases\" and \"… for new tables\" → Save; or {}; or set fix_lf_settings: true",
        console_settings(),
        rmw_cli("set CreateDatabaseDefaultPermissions and CreateTableDefaultPermissions to []")
    )
}

fn remedy_version(need: u8) -> String {
    format!(
        "Raise the cross-account version: {} → Cross-account version settings → Version {need} or later → Save; or {}; or set fix_lf_settings: true",
        console_settings(),
        rmw_cli(&format!("set Parameters.{CROSS_ACCOUNT_VERSION} to \"{need}\""))
    )
}

fn resource_json(r: &LfResource) -> String {
    match r {
        LfResource::Database { catalog_id, name } => {
            json!({"Database": {"CatalogId": catalog_id, "Name": name}})
        }
        LfResource::Table {
            catalog_id,
            database,
            name,
        } => json!({"Table": {"CatalogId": catalog_id, "DatabaseName": database, "Name": name}}),
        LfResource::TableWildcard {
            catalog_id,
            database,
        } => json!({"Table": {"CatalogId": catalog_id, "DatabaseName": database, "TableWildcard": {}}}),
        LfResource::DataLocation { catalog_id, arn } => {
            json!({"DataLocation": {"CatalogId": catalog_id, "ResourceArn": arn}})
        }
    }
    .to_string()
}

fn remedy_iam_allowed(g: &LfGrant) -> String {
    let perms: Vec<&str> = g.permissions.iter().map(String::as_str).collect();
    format!(
        "Revoke IAM_ALLOWED_PRINCIPALS on it: Lake Formation console → Permissions → Data lake permissions → principal IAMAllowedPrincipals, {} → Revoke; or aws lakeformation revoke-permissions --principal DataLakePrincipalIdentifier={IAM_ALLOWED_PRINCIPALS} --permissions {} --resource '{}'. If IAM access must stay (hybrid access mode), set hybrid_access: true on the share entry instead",
        g.resource,
        perms.join(" "),
        resource_json(&g.resource)
    )
}

/// Whether an `IAM_ALLOWED_PRINCIPALS` grant is on something the run shares.
fn concerns(g: &LfGrant, account: &str, s: &Shared) -> bool {
    if g.resource.catalog_id() != account {
        return false;
    }
    match &g.resource {
        LfResource::Database { name, .. } => name == &s.database,
        LfResource::TableWildcard { database, .. } => database == &s.database,
        LfResource::Table { database, name, .. } => {
            database == &s.database && s.tables.as_ref().is_none_or(|t| t.contains(name))
        }
        LfResource::DataLocation { .. } => false,
    }
}

/// The `check.lf.*` lines of one run: `already` when met; when not, a [`SettingsFix`] step (with
/// `fix`) reported under the check's name, else a failure with the remedy (alerted).
pub fn check<X: ExtAction>(needs: &Needs, p: &Prereqs, fix: bool) -> Plan<X> {
    let mut plan = Plan::default();
    let mut repair = SettingsFix::default();
    // (check, target) each repair answers, reported once the fix is complete.
    let mut repaired: Vec<(&str, String)> = Vec::new();

    let need_version = if needs.cross_account_hybrid {
        Some(4)
    } else if needs.cross_account_iam {
        Some(3)
    } else {
        None
    };

    match &p.settings {
        Err(e) => {
            for kind in [ADMIN, DEFAULT_PERMISSIONS, VERSION] {
                plan.fail(
                    kind,
                    "data lake settings",
                    e.clone(),
                    "Give the function's role lakeformation:GetDataLakeSettings so that it can check the account's Lake Formation prerequisites",
                );
            }
        }
        Ok(s) => {
            // Administrator.
            match &p.caller {
                Err(e) => plan.fail(
                    ADMIN,
                    "the function's role",
                    e.clone(),
                    "Check the function's credentials and STS endpoint (sts:GetCallerIdentity)",
                ),
                Ok(caller) => {
                    let role = principal_arn(caller).unwrap_or_else(|| caller.clone());
                    if is_admin(caller, &s.admins) {
                        plan.already(ADMIN, format!("{role} is a data lake administrator"));
                    } else if fix && principal_arn(caller).is_some() {
                        repair.add_admin = Some(role.clone());
                        repaired.push((ADMIN, format!("{role} is a data lake administrator")));
                    } else {
                        plan.fail(
                            ADMIN,
                            format!("{role} is a data lake administrator"),
                            format!(
                                "{role} is not among the data lake administrators ({}): Lake Formation refuses its grants and registrations",
                                if s.admins.is_empty() { "none".to_string() } else { s.admins.join(", ") }
                            ),
                            remedy_admin(&role),
                        );
                    }
                }
            }
            // Default permissions of new databases and tables.
            let mut lists = Vec::new();
            if s.database_defaults
                .iter()
                .any(|x| x == IAM_ALLOWED_PRINCIPALS)
            {
                lists.push("CreateDatabaseDefaultPermissions");
            }
            if s.table_defaults.iter().any(|x| x == IAM_ALLOWED_PRINCIPALS) {
                lists.push("CreateTableDefaultPermissions");
            }
            let target = "new databases and tables are not handed to IAM_ALLOWED_PRINCIPALS";
            if lists.is_empty() {
                plan.already(DEFAULT_PERMISSIONS, target);
            } else if needs.shared.iter().any(|s| s.hybrid) {
                // Hybrid access mode keeps IAM access by design.
                plan.already(
                    DEFAULT_PERMISSIONS,
                    format!("{target} (hybrid access mode: {} kept)", lists.join(", ")),
                );
            } else if fix {
                repair.clear_default_permissions = true;
                repaired.push((DEFAULT_PERMISSIONS, target.to_string()));
            } else {
                plan.fail(
                    DEFAULT_PERMISSIONS,
                    target,
                    format!(
                        "{} give ALL to IAM_ALLOWED_PRINCIPALS (\"Use only IAM access control\"): every new database and table is open to IAM policies and Lake Formation permissions are not in effect on it",
                        lists.join(" and ")
                    ),
                    remedy_defaults(),
                );
            }
            // Cross-account version.
            let have = version_of(s);
            let shown = s.cross_account_version.as_deref().unwrap_or("absent");
            match need_version {
                None => plan.already(
                    VERSION,
                    format!("{CROSS_ACCOUNT_VERSION} {shown} (no configured consumer needs a higher one)"),
                ),
                Some(n) if have.is_some_and(|h| h >= n) => plan.already(
                    VERSION,
                    format!("{CROSS_ACCOUNT_VERSION} {shown} >= {n}"),
                ),
                Some(n) => {
                    let why = if needs.cross_account_hybrid {
                        "resources in hybrid access mode are shared with other accounts"
                    } else {
                        "IAM principals of other accounts are consumers"
                    };
                    let target = format!("{CROSS_ACCOUNT_VERSION} >= {n}");
                    if fix {
                        repair.min_cross_account_version = Some(RECOMMENDED_VERSION.max(n));
                        repaired.push((VERSION, target));
                    } else {
                        plan.fail(
                            VERSION,
                            target,
                            format!("{CROSS_ACCOUNT_VERSION} is {shown}, but {why}: version {n} or later is needed"),
                            remedy_version(n),
                        );
                    }
                }
            }
        }
    }

    // IAM_ALLOWED_PRINCIPALS on what is shared.
    if !needs.shared.is_empty() {
        match &p.iam_allowed {
            Err(e) => plan.fail(
                IAM_ALLOWED,
                "IAM_ALLOWED_PRINCIPALS grants",
                e.clone(),
                "Give the function's role lakeformation:ListPermissions",
            ),
            Ok(grants) => {
                for s in &needs.shared {
                    let found: Vec<&LfGrant> = grants
                        .iter()
                        .filter(|g| g.principal == IAM_ALLOWED_PRINCIPALS)
                        .filter(|g| concerns(g, &needs.account, s))
                        .collect();
                    let target = format!(
                        "IAM_ALLOWED_PRINCIPALS holds nothing on database {}:{}",
                        needs.account, s.database
                    );
                    if found.is_empty() {
                        plan.already(IAM_ALLOWED, target);
                    } else if s.hybrid {
                        plan.already(
                            IAM_ALLOWED,
                            format!(
                                "database {}:{} is in hybrid access mode ({} IAM_ALLOWED_PRINCIPALS grant(s) kept)",
                                needs.account,
                                s.database,
                                found.len()
                            ),
                        );
                    } else {
                        for g in found {
                            plan.fail(
                                IAM_ALLOWED,
                                format!("IAM_ALLOWED_PRINCIPALS holds nothing on {}", g.resource),
                                format!(
                                    "IAM_ALLOWED_PRINCIPALS holds {} on {}: access to it is decided by IAM policies, not by the Lake Formation grants lakewarden makes, and cross-account grants on it are refused",
                                    g.permissions.iter().cloned().collect::<Vec<_>>().join(", "),
                                    g.resource
                                ),
                                remedy_iam_allowed(g),
                            );
                        }
                    }
                }
            }
        }
    }

    if !repair.is_empty() {
        for (kind, target) in repaired {
            plan.push_as(kind, target, Action::LfFixSettings(repair.clone()));
        }
    }
    plan
}

/// What sharing a producer's databases needs (catalog-sharer, integration-doctor): every
/// in-scope database, its shared tables (all of them for an All-tables entry), hybrid access
/// mode from `hybrid_access`, and the versions the consumers call for.
pub fn sharing_needs(cfg: &crate::config::Producer, obs: &crate::sharing::Observed) -> Needs {
    use crate::principal::Principal;
    let mut n = Needs {
        account: obs.catalog_id.clone(),
        ..Needs::default()
    };
    for (db, tables) in &obs.databases {
        let shares = crate::sharing::shares_for(cfg, db);
        if shares.is_empty() {
            continue;
        }
        let named = shares.iter().all(|s| s.tables.is_some());
        let tables = named.then(|| {
            tables
                .iter()
                .filter(|t| {
                    shares
                        .iter()
                        .any(|s| s.tables.iter().flatten().any(|g| g.is_match(&t.name)))
                })
                .map(|t| t.name.clone())
                .collect()
        });
        let hybrid = shares.iter().any(|s| s.hybrid_access);
        for s in &shares {
            for c in &s.consumers {
                let other_iam =
                    matches!(c, Principal::Iam { account, .. } if account != &obs.catalog_id);
                let external = other_iam || c.is_external_account_or_org();
                n.cross_account_iam |= other_iam;
                n.cross_account_hybrid |= s.hybrid_access && external;
            }
        }
        n.shared.push(Shared {
            database: db.clone(),
            tables,
            hybrid,
        });
    }
    n
}

/// The `check.lf.*` lines of a sharing run (nothing when the run read no prerequisites).
pub fn sharing_checks<X: ExtAction>(
    cfg: &crate::config::Config,
    producer: &crate::config::Producer,
    obs: &crate::sharing::Observed,
) -> Plan<X> {
    match &obs.lf {
        Some(p) => check(&sharing_needs(producer, obs), p, cfg.fix_lf_settings),
        None => Plan::default(),
    }
}

/// Read what the checks need. `permissions`: every grant of this account's catalog when the
/// function has read them already (then no ListPermissions is made here).
pub async fn observe(aws: &Aws, account: &str, permissions: Option<&LfState>) -> Prereqs {
    let caller = aws.caller_arn().await.map_err(|e| e.to_string());
    let settings = lakeformation::get_data_lake_settings(&aws.lakeformation, account)
        .await
        .map_err(|e| e.to_string());
    let iam_allowed = match permissions {
        Some(all) => Ok(all
            .iter()
            .filter(|g| g.principal == IAM_ALLOWED_PRINCIPALS)
            .collect()),
        None => {
            lakeformation::list_permissions_of(&aws.lakeformation, account, IAM_ALLOWED_PRINCIPALS)
                .await
                .map(|s| s.iter().collect())
                .map_err(|e| e.to_string())
        }
    };
    Prereqs {
        caller,
        settings,
        iam_allowed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::NoExt;

    const ME: &str = "111111111111";
    const CALLER: &str = "arn:aws:sts::111111111111:assumed-role/lakewarden-catalog-sharer/fn";
    const ROLE: &str = "arn:aws:iam::111111111111:role/lakewarden-catalog-sharer";

    fn good() -> Settings {
        Settings {
            admins: vec!["arn:aws:iam::111111111111:role/Admin".into(), ROLE.into()],
            database_defaults: vec![],
            table_defaults: vec![],
            cross_account_version: Some("4".into()),
        }
    }

    fn prereqs(s: Settings, iam_allowed: Vec<LfGrant>) -> Prereqs {
        Prereqs {
            caller: Ok(CALLER.into()),
            settings: Ok(s),
            iam_allowed: Ok(iam_allowed),
        }
    }

    fn needs(iam: bool, hybrid: bool) -> Needs {
        Needs {
            account: ME.into(),
            shared: vec![Shared {
                database: "cur_org".into(),
                tables: None,
                hybrid,
            }],
            cross_account_iam: iam,
            cross_account_hybrid: hybrid && iam,
        }
    }

    fn iam_allowed_on_table(t: &str) -> LfGrant {
        LfGrant::new(
            IAM_ALLOWED_PRINCIPALS,
            LfResource::Table {
                catalog_id: ME.into(),
                database: "cur_org".into(),
                name: t.into(),
            },
            ["ALL"],
            false,
        )
    }

    fn kinds(p: &Plan<NoExt>) -> (Vec<&str>, Vec<&str>) {
        (
            p.already.iter().map(|(k, _)| k.as_str()).collect(),
            p.failed.iter().map(|f| f.action.as_str()).collect(),
        )
    }

    #[test]
    fn an_assumed_role_is_its_role_whatever_the_path() {
        assert!(is_admin(CALLER, &[ROLE.into()]));
        assert!(is_admin(
            CALLER,
            &["arn:aws:iam::111111111111:role/service-role/lakewarden-catalog-sharer".into()]
        ));
        assert!(!is_admin(
            CALLER,
            &["arn:aws:iam::222222222222:role/lakewarden-catalog-sharer".into()]
        ));
        assert!(!is_admin(
            CALLER,
            &["arn:aws:iam::111111111111:user/lakewarden-catalog-sharer".into()]
        ));
        assert!(!is_admin(CALLER, &[]));
        assert_eq!(principal_arn(CALLER).as_deref(), Some(ROLE));
        assert_eq!(
            principal_arn("arn:aws-cn:sts::111111111111:assumed-role/r/s").as_deref(),
            Some("arn:aws-cn:iam::111111111111:role/r")
        );
        assert_eq!(principal_arn("arn:aws:iam::111111111111:root"), None);
    }

    #[test]
    fn every_check_met_is_already() {
        let p: Plan<NoExt> = check(&needs(true, false), &prereqs(good(), vec![]), false);
        let (already, failed) = kinds(&p);
        assert_eq!(already, [ADMIN, DEFAULT_PERMISSIONS, VERSION, IAM_ALLOWED]);
        assert!(failed.is_empty());
        assert!(p.steps.is_empty());
    }

    #[test]
    fn aws_defaults_fail_every_check_with_its_remedy() {
        let fresh = Settings {
            admins: vec![],
            database_defaults: vec![IAM_ALLOWED_PRINCIPALS.into()],
            table_defaults: vec![IAM_ALLOWED_PRINCIPALS.into()],
            cross_account_version: Some("1".into()),
        };
        let p: Plan<NoExt> = check(
            &needs(true, false),
            &prereqs(fresh, vec![iam_allowed_on_table("t1")]),
            false,
        );
        let (already, failed) = kinds(&p);
        assert!(already.is_empty(), "{already:?}");
        assert_eq!(failed, [ADMIN, DEFAULT_PERMISSIONS, VERSION, IAM_ALLOWED]);
        let remedy = |k: &str| {
            p.failed
                .iter()
                .find(|f| f.action == k)
                .unwrap()
                .remedy
                .clone()
        };
        assert!(remedy(ADMIN).contains("Data lake administrators"));
        assert!(remedy(ADMIN).contains(ROLE));
        assert!(remedy(ADMIN).contains("put-data-lake-settings"));
        assert!(remedy(DEFAULT_PERMISSIONS).contains("Use only IAM access control"));
        assert!(remedy(DEFAULT_PERMISSIONS).contains("CreateTableDefaultPermissions"));
        assert!(remedy(VERSION).contains("Version 3"));
        assert!(remedy(VERSION).contains("CROSS_ACCOUNT_VERSION"));
        assert!(remedy(IAM_ALLOWED).contains("revoke-permissions"));
        assert!(remedy(IAM_ALLOWED).contains("\"Name\":\"t1\""));
        assert!(p.steps.is_empty());
    }

    #[test]
    fn with_fix_one_write_repairs_what_the_settings_can_and_reports_each_check() {
        let fresh = Settings {
            admins: vec!["arn:aws:iam::111111111111:role/Admin".into()],
            database_defaults: vec![IAM_ALLOWED_PRINCIPALS.into()],
            table_defaults: vec![],
            cross_account_version: Some("1".into()),
        };
        let p: Plan<NoExt> = check(
            &needs(true, false),
            &prereqs(fresh, vec![iam_allowed_on_table("t1")]),
            true,
        );
        let labels: Vec<String> = p.steps.iter().map(|s| s.label().0).collect();
        assert_eq!(labels, [ADMIN, DEFAULT_PERMISSIONS, VERSION]);
        let fix = SettingsFix {
            add_admin: Some(ROLE.into()),
            clear_default_permissions: true,
            min_cross_account_version: Some(4),
        };
        assert!(p
            .actions()
            .all(|a| a == &Action::LfFixSettings(fix.clone())));
        // Not a setting: reported, never revoked.
        assert_eq!(kinds(&p).1, [IAM_ALLOWED]);
    }

    #[test]
    fn versions_follow_the_consumers() {
        let v = |ver: &str, n: Needs| {
            let s = Settings {
                cross_account_version: Some(ver.into()),
                ..good()
            };
            let p: Plan<NoExt> = check(&n, &prereqs(s, vec![]), false);
            !p.failed.iter().any(|f| f.action == VERSION)
        };
        let accounts_only = Needs {
            cross_account_iam: false,
            ..needs(false, false)
        };
        assert!(v("1", accounts_only));
        assert!(!v("2", needs(true, false)));
        assert!(v("3", needs(true, false)));
        assert!(!v("3", needs(true, true)));
        assert!(v("4", needs(true, true)));
        assert!(v("5", needs(true, true)));
    }

    #[test]
    fn hybrid_access_mode_keeps_iam_allowed_principals() {
        let s = Settings {
            table_defaults: vec![IAM_ALLOWED_PRINCIPALS.into()],
            ..good()
        };
        let p: Plan<NoExt> = check(
            &needs(true, true),
            &prereqs(s, vec![iam_allowed_on_table("t1")]),
            false,
        );
        assert!(p.failed.is_empty(), "{:?}", p.failed);
        assert!(p
            .already
            .iter()
            .any(|(k, t)| k == IAM_ALLOWED && t.contains("hybrid")));
    }

    #[test]
    fn only_the_shared_tables_and_this_catalog_count() {
        let n = Needs {
            shared: vec![Shared {
                database: "cur_org".into(),
                tables: Some(["t2".to_string()].into()),
                hybrid: false,
            }],
            ..needs(false, false)
        };
        let other_catalog = LfGrant::new(
            IAM_ALLOWED_PRINCIPALS,
            LfResource::Table {
                catalog_id: "999999999999".into(),
                database: "cur_org".into(),
                name: "t2".into(),
            },
            ["ALL"],
            false,
        );
        let p: Plan<NoExt> = check(
            &n,
            &prereqs(good(), vec![iam_allowed_on_table("t1"), other_catalog]),
            false,
        );
        assert!(p.failed.is_empty(), "{:?}", p.failed);
        let p: Plan<NoExt> = check(
            &n,
            &prereqs(good(), vec![iam_allowed_on_table("t2")]),
            false,
        );
        assert_eq!(kinds(&p).1, [IAM_ALLOWED]);
    }

    #[test]
    fn unreadable_settings_are_reported_not_fatal() {
        let p: Plan<NoExt> = check(
            &needs(false, false),
            &Prereqs {
                caller: Ok(CALLER.into()),
                settings: Err("AccessDeniedException".into()),
                iam_allowed: Ok(vec![]),
            },
            true,
        );
        assert_eq!(kinds(&p).1, [ADMIN, DEFAULT_PERMISSIONS, VERSION]);
        assert!(p.steps.is_empty());
        assert!(p.failed[0].remedy.contains("GetDataLakeSettings"));
    }
}
