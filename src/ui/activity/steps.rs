//! The writes an entry offers (Undo, Retry, Check again) as one kind of step: they
//! run in the on-demand part `changes` (`ui::on_demand`), fetched with the first
//! change of the page, and say so on the entry when that part cannot be fetched.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::UpdateValue;

use super::changes::{ActivityLog, EntryState};
use crate::oci::undo::UndoShortfall;
use crate::wording;

/// An entry claimed by a running step (`ActivityLog::claim`).
pub struct StepClaim {
    log: ActivityLog,
    id: usize,
}

impl Drop for StepClaim {
    fn drop(&mut self) {
        // Gone with the page's state (unmounted): nothing left to release.
        let _ = self
            .log
            .running
            .try_update_value(|running| running.retain(|&id| id != self.id));
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ActivityStep {
    Undo,
    Retry,
    /// Reading the registry for an interrupted change (also on page load).
    CheckAgain,
}

impl ActivityLog {
    /// The step's work on entry `id`.
    pub fn start(self, step: ActivityStep, id: usize) -> Pin<Box<dyn Future<Output = ()>>> {
        match step {
            ActivityStep::Undo => Box::pin(self.undo(id)),
            ActivityStep::Retry => Box::pin(self.retry(id)),
            ActivityStep::CheckAgain => Box::pin(self.check_again(id)),
        }
    }

    /// Claims entry `id` for one step, unless a step already runs on it: the claim
    /// ends when the returned value is dropped.
    pub fn claim(self, id: usize) -> Option<StepClaim> {
        let free = self.running.try_update_value(|running| {
            let free = !running.contains(&id);
            if free {
                running.push(id);
            }
            free
        })?;
        free.then_some(StepClaim { log: self, id })
    }

    /// The step could not start (its code could not be fetched): nothing was written,
    /// and the entry keeps what it offers, with the reason.
    pub fn could_not_start(self, step: ActivityStep, id: usize) {
        self.update_entry(id, |entry| {
            entry.state = match step {
                ActivityStep::Undo => EntryState::UndoFailed {
                    message: wording::part_missing("Undo"),
                    requests: Vec::new(),
                    shortfall: UndoShortfall::Failed,
                },
                ActivityStep::Retry => EntryState::Failed {
                    message: wording::part_missing("Retry"),
                    outcome: String::new(),
                    requests: Vec::new(),
                },
                ActivityStep::CheckAgain => EntryState::Failed {
                    message: wording::part_missing("the check of this change"),
                    outcome: "Its state in the registry was not read: use Check again.".to_owned(),
                    requests: Vec::new(),
                },
            }
        });
    }
}
