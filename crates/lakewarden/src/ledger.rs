//! The ledger: what lakewarden itself granted, linked and was told, in the state table.
//!
//! One item per Lake Formation grant (principal + resource), link, policy statement set and
//! remembered RAM invitation that a function made, holding the function, principal, resource,
//! permissions, configuration hash and time (issue 11 §5). Without it lakewarden cannot tell its
//! grants from a person's, so a consumer removed from the configuration kept its grants forever.
//!
//! **Key.** `pk = "ledger#<function>#<kind>#<16 hex digits of FNV-1a(principal, resource)>"`.
//! The state table has only the `pk` string key (`infra/state-table.yaml`, shared with
//! table-exporter and integration-monitor), so a DynamoDB Query could read one function's
//! entries only if they all shared one partition key — one item, capped at 400 KB — or with a
//! sort key / secondary index, which changes the table every deployment already has. A function
//! therefore lists its own entries with the existing consistent prefix scan
//! (`begins_with(pk, "ledger#<function>#")`, [`StateStore::scan_prefix`]): at most one paginated Scan a
//! run, which reads the whole table — a few hundred small items in practice. If a table ever
//! holds many thousands, add a GSI on `function` and switch [`Ledger::load`] to a Query; the
//! key does not change.
//!
//! **Write-ahead.** A step that carries a [`Note`] is carried out by the apply driver as:
//! intent written (conditional on the version read) → AWS write → result written. A dry run
//! writes nothing. A crash between intent and result leaves the intent; the next run's plan
//! [`heals`](LedgerPlanner::heal) it against what exists (a grant held → recorded as made, else
//! dropped) before it plans anything else on that key. catalog-sharer reads its ledger only
//! when its plan may grant or revoke (`sharing::observe::ledger_needed`): a converged run with
//! nothing to do defers the healing to the next run that reads it, which is harmless — a held
//! grant is the same grant whether or not its entry says "made", and any run that could revoke
//! or grant it again reads the ledger and heals first.
//!
//! **Whose grant is it?** lakewarden records only the permissions it actually added: the
//! planners grant `lf::missing` (what is not held yet), and that difference is what the ledger
//! holds. A person's grant made *before* lakewarden's — even an identical one — is therefore
//! never in the ledger (lakewarden had nothing to add) and never revoked. Removal revokes
//! `ledger ∩ what Lake Formation still holds`. The one case it cannot tell apart: a person who
//! grants the very same permission to the same principal *after* lakewarden did (Lake
//! Formation merges them into one grant); lakewarden revokes it when the configuration drops
//! that consumer. SECURITY.md lists this residual risk.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::aws::AwsResult;
use crate::lf::{LfGrant, LfResource, LfState};
use crate::state::StateStore;

/// Every ledger key starts with this.
pub const PREFIX: &str = crate::ownership::state_key::LEDGER;

/// What a ledger entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A Lake Formation grant (principal on resource).
    LfGrant,
    /// A Glue resource link.
    Link,
    /// Policy statements (a set of Sids in one document).
    Statement,
    /// A RAM invitation lakewarden alerted about (and did not accept).
    Invitation,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::LfGrant => "lf",
            Kind::Link => "link",
            Kind::Statement => "statement",
            Kind::Invitation => "invitation",
        }
    }
}

/// Where an entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// About to write `pending` to AWS; no result yet.
    Intent,
    /// lakewarden made it (holds `permissions`).
    Made,
    /// About to remove `pending`; no result yet.
    Revoking,
    /// Nothing of it is lakewarden's any more (kept as history).
    Gone,
    /// Remembered only (an invitation alerted about).
    Seen,
}

/// The permissions an intent is about to add or remove.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    #[serde(default)]
    pub permissions: BTreeSet<String>,
    #[serde(default)]
    pub grantable: BTreeSet<String>,
}

/// One ledger item (`data` of a state-table record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub function: String,
    pub kind: Kind,
    pub principal: String,
    /// Readable resource (`database 1111:cur_org`, `link x -> p:db`, an invitation ARN).
    pub resource: String,
    /// The resource as data (an `LfResource`, a link, an invitation's fingerprint).
    #[serde(default)]
    pub detail: Value,
    #[serde(default)]
    pub permissions: BTreeSet<String>,
    #[serde(default)]
    pub grantable: BTreeSet<String>,
    /// Hash of the configuration section that asked for it.
    #[serde(default)]
    pub config_hash: String,
    /// When the entry was last written (RFC 3339, set by the driver).
    #[serde(default)]
    pub time: String,
    pub state: State,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
}

