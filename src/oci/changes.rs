//! Changes to tags, composed from the registry operations: add or move a tag, copy an
//! image to another repository, remove one tag without touching the others that share
//! its image, delete an image, and put back what a change replaced (undo).
//!
//! Every change re-reads the registry just before acting and checks the result after,
//! so what the user saw and what happened can never silently differ.
//!
//! When a write fails, only a definite refusal means "nothing changed": an error
//! answer in 4xx (but 408 and 429) to a request that was the first write, or a request
//! never sent (see [`is_definite_refusal`]). After anything else (a 5xx, a timeout, a
//! dropped connection, a cancel) the write may have been applied: the registry is read
//! again and the result states what is true now. Whenever anything was written, the
//! failure carries the Undo record ([`ChangeError::written`]).

use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use std::collections::{BTreeMap, HashMap};

use super::client::{ManifestHead, MountOutcome, Registry, TagListing};
use super::error::RegistryError;
use super::http::{HttpClient, Method};
use super::intent::Intent;
use super::manifest::{Descriptor, Manifest, ManifestKind};
use super::media;
use super::names::{Digest, NameError, Repository, Tag};

/// Requests in flight at once when a change must look at many tags.
pub const CONCURRENT_LOOKUPS: usize = 6;

/// Manifests an index (and the indexes it lists) may bring into a copy.
const MAX_MANIFESTS_BELOW: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChangeError {
    #[error(transparent)]
    Registry(#[from] RegistryError),

    #[error(transparent)]
    InvalidName(#[from] NameError),

    /// The tag changed since the user looked at it; nothing was done.
    #[error("{tag} now points at {}, not at {expected} as shown; nothing was changed", found.as_ref().map_or("nothing (it was removed)".to_owned(), Digest::to_string))]
    ChangedMeanwhile {
        tag: String,
        expected: Digest,
        found: Option<Digest>,
    },

    /// The target tag exists and points at another image: moving it needs consent.
    #[error("{tag} already points at {current}; moving it to {new} needs confirmation")]
    WouldMove {
        tag: String,
        current: Digest,
        new: Digest,
    },

    /// The registry accepted the change but does not show it afterwards.
    #[error(
        "after the change {tag} points at {}, expected {}",
        describe(found),
        describe(expected)
    )]
    NotApplied {
        tag: String,
        expected: Option<Digest>,
        found: Option<Digest>,
    },

    /// The registry refused the first request that would have changed anything.
    #[error(transparent)]
    Refused(Box<RegistryError>),

    /// A write failed without a definite refusal; reading the registry again shows it
    /// was not applied.
    #[error("{cause}; read again, {subject} {now}")]
    NotAppliedAfterFailure {
        subject: String,
        /// What the registry shows now, in words ("still points at sha256:…").
        now: String,
        cause: Box<RegistryError>,
    },

    /// A write failed without a definite refusal, and the registry could not be read
    /// again: whether the write was applied is not known.
    #[error("{cause}; reading the registry again failed too: {reread}")]
    Unknown {
        cause: Box<RegistryError>,
        reread: Box<RegistryError>,
    },

    /// Something was written before this failure: the Undo record is kept.
    #[error("{cause}")]
    AfterWrite {
        cause: Box<ChangeError>,
        written: Box<Written>,
    },

    /// Undo put back some tags of a removal, then failed.
    #[error("put back {}, then: {cause}", restored.join(", "))]
    PartlyRestored {
        restored: Vec<String>,
        cause: Box<ChangeError>,
    },

    /// A copy stopped at a failure before its tag was written.
    #[error("the copy stopped before its tag was written: {cause}")]
    CopyStopped { cause: Box<ChangeError> },

    /// The user cancelled a copy between two steps, before its tag was written.
    #[error("cancelled after {done} of {total} steps")]
    Cancelled { done: usize, total: usize },

    /// Deleting an image needs every tag of the repository, and the registry's tag
    /// list may have pages this page cannot see.
    #[error("the tag list of {repository} may be incomplete (a page without a readable Link header, and asking for the rest failed); deleting an image needs every tag, so nothing was deleted")]
    TagListIncomplete { repository: String },

    /// The tags pointing at an image are not the ones the user confirmed.
    #[error(
        "{digest} is now tagged {}, not {} as confirmed; nothing was deleted",
        list(now),
        list(confirmed)
    )]
    TagsChangedMeanwhile {
        digest: Digest,
        confirmed: Vec<String>,
        now: Vec<String>,
    },

    /// Deleting the image would break the multi-arch images that list it.
    #[error("{digest} is a platform of the multi-arch image tagged {}; deleting it would break that image, so nothing was deleted", list(indexes))]
    PartOfIndex {
        digest: Digest,
        indexes: Vec<String>,
    },

    /// A removed tag exists again: putting the old one back would overwrite it.
    #[error(
        "{tag} exists again and points at {found}; Undo would overwrite it, so nothing was changed"
    )]
    Recreated { tag: String, found: Digest },

    /// After removing one tag, a multi-arch image lost a platform it lists.
    #[error("{digest}, a platform of {}, is gone from the registry", list(indexes))]
    PlatformLost {
        digest: Digest,
        indexes: Vec<String>,
    },

    /// The tag was pointed at a placeholder but the placeholder could not be deleted;
    /// the tag was put back as it was.
    #[error("{tag} could not be removed on its own ({cause}); it was put back and still points at {digest}")]
    RolledBack {
        tag: String,
        digest: Digest,
        /// The throw-away manifest, left untagged until garbage collection.
        placeholder: Digest,
        cause: Box<RegistryError>,
    },

    /// Worst case of the placeholder technique: the tag could be neither removed nor
    /// put back. The image itself is untouched.
    #[error("{tag} could not be removed ({cause}) nor put back: it now points at the throw-away manifest {placeholder} instead of {original}")]
    Stranded {
        tag: String,
        original: Digest,
        placeholder: Digest,
        cause: Box<RegistryError>,
    },
}

