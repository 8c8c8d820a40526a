//! The one action vocabulary every function plans in, and the plan that carries it.
//!
//! Shared writes (Lake Formation, resource policies of every kind, Glue links, RAM, DataZone
//! grant status) are variants of [`Action`]; what only one function does plugs in as
//! [`Action::Ext`] through [`ExtAction`], so the driver in [`super::apply`] is never copied.

use std::fmt::Debug;
use std::future::Future;

use serde::Serialize;
use serde_json::Value;

use crate::aws::{Aws, AwsResult};
use crate::lf::LfGrant;

use super::policy_write::PolicyWrite;

/// When an action runs relative to the others. The driver runs phases in this order and, within
/// a phase, actions in plan order (Lake Formation grants and revokes batched by ≤ 20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Invitations, location registrations, new RAM shares, prerequisites.
    Prepare,
    /// Glue resource links (grants on a link need the link).
    Link,
    /// Lake Formation grants.
    Grant,
    /// Resource policies, RAM associations and most function-specific writes.
    Write,
    /// Lake Formation revokes, RAM disassociations.
    Revoke,
    /// Deleting links (after the grants on them are gone).
    Unlink,
    /// Reporting back (DataZone grant status) and state records: after everything they describe.
    Finally,
}

/// What a successful write found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// Written now.
    Applied,
    /// It already was as it should be (AlreadyExists on create, NotFound on delete, …).
    Already,
}

/// What the driver shares with function-specific actions during one apply.
#[derive(Debug, Default)]
pub struct ApplyState {
    /// The first failure of this apply (`kind target: error`), for actions that report it.
    pub first_error: Option<String>,
    /// The first failure of each unit (see [`Step::unit`]), for actions that report it.
    pub first_error_of: std::collections::BTreeMap<String, String>,
    /// Values one action leaves for a later one (e.g. the ARN of an export just started).
    pub scratch: std::collections::BTreeMap<String, String>,
    /// What a person must know from this apply (e.g. removals held back by the cap).
    pub attention: Vec<String>,
}

/// A function-specific write that plugs into the shared driver.
pub trait ExtAction: Clone + PartialEq + Debug + Serialize + Send + Sync {
    /// Report kind, e.g. `dynamodb.export_table`.
    fn kind(&self) -> &'static str;
    /// What it acts on, readable.
    fn target(&self) -> String;
    /// What a person should do when it fails.
    fn remedy(&self) -> String;
    fn phase(&self) -> Phase {
        Phase::Write
    }
    fn apply<'a>(
        &'a self,
        aws: &'a Aws,
        state: &'a mut ApplyState,
    ) -> impl Future<Output = AwsResult<Done>> + Send + 'a;
}

/// No function-specific actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum NoExt {}

impl ExtAction for NoExt {
    fn kind(&self) -> &'static str {
        match *self {}
    }
    fn target(&self) -> String {
        match *self {}
    }
    fn remedy(&self) -> String {
        match *self {}
    }
    #[allow(clippy::manual_async_fn)]
    fn apply<'a>(
        &'a self,
        _aws: &'a Aws,
        _state: &'a mut ApplyState,
    ) -> impl Future<Output = AwsResult<Done>> + Send + 'a {
        async move { match *self {} }
    }
}

/// A Glue resource link lakewarden creates or deletes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "link", rename_all = "snake_case")]
pub enum Link {
    /// A database resource link `name` → `producer:database`.
    Database {
        name: String,
        producer: String,
        database: String,
    },
    /// A table resource link `database.name` → `catalog:target_database.table`.
    Table {
        database: String,
        name: String,
        catalog: String,
        target_database: String,
        table: String,
        /// Written as the link's `Parameters {"lakewarden:managed-by": …}` when set.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        managed_by: Option<String>,
    },
}

impl Link {
    pub fn describe(&self) -> String {
        match self {
            Link::Database {
                name,
                producer,
                database,
            } => format!("{name} -> {producer}:{database}"),
            Link::Table {
                database,
                name,
                catalog,
                target_database,
                table,
                ..
            } => format!("{database}.{name} -> {catalog}:{target_database}.{table}"),
        }
    }
}

