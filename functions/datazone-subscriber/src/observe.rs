//! Read what the DataZone plans need, once.

use lakewarden::aws::{datazone, glue, iam, lakeformation, Aws, AwsError, AwsResult};
use lakewarden::config::DataZone;
use lakewarden::policy;
use serde_json::Value;

use crate::plan::{
    boundary_copy_name, copy_source, EnvObserved, GrantObserved, Request, POLICY_NAME,
};

fn doc(text: &str) -> AwsResult<Value> {
    policy::parse_document(text).map_err(|e| AwsError::new(Some("MalformedPolicy"), e.to_string()))
}

async fn role_arn_of(aws: &Aws, domain: &str, env: &str, account: &str) -> AwsResult<String> {
    let e = datazone::get_environment(&aws.datazone, domain, env).await?;
    let role = e.user_role_arn.ok_or_else(|| {
        AwsError::new(
            Some("NoUserRole"),
            format!("environment {env} has no userRoleArn among its provisioned resources"),
        )
    })?;
    if role.split(':').nth(4) != Some(account) {
        return Err(AwsError::new(Some("OtherAccount"), format!("the user role {role} of environment {env} is not in this account ({account}); deploy datazone-subscriber in the environment's account")));
    }
    Ok(role)
}

async fn role_policy(aws: &Aws, role: &str) -> AwsResult<Option<Value>> {
    iam::get_role_policy(&aws.iam, iam::role_name(role), POLICY_NAME)
        .await?
        .map(|t| doc(&t))
        .transpose()
}

pub async fn environment(aws: &Aws, cfg: &DataZone, r: &Request) -> AwsResult<EnvObserved> {
    let account = aws.account_id().await?;
    let role_arn = role_arn_of(aws, &r.domain, &r.id, &account).await?;
    let registered = lakeformation::list_resources(&aws.lakeformation).await?;
    let permissions = lakeformation::list_permissions(&aws.lakeformation, &account).await?;
    let mut databases_present = Vec::new();
    for d in &cfg.databases {
        if glue::get_database(&aws.glue, None, d).await?.is_some() {
            databases_present.push(d.clone());
        }
    }
    let role = iam::get_role(&aws.iam, iam::role_name(&role_arn))
        .await?
        .ok_or_else(|| {
            AwsError::new(
                Some("NoSuchEntity"),
                format!("role {role_arn} does not exist"),
            )
        })?;
    let boundary_doc = match &role.boundary_arn {
        Some(arn) => match iam::get_managed_policy(&aws.iam, arn).await? {
            Some(p) => Some(doc(&p.document)?),
            None => None,
        },
        None => None,
    };
    let copy_arn = format!(
        "arn:aws:iam::{account}:policy/{}",
        boundary_copy_name(&role_arn)
    );
    let copy = match iam::get_managed_policy(&aws.iam, &copy_arn).await? {
        Some(p) => {
            let versions = iam::list_policy_versions(&aws.iam, &copy_arn)
                .await?
                .into_iter()
                .map(|(v, d, _)| (v, d))
                .collect();
            Some((copy_arn, doc(&p.document)?, versions))
        }
        None => None,
    };
    let copy_source = match &copy {
        Some((arn, _, _)) if role.boundary_arn.as_deref() == Some(arn.as_str()) => {
            match iam::policy_description(&aws.iam, arn)
                .await?
                .as_deref()
                .and_then(copy_source)
            {
                Some(source) => iam::get_managed_policy(&aws.iam, &source)
                    .await?
                    .map(|p| doc(&p.document).map(|d| (source, d)))
                    .transpose()?,
                None => None,
            }
        }
        _ => None,
    };
    Ok(EnvObserved {
        copy_source,
        role_policy: role_policy(aws, &role_arn).await?,
        account,
        region: aws.region.clone(),
        role_arn,
        registered,
        permissions,
        databases_present,
        boundary_arn: role.boundary_arn,
        boundary_doc,
        copy,
    })
}

/// The subscription target, to decide whether lakewarden fulfils it.
pub async fn target(aws: &Aws, r: &Request) -> AwsResult<datazone::SubscriptionTarget> {
    let (t, env) = r.target.clone().unwrap_or_default();
    datazone::get_subscription_target(&aws.datazone, &r.domain, &env, &t).await
}

pub async fn grant(
    aws: &Aws,
    r: &Request,
    target: &datazone::SubscriptionTarget,
) -> AwsResult<GrantObserved> {
    let account = aws.account_id().await?;
    let (listing_id, revision) = r.listing.clone().unwrap_or_default();
    let (_, env) = r.target.clone().unwrap_or_default();
    let listing =
        datazone::get_glue_listing(&aws.datazone, &r.domain, &listing_id, revision.as_deref())
            .await?;
    let role_arn = role_arn_of(aws, &r.domain, &env, &account).await?;
    let catalog = listing
        .catalog_id
        .clone()
        .unwrap_or_else(|| account.clone());
    let foreign = (catalog != account).then_some(catalog.as_str());
    let table = glue::get_table(&aws.glue, foreign, &listing.database, &listing.table).await?;
    let target_database = target.database.clone().unwrap_or_default();
    let link_exists = if foreign.is_some() && !target_database.is_empty() {
        glue::get_table(
            &aws.glue,
            None,
            &target_database,
            &format!("{}_{}", listing.database, listing.table),
        )
        .await
        .ok()
        .flatten()
        .is_some()
    } else {
        false
    };
    // Another grant of the same listing to the same target that is still granted keeps the
    // shared pieces (LF table grant, link) when this one is revoked.
    let other_grant_holds_table = if r.kind == crate::plan::Kind::Revoke {
        datazone::list_target_grants(&aws.datazone, &r.domain, &target.id)
            .await?
            .iter()
            .any(|g| {
                g.id != r.id
                    && g.listing.as_ref().map(|(l, _)| l) == Some(&listing_id)
                    && g.assets.iter().any(|(_, s)| s == "GRANTED")
            })
    } else {
        false
    };
    Ok(GrantObserved {
        other_grant_holds_table,
        permissions: lakeformation::list_permissions(&aws.lakeformation, &account).await?,
        role_policy: role_policy(aws, &role_arn).await?,
        grant_status: datazone::grant_asset_status(
            &aws.datazone,
            &r.domain,
            &r.id,
            &listing.asset_id,
        )
        .await?,
        account,
        grant: r.id.clone(),
        asset: listing.asset_id,
        role_arn,
        target_database,
        catalog,
        table,
        database: listing.database,
        table_name: listing.table,
        link_exists,
    })
}