fn describe(digest: &Option<Digest>) -> String {
    digest
        .as_ref()
        .map_or("nothing (no such tag)".to_owned(), Digest::to_string)
}

fn list(tags: &[String]) -> String {
    if tags.is_empty() {
        "no tag".to_owned()
    } else {
        tags.join(", ")
    }
}

/// Whether a failed request proves that it changed nothing: the registry answered
/// with a 4xx refusal (408 Request Timeout and 429 Too Many Requests excepted: a
/// proxy or a busy registry may send those after the request reached it), or the
/// console refused to send it at all. Everything else may have been applied.
pub fn is_definite_refusal(error: &RegistryError) -> bool {
    match error {
        // Browsers send an idempotent request again when the connection dropped
        // before the answer: a 404 may answer the retry of a DELETE that was applied.
        RegistryError::NotFound { attempt, .. } => attempt.method != Method::Delete,
        RegistryError::Unauthorized { .. }
        | RegistryError::Denied { .. }
        | RegistryError::Unsupported { .. }
        | RegistryError::Invalid { .. }
        | RegistryError::SignInRefused { .. } => true,
        // Refused before sending: a manifest above the limit is never PUT.
        RegistryError::TooLargeToSend { .. } => true,
        // An answer too large to read says nothing of what the request did.
        RegistryError::TooLarge { .. } => false,
        RegistryError::UnexpectedStatus { status, .. } => {
            (400..500).contains(status) && !matches!(status, 408 | 429)
        }
        RegistryError::Network { .. }
        | RegistryError::Aborted { .. }
        | RegistryError::TimedOut { .. }
        | RegistryError::RateLimited { .. }
        | RegistryError::Server { .. }
        | RegistryError::Malformed { .. }
        | RegistryError::DigestMismatch { .. } => false,
    }
}

/// A change that wrote something, for Undo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Written {
    Tag(TagWrite),
    Removal(Box<Removal>),
}

fn after_write(cause: ChangeError, written: Written) -> ChangeError {
    match cause {
        // Already carries what was written.
        ChangeError::AfterWrite { .. } => cause,
        cause => ChangeError::AfterWrite {
            cause: Box::new(cause),
            written: Box::new(written),
        },
    }
}

/// A failure keeps what undoes the write unless the registry shows it changed
/// nothing (a definite refusal, or the old state read again).
fn keep_undo_unless_unchanged(error: ChangeError, written: Written) -> ChangeError {
    match error {
        ChangeError::Refused(_) | ChangeError::NotAppliedAfterFailure { .. } => error,
        error => after_write(error, written),
    }
}

/// How long a write given up on (timeout, cancel) gets to land before the registry is
/// read again to see whether it did.
const SETTLE_BEFORE_REREAD_MS: u32 = 2_000;

fn copy_stopped(cause: ChangeError) -> ChangeError {
    ChangeError::CopyStopped {
        cause: Box::new(cause),
    }
}

/// What the registry answered, for the note on a change it applied anyway.
fn applied_anyway(error: &RegistryError) -> String {
    format!(
        "the registry answered \"{}\", but reading it again shows the change was applied",
        error.headline()
    )
}

fn digest_or_nothing(digest: &Option<Digest>) -> String {
    digest
        .as_ref()
        .map_or("does not exist".to_owned(), |d| format!("points at {d}"))
}

impl ChangeError {
    /// What the user can do about it.
    pub fn advice(&self) -> String {
        match self {
            ChangeError::Registry(error) => error.advice(),
            ChangeError::Refused(cause)
            | ChangeError::RolledBack { cause, .. }
            | ChangeError::NotAppliedAfterFailure { cause, .. } => cause.advice(),
            ChangeError::Unknown { .. } => {
                "Reload to see what the registry holds now; Undo is kept in case the change \
                 was applied."
                    .into()
            }
            ChangeError::AfterWrite { cause, .. } => cause.advice(),
            ChangeError::Cancelled { .. } => "Copy again to finish it: what is there is skipped.".into(),
            ChangeError::CopyStopped { cause } => format!(
                "{} Copy again to finish it: what is there is skipped.",
                cause.advice()
            ),
            ChangeError::PartlyRestored { cause, .. } => format!(
                "{} Undo again puts back the rest.",
                cause.advice()
            ),
            ChangeError::TagListIncomplete { .. } => {
                "Let this page read the registry's Link header (Access-Control-Expose-Headers: \
                 Link, as deploy/'s CORS front sends), or serve the console from the registry's \
                 origin; or remove the tags one by one: a tag removal never deletes the image."
                    .into()
            }
            ChangeError::Stranded { tag, original, .. } => format!(
                "Point {tag} at {original} again: open another tag of that image (or its \
                 digest) and use Add tag with the name {tag}, confirming the move."
            ),
            ChangeError::TagsChangedMeanwhile { .. } => {
                "Look at the new list of tags and confirm again if it is still what you want.".into()
            }
            ChangeError::PartOfIndex { .. } => {
                "Remove the tag only, or delete the multi-arch image first.".into()
            }
            ChangeError::Recreated { .. } => {
                "Remove or rename the new tag first if you still want the old one back.".into()
            }
            ChangeError::PlatformLost { .. } => {
                "Copy the platform image back from another repository or push it again.".into()
            }
            ChangeError::InvalidName(_) => "Correct the name and try again.".into(),
            ChangeError::ChangedMeanwhile { .. } => {
                "Someone or something changed the tag meanwhile: reload and check before trying again.".into()
            }
            ChangeError::WouldMove { .. } => "Confirm the move, or choose another tag name.".into(),
            ChangeError::NotApplied { .. } => {
                "Reload to see the registry's state; it may be inconsistent or caching.".into()
            }
        }
    }

