//! What a change is about to write, told before it writes it: the journal a tab
//! keeps so that a change cut short can be reconciled (see `recovery`).

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::manifest::Manifest;
use super::names::{Digest, Repository, Tag};

/// Told what a change is about to do, just before its first write; answers whether
/// it was recorded. A change that cannot be recorded does not start: a reload could
/// not say what it did.
pub type Journal = Rc<dyn Fn(&Intent) -> bool>;

/// What a change meant to do, known before its first write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Intent {
    /// Point `tag` at `digest` (add, move, copy); `before` is what it pointed at.
    PutTag {
        repository: Repository,
        tag: Tag,
        digest: Digest,
        before: Option<Digest>,
    },
    /// Copy the image `digest` from `from` to `to` and point `tag` there at it;
    /// `before` is what the tag pointed at. Noted before the copy's first write (a
    /// blob mount): a copy cut short before its tag is then known too, and Retry
    /// copies again from `from`, where the image is.
    CopyImage {
        from: Repository,
        to: Repository,
        tag: Tag,
        digest: Digest,
        before: Option<Digest>,
    },
    /// Remove `tag` (which pointed at `digest`), and only the tag.
    RemoveTag {
        repository: Repository,
        tag: Tag,
        digest: Digest,
    },
    /// Delete the image `digest` with `tags`; its bytes are kept here for Undo,
    /// since after the delete the registry no longer serves them.
    DeleteImage {
        repository: Repository,
        tags: Vec<Tag>,
        manifest: Box<Manifest>,
    },
}

/// The intents to reconcile, a copy's as its tag PUT tells them: a copy notes that
/// PUT as well ([`Intent::PutTag`]), after its own intent, and takes from it what the
/// tag pointed at (read later, just before the PUT). The PutTag is kept after the
/// copy: it tells the PUT was sent and may still land (its Undo is kept); a copy
/// cut short before it sent none. Retry runs the copy alone (`Offers::add`).
pub fn without_covered(intents: Vec<Intent>) -> Vec<Intent> {
    let mut kept: Vec<Intent> = Vec::new();
    for intent in intents {
        if let Intent::PutTag {
            repository,
            tag,
            digest,
            before,
        } = &intent
        {
            if let Some(read) = kept.iter_mut().find_map(|other| match other {
                Intent::CopyImage {
                    to,
                    tag: copied,
                    digest: copy,
                    before: read,
                    ..
                } if to == repository && copied == tag && copy == digest => Some(read),
                _ => None,
            }) {
                read.clone_from(before);
            }
        }
        kept.push(intent);
    }
    kept
}
