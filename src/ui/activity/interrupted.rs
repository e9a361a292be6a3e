//! Changes a previous load left unfinished: the registry is read again and the
//! activity list says what is true now, with Undo for what was applied and Retry for
//! what was not. What cannot be read (a registry that needs a sign-in: the
//! credentials were not kept) stays on the entry for Check again.

use std::future::Future;

use leptos::prelude::*;

use super::changes::{touched_by, ActivityLog, Entry, EntryState};
use super::unique_marker;
use crate::net;
use crate::net::FetchClient;
use crate::oci::intent::without_covered;
use crate::oci::recovery::Outcome;
use crate::oci::undo::UndoAction;
use crate::ui::journal::{Pending, Ticket};
use crate::wording;

/// Said of a tag removal left on its throw-away manifest (`Outcome::OnPlaceholder`).
const ON_PLACEHOLDER: &str = "Retry finishes the removal; Undo puts the tag back on its image \
                              instead.";

/// Said of one whose image was deleted meanwhile (`Outcome::OnPlaceholderImageGone`).
const ON_PLACEHOLDER_IMAGE_GONE: &str = "Retry finishes the removal; with its image deleted \
                                         meanwhile, there is nothing to put the tag back on, \
                                         so no Undo.";

/// Said while part of an interrupted change could not be read.
const UNCHECKED_KEPT: &str = "What could not be read is kept: Check again (after signing in, if \
                              the registry asks for it).";

impl ActivityLog {
    /// Lists a change the journal found unfinished, to be checked; returns its id.
    pub(super) fn add_interrupted(&self, interrupted: Pending) -> usize {
        self.insert(Entry {
            id: 0,
            registry: interrupted.registry,
            summary: format!("Interrupted: {}", interrupted.summary),
            state: EntryState::Checking,
            undo: None,
            details: Vec::new(),
            item_requests: Vec::new(),
            retry: None,
            unchecked: Some(without_covered(interrupted.intents)),
            unclear: None,
            revision: 0,
        })
    }

