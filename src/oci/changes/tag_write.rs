//! Adding or moving a tag, settling a write that failed, and its undo.

use super::error::{
    after_write, is_definite_refusal, keep_undo_unless_refused, ChangeError, ReadAgain,
};
use super::users::BatchUsers;
use super::written::{TagBefore, TagWrite, Written};
use crate::oci::client::Registry;
use crate::oci::error::RegistryError;
use crate::oci::http::HttpClient;
use crate::oci::intent::Intent;
use crate::oci::manifest::Manifest;
use crate::oci::names::{Digest, Repository, Tag};

/// How long a write given up on (timeout, cancel, a dropped connection, a gateway's
/// 502/503/504) gets to land before the registry is read again to see whether it did.
const SETTLE_BEFORE_REREAD_MS: u32 = 2_000;

/// Where a tag stands before it is pointed at an image: what the write would do.
pub(super) enum TagStand {
    Absent,
    /// It already points at the image: nothing to write.
    SameImage,
    /// It points at this other image, which the user agreed to move it from.
    MovesFrom(Digest),
}

/// Where `tag`, now at `current`, stands before it is pointed at `new`. A tag that
/// points at another image is moved only from `move_from`, the image the user agreed
/// to move it from; otherwise [`ChangeError::WouldMove`] tells the caller to ask.
pub(super) fn tag_stand(
    tag: &Tag,
    current: Option<Digest>,
    new: &Digest,
    move_from: Option<&Digest>,
) -> Result<TagStand, ChangeError> {
    match current {
        None => Ok(TagStand::Absent),
        Some(current) if current == *new => Ok(TagStand::SameImage),
        Some(current) if Some(&current) == move_from => Ok(TagStand::MovesFrom(current)),
        Some(current) => Err(ChangeError::WouldMove {
            tag: tag.to_string(),
            current,
            new: new.clone(),
        }),
    }
}

impl<C: HttpClient> Registry<C> {
    /// Points `tag` at `source` (its exact bytes). When the tag exists and points at
    /// another image, it is moved only if that image is `move_from`; otherwise
    /// [`ChangeError::WouldMove`] tells the caller to ask.
    pub async fn put_tag(
        &self,
        repository: &Repository,
        tag: &Tag,
        source: &Manifest,
        move_from: Option<&Digest>,
    ) -> Result<TagWrite, ChangeError> {
        let current = self.resolve_tag(repository, tag).await?;
        let before = match tag_stand(tag, current, &source.digest, move_from)? {
            TagStand::Absent => TagBefore::Absent,
            TagStand::SameImage => TagBefore::SameImage,
            TagStand::MovesFrom(current) => {
                TagBefore::Moved(Box::new(self.manifest_get(repository, &current).await?))
            }
        };
        let mut write = TagWrite {
            repository: repository.clone(),
            tag: tag.clone(),
            digest: source.digest.clone(),
            before,
            applied_anyway: None,
        };
        if write.changed() {
            self.note_change(Intent::PutTag {
                repository: repository.clone(),
                tag: tag.clone(),
                digest: source.digest.clone(),
                before: write.moved_from().cloned(),
            })?;
            if let Err(error) = self.manifest_put_tag(repository, tag, source).await {
                write = self.settle_failed_tag_write(write, error).await?;
            }
        }
        match self.expect_tag(repository, tag, Some(&source.digest)).await {
            Ok(()) => Ok(write),
            Err(error) if write.changed() => Err(after_write(error, Written::Tag(write))),
            Err(error) => Err(error),
        }
    }

    /// After a PUT of `write` failed: nothing changed on a definite refusal; else the
    /// tag is read again and the write counts as done if the tag shows it. Otherwise
    /// the Undo is kept, even with the old state read again: the PUT may still land.
    async fn settle_failed_tag_write(
        &self,
        mut write: TagWrite,
        error: RegistryError,
    ) -> Result<TagWrite, ChangeError> {
        match self
            .recheck_tag(
                &write.repository,
                &write.tag,
                (write.moved_from(), Some(&write.digest)),
                error,
            )
            .await
        {
            Ok(answered) => {
                write.applied_anyway = Some(Box::new(answered));
                Ok(write)
            }
            Err(error) => Err(keep_undo_unless_refused(error, Written::Tag(write))),
        }
    }

    /// After a write meant to move `tag` from `before` to `wanted` (`None`: absent)
    /// failed: a definite refusal changed nothing; otherwise the tag is read again.
    /// `Ok` with the error answered when it shows the write; "not applied" when it still
    /// shows `before` (so far: a change keeps its Undo, see `keep_undo_unless_refused`);
    /// anything else (a third digest, an unreadable registry) may be the write's doing.
    pub(super) async fn recheck_tag(
        &self,
        repository: &Repository,
        tag: &Tag,
        (before, wanted): (Option<&Digest>, Option<&Digest>),
        error: RegistryError,
    ) -> Result<RegistryError, ChangeError> {
        if is_definite_refusal(&error) {
            return Err(ChangeError::Refused(Box::new(error)));
        }
        self.settle_after(&error).await;
        match self.resolve_tag(repository, tag).await {
            Ok(now) if now.as_ref() == wanted => Ok(error),
            Ok(now) if now.as_ref() == before => Err(ChangeError::NotAppliedAfterFailure {
                subject: format!("{repository}:{tag}"),
                now: ReadAgain::Tag(now),
                cause: Box::new(error),
            }),
            Ok(found) => Err(ChangeError::NotApplied {
                tag: tag.to_string(),
                expected: wanted.cloned(),
                found,
            }),
            Err(reread) => Err(ChangeError::Unknown {
                cause: Box::new(error),
                reread: Box::new(reread),
            }),
        }
    }

