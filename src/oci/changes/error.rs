//! What a change's failure means: whether anything was written, what the registry
//! shows now, and what the user can do about it.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::removal::Removal;
use super::tag_write::TagWrite;
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

/// A failure keeps what undoes the write unless the registry shows it changed
/// nothing (a definite refusal, or the old state read again).
pub(super) fn keep_undo_unless_unchanged(error: ChangeError, written: Written) -> ChangeError {
    match error {
        ChangeError::Refused(_) | ChangeError::NotAppliedAfterFailure { .. } => error,
        error => after_write(error, written),
    }
}

/// What the registry answered, for the note on a change it applied anyway.
pub(super) fn applied_anyway(error: &RegistryError) -> String {
    format!(
        "the registry answered \"{}\", but reading it again shows the change was applied",
        error.headline()
    )
}

pub(super) fn digest_or_nothing(digest: &Option<Digest>) -> String {
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
