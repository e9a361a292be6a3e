//! Applying a plan through the safe changes that already exist: the tags of images
//! that stay go through bulk removal (tags listed again, each tag checked against
//! the digest the plan saw, the image kept for whatever else uses it); the images
//! the plan deletes go through the explicit image delete, which checks again at the
//! moment of acting that exactly the planned tags point at the image.
//!
//! A tag that moved since the plan is skipped and reported. An image that gained a
//! tag since the plan is not deleted. An image that lost a tag (it moved elsewhere)
//! is deleted with the tags it still has, which are all tags the plan removes.
//!
//! A referrer tag (signature, attestation, SBOM, fallback index) the plan removes
//! because its image goes is removed only once that image is gone in this run: an
//! image whose delete was skipped or failed keeps its signature.

use crate::model::sort;
use std::collections::{HashMap, HashSet};

use super::plan::{CleanupPlan, ImageDeletion, SubjectFate, TagPlan, TagReason};
use crate::oci::bulk::{BulkRun, ItemFailure, ItemResult, KeptLost};
use crate::oci::changes::{ChangeError, ImageUsers, Removal};
use crate::oci::client::{Registry, TagListing};
use crate::oci::http::HttpClient;
use crate::oci::names::{Digest, Repository};
use crate::oci::referrers::ReferrerTagScheme;
use crate::oci::undo::UndoAction;

/// Images whose deletes are checked against one tag list and one lookup of its tags.
const DELETE_CHUNK: usize = 20;

/// What happened to one tag the plan removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CleanupOutcome {
    /// Through bulk removal: the tag alone (its image stays), or why not.
    Tag(ItemResult),
    /// Removed with its image, which was deleted.
    ImageDeleted { digest: Digest },
    /// The tag no longer points where the plan saw it: skipped, nothing changed.
    Moved {
        planned: Digest,
        found: Option<Digest>,
    },
    /// The image delete failed or was refused (see the error for what was written).
    ImageFailed { digest: Digest, error: ChangeError },
    /// Cancel came first: nothing was changed for it.
    Cancelled,
    /// A signature (or other referrer) of the image `subject`, removed by the plan
    /// because that image was to go; it was not deleted, so the referrer is kept.
    SubjectKept {
        subject: Digest,
        scheme: ReferrerTagScheme,
    },
}

/// How a tag's outcome counts in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    Done,
    /// Not attempted, or refused because the registry changed since the plan (the
    /// re-read before acting): nothing was written for it.
    Skipped,
    /// The registry failed or refused for another reason.
    Failed,
}

impl OutcomeKind {
    /// Its name in the report's CSV and JSON.
    pub fn key(self) -> &'static str {
        match self {
            OutcomeKind::Done => "done",
            OutcomeKind::Skipped => "skipped",
            OutcomeKind::Failed => "failed",
        }
    }
}

impl CleanupOutcome {
    pub fn is_done(&self) -> bool {
        self.kind() == OutcomeKind::Done
    }

    /// Done, skipped or failed. A change since the plan is a skip wherever it is
    /// found: a tag that moved, and as well an image to delete that gained a tag
    /// or became a platform of a multi-arch image (the tag itself did not move).
    pub fn kind(&self) -> OutcomeKind {
        match self {
            CleanupOutcome::ImageDeleted { .. } => OutcomeKind::Done,
            CleanupOutcome::Tag(result) if result.is_done() => OutcomeKind::Done,
            CleanupOutcome::Moved { .. }
            | CleanupOutcome::Cancelled
            | CleanupOutcome::Tag(ItemResult::Failed(ItemFailure::Cancelled))
            | CleanupOutcome::SubjectKept { .. } => OutcomeKind::Skipped,
            _ if self.moved().is_some() || self.image_changed().is_some() => OutcomeKind::Skipped,
            CleanupOutcome::Tag(_) | CleanupOutcome::ImageFailed { .. } => OutcomeKind::Failed,
        }
    }

    /// The image delete was refused before anything was written because the image
    /// is no longer as planned: that refusal.
    pub fn image_changed(&self) -> Option<&ChangeError> {
        match self {
            CleanupOutcome::ImageFailed {
                error:
                    error @ (ChangeError::TagsChangedMeanwhile { .. } | ChangeError::PartOfIndex { .. }),
                ..
            } => Some(error),
            _ => None,
        }
    }

    /// A skip because the registry changed since the plan (not a failure of the
    /// registry): the bulk path's "changed meanwhile" counts too.
    pub fn moved(&self) -> Option<(&Digest, Option<&Digest>)> {
        match self {
            CleanupOutcome::Moved { planned, found } => Some((planned, found.as_ref())),
            CleanupOutcome::Tag(ItemResult::Failed(ItemFailure::Change(
                ChangeError::ChangedMeanwhile {
                    expected, found, ..
                },
            ))) => Some((expected, found.as_ref())),
            _ => None,
        }
    }
}

