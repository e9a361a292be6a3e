//! Changes that were interrupted (the tab was closed or reloaded mid-change): how the
//! registry's state is read afterwards, from the change's [`Intent`], to say what is
//! true and what Undo or Retry can do.

use super::changes::{
    ChangeError, ImageUsers, Removal, RemovalMethod, TagBefore, TagWrite, Written,
};
use super::client::Registry;
use super::error::RegistryError;
use super::http::HttpClient;
use super::intent::Intent;
use super::manifest::Manifest;
use super::names::{Digest, Repository, Tag};
use super::undo::UndoAction;

/// What reading the registry again found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// What the registry shows now, for what the change touched (worded by
    /// `wording::registry_now`).
    pub now: RegistryNow,
    pub outcome: Outcome,
    /// Found not applied: the Undo kept should its write land after all (see
    /// `Registry::undo_if_lands`).
    pub lands: Option<UndoAction>,
}

/// The registry's state, read again, for what an interrupted change touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryNow {
    /// What `tag` points at now, if it exists.
    Tag {
        repository: Repository,
        tag: Tag,
        digest: Option<Digest>,
    },
    /// `tag` answers "not found", yet it is not known to be gone: the tag list still
    /// names it (`still_listed`), or could not be read in full to show it does not.
    TagUnresolved {
        repository: Repository,
        tag: Tag,
        still_listed: bool,
    },
    /// `tag` points at `placeholder`, the throw-away manifest its removal pushed:
    /// the tag still exists, and pulls an empty image.
    OnPlaceholder {
        repository: Repository,
        tag: Tag,
        placeholder: Digest,
    },
    /// Whether the image `digest` still exists.
    Image {
        repository: Repository,
        digest: Digest,
        exists: bool,
    },
    /// The image `digest` still exists, but the tags `untagged` of those its delete
    /// was to take no longer point at it (a registry that untags first).
    ImageUntagged {
        repository: Repository,
        digest: Digest,
        untagged: Vec<Tag>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The change is in the registry: Undo takes it back.
    Applied(Written),
    /// The registry shows the state before the change: Retry runs it again.
    NotApplied,
    /// A tag removal cut short with the tag on its throw-away manifest (between
    /// that manifest's PUT and its DELETE): not done. Retry finishes it, deleting
    /// the throw-away manifest; Undo puts the tag back on its image instead.
    OnPlaceholder(Box<Removal>),
    /// The same, but the image the tag was taken off is gone too (deleted
    /// meanwhile): Retry still finishes the removal; no Undo, with nothing left to
    /// put the tag back on. The removal's `manifest` is the throw-away one.
    OnPlaceholderImageGone(Box<Removal>),
    /// Something else happened meanwhile (the tag points at a third image): neither
    /// Undo nor Retry is safe without the user looking first.
    Neither,
}

impl<C: HttpClient> Registry<C> {
    /// Reads what `intent` touches and says whether it was applied.
    pub async fn reconcile(&self, intent: &Intent) -> Result<Reconciled, RegistryError> {
        let mut found = self.read_again(intent).await?;
        if found.outcome == Outcome::NotApplied {
            found.lands = self.undo_if_lands(intent).await?;
        }
        Ok(found)
    }

    /// The Undo of `intent`, found not applied, should its write land after all (it
    /// was recorded just before that write): what a tag pointed at, read now, is put
    /// back, and only over what the change wrote (`undo_tag_write_in`,
    /// `restore_tags`).
    async fn undo_if_lands(&self, intent: &Intent) -> Result<Option<UndoAction>, RegistryError> {
        Ok(Some(match intent {
            Intent::DeleteImage {
                repository,
                tags,
                manifest,
            } => UndoAction::Restore(Box::new(Removal {
                repository: repository.clone(),
                tags: tags.clone(),
                digest: manifest.digest.clone(),
                method: RemovalMethod::ImageDelete,
                manifest: (**manifest).clone(),
                kept: ImageUsers::default(),
                placeholder: None,
                applied_anyway: None,
            })),
            // A copy's is its tag PUT's (see `without_covered`): one cut short before
            // that PUT sent none, and nothing of it can land.
            Intent::PutTag {
                repository,
                tag,
                digest,
                before,
            } if before.as_ref() != Some(digest) => UndoAction::Revert(TagWrite {
                repository: repository.clone(),
                tag: tag.clone(),
                digest: digest.clone(),
                before: self.tag_before(repository, before.as_ref()).await?,
                applied_anyway: None,
            }),
            // The image's bytes, read while the tag still points at it.
            Intent::RemoveTag {
                repository,
                tag,
                digest,
            } => UndoAction::Restore(Box::new(Removal {
                repository: repository.clone(),
                tags: vec![tag.clone()],
                digest: digest.clone(),
                method: RemovalMethod::TagDelete,
                manifest: self.manifest_get(repository, digest).await?,
                kept: ImageUsers::default(),
                placeholder: None,
                applied_anyway: None,
            })),
            _ => return Ok(None),
        }))
    }