    /// What was written before this failure, for Undo.
    pub fn written(&self) -> Option<&Written> {
        match self {
            ChangeError::AfterWrite { written, .. } => Some(written),
            _ => None,
        }
    }

    /// What state the registry is in after this failure, in words for the user.
    pub fn outcome(&self) -> &'static str {
        match self {
            ChangeError::ChangedMeanwhile { .. }
            | ChangeError::WouldMove { .. }
            | ChangeError::InvalidName(_)
            | ChangeError::Refused(_)
            | ChangeError::TagsChangedMeanwhile { .. }
            | ChangeError::PartOfIndex { .. }
            | ChangeError::TagListIncomplete { .. }
            | ChangeError::Recreated { .. } => "Nothing was changed.",
            ChangeError::NotAppliedAfterFailure { .. } => {
                "The registry was read again: nothing was changed."
            }
            ChangeError::Cancelled { .. } | ChangeError::CopyStopped { .. } => {
                "No tag was changed. Blobs and platform manifests already copied stay in the \
                 target repository, untagged, until its garbage collection."
            }
            ChangeError::PartlyRestored { .. } => {
                "Some tags are back (named above); the others are not yet."
            }
            ChangeError::Unknown { .. } => {
                "It is not known whether the change was applied: the registry could not be \
                 read again. Undo is kept."
            }
            ChangeError::AfterWrite { cause, .. } => match **cause {
                ChangeError::Stranded { .. } => {
                    "The image is intact, but the tag now points at a throw-away manifest. \
                     Undo puts the tag back."
                }
                ChangeError::Unknown { .. } => cause.outcome(),
                _ => "Something was written before the failure: Undo is kept.",
            },
            ChangeError::RolledBack { .. } => {
                "Nothing was changed: the tag was restored. An untagged throw-away manifest \
                 is left behind until garbage collection."
            }
            ChangeError::Stranded { .. } => {
                "The image is intact, but the tag now points at a throw-away manifest."
            }
            ChangeError::PlatformLost { .. } => {
                "The tag was removed; the multi-arch image is now incomplete."
            }
            ChangeError::NotApplied { .. } => {
                "The registry did not apply the change as asked; reload to see its state."
            }
            // Every failed write is classified above: a bare registry error is a
            // read, before anything was written (or after a write that Undo covers).
            ChangeError::Registry(_) => "Nothing was changed: the failure came before any write.",
        }
    }
}

/// A tag that was written: the digest it now has and what it had before (for undo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagWrite {
    pub repository: Repository,
    pub tag: Tag,
    pub digest: Digest,
    /// What the tag pointed at before: Undo puts that back.
    pub before: TagBefore,
    /// Set when a request failed but the registry, read again, shows the change.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TagBefore {
    /// The tag did not exist: Undo removes it.
    Absent,
    /// The tag already pointed at this image: nothing changed, nothing to undo.
    SameImage,
    /// The tag was moved from this manifest.
    Moved(Box<Manifest>),
}

impl TagWrite {
    /// False when the tag already pointed at the image (the write changed nothing).
    pub fn changed(&self) -> bool {
        self.before != TagBefore::SameImage
    }

    pub fn moved_from(&self) -> Option<&Digest> {
        match &self.before {
            TagBefore::Moved(previous) => Some(&previous.digest),
            _ => None,
        }
    }
}

/// Who else uses an image within its repository. While anything does, removing one of
/// its tags must not delete the image by digest: that takes every tag pointing at it
/// and breaks the multi-arch images that list it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageUsers {
    /// Other tags pointing at the image.
    pub tags: Vec<String>,
    /// Tags of multi-arch images (indexes) that list the image as a platform.
    pub indexes: Vec<String>,
}

impl ImageUsers {
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty() && self.indexes.is_empty()
    }

    /// In words, for a result line: "the other tags a, b and the multi-arch image c".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match self.tags.len() {
            0 => {}
            1 => parts.push(format!("the other tag {}", self.tags[0])),
            _ => parts.push(format!("the other tags {}", self.tags.join(", "))),
        }
        if !self.indexes.is_empty() {
            parts.push(format!("the multi-arch image {}", self.indexes.join(", ")));
        }
        parts.join(" and ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RemovalMethod {
    /// `DELETE /manifests/<tag>`: the registry removed just the tag.
    TagDelete,
    /// The registry cannot delete tags: the tag was pointed at a unique placeholder
    /// manifest, which was then deleted by digest.
    Placeholder,
    /// The user chose to delete the image, with every tag pointing at it.
    ImageDelete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removal {
    pub repository: Repository,
    pub tags: Vec<Tag>,
    pub digest: Digest,
    pub method: RemovalMethod,
    /// The bytes removed, so the tags can be put back until garbage collection runs.
    pub manifest: Manifest,
    /// What still uses the image (it was kept for them).
    pub kept: ImageUsers,
    /// The throw-away manifest a tag was pointed at, if any: a tag found pointing at
    /// it is as good as removed, and Undo may overwrite it.
    #[serde(default)]
    pub placeholder: Option<Digest>,
    /// Set when a request failed but the registry, read again, shows the change.
    #[serde(default)]
    pub note: Option<String>,
}

/// What a copy did, blob by blob.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub mounted: usize,
    pub already_present: usize,
    pub uploaded: usize,
    /// Manifests written, the tagged one included.
    pub manifests: usize,
    /// Manifests of an index the target already had.
    pub manifests_present: usize,
}