impl Entry {
    /// The grant lakewarden holds according to this entry (for `Kind::LfGrant`).
    pub fn lf_grant(&self) -> Option<LfGrant> {
        if self.kind != Kind::LfGrant {
            return None;
        }
        let resource: LfResource = serde_json::from_value(self.detail.clone()).ok()?;
        Some(LfGrant {
            principal: self.principal.clone(),
            resource,
            permissions: self.permissions.clone(),
            grantable: self.grantable.clone(),
        })
    }

    pub fn is_live(&self) -> bool {
        !matches!(self.state, State::Gone)
    }
}

/// A ledger write the driver makes around one step (or on its own, `intent: None`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    pub pk: String,
    /// The version read (None: no item yet). The intent (or the result, without an intent) is
    /// written only if the item still has it.
    pub expected: Option<u64>,
    /// Written before the AWS write; None for a note that only records.
    pub intent: Option<Entry>,
    /// Written after the AWS write succeeded (or said it was already so).
    pub result: Entry,
}

impl Note {
    /// The version the result is written against.
    pub fn result_expected(&self) -> Option<u64> {
        match &self.intent {
            Some(_) => Some(self.expected.map(|v| v + 1).unwrap_or(1)),
            None => self.expected,
        }
    }
}

/// The key prefix of one function's entries.
pub fn function_prefix(function: &str) -> String {
    format!("{PREFIX}{function}#")
}

/// The key of one entry.
pub fn key(function: &str, kind: Kind, principal: &str, resource_id: &str) -> String {
    let h = crate::policy::fnv1a(format!("{principal}\n{resource_id}").as_bytes());
    format!("{PREFIX}{function}#{}#{h:016x}", kind.as_str())
}

/// Key of a Lake Formation grant's entry.
pub fn lf_key(function: &str, principal: &str, resource: &LfResource) -> String {
    let id = serde_json::to_string(resource).unwrap_or_default();
    key(function, Kind::LfGrant, principal, &id)
}

/// A short hash of a configuration section (serialised), for the entries it asks for.
pub fn config_hash<T: Serialize>(section: &T) -> String {
    let text = serde_json::to_string(section).unwrap_or_default();
    format!("{:016x}", crate::policy::fnv1a(text.as_bytes()))
}

/// One function's entries as read at observe time: pk → (entry, version).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerView {
    pub entries: BTreeMap<String, (Entry, u64)>,
}

impl LedgerView {
    pub fn get(&self, pk: &str) -> Option<&Entry> {
        self.entries.get(pk).map(|(e, _)| e)
    }

    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = (&String, &Entry)> {
        self.entries
            .iter()
            .filter(move |(_, (e, _))| e.kind == kind)
            .map(|(k, (e, _))| (k, e))
    }
}

/// What a function's observe read of its ledger, for its pure plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerRead {
    /// The state table (the plan's notes go there).
    pub table: String,
    pub function: String,
    pub view: LedgerView,
}

impl LedgerRead {
    /// A planner over this read, for a configuration section hashed as `config_hash`.
    pub fn planner(&self, config_hash: impl Into<String>) -> LedgerPlanner {
        LedgerPlanner::new(&self.function, config_hash, &self.view)
    }
}

/// The ledger of one function in the state table.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub store: StateStore,
    pub function: String,
}

impl Ledger {
    pub fn new(store: StateStore, function: impl Into<String>) -> Self {
        Ledger {
            store,
            function: function.into(),
        }
    }

    /// A function's ledger in the configured state table.
    pub fn for_config(aws: &crate::aws::Aws, cfg: &crate::config::Config, function: &str) -> Self {
        Ledger::new(
            StateStore::new(aws.dynamodb.clone(), cfg.state_table_name()),
            function,
        )
    }

    /// [`Ledger::load`] for a plan.
    pub async fn read(&self) -> AwsResult<LedgerRead> {
        Ok(LedgerRead {
            table: self.store.table.clone(),
            function: self.function.clone(),
            view: self.load().await?,
        })
    }