    /// What a tag that pointed at `before` is put back on by Undo.
    async fn tag_before(
        &self,
        repository: &Repository,
        before: Option<&Digest>,
    ) -> Result<TagBefore, RegistryError> {
        Ok(match before {
            None => TagBefore::Absent,
            Some(previous) => {
                TagBefore::Moved(Box::new(self.manifest_get(repository, previous).await?))
            }
        })
    }

    /// [`Registry::reconcile`] without the Undo kept in case a write lands, which
    /// Retry does not need.
    async fn read_again(&self, intent: &Intent) -> Result<Reconciled, RegistryError> {
        match intent {
            Intent::PutTag {
                repository,
                tag,
                digest,
                before,
            } => {
                self.reconcile_tag(repository, tag, digest, before.as_ref())
                    .await
            }
            // What a copy leaves behind besides its tag (blobs mounted, platform
            // manifests by digest) holds nothing by itself: the tag tells.
            Intent::CopyImage {
                to,
                tag,
                digest,
                before,
                ..
            } => self.reconcile_tag(to, tag, digest, before.as_ref()).await,
            Intent::RemoveTag {
                repository,
                tag,
                digest,
            } => {
                let now = self.resolve_tag(repository, tag).await?;
                let resolved = RegistryNow::Tag {
                    repository: repository.clone(),
                    tag: tag.clone(),
                    digest: now.clone(),
                };
                // A HEAD's 404 alone does not show the tag gone (see `tag_gone`).
                let found = match now {
                    Some(_) => resolved,
                    None => match self.listed_for_sure(repository, tag).await {
                        Some(false) => resolved,
                        listed => RegistryNow::TagUnresolved {
                            repository: repository.clone(),
                            tag: tag.clone(),
                            still_listed: listed == Some(true),
                        },
                    },
                };
                let placeholder = match &now {
                    Some(found) if found != digest => self
                        .is_placeholder_for(repository, found, tag)
                        .await
                        .then(|| found.clone()),
                    _ => None,
                };
                // The removal as Undo and Retry need it, with the manifest that was read.
                let removal_with = |manifest| {
                    Box::new(Removal {
                        repository: repository.clone(),
                        tags: vec![tag.clone()],
                        digest: digest.clone(),
                        method: if placeholder.is_some() {
                            RemovalMethod::Placeholder
                        } else {
                            RemovalMethod::TagDelete
                        },
                        manifest,
                        kept: ImageUsers::default(),
                        placeholder: placeholder.clone(),
                        applied_anyway: None,
                    })
                };
                let outcome = match &now {
                    Some(found) if found == digest => Outcome::NotApplied,
                    Some(_) if placeholder.is_none() => Outcome::Neither,
                    // Gone, left on this removal's throw-away manifest, or left listed
                    // after the registry deleted that manifest without untagging it:
                    // Undo puts the tag back on the image, which a tag removal never
                    // deletes ...
                    _ => match self.manifest_get(repository, digest).await {
                        Ok(manifest) => {
                            let removal = removal_with(manifest);
                            match placeholder {
                                Some(_) => Outcome::OnPlaceholder(removal),
                                None => Outcome::Applied(Written::Removal(removal)),
                            }
                        }
                        // ... unless the image went too (deleted meanwhile, or by a
                        // registry whose DELETE by tag takes it): nothing is left to
                        // put the tag back on, and that is what is true now.
                        Err(RegistryError::NotFound { .. }) => match &placeholder {
                            // ... though a tag still on this removal's throw-away
                            // manifest is said as such, and Retry finishes it.
                            Some(found) => Outcome::OnPlaceholderImageGone(removal_with(
                                self.manifest_get(repository, found).await?,
                            )),
                            None => {
                                return Ok(Reconciled {
                                    now: RegistryNow::Image {
                                        repository: repository.clone(),
                                        digest: digest.clone(),
                                        exists: false,
                                    },
                                    outcome: Outcome::Neither,
                                    lands: None,
                                })
                            }
                        },
                        Err(error) => return Err(error),
                    },
                };
                let found = match placeholder {
                    Some(placeholder) => RegistryNow::OnPlaceholder {
                        repository: repository.clone(),
                        tag: tag.clone(),
                        placeholder,
                    },
                    None => found,
                };
                Ok(Reconciled {
                    now: found,
                    outcome,
                    lands: None,
                })
            }
            Intent::DeleteImage {
                repository,
                tags,
                manifest,
            } => {
                let digest = &manifest.digest;
                let exists = match self.manifest_head(repository, digest).await {
                    Ok(_) => true,
                    Err(RegistryError::NotFound { .. }) => false,
                    Err(error) => return Err(error),
                };
                let now = RegistryNow::Image {
                    repository: repository.clone(),
                    digest: digest.clone(),
                    exists,
                };
                if exists {
                    return self
                        .reconcile_image_still_there(repository, tags, manifest, now)
                        .await;
                }
                Ok(Reconciled {
                    now,
                    lands: None,
                    outcome: Outcome::Applied(Written::Removal(Box::new(Removal {
                        repository: repository.clone(),
                        tags: tags.clone(),
                        digest: digest.clone(),
                        method: RemovalMethod::ImageDelete,
                        manifest: (**manifest).clone(),
                        kept: ImageUsers::default(),
                        placeholder: None,
                        applied_anyway: None,
                    }))),
                })
            }
        }
    }

