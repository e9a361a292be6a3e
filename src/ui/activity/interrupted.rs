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
use crate::oci::intent::{without_covered, Intent};
use crate::oci::recovery::{awaiting_landing, Offers, RetryRun};
use crate::oci::undo::UndoAction;
use crate::ui::journal::{self, Pending, Ticket};
use crate::wording;

/// Said while part of an interrupted change could not be read.
const UNCHECKED_KEPT: &str = "What could not be read is kept: Check again (after signing in, if \
                              the registry asks for it).";

impl ActivityLog {
    /// Lists a change the journal found unfinished, to be checked; returns its id.
    pub(super) fn add_interrupted(&self, interrupted: Pending) -> usize {
        self.insert(Entry {
            id: 0,
            registry: interrupted.registry,
            summary: Offers::title(&interrupted.summary),
            state: EntryState::Checking,
            undo: None,
            undo_writes: Vec::new(),
            details: Vec::new(),
            item_requests: Vec::new(),
            retry: None,
            unchecked: Some(without_covered(interrupted.intents)),
            unclear: None,
            awaiting_landing: false,
            revision: 0,
            run_by: None,
        })
    }

    /// Reads the registry for the intents of `id` that could not be read yet.
    pub(super) fn check_again(self, id: usize) -> impl Future<Output = ()> {
        let entry = self.entry(id);
        // Shown as running, so the user sees the registry being read. The intents stay
        // on the stored entry until the check ends: a reload meanwhile keeps them.
        if entry.as_ref().is_some_and(|e| e.unchecked.is_some()) {
            self.update_entry(id, |entry| {
                entry.state = EntryState::Checking;
                entry.run_by = Some(journal::page_owner());
            });
        }
        async move {
            let Some(mut entry) = entry else {
                return;
            };
            if self.refuse_unreadable_undo(id, &entry) {
                return;
            }
            let Some(intents) = entry.unchecked.take() else {
                return;
            };
            let registry = net::registry(&entry.registry, FetchClient::new());
            let mut now = Vec::new();
            let mut offers = Offers::new(entry.undo_action(), entry.retry.take());
            let mut unchecked = Vec::new();
            for intent in intents {
                match registry.reconcile(&intent).await {
                    Ok(found) => {
                        // Said once for a copy and its tag PUT (`without_covered`).
                        let line = wording::registry_now(&found.now);
                        if !now.contains(&line) {
                            now.push(line);
                        }
                        offers.add(intent, found);
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
            let mut outcome = offers.outcome_lines();
            let unclear: Vec<String> = offers.unclear.iter().map(wording::registry_now).collect();
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
            let applied_in_full = !offers.undo.is_empty()
                && offers.retry.is_empty()
                && unclear.is_none()
                && unchecked.is_empty();
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
            let awaiting = awaiting_landing(&offers.undo, &offers.retry)
                || awaiting_landing(&offers.undo, &unchecked);
            self.update_entry(id, |entry| {
                entry.state = state;
                entry.keep_undo(UndoAction::collect(offers.undo));
                entry.retry = (!offers.retry.is_empty()).then_some(offers.retry);
                entry.unchecked = (!unchecked.is_empty()).then_some(unchecked);
                entry.unclear = unclear;
                entry.awaiting_landing = awaiting;
            });
            self.version.update(|v| *v += 1);
        }
    }

    /// Runs the not-applied part of an interrupted change again. Its intents stay on
    /// the entry until the run ends (a reload meanwhile offers Check again for them);
    /// then what failed is offered again: Retry, or Check again where it may have
    /// been applied.
    pub(super) fn retry(self, id: usize) -> impl Future<Output = ()> {
        let started = self.entry(id).and_then(|entry| {
            let intents = entry.retry.clone()?;
            if self.refuse_unreadable_undo(id, &entry) {
                return None;
            }
            self.update_entry(id, |entry| {
                entry.state = EntryState::Retrying;
                entry.run_by = Some(journal::page_owner());
            });
            Some((entry, intents))
        });
        async move {
            let Some((entry, intents)) = started else {
                return;
            };
            let ticket = Ticket::open_for(&entry.registry, &entry.summary, Some(id));
            let registry =
                net::registry(&entry.registry, FetchClient::new()).journaled(ticket.recorder());
            let mut run = RetryRun::new(entry.undo_action());
            let mut problems = Vec::new();
            for intent in intents {
                let result = registry.retry(&intent, &unique_marker()).await;
                if let Err(error) = &result {
                    problems.push(wording::change_error(error).result_line());
                }
                run.add(intent, result);
            }
            // What Retry did not run is still to be said: not "done".
            let unchecked: Vec<Intent> = entry
                .unchecked
                .clone()
                .into_iter()
                .flatten()
                .chain(run.unchecked.iter().cloned())
                .collect();
            let left: Vec<&str> = entry
                .unclear
                .iter()
                .map(String::as_str)
                .chain(entry.unchecked.is_some().then_some(UNCHECKED_KEPT))
                .chain(run.left_lines())
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
            let awaiting = awaiting_landing(&run.undo, &run.retry)
                || awaiting_landing(&run.undo, &run.unchecked);
            let undo = UndoAction::collect(run.undo);
            let touched = undo
                .as_ref()
                .map(|u| touched_by(u, &entry.registry))
                .unwrap_or_default();
            self.update_entry(id, |entry| {
                entry.state = state;
                entry.keep_undo(undo);
                entry.retry = (!run.retry.is_empty()).then_some(run.retry);
                entry.unchecked = (!unchecked.is_empty()).then_some(unchecked);
                entry.awaiting_landing = awaiting;
            });
            ticket.close();
            self.announce(touched);
        }
    }
}
