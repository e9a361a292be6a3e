//! Undo of recorded changes: one change, or a batch (a bulk run, an interrupted change
//! reconciled) undone last change first, every item tried even when some fail, and what
//! could not be undone kept for another try.

use serde::{Deserialize, Serialize};

use super::changes::{BatchUsers, ChangeError, Removal, TagBefore, TagWrite, Written};
use super::client::Registry;
use super::http::HttpClient;
use super::intent::Intent;
use super::names::{Digest, Repository, Tag};

/// What Undo puts back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UndoAction {
    /// Tags that were removed: PUT the kept bytes again.
    Restore(Box<Removal>),
    /// A tag that was added or moved: remove it, or point it back.
    Revert(TagWrite),
    /// The successful items of a bulk change, undone last first.
    Batch(Vec<UndoAction>),
}

impl From<Written> for UndoAction {
    fn from(written: Written) -> Self {
        match written {
            Written::Tag(write) => UndoAction::Revert(write),
            Written::Removal(removal) => UndoAction::Restore(removal),
        }
    }
}

impl UndoAction {
    /// What undoes the writes a failed change made before it failed, if any: a
    /// failure after a write keeps its Undo.
    pub fn of_failure(error: &ChangeError) -> Option<UndoAction> {
        error.written().cloned().and_then(UndoAction::of_written)
    }

    /// What undoes `written`: none for a removal finished on its throw-away manifest
    /// after its image was deleted (`Outcome::OnPlaceholderImageGone`, whose removal
    /// carries that manifest): there is nothing to put the tag back on. Every other
    /// removal keeps its Undo, one of an image no tag named too.
    pub fn of_written(written: Written) -> Option<UndoAction> {
        match written {
            Written::Removal(removal)
                if removal.placeholder.as_ref() == Some(&removal.manifest.digest) =>
            {
                None
            }
            written => Some(UndoAction::from(written)),
        }
    }

    /// The items of this action: a batch's own, or itself alone.
    pub fn into_items(self) -> Vec<UndoAction> {
        match self {
            UndoAction::Batch(items) => items,
            single => vec![single],
        }
    }

    /// One undo for many: nested batches flattened, none for nothing.
    pub fn collect(actions: Vec<UndoAction>) -> Option<UndoAction> {
        let mut flat: Vec<UndoAction> = actions
            .into_iter()
            .flat_map(UndoAction::into_items)
            .collect();
        match flat.len() {
            0 => None,
            1 => flat.pop(),
            _ => Some(UndoAction::Batch(flat)),
        }
    }

    /// The repositories and tags this action's change touched (and its undo touches).
    pub fn touched(&self) -> Vec<(&Repository, Vec<&Tag>)> {
        match self {
            UndoAction::Restore(removal) => {
                vec![(&removal.repository, removal.tags.iter().collect())]
            }
            UndoAction::Revert(write) => vec![(&write.repository, vec![&write.tag])],
            UndoAction::Batch(items) => items.iter().flat_map(UndoAction::touched).collect(),
        }
    }

    /// The repositories this undo writes to, each with whether it deletes there (a
    /// tag the change added is removed; everything else is a PUT): what an account
    /// must be allowed before Undo is offered.
    pub fn writes(&self) -> Vec<(&Repository, bool)> {
        match self {
            UndoAction::Restore(removal) => vec![(&removal.repository, false)],
            UndoAction::Revert(write) => {
                vec![(&write.repository, matches!(write.before, TagBefore::Absent))]
            }
            UndoAction::Batch(items) => items.iter().flat_map(UndoAction::writes).collect(),
        }
    }

    /// A change that changed nothing (a tag that already pointed at the image, a bulk
    /// run where every item failed) has nothing to undo.
    pub fn is_noop(&self) -> bool {
        match self {
            UndoAction::Restore(_) => false,
            UndoAction::Revert(write) => !write.changed(),
            UndoAction::Batch(items) => items.iter().all(UndoAction::is_noop),
        }
    }
}

/// An undo that did not undo everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoFailed {
    /// What is still to undo, which another Undo tries again.
    pub left: UndoAction,
    /// Each item that could not be undone, and why (in the batch's order).
    pub failures: Vec<(UndoAction, ChangeError)>,
    /// The number of items of the batch, `None` for a single change.
    pub batch_of: Option<usize>,
}

/// How an undo that did not undo everything ended, which the entry's status tells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UndoShortfall {
    /// Something could not be undone: a refusal, an unclear answer, a change since.
    #[default]
    Failed,
    /// Every item left found its change not on the registry: nothing went wrong, the
    /// change may still land (its request under way), and the Undo waits for it.
    NotLanded { some_undone: bool },
}

impl UndoFailed {
    pub fn shortfall(&self) -> UndoShortfall {
        let not_landed =
            (self.failures.iter()).all(|(_, error)| *error == ChangeError::NothingToUndo);
        if !not_landed || self.failures.is_empty() {
            return UndoShortfall::Failed;
        }
        UndoShortfall::NotLanded {
            some_undone: self
                .batch_of
                .is_some_and(|total| total > self.failures.len()),
        }
    }
}

/// What is left to undo after undoing `action` failed with `error`: the action again,
/// unless undoing it removed a tag and the registry took other tags with it
/// ([`ChangeError::TagsLost`]). Then the tag is gone as the undo wanted, and what is
/// left is to put back the tags lost with it, from the bytes the removal kept.
fn left_after(action: &UndoAction, error: &ChangeError) -> UndoAction {
    if let (UndoAction::Revert(_), ChangeError::AfterWrite { cause, written }) = (action, error) {
        if let (ChangeError::TagsLost { tags, .. }, Written::Removal(removal)) =
            (cause.as_ref(), written.as_ref())
        {
            // The image alone lost (no other tag): put back by digest
            // (`restore_tags` of no tags).
            let mut lost = removal.as_ref().clone();
            lost.tags
                .retain(|tag| tags.iter().any(|t| t == tag.as_str()));
            return UndoAction::Restore(Box::new(lost));
        }
    }
    action.clone()
}