    /// An image delete cut short with the image still there: not applied while its
    /// tags all point at it; else those that do not are gone with the delete (a
    /// registry that untags first), and Undo puts back every tag not moved elsewhere.
    async fn reconcile_image_still_there(
        &self,
        repository: &Repository,
        tags: &[Tag],
        manifest: &Manifest,
        now: RegistryNow,
    ) -> Result<Reconciled, RegistryError> {
        let digest = &manifest.digest;
        let left = self.tags_left_by_delete(repository, digest, tags).await?;
        if left.untagged.is_empty() {
            return Ok(Reconciled {
                now,
                outcome: Outcome::NotApplied,
                lands: None,
            });
        }
        let removal = Removal {
            repository: repository.clone(),
            tags: left.to_restore,
            digest: digest.clone(),
            method: RemovalMethod::ImageDelete,
            manifest: manifest.clone(),
            kept: ImageUsers::default(),
            placeholder: None,
            applied_anyway: None,
        };
        Ok(Reconciled {
            now: RegistryNow::ImageUntagged {
                repository: repository.clone(),
                digest: digest.clone(),
                untagged: left.untagged,
            },
            outcome: Outcome::Applied(Written::Removal(Box::new(removal))),
            lands: None,
        })
    }

    /// Whether `tag` was pointed at `digest` (from `before`): Applied when it points
    /// there now, NotApplied when it still shows `before`, else Neither.
    async fn reconcile_tag(
        &self,
        repository: &Repository,
        tag: &Tag,
        digest: &Digest,
        before: Option<&Digest>,
    ) -> Result<Reconciled, RegistryError> {
        let now = self.resolve_tag(repository, tag).await?;
        let found = RegistryNow::Tag {
            repository: repository.clone(),
            tag: tag.clone(),
            digest: now.clone(),
        };
        let outcome = if now.as_ref() == Some(digest) && before != Some(digest) {
            let before = self.tag_before(repository, before).await?;
            Outcome::Applied(Written::Tag(TagWrite {
                repository: repository.clone(),
                tag: tag.clone(),
                digest: digest.clone(),
                before,
                applied_anyway: None,
            }))
        } else if now.as_ref() == before {
            Outcome::NotApplied
        } else {
            Outcome::Neither
        };
        Ok(Reconciled {
            now: found,
            outcome,
            lands: None,
        })
    }