    /// Every entry of this function (one consistent prefix scan).
    pub async fn load(&self) -> AwsResult<LedgerView> {
        let mut view = LedgerView::default();
        for (pk, rec) in self
            .store
            .scan_prefix(&function_prefix(&self.function))
            .await?
        {
            // An item that is not an entry (written by hand, or by a later version) is left
            // alone: it is not lakewarden's to act on.
            if let Ok(e) = serde_json::from_value::<Entry>(rec.data) {
                if e.function == self.function {
                    view.entries.insert(pk, (e, rec.version));
                }
            }
        }
        Ok(view)
    }
}

/// Write a note's entry (`intent` or `result`) with the time stamped now. `Ok(false)` when the
/// item's version is no longer the one expected (another run got there first).
pub async fn write(store: &StateStore, note: &Note, intent: bool) -> AwsResult<bool> {
    let (entry, expected) = if intent {
        match &note.intent {
            Some(e) => (e, note.expected),
            None => return Ok(true),
        }
    } else {
        (&note.result, note.result_expected())
    };
    let mut e = entry.clone();
    e.time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let data = serde_json::to_value(&e).unwrap_or(Value::Null);
    store.put_if(&note.pk, &data, expected).await
}

/// Pure: hands out notes against a [`LedgerView`], one key at a time in plan order, so that two
/// notes on one key (a grant, then a revoke of another permission) chain their versions.
#[derive(Debug, Clone)]
pub struct LedgerPlanner {
    pub function: String,
    pub config_hash: String,
    /// pk → (entry as it will be, version it will have) after the notes handed out so far.
    current: BTreeMap<String, (Option<Entry>, Option<u64>)>,
}

impl LedgerPlanner {
    pub fn new(function: &str, config_hash: impl Into<String>, view: &LedgerView) -> Self {
        LedgerPlanner {
            function: function.to_string(),
            config_hash: config_hash.into(),
            current: view
                .entries
                .iter()
                .map(|(k, (e, v))| (k.clone(), (Some(e.clone()), Some(*v))))
                .collect(),
        }
    }

    /// The entry of `pk` as it will be after the notes handed out so far.
    pub fn entry(&self, pk: &str) -> Option<&Entry> {
        self.current.get(pk).and_then(|(e, _)| e.as_ref())
    }

    /// Every live Lake Formation grant this function made: (pk, grant).
    pub fn lf_grants(&self) -> Vec<(String, LfGrant)> {
        self.current
            .iter()
            .filter_map(|(k, (e, _))| {
                let e = e.as_ref()?;
                if !e.is_live() {
                    return None;
                }
                let g = e.lf_grant()?;
                (!g.is_empty()).then(|| (k.clone(), g))
            })
            .collect()
    }

    /// Every live entry of a kind: (pk, entry).
    pub fn live(&self, kind: Kind) -> Vec<(String, Entry)> {
        self.current
            .iter()
            .filter_map(|(k, (e, _))| {
                let e = e.as_ref()?;
                (e.kind == kind && e.is_live()).then(|| (k.clone(), e.clone()))
            })
            .collect()
    }

    fn take(&mut self, pk: &str, intent: Option<Entry>, result: Entry) -> Note {
        let (_, version) = self.current.get(pk).cloned().unwrap_or((None, None));
        let note = Note {
            pk: pk.to_string(),
            expected: version,
            intent,
            result: result.clone(),
        };
        let next = note.result_expected().map(|v| v + 1).unwrap_or(1);
        self.current
            .insert(pk.to_string(), (Some(result), Some(next)));
        note
    }

    fn base(
        &self,
        pk: &str,
        kind: Kind,
        principal: &str,
        resource: String,
        detail: Value,
    ) -> Entry {
        let mut e = self.entry(pk).cloned().unwrap_or(Entry {
            function: self.function.clone(),
            kind,
            principal: principal.to_string(),
            resource: resource.clone(),
            detail: detail.clone(),
            permissions: BTreeSet::new(),
            grantable: BTreeSet::new(),
            config_hash: String::new(),
            time: String::new(),
            state: State::Gone,
            pending: None,
        });
        e.resource = resource;
        e.detail = detail;
        e.config_hash = self.config_hash.clone();
        e.pending = None;
        e
    }

