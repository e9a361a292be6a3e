//! What a change wrote, as records: Undo works from them, and a failure that wrote
//! something carries one ([`ChangeError::written`](super::ChangeError::written)).

use serde::{Deserialize, Serialize};

use super::users::ImageUsers;
use crate::oci::error::RegistryError;
use crate::oci::manifest::Manifest;
use crate::oci::names::{Digest, Repository, Tag};

/// A change that wrote something, for Undo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Written {
    Tag(TagWrite),
    Removal(Box<Removal>),
}

/// A tag that was written: the digest it now has and what it had before (for undo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagWrite {
    pub repository: Repository,
    pub tag: Tag,
    pub digest: Digest,
    /// What the tag pointed at before: Undo puts that back.
    pub before: TagBefore,
    /// What a request of the change answered when it failed, though the registry,
    /// read again, shows the change. Told right after the change; not kept.
    #[serde(skip)]
    pub applied_anyway: Option<Box<RegistryError>>,
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
    /// it is not removed yet (it pulls an empty image; Retry finishes the removal),
    /// and Undo may overwrite it.
    #[serde(default)]
    pub placeholder: Option<Digest>,
    /// What a request of the change answered when it failed, though the registry,
    /// read again, shows the change. Told right after the change; not kept.
    #[serde(skip)]
    pub applied_anyway: Option<Box<RegistryError>>,
}

impl Removal {
    /// Takes into this removal, and so into its Undo, the tags a check afterwards
    /// found lost with it (`ChangeError::TagsLost`): they pointed at `digest`, the
    /// image whose bytes it keeps. Names that are not valid tags are left out.
    pub fn add_lost(&mut self, digest: &Digest, lost: &[String]) {
        if *digest != self.digest {
            return;
        }
        for tag in lost.iter().filter_map(|t| Tag::parse(t).ok()) {
            if !self.tags.contains(&tag) {
                self.tags.push(tag);
            }
        }
    }
}