/// What a plan's run leaves behind.
#[derive(Debug, Clone, Default)]
pub struct CleanupApplied {
    /// The Undo of everything that was written (also by failed items).
    pub undo: Vec<UndoAction>,
    /// Checks after removing tags that concern an image rather than one tag.
    pub lost: Vec<KeptLost>,
    /// Checks after an image delete that landed: what else went with the image
    /// (a tag moved onto it since the plan was read); its Undo is kept.
    pub deleted_with: Vec<KeptLost>,
    /// Images deleted.
    pub images_deleted: Vec<Digest>,
}

impl<C: HttpClient> Registry<C> {
    /// Applies `plan` to its repository. `on_item` hears each removed tag's outcome
    /// as soon as it is known; `cancelled` is asked before each item.
    pub async fn apply_cleanup(
        &self,
        plan: &CleanupPlan,
        cancelled: &dyn Fn() -> bool,
        on_item: &dyn Fn(&str, &CleanupOutcome),
        unique: &dyn Fn() -> String,
    ) -> Result<CleanupApplied, ChangeError> {
        let repository = Repository::parse(&plan.repository)?;
        let mut applied = CleanupApplied::default();
        // Cancelled before this repository (a namespace's later ones): nothing read.
        if cancelled() {
            for t in plan.removed_tags() {
                on_item(&t.tag, &CleanupOutcome::Cancelled);
            }
            return Ok(applied);
        }
        let deleted: HashMap<&Digest, &[String]> = plan
            .delete_images
            .iter()
            .map(|i| (&i.digest, i.tags.as_slice()))
            .collect();

        // Images deleted in this run, which their referrer tags wait for.
        let mut gone: HashSet<Digest> = HashSet::new();
        let by_name: HashMap<&str, &TagPlan> =
            plan.tags.iter().map(|t| (t.tag.as_str(), t)).collect();

        // Tags of images that stay: one bulk removal for all of them, so the tag list
        // is read and every listed tag looked up once for the whole plan, not once per
        // image, and several images' tags are removed at once instead of one tag at a
        // time. Each placeholder has blobs of its own and their cycles take turns.
        // Referrer tags among them wait for their images' deletes (below).
        let (mut chosen, mut referrers) = (Vec::new(), Vec::new());
        for t in plan.removed_tags() {
            if t.digest.as_ref().is_some_and(|d| !deleted.contains_key(d)) {
                match follows_image(t) {
                    Some(_) => referrers.push(t),
                    None => chosen.push(t),
                }
            }
        }
        self.remove_tags_of_kept_images(
            &repository,
            &chosen,
            cancelled,
            on_item,
            unique,
            &mut applied,
        )
        .await;

        // Images the plan deletes, one at a time, by chunks: each chunk against a
        // fresh tag list and one lookup of every tag for all its images (per image,
        // thousands of tags times hundreds of deletes), each image's own tags read
        // again just before its delete. The plan orders an image before its
        // referrers, so their wait is over by then.
        let mut chunk_users = None;
        // A chunk whose read failed is read once more, for its next image: a passing
        // fault fails one image only, a lasting one does not cost a listing per image.
        let mut read_again = true;
        // Tags deleted with images of the current chunk: no longer users of any.
        let mut gone_tags: HashSet<String> = HashSet::new();
        for (i, image) in plan.delete_images.iter().enumerate() {
            if i % DELETE_CHUNK == 0 {
                chunk_users = None;
                read_again = true;
                gone_tags.clear();
            }
            if cancelled() {
                for tag in &image.tags {
                    on_item(tag, &CleanupOutcome::Cancelled);
                }
                continue;
            }
            let kept_subject = image.tags.iter().find_map(|tag| {
                let t = by_name.get(tag.as_str())?;
                subject_kept(plan, t, &gone)
            });
            if let Some(kept) = kept_subject {
                for tag in &image.tags {
                    on_item(tag, &kept);
                }
                continue;
            }
            // Read when the chunk's first delete is tried, for what is left of it.
            let read = match &mut chunk_users {
                Some(read) => read,
                None => {
                    let end = plan
                        .delete_images
                        .len()
                        .min(i - i % DELETE_CHUNK + DELETE_CHUNK);
                    let chunk = &plan.delete_images[i..end];
                    chunk_users.insert(self.read_chunk_users(&repository, chunk).await)
                }
            };
            let outcome = match read {
                Ok((listing, users)) => {
                    let mut users = users.get(&image.digest).cloned().unwrap_or_default();
                    users.tags.retain(|t| !gone_tags.contains(t));
                    users.indexes.retain(|t| !gone_tags.contains(t));
                    self.delete_planned_image(
                        &repository,
                        &image.digest,
                        &image.tags,
                        (listing, &users),
                        on_item,
                    )
                    .await
                }
                Err(error) => Err((error.clone(), image.tags.clone())),
            };
            if read_again && chunk_users.as_ref().is_some_and(|read| read.is_err()) {
                chunk_users = None;
                read_again = false;
            }
            match outcome {
                Ok(Some(removal)) => {
                    gone_tags.extend(removal.tags.iter().map(|t| t.to_string()));
                    applied.images_deleted.push(image.digest.clone());
                    gone.insert(image.digest.clone());
                    applied.undo.push(UndoAction::Restore(Box::new(removal)));
                }
                Ok(None) => {}
                Err((error, tags)) => {
                    if let Some(written) = error.written() {
                        applied.undo.push(UndoAction::from(written.clone()));
                    }
                    // The image went, and a check afterwards failed (a tag taken with
                    // it unseen): deleted as planned, what else went told apart.
                    if let Some(removal) = error.image_delete_landed() {
                        gone_tags.extend(removal.tags.iter().map(|t| t.to_string()));
                        applied.images_deleted.push(image.digest.clone());
                        gone.insert(image.digest.clone());
                        for tag in tags {
                            let digest = image.digest.clone();
                            on_item(&tag, &CleanupOutcome::ImageDeleted { digest });
                        }
                        applied.deleted_with.push(KeptLost {
                            digest: image.digest.clone(),
                            error,
                        });
                        continue;
                    }
                    for tag in tags {
                        on_item(
                            &tag,
                            &CleanupOutcome::ImageFailed {
                                digest: image.digest.clone(),
                                error: error.clone(),
                            },
                        );
                    }
                }
            }
        }

        // Referrer tags of images that stay, once their own images are gone. After
        // Cancel, the reason nothing is written for one is the cancel, even when its
        // image's delete was never attempted.
        let mut ready = Vec::new();
        for t in referrers {
            if cancelled() {
                on_item(&t.tag, &CleanupOutcome::Cancelled);
                continue;
            }
            match subject_kept(plan, t, &gone) {
                Some(kept) => on_item(&t.tag, &kept),
                None => ready.push(t),
            }
        }
        self.remove_tags_of_kept_images(
            &repository,
            &ready,
            cancelled,
            on_item,
            unique,
            &mut applied,
        )
        .await;
        Ok(applied)
    }

