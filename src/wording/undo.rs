//! An Undo that did not undo everything, for the activity list.

use super::{change_error, Message};
use crate::oci::undo::{UndoAction, UndoFailed, UndoShortfall};

/// The status of an activity entry whose Undo did not undo everything. Nothing
/// failed when the change is only not on the registry (yet): said without alarm.
pub fn undo_status(shortfall: UndoShortfall) -> &'static str {
    match shortfall {
        UndoShortfall::Failed => "undo failed",
        UndoShortfall::NotLanded { some_undone: true } => "partly undone",
        UndoShortfall::NotLanded { some_undone: false } => "nothing to undo now",
    }
}

/// An Undo's failure as an activity entry tells it: what was not undone and why, in
/// words, and the requests behind it, which the entry folds away.
pub struct UndoFailure {
    pub text: String,
    pub requests: Vec<String>,
}

pub fn undo_failed(failed: &UndoFailed) -> UndoFailure {
    // Told in the order they were tried: last change first.
    let messages: Vec<(&UndoAction, Message)> = failed
        .failures
        .iter()
        .rev()
        .map(|(item, error)| (item, change_error(error)))
        .collect();
    let requests = messages
        .iter()
        .flat_map(|(_, message)| message.requests.iter().cloned())
        .collect();
    let text = match failed.batch_of {
        Some(total) => {
            let problems: Vec<String> = messages
                .iter()
                .map(|(item, message)| {
                    format!("{}: {}", subject(item), message.account_and_advice())
                })
                .collect();
            format!(
                "{} of {total} changes undone; not undone: {}",
                total - failed.failures.len(),
                problems.join("; ")
            )
        }
        None => messages
            .iter()
            .map(|(_, message)| format!("{} {}", message.account_and_advice(), message.outcome))
            .collect::<Vec<_>>()
            .join("; "),
    };
    UndoFailure { text, requests }
}

/// What the action puts back: `repo:tag`, or `repo@digest` for an image no tag
/// named (a signature or SBOM).
fn subject(action: &UndoAction) -> String {
    match action {
        UndoAction::Restore(removal) if removal.tags.is_empty() => format!(
            "{}@{}:{}…",
            removal.repository,
            removal.digest.algorithm(),
            removal.digest.short(12)
        ),
        UndoAction::Restore(removal) => {
            let tags: Vec<&str> = removal.tags.iter().map(|t| t.as_str()).collect();
            format!("{}:{}", removal.repository, tags.join(","))
        }
        UndoAction::Revert(write) => format!("{}:{}", write.repository, write.tag),
        UndoAction::Batch(items) => format!("{} changes", items.len()),
    }
}