    /// The note for granting `g` (the missing part lakewarden is about to add) when Lake
    /// Formation holds `current`: what the ledger records is only what the grant adds — a
    /// permission the principal already held (a person's grant; `g` carries it again when only
    /// its grant option is missing) stays the person's.
    pub fn grant(&mut self, g: &LfGrant, current: &LfState) -> Note {
        let held = current.get(&g.principal, &g.resource);
        let added = LfGrant {
            principal: g.principal.clone(),
            resource: g.resource.clone(),
            permissions: g
                .permissions
                .iter()
                .filter(|p| !held.as_ref().is_some_and(|h| h.permissions.contains(*p)))
                .cloned()
                .collect(),
            grantable: g
                .grantable
                .iter()
                .filter(|p| !held.as_ref().is_some_and(|h| h.grantable.contains(*p)))
                .cloned()
                .collect(),
        };
        self.record_grant(&added)
    }

    /// The ledger key of `g` and its entry as the ledger holds it now.
    fn grant_base(&self, g: &LfGrant) -> (String, Entry) {
        let pk = lf_key(&self.function, &g.principal, &g.resource);
        let detail = serde_json::to_value(&g.resource).unwrap_or(Value::Null);
        let base = self.base(
            &pk,
            Kind::LfGrant,
            &g.principal,
            g.resource.to_string(),
            detail,
        );
        (pk, base)
    }

    fn record_grant(&mut self, g: &LfGrant) -> Note {
        let (pk, base) = self.grant_base(g);
        let mut intent = base.clone();
        if intent.state == State::Gone {
            intent.permissions.clear();
            intent.grantable.clear();
        }
        intent.state = State::Intent;
        intent.pending = Some(Pending {
            permissions: g.permissions.clone(),
            grantable: g.grantable.clone(),
        });
        let mut result = intent.clone();
        result.pending = None;
        result.state = State::Made;
        result.permissions.extend(g.permissions.iter().cloned());
        result.grantable.extend(g.grantable.iter().cloned());
        self.take(&pk, Some(intent), result)
    }

    /// The note for revoking `g` (a part of what the ledger says lakewarden granted).
    pub fn revoke(&mut self, g: &LfGrant) -> Note {
        let (pk, base) = self.grant_base(g);
        let mut intent = base.clone();
        intent.state = State::Revoking;
        intent.pending = Some(Pending {
            permissions: g.permissions.clone(),
            grantable: g.grantable.clone(),
        });
        let mut result = base;
        result.permissions.retain(|p| !g.permissions.contains(p));
        result
            .grantable
            .retain(|p| !g.grantable.contains(p) && !g.permissions.contains(p));
        result.state = if result.permissions.is_empty() && result.grantable.is_empty() {
            State::Gone
        } else {
            State::Made
        };
        self.take(&pk, Some(intent), result)
    }

    /// A note around creating (`made: true`) or removing an object that is not a grant (a link,
    /// a statement set): `detail` says what it is.
    pub fn object(
        &mut self,
        kind: Kind,
        principal: &str,
        resource_id: &str,
        resource: String,
        detail: Value,
        made: bool,
    ) -> Note {
        let pk = key(&self.function, kind, principal, resource_id);
        let base = self.base(&pk, kind, principal, resource, detail);
        let mut intent = base.clone();
        intent.state = if made { State::Intent } else { State::Revoking };
        let mut result = base;
        result.state = if made { State::Made } else { State::Gone };
        self.take(&pk, Some(intent), result)
    }

    /// A note that only records (no AWS write around it), e.g. an invitation alerted about.
    pub fn remember(
        &mut self,
        kind: Kind,
        principal: &str,
        resource_id: &str,
        resource: String,
        detail: Value,
        state: State,
    ) -> Note {
        let pk = key(&self.function, kind, principal, resource_id);
        let mut result = self.base(&pk, kind, principal, resource, detail);
        result.state = state;
        self.take(&pk, None, result)
    }