    /// Runs `intent` again (after it was found not applied). `unique` marks a
    /// placeholder manifest. The registry is read again first: a write cut short may
    /// have landed since it was found not applied (a slow DELETE that finished after
    /// the reload), and is then reported applied, with its Undo, not run twice. A
    /// removal left on its throw-away manifest is finished: its last step only.
    pub async fn retry(&self, intent: &Intent, unique: &str) -> Result<Written, ChangeError> {
        match self.read_again(intent).await.map(|found| found.outcome) {
            Ok(Outcome::Applied(written)) => return Ok(written),
            Ok(Outcome::OnPlaceholder(removal)) => {
                self.finish_removal(&removal).await?;
                return Ok(Written::Removal(removal));
            }
            // Finished the same way; nothing to put back (`UndoAction::of_written`).
            Ok(Outcome::OnPlaceholderImageGone(removal)) => {
                self.finish_removal(&removal).await?;
                return Ok(Written::Removal(removal));
            }
            _ => {}
        }
        match intent {
            Intent::PutTag {
                repository,
                tag,
                digest,
                before,
            } => {
                let source = self.manifest_get(repository, digest).await?;
                let write = self
                    .put_tag(repository, tag, &source, before.as_ref())
                    .await?;
                Ok(Written::Tag(write))
            }
            Intent::CopyImage {
                from,
                to,
                tag,
                digest,
                before,
            } => {
                let source = self.manifest_get(from, digest).await?;
                let (write, _) = self
                    .copy_image(from, &source, to, tag, before.as_ref(), |_| true)
                    .await?;
                Ok(Written::Tag(write))
            }
            Intent::RemoveTag {
                repository,
                tag,
                digest,
            } => {
                let listing = self.tags(repository, |_| {}).await?;
                let removal = self
                    .remove_tag(repository, tag, digest, &listing.tags, unique)
                    .await?;
                Ok(Written::Removal(Box::new(removal)))
            }
            Intent::DeleteImage {
                repository,
                tags,
                manifest,
            } => {
                let listing = self.tags(repository, |_| {}).await?;
                let confirmed: Vec<String> = tags.iter().map(Tag::to_string).collect();
                let removal = self
                    .delete_image(repository, &manifest.digest, &confirmed, &listing)
                    .await?;
                Ok(Written::Removal(Box::new(removal)))
            }
        }
    }
}

/// What the entry of an interrupted change offers, gathered intent by intent from
/// what reading the registry again found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offers {
    pub undo: Vec<UndoAction>,
    pub retry: Vec<Intent>,
    /// Intents found not applied whose Undo is kept: their write may still land.
    pub may_land: usize,
    /// Tag removals left on their throw-away manifest (`Outcome::OnPlaceholder`).
    pub unfinished: usize,
    /// The same, their image deleted meanwhile (`Outcome::OnPlaceholderImageGone`).
    pub image_gone: usize,
    /// What changed meanwhile: neither Undo nor Retry.
    pub unclear: Vec<RegistryNow>,
}

impl Offers {
    /// Starts from what the entry offers already (an earlier check); the Undo flat,
    /// to see what is there already.
    pub fn new(undo: Option<UndoAction>, retry: Option<Vec<Intent>>) -> Offers {
        Offers {
            undo: undo.map(UndoAction::into_items).unwrap_or_default(),
            retry: retry.unwrap_or_default(),
            ..Offers::default()
        }
    }

    fn push_undo(&mut self, action: UndoAction) {
        push_new(&mut self.undo, action);
    }

    /// Adds what `intent` was found to be. The tag PUT of a copy found not applied
    /// adds only its Undo kept should it land: Retry runs the copy.
    pub fn add(&mut self, intent: Intent, found: Reconciled) {
        match found.outcome {
            Outcome::Applied(written) => self.push_undo(UndoAction::from(written)),
            // Recorded just before its write: that write may still land.
            Outcome::NotApplied => {
                if let Some(undo) = found.lands {
                    self.push_undo(undo);
                    self.may_land += 1;
                }
                if !self.retry.iter().any(|copy| is_copy_of(copy, &intent)) {
                    self.retry.push(intent);
                }
            }
            Outcome::OnPlaceholder(removal) => {
                self.push_undo(UndoAction::Restore(removal));
                self.retry.push(intent);
                self.unfinished += 1;
            }
            Outcome::OnPlaceholderImageGone(_) => {
                self.retry.push(intent);
                self.image_gone += 1;
            }
            // Said once for a copy and its tag PUT.
            Outcome::Neither if self.unclear.contains(&found.now) => {}
            Outcome::Neither => self.unclear.push(found.now),
        }
    }
}