/// One write lakewarden may make.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action<X = NoExt> {
    LfGrant(LfGrant),
    LfRevoke(LfGrant),
    /// Register an S3 location in Lake Formation (service-linked role unless `role_arn`).
    LfRegister {
        arn: String,
        role_arn: Option<String>,
    },
    /// Read-modify-write of the account's data lake settings (`fix_lf_settings`): what the fix
    /// names changes, every other administrator and field is kept.
    LfFixSettings(crate::lfsettings::SettingsFix),
    /// Put or delete a resource policy of any kind, merged by Sid into the document as it is
    /// right before the write.
    Policy(PolicyWrite),
    CreateLink(Link),
    DeleteLink(Link),
    RamAccept {
        arn: String,
        sender: String,
        share: String,
    },
    RamCreateShare {
        name: String,
        resources: Vec<String>,
        principals: Vec<String>,
    },
    RamAssociate {
        name: String,
        arn: String,
        resources: Vec<String>,
        principals: Vec<String>,
    },
    RamDisassociate {
        name: String,
        arn: String,
        resources: Vec<String>,
        principals: Vec<String>,
    },
    /// Turn DynamoDB point-in-time recovery on for a table (exports and zero-ETL need it).
    DynamoEnablePitr {
        table: String,
    },
    /// Tell DataZone how a subscription grant went. With `downgrade_on_failure`, a GRANTED /
    /// REVOKED becomes GRANT_FAILED / REVOKE_FAILED with the first failure of this apply.
    DataZoneGrantStatus {
        domain: String,
        grant: String,
        asset: String,
        status: String,
        failure: Option<String>,
        target_name: Option<String>,
        downgrade_on_failure: bool,
    },
    Ext(X),
}

impl<X: ExtAction> Action<X> {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::LfGrant(_) => "lakeformation.grant",
            Action::LfRevoke(_) => "lakeformation.revoke",
            Action::LfRegister { .. } => "lakeformation.register_location",
            Action::LfFixSettings(_) => "lakeformation.put_data_lake_settings",
            Action::Policy(p) => p.kind(),
            Action::CreateLink(_) => "glue.create_resource_link",
            Action::DeleteLink(_) => "glue.delete_resource_link",
            Action::RamAccept { .. } => "ram.accept_invitation",
            Action::RamCreateShare { .. } => "ram.create_share",
            Action::RamAssociate { .. } => "ram.associate",
            Action::RamDisassociate { .. } => "ram.disassociate",
            Action::DataZoneGrantStatus { .. } => "datazone.grant_status",
            Action::DynamoEnablePitr { .. } => "dynamodb.enable_pitr",
            Action::Ext(x) => x.kind(),
        }
    }

    pub fn target(&self) -> String {
        match self {
            Action::LfGrant(g) | Action::LfRevoke(g) => g.to_string(),
            Action::LfRegister { arn, role_arn } => match role_arn {
                Some(r) => format!("{arn} (role {r})"),
                None => arn.clone(),
            },
            Action::LfFixSettings(f) => f.describe(),
            Action::Policy(p) => p.target.describe(),
            Action::CreateLink(l) | Action::DeleteLink(l) => l.describe(),
            Action::RamAccept { sender, share, .. } => {
                format!("invitation to share {share} from {sender}")
            }
            Action::RamCreateShare {
                name,
                resources,
                principals,
            }
            | Action::RamAssociate {
                name,
                resources,
                principals,
                ..
            }
            | Action::RamDisassociate {
                name,
                resources,
                principals,
                ..
            } => format!(
                "share {name}: resources [{}] principals [{}]",
                resources.join(", "),
                principals.join(", ")
            ),
            Action::DataZoneGrantStatus {
                grant,
                asset,
                status,
                ..
            } => format!("grant {grant} asset {asset} -> {status}"),
            Action::DynamoEnablePitr { table } => format!("table {table}"),
            Action::Ext(x) => x.target(),
        }
    }

    pub fn phase(&self) -> Phase {
        match self {
            Action::LfRegister { .. }
            | Action::LfFixSettings(_)
            | Action::RamAccept { .. }
            | Action::RamCreateShare { .. }
            | Action::DynamoEnablePitr { .. } => Phase::Prepare,
            Action::CreateLink(_) => Phase::Link,
            Action::LfGrant(_) => Phase::Grant,
            Action::Policy(_) | Action::RamAssociate { .. } => Phase::Write,
            Action::LfRevoke(_) | Action::RamDisassociate { .. } => Phase::Revoke,
            Action::DeleteLink(_) => Phase::Unlink,
            Action::DataZoneGrantStatus { .. } => Phase::Finally,
            Action::Ext(x) => x.phase(),
        }
    }

    /// What a person should do when this action fails.
    pub fn remedy(&self) -> String {
        match self {
            Action::LfGrant(g) => format!(
                "Make the function's role a Lake Formation data lake administrator (or give it {} with grant option), check that {} exists, then let the next scheduled run retry",
                g.permissions.iter().cloned().collect::<Vec<_>>().join(", "),
                g.resource
            ),
            Action::LfRevoke(g) => format!(
                "Revoke by hand if it is still held: aws lakeformation revoke-permissions for {} on {}",
                g.principal, g.resource
            ),
            Action::LfRegister { arn, role_arn: None } => format!(
                "Register {arn} in Lake Formation with the service-linked role (aws lakeformation register-resource --resource-arn {arn} --use-service-linked-role); the function's role needs iam:PutRolePolicy on AWSServiceRoleForLakeFormationDataAccess"
            ),
            Action::LfRegister { arn, role_arn: Some(r) } => format!(
                "Register {arn} in Lake Formation with the role {r} (aws lakeformation register-resource --resource-arn {arn} --role-arn {r}); the function's role needs iam:PassRole on it"
            ),
            Action::LfFixSettings(f) => format!(
                "Change the data lake settings by hand ({}): Lake Formation console → Administration; or aws lakeformation get-data-lake-settings, edit, put-data-lake-settings with the whole document. The function's role needs lakeformation:GetDataLakeSettings and lakeformation:PutDataLakeSettings for fix_lf_settings",
                f.describe()
            ),
            Action::Policy(p) => p.remedy(),
            Action::CreateLink(l) => format!(
                "Create the resource link {} by hand (aws glue create-database / create-table with TargetDatabase / TargetTable), or give the function's role glue:CreateDatabase / glue:CreateTable",
                l.describe()
            ),
            Action::DeleteLink(l) => format!(
                "Delete the resource link {} by hand, or give the function's role glue:DeleteDatabase / glue:DeleteTable",
                l.describe()
            ),
            Action::RamAccept { arn, .. } => format!(
                "Accept the invitation by hand: aws ram accept-resource-share-invitation --resource-share-invitation-arn {arn}"
            ),
            Action::RamCreateShare { name, .. }
            | Action::RamAssociate { name, .. }
            | Action::RamDisassociate { name, .. } => format!(
                "Check the RAM share {name} in the RAM console (sharing with the organization must be enabled for organization principals)"
            ),
            Action::DataZoneGrantStatus { grant, .. } => format!(
                "Check the subscription grant {grant} in the DataZone portal; the function's role needs datazone:UpdateSubscriptionGrantStatus in the domain"
            ),
            Action::DynamoEnablePitr { table } => format!(
                "Enable point-in-time recovery by hand (aws dynamodb update-continuous-backups --table-name {table} --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true), or give the function's role dynamodb:UpdateContinuousBackups"
            ),
            Action::Ext(x) => x.remedy(),
        }
    }
}