    /// A write given up on (timeout, cancel, a dropped connection, a gateway that
    /// stopped waiting: 502, 503, 504) may still be on its way: it gets a moment to
    /// land before the registry is read again, or the read could say "not applied"
    /// just before it does.
    pub(crate) async fn settle_after(&self, error: &RegistryError) {
        if matches!(
            error,
            RegistryError::TimedOut { .. }
                | RegistryError::Aborted { .. }
                | RegistryError::Network { .. }
                | RegistryError::Server {
                    status: 502..=504,
                    ..
                }
        ) {
            self.pause(SETTLE_BEFORE_REREAD_MS).await;
        }
    }

    /// PUTs `manifest` as `tag`, counting a failed PUT as done when reading the
    /// tag again shows it (for Undo, whose writes follow the same rule).
    pub(super) async fn put_tag_checked(
        &self,
        repository: &Repository,
        tag: &Tag,
        before: Option<&Digest>,
        manifest: &Manifest,
    ) -> Result<(), ChangeError> {
        match self.manifest_put_tag(repository, tag, manifest).await {
            Ok(_) => Ok(()),
            Err(error) => self
                .recheck_tag(repository, tag, (before, Some(&manifest.digest)), error)
                .await
                .map(drop),
        }
    }

    /// Undo of a tag write: the tag goes back to what it pointed at, or away.
    pub async fn undo_tag_write(&self, write: &TagWrite, unique: &str) -> Result<(), ChangeError> {
        self.undo_tag_write_in(write, unique, None).await
    }

    /// [`Registry::undo_tag_write`] as one item of a batch, which read once what uses
    /// its images (`batch`).
    pub(crate) async fn undo_tag_write_in(
        &self,
        write: &TagWrite,
        unique: &str,
        batch: Option<&BatchUsers>,
    ) -> Result<(), ChangeError> {
        if write.before == TagBefore::SameImage {
            return Ok(());
        }
        let (repository, tag) = (&write.repository, &write.tag);
        let current = self.resolve_tag(repository, tag).await?;
        // Undo again, after an undo cut short (a reload, a failure): what it already
        // put back is done, and a removal it left halfway is finished.
        match (&write.before, &current) {
            // Not there (yet: a write given up on may still land), or undone already.
            // Pointing at nothing is absent, as `expect_tag` counts it after a
            // removal (distribution 2.8 may leave such a tag listed).
            (TagBefore::Moved(previous), Some(found)) if *found == previous.digest => {
                return Err(ChangeError::NothingToUndo)
            }
            (TagBefore::Absent, None) => return Err(ChangeError::NothingToUndo),
            (TagBefore::Absent, Some(found))
                if *found != write.digest
                    && self.is_placeholder_for(repository, found, tag).await =>
            {
                return self.finish_on_placeholder(repository, tag, found).await;
            }
            _ => {}
        }
        if current.as_ref() != Some(&write.digest) {
            return Err(ChangeError::ChangedMeanwhile {
                tag: write.tag.to_string(),
                expected: write.digest.clone(),
                found: current,
            });
        }
        match &write.before {
            TagBefore::Moved(previous) => {
                self.put_tag_checked(&write.repository, &write.tag, Some(&write.digest), previous)
                    .await?;
                self.expect_tag(&write.repository, &write.tag, Some(&previous.digest))
                    .await
                    .map_err(|cause| ChangeError::PartlyRestored {
                        restored: vec![write.tag.to_string()],
                        cause: Box::new(cause),
                    })
            }
            // The tag goes; the image stays (it may have been there before the tag
            // was added: a tag added to an image opened by digest, a copy into a
            // repository that had it). SameImage returned above.
            TagBefore::Absent | TagBefore::SameImage => {
                let known = batch.and_then(|b| b.users_of(repository, &write.digest, tag.as_str()));
                let removed = match known {
                    Some(users) => {
                        self.remove_tag_used_by(repository, tag, &write.digest, &users?, unique)
                            .await
                    }
                    None => {
                        let listing = self.tags(repository, |_| {}).await?;
                        self.remove_tag(repository, tag, &write.digest, &listing.tags, unique)
                            .await
                    }
                };
                // Gone also when only a check after it failed (what else used the
                // image): the batch's next removals no longer count it as a user. Not
                // when the tag itself was found still there, or could not be read.
                let gone = match &removed {
                    Ok(_) => true,
                    Err(ChangeError::AfterWrite { cause, .. }) => match cause.as_ref() {
                        ChangeError::TagsLost { .. }
                        | ChangeError::PlatformLost { .. }
                        | ChangeError::ImageUnread { .. } => true,
                        ChangeError::NotApplied { tag: other, .. } => other != tag.as_str(),
                        _ => false,
                    },
                    Err(_) => false,
                };
                if let (true, Some(batch)) = (gone, batch) {
                    batch.note_removed(repository, tag.as_str());
                }
                removed.map(drop)
            }
        }
    }
}