    /// Settle every Lake Formation intent a crash left without a result, against what Lake
    /// Formation holds now: the pending permissions still held are lakewarden's (its write went
    /// through), the others are dropped. Returns the notes that record it (run first).
    pub fn heal(&mut self, current: &LfState) -> Vec<Note> {
        let open: Vec<(String, Entry)> = self
            .current
            .iter()
            .filter_map(|(k, (e, _))| {
                let e = e.as_ref()?;
                (e.kind == Kind::LfGrant && matches!(e.state, State::Intent | State::Revoking))
                    .then(|| (k.clone(), e.clone()))
            })
            .collect();
        let mut notes = Vec::new();
        for (pk, e) in open {
            let Some(held_now) = e.lf_grant().map(|g| {
                current.get(&g.principal, &g.resource).unwrap_or(LfGrant {
                    principal: g.principal.clone(),
                    resource: g.resource.clone(),
                    permissions: BTreeSet::new(),
                    grantable: BTreeSet::new(),
                })
            }) else {
                continue;
            };
            let pending = e.pending.clone().unwrap_or_default();
            let mut settled = e.clone();
            settled.pending = None;
            match e.state {
                State::Intent => {
                    settled.permissions.extend(
                        pending
                            .permissions
                            .intersection(&held_now.permissions)
                            .cloned(),
                    );
                    settled
                        .grantable
                        .extend(pending.grantable.intersection(&held_now.grantable).cloned());
                }
                _ => {
                    // A revoke that went through removed them; one that did not left them.
                    settled.permissions.retain(|p| {
                        !pending.permissions.contains(p) || held_now.permissions.contains(p)
                    });
                    settled.grantable.retain(|p| {
                        !pending.grantable.contains(p) || held_now.grantable.contains(p)
                    });
                }
            }
            // Never more than what is held now.
            settled
                .permissions
                .retain(|p| held_now.permissions.contains(p));
            settled.grantable.retain(|p| held_now.grantable.contains(p));
            settled.state = if settled.permissions.is_empty() && settled.grantable.is_empty() {
                State::Gone
            } else {
                State::Made
            };
            let (_, version) = self.current.get(&pk).cloned().unwrap_or((None, None));
            let note = Note {
                pk: pk.clone(),
                expected: version,
                intent: None,
                result: settled.clone(),
            };
            self.current
                .insert(pk, (Some(settled), version.map(|v| v + 1).or(Some(1))));
            notes.push(note);
        }
        notes
    }
}