/// Something left undone on purpose, with the reason (and what a person can do).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skip {
    pub action: String,
    pub target: String,
    pub reason: String,
    pub remedy: Option<String>,
}

/// Something that failed before any write (an item whose state could not be read).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    pub action: String,
    pub target: String,
    pub error: String,
    pub remedy: String,
}

/// One planned action, possibly reported under another name (a check it fixes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step<X = NoExt> {
    pub action: Action<X>,
    /// (kind, target) to report instead of the action's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_as: Option<(String, String)>,
    /// The phase to run in instead of the action's own (e.g. a DataZone `GRANT_IN_PROGRESS`
    /// reported in [`Phase::Prepare`], before the work it announces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// What the step is part of (e.g. one subscription grant among several in a run): a
    /// `DataZoneGrantStatus` with `downgrade_on_failure` in a unit is downgraded only by the
    /// failures of that unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The ledger entry the driver writes around this step: intent before the AWS write, result
    /// after it (issue 11 §5; see [`crate::ledger`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<crate::ledger::Note>,
    /// How many removals this step makes, when it is one that [`Step::removals`] cannot tell
    /// from the action (e.g. a policy write that drops statements): counted against
    /// `max_removals_per_run`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removes: Option<usize>,
}

impl<X: ExtAction> Step<X> {
    /// The phase the driver runs this step in.
    pub fn phase(&self) -> Phase {
        self.phase.unwrap_or_else(|| self.action.phase())
    }

    pub fn label(&self) -> (String, String) {
        self.report_as
            .clone()
            .unwrap_or_else(|| (self.action.kind().to_string(), self.action.target()))
    }

