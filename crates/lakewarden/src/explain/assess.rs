//! The pure half of `explain`: from what was read ([`Observed`]) to the steps and the verdict.

use std::collections::BTreeSet;

use super::eval::{evaluate, Decision, NamedPolicy, Request};
use super::observe::{Check, LfSettings, Observed, Resolution};
use super::{Explanation, Step};
use crate::lf::{LfGrant, LfResource, LfState};
use crate::s3loc::S3Location;

const IAM_ALLOWED: &str = "IAM_ALLOWED_PRINCIPALS";

/// Assess every step, in order.
pub fn assess(o: &Observed) -> Explanation {
    let me = o.caller_account.clone().unwrap_or_default();
    let target = o
        .resolution
        .target()
        .map(|(c, d)| (c.to_string(), d.to_string()));
    let cross = target.as_ref().is_some_and(|(c, _)| *c != me);
    let mut steps = Vec::new();
    steps.push(lf_settings(o, &me, target.as_ref(), cross));
    let invitation = ram_invitation(o, target.as_ref(), cross);
    let invitation_failed = invitation.ok == Some(false);
    steps.push(invitation);
    steps.push(glue_link(o, invitation_failed));
    steps.push(link_describe(o, &me));
    let location = location_of(o);
    match &target {
        Some((cat, db)) => {
            let db_res = vec![LfResource::Database {
                catalog_id: cat.clone(),
                name: db.clone(),
            }];
            steps.push(lf_permission(
                o,
                &me,
                cross,
                "lf.database_describe",
                "DESCRIBE",
                &db_res,
                &format!("database {cat}:{db}"),
                &format!("{{\"Database\":{{\"CatalogId\":\"{cat}\",\"Name\":\"{db}\"}}}}"),
            ));
            let t = &o.table.table;
            let table_res = vec![
                LfResource::Table {
                    catalog_id: cat.clone(),
                    database: db.clone(),
                    name: t.clone(),
                },
                LfResource::TableWildcard {
                    catalog_id: cat.clone(),
                    database: db.clone(),
                },
            ];
            let mut sel = lf_permission(
                o,
                &me,
                cross,
                "lf.table_select",
                "SELECT",
                &table_res,
                &format!("table {cat}:{db}.{t}"),
                &format!(
                    "{{\"Table\":{{\"CatalogId\":\"{cat}\",\"DatabaseName\":\"{db}\",\"Name\":\"{t}\"}}}}"
                ),
            );
            if matches!(o.table_info, Ok(None)) && (!cross || o.producer_view) {
                sel = Step::fail(
                    "lf.table_select",
                    format!("table {t} does not exist in database {cat}:{db}"),
                    format!("Check the table name; the tables of {cat}:{db} are listed by `aws glue get-tables --catalog-id {cat} --database-name {db}`"),
                );
            }
            steps.push(sel);
        }
        None => {
            for id in ["lf.database_describe", "lf.table_select"] {
                steps.push(Step::unknown(
                    id,
                    "not checked: the database could not be resolved (see glue.link)",
                    None,
                ));
            }
        }
    }
    let loc_step = lf_location(o, location.as_ref(), cross);
    let registered = loc_step.ok == Some(true);
    steps.push(loc_step);
    let (identity, boundary) = iam_steps(o);
    steps.push(identity);
    steps.push(boundary);
    steps.push(s3_access(o, location.as_ref(), registered, cross));
    let verdict = Explanation::verdict_of(&steps);
    Explanation {
        principal: o.principal.clone(),
        table: o.table.to_string(),
        verdict,
        steps,
    }
}

fn location_of(o: &Observed) -> Option<S3Location> {
    o.table_info
        .as_ref()
        .ok()
        .and_then(|t| t.as_ref())
        .and_then(|t| t.location.as_deref())
        .and_then(S3Location::parse)
}

fn settings_problems(s: &LfSettings, side: &str) -> Vec<String> {
    let mut p = Vec::new();
    if s.iam_allowed_database_default {
        p.push(format!(
            "{side} account {}: CreateDatabaseDefaultPermissions still grant ALL to IAM_ALLOWED_PRINCIPALS",
            s.account
        ));
    }
    if s.iam_allowed_table_default {
        p.push(format!(
            "{side} account {}: CreateTableDefaultPermissions still grant ALL to IAM_ALLOWED_PRINCIPALS",
            s.account
        ));
    }
    p
}

fn version_of(s: &LfSettings) -> Option<u32> {
    s.cross_account_version
        .as_deref()
        .and_then(|v| v.parse().ok())
}