    /// Reads the registry for the intents of `id` that could not be read yet.
    pub(super) fn check_again(self, id: usize) -> impl Future<Output = ()> {
        let entry = self.entry(id);
        // Shown as running, so the user sees the registry being read. The intents stay
        // on the stored entry until the check ends: a reload meanwhile keeps them.
        if entry.as_ref().is_some_and(|e| e.unchecked.is_some()) {
            self.update_entry(id, |entry| entry.state = EntryState::Checking);
        }
        async move {
            let Some(mut entry) = entry else {
                return;
            };
            let Some(intents) = entry.unchecked.take() else {
                return;
            };
            let registry = net::registry(&entry.registry, FetchClient::new());
            let mut now = Vec::new();
            let mut undo: Vec<UndoAction> = entry.undo.into_iter().collect();
            let mut retry = entry.retry.unwrap_or_default();
            let mut unclear = Vec::new();
            let mut unchecked = Vec::new();
            let mut unfinished = 0;
            let mut image_gone = 0;
            for intent in intents {
                match registry.reconcile(&intent).await {
                    Ok(found) => {
                        match found.outcome {
                            Outcome::Applied(written) => undo.push(UndoAction::from(written)),
                            Outcome::NotApplied => retry.push(intent),
                            Outcome::OnPlaceholder(removal) => {
                                undo.push(UndoAction::Restore(removal));
                                retry.push(intent);
                                unfinished += 1;
                            }
                            Outcome::OnPlaceholderImageGone(_) => {
                                retry.push(intent);
                                image_gone += 1;
                            }
                            Outcome::Neither => unclear.push(wording::registry_now(&found.now)),
                        }
                        now.push(wording::registry_now(&found.now));
                    }
                    Err(error) => {
                        let user = net::signed_in_at(registry.base_url());
                        let message = wording::error_for(&error, user.as_deref());
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
            if retry.len() > unfinished + image_gone {
                outcome.push("What was not applied changed nothing; Retry runs it.".to_owned());
            }
            if unfinished > 0 {
                outcome.push(ON_PLACEHOLDER.to_owned());
            }
            if image_gone > 0 {
                outcome.push(ON_PLACEHOLDER_IMAGE_GONE.to_owned());
            }
            // Added to what an earlier check found changed meanwhile, never instead.
            let unclear = (!unclear.is_empty())
                .then(|| {
                    format!(
                        "Changed meanwhile, so neither Undo nor Retry is offered for: {}.",
                        unclear.join("; ")
                    )
                })
                .into_iter()
                .chain(entry.unclear.take())
                .reduce(|new, before| format!("{before} {new}"));
            outcome.extend(unclear.clone());
            if !unchecked.is_empty() {
                outcome.push(UNCHECKED_KEPT.to_owned());
            }
            let message = format!(
                "The page was reloaded or closed while this change ran. \
                 The registry, read again now: {}.",
                now.join("; ")
            );
            // Applied in full is done, though the page did not see it end.
            let applied_in_full =
                !undo.is_empty() && retry.is_empty() && unclear.is_none() && unchecked.is_empty();
            let state = if applied_in_full {
                EntryState::AppliedWhileAway {
                    message: format!("{message} {}", outcome.join(" ")),
                }
            } else {
                EntryState::Failed {
                    message,
                    outcome: outcome.join(" "),
                    requests: Vec::new(),
                }
            };
            self.update_entry(id, |entry| {
                entry.state = state;
                entry.undo = UndoAction::collect(undo);
                entry.retry = (!retry.is_empty()).then_some(retry);
                entry.unchecked = (!unchecked.is_empty()).then_some(unchecked);
                entry.unclear = unclear;
            });
            self.version.update(|v| *v += 1);
        }
    }

    /// Runs the not-applied part of an interrupted change again.
    pub(super) fn retry(self, id: usize) -> impl Future<Output = ()> {
        let started = self.entry(id).and_then(|entry| {
            let intents = entry.retry.clone()?;
            self.update_entry(id, |entry| {
                entry.retry = None;
                entry.state = EntryState::Retrying;
            });
            Some((entry, intents))
        });
        async move {
            let Some((entry, intents)) = started else {
                return;
            };
            let ticket = Ticket::open(&entry.registry, &entry.summary);
            let registry =
                net::registry(&entry.registry, FetchClient::new()).journaled(ticket.recorder());
            // Flat, to see what is there already: finishing a removal left on its
            // throw-away manifest returns the Undo its check offered.
            let mut undo: Vec<UndoAction> = match entry.undo {
                Some(UndoAction::Batch(items)) => items,
                single => single.into_iter().collect(),
            };
            let mut add = |action: UndoAction| {
                if !undo.contains(&action) {
                    undo.push(action);
                }
            };
            let mut problems = Vec::new();
            for intent in &intents {
                match registry.retry(intent, &unique_marker()).await {
                    Ok(written) => UndoAction::of_written(written)
                        .into_iter()
                        .for_each(&mut add),
                    Err(error) => {
                        UndoAction::of_failure(&error)
                            .into_iter()
                            .for_each(&mut add);
                        problems.push(wording::change_error(&error).result_line());
                    }
                }
            }
            // What Retry did not run is still to be said: not "done".
            let left: Vec<&str> = entry
                .unclear
                .iter()
                .map(String::as_str)
                .chain(entry.unchecked.is_some().then_some(UNCHECKED_KEPT))
                .collect();
            let state = if problems.is_empty() && left.is_empty() {
                EntryState::Done
            } else if problems.is_empty() {
                EntryState::Failed {
                    message: "Retry ran what was not applied; it is done.".to_owned(),
                    outcome: left.join(" "),
                    requests: Vec::new(),
                }
            } else {
                let told: Vec<&str> = problems.iter().map(|p| p.text.as_str()).collect();
                EntryState::Failed {
                    message: format!("Retry failed: {}", told.join(" ")),
                    outcome: left.join(" "),
                    requests: problems.into_iter().flat_map(|p| p.requests).collect(),
                }
            };
            let undo = UndoAction::collect(undo);
            let touched = undo
                .as_ref()
                .map(|u| touched_by(u, &entry.registry))
                .unwrap_or_default();
            self.settle(id, state, undo);
            ticket.close();
            self.announce(touched);
        }
    }
}