    /// How many removals this step makes (revokes, link deletions, RAM disassociations, policy
    /// deletions, or what the planner said with [`Step::removes`]).
    pub fn removals(&self) -> usize {
        if let Some(n) = self.removes {
            return n;
        }
        match &self.action {
            Action::LfRevoke(_) | Action::DeleteLink(_) => 1,
            Action::RamDisassociate {
                resources,
                principals,
                ..
            } => (resources.len() + principals.len()).max(1),
            Action::Policy(w) if w.planned.is_none() => 1,
            _ => 0,
        }
    }
}

/// What a pure planner returns: the writes to make and everything else the report must say.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan<X = NoExt> {
    pub steps: Vec<Step<X>>,
    /// (kind, target) of what is already as it should be.
    pub already: Vec<(String, String)>,
    pub skipped: Vec<Skip>,
    /// Parts of the state that could not be read (one item of many): reported as `failed`, the
    /// rest of the plan still runs.
    pub failed: Vec<Failure>,
    /// Findings that are not actions (checks, reasons).
    pub notes: Vec<Value>,
    /// What a person must know even when nothing failed (goes into the alert).
    pub attention: Vec<String>,
    /// The state table the steps' ledger notes go to (see [`crate::ledger`]).
    pub ledger_table: Option<String>,
    /// Ledger notes with no AWS write of their own (healed intents, remembered invitations):
    /// written before the first step.
    pub remember: Vec<crate::ledger::Note>,
    /// At most this many removals in one apply (`max_removals_per_run`): beyond it the driver
    /// removes nothing, reports the removals `skipped` and alerts. Set by [`super::run`].
    pub max_removals: Option<usize>,
}

impl<X> Default for Plan<X> {
    fn default() -> Self {
        Plan {
            steps: Vec::new(),
            already: Vec::new(),
            skipped: Vec::new(),
            failed: Vec::new(),
            notes: Vec::new(),
            attention: Vec::new(),
            ledger_table: None,
            remember: Vec::new(),
            max_removals: None,
        }
    }
}

impl<X: ExtAction> Plan<X> {
    pub fn push(&mut self, action: Action<X>) {
        self.steps.push(Step {
            action,
            report_as: None,
            phase: None,
            unit: None,
            ledger: None,
            removes: None,
        });
    }

    /// Plan `action` to run in `phase` instead of its own.
    pub fn push_in(&mut self, phase: Phase, action: Action<X>) {
        self.steps.push(Step {
            action,
            report_as: None,
            phase: Some(phase),
            unit: None,
            ledger: None,
            removes: None,
        });
    }

    /// Append a sub-plan whose steps form one unit (see [`Step::unit`]).
    pub fn extend_unit(&mut self, unit: impl Into<String>, mut other: Plan<X>) {
        let unit = unit.into();
        for s in &mut other.steps {
            s.unit.get_or_insert_with(|| unit.clone());
        }
        self.extend(other);
    }

    pub fn push_ext(&mut self, x: X) {
        self.push(Action::Ext(x));
    }

    /// Plan `action` with a ledger note the driver writes around it (intent, write, result).
    pub fn push_recorded(&mut self, action: Action<X>, note: crate::ledger::Note) {
        self.push(action);
        if let Some(s) = self.steps.last_mut() {
            s.ledger = Some(note);
        }
    }

    /// Plan `action` as one that removes `n` things (counted against `max_removals_per_run`).
    pub fn push_removal(&mut self, action: Action<X>, n: usize) {
        self.push(action);
        if let Some(s) = self.steps.last_mut() {
            s.removes = Some(n);
        }
    }

    /// How many removals the plan makes.
    pub fn removals(&self) -> usize {
        self.steps.iter().map(Step::removals).sum()
    }

    /// Plan `action`, reported as `kind target` (e.g. the check it fixes).
    pub fn push_as(
        &mut self,
        kind: impl Into<String>,
        target: impl Into<String>,
        action: Action<X>,
    ) {
        self.steps.push(Step {
            action,
            report_as: Some((kind.into(), target.into())),
            phase: None,
            unit: None,
            ledger: None,
            removes: None,
        });
    }

    pub fn already(&mut self, kind: impl Into<String>, target: impl Into<String>) {
        self.already.push((kind.into(), target.into()));
    }

    pub fn skip(
        &mut self,
        action: impl Into<String>,
        target: impl Into<String>,
        reason: impl Into<String>,
        remedy: Option<String>,
    ) {
        self.skipped.push(Skip {
            action: action.into(),
            target: target.into(),
            reason: reason.into(),
            remedy,
        });
    }