/// What the ledger says lakewarden granted and Lake Formation still holds, for every entry
/// `keep` rejects (e.g. a consumer no longer in the configuration): exactly what to revoke.
pub fn revocable(
    planner: &LedgerPlanner,
    current: &LfState,
    keep: impl Fn(&LfGrant) -> bool,
) -> Vec<LfGrant> {
    planner
        .lf_grants()
        .into_iter()
        .filter(|(_, g)| !keep(g))
        .filter_map(|(_, g)| crate::lf::held(&g, current))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(name: &str) -> LfResource {
        LfResource::Database {
            catalog_id: "111111111111".into(),
            name: name.into(),
        }
    }

    fn view_after(notes: &[Note]) -> LedgerView {
        let mut v = LedgerView::default();
        for n in notes {
            let version = n.result_expected().map(|v| v + 1).unwrap_or(1);
            v.entries.insert(n.pk.clone(), (n.result.clone(), version));
        }
        v
    }

    #[test]
    fn a_grant_records_only_what_lakewarden_added_and_a_revoke_only_that() {
        let mut p = LedgerPlanner::new("catalog-sharer", "h", &LedgerView::default());
        // A person already holds SELECT; lakewarden adds DESCRIBE only.
        let n = p.grant(
            &LfGrant::new("222222222222", db("d"), ["DESCRIBE"], false),
            &LfState::default(),
        );
        assert_eq!(n.expected, None);
        assert_eq!(n.intent.as_ref().unwrap().state, State::Intent);
        assert_eq!(n.result.state, State::Made);
        let view = view_after(&[n]);
        let p = LedgerPlanner::new("catalog-sharer", "h", &view);
        let current: LfState = [LfGrant::new(
            "222222222222",
            db("d"),
            ["SELECT", "DESCRIBE"],
            false,
        )]
        .into_iter()
        .collect();
        let r = revocable(&p, &current, |_| false);
        assert_eq!(r.len(), 1);
        assert_eq!(
            r[0].permissions,
            BTreeSet::from(["DESCRIBE".to_string()]),
            "the person's SELECT is never revoked"
        );
    }

    #[test]
    fn a_grant_option_added_to_a_persons_permission_records_only_the_option() {
        let mut p = LedgerPlanner::new("f", "h", &LedgerView::default());
        let person: LfState = [LfGrant::new("p", db("d"), ["DESCRIBE"], false)]
            .into_iter()
            .collect();
        // lf::missing asks for DESCRIBE with its grant option (LF wants both in one entry).
        let n = p.grant(&LfGrant::new("p", db("d"), ["DESCRIBE"], true), &person);
        assert!(n.result.permissions.is_empty(), "{:?}", n.result);
        assert_eq!(n.result.grantable, BTreeSet::from(["DESCRIBE".to_string()]));
    }

    #[test]
    fn two_notes_on_one_key_chain_their_versions() {
        let mut p = LedgerPlanner::new("f", "h", &LedgerView::default());
        let a = p.grant(
            &LfGrant::new("p", db("d"), ["DESCRIBE"], false),
            &LfState::default(),
        );
        let b = p.revoke(&LfGrant::new("p", db("d"), ["DESCRIBE"], false));
        assert_eq!(a.expected, None);
        assert_eq!(a.result_expected(), Some(1));
        assert_eq!(b.expected, Some(2));
        assert_eq!(b.result.state, State::Gone);
    }

    #[test]
    fn an_intent_without_result_heals_against_what_exists() {
        let mut p = LedgerPlanner::new("f", "h", &LedgerView::default());
        let none = LfState::default();
        let a = p.grant(&LfGrant::new("p", db("held"), ["DESCRIBE"], true), &none);
        let b = p.grant(&LfGrant::new("p", db("lost"), ["DESCRIBE"], false), &none);
        // Crash: only the intents were written.
        let mut view = LedgerView::default();
        for n in [&a, &b] {
            view.entries
                .insert(n.pk.clone(), (n.intent.clone().unwrap(), 1));
        }
        let current: LfState = [LfGrant::new("p", db("held"), ["DESCRIBE"], true)]
            .into_iter()
            .collect();
        let mut p = LedgerPlanner::new("f", "h", &view);
        let notes = p.heal(&current);
        assert_eq!(notes.len(), 2);
        let held = notes.iter().find(|n| n.pk == a.pk).unwrap();
        assert_eq!(held.result.state, State::Made);
        assert_eq!(held.expected, Some(1));
        assert!(held.intent.is_none());
        assert!(held.result.grantable.contains("DESCRIBE"));
        let lost = notes.iter().find(|n| n.pk == b.pk).unwrap();
        assert_eq!(lost.result.state, State::Gone);
        // Healed once: nothing left to heal.
        assert!(p.heal(&current).is_empty());
        assert_eq!(p.lf_grants().len(), 1);
    }

    #[test]
    fn the_state_table_and_the_removal_caps_are_configured_per_function() {
        use crate::config::parse;
        let base = "producer:\n  shares:\n    - database: d\n      consumers: [\"222222222222\"]\n";
        let c = parse(base, "t").unwrap();
        assert_eq!(c.state_table_name(), "lakewarden-state");
        assert_eq!(c.max_removals("catalog-sharer"), 10);
        let c = parse(
            &format!("state_table: my-state\n{base}  max_removals_per_run: 3\n"),
            "t",
        )
        .unwrap();
        assert_eq!(c.state_table_name(), "my-state");
        assert_eq!(c.max_removals("catalog-sharer"), 3);
        // integration-doctor shares through producer.shares: the producer's cap.
        assert_eq!(c.max_removals("integration-doctor"), 3);
        assert_eq!(
            c.max_removals("share-linker"),
            10,
            "no consumer section: default"
        );
        let e = parse(&format!("state_table: \"a b\"\n{base}"), "t").unwrap_err();
        assert!(
            e.to_string().contains("state_table") && e.to_string().contains("ledger"),
            "{e}"
        );
        let e = parse(&format!("{base}  max_removals_per_run: 20000\n"), "t").unwrap_err();
        assert!(
            e.to_string().contains("producer.max_removals_per_run"),
            "{e}"
        );
    }

    #[test]
    fn keys_are_per_function_and_kind() {
        let a = lf_key("catalog-sharer", "p", &db("d"));
        assert!(a.starts_with("ledger#catalog-sharer#lf#"));
        assert_ne!(a, lf_key("share-linker", "p", &db("d")));
        assert_ne!(a, lf_key("catalog-sharer", "q", &db("d")));
        assert!(!function_prefix("share").starts_with(&function_prefix("share-linker")));
    }

    #[test]
    fn entries_round_trip_as_state_records() {
        let mut p = LedgerPlanner::new("f", "h", &LedgerView::default());
        let n = p.grant(
            &LfGrant::new("p", db("d"), ["SELECT"], true),
            &LfState::default(),
        );
        let v = serde_json::to_value(&n.result).unwrap();
        let back: Entry = serde_json::from_value(v).unwrap();
        assert_eq!(back, n.result);
        assert_eq!(back.lf_grant().unwrap().resource, db("d"));
    }
}