/// A step of a copy, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyStep {
    pub done: usize,
    pub total: usize,
    pub what: String,
}

impl<C: HttpClient> Registry<C> {
    /// The digest `tag` points at now, or `None` when the tag does not exist.
    pub async fn resolve_tag(
        &self,
        repository: &Repository,
        tag: &str,
    ) -> Result<Option<Digest>, RegistryError> {
        Ok(self
            .look_up_tag(repository, tag)
            .await?
            .map(|(digest, _)| digest))
    }

    /// What `tag` points at now, digest and media type; `None` when it does not exist.
    async fn look_up_tag(
        &self,
        repository: &Repository,
        tag: &str,
    ) -> Result<Option<(Digest, String)>, RegistryError> {
        match self.manifest_head(repository, tag).await {
            Ok(ManifestHead {
                digest: Some(digest),
                media_type,
                ..
            }) => Ok(Some((digest, media_type.unwrap_or_default()))),
            // CORS hides Docker-Content-Digest: hash the bytes instead.
            Ok(_) => {
                let manifest = self.manifest_get(repository, tag).await?;
                Ok(Some((manifest.digest.clone(), manifest.media_type())))
            }
            Err(RegistryError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

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
        let current = self.resolve_tag(repository, tag.as_str()).await?;
        let before = match current {
            Some(current) if current == source.digest => TagBefore::SameImage,
            Some(current) if Some(&current) == move_from => TagBefore::Moved(Box::new(
                self.manifest_get(repository, current.as_str()).await?,
            )),
            Some(current) => {
                return Err(ChangeError::WouldMove {
                    tag: tag.to_string(),
                    current,
                    new: source.digest.clone(),
                })
            }
            None => TagBefore::Absent,
        };
        let mut write = TagWrite {
            repository: repository.clone(),
            tag: tag.clone(),
            digest: source.digest.clone(),
            before,
            note: None,
        };
        if write.changed() {
            self.note_intent(Intent::PutTag {
                repository: repository.clone(),
                tag: tag.clone(),
                digest: source.digest.clone(),
                before: write.moved_from().cloned(),
            });
            if let Err(error) = self.manifest_put_tag(repository, tag, source).await {
                write = self.settle_failed_tag_write(write, error).await?;
            }
        }
        match self
            .expect_tag(repository, tag.as_str(), Some(&source.digest))
            .await
        {
            Ok(()) => Ok(write),
            Err(error) if write.changed() => Err(after_write(error, Written::Tag(write))),
            Err(error) => Err(error),
        }
    }

    /// After a PUT of `write` failed: nothing changed on a definite refusal; else the
    /// tag is read again and the write counts as done if the tag shows it.
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
            Ok(note) => {
                write.note = Some(note);
                Ok(write)
            }
            Err(error) => Err(keep_undo_unless_unchanged(error, Written::Tag(write))),
        }
    }

