//! Removing one tag (never the image), deleting an image as the user's explicit
//! choice, and putting removed tags back.

use crate::model::sort;

use super::error::{
    after_write, is_definite_refusal, keep_undo_unless_refused, ChangeError, ReadAgain,
};
use super::users::ImageUsers;
use super::written::{Removal, RemovalMethod, Written};
#[cfg(doc)]
use crate::oci::client::RemovalWays;
use crate::oci::client::{Registry, TagListing};
use crate::oci::error::RegistryError;
use crate::oci::http::HttpClient;
use crate::oci::intent::Intent;
use crate::oci::media;
use crate::oci::names::{Digest, Repository, Tag};

impl<C: HttpClient> Registry<C> {
    /// Removes `tag` only; the image stays, pullable by digest, whatever else uses
    /// it. `seen` is the digest the user saw; `all_tags` every tag of the repository
    /// (what else uses the image is found among them, to check it still has it).
    /// `unique` makes the placeholder manifest unique (a timestamp).
    pub async fn remove_tag(
        &self,
        repository: &Repository,
        tag: &Tag,
        seen: &Digest,
        all_tags: &[String],
        unique: &str,
    ) -> Result<Removal, ChangeError> {
        let others: Vec<String> = all_tags
            .iter()
            .filter(|t| *t != tag.as_str())
            .cloned()
            .collect();
        let users = self.image_users(repository, seen, &others).await?;
        self.remove_tag_used_by(repository, tag, seen, &users, unique)
            .await
    }

    /// [`Registry::remove_tag`], told what else uses the image (`users`), and checked
    /// afterwards to have kept it for them.
    pub(crate) async fn remove_tag_used_by(
        &self,
        repository: &Repository,
        tag: &Tag,
        seen: &Digest,
        users: &ImageUsers,
        unique: &str,
    ) -> Result<Removal, ChangeError> {
        let (mut removal, image) = self
            .remove_tag_telling_image(repository, tag, seen, users, unique)
            .await?;
        let mut checked = self.verify_kept(repository, seen, users).await;
        // Nothing else to read it by: the image itself, when its read right after the
        // DELETE by tag failed (it may have gone with the tag).
        if checked.is_ok() && users.is_empty() && image == ImageAfter::Unknown {
            checked = self.image_still_there(repository, seen).await;
        }
        if let Err(error) = checked {
            if let ChangeError::TagsLost { digest, tags } = &error {
                removal.add_lost(digest, tags);
            }
            return Err(after_write(error, Written::Removal(Box::new(removal))));
        }
        Ok(removal)
    }

