//! Undo of an entry of the activity list: what is left to undo stays on the entry.

use std::future::Future;

use super::changes::{touched_by, ActivityLog, EntryState, UNDO_CUT_SHORT};
use super::unique_marker;
use crate::net;
use crate::net::FetchClient;
use crate::oci::undo::{left_to_run, undo_end, UndoShortfall};
use crate::ui::journal;
use crate::wording;

/// Said of an Undo kept in a form this version of the console cannot read.
const UNDO_UNREADABLE: &str = "This Undo was kept by another version of Tagdeck and \
    cannot be read back, so nothing was changed. Look at the repository and change it \
    by hand if needed.";

impl ActivityLog {
    /// The undo of entry `id`: marked as running at once (the mark is stored, so a
    /// reload in the middle says so), then run.
    pub(super) fn undo(self, id: usize) -> impl Future<Output = ()> {
        let started = self.entry(id).and_then(|entry| {
            let Some(action) = entry.undo_action() else {
                // Kept by another version of the console: never run half-read.
                if entry.undo.is_some() {
                    self.update_entry(id, |entry| {
                        entry.keep_undo(None);
                        entry.state = EntryState::UndoFailed {
                            message: UNDO_UNREADABLE.into(),
                            requests: Vec::new(),
                            shortfall: UndoShortfall::Failed,
                        };
                    });
                }
                return None;
            };
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
