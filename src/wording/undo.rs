//! An Undo that did not undo everything, for the activity list.

use super::change_error;
use crate::oci::undo::{UndoAction, UndoFailed};

pub fn undo_failed(failed: &UndoFailed) -> String {
    match failed.batch_of {
        Some(total) => {
            // Told in the order they were tried: last change first.
            let problems: Vec<String> = failed
                .failures
                .iter()
                .rev()
                .map(|(item, error)| {
                    format!(
                        "{}: {}",
                        subject(item),
                        change_error(error).detail_and_advice()
                    )
                })
                .collect();
            format!(
                "{} of {total} changes undone; not undone: {}",
                total - failed.failures.len(),
                problems.join("; ")
            )
        }
        None => failed
            .failures
            .iter()
            .map(|(_, error)| {
                let message = change_error(error);
                format!("{} {}", message.detail_and_advice(), message.outcome)
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// What the action puts back: `repo:tag`.
fn subject(action: &UndoAction) -> String {
    match action {
        UndoAction::Restore(removal) => {
            let tags: Vec<&str> = removal.tags.iter().map(|t| t.as_str()).collect();
            format!("{}:{}", removal.repository, tags.join(","))
        }
        UndoAction::Revert(write) => format!("{}:{}", write.repository, write.tag),
        UndoAction::Batch(items) => format!("{} changes", items.len()),
    }
}
