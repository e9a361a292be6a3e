//! The changes made in this browser tab, each with its digests, its result and, while
//! the registry still holds the bytes, an Undo.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};

use crate::net;
use crate::net::FetchClient;
use crate::oci::changes::ChangeError;
use crate::oci::intent::Intent;
use crate::oci::recovery::Outcome;
use crate::oci::undo::UndoAction;
use crate::ui::browser;
use crate::ui::journal::{self, Pending, Ticket};
use crate::wording;

/// Where the activity list lives between reloads of this tab: with it, Undo still
/// works after a reload (until the registry's garbage collection runs).
const ACTIVITY_KEY: &str = "tagdeck.activity";

/// Which tags `action`'s change touched (and its undo touches), for the views to refresh.
fn touched_by(action: &UndoAction, registry: &str) -> Vec<Touched> {
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
    Failed {
        message: String,
        outcome: String,
    },
    Undoing,
    Retrying,
    /// Reading the registry for an interrupted change.
    Checking,
    Undone,
    UndoFailed {
        message: String,
    },
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Entry {
    pub id: usize,
    pub registry: String,
    pub summary: String,
    pub state: EntryState,
    pub undo: Option<UndoAction>,
    /// One line per item, for bulk changes.
    pub details: Vec<String>,
    /// An interrupted change found not applied: what Retry runs again.
    #[serde(default)]
    pub retry: Option<Vec<Intent>>,
    /// An interrupted change whose state could not be read yet: Check again.
    #[serde(default)]
    pub unchecked: Option<Vec<Intent>>,
}

/// Which tags a change touched, so views refresh just those.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Touched {
    pub registry: String,
    pub repository: String,
    pub tags: Vec<String>,
}

/// Tab-wide state for changes: the activity list, and a counter that views
/// showing registry content watch to refresh after a change.
#[derive(Clone, Copy)]
pub struct Changes {
    pub entries: RwSignal<Vec<Entry>>,
    pub version: RwSignal<u64>,
    /// What the last change touched, per repository (set with each `version` bump).
    pub touched: StoredValue<Vec<Touched>>,
    /// Whether the list (and its Undo data) is safe in session storage; when not,
    /// the user is told that a reload loses Undo.
    saved: RwSignal<bool>,
    /// Entries of an earlier page load that could not be read back.
    unreadable: RwSignal<usize>,
}

impl Changes {
    pub fn provide() -> Changes {
        let (entries, unreadable) = load_entries();
        let changes = Changes {
            entries: RwSignal::new(entries),
            version: RwSignal::new(0),
            touched: StoredValue::new(Vec::new()),
            saved: RwSignal::new(true),
            unreadable: RwSignal::new(unreadable),
        };
        for interrupted in journal::take_interrupted() {
            changes.reconcile(interrupted);
        }
        Effect::new(move || {
            let json = changes.entries.with(serde_json::to_string);
            let saved = json.is_ok_and(|json| browser::session_store(ACTIVITY_KEY, &json));
            changes.saved.set(saved);
        });
        provide_context(changes);
        changes
    }

    pub fn record(&self, registry: &str, summary: String, result: Result<UndoAction, ChangeError>) {
        self.record_with_details(registry, summary, result, Vec::new());
    }

    pub fn record_with_details(
        &self,
        registry: &str,
        summary: String,
        result: Result<UndoAction, ChangeError>,
        details: Vec<String>,
    ) {
        let (state, undo) = match result {
            Ok(undo) => (EntryState::Done, (!undo.is_noop()).then_some(undo)),
            // Whatever was written before the failure can still be undone.
            Err(error) => {
                let message = wording::change_error(&error);
                (
                    EntryState::Failed {
                        message: message.detail_and_advice(),
                        outcome: message.outcome,
                    },
                    error.written().cloned().map(UndoAction::from),
                )
            }
        };
        let touched = undo
            .as_ref()
            .map(|u| touched_by(u, registry))
            .unwrap_or_default();
        // Unique even after unreadable entries were dropped on reload: an id taken
        // twice could make Undo undo the wrong change.
        let id = self.next_id();
        self.entries.update(|entries| {
            entries.insert(
                0,
                Entry {
                    id,
                    registry: registry.to_owned(),
                    summary,
                    state,
                    undo,
                    details,
                    retry: None,
                    unchecked: None,
                },
            );
        });
        self.announce(touched);
    }

