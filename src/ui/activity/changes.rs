//! The tab's list of changes: what each one did, its result, and its Undo; kept in
//! session storage so Undo survives a reload.

use std::cell::RefCell;
use std::ops::Deref;
use std::rc::Rc;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::ActivityStep::{CheckAgain, Retry, Undo};
use crate::model::touched::{Touched, TouchedLog};
use crate::oci::changes::ChangeError;
use crate::oci::intent::Intent;
use crate::oci::journal_log::{stored_selection, ACTIVITY_BUDGET};
use crate::oci::recovery::unchecked_after_reload;
use crate::oci::undo::{UndoAction, UndoShortfall};
use crate::ui::browser;
use crate::ui::journal;
use crate::ui::on_demand;
use crate::wording::{self, ResultLine};

/// Where the activity list lives between reloads of this tab: with it, Undo still
/// works after a reload (until the registry's garbage collection runs).
const ACTIVITY_KEY: &str = "tagdeck.activity";

/// Which tags `action`'s change touched (and its undo touches), for the views to refresh.
pub(super) fn touched_by(action: &UndoAction, registry: &str) -> Vec<Touched> {
    action
        .touched()
        .into_iter()
        .map(|(repository, tags)| Touched {
            registry: registry.to_owned(),
            repository: repository.to_string(),
            tags: tags.iter().map(ToString::to_string).collect(),
        })
        .collect()
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryState {
    Done,
    /// A batch of which `failed` items of `total` failed (the details say which);
    /// what the others wrote can be undone.
    PartlyDone {
        failed: usize,
        total: usize,
    },
    Failed {
        message: String,
        outcome: String,
        /// The requests behind the failure, folded under "Technical details" (none
        /// in entries saved before they were kept apart: their message names them).
        #[serde(default)]
        requests: Vec<String>,
    },
    /// A change the page lost track of (reloaded or closed while it ran), found
    /// applied in full when the registry was read again.
    AppliedWhileAway {
        message: String,
    },
    Undoing,
    Retrying,
    /// Reading the registry for an interrupted change.
    Checking,
    /// An Undo, Retry or Check again another tab runs (this tab is its copy): that
    /// tab lists its result.
    Elsewhere,
    Undone,
    UndoFailed {
        message: String,
        /// As for `Failed`.
        #[serde(default)]
        requests: Vec<String>,
        /// Whether anything went wrong, or the change is only not on the registry (yet).
        #[serde(default)]
        shortfall: UndoShortfall,
    },
}

impl EntryState {
    /// An Undo, Retry or Check again under way: the entry offers no button.
    pub fn is_running(&self) -> bool {
        matches!(
            self,
            EntryState::Undoing | EntryState::Retrying | EntryState::Checking
        )
    }
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Entry {
    pub id: usize,
    pub registry: String,
    pub summary: String,
    pub state: EntryState,
    /// The Undo, as the JSON of an [`UndoAction`]: read back only where an Undo,
    /// Retry or check runs (`Entry::undo_action`, in the `changes` part), so the
    /// main module every page loads carries no reader of Undo data (removals,
    /// manifests, errors). Set with `Entry::keep_undo`.
    pub undo: Option<serde_json::Value>,
    /// What the list needs of the Undo at once: the repositories it writes, each with
    /// whether it deletes there (an account that may not is not offered it). Empty in
    /// entries kept before it was.
    #[serde(default)]
    pub undo_writes: Vec<(String, bool)>,
    /// One line per item, for bulk changes.
    pub details: Vec<String>,
    /// The requests behind the items that failed, folded under "Technical details"
    /// below the lines (none in entries saved before they were kept apart).
    #[serde(default)]
    pub item_requests: Vec<String>,
    /// An interrupted change found not applied: what Retry runs again.
    #[serde(default)]
    pub retry: Option<Vec<Intent>>,
    /// An interrupted change whose state could not be read yet: Check again.
    #[serde(default)]
    pub unchecked: Option<Vec<Intent>>,
    /// What an interrupted change found changed meanwhile (neither Undo nor Retry):
    /// still said once Retry has run the rest.
    #[serde(default)]
    pub unclear: Option<String>,
    /// The change may still land on the registry (found not applied, or an Undo
    /// found nothing to take back yet): an Undo finding nothing keeps its Undo.
    #[serde(default)]
    pub awaiting_landing: bool,
    /// Bumped by every change to the entry: the list draws each revision as a new
    /// row, so a check that ends in the same state still shows what it read.
    #[serde(default)]
    pub revision: u64,
    /// The page load (`journal::page_owner`) that last ran its Undo, Retry or Check
    /// again: a tab duplicated while it runs leaves it to that page.
    #[serde(default)]
    pub run_by: Option<u64>,
}

impl Entry {
    /// The Undo kept: `None` without one, or when it cannot be read back (kept by
    /// another version of the console).
    pub(super) fn undo_action(&self) -> Option<UndoAction> {
        serde_json::from_value(self.undo.clone()?).ok()
    }

    /// Drops the Undo (without the writer of Undo data `keep_undo` carries, which
    /// the page's load has no need of).
    pub(super) fn forget_undo(&mut self) {
        self.undo = None;
        self.undo_writes.clear();
    }

    /// Keeps `undo` (or none), with the repositories it writes.
    pub(super) fn keep_undo(&mut self, undo: Option<UndoAction>) {
        self.undo_writes = (undo.iter().flat_map(UndoAction::writes))
            .map(|(repository, deletes)| (repository.to_string(), deletes))
            .collect();
        self.undo = undo.and_then(|undo| serde_json::to_value(undo).ok());
    }
}

/// The activity list, and a counter that views showing registry content watch to
/// refresh after a change.
#[derive(Clone, Copy)]
pub struct ActivityLog {
    pub entries: RwSignal<Vec<Entry>>,
    pub version: RwSignal<u64>,
    /// What the changes touched, per repository, with the `version` each bumped to.
    pub touched: StoredValue<TouchedLog>,
    /// Whether the list (and its Undo data) is safe in session storage; when not,
    /// the user is told that a reload loses Undo.
    pub(super) saved: RwSignal<bool>,
    /// Entries of an earlier page load that could not be read back (the journal's
    /// interrupted changes included).
    pub(super) unreadable: RwSignal<usize>,
    /// Older entries left out of storage to keep it within its budget: lost on reload.
    pub(super) not_kept: RwSignal<usize>,
    /// Changes found in the journal that another live tab runs (this tab being its
    /// duplicate): left to it, only said.
    pub(super) left_to_other_tabs: RwSignal<usize>,
    /// Entries with an Undo, Retry or Check again running in this page load: one at
    /// a time per entry, as each works from the entry as it found it and writes its
    /// Undo and Retry back at the end (a second one would overwrite the first's).
    pub(super) running: StoredValue<Vec<usize>>,
}

/// Tab-wide state for changes: the activity list (`ActivityLog`, reached through
/// `Deref`) and the writes its entries offer (Undo, Retry, Check again), each a
/// Leptos action.
#[derive(Clone, Copy)]
pub struct Changes {
    log: ActivityLog,
    pub(super) undo: Action<usize, ()>,
    pub(super) retry: Action<usize, ()>,
    pub(super) check_again: Action<usize, ()>,
}

impl Deref for Changes {
    type Target = ActivityLog;

    fn deref(&self) -> &ActivityLog {
        &self.log
    }
}

impl Changes {
    pub fn provide() -> Changes {
        let (entries, unreadable, running) = load_entries();
        let log = ActivityLog {
            entries: RwSignal::new(entries),
            version: RwSignal::new(0),
            touched: StoredValue::new(TouchedLog::default()),
            saved: RwSignal::new(true),
            unreadable: RwSignal::new(unreadable),
            not_kept: RwSignal::new(0),
            left_to_other_tabs: RwSignal::new(0),
            running: StoredValue::new(Vec::new()),
        };
        let changes = Changes {
            log,
            undo: Action::new_local(move |id: &usize| on_demand::activity(log, Undo, *id)),
            retry: Action::new_local(move |id: &usize| on_demand::activity(log, Retry, *id)),
            check_again: Action::new_local(move |id: &usize| {
                on_demand::activity(log, CheckAgain, *id)
            }),
        };
        let journal = journal::take_interrupted();
        log.unreadable.update(|n| *n += journal.unreadable);
        // Journal keys to clear once the activity list holding their changes is saved.
        let to_clear = Rc::new(RefCell::new(journal.stale));
        let found = to_clear.clone();
        // Which changes are another live tab's is known only once asked (a Web Lock):
        // the rest are then listed and checked as before.
        leptos::task::spawn_local(async move {
            let (interrupted, left, elsewhere) =
                journal::leave_to_live_pages(journal.changes, &running).await;
            if left > 0 {
                log.left_to_other_tabs.set(left);
            }
            // Its Retry, Undo and Check again are that tab's: run here too, they would
            // write the same at once.
            for id in &elsewhere {
                log.update_entry(*id, |entry| {
                    entry.state = EntryState::Elsewhere;
                    entry.forget_undo();
                    (entry.retry, entry.unchecked) = (None, None);
                    entry.awaiting_landing = false;
                });
            }
            // The others' pages are gone: cut short, they offer their next step.
            for (id, _) in running.iter().filter(|(id, _)| !elsewhere.contains(id)) {
                log.update_entry(*id, cut_short);
            }
            if interrupted.is_empty() {
                return;
            }
            for taken in interrupted {
                // A Retry cut short: its own entry (Check again, set on loading) reads
                // the registry for it; a second entry would offer the same writes.
                let retried = (taken.pending.entry).filter(|id| log.entry(*id).is_some());
                let id = match retried {
                    Some(id) => id,
                    None => log.add_interrupted(taken.pending),
                };
                changes.check_again.dispatch_local(id);
                found.borrow_mut().extend(taken.keys);
            }
            // Saved again, with their keys to clear (a Retry's entry may not change yet).
            log.entries.notify();
        });
        // The outside world: the tab's session storage.
        Effect::new(move || {
            let Some((json, stored)) = log.entries.with(|e| stored_json(e)) else {
                log.saved.set(false);
                return;
            };
            let saved = browser::session_store(ACTIVITY_KEY, &json);
            log.saved.set(saved);
            log.not_kept
                .set(log.entries.with_untracked(|e| e.len()) - stored.len());
            // Saved: each interrupted change is in the stored list, or too large for
            // it ever to be (the panel says entries are not kept): either way its
            // journal keys go, or every reload would check it again as new.
            if saved {
                journal::clear(&std::mem::take(&mut *to_clear.borrow_mut()));
            }
        });
        provide_context(changes);
        changes
    }
}

impl ActivityLog {
    pub fn record(&self, registry: &str, summary: String, result: Result<UndoAction, ChangeError>) {
        let (state, undo) = match result {
            Ok(undo) => (EntryState::Done, (!undo.is_noop()).then_some(undo)),
            // Whatever was written before the failure can still be undone.
            Err(error) => {
                let message = wording::change_error(&error);
                (
                    EntryState::Failed {
                        message: message.account_and_advice(),
                        outcome: message.outcome,
                        requests: message.requests,
                    },
                    UndoAction::of_failure(&error),
                )
            }
        };
        self.add(registry, summary, state, undo, Vec::new());
    }

    /// A batch (bulk run, clean-up): one entry, one Undo for everything written,
    /// a line per item, and a status that says "done" only when every item was, and
    /// "partly done" only when some was (`done` + `failed` < `total` when some were
    /// skipped).
    pub fn record_batch(
        &self,
        registry: &str,
        summary: String,
        undo: Vec<UndoAction>,
        lines: Vec<ResultLine>,
        (done, failed, total): (usize, usize, usize),
        // Checks after the run that failed (a tag lost with an image, a repository
        // that could not be done): never "done", even with every item done.
        warnings: usize,
    ) {
        let state = match (done, failed) {
            _ if done == total && warnings > 0 => EntryState::Failed {
                message: wording::batch_checks_failed(warnings),
                outcome: String::new(),
                requests: Vec::new(),
            },
            _ if done == total => EntryState::Done,
            // None done (failed, skipped or not run): not "partly done".
            (0, _) => EntryState::Failed {
                message: wording::batch_none_done(total),
                outcome: String::new(),
                requests: Vec::new(),
            },
            _ => EntryState::PartlyDone { failed, total },
        };
        let undo = UndoAction::Batch(undo);
        self.add(
            registry,
            summary,
            state,
            (!undo.is_noop()).then_some(undo),
            lines,
        );
    }

    /// A new entry, first in the list; the views showing what it touched refresh.
    fn add(
        &self,
        registry: &str,
        summary: String,
        state: EntryState,
        undo: Option<UndoAction>,
        lines: Vec<ResultLine>,
    ) {
        let touched = undo
            .as_ref()
            .map(|u| touched_by(u, registry))
            .unwrap_or_default();
        let mut entry = Entry {
            id: 0,
            registry: registry.to_owned(),
            summary,
            state,
            undo: None,
            undo_writes: Vec::new(),
            item_requests: lines.iter().flat_map(|l| l.requests.clone()).collect(),
            details: lines.into_iter().map(|l| l.text).collect(),
            retry: None,
            unchecked: None,
            unclear: None,
            awaiting_landing: false,
            revision: 0,
            run_by: None,
        };
        entry.keep_undo(undo);
        self.insert(entry);
        self.announce(touched);
    }

    /// Puts `entry` first in the list under a fresh id, and returns that id.
    pub(super) fn insert(&self, mut entry: Entry) -> usize {
        // Unique even after unreadable entries were dropped on reload: an id taken
        // twice could make Undo undo the wrong change.
        let id = self.next_id();
        entry.id = id;
        self.entries.update(|entries| entries.insert(0, entry));
        id
    }

    /// The entry `id` as it is now.
    pub(super) fn entry(&self, id: usize) -> Option<Entry> {
        self.entries
            .with_untracked(|e| e.iter().find(|e| e.id == id).cloned())
    }

    /// Changes the entry `id`, if it is still there.
    pub(super) fn update_entry(&self, id: usize, change: impl FnOnce(&mut Entry)) {
        self.entries.update(|entries| {
            if let Some(entry) = entries.iter_mut().find(|e| e.id == id) {
                change(entry);
                entry.revision += 1;
            }
        });
    }

    /// Tells the views that the registry changed, and where.
    pub(super) fn announce(&self, touched: Vec<Touched>) {
        let version = self.version.get_untracked() + 1;
        self.touched
            .update_value(|log| log.record(version, touched));
        self.version.set(version);
    }

    /// An id no entry has, even after unreadable entries were dropped on reload.
    fn next_id(&self) -> usize {
        self.entries
            .with_untracked(|entries| entries.iter().map(|e| e.id + 1).max().unwrap_or(0))
    }
}

/// The activity of earlier loads of this tab, and how many entries could not be read
/// back (dropped, never used). An entry's Undo is read back only when a step runs
/// (`Entry::undo_action`): one that cannot be (a manifest no longer matching its
/// digest) is said then, and no step runs on it (`refuse_unreadable_undo`).
/// An undo the reload cut short: Undo again finding nothing to take back is done.
pub(super) const UNDO_CUT_SHORT: &str = "The page was reloaded while this undo ran, so part \
    of it may be done. Undo again finishes it: what is undone already is left as it is.";

/// Also the entries it found running (a step cut short, or run by the tab this one
/// duplicates), with the page that ran each: id and page.
fn load_entries() -> (Vec<Entry>, usize, Vec<(usize, u64)>) {
    let Some(json) = browser::session_stored(ACTIVITY_KEY) else {
        return (Vec::new(), 0, Vec::new());
    };
    let mut running = Vec::new();
    let values: Vec<serde_json::Value> = browser::parse_json(&json).unwrap_or_default();
    let total = values.len();
    let entries: Vec<Entry> = values
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Entry>(value).ok())
        .map(|mut entry| {
            // A step whose page is named may still run there (this tab a copy of
            // it): it stays as it was until that page is asked, never offering a
            // button meanwhile.
            match entry.run_by {
                Some(owner) if entry.state.is_running() => running.push((entry.id, owner)),
                _ => cut_short(&mut entry),
            }
            entry
        })
        .collect();
    let unreadable = total - entries.len();
    (entries, unreadable, running)
}

/// A step this page found running that no live page runs: the reload cut it short.
fn cut_short(entry: &mut Entry) {
    match entry.state {
        EntryState::Undoing => {
            entry.state = EntryState::UndoFailed {
                // Undo again is safe: it skips what is undone already and
                // finishes a tag removal left halfway (`undo_tag_write`).
                message: UNDO_CUT_SHORT.into(),
                requests: Vec::new(),
                shortfall: UndoShortfall::Failed,
            }
        }
        // A retry writes through the journal: the reload reconciles it anew;
        // a check left its intents on the entry for Check again. What Retry
        // was running is kept for Check again too, never left "retrying".
        EntryState::Retrying | EntryState::Checking => {
            if entry.state == EntryState::Retrying {
                entry.unchecked =
                    unchecked_after_reload(entry.retry.take(), entry.unchecked.take());
            }
            entry.state = EntryState::Failed {
                message: "The page was reloaded while this ran: the registry is \
                          read again for it (Check again, or the entry that \
                          reconciles it)."
                    .into(),
                outcome: String::new(),
                requests: Vec::new(),
            }
        }
        _ => {}
    }
}

/// The list as stored (within `ACTIVITY_BUDGET`) and the ids it holds.
fn stored_json(entries: &[Entry]) -> Option<(String, Vec<usize>)> {
    let each: Vec<String> = entries
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()
        .ok()?;
    let sizes: Vec<(usize, bool)> = entries
        .iter()
        .zip(&each)
        .map(|(entry, json)| (json.len(), offers_after_reload(entry)))
        .collect();
    let keep = stored_selection(&sizes, ACTIVITY_BUDGET);
    let mut json = String::from("[");
    let mut ids = Vec::new();
    for ((entry, text), keep) in entries.iter().zip(&each).zip(keep) {
        if keep {
            if !ids.is_empty() {
                json.push(',');
            }
            json.push_str(text);
            ids.push(entry.id);
        }
    }
    json.push(']');
    Some((json, ids))
}

/// Whether a reload would lose more than a line of history without this entry.
fn offers_after_reload(entry: &Entry) -> bool {
    entry.undo.is_some()
        || entry.retry.is_some()
        || entry.unchecked.is_some()
        || entry.state.is_running()
}

pub fn use_changes() -> Changes {
    expect_context::<Changes>()
}

/// A value no other placeholder manifest has: the time and a random number.
pub fn unique_marker() -> String {
    format!(
        "{}-{}",
        js_sys::Date::new_0().to_iso_string(),
        (js_sys::Math::random() * 1e9) as u64
    )
}