/// Whether `copy` is the copy whose tag PUT `put` is (see `without_covered`).
fn is_copy_of(copy: &Intent, put: &Intent) -> bool {
    matches!(
        (copy, put),
        (
            Intent::CopyImage { to, tag, digest, .. },
            Intent::PutTag { repository, tag: put_tag, digest: put_digest, .. },
        ) if to == repository && tag == put_tag && digest == put_digest
    )
}

/// What a Retry run leaves on its entry: the Undo of what it (or the change before
/// it) wrote, what to Retry again and what to Check again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetryRun {
    pub undo: Vec<UndoAction>,
    pub retry: Vec<Intent>,
    pub unchecked: Vec<Intent>,
    /// Whether any intent failed.
    pub failed: bool,
}

impl RetryRun {
    /// Starts from the entry's Undo, flat, to see what is there already: finishing a
    /// removal left on its throw-away manifest returns the Undo its check offered.
    pub fn new(undo: Option<UndoAction>) -> RetryRun {
        RetryRun {
            undo: undo.map(UndoAction::into_items).unwrap_or_default(),
            ..RetryRun::default()
        }
    }

    fn push_undo(&mut self, action: UndoAction) {
        push_new(&mut self.undo, action);
    }

    /// Adds how running `intent` again ended. Done: its Undo replaces the one kept in
    /// case the first attempt lands. Failed before anything was written, with the
    /// registry's state known (a definite refusal, a read that failed): Retry again.
    /// Anything else may have been applied: Check again reads the registry.
    pub fn add(&mut self, intent: Intent, result: Result<Written, ChangeError>) {
        match result {
            Ok(written) => {
                self.undo.retain(|action| !kept_for(&intent, action));
                UndoAction::of_written(written)
                    .into_iter()
                    .for_each(|action| self.push_undo(action));
            }
            Err(error) => {
                self.failed = true;
                UndoAction::of_failure(&error)
                    .into_iter()
                    .for_each(|action| self.push_undo(action));
                if changed_nothing(&error) {
                    self.retry.push(intent);
                } else {
                    self.unchecked.push(intent);
                }
            }
        }
    }
}

/// Adds `action` to `undo` unless it is there already (an earlier check offered it).
fn push_new(undo: &mut Vec<UndoAction>, action: UndoAction) {
    if !undo.contains(&action) {
        undo.push(action);
    }
}

/// Whether a Retry that failed with `error` surely wrote nothing.
fn changed_nothing(error: &ChangeError) -> bool {
    error.written().is_none()
        && matches!(
            error,
            // A read, before any write.
            ChangeError::Registry(_)
                | ChangeError::Refused(_)
                | ChangeError::DeletesUnchecked { .. }
                | ChangeError::InvalidName(_)
                | ChangeError::NotRecorded
                | ChangeError::TagListIncomplete { .. }
        )
}

/// Whether some of `intents` keeps an Undo in `undo` for its write should it land
/// after all (see `Registry::undo_if_lands`).
pub fn awaiting_landing(undo: &[UndoAction], intents: &[Intent]) -> bool {
    intents
        .iter()
        .any(|intent| undo.iter().any(|action| kept_for(intent, action)))
}

/// Whether `action` is the Undo kept for `intent` (not applied, and so still to run
/// or read) should its write land: one that takes it back, but not the Undo of a
/// removal left on its throw-away manifest (`Outcome::OnPlaceholder`).
fn kept_for(intent: &Intent, action: &UndoAction) -> bool {
    action.undoes(intent)
        && !matches!(action, UndoAction::Restore(removal) if removal.placeholder.is_some())
}

/// What a reload leaves to read again of an entry whose Retry it cut short.
pub fn unchecked_after_reload(
    retry: Option<Vec<Intent>>,
    unchecked: Option<Vec<Intent>>,
) -> Option<Vec<Intent>> {
    // Its writes may have landed: read, never run blindly again.
    let all: Vec<Intent> = unchecked.into_iter().chain(retry).flatten().collect();
    (!all.is_empty()).then_some(all)
}