    /// Removes `tags` (of images that stay) through one bulk removal.
    async fn remove_tags_of_kept_images(
        &self,
        repository: &Repository,
        tags: &[&TagPlan],
        cancelled: &dyn Fn() -> bool,
        on_item: &dyn Fn(&str, &CleanupOutcome),
        unique: &dyn Fn() -> String,
        applied: &mut CleanupApplied,
    ) {
        let mut chosen = Vec::new();
        let mut digests = HashMap::new();
        for t in tags {
            if let Some(digest) = &t.digest {
                chosen.push(t.tag.clone());
                digests.insert(t.tag.clone(), digest.clone());
            }
        }
        if chosen.is_empty() {
            return;
        }
        // The bulk removal reads the tag list and every tag before its first check.
        if cancelled() {
            for tag in &chosen {
                on_item(tag, &CleanupOutcome::Cancelled);
            }
            return;
        }
        let report =
            |tag: &str, result: &ItemResult| on_item(tag, &CleanupOutcome::Tag(result.clone()));
        let run = BulkRun {
            repository,
            chosen: &chosen,
            digests: &digests,
            cancelled,
            on_item: &report,
        };
        let removal = self.bulk_remove_tags(&run, unique).await;
        applied.undo.extend(removal.undo);
        applied.lost.extend(removal.lost);
    }

    /// The tag list, and who among it uses each image of `chunk`: read once for the
    /// chunk's deletes. With a list that may be incomplete every delete is refused,
    /// so nobody is looked up.
    async fn read_chunk_users(
        &self,
        repository: &Repository,
        chunk: &[ImageDeletion],
    ) -> Result<(TagListing, HashMap<Digest, ImageUsers>), ChangeError> {
        let listing = self.tags(repository, |_| {}).await?;
        if listing.may_be_incomplete {
            return Ok((listing, HashMap::new()));
        }
        let digests: Vec<Digest> = chunk.iter().map(|i| i.digest.clone()).collect();
        let users = self
            .users_in_listing(repository, &digests, &listing)
            .await?;
        Ok((listing, users))
    }