    /// Tells the views that the registry changed, and where.
    fn announce(&self, touched: Vec<Touched>) {
        self.touched.set_value(touched);
        self.version.update(|v| *v += 1);
    }

    /// A change a previous load left unfinished: the registry is read again and the
    /// activity list says what is true now, with Undo for what was applied and Retry
    /// for what was not. What cannot be read (a registry that needs a sign-in: the
    /// credentials were not kept) stays on the entry for "Check again".
    fn reconcile(&self, interrupted: Pending) {
        let changes = *self;
        let id = changes.next_id();
        changes.entries.update(|entries| {
            entries.insert(
                0,
                Entry {
                    id,
                    registry: interrupted.registry.clone(),
                    summary: format!("Interrupted: {}", interrupted.summary),
                    state: EntryState::Checking,
                    undo: None,
                    details: Vec::new(),
                    retry: None,
                    unchecked: Some(interrupted.intents),
                },
            );
        });
        changes.check_again(id);
    }

    /// Reads the registry for the intents of `id` that could not be read yet.
    pub fn check_again(&self, id: usize) {
        let Some(entry) = self
            .entries
            .with_untracked(|e| e.iter().find(|e| e.id == id).cloned())
        else {
            return;
        };
        let Some(intents) = entry.unchecked.clone() else {
            return;
        };
        let changes = *self;
        spawn_local(async move {
            let registry = net::registry(&entry.registry, FetchClient::new());
            let mut now = Vec::new();
            let mut undo: Vec<UndoAction> = entry.undo.into_iter().collect();
            let mut retry = entry.retry.unwrap_or_default();
            let mut unclear = Vec::new();
            let mut unchecked = Vec::new();
            for intent in intents {
                match registry.reconcile(&intent).await {
                    Ok(found) => {
                        match found.outcome {
                            Outcome::Applied(written) => undo.push(UndoAction::from(written)),
                            Outcome::NotApplied => retry.push(intent),
                            Outcome::Neither => unclear.push(found.now.clone()),
                        }
                        now.push(found.now);
                    }
                    Err(error) => {
                        let message = wording::error(&error);
                        now.push(format!(
                            "could not be read ({}: {})",
                            message.headline, message.advice
                        ));
                        unchecked.push(intent);
                    }
                }
            }
            let mut outcome = Vec::new();
            if !undo.is_empty() {
                outcome.push("What was applied can be undone.".to_owned());
            }
            if !retry.is_empty() {
                outcome.push("What was not applied changed nothing; Retry runs it.".to_owned());
            }
            if !unclear.is_empty() {
                outcome.push(format!(
                    "Changed meanwhile, so neither Undo nor Retry is offered for: {}.",
                    unclear.join("; ")
                ));
            }
            if !unchecked.is_empty() {
                outcome.push(
                    "What could not be read is kept: Check again (after signing in, if the \
                     registry asks for it)."
                        .to_owned(),
                );
            }
            let state = EntryState::Failed {
                message: format!(
                    "The page was reloaded or closed while this change ran. \
                     The registry, read again now: {}.",
                    now.join("; ")
                ),
                outcome: outcome.join(" "),
            };
            changes.entries.update(|entries| {
                if let Some(entry) = entries.iter_mut().find(|e| e.id == id) {
                    entry.state = state;
                    entry.undo = UndoAction::collect(undo);
                    entry.retry = (!retry.is_empty()).then_some(retry);
                    entry.unchecked = (!unchecked.is_empty()).then_some(unchecked);
                }
            });
            changes.version.update(|v| *v += 1);
        });
    }