    /// Removes `tag` and nothing else: `DELETE` by tag where the registry can, else
    /// a throw-away manifest (see `detach_with_placeholder`). Never deletes the image:
    /// that is [`Registry::delete_image`], the user's explicit choice. `users` is what
    /// else is known to use `seen` (reported as kept; the caller checks afterwards
    /// with [`Registry::verify_kept`]). Tells also what was read of the image right
    /// after a DELETE by tag: the caller reads again an image that read failed for,
    /// and a bulk removal lets its other DELETEs by tag run side by side once one was
    /// seen to leave its image.
    pub(crate) async fn remove_tag_telling_image(
        &self,
        repository: &Repository,
        tag: &Tag,
        seen: &Digest,
        users: &ImageUsers,
        unique: &str,
    ) -> Result<(Removal, ImageAfter), ChangeError> {
        self.expect_unchanged(repository, tag, seen).await?;
        let manifest = self.manifest_get(repository, seen).await?;
        let mut removal = Removal {
            repository: repository.clone(),
            tags: vec![tag.clone()],
            digest: seen.clone(),
            method: RemovalMethod::TagDelete,
            manifest,
            kept: users.clone(),
            placeholder: None,
            applied_anyway: None,
        };
        self.note_change(Intent::RemoveTag {
            repository: repository.clone(),
            tag: tag.clone(),
            digest: seen.clone(),
        })?;
        // Seen earlier (in this run, or the tab's): DELETE by tag refused here, DELETE
        // by digest works.
        let mut by_placeholder = self.removes_by_placeholder.by_placeholder(repository);
        if !by_placeholder {
            match self.tag_delete(repository, tag).await {
                Ok(()) => {}
                Err(cause @ RegistryError::Unsupported { .. }) => {
                    // Ask before pushing a placeholder that could then not be deleted.
                    // A refusal without a reason may be read-only mode, which an answer
                    // kept from before cannot tell: asked anew then.
                    let declared = cause.is_declared_unsupported();
                    let enabled = if declared {
                        self.deletes_enabled(repository).await
                    } else {
                        self.ask_deletes_enabled(repository).await
                    };
                    let enabled = enabled.map_err(|probe| {
                        // Every DELETE refused without a reason: refused for now
                        // (read-only mode), said of the user's own request.
                        if matches!(probe, RegistryError::Unsupported { .. }) {
                            let refused = if declared { probe } else { cause.clone() };
                            return ChangeError::Refused(Box::new(refused));
                        }
                        ChangeError::DeletesUnchecked {
                            refused: Box::new(cause.clone()),
                            cause: Box::new(probe),
                        }
                    })?;
                    if !enabled {
                        return Err(ChangeError::Refused(Box::new(cause)));
                    }
                    self.removes_by_placeholder.learn_by_placeholder(repository);
                    by_placeholder = true;
                }
                Err(error) => match self
                    .recheck_tag(repository, tag, (Some(seen), None), error)
                    .await
                {
                    Ok(answered) => removal.applied_anyway = Some(Box::new(answered)),
                    Err(error) => {
                        return Err(keep_undo_unless_refused(
                            error,
                            Written::Removal(Box::new(removal)),
                        ))
                    }
                },
            }
        }
        if by_placeholder {
            removal.method = RemovalMethod::Placeholder;
            self.detach_with_placeholder(&mut removal, unique).await?;
        }
        if let Err(error) = self.expect_tag(repository, tag, None).await {
            return Err(after_write(error, Written::Removal(Box::new(removal))));
        }
        let mut image = ImageAfter::NotAtRisk;
        if removal.method == RemovalMethod::TagDelete {
            match self.check_image_stayed(&mut removal, users).await {
                Ok(read) => image = read,
                Err(lost) => return Err(after_write(lost, Written::Removal(Box::new(removal)))),
            }
        }
        Ok((removal, image))
    }

    /// Some registries delete the image, with every tag on it, when asked to delete
    /// one tag. Caught right after the first such DELETE: its Undo puts back the
    /// image with the tags lost ([`ChangeError::TagsLost`]), and the repository's next
    /// removals go by a throw-away manifest, which only ever takes the tag. A HEAD
    /// that fails says nothing here, neither that the image stayed nor that it went
    /// ([`ImageAfter::Unknown`]): the check afterwards reads again.
    async fn check_image_stayed(
        &self,
        removal: &mut Removal,
        users: &ImageUsers,
    ) -> Result<ImageAfter, ChangeError> {
        let (repository, digest) = (&removal.repository, &removal.digest);
        match self.manifest_head(repository, digest).await {
            Ok(_) => return Ok(ImageAfter::Stayed),
            Err(RegistryError::NotFound { .. }) => {}
            Err(_) => return Ok(ImageAfter::Unknown),
        }
        self.removes_by_placeholder.learn_by_placeholder(repository);
        let lost = match self.verify_kept(repository, digest, users).await {
            // Nothing else used it: the image itself is what was lost.
            Ok(()) => ChangeError::TagsLost {
                digest: digest.clone(),
                tags: Vec::new(),
            },
            Err(error) => error,
        };
        if let ChangeError::TagsLost { digest, tags } = &lost {
            removal.add_lost(digest, tags);
        }
        Err(lost)
    }