    /// Deletes one planned image. Tags that moved away since the plan are reported
    /// as skipped and the image is deleted with the planned tags it still has; a tag
    /// added since (or none left) stops it. `Ok(None)`: nothing was deleted, every
    /// tag reported. `Err`: the error and the tags it concerns (not reported yet).
    async fn delete_planned_image(
        &self,
        repository: &Repository,
        digest: &Digest,
        planned: &[String],
        (listing, users): (&TagListing, &ImageUsers),
        on_item: &dyn Fn(&str, &CleanupOutcome),
    ) -> Result<Option<Removal>, (ChangeError, Vec<String>)> {
        let all = planned.to_vec();
        let fail = |error: ChangeError| (error, all.clone());
        let mut confirmed = planned.to_vec();
        sort::ascending(&mut confirmed);
        match self
            .delete_image_with_users(repository, digest, &confirmed, listing, users)
            .await
        {
            Ok(removal) => {
                for tag in planned {
                    on_item(
                        tag,
                        &CleanupOutcome::ImageDeleted {
                            digest: digest.clone(),
                        },
                    );
                }
                Ok(Some(removal))
            }
            Err(ChangeError::TagsChangedMeanwhile { now, .. })
                if !now.is_empty() && now.iter().all(|t| confirmed.contains(t)) =>
            {
                // Some planned tags moved away: they are skipped, the rest go with
                // the image (still only tags the plan removes).
                let remaining = ImageUsers {
                    tags: now.clone(),
                    ..users.clone()
                };
                let mut moved = Vec::new();
                for tag in confirmed.iter().filter(|t| !now.contains(t)) {
                    let found = self
                        .resolve_listed_tag(repository, tag)
                        .await
                        .map_err(|e| fail(e.into()))?;
                    moved.push((tag.clone(), found));
                }
                let result = self
                    .delete_image_with_users(repository, digest, &now, listing, &remaining)
                    .await;
                for (tag, found) in moved {
                    on_item(
                        &tag,
                        &CleanupOutcome::Moved {
                            planned: digest.clone(),
                            found,
                        },
                    );
                }
                match result {
                    Ok(removal) => {
                        for tag in &now {
                            on_item(
                                tag,
                                &CleanupOutcome::ImageDeleted {
                                    digest: digest.clone(),
                                },
                            );
                        }
                        Ok(Some(removal))
                    }
                    Err(error) => Err((error, now)),
                }
            }
            Err(ChangeError::TagsChangedMeanwhile { now, .. }) if now.is_empty() => {
                // Every planned tag moved: the image is no longer what the plan saw.
                for tag in &confirmed {
                    let found = self
                        .resolve_listed_tag(repository, tag)
                        .await
                        .map_err(|e| fail(e.into()))?;
                    on_item(
                        tag,
                        &CleanupOutcome::Moved {
                            planned: digest.clone(),
                            found,
                        },
                    );
                }
                Ok(None)
            }
            Err(error) => Err(fail(error)),
        }
    }
}

/// The image a removed referrer tag follows, and what the plan does to it.
fn follows_image(t: &TagPlan) -> Option<(&Digest, ReferrerTagScheme, &SubjectFate)> {
    match &t.reason {
        TagReason::FollowsImage {
            scheme,
            subject,
            image,
        } => Some((subject, *scheme, image)),
        _ => None,
    }
}

/// For a referrer tag the plan removes because its image goes: the skip to report
/// while that image is not gone in this run (its delete skipped, failed, or not yet
/// made); `None` when it is gone, or `t` is no such tag.
fn subject_kept(
    plan: &CleanupPlan,
    t: &TagPlan,
    deleted: &HashSet<Digest>,
) -> Option<CleanupOutcome> {
    let (subject, scheme, fate) = follows_image(t)?;
    let gone = match fate {
        SubjectFate::Deleted => deleted.contains(subject),
        // A platform: gone from the tags once every multi-arch image listing it is;
        // one whose delete was skipped still lists it.
        SubjectFate::LeftUntagged => {
            let mut listing = plan
                .delete_images
                .iter()
                .filter(|i| i.platforms.contains(subject) || i.shared_platforms.contains(subject))
                .peekable();
            listing.peek().is_some() && listing.all(|i| deleted.contains(&i.digest))
        }
        SubjectFate::Stays | SubjectFate::Untagged | SubjectFate::NotDeleted { .. } => false,
    };
    (!gone).then(|| CleanupOutcome::SubjectKept {
        subject: subject.clone(),
        scheme,
    })
}