    /// After a write meant to move `tag` from `before` to `wanted` (`None`: absent)
    /// failed: a definite refusal changed nothing; otherwise the tag is read again.
    /// `Ok` with a note when it shows the write; "not applied" only when it still
    /// shows `before`; anything else (a third digest, an unreadable registry) may be
    /// the write's doing, and the caller keeps the Undo.
    async fn recheck_tag(
        &self,
        repository: &Repository,
        tag: &Tag,
        (before, wanted): (Option<&Digest>, Option<&Digest>),
        error: RegistryError,
    ) -> Result<String, ChangeError> {
        if is_definite_refusal(&error) {
            return Err(ChangeError::Refused(Box::new(error)));
        }
        // A write given up on may still be on its way: give it a moment to land
        // before reading, or the read could say "not applied" just before it does.
        if matches!(
            error,
            RegistryError::TimedOut { .. } | RegistryError::Aborted { .. }
        ) {
            self.pause(SETTLE_BEFORE_REREAD_MS).await;
        }
        match self.resolve_tag(repository, tag.as_str()).await {
            Ok(now) if now.as_ref() == wanted => Ok(applied_anyway(&error)),
            Ok(now) if now.as_ref() == before => Err(ChangeError::NotAppliedAfterFailure {
                subject: format!("{repository}:{tag}"),
                now: digest_or_nothing(&now),
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

    /// PUTs `manifest` as `tag`, counting a failed PUT as done when reading the
    /// tag again shows it (for Undo, whose writes follow the same rule).
    async fn put_tag_checked(
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

    /// Checks that `tag` points at `expected` (or is gone, for `None`).
    async fn expect_tag(
        &self,
        repository: &Repository,
        tag: &str,
        expected: Option<&Digest>,
    ) -> Result<(), ChangeError> {
        let found = self.resolve_tag(repository, tag).await?;
        if found.as_ref() == expected {
            return Ok(());
        }
        Err(ChangeError::NotApplied {
            tag: tag.to_owned(),
            expected: expected.cloned(),
            found,
        })
    }

    /// What each of `tags` points at now (digest and media type), `None` for a tag
    /// that no longer exists; `CONCURRENT_LOOKUPS` requests at a time.
    async fn look_up_tags(
        &self,
        repository: &Repository,
        tags: &[String],
    ) -> Result<Vec<(String, Option<(Digest, String)>)>, RegistryError> {
        let lookups = stream::iter(tags.iter().cloned())
            .map(|tag| async move {
                let found = self.look_up_tag(repository, &tag).await;
                (tag, found)
            })
            .buffer_unordered(CONCURRENT_LOOKUPS)
            .collect::<Vec<_>>()
            .await;
        lookups
            .into_iter()
            .map(|(tag, found)| found.map(|found| (tag, found)))
            .collect()
    }

    /// The tags among `candidates` that point at `digest` right now.
    pub async fn tags_pointing_at(
        &self,
        repository: &Repository,
        digest: &Digest,
        candidates: &[String],
    ) -> Result<Vec<String>, RegistryError> {
        let mut matching: Vec<String> = self
            .look_up_tags(repository, candidates)
            .await?
            .into_iter()
            .filter(|(_, found)| found.as_ref().is_some_and(|(d, _)| d == digest))
            .map(|(tag, _)| tag)
            .collect();
        matching.sort();
        Ok(matching)
    }

    /// Who among `candidates` (tags of `repository`) uses the image `digest`: the tags
    /// pointing at it, and the tags of multi-arch images listing it as a platform.
    pub async fn image_users(
        &self,
        repository: &Repository,
        digest: &Digest,
        candidates: &[String],
    ) -> Result<ImageUsers, RegistryError> {
        let mut users = self
            .users_of_images(repository, std::slice::from_ref(digest), candidates)
            .await?;
        Ok(users.remove(digest).unwrap_or_default())
    }

    /// [`Registry::image_users`] for many images at once (a bulk removal): every
    /// candidate is looked up once and every multi-arch image fetched once, however
    /// many images are asked about.
    pub async fn users_of_images(
        &self,
        repository: &Repository,
        digests: &[Digest],
        candidates: &[String],
    ) -> Result<HashMap<Digest, ImageUsers>, RegistryError> {
        let mut users: HashMap<Digest, ImageUsers> = digests
            .iter()
            .map(|d| (d.clone(), ImageUsers::default()))
            .collect();
        let mut indexes: BTreeMap<Digest, Vec<String>> = BTreeMap::new();
        for (tag, found) in self.look_up_tags(repository, candidates).await? {
            let Some((found, media_type)) = found else {
                continue;
            };
            if let Some(image) = users.get_mut(&found) {
                image.tags.push(tag.clone());
            }
            // Also when it is one of the images asked about: a bulk removal of an
            // index and of its platforms must see that the index lists them.
            if media::is_index(&media_type) {
                indexes.entry(found).or_default().push(tag);
            }
        }
        // One GET per distinct multi-arch image in the repository.
        let listed = stream::iter(indexes)
            .map(|(index, tags)| async move {
                let manifest = self.manifest_get(repository, index.as_str()).await?;
                Ok::<_, RegistryError>((manifest, tags))
            })
            .buffer_unordered(CONCURRENT_LOOKUPS)
            .collect::<Vec<_>>()
            .await;
        for listed in listed {
            let (index, tags) = listed?;
            for child in &index.view.manifests {
                let child = users.iter_mut().find(|(d, _)| d.as_str() == child.digest);
                if let Some((_, image)) = child {
                    image.indexes.extend(tags.iter().cloned());
                }
            }
        }
        for image in users.values_mut() {
            image.tags.sort();
            image.indexes.sort();
            image.indexes.dedup();
        }
        Ok(users)
    }

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
        let removal = self
            .remove_tag_among(repository, tag, seen, &users, unique)
            .await?;
        if let Err(error) = self.verify_kept(repository, seen, &users).await {
            return Err(after_write(error, Written::Removal(Box::new(removal))));
        }
        Ok(removal)
    }

    /// Removes `tag` and nothing else: `DELETE` by tag where the registry can, else
    /// a throw-away manifest (see `detach_with_placeholder`). Never deletes the image:
    /// that is [`Registry::delete_image`], the user's explicit choice. `users` is what
    /// else is known to use `seen` (reported as kept; the caller checks afterwards
    /// with [`Registry::verify_kept`]).
    pub async fn remove_tag_among(
        &self,
        repository: &Repository,
        tag: &Tag,
        seen: &Digest,
        users: &ImageUsers,
        unique: &str,
    ) -> Result<Removal, ChangeError> {
        let current = self.resolve_tag(repository, tag.as_str()).await?;
        if current.as_ref() != Some(seen) {
            return Err(ChangeError::ChangedMeanwhile {
                tag: tag.to_string(),
                expected: seen.clone(),
                found: current,
            });
        }
        let manifest = self.manifest_get(repository, seen.as_str()).await?;
        let mut removal = Removal {
            repository: repository.clone(),
            tags: vec![tag.clone()],
            digest: seen.clone(),
            method: RemovalMethod::TagDelete,
            manifest,
            kept: users.clone(),
            placeholder: None,
            note: None,
        };
        self.note_intent(Intent::RemoveTag {
            repository: repository.clone(),
            tag: tag.clone(),
            digest: seen.clone(),
        });
        match self.tag_delete(repository, tag).await {
            Ok(()) => {}
            Err(cause @ RegistryError::Unsupported { .. }) => {
                // Ask before pushing a placeholder that could then not be deleted.
                if !self.deletes_enabled(repository).await? {
                    return Err(ChangeError::Refused(Box::new(cause)));
                }
                removal.method = RemovalMethod::Placeholder;
                self.detach_with_placeholder(&mut removal, unique).await?;
            }
            Err(error) => match self
                .recheck_tag(repository, tag, (Some(seen), None), error)
                .await
            {
                Ok(note) => removal.note = Some(note),
                Err(error) => {
                    return Err(keep_undo_unless_unchanged(
                        error,
                        Written::Removal(Box::new(removal)),
                    ))
                }
            },
        }
        match self.expect_tag(repository, tag.as_str(), None).await {
            Ok(()) => Ok(removal),
            Err(error) => Err(after_write(error, Written::Removal(Box::new(removal)))),
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
        if let Some(lost) = users.tags.iter().find(|t| !still.contains(t)) {
            return Err(ChangeError::NotApplied {
                tag: lost.clone(),
                expected: Some(digest.clone()),
                found: self.resolve_tag(repository, lost).await?,
            });
        }
        if !users.indexes.is_empty() {
            match self.manifest_head(repository, digest.as_str()).await {
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
    pub async fn deletes_enabled(&self, repository: &Repository) -> Result<bool, RegistryError> {
        let nobody = Digest::sha256_of(b"tagdeck: probe for storage.delete.enabled");
        match self.manifest_delete(repository, &nobody).await {
            // Some registries reject the made-up digest itself (400): deletes exist.
            Ok(()) | Err(RegistryError::NotFound { .. } | RegistryError::Invalid { .. }) => {
                Ok(true)
            }
            Err(RegistryError::Unsupported { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// For registries that cannot delete a tag (distribution 2.8): point the tag at a
    /// unique throw-away manifest, then delete that manifest by its digest. Every step
    /// that fails without a definite refusal is checked by reading the tag again.
    async fn detach_with_placeholder(
        &self,
        removal: &mut Removal,
        unique: &str,
    ) -> Result<(), ChangeError> {
        let (repository, tag) = (removal.repository.clone(), removal.tags[0].clone());
        // Uploading the placeholder's blobs changes no tag and no manifest: whatever
        // happens to them, nothing the user sees has changed.
        let placeholder = placeholder_manifest(self, &repository, &tag, unique)
            .await
            .map_err(|e| ChangeError::Refused(Box::new(e)))?;
        removal.placeholder = Some(placeholder.digest.clone());
        if let Err(error) = self.manifest_put_tag(&repository, &tag, &placeholder).await {
            let seen = removal.digest.clone();
            self.recheck_tag(
                &repository,
                &tag,
                (Some(&seen), Some(&placeholder.digest)),
                error,
            )
            .await
            .map_err(|e| {
                keep_undo_unless_unchanged(e, Written::Removal(Box::new(removal.clone())))
            })?;
        }
        let Err(cause) = self.manifest_delete(&repository, &placeholder.digest).await else {
            return Ok(());
        };
        // Whatever the failure, the tag is read again before anything is undone.
        if matches!(self.resolve_tag(&repository, tag.as_str()).await, Ok(None)) {
            removal.note = Some(applied_anyway(&cause));
            return Ok(());
        }
        // Put the tag back before reporting: never leave it on the placeholder.
        let cause = Box::new(cause);
        let now = match self
            .manifest_put_tag(&repository, &tag, &removal.manifest)
            .await
        {
            Ok(_) => Ok(Some(removal.digest.clone())),
            Err(_) => self.resolve_tag(&repository, tag.as_str()).await,
        };
        let written = || Written::Removal(Box::new(removal.clone()));
        match now {
            Ok(Some(digest)) if digest == removal.digest => Err(ChangeError::RolledBack {
                tag: tag.to_string(),
                digest,
                placeholder: placeholder.digest,
                cause,
            }),
            // The placeholder's delete had landed after all: the tag is gone.
            Ok(None) => {
                removal.note = Some(applied_anyway(&cause));
                Ok(())
            }
            Ok(Some(_)) => Err(after_write(
                ChangeError::Stranded {
                    tag: tag.to_string(),
                    original: removal.digest.clone(),
                    placeholder: placeholder.digest,
                    cause,
                },
                written(),
            )),
            Err(reread) => Err(after_write(
                ChangeError::Unknown {
                    cause,
                    reread: Box::new(reread),
                },
                written(),
            )),
        }
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
        confirmed_tags.sort();
        let users = self.image_users(repository, digest, &listing.tags).await?;
        if !users.indexes.is_empty() {
            return Err(ChangeError::PartOfIndex {
                digest: digest.clone(),
                indexes: users.indexes,
            });
        }
        let confirmed_names: Vec<String> = confirmed_tags.iter().map(Tag::to_string).collect();
        if users.tags != confirmed_names {
            return Err(ChangeError::TagsChangedMeanwhile {
                digest: digest.clone(),
                confirmed: confirmed_names,
                now: users.tags,
            });
        }
        let manifest = self.manifest_get(repository, digest.as_str()).await?;
        let mut removal = Removal {
            repository: repository.clone(),
            tags: confirmed_tags,
            digest: digest.clone(),
            method: RemovalMethod::ImageDelete,
            manifest,
            kept: ImageUsers::default(),
            placeholder: None,
            note: None,
        };
        self.note_intent(Intent::DeleteImage {
            repository: repository.clone(),
            tags: removal.tags.clone(),
            manifest: Box::new(removal.manifest.clone()),
        });
        if let Err(error) = self.manifest_delete(repository, digest).await {
            if is_definite_refusal(&error) {
                return Err(ChangeError::Refused(Box::new(error)));
            }
            match self.manifest_head(repository, digest.as_str()).await {
                Err(RegistryError::NotFound { .. }) => removal.note = Some(applied_anyway(&error)),
                Ok(_) => {
                    return Err(ChangeError::NotAppliedAfterFailure {
                        subject: format!("{repository}@{digest}"),
                        now: "still exists".into(),
                        cause: Box::new(error),
                    })
                }
                Err(reread) => {
                    return Err(after_write(
                        ChangeError::Unknown {
                            cause: Box::new(error),
                            reread: Box::new(reread),
                        },
                        Written::Removal(Box::new(removal)),
                    ))
                }
            }
        }
        for tag in &removal.tags {
            if let Err(error) = self.expect_tag(repository, tag.as_str(), None).await {
                return Err(after_write(error, Written::Removal(Box::new(removal))));
            }
        }
        Ok(removal)
    }

    /// Undo of a removal: puts every removed tag back with the exact bytes. Works
    /// until the registry's garbage collection removes the blobs. A tag re-created
    /// since is never overwritten: then nothing is done.
    pub async fn restore_tags(&self, removal: &Removal) -> Result<(), ChangeError> {
        let mut missing = Vec::new();
        for tag in &removal.tags {
            match self.resolve_tag(&removal.repository, tag.as_str()).await? {
                None => missing.push((tag, None)),
                // Left on the throw-away manifest by a removal that failed midway.
                Some(found) if Some(&found) == removal.placeholder.as_ref() => {
                    missing.push((tag, Some(found)))
                }
                Some(found) if found == removal.digest => {}
                Some(found) => {
                    return Err(ChangeError::Recreated {
                        tag: tag.to_string(),
                        found,
                    })
                }
            }
        }
        let mut restored = Vec::new();
        for (tag, before) in missing {
            let put = self
                .put_tag_checked(&removal.repository, tag, before.as_ref(), &removal.manifest)
                .await;
            // Once a PUT landed, a failure says what is back (Undo again skips it and
            // puts back the rest).
            let checked = match put {
                Ok(()) => {
                    restored.push(tag.to_string());
                    self.expect_tag(&removal.repository, tag.as_str(), Some(&removal.digest))
                        .await
                }
                Err(cause) => Err(cause),
            };
            if let Err(cause) = checked {
                return Err(match cause {
                    ChangeError::Refused(_) | ChangeError::NotAppliedAfterFailure { .. }
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
        Ok(())
    }

    /// Undo of a tag write: the tag goes back to what it pointed at, or away.
    pub async fn undo_tag_write(&self, write: &TagWrite, unique: &str) -> Result<(), ChangeError> {
        if write.before == TagBefore::SameImage {
            return Ok(());
        }
        let current = self
            .resolve_tag(&write.repository, write.tag.as_str())
            .await?;
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
                self.expect_tag(
                    &write.repository,
                    write.tag.as_str(),
                    Some(&previous.digest),
                )
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
                let listing = self.tags(&write.repository, |_| {}).await?;
                self.remove_tag(
                    &write.repository,
                    &write.tag,
                    &write.digest,
                    &listing.tags,
                    unique,
                )
                .await
                .map(|_| ())
            }
        }
    }

    /// Copies `source` (an image or a whole multi-arch index) from `from` to `to` as
    /// `tag`: blobs are mounted (or skipped when present), child manifests put by
    /// digest, then the top manifest is tagged. Nothing is pulled through the browser
    /// unless the registry refuses to mount.
    pub async fn copy_image(
        &self,
        from: &Repository,
        source: &Manifest,
        to: &Repository,
        tag: &Tag,
        move_from: Option<&Digest>,
        mut on_step: impl FnMut(CopyStep) -> bool,
    ) -> Result<(TagWrite, CopyReport), ChangeError> {
        // `on_step` answers false to stop (the user pressed Cancel): checked before
        // each step, never in the middle of one.
        let mut step = |done: usize, total: usize, what: String| {
            if on_step(CopyStep { done, total, what }) {
                Ok(())
            } else {
                Err(ChangeError::Cancelled { done, total })
            }
        };
        let below = self.manifests_below(from, source).await?;
        let images: Vec<&Manifest> = std::iter::once(source)
            .chain(below.iter())
            .filter(|m| m.kind() != ManifestKind::Index)
            .collect();
        let blobs: Vec<Descriptor> = images
            .iter()
            .flat_map(|m| m.view.config.iter().chain(m.view.layers.iter()).cloned())
            .filter(|b| b.media_type.as_deref() != Some(media::OCI_EMPTY) || b.size > 0)
            .collect();
        let total = blobs.len() + below.len() + 1;
        let mut done = 0;
        let mut report = CopyReport::default();
        for blob in &blobs {
            let digest = Digest::parse(&blob.digest)?;
            step(done, total, format!("blob {}", digest.short(12)))?;
            self.copy_blob(from, to, blob, &digest, &mut report)
                .await
                .map_err(copy_stopped)?;
            done += 1;
        }
        // Children before the indexes that list them: a registry refuses an index
        // whose manifests it does not have.
        for child in &below {
            step(done, total, format!("manifest {}", child.digest.short(12)))?;
            match self.manifest_head(to, child.digest.as_str()).await {
                Ok(_) => report.manifests_present += 1,
                Err(RegistryError::NotFound { .. }) => {
                    self.manifest_put(to, child.digest.as_str(), &child.bytes, &child.content_type)
                        .await
                        .map_err(|e| copy_stopped(e.into()))?;
                    report.manifests += 1;
                }
                Err(error) => return Err(copy_stopped(error.into())),
            }
            done += 1;
        }
        step(done, total, format!("tag {tag}"))?;
        let write =
            self.put_tag(to, tag, source, move_from)
                .await
                .map_err(|error| match error {
                    // The dialog asks to confirm the move: nothing to say yet.
                    ChangeError::WouldMove { .. } => error,
                    ChangeError::Refused(_) | ChangeError::NotAppliedAfterFailure { .. } => {
                        copy_stopped(error)
                    }
                    error => error,
                })?;
        report.manifests += 1;
        // Past the last write: too late to cancel, whatever the answer.
        let _ = step(total, total, "done".into());
        Ok((write, report))
    }

    /// Every manifest an index lists, and what those list in turn (an index may list
    /// indexes), each once, deepest first: the order to PUT them in. Empty for an image.
    async fn manifests_below(
        &self,
        repository: &Repository,
        source: &Manifest,
    ) -> Result<Vec<Manifest>, RegistryError> {
        let mut found: Vec<Manifest> = Vec::new();
        let mut seen = std::collections::HashSet::from([source.digest.clone()]);
        // Breadth first from the source; reversed, every manifest comes after all the
        // manifests below it.
        let mut next = 0;
        let mut children: Vec<String> = source
            .view
            .manifests
            .iter()
            .map(|c| c.digest.clone())
            .collect();
        loop {
            for child in children {
                // A child is named by digest, never by tag: checked before the URL,
                // and the bytes fetched are verified against it.
                let digest = Digest::parse(&child).map_err(|e| RegistryError::Malformed {
                    attempt: super::error::Attempt {
                        method: Method::Get,
                        url: format!("{repository}@{}", source.digest),
                    },
                    detail: format!("the index lists a manifest by no valid digest: {e}"),
                })?;
                let manifest = self.manifest_get(repository, digest.as_str()).await?;
                if seen.insert(manifest.digest.clone()) {
                    found.push(manifest);
                }
                if found.len() > MAX_MANIFESTS_BELOW {
                    return Err(RegistryError::Malformed {
                        attempt: super::error::Attempt {
                            method: Method::Get,
                            url: format!("{repository}@{}", source.digest),
                        },
                        detail: format!(
                            "the index lists more than {MAX_MANIFESTS_BELOW} manifests"
                        ),
                    });
                }
            }
            let Some(parent) = found.get(next) else { break };
            children = parent
                .view
                .manifests
                .iter()
                .map(|c| c.digest.clone())
                .collect();
            next += 1;
        }
        found.reverse();
        Ok(found)
    }

    async fn copy_blob(
        &self,
        from: &Repository,
        to: &Repository,
        blob: &Descriptor,
        digest: &Digest,
        report: &mut CopyReport,
    ) -> Result<(), ChangeError> {
        if self.blob_head(to, digest).await?.is_some() {
            report.already_present += 1;
            return Ok(());
        }
        match self.blob_mount(to, digest, from).await? {
            MountOutcome::Mounted => report.mounted += 1,
            MountOutcome::UploadStarted { location } => {
                // The registry would not mount: send the bytes through the browser.
                // Bounded: a larger layer is refused with advice, never held whole in
                // the page's memory.
                let uploaded = async {
                    let bytes = self
                        .blob_get_verified(from, blob, media::MAX_BROWSER_COPY_BYTES)
                        .await?;
                    self.blob_upload_to(&location, digest, &bytes).await
                }
                .await;
                if let Err(error) = uploaded {
                    // Best effort: the error that matters is the upload's.
                    let _ = self.blob_upload_cancel(&location).await;
                    return Err(error.into());
                }
                report.uploaded += 1;
            }
        }
        Ok(())
    }
}

/// The labels that mark a placeholder manifest's config, and name the tag it removes.
pub const PLACEHOLDER_LABEL: &str = "org.tagdeck.placeholder";
pub const PLACEHOLDER_TAG_LABEL: &str = "org.tagdeck.tag";

/// A manifest that no other tag can share: its config carries the tag and `unique`.
async fn placeholder_manifest<C: HttpClient>(
    registry: &Registry<C>,
    repository: &Repository,
    tag: &Tag,
    unique: &str,
) -> Result<Manifest, RegistryError> {
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": { "Labels": {
            PLACEHOLDER_LABEL: "removes one tag; deleted right after it was pushed",
            PLACEHOLDER_TAG_LABEL: tag.as_str(),
            "org.tagdeck.unique": unique,
        }},
        "rootfs": { "type": "layers", "diff_ids": [Digest::sha256_of(&EMPTY_TAR).to_string()] },
    });
    let config_bytes = serde_json::to_vec(&config).unwrap_or_default();
    let config_digest = registry.blob_upload(repository, &config_bytes).await?;
    let layer_digest = registry.blob_upload(repository, &EMPTY_TAR_GZ).await?;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": { "mediaType": media::OCI_CONFIG, "digest": config_digest.as_str(), "size": config_bytes.len() },
        "layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest.as_str(), "size": EMPTY_TAR_GZ.len() }],
    });
    let bytes = serde_json::to_vec(&manifest).unwrap_or_default();
    Manifest::parse(bytes, Some(media::OCI_MANIFEST)).map_err(|e| RegistryError::Malformed {
        attempt: super::error::Attempt {
            method: super::http::Method::Put,
            url: repository.to_string(),
        },
        detail: e.to_string(),
    })
}

/// An empty tar archive (two zero blocks), and the same gzipped: the one layer of
/// the placeholder manifest.
const EMPTY_TAR: [u8; 1024] = [0; 1024];
const EMPTY_TAR_GZ: [u8; 29] = [
    31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 99, 96, 24, 5, 163, 96, 20, 140, 84, 0, 0, 46, 175, 181, 239,
    0, 4, 0, 0,
];