fn lf_settings(o: &Observed, me: &str, target: Option<&(String, String)>, cross: bool) -> Step {
    let id = "lf.settings";
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    let mut unreadable = Vec::new();
    let mut fix_accounts = BTreeSet::new();
    match &o.consumer_settings {
        Ok(s) => {
            let p = settings_problems(s, "principal's");
            if !p.is_empty() {
                fix_accounts.insert(s.account.clone());
            }
            problems.extend(p);
            evidence.push(format!(
                "principal's account {me}: default permissions {}, CROSS_ACCOUNT_VERSION {}",
                if s.iam_allowed_database_default || s.iam_allowed_table_default {
                    "include IAM_ALLOWED_PRINCIPALS"
                } else {
                    "not to IAM_ALLOWED_PRINCIPALS"
                },
                s.cross_account_version.as_deref().unwrap_or("not set")
            ));
        }
        Err(e) => unreadable.push(format!("principal's account settings: {e}")),
    }
    if cross {
        match &o.producer_settings {
            Some(Ok(s)) => {
                let p = settings_problems(s, "producer");
                if !p.is_empty() {
                    fix_accounts.insert(s.account.clone());
                }
                problems.extend(p);
                evidence.push(format!(
                    "producer account {}: default permissions {}, CROSS_ACCOUNT_VERSION {}",
                    s.account,
                    if s.iam_allowed_database_default || s.iam_allowed_table_default {
                        "include IAM_ALLOWED_PRINCIPALS"
                    } else {
                        "not to IAM_ALLOWED_PRINCIPALS"
                    },
                    s.cross_account_version.as_deref().unwrap_or("not set")
                ));
                let pv = version_of(s);
                // Grants straight to an IAM principal of another account need version 3+ on
                // the grantor's side.
                let direct = matches!(&o.producer_grants, Some(Ok(g)) if g.iter().any(|g| g.principal == o.principal_arn));
                if direct && pv.is_some_and(|v| v < 3) {
                    problems.push(format!(
                        "producer account {}: CROSS_ACCOUNT_VERSION {} cannot grant to IAM principals of other accounts (version 3 or higher can)",
                        s.account,
                        pv.unwrap_or(1)
                    ));
                    fix_accounts.insert(s.account.clone());
                }
                if let (Some(1), Ok(c)) = (pv, &o.consumer_settings) {
                    if version_of(c).is_some_and(|v| v >= 3) {
                        problems.push(format!(
                            "producer account {}: CROSS_ACCOUNT_VERSION 1 cannot share with a version {} receiver",
                            s.account,
                            version_of(c).unwrap_or(3)
                        ));
                        fix_accounts.insert(s.account.clone());
                    }
                }
            }
            Some(Err(e)) => unreadable.push(format!("producer settings: {e}")),
            None => evidence
                .push("producer side not read (give --producer-role-arn to check it)".to_string()),
        }
    }
    // IAM_ALLOWED_PRINCIPALS still holding permissions on the database or table itself.
    if let Some((cat, db)) = target {
        let owner_grants = if cross {
            o.producer_grants.as_ref().and_then(|g| g.as_ref().ok())
        } else {
            o.consumer_grants.as_ref().ok()
        };
        if let Some(g) = owner_grants {
            for grant in g.iter().filter(|g| g.principal == IAM_ALLOWED) {
                let on_path = match &grant.resource {
                    LfResource::Database { catalog_id, name } => catalog_id == cat && name == db,
                    LfResource::Table {
                        catalog_id,
                        database,
                        name,
                    } => catalog_id == cat && database == db && *name == o.table.table,
                    LfResource::TableWildcard {
                        catalog_id,
                        database,
                    } => catalog_id == cat && database == db,
                    LfResource::DataLocation { .. } => false,
                };
                if on_path {
                    problems.push(format!(
                        "IAM_ALLOWED_PRINCIPALS holds {} on {}",
                        grant
                            .permissions
                            .iter()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", "),
                        grant.resource
                    ));
                    fix_accounts.insert(cat.clone());
                }
            }
        }
    }
    if !problems.is_empty() {
        let accounts: Vec<String> = fix_accounts.into_iter().collect();
        return Step::fail(
            id,
            format!("{} ({})", problems.join("; "), evidence.join("; ")),
            format!(
                "In account(s) {}: keep the data lake administrators and set both default-permission lists to empty — `aws lakeformation get-data-lake-settings --query DataLakeSettings > s.json`, `jq '.CreateDatabaseDefaultPermissions = [] | .CreateTableDefaultPermissions = []' s.json > new.json`, `aws lakeformation put-data-lake-settings --data-lake-settings file://new.json` — then revoke IAM_ALLOWED_PRINCIPALS' permissions on the database and its tables (Lake Formation refuses cross-account grants while they exist); use CROSS_ACCOUNT_VERSION 3 or higher (4 is AWS's recommendation) when sharing across accounts",
                accounts.join(", ")
            ),
        );
    }
    if !unreadable.is_empty() {
        return Step::unknown(
            id,
            format!("{} ({})", unreadable.join("; "), evidence.join("; ")),
            Some("Give explain lakeformation:GetDataLakeSettings and lakeformation:ListPermissions on each side".into()),
        );
    }
    Step::ok(id, evidence.join("; "))
}

