//! What a change's failure is: whether anything was written and what the registry
//! shows now, as data. `crate::wording` tells it to a person; the `Display` here is a
//! terse line for logs.

use thiserror::Error;

use super::copy_steps::CopyWork;
use super::written::Written;
use crate::oci::error::RegistryError;
use crate::oci::http::Method;
use crate::oci::names::{Digest, NameError};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChangeError {
    #[error(transparent)]
    Registry(#[from] RegistryError),

    #[error(transparent)]
    InvalidName(#[from] NameError),

    /// The tag changed since the user looked at it; nothing was done.
    #[error("changed meanwhile: {tag} (expected {expected}, found {found:?})")]
    ChangedMeanwhile {
        tag: String,
        expected: Digest,
        found: Option<Digest>,
    },

    /// The target tag exists and points at another image: moving it needs consent.
    #[error("would move {tag} from {current} to {new}")]
    WouldMove {
        tag: String,
        current: Digest,
        new: Digest,
    },

    /// The registry accepted the change but does not show it afterwards.
    #[error("not applied: {tag} (expected {expected:?}, found {found:?})")]
    NotApplied {
        tag: String,
        expected: Option<Digest>,
        found: Option<Digest>,
    },

    /// The registry refused the first request that would have changed anything.
    #[error(transparent)]
    Refused(Box<RegistryError>),

    /// DELETE by tag was `refused`, and the check whether the registry deletes
    /// manifests at all (a DELETE of a digest nobody has) failed: nothing was written.
    #[error("deletes unchecked after {refused}: {cause}")]
    DeletesUnchecked {
        refused: Box<RegistryError>,
        cause: Box<RegistryError>,
    },

    /// A write failed without a definite refusal; reading the registry again shows it
    /// was not applied (yet: it may still land). A change's own write carries it in
    /// [`ChangeError::AfterWrite`], keeping the Undo; bare, an Undo's write or a step
    /// that no Undo covers.
    #[error("not applied after a failure: {subject} {now:?}: {cause}")]
    NotAppliedAfterFailure {
        subject: String,
        /// What the registry shows now.
        now: ReadAgain,
        cause: Box<RegistryError>,
    },

    /// Deleting an image failed without a definite refusal; read again, the image is
    /// still there but the tags `untagged` no longer point at it (a registry that
    /// untags before it deletes the manifest). Undo puts them back.
    #[error("image delete half done: {digest} kept, {untagged:?} gone: {cause}")]
    ImageDeleteHalfDone {
        digest: Digest,
        untagged: Vec<String>,
        cause: Box<RegistryError>,
    },

    /// A write failed without a definite refusal, and the registry could not be read
    /// again: whether the write was applied is not known.
    #[error("unknown: {cause}; reading again: {reread}")]
    Unknown {
        cause: Box<RegistryError>,
        reread: Box<RegistryError>,
    },

    /// Something was written before this failure: the Undo record is kept.
    #[error("after a write: {cause}")]
    AfterWrite {
        cause: Box<ChangeError>,
        written: Box<Written>,
    },

    /// Undo put back some tags of a removal, then failed.
    #[error("partly restored ({restored:?}): {cause}")]
    PartlyRestored {
        restored: Vec<String>,
        cause: Box<ChangeError>,
    },

    /// A copy stopped at a failure before its tag was written; `at`: the step that
    /// failed (a blob, a manifest the image lists, or the tag itself).
    #[error("copy stopped at {at:?}: {cause}")]
    CopyStopped {
        at: CopyWork,
        cause: Box<ChangeError>,
    },

    /// The change's intent could not be recorded before its first write (the tab's
    /// storage refused it): not started, nothing written.
    #[error("the change's intent could not be recorded")]
    NotRecorded,

    /// The user cancelled a copy between two steps, before its tag was written.
    #[error("cancelled after {done}/{total} steps")]
    Cancelled { done: usize, total: usize },

    /// Deleting an image needs every tag of the repository, and the registry's tag
    /// list may have pages this page cannot see.
    #[error("tag list of {repository} may be incomplete")]
    TagListIncomplete { repository: String },

    /// The tags pointing at an image are not the ones the user confirmed.
    #[error("tags of {digest} changed: confirmed {confirmed:?}, now {now:?}")]
    TagsChangedMeanwhile {
        digest: Digest,
        confirmed: Vec<String>,
        now: Vec<String>,
    },

    /// Deleting the image would break the multi-arch images that list it.
    #[error("{digest} is a platform of {indexes:?}")]
    PartOfIndex {
        digest: Digest,
        indexes: Vec<String>,
    },

    /// A referrer index (an OCI fallback tag) was kept, not deleted: it lists
    /// `unremoved`, referrers whose own delete failed, and nothing else would list them.
    #[error("kept {tag}: it lists {unremoved:?}")]
    ListsUnremoved { tag: String, unremoved: Vec<Digest> },

    /// A referrer index (an OCI fallback tag) was kept, and nothing it lists deleted:
    /// it lists `unshown`, manifests the registry has that were not among the
    /// referrers confirmed (added meanwhile, or skipped by the list as malformed).
    #[error("kept {tag}: it lists {unshown:?}, not shown")]
    ListsUnshown { tag: String, unshown: Vec<Digest> },

    /// The fallback tag `tag`'s index could not be deleted after the referrers it
    /// lists, `removed`, were: it is kept, listing manifests that are gone. The
    /// run's Undo puts them back.
    #[error("kept {tag}, listing removed {removed:?}: {cause}")]
    IndexLeftListing {
        tag: String,
        removed: Vec<Digest>,
        cause: Box<ChangeError>,
    },

    /// Undo found nothing to take back: the change is not on the registry (yet: a
    /// write given up on may still land). The Undo is kept.
    #[error("nothing to undo yet")]
    NothingToUndo,

    /// What was to be deleted, `subject`, is not in the registry (deleted earlier, or
    /// by another client): nothing to do, and nothing was written.
    #[error("already gone: {subject}")]
    AlreadyGone { subject: String },

    /// Listed as a referrer of `subject` (by the referrers API or a fallback index),
    /// the manifest `digest` does not name it as its subject: kept, not deleted.
    #[error("{digest} does not refer to {subject}")]
    NotAReferrer { digest: Digest, subject: Digest },

    /// Copying referrers: the target's fallback tag `tag` points at something that is
    /// no list of referrers (a multi-arch image, or no index): left as it is.
    #[error("target tag {tag} is no referrers index")]
    TagNotReferrerIndex { tag: String },

    /// A referrer kept because the fallback tag `tag`, whose index lists it, is kept:
    /// deleted, it would leave that index listing a manifest that is gone.
    #[error("kept with {tag}")]
    KeptWithIndex { tag: String },

    /// A removed tag exists again: putting the old one back would overwrite it.
    #[error("recreated: {tag} (now {found})")]
    Recreated { tag: String, found: Digest },

    /// After removing one tag, other tags of the image point at nothing any more: the
    /// registry deleted the image with them (DELETE by tag taking every tag of the
    /// image). Its Undo puts them back with the removed tag.
    #[error("tags lost with the removal: {tags:?} of {digest}")]
    TagsLost { digest: Digest, tags: Vec<String> },

    /// A tag removed by a DELETE by tag, its image used by nothing else to read it by,
    /// and the image itself unreadable afterwards: some registries delete the image,
    /// with every tag on it, when asked to delete one tag. Whether it stayed is not
    /// known; the Undo (which puts it back if it went) is kept.
    #[error("image unread after the tag delete: {digest} ({cause})")]
    ImageUnread {
        digest: Digest,
        cause: Box<RegistryError>,
    },

    /// After removing one tag, a multi-arch image lost a platform it lists.
    #[error("platform lost: {digest} of {indexes:?}")]
    PlatformLost {
        digest: Digest,
        indexes: Vec<String>,
    },

    /// The tag was pointed at a placeholder but the placeholder could not be deleted;
    /// the tag was put back as it was.
    #[error("rolled back: {tag} on {digest} ({cause})")]
    RolledBack {
        tag: String,
        digest: Digest,
        /// The throw-away manifest, left untagged until garbage collection.
        placeholder: Digest,
        cause: Box<RegistryError>,
    },

    /// Worst case of the placeholder technique: the tag could be neither removed nor
    /// put back. The image itself is untouched.
    #[error("stranded: {tag} on {placeholder}, was {original} ({cause})")]
    Stranded {
        tag: String,
        original: Digest,
        placeholder: Digest,
        cause: Box<RegistryError>,
    },
}

/// What reading the registry again showed, after a write failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadAgain {
    /// The tag points at this image, or does not exist.
    Tag(Option<Digest>),
    /// The image a delete was meant to remove is still there.
    ImageStillThere,
    /// The manifest a PUT by digest was meant to store is not there.
    ImageAbsent,
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
        | RegistryError::StorageUnreadable { .. }
        | RegistryError::Aborted { .. }
        | RegistryError::TimedOut { .. }
        | RegistryError::RateLimited { .. }
        | RegistryError::Server { .. }
        | RegistryError::Malformed { .. }
        | RegistryError::DigestMismatch { .. } => false,
    }
}