    /// Whether an image read right after a DELETE by tag failed is still there: gone,
    /// it is lost ([`ChangeError::TagsLost`], no tag with it); unreadable again,
    /// [`ChangeError::ImageUnread`].
    pub(crate) async fn image_still_there(
        &self,
        repository: &Repository,
        digest: &Digest,
    ) -> Result<(), ChangeError> {
        match self.manifest_head(repository, digest).await {
            Ok(_) => Ok(()),
            Err(RegistryError::NotFound { .. }) => Err(ChangeError::TagsLost {
                digest: digest.clone(),
                tags: Vec::new(),
            }),
            Err(cause) => Err(ChangeError::ImageUnread {
                digest: digest.clone(),
                cause: Box::new(cause),
            }),
        }
    }

    /// The whole point of removing one tag: what used the image still has it.
    pub async fn verify_kept(
        &self,
        repository: &Repository,
        digest: &Digest,
        users: &ImageUsers,
    ) -> Result<(), ChangeError> {
        let still = self
            .tags_pointing_at(repository, digest, &users.tags)
            .await?;
        let mut moved = None;
        let mut gone = Vec::new();
        for lost in users.tags.iter().filter(|t| !still.contains(t)) {
            let found = self
                .resolve_tag(repository, &self.listed_tag(repository, lost)?)
                .await?;
            match found {
                None => gone.push(lost.clone()),
                Some(found) => {
                    moved.get_or_insert((lost.clone(), found));
                }
            }
        }
        // Tags that point at nothing, and the image gone with them: the registry
        // deleted it with every tag (Undo can put them back). With the image still
        // there, someone removed the tag meanwhile: said as such, never undone.
        if let Some(first) = gone.first() {
            return Err(match self.manifest_head(repository, digest).await {
                Err(RegistryError::NotFound { .. }) => ChangeError::TagsLost {
                    digest: digest.clone(),
                    tags: gone,
                },
                Ok(_) => ChangeError::NotApplied {
                    tag: first.clone(),
                    expected: Some(digest.clone()),
                    found: None,
                },
                Err(error) => error.into(),
            });
        }
        if let Some((tag, found)) = moved {
            return Err(ChangeError::NotApplied {
                tag,
                expected: Some(digest.clone()),
                found: Some(found),
            });
        }
        if !users.indexes.is_empty() {
            match self.manifest_head(repository, digest).await {
                Ok(_) => {}
                Err(RegistryError::NotFound { .. }) => {
                    return Err(ChangeError::PlatformLost {
                        digest: digest.clone(),
                        indexes: users.indexes.clone(),
                    })
                }
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }

    /// Whether the registry deletes manifests at all, asked without changing anything:
    /// deleting a digest nobody has answers 404 where deletes are enabled, 405 where not.
    /// Asked once per registry in a tab: the answer is kept, a failure to ask is not
    /// ([`crate::oci::client::RemovalWays`]).
    pub async fn deletes_enabled(&self, repository: &Repository) -> Result<bool, RegistryError> {
        if let Some(known) = self.removes_by_placeholder.deletes() {
            return Ok(known);
        }
        self.ask_deletes_enabled(repository).await
    }

    /// [`Registry::deletes_enabled`], asked even when the tab knows the answer: the
    /// user asks again after the registry's configuration was changed.
    pub async fn ask_deletes_enabled(
        &self,
        repository: &Repository,
    ) -> Result<bool, RegistryError> {
        let nobody = Digest::sha256_of(b"tagdeck: probe for storage.delete.enabled");
        let enabled = match self.manifest_delete(repository, &nobody).await {
            // Some registries reject the made-up digest itself (400): deletes exist.
            Ok(()) | Err(RegistryError::NotFound { .. } | RegistryError::Invalid { .. }) => true,
            // Only when the registry says so: a bare 405 (read-only for now) is no
            // lasting answer.
            Err(error) if error.is_declared_unsupported() => false,
            Err(error) => return Err(error),
        };
        self.removes_by_placeholder.learn_deletes(enabled);
        Ok(enabled)
    }

    /// The checks of [`Registry::delete_image`], without deleting: exactly the tags
    /// `confirmed` point at `digest` now (returned sorted), no multi-arch image lists
    /// it, and the tag list is complete.
    pub async fn check_image_delete(
        &self,
        repository: &Repository,
        digest: &Digest,
        confirmed: &[String],
        listing: &TagListing,
    ) -> Result<Vec<Tag>, ChangeError> {
        // Checked before anything is read.
        users_allow_delete(repository, digest, confirmed, listing, None)?;
        let users = self.image_users(repository, digest, &listing.tags).await?;
        users_allow_delete(repository, digest, confirmed, listing, Some(&users))
    }

    /// [`Registry::delete_image`] with the image's `users` among `listing` read
    /// beforehand, once for a batch of deletes (a clean-up): the same refusals, and
    /// each of `confirmed` is read again just before acting and must still point at
    /// `digest`.
    pub(crate) async fn delete_image_with_users(
        &self,
        repository: &Repository,
        digest: &Digest,
        confirmed: &[String],
        listing: &TagListing,
        users: &ImageUsers,
    ) -> Result<Removal, ChangeError> {
        let confirmed_tags =
            users_allow_delete(repository, digest, confirmed, listing, Some(users))?;
        let names: Vec<String> = confirmed_tags.iter().map(Tag::to_string).collect();
        // A tag named since `users` was read is not among them, and the DELETE would
        // take it unseen: one listing (no lookups) finds new names, each read too.
        let fresh = self.tags(repository, |_| {}).await?;
        if fresh.may_be_incomplete {
            return Err(ChangeError::TagListIncomplete {
                repository: repository.to_string(),
            });
        }
        let known: std::collections::HashSet<&str> =
            listing.tags.iter().map(String::as_str).collect();
        let mut to_read = names.clone();
        to_read.extend(
            (fresh.tags.iter())
                .filter(|name| !known.contains(name.as_str()) && !names.contains(name))
                .cloned(),
        );
        let found = self.look_up_tags(repository, &to_read).await?;
        let points_here = |name: &String| {
            found.iter().any(|(tag, at)| {
                tag == name && at.as_ref().is_some_and(|(found, _)| found == digest)
            })
        };
        let now: Vec<String> = to_read.iter().filter(|n| points_here(n)).cloned().collect();
        if now != names {
            return Err(ChangeError::TagsChangedMeanwhile {
                digest: digest.clone(),
                confirmed: names,
                now,
            });
        }
        // A multi-arch image named since may list the image (at any depth), as the
        // chunk's read would have found: deleted, it would leave that index with a
        // platform missing.
        let new_indexes: Vec<_> = (found.into_iter())
            .filter(|(name, at)| {
                !names.contains(name)
                    && at
                        .as_ref()
                        .is_some_and(|(_, media_type)| media::is_index(media_type))
            })
            .collect();
        if !new_indexes.is_empty() {
            let listed = self
                .users_among(repository, std::slice::from_ref(digest), new_indexes)
                .await?;
            if let Some(users) = listed.get(digest).filter(|u| !u.indexes.is_empty()) {
                return Err(ChangeError::PartOfIndex {
                    digest: digest.clone(),
                    indexes: users.indexes.clone(),
                });
            }
        }
        let mut removal = self
            .delete_checked_image(repository, digest, confirmed_tags)
            .await?;
        // A tag seen pointing elsewhere when the chunk was read, moved onto the image
        // since, went with it: no request makes a DELETE conditional. Listed again,
        // it is missing: said as lost with the image, and the Undo puts it back.
        if let Ok(after) = self.tags(repository, |_| {}).await {
            let lost: Vec<String> = (fresh.tags.into_iter())
                .filter(|name| !names.contains(name) && !after.tags.contains(name))
                .collect();
            if !lost.is_empty() && !after.may_be_incomplete {
                removal.add_lost(digest, &lost);
                let error = ChangeError::TagsLost {
                    digest: digest.clone(),
                    tags: lost,
                };
                return Err(after_write(error, Written::Removal(Box::new(removal))));
            }
        }
        Ok(removal)
    }

    /// Deletes the image `digest` and with it every tag pointing at it: only ever the
    /// user's explicit choice. `confirmed` is the list of tags the user agreed to
    /// lose; unless exactly those point at it now (and no multi-arch image lists it),
    /// nothing is done. Refused when the tag list may be incomplete: a tag on a page
    /// this page cannot see would be deleted unseen.
    pub async fn delete_image(
        &self,
        repository: &Repository,
        digest: &Digest,
        confirmed: &[String],
        listing: &TagListing,
    ) -> Result<Removal, ChangeError> {
        let confirmed_tags = self
            .check_image_delete(repository, digest, confirmed, listing)
            .await?;
        self.delete_checked_image(repository, digest, confirmed_tags)
            .await
    }

    /// Deletes the image `digest`, whose checks passed for `confirmed_tags`.
    async fn delete_checked_image(
        &self,
        repository: &Repository,
        digest: &Digest,
        confirmed_tags: Vec<Tag>,
    ) -> Result<Removal, ChangeError> {
        let manifest = self.manifest_get(repository, digest).await?;
        let mut removal = Removal {
            repository: repository.clone(),
            tags: confirmed_tags,
            digest: digest.clone(),
            method: RemovalMethod::ImageDelete,
            manifest,
            kept: ImageUsers::default(),
            placeholder: None,
            applied_anyway: None,
        };
        self.note_change(Intent::DeleteImage {
            repository: repository.clone(),
            tags: removal.tags.clone(),
            manifest: Box::new(removal.manifest.clone()),
        })?;
        if let Err(error) = self.manifest_delete(repository, digest).await {
            if is_definite_refusal(&error) {
                // A DELETE by digest refused as unsupported: the registry does not
                // delete (distribution's storage.delete.enabled off), as a probe
                // would have found.
                if error.is_declared_unsupported() {
                    self.removes_by_placeholder.learn_deletes(false);
                }
                return Err(ChangeError::Refused(Box::new(error)));
            }
            self.settle_after(&error).await;
            match self.manifest_head(repository, digest).await {
                Err(RegistryError::NotFound { .. }) => {
                    removal.applied_anyway = Some(Box::new(error))
                }
                // The image is there; its tags may not be: a registry may untag
                // before it deletes the manifest (distribution does it the other
                // way round).
                Ok(_) => {
                    let left = match self
                        .tags_left_by_delete(repository, digest, &removal.tags)
                        .await
                    {
                        Ok(left) => left,
                        Err(reread) => return Err(not_known(error, reread, removal)),
                    };
                    // Not done yet, as read now: the DELETE may still land (a proxy
                    // gave up waiting while the registry deletes), so Undo is kept.
                    let cause = Box::new(error);
                    let failure = if left.untagged.is_empty() {
                        ChangeError::NotAppliedAfterFailure {
                            subject: format!("{repository}@{digest}"),
                            now: ReadAgain::ImageStillThere,
                            cause,
                        }
                    } else {
                        ChangeError::ImageDeleteHalfDone {
                            digest: digest.clone(),
                            untagged: left.untagged.iter().map(Tag::to_string).collect(),
                            cause,
                        }
                    };
                    removal.tags = left.to_restore;
                    return Err(after_write(failure, Written::Removal(Box::new(removal))));
                }
                Err(reread) => return Err(not_known(error, reread, removal)),
            }
        }
        for tag in &removal.tags {
            if let Err(error) = self.expect_tag(repository, tag, None).await {
                return Err(after_write(error, Written::Removal(Box::new(removal))));
            }
        }
        Ok(removal)
    }

    /// What a delete of the image `digest` that did not take the image left of its
    /// `tags`, read now (a registry that untags before it deletes the manifest).
    pub(crate) async fn tags_left_by_delete(
        &self,
        repository: &Repository,
        digest: &Digest,
        tags: &[Tag],
    ) -> Result<TagsLeft, RegistryError> {
        let names: Vec<String> = tags.iter().map(Tag::to_string).collect();
        let now = self.look_up_tags(repository, &names).await?;
        let points_at = |tag: &Tag| {
            (now.iter())
                .find(|(t, _)| t == tag.as_str())
                .and_then(|(_, found)| found.as_ref().map(|(d, _)| d))
        };
        let pick = |keep: &dyn Fn(Option<&Digest>) -> bool| {
            (tags.iter())
                .filter(|t| keep(points_at(t)))
                .cloned()
                .collect()
        };
        Ok(TagsLeft {
            untagged: pick(&|found| found.is_none()),
            to_restore: pick(&|found| found.is_none_or(|d| d == digest)),
        })
    }

    /// Undo of a removal: puts every removed tag back with the exact bytes. Works
    /// until the registry's garbage collection removes the blobs. A tag re-created
    /// since is never overwritten: then nothing is done, or, found just before its
    /// own PUT, nothing more.
    pub async fn restore_tags(&self, removal: &Removal) -> Result<(), ChangeError> {
        if removal.tags.is_empty() {
            return self.restore_untagged(removal).await;
        }
        let mut missing = Vec::new();
        for tag in &removal.tags {
            if let Some(before) = self.to_put_back(removal, tag).await? {
                missing.push((tag, before));
            }
        }
        let mut restored = Vec::new();
        for (tag, before) in missing {
            // Read again just before its PUT: putting back many tags takes a while,
            // and one pushed meanwhile is someone else's. One tag was just read.
            let before = match removal.tags.len() {
                1 => Ok(Some(before)),
                _ => self.to_put_back(removal, tag).await,
            };
            let put = match before {
                Ok(Some(before)) => {
                    self.put_tag_checked(
                        &removal.repository,
                        tag,
                        before.as_ref(),
                        &removal.manifest,
                    )
                    .await
                }
                // Back already (put back by someone else).
                Ok(None) => continue,
                Err(cause) => Err(cause),
            };
            // Once a PUT landed, a failure says what is back (Undo again skips it and
            // puts back the rest).
            let checked = match put {
                Ok(()) => {
                    restored.push(tag.to_string());
                    self.expect_tag(&removal.repository, tag, Some(&removal.digest))
                        .await
                }
                Err(cause) => Err(cause),
            };
            if let Err(cause) = checked {
                return Err(match cause {
                    ChangeError::Refused(_)
                    | ChangeError::NotAppliedAfterFailure { .. }
                    | ChangeError::Recreated { .. }
                    | ChangeError::Registry(_)
                        if restored.is_empty() =>
                    {
                        cause
                    }
                    cause => ChangeError::PartlyRestored {
                        restored,
                        cause: Box::new(cause),
                    },
                });
            }
        }
        // Every tag in place: the removal has not landed (yet), or was undone already.
        if restored.is_empty() {
            return Err(ChangeError::NothingToUndo);
        }
        Ok(())
    }

    /// Where a tag `removal` removed stands for its Undo: to put back over what it
    /// points at now (`Some`: nothing, or the removal's own throw-away manifest, left
    /// by a removal that failed midway), back already (`None`), or re-created since.
    async fn to_put_back(
        &self,
        removal: &Removal,
        tag: &Tag,
    ) -> Result<Option<Option<Digest>>, ChangeError> {
        match self.resolve_tag(&removal.repository, tag).await? {
            None => Ok(Some(None)),
            Some(found) if Some(&found) == removal.placeholder.as_ref() => Ok(Some(Some(found))),
            Some(found) if found == removal.digest => Ok(None),
            Some(found) => Err(ChangeError::Recreated {
                tag: tag.to_string(),
                found,
            }),
        }
    }

    /// Undo of deleting an image no tag named (a referrer pushed by digest, such as
    /// an SBOM): the manifest goes back under its own digest, with the exact bytes.
    /// One that is there again is left as it is.
    async fn restore_untagged(&self, removal: &Removal) -> Result<(), ChangeError> {
        let (repository, digest) = (&removal.repository, &removal.digest);
        let is_there = |read: Result<_, RegistryError>| match read {
            Ok(_) => Ok(true),
            Err(RegistryError::NotFound { .. }) => Ok(false),
            Err(error) => Err(error),
        };
        if is_there(self.manifest_head(repository, digest.clone()).await)? {
            return Err(ChangeError::NothingToUndo);
        }
        let manifest = &removal.manifest;
        let Err(error) = self
            .manifest_put(
                repository,
                digest.clone(),
                &manifest.bytes,
                &manifest.content_type,
            )
            .await
        else {
            return Ok(());
        };
        if is_definite_refusal(&error) {
            return Err(ChangeError::Refused(Box::new(error)));
        }
        // Not refused outright: it may have landed. Read again and say which.
        match is_there(self.manifest_head(repository, digest.clone()).await) {
            Ok(true) => Ok(()),
            Ok(false) => Err(ChangeError::Registry(error)),
            Err(reread) => Err(ChangeError::Unknown {
                cause: Box::new(error),
                reread: Box::new(reread),
            }),
        }
    }
}

impl ChangeError {
    /// From [`Registry::delete_image_with_users`]: the image delete that landed (the
    /// image is gone), when what failed is a check afterwards: a tag that went with
    /// it unseen, a tag read again after the DELETE. `None` for a failure that leaves
    /// the image there, or not known to be gone.
    pub(crate) fn image_delete_landed(&self) -> Option<&Removal> {
        let ChangeError::AfterWrite { cause, written } = self else {
            return None;
        };
        let Written::Removal(removal) = &**written else {
            return None;
        };
        let landed = match &**cause {
            ChangeError::TagsLost { .. } | ChangeError::Registry(_) => true,
            // A tag still on the image: the delete has not taken it (yet).
            ChangeError::NotApplied { found, .. } => found.as_ref() != Some(&removal.digest),
            _ => false,
        };
        (landed && removal.method == RemovalMethod::ImageDelete).then_some(&**removal)
    }
}

/// What a removal read of its image right after removing the tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImageAfter {
    /// Removed by a throw-away manifest, which only ever takes the tag: not read.
    NotAtRisk,
    /// Removed by a DELETE by tag, and the image read there right after.
    Stayed,
    /// Removed by a DELETE by tag, and the read right after failed: the image may
    /// have gone with the tag, with every tag on it; to be read again.
    Unknown,
}

/// A delete that failed unclearly, with the registry unreadable since: whether it
/// was applied is not known, so its Undo is kept.
fn not_known(cause: RegistryError, reread: RegistryError, removal: Removal) -> ChangeError {
    after_write(
        ChangeError::Unknown {
            cause: Box::new(cause),
            reread: Box::new(reread),
        },
        Written::Removal(Box::new(removal)),
    )
}

/// The tags of an image whose delete failed with the image still there.
pub(crate) struct TagsLeft {
    /// Pointing at nothing now: gone with the delete. One pointing at another image
    /// was moved by someone else, not untagged by it.
    pub untagged: Vec<Tag>,
    /// What Undo puts back: the tags gone, and those still on the image, should the
    /// delete go on landing (Undo skips them while they stay). Not one moved to
    /// another image: that is someone else's, and would stop the Undo.
    pub to_restore: Vec<Tag>,
}

/// The refusals of an image delete: a tag list that may be incomplete, a name that
/// is no tag, a multi-arch image listing it, tags other than exactly `confirmed`
/// pointing at it (`users`, once read). The confirmed tags, parsed and sorted.
fn users_allow_delete(
    repository: &Repository,
    digest: &Digest,
    confirmed: &[String],
    listing: &TagListing,
    users: Option<&ImageUsers>,
) -> Result<Vec<Tag>, ChangeError> {
    if listing.may_be_incomplete {
        return Err(ChangeError::TagListIncomplete {
            repository: repository.to_string(),
        });
    }
    // Every name is checked before anything is deleted.
    let mut confirmed_tags = confirmed
        .iter()
        .map(|t| Tag::parse(t))
        .collect::<Result<Vec<_>, _>>()?;
    sort::ascending(&mut confirmed_tags);
    let Some(users) = users else {
        return Ok(confirmed_tags);
    };
    if !users.indexes.is_empty() {
        return Err(ChangeError::PartOfIndex {
            digest: digest.clone(),
            indexes: users.indexes.clone(),
        });
    }
    let confirmed_names: Vec<String> = confirmed_tags.iter().map(Tag::to_string).collect();
    if users.tags != confirmed_names {
        return Err(ChangeError::TagsChangedMeanwhile {
            digest: digest.clone(),
            confirmed: confirmed_names,
            now: users.tags.clone(),
        });
    }
    Ok(confirmed_tags)
}