fn ram_invitation(o: &Observed, target: Option<&(String, String)>, cross: bool) -> Step {
    let id = "ram.invitation";
    let Some((producer, db)) = target.filter(|_| cross) else {
        return Step::not_applicable(id, "the table is in the principal's own account");
    };
    let invitations = match &o.invitations {
        Some(Ok(i)) => i,
        Some(Err(e)) => {
            return Step::unknown(
                id,
                format!("RAM invitations not readable: {e}"),
                Some("Give explain ram:GetResourceShareInvitations".into()),
            )
        }
        None => return Step::unknown(id, "RAM invitations not read", None),
    };
    let from: Vec<_> = invitations
        .iter()
        .filter(|i| i.sender == *producer)
        .collect();
    let pending: Vec<_> = from.iter().filter(|i| i.status == "PENDING").collect();
    let visible = matches!(o.target_visible, Some(Ok(true)));
    if !pending.is_empty() && !visible {
        let arns: Vec<&str> = pending.iter().map(|i| i.arn.as_str()).collect();
        return Step::fail(
            id,
            format!(
                "{} invitation(s) from {producer} still PENDING: {} (share {})",
                pending.len(),
                arns.join(", "),
                pending[0].share_name
            ),
            format!(
                "Accept it in account {}: `aws ram accept-resource-share-invitation --resource-share-invitation-arn {}` — or let share-linker accept it (put \"{producer}\" in consumer.trusted_producers)",
                o.caller_account.clone().unwrap_or_default(),
                arns[0]
            ),
        );
    }
    let accepted: Vec<_> = from.iter().filter(|i| i.status == "ACCEPTED").collect();
    if !accepted.is_empty() {
        return Step::ok(
            id,
            format!(
                "invitation from {producer} ACCEPTED ({})",
                accepted
                    .iter()
                    .map(|i| i.share_name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    match &o.target_visible {
        Some(Ok(true)) => Step::ok(
            id,
            format!("no invitation from {producer} is needed: its database {db} is visible to this account (same organization, or a share accepted earlier)"),
        ),
        _ if from.iter().any(|i| i.status == "REJECTED") => Step::fail(
            id,
            format!("the invitation from {producer} was REJECTED"),
            format!("A rejected invitation cannot be accepted: account {producer} must share {db} again (revoke and grant again in Lake Formation), then accept the new invitation"),
        ),
        _ => Step::unknown(
            id,
            format!("no invitation from {producer}, and its database {db} is not visible to this account"),
            Some(format!("Account {producer} must share {db} with this account (see lf.database_describe)")),
        ),
    }
}

fn glue_link(o: &Observed, invitation_failed: bool) -> Step {
    let id = "glue.link";
    match &o.resolution {
        Resolution::Missing { catalog, error } => Step::fail(
            id,
            format!(
                "database {} not found in catalog {catalog}{}",
                o.table.database,
                error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ),
            format!(
                "Create it — for a shared database, a resource link: `aws glue create-database --database-input '{{\"Name\":\"{}\",\"TargetDatabase\":{{\"CatalogId\":\"PRODUCER\",\"DatabaseName\":\"DATABASE\"}}}}'` (share-linker keeps one per configured link)",
                o.table.database
            ),
        ),
        Resolution::Local { .. } => Step::not_applicable(
            id,
            format!("{} is not a resource link", o.table.database),
        ),
        Resolution::Direct { catalog, .. } => Step::not_applicable(
            id,
            format!("the table is addressed in catalog {catalog} directly, not through a resource link"),
        ),
        Resolution::Link {
            link,
            catalog,
            database,
        } => match &o.target_visible {
            None => Step::ok(
                id,
                format!("{link} is a resource link to {catalog}:{database} in the same account"),
            ),
            Some(Ok(true)) => Step::ok(
                id,
                format!("{link} is a resource link to {catalog}:{database}, which this account can see"),
            ),
            Some(Ok(false)) if invitation_failed => Step::unknown(
                id,
                format!("{link} points to {catalog}:{database}, which this account cannot see until the invitation is accepted (see ram.invitation)"),
                None,
            ),
            Some(Ok(false)) => Step::fail(
                id,
                format!("{link} points to {catalog}:{database}, which this account cannot see"),
                format!("Check that account {catalog} shares {database} with this account (lf.database_describe), or point the link at a shared database: `aws glue update-database --name {link} --database-input '{{\"Name\":\"{link}\",\"TargetDatabase\":{{\"CatalogId\":\"{catalog}\",\"DatabaseName\":\"{database}\"}}}}'`"),
            ),
            Some(Err(e)) => Step::unknown(
                id,
                format!("{link} points to {catalog}:{database}; reading it failed: {e}"),
                None,
            ),
        },
    }
}

/// The identifiers an LF grant to this principal or to its account may carry (moto returns
/// principals exactly as granted; AWS uses the account id).
fn account_ids(account: &str) -> Vec<String> {
    vec![account.to_string(), format!("arn:aws:iam::{account}:root")]
}

fn holds(
    state: &LfState,
    who: &[String],
    resources: &[LfResource],
    perm: &str,
    with_grant_option: bool,
) -> Option<LfGrant> {
    state.iter().find(|g| {
        who.contains(&g.principal)
            && resources.contains(&g.resource)
            && (g.permissions.contains(perm) || g.permissions.contains("ALL"))
            && (!with_grant_option || g.grantable.contains(perm) || g.grantable.contains("ALL"))
    })
}

fn link_describe(o: &Observed, me: &str) -> Step {
    let id = "lf.link_describe";
    let Resolution::Link { link, .. } = &o.resolution else {
        return Step::not_applicable(id, format!("{} is not a resource link", o.table.database));
    };
    let res = vec![LfResource::Database {
        catalog_id: me.to_string(),
        name: link.clone(),
    }];
    match &o.consumer_grants {
        Err(e) => Step::unknown(id, format!("Lake Formation permissions not readable: {e}"), None),
        Ok(g) => match holds(g, std::slice::from_ref(&o.principal_arn), &res, "DESCRIBE", false) {
            Some(grant) => Step::ok(id, format!("{grant}")),
            None => Step::fail(
                id,
                format!("{} holds no DESCRIBE on the resource link {me}:{link}", o.principal_arn),
                format!(
                    "`aws lakeformation grant-permissions --principal DataLakePrincipalIdentifier={} --permissions DESCRIBE --resource '{{\"Database\":{{\"CatalogId\":\"{me}\",\"Name\":\"{link}\"}}}}'` (share-linker grants it to the roles of a configured link)",
                    o.principal_arn
                ),
            ),
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn lf_permission(
    o: &Observed,
    me: &str,
    cross: bool,
    id: &str,
    perm: &str,
    resources: &[LfResource],
    what: &str,
    resource_json: &str,
) -> Step {
    let who = std::slice::from_ref(&o.principal_arn);
    let consumer = match &o.consumer_grants {
        Ok(g) => g,
        Err(e) => {
            return Step::unknown(
                id,
                format!("Lake Formation permissions not readable: {e}"),
                None,
            )
        }
    };
    let grant_cmd = |principal: &str, grantable: bool| {
        format!(
            "`aws lakeformation grant-permissions --principal DataLakePrincipalIdentifier={principal} --permissions {perm}{} --resource '{resource_json}'`",
            if grantable {
                format!(" --permissions-with-grant-option {perm}")
            } else {
                String::new()
            }
        )
    };
    if !cross {
        return match holds(consumer, who, resources, perm, false) {
            Some(g) => Step::ok(id, format!("{g}")),
            None => Step::fail(
                id,
                format!("{} holds no {perm} on {what}", o.principal_arn),
                format!("In account {me}: {}", grant_cmd(&o.principal_arn, false)),
            ),
        };
    }
    let producer = o.producer_grants.as_ref().and_then(|g| g.as_ref().ok());
    // Straight from the producer to the principal (cross-account version 3+).
    if let Some(g) = producer.and_then(|p| holds(p, who, resources, perm, false)) {
        return Step::ok(id, format!("granted by the producer directly: {g}"));
    }
    let producer_acct = resources
        .first()
        .map(|r| r.catalog_id().to_string())
        .unwrap_or_default();
    let Some(regrant) = holds(consumer, who, resources, perm, false) else {
        let account_has = producer
            .and_then(|p| holds(p, &account_ids(me), resources, perm, true))
            .map(|g| format!(" (account {me} holds it with the grant option: {g})"))
            .unwrap_or_default();
        return Step::fail(
            id,
            format!(
                "{} holds no {perm} on {what}, neither from this account's re-grant nor from the producer{account_has}",
                o.principal_arn
            ),
            format!(
                "In account {me} (a data lake administrator re-grants what the account received with the grant option): {}",
                grant_cmd(&o.principal_arn, false)
            ),
        );
    };
    // Re-granted by the principal's account: the account must hold it with the grant option.
    match producer {
        Some(p) => match holds(p, &account_ids(me), resources, perm, true) {
            Some(acct) => Step::ok(
                id,
                format!("{regrant}; account {me} received it with the grant option: {acct}"),
            ),
            None => {
                let without = holds(p, &account_ids(me), resources, perm, false);
                Step::fail(
                    id,
                    match &without {
                        Some(g) => format!(
                            "{regrant} is a re-grant, but account {me} holds {perm} on {what} without the grant option ({g}), so the re-grant gives nothing"
                        ),
                        None => format!(
                            "{regrant} is a re-grant, but account {producer_acct} has not granted {perm} on {what} to account {me}"
                        ),
                    },
                    format!(
                        "In account {producer_acct}: {} (catalog-sharer does this for consumers with `grantable: true`)",
                        grant_cmd(me, true)
                    ),
                )
            }
        },
        None => match &o.target_visible {
            Some(Ok(true)) => Step::ok(
                id,
                format!("{regrant}; the producer's side was not read (no --producer-role-arn): account {me} can see {producer_acct}'s database, and Lake Formation only accepts such a re-grant with the grant option"),
            ),
            _ => Step::unknown(
                id,
                format!("{regrant} is a re-grant; whether account {me} holds {perm} on {what} with the grant option cannot be read from this account (give --producer-role-arn)"),
                None,
            ),
        },
    }
}

fn lf_location(o: &Observed, loc: Option<&S3Location>, cross: bool) -> Step {
    let id = "lf.location";
    let Some(loc) = loc else {
        return Step::unknown(
            id,
            match &o.table_info {
                Ok(Some(_)) => "the table has no S3 location".to_string(),
                Ok(None) => "the table could not be read".to_string(),
                Err(e) => format!("the table could not be read: {e}"),
            },
            None,
        );
    };
    let register = format!(
        "Register it (preferred; what scenario S4's addendum does): `aws lakeformation register-resource --resource-arn {} --use-service-linked-role`{}",
        loc.location_arn(),
        if cross { " in the producer account" } else { "" }
    );
    match &o.registered {
        None => Step::unknown(
            id,
            format!("registrations of the producer account not readable without --producer-role-arn; {loc} may not be registered, so s3.access is checked"),
            None,
        ),
        Some(Err(e)) => Step::unknown(
            id,
            format!("registered locations not readable ({e}); s3.access is checked"),
            None,
        ),
        Some(Ok(arns)) => match arns.iter().find(|a| loc.covered_by(a)) {
            Some(a) => Step::ok(
                id,
                format!("{loc} is registered ({a}): Lake Formation vends credentials for it"),
            ),
            None => Step::unknown(
                id,
                format!("{loc} is not registered in Lake Formation: the query reads S3 with the principal's own permissions (s3.access decides)"),
                Some(register),
            ),
        },
    }
}

/// The answer of one check against identity policies and the boundary: from the simulator when
/// it answered, else from lakewarden's evaluator.
struct Answer {
    identity: Option<bool>,
    boundary: Option<bool>,
    identity_by: String,
    boundary_by: String,
}

fn request(o: &Observed, c: &Check) -> Request {
    let mut r = Request::new(
        &c.action,
        &c.resource,
        &o.principal_arn,
        &o.principal_account,
    );
    if let Some(p) = &c.prefix {
        r = r.with_key("s3:prefix", &[p]);
    }
    r
}

fn describe(d: &Decision) -> String {
    match d {
        Decision::Allowed(by) => format!("allowed by {}", by.join(", ")),
        Decision::ExplicitDeny(by) => format!("denied by {}", by.join(", ")),
        Decision::ImplicitDeny => "no statement allows it".into(),
        Decision::Unknown(by) => {
            format!("depends on conditions not known here ({})", by.join(", "))
        }
    }
}

fn answer(o: &Observed, c: &Check) -> Answer {
    let sim = o.simulation.as_ref().ok().and_then(|s| {
        s.iter()
            .find(|x| x.action == c.action && x.resource == c.resource)
    });
    let req = request(o, c);
    let (boundary, boundary_by) = match &o.boundary {
        Ok(None) => (Some(true), "no permissions boundary".to_string()),
        Ok(Some(b)) => match sim.and_then(|s| s.allowed_by_boundary) {
            Some(a) => (Some(a), "iam:SimulatePrincipalPolicy".to_string()),
            None => {
                let d = evaluate(std::slice::from_ref(b), &req, false);
                (
                    d.allowed(),
                    format!("lakewarden evaluator: {}", describe(&d)),
                )
            }
        },
        Err(e) => match sim.and_then(|s| s.allowed_by_boundary) {
            Some(a) => (Some(a), "iam:SimulatePrincipalPolicy".to_string()),
            None => (None, format!("boundary not readable: {e}")),
        },
    };
    let identity_sim = sim.filter(|s| s.allowed_by_boundary != Some(false));
    let (identity, identity_by) = match (identity_sim, &o.identity) {
        (Some(s), _) => (
            Some(s.decision == "allowed"),
            format!("iam:SimulatePrincipalPolicy: {}", s.decision),
        ),
        (None, Ok(policies)) => {
            let d = evaluate(policies, &req, false);
            (
                d.allowed(),
                format!("lakewarden evaluator: {}", describe(&d)),
            )
        }
        (None, Err(e)) => (None, format!("identity policies not readable: {e}")),
    };
    Answer {
        identity,
        boundary,
        identity_by,
        boundary_by,
    }
}

fn evaluator_note(o: &Observed) -> String {
    match &o.simulation {
        Ok(_) => "evaluator: iam:SimulatePrincipalPolicy".into(),
        Err(e) => format!(
            "evaluator: lakewarden's; iam:SimulatePrincipalPolicy did not answer: {}",
            e.chars().take(160).collect::<String>()
        ),
    }
}

fn summarize(items: &[(Option<bool>, String)]) -> Option<bool> {
    if items.iter().any(|(a, _)| *a == Some(false)) {
        Some(false)
    } else if items.iter().any(|(a, _)| a.is_none()) {
        None
    } else {
        Some(true)
    }
}

fn iam_steps(o: &Observed) -> (Step, Step) {
    let glue: Vec<&Check> = o
        .checks
        .iter()
        .filter(|c| !c.action.starts_with("s3:"))
        .collect();
    let answers: Vec<(&Check, Answer)> = glue.iter().map(|c| (*c, answer(o, c))).collect();
    let note = evaluator_note(o);
    let role = &o.principal_arn;

    let id_items: Vec<(Option<bool>, String)> = answers
        .iter()
        .map(|(c, a)| {
            (
                a.identity,
                format!("{} on {}: {}", c.action, c.resource, a.identity_by),
            )
        })
        .collect();
    let identity = match summarize(&id_items) {
        Some(true) => Step::ok(
            "iam.identity",
            format!(
                "identity policies allow {} ({note})",
                distinct_actions(&glue).join(", ")
            ),
        ),
        Some(false) => {
            let missing: Vec<&String> = id_items
                .iter()
                .filter(|(a, _)| *a == Some(false))
                .map(|(_, t)| t)
                .collect();
            let missing_actions: BTreeSet<&str> = answers
                .iter()
                .filter(|(_, a)| a.identity == Some(false))
                .map(|(c, _)| c.action.as_str())
                .collect();
            Step::fail(
                "iam.identity",
                format!(
                    "not allowed: {} ({note})",
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                format!(
                    "Add to {role} an identity policy allowing {} on the catalog, database and table ARNs above (lakeformation:GetDataAccess on \"*\")",
                    missing_actions.into_iter().collect::<Vec<_>>().join(", ")
                ),
            )
        }
        None => Step::unknown(
            "iam.identity",
            format!(
                "cannot tell: {} ({note})",
                id_items
                    .iter()
                    .filter(|(a, _)| a.is_none())
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            None,
        ),
    };

    let boundary_name = match &o.boundary {
        Ok(Some(b)) => b.name.clone(),
        Ok(None) => String::new(),
        Err(_) => "the boundary".into(),
    };
    let b_items: Vec<(Option<bool>, String)> = answers
        .iter()
        .map(|(c, a)| {
            (
                a.boundary,
                format!("{} on {}: {}", c.action, c.resource, a.boundary_by),
            )
        })
        .collect();
    let boundary = if matches!(o.boundary, Ok(None)) {
        Step::ok(
            "iam.boundary",
            format!("{role} has no permissions boundary"),
        )
    } else {
        match summarize(&b_items) {
            Some(true) => Step::ok(
                "iam.boundary",
                format!(
                    "{boundary_name} allows {} ({note})",
                    distinct_actions(&glue).join(", ")
                ),
            ),
            Some(false) => Step::fail(
                "iam.boundary",
                format!(
                    "{boundary_name} does not allow: {} ({note})",
                    b_items
                        .iter()
                        .filter(|(a, _)| *a == Some(false))
                        .map(|(_, t)| t.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                format!("Attach a boundary that also allows these actions (a copy of {boundary_name} widened for them; datazone-subscriber's boundary_copy does this for S3 prefixes) — never just remove the boundary"),
            ),
            None => Step::unknown(
                "iam.boundary",
                format!(
                    "cannot tell: {} ({note})",
                    b_items
                        .iter()
                        .filter(|(a, _)| a.is_none())
                        .map(|(_, t)| t.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                None,
            ),
        }
    };
    (identity, boundary)
}

fn distinct_actions(checks: &[&Check]) -> Vec<String> {
    let mut v: Vec<String> = checks.iter().map(|c| c.action.clone()).collect();
    v.dedup();
    let set: BTreeSet<String> = v.into_iter().collect();
    set.into_iter().collect()
}

fn s3_access(o: &Observed, loc: Option<&S3Location>, registered: bool, cross: bool) -> Step {
    let id = "s3.access";
    if registered {
        return Step::not_applicable(
            id,
            "the location is registered: Lake Formation vends the credentials (lf.location)",
        );
    }
    let Some(loc) = loc else {
        return Step::unknown(id, "the table's S3 location is not known", None);
    };
    let s3: Vec<&Check> = o
        .checks
        .iter()
        .filter(|c| c.action.starts_with("s3:"))
        .collect();
    let note = evaluator_note(o);
    let mut items = Vec::new();
    let mut blockers = BTreeSet::new();
    for c in &s3 {
        let a = answer(o, c);
        let req = request(o, c);
        let (bucket, bucket_by) = match &o.bucket_policy {
            None => (
                None,
                "bucket policy not readable without --producer-role-arn".to_string(),
            ),
            Some(Err(e)) => (None, format!("bucket policy not readable: {e}")),
            Some(Ok(None)) => (Some(Decision::ImplicitDeny), "no bucket policy".to_string()),
            Some(Ok(Some(doc))) => {
                let d = evaluate(
                    &[NamedPolicy {
                        name: format!("bucket policy of {}", loc.bucket),
                        document: doc.clone(),
                    }],
                    &req,
                    true,
                );
                let t = describe(&d);
                (Some(d), format!("bucket policy: {t}"))
            }
        };
        let bucket_allows = bucket.as_ref().and_then(|d| d.allowed());
        let bucket_denies = matches!(bucket, Some(Decision::ExplicitDeny(_)));
        let granted = if cross {
            // Another account's bucket: both the identity policy and the bucket policy.
            match (a.identity, bucket_allows) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            }
        } else if bucket_denies {
            Some(false)
        } else {
            match (a.identity, bucket_allows) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            }
        };
        let ok = match (granted, a.boundary) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        };
        if a.boundary == Some(false) {
            blockers.insert("the permissions boundary".to_string());
        }
        if a.identity == Some(false) && (cross || bucket_allows != Some(true)) {
            blockers.insert("the identity policy".to_string());
        }
        if bucket_denies || (cross && bucket_allows == Some(false)) {
            blockers.insert("the bucket policy".to_string());
        }
        let what = match &c.prefix {
            Some(p) => format!("{} on {} (s3:prefix {p})", c.action, c.resource),
            None => format!("{} on {}*", c.action, c.resource),
        };
        items.push((
            ok,
            format!(
                "{what}: identity {}; boundary {}; {bucket_by}",
                a.identity_by, a.boundary_by
            ),
        ));
    }
    let register = format!(
        "register {loc} in Lake Formation (preferred, as scenario S4's addendum does: `aws lakeformation register-resource --resource-arn {} --use-service-linked-role`{}; Lake Formation then vends credentials for the table's grants)",
        loc.location_arn(),
        if cross { " in the producer account" } else { "" }
    );
    match summarize(&items) {
        Some(true) => Step::ok(
            id,
            format!(
                "{} ({note})",
                items.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join("; ")
            ),
        ),
        Some(false) => Step::fail(
            id,
            format!(
                "{loc} is not registered and S3 refuses: {} ({note})",
                items
                    .iter()
                    .filter(|(a, _)| *a == Some(false))
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            format!(
                "Either {register}; or change {} to allow s3:GetObject on {} and s3:ListBucket on {} for s3:prefix {}* (for a boundary: attach a widened copy, never remove it)",
                if blockers.is_empty() {
                    "the policy that blocks".to_string()
                } else {
                    blockers.into_iter().collect::<Vec<_>>().join(" and ")
                },
                loc.objects_arn(),
                loc.bucket_arn(),
                loc.prefix
            ),
        ),
        None => Step::unknown(
            id,
            format!(
                "cannot tell: {} ({note})",
                items
                    .iter()
                    .filter(|(a, _)| a.is_none())
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Some(format!("Either {register}, or check the policies named above")),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::glue::TableInfo;
    use crate::aws::ram::Invitation;
    use crate::explain::observe::{glue_checks, s3_checks, LfSettings};
    use crate::explain::{TableRef, Verdict};
    use serde_json::json;

    const C: &str = "222222222222";
    const P: &str = "111111111111";
    const ROLE: &str = "arn:aws:iam::222222222222:role/glue-job";

    fn settings(account: &str) -> LfSettings {
        LfSettings {
            account: account.into(),
            cross_account_version: Some("4".into()),
            ..Default::default()
        }
    }

    fn grant(principal: &str, r: LfResource, perms: &[&str], grantable: bool) -> LfGrant {
        LfGrant::new(principal, r, perms.iter().copied(), grantable)
    }

    /// The cross-account chain through a link, everything in place, producer side read.
    fn cross() -> Observed {
        let db = |c: &str, n: &str| LfResource::Database {
            catalog_id: c.into(),
            name: n.into(),
        };
        let table = LfResource::Table {
            catalog_id: P.into(),
            database: "cur_org".into(),
            name: "daily".into(),
        };
        let loc = S3Location::parse("s3://cur-data/cur/daily/").unwrap();
        let mut checks = glue_checks(
            "us-east-1",
            &[
                (C.into(), "cur_org_linked".into(), "daily".into()),
                (P.into(), "cur_org".into(), "daily".into()),
            ],
        );
        checks.extend(s3_checks(&loc));
        Observed {
            principal: ROLE.into(),
            principal_arn: ROLE.into(),
            principal_account: C.into(),
            is_role: true,
            caller_account: Ok(C.into()),
            region: "us-east-1".into(),
            table: TableRef::parse("cur_org_linked.daily").unwrap(),
            resolution: Resolution::Link {
                link: "cur_org_linked".into(),
                catalog: P.into(),
                database: "cur_org".into(),
            },
            target_visible: Some(Ok(true)),
            producer_view: true,
            table_info: Ok(Some(TableInfo {
                database: "cur_org".into(),
                name: "daily".into(),
                location: Some("s3://cur-data/cur/daily/".into()),
            })),
            table_seen_from: "principal's account",
            consumer_settings: Ok(settings(C)),
            producer_settings: Some(Ok(settings(P))),
            invitations: Some(Ok(vec![Invitation {
                arn: "arn:aws:ram:us-east-1:111111111111:resource-share-invitation/x".into(),
                sender: P.into(),
                share_name: "LakeFormation-V3-x".into(),
                share_arn: "arn:aws:ram:us-east-1:111111111111:resource-share/x".into(),
                status: "ACCEPTED".into(),
            }])),
            consumer_grants: Ok([
                grant(ROLE, db(C, "cur_org_linked"), &["DESCRIBE"], false),
                grant(ROLE, db(P, "cur_org"), &["DESCRIBE"], false),
                grant(ROLE, table.clone(), &["SELECT"], false),
            ]
            .into_iter()
            .collect()),
            producer_grants: Some(Ok([
                grant(C, db(P, "cur_org"), &["DESCRIBE"], true),
                grant(C, table, &["SELECT", "DESCRIBE"], true),
            ]
            .into_iter()
            .collect())),
            registered: Some(Ok(vec!["arn:aws:s3:::cur-data/cur".into()])),
            identity: Ok(vec![NamedPolicy {
                name: "inline policy analytics".into(),
                document: json!({"Statement": [{"Effect": "Allow", "Action": ["glue:Get*", "lakeformation:GetDataAccess"], "Resource": "*"}]}),
            }]),
            boundary: Ok(None),
            checks,
            simulation: Err("InvalidAction: not implemented".into()),
            bucket_policy: Some(Ok(None)),
        }
    }

    #[test]
    fn the_whole_chain_in_place_is_allowed() {
        let e = assess(&cross());
        assert_eq!(e.verdict, Verdict::Allowed, "{e:#?}");
        assert!(!e.step("s3.access").unwrap().applies);
        assert!(e
            .step("iam.identity")
            .unwrap()
            .evidence
            .contains("SimulatePrincipalPolicy did not answer"));
    }

    #[test]
    fn a_re_grant_without_the_accounts_grant_option_fails_at_table_select() {
        let mut o = cross();
        let mut g: Vec<LfGrant> = o.producer_grants.clone().unwrap().unwrap().iter().collect();
        for x in &mut g {
            x.grantable.clear();
        }
        o.producer_grants = Some(Ok(g.into_iter().collect()));
        let e = assess(&o);
        assert_eq!(e.verdict, Verdict::Denied);
        let failing: Vec<&str> = e
            .steps
            .iter()
            .filter(|s| s.ok == Some(false))
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(failing, vec!["lf.database_describe", "lf.table_select"]);
        assert!(e
            .step("lf.table_select")
            .unwrap()
            .fix
            .as_deref()
            .unwrap()
            .contains(&format!("DataLakePrincipalIdentifier={C}")));
    }

    #[test]
    fn the_simulator_answers_when_it_can() {
        let mut o = cross();
        o.identity = Err("not read".into());
        o.simulation = Ok(o
            .checks
            .iter()
            .map(|c| super::super::observe::Simulated {
                action: c.action.clone(),
                resource: c.resource.clone(),
                decision: if c.action == "glue:GetTable" {
                    "implicitDeny".into()
                } else {
                    "allowed".into()
                },
                allowed_by_boundary: None,
            })
            .collect());
        let e = assess(&o);
        let s = e.step("iam.identity").unwrap();
        assert_eq!(s.ok, Some(false), "{s:?}");
        assert!(
            s.evidence
                .contains("evaluator: iam:SimulatePrincipalPolicy"),
            "{s:?}"
        );
        assert!(s.fix.as_deref().unwrap().contains("glue:GetTable"));
    }

    #[test]
    fn an_unregistered_location_is_decided_by_s3() {
        let mut o = cross();
        o.registered = Some(Ok(vec![]));
        // Another account's bucket without a bucket policy: S3 refuses.
        let e = assess(&o);
        assert_eq!(e.step("lf.location").unwrap().ok, None);
        let s = e.step("s3.access").unwrap();
        assert_eq!(s.ok, Some(false), "{s:?}");
        assert!(s.fix.as_deref().unwrap().contains("register-resource"));
        // A bucket policy for the consumer account and an identity policy for S3: allowed.
        o.bucket_policy = Some(Ok(Some(json!({"Statement": [{"Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{C}:root")},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": ["arn:aws:s3:::cur-data", "arn:aws:s3:::cur-data/*"]}]}))));
        o.identity = Ok(vec![NamedPolicy {
            name: "inline".into(),
            document: json!({"Statement": [{"Effect": "Allow", "Action": ["glue:Get*", "lakeformation:GetDataAccess", "s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}),
        }]);
        let e = assess(&o);
        assert_eq!(e.verdict, Verdict::Allowed, "{e:#?}");
    }
    #[test]
    fn account_grants_match_by_id_or_root_arn() {
        // moto (and old grants) keep the principal as it was written: the account id or its
        // root ARN.
        let mut o = cross();
        let g: Vec<LfGrant> = o
            .producer_grants
            .clone()
            .unwrap()
            .unwrap()
            .iter()
            .map(|mut g| {
                g.principal = format!("arn:aws:iam::{C}:root");
                g
            })
            .collect();
        o.producer_grants = Some(Ok(g.into_iter().collect()));
        assert_eq!(assess(&o).verdict, Verdict::Allowed);
    }

    #[test]
    fn iam_allowed_principals_on_the_table_fails_the_settings_step() {
        let mut o = cross();
        let mut g = o.producer_grants.clone().unwrap().unwrap();
        g.add(grant(
            IAM_ALLOWED,
            LfResource::Table {
                catalog_id: P.into(),
                database: "cur_org".into(),
                name: "daily".into(),
            },
            &["ALL"],
            false,
        ));
        o.producer_grants = Some(Ok(g));
        let e = assess(&o);
        let s = e.step("lf.settings").unwrap();
        assert_eq!(s.ok, Some(false), "{s:?}");
        assert!(
            s.evidence.contains("IAM_ALLOWED_PRINCIPALS holds ALL"),
            "{s:?}"
        );
        assert!(s.fix.as_deref().unwrap().contains(P));
    }
}