pub(super) fn after_write(cause: ChangeError, written: Written) -> ChangeError {
    match cause {
        // Already carries what was written.
        ChangeError::AfterWrite { .. } => cause,
        cause => ChangeError::AfterWrite {
            cause: Box::new(cause),
            written: Box::new(written),
        },
    }
}

/// A failure keeps what undoes the write unless the write was refused outright. The
/// old state read again is no proof: a request given up on (a proxy's 504, a dropped
/// connection) may still land after that read; Undo skips what is still in place.
pub(super) fn keep_undo_unless_refused(error: ChangeError, written: Written) -> ChangeError {
    match error {
        ChangeError::Refused(_) => error,
        error => after_write(error, written),
    }
}

impl ChangeError {
    /// What was written before this failure, for Undo.
    pub fn written(&self) -> Option<&Written> {
        match self {
            ChangeError::AfterWrite { written, .. } => Some(written),
            ChangeError::IndexLeftListing { cause, .. } => cause.written(),
            _ => None,
        }
    }
}

impl<C: crate::oci::http::HttpClient> crate::oci::client::Registry<C> {
    /// Records what a change is about to write, before its first write; a change
    /// whose intent the journal could not keep does not start ([`ChangeError::NotRecorded`]).
    pub(crate) fn note_change(
        &self,
        intent: crate::oci::intent::Intent,
    ) -> Result<(), ChangeError> {
        if self.note_intent(intent) {
            Ok(())
        } else {
            Err(ChangeError::NotRecorded)
        }
    }
}