    /// A skip that a person must act on: reported and alerted.
    pub fn skip_alert(
        &mut self,
        action: impl Into<String>,
        target: impl Into<String>,
        reason: impl Into<String>,
        remedy: Option<String>,
    ) {
        let (action, target, reason) = (action.into(), target.into(), reason.into());
        self.attention.push(match &remedy {
            Some(r) => format!("{action} {target}: {reason}. {r}"),
            None => format!("{action} {target}: {reason}"),
        });
        self.skip(action, target, reason, remedy);
    }

    /// Report an item whose state could not be read as failed (alerted with the remedy).
    pub fn fail(
        &mut self,
        action: impl Into<String>,
        target: impl Into<String>,
        error: impl Into<String>,
        remedy: impl Into<String>,
    ) {
        self.failed.push(Failure {
            action: action.into(),
            target: target.into(),
            error: error.into(),
            remedy: remedy.into(),
        });
    }

    pub fn actions(&self) -> impl Iterator<Item = &Action<X>> {
        self.steps.iter().map(|s| &s.action)
    }

    pub fn grants(&self) -> Vec<LfGrant> {
        self.actions()
            .filter_map(|a| match a {
                Action::LfGrant(g) => Some(g.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn revokes(&self) -> Vec<LfGrant> {
        self.actions()
            .filter_map(|a| match a {
                Action::LfRevoke(g) => Some(g.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Append another plan (e.g. a shared sub-plan) to this one.
    pub fn extend(&mut self, other: Plan<X>) {
        self.steps.extend(other.steps);
        self.already.extend(other.already);
        self.skipped.extend(other.skipped);
        self.failed.extend(other.failed);
        self.notes.extend(other.notes);
        self.attention.extend(other.attention);
        if self.ledger_table.is_none() {
            self.ledger_table = other.ledger_table;
        }
        self.remember.extend(other.remember);
        if self.max_removals.is_none() {
            self.max_removals = other.max_removals;
        }
    }

    /// The same plan with function-specific actions of another type (for shared sub-plans that
    /// have none).
    pub fn lift<Y: ExtAction>(self) -> Plan<Y>
    where
        X: Into<Y>,
    {
        Plan {
            steps: self
                .steps
                .into_iter()
                .map(|s| Step {
                    action: s.action.lift(),
                    report_as: s.report_as,
                    phase: s.phase,
                    unit: s.unit,
                    ledger: s.ledger,
                    removes: s.removes,
                })
                .collect(),
            already: self.already,
            skipped: self.skipped,
            failed: self.failed,
            notes: self.notes,
            attention: self.attention,
            ledger_table: self.ledger_table,
            remember: self.remember,
            max_removals: self.max_removals,
        }
    }
}

impl<X: ExtAction> Action<X> {
    fn lift<Y: ExtAction>(self) -> Action<Y>
    where
        X: Into<Y>,
    {
        match self {
            Action::LfGrant(g) => Action::LfGrant(g),
            Action::LfRevoke(g) => Action::LfRevoke(g),
            Action::LfRegister { arn, role_arn } => Action::LfRegister { arn, role_arn },
            Action::LfFixSettings(f) => Action::LfFixSettings(f),
            Action::Policy(p) => Action::Policy(p),
            Action::CreateLink(l) => Action::CreateLink(l),
            Action::DeleteLink(l) => Action::DeleteLink(l),
            Action::RamAccept { arn, sender, share } => Action::RamAccept { arn, sender, share },
            Action::RamCreateShare {
                name,
                resources,
                principals,
            } => Action::RamCreateShare {
                name,
                resources,
                principals,
            },
            Action::RamAssociate {
                name,
                arn,
                resources,
                principals,
            } => Action::RamAssociate {
                name,
                arn,
                resources,
                principals,
            },
            Action::RamDisassociate {
                name,
                arn,
                resources,
                principals,
            } => Action::RamDisassociate {
                name,
                arn,
                resources,
                principals,
            },
            Action::DataZoneGrantStatus {
                domain,
                grant,
                asset,
                status,
                failure,
                target_name,
                downgrade_on_failure,
            } => Action::DataZoneGrantStatus {
                domain,
                grant,
                asset,
                status,
                failure,
                target_name,
                downgrade_on_failure,
            },
            Action::DynamoEnablePitr { table } => Action::DynamoEnablePitr { table },
            Action::Ext(x) => Action::Ext(x.into()),
        }
    }
}
