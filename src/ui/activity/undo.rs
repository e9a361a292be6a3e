//! Undo of an entry of the activity list: what is left to undo stays on the entry.

use std::future::Future;

use super::changes::{touched_by, ActivityLog, Entry, EntryState, UNDO_CUT_SHORT};
use super::unique_marker;
use crate::net;
use crate::net::FetchClient;
use crate::oci::undo::{left_to_run, undo_end, UndoShortfall};
use crate::ui::journal;
use crate::wording;

/// Said of an Undo that cannot be read back.
const UNDO_UNREADABLE: &str = "This entry's Undo could not be read back (it is damaged, \
    or was kept by another version of Tagdeck), so nothing was run and nothing was \
    changed; the Undo is dropped. Look at the repository and change it by hand if needed.";

impl ActivityLog {
    /// An entry whose kept Undo cannot be read back runs no step (Undo, Retry, Check
    /// again: each would act on, or overwrite, an Undo it cannot see). The first one
    /// tried says so and drops that Undo, so Retry and Check again can run next time.
    /// True when it did.
    pub(super) fn refuse_unreadable_undo(&self, id: usize, entry: &Entry) -> bool {
        if entry.undo.is_none() || entry.undo_action().is_some() {
            return false;
        }
        self.update_entry(id, |entry| {
            entry.forget_undo();
            entry.state = EntryState::Failed {
                message: UNDO_UNREADABLE.into(),
                outcome: String::new(),
                requests: Vec::new(),
            };
        });
        true
    }

    /// The undo of entry `id`: marked as running at once (the mark is stored, so a
    /// reload in the middle says so), then run.
    pub(super) fn undo(self, id: usize) -> impl Future<Output = ()> {
        let started = self.entry(id).and_then(|entry| {
            if self.refuse_unreadable_undo(id, &entry) {
                return None;
            }
            let action = entry.undo_action()?;
            // Stored with the mark: a reload loses the state that said it.
            let awaiting = entry.awaiting_landing
                || matches!(
                    &entry.state,
                    EntryState::UndoFailed {
                        shortfall: UndoShortfall::NotLanded { .. },
                        ..
                    }
                );
            self.update_entry(id, |entry| {
                entry.state = EntryState::Undoing;
                entry.run_by = Some(journal::page_owner());
                entry.keep_undo(Some(action.clone()));
                entry.awaiting_landing = awaiting;
            });
            let cut_short =
                matches!(&entry.state, EntryState::UndoFailed { message, .. } if message == UNDO_CUT_SHORT);
            Some((entry.registry, action, cut_short, awaiting))
        });
        async move {
            let Some((registry_address, action, cut_short, awaiting)) = started else {
                return;
            };
            let registry = net::registry(&registry_address, FetchClient::new());
            let result = registry.undo(&action, &unique_marker).await;
            let end = undo_end(&action, result, cut_short, awaiting);
            let (state, left, awaiting) = match end.failed {
                None => (EntryState::Undone, None, false),
                Some(failed) => {
                    let told = wording::undo_failed(&failed);
                    let shortfall = failed.shortfall();
                    (
                        EntryState::UndoFailed {
                            message: told.text,
                            requests: told.requests,
                            shortfall,
                        },
                        Some(failed.left),
                        awaiting || matches!(shortfall, UndoShortfall::NotLanded { .. }),
                    )
                }
            };
            // What was undone is not run (Retry) or read (Check again) any more: it
            // would redo what the user just took back.
            self.update_entry(id, |entry| {
                entry.state = state;
                entry.keep_undo(left);
                entry.awaiting_landing = awaiting;
                entry.retry = left_to_run(entry.retry.take(), &end.undone);
                entry.unchecked = left_to_run(entry.unchecked.take(), &end.undone);
            });
            self.announce(touched_by(&action, &registry_address));
        }
    }
}
