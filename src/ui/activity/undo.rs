//! Undo of an entry of the activity list: what is left to undo stays on the entry.

use std::future::Future;

use super::changes::{touched_by, ActivityLog, EntryState, UNDO_CUT_SHORT};
use super::unique_marker;
use crate::net;
use crate::net::FetchClient;
use crate::oci::changes::ChangeError;
use crate::wording;

impl ActivityLog {
    /// The undo of entry `id`: marked as running at once (the mark is stored, so a
    /// reload in the middle says so), then run.
    pub(super) fn undo(self, id: usize) -> impl Future<Output = ()> {
        let started = self.entry(id).and_then(|entry| {
            let action = entry.undo?;
            self.settle(id, EntryState::Undoing, Some(action.clone()));
            let cut_short =
                matches!(&entry.state, EntryState::UndoFailed { message, .. } if message == UNDO_CUT_SHORT);
            Some((entry.registry, action, cut_short))
        });
        async move {
            let Some((registry_address, action, cut_short)) = started else {
                return;
            };
            let registry = net::registry(&registry_address, FetchClient::new());
            let (state, left) = match registry.undo(&action, &unique_marker).await {
                Ok(()) => (EntryState::Undone, None),
                // Nothing to take back: after an undo cut short, it is done; else the
                // change has not landed (yet), and the Undo stays for when it does.
                Err(failed)
                    if cut_short
                        && (failed.failures.iter())
                            .all(|(_, e)| *e == ChangeError::NothingToUndo) =>
                {
                    (EntryState::Undone, None)
                }
                Err(failed) => {
                    let told = wording::undo_failed(&failed);
                    (
                        EntryState::UndoFailed {
                            message: told.text,
                            requests: told.requests,
                            shortfall: failed.shortfall(),
                        },
                        Some(failed.left),
                    )
                }
            };
            self.settle(id, state, left);
            self.announce(touched_by(&action, &registry_address));
        }
    }
}