    /// An id no entry has, even after unreadable entries were dropped on reload.
    fn next_id(&self) -> usize {
        self.entries
            .with_untracked(|entries| entries.iter().map(|e| e.id + 1).max().unwrap_or(0))
    }

    /// Runs the not-applied part of an interrupted change again.
    pub fn retry(&self, id: usize) {
        let Some(entry) = self
            .entries
            .with_untracked(|e| e.iter().find(|e| e.id == id).cloned())
        else {
            return;
        };
        let Some(intents) = entry.retry.clone() else {
            return;
        };
        self.entries.update(|entries| {
            if let Some(entry) = entries.iter_mut().find(|e| e.id == id) {
                entry.retry = None;
                entry.state = EntryState::Retrying;
            }
        });
        let changes = *self;
        spawn_local(async move {
            let ticket = Ticket::open(&entry.registry, &entry.summary);
            let registry =
                net::registry(&entry.registry, FetchClient::new()).journaled(ticket.recorder());
            let mut undo: Vec<UndoAction> = entry.undo.into_iter().collect();
            let mut problems = Vec::new();
            for intent in &intents {
                match registry.retry(intent, &unique_marker()).await {
                    Ok(written) => undo.push(UndoAction::from(written)),
                    Err(error) => {
                        undo.extend(error.written().cloned().map(UndoAction::from));
                        problems.push(wording::change_error(&error).detail_and_outcome());
                    }
                }
            }
            let state = if problems.is_empty() {
                EntryState::Done
            } else {
                EntryState::Failed {
                    message: format!("Retry failed: {}", problems.join("; ")),
                    outcome: String::new(),
                }
            };
            let undo = UndoAction::collect(undo);
            let touched = undo
                .as_ref()
                .map(|u| touched_by(u, &entry.registry))
                .unwrap_or_default();
            changes.settle(id, state, undo);
            ticket.close();
            changes.announce(touched);
        });
    }

    /// Sets an entry's state, and what is left to undo.
    fn settle(&self, id: usize, state: EntryState, undo: Option<UndoAction>) {
        self.entries.update(|entries| {
            if let Some(entry) = entries.iter_mut().find(|e| e.id == id) {
                entry.state = state;
                entry.undo = undo;
            }
        });
    }

    pub fn undo(&self, id: usize) {
        let Some(entry) = self
            .entries
            .with_untracked(|e| e.iter().find(|e| e.id == id).cloned())
        else {
            return;
        };
        let Some(action) = entry.undo else {
            return;
        };
        self.settle(id, EntryState::Undoing, Some(action.clone()));
        let changes = *self;
        spawn_local(async move {
            let registry = net::registry(&entry.registry, FetchClient::new());
            let (state, left) = match registry.undo(&action, &unique_marker).await {
                Ok(()) => (EntryState::Undone, None),
                Err(failed) => (
                    EntryState::UndoFailed {
                        message: wording::undo_failed(&failed),
                    },
                    Some(failed.left),
                ),
            };
            changes.settle(id, state, left);
            changes.announce(touched_by(&action, &entry.registry));
        });
    }
}

/// The activity of earlier loads of this tab, and how many entries could not be read
/// back (an entry whose manifest no longer matches its digest is dropped, never used).
fn load_entries() -> (Vec<Entry>, usize) {
    let Some(json) = browser::session_stored(ACTIVITY_KEY) else {
        return (Vec::new(), 0);
    };
    let values: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap_or_default();
    let total = values.len();
    let entries: Vec<Entry> = values
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Entry>(value).ok())
        .map(|mut entry| {
            match entry.state {
                EntryState::Undoing => {
                    entry.state = EntryState::UndoFailed {
                        message: "The page was reloaded while this undo ran: check the tags, \
                                  then Undo again for what is left."
                            .into(),
                    }
                }
                // A retry writes through the journal: the reload reconciles it anew;
                // a check left its intents on the entry for Check again.
                EntryState::Retrying | EntryState::Checking => {
                    entry.state = EntryState::Failed {
                        message: "The page was reloaded while this ran: the registry is \
                                  read again for it (Check again, or the entry that \
                                  reconciles it)."
                            .into(),
                        outcome: String::new(),
                    }
                }
                _ => {}
            }
            entry
        })
        .collect();
    let unreadable = total - entries.len();
    (entries, unreadable)
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