impl<C: HttpClient> Registry<C> {
    /// Undoes `action`, every item of a batch even when some fail (last change first).
    /// `unique` gives each placeholder manifest a value no other has.
    pub async fn undo(
        &self,
        action: &UndoAction,
        unique: &dyn Fn() -> String,
    ) -> Result<(), UndoFailed> {
        match action {
            UndoAction::Batch(items) => {
                // Tags the batch added go: what uses their images is read once.
                let added: Vec<(Repository, Digest)> = items
                    .iter()
                    .filter_map(|item| match item {
                        UndoAction::Revert(write) if write.before == TagBefore::Absent => {
                            Some((write.repository.clone(), write.digest.clone()))
                        }
                        _ => None,
                    })
                    .collect();
                let batch = if added.len() > 1 {
                    Some(self.batch_users(&added).await)
                } else {
                    None
                };
                let mut failures = Vec::new();
                for item in items.iter().rev() {
                    if let Err(error) = self.undo_single(item, unique, batch.as_ref()).await {
                        failures.push((item.clone(), error));
                    }
                }
                if failures.is_empty() {
                    return Ok(());
                }
                failures.reverse();
                Err(UndoFailed {
                    left: UndoAction::Batch(
                        failures.iter().map(|(i, e)| left_after(i, e)).collect(),
                    ),
                    failures,
                    batch_of: Some(items.len()),
                })
            }
            single => self
                .undo_single(single, unique, None)
                .await
                .map_err(|error| UndoFailed {
                    left: left_after(single, &error),
                    failures: vec![(single.clone(), error)],
                    batch_of: None,
                }),
        }
    }

    async fn undo_single(
        &self,
        action: &UndoAction,
        unique: &dyn Fn() -> String,
        batch: Option<&BatchUsers>,
    ) -> Result<(), ChangeError> {
        match action {
            UndoAction::Restore(removal) => self.restore_tags(removal).await,
            UndoAction::Revert(write) => self.undo_tag_write_in(write, &unique(), batch).await,
            // Batches hold single changes only (see `UndoAction::collect`).
            UndoAction::Batch(_) => Ok(()),
        }
    }
}

/// How an Undo run ends, for its entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoEnd {
    /// What is left to undo, and why; `None` when the change is undone.
    pub failed: Option<UndoFailed>,
    /// The items this run undid (or found undone by an undo cut short).
    pub undone: Vec<UndoAction>,
}

/// Decides how an Undo of `action` that ended with `result` leaves its entry.
/// `cut_short`: a reload cut an earlier Undo short. `awaiting_landing`: the change
/// may still land on the registry (an earlier Undo found it not there yet, or it
/// was found not applied after a reload).
pub fn undo_end(
    action: &UndoAction,
    result: Result<(), UndoFailed>,
    cut_short: bool,
    awaiting_landing: bool,
) -> UndoEnd {
    let items = action.clone().into_items();
    match result {
        Ok(()) => UndoEnd {
            failed: None,
            undone: items,
        },
        // Nothing to take back after an undo cut short: it did it, unless the change
        // may still land; then this is "not landed (yet)", and the Undo stays.
        Err(failed)
            if cut_short
                && !awaiting_landing
                && matches!(failed.shortfall(), UndoShortfall::NotLanded { .. }) =>
        {
            UndoEnd {
                failed: None,
                undone: items,
            }
        }
        Err(failed) => {
            let undone = items
                .into_iter()
                .filter(|item| !failed.failures.iter().any(|(f, _)| f == item))
                .collect();
            UndoEnd {
                failed: Some(failed),
                undone,
            }
        }
    }
}

/// The intents of an interrupted change still to run (Retry) or read (Check again)
/// once `undone` was undone: none `undone` covers, as running it again would redo
/// what the user just took back (remove a tag put back).
pub fn left_to_run(intents: Option<Vec<Intent>>, undone: &[UndoAction]) -> Option<Vec<Intent>> {
    let left: Vec<Intent> = intents?
        .into_iter()
        .filter(|intent| !undone.iter().any(|action| action.undoes(intent)))
        .collect();
    (!left.is_empty()).then_some(left)
}

impl UndoAction {
    /// Whether this takes back what `intent` meant to do.
    pub fn undoes(&self, intent: &Intent) -> bool {
        match (self, intent) {
            (UndoAction::Batch(items), _) => items.iter().any(|item| item.undoes(intent)),
            (
                UndoAction::Restore(removal),
                Intent::RemoveTag {
                    repository,
                    tag,
                    digest,
                },
            ) => {
                removal.repository == *repository
                    && removal.digest == *digest
                    && removal.tags.contains(tag)
            }
            (
                UndoAction::Restore(removal),
                Intent::DeleteImage {
                    repository,
                    manifest,
                    ..
                },
            ) => removal.repository == *repository && removal.digest == manifest.digest,
            (
                UndoAction::Revert(write),
                Intent::PutTag {
                    repository,
                    tag,
                    digest,
                    ..
                }
                | Intent::CopyImage {
                    to: repository,
                    tag,
                    digest,
                    ..
                },
            ) => write.repository == *repository && write.tag == *tag && write.digest == *digest,
            _ => false,
        }
    }
}