#[component]
pub fn ActivityPanel() -> impl IntoView {
    let changes = use_changes();
    view! {
        <Show when=move || { changes.entries.with(|e| !e.is_empty()) || changes.unreadable.get() > 0 }>
            <section class="panel activity" aria-labelledby="activity-heading">
                <h2 id="activity-heading">"Activity in this tab"</h2>
                <Show when=move || !changes.saved.get()>
                    <p class="error-panel" role="alert">
                        "This tab's storage is full or disabled: the Undo data below is lost if the page is reloaded. Undo what you need before reloading."
                    </p>
                </Show>
                <Show when=move || { changes.unreadable.get() > 0 }>
                    <p class="error-panel" role="alert">
                        {move || format!("{} earlier changes of this tab could not be read back after the reload; their Undo is not available.", changes.unreadable.get())}
                    </p>
                </Show>
                <ol class="activity-list" aria-label="Activity">
                    <For each=move || changes.entries.get() key=|e| (e.id, format!("{:?}", state_key(&e.state))) let:entry>
                        <ActivityRow entry />
                    </For>
                </ol>
            </section>
        </Show>
    }
}

fn state_key(state: &EntryState) -> &'static str {
    match state {
        EntryState::Done => "done",
        EntryState::Failed { .. } => "failed",
        EntryState::Undoing => "undoing",
        EntryState::Retrying => "retrying",
        EntryState::Checking => "checking",
        EntryState::Undone => "undone",
        EntryState::UndoFailed { .. } => "undo-failed",
    }
}

#[component]
fn ActivityRow(entry: Entry) -> impl IntoView {
    let changes = use_changes();
    let id = entry.id;
    let (status, detail, can_undo) = match &entry.state {
        EntryState::Done => ("done", None, entry.undo.is_some()),
        // A failure after a write keeps its Undo.
        EntryState::Failed { message, outcome } => (
            "failed",
            Some(format!("{message} {outcome}")),
            entry.undo.is_some(),
        ),
        EntryState::Undoing => ("undoing…", None, false),
        EntryState::Retrying => ("retrying…", None, false),
        EntryState::Checking => ("checking…", None, false),
        EntryState::Undone => ("undone", None, false),
        // What is left can be tried again (the network may be back).
        EntryState::UndoFailed { message } => {
            ("undo failed", Some(message.clone()), entry.undo.is_some())
        }
    };
    view! {
        <li class=format!("activity-entry {}", state_key(&entry.state))>
            <span class="activity-status">{status}</span>
            " "
            <span class="activity-summary">{entry.summary.clone()}</span>
            {detail.map(|d| view! { <p class="activity-detail">{d}</p> })}
            {(!entry.details.is_empty())
                .then(|| {
                    view! {
                        <details class="activity-items">
                            <summary>{format!("{} items", entry.details.len())}</summary>
                            <ul>{entry.details.iter().map(|line| view! { <li>{line.clone()}</li> }).collect_view()}</ul>
                        </details>
                    }
                })}
            <Show when=move || can_undo>
                <button type="button" on:click=move |_| changes.undo(id)>"Undo"</button>
            </Show>
            {entry
                .retry
                .is_some()
                .then(|| view! { <button type="button" on:click=move |_| changes.retry(id)>"Retry"</button> })}
            {entry
                .unchecked
                .is_some()
                .then(|| view! { <button type="button" on:click=move |_| changes.check_again(id)>"Check again"</button> })}
        </li>
    }
}
